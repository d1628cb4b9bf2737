//! `zgm`: a storage-control session at a primary storage control: the record sets of its
//! volumes' updates held in the sidefile (cache) until the System Data Mover's reader
//! takes them, and the writes in progress whose record sets are not captured yet.
//!
//! A sans-IO state machine: it decides from what the storage control knows (the time
//! stamps of the writes it has accepted) and answers a read with the record sets it gives
//! and the session's time: every update of its volumes with a time stamp at or before that
//! time has been given to the SDM.

use crate::content::{RecSpan, WriteId};
use crate::types::VolumeId;
use std::collections::{BTreeMap, BTreeSet};

/// One record set: an update as the storage control captured it at write time, with the
/// host's time stamp. `seq` is the simulator's identity of the write (the product has no
/// sequence numbers; the checker uses it).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct RecordSet {
    /// The write's identity (the checker's sequence number).
    pub seq: u64,
    /// The host's TOD time stamp, ns on the common time reference.
    pub stamp: u64,
    /// Primary volume.
    pub vol: VolumeId,
    /// Records written.
    pub span: RecSpan,
    /// Bytes of data.
    pub bytes: u32,
    /// The write whose content the record set holds (its own: captured at write time).
    pub writer: WriteId,
}

/// See the module documentation.
#[derive(Clone, Debug, Default)]
pub(crate) struct ScSession {
    /// Writes accepted (stamped) whose data is not in the cache yet: (stamp, seq).
    in_progress: BTreeSet<(u64, u64)>,
    /// The sidefile: record sets not yet read, in time-stamp order.
    sidefile: BTreeMap<(u64, u64), RecordSet>,
    /// The latest time stamp read by the SDM (0: none).
    pub latest_read: u64,
    /// Record sets read so far.
    pub read_total: u64,
}

impl ScSession {
    /// A write with time stamp `stamp` starts its data phase.
    pub fn begin(&mut self, stamp: u64, seq: u64) {
        self.in_progress.insert((stamp, seq));
    }

    /// The write's data is in the cache: its record set enters the sidefile.
    pub fn capture(&mut self, rs: RecordSet) {
        self.in_progress.remove(&(rs.stamp, rs.seq));
        self.sidefile.insert((rs.stamp, rs.seq), rs);
    }

    /// No write of its volumes is in its data phase.
    pub fn idle(&self) -> bool {
        self.in_progress.is_empty()
    }

    /// The residual count: record sets in the sidefile not yet read.
    pub fn residual(&self) -> u64 {
        self.sidefile.len() as u64
    }

    /// A reader's read at `now` (ns on the common time reference): moves up to `limit`
    /// record sets, oldest time stamp first, into `out` and returns the session's time:
    /// one before the oldest time stamp still held or in progress, or `now` when there is
    /// none (an idle session reports its current time so that it does not hold back the
    /// consistency group).
    pub fn read(&mut self, now: u64, limit: usize, out: &mut Vec<RecordSet>) -> u64 {
        while out.len() < limit {
            let Some((_, rs)) = self.sidefile.pop_first() else {
                break;
            };
            self.latest_read = self.latest_read.max(rs.stamp);
            self.read_total += 1;
            out.push(rs);
        }
        let held = self.sidefile.keys().next().map(|k| k.0);
        let busy = self.in_progress.iter().next().map(|k| k.0);
        match (held, busy) {
            // Idle: its current time, less one so that a write stamped at this very
            // instant, after the read, is not counted as read.
            (None, None) => now.saturating_sub(1),
            (a, b) => a
                .unwrap_or(u64::MAX)
                .min(b.unwrap_or(u64::MAX))
                .saturating_sub(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rs(seq: u64, stamp: u64) -> RecordSet {
        RecordSet {
            seq,
            stamp,
            vol: VolumeId(0),
            span: RecSpan::default(),
            bytes: 4096,
            writer: seq,
        }
    }

    /// The session's time never passes an update it has not given: a write in progress
    /// or a record set left in the sidefile holds it back; idle, it reports the read time.
    #[test]
    fn the_session_time_stops_before_what_is_not_read() {
        let mut s = ScSession::default();
        let mut out = Vec::new();
        assert_eq!(
            s.read(100, 8, &mut out),
            99,
            "idle: just before the current time"
        );
        s.begin(200, 1);
        s.begin(150, 2);
        s.capture(rs(1, 200));
        assert_eq!(
            s.read(300, 8, &mut out),
            149,
            "write 2 (stamp 150) in progress"
        );
        assert_eq!(out, [rs(1, 200)]);
        assert_eq!(s.latest_read, 200);
        s.capture(rs(2, 150));
        s.begin(400, 3);
        s.capture(rs(3, 400));
        out.clear();
        assert_eq!(s.read(500, 1, &mut out), 399, "record set 3 left behind");
        assert_eq!(out, [rs(2, 150)], "the oldest time stamp first");
        assert_eq!(s.residual(), 1);
        out.clear();
        assert_eq!(s.read(600, 1, &mut out), 599);
        assert_eq!(s.residual(), 0);
        assert_eq!(s.read_total, 3);
    }
}
