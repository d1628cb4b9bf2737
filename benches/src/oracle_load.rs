//! A synthetic load for [`models::oracle::Oracle`], driven directly through its public API
//! in the order the world calls it for one replicated `xrc` write:
//!
//! 1. *insert*: `on_seq` (the write gets its sequence number; the oracle records it in the
//!    site's routed list, the primary image and the undo log), then `host_write_completed`
//!    and `on_write_done` (channel end/device end);
//! 2. *match*: `on_token_rx` for the write `in_flight / 2` numbers back (its token arrives
//!    at the secondary in an M1 message) and `on_data_rx` for the write `in_flight` numbers
//!    back (its data arrives in M2);
//! 3. *apply*: `on_apply` for that same write (written to the secondary DASD in order).
//!
//! So `in_flight` writes are always between their number and their apply, as in a copy
//! session running behind by that many writes. Records are drawn uniformly (by a hash of
//! the sequence number, no RNG) over `volumes x tracks` tracks of 12 records; two writes
//! out of three depend on the previous one (OLTP-like chains). One site.
//!
//! [`OracleDriver::run`] times each of the three kinds of call in batches, so the result
//! gives the cost of an insert, a match and an apply separately.

use models::content::RecSpan;
use models::oracle::{Oracle, OracleConfig, Shipped};
use models::types::{Cchhr, SiteId, SiteMask, VolumeId};
use sim::{SimDuration, SimTime};
use std::time::Instant;

/// Records per track of the synthetic data sets.
const PER_TRACK: u8 = 12;
/// Simulated time between two writes (3,600 writes per second).
const GAP_NS: u64 = 277_778;

/// Drives an [`Oracle`] with a steady stream of writes.
pub struct OracleDriver {
    /// The oracle under load.
    pub oracle: Oracle,
    next: u64,
    in_flight: u64,
    volumes: u32,
    tracks: u64,
}

/// Cost of the oracle's calls, measured by [`OracleDriver::run`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OracleTimes {
    /// Writes driven through the whole cycle.
    pub writes: u64,
    /// Seconds in `on_seq` + `host_write_completed` + `on_write_done`.
    pub insert_s: f64,
    /// Seconds in `on_token_rx` + `on_data_rx`.
    pub match_s: f64,
    /// Seconds in `on_apply`.
    pub apply_s: f64,
}

impl OracleTimes {
    /// Total seconds.
    pub fn total_s(&self) -> f64 {
        self.insert_s + self.match_s + self.apply_s
    }
    /// Nanoseconds per write for the whole cycle.
    pub fn ns_per_write(&self) -> f64 {
        self.total_s() * 1e9 / self.writes.max(1) as f64
    }
}

impl OracleDriver {
    /// An oracle for one site over `volumes` volumes of `tracks` tracks each, keeping
    /// `history_window` sequence numbers of undo history, with `in_flight` writes already
    /// numbered and not yet applied.
    pub fn new(in_flight: u64, volumes: u32, tracks: u64, history_window: u64) -> Self {
        let cfg = OracleConfig {
            sites: vec!["S1".into()],
            volsers: (0..volumes).map(|v| format!("P{v:05}")).collect(),
            datasets: Vec::new(),
            history_window,
        };
        let mut d = OracleDriver {
            oracle: Oracle::new(cfg),
            next: 1,
            in_flight: in_flight.max(2),
            volumes: volumes.max(1),
            tracks: tracks.max(1),
        };
        for _ in 0..d.in_flight {
            d.insert();
        }
        // The older half of the window already has its token at the secondary.
        for seq in 1..=d.in_flight / 2 {
            d.oracle.on_token_rx(Self::at(seq), SiteId(0), seq);
        }
        d
    }

    fn at(seq: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_nanos(seq * GAP_NS)
    }

