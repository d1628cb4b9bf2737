//! What the copy costs the primary (`copy.primary_cost`): the data movers' reads of record
//! sets are channel programs like any other, and the record sets held for the copy live in
//! the storage control's cache.
//!
//! - **Paths.** A mover read holds one storage path of the storage control and one channel
//!   path of the mover's host (channel group `mover % hosts`) for its connect time at the
//!   storage control's [`super::ChannelTiming`]: command overhead, one data-transfer CCW per
//!   record set, the bytes at the channel rate, and the ending status. It waits for the
//!   paths in the same first-come queue as host I/O (`StorageControl::path_wait`), so a
//!   busy mover lengthens host write response by the time writes wait behind its reads.
//!   The read ends at the later of its path occupancy and the mover's own read time
//!   (`copy.mover_read_overhead` + transfer).
//! - **Cache.** The sidefile holds each record set's data in cache from when its data is in
//!   until a mover reads it (`xrc`, `naive`); with the positive return token (`xrc-prt`) the
//!   persistent work list holds it until every site has secured it. Those bytes, in tracks,
//!   are taken from the track cache's capacity (LRU tracks are evicted), so host reads hit
//!   less often.
//!
//! - **zgm's SDM reads.** In `zgm` each reader of the System Data Mover is a path-queue
//!   client like a mover (read slot `movers + reader`): its read of a storage-control
//!   session (the record sets in the sidefile when the read reaches the storage control)
//!   waits for a storage path of that storage control and a channel path of the SDM's
//!   channel group (its site's, `hosts + site`, with `copy.secondary_paths` paths), holds
//!   them for the connect time above and ends at the later of that and the reader's own
//!   read time. An SDM at the recovery site pays the channel extension's round trip
//!   outside the connect time: the request crosses the link before the read queues for its
//!   paths, and the answer crosses it after the paths are freed (the extenders answer the
//!   channel protocol locally, so the storage path is not held while data is in flight).
//!
//! A read waiting for its paths is in `path_wait` under a tagged id ([`COPY_READ_TAG`] |
//! read slot); storage.rs's path release hands a freed path to it through
//! [`Dasd::copy_read_granted`]. Each read carries a epoch: a crash or a lost storage
//! control aborts it, and its later events are ignored.

use super::storage::{Dasd, IoEnv};
use super::{Ev, Mode, World, WorldConfig};
use sim::{ComponentId, Ctx, SimDuration};

/// Ids in a storage control's path queue with this bit set are copy reads (the low bits
/// are the read slot: a mover, or `movers + reader` for a zgm SDM reader), not I/O slots.
pub(crate) const COPY_READ_TAG: u32 = 1 << 31;

/// Where a mover read is.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
enum Stage {
    /// No read in progress on the paths.
    #[default]
    Idle,
    /// Waiting for a storage path and a channel path.
    Waiting,
    /// Holding them (connected).
    Holding,
}

/// One mover's read as the storage control sees it.
#[derive(Copy, Clone, Debug, Default)]
struct CopyRead {
    comp: ComponentId,
    stage: Stage,
    ss: u32,
    group: u16,
    epoch: u32,
    /// Path occupancy (connect time) of the read.
    occupancy: SimDuration,
    /// The mover's own read time; the read ends at the later of the two.
    read: SimDuration,
}

/// Mover reads on the paths and the cache the copy holds, per storage control. See the
/// module documentation.
#[derive(Clone, Debug, Default)]
pub(crate) struct CopyReads {
    on: bool,
    reads: Vec<CopyRead>,
    /// Bytes of record sets held in each storage control's cache for the copy.
    held_bytes: Vec<u64>,
    /// Track size of each storage control's devices, bytes.
    track_bytes: Vec<u64>,
    /// Mover reads per storage control.
    pub(crate) reads_done: Vec<u64>,
    /// Path occupancy of mover reads per storage control, ns.
    pub(crate) path_ns: Vec<u64>,
    /// The first read slot of zgm's SDM readers (the movers' count).
    zgm_base: usize,
}

