//! The primary side of the copy: numbering writes (the serializer, or at write start for
//! the modes without one), the data movers, building messages (M0/M1/M2, sent when the
//! buffer fills or the timer expires), acknowledgments, flow control and point-in-time
//! copies.

use super::mover::Mover;
use super::serializer::SerializerOut;
use super::sizes;
use super::{Ev, MAX_SITES, Mode, MsgKind, SimMessage, World, WriteEntry};
use crate::content::{WriteId, record_key};
use crate::obs::{Obs, SuspendReason};
use crate::types::{SiteId, SiteMask};
use sim::{Ctx, SimDuration, SimTime};

impl World {
    /// A write to a duplexed extent starts its data phase: send the token to the
    /// serializer (xrc modes) or number it now (the other modes).
    pub(crate) fn write_started(&mut self, io: u32, ctx: &mut Ctx<'_, Ev>) {
        let vol = self.dasd.ios[io as usize].vol.0 as usize;
        if self.session.vol_suspended(vol) {
            // Suspended session: the write is numbered for the record (and the checker)
            // but only marked in the changed-track bitmap; nothing waits for the copy.
            self.assign_seq(io, ctx);
            return;
        }
        match self.mode() {
            Mode::Xrc | Mode::XrcPrt => {
                self.dasd.ios[io as usize].needs_seq = true;
                let d = self.cfg.copy.token_latency;
                ctx.schedule_in(d, self.serializer.comp(), Ev::TokenIn { io });
            }
            Mode::Sync => {
                let vol = self.dasd.ios[io as usize].vol.0 as usize;
                let track = self.dasd.ios[io as usize].span.first.track();
                self.dasd.ios[io as usize].needs_remote =
                    self.dasd.volumes[vol].routing.sites(track).len() as u64;
                self.assign_seq(io, ctx);
            }
            Mode::Naive | Mode::Pit | Mode::Srdfa | Mode::Gm | Mode::Ur => self.assign_seq(io, ctx),
            Mode::Zgm => {
                self.assign_seq(io, ctx);
                self.zgm_begin(io, ctx);
            }
        }
    }

    /// A token reaches the serializer.
    pub(crate) fn on_token_in(&mut self, io: u32, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive || !self.dasd.ios.contains(io as usize) {
            return;
        }
        let out = self.serializer.token_in(io, ctx.now());
        self.route_serializer(out, ctx);
    }

    /// The serializer numbers the token at the head of its queue and returns it.
    pub(crate) fn on_serializer_done(&mut self, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive {
            return;
        }
        let (done, next) = self.serializer.served(ctx.now());
        if let Some((io, wait)) = done
            && self.dasd.ios.contains(io as usize)
        {
            self.stats.serializer_tokens += 1;
            self.stats.serializer_wait_ns += wait.as_nanos();
            self.assign_seq(io, ctx);
            let ss = self.dasd.volumes[self.dasd.ios[io as usize].vol.0 as usize]
                .ss
                .0 as usize;
            let d = self.cfg.copy.token_latency;
            ctx.schedule_in(d, self.dasd.storage[ss].comp, Ev::SeqReturn { io });
        }
        self.route_serializer(next, ctx);
    }

    /// Schedules what the serializer asked for.
    fn route_serializer(&mut self, out: SerializerOut, ctx: &mut Ctx<'_, Ev>) {
        if let SerializerOut::ServeFor(d) = out {
            ctx.schedule_in(d, self.serializer.comp(), Ev::SerializerDone);
        }
    }

    /// Gives write `io` the next global sequence number: the `seq` trace event, the write
    /// table entry, the token in the next message to each site (xrc modes) and the hand-off
    /// to the data mover.
    pub(crate) fn assign_seq(&mut self, io: u32, ctx: &mut Ctx<'_, Ev>) {
        let now = ctx.now();
        let seq = self.serializer.number();
        let (vol, span, bytes, write_id, dep, data_done, format) = {
            let i = &mut self.dasd.ios[io as usize];
            i.seq = seq;
            (
                i.vol,
                i.span,
                i.bytes,
                i.write_id,
                i.dep,
                i.data_done,
                i.format,
            )
        };
        let sites = self.dasd.volumes[vol.0 as usize]
            .routing
            .sites(span.first.track());
        let mut ords = [0u64; MAX_SITES];
        // A pair suspended on its own (`sync`, CRIT(NO)) sends nothing: its writes take no
        // place in the sites' order (they get one if resynchronised).
        let suspended = self.session.vol_suspended(vol.0 as usize);
        if !self.session.vol_suspended_alone(vol.0 as usize) {
            for s in sites.iter() {
                ords[s.0 as usize] = self.out[s.0 as usize].next_ordinal();
            }
        }
        self.wt.push(
            seq,
            WriteEntry {
                write_id,
                vol,
                span,
                bytes,
                sites,
                t_seq: now,
                io: Some(io),
                data_ready: false,
                host_done: false,
                read: false,
                shipped: None,
                group_end: 0,
                ords,
                secured: SiteMask::EMPTY,
                t_ready: SimTime::ZERO,
                t_read_start: SimTime::ZERO,
                t_read_done: SimTime::ZERO,
                data_msg: [super::NO_MSG; MAX_SITES],
                sidefile: false,
                bitmap: false,
                format,
            },
        );
        self.observe(
            now,
            Obs::Seq {
                seq,
                vol,
                span,
                bytes,
                sites,
                dep: dep.unwrap_or(0),
                writer: write_id,
            },
        );
        let mode = self.mode();
        if suspended {
            self.entry_mut(seq).expect("just pushed").bitmap = true;
            self.session.mark_changed(seq);
            if data_done {
                self.write_data_ready(io, ctx);
            }
            return;
        }
        if matches!(mode, Mode::Xrc | Mode::XrcPrt | Mode::Naive) {
            self.entry_mut(seq).expect("just pushed").sidefile = true;
            let suspend = self.session.sidefile_add(ctx.now());
            self.stats.sidefile_peak = self.stats.sidefile_peak.max(self.session.sidefile());
            if suspend {
                self.suspend(ctx, SuspendReason::SidefileThreshold);
            }
        }
        if mode.serialized() {
            for s in sites.iter() {
                self.add_to_message(s.0 as usize, false, seq, ctx);
            }
        }
        if matches!(mode, Mode::Xrc | Mode::XrcPrt | Mode::Naive) {
            let m = self.mover_of(vol);
            let ss = self.dasd.volumes[vol.0 as usize].ss.0 as usize;
            let n = self.movers.len();
            self.movers[m].push(ss / n, seq);
        }
        if data_done {
            self.write_data_ready(io, ctx);
        } else if matches!(mode, Mode::Xrc | Mode::XrcPrt | Mode::Naive) {
            // A re-update waiting for this number may now be shippable.
            let m = self.mover_of(vol);
            self.mover_kick(m, ctx);
        }
    }

