//! The versioned binary codec of remote-copy messages (M0 header, M1 tokens, M2 token+data
//! fields, extents, acknowledgment, exception), so that the simulated link is charged for
//! exactly the bytes a real data mover would send.
//!
//! # Format, version 1
//!
//! Every integer is big-endian and fixed-width (no varints: a part's size depends only on
//! its counts and lengths, so the simulator can size a message by arithmetic alone). A
//! message is the header followed by its parts in this order: M1 tokens, M2 data fields,
//! extent entries, acknowledgment (if flagged), exception text (if flagged).
//!
//! | part | layout | bytes |
//! | --- | --- | --- |
//! | header | magic `E7 D9 C3 D4` (EBCDIC `XRCM`), version u8 (= 1), kind u8, flags u8 (bit 0 ack present, bit 1 exception present, others 0), session u16, total length u32 (whole message, header included), message number u64, sent time ns u64, M1 count u32, M2 count u32, extent count u32 | [`HEADER_LEN`] = 41 |
//! | M1 token | seq u64, site ordinal u64, device u32, bytes u32, subsystem token u32, record count u8, then per record CCHHR (CC u16, HH u16, R u8) | [`token_len`] = 29 + 5 n |
//! | M2 field | its token, group-end indicator u8 (0 absent, 1 present), group end u64 (0 when absent), then per record of the token: count area CCHHR + KL u8 + DL u16 (8 bytes, as a CKD count field), record check u64 (the content digest), KL + DL payload bytes | [`data_field_len`] = 29 + 5 n + 9 + 16 n + key + data |
//! | extent | device u32, first track u64, last track u64, DSN length u8, DSN bytes | [`extent_entry_len`] = 21 + DSN length |
//! | ack | secured site ordinal u64, secured sequence number u64 | [`ACK_LEN`] = 16 |
//! | exception | text length u8, text bytes (UTF-8) | [`exception_len`] = 1 + text length |
//!
//! Message kind codes: 1 Data, 2 Establish, 3 Terminate, 4 InitialCopy, 5 Ack, 6 Exception.
//! The codec carries any combination of parts with any kind; what a kind must contain is
//! the pipeline's business, not the wire format's.
//!
//! Record addresses use the classic 5-byte ECKD CCHHR: a 2-byte cylinder (at most 65,535,
//! enough for a 3390-54's 65,520 cylinders; extended-address volumes are not modelled), a
//! 2-byte head and a 1-byte record number. The data length is 2 bytes as in a CKD count
//! field (at most 65,535; a 3390 track holds at most 56,664 bytes).
//!
//! The simulator represents record contents by digests; the payload of a record is the
//! deterministic byte stream [`fill_payload`] derives from its digest (SplitMix64 seeded by
//! the digest), so an encoded message has its real size, and [`decode`] checks every payload
//! byte against the digest carried in the record check field: a corrupted payload is a
//! decode error.
//!
//! The encoding is canonical: a byte string that decodes re-encodes to itself, byte for byte
//! (padding and unused flag bits must be zero, lengths must agree).
//!
//! # Limits
//!
//! [`MAX_RECORDS_PER_TOKEN`] = 255, [`MAX_CYLINDER`] = 65,535, [`MAX_DATA_LEN`] = 65,535,
//! [`MAX_DSNAME_LEN`] = 44 bytes, [`MAX_EXCEPTION_LEN`] = 255 bytes, at most `u32::MAX`
//! tokens, fields and extents, and at most [`MAX_MESSAGE_LEN`] bytes in all. An M2 field
//! carries exactly one record per record of its token. [`encode`] refuses (does not
//! truncate) a message over a limit; [`validate`] tells the same without encoding.

use super::message::{
    Ack, DataField, ExtentEntry, Header, Message, MessageKind, RecordData, Token,
};
use crate::types::{Cchhr, Digest};
use std::fmt;
use thiserror::Error;

/// Magic bytes opening every message: `XRCM` in EBCDIC.
pub const MAGIC: [u8; 4] = [0xE7, 0xD9, 0xC3, 0xD4];
/// The format version this codec writes and reads. Any change of layout changes it.
pub const FORMAT_VERSION: u8 = 1;

/// Bytes of the header (M0): magic, version, kind, flags, session, total length, message
/// number, sent time and the three part counts.
pub const HEADER_LEN: usize = 4 + 1 + 1 + 1 + 2 + 4 + 8 + 8 + 4 + 4 + 4;
/// Bytes of an acknowledgment part.
pub const ACK_LEN: usize = 16;
/// Bytes of one CCHHR record address on the wire (CC 2, HH 2, R 1).
pub const CCHHR_LEN: usize = 5;
/// Bytes of a CKD-style count area in an M2 record: CCHHR, key length (1), data length (2).
pub const COUNT_AREA_LEN: usize = CCHHR_LEN + 1 + 2;
/// Bytes of the record check field (the content digest) after each count area.
pub const RECORD_CHECK_LEN: usize = 8;
/// Bytes of the group-end indicator and value in an M2 field.
pub const GROUP_END_LEN: usize = 1 + 8;

/// Most records one token (and so one M2 field) can name: the count is one byte.
pub const MAX_RECORDS_PER_TOKEN: usize = 255;
/// Highest cylinder a 2-byte CC can address.
pub const MAX_CYLINDER: u32 = u16::MAX as u32;
/// Largest record data length a 2-byte DL can carry, in bytes.
pub const MAX_DATA_LEN: u32 = u16::MAX as u32;
/// Longest data set name, in bytes (MVS limit of 44 characters).
pub const MAX_DSNAME_LEN: usize = 44;
/// Longest exception text, in bytes.
pub const MAX_EXCEPTION_LEN: usize = 255;
/// Most tokens, M2 fields or extents one message can hold (4-byte counts).
pub const MAX_PART_COUNT: usize = u32::MAX as usize;
/// Longest encoded message, in bytes (4-byte total length).
pub const MAX_MESSAGE_LEN: usize = u32::MAX as usize;

/// Fixed bytes of a token before its record addresses.
const TOKEN_FIXED_LEN: usize = 8 + 8 + 4 + 4 + 4 + 1;
/// Fixed bytes of an extent entry before its data set name.
const EXTENT_FIXED_LEN: usize = 4 + 8 + 8 + 1;
/// Per-record bytes of an M2 field besides the payload.
const M2_RECORD_FIXED_LEN: usize = COUNT_AREA_LEN + RECORD_CHECK_LEN;

const FLAG_ACK: u8 = 0x01;
const FLAG_EXCEPTION: u8 = 0x02;
const FLAGS_ALLOWED: u8 = FLAG_ACK | FLAG_EXCEPTION;

/// Offset of the total-length field in the header.
const TOTAL_LEN_OFFSET: usize = 9;

/// SplitMix64 increment (the golden-ratio gamma).
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// Bytes of an M1 token naming `n_recs` records.
#[inline]
pub const fn token_len(n_recs: usize) -> usize {
    TOKEN_FIXED_LEN + CCHHR_LEN * n_recs
}

