//! `xrcsim`: the command line. A thin dispatcher over the `scenarios` crate (runs, checks,
//! sweeps, comparisons) and the `tui` crate.
//!
//! Exit status: 0 success; 1 the run worked but its outcome failed a requested check
//! (`--expect-consistent`, a sweep with failed rows); 2 bad input or usage (including a
//! warning under `--strict`).

use clap::{Args, CommandFactory, Parser, Subcommand};
use scenarios::report::{Report, human};
use scenarios::runner::{Output, RunError, RunOptions, is_stdout, run};
use scenarios::{BASELINE, Source, prepare_noted, read_file};
use sim::SimDuration;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Deterministic simulator of S/370 DASD asynchronous remote copy (EP 0 617 362, IBM XRC).
///
/// With no arguments, runs the built-in baseline scenario and prints its report.
#[derive(Parser, Debug)]
#[command(name = "xrcsim", version, about, long_about = None, after_help = "Examples:\n  xrcsim                                   run the built-in baseline scenario\n  xrcsim run scenarios/fig5.toml --json    one run, JSON report on stdout\n  xrcsim check my.toml                     validate a scenario and show what it builds\n  xrcsim compare scenarios/fig5.toml       every copy mode on the same workload\n  xrcsim plan scenarios/fig5.toml --rpo-p99 50ms   the link bandwidth an RPO target needs\n  xrcsim sweep scenarios/sweeps/distance.toml --out out/distance\n  xrcsim init my.toml                      write a commented scenario to start from\n  xrcsim tui                               explore the baseline interactively")]
struct Cli {
    /// Treat warnings (such as an override that changed nothing) as errors: exit status 2.
    #[arg(long, global = true)]
    strict: bool,
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
    /// Validate a scenario (the built-in baseline when none is given) and print what it builds.
    #[command(
        after_help = "Examples:\n  xrcsim check\n  xrcsim check scenarios/baseline.toml\n  xrcsim check my.toml --set link.distance_km=3000 --strict"
    )]
    Check(CheckArgs),
    /// Run a parameter sweep (grid x seeds) in parallel; see docs/sweeps.md.
    #[command(
        args_conflicts_with_subcommands = true,
        subcommand_negates_reqs = true,
        after_help = "Examples:\n  xrcsim sweep scenarios/sweeps/distance.toml --dry-run\n  xrcsim sweep scenarios/sweeps/distance.toml --out out/distance\n  xrcsim sweep scenarios/sweeps/distance.toml --out shard-3 --shard 3/16\n  xrcsim sweep merge out/results.csv shard-*/results.csv"
    )]
    Sweep(SweepArgs),
    /// Run every copy mode on the same workload, struck at the same instant, side by side.
    #[command(
        after_help = "Examples:\n  xrcsim compare\n  xrcsim compare scenarios/fig5.toml --until 20s --out out/compare"
    )]
    Compare(CompareArgs),
    /// Find the smallest link bandwidth that keeps an RPO percentile under a target.
    #[command(
        after_help = "The search brackets by doubling (or halving) from the scenario's own bandwidth, \
then bisects to about 2 %; each bandwidth runs every seed in parallel and is judged by its \
worst seed and worst site. The scenario's disaster is left out (the RPO is sampled over the \
whole run) unless --disaster-at is given.\n\nExamples:\n  xrcsim plan scenarios/fig5.toml --rpo-p99 50ms\n  \
xrcsim plan scenarios/fig5.toml --rpo-p99 20ms --seeds 4 --until 20s --out out/plan\n  \
xrcsim plan scenarios/trace-driven.toml --rpo-max 1s",
        group(clap::ArgGroup::new("target").required(true).args(["rpo_p99", "rpo_p50", "rpo_max"]))
    )]
    Plan(PlanArgs),
    /// Interactive terminal UI (the baseline scenario when none is given).
    #[command(
        after_help = "Examples:\n  xrcsim tui\n  xrcsim tui scenarios/fig5.toml --set copy.mode=naive"
    )]
    Tui(TuiArgs),
    /// Write a commented scenario to start from (to standard output when no FILE is given).
    #[command(after_help = "Examples:\n  xrcsim init my.toml\n  xrcsim check my.toml")]
    Init(InitArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  xrcsim completions bash > /etc/bash_completion.d/xrcsim\n  xrcsim completions zsh > ~/.zfunc/_xrcsim"
    )]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on standard output.
    #[command(after_help = "Examples:\n  xrcsim man > xrcsim.1 && man ./xrcsim.1")]
    Man,
}

