//! A secondary site: the secondary data mover's pending write queue (Fig. 5), the apply
//! of complete entries to the secondary DASD strictly in sequence order (each only when it
//! and every entry ahead of it are complete), acknowledgments back to the primary, and
//! recovery after a primary disaster.
//!
//! Entries are kept by the site's dense ordinal (1, 2, 3, ... for the writes routed to the
//! site), so the queue can tell a missing token from one routed elsewhere. A token (M1)
//! creates or completes the token half of an entry; an M2 field carries token and data.
//! With the re-update accommodation an M2 field may carry data newer than its own write
//! (`group_end`): such an entry counts as complete only when every entry up to its group
//! end is complete, so the group is applied whole and recovery never stops inside it.

use super::chan;
use super::{Ev, Io, Mode, MsgKind, Origin, SimMessage, World};
use crate::content::{RecSpan, WriteId, digest_of};
use crate::copy::ExtentName;
use crate::obs::{Obs, ShippedRef};
use crate::types::Digest;
use crate::types::{SiteId, VolumeId};
use sim::{ComponentId, Ctx, SimTime};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Where an entry's write to the secondary DASD is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum WriteState {
    /// Not started.
    #[default]
    Waiting,
    /// Being written.
    Writing,
    /// Written.
    Written,
}

/// One entry of the pending write queue.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Pending {
    /// Sequence number (0 until the token is known).
    pub seq: u64,
    /// Token received (M1, or with M2).
    pub token: bool,
    /// Data received (M2).
    pub data: bool,
    /// Counted complete (data reported to the recovery process).
    pub complete: bool,
    /// Where its write to the secondary DASD is.
    pub state: WriteState,
    /// Written as soon as it arrived, out of order (`naive`, resynchronisation): its
    /// `apply` event is reported when its write ends, not in queue order.
    pub immediate: bool,
    /// From the token (M1): the primary volume and the records the write changed.
    pub vol: VolumeId,
    /// See `vol`.
    pub span: RecSpan,
    /// From the M2 field: bytes written and the write whose content it carries (per record
    /// when newer data was shipped: `Secondary::shipped`).
    pub bytes: u32,
    /// See `bytes`.
    pub writer: WriteId,
    /// From the token: a format write (Write CKD), applied with a format write.
    pub format: bool,
    /// `sync`: the primary gave this ordinal up (its skip notice): nothing is applied at
    /// it, and data arriving for it is not kept.
    pub skipped: bool,
}

/// One M1 token or M2 token+data element as a message carries it to a site: the fields the
/// codec encodes (device, records, the site's ordinal, the re-update group end, the
/// content). The simulation's messages hold sequence numbers that refer to the primary's
/// write table instead of copies; [`World::on_wire`] is the one place that reads them, at
/// arrival, and the secondary keeps only what it returns.
#[derive(Copy, Clone, Debug)]
pub(crate) struct WireRec {
    seq: u64,
    ord: u64,
    vol: VolumeId,
    span: RecSpan,
    bytes: u32,
    writer: WriteId,
    group_end: u64,
    /// A format write (the token's command type).
    format: bool,
}

/// One entry of the pending write queue between A and B as the recovery process lists it
/// (the patent's output: the in-progress tracks and records, in sequence).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldEntry {
    /// The site's ordinal of the entry (dense over the writes routed to the site).
    pub ordinal: u64,
    /// Sequence number; `None` when the token never arrived (a gap in the ordinals: the
    /// secondary knows a write is missing, not which).
    pub seq: Option<u64>,
    /// Primary volume (from the token).
    pub vol: VolumeId,
    /// Records changed (from the token).
    pub span: RecSpan,
    /// The data set holding the first record, named from the Establish extents.
    pub dataset: Option<String>,
    /// The update data is held at the site.
    pub data: bool,
    /// Already written to the secondary DASD (out of order: `naive`, resynchronisation).
    pub written: bool,
    /// The held content, per record (empty without data).
    pub digests: Vec<Digest>,
}

/// A held entry of a re-update group: the group's end (a sequence number) and the first
/// ordinal its check has not passed yet.
#[derive(Clone, Copy, Debug)]
struct Deferred {
    group_end: u64,
    resume: u64,
}

/// The outcome of checking a held entry's re-update group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GroupCheck {
    /// Every entry up to the group end is complete.
    Complete,
    /// The check stopped at this ordinal (missing, or not complete).
    Blocked(u64),
    /// The entry right after the held one is retired: the group cannot complete.
    Never,
}

/// What became of arriving data.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum DataIn {
    /// The entry is complete.
    Complete,
    /// The entry waits for the rest of its re-update group.
    Held,
}

/// What a secondary's recovery process knows and produced, from its own holdings only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryView {
    /// When recovery ended.
    pub at: SimTime,
    /// Point A as the site knows it: the last update written in sequence order (0: none).
    pub consistency_seq: u64,
    /// Point B: the highest sequence number among the tokens received (0: none).
    pub highest_token_seq: u64,
    /// Every entry after A up to the last ordinal received, in order.
    pub entries: Vec<HeldEntry>,
    /// The data-set extents the Establish message named (empty if it never arrived).
    pub extents_known: usize,
    /// Those extents, sorted by volume and first track: what lets the site name data sets.
    pub extents: Vec<ExtentName>,
    /// Initial copy: (messages received, messages it comprises); `None`: none was sent.
    /// Until it is complete the pairs are not duplex and the image is not a copy.
    pub initial_copy: Option<(u64, u64)>,
    /// Updates are written in sequence order, so the image at A is consistent in time
    /// (false in `naive`, which writes as data arrives).
    pub ordered: bool,
    /// Writes that reached the site in copies or `srdfa` cycles it did not apply: the
    /// receive set (complete or not) and incomplete point-in-time copies, discarded at
    /// recovery by design.
    pub discarded_writes: u64,
    /// `zgm`: the SDM sessions' consistency times, journals and storage-control sessions.
    pub zgm: Option<super::zgm::ZgmRecovery>,
}

