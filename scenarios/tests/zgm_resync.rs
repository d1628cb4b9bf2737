//! `zgm` resynchronisation (`copy.zgm.auto_resync`), end to end on
//! `scenarios/zgm-resync.toml`: a link cut fills the sidefiles and suspends the session;
//! once the link is back and the backlog is applied, the changed tracks are copied (pairs
//! pending, consistency time frozen), then the pairs are duplex and the consistency time
//! advances again; a disaster after it finds a consistent image, one during the copy an
//! image that is not.

use models::obs::PairState;
use scenarios::build::Built;
use scenarios::report::Report;
use scenarios::runner::{Driver, RunOptions, run};
use scenarios::verify::verify;
use scenarios::{prepare, read_file};
use serde_json::Value;
use sim::SimTime;
use std::path::{Path, PathBuf};

fn file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

fn built(sets: &[&str]) -> Built {
    let path = file("zgm-resync.toml");
    let src = read_file(&path).expect("library file");
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    prepare(&src, &sets, path.parent().unwrap()).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs the scenario with its trace and image, has the independent checker agree, and
/// returns the report and the trace's events.
fn run_checked(sets: &[&str], tag: &str) -> (Report, Vec<Value>) {
    let b = built(sets);
    let dir = std::env::temp_dir().join(format!("xrcsim-zgm-resync-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let opts = RunOptions {
        trace: Some(dir.join("t.jsonl")),
        image: Some(dir.join("i.csv")),
        ..RunOptions::default()
    };
    let out = run(&b, &opts).expect("run");
    let trace = std::fs::read_to_string(dir.join("t.jsonl")).unwrap();
    let image = std::fs::read_to_string(dir.join("i.csv")).unwrap();
    let report_json = serde_json::to_string(&out.report).unwrap();
    let v = verify(&trace, &image, &report_json, b.world.run.length.as_nanos());
    assert!(v.problems.is_empty(), "{tag}: {:#?}", v.problems);
    std::fs::remove_dir_all(&dir).ok();
    let events = trace
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .collect();
    (out.report, events)
}

/// The times (ns) of the trace events named `ev`.
fn times(events: &[Value], ev: &str) -> Vec<u64> {
    events
        .iter()
        .filter(|e| e["ev"] == ev)
        .map(|e| e["t"].as_u64().unwrap())
        .collect()
}

const S: u64 = 1_000_000_000;

/// Suspend at the sidefile threshold during the cut, resynchronise after the link is back,
/// duplex again: the image at the disaster (60 s) is consistent and close behind.
#[test]
fn a_suspended_zgm_session_resynchronises_and_is_consistent_again() {
    let (r, events) = run_checked(&[], "after");
    let suspend = times(&events, "suspend");
    let resync = times(&events, "resync");
    let done = times(&events, "resync_done");
    assert_eq!(suspend.len(), 1, "one suspension: {suspend:?}");
    assert!(suspend[0] > 22 * S && suspend[0] < 30 * S, "{suspend:?}");
    assert_eq!(resync.len(), 1, "one resynchronisation: {resync:?}");
    assert!(
        resync[0] > 30 * S,
        "it starts after the link is restored (30 s): {resync:?}"
    );
    assert_eq!(done.len(), 1);
    assert!(done[0] > resync[0] && done[0] < 40 * S, "{done:?}");
    // Every pair: suspended, then pending at the resynchronisation, then duplex once the
    // copy is whole.
    let states: Vec<(u64, String)> = events
        .iter()
        .filter(|e| e["ev"] == "pair_state" && e["pair"] == 0)
        .map(|e| {
            (
                e["t"].as_u64().unwrap(),
                e["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            (suspend[0], "suspended".to_string()),
            (resync[0], "pending".to_string()),
            (done[0], "duplex".to_string()),
        ]
    );
    // The writes marked in the bitmap are exactly those numbered while suspended.
    let e = events.iter().find(|e| e["ev"] == "resync").unwrap();
    let (from, to) = (
        e["from_seq"].as_u64().unwrap(),
        e["to_seq"].as_u64().unwrap(),
    );
    let numbered: Vec<u64> = events
        .iter()
        .filter(|e| e["ev"] == "seq")
        .filter(|e| (suspend[0]..resync[0]).contains(&e["t"].as_u64().unwrap()))
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(
        (from, to),
        (numbered[0], *numbered.last().unwrap()),
        "the copy covers the suspension's writes"
    );
    // Consistent at the disaster, the consistency time back to about a second behind.
    assert!(r.consistent(), "{:?}", r.sites[0].disagreements);
    let z = r.sites[0].secondary_view.zgm.as_ref().unwrap();
    let ct = z.sessions[0].consistency_time_ns;
    assert!(ct > 58 * S && ct < 60 * S, "consistency time {ct}");
    // The volumes report shows each pair duplex, consistent to the session's time.
    for v in &r.volumes {
        assert_eq!(v.state, "duplex", "{v:?}");
        assert_eq!(v.bitmap_writes, 0);
        assert!(v.consistency_time_ns.is_some_and(|t| t > 58 * S), "{v:?}");
    }
}

/// The consistency time stops at the suspension, stays there while the changed tracks are
/// copied, and advances again once the pairs are duplex; the volumes query says the same.
#[test]
fn the_consistency_time_is_frozen_until_the_resynchronisation_is_whole() {
    let (_, events) = run_checked(&["disaster.at=none", "run.length=45s"], "probe");
    let suspend = times(&events, "suspend")[0];
    let resync = times(&events, "resync")[0];
    let done = times(&events, "resync_done")[0];
    let b = built(&["disaster.at=none", "run.length=45s"]);
    let mut d = Driver::start(&b, false).expect("driver");
    let probe = |d: &mut Driver, t: u64| {
        d.run_until(SimTime::from_nanos(t));
        let w = d.world();
        let ct = w.zgm_sessions()[0].consistency_time_ns;
        let q = w.volume_query();
        assert!(q.iter().all(|v| v.consistency_time == Some(ct)), "{q:?}");
        (ct, w.pair_state(0))
    };
    let (before, st) = probe(&mut d, suspend - S / 10);
    assert_eq!(st, PairState::Duplex);
    // The cut (20 s) already stopped the reads' answers.
    assert!(before > 18 * S && before < 20 * S, "{before}");
    let (behind, st) = probe(&mut d, resync - S / 10);
    assert_eq!(st, PairState::Suspended);
    assert!(
        behind >= before && behind < suspend,
        "the backlog read before the suspension is applied, nothing after it: {behind} vs {suspend}"
    );
    // The resynchronisation starts once the consistency time has reached the suspension,
    // and keeps it there until the copy is whole.
    let (start, st) = probe(&mut d, resync + 1);
    assert_eq!(st, PairState::Pending);
    assert_eq!(start, suspend - 1, "at the suspension");
    let (copying, st) = probe(&mut d, (resync + done) / 2);
    assert_eq!(st, PairState::Pending);
    assert_eq!(copying, start, "frozen while the copy is under way");
    let (after, st) = probe(&mut d, done + 3 * S);
    assert_eq!(st, PairState::Duplex);
    assert!(
        after > done,
        "advances again once duplex: {after} vs the copy's end {done}"
    );
}

/// A disaster during the copy: the secondary holds part of the changed tracks, which are
/// not in the journal's order: XRECOVER restores the journaled groups (to the frozen
/// consistency time) and the checker finds the image not consistent.
#[test]
fn a_disaster_during_the_copy_finds_the_secondary_not_consistent() {
    let (_, events) = run_checked(&["disaster.at=none", "run.length=45s"], "probe2");
    let resync = times(&events, "resync")[0];
    let done = times(&events, "resync_done")[0];
    let mid = (resync + done) / 2;
    let at = format!("disaster.at={}ms", mid / 1_000_000);
    let (r, events) = run_checked(&[&at], "during");
    assert!(times(&events, "resync_done").is_empty(), "struck mid-copy");
    assert!(!r.consistent(), "{:?}", r.sites[0].disagreements);
    let z = r.sites[0].secondary_view.zgm.as_ref().unwrap();
    let suspend = times(&events, "suspend")[0];
    assert!(z.sessions[0].consistency_time_ns < suspend);
}

/// Without `auto_resync` (the default) the session stays suspended: the consistency time
/// stays at the suspension and the writes since stay in the bitmap.
#[test]
fn without_auto_resync_the_session_stays_suspended() {
    let (r, events) = run_checked(&["copy.zgm.auto_resync=false"], "off");
    assert_eq!(times(&events, "suspend").len(), 1);
    assert!(times(&events, "resync").is_empty());
    let suspend = times(&events, "suspend")[0];
    for v in &r.volumes {
        assert_eq!(v.state, "suspended");
        assert!(v.bitmap_writes > 0);
        assert!(v.consistency_time_ns.is_some_and(|t| t < suspend), "{v:?}");
    }
}

#[test]
fn a_bad_auto_resync_is_refused_naming_the_key() {
    let path = file("zgm-resync.toml");
    let src = read_file(&path).unwrap();
    let e = prepare(
        &src,
        &["copy.zgm.auto_resync=maybe".to_string()],
        path.parent().unwrap(),
    )
    .map(|_| ())
    .expect_err("refused")
    .to_string();
    assert!(e.contains("auto_resync"), "{e}");
}

/// The other cause: a journal full for its timeout (a secondary 40 times slower from 20 s
/// to 40 s, a 16 MB journal) suspends the session; once the secondary is back to speed and
/// the journal has drained, the session resynchronises and the image at 80 s is consistent.
#[test]
fn a_journal_full_suspension_resynchronises_once_the_journal_drains() {
    let path = file("zgm.toml");
    let src = read_file(&path).unwrap();
    let sets: Vec<String> = [
        "copy.zgm.journal.capacity_mb=16",
        "copy.zgm.journal.full_timeout=3s",
        "faults=[{kind=\"secondary_slowdown\", site=\"S1\", at=\"20s\", until=\"40s\", factor=40}]",
        "copy.zgm.auto_resync=true",
        "disaster.at=80s",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let b = prepare(&src, &sets, path.parent().unwrap()).unwrap_or_else(|e| panic!("{e}"));
    let dir =
        std::env::temp_dir().join(format!("xrcsim-zgm-resync-{}-journal", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let opts = RunOptions {
        trace: Some(dir.join("t.jsonl")),
        image: Some(dir.join("i.csv")),
        ..RunOptions::default()
    };
    let out = run(&b, &opts).expect("run");
    let trace = std::fs::read_to_string(dir.join("t.jsonl")).unwrap();
    let image = std::fs::read_to_string(dir.join("i.csv")).unwrap();
    let v = verify(
        &trace,
        &image,
        &serde_json::to_string(&out.report).unwrap(),
        b.world.run.length.as_nanos(),
    );
    assert!(v.problems.is_empty(), "{:#?}", v.problems);
    std::fs::remove_dir_all(&dir).ok();
    let events: Vec<Value> = trace
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let r = out.report;
    assert_eq!(r.model.suspensions.len(), 1);
    assert_eq!(r.model.suspensions[0].1, "journal full for the timeout");
    let resync = times(&events, "resync");
    let done = times(&events, "resync_done");
    assert_eq!(resync.len(), 1, "{resync:?}");
    assert!(resync[0] > 40 * S, "after the slowdown: {resync:?}");
    assert_eq!(done.len(), 1);
    assert!(r.consistent(), "{:?}", r.sites[0].disagreements);
    let ct = r.sites[0].secondary_view.zgm.as_ref().unwrap().sessions[0].consistency_time_ns;
    assert!(ct > done[0] && ct > 78 * S, "advancing again: {ct}");
}
