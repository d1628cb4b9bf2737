//! One deterministic run of a built scenario: drive the simulation, feed a trace, write the
//! JSONL trace and the secondary image, and assemble the report. All the I/O of a run
//! happens here, outside the model.

use crate::build::{Built, TracePlan};
use crate::report::{LinkReport, PrimaryReport, Report, SiteOut};
use models::content::record_key;
use models::types::SiteId;
use models::workload::{OpKind, SpcReader};
use models::world::{STAGES, World};
use sim::{ComponentId, SimDuration, SimTime, Simulation, TraceHash};
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
    /// Show progress on stderr (simulated time, events/s, ETA).
    pub progress: bool,
}

/// Why a run failed (the message says what to do).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The world could not be built.
    #[error("{0}")]
    Build(String),
    /// Reading the trace or writing an output failed.
    #[error("{0}")]
    Io(String),
}

/// The simulation a runner drives: the world, observed by the trace hash.
pub type Sim = Simulation<World, TraceHash>;

/// A file written under a temporary name and renamed when complete, so an interrupted
/// run never leaves a file that looks complete.
struct Output {
    tmp: PathBuf,
    path: PathBuf,
    w: BufWriter<File>,
}

impl Output {
    fn create(path: &Path) -> Result<Output, RunError> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".partial");
        let tmp = PathBuf::from(tmp);
        let f = File::create(&tmp)
            .map_err(|e| RunError::Io(format!("cannot create `{}`: {e}", tmp.display())))?;
        Ok(Output {
            tmp,
            path: path.to_path_buf(),
            w: BufWriter::new(f),
        })
    }
    fn write(&mut self, b: &[u8]) -> Result<(), RunError> {
        self.w
            .write_all(b)
            .map_err(|e| RunError::Io(format!("cannot write `{}`: {e}", self.tmp.display())))
    }
    fn finish(mut self) -> Result<(), RunError> {
        self.w
            .flush()
            .map_err(|e| RunError::Io(format!("cannot write `{}`: {e}", self.tmp.display())))?;
        std::fs::rename(&self.tmp, &self.path).map_err(|e| {
            RunError::Io(format!(
                "cannot rename `{}` to `{}`: {e}",
                self.tmp.display(),
                self.path.display()
            ))
        })
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
    pub fn feed(
        &mut self,
        sim: &mut Sim,
        me: ComponentId,
        horizon: SimTime,
    ) -> Result<(), RunError> {
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
            let now = sim.now();
            let ops: Vec<_> = self
                .buf
                .drain(..)
                .map(|mut o| {
                    o.0 = o.0.max(now);
                    o
                })
                .collect();
            let (h, a) = (self.plan.host, self.plan.app);
            sim.act(me, |w, ctx| w.feed_trace(h, a, ops, horizon, ctx));
        }
        Ok(())
    }
}

/// What a run leaves: the report and the simulation at its end.
pub struct RunOutput {
    /// The report.
    pub report: Report,
    /// The simulation, finished.
    pub sim: Sim,
}

/// Builds the simulation of `built` at time zero (for the runner and the TUI).
pub fn start(built: &Built, trace: bool) -> Result<Sim, RunError> {
    let mut cfg = built.world.clone();
    cfg.run.trace = trace;
    let (mut w, reg) = World::build(cfg).map_err(|e| RunError::Build(e.to_string()))?;
    w.set_drain(built.drain);
    let me = reg.id("world").expect("the world registers itself");
    let mut sim = Simulation::with_hook(w, reg, TraceHash::new());
    sim.act(me, |w, ctx| w.start(ctx));
    Ok(sim)
}

