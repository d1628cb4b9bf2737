//! The three outputs of a run (JSONL trace, image CSV, JSON report) agree with each other to
//! the unit, as an independent checker recomputes them from the raw events; for every mode,
//! with and without disaster, link cut or not.

use scenarios::runner::{RunOptions, run};
use scenarios::verify::verify;
use scenarios::{BASELINE, Source, prepare};
use std::path::PathBuf;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("xrcsim-contract-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs the baseline with `sets`, writes the three files, returns their texts and the end
/// of the workload.
fn run_files(
    name: &str,
    sets: &[&str],
) -> (String, String, String, u64, scenarios::report::Report) {
    let dir = tmp(name);
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let built =
        prepare(&Source::new("baseline.toml", BASELINE), &sets, &dir).expect("valid scenario");
    let opts = RunOptions {
        trace: Some(dir.join("t.jsonl")),
        image: Some(dir.join("i.csv")),
        progress: false,
        ..RunOptions::default()
    };
    let out = run(&built, &opts).expect("run");
    std::fs::write(
        dir.join("r.json"),
        serde_json::to_string(&out.report).unwrap(),
    )
    .unwrap();
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    assert!(!dir.join("t.jsonl.partial").exists() && !dir.join("i.csv.partial").exists());
    let res = (
        read("t.jsonl"),
        read("i.csv"),
        read("r.json"),
        built.world.run.length.as_nanos(),
        out.report,
    );
    std::fs::remove_dir_all(&dir).ok();
    res
}

fn check(name: &str, sets: &[&str]) -> scenarios::report::Report {
    let (t, i, r, end, report) = run_files(name, sets);
    let v = verify(&t, &i, &r, end);
    assert!(v.problems.is_empty(), "{name}: {:#?}", v.problems);
    assert!(!v.sites.is_empty());
    report
}

#[test]
fn outputs_agree_for_every_mode_with_a_disaster() {
    for mode in [
        "xrc", "xrc-prt", "sync", "naive", "pit", "zgm", "srdfa", "gm", "ur",
    ] {
        let r = check(
            mode,
            &[
                "run.length=8s",
                "disaster.at=5s",
                &format!("copy.mode={mode}"),
                "copy.pit_interval=1s",
                "copy.min_cycle_time=1s",
                "copy.flashcopy_time=100ms",
            ],
        );
        assert_eq!(r.disaster_at_ns, Some(5_000_000_000));
        assert!(r.primary.writes > 3000, "{mode}");
    }
}

#[test]
fn outputs_agree_when_the_link_is_cut_with_the_disaster() {
    let r = check(
        "cut",
        &[
            "run.length=8s",
            "disaster.at=4.5s",
            "disaster.cut_link=true",
            "link.distance_km=3000",
        ],
    );
    let s = &r.sites[0].core;
    assert!(s.lost_writes > 0);
    assert!(s.prefix_consistent);
}

#[test]
fn outputs_agree_without_disaster_and_after_a_drain() {
    let r = check("end", &["run.length=3s", "disaster.at=none"]);
    assert_eq!(r.disaster_at_ns, None);
    let r = check(
        "drain",
        &["run.length=3s", "disaster.at=none", "run.drain=true"],
    );
    assert!(r.drained);
    assert_eq!(r.sites[0].core.lost_writes, 0);
}

/// A run that really is inconsistent (`naive-fuzzy.toml`): the report says so, and the
/// checker, recomputing from the trace, agrees field by field.
#[test]
fn naive_inconsistency_is_reported_and_agrees() {
    let dir = tmp("naive-fuzzy");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("naive-fuzzy.toml");
    let src = scenarios::read_file(&path).unwrap();
    let built = prepare(&src, &[], path.parent().unwrap()).unwrap();
    let opts = RunOptions {
        trace: Some(dir.join("t.jsonl")),
        image: Some(dir.join("i.csv")),
        progress: false,
        ..RunOptions::default()
    };
    let out = run(&built, &opts).unwrap();
    let r = serde_json::to_string(&out.report).unwrap();
    let t = std::fs::read_to_string(dir.join("t.jsonl")).unwrap();
    let i = std::fs::read_to_string(dir.join("i.csv")).unwrap();
    let v = verify(&t, &i, &r, built.world.run.length.as_nanos());
    assert!(v.problems.is_empty(), "{:#?}", v.problems);
    assert!(
        !out.report.consistent(),
        "naive-fuzzy must be caught inconsistent"
    );
    let s = &v.sites["S1"];
    assert!(
        s.consistent_seq.is_none() || s.mismatched_records > 0 || s.dependent_write_violations > 0
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The checker is not a rubber stamp: tampering with any of the three files is caught.
#[test]
fn the_checker_catches_tampering() {
    let (t, i, r, end, _) = run_files(
        "tamper",
        &["run.length=4s", "disaster.at=2s", "disaster.cut_link=true"],
    );
    assert!(verify(&t, &i, &r, end).problems.is_empty());
    let mut rep: serde_json::Value = serde_json::from_str(&r).unwrap();
    rep["sites"][0]["consistency_seq"] =
        serde_json::json!(rep["sites"][0]["consistency_seq"].as_u64().unwrap() + 1);
    let p = verify(&t, &i, &rep.to_string(), end).problems;
    assert!(p.iter().any(|x| x.contains("consistency_seq")), "{p:?}");
    let mut rep: serde_json::Value = serde_json::from_str(&r).unwrap();
    rep["sites"][0]["data_loss_window_ns"] = serde_json::json!(1);
    assert!(!verify(&t, &i, &rep.to_string(), end).problems.is_empty());
    // Drop one image row.
    let short: Vec<&str> = i.lines().collect();
    let without = [&short[..short.len() / 2], &short[short.len() / 2 + 1..]]
        .concat()
        .join("\n");
    assert!(
        verify(&t, &without, &r, end)
            .problems
            .iter()
            .any(|x| x.contains("image"))
    );
    // Drop a data_rx line: A moves, or an apply happens without data.
    let idx = t.lines().position(|l| l.contains("\"data_rx\"")).unwrap();
    let t2: Vec<&str> = t
        .lines()
        .enumerate()
        .filter(|(k, _)| *k != idx)
        .map(|(_, l)| l)
        .collect();
    assert!(!verify(&t2.join("\n"), &i, &r, end).problems.is_empty());
    // Reorder two applies.
    let lines: Vec<&str> = t.lines().collect();
    let a: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("\"apply\""))
        .map(|(k, _)| k)
        .take(2)
        .collect();
    let mut l2 = lines.clone();
    let (x, y) = (lines[a[0]].to_string(), lines[a[1]].to_string());
    // Swap the seq numbers, keeping the times in order.
    let sx = x
        .split("\"seq\":")
        .nth(1)
        .unwrap()
        .trim_end_matches('}')
        .to_string();
    let sy = y
        .split("\"seq\":")
        .nth(1)
        .unwrap()
        .trim_end_matches('}')
        .to_string();
    let nx = x.replace(&format!("\"seq\":{sx}"), &format!("\"seq\":{sy}"));
    let ny = y.replace(&format!("\"seq\":{sy}"), &format!("\"seq\":{sx}"));
    l2[a[0]] = &nx;
    l2[a[1]] = &ny;
    let p = verify(&l2.join("\n"), &i, &r, end).problems;
    assert!(
        p.iter().any(|x| x.contains("not in sequence order")),
        "{p:?}"
    );
}

/// Suspension (link outage beyond the timeout), bitmap, resynchronisation: the outputs
/// still agree, drained and with a disaster during the resynchronisation.
#[test]
fn outputs_agree_through_suspension_and_resync() {
    let base = [
        "run.length=12s",
        "link.outages=[{ at = \"2s\", until = \"6s\" }]",
        "copy.flow={ policy = \"suspend\", threshold = 1500, timeout = \"500ms\", resync_after = \"500ms\" }",
    ];
    let mut drained: Vec<&str> = base.to_vec();
    drained.extend(["disaster.at=none", "run.drain=true"]);
    let r = check("resync-drain", &drained);
    assert!(
        !r.model.suspensions.is_empty() && r.model.resyncs.len() == r.model.suspensions.len(),
        "{:?} {:?}",
        r.model.suspensions,
        r.model.resyncs
    );
    assert!(r.consistent());
    let start = r.model.resyncs[0].0;
    let mid = format!("disaster.at={}ns", start + 300_000_000);
    let mut struck: Vec<&str> = base.to_vec();
    struck.extend([mid.as_str(), "disaster.cut_link=true"]);
    check("resync-disaster", &struck);
}

/// Claim 3 at data-set level: the logs go to one site, the data to another (same volumes
/// sets); each site sees only its data sets' writes, recovers consistently, and the outputs
/// agree.
#[test]
fn data_sets_split_over_two_sites() {
    let r = check(
        "split",
        &[
            "run.length=6s",
            "disaster.at=4s",
            "sites=[{ name = \"S1\", datasets = [\"*.LOG\"] }, { name = \"S2\", datasets = [\"*.DATA\"], link = { distance_km = 2000 } }]",
        ],
    );
    let (s1, s2) = (&r.sites[0].core, &r.sites[1].core);
    assert!(s1.writes_routed > 0 && s2.writes_routed > 0);
    // Every OLTP transaction writes the log twice and the data once.
    let total = s1.writes_routed + s2.writes_routed;
    assert!(
        (s1.writes_routed as f64 / total as f64 - 2.0 / 3.0).abs() < 0.02,
        "{} / {}",
        s1.writes_routed,
        total
    );
    assert!(
        s1.lost_datasets.iter().all(|d| d.ends_with(".LOG")),
        "{:?}",
        s1.lost_datasets
    );
    assert!(
        s2.lost_datasets.iter().all(|d| d.ends_with(".DATA")),
        "{:?}",
        s2.lost_datasets
    );
    assert!(r.consistent());
}
