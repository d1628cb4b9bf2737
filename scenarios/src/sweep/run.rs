//! Running a sweep: rows in parallel, each finished row appended to `results.csv` at
//! once, resume from an earlier (possibly interrupted) run, errors to `errors.csv`.

use std::fmt;
use std::fs::File;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::grid::{check_shard, in_shard};
use super::table::{
    ERROR_COLUMN, Layout, ROW_COLUMN, ResultTable, SEED_COLUMN, Sheet, append_line, encode_line,
    open_append, read_table, truncate_torn, write_atomic, write_bytes_atomic,
};
use super::value::one_line;
use super::{Row, SweepError, SweepFile, Value};
use crate::plot::{PlotSpec, plot};

/// File name of the results table in the output directory.
pub const RESULTS_FILE: &str = "results.csv";
/// File name of the failed-rows table in the output directory.
pub const ERRORS_FILE: &str = "errors.csv";
/// File name of the sidecar that ties an output directory to its sweep.
pub const SIDECAR_FILE: &str = "sweep.json";
/// Prefix given to a report column whose name clashes with a leading column
/// (`row`, a parameter, `seed`): the report's own `seed` becomes `report.seed`.
pub const CLASH_PREFIX: &str = "report.";

/// How to run a sweep (the flags of `xrcsim sweep`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepOptions {
    /// Output directory: `results.csv`, `errors.csv`, `sweep.json`, plots (`--out`).
    pub out_dir: PathBuf,
    /// Run only shard `(i, n)`: the rows whose index modulo `n` is `i`, `0 <= i < n`
    /// (`--shard i/n`).
    pub shard: Option<(u32, u32)>,
    /// Worker threads (`--jobs`); `None` or `Some(0)` means one per core.
    pub jobs: Option<usize>,
    /// No progress bar (it is also hidden when stderr is not a terminal).
    pub quiet: bool,
    /// Require an earlier run of this sweep in `out_dir` (`--resume`); without it an
    /// earlier run is resumed too, and an empty directory starts a new one.
    pub resume: bool,
}

impl SweepOptions {
    /// Options for writing to `out_dir`, all rows, all cores, progress bar, no `--resume`.
    pub fn new(out_dir: impl Into<PathBuf>) -> Self {
        SweepOptions {
            out_dir: out_dir.into(),
            shard: None,
            jobs: None,
            quiet: false,
            resume: false,
        }
    }
}

/// What a sweep did.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSummary {
    /// Rows in the whole sweep.
    pub total_rows: usize,
    /// Rows in this shard (all rows when not sharded).
    pub shard_rows: usize,
    /// Rows of this shard already in `results.csv` from an earlier run, skipped.
    pub already_done: usize,
    /// Rows that finished now and were written to `results.csv`.
    pub succeeded: usize,
    /// Rows whose run failed now (listed in `errors.csv`; re-running retries them).
    pub failed: usize,
    /// Rows not attempted because the sweep stopped on an output error.
    pub not_run: usize,
    /// The results table.
    pub results: PathBuf,
    /// The errors table, when some row of this shard has failed.
    pub errors: Option<PathBuf>,
    /// Plot files written (SVG and PNG; none for a shard).
    pub plots: Vec<PathBuf>,
    /// Plots that could not be drawn, with the reason (the results are still complete).
    pub plot_errors: Vec<String>,
}

impl SweepSummary {
    /// True when every row of this shard has a result.
    pub fn complete(&self) -> bool {
        self.already_done + self.succeeded == self.shard_rows
    }
}

impl fmt::Display for SweepSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} rows", self.shard_rows)?;
        if self.shard_rows != self.total_rows {
            write!(f, " in this shard (of {})", self.total_rows)?;
        }
        write!(f, ": ")?;
        if self.already_done > 0 {
            write!(f, "{} already done, ", self.already_done)?;
        }
        write!(
            f,
            "{} ran now ({} ok, {} failed)",
            self.succeeded + self.failed,
            self.succeeded,
            self.failed
        )?;
        if self.not_run > 0 {
            write!(f, ", {} not run", self.not_run)?;
        }
        write!(f, "; results in {}", self.results.display())?;
        if let Some(e) = &self.errors {
            write!(f, "; failed rows in {} (re-run to retry them)", e.display())?;
        }
        for p in &self.plot_errors {
            write!(f, "; {p}")?;
        }
        Ok(())
    }
}

