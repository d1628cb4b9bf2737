//! The serializer (the patent's DSM): a FIFO single server that gives each write token the
//! next global sequence number. A sans-IO state machine: it is told what arrives and when
//! its service ends, and answers with what to schedule; the world routes.

use sim::{ComponentId, SimDuration, SimTime};
use std::collections::VecDeque;

/// What the serializer asks the world to do.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum SerializerOut {
    /// Nothing (the server is busy; the token waits in the queue).
    Idle,
    /// Schedule the end of a service after this long.
    ServeFor(SimDuration),
}

/// The serializer's state. See the module documentation.
#[derive(Clone, Debug)]
pub(crate) struct Serializer {
    comp: ComponentId,
    service: SimDuration,
    /// Waiting tokens: I/O slot and arrival time.
    queue: VecDeque<(u32, SimTime)>,
    busy: bool,
    last_seq: u64,
    tokens: u64,
    busy_time: SimDuration,
}

impl Serializer {
    /// A serializer registered as `comp`, serving each token in `service`.
    pub(crate) fn new(comp: ComponentId, service: SimDuration) -> Self {
        Serializer {
            comp,
            service,
            queue: VecDeque::new(),
            busy: false,
            last_seq: 0,
            tokens: 0,
            busy_time: SimDuration::ZERO,
        }
    }

    /// Its component (the target of its events).
    pub(crate) fn comp(&self) -> ComponentId {
        self.comp
    }

    /// The token of I/O `io` arrives at `now`.
    pub(crate) fn token_in(&mut self, io: u32, now: SimTime) -> SerializerOut {
        self.queue.push_back((io, now));
        if self.busy {
            return SerializerOut::Idle;
        }
        self.start()
    }

    fn start(&mut self) -> SerializerOut {
        self.busy = true;
        self.busy_time += self.service;
        SerializerOut::ServeFor(self.service)
    }

    /// A service ends: the token served (I/O slot, its wait before service began) and
    /// what to schedule next.
    pub(crate) fn served(&mut self, now: SimTime) -> (Option<(u32, SimDuration)>, SerializerOut) {
        let done = self.queue.pop_front().map(|(io, arrived)| {
            self.tokens += 1;
            // Its service started one service time ago.
            let started = now.saturating_since(SimTime::ZERO + self.service);
            let wait = started.as_nanos().saturating_sub(arrived.as_nanos());
            (io, SimDuration::from_nanos(wait))
        });
        let next = if self.queue.is_empty() {
            self.busy = false;
            SerializerOut::Idle
        } else {
            self.start()
        };
        (done, next)
    }

    /// The next global sequence number (dense from 1).
    pub(crate) fn number(&mut self) -> u64 {
        self.last_seq += 1;
        self.last_seq
    }

    /// The highest sequence number given so far.
    pub(crate) fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Tokens waiting.
    pub(crate) fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Whether a service is in progress.
    pub(crate) fn busy(&self) -> bool {
        self.busy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_served_first_come_first_served_one_at_a_time() {
        let us = SimDuration::from_micros;
        let mut s = Serializer::new(ComponentId::default(), us(20));
        let t0 = SimTime::ZERO + us(100);
        assert_eq!(s.token_in(7, t0), SerializerOut::ServeFor(us(20)));
        assert_eq!(s.token_in(8, t0 + us(5)), SerializerOut::Idle);
        assert!(s.busy() && s.queued() == 2);
        let (done, next) = s.served(t0 + us(20));
        assert_eq!(done, Some((7, SimDuration::ZERO)));
        assert_eq!(next, SerializerOut::ServeFor(us(20)));
        // Token 8 waited from 105 us until its service began at 120 us.
        let (done, next) = s.served(t0 + us(40));
        assert_eq!(done, Some((8, us(15))));
        assert_eq!(next, SerializerOut::Idle);
        assert!(!s.busy());
        assert_eq!((s.number(), s.number(), s.last_seq()), (1, 2, 2));
    }
}
