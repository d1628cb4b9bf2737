//! Hosts and their applications: open-loop chain arrivals, dependent operations within a
//! chain (each issued `think` after the previous completed), and trace-driven applications
//! fed by the runner.
//!
//! [`Hosts`] is the component: it owns the applications (their generators and fed
//! operations) and the chains in progress, and decides what each application does next
//! and when. It does no I/O and schedules nothing itself: the world turns each
//! [`OpIssue`] into a channel program on a storage control and schedules what the hosts
//! ask for.

use super::{AppSource, BuildError, Ev, Io, Origin, Volume, World, WorldConfig, chan};
use crate::content::{RecSpan, WriteId, digest_of};
use crate::obs::Obs;
use crate::types::{Cchhr, VolumeId};
use crate::workload::{ChainSpec, OpKind, OpSpec, Program, ProgramMix, Workload};
use sim::{ComponentId, Ctx, Registry, SimDuration, SimRng, SimTime};
use slab::Slab;
use std::collections::VecDeque;

/// A data-set slot of an application, resolved to a volume extent.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Slot {
    /// Primary volume.
    pub vol: VolumeId,
    /// First and last linear track of the extent (inclusive).
    pub first_track: u64,
    pub last_track: u64,
    /// Records in the extent, and per track.
    pub records: u64,
    pub per_track: u32,
    /// Key and data length of its records, bytes.
    pub key_len: u8,
    pub data_len: u16,
}

/// An application: a synthetic generator, or operations fed from a trace.
#[derive(Clone, Debug)]
pub(crate) struct App {
    pub workload: Option<Workload>,
    pub slots: Vec<Slot>,
    /// Trace-driven: operations fed by the runner, (time, slot, record, nrecs, write).
    pub feed: VecDeque<(SimTime, u16, u64, u16, bool)>,
    pub feed_scheduled: bool,
    /// The channel-program families its operations draw from.
    pub programs: ProgramMix,
}

/// A host system.
#[derive(Clone, Debug)]
pub(crate) struct Host {
    pub comp: ComponentId,
    pub apps: Vec<App>,
    /// Error recovery: retries of a retryable unit check before the request fails.
    pub erp_retries: u32,
}

/// A chain of dependent operations in progress.
#[derive(Clone, Debug)]
pub(crate) struct ChainRun {
    pub host: u16,
    pub app: u16,
    pub spec: ChainSpec,
    pub pos: u8,
    pub last_seq: Option<u64>,
    /// The channel-program family of the current operation (drawn at its first try).
    pub program: Program,
    /// Read-before-write: the read half of the current operation is done.
    pub read_done: bool,
    /// Tries of the current operation's channel program that ended in unit check.
    pub failures: u32,
    /// The unit check being recovered: (sense bytes 0, 1, 7; a write), while the host's
    /// Sense runs.
    pub sensing: Option<([u8; 3], bool)>,
}

/// An operation a host starts now: what the world needs to build its channel program.
#[derive(Copy, Clone, Debug)]
pub(crate) struct OpIssue {
    /// The chain it belongs to.
    pub chain: u32,
    /// The issuing host.
    pub host: u16,
    /// The data set it addresses.
    pub slot: Slot,
    /// The records it reads or writes.
    pub span: RecSpan,
    /// A write (else a read).
    pub write: bool,
    /// The write's identity (0 for a read): its content is `digest_of(vol, record, id)`.
    pub write_id: WriteId,
    /// The sequence number of the chain's previous replicated write (a dependent write).
    pub dep: Option<u64>,
    /// The channel-program family to build.
    pub program: Program,
}

/// A host operation's channel program, kept in its I/O until the command phase builds it
/// (`World::build_deferred_chain`): what the chain depends on besides the I/O's volume,
/// span and write identity.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct DeferredProgram {
    /// The channel-program family.
    pub program: Program,
    /// A write (else a read).
    pub write: bool,
    /// First and last linear track of the data set's extent (Define Extent). 32 bits hold
    /// every linear track number (the largest EAV volume has about 4.03 x 10^9 tracks), as
    /// in `Volume`'s inline copies; the I/O slot stays small.
    pub extent: (u32, u32),
    /// Key and data length of the records, bytes.
    pub key_len: u8,
    pub data_len: u16,
}