/// Bytes of an M2 field whose token names `n_recs` records carrying `total_key_bytes` of
/// keys and `total_data_bytes` of data in all.
#[inline]
pub const fn data_field_len(
    n_recs: usize,
    total_key_bytes: usize,
    total_data_bytes: usize,
) -> usize {
    token_len(n_recs)
        + GROUP_END_LEN
        + M2_RECORD_FIXED_LEN * n_recs
        + total_key_bytes
        + total_data_bytes
}

/// Bytes of an extent entry whose data set name is `dsname_len` bytes long.
#[inline]
pub const fn extent_entry_len(dsname_len: usize) -> usize {
    EXTENT_FIXED_LEN + dsname_len
}

/// Bytes of an exception part whose text is `text_len` bytes long.
#[inline]
pub const fn exception_len(text_len: usize) -> usize {
    1 + text_len
}

/// Bytes `msg` encodes to (pure arithmetic, no encoding; meaningful for a message that
/// passes [`validate`]).
pub fn encoded_len(msg: &Message) -> usize {
    let mut len = HEADER_LEN;
    for t in &msg.tokens {
        len += token_len(t.recs.len());
    }
    for f in &msg.data {
        len += data_field_part_len(f);
    }
    for e in &msg.extents {
        len += extent_entry_len(e.dsname.len());
    }
    if msg.ack.is_some() {
        len += ACK_LEN;
    }
    if let Some(text) = &msg.exception {
        len += exception_len(text.len());
    }
    len
}

#[inline]
fn data_field_part_len(f: &DataField) -> usize {
    let (mut keys, mut data) = (0usize, 0usize);
    for r in &f.records {
        keys += r.key_len as usize;
        data += r.data_len as usize;
    }
    data_field_len(f.token.recs.len(), keys, data)
}

/// Fills `out` with the payload bytes of a record whose content digest is `digest`: the
/// SplitMix64 stream seeded by the digest, each 64-bit output written big-endian, the last
/// one cut to fit. Key and data areas of a record are one stream (key first).
pub fn fill_payload(digest: Digest, out: &mut [u8]) {
    let mut state = digest.0;
    let mut chunks = out.chunks_exact_mut(8);
    for c in &mut chunks {
        state = state.wrapping_add(GAMMA);
        c.copy_from_slice(&sim::avalanche(state).to_be_bytes());
    }
    let rest = chunks.into_remainder();
    if !rest.is_empty() {
        state = state.wrapping_add(GAMMA);
        let w = sim::avalanche(state).to_be_bytes();
        rest.copy_from_slice(&w[..rest.len()]);
    }
}

/// Appends `n` payload bytes of `digest` (as [`fill_payload`]) to `out`, which has room.
#[inline]
fn extend_payload(out: &mut Vec<u8>, digest: Digest, n: usize) {
    let mut state = digest.0;
    for _ in 0..n / 8 {
        state = state.wrapping_add(GAMMA);
        out.extend_from_slice(&sim::avalanche(state).to_be_bytes());
    }
    let rest = n % 8;
    if rest != 0 {
        state = state.wrapping_add(GAMMA);
        out.extend_from_slice(&sim::avalanche(state).to_be_bytes()[..rest]);
    }
}

/// Index of the first byte of `payload` that differs from [`fill_payload`] of `digest`.
fn payload_mismatch(digest: Digest, payload: &[u8]) -> Option<usize> {
    let mut state = digest.0;
    let mut chunks = payload.chunks_exact(8);
    let mut at = 0usize;
    for c in &mut chunks {
        state = state.wrapping_add(GAMMA);
        let w = sim::avalanche(state);
        let got = u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        if got != w {
            // The first differing byte is the most significant differing one.
            return Some(at + ((got ^ w).leading_zeros() / 8) as usize);
        }
        at += 8;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        state = state.wrapping_add(GAMMA);
        let w = sim::avalanche(state).to_be_bytes();
        return rest
            .iter()
            .zip(w)
            .position(|(a, b)| *a != b)
            .map(|i| at + i);
    }
    None
}

/// Where in a message a limit was broken.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// The M1 token at this index.
    Token(usize),
    /// The M2 field at this index.
    DataField(usize),
    /// The extent entry at this index.
    Extent(usize),
    /// The exception text.
    Exception,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Token(i) => write!(f, "M1 token {i}"),
            Part::DataField(i) => write!(f, "M2 field {i}"),
            Part::Extent(i) => write!(f, "extent {i}"),
            Part::Exception => f.write_str("exception text"),
        }
    }
}

/// A message that the format cannot carry (a limit of the format is exceeded).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// A token names more records than its one-byte count allows.
    #[error("{part}: {count} records, at most {max} allowed", max = MAX_RECORDS_PER_TOKEN)]
    TooManyRecords {
        /// The token or M2 field.
        part: Part,
        /// Records it names.
        count: usize,
    },
    /// A record address has a cylinder beyond the 2-byte CC.
    #[error("{part}: record {index} at cylinder {cyl}, at most {max} allowed", max = MAX_CYLINDER)]
    CylinderOutOfRange {
        /// The token or M2 field.
        part: Part,
        /// Index of the record within it.
        index: usize,
        /// The cylinder.
        cyl: u32,
    },
    /// An M2 record's data is longer than the 2-byte DL allows.
    #[error("{part}: record {index} has {len} data bytes, at most {max} allowed", max = MAX_DATA_LEN)]
    DataTooLong {
        /// The M2 field.
        part: Part,
        /// Index of the record within it.
        index: usize,
        /// Data length in bytes.
        len: u32,
    },
    /// An M2 field's record list does not match its token's.
    #[error(
        "{part}: {records} records of data for a token of {token_recs} records; they must be equal"
    )]
    RecordCountMismatch {
        /// The M2 field.
        part: Part,
        /// Records of data carried.
        records: usize,
        /// Records named by the token.
        token_recs: usize,
    },
    /// A data set name or the exception text is too long.
    #[error("{part}: {len} bytes, at most {max} allowed")]
    TextTooLong {
        /// The extent or the exception.
        part: Part,
        /// Length in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// More tokens, fields or extents than a 4-byte count allows.
    #[error("{count} {what}, at most {max} allowed", max = MAX_PART_COUNT)]
    TooManyParts {
        /// "M1 tokens", "M2 fields" or "extents".
        what: &'static str,
        /// How many the message has.
        count: usize,
    },
    /// The whole message is longer than the 4-byte total length allows.
    #[error("message: {len} bytes encoded, at most {max} allowed", max = MAX_MESSAGE_LEN)]
    MessageTooLong {
        /// Encoded length in bytes.
        len: usize,
    },
}

fn check_recs(part: Part, recs: &[Cchhr]) -> Result<(), EncodeError> {
    if recs.len() > MAX_RECORDS_PER_TOKEN {
        return Err(EncodeError::TooManyRecords {
            part,
            count: recs.len(),
        });
    }
    for (index, r) in recs.iter().enumerate() {
        if r.cyl > MAX_CYLINDER {
            return Err(EncodeError::CylinderOutOfRange {
                part,
                index,
                cyl: r.cyl,
            });
        }
    }
    Ok(())
}

