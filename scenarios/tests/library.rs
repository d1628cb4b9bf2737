//! The scenario library (`scenarios/*.toml`, `scenarios/sweeps/*.toml`): every file loads,
//! and every scenario shows what its header promises, checked on the report and, where the
//! outputs are small enough, by the independent checker (`scenarios::verify::verify`) on
//! the trace, image and report files.
//!
//! Tests marked `#[ignore = "needs: ..."]` state a behaviour the model does not have yet;
//! they run with `cargo test -p scenarios --release --test library -- --ignored`.

use scenarios::report::{Report, human};
use scenarios::runner::{RunOptions, run};
use scenarios::verify::verify;
use scenarios::{prepare, read_file};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `scenarios/NAME`.
fn file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// A fresh temporary directory for one run's files.
/// A fresh directory of this process for `name`: each call gets its own (a counter), so
/// two tests running the same scenario and overrides at once never share their files.
fn tmp(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("xrcsim-library-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// One run of a library scenario, with its three output files when asked for.
struct Out {
    report: Report,
    trace: Option<String>,
}

/// Runs library scenario `name` with `--set` overrides. With `check`, writes the trace,
/// image and report and has the independent checker recompute and compare them.
fn run_scenario(name: &str, sets: &[&str], check: bool) -> Out {
    let path = file(name);
    let src = read_file(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let built = prepare(&src, &sets, path.parent().unwrap())
        .unwrap_or_else(|e| panic!("{name} {sets:?}: {e}"));
    if !check {
        let out = run(&built, &RunOptions::default()).expect("run");
        return Out {
            report: out.report,
            trace: None,
        };
    }
    let tag: String = format!("{name}-{}", sets.join("-"))
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let dir = tmp(&tag);
    let opts = RunOptions {
        trace: Some(dir.join("t.jsonl")),
        image: Some(dir.join("i.csv")),
        progress: false,
        ..RunOptions::default()
    };
    let out = run(&built, &opts).expect("run");
    let report_json = serde_json::to_string(&out.report).unwrap();
    let trace = std::fs::read_to_string(dir.join("t.jsonl")).unwrap();
    let image = std::fs::read_to_string(dir.join("i.csv")).unwrap();
    let v = verify(
        &trace,
        &image,
        &report_json,
        built.world.run.length.as_nanos(),
    );
    assert!(
        v.problems.is_empty(),
        "{name} {sets:?}: the checker disagrees with the outputs: {:#?}",
        v.problems
    );
    assert_eq!(v.sites.len(), out.report.sites.len(), "{name}");
    std::fs::remove_dir_all(&dir).ok();
    Out {
        report: out.report,
        trace: Some(trace),
    }
}

fn consistent(r: &Report) -> bool {
    r.consistent()
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// Every `scenarios/*.toml` and `scenarios/sweeps/*.toml`, sorted.
fn library_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(file(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| p.file_name().is_some_and(|n| n != "Cargo.toml"))
        .collect();
    v.sort();
    v
}

// ----------------------------------------------------------------------------------------
// Every file loads.

#[test]
fn every_scenario_file_loads_and_has_a_header() {
    let files = library_files(".");
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "baseline.toml",
        "fig5.toml",
        "sync-vs-async.toml",
        "naive-fuzzy.toml",
        "rapid-update.toml",
        "multi-secondary.toml",
        "overload.toml",
        "outage.toml",
        "trace-driven.toml",
        "large.toml",
        "ckd-mix.toml",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} missing: {names:?}");
    }
    for p in &files {
        let src = read_file(p).unwrap();
        let built = prepare(&src, &[], p.parent().unwrap())
            .unwrap_or_else(|e| panic!("{} does not load: {e}", p.display()));
        assert!(!built.world.volumes.is_empty());
        // The header: a comment saying what it shows and how to run it.
        let name = p.file_name().unwrap().to_string_lossy();
        assert!(
            src.text.starts_with('#'),
            "{name} must start with a comment header"
        );
        let header: String = src
            .text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            header.contains(&format!("scenarios/{name}")) || name == "baseline.toml",
            "{name}: the header should give the command that runs it"
        );
    }
}

#[test]
fn every_sweep_file_loads_and_every_row_builds() {
    let files = library_files("sweeps");
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "distance.toml",
        "bandwidth.toml",
        "batching.toml",
        "movers.toml",
        "write-rate.toml",
        "modes.toml",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} missing: {names:?}");
    }
    for p in &files {
        let sweep = scenarios::sweep::load_sweep(p)
            .unwrap_or_else(|e| panic!("{} does not load: {e}", p.display()));
        let base = read_file(&sweep.base).unwrap();
        let rows = sweep.rows();
        assert!(!rows.is_empty());
        assert!(
            rows.len() <= 100,
            "{}: {} rows; keep library sweeps small",
            p.display(),
            rows.len()
        );
        // Every row's overrides build (a misspelt key or value fails here, not mid-sweep).
        for row in rows.iter().filter(|r| r.seed == sweep.seeds[0]) {
            prepare(&base, &row.sets(), sweep.base.parent().unwrap()).unwrap_or_else(|e| {
                panic!("{} row {}: {e}", p.display(), row.index);
            });
        }
    }
}

// ----------------------------------------------------------------------------------------
// fig5: the pending write queue at the disaster.

/// The pending write queue of `site` at the end of a trace, from A-3 to B+3: `#` applied,
/// `C` complete (token and data), `t` token without data, `.` routed, token never received.
fn queue_picture(trace: &str, site: &str, a: u64, b: u64) -> String {
    let mut token = BTreeSet::new();
    let mut data = BTreeSet::new();
    let mut applied = BTreeSet::new();
    let mut routed = BTreeSet::new();
    for line in trace.lines().skip(1) {
        let e: Value = serde_json::from_str(line).unwrap();
        let seq = e["seq"].as_u64().unwrap_or(0);
        let here = e["site"].as_str() == Some(site);
        let to_here = e["sites"]
            .as_array()
            .is_some_and(|v| v.iter().any(|s| s.as_str() == Some(site)));
        match e["ev"].as_str().unwrap_or("") {
            "seq" if to_here => {
                routed.insert(seq);
            }
            "token_rx" if here => {
                token.insert(seq);
            }
            "data_rx" if here => {
                data.insert(seq);
            }
            "apply" if here => {
                applied.insert(seq);
            }
            _ => {}
        }
    }
    let last = routed.iter().next_back().copied().unwrap_or(b);
    let mut s = String::new();
    for q in a.saturating_sub(3).max(1)..=last.min(b + 3) {
        if !routed.contains(&q) {
            continue;
        }
        s.push(if applied.contains(&q) {
            '#'
        } else if token.contains(&q) && data.contains(&q) {
            'C'
        } else if token.contains(&q) {
            't'
        } else {
            '.'
        });
    }
    s
}

