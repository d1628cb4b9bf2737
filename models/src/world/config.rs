//! The resolved description of a world: every name turned into an index, every duration
//! into [`SimDuration`]. The `scenarios` crate builds it from a scenario file; tests build it
//! directly. Defaults are documented on each field and collected in `docs/fidelity.md`.

use crate::dasd::{DataSet, DeviceType};
use crate::types::{SiteMask, SubsystemId, VolumeId};
use crate::workload::WorkloadSpec;
use serde::{Deserialize, Serialize};
use sim::{SimDuration, SimTime};

/// Which remote-copy design runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// The patent's base design: numbered tokens, movers read by DASD address.
    Xrc,
    /// Positive return token: the subsystem tags changed data with the numbered token.
    XrcPrt,
    /// Synchronous dual copy: the host write completes after the secondary has it.
    Sync,
    /// Asynchronous copy applied at the secondary in order of arrival, no sequencing.
    Naive,
    /// Periodic point-in-time copies.
    Pit,
    /// IBM XRC as shipped (z/OS Global Mirror): host time stamps, storage-control
    /// sidefiles read by a System Data Mover, consistency groups hardened to a journal.
    Zgm,
    /// EMC SRDF/A: delta-set cycles (capture, transmit; receive, apply), whole cycles
    /// applied at the secondary, write folding within a cycle.
    Srdfa,
    /// IBM Global Mirror (DS8000): Global Copy of changed tracks, consistency groups
    /// drained to the secondary and kept by a FlashCopy there.
    Gm,
    /// Hitachi Universal Replicator: numbered writes in a master journal, pulled by the
    /// secondary with read-journal commands and restored in sequence order.
    Ur,
}

impl Mode {
    /// The name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Xrc => "xrc",
            Mode::XrcPrt => "xrc-prt",
            Mode::Sync => "sync",
            Mode::Naive => "naive",
            Mode::Pit => "pit",
            Mode::Zgm => "zgm",
            Mode::Srdfa => "srdfa",
            Mode::Gm => "gm",
            Mode::Ur => "ur",
        }
    }
    /// Every mode, in the order users see them.
    pub const ALL: [Mode; 9] = [
        Mode::Xrc,
        Mode::XrcPrt,
        Mode::Sync,
        Mode::Naive,
        Mode::Pit,
        Mode::Zgm,
        Mode::Srdfa,
        Mode::Gm,
        Mode::Ur,
    ];
    /// Whether writes get their number from the serializer (and wait for it).
    pub fn serialized(self) -> bool {
        matches!(self, Mode::Xrc | Mode::XrcPrt)
    }
}

/// Timing of the channel subsystem and the storage control's microcode.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelTiming {
    /// Channel data rate, bytes per second (ESCON: 17 MB/s).
    pub rate: u64,
    /// Protocol time to start a channel program and pass Define Extent + Locate Record
    /// (connect time before data moves).
    pub command_overhead: SimDuration,
    /// Extra connect time per data-transfer CCW.
    pub per_ccw: SimDuration,
    /// Time to present channel end/device end and end the operation.
    pub status_overhead: SimDuration,
}

impl Default for ChannelTiming {
    fn default() -> Self {
        ChannelTiming {
            rate: 17_000_000,
            command_overhead: SimDuration::from_micros(250),
            per_ccw: SimDuration::from_micros(10),
            status_overhead: SimDuration::from_micros(50),
        }
    }
}

/// A host system.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostConfig {
    /// System name (e.g. `SYSA`).
    pub name: String,
    /// Channel paths from this host to each storage control.
    pub paths_per_subsystem: u32,
    /// Error recovery: how many times a channel program that ended in a retryable unit
    /// check (equipment check) is retried before the request fails.
    #[serde(default = "default_erp_retries")]
    pub erp_retries: u32,
    /// Its applications.
    pub apps: Vec<AppConfig>,
}

/// Default of [`HostConfig::erp_retries`].
pub const DEFAULT_ERP_RETRIES: u32 = 10;

fn default_erp_retries() -> u32 {
    DEFAULT_ERP_RETRIES
}

/// Where an application's I/O comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AppSource {
    /// A synthetic generator.
    Synthetic(WorkloadSpec),
    /// Records of an SPC trace fed by the runner (see `World::feed_trace`); the data-set
    /// slots are the volumes' block spaces in order.
    Trace,
}