/// Checks that `msg` is within every limit of the format (see the module documentation);
/// on success returns its encoded length in bytes.
pub fn validate(msg: &Message) -> Result<usize, EncodeError> {
    for (what, count) in [
        ("M1 tokens", msg.tokens.len()),
        ("M2 fields", msg.data.len()),
        ("extents", msg.extents.len()),
    ] {
        if count > MAX_PART_COUNT {
            return Err(EncodeError::TooManyParts { what, count });
        }
    }
    for (i, t) in msg.tokens.iter().enumerate() {
        check_recs(Part::Token(i), &t.recs)?;
    }
    for (i, f) in msg.data.iter().enumerate() {
        let part = Part::DataField(i);
        check_recs(part, &f.token.recs)?;
        if f.records.len() != f.token.recs.len() {
            return Err(EncodeError::RecordCountMismatch {
                part,
                records: f.records.len(),
                token_recs: f.token.recs.len(),
            });
        }
        for (index, r) in f.records.iter().enumerate() {
            if r.addr.cyl > MAX_CYLINDER {
                return Err(EncodeError::CylinderOutOfRange {
                    part,
                    index,
                    cyl: r.addr.cyl,
                });
            }
            if r.data_len > MAX_DATA_LEN {
                return Err(EncodeError::DataTooLong {
                    part,
                    index,
                    len: r.data_len,
                });
            }
        }
    }
    for (i, e) in msg.extents.iter().enumerate() {
        if e.dsname.len() > MAX_DSNAME_LEN {
            return Err(EncodeError::TextTooLong {
                part: Part::Extent(i),
                len: e.dsname.len(),
                max: MAX_DSNAME_LEN,
            });
        }
    }
    if let Some(text) = &msg.exception
        && text.len() > MAX_EXCEPTION_LEN
    {
        return Err(EncodeError::TextTooLong {
            part: Part::Exception,
            len: text.len(),
            max: MAX_EXCEPTION_LEN,
        });
    }
    let len = encoded_len(msg);
    if len > MAX_MESSAGE_LEN {
        return Err(EncodeError::MessageTooLong { len });
    }
    Ok(len)
}

const fn kind_code(kind: MessageKind) -> u8 {
    match kind {
        MessageKind::Data => 1,
        MessageKind::Establish => 2,
        MessageKind::Terminate => 3,
        MessageKind::InitialCopy => 4,
        MessageKind::Ack => 5,
        MessageKind::Exception => 6,
    }
}

const fn kind_from_code(code: u8) -> Option<MessageKind> {
    Some(match code {
        1 => MessageKind::Data,
        2 => MessageKind::Establish,
        3 => MessageKind::Terminate,
        4 => MessageKind::InitialCopy,
        5 => MessageKind::Ack,
        6 => MessageKind::Exception,
        _ => return None,
    })
}

#[inline]
fn put_cchhr(out: &mut Vec<u8>, a: Cchhr) {
    // Validated: cyl <= MAX_CYLINDER.
    out.extend_from_slice(&(a.cyl as u16).to_be_bytes());
    out.extend_from_slice(&a.head.to_be_bytes());
    out.push(a.rec);
}

fn put_token(out: &mut Vec<u8>, t: &Token) {
    out.extend_from_slice(&t.seq.to_be_bytes());
    out.extend_from_slice(&t.site_ord.to_be_bytes());
    out.extend_from_slice(&t.device.to_be_bytes());
    out.extend_from_slice(&t.bytes.to_be_bytes());
    out.extend_from_slice(&t.subsystem_token.to_be_bytes());
    out.push(t.recs.len() as u8);
    for &r in &t.recs {
        put_cchhr(out, r);
    }
}

/// Appends the encoding of `msg` to `out` and returns the number of bytes appended. The
/// only allocation is the growth of `out` (reserved once, to the exact length). A message
/// over a limit of the format is refused with `out` left unchanged.
pub fn encode(msg: &Message, out: &mut Vec<u8>) -> Result<usize, EncodeError> {
    let len = validate(msg)?;
    out.reserve(len);
    let start = out.len();
    let h = &msg.header;
    out.extend_from_slice(&MAGIC);
    out.push(FORMAT_VERSION);
    out.push(kind_code(h.kind));
    let mut flags = 0;
    if msg.ack.is_some() {
        flags |= FLAG_ACK;
    }
    if msg.exception.is_some() {
        flags |= FLAG_EXCEPTION;
    }
    out.push(flags);
    out.extend_from_slice(&h.session.to_be_bytes());
    out.extend_from_slice(&(len as u32).to_be_bytes());
    out.extend_from_slice(&h.msg_no.to_be_bytes());
    out.extend_from_slice(&h.sent_ns.to_be_bytes());
    out.extend_from_slice(&(msg.tokens.len() as u32).to_be_bytes());
    out.extend_from_slice(&(msg.data.len() as u32).to_be_bytes());
    out.extend_from_slice(&(msg.extents.len() as u32).to_be_bytes());
    for t in &msg.tokens {
        put_token(out, t);
    }
    for f in &msg.data {
        put_token(out, &f.token);
        out.push(f.group_end.is_some() as u8);
        out.extend_from_slice(&f.group_end.unwrap_or(0).to_be_bytes());
        for r in &f.records {
            put_cchhr(out, r.addr);
            out.push(r.key_len);
            out.extend_from_slice(&(r.data_len as u16).to_be_bytes());
            out.extend_from_slice(&r.digest.0.to_be_bytes());
            extend_payload(out, r.digest, r.key_len as usize + r.data_len as usize);
        }
    }
    for e in &msg.extents {
        out.extend_from_slice(&e.device.to_be_bytes());
        out.extend_from_slice(&e.first_track.to_be_bytes());
        out.extend_from_slice(&e.last_track.to_be_bytes());
        out.push(e.dsname.len() as u8);
        out.extend_from_slice(e.dsname.as_bytes());
    }
    if let Some(a) = &msg.ack {
        out.extend_from_slice(&a.secured_ord.to_be_bytes());
        out.extend_from_slice(&a.secured_seq.to_be_bytes());
    }
    if let Some(text) = &msg.exception {
        out.push(text.len() as u8);
        out.extend_from_slice(text.as_bytes());
    }
    debug_assert_eq!(out.len() - start, len, "encoded_len disagrees with encode");
    Ok(len)
}

