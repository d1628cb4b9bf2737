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
