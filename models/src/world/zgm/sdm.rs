//! `zgm`: one System Data Mover session at a recovery site. It receives the record sets
//! its readers took from its storage-control sessions, each read with the session's time;
//! forms consistency groups (every record set read with a time stamp at or before the
//! minimum of its storage-control sessions' times); hardens each group to its journal;
//! and applies hardened groups to the secondary volumes strictly in group order, no
//! further than the limit it is given (its own consistency time, or the master
//! recoverable time of coupled sessions).
//!
//! A sans-IO state machine: the world hands it what reached it and the time, and carries
//! out what it answers (a journal write of some duration, record sets to write).

use super::journal::Journal;
use super::sidefile::RecordSet;
use crate::world::JournalConfig;
use crate::world::sizes;
use sim::{SimDuration, SimTime};
use std::collections::{BTreeMap, VecDeque};

/// One consistency group.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    /// Group number within the session (1, 2, ...).
    pub id: u64,
    /// Its time: every record set with a time stamp at or before it is in this group or
    /// an earlier one.
    pub time: u64,
    /// Its record sets in time-stamp order.
    pub recs: Vec<RecordSet>,
    /// Journal bytes.
    pub bytes: u64,
    /// Written to the journal.
    pub hardened: bool,
    /// Reported as recoverable (within the apply limit).
    pub recoverable: bool,
    /// Record sets handed out for writing, and written.
    pub issued: usize,
    /// See `issued`.
    pub done: usize,
}

/// What the SDM asks for after an attempt to form a group.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// Nothing to do now.
    Idle,
    /// Try again at this instant (the minimum group interval).
    Later(SimTime),
    /// A group was formed: its journal write takes this long.
    Write(SimDuration),
    /// A group is ready but the journal has no room; it has waited this long.
    Full(SimDuration),
}

/// Why the session's consistency time is behind (ANTX8117I-like), as the SDM sees it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Delay {
    /// Waiting for reads of a primary storage control.
    Primary,
    /// Waiting for the journal (a write in progress, or no room).
    Journal,
    /// Waiting for the writes to the secondary volumes.
    Secondary,
    /// Waiting for the master recoverable time (coupled sessions).
    Master,
    /// Its buffers are full of record sets not yet in a group.
    Buffers,
}

impl Delay {
    /// The word the report uses.
    pub fn name(self) -> &'static str {
        match self {
            Delay::Primary => "primary",
            Delay::Journal => "journal",
            Delay::Secondary => "secondary",
            Delay::Master => "master",
            Delay::Buffers => "buffers",
        }
    }
}

/// See the module documentation.
#[derive(Clone, Debug)]
pub(crate) struct Sdm {
    /// The time each of its storage-control sessions last reported (0: never read).
    pub horizons: Vec<u64>,
    /// Record sets read, not yet in a group, by (time stamp, seq).
    buffer: BTreeMap<(u64, u64), RecordSet>,
    /// Time of the last group formed.
    pub last_time: u64,
    /// When the last group was formed.
    last_formed: Option<SimTime>,
    /// The journal consistency time: the time of the last group hardened (0: none).
    pub consistency_time: u64,
    /// Groups formed and not yet wholly applied, in order.
    pub groups: VecDeque<Group>,
    next_id: u64,
    /// The journal.
    pub journal: Journal,
    /// Record-set writes to the secondary in progress.
    pub inflight: u32,
    /// Recovering (XRECOVER): no more groups are formed.
    pub recovering: bool,
    /// The time of the last group wholly applied (0: none).
    pub applied_time: u64,
    /// The newest record set (by its seq) written to the secondary, 0: none.
    pub applied_seq_max: u64,
    /// The newest seq read.
    pub read_seq_max: u64,
    /// Record sets in groups, and record sets written.
    pub grouped: u64,
    /// See `grouped`.
    pub applied: u64,
}