impl CopyReads {
    /// The copy cost of `cfg` (inactive unless `copy.primary_cost`) for movers `comps`.
    pub(crate) fn new(cfg: &WorldConfig, comps: &[ComponentId]) -> Self {
        let n = cfg.subsystems.len();
        let track_bytes = (0..n)
            .map(|i| {
                cfg.volumes
                    .iter()
                    .find(|v| v.subsystem.0 as usize == i)
                    .map_or(56_664, |v| v.device.max_record_bytes() as u64)
            })
            .collect();
        let hosts = cfg.hosts.len().max(1);
        CopyReads {
            on: cfg.copy.primary_cost,
            reads: comps
                .iter()
                .enumerate()
                .map(|(m, &comp)| CopyRead {
                    comp,
                    group: (m % hosts) as u16,
                    ..Default::default()
                })
                .collect(),
            held_bytes: vec![0; n],
            track_bytes,
            reads_done: vec![0; n],
            path_ns: vec![0; n],
            zgm_base: comps.len(),
        }
    }

    /// `zgm`: a read slot for each SDM reader, in reader order, its events on `comp`, over
    /// channel group `groups[reader]` (the SDM's site's group).
    pub(crate) fn add_zgm_readers(&mut self, comp: ComponentId, groups: &[u16]) {
        self.zgm_base = self.reads.len();
        self.reads.extend(groups.iter().map(|&group| CopyRead {
            comp,
            group,
            ..Default::default()
        }));
    }

    /// The zgm reader of read slot `m`, if it is one.
    #[inline]
    fn zgm_reader(&self, m: usize) -> Option<usize> {
        m.checked_sub(self.zgm_base)
    }

    /// Whether the copy costs the primary in this world.
    #[inline]
    pub(crate) fn on(&self) -> bool {
        self.on
    }

    /// The channel group of a tagged waiting read.
    #[inline]
    pub(crate) fn group(&self, tagged: u32) -> usize {
        self.reads[(tagged & !COPY_READ_TAG) as usize].group as usize
    }

    /// Cache tracks the copy holds at storage control `ss`.
    pub(crate) fn held_tracks(&self, ss: usize) -> u64 {
        self.held_bytes[ss].div_ceil(self.track_bytes[ss].max(1))
    }
}

impl Dasd {
    /// A freed storage path and channel path go to the waiting read of mover `m` (called
    /// by the path release with the paths already taken).
    pub(crate) fn copy_read_granted(&mut self, m: usize, env: &mut IoEnv<'_, '_>) {
        let r = &mut self.copy.reads[m];
        r.stage = Stage::Holding;
        let (mover, epoch) = (m as u16, r.epoch);
        let ss = r.ss as usize;
        self.copy.reads_done[ss] += 1;
        self.copy.path_ns[ss] += r.occupancy.as_nanos();
        // The paths are freed after the occupancy; the read is done then, or after its own
        // (longer) read time.
        let whole = r.occupancy >= r.read;
        env.ctx.schedule_in(
            r.occupancy,
            r.comp,
            Ev::CopyRead {
                mover,
                epoch,
                done: whole,
            },
        );
        if !whole {
            env.ctx.schedule_in(
                r.read,
                r.comp,
                Ev::CopyRead {
                    mover,
                    epoch,
                    done: true,
                },
            );
        }
    }

    /// Mover `m` asks storage control `ss` for a path for a read of `records` record sets
    /// of `bytes` in all, whose own read time is `read`.
    fn copy_read_request(
        &mut self,
        m: usize,
        ss: usize,
        records: u64,
        bytes: u64,
        read: SimDuration,
        env: &mut IoEnv<'_, '_>,
    ) {
        let t = &self.storage[ss].timing;
        let occupancy = t.command_overhead
            + t.per_ccw * records
            + SimDuration::for_bytes(bytes, t.rate)
            + t.status_overhead;
        let r = &mut self.copy.reads[m];
        r.epoch = r.epoch.wrapping_add(1);
        r.stage = Stage::Waiting;
        r.ss = ss as u32;
        r.occupancy = occupancy;
        r.read = read;
        let group = r.group as usize;
        let sc = &mut self.storage[ss];
        if sc.paths_free > 0 && sc.chan_free[group] > 0 && sc.path_wait.is_empty() {
            sc.paths_free -= 1;
            sc.chan_free[group] -= 1;
            self.copy_read_granted(m, env);
        } else {
            sc.path_wait.push_back(COPY_READ_TAG | m as u32);
        }
    }

