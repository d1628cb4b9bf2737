//! `zgm`: IBM XRC as shipped (z/OS Global Mirror). Every write carries its host's TOD time
//! stamp from a common time reference; each primary storage control keeps, per reader, a
//! storage-control session whose sidefile holds the record sets until the System Data
//! Mover (SDM) reads them; the SDM forms consistency groups by time stamp, hardens each to
//! its journal and applies it to the secondary volumes; XRECOVER applies the journaled
//! groups up to the consistency time (with coupled sessions, the master recoverable time).
//!
//! The parts are sans-IO components: [`sidefile::ScSession`] (a storage-control session),
//! [`sdm::Sdm`] (one SDM session: group formation, apply order) and [`journal::Journal`].
//! This file holds [`Zgm`] (their state and the readers) and the world's routing between
//! them, the storage controls, the link and the secondary volumes.

pub(crate) mod journal;
pub(crate) mod resync;
pub(crate) mod sdm;
pub(crate) mod sidefile;

use super::chan;
use super::{Ev, Io, MsgKind, Origin, SdmPlace, SimMessage, World, sizes};
use crate::content::digest_of;
use crate::obs::{Obs, ShippedRef, SuspendReason};
use crate::types::SiteId;
use sdm::{Form, Sdm};
use serde::Serialize;
use sidefile::{RecordSet, ScSession};
use sim::{ComponentId, Ctx, SimDuration, SimTime};
use std::collections::BTreeMap;

/// No storage-control session.
const NONE: u32 = u32::MAX;

/// One reader of the SDM: it reads one storage-control session.
#[derive(Clone, Debug)]
pub(crate) struct Reader {
    /// The site its SDM runs for.
    pub site: u8,
    /// The primary storage control it reads.
    pub ss: u16,
    /// Reader number at the storage control.
    pub k: u16,
    /// Its SDM session (index into `Zgm::sdms`) and its place among that session's
    /// storage-control sessions.
    pub sdm: u32,
    /// See `sdm`.
    pub local: u32,
    /// A read is outstanding.
    busy: bool,
    /// Waiting for room in the SDM's buffers.
    waiting: bool,
    /// When its last read started.
    issued: SimTime,
    /// Its last read took as many record sets as a read may.
    full: bool,
    /// The read being gathered at the storage control, with the session's time.
    resp: Vec<RecordSet>,
    horizon: u64,
    /// Reads sent, and the next read the SDM takes (answers are taken in read order: the
    /// paths of the link may deliver them out of order).
    sent: u64,
    /// See `sent`.
    next_rx: u64,
}

/// A read's answer on its way over the link.
#[derive(Clone, Debug)]
struct Response {
    reader: u32,
    read_no: u64,
    recs: Vec<RecordSet>,
    horizon: u64,
}

/// The state of `zgm` (see the module documentation).
#[derive(Clone, Debug)]
pub(crate) struct Zgm {
    comp: ComponentId,
    /// Storage-control sessions, by reader (one reader per session).
    pub scs: Vec<ScSession>,
    /// The readers.
    pub readers: Vec<Reader>,
    /// SDM sessions: site `s`, session `x` at `s * sessions + x`.
    pub sdms: Vec<Sdm>,
    /// Session names.
    pub names: Vec<String>,
    sessions: usize,
    /// Reader of (site, storage control, reader number), `NONE` if the storage control
    /// has no pair at the site.
    part: Vec<u32>,
    n_ss: usize,
    n_readers: usize,
    /// Per host, its clock's offset from the common time reference, ns.
    offsets: Vec<i64>,
    /// Answers on the wire, by (site, message number).
    responses: BTreeMap<(u8, u32), Response>,
    /// Answers arrived ahead of an earlier read of their reader: (reader, read number).
    early: BTreeMap<(u32, u64), Response>,
    /// Record sets read and not yet at the SDM.
    in_transit: u64,
    /// A group formation is scheduled, per SDM.
    form_at: Vec<bool>,
    /// Read interval of each session's readers.
    intervals: Vec<SimDuration>,
    /// Recovery started, per site.
    recovering: Vec<bool>,
    /// Delay causes sampled, per SDM session: cause -> samples.
    pub delays: Vec<BTreeMap<&'static str, u64>>,
    /// When the session was suspended (ns): the storage-control sessions report no time
    /// past it (later writes are only marked in the changed-track bitmap). It stays set
    /// while the session resynchronises.
    suspended_at: Option<u64>,
    /// The resynchronisation copy (`copy.zgm.auto_resync`).
    resync: resync::Resync,
}

/// What the recovery site's SDM knows after XRECOVER, in the product's terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ZgmRecovery {
    /// Coupled sessions (a master recoverable time) or not.
    pub coupled: bool,
    /// The master recoverable time: the minimum of the sessions' journal consistency
    /// times, ns on the common time reference (0: none).
    pub master_time_ns: u64,
    /// Per SDM session.
    pub sessions: Vec<ZgmSessionView>,
}

