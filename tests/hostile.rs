//! Hostile inputs on the command line (issue 17): each ends in a clear error that names the
//! flag or the `--set` argument and what is allowed, before anything runs, and no run leaves
//! a file behind that it should not.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{s, stderr, xrcsim};

/// A fresh, empty directory for one test.
fn tmpdir(name: &str) -> PathBuf {
    common::fresh_dir("hostile-tests", name)
}

/// Exit status 2 and a message holding every one of `says`.
fn refused(args: &[&str], says: &[&str]) {
    let o = xrcsim(args);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
    for w in says {
        assert!(e.contains(w), "{args:?}: expected `{w}` in: {e}");
    }
    assert!(
        !e.contains("unexpected argument") && !e.contains("to pass"),
        "{args:?}: clap's advice instead of a message: {e}"
    );
}

#[test]
fn negative_numbers_and_times_are_explained_not_taken_for_flags() {
    refused(
        &["run", "--seed", "-1"],
        &[
            "--seed",
            "whole number from 0 to 18446744073709551615",
            "`-1`",
        ],
    );
    refused(
        &["run", "--disaster-at", "-5s"],
        &["--disaster-at", "`-5s` is negative"],
    );
    refused(
        &["run", "--until", "-1s"],
        &["--until", "`-1s` is negative"],
    );
}

#[test]
fn an_exponent_in_a_duration_is_explained() {
    refused(
        &["run", "--until", "1e400s"],
        &["--until", "`1e400s` is out of range", "584 years"],
    );
    refused(&["check", "--until", "1e3s"], &["write `1000s`"]);
    let o = xrcsim(&["run", "--until", "1e400s"]);
    assert!(!stderr(&o).contains("unknown unit"), "{}", stderr(&o));
}

#[test]
fn zero_worker_threads_are_refused() {
    for cmd in [
        &[
            "sweep",
            "scenarios/sweeps/distance.toml",
            "--dry-run",
            "--jobs",
            "0",
        ][..],
        &["compare", "--jobs", "0"],
        &["plan", "--rpo-p99", "50ms", "--jobs", "0"],
    ] {
        refused(cmd, &["--jobs", "from 1 to 1024", "`0`"]);
    }
}

#[test]
fn set_errors_name_the_set_argument() {
    for (arg, says) in [
        ("hosts[0].apps[0].workload.tx_rate=-1", "`tx_rate` must be"),
        ("hosts[0].apps[0].workload.skew=-3", "`skew` must be"),
        (
            "volumes[0].datasets[0].cyls=[1,999999]",
            "is not inside volume",
        ),
    ] {
        let o = xrcsim(&["check", "scenarios/baseline.toml", "--set", arg]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(e.starts_with(&format!("xrcsim: --set {arg}: ")), "{e}");
        assert!(e.contains(says), "{e}");
        assert!(!e.contains("baseline.toml:"), "blamed on the file: {e}");
    }
}

#[test]
fn an_output_that_is_an_input_is_refused_before_the_run() {
    let d = tmpdir("output-is-input");
    let scenario = d.join("my.toml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"),
        &scenario,
    )
    .unwrap();
    let before = std::fs::read(&scenario).unwrap();
    for flag in ["--report", "--trace", "--image", "--rpo-csv"] {
        let o = xrcsim(&[
            "run",
            s(&scenario),
            "--until",
            "1s",
            "--disaster-at",
            "none",
            flag,
            s(&scenario),
        ]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{flag}: {e}");
        assert!(
            e.contains(flag) && e.contains("is the scenario file this run reads"),
            "{flag}: {e}"
        );
        assert_eq!(
            std::fs::read(&scenario).unwrap(),
            before,
            "{flag}: untouched"
        );
    }
    let names: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["my.toml"], "nothing left behind");
}

