//! One deterministic run of a built scenario: drive the simulation, feed a trace, write the
//! JSONL trace and the secondary image, and assemble the report. All the I/O of a run
//! happens here, outside the model.

use crate::build::{Built, TracePlan};
use crate::report::{LinkReport, PrimaryReport, Report, SiteOut, site_views};
use crate::scope::RecoveryScope;
use crate::trace::TraceWriter;
use models::content::record_key;
use models::obs::Obs;
use models::oracle::{Oracle, OracleConfig};
use models::types::{SiteId, VolumeId};
use models::workload::{OpKind, SpcReader};
use models::world::{STAGES, World};
use sim::{ComponentId, SimDuration, SimTime, Simulation, TraceHash};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Output files and progress of a run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Write the JSONL trace here.
    pub trace: Option<PathBuf>,
    /// Write the secondary image CSV here.
    pub image: Option<PathBuf>,
    /// Write the recovery sites' holdings after A here (docs/contracts.md section 10).
    pub held: Option<PathBuf>,
    /// Write the RPO samples CSV here (docs/contracts.md section 8).
    pub rpo_csv: Option<PathBuf>,
    /// Show progress on stderr (simulated time, events/s, ETA).
    pub progress: bool,
    /// The memory guard: the run ends with [`RunError::Outrun`] when more than this many
    /// record sets and messages are in flight at once (see
    /// [`Driver::record_sets_pending`]); `None`: the scenario's `run.max_pending`.
    pub max_pending: Option<u64>,
}

pub use crate::schema::DEFAULT_MAX_PENDING;

/// Why a run failed (the message says what to do).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The world could not be built.
    #[error("{0}")]
    Build(String),
    /// Reading the trace or writing an output failed.
    #[error("{0}")]
    Io(String),
    /// The memory guard stopped the run: more in flight than the cap allows.
    #[error(
        "the workload outruns the configuration: {pending} record sets pending at {at} \
         (more than the cap of {cap}); the copy cannot keep up and the run would exhaust \
         memory. Lower the write rate, widen the link (link.bandwidth_mbps, link.paths) or \
         add movers (copy.movers); or raise the cap (run.max_pending, or xrcsim run --max-pending N) if the machine \
         has the memory"
    )]
    Outrun {
        /// Record sets and messages in flight when the guard stopped the run.
        pending: u64,
        /// The cap.
        cap: u64,
        /// The simulated time of the check.
        at: SimTime,
    },
    /// Standard output was closed while an output went there (`xrcsim run --trace - | head`).
    #[error("standard output was closed")]
    StdoutClosed,
}

/// The simulation a runner drives: the world, observed by the trace hash.
pub type Sim = Simulation<World, TraceHash>;

/// Where an output goes, decided by what its path is now: `-` is standard output; a
/// regular file, or a path that does not exist yet, is written under `PATH.partial` and
/// renamed when complete (so an interrupted run never leaves a file that looks complete,
/// and a failed one removes its `.partial`); anything else (a device such as `/dev/null`
/// or `/dev/stdout`, a named pipe, a symbolic link) is written in place and never replaced.
enum Sink {
    Stdout(BufWriter<std::io::Stdout>),
    InPlace(BufWriter<File>),
    Atomic { tmp: PathBuf, w: BufWriter<File> },
}

/// One output of a run (trace, image, RPO samples, report), written as the run goes.
pub struct Output {
    path: PathBuf,
    sink: Sink,
    done: bool,
}

/// Whether `path` names standard output: `-`, or `/dev/stdout` (written through the
/// process's own standard output, so a shell's `>>` appends and nothing is truncated).
pub fn is_stdout(path: &Path) -> bool {
    path == Path::new("-")
        || path == Path::new("/dev/stdout")
        || path == Path::new("/proc/self/fd/1")
}

/// Whether `path` is written through a temporary `PATH.partial` and renamed: a regular
/// file that is not a symbolic link, or a path that does not exist yet.
pub fn writes_atomically(path: &Path) -> bool {
    !is_stdout(path)
        && match std::fs::symlink_metadata(path) {
            Ok(m) => m.file_type().is_file(),
            Err(_) => true,
        }
}

