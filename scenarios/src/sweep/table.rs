//! The results table: reading and writing `results.csv` / `errors.csv` line by line,
//! tolerating a torn last line, and putting rows and columns in their canonical order.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::SweepError;

/// Name of the first column of `results.csv`: the row index.
pub const ROW_COLUMN: &str = "row";
/// Name of the column that holds the row's seed; it closes the parameter columns.
pub const SEED_COLUMN: &str = "seed";
/// Name of the last column of `errors.csv`: the runner's message.
pub const ERROR_COLUMN: &str = "error";

/// A results CSV read into memory: its header and its records, as text cells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResultTable {
    /// Column names: `row`, the parameter columns, `seed`, then the report columns.
    pub header: Vec<String>,
    /// One record per row, each as long as the header.
    pub records: Vec<Vec<String>>,
}

impl ResultTable {
    /// Index of column `name`, if present.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Number of leading columns (`row`, the parameters, `seed`); 0 if the header has no
    /// `seed` column.
    pub fn lead_len(&self) -> usize {
        self.column(SEED_COLUMN).map_or(0, |i| i + 1)
    }

    /// The parameter columns: those between `row` and `seed`.
    pub fn param_columns(&self) -> &[String] {
        let n = self.lead_len();
        if n >= 2 { &self.header[1..n - 1] } else { &[] }
    }
}

/// Reads a results CSV written by the sweep engine. A last line without its newline (a
/// run killed while writing) is ignored; [`TornTail`] says how many bytes that was.
pub fn read_results(path: &Path) -> Result<ResultTable, SweepError> {
    let (table, _) = read_table(path, Layout::Results)?;
    Ok(table)
}

/// Which of the engine's two CSV layouts a file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `row, params..., seed, report...`
    Results,
    /// `row, params..., seed, error`
    Errors,
}

/// Bytes of a torn (newline-less) last line that a reader ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TornTail(pub usize);

/// Reads and checks a CSV of the given layout; returns the table and the torn tail.
pub(crate) fn read_table(
    path: &Path,
    layout: Layout,
) -> Result<(ResultTable, TornTail), SweepError> {
    let bytes = std::fs::read(path).map_err(|e| SweepError::io("cannot read", path, e))?;
    let complete = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(i) => i + 1,
        None => 0,
    };
    let torn = TornTail(bytes.len() - complete);
    let table = parse_csv(path, &bytes[..complete], layout)?;
    Ok((table, torn))
}

fn parse_csv(path: &Path, bytes: &[u8], layout: Layout) -> Result<ResultTable, SweepError> {
    let bad = |m: String| SweepError::results(path, m);
    if bytes.is_empty() {
        return Ok(ResultTable::default());
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| bad(format!("unreadable header: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    if header.first().map(String::as_str) != Some(ROW_COLUMN)
        || !header.iter().any(|h| h == SEED_COLUMN)
    {
        return Err(bad(format!(
            "not a sweep {} file: the header must start with `{ROW_COLUMN}` and contain \
             `{SEED_COLUMN}` (found `{}`)",
            match layout {
                Layout::Results => "results",
                Layout::Errors => "errors",
            },
            header.join(",")
        )));
    }
    if layout == Layout::Errors && header.last().map(String::as_str) != Some(ERROR_COLUMN) {
        return Err(bad(format!(
            "an errors file must end with an `{ERROR_COLUMN}` column"
        )));
    }
    let mut records = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| bad(format!("unreadable record (line {}): {e}", i + 2)))?;
        if rec.len() != header.len() {
            return Err(bad(format!(
                "line {} has {} fields but the header has {}; the file was edited or \
                 damaged (delete that line to re-run its row)",
                i + 2,
                rec.len(),
                header.len()
            )));
        }
        let rec: Vec<String> = rec.iter().map(str::to_string).collect();
        if rec[0].parse::<usize>().is_err() {
            return Err(bad(format!(
                "line {}: `{}` in column `{ROW_COLUMN}` is not a row number",
                i + 2,
                rec[0]
            )));
        }
        records.push(rec);
    }
    Ok(ResultTable { header, records })
}

/// Cuts a torn last line off the file at `path` so that appending continues cleanly.
pub(crate) fn truncate_torn(path: &Path, torn: TornTail) -> Result<(), SweepError> {
    if torn.0 == 0 {
        return Ok(());
    }
    let f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| SweepError::io("cannot open", path, e))?;
    let len = f
        .metadata()
        .map_err(|e| SweepError::io("cannot stat", path, e))?
        .len();
    f.set_len(len - torn.0 as u64)
        .map_err(|e| SweepError::io("cannot truncate the torn last line of", path, e))
}

