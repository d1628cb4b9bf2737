//! What a write puts on DASD, without the bytes: the records it covers ([`RecSpan`]) and
//! the digest of each record's new content ([`digest_of`]).
//!
//! The content of record R on volume V written by write operation W is identified by
//! `digest_of(V, R, W)`: a 64-bit hash, so two writes never produce the same content and a
//! checker can compare images exactly. Write id 0 is the content a volume was formatted with.

use crate::types::{Cchhr, Digest, VolumeId};
use serde::{Deserialize, Serialize};
use sim::StableHasher;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

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

/// A compact map from the records of one volume (their CCHHR) to a write id: which write
/// last put content there. The store behind the volume images and the checker's images.
///
/// Nearly every entry is 8 bytes in a hash table (about 10-20 bytes per record with the
/// table's free slots): the CCHHR packed into 32 bits (`cyl << 12 | head << 8 | rec`, which
/// holds every address of a 3390-54: 65,520 cylinders, 15 heads, 255 records) and the write
/// id in 32 bits. A record whose address or write id does not fit (a write id above
/// 4,294,967,295, after that many host writes) goes to a second table of full-width
/// entries, so nothing is ever truncated. A record is in at most one of the two tables.
/// Deterministic (the fixed [`sim::StableHasher`]); [`WriterMap::sorted`] sorts, so no
/// iteration order leaks.
#[derive(Clone, Debug, Default)]
pub struct WriterMap {
    narrow: HashMap<u32, u32, BuildHasherDefault<StableHasher>>,
    /// Records whose address or write id does not fit 32 bits, by [`Cchhr::key`] (boxed:
    /// almost every map has none, and a volume image's leading fields should stay small).
    #[allow(clippy::box_collection)]
    wide: Option<Box<WideMap>>,
}

type WideMap = HashMap<u64, WriteId, BuildHasherDefault<StableHasher>>;

impl WriterMap {
    /// The 32-bit key of `addr`, if it has one (cylinder below 65,536, head below 16).
    #[inline]
    pub fn pack(addr: Cchhr) -> Option<u32> {
        (addr.cyl < 1 << 16 && addr.head < 16)
            .then_some((addr.cyl << 12) | ((addr.head as u32) << 8) | addr.rec as u32)
    }

    /// The address of a 32-bit key made by [`WriterMap::pack`].
    #[inline]
    pub fn unpack(k: u32) -> Cchhr {
        Cchhr::new(k >> 12, ((k >> 8) & 0xf) as u16, k as u8)
    }

    /// The write whose content record `addr` holds, if the map has it.
    #[inline]
    pub fn get(&self, addr: Cchhr) -> Option<WriteId> {
        if let Some(k) = Self::pack(addr)
            && let Some(&w) = self.narrow.get(&k)
        {
            return Some(w as WriteId);
        }
        self.wide.as_ref()?.get(&addr.key()).copied()
    }

    /// Record `addr` now holds the content of write `w`; returns the write it held before,
    /// if the map had it.
    #[inline]
    pub fn insert(&mut self, addr: Cchhr, w: WriteId) -> Option<WriteId> {
        match (Self::pack(addr), u32::try_from(w)) {
            (Some(k), Ok(w32)) => {
                let old = self.narrow.insert(k, w32).map(WriteId::from);
                match (old, self.wide.as_mut()) {
                    (None, Some(wide)) => wide.remove(&addr.key()),
                    _ => old,
                }
            }
            (k, _) => {
                let old = self.wide.get_or_insert_default().insert(addr.key(), w);
                match (old, k) {
                    (None, Some(k)) => self.narrow.remove(&k).map(WriteId::from),
                    _ => old,
                }
            }
        }
    }

    /// Forgets record `addr`; returns the write it held, if the map had it.
    #[inline]
    pub fn remove(&mut self, addr: Cchhr) -> Option<WriteId> {
        if let Some(k) = Self::pack(addr)
            && let Some(w) = self.narrow.remove(&k)
        {
            return Some(w as WriteId);
        }
        self.wide.as_mut()?.remove(&addr.key())
    }

    /// Records in the map.
    #[inline]
    pub fn len(&self) -> usize {
        self.narrow.len() + self.wide.as_ref().map_or(0, |w| w.len())
    }

