//! The link to a secondary site (VTAM over CTC, T1/T3, ESCON, modern lines): parallel paths
//! with a bandwidth each, a per-message overhead, propagation from distance, in-order
//! delivery per path; cuts that lose what is on the wire (retransmitted after the restore,
//! as VTAM would) and a reverse channel for acknowledgments.

use super::{Ev, LinkConfig, SimMessage, World};
use serde::{Deserialize, Serialize};
use sim::{Ctx, SimDuration, SimTime};
use slab::Slab;
use std::collections::VecDeque;

/// One path of a link.
#[derive(Clone, Debug, Default)]
struct Path {
    /// The message being transmitted.
    sending: Option<u32>,
    /// When its transmission started.
    since: SimTime,
    /// Messages transmitted and propagating, oldest first.
    in_flight: VecDeque<u32>,
}

/// The state of a link.
#[derive(Clone, Debug)]
pub struct Link {
    bytes_per_sec: u64,
    overhead: u64,
    prop: SimDuration,
    paths: Vec<Path>,
    queue: VecDeque<u32>,
    up: bool,
    epoch: u32,
    busy_ns: u64,
    bytes_sent: u64,
    messages_sent: u64,
    reverse_free_at: SimTime,
    /// The sending side is gone (primary disaster): nothing more is transmitted.
    sender_dead: bool,
    /// When the link went down (while it is down).
    down_since: Option<SimTime>,
}

/// Figures of a link for reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkStats {
    /// Messages transmitted.
    pub messages: u64,
    /// Bytes transmitted (with per-message overhead).
    pub bytes: u64,
    /// Transmission time summed over paths, ns.
    pub busy_ns: u64,
}

impl Link {
    /// A link as configured, up, idle.
    pub fn new(cfg: &LinkConfig) -> Self {
        Link {
            bytes_per_sec: (cfg.bandwidth_bps / 8).max(1),
            overhead: cfg.overhead_bytes,
            prop: cfg.propagation(),
            paths: vec![Path::default(); cfg.paths.max(1) as usize],
            queue: VecDeque::new(),
            up: true,
            epoch: 0,
            busy_ns: 0,
            bytes_sent: 0,
            messages_sent: 0,
            reverse_free_at: SimTime::ZERO,
            sender_dead: false,
            down_since: None,
        }
    }
    /// One-way propagation delay.
    pub fn propagation(&self) -> SimDuration {
        self.prop
    }
    /// Messages waiting to be transmitted.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }
    /// Messages being transmitted or propagating.
    pub fn in_flight(&self) -> usize {
        self.paths
            .iter()
            .map(|p| p.in_flight.len() + p.sending.is_some() as usize)
            .sum()
    }
    /// Whether a message is being transmitted on some path.
    pub(crate) fn transmitting(&self) -> bool {
        self.paths.iter().any(|p| p.sending.is_some())
    }
    /// Whether the link is up.
    pub fn is_up(&self) -> bool {
        self.up
    }
    /// When the link went down, while it is down.
    pub fn down_since(&self) -> Option<SimTime> {
        self.down_since
    }
    /// Transmission time summed over paths so far (completed or cut short), ns.
    pub fn busy_ns(&self) -> u64 {
        self.busy_ns
    }
    /// Number of paths.
    pub fn paths(&self) -> usize {
        self.paths.len()
    }
    /// Totals.
    pub fn stats(&self) -> LinkStats {
        LinkStats {
            messages: self.messages_sent,
            bytes: self.bytes_sent,
            busy_ns: self.busy_ns,
        }
    }
    pub(crate) fn bytes_in_flight(&self, msgs: &Slab<SimMessage>) -> u64 {
        self.paths
            .iter()
            .flat_map(|p| p.in_flight.iter().chain(p.sending.iter()))
            .map(|&m| msgs.get(m as usize).map_or(0, |x| x.bytes))
            .sum()
    }
    fn tx_time(&self, bytes: u64) -> SimDuration {
        SimDuration::for_bytes(bytes + self.overhead, self.bytes_per_sec)
    }
    /// Whether nothing is waiting, being sent or propagating.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.in_flight() == 0
    }
}

