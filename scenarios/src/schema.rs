//! The scenario file schema: what a researcher writes, with defaults for everything.
//!
//! A scenario with no topology gets the baseline one (two hosts, two primary storage
//! controls, eight 3390-3 volumes holding four OLTP databases, one secondary site over a T3
//! link at 300 km), so a three-line file runs:
//!
//! ```toml
//! name = "try-sync"
//! [copy]
//! mode = "sync"
//! ```
//!
//! Units: durations are strings with a unit (`"30s"`, `"250us"`); sizes say their unit in
//! the key (`cache_mb`, `batch_bytes`); rates are per second; bandwidth is in megabits per
//! second (`bandwidth_mbps`), channel rates in megabytes per second (`channel_mbytes`).
//! `docs/user-guide.md` lists every key with its default.

use models::workload::{Layout, WorkloadSpec};
use serde::{Deserialize, Serialize};
use sim::SimDuration;
use std::collections::BTreeMap;

/// A whole scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Scenario name (reports, trace header).
    pub name: String,
    /// What the scenario shows (free text).
    pub description: String,
    /// Run control.
    pub run: RunSpec,
    /// Host systems (`[[hosts]]`); baseline hosts when no volume is given.
    pub hosts: Vec<HostSpec>,
    /// Storage controls (`[[subsystems]]`).
    pub subsystems: Vec<SubsystemSpec>,
    /// Volumes (`[[volumes]]`).
    pub volumes: Vec<VolumeSpec>,
    /// Secondary sites (`[[sites]]`); one site `S1` by default.
    pub sites: Vec<SiteSpec>,
    /// The default link of every site (a site's own `link` table overrides keys of it).
    pub link: LinkSpec,
    /// The remote-copy session.
    pub copy: CopySpec,
    /// Workload-wide settings (rate scaling, trace replay).
    pub workload: WorkloadGlobal,
    /// The primary-site disaster.
    pub disaster: DisasterSpec,
    /// Other faults (`[[faults]]`).
    pub faults: Vec<FaultSpec>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "scenario".into(),
            description: String::new(),
            run: RunSpec::default(),
            hosts: Vec::new(),
            subsystems: Vec::new(),
            volumes: Vec::new(),
            sites: Vec::new(),
            link: LinkSpec::default(),
            copy: CopySpec::default(),
            workload: WorkloadGlobal::default(),
            disaster: DisasterSpec::default(),
            faults: Vec::new(),
        }
    }
}

/// `[run]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunSpec {
    /// Master seed of every random stream.
    pub seed: u64,
    /// Simulated length of the workload (the run ends here, or at the disaster).
    pub length: SimDuration,
    /// Interval of the data-loss-window (RPO) samples.
    pub rpo_interval: SimDuration,
    /// Sequence numbers kept below the consistency point for the prefix-consistency search.
    pub history_window: u64,
    /// At the end, stop the workload and let replication catch up before evaluating.
    pub drain: bool,
    /// The memory guard: the run ends with an error when more record sets and messages
    /// than this are in flight at once (about 370 bytes each).
    pub max_pending: u64,
}

/// The default cap of the memory guard: record sets and messages in flight at once
/// (sidefiles, queues, the link, the secondaries' pending writes). A run holds about 370
/// bytes per record set (measured: 10 million in flight, 3.7 GB), so eight million hold
/// about 3 GB at most. The library's scenarios peak below 2,200 in steady state
/// (`overload.toml`); the initial copy of `large.toml`'s 10,000 volumes queues 3.75
/// million messages at once (0.5 GB), which the cap must allow.
pub const DEFAULT_MAX_PENDING: u64 = 8_000_000;

impl Default for RunSpec {
    fn default() -> Self {
        RunSpec {
            seed: 1,
            length: SimDuration::from_secs(60),
            rpo_interval: SimDuration::from_millis(100),
            history_window: 100_000,
            drain: false,
            max_pending: DEFAULT_MAX_PENDING,
        }
    }
}

