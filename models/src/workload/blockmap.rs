//! [`BlockMap`]: places the block I/Os of an SPC trace (ASU, LBA, bytes) on CKD volumes
//! formatted with fixed-size records.
//!
//! Each ASU is given a list of volumes. Its byte space (`LBA * 512`) is laid over them:
//! - [`Layout::Concatenate`]: the first volume's bytes, then the second's, and so on;
//! - [`Layout::Stripe`]: units of `stripe_bytes` dealt round-robin over the volumes
//!   (unit `i` on volume `i mod k`, at unit `i div k` of that volume). Each volume
//!   contributes the same whole number of units (the smallest volume sets it).
//!
//! An I/O covers every record it touches, even partly (a 512-byte write inside a 4 KiB
//! record is a write of that record). An I/O that crosses a volume or stripe boundary is
//! *split* into one extent per piece, up to [`Mapped::MAX_PARTS`] pieces; more is an error.
//! An offset at or beyond the ASU's mapped capacity *wraps* modulo the capacity (and an I/O
//! running past the end continues at offset 0); [`Mapped::wrapped`] says so and
//! [`BlockMap::map_counted`] counts it, so a report can show how much of a trace was folded
//! onto smaller volumes.
//!
//! ```
//! use models::workload::{AsuVolumes, BlockMap, Extent, Layout, Leniency, SpcReader, TraceVolume};
//!
//! let trace = "0,12,8192,W,0.5\n";
//! let volumes = [TraceVolume { record_bytes: 4096, records: 1_000 }];
//! let asus = [AsuVolumes { asu: 0, volumes: vec![0] }];
//! let map = BlockMap::new(&volumes, &asus, Layout::Concatenate).unwrap();
//! for io in SpcReader::new(trace.as_bytes(), Leniency::Strict) {
//!     let io = io.unwrap();
//!     // Bytes 6,144..14,335 touch records 1, 2 and 3.
//!     let m = map.map(io.asu, io.lba, io.bytes).unwrap();
//!     assert_eq!(m.parts(), &[Extent { volume: 0, record: 1, nrecs: 3 }]);
//! }
//! ```

use serde::{Deserialize, Serialize};
use std::fmt;

/// Bytes per SPC logical block.
pub const BLOCK_BYTES: u64 = 512;

/// A target volume as the block map sees it: fixed-size records, numbered 0.. in track
/// order (the host model turns a record index into a CCHHR).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct TraceVolume {
    /// Bytes per record (e.g. 4,096; 12 such records fill a 3390 track).
    pub record_bytes: u32,
    /// Records on the volume.
    pub records: u64,
}

/// How an ASU's byte space is laid over its volumes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Layout {
    /// One volume after the other.
    #[default]
    Concatenate,
    /// Round-robin units of `stripe_bytes` (a multiple of every record size of the ASU).
    Stripe {
        /// Bytes per stripe unit.
        stripe_bytes: u64,
    },
}

/// The volumes (indices into the map's volume list) holding one ASU, in layout order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AsuVolumes {
    /// The ASU number in the trace.
    pub asu: u32,
    /// Volume indices, in order.
    pub volumes: Vec<u32>,
}

/// Consecutive records of one volume touched by (a piece of) an I/O.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Extent {
    /// Volume index (into the map's volume list).
    pub volume: u32,
    /// First record, 0-based on the volume.
    pub record: u64,
    /// Number of consecutive records (>= 1).
    pub nrecs: u16,
}

/// Where one I/O lands: one extent, or several when it crosses volume or stripe boundaries.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Mapped {
    parts: [Extent; Mapped::MAX_PARTS],
    len: u8,
    wrapped: bool,
}

impl Mapped {
    /// The most extents one I/O may be split into.
    pub const MAX_PARTS: usize = 4;

    /// The extents, in byte order of the I/O.
    pub fn parts(&self) -> &[Extent] {
        &self.parts[..self.len as usize]
    }

    /// Whether the I/O's offset was folded modulo the ASU's capacity.
    pub fn wrapped(&self) -> bool {
        self.wrapped
    }
}

