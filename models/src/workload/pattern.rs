//! Address patterns: which records the operations of a chain touch.
//!
//! - [`Space`]: random access over one or more data sets taken as one address space,
//!   uniform or Zipf-skewed. Zipf rank `k` (1 = hottest) is *scattered* over the space by
//!   the fixed bijection `index = (k - 1) * m mod n`, with `m` the integer nearest below
//!   `n * 0.618...` (the golden-ratio fraction) moved up to the next value coprime with `n`.
//!   Coprimality makes it a bijection; the golden-ratio step puts consecutive hot ranks far
//!   apart (0, 0.618n, 0.236n, 0.854n, ...), so hot records spread over tracks and volumes
//!   instead of crowding the first track.
//! - [`SeqCursor`]: sequential positions that wrap at the end of a data set; a write that
//!   would run past the end is shortened to end exactly there, and the next one starts at
//!   record 0, so successive writes cover the data set without gaps or overlaps.

use super::{DataSetShape, OpKind};
use sim::SimRng;
use sim::rng::{Dist, Zipf, below};

/// The golden-ratio fraction (sqrt(5) - 1) / 2 as a 64-bit binary fraction.
const GOLDEN_FRACTION: u64 = 0x9E37_79B9_7F4A_7C15;

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A multiplier `m` with `gcd(m, n) = 1` near `0.618 n`, so that `i -> i * m mod n` is a
/// bijection of `0..n` that spreads neighbours apart.
pub(super) fn scatter_multiplier(n: u64) -> u64 {
    if n <= 2 {
        return 1;
    }
    let mut m = ((n as u128 * GOLDEN_FRACTION as u128) >> 64) as u64;
    if m == 0 {
        m = 1;
    }
    while gcd(m, n) != 1 {
        m += 1;
        if m >= n {
            m = 1;
        }
    }
    m
}

/// The record index of Zipf rank `rank` (1-based) under the scatter bijection.
#[inline]
fn scatter(rank: u64, m: u64, n: u64) -> u64 {
    (((rank - 1) as u128 * m as u128) % n as u128) as u64
}

/// A Zipf-skewed (or uniform) choice of an index in `0..n`, scattered.
#[derive(Clone, Debug)]
pub(super) struct Hot {
    n: u64,
    zipf: Option<Zipf>,
    m: u64,
}

impl Hot {
    pub(super) fn new(n: u64, skew: f64) -> Result<Hot, String> {
        let zipf = if skew == 0.0 {
            None
        } else {
            Some(Zipf::new(n, skew).map_err(|e| format!("`skew`: {e}"))?)
        };
        Ok(Hot {
            n,
            zipf,
            m: scatter_multiplier(n),
        })
    }

    #[inline]
    pub(super) fn draw(&self, rng: &mut SimRng) -> u64 {
        match &self.zipf {
            None => below(rng, self.n),
            Some(z) => scatter(z.sample(rng), self.m, self.n),
        }
    }
}

/// One data set inside a random-access space.
#[derive(Copy, Clone, Debug)]
struct Part {
    slot: u16,
    first: u64,
    records: u64,
}

/// Random access over several data sets taken as one address space (in the order given).
#[derive(Clone, Debug)]
pub(super) struct Space {
    parts: Vec<Part>,
    /// Records of each part when they are all the same size: the part of a draw is then a
    /// division, not a binary search (thousands of equal data sets in large worlds).
    equal: Option<u64>,
    hot: Hot,
}

impl Space {
    pub(super) fn new(
        slots: &[u16],
        datasets: &[DataSetShape],
        skew: f64,
    ) -> Result<Space, String> {
        let mut parts = Vec::with_capacity(slots.len());
        let mut first = 0u64;
        for &slot in slots {
            let records = datasets[slot as usize].records;
            parts.push(Part {
                slot,
                first,
                records,
            });
            first = first
                .checked_add(records)
                .ok_or("the data sets together hold more than 2^64 records")?;
        }
        let equal = match parts.first() {
            Some(p) if p.records > 0 && parts.iter().all(|q| q.records == p.records) => {
                Some(p.records)
            }
            _ => None,
        };
        Ok(Space {
            parts,
            equal,
            hot: Hot::new(first, skew)?,
        })
    }