/// `[[hosts]]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    /// System name, e.g. `SYSA`.
    pub name: String,
    /// Channel paths from this host to each storage control (default 4).
    #[serde(default = "four")]
    pub paths: u32,
    /// Applications (`[[hosts.apps]]`).
    #[serde(default)]
    pub apps: Vec<AppSpec>,
    /// Error recovery: retries of a channel program that ended in a retryable unit check
    /// (equipment check) before the request fails (default 10).
    #[serde(default = "erp_retries")]
    pub erp_retries: u32,
}

fn erp_retries() -> u32 {
    models::world::DEFAULT_ERP_RETRIES
}

fn four() -> u32 {
    4
}

/// `[[hosts.apps]]`: an application and its data sets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSpec {
    /// Application (job) name.
    pub name: String,
    /// Its data sets by name (`DB01.LOG`) or `VOLSER:DSN`; the workload's slots, in order.
    /// A `*` matches any characters and expands to every matching data set, in volume
    /// order (`"*.DATA"`).
    pub datasets: Vec<String>,
    /// Its workload generator (`{ kind = "oltp", tx_rate = 100, log = 0, data = 1 }`).
    pub workload: WorkloadSpec,
    /// The channel-program families its operations use, by weight
    /// (`{ update = 6, search = 1, format = 1, multitrack = 1, read_before_write = 1,
    /// read_track = 1 }`); empty (the default): ECKD update writes and reads only.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub programs: std::collections::BTreeMap<String, f64>,
}

/// `[[subsystems]]`: a storage control.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubsystemSpec {
    /// Name (SSID), e.g. `SSA1`.
    pub name: String,
    /// `"primary"` (default) or the name of a secondary site.
    #[serde(default = "primary")]
    pub site: String,
    /// Track cache, MiB (default 1024).
    #[serde(default = "cache_mb")]
    pub cache_mb: u64,
    /// Non-volatile storage for DASD fast write, MiB (default 64).
    #[serde(default = "nvs_mb")]
    pub nvs_mb: u64,
    /// Data transfers the control unit runs at once (default 4).
    #[serde(default = "storage_paths")]
    pub storage_paths: u32,
    /// Channel data rate, megabytes per second (default 17, ESCON).
    #[serde(default = "channel_mbytes")]
    pub channel_mbytes: f64,
    /// Protocol time before data moves (default 250us).
    #[serde(default = "command_overhead")]
    pub command_overhead: SimDuration,
    /// Ending-status time (default 50us).
    #[serde(default = "status_overhead")]
    pub status_overhead: SimDuration,
    /// Make this many storage controls, named by counting up the name's trailing digits
    /// (`SS00` with `count = 100`: SS00 .. SS99). Default 1.
    #[serde(default)]
    pub count: Option<u32>,
    /// Delay before destaging modified tracks (default 5ms).
    #[serde(default = "destage_delay")]
    pub destage_delay: SimDuration,
    /// Update writes to tracks not in cache go to the device (3990-3 behaviour; default
    /// false: every write is a DASD fast write while NVS has room).
    #[serde(default)]
    pub write_miss_to_device: bool,
    /// RPS miss: a reconnection that finds no free path waits a whole revolution and tries
    /// again (default false: it queues for the path).
    #[serde(default)]
    pub rps_miss: bool,
    /// NVS occupancy (fraction, 0 < x <= 1) above which a write's modified tracks start
    /// destaging at once rather than after `destage_delay` (default: none, idle destage
    /// only).
    #[serde(default)]
    pub destage_threshold: Option<f64>,
    /// Control-unit busy: a channel program that finds every storage path busy gets
    /// control-unit busy and is retried by the channel at control-unit end, costing this
    /// much more connect time (default: none, it queues for a path at no cost).
    #[serde(default)]
    pub cu_busy_retry: Option<SimDuration>,
}