/// What a chain does after one of its operations ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum ChainNext {
    /// Issue the next operation now (no think time).
    Issue,
    /// Issue the next operation after the think time ([`Ev::NextOp`] to the host).
    Think(SimDuration, ComponentId),
    /// The chain is over.
    Done,
}

/// What a trace-driven application has due.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum FeedStep {
    /// An operation due now.
    Op(OpSpec),
    /// The next operation is due at this time.
    Later(SimTime),
    /// Nothing fed beyond what was issued.
    Empty,
}

/// Every host's applications and chains in progress. See the module documentation.
#[derive(Clone, Debug)]
pub(crate) struct Hosts {
    hosts: Vec<Host>,
    chains: Slab<ChainRun>,
    next_write_id: WriteId,
}

impl Hosts {
    /// The hosts, with no chain in progress; write identities start at 1.
    pub fn new(hosts: Vec<Host>) -> Self {
        Hosts {
            hosts,
            chains: Slab::new(),
            next_write_id: 1,
        }
    }

    /// The hosts of `cfg`, each registered as a component (`host.NAME`), their
    /// applications' data sets resolved to slots on `volumes`.
    pub fn build(
        cfg: &WorldConfig,
        volumes: &[Volume],
        reg: &mut Registry,
    ) -> Result<Self, BuildError> {
        let err = |m: String| BuildError(m);
        let reg_err = |e: sim::DuplicateComponent| BuildError(e.to_string());
        let mut hosts = Vec::new();
        for h in &cfg.hosts {
            let comp = reg.add(&format!("host.{}", h.name)).map_err(reg_err)?;
            let mut apps = Vec::new();
            for a in &h.apps {
                let mut slots = Vec::new();
                for &(vol, ds) in &a.datasets {
                    let v = volumes.get(vol.0 as usize).ok_or_else(|| {
                        err(format!(
                            "application {} names volume #{} which does not exist",
                            a.name, vol.0
                        ))
                    })?;
                    let d = v.image.datasets().get(ds).ok_or_else(|| {
                        err(format!(
                            "application {} names data set #{ds} of {} which does not exist",
                            a.name,
                            v.image.volser()
                        ))
                    })?;
                    let per_track = v
                        .image
                        .device_type()
                        .records_per_track(d.key_len, d.data_len as u32);
                    slots.push(Slot {
                        vol,
                        first_track: d.first_track,
                        last_track: d.last_track,
                        records: d.tracks() * per_track as u64,
                        per_track,
                        key_len: d.key_len,
                        data_len: d.data_len,
                    });
                }
                let workload = match &a.source {
                    AppSource::Synthetic(spec) => {
                        let shapes: Vec<_> = slots
                            .iter()
                            .map(|s| crate::workload::DataSetShape {
                                records: s.records,
                                records_per_track: s.per_track,
                            })
                            .collect();
                        let mut w = Workload::new(spec, &shapes)
                            .map_err(|e| err(format!("application {}: {e}", a.name)))?;
                        if a.rate_scale != 1.0 {
                            w.scale_rate(a.rate_scale)
                                .map_err(|e| err(format!("application {}: {e}", a.name)))?;
                        }
                        Some(w)
                    }
                    AppSource::Trace => None,
                };
                apps.push(App {
                    workload,
                    slots,
                    feed: VecDeque::new(),
                    feed_scheduled: false,
                    programs: a.programs,
                });
            }
            hosts.push(Host {
                comp,
                apps,
                erp_retries: h.erp_retries,
            });
        }
        Ok(Hosts::new(hosts))
    }

    /// Host `host`'s component (its random stream and event target).
    pub fn comp(&self, host: usize) -> ComponentId {
        self.hosts[host].comp
    }