/// Runs `built` to its end and writes the requested outputs.
pub fn run(built: &Built, opts: &RunOptions) -> Result<RunOutput, RunError> {
    let mut trace_out = match &opts.trace {
        Some(p) => Some(Output::create(p)?),
        None => None,
    };
    let mut sim = start(built, trace_out.is_some())?;
    let me = sim.registry().id("world").expect("registered");
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
            let horizon = sim.now() + SimDuration::from_secs(2);
            f.feed(&mut sim, me, horizon)?;
        }
        let until = sim.now() + SimDuration::from_millis(500);
        let mut budget = 200_000u32;
        sim.run_while(|w, now| {
            budget = budget.saturating_sub(1);
            budget > 0 && now < until && !w.finished()
        });
        if let (Some(out), Some(tw)) = (&mut trace_out, &mut sim.model_mut().oracle.trace)
            && tw.buffered() > 0
        {
            out.write(&tw.take())?;
        }
        if let Some(pb) = &progress
            && last_tick.elapsed().as_millis() >= 200
        {
            let ev = sim.counters().dispatched;
            let rate = (ev - events_at_tick) as f64 / last_tick.elapsed().as_secs_f64();
            pb.set_position((sim.now().as_nanos() / 1_000_000).min(length.as_nanos() / 1_000_000));
            pb.set_message(format!("{}  {:.1} M events/s", sim.now(), rate / 1e6));
            last_tick = Instant::now();
            events_at_tick = ev;
        }
        if sim.model().finished() || sim.now() >= limit {
            break;
        }
        if sim.next_event_time().is_none() {
            break;
        }
    }
    if let Some(pb) = &progress {
        pb.finish_and_clear();
    }
    let wall_s = wall.elapsed().as_secs_f64();
    // A world that ran out of events without evaluating a site (nothing could drain it)
    // is evaluated now.
    let now = sim.now();
    for i in 0..sim.model().config().sites.len() {
        let site = SiteId(i as u8);
        if sim.model().oracle.site_report(site).is_none() {
            sim.model_mut().oracle.on_recovered(now, site);
        }
    }
    if let Some(mut out) = trace_out {
        if let Some(tw) = &mut sim.model_mut().oracle.trace {
            out.write(&tw.take())?;
        }
        out.finish()?;
    }
    if let Some(path) = &opts.image {
        write_image(sim.model(), path)?;
    }
    let report = make_report(&sim, built, wall_s);
    Ok(RunOutput { report, sim })
}

/// The secondary image CSV (CONTRACTS.md section 4): every record written at a secondary
/// during the run, named by the primary volume it is the copy of.
pub fn write_image(w: &World, path: &Path) -> Result<(), RunError> {
    let mut out = Output::create(path)?;
    let mut rows: Vec<(String, String, u32, u16, u8, String)> = Vec::new();
    for (site, vol, addr, digest) in w.secondary_records() {
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

/// Assembles the report of a finished simulation.
pub fn make_report(sim: &Sim, built: &Built, wall_s: f64) -> Report {
    let w = sim.model();
    let cfg = w.config();
    let (writes, bytes, resp) = w.oracle.primary_stats();
    let mut link = LinkReport {
        messages: 0,
        bytes: 0,
        utilization: 0.0,
    };
    let mut busy = 0u64;
    let mut capacity = 0f64;
    let end = w
        .oracle
        .disaster_at()
        .unwrap_or(sim.now())
        .as_nanos()
        .max(1) as f64;
    let mut sites = Vec::new();
    for (i, _) in cfg.sites.iter().enumerate() {
        let site = SiteId(i as u8);
        let ls = w.link_stats(i);
        link.messages += ls.messages;
        link.bytes += ls.bytes;
        busy += ls.busy_ns;
        capacity += end * w.link_paths(i) as f64;
        let att = &w.attribution[i];
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
        let core = w
            .oracle
            .site_report(site)
            .cloned()
            .expect("every site is evaluated before the report");
        sites.push(SiteOut {
            core,
            delay_attribution,
            link_stats: ls,
            initial_copy_done_ns: w.initial_copy_done(i).map(|t| t.as_nanos()),
        });
    }
    link.utilization = if capacity > 0.0 {
        busy as f64 / capacity
    } else {
        0.0
    };
    Report {
        format: "xrcsim-report".into(),
        version: 1,
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
        disaster_at_ns: w.oracle.disaster_at().map(|t| t.as_nanos()),
        drained: built.drain,
        sites,
        trace_hash: sim.hook().hex(),
        model: w.stats.clone(),
        writes_per_wall_s: if wall_s > 0.0 {
            writes as f64 / wall_s
        } else {
            0.0
        },
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
