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
use crate::content::digest_of;
use crate::obs::{Obs, ShippedRef};
use crate::types::{SiteId, VolumeId};
use sim::{ComponentId, Ctx, SimTime};
use std::collections::{BTreeMap, VecDeque};

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
    /// 0 waiting, 1 being written, 2 written.
    pub state: u8,
    /// Written as soon as it arrived, out of order (`naive`, resynchronisation): its
    /// `apply` event is reported when its write ends, not in queue order.
    pub immediate: bool,
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
    /// Entries waiting for their re-update group: ordinal -> group end (sequence number).
    deferred: BTreeMap<u64, u64>,
    /// Point-in-time copies being received: copy -> (messages received, writes).
    copies: BTreeMap<u32, (u32, Vec<u64>)>,
    /// Initial copy: messages expected and received, completion time.
    pub(crate) initial_copy_msgs: u64,
    initial_copy_rx: u64,
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
            copies: BTreeMap::new(),
            initial_copy_msgs: 0,
            initial_copy_rx: 0,
            initial_copy_done: None,
            last_acked: 0,
            recovering: false,
            recovered: false,
            retired_seq: 0,
            resync_range: None,
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
                    writing: p.state == 1,
                    written: p.state == 2,
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
            MsgKind::Establish => {}
            MsgKind::InitialCopy => {
                let s = &mut self.sites[site];
                s.initial_copy_rx += 1;
                if s.initial_copy_rx == s.initial_copy_msgs {
                    s.initial_copy_done = Some(ctx.now());
                }
            }
            MsgKind::Data => {
                for &seq in &msg.tokens {
                    self.token_arrived(site, seq, ctx);
                }
                for &seq in &msg.data {
                    self.data_arrived(site, seq, false, ctx);
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
                        self.data_arrived(site, seq, false, ctx);
                    }
                    self.schedule_applies(site, ctx);
                }
            }
            MsgKind::Resync => {
                // Tracks copied while resynchronising are written as they come.
                for &seq in &msg.data {
                    self.data_arrived(site, seq, true, ctx);
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
        }
    }

    fn ord_of(&self, site: usize, seq: u64) -> Option<u64> {
        self.entry(seq).map(|e| e.ords[site])
    }

    fn token_arrived(&mut self, site: usize, seq: u64, ctx: &mut Ctx<'_, Ev>) {
        let Some(ord) = self.ord_of(site, seq) else {
            return;
        };
        if ord < self.sites[site].base {
            return;
        }
        let p = self.sites[site].slot(ord);
        if p.token {
            return;
        }
        p.token = true;
        p.seq = seq;
        self.observe(
            ctx.now(),
            Obs::TokenRx {
                site: SiteId(site as u8),
                seq,
            },
        );
    }

    fn data_arrived(&mut self, site: usize, seq: u64, immediate: bool, ctx: &mut Ctx<'_, Ev>) {
        self.token_arrived(site, seq, ctx);
        let Some(ord) = self.ord_of(site, seq) else {
            return;
        };
        if ord < self.sites[site].base {
            return;
        }
        let group_end = self.entry(seq).map_or(0, |e| e.group_end);
        let p = self.sites[site].slot(ord);
        if p.data {
            return;
        }
        p.data = true;
        if group_end > seq {
            self.sites[site].deferred.insert(ord, group_end);
            self.observe(
                ctx.now(),
                Obs::DataHeld {
                    site: SiteId(site as u8),
                    seq,
                },
            );
        } else {
            self.report_complete(site, ord, ctx);
        }
        if immediate || self.mode() == Mode::Naive {
            self.sites[site].slot(ord).immediate = true;
            self.start_apply(site, ord, ctx);
        }
    }

    /// The entry counts as complete: the `data_rx` event with the content it carries.
    fn report_complete(&mut self, site: usize, ord: u64, ctx: &mut Ctx<'_, Ev>) {
        let p = self.sites[site].slot(ord);
        p.complete = true;
        let seq = p.seq;
        let wt_index = (seq - self.wt_base) as usize;
        let shipped = match &self.wt[wt_index].shipped {
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
        loop {
            let mut done = None;
            for (&ord, &ge) in &self.sites[site].deferred {
                let mut o = ord + 1;
                let ok = loop {
                    match self.sites[site].get(o) {
                        Some(p) if p.token && p.seq > ge => break true,
                        Some(p) if p.complete => {
                            if p.seq == ge {
                                break true;
                            }
                        }
                        _ => break false,
                    }
                    o += 1;
                };
                if ok {
                    done = Some(ord);
                    break;
                }
            }
            let Some(ord) = done else { return };
            self.sites[site].deferred.remove(&ord);
            self.report_complete(site, ord, ctx);
        }
    }

    /// Starts writing complete entries in queue order (ordered modes).
    fn schedule_applies(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        if self.mode() == Mode::Naive {
            return;
        }
        let limit = self.cfg.copy.apply_parallel.max(1);
        loop {
            let s = &self.sites[site];
            if s.inflight >= limit {
                return;
            }
            let ord = s.next_sched;
            match s.get(ord) {
                Some(p) if p.complete && p.state == 0 => {
                    self.sites[site].next_sched += 1;
                    self.start_apply(site, ord, ctx);
                }
                // Already written out of order (resynchronisation).
                Some(p) if p.complete => self.sites[site].next_sched += 1,
                _ => return,
            }
        }
    }

    /// Writes entry `ord` to the secondary volume: a channel program through the site's
    /// storage control, carrying the content the update shipped.
    fn start_apply(&mut self, site: usize, ord: u64, ctx: &mut Ctx<'_, Ev>) {
        let seq = self.sites[site].slot(ord).seq;
        self.sites[site].slot(ord).state = 1;
        self.sites[site].inflight += 1;
        let e = self.entry(seq).expect("an applied entry has its write");
        let (pvol, span, bytes, own) = (e.vol, e.span, e.bytes, e.write_id);
        let shipped = e.shipped.clone();
        let Some(svol) = self.sites[site].map[pvol.0 as usize] else {
            unreachable!("writes are routed only to sites holding a pair of their volume")
        };
        let img = &self.volumes[svol.0 as usize].image;
        let (first, last) = img
            .extent_of(span.first.track())
            .unwrap_or((0, img.device_type().tracks() - 1));
        let (key_len, data_len) = img
            .record_format(span.first)
            .unwrap_or((0, (bytes / span.n.max(1) as u32) as u16));
        let mut ccws = self.spare_chain();
        chan::build_write(
            &mut ccws,
            &mut self.scratch,
            (first, last),
            span,
            key_len,
            data_len,
            |a| {
                let i = span.iter().position(|x| x == a).unwrap_or(0);
                digest_of(pvol, a, shipped.as_ref().map_or(own, |w| w[i]))
            },
        );
        let io = self.ios.insert(Io::new(
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
        let s = site as usize;
        let mut ccws = io.chain;
        ccws.clear();
        self.spare_ccws.push(ccws);
        self.sites[s].inflight -= 1;
        self.sites[s].slot(ord).state = 2;
        let now = ctx.now();
        let immediate = self.sites[s].slot(ord).immediate;
        if immediate {
            self.observe(
                now,
                Obs::Apply {
                    site: SiteId(site),
                    seq: io.seq,
                },
            );
        }
        loop {
            let sec = &mut self.sites[s];
            match sec.pending.front() {
                Some(p) if p.state == 2 => {
                    let (seq, oob) = (p.seq, p.immediate);
                    sec.pending.pop_front();
                    sec.base += 1;
                    sec.retired += 1;
                    sec.retired_seq = seq;
                    sec.next_sched = sec.next_sched.max(sec.base);
                    if !oob {
                        self.obs.push(
                            now,
                            Obs::Apply {
                                site: SiteId(site),
                                seq,
                            },
                        );
                    }
                }
                _ => break,
            }
        }
        if self.mode() == Mode::Sync {
            let seq = self.sites[s].retired_seq;
            if seq > self.sites[s].last_acked {
                self.sites[s].last_acked = seq;
                self.send_ack(s, seq, ctx);
            }
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
        let seq = self.sites[s].retired_seq;
        if seq > self.sites[s].last_acked {
            self.sites[s].last_acked = seq;
            self.send_ack(s, seq, ctx);
        }
        let d = self.cfg.copy.ack_interval;
        ctx.schedule_in(d, self.sites[s].comp, Ev::AckTimer { site });
    }

    /// After a disaster, once nothing more can arrive, recovery applies the complete
    /// entries up to the first incomplete one (point A).
    pub(crate) fn maybe_start_recovery(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        if self.primary_alive || self.sites[site].recovering || !self.link_quiet(site) {
            return;
        }
        self.sites[site].recovering = true;
        // Entries held back by the apply limit are released: recovery writes them all.
        self.schedule_applies(site, ctx);
        self.check_recovered(site, ctx);
    }

    /// Recovery is over when nothing is being written and the next entry is incomplete.
    fn check_recovered(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        let s = &self.sites[site];
        if !s.recovering || s.recovered || s.inflight > 0 {
            return;
        }
        if self.mode() != Mode::Naive
            && s.get(s.next_sched)
                .is_some_and(|p| p.complete && p.state == 0)
        {
            return;
        }
        self.sites[site].recovered = true;
        self.observe(
            ctx.now(),
            Obs::Recovered {
                site: SiteId(site as u8),
            },
        );
    }

    /// With `drain`: once every routed write is written at every site and nothing is in
    /// progress, evaluate every site.
    pub(crate) fn check_drained(&mut self, ctx: &mut Ctx<'_, Ev>) {
        if !self.draining || self.workload_on || !self.primary_alive {
            return;
        }
        if !self.ios.is_empty() || self.serializer.busy {
            return;
        }
        for (i, s) in self.sites.iter().enumerate() {
            if s.recovered || s.retired < self.out[i].next_ord {
                return;
            }
        }
        let now = ctx.now();
        for i in 0..self.sites.len() {
            self.sites[i].recovered = true;
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