/// One CSV line (with its `\n`) for these fields, quoted as needed.
pub(crate) fn encode_line<S: AsRef<str>>(fields: &[S]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::with_capacity(128));
    // Writing to a Vec cannot fail.
    let _ = w.write_record(fields.iter().map(|f| f.as_ref()));
    w.into_inner().unwrap_or_default()
}

/// Writes a whole CSV (header then records) to `path` atomically: into a hidden
/// temporary file beside it, synced, then renamed over `path`.
pub(crate) fn write_atomic<S: AsRef<str>>(
    path: &Path,
    header: &[S],
    records: impl Iterator<Item = Vec<String>>,
) -> Result<(), SweepError> {
    let mut buf = encode_line(header);
    for r in records {
        buf.extend_from_slice(&encode_line(&r));
    }
    write_bytes_atomic(path, &buf)
}

/// Writes `bytes` to `path` atomically (temporary file, sync, rename).
pub(crate) fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<(), SweepError> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = File::create(&tmp).map_err(|e| SweepError::io("cannot create", &tmp, e))?;
        f.write_all(bytes)
            .map_err(|e| SweepError::io("cannot write", &tmp, e))?;
        f.sync_all()
            .map_err(|e| SweepError::io("cannot sync", &tmp, e))?;
        std::fs::rename(&tmp, path)
            .map_err(|e| SweepError::io("cannot rename a temporary file to", path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The hidden temporary sibling `.NAME.tmp` of `path`.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_string());
    path.with_file_name(format!(".{name}.tmp"))
}

/// Opens `path` for appending whole lines.
pub(crate) fn open_append(path: &Path) -> Result<File, SweepError> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| SweepError::io("cannot open for appending", path, e))
}

/// Appends one whole line with a single write, so that a kill leaves either the whole
/// line or a torn tail that the next reader ignores.
pub(crate) fn append_line(file: &mut File, path: &Path, line: &[u8]) -> Result<(), SweepError> {
    file.write_all(line)
        .and_then(|_| file.flush())
        .map_err(|e| SweepError::io("cannot append to", path, e))
}

/// One finished row held in memory: its leading cells and its report cells (column id,
/// text) in the order the run reported them.
#[derive(Debug, Clone)]
pub(crate) struct SheetRow {
    pub(crate) index: usize,
    pub(crate) lead: Vec<String>,
    pub(crate) cells: Vec<(usize, String)>,
}

/// The results of a sweep (or of merged shards) in memory, with a growing column set.
#[derive(Debug, Clone)]
pub(crate) struct Sheet {
    pub(crate) lead_header: Vec<String>,
    cols: Vec<String>,
    ids: BTreeMap<String, usize>,
    pub(crate) rows: Vec<SheetRow>,
}

impl Sheet {
    /// An empty sheet with these leading columns (`row`, params, `seed`).
    pub(crate) fn new(lead_header: Vec<String>) -> Self {
        Sheet {
            lead_header,
            cols: Vec::new(),
            ids: BTreeMap::new(),
            rows: Vec::new(),
        }
    }

    /// The full header: leading columns then report columns in their current order.
    pub(crate) fn header(&self) -> Vec<String> {
        self.lead_header.iter().chain(&self.cols).cloned().collect()
    }

    /// The id of report column `name`, adding it at the end if new; second value is true
    /// when it was added.
    fn col(&mut self, name: &str) -> (usize, bool) {
        if let Some(&id) = self.ids.get(name) {
            return (id, false);
        }
        let id = self.cols.len();
        self.cols.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        (id, true)
    }

    /// Adds a finished row with `(column, text)` cells in the run's order; returns true
    /// when it brought new columns.
    pub(crate) fn add(
        &mut self,
        index: usize,
        lead: Vec<String>,
        cells: Vec<(String, String)>,
    ) -> bool {
        let mut grew = false;
        let cells = cells
            .into_iter()
            .map(|(name, text)| {
                let (id, new) = self.col(&name);
                grew |= new;
                (id, text)
            })
            .collect();
        self.rows.push(SheetRow { index, lead, cells });
        grew
    }

    /// Adds the rows of a table whose leading columns equal this sheet's; empty cells are
    /// left out (an empty cell and a missing column read the same).
    pub(crate) fn add_table(
        &mut self,
        table: &ResultTable,
        mut keep: impl FnMut(usize, &[String]) -> bool,
    ) {
        let n = self.lead_header.len();
        let ids: Vec<usize> = table.header[n..].iter().map(|h| self.col(h).0).collect();
        for rec in &table.records {
            let index: usize = rec[0].parse().unwrap_or(usize::MAX);
            if !keep(index, rec) {
                continue;
            }
            let cells = rec[n..]
                .iter()
                .zip(&ids)
                .filter(|(t, _)| !t.is_empty())
                .map(|(t, &id)| (id, t.clone()))
                .collect();
            self.rows.push(SheetRow {
                index,
                lead: rec[..n].to_vec(),
                cells,
            });
        }
    }