    /// The mover responsible for the storage control of `vol`.
    fn mover_of(&self, vol: crate::types::VolumeId) -> usize {
        self.dasd.volumes[vol.0 as usize].ss.0 as usize % self.movers.len()
    }

    /// The numbered write's data is in the subsystem: readable by the movers (the
    /// sidefile), sent at once in `sync`.
    pub(crate) fn write_data_ready(&mut self, io: u32, ctx: &mut Ctx<'_, Ev>) {
        let (seq, vol, bytes) = {
            let i = &self.dasd.ios[io as usize];
            (i.seq, i.vol, i.bytes)
        };
        let mode = self.mode();
        let Some(e) = self.entry_mut(seq) else { return };
        if e.data_ready {
            return;
        }
        e.data_ready = true;
        e.t_ready = ctx.now();
        let sites = e.sites;
        if e.bitmap {
            return;
        }
        while self
            .entry(self.data_ready_prefix + 1)
            .is_some_and(|e| e.data_ready)
        {
            self.data_ready_prefix += 1;
        }
        match mode {
            Mode::Xrc | Mode::XrcPrt | Mode::Naive => {
                let v = &mut self.dasd.volumes[vol.0 as usize];
                v.residual += 1;
                self.stats.residual_peak = self.stats.residual_peak.max(v.residual as u64);
                self.session.residual_add();
                self.copy_cache_in(vol, bytes);
                let m = self.mover_of(vol);
                self.mover_kick(m, ctx);
            }
            Mode::Sync => {
                for s in sites.iter() {
                    self.send_single(s.0 as usize, seq, ctx);
                }
            }
            Mode::Pit | Mode::Gm => {}
            Mode::Srdfa => {
                // The capture set holds the write's data in cache until its cycle has been
                // received at every site.
                let bytes = self.entry(seq).map_or(0, |e| e.bytes);
                self.copy_cache_in(vol, bytes);
                self.delta_set_bytes += bytes as u64;
                self.stats.delta_set_peak_bytes =
                    self.stats.delta_set_peak_bytes.max(self.delta_set_bytes);
                let limit = self.cfg.copy.srdfa_cache_limit;
                if limit > 0 && self.delta_set_bytes > limit && !self.session.suspended() {
                    self.suspend(ctx, SuspendReason::DeltaSetCacheFull);
                }
            }
            Mode::Ur => {
                // The journal's data stays in cache until the secondary has restored it.
                let bytes = self.entry(seq).map_or(0, |e| e.bytes);
                self.copy_cache_in(vol, bytes);
                let bytes = bytes as u64;
                let full = self.journal.add(bytes);
                self.stats.journal_peak_bytes = self.journal.peak;
                if full {
                    self.suspend(ctx, SuspendReason::MasterJournalFull);
                }
            }
            Mode::Zgm => self.zgm_capture(io, seq, ctx),
        }
    }

    /// The oldest write in the write table that some site it is routed to has not
    /// acknowledged as secured (0 when there is none): the primary's own knowledge of the
    /// secondaries' progress, which reaches it only through acknowledgments over the link.
    fn oldest_unacknowledged(&self) -> u64 {
        self.wt.oldest_unacknowledged()
    }

    /// A mover looks for work (event form).
    pub(crate) fn on_mover_kick(&mut self, mover: u16, ctx: &mut Ctx<'_, Ev>) {
        self.mover_kick(mover as usize, ctx);
    }