fn primary() -> String {
    "primary".into()
}
// Defaults of a storage control come from the model's (`SubsystemConfig::default`), in the
// units a scenario file writes them: one set of defaults.
fn model_ss() -> models::world::SubsystemConfig {
    models::world::SubsystemConfig::default()
}
fn cache_mb() -> u64 {
    model_ss().cache_bytes >> 20
}
fn nvs_mb() -> u64 {
    model_ss().nvs_bytes >> 20
}
fn storage_paths() -> u32 {
    model_ss().storage_paths
}
fn channel_mbytes() -> f64 {
    model_ss().channel.rate as f64 / 1e6
}
fn command_overhead() -> SimDuration {
    model_ss().channel.command_overhead
}
fn status_overhead() -> SimDuration {
    model_ss().channel.status_overhead
}
fn destage_delay() -> SimDuration {
    model_ss().destage_delay
}

impl SubsystemSpec {
    /// A storage control with every default, at `site`.
    pub fn named(name: &str, site: &str) -> Self {
        SubsystemSpec {
            name: name.into(),
            site: site.into(),
            cache_mb: cache_mb(),
            nvs_mb: nvs_mb(),
            storage_paths: storage_paths(),
            channel_mbytes: channel_mbytes(),
            command_overhead: command_overhead(),
            status_overhead: status_overhead(),
            destage_delay: destage_delay(),
            write_miss_to_device: false,
            rps_miss: false,
            destage_threshold: None,
            cu_busy_retry: None,
            count: None,
        }
    }
}

/// `[[volumes]]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeSpec {
    /// VOLSER (1-6 of A-Z 0-9 @ # $).
    pub volser: String,
    /// Device type, e.g. `3390-3` (default), `3390-9`, `3380-K`.
    #[serde(default = "device")]
    pub device: String,
    /// Storage control name.
    pub subsystem: String,
    /// Data sets (`[[volumes.datasets]]`); with `count`, `{n}` in a name is replaced by the
    /// volume's number in the group (0, 1, 2, ...).
    #[serde(default)]
    pub datasets: Vec<DataSetSpec>,
    /// Make this many volumes, VOLSERs counting up the trailing digits (`P00000` with
    /// `count = 10000`: P00000 .. P09999). Default 1.
    #[serde(default)]
    pub count: Option<u32>,
    /// With `count`: the volumes go round-robin over these storage controls (instead of
    /// all on `subsystem`).
    #[serde(default)]
    pub spread: Vec<String>,
}

fn device() -> String {
    "3390-3".into()
}

/// `[[volumes.datasets]]`: one extent of a data set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSetSpec {
    /// Data set name (MVS rules).
    pub name: String,
    /// First and last cylinder, inclusive (give `cyls` or `tracks`).
    #[serde(default)]
    pub cyls: Option<[u64; 2]>,
    /// First and last linear track, inclusive.
    #[serde(default)]
    pub tracks: Option<[u64; 2]>,
    /// Data length of the records it is formatted with, bytes (default 4096).
    #[serde(default = "record")]
    pub record: u32,
    /// Key length, bytes (default 0).
    #[serde(default)]
    pub key: u8,
}

fn record() -> u32 {
    4096
}

/// `[[sites]]`: a secondary site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSpec {
    /// Site name, e.g. `S1`.
    pub name: String,
    /// Primary volumes shadowed here (VOLSERs; default all). Secondary volumes and a
    /// storage control for them are created unless `copy.pairs` names them.
    #[serde(default)]
    pub volumes: Option<Vec<String>>,
    /// Only these data sets of those volumes are shadowed here (names, `*` globs;
    /// default: whole volumes). Claim 3: some data to one site, some to another.
    #[serde(default)]
    pub datasets: Option<Vec<String>>,
    /// Keys of this site's link that differ from the top-level `[link]`.
    #[serde(default)]
    pub link: LinkOverride,
}

