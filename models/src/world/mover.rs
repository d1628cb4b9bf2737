//! A primary data mover's own state: the queues of record sets handed to it (one per
//! storage control it serves, in sequence order: each sidefile is read on its own), the read
//! in progress, whether it is alive. What it reads, and when, the world decides from the
//! storage controls' sidefiles (`primary.rs`: `mover_kick`); this type keeps its queues and
//! their occupancy bits consistent by construction.

use sim::{ComponentId, SimDuration};
use std::collections::VecDeque;

/// A primary data mover. See the module documentation.
#[derive(Clone, Debug)]
pub(crate) struct Mover {
    comp: ComponentId,
    /// Sequence numbers handed to it, per storage control it serves (queue `q` is storage
    /// control `q * movers + m`), in order.
    queues: Vec<VecDeque<u64>>,
    /// One bit per queue: set when the queue holds anything, so that a mover serving many
    /// storage controls visits only the queues with work.
    nonempty: Vec<u64>,
    busy: bool,
    alive: bool,
    /// The read in progress: sequence numbers.
    batch: Vec<u64>,
    reads: u64,
    records: u64,
    busy_time: SimDuration,
}

impl Mover {
    /// A mover registered as `comp`, serving `queues` storage controls.
    pub(crate) fn new(comp: ComponentId, queues: usize) -> Self {
        Mover {
            comp,
            queues: vec![VecDeque::new(); queues],
            nonempty: vec![0; queues.div_ceil(64)],
            busy: false,
            alive: true,
            batch: Vec::new(),
            reads: 0,
            records: 0,
            busy_time: SimDuration::ZERO,
        }
    }

    /// Its component (the target of its events).
    pub(crate) fn comp(&self) -> ComponentId {
        self.comp
    }

    /// Alive and not reading: it may start a read.
    pub(crate) fn free(&self) -> bool {
        self.alive && !self.busy
    }

    /// A read is in progress.
    pub(crate) fn busy(&self) -> bool {
        self.busy
    }

    /// Alive (not crashed).
    pub(crate) fn alive(&self) -> bool {
        self.alive
    }

    /// Keeps the occupancy bit of queue `q` in step with the queue.
    #[inline]
    fn sync(&mut self, q: usize) {
        let (w, bit) = (q / 64, 1u64 << (q % 64));
        if self.queues[q].is_empty() {
            self.nonempty[w] &= !bit;
        } else {
            self.nonempty[w] |= bit;
        }
    }

    /// Record set `seq` is ready in the sidefile of its storage control (queue `q`).
    pub(crate) fn push(&mut self, q: usize, seq: u64) {
        self.queues[q].push_back(seq);
        self.sync(q);
    }

    /// The oldest record set of queue `q`.
    pub(crate) fn front(&self, q: usize) -> Option<u64> {
        self.queues[q].front().copied()
    }

    /// Takes the oldest record set of queue `q`.
    pub(crate) fn pop(&mut self, q: usize) -> Option<u64> {
        let s = self.queues[q].pop_front();
        self.sync(q);
        s
    }

    /// Drops queue `q` (its storage control is lost: its data can never be read).
    pub(crate) fn clear(&mut self, q: usize) {
        self.queues[q].clear();
        self.sync(q);
    }

    /// Words of occupancy bits (64 queues a word).
    pub(crate) fn words(&self) -> usize {
        self.nonempty.len()
    }

    /// The queues with work among queues `64 w .. 64 w + 63`, in queue order, as they are
    /// now (no allocation: read a word, then visit its set bits).
    pub(crate) fn with_work_in(&self, w: usize) -> impl Iterator<Item = usize> + use<> {
        let mut bits = self.nonempty[w];
        std::iter::from_fn(move || {
            (bits != 0).then(|| {
                let q = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                q
            })
        })
    }

    /// The queues with work, in queue order.
    #[cfg(test)]
    pub(crate) fn with_work(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.words()).flat_map(|w| self.with_work_in(w))
    }

    /// The oldest record set at the head of any of its queues.
    pub(crate) fn oldest_front(&self) -> Option<u64> {
        self.queues.iter().filter_map(|q| q.front().copied()).min()
    }

    /// Whether `seq` heads one of its queues.
    pub(crate) fn heads(&self, seq: u64) -> bool {
        self.queues.iter().any(|q| q.front() == Some(&seq))
    }

    /// Record sets waiting in its queues.
    pub(crate) fn queued(&self) -> u64 {
        self.queues.iter().map(|q| q.len() as u64).sum()
    }

    /// A buffer for the next read (reused: reads do not allocate).
    pub(crate) fn take_batch(&mut self) -> Vec<u64> {
        let mut b = std::mem::take(&mut self.batch);
        b.clear();
        b
    }

    /// Gives back a batch buffer without reading.
    pub(crate) fn put_back(&mut self, batch: Vec<u64>) {
        self.batch = batch;
    }

    /// Starts reading `batch` for `d`.
    pub(crate) fn start_read(&mut self, batch: Vec<u64>, d: SimDuration) {
        self.batch = batch;
        self.busy = true;
        self.busy_time += d;
        self.reads += 1;
    }

    /// The read ends: the record sets it read (give the buffer back with
    /// [`Mover::read_done`]).
    pub(crate) fn take_read(&mut self) -> Vec<u64> {
        self.records += self.batch.len() as u64;
        std::mem::take(&mut self.batch)
    }

    /// The read is over; `batch` is its buffer, for the next one.
    pub(crate) fn read_done(&mut self, batch: Vec<u64>) {
        self.batch = batch;
        self.busy = false;
    }

    /// The mover crashes: the read in progress is lost and its record sets, with the
    /// queue each came from, go back to the head of their queues (the caller says which
    /// queue by `queue_of`).
    pub(crate) fn crash(&mut self, queue_of: impl Fn(u64) -> usize) {
        self.alive = false;
        let batch = std::mem::take(&mut self.batch);
        if self.busy {
            self.busy = false;
            for &seq in batch.iter().rev() {
                let q = queue_of(seq);
                self.queues[q].push_front(seq);
                self.sync(q);
            }
        }
    }

    /// The mover restarts.
    pub(crate) fn restart(&mut self) {
        self.alive = true;
    }

    /// Whether every occupancy bit matches its queue (for tests).
    #[cfg(test)]
    pub(crate) fn bits_match(&self) -> bool {
        (0..self.queues.len())
            .all(|q| (self.nonempty[q / 64] >> (q % 64) & 1 == 1) != self.queues[q].is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_keep_their_bits_and_a_crash_puts_the_read_back() {
        let mut m = Mover::new(ComponentId::default(), 70);
        m.push(3, 10);
        m.push(67, 11);
        m.push(3, 12);
        assert_eq!(m.with_work().collect::<Vec<_>>(), [3, 67]);
        assert_eq!(m.oldest_front(), Some(10));
        assert!(m.heads(11) && !m.heads(12));
        let mut b = m.take_batch();
        b.push(m.pop(3).unwrap());
        m.start_read(b, SimDuration::from_micros(400));
        assert!(!m.free() && m.busy());
        m.crash(|_| 3);
        assert!(!m.alive() && !m.busy());
        assert_eq!(m.front(3), Some(10), "the lost read is at the head again");
        m.restart();
        assert!(m.free());
        m.clear(67);
        assert_eq!(m.with_work().collect::<Vec<_>>(), [3]);
        assert_eq!(m.queued(), 2);
        assert!(m.bits_match());
    }
}