    /// A mover starts a read of the changed data of the tokens at the head of its queue
    /// (one storage control per read), capturing the records' contents as they are now.
    pub(crate) fn mover_kick(&mut self, m: usize, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive || !self.movers[m].free() {
            return;
        }
        // When the movers' buffer is full of data the secondaries have not secured yet,
        // nothing more is read, except the oldest unread record set when the secondaries
        // need it to secure anything: as far as the primary knows from their
        // acknowledgments, it is the oldest write not yet secured, or it is inside a
        // re-update group already shipped (which completes only when all of it is in).
        // Without this, the buffer could fill with data that can never be secured.
        let held = self.session.held();
        let only: Option<u64> = if held >= self.cfg.copy.mover_buffer.max(1) {
            self.stats.mover_buffer_full += 1;
            let needed = self.oldest_unacknowledged();
            let horizon = needed.max(self.group_horizon);
            let oldest = self.movers.iter().filter_map(Mover::oldest_front).min();
            match oldest {
                Some(o) if o <= horizon && self.movers[m].heads(o) => Some(o),
                _ => return,
            }
        } else {
            None
        };
        let mode = self.mode();
        let accommodate = mode == Mode::Xrc && self.cfg.copy.reupdate_accommodation;
        let limit = self.cfg.copy.mover_batch.max(1) as usize;
        let mut batch = self.movers[m].take_batch();
        let mut bytes = 0u64;
        let mut writers: Vec<WriteId> = std::mem::take(&mut self.scratch_writers);
        // Mover m serves the storage controls ss with ss % movers == m; its queue q holds
        // those of storage control q * movers + m.
        let n_movers = self.movers.len();
        let mut chosen = None;
        // The storage control whose oldest record set is the oldest of all that have their
        // data in: the secondaries secure in sequence order, so the oldest data is what
        // they need first.
        let mut best: Option<u64> = None;
        // Only the queues with work, in queue order (most are empty in large
        // configurations).
        for w in 0..self.movers[m].words() {
            for q in self.movers[m].with_work_in(w) {
                if self.dasd.storage[q * n_movers + m].dead {
                    // Lost: its data can never be read.
                    self.movers[m].clear(q);
                    continue;
                }
                while let Some(seq) = self.movers[m].front(q) {
                    if self.entry(seq).is_none() {
                        self.movers[m].pop(q);
                    } else {
                        break;
                    }
                }
                if let Some(seq) = self.movers[m].front(q)
                    && best.is_none_or(|b| seq < b)
                    && only.is_none_or(|o| o == seq)
                    && self.entry(seq).is_some_and(|e| e.data_ready)
                {
                    best = Some(seq);
                    chosen = Some(q);
                }
            }
        }
        let Some(q) = chosen else {
            self.movers[m].put_back(batch);
            self.scratch_writers = writers;
            return;
        };
        let ss = q * n_movers + m;
        let limit = if only.is_some() { 1 } else { limit };
        while batch.len() < limit {
            let Some(seq) = self.movers[m].front(q) else {
                break;
            };
            let e = self
                .entry(seq)
                .expect("tokens in a mover queue have their entry");
            if !e.data_ready {
                break;
            }
            let vol = e.vol;
            // Capture what the records hold now.
            let own = e.write_id;
            writers.clear();
            let mut group_end = 0u64;
            let mut blocked = false;
            if mode != Mode::XrcPrt {
                for a in e.span.iter() {
                    let w = self.dasd.volumes[vol.0 as usize]
                        .image
                        .writer(a)
                        .unwrap_or(own);
                    writers.push(w);
                    if w != own && accommodate {
                        match self.wt.seq_of(w) {
                            Some(s) if s > seq => group_end = group_end.max(s),
                            Some(_) => {}
                            None => blocked = true,
                        }
                    }
                }
            }
            if blocked {
                // A newer update of a record has no number yet: wait for it.
                break;
            }
            let shipped =
                (writers.iter().any(|&w| w != own)).then(|| writers.clone().into_boxed_slice());
            if shipped.is_some() {
                self.stats.newer_data_shipped += 1;
            }
            if group_end > seq {
                self.stats.reupdate_groups += 1;
                self.group_horizon = self.group_horizon.max(group_end);
            }
            let e = self.entry_mut(seq).expect("entry exists");
            e.t_read_start = ctx.now();
            e.shipped = shipped;
            if group_end > seq {
                e.group_end = group_end;
            }
            bytes += e.bytes as u64;
            self.movers[m].pop(q);
            batch.push(seq);
        }
        self.scratch_writers = writers;
        if batch.is_empty() {
            self.movers[m].put_back(batch);
            return;
        }
        let rate = self.dasd.storage[ss].timing.rate;
        let d = self.cfg.copy.mover_read_overhead + SimDuration::for_bytes(bytes, rate);
        let records = batch.len() as u64;
        self.movers[m].start_read(batch, d);
        self.stats.mover_reads += 1;
        self.copy_read_start(m, ss, records, bytes, d, ctx);
    }

    /// A mover's read finished: token+data into the next message of each routed site, and
    /// the residual counts drop.
    pub(crate) fn on_mover_done(&mut self, mover: u16, ctx: &mut Ctx<'_, Ev>) {
        let m = mover as usize;
        if !self.primary_alive || !self.movers[m].busy() {
            return;
        }
        let batch = self.movers[m].take_read();
        for &seq in &batch {
            let Some(e) = self.entry_mut(seq) else {
                continue;
            };
            e.read = true;
            e.t_read_done = ctx.now();
            let (vol, sites, bytes) = (e.vol, e.sites, e.bytes);
            self.copy_cache_out(vol, bytes, true);
            let v = &mut self.dasd.volumes[vol.0 as usize];
            v.residual = v.residual.saturating_sub(1);
            self.session.residual_read();
            self.flow_relief(vol.0 as usize, ctx);
            for s in sites.iter() {
                self.add_to_message(s.0 as usize, true, seq, ctx);
            }
        }
        self.movers[m].read_done(batch);
        self.retire_writes();
        self.mover_kick(m, ctx);
    }