impl Output {
    /// Opens the output `path` (see [`Sink`]'s rules).
    pub fn create(path: &Path) -> Result<Output, RunError> {
        let sink = if is_stdout(path) {
            Sink::Stdout(BufWriter::new(std::io::stdout()))
        } else if writes_atomically(path) {
            let mut tmp = path.as_os_str().to_owned();
            tmp.push(".partial");
            let tmp = PathBuf::from(tmp);
            let f = File::create(&tmp)
                .map_err(|e| RunError::Io(format!("cannot create `{}`: {e}", tmp.display())))?;
            Sink::Atomic {
                tmp,
                w: BufWriter::new(f),
            }
        } else {
            // In place: truncate a regular file reached through a link, not a device.
            let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
            let f = std::fs::OpenOptions::new()
                .write(true)
                .truncate(regular)
                .open(path)
                .map_err(|e| RunError::Io(format!("cannot write `{}`: {e}", path.display())))?;
            Sink::InPlace(BufWriter::new(f))
        };
        Ok(Output {
            path: path.to_path_buf(),
            sink,
            done: false,
        })
    }

    fn err(&self, e: std::io::Error) -> RunError {
        match &self.sink {
            Sink::Stdout(_) if e.kind() == std::io::ErrorKind::BrokenPipe => RunError::StdoutClosed,
            Sink::Stdout(_) => RunError::Io(format!("cannot write to standard output: {e}")),
            Sink::InPlace(_) => {
                RunError::Io(format!("cannot write `{}`: {e}", self.path.display()))
            }
            Sink::Atomic { tmp, .. } => {
                RunError::Io(format!("cannot write `{}`: {e}", tmp.display()))
            }
        }
    }

    /// Writes `b`.
    pub fn write(&mut self, b: &[u8]) -> Result<(), RunError> {
        let r = match &mut self.sink {
            Sink::Stdout(w) => w.write_all(b),
            Sink::InPlace(w) | Sink::Atomic { w, .. } => w.write_all(b),
        };
        r.map_err(|e| self.err(e))
    }

    /// Flushes and, for a file written atomically, renames it into place.
    pub fn finish(mut self) -> Result<(), RunError> {
        let r = match &mut self.sink {
            Sink::Stdout(w) => w.flush(),
            Sink::InPlace(w) | Sink::Atomic { w, .. } => w.flush(),
        };
        r.map_err(|e| self.err(e))?;
        if let Sink::Atomic { tmp, .. } = &self.sink {
            std::fs::rename(tmp, &self.path).map_err(|e| {
                RunError::Io(format!(
                    "cannot rename `{}` to `{}`: {e}",
                    tmp.display(),
                    self.path.display()
                ))
            })?;
        }
        self.done = true;
        Ok(())
    }
}