/// The sidecar `DIR/sweep.json`: which sweep (and shard) the directory's results belong to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Sidecar {
    pub(crate) format: String,
    pub(crate) version: u32,
    pub(crate) sweep_file: String,
    pub(crate) base: String,
    pub(crate) content_hash: String,
    pub(crate) rows: usize,
    pub(crate) shard: Option<(u32, u32)>,
    pub(crate) params: Vec<String>,
    #[serde(default)]
    pub(crate) plots: Vec<PlotSpec>,
}

pub(crate) const SIDECAR_FORMAT: &str = "xrcsim-sweep";

impl Sidecar {
    fn of(sweep: &SweepFile, shard: Option<(u32, u32)>) -> Self {
        Sidecar {
            format: SIDECAR_FORMAT.to_string(),
            version: 1,
            sweep_file: sweep.path.display().to_string(),
            base: sweep.base.display().to_string(),
            content_hash: sweep.content_hash(),
            rows: sweep.row_count(),
            shard,
            params: sweep.param_columns(),
            plots: sweep.plots.clone(),
        }
    }

    /// Reads `path` if it exists.
    pub(crate) fn read(path: &Path) -> Result<Option<Sidecar>, SweepError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(SweepError::io("cannot read", path, e)),
        };
        let s: Sidecar = serde_json::from_str(&text).map_err(|e| {
            SweepError::results(
                path,
                format!("not a sweep sidecar ({e}); it is written by xrcsim sweep"),
            )
        })?;
        if s.format != SIDECAR_FORMAT || s.version != 1 {
            return Err(SweepError::results(
                path,
                format!(
                    "format `{}` version {} is not `{SIDECAR_FORMAT}` version 1",
                    s.format, s.version
                ),
            ));
        }
        Ok(Some(s))
    }

    pub(crate) fn write(&self, path: &Path) -> Result<(), SweepError> {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        write_bytes_atomic(path, text.as_bytes())
    }
}

/// The leading cells of `row`: its index, its parameter values, its seed.
fn lead_of(row: &Row) -> Vec<String> {
    let mut v = Vec::with_capacity(row.overrides.len() + 2);
    v.push(row.index.to_string());
    v.extend(row.overrides.iter().map(|(_, val)| one_line(val)));
    v.push(row.seed.to_string());
    v
}

/// Mutable output state shared by the workers.
struct Out<'a> {
    dir: &'a Path,
    results_path: PathBuf,
    errors_path: PathBuf,
    sheet: Sheet,
    /// Header currently in `results.csv` (empty: no file yet).
    written: Vec<String>,
    results: Option<File>,
    errors: Option<File>,
    /// Failed rows: (index, lead cells, message); earlier runs' entries first.
    failures: Vec<(usize, Vec<String>, String)>,
    fatal: Option<SweepError>,
}

impl Out<'_> {
    fn record_success(
        &mut self,
        row: &Row,
        cells: Vec<(String, String)>,
    ) -> Result<(), SweepError> {
        self.sheet.add(row.index, lead_of(row), cells);
        let header = self.sheet.header();
        if header != self.written {
            // New columns: rewrite the file (atomically) with the wider header.
            self.results = None;
            write_atomic(&self.results_path, &header, self.sheet.records())?;
            self.written = header;
            self.results = Some(open_append(&self.results_path)?);
        } else {
            let last = self
                .sheet
                .rows
                .last()
                .map(|r| self.sheet.record(r))
                .unwrap_or_default();
            let line = encode_line(&last);
            let f = match &mut self.results {
                Some(f) => f,
                None => self.results.insert(open_append(&self.results_path)?),
            };
            append_line(f, &self.results_path, &line)?;
        }
        Ok(())
    }

    fn record_failure(&mut self, row: &Row, message: &str) -> Result<(), SweepError> {
        let lead = lead_of(row);
        let msg = one_line(message);
        if self.errors.is_none() {
            let fresh = std::fs::metadata(&self.errors_path).map_or(true, |m| m.len() == 0);
            let mut f = open_append(&self.errors_path)?;
            if fresh {
                let mut header = self.sheet.lead_header.clone();
                header.push(ERROR_COLUMN.to_string());
                append_line(&mut f, &self.errors_path, &encode_line(&header))?;
            }
            self.errors = Some(f);
        }
        let mut fields = lead.clone();
        fields.push(msg.clone());
        let line = encode_line(&fields);
        if let Some(f) = &mut self.errors {
            append_line(f, &self.errors_path, &line)?;
        }
        self.failures.push((row.index, lead, msg));
        Ok(())
    }
}