    /// Device blocking: unblock when the residual count is down to the resume level.
    fn flow_relief(&mut self, vol: usize, ctx: &mut Ctx<'_, Ev>) {
        {
            let v = &mut self.dasd.volumes[vol];
            if v.is_blocked && self.session.unblocks(v.residual) {
                v.is_blocked = false;
                let held: Vec<u32> = v.blocked.drain(..).collect();
                for io in held {
                    let ss = self.dasd.volumes[vol].ss.0 as usize;
                    ctx.schedule_in(
                        SimDuration::ZERO,
                        self.dasd.storage[ss].comp,
                        Ev::DeviceGo { io },
                    );
                }
            }
        }
    }

    /// Suspends the session (reported; see `docs/fidelity.md` for what is modelled).
    pub(crate) fn suspend(&mut self, ctx: &mut Ctx<'_, Ev>, reason: SuspendReason) {
        self.session.suspend();
        self.stats
            .suspensions
            .push((ctx.now().as_nanos(), reason.text().to_string()));
        self.observe(ctx.now(), Obs::Suspend { reason });
        self.observe_all_pairs(crate::obs::PairState::Suspended, ctx.now());
    }

    /// Adds a token (M1, `data == false`) or token+data (M2) of `seq` to the message being
    /// built for `site`; sends the message when it is full.
    pub(crate) fn add_to_message(
        &mut self,
        site: usize,
        data: bool,
        seq: u64,
        ctx: &mut Ctx<'_, Ev>,
    ) {
        let size = {
            let e = self.entry(seq).expect("a message entry needs its write");
            if data {
                sizes::data_field(e.span.n as usize, e.bytes as u64)
            } else {
                sizes::token(e.span.n as usize)
            }
        };
        let limit = self.cfg.copy.batch_bytes;
        if self.out[site].full_for(&self.msgs, size, limit) {
            self.send_message(site, ctx);
        }
        let id = match self.out[site].building() {
            Some(id) => id,
            None => {
                let tokens = self.spare_lists.pop().unwrap_or_default();
                let data = self.spare_lists.pop().unwrap_or_default();
                let o = &mut self.out[site];
                let (id, msg_no) = o.open(
                    &mut self.msgs,
                    SimMessage {
                        kind: MsgKind::Data,
                        bytes: sizes::HEADER as u64,
                        tokens,
                        data,
                        ..Default::default()
                    },
                );
                let comp = o.comp();
                if let Some(d) = o.start_building(id, ctx.now(), self.cfg.copy.batch_timer) {
                    let t = ctx.set_timer_in(
                        d,
                        comp,
                        Ev::BatchTimer {
                            site: site as u8,
                            msg_no,
                        },
                    );
                    o.timer_set(t);
                }
                id
            }
        };
        if data {
            self.entry_mut(seq).expect("checked above").data_msg[site] = id;
        }
        let msg = &mut self.msgs[id as usize];
        if data {
            msg.data.push(seq);
        } else {
            msg.tokens.push(seq);
        }
        msg.bytes += size;
        if self.out[site].goes_now(msg.bytes, limit) {
            self.send_message(site, ctx);
        }
    }

    /// The batching timer expired: send the message it was set for.
    pub(crate) fn on_batch_timer(&mut self, site: u8, msg_no: u32, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive {
            return;
        }
        let s = site as usize;
        if self.out[s].timer_fired(&self.msgs, msg_no) {
            self.send_message(s, ctx);
        }
    }

    /// Hands the message being built for `site` to the link.
    pub(crate) fn send_message(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        let Some((id, timer)) = self.out[site].take_for_sending(ctx.now()) else {
            return;
        };
        if let Some(t) = timer {
            ctx.cancel(t);
        }
        self.stats.messages += 1;
        self.stats.message_bytes += self.msgs[id as usize].bytes;
        self.link_enqueue(site, id, ctx);
    }

    /// `sync`: one write's token and data in a message of its own, sent now.
    fn send_single(&mut self, site: usize, seq: u64, ctx: &mut Ctx<'_, Ev>) {
        let e = self.entry(seq).expect("sync write has its entry");
        let bytes = sizes::HEADER as u64 + sizes::data_field(e.span.n as usize, e.bytes as u64);
        let (id, _) = self.out[site].open(
            &mut self.msgs,
            SimMessage {
                kind: MsgKind::Data,
                data: vec![seq],
                bytes,
                ..Default::default()
            },
        );
        self.entry_mut(seq)
            .expect("sync write has its entry")
            .data_msg[site] = id;
        self.stats.messages += 1;
        self.stats.message_bytes += bytes;
        self.link_enqueue(site, id, ctx);
        self.sync_watch(site, ctx);
    }