/// An application on a host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppConfig {
    /// Application (job) name.
    pub name: String,
    /// Its workload.
    pub source: AppSource,
    /// Its data sets, as (volume, index into the volume's data sets): the workload's slots.
    pub datasets: Vec<(VolumeId, usize)>,
    /// Multiplier of the generator's rate (`workload.write_rate` scaling); 1 = as specified.
    pub rate_scale: f64,
    /// The channel-program families its operations use (default: `update` alone, the ECKD
    /// update write and read of every earlier run).
    #[serde(default)]
    pub programs: crate::workload::ProgramMix,
}

/// Flow control when the secondary or the link falls behind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FlowControl {
    /// None: the sidefile grows without bound.
    None,
    /// Write pacing: a delay per write that ramps with the device's residual count, from 0
    /// at `threshold` to `max_delay` at twice the threshold and beyond.
    Pacing {
        /// Residual count (record sets not yet read by a mover) where pacing starts.
        threshold: u32,
        /// The level's maximum delay per write (IBM's levels run 0.02 ms .. 1000 ms).
        max_delay: SimDuration,
    },
    /// Device blocking: writes to a device wait while its residual count is above
    /// `threshold`, until it falls below `resume`.
    Blocking {
        /// Residual count that blocks the device.
        threshold: u32,
        /// Residual count that unblocks it.
        resume: u32,
    },
    /// Suspend the session when the sidefile stays above `threshold` record sets for
    /// `timeout`; track changes in a bitmap and resynchronise after `resync_after` once the
    /// backlog has drained.
    Suspend {
        /// Session-wide sidefile entries that start the timeout.
        threshold: u32,
        /// How long the threshold may be exceeded before suspending.
        timeout: SimDuration,
        /// Delay before the resynchronisation starts once the backlog is gone.
        resync_after: SimDuration,
    },
}

/// One volume pair: a primary volume shadowed to a secondary volume at a site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairConfig {
    /// Primary volume.
    pub primary: VolumeId,
    /// Secondary site.
    pub site: usize,
    /// Secondary volume (on a storage control at that site).
    pub secondary: VolumeId,
    /// The shadowed extents of the primary volume, as (first, last) linear tracks; empty
    /// means the whole volume. Writes elsewhere on the volume are not copied to this site.
    #[serde(default)]
    pub extents: Vec<(u64, u64)>,
    /// In the session from the start (`false`: it joins with a `PairAdd` fault).
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// The remote-copy session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CopyConfig {
    /// The design.
    pub mode: Mode,
    /// Session number (M0).
    pub session: u16,
    /// Volume pairs.
    pub pairs: Vec<PairConfig>,
    /// Serializer service time per token.
    pub serializer_service: SimDuration,
    /// One-way time between a storage control and the serializer (token in, number back).
    pub token_latency: SimDuration,
    /// Number of primary data movers.
    pub movers: u32,
    /// Fixed cost of one mover read (a channel program to the storage control).
    pub mover_read_overhead: SimDuration,
    /// Most record sets one mover read takes.
    pub mover_batch: u32,
    /// The movers' buffer: record sets read but not yet secured by every site. When it is
    /// full the movers stop reading, so a slow link or secondary shows up as residual counts
    /// in the storage controls (where write pacing and device blocking look).
    pub mover_buffer: u64,
    /// Message buffer size: a message leaves when adding to it would pass this many bytes.
    pub batch_bytes: u64,
    /// Message timer: a message leaves this long after its first entry at the latest.
    pub batch_timer: SimDuration,
    /// Base design: ship re-updated data with the newest token and group the superseded
    /// ones (the accommodation). Off shows the hazard.
    pub reupdate_accommodation: bool,
    /// Flow-control policy.
    pub flow: FlowControl,
    /// Secondary: acknowledge secured updates this often.
    pub ack_interval: SimDuration,
    /// Secondary: most updates being written to the secondary DASD at once.
    pub apply_parallel: u32,
    /// Secondary: channel paths from the secondary data mover to each storage control of
    /// its site.
    pub secondary_paths: u32,
    /// `pit`: interval between point-in-time copies.
    pub pit_interval: SimDuration,
    /// `srdfa`: minimum cycle time (a cycle switch waits at least this long after the
    /// previous one, and longer while the transmit set is not yet received).
    pub min_cycle_time: SimDuration,
    /// `srdfa`: most bytes the capture and transmit delta sets may hold in the primary's
    /// cache; more drops the session (0: no limit).
    pub srdfa_cache_limit: u64,
    /// `gm`: consistency group interval (from a group's completion to the next start).
    pub cg_interval: SimDuration,
    /// `gm`: maximum drain time; a consistency group whose drain takes longer fails.
    pub max_drain_time: SimDuration,
    /// `gm`: time the secondary takes to establish and commit the FlashCopy of a drained
    /// consistency group onto its C volumes.
    pub flashcopy_time: SimDuration,
    /// `gm`: Global Copy sends whole changed tracks (the out-of-sync bitmap has a bit per
    /// track); `false`: only the changed records of each track.
    pub gm_whole_tracks: bool,
    /// `ur`: master journal capacity, bytes; a write that takes it over suspends the pairs.
    pub ur_journal_bytes: u64,
    /// `ur`: most journal data one read-journal command returns, bytes.
    pub ur_read_bytes: u64,
    /// `ur`: after an empty answer, the secondary waits this long before reading again.
    pub ur_poll_interval: SimDuration,
    /// `ur`: read-journal commands each secondary keeps outstanding.
    pub ur_reads: u32,
    /// Send an initial copy of the duplexed data sets at session start (its traffic competes
    /// for the link; the secondary is not consistent until it completes).
    pub initial_copy: bool,
    /// `zgm`: the System Data Mover, its readers, journal and sessions.
    #[serde(default)]
    pub zgm: ZgmConfig,
    /// The copy costs the primary: each mover read of record sets holds a storage path of
    /// the storage control and a channel path of the mover's host for its connect time (at
    /// the storage control's [`ChannelTiming`]), queueing with host I/O; the sidefile (and
    /// in `xrc-prt` the persistent work list) holds the record sets' data in cache, so the
    /// track cache has that many fewer tracks for host reads. Off: the copy is free.
    #[serde(default)]
    pub primary_cost: bool,
    /// `sync`: what the primary does when a write cannot reach a secondary.
    #[serde(default)]
    pub sync: SyncPolicy,
}

