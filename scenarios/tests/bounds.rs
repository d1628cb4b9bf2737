//! Inputs that would exhaust memory or overflow simulated time are refused before the run,
//! naming the key and the allowed range.

use scenarios::{prepare, read_file};
use std::path::Path;

fn err(sets: &[&str]) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline.toml");
    let src = read_file(&path).unwrap();
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    prepare(&src, &sets, path.parent().unwrap())
        .map(|_| ())
        .expect_err("refused")
        .to_string()
}

#[test]
fn an_offered_rate_beyond_the_bound_is_refused() {
    let e = err(&["workload.write_rate=1e12"]);
    assert!(
        e.contains("workload.write_rate") && e.contains("from 0 to 1e7"),
        "{e}"
    );
}

#[test]
fn a_link_longer_than_the_bound_is_refused() {
    let e = err(&["link.distance_km=1e20"]);
    assert!(
        e.contains("link.distance_km") && e.contains("0 to 100000 km"),
        "{e}"
    );
    let e = err(&["link.distance_km=1e13"]);
    assert!(e.contains("link.distance_km"), "{e}");
}

#[test]
fn a_trace_that_is_not_one_is_refused_with_its_line() {
    // /dev/zero as a trace: one bounded line, then a clear error (no memory exhaustion).
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline.toml");
    let src = read_file(&path).unwrap();
    let built = prepare(
        &src,
        &[
            "workload.trace=/dev/zero".to_string(),
            "disaster.at=none".to_string(),
        ],
        path.parent().unwrap(),
    );
    let msg = match built {
        Err(e) => e.to_string(),
        Ok(b) => match scenarios::runner::run(&b, &Default::default()) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("/dev/zero ran as a trace"),
        },
    };
    assert!(
        msg.contains("line 1") && msg.contains("not an SPC trace"),
        "{msg}"
    );
}

/// The memory guard: a workload the copy cannot keep up with ends the run with a clear
/// error once more than the cap is in flight, instead of exhausting memory; a run within
/// the cap is untouched by it.
#[test]
fn a_workload_that_outruns_the_configuration_is_stopped_by_the_guard() {
    use scenarios::runner::{RunError, RunOptions, run};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline.toml");
    let src = read_file(&path).unwrap();
    let sets: Vec<String> = [
        "workload.write_rate=1e6",
        "run.length=5s",
        "disaster.at=none",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let built = prepare(&src, &sets, path.parent().unwrap()).unwrap();
    let opts = RunOptions {
        max_pending: Some(50_000),
        ..RunOptions::default()
    };
    match run(&built, &opts) {
        Err(e @ RunError::Outrun { pending, cap, .. }) => {
            assert!(pending > cap && cap == 50_000, "{e}");
            let m = e.to_string();
            assert!(
                m.starts_with("the workload outruns the configuration: ")
                    && m.contains("record sets pending"),
                "{m}"
            );
        }
        Err(e) => panic!("another error: {e}"),
        Ok(_) => panic!("a million writes a second over a T3 ran to its end under a cap of 50,000"),
    }
    // The baseline as written stays far below the default cap.
    let built = prepare(
        &src,
        &["run.length=5s".into(), "disaster.at=none".into()],
        path.parent().unwrap(),
    )
    .unwrap();
    let out = run(&built, &RunOptions::default()).expect("within the cap");
    assert!(out.driver.record_sets_pending() < scenarios::runner::DEFAULT_MAX_PENDING / 100);
    // The scenario's own cap (`run.max_pending`) applies without the option.
    let mut capped = sets.clone();
    capped.push("run.max_pending=50000".into());
    let built = prepare(&src, &capped, path.parent().unwrap()).unwrap();
    assert_eq!(built.max_pending, 50_000);
    match run(&built, &RunOptions::default()) {
        Err(RunError::Outrun { cap, .. }) => assert_eq!(cap, 50_000),
        other => panic!("the scenario's cap did not stop the run: {:?}", other.err()),
    }
    let e = prepare(&src, &["run.max_pending=0".into()], path.parent().unwrap()).unwrap_err();
    assert!(e.to_string().contains("run.max_pending"), "{e}");
}

/// The guard's default leaves room for a valid burst: the initial copy of 10,000 volumes
/// queues millions of messages at once and still runs to its end.
#[test]
fn the_default_guard_lets_a_large_initial_copy_through() {
    use scenarios::runner::{RunOptions, run};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/scenarios/large.toml");
    let src = read_file(&path).unwrap();
    let sets: Vec<String> = ["run.length=2s", "disaster.at=1s", "copy.initial_copy=true"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let built = prepare(&src, &sets, path.parent().unwrap()).unwrap();
    run(&built, &RunOptions::default()).expect("the initial copy is not an overrun");
}