    /// Session establishment: the extent list (and the initial copy, if configured).
    pub(crate) fn establish(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        let mut bytes = sizes::HEADER as u64;
        let mut tracks = 0u64;
        let mut track_bytes = 0u64;
        let mut extents = Vec::new();
        for (i, v) in self.dasd.volumes.iter().enumerate() {
            if v.site.is_none() && v.routing.all().contains(SiteId(site as u8)) {
                for d in v
                    .image
                    .datasets()
                    .iter()
                    .filter(|d| v.routing.sites(d.first_track).contains(SiteId(site as u8)))
                {
                    bytes += sizes::extent_entry(d.name.len()) as u64;
                    tracks += d.tracks();
                    track_bytes = v.image.device_type().max_record_bytes() as u64;
                    extents.push(crate::copy::ExtentName {
                        vol: crate::types::VolumeId(i as u32),
                        first_track: d.first_track,
                        last_track: d.last_track,
                        name: d.name.clone(),
                    });
                }
            }
        }
        // The Establish message announces the initial copy that follows (its number and
        // how many messages it takes), so the site knows it is not duplex until then.
        let copy = (self.cfg.copy.initial_copy && tracks > 0).then(|| {
            (
                self.out[site].next_initial_copy(),
                self.initial_copy_messages(tracks, track_bytes),
            )
        });
        let (id, _) = self.out[site].open(
            &mut self.msgs,
            SimMessage {
                kind: MsgKind::Establish,
                bytes,
                extents,
                copy: copy.map_or(0, |c| c.0),
                copy_msgs: copy.map_or(0, |c| c.1 as u32),
                ..Default::default()
            },
        );
        self.link_enqueue(site, id, ctx);
        if let Some((copy, _)) = copy {
            self.session.initial_copy_sent(site);
            self.observe_site_pairs(site, crate::obs::PairState::Pending, ctx.now());
            self.send_initial_copy(site, copy, tracks, track_bytes, ctx);
        }
    }

    /// How many messages an initial copy of `tracks` tracks of `track_bytes` takes (about
    /// the batch size each).
    fn initial_copy_messages(&self, tracks: u64, track_bytes: u64) -> u64 {
        let per_msg = (self.cfg.copy.batch_bytes / track_bytes.max(1)).max(1);
        tracks.div_ceil(per_msg)
    }

    /// A fresh initial-copy number for `site`.
    pub(crate) fn next_initial_copy(&mut self, site: usize) -> u32 {
        self.out[site].next_initial_copy()
    }

    /// Sends `tracks` tracks of `track_bytes` to `site` as initial copy number `copy`, in
    /// messages of about the batch size; each carries the copy's number and message count,
    /// so the site knows when it has all of it.
    pub(crate) fn send_initial_copy(
        &mut self,
        site: usize,
        copy: u32,
        tracks: u64,
        track_bytes: u64,
        ctx: &mut Ctx<'_, Ev>,
    ) {
        if tracks == 0 {
            return;
        }
        let per_msg = (self.cfg.copy.batch_bytes / track_bytes.max(1)).max(1);
        let n = self.initial_copy_messages(tracks, track_bytes);
        for k in 0..n {
            let t = per_msg.min(tracks - k * per_msg);
            let (id, _) = self.out[site].open(
                &mut self.msgs,
                SimMessage {
                    kind: MsgKind::InitialCopy,
                    bytes: sizes::HEADER as u64 + t * (track_bytes + 8),
                    copy,
                    copy_msgs: n as u32,
                    ..Default::default()
                },
            );
            self.link_enqueue(site, id, ctx);
        }
    }

    /// An acknowledgment reaches the primary: mark the site's writes up to `seq` secured,
    /// free sidefile entries secured everywhere, complete `sync` writes.
    pub(crate) fn on_ack_arrive(&mut self, site: u8, seq: u64, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive {
            return;
        }
        let s = SiteId(site);
        let Some(from) = self.out[site as usize].acknowledged(seq, self.wt.base()) else {
            return;
        };
        let mode = self.mode();
        // The acknowledgment covers the site's ordinals up to that of `seq`: writes given
        // an ordinal by a resynchronisation (after newer writes) are secured by it too.
        let ack_ord = self.entry(seq).map(|e| e.ords[site as usize]);
        let late: Vec<u64> = match ack_ord {
            Some(o) => self.session.resynced_upto(|q| {
                self.wt
                    .get(q)
                    .is_none_or(|e| !e.sites.contains(s) || e.ords[site as usize] <= o)
            }),
            None => Vec::new(),
        };
        for q in (from..=seq).chain(late) {
            let Some(e) = self.entry_mut(q) else {
                if q > seq {
                    continue;
                }
                break;
            };
            // A write marked in the bitmap never went to the site (or went before its
            // pair suspended, and is copied again by the resynchronisation): a cumulative
            // acknowledgment does not cover it.
            if !e.sites.contains(s) || e.secured.contains(s) || e.bitmap {
                continue;
            }
            // The acknowledgment covers ordinals, not numbers: a write given a newer
            // ordinal by a resynchronisation is secured by a later one (`late`).
            if ack_ord.is_some_and(|o| e.ords[site as usize] > o) {
                continue;
            }
            e.secured = e.secured.with(s);
            let all = e.secured.0 & e.sites.0 == e.sites.0;
            let io = e.io;
            if all && mode == Mode::Ur && !e.bitmap {
                let (vol, bytes) = (e.vol, e.bytes);
                self.journal.free(bytes as u64);
                self.copy_cache_free(vol, bytes);
            }
            let Some(e) = self.entry_mut(q) else { break };
            let (svol, st) = (e.vol.0 as usize, e.t_seq);
            if all && e.sidefile {
                e.sidefile = false;
                let (vol, bytes) = (e.vol, e.bytes);
                self.session.sidefile_secured();
                self.copy_cache_out(vol, bytes, false);
            }
            if all {
                let n = self.dasd.volumes.len();
                self.session.note_secured(svol, n, st);
            }
            if mode == Mode::Sync
                && let Some(io) = io
                && self.dasd.ios.contains(io as usize)
                && self.dasd.ios[io as usize].seq == q
            {
                let i = &mut self.dasd.ios[io as usize];
                i.needs_remote = i.needs_remote.saturating_sub(1);
                self.maybe_complete(io, ctx);
            }
        }
        self.session.sidefile_checked();
        let wt = &self.wt;
        self.session.resynced_keep(|q| {
            wt.get(q)
                .is_some_and(|e| e.secured.0 & e.sites.0 != e.sites.0)
        });
        self.sync_resync_progress(ctx.now());
        self.retire_writes();
        // Secured data leaves the movers' buffer: they may read again.
        for m in 0..self.movers.len() {
            self.mover_kick(m, ctx);
        }
        self.maybe_schedule_resync(ctx);
        self.check_drained(ctx);
    }

