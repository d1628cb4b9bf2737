//! `xrcsim sweep merge OUT SHARD...`: joining the `results.csv` of shards.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::SweepError;
use super::run::{RESULTS_FILE, SIDECAR_FILE, Sidecar, draw_plots};
use super::table::{Layout, ResultTable, Sheet, encode_line, read_table, write_atomic};

/// The output name meaning standard output.
const STDOUT: &str = "-";

/// What a merge did.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeSummary {
    /// The merged file.
    pub out: PathBuf,
    /// Rows written.
    pub rows: usize,
    /// Rows that appeared more than once and were dropped (the first input wins).
    pub duplicates: usize,
    /// Of those, how many differed from the kept copy in some report column (e.g. a
    /// wall-clock time, or a simulator changed between runs).
    pub differing_duplicates: usize,
    /// Torn (newline-less) last lines ignored, one per interrupted shard.
    pub torn_lines: usize,
    /// Rows in the whole sweep, when the shards' `sweep.json` sidecars say.
    pub total_rows: Option<usize>,
    /// Row indices of the sweep with no result in any input (empty when unknown).
    pub missing: Vec<usize>,
    /// Plot files written beside `out` (from the sidecars' plot specifications).
    pub plots: Vec<PathBuf>,
    /// Plots that could not be drawn, with the reason.
    pub plot_errors: Vec<String>,
}

impl fmt::Display for MergeSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} rows", self.rows)?;
        if let Some(t) = self.total_rows {
            write!(f, " of {t}")?;
        }
        if self.out == Path::new(STDOUT) {
            write!(f, " written to standard output")?;
        } else {
            write!(f, " written to {}", self.out.display())?;
        }
        if self.duplicates > 0 {
            write!(
                f,
                "; {} duplicate rows dropped ({} differed; the first input's copy was kept)",
                self.duplicates, self.differing_duplicates
            )?;
        }
        if self.torn_lines > 0 {
            write!(f, "; {} torn last lines ignored", self.torn_lines)?;
        }
        if !self.missing.is_empty() {
            let shown: Vec<String> = self
                .missing
                .iter()
                .take(10)
                .map(|i| i.to_string())
                .collect();
            write!(
                f,
                "; {} rows missing ({}{})",
                self.missing.len(),
                shown.join(", "),
                if self.missing.len() > 10 { ", ..." } else { "" }
            )?;
        }
        for p in &self.plot_errors {
            write!(f, "; {p}")?;
        }
        Ok(())
    }
}

