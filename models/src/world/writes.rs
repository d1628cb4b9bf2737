//! The primary's table of replicated writes in flight: every write from its sequence number
//! until each site it is routed to has secured it and its host I/O is over. The serializer's
//! numbers index it densely; movers, the sidefile, acknowledgments and recovery of a crashed
//! mover read it.

use super::{FastMap, MAX_SITES};
use crate::content::{RecSpan, WriteId};
use crate::types::{SiteMask, VolumeId};
use sim::SimTime;
use std::collections::VecDeque;

/// A replicated write, from its sequence number until every site has secured it.
#[derive(Clone, Debug)]
pub(crate) struct WriteEntry {
    pub write_id: WriteId,
    pub vol: VolumeId,
    pub span: RecSpan,
    pub bytes: u32,
    pub sites: SiteMask,
    pub t_seq: SimTime,
    /// The host I/O while it is in progress.
    pub io: Option<u32>,
    pub data_ready: bool,
    pub host_done: bool,
    pub read: bool,
    /// Content shipped per record when not the write's own (base design, `pit`).
    pub shipped: Option<Box<[WriteId]>>,
    /// Re-update accommodation: apply `seq..=group_end` as one group (0: none).
    pub group_end: u64,
    /// Site ordinals (dense per site), by site index.
    pub ords: [u64; MAX_SITES],
    /// Sites that acknowledged it as secured.
    pub secured: SiteMask,
    /// When its data was in the subsystem, its mover read started and ended.
    pub t_ready: SimTime,
    /// Start of the mover read that took it.
    pub t_read_start: SimTime,
    /// End of that read.
    pub t_read_done: SimTime,
    /// The message carrying its data to each site (`NO_MSG` until it is in one).
    pub data_msg: [u32; MAX_SITES],
    /// Held in the sidefile until every site secures it.
    pub sidefile: bool,
    /// Made while the session was suspended: only marked in the changed-track bitmap.
    pub bitmap: bool,
    /// A format write (Write CKD): the secondary applies it with a format write.
    pub format: bool,
}

/// Replicated writes by sequence number (dense from the oldest not retired), with the
/// sequence number of each write in flight by its identity (re-update detection).
#[derive(Clone, Debug)]
pub(crate) struct WriteTable {
    entries: VecDeque<WriteEntry>,
    /// Sequence number of `entries[0]`.
    base: u64,
    seq_of_write: FastMap<WriteId, u64>,
}

impl Default for WriteTable {
    fn default() -> Self {
        WriteTable {
            entries: VecDeque::new(),
            base: 1,
            seq_of_write: FastMap::default(),
        }
    }
}

impl WriteTable {
    /// Adds write `seq` (the next number after the newest entry, or any number when empty).
    pub fn push(&mut self, seq: u64, e: WriteEntry) {
        if self.entries.is_empty() {
            self.base = seq;
        }
        debug_assert_eq!(seq, self.base + self.entries.len() as u64);
        self.seq_of_write.insert(e.write_id, seq);
        self.entries.push_back(e);
    }

    /// Write `seq`, while in the table.
    #[inline]
    pub fn get(&self, seq: u64) -> Option<&WriteEntry> {
        seq.checked_sub(self.base)
            .and_then(|i| self.entries.get(i as usize))
    }

    /// Write `seq`, while in the table.
    #[inline]
    pub fn get_mut(&mut self, seq: u64) -> Option<&mut WriteEntry> {
        seq.checked_sub(self.base)
            .and_then(|i| self.entries.get_mut(i as usize))
    }

    /// The sequence number of the write with identity `write_id`, while in the table.
    pub fn seq_of(&self, write_id: WriteId) -> Option<u64> {
        self.seq_of_write.get(&write_id).copied()
    }

    /// The oldest sequence number in the table (the next to be numbered when empty).
    pub fn base(&self) -> u64 {
        self.base
    }

    /// Writes in flight.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The oldest write some site it is routed to has not acknowledged as secured (0: none).
    pub fn oldest_unacknowledged(&self) -> u64 {
        self.entries
            .iter()
            .position(|e| e.secured.0 & e.sites.0 != e.sites.0)
            .map_or(0, |i| self.base + i as u64)
    }

    /// Drops the oldest entries every site has secured and whose host I/O is over; with
    /// `keep_read`, only once a mover has read them too.
    pub fn retire(&mut self, keep_read: bool) {
        while let Some(e) = self.entries.front() {
            let secured = e.secured.0 & e.sites.0 == e.sites.0;
            if secured && e.host_done && (e.read || !keep_read) {
                let e = self.entries.pop_front().expect("front exists");
                self.seq_of_write.remove(&e.write_id);
                self.base += 1;
            } else {
                break;
            }
        }
    }
}