/// `[link]`: the link from the primary to a site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LinkSpec {
    /// Distance, km (5 us per km one way).
    pub distance_km: f64,
    /// Bandwidth per path, megabits per second (T1 1.544, T3 44.736, OC-3 155.52).
    pub bandwidth_mbps: f64,
    /// Per-message overhead, bytes.
    pub overhead_bytes: u64,
    /// Parallel paths.
    pub paths: u32,
    /// Scheduled outages (`[{ at = "20s", until = "25s" }]`).
    pub outages: Vec<OutageSpec>,
}

impl Default for LinkSpec {
    /// The model's link defaults (`LinkConfig::default`), in scenario units.
    fn default() -> Self {
        let m = models::world::LinkConfig::default();
        LinkSpec {
            distance_km: m.distance_km,
            bandwidth_mbps: m.bandwidth_bps as f64 / 1e6,
            overhead_bytes: m.overhead_bytes,
            paths: m.paths,
            outages: Vec::new(),
        }
    }
}

/// A site's own link keys (any subset of `[link]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LinkOverride {
    /// Distance, km.
    pub distance_km: Option<f64>,
    /// Bandwidth per path, megabits per second.
    pub bandwidth_mbps: Option<f64>,
    /// Per-message overhead, bytes.
    pub overhead_bytes: Option<u64>,
    /// Parallel paths.
    pub paths: Option<u32>,
    /// Scheduled outages.
    pub outages: Option<Vec<OutageSpec>>,
}

/// A link outage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutageSpec {
    /// Cut at.
    pub at: SimDuration,
    /// Restored at.
    pub until: SimDuration,
}

/// `[copy]`: the remote-copy session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CopySpec {
    /// `xrc`, `xrc-prt`, `sync`, `naive`, `pit` or `zgm`.
    pub mode: models::world::Mode,
    /// Primary data movers.
    pub movers: u32,
    /// Message buffer size, bytes.
    pub batch_bytes: u64,
    /// Message timer.
    pub batch_timer: SimDuration,
    /// Serializer service time per token.
    pub serializer_service: SimDuration,
    /// One-way storage control <-> serializer time.
    pub token_latency: SimDuration,
    /// Fixed cost of one mover read.
    pub mover_read_overhead: SimDuration,
    /// Most record sets one mover read takes.
    pub mover_batch: u32,
    /// Record sets the movers hold read but not yet secured; full, they stop reading.
    pub mover_buffer: u64,
    /// Base design: the re-update accommodation (off shows the hazard).
    pub reupdate_accommodation: bool,
    /// Secondary: writes to the secondary DASD in progress at once.
    pub apply_parallel: u32,
    /// Secondary: channel paths from the secondary data mover to each of its storage
    /// controls.
    pub secondary_paths: u32,
    /// Secondary: acknowledgment interval.
    pub ack_interval: SimDuration,
    /// `pit`: interval between point-in-time copies.
    pub pit_interval: SimDuration,
    /// `srdfa`: minimum cycle time between delta-set cycle switches (default 15 s).
    pub min_cycle_time: SimDuration,
    /// `srdfa`: most bytes the delta sets may hold in cache before the session drops
    /// (default 0: no limit).
    pub srdfa_cache_limit: u64,
    /// `gm`: consistency group interval (default 0 s: the next group starts as soon as the
    /// previous one is formed).
    pub cg_interval: SimDuration,
    /// `gm`: maximum drain time (default 30 s); a group whose drain takes longer fails.
    pub max_drain_time: SimDuration,
    /// `gm`: time to establish and commit the FlashCopy of a drained group at the
    /// secondary (default 1 s, an estimate).
    pub flashcopy_time: SimDuration,
    /// `gm`: Global Copy sends whole changed tracks (default); `false`: only the changed
    /// records of each track.
    pub gm_whole_tracks: bool,
    /// `ur`: master journal capacity, bytes (default 10 GiB).
    pub ur_journal_bytes: u64,
    /// `ur`: most journal data one read-journal command returns, bytes (default 1 MiB).
    pub ur_read_bytes: u64,
    /// `ur`: wait after an empty read-journal answer (default 10 ms).
    pub ur_poll_interval: SimDuration,
    /// `ur`: read-journal commands each secondary keeps outstanding (default 1).
    pub ur_reads: u32,
    /// Send an initial copy of the duplexed data sets at session start.
    pub initial_copy: bool,
    /// The copy costs the primary: mover reads hold storage paths and channel paths, and
    /// the sidefile (the `xrc-prt` work list) holds cache.
    pub primary_cost: bool,
    /// `sync`: what happens when a secondary cannot be reached (`[copy.sync]`).
    pub sync: SyncSpec,
    /// Flow control (`{ policy = "pacing", threshold = 1000, level = 10 }`).
    pub flow: FlowSpec,
    /// Explicit volume pairs (`[[copy.pairs]]`); others are created from `sites.volumes`.
    pub pairs: Vec<PairSpec>,
    /// `zgm`: the System Data Mover (`[copy.zgm]`).
    pub zgm: ZgmSpec,
}