    /// Whether the map is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records the map holds without growing.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.narrow.capacity()
    }

    /// Makes room for `n` more records.
    pub fn reserve(&mut self, n: usize) {
        self.narrow.reserve(n);
    }

    /// Every record and its write, sorted by address.
    pub fn sorted(&self) -> Vec<(Cchhr, WriteId)> {
        let mut v: Vec<(Cchhr, WriteId)> = self
            .narrow
            .iter()
            .map(|(&k, &w)| (Self::unpack(k), w as WriteId))
            .chain(self.wide.iter().flat_map(|m| m.iter()).map(|(&k, &w)| {
                (
                    Cchhr::new((k >> 24) as u32, ((k >> 8) & 0xffff) as u16, k as u8),
                    w,
                )
            }))
            .collect();
        v.sort_unstable_by_key(|(a, _)| *a);
        v
    }

    /// Heap bytes the map holds (its tables, free slots included): for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        table_bytes(self.narrow.capacity(), 8)
            + self
                .wide
                .as_ref()
                .map_or(0, |w| 32 + table_bytes(w.capacity(), 16))
    }
}

/// Heap bytes of a `std` hash table (SwissTable) with room for `capacity` entries of
/// `entry` bytes: a power-of-two number of buckets at most 7/8 full, each an entry and a
/// control byte, plus a group of control bytes.
pub fn table_bytes(capacity: usize, entry: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let buckets = if capacity < 8 {
        if capacity < 4 { 4 } else { 8 }
    } else {
        (capacity * 8 / 7).next_power_of_two()
    };
    buckets * (entry + 1) + 16
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

    #[test]
    fn packed_keys_keep_the_address_order() {
        let addrs = [
            Cchhr::new(0, 0, 0),
            Cchhr::new(0, 0, 255),
            Cchhr::new(0, 14, 1),
            Cchhr::new(1, 0, 0),
            Cchhr::new(65_519, 14, 255),
            Cchhr::new(65_535, 15, 255),
        ];
        for w in addrs.windows(2) {
            let (a, b) = (
                WriterMap::pack(w[0]).unwrap(),
                WriterMap::pack(w[1]).unwrap(),
            );
            assert!(a < b, "{} {}", w[0], w[1]);
        }
        for a in addrs {
            assert_eq!(WriterMap::unpack(WriterMap::pack(a).unwrap()), a);
        }
        assert_eq!(WriterMap::pack(Cchhr::new(65_536, 0, 1)), None);
        assert_eq!(WriterMap::pack(Cchhr::new(1, 16, 1)), None);
    }

    #[test]
    fn wide_entries_replace_narrow_ones_and_back() {
        let a = Cchhr::new(7, 3, 2);
        let big = u32::MAX as u64 + 5;
        let mut m = WriterMap::default();
        assert_eq!(m.insert(a, 9), None);
        assert_eq!(m.insert(a, big), Some(9));
        assert_eq!((m.get(a), m.len()), (Some(big), 1));
        assert_eq!(m.insert(a, 3), Some(big));
        assert_eq!((m.get(a), m.len()), (Some(3), 1));
        let far = Cchhr::new(70_000, 20, 1);
        assert_eq!(m.insert(far, 4), None);
        assert_eq!(m.sorted(), vec![(a, 3), (far, 4)]);
        assert_eq!(m.remove(far), Some(4));
        assert_eq!(m.remove(far), None);
        assert_eq!(m.remove(a), Some(3));
        assert!(m.is_empty());
    }

    proptest::proptest! {
        /// The map answers as a `BTreeMap` does, for any mix of inserts and removals,
        /// narrow or wide (large write ids, addresses that do not pack).
        #[test]
        fn writer_map_matches_a_btreemap(
            ops in proptest::collection::vec(
                (0u32..3, 0u16..3, 0u8..4, 0u8..3, proptest::prelude::any::<bool>()),
                1..300,
            )
        ) {
            let mut m = WriterMap::default();
            let mut model = std::collections::BTreeMap::new();
            for (i, &(cyl, head, rec, kind, remove)) in ops.iter().enumerate() {
                // Cylinder 2 is far (does not pack); head 2 is 16 (does not pack).
                let cyl = if cyl == 2 { 70_000 } else { cyl };
                let head = if head == 2 { 16 } else { head };
                let a = Cchhr::new(cyl, head, rec);
                let w = match kind {
                    0 => i as u64,
                    1 => u32::MAX as u64 + i as u64,
                    _ => u32::MAX as u64,
                };
                if remove {
                    proptest::prop_assert_eq!(m.remove(a), model.remove(&a));
                } else {
                    proptest::prop_assert_eq!(m.insert(a, w), model.insert(a, w));
                }
                proptest::prop_assert_eq!(m.get(a), model.get(&a).copied());
                proptest::prop_assert_eq!(m.len(), model.len());
            }
            let all: Vec<(Cchhr, u64)> = model.into_iter().collect();
            proptest::prop_assert_eq!(m.sorted(), all);
        }
    }
}
