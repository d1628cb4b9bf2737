//! `xrcsim`: the command line. A thin dispatcher over the `scenarios` crate (runs, checks,
//! sweeps) and the `tui` crate.

use clap::{Args, Parser, Subcommand};
use scenarios::report::{Report, human};
use scenarios::runner::{RunOptions, run};
use scenarios::{BASELINE, Source, prepare, read_file};
use sim::SimDuration;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Deterministic simulator of S/370 DASD asynchronous remote copy (EP 0 617 362, IBM XRC).
///
/// With no arguments, runs the built-in baseline scenario and prints its report.
#[derive(Parser, Debug)]
#[command(name = "xrcsim", version, about, long_about = None, after_help = "Examples:\n  xrcsim                                   run the built-in baseline scenario\n  xrcsim run scenarios/fig5.toml --json    one run, JSON report on stdout\n  xrcsim check my.toml                     validate a scenario and show what it builds\n  xrcsim sweep scenarios/sweeps/distance.toml --out out/distance\n  xrcsim tui                               explore the baseline interactively")]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run one scenario deterministically and report what survived the disaster.
    #[command(
        after_help = "Examples:\n  xrcsim run scenarios/baseline.toml\n  xrcsim run scenarios/baseline.toml --seed 7 --set copy.mode=sync --json\n  xrcsim run my.toml --disaster-at 45s --trace t.jsonl --image i.csv --report r.json\n  xrcsim run my.toml --disaster-at none --drain --expect-consistent"
    )]
    Run(RunArgs),
    /// Validate a scenario file and print what it would build.
    #[command(
        after_help = "Examples:\n  xrcsim check scenarios/baseline.toml\n  xrcsim check my.toml --set link.distance_km=3000"
    )]
    Check(CheckArgs),
    /// Run a parameter sweep (grid x seeds) in parallel; see docs/sweeps.md.
    #[command(
        after_help = "Examples:\n  xrcsim sweep scenarios/sweeps/distance.toml --out out/distance\n  xrcsim sweep scenarios/sweeps/distance.toml --out shard-3 --shard 3/16\n  xrcsim sweep merge out/results.csv shard-*/results.csv"
    )]
    Sweep(SweepArgs),
    /// Interactive terminal UI (the baseline scenario when none is given).
    #[command(
        after_help = "Examples:\n  xrcsim tui\n  xrcsim tui scenarios/fig5.toml --set copy.mode=naive"
    )]
    Tui(TuiArgs),
}

#[derive(Args, Debug)]
struct ScenarioArgs {
    /// Override any scenario field, e.g. `--set link.bandwidth_mbps=155.52` (repeatable;
    /// `--set disaster.at=none` removes a key).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Master seed (same as `--set run.seed=N`).
    #[arg(long)]
    seed: Option<u64>,
    /// Simulated length of the workload, e.g. `30s` (same as `--set run.length=...`).
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    until: Option<SimDuration>,
    /// Inject the primary-site disaster at DUR, or `none` for no disaster.
    #[arg(long, value_name = "DUR|none", value_parser = parse_disaster)]
    disaster_at: Option<Disaster>,
    /// At the end, stop the workload and let replication catch up before the final image.
    #[arg(long)]
    drain: bool,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Scenario file (TOML); the built-in baseline when omitted.
    scenario: Option<PathBuf>,
    #[command(flatten)]
    common: ScenarioArgs,
    /// Print the JSON report instead of the human one.
    #[arg(long)]
    json: bool,
    /// Also write the JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Write the JSONL event trace to FILE.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Write the secondary image CSV to FILE.
    #[arg(long, value_name = "FILE")]
    image: Option<PathBuf>,
    /// Exit with status 1 if any site's recovered image is not consistent.
    #[arg(long)]
    expect_consistent: bool,
    /// No progress line on stderr.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Scenario file (TOML).
    scenario: PathBuf,
    #[command(flatten)]
    common: ScenarioArgs,
}

#[derive(Args, Debug)]
struct SweepArgs {
    /// Sweep file (TOML), or `merge` followed by OUT and shard CSVs.
    #[arg(value_name = "SWEEP.toml|merge")]
    sweep: String,
    /// For `merge`: the output CSV then the shard CSVs.
    #[arg(value_name = "FILES")]
    files: Vec<PathBuf>,
    /// Output directory (results.csv, errors.csv, plots).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Run only rows with index % n == i (0 <= i < n), for clusters.
    #[arg(long, value_name = "i/n")]
    shard: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Require an earlier run of this sweep in DIR (re-running always resumes).
    #[arg(long)]
    resume: bool,
}

#[derive(Args, Debug)]
struct TuiArgs {
    /// Scenario file (TOML); the built-in baseline when omitted.
    scenario: Option<PathBuf>,
    #[command(flatten)]
    common: ScenarioArgs,
}

#[derive(Clone, Copy, Debug)]
enum Disaster {
    At(SimDuration),
    None,
}