/// What was wrong with an input that does not decode.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DecodeErrorKind {
    /// The input ends inside a part.
    #[error("truncated: {what} needs {need} bytes, only {have} left")]
    Truncated {
        /// The part being read.
        what: &'static str,
        /// Bytes it needs.
        need: usize,
        /// Bytes left in the input.
        have: usize,
    },
    /// The input does not start with [`MAGIC`].
    #[error("magic is {found:02X?}, expected {MAGIC:02X?} (EBCDIC \"XRCM\")")]
    BadMagic {
        /// The first four bytes.
        found: [u8; 4],
    },
    /// A format version this decoder does not read.
    #[error("format version {found} is not supported; this decoder reads version {FORMAT_VERSION}")]
    UnsupportedVersion {
        /// The version byte.
        found: u8,
    },
    /// An unknown message kind code.
    #[error("message kind code {found} is unknown; allowed are 1 to 6")]
    BadKind {
        /// The kind byte.
        found: u8,
    },
    /// Flag bits that version 1 does not define.
    #[error("header flags {found:#04x} set bits outside {FLAGS_ALLOWED:#04x}")]
    BadFlags {
        /// The flags byte.
        found: u8,
    },
    /// The total length field disagrees with the input length.
    #[error("total length field says {declared} bytes, but the input is {actual} bytes")]
    LengthMismatch {
        /// The header's total length.
        declared: u32,
        /// Bytes of input.
        actual: usize,
    },
    /// A count that the rest of the input cannot possibly hold.
    #[error(
        "{count} {what} declared, but only {remaining} bytes are left and each needs at least {min_each}"
    )]
    CountTooLarge {
        /// What is counted.
        what: &'static str,
        /// The declared count.
        count: usize,
        /// Bytes left in the input.
        remaining: usize,
        /// Smallest encoding of one.
        min_each: usize,
    },
    /// The group-end indicator of an M2 field is neither 0 nor 1.
    #[error("group-end indicator is {found}; allowed are 0 (absent) and 1 (present)")]
    BadGroupEndFlag {
        /// The indicator byte.
        found: u8,
    },
    /// The group end of an M2 field is absent but its field is not zero.
    #[error("group end is absent but its field holds {found}, not 0")]
    GroupEndPadding {
        /// The value found.
        found: u64,
    },
    /// A record's payload does not match its digest (the offset is the first bad byte).
    #[error("M2 field {field} record {record}: payload does not match digest {digest}")]
    PayloadMismatch {
        /// Index of the M2 field.
        field: usize,
        /// Index of the record within it.
        record: usize,
        /// The digest carried in the record check field.
        digest: Digest,
    },
    /// A text part is not UTF-8.
    #[error("{what} is not valid UTF-8")]
    BadUtf8 {
        /// The text part.
        what: &'static str,
    },
    /// A text part is longer than allowed.
    #[error("{what} is {len} bytes, at most {max} allowed")]
    TextTooLong {
        /// The text part.
        what: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// Bytes follow the last part announced by the header.
    #[error("{count} bytes follow the last part")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
}

/// An input that is not a valid version-1 message: what was wrong and at which byte offset.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("at byte {offset}: {kind}")]
pub struct DecodeError {
    /// Offset in the input of the byte (or part) found wrong.
    pub offset: usize,
    /// What was wrong.
    pub kind: DecodeErrorKind,
}

/// A bounds-checked reader over the input.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    #[inline]
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    #[inline]
    fn err<T>(&self, offset: usize, kind: DecodeErrorKind) -> Result<T, DecodeError> {
        Err(DecodeError { offset, kind })
    }

    #[inline]
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let have = self.remaining();
        if n > have {
            return self.err(
                self.pos,
                DecodeErrorKind::Truncated {
                    what,
                    need: n,
                    have,
                },
            );
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    #[inline]
    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        match self.buf[self.pos..].first_chunk::<N>() {
            Some(a) => {
                self.pos += N;
                Ok(*a)
            }
            None => self.err(
                self.pos,
                DecodeErrorKind::Truncated {
                    what,
                    need: N,
                    have: self.remaining(),
                },
            ),
        }
    }

    #[inline]
    fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(what)?[0])
    }
    #[inline]
    fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }
    #[inline]
    fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }
    #[inline]
    fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// Checks that `count` items of at least `min_each` bytes can fit in what is left,
    /// before anything is allocated for them.
    fn check_count(
        &self,
        count: usize,
        min_each: usize,
        what: &'static str,
    ) -> Result<usize, DecodeError> {
        let remaining = self.remaining();
        if count > remaining / min_each {
            return self.err(
                self.pos,
                DecodeErrorKind::CountTooLarge {
                    what,
                    count,
                    remaining,
                    min_each,
                },
            );
        }
        Ok(count)
    }

    fn cchhr(&mut self, what: &'static str) -> Result<Cchhr, DecodeError> {
        let b: [u8; CCHHR_LEN] = self.array(what)?;
        Ok(Cchhr {
            cyl: u16::from_be_bytes([b[0], b[1]]) as u32,
            head: u16::from_be_bytes([b[2], b[3]]),
            rec: b[4],
        })
    }

    fn token(&mut self) -> Result<Token, DecodeError> {
        let seq = self.u64("token sequence number")?;
        let site_ord = self.u64("token site ordinal")?;
        let device = self.u32("token device number")?;
        let bytes = self.u32("token byte count")?;
        let subsystem_token = self.u32("token subsystem token")?;
        let n = self.u8("token record count")? as usize;
        let n = self.check_count(n, CCHHR_LEN, "token record addresses")?;
        let mut recs = Vec::with_capacity(n);
        for _ in 0..n {
            recs.push(self.cchhr("token record address")?);
        }
        Ok(Token {
            seq,
            site_ord,
            device,
            recs,
            bytes,
            subsystem_token,
        })
    }

    fn data_field(&mut self, field: usize) -> Result<DataField, DecodeError> {
        let token = self.token()?;
        let flag_at = self.pos;
        let flag = self.u8("group-end indicator")?;
        let value_at = self.pos;
        let value = self.u64("group end")?;
        let group_end = match flag {
            0 if value == 0 => None,
            0 => return self.err(value_at, DecodeErrorKind::GroupEndPadding { found: value }),
            1 => Some(value),
            found => return self.err(flag_at, DecodeErrorKind::BadGroupEndFlag { found }),
        };
        let n = self.check_count(token.recs.len(), M2_RECORD_FIXED_LEN, "M2 records")?;
        let mut records = Vec::with_capacity(n);
        for record in 0..n {
            let addr = self.cchhr("M2 count area")?;
            let key_len = self.u8("M2 key length")?;
            let data_len = self.u16("M2 data length")? as u32;
            let digest = Digest(self.u64("M2 record check")?);
            let at = self.pos;
            let payload = self.take(key_len as usize + data_len as usize, "M2 record payload")?;
            if let Some(i) = payload_mismatch(digest, payload) {
                return self.err(
                    at + i,
                    DecodeErrorKind::PayloadMismatch {
                        field,
                        record,
                        digest,
                    },
                );
            }
            records.push(RecordData {
                addr,
                key_len,
                data_len,
                digest,
            });
        }
        Ok(DataField {
            token,
            records,
            group_end,
        })
    }

    fn text(&mut self, what: &'static str, max: usize) -> Result<String, DecodeError> {
        let at = self.pos;
        let len = self.u8(what)? as usize;
        if len > max {
            return self.err(at, DecodeErrorKind::TextTooLong { what, len, max });
        }
        let text_at = self.pos;
        let bytes = self.take(len, what)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(e) => self.err(text_at + e.valid_up_to(), DecodeErrorKind::BadUtf8 { what }),
        }
    }
}

