//! IBM Global Mirror (DS8000) at the primary: Global Copy plus consistency groups, a sans-IO
//! state machine.
//!
//! **Global Copy** sends changed tracks to the secondary (B) volumes as the link can take
//! them: the primary records changed tracks in an out-of-sync bitmap and a background task
//! sends them, each changed track whole and once however often it changed since it was last
//! sent. The B volumes are not consistent. Periodically the master forms a **consistency
//! group** (CG): at the CG's point the primary starts recording new changes in a
//! change-recording bitmap and stops sending them; it *drains* every change made before the
//! point to the secondary; once drained it has the secondary take a FlashCopy of B onto the
//! C volumes, which become the recoverable image. Then sending resumes and, after the
//! consistency group interval, the next CG starts. If the drain takes longer than the
//! maximum drain time, the CG fails: Global Copy resumes (the held changes included) and
//! the next attempt waits for the interval. At a disaster the secondary recovers the C
//! volumes: the last CG whose FlashCopy completed.
//!
//! This component decides from what the primary knows: its clock, what it has sent, whether
//! its link still has data waiting or being transmitted, and the FlashCopy completions
//! reported back over the link. Which writes are "before the point" is the world's (the
//! writes numbered, in order, whose data is in cache; the same cut as `srdfa`'s switch).
//! Not modelled: the coordination pause of the host writes (the maximum coordination time,
//! 50 ms by default, is a bound the CG's point rarely needs) and collisions (a write to a
//! track not yet drained does not wait: the drained content is the track at the point).

use sim::{SimDuration, SimTime};

/// Global Mirror's session parameters.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GmParams {
    /// Consistency group interval: from a CG's completion (or failure) to the next start.
    pub interval: SimDuration,
    /// Maximum drain time: a CG whose drain takes longer fails.
    pub max_drain: SimDuration,
}

/// What the CG is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Global Copy only: everything changed is sent.
    GlobalCopy,
    /// CG `cg` with point `point` (sequence number), draining since `start`.
    Draining { cg: u32, point: u64, start: SimTime },
    /// Drained: the FlashCopy of CG `cg` is requested; `waiting` sites (a bit each) have not
    /// reported it complete.
    Committing { cg: u32, point: u64, waiting: u32 },
}

/// What a pump step asks the world to do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pump {
    /// Send the writes `from..=upto` (Global Copy or drain).
    pub send: Option<(u64, u64)>,
    /// Ask every site for the FlashCopy of CG `cg` (every write up to `point` drained).
    pub flash: Option<(u32, u64)>,
    /// The CG being drained failed (drain longer than the maximum drain time).
    pub failed: bool,
}

/// The primary's Global Mirror state.
#[derive(Clone, Debug)]
pub(crate) struct GlobalMirror {
    p: GmParams,
    phase: Phase,
    /// Highest sequence number handed to the link.
    last_sent: u64,
    /// When the next CG may start.
    next_cg_at: SimTime,
    /// CG numbers, from 1.
    cgs_started: u32,
    /// CGs completed (every site's FlashCopy done).
    pub formed: u64,
    /// CGs failed on the drain time.
    pub failed: u64,
    /// Point of the last CG formed (0: none).
    pub last_point: u64,
    /// Sum and maximum of the CGs' durations (start to FlashCopy complete), ns.
    pub cg_ns_sum: u64,
    /// Longest CG, ns.
    pub cg_ns_max: u64,
    /// Start of the CG being formed.
    cg_start: SimTime,
}

impl GlobalMirror {
    /// A session whose first CG starts after one interval.
    pub(crate) fn new(p: GmParams) -> Self {
        GlobalMirror {
            p,
            phase: Phase::GlobalCopy,
            last_sent: 0,
            next_cg_at: SimTime::ZERO + p.interval,
            cgs_started: 0,
            formed: 0,
            failed: 0,
            last_point: 0,
            cg_ns_sum: 0,
            cg_ns_max: 0,
            cg_start: SimTime::ZERO,
        }
    }