/// What the link asks the world to schedule.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum LinkOut {
    /// A path's transmission ends after `after`.
    TxDone {
        /// Path.
        path: u8,
        /// Link epoch.
        epoch: u32,
        /// Transmission time.
        after: SimDuration,
    },
    /// The oldest message propagating on a path arrives after `after`.
    Arrive {
        /// Path.
        path: u8,
        /// Link epoch.
        epoch: u32,
        /// Propagation time.
        after: SimDuration,
    },
}

/// What became of a transmission that ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum TxEnd {
    /// From before a cut: nothing to do.
    Stale,
    /// The primary died while the message was leaving: it never left whole (removed).
    LostWithSender,
    /// Transmitted: it propagates.
    Propagating,
}

impl Link {
    /// Queues message `id` and starts transmitting if a path is free.
    pub(crate) fn enqueue(
        &mut self,
        id: u32,
        now: SimTime,
        msgs: &mut Slab<SimMessage>,
        out: &mut impl FnMut(LinkOut),
    ) {
        self.enqueue_at(false, id, now, msgs, out);
    }

    /// Queues message `id` ahead of every message waiting to be transmitted (a control
    /// message the primary sends first when its paths are re-established).
    pub(crate) fn enqueue_front(
        &mut self,
        id: u32,
        now: SimTime,
        msgs: &mut Slab<SimMessage>,
        out: &mut impl FnMut(LinkOut),
    ) {
        self.enqueue_at(true, id, now, msgs, out);
    }

    #[inline]
    fn enqueue_at(
        &mut self,
        front: bool,
        id: u32,
        now: SimTime,
        msgs: &mut Slab<SimMessage>,
        out: &mut impl FnMut(LinkOut),
    ) {
        msgs[id as usize].sent = now;
        if front {
            self.queue.push_front(id);
        } else {
            self.queue.push_back(id);
        }
        self.pump(now, msgs, out);
    }

    /// Takes message `id` back if it is still waiting to be transmitted (not on the wire):
    /// whether it was (the caller drops it).
    pub(crate) fn withdraw(&mut self, id: u32) -> bool {
        match self.queue.iter().position(|&m| m == id) {
            Some(i) => {
                self.queue.remove(i);
                true
            }
            None => false,
        }
    }

    /// Starts transmissions on idle paths.
    fn pump(&mut self, now: SimTime, msgs: &mut Slab<SimMessage>, out: &mut impl FnMut(LinkOut)) {
        if !self.up || self.sender_dead {
            return;
        }
        for p in 0..self.paths.len() {
            if self.paths[p].sending.is_some() {
                continue;
            }
            let Some(id) = self.queue.pop_front() else {
                return;
            };
            self.paths[p].sending = Some(id);
            self.paths[p].since = now;
            let m = &mut msgs[id as usize];
            m.tx_start = now;
            let bytes = m.bytes;
            let d = self.tx_time(bytes);
            self.bytes_sent += bytes + self.overhead;
            self.messages_sent += 1;
            out(LinkOut::TxDone {
                path: p as u8,
                epoch: self.epoch,
                after: d,
            });
        }
    }

    /// A path finished transmitting: the message propagates; the path takes the next one.
    pub(crate) fn tx_done(
        &mut self,
        path: u8,
        epoch: u32,
        now: SimTime,
        msgs: &mut Slab<SimMessage>,
        out: &mut impl FnMut(LinkOut),
    ) -> TxEnd {
        if epoch != self.epoch {
            return TxEnd::Stale;
        }
        let p = &mut self.paths[path as usize];
        let Some(id) = p.sending.take() else {
            return TxEnd::Stale;
        };
        if self.sender_dead {
            msgs.remove(id as usize);
            return TxEnd::LostWithSender;
        }
        self.busy_ns += (now - p.since).as_nanos();
        p.in_flight.push_back(id);
        msgs[id as usize].tx_done = now;
        out(LinkOut::Arrive {
            path,
            epoch,
            after: self.prop,
        });
        self.pump(now, msgs, out);
        TxEnd::Propagating
    }

    /// The oldest message on a path arrives: its id (taken off the link).
    pub(crate) fn arrive(&mut self, path: u8, epoch: u32) -> Option<u32> {
        if epoch != self.epoch {
            return None;
        }
        self.paths[path as usize].in_flight.pop_front()
    }