/// One SDM session after recovery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ZgmSessionView {
    /// Session name.
    pub name: String,
    /// Its journal consistency time: the time of the last group hardened, ns (0: none).
    pub consistency_time_ns: u64,
    /// The time the recovered volumes of the session are consistent to: the last group
    /// applied, ns.
    pub recovered_to_ns: u64,
    /// Consistency groups hardened to the journal.
    pub journal_groups: u64,
    /// Their bytes.
    pub journal_bytes: u64,
    /// Journal space in use at recovery, and the most ever used, bytes.
    pub journal_used_bytes: u64,
    /// See `journal_used_bytes`.
    pub journal_peak_bytes: u64,
    /// Journal capacity, bytes.
    pub journal_capacity_bytes: u64,
    /// Time the journal spent writing, ns.
    pub journal_busy_ns: u64,
    /// Record sets the recovery did not write (read but not in a recoverable group).
    pub record_sets_not_applied: u64,
    /// Per storage-control session (storage control and reader).
    pub storage_controls: Vec<ZgmScView>,
}

/// One storage-control session as the SDM last heard of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ZgmScView {
    /// Storage control name.
    pub subsystem: String,
    /// Reader number.
    pub reader: u16,
    /// The latest time stamp read from it, ns (0: none).
    pub latest_time_stamp_read_ns: u64,
    /// The session's time it last reported, ns.
    pub session_time_ns: u64,
    /// Record sets read from it.
    pub record_sets_read: u64,
    /// Its residual count at the end (record sets left in the primary's sidefile: the
    /// primary's figure, which the recovery site cannot read after a disaster).
    pub residual_count: u64,
}

impl Zgm {
    /// The state for `cfg` (a `zgm` world), its events on component `comp`.
    pub(crate) fn new(cfg: &super::WorldConfig, comp: ComponentId) -> Zgm {
        let z = &cfg.copy.zgm;
        let n_ss = cfg.subsystems.len();
        let n_sites = cfg.sites.len();
        let n_readers = z.readers.max(1) as usize;
        let mut session_of = vec![0usize; n_ss];
        let mut names = Vec::new();
        let mut intervals = Vec::new();
        if z.sessions.is_empty() {
            names.push(format!("XRC{}", cfg.copy.session));
            intervals.push(z.read_interval);
        } else {
            for (x, s) in z.sessions.iter().enumerate() {
                names.push(s.name.clone());
                intervals.push(s.read_interval.unwrap_or(z.read_interval));
                for ss in &s.subsystems {
                    if let Some(o) = session_of.get_mut(ss.0 as usize) {
                        *o = x;
                    }
                }
            }
        }
        let sessions = names.len();
        // Which (site, storage control) carry a pair.
        let mut paired = vec![false; n_sites * n_ss];
        for p in &cfg.copy.pairs {
            let ss = cfg.volumes[p.primary.0 as usize].subsystem.0 as usize;
            paired[p.site * n_ss + ss] = true;
        }
        let mut part = vec![NONE; n_sites * n_ss * n_readers];
        let mut readers = Vec::new();
        let mut counts = vec![0u32; n_sites * sessions];
        for site in 0..n_sites {
            for ss in 0..n_ss {
                if !paired[site * n_ss + ss] {
                    continue;
                }
                for k in 0..n_readers {
                    let sdm = site * sessions + session_of[ss];
                    part[(site * n_ss + ss) * n_readers + k] = readers.len() as u32;
                    readers.push(Reader {
                        site: site as u8,
                        ss: ss as u16,
                        k: k as u16,
                        sdm: sdm as u32,
                        local: counts[sdm],
                        busy: false,
                        waiting: false,
                        issued: SimTime::ZERO,
                        full: false,
                        resp: Vec::new(),
                        horizon: 0,
                        sent: 0,
                        next_rx: 0,
                    });
                    counts[sdm] += 1;
                }
            }
        }
        let sdms: Vec<Sdm> = counts
            .iter()
            .map(|&n| Sdm::new(n as usize, z.journal.clone()))
            .collect();
        let mut offsets = z.clock_offset_ns.clone();
        offsets.resize(cfg.hosts.len(), 0);
        Zgm {
            comp,
            scs: vec![ScSession::default(); readers.len()],
            readers,
            form_at: vec![false; sdms.len()],
            intervals,
            delays: vec![BTreeMap::new(); sdms.len()],
            sdms,
            names,
            sessions,
            part,
            n_ss,
            n_readers,
            offsets,
            responses: BTreeMap::new(),
            early: BTreeMap::new(),
            in_transit: 0,
            recovering: vec![false; n_sites],
            suspended_at: None,
            resync: resync::Resync::default(),
        }
    }

