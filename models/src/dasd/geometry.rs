//! Geometry and timing of IBM 3390 and 3380 count-key-data (CKD) devices.
//!
//! Capacities come from IBM's published device tables (see `docs/fidelity.md`); the
//! records-per-track figures from each device's CKD track-capacity formula, checked against
//! the published tables in the tests below.
//!
//! * 3390: a track holds 1,729 cells of 34 bytes after the home address and a standard R0.
//!   A record takes 10 cells for its count area, plus `9 + ceil((KL + 6*kn + 6) / 34)` cells
//!   for a key (KL > 0, `kn = ceil((KL + 6) / 232)`), plus `9 + ceil((DL + 6*dn + 6) / 34)`
//!   cells for data (DL > 0, `dn = ceil((DL + 6) / 232)`).
//! * 3380: a track holds 1,499 units of 32 bytes. A record takes `15 + ceil((DL + 12) / 32)`
//!   units, plus `7 + ceil((KL + 12) / 32)` when KL > 0.

use serde::{Deserialize, Serialize};
use sim::SimDuration;
use std::fmt;

use crate::types::TRACKS_PER_CYLINDER;

/// Device family: decides the track format and capacity formula.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum DeviceFamily {
    /// IBM 3390: 58,786-byte raw track, 1,729 cells of 34 bytes.
    D3390,
    /// IBM 3380: 47,968-byte raw track, 1,499 units of 32 bytes.
    D3380,
}

/// A CKD device model: 3390 models 1, 2, 3, 9, 27, 54 and 3380 models A, B, D, J, E, K.
///
/// Serialised as its name (`"3390-3"`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[allow(non_camel_case_types)]
pub enum DeviceType {
    /// 3390 model 1: 1,113 cylinders.
    D3390_1,
    /// 3390 model 2: 2,226 cylinders.
    D3390_2,
    /// 3390 model 3: 3,339 cylinders.
    D3390_3,
    /// 3390 model 9: 10,017 cylinders.
    D3390_9,
    /// 3390 model 27 (emulated on later subsystems): 32,760 cylinders.
    D3390_27,
    /// 3390 model 54 (emulated on later subsystems): 65,520 cylinders.
    D3390_54,
    /// 3380 model A (standard, head of string): 885 cylinders.
    D3380_A,
    /// 3380 model B (standard): 885 cylinders.
    D3380_B,
    /// 3380 model D (extended capability, single density): 885 cylinders.
    D3380_D,
    /// 3380 model J (single density, faster seek): 885 cylinders.
    D3380_J,
    /// 3380 model E (double density): 1,770 cylinders.
    D3380_E,
    /// 3380 model K (triple density): 2,655 cylinders.
    D3380_K,
}

/// `tenths` tenths of a millisecond.
const fn tenth_ms(tenths: u64) -> SimDuration {
    SimDuration::from_micros(tenths * 100)
}

/// Cells (3390) or 32-byte units (3380) available on one track for user records.
const CELLS_3390: u32 = 1729;
const UNITS_3380: u32 = 1499;

impl DeviceType {
    /// Every supported model, in table order.
    pub const ALL: [DeviceType; 12] = [
        DeviceType::D3390_1,
        DeviceType::D3390_2,
        DeviceType::D3390_3,
        DeviceType::D3390_9,
        DeviceType::D3390_27,
        DeviceType::D3390_54,
        DeviceType::D3380_A,
        DeviceType::D3380_B,
        DeviceType::D3380_D,
        DeviceType::D3380_J,
        DeviceType::D3380_E,
        DeviceType::D3380_K,
    ];

    /// The model named `name` (`"3390-3"`, `"3380-K"`; case-insensitive), or an error listing
    /// the allowed names.
    pub fn from_name(name: &str) -> Result<DeviceType, String> {
        let n = name.trim();
        DeviceType::ALL
            .iter()
            .copied()
            .find(|d| d.name().eq_ignore_ascii_case(n))
            .ok_or_else(|| {
                let names: Vec<&str> = DeviceType::ALL.iter().map(|d| d.name()).collect();
                format!(
                    "unknown device type {name:?}; allowed: {}",
                    names.join(", ")
                )
            })
    }