    /// (host, application) of every synthetic application, in order.
    pub fn synthetic_apps(&self) -> impl Iterator<Item = (u16, u16)> + '_ {
        self.hosts.iter().enumerate().flat_map(|(h, host)| {
            host.apps
                .iter()
                .enumerate()
                .filter(|(_, a)| a.workload.is_some())
                .map(move |(a, _)| (h as u16, a as u16))
        })
    }

    /// The time from `now` to the first (or next) arrival of a synthetic application.
    pub fn next_arrival(
        &mut self,
        host: u16,
        app: u16,
        now: SimTime,
        rng: &mut SimRng,
    ) -> SimDuration {
        let w = self.hosts[host as usize].apps[app as usize]
            .workload
            .as_mut()
            .expect("a synthetic application");
        w.next_arrival(now, rng)
    }

    /// An arrival of application `app`: the chain a synthetic application starts (drawn
    /// from the host's stream), or `None` for a trace-driven one (see [`Hosts::due_feed`]).
    pub fn arrival(&mut self, host: u16, app: u16, rng: &mut SimRng) -> Option<ChainSpec> {
        let w = self.hosts[host as usize].apps[app as usize]
            .workload
            .as_mut()?;
        Some(w.next_chain(rng))
    }

    /// Starts chain `spec` of an application; its number, or `None` for an empty chain.
    pub fn start_chain(&mut self, host: u16, app: u16, spec: ChainSpec) -> Option<u32> {
        if spec.is_empty() {
            return None;
        }
        Some(self.chains.insert(ChainRun {
            host,
            app,
            spec,
            pos: 0,
            last_seq: None,
            program: Program::Update,
            read_done: false,
            failures: 0,
            sensing: None,
        }) as u32)
    }

    /// Whether chain `chain` is still in progress.
    pub fn chain_alive(&self, chain: u32) -> bool {
        self.chains.contains(chain as usize)
    }

    /// Chains in progress.
    #[cfg(test)]
    pub fn chains_in_progress(&self) -> usize {
        self.chains.len()
    }

    /// The host a chain runs on.
    pub fn chain_host(&self, chain: u32) -> u16 {
        self.chains[chain as usize].host
    }

    /// The chain's current operation, resolved to records of its data set; a write gets
    /// its identity here. At an operation's first try its channel-program family is
    /// drawn from `rng` (only when the application's mix is not `update` alone). `None`
    /// (and the chain ends) when it names a slot that does not exist (refused at build
    /// time, so only a defensive case).
    pub fn op(&mut self, chain: u32, rng: &mut SimRng) -> Option<OpIssue> {
        let c = &self.chains[chain as usize];
        let (host, app) = (c.host, c.app);
        let op: OpSpec = c
            .spec
            .op(c.pos as usize)
            .expect("position within the chain");
        let dep = c.last_seq;
        let a = &self.hosts[host as usize].apps[app as usize];
        let Some(&slot) = a.slots.get(op.dataset as usize) else {
            self.chains.remove(chain as usize);
            return None;
        };
        let mix = a.programs;
        let c = &mut self.chains[chain as usize];
        if c.failures == 0 && !c.read_done {
            c.program = if mix.is_update_only() {
                Program::Update
            } else {
                mix.pick(sim::rng::uniform01(rng))
            };
        }
        let program = c.program;
        let per = slot.per_track.max(1) as u64;
        let mut nrecs = (op.nrecs.max(1) as u64).min(slot.records.max(1)) as u16;
        let mut wanted = op.record;
        if program == Program::Multitrack && per < slot.records {
            // Start at the last record of the track so the domain crosses to the next.
            wanted = (wanted / per) * per + per - 1;
            nrecs = nrecs.max(2).min(slot.records.min(255) as u16);
        }
        let mut record = wanted.min(slot.records.saturating_sub(nrecs as u64));
        let write = op.kind == OpKind::Write;
        if program == Program::Format && write {
            // Format to the end of the last track touched, so the tracks keep their
            // records (Write CKD erases the rest of its track).
            let last = record + nrecs as u64 - 1;
            let mut end = (last / per + 1) * per;
            while end - record > 255 && end - per > record {
                end -= per;
            }
            if end - record > 255 {
                // A span of more than 255 records to the end of its first track cannot
                // be one domain: format whole tracks from the track's R1 instead.
                record = (record / per) * per;
                end = record + per;
            }
            nrecs = (end - record) as u16;
        }
        let first_track = slot.first_track + record / slot.per_track as u64;
        let first = Cchhr::from_track(first_track, (record % slot.per_track as u64) as u8 + 1);
        let span = RecSpan {
            first,
            n: nrecs,
            per_track: slot.per_track.min(255) as u8,
        };
        // Read-before-write: the read half first.
        let write = write && (program != Program::ReadBeforeWrite || c.read_done);
        let write_id = if write {
            let w = self.next_write_id;
            self.next_write_id += 1;
            w
        } else {
            0
        };
        Some(OpIssue {
            chain,
            host,
            slot,
            span,
            write,
            write_id,
            dep: if write { dep } else { None },
            program,
        })
    }

    /// The chain's operation ended (`seq`: its sequence number, 0 when not replicated):
    /// what the chain does next.
    pub fn op_done(&mut self, chain: u32, seq: u64, write: bool, failed: bool) -> ChainNext {
        let c = &mut self.chains[chain as usize];
        let op_write = c
            .spec
            .op(c.pos as usize)
            .is_some_and(|o| o.kind == OpKind::Write);
        if !failed && !write && op_write && c.program == Program::ReadBeforeWrite && !c.read_done {
            // The read half is done: the update write follows at once (its own tries
            // counted from 1).
            c.read_done = true;
            c.failures = 0;
            return ChainNext::Issue;
        }
        c.read_done = false;
        c.failures = 0;
        c.sensing = None;
        if seq != 0 {
            c.last_seq = Some(seq);
        } else if write {
            // A write that is not replicated breaks no dependency the copy must keep.
            c.last_seq = None;
        }
        c.pos += 1;
        if (c.pos as usize) < c.spec.len() && !failed {
            let think = c.spec.think;
            if think.is_zero() {
                ChainNext::Issue
            } else {
                ChainNext::Think(think, self.hosts[c.host as usize].comp)
            }
        } else {
            self.chains.remove(chain as usize);
            ChainNext::Done
        }
    }

    /// The chain's channel program ended in unit check with sense bytes `sense`: the host's
    /// error recovery reads the sense bytes (a Sense chain) before it decides.
    pub fn unit_check(&mut self, chain: u32, sense: [u8; 3], write: bool) {
        let c = &mut self.chains[chain as usize];
        c.failures += 1;
        c.sensing = Some((sense, write));
    }

    /// The Sense after a unit check ended: the error recovery's decision, with the unit
    /// check's sense bytes, whether it was a write, and the try that failed. An equipment
    /// check is retried up to the host's `erp_retries` times; no record found, file
    /// protected, invalid track format and command reject are program errors, returned to
    /// the application (the request fails).
    pub fn erp_decide(&mut self, chain: u32) -> (bool, [u8; 3], bool, u32) {
        let c = &mut self.chains[chain as usize];
        let (sense, write) = c.sensing.take().unwrap_or(([0; 3], false));
        let retryable = sense[0] & crate::ccw::status::sense0::EQUIPMENT_CHECK != 0
            && sense[0] & crate::ccw::status::sense0::COMMAND_REJECT == 0;
        let retry = retryable && c.failures <= self.hosts[c.host as usize].erp_retries;
        (retry, sense, write, c.failures)
    }

    /// Whether the chain is recovering from a unit check (its Sense is running).
    pub fn is_sensing(&self, chain: u32) -> bool {
        self.chains[chain as usize].sensing.is_some()
    }

    /// Adds trace operations to application `app`'s feed; the time of its next arrival
    /// when none is scheduled yet.
    pub fn feed(
        &mut self,
        host: usize,
        app: usize,
        ops: impl IntoIterator<Item = (SimTime, u16, u64, u16, bool)>,
    ) -> Option<SimTime> {
        let a = &mut self.hosts[host].apps[app];
        a.feed.extend(ops);
        if a.feed_scheduled {
            return None;
        }
        let &(t, ..) = a.feed.front()?;
        a.feed_scheduled = true;
        Some(t)
    }

    /// The next fed operation of application `app` due at `now`.
    pub fn due_feed(&mut self, host: u16, app: u16, now: SimTime) -> FeedStep {
        let a = &mut self.hosts[host as usize].apps[app as usize];
        match a.feed.front() {
            Some(&(t, slot, record, nrecs, write)) if t <= now => {
                a.feed.pop_front();
                FeedStep::Op(if write {
                    OpSpec::write(slot, record, nrecs)
                } else {
                    OpSpec::read(slot, record, nrecs)
                })
            }
            Some(&(t, ..)) => FeedStep::Later(t),
            None => {
                a.feed_scheduled = false;
                FeedStep::Empty
            }
        }
    }

    /// The slots of an application: (volume, records, records per track, record bytes).
    pub fn app_slots(&self, host: usize, app: usize) -> Vec<(VolumeId, u64, u32, u16)> {
        self.hosts[host].apps[app]
            .slots
            .iter()
            .map(|s| (s.vol, s.records, s.per_track, s.data_len))
            .collect()
    }
}