#[test]
fn fig5_pending_queue_has_complete_entries_and_gaps_between_a_and_b() {
    let out = run_scenario("fig5.toml", &[], true);
    let r = &out.report;
    let s = &r.sites[0].core;
    assert_eq!(r.disaster_at_ns, Some(10_000_000_000));
    assert!(
        s.pending_complete > 0 && s.pending_incomplete > 0,
        "Fig. 5 needs complete entries and gaps between A and B: {s:?}"
    );
    assert!(s.consistency_seq < s.highest_token_seq);
    assert_eq!(
        s.lost_writes,
        s.pending_complete + s.pending_incomplete + s.never_received
    );
    assert!(consistent(r), "{s:?}");
    assert_eq!(s.consistent_seq, Some(s.consistency_seq));
    assert!(!s.lost_datasets.is_empty());
    // The picture: applied up to A, then a gap (A+1 has no data), then complete entries
    // mixed with gaps up to B.
    let pic = queue_picture(
        out.trace.as_deref().unwrap(),
        &s.site,
        s.consistency_seq,
        s.highest_token_seq,
    );
    println!(
        "fig5 queue from A-3 (A = {}, B = {}): {pic}",
        s.consistency_seq, s.highest_token_seq
    );
    let above: &str = pic.trim_start_matches('#');
    assert!(
        above.starts_with('t'),
        "A+1 must be a token without data: {pic}"
    );
    assert!(
        above.contains('C'),
        "a complete entry must follow a gap: {pic}"
    );
    assert_eq!(
        above.chars().filter(|&c| c == 'C').count() as u64,
        s.pending_complete
    );
    assert_eq!(
        above.chars().filter(|&c| c == 't').count() as u64,
        s.pending_incomplete
    );
    let text = human(r, false);
    assert!(text.contains(&format!(
        "between A and B {} complete, {} without data",
        s.pending_complete, s.pending_incomplete
    )));
}

// ----------------------------------------------------------------------------------------
// sync vs async.

/// Writes the host was told were complete (`write_done` before the disaster) that are
/// above the site's consistency point: acknowledged writes the disaster lost.
fn acknowledged_lost(trace: &str, a: u64) -> u64 {
    let mut disaster = u64::MAX;
    let mut done: Vec<(u64, u64)> = Vec::new();
    for line in trace.lines().skip(1) {
        let e: Value = serde_json::from_str(line).unwrap();
        let t = e["t"].as_u64().unwrap();
        match e["ev"].as_str().unwrap() {
            "write_done" => done.push((t, e["seq"].as_u64().unwrap())),
            "disaster" => disaster = t,
            _ => {}
        }
    }
    done.iter()
        .filter(|&&(t, q)| t <= disaster && q > a)
        .count() as u64
}

#[test]
fn sync_pays_the_round_trip_and_loses_no_acknowledged_write() {
    // Seed 4: a disaster instant with writes in flight (xrc's mean RPO here is about 4 ms,
    // so at some instants nothing is in flight; seeds 1, 3 and 5 strike such an instant).
    let x = run_scenario("sync-vs-async.toml", &["copy.mode=xrc", "run.seed=4"], true);
    let s = run_scenario(
        "sync-vs-async.toml",
        &["copy.mode=sync", "run.seed=4"],
        true,
    );
    let (xr, sr) = (&x.report, &s.report);
    assert_eq!((xr.mode.as_str(), sr.mode.as_str()), ("xrc", "sync"));
    // 300 km: 2 x 300 x 5 us = 3 ms round trip; sync also transmits the data and waits
    // for the secondary's write (under a millisecond here).
    let rtt = 3.0;
    let diff = ms(sr.primary.write_response_ns.p50) - ms(xr.primary.write_response_ns.p50);
    println!(
        "sync-vs-async: p50 xrc {:.3} ms, sync {:.3} ms, difference {diff:.3} ms",
        ms(xr.primary.write_response_ns.p50),
        ms(sr.primary.write_response_ns.p50)
    );
    assert!(
        diff >= rtt && diff <= rtt + 1.5,
        "sync - xrc response p50 = {diff} ms, expected the 3 ms round trip plus < 1.5 ms"
    );
    // Loss: xrc loses a few ms of writes, some of them acknowledged; sync none acknowledged.
    let (xs, ss) = (&xr.sites[0].core, &sr.sites[0].core);
    assert!(consistent(xr) && consistent(sr));
    assert!(xs.lost_writes > 0 && xs.data_loss_window_ns > 0);
    assert!(ss.data_loss_window_ns < xs.data_loss_window_ns);
    assert!(ss.rpo_ns.mean < xs.rpo_ns.mean);
    let xa = acknowledged_lost(x.trace.as_deref().unwrap(), xs.consistency_seq);
    let sa = acknowledged_lost(s.trace.as_deref().unwrap(), ss.consistency_seq);
    println!(
        "acknowledged writes lost: xrc {xa}, sync {sa}; windows {:.3} / {:.3} ms",
        ms(xs.data_loss_window_ns),
        ms(ss.data_loss_window_ns)
    );
    assert!(
        xa > 0,
        "xrc should lose acknowledged writes at this disaster"
    );
    assert_eq!(sa, 0, "sync must never lose a write it acknowledged");
}

#[test]
fn sync_response_follows_the_distance() {
    // 100 km vs 300 km: the sync penalty changes by the round-trip difference, 2 ms.
    let p50 = |km: &str| {
        let o = run_scenario(
            "sync-vs-async.toml",
            &[
                "copy.mode=sync",
                &format!("link.distance_km={km}"),
                "run.length=12s",
                "disaster.at=10s",
            ],
            false,
        );
        ms(o.report.primary.write_response_ns.p50)
    };
    let (near, far) = (p50("100"), p50("300"));
    assert!(
        (far - near - 2.0).abs() < 0.3,
        "sync p50 {near} ms at 100 km, {far} ms at 300 km: expected 2 ms apart"
    );
}

// ----------------------------------------------------------------------------------------
// naive vs xrc.

#[test]
fn naive_copy_is_fuzzy_and_xrc_is_consistent() {
    let n = run_scenario("naive-fuzzy.toml", &[], true);
    let r = &n.report;
    assert_eq!(r.mode, "naive");
    let s = &r.sites[0].core;
    assert!(
        !consistent(r),
        "naive at the scenario's disaster should be inconsistent: {s:?}"
    );
    assert!(s.mismatched_records > 0 || s.dependent_write_violations > 0);
    assert!(human(r, false).contains("INCONSISTENT"));
    let x = run_scenario("naive-fuzzy.toml", &["copy.mode=xrc"], true);
    assert!(consistent(&x.report), "{:?}", x.report.sites[0].core);
    assert!(human(&x.report, false).contains("CONSISTENT: the image equals"));
}

#[test]
fn naive_is_inconsistent_at_most_disaster_instants_xrc_at_none() {
    let mut fuzzy = 0;
    let instants = [
        "9.3s", "9.45s", "9.6s", "9.75s", "9.9s", "10.05s", "10.2s", "10.35s",
    ];
    for t in instants {
        let at = format!("disaster.at={t}");
        let n = run_scenario("naive-fuzzy.toml", &[&at], false);
        if !consistent(&n.report) {
            fuzzy += 1;
        }
        let x = run_scenario("naive-fuzzy.toml", &[&at, "copy.mode=xrc"], false);
        assert!(consistent(&x.report), "xrc at {t}");
        let p = run_scenario("naive-fuzzy.toml", &[&at, "copy.mode=xrc-prt"], false);
        assert!(consistent(&p.report), "xrc-prt at {t}");
    }
    assert!(
        fuzzy * 2 >= instants.len(),
        "naive inconsistent at only {fuzzy} of {} instants",
        instants.len()
    );
}

// ----------------------------------------------------------------------------------------
// rapid update: the re-update accommodation and the positive return token.