    /// Gives each reader a read slot in the copy's path accounting (`copyread.rs`): its
    /// reads hold a channel path of the SDM's channel group, its site's (`hosts + site`).
    pub(crate) fn add_read_slots(&self, copy: &mut super::copyread::CopyReads, hosts: usize) {
        let groups: Vec<u16> = self
            .readers
            .iter()
            .map(|r| (hosts + r.site as usize) as u16)
            .collect();
        copy.add_zgm_readers(self.comp, &groups);
    }

    /// The storage-control session of volume `vol` (index `v`) on storage control `ss`
    /// for `site`.
    fn part_of(&self, site: usize, ss: usize, v: usize) -> u32 {
        let k = v % self.n_readers;
        self.part
            .get((site * self.n_ss + ss) * self.n_readers + k)
            .copied()
            .unwrap_or(NONE)
    }

    /// The SDM sessions of `site`.
    fn sdms_of(&self, site: usize) -> std::ops::Range<usize> {
        site * self.sessions..(site + 1) * self.sessions
    }

    /// The master recoverable time of `site` (the minimum of its sessions' journal
    /// consistency times).
    pub fn master_time(&self, site: usize) -> u64 {
        self.sdms_of(site)
            .filter(|&x| !self.sdms[x].horizons.is_empty())
            .map(|x| self.sdms[x].consistency_time)
            .min()
            .unwrap_or(0)
    }
}

impl World {
    fn z(&self) -> &Zgm {
        self.zgm.as_ref().expect("zgm state in zgm mode")
    }

    /// Opens a data message to `site` carrying the record sets `recs` (header plus each
    /// record set's data field, in bytes) and counts it: its slab id and message number.
    pub(crate) fn open_record_sets_message(
        &mut self,
        site: usize,
        recs: &[RecordSet],
    ) -> (u32, u32) {
        let bytes = sizes::HEADER as u64
            + recs
                .iter()
                .map(|x| sizes::data_field(x.span.n as usize, x.bytes as u64))
                .sum::<u64>();
        let opened = self.out[site].open(
            &mut self.msgs,
            SimMessage {
                kind: MsgKind::Data,
                bytes,
                ..Default::default()
            },
        );
        self.stats.messages += 1;
        self.stats.message_bytes += bytes;
        opened
    }

    fn zm(&mut self) -> &mut Zgm {
        self.zgm.as_mut().expect("zgm state in zgm mode")
    }

    /// `zgm`: the consistency time of the pair of primary volume `vol` at `site` (its SDM
    /// session's journal consistency time; `None` outside zgm or before the first group is
    /// hardened). A suspended session's consistency time stops at the suspension (its
    /// storage-control sessions report no time past it), and stays there while the session
    /// resynchronises.
    pub(crate) fn zgm_pair_consistency(&self, site: usize, vol: usize) -> Option<u64> {
        let z = self.zgm.as_ref()?;
        let ss = self.dasd.volumes[vol].ss.0 as usize;
        let p = z.part_of(site, ss, vol);
        if p == NONE {
            return None;
        }
        let t = z.sdms[z.readers[p as usize].sdm as usize].consistency_time;
        (t > 0).then_some(t)
    }

    /// `zgm` at time zero: every reader makes its first read.
    pub(crate) fn zgm_start(&mut self, ctx: &mut Ctx<'_, Ev>) {
        let comp = self.z().comp;
        for r in 0..self.z().readers.len() {
            ctx.schedule_in(SimDuration::ZERO, comp, Ev::ZgmKick { reader: r as u32 });
        }
    }

    /// The host's time stamp of a write starting now.
    fn zgm_stamp(&self, host: u16, now: SimTime) -> u64 {
        let off = self.z().offsets.get(host as usize).copied().unwrap_or(0);
        (now.as_nanos() as i64).saturating_add(off).max(0) as u64
    }

    /// A numbered write's data phase starts: its storage-control sessions note it (with
    /// its time stamp) as in progress.
    pub(crate) fn zgm_begin(&mut self, io: u32, ctx: &mut Ctx<'_, Ev>) {
        let (seq, vol, host, track) = {
            let i = &self.dasd.ios[io as usize];
            (i.seq, i.vol.0 as usize, i.group, i.span.first.track())
        };
        let stamp = self.zgm_stamp(host, ctx.now());
        let ss = self.dasd.volumes[vol].ss.0 as usize;
        let sites = self.dasd.volumes[vol].routing.sites(track);
        for s in sites.iter() {
            let p = self.z().part_of(s.0 as usize, ss, vol);
            if p != NONE {
                self.zm().scs[p as usize].begin(stamp, seq);
            }
        }
    }