#[test]
fn the_report_is_staged_under_its_own_name() {
    // `--report x.txt` was once staged as `x.json.partial`: the temporary name is the
    // output's own plus `.partial`, and it is gone after the run.
    let d = tmpdir("report-name");
    let r = d.join("x.txt");
    let o = xrcsim(&[
        "run",
        "--until",
        "1s",
        "--disaster-at",
        "none",
        "--quiet",
        "--report",
        s(&r),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let names: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["x.txt"]);
}

#[test]
fn a_misspelt_sweep_key_is_one_error_at_its_line_before_any_row() {
    let d = tmpdir("sweep-key");
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let sweep = d.join("bad.toml");
    std::fs::write(
        &sweep,
        format!(
            "base = {:?}\nseeds = [1, 2]\n\n[grid]\n\"copy.mode\" = [\"xrc\", \"sync\"]\n\
             \"link.distanse_km\" = [1, 10]\n\n[set]\n\"run.length\" = \"2s\"\n",
            s(&base)
        ),
    )
    .unwrap();
    let out = d.join("out");
    let o = xrcsim(&["sweep", s(&sweep), "--out", s(&out), "--quiet"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(e.lines().count(), 1, "one error, not one per row: {e}");
    assert!(
        e.contains(&format!("{}:6:1: [grid] key `link.distanse_km`", s(&sweep))),
        "{e}"
    );
    assert!(e.contains("did you mean `distance_km`?"), "{e}");
    assert!(!out.exists(), "nothing ran, no output directory");
    // The same in [set].
    std::fs::write(
        &sweep,
        format!(
            "base = {:?}\n[grid]\n\"copy.mode\" = [\"xrc\"]\n[set]\n\"run.lenght\" = \"2s\"\n",
            s(&base)
        ),
    )
    .unwrap();
    let o = xrcsim(&["sweep", s(&sweep), "--dry-run"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains(&format!("{}:5:1: [set] key `run.lenght`", s(&sweep))),
        "{e}"
    );
}

#[test]
fn the_memory_guard_ends_the_run_with_a_message_and_leaves_nothing_behind() {
    let d = tmpdir("guard");
    let t = d.join("t.jsonl");
    let o = xrcsim(&[
        "run",
        "--set",
        "workload.write_rate=1e6",
        "--until",
        "5s",
        "--disaster-at",
        "none",
        "--max-pending",
        "20000",
        "--trace",
        s(&t),
        "--quiet",
    ]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("the workload outruns the configuration:") && e.contains("cap of 20000"),
        "{e}"
    );
    let left: Vec<_> = std::fs::read_dir(&d).unwrap().collect();
    assert!(left.is_empty(), "no trace, no .partial: {left:?}");
    refused(
        &["run", "--max-pending", "0"],
        &["--max-pending", "from 1 to"],
    );
}

/// Ctrl-C during a run: the outputs' `.partial` files are removed and the exit status says
/// the run was interrupted (130).
#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_no_partial_file() {
    let d = tmpdir("interrupt");
    let t = d.join("t.jsonl");
    let r = d.join("r.json");
    let child = Command::new(env!("CARGO_BIN_EXE_xrcsim"))
        .args([
            "run",
            "--until",
            "3600s",
            "--disaster-at",
            "none",
            "--quiet",
            "--trace",
            s(&t),
            "--report",
            s(&r),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let partial = d.join("t.jsonl.partial");
    let start = std::time::Instant::now();
    while !partial.exists() || std::fs::metadata(&partial).unwrap().len() == 0 {
        assert!(
            start.elapsed().as_secs() < 60,
            "the run never started writing"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
    let left: Vec<_> = std::fs::read_dir(&d).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// The report says whether messages on the wire at the disaster were still delivered.
#[test]
fn the_report_says_whether_in_flight_messages_were_delivered() {
    let json = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["run", "--until", "3s", "--json", "--quiet"];
        args.extend_from_slice(extra);
        let o = xrcsim(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let v = json(&["--disaster-at", "2s"]);
    assert_eq!(v["in_flight_delivered"], serde_json::Value::Bool(true));
    let v = json(&["--disaster-at", "2s", "--set", "disaster.cut_link=true"]);
    assert_eq!(v["in_flight_delivered"], serde_json::Value::Bool(false));
    let v = json(&["--disaster-at", "none"]);
    assert!(v["in_flight_delivered"].is_null());
    let o = xrcsim(&["run", "--until", "3s", "--disaster-at", "2s", "--quiet"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("link not cut: messages on the wire still arrived and count"),
        "{text}"
    );
}
