//! The storage control (3990-like) and the I/O state machine of one channel program:
//! device queueing, channel and storage paths, the command phase, cache hits at channel
//! speed with DASD fast write into NVS, misses and NVS-full writes through the device
//! (disconnect for seek and rotation, reconnect for the transfer), destage of modified
//! tracks from NVS when the device is idle, and the ending status.
//!
//! Remote-copy hooks live here too because they are what the storage control does: for a
//! write to a duplexed extent it sends the write token at the start of the data phase
//! (xrc modes), keeps the changed records readable for the data movers (the sidefile) and
//! signals write complete only when the serializer's number is back (or, in `sync`, when
//! the secondary has the data).

use super::chan;
use super::copyread::COPY_READ_TAG;
use super::session::Admit;
use super::session::Session;
use super::{Ev, Io, Mode, Origin, Phase, Volume, World, WorldStats};
use crate::types::SiteId;
use serde::{Deserialize, Serialize};
use sim::{ComponentId, Ctx, SimDuration};
use slab::Slab;
use std::collections::VecDeque;

/// A least-recently-used cache of tracks (keys are volume and track), O(1) per operation,
/// deterministic (an index-linked list over a vector plus a map).
#[derive(Clone, Debug)]
pub(crate) struct TrackCache {
    cap: usize,
    /// Tracks' worth of cache held by something else (the copy's record sets): the cache
    /// holds at most `cap - reserved` tracks (at least one).
    reserved: usize,
    map: super::FastMap<u64, u32>,
    nodes: Vec<Node>,
    head: u32,
    tail: u32,
    free: Vec<u32>,
}

#[derive(Clone, Copy, Debug)]
struct Node {
    key: u64,
    prev: u32,
    next: u32,
}

const NIL: u32 = u32::MAX;

impl TrackCache {
    /// A cache of `cap` tracks.
    pub fn new(cap: usize) -> Self {
        TrackCache {
            cap: cap.max(1),
            reserved: 0,
            map: Default::default(),
            nodes: Vec::new(),
            head: NIL,
            tail: NIL,
            free: Vec::new(),
        }
    }
    /// Tracks held.
    pub fn len(&self) -> usize {
        self.map.len()
    }
    /// Capacity in tracks.
    pub fn capacity(&self) -> usize {
        self.cap
    }
    fn unlink(&mut self, i: u32) {
        let n = self.nodes[i as usize];
        if n.prev != NIL {
            self.nodes[n.prev as usize].next = n.next;
        } else {
            self.head = n.next;
        }
        if n.next != NIL {
            self.nodes[n.next as usize].prev = n.prev;
        } else {
            self.tail = n.prev;
        }
    }
    fn push_front(&mut self, i: u32) {
        self.nodes[i as usize].prev = NIL;
        self.nodes[i as usize].next = self.head;
        if self.head != NIL {
            self.nodes[self.head as usize].prev = i;
        }
        self.head = i;
        if self.tail == NIL {
            self.tail = i;
        }
    }
    /// Whether `key` is cached; a hit makes it most recently used.
    pub fn touch(&mut self, key: u64) -> bool {
        match self.map.get(&key) {
            Some(&i) => {
                if self.head != i {
                    self.unlink(i);
                    self.push_front(i);
                }
                true
            }
            None => false,
        }
    }
    /// Whether `key` is cached, without changing the order.
    #[cfg(test)]
    pub fn contains(&self, key: u64) -> bool {
        self.map.contains_key(&key)
    }
    /// Tracks it may hold now (capacity less the reserved tracks, at least one).
    fn room(&self) -> usize {
        self.cap.saturating_sub(self.reserved).max(1)
    }
    /// Evicts the least recently used track.
    fn evict(&mut self) {
        let t = self.tail;
        let old = self.nodes[t as usize].key;
        self.unlink(t);
        self.map.remove(&old);
        self.free.push(t);
    }
    /// Sets how many tracks' worth of the cache something else holds, evicting the least
    /// recently used tracks down to the room left.
    pub fn set_reserved(&mut self, tracks: usize) {
        self.reserved = tracks;
        while self.map.len() > self.room() {
            self.evict();
        }
    }
    /// Tracks' worth of the cache held by something else.
    pub fn reserved(&self) -> usize {
        self.reserved.min(self.cap - 1)
    }
    /// Inserts `key` as most recently used, evicting the least recently used track when full.
    pub fn insert(&mut self, key: u64) {
        if self.touch(key) {
            return;
        }
        while self.map.len() >= self.room() {
            self.evict();
        }
        let i = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = Node {
                    key,
                    prev: NIL,
                    next: NIL,
                };
                i
            }
            None => {
                self.nodes.push(Node {
                    key,
                    prev: NIL,
                    next: NIL,
                });
                (self.nodes.len() - 1) as u32
            }
        };
        self.push_front(i);
        self.map.insert(key, i);
    }
}