impl World {
    /// An application starts a chain; the next arrival is scheduled.
    pub(crate) fn on_arrival(&mut self, host: u16, app: u16, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive || !self.workload_on {
            return;
        }
        let comp = self.hosts.comp(host as usize);
        let now = ctx.now();
        let Some(spec) = self.hosts.arrival(host, app, ctx.rng_of(comp)) else {
            return self.on_feed_arrival(host, app, ctx);
        };
        let d = self.hosts.next_arrival(host, app, now, ctx.rng_of(comp));
        ctx.schedule_in(d, comp, Ev::Arrival { host, app });
        if let Some(chain) = self.hosts.start_chain(host, app, spec) {
            self.issue_op(chain, ctx);
        }
    }

    /// Think time over: the chain's next operation.
    pub(crate) fn on_next_op(&mut self, chain: u32, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive || !self.hosts.chain_alive(chain) {
            return;
        }
        self.issue_op(chain, ctx);
    }

    /// Builds the channel program of the chain's current operation and starts it.
    fn issue_op(&mut self, chain: u32, ctx: &mut Ctx<'_, Ev>) {
        let comp = self.hosts.comp(self.hosts.chain_host(chain) as usize);
        let Some(op) = self.hosts.op(chain, ctx.rng_of(comp)) else {
            return;
        };
        let slot = op.slot;
        let io = self.dasd.ios.vacant_key() as u32;
        let vol = slot.vol;
        let deferred = DeferredProgram {
            program: op.program,
            write: op.write,
            extent: (slot.first_track as u32, slot.last_track as u32),
            key_len: slot.key_len,
            data_len: slot.data_len,
        };
        let mut bytes = op.span.n as u32 * slot.data_len as u32;
        if !op.write && op.program == Program::ReadTrack {
            // Full-track images of every track touched.
            let (t0, t1) = op.span.tracks();
            bytes = (t1 - t0 + 1) as u32 * slot.per_track * slot.data_len as u32;
        }
        // The `ccw_errors` fault: this try ends in unit check. The chain is built now, as
        // the fault corrupts it; otherwise it is built when the I/O reaches its device's
        // command phase (`build_deferred_chain`), so that a queued I/O holds no chain.
        let mut forced = 0;
        let mut ccws = Vec::new();
        let mut pending = true;
        if self.ccw_errors.is_some()
            && let Some(e) = self.draw_ccw_error(ctx.rng_of(comp))
        {
            ccws = self.spare_chain();
            self.build_chain(&mut ccws, deferred, vol, op.span, op.write_id);
            pending = false;
            let tracks = self.dasd.volumes[vol.0 as usize]
                .image
                .device_type()
                .tracks();
            if chan::corrupt(&mut ccws, e, tracks) == chan::CcwError::EquipmentCheck {
                forced = crate::ccw::status::sense0::EQUIPMENT_CHECK;
            }
        }
        let mut new = Io::new(
            Origin::App { chain: op.chain },
            vol,
            op.host,
            op.write,
            op.span,
            bytes,
            op.write_id,
            0,
            op.dep,
            ctx.now(),
            ccws,
        );
        if pending {
            new.chain = super::ChainSlot::Deferred(deferred);
        }
        new.format = op.write && op.program == Program::Format;
        new.forced_check = forced;
        let key = self.dasd.ios.insert(new);
        debug_assert_eq!(key as u32, io);
        self.begin_io(io, ctx);
    }

