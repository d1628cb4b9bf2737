//! The primary's outbound side of one site's link: the message being built and its
//! batching timer, message numbers (M0 continuity), the site's dense ordinals, the last
//! acknowledgment received, initial-copy numbers, and the link itself.
//!
//! [`Outbound`] applies the patent's batching rule: a message goes when it is full or when
//! the timer, counted from the sending of the preceding message, expires (at once when it
//! already has). The world asks it what to do and carries it out (sets and cancels the
//! timer, hands messages to the link).

use super::{SimMessage, link::Link};
use sim::{ComponentId, SimDuration, SimTime, TimerId};
use slab::Slab;

/// See the module documentation.
#[derive(Clone, Debug)]
pub(crate) struct Outbound {
    comp: ComponentId,
    /// The message being built.
    building: Option<u32>,
    timer: Option<TimerId>,
    next_msg_no: u32,
    /// The newest ordinal given to a write routed to the site.
    next_ord: u64,
    /// The link to the site.
    pub(crate) link: Link,
    /// Highest sequence number the site acknowledged.
    acked: u64,
    /// When the preceding data message was handed to the link (the batching timer runs
    /// from here, as the patent says).
    last_sent: SimTime,
    /// Initial copies sent to the site so far (their numbers identify them).
    initial_copies: u32,
}

impl Outbound {
    /// The outbound side of a site registered as `comp`, over `link`.
    pub fn new(comp: ComponentId, link: Link) -> Self {
        Outbound {
            comp,
            building: None,
            timer: None,
            next_msg_no: 0,
            next_ord: 0,
            link,
            acked: 0,
            last_sent: SimTime::ZERO,
            initial_copies: 0,
        }
    }

    /// The site's component (its events and stream).
    pub fn comp(&self) -> ComponentId {
        self.comp
    }

    /// Opens the next message to this site: gives `msg` the next message number (M0
    /// continuity) and stores it in `msgs`; its id and number.
    pub fn open(&mut self, msgs: &mut Slab<SimMessage>, mut msg: SimMessage) -> (u32, u32) {
        msg.msg_no = self.next_msg_no;
        self.next_msg_no += 1;
        (msgs.insert(msg) as u32, self.next_msg_no - 1)
    }

    /// The ordinal of the next write routed to the site (dense from 1).
    pub fn next_ordinal(&mut self) -> u64 {
        self.next_ord += 1;
        self.next_ord
    }

    /// Ordinals given so far (the newest).
    pub fn ordinals(&self) -> u64 {
        self.next_ord
    }

    /// The message being built, if any.
    pub fn building(&self) -> Option<u32> {
        self.building
    }

    /// Whether the message being built cannot take `size` more bytes under `limit` (it
    /// must go first).
    pub fn full_for(&self, msgs: &Slab<SimMessage>, size: u64, limit: u64) -> bool {
        self.building
            .is_some_and(|id| msgs[id as usize].bytes + size > limit)
    }

    /// Message `id` (number `msg_no`) is now being built at `now`: the delay after which
    /// its batching timer must fire, or `None` when the timer, counted from the preceding
    /// message's sending, has already expired (it goes as soon as it has anything).
    pub fn start_building(
        &mut self,
        id: u32,
        now: SimTime,
        batch_timer: SimDuration,
    ) -> Option<SimDuration> {
        self.building = Some(id);
        let due = self.last_sent + batch_timer;
        (due > now).then(|| due - now)
    }

    /// The batching timer of the message being built was set.
    pub fn timer_set(&mut self, t: TimerId) {
        self.timer = Some(t);
    }

    /// After adding to the message being built (now `bytes` long): whether it goes now
    /// (full, or its timer already expired).
    pub fn goes_now(&self, bytes: u64, limit: u64) -> bool {
        bytes >= limit || self.timer.is_none()
    }

    /// The batching timer of message `msg_no` fired: whether it is still the one being
    /// built (and goes now).
    pub fn timer_fired(&mut self, msgs: &Slab<SimMessage>, msg_no: u32) -> bool {
        match self.building {
            Some(id) if msgs[id as usize].msg_no == msg_no => {
                self.timer = None;
                true
            }
            _ => false,
        }
    }

    /// The message being built goes at `now`: its id, and the timer to cancel.
    pub fn take_for_sending(&mut self, now: SimTime) -> Option<(u32, Option<TimerId>)> {
        let id = self.building.take()?;
        self.last_sent = now;
        Some((id, self.timer.take()))
    }

    /// The primary is lost: the message being built and its timer, to discard.
    pub fn abandon(&mut self) -> (Option<u32>, Option<TimerId>) {
        (self.building.take(), self.timer.take())
    }

    /// An acknowledgment up to `seq` arrived: the first sequence number it newly secures
    /// (before `oldest`, the oldest write in flight, nothing is left), or `None` when it
    /// adds nothing.
    pub fn acknowledged(&mut self, seq: u64, oldest: u64) -> Option<u64> {
        if seq <= self.acked {
            return None;
        }
        let from = (self.acked + 1).max(oldest);
        self.acked = seq;
        Some(from)
    }

    /// A fresh initial-copy number.
    pub fn next_initial_copy(&mut self) -> u32 {
        self.initial_copies += 1;
        self.initial_copies
    }
}
