//! The world: hosts, storage controls, the serializer, data movers, links and secondary
//! sites as one [`sim::Model`], and the [`Ev`] events that flow between them.
//!
//! The event flow of one `xrc` write (numbers are the paths of Fig. 3 of EP 0 617 362):
//!
//! ```text
//! Arrival (host) -> issue I/O -> device free? -> path free? -> Connected (DX+LR done, the
//! write starts): token -> TokenIn (serializer, path 2) -> SerializerDone: sequence number,
//! `seq` trace event, token into the site's message (M1, path 4), handed to the mover ->
//! SeqReturn (storage control). Meanwhile DataDone (data in cache/NVS, path 1). When both
//! have happened: Complete (channel end/device end, path 3) -> the application goes on.
//! Mover: MoverKick -> read of the changed records (path 5) -> MoverDone: token+data into
//! the message (M2, path 6). Message full or BatchTimer -> link: TxDone -> Arrive at the
//! secondary: pending write queue; complete entries are written in order to the secondary
//! DASD (path 7) through a secondary storage control; `apply`; acks flow back.
//! ```
//!
//! Each part lives in its own file as an `impl World` block: [`storage`] (the I/O state
//! machine of a storage control), [`host`] (applications and dependent chains),
//! [`primary`] (serializer, movers, message building, flow control, point-in-time copies),
//! [`link`] (the link state machine), [`secondary`] (pending write queue, apply, acks,
//! recovery) and [`faults`].

mod chan;
mod config;
mod copyread;
mod faults;
mod gm;
mod host;
pub mod link;
mod mover;
mod outbound;
mod pprc;
mod primary;
pub mod secondary;
mod serializer;
mod session;
mod sizes;
mod srdfa;
pub(crate) mod storage;
mod ur;
mod writes;
pub mod zgm;

pub use config::*;
pub use pprc::{DelayCause, VolumeQuery};

use crate::ccw::Ccw;
use crate::content::{RecSpan, WriteId};
use crate::copy::ExtentName;
use crate::dasd::{DeviceTiming, VolumeImage};
use crate::obs::{Obs, ObsBuf};
use crate::types::{SiteId, SubsystemId, VolumeId};
use host::Hosts;
use link::Link;
use mover::Mover;
use outbound::Outbound;
use secondary::Secondary;
use serde::Serialize;
use serializer::Serializer;
use session::Session;
use sim::{ComponentId, Ctx, Model, Registry, SimDuration, SimTime};
use slab::Slab;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasherDefault;
use storage::{Dasd, StorageControl, TrackCache};
use writes::{WriteEntry, WriteTable};

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<sim::StableHasher>>;

/// Every event of the world. Small and `Copy`: large state lives in the world, by index.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ev {
    /// An application starts its next chain of I/O (open-loop arrival).
    Arrival {
        /// Host index.
        host: u16,
        /// Application index on the host.
        app: u16,
    },
    /// The think time after an operation of a chain is over: issue the next one.
    NextOp {
        /// Chain slot.
        chain: u32,
    },
    /// A write held by flow control (pacing delay, device blocking) may go on.
    DeviceGo {
        /// I/O slot.
        io: u32,
    },
    /// The command phase (Define Extent, Locate Record) is over: data starts to move.
    Connected {
        /// I/O slot.
        io: u32,
    },
    /// Seek and rotational delay are over (a cache miss or a bypassed write).
    DeviceReady {
        /// I/O slot.
        io: u32,
    },
    /// The data transfer is over.
    DataDone {
        /// I/O slot.
        io: u32,
    },
    /// Channel end and device end reach the program that started the I/O.
    Complete {
        /// I/O slot.
        io: u32,
    },
    /// The serializer's numbered token (or acknowledgment) is back at the storage control.
    SeqReturn {
        /// I/O slot.
        io: u32,
    },
    /// An idle device may start destaging modified tracks from NVS.
    DestageStart {
        /// Volume.
        vol: u32,
    },
    /// A destage finished.
    DestageDone {
        /// Volume.
        vol: u32,
    },
    /// A write token reaches the serializer.
    TokenIn {
        /// I/O slot of the write.
        io: u32,
    },
    /// The serializer finished numbering the token at the head of its queue.
    SerializerDone,
    /// A data mover should look for work.
    MoverKick {
        /// Mover index.
        mover: u16,
    },
    /// A data mover's read of changed data finished.
    MoverDone {
        /// Mover index.
        mover: u16,
    },
    /// A message's batching timer expired.
    BatchTimer {
        /// Site.
        site: u8,
        /// The message number the timer was set for.
        msg_no: u32,
    },
    /// A link path finished transmitting a message.
    TxDone {
        /// Site.
        site: u8,
        /// Path.
        path: u8,
        /// Link epoch (cuts invalidate older events).
        epoch: u32,
    },
    /// The oldest message in flight on a path arrives at the secondary.
    Arrive {
        /// Site.
        site: u8,
        /// Path.
        path: u8,
        /// Link epoch.
        epoch: u32,
    },
    /// An acknowledgment reaches the primary: the site has secured every write routed to it
    /// with sequence number <= `seq`.
    AckArrive {
        /// Site.
        site: u8,
        /// Secured sequence number.
        seq: u64,
    },
    /// Time for a secondary to acknowledge what it has secured.
    AckTimer {
        /// Site.
        site: u8,
    },
    /// Time for a point-in-time copy (`pit` mode).
    PitSnapshot,
    /// Sample the data-loss window.
    RpoSample,
    /// A scheduled fault begins.
    FaultStart {
        /// Index into the configured faults.
        index: u16,
    },
    /// A scheduled fault ends (link restored, slowdown over).
    FaultEnd {
        /// Index into the configured faults.
        index: u16,
    },
    /// The workload stops (end of the run's length).
    EndWorkload,
    /// A suspended session starts its resynchronisation.
    ResyncStart,
    // New variants go last: the trace hash folds each event's discriminant, so a variant
    // inserted before others changes every run's hash.
    /// `srdfa`: the minimum cycle time since the last cycle switch has passed.
    CycleTimer,
    /// `srdfa`: a site's confirmation that it received the whole of a cycle reaches the
    /// primary.
    CycleReceived {
        /// Site.
        site: u8,
        /// Cycle number.
        cycle: u32,
    },
    /// `gm`: the Global Copy task looks for changed data to send and the consistency group
    /// for its next step.
    GmPump,
    /// `gm`: a site's FlashCopy of a drained consistency group completes.
    FlashCopyDone {
        /// Site.
        site: u8,
        /// Consistency group number.
        cg: u32,
    },
    /// `gm`: a site's report that its FlashCopy of a consistency group is complete reaches
    /// the primary.
    CgFormed {
        /// Site.
        site: u8,
        /// Consistency group number.
        cg: u32,
    },
    /// `ur`: a site's read-journal command reaches the primary.
    JournalRead {
        /// Site.
        site: u8,
    },
    /// `ur`: a site's polling interval after an empty answer has passed.
    JournalPoll {
        /// Site.
        site: u8,
    },
    /// `zgm`: a reader of the System Data Mover polls its storage-control session.
    ZgmKick {
        /// Reader.
        reader: u32,
    },
    /// `zgm`: a reader's read reaches its storage control.
    ZgmRead {
        /// Reader.
        reader: u32,
    },
    /// `zgm`: a read's record sets are gathered and go over the link.
    ZgmReadDone {
        /// Reader.
        reader: u32,
    },
    /// `zgm`: an SDM session tries again to form a consistency group.
    ZgmForm {
        /// SDM session.
        sdm: u16,
    },
    /// `zgm`: an SDM session's journal write ended.
    ZgmJournal {
        /// SDM session.
        sdm: u16,
    },
    /// `copy.primary_cost`: a mover read's connect time is over (`done == false`: free its
    /// storage path and channel path) or the whole read is (`done`).
    CopyRead {
        /// Mover index.
        mover: u16,
        /// The read's epoch (a lost read's events are ignored).
        epoch: u32,
        /// The read is over.
        done: bool,
    },
    /// `sync`, CRIT(NO): writes to `site` have waited for the failed link long enough:
    /// their pairs suspend.
    SyncTimeout {
        /// Site.
        site: u8,
    },
}

