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
use std::io::{BufRead, Read};

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
    /// The line is longer than [`MAX_LINE`] bytes: not an SPC trace (always fatal).
    LineTooLong,
    /// Lenient reading skipped [`MAX_SKIPPED_BEFORE_FIRST`] lines without finding one
    /// record: not an SPC trace (always fatal).
    NoRecords,
}

/// The longest line an SPC trace may have, bytes (five short fields need under 100).
pub const MAX_LINE: usize = 4096;

/// Lenient reading gives up when this many lines in a row, from the start, are rejected.
pub const MAX_SKIPPED_BEFORE_FIRST: u64 = 1000;

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
            SpcProblem::LineTooLong => write!(
                f,
                "the line is longer than {MAX_LINE} bytes: this is not an SPC trace (five comma-separated fields a line)"
            ),
            SpcProblem::NoRecords => write!(
                f,
                "{MAX_SKIPPED_BEFORE_FIRST} lines rejected before any valid record: this is not an SPC trace"
            ),
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
            Leniency::Lenient
                if self.records == 0 && self.skipped + 1 >= MAX_SKIPPED_BEFORE_FIRST =>
            {
                self.done = true;
                Some(SpcError {
                    line: e.line,
                    column: None,
                    field: None,
                    problem: SpcProblem::NoRecords,
                })
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
            match (&mut self.reader)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut self.buf)
            {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(n) if n > MAX_LINE && self.buf.last() != Some(&b'\n') => {
                    self.done = true;
                    return Some(Err(SpcError {
                        line: self.line_no + 1,
                        column: None,
                        field: None,
                        problem: SpcProblem::LineTooLong,
                    }));
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
                    let late = self.last_at.filter(|&prev| rec.at < prev);
                    if let Some(prev) = late {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::{BufReader, Cursor, Read};

    fn rec(asu: u32, lba: u64, bytes: u32, kind: OpKind, ns: u64) -> SpcRecord {
        SpcRecord {
            asu,
            lba,
            bytes,
            kind,
            at: SimTime::from_nanos(ns),
        }
    }

    #[test]
    fn parses_lines_and_timestamps_exactly() {
        assert_eq!(
            parse_line("0,42932746,512,W,0.242639", 1).unwrap(),
            Some(rec(0, 42932746, 512, OpKind::Write, 242_639_000))
        );
        assert_eq!(
            parse_line(" 3 , 7 ,4096, r ,12\r\n", 1).unwrap(),
            Some(rec(3, 7, 4096, OpKind::Read, 12_000_000_000))
        );
        // Extra trailing fields are ignored.
        assert_eq!(
            parse_line("1,0,8192,R,7199.624869,extra,42", 1).unwrap(),
            Some(rec(1, 0, 8192, OpKind::Read, 7_199_624_869_000))
        );
        let at = |s: &str| {
            parse_line(&format!("0,0,1,w,{s}"), 1)
                .unwrap()
                .unwrap()
                .at
                .as_nanos()
        };
        assert_eq!(at(".5"), 500_000_000);
        assert_eq!(at("5."), 5_000_000_000);
        assert_eq!(at("0.000000001"), 1);
        assert_eq!(at("1.1234567899"), 1_123_456_789);
        assert_eq!(at("0.1"), 100_000_000);
        assert_eq!(at("18446744073.709551615"), u64::MAX);
        for skip in [
            "",
            "   ",
            "\n",
            "# comment",
            "  # indented comment, with commas",
        ] {
            assert_eq!(parse_line(skip, 1).unwrap(), None, "{skip:?}");
        }
    }

    #[test]
    fn bad_lines_name_line_column_field_and_what_is_expected() {
        let e = parse_line("0,12,-5,W,1.0", 17).unwrap_err();
        assert_eq!(
            (e.line, e.column, e.field),
            (17, Some(6), Some(SpcField::Size))
        );
        assert_eq!(
            e.to_string(),
            "line 17, column 6 (Size): expected a size in bytes (integer 1 to 4294967295), found `-5`"
        );
        let e = parse_line("0,12,512", 3).unwrap_err();
        assert_eq!(e.field, Some(SpcField::Opcode));
        assert_eq!(e.problem, SpcProblem::MissingField { found: 3 });
        assert!(e.to_string().contains("found 3; missing an opcode"), "{e}");
        let field_of = |l: &str| parse_line(l, 1).unwrap_err().field.unwrap();
        assert_eq!(field_of("x,1,512,W,0"), SpcField::Asu);
        assert_eq!(field_of("4294967296,1,512,W,0"), SpcField::Asu);
        assert_eq!(field_of("0,1.5,512,W,0"), SpcField::Lba);
        assert_eq!(field_of("0,18446744073709551616,512,W,0"), SpcField::Lba);
        assert_eq!(field_of("0,1,0,W,0"), SpcField::Size);
        assert_eq!(field_of("0,1,4294967296,W,0"), SpcField::Size);
        assert_eq!(field_of("0,1,512,X,0"), SpcField::Opcode);
        assert_eq!(field_of("0,1,512,,0"), SpcField::Opcode);
        for ts in [
            "",
            ".",
            "-1",
            "+1",
            "1e-3",
            "1.2.3",
            "0x10",
            "18446744074",
            "1 2",
        ] {
            let e = parse_line(&format!("0,1,512,W,{ts}"), 9).unwrap_err();
            assert_eq!(e.field, Some(SpcField::Timestamp), "{ts:?}");
        }
        let long = "9".repeat(100);
        let e = parse_line(&format!("0,{long},512,W,0"), 1).unwrap_err();
        assert!(e.to_string().ends_with("9999...`"), "{e}");
    }

    const TRACE: &str =
        "# a comment\n0,100,4096,W,0.5\n\n1,8,512,r,0.75\n0,104,8192,W,1.25,extra\n";

    #[test]
    fn reader_streams_a_trace() {
        let mut r = SpcReader::new(Cursor::new(TRACE), Leniency::Strict);
        let got: Vec<SpcRecord> = r.by_ref().map(Result::unwrap).collect();
        assert_eq!(
            got,
            vec![
                rec(0, 100, 4096, OpKind::Write, 500_000_000),
                rec(1, 8, 512, OpKind::Read, 750_000_000),
                rec(0, 104, 8192, OpKind::Write, 1_250_000_000),
            ]
        );
        assert_eq!((r.lines_read(), r.records(), r.skipped()), (5, 3, 0));
        // Without a final newline too.
        let r = SpcReader::new(Cursor::new("0,1,512,W,0"), Leniency::Strict);
        assert_eq!(r.count(), 1);
    }

    #[test]
    fn strict_reader_stops_at_the_first_bad_line() {
        let text = "0,1,512,W,1.0\n0,2,512,Q,2.0\n0,3,512,W,3.0\n";
        let mut r = SpcReader::new(Cursor::new(text), Leniency::Strict);
        assert!(r.next().unwrap().is_ok());
        let e = r.next().unwrap().unwrap_err();
        assert_eq!((e.line, e.field), (2, Some(SpcField::Opcode)));
        assert!(r.next().is_none());

        let text = "0,1,512,W,2.0\n0,2,512,W,1.5\n";
        let e = SpcReader::new(Cursor::new(text), Leniency::Strict)
            .nth(1)
            .unwrap()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2 (Timestamp): timestamp 1.500000000s is earlier than the previous I/O's 2.000000000s: SPC timestamps must be non-decreasing"
        );
    }

    #[test]
    fn lenient_reader_counts_and_skips() {
        let mut text = b"0,1,512,W,1.0\nbad line\n0,2,512,W,0.5\n0,3,512,W,2.0\n".to_vec();
        text.extend_from_slice(b"0,4,\xff\xfe,W,3.0\n");
        for i in 0..10 {
            text.extend_from_slice(format!("0,{i},512,Z,4.0\n").as_bytes());
        }
        text.extend_from_slice(b"0,9,512,R,5.0\n");
        let mut r = SpcReader::new(Cursor::new(text), Leniency::Lenient);
        let lbas: Vec<u64> = r.by_ref().map(|x| x.unwrap().lba).collect();
        assert_eq!(lbas, vec![1, 3, 9]);
        assert_eq!(r.skipped(), 13);
        let lines: Vec<u64> = r.skipped_examples().iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 5, 6, 7]);
        assert!(matches!(
            r.skipped_examples()[1].problem,
            SpcProblem::OutOfOrder { .. }
        ));
        assert_eq!(r.skipped_examples()[2].problem, SpcProblem::NotText);
    }

    /// A reader that fails after some bytes.
    struct Failing(Cursor<&'static str>);
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.read(buf)?;
            if n == 0 {
                Err(std::io::Error::other("disk on fire"))
            } else {
                Ok(n)
            }
        }
    }

    #[test]
    fn io_errors_end_the_stream_in_both_modes() {
        for mode in [Leniency::Strict, Leniency::Lenient] {
            let r = BufReader::new(Failing(Cursor::new("0,1,512,W,1.0\n")));
            let mut r = SpcReader::new(r, mode);
            assert!(r.next().unwrap().is_ok());
            let e = r.next().unwrap().unwrap_err();
            assert_eq!(e.line, 2);
            assert!(e.to_string().contains("disk on fire"), "{e}");
            assert!(r.next().is_none());
        }
    }

    proptest! {
        #[test]
        fn formatted_records_parse_back(
            asu in any::<u32>(),
            lba in any::<u64>(),
            bytes in 1u32..,
            write in any::<bool>(),
            ns in 0u64..u64::MAX,
            upper in any::<bool>(),
        ) {
            let op = match (write, upper) {
                (true, true) => "W",
                (true, false) => "w",
                (false, true) => "R",
                (false, false) => "r",
            };
            let line = format!("{asu},{lba},{bytes},{op},{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000);
            let kind = if write { OpKind::Write } else { OpKind::Read };
            prop_assert_eq!(parse_line(&line, 1).unwrap(), Some(rec(asu, lba, bytes, kind, ns)));
        }

        #[test]
        fn parse_line_never_panics(line in "\\PC{0,60}") {
            let _ = parse_line(&line, 1);
        }
    }
}

