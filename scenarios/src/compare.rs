//! `xrcsim compare`: every copy mode on the same workload, struck at the same instant.
//!
//! One scenario, built once per copy mode (`copy.mode` set to each name of
//! [`models::world::Mode::ALL`], so a new mode joins without a change here), all runs in
//! parallel on the rayon pool, then one row per mode: host write response p50 and p99,
//! writes lost, the data-loss window, the consistency verdict. Every run uses the same
//! seed, workload and disaster instant; only the copy mode differs.
//!
//! The figures are read from the JSON report (the contract of docs/contracts.md), not from
//! the report's Rust types, so this module only depends on the published field names.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value as Json;

use crate::load::{LoadError, Source};
use crate::runner::{RunOptions, run};

/// File names `xrcsim compare --out DIR` writes.
pub const CSV_FILE: &str = "compare.csv";
/// The bar figure.
pub const SVG_FILE: &str = "compare.svg";
/// The bar figure as an image.
pub const PNG_FILE: &str = "compare.png";

/// The key compare sets on every run.
const MODE_KEY: &str = "copy.mode";

/// One copy mode's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct ModeResult {
    /// The mode's name (`xrc`, `sync`, ...).
    pub mode: String,
    /// Host writes completed at the primary.
    pub writes: u64,
    /// Host write response time, median, ns.
    pub response_p50_ns: u64,
    /// Host write response time, 99th percentile, ns.
    pub response_p99_ns: u64,
    /// Writes lost, all secondary sites together (routed writes above each site's
    /// consistency point).
    pub writes_lost: u64,
    /// Their bytes.
    pub bytes_lost: u64,
    /// The largest data-loss window of any site, ns.
    pub window_ns: u64,
    /// Every site's recovered image is a consistent prefix without dependent-write
    /// violations.
    pub consistent: bool,
}

/// What [`compare`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Scenario name.
    pub scenario: String,
    /// The master seed every run used.
    pub seed: u64,
    /// The disaster instant every run was struck at, ns (none: evaluated at the end of
    /// the workload).
    pub disaster_at_ns: Option<u64>,
    /// One result per mode, in [`models::world::Mode::ALL`] order.
    pub modes: Vec<ModeResult>,
    /// Warnings from building the scenario (an override that changed nothing).
    pub warnings: Vec<String>,
    /// Notes printed under the table (why a mode's figures look the way they do).
    pub notes: Vec<String>,
}

/// Why a comparison could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// The scenario (with the overrides and one of the modes) does not build.
    #[error("{0}")]
    Load(#[from] LoadError),
    /// The user fixed the copy mode, which compare varies.
    #[error("--set {0}: compare runs every copy mode; drop this override")]
    ModeGiven(String),
    /// A run failed.
    #[error("mode {mode}: {message}")]
    Run {
        /// The mode.
        mode: String,
        /// The runner's message.
        message: String,
    },
    /// An output file could not be written.
    #[error("cannot write `{path}`: {message}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// The copy modes, by their command-line names.
pub fn mode_names() -> Vec<&'static str> {
    models::world::Mode::ALL.iter().map(|m| m.name()).collect()
}

/// Runs `src` with `sets` once per copy mode, in parallel; `base_dir` resolves its
/// relative paths.
pub fn compare(src: &Source, sets: &[String], base_dir: &Path) -> Result<Comparison, CompareError> {
    if let Some(s) = sets
        .iter()
        .find(|s| s.split_once('=').is_some_and(|(k, _)| k.trim() == MODE_KEY))
    {
        return Err(CompareError::ModeGiven(s.clone()));
    }
    let mut warnings = Vec::new();
    let mut builds = Vec::new();
    for name in mode_names() {
        let mut all = sets.to_vec();
        all.push(format!("{MODE_KEY}={name}"));
        let (built, w) = crate::prepare_noted(src, &all, base_dir)?;
        if warnings.is_empty() {
            warnings = w;
        }
        builds.push((name, built));
    }
    let reports: Vec<Result<Json, CompareError>> = builds
        .par_iter()
        .map(|(name, built)| {
            let out = run(built, &RunOptions::default()).map_err(|e| CompareError::Run {
                mode: name.to_string(),
                message: e.to_string(),
            })?;
            serde_json::to_value(&out.report).map_err(|e| CompareError::Run {
                mode: name.to_string(),
                message: e.to_string(),
            })
        })
        .collect();
    let reports: Vec<Json> = reports.into_iter().collect::<Result<_, _>>()?;
    let first = &reports[0];
    let mut notes = Vec::new();
    for ((name, built), r) in builds.iter().zip(&reports) {
        let interval = built.world.copy.pit_interval;
        let struck = r["disaster_at_ns"]
            .as_u64()
            .or_else(|| r["sim_time_ns"].as_u64())
            .unwrap_or(0);
        if *name == models::world::Mode::Pit.name() && interval.as_nanos() >= struck {
            notes.push(format!(
                "{name}: no point-in-time copy was complete before the end (copy.pit_interval = {interval}); \
                 try --set copy.pit_interval=1s"
            ));
        }
    }
    Ok(Comparison {
        scenario: first["scenario"].as_str().unwrap_or_default().to_string(),
        seed: first["seed"].as_u64().unwrap_or_default(),
        disaster_at_ns: first["disaster_at_ns"].as_u64(),
        modes: builds
            .iter()
            .zip(&reports)
            .map(|((name, _), r)| mode_result(name, r))
            .collect(),
        warnings,
        notes,
    })
}