    /// Cuts the link: everything on the wire is lost and will be sent again, in order,
    /// after the restore (unless the sender is gone).
    pub(crate) fn cut(&mut self, now: SimTime, msgs: &mut Slab<SimMessage>) {
        if !self.up {
            return;
        }
        self.up = false;
        self.down_since = Some(now);
        self.epoch += 1;
        let mut lost: Vec<u32> = Vec::new();
        for p in &mut self.paths {
            lost.extend(p.in_flight.drain(..));
            if let Some(id) = p.sending.take() {
                if !self.sender_dead {
                    self.busy_ns += (now - p.since).as_nanos();
                }
                lost.push(id);
            }
        }
        // What is sent again waits in the queue: it has not been transmitted.
        for &id in &lost {
            if let Some(m) = msgs.get_mut(id as usize) {
                m.tx_start = SimTime::ZERO;
                m.tx_done = SimTime::ZERO;
            }
        }
        if self.sender_dead {
            for id in lost {
                msgs.remove(id as usize);
            }
            return;
        }
        // Retransmit in message order ahead of what was waiting.
        lost.sort_by_key(|&id| msgs[id as usize].msg_no);
        for id in lost.into_iter().rev() {
            self.queue.push_front(id);
        }
    }

    /// Restores the link.
    pub(crate) fn restore(
        &mut self,
        now: SimTime,
        msgs: &mut Slab<SimMessage>,
        out: &mut impl FnMut(LinkOut),
    ) {
        self.up = true;
        self.down_since = None;
        self.pump(now, msgs, out);
    }

    /// The sender is gone: nothing more leaves; what is propagating still arrives unless
    /// `cut`.
    pub(crate) fn sender_dies(&mut self, cut: bool, now: SimTime, msgs: &mut Slab<SimMessage>) {
        // Transmissions in progress count up to now; they will not complete.
        for p in &self.paths {
            if p.sending.is_some() {
                self.busy_ns += (now - p.since).as_nanos();
            }
        }
        self.sender_dead = true;
        for id in self.queue.drain(..) {
            msgs.remove(id as usize);
        }
        if cut {
            self.cut(now, msgs);
        }
    }

    /// An acknowledgment leaves the secondary at `now` over the reverse channel (same
    /// bandwidth and propagation, FIFO): when it arrives at the primary (`None`: the link
    /// is down).
    pub(crate) fn ack(&mut self, now: SimTime) -> Option<SimTime> {
        if !self.up {
            return None;
        }
        let start = self.reverse_free_at.max(now);
        let tx = self.tx_time(super::sizes::HEADER as u64 + super::sizes::ACK as u64);
        self.reverse_free_at = start + tx;
        Some(start + tx + self.prop)
    }

    /// Whether nothing is on the wire (or waiting to leave, while the sender lives).
    pub(crate) fn quiet(&self) -> bool {
        self.paths
            .iter()
            .all(|p| p.in_flight.is_empty() && p.sending.is_none())
            && (self.sender_dead || self.queue.is_empty())
    }
}

/// Turns what the link of `site` asked for into events.
fn route(ctx: &mut Ctx<'_, Ev>, comp: sim::ComponentId, site: u8, o: LinkOut) {
    match o {
        LinkOut::TxDone { path, epoch, after } => {
            ctx.schedule_in(after, comp, Ev::TxDone { site, path, epoch });
        }
        LinkOut::Arrive { path, epoch, after } => {
            ctx.schedule_in(after, comp, Ev::Arrive { site, path, epoch });
        }
    }
}

impl World {
    /// Queues message `id` on the link to `site`.
    pub(crate) fn link_enqueue(&mut self, site: usize, id: u32, ctx: &mut Ctx<'_, Ev>) {
        let comp = self.out[site].comp();
        let now = ctx.now();
        self.out[site]
            .link
            .enqueue(id, now, &mut self.msgs, &mut |o| {
                route(ctx, comp, site as u8, o)
            });
    }

    /// Queues message `id` on the link to `site` ahead of what waits there.
    pub(crate) fn link_enqueue_front(&mut self, site: usize, id: u32, ctx: &mut Ctx<'_, Ev>) {
        let comp = self.out[site].comp();
        let now = ctx.now();
        self.out[site]
            .link
            .enqueue_front(id, now, &mut self.msgs, &mut |o| {
                route(ctx, comp, site as u8, o)
            });
    }