    /// The span written by write `seq`.
    fn span(&self, seq: u64) -> (VolumeId, RecSpan) {
        let h = sim::avalanche(seq);
        let vol = (h % self.volumes as u64) as u32;
        let rec = (h >> 32) % (self.tracks * PER_TRACK as u64);
        let first = Cchhr::from_track(rec / PER_TRACK as u64, (rec % PER_TRACK as u64) as u8 + 1);
        (
            VolumeId(vol),
            RecSpan {
                first,
                n: 1,
                per_track: PER_TRACK,
            },
        )
    }

    fn insert(&mut self) {
        let seq = self.next;
        self.next += 1;
        let (vol, span) = self.span(seq);
        let dep = (seq % 3 != 1 && seq > 1).then(|| seq - 1);
        let t = Self::at(seq);
        let site = SiteMask::one(SiteId(0));
        self.oracle.on_seq(t, seq, vol, span, 4096, site, dep, seq);
        self.oracle
            .host_write_completed(4096, SimDuration::from_micros(600));
        self.oracle.on_write_done(seq);
    }

    fn matched(&mut self, seq: u64) {
        let t = Self::at(seq + self.in_flight);
        let tok = seq + self.in_flight / 2;
        self.oracle.on_token_rx(t, SiteId(0), tok);
        self.oracle.on_data_rx(t, SiteId(0), seq, Shipped::Own);
    }

    fn apply(&mut self, seq: u64) {
        let t = Self::at(seq + self.in_flight);
        self.oracle.on_apply(t, SiteId(0), seq);
    }

    /// Drives `n` more writes through the whole cycle, untimed.
    pub fn step(&mut self, n: u64) {
        for _ in 0..n {
            self.insert();
            let s = self.next - 1 - self.in_flight;
            self.matched(s);
            self.apply(s);
        }
    }

    /// Drives `n` more writes through the whole cycle in batches of `batch`, timing the
    /// inserts, the matches and the applies of each batch separately.
    pub fn run(&mut self, n: u64, batch: u64) -> OracleTimes {
        let batch = batch.clamp(1, self.in_flight / 2);
        let mut t = OracleTimes::default();
        let mut done = 0;
        while done < n {
            let b = batch.min(n - done);
            let first = self.next - self.in_flight;
            let c = Instant::now();
            for _ in 0..b {
                self.insert();
            }
            t.insert_s += c.elapsed().as_secs_f64();
            let c = Instant::now();
            for s in first..first + b {
                self.matched(s);
            }
            t.match_s += c.elapsed().as_secs_f64();
            let c = Instant::now();
            for s in first..first + b {
                self.apply(s);
            }
            t.apply_s += c.elapsed().as_secs_f64();
            done += b;
        }
        t.writes = n;
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_stays_in_flight_and_the_site_stays_consistent() {
        let mut d = OracleDriver::new(100, 4, 1000, 1000);
        d.step(500);
        let t = d.run(1000, 64);
        assert_eq!(t.writes, 1000);
        let last = d.oracle.last_seq();
        assert_eq!(last, 100 + 500 + 1000);
        // Everything up to `last - in_flight` is complete and applied: point A is there.
        assert_eq!(d.oracle.consistency_seq(SiteId(0)), last - 100);
        assert_eq!(d.oracle.highest_token_seq(SiteId(0)), last - 50);
        // Bounded memory: the window, the undo history, nothing more.
        assert!(
            d.oracle.footprint() < 100 * 4 + 1000 + 200,
            "{}",
            d.oracle.footprint()
        );
        let (writes, _, _) = d.oracle.primary_stats();
        assert_eq!(writes, last);
        // Recovery at the end finds the secondary consistent at A.
        let now = SimTime::ZERO + SimDuration::from_secs(10);
        let r = d.oracle.on_recovered(now, SiteId(0)).clone();
        assert_eq!(r.consistency_seq, last - 100);
        assert_eq!(r.lost_writes, 100);
        assert!(r.prefix_consistent);
        assert_eq!(r.dependent_write_violations, 0);
    }
}