    /// The model name as IBM writes it (`"3390-3"`).
    pub const fn name(self) -> &'static str {
        match self {
            DeviceType::D3390_1 => "3390-1",
            DeviceType::D3390_2 => "3390-2",
            DeviceType::D3390_3 => "3390-3",
            DeviceType::D3390_9 => "3390-9",
            DeviceType::D3390_27 => "3390-27",
            DeviceType::D3390_54 => "3390-54",
            DeviceType::D3380_A => "3380-A",
            DeviceType::D3380_B => "3380-B",
            DeviceType::D3380_D => "3380-D",
            DeviceType::D3380_J => "3380-J",
            DeviceType::D3380_E => "3380-E",
            DeviceType::D3380_K => "3380-K",
        }
    }

    /// The device family (3390 or 3380).
    pub const fn family(self) -> DeviceFamily {
        match self {
            DeviceType::D3390_1
            | DeviceType::D3390_2
            | DeviceType::D3390_3
            | DeviceType::D3390_9
            | DeviceType::D3390_27
            | DeviceType::D3390_54 => DeviceFamily::D3390,
            _ => DeviceFamily::D3380,
        }
    }

    /// Number of cylinders on the volume.
    pub const fn cylinders(self) -> u32 {
        match self {
            DeviceType::D3390_1 => 1113,
            DeviceType::D3390_2 => 2226,
            DeviceType::D3390_3 => 3339,
            DeviceType::D3390_9 => 10017,
            DeviceType::D3390_27 => 32760,
            DeviceType::D3390_54 => 65520,
            DeviceType::D3380_A
            | DeviceType::D3380_B
            | DeviceType::D3380_D
            | DeviceType::D3380_J => 885,
            DeviceType::D3380_E => 1770,
            DeviceType::D3380_K => 2655,
        }
    }

    /// Number of tracks on the volume (`cylinders * 15`).
    pub const fn tracks(self) -> u64 {
        self.cylinders() as u64 * TRACKS_PER_CYLINDER as u64
    }

    /// Raw track length in bytes (3390: 58,786 = 1,729 cells of 34 bytes; 3380: 47,968).
    pub const fn raw_track_bytes(self) -> u32 {
        match self.family() {
            DeviceFamily::D3390 => 58_786,
            DeviceFamily::D3380 => 47_968,
        }
    }

    /// Largest data length of a single keyless record on a track (3390: 56,664;
    /// 3380: 47,476 bytes).
    pub const fn max_record_bytes(self) -> u32 {
        match self.family() {
            DeviceFamily::D3390 => 56_664,
            DeviceFamily::D3380 => 47_476,
        }
    }

    /// Track capacity for user records in allocation units (3390: 1,729 cells;
    /// 3380: 1,499 units of 32 bytes).
    pub const fn track_units(self) -> u32 {
        match self.family() {
            DeviceFamily::D3390 => CELLS_3390,
            DeviceFamily::D3380 => UNITS_3380,
        }
    }

    /// Allocation units one record with key length `key_len` and data length `data_len`
    /// takes on a track, from the device's CKD capacity formula (module docs).
    pub const fn record_units(self, key_len: u8, data_len: u32) -> u32 {
        let kl = key_len as u32;
        let dl = data_len;
        match self.family() {
            DeviceFamily::D3390 => {
                let key = if kl == 0 {
                    0
                } else {
                    let kn = (kl + 6).div_ceil(232);
                    9 + (kl + 6 * kn + 6).div_ceil(34)
                };
                let data = if dl == 0 {
                    0
                } else {
                    let dn = (dl + 6).div_ceil(232);
                    9 + (dl + 6 * dn + 6).div_ceil(34)
                };
                10 + key + data
            }
            DeviceFamily::D3380 => {
                let key = if kl == 0 {
                    0
                } else {
                    7 + (kl + 12).div_ceil(32)
                };
                15 + (dl + 12).div_ceil(32) + key
            }
        }
    }

    /// Records of key length `key_len` and data length `data_len` that fit on one track
    /// (0 if even one does not fit, e.g. `data_len` above [`max_record_bytes`]).
    ///
    /// [`max_record_bytes`]: DeviceType::max_record_bytes
    pub const fn records_per_track(self, key_len: u8, data_len: u32) -> u32 {
        // Guard against u32 overflow in the formula for absurd lengths.
        if data_len > 1 << 24 {
            return 0;
        }
        self.track_units() / self.record_units(key_len, data_len)
    }

    /// Default timing of this model (see [`DeviceTiming`] for the figures and sources).
    pub const fn timing(self) -> DeviceTiming {
        match self {
            // 3390: rotation 14.2 ms (average rotational delay 7.1 ms), 4.2 MB/s.
            DeviceType::D3390_1 | DeviceType::D3390_2 => DeviceTiming {
                rotation: tenth_ms(142),
                seek_min: tenth_ms(15),
                seek_avg: tenth_ms(95),
                seek_max: tenth_ms(175),
                data_rate_bytes_per_s: 4_200_000,
            },
            DeviceType::D3390_3 => DeviceTiming {
                rotation: tenth_ms(142),
                seek_min: tenth_ms(15),
                seek_avg: tenth_ms(125),
                seek_max: tenth_ms(235),
                data_rate_bytes_per_s: 4_200_000,
            },
            DeviceType::D3390_9 | DeviceType::D3390_27 | DeviceType::D3390_54 => DeviceTiming {
                rotation: tenth_ms(142),
                seek_min: tenth_ms(15),
                seek_avg: tenth_ms(150),
                seek_max: tenth_ms(285),
                data_rate_bytes_per_s: 4_200_000,
            },
            // 3380: rotation 16.6 ms (average rotational delay 8.3 ms), 3 MB/s.
            DeviceType::D3380_A | DeviceType::D3380_B | DeviceType::D3380_K => DeviceTiming {
                rotation: tenth_ms(166),
                seek_min: tenth_ms(30),
                seek_avg: tenth_ms(160),
                seek_max: tenth_ms(290),
                data_rate_bytes_per_s: 3_000_000,
            },
            DeviceType::D3380_D => DeviceTiming {
                rotation: tenth_ms(166),
                seek_min: tenth_ms(30),
                seek_avg: tenth_ms(150),
                seek_max: tenth_ms(270),
                data_rate_bytes_per_s: 3_000_000,
            },
            DeviceType::D3380_J => DeviceTiming {
                rotation: tenth_ms(166),
                seek_min: tenth_ms(30),
                seek_avg: tenth_ms(120),
                seek_max: tenth_ms(210),
                data_rate_bytes_per_s: 3_000_000,
            },
            DeviceType::D3380_E => DeviceTiming {
                rotation: tenth_ms(166),
                seek_min: tenth_ms(30),
                seek_avg: tenth_ms(170),
                seek_max: tenth_ms(310),
                data_rate_bytes_per_s: 3_000_000,
            },
        }
    }
}

