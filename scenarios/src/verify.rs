//! An independent checker of a run's outputs: reads the JSONL trace, the image CSV and the
//! JSON report as files (nothing from the model), recomputes A, B, the lost counts, the
//! data-loss window, the secondary image and prefix consistency from the raw events, checks
//! the invariants of DESIGN.md that the trace can show, and lists every disagreement.
//!
//! It is what an outside checker would do, kept in the project so that tests run it on
//! every scenario (`xrcsim verify` runs it on files).

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One replicated write as the trace tells it.
#[derive(Clone, Debug, Default)]
struct W {
    t: u64,
    vol: String,
    recs: Vec<(u64, u64, u64)>,
    bytes: u64,
    sites: Vec<String>,
    dep: Option<u64>,
    digests: Vec<String>,
}

/// What one site saw, from the trace.
#[derive(Clone, Debug, Default)]
struct SiteLog {
    token: BTreeSet<u64>,
    /// Data arrived, waiting for its re-update group (`data_held`).
    held: BTreeSet<u64>,
    data: BTreeMap<u64, Vec<String>>,
    applied: Vec<u64>,
    /// The applies that write content, in order: a write applied again (a `sync`
    /// resynchronisation copying a write whose acknowledgment was lost) with no `data_rx`
    /// since carries the latest content of its records, written by a later apply too, and
    /// is left out.
    writing: Vec<u64>,
    /// Writes whose data arrived since their last apply.
    fresh: BTreeSet<u64>,
    /// Writes applied at least once.
    seen: BTreeSet<u64>,
    /// Applies outside resynchronisations (which must be in sequence order).
    ordered: Vec<u64>,
    recovered: Option<(u64, u64, u64)>,
}

/// The checker's own figures for one site.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recomputed {
    /// Point A.
    pub consistency_seq: u64,
    /// Point B.
    pub highest_token_seq: u64,
    /// Routed writes above A.
    pub lost_writes: u64,
    /// Their bytes.
    pub lost_bytes: u64,
    /// Routed writes whose token never arrived.
    pub never_received: u64,
    /// Above A with token and data.
    pub pending_complete: u64,
    /// Above A with token only.
    pub pending_incomplete: u64,
    /// Above A with data held for its re-update group.
    pub pending_held_for_group: u64,
    /// Above A and already written out of order.
    pub pending_applied: u64,
    /// Lost writes whose `write_done` is in the trace.
    pub acknowledged_writes_lost: u64,
    /// Reference instant minus the sequencing time of write A+1.
    pub data_loss_window_ns: u64,
    /// Largest k whose primary image equals the recovered secondary image.
    pub consistent_seq: Option<u64>,
    /// Records differing from the image at A.
    pub mismatched_records: u64,
    /// Applied writes whose (routed) predecessor was not applied.
    pub dependent_write_violations: u64,
}

/// Everything the checker found.
#[derive(Clone, Debug, Default)]
pub struct Verdict {
    /// Per site name.
    pub sites: BTreeMap<String, Recomputed>,
    /// Disagreements and invariant violations, one line each (empty: all agree).
    pub problems: Vec<String>,
}

type Image = BTreeMap<(String, u64, u64, u64), String>;