/// The secondary side of one site.
#[derive(Clone, Debug)]
pub struct Secondary {
    pub(crate) comp: ComponentId,
    /// Channel group of the secondary data mover at the site's storage controls.
    pub(crate) group: u16,
    /// Secondary volume of each primary volume (by primary volume index).
    pub(crate) map: Vec<Option<VolumeId>>,
    pending: VecDeque<Pending>,
    /// Ordinal of `pending[0]`.
    base: u64,
    /// Next ordinal to schedule for writing.
    next_sched: u64,
    /// Every ordinal <= `retired` is written (and its `apply` reported).
    retired: u64,
    /// Writes to the secondary DASD in progress.
    pub(crate) inflight: u32,
    /// Entries waiting for their re-update group, by ordinal.
    deferred: BTreeMap<u64, Deferred>,
    /// Where each held entry's group check stopped: (blocking ordinal, held ordinal). An
    /// entry is checked again only when its blocking entry changes (token, completion).
    blocked: BTreeSet<(u64, u64)>,
    /// Held entries to check again (new, or their blocking entry changed).
    recheck: Vec<u64>,
    /// Held entries whose group is complete, not yet released (released lowest first).
    ready: BTreeSet<u64>,
    /// Point-in-time copies being received: copy -> (messages received, writes).
    copies: BTreeMap<u32, (u32, Vec<u64>)>,
    /// `srdfa`: cycles received whole and not yet applied (the receive set): cycle ->
    /// writes in sequence order. Discarded at recovery.
    received_cycles: BTreeMap<u32, Vec<u64>>,
    /// `gm`: Global Copy data received on the B volumes and not yet in a FlashCopy:
    /// ordinal -> sequence number. Discarded at recovery (the C volumes are recovered).
    gm_received: BTreeMap<u64, u64>,
    /// `gm`: the FlashCopy requested (consistency group, highest ordinal it holds) and
    /// whether it is under way.
    gm_flash: Option<(u32, u64, bool)>,
    /// `gm`: every ordinal up to this one is in a completed FlashCopy.
    gm_flashed: u64,
    /// Initial copy: messages expected and received, completion time.
    /// Initial copies announced or arriving: copy number -> (messages received, messages
    /// it comprises), as the messages say.
    initial_copies: BTreeMap<u32, (u64, u64)>,
    /// When the initial copy completed.
    pub initial_copy_done: Option<SimTime>,
    last_acked: u64,
    recovering: bool,
    /// Evaluated (recovered, or drained at the end of the run).
    pub recovered: bool,
    /// Sequence number of the newest written entry.
    retired_seq: u64,
    /// The sequence numbers of the resynchronisation being received, if any.
    pub(crate) resync_range: Option<(u64, u64)>,
    /// Data-set extents from the Establish message, sorted by volume and first track.
    extents: Vec<ExtentName>,
    /// Highest ordinal and sequence number whose token arrived.
    top_ord: u64,
    top_seq: u64,
    /// The recovery process's output, once recovered.
    pub(crate) view: Option<RecoveryView>,
    /// Entries whose M2 field carried content newer than their own write's, per record (the
    /// base design, point-in-time copies), by ordinal until written.
    shipped: BTreeMap<u64, Box<[WriteId]>>,
}

impl Secondary {
    pub(crate) fn new(comp: ComponentId, group: u16, map: Vec<Option<VolumeId>>) -> Self {
        Secondary {
            comp,
            group,
            map,
            pending: VecDeque::new(),
            base: 1,
            next_sched: 1,
            retired: 0,
            inflight: 0,
            deferred: BTreeMap::new(),
            blocked: BTreeSet::new(),
            recheck: Vec::new(),
            ready: BTreeSet::new(),
            copies: BTreeMap::new(),
            received_cycles: BTreeMap::new(),
            gm_received: BTreeMap::new(),
            gm_flash: None,
            gm_flashed: 0,
            initial_copies: BTreeMap::new(),
            initial_copy_done: None,
            last_acked: 0,
            recovering: false,
            recovered: false,
            retired_seq: 0,
            resync_range: None,
            extents: Vec::new(),
            top_ord: 0,
            top_seq: 0,
            view: None,
            shipped: BTreeMap::new(),
        }
    }

    /// Entries in the pending write queue (not yet written).
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    fn get(&self, ord: u64) -> Option<&Pending> {
        ord.checked_sub(self.base)
            .and_then(|i| self.pending.get(i as usize))
    }

    fn slot(&mut self, ord: u64) -> &mut Pending {
        debug_assert!(ord >= self.base);
        let i = (ord - self.base) as usize;
        while self.pending.len() <= i {
            self.pending.push_back(Pending::default());
        }
        &mut self.pending[i]
    }

    /// The data set holding `track` of primary volume `vol`, from the Establish extents.
    fn dataset_of(&self, vol: VolumeId, track: u64) -> Option<&str> {
        let i = self
            .extents
            .partition_point(|e| (e.vol, e.first_track) <= (vol, track));
        let e = self.extents.get(i.checked_sub(1)?)?;
        (e.vol == vol && track <= e.last_track).then_some(e.name.as_str())
    }

    /// An initial copy is announced (by the Establish message, or by its first message to
    /// arrive): until all of it is in, the pairs are not duplex.
    fn announce_initial_copy(&mut self, copy: u32, msgs: u64) {
        if let std::collections::btree_map::Entry::Vacant(e) = self.initial_copies.entry(copy) {
            e.insert((0, msgs));
            self.initial_copy_done = None;
        }
    }

    /// A token (M1, or the token half of an M2 field) arrives: whether it is new to the
    /// queue (older than the queue's oldest entry, or already here: not new).
    fn token(&mut self, w: WireRec) -> bool {
        let (ord, seq) = (w.ord, w.seq);
        if ord < self.base {
            return false;
        }
        if ord > self.top_ord {
            self.top_ord = ord;
        }
        self.top_seq = self.top_seq.max(seq);
        let p = self.slot(ord);
        if p.token || p.skipped {
            return false;
        }
        p.token = true;
        p.seq = seq;
        p.vol = w.vol;
        p.span = w.span;
        p.format = w.format;
        self.wake(ord);
        true
    }

    /// An M2 field's data arrives (its token counted already): `None` if stale or already
    /// here; else whether the entry is complete or held for its re-update group.
    fn data(&mut self, w: WireRec, shipped: Option<Box<[WriteId]>>) -> Option<DataIn> {
        let ord = w.ord;
        if ord < self.base {
            return None;
        }
        let p = self.slot(ord);
        if p.data || p.skipped {
            return None;
        }
        p.data = true;
        p.bytes = w.bytes;
        p.writer = w.writer;
        if let Some(sh) = shipped {
            self.shipped.insert(ord, sh);
        }
        if w.group_end > w.seq {
            self.deferred.insert(
                ord,
                Deferred {
                    group_end: w.group_end,
                    resume: ord + 1,
                },
            );
            self.recheck.push(ord);
            Some(DataIn::Held)
        } else {
            Some(DataIn::Complete)
        }
    }

    /// Marks entry `ord` complete (counted for recovery); its sequence number.
    fn complete(&mut self, ord: u64) -> u64 {
        let p = self.slot(ord);
        p.complete = true;
        let seq = p.seq;
        self.wake(ord);
        seq
    }