/// Decodes one whole message from `bytes` (exactly one message, nothing after it). Never
/// panics; allocates only in proportion to the input (every count is checked against the
/// bytes left before anything is allocated for it); every payload is checked against its
/// digest.
pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let magic: [u8; 4] = r.array("magic")?;
    if magic != MAGIC {
        return r.err(0, DecodeErrorKind::BadMagic { found: magic });
    }
    let version = r.u8("format version")?;
    if version != FORMAT_VERSION {
        return r.err(4, DecodeErrorKind::UnsupportedVersion { found: version });
    }
    let kind_code = r.u8("message kind")?;
    let Some(kind) = kind_from_code(kind_code) else {
        return r.err(5, DecodeErrorKind::BadKind { found: kind_code });
    };
    let flags = r.u8("header flags")?;
    if flags & !FLAGS_ALLOWED != 0 {
        return r.err(6, DecodeErrorKind::BadFlags { found: flags });
    }
    let session = r.u16("session")?;
    let declared = r.u32("total length")?;
    if declared as usize != bytes.len() {
        return r.err(
            TOTAL_LEN_OFFSET,
            DecodeErrorKind::LengthMismatch {
                declared,
                actual: bytes.len(),
            },
        );
    }
    let msg_no = r.u64("message number")?;
    let sent_ns = r.u64("sent time")?;
    let n_tokens = r.u32("M1 token count")? as usize;
    let n_data = r.u32("M2 field count")? as usize;
    let n_extents = r.u32("extent count")? as usize;

    let n_tokens = r.check_count(n_tokens, token_len(0), "M1 tokens")?;
    let mut tokens = Vec::with_capacity(n_tokens);
    for _ in 0..n_tokens {
        tokens.push(r.token()?);
    }
    let n_data = r.check_count(n_data, data_field_len(0, 0, 0), "M2 fields")?;
    let mut data = Vec::with_capacity(n_data);
    for i in 0..n_data {
        data.push(r.data_field(i)?);
    }
    let n_extents = r.check_count(n_extents, extent_entry_len(0), "extents")?;
    let mut extents = Vec::with_capacity(n_extents);
    for _ in 0..n_extents {
        let device = r.u32("extent device number")?;
        let first_track = r.u64("extent first track")?;
        let last_track = r.u64("extent last track")?;
        let dsname = r.text("data set name", MAX_DSNAME_LEN)?;
        extents.push(ExtentEntry {
            dsname,
            device,
            first_track,
            last_track,
        });
    }
    let ack = if flags & FLAG_ACK != 0 {
        let secured_ord = r.u64("ack secured ordinal")?;
        let secured_seq = r.u64("ack secured sequence number")?;
        Some(Ack {
            secured_ord,
            secured_seq,
        })
    } else {
        None
    };
    let exception = if flags & FLAG_EXCEPTION != 0 {
        Some(r.text("exception text", MAX_EXCEPTION_LEN)?)
    } else {
        None
    };
    if r.remaining() != 0 {
        return r.err(
            r.pos,
            DecodeErrorKind::TrailingBytes {
                count: r.remaining(),
            },
        );
    }
    Ok(Message {
        header: Header {
            session,
            msg_no,
            kind,
            sent_ns,
        },
        tokens,
        data,
        extents,
        ack,
        exception,
    })
}

/// Proptest strategies for every wire struct, within the limits of the format.
#[cfg(test)]
pub(crate) mod strategies {
    use super::*;
    use proptest::collection::vec;
    use proptest::option;
    use proptest::prelude::*;

    /// `s` cut to at most `max` bytes, on a character boundary.
    fn cut(mut s: String, max: usize) -> String {
        let mut end = s.len().min(max);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s
    }

    /// A record address: mostly real 3390 geometry, sometimes any encodable value.
    pub fn cchhr() -> impl Strategy<Value = Cchhr> {
        prop_oneof![
            3 => (0..=65_519u32, 0..15u16, 1..=60u8).prop_map(|(c, h, r)| Cchhr::new(c, h, r)),
            1 => (0..=MAX_CYLINDER, any::<u16>(), any::<u8>()).prop_map(|(c, h, r)| Cchhr::new(c, h, r)),
        ]
    }

    /// A token naming up to `max_recs` records.
    pub fn token(max_recs: usize) -> impl Strategy<Value = Token> {
        (
            any::<u64>(),
            any::<u64>(),
            any::<u32>(),
            vec(cchhr(), 0..=max_recs),
            any::<u32>(),
            any::<u32>(),
        )
            .prop_map(
                |(seq, site_ord, device, recs, bytes, subsystem_token)| Token {
                    seq,
                    site_ord,
                    device,
                    recs,
                    bytes,
                    subsystem_token,
                },
            )
    }

    /// One record of M2 data, at most `max_data` data bytes.
    pub fn record_data(max_data: u32) -> impl Strategy<Value = RecordData> {
        (
            cchhr(),
            prop_oneof![3 => Just(0u8), 1 => any::<u8>()],
            prop_oneof![4 => 0..=64u32.min(max_data), 1 => 0..=max_data],
            any::<u64>(),
        )
            .prop_map(|(addr, key_len, data_len, d)| RecordData {
                addr,
                key_len,
                data_len,
                digest: Digest(d),
            })
    }

    /// An M2 field: a token and one record of data per record it names.
    pub fn data_field(max_recs: usize, max_data: u32) -> impl Strategy<Value = DataField> {
        token(max_recs).prop_flat_map(move |t| {
            let n = t.recs.len();
            (
                Just(t),
                vec(record_data(max_data), n),
                option::of(any::<u64>()),
            )
                .prop_map(|(token, records, group_end)| DataField {
                    token,
                    records,
                    group_end,
                })
        })
    }

    /// A data set name: an MVS-style DSN or any text, at most 44 bytes.
    pub fn dsname() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => "[A-Z#@$][A-Z0-9#@$]{0,7}(\\.[A-Z#@$][A-Z0-9#@$]{0,7}){0,4}",
            1 => any::<String>().prop_map(|s| cut(s, MAX_DSNAME_LEN)),
        ]
    }

    /// A data-set extent entry.
    pub fn extent() -> impl Strategy<Value = ExtentEntry> {
        (dsname(), any::<u32>(), any::<u64>(), any::<u64>()).prop_map(
            |(dsname, device, first_track, last_track)| ExtentEntry {
                dsname,
                device,
                first_track,
                last_track,
            },
        )
    }

    /// An acknowledgment.
    pub fn ack() -> impl Strategy<Value = Ack> {
        (any::<u64>(), any::<u64>()).prop_map(|(secured_ord, secured_seq)| Ack {
            secured_ord,
            secured_seq,
        })
    }

    /// An exception text, at most 255 bytes.
    pub fn exception_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ -~]{0,255}",
            proptest::collection::vec(any::<char>(), 0..100)
                .prop_map(|c| cut(c.into_iter().collect(), MAX_EXCEPTION_LEN)),
        ]
    }

    /// A message kind.
    pub fn kind() -> impl Strategy<Value = MessageKind> {
        prop_oneof![
            Just(MessageKind::Data),
            Just(MessageKind::Establish),
            Just(MessageKind::Terminate),
            Just(MessageKind::InitialCopy),
            Just(MessageKind::Ack),
            Just(MessageKind::Exception),
        ]
    }

    /// An M0 header.
    pub fn header() -> impl Strategy<Value = Header> {
        (any::<u16>(), any::<u64>(), kind(), any::<u64>()).prop_map(
            |(session, msg_no, kind, sent_ns)| Header {
                session,
                msg_no,
                kind,
                sent_ns,
            },
        )
    }

    /// A message with up to `max_parts` tokens, M2 fields and extents, records of at most
    /// `max_data` data bytes.
    pub fn message_with(max_parts: usize, max_data: u32) -> impl Strategy<Value = Message> {
        (
            header(),
            vec(token(8), 0..=max_parts),
            vec(data_field(6, max_data), 0..=max_parts),
            vec(extent(), 0..=max_parts),
            option::of(ack()),
            option::of(exception_text()),
        )
            .prop_map(|(header, tokens, data, extents, ack, exception)| Message {
                header,
                tokens,
                data,
                extents,
                ack,
                exception,
            })
    }

    /// Any encodable message (records up to the full 65,535 data bytes).
    pub fn message() -> impl Strategy<Value = Message> {
        message_with(5, MAX_DATA_LEN)
    }

    /// A small message (short records), for quadratic tests.
    pub fn small_message() -> impl Strategy<Value = Message> {
        message_with(3, 40)
    }
}