    /// A suspended session whose backlog has drained resynchronises after the configured
    /// delay.
    fn maybe_schedule_resync(&mut self, ctx: &mut Ctx<'_, Ev>) {
        if let Some(after) = self.session.resync_due() {
            ctx.schedule_in(after, self.serializer.comp(), Ev::ResyncStart);
        }
    }

    /// Resynchronisation: the session goes back to duplex (new writes flow as usual) and
    /// the changed records of the writes made while suspended are copied over, in track
    /// order, each with its latest content, and written at the secondary as they arrive:
    /// until the whole copy is in, the secondary is not consistent (the checker shows it if
    /// a disaster strikes then).
    pub(crate) fn on_resync_start(&mut self, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive {
            return;
        }
        self.session.begin_resync();
        if self
            .session
            .bitmap()
            .iter()
            .any(|&q| self.entry(q).is_some_and(|e| !e.data_ready))
        {
            // A write made while suspended is still in progress: copy once it is in.
            self.session.defer_resync();
            ctx.schedule_in(
                SimDuration::from_millis(1),
                self.serializer.comp(),
                Ev::ResyncStart,
            );
            return;
        }
        let covered = self.session.take_bitmap();
        let (Some(&from), Some(&to)) = (covered.first(), covered.last()) else {
            return;
        };
        // Writes of pairs suspended on their own took no place in the sites' order: the
        // resynchronisation gives them one now; each is secured by the acknowledgment of
        // its new ordinal.
        for &q in &covered {
            if let Some(e) = self.entry_mut(q) {
                e.bitmap = false;
            }
            self.session.resynced(q);
            let Some(e) = self.entry(q) else { continue };
            let sites = e.sites;
            for s in sites.iter() {
                if self.entry(q).is_some_and(|e| e.ords[s.0 as usize] == 0) {
                    let o = self.out[s.0 as usize].next_ordinal();
                    self.entry_mut(q).expect("in table").ords[s.0 as usize] = o;
                }
            }
        }
        let per_seq = self.set_latest_content(&covered) / covered.len() as u64;
        self.observe(ctx.now(), Obs::Resync { from, to });
        self.resync_pair_states(&covered, ctx.now());
        self.stats.resyncs.push((ctx.now().as_nanos(), from, to));
        let copy = self.next_copy_id();
        for site in 0..self.out.len() {
            let mut seqs = self.routed_to(&covered, site);
            // The bitmap is walked by track, not by sequence number.
            seqs.sort_by_key(|&q| {
                let e = self.entry(q).expect("in table");
                (e.vol, e.span.first.track(), q)
            });
            self.sites[site].resync_range = Some((from, to));
            self.send_copy(site, seqs, MsgKind::Resync, copy, per_seq, ctx);
        }
    }

    /// The writes of `covered` that are routed to `site`.
    fn routed_to(&self, covered: &[u64], site: usize) -> Vec<u64> {
        covered
            .iter()
            .copied()
            .filter(|&q| {
                self.entry(q)
                    .is_some_and(|e| e.sites.contains(SiteId(site as u8)))
            })
            .collect()
    }

    /// A fresh copy number (point-in-time copies and resynchronisations).
    fn next_copy_id(&mut self) -> u32 {
        self.pit_copies += 1;
        self.pit_copies
    }

    /// Marks the writes `covered` (in sequence order) as shipping, for each record, the
    /// content of the latest of them that wrote it; returns the bytes of distinct records.
    pub(crate) fn set_latest_content(&mut self, covered: &[u64]) -> u64 {
        let mut latest: super::FastMap<u64, WriteId> = Default::default();
        for &q in covered {
            let e = self
                .entry(q)
                .expect("covered writes are in the table until secured");
            for a in e.span.iter() {
                latest.insert(record_key(e.vol, a), e.write_id);
            }
        }
        let mut distinct: u64 = 0;
        let mut counted: super::FastMap<u64, ()> = Default::default();
        for &q in covered {
            let e = self.entry(q).expect("in table");
            let per_rec = e.bytes as u64 / e.span.n.max(1) as u64;
            let mut ws = Vec::with_capacity(e.span.n as usize);
            for a in e.span.iter() {
                let k = record_key(e.vol, a);
                ws.push(latest[&k]);
                if counted.insert(k, ()).is_none() {
                    distinct += per_rec;
                }
            }
            let own = e.write_id;
            let shipped = ws.iter().any(|&w| w != own).then(|| ws.into_boxed_slice());
            self.entry_mut(q).expect("in table").shipped = shipped;
        }
        distinct
    }