/// Runs the rows of `sweep` (or of one shard) that `opts.out_dir` does not hold yet, in
/// parallel, with `runner` computing one row's flattened report; see `docs/sweeps.md`.
///
/// Each finished row is appended to `DIR/results.csv` and flushed at once; a failed row
/// (an `Err` from the runner, or a panic in it) goes to `DIR/errors.csv` and the others
/// go on. At the end `results.csv` is rewritten atomically in canonical order (rows by
/// index), so its content depends only on the rows, not on the thread count; and, when
/// not sharded, the sweep's plots are drawn into `DIR`.
pub fn run_sweep<F>(
    sweep: &SweepFile,
    opts: &SweepOptions,
    runner: F,
) -> Result<SweepSummary, SweepError>
where
    F: Fn(&Row) -> Result<Vec<(String, Value)>, String> + Sync,
{
    let dir = opts.out_dir.as_path();
    if let Some(shard) = opts.shard {
        check_shard(shard).map_err(|m| SweepError::Usage {
            flag: "--shard",
            message: format!("{}/{}: {m}", shard.0, shard.1),
        })?;
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| SweepError::io("cannot create output directory", dir, e))?;
    let results_path = dir.join(RESULTS_FILE);
    let errors_path = dir.join(ERRORS_FILE);
    let sidecar_path = dir.join(SIDECAR_FILE);

    // 1. Is this directory ours?
    let ours = Sidecar::of(sweep, opts.shard);
    match Sidecar::read(&sidecar_path)? {
        Some(old) => {
            if old.content_hash != ours.content_hash {
                return Err(SweepError::results(
                    dir,
                    format!(
                        "holds results of a different sweep: the sweep file {} or its base \
                         scenario {} changed since that run (hash {} then, {} now; grid, \
                         [set], seeds and the base scenario count, plots and comments do \
                         not). Resuming would mix results; use a new --out directory, or \
                         delete this one to start over",
                        old.sweep_file, old.base, old.content_hash, ours.content_hash
                    ),
                ));
            }
            if old.shard != ours.shard {
                let show = |s: Option<(u32, u32)>| match s {
                    Some((i, n)) => format!("--shard {i}/{n}"),
                    None => "no --shard".to_string(),
                };
                return Err(SweepError::results(
                    dir,
                    format!(
                        "was written with {} but this run has {}; give each shard its own \
                         --out directory (merge them with `xrcsim sweep merge`)",
                        show(old.shard),
                        show(ours.shard)
                    ),
                ));
            }
        }
        None => {
            if opts.resume {
                return Err(SweepError::results(
                    dir,
                    "--resume: this directory holds no earlier run of a sweep (no sweep.json); \
                     drop --resume to start a new run here",
                ));
            }
            if results_path.exists() {
                return Err(SweepError::results(
                    &results_path,
                    "exists but the directory has no sweep.json, so it was not written by \
                     this sweep; refusing to overwrite it (use a new --out directory)",
                ));
            }
        }
    }
    ours.write(&sidecar_path)?;

    // 2. What is done already?
    let rows = sweep.rows();
    let mine: Vec<&Row> = rows
        .iter()
        .filter(|r| in_shard(r.index, opts.shard))
        .collect();
    let mut lead_header = vec![ROW_COLUMN.to_string()];
    lead_header.extend(sweep.param_columns());
    lead_header.push(SEED_COLUMN.to_string());
    let mut sheet = Sheet::new(lead_header.clone());
    let duration_cols = duration_columns(sweep);
    let mut done = vec![false; rows.len()];
    let mut written = Vec::new();
    if results_path.exists() {
        let (table, torn) = read_table(&results_path, Layout::Results)?;
        check_lead(&results_path, &table, &lead_header)?;
        truncate_torn(&results_path, torn)?;
        check_rows(&results_path, &table, &rows, opts.shard)?;
        sheet.add_table(&table, |i, _| {
            let fresh = !done[i];
            done[i] = true;
            fresh
        });
        // Rows written before the numeric duration columns existed get them now (they
        // follow from the row's parameters).
        for (k, name) in duration_cols.iter().enumerate() {
            sheet.fill_front(k, &name.1, |lead| {
                duration_cell(lead.get(1 + name.0).map_or("", String::as_str))
            });
        }
        written = if table.header.is_empty() {
            Vec::new()
        } else {
            table.header.clone()
        };
        if written.len() != sheet.header().len() || sheet.rows.len() != table.records.len() {
            written = Vec::new(); // Force a clean rewrite on the first new row.
        }
    }
    let mut failures = Vec::new();
    if errors_path.exists() {
        let (table, torn) = read_table(&errors_path, Layout::Errors)?;
        let mut want = lead_header.clone();
        want.push(ERROR_COLUMN.to_string());
        if !table.header.is_empty() && table.header != want {
            return Err(SweepError::results(
                &errors_path,
                format!(
                    "header `{}` does not match this sweep (`{}`)",
                    table.header.join(","),
                    want.join(",")
                ),
            ));
        }
        truncate_torn(&errors_path, torn)?;
        for rec in table.records {
            let index: usize = rec[0].parse().unwrap_or(usize::MAX);
            let n = rec.len();
            failures.push((index, rec[..n - 1].to_vec(), rec[n - 1].clone()));
        }
    }
    let already_done = mine.iter().filter(|r| done[r.index]).count();
    let todo: Vec<&Row> = mine.iter().copied().filter(|r| !done[r.index]).collect();

    // 3. Run what is left.
    let param_names: Vec<String> = sweep.param_columns();
    let out = Mutex::new(Out {
        dir,
        results_path: results_path.clone(),
        errors_path: errors_path.clone(),
        sheet,
        written,
        results: None,
        errors: None,
        failures,
        fatal: None,
    });
    let attempted: Vec<AtomicBool> = (0..rows.len()).map(|_| AtomicBool::new(false)).collect();
    let stop = AtomicBool::new(false);
    let bar = progress_bar(mine.len(), already_done, opts.quiet);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.unwrap_or(0))
        .thread_name(|i| format!("sweep-{i}"))
        .build()
        .map_err(|e| SweepError::Usage {
            flag: "--jobs",
            message: format!("cannot start {:?} worker threads: {e}", opts.jobs),
        })?;
    let failed_now = std::sync::atomic::AtomicUsize::new(0);
    let ok_now = std::sync::atomic::AtomicUsize::new(0);
    pool.install(|| {
        todo.par_iter().with_max_len(1).for_each(|row| {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            attempted[row.index].store(true, Ordering::Relaxed);
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runner(row)))
                .unwrap_or_else(|p| Err(format!("the run panicked: {}", panic_text(&*p))))
                .and_then(|cols| to_cells(cols, &param_names))
                .map(|cells| {
                    let mut all: Vec<(String, String)> = duration_cols
                        .iter()
                        .map(|(i, name)| (name.clone(), duration_cell(&row.overrides[*i].1)))
                        .collect();
                    all.extend(
                        cells
                            .into_iter()
                            .filter(|(c, _)| !duration_cols.iter().any(|(_, name)| name == c)),
                    );
                    all
                });
            let mut o = out.lock().unwrap_or_else(|e| e.into_inner());
            let written = match outcome {
                Ok(cells) => {
                    ok_now.fetch_add(1, Ordering::Relaxed);
                    o.record_success(row, cells)
                }
                Err(msg) => {
                    let n = failed_now.fetch_add(1, Ordering::Relaxed) + 1;
                    bar.set_message(format!("{n} failed"));
                    o.record_failure(row, &msg)
                }
            };
            if let Err(e) = written {
                stop.store(true, Ordering::Relaxed);
                o.fatal.get_or_insert(e);
            }
            drop(o);
            bar.inc(1);
        });
    });
    bar.finish_and_clear();
    let mut out = out.into_inner().unwrap_or_else(|e| e.into_inner());
    if let Some(e) = out.fatal.take() {
        return Err(e);
    }

    // 4. Canonical rewrite of results.csv, errors.csv, plots.
    out.results = None;
    out.errors = None;
    out.sheet.canonicalize();
    write_atomic(&results_path, &out.sheet.header(), out.sheet.records())?;
    let finished: std::collections::BTreeSet<usize> =
        out.sheet.rows.iter().map(|r| r.index).collect();
    let mut last: std::collections::BTreeMap<usize, (Vec<String>, String)> = Default::default();
    for (i, lead, msg) in std::mem::take(&mut out.failures) {
        if !finished.contains(&i) {
            last.insert(i, (lead, msg)); // the latest attempt wins
        }
    }
    let errors = if last.is_empty() {
        match std::fs::remove_file(&errors_path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(SweepError::io("cannot remove stale", &errors_path, e)),
        }
        None
    } else {
        let mut header = lead_header.clone();
        header.push(ERROR_COLUMN.to_string());
        write_atomic(
            &errors_path,
            &header,
            last.into_values().map(|(mut lead, msg)| {
                lead.push(msg);
                lead
            }),
        )?;
        Some(errors_path)
    };

    let mut summary = SweepSummary {
        total_rows: rows.len(),
        shard_rows: mine.len(),
        already_done,
        succeeded: ok_now.into_inner(),
        failed: failed_now.into_inner(),
        not_run: todo
            .iter()
            .filter(|r| !attempted[r.index].load(Ordering::Relaxed))
            .count(),
        results: results_path,
        errors,
        plots: Vec::new(),
        plot_errors: Vec::new(),
    };
    if opts.shard.is_none() {
        let table = out.sheet.to_table();
        draw_plots(
            &table,
            &sweep.plots,
            out.dir,
            &mut summary.plots,
            &mut summary.plot_errors,
        );
    }
    Ok(summary)
}

