//! SPC block traces: the Storage Performance Council's trace format, one I/O per line:
//!
//! ```text
//! ASU,LBA,Size,Opcode,Timestamp[,extra fields ignored]
//! 0,42932745,512,W,0.242639
//! ```
//!
//! - `ASU`: application storage unit, an integer `0..=4294967295` (a logical device);
//! - `LBA`: first 512-byte block of the I/O on that ASU, an integer `>= 0`;
//! - `Size`: bytes transferred, an integer `1..=4294967295`;
//! - `Opcode`: `r`/`R` (read) or `w`/`W` (write);
//! - `Timestamp`: seconds since the start of the trace, a plain decimal (`12`, `12.5`,
//!   `0.242639`, `.5`); converted to nanoseconds exactly (digits past the ninth decimal
//!   are dropped), no exponent, no sign.
//!
//! Fields are comma-separated; spaces and tabs around a field and a trailing `\r` are
//! allowed. Blank lines and lines starting with `#` are skipped. Timestamps must not
//! decrease from one I/O to the next.
//!
//! [`parse_line`] parses one line; [`SpcReader`] streams a whole trace from any
//! [`BufRead`] (the runner does the I/O), strictly (the first bad line is an error) or
//! leniently (bad and out-of-order lines are counted and skipped).

use super::OpKind;
use sim::SimTime;
use std::fmt;
use std::io::BufRead;

/// One I/O of an SPC trace.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SpcRecord {
    /// Application storage unit (logical device of the trace).
    pub asu: u32,
    /// First 512-byte logical block of the I/O.
    pub lba: u64,
    /// Bytes transferred (>= 1).
    pub bytes: u32,
    /// Read or write.
    pub kind: OpKind,
    /// Time of the I/O since the start of the trace.
    pub at: SimTime,
}

/// The fields of an SPC line, in order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum SpcField {
    /// Field 1: application storage unit.
    Asu,
    /// Field 2: logical block address (512-byte blocks).
    Lba,
    /// Field 3: size in bytes.
    Size,
    /// Field 4: opcode.
    Opcode,
    /// Field 5: timestamp in seconds.
    Timestamp,
}

impl SpcField {
    const ALL: [SpcField; 5] = [
        SpcField::Asu,
        SpcField::Lba,
        SpcField::Size,
        SpcField::Opcode,
        SpcField::Timestamp,
    ];

    /// The field's name as in the SPC specification.
    pub fn name(self) -> &'static str {
        match self {
            SpcField::Asu => "ASU",
            SpcField::Lba => "LBA",
            SpcField::Size => "Size",
            SpcField::Opcode => "Opcode",
            SpcField::Timestamp => "Timestamp",
        }
    }

    /// What a valid value of the field looks like.
    pub fn expected(self) -> &'static str {
        match self {
            SpcField::Asu => "an application storage unit number (integer 0 to 4294967295)",
            SpcField::Lba => "a logical block address in 512-byte blocks (integer >= 0)",
            SpcField::Size => "a size in bytes (integer 1 to 4294967295)",
            SpcField::Opcode => "an opcode: r or R (read), w or W (write)",
            SpcField::Timestamp => {
                "a timestamp in seconds as a plain decimal (e.g. 12.345678; no sign, no exponent)"
            }
        }
    }
}

/// What was wrong with a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpcProblem {
    /// The line has fewer than five fields; `found` is how many it has.
    MissingField {
        /// Fields on the line.
        found: usize,
    },
    /// A field does not hold a valid value; `found` is its text (truncated).
    BadValue {
        /// The offending text.
        found: String,
    },
    /// The timestamp is earlier than the previous I/O's.
    OutOfOrder {
        /// The previous I/O's time.
        previous: SimTime,
        /// This line's time.
        found: SimTime,
    },
    /// The line is not valid UTF-8 text.
    NotText,
    /// Reading the trace failed (message of the I/O error).
    Io(String),
}

