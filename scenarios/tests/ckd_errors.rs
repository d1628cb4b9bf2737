//! Issue 18's keys and error paths: bad `programs`, `ccw_errors` and storage-control
//! timing keys are refused with the key and what is allowed; a write that ends in unit
//! check never gets a token (it did not happen) and the checker agrees; the hosts' error
//! recovery retries equipment checks `erp_retries` times; format writes reach the
//! secondary as format writes.

use scenarios::runner::{RunOptions, run};
use scenarios::verify::verify;
use scenarios::{BASELINE, Source, prepare};
use std::path::Path;

fn refused(text: &str) -> String {
    prepare(&Source::new("t.toml", text), &[], Path::new("."))
        .map(|_| ())
        .expect_err("refused")
        .to_string()
}

/// The baseline with `app` appended to the first application's table and `tail` at the end.
fn baseline_with(app: &str, tail: &str) -> String {
    let marker = "skew = 0.8 }\n";
    let i = BASELINE.find(marker).expect("the first application") + marker.len();
    format!("{}{app}{}{tail}", &BASELINE[..i], &BASELINE[i..])
}

#[test]
fn bad_keys_are_refused_with_the_key_and_what_is_allowed() {
    let e = refused(&baseline_with("programs = { updates = 1 }\n", ""));
    assert!(e.contains("hosts[0].apps[0].programs.updates"), "{e}");
    assert!(
        e.contains("update, search, format, multitrack, read_before_write, read_track"),
        "{e}"
    );
    let e = refused(&baseline_with("programs = { search = -1 }\n", ""));
    assert!(e.contains("programs.search") && e.contains(">= 0"), "{e}");
    let e = refused(&baseline_with("programs = { search = 0 }\n", ""));
    assert!(e.contains("add up to 0"), "{e}");
    let fault = |body: &str| {
        baseline_with(
            "",
            &format!("\n[[faults]]\nkind = \"ccw_errors\"\n{body}\n"),
        )
    };
    let e = refused(&fault("at = \"1s\"\nrate = 1.5"));
    assert!(
        e.contains("faults[0].rate") && e.contains("probability"),
        "{e}"
    );
    let e = refused(&fault("at = \"1s\"\nrate = 0.1\nerrors = [\"no_record\"]"));
    assert!(e.contains("faults[0].errors[0]"), "{e}");
    assert!(
        e.contains("no_record_found, file_protected, invalid_track_format, equipment_check"),
        "{e}"
    );
    let e = refused(&fault("at = \"1s\"\nrate = 0.1\nerrors = []"));
    assert!(e.contains("faults[0].errors"), "{e}");
    let e = refused(&fault("at = \"5s\"\nuntil = \"2s\"\nrate = 0.1"));
    assert!(e.contains("faults[0].until"), "{e}");
    let text = BASELINE.replacen("nvs_mb = 64\n", "nvs_mb = 64\ndestage_threshold = 1.5\n", 1);
    let e = refused(&text);
    assert!(
        e.contains("subsystems[0].destage_threshold") && e.contains("0 < x <= 1"),
        "{e}"
    );
}

struct Run {
    report: scenarios::report::Report,
    trace: String,
}

/// Runs `text` to its end (drained, no disaster) with trace, image and report checked by
/// the independent checker.
fn checked(text: &str, tag: &str) -> Run {
    let dir = std::env::temp_dir().join(format!("xrcsim-ckd-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let built = prepare(
        &Source::new("t.toml", text),
        &[
            "disaster.at=none".into(),
            "run.drain=true".into(),
            "run.length=4s".into(),
        ],
        &dir,
    )
    .expect("valid");
    let opts = RunOptions {
        trace: Some(dir.join("t.jsonl")),
        image: Some(dir.join("i.csv")),
        progress: false,
        ..RunOptions::default()
    };
    let out = run(&built, &opts).expect("run");
    let trace = std::fs::read_to_string(dir.join("t.jsonl")).unwrap();
    let image = std::fs::read_to_string(dir.join("i.csv")).unwrap();
    let report = serde_json::to_string(&out.report).unwrap();
    let v = verify(&trace, &image, &report, built.world.run.length.as_nanos());
    assert!(v.problems.is_empty(), "{tag}: {:#?}", v.problems);
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.report.consistent(), "{tag}: not consistent");
    Run {
        report: out.report,
        trace,
    }
}