impl Sdm {
    /// A session reading `parts` storage-control sessions, with journal `j`.
    pub fn new(parts: usize, j: JournalConfig) -> Self {
        Sdm {
            horizons: vec![0; parts],
            buffer: BTreeMap::new(),
            last_time: 0,
            last_formed: None,
            consistency_time: 0,
            groups: VecDeque::new(),
            next_id: 1,
            journal: Journal::new(j),
            inflight: 0,
            recovering: false,
            applied_time: 0,
            applied_seq_max: 0,
            read_seq_max: 0,
            grouped: 0,
            applied: 0,
        }
    }

    /// A read of storage-control session `part` arrived with `recs` and the session's
    /// time `horizon`.
    pub fn records_in(&mut self, part: usize, recs: &[RecordSet], horizon: u64) {
        for r in recs {
            self.read_seq_max = self.read_seq_max.max(r.seq);
            self.buffer.insert((r.stamp, r.seq), *r);
        }
        let h = &mut self.horizons[part];
        *h = (*h).max(horizon);
    }

    /// Record sets read and not yet in a group (the SDM's buffers).
    pub fn buffered(&self) -> u64 {
        self.buffer.len() as u64
    }

    /// The time a group formed now would have: the minimum of the sessions' times.
    pub fn group_time(&self) -> u64 {
        self.horizons.iter().copied().min().unwrap_or(0)
    }

    /// Forms the next consistency group at `now` if the journal is free and the group
    /// time has advanced, at most once per `interval`.
    pub fn try_form(&mut self, now: SimTime, interval: SimDuration) -> Form {
        if self.recovering || self.journal.writing {
            return Form::Idle;
        }
        let t = self.group_time();
        if t <= self.last_time {
            return Form::Idle;
        }
        if let Some(last) = self.last_formed
            && now < last + interval
        {
            return Form::Later(last + interval);
        }
        let bytes: u64 = sizes::HEADER as u64
            + self
                .buffer
                .range(..=(t, u64::MAX))
                .map(|(_, r)| sizes::data_field(r.span.n as usize, r.bytes as u64))
                .sum::<u64>();
        // An empty journal takes any group (however large); else the group must fit.
        let empty = self.journal.used == 0 && self.groups.is_empty();
        if !self.journal.fits(bytes) && !empty {
            return Form::Full(self.journal.full(now));
        }
        let rest = self.buffer.split_off(&(t, u64::MAX));
        let recs: Vec<RecordSet> = std::mem::replace(&mut self.buffer, rest)
            .into_values()
            .collect();
        self.grouped += recs.len() as u64;
        self.last_time = t;
        self.last_formed = Some(now);
        let id = self.next_id;
        self.next_id += 1;
        self.groups.push_back(Group {
            id,
            time: t,
            recs,
            bytes,
            hardened: false,
            recoverable: false,
            issued: 0,
            done: 0,
        });
        Form::Write(self.journal.start(bytes))
    }

    /// The journal write in progress ended: its group is hardened and the consistency time
    /// moves to its time.
    pub fn journal_written(&mut self) {
        let g = self
            .groups
            .iter_mut()
            .rev()
            .find(|g| !g.hardened)
            .expect("a journal write is for the newest group");
        g.hardened = true;
        self.consistency_time = g.time;
        let b = g.bytes;
        self.journal.written(b);
    }

    /// Marks the hardened groups with a time at or before `limit` recoverable, handing
    /// each of their record sets to `f` in order. A hardened group whose time is past the
    /// limit gives up its record sets time-stamped at or before it as a group of its own
    /// (the journal holds each record set with its time stamp, so recovery can stop at any
    /// time: coupled sessions apply up to the master recoverable time).
    pub fn make_recoverable(&mut self, limit: u64, mut f: impl FnMut(&RecordSet)) {
        let mut i = 0;
        while i < self.groups.len() {
            let g = &mut self.groups[i];
            if !g.hardened {
                break;
            }
            if g.recoverable {
                i += 1;
                continue;
            }
            if g.time > limit {
                let n = g.recs.partition_point(|r| r.stamp <= limit);
                if n == 0 {
                    break;
                }
                let head: Vec<RecordSet> = g.recs.drain(..n).collect();
                let bytes: u64 = head
                    .iter()
                    .map(|r| sizes::data_field(r.span.n as usize, r.bytes as u64))
                    .sum::<u64>()
                    .min(g.bytes);
                g.bytes -= bytes;
                let id = g.id;
                head.iter().for_each(&mut f);
                self.groups.insert(
                    i,
                    Group {
                        id,
                        time: limit,
                        recs: head,
                        bytes,
                        hardened: true,
                        recoverable: true,
                        issued: 0,
                        done: 0,
                    },
                );
                break;
            }
            g.recoverable = true;
            g.recs.iter().for_each(&mut f);
            i += 1;
        }
    }