/// A storage control.
#[derive(Clone, Debug)]
pub(crate) struct StorageControl {
    pub comp: ComponentId,
    pub site: Option<SiteId>,
    pub cache: TrackCache,
    pub nvs_used: u64,
    pub nvs_bytes: u64,
    /// Free storage paths (data transfers at once).
    pub paths_free: u32,
    /// Free channel paths per channel group (host, or secondary site mover).
    pub chan_free: Vec<u32>,
    /// I/Os waiting for a path, in arrival order.
    pub path_wait: VecDeque<u32>,
    pub timing: super::ChannelTiming,
    pub destage_delay: SimDuration,
    /// Write misses go to the device.
    pub write_miss_to_device: bool,
    /// RPS miss on reconnection (see `SubsystemConfig::rps_miss`).
    pub rps_miss: bool,
    /// NVS occupancy fraction that starts destage at once (`SubsystemConfig`).
    pub destage_threshold: Option<f64>,
    /// Control-unit busy retry cost (`SubsystemConfig::cu_busy_retry`).
    pub cu_busy_retry: Option<SimDuration>,
    /// Lost (subsystem-loss fault): its I/Os never end.
    pub dead: bool,
    /// Host reads that found every track in cache.
    pub read_hits: u64,
    /// Host reads that went to the device.
    pub read_misses: u64,
}

/// A cache-track key: volume and track.
#[inline]
pub(crate) fn track_key(vol: u32, track: u64) -> u64 {
    ((vol as u64) << 40) | track
}

/// Public figures of a storage control, for front ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageGauges {
    /// Tracks in cache.
    pub cache_tracks: u64,
    /// Cache capacity, tracks.
    pub cache_capacity: u64,
    /// NVS in use, bytes.
    pub nvs_used: u64,
    /// NVS size, bytes.
    pub nvs_bytes: u64,
    /// I/Os waiting for a path.
    pub path_wait: u64,
    /// Host reads that found their tracks in cache.
    pub read_hits: u64,
    /// Host reads that went to the device.
    pub read_misses: u64,
    /// Cache tracks held by the copy's record sets (`copy.primary_cost`).
    pub copy_tracks: u64,
}

/// Modified tracks kept inline per volume before spilling to the heap.
const DIRTY_INLINE: usize = 4;

/// The modified tracks of one volume waiting in NVS for destage, oldest first, with their
/// dirty bytes. The first few are kept inline: a volume rarely has more than a handful
/// dirty at once, and with thousands of volumes a heap buffer per volume costs a cache miss
/// on every write. More spill into a map and a queue; the inline ones are always the
/// oldest.
#[derive(Clone, Debug, Default)]
pub(crate) struct DirtyTracks {
    /// (track, bytes); linear track numbers fit 32 bits.
    inline: [(u32, u32); DIRTY_INLINE],
    n_inline: u8,
    spill: Option<Box<DirtySpill>>,
}

#[derive(Clone, Debug, Default)]
struct DirtySpill {
    bytes: super::FastMap<u64, u32>,
    order: VecDeque<u64>,
}

impl DirtyTracks {
    /// Adds `bytes` to `track`, which joins the end of the destage order if it was clean.
    pub(crate) fn add(&mut self, track: u64, bytes: u32) {
        let n = self.n_inline as usize;
        if let Some(e) = self.inline[..n].iter_mut().find(|e| e.0 as u64 == track) {
            e.1 += bytes;
            return;
        }
        if let Some(s) = self.spill.as_deref_mut() {
            if let Some(b) = s.bytes.get_mut(&track) {
                *b += bytes;
                return;
            }
            // Younger than everything inline once anything has spilled.
            if !s.order.is_empty() || n == DIRTY_INLINE {
                s.bytes.insert(track, bytes);
                s.order.push_back(track);
                return;
            }
        }
        if n < DIRTY_INLINE && track <= u32::MAX as u64 {
            self.inline[n] = (track as u32, bytes);
            self.n_inline += 1;
            return;
        }
        let s = self.spill.get_or_insert_with(Box::default);
        s.bytes.insert(track, bytes);
        s.order.push_back(track);
    }

    /// Takes the oldest dirty track and its bytes.
    pub(crate) fn pop_oldest(&mut self) -> Option<(u64, u32)> {
        let n = self.n_inline as usize;
        if n > 0 {
            let (track, bytes) = self.inline[0];
            self.inline.copy_within(1..n, 0);
            self.n_inline -= 1;
            return Some((track as u64, bytes));
        }
        let s = self.spill.as_deref_mut()?;
        let t = s.order.pop_front()?;
        Some((t, s.bytes.remove(&t).unwrap_or(0)))
    }

    /// Whether no track waits for destage.
    pub(crate) fn is_empty(&self) -> bool {
        self.n_inline == 0 && self.spill.as_ref().is_none_or(|s| s.order.is_empty())
    }
}

/// The channels, storage controls and volumes of both sites, and the I/Os in progress: the
/// I/O path of a channel program (device queue, flow-control hold, channel and storage
/// paths, command phase, cache and NVS, disconnect for the device, transfer, status) and
/// destaging.
#[derive(Clone, Debug)]
pub(crate) struct Dasd {
    pub(crate) storage: Vec<StorageControl>,
    pub(crate) volumes: Vec<Volume>,
    pub(crate) ios: Slab<Io>,
    /// Spare chain-effects buffers (a few in use at a time, shared by all volumes).
    /// Boxed: they move in and out of `Volume::effects`, which holds a pointer.
    #[allow(clippy::vec_box)]
    pub(crate) spare_effects: Vec<Box<crate::ccw::ChainEffects>>,
    /// The copy's mover reads on the paths and its record sets in cache
    /// (`copy.primary_cost`, `copyread.rs`).
    pub(crate) copy: super::copyread::CopyReads,
}

