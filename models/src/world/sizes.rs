//! Message sizes, taken from the codec (`copy::codec`) so that link time is charged for the
//! bytes a real encoding of the message needs.

use crate::copy::codec;

/// M0 header (with magic, version and part counts).
pub(crate) const HEADER: usize = codec::HEADER_LEN;
/// Acknowledgment content.
pub(crate) const ACK: usize = codec::ACK_LEN;

/// An M1 token naming `n` records.
#[inline]
pub(crate) fn token(n: usize) -> u64 {
    codec::token_len(n) as u64
}

/// An M2 field of `n` keyless records carrying `data_bytes` in all.
#[inline]
pub(crate) fn data_field(n: usize, data_bytes: u64) -> u64 {
    codec::data_field_len(n, 0, data_bytes as usize) as u64
}

/// An extent-list entry for a data set name of `len` bytes.
#[inline]
pub(crate) fn extent_entry(len: usize) -> usize {
    codec::extent_entry_len(len)
}