    /// Entry `o` changed (its token arrived, or it became complete): the held entries whose
    /// group check stopped at it are checked again.
    #[inline]
    fn wake(&mut self, o: u64) {
        if self.blocked.is_empty() {
            return;
        }
        while let Some(&(b, d)) = self.blocked.range((o, 0)..=(o, u64::MAX)).next() {
            self.blocked.remove(&(b, d));
            self.recheck.push(d);
        }
    }

    /// Checks the group of held entry `d` from where its last check stopped.
    ///
    /// The group is complete when the entries after `d` are complete up to the one whose
    /// sequence number is the group end, or up to an entry whose token shows a later
    /// sequence number. Entries passed once stay passed (completion and sequence numbers
    /// never change while an entry is queued), so each entry of a group is looked at once
    /// however many messages arrive; a retired entry right after `d` (written out of
    /// order) stops the group for good.
    fn check_group(&self, d: u64, g: Deferred) -> GroupCheck {
        if d + 1 < self.base {
            return GroupCheck::Never;
        }
        let mut o = g.resume;
        loop {
            match self.get(o) {
                Some(p) if p.token && p.seq > g.group_end => return GroupCheck::Complete,
                Some(p) if p.complete => {
                    if p.seq == g.group_end {
                        return GroupCheck::Complete;
                    }
                }
                _ => return GroupCheck::Blocked(o),
            }
            o += 1;
        }
    }

    /// A held entry whose re-update group is now complete (every entry up to its group end
    /// is), taken off the held list; `None` when there is none. The lowest such ordinal
    /// first; only entries that are new or whose blocking entry changed are checked.
    fn release_group(&mut self) -> Option<u64> {
        while let Some(&(b, _)) = self.blocked.first() {
            if b >= self.base {
                break;
            }
            // Blocked at a retired entry: the check can never pass.
            self.blocked.pop_first();
        }
        while let Some(d) = self.recheck.pop() {
            let Some(&g) = self.deferred.get(&d) else {
                continue;
            };
            match self.check_group(d, g) {
                GroupCheck::Complete => {
                    self.ready.insert(d);
                }
                GroupCheck::Blocked(o) => {
                    if let Some(g) = self.deferred.get_mut(&d) {
                        g.resume = o;
                    }
                    self.blocked.insert((o, d));
                }
                GroupCheck::Never => {}
            }
        }
        while let Some(ord) = self.ready.pop_first() {
            self.deferred.remove(&ord);
            if ord >= self.base {
                return Some(ord);
            }
            // Written out of order and retired meanwhile: nothing is left to release.
        }
        None
    }

    /// The next entry to write in queue order, with at most `limit` writes in progress
    /// (`None`: none is ready).
    fn next_to_write(&mut self, limit: u32) -> Option<u64> {
        loop {
            if self.inflight >= limit {
                return None;
            }
            let ord = self.next_sched;
            match self.get(ord) {
                Some(p) if p.complete && p.state == WriteState::Waiting => {
                    self.next_sched += 1;
                    return Some(ord);
                }
                // Already written out of order (resynchronisation).
                Some(p) if p.complete => self.next_sched += 1,
                _ => return None,
            }
        }
    }

    /// Starts writing entry `ord`: what it holds, and its per-record content if newer
    /// data was shipped.
    fn begin_write(&mut self, ord: u64) -> (Pending, Option<Box<[WriteId]>>) {
        let p = *self.slot(ord);
        self.slot(ord).state = WriteState::Writing;
        self.inflight += 1;
        (p, self.shipped.get(&ord).cloned())
    }

    /// Entry `ord` is written: retires the written entries at the head of the queue in
    /// order, handing `retired` the sequence number of each that was written in order.
    fn written(&mut self, ord: u64, retired: impl FnMut(u64)) {
        self.inflight -= 1;
        self.slot(ord).state = WriteState::Written;
        self.retire_head(retired);
    }

    /// Retires the written (or given up) entries at the head of the queue in order,
    /// handing `retired` the sequence number of each that was written in order.
    fn retire_head(&mut self, mut retired: impl FnMut(u64)) {
        while let Some(p) = self.pending.front() {
            if p.state != WriteState::Written {
                break;
            }
            let (seq, oob, skipped) = (p.seq, p.immediate, p.skipped);
            self.pending.pop_front();
            self.shipped.remove(&self.base);
            self.base += 1;
            self.retired += 1;
            if !skipped {
                self.retired_seq = seq;
            }
            self.next_sched = self.next_sched.max(self.base);
            if !oob {
                retired(seq);
            }
        }
    }

    /// `sync`: the primary gave ordinal `ord` up (a skip notice). An entry not yet being
    /// written is marked given up: whatever it holds is discarded and the queue goes on
    /// past it. `None` when it is too late (written, being written, or retired) or already
    /// given up; else `Some(seq)` when the entry held a complete update that is now
    /// discarded (`Some(None)`: nothing of it had arrived).
    fn give_up(&mut self, ord: u64) -> Option<Option<u64>> {
        if ord < self.base {
            return None;
        }
        let p = self.slot(ord);
        if p.skipped || p.state != WriteState::Waiting {
            return None;
        }
        let held = p.complete.then_some(p.seq);
        p.skipped = true;
        p.data = false;
        p.complete = true;
        p.immediate = true;
        p.state = WriteState::Written;
        self.shipped.remove(&ord);
        Some(held)
    }

    /// The newest written sequence number, if not acknowledged yet (and now counted as
    /// acknowledged).
    fn ack_due(&mut self) -> Option<u64> {
        let seq = self.retired_seq;
        (seq > self.last_acked).then(|| {
            self.last_acked = seq;
            seq
        })
    }

    /// Recovery is over: nothing is being written and the next entry is not complete (in
    /// `ordered` modes; without order, once nothing is being written).
    fn recovery_over(&self, ordered: bool) -> bool {
        self.recovering
            && !self.recovered
            && self.inflight == 0
            && !(ordered
                && self
                    .get(self.next_sched)
                    .is_some_and(|p| p.complete && p.state == WriteState::Waiting))
    }

    /// The content entry `ord` holds, per record (its M2 field).
    fn content(&self, ord: u64, p: &Pending) -> Vec<Digest> {
        let shipped = self.shipped.get(&ord);
        p.span
            .iter()
            .enumerate()
            .map(|(i, a)| digest_of(p.vol, a, shipped.map_or(p.writer, |w| w[i])))
            .collect()
    }