    /// The host's error recovery reads the sense bytes of the unit check that ended the
    /// chain's last channel program: a Sense chain to the same device.
    fn issue_sense(&mut self, chain: u32, failed: &Io, ctx: &mut Ctx<'_, Ev>) {
        self.stats.senses += 1;
        self.hosts.unit_check(chain, failed.sense, failed.write);
        let mut ccws = self.spare_chain();
        chan::build_sense(&mut ccws);
        let span = RecSpan {
            n: 1,
            ..failed.span
        };
        let mut io = Io::new(
            Origin::App { chain },
            failed.vol,
            failed.group,
            false,
            span,
            crate::ccw::status::SENSE_BYTES as u32,
            0,
            0,
            None,
            ctx.now(),
            ccws,
        );
        io.control = true;
        let io = self.dasd.ios.insert(io) as u32;
        self.begin_io(io, ctx);
    }

    /// The Sense ended: retry the channel program or fail the request.
    fn erp_sensed(&mut self, chain: u32, io: &Io, ctx: &mut Ctx<'_, Ev>) {
        let (retry, sense, write, attempt) = self.hosts.erp_decide(chain);
        self.observe(
            ctx.now(),
            Obs::UnitCheck {
                vol: io.vol,
                write,
                sense0: sense[0],
                sense1: sense[1],
                attempt,
                retry,
            },
        );
        if retry && self.primary_alive {
            self.stats.retries += 1;
            self.issue_op(chain, ctx);
            return;
        }
        self.stats.failed_requests += 1;
        match self.hosts.op_done(chain, 0, write, true) {
            ChainNext::Issue => self.issue_op(chain, ctx),
            ChainNext::Think(think, comp) => {
                ctx.schedule_in(think, comp, Ev::NextOp { chain });
            }
            ChainNext::Done => {}
        }
    }