    /// A data set (slot, records) and a record index in it.
    #[inline]
    fn draw(&self, rng: &mut SimRng) -> (u16, u64, u64) {
        let g = self.hot.draw(rng);
        let i = match self.equal {
            _ if self.parts.len() == 1 => 0,
            Some(n) => (g / n) as usize,
            None => self.parts.partition_point(|p| p.first <= g) - 1,
        };
        let p = self.parts[i];
        (p.slot, g - p.first, p.records)
    }
}

/// Rounds a draw of the records distribution to a count in `1..=min(65535, limit)`.
#[inline]
fn record_count(d: &Dist, rng: &mut SimRng, limit: u64) -> u16 {
    let x = libm::round(d.sample(rng));
    let cap = limit.min(u16::MAX as u64);
    // `as` saturates (NaN -> 0); the clamp makes 0 and negatives 1.
    (x as u64).clamp(1, cap) as u16
}

/// A sequential position in a data set of `records` records (see the module notes).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct SeqCursor {
    pos: u64,
    records: u64,
}

impl SeqCursor {
    pub(super) fn new(records: u64) -> SeqCursor {
        SeqCursor { pos: 0, records }
    }

    /// The next `n` records (fewer at the end of the data set): (first, count).
    #[inline]
    pub(super) fn take(&mut self, n: u16) -> (u64, u16) {
        let first = self.pos;
        let count = (n as u64).min(self.records - first) as u16;
        self.pos = (first + count as u64) % self.records;
        (first, count)
    }
}

/// What a generator's chains look like.
#[derive(Clone, Debug)]
pub(super) enum Pattern {
    /// One operation, read or write, at a random place.
    Random {
        read_fraction: f64,
        records: Dist,
        space: Space,
    },
    /// (read page), log write, page write, log commit mark.
    Oltp {
        log_slot: u16,
        data_slot: u16,
        log: SeqCursor,
        log_records: u16,
        pages: Hot,
        page_records: u16,
        think: sim::SimDuration,
        read_fraction: f64,
    },
    /// `writes` consecutive writes.
    Sequential {
        slot: u16,
        cursor: SeqCursor,
        records_per_write: u16,
        writes: u8,
        think: sim::SimDuration,
    },
}

use super::{ChainSpec, OpSpec};

impl Pattern {
    /// Expected (reads, writes) per chain.
    pub(super) fn ops_per_chain(&self) -> (f64, f64) {
        match self {
            Pattern::Random { read_fraction, .. } => (*read_fraction, 1.0 - read_fraction),
            Pattern::Oltp { read_fraction, .. } => (*read_fraction, 3.0),
            Pattern::Sequential { writes, .. } => (0.0, *writes as f64),
        }
    }

