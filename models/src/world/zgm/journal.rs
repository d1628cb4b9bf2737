//! `zgm`: the SDM's journal data sets. Each consistency group is hardened to the journal
//! (striped over its data sets) before any of it is applied to the secondary volumes; it
//! occupies journal space until it has been applied. A sans-IO component: it answers how
//! long a write takes and whether a group fits.

use crate::world::JournalConfig;
use sim::{SimDuration, SimTime};

/// See the module documentation.
#[derive(Clone, Debug)]
pub(crate) struct Journal {
    cfg: JournalConfig,
    /// Bytes of the groups written or being written and not yet applied.
    pub used: u64,
    /// Highest `used` seen.
    pub peak: u64,
    /// A group write in progress.
    pub writing: bool,
    /// Since when a formed group has been waiting for journal space.
    pub full_since: Option<SimTime>,
    /// Groups hardened and their bytes.
    pub groups: u64,
    /// See `groups`.
    pub bytes: u64,
    /// Time spent writing, ns (utilisation = busy / elapsed).
    pub busy_ns: u64,
}

impl Journal {
    /// An empty journal.
    pub fn new(cfg: JournalConfig) -> Self {
        Journal {
            cfg,
            used: 0,
            peak: 0,
            writing: false,
            full_since: None,
            groups: 0,
            bytes: 0,
            busy_ns: 0,
        }
    }

    /// Whether a group of `bytes` fits in the free space now.
    pub fn fits(&self, bytes: u64) -> bool {
        self.used + bytes <= self.cfg.capacity
    }

    /// How long writing `bytes` striped over the data sets takes.
    pub fn write_time(&self, bytes: u64) -> SimDuration {
        let rate = self.cfg.bandwidth.max(1) * self.cfg.data_sets.max(1) as u64;
        self.cfg.latency + SimDuration::for_bytes(bytes, rate)
    }

    /// Starts writing a group of `bytes` (it must fit); returns the write's duration.
    pub fn start(&mut self, bytes: u64) -> SimDuration {
        debug_assert!(!self.writing);
        self.writing = true;
        self.full_since = None;
        self.used += bytes;
        self.peak = self.peak.max(self.used);
        let d = self.write_time(bytes);
        self.busy_ns += d.as_nanos();
        d
    }

    /// The write in progress ended: the group of `bytes` is hardened.
    pub fn written(&mut self, bytes: u64) {
        self.writing = false;
        self.groups += 1;
        self.bytes += bytes;
    }

    /// A group of `bytes` has been applied: its space is free.
    pub fn release(&mut self, bytes: u64) {
        self.used = self.used.saturating_sub(bytes);
    }

    /// A formed group waits for space at `now`; how long it has waited.
    pub fn full(&mut self, now: SimTime) -> SimDuration {
        now - *self.full_since.get_or_insert(now)
    }

    /// The configured timeout of a full journal.
    pub fn full_timeout(&self) -> SimDuration {
        self.cfg.full_timeout
    }

    /// The configured capacity, bytes.
    pub fn capacity(&self) -> u64 {
        self.cfg.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_is_striped_and_holds_space_until_applied() {
        let mut j = Journal::new(JournalConfig {
            data_sets: 4,
            bandwidth: 1_000_000,
            latency: SimDuration::from_millis(2),
            capacity: 10_000_000,
            full_timeout: SimDuration::from_secs(1),
        });
        // 4 MB over 4 data sets of 1 MB/s: 1 s, plus the latency.
        assert_eq!(
            j.start(4_000_000),
            SimDuration::from_millis(1002),
            "striped write time"
        );
        j.written(4_000_000);
        assert!(j.fits(6_000_000));
        assert!(!j.fits(6_000_001), "the unapplied group holds its space");
        assert_eq!(
            j.full(SimTime::from_nanos(5_000_000_000)),
            SimDuration::ZERO
        );
        assert_eq!(
            j.full(SimTime::from_nanos(7_000_000_000)),
            SimDuration::from_secs(2)
        );
        j.release(4_000_000);
        assert!(j.fits(10_000_000));
        assert_eq!(j.peak, 4_000_000);
    }
}