    /// A CCW buffer to reuse (keeps allocations off the hot path).
    pub(crate) fn spare_chain(&mut self) -> Vec<crate::ccw::Ccw> {
        self.spare_ccws.pop().unwrap_or_default()
    }

    /// Builds the channel program of a host operation into `ccws` (see
    /// [`chan::build_program`]): the same chain whenever it is built, as it depends only on
    /// the operation.
    fn build_chain(
        &mut self,
        ccws: &mut Vec<crate::ccw::Ccw>,
        p: DeferredProgram,
        vol: VolumeId,
        span: RecSpan,
        write_id: WriteId,
    ) {
        chan::build_program(
            ccws,
            &mut self.scratch,
            p.program,
            p.write,
            (p.extent.0 as u64, p.extent.1 as u64),
            span,
            p.key_len,
            p.data_len,
            |a| digest_of(vol, a, write_id),
        );
    }

    /// Builds the channel program of I/O `io` if it was deferred at issue: called when the
    /// I/O reaches its device's command phase, the first point that reads its chain.
    #[inline]
    pub(crate) fn build_deferred_chain(&mut self, io: u32) {
        let Some(i) = self.dasd.ios.get_mut(io as usize) else {
            return;
        };
        let super::ChainSlot::Deferred(p) = i.chain else {
            return;
        };
        let mut ccws = self.spare_ccws.pop().unwrap_or_default();
        let (vol, write_id) = (i.vol, i.write_id);
        chan::build_program(
            &mut ccws,
            &mut self.scratch,
            p.program,
            p.write,
            (p.extent.0 as u64, p.extent.1 as u64),
            i.span,
            p.key_len,
            p.data_len,
            |a| digest_of(vol, a, write_id),
        );
        i.chain = super::ChainSlot::Built(ccws);
    }

    /// Returns an ended I/O's chain buffer to the spare pool (an unbuilt one holds no
    /// memory and is dropped).
    fn recycle_chain(&mut self, mut ccws: Vec<crate::ccw::Ccw>) {
        if ccws.capacity() > 0 {
            ccws.clear();
            self.spare_ccws.push(ccws);
        }
    }