#[test]
fn rapid_update_needs_the_accommodation_or_the_positive_return_token() {
    let base = run_scenario("rapid-update.toml", &[], true);
    let off = run_scenario(
        "rapid-update.toml",
        &["copy.reupdate_accommodation=false"],
        true,
    );
    let prt = run_scenario("rapid-update.toml", &["copy.mode=xrc-prt"], true);
    let (b, o, p) = (&base.report, &off.report, &prt.report);
    println!(
        "rapid-update: newer data shipped {} / {} / {}, groups {} / {} / {}",
        b.model.newer_data_shipped,
        o.model.newer_data_shipped,
        p.model.newer_data_shipped,
        b.model.reupdate_groups,
        o.model.reupdate_groups,
        p.model.reupdate_groups
    );
    // Hot records are re-updated before the mover reads them.
    assert!(b.model.newer_data_shipped > 100);
    assert_eq!(b.model.reupdate_groups, b.model.newer_data_shipped);
    assert!(consistent(b), "{:?}", b.sites[0].core);
    // Without the accommodation the same updates ship newer data as ordinary updates.
    assert_eq!(o.model.newer_data_shipped, b.model.newer_data_shipped);
    assert_eq!(o.model.reupdate_groups, 0);
    let os = &o.sites[0].core;
    assert!(!consistent(o), "accommodation off should be caught: {os:?}");
    assert!(os.mismatched_records > 0);
    assert!(!os.prefix_consistent);
    // The positive return token has nothing to accommodate.
    assert_eq!(p.model.newer_data_shipped, 0);
    assert_eq!(p.model.reupdate_groups, 0);
    assert!(consistent(p), "{:?}", p.sites[0].core);
    // A group is applied whole, so the accommodation's A is never above prt's.
    assert!(b.sites[0].core.consistency_seq <= p.sites[0].core.consistency_seq);
}

// ----------------------------------------------------------------------------------------
// Several secondaries (claim 3).

#[test]
fn each_secondary_recovers_its_own_volumes_consistently() {
    let out = run_scenario("multi-secondary.toml", &[], true);
    let r = &out.report;
    assert_eq!(r.sites.len(), 3);
    assert!(consistent(r));
    // The data sets each site holds (from the scenario: DBn.LOG/DATA on PRI00{2n,2n+1}).
    let holds: BTreeMap<&str, Vec<&str>> = [
        ("S1", vec!["DB0", "DB1", "DB2"]),
        ("S2", vec!["DB2", "DB3"]),
        ("S3", vec!["DB0", "DB3"]),
    ]
    .into_iter()
    .collect();
    // Writes routed per site, recounted from the trace's `sites` lists.
    let mut routed: BTreeMap<String, u64> = BTreeMap::new();
    let mut to_vol: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in out.trace.as_deref().unwrap().lines().skip(1) {
        let e: Value = serde_json::from_str(line).unwrap();
        if e["ev"] == "seq" {
            for s in e["sites"].as_array().unwrap() {
                let s = s.as_str().unwrap().to_string();
                *routed.entry(s.clone()).or_default() += 1;
                to_vol
                    .entry(s)
                    .or_default()
                    .insert(e["vol"].as_str().unwrap().to_string());
            }
        }
    }
    let vols = |s: &str| -> BTreeSet<String> {
        let v: &[&str] = match s {
            "S1" => &["PRI000", "PRI001", "PRI002", "PRI003", "PRI004", "PRI005"],
            "S2" => &["PRI004", "PRI005", "PRI006", "PRI007"],
            _ => &["PRI000", "PRI001", "PRI006", "PRI007"],
        };
        v.iter().map(|x| x.to_string()).collect()
    };
    for site in &r.sites {
        let c = &site.core;
        assert_eq!(routed[&c.site], c.writes_routed, "{}", c.site);
        assert_eq!(to_vol[&c.site], vols(&c.site), "{}", c.site);
        for ds in &c.lost_datasets {
            let db = ds.split('.').next().unwrap();
            assert!(
                holds[c.site.as_str()].contains(&db),
                "{} lost {ds}, which it does not hold",
                c.site
            );
        }
        assert!(c.lost_writes > 0, "{}", c.site);
    }
    // Every write goes to at least one site; DB0 and DB2 to two.
    let all: u64 = r.primary.writes;
    assert!(r.sites.iter().map(|s| s.core.writes_routed).sum::<u64>() > all);
    // Farther and thinner links lag more: S1 (50 km, 1 Gbit/s) < S3 (800 km, OC-3) < S2
    // (3,000 km, T3).
    let rpo = |name: &str| {
        r.sites
            .iter()
            .find(|s| s.core.site == name)
            .unwrap()
            .core
            .rpo_ns
            .mean
    };
    println!(
        "multi-secondary RPO mean: S1 {:.3} ms, S3 {:.3} ms, S2 {:.3} ms",
        ms(rpo("S1")),
        ms(rpo("S3")),
        ms(rpo("S2"))
    );
    assert!(rpo("S1") < rpo("S3") && rpo("S3") < rpo("S2"));
    // Site S2 is 15 ms away one way: its lag includes at least that.
    assert!(rpo("S2") > 15_000_000);
}

// ----------------------------------------------------------------------------------------
// Overload.

#[test]
fn overload_without_flow_control_lags_further_behind_the_longer_it_runs() {
    let early = run_scenario("overload.toml", &["disaster.at=15s"], false).report;
    let late = run_scenario("overload.toml", &[], true).report;
    let (e, l) = (&early.sites[0].core, &late.sites[0].core);
    let (we, wl) = (
        e.data_loss_window_ns as f64 / 1e9,
        l.data_loss_window_ns as f64 / 1e9,
    );
    println!(
        "overload: window {we:.2} s at 15 s, {wl:.2} s at 30 s; RPO p99 {:.2} s",
        l.rpo_ns.p99 as f64 / 1e9
    );
    // 90 writes/s offered, about 45/s carried: the lag grows half a second per second.
    assert!((1.7..=2.3).contains(&(wl / we)), "{we} s then {wl} s");
    assert!((12.0..=17.0).contains(&wl), "{wl} s");
    assert!(late.link.utilization > 0.95);
    assert!(l.rpo_ns.p99 > 10_000_000_000);
    assert!(consistent(&late));
    // The same workload on an OC-3 keeps up.
    let fast = run_scenario("overload.toml", &["link.bandwidth_mbps=155.52"], false).report;
    assert!(fast.sites[0].core.data_loss_window_ns < 100_000_000);
}

/// Overrides that make the data mover, not the link, the bottleneck: one record set per
/// read, 1.5 ms per read, 900 writes/s over an OC-3.
const MOVER_BOUND: [&str; 5] = [
    "copy.mode=xrc-prt",
    "link.bandwidth_mbps=155.52",
    "copy.mover_batch=1",
    "copy.mover_read_overhead=1.5ms",
    "workload.write_rate=900",
];

#[test]
fn pacing_bounds_the_lag_when_the_mover_is_the_bottleneck() {
    let run_at = |flow: &str, at: &str| {
        let mut sets: Vec<&str> = MOVER_BOUND.to_vec();
        sets.push(flow);
        sets.push(at);
        run_scenario("overload.toml", &sets, false).report
    };
    let none = "copy.flow={ policy = \"none\" }";
    let pacing = "copy.flow={ policy = \"pacing\", threshold = 50, level = 12 }";
    let (n15, n30) = (
        run_at(none, "disaster.at=15s"),
        run_at(none, "disaster.at=30s"),
    );
    let (p15, p30) = (
        run_at(pacing, "disaster.at=15s"),
        run_at(pacing, "disaster.at=30s"),
    );
    let w = |r: &Report| r.sites[0].core.data_loss_window_ns as f64 / 1e9;
    println!(
        "mover-bound: none {:.2} s -> {:.2} s; pacing {:.2} s -> {:.2} s, {} writes paced, {:.1} s added",
        w(&n15),
        w(&n30),
        w(&p15),
        w(&p30),
        p30.model.paced_writes,
        p30.model.pacing_delay_ns as f64 / 1e9
    );
    assert!((1.7..=2.3).contains(&(w(&n30) / w(&n15))));
    assert_eq!(n30.model.paced_writes, 0);
    assert!(p30.model.paced_writes > 0 && p30.model.pacing_delay_ns > 0);
    assert!(
        w(&p30) < 2.0 && w(&p30) < w(&p15) * 1.5 + 0.5,
        "pacing bounds the lag"
    );
    assert!(p30.sites[0].core.rpo_ns.max < n30.sites[0].core.rpo_ns.max / 4);
    // ... at the price of the host's response time.
    assert!(p30.primary.write_response_ns.p50 > 10 * n30.primary.write_response_ns.p50);
    assert!(consistent(&p30) && consistent(&n30));
}