/// What the I/O path needs from the rest of the world: the kernel's context (time,
/// scheduling, the storage controls' random streams), the running totals, whether the
/// primary site still exists, and the session's flow control.
pub(crate) struct IoEnv<'a, 'b> {
    pub ctx: &'a mut Ctx<'b, Ev>,
    pub stats: &'a mut WorldStats,
    pub alive: bool,
    pub session: &'a Session,
}

impl Dasd {
    /// Starts I/O `io` at its volume's storage control: queue for the device.
    pub(crate) fn begin_io(&mut self, io: u32, env: &mut IoEnv<'_, '_>) {
        let vol = self.ios[io as usize].vol.0 as usize;
        if self.volumes[vol].busy {
            self.ios[io as usize].phase = Phase::DeviceQueue;
            self.volumes[vol].queue.push_back(io);
        } else {
            self.volumes[vol].busy = true;
            self.device_acquired(io, env);
        }
    }

    /// The I/O holds its device: apply flow control, then ask for a path.
    fn device_acquired(&mut self, io: u32, env: &mut IoEnv<'_, '_>) {
        let i = &self.ios[io as usize];
        let vol = i.vol.0 as usize;
        let duplexed = i.write
            && self.volumes[vol].site.is_none()
            && !self.volumes[vol]
                .routing
                .sites(i.span.first.track())
                .is_empty();
        if duplexed && env.alive {
            let v = &self.volumes[vol];
            match env.session.admit(v.residual, v.is_blocked) {
                Admit::Pace(d) => {
                    let ss = v.ss.0 as usize;
                    let io_ref = &mut self.ios[io as usize];
                    io_ref.phase = Phase::Held;
                    io_ref.paced = d;
                    env.stats.paced_writes += 1;
                    env.stats.pacing_delay_ns += d.as_nanos();
                    env.ctx
                        .schedule_in(d, self.storage[ss].comp, Ev::DeviceGo { io });
                    return;
                }
                Admit::Block => {
                    self.volumes[vol].is_blocked = true;
                    self.ios[io as usize].phase = Phase::Held;
                    self.volumes[vol].blocked.push_back(io);
                    env.stats.blocked_writes += 1;
                    return;
                }
                Admit::Go => {}
            }
        }
        self.request_path(io, Phase::PathQueue, env);
    }

    /// Flow control released a held write.
    pub(crate) fn on_device_go(&mut self, io: u32, env: &mut IoEnv<'_, '_>) {
        if !self.ios.contains(io as usize) || self.dead_primary_io(io, env.alive) {
            return;
        }
        self.request_path(io, Phase::PathQueue, env);
    }

    /// Whether `io` belongs to a primary site that no longer exists.
    fn dead_primary_io(&self, io: u32, alive: bool) -> bool {
        let v = &self.volumes[self.ios[io as usize].vol.0 as usize];
        (!alive && v.site.is_none()) || self.storage[v.ss.0 as usize].dead
    }

    /// Asks for a channel path of the I/O's group and a storage path; starts the command
    /// phase (`Phase::PathQueue`) or the reconnected transfer (`Phase::Reconnect`) when
    /// both are free, else queues.
    fn request_path(&mut self, io: u32, phase: Phase, env: &mut IoEnv<'_, '_>) {
        let (ss, group) = {
            let i = &self.ios[io as usize];
            (
                self.volumes[i.vol.0 as usize].ss.0 as usize,
                i.group as usize,
            )
        };
        let sc = &mut self.storage[ss];
        self.ios[io as usize].phase = phase;
        if sc.paths_free > 0 && sc.chan_free[group] > 0 && sc.path_wait.is_empty() {
            sc.paths_free -= 1;
            sc.chan_free[group] -= 1;
            self.path_granted(io, env);
        } else {
            if phase == Phase::PathQueue && sc.paths_free == 0 && sc.cu_busy_retry.is_some() {
                // Every storage path busy: control-unit busy to the channel, which retries
                // the start when the control unit signals control-unit end.
                env.stats.cu_busy += 1;
                self.ios[io as usize].cu_busy = true;
            }
            sc.path_wait.push_back(io);
        }
    }

    /// Gives freed paths to waiting I/Os, first come first served among those whose
    /// channel group has a free channel path.
    pub(crate) fn release_path(&mut self, ss: usize, group: usize, env: &mut IoEnv<'_, '_>) {
        let sc = &mut self.storage[ss];
        sc.paths_free += 1;
        sc.chan_free[group] += 1;
        loop {
            let sc = &mut self.storage[ss];
            if sc.paths_free == 0 {
                return;
            }
            let (ios, copy) = (&self.ios, &self.copy);
            // A mover read waits under a tagged id (copyread.rs).
            let group_of = |w: u32| {
                if w & COPY_READ_TAG != 0 {
                    copy.group(w)
                } else {
                    ios[w as usize].group as usize
                }
            };
            let pos = sc
                .path_wait
                .iter()
                .position(|&w| sc.chan_free[group_of(w)] > 0);
            let Some(pos) = pos else { return };
            let io = sc.path_wait.remove(pos).expect("position is valid");
            let g = group_of(io);
            sc.paths_free -= 1;
            sc.chan_free[g] -= 1;
            if io & COPY_READ_TAG != 0 {
                self.copy_read_granted((io & !COPY_READ_TAG) as usize, env);
            } else {
                self.path_granted(io, env);
            }
        }
    }