    /// One step at `now`: `ready` is the highest sequence number whose data is in cache with
    /// every earlier one; `link_idle`: nothing waits for the link; `link_empty`: nothing is
    /// waiting or being transmitted (what was sent has left the primary).
    pub(crate) fn pump(
        &mut self,
        now: SimTime,
        ready: u64,
        link_idle: bool,
        link_empty: bool,
    ) -> Pump {
        let mut out = Pump::default();
        if self.phase == Phase::GlobalCopy && now >= self.next_cg_at {
            self.cgs_started += 1;
            self.cg_start = now;
            self.phase = Phase::Draining {
                cg: self.cgs_started,
                point: ready,
                start: now,
            };
        }
        let limit = match self.phase {
            Phase::GlobalCopy => ready,
            Phase::Draining { point, .. } | Phase::Committing { point, .. } => point.min(ready),
        };
        if link_idle && self.last_sent < limit {
            out.send = Some((self.last_sent + 1, limit));
            self.last_sent = limit;
        }
        if let Phase::Draining { cg, point, start } = self.phase {
            if self.last_sent >= point && out.send.is_none() && link_empty {
                self.phase = Phase::Committing {
                    cg,
                    point,
                    waiting: u32::MAX,
                };
                out.flash = Some((cg, point));
            } else if now.saturating_since(start) > self.p.max_drain {
                self.failed += 1;
                self.phase = Phase::GlobalCopy;
                self.next_cg_at = now + self.p.interval;
                out.failed = true;
            }
        }
        out
    }

    /// The FlashCopy of CG `cg` was requested from the sites in `sites` (a bit each).
    pub(crate) fn flash_sent(&mut self, cg: u32, sites: u32) {
        if let Phase::Committing { cg: c, point, .. } = self.phase
            && c == cg
        {
            self.phase = Phase::Committing {
                cg,
                point,
                waiting: sites,
            };
        }
    }

    /// Site `site` reports the FlashCopy of CG `cg` complete at `now`: whether the CG is now
    /// formed (every site done).
    pub(crate) fn flash_done(&mut self, site: usize, cg: u32, now: SimTime) -> bool {
        let Phase::Committing {
            cg: c,
            point,
            waiting,
        } = self.phase
        else {
            return false;
        };
        if c != cg {
            return false;
        }
        let left = waiting & !(1u32 << site);
        if left != 0 {
            self.phase = Phase::Committing {
                cg,
                point,
                waiting: left,
            };
            return false;
        }
        self.formed += 1;
        self.last_point = point;
        let took = now.saturating_since(self.cg_start).as_nanos();
        self.cg_ns_sum += took;
        self.cg_ns_max = self.cg_ns_max.max(took);
        self.phase = Phase::GlobalCopy;
        self.next_cg_at = now + self.p.interval;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_millis(n)
    }

    fn gm() -> GlobalMirror {
        GlobalMirror::new(GmParams {
            interval: SimDuration::from_millis(100),
            max_drain: SimDuration::from_millis(500),
        })
    }

    #[test]
    fn global_copy_sends_what_is_ready_when_the_link_is_idle() {
        let mut g = gm();
        assert_eq!(g.pump(ms(10), 5, true, true).send, Some((1, 5)));
        assert_eq!(g.pump(ms(20), 9, false, false).send, None, "link busy");
        assert_eq!(g.pump(ms(30), 9, true, false).send, Some((6, 9)));
    }

    #[test]
    fn a_cg_holds_later_writes_drains_and_forms_on_every_flashcopy() {
        let mut g = gm();
        g.pump(ms(50), 3, true, true);
        // The CG starts at its interval with point 7; writes after 7 are held.
        let p = g.pump(ms(100), 7, true, false);
        assert_eq!(p.send, Some((4, 7)));
        assert_eq!(p.flash, None, "still on the link");
        let p = g.pump(ms(110), 12, true, true);
        assert_eq!(p.send, None, "8.. held until the CG is formed");
        assert_eq!(p.flash, Some((1, 7)));
        g.flash_sent(1, 0b11);
        assert!(!g.flash_done(0, 1, ms(150)));
        assert!(g.flash_done(1, 1, ms(160)));
        assert_eq!((g.formed, g.last_point), (1, 7));
        assert_eq!(g.cg_ns_max, 60_000_000);
        // Sending resumes; the next CG waits for the interval.
        let p = g.pump(ms(170), 12, true, true);
        assert_eq!((p.send, p.flash), (Some((8, 12)), None));
    }

    #[test]
    fn a_drain_longer_than_the_maximum_fails_the_cg_and_sending_resumes() {
        let mut g = gm();
        g.pump(ms(100), 7, true, false);
        assert!(!g.pump(ms(400), 9, false, false).failed);
        let p = g.pump(ms(601), 9, false, false);
        assert!(p.failed);
        assert_eq!(g.failed, 1);
        let p = g.pump(ms(602), 9, true, false);
        assert_eq!(p.send, Some((8, 9)), "the held writes go again");
        assert_eq!(g.formed, 0);
    }
}
