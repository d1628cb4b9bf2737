//! Hosts and their applications: open-loop chain arrivals, dependent operations within a
//! chain (each issued `think` after the previous completed), the channel program each
//! operation becomes, and trace-driven applications fed by the runner.

use super::chan;
use super::{ChainRun, Ev, Io, Origin, World};
use crate::content::{RecSpan, digest_of};
use crate::obs::Obs;
use crate::types::{Cchhr, VolumeId};
use crate::workload::{ChainSpec, OpKind, OpSpec};
use sim::{Ctx, SimTime};

impl World {
    /// An application starts a chain; the next arrival is scheduled.
    pub(crate) fn on_arrival(&mut self, host: u16, app: u16, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive || !self.workload_on {
            return;
        }
        let comp = self.hosts[host as usize].comp;
        let now = ctx.now();
        let a = &mut self.hosts[host as usize].apps[app as usize];
        let Some(w) = a.workload.as_mut() else {
            return self.on_feed_arrival(host, app, ctx);
        };
        let spec = w.next_chain(ctx.rng_of(comp));
        let d = w.next_arrival(now, ctx.rng_of(comp));
        ctx.schedule_in(d, comp, Ev::Arrival { host, app });
        self.start_chain(host, app, spec, ctx);
    }

    /// Starts chain `spec` of an application with its first operation.
    pub(crate) fn start_chain(
        &mut self,
        host: u16,
        app: u16,
        spec: ChainSpec,
        ctx: &mut Ctx<'_, Ev>,
    ) {
        if spec.is_empty() {
            return;
        }
        let chain = self.chains.insert(ChainRun {
            host,
            app,
            spec,
            pos: 0,
            last_seq: None,
        }) as u32;
        self.issue_op(chain, ctx);
    }

    /// Think time over: the chain's next operation.
    pub(crate) fn on_next_op(&mut self, chain: u32, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive || !self.chains.contains(chain as usize) {
            return;
        }
        self.issue_op(chain, ctx);
    }

    /// Builds the channel program of the chain's current operation and starts it.
    fn issue_op(&mut self, chain: u32, ctx: &mut Ctx<'_, Ev>) {
        let c = &self.chains[chain as usize];
        let (host, app) = (c.host as usize, c.app as usize);
        let op: OpSpec = c
            .spec
            .op(c.pos as usize)
            .expect("position within the chain");
        let dep = c.last_seq;
        let Some(slot) = self.hosts[host].apps[app].slots.get(op.dataset as usize) else {
            // A workload naming a slot that does not exist was refused at build time.
            self.chains.remove(chain as usize);
            return;
        };
        let slot = slot.clone();
        let nrecs = (op.nrecs.max(1) as u64).min(slot.records.max(1)) as u16;
        let record = op.record.min(slot.records.saturating_sub(nrecs as u64));
        let first_track = slot.first_track + record / slot.per_track as u64;
        let first = Cchhr::from_track(first_track, (record % slot.per_track as u64) as u8 + 1);
        let span = RecSpan {
            first,
            n: nrecs,
            per_track: slot.per_track.min(255) as u8,
        };
        let write = op.kind == OpKind::Write;
        let write_id = if write {
            let w = self.next_write_id;
            self.next_write_id += 1;
            w
        } else {
            0
        };
        let io = self.ios.vacant_key() as u32;
        let mut ccws = self.spare_chain();
        let vol = slot.vol;
        if write {
            chan::build_write(
                &mut ccws,
                &mut self.scratch,
                (slot.first_track, slot.last_track),
                span,
                slot.key_len,
                slot.data_len,
                |a| digest_of(vol, a, write_id),
            );
        } else {
            chan::build_read(
                &mut ccws,
                (slot.first_track, slot.last_track),
                span,
                slot.key_len,
                slot.data_len,
            );
        }
        let key = self.ios.insert(Io::new(
            Origin::App { chain },
            vol,
            host as u16,
            write,
            span,
            nrecs as u32 * slot.data_len as u32,
            write_id,
            0,
            if write { dep } else { None },
            ctx.now(),
            ccws,
        ));
        debug_assert_eq!(key as u32, io);
        self.begin_io(io, ctx);
    }

    /// A CCW buffer to reuse (keeps allocations off the hot path).
    pub(crate) fn spare_chain(&mut self) -> Vec<crate::ccw::Ccw> {
        self.spare_ccws.pop().unwrap_or_default()
    }

    /// An application's I/O ended: record it, then go on with the chain.
    pub(crate) fn app_io_done(&mut self, chain: u32, io: Io, ctx: &mut Ctx<'_, Ev>) {
        let now = ctx.now();
        self.stats.ios += 1;
        if io.write {
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
        let mut ccws = io.chain;
        ccws.clear();
        self.spare_ccws.push(ccws);
        let c = &mut self.chains[chain as usize];
        if io.seq != 0 {
            c.last_seq = Some(io.seq);
        } else if io.write {
            // A write that is not replicated breaks no dependency the copy must keep.
            c.last_seq = None;
        }
        c.pos += 1;
        if (c.pos as usize) < c.spec.len() && !io.failed {
            let think = c.spec.think;
            let comp = self.hosts[c.host as usize].comp;
            if think.is_zero() {
                self.issue_op(chain, ctx);
            } else {
                ctx.schedule_in(think, comp, Ev::NextOp { chain });
            }
        } else {
            self.chains.remove(chain as usize);
        }
        self.check_drained(ctx);
    }

    /// Feeds trace-driven operations to application `app` of `host`: `(time, slot, record,
    /// nrecs, write)` in non-decreasing time, no earlier than now. The runner (which reads
    /// the trace file) calls this ahead of the simulation; `horizon` says up to when the
    /// feed is complete.
    pub fn feed_trace(
        &mut self,
        host: usize,
        app: usize,
        ops: impl IntoIterator<Item = (SimTime, u16, u64, u16, bool)>,
        horizon: SimTime,
        ctx: &mut Ctx<'_, Ev>,
    ) {
        let a = &mut self.hosts[host].apps[app];
        a.feed.extend(ops);
        self.feed_horizon = self.feed_horizon.max(horizon);
        if !a.feed_scheduled
            && let Some(&(t, ..)) = a.feed.front()
        {
            a.feed_scheduled = true;
            let comp = self.hosts[host].comp;
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
        let comp = self.hosts[host as usize].comp;
        loop {
            let a = &mut self.hosts[host as usize].apps[app as usize];
            match a.feed.front() {
                Some(&(t, slot, record, nrecs, write)) if t <= now => {
                    a.feed.pop_front();
                    if self.primary_alive && self.workload_on {
                        let op = if write {
                            OpSpec::write(slot, record, nrecs)
                        } else {
                            OpSpec::read(slot, record, nrecs)
                        };
                        self.start_chain(host, app, ChainSpec::single(op), ctx);
                    }
                }
                Some(&(t, ..)) => {
                    ctx.schedule_in(t - now, comp, Ev::Arrival { host, app });
                    return;
                }
                None => {
                    a.feed_scheduled = false;
                    return;
                }
            }
        }
    }

    /// The volume `slot` of a trace-driven application maps to, and its records (for the
    /// runner's block mapping).
    pub fn app_slots(&self, host: usize, app: usize) -> Vec<(VolumeId, u64, u32, u16)> {
        self.hosts[host].apps[app]
            .slots
            .iter()
            .map(|s| (s.vol, s.records, s.per_track, s.data_len))
            .collect()
    }
}