    fn path_granted(&mut self, io: u32, env: &mut IoEnv<'_, '_>) {
        let ss = self.volumes[self.ios[io as usize].vol.0 as usize].ss.0 as usize;
        let comp = self.storage[ss].comp;
        match self.ios[io as usize].phase {
            Phase::Reconnect => {
                // Reconnected after seek and rotation: transfer at the slower of channel and
                // device rate.
                let i = &mut self.ios[io as usize];
                i.phase = Phase::Transfer;
                let v = &self.volumes[i.vol.0 as usize];
                let rate = self.storage[ss]
                    .timing
                    .rate
                    .min(v.timing().data_rate_bytes_per_s);
                let d = SimDuration::for_bytes(i.bytes as u64, rate)
                    + self.storage[ss].timing.per_ccw * (i.span.n as u64 + i.extra_ccws as u64);
                let d = scale(d, v.slowdown);
                env.ctx.schedule_in(d, comp, Ev::DataDone { io });
            }
            _ => {
                self.ios[io as usize].phase = Phase::Command;
                let mut d = self.storage[ss].timing.command_overhead;
                if std::mem::take(&mut self.ios[io as usize].cu_busy) {
                    // The channel's retry after control-unit end.
                    d += self.storage[ss].cu_busy_retry.unwrap_or(SimDuration::ZERO);
                }
                let d = scale(
                    d,
                    self.volumes[self.ios[io as usize].vol.0 as usize].slowdown,
                );
                env.ctx.schedule_in(d, comp, Ev::Connected { io });
            }
        }
    }

    /// Command phase over: the storage control interprets the chain (a unit check ends
    /// the I/O: `None`) and looks the tracks up in its cache. `Some((duplexed, hit))`: the
    /// chain is a write to a duplexed extent of a primary volume (its remote-copy work
    /// starts now, before the data moves), and every track was in the cache; then call
    /// [`Dasd::transfer`].
    pub(crate) fn connect(&mut self, io: u32, env: &mut IoEnv<'_, '_>) -> Option<(bool, bool)> {
        if !self.ios.contains(io as usize) || self.dead_primary_io(io, env.alive) {
            return None;
        }
        let vol = self.ios[io as usize].vol.0 as usize;
        let ss = self.volumes[vol].ss.0 as usize;
        let comp = self.storage[ss].comp;
        let group = self.ios[io as usize].group as usize;
        // Interpret the channel program against the volume (an injected equipment check
        // ends it before it runs).
        let forced = self.ios[io as usize].forced_check;
        let status = if forced != 0 {
            crate::ccw::ChainStatus::unit_check(crate::ccw::Sense::new(forced, 0, 0), 0)
        } else {
            let (ios, volumes) = (&mut self.ios, &mut self.volumes);
            chan::plan(
                &mut volumes[vol],
                &mut self.spare_effects,
                ios[io as usize].chain.ccws(),
            )
        };
        if status.is_unit_check() {
            let i = &mut self.ios[io as usize];
            i.failed = true;
            i.sense = [status.sense.0[0], status.sense.0[1], status.sense.0[7]];
            i.phase = Phase::Ending;
            env.stats.unit_checks += 1;
            self.release_path(ss, group, env);
            let d = self.storage[ss].timing.status_overhead;
            env.ctx.schedule_in(d, comp, Ev::Complete { io });
            return None;
        }
        let (write, span, control) = {
            let i = &self.ios[io as usize];
            (i.write, i.span, i.control)
        };
        if self.ios[io as usize]
            .chain
            .ccws()
            .first()
            .is_some_and(|c| c.code == crate::ccw::Command::Seek.code())
        {
            // A classic chain: the storage control runs every search and TIC back while
            // connected, each costing the per-CCW time.
            let executed = self.volumes[vol]
                .effects
                .as_ref()
                .map_or(0, |e| e.ccws_executed);
            self.ios[io as usize].extra_ccws = executed.saturating_sub(span.n as u32);
        }
        let (t0, t1) = span.tracks();
        let mut hit = true;
        // A Sense moves the sense bytes from the storage control: no track is looked up.
        for t in t0..=t1 {
            if !control && !self.storage[ss].cache.touch(track_key(vol as u32, t)) {
                hit = false;
            }
        }
        let duplexed = write
            && self.volumes[vol].site.is_none()
            && !self.volumes[vol]
                .routing
                .sites(span.first.track())
                .is_empty();
        Some((duplexed, hit))
    }

