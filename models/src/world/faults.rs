//! Injected faults (primary-site disaster, lost storage control, crashed mover, link cut and
//! restore, secondary slowdown), the end of the workload, and RPO sampling.

use super::{Ev, Fault, Mode, World};
use crate::obs::{Obs, SuspendReason};
use crate::types::SiteId;
use sim::{Ctx, SimTime};

/// When a fault starts.
pub(crate) fn fault_time(f: &Fault) -> SimTime {
    match f {
        Fault::Disaster { at, .. }
        | Fault::SubsystemLoss { at, .. }
        | Fault::MoverCrash { at, .. }
        | Fault::LinkCut { at, .. }
        | Fault::SecondarySlowdown { at, .. }
        | Fault::SessionSuspend { at }
        | Fault::SessionResume { at }
        | Fault::PairAdd { at, .. }
        | Fault::PairRemove { at, .. }
        | Fault::CcwErrors { at, .. } => *at,
    }
}

impl World {
    /// Schedules a link outage of `site` from `at` to `until` (as a pair of fault events
    /// on an extra, unnamed fault).
    pub(crate) fn schedule_outage(
        &mut self,
        site: usize,
        at: SimTime,
        until: SimTime,
        ctx: &mut Ctx<'_, Ev>,
    ) {
        let idx = self.outages.len();
        self.outages.push((site, at, until));
        let me = self.me;
        let _ = ctx.schedule_at(
            at.max(ctx.now()),
            me,
            Ev::FaultStart {
                index: (OUTAGE_BASE + idx) as u16,
            },
        );
    }

    /// A fault begins.
    pub(crate) fn on_fault_start(&mut self, index: u16, ctx: &mut Ctx<'_, Ev>) {
        let me = self.me;
        if index as usize >= OUTAGE_BASE {
            let (site, _, until) = self.outages[index as usize - OUTAGE_BASE];
            self.observe(
                ctx.now(),
                Obs::LinkCut {
                    site: SiteId(site as u8),
                },
            );
            self.link_cut(site, ctx.now());
            self.sync_link_down(site, ctx);
            let _ = ctx.schedule_at(until.max(ctx.now()), me, Ev::FaultEnd { index });
            return;
        }
        let f = self.cfg.faults[index as usize].clone();
        match f {
            Fault::Disaster { cut_link, .. } => self.disaster(cut_link, ctx),
            Fault::SubsystemLoss { subsystem, .. } => {
                let ss = subsystem.0 as usize;
                if self.dasd.storage[ss].site.is_none() {
                    self.dasd.storage[ss].dead = true;
                    self.observe(ctx.now(), Obs::SubsystemLost { ss: subsystem });
                    self.copy_reads_lost_at(ss, ctx);
                    if self.mode().serialized() || self.mode() == Mode::Naive {
                        self.suspend(ctx, SuspendReason::SubsystemLost);
                    }
                }
            }
            Fault::MoverCrash { mover, restart, .. } => {
                let m = mover as usize;
                if m < self.movers.len() && self.movers[m].alive() {
                    // The read in progress is lost; its tokens go back to the head.
                    let n = self.movers.len();
                    let (wt, volumes) = (&self.wt, &self.dasd.volumes);
                    self.movers[m].crash(|seq| {
                        let ss = wt
                            .get(seq)
                            .map_or(0, |e| volumes[e.vol.0 as usize].ss.0 as usize);
                        ss / n
                    });
                    self.observe(ctx.now(), Obs::MoverCrash { mover: m as u16 });
                    self.copy_read_abort(m, ctx);
                    ctx.schedule_in(restart, me, Ev::FaultEnd { index });
                }
            }
            Fault::LinkCut { site, until, .. } => {
                if site < self.out.len() {
                    self.observe(
                        ctx.now(),
                        Obs::LinkCut {
                            site: SiteId(site as u8),
                        },
                    );
                    self.link_cut(site, ctx.now());
                    self.sync_link_down(site, ctx);
                    let _ = ctx.schedule_at(until.max(ctx.now()), me, Ev::FaultEnd { index });
                }
            }
            Fault::SecondarySlowdown {
                site,
                factor,
                until,
                ..
            } => {
                for v in &mut self.dasd.volumes {
                    if v.site == Some(SiteId(site as u8)) {
                        v.slowdown = factor.max(1.0);
                    }
                }
                self.observe(
                    ctx.now(),
                    Obs::SecondarySlowdown {
                        site: SiteId(site as u8),
                        factor,
                    },
                );
                let _ = ctx.schedule_at(until.max(ctx.now()), me, Ev::FaultEnd { index });
            }
            Fault::SessionSuspend { .. } => {
                if self.primary_alive && !self.session.suspended() && self.mode().serialized() {
                    self.suspend(ctx, SuspendReason::Operator);
                }
            }
            Fault::SessionResume { .. } => {
                // `zgm` models no resynchronisation: a suspended zgm session stays so.
                if self.primary_alive && self.mode() != Mode::Zgm && self.session.resume() {
                    ctx.schedule_in(
                        sim::SimDuration::ZERO,
                        self.serializer.comp(),
                        Ev::ResyncStart,
                    );
                }
            }
            Fault::PairAdd { pair, .. } => self.set_pair(pair, true, ctx),
            Fault::PairRemove { pair, .. } => self.set_pair(pair, false, ctx),
            Fault::CcwErrors { until, .. } => {
                // Host channel programs fail at the fault's rate until it ends (the hosts
                // draw each try in `issue_op`).
                self.ccw_errors = Some(index);
                let _ = ctx.schedule_at(until.max(ctx.now()), me, Ev::FaultEnd { index });
            }
        }
    }