    /// Gives every row without a value in column `name` the cell `f(lead cells)`, put
    /// at position `at` of its cells (so that the column keeps its place in the canonical
    /// order).
    pub(crate) fn fill_front(&mut self, at: usize, name: &str, f: impl Fn(&[String]) -> String) {
        let (id, _) = self.col(name);
        for r in &mut self.rows {
            if r.cells.iter().all(|(c, _)| *c != id) {
                let cell = f(&r.lead);
                r.cells.insert(at.min(r.cells.len()), (id, cell));
            }
        }
    }

    /// The dense record of `row` under the current header.
    pub(crate) fn record(&self, row: &SheetRow) -> Vec<String> {
        let mut out = row.lead.clone();
        let base = out.len();
        out.resize(base + self.cols.len(), String::new());
        for (id, text) in &row.cells {
            out[base + id] = text.clone();
        }
        out
    }

    /// Records in the order the rows were added.
    pub(crate) fn records(&self) -> impl Iterator<Item = Vec<String>> + '_ {
        self.rows.iter().map(|r| self.record(r))
    }

    /// Puts the sheet in canonical order: rows by index; the numeric columns of duration
    /// parameters (`<parameter>_ns`) in parameter order; then report columns in the order they
    /// first carry a non-empty value when the rows are read by index, each row's cells in
    /// the order its run reported them; then columns that are present but empty everywhere,
    /// by first presence; then columns no row holds, in their old order. The result depends only on the rows, not on completion order.
    pub(crate) fn canonicalize(&mut self) {
        self.rows.sort_by_key(|r| r.index);
        let mut order: Vec<usize> = Vec::with_capacity(self.cols.len());
        let mut placed = vec![false; self.cols.len()];
        // First the numeric columns of duration parameters (`<parameter>_ns`), in the
        // parameters' order, right after `seed`.
        let n = self.lead_header.len();
        for p in self.lead_header.iter().take(n.saturating_sub(1)).skip(1) {
            if let Some(&id) = self.ids.get(&format!("{p}_ns")) {
                placed[id] = true;
                order.push(id);
            }
        }
        for r in &self.rows {
            for (id, text) in &r.cells {
                if !text.is_empty() && !placed[*id] {
                    placed[*id] = true;
                    order.push(*id);
                }
            }
        }
        // Then columns that are present but empty everywhere, by first presence.
        for r in &self.rows {
            for (id, _) in &r.cells {
                if !placed[*id] {
                    placed[*id] = true;
                    order.push(*id);
                }
            }
        }
        for (id, p) in placed.iter().enumerate() {
            if !p {
                order.push(id);
            }
        }
        let mut remap = vec![0usize; self.cols.len()];
        for (new, &old) in order.iter().enumerate() {
            remap[old] = new;
        }
        self.cols = order.iter().map(|&old| self.cols[old].clone()).collect();
        self.ids = self
            .cols
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), i))
            .collect();
        for r in &mut self.rows {
            for (id, _) in &mut r.cells {
                *id = remap[*id];
            }
        }
    }

    /// A copy as a [`ResultTable`] (current row and column order).
    pub(crate) fn to_table(&self) -> ResultTable {
        ResultTable {
            header: self.header(),
            records: self.records().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_lines_are_single_lines_and_quoted() {
        assert_eq!(
            encode_line(&["1", "a,b", "x\"y"]),
            b"1,\"a,b\",\"x\"\"y\"\n"
        );
    }

    #[test]
    fn canonical_order_is_independent_of_completion_order() {
        let lead = |i: usize| vec![i.to_string(), "1".to_string()];
        let header = vec!["row".to_string(), "seed".to_string()];
        let c = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        let mut a = Sheet::new(header.clone());
        a.add(2, lead(2), c(&[("b", "1"), ("extra", "9")]));
        a.add(0, lead(0), c(&[("a", "1"), ("b", "2")]));
        a.add(
            1,
            lead(1),
            c(&[("a", "3"), ("b", "4"), ("n", ""), ("m", "")]),
        );
        let mut b = Sheet::new(header);
        b.add(0, lead(0), c(&[("a", "1"), ("b", "2")]));
        b.add(2, lead(2), c(&[("b", "1"), ("m", ""), ("extra", "9")]));
        b.add(
            1,
            lead(1),
            c(&[("a", "3"), ("b", "4"), ("n", ""), ("m", "")]),
        );
        a.canonicalize();
        b.canonicalize();
        assert_eq!(a.to_table(), b.to_table());
        assert_eq!(a.header(), ["row", "seed", "a", "b", "extra", "n", "m"]);
        assert_eq!(a.to_table().records[2], ["2", "1", "", "1", "9", "", ""]);
    }
}