/// Who started an I/O, so its completion goes back to the right place.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Origin {
    /// A host application's chain.
    App {
        /// Chain slot.
        chain: u32,
    },
    /// A secondary data mover applying an update.
    Apply {
        /// Site.
        site: u8,
        /// The site ordinal of the update.
        ord: u64,
    },
}

/// The phase of an I/O at its storage control.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Phase {
    /// Waiting for its device.
    DeviceQueue,
    /// Holding the device, held by flow control.
    Held,
    /// Waiting for a channel path and storage path.
    PathQueue,
    /// Command phase.
    Command,
    /// Disconnected: seek and rotation.
    Disconnected,
    /// Waiting for a path to reconnect.
    Reconnect,
    /// Data transfer.
    Transfer,
    /// Data in the subsystem; waiting for the sequence number or the secondary.
    Waiting,
    /// Ending status.
    Ending,
}

/// One I/O in progress.
#[derive(Clone, Debug)]
pub(crate) struct Io {
    pub origin: Origin,
    pub vol: VolumeId,
    /// Channel group (host index, or a secondary site's mover) for channel paths.
    pub group: u16,
    pub write: bool,
    pub span: RecSpan,
    pub bytes: u32,
    pub write_id: WriteId,
    pub seq: u64,
    pub dep: Option<u64>,
    pub issued: SimTime,
    pub phase: Phase,
    /// Waits for the serializer (xrc modes) before completing.
    pub needs_seq: bool,
    pub seq_done: bool,
    pub data_done: bool,
    /// Waits for the secondary (sync mode).
    pub needs_remote: u64,
    /// Goes through the device (cache miss or NVS full) rather than the cache.
    pub miss: bool,
    /// Ended with unit check.
    pub failed: bool,
    /// Added by write pacing.
    pub paced: SimDuration,
    /// A format write (Write CKD): the secondary applies it with a format write too.
    pub format: bool,
    /// A control chain without data (the host's Sense after a unit check): no cache
    /// lookup, no transfer counted as a read.
    pub control: bool,
    /// An equipment check the `ccw_errors` fault makes the storage control present at
    /// the command phase (0: none; else sense byte 0).
    pub forced_check: u8,
    /// Sense bytes 0, 1 and 7 of the unit check that ended it.
    pub sense: [u8; 3],
    /// Got control-unit busy at its start: the channel's retry costs extra connect time.
    pub cu_busy: bool,
    /// CCWs a classic (Seek, Search ID Equal, TIC) chain ran beyond one per record: its
    /// searches and TICs, each charged the per-CCW connect time.
    pub extra_ccws: u32,
    /// The channel program, or what it is built from until the command phase.
    pub chain: ChainSlot,
}

/// An I/O's channel program: built, or (a host operation's) deferred until the I/O reaches
/// its device's command phase, so that a queued I/O holds no chain. The same size as the
/// `Vec` alone (the deferred form lives in the vector's niche): the I/O slot stays small.
#[derive(Clone, Debug)]
pub(crate) enum ChainSlot {
    /// The CCWs.
    Built(Vec<Ccw>),
    /// Not built yet (see `World::build_deferred_chain`).
    Deferred(host::DeferredProgram),
}

impl ChainSlot {
    /// The CCWs (none while deferred).
    #[inline]
    pub(crate) fn ccws(&self) -> &[Ccw] {
        match self {
            ChainSlot::Built(v) => v,
            ChainSlot::Deferred(_) => &[],
        }
    }
    /// The buffer, for reuse (an empty one, holding no memory, while deferred).
    #[inline]
    pub(crate) fn into_vec(self) -> Vec<Ccw> {
        match self {
            ChainSlot::Built(v) => v,
            ChainSlot::Deferred(_) => Vec::new(),
        }
    }
}

