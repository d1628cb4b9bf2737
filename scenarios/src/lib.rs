//! # scenarios: scenario files, runs and reports of xrcsim
//!
//! - [`load`]: TOML scenario text into any serde schema, with `--set path=value` overrides
//!   and errors that name the file, line and column (or the `--set` argument), the offending
//!   key and what is allowed;
//! - [`schema`]: the scenario file schema, with defaults for everything;
//! - [`build`]: from a scenario to the world it describes (names resolved, cross-field
//!   checks);
//! - [`runner`]: one deterministic run, its trace and image files;
//! - [`report`]: the JSON report and the human summary;
//! - [`verify`]: an independent checker of a run's trace, image and report;
//! - [`compare`]: every copy mode on the same workload, side by side;
//! - [`plan`]: the smallest link bandwidth that keeps an RPO statistic under a target;
//! - [`sweep`] and [`plot`]: parameter grids x seeds in parallel, CSV results with resume
//!   and sharding, plots.

#![warn(missing_docs)]

pub mod build;
pub mod compare;
pub mod load;
pub mod plan;
pub mod plot;
pub mod report;
pub mod runner;
pub mod schema;
pub mod scope;
pub mod sweep;
pub mod trace;
pub mod verify;

pub use load::{
    Document, ErrorInfo, ErrorKind, LoadError, Loaded, Location, Source, load, read_file,
};

use std::path::Path;

/// The built-in default scenario (the same file as `scenarios/baseline.toml`).
pub const BASELINE: &str = include_str!("../baseline.toml");

/// Loads scenario `src` with `--set` overrides, fills in defaults and builds it; `base_dir`
/// resolves relative paths in it.
pub fn prepare(src: &Source, sets: &[String], base_dir: &Path) -> Result<build::Built, LoadError> {
    prepare_noted(src, sets, base_dir).map(|(built, _)| built)
}

/// [`prepare`], also returning the warnings collected on the way (an override that
/// changed nothing, such as `--set nosuch.key=none`), for the caller to print.
pub fn prepare_noted(
    src: &Source,
    sets: &[String],
    base_dir: &Path,
) -> Result<(build::Built, Vec<String>), LoadError> {
    let mut loaded: Loaded<schema::Scenario> = load(src, sets)?;
    if let Err((path, msg)) = build::apply_defaults(&mut loaded.value) {
        return Err(loaded.error_at(&path, msg));
    }
    let built = build::build(&loaded, base_dir)?;
    Ok((built, loaded.warnings().to_vec()))
}

/// Runs one sweep row: the base scenario with the row's overrides and seed, returning the
/// flattened JSON report (the sweep's CSV columns).
pub fn sweep_row(
    base: &Source,
    base_dir: &Path,
    row: &sweep::Row,
) -> Result<Vec<(String, sweep::Value)>, String> {
    let built = prepare(base, &row.sets(), base_dir).map_err(|e| e.to_string())?;
    let out = runner::run(&built, &runner::RunOptions::default()).map_err(|e| e.to_string())?;
    let mut json = serde_json::to_value(&out.report).map_err(|e| e.to_string())?;
    drop_listings(&mut json);
    Ok(sweep::flatten_json(&json))
}

/// The recovery site's per-item listings (`secondary_view.entries`, `datasets`,
/// `datasets_affected`) left out of a sweep row: one column per entry or data set would
/// make a table as wide as the backlog or the session (50,000 columns for 10,000 data sets)
/// and differ from row to row. Their counts stay; `xrcsim run --json` has the listings.
pub fn drop_listings(report: &mut serde_json::Value) {
    let Some(sites) = report.get_mut("sites").and_then(|s| s.as_array_mut()) else {
        return;
    };
    for site in sites {
        if let Some(v) = site
            .get_mut("secondary_view")
            .and_then(|v| v.as_object_mut())
        {
            for k in SWEEP_LEFT_OUT {
                v.remove(*k);
            }
        }
    }
}

/// The `secondary_view` listings a sweep row leaves out (see [`drop_listings`]).
pub const SWEEP_LEFT_OUT: &[&str] = &["entries", "datasets", "datasets_affected"];

/// Fuzzing entry point: the text up to the first NUL byte is a scenario file, each further
/// NUL-separated chunk a `--set` argument; loading and building must never panic.
pub fn fuzz_prepare(bytes: &[u8]) {
    let mut parts = bytes.split(|&b| b == 0);
    let text = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let sets: Vec<String> = parts
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    let _ = prepare(&Source::new("fuzz.toml", text), &sets, Path::new("."));
}