    /// Sends the writes `seqs` to `site` as a copy of `kind` in messages of at most the
    /// batch size, charging `per_seq` data bytes per write (the copy's distinct record bytes
    /// spread over its writes: a record written twice is copied once).
    fn send_copy(
        &mut self,
        site: usize,
        seqs: Vec<u64>,
        kind: MsgKind,
        copy: u32,
        per_seq: u64,
        ctx: &mut Ctx<'_, Ev>,
    ) {
        if seqs.is_empty() && kind != MsgKind::Cycle {
            return;
        }
        let limit = self.cfg.copy.batch_bytes.max(1);
        let mut parts: Vec<(Vec<u64>, u64)> = vec![(Vec::new(), sizes::HEADER as u64)];
        for q in seqs {
            let e = self.entry(q).expect("in table");
            let size = sizes::data_field(e.span.n as usize, per_seq);
            let last = parts.last_mut().expect("non-empty");
            if !last.0.is_empty() && last.1 + size > limit {
                parts.push((Vec::new(), sizes::HEADER as u64));
            }
            let last = parts.last_mut().expect("non-empty");
            last.0.push(q);
            last.1 += size;
        }
        let total = parts.len() as u32;
        for (part, bytes) in parts {
            let (id, _) = self.out[site].open(
                &mut self.msgs,
                SimMessage {
                    kind,
                    data: part,
                    bytes,
                    copy,
                    copy_msgs: total,
                    ..Default::default()
                },
            );
            for &q in &self.msgs[id as usize].data.clone() {
                if let Some(e) = self.entry_mut(q) {
                    e.data_msg[site] = id;
                }
            }
            self.stats.messages += 1;
            self.stats.message_bytes += bytes;
            self.link_enqueue(site, id, ctx);
        }
    }

    /// `pit`: a point-in-time copy of every write numbered since the previous copy whose
    /// predecessors all have their data in: the latest content of each changed record,
    /// shipped as one copy and applied at the secondary once all of it has arrived.
    pub(crate) fn on_pit_snapshot(&mut self, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive {
            return;
        }
        if self.workload_on {
            ctx.schedule_in(
                self.cfg.copy.pit_interval,
                self.serializer.comp(),
                Ev::PitSnapshot,
            );
        } else if self.draining
            && (!self.dasd.ios.is_empty() || self.data_ready_prefix < self.serializer.last_seq())
        {
            // Draining: copy again shortly until the last writes are covered.
            ctx.schedule_in(
                SimDuration::from_millis(100),
                self.serializer.comp(),
                Ev::PitSnapshot,
            );
        }
        let upto = self.data_ready_prefix;
        let from = self.pit_last + 1;
        if upto < from {
            return;
        }
        self.pit_last = upto;
        let covered: Vec<u64> = (from..=upto).collect();
        let distinct = self.set_latest_content(&covered);
        let per_seq = distinct / covered.len() as u64;
        let copy = self.next_copy_id();
        for site in 0..self.out.len() {
            let seqs = self.routed_to(&covered, site);
            self.send_copy(site, seqs, MsgKind::Copy, copy, per_seq, ctx);
        }
    }

    /// `srdfa`: the minimum cycle time since the last switch has passed; switch now if the
    /// transmit set is gone, else when the last site confirms it.
    pub(crate) fn on_cycle_timer(&mut self, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive {
            return;
        }
        if self.cycles.timer(ctx.now()) {
            self.cycle_switch(ctx);
        }
    }

    /// `srdfa`: a site confirmed receipt of a whole cycle (over the link's reverse channel).
    pub(crate) fn on_cycle_received(&mut self, site: u8, cycle: u32, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive {
            return;
        }
        let r = self.cycles.received(site as usize, cycle);
        if let Some((from, upto)) = r.gone {
            // The transmit set's cache slots are free.
            for q in from..=upto {
                if let Some(e) = self.entry(q)
                    && !e.bitmap
                {
                    let (vol, bytes) = (e.vol, e.bytes);
                    self.delta_set_bytes = self.delta_set_bytes.saturating_sub(bytes as u64);
                    self.copy_cache_free(vol, bytes);
                }
            }
        }
        if r.switch {
            self.cycle_switch(ctx);
        }
    }

    /// `srdfa`: the cycle switch. The capture set (every write numbered since the last
    /// switch whose data is in cache, cut at the first still in flight) becomes the transmit
    /// set: one cycle per site, at least one message (the switch itself), each record once
    /// with its latest content in the cycle (write folding).
    fn cycle_switch(&mut self, ctx: &mut Ctx<'_, Ev>) {
        let now = ctx.now();
        let all_sites = (1u32 << self.out.len()) - 1;
        let sw = self.cycles.switch(now, self.data_ready_prefix, all_sites);
        self.stats.cycles = self.cycles.switches;
        self.stats.cycle_time_sum_ns = self.cycles.cycle_ns_sum;
        self.stats.cycle_time_max_ns = self.cycles.cycle_ns_max;
        if self.workload_on || self.draining {
            let _ = ctx.schedule_at(
                self.cycles.next_timer(now),
                self.serializer.comp(),
                Ev::CycleTimer,
            );
        }
        let covered: Vec<u64> = (sw.from..=sw.upto).collect();
        let per_seq = if covered.is_empty() {
            0
        } else {
            self.set_latest_content(&covered) / covered.len() as u64
        };
        for site in 0..self.out.len() {
            let seqs = self.routed_to(&covered, site);
            self.send_copy(site, seqs, MsgKind::Cycle, sw.cycle, per_seq, ctx);
        }
    }