/// Checks `trace` (JSONL text), `image` (CSV text) and `report` (JSON text). `end_ns` is
/// the end of the workload (the reference instant when there was no disaster).
/// `ordered`: the mode applies in sequence order (all but `naive`).
pub fn verify(trace: &str, image: &str, report: &str, end_ns: u64) -> Verdict {
    let mut v = Verdict::default();
    let mut problems: Vec<String> = Vec::new();
    let report: Value = match serde_json::from_str(report) {
        Ok(r) => r,
        Err(e) => {
            v.problems.push(format!("report is not JSON: {e}"));
            return v;
        }
    };
    let mode = report["mode"].as_str().unwrap_or("").to_string();
    // `zgm` applies in time-stamp order per SDM session; coupled sessions apply side by
    // side, so across them there is no one order to check.
    let zgm_sessions = report["sites"]
        .as_array()
        .and_then(|s| s.first())
        .and_then(|s| s["secondary_view"]["zgm"]["sessions"].as_array())
        .map_or(1, |s| s.len());
    let ordered = mode != "naive" && !(mode == "zgm" && zgm_sessions > 1);
    let mut writes: BTreeMap<u64, W> = BTreeMap::new();
    let mut sites: BTreeMap<String, SiteLog> = BTreeMap::new();
    let mut disaster: Option<u64> = None;
    // Resynchronisations write their copy as it arrives, out of sequence order.
    let mut resync: Vec<(u64, u64)> = Vec::new();
    let mut last_t = 0u64;
    // Writes completed to their host.
    let mut done: BTreeSet<u64> = BTreeSet::new();
    let mut lines = trace.lines();
    match lines.next().map(serde_json::from_str::<Value>) {
        Some(Ok(h))
            if h["ev"] == "header" && h["format"] == "xrcsim-trace" && h["version"] == 1 =>
        {
            if h["mode"] != report["mode"]
                || h["seed"] != report["seed"]
                || h["scenario"] != report["scenario"]
            {
                problems.push("trace header and report disagree on scenario, seed or mode".into());
            }
        }
        _ => problems.push("trace does not start with an xrcsim-trace version 1 header".into()),
    }
    let num = |x: &Value| x.as_u64().unwrap_or(0);
    let strs = |x: &Value| {
        x.as_array()
            .map(|a| {
                a.iter()
                    .map(|d| d.as_str().unwrap_or("").to_string())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    for (n, line) in lines.enumerate() {
        let e: Value = match serde_json::from_str(line) {
            Ok(e) => e,
            Err(err) => {
                problems.push(format!("trace line {}: not JSON: {err}", n + 2));
                continue;
            }
        };
        let t = num(&e["t"]);
        if t < last_t {
            problems.push(format!(
                "trace line {}: time goes backwards ({t} < {last_t})",
                n + 2
            ));
        }
        last_t = t;
        let site = e["site"].as_str().unwrap_or("").to_string();
        let seq = num(&e["seq"]);
        match e["ev"].as_str().unwrap_or("") {
            "seq" => {
                if let Some((&prev, _)) = writes.last_key_value()
                    && seq != prev + 1
                {
                    problems.push(format!("sequence numbers not dense: {seq} after {prev}"));
                }
                // A dependent write is issued after its predecessor completed: a smaller
                // number, already done.
                if let Some(d) = e["dep"].as_u64()
                    && (d >= seq || !done.contains(&d))
                {
                    problems.push(format!("write {seq} depends on {d}, which was not complete when {seq} got its number"));
                }
                let recs = e["recs"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|r| (num(&r[0]), num(&r[1]), num(&r[2])))
                            .collect()
                    })
                    .unwrap_or_default();
                writes.insert(
                    seq,
                    W {
                        t,
                        vol: e["vol"].as_str().unwrap_or("").into(),
                        recs,
                        bytes: num(&e["bytes"]),
                        sites: strs(&e["sites"]),
                        dep: e["dep"].as_u64(),
                        digests: strs(&e["digests"]),
                    },
                );
            }
            "write_done" => {
                if !done.insert(seq) {
                    problems.push(format!("write {seq} completed twice"));
                }
                if let Some(w) = writes.get(&seq) {
                    if strs(&e["digests"]) != w.digests {
                        problems.push(format!(
                            "write_done {seq}: digests differ from its seq event"
                        ));
                    }
                } else {
                    problems.push(format!("write_done {seq} before its seq event"));
                }
            }
            "token_rx" => {
                sites.entry(site).or_default().token.insert(seq);
            }
            "data_held" => {
                sites.entry(site).or_default().held.insert(seq);
            }
            "data_rx" => {
                let s = sites.entry(site).or_default();
                s.data.insert(seq, strs(&e["digests"]));
                s.fresh.insert(seq);
            }
            "skip" => {
                // The site discarded the data it held: the primary gave the write up.
                sites.entry(site).or_default().data.remove(&seq);
            }
            "apply" => {
                let s = sites.entry(site.clone()).or_default();
                if !s.token.contains(&seq) || !s.data.contains_key(&seq) {
                    problems.push(format!(
                        "site {site}: apply {seq} before its token and data arrived (invariant 1)"
                    ));
                }
                let in_resync = resync.iter().any(|&(a, b)| (a..=b).contains(&seq));
                if ordered && !in_resync {
                    if let Some(&last) = s.ordered.last()
                        && seq <= last
                    {
                        problems.push(format!("site {site}: apply {seq} after {last}: not in sequence order (invariant 1)"));
                    }
                    s.ordered.push(seq);
                }
                let first = s.seen.insert(seq);
                if s.fresh.remove(&seq) || first {
                    s.writing.push(seq);
                }
                s.applied.push(seq);
            }
            "disaster" => disaster = Some(t),
            "resync" => resync.push((num(&e["from_seq"]), num(&e["to_seq"]))),
            "recovered" => {
                let s = sites.entry(site).or_default();
                s.recovered = Some((t, num(&e["consistency_seq"]), num(&e["highest_token_seq"])));
            }
            _ => {}
        }
    }
    // Secondary image from the CSV.
    let mut csv: Image = BTreeMap::new();
    let mut lines = image.lines();
    if lines.next() != Some("site,vol,cyl,head,r,digest") {
        problems.push("image CSV header is not `site,vol,cyl,head,r,digest`".into());
    }
    let mut prev: Option<(String, String, u64, u64, u64)> = None;
    for (n, l) in lines.enumerate() {
        let f: Vec<&str> = l.split(',').collect();
        if f.len() != 6 {
            problems.push(format!("image line {}: expected 6 fields", n + 2));
            continue;
        }
        let key = (
            f[0].to_string(),
            f[1].to_string(),
            f[2].parse().unwrap_or(0),
            f[3].parse().unwrap_or(0),
            f[4].parse().unwrap_or(0),
        );
        if prev.as_ref().is_some_and(|p| *p >= key) {
            problems.push(format!(
                "image line {}: rows not sorted by site, vol, cyl, head, r",
                n + 2
            ));
        }
        prev = Some(key.clone());
        csv.insert(
            (format!("{}|{}", key.0, key.1), key.2, key.3, key.4),
            f[5].to_string(),
        );
    }
    // Per site.
    let last_seq = writes.keys().next_back().copied().unwrap_or(0);
    let reference = disaster.unwrap_or(end_ns);
    let report_sites: HashMap<String, &Value> = report["sites"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| (s["site"].as_str().unwrap_or("").to_string(), s))
                .collect()
        })
        .unwrap_or_default();
    let mut trace_image: Image = BTreeMap::new();
    for (name, log) in &sites {
        if !report_sites.contains_key(name) {
            continue;
        }
        let routed: Vec<u64> = writes
            .iter()
            .filter(|(_, w)| w.sites.contains(name))
            .map(|(s, _)| *s)
            .collect();
        let complete = |s: &u64| log.token.contains(s) && log.data.contains_key(s);
        let first_missing = routed.iter().find(|s| !complete(s)).copied();
        // A is a write the site was sent: the newest routed write before the first one
        // that is not complete (0: none).
        let a = routed
            .iter()
            .take_while(|&&s| first_missing.is_none_or(|f| s < f))
            .last()
            .copied()
            .unwrap_or(0);
        let mut r = Recomputed {
            consistency_seq: a,
            highest_token_seq: log.token.iter().next_back().copied().unwrap_or(0),
            ..Default::default()
        };
        let applied_set: BTreeSet<u64> = log.applied.iter().copied().collect();
        for s in routed.iter().filter(|&&s| s > a) {
            r.lost_writes += 1;
            r.lost_bytes += writes[s].bytes;
            if done.contains(s) {
                r.acknowledged_writes_lost += 1;
            }
            let (tok, data) = (log.token.contains(s), log.data.contains_key(s));
            match (applied_set.contains(s), tok, data) {
                (true, ..) => r.pending_applied += 1,
                (false, _, true) => r.pending_complete += 1,
                (false, true, false) if log.held.contains(s) => r.pending_held_for_group += 1,
                (false, true, false) => r.pending_incomplete += 1,
                (false, false, false) => r.never_received += 1,
            }
        }
        r.data_loss_window_ns = first_missing.map_or(0, |f| reference.saturating_sub(writes[&f].t));
        // The secondary image the applies build.
        let mut sec: BTreeMap<(String, u64, u64, u64), String> = BTreeMap::new();
        let applied: BTreeSet<u64> = log.applied.iter().copied().collect();
        for s in &log.writing {
            let w = &writes[s];
            for (i, rec) in w.recs.iter().enumerate() {
                let d = log
                    .data
                    .get(s)
                    .and_then(|d| d.get(i))
                    .cloned()
                    .unwrap_or_default();
                sec.insert((w.vol.clone(), rec.0, rec.1, rec.2), d);
            }
        }
        for ((vol, c, h, rr), d) in &sec {
            trace_image.insert((format!("{name}|{vol}"), *c, *h, *rr), d.clone());
        }
        // Primary images after 1..k (routed), compared with the secondary: track the set of
        // records that differ while adding writes in order.
        let mut prim: BTreeMap<(String, u64, u64, u64), String> = BTreeMap::new();
        let mut diff: BTreeSet<(String, u64, u64, u64)> = sec.keys().cloned().collect();
        // Before the first routed write, every k up to it gives the initial image.
        let first_next = routed.first().map_or(last_seq, |f| f - 1);
        let mut best = if diff.is_empty() {
            Some(first_next)
        } else {
            None
        };
        let mut at_a = if a <= first_next {
            Some(diff.len() as u64)
        } else {
            None
        };
        for (i, s) in routed.iter().enumerate() {
            let w = &writes[s];
            for (j, rec) in w.recs.iter().enumerate() {
                let k = (w.vol.clone(), rec.0, rec.1, rec.2);
                let d = w.digests.get(j).cloned().unwrap_or_default();
                let same = sec.get(&k) == Some(&d);
                prim.insert(k.clone(), d);
                if same {
                    diff.remove(&k);
                } else {
                    diff.insert(k);
                }
            }
            let next = routed.get(i + 1).map_or(last_seq, |n| n - 1);
            if diff.is_empty() {
                best = Some(next);
            }
            if *s <= a && a <= next {
                at_a = Some(diff.len() as u64);
            }
        }
        r.consistent_seq = best;
        r.mismatched_records = at_a.unwrap_or(diff.len() as u64);
        // Dependent writes: applied, with a routed predecessor not applied.
        r.dependent_write_violations = log
            .applied
            .iter()
            .filter(|s| {
                writes[s].dep.is_some_and(|d| {
                    writes.get(&d).is_some_and(|dw| dw.sites.contains(name))
                        && !applied.contains(&d)
                })
            })
            .count() as u64;
        // Compare with the report and the recovered event.
        let rs = report_sites[name];
        let check = |problems: &mut Vec<String>, field: &str, ours: u64| {
            if rs[field].as_u64() != Some(ours) {
                problems.push(format!(
                    "site {name}: report {field} = {}, trace gives {ours}",
                    rs[field]
                ));
            }
        };
        check(&mut problems, "consistency_seq", r.consistency_seq);
        check(&mut problems, "highest_token_seq", r.highest_token_seq);
        check(&mut problems, "lost_writes", r.lost_writes);
        check(&mut problems, "lost_bytes", r.lost_bytes);
        check(&mut problems, "never_received", r.never_received);
        check(&mut problems, "pending_complete", r.pending_complete);
        check(&mut problems, "pending_incomplete", r.pending_incomplete);
        check(
            &mut problems,
            "pending_held_for_group",
            r.pending_held_for_group,
        );
        check(&mut problems, "pending_applied", r.pending_applied);
        check(
            &mut problems,
            "acknowledged_writes_lost",
            r.acknowledged_writes_lost,
        );
        check(&mut problems, "data_loss_window_ns", r.data_loss_window_ns);
        check(&mut problems, "mismatched_records", r.mismatched_records);
        check(
            &mut problems,
            "dependent_write_violations",
            r.dependent_write_violations,
        );
        check(&mut problems, "writes_applied", log.applied.len() as u64);
        check(&mut problems, "writes_routed", routed.len() as u64);
        if rs["consistent_seq"].as_u64() != r.consistent_seq {
            problems.push(format!(
                "site {name}: report consistent_seq = {}, trace gives {:?}",
                rs["consistent_seq"], r.consistent_seq
            ));
        }
        if rs["prefix_consistent"].as_bool() != Some(r.consistent_seq.is_some()) {
            problems.push(format!(
                "site {name}: report prefix_consistent = {}, trace gives {}",
                rs["prefix_consistent"],
                r.consistent_seq.is_some()
            ));
        }
        match log.recovered {
            Some((_, ra, rb)) if ra == r.consistency_seq && rb == r.highest_token_seq => {}
            Some((_, ra, rb)) => problems.push(format!(
                "site {name}: recovered event says A={ra} B={rb}, trace gives A={} B={}",
                r.consistency_seq, r.highest_token_seq
            )),
            None => problems.push(format!("site {name}: no recovered event")),
        }
        v.sites.insert(name.clone(), r);
    }
    v.problems = problems;
    // The image file against the image the trace implies.
    if csv != trace_image {
        let only_csv = csv
            .iter()
            .filter(|(k, d)| trace_image.get(*k) != Some(*d))
            .count();
        let only_trace = trace_image
            .iter()
            .filter(|(k, d)| csv.get(*k) != Some(*d))
            .count();
        v.problems.push(format!("image CSV differs from the trace's applies: {only_csv} rows not in the trace, {only_trace} trace records not in the CSV"));
    }
    // After a drain every numbered write has completed, exactly once.
    if report["drained"].as_bool() == Some(true) {
        let missing = writes.keys().filter(|s| !done.contains(s)).count();
        if missing > 0 {
            v.problems.push(format!(
                "drained run: {missing} numbered writes never completed to their host"
            ));
        }
    }
    if report["disaster_at_ns"].as_u64() != disaster {
        v.problems.push(format!(
            "report disaster_at_ns = {}, trace says {:?}",
            report["disaster_at_ns"], disaster
        ));
    }
    v
}