#[derive(Args, Debug, Default)]
struct ScenarioArgs {
    /// Override any scenario field, e.g. --set link.bandwidth_mbps=155.52 (repeatable;
    /// --set disaster.at=none removes a key).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Master seed (same as --set run.seed=N).
    #[arg(long, allow_hyphen_values = true, value_parser = parse_seed)]
    seed: Option<u64>,
    /// Simulated length of the workload, e.g. 30s (same as --set run.length=DUR).
    #[arg(long, value_name = "DUR", allow_hyphen_values = true, value_parser = parse_duration)]
    until: Option<SimDuration>,
    /// Inject the primary-site disaster at DUR, or none for no disaster.
    #[arg(long, value_name = "DUR|none", allow_hyphen_values = true, value_parser = parse_disaster)]
    disaster_at: Option<Disaster>,
    /// At the end, stop the workload and let replication catch up before the final image.
    #[arg(long)]
    drain: bool,
    /// Recover only this part of the duplexed data: a primary VOLSER or a data set name
    /// filter (* matches any characters), repeatable (same as --set disaster.recover=[...]).
    #[arg(long, value_name = "VOLSER|DSN")]
    recover: Vec<String>,
}

#[derive(Args, Debug, Default)]
struct RunArgs {
    /// Scenario file (TOML); the built-in baseline when omitted.
    scenario: Option<PathBuf>,
    #[command(flatten)]
    common: ScenarioArgs,
    /// Print the JSON report instead of the human one.
    #[arg(long)]
    json: bool,
    /// Also write the JSON report to FILE (- for standard output).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Write the JSONL event trace to FILE (- for standard output).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Write the secondary image CSV to FILE (- for standard output).
    #[arg(long, value_name = "FILE")]
    image: Option<PathBuf>,
    /// Write what each recovery site holds after A to FILE (- for standard output): every
    /// entry of the pending write queue, per record, with its data when the site has it.
    #[arg(long, value_name = "FILE")]
    held: Option<PathBuf>,
    /// Write the data-loss window over time to FILE (- for standard output): per site, one
    /// row per RPO sampling instant (run.rpo_interval) with A, B and the lag.
    #[arg(long, value_name = "FILE")]
    rpo_csv: Option<PathBuf>,
    /// Exit with status 1 if any site's recovered image is not consistent.
    #[arg(long)]
    expect_consistent: bool,
    /// Also print a report for a person: volumes lists every volume pair (state,
    /// residual count, bitmap, pacing, last update, delay cause) as XQUERY does.
    #[arg(long, value_name = "WHAT", value_parser = ["volumes"])]
    query: Option<String>,
    /// No progress line on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// The memory guard: end the run with an error when more than N record sets and
    /// messages are in flight at once (default: the scenario's run.max_pending, 8000000,
    /// about 3 GB at most).
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_max_pending)]
    max_pending: Option<u64>,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Scenario file (TOML); the built-in baseline when omitted.
    scenario: Option<PathBuf>,
    #[command(flatten)]
    common: ScenarioArgs,
    /// Print every name of long lists (volumes, data sets) instead of a summary.
    #[arg(long)]
    full: bool,
}

#[derive(Args, Debug)]
struct SweepArgs {
    #[command(subcommand)]
    action: Option<SweepAction>,
    /// Sweep file (TOML); see docs/sweeps.md.
    #[arg(value_name = "SWEEP.toml", required = true)]
    sweep: Option<PathBuf>,
    /// Output directory (results.csv, errors.csv, sweep.json, plots).
    #[arg(long, value_name = "DIR", required_unless_present = "dry_run")]
    out: Option<PathBuf>,
    /// Build every row (scenario and overrides) and report the invalid ones; run nothing.
    #[arg(long)]
    dry_run: bool,
    /// Run only rows with index % n == i (0 <= i < n), for clusters.
    #[arg(long, value_name = "i/n")]
    shard: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_jobs)]
    jobs: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Require an earlier run of this sweep in DIR (re-running always resumes).
    #[arg(long)]
    resume: bool,
}