/// Draws every plot of `specs` from `table` into `dir`, collecting files and errors.
pub(crate) fn draw_plots(
    table: &ResultTable,
    specs: &[PlotSpec],
    dir: &Path,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<String>,
) {
    for spec in specs {
        match plot(table, spec, dir) {
            Ok(out) => files.extend(out.files),
            Err(e) => errors.push(e.to_string()),
        }
    }
}

/// Suffix of the numeric column of a duration parameter (`copy.batch_timer_ns`).
pub const DURATION_SUFFIX: &str = "_ns";

/// The parameters given as durations with a unit (`"10ms"`, `"15s"`) anywhere in the grid
/// or `[set]`: their position among the parameter columns and the name of their numeric
/// column (`copy.batch_timer_ns`, integer nanoseconds), which follows `seed` in
/// `results.csv` (the parameter column keeps the text as written).
pub fn duration_columns(sweep: &SweepFile) -> Vec<(usize, String)> {
    let values = sweep
        .grid
        .iter()
        .map(|(k, v)| (k, v.clone()))
        .chain(sweep.set.iter().map(|(k, v)| (k, vec![v.clone()])));
    values
        .enumerate()
        .filter(|(_, (_, vs))| {
            vs.iter()
                .any(|v| v.trim().parse::<f64>().is_err() && !duration_cell(v).is_empty())
        })
        .map(|(i, (k, _))| (i, format!("{k}{DURATION_SUFFIX}")))
        .collect()
}