    /// The recovery process's listing from what the site holds: A, B and every entry after
    /// A up to the last ordinal received.
    fn recovery_view(&self, at: SimTime, ordered: bool) -> RecoveryView {
        let mut entries = Vec::new();
        for ord in self.base..=self.top_ord {
            let p = self.get(ord).copied().unwrap_or_default();
            entries.push(HeldEntry {
                ordinal: ord,
                seq: p.token.then_some(p.seq),
                vol: p.vol,
                span: p.span,
                dataset: p
                    .token
                    .then(|| self.dataset_of(p.vol, p.span.first.track()))
                    .flatten()
                    .map(str::to_string),
                data: p.data,
                written: p.state == WriteState::Written && !p.skipped,
                digests: if p.data {
                    self.content(ord, &p)
                } else {
                    Vec::new()
                },
            });
        }
        RecoveryView {
            at,
            consistency_seq: self.retired_seq,
            highest_token_seq: self.top_seq,
            entries,
            extents_known: self.extents.len(),
            extents: self.extents.clone(),
            initial_copy: self.initial_copy_progress(),
            ordered,
            discarded_writes: self
                .received_cycles
                .values()
                .map(|w| w.len() as u64)
                .chain(self.copies.values().map(|c| c.1.len() as u64))
                .sum::<u64>()
                + self.gm_received.len() as u64,
            zgm: None,
        }
    }

    /// The initial copy's progress over every volume, (tracks received, tracks in all), if
    /// one was under way.
    fn initial_copy_progress(&self) -> Option<(u64, u64)> {
        (!self.initial_copies.is_empty()).then(|| {
            self.initial_copies
                .values()
                .fold((0, 0), |(r, n), &(rx, all)| (r + rx, n + all))
        })
    }

    /// `zgm`'s recovery listing: A as the site knows it is the newest record set it wrote
    /// (`applied`), B the newest it read (`read`); the entries are the record sets it held
    /// and did not write (`held`, in time-stamp order).
    pub(crate) fn zgm_view(
        &self,
        at: SimTime,
        applied: u64,
        read: u64,
        held: &[super::zgm::sidefile::RecordSet],
    ) -> RecoveryView {
        let entries = held
            .iter()
            .map(|r| {
                let ds = self
                    .dataset_of(r.vol, r.span.first.track())
                    .map(str::to_string);
                super::zgm::held_entry(r, ds)
            })
            .collect();
        RecoveryView {
            at,
            consistency_seq: applied,
            highest_token_seq: read,
            entries,
            extents_known: self.extents.len(),
            extents: self.extents.clone(),
            initial_copy: self.initial_copy_progress(),
            ordered: true,
            zgm: None,
            discarded_writes: 0,
        }
    }

    /// The queue as Fig. 5 draws it: (ordinal, entry) from the oldest unwritten entry.
    pub fn entries(&self) -> impl Iterator<Item = (u64, PendingView)> + '_ {
        self.pending.iter().enumerate().map(|(i, p)| {
            (
                self.base + i as u64,
                PendingView {
                    seq: p.seq,
                    token: p.token,
                    data: p.data,
                    complete: p.complete,
                    writing: p.state == WriteState::Writing,
                    written: p.state == WriteState::Written,
                },
            )
        })
    }
}

/// A read-only view of a pending entry (for front ends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingView {
    /// Sequence number (0: token not received).
    pub seq: u64,
    /// Token received.
    pub token: bool,
    /// Data received.
    pub data: bool,
    /// Complete (counted for recovery).
    pub complete: bool,
    /// Being written to the secondary DASD.
    pub writing: bool,
    /// Written.
    pub written: bool,
}

impl World {
    /// A message reaches the secondary data mover of `site`.
    pub(crate) fn secondary_receive(
        &mut self,
        site: usize,
        msg: &SimMessage,
        ctx: &mut Ctx<'_, Ev>,
    ) {
        match msg.kind {
            MsgKind::Establish => {
                let s = &mut self.sites[site];
                s.extents = msg.extents.clone();
                s.extents.sort_by_key(|e| (e.vol, e.first_track));
                if msg.copy_msgs > 0 {
                    s.announce_initial_copy(msg.copy, msg.copy_msgs as u64);
                }
            }
            MsgKind::InitialCopy => {
                let s = &mut self.sites[site];
                s.announce_initial_copy(msg.copy, msg.copy_msgs as u64);
                if let Some(c) = s.initial_copies.get_mut(&msg.copy) {
                    c.0 += 1;
                }
                if s.initial_copy_done.is_none()
                    && s.initial_copies.values().all(|&(rx, n)| rx >= n)
                {
                    s.initial_copy_done = Some(ctx.now());
                    self.observe(
                        ctx.now(),
                        Obs::InitialCopyDone {
                            site: SiteId(site as u8),
                        },
                    );
                    self.observe_site_pairs(site, crate::obs::PairState::Duplex, ctx.now());
                }
            }
            MsgKind::Data if self.mode() == Mode::Zgm => self.zgm_arrive(site, msg, ctx),
            MsgKind::Data => {
                for &seq in &msg.tokens {
                    if let Some(w) = self.on_wire(site, seq) {
                        self.token_arrived(site, w, ctx);
                    }
                }
                for &seq in &msg.data {
                    if let Some(w) = self.on_wire(site, seq) {
                        self.data_arrived(site, w, false, ctx);
                    }
                }
                self.check_deferred(site, ctx);
                self.schedule_applies(site, ctx);
            }
            MsgKind::Copy => {
                let s = &mut self.sites[site];
                let c = s.copies.entry(msg.copy).or_insert((0, Vec::new()));
                c.0 += 1;
                c.1.extend_from_slice(&msg.data);
                if c.0 == msg.copy_msgs {
                    let (_, mut seqs) = s.copies.remove(&msg.copy).expect("present");
                    seqs.sort_unstable();
                    for seq in seqs {
                        if let Some(w) = self.on_wire(site, seq) {
                            self.data_arrived(site, w, false, ctx);
                        }
                    }
                    self.schedule_applies(site, ctx);
                }
            }
            MsgKind::Cycle => {
                // A message of cycle N means the primary has switched past every earlier
                // cycle: a receive set complete before it becomes the apply set.
                let s = &mut self.sites[site];
                let due: Vec<u32> = s
                    .received_cycles
                    .range(..msg.copy)
                    .map(|(&c, _)| c)
                    .collect();
                for c in due {
                    let seqs = self.sites[site].received_cycles.remove(&c).expect("listed");
                    for seq in seqs {
                        if let Some(w) = self.on_wire(site, seq) {
                            self.data_arrived(site, w, false, ctx);
                        }
                    }
                }
                let s = &mut self.sites[site];
                let c = s.copies.entry(msg.copy).or_insert((0, Vec::new()));
                c.0 += 1;
                c.1.extend_from_slice(&msg.data);
                if c.0 == msg.copy_msgs {
                    let (_, mut seqs) = s.copies.remove(&msg.copy).expect("present");
                    seqs.sort_unstable();
                    s.received_cycles.insert(msg.copy, seqs);
                    self.send_cycle_receipt(site, msg.copy, ctx);
                }
                self.schedule_applies(site, ctx);
            }
            MsgKind::GlobalCopy => {
                for &seq in &msg.data {
                    if let Some(w) = self.on_wire(site, seq) {
                        self.sites[site].gm_received.insert(w.ord, seq);
                    }
                }
                self.maybe_flashcopy(site, ctx);
            }
            MsgKind::Journal => {
                for &seq in &msg.data {
                    if let Some(w) = self.on_wire(site, seq) {
                        self.data_arrived(site, w, false, ctx);
                    }
                }
                self.schedule_applies(site, ctx);
                if msg.data.is_empty() {
                    let comp = self.sites[site].comp;
                    ctx.schedule_in(
                        self.cfg.copy.ur_poll_interval,
                        comp,
                        Ev::JournalPoll { site: site as u8 },
                    );
                } else {
                    self.send_journal_read(site, ctx);
                }
            }
            MsgKind::FlashCopy => {
                self.sites[site].gm_flash = Some((msg.copy, msg.point, false));
                self.maybe_flashcopy(site, ctx);
            }
            MsgKind::Resync => {
                // Tracks copied while resynchronising are written as they come.
                for &seq in &msg.data {
                    if let Some(w) = self.on_wire(site, seq) {
                        self.data_arrived(site, w, true, ctx);
                    }
                }
                let s = &mut self.sites[site];
                let c = s.copies.entry(msg.copy).or_insert((0, Vec::new()));
                c.0 += 1;
                if c.0 == msg.copy_msgs {
                    s.copies.remove(&msg.copy);
                    s.resync_range = None;
                    let name = self.cfg.sites[site].name.clone();
                    self.stats.resync_done.push((name, ctx.now().as_nanos()));
                    self.observe(
                        ctx.now(),
                        Obs::ResyncDone {
                            site: SiteId(site as u8),
                        },
                    );
                }
                self.schedule_applies(site, ctx);
            }
            MsgKind::Skip => self.skip_notice(site, msg, ctx),
        }
    }