    /// The data phase after [`Dasd::connect`]: data moves at channel speed into cache (and
    /// NVS for a write) on a hit, else the I/O disconnects for seek and rotation.
    pub(crate) fn transfer(&mut self, io: u32, hit: bool, env: &mut IoEnv<'_, '_>) {
        let vol = self.ios[io as usize].vol.0 as usize;
        let ss = self.volumes[vol].ss.0 as usize;
        let comp = self.storage[ss].comp;
        let group = self.ios[io as usize].group as usize;
        let (write, span, bytes, extra) = {
            let i = &self.ios[io as usize];
            (i.write, i.span, i.bytes, i.extra_ccws)
        };
        let nvs_room = self.storage[ss].nvs_used + bytes as u64 <= self.storage[ss].nvs_bytes;
        let fast = if write {
            (hit || !self.storage[ss].write_miss_to_device) && nvs_room
        } else {
            hit
        };
        let i = &mut self.ios[io as usize];
        if fast {
            i.phase = Phase::Transfer;
            let d = SimDuration::for_bytes(bytes as u64, self.storage[ss].timing.rate)
                + self.storage[ss].timing.per_ccw * (span.n as u64 + extra as u64);
            env.ctx.schedule_in(
                scale(d, self.volumes[vol].slowdown),
                comp,
                Ev::DataDone { io },
            );
        } else {
            // Disconnect: seek and rotational delay at the device.
            i.miss = true;
            i.phase = Phase::Disconnected;
            // The arm may still be destaging: the access starts when it is free.
            let now = env.ctx.now();
            let v = &mut self.volumes[vol];
            let target = span.first.cyl;
            let seek = v
                .timing()
                .seek(v.cyl, target, v.image.device_type().cylinders());
            v.cyl = target;
            let lat = v
                .timing()
                .latency(sim::rng::uniform01(env.ctx.rng_of(comp)));
            let start = v.arm_free_at.max(now);
            let access = scale(seek + lat, v.slowdown);
            v.arm_free_at = start + access + v.timing().transfer(bytes as u64);
            let d = (start - now) + access;
            self.release_path(ss, group, env);
            env.ctx.schedule_in(d, comp, Ev::DeviceReady { io });
        }
    }

    /// Seek and rotation done: reconnect for the transfer.
    pub(crate) fn on_device_ready(&mut self, io: u32, env: &mut IoEnv<'_, '_>) {
        if !self.ios.contains(io as usize) || self.dead_primary_io(io, env.alive) {
            return;
        }
        let (ss, group, vol) = {
            let i = &self.ios[io as usize];
            let vol = i.vol.0 as usize;
            (self.volumes[vol].ss.0 as usize, i.group as usize, vol)
        };
        let sc = &self.storage[ss];
        if sc.rps_miss && !(sc.paths_free > 0 && sc.chan_free[group] > 0 && sc.path_wait.is_empty())
        {
            // RPS miss: no path to reconnect on as the sector comes round; the device tries
            // again when it comes round next, a revolution later.
            env.stats.rps_misses += 1;
            let v = &self.volumes[vol];
            let d = scale(v.timing().rotation, v.slowdown);
            env.ctx.schedule_in(d, sc.comp, Ev::DeviceReady { io });
            return;
        }
        self.request_path(io, Phase::Reconnect, env);
    }

    /// The data is in the subsystem (cache and NVS, or on the device): commit the chain's
    /// effects to the volume, free the path, and end the I/O unless it waits for its
    /// sequence number or for the secondary.
    ///
    /// `Some(true)`: a numbered write of a primary volume, whose data is now ready for the
    /// copy; then call [`Dasd::maybe_complete`]. `None`: the I/O is gone.
    pub(crate) fn data_done(&mut self, io: u32, env: &mut IoEnv<'_, '_>) -> Option<bool> {
        if !self.ios.contains(io as usize) || self.dead_primary_io(io, env.alive) {
            return None;
        }
        let (vol, group, write, span, bytes, miss, write_id, control) = {
            let i = &self.ios[io as usize];
            (
                i.vol.0 as usize,
                i.group as usize,
                i.write,
                i.span,
                i.bytes,
                i.miss,
                i.write_id,
                i.control,
            )
        };
        let ss = self.volumes[vol].ss.0 as usize;
        self.release_path(ss, group, env);
        let (t0, t1) = span.tracks();
        if control {
            // Sense bytes only: no track staged, nothing counted as a read.
            let i = &mut self.ios[io as usize];
            i.data_done = true;
            return Some(false);
        }
        for t in t0..=t1 {
            self.storage[ss].cache.insert(track_key(vol as u32, t));
        }
        if write {
            chan::commit(&mut self.volumes[vol], &mut self.spare_effects, write_id);
            if miss {
                env.stats.slow_writes += 1;
            } else {
                // DASD fast write: a copy in NVS until the track is destaged.
                env.stats.fast_writes += 1;
                self.storage[ss].nvs_used += bytes as u64;
                let v = &mut self.volumes[vol];
                // Every track the write touched is modified in cache and NVS, each with
                // the bytes of its own records.
                for (t, b) in track_shares(span, bytes, t0, t1) {
                    v.dirty.add(t, b);
                }
                let sc = &self.storage[ss];
                // Above the NVS occupancy threshold the destage starts at once rather than
                // after the idle delay (also when a delayed one is pending: the first to
                // find the arm free runs, see `on_destage_start`).
                let urgent = v.destaging.is_none()
                    && sc
                        .destage_threshold
                        .is_some_and(|f| sc.nvs_used as f64 > f * sc.nvs_bytes as f64);
                if urgent {
                    v.destage_scheduled = true;
                    env.stats.threshold_destages += 1;
                    env.ctx.schedule_in(
                        SimDuration::ZERO,
                        sc.comp,
                        Ev::DestageStart { vol: vol as u32 },
                    );
                } else if !v.destage_scheduled {
                    v.destage_scheduled = true;
                    env.ctx.schedule_in(
                        sc.destage_delay,
                        sc.comp,
                        Ev::DestageStart { vol: vol as u32 },
                    );
                }
            }
        } else if miss {
            env.stats.read_misses += 1;
            self.storage[ss].read_misses += 1;
        } else {
            env.stats.read_hits += 1;
            self.storage[ss].read_hits += 1;
        }
        let i = &mut self.ios[io as usize];
        i.data_done = true;
        Some(i.seq != 0 && i.write && self.volumes[vol].site.is_none())
    }