    /// The write's data is in the cache: its record set (time stamp and data as written)
    /// enters the sidefile of each storage-control session it is routed to.
    pub(crate) fn zgm_capture(&mut self, io: u32, seq: u64, ctx: &mut Ctx<'_, Ev>) {
        let host = self.dasd.ios[io as usize].group;
        let Some(e) = self.entry_mut(seq) else { return };
        e.secured = e.sites;
        let (t_seq, vol, span, bytes, writer, sites) =
            (e.t_seq, e.vol, e.span, e.bytes, e.write_id, e.sites);
        let stamp = self.zgm_stamp(host, t_seq);
        let rs = RecordSet {
            seq,
            stamp,
            vol,
            span,
            bytes,
            writer,
        };
        let v = vol.0 as usize;
        let ss = self.dasd.volumes[v].ss.0 as usize;
        for s in sites.iter() {
            let p = self.z().part_of(s.0 as usize, ss, v);
            if p == NONE {
                continue;
            }
            self.zm().scs[p as usize].capture(rs);
            // The record set's data holds cache until the SDM reads it (`copy.primary_cost`).
            self.copy_cache_in(vol, bytes);
            let vv = &mut self.dasd.volumes[v];
            vv.residual += 1;
            self.stats.residual_peak = self.stats.residual_peak.max(vv.residual as u64);
            self.session.residual_add();
            if self.session.sidefile_add(ctx.now()) {
                self.zgm_suspend(SuspendReason::SidefileThreshold, ctx);
            }
            self.stats.sidefile_peak = self.stats.sidefile_peak.max(self.session.sidefile());
        }
        self.retire_writes();
    }

    /// A reader's poll: it starts a read unless one is outstanding or the SDM's buffers are
    /// full. At the secondary the request crosses the link first.
    pub(crate) fn on_zgm_kick(&mut self, r: u32, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive {
            return;
        }
        let limit = self.cfg.copy.mover_buffer.max(1);
        let place = self.cfg.copy.zgm.sdm;
        let z = self.zm();
        let rd = &z.readers[r as usize];
        if rd.busy {
            return;
        }
        let x = rd.sdm as usize;
        if z.sdms[x].buffered() + z.in_transit >= limit || z.recovering[rd.site as usize] {
            z.readers[r as usize].waiting = true;
            self.stats.mover_buffer_full += 1;
            return;
        }
        let rd = &mut z.readers[r as usize];
        rd.busy = true;
        rd.waiting = false;
        rd.issued = ctx.now();
        let site = rd.site as usize;
        let comp = z.comp;
        let d = match place {
            SdmPlace::Secondary => self.cfg.sites[site].link.propagation(),
            SdmPlace::Primary => SimDuration::ZERO,
        };
        ctx.schedule_in(d, comp, Ev::ZgmRead { reader: r });
    }

    /// The read reaches the storage control: the session gives its oldest record sets and
    /// its time; the channel program takes its overhead and the transfer time.
    pub(crate) fn on_zgm_read(&mut self, r: u32, ctx: &mut Ctx<'_, Ev>) {
        let ss = self.z().readers[r as usize].ss as usize;
        if !self.primary_alive || self.dasd.storage[ss].dead {
            return;
        }
        let now = ctx.now().as_nanos();
        let batch = self.cfg.copy.mover_batch.max(1) as usize;
        let z = self.zm();
        let mut resp = std::mem::take(&mut z.readers[r as usize].resp);
        resp.clear();
        let h = z.scs[r as usize].read(now, batch, &mut resp);
        // Suspended: writes since are not copied, so no time past the suspension is.
        let h = z.suspended_at.map_or(h, |s| h.min(s.saturating_sub(1)));
        let rd = &mut z.readers[r as usize];
        rd.horizon = h;
        rd.full = resp.len() >= batch;
        let mut bytes = 0u64;
        for rs in &resp {
            bytes += rs.bytes as u64;
            self.copy_cache_free(rs.vol, rs.bytes);
            let v = rs.vol.0 as usize;
            let vv = &mut self.dasd.volumes[v];
            vv.residual = vv.residual.saturating_sub(1);
            self.session.residual_read();
            self.session.sidefile_secured();
            self.zgm_flow_relief(v, ctx);
        }
        self.session.sidefile_checked();
        let d = self.cfg.copy.mover_read_overhead
            + SimDuration::for_bytes(bytes, self.dasd.storage[ss].timing.rate);
        self.stats.mover_reads += 1;
        let records = resp.len() as u64;
        let z = self.zm();
        z.readers[r as usize].resp = resp;
        let comp = z.comp;
        // With `copy.primary_cost` the read is a channel program on the storage control's
        // paths (copyread.rs): it queues with host I/O and holds a storage path and a
        // channel path for its connect time.
        if !self.zgm_read_paths(r as usize, ss, records, bytes, d, ctx) {
            ctx.schedule_in(d, comp, Ev::ZgmReadDone { reader: r });
        }
    }