    /// The next chain.
    pub(super) fn chain(&mut self, rng: &mut SimRng) -> ChainSpec {
        match self {
            Pattern::Random {
                read_fraction,
                records,
                space,
            } => {
                let kind = if *read_fraction > 0.0 && sim::rng::uniform01(rng) < *read_fraction {
                    OpKind::Read
                } else {
                    OpKind::Write
                };
                let (slot, rec, size) = space.draw(rng);
                let n = record_count(records, rng, size);
                // Keep the operation inside the data set: shift it back from the end.
                let record = rec.min(size - n as u64);
                ChainSpec::single(OpSpec {
                    kind,
                    dataset: slot,
                    record,
                    nrecs: n,
                })
            }
            Pattern::Oltp {
                log_slot,
                data_slot,
                log,
                log_records,
                pages,
                page_records,
                think,
                read_fraction,
            } => {
                let mut c = ChainSpec::new(*think);
                let page = pages.draw(rng) * *page_records as u64;
                let read = *read_fraction > 0.0 && sim::rng::uniform01(rng) < *read_fraction;
                // Four pushes at most into an empty chain: none can fail.
                if read {
                    let _ = c.push(OpSpec::read(*data_slot, page, *page_records));
                }
                let (l, ln) = log.take(*log_records);
                let _ = c.push(OpSpec::write(*log_slot, l, ln));
                let _ = c.push(OpSpec::write(*data_slot, page, *page_records));
                let (m, mn) = log.take(1);
                let _ = c.push(OpSpec::write(*log_slot, m, mn));
                c
            }
            Pattern::Sequential {
                slot,
                cursor,
                records_per_write,
                writes,
                think,
            } => {
                let mut c = ChainSpec::new(*think);
                for _ in 0..*writes {
                    let (r, n) = cursor.take(*records_per_write);
                    let _ = c.push(OpSpec::write(*slot, r, n));
                }
                c
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn scatter_is_a_bijection(n in 1u64..3000) {
            let m = scatter_multiplier(n);
            let mut seen = vec![false; n as usize];
            for k in 1..=n {
                let i = scatter(k, m, n);
                prop_assert!(i < n);
                prop_assert!(!seen[i as usize], "index {} hit twice", i);
                seen[i as usize] = true;
            }
        }

        #[test]
        fn cursor_covers_the_data_set_in_order(records in 1u64..500, n in 1u16..40, steps in 1usize..200) {
            let mut c = SeqCursor::new(records);
            let mut expect = 0u64;
            for _ in 0..steps {
                let (r, k) = c.take(n);
                prop_assert_eq!(r, expect);
                prop_assert!(k >= 1 && r + k as u64 <= records);
                prop_assert!(k == n || r + k as u64 == records);
                expect = (r + k as u64) % records;
            }
        }
    }

    #[test]
    fn hot_ranks_spread_over_the_space() {
        let n = 1_000_000;
        let m = scatter_multiplier(n);
        let firsts: Vec<u64> = (1..=4).map(|k| scatter(k, m, n)).collect();
        assert_eq!(firsts[0], 0);
        // Ranks 2..4 land in different tenths of the space, far from record 0.
        let tenths: Vec<u64> = firsts.iter().map(|i| i * 10 / n).collect();
        assert_eq!(tenths, vec![0, 6, 2, 8]);
        assert_eq!(gcd(scatter_multiplier(12), 12), 1);
    }

    #[test]
    fn equal_parts_draw_as_the_binary_search_does() {
        let shapes: Vec<DataSetShape> = (0..50)
            .map(|_| DataSetShape {
                records: 37,
                records_per_track: 1,
            })
            .collect();
        let slots: Vec<u16> = (0..50).rev().collect();
        for skew in [0.0, 0.8] {
            let fast = Space::new(&slots, &shapes, skew).unwrap();
            assert_eq!(fast.equal, Some(37));
            let slow = Space {
                equal: None,
                ..fast.clone()
            };
            let (mut a, mut b) = (sim::rng::stream(3, "t"), sim::rng::stream(3, "t"));
            for _ in 0..5000 {
                let d = fast.draw(&mut a);
                assert_eq!(d, slow.draw(&mut b));
                assert!(d.1 < 37);
            }
        }
        let mut uneven = shapes.clone();
        uneven[7].records = 5;
        assert_eq!(Space::new(&slots, &uneven, 0.0).unwrap().equal, None);
    }

    #[test]
    fn record_count_rounds_and_clamps() {
        let mut r = sim::rng::stream(1, "t");
        let d = Dist::Constant { value: 2.6 };
        assert_eq!(record_count(&d, &mut r, 100), 3);
        assert_eq!(record_count(&d, &mut r, 2), 2);
        let z = Dist::Constant { value: 0.0 };
        assert_eq!(record_count(&z, &mut r, 100), 1);
        let big = Dist::Constant { value: 1e12 };
        assert_eq!(record_count(&big, &mut r, u64::MAX), u16::MAX);
    }
}