/// Why an I/O could not be mapped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The ASU has no volumes in the map.
    UnknownAsu {
        /// The ASU of the I/O.
        asu: u32,
    },
    /// The I/O is larger than the ASU's whole capacity.
    LargerThanCapacity {
        /// Bytes of the I/O.
        bytes: u32,
        /// Mapped capacity of the ASU, bytes.
        capacity: u64,
    },
    /// The I/O crosses too many volume or stripe boundaries.
    TooManyPieces {
        /// Bytes of the I/O.
        bytes: u32,
    },
    /// One piece covers more than 65,535 records.
    TooManyRecords {
        /// Bytes of the I/O.
        bytes: u32,
    },
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::UnknownAsu { asu } => write!(
                f,
                "ASU {asu} is not mapped to any volume: list it in the trace's ASU-to-volume map"
            ),
            MapError::LargerThanCapacity { bytes, capacity } => write!(
                f,
                "an I/O of {bytes} bytes is larger than its ASU's mapped capacity of {capacity} bytes"
            ),
            MapError::TooManyPieces { bytes } => write!(
                f,
                "an I/O of {bytes} bytes crosses more than {} volume or stripe boundaries: use larger stripes or volumes",
                Mapped::MAX_PARTS - 1
            ),
            MapError::TooManyRecords { bytes } => write!(
                f,
                "an I/O of {bytes} bytes covers more than 65535 records of one volume: use larger records"
            ),
        }
    }
}

impl std::error::Error for MapError {}

/// One ASU's layout, precomputed.
#[derive(Clone, Debug)]
struct AsuMap {
    asu: u32,
    volumes: Vec<u32>,
    /// Concatenate: cumulative byte ends of the volumes.
    ends: Vec<u64>,
    /// Record size per volume (same order as `volumes`).
    record_bytes: Vec<u64>,
    capacity: u64,
}

/// Maps block I/Os onto CKD volumes (see the module notes). Built once; mapping is pure and
/// allocation-free.
#[derive(Clone, Debug)]
pub struct BlockMap {
    layout: Layout,
    /// Sorted by ASU.
    asus: Vec<AsuMap>,
    wraps: u64,
    splits: u64,
}