#[cfg(test)]
mod tests {
    use super::strategies::*;
    use super::*;
    use proptest::prelude::*;

    fn enc(m: &Message) -> Vec<u8> {
        let mut out = Vec::new();
        encode(m, &mut out).expect("within limits");
        out
    }

    /// The size of `m` built from the per-part functions only, as the simulator does.
    fn parts_len(m: &Message) -> usize {
        HEADER_LEN
            + m.tokens
                .iter()
                .map(|t| token_len(t.recs.len()))
                .sum::<usize>()
            + m.data
                .iter()
                .map(|f| {
                    let k: usize = f.records.iter().map(|r| r.key_len as usize).sum();
                    let d: usize = f.records.iter().map(|r| r.data_len as usize).sum();
                    data_field_len(f.token.recs.len(), k, d)
                })
                .sum::<usize>()
            + m.extents
                .iter()
                .map(|e| extent_entry_len(e.dsname.len()))
                .sum::<usize>()
            + m.ack.as_ref().map_or(0, |_| ACK_LEN)
            + m.exception.as_ref().map_or(0, |t| exception_len(t.len()))
    }

    /// Byte ranges of every record payload in the encoding of `m`.
    fn payload_ranges(m: &Message) -> Vec<std::ops::Range<usize>> {
        let mut at = HEADER_LEN
            + m.tokens
                .iter()
                .map(|t| token_len(t.recs.len()))
                .sum::<usize>();
        let mut out = Vec::new();
        for f in &m.data {
            at += token_len(f.token.recs.len()) + GROUP_END_LEN;
            for r in &f.records {
                at += COUNT_AREA_LEN + RECORD_CHECK_LEN;
                let n = r.key_len as usize + r.data_len as usize;
                out.push(at..at + n);
                at += n;
            }
        }
        out
    }

    fn set_total_len(b: &mut [u8]) {
        let n = b.len() as u32;
        b[TOTAL_LEN_OFFSET..TOTAL_LEN_OFFSET + 4].copy_from_slice(&n.to_be_bytes());
    }