    /// `sync`: the primary's skip notice: the ordinals it gave up when their pairs
    /// suspended. Each is marked given up (an update held for it is discarded: the `skip`
    /// event), and the apply goes on past them in order.
    fn skip_notice(&mut self, site: usize, msg: &SimMessage, ctx: &mut Ctx<'_, Ev>) {
        let now = ctx.now();
        for &ord in &msg.tokens {
            if let Some(Some(seq)) = self.sites[site].give_up(ord) {
                self.observe(
                    now,
                    Obs::Skip {
                        site: SiteId(site as u8),
                        seq,
                    },
                );
            }
        }
        let obs = &mut self.obs;
        self.sites[site].retire_head(|seq| {
            obs.push(
                now,
                Obs::Apply {
                    site: SiteId(site as u8),
                    seq,
                },
            )
        });
        self.schedule_applies(site, ctx);
        self.check_recovered(site, ctx);
    }

    /// `gm`: once the site holds every ordinal the requested FlashCopy covers, the
    /// FlashCopy starts (it completes after `copy.flashcopy_time`).
    fn maybe_flashcopy(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        let s = &mut self.sites[site];
        let Some((cg, upto, false)) = s.gm_flash else {
            return;
        };
        if s.recovering {
            return;
        }
        let want = upto.saturating_sub(s.gm_flashed);
        if want > 0 && s.gm_received.range(s.gm_flashed + 1..=upto).count() as u64 != want {
            return;
        }
        s.gm_flash = Some((cg, upto, true));
        let d = self.cfg.copy.flashcopy_time;
        let comp = s.comp;
        ctx.schedule_in(
            d,
            comp,
            Ev::FlashCopyDone {
                site: site as u8,
                cg,
            },
        );
    }

    /// `gm`: the FlashCopy of consistency group `cg` is complete: its updates become the
    /// recoverable image (applied in sequence order) and the primary is told. A FlashCopy
    /// still under way when recovery starts is withdrawn (the previous group stays).
    pub(crate) fn on_flashcopy_done(&mut self, site: u8, cg: u32, ctx: &mut Ctx<'_, Ev>) {
        let s = site as usize;
        let Some((c, upto, true)) = self.sites[s].gm_flash else {
            return;
        };
        if c != cg || self.sites[s].recovering || self.sites[s].recovered {
            return;
        }
        self.sites[s].gm_flash = None;
        let from = self.sites[s].gm_flashed + 1;
        let ords: Vec<(u64, u64)> = if upto >= from {
            self.sites[s]
                .gm_received
                .range(from..=upto)
                .map(|(&o, &q)| (o, q))
                .collect()
        } else {
            Vec::new()
        };
        for (o, seq) in ords {
            self.sites[s].gm_received.remove(&o);
            if let Some(w) = self.on_wire(s, seq) {
                self.data_arrived(s, w, false, ctx);
            }
        }
        self.sites[s].gm_flashed = upto.max(self.sites[s].gm_flashed);
        self.send_cg_formed(s, cg, ctx);
        self.schedule_applies(s, ctx);
        self.check_recovered(s, ctx);
    }

    /// `ur`: the polling interval after an empty answer has passed: read the journal again
    /// (while the run goes on).
    pub(crate) fn on_journal_poll(&mut self, site: u8, ctx: &mut Ctx<'_, Ev>) {
        if self.workload_on || self.draining {
            self.send_journal_read(site as usize, ctx);
        }
    }

    /// The element of write `seq` in a message to `site`, as the message carries it.
    fn on_wire(&self, site: usize, seq: u64) -> Option<WireRec> {
        self.entry(seq).map(|e| WireRec {
            seq,
            ord: e.ords[site],
            vol: e.vol,
            span: e.span,
            bytes: e.bytes,
            writer: e.write_id,
            group_end: e.group_end,
            format: e.format,
        })
    }

    /// The per-record content of an M2 field carrying newer data than its own write's.
    fn shipped_on_wire(&self, seq: u64) -> Option<Box<[WriteId]>> {
        self.entry(seq).and_then(|e| e.shipped.clone())
    }

    fn token_arrived(&mut self, site: usize, w: WireRec, ctx: &mut Ctx<'_, Ev>) {
        if self.sites[site].token(w) {
            self.observe(
                ctx.now(),
                Obs::TokenRx {
                    site: SiteId(site as u8),
                    seq: w.seq,
                },
            );
        }
    }