impl BlockMap {
    /// A map of the given ASUs over `volumes`. Checks that every volume has records of at
    /// least one byte, every ASU lists existing volumes, no volume serves two ASUs or
    /// appears twice, and stripes are whole records.
    pub fn new(
        volumes: &[TraceVolume],
        asus: &[AsuVolumes],
        layout: Layout,
    ) -> Result<BlockMap, String> {
        for (i, v) in volumes.iter().enumerate() {
            if v.record_bytes == 0 || v.records == 0 {
                return Err(format!(
                    "trace volume {i} has {} records of {} bytes: both must be at least 1",
                    v.records, v.record_bytes
                ));
            }
            if v.records.checked_mul(v.record_bytes as u64).is_none() {
                return Err(format!("trace volume {i} holds more than 2^64 bytes"));
            }
        }
        if asus.is_empty() {
            return Err("the block map lists no ASU: map at least ASU 0 to a volume".into());
        }
        if layout == (Layout::Stripe { stripe_bytes: 0 }) {
            return Err("`stripe_bytes` must be at least 1".into());
        }
        let mut owner: Vec<Option<u32>> = vec![None; volumes.len()];
        let mut maps = Vec::with_capacity(asus.len());
        for a in asus {
            if a.volumes.is_empty() {
                return Err(format!("ASU {} lists no volume", a.asu));
            }
            let mut record_bytes = Vec::with_capacity(a.volumes.len());
            let mut bytes = Vec::with_capacity(a.volumes.len());
            for &v in &a.volumes {
                let Some(tv) = volumes.get(v as usize) else {
                    return Err(format!(
                        "ASU {} names volume {v}, but there are {} trace volumes (0 to {})",
                        a.asu,
                        volumes.len(),
                        volumes.len().saturating_sub(1)
                    ));
                };
                if let Some(o) = owner[v as usize] {
                    return Err(if o == a.asu {
                        format!("ASU {} lists volume {v} twice", a.asu)
                    } else {
                        format!(
                            "volume {v} is mapped by both ASU {o} and ASU {}: a volume holds one ASU",
                            a.asu
                        )
                    });
                }
                owner[v as usize] = Some(a.asu);
                record_bytes.push(tv.record_bytes as u64);
                bytes.push(tv.records * tv.record_bytes as u64);
            }
            let (ends, capacity) = match layout {
                Layout::Concatenate => {
                    let mut ends = Vec::with_capacity(bytes.len());
                    let mut total = 0u64;
                    for b in &bytes {
                        total = total
                            .checked_add(*b)
                            .ok_or_else(|| format!("ASU {} maps more than 2^64 bytes", a.asu))?;
                        ends.push(total);
                    }
                    (ends, total)
                }
                Layout::Stripe { stripe_bytes } => {
                    for (&v, &rb) in a.volumes.iter().zip(&record_bytes) {
                        if stripe_bytes % rb != 0 {
                            return Err(format!(
                                "`stripe_bytes` ({stripe_bytes}) is not a multiple of volume {v}'s record size ({rb} bytes)"
                            ));
                        }
                    }
                    let smallest = bytes.iter().copied().min().unwrap_or(0);
                    let units = smallest / stripe_bytes;
                    if units == 0 {
                        return Err(format!(
                            "ASU {}: its smallest volume ({smallest} bytes) holds no whole stripe of {stripe_bytes} bytes",
                            a.asu
                        ));
                    }
                    let capacity = units
                        .checked_mul(stripe_bytes)
                        .and_then(|c| c.checked_mul(a.volumes.len() as u64))
                        .ok_or_else(|| format!("ASU {} maps more than 2^64 bytes", a.asu))?;
                    (Vec::new(), capacity)
                }
            };
            maps.push(AsuMap {
                asu: a.asu,
                volumes: a.volumes.clone(),
                ends,
                record_bytes,
                capacity,
            });
        }
        maps.sort_by_key(|m| m.asu);
        if let Some(w) = maps.windows(2).find(|w| w[0].asu == w[1].asu) {
            return Err(format!("ASU {} is listed twice in the block map", w[0].asu));
        }
        Ok(BlockMap {
            layout,
            asus: maps,
            wraps: 0,
            splits: 0,
        })
    }

    /// The mapped capacity of `asu` in bytes, if it is mapped.
    pub fn capacity(&self, asu: u32) -> Option<u64> {
        self.find(asu).map(|m| m.capacity)
    }

    fn find(&self, asu: u32) -> Option<&AsuMap> {
        self.asus
            .binary_search_by_key(&asu, |m| m.asu)
            .ok()
            .map(|i| &self.asus[i])
    }

    /// Where an I/O of `bytes` bytes at block `lba` of `asu` lands. Pure.
    pub fn map(&self, asu: u32, lba: u64, bytes: u32) -> Result<Mapped, MapError> {
        let m = self.find(asu).ok_or(MapError::UnknownAsu { asu })?;
        let cap = m.capacity;
        if bytes as u64 > cap {
            return Err(MapError::LargerThanCapacity {
                bytes,
                capacity: cap,
            });
        }
        let abs = lba as u128 * BLOCK_BYTES as u128;
        let mut wrapped = abs >= cap as u128;
        let mut off = (abs % cap as u128) as u64;
        let mut out = Mapped {
            parts: [Extent::default(); Mapped::MAX_PARTS],
            len: 0,
            wrapped: false,
        };
        let mut left = bytes as u64;
        while left > 0 {
            let (slot, vol_off, run) = self.locate(m, off);
            let take = run.min(left);
            let rb = m.record_bytes[slot];
            let first = vol_off / rb;
            let last = (vol_off + take - 1) / rb;
            let n = last - first + 1;
            let volume = m.volumes[slot];
            let len = out.len as usize;
            match out.parts[..len].last_mut() {
                Some(p) if p.volume == volume && p.record + p.nrecs as u64 == first => {
                    let total = p.nrecs as u64 + n;
                    p.nrecs =
                        u16::try_from(total).map_err(|_| MapError::TooManyRecords { bytes })?;
                }
                _ => {
                    if len == Mapped::MAX_PARTS {
                        return Err(MapError::TooManyPieces { bytes });
                    }
                    out.parts[len] = Extent {
                        volume,
                        record: first,
                        nrecs: u16::try_from(n).map_err(|_| MapError::TooManyRecords { bytes })?,
                    };
                    out.len += 1;
                }
            }
            left -= take;
            off += take;
            if off == cap && left > 0 {
                off = 0;
                wrapped = true;
            }
        }
        out.wrapped = wrapped;
        Ok(out)
    }