impl Io {
    /// A channel program about to start: `write` (or a read) of `span` (`bytes` in all)
    /// on `vol` for `origin`, over channel group `group`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        origin: Origin,
        vol: VolumeId,
        group: u16,
        write: bool,
        span: RecSpan,
        bytes: u32,
        write_id: WriteId,
        seq: u64,
        dep: Option<u64>,
        issued: SimTime,
        chain: Vec<Ccw>,
    ) -> Io {
        Io {
            origin,
            vol,
            group,
            write,
            span,
            bytes,
            write_id,
            seq,
            dep,
            issued,
            phase: Phase::DeviceQueue,
            needs_seq: false,
            seq_done: false,
            data_done: false,
            needs_remote: 0,
            miss: false,
            failed: false,
            paced: SimDuration::ZERO,
            format: false,
            control: false,
            forced_check: 0,
            sense: [0; 3],
            cu_busy: false,
            extra_ccws: 0,
            chain: ChainSlot::Built(chain),
        }
    }
}

/// One volume (device) and its state.
///
/// `repr(C)` keeps the fields in the order written (and `align(64)` starts each volume on a
/// cache line): what every I/O touches first, then the
/// containers, the volume image (its record map leading), and what only some I/Os need
/// last. With thousands of volumes each write finds its volume cold in the cache, so the
/// fewer cache lines it spans the better (`docs/performance.md`, section 5).
#[derive(Clone, Debug)]
#[repr(C, align(64))]
pub(crate) struct Volume {
    /// The physical device (arm) is busy until then (destage, or an access for a miss).
    pub arm_free_at: SimTime,
    /// Service-time multiplier (secondary slowdown fault).
    pub slowdown: f64,
    pub destaging: Option<(u64, u32)>,
    /// Effects of the chain being executed on the device (planned at the command phase,
    /// committed when the data transfer ends); taken from and returned to
    /// `World::spare_effects`, so that their buffers stay warm in large configurations.
    pub effects: Option<Box<crate::ccw::ChainEffects>>,
    pub queue: VecDeque<u32>,
    /// Modified tracks in NVS waiting to be destaged (oldest first), with their bytes.
    pub dirty: storage::DirtyTracks,
    pub cyl: u32,
    /// Record sets in the sidefile not yet read by a mover.
    pub residual: u32,
    pub ss: SubsystemId,
    /// `None`: primary; `Some(site)`: a secondary volume.
    pub site: Option<SiteId>,
    pub busy: bool,
    pub destage_scheduled: bool,
    pub is_blocked: bool,
    /// Sites each track range of the volume is shadowed to (primary volumes).
    pub routing: Routes,
    pub image: VolumeImage,
    /// Writes held by device blocking.
    pub blocked: VecDeque<u32>,
}

impl Volume {
    /// Seek, rotation and data rate of the volume's device type (a constant of the type,
    /// not stored per volume).
    #[inline]
    pub fn timing(&self) -> DeviceTiming {
        self.image.device_type().timing()
    }
}

/// No message.
pub(crate) const NO_MSG: u32 = u32::MAX;

/// The most secondary sites a world may have.
pub const MAX_SITES: usize = 8;

/// A message between the movers, as the simulation carries it: references to writes, and
/// its size in bytes (from the codec).
#[derive(Clone, Debug, Default)]
pub(crate) struct SimMessage {
    pub msg_no: u32,
    pub kind: MsgKind,
    pub tokens: Vec<u64>,
    pub data: Vec<u64>,
    pub bytes: u64,
    /// Handed to the link.
    pub sent: SimTime,
    /// Transmission started and ended.
    pub tx_start: SimTime,
    /// Transmission ended (propagation starts).
    pub tx_done: SimTime,
    /// `pit`: copy number and number of messages of the copy (set on the last one).
    pub copy: u32,
    pub copy_msgs: u32,
    /// `gm` FlashCopy request: the highest ordinal of the site the group holds.
    pub point: u64,
    /// Establish: the data-set extents of the session's pairs at the site.
    pub extents: Vec<ExtentName>,
}

/// What a simulated message carries.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum MsgKind {
    /// Tokens and token+data (M1, M2).
    #[default]
    Data,
    /// Session establish with the extent list.
    Establish,
    /// Initial copy of tracks (bytes only).
    InitialCopy,
    /// A point-in-time copy (`pit`), applied whole when all of it has arrived.
    Copy,
    /// A resynchronisation of the tracks changed while suspended, written as it arrives.
    Resync,
    /// An `srdfa` cycle (its number in `copy`): the secondary receives it whole, then
    /// applies it when a message of a later cycle arrives.
    Cycle,
    /// `gm`: Global Copy of changed tracks (held by the secondary until a FlashCopy).
    GlobalCopy,
    /// `gm`: the request to FlashCopy consistency group `copy`, drained up to the site's
    /// ordinal `point`.
    FlashCopy,
    /// `ur`: the answer to a read-journal command (the next journal entries, or none).
    Journal,
    /// `sync`: the primary gave up the site's ordinals in `tokens` (writes it completed
    /// locally when their pairs suspended, and withdrew before they were sent): the
    /// secondary applies nothing at them and does not wait for them.
    Skip,
}

/// The stages of the copy pipeline the data-loss window is attributed to: where the oldest
/// write the secondary lacks (write A+1) has spent its time since it got its number.
pub const STAGES: [&str; 8] = [
    "primary_write",
    "mover_queue",
    "mover_read",
    "batching",
    "link_queue",
    "transmission",
    "propagation",
    "link_outage",
];