#[test]
fn pacing_bounds_the_lag_when_the_link_is_the_bottleneck() {
    // The movers' buffer (200 record sets) fills while the T1 carries its backlog, the
    // movers stop reading, residual counts climb and pacing slows the writers to the link.
    let common = ["copy.mode=xrc-prt", "copy.mover_buffer=200"];
    let pacing = "copy.flow={ policy = \"pacing\", threshold = 20, level = 14 }";
    let run = |at: &str, paced: bool| {
        let mut sets = vec![common[0], common[1], "run.length=60s", at];
        if paced {
            sets.push(pacing);
        }
        run_scenario("overload.toml", &sets, false).report
    };
    let (p30, p60) = (run("disaster.at=30s", true), run("disaster.at=60s", true));
    let (n30, n60) = (run("disaster.at=30s", false), run("disaster.at=60s", false));
    let w = |r: &Report| r.sites[0].core.data_loss_window_ns as f64 / 1e9;
    println!(
        "link-bound: none {:.2} s -> {:.2} s; pacing {:.2} s -> {:.2} s",
        w(&n30),
        w(&n60),
        w(&p30),
        w(&p60)
    );
    assert!(p60.model.paced_writes > 0, "pacing never engaged");
    assert!(p60.model.pacing_delay_ns > 0);
    assert_eq!(n60.model.paced_writes, 0);
    // Without flow control the lag keeps growing; with pacing it levels off ...
    assert!(w(&n60) > w(&n30) * 1.6, "the unpaced lag grows");
    assert!(w(&p60) < w(&p30) * 1.2, "the paced lag levels off");
    // ... well below the unpaced one.
    assert!(w(&p60) * 2.0 < w(&n60));
    assert!(p60.sites[0].core.rpo_ns.p99 < n60.sites[0].core.rpo_ns.p99);
    assert!(consistent(&p60) && consistent(&n60));
}

#[test]
fn link_utilization_never_exceeds_one() {
    for at in ["disaster.at=10s", "disaster.at=30s"] {
        let r = run_scenario("overload.toml", &[at], false).report;
        assert!(
            r.link.utilization <= 1.0,
            "{at}: utilization {}",
            r.link.utilization
        );
    }
}

// ----------------------------------------------------------------------------------------
// Link outage.

#[test]
fn outage_lag_grows_during_the_cut_and_drains_after() {
    let w = |at: &str| {
        let o = run_scenario("outage.toml", &[&format!("disaster.at={at}")], false);
        assert!(consistent(&o.report), "{at}");
        o.report.sites[0].core.data_loss_window_ns as f64 / 1e9
    };
    let (before, d25, d29, d45, d55) = (w("19s"), w("25s"), w("29.9s"), w("45s"), w("55s"));
    println!(
        "outage windows: 19 s {before:.3}, 25 s {d25:.3}, 29.9 s {d29:.3}, 45 s {d45:.3}, 55 s {d55:.3} (s)"
    );
    assert!(before < 0.1);
    // During the cut the window grows one second per second.
    assert!((4.8..=5.3).contains(&d25), "{d25}");
    assert!((9.7..=10.2).contains(&d29), "{d29}");
    // Catching up at the link's spare capacity (about 20 s for a 10 s cut at 67% load).
    assert!(d45 > 1.0 && d45 < d29, "{d45}");
    assert!(d55 < 0.1, "{d55}");
    // A disaster during the cut loses more writes than one after recovery.
    let lost = |at: &str| {
        run_scenario("outage.toml", &[&format!("disaster.at={at}")], false)
            .report
            .sites[0]
            .core
            .lost_writes
    };
    assert!(lost("25s") > 50 * lost("55s").max(1));
    // The outputs agree (the scenario's own disaster, during the cut).
    let r = run_scenario("outage.toml", &[], true).report;
    assert!(r.model.sidefile_peak > 4000);
}

#[test]
fn a_link_cut_fault_is_the_same_as_a_scheduled_outage() {
    let a = run_scenario("outage.toml", &[], false).report;
    let b = run_scenario(
        "outage.toml",
        &[
            "link.outages=[]",
            "faults=[{ kind = \"link_cut\", site = \"S1\", at = \"20s\", until = \"30s\" }]",
        ],
        false,
    )
    .report;
    let (x, y) = (&a.sites[0].core, &b.sites[0].core);
    assert_eq!(x.consistency_seq, y.consistency_seq);
    assert_eq!(x.data_loss_window_ns, y.data_loss_window_ns);
}

#[test]
fn outage_wait_is_not_attributed_to_propagation() {
    let r = run_scenario("outage.toml", &[], false).report;
    let att = &r.sites[0].delay_attribution;
    // 300 km is 1.5 ms one way; the 5 s of lag at the disaster are the cut.
    assert!(
        att["propagation"] < 0.2,
        "propagation share {} during a link outage",
        att["propagation"]
    );
}

// ----------------------------------------------------------------------------------------
// Trace-driven.

/// (write operations, bytes written) of an SPC trace file.
fn spc_writes(path: &Path) -> (u64, u64) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut n = 0;
    let mut bytes = 0;
    for l in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let f: Vec<&str> = l.split(',').map(str::trim).collect();
        if f[3].eq_ignore_ascii_case("w") {
            n += 1;
            bytes += f[2].parse::<u64>().unwrap();
        }
    }
    (n, bytes)
}

#[test]
fn trace_driven_replays_the_spc_trace() {
    let (trace_writes, _) = spc_writes(&file("traces/small-oltp.spc"));
    assert_eq!(trace_writes, 3122);
    // The scenario's disaster, inside the busiest second of the trace.
    let out = run_scenario("trace-driven.toml", &[], true);
    let r = &out.report;
    assert!(consistent(r));
    let s = &r.sites[0].core;
    for ds in &s.lost_datasets {
        assert!(
            ds.starts_with("OLTP.") || ds.starts_with("FILESRV.D"),
            "{ds}"
        );
    }
    // The trace's writes before the disaster, one operation each (more when split).
    let before = std::fs::read_to_string(file("traces/small-oltp.spc"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            let f: Vec<&str> = l.split(',').collect();
            f[3].eq_ignore_ascii_case("w") && f[4].trim().parse::<f64>().unwrap() < 223.1
        })
        .count() as u64;
    assert!(
        s.writes_routed >= before,
        "{} writes routed, the trace has {before} before the disaster",
        s.writes_routed
    );
    // The whole trace, drained: every write replicated, nothing lost.
    let all = run_scenario(
        "trace-driven.toml",
        &["disaster.at=none", "run.drain=true"],
        true,
    )
    .report;
    let a = &all.sites[0].core;
    assert!(all.drained && consistent(&all));
    assert!(a.writes_routed >= trace_writes, "{}", a.writes_routed);
    assert!(a.writes_routed <= trace_writes + 50);
    assert_eq!(a.writes_applied, a.writes_routed);
    assert_eq!(a.lost_writes, 0);
}