    /// The `ccw_errors` fault in force: an error to inject into the next host channel
    /// program, drawn from `rng` (the issuing host's stream), or `None`.
    pub(crate) fn draw_ccw_error(&self, rng: &mut sim::SimRng) -> Option<super::CcwError> {
        let index = self.ccw_errors?;
        let Fault::CcwErrors { rate, errors, .. } = &self.cfg.faults[index as usize] else {
            return None;
        };
        if errors.is_empty() || sim::rng::uniform01(rng) >= *rate {
            return None;
        }
        let k = sim::rng::below(rng, errors.len() as u64) as usize;
        Some(errors[k])
    }

    /// Volume pair `pair` joins (`on`) or leaves the session: the volume's routes change
    /// for writes from now on; a joining pair's extents are sent as an initial copy.
    fn set_pair(&mut self, pair: usize, on: bool, ctx: &mut Ctx<'_, Ev>) {
        let Some(p) = self.cfg.copy.pairs.get(pair).cloned() else {
            return;
        };
        if !self.primary_alive || self.pair_active[pair] == on {
            return;
        }
        self.pair_active[pair] = on;
        let v = p.primary.0 as usize;
        self.dasd.volumes[v].routing = self.cfg.routes_of(v, &self.pair_active);
        let pair = pair as u32;
        self.observe(
            ctx.now(),
            if on {
                Obs::PairAdded { pair }
            } else {
                Obs::PairRemoved { pair }
            },
        );
        if !on {
            self.observe(
                ctx.now(),
                Obs::PairState {
                    pair,
                    state: crate::obs::PairState::Ended,
                },
            );
        }
        if on {
            // The initial copy of the pair's extents (bytes over the link).
            let tracks: u64 = if p.extents.is_empty() {
                self.dasd.volumes[v]
                    .image
                    .datasets()
                    .iter()
                    .map(|d| d.tracks())
                    .sum()
            } else {
                p.extents.iter().map(|&(a, b)| b - a + 1).sum()
            };
            let track_bytes = self.dasd.volumes[v].image.device_type().max_record_bytes() as u64;
            let copy = self.next_initial_copy(p.site);
            self.send_initial_copy(p.site, copy, tracks, track_bytes, ctx);
        }
    }

    /// A fault ends.
    pub(crate) fn on_fault_end(&mut self, index: u16, ctx: &mut Ctx<'_, Ev>) {
        if index as usize >= OUTAGE_BASE {
            let (site, ..) = self.outages[index as usize - OUTAGE_BASE];
            self.observe(
                ctx.now(),
                Obs::LinkRestored {
                    site: SiteId(site as u8),
                },
            );
            self.link_restore(site, ctx);
            self.sync_link_up(ctx);
            return;
        }
        match self.cfg.faults[index as usize].clone() {
            Fault::MoverCrash { mover, .. } => {
                let m = mover as usize;
                self.movers[m].restart();
                self.observe(ctx.now(), Obs::MoverRestart { mover: m as u16 });
                self.mover_kick(m, ctx);
            }
            Fault::LinkCut { site, .. } => {
                self.observe(
                    ctx.now(),
                    Obs::LinkRestored {
                        site: SiteId(site as u8),
                    },
                );
                self.link_restore(site, ctx);
                self.sync_link_up(ctx);
            }
            Fault::SecondarySlowdown { site, .. } => {
                for v in &mut self.dasd.volumes {
                    if v.site == Some(SiteId(site as u8)) {
                        v.slowdown = 1.0;
                    }
                }
            }
            Fault::CcwErrors { .. } if self.ccw_errors == Some(index) => {
                self.ccw_errors = None;
            }
            _ => {}
        }
    }