    fn golden_message() -> Message {
        let addr = Cchhr::new(0x00A3, 0x0E, 3);
        let token = Token {
            seq: 9,
            site_ord: 3,
            device: 0x0A30,
            recs: vec![addr],
            bytes: 5,
            subsystem_token: 0x1234,
        };
        Message {
            header: Header {
                session: 7,
                msg_no: 42,
                kind: MessageKind::Data,
                sent_ns: 1_500_000,
            },
            tokens: vec![token.clone()],
            data: vec![DataField {
                token,
                records: vec![RecordData {
                    addr,
                    key_len: 1,
                    data_len: 4,
                    digest: Digest(0x0123_4567_89AB_CDEF),
                }],
                group_end: None,
            }],
            extents: vec![ExtentEntry {
                dsname: "PAY.DB".into(),
                device: 0x0A30,
                first_track: 150,
                last_track: 299,
            }],
            ack: Some(Ack {
                secured_ord: 2,
                secured_seq: 8,
            }),
            exception: Some("SUSPEND".into()),
        }
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn golden_bytes_are_pinned() {
        // A change of these bytes is a change of format: bump FORMAT_VERSION with it.
        let m = golden_message();
        let b = enc(&m);
        let expected = concat!(
            // header: magic, version 1, kind Data, flags ack+exception, session 7, length 190
            "e7d9c3d4",
            "01",
            "01",
            "03",
            "0007",
            "000000be",
            // message number 42, sent 1,500,000 ns, 1 token, 1 M2 field, 1 extent
            "000000000000002a",
            "000000000016e360",
            "00000001",
            "00000001",
            "00000001",
            // M1 token: seq 9, ordinal 3, device 0A30, 5 bytes, subsystem token 1234, 1 record 00A3-000E-03
            "0000000000000009",
            "0000000000000003",
            "00000a30",
            "00000005",
            "00001234",
            "01",
            "00a3000e03",
            // M2 field: the same token, no group end
            "0000000000000009",
            "0000000000000003",
            "00000a30",
            "00000005",
            "00001234",
            "01",
            "00a3000e03",
            "00",
            "0000000000000000",
            // count area 00A3-000E-03 KL 1 DL 4, record check, 5 payload bytes (the first
            // SplitMix64 output of the digest, checked independently of this code)
            "00a3000e03",
            "01",
            "0004",
            "0123456789abcdef",
            "157a3807a4",
            // extent: device 0A30, tracks 150..299, "PAY.DB"
            "00000a30",
            "0000000000000096",
            "000000000000012b",
            "06",
            "5041592e4442",
            // ack: ordinal 2, seq 8; exception "SUSPEND"
            "0000000000000002",
            "0000000000000008",
            "07",
            "53555350454e44",
        );
        assert_eq!(hex(&b), expected);
        assert_eq!(b.len(), 190);
        assert_eq!(decode(&b), Ok(m));
    }

    #[test]
    fn payload_is_splitmix64_of_the_digest_and_prefix_stable() {
        let d = Digest(0xDEAD_BEEF);
        let mut long = [0u8; 37];
        fill_payload(d, &mut long);
        let first = sim::avalanche(d.0.wrapping_add(GAMMA)).to_be_bytes();
        let second = sim::avalanche(d.0.wrapping_add(GAMMA).wrapping_add(GAMMA)).to_be_bytes();
        assert_eq!(long[..8], first);
        assert_eq!(long[8..16], second);
        for n in 0..long.len() {
            let mut short = vec![0u8; n];
            fill_payload(d, &mut short);
            assert_eq!(short[..], long[..n]);
            assert_eq!(payload_mismatch(d, &short), None);
            let mut appended = vec![0xEE];
            extend_payload(&mut appended, d, n);
            assert_eq!(appended[1..], long[..n]);
        }
        let mut other = [0u8; 37];
        fill_payload(Digest(0xDEAD_BEEE), &mut other);
        assert_ne!(long, other);
        assert_eq!(payload_mismatch(d, &other), Some(0));
    }

    #[test]
    fn sizes_of_parts() {
        assert_eq!(HEADER_LEN, 41);
        assert_eq!(token_len(0), 29);
        assert_eq!(token_len(3), 44);
        assert_eq!(data_field_len(1, 0, 4096), 29 + 5 + 9 + 16 + 4096);
        assert_eq!(extent_entry_len(44), 65);
        assert_eq!(exception_len(255), 256);
        let m = golden_message();
        assert_eq!(encoded_len(&m), 190);
        assert_eq!(validate(&m), Ok(190));
        let empty = Message {
            tokens: vec![],
            data: vec![],
            extents: vec![],
            ack: None,
            exception: None,
            ..m
        };
        assert_eq!(enc(&empty).len(), HEADER_LEN);
        assert_eq!(decode(&enc(&empty)), Ok(empty));
    }

    #[test]
    fn wrong_magic_version_kind_flags_are_errors_at_their_byte() {
        let good = enc(&golden_message());
        let case = |i: usize, v: u8| {
            let mut b = good.clone();
            b[i] = v;
            decode(&b).unwrap_err()
        };
        let e = case(0, b'X');
        assert_eq!(e.offset, 0);
        assert!(
            matches!(e.kind, DecodeErrorKind::BadMagic { found } if found == [b'X', 0xD9, 0xC3, 0xD4])
        );
        assert!(e.to_string().contains("magic"), "{e}");
        let e = case(4, 2);
        assert_eq!(
            e,
            DecodeError {
                offset: 4,
                kind: DecodeErrorKind::UnsupportedVersion { found: 2 }
            }
        );
        assert!(e.to_string().contains("version 1"), "{e}");
        assert_eq!(
            case(4, 0).kind,
            DecodeErrorKind::UnsupportedVersion { found: 0 }
        );
        assert_eq!(
            case(5, 0),
            DecodeError {
                offset: 5,
                kind: DecodeErrorKind::BadKind { found: 0 }
            }
        );
        assert_eq!(case(5, 7).kind, DecodeErrorKind::BadKind { found: 7 });
        assert_eq!(
            case(6, 0x07),
            DecodeError {
                offset: 6,
                kind: DecodeErrorKind::BadFlags { found: 7 }
            }
        );
        assert_eq!(
            case(TOTAL_LEN_OFFSET + 3, 0xBF),
            DecodeError {
                offset: 9,
                kind: DecodeErrorKind::LengthMismatch {
                    declared: 191,
                    actual: 190
                }
            }
        );
        // Clearing the exception flag leaves 8 bytes unclaimed.
        assert_eq!(
            case(6, 0x01),
            DecodeError {
                offset: 182,
                kind: DecodeErrorKind::TrailingBytes { count: 8 }
            }
        );
        assert_eq!(
            decode(&[]).unwrap_err().kind,
            DecodeErrorKind::Truncated {
                what: "magic",
                need: 4,
                have: 0
            }
        );
    }

    #[test]
    fn group_end_flag_and_padding_are_checked() {
        let good = enc(&golden_message());
        let flag_at = HEADER_LEN + token_len(1) + token_len(1);
        let mut b = good.clone();
        b[flag_at] = 2;
        assert_eq!(
            decode(&b).unwrap_err(),
            DecodeError {
                offset: flag_at,
                kind: DecodeErrorKind::BadGroupEndFlag { found: 2 }
            }
        );
        let mut b = good.clone();
        b[flag_at + 8] = 1;
        assert_eq!(
            decode(&b).unwrap_err(),
            DecodeError {
                offset: flag_at + 1,
                kind: DecodeErrorKind::GroupEndPadding { found: 1 }
            }
        );
        let mut b = good;
        b[flag_at] = 1;
        let m = decode(&b).unwrap();
        assert_eq!(m.data[0].group_end, Some(0));
    }

    #[test]
    fn text_parts_are_checked() {
        let good = enc(&golden_message());
        let dsn_len_at = 190 - 8 - 16 - 7;
        let mut b = good.clone();
        b[dsn_len_at + 1] = 0xFF;
        assert_eq!(
            decode(&b).unwrap_err(),
            DecodeError {
                offset: dsn_len_at + 1,
                kind: DecodeErrorKind::BadUtf8 {
                    what: "data set name"
                }
            }
        );
        // A 45-byte data set name is refused even when the bytes are there.
        let mut m = golden_message();
        m.extents[0].dsname = "A".repeat(44);
        let mut b = enc(&m);
        let at = b.len() - 8 - 16 - 45;
        b[at] = 45;
        b.insert(at + 1, b'A');
        set_total_len(&mut b);
        assert_eq!(
            decode(&b).unwrap_err(),
            DecodeError {
                offset: at,
                kind: DecodeErrorKind::TextTooLong {
                    what: "data set name",
                    len: 45,
                    max: 44
                }
            }
        );
    }

    #[test]
    fn absurd_counts_are_refused_before_allocating() {
        for (count_at, what, min_each) in [
            (29, "M1 tokens", 29),
            (33, "M2 fields", 38),
            (37, "extents", 21),
        ] {
            let mut b = enc(&Message {
                tokens: vec![],
                data: vec![],
                extents: vec![],
                ..golden_message()
            });
            b[count_at..count_at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
            let e = decode(&b).unwrap_err();
            assert_eq!(
                e.kind,
                DecodeErrorKind::CountTooLarge {
                    what,
                    count: u32::MAX as usize,
                    remaining: 24,
                    min_each
                },
                "{e}"
            );
        }
        // A token claiming 255 records with only 5 bytes after the count.
        let mut m = golden_message();
        m.data.clear();
        m.extents.clear();
        m.ack = None;
        m.exception = None;
        let mut b = enc(&m);
        let n_at = HEADER_LEN + token_len(0) - 1;
        b[n_at] = 255;
        assert_eq!(
            decode(&b).unwrap_err(),
            DecodeError {
                offset: n_at + 1,
                kind: DecodeErrorKind::CountTooLarge {
                    what: "token record addresses",
                    count: 255,
                    remaining: 5,
                    min_each: 5
                }
            }
        );
    }

    #[test]
    fn limits_are_enforced_not_truncated() {
        let base = golden_message();
        let refuse = |m: &Message| {
            let mut out = vec![0xAA];
            let e = encode(m, &mut out).unwrap_err();
            assert_eq!(out, [0xAA], "out unchanged on error");
            assert_eq!(validate(m).unwrap_err(), e);
            e
        };
        let ok = |m: &Message| {
            let b = enc(m);
            assert_eq!(decode(&b).as_ref(), Ok(m));
        };

        let mut m = base.clone();
        m.tokens[0].recs = vec![Cchhr::new(1, 2, 3); 255];
        ok(&m);
        m.tokens[0].recs.push(Cchhr::new(1, 2, 3));
        assert_eq!(
            refuse(&m),
            EncodeError::TooManyRecords {
                part: Part::Token(0),
                count: 256
            }
        );

        let mut m = base.clone();
        m.data[0].token.recs = vec![Cchhr::new(0, 0, 1); 256];
        m.data[0].records = vec![m.data[0].records[0].clone(); 256];
        assert_eq!(
            refuse(&m),
            EncodeError::TooManyRecords {
                part: Part::DataField(0),
                count: 256
            }
        );
        m.data[0].token.recs.truncate(255);
        m.data[0].records.truncate(255);
        ok(&m);
        m.data[0].records.pop();
        let e = refuse(&m);
        assert_eq!(
            e,
            EncodeError::RecordCountMismatch {
                part: Part::DataField(0),
                records: 254,
                token_recs: 255
            }
        );
        assert!(e.to_string().contains("M2 field 0"), "{e}");

        let mut m = base.clone();
        m.tokens[0].recs[0].cyl = MAX_CYLINDER;
        m.data[0].records[0].addr.cyl = MAX_CYLINDER;
        ok(&m);
        m.tokens[0].recs[0].cyl = MAX_CYLINDER + 1;
        let e = refuse(&m);
        assert_eq!(
            e,
            EncodeError::CylinderOutOfRange {
                part: Part::Token(0),
                index: 0,
                cyl: 65_536
            }
        );
        assert!(e.to_string().contains("at most 65535"), "{e}");
        m.tokens[0].recs[0].cyl = 0;
        m.data[0].records[0].addr.cyl = MAX_CYLINDER + 1;
        assert_eq!(
            refuse(&m),
            EncodeError::CylinderOutOfRange {
                part: Part::DataField(0),
                index: 0,
                cyl: 65_536
            }
        );

        let mut m = base.clone();
        m.data[0].records[0].data_len = MAX_DATA_LEN;
        m.data[0].records[0].key_len = 255;
        ok(&m);
        m.data[0].records[0].data_len = MAX_DATA_LEN + 1;
        assert_eq!(
            refuse(&m),
            EncodeError::DataTooLong {
                part: Part::DataField(0),
                index: 0,
                len: 65_536
            }
        );

        let mut m = base.clone();
        m.extents[0].dsname = "D".repeat(44);
        ok(&m);
        m.extents[0].dsname.push('D');
        assert_eq!(
            refuse(&m),
            EncodeError::TextTooLong {
                part: Part::Extent(0),
                len: 45,
                max: 44
            }
        );
        // 44 bytes is 44 bytes, not 44 characters.
        m.extents[0].dsname = "É".repeat(23);
        assert_eq!(
            refuse(&m),
            EncodeError::TextTooLong {
                part: Part::Extent(0),
                len: 46,
                max: 44
            }
        );

        let mut m = base;
        m.exception = Some("x".repeat(255));
        ok(&m);
        m.exception = Some("x".repeat(256));
        let e = refuse(&m);
        assert_eq!(
            e,
            EncodeError::TextTooLong {
                part: Part::Exception,
                len: 256,
                max: 255
            }
        );
        assert_eq!(
            e.to_string(),
            "exception text: 256 bytes, at most 255 allowed"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn round_trip_and_honest_sizes(m in message()) {
            let b = enc(&m);
            prop_assert_eq!(b.len(), encoded_len(&m));
            prop_assert_eq!(b.len(), parts_len(&m));
            prop_assert_eq!(validate(&m), Ok(b.len()));
            prop_assert_eq!(decode(&b), Ok(m));
        }

        #[test]
        fn encode_appends(m in small_message(), prefix in proptest::collection::vec(any::<u8>(), 0..16)) {
            let mut out = prefix.clone();
            let n = encode(&m, &mut out).unwrap();
            prop_assert_eq!(&out[..prefix.len()], &prefix[..]);
            prop_assert_eq!(n, out.len() - prefix.len());
            prop_assert_eq!(&out[prefix.len()..], &enc(&m)[..]);
        }

        #[test]
        fn every_truncation_is_an_error(m in small_message()) {
            let b = enc(&m);
            for cut in 0..b.len() {
                // As cut, and with the length field patched to agree, so the parser itself
                // meets the end of input.
                prop_assert!(decode(&b[..cut]).is_err());
                if cut >= HEADER_LEN {
                    let mut t = b[..cut].to_vec();
                    set_total_len(&mut t);
                    let e = decode(&t).unwrap_err();
                    prop_assert!(e.offset <= cut, "{}", e);
                }
            }
            let mut longer = b.clone();
            longer.push(0);
            prop_assert!(decode(&longer).is_err());
            set_total_len(&mut longer);
            prop_assert_eq!(
                decode(&longer).unwrap_err(),
                DecodeError { offset: b.len(), kind: DecodeErrorKind::TrailingBytes { count: 1 } }
            );
        }

        #[test]
        fn payload_bit_flips_are_detected(
            mut m in message(),
            mut extra in data_field(4, 4096),
            (extra_len, extra_digest) in (1..=4096u32, any::<u64>()),
            pick in any::<prop::sample::Index>(),
            bit in 0..8u8,
        ) {
            // Make sure there is at least one payload byte.
            let addr = Cchhr::new(1, 2, 3);
            extra.token.recs.push(addr);
            extra.records.push(RecordData { addr, key_len: 0, data_len: extra_len, digest: Digest(extra_digest) });
            m.data.push(extra);
            let ranges = payload_ranges(&m);
            let total: usize = ranges.iter().map(|r| r.len()).sum();
            let mut k = pick.index(total);
            let mut at = 0;
            for r in &ranges {
                if k < r.len() {
                    at = r.start + k;
                    break;
                }
                k -= r.len();
            }
            let mut b = enc(&m);
            b[at] ^= 1 << bit;
            let e = decode(&b).unwrap_err();
            prop_assert!(matches!(e.kind, DecodeErrorKind::PayloadMismatch { .. }), "{}", e);
            prop_assert_eq!(e.offset, at);
        }

        #[test]
        fn any_bit_flip_is_an_error_or_another_message(m in small_message(), pick in any::<prop::sample::Index>(), bit in 0..8u8) {
            let mut b = enc(&m);
            let at = pick.index(b.len());
            b[at] ^= 1 << bit;
            if let Ok(m2) = decode(&b) {
                prop_assert_ne!(&m2, &m);
                prop_assert_eq!(enc(&m2), b, "canonical");
            }
        }

        #[test]
        fn random_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(m) = decode(&b) {
                prop_assert_eq!(enc(&m), b);
            }
        }

        #[test]
        fn mutated_messages_never_panic(
            m in small_message(),
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
            fix_len in any::<bool>(),
        ) {
            let mut b = enc(&m);
            for (i, v) in edits {
                let at = i.index(b.len());
                b[at] = v;
            }
            if fix_len {
                set_total_len(&mut b);
            }
            if let Ok(m2) = decode(&b) {
                prop_assert_eq!(enc(&m2), b);
            }
        }
    }
}