    /// An application's I/O ended: record it, then go on with the chain.
    pub(crate) fn app_io_done(&mut self, chain: u32, io: Io, ctx: &mut Ctx<'_, Ev>) {
        let now = ctx.now();
        if io.control || io.failed {
            // Error recovery: a unit check is sensed first, then retried or failed.
            if io.control && self.hosts.is_sensing(chain) {
                self.erp_sensed(chain, &io, ctx);
            } else if io.failed {
                self.stats.ios += 1;
                if io.control {
                    // The Sense itself failed (not modelled: a Sense does not fail).
                    self.stats.failed_requests += 1;
                    let _ = self.hosts.op_done(chain, 0, io.write, true);
                } else {
                    self.issue_sense(chain, &io, ctx);
                }
            }
            self.recycle_chain(io.chain.into_vec());
            self.check_drained(ctx);
            return;
        }
        self.stats.ios += 1;
        if io.write {
            if io.format {
                self.stats.format_writes += 1;
            }
            let (t0, t1) = io.span.tracks();
            if t1 > t0 {
                self.stats.multitrack_writes += 1;
            }
            if !io.failed {
                self.observe(
                    now,
                    Obs::HostWrite {
                        bytes: io.bytes,
                        response: now - io.issued,
                    },
                );
            }
            if io.seq != 0 {
                self.observe(
                    now,
                    Obs::WriteDone {
                        seq: io.seq,
                        vol: io.vol,
                        span: io.span,
                        writer: io.write_id,
                    },
                );
                if let Some(e) = self.entry_mut(io.seq) {
                    e.host_done = true;
                    e.io = None;
                }
                self.retire_writes();
            }
        } else {
            self.stats.reads += 1;
        }
        let (seq, write, failed) = (io.seq, io.write, io.failed);
        self.recycle_chain(io.chain.into_vec());
        match self.hosts.op_done(chain, seq, write, failed) {
            ChainNext::Issue => self.issue_op(chain, ctx),
            ChainNext::Think(think, comp) => {
                ctx.schedule_in(think, comp, Ev::NextOp { chain });
            }
            ChainNext::Done => {}
        }
        self.check_drained(ctx);
    }

    /// Feeds trace-driven operations to application `app` of `host`: `(time, slot, record,
    /// nrecs, write)` in non-decreasing time, no earlier than now. The runner (which reads
    /// the trace file) calls this ahead of the simulation.
    pub fn feed_trace(
        &mut self,
        host: usize,
        app: usize,
        ops: impl IntoIterator<Item = (SimTime, u16, u64, u16, bool)>,
        ctx: &mut Ctx<'_, Ev>,
    ) {
        if let Some(t) = self.hosts.feed(host, app, ops) {
            let comp = self.hosts.comp(host);
            let _ = ctx.schedule_at(
                t.max(ctx.now()),
                comp,
                Ev::Arrival {
                    host: host as u16,
                    app: app as u16,
                },
            );
        }
    }

    /// Trace-driven arrival: issue every fed operation due now.
    pub(crate) fn on_feed_arrival(&mut self, host: u16, app: u16, ctx: &mut Ctx<'_, Ev>) {
        let now = ctx.now();
        loop {
            match self.hosts.due_feed(host, app, now) {
                FeedStep::Op(op) => {
                    if self.primary_alive
                        && self.workload_on
                        && let Some(chain) =
                            self.hosts.start_chain(host, app, ChainSpec::single(op))
                    {
                        self.issue_op(chain, ctx);
                    }
                }
                FeedStep::Later(t) => {
                    let comp = self.hosts.comp(host as usize);
                    ctx.schedule_in(t - now, comp, Ev::Arrival { host, app });
                    return;
                }
                FeedStep::Empty => return,
            }
        }
    }