impl fmt::Display for DeviceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for DeviceType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        DeviceType::from_name(s)
    }
}

impl TryFrom<String> for DeviceType {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        DeviceType::from_name(&s)
    }
}

impl From<DeviceType> for String {
    fn from(d: DeviceType) -> String {
        d.name().to_string()
    }
}

/// Mechanical timing of a device: rotation, seek curve and data rate.
///
/// All fields are public so a scenario can override them. Defaults per model
/// ([`DeviceType::timing`]): 3390 rotation 14.2 ms, 4.2 MB/s; 3380 rotation 16.6 ms, 3 MB/s;
/// average seeks 3390-1/2 9.5 ms, 3390-3 12.5 ms, 3390-9/27/54 15 ms, 3380-A/B/K 16 ms,
/// 3380-D 15 ms, 3380-J 12 ms, 3380-E 17 ms. One-cylinder seeks (1.5 ms 3390, 3 ms 3380)
/// and full-stroke seeks (`2 * avg - min`) are modelling assumptions, documented in
/// `docs/fidelity.md`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceTiming {
    /// Time of one revolution.
    pub rotation: SimDuration,
    /// Seek time over one cylinder.
    pub seek_min: SimDuration,
    /// Average seek time (over uniformly random start and end cylinders, i.e. a seek over a
    /// third of the full stroke).
    pub seek_avg: SimDuration,
    /// Full-stroke seek time (first to last cylinder).
    pub seek_max: SimDuration,
    /// Data rate between the disk surface and the storage control, in bytes per second.
    pub data_rate_bytes_per_s: u64,
}