/// Merges shard result files into `out` (written atomically): rows sorted by index,
/// duplicates dropped (the first input's copy kept), report columns united.
///
/// The leading columns (`row`, the parameters, `seed`) must be the same in every input,
/// and shards whose directories hold a `sweep.json` must come from the same sweep
/// (same content hash); otherwise nothing is written. Report columns may differ between
/// inputs (a grid can change a report's shape): the output has their union, empty where a
/// row has no value. When `out` is named `results.csv`, its directory gets an unsharded
/// `sweep.json`, so that running the sweep with `--out` that directory retries only the
/// missing rows; and the sweep's plots are drawn beside `out`. When `out` is `-`, the
/// merged table goes to standard output (no sidecar, no plots).
pub fn merge(out: &Path, inputs: &[PathBuf]) -> Result<MergeSummary, SweepError> {
    if inputs.is_empty() {
        return Err(SweepError::Usage {
            flag: "sweep merge",
            message: "no input files; usage: xrcsim sweep merge OUT.csv SHARD.csv...".into(),
        });
    }
    let mut tables: Vec<(&PathBuf, ResultTable)> = Vec::with_capacity(inputs.len());
    let mut torn_lines = 0;
    for p in inputs {
        let (t, torn) = read_table(p, Layout::Results)?;
        torn_lines += usize::from(torn.0 > 0);
        tables.push((p, t));
    }
    let Some((first_path, first)) = tables.iter().find(|(_, t)| !t.header.is_empty()) else {
        return Err(SweepError::results(
            &inputs[0],
            "every input is empty; nothing to merge",
        ));
    };
    let lead: Vec<String> = first.header[..first.lead_len()].to_vec();
    for (p, t) in &tables {
        if !t.header.is_empty() && t.header[..t.lead_len()] != lead[..] {
            return Err(SweepError::results(
                p,
                format!(
                    "its leading columns `{}` differ from `{}` in {}: not shards of the same sweep",
                    t.header[..t.lead_len()].join(","),
                    lead.join(","),
                    first_path.display()
                ),
            ));
        }
    }

    // Sidecars: all that exist must agree.
    let mut sidecar: Option<(PathBuf, Sidecar)> = None;
    for p in inputs {
        let sc_path = p.parent().unwrap_or(Path::new("")).join(SIDECAR_FILE);
        if let Some(sc) = Sidecar::read(&sc_path)? {
            match &sidecar {
                Some((q, known)) if known.content_hash != sc.content_hash => {
                    return Err(SweepError::results(
                        &sc_path,
                        format!(
                            "is from a different sweep than {} (content hash {} vs {}); \
                             shards must come from the same sweep file and base scenario",
                            q.display(),
                            sc.content_hash,
                            known.content_hash
                        ),
                    ));
                }
                Some(_) => {}
                None => sidecar = Some((sc_path, sc)),
            }
        }
    }
    let to_stdout = out == Path::new(STDOUT);
    let out_dir = out.parent().unwrap_or(Path::new("")).to_path_buf();
    let out_sidecar = out_dir.join(SIDECAR_FILE);
    let existing = if to_stdout {
        None
    } else {
        Sidecar::read(&out_sidecar)?
    };
    if let (Some(old), Some((_, sc))) = (&existing, &sidecar)
        && (old.content_hash != sc.content_hash || old.shard.is_some())
    {
        return Err(SweepError::results(
            &out_sidecar,
            "the output directory belongs to another sweep or is a shard's directory; \
             merge into a new directory",
        ));
    }

    // Rows: first copy wins.
    let mut sheet = Sheet::new(lead.clone());
    let mut kept: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
    let (mut duplicates, mut differing) = (0, 0);
    for (_, t) in &tables {
        if t.header.is_empty() {
            continue;
        }
        let n = t.lead_len();
        sheet.add_table(t, |index, rec| {
            let cells: BTreeMap<String, String> = t.header[n..]
                .iter()
                .zip(&rec[n..])
                .filter(|(_, v)| !v.is_empty())
                .map(|(h, v)| (h.clone(), v.clone()))
                .collect();
            match kept.get(&index) {
                Some(prev) => {
                    duplicates += 1;
                    differing += usize::from(*prev != cells);
                    false
                }
                None => {
                    kept.insert(index, cells);
                    true
                }
            }
        });
    }
    sheet.canonicalize();
    if to_stdout {
        let mut buf = encode_line(&sheet.header());
        for r in sheet.records() {
            buf.extend(encode_line(&r));
        }
        let mut o = std::io::stdout().lock();
        o.write_all(&buf)
            .and_then(|()| o.flush())
            .map_err(|e| SweepError::io("cannot write", Path::new("standard output"), e))?;
    } else {
        if !out_dir.as_os_str().is_empty() {
            std::fs::create_dir_all(&out_dir)
                .map_err(|e| SweepError::io("cannot create output directory", &out_dir, e))?;
        }
        write_atomic(out, &sheet.header(), sheet.records())?;
    }

    let total_rows = sidecar.as_ref().map(|(_, s)| s.rows);
    let present: BTreeSet<usize> = kept.keys().copied().collect();
    let missing = match total_rows {
        Some(t) => (0..t).filter(|i| !present.contains(i)).collect(),
        None => Vec::new(),
    };
    let mut summary = MergeSummary {
        out: out.to_path_buf(),
        rows: sheet.rows.len(),
        duplicates,
        differing_duplicates: differing,
        torn_lines,
        total_rows,
        missing,
        plots: Vec::new(),
        plot_errors: Vec::new(),
    };
    // Only a merge into `results.csv` makes its directory a sweep output directory (sidecar
    // and plots); `merged.csv` elsewhere is just a table.
    if let Some((_, mut sc)) = sidecar
        && !to_stdout
        && out.file_name().is_some_and(|n| n == RESULTS_FILE)
    {
        if existing.is_none() {
            sc.shard = None;
            sc.write(&out_sidecar)?;
        }
        let table = sheet.to_table();
        draw_plots(
            &table,
            &sc.plots,
            &out_dir,
            &mut summary.plots,
            &mut summary.plot_errors,
        );
    }
    Ok(summary)
}