fn count(trace: &str, ev: &str) -> usize {
    trace
        .lines()
        .filter(|l| l.contains(&format!("\"ev\":\"{ev}\"")))
        .count()
}

/// Every host channel program fails with file protected from 0 s: no write happens, no
/// token is made, nothing reaches the secondary; every request fails after its Sense.
#[test]
fn a_unit_checked_write_gets_no_token_and_the_checker_agrees() {
    let text = baseline_with(
        "",
        "\n[[faults]]\nkind = \"ccw_errors\"\nat = \"0s\"\nrate = 1.0\nuntil = \"1h\"\nerrors = [\"file_protected\"]\n",
    );
    let r = checked(&text, "fp");
    let m = &r.report.model;
    assert!(m.unit_checks > 100, "{m:?}");
    assert_eq!(m.senses, m.unit_checks);
    assert_eq!(m.failed_requests, m.unit_checks);
    assert_eq!(m.retries, 0);
    assert_eq!(
        count(&r.trace, "seq"),
        0,
        "a failed write got a sequence number"
    );
    assert_eq!(count(&r.trace, "apply"), 0);
    assert_eq!(r.report.primary.writes, 0);
    assert_eq!(r.report.sites[0].core.writes_routed, 0);
    assert_eq!(count(&r.trace, "unit_check") as u64, m.unit_checks);
    assert!(
        r.trace
            .lines()
            .filter(|l| l.contains("\"unit_check\""))
            .all(|l| {
                l.contains("\"sense\":\"0004\"")
                    && l.contains("\"action\":\"fail\"")
                    && l.contains("\"attempt\":1")
            })
    );
}

/// Equipment checks on every try: each request is tried 1 + `erp_retries` times, then
/// fails; the trace's tries count 1, 2, 3, 4.
#[test]
fn equipment_checks_are_retried_erp_retries_times() {
    let text = baseline_with(
        "",
        "\n[[faults]]\nkind = \"ccw_errors\"\nat = \"0s\"\nrate = 1.0\nuntil = \"1h\"\nerrors = [\"equipment_check\"]\n",
    )
    .replace("name = \"SYSA\"\n", "name = \"SYSA\"\nerp_retries = 3\n")
    .replace("name = \"SYSB\"\n", "name = \"SYSB\"\nerp_retries = 3\n");
    let r = checked(&text, "eq");
    let m = &r.report.model;
    assert!(m.failed_requests > 50, "{m:?}");
    assert_eq!(m.unit_checks, 4 * m.failed_requests, "{m:?}");
    assert_eq!(m.retries, 3 * m.failed_requests, "{m:?}");
    assert_eq!(count(&r.trace, "seq"), 0);
    let tries: Vec<u64> = r
        .trace
        .lines()
        .filter(|l| l.contains("\"unit_check\""))
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["attempt"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(
        tries.iter().filter(|&&t| t == 4).count() as u64,
        m.failed_requests
    );
    assert!(tries.iter().all(|&t| (1..=4).contains(&t)));
}

/// Format writes only: every write is a Write CKD chain to the end of its last track,
/// numbered and copied; the secondary applies them (as format writes) and its image is the
/// primary's (the checker compares the image with the applies).
#[test]
fn format_writes_are_copied_and_applied() {
    let text = baseline_with("programs = { format = 1 }\n", "");
    let r = checked(&text, "fmt");
    let m = &r.report.model;
    assert!(m.format_writes > 100, "{m:?}");
    assert_eq!(m.unit_checks, 0);
    let s = &r.report.sites[0].core;
    assert_eq!(s.writes_applied, s.writes_routed);
    assert_eq!(s.mismatched_records, 0);
    // Each format write reaches the end of its track: its records are whole tracks' tails.
    for l in r
        .trace
        .lines()
        .filter(|l| l.contains("\"ev\":\"seq\""))
        .take(200)
    {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let recs = v["recs"].as_array().unwrap();
        if ["PRI000", "PRI001"].contains(&v["vol"].as_str().unwrap()) {
            // DB0 (the application with the format program): 12 records of 4 KiB per track.
            assert_eq!(recs.last().unwrap()[2], 12, "{l}");
        }
    }
}
