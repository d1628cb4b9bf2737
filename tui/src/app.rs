//! The application state machine: one simulation (built by the same runner as the CLI),
//! what the user asked for ([`App::handle`]) and the passing of wall-clock time
//! ([`App::tick`]). No terminal here: the screen is drawn from an `&App` by [`crate::ui`],
//! and the terminal loop in [`crate::term`] feeds actions and ticks.
//!
//! The simulation advances in bounded slices: a tick runs events up to the simulated
//! target of the frame (speed x wall time) or until its wall-clock budget is spent,
//! whichever comes first, so the screen keeps refreshing whatever the speed.

use crate::keymap::{Action, PAGE, Panel};
use crate::log::{EventLog, Filter, Kind};
use crate::metrics::Metrics;
use crate::theme::Theme;
use models::world::{Fault, Mode};
use scenarios::build::Built;
use scenarios::report::Report;
use scenarios::runner::{self, Driver, Feeder, Sim};
use sim::{SimDuration, SimTime};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Simulation speeds, in simulated nanoseconds per wall-clock second; [`MAX_SPEED`] means
/// as fast as the slice budget allows.
pub const SPEEDS: [u64; 17] = [
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    20_000_000,
    50_000_000,
    100_000_000,
    200_000_000,
    500_000_000,
    1_000_000_000,
    2_000_000_000,
    5_000_000_000,
    10_000_000_000,
    20_000_000_000,
    50_000_000_000,
    100_000_000_000,
    MAX_SPEED,
];
/// The "as fast as possible" speed.
pub const MAX_SPEED: u64 = u64::MAX;
/// Index of 1 simulated second per wall second in [`SPEEDS`].
pub const REAL_TIME: usize = 9;

/// Wall-clock time a tick may spend simulating (keeps the screen at >= 20 frames/s).
pub const SLICE: Duration = Duration::from_millis(20);
/// Events a tick dispatches at most (bounds a tick when there is no wall budget, in tests).
pub const MAX_EVENTS_PER_TICK: u64 = 400_000;
/// Tries remembered for comparison.
const TRIES: usize = 8;
/// A trace workload is fed at every multiple of this simulated time (the same instants
/// whatever the frames, so replays are exact)...
const FEED_EVERY: SimDuration = SimDuration::from_millis(500);
/// ... this far ahead (as the runner does).
const FEED_AHEAD: SimDuration = SimDuration::from_secs(2);

/// How the application starts.
#[derive(Clone, Debug)]
pub struct Options {
    /// Index into [`SPEEDS`].
    pub speed: usize,
    /// Wall-clock budget of one simulation slice (`None`: run every tick to its target,
    /// for deterministic tests).
    pub slice: Option<Duration>,
    /// Start playing (otherwise paused).
    pub playing: bool,
    /// Colours (false: `NO_COLOR`).
    pub color: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            speed: REAL_TIME,
            slice: Some(SLICE),
            playing: true,
            color: Theme::from_env().color,
        }
    }
}

/// Where the run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The primary site runs.
    Live,
    /// A rebuilt simulation (another mode) catches up to `target`; then it strikes the
    /// disaster (`strike`) and plays on if `resume`.
    Replaying {
        /// Simulated time to reach.
        target: SimTime,
        /// Strike the disaster on arrival.
        strike: bool,
        /// Play on arrival.
        resume: bool,
    },
    /// The primary is lost; the secondaries recover.
    Recovering,
    /// Every site is evaluated: the report is ready.
    Done,
}

/// The simulation as it was just before a disaster, to branch from.
#[derive(Clone)]
pub struct Snapshot {
    /// The simulation and its checker.
    pub sim: Driver,
    /// The figures at that instant.
    pub metrics: Metrics,
    /// When it was taken.
    pub at: SimTime,
}

/// One site's outcome in a try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrySite {
    /// Site name.
    pub site: String,
    /// Point A (consistency point).
    pub a: u64,
    /// Point B (highest token received).
    pub b: u64,
    /// Writes lost.
    pub lost_writes: u64,
    /// Data-loss window, ns.
    pub window_ns: u64,
    /// Consistent image.
    pub consistent: bool,
}