impl DeviceTiming {
    /// Seek time from cylinder `from_cyl` to `to_cyl` on a volume of `cylinders` cylinders:
    /// zero for no movement, otherwise the curve `a + b*sqrt(d) + c*d` through
    /// (1, `seek_min`), (stroke/3, `seek_avg`) and (stroke, `seek_max`) where
    /// `stroke = cylinders - 1`, clamped to `[seek_min, seek_max]`. With too few cylinders
    /// for three distinct points, interpolates linearly between min and max.
    pub fn seek(&self, from_cyl: u32, to_cyl: u32, cylinders: u32) -> SimDuration {
        let d = from_cyl.abs_diff(to_cyl);
        if d == 0 {
            return SimDuration::ZERO;
        }
        let lo = self.seek_min.as_nanos() as f64;
        let hi = self.seek_max.as_nanos().max(self.seek_min.as_nanos()) as f64;
        let stroke = cylinders.saturating_sub(1).max(d) as f64;
        let x = d as f64;
        let t = match self.coefficients(stroke) {
            Some((a, b, c)) => a + b * libm::sqrt(x) + c * x,
            None if stroke > 1.0 => lo + (hi - lo) * (x - 1.0) / (stroke - 1.0),
            None => lo,
        };
        let t = if t.is_nan() { lo } else { t.clamp(lo, hi) };
        SimDuration::from_nanos(libm::round(t) as u64)
    }

    /// Coefficients `(a, b, c)` (nanoseconds) of the seek curve for a full stroke of
    /// `stroke` cylinders, or `None` when the three fit points are not distinct.
    fn coefficients(&self, stroke: f64) -> Option<(f64, f64, f64)> {
        let (x1, x2, x3) = (1.0, stroke / 3.0, stroke);
        if x2 <= x1 + 1e-9 || x3 <= x2 + 1e-9 {
            return None;
        }
        let (t1, t2, t3) = (
            self.seek_min.as_nanos() as f64,
            self.seek_avg.as_nanos() as f64,
            self.seek_max.as_nanos() as f64,
        );
        let (s1, s2, s3) = (libm::sqrt(x1), libm::sqrt(x2), libm::sqrt(x3));
        // b*(s2-s1) + c*(x2-x1) = t2-t1 ; b*(s3-s1) + c*(x3-x1) = t3-t1
        let (m11, m12, r1) = (s2 - s1, x2 - x1, t2 - t1);
        let (m21, m22, r2) = (s3 - s1, x3 - x1, t3 - t1);
        let det = m11 * m22 - m12 * m21;
        if det.abs() < 1e-12 {
            return None;
        }
        let b = (r1 * m22 - m12 * r2) / det;
        let c = (m11 * r2 - r1 * m21) / det;
        let a = t1 - b * s1 - c * x1;
        Some((a, b, c))
    }

    /// Rotational delay for a uniform draw `u01` in `[0, 1)` (values outside are clamped):
    /// `u01 * rotation`.
    pub fn latency(&self, u01: f64) -> SimDuration {
        let u = if u01.is_nan() {
            0.0
        } else {
            u01.clamp(0.0, 1.0)
        };
        SimDuration::from_nanos(libm::round(u * self.rotation.as_nanos() as f64) as u64)
    }

