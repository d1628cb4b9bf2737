//! The `xrcsim` command line, run as a user runs it: warnings printed, extra or unused
//! arguments refused, sweeps checked before they run, conventions (`--help`, `init`,
//! completions, man page, hints), `compare`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn xrcsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xrcsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("xrcsim runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fresh, empty directory for one test.
fn tmpdir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn an_override_that_changes_nothing_warns_and_strict_refuses_it() {
    let o = xrcsim(&["check", "--set", "nosuch.key=none"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("warning: --set nosuch.key=none: there is no `nosuch.key` to remove"),
        "{e}"
    );
    let o = xrcsim(&["check", "--set", "nosuch.key=none", "--strict"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--strict"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "nothing is described under --strict");
    // No warning, no message.
    let o = xrcsim(&["check", "--strict"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
}

#[test]
fn check_defaults_to_the_baseline_like_run() {
    let o = xrcsim(&["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("scenario baseline: valid"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn sweep_refuses_an_extra_argument_and_merge_refuses_flags_it_does_not_use() {
    let o = xrcsim(&[
        "sweep",
        "scenarios/sweeps/distance.toml",
        "extra.csv",
        "--out",
        "x",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unexpected argument 'extra.csv'"),
        "{}",
        stderr(&o)
    );
    for flag in [
        &["--jobs", "2"][..],
        &["--shard", "0/2"][..],
        &["--out", "d"][..],
    ] {
        let mut args = vec!["sweep", "merge", "out.csv", "a.csv"];
        args.extend_from_slice(flag);
        let o = xrcsim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains(&format!("unexpected argument '{}'", flag[0])),
            "{}",
            stderr(&o)
        );
    }
    let o = xrcsim(&["sweep", "merge", "out.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("SHARD.csv"), "{}", stderr(&o));
}

#[test]
fn sweep_marks_out_as_required() {
    let o = xrcsim(&["sweep", "scenarios/sweeps/distance.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("required arguments were not provided") && stderr(&o).contains("--out"),
        "{}",
        stderr(&o)
    );
    let help = stdout(&xrcsim(&["sweep", "--help"]));
    assert!(help.contains("--out <DIR>"), "{help}");
}

/// A sweep over the baseline with two invalid grid values among valid ones.
fn bad_sweep(dir: &Path) -> PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let p = dir.join("bad.toml");
    std::fs::write(
        &p,
        format!(
            "base = {:?}\nseeds = 2\n[grid]\n\"run.length\" = [\"2s\", \"5 days\"]\n\"link.paths\" = [1, 300]\n[set]\n\"disaster.at\" = \"1s\"\n",
            s(&base)
        ),
    )
    .unwrap();
    p
}

#[test]
fn a_dry_run_reports_every_invalid_row_before_anything_runs() {
    let dir = tmpdir("dry-run");
    let sweep = bad_sweep(&dir);
    let out = dir.join("out");
    let o = xrcsim(&["sweep", s(&sweep), "--dry-run"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    // Rows: length 2s x paths {1, 300} x seeds {1, 2}, then 5 days x ...
    assert!(
        e.contains("rows 2-3: --set link.paths=300: link.paths: must be 1..=255, got 300"),
        "{e}"
    );
    assert!(
        e.contains("rows 4-5: --set run.length=5 days: run.length: duration `5 days` has unknown unit `days`"),
        "{e}"
    );
    assert!(e.contains("rows 6-7: "), "{e}");
    assert!(
        e.contains("8 rows checked (4 distinct settings): 6 rows invalid"),
        "{e}"
    );
    // A normal sweep does the same check and runs nothing.
    let o = xrcsim(&["sweep", s(&sweep), "--out", s(&out), "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nothing was run"), "{}", stderr(&o));
    assert!(!out.join("results.csv").exists());
    // A valid sweep's dry run passes and writes nothing.
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        std::fs::read_to_string(&sweep)
            .unwrap()
            .replace(", \"5 days\"", "")
            .replace(", 300", ""),
    )
    .unwrap();
    let o = xrcsim(&["sweep", s(&good), "--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("2 rows checked (1 distinct settings): all valid"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_scenario_given_as_a_command_gets_a_hint() {
    let o = xrcsim(&["scenarios/fig5.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `xrcsim run scenarios/fig5.toml`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn init_writes_a_scenario_that_check_accepts() {
    let dir = tmpdir("init");
    let f = dir.join("mine.toml");
    let o = xrcsim(&["init", s(&f)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(
        text.lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count()
            > 20
    );
    let o = xrcsim(&["check", s(&f), "--strict"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("scenario my-scenario: valid"),
        "{}",
        stdout(&o)
    );
    // Not over an existing file without --force.
    let o = xrcsim(&["init", s(&f)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"));
    assert_eq!(xrcsim(&["init", s(&f), "--force"]).status.code(), Some(0));
    // Without a file: the same text on stdout.
    assert_eq!(stdout(&xrcsim(&["init"])), text);
}

#[test]
fn completions_and_man_page() {
    let o = xrcsim(&["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("_xrcsim()") && stdout(&o).contains("compare"));
    let o = xrcsim(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
    let o = xrcsim(&["man"]);
    assert_eq!(o.status.code(), Some(0));
    let man = stdout(&o);
    assert!(man.contains(".TH xrcsim"), "{man}");
    assert!(man.contains("sweep"), "{man}");
}

#[test]
fn help_prints_no_markdown_backticks() {
    for cmd in [
        &[][..],
        &["run"],
        &["check"],
        &["sweep"],
        &["sweep", "merge"],
        &["compare"],
        &["tui"],
        &["init"],
        &["completions"],
    ] {
        let mut args = cmd.to_vec();
        args.push("--help");
        let o = xrcsim(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let help = stdout(&o);
        assert!(!help.contains('`'), "{args:?}:\n{help}");
    }
}

#[test]
fn check_summarises_long_lists() {
    let o = xrcsim(&["check", "scenarios/large.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let longest = text.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(longest < 260, "a line of {longest} characters");
    assert!(text.contains("--full lists them"), "{text}");
    let full = stdout(&xrcsim(&["check", "scenarios/large.toml", "--full"]));
    assert!(full.lines().map(|l| l.chars().count()).max().unwrap() > 10_000);
}

#[test]
fn compare_runs_every_copy_mode_struck_at_the_same_instant() {
    let dir = tmpdir("compare");
    let o = xrcsim(&[
        "compare",
        "scenarios/fig5.toml",
        "--until",
        "3s",
        "--disaster-at",
        "2s",
        "--out",
        s(&dir),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o);
    assert!(t.contains("disaster at 2.000 s in every run"), "{t}");
    let modes: Vec<&str> = t
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    let modes: Vec<&str> = modes.into_iter().filter(|m| *m != "note:").collect();
    assert_eq!(modes, ["xrc", "xrc-prt", "sync", "naive", "pit"], "{t}");
    // fig5 keeps pit's default interval (an hour): the table says why pit lost everything.
    assert!(
        t.contains("note: pit: no point-in-time copy was complete before the end (copy.pit_interval = 3600s)"),
        "{t}"
    );
    // Synchronous copy loses nothing acknowledged but pays in response time.
    let csv = std::fs::read_to_string(dir.join("compare.csv")).unwrap();
    assert!(csv.starts_with("mode,writes,response_p50_ms,response_p99_ms,writes_lost"));
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let p99 = |m: &str| -> f64 { rows.iter().find(|r| r[0] == m).unwrap()[3].parse().unwrap() };
    assert!(p99("sync") > p99("xrc"), "{csv}");
    let svg = std::fs::read_to_string(dir.join("compare.svg")).unwrap();
    assert!(
        svg.contains("writes lost") && svg.contains("xrc-prt"),
        "{svg}"
    );
    // The mode is what compare varies: fixing it is refused, not ignored.
    let o = xrcsim(&["compare", "--set", "copy.mode=sync"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("compare runs every copy mode"));
}

#[test]
fn the_report_goes_to_standard_output_or_a_device_without_replacing_it() {
    let o = xrcsim(&[
        "run",
        "--until",
        "1s",
        "--disaster-at",
        "none",
        "-q",
        "--report",
        "-",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Two reports on stdout: --report - and --json.
    assert_eq!(
        stdout(&o).matches("\"format\": \"xrcsim-report\"").count(),
        2
    );
    // A character device is written in place, never renamed over.
    let o = xrcsim(&[
        "run",
        "--until",
        "1s",
        "--disaster-at",
        "none",
        "-q",
        "--report",
        "/dev/null",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m = std::fs::metadata("/dev/null").unwrap();
    assert!(!m.is_file(), "/dev/null is still a device");
    assert!(!Path::new("/dev/null.json.partial").exists());
}