    /// Ends the I/O when its data is in and nothing else is awaited.
    pub(crate) fn maybe_complete(&mut self, io: u32, env: &mut IoEnv<'_, '_>) {
        let i = &mut self.ios[io as usize];
        if i.phase == Phase::Ending
            || !i.data_done
            || (i.needs_seq && !i.seq_done)
            || i.needs_remote != 0
        {
            if i.data_done && i.phase != Phase::Ending {
                i.phase = Phase::Waiting;
            }
            return;
        }
        i.phase = Phase::Ending;
        let ss = self.volumes[i.vol.0 as usize].ss.0 as usize;
        let d = self.storage[ss].timing.status_overhead;
        env.ctx
            .schedule_in(d, self.storage[ss].comp, Ev::Complete { io });
    }

    /// The serializer's numbered token is back at the storage control.
    pub(crate) fn on_seq_return(&mut self, io: u32, env: &mut IoEnv<'_, '_>) {
        if !self.ios.contains(io as usize) || self.dead_primary_io(io, env.alive) {
            return;
        }
        self.ios[io as usize].seq_done = true;
        self.maybe_complete(io, env);
    }

    /// Channel end and device end: free the device, then hand the result to whoever
    /// started the I/O.
    /// The ended I/O, for whoever started it (`None`: it is gone).
    pub(crate) fn complete(&mut self, io: u32, env: &mut IoEnv<'_, '_>) -> Option<Io> {
        if !self.ios.contains(io as usize) || self.dead_primary_io(io, env.alive) {
            return None;
        }
        let vol = self.ios[io as usize].vol.0 as usize;
        self.release_device(vol, env);
        Some(self.ios.remove(io as usize))
    }

    /// The device is free: start the next queued I/O.
    pub(crate) fn release_device(&mut self, vol: usize, env: &mut IoEnv<'_, '_>) {
        let v = &mut self.volumes[vol];
        if let Some(next) = v.queue.pop_front() {
            self.device_acquired(next, env);
        } else {
            v.busy = false;
        }
    }

    /// Destage of modified tracks from NVS: the arm writes the oldest dirty track when it
    /// is free. It runs behind cache-hit I/O (which does not need the arm); an access that
    /// does need the arm waits for the destage in progress.
    pub(crate) fn on_destage_start(&mut self, vol: u32, env: &mut IoEnv<'_, '_>) {
        let now = env.ctx.now();
        let v = &mut self.volumes[vol as usize];
        if v.site.is_none() && !env.alive {
            v.destage_scheduled = false;
            return;
        }
        if v.destaging.is_some() {
            // A destage is running (one started early on the NVS threshold while a delayed
            // start was pending): it goes on with the next track itself.
            return;
        }
        let ss = v.ss.0 as usize;
        let comp = self.storage[ss].comp;
        if v.arm_free_at > now {
            env.ctx
                .schedule_in(v.arm_free_at - now, comp, Ev::DestageStart { vol });
            return;
        }
        let Some((track, bytes)) = v.dirty.pop_oldest() else {
            v.destage_scheduled = false;
            return;
        };
        v.destaging = Some((track, bytes));
        let cyl = (track / crate::types::TRACKS_PER_CYLINDER as u64) as u32;
        let seek = v
            .timing()
            .seek(v.cyl, cyl, v.image.device_type().cylinders());
        v.cyl = cyl;
        let lat = v
            .timing()
            .latency(sim::rng::uniform01(env.ctx.rng_of(comp)));
        let d = scale(seek + lat + v.timing().transfer(bytes as u64), v.slowdown);
        v.arm_free_at = now + d;
        env.ctx.schedule_in(d, comp, Ev::DestageDone { vol });
    }

    /// A destage finished: the NVS space is free; the next dirty track follows.
    pub(crate) fn on_destage_done(&mut self, vol: u32, env: &mut IoEnv<'_, '_>) {
        let v = &mut self.volumes[vol as usize];
        if v.site.is_none() && !env.alive {
            return;
        }
        let ss = v.ss.0 as usize;
        if let Some((_, bytes)) = v.destaging.take() {
            self.storage[ss].nvs_used = self.storage[ss].nvs_used.saturating_sub(bytes as u64);
            env.stats.destages += 1;
        }
        if v.dirty.is_empty() {
            v.destage_scheduled = false;
        } else {
            // The next one starts at once (no event of its own).
            self.on_destage_start(vol, env);
        }
    }