    fn data_arrived(&mut self, site: usize, w: WireRec, immediate: bool, ctx: &mut Ctx<'_, Ev>) {
        self.token_arrived(site, w, ctx);
        if w.ord < self.sites[site].base {
            return;
        }
        let shipped = self.shipped_on_wire(w.seq);
        match self.sites[site].data(w, shipped) {
            None => return,
            Some(DataIn::Held) => self.observe(
                ctx.now(),
                Obs::DataHeld {
                    site: SiteId(site as u8),
                    seq: w.seq,
                },
            ),
            Some(DataIn::Complete) => self.report_complete(site, w.ord, ctx),
        }
        if immediate || self.mode() == Mode::Naive {
            self.sites[site].slot(w.ord).immediate = true;
            self.start_apply(site, w.ord, ctx);
        }
    }

    /// The entry counts as complete: the `data_rx` event with the content it carries.
    fn report_complete(&mut self, site: usize, ord: u64, ctx: &mut Ctx<'_, Ev>) {
        let seq = self.sites[site].complete(ord);
        let shipped = match self.sites[site].shipped.get(&ord) {
            None => ShippedRef::Own,
            Some(w) => self.obs.shipped(w),
        };
        self.observe(
            ctx.now(),
            Obs::DataRx {
                site: SiteId(site as u8),
                seq,
                shipped,
            },
        );
    }

    /// Re-update groups: an entry carrying newer data is complete once every entry up to
    /// its group end is.
    fn check_deferred(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        while let Some(ord) = self.sites[site].release_group() {
            self.report_complete(site, ord, ctx);
        }
    }

    /// Starts writing complete entries in queue order (ordered modes).
    fn schedule_applies(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        if self.mode() == Mode::Naive {
            return;
        }
        let limit = self.cfg.copy.apply_parallel.max(1);
        while let Some(ord) = self.sites[site].next_to_write(limit) {
            self.start_apply(site, ord, ctx);
        }
    }

    /// Where an update of `span` (`bytes` in all) lands on secondary volume `svol`: the
    /// extent (first and last track) holding it and its records' key and data lengths (the
    /// update's own lengths where the volume has no such record).
    pub(crate) fn apply_geometry(
        &self,
        svol: VolumeId,
        span: RecSpan,
        bytes: u32,
    ) -> ((u64, u64), (u8, u16)) {
        let img = &self.dasd.volumes[svol.0 as usize].image;
        let extent = img
            .extent_of(span.first.track())
            .unwrap_or((0, img.device_type().tracks() - 1));
        let lengths = img
            .record_format(span.first)
            .unwrap_or((0, (bytes / span.n.max(1) as u32) as u16));
        (extent, lengths)
    }

    /// Writes entry `ord` to the secondary volume: a channel program through the site's
    /// storage control, carrying the content the update shipped.
    fn start_apply(&mut self, site: usize, ord: u64, ctx: &mut Ctx<'_, Ev>) {
        let (p, shipped) = self.sites[site].begin_write(ord);
        let (seq, pvol, span, bytes, own) = (p.seq, p.vol, p.span, p.bytes, p.writer);
        let Some(svol) = self.sites[site].map[pvol.0 as usize] else {
            unreachable!("writes are routed only to sites holding a pair of their volume")
        };
        let ((first, last), (key_len, data_len)) = self.apply_geometry(svol, span, bytes);
        let mut ccws = self.spare_chain();
        let content = |a| {
            let i = span.iter().position(|x| x == a).unwrap_or(0);
            digest_of(pvol, a, shipped.as_ref().map_or(own, |w| w[i]))
        };
        // The same commands as the primary's: a format write is applied as one.
        if p.format {
            chan::build_format(
                &mut ccws,
                &mut self.scratch,
                (first, last),
                span,
                key_len,
                data_len,
                content,
            );
        } else {
            chan::build_write(
                &mut ccws,
                &mut self.scratch,
                (first, last),
                span,
                key_len,
                data_len,
                content,
            );
        }
        let io = self.dasd.ios.insert(Io::new(
            Origin::Apply {
                site: site as u8,
                ord,
            },
            svol,
            self.sites[site].group,
            true,
            span,
            bytes,
            own,
            seq,
            None,
            ctx.now(),
            ccws,
        )) as u32;
        self.begin_io(io, ctx);
    }

    /// An update was written at the secondary: retire in order (`apply` events), start
    /// more, acknowledge in `sync`, and check recovery or drain.
    pub(crate) fn apply_done(&mut self, site: u8, ord: u64, io: Io, ctx: &mut Ctx<'_, Ev>) {
        if self.mode() == Mode::Zgm {
            return self.zgm_apply_done(site, ord, io, ctx);
        }
        let s = site as usize;
        let mut ccws = io.chain.into_vec();
        ccws.clear();
        self.spare_ccws.push(ccws);
        let now = ctx.now();
        if self.sites[s].slot(ord).immediate {
            // Written out of order: its `apply` is reported as its write ends.
            self.observe(
                now,
                Obs::Apply {
                    site: SiteId(site),
                    seq: io.seq,
                },
            );
        }
        let obs = &mut self.obs;
        self.sites[s].written(ord, |seq| {
            obs.push(
                now,
                Obs::Apply {
                    site: SiteId(site),
                    seq,
                },
            )
        });
        if self.mode() == Mode::Sync
            && let Some(seq) = self.sites[s].ack_due()
        {
            self.send_ack(s, seq, ctx);
        }
        self.schedule_applies(s, ctx);
        self.check_recovered(s, ctx);
        self.check_drained(ctx);
    }

    /// Periodic acknowledgment of what the site has secured.
    pub(crate) fn on_ack_timer(&mut self, site: u8, ctx: &mut Ctx<'_, Ev>) {
        let s = site as usize;
        if !self.primary_alive {
            return;
        }
        if let Some(seq) = self.sites[s].ack_due() {
            self.send_ack(s, seq, ctx);
        }
        let d = self.cfg.copy.ack_interval;
        ctx.schedule_in(d, self.sites[s].comp, Ev::AckTimer { site });
    }

    /// After a disaster, once nothing more can arrive, recovery applies the complete
    /// entries up to the first incomplete one (point A).
    pub(crate) fn maybe_start_recovery(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        if self.mode() == Mode::Zgm {
            return self.zgm_maybe_recover(site, ctx);
        }
        if self.primary_alive || self.sites[site].recovering || !self.link_quiet(site) {
            return;
        }
        self.sites[site].recovering = true;
        // Entries held back by the apply limit are released: recovery writes them all.
        self.schedule_applies(site, ctx);
        self.check_recovered(site, ctx);
    }