/// `[copy.zgm]`: the System Data Mover of `copy.mode = "zgm"` (IBM XRC as shipped).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ZgmSpec {
    /// Where the SDM runs: `secondary` (reads over the link, paying its round trip) or
    /// `primary` (local reads, record sets pushed over the link).
    pub sdm: models::world::SdmPlace,
    /// Readers per storage control (multiple reader), 1..=16.
    pub readers: u32,
    /// An idle reader reads again this long after its last read started.
    pub read_interval: SimDuration,
    /// The SDM forms a consistency group at most this often (default 0: whenever the group
    /// time advances and the journal is free).
    pub group_interval: SimDuration,
    /// The journal (`[copy.zgm.journal]`).
    pub journal: JournalSpec,
    /// Host clock offsets from the common time reference, microseconds, by host name
    /// (`{ SYSB = -5000 }`): a broken Sysplex Timer / STP.
    pub clock_offset_us: BTreeMap<String, i64>,
    /// SDM sessions (`[[copy.zgm.sessions]]`), each over some primary storage controls;
    /// empty: one session over all of them.
    pub sessions: Vec<ZgmSessionSpec>,
    /// Coupled XRC: no session applies past the master recoverable time.
    pub coupled: bool,
    /// A suspended session resynchronises by itself once its cause has cleared (every
    /// link up, everything read before the suspension applied): the changed tracks are
    /// copied, then the pairs are duplex again (default false: it stays suspended).
    pub auto_resync: bool,
}

impl Default for ZgmSpec {
    fn default() -> Self {
        let d = models::world::ZgmConfig::default();
        ZgmSpec {
            sdm: d.sdm,
            readers: d.readers,
            read_interval: d.read_interval,
            group_interval: d.group_interval,
            journal: JournalSpec::default(),
            clock_offset_us: BTreeMap::new(),
            sessions: Vec::new(),
            coupled: d.coupled,
            auto_resync: d.auto_resync,
        }
    }
}

/// `[copy.zgm.journal]`: the journal data sets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JournalSpec {
    /// Journal data sets a group is striped over (1..=16).
    pub data_sets: u32,
    /// Write rate of one journal data set, megabytes per second.
    pub mbytes_per_s: f64,
    /// Fixed time of one journal write.
    pub latency: SimDuration,
    /// Journal space, megabytes.
    pub capacity_mb: u64,
    /// A journal full for this long suspends the session.
    pub full_timeout: SimDuration,
}

impl Default for JournalSpec {
    fn default() -> Self {
        let d = models::world::JournalConfig::default();
        JournalSpec {
            data_sets: d.data_sets,
            mbytes_per_s: d.bandwidth as f64 / 1e6,
            latency: d.latency,
            capacity_mb: d.capacity >> 20,
            full_timeout: d.full_timeout,
        }
    }
}