/// The outcome of one run to recovery, kept to compare tries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Try {
    /// Copy mode.
    pub mode: String,
    /// When the disaster struck (`None`: evaluated at the end of the workload).
    pub disaster_at: Option<SimTime>,
    /// Per site.
    pub sites: Vec<TrySite>,
}

/// The application. See the module documentation.
pub struct App {
    base: Built,
    built: Built,
    sim: Driver,
    phase: Phase,
    playing: bool,
    speed: usize,
    slice: Option<Duration>,
    snapshot: Option<Box<Snapshot>>,
    manual_strike: Option<SimTime>,
    scheduled_disaster: Option<SimTime>,
    report: Option<Report>,
    tries: Vec<Try>,
    metrics: Metrics,
    /// The figures to put back when a branch replay (trace workloads) reaches its instant:
    /// the history up to the disaster, as a snapshot branch keeps it.
    branch_metrics: Option<Metrics>,
    log: EventLog,
    focus: Panel,
    site: usize,
    queue_scroll: usize,
    log_scroll: usize,
    help: bool,
    typing: bool,
    message: Option<String>,
    quit: bool,
    wall_simulating: Duration,
    /// (wall, simulated) advanced per tick, for the achieved speed.
    pace: VecDeque<(Duration, SimDuration)>,
    fps: Option<f64>,
    replay_from: SimTime,
    theme: Theme,
    /// The SPC trace feeder of a trace workload.
    feeder: Option<Feeder>,
    /// When the feeder is next topped up.
    next_feed: SimTime,
    /// A failure that stops the simulation (a bad trace line).
    failed: Option<String>,
    /// How the log names sites, volumes and storage controls.
    names: crate::log::Names,
}

/// A simulation of `b` at time zero, with its trace feeder (fed to its first horizon).
fn fresh(b: &Built) -> Result<(Driver, Option<Feeder>), String> {
    let mut sim = runner::start(b, false).map_err(|e| e.to_string())?;
    sim.keep_observations();
    let feeder = match &b.trace {
        Some(plan) => {
            let mut f = Feeder::open(plan.clone()).map_err(|e| e.to_string())?;
            f.feed(&mut sim, SimTime::ZERO + FEED_AHEAD)
                .map_err(|e| e.to_string())?;
            Some(f)
        }
        None => None,
    };
    Ok((sim, feeder))
}

fn scheduled_disaster(b: &Built) -> Option<SimTime> {
    b.world
        .faults
        .iter()
        .filter_map(|f| match f {
            Fault::Disaster { at, .. } => Some(*at),
            _ => None,
        })
        .min()
}

impl App {
    /// A new application over scenario `built` (with tracing on, to feed the log).
    pub fn new(built: Built, opts: Options) -> Result<App, String> {
        let (sim, feeder) = fresh(&built)?;
        let metrics = Metrics::new(sim.world());
        let names = crate::log::Names::new(&built.world);
        let mut app = App {
            names,
            scheduled_disaster: scheduled_disaster(&built),
            base: built.clone(),
            built,
            sim,
            phase: Phase::Live,
            playing: opts.playing,
            speed: opts.speed.min(SPEEDS.len() - 1),
            slice: opts.slice,
            snapshot: None,
            manual_strike: None,
            report: None,
            tries: Vec::new(),
            metrics,
            branch_metrics: None,
            log: EventLog::default(),
            focus: Panel::Queue,
            site: 0,
            queue_scroll: 0,
            log_scroll: 0,
            help: false,
            typing: false,
            message: None,
            quit: false,
            wall_simulating: Duration::ZERO,
            pace: VecDeque::new(),
            fps: None,
            replay_from: SimTime::ZERO,
            theme: Theme { color: opts.color },
            feeder,
            next_feed: SimTime::ZERO + FEED_EVERY,
            failed: None,
        };
        app.after_events(false);
        Ok(app)
    }

    // ----- read access for the screen and for tests -----