    /// Average rotational delay: half a revolution.
    pub const fn avg_latency(&self) -> SimDuration {
        SimDuration::from_nanos(self.rotation.as_nanos() / 2)
    }

    /// Time to transfer `bytes` at the device data rate (rounded up to whole nanoseconds).
    pub const fn transfer(&self, bytes: u64) -> SimDuration {
        SimDuration::for_bytes(bytes, self.data_rate_bytes_per_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Published records-per-track figures: (device, key length, data length, records).
    /// 3390 from IBM's 3390 track capacity table; 3380 from IBM's 3380 table.
    const TABLE: &[(DeviceType, u8, u32, u32)] = &[
        (DeviceType::D3390_3, 0, 56_664, 1),
        (DeviceType::D3390_3, 0, 27_998, 2),
        (DeviceType::D3390_3, 0, 18_452, 3),
        (DeviceType::D3390_3, 0, 4_096, 12),
        (DeviceType::D3390_3, 0, 80, 78),
        (DeviceType::D3380_K, 0, 47_476, 1),
        (DeviceType::D3380_K, 0, 4_096, 10),
    ];

    #[test]
    fn published_records_per_track() {
        for &(d, kl, dl, n) in TABLE {
            assert_eq!(d.records_per_track(kl, dl), n, "{d} KL={kl} DL={dl}");
        }
    }

    #[test]
    fn capacity_boundaries_are_exact() {
        let d = DeviceType::D3390_9;
        // One byte more than the published maxima no longer fits that many records.
        assert_eq!(d.records_per_track(0, 56_665), 0);
        assert_eq!(d.records_per_track(0, 27_999), 1);
        assert_eq!(d.records_per_track(0, 18_453), 2);
        assert_eq!(d.record_units(0, 56_664), 1729);
        let e = DeviceType::D3380_E;
        assert_eq!(e.records_per_track(0, 47_477), 0);
        assert_eq!(e.record_units(0, 47_476), 1499);
    }

    #[test]
    fn keyed_records_take_more_room() {
        for d in DeviceType::ALL {
            assert!(d.record_units(44, 96) > d.record_units(0, 96), "{d}");
            assert!(
                d.records_per_track(8, 4096) <= d.records_per_track(0, 4096),
                "{d}"
            );
        }
        // 3390 key cost for KL=8: 9 + ceil((8+6+6)/34) = 10 cells.
        assert_eq!(
            DeviceType::D3390_1.record_units(8, 80) - DeviceType::D3390_1.record_units(0, 80),
            10
        );
    }

    #[test]
    fn names_round_trip_and_errors_list_allowed() {
        for d in DeviceType::ALL {
            assert_eq!(DeviceType::from_name(d.name()), Ok(d));
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(serde_json::from_str::<DeviceType>(&json).unwrap(), d);
        }
        assert_eq!(DeviceType::from_name("3390-3"), Ok(DeviceType::D3390_3));
        assert_eq!(DeviceType::from_name("3380-k"), Ok(DeviceType::D3380_K));
        let e = DeviceType::from_name("3390-4").unwrap_err();
        assert!(e.contains("3390-54") && e.contains("3380-A"), "{e}");
    }

    #[test]
    fn cylinders_and_tracks() {
        assert_eq!(DeviceType::D3390_3.cylinders(), 3339);
        assert_eq!(DeviceType::D3390_3.tracks(), 50_085);
        assert_eq!(DeviceType::D3390_54.tracks(), 982_800);
        assert_eq!(DeviceType::D3380_K.tracks(), 39_825);
        assert_eq!(DeviceType::D3390_1.raw_track_bytes(), 1729 * 34);
    }

    #[test]
    fn seek_curve_hits_its_three_points() {
        for d in DeviceType::ALL {
            let t = d.timing();
            let cyls = d.cylinders();
            let stroke = cyls - 1;
            assert_eq!(t.seek(5, 5, cyls), SimDuration::ZERO);
            let near = |a: SimDuration, b: SimDuration| a.as_nanos().abs_diff(b.as_nanos()) <= 2;
            assert!(near(t.seek(0, 1, cyls), t.seek_min), "{d} min");
            assert!(near(t.seek(0, stroke, cyls), t.seek_max), "{d} max");
            // stroke/3 may not be an integer: the avg lies between the two neighbours.
            let third = stroke / 3;
            let (a, b) = (t.seek(0, third, cyls), t.seek(0, third + 1, cyls));
            assert!(a <= t.seek_avg && t.seek_avg <= b, "{d} avg {a:?} {b:?}");
            // Symmetric in direction.
            assert_eq!(t.seek(100, 7, cyls), t.seek(7, 100, cyls));
        }
    }

    #[test]
    fn seek_handles_tiny_volumes_and_odd_parameters() {
        let t = DeviceType::D3390_3.timing();
        assert_eq!(t.seek(0, 1, 2), t.seek_min);
        assert_eq!(t.seek(0, 1, 0), t.seek_min);
        let odd = DeviceTiming {
            seek_min: SimDuration::from_millis(20),
            seek_avg: SimDuration::from_millis(1),
            seek_max: SimDuration::from_millis(5),
            ..t
        };
        let s = odd.seek(0, 1000, 3339);
        assert_eq!(s, SimDuration::from_millis(20), "clamped into [min, max]");
    }

    #[test]
    fn latency_and_transfer() {
        let t = DeviceType::D3390_3.timing();
        assert_eq!(t.avg_latency(), SimDuration::from_micros(7100));
        assert_eq!(t.latency(0.0), SimDuration::ZERO);
        assert_eq!(t.latency(0.5), SimDuration::from_micros(7100));
        assert_eq!(t.latency(2.0), t.rotation);
        assert_eq!(t.latency(f64::NAN), SimDuration::ZERO);
        // 4,200 bytes at 4.2 MB/s = 1 ms.
        assert_eq!(t.transfer(4_200), SimDuration::from_millis(1));
        let t80 = DeviceType::D3380_A.timing();
        assert_eq!(t80.avg_latency(), SimDuration::from_micros(8300));
        assert_eq!(t80.transfer(3_000_000), SimDuration::from_secs(1));
    }

    proptest! {
        /// records_per_track is exactly the number of records whose units fit the track.
        #[test]
        fn records_per_track_matches_units(dev in 0usize..12, kl in 0u8..=255, dl in 0u32..60_000) {
            let d = DeviceType::ALL[dev];
            let n = d.records_per_track(kl, dl);
            let u = d.record_units(kl, dl);
            prop_assert!(n * u <= d.track_units());
            prop_assert!((n + 1) * u > d.track_units());
        }

        /// More data never means more records per track.
        #[test]
        fn records_per_track_is_monotone(dev in 0usize..12, kl in 0u8..=255, dl in 0u32..56_000, inc in 1u32..600) {
            let d = DeviceType::ALL[dev];
            prop_assert!(d.records_per_track(kl, dl + inc) <= d.records_per_track(kl, dl));
        }

        /// The default seek curves never decrease with distance.
        #[test]
        fn default_seek_curves_are_monotone(dev in 0usize..12, a in 1u32..65_519, b in 1u32..65_519) {
            let d = DeviceType::ALL[dev];
            let cyls = d.cylinders();
            let (x, y) = (a % (cyls - 1) + 1, b % (cyls - 1) + 1);
            let (lo, hi) = (x.min(y), x.max(y));
            let t = d.timing();
            prop_assert!(t.seek(0, lo, cyls) <= t.seek(0, hi, cyls));
            prop_assert!(t.seek(0, hi, cyls) <= t.seek_max);
            prop_assert!(t.seek(0, lo, cyls) >= t.seek_min);
        }
    }
}