    /// The next record set to write to the secondary (with its group number), at most
    /// `limit` writes in progress: from the oldest group, only once it is recoverable;
    /// the next group starts when the previous is wholly written.
    pub fn next_write(&mut self, limit: u32) -> Option<(u64, RecordSet)> {
        if self.inflight >= limit {
            return None;
        }
        let g = self.groups.front_mut()?;
        if !g.recoverable || g.issued >= g.recs.len() {
            return None;
        }
        let r = g.recs[g.issued];
        g.issued += 1;
        self.inflight += 1;
        Some((g.id, r))
    }

    /// A record-set write of group `id` ended.
    pub fn written(&mut self, id: u64) {
        self.inflight -= 1;
        if let Some(g) = self.groups.front_mut() {
            debug_assert_eq!(g.id, id);
            g.done += 1;
        }
    }

    /// Takes the wholly written groups off the front (an empty recoverable group counts as
    /// written), handing each of their record sets to `f` in order, and frees their
    /// journal space; whether any was.
    pub fn pop_applied(&mut self, mut f: impl FnMut(&RecordSet)) -> bool {
        let mut freed = false;
        while let Some(g) = self.groups.front() {
            if !(g.recoverable && g.done >= g.recs.len()) {
                break;
            }
            let g = self.groups.pop_front().expect("front exists");
            self.applied_time = g.time;
            self.journal.release(g.bytes);
            self.applied += g.recs.len() as u64;
            for r in &g.recs {
                self.applied_seq_max = self.applied_seq_max.max(r.seq);
                f(r);
            }
            freed = true;
        }
        freed
    }

    /// Nothing in progress and nothing recoverable left to write.
    pub fn quiet(&self) -> bool {
        !self.journal.writing
            && self.inflight == 0
            && self.groups.front().is_none_or(|g| !g.recoverable)
    }