    /// Live figures of storage control `ss`.
    pub fn storage_gauges(&self, ss: usize) -> StorageGauges {
        let s = &self.storage[ss];
        StorageGauges {
            cache_tracks: s.cache.len() as u64,
            cache_capacity: s.cache.capacity() as u64,
            nvs_used: s.nvs_used,
            nvs_bytes: s.nvs_bytes,
            path_wait: s.path_wait.len() as u64,
            read_hits: s.read_hits,
            read_misses: s.read_misses,
            copy_tracks: s.cache.reserved() as u64,
        }
    }
}

impl World {
    /// The I/O path with what it needs from the world.
    pub(crate) fn io<'a, 'b>(
        &'a mut self,
        ctx: &'a mut Ctx<'b, Ev>,
    ) -> (&'a mut Dasd, IoEnv<'a, 'b>) {
        let env = IoEnv {
            ctx,
            stats: &mut self.stats,
            alive: self.primary_alive,
            session: &self.session,
        };
        (&mut self.dasd, env)
    }

    /// Starts I/O `io` at its volume's storage control.
    pub(crate) fn begin_io(&mut self, io: u32, ctx: &mut Ctx<'_, Ev>) {
        let (d, mut env) = self.io(ctx);
        d.begin_io(io, &mut env);
    }

    /// Flow control released a held write.
    pub(crate) fn on_device_go(&mut self, io: u32, ctx: &mut Ctx<'_, Ev>) {
        let (d, mut env) = self.io(ctx);
        d.on_device_go(io, &mut env);
    }

    /// Command phase over: a write to a duplexed extent starts its remote-copy work
    /// between the storage control's lookup and the data phase.
    pub(crate) fn on_connected(&mut self, io: u32, ctx: &mut Ctx<'_, Ev>) {
        self.build_deferred_chain(io);
        let (d, mut env) = self.io(ctx);
        let Some((duplexed, hit)) = d.connect(io, &mut env) else {
            return;
        };
        if duplexed && self.primary_alive {
            self.write_started(io, ctx);
        }
        let (d, mut env) = self.io(ctx);
        d.transfer(io, hit, &mut env);
    }

    /// Seek and rotation done: reconnect for the transfer.
    pub(crate) fn on_device_ready(&mut self, io: u32, ctx: &mut Ctx<'_, Ev>) {
        let (d, mut env) = self.io(ctx);
        d.on_device_ready(io, &mut env);
    }

    /// The data is in the subsystem: a numbered primary write's data is ready for the
    /// copy; the I/O ends unless it waits for its sequence number or the secondary.
    pub(crate) fn on_data_done(&mut self, io: u32, ctx: &mut Ctx<'_, Ev>) {
        let (d, mut env) = self.io(ctx);
        let Some(copy) = d.data_done(io, &mut env) else {
            return;
        };
        if copy {
            self.write_data_ready(io, ctx);
        }
        self.maybe_complete(io, ctx);
    }

    /// Ends the I/O when its data is in and nothing else is awaited.
    pub(crate) fn maybe_complete(&mut self, io: u32, ctx: &mut Ctx<'_, Ev>) {
        let (d, mut env) = self.io(ctx);
        d.maybe_complete(io, &mut env);
    }

    /// The serializer's numbered token is back at the storage control.
    pub(crate) fn on_seq_return(&mut self, io: u32, ctx: &mut Ctx<'_, Ev>) {
        let (d, mut env) = self.io(ctx);
        d.on_seq_return(io, &mut env);
    }

    /// Channel end and device end: hand the result to whoever started the I/O.
    pub(crate) fn on_complete(&mut self, io: u32, ctx: &mut Ctx<'_, Ev>) {
        let (d, mut env) = self.io(ctx);
        let Some(i) = d.complete(io, &mut env) else {
            return;
        };
        match i.origin {
            Origin::App { chain } => self.app_io_done(chain, i, ctx),
            Origin::Apply { site, ord } => self.apply_done(site, ord, i, ctx),
        }
    }

    /// An idle device may start destaging.
    pub(crate) fn on_destage_start(&mut self, vol: u32, ctx: &mut Ctx<'_, Ev>) {
        let (d, mut env) = self.io(ctx);
        d.on_destage_start(vol, &mut env);
    }

    /// A destage finished.
    pub(crate) fn on_destage_done(&mut self, vol: u32, ctx: &mut Ctx<'_, Ev>) {
        let (d, mut env) = self.io(ctx);
        d.on_destage_done(vol, &mut env);
    }

    /// Live figures of storage control `ss`.
    pub fn storage_gauges(&self, ss: usize) -> StorageGauges {
        self.dasd.storage_gauges(ss)
    }

    /// The mode of the session.
    pub(crate) fn mode(&self) -> Mode {
        self.cfg.copy.mode
    }
}