    /// Device blocking: a volume whose residual count fell to the resume level is
    /// unblocked.
    fn zgm_flow_relief(&mut self, vol: usize, ctx: &mut Ctx<'_, Ev>) {
        let v = &mut self.dasd.volumes[vol];
        if v.is_blocked && self.session.unblocks(v.residual) {
            v.is_blocked = false;
            let held: Vec<u32> = v.blocked.drain(..).collect();
            let comp = self.dasd.storage[v.ss.0 as usize].comp;
            for io in held {
                ctx.schedule_in(SimDuration::ZERO, comp, Ev::DeviceGo { io });
            }
        }
    }

    /// The read's data is gathered: the answer goes over the link (at the secondary, back
    /// to the SDM; at the primary, pushed like the movers' messages).
    pub(crate) fn on_zgm_read_done(&mut self, r: u32, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive {
            return;
        }
        let (site, recs, horizon, read_no) = {
            let rd = &mut self.zm().readers[r as usize];
            rd.sent += 1;
            (
                rd.site,
                std::mem::take(&mut rd.resp),
                rd.horizon,
                rd.sent - 1,
            )
        };
        let (id, msg_no) = self.open_record_sets_message(site as usize, &recs);
        let z = self.zm();
        z.in_transit += recs.len() as u64;
        z.responses.insert(
            (site, msg_no),
            Response {
                reader: r,
                read_no,
                recs,
                horizon,
            },
        );
        self.link_enqueue(site as usize, id, ctx);
        if self.cfg.copy.zgm.sdm == SdmPlace::Primary {
            self.zm().readers[r as usize].busy = false;
            self.zgm_next_read(r, ctx);
        }
    }

    /// Schedules reader `r`'s next read: at once after a full read, else a read interval
    /// after its last one started.
    fn zgm_next_read(&mut self, r: u32, ctx: &mut Ctx<'_, Ev>) {
        let z = self.zm();
        let rd = &z.readers[r as usize];
        let interval = z.intervals[rd.sdm as usize % z.sessions];
        let at = if rd.full {
            ctx.now()
        } else {
            (rd.issued + interval).max(ctx.now())
        };
        let comp = z.comp;
        let _ = ctx.schedule_at(at, comp, Ev::ZgmKick { reader: r });
    }

    /// A read's answer reaches the SDM.
    pub(crate) fn zgm_arrive(&mut self, site: usize, msg: &SimMessage, ctx: &mut Ctx<'_, Ev>) {
        if self.zgm_resync_arrive(site, msg, ctx) {
            return;
        }
        let Some(resp) = self.zm().responses.remove(&(site as u8, msg.msg_no)) else {
            return;
        };
        let r = resp.reader;
        let z = self.zm();
        if resp.read_no != z.readers[r as usize].next_rx {
            // An earlier read of this reader is still on the wire: wait for it.
            z.early.insert((r, resp.read_no), resp);
            return;
        }
        let mut next = Some(resp);
        while let Some(resp) = next.take() {
            self.zgm_take(resp, ctx);
            let z = self.zm();
            let rd = &mut z.readers[r as usize];
            rd.next_rx += 1;
            next = z.early.remove(&(r, rd.next_rx));
        }
    }

    /// The SDM takes a read's answer (in read order).
    fn zgm_take(&mut self, resp: Response, ctx: &mut Ctx<'_, Ev>) {
        let r = resp.reader;
        let z = self.zm();
        z.in_transit -= resp.recs.len() as u64;
        let (x, local) = (
            z.readers[r as usize].sdm as usize,
            z.readers[r as usize].local as usize,
        );
        z.sdms[x].records_in(local, &resp.recs, resp.horizon);
        let mut recs = resp.recs;
        recs.clear();
        if z.readers[r as usize].resp.capacity() == 0 {
            z.readers[r as usize].resp = recs;
        }
        if self.cfg.copy.zgm.sdm == SdmPlace::Secondary {
            self.zm().readers[r as usize].busy = false;
            if self.primary_alive {
                self.zgm_next_read(r, ctx);
            }
        }
        self.zgm_form(x, ctx);
        self.zgm_maybe_resync(ctx);
    }