#[derive(Subcommand, Debug)]
enum SweepAction {
    /// Join the results.csv of shards into one table, rows by index. Into a file named
    /// results.csv, its directory also gets sweep.json and the sweep's plots.
    #[command(
        after_help = "Examples:\n  xrcsim sweep merge merged/results.csv shard-*/results.csv\n  xrcsim sweep merge all.csv a/results.csv b/results.csv\n  xrcsim sweep merge - a/results.csv b/results.csv | head"
    )]
    Merge(MergeArgs),
}

#[derive(Args, Debug)]
struct MergeArgs {
    /// The merged table to write; - writes it to standard output (no sweep.json, no plots).
    #[arg(value_name = "OUT.csv")]
    out: PathBuf,
    /// The shards' results.csv files.
    #[arg(value_name = "SHARD.csv", required = true)]
    inputs: Vec<PathBuf>,
}

#[derive(Args, Debug)]
struct CompareArgs {
    /// Scenario file (TOML); the built-in baseline when omitted.
    scenario: Option<PathBuf>,
    #[command(flatten)]
    common: ScenarioArgs,
    /// Also write compare.csv and the bar figure compare.svg and compare.png into DIR.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_jobs)]
    jobs: Option<usize>,
}

#[derive(Args, Debug)]
struct PlanArgs {
    /// Scenario file (TOML); the built-in baseline when omitted.
    scenario: Option<PathBuf>,
    #[command(flatten)]
    common: ScenarioArgs,
    /// Keep the 99th percentile of the RPO (the sampled data-loss window) at or under DUR.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    rpo_p99: Option<SimDuration>,
    /// Keep the median RPO at or under DUR.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    rpo_p50: Option<SimDuration>,
    /// Keep the maximum RPO at or under DUR.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    rpo_max: Option<SimDuration>,
    /// Seeds per bandwidth tried (the scenario's seed and the next ones); the worst decides.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    seeds: u32,
    /// The largest bandwidth tried, Mbit/s per path.
    #[arg(long, value_name = "MBPS", default_value_t = 100_000.0)]
    max_mbps: f64,
    /// Also write plan.csv and the figure plan.svg and plan.png into DIR (with --movers:
    /// plan-movers.csv, and each count's plan in DIR/movers-K/).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Plan once per number of data movers, e.g. 1,2,4: the smallest bandwidth each needs.
    #[arg(long, value_name = "K,K,...", value_delimiter = ',', value_parser = clap::value_parser!(u32).range(1..=1024))]
    movers: Vec<u32>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_jobs)]
    jobs: Option<usize>,
}

#[derive(Args, Debug)]
struct TuiArgs {
    /// Scenario file (TOML); the built-in baseline when omitted.
    scenario: Option<PathBuf>,
    #[command(flatten)]
    common: ScenarioArgs,
}

#[derive(Args, Debug)]
struct InitArgs {
    /// Where to write the scenario; standard output when omitted or -.
    file: Option<PathBuf>,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(Args, Debug)]
struct CompletionsArgs {
    /// The shell.
    shell: clap_complete::Shell,
}

#[derive(Clone, Copy, Debug)]
enum Disaster {
    At(SimDuration),
    None,
}

fn parse_duration(s: &str) -> Result<SimDuration, String> {
    scenarios::load::parse_duration(s)
}

/// A seed: a whole number from 0 to 2^64 - 1.
fn parse_seed(s: &str) -> Result<u64, String> {
    s.trim().parse::<u64>().map_err(|_| {
        format!(
            "the seed is a whole number from 0 to {}, got `{s}`",
            u64::MAX
        )
    })
}

/// The memory guard's cap: at least 1.
fn parse_max_pending(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "the cap on record sets in flight is a whole number from 1 to {}, got `{s}`",
            u64::MAX
        )),
    }
}

