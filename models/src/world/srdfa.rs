//! SRDF/A's delta-set cycles at the primary array (R1), a sans-IO state machine.
//!
//! EMC SRDF/A keeps two delta sets in the primary's cache: the *capture* set (cycle N),
//! which collects the writes as they are made, and the *transmit* set (N-1), which is being
//! sent. At a *cycle switch* the capture set becomes the transmit set and a new capture set
//! opens. A switch happens when the minimum cycle time has passed since the last one **and**
//! the previous transmit set is gone: every site confirmed that it received all of it. A
//! slow link therefore stretches the cycle. A record written several times within one cycle
//! is sent once with its latest content (write folding; the world's `set_latest_content`).
//!
//! The secondary (R2) keeps a *receive* set (N-1, arriving) and an *apply* set (N-2,
//! complete). The receive set becomes the apply set only at the next switch (the first
//! message of a later cycle); at a disaster the receive set is discarded, complete or not.
//! So the recovered image is at the start of the cycle before the one in transit: the
//! data-loss window lies between one and two cycle times.
//!
//! This component decides when to switch from what R1 knows: its own clock and the receipt
//! confirmations that crossed the link. Which writes a cycle holds is the world's (the
//! writes numbered, in order, whose data is in cache: a write still in flight at the switch
//! goes to the next cycle with every later one).

use sim::{SimDuration, SimTime};

/// A cycle switch: the capture set `cycle` (sequence numbers `from..=upto`, empty when
/// `upto < from`) becomes the transmit set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Switch {
    /// The cycle number of the set that is now transmitted.
    pub cycle: u32,
    /// Its first sequence number.
    pub from: u64,
    /// Its last sequence number.
    pub upto: u64,
}

/// What a receipt confirmation changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Received {
    /// The transmit set is gone: its sequence numbers (`from..=upto`).
    pub gone: Option<(u64, u64)>,
    /// Switch now.
    pub switch: bool,
}

/// The primary's cycle state.
#[derive(Clone, Debug)]
pub(crate) struct Cycles {
    /// Minimum cycle time.
    min_cycle: SimDuration,
    /// Number of the capture cycle (the next to become the transmit set), from 1.
    capture: u32,
    /// First sequence number of the capture set.
    capture_from: u64,
    /// The transmit set's cycle, the sites that have not confirmed its receipt (a bit per
    /// site) and its sequence numbers, if one is out.
    transmit: Option<(u32, u32, u64, u64)>,
    /// When the last switch happened.
    last_switch: SimTime,
    /// The minimum cycle time ran out while the transmit set was out: switch on receipt.
    overdue: bool,
    /// Switches so far.
    pub switches: u64,
    /// Sum and maximum of the cycle times (switch to switch), ns.
    pub cycle_ns_sum: u64,
    /// Longest cycle, ns.
    pub cycle_ns_max: u64,
}

impl Cycles {
    /// Cycles with minimum cycle time `min_cycle`, the first opened at time zero.
    pub(crate) fn new(min_cycle: SimDuration) -> Self {
        Cycles {
            min_cycle,
            capture: 1,
            capture_from: 1,
            transmit: None,
            last_switch: SimTime::ZERO,
            overdue: false,
            switches: 0,
            cycle_ns_sum: 0,
            cycle_ns_max: 0,
        }
    }

    /// The capture cycle's number.
    #[cfg(test)]
    fn capture(&self) -> u32 {
        self.capture
    }

    /// Whether a transmit set is out (not yet confirmed by every site).
    #[cfg(test)]
    fn transmitting(&self) -> bool {
        self.transmit.is_some()
    }

    /// The cycle timer ran out at `now`: whether to switch now (no transmit set out);
    /// otherwise the switch waits for the receipt confirmations.
    pub(crate) fn timer(&mut self, _now: SimTime) -> bool {
        if self.transmit.is_some() {
            self.overdue = true;
            false
        } else {
            true
        }
    }

    /// Switches at `now`: the capture set up to `upto` becomes the transmit set, awaited
    /// from the sites in `sites` (a bit per site).
    pub(crate) fn switch(&mut self, now: SimTime, upto: u64, sites: u32) -> Switch {
        let s = Switch {
            cycle: self.capture,
            from: self.capture_from,
            upto,
        };
        let took = now.saturating_since(self.last_switch).as_nanos();
        self.cycle_ns_sum += took;
        self.cycle_ns_max = self.cycle_ns_max.max(took);
        self.switches += 1;
        self.last_switch = now;
        self.overdue = false;
        self.capture += 1;
        self.capture_from = self.capture_from.max(upto + 1);
        self.transmit = (sites != 0).then_some((s.cycle, sites, s.from, upto));
        s
    }

    /// Site `site` confirmed that it received all of cycle `cycle`: once every site has,
    /// the transmit set is gone (its sequence numbers are returned: its cache slots are
    /// free), and the switch is due now if the minimum cycle time ran out meanwhile.
    pub(crate) fn received(&mut self, site: usize, cycle: u32) -> Received {
        let Some((c, waiting, from, upto)) = self.transmit else {
            return Received::default();
        };
        if c != cycle {
            return Received::default();
        }
        let left = waiting & !(1u32 << site);
        if left == 0 {
            self.transmit = None;
            Received {
                gone: Some((from, upto)),
                switch: self.overdue,
            }
        } else {
            self.transmit = Some((c, left, from, upto));
            Received::default()
        }
    }

    /// When the next cycle timer should fire, seen from a switch at `now`.
    pub(crate) fn next_timer(&self, now: SimTime) -> SimTime {
        now + self.min_cycle
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    #[test]
    fn a_cycle_switches_on_its_timer_when_the_transmit_set_is_gone() {
        let mut c = Cycles::new(SimDuration::from_secs(15));
        assert!(c.timer(t(15)));
        let s = c.switch(t(15), 40, 0b1);
        assert_eq!(
            s,
            Switch {
                cycle: 1,
                from: 1,
                upto: 40
            }
        );
        assert!(c.transmitting());
        // Receipt before the timer: the next switch waits for the timer.
        assert_eq!(
            c.received(0, 1),
            Received {
                gone: Some((1, 40)),
                switch: false
            }
        );
        assert!(!c.transmitting());
        assert!(c.timer(t(30)));
        let s = c.switch(t(30), 55, 0b1);
        assert_eq!((s.cycle, s.from, s.upto), (2, 41, 55));
        assert_eq!(c.cycle_ns_max, 15_000_000_000);
    }

    #[test]
    fn a_slow_transmit_stretches_the_cycle_until_every_site_confirms() {
        let mut c = Cycles::new(SimDuration::from_secs(15));
        c.switch(t(15), 10, 0b11);
        assert!(!c.timer(t(30)), "transmit set still out");
        assert_eq!(
            c.received(0, 1),
            Received::default(),
            "site 1 has not confirmed"
        );
        assert_eq!(
            c.received(0, 0),
            Received::default(),
            "another cycle is ignored"
        );
        let r = c.received(1, 1);
        assert!(r.switch, "overdue: switch on the last confirmation");
        assert_eq!(r.gone, Some((1, 10)));
        let s = c.switch(t(42), 10, 0b11);
        assert_eq!((s.cycle, s.from, s.upto), (2, 11, 10), "an empty cycle");
        assert_eq!(c.cycle_ns_max, 27_000_000_000);
        assert_eq!(c.capture(), 3);
    }
}