/// Running totals a report or a front end may show.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct WorldStats {
    /// Host I/Os completed (reads and writes).
    pub ios: u64,
    /// Host reads completed.
    pub reads: u64,
    /// Cache read hits / misses.
    pub read_hits: u64,
    /// Read misses.
    pub read_misses: u64,
    /// Writes completed at channel speed into cache and NVS (DASD fast write hits).
    pub fast_writes: u64,
    /// Writes that went to the device (cache miss or NVS full).
    pub slow_writes: u64,
    /// I/Os that ended in unit check.
    pub unit_checks: u64,
    /// Destages.
    pub destages: u64,
    /// Writes delayed by pacing and the total delay added, ns.
    pub paced_writes: u64,
    /// Total pacing delay, ns.
    pub pacing_delay_ns: u64,
    /// Writes held by device blocking.
    pub blocked_writes: u64,
    /// Highest sidefile occupancy seen (record sets held for the copy).
    pub sidefile_peak: u64,
    /// Highest residual count of any volume (record sets not yet read by a mover).
    pub residual_peak: u64,
    /// Session suspensions (time, reason).
    pub suspensions: Vec<(u64, String)>,
    /// Resynchronisations: (start time ns, first and last sequence number copied).
    pub resyncs: Vec<(u64, u64, u64)>,
    /// When each site had received a whole resynchronisation copy, ns.
    pub resync_done: Vec<(String, u64)>,
    /// Messages sent to the secondaries and their bytes.
    pub messages: u64,
    /// Message bytes.
    pub message_bytes: u64,
    /// Mover reads.
    pub mover_reads: u64,
    /// Times a mover could not read because the movers' buffer was full.
    pub mover_buffer_full: u64,
    /// Re-update groups formed by the accommodation.
    pub reupdate_groups: u64,
    /// Tokens the serializer numbered, and their total wait before service, ns.
    pub serializer_tokens: u64,
    /// Total wait of tokens at the serializer before their service started, ns.
    pub serializer_wait_ns: u64,
    /// Updates shipped with newer data than their own (base design).
    pub newer_data_shipped: u64,
    /// `srdfa`: delta-set cycle switches.
    #[serde(default)]
    pub cycles: u64,
    /// `srdfa`: total of the cycle times (switch to switch), ns.
    #[serde(default)]
    pub cycle_time_sum_ns: u64,
    /// `srdfa`: the longest cycle, ns.
    #[serde(default)]
    pub cycle_time_max_ns: u64,
    /// `srdfa`: most bytes the capture and transmit delta sets held.
    #[serde(default)]
    pub delta_set_peak_bytes: u64,
    /// `gm`: consistency groups formed (FlashCopy complete at every site).
    #[serde(default)]
    pub consistency_groups: u64,
    /// `gm`: consistency groups failed (drain longer than the maximum drain time).
    #[serde(default)]
    pub cg_failures: u64,
    /// `gm`: total of the formed groups' durations (start to FlashCopy complete), ns.
    #[serde(default)]
    pub cg_time_sum_ns: u64,
    /// `gm`: the longest formed group, ns.
    #[serde(default)]
    pub cg_time_max_ns: u64,
    /// `ur`: highest master journal occupancy, bytes.
    #[serde(default)]
    pub journal_peak_bytes: u64,
    /// `ur`: read-journal commands answered.
    #[serde(default)]
    pub journal_reads: u64,
    /// `ur`: of those, answered with no entries.
    #[serde(default)]
    pub journal_empty_reads: u64,
    /// Sense chains hosts issued after a unit check (error recovery).
    #[serde(default)]
    pub senses: u64,
    /// Channel programs the hosts' error recovery retried after a unit check.
    #[serde(default)]
    pub retries: u64,
    /// Requests the hosts' error recovery failed (returned to the application in error).
    #[serde(default)]
    pub failed_requests: u64,
    /// Host format writes (Write CKD / Write CKD Next Track) completed.
    #[serde(default)]
    pub format_writes: u64,
    /// Host writes completed whose records span more than one track.
    #[serde(default)]
    pub multitrack_writes: u64,
    /// Reconnections that missed their sector (RPS miss) and waited a revolution.
    #[serde(default)]
    pub rps_misses: u64,
    /// Channel programs that found every storage path busy (control-unit busy) and were
    /// retried by the channel on control-unit end.
    #[serde(default)]
    pub cu_busy: u64,
    /// Destages started at once because NVS occupancy passed the high threshold.
    #[serde(default)]
    pub threshold_destages: u64,
}

/// The world. See the module documentation.
#[derive(Clone, Debug)]
pub struct World {
    pub(crate) cfg: std::sync::Arc<WorldConfig>,
    pub(crate) me: ComponentId,
    pub(crate) hosts: Hosts,
    /// The channels, storage controls and volumes of both sites, and the I/Os in progress.
    pub(crate) dasd: Dasd,
    pub(crate) serializer: Serializer,
    pub(crate) movers: Vec<Mover>,
    pub(crate) out: Vec<Outbound>,
    pub(crate) sites: Vec<Secondary>,
    pub(crate) msgs: Slab<SimMessage>,
    /// The primary's replicated writes in flight, by sequence number.
    pub(crate) wt: WriteTable,
    /// Spare sequence-number lists for messages (reused so that messages do not allocate).
    pub(crate) spare_lists: Vec<Vec<u64>>,
    /// Spare CCW buffers (reused so that issuing an I/O does not allocate).
    pub(crate) spare_ccws: Vec<Vec<Ccw>>,
    /// Scratch buffer for record payloads while building a chain.
    pub(crate) scratch: Vec<crate::ccw::RecordPayload>,
    /// Scratch buffer for the writers of the records a mover reads.
    pub(crate) scratch_writers: Vec<WriteId>,
    /// Which volume pairs are in the session now (by index into `copy.pairs`).
    pub(crate) pair_active: Vec<bool>,
    /// Scheduled link outages: (site, from, until).
    pub(crate) outages: Vec<(usize, SimTime, SimTime)>,
    /// With drain: at the end of the workload, let replication catch up before evaluating.
    pub(crate) drain_at_end: bool,
    /// The copy session's state at the primary (suspension, sidefile, residual counts).
    pub(crate) session: Session,
    /// The highest group end the re-update accommodation has shipped.
    pub(crate) group_horizon: u64,
    pub(crate) primary_alive: bool,
    pub(crate) workload_on: bool,
    pub(crate) draining: bool,
    pub(crate) pit_last: u64,
    pub(crate) pit_copies: u32,
    /// `srdfa`: the primary's delta-set cycles.
    pub(crate) cycles: srdfa::Cycles,
    /// `srdfa`: bytes the capture and transmit delta sets hold.
    pub(crate) delta_set_bytes: u64,
    /// `gm`: the primary's Global Copy and consistency groups.
    pub(crate) gm: gm::GlobalMirror,
    /// `gm`: per site, the highest ordinal sent (what a FlashCopy request waits for).
    pub(crate) gm_ord_sent: [u64; MAX_SITES],
    /// `ur`: the primary's master journal.
    pub(crate) journal: ur::MasterJournal,
    pub(crate) data_ready_prefix: u64,
    /// The `ccw_errors` fault in force (index into the faults), if any.
    pub(crate) ccw_errors: Option<u16>,
    /// Observations not yet drained by the driver (the world only pushes).
    pub(crate) obs: ObsBuf,
    /// Running totals.
    pub stats: WorldStats,
    /// `zgm`: storage-control sessions, readers, SDM sessions and journals.
    pub(crate) zgm: Option<zgm::Zgm>,
}