/// An error in an SPC trace: where (line, column, field) and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpcError {
    /// Line number, 1-based.
    pub line: u64,
    /// Column (1-based byte offset) where the offending field starts, when known.
    pub column: Option<u32>,
    /// The offending field, when there is one.
    pub field: Option<SpcField>,
    /// What was wrong.
    pub problem: SpcProblem,
}

impl fmt::Display for SpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(c) = self.column {
            write!(f, ", column {c}")?;
        }
        if let Some(fl) = self.field {
            write!(f, " ({})", fl.name())?;
        }
        f.write_str(": ")?;
        match &self.problem {
            SpcProblem::MissingField { found } => write!(
                f,
                "expected 5 comma-separated fields (ASU,LBA,Size,Opcode,Timestamp), found {found}; missing {}",
                self.field.map_or("?", |x| x.expected())
            ),
            SpcProblem::BadValue { found } => write!(
                f,
                "expected {}, found `{found}`",
                self.field.map_or("a value", |x| x.expected())
            ),
            SpcProblem::OutOfOrder { previous, found } => write!(
                f,
                "timestamp {found:#} is earlier than the previous I/O's {previous:#}: SPC timestamps must be non-decreasing"
            ),
            SpcProblem::NotText => f.write_str("the line is not valid UTF-8 text"),
            SpcProblem::Io(m) => write!(f, "reading the trace failed: {m}"),
        }
    }
}

impl std::error::Error for SpcError {}

/// Longest excerpt of a bad field kept in an error.
const MAX_FOUND: usize = 40;

fn bad(line: u64, column: usize, field: SpcField, text: &str) -> SpcError {
    let mut found: String = text.chars().take(MAX_FOUND).collect();
    if text.chars().count() > MAX_FOUND {
        found.push_str("...");
    }
    SpcError {
        line,
        column: Some(column as u32 + 1),
        field: Some(field),
        problem: SpcProblem::BadValue { found },
    }
}

/// An unsigned decimal integer of ASCII digits only (no sign, no spaces).
fn parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Seconds as a plain decimal to exact nanoseconds (digits past the ninth decimal dropped).
fn parse_seconds(s: &str) -> Option<SimTime> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let secs: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut ns: u64 = 0;
    let mut scale = 100_000_000u64;
    for b in frac.bytes().take(9) {
        ns += (b - b'0') as u64 * scale;
        scale /= 10;
    }
    let total = secs.checked_mul(1_000_000_000)?.checked_add(ns)?;
    Some(SimTime::from_nanos(total))
}

/// Parses one line of an SPC trace (`line_no` is used in errors). Blank and `#` comment
/// lines give `Ok(None)`; fields after the fifth are ignored.
pub fn parse_line(line: &str, line_no: u64) -> Result<Option<SpcRecord>, SpcError> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(None);
    }
    let line = line.trim_end();
    let mut fields: [(usize, &str); 5] = [(0, ""); 5];
    let mut n = 0;
    let mut start = 0usize;
    for piece in line.split(',') {
        if n == 5 {
            break;
        }
        let lead = piece.len() - piece.trim_start().len();
        fields[n] = (start + lead, piece.trim());
        n += 1;
        start += piece.len() + 1;
    }
    if n < 5 {
        return Err(SpcError {
            line: line_no,
            column: Some(line.len() as u32 + 1),
            field: Some(SpcField::ALL[n]),
            problem: SpcProblem::MissingField { found: n },
        });
    }
    let [
        (c_asu, asu),
        (c_lba, lba),
        (c_size, size),
        (c_op, op),
        (c_ts, ts),
    ] = fields;
    let asu = parse_uint(asu)
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| bad(line_no, c_asu, SpcField::Asu, asu))?;
    let lba = parse_uint(lba).ok_or_else(|| bad(line_no, c_lba, SpcField::Lba, lba))?;
    let bytes = parse_uint(size)
        .and_then(|v| u32::try_from(v).ok())
        .filter(|&v| v > 0)
        .ok_or_else(|| bad(line_no, c_size, SpcField::Size, size))?;
    let kind = match op {
        "r" | "R" => OpKind::Read,
        "w" | "W" => OpKind::Write,
        _ => return Err(bad(line_no, c_op, SpcField::Opcode, op)),
    };
    let at = parse_seconds(ts).ok_or_else(|| bad(line_no, c_ts, SpcField::Timestamp, ts))?;
    Ok(Some(SpcRecord {
        asu,
        lba,
        bytes,
        kind,
        at,
    }))
}

