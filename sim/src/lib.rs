//! # sim: the deterministic discrete-event kernel of xrcsim
//!
//! Knows nothing of DASD. It provides:
//! - [`SimTime`] / [`SimDuration`]: integer nanoseconds, readable and parseable;
//! - [`EventQueue`]: total, stable order (time, then scheduling order), cancellable timers;
//! - [`Simulation`]: drives a [`Model`] (a set of components addressed by [`ComponentId`]),
//!   one event at a time, until a time, an event count or a predicate;
//! - [`Registry`] and [`rng`]: a master seed and an independent ChaCha8 stream per named
//!   component, plus the distributions the models need;
//! - [`Hook`] and [`TraceHash`]: zero-cost observation of every dispatched event and a
//!   running 64-bit hash for determinism checks.
//!
//! A model is a plain state machine: `handle(event, ctx)` changes its state and schedules
//! events through `ctx`; it does no I/O and reads no clock, so a run is a pure function of
//! (model, seed, injected events).
//!
//! ```
//! use sim::{Ctx, Model, Registry, SimDuration, SimTime, Simulation};
//!
//! /// A clock that ticks every millisecond, ten times.
//! struct Ticker { ticks: u32 }
//! impl Model for Ticker {
//!     type Event = ();
//!     fn handle(&mut self, _: (), ctx: &mut Ctx<'_, ()>) {
//!         self.ticks += 1;
//!         if self.ticks < 10 {
//!             ctx.schedule_in(SimDuration::from_millis(1), ctx.me(), ());
//!         }
//!     }
//! }
//! let mut reg = Registry::new(1);
//! let id = reg.add("ticker").unwrap();
//! let mut sim = Simulation::new(Ticker { ticks: 0 }, reg);
//! sim.schedule_at(SimTime::ZERO, id, ()).unwrap();
//! sim.run();
//! assert_eq!(sim.model().ticks, 10);
//! assert_eq!(sim.now(), SimTime::from_nanos(9_000_000));
//! ```

#![warn(missing_docs)]

mod engine;
mod hook;
mod queue;
pub mod rng;
mod time;
#[allow(clippy::excessive_precision, clippy::unreadable_literal)]
mod ziggurat_tables;

