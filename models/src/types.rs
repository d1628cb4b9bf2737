//! Small identifiers and values shared by every part of the S/370 world.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A record address on a CKD volume: cylinder, head (track within the cylinder) and record
/// number (R0 is the track descriptor record; user records start at R1).
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Cchhr {
    /// Cylinder (0-based; up to 65,519 on a 3390-54).
    pub cyl: u32,
    /// Head, i.e. track within the cylinder (0..15).
    pub head: u16,
    /// Record number on the track.
    pub rec: u8,
}

impl Cchhr {
    /// The address `cyl`, `head`, `rec`.
    pub const fn new(cyl: u32, head: u16, rec: u8) -> Self {
        Cchhr { cyl, head, rec }
    }
    /// The linear track number (`cyl * 15 + head`) of this record.
    #[inline]
    pub const fn track(self) -> u64 {
        self.cyl as u64 * TRACKS_PER_CYLINDER as u64 + self.head as u64
    }
    /// The address of record `rec` on linear track `track`.
    #[inline]
    pub const fn from_track(track: u64, rec: u8) -> Self {
        Cchhr {
            cyl: (track / TRACKS_PER_CYLINDER as u64) as u32,
            head: (track % TRACKS_PER_CYLINDER as u64) as u16,
            rec,
        }
    }
    /// A single `u64` key with the same order as the address.
    #[inline]
    pub const fn key(self) -> u64 {
        ((self.cyl as u64) << 24) | ((self.head as u64) << 8) | self.rec as u64
    }
}

impl fmt::Display for Cchhr {
    /// `CCCC-HH-R` in hex as in IBM messages, e.g. `00A3-0E-03`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}-{:02X}-{:02X}", self.cyl, self.head, self.rec)
    }
}

/// Tracks per cylinder on every 3380 and 3390 model.
pub const TRACKS_PER_CYLINDER: u32 = 15;

/// Index of a volume in the world (primary volumes first, in scenario order).
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct VolumeId(pub u32);

/// Index of a storage control (DASD subsystem).
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct SubsystemId(pub u16);

/// Index of a host system.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct HostId(pub u16);

/// Index of a secondary site.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct SiteId(pub u8);

/// The content of a record, represented by a 64-bit digest instead of its bytes: lengths
/// drive timing, digests let a checker compare images exactly.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Digest(pub u64);

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}
impl fmt::Display for Digest {
    /// 16 lowercase hex digits, as in traces and images.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A set of secondary sites (at most 64), as a bit mask.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct SiteMask(pub u64);

impl SiteMask {
    /// No site.
    pub const EMPTY: SiteMask = SiteMask(0);
    /// The set holding only `s`.
    #[inline]
    pub const fn one(s: SiteId) -> Self {
        SiteMask(1 << s.0)
    }
    /// Whether `s` is in the set.
    #[inline]
    pub const fn contains(self, s: SiteId) -> bool {
        self.0 & (1 << s.0) != 0
    }
    /// The set with `s` added.
    #[inline]
    pub const fn with(self, s: SiteId) -> Self {
        SiteMask(self.0 | (1 << s.0))
    }
    /// Whether the set is empty.
    #[inline]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The sites in the set, in increasing order.
    pub fn iter(self) -> impl Iterator<Item = SiteId> {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let i = bits.trailing_zeros() as u8;
            bits &= bits - 1;
            Some(SiteId(i))
        })
    }
    /// Number of sites in the set.
    pub const fn len(self) -> u32 {
        self.0.count_ones()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cchhr_track_round_trip_and_order() {
        let a = Cchhr::new(10, 14, 3);
        assert_eq!(a.track(), 164);
        assert_eq!(Cchhr::from_track(164, 3), a);
        assert!(Cchhr::new(1, 0, 1).key() > Cchhr::new(0, 14, 200).key());
        assert_eq!(a.to_string(), "000A-0E-03");
    }

    #[test]
    fn site_mask() {
        let m = SiteMask::one(SiteId(0)).with(SiteId(3));
        assert!(m.contains(SiteId(3)) && !m.contains(SiteId(1)));
        assert_eq!(m.iter().collect::<Vec<_>>(), vec![SiteId(0), SiteId(3)]);
        assert_eq!(m.len(), 2);
    }
}