/// `sync` mode when the link to a secondary fails (PPRC's CRIT and freeze options).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncPolicy {
    /// CRIT(YES): writes wait for the secondary however long the link is down. CRIT(NO)
    /// (`false`): after `suspend_timeout` the pair suspends, its writes complete at the
    /// primary and are marked in the changed-track bitmap for resynchronisation.
    pub critical: bool,
    /// Freeze: the first pair to suspend suspends every pair at once (the secondary stays
    /// consistent); without it each pair suspends on its own timeout.
    pub freeze: bool,
    /// How long a write waits for a secondary whose link is down before its pair suspends.
    pub suspend_timeout: SimDuration,
    /// Automation (as GDPS does, or an operator's CESTPATH and CESTPAIR MODE(RESYNC)): once
    /// every link is back, the suspended pairs resynchronise after this delay. `None` (the
    /// default): they stay suspended until a `resume` fault.
    pub resync_after: Option<SimDuration>,
}

impl Default for SyncPolicy {
    fn default() -> Self {
        SyncPolicy {
            critical: false,
            freeze: false,
            suspend_timeout: SimDuration::from_secs(2),
            resync_after: None,
        }
    }
}

impl Default for CopyConfig {
    fn default() -> Self {
        CopyConfig {
            mode: Mode::Xrc,
            session: 1,
            pairs: Vec::new(),
            serializer_service: SimDuration::from_micros(20),
            token_latency: SimDuration::from_micros(30),
            movers: 1,
            mover_read_overhead: SimDuration::from_micros(400),
            mover_batch: 64,
            mover_buffer: 20_000,
            batch_bytes: 256 * 1024,
            batch_timer: SimDuration::from_millis(10),
            reupdate_accommodation: true,
            flow: FlowControl::None,
            ack_interval: SimDuration::from_millis(100),
            apply_parallel: 16,
            secondary_paths: 8,
            pit_interval: SimDuration::from_secs(3600),
            min_cycle_time: SimDuration::from_secs(15),
            srdfa_cache_limit: 0,
            cg_interval: SimDuration::ZERO,
            max_drain_time: SimDuration::from_secs(30),
            flashcopy_time: SimDuration::from_secs(1),
            gm_whole_tracks: true,
            ur_journal_bytes: 10 << 30,
            ur_read_bytes: 1 << 20,
            ur_poll_interval: SimDuration::from_millis(10),
            ur_reads: 1,
            initial_copy: false,
            zgm: ZgmConfig::default(),
            primary_cost: false,
            sync: SyncPolicy::default(),
        }
    }
}