/// Worker threads: at least 1 (at most 1024).
fn parse_jobs(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!(
            "the number of worker threads is a whole number from 1 to 1024, got `{s}`"
        )),
    }
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
        if !self.recover.is_empty() {
            let items: Vec<String> = self
                .recover
                .iter()
                .map(|p| serde_json::to_string(p).expect("a string serializes"))
                .collect();
            v.push(format!("disaster.recover=[{}]", items.join(",")));
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

/// Prints every warning on stderr; under `--strict` any warning is an error (status 2).
fn warn_all<W: std::fmt::Display>(warnings: &[W], strict: bool) -> Result<(), ExitCode> {
    for w in warnings {
        eprintln!("xrcsim: warning: {w}");
    }
    if strict && !warnings.is_empty() {
        return Err(fail(format!(
            "{} warning{} and --strict: stopping",
            warnings.len(),
            if warnings.len() == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

/// Loads, overrides and builds a scenario, printing its warnings.
fn prepare_cli(
    path: Option<&Path>,
    common: &ScenarioArgs,
    strict: bool,
) -> Result<scenarios::build::Built, ExitCode> {
    let (src, dir) = source(path).map_err(fail)?;
    let (built, warnings) = prepare_noted(&src, &common.sets(), &dir).map_err(fail)?;
    warn_all(&warnings, strict)?;
    Ok(built)
}

fn color_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Writes the JSON report to `path` (see [`scenarios::runner::Output`]: `-` is standard
/// output, a regular file is written atomically, a device in place).
fn write_json(path: &Path, r: &Report) -> Result<(), RunError> {
    let text = serde_json::to_string_pretty(r).expect("a report serializes") + "\n";
    let mut out = Output::create(path)?;
    out.write(text.as_bytes())?;
    out.finish()
}

/// Refuses, before anything runs, output paths that cannot work: a directory, a file in a
/// directory that does not exist, and two outputs to the same place (two `-` included).
/// `outs`: (flag, path) of every output given.
fn check_outputs(outs: &[(&str, &Path)]) -> Result<(), String> {
    let mut seen: Vec<(&str, PathBuf)> = Vec::new();
    for &(flag, path) in outs {
        let key = if is_stdout(path) {
            PathBuf::from("-")
        } else {
            if path.as_os_str().is_empty() {
                return Err(format!("{flag}: the path is empty"));
            }
            if path.is_dir() {
                return Err(format!(
                    "{flag} `{}`: is a directory; give a file name (or - for standard output)",
                    path.display()
                ));
            }
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            if !dir.is_dir() {
                return Err(format!(
                    "{flag} `{}`: directory `{}` does not exist",
                    path.display(),
                    dir.display()
                ));
            }
            match std::fs::canonicalize(path) {
                Ok(p) => p,
                Err(_) => std::fs::canonicalize(dir)
                    .unwrap_or_else(|_| dir.to_path_buf())
                    .join(path.file_name().unwrap_or(path.as_os_str())),
            }
        };
        if let Some((other, _)) = seen.iter().find(|(_, k)| *k == key) {
            return Err(if key == Path::new("-") {
                format!(
                    "{other} and {flag} both go to standard output (- or /dev/stdout); \
                     write one of them to a file"
                )
            } else {
                format!(
                    "{other} and {flag} both write to `{}`; give each output its own file",
                    path.display()
                )
            });
        }
        seen.push((flag, key));
    }
    Ok(())
}

/// Refuses an output that would overwrite an input of the run (the scenario file, the SPC
/// trace it replays): `xrcsim run my.toml --report my.toml` would destroy the scenario.
fn check_not_inputs(outs: &[(&str, &Path)], inputs: &[(&str, &Path)]) -> Result<(), String> {
    let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    for &(flag, out) in outs {
        if is_stdout(out) {
            continue;
        }
        if let Some((what, _)) = inputs.iter().find(|(_, i)| same(out, i)) {
            return Err(format!(
                "{flag} `{}` is the {what} this run reads; write the output to another file",
                out.display()
            ));
        }
    }
    Ok(())
}

/// On Ctrl-C (SIGINT) or SIGTERM during a run, removes the temporary `PATH.partial` files
/// of the outputs written atomically (see [`scenarios::runner::Output`]: the same names)
/// and exits with status 128 + the signal, so that an interrupted run leaves nothing that
/// looks like an output. A removed file still open for writing is harmless: the process
/// ends at once.
fn remove_partials_on_interrupt(outs: &[(&str, &Path)]) {
    let tmps: Vec<PathBuf> = outs
        .iter()
        .filter(|(_, p)| scenarios::runner::writes_atomically(p))
        .map(|(_, p)| {
            let mut t = p.as_os_str().to_owned();
            t.push(".partial");
            PathBuf::from(t)
        })
        .collect();
    if tmps.is_empty() {
        return;
    }
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(sig) = signals.forever().next() {
                for t in &tmps {
                    let _ = std::fs::remove_file(t);
                }
                eprintln!("xrcsim: interrupted; temporary output files removed");
                std::process::exit(128 + sig);
            }
        });
    }
}

fn run_failed(e: RunError) -> ExitCode {
    match e {
        // `xrcsim run --trace - | head`: the reader has what it wanted.
        RunError::StdoutClosed => ExitCode::SUCCESS,
        e => fail(e),
    }
}

fn cmd_run(a: RunArgs, strict: bool) -> ExitCode {
    let outs: Vec<(&str, &Path)> = [
        ("--report", a.report.as_deref()),
        ("--trace", a.trace.as_deref()),
        ("--image", a.image.as_deref()),
        ("--held", a.held.as_deref()),
        ("--rpo-csv", a.rpo_csv.as_deref()),
    ]
    .into_iter()
    .filter_map(|(f, p)| p.map(|p| (f, p)))
    .collect();
    if let Err(e) = check_outputs(&outs) {
        return fail(e);
    }
    // When an output takes standard output, it carries only that output: the report
    // printed at the end goes to stderr.
    let stdout_taken = outs.iter().any(|(_, p)| is_stdout(p));
    let built = match prepare_cli(a.scenario.as_deref(), &a.common, strict) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let inputs: Vec<(&str, &Path)> = a
        .scenario
        .as_deref()
        .map(|p| ("scenario file", p))
        .into_iter()
        .chain(
            built
                .trace
                .as_ref()
                .map(|t| ("SPC trace", t.path.as_path())),
        )
        .collect();
    if let Err(e) = check_not_inputs(&outs, &inputs) {
        return fail(e);
    }
    remove_partials_on_interrupt(&outs);
    let opts = RunOptions {
        trace: a.trace.clone(),
        image: a.image.clone(),
        held: a.held.clone(),
        rpo_csv: a.rpo_csv.clone(),
        progress: !a.quiet && std::io::stderr().is_terminal(),
        max_pending: a.max_pending,
    };
    let out = match run(&built, &opts) {
        Ok(o) => o,
        Err(e) => return run_failed(e),
    };
    if let Some(p) = &a.report
        && let Err(e) = write_json(p, &out.report)
    {
        return run_failed(e);
    }
    let text = if a.json {
        format!(
            "{}\n",
            serde_json::to_string_pretty(&out.report).expect("a report serializes")
        )
    } else {
        human(
            &out.report,
            if stdout_taken {
                std::io::stderr().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            } else {
                color_stdout()
            },
        )
    };
    let text = match a.query.as_deref() {
        Some("volumes") if !a.json => format!(
            "{text}\nvolumes\n{}",
            scenarios::report::volumes_table(&out.report)
        ),
        _ => text,
    };
    if stdout_taken {
        eprint!("{text}");
    } else {
        emit(&text);
    }
    if a.expect_consistent && !out.report.consistent() {
        eprintln!("xrcsim: a site's recovered image is not consistent (--expect-consistent)");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Longest line `check` prints without `--full`.
const CHECK_LINE_MAX: usize = 160;

/// Lines alike (same first two words) shown before `check` summarises the rest.
const CHECK_ALIKE_MAX: usize = 6;

/// Summarises long output for a person: a line longer than `max` characters is cut at a
/// word and ends `... and N more (--full lists them)` (N the words left out: volumes,
/// pairs); a run of more than `alike` consecutive lines starting with the same two words
/// (`storage control ...` times 200) keeps its first `alike - 1` lines and its last.
fn summarise_lists(text: &str, max: usize, alike: usize) -> String {
    let shorten = |line: &str| -> String {
        if line.chars().count() <= max {
            return line.to_string();
        }
        let end = line.char_indices().nth(max).map_or(line.len(), |(i, _)| i);
        let cut = line[..end].rfind(' ').unwrap_or(end);
        let rest = line[cut..].split_whitespace().count();
        format!("{} ... and {rest} more (--full lists them)", &line[..cut])
    };
    let key = |l: &str| l.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let k = key(lines[i]);
        let run = lines[i..].iter().take_while(|l| key(l) == k).count();
        if run > alike && !k.is_empty() {
            for l in &lines[i..i + alike - 1] {
                out.push_str(&shorten(l));
                out.push('\n');
            }
            out.push_str(&format!(
                "... {} more lines of {k} (--full lists them)\n",
                run - alike
            ));
            out.push_str(&shorten(lines[i + run - 1]));
            out.push('\n');
        } else {
            for l in &lines[i..i + run] {
                out.push_str(&shorten(l));
                out.push('\n');
            }
        }
        i += run;
    }
    out
}

fn cmd_check(a: CheckArgs, strict: bool) -> ExitCode {
    match prepare_cli(a.scenario.as_deref(), &a.common, strict) {
        Ok(b) => {
            let text = scenarios::build::describe(&b);
            if a.full {
                emit(&text);
            } else {
                emit(&summarise_lists(&text, CHECK_LINE_MAX, CHECK_ALIKE_MAX));
            }
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

fn cmd_sweep(a: SweepArgs, strict: bool) -> ExitCode {
    use scenarios::sweep;
    if let Some(SweepAction::Merge(m)) = a.action {
        return match sweep::merge(&m.out, &m.inputs) {
            Ok(s) => {
                eprintln!("{s}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    }
    let Some(sweep_path) = a.sweep else {
        return fail("sweep needs a sweep file: xrcsim sweep SWEEP.toml --out DIR");
    };
    let file = match sweep::load_sweep(&sweep_path) {
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
    if let Err(e) = scenarios::schema::check_sweep_keys(&base, &file) {
        return fail(e);
    }
    if let Some(j) = a.jobs.filter(|&j| j > 0) {
        // The check below and the rows use the same pool size.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(j)
            .build_global();
    }

    // Every row is built before any runs: an invalid grid value fails now, not on a cluster
    // after the job.
    let rows: Vec<sweep::Row> = file
        .rows()
        .into_iter()
        .filter(|r| sweep::in_shard(r.index, shard))
        .collect();
    let check = sweep::check_rows(&rows, |row| {
        scenarios::prepare_noted(&base, &row.sets(), &base_dir)
            .map(|(_, w)| w)
            .map_err(|e| e.to_string())
    });
    for w in &check.warnings {
        eprintln!("xrcsim: warning: {w}");
    }
    for bad in &check.invalid {
        eprintln!("xrcsim: {}: {bad}", sweep_path.display());
    }
    if !check.invalid.is_empty() {
        return fail(format!(
            "{}: {check}; nothing was run",
            sweep_path.display()
        ));
    }
    if strict && !check.warnings.is_empty() {
        return fail(format!("{}: {check} and --strict", sweep_path.display()));
    }
    if a.dry_run {
        eprintln!("{}: {check}", sweep_path.display());
        return ExitCode::SUCCESS;
    }
    let Some(out_dir) = a.out else {
        return fail("sweep needs --out DIR (where results.csv and the plots go)");
    };
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

/// Refuses, before anything runs, an output directory that is an existing file.
fn check_out_dir(out: Option<&Path>) -> Result<(), String> {
    match out {
        Some(d) if d.exists() && !d.is_dir() => Err(format!(
            "--out `{}`: is a file, not a directory",
            d.display()
        )),
        _ => Ok(()),
    }
}

/// What a command of many runs (compare, plan) does first: check its output directory, read
/// the scenario (the baseline when none), and size the worker pool (`--jobs`).
fn many_runs(
    scenario: Option<&Path>,
    out: Option<&Path>,
    jobs: Option<usize>,
) -> Result<(Source, PathBuf), ExitCode> {
    check_out_dir(out).map_err(fail)?;
    let (src, dir) = source(scenario).map_err(fail)?;
    if let Some(j) = jobs.filter(|&j| j > 0) {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(j)
            .build_global();
    }
    Ok((src, dir))
}

fn cmd_compare(a: CompareArgs, strict: bool) -> ExitCode {
    use scenarios::compare;
    let (src, dir) = match many_runs(a.scenario.as_deref(), a.out.as_deref(), a.jobs) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let cmp = match compare::compare(&src, &a.common.sets(), &dir) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if let Err(code) = warn_all(&cmp.warnings, strict) {
        return code;
    }
    emit(&cmp.table());
    written(a.out.as_deref().map(|out| cmp.write(out)))
}

/// Names the files an analysis wrote (`None`: no `--out`), or fails with its error.
fn written<E: std::fmt::Display>(files: Option<Result<Vec<std::path::PathBuf>, E>>) -> ExitCode {
    match files {
        Some(Ok(files)) => {
            for f in files {
                eprintln!("wrote {}", f.display());
            }
            ExitCode::SUCCESS
        }
        Some(Err(e)) => fail(e),
        None => ExitCode::SUCCESS,
    }
}

fn cmd_plan(a: PlanArgs, strict: bool) -> ExitCode {
    use scenarios::plan::{PlanRequest, Stat, plan};
    let (stat, target) = match (a.rpo_p99, a.rpo_p50, a.rpo_max) {
        (Some(d), None, None) => (Stat::P99, d),
        (None, Some(d), None) => (Stat::P50, d),
        (None, None, Some(d)) => (Stat::Max, d),
        _ => return fail("give one target: --rpo-p99, --rpo-p50 or --rpo-max"),
    };
    if !(a.max_mbps.is_finite() && a.max_mbps >= 0.064) {
        return fail(format!(
            "--max-mbps {}: give a bandwidth of at least 0.064 (Mbit/s)",
            a.max_mbps
        ));
    }
    let (src, dir) = match many_runs(a.scenario.as_deref(), a.out.as_deref(), a.jobs) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let req = PlanRequest {
        stat,
        target_ns: target.as_nanos(),
        seeds: a.seeds,
        max_mbps: a.max_mbps,
        ..PlanRequest::default()
    };
    // Warnings (and --strict) before the search, not after many runs.
    let sets = a.common.sets();
    match scenarios::plan::plan_sets(&src, &sets, &dir) {
        Ok((_, w, _)) => {
            if let Err(code) = warn_all(&w, strict) {
                return code;
            }
        }
        Err(e) => return fail(e),
    }
    if !a.movers.is_empty() {
        let p = match scenarios::plan::plan_movers(&src, &sets, &dir, &req, &a.movers) {
            Ok(p) => p,
            Err(e) => return fail(e),
        };
        emit(&p.table());
        return written(a.out.as_deref().map(|out| p.write(out)));
    }
    let p = match plan(&src, &sets, &dir, &req) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    emit(&p.table());
    written(a.out.as_deref().map(|out| p.write(out)))
}

fn cmd_tui(a: TuiArgs, strict: bool) -> ExitCode {
    let built = match prepare_cli(a.scenario.as_deref(), &a.common, strict) {
        Ok(b) => b,
        Err(code) => return code,
    };
    match tui::run(built) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// The scenario `xrcsim init` writes: every section explained, optional keys commented out.
const INIT_TEMPLATE: &str = include_str!("init.toml");

fn cmd_init(a: InitArgs) -> ExitCode {
    let Some(path) = a.file.filter(|p| !is_stdout(p)) else {
        emit(INIT_TEMPLATE);
        return ExitCode::SUCCESS;
    };
    if path.exists() && !a.force {
        return fail(format!(
            "`{}` exists; choose another name or add --force to overwrite it",
            path.display()
        ));
    }
    if let Err(e) = std::fs::write(&path, INIT_TEMPLATE) {
        return fail(format!("cannot write `{}`: {e}", path.display()));
    }
    eprintln!(
        "wrote {p}; try: xrcsim check {p} && xrcsim run {p}",
        p = path.display()
    );
    ExitCode::SUCCESS
}

fn cmd_completions(a: CompletionsArgs) -> ExitCode {
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut Cli::command(), "xrcsim", &mut buf);
    emit(&String::from_utf8_lossy(&buf));
    ExitCode::SUCCESS
}

fn cmd_man() -> ExitCode {
    let mut buf = Vec::new();
    if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut buf) {
        return fail(format!("cannot render the manual page: {e}"));
    }
    emit(&String::from_utf8_lossy(&buf));
    ExitCode::SUCCESS
}

/// For a first argument that is not a command: `xrcsim scenarios/fig5.toml` most likely
/// meant `xrcsim run scenarios/fig5.toml`.
fn command_hint(args: &[String]) -> Option<String> {
    let first = args.get(1)?;
    if first.starts_with('-') {
        return None;
    }
    let is_command = Cli::command()
        .get_subcommands()
        .any(|c| c.get_name() == first || c.get_all_aliases().any(|a| a == first));
    if is_command {
        return None;
    }
    let looks_like_file = first.ends_with(".toml") || Path::new(first).is_file();
    looks_like_file.then(|| {
        let rest: Vec<&str> = args[1..].iter().map(String::as_str).collect();
        format!(
            "`{first}` is not a command; did you mean `xrcsim run {}`? (xrcsim --help lists the commands)",
            rest.join(" ")
        )
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            if e.kind() == clap::error::ErrorKind::InvalidSubcommand
                && let Some(hint) = command_hint(&args)
            {
                return fail(hint);
            }
            // `xrcsim sweep X.toml extra.csv`: clap sees a second positional as a misplaced
            // subcommand; say plainly that it is one argument too many.
            if e.kind() == clap::error::ErrorKind::ArgumentConflict
                && let Some(clap::error::ContextValue::String(extra)) =
                    e.get(clap::error::ContextKind::InvalidSubcommand)
            {
                return fail(format!(
                    "unexpected argument '{extra}': xrcsim sweep takes one sweep file \
                     (to join shard results: xrcsim sweep merge OUT.csv SHARD.csv...)"
                ));
            }
            e.exit();
        }
    };
    let strict = cli.strict;
    match cli.cmd {
        None => cmd_run(RunArgs::default(), strict),
        Some(Cmd::Run(a)) => cmd_run(a, strict),
        Some(Cmd::Check(a)) => cmd_check(a, strict),
        Some(Cmd::Sweep(a)) => cmd_sweep(a, strict),
        Some(Cmd::Compare(a)) => cmd_compare(a, strict),
        Some(Cmd::Plan(a)) => cmd_plan(a, strict),
        Some(Cmd::Tui(a)) => cmd_tui(a, strict),
        Some(Cmd::Init(a)) => cmd_init(a),
        Some(Cmd::Completions(a)) => cmd_completions(a),
        Some(Cmd::Man) => cmd_man(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_summarised_and_short_lines_kept() {
        let vols: Vec<String> = (0..1000).map(|i| format!("VOL{i:04}")).collect();
        let text = format!("scenario x: valid\nvolumes {}\n", vols.join(" "));
        let s = summarise_lists(&text, 80, 6);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "scenario x: valid");
        // 80 characters hold `volumes` and 9 names; 991 are left out.
        assert_eq!(
            lines[1],
            "volumes VOL0000 VOL0001 VOL0002 VOL0003 VOL0004 VOL0005 VOL0006 VOL0007 VOL0008 \
             ... and 991 more (--full lists them)"
        );
        let many: String = (0..50)
            .map(|i| format!("storage control SS{i:02}: x\n"))
            .collect();
        let s = summarise_lists(&many, 80, 6);
        assert_eq!(s.lines().count(), 7, "{s}");
        assert!(
            s.contains("... 44 more lines of storage control (--full lists them)"),
            "{s}"
        );
        assert!(s.ends_with("storage control SS49: x\n"), "{s}");
        let short = "a b c\nstorage control A\nstorage control B\n";
        assert_eq!(summarise_lists(short, 80, 6), short);
    }

    #[test]
    fn a_scenario_given_as_command_gets_a_hint() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let h = command_hint(&args(&["xrcsim", "scenarios/fig5.toml", "--json"])).unwrap();
        assert!(h.contains("did you mean `xrcsim run scenarios/fig5.toml --json`"));
        assert_eq!(command_hint(&args(&["xrcsim", "runn"])), None);
        assert_eq!(command_hint(&args(&["xrcsim", "run", "x.toml"])), None);
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