#[test]
fn trace_driven_replicates_every_byte_of_the_trace() {
    let (_, trace_bytes) = spc_writes(&file("traces/small-oltp.spc"));
    let r = run_scenario(
        "trace-driven.toml",
        &["disaster.at=none", "run.drain=true"],
        false,
    )
    .report;
    assert_eq!(r.model.unit_checks, 0, "I/Os ended in unit check");
    // Every record a write touches is written whole: at least the trace's bytes.
    assert!(
        r.primary.bytes >= trace_bytes,
        "{} bytes written, the trace writes {trace_bytes}",
        r.primary.bytes
    );
}

// ----------------------------------------------------------------------------------------
// Large.

#[test]
#[cfg_attr(debug_assertions, ignore = "performance scenario: run with --release")]
fn large_scenario_runs_10000_volumes() {
    let path = file("large.toml");
    let src = read_file(&path).unwrap();
    let built = prepare(&src, &[], path.parent().unwrap()).unwrap();
    let w = &built.world;
    let primaries = w
        .volumes
        .iter()
        .filter(|v| w.subsystems[v.subsystem.0 as usize].site.is_none())
        .count();
    assert_eq!(primaries, 10_000);
    assert_eq!(
        w.subsystems.iter().filter(|s| s.site.is_none()).count(),
        100
    );
    assert_eq!(w.copy.pairs.len(), 10_000);
    assert_eq!(w.hosts.len(), 4);
    let out = run(&built, &RunOptions::default()).unwrap();
    let r = &out.report;
    println!(
        "large: {} writes, {} events in {:.2} s wall: {:.0} writes per wall second",
        r.primary.writes, r.events, r.wall_s, r.writes_per_wall_s
    );
    assert!(r.primary.writes > 80_000);
    assert!(consistent(r));
    assert!(r.sites[0].core.data_loss_window_ns < 100_000_000);
    assert!(r.writes_per_wall_s > 0.0 && r.wall_s < 60.0);
}

// ----------------------------------------------------------------------------------------
// Sweeps, end to end.

/// Runs library sweep `name` into a temporary directory; returns (results, its directory).
fn run_library_sweep(name: &str) -> (scenarios::sweep::ResultTable, PathBuf) {
    use scenarios::sweep::{SweepOptions, load_sweep, read_results, run_sweep};
    let sweep = load_sweep(file(&format!("sweeps/{name}"))).unwrap();
    let base = read_file(&sweep.base).unwrap();
    let base_dir = sweep.base.parent().unwrap().to_path_buf();
    let dir = tmp(&format!("sweep-{name}"));
    let opts = SweepOptions {
        jobs: Some(2),
        quiet: true,
        ..SweepOptions::new(&dir)
    };
    let summary = run_sweep(&sweep, &opts, |row| {
        scenarios::sweep_row(&base, &base_dir, row)
    })
    .unwrap();
    assert!(summary.complete(), "{name}: {summary}");
    let table = read_results(&dir.join("results.csv")).unwrap();
    assert_eq!(table.records.len(), sweep.row_count());
    (table, dir)
}

/// Mean of numeric column `y` over the records whose column `x` is `v`.
fn mean_where(t: &scenarios::sweep::ResultTable, x: &str, v: &str, y: &str) -> f64 {
    let (cx, cy) = (t.column(x).unwrap(), t.column(y).unwrap());
    let ys: Vec<f64> = t
        .records
        .iter()
        .filter(|r| r[cx] == v)
        .map(|r| r[cy].parse::<f64>().unwrap())
        .collect();
    assert!(!ys.is_empty(), "no rows with {x} = {v}");
    ys.iter().sum::<f64>() / ys.len() as f64
}