    /// The SDM tries to form its next consistency group.
    fn zgm_form(&mut self, x: usize, ctx: &mut Ctx<'_, Ev>) {
        let interval = self.cfg.copy.zgm.group_interval;
        let now = ctx.now();
        let out = self.zm().sdms[x].try_form(now, interval);
        let comp = self.z().comp;
        match out {
            Form::Idle => {}
            Form::Later(at) => {
                if !self.z().form_at[x] {
                    self.zm().form_at[x] = true;
                    let _ = ctx.schedule_at(at, comp, Ev::ZgmForm { sdm: x as u16 });
                }
            }
            Form::Write(d) => {
                ctx.schedule_in(d, comp, Ev::ZgmJournal { sdm: x as u16 });
                self.zgm_wake_readers(ctx);
            }
            Form::Full(waited) => {
                let timeout = self.z().sdms[x].journal.full_timeout();
                if waited >= timeout {
                    if self.primary_alive && !self.session.suspended() {
                        self.zgm_suspend(SuspendReason::JournalFull, ctx);
                    }
                } else if !self.z().form_at[x] {
                    self.zm().form_at[x] = true;
                    let _ = ctx.schedule_at(
                        now + (timeout - waited),
                        comp,
                        Ev::ZgmForm { sdm: x as u16 },
                    );
                }
            }
        }
    }

    /// Suspends the session: from now on writes are only marked in the changed-track
    /// bitmap, and the consistency time stops here.
    fn zgm_suspend(&mut self, reason: SuspendReason, ctx: &mut Ctx<'_, Ev>) {
        let now = ctx.now().as_nanos();
        let z = self.zm();
        if z.resync.active {
            // The copy goes on; the consistency time will stop here once it is whole.
            z.resync.again.get_or_insert(now);
        } else {
            z.suspended_at.get_or_insert(now);
        }
        self.suspend(ctx, reason);
    }

    /// Readers waiting for room in the buffers read again.
    fn zgm_wake_readers(&mut self, ctx: &mut Ctx<'_, Ev>) {
        let comp = self.z().comp;
        for r in 0..self.z().readers.len() {
            if self.z().readers[r].waiting {
                self.zm().readers[r].waiting = false;
                ctx.schedule_in(SimDuration::ZERO, comp, Ev::ZgmKick { reader: r as u32 });
            }
        }
    }

    /// A scheduled group formation.
    pub(crate) fn on_zgm_form(&mut self, x: u16, ctx: &mut Ctx<'_, Ev>) {
        self.zm().form_at[x as usize] = false;
        self.zgm_form(x as usize, ctx);
    }

    /// A group is hardened in the journal: the consistency time moves; the groups within
    /// the apply limit become recoverable and are applied.
    pub(crate) fn on_zgm_journal(&mut self, x: u16, ctx: &mut Ctx<'_, Ev>) {
        let x = x as usize;
        self.zm().sdms[x].journal_written();
        let site = x / self.z().sessions;
        self.zgm_release(site, ctx);
        self.zgm_form(x, ctx);
        self.zgm_check_recovered(site, ctx);
    }

    /// Marks recoverable what each session of `site` may apply (its own consistency time,
    /// or the master recoverable time when coupled), reports it to the checker as secured,
    /// and starts the writes.
    fn zgm_release(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        let coupled = self.cfg.copy.zgm.coupled;
        let master = self.z().master_time(site);
        let now = ctx.now();
        let sid = SiteId(site as u8);
        let range = self.z().sdms_of(site);
        for x in range.clone() {
            let limit = if coupled {
                master
            } else {
                self.z().sdms[x].consistency_time
            };
            let zgm = self.zgm.as_mut().expect("zgm");
            let obs = &mut self.obs;
            zgm.sdms[x].make_recoverable(limit, |r| {
                obs.push(
                    now,
                    Obs::TokenRx {
                        site: sid,
                        seq: r.seq,
                    },
                );
                obs.push(
                    now,
                    Obs::DataRx {
                        site: sid,
                        seq: r.seq,
                        shipped: ShippedRef::Own,
                    },
                );
            });
        }
        for x in range {
            self.zgm_apply(x, ctx);
        }
    }

    /// Starts writing the recoverable record sets of session `x` in group order.
    fn zgm_apply(&mut self, x: usize, ctx: &mut Ctx<'_, Ev>) {
        let limit = self.cfg.copy.apply_parallel.max(1);
        let site = x / self.z().sessions;
        loop {
            // Groups wholly written are reported applied, in time-stamp order.
            let now = ctx.now();
            let sid = SiteId(site as u8);
            let zgm = self.zgm.as_mut().expect("zgm");
            let obs = &mut self.obs;
            let freed = zgm.sdms[x].pop_applied(|r| {
                obs.push(
                    now,
                    Obs::Apply {
                        site: sid,
                        seq: r.seq,
                    },
                );
            });
            let mut started = false;
            while let Some((gid, rs)) = self.zm().sdms[x].next_write(limit) {
                self.zgm_write(site, x, gid, rs, None, ctx);
                started = true;
            }
            if freed {
                self.zgm_form(x, ctx);
            }
            if !started && !freed {
                break;
            }
        }
        self.zgm_maybe_resync(ctx);
    }