    /// Ends the run for the recovery processes that have not produced their listing yet
    /// (a run stopped at its limit, or out of events): each lists what it holds at `now`.
    pub fn close_recovery(&mut self, now: SimTime) {
        for site in 0..self.sites.len() {
            if self.sites[site].view.is_none() {
                self.record_view(site, now);
            }
        }
    }

    /// Keeps what site `site`'s recovery process produced at `now`.
    fn record_view(&mut self, site: usize, now: SimTime) {
        if self.mode() == Mode::Zgm {
            return self.zgm_record_view(site, now);
        }
        let ordered = self.mode() != Mode::Naive;
        let view = self.sites[site].recovery_view(now, ordered);
        self.sites[site].view = Some(view);
    }

    /// Recovery is over when nothing is being written and the next entry is incomplete.
    fn check_recovered(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        if !self.sites[site].recovery_over(self.mode() != Mode::Naive) {
            return;
        }
        self.sites[site].recovered = true;
        self.record_view(site, ctx.now());
        self.observe(
            ctx.now(),
            Obs::Recovered {
                site: SiteId(site as u8),
            },
        );
    }

    /// With `drain`: once every routed write is written at every site and nothing is in
    /// progress, evaluate every site. This is run control (when a drained run ends), the one
    /// place that compares both sides; no component decides anything from it.
    pub(crate) fn check_drained(&mut self, ctx: &mut Ctx<'_, Ev>) {
        if !self.draining || self.workload_on || !self.primary_alive {
            return;
        }
        if !self.dasd.ios.is_empty() || self.serializer.busy() {
            return;
        }
        for (i, s) in self.sites.iter().enumerate() {
            let behind = if self.mode() == Mode::Zgm {
                !self.zgm_drained(i)
            } else {
                s.retired < self.out[i].ordinals()
            };
            if s.recovered || behind {
                return;
            }
        }
        let now = ctx.now();
        for i in 0..self.sites.len() {
            self.sites[i].recovered = true;
            self.record_view(i, now);
            self.observe(
                now,
                Obs::Recovered {
                    site: SiteId(i as u8),
                },
            );
        }
        self.draining = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(seq: u64, ord: u64, group_end: u64) -> WireRec {
        WireRec {
            seq,
            ord,
            vol: VolumeId(0),
            span: RecSpan::default(),
            bytes: 4096,
            writer: seq,
            group_end,
            format: false,
        }
    }

    /// The pending write queue of Fig. 5 as a state machine: tokens and data arrive in any
    /// order; entries are written strictly in order, each once it and every entry ahead of
    /// it are complete; a gap in the ordinals holds everything behind it.
    #[test]
    fn entries_are_written_in_order_once_complete() {
        let mut s = Secondary::new(ComponentId::default(), 0, vec![Some(VolumeId(1))]);
        // Token 2 arrives before anything of 1; data of 2 too.
        assert!(s.token(wire(20, 2, 0)));
        assert!(!s.token(wire(20, 2, 0)), "a token counts once");
        assert_eq!(s.data(wire(20, 2, 0), None), Some(DataIn::Complete));
        s.complete(2);
        assert_eq!(
            s.next_to_write(16),
            None,
            "entry 1 is missing: nothing is written"
        );
        assert!(s.token(wire(10, 1, 0)));
        assert_eq!(s.next_to_write(16), None, "entry 1 has no data yet");
        assert_eq!(s.data(wire(10, 1, 0), None), Some(DataIn::Complete));
        s.complete(1);
        assert_eq!(s.next_to_write(16), Some(1));
        assert_eq!(s.next_to_write(16), Some(2));
        assert_eq!(s.next_to_write(16), None);
        s.begin_write(1);
        s.begin_write(2);
        // Entry 2 ends first: nothing retires until entry 1 has.
        let mut retired = Vec::new();
        s.written(2, |q| retired.push(q));
        assert!(retired.is_empty());
        s.written(1, |q| retired.push(q));
        assert_eq!(retired, [10, 20]);
        assert_eq!(s.ack_due(), Some(20));
        assert_eq!(s.ack_due(), None);
    }

    /// Re-update accommodation: an entry carrying newer data (group end 30) is held until
    /// every entry up to its group end is complete.
    #[test]
    fn a_reupdate_group_is_released_whole() {
        let mut s = Secondary::new(ComponentId::default(), 0, vec![Some(VolumeId(1))]);
        s.token(wire(10, 1, 30));
        assert_eq!(s.data(wire(10, 1, 30), None), Some(DataIn::Held));
        assert_eq!(s.release_group(), None);
        s.token(wire(20, 2, 0));
        s.data(wire(20, 2, 0), None);
        s.complete(2);
        assert_eq!(s.release_group(), None, "30 is not complete yet");
        s.token(wire(30, 3, 0));
        s.data(wire(30, 3, 0), None);
        s.complete(3);
        assert_eq!(s.release_group(), Some(1));
        assert_eq!(s.release_group(), None);
    }

    /// Releasing a later group can complete an earlier one (its range runs through the
    /// later entry): the earlier is released on the next check, after the later.
    #[test]
    fn a_released_group_can_complete_an_earlier_one() {
        let mut s = Secondary::new(ComponentId::default(), 0, vec![Some(VolumeId(1))]);
        for (seq, ord, ge) in [(10, 1, 40), (20, 2, 30)] {
            s.token(wire(seq, ord, ge));
            assert_eq!(s.data(wire(seq, ord, ge), None), Some(DataIn::Held));
        }
        s.token(wire(30, 3, 0));
        assert_eq!(s.data(wire(30, 3, 0), None), Some(DataIn::Complete));
        s.complete(3);
        assert_eq!(s.release_group(), Some(2));
        s.complete(2);
        assert_eq!(s.release_group(), None, "entry 4 (seq 40) is missing");
        s.token(wire(40, 4, 0));
        assert_eq!(s.release_group(), None, "entry 4 has no data");
        s.data(wire(40, 4, 0), None);
        s.complete(4);
        assert_eq!(s.release_group(), Some(1));
        assert_eq!(s.release_group(), None);
    }

    /// `sync` skip notice: a given-up ordinal neither blocks the entries after it nor is
    /// applied when its data arrives late; a held update given up is discarded; an entry
    /// already written is not given up.
    #[test]
    fn a_given_up_ordinal_is_passed_and_its_late_data_ignored() {
        let mut s = Secondary::new(ComponentId::default(), 0, vec![Some(VolumeId(1))]);
        for (seq, ord) in [(10, 1), (30, 3)] {
            s.token(wire(seq, ord, 0));
            assert_eq!(s.data(wire(seq, ord, 0), None), Some(DataIn::Complete));
            s.complete(ord);
        }
        assert_eq!(s.next_to_write(16), Some(1));
        s.begin_write(1);
        assert_eq!(s.next_to_write(16), None, "ordinal 2 is missing");
        assert_eq!(s.give_up(1), None, "being written: too late");
        assert_eq!(s.give_up(2), Some(None), "nothing of it had arrived");
        assert_eq!(s.give_up(2), None, "given up once");
        assert_eq!(s.next_to_write(16), Some(3), "the queue goes on past it");
        s.token(wire(20, 2, 0));
        assert_eq!(s.data(wire(20, 2, 0), None), None, "late data is not kept");
        let mut retired = Vec::new();
        s.written(1, |q| retired.push(q));
        s.begin_write(3);
        s.written(3, |q| retired.push(q));
        assert_eq!(retired, [10, 30], "no apply at the given-up ordinal");
        assert_eq!(s.ack_due(), Some(30));
        // A complete update waiting behind a gap is discarded when given up.
        s.token(wire(50, 5, 0));
        s.data(wire(50, 5, 0), None);
        s.complete(5);
        assert_eq!(s.give_up(5), Some(Some(50)));
        assert_eq!(s.give_up(4), Some(None));
        s.retire_head(|q| retired.push(q));
        assert_eq!(retired, [10, 30], "nothing applied at 4 or 5");
        assert_eq!(s.pending_len(), 0);
        assert_eq!(s.ack_due(), None, "the newest written is still 30");
    }

    /// A held entry written out of order (resynchronisation) and retired before its group
    /// completes is not released afterwards: there is nothing left of it to complete.
    #[test]
    fn a_retired_held_entry_is_not_released() {
        let mut s = Secondary::new(ComponentId::default(), 0, vec![Some(VolumeId(1))]);
        s.token(wire(10, 1, 30));
        assert_eq!(s.data(wire(10, 1, 30), None), Some(DataIn::Held));
        s.token(wire(20, 2, 0));
        s.slot(1).immediate = true;
        s.begin_write(1);
        let mut retired = Vec::new();
        s.written(1, |q| retired.push(q));
        assert!(
            retired.is_empty(),
            "written out of order: no apply in sequence"
        );
        for (seq, ord) in [(20, 2), (30, 3)] {
            s.token(wire(seq, ord, 0));
            assert_eq!(s.data(wire(seq, ord, 0), None), Some(DataIn::Complete));
            s.complete(ord);
        }
        assert_eq!(s.release_group(), None, "entry 1 is gone from the queue");
        assert_eq!(s.next_to_write(16), Some(2));
    }

    #[derive(Clone, Debug)]
    enum Op {
        /// The token of ordinal `.0` (an M1).
        Token(u64),
        /// The M2 field of ordinal `.0`; with `Some((k, h))` its group ends `k` ordinals on
        /// (`h`: at a sequence number between two entries, routed elsewhere).
        Data(u64, Option<(u64, bool)>),
        /// The end of a data message: release the complete groups.
        Check,
        /// Write the complete entries in order.
        Apply,
        /// Write entry `.0` out of order (naive, resynchronisation), unless it is held.
        Immediate(u64),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        let ord = 1u64..40;
        prop_oneof![
            3 => ord.clone().prop_map(Op::Token),
            4 => (ord.clone(), proptest::option::weighted(0.4, (1u64..12, any::<bool>())))
                .prop_map(|(o, g)| Op::Data(o, g)),
            3 => Just(Op::Check),
            1 => Just(Op::Apply),
            1 => ord.prop_map(Op::Immediate),
        ]
    }

    /// The re-update check as it was before the index: every held entry, lowest ordinal
    /// first, scanned from the entry after it; the first complete group is released and
    /// the scan restarts.
    fn release_by_rescan(s: &Secondary, held: &BTreeMap<u64, u64>) -> Option<u64> {
        held.iter()
            .map(|(&o, &ge)| (o, ge))
            .find(|&(ord, ge)| {
                let mut o = ord + 1;
                loop {
                    match s.get(o) {
                        Some(p) if p.token && p.seq > ge => return true,
                        Some(p) if p.complete => {
                            if p.seq == ge {
                                return true;
                            }
                        }
                        _ => return false,
                    }
                    o += 1;
                }
            })
            .map(|(o, _)| o)
    }

    proptest::proptest! {
        /// The indexed check releases the same entries in the same order as the full
        /// rescan it replaced, whatever the order of tokens, data, applies and out-of-order
        /// writes.
        #[test]
        fn indexed_group_check_releases_as_the_rescan(ops in proptest::collection::vec(op(), 1..400)) {
            let mut s = Secondary::new(ComponentId::default(), 0, vec![Some(VolumeId(1))]);
            let mut held: BTreeMap<u64, u64> = BTreeMap::new();
            for o in ops {
                match o {
                    Op::Token(ord) => {
                        s.token(wire(10 * ord, ord, 0));
                    }
                    Op::Data(ord, g) => {
                        let ge = g.map_or(0, |(k, h)| 10 * (ord + k) + 5 * h as u64);
                        let w = wire(10 * ord, ord, ge);
                        s.token(w);
                        match s.data(w, None) {
                            Some(DataIn::Complete) => {
                                s.complete(ord);
                            }
                            Some(DataIn::Held) => {
                                held.insert(ord, ge);
                            }
                            None => {}
                        }
                    }
                    Op::Check => {
                        let mut old = s.clone();
                        let mut want = Vec::new();
                        while let Some(x) = release_by_rescan(&old, &held) {
                            held.remove(&x);
                            old.complete(x);
                            want.push(x);
                        }
                        let mut got = Vec::new();
                        while let Some(x) = s.release_group() {
                            s.complete(x);
                            got.push(x);
                        }
                        proptest::prop_assert_eq!(got, want);
                    }
                    Op::Apply => {
                        while let Some(x) = s.next_to_write(4) {
                            s.begin_write(x);
                            s.written(x, |_| {});
                        }
                    }
                    Op::Immediate(ord) => {
                        // Not a held entry: the world writes out of order only where no
                        // re-update group is formed (a released entry must still be queued).
                        let waiting = s.get(ord).is_some_and(|p| p.data && p.state == WriteState::Waiting);
                        if waiting && !held.contains_key(&ord) {
                            s.slot(ord).immediate = true;
                            s.begin_write(ord);
                            s.written(ord, |_| {});
                        }
                    }
                }
            }
        }
    }
}