    /// [`BlockMap::map`], counting wrapped and split I/Os ([`BlockMap::wraps`],
    /// [`BlockMap::splits`]).
    pub fn map_counted(&mut self, asu: u32, lba: u64, bytes: u32) -> Result<Mapped, MapError> {
        let r = self.map(asu, lba, bytes)?;
        self.wraps += r.wrapped as u64;
        self.splits += (r.parts().len() > 1) as u64;
        Ok(r)
    }

    /// I/Os mapped by [`BlockMap::map_counted`] whose offset wrapped.
    pub fn wraps(&self) -> u64 {
        self.wraps
    }

    /// I/Os mapped by [`BlockMap::map_counted`] that were split into several extents.
    pub fn splits(&self) -> u64 {
        self.splits
    }

    /// For byte `off < capacity` of an ASU: (index into its volume list, byte offset on that
    /// volume, bytes until the next volume/stripe/capacity boundary).
    #[inline]
    fn locate(&self, m: &AsuMap, off: u64) -> (usize, u64, u64) {
        match self.layout {
            Layout::Concatenate => {
                let i = m.ends.partition_point(|&e| e <= off);
                let start = if i == 0 { 0 } else { m.ends[i - 1] };
                (i, off - start, m.ends[i] - off)
            }
            Layout::Stripe { stripe_bytes } => {
                let k = m.volumes.len() as u64;
                let unit = off / stripe_bytes;
                let within = off % stripe_bytes;
                let slot = (unit % k) as usize;
                (
                    slot,
                    (unit / k) * stripe_bytes + within,
                    stripe_bytes - within,
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vol(record_bytes: u32, records: u64) -> TraceVolume {
        TraceVolume {
            record_bytes,
            records,
        }
    }

    fn asu(asu: u32, volumes: &[u32]) -> AsuVolumes {
        AsuVolumes {
            asu,
            volumes: volumes.to_vec(),
        }
    }

    fn ext(volume: u32, record: u64, nrecs: u16) -> Extent {
        Extent {
            volume,
            record,
            nrecs,
        }
    }

    #[test]
    fn concatenation_covers_touched_records_and_splits_at_volume_ends() {
        // ASU 0: volume 0 (10 records of 4 KiB) then volume 2 (20 records); ASU 5: volume 1.
        let vols = [vol(4096, 10), vol(4096, 100), vol(4096, 20)];
        let mut m =
            BlockMap::new(&vols, &[asu(5, &[1]), asu(0, &[0, 2])], Layout::Concatenate).unwrap();
        assert_eq!(m.capacity(0), Some(30 * 4096));
        // 512 bytes inside record 1 of volume 0.
        let r = m.map(0, 9, 512).unwrap();
        assert_eq!(r.parts(), &[ext(0, 1, 1)]);
        assert!(!r.wrapped());
        // 4 KiB starting mid-record touches two records.
        assert_eq!(m.map(0, 4, 4096).unwrap().parts(), &[ext(0, 0, 2)]);
        // Crossing from volume 0 into volume 2: split.
        let r = m.map_counted(0, 9 * 8 + 4, 8192).unwrap();
        assert_eq!(r.parts(), &[ext(0, 9, 1), ext(2, 0, 2)]);
        // Past the capacity: wraps modulo 30 records.
        let r = m.map_counted(0, 31 * 8, 4096).unwrap();
        assert_eq!(r.parts(), &[ext(0, 1, 1)]);
        assert!(r.wrapped());
        // Running off the end continues at offset 0.
        let r = m.map_counted(0, 29 * 8, 8192).unwrap();
        assert_eq!(r.parts(), &[ext(2, 19, 1), ext(0, 0, 1)]);
        assert!(r.wrapped());
        assert_eq!((m.wraps(), m.splits()), (2, 2));
        assert_eq!(m.map(5, 8, 4096).unwrap().parts(), &[ext(1, 1, 1)]);
    }

    #[test]
    fn striping_deals_units_round_robin() {
        // Two volumes, 8 KiB stripes of 4 KiB records; the smaller volume (5 records) holds
        // 2 whole stripes, so the ASU maps 4 stripes = 32 KiB.
        let vols = [vol(4096, 6), vol(4096, 5)];
        let m = BlockMap::new(
            &vols,
            &[asu(0, &[0, 1])],
            Layout::Stripe { stripe_bytes: 8192 },
        )
        .unwrap();
        assert_eq!(m.capacity(0), Some(32_768));
        let at = |kib: u64, bytes: u32| m.map(0, kib * 2, bytes).unwrap();
        assert_eq!(at(0, 8192).parts(), &[ext(0, 0, 2)]);
        assert_eq!(at(8, 4096).parts(), &[ext(1, 0, 1)]);
        assert_eq!(at(16, 4096).parts(), &[ext(0, 2, 1)]);
        assert_eq!(at(28, 4096).parts(), &[ext(1, 3, 1)]);
        // 16 KiB from 4 KiB: three pieces over the two volumes.
        assert_eq!(
            at(4, 16_384).parts(),
            &[ext(0, 1, 1), ext(1, 0, 2), ext(0, 2, 1)]
        );
        // One volume: consecutive stripes are contiguous and merge.
        let one = BlockMap::new(
            &vols,
            &[asu(0, &[0])],
            Layout::Stripe { stripe_bytes: 8192 },
        )
        .unwrap();
        assert_eq!(one.map(0, 0, 20_000).unwrap().parts(), &[ext(0, 0, 5)]);
    }

    #[test]
    fn refusals_say_why() {
        let vols = [vol(4096, 4), vol(4096, 4)];
        let m = BlockMap::new(
            &vols,
            &[asu(0, &[0, 1])],
            Layout::Stripe { stripe_bytes: 4096 },
        )
        .unwrap();
        assert_eq!(m.map(3, 0, 512), Err(MapError::UnknownAsu { asu: 3 }));
        assert!(
            m.map(3, 0, 512)
                .unwrap_err()
                .to_string()
                .contains("ASU 3 is not mapped")
        );
        assert_eq!(
            m.map(0, 0, 40_000),
            Err(MapError::LargerThanCapacity {
                bytes: 40_000,
                capacity: 32_768
            })
        );
        // 5 stripes of 4 KiB: more than 4 pieces.
        assert_eq!(
            m.map(0, 4, 5 * 4096 - 1024),
            Err(MapError::TooManyPieces { bytes: 19_456 })
        );
        let tiny = [vol(1, 100_000)];
        let m = BlockMap::new(&tiny, &[asu(0, &[0])], Layout::Concatenate).unwrap();
        assert_eq!(
            m.map(0, 0, 70_000),
            Err(MapError::TooManyRecords { bytes: 70_000 })
        );
        assert_eq!(m.map(0, 0, 65_535).unwrap().parts(), &[ext(0, 0, 65_535)]);

        let err =
            |v: &[TraceVolume], a: &[AsuVolumes], l: Layout| BlockMap::new(v, a, l).unwrap_err();
        let c = Layout::Concatenate;
        assert!(err(&[vol(0, 1)], &[asu(0, &[0])], c).contains("both must be at least 1"));
        assert!(err(&vols, &[], c).contains("lists no ASU"));
        assert!(err(&vols, &[asu(0, &[])], c).contains("ASU 0 lists no volume"));
        assert!(
            err(&vols, &[asu(0, &[2])], c)
                .contains("names volume 2, but there are 2 trace volumes (0 to 1)")
        );
        assert!(err(&vols, &[asu(0, &[1, 1])], c).contains("lists volume 1 twice"));
        assert!(
            err(&vols, &[asu(0, &[0]), asu(1, &[0])], c).contains("mapped by both ASU 0 and ASU 1")
        );
        assert!(err(&vols, &[asu(0, &[0]), asu(0, &[1])], c).contains("ASU 0 is listed twice"));
        let s = |b| Layout::Stripe { stripe_bytes: b };
        assert!(err(&vols, &[asu(0, &[0])], s(0)).contains("at least 1"));
        assert!(
            err(&vols, &[asu(0, &[0])], s(6144))
                .contains("not a multiple of volume 0's record size (4096 bytes)")
        );
        assert!(err(&vols, &[asu(0, &[0])], s(4096 * 8)).contains("holds no whole stripe"));
    }

    /// The (volume, record) holding byte `b` of the ASU, walking the volumes one by one.
    fn reference(
        vols: &[TraceVolume],
        order: &[u32],
        layout: Layout,
        cap: u64,
        b: u64,
    ) -> (u32, u64) {
        let b = b % cap;
        match layout {
            Layout::Concatenate => {
                let mut start = 0;
                for &v in order {
                    let tv = vols[v as usize];
                    let len = tv.records * tv.record_bytes as u64;
                    if b < start + len {
                        return (v, (b - start) / tv.record_bytes as u64);
                    }
                    start += len;
                }
                unreachable!("byte {b} beyond capacity {cap}")
            }
            Layout::Stripe { stripe_bytes } => {
                let unit = b / stripe_bytes;
                let v = order[(unit % order.len() as u64) as usize];
                let off = (unit / order.len() as u64) * stripe_bytes + b % stripe_bytes;
                (v, off / vols[v as usize].record_bytes as u64)
            }
        }
    }

    proptest! {
        #[test]
        fn every_byte_is_covered_and_nothing_else(
            sizes in proptest::collection::vec((0u32..=3, 4u64..80), 1..5),
            stripe in proptest::option::of(1u64..=2),
            lba in 0u64..600,
            bytes in 1u32..20_000,
        ) {
            // Record sizes 512 to 4096 bytes; stripes a multiple of 4 KiB (hence of all).
            let vols: Vec<TraceVolume> = sizes.iter().map(|&(k, n)| vol(512 << k, n)).collect();
            let order: Vec<u32> = (0..vols.len() as u32).rev().collect();
            let layout = match stripe {
                None => Layout::Concatenate,
                Some(k) => Layout::Stripe { stripe_bytes: k * 4096 },
            };
            let Ok(m) = BlockMap::new(&vols, &[asu(7, &order)], layout) else {
                // Only a stripe larger than the smallest volume is refused.
                prop_assert!(stripe.is_some());
                return Ok(());
            };
            let cap = m.capacity(7).unwrap();
            let r = match m.map(7, lba, bytes) {
                Ok(r) => r,
                Err(MapError::LargerThanCapacity { .. }) => {
                    prop_assert!(bytes as u64 > cap);
                    return Ok(());
                }
                Err(MapError::TooManyPieces { .. }) => return Ok(()),
                Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
            };
            prop_assert_eq!(r.wrapped(), (lba * 512 + bytes as u64) > cap);
            for p in r.parts() {
                prop_assert!(p.nrecs >= 1);
                prop_assert!(p.record + p.nrecs as u64 <= vols[p.volume as usize].records, "{:?}", p);
            }
            let mut touched = std::collections::BTreeSet::new();
            for i in 0..bytes as u64 {
                let (v, rec) = reference(&vols, &order, layout, cap, lba * 512 + i);
                touched.insert((v, rec));
                prop_assert!(
                    r.parts().iter().any(|p| p.volume == v && (p.record..p.record + p.nrecs as u64).contains(&rec)),
                    "byte {} (volume {}, record {}) not covered by {:?}", i, v, rec, r.parts()
                );
            }
            // Nothing beyond the touched records. (An I/O that wraps onto its own start may
            // name one record in two pieces, so compare sets.)
            let covered: std::collections::BTreeSet<(u32, u64)> = r
                .parts()
                .iter()
                .flat_map(|p| (p.record..p.record + p.nrecs as u64).map(move |x| (p.volume, x)))
                .collect();
            prop_assert_eq!(covered, touched);
        }
    }
}
