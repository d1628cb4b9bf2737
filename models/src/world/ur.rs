//! Hitachi Universal Replicator at the primary: the master journal, a sans-IO state
//! machine.
//!
//! Every write to a paired volume is numbered by the primary storage system and kept, with
//! its data, in the master journal (journal volumes behind the cache) until the secondary
//! has restored it. The secondary *pulls*: it sends read-journal commands over the link and
//! the primary answers each with the next journal entries in sequence order (up to a
//! transfer size), or with nothing, after which the secondary waits a polling interval
//! before asking again. The secondary restores the entries in sequence order, so its image
//! is always a prefix of the primary's writes. A master journal that fills suspends the
//! pairs (the writes go on at the primary, recorded in the changed-track bitmap).
//!
//! This component keeps what the primary knows: the journal's occupancy (freed when the
//! secondary's acknowledgment of restored entries arrives) and how far each site has read.

use super::MAX_SITES;

/// The master journal's state.
#[derive(Clone, Debug)]
pub(crate) struct MasterJournal {
    /// Journal capacity, bytes.
    capacity: u64,
    /// Bytes held (written, not yet restored at every site).
    used: u64,
    /// Highest occupancy seen, bytes.
    pub peak: u64,
    /// Per site: the highest sequence number the site has been sent (read) so far.
    read: [u64; MAX_SITES],
    /// Read-journal commands answered.
    pub reads: u64,
    /// Of those, answered with no entries.
    pub empty_reads: u64,
}

impl MasterJournal {
    /// An empty journal of `capacity` bytes.
    pub(crate) fn new(capacity: u64) -> Self {
        MasterJournal {
            capacity,
            used: 0,
            peak: 0,
            read: [0; MAX_SITES],
            reads: 0,
            empty_reads: 0,
        }
    }

    /// A write of `bytes` enters the journal: whether the journal is now over its capacity
    /// (the pairs suspend).
    pub(crate) fn add(&mut self, bytes: u64) -> bool {
        self.used += bytes;
        self.peak = self.peak.max(self.used);
        self.used > self.capacity
    }

    /// Restored entries of `bytes` leave the journal.
    pub(crate) fn free(&mut self, bytes: u64) {
        self.used = self.used.saturating_sub(bytes);
    }

    /// Bytes held.
    #[cfg(test)]
    fn used(&self) -> u64 {
        self.used
    }

    /// The first sequence number a read-journal command of `site` may return.
    pub(crate) fn next_for(&self, site: usize) -> u64 {
        self.read[site] + 1
    }

    /// A read-journal command of `site` was answered with the entries up to `upto`
    /// (`empty`: with none).
    pub(crate) fn answered(&mut self, site: usize, upto: u64, empty: bool) {
        self.read[site] = self.read[site].max(upto);
        self.reads += 1;
        if empty {
            self.empty_reads += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journal_fills_frees_and_tells_when_it_overflows() {
        let mut j = MasterJournal::new(10_000);
        assert!(!j.add(6_000));
        assert!(!j.add(4_000), "exactly full is not over");
        assert!(j.add(1), "over the capacity");
        j.free(5_001);
        assert_eq!(j.used(), 5_000);
        assert_eq!(j.peak, 10_001);
        j.free(99_999);
        assert_eq!(j.used(), 0, "never below empty");
    }

    #[test]
    fn each_site_reads_on_from_where_it_stopped() {
        let mut j = MasterJournal::new(1 << 30);
        assert_eq!(j.next_for(1), 1);
        j.answered(1, 40, false);
        j.answered(1, 40, true);
        assert_eq!((j.next_for(1), j.next_for(0)), (41, 1));
        assert_eq!((j.reads, j.empty_reads), (2, 1));
    }
}