    /// A path finished transmitting.
    pub(crate) fn on_tx_done(&mut self, site: u8, path: u8, epoch: u32, ctx: &mut Ctx<'_, Ev>) {
        let s = site as usize;
        let comp = self.out[s].comp();
        let now = ctx.now();
        let end = self.out[s]
            .link
            .tx_done(path, epoch, now, &mut self.msgs, &mut |o| {
                route(ctx, comp, site, o)
            });
        if end == TxEnd::LostWithSender {
            self.maybe_start_recovery(s, ctx);
        }
    }

    /// The oldest message on a path arrives at the secondary.
    pub(crate) fn on_arrive(&mut self, site: u8, path: u8, epoch: u32, ctx: &mut Ctx<'_, Ev>) {
        let s = site as usize;
        let Some(id) = self.out[s].link.arrive(path, epoch) else {
            return;
        };
        let mut msg = self.msgs.remove(id as usize);
        self.secondary_receive(s, &msg, ctx);
        // The message's lists serve again.
        for mut v in [
            std::mem::take(&mut msg.tokens),
            std::mem::take(&mut msg.data),
        ] {
            if v.capacity() > 0 && self.spare_lists.len() < 64 {
                v.clear();
                self.spare_lists.push(v);
            }
        }
        if !self.primary_alive {
            self.maybe_start_recovery(s, ctx);
        }
    }

    /// Cuts the link to `site`.
    pub(crate) fn link_cut(&mut self, site: usize, now: SimTime) {
        self.out[site].link.cut(now, &mut self.msgs);
    }

    /// Restores the link to `site`.
    pub(crate) fn link_restore(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        let comp = self.out[site].comp();
        let now = ctx.now();
        self.out[site].link.restore(now, &mut self.msgs, &mut |o| {
            route(ctx, comp, site as u8, o)
        });
    }

    /// The primary is gone: the link to `site` sends nothing more.
    pub(crate) fn link_sender_dies(&mut self, site: usize, cut: bool, now: SimTime) {
        self.out[site].link.sender_dies(cut, now, &mut self.msgs);
    }

    /// Sends `ev` from the secondary of `site` back to the primary over the link's reverse
    /// channel (an acknowledgment, a receipt or a read-journal command: one small message
    /// after the reverse channel's queue, transmission and propagation); nothing while the
    /// link is down, or once the primary is gone (nothing there would act on it).
    fn send_back(&mut self, site: usize, ev: Ev, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive {
            return;
        }
        let comp = self.out[site].comp();
        if let Some(at) = self.out[site].link.ack(ctx.now()) {
            let _ = ctx.schedule_at(at, comp, ev);
        }
    }

    /// Sends an acknowledgment of `seq` from `site` back to the primary.
    pub(crate) fn send_ack(&mut self, site: usize, seq: u64, ctx: &mut Ctx<'_, Ev>) {
        let site8 = site as u8;
        self.send_back(site, Ev::AckArrive { site: site8, seq }, ctx);
    }

    /// `srdfa`: the secondary of `site` confirms that it received the whole of `cycle`.
    pub(crate) fn send_cycle_receipt(&mut self, site: usize, cycle: u32, ctx: &mut Ctx<'_, Ev>) {
        let site8 = site as u8;
        self.send_back(site, Ev::CycleReceived { site: site8, cycle }, ctx);
    }

    /// `gm`: the secondary of `site` reports its FlashCopy of consistency group `cg`
    /// complete.
    pub(crate) fn send_cg_formed(&mut self, site: usize, cg: u32, ctx: &mut Ctx<'_, Ev>) {
        let site8 = site as u8;
        self.send_back(site, Ev::CgFormed { site: site8, cg }, ctx);
    }

    /// `ur`: the secondary of `site` sends a read-journal command to the primary.
    pub(crate) fn send_journal_read(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        let site8 = site as u8;
        self.send_back(site, Ev::JournalRead { site: site8 }, ctx);
    }

