//! Checking a sweep before it runs (`xrcsim sweep --dry-run`, and the first step of every
//! sweep): every distinct set of overrides is built once, so that a grid value such as
//! `"5 days"` or `link.paths = 300` is reported at once, with its row numbers, rather than
//! when its row comes up (on a cluster, after the job).

use std::collections::BTreeMap;
use std::fmt;

use rayon::prelude::*;

use super::Row;

/// One problem (or warning) shared by the rows that have the same overrides (they differ
/// only in their seed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowNote {
    /// Indices of the rows concerned, ascending.
    pub rows: Vec<usize>,
    /// Their overrides as `path=value`.
    pub sets: Vec<String>,
    /// The message (for an invalid row, the build error: the `--set` argument, the key and
    /// what is allowed).
    pub message: String,
}

impl fmt::Display for RowNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.rows.len();
        write!(
            f,
            "{} {}: {}",
            if n == 1 { "row" } else { "rows" },
            index_ranges(&self.rows),
            self.message
        )
    }
}

/// What [`check_rows`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SweepCheck {
    /// Rows checked.
    pub rows: usize,
    /// Distinct override sets among them (each built once).
    pub settings: usize,
    /// Rows that cannot run, grouped by override set, in row order.
    pub invalid: Vec<RowNote>,
    /// Warnings (an override that changed nothing), grouped the same way.
    pub warnings: Vec<RowNote>,
}

impl SweepCheck {
    /// Rows that cannot run.
    pub fn invalid_rows(&self) -> usize {
        self.invalid.iter().map(|n| n.rows.len()).sum()
    }
}

impl fmt::Display for SweepCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} rows checked ({} distinct settings): ",
            self.rows, self.settings
        )?;
        if self.invalid.is_empty() {
            write!(f, "all valid")?;
        } else {
            write!(f, "{} rows invalid", self.invalid_rows())?;
        }
        if !self.warnings.is_empty() {
            write!(f, ", {} with warnings", self.warnings.len())?;
        }
        Ok(())
    }
}

/// Builds every distinct override set of `rows` once (in parallel) with `build`, which
/// returns the build's warnings or its error message. Deterministic: the notes come in
/// row order whatever the thread count.
pub fn check_rows<F>(rows: &[Row], build: F) -> SweepCheck
where
    F: Fn(&Row) -> Result<Vec<String>, String> + Sync,
{
    let mut groups: BTreeMap<&[(String, String)], Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        groups.entry(r.overrides.as_slice()).or_default().push(i);
    }
    let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
    groups.sort_by_key(|g| rows[g[0]].index);
    let outcomes: Vec<Result<Vec<String>, String>> =
        groups.par_iter().map(|g| build(&rows[g[0]])).collect();
    let mut check = SweepCheck {
        rows: rows.len(),
        settings: groups.len(),
        ..SweepCheck::default()
    };
    for (g, outcome) in groups.iter().zip(outcomes) {
        let first = &rows[g[0]];
        let note = |message: String| RowNote {
            rows: g.iter().map(|&i| rows[i].index).collect(),
            sets: first
                .overrides
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
            message,
        };
        match outcome {
            Ok(warnings) => check.warnings.extend(warnings.into_iter().map(note)),
            Err(message) => check.invalid.push(note(message)),
        }
    }
    check
}

/// `0-2, 5, 9-10`: ascending indices as ranges.
pub fn index_ranges(ix: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < ix.len() {
        let mut j = i;
        while j + 1 < ix.len() && ix[j + 1] == ix[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            ix[i].to_string()
        } else {
            format!("{}-{}", ix[i], ix[j])
        });
        i = j + 1;
    }
    if parts.len() > 12 {
        let more = parts.len() - 10;
        parts.truncate(10);
        parts.push(format!("... ({more} more ranges)"));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::grid::expand;

    #[test]
    fn one_build_per_setting_and_notes_in_row_order() {
        let grid = vec![
            ("a".to_string(), vec!["1".to_string(), "bad".to_string()]),
            ("b".to_string(), vec!["x".to_string(), "warn".to_string()]),
        ];
        let rows = expand(&grid, &[], &[1, 2, 3]);
        let built = std::sync::atomic::AtomicUsize::new(0);
        let c = check_rows(&rows, |r| {
            built.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if r.get("a") == Some("bad") {
                Err(format!("--set a=bad: no (seed {})", r.seed))
            } else if r.get("b") == Some("warn") {
                Ok(vec!["changed nothing".into()])
            } else {
                Ok(Vec::new())
            }
        });
        assert_eq!(built.into_inner(), 4);
        assert_eq!((c.rows, c.settings, c.invalid_rows()), (12, 4, 6));
        assert_eq!(c.invalid[0].rows, [6, 7, 8]);
        assert_eq!(c.invalid[0].sets, ["a=bad", "b=x"]);
        assert_eq!(
            c.invalid[0].to_string(),
            "rows 6-8: --set a=bad: no (seed 1)"
        );
        assert_eq!(c.invalid[1].rows, [9, 10, 11]);
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(c.warnings[0].rows, [3, 4, 5]);
        assert_eq!(
            c.to_string(),
            "12 rows checked (4 distinct settings): 6 rows invalid, 1 with warnings"
        );
    }

    #[test]
    fn ranges_compress() {
        assert_eq!(index_ranges(&[0, 1, 2, 5, 9, 10]), "0-2, 5, 9-10");
        assert_eq!(index_ranges(&[4]), "4");
        let many: Vec<usize> = (0..40).map(|i| i * 2).collect();
        assert!(index_ranges(&many).ends_with("... (30 more ranges)"));
    }
}