/// `zgm`: where the System Data Mover runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SdmPlace {
    /// At the recovery site (the usual layout): each read is a channel program over the
    /// channel extension, paying the link's round trip; the record sets come back over the
    /// link with its bandwidth.
    Secondary,
    /// At the primary site (the patent's layout): reads are local channel programs and the
    /// record sets are pushed over the link as the movers' messages are.
    Primary,
}

/// `zgm`: the journal data sets the SDM hardens each consistency group to before applying
/// it to the secondary volumes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JournalConfig {
    /// Journal data sets; a group is striped over all of them (IBM: 2 to 16).
    pub data_sets: u32,
    /// Sustained write rate of one journal data set, bytes per second.
    pub bandwidth: u64,
    /// Fixed time of one journal write (channel program, seek, rotation).
    pub latency: SimDuration,
    /// Journal space, bytes: groups hardened and not yet applied occupy it.
    pub capacity: u64,
    /// A journal full for this long suspends the session.
    pub full_timeout: SimDuration,
}

impl Default for JournalConfig {
    fn default() -> Self {
        JournalConfig {
            data_sets: 4,
            bandwidth: 20_000_000,
            latency: SimDuration::from_millis(2),
            capacity: 2 << 30,
            full_timeout: SimDuration::from_secs(30),
        }
    }
}

/// `zgm`: one SDM session over a subset of the primary storage controls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZgmSessionConfig {
    /// Session name (as XSTART names it).
    pub name: String,
    /// Its primary storage controls.
    pub subsystems: Vec<SubsystemId>,
    /// Its readers' read interval, if not the SDM's.
    #[serde(default)]
    pub read_interval: Option<SimDuration>,
}

/// `zgm`: the System Data Mover.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZgmConfig {
    /// Where the SDM runs.
    pub sdm: SdmPlace,
    /// Readers per storage control ("multiple reader"): each reads the record sets of
    /// the storage control's volumes with `volume index % readers == reader`.
    pub readers: u32,
    /// An idle reader (its last read was not full) reads again this long after its last
    /// read started.
    pub read_interval: SimDuration,
    /// The SDM forms a consistency group this often.
    pub group_interval: SimDuration,
    /// The journal.
    pub journal: JournalConfig,
    /// Per host (by index), the host's clock offset from the common time reference, ns
    /// (0: a working Sysplex Timer / STP).
    pub clock_offset_ns: Vec<i64>,
    /// SDM sessions, each over a subset of the storage controls (empty: one session over
    /// all of them).
    pub sessions: Vec<ZgmSessionConfig>,
    /// Coupled XRC: the sessions apply no further than the master recoverable time (the
    /// minimum of their journal consistency times); `false`: each recovers to its own.
    pub coupled: bool,
    /// A suspended session resynchronises once the cause of its suspension has cleared
    /// (every link up; everything read before the suspension applied): the writes marked
    /// in the changed-track bitmap are copied to the secondary volumes (the pairs pending,
    /// the consistency time frozen), then the pairs are duplex and consistency groups
    /// resume. `false`: a suspended session stays suspended.
    pub auto_resync: bool,
}

impl Default for ZgmConfig {
    fn default() -> Self {
        ZgmConfig {
            sdm: SdmPlace::Secondary,
            readers: 1,
            read_interval: SimDuration::from_millis(500),
            group_interval: SimDuration::ZERO,
            journal: JournalConfig::default(),
            clock_offset_ns: Vec::new(),
            sessions: Vec::new(),
            coupled: true,
            auto_resync: false,
        }
    }
}

/// A scheduled link outage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outage {
    /// The link is cut at this instant.
    pub at: SimTime,
    /// And restored at this one.
    pub until: SimTime,
}

