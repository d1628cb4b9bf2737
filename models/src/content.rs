//! What a write puts on DASD, without the bytes: the records it covers ([`RecSpan`]) and
//! the digest of each record's new content ([`digest_of`]).
//!
//! The content of record R on volume V written by write operation W is identified by
//! `digest_of(V, R, W)`: a 64-bit hash, so two writes never produce the same content and a
//! checker can compare images exactly. Write id 0 is the content a volume was formatted with.

use crate::types::{Cchhr, Digest, VolumeId};
use serde::{Deserialize, Serialize};

/// Opaque id of a host write operation (1, 2, 3, ... in issue order; 0 = initial content).
pub type WriteId = u64;

/// The digest of the content write `writer` put into record `addr` of volume `vol`.
#[inline]
pub fn digest_of(vol: VolumeId, addr: Cchhr, writer: WriteId) -> Digest {
    let a = sim::avalanche(addr.key() ^ ((vol.0 as u64) << 44) ^ 0x5851_f42d_4c95_7f2d);
    Digest(sim::avalanche(
        a ^ writer.wrapping_mul(0x9e37_79b9_7f4a_7c15),
    ))
}

/// `n` consecutive records starting at `first`, on tracks holding `per_track` user records
/// (R1..R`per_track`) each: the records one Locate Record domain covers, possibly running
/// over to following tracks.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RecSpan {
    /// The first record.
    pub first: Cchhr,
    /// Number of records.
    pub n: u16,
    /// User records per track of the data set (R1..=per_track).
    pub per_track: u8,
}

impl RecSpan {
    /// The `i`-th record of the span (`i < n`).
    #[inline]
    pub fn get(&self, i: u16) -> Cchhr {
        let per = self.per_track.max(1) as u64;
        let idx = (self.first.rec.max(1) as u64 - 1) + i as u64;
        Cchhr::from_track(self.first.track() + idx / per, (idx % per) as u8 + 1)
    }
    /// The records of the span, in order.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = Cchhr> + '_ {
        (0..self.n).map(move |i| self.get(i))
    }
    /// The first and last linear track the span touches.
    pub fn tracks(&self) -> (u64, u64) {
        if self.n == 0 {
            return (self.first.track(), self.first.track());
        }
        (self.first.track(), self.get(self.n - 1).track())
    }
}

/// A 64-bit key for a record of the world: volume and CCHHR (the order is volume, then
/// CCHHR).
#[inline]
pub fn record_key(vol: VolumeId, addr: Cchhr) -> u64 {
    ((vol.0 as u64) << 40) | addr.key()
}

/// The volume and CCHHR of a [`record_key`].
#[inline]
pub fn record_of_key(key: u64) -> (VolumeId, Cchhr) {
    let vol = VolumeId((key >> 40) as u32);
    let k = key & ((1 << 40) - 1);
    (
        vol,
        Cchhr::new(
            (k >> 24) as u32,
            ((k >> 8) & 0xffff) as u16,
            (k & 0xff) as u8,
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_runs_over_tracks() {
        let s = RecSpan {
            first: Cchhr::new(0, 14, 11),
            n: 3,
            per_track: 12,
        };
        let v: Vec<_> = s.iter().collect();
        assert_eq!(
            v,
            vec![
                Cchhr::new(0, 14, 11),
                Cchhr::new(0, 14, 12),
                Cchhr::new(1, 0, 1)
            ]
        );
        assert_eq!(s.tracks(), (14, 15));
    }

    #[test]
    fn keys_round_trip_and_digests_differ() {
        let a = Cchhr::new(65_519, 14, 78);
        let k = record_key(VolumeId(9_999), a);
        assert_eq!(record_of_key(k), (VolumeId(9_999), a));
        assert!(record_key(VolumeId(1), Cchhr::new(0, 0, 1)) > record_key(VolumeId(0), a));
        let d1 = digest_of(VolumeId(0), a, 1);
        assert_ne!(d1, digest_of(VolumeId(0), a, 2));
        assert_ne!(d1, digest_of(VolumeId(1), a, 1));
        assert_eq!(d1, digest_of(VolumeId(0), a, 1));
    }
}