/// `[[copy.zgm.sessions]]`: one SDM session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZgmSessionSpec {
    /// Session name.
    pub name: String,
    /// Names of its primary storage controls.
    pub subsystems: Vec<String>,
    /// Its readers' read interval (default: `copy.zgm.read_interval`).
    #[serde(default)]
    pub read_interval: Option<SimDuration>,
}

impl Default for CopySpec {
    fn default() -> Self {
        let d = models::world::CopyConfig::default();
        CopySpec {
            mode: d.mode,
            movers: d.movers,
            batch_bytes: d.batch_bytes,
            batch_timer: d.batch_timer,
            serializer_service: d.serializer_service,
            token_latency: d.token_latency,
            mover_read_overhead: d.mover_read_overhead,
            mover_batch: d.mover_batch,
            mover_buffer: d.mover_buffer,
            reupdate_accommodation: d.reupdate_accommodation,
            apply_parallel: d.apply_parallel,
            secondary_paths: d.secondary_paths,
            ack_interval: d.ack_interval,
            pit_interval: d.pit_interval,
            min_cycle_time: d.min_cycle_time,
            srdfa_cache_limit: d.srdfa_cache_limit,
            cg_interval: d.cg_interval,
            max_drain_time: d.max_drain_time,
            flashcopy_time: d.flashcopy_time,
            gm_whole_tracks: d.gm_whole_tracks,
            ur_journal_bytes: d.ur_journal_bytes,
            ur_read_bytes: d.ur_read_bytes,
            ur_poll_interval: d.ur_poll_interval,
            ur_reads: d.ur_reads,
            initial_copy: d.initial_copy,
            primary_cost: PRIMARY_COST_DEFAULT,
            sync: SyncSpec::default(),
            flow: FlowSpec::None,
            pairs: Vec::new(),
            zgm: ZgmSpec::default(),
        }
    }
}

/// The default of `copy.primary_cost`.
pub const PRIMARY_COST_DEFAULT: bool = true;

/// PPRC's CRIT option.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Critical {
    /// CRIT(NO): the pair suspends after the timeout and writes complete at the primary.
    No,
    /// CRIT(YES): writes wait for the secondary.
    Yes,
}

/// `[copy.sync]`: synchronous copy when a secondary cannot be reached.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncSpec {
    /// `"no"` (default): suspend the pair after `suspend_timeout`; `"yes"`: hold writes.
    pub critical: Critical,
    /// Suspend every pair at once when the first one suspends.
    pub freeze: bool,
    /// How long a write waits for a failed link before its pair suspends (default 2 s).
    pub suspend_timeout: SimDuration,
    /// Once every link is back, the suspended pairs resynchronise after this delay (the
    /// automation's or operator's CESTPAIR MODE(RESYNC)); default: none, they stay
    /// suspended until a `resume` fault.
    pub resync_after: Option<SimDuration>,
}

impl Default for SyncSpec {
    fn default() -> Self {
        let d = models::world::SyncPolicy::default();
        SyncSpec {
            critical: if d.critical {
                Critical::Yes
            } else {
                Critical::No
            },
            freeze: d.freeze,
            suspend_timeout: d.suspend_timeout,
            resync_after: d.resync_after,
        }
    }
}