/// The volumes of `cfg` with their images and routing, and the site of each (`None`: the
/// primary site).
fn build_volumes(cfg: &WorldConfig) -> Result<(Vec<Volume>, Vec<Option<SiteId>>), BuildError> {
    let err = |m: String| BuildError(m);
    let routing = cfg.routing();
    let mut volumes = Vec::with_capacity(cfg.volumes.len());
    let mut vol_site: Vec<Option<SiteId>> = Vec::with_capacity(cfg.volumes.len());
    // Whose writes each image holds (its content volume): its own, or its primary's.
    let mut content: Vec<u32> = (0..cfg.volumes.len() as u32).collect();
    for p in &cfg.copy.pairs {
        if let Some(c) = content.get_mut(p.secondary.0 as usize) {
            *c = p.primary.0;
        }
    }
    for (i, v) in cfg.volumes.iter().enumerate() {
        let ss = cfg.subsystems.get(v.subsystem.0 as usize).ok_or_else(|| {
            err(format!(
                "volume {} names storage control #{} which does not exist",
                v.volser, v.subsystem.0
            ))
        })?;
        let mut image = VolumeImage::new(&v.volser, v.device, v.datasets.clone()).map_err(err)?;
        image.set_content_volume(VolumeId(content[i]));
        let site = ss.site.map(|s| SiteId(s as u8));
        vol_site.push(site);
        volumes.push(Volume {
            image,
            ss: v.subsystem,
            site,
            routing: routing[i].clone(),
            busy: false,
            queue: VecDeque::new(),
            cyl: 0,
            dirty: storage::DirtyTracks::default(),
            destage_scheduled: false,
            arm_free_at: SimTime::ZERO,
            destaging: None,
            residual: 0,
            blocked: VecDeque::new(),
            is_blocked: false,
            slowdown: 1.0,
            effects: None,
        });
    }
    Ok((volumes, vol_site))
}

/// Every pair joins a primary volume to a volume of its site at least as large.
fn check_pairs(cfg: &WorldConfig, vol_site: &[Option<SiteId>]) -> Result<(), BuildError> {
    let err = |m: String| BuildError(m);
    for p in &cfg.copy.pairs {
        let pv = cfg.volumes.get(p.primary.0 as usize).ok_or_else(|| {
            err(format!(
                "pair names volume #{} which does not exist",
                p.primary.0
            ))
        })?;
        let sv = cfg.volumes.get(p.secondary.0 as usize).ok_or_else(|| {
            err(format!(
                "pair names volume #{} which does not exist",
                p.secondary.0
            ))
        })?;
        if vol_site[p.primary.0 as usize].is_some() {
            return Err(err(format!(
                "pair primary {} is a secondary-site volume",
                pv.volser
            )));
        }
        if vol_site[p.secondary.0 as usize] != Some(SiteId(p.site as u8)) {
            return Err(err(format!(
                "pair secondary {} is not on a storage control of site {}",
                sv.volser,
                cfg.sites.get(p.site).map_or("?", |s| s.name.as_str())
            )));
        }
        if pv.device.tracks() > sv.device.tracks() {
            return Err(err(format!(
                "pair {} -> {}: the secondary ({}) is smaller than the primary ({})",
                pv.volser,
                sv.volser,
                sv.device.name(),
                pv.device.name()
            )));
        }
    }
    Ok(())
}

/// The storage controls, each registered as a component (`ss.NAME`), with a channel path
/// count per channel group: one group per host, then one per site's secondary mover.
fn build_storage(cfg: &WorldConfig, reg: &mut Registry) -> Result<Vec<StorageControl>, BuildError> {
    let reg_err = |e: sim::DuplicateComponent| BuildError(e.to_string());
    let n_groups = cfg.hosts.len() + cfg.sites.len();
    let mut storage = Vec::new();
    for (i, s) in cfg.subsystems.iter().enumerate() {
        let comp = reg.add(&format!("ss.{}", s.name)).map_err(reg_err)?;
        let mut paths = vec![0u32; n_groups];
        for (h, host) in cfg.hosts.iter().enumerate() {
            paths[h] = host.paths_per_subsystem.max(1);
        }
        for p in paths.iter_mut().skip(cfg.hosts.len()) {
            *p = cfg.copy.secondary_paths.max(1);
        }
        let track_bytes = cfg
            .volumes
            .iter()
            .find(|v| v.subsystem.0 as usize == i)
            .map_or(56_664, |v| v.device.max_record_bytes() as u64);
        storage.push(StorageControl {
            comp,
            site: s.site.map(|x| SiteId(x as u8)),
            cache: TrackCache::new((s.cache_bytes / track_bytes.max(1)).max(1) as usize),
            nvs_used: 0,
            nvs_bytes: s.nvs_bytes,
            paths_free: s.storage_paths.max(1),
            chan_free: paths,
            path_wait: VecDeque::new(),
            timing: s.channel.clone(),
            destage_delay: s.destage_delay,
            dead: false,
            write_miss_to_device: s.write_miss_to_device,
            rps_miss: s.rps_miss,
            destage_threshold: s.destage_threshold,
            cu_busy_retry: s.cu_busy_retry,
            read_hits: 0,
            read_misses: 0,
        });
    }
    Ok(storage)
}