/// One mode's row from its JSON report.
pub fn mode_result(mode: &str, r: &Json) -> ModeResult {
    let u = |v: &Json| v.as_u64().unwrap_or(0);
    let sites = r["sites"].as_array().map(Vec::as_slice).unwrap_or_default();
    ModeResult {
        mode: mode.to_string(),
        writes: u(&r["primary"]["writes"]),
        response_p50_ns: u(&r["primary"]["write_response_ns"]["p50"]),
        response_p99_ns: u(&r["primary"]["write_response_ns"]["p99"]),
        writes_lost: sites.iter().map(|s| u(&s["lost_writes"])).sum(),
        bytes_lost: sites.iter().map(|s| u(&s["lost_bytes"])).sum(),
        window_ns: sites
            .iter()
            .map(|s| u(&s["data_loss_window_ns"]))
            .max()
            .unwrap_or(0),
        consistent: sites.iter().all(|s| {
            s["prefix_consistent"].as_bool() == Some(true)
                && s["dependent_write_violations"].as_u64() == Some(0)
        }),
    }
}

fn ms(ns: u64) -> String {
    format!("{:.3} ms", ns as f64 / 1e6)
}

fn ms_number(ns: u64) -> String {
    // Shortest round-trip text of the value in milliseconds.
    let v = ns as f64 / 1e6;
    format!("{v}")
}