/// Flow control when the copy falls behind.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case", deny_unknown_fields)]
pub enum FlowSpec {
    /// No flow control: the sidefile grows.
    #[default]
    None,
    /// Write pacing: a delay per write ramping with the device's residual count.
    Pacing {
        /// Residual count (record sets not yet read) where pacing starts (default 500).
        #[serde(default = "pacing_threshold")]
        threshold: u32,
        /// Pacing level 1-15 (maximum delay from 0.02 ms at level 1 to 1000 ms at 15, log
        /// spaced); or give `max_delay`.
        #[serde(default)]
        level: Option<u8>,
        /// Maximum delay per write.
        #[serde(default)]
        max_delay: Option<SimDuration>,
    },
    /// Device blocking above a residual count.
    Blocking {
        /// Residual count that blocks writes to the device (default 1000).
        #[serde(default = "blocking_threshold")]
        threshold: u32,
        /// Residual count that unblocks (default half the threshold).
        #[serde(default)]
        resume: Option<u32>,
    },
    /// Suspension of the session after a timeout above a sidefile threshold.
    Suspend {
        /// Session sidefile entries (default 10000).
        #[serde(default = "suspend_threshold")]
        threshold: u32,
        /// Time above the threshold before suspending (default 5s).
        #[serde(default = "suspend_timeout")]
        timeout: SimDuration,
        /// Delay before resynchronising once the backlog is gone (default 10s).
        #[serde(default = "resync_after")]
        resync_after: SimDuration,
    },
}

fn pacing_threshold() -> u32 {
    500
}
fn blocking_threshold() -> u32 {
    1000
}
fn suspend_threshold() -> u32 {
    10_000
}
fn suspend_timeout() -> SimDuration {
    SimDuration::from_secs(5)
}
fn resync_after() -> SimDuration {
    SimDuration::from_secs(10)
}

/// The maximum pacing delay of level `l` (1..=15): log-spaced from 0.02 ms to 1000 ms.
pub fn pacing_level_delay(l: u8) -> SimDuration {
    let l = l.clamp(1, 15) as f64;
    let ms = 0.02 * libm::pow(1000.0 / 0.02, (l - 1.0) / 14.0);
    SimDuration::from_secs_f64(ms / 1e3)
}

/// `[[copy.pairs]]`: an explicit volume pair.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairSpec {
    /// Primary VOLSER.
    pub primary: String,
    /// Site name.
    pub site: String,
    /// Secondary VOLSER (a volume on a storage control of that site).
    pub secondary: String,
    /// Only these data sets of the primary volume are shadowed (names, `*` globs;
    /// default: the whole volume).
    #[serde(default)]
    pub datasets: Option<Vec<String>>,
    /// The pair joins the session at this time (with an initial copy of its extents);
    /// default: from the start.
    #[serde(default)]
    pub from: Option<SimDuration>,
    /// The pair leaves the session at this time; default: never.
    #[serde(default)]
    pub until: Option<SimDuration>,
}

/// `[workload]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadGlobal {
    /// Total offered write rate, writes per second: scales every synthetic generator.
    pub write_rate: Option<f64>,
    /// An SPC block trace to replay instead of the synthetic generators (path relative to
    /// the scenario file).
    pub trace: Option<String>,
    /// Skip and count malformed trace lines instead of stopping at the first.
    pub trace_lenient: bool,
    /// Replay speed: 2 replays the trace twice as fast.
    pub trace_speed: Option<f64>,
    /// How the trace's block addresses map onto the volumes' data sets.
    pub trace_layout: Layout,
    /// ASU to volumes (`{ "0" = ["PRI000", "PRI001"] }`); default ASU 0 on every primary
    /// volume.
    pub trace_asus: std::collections::BTreeMap<String, Vec<String>>,
}

/// `[disaster]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DisasterSpec {
    /// When the primary site is lost (absent: no disaster).
    pub at: Option<SimDuration>,
    /// Cut the link at the same instant (messages on the wire are lost too).
    pub cut_link: bool,
    /// The part of the duplexed data the recovery operation covers: primary VOLSERs and
    /// data set name filters (`*` matches any characters); empty: all of it.
    pub recover: Vec<String>,
}