    /// Mover `m`'s read no longer needs its paths (`abort`: it is lost; else its connect
    /// time is over): free what it holds or leave the queue.
    fn copy_read_release(&mut self, m: usize, abort: bool, env: &mut IoEnv<'_, '_>) {
        let r = &mut self.copy.reads[m];
        let (ss, group, stage) = (r.ss as usize, r.group as usize, r.stage);
        if abort {
            r.epoch = r.epoch.wrapping_add(1);
        }
        r.stage = Stage::Idle;
        match stage {
            Stage::Idle => {}
            Stage::Waiting => {
                let tag = COPY_READ_TAG | m as u32;
                self.storage[ss].path_wait.retain(|&w| w != tag);
            }
            Stage::Holding => self.release_path(ss, group, env),
        }
    }

    /// Record sets of `bytes` enter (`add`) or leave the cache of storage control `ss` for
    /// the copy: the track cache's room for host data follows.
    fn copy_hold(&mut self, ss: usize, bytes: u64, add: bool) {
        let h = &mut self.copy.held_bytes[ss];
        *h = if add {
            *h + bytes
        } else {
            h.saturating_sub(bytes)
        };
        let tracks = self.copy.held_tracks(ss) as usize;
        self.storage[ss].cache.set_reserved(tracks);
    }
}

impl World {
    /// Mover `m` starts a read of `batch` (`bytes` in all) from storage control `ss` that
    /// takes it `read`: through the paths when the copy costs the primary, else on its own.
    pub(crate) fn copy_read_start(
        &mut self,
        m: usize,
        ss: usize,
        records: u64,
        bytes: u64,
        read: SimDuration,
        ctx: &mut Ctx<'_, Ev>,
    ) {
        if !self.dasd.copy.on() {
            ctx.schedule_in(
                read,
                self.movers[m].comp(),
                Ev::MoverDone { mover: m as u16 },
            );
            return;
        }
        let (d, mut env) = self.io(ctx);
        d.copy_read_request(m, ss, records, bytes, read, &mut env);
    }

    /// A mover read's connect time is over (`done == false`) or the whole read is
    /// (`done`): free its paths; at the end, the mover's read is done.
    pub(crate) fn on_copy_read(
        &mut self,
        mover: u16,
        epoch: u32,
        done: bool,
        ctx: &mut Ctx<'_, Ev>,
    ) {
        let m = mover as usize;
        if !self.primary_alive || self.dasd.copy.reads[m].epoch != epoch {
            return;
        }
        if self.dasd.copy.reads[m].stage == Stage::Holding {
            let (d, mut env) = self.io(ctx);
            d.copy_read_release(m, false, &mut env);
        }
        if done {
            match self.dasd.copy.zgm_reader(m) {
                Some(r) => self.on_zgm_read_done(r as u32, ctx),
                None => self.on_mover_done(mover, ctx),
            }
        }
    }

    /// `zgm`: SDM reader `r`'s read of `records` record sets (`bytes` in all) at storage
    /// control `ss`, whose own read time is `read`, goes through the paths; `false` when the
    /// copy does not cost the primary (the caller ends the read on its own).
    pub(crate) fn zgm_read_paths(
        &mut self,
        r: usize,
        ss: usize,
        records: u64,
        bytes: u64,
        read: SimDuration,
        ctx: &mut Ctx<'_, Ev>,
    ) -> bool {
        if !self.dasd.copy.on() {
            return false;
        }
        let m = self.dasd.copy.zgm_base + r;
        let (d, mut env) = self.io(ctx);
        d.copy_read_request(m, ss, records, bytes, read, &mut env);
        true
    }

    /// Mover `m`'s read is lost (the mover crashed): it leaves the paths.
    pub(crate) fn copy_read_abort(&mut self, m: usize, ctx: &mut Ctx<'_, Ev>) {
        if !self.dasd.copy.on() {
            return;
        }
        let (d, mut env) = self.io(ctx);
        d.copy_read_release(m, true, &mut env);
    }

    /// Storage control `ss` is lost: a mover read waiting for or holding its paths is lost
    /// too (its record sets go back to the mover's queue, which the mover then drops); a
    /// zgm reader's read leaves the paths and never ends (its session reports no more).
    pub(crate) fn copy_reads_lost_at(&mut self, ss: usize, ctx: &mut Ctx<'_, Ev>) {
        if !self.dasd.copy.on() {
            return;
        }
        for m in self.dasd.copy.zgm_base..self.dasd.copy.reads.len() {
            let r = self.dasd.copy.reads[m];
            if r.stage != Stage::Idle && r.ss as usize == ss {
                let (d, mut env) = self.io(ctx);
                d.copy_read_release(m, true, &mut env);
            }
        }
        for m in 0..self.movers.len() {
            let r = self.dasd.copy.reads[m];
            if r.stage == Stage::Idle || r.ss as usize != ss {
                continue;
            }
            self.copy_read_abort(m, ctx);
            let n = self.movers.len();
            let (wt, volumes) = (&self.wt, &self.dasd.volumes);
            self.movers[m].crash(|seq| {
                wt.get(seq)
                    .map_or(0, |e| volumes[e.vol.0 as usize].ss.0 as usize)
                    / n
            });
            self.movers[m].restart();
            self.mover_kick(m, ctx);
        }
    }