/// The secondary sites, each registered as a component (`site.NAME`): the primary's
/// outbound side of each link, and the secondary itself.
fn build_sites(
    cfg: &WorldConfig,
    reg: &mut Registry,
) -> Result<(Vec<Outbound>, Vec<Secondary>), BuildError> {
    let reg_err = |e: sim::DuplicateComponent| BuildError(e.to_string());
    let mut out = Vec::new();
    let mut sites = Vec::new();
    for (i, s) in cfg.sites.iter().enumerate() {
        let comp = reg.add(&format!("site.{}", s.name)).map_err(reg_err)?;
        out.push(Outbound::new(comp, Link::new(&s.link)));
        let mut map = vec![None; cfg.volumes.len()];
        for p in cfg.copy.pairs.iter().filter(|p| p.site == i) {
            map[p.primary.0 as usize] = Some(p.secondary);
        }
        sites.push(Secondary::new(comp, (cfg.hosts.len() + i) as u16, map));
    }
    Ok((out, sites))
}

/// A configuration problem found while building the world.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BuildError(pub String);

impl World {
    /// Builds the world described by `cfg` and registers its components in a fresh
    /// registry seeded with `cfg.run.seed`. Returns the world and the registry for
    /// [`sim::Simulation::new`]; then call [`World::start`].
    pub fn build(cfg: WorldConfig) -> Result<(World, Registry), BuildError> {
        let err = |m: String| BuildError(m);
        if cfg.sites.len() > MAX_SITES {
            return Err(err(format!(
                "at most {MAX_SITES} secondary sites are supported, got {}",
                cfg.sites.len()
            )));
        }
        let mut reg = Registry::new(cfg.run.seed);
        let reg_err = |e: sim::DuplicateComponent| BuildError(e.to_string());
        let me = reg.add("world").map_err(reg_err)?;
        let (volumes, vol_site) = build_volumes(&cfg)?;
        check_pairs(&cfg, &vol_site)?;
        let storage = build_storage(&cfg, &mut reg)?;
        let hosts = Hosts::build(&cfg, &volumes, &mut reg)?;
        let serializer = Serializer::new(
            reg.add("serializer").map_err(reg_err)?,
            cfg.copy.serializer_service,
        );
        let mut movers = Vec::new();
        let n_movers = cfg.copy.movers.max(1) as usize;
        for m in 0..n_movers {
            // Storage controls m, m + movers, m + 2 movers, ...
            let own = cfg.subsystems.len().saturating_sub(m).div_ceil(n_movers);
            movers.push(Mover::new(
                reg.add(&format!("mover.{m}")).map_err(reg_err)?,
                own,
            ));
        }
        let (out, sites) = build_sites(&cfg, &mut reg)?;
        let pair_active: Vec<bool> = cfg.copy.pairs.iter().map(|p| p.active).collect();
        let session = Session::new(cfg.copy.flow.clone());
        let cycles = srdfa::Cycles::new(cfg.copy.min_cycle_time);
        let journal = ur::MasterJournal::new(cfg.copy.ur_journal_bytes);
        let gm = gm::GlobalMirror::new(gm::GmParams {
            interval: cfg.copy.cg_interval,
            max_drain: cfg.copy.max_drain_time,
        });
        let zgm = if cfg.copy.mode == Mode::Zgm {
            Some(zgm::Zgm::new(&cfg, reg.add("sdm").map_err(reg_err)?))
        } else {
            None
        };
        let mover_comps: Vec<ComponentId> = movers.iter().map(Mover::comp).collect();
        let mut copy = copyread::CopyReads::new(&cfg, &mover_comps);
        if let Some(z) = &zgm {
            z.add_read_slots(&mut copy, cfg.hosts.len());
        }
        let world = World {
            cfg: std::sync::Arc::new(cfg),
            me,
            hosts,
            dasd: Dasd {
                storage,
                volumes,
                ios: Slab::new(),
                spare_effects: Vec::new(),
                copy,
            },
            serializer,
            movers,
            out,
            sites,
            msgs: Slab::new(),
            wt: WriteTable::default(),
            spare_ccws: Vec::new(),
            spare_lists: Vec::new(),
            scratch: Vec::new(),
            scratch_writers: Vec::new(),
            outages: Vec::new(),
            pair_active,
            drain_at_end: false,
            session,
            group_horizon: 0,
            primary_alive: true,
            workload_on: true,
            draining: false,
            pit_last: 0,
            pit_copies: 0,
            cycles,
            delta_set_bytes: 0,
            gm,
            gm_ord_sent: [0; MAX_SITES],
            journal,
            data_ready_prefix: 0,
            ccw_errors: None,
            obs: ObsBuf::default(),
            stats: WorldStats::default(),
            zgm,
        };
        Ok((world, reg))
    }