    /// The primary site is lost now: every primary component stops; what is on the wire
    /// arrives unless the link is cut too; each site recovers once nothing more can come.
    pub fn disaster(&mut self, cut_link: bool, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive {
            return;
        }
        self.observe(ctx.now(), Obs::Disaster);
        self.stop_primary(cut_link, ctx);
    }

    /// Stops every primary component (disaster, or the end of a run without drain).
    fn stop_primary(&mut self, cut_link: bool, ctx: &mut Ctx<'_, Ev>) {
        self.primary_alive = false;
        self.workload_on = false;
        self.draining = false;
        for s in 0..self.out.len() {
            // The message being built is lost with the primary.
            let (building, timer) = self.out[s].abandon();
            if let Some(id) = building {
                self.msgs.remove(id as usize);
            }
            if let Some(t) = timer {
                ctx.cancel(t);
            }
            self.link_sender_dies(s, cut_link, ctx.now());
        }
        for s in 0..self.sites.len() {
            self.maybe_start_recovery(s, ctx);
        }
    }

    /// The end of the run's length: stop the workload; without drain evaluate now (the
    /// primary stops as if struck, without a disaster event), with drain let replication
    /// catch up first.
    pub(crate) fn on_end_workload(&mut self, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive {
            return;
        }
        self.workload_on = false;
        self.observe(ctx.now(), Obs::EndOfWorkload);
        if self.drain_at_end {
            self.draining = true;
            if self.mode() == Mode::Pit {
                ctx.schedule_in(
                    sim::SimDuration::from_millis(100),
                    self.serializer.comp(),
                    Ev::PitSnapshot,
                );
            }
            self.check_drained(ctx);
        } else {
            self.stop_primary(false, ctx);
        }
    }

    /// Samples the data-loss window while the primary runs.
    pub(crate) fn on_rpo_sample(&mut self, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive || !self.workload_on {
            return;
        }
        self.observe(ctx.now(), Obs::RpoSample);
        if self.zgm.is_some() {
            self.zgm_sample();
        }
        ctx.schedule_in(self.cfg.run.rpo_interval, self.me, Ev::RpoSample);
    }
}

impl World {
    /// How the lag of write `seq` at `site` splits over the pipeline stages ([`super::STAGES`])
    /// from its sequencing to `now`: a read-only probe for an observer (the checker asks it
    /// at an [`Obs::RpoSample`] about the write it knows to be A+1).
    pub fn stage_times(&self, site: usize, seq: u64, now: SimTime) -> [u64; super::STAGES.len()] {
        let mut out = [0u64; super::STAGES.len()];
        if self.mode() == Mode::Zgm {
            // zgm's pipeline has other stages: its delay causes are sampled by the SDM.
            return out;
        }
        let Some(e) = self.entry(seq) else { return out };
        // The instants at which each stage ended, in order; a stage not yet reached ends now.
        let msg = self
            .msgs
            .get(e.data_msg[site] as usize)
            .filter(|_| e.data_msg[site] != super::NO_MSG);
        let serialized = self.mode().serialized() || self.mode() == Mode::Naive;
        let mut marks = [SimTime::MAX; super::STAGES.len()];
        if e.data_ready {
            marks[0] = e.t_ready;
        }
        if serialized {
            if e.t_read_start > SimTime::ZERO {
                marks[1] = e.t_read_start;
            }
            if e.read {
                marks[2] = e.t_read_done;
            }
        } else if e.data_ready {
            marks[1] = e.t_ready;
            marks[2] = e.t_ready;
        }
        if let Some(m) = msg {
            if m.sent > SimTime::ZERO {
                marks[3] = m.sent;
            }
            if m.tx_start > SimTime::ZERO {
                marks[4] = m.tx_start;
            }
            if m.tx_done > SimTime::ZERO {
                marks[5] = m.tx_done;
            }
        }
        // While the link is down, a message waiting to be sent waits for the link.
        let outage_from = match (msg, self.out[site].link.down_since()) {
            (Some(m), Some(down)) if m.tx_start == SimTime::ZERO && m.sent > SimTime::ZERO => {
                Some(down.max(m.sent))
            }
            _ => None,
        };
        if let Some(o) = outage_from {
            // Queued until the cut, then waiting for the link (stage 7).
            marks[4] = o;
            marks[5] = o;
            marks[6] = o;
        }
        let mut from = e.t_seq;
        for (i, mark) in marks.iter().enumerate() {
            let until = (*mark).min(now).max(from);
            out[i] = (until - from).as_nanos();
            from = until;
            if until >= now {
                break;
            }
        }
        out
    }
}

/// Fault indices at and above this are scheduled link outages.
pub(crate) const OUTAGE_BASE: usize = 32_768;