/// `[[faults]]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultSpec {
    /// The link to a site is cut and restored.
    LinkCut {
        /// Site name.
        site: String,
        /// Cut at.
        at: SimDuration,
        /// Restored at.
        until: SimDuration,
    },
    /// A primary storage control is lost.
    SubsystemLoss {
        /// Storage control name.
        subsystem: String,
        /// When.
        at: SimDuration,
    },
    /// A primary data mover crashes and restarts.
    MoverCrash {
        /// Mover number (0-based).
        mover: u32,
        /// When.
        at: SimDuration,
        /// Time to restart (default 5s).
        #[serde(default = "suspend_timeout")]
        restart: SimDuration,
    },
    /// The operator suspends the session (xrc modes): writes are only marked in the
    /// changed-track bitmap until a `resume`.
    Suspend {
        /// When.
        at: SimDuration,
    },
    /// The operator resumes the session: the changed tracks are resynchronised.
    Resume {
        /// When.
        at: SimDuration,
    },
    /// A site's secondary DASD slows down.
    SecondarySlowdown {
        /// Site name.
        site: String,
        /// From.
        at: SimDuration,
        /// Until.
        until: SimDuration,
        /// Service-time multiplier (>= 1).
        factor: f64,
    },
    /// Host channel programs end in unit check at a chosen rate: each try of a channel
    /// program from `at` until `until` fails with probability `rate`, with one of
    /// `errors` (`no_record_found`, `file_protected`, `invalid_track_format`,
    /// `equipment_check`; default all four); the host senses, then retries (equipment
    /// check) or fails the request (the others).
    CcwErrors {
        /// From.
        at: SimDuration,
        /// Until (default: the end of the run).
        #[serde(default)]
        until: Option<SimDuration>,
        /// Probability per channel program, 0..=1.
        rate: f64,
        /// The errors injected, drawn uniformly (default all four).
        #[serde(default = "all_ccw_errors")]
        errors: Vec<String>,
    },
}

fn all_ccw_errors() -> Vec<String> {
    models::world::CcwError::ALL
        .iter()
        .map(|e| e.name().to_string())
        .collect()
}

/// Checks the keys of a sweep's `[grid]` and `[set]` against this schema before any row
/// runs: a misspelt key is one error at its line and column of the sweep file, instead of
/// every row failing (see [`crate::load::check_override_keys`]).
pub fn check_sweep_keys(
    base: &crate::Source,
    sweep: &crate::sweep::SweepFile,
) -> Result<(), crate::LoadError> {
    let text = crate::read_file(&sweep.path)?;
    let grid = sweep.grid.iter().filter_map(|(k, v)| {
        v.first().map(|v| crate::load::OverrideKey {
            table: "grid",
            key: k,
            value: v,
        })
    });
    let set = sweep.set.iter().map(|(k, v)| crate::load::OverrideKey {
        table: "set",
        key: k,
        value: v,
    });
    let keys: Vec<_> = grid.chain(set).collect();
    crate::load::check_override_keys::<Scenario>(base, &text, &keys)
}

#[cfg(test)]
mod default_tests {
    use super::*;

    /// One set of defaults: a scenario that says nothing about a storage control or a link
    /// gets exactly the model's defaults.
    #[test]
    fn scenario_defaults_are_the_models() {
        let m = models::world::SubsystemConfig::default();
        let s = SubsystemSpec::named("SS01", "primary");
        assert_eq!(s.cache_mb << 20, m.cache_bytes);
        assert_eq!(s.nvs_mb << 20, m.nvs_bytes);
        assert_eq!(s.storage_paths, m.storage_paths);
        assert_eq!((s.channel_mbytes * 1e6) as u64, m.channel.rate);
        assert_eq!(s.command_overhead, m.channel.command_overhead);
        assert_eq!(s.status_overhead, m.channel.status_overhead);
        assert_eq!(s.destage_delay, m.destage_delay);
        let l = models::world::LinkConfig::default();
        let ls = LinkSpec::default();
        assert_eq!(ls.distance_km, l.distance_km);
        assert_eq!((ls.bandwidth_mbps * 1e6).round() as u64, l.bandwidth_bps);
        assert_eq!(ls.overhead_bytes, l.overhead_bytes);
        assert_eq!(ls.paths, l.paths);
    }
}