#[test]
fn bandwidth_sweep_window_falls_as_the_link_grows() {
    let (t, dir) = run_library_sweep("bandwidth.toml");
    let x = "link.bandwidth_mbps";
    let y = "sites.0.data_loss_window_ns";
    let w: Vec<f64> = ["1.544", "44.736", "155.52", "1000.0", "10000.0"]
        .iter()
        .map(|v| mean_where(&t, x, v, y) / 1e6)
        .collect();
    println!("bandwidth sweep, mean window (ms): {w:?}");
    assert!(w[0] > 5_000.0, "T1 is overloaded: {w:?}");
    assert!(w[1] < 50.0 && w[1] >= w[2] && w[0] > w[1], "{w:?}");
    assert!(w[2..].iter().all(|&x| x < 20.0), "{w:?}");
    assert!(dir.join("window-vs-bandwidth.svg").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn modes_sweep_shows_what_each_mode_trades() {
    let (t, dir) = run_library_sweep("modes.toml");
    let x = "copy.mode";
    let p50 = |m: &str| mean_where(&t, x, m, "primary.write_response_ns.p50") / 1e6;
    let win = |m: &str| mean_where(&t, x, m, "sites.0.data_loss_window_ns") / 1e6;
    let viol = |m: &str| mean_where(&t, x, m, "sites.0.dependent_write_violations");
    for m in ["xrc", "xrc-prt", "naive", "pit"] {
        assert!(p50(m) < 1.0, "{m}: p50 {} ms", p50(m));
    }
    assert!(p50("sync") > 3.0);
    assert!(win("sync") < win("xrc") && win("xrc") < win("pit"));
    assert_eq!(
        viol("xrc") + viol("xrc-prt") + viol("sync") + viol("pit"),
        0.0
    );
    assert!(viol("naive") > 0.0);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn srdfa_recovers_a_cycle_and_a_half_behind_and_folds_rewrites() {
    let out = run_scenario("srdfa.toml", &[], true);
    let r = &out.report;
    assert!(consistent(r));
    let s = &r.sites[0];
    // Struck at 100 s: switches at 15, 30, ..., 90 s; the image holds the writes before 75 s.
    let w = ms(s.core.data_loss_window_ns);
    assert!((24_900.0..25_100.0).contains(&w), "window {w} ms");
    // The cycle being received (75-90 s) reached the site and was discarded.
    assert!(s.secondary_view.discarded_writes > 10_000);
    // Sampled over the run: about 1.5 cycles (the first 30 s, before any cycle is applied,
    // pull the mean down).
    let mean = ms(s.core.rpo_ns.mean);
    assert!((18_000.0..23_500.0).contains(&mean), "RPO mean {mean} ms");
    assert_eq!(r.model.cycles, 6);
    assert!(r.link.bytes < r.primary.bytes, "write folding");
}

#[test]
fn gm_forms_groups_on_oc3_and_fails_them_on_t3() {
    let out = run_scenario("gm.toml", &[], true);
    let r = &out.report;
    assert!(consistent(r));
    assert!(
        r.model.consistency_groups >= 10,
        "{}",
        r.model.consistency_groups
    );
    assert_eq!(r.model.cg_failures, 0);
    let mean = ms(r.sites[0].core.rpo_ns.mean);
    assert!((5_000.0..15_000.0).contains(&mean), "RPO mean {mean} ms");
    // Whole tracks for 4 KiB updates: more bytes on the link than written.
    assert!(r.link.bytes > 3 * r.primary.bytes, "track granularity");
    let t3 = run_scenario("gm.toml", &["link.bandwidth_mbps=44.736"], false).report;
    assert!(consistent(&t3));
    assert!(t3.model.cg_failures > 0);
    assert!(ms(t3.sites[0].core.data_loss_window_ns) > 60_000.0);
    let records = run_scenario(
        "gm.toml",
        &["link.bandwidth_mbps=44.736", "copy.gm_whole_tracks=false"],
        false,
    )
    .report;
    assert_eq!(records.model.cg_failures, 0);
    assert!(ms(records.sites[0].core.rpo_ns.mean) < 8_000.0);
}

#[test]
fn ur_pays_the_pull_round_trip_far_away_and_agrees_with_xrc_close_by() {
    let out = run_scenario("ur.toml", &[], true);
    let r = &out.report;
    assert!(consistent(r));
    assert!(r.model.journal_reads > 100);
    let ur = ms(r.sites[0].core.rpo_ns.mean);
    let xrc = ms(run_scenario("ur.toml", &["copy.mode=xrc"], false)
        .report
        .sites[0]
        .core
        .rpo_ns
        .mean);
    assert!((100.0..150.0).contains(&ur), "ur {ur} ms");
    assert!((10.0..30.0).contains(&xrc), "xrc {xrc} ms");
    let near = |mode: &str| {
        ms(run_scenario(
            "ur.toml",
            &["link.distance_km=30", &format!("copy.mode={mode}")],
            false,
        )
        .report
        .sites[0]
            .core
            .rpo_ns
            .mean)
    };
    let (u, x) = (near("ur"), near("xrc"));
    assert!((u - x).abs() / x < 0.10, "30 km: ur {u} ms, xrc {x} ms");
}

// ----------------------------------------------------------------------------------------
// CKD channel-program mix.

/// ckd-mix.toml: every channel-program family and every error path is exercised (non-zero
/// unit checks, senses, retries, failed requests, format writes, multi-track writes, RPS
/// misses, control-unit busy), and the secondary is consistent: prefix-consistent, no
/// mismatched record, no dependent write without its predecessor, the independent checker
/// agreeing with trace, image and report, and the trace's `unit_check` lines matching the
/// report's counts.
#[test]
fn ckd_mix_runs_every_program_and_error_and_stays_consistent() {
    let out = run_scenario("ckd-mix.toml", &[], true);
    let r = &out.report;
    let m = &r.model;
    for (what, n) in [
        ("unit_checks", m.unit_checks),
        ("senses", m.senses),
        ("retries", m.retries),
        ("failed_requests", m.failed_requests),
        ("format_writes", m.format_writes),
        ("multitrack_writes", m.multitrack_writes),
        ("rps_misses", m.rps_misses),
        ("cu_busy", m.cu_busy),
        ("threshold_destages", m.threshold_destages),
    ] {
        assert!(n > 0, "ckd-mix: {what} = 0: {m:?}");
    }
    // Every unit check was sensed; each sensed one was retried or failed (a few may be
    // in recovery when the primary is lost).
    assert_eq!(m.senses, m.unit_checks);
    assert!(m.retries + m.failed_requests <= m.senses);
    assert!(m.retries + m.failed_requests + 20 >= m.senses, "{m:?}");
    assert!(consistent(r), "ckd-mix: not consistent");
    for s in &r.sites {
        assert_eq!(s.core.mismatched_records, 0);
        assert_eq!(s.core.dependent_write_violations, 0);
    }
    let trace = out.trace.unwrap();
    let lines: Vec<Value> = trace
        .lines()
        .filter(|l| l.contains("\"unit_check\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let retried = lines.iter().filter(|v| v["action"] == "retry").count() as u64;
    let failed = lines.iter().filter(|v| v["action"] == "fail").count() as u64;
    assert_eq!((retried, failed), (m.retries, m.failed_requests));
    // Only equipment checks (sense byte 0 X'10') are retried; no record found (X'0008'),
    // file protected (X'0004') and invalid track format (X'0040') fail the request.
    for v in &lines {
        let sense = v["sense"].as_str().unwrap();
        let retry = v["action"] == "retry";
        assert_eq!(retry, sense == "1000", "{v}");
        assert!(
            ["1000", "0008", "0004", "0040"].contains(&sense),
            "unexpected sense {sense}"
        );
    }
    for sense in ["0008", "0004", "0040"] {
        assert!(
            lines.iter().any(|v| v["sense"] == sense),
            "no unit check with sense {sense}"
        );
    }
}

/// The program mix and the timing options are off by default: the scenario without them
/// has no unit check, format write or RPS miss (what every other library scenario shows).
#[test]
fn ckd_mix_without_its_keys_is_the_old_model() {
    let r = run_scenario(
        "baseline.toml",
        &["disaster.at=10s", "run.length=12s"],
        false,
    )
    .report;
    let m = &r.model;
    assert_eq!(
        (
            m.unit_checks,
            m.senses,
            m.format_writes,
            m.rps_misses,
            m.cu_busy
        ),
        (0, 0, 0, 0, 0)
    );
}

// ----------------------------------------------------------------------------------------
// zgm: IBM XRC as shipped (z/OS Global Mirror).

/// The report's zgm view of site 0.
fn zgm_view(r: &Report) -> &models::world::zgm::ZgmRecovery {
    r.sites[0]
        .secondary_view
        .zgm
        .as_ref()
        .expect("a zgm run reports the SDM's view")
}

/// `zgm.toml`: a consistent image at the journal (consistency) time, a recovery point of
/// about a second (IBM: "a few seconds"), every storage-control session read up to near the
/// disaster, and the report in the product's terms.
#[test]
fn zgm_recovers_consistently_to_its_consistency_time_seconds_behind() {
    let o = run_scenario("zgm.toml", &[], true);
    let r = &o.report;
    assert!(consistent(r), "{}", human(r, false));
    let s = &r.sites[0];
    let rpo = ms(s.core.rpo_ns.mean);
    assert!((500.0..5000.0).contains(&rpo), "RPO mean {rpo} ms");
    let z = zgm_view(r);
    assert!(z.coupled);
    assert_eq!(z.sessions.len(), 1);
    let x = &z.sessions[0];
    let disaster = r.disaster_at_ns.unwrap();
    // The recovery point: behind the disaster by about the read interval.
    assert!(x.consistency_time_ns < disaster);
    assert!(disaster - x.consistency_time_ns < 3_000_000_000, "{x:?}");
    assert_eq!(x.recovered_to_ns, x.consistency_time_ns);
    assert_eq!(z.master_time_ns, x.consistency_time_ns);
    assert_eq!(x.storage_controls.len(), 2);
    for c in &x.storage_controls {
        assert!(
            c.latest_time_stamp_read_ns > disaster - 3_000_000_000,
            "{c:?}"
        );
    }
    // The truth: nothing stamped before the consistency time is lost (A + 1 is later).
    let first_lost_at = disaster - s.core.data_loss_window_ns;
    assert!(
        first_lost_at > x.consistency_time_ns,
        "{first_lost_at} {x:?}"
    );
    assert!(
        s.disagreements
            .iter()
            .all(|d| !d.contains("different times"))
    );
    let text = human(r, false);
    assert!(
        text.contains("XRECOVER") && text.contains("latest time stamp read"),
        "{text}"
    );
    assert_eq!(r.zgm.len(), 1);
    assert!(r.zgm[0].delay.contains_key("primary"), "{:?}", r.zgm[0]);
}

/// `zgm-journal.toml`: the journal slower than the offload bounds the copy: the recovery
/// point falls further behind the longer it runs, and the delay is the journal's; with a
/// journal too small for the groups waiting on a slowed secondary, it stays full past its
/// timeout and the session suspends.
#[test]
fn zgm_journal_slower_than_offload_is_the_bottleneck_and_a_full_journal_suspends() {
    let fast = run_scenario("zgm.toml", &[], false).report;
    let slow = run_scenario("zgm-journal.toml", &[], true).report;
    assert!(consistent(&slow), "{}", human(&slow, false));
    let (f, s) = (&fast.sites[0].core, &slow.sites[0].core);
    assert!(
        s.rpo_ns.mean > 5 * f.rpo_ns.mean,
        "journal-bound RPO {} vs {}",
        ms(s.rpo_ns.mean),
        ms(f.rpo_ns.mean)
    );
    // Growing: struck at 30 s instead of 60 s, the recovery point is much nearer.
    let early = run_scenario("zgm-journal.toml", &["disaster.at=30s"], false).report;
    let e = &early.sites[0].core;
    assert!(
        s.rpo_ns.mean > e.rpo_ns.mean * 3 / 2,
        "RPO at 60 s {} vs at 30 s {}",
        ms(s.rpo_ns.mean),
        ms(e.rpo_ns.mean)
    );
    let d = &slow.zgm[0].delay;
    assert!(d["journal"] > 0.8, "{d:?}");
    // Journal full for its timeout: suspension.
    let full = run_scenario(
        "zgm.toml",
        &[
            "copy.zgm.journal.capacity_mb=16",
            "copy.zgm.journal.full_timeout=3s",
            "faults=[{kind=\"secondary_slowdown\", site=\"S1\", at=\"20s\", until=\"50s\", factor=40}]",
        ],
        true,
    )
    .report;
    let sus = &full.model.suspensions;
    assert_eq!(sus.len(), 1, "{sus:?}");
    assert_eq!(sus[0].1, "journal full for the timeout");
    assert!(consistent(&full), "{}", human(&full, false));
    // The consistency time stops at the suspension.
    let ct = zgm_view(&full).sessions[0].consistency_time_ns;
    assert!(ct <= sus[0].0, "{ct} after the suspension {}", sus[0].0);
}

/// `zgm-coupled.toml`: coupled, both sessions recover to the master recoverable time and
/// the image is consistent; uncoupled, each recovers to its own time and dependent writes
/// across the sessions break (the checker: violations, no consistent prefix).
#[test]
fn zgm_coupled_sessions_recover_to_one_time_and_uncoupled_ones_break_dependent_writes() {
    let c = run_scenario("zgm-coupled.toml", &[], true).report;
    assert!(consistent(&c), "{}", human(&c, false));
    let z = zgm_view(&c);
    assert_eq!(z.sessions.len(), 2);
    for x in &z.sessions {
        assert_eq!(x.recovered_to_ns, z.master_time_ns, "{x:?}");
    }
    let logs = &z.sessions[0];
    assert!(
        logs.consistency_time_ns > z.master_time_ns,
        "LOGS journaled past the master time: {z:?}"
    );
    let u = run_scenario("zgm-coupled.toml", &["copy.zgm.coupled=false"], true).report;
    let s = &u.sites[0];
    assert!(!u.consistent());
    assert!(s.core.dependent_write_violations > 0, "{:?}", s.core);
    assert!(!s.core.prefix_consistent);
    let zu = zgm_view(&u);
    assert!(
        zu.sessions[0].recovered_to_ns > zu.sessions[1].recovered_to_ns,
        "{zu:?}"
    );
    assert!(
        s.disagreements
            .iter()
            .any(|d| d.contains("different times")),
        "{:?}",
        s.disagreements
    );
}

/// The read hit ratio of the primary storage control `name`.
fn hit_ratio(r: &Report, name: &str) -> f64 {
    r.storage_controls
        .iter()
        .find(|s| s.name == name)
        .and_then(|s| s.read_hit_ratio)
        .expect("the storage control served reads")
}

#[test]
fn copy_cost_raises_write_response_and_takes_cache_from_reads() {
    let cost = run_scenario("copy-cost.toml", &[], true).report;
    let free = run_scenario("copy-cost.toml", &["copy.primary_cost=false"], false).report;
    let (rc, rf) = (
        ms(cost.primary.write_response_ns.mean),
        ms(free.primary.write_response_ns.mean),
    );
    assert!(
        rc > rf * 1.5,
        "write response {rc:.3} ms with the cost, {rf:.3} ms without"
    );
    let (hc, hf) = (hit_ratio(&cost, "SSA1"), hit_ratio(&free, "SSA1"));
    assert!(
        hc < hf - 0.05,
        "read hit ratio {hc:.3} with the cost, {hf:.3} without"
    );
    let sc = &cost.storage_controls[0];
    assert!(sc.copy_reads > 0 && sc.copy_path_busy_ns > 0, "{sc:?}");
    assert_eq!(free.storage_controls[0].copy_reads, 0);
    // xrc holds record sets only until read: less cache than xrc-prt's work list.
    let xrc = run_scenario("copy-cost.toml", &["copy.mode=xrc"], false).report;
    assert!(
        hit_ratio(&xrc, "SSA1") > hc,
        "xrc {:.3} vs xrc-prt {hc:.3}",
        hit_ratio(&xrc, "SSA1")
    );
    assert!(
        consistent(&cost),
        "the cost changes timing, not consistency"
    );
}

#[test]
fn pprc_freeze_keeps_the_secondary_consistent_and_crit_no_alone_does_not() {
    let rolling = run_scenario("pprc-freeze.toml", &[], true).report;
    let freeze = run_scenario("pprc-freeze.toml", &["copy.sync.freeze=true"], true).report;
    let hold = run_scenario("pprc-freeze.toml", &["copy.sync.critical=yes"], false).report;
    // Without freeze: a data write reached the secondary after its log write's pair had
    // suspended: a dependent write without its predecessor.
    let s = &rolling.sites[0];
    assert!(s.core.dependent_write_violations > 0, "{:?}", s.core);
    assert!(!rolling.consistent());
    assert!(
        rolling.volumes.iter().any(|v| v.state == "suspended")
            && rolling.volumes.iter().any(|v| v.state == "duplex"),
        "some pairs suspended, others still duplex: {:?}",
        rolling.volumes
    );
    // Freeze: every pair suspended at once, the image consistent; writes went on locally.
    assert!(consistent(&freeze));
    assert!(freeze.volumes.iter().all(|v| v.state == "suspended"));
    assert_eq!(freeze.model.suspensions.len(), 1);
    let f = &freeze.sites[0].core;
    assert!(
        f.acknowledged_writes_lost > 0,
        "CRIT(NO) trades data for availability"
    );
    // Both CRIT(NO) variants bound the response by the timeout; CRIT(YES) waits for the cut.
    for r in [&rolling, &freeze] {
        let max = ms(r.primary.write_response_ns.max);
        assert!((2000.0..2100.0).contains(&max), "max response {max} ms");
    }
    let max = ms(hold.primary.write_response_ns.max);
    assert!(
        (3000.0..3100.0).contains(&max),
        "CRIT(YES) max response {max} ms"
    );
    assert!(consistent(&hold));
    assert_eq!(hold.sites[0].core.acknowledged_writes_lost, 0);
}

/// zgm's storage-control sidefiles hold their record sets' data in the primary's cache
/// until the SDM reads them (`copy.primary_cost`), none without the copy's cost.
#[test]
fn zgm_sidefile_holds_cache_until_read() {
    let held = |sets: &[&str]| {
        run_scenario("zgm.toml", sets, false)
            .report
            .storage_controls
            .iter()
            .map(|s| s.copy_cache_tracks)
            .sum::<u64>()
    };
    // A 2 s read interval: about a second of writes waits in the sidefiles on average.
    let waiting = held(&["copy.zgm.read_interval=2s"]);
    assert!(waiting > 20, "{waiting} tracks");
    assert_eq!(held(&["copy.primary_cost=false"]), 0);
}

/// What a `sync` trace says about the writes: per sequence number its volume, when its
/// host write ended, when its data first reached site S1 and when it was applied there;
/// and the link's cut and restore, the resynchronisation's start and the pair states.
struct SyncTrace {
    vol: BTreeMap<u64, String>,
    done: BTreeMap<u64, u64>,
    arrived: BTreeMap<u64, u64>,
    applied: BTreeMap<u64, Vec<u64>>,
    cut: u64,
    restored: u64,
    resync: Option<u64>,
    /// (t, pair, state) in trace order.
    states: Vec<(u64, u64, String)>,
}

fn sync_trace(trace: &str) -> SyncTrace {
    let mut s = SyncTrace {
        vol: BTreeMap::new(),
        done: BTreeMap::new(),
        arrived: BTreeMap::new(),
        applied: BTreeMap::new(),
        cut: 0,
        restored: 0,
        resync: None,
        states: Vec::new(),
    };
    for line in trace.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        let t = e["t"].as_u64().unwrap_or(0);
        let seq = e["seq"].as_u64().unwrap_or(0);
        match e["ev"].as_str().unwrap() {
            "seq" => {
                s.vol.insert(seq, e["vol"].as_str().unwrap().to_string());
            }
            "write_done" => {
                s.done.insert(seq, t);
            }
            "data_rx" => {
                s.arrived.entry(seq).or_insert(t);
            }
            "apply" => s.applied.entry(seq).or_default().push(t),
            "link_cut" => s.cut = t,
            "link_restored" => s.restored = t,
            "resync" => s.resync = Some(t),
            "pair_state" => s.states.push((
                t,
                e["pair"].as_u64().unwrap(),
                e["state"].as_str().unwrap().to_string(),
            )),
            _ => {}
        }
    }
    s
}

/// CRIT(NO) without freeze: a write still waiting for the dead link when its pair
/// suspends completes at the primary and its queued update is withdrawn (a skip notice
/// goes instead), so it is never applied when the link comes back; each suspended
/// volume's secondary stays at what had reached it before the cut until the
/// resynchronisation, which makes the pairs pending, then duplex, and the image equal to
/// the primary's.
#[test]
fn pprc_resync_a_write_queued_at_its_suspension_never_reaches_the_secondary() {
    let out = run_scenario("pprc-resync.toml", &[], true);
    let tr = sync_trace(out.trace.as_deref().unwrap());
    let resync = tr.resync.expect("the pairs resynchronise");
    assert!(tr.cut > 0 && tr.restored > tr.cut && resync > tr.restored);
    let suspended: BTreeMap<u64, u64> = tr
        .states
        .iter()
        .filter(|(_, _, st)| st == "suspended")
        .map(|&(t, p, _)| (p, t))
        .collect();
    assert_eq!(suspended.len(), 7, "{:?}", tr.states);
    let mut queued_total = 0;
    for (&pair, &at) in &suspended {
        let volser = format!("PRI{pair:03}");
        let writes: Vec<u64> = tr
            .vol
            .iter()
            .filter(|(_, v)| **v == volser)
            .map(|(&q, _)| q)
            .collect();
        let before_resync: BTreeSet<u64> = writes
            .iter()
            .copied()
            .filter(|q| tr.applied.get(q).is_some_and(|a| a[0] < resync))
            .collect();
        let at_cut: BTreeSet<u64> = writes
            .iter()
            .copied()
            .filter(|q| tr.arrived.get(q).is_some_and(|&t| t < tr.cut))
            .collect();
        let diff: Vec<&u64> = before_resync
            .symmetric_difference(&at_cut)
            .take(10)
            .collect();
        assert!(
            diff.is_empty(),
            "{volser}: the secondary before the resynchronisation is not what reached it before the cut: {diff:?}"
        );
        // Writes that completed as the pair suspended (channel end within 1 ms of it), their
        // update not at the site: queued for the link at the suspension.
        let queued: Vec<u64> = writes
            .iter()
            .copied()
            .filter(|q| {
                tr.done
                    .get(q)
                    .is_some_and(|&d| (at..at + 1_000_000).contains(&d))
                    && !at_cut.contains(q)
            })
            .collect();
        queued_total += queued.len();
        for q in queued {
            let first = tr.applied.get(&q).map(|a| a[0]);
            assert!(
                first.is_none_or(|t| t >= resync),
                "{volser}: write {q} queued at the suspension applied at {first:?}, before the resynchronisation at {resync}"
            );
        }
    }
    assert!(
        queued_total > 0,
        "some writes were queued at the suspensions"
    );
    // Each suspended pair: pending when the resynchronisation starts, then duplex.
    for &pair in suspended.keys() {
        let after: Vec<&str> = tr
            .states
            .iter()
            .filter(|(t, p, _)| *p == pair && *t >= resync)
            .map(|(_, _, st)| st.as_str())
            .collect();
        assert_eq!(after, ["pending", "duplex"], "pair {pair}");
    }
    let r = &out.report;
    assert!(consistent(r), "after the resynchronisation: consistent");
    assert_eq!(
        r.sites[0].core.lost_writes, 0,
        "drained: the image is the primary's"
    );
    assert!(
        r.volumes.iter().all(|v| v.state == "duplex"),
        "{:?}",
        r.volumes
    );
}

/// With freeze every pair suspends at once and the updates queued then are withdrawn:
/// the secondary holds exactly what reached it before the cut, a consistent image.
#[test]
fn pprc_freeze_applies_exactly_what_reached_the_site_before_the_cut() {
    let out = run_scenario("pprc-freeze.toml", &["copy.sync.freeze=true"], true);
    let tr = sync_trace(out.trace.as_deref().unwrap());
    let applied: BTreeSet<u64> = tr.applied.keys().copied().collect();
    let at_cut: BTreeSet<u64> = tr
        .arrived
        .iter()
        .filter(|&(_, &t)| t < tr.cut)
        .map(|(&q, _)| q)
        .collect();
    let late: Vec<&u64> = applied.difference(&at_cut).take(10).collect();
    let missing: Vec<&u64> = at_cut.difference(&applied).take(10).collect();
    assert!(
        late.is_empty() && missing.is_empty(),
        "applied though arrived after the cut: {late:?}; arrived before it, not applied: {missing:?}"
    );
    assert!(consistent(&out.report));
}

/// `copy.sync.resync_after` takes a duration; anything else is refused naming the key.
#[test]
fn a_bad_resync_delay_is_refused_naming_the_key() {
    let path = file("pprc-resync.toml");
    let src = read_file(&path).unwrap();
    for bad in ["copy.sync.resync_after=soon", "copy.sync.resync_after=-1s"] {
        let e = prepare(&src, &[bad.to_string()], path.parent().unwrap())
            .map(|_| ())
            .expect_err(bad)
            .to_string();
        assert!(e.contains("resync_after"), "{bad}: {e}");
    }
    let ok = prepare(
        &src,
        &["copy.sync.resync_after=250ms".to_string()],
        path.parent().unwrap(),
    );
    assert!(ok.is_ok());
}