fn parse_duration(s: &str) -> Result<SimDuration, String> {
    s.parse::<SimDuration>().map_err(|e| e.to_string())
}

fn parse_disaster(s: &str) -> Result<Disaster, String> {
    if s == "none" {
        Ok(Disaster::None)
    } else {
        parse_duration(s).map(Disaster::At)
    }
}

impl ScenarioArgs {
    /// The flags as `--set` overrides, after the user's own.
    fn sets(&self) -> Vec<String> {
        let mut v = self.sets.clone();
        if let Some(s) = self.seed {
            v.push(format!("run.seed={s}"));
        }
        if let Some(d) = self.until {
            v.push(format!("run.length={d}"));
        }
        match self.disaster_at {
            Some(Disaster::At(d)) => v.push(format!("disaster.at={d}")),
            Some(Disaster::None) => v.push("disaster.at=none".into()),
            None => {}
        }
        if self.drain {
            v.push("run.drain=true".into());
        }
        v
    }
}

/// Reads the scenario (or the embedded baseline) and its directory.
fn source(path: Option<&Path>) -> Result<(Source, PathBuf), String> {
    match path {
        None => Ok((
            Source::new("baseline.toml (built in)", BASELINE),
            PathBuf::from("."),
        )),
        Some(p) => {
            let src = read_file(p).map_err(|e| e.to_string())?;
            let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
            Ok((src, dir))
        }
    }
}

/// Writes `text` to stdout; a closed pipe (`xrcsim ... | head`) ends the program quietly.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("xrcsim: cannot write to stdout: {e}");
        std::process::exit(2);
    }
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("xrcsim: {msg}");
    ExitCode::from(2)
}

fn color_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn write_json(path: &Path, r: &Report) -> Result<(), String> {
    let tmp = path.with_extension("json.partial");
    let text = serde_json::to_string_pretty(r).expect("a report serializes") + "\n";
    std::fs::write(&tmp, text).map_err(|e| format!("cannot write `{}`: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

fn cmd_run(a: RunArgs) -> ExitCode {
    let (src, dir) = match source(a.scenario.as_deref()) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let built = match prepare(&src, &a.common.sets(), &dir) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let opts = RunOptions {
        trace: a.trace.clone(),
        image: a.image.clone(),
        progress: !a.quiet && std::io::stderr().is_terminal(),
    };
    let out = match run(&built, &opts) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    if let Some(p) = &a.report
        && let Err(e) = write_json(p, &out.report)
    {
        return fail(e);
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&out.report).expect("a report serializes")
        );
    } else {
        print!("{}", human(&out.report, color_stdout()));
    }
    if a.expect_consistent && !out.report.consistent() {
        eprintln!("xrcsim: a site's recovered image is not consistent (--expect-consistent)");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn cmd_check(a: CheckArgs) -> ExitCode {
    let (src, dir) = match source(Some(&a.scenario)) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    match prepare(&src, &a.common.sets(), &dir) {
        Ok(b) => {
            emit(&scenarios::build::describe(&b));
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn cmd_sweep(a: SweepArgs) -> ExitCode {
    use scenarios::sweep;
    if a.sweep == "merge" {
        let Some((out, inputs)) = a.files.split_first() else {
            return fail("usage: xrcsim sweep merge OUT.csv SHARD.csv...");
        };
        return match sweep::merge(out, inputs) {
            Ok(s) => {
                eprintln!("{s}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    }
    let Some(out_dir) = a.out.clone() else {
        return fail("sweep needs --out DIR (where results.csv and the plots go)");
    };
    let file = match sweep::load_sweep(&a.sweep) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let shard = match a.shard.as_deref().map(sweep::parse_shard).transpose() {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let base = match read_file(&file.base) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let base_dir = file
        .base
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let opts = sweep::SweepOptions {
        out_dir,
        shard,
        jobs: a.jobs,
        quiet: a.quiet,
        resume: a.resume,
    };
    match sweep::run_sweep(&file, &opts, |row| {
        scenarios::sweep_row(&base, &base_dir, row)
    }) {
        Ok(summary) => {
            eprintln!("{summary}");
            if summary.complete() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => fail(e),
    }
}

fn cmd_tui(a: TuiArgs) -> ExitCode {
    let (src, dir) = match source(a.scenario.as_deref()) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let built = match prepare(&src, &a.common.sets(), &dir) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    match tui::run(built) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        None => cmd_run(RunArgs {
            scenario: None,
            common: ScenarioArgs {
                sets: Vec::new(),
                seed: None,
                until: None,
                disaster_at: None,
                drain: false,
            },
            json: false,
            report: None,
            trace: None,
            image: None,
            expect_consistent: false,
            quiet: false,
        }),
        Some(Cmd::Run(a)) => cmd_run(a),
        Some(Cmd::Check(a)) => cmd_check(a),
        Some(Cmd::Sweep(a)) => cmd_sweep(a),
        Some(Cmd::Tui(a)) => cmd_tui(a),
    }
}