    /// Writes record set `rs` to its secondary volume: a channel program through the
    /// site's storage control.
    /// `ws`: per record of the span, the write whose content it gets (the
    /// resynchronisation's latest content); `None`: the record set's own.
    fn zgm_write(
        &mut self,
        site: usize,
        x: usize,
        gid: u64,
        rs: RecordSet,
        ws: Option<&[crate::content::WriteId]>,
        ctx: &mut Ctx<'_, Ev>,
    ) {
        let (pvol, span, bytes, own) = (rs.vol, rs.span, rs.bytes, rs.writer);
        let Some(svol) = self.sites[site].map[pvol.0 as usize] else {
            unreachable!("record sets are read only for volumes paired at the site")
        };
        let ((first, last), (key_len, data_len)) = self.apply_geometry(svol, span, bytes);
        let mut ccws = self.spare_chain();
        chan::build_write(
            &mut ccws,
            &mut self.scratch,
            (first, last),
            span,
            key_len,
            data_len,
            |a| {
                let w = ws.map_or(own, |ws| ws[span.iter().position(|b| b == a).unwrap_or(0)]);
                digest_of(pvol, a, w)
            },
        );
        let io = self.dasd.ios.insert(Io::new(
            Origin::Apply {
                site: site as u8,
                ord: ((x as u64) << 40) | gid,
            },
            svol,
            self.sites[site].group,
            true,
            span,
            bytes,
            own,
            rs.seq,
            None,
            ctx.now(),
            ccws,
        )) as u32;
        self.begin_io(io, ctx);
    }

    /// A record set is written at the secondary.
    pub(crate) fn zgm_apply_done(&mut self, site: u8, ord: u64, io: Io, ctx: &mut Ctx<'_, Ev>) {
        let x = (ord >> 40) as usize;
        let gid = ord & ((1 << 40) - 1);
        let seq = io.seq;
        let mut ccws = io.chain.into_vec();
        ccws.clear();
        self.spare_ccws.push(ccws);
        if gid == 0 {
            self.zgm_resync_written(site as usize, seq, ctx);
            self.check_drained(ctx);
            return;
        }
        self.zm().sdms[x].written(gid);
        self.zgm_apply(x, ctx);
        self.zgm_check_recovered(site as usize, ctx);
        self.check_drained(ctx);
    }

    /// XRECOVER once nothing more can reach `site`: no more groups are formed; the
    /// journaled groups within the limit are applied.
    pub(crate) fn zgm_maybe_recover(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        if self.primary_alive || self.z().recovering[site] || !self.link_quiet(site) {
            return;
        }
        self.zm().recovering[site] = true;
        self.zm().resync.recovering(site);
        for x in self.z().sdms_of(site) {
            self.zm().sdms[x].recovering = true;
        }
        self.zgm_release(site, ctx);
        self.zgm_check_recovered(site, ctx);
    }

    /// Recovery is over when every session of the site has nothing in progress and nothing
    /// recoverable left to write.
    fn zgm_check_recovered(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        if !self.z().recovering[site] || self.sites[site].recovered {
            return;
        }
        if !self.z().sdms_of(site).all(|x| self.z().sdms[x].quiet())
            || self.z().resync.inflight(site) > 0
        {
            return;
        }
        self.sites[site].recovered = true;
        self.zgm_record_view(site, ctx.now());
        self.observe(
            ctx.now(),
            Obs::Recovered {
                site: SiteId(site as u8),
            },
        );
    }

    /// With drain: whether `site` has written everything read (nothing more to come).
    pub(crate) fn zgm_drained(&self, site: usize) -> bool {
        let z = self.z();
        // Every record set read, on no wire, in no buffer, and written: the SDM keeps
        // forming (empty) groups as idle sessions report their time, so groups themselves
        // may remain.
        z.in_transit == 0
            && !z.resync.active
            && z.readers
                .iter()
                .enumerate()
                .filter(|(_, r)| r.site as usize == site)
                .all(|(i, r)| r.resp.is_empty() && z.scs[i].residual() == 0)
            && z.sdms_of(site).all(|x| {
                let s = &z.sdms[x];
                s.inflight == 0 && s.held().next().is_none()
            })
    }

