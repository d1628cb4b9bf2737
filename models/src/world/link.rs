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

impl World {
    /// Queues message `id` on the link to `site` and starts transmitting if a path is free.
    pub(crate) fn link_enqueue(&mut self, site: usize, id: u32, ctx: &mut Ctx<'_, Ev>) {
        self.msgs[id as usize].sent = ctx.now();
        self.out[site].link.queue.push_back(id);
        self.link_pump(site, ctx);
    }

    /// Starts transmissions on idle paths.
    fn link_pump(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        let comp = self.out[site].comp;
        let l = &mut self.out[site].link;
        if !l.up || l.sender_dead {
            return;
        }
        for p in 0..l.paths.len() {
            if l.paths[p].sending.is_some() {
                continue;
            }
            let Some(id) = l.queue.pop_front() else {
                return;
            };
            l.paths[p].sending = Some(id);
            l.paths[p].since = ctx.now();
            let m = &mut self.msgs[id as usize];
            m.tx_start = ctx.now();
            let bytes = m.bytes;
            let d = l.tx_time(bytes);
            l.bytes_sent += bytes + l.overhead;
            l.messages_sent += 1;
            ctx.schedule_in(
                d,
                comp,
                Ev::TxDone {
                    site: site as u8,
                    path: p as u8,
                    epoch: l.epoch,
                },
            );
        }
    }

    /// A path finished transmitting: the message propagates; the path takes the next one.
    pub(crate) fn on_tx_done(&mut self, site: u8, path: u8, epoch: u32, ctx: &mut Ctx<'_, Ev>) {
        let s = site as usize;
        let comp = self.out[s].comp;
        let l = &mut self.out[s].link;
        if epoch != l.epoch {
            return;
        }
        let p = &mut l.paths[path as usize];
        let Some(id) = p.sending.take() else { return };
        if !l.sender_dead {
            l.busy_ns += (ctx.now() - p.since).as_nanos();
        }
        if l.sender_dead {
            // The primary died while this message was leaving: it never left whole.
            self.msgs.remove(id as usize);
            self.maybe_start_recovery(s, ctx);
            return;
        }
        p.in_flight.push_back(id);
        self.msgs[id as usize].tx_done = ctx.now();
        ctx.schedule_in(l.prop, comp, Ev::Arrive { site, path, epoch });
        self.link_pump(s, ctx);
    }

    /// The oldest message on a path arrives at the secondary.
    pub(crate) fn on_arrive(&mut self, site: u8, path: u8, epoch: u32, ctx: &mut Ctx<'_, Ev>) {
        let s = site as usize;
        let l = &mut self.out[s].link;
        if epoch != l.epoch {
            return;
        }
        let Some(id) = l.paths[path as usize].in_flight.pop_front() else {
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

    /// Cuts the link to `site`: everything on the wire is lost and will be sent again, in
    /// order, after the restore (unless the primary is gone).
    pub(crate) fn link_cut(&mut self, site: usize, now: SimTime) {
        let l = &mut self.out[site].link;
        if !l.up {
            return;
        }
        l.up = false;
        l.down_since = Some(now);
        l.epoch += 1;
        let mut lost: Vec<u32> = Vec::new();
        for p in &mut l.paths {
            lost.extend(p.in_flight.drain(..));
            if let Some(id) = p.sending.take() {
                if !l.sender_dead {
                    l.busy_ns += (now - p.since).as_nanos();
                }
                lost.push(id);
            }
        }
        // What is sent again waits in the queue: it has not been transmitted.
        for &id in &lost {
            if let Some(m) = self.msgs.get_mut(id as usize) {
                m.tx_start = SimTime::ZERO;
                m.tx_done = SimTime::ZERO;
            }
        }
        if l.sender_dead {
            for id in lost {
                self.msgs.remove(id as usize);
            }
            return;
        }
        // Retransmit in message order ahead of what was waiting.
        lost.sort_by_key(|&id| self.msgs[id as usize].msg_no);
        for id in lost.into_iter().rev() {
            l.queue.push_front(id);
        }
    }

    /// Restores the link to `site`.
    pub(crate) fn link_restore(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        self.out[site].link.up = true;
        self.out[site].link.down_since = None;
        self.link_pump(site, ctx);
    }

    /// The primary is gone: nothing more leaves; what is propagating still arrives unless
    /// `cut`.
    pub(crate) fn link_sender_dies(&mut self, site: usize, cut: bool, now: SimTime) {
        let l = &mut self.out[site].link;
        // Transmissions in progress count up to now; they will not complete.
        for p in &l.paths {
            if p.sending.is_some() {
                l.busy_ns += (now - p.since).as_nanos();
            }
        }
        l.sender_dead = true;
        let queued: Vec<u32> = l.queue.drain(..).collect();
        for id in queued {
            self.msgs.remove(id as usize);
        }
        if cut {
            self.link_cut(site, now);
        }
    }

    /// Sends an acknowledgment of `seq` from `site` back to the primary over the reverse
    /// channel (same bandwidth and propagation, FIFO).
    pub(crate) fn send_ack(&mut self, site: usize, seq: u64, ctx: &mut Ctx<'_, Ev>) {
        let comp = self.out[site].comp;
        let l = &mut self.out[site].link;
        if !l.up || !self.primary_alive {
            return;
        }
        let start = l.reverse_free_at.max(ctx.now());
        let tx = l.tx_time(super::sizes::HEADER as u64 + super::sizes::ACK as u64);
        l.reverse_free_at = start + tx;
        let at = start + tx + l.prop;
        let _ = ctx.schedule_at(
            at,
            comp,
            Ev::AckArrive {
                site: site as u8,
                seq,
            },
        );
    }

    /// Whether the link to `site` has nothing on the wire.
    pub(crate) fn link_quiet(&self, site: usize) -> bool {
        let l = &self.out[site].link;
        l.paths
            .iter()
            .all(|p| p.in_flight.is_empty() && p.sending.is_none())
            && (l.sender_dead || l.queue.is_empty())
    }
}