/// The link from the primary to one secondary site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkConfig {
    /// Distance, km (propagation about 5 us per km one way).
    pub distance_km: f64,
    /// Bandwidth of each path, bits per second.
    pub bandwidth_bps: u64,
    /// Per-message overhead bytes (protocol headers, framing).
    pub overhead_bytes: u64,
    /// Parallel paths (messages are spread over them; each path delivers in order).
    pub paths: u32,
    /// Scheduled outages.
    pub outages: Vec<Outage>,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            distance_km: 300.0,
            bandwidth_bps: 44_736_000,
            overhead_bytes: 64,
            paths: 1,
            outages: Vec::new(),
        }
    }
}

impl LinkConfig {
    /// One-way propagation delay: 5 us per km (light in fibre).
    pub fn propagation(&self) -> SimDuration {
        SimDuration::from_secs_f64(self.distance_km * 5e-6)
    }
}

/// A secondary site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SiteConfig {
    /// Site name (e.g. `S1`).
    pub name: String,
    /// Its link.
    pub link: LinkConfig,
}

/// A storage control (3990-like) with its cache and NVS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubsystemConfig {
    /// Subsystem id / name (e.g. `SS01`).
    pub name: String,
    /// `None` at the primary site, `Some(site)` at a secondary site.
    pub site: Option<usize>,
    /// Track cache size, bytes.
    pub cache_bytes: u64,
    /// Non-volatile storage (DASD fast write), bytes.
    pub nvs_bytes: u64,
    /// Storage paths: data transfers the control unit runs at once.
    pub storage_paths: u32,
    /// Channel timing.
    pub channel: ChannelTiming,
    /// Delay before an idle device starts destaging modified tracks.
    pub destage_delay: SimDuration,
    /// Update writes to tracks not in cache go to the device (3990-3 DASD fast write);
    /// `false` (the default, as in later storage controls) takes every update write into
    /// cache and NVS while NVS has room.
    pub write_miss_to_device: bool,
    /// Rotational position sensing miss: a disconnected I/O whose reconnection finds no
    /// free path waits one full revolution and tries again (`false`, the default: it
    /// queues for the path and transfers as soon as one frees).
    #[serde(default)]
    pub rps_miss: bool,
    /// NVS occupancy (fraction of `nvs_bytes`, 0 < x <= 1) above which a write's modified
    /// track starts its destage at once instead of after `destage_delay` (`None`, the
    /// default: destage only after the idle delay).
    #[serde(default)]
    pub destage_threshold: Option<f64>,
    /// Control-unit busy: a channel program that finds every storage path busy is
    /// rejected with control-unit busy and retried by the channel at control-unit end,
    /// costing this much more connect time (`None`, the default: it queues for the path
    /// with no extra cost).
    #[serde(default)]
    pub cu_busy_retry: Option<SimDuration>,
}

impl Default for SubsystemConfig {
    fn default() -> Self {
        SubsystemConfig {
            name: "SS01".into(),
            site: None,
            cache_bytes: 1 << 30,
            nvs_bytes: 64 << 20,
            storage_paths: 4,
            channel: ChannelTiming::default(),
            destage_delay: SimDuration::from_millis(5),
            write_miss_to_device: false,
            rps_miss: false,
            destage_threshold: None,
            cu_busy_retry: None,
        }
    }
}

/// A volume.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VolumeConfig {
    /// VOLSER.
    pub volser: String,
    /// Device type.
    pub device: DeviceType,
    /// Its storage control.
    pub subsystem: SubsystemId,
    /// Its data sets.
    pub datasets: Vec<DataSet>,
}