    /// The palette.
    pub fn theme(&self) -> Theme {
        self.theme
    }
    /// The scenario as built (with the current mode).
    pub fn built(&self) -> &Built {
        &self.built
    }
    /// The simulation.
    pub fn sim(&self) -> &Sim {
        self.sim.sim()
    }
    /// The driver: the simulation with its checker beside it.
    pub fn driver(&self) -> &Driver {
        &self.sim
    }
    /// Live figures, with points A and B from the checker.
    pub fn gauges(&self) -> models::world::Gauges {
        self.sim.gauges()
    }
    /// The consistency checker (the truth the world does not know).
    pub fn checker(&self) -> &models::oracle::Oracle {
        self.sim.checker()
    }
    /// The current copy mode.
    pub fn mode(&self) -> Mode {
        self.built.world.copy.mode
    }
    /// Where the run is.
    pub fn phase(&self) -> Phase {
        self.phase
    }
    /// Whether the simulation plays (rather than being paused).
    pub fn playing(&self) -> bool {
        self.playing
    }
    /// Speed index into [`SPEEDS`].
    pub fn speed(&self) -> usize {
        self.speed
    }
    /// Simulated seconds per wall second actually achieved over the last second of wall
    /// time (`None` before any tick).
    pub fn achieved_speed(&self) -> Option<f64> {
        let wall: Duration = self.pace.iter().map(|p| p.0).sum();
        let sim: u64 = self.pace.iter().map(|p| p.1.as_nanos()).sum();
        (wall > Duration::ZERO).then(|| sim as f64 / 1e9 / wall.as_secs_f64())
    }
    /// The snapshot taken just before the disaster, if any.
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_deref()
    }
    /// When the user struck the disaster by hand in this timeline.
    pub fn manual_strike(&self) -> Option<SimTime> {
        self.manual_strike
    }
    /// The disaster the scenario schedules, if any.
    pub fn scheduled_disaster(&self) -> Option<SimTime> {
        self.scheduled_disaster
    }
    /// The recovery report, once every site is evaluated.
    pub fn report(&self) -> Option<&Report> {
        self.report.as_ref()
    }
    /// Earlier outcomes, oldest first.
    pub fn tries(&self) -> &[Try] {
        &self.tries
    }
    /// Live figures.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
    /// The event log.
    pub fn log(&self) -> &EventLog {
        &self.log
    }
    /// The focused panel.
    pub fn focus(&self) -> Panel {
        self.focus
    }
    /// The secondary site shown.
    pub fn site(&self) -> usize {
        self.site
    }
    /// First queue entry shown.
    pub fn queue_scroll(&self) -> usize {
        self.queue_scroll
    }
    /// Log lines scrolled back from the newest (0: following).
    pub fn log_scroll(&self) -> usize {
        self.log_scroll
    }
    /// Whether the help overlay is shown.
    pub fn help(&self) -> bool {
        self.help
    }
    /// Whether a log filter is being typed.
    pub fn typing(&self) -> bool {
        self.typing
    }
    /// The status message of the last action, if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
    /// A failure that stopped the simulation (a bad line in a trace workload).
    pub fn failure(&self) -> Option<&str> {
        self.failed.as_deref()
    }
    /// Whether the workload replays an SPC trace.
    pub fn trace_driven(&self) -> bool {
        self.built.trace.is_some()
    }
    /// Whether the user asked to quit.
    pub fn should_quit(&self) -> bool {
        self.quit
    }
    /// Frames per second measured by the terminal loop.
    pub fn fps(&self) -> Option<f64> {
        self.fps
    }
    /// Sets the frames per second shown in the header.
    pub fn set_fps(&mut self, fps: Option<f64>) {
        self.fps = fps;
    }
    /// Replay progress in [0, 1] while replaying.
    pub fn replay_progress(&self) -> Option<f64> {
        match self.phase {
            Phase::Replaying { target, .. } => {
                let span = target.saturating_since(self.replay_from).as_nanos().max(1);
                let done = self.sim.now().saturating_since(self.replay_from).as_nanos();
                Some((done as f64 / span as f64).min(1.0))
            }
            _ => None,
        }
    }

    // ----- actions -----

    /// Does what the user asked.
    pub fn handle(&mut self, a: Action) {
        self.message = None;
        if self.failed.is_some()
            && matches!(a, Action::TogglePlay | Action::Step | Action::Disaster)
        {
            return self.say("the simulation stopped on the error below: m rebuilds, q quits");
        }
        match a {
            Action::TogglePlay => match &mut self.phase {
                Phase::Done => self.say("the run is over: b branches back, m tries the next mode"),
                Phase::Replaying { resume, .. } => *resume = !*resume,
                _ => self.playing = !self.playing,
            },
            Action::Step => self.step(),
            Action::Faster => self.speed = (self.speed + 1).min(SPEEDS.len() - 1),
            Action::Slower => self.speed = self.speed.saturating_sub(1),
            Action::Disaster => self.disaster(),
            Action::Branch => self.branch(),
            Action::CycleMode => self.cycle_mode(),
            Action::NextSite => {
                let n = self.built.world.sites.len().max(1);
                self.site = (self.site + 1) % n;
                self.queue_scroll = 0;
            }
            Action::ToggleHelp => self.help = !self.help,
            Action::Back => {
                if self.help {
                    self.help = false;
                } else if self.typing || !self.log.filter().text.is_empty() {
                    self.typing = false;
                    self.set_filter_text(String::new());
                }
            }
            Action::FocusNext => self.focus = self.focus.next(),
            Action::FocusPrev => self.focus = self.focus.prev(),
            Action::Focus(p) => self.focus = p,
            Action::Scroll(n) => self.scroll(self.focus, n),
            Action::ScrollPanel(p, n) => self.scroll(p, n),
            Action::ScrollHome => match self.focus {
                Panel::Log => self.log_scroll = self.log.lines().len(),
                _ => self.queue_scroll = 0,
            },
            Action::ScrollEnd => match self.focus {
                Panel::Log => self.log_scroll = 0,
                _ => self.queue_scroll = self.queue_len().saturating_sub(PAGE as usize),
            },
            Action::CycleFilter => {
                let f = Filter {
                    kind: self.log.filter().kind.next(),
                    text: self.log.filter().text.clone(),
                };
                self.log.set_filter(f);
                self.log_scroll = 0;
            }
            Action::StartSearch => {
                self.typing = true;
                self.focus = Panel::Log;
            }
            Action::SearchChar(c) => {
                if self.typing {
                    let mut t = self.log.filter().text.clone();
                    t.push(c);
                    self.set_filter_text(t);
                }
            }
            Action::SearchBackspace => {
                let mut t = self.log.filter().text.clone();
                t.pop();
                self.set_filter_text(t);
            }
            Action::SearchCommit => self.typing = false,
            Action::Quit => self.quit = true,
        }
    }

    fn say(&mut self, m: impl Into<String>) {
        self.message = Some(m.into());
    }

    fn set_filter_text(&mut self, text: String) {
        let kind: Kind = self.log.filter().kind;
        self.log.set_filter(Filter { kind, text });
        self.log_scroll = 0;
    }

    fn queue_len(&self) -> usize {
        if self.site < self.built.world.sites.len() {
            self.sim.world().pending_queue(self.site).count()
        } else {
            0
        }
    }

    fn scroll(&mut self, p: Panel, n: i32) {
        match p {
            Panel::Log => {
                let len = self.log.lines().len();
                let v = self.log_scroll as i64 - n as i64;
                self.log_scroll = v.clamp(0, len as i64) as usize;
            }
            Panel::Queue => {
                let len = self.queue_len();
                let v = self.queue_scroll as i64 + n as i64;
                self.queue_scroll = v.clamp(0, len as i64) as usize;
            }
            _ => {}
        }
    }

    fn step(&mut self) {
        match self.phase {
            Phase::Live | Phase::Recovering => {
                self.playing = false;
                if self.failed.is_some() {
                    return;
                }
                // Pass the boundaries before the next event (trace feeding, the snapshot
                // before a scheduled disaster), then dispatch that one event.
                loop {
                    let stop = self.boundary(SimTime::MAX);
                    match self.sim.next_event_time() {
                        Some(t) if t <= stop => {
                            self.sim.step();
                            break;
                        }
                        next if stop < SimTime::MAX => {
                            self.sim.run_until(stop);
                            self.at_boundary();
                            if next.is_none() && self.failed.is_some() {
                                break;
                            }
                        }
                        _ => {
                            self.say("no event left");
                            break;
                        }
                    }
                }
                let exhausted = self.sim.next_event_time().is_none();
                self.after_events(exhausted);
            }
            Phase::Replaying { .. } => self.say("replaying: wait for it to finish"),
            Phase::Done => self.say("the run is over: b branches back, m tries the next mode"),
        }
    }

    fn disaster(&mut self) {
        match self.phase {
            Phase::Live if self.sim.world().primary_alive() => {
                self.strike();
                self.playing = true;
            }
            Phase::Replaying { .. } => self.say("replaying: wait for it to finish"),
            _ => self.say("the primary site is already lost"),
        }
    }

    fn take_snapshot(&mut self) {
        self.snapshot = Some(Box::new(Snapshot {
            sim: self.sim.clone(),
            metrics: self.metrics.clone(),
            at: self.sim.now(),
        }));
    }

    /// Snapshot, then the primary site is lost now.
    fn strike(&mut self) {
        self.flush_trace();
        self.take_snapshot();
        let now = self.sim.now();
        self.manual_strike = Some(now);
        self.sim.act(|w, ctx| w.disaster(false, ctx));
        self.after_events(false);
    }

    fn branch(&mut self) {
        if matches!(self.phase, Phase::Replaying { .. }) {
            return self.say("replaying: wait for it to finish");
        }
        let Some(s) = &self.snapshot else {
            return self.say("nothing to branch back to: no disaster has struck yet");
        };
        if self.feeder.is_some() {
            // A trace file's reading position cannot be snapshotted: replay to the instant
            // instead (exact: feeding happens at fixed simulated instants).
            let at = s.at;
            return match fresh(&self.built) {
                Ok((sim, feeder)) => {
                    self.metrics = Metrics::new(sim.world());
                    self.branch_metrics = Some(s.metrics.clone());
                    self.sim = sim;
                    self.feeder = feeder;
                    self.failed = None;
                    self.next_feed = SimTime::ZERO + FEED_EVERY;
                    self.manual_strike = None;
                    self.report = None;
                    self.phase = Phase::Replaying {
                        target: at,
                        strike: false,
                        resume: false,
                    };
                    self.log
                        .note(0, &format!("branch: replaying the trace workload to {at}"));
                    self.say(format!(
                        "branch: replaying to {at}, just before the disaster"
                    ));
                }
                Err(e) => self.say(e),
            };
        }
        self.sim = s.sim.clone();
        self.metrics = s.metrics.clone();
        self.phase = Phase::Live;
        self.playing = false;
        self.report = None;
        self.manual_strike = None;
        let at = s.at;
        self.log.note(
            at.as_nanos(),
            &format!("branched back to {at}, just before the disaster; paused"),
        );
        self.say(format!(
            "back at {at}, just before the disaster: play, strike again with d, or m"
        ));
    }

    fn cycle_mode(&mut self) {
        let cur = self.mode();
        let i = Mode::ALL.iter().position(|m| *m == cur).unwrap_or(0);
        let next = Mode::ALL[(i + 1) % Mode::ALL.len()];
        let mut b = self.base.clone();
        b.world.copy.mode = next;
        let (sim, feeder) = match fresh(&b) {
            Ok(x) => x,
            Err(e) => return self.say(format!("mode {}: {e}", next.name())),
        };
        let (target, strike, resume) = match self.phase {
            Phase::Replaying {
                target,
                strike,
                resume,
            } => (target, strike, resume),
            Phase::Live => (self.sim.now(), false, self.playing),
            Phase::Recovering | Phase::Done => match (&self.snapshot, self.manual_strike) {
                (Some(s), Some(_)) => (s.at, true, true),
                (Some(s), None) => (s.at, false, true),
                (None, _) => (self.sim.now(), false, true),
            },
        };
        self.metrics = Metrics::new(sim.world());
        self.branch_metrics = None;
        self.sim = sim;
        self.feeder = feeder;
        self.next_feed = SimTime::ZERO + FEED_EVERY;
        self.failed = None;
        self.built = b;
        self.snapshot = None;
        self.manual_strike = None;
        self.report = None;
        self.replay_from = SimTime::ZERO;
        self.phase = Phase::Replaying {
            target,
            strike,
            resume,
        };
        self.log.note(
            0,
            &format!(
                "mode {}: same workload and seed, replaying to {target}{}",
                next.name(),
                if strike { ", then the disaster" } else { "" }
            ),
        );
        let note = self.mode_note();
        if let Some(n) = &note {
            self.log.note(0, &format!("mode {}: {n}", next.name()));
        }
        self.say(format!(
            "mode {}: replaying to {target}{}",
            next.name(),
            note.map_or(String::new(), |n| format!("; {n}"))
        ));
    }

    /// What a person should know about the current mode on this scenario: `pit` with an
    /// interval longer than the run never ships a copy.
    pub fn mode_note(&self) -> Option<String> {
        let cfg = &self.built.world;
        (cfg.copy.mode == Mode::Pit && cfg.copy.pit_interval > cfg.run.length).then(|| {
            format!(
                "its interval ({}) is longer than the run ({}): no copy reaches the \
                 secondary (try --set copy.pit_interval=10s)",
                cfg.copy.pit_interval, cfg.run.length
            )
        })
    }

    // ----- time -----

    /// `wall` of wall-clock time passed since the last tick: advance the simulation.
    pub fn tick(&mut self, wall: Duration) {
        let before = self.sim.now();
        let started = Instant::now();
        match self.phase {
            Phase::Replaying { .. } if self.failed.is_some() => {
                self.phase = Phase::Live;
                self.playing = false;
            }
            Phase::Replaying {
                target,
                strike,
                resume,
            } => {
                let exhausted = self.advance(target, false);
                // The figures follow the replay (rates, the window's history), frame by frame.
                self.after_events(false);
                if self.sim.now() >= target || exhausted || self.sim.world().finished() {
                    self.phase = Phase::Live;
                    if let Some(m) = self.branch_metrics.take() {
                        self.metrics = m;
                    }
                    self.playing = resume;
                    if strike && self.sim.world().primary_alive() && !exhausted {
                        self.strike();
                    }
                    self.after_events(exhausted);
                    let note = self.mode_note().map_or(String::new(), |n| format!("; {n}"));
                    self.say(format!(
                        "mode {}: at {}{note}",
                        self.mode().name(),
                        self.sim.now()
                    ));
                }
            }
            Phase::Live | Phase::Recovering if self.playing => {
                let now = self.sim.now();
                let sp = SPEEDS[self.speed];
                let (target, max) = if sp == MAX_SPEED {
                    (now + SimDuration::from_secs(86_400), true)
                } else {
                    let d = (sp as u128 * wall.as_nanos() / 1_000_000_000) as u64;
                    (now + SimDuration::from_nanos(d), false)
                };
                let exhausted = self.advance(target, max);
                self.after_events(exhausted);
            }
            _ => {}
        }
        let advanced = self.sim.now().saturating_since(before);
        self.wall_simulating += started.elapsed();
        self.pace.push_back((wall, advanced));
        let mut total: Duration = self.pace.iter().map(|p| p.0).sum();
        while self.pace.len() > 1 && total > Duration::from_secs(1) {
            if let Some(p) = self.pace.pop_front() {
                total -= p.0;
            }
        }
    }

    /// The instant to stop at before a scheduled disaster (to snapshot it), or `target`.
    fn stop_before_disaster(&self, target: SimTime) -> SimTime {
        match self.scheduled_disaster {
            Some(t)
                if self.sim.world().primary_alive()
                    && t > SimTime::ZERO
                    && self.sim.now() < t
                    && self
                        .snapshot
                        .as_ref()
                        .is_none_or(|s| s.at.as_nanos() + 1 != t.as_nanos()) =>
            {
                target.min(SimTime::from_nanos(t.as_nanos() - 1))
            }
            _ => target,
        }
    }

    /// The next instant before `target` at which the loop must stop to act: feed the
    /// trace, or snapshot before a scheduled disaster; else `target`.
    fn boundary(&self, target: SimTime) -> SimTime {
        let mut stop = self.stop_before_disaster(target);
        if self.feeder.as_ref().is_some_and(|f| !f.exhausted()) && self.failed.is_none() {
            stop = stop.min(self.next_feed);
        }
        stop
    }

    /// At a boundary: feed the trace, take the snapshot before a scheduled disaster.
    fn at_boundary(&mut self) {
        let now = self.sim.now();
        if now >= self.next_feed
            && let Some(f) = self.feeder.as_mut()
        {
            let horizon = self.next_feed + FEED_AHEAD;
            if let Err(e) = f.feed(&mut self.sim, horizon) {
                self.failed = Some(e.to_string());
                self.playing = false;
            }
            self.next_feed += FEED_EVERY;
        }
        if let Some(t) = self.scheduled_disaster
            && self.sim.world().primary_alive()
            && now.as_nanos().checked_add(1) == Some(t.as_nanos())
            && self.snapshot.as_ref().is_none_or(|s| s.at != now)
        {
            self.flush_trace();
            self.take_snapshot();
        }
    }

    /// Runs events up to `target` within the slice budget. Returns whether the event queue
    /// ran dry.
    fn advance(&mut self, target: SimTime, max_speed: bool) -> bool {
        let start = self.slice.map(|b| (Instant::now(), b));
        let mut n: u64 = 0;
        loop {
            if self.sim.world().finished() || self.failed.is_some() {
                return false;
            }
            let stop = self.boundary(target);
            match self.sim.next_event_time() {
                Some(t) if t <= stop => {
                    self.sim.step();
                    n += 1;
                    if n & 255 == 0 {
                        if let Some((s, b)) = start
                            && s.elapsed() >= b
                        {
                            return false;
                        }
                        if n >= MAX_EVENTS_PER_TICK {
                            return false;
                        }
                    }
                }
                next => {
                    if stop == target {
                        match next {
                            None => return true,
                            Some(_) if max_speed => {
                                // Nothing is due before the horizon: go to the next event.
                                self.sim.step();
                                n += 1;
                                continue;
                            }
                            Some(_) => {}
                        }
                    }
                    if self.sim.now() < stop {
                        self.sim.run_until(stop);
                    }
                    if stop < target {
                        self.at_boundary();
                        continue;
                    }
                    return false;
                }
            }
        }
    }

    fn flush_trace(&mut self) {
        let kept = self.sim.take_kept();
        if !kept.is_empty() {
            self.log.push_obs(&kept, &self.names);
        }
    }

    /// After events: the trace into the log and the figures, and the phase follows the
    /// world (a disaster or the end of the workload stops the primary; recovery ends the
    /// run).
    fn after_events(&mut self, exhausted: bool) {
        self.flush_trace();
        let now = self.sim.now();
        self.metrics.observe(&self.sim, now);
        if matches!(self.phase, Phase::Replaying { .. }) {
            return;
        }
        if self.phase == Phase::Live && !self.sim.world().primary_alive() {
            self.phase = Phase::Recovering;
        }
        let limit = SimTime::ZERO + self.built.world.run.length + SimDuration::from_secs(86_400);
        let stuck = exhausted || now >= limit;
        if self.phase != Phase::Done && (self.sim.world().finished() || stuck) {
            if stuck {
                // Nothing can drain the world any more: evaluate what is left, as the
                // runner does.
                self.sim.finish();
                self.flush_trace();
            }
            let r = runner::make_report(&self.sim, &self.built, self.wall_simulating.as_secs_f64());
            self.tries.push(Try {
                mode: r.mode.clone(),
                disaster_at: r.disaster_at_ns.map(SimTime::from_nanos),
                sites: r
                    .sites
                    .iter()
                    .map(|s| TrySite {
                        site: s.core.site.clone(),
                        a: s.core.consistency_seq,
                        b: s.core.highest_token_seq,
                        lost_writes: s.core.lost_writes,
                        window_ns: s.core.data_loss_window_ns,
                        consistent: s.core.prefix_consistent
                            && s.core.dependent_write_violations == 0,
                    })
                    .collect(),
            });
            if self.tries.len() > TRIES {
                self.tries.remove(0);
            }
            self.report = Some(r);
            self.phase = Phase::Done;
            self.focus = Panel::Topology;
        }
    }
}