    /// Schedules the first events: application arrivals, session establishment, RPO
    /// sampling, point-in-time copies, faults, and the end of the workload at
    /// `cfg.run.length`. Call once, at time zero, through [`sim::Simulation::act`].
    pub fn start(&mut self, ctx: &mut Ctx<'_, Ev>) {
        let apps: Vec<(u16, u16)> = self.hosts.synthetic_apps().collect();
        for (host, app) in apps {
            let comp = self.hosts.comp(host as usize);
            let d = self
                .hosts
                .next_arrival(host, app, ctx.now(), ctx.rng_of(comp));
            ctx.schedule_in(d, comp, Ev::Arrival { host, app });
        }
        let me = self.me;
        ctx.schedule_in(self.cfg.run.rpo_interval, me, Ev::RpoSample);
        ctx.schedule_in(self.cfg.run.length, me, Ev::EndWorkload);
        if self.cfg.copy.mode == crate::world::Mode::Pit {
            ctx.schedule_in(
                self.cfg.copy.pit_interval,
                self.serializer.comp(),
                Ev::PitSnapshot,
            );
        }
        if self.cfg.copy.mode == crate::world::Mode::Ur {
            // Each secondary starts its read-journal commands, spread over one interval.
            let k = self.cfg.copy.ur_reads.max(1) as u64;
            let step = self.cfg.copy.ur_poll_interval.as_nanos() / k;
            for s in 0..self.sites.len() {
                let comp = self.sites[s].comp;
                for i in 0..k {
                    ctx.schedule_in(
                        SimDuration::from_nanos(step * (i + 1)),
                        comp,
                        Ev::JournalPoll { site: s as u8 },
                    );
                }
            }
        }
        if self.cfg.copy.mode == crate::world::Mode::Gm {
            ctx.schedule_in(
                self.cfg.copy.batch_timer,
                self.serializer.comp(),
                Ev::GmPump,
            );
        }
        if self.cfg.copy.mode == crate::world::Mode::Srdfa {
            ctx.schedule_in(
                self.cfg.copy.min_cycle_time,
                self.serializer.comp(),
                Ev::CycleTimer,
            );
        }
        if self.zgm.is_some() {
            self.zgm_start(ctx);
        }
        for s in 0..self.sites.len() {
            self.establish(s, ctx);
            let comp = self.sites[s].comp;
            ctx.schedule_in(
                self.cfg.copy.ack_interval,
                comp,
                Ev::AckTimer { site: s as u8 },
            );
        }
        for (i, f) in self.cfg.faults.clone().iter().enumerate() {
            let at = faults::fault_time(f);
            let _ = ctx.schedule_at(at.max(ctx.now()), me, Ev::FaultStart { index: i as u16 });
        }
        for (s, site) in self.cfg.sites.clone().iter().enumerate() {
            for o in &site.link.outages {
                self.schedule_outage(s, o.at, o.until, ctx);
            }
        }
    }

    /// The observations pushed since the last [`World::clear_observations`], in order.
    pub fn observations(&self) -> &ObsBuf {
        &self.obs
    }

    /// Forgets the observations a driver has consumed.
    pub fn clear_observations(&mut self) {
        self.obs.clear();
    }

    /// Records an observation at `t`.
    #[inline]
    pub(crate) fn observe(&mut self, t: SimTime, o: Obs) {
        self.obs.push(t, o);
    }

    /// The data sets of every primary volume: (volume, first and last track, name), as the
    /// Establish message carries them to the secondaries.
    pub fn primary_extents(&self) -> Vec<ExtentName> {
        let mut datasets = Vec::new();
        for (i, v) in self.dasd.volumes.iter().enumerate() {
            if v.site.is_some() {
                continue;
            }
            for d in v.image.datasets() {
                datasets.push(ExtentName {
                    vol: VolumeId(i as u32),
                    first_track: d.first_track,
                    last_track: d.last_track,
                    name: d.name.clone(),
                });
            }
        }
        datasets
    }

    /// The configuration the world was built from.
    pub fn config(&self) -> &WorldConfig {
        &self.cfg
    }

    /// Whether the primary site is still up.
    pub fn primary_alive(&self) -> bool {
        self.primary_alive
    }

    /// With `drain`, the end of the workload lets replication catch up before the final
    /// evaluation instead of stopping the primary at once.
    pub fn set_drain(&mut self, drain: bool) {
        self.drain_at_end = drain;
    }

    /// Whether the run is over: every site evaluated (recovered, or drained at the end);
    /// without sites, when the workload has stopped and its I/O ended.
    pub fn finished(&self) -> bool {
        if self.sites.is_empty() {
            // Nothing to recover: over when the workload is.
            return !self.workload_on && (self.dasd.ios.is_empty() || !self.primary_alive);
        }
        self.sites.iter().all(|s| s.recovered)
    }

    /// The write entry of `seq`, if still in the table.
    pub(crate) fn entry(&self, seq: u64) -> Option<&WriteEntry> {
        self.wt.get(seq)
    }

    pub(crate) fn entry_mut(&mut self, seq: u64) -> Option<&mut WriteEntry> {
        self.wt.get_mut(seq)
    }

    /// Drops write entries every site has secured and whose host I/O is over.
    pub(crate) fn retire_writes(&mut self) {
        let keep_read = self.cfg.copy.mode.serialized();
        self.wt.retire(keep_read);
    }

    /// The volume images' stored records, for memory accounting: (records written on
    /// primary volumes, on secondary volumes, of those stored whole rather than as a write
    /// id, heap bytes of the record tables).
    pub fn image_footprint(&self) -> (usize, usize, usize, usize) {
        let (mut p, mut s, mut whole, mut bytes) = (0, 0, 0, 0);
        for v in &self.dasd.volumes {
            let (ids, other) = v.image.stored_counts();
            if v.site.is_none() {
                p += ids + other;
            } else {
                s += ids + other;
            }
            whole += other;
            bytes += v.image.record_bytes();
        }
        (p, s, whole, bytes)
    }

    /// Every record written at a secondary during the run: (site name, VOLSER of the
    /// primary volume it is the copy of, CCHHR, digest), unsorted.
    pub fn secondary_records(
        &self,
    ) -> Vec<(&str, &str, crate::types::Cchhr, crate::types::Digest)> {
        let mut out = Vec::new();
        for (i, s) in self.sites.iter().enumerate() {
            for (pv, sv) in s.map.iter().enumerate() {
                let Some(sv) = sv else { continue };
                let pvol = self.dasd.volumes[pv].image.volser();
                for (addr, st) in self.dasd.volumes[sv.0 as usize].image.written_records() {
                    out.push((self.cfg.sites[i].name.as_str(), pvol, addr, st.digest));
                }
            }
        }
        out
    }