    /// Keeps what `site`'s recovery produced at `now`, in the product's terms.
    pub(crate) fn zgm_record_view(&mut self, site: usize, now: SimTime) {
        let z = self.z();
        let mut held = Vec::new();
        let mut sessions = Vec::new();
        let (mut applied_max, mut read_max) = (0, 0);
        for x in z.sdms_of(site) {
            let s = &z.sdms[x];
            applied_max = applied_max.max(s.applied_seq_max);
            read_max = read_max.max(s.read_seq_max);
            let mut not_applied = 0;
            for r in s.held() {
                not_applied += 1;
                held.push(*r);
            }
            let storage_controls = z
                .readers
                .iter()
                .enumerate()
                .filter(|(_, r)| r.sdm as usize == x)
                .map(|(i, r)| ZgmScView {
                    subsystem: self.cfg.subsystems[r.ss as usize].name.clone(),
                    reader: r.k,
                    latest_time_stamp_read_ns: z.scs[i].latest_read,
                    session_time_ns: s.horizons[r.local as usize],
                    record_sets_read: z.scs[i].read_total,
                    residual_count: z.scs[i].residual(),
                })
                .collect();
            sessions.push(ZgmSessionView {
                name: z.names[x - site * z.sessions].clone(),
                consistency_time_ns: s.consistency_time,
                recovered_to_ns: s.applied_time,
                journal_groups: s.journal.groups,
                journal_bytes: s.journal.bytes,
                journal_used_bytes: s.journal.used,
                journal_peak_bytes: s.journal.peak,
                journal_capacity_bytes: s.journal.capacity(),
                journal_busy_ns: s.journal.busy_ns,
                record_sets_not_applied: not_applied,
                storage_controls,
            });
        }
        held.sort_by_key(|r| (r.stamp, r.seq));
        let zgm = ZgmRecovery {
            coupled: self.cfg.copy.zgm.coupled,
            master_time_ns: z.master_time(site),
            sessions,
        };
        let mut view = self.sites[site].zgm_view(now, applied_max, read_max, &held);
        view.zgm = Some(zgm);
        self.sites[site].view = Some(view);
    }

    /// Samples the cause of each session's delay (at the data-loss-window sampling
    /// instants).
    pub(crate) fn zgm_sample(&mut self) {
        let limit = self.cfg.copy.mover_buffer.max(1);
        let coupled = self.cfg.copy.zgm.coupled;
        let n = self.z().sessions;
        for x in 0..self.z().sdms.len() {
            let site = x / n;
            let s = &self.z().sdms[x];
            let master_behind = coupled
                && s.groups
                    .front()
                    .is_some_and(|g| g.hardened && !g.recoverable);
            let _ = site;
            let cause = s.delay(limit, master_behind).name();
            *self.zm().delays[x].entry(cause).or_insert(0) += 1;
        }
    }

    /// What `zgm` shows while running and after: per SDM session.
    pub fn zgm_sessions(&self) -> Vec<ZgmLive> {
        let Some(z) = self.zgm.as_ref() else {
            return Vec::new();
        };
        (0..z.sdms.len())
            .map(|x| {
                let s = &z.sdms[x];
                let total: u64 = z.delays[x].values().sum();
                ZgmLive {
                    site: self.cfg.sites[x / z.sessions].name.clone(),
                    name: z.names[x % z.sessions].clone(),
                    consistency_time_ns: s.consistency_time,
                    master_time_ns: z.master_time(x / z.sessions),
                    residual: z
                        .readers
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.sdm as usize == x)
                        .map(|(i, _)| z.scs[i].residual())
                        .sum(),
                    buffered: s.buffered(),
                    journal_used_bytes: s.journal.used,
                    journal_peak_bytes: s.journal.peak,
                    journal_groups: s.journal.groups,
                    delay: z.delays[x]
                        .iter()
                        .map(|(k, v)| (k.to_string(), *v as f64 / total.max(1) as f64))
                        .collect(),
                }
            })
            .collect()
    }
}

/// One SDM session's figures (for the report and front ends).
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct ZgmLive {
    /// Recovery site.
    pub site: String,
    /// Session name.
    pub name: String,
    /// Journal consistency time, ns.
    pub consistency_time_ns: u64,
    /// Master recoverable time of the site, ns.
    pub master_time_ns: u64,
    /// Residual count: record sets in its storage-control sessions' sidefiles.
    pub residual: u64,
    /// Record sets read and not yet in a group.
    pub buffered: u64,
    /// Journal space in use and the most ever used, bytes.
    pub journal_used_bytes: u64,
    /// See `journal_used_bytes`.
    pub journal_peak_bytes: u64,
    /// Groups hardened.
    pub journal_groups: u64,
    /// Share of the sampling instants at which each cause held the session back
    /// (ANTX8117I-like: primary, journal, secondary, master, buffers).
    pub delay: BTreeMap<String, f64>,
}

/// The identity the recovery listing of `zgm` gives a record set (no ordinals in zgm).
pub(crate) fn held_entry(rs: &RecordSet, dataset: Option<String>) -> super::secondary::HeldEntry {
    super::secondary::HeldEntry {
        ordinal: rs.seq,
        seq: Some(rs.seq),
        vol: rs.vol,
        span: rs.span,
        dataset,
        data: true,
        written: false,
        digests: rs
            .span
            .iter()
            .map(|a| digest_of(rs.vol, a, rs.writer))
            .collect(),
    }
}