    /// Whether the link to `site` has nothing on the wire.
    pub(crate) fn link_quiet(&self, site: usize) -> bool {
        self.out[site].link.quiet()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(msgs: &mut Slab<SimMessage>, msg_no: u32, bytes: u64) -> u32 {
        msgs.insert(SimMessage {
            msg_no,
            bytes,
            ..Default::default()
        }) as u32
    }

    /// A message still waiting can be withdrawn (not one on the wire); a message queued at
    /// the front leaves first when the link is restored.
    #[test]
    fn a_waiting_message_is_withdrawn_and_a_front_message_leaves_first() {
        let cfg = LinkConfig {
            bandwidth_bps: 8_000_000,
            overhead_bytes: 0,
            ..LinkConfig::default()
        };
        let mut l = Link::new(&cfg);
        let mut msgs = Slab::new();
        let (a, b, c) = (
            msg(&mut msgs, 0, 100),
            msg(&mut msgs, 1, 100),
            msg(&mut msgs, 2, 100),
        );
        let mut outs = Vec::new();
        let t0 = SimTime::ZERO;
        l.enqueue(a, t0, &mut msgs, &mut |o| outs.push(o));
        l.enqueue(b, t0, &mut msgs, &mut |o| outs.push(o));
        assert!(!l.withdraw(a), "on the wire: too late");
        l.cut(t0, &mut msgs);
        assert_eq!(l.queued(), 2, "the cut put a back in the queue");
        assert!(l.withdraw(a) && !l.withdraw(a));
        assert_eq!(l.queued(), 1);
        l.enqueue_front(c, t0, &mut msgs, &mut |o| outs.push(o));
        outs.clear();
        l.restore(t0, &mut msgs, &mut |o| outs.push(o));
        assert_eq!(outs.len(), 1);
        assert_eq!(l.paths[0].sending, Some(c), "the front message goes first");
    }

    /// One path: the second message waits for the first; a transmission end starts the
    /// propagation and the next transmission; a cut loses what is on the wire and sends it
    /// again first, in message order, after the restore.
    #[test]
    fn a_path_sends_in_order_and_a_cut_resends_what_was_on_the_wire() {
        let cfg = LinkConfig {
            bandwidth_bps: 8_000_000, // 1 byte per us
            overhead_bytes: 0,
            distance_km: 100.0, // 500 us
            ..LinkConfig::default()
        };
        let mut l = Link::new(&cfg);
        let mut msgs = Slab::new();
        let (a, b) = (msg(&mut msgs, 0, 1000), msg(&mut msgs, 1, 500));
        let mut outs = Vec::new();
        let t0 = SimTime::ZERO;
        l.enqueue(a, t0, &mut msgs, &mut |o| outs.push(o));
        l.enqueue(b, t0, &mut msgs, &mut |o| outs.push(o));
        assert_eq!(
            outs,
            [LinkOut::TxDone {
                path: 0,
                epoch: 0,
                after: SimDuration::from_micros(1000)
            }]
        );
        assert_eq!((l.queued(), l.in_flight()), (1, 1));
        outs.clear();
        let t1 = t0 + SimDuration::from_micros(1000);
        assert_eq!(
            l.tx_done(0, 0, t1, &mut msgs, &mut |o| outs.push(o)),
            TxEnd::Propagating
        );
        assert_eq!(
            outs,
            [
                LinkOut::Arrive {
                    path: 0,
                    epoch: 0,
                    after: SimDuration::from_micros(500)
                },
                LinkOut::TxDone {
                    path: 0,
                    epoch: 0,
                    after: SimDuration::from_micros(500)
                }
            ]
        );
        assert!(!l.quiet());
        // Cut while `a` propagates and `b` transmits: both go back to the queue, `a` first.
        l.cut(t1 + SimDuration::from_micros(100), &mut msgs);
        assert!(!l.is_up());
        assert_eq!(l.arrive(0, 0), None, "events of the old epoch are stale");
        assert_eq!(
            l.tx_done(0, 0, t1, &mut msgs, &mut |_| panic!()),
            TxEnd::Stale
        );
        assert_eq!(l.queued(), 2);
        outs.clear();
        l.restore(t1 + SimDuration::from_micros(200), &mut msgs, &mut |o| {
            outs.push(o)
        });
        assert_eq!(outs.len(), 1);
        assert_eq!(l.paths[0].sending, Some(a));
        // The reverse channel: an ack takes its transmission plus the propagation.
        let at = l.ack(t1).expect("up");
        assert!(at > t1 + SimDuration::from_micros(500));
        // The sender dies: what waits is dropped; nothing more leaves.
        l.sender_dies(false, t1 + SimDuration::from_micros(300), &mut msgs);
        assert_eq!(l.queued(), 0);
        assert!(!msgs.contains(b as usize));
    }
}