impl Comparison {
    /// The table printed on standard output.
    pub fn table(&self) -> String {
        let mut o = String::new();
        let struck = match self.disaster_at_ns {
            Some(t) => format!("disaster at {:.3} s in every run", t as f64 / 1e9),
            None => "no disaster: every run evaluated at the end of its workload".to_string(),
        };
        let _ = writeln!(
            o,
            "scenario {}  seed {}  {struck}",
            self.scenario, self.seed
        );
        let head = [
            "mode",
            "writes",
            "response p50",
            "response p99",
            "writes lost",
            "data-loss window",
            "verdict",
        ];
        let rows: Vec<[String; 7]> = self
            .modes
            .iter()
            .map(|m| {
                [
                    m.mode.clone(),
                    m.writes.to_string(),
                    ms(m.response_p50_ns),
                    ms(m.response_p99_ns),
                    m.writes_lost.to_string(),
                    ms(m.window_ns),
                    if m.consistent {
                        "consistent".to_string()
                    } else {
                        "INCONSISTENT".to_string()
                    },
                ]
            })
            .collect();
        let width: Vec<usize> = (0..head.len())
            .map(|c| {
                rows.iter()
                    .map(|r| r[c].chars().count())
                    .chain([head[c].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[&str]| {
            let mut l = String::new();
            for (c, cell) in cells.iter().enumerate() {
                if c == 0 || c == cells.len() - 1 {
                    let _ = write!(l, "{cell:<w$}", w = width[c]);
                } else {
                    let _ = write!(l, "{cell:>w$}", w = width[c]);
                }
                if c + 1 < cells.len() {
                    l.push_str("  ");
                }
            }
            l.trim_end().to_string()
        };
        let _ = writeln!(o, "{}", line(&head));
        for r in &rows {
            let cells: Vec<&str> = r.iter().map(String::as_str).collect();
            let _ = writeln!(o, "{}", line(&cells));
        }
        for n in &self.notes {
            let _ = writeln!(o, "note: {n}");
        }
        o
    }

    /// `compare.csv`: one line per mode, durations in milliseconds (the unit in the column
    /// name).
    pub fn csv(&self) -> String {
        let mut o = String::from(
            "mode,writes,response_p50_ms,response_p99_ms,writes_lost,bytes_lost,data_loss_window_ms,consistent\n",
        );
        for m in &self.modes {
            let _ = writeln!(
                o,
                "{},{},{},{},{},{},{},{}",
                m.mode,
                m.writes,
                ms_number(m.response_p50_ns),
                ms_number(m.response_p99_ns),
                m.writes_lost,
                m.bytes_lost,
                ms_number(m.window_ns),
                m.consistent
            );
        }
        o
    }

    /// Writes `compare.csv`, `compare.svg` and `compare.png` into `dir` (created if needed).
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>, CompareError> {
        let werr = |path: &Path, e: String| CompareError::Write {
            path: path.to_path_buf(),
            message: e,
        };
        std::fs::create_dir_all(dir).map_err(|e| werr(dir, e.to_string()))?;
        let csv = dir.join(CSV_FILE);
        let tmp = dir.join(format!(".{CSV_FILE}.partial"));
        std::fs::write(&tmp, self.csv())
            .and_then(|()| std::fs::rename(&tmp, &csv))
            .map_err(|e| werr(&csv, e.to_string()))?;
        let svg = dir.join(SVG_FILE);
        let labels: Vec<String> = self.modes.iter().map(|m| m.mode.clone()).collect();
        let secs = |f: fn(&ModeResult) -> u64| -> Vec<f64> {
            self.modes.iter().map(|m| f(m) as f64 / 1e9).collect()
        };
        let panels = [
            crate::plot::BarPanel {
                dimension: crate::plot::Dimension::Duration,
                title: "host write response, p99".into(),
                values: secs(|m| m.response_p99_ns),
            },
            crate::plot::BarPanel {
                dimension: crate::plot::Dimension::Count,
                title: "writes lost".into(),
                values: self.modes.iter().map(|m| m.writes_lost as f64).collect(),
            },
            crate::plot::BarPanel {
                dimension: crate::plot::Dimension::Duration,
                title: "data-loss window at the disaster".into(),
                values: secs(|m| m.window_ns),
            },
        ];
        let title = format!(
            "{}: every copy mode on the same workload (seed {})",
            self.scenario, self.seed
        );
        crate::plot::bar_panels(&svg, &title, &labels, &panels).map_err(|e| werr(&svg, e))?;
        let png = dir.join(PNG_FILE);
        crate::plot::bar_panels(&png, &title, &labels, &panels).map_err(|e| werr(&png, e))?;
        Ok(vec![csv, svg, png])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_of_the_enum_is_compared() {
        let names = mode_names();
        assert_eq!(names.len(), models::world::Mode::ALL.len());
        for n in [
            "xrc", "xrc-prt", "sync", "naive", "pit", "zgm", "srdfa", "gm", "ur",
        ] {
            assert!(names.contains(&n), "{n}");
        }
    }

    #[test]
    fn a_row_is_read_from_the_json_report() {
        let r = serde_json::json!({
            "primary": {"writes": 10, "write_response_ns": {"p50": 1_000_000, "p99": 2_500_000}},
            "sites": [
                {"lost_writes": 3, "lost_bytes": 300, "data_loss_window_ns": 7, "prefix_consistent": true, "dependent_write_violations": 0},
                {"lost_writes": 4, "lost_bytes": 400, "data_loss_window_ns": 9, "prefix_consistent": false, "dependent_write_violations": 0}
            ]
        });
        let m = mode_result("naive", &r);
        assert_eq!(
            (
                m.writes,
                m.response_p99_ns,
                m.writes_lost,
                m.bytes_lost,
                m.window_ns
            ),
            (10, 2_500_000, 7, 700, 9)
        );
        assert!(!m.consistent);
        let c = Comparison {
            scenario: "s".into(),
            seed: 1,
            disaster_at_ns: Some(60_000_000_000),
            modes: vec![m],
            warnings: Vec::new(),
            notes: vec!["pit: why".into()],
        };
        assert_eq!(
            c.csv().lines().nth(1),
            Some("naive,10,1,2.5,7,700,0.000009,false")
        );
        let t = c.table();
        assert!(t.contains("disaster at 60.000 s in every run"), "{t}");
        assert!(t.contains("INCONSISTENT"), "{t}");
        assert!(t.ends_with("note: pit: why\n"), "{t}");
    }
}