    /// `gm`: the Global Copy task and the consistency group's next step. Changed data goes
    /// to the link when nothing waits for it (a track changed again meanwhile goes once);
    /// a drained group is asked of the sites as a FlashCopy.
    pub(crate) fn on_gm_pump(&mut self, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive {
            return;
        }
        if self.workload_on || self.draining {
            ctx.schedule_in(
                self.cfg.copy.batch_timer,
                self.serializer.comp(),
                Ev::GmPump,
            );
        }
        let idle = self.out.iter().all(|o| o.link.queued() == 0);
        let empty = idle && self.out.iter().all(|o| !o.link.transmitting());
        let p = self.gm.pump(ctx.now(), self.data_ready_prefix, idle, empty);
        if let Some((from, upto)) = p.send {
            self.global_copy(from, upto, ctx);
        }
        if let Some((cg, _)) = p.flash {
            let sites = (1u32 << self.out.len()) - 1;
            self.gm.flash_sent(cg, sites);
            for site in 0..self.out.len() {
                let (id, _) = self.out[site].open(
                    &mut self.msgs,
                    SimMessage {
                        kind: MsgKind::FlashCopy,
                        bytes: sizes::HEADER as u64,
                        copy: cg,
                        copy_msgs: 1,
                        point: self.gm_ord_sent[site],
                        ..Default::default()
                    },
                );
                self.stats.messages += 1;
                self.stats.message_bytes += sizes::HEADER as u64;
                self.link_enqueue(site, id, ctx);
            }
        }
        if p.failed {
            self.stats.cg_failures = self.gm.failed;
        }
    }

    /// `gm`: sends the writes `from..=upto` to every site they are routed to, as whole
    /// changed tracks: each track once, with its records' latest content among them.
    fn global_copy(&mut self, from: u64, upto: u64, ctx: &mut Ctx<'_, Ev>) {
        let covered: Vec<u64> = (from..=upto).collect();
        let records = self.set_latest_content(&covered);
        let whole = self.cfg.copy.gm_whole_tracks;
        for site in 0..self.out.len() {
            let seqs = self.routed_to(&covered, site);
            if seqs.is_empty() {
                continue;
            }
            let mut tracks = std::collections::BTreeSet::new();
            let mut bytes = 0u64;
            for &q in &seqs {
                let e = self.entry(q).expect("sent writes are in the table");
                let (ord, vol, track) = (e.ords[site], e.vol.0, e.span.first.track());
                self.gm_ord_sent[site] = self.gm_ord_sent[site].max(ord);
                if tracks.insert(super::storage::track_key(vol, track)) {
                    bytes += self.dasd.volumes[vol as usize]
                        .image
                        .device_type()
                        .max_record_bytes() as u64;
                }
            }
            let per_seq = if whole {
                bytes / seqs.len() as u64
            } else {
                records / covered.len() as u64
            };
            self.send_copy(site, seqs, MsgKind::GlobalCopy, 0, per_seq, ctx);
        }
    }

    /// `gm`: a site's FlashCopy of consistency group `cg` is complete (reported over the
    /// link): once every site's is, the group is formed and the next one may start.
    pub(crate) fn on_cg_formed(&mut self, site: u8, cg: u32, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive {
            return;
        }
        if self.gm.flash_done(site as usize, cg, ctx.now()) {
            self.stats.consistency_groups = self.gm.formed;
            self.stats.cg_time_sum_ns = self.gm.cg_ns_sum;
            self.stats.cg_time_max_ns = self.gm.cg_ns_max;
        }
    }

    /// `ur`: a read-journal command of `site` reaches the primary: answer with the next
    /// journal entries routed to the site, in sequence order, up to the transfer size (or
    /// with none).
    pub(crate) fn on_journal_read(&mut self, site: u8, ctx: &mut Ctx<'_, Ev>) {
        if !self.primary_alive {
            return;
        }
        let s = site as usize;
        let limit = self.cfg.copy.ur_read_bytes.max(1);
        let mut seqs = Vec::new();
        let mut bytes = sizes::HEADER as u64;
        let mut q = self.journal.next_for(s);
        let mut upto = q - 1;
        while q <= self.data_ready_prefix {
            let Some(e) = self.entry(q) else { break };
            if e.sites.contains(SiteId(site)) && !e.bitmap {
                let size = sizes::data_field(e.span.n as usize, e.bytes as u64);
                if !seqs.is_empty() && bytes + size > limit {
                    break;
                }
                seqs.push(q);
                bytes += size;
            }
            upto = q;
            q += 1;
        }
        self.journal.answered(s, upto, seqs.is_empty());
        self.stats.journal_reads = self.journal.reads;
        self.stats.journal_empty_reads = self.journal.empty_reads;
        let (id, _) = self.out[s].open(
            &mut self.msgs,
            SimMessage {
                kind: MsgKind::Journal,
                data: seqs,
                bytes,
                ..Default::default()
            },
        );
        for &q in &self.msgs[id as usize].data.clone() {
            if let Some(e) = self.entry_mut(q) {
                e.data_msg[s] = id;
            }
        }
        self.stats.messages += 1;
        self.stats.message_bytes += bytes;
        self.link_enqueue(s, id, ctx);
    }
}