/// An injected fault.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Fault {
    /// The whole primary site is lost; `cut_link`: messages on the wire are lost too.
    Disaster {
        /// When.
        at: SimTime,
        /// Whether the link is cut at the same instant.
        cut_link: bool,
    },
    /// One primary storage control is lost (its volumes stop; the session suspends).
    SubsystemLoss {
        /// When.
        at: SimTime,
        /// Which.
        subsystem: SubsystemId,
    },
    /// A primary data mover crashes (its work is taken over by the others after `restart`).
    MoverCrash {
        /// When.
        at: SimTime,
        /// Which mover (0-based).
        mover: u32,
        /// Time until it restarts.
        restart: SimDuration,
    },
    /// The link to a site is cut and restored.
    LinkCut {
        /// When.
        at: SimTime,
        /// Which site.
        site: usize,
        /// Restored at.
        until: SimTime,
    },
    /// A site's secondary DASD slows down by `factor` until `until`.
    SecondarySlowdown {
        /// When.
        at: SimTime,
        /// Which site.
        site: usize,
        /// Multiplier of service times (>= 1).
        factor: f64,
        /// Until when.
        until: SimTime,
    },
    /// The operator suspends the session (xrc modes): writes are only marked in the
    /// changed-track bitmap until a `SessionResume`.
    SessionSuspend {
        /// When.
        at: SimTime,
    },
    /// The operator resumes a suspended session: the changed tracks are resynchronised.
    SessionResume {
        /// When.
        at: SimTime,
    },
    /// Volume pair `pair` (index into `copy.pairs`) joins the session: its writes are
    /// copied from now on, after an initial copy of its extents.
    PairAdd {
        /// When.
        at: SimTime,
        /// Index into `copy.pairs`.
        pair: usize,
    },
    /// Volume pair `pair` leaves the session.
    PairRemove {
        /// When.
        at: SimTime,
        /// Index into `copy.pairs`.
        pair: usize,
    },
    /// From `at` until `until`, each host channel program (each try of it) ends in unit
    /// check with probability `rate`, with one of `errors` (drawn uniformly from the
    /// issuing host's stream); the host's error recovery senses and retries or fails it.
    CcwErrors {
        /// When.
        at: SimTime,
        /// Until when.
        until: SimTime,
        /// Probability per channel program (0..=1).
        rate: f64,
        /// The errors injected (not empty).
        errors: Vec<CcwError>,
    },
}

/// A unit check the `ccw_errors` fault injects into host channel programs.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CcwError {
    /// The search argument names no record (sense byte 1 X'08'): a program error, not
    /// retried.
    NoRecordFound,
    /// The record is outside the Define Extent extent (sense byte 1 X'04'): not retried.
    FileProtected,
    /// A format write's record does not fit its track (sense byte 1 X'40'): not retried.
    InvalidTrackFormat,
    /// A transient equipment check at the storage control (sense byte 0 X'10'): retried.
    EquipmentCheck,
}

impl CcwError {
    /// Every injectable error.
    pub const ALL: [CcwError; 4] = [
        CcwError::NoRecordFound,
        CcwError::FileProtected,
        CcwError::InvalidTrackFormat,
        CcwError::EquipmentCheck,
    ];
    /// The name a scenario file uses.
    pub const fn name(self) -> &'static str {
        match self {
            CcwError::NoRecordFound => "no_record_found",
            CcwError::FileProtected => "file_protected",
            CcwError::InvalidTrackFormat => "invalid_track_format",
            CcwError::EquipmentCheck => "equipment_check",
        }
    }
}

/// Run control.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Master seed.
    pub seed: u64,
    /// Simulated length of the workload.
    pub length: SimDuration,
    /// Interval of data-loss-window (RPO) samples.
    pub rpo_interval: SimDuration,
    /// Sequence numbers of history kept for the prefix-consistency search.
    pub history_window: u64,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            seed: 1,
            length: SimDuration::from_secs(60),
            rpo_interval: SimDuration::from_millis(100),
            history_window: 100_000,
        }
    }
}

/// The whole world.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorldConfig {
    /// Scenario name (reports, trace header).
    pub name: String,
    /// Hosts.
    pub hosts: Vec<HostConfig>,
    /// Storage controls (primary and secondary).
    pub subsystems: Vec<SubsystemConfig>,
    /// Volumes (primary and secondary).
    pub volumes: Vec<VolumeConfig>,
    /// Secondary sites.
    pub sites: Vec<SiteConfig>,
    /// The remote-copy session.
    pub copy: CopyConfig,
    /// Faults.
    pub faults: Vec<Fault>,
    /// Run control.
    pub run: RunConfig,
}

/// Which sites the tracks of one primary volume are shadowed to: non-overlapping
/// `(first_track, last_track, sites)` ranges, sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routes {
    ranges: Vec<(u64, u64, SiteMask)>,
    /// The only range, when there is exactly one (the common case: one pair per volume),
    /// kept inline so that routing a write does not touch the heap (track numbers fit 32
    /// bits).
    single: Option<(u32, u32, SiteMask)>,
}

impl Routes {
    /// The ranges, sorted by first track.
    pub fn ranges(&self) -> &[(u64, u64, SiteMask)] {
        &self.ranges
    }