impl Drop for Output {
    /// An output not finished (a failed run) removes its `.partial` file.
    fn drop(&mut self) {
        if !self.done
            && let Sink::Atomic { tmp, .. } = &self.sink
        {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Feeds an SPC trace to the replaying application ahead of the simulation (the runner's,
/// and the TUI's).
pub struct Feeder {
    plan: TracePlan,
    reader: SpcReader<BufReader<File>>,
    pending: Option<(SimTime, u16, u64, u16, bool)>,
    done: bool,
    buf: Vec<(SimTime, u16, u64, u16, bool)>,
}

impl Feeder {
    /// Opens the trace of `plan`.
    pub fn open(plan: TracePlan) -> Result<Feeder, RunError> {
        let f = File::open(&plan.path).map_err(|e| {
            RunError::Io(format!(
                "cannot read trace file `{}`: {e}",
                plan.path.display()
            ))
        })?;
        let leniency = if plan.lenient {
            models::workload::Leniency::Lenient
        } else {
            models::workload::Leniency::Strict
        };
        Ok(Feeder {
            reader: SpcReader::new(BufReader::new(f), leniency),
            plan,
            pending: None,
            done: false,
            buf: Vec::new(),
        })
    }

    /// Whether every operation of the trace has been fed.
    pub fn exhausted(&self) -> bool {
        self.done && self.pending.is_none()
    }

    /// Feeds operations up to `horizon` (`me`: the world's component).
    pub fn feed(&mut self, drv: &mut Driver, horizon: SimTime) -> Result<(), RunError> {
        self.buf.clear();
        loop {
            if let Some(op) = self.pending {
                if op.0 > horizon {
                    break;
                }
                self.buf.push(op);
                self.pending = None;
            }
            if self.done {
                break;
            }
            match self.reader.next() {
                None => self.done = true,
                Some(Err(e)) => {
                    return Err(RunError::Io(format!("{}: {e}", self.plan.path.display())));
                }
                Some(Ok(r)) => {
                    let at = SimTime::from_nanos(libm::round(
                        r.at.as_nanos() as f64 / self.plan.speed,
                    ) as u64);
                    let mapped = self.plan.map.map(r.asu, r.lba, r.bytes).map_err(|e| {
                        RunError::Io(format!(
                            "{}: line {}: {e}",
                            self.plan.path.display(),
                            self.reader.lines_read()
                        ))
                    })?;
                    let write = r.kind == OpKind::Write;
                    let parts = mapped.parts();
                    for (k, p) in parts.iter().enumerate() {
                        let op = (at, p.volume as u16, p.record, p.nrecs, write);
                        if k + 1 == parts.len() {
                            self.pending = Some(op);
                        } else {
                            self.buf.push(op);
                        }
                    }
                }
            }
        }
        if !self.buf.is_empty() {
            let now = drv.now();
            let ops: Vec<_> = self
                .buf
                .drain(..)
                .map(|mut o| {
                    o.0 = o.0.max(now);
                    o
                })
                .collect();
            let (h, a) = (self.plan.host, self.plan.app);
            drv.act(|w, ctx| w.feed_trace(h, a, ops, ctx));
        }
        Ok(())
    }
}

/// What a run leaves: the report and the driver at its end.
pub struct RunOutput {
    /// The report.
    pub report: Report,
    /// The driver (simulation, checker), finished.
    pub driver: Driver,
}

/// The one driver of a simulation, for the CLI, the TUI and the benches: it steps the
/// world, drains the world's observations after every slice into the consistency checker
/// (which the world never reads) and, when asked, the JSONL trace writer, and samples the
/// data-loss window at the world's sampling instants. Cloning it is a snapshot.
#[derive(Clone)]
pub struct Driver {
    sim: Sim,
    me: ComponentId,
    checker: Oracle,
    trace: Option<TraceWriter>,
    /// Per site: nanoseconds of sampled lag owed to each pipeline stage ([`STAGES`]).
    attribution: Vec<[u64; STAGES.len()]>,
    /// Front ends that want the observations themselves (the TUI) get the last ones here.
    keep: Option<Kept>,
    /// Running counts of observations, for front ends (kept with
    /// [`Driver::keep_observations`]).
    counts: ObsCounts,
    /// RPO sample rows (`--rpo-csv`) formatted and not yet taken, when asked.
    rpo_rows: Option<String>,
}

/// Running counts of the world's observations since the start (what a front end shows as
/// rates), kept by the driver as it drains them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObsCounts {
    /// Sequence numbers assigned.
    pub seqs: u64,
    /// Sequence numbers assigned, by primary volume.
    pub seq_by_vol: Vec<u64>,
    /// Tokens received, by site.
    pub token_rx: Vec<u64>,
    /// Updates written at the secondary, by site.
    pub applied: Vec<u64>,
}

impl ObsCounts {
    fn count(&mut self, o: &Obs) {
        match *o {
            Obs::Seq { vol, .. } => {
                self.seqs += 1;
                if let Some(c) = self.seq_by_vol.get_mut(vol.0 as usize) {
                    *c += 1;
                }
            }
            Obs::TokenRx { site, .. } => {
                if let Some(c) = self.token_rx.get_mut(site.0 as usize) {
                    *c += 1;
                }
            }
            Obs::Apply { site, .. } => {
                if let Some(c) = self.applied.get_mut(site.0 as usize) {
                    *c += 1;
                }
            }
            _ => {}
        }
    }
}

/// How many observations [`Driver::keep_observations`] keeps of the frequent kinds (the
/// steps of each write), and of the rare ones (faults, disaster, recovery) apart, so that a
/// rare one is not pushed out by a busy stretch.
pub const KEPT_OBSERVATIONS: usize = 4096;

/// The observations kept for a front end: two rings, in arrival order by index.
#[derive(Clone, Debug, Default)]
struct Kept {
    next: u64,
    frequent: std::collections::VecDeque<(u64, SimTime, Obs)>,
    rare: std::collections::VecDeque<(u64, SimTime, Obs)>,
}

impl Kept {
    fn push(&mut self, t: SimTime, o: Obs) {
        let ring = match o {
            Obs::Seq { .. }
            | Obs::WriteDone { .. }
            | Obs::HostWrite { .. }
            | Obs::TokenRx { .. }
            | Obs::DataRx { .. }
            | Obs::DataHeld { .. }
            | Obs::Apply { .. }
            | Obs::RpoSample => &mut self.frequent,
            _ => &mut self.rare,
        };
        if ring.len() == KEPT_OBSERVATIONS {
            ring.pop_front();
        }
        ring.push_back((self.next, t, o));
        self.next += 1;
    }

    fn take(&mut self) -> Vec<(SimTime, Obs)> {
        let mut all: Vec<(u64, SimTime, Obs)> =
            self.frequent.drain(..).chain(self.rare.drain(..)).collect();
        all.sort_by_key(|e| e.0);
        all.into_iter().map(|(_, t, o)| (t, o)).collect()
    }
}

impl Driver {
    /// Builds the simulation of `built` at time zero, with its checker; `trace`: also
    /// format the JSONL trace.
    pub fn start(built: &Built, trace: bool) -> Result<Driver, RunError> {
        let (mut w, reg) =
            World::build(built.world.clone()).map_err(|e| RunError::Build(e.to_string()))?;
        w.set_drain(built.drain);
        let me = reg.id("world").expect("the world registers itself");
        let cfg = w.config();
        let checker = Oracle::new(OracleConfig {
            sites: cfg.sites.iter().map(|s| s.name.clone()).collect(),
            volsers: cfg.volumes.iter().map(|v| v.volser.clone()).collect(),
            datasets: w.primary_extents(),
            history_window: cfg.run.history_window,
        });
        let trace = trace.then(|| TraceWriter::new(cfg));
        let n_sites = cfg.sites.len();
        let n_vols = cfg.volumes.len();
        let mut sim = Simulation::with_hook(w, reg, TraceHash::new());
        sim.act(me, |w, ctx| w.start(ctx));
        let mut d = Driver {
            sim,
            me,
            checker,
            trace,
            attribution: vec![[0; STAGES.len()]; n_sites],
            keep: None,
            counts: ObsCounts {
                seq_by_vol: vec![0; n_vols],
                token_rx: vec![0; n_sites],
                applied: vec![0; n_sites],
                ..ObsCounts::default()
            },
            rpo_rows: None,
        };
        d.drain();
        Ok(d)
    }

    /// Keep the last observations for a front end ([`Driver::take_kept`]; at most
    /// [`KEPT_OBSERVATIONS`] of the frequent kinds and as many of the rare ones).
    pub fn keep_observations(&mut self) {
        self.keep = Some(Kept::default());
    }

    /// The observations kept since the last call (oldest first), and forgets them.
    pub fn take_kept(&mut self) -> Vec<(SimTime, Obs)> {
        self.keep.as_mut().map_or(Vec::new(), Kept::take)
    }

    /// The simulation.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// The world.
    pub fn world(&self) -> &World {
        self.sim.model()
    }

    /// The consistency checker (the truth, which the world never sees).
    pub fn checker(&self) -> &Oracle {
        &self.checker
    }

    /// Simulated time now.
    pub fn now(&self) -> SimTime {
        self.sim.now()
    }

    /// When the next event is due, if any.
    pub fn next_event_time(&mut self) -> Option<SimTime> {
        self.sim.next_event_time()
    }

    /// Acts on the world from outside (an operator's disaster, trace feeding), then
    /// drains what it observed.
    pub fn act<R>(
        &mut self,
        f: impl FnOnce(&mut World, &mut sim::Ctx<'_, models::world::Ev>) -> R,
    ) -> R {
        let me = self.me;
        let r = self.sim.act(me, f);
        self.drain();
        r
    }

    /// Dispatches one event.
    pub fn step(&mut self) -> Option<SimTime> {
        let t = self.sim.step();
        self.drain();
        t
    }

    /// Runs a slice of the run: events while the clock is before `until` (the event that
    /// crosses it included), at most about `budget` of them, stopping early when the world
    /// finishes. Observations are drained at every sampling instant and at the end.
    pub fn run_slice(&mut self, until: SimTime, budget: u64) {
        let mut left = budget.max(1);
        loop {
            self.sim.run_while(|w, now| {
                left = left.saturating_sub(1);
                left > 0 && now < until && !w.finished() && !w.observations().sample_pending()
            });
            let sampled = self.sim.model().observations().sample_pending();
            self.drain();
            if !sampled || left == 0 || self.sim.model().finished() {
                return;
            }
        }
    }

    /// Dispatches every event due at or before `limit`, then sets the clock to `limit`
    /// (as [`sim::Simulation::run_until`]), draining observations at every sampling instant
    /// and at the end.
    pub fn run_until(&mut self, limit: SimTime) {
        while let Some(t) = self.sim.next_event_time() {
            if t > limit {
                break;
            }
            self.sim.step();
            if self.sim.model().observations().sample_pending() {
                self.drain();
            }
        }
        self.sim.run_until(limit);
        self.drain();
    }

    /// Feeds the checker, the trace and the kept list with what the world observed; at a
    /// sampling instant, samples the data-loss window and attributes it to the stages of
    /// the pipeline where write A+1 is now.
    fn drain(&mut self) {
        let w = self.sim.model();
        let buf = w.observations();
        if buf.is_empty() {
            return;
        }
        for (t, o) in buf.items() {
            self.checker.observe(*t, o, buf);
            if let Some(tw) = &mut self.trace {
                tw.observe(*t, o, buf, &self.checker);
            }
            if let Some(k) = &mut self.keep {
                // Only for a front end: counts and the kept observations.
                self.counts.count(o);
                k.push(*t, *o);
            }
            if matches!(o, Obs::RpoSample) {
                self.checker.sample_rpo(*t);
                if let Some(rows) = &mut self.rpo_rows {
                    use std::fmt::Write as _;
                    for (i, s) in w.config().sites.iter().enumerate() {
                        let site = SiteId(i as u8);
                        let _ = writeln!(
                            rows,
                            "{},{},{},{},{}",
                            t.as_nanos(),
                            s.name,
                            self.checker.consistency_seq(site),
                            self.checker.highest_token_seq(site),
                            self.checker.lag(site, *t).as_nanos()
                        );
                    }
                }
                for (site, att) in self.attribution.iter_mut().enumerate() {
                    if let Some(seq) = self.checker.first_incomplete(SiteId(site as u8)) {
                        let shares = w.stage_times(site, seq, *t);
                        for (a, b) in att.iter_mut().zip(shares) {
                            *a += b;
                        }
                    }
                }
            }
        }
        self.sim.model_mut().clear_observations();
    }

    /// Record a row per site at every RPO sampling instant (`--rpo-csv`, docs/contracts.md
    /// section 8), to be taken with [`Driver::take_rpo_rows`].
    pub fn record_rpo(&mut self) {
        self.rpo_rows = Some(String::new());
    }

    /// RPO sample rows formatted so far and not yet taken (no header).
    pub fn take_rpo_rows(&mut self) -> String {
        self.rpo_rows.as_mut().map_or(String::new(), std::mem::take)
    }

    /// Trace lines formatted so far and not yet taken.
    pub fn take_trace(&mut self) -> Vec<u8> {
        self.trace.as_mut().map_or(Vec::new(), TraceWriter::take)
    }

    /// Bytes of trace waiting to be taken.
    pub fn trace_buffered(&self) -> usize {
        self.trace.as_ref().map_or(0, TraceWriter::buffered)
    }

    /// Evaluates every site not evaluated yet (a world that ran out of events, or stopped
    /// at its limit, without recovering one) at the current instant.
    pub fn finish(&mut self) {
        let now = self.sim.now();
        self.sim.model_mut().close_recovery(now);
        for i in 0..self.sim.model().config().sites.len() {
            let site = SiteId(i as u8);
            if self.checker.site_report(site).is_none() {
                let o = Obs::Recovered { site };
                let buf = models::obs::ObsBuf::default();
                self.checker.observe(now, &o, &buf);
                if let Some(tw) = &mut self.trace {
                    tw.observe(now, &o, &buf, &self.checker);
                }
            }
        }
    }

    /// Record sets and messages in flight now, from the world's public gauges: host writes
    /// in progress, tokens at the serializer and the movers, record sets in sidefiles, and
    /// per site messages queued for and on the link, writes pending and being applied. The
    /// memory guard of [`run`] compares it with its cap.
    pub fn record_sets_pending(&self) -> u64 {
        let g = self.sim.model().gauges();
        let sites: u64 = g
            .sites
            .iter()
            .map(|s| s.link_queue + s.link_in_flight + s.pending + s.applying)
            .sum();
        g.writes_in_flight + g.serializer_queue + g.sidefile + g.mover_queue + sites
    }

    /// Live figures, with points A and B from the checker.
    pub fn gauges(&self) -> models::world::Gauges {
        let mut g = self.sim.model().gauges();
        for (i, s) in g.sites.iter_mut().enumerate() {
            s.consistency_seq = self.checker.consistency_seq(SiteId(i as u8));
            s.highest_token_seq = self.checker.highest_token_seq(SiteId(i as u8));
        }
        g
    }

    /// Running counts of the observations since [`Driver::keep_observations`] was called
    /// (zeros without it).
    pub fn counts(&self) -> &ObsCounts {
        &self.counts
    }

    /// Per site, the sampled lag owed to each stage, ns.
    pub fn attribution(&self) -> &[[u64; STAGES.len()]] {
        &self.attribution
    }
}

/// Builds the driver of `built` at time zero (for the runner and the TUI).
pub fn start(built: &Built, trace: bool) -> Result<Driver, RunError> {
    Driver::start(built, trace)
}

/// The header of the RPO samples CSV (`--rpo-csv`, docs/contracts.md section 8).
pub const RPO_CSV_HEADER: &str = "t_ns,site,consistency_seq,highest_token_seq,lag_ns\n";

/// Runs `built` to its end and writes the requested outputs.
pub fn run(built: &Built, opts: &RunOptions) -> Result<RunOutput, RunError> {
    let mut trace_out = match &opts.trace {
        Some(p) => Some(Output::create(p)?),
        None => None,
    };
    let mut rpo_out = match &opts.rpo_csv {
        Some(p) => {
            let mut o = Output::create(p)?;
            o.write(RPO_CSV_HEADER.as_bytes())?;
            Some(o)
        }
        None => None,
    };
    let mut drv = Driver::start(built, trace_out.is_some())?;
    if rpo_out.is_some() {
        drv.record_rpo();
    }
    let mut feeder = match &built.trace {
        Some(plan) => Some(Feeder::open(plan.clone())?),
        None => None,
    };
    let length = built.world.run.length;
    // After the workload, recovery or drain; stop waiting after a simulated day.
    let limit = SimTime::ZERO + length + SimDuration::from_secs(86_400);
    let progress = opts.progress.then(|| {
        let pb = indicatif::ProgressBar::new(length.as_nanos() / 1_000_000);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} simulated {msg} [{bar:30}] {percent}% eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        pb
    });
    let wall = Instant::now();
    let mut last_tick = Instant::now();
    let mut events_at_tick = 0u64;
    loop {
        if let Some(f) = &mut feeder
            && (!f.done || f.pending.is_some())
        {
            let horizon = drv.now() + SimDuration::from_secs(2);
            f.feed(&mut drv, horizon)?;
        }
        let until = drv.now() + SimDuration::from_millis(500);
        drv.run_slice(until, 200_000);
        let pending = drv.record_sets_pending();
        let cap = opts.max_pending.unwrap_or(built.max_pending);
        if pending > cap {
            return Err(RunError::Outrun {
                pending,
                cap,
                at: drv.now(),
            });
        }
        if let Some(out) = &mut trace_out
            && drv.trace_buffered() > 0
        {
            out.write(&drv.take_trace())?;
        }
        if let Some(out) = &mut rpo_out {
            out.write(drv.take_rpo_rows().as_bytes())?;
        }
        if let Some(pb) = &progress
            && last_tick.elapsed().as_millis() >= 200
        {
            let ev = drv.sim().counters().dispatched;
            let rate = (ev - events_at_tick) as f64 / last_tick.elapsed().as_secs_f64();
            pb.set_position((drv.now().as_nanos() / 1_000_000).min(length.as_nanos() / 1_000_000));
            pb.set_message(format!("{}  {:.1} M events/s", drv.now(), rate / 1e6));
            last_tick = Instant::now();
            events_at_tick = ev;
        }
        if drv.world().finished() || drv.now() >= limit {
            break;
        }
        if drv.next_event_time().is_none() {
            break;
        }
    }
    if let Some(pb) = &progress {
        pb.finish_and_clear();
    }
    let wall_s = wall.elapsed().as_secs_f64();
    drv.finish();
    if let Some(mut out) = trace_out {
        out.write(&drv.take_trace())?;
        out.finish()?;
    }
    if let Some(mut out) = rpo_out {
        out.write(drv.take_rpo_rows().as_bytes())?;
        out.finish()?;
    }
    if let Some(path) = &opts.image {
        write_image(drv.world(), path, &built.scope)?;
    }
    if let Some(path) = &opts.held {
        write_held(drv.world(), path, &built.scope)?;
    }
    let report = make_report(&drv, built, wall_s);
    Ok(RunOutput {
        report,
        driver: drv,
    })
}

/// The secondary image CSV (docs/contracts.md section 4): every record written at a secondary
/// during the run, named by the primary volume it is the copy of; with a recovery scope,
/// only the records of the scope.
pub fn write_image(w: &World, path: &Path, scope: &RecoveryScope) -> Result<(), RunError> {
    let mut out = Output::create(path)?;
    let mut rows: Vec<(String, String, u32, u16, u8, String)> = Vec::new();
    let index: BTreeMap<&str, VolumeId> = w
        .config()
        .volumes
        .iter()
        .enumerate()
        .map(|(i, v)| (v.volser.as_str(), VolumeId(i as u32)))
        .collect();
    for (site, vol, addr, digest) in w.secondary_records() {
        if !scope.is_all() && !index.get(vol).is_some_and(|&v| scope.contains(v, addr)) {
            continue;
        }
        rows.push((
            site.to_string(),
            vol.to_string(),
            addr.cyl,
            addr.head,
            addr.rec,
            digest.to_string(),
        ));
    }
    rows.sort();
    out.write(b"site,vol,cyl,head,r,digest\n")?;
    let mut line = String::new();
    for r in rows {
        use std::fmt::Write as _;
        line.clear();
        let _ = writeln!(line, "{},{},{},{},{},{}", r.0, r.1, r.2, r.3, r.4, r.5);
        out.write(line.as_bytes())?;
    }
    out.finish()
}

/// The held-data export (docs/contracts.md section 10): per site, every entry of the pending
/// write queue after A that the recovery process listed, one row per record, with the
/// content the site holds for it (empty without data); an ordinal whose token never
/// arrived is one row with only the site and ordinal. With a recovery scope, the entries
/// of the scope (and every missing token).
pub fn write_held(w: &World, path: &Path, scope: &RecoveryScope) -> Result<(), RunError> {
    use std::fmt::Write as _;
    let mut out = Output::create(path)?;
    out.write(b"site,ordinal,seq,vol,cyl,head,r,dataset,data,written,digest\n")?;
    let cfg = w.config();
    let mut line = String::new();
    for (i, site) in cfg.sites.iter().enumerate() {
        let Some(view) = w.recovery_view(i) else {
            continue;
        };
        for e in &view.entries {
            line.clear();
            let Some(seq) = e.seq else {
                let _ = writeln!(line, "{},{},,,,,,,false,false,", site.name, e.ordinal);
                out.write(line.as_bytes())?;
                continue;
            };
            if !scope.contains_track(e.vol, e.span.first.track()) {
                continue;
            }
            let vol = &cfg.volumes[e.vol.0 as usize].volser;
            let ds = e.dataset.as_deref().unwrap_or("");
            for (k, a) in e.span.iter().enumerate() {
                let digest = e.digests.get(k).map(|d| d.to_string()).unwrap_or_default();
                let _ = writeln!(
                    line,
                    "{},{},{seq},{vol},{},{},{},{ds},{},{},{digest}",
                    site.name, e.ordinal, a.cyl, a.head, a.rec, e.data, e.written
                );
            }
            out.write(line.as_bytes())?;
        }
    }
    out.finish()
}

/// Assembles the report of a finished simulation.
pub fn make_report(drv: &Driver, built: &Built, wall_s: f64) -> Report {
    let sim = drv.sim();
    let w = sim.model();
    let oracle = drv.checker();
    let cfg = w.config();
    let (writes, bytes, resp) = oracle.primary_stats();
    let mut link = LinkReport {
        messages: 0,
        bytes: 0,
        utilization: 0.0,
    };
    let mut busy = 0u64;
    let mut capacity = 0f64;
    let end = oracle.disaster_at().unwrap_or(sim.now()).as_nanos().max(1) as f64;
    let mut sites = Vec::new();
    for (i, _) in cfg.sites.iter().enumerate() {
        let site = SiteId(i as u8);
        let ls = w.link_stats(i);
        link.messages += ls.messages;
        link.bytes += ls.bytes;
        busy += ls.busy_ns;
        capacity += end * w.link_paths(i) as f64;
        let att = &drv.attribution()[i];
        let total: u64 = att.iter().sum();
        let delay_attribution = STAGES
            .iter()
            .zip(att.iter())
            .map(|(k, v)| {
                (
                    k.to_string(),
                    if total == 0 {
                        0.0
                    } else {
                        *v as f64 / total as f64
                    },
                )
            })
            .collect();
        let core = oracle
            .site_report(site)
            .cloned()
            .expect("every site is evaluated before the report");
        let view = w
            .recovery_view(i)
            .expect("every site's recovery process has listed its holdings");
        let volsers: Vec<String> = cfg.volumes.iter().map(|v| v.volser.clone()).collect();
        let (secondary_view, truth, mut disagreements) =
            site_views(view, &core, &volsers, &built.scope);
        if let Some(z) = &secondary_view.zgm
            && core.lost_writes > 0
        {
            // zgm: the truth's oldest lost write started before the time the site recovered
            // to: the time stamps misled the SDM (hosts off the common time reference).
            let reference = oracle
                .disaster_at()
                .map_or(cfg.run.length.as_nanos(), |t| t.as_nanos());
            let first_lost = reference.saturating_sub(core.data_loss_window_ns);
            let recovered = z
                .sessions
                .iter()
                .map(|s| s.recovered_to_ns)
                .max()
                .unwrap_or(0);
            if first_lost <= recovered {
                disagreements.push(format!(
                    "the site recovered to {:.6} s, but a write started at {:.6} s is not in its image: the time stamps did not follow the true order (a host off the common time reference?)",
                    recovered as f64 / 1e9,
                    first_lost as f64 / 1e9
                ));
            }
        }
        sites.push(SiteOut {
            core,
            delay_attribution,
            link_stats: ls,
            initial_copy_done_ns: w.initial_copy_done(i).map(|t| t.as_nanos()),
            secondary_view,
            truth,
            disagreements,
        });
    }
    link.utilization = if capacity > 0.0 {
        busy as f64 / capacity
    } else {
        0.0
    };
    Report {
        format: "xrcsim-report".into(),
        version: 2,
        scenario: cfg.name.clone(),
        seed: cfg.run.seed,
        mode: cfg.copy.mode.name().into(),
        sim_time_ns: sim.now().as_nanos(),
        wall_s,
        events: sim.counters().dispatched,
        primary: PrimaryReport {
            writes,
            bytes,
            write_response_ns: resp,
        },
        link,
        disaster_at_ns: oracle.disaster_at().map(|t| t.as_nanos()),
        in_flight_delivered: oracle.disaster_at().map(|_| {
            !cfg.faults
                .iter()
                .any(|f| matches!(f, models::world::Fault::Disaster { cut_link: true, .. }))
        }),
        drained: built.drain,
        sites,
        trace_hash: sim.hook().hex(),
        model: w.stats.clone(),
        writes_per_wall_s: if wall_s > 0.0 {
            writes as f64 / wall_s
        } else {
            0.0
        },
        zgm: w.zgm_sessions(),
        volumes: crate::report::volumes(w),
        storage_controls: crate::report::storage_controls(w),
    }
}

/// The record key of a secondary image row (for tests comparing with the trace).
pub fn image_key(w: &World, vol: &str, addr: models::types::Cchhr) -> Option<u64> {
    let v = w.config().volumes.iter().position(|x| x.volser == vol)?;
    Some(record_key(models::types::VolumeId(v as u32), addr))
}

/// Reads a whole SPC trace's summary (for `check`).
pub fn trace_summary(path: &Path, lenient: bool) -> Result<models::workload::TraceStats, RunError> {
    let f = File::open(path)
        .map_err(|e| RunError::Io(format!("cannot read trace file `{}`: {e}", path.display())))?;
    let leniency = if lenient {
        models::workload::Leniency::Lenient
    } else {
        models::workload::Leniency::Strict
    };
    let mut st = models::workload::TraceStats::new();
    for r in SpcReader::new(BufReader::new(f), leniency) {
        let r = r.map_err(|e| RunError::Io(format!("{}: {e}", path.display())))?;
        st.add(&r);
    }
    Ok(st)
}
