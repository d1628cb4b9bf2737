//! Messages between the primary and secondary data movers (Fig. 4 of EP 0 617 362):
//! an M0 header, an M1 segment of numbered write tokens and an M2 segment of token+data
//! fields, plus the control content (session establish/terminate with the data-set extent
//! list, initial copy, acknowledgments, exceptions).
//!
//! These are the wire-level values the codec (`copy::codec`) encodes as real bytes. The
//! simulation itself moves lighter handles around, but takes every size from the codec so
//! that link time is charged for exactly the bytes a real encoding needs.

use crate::types::{Cchhr, Digest};
use serde::{Deserialize, Serialize};

/// What a message carries (M0 content type).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageKind {
    /// Token data: M1 tokens and/or M2 token+data fields.
    Data,
    /// Establish a duplex session: volume pairs and data-set extents.
    Establish,
    /// Terminate a duplex session.
    Terminate,
    /// Initial (point-in-time) copy of duplexed extents.
    InitialCopy,
    /// Acknowledgment from the secondary of what it has secured.
    Ack,
    /// Exception notification (suspension, resynchronisation, errors).
    Exception,
}

/// M0: the data-mover-to-data-mover header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Duplex session number.
    pub session: u16,
    /// Message number in this session's stream to this site (continuity check).
    pub msg_no: u64,
    /// Content type.
    pub kind: MessageKind,
    /// Sending time at the primary, simulated ns (for delay attribution).
    pub sent_ns: u64,
}

/// A numbered write token: identifies a write in progress (M1), or heads its data (M2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// Global sequence number assigned by the serializer.
    pub seq: u64,
    /// This site's dense ordinal of the write (1, 2, 3, ... for the writes routed to it),
    /// so the secondary can tell a missing token from one routed elsewhere.
    pub site_ord: u64,
    /// Device number of the primary volume.
    pub device: u32,
    /// Records written, in order.
    pub recs: Vec<Cchhr>,
    /// Bytes written by the operation.
    pub bytes: u32,
    /// The subsystem's own event token (unique per subsystem).
    pub subsystem_token: u32,
}

/// One record's new content inside an M2 field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordData {
    /// Record address.
    pub addr: Cchhr,
    /// Key length in bytes.
    pub key_len: u8,
    /// Data length in bytes (the encoding carries this many payload bytes).
    pub data_len: u32,
    /// Content digest (the encoded payload is derived from it).
    pub digest: Digest,
}

/// An M2 field: a token and the data of its records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataField {
    /// The write this data belongs to.
    pub token: Token,
    /// The data read by the primary data mover, one entry per record of the token.
    pub records: Vec<RecordData>,
    /// Re-update accommodation (base design): the highest sequence number whose data this
    /// field carries for some record, when that is newer than `token.seq`; the secondary
    /// applies `token.seq ..= group_end` as one group. `None` otherwise.
    pub group_end: Option<u64>,
}

/// A data set's extent on a primary volume (sent at session establish for loss reports).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtentEntry {
    /// Data set name (DSN), up to 44 characters.
    pub dsname: String,
    /// Device number.
    pub device: u32,
    /// First track (linear, cyl*15+head), inclusive.
    pub first_track: u64,
    /// Last track, inclusive.
    pub last_track: u64,
}

/// Acknowledgment content: what the secondary has secured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// Every write with site ordinal <= this is secured (applied) at the secondary.
    pub secured_ord: u64,
    /// The matching global sequence number.
    pub secured_seq: u64,
}

/// A whole message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// M0.
    pub header: Header,
    /// M1: tokens assigned since the previous message.
    pub tokens: Vec<Token>,
    /// M2: token+data fields.
    pub data: Vec<DataField>,
    /// Session establish: the extent list (empty otherwise).
    pub extents: Vec<ExtentEntry>,
    /// Acknowledgment (kind `Ack`).
    pub ack: Option<Ack>,
    /// Exception text (kind `Exception`), at most 255 bytes.
    pub exception: Option<String>,
}