    /// A record set's data (`bytes`) of `vol` enters the sidefile (`xrc`, `naive`) or the
    /// persistent work list (`xrc-prt`).
    pub(crate) fn copy_cache_in(&mut self, vol: crate::types::VolumeId, bytes: u32) {
        if self.dasd.copy.on() {
            let ss = self.dasd.volumes[vol.0 as usize].ss.0 as usize;
            self.dasd.copy_hold(ss, bytes as u64, true);
        }
    }

    /// A record set leaves the cache: read by a mover (`on_read`; `xrc`, `naive`) or
    /// secured by every site (`xrc-prt`).
    pub(crate) fn copy_cache_out(
        &mut self,
        vol: crate::types::VolumeId,
        bytes: u32,
        on_read: bool,
    ) {
        if self.dasd.copy.on() && on_read == (self.mode() != Mode::XrcPrt) {
            let ss = self.dasd.volumes[vol.0 as usize].ss.0 as usize;
            self.dasd.copy_hold(ss, bytes as u64, false);
        }
    }

    /// Copy data of `vol` (`bytes`) leaves the cache whatever the mode (`srdfa`'s transmit
    /// set received, `ur`'s journal entry restored).
    pub(crate) fn copy_cache_free(&mut self, vol: crate::types::VolumeId, bytes: u32) {
        if self.dasd.copy.on() {
            let ss = self.dasd.volumes[vol.0 as usize].ss.0 as usize;
            self.dasd.copy_hold(ss, bytes as u64, false);
        }
    }

    /// Mover reads of storage control `ss`, their path occupancy (ns) and the cache tracks
    /// the copy holds there now.
    pub fn copy_cost(&self, ss: usize) -> (u64, u64, u64) {
        let c = &self.dasd.copy;
        if !c.on() {
            return (0, 0, 0);
        }
        (c.reads_done[ss], c.path_ns[ss], c.held_tracks(ss))
    }
}

#[cfg(test)]
mod tests {
    use super::super::storage::TrackCache;
    use super::*;

    /// zgm's readers get read slots after the movers', on the SDM's component and their
    /// site's channel group; a slot below them is a mover's.
    #[test]
    fn zgm_readers_take_the_slots_after_the_movers() {
        let cfg = WorldConfig::demo(Mode::Zgm, 2, 4, 100.0, 100.0);
        let movers = [ComponentId::default(); 2];
        let mut c = CopyReads::new(&cfg, &movers);
        let sdm = ComponentId::default();
        c.add_zgm_readers(sdm, &[3, 4, 3]);
        assert_eq!(c.reads.len(), 5);
        assert_eq!(c.zgm_reader(1), None, "a mover");
        assert_eq!(c.zgm_reader(2), Some(0));
        assert_eq!(c.zgm_reader(4), Some(2));
        assert_eq!(c.group(COPY_READ_TAG | 3), 4, "reader 1's channel group");
        assert_eq!(c.group(COPY_READ_TAG | 2), 3);
    }

    #[test]
    fn tracks_held_for_the_copy_leave_less_room_for_host_data() {
        let mut c = TrackCache::new(10);
        for k in 0..10 {
            c.insert(k);
        }
        assert_eq!(c.len(), 10);
        c.set_reserved(4);
        assert_eq!(
            c.len(),
            6,
            "the four least recently used tracks are evicted"
        );
        assert!(!c.contains(0) && !c.contains(3) && c.contains(4) && c.contains(9));
        c.insert(10);
        assert_eq!(c.len(), 6, "inserting evicts down to the room left");
        assert!(!c.contains(4));
        c.set_reserved(100);
        assert_eq!(c.len(), 1, "at least one track stays");
        assert_eq!(c.reserved(), 9);
        c.set_reserved(0);
        for k in 20..30 {
            c.insert(k);
        }
        assert_eq!(c.len(), 10, "the room comes back when the copy lets go");
    }
}