    /// The sites a write starting on `track` goes to.
    #[inline]
    pub fn sites(&self, track: u64) -> SiteMask {
        if let Some((a, b, m)) = self.single {
            return if a as u64 <= track && track <= b as u64 {
                m
            } else {
                SiteMask::EMPTY
            };
        }
        match self.ranges.as_slice() {
            [] => SiteMask::EMPTY,
            r => {
                let i = r.partition_point(|x| x.0 <= track);
                match i.checked_sub(1).map(|i| r[i]) {
                    Some((a, b, m)) if a <= track && track <= b => m,
                    _ => SiteMask::EMPTY,
                }
            }
        }
    }
    /// Every site any track is shadowed to.
    pub fn all(&self) -> SiteMask {
        match self.single {
            Some((_, _, m)) => m,
            None => SiteMask(self.ranges.iter().fold(0, |acc, r| acc | r.2.0)),
        }
    }
    /// Adds `sites` on tracks `first..=last`, splitting ranges where they overlap.
    fn add(&mut self, first: u64, last: u64, site: crate::types::SiteId) {
        // Cut points, then OR the site into every piece inside [first, last].
        let mut cuts: Vec<u64> = self
            .ranges
            .iter()
            .flat_map(|r| [r.0, r.1.saturating_add(1)])
            .collect();
        cuts.extend([first, last.saturating_add(1)]);
        cuts.sort_unstable();
        cuts.dedup();
        let mut out: Vec<(u64, u64, SiteMask)> = Vec::new();
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1] - 1);
            let mut m = self.sites(a);
            if first <= a && b <= last {
                m = m.with(site);
            }
            if m.is_empty() {
                continue;
            }
            match out.last_mut() {
                Some(l) if l.2 == m && l.1 + 1 == a => l.1 = b,
                _ => out.push((a, b, m)),
            }
        }
        self.single = match out.as_slice() {
            [(a, b, m)] => Some((*a as u32, *b as u32, *m)),
            _ => None,
        };
        self.ranges = out;
    }
}

impl WorldConfig {
    /// The shadowed track ranges of each volume at the start (empty for volumes not paired).
    pub fn routing(&self) -> Vec<Routes> {
        let mut r = vec![Routes::default(); self.volumes.len()];
        // One pass over the pairs (a per-volume scan would be quadratic in large configurations).
        for p in self.copy.pairs.iter().filter(|p| p.active) {
            if let Some(routes) = r.get_mut(p.primary.0 as usize) {
                self.add_pair(routes, p);
            }
        }
        r
    }

    /// The shadowed track ranges of volume `v` given which pairs are in the session.
    pub fn routes_of(&self, v: usize, active: &[bool]) -> Routes {
        let mut r = Routes::default();
        for (i, p) in self.copy.pairs.iter().enumerate() {
            if p.primary.0 as usize == v && active.get(i).copied().unwrap_or(false) {
                self.add_pair(&mut r, p);
            }
        }
        r
    }

    /// Adds what pair `p` shadows to its primary volume's routes.
    fn add_pair(&self, r: &mut Routes, p: &PairConfig) {
        let site = crate::types::SiteId(p.site as u8);
        if p.extents.is_empty() {
            let v = p.primary.0 as usize;
            r.add(0, self.volumes[v].device.tracks().saturating_sub(1), site);
        } else {
            for &(a, b) in &p.extents {
                r.add(a, b, site);
            }
        }
    }
}

