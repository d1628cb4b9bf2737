//! The simulation driver: a model, its event queue, its random streams and a hook.

use crate::queue::{EventId, EventQueue, TimerId};
use crate::rng::{SimRng, stream};
use crate::{Hook, SimDuration, SimTime};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The address of a component: an index into the simulation's component table.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct ComponentId(pub u32);

impl ComponentId {
    /// The index as `usize`, for table lookups.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// The world being simulated: receives each event addressed to one of its components and
/// reacts by changing state and scheduling further events through the [`Ctx`].
pub trait Model {
    /// The event payload: small and `Copy` (large data lives in the model, by id).
    type Event: Copy;
    /// Handles `event`, addressed to the component `ctx.me()`, at `ctx.now()`.
    fn handle(&mut self, event: Self::Event, ctx: &mut Ctx<'_, Self::Event>);
}

/// Scheduling was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The requested instant is earlier than the current simulated time.
    #[error(
        "cannot schedule an event at {at}: simulated time is already {now} (events cannot be scheduled in the past)"
    )]
    InPast {
        /// The instant asked for.
        at: SimTime,
        /// The current simulated time.
        now: SimTime,
    },
    /// The target is not a registered component.
    #[error("no component with id {0}")]
    UnknownComponent(u32),
}

/// Component names and their random streams, built before the model so that the model's
/// builder knows every component's id.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Registry {
    seed: u64,
    names: Vec<String>,
    rngs: Vec<SimRng>,
    by_name: BTreeMap<String, ComponentId>,
}

/// A component name was registered twice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "component name `{0}` is already registered (component names must be unique: they select the random stream)"
)]
pub struct DuplicateComponent(pub String);

impl Registry {
    /// An empty registry whose streams derive from `seed`.
    pub fn new(seed: u64) -> Self {
        Registry {
            seed,
            names: Vec::new(),
            rngs: Vec::new(),
            by_name: BTreeMap::new(),
        }
    }
    /// The master seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Registers a component called `name` and gives it its own random stream.
    pub fn add(&mut self, name: &str) -> Result<ComponentId, DuplicateComponent> {
        if self.by_name.contains_key(name) {
            return Err(DuplicateComponent(name.to_string()));
        }
        let id = ComponentId(self.names.len() as u32);
        self.names.push(name.to_string());
        self.rngs.push(stream(self.seed, name));
        self.by_name.insert(name.to_string(), id);
        Ok(id)
    }
    /// The id of the component called `name`.
    pub fn id(&self, name: &str) -> Option<ComponentId> {
        self.by_name.get(name).copied()
    }
    /// The name of component `id`.
    pub fn name(&self, id: ComponentId) -> &str {
        &self.names[id.index()]
    }
    /// Number of components.
    pub fn len(&self) -> usize {
        self.names.len()
    }
    /// Whether no component is registered.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
    /// The random stream of component `id` (e.g. for set-up draws before the run).
    pub fn rng(&mut self, id: ComponentId) -> &mut SimRng {
        &mut self.rngs[id.index()]
    }
}

/// What a handler sees: the current time, its own id, the queue and the random streams.
pub struct Ctx<'a, E> {
    now: SimTime,
    me: ComponentId,
    queue: &'a mut EventQueue<E>,
    rngs: &'a mut [SimRng],
}

impl<'a, E: Copy> Ctx<'a, E> {
    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// The component the event was addressed to.
    #[inline]
    pub fn me(&self) -> ComponentId {
        self.me
    }
    /// Schedules `event` for `target` after `delay` (zero means "now, after what is already
    /// scheduled for now").
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, target: ComponentId, event: E) -> EventId {
        self.queue.push(self.now + delay, target, event)
    }
    /// Schedules `event` for `target` at `at`; refused when `at` is in the past.
    #[inline]
    pub fn schedule_at(
        &mut self,
        at: SimTime,
        target: ComponentId,
        event: E,
    ) -> Result<EventId, ScheduleError> {
        if at < self.now {
            return Err(ScheduleError::InPast { at, now: self.now });
        }
        Ok(self.queue.push(at, target, event))
    }
    /// Schedules a cancellable event for `target` after `delay`.
    #[inline]
    pub fn set_timer_in(&mut self, delay: SimDuration, target: ComponentId, event: E) -> TimerId {
        self.queue.push_timer(self.now + delay, target, event)
    }
    /// Cancels a timer; `true` if it was still pending.
    #[inline]
    pub fn cancel(&mut self, timer: TimerId) -> bool {
        self.queue.cancel(timer)
    }
    /// The random stream of the component being called.
    #[inline]
    pub fn rng(&mut self) -> &mut SimRng {
        &mut self.rngs[self.me.index()]
    }
    /// The random stream of component `id` (for a model that acts on behalf of several).
    #[inline]
    pub fn rng_of(&mut self, id: ComponentId) -> &mut SimRng {
        &mut self.rngs[id.index()]
    }
}

/// Counters kept by the driver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Events dispatched to the model.
    pub dispatched: u64,
    /// Events scheduled (including cancelled timers).
    pub scheduled: u64,
    /// The most events ever waiting in the queue at once.
    pub queue_high_water: u64,
    /// Events waiting now.
    pub pending: u64,
}

/// Why a `run_*` call returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStop {
    /// No event is left.
    Exhausted,
    /// The time limit was reached (no event left at or before it).
    TimeLimit,
    /// The event-count limit was reached.
    EventLimit,
    /// The predicate asked to stop.
    Predicate,
}