/// How an [`SpcReader`] treats bad lines.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum Leniency {
    /// The first malformed or out-of-order line is an error, and the reader stops.
    #[default]
    Strict,
    /// Malformed and out-of-order lines are counted and skipped.
    Lenient,
}

/// How many skipped-line errors a lenient reader keeps for the report.
pub const SKIPPED_EXAMPLES: usize = 5;

/// A streaming reader of an SPC trace over any [`BufRead`]: yields one
/// `Result<SpcRecord, SpcError>` per I/O, reusing one line buffer (no allocation per line).
/// After an error (strict mode, or an I/O error in either mode) it yields nothing more.
#[derive(Debug)]
pub struct SpcReader<R> {
    reader: R,
    leniency: Leniency,
    buf: Vec<u8>,
    line_no: u64,
    records: u64,
    last_at: Option<SimTime>,
    skipped: u64,
    examples: Vec<SpcError>,
    done: bool,
}

impl<R: BufRead> SpcReader<R> {
    /// A reader of the trace in `reader`.
    pub fn new(reader: R, leniency: Leniency) -> SpcReader<R> {
        SpcReader {
            reader,
            leniency,
            buf: Vec::with_capacity(128),
            line_no: 0,
            records: 0,
            last_at: None,
            skipped: 0,
            examples: Vec::new(),
            done: false,
        }
    }

    /// Lines skipped so far (lenient mode): malformed or out of order.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The errors of the first [`SKIPPED_EXAMPLES`] skipped lines, with their line numbers.
    pub fn skipped_examples(&self) -> &[SpcError] {
        &self.examples
    }

    /// Lines read so far (including comments, blank and skipped lines).
    pub fn lines_read(&self) -> u64 {
        self.line_no
    }

    /// I/Os yielded so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// A line went wrong: an error in strict mode, a skip in lenient mode.
    fn reject(&mut self, e: SpcError) -> Option<SpcError> {
        match self.leniency {
            Leniency::Strict => {
                self.done = true;
                Some(e)
            }
            Leniency::Lenient => {
                self.skipped += 1;
                if self.examples.len() < SKIPPED_EXAMPLES {
                    self.examples.push(e);
                }
                None
            }
        }
    }
}

impl<R: BufRead> Iterator for SpcReader<R> {
    type Item = Result<SpcRecord, SpcError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(SpcError {
                        line: self.line_no + 1,
                        column: None,
                        field: None,
                        problem: SpcProblem::Io(e.to_string()),
                    }));
                }
            }
            self.line_no += 1;
            let line_no = self.line_no;
            let parsed = match std::str::from_utf8(&self.buf) {
                Ok(text) => parse_line(text, line_no),
                Err(_) => Err(SpcError {
                    line: line_no,
                    column: None,
                    field: None,
                    problem: SpcProblem::NotText,
                }),
            };
            match parsed {
                Ok(None) => {}
                Ok(Some(rec)) => {
                    if let Some(prev) = self.last_at
                        && rec.at < prev
                    {
                        let e = SpcError {
                            line: line_no,
                            column: None,
                            field: Some(SpcField::Timestamp),
                            problem: SpcProblem::OutOfOrder {
                                previous: prev,
                                found: rec.at,
                            },
                        };
                        if let Some(e) = self.reject(e) {
                            return Some(Err(e));
                        }
                        continue;
                    }
                    self.last_at = Some(rec.at);
                    self.records += 1;
                    return Some(Ok(rec));
                }
                Err(e) => {
                    if let Some(e) = self.reject(e) {
                        return Some(Err(e));
                    }
                }
            }
        }
        None
    }
}