impl WorldConfig {
    /// A small world for tests, benchmarks and examples: `hosts` hosts each running an
    /// OLTP application (log -> data page -> commit mark, `tx_rate` transactions per
    /// second per host) over `volumes` 3390-3 primary volumes split across two storage
    /// controls, every volume paired to a secondary volume at one site `S1` over a T3 link
    /// of `distance_km`.
    pub fn demo(
        mode: Mode,
        hosts: usize,
        volumes: usize,
        tx_rate: f64,
        distance_km: f64,
    ) -> WorldConfig {
        use crate::dasd::{DataSet, DeviceType};
        let volumes = volumes.max(2);
        let dev = DeviceType::from_name("3390-3").expect("a known model");
        let mut vols = Vec::new();
        let mut subsystems = vec![
            SubsystemConfig {
                name: "SSA1".into(),
                ..SubsystemConfig::default()
            },
            SubsystemConfig {
                name: "SSA2".into(),
                ..SubsystemConfig::default()
            },
            SubsystemConfig {
                name: "SSB1".into(),
                site: Some(0),
                ..SubsystemConfig::default()
            },
        ];
        subsystems[2].storage_paths = 8;
        for i in 0..volumes {
            let datasets = vec![
                DataSet::new(&format!("DB{i:02}.LOG"), 15, 15 * 21 - 1, 0, 4096),
                DataSet::new(&format!("DB{i:02}.DATA"), 15 * 21, 15 * 1021 - 1, 0, 4096),
            ];
            vols.push(VolumeConfig {
                volser: format!("PRI{i:03}"),
                device: dev,
                subsystem: SubsystemId((i % 2) as u16),
                datasets,
            });
        }
        let mut pairs = Vec::new();
        for i in 0..volumes {
            let datasets = vols[i].datasets.clone();
            vols.push(VolumeConfig {
                volser: format!("SEC{i:03}"),
                device: dev,
                subsystem: SubsystemId(2),
                datasets,
            });
            pairs.push(PairConfig {
                primary: VolumeId(i as u32),
                site: 0,
                secondary: VolumeId((volumes + i) as u32),
                extents: Vec::new(),
                active: true,
            });
        }
        let hosts = (0..hosts.max(1))
            .map(|h| {
                let mut datasets = Vec::new();
                // Each host's database: the log on one volume, the data on the next.
                let lv = (2 * h) % volumes;
                let dv = (2 * h + 1) % volumes;
                datasets.push((VolumeId(lv as u32), 0));
                datasets.push((VolumeId(dv as u32), 1));
                HostConfig {
                    name: format!("SYS{}", (b'A' + h as u8) as char),
                    paths_per_subsystem: 4,
                    erp_retries: DEFAULT_ERP_RETRIES,
                    apps: vec![AppConfig {
                        name: format!("DB{h}"),
                        source: AppSource::Synthetic(crate::workload::WorkloadSpec::oltp(
                            tx_rate, 0, 1, 0.8,
                        )),
                        datasets,
                        rate_scale: 1.0,
                        programs: Default::default(),
                    }],
                }
            })
            .collect();
        WorldConfig {
            name: "demo".into(),
            hosts,
            subsystems,
            volumes: vols,
            sites: vec![SiteConfig {
                name: "S1".into(),
                link: LinkConfig {
                    distance_km,
                    ..LinkConfig::default()
                },
            }],
            copy: CopyConfig {
                mode,
                pairs,
                ..CopyConfig::default()
            },
            faults: Vec::new(),
            run: RunConfig::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::SiteId;

    #[test]
    fn routes_split_and_merge_overlapping_extents() {
        let mut r = Routes::default();
        r.add(0, 99, SiteId(0));
        r.add(50, 149, SiteId(1));
        r.add(200, 209, SiteId(0));
        assert_eq!(r.sites(0), SiteMask::one(SiteId(0)));
        assert_eq!(r.sites(60), SiteMask::one(SiteId(0)).with(SiteId(1)));
        assert_eq!(r.sites(120), SiteMask::one(SiteId(1)));
        assert_eq!(r.sites(150), SiteMask::EMPTY);
        assert_eq!(r.sites(205), SiteMask::one(SiteId(0)));
        assert_eq!(r.all(), SiteMask::one(SiteId(0)).with(SiteId(1)));
        assert_eq!(r.ranges().len(), 4);
        let mut w = Routes::default();
        w.add(0, 10, SiteId(2));
        w.add(0, 10, SiteId(2));
        assert_eq!(w.ranges(), &[(0, 10, SiteMask::one(SiteId(2)))]);
        // One range: answered from the inline copy, with the same results.
        assert_eq!(w.sites(0), SiteMask::one(SiteId(2)));
        assert_eq!(w.sites(10), SiteMask::one(SiteId(2)));
        assert_eq!(w.sites(11), SiteMask::EMPTY);
        assert_eq!(w.all(), SiteMask::one(SiteId(2)));
        w.add(20, 30, SiteId(1));
        assert_eq!(w.sites(25), SiteMask::one(SiteId(1)));
        assert_eq!(w.sites(5), SiteMask::one(SiteId(2)));
        assert_eq!(w.all(), SiteMask::one(SiteId(2)).with(SiteId(1)));
    }
}