/// A discrete-event simulation of model `M`, observed by hook `H`.
///
/// `Clone` when the model and hook are: cloning is a snapshot the TUI and the runner use to
/// branch ("what if the disaster struck now?") without re-running from zero.
#[derive(Clone, Serialize, Deserialize)]
#[serde(bound(
    serialize = "M: Serialize, M::Event: Serialize, H: Serialize",
    deserialize = "M: Deserialize<'de>, M::Event: Deserialize<'de>, H: Deserialize<'de>"
))]
pub struct Simulation<M: Model, H = ()> {
    model: M,
    queue: EventQueue<M::Event>,
    registry: Registry,
    now: SimTime,
    dispatched: u64,
    hook: H,
}

impl<M: Model> Simulation<M, ()> {
    /// A simulation at time zero with no hook.
    pub fn new(model: M, registry: Registry) -> Self {
        Self::with_hook(model, registry, ())
    }
}

impl<M: Model, H: Hook<M::Event>> Simulation<M, H> {
    /// A simulation at time zero observed by `hook`.
    pub fn with_hook(model: M, registry: Registry, hook: H) -> Self {
        Simulation {
            model,
            queue: EventQueue::with_capacity(1024),
            registry,
            now: SimTime::ZERO,
            dispatched: 0,
            hook,
        }
    }

    /// The current simulated time (the time of the last dispatched event, or the limit of
    /// the last `run_until`).
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// The model.
    pub fn model(&self) -> &M {
        &self.model
    }
    /// The model, mutably (for inspection tools; handlers get it through [`Model::handle`]).
    pub fn model_mut(&mut self) -> &mut M {
        &mut self.model
    }
    /// The hook.
    pub fn hook(&self) -> &H {
        &self.hook
    }
    /// The hook, mutably.
    pub fn hook_mut(&mut self) -> &mut H {
        &mut self.hook
    }
    /// The component registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }
    /// Counters: events dispatched and scheduled, queue high-water mark, pending events.
    pub fn counters(&self) -> Counters {
        Counters {
            dispatched: self.dispatched,
            scheduled: self.queue.scheduled(),
            queue_high_water: self.queue.high_water() as u64,
            pending: self.queue.len() as u64,
        }
    }
    /// The time of the next pending event.
    pub fn next_event_time(&mut self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// Schedules an event from outside the model (initial events, injected faults).
    pub fn schedule_at(
        &mut self,
        at: SimTime,
        target: ComponentId,
        event: M::Event,
    ) -> Result<EventId, ScheduleError> {
        if at < self.now {
            return Err(ScheduleError::InPast { at, now: self.now });
        }
        if target.index() >= self.registry.len() {
            return Err(ScheduleError::UnknownComponent(target.0));
        }
        Ok(self.queue.push(at, target, event))
    }

    /// Calls `f` with the model and a context addressed to `me` at the current time: how
    /// set-up code and front ends act on the model (schedule its first events, inject a
    /// disaster now) without an event of their own.
    pub fn act<R>(
        &mut self,
        me: ComponentId,
        f: impl FnOnce(&mut M, &mut Ctx<'_, M::Event>) -> R,
    ) -> R {
        let mut ctx = Ctx {
            now: self.now,
            me,
            queue: &mut self.queue,
            rngs: &mut self.registry.rngs,
        };
        f(&mut self.model, &mut ctx)
    }

    #[inline(always)]
    fn dispatch(&mut self, time: SimTime, target: ComponentId, event: M::Event) {
        self.now = time;
        self.dispatched += 1;
        self.hook.on_event(time, target, &event);
        let mut ctx = Ctx {
            now: time,
            me: target,
            queue: &mut self.queue,
            rngs: &mut self.registry.rngs,
        };
        self.model.handle(event, &mut ctx);
    }

    /// Dispatches the next event; returns its time, or `None` when the queue is empty.
    pub fn step(&mut self) -> Option<SimTime> {
        let e = self.queue.pop()?;
        self.dispatch(e.time, e.target(), e.event);
        Some(e.time)
    }

    /// Dispatches every event due at or before `limit`, then sets the clock to `limit`.
    pub fn run_until(&mut self, limit: SimTime) -> RunStop {
        while let Some(e) = self.queue.pop_due(limit) {
            self.dispatch(e.time, e.target(), e.event);
        }
        if self.now < limit {
            self.now = limit;
        }
        if self.queue.is_empty() {
            RunStop::Exhausted
        } else {
            RunStop::TimeLimit
        }
    }

    /// Runs for `d` of simulated time from now.
    pub fn run_for(&mut self, d: SimDuration) -> RunStop {
        self.run_until(self.now + d)
    }

    /// Dispatches at most `n` events.
    pub fn run_events(&mut self, n: u64) -> RunStop {
        for _ in 0..n {
            if self.step().is_none() {
                return RunStop::Exhausted;
            }
        }
        RunStop::EventLimit
    }

    /// Dispatches events until the queue is empty.
    pub fn run(&mut self) -> RunStop {
        while let Some(e) = self.queue.pop() {
            self.dispatch(e.time, e.target(), e.event);
        }
        RunStop::Exhausted
    }

    /// Dispatches events while `keep_going(model, now)` holds (checked before each event).
    pub fn run_while(&mut self, mut keep_going: impl FnMut(&M, SimTime) -> bool) -> RunStop {
        loop {
            if !keep_going(&self.model, self.now) {
                return RunStop::Predicate;
            }
            if self.step().is_none() {
                return RunStop::Exhausted;
            }
        }
    }

    /// Takes the simulation apart: model, hook.
    pub fn into_parts(self) -> (M, H) {
        (self.model, self.hook)
    }
}