/// A duration parameter's value in integer nanoseconds; empty when the text is not a
/// duration (`none`).
fn duration_cell(text: &str) -> String {
    text.trim()
        .parse::<sim::SimDuration>()
        .map(|d| d.as_nanos().to_string())
        .unwrap_or_default()
}

/// Converts a run's report into `(column, cell text)`, renaming clashes with leading
/// columns and refusing empty or repeated names.
fn to_cells(
    cols: Vec<(String, Value)>,
    params: &[String],
) -> Result<Vec<(String, String)>, String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(cols.len());
    for (name, value) in cols {
        if name.is_empty() {
            return Err("the run reported a column with an empty name".to_string());
        }
        let name = if name == ROW_COLUMN || name == SEED_COLUMN || params.contains(&name) {
            format!("{CLASH_PREFIX}{name}")
        } else {
            one_line(&name)
        };
        if !seen.insert(name.clone()) {
            return Err(format!("the run reported column `{name}` twice"));
        }
        out.push((name, value.to_cell()));
    }
    Ok(out)
}

fn check_lead(path: &Path, table: &ResultTable, lead: &[String]) -> Result<(), SweepError> {
    if table.header.is_empty() {
        return Ok(());
    }
    if table.header.len() < lead.len() || table.header[..lead.len()] != *lead {
        return Err(SweepError::results(
            path,
            format!(
                "its leading columns `{}` are not this sweep's `{}`",
                table.header[..table.lead_len().min(table.header.len())].join(","),
                lead.join(",")
            ),
        ));
    }
    Ok(())
}

/// Every record must be a row of this shard with the parameters and seed of that row.
fn check_rows(
    path: &Path,
    table: &ResultTable,
    rows: &[Row],
    shard: Option<(u32, u32)>,
) -> Result<(), SweepError> {
    for (line, rec) in table.records.iter().enumerate() {
        let index: usize = rec[0].parse().unwrap_or(usize::MAX);
        let Some(row) = rows.get(index).filter(|_| in_shard(index, shard)) else {
            return Err(SweepError::results(
                path,
                format!(
                    "line {}: row {} is not a row of this sweep (or shard)",
                    line + 2,
                    rec[0]
                ),
            ));
        };
        let want = lead_of(row);
        if rec[..want.len()] != want[..] {
            return Err(SweepError::results(
                path,
                format!(
                    "line {}: row {index} has parameters/seed `{}` but the sweep has `{}` \
                     (key {}); the file was edited or belongs to another sweep",
                    line + 2,
                    rec[1..want.len()].join(","),
                    want[1..].join(","),
                    row.key()
                ),
            ));
        }
    }
    Ok(())
}

fn progress_bar(total: usize, done: usize, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
    if !quiet && std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
    }
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} rows  ETA {eta}  {msg}",
    ) {
        bar.set_style(style);
    }
    bar.set_position(done as u64);
    bar.reset_eta();
    bar
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}