    /// Record sets held (buffer and unapplied groups) that the recovery did not write:
    /// (seq, record set), in time-stamp order.
    pub fn held(&self) -> impl Iterator<Item = &RecordSet> + '_ {
        self.groups
            .iter()
            .flat_map(|g| g.recs[g.done.min(g.recs.len())..].iter())
            .chain(self.buffer.values())
    }

    /// Why the consistency time is behind now, as the SDM sees it.
    pub fn delay(&self, buffer_limit: u64, master_behind: bool) -> Delay {
        if master_behind {
            Delay::Master
        } else if self.journal.writing || self.journal.full_since.is_some() {
            Delay::Journal
        } else if self.buffered() >= buffer_limit {
            Delay::Buffers
        } else if self.groups.front().is_some_and(|g| g.recoverable) {
            Delay::Secondary
        } else {
            Delay::Primary
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::RecSpan;
    use crate::types::VolumeId;

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

    fn sdm(parts: usize) -> Sdm {
        Sdm::new(parts, JournalConfig::default())
    }

    /// A group holds every record set read up to the minimum of the sessions' times and
    /// nothing after it; a session never read holds everything back.
    #[test]
    fn a_group_stops_at_the_slowest_session() {
        let mut s = sdm(2);
        s.records_in(0, &[rs(1, 10), rs(3, 30)], 35);
        let t0 = SimTime::ZERO;
        assert_eq!(
            s.try_form(t0, SimDuration::ZERO),
            Form::Idle,
            "session 1 never read"
        );
        s.records_in(1, &[rs(2, 20)], 25);
        assert!(matches!(s.try_form(t0, SimDuration::ZERO), Form::Write(_)));
        let g = s.groups.back().unwrap();
        assert_eq!(g.time, 25);
        assert_eq!(g.recs.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(s.buffered(), 1, "record set 3 (stamp 30) waits");
        assert_eq!(
            s.try_form(t0, SimDuration::ZERO),
            Form::Idle,
            "journal busy"
        );
        s.journal_written();
        assert_eq!(s.consistency_time, 25);
        let mut got = Vec::new();
        s.make_recoverable(25, |r| got.push(r.seq));
        assert_eq!(got, [1, 2]);
        assert_eq!(s.next_write(1).map(|x| x.1.seq), Some(1));
        assert_eq!(s.next_write(1), None, "one write at a time");
        s.written(1);
        assert!(!s.pop_applied(|_| panic!("group 1 is not wholly written")));
        assert_eq!(s.next_write(1).map(|x| x.1.seq), Some(2));
        s.written(1);
        let mut order = Vec::new();
        assert!(
            s.pop_applied(|r| order.push(r.seq)),
            "group 1 wholly applied"
        );
        assert_eq!(order, [1, 2], "reported in time-stamp order");
        assert_eq!(s.applied_time, 25);
        assert_eq!(s.journal.used, 0);
    }

    /// A group beyond the apply limit is hardened but not written.
    #[test]
    fn nothing_is_applied_past_the_limit() {
        let mut s = sdm(1);
        s.records_in(0, &[rs(1, 10)], 15);
        assert!(matches!(
            s.try_form(SimTime::ZERO, SimDuration::ZERO),
            Form::Write(_)
        ));
        s.journal_written();
        s.make_recoverable(9, |_| panic!("past the limit"));
        assert_eq!(s.next_write(8), None);
        assert!(!s.quiet() || s.groups.front().is_some_and(|g| !g.recoverable));
        assert_eq!(s.delay(100, true), Delay::Master);
    }

    /// A limit inside a hardened group splits it: the record sets up to the limit are
    /// applied, the rest waits.
    #[test]
    fn a_limit_inside_a_group_applies_its_head() {
        let mut s = sdm(1);
        s.records_in(0, &[rs(1, 10), rs(2, 20), rs(3, 30)], 35);
        assert!(matches!(
            s.try_form(SimTime::ZERO, SimDuration::ZERO),
            Form::Write(_)
        ));
        s.journal_written();
        let mut got = Vec::new();
        s.make_recoverable(20, |r| got.push(r.seq));
        assert_eq!(got, [1, 2]);
        assert_eq!(s.groups.len(), 2);
        while let Some((id, _)) = s.next_write(8) {
            s.written(id);
        }
        assert!(s.pop_applied(|_| {}));
        assert_eq!(s.applied_time, 20);
        s.make_recoverable(35, |r| got.push(r.seq));
        assert_eq!(got, [1, 2, 3]);
    }

    /// A full journal holds the next group back and says for how long.
    #[test]
    fn a_full_journal_holds_the_group() {
        let mut s = Sdm::new(
            1,
            JournalConfig {
                capacity: 10_000,
                ..JournalConfig::default()
            },
        );
        s.records_in(0, &[rs(1, 10)], 15);
        assert!(matches!(
            s.try_form(SimTime::ZERO, SimDuration::ZERO),
            Form::Write(_)
        ));
        s.journal_written();
        s.records_in(0, &[rs(2, 20), rs(3, 21)], 25);
        let t = SimTime::from_nanos(1_000);
        assert_eq!(
            s.try_form(t, SimDuration::ZERO),
            Form::Full(SimDuration::ZERO)
        );
        let t2 = SimTime::from_nanos(5_000);
        assert_eq!(
            s.try_form(t2, SimDuration::ZERO),
            Form::Full(SimDuration::from_nanos(4_000))
        );
        assert_eq!(s.delay(100, false), Delay::Journal);
    }
}