    /// The volume `slot` of a trace-driven application maps to, and its records (for the
    /// runner's block mapping).
    pub fn app_slots(&self, host: usize, app: usize) -> Vec<(VolumeId, u64, u32, u16)> {
        self.hosts.app_slots(host, app)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::OpSpec;

    /// One host with one application over a data set of tracks 150..=299, 12 records of
    /// 4 KiB per track, drawing its programs from `mix`.
    fn hosts(mix: ProgramMix, erp_retries: u32) -> Hosts {
        let mut reg = Registry::new(1);
        let comp = reg.add("host.A").unwrap();
        Hosts::new(vec![Host {
            comp,
            apps: vec![App {
                workload: None,
                slots: vec![Slot {
                    vol: VolumeId(0),
                    first_track: 150,
                    last_track: 299,
                    records: 150 * 12,
                    per_track: 12,
                    key_len: 0,
                    data_len: 4096,
                }],
                feed: VecDeque::new(),
                feed_scheduled: false,
                programs: mix,
            }],
            erp_retries,
        }])
    }

    fn rng() -> SimRng {
        sim::rng::stream(1, "test")
    }

    #[test]
    fn format_writes_run_to_the_end_of_their_last_track() {
        let mut h = hosts(ProgramMix::only(Program::Format), 10);
        // Records 4..6 of the data set (R5..R7 of track 150): formatted R5..R12.
        let c = h
            .start_chain(0, 0, ChainSpec::single(OpSpec::write(0, 4, 3)))
            .unwrap();
        let op = h.op(c, &mut rng()).unwrap();
        assert_eq!(op.program, Program::Format);
        assert!(op.write);
        assert_eq!(op.span.first, Cchhr::from_track(150, 5));
        assert_eq!(op.span.n, 8);
        assert_eq!(op.span.get(7), Cchhr::from_track(150, 12));
        // A read in the format family is an ordinary read of its records.
        let c = h
            .start_chain(0, 0, ChainSpec::single(OpSpec::read(0, 4, 3)))
            .unwrap();
        let op = h.op(c, &mut rng()).unwrap();
        assert_eq!((op.write, op.span.n), (false, 3));
    }

    #[test]
    fn multitrack_spans_cross_a_track_boundary() {
        let mut h = hosts(ProgramMix::only(Program::Multitrack), 10);
        let c = h
            .start_chain(0, 0, ChainSpec::single(OpSpec::write(0, 30, 1)))
            .unwrap();
        let op = h.op(c, &mut rng()).unwrap();
        let (t0, t1) = op.span.tracks();
        assert_eq!(op.span.first, Cchhr::from_track(152, 12));
        assert_eq!((t0 + 1, op.span.n), (t1, 2));
    }

    #[test]
    fn read_before_write_reads_then_writes_the_same_records() {
        let mut h = hosts(ProgramMix::only(Program::ReadBeforeWrite), 10);
        let c = h
            .start_chain(0, 0, ChainSpec::single(OpSpec::write(0, 7, 2)))
            .unwrap();
        let read = h.op(c, &mut rng()).unwrap();
        assert!(!read.write && read.write_id == 0);
        assert_eq!(h.op_done(c, 0, false, false), ChainNext::Issue);
        let write = h.op(c, &mut rng()).unwrap();
        assert!(write.write && write.write_id != 0);
        assert_eq!(write.span, read.span);
        assert_eq!(h.op_done(c, 5, true, false), ChainNext::Done);
    }

    #[test]
    fn error_recovery_retries_equipment_checks_and_fails_program_errors() {
        use crate::ccw::status::{sense0, sense1};
        let mut h = hosts(ProgramMix::default(), 2);
        let c = h
            .start_chain(0, 0, ChainSpec::single(OpSpec::write(0, 7, 1)))
            .unwrap();
        let _ = h.op(c, &mut rng()).unwrap();
        for attempt in 1..=3 {
            h.unit_check(c, [sense0::EQUIPMENT_CHECK, 0, 0], true);
            assert!(h.is_sensing(c));
            let (retry, sense, write, n) = h.erp_decide(c);
            assert_eq!(
                (sense[0], write, n),
                (sense0::EQUIPMENT_CHECK, true, attempt)
            );
            // Two retries, then the request fails.
            assert_eq!(retry, attempt <= 2, "try {attempt}");
        }
        for s1 in [
            sense1::NO_RECORD_FOUND,
            sense1::FILE_PROTECTED,
            sense1::INVALID_TRACK_FORMAT,
        ] {
            let c = h
                .start_chain(0, 0, ChainSpec::single(OpSpec::write(0, 7, 1)))
                .unwrap();
            let _ = h.op(c, &mut rng()).unwrap();
            h.unit_check(c, [0, s1, 0], true);
            assert!(!h.erp_decide(c).0, "sense byte 1 {s1:#04x} is not retried");
        }
    }
}