/// The bytes of a write of `bytes` over `span` (tracks `t0..=t1`) that fall on each track
/// it touches: whole records of the span per track, the remainder of the division on the
/// last track, so the shares add up to `bytes`.
pub(crate) fn track_shares(
    span: crate::content::RecSpan,
    bytes: u32,
    t0: u64,
    t1: u64,
) -> impl Iterator<Item = (u64, u32)> {
    let n = span.n.max(1) as u32;
    let per_rec = bytes / n;
    let first_on_track = (span.first.rec.max(1) - 1) as u32;
    let per = span.per_track.max(1) as u32;
    let mut left = bytes;
    (t0..=t1).map(move |t| {
        if t == t1 {
            return (t, left);
        }
        // Records of the span on track t: the first track holds per - first_on_track,
        // the ones between hold per.
        let recs = if t == t0 { per - first_on_track } else { per };
        let b = (recs * per_rec).min(left);
        left -= b;
        (t, b)
    })
}

/// `d` multiplied by `factor` (>= 1 for a slowed-down device).
#[inline]
pub(crate) fn scale(d: SimDuration, factor: f64) -> SimDuration {
    if factor == 1.0 {
        d
    } else {
        SimDuration::from_secs_f64(d.as_secs_f64() * factor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_evicts_least_recently_used() {
        let mut c = TrackCache::new(3);
        c.insert(1);
        c.insert(2);
        c.insert(3);
        assert!(c.touch(1));
        c.insert(4);
        assert!(!c.contains(2), "2 was least recently used");
        assert!(c.contains(1) && c.contains(3) && c.contains(4));
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn a_cross_track_write_dirties_every_track_it_touches() {
        use crate::content::RecSpan;
        use crate::types::Cchhr;
        // R11 and R12 of track 160, R1..R12 of 161, R1..R3 of 162: 17 records of 4 KiB.
        let span = RecSpan {
            first: Cchhr::from_track(160, 11),
            n: 17,
            per_track: 12,
        };
        let (t0, t1) = span.tracks();
        assert_eq!((t0, t1), (160, 162));
        let shares: Vec<_> = track_shares(span, 17 * 4096, t0, t1).collect();
        assert_eq!(
            shares,
            vec![(160, 2 * 4096), (161, 12 * 4096), (162, 3 * 4096)]
        );
        let one = RecSpan {
            first: Cchhr::from_track(5, 3),
            n: 2,
            per_track: 12,
        };
        assert_eq!(
            track_shares(one, 100, 5, 5).collect::<Vec<_>>(),
            vec![(5, 100)]
        );
    }

    proptest::proptest! {
        /// The shares of a write add up to its bytes, one per track touched.
        #[test]
        fn track_shares_add_up(first in 1u8..=12, n in 1u16..200, per_rec in 1u32..5000) {
            let span = crate::content::RecSpan {
                first: crate::types::Cchhr::from_track(30, first),
                n,
                per_track: 12,
            };
            let (t0, t1) = span.tracks();
            let shares: Vec<_> = track_shares(span, n as u32 * per_rec, t0, t1).collect();
            proptest::prop_assert_eq!(shares.len() as u64, t1 - t0 + 1);
            proptest::prop_assert_eq!(shares.iter().map(|s| s.1 as u64).sum::<u64>(), n as u64 * per_rec as u64);
            for (t, b) in &shares {
                let recs = span.iter().filter(|a| a.track() == *t).count() as u64;
                proptest::prop_assert_eq!(*b as u64, recs * per_rec as u64);
            }
        }

        #[test]
        fn lru_never_exceeds_capacity_and_matches_a_model(cap in 1usize..8, ops in proptest::collection::vec(0u64..12, 0..200)) {
            let mut c = TrackCache::new(cap);
            let mut model: Vec<u64> = Vec::new();
            for k in ops {
                c.insert(k);
                model.retain(|&x| x != k);
                model.insert(0, k);
                model.truncate(cap);
                proptest::prop_assert!(c.len() <= cap);
                for &m in &model {
                    proptest::prop_assert!(c.contains(m));
                }
                proptest::prop_assert_eq!(c.len(), model.len());
            }
        }

        /// The inline-then-spill dirty-track list behaves exactly like a map of bytes plus
        /// a queue of first-dirtied order (what it replaced), whatever the mix of adds and
        /// destages.
        #[test]
        fn dirty_tracks_match_a_map_and_a_queue(ops in proptest::collection::vec((0u64..10, 1u32..5000, proptest::bool::weighted(0.35)), 0..300)) {
            let mut d = DirtyTracks::default();
            let mut bytes: std::collections::HashMap<u64, u32> = Default::default();
            let mut order: VecDeque<u64> = VecDeque::new();
            for (track, b, pop) in ops {
                if pop {
                    let want = order.pop_front().map(|t| (t, bytes.remove(&t).unwrap()));
                    proptest::prop_assert_eq!(d.pop_oldest(), want);
                } else {
                    d.add(track, b);
                    match bytes.get_mut(&track) {
                        Some(x) => *x += b,
                        None => {
                            bytes.insert(track, b);
                            order.push_back(track);
                        }
                    }
                }
                proptest::prop_assert_eq!(d.is_empty(), order.is_empty());
            }
            while let Some(t) = order.pop_front() {
                proptest::prop_assert_eq!(d.pop_oldest(), Some((t, bytes[&t])));
            }
            proptest::prop_assert_eq!(d.pop_oldest(), None);
            proptest::prop_assert!(d.is_empty());
        }
    }
}