pub use engine::{
    ComponentId, Counters, Ctx, DuplicateComponent, Model, Registry, RunStop, ScheduleError,
    Simulation,
};
pub use hook::{Hook, StableHasher, TraceHash, avalanche};
pub use queue::{EventId, EventQueue, TimerId};
pub use rng::SimRng;
pub use time::{ParseDurationError, SimDuration, SimTime};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::Rng;

    /// A little network of components that ping each other at random delays, cancel
    /// timers at random and record what they see: enough to exercise ordering and
    /// determinism.
    #[derive(Clone, Default)]
    struct Pinger {
        n: u32,
        log: Vec<(u64, u32, u32)>,
        timers: Vec<Option<TimerId>>,
        cancelled: u32,
    }

    #[derive(Copy, Clone, Hash, Debug)]
    enum Ev {
        Ping(u32),
        Timeout,
    }

    impl Model for Pinger {
        type Event = Ev;
        fn handle(&mut self, ev: Ev, ctx: &mut Ctx<'_, Ev>) {
            let me = ctx.me().0;
            match ev {
                Ev::Ping(k) => {
                    self.log.push((ctx.now().as_nanos(), me, k));
                    if k > 0 {
                        let to = ComponentId(rng::below(ctx.rng(), self.n as u64) as u32);
                        let d = SimDuration::from_nanos(rng::below(ctx.rng(), 1000));
                        ctx.schedule_in(d, to, Ev::Ping(k - 1));
                        if let Some(t) = self.timers[me as usize].take()
                            && ctx.cancel(t)
                        {
                            self.cancelled += 1;
                        }
                        let d = SimDuration::from_nanos(500 + rng::below(ctx.rng(), 1000));
                        self.timers[me as usize] = Some(ctx.set_timer_in(d, ctx.me(), Ev::Timeout));
                    }
                }
                Ev::Timeout => {
                    self.timers[me as usize] = None;
                    self.log.push((ctx.now().as_nanos(), me, u32::MAX));
                }
            }
        }
    }

    fn run(seed: u64, comps: u32, pings: u32) -> (u64, Vec<(u64, u32, u32)>, Counters) {
        let mut reg = Registry::new(seed);
        for i in 0..comps {
            reg.add(&format!("c{i}")).unwrap();
        }
        let model = Pinger {
            n: comps,
            timers: vec![None; comps as usize],
            ..Default::default()
        };
        let mut sim = Simulation::with_hook(model, reg, TraceHash::new());
        for i in 0..comps {
            sim.schedule_at(SimTime::ZERO, ComponentId(i), Ev::Ping(pings))
                .unwrap();
        }
        sim.run();
        let c = sim.counters();
        let hash = sim.hook().value();
        let (m, _) = sim.into_parts();
        (hash, m.log, c)
    }

    #[test]
    fn same_seed_same_hash_different_seed_different_hash() {
        let a = run(1, 5, 200);
        let b = run(1, 5, 200);
        let c = run(2, 5, 200);
        assert_eq!(a.0, b.0);
        assert_eq!(a.1, b.1);
        assert_ne!(a.0, c.0);
        assert!(a.2.dispatched > 1000);
        assert!(a.2.queue_high_water >= 5);
    }

    #[test]
    fn adding_a_component_does_not_perturb_the_others_streams() {
        let mut r1 = Registry::new(9);
        let a1 = r1.add("a").unwrap();
        let mut r2 = Registry::new(9);
        r2.add("zzz").unwrap();
        let a2 = r2.add("a").unwrap();
        assert_eq!(r1.rng(a1).next_u64(), r2.rng(a2).next_u64());
        assert!(r1.add("a").is_err());
    }

    #[test]
    fn past_scheduling_is_refused_with_a_clear_error() {
        let mut reg = Registry::new(1);
        let id = reg.add("x").unwrap();
        let mut sim = Simulation::new(
            Pinger {
                n: 1,
                timers: vec![None],
                ..Default::default()
            },
            reg,
        );
        sim.run_until(SimTime::from_nanos(100));
        let err = sim
            .schedule_at(SimTime::from_nanos(50), id, Ev::Ping(0))
            .unwrap_err();
        assert_eq!(
            err,
            ScheduleError::InPast {
                at: SimTime::from_nanos(50),
                now: SimTime::from_nanos(100)
            }
        );
        assert!(err.to_string().contains("in the past"));
        assert!(matches!(
            sim.schedule_at(SimTime::from_nanos(200), ComponentId(7), Ev::Ping(0)),
            Err(ScheduleError::UnknownComponent(7))
        ));
        let r = sim.act(id, |_, ctx| {
            ctx.schedule_at(SimTime::from_nanos(99), id, Ev::Ping(0))
        });
        assert!(r.is_err());
    }

    #[test]
    fn run_until_stops_at_the_limit_and_step_goes_one_at_a_time() {
        let mut reg = Registry::new(3);
        for i in 0..3 {
            reg.add(&format!("c{i}")).unwrap();
        }
        let m = Pinger {
            n: 3,
            timers: vec![None; 3],
            ..Default::default()
        };
        let mut sim = Simulation::new(m, reg);
        for i in 0..3 {
            sim.schedule_at(SimTime::ZERO, ComponentId(i), Ev::Ping(50))
                .unwrap();
        }
        let limit = SimTime::from_nanos(5_000);
        assert_eq!(sim.run_until(limit), RunStop::TimeLimit);
        assert_eq!(sim.now(), limit);
        assert!(sim.model().log.iter().all(|e| e.0 <= 5_000));
        let before = sim.counters().dispatched;
        let t = sim.step().unwrap();
        assert!(t > limit);
        assert_eq!(sim.counters().dispatched, before + 1);
        assert_eq!(sim.run_events(3), RunStop::EventLimit);
        assert_eq!(sim.counters().dispatched, before + 4);
        let stop = sim.run_while(|m, _| m.log.len() < 100);
        assert_eq!(stop, RunStop::Predicate);
        assert_eq!(sim.model().log.len(), 100);
        assert_eq!(sim.run(), RunStop::Exhausted);
        assert!(sim.step().is_none());
    }

    #[test]
    fn a_snapshot_branches_and_replays_identically() {
        let mut reg = Registry::new(5);
        for i in 0..4 {
            reg.add(&format!("c{i}")).unwrap();
        }
        let m = Pinger {
            n: 4,
            timers: vec![None; 4],
            ..Default::default()
        };
        let mut sim = Simulation::with_hook(m, reg, TraceHash::new());
        for i in 0..4 {
            sim.schedule_at(SimTime::ZERO, ComponentId(i), Ev::Ping(100))
                .unwrap();
        }
        sim.run_events(300);
        let mut branch = sim.clone();
        sim.run();
        branch.run();
        assert_eq!(sim.hook().value(), branch.hook().value());
        assert_eq!(sim.model().log, branch.model().log);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Dispatch order is total: non-decreasing time, and the log is a pure function of
        /// the seed.
        #[test]
        fn time_never_goes_backwards(seed in any::<u64>(), comps in 1u32..6, pings in 1u32..100) {
            let (h1, log, _) = run(seed, comps, pings);
            prop_assert!(log.windows(2).all(|w| w[0].0 <= w[1].0));
            let (h2, log2, _) = run(seed, comps, pings);
            prop_assert_eq!(h1, h2);
            prop_assert_eq!(log, log2);
        }
    }
}