#[cfg(test)]
mod bounded_tests {
    use super::*;

    /// An endless stream without line ends (`/dev/zero`) is refused after one bounded line,
    /// not read into memory.
    #[test]
    fn a_line_without_end_is_refused_after_max_line_bytes() {
        let zeros = std::io::BufReader::new(std::io::repeat(0).take(1 << 30));
        let mut r = SpcReader::new(zeros, Leniency::Lenient);
        let e = r.next().expect("an error").expect_err("not a record");
        assert_eq!(e.problem, SpcProblem::LineTooLong);
        assert_eq!(e.line, 1);
        assert!(r.next().is_none(), "reading stops");
    }

    /// Lenient reading of something that is not a trace at all (random text lines) stops
    /// after a bounded number of rejected lines instead of skipping forever.
    #[test]
    fn lenient_reading_of_no_trace_at_all_gives_up() {
        let junk = "not,a trace line\n".repeat(5000);
        let mut r = SpcReader::new(std::io::Cursor::new(junk), Leniency::Lenient);
        let e = r.next().expect("an error").expect_err("not a record");
        assert_eq!(e.problem, SpcProblem::NoRecords);
        assert_eq!(e.line, MAX_SKIPPED_BEFORE_FIRST);
        assert!(r.next().is_none());
        // A good trace with a few bad lines is still read leniently.
        let mixed = "0,10,4096,w,0.001\nbad\n0,20,4096,r,0.002\n";
        let recs: Vec<_> = SpcReader::new(std::io::Cursor::new(mixed), Leniency::Lenient).collect();
        assert_eq!(recs.len(), 2);
        assert!(recs.iter().all(Result::is_ok));
    }
}