    /// The pending write queue of site `i` as Fig. 5 draws it: (site ordinal, entry) from
    /// the oldest entry not yet written.
    pub fn pending_queue(
        &self,
        i: usize,
    ) -> impl Iterator<Item = (u64, secondary::PendingView)> + '_ {
        self.sites[i].entries()
    }

    /// Totals of the link to site `i`.
    pub fn link_stats(&self, i: usize) -> link::LinkStats {
        self.out[i].link.stats()
    }

    /// Paths of the link to site `i`.
    pub fn link_paths(&self, i: usize) -> usize {
        self.out[i].link.paths()
    }

    /// What site `i`'s recovery process produced from its own holdings, once it has
    /// recovered (or was evaluated at the end of a drained run).
    pub fn recovery_view(&self, i: usize) -> Option<&secondary::RecoveryView> {
        self.sites[i].view.as_ref()
    }

    /// When site `i`'s initial copy completed.
    pub fn initial_copy_done(&self, i: usize) -> Option<SimTime> {
        self.sites[i].initial_copy_done
    }

    /// A snapshot of live figures for front ends.
    pub fn gauges(&self) -> Gauges {
        Gauges {
            writes_in_flight: self.dasd.ios.len() as u64,
            serializer_queue: self.serializer.queued() as u64,
            sidefile: self.session.sidefile(),
            mover_queue: self.movers.iter().map(Mover::queued).sum(),
            last_seq: self.serializer.last_seq(),
            sites: self
                .sites
                .iter()
                .enumerate()
                .map(|(i, s)| SiteGauges {
                    link_queue: self.out[i].link.queued() as u64,
                    link_in_flight: self.out[i].link.in_flight() as u64,
                    link_bytes_in_flight: self.out[i].link.bytes_in_flight(&self.msgs),
                    link_busy_ns: self.out[i].link.busy_ns(),
                    link_up: self.out[i].link.is_up(),
                    pending: s.pending_len() as u64,
                    applying: s.inflight as u64,
                    consistency_seq: 0,
                    highest_token_seq: 0,
                })
                .collect(),
        }
    }
}

/// Live figures of the world (for the TUI and progress lines).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Gauges {
    /// I/Os in progress.
    pub writes_in_flight: u64,
    /// Tokens waiting at the serializer.
    pub serializer_queue: u64,
    /// Record sets held in sidefiles.
    pub sidefile: u64,
    /// Tokens waiting at the movers.
    pub mover_queue: u64,
    /// Highest sequence number assigned.
    pub last_seq: u64,
    /// Per site.
    pub sites: Vec<SiteGauges>,
}

/// Live figures of one site.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SiteGauges {
    /// Messages waiting for the link.
    pub link_queue: u64,
    /// Messages on the wire.
    pub link_in_flight: u64,
    /// Bytes on the wire.
    pub link_bytes_in_flight: u64,
    /// Total transmission time so far, ns (utilisation = busy / elapsed / paths).
    pub link_busy_ns: u64,
    /// Whether the link is up.
    pub link_up: bool,
    /// Entries in the pending write queue.
    pub pending: u64,
    /// Updates being written to the secondary DASD.
    pub applying: u64,
    /// Point A now, as the checker sees it: the world leaves it 0 (it does not know the
    /// truth); the driver fills it from the checker.
    pub consistency_seq: u64,
    /// Point B now, as the checker sees it (filled by the driver, as `consistency_seq`).
    pub highest_token_seq: u64,
}

impl Model for World {
    type Event = Ev;

    fn handle(&mut self, ev: Ev, ctx: &mut Ctx<'_, Ev>) {
        match ev {
            Ev::Arrival { host, app } => self.on_arrival(host, app, ctx),
            Ev::NextOp { chain } => self.on_next_op(chain, ctx),
            Ev::DeviceGo { io } => self.on_device_go(io, ctx),
            Ev::Connected { io } => self.on_connected(io, ctx),
            Ev::DeviceReady { io } => self.on_device_ready(io, ctx),
            Ev::DataDone { io } => self.on_data_done(io, ctx),
            Ev::Complete { io } => self.on_complete(io, ctx),
            Ev::SeqReturn { io } => self.on_seq_return(io, ctx),
            Ev::DestageStart { vol } => self.on_destage_start(vol, ctx),
            Ev::DestageDone { vol } => self.on_destage_done(vol, ctx),
            Ev::TokenIn { io } => self.on_token_in(io, ctx),
            Ev::SerializerDone => self.on_serializer_done(ctx),
            Ev::MoverKick { mover } => self.on_mover_kick(mover, ctx),
            Ev::MoverDone { mover } => self.on_mover_done(mover, ctx),
            Ev::BatchTimer { site, msg_no } => self.on_batch_timer(site, msg_no, ctx),
            Ev::TxDone { site, path, epoch } => self.on_tx_done(site, path, epoch, ctx),
            Ev::Arrive { site, path, epoch } => self.on_arrive(site, path, epoch, ctx),
            Ev::AckArrive { site, seq } => self.on_ack_arrive(site, seq, ctx),
            Ev::AckTimer { site } => self.on_ack_timer(site, ctx),
            Ev::PitSnapshot => self.on_pit_snapshot(ctx),
            Ev::CycleTimer => self.on_cycle_timer(ctx),
            Ev::CycleReceived { site, cycle } => self.on_cycle_received(site, cycle, ctx),
            Ev::GmPump => self.on_gm_pump(ctx),
            Ev::FlashCopyDone { site, cg } => self.on_flashcopy_done(site, cg, ctx),
            Ev::CgFormed { site, cg } => self.on_cg_formed(site, cg, ctx),
            Ev::JournalRead { site } => self.on_journal_read(site, ctx),
            Ev::JournalPoll { site } => self.on_journal_poll(site, ctx),
            Ev::RpoSample => self.on_rpo_sample(ctx),
            Ev::FaultStart { index } => self.on_fault_start(index, ctx),
            Ev::FaultEnd { index } => self.on_fault_end(index, ctx),
            Ev::EndWorkload => self.on_end_workload(ctx),
            Ev::ResyncStart => self.on_resync_start(ctx),
            Ev::ZgmKick { reader } => self.on_zgm_kick(reader, ctx),
            Ev::ZgmRead { reader } => self.on_zgm_read(reader, ctx),
            Ev::ZgmReadDone { reader } => self.on_zgm_read_done(reader, ctx),
            Ev::ZgmForm { sdm } => self.on_zgm_form(sdm, ctx),
            Ev::ZgmJournal { sdm } => self.on_zgm_journal(sdm, ctx),
            Ev::CopyRead { mover, epoch, done } => self.on_copy_read(mover, epoch, done, ctx),
            Ev::SyncTimeout { site } => self.on_sync_timeout(site, ctx),
        }
    }
}
