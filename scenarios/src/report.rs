//! The run report: the JSON of docs/contracts.md section 2 (with extensions) and the human
//! summary printed by default.

use models::oracle::SiteReport;
use models::stats::Percentiles;
use models::world::WorldStats;
use models::world::link::LinkStats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

use crate::scope::RecoveryScope;

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always `xrcsim-report`.
    pub format: String,
    /// Report format version (2: per site `secondary_view`, `truth`, `disagreements`).
    pub version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// Copy mode.
    pub mode: String,
    /// Simulated time at the end of the run (after recovery), ns.
    pub sim_time_ns: u64,
    /// Wall-clock seconds the simulation took.
    pub wall_s: f64,
    /// Events dispatched.
    pub events: u64,
    /// Primary-site figures.
    pub primary: PrimaryReport,
    /// Link figures, all sites together.
    pub link: LinkReport,
    /// When the disaster struck, ns (null: none).
    pub disaster_at_ns: Option<u64>,
    /// Whether messages already on the wire at the disaster were still delivered to the
    /// sites and count in A, B and the lost counts (`true`: the link was not cut; `false`:
    /// `disaster.cut_link`, they were lost with the primary); null without a disaster.
    pub in_flight_delivered: Option<bool>,
    /// Whether the run drained (workload stopped, replication caught up) before evaluating.
    pub drained: bool,
    /// Per secondary site.
    pub sites: Vec<SiteOut>,
    /// Hash of the full event sequence (16 hex digits).
    pub trace_hash: String,
    /// Extension: running totals of the model (cache, NVS, movers, flow control...).
    pub model: WorldStats,
    /// Extension: simulated host writes per wall-clock second.
    pub writes_per_wall_s: f64,
    /// Extension, `zgm` only: per SDM session its consistency time, master recoverable
    /// time, residual count, buffers, journal use and the share of sampling instants each
    /// cause held it back (ANTX8117I-like delay attribution).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zgm: Vec<models::world::zgm::ZgmLive>,
    /// Extension: every volume pair at the end of the run, as an XQUERY volume report
    /// lists it (`xrcsim run --query volumes` prints it as a table).
    #[serde(default)]
    pub volumes: Vec<VolumeOut>,
    /// Extension: every storage control's cache and the copy's cost on it.
    #[serde(default)]
    pub storage_controls: Vec<StorageControlOut>,
}

/// One volume pair in the report's `volumes` section (what the primary knows at the end of
/// the run).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VolumeOut {
    /// Primary VOLSER.
    pub volser: String,
    /// Secondary VOLSER.
    pub secondary: String,
    /// Site name.
    pub site: String,
    /// `pending` (initial copy), `duplex`, `suspended` or `ended`.
    pub state: String,
    /// Record sets of the volume in the sidefile not yet read by a mover.
    pub residual: u32,
    /// Writes marked in the changed-track bitmap, not yet resynchronised.
    pub bitmap_writes: u64,
    /// Write-pacing delay a write to the volume would get now, ns (0: none).
    pub pacing_delay_ns: u64,
    /// Host time of the latest write of the volume every site has acknowledged as
    /// secured, ns (null: none).
    pub last_update_ns: Option<u64>,
    /// The volume's consistency time, ns, in modes that keep one (null otherwise).
    #[serde(default)]
    pub consistency_time_ns: Option<u64>,
    /// Why the copy is behind, if it is and the primary can tell: `suspended`,
    /// `device_blocked`, `write_pacing`, `link`, `buffers`, `primary_reads` (null: not
    /// behind).
    pub delay_cause: Option<String>,
}

/// One storage control in the report's `storage_controls` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StorageControlOut {
    /// Name (SSID).
    pub name: String,
    /// `primary` or the site's name.
    pub site: String,
    /// Host reads that found their tracks in cache.
    pub read_hits: u64,
    /// Host reads that went to the device.
    pub read_misses: u64,
    /// read_hits / (read_hits + read_misses) (null: no reads).
    pub read_hit_ratio: Option<f64>,
    /// Cache capacity, tracks.
    pub cache_tracks: u64,
    /// Cache tracks held by the copy's record sets at the end of the run
    /// (`copy.primary_cost`).
    pub copy_cache_tracks: u64,
    /// Mover reads that went through its paths (`copy.primary_cost`).
    pub copy_reads: u64,
    /// Storage-path time those reads held, ns.
    pub copy_path_busy_ns: u64,
}

/// The `volumes` section from the world at the end of the run.
pub fn volumes(w: &models::world::World) -> Vec<VolumeOut> {
    let cfg = w.config();
    w.volume_query()
        .into_iter()
        .map(|q| VolumeOut {
            volser: cfg.volumes[q.vol.0 as usize].volser.clone(),
            secondary: cfg.volumes[cfg.copy.pairs[q.pair].secondary.0 as usize]
                .volser
                .clone(),
            site: cfg.sites[q.site].name.clone(),
            state: q.state.text().into(),
            residual: q.residual,
            bitmap_writes: q.bitmap_writes,
            pacing_delay_ns: q.pacing_delay.as_nanos(),
            last_update_ns: q.secured_upto.map(|t| t.as_nanos()),
            consistency_time_ns: q.consistency_time,
            delay_cause: q.delay_cause.map(|c| c.text().into()),
        })
        .collect()
}

/// The `storage_controls` section from the world at the end of the run.
pub fn storage_controls(w: &models::world::World) -> Vec<StorageControlOut> {
    let cfg = w.config();
    cfg.subsystems
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let g = w.storage_gauges(i);
            let (reads, path_ns, _) = w.copy_cost(i);
            let n = g.read_hits + g.read_misses;
            StorageControlOut {
                name: s.name.clone(),
                site: s
                    .site
                    .map_or("primary".into(), |x| cfg.sites[x].name.clone()),
                read_hits: g.read_hits,
                read_misses: g.read_misses,
                read_hit_ratio: (n > 0).then(|| g.read_hits as f64 / n as f64),
                cache_tracks: g.cache_capacity,
                copy_cache_tracks: g.copy_tracks,
                copy_reads: reads,
                copy_path_busy_ns: path_ns,
            }
        })
        .collect()
}

/// The `volumes` section as a table for a person (`xrcsim run --query volumes`).
pub fn volumes_table(r: &Report) -> String {
    let mut o = String::new();
    o.push_str(
        "VOLSER   SECOND   SITE   STATE      RESIDUAL   BITMAP     PACING    LAST UPDATE     CONSISTENT  DELAY\n",
    );
    for v in &r.volumes {
        let _ = writeln!(
            o,
            "{:<8} {:<8} {:<6} {:<10} {:>8} {:>8} {:>10} {:>14} {:>14}  {}",
            v.volser,
            v.secondary,
            v.site,
            v.state.to_uppercase(),
            v.residual,
            v.bitmap_writes,
            if v.pacing_delay_ns == 0 {
                "-".to_string()
            } else {
                ms(v.pacing_delay_ns)
            },
            v.last_update_ns
                .map_or("-".to_string(), |t| format!("{:.6} s", t as f64 / 1e9)),
            v.consistency_time_ns
                .map_or("-".to_string(), |t| format!("{:.6} s", t as f64 / 1e9)),
            v.delay_cause.as_deref().unwrap_or("-")
        );
    }
    o
}

/// `primary`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrimaryReport {
    /// Host writes completed.
    pub writes: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Host write response time, ns.
    pub write_response_ns: Percentiles,
}

/// `link`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkReport {
    /// Messages sent.
    pub messages: u64,
    /// Bytes sent (with per-message overhead).
    pub bytes: u64,
    /// Transmission time over (paths x simulated time), all sites together.
    pub utilization: f64,
}

/// One site: the contract fields, then extensions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SiteOut {
    /// The contract fields (and the oracle's extensions).
    #[serde(flatten)]
    pub core: SiteReport,
    /// Extension: share of the sampled data-loss window owed to each pipeline stage
    /// (fractions summing to 1 when there was any lag).
    pub delay_attribution: BTreeMap<String, f64>,
    /// Extension: this site's link.
    pub link_stats: LinkStats,
    /// Extension: when the initial copy completed, ns (null: none sent, or not complete).
    pub initial_copy_done_ns: Option<u64>,
    /// Version 2: what the recovery site knows, from its own holdings only.
    pub secondary_view: SecondaryView,
    /// Version 2: the truth only the checker has.
    pub truth: Truth,
    /// Version 2: where the two views disagree or the secondary cannot know (sentences).
    pub disagreements: Vec<String>,
}

/// What the recovery site knows and recovered, from what reached it: the patent's output of
/// the recovery process (points A and B, every entry between them, the data sets it can
/// name from the Establish extents).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecondaryView {
    /// Point A as the site knows it: the last update written in sequence order.
    pub consistency_seq: u64,
    /// Point B: the highest sequence number among the tokens received.
    pub highest_token_seq: u64,
    /// Entries after A holding their data.
    pub entries_with_data: u64,
    /// Entries after A with a token and no data.
    pub entries_without_data: u64,
    /// Gaps in the site's numbering below B: writes the site knows are missing, not which.
    pub missing_tokens: u64,
    /// Entries after A already written to the secondary DASD out of sequence order.
    pub entries_written_out_of_order: u64,
    /// Data sets the site can name as affected (from the Establish extents), sorted.
    pub datasets_affected: Vec<DatasetStatus>,
    /// Data-set extents the Establish message named.
    pub extents_known: u64,
    /// Initial copy: fraction received (null: none sent). Below 1 the pairs are not
    /// duplex and the image is not a copy of the primary.
    pub initial_copy_progress: Option<f64>,
    /// The site writes updates in sequence order, so its image at A is consistent in time
    /// as far as it can know (false in `naive`).
    pub claims_consistent: bool,
    /// Every entry after A up to the last token received, in order.
    pub entries: Vec<EntryOut>,
    /// Version 2 extension: the part of the data the recovery operation covered
    /// (`disaster.recover`: VOLSERs and data set name filters; empty: all of it). With a
    /// scope, the counts, data sets and entries above are those of the scope (entries whose
    /// token never arrived are listed whatever the scope: the site cannot place them).
    #[serde(default)]
    pub recovery_scope: Vec<String>,
    /// Version 2 extension: the recovery status of every data set the site can name in
    /// the scope (from the Establish extents), sorted by name.
    #[serde(default)]
    pub datasets: Vec<DatasetRecovery>,
    /// Version 2 extension: writes that reached the site in point-in-time copies or
    /// `srdfa` cycles it had not applied and discarded at recovery (the receive set).
    #[serde(default)]
    pub discarded_writes: u64,
    /// Version 2 extension, `zgm` only: what the recovery site's System Data Mover knows
    /// after XRECOVER: the master recoverable time, per SDM session its journal consistency
    /// time, the time its volumes were recovered to, journal use, and per storage-control
    /// session the latest time stamp read. (In `zgm`, `consistency_seq` above is the newest
    /// record set the recovery wrote, `highest_token_seq` the newest it read, and `entries`
    /// the record sets it held and did not write.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zgm: Option<models::world::zgm::ZgmRecovery>,
}

/// A data set's state after recovery, as the recovery site can tell from its holdings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetRecovery {
    /// Data set name.
    pub name: String,
    /// Primary VOLSERs holding its extents.
    pub volumes: Vec<String>,
    /// `consistent`: recovered to A with no update of it after A known to the site;
    /// `behind`: recovered to A, and the site holds entries after A for it (listed in
    /// `entries`; their updates are not in the image); `unordered`: the site wrote updates
    /// as they arrived (`naive`), so no point in time can be claimed; `not_duplex`: the
    /// initial copy had not completed.
    pub status: String,
    /// Entries after A in it.
    pub entries_after_a: u64,
    /// Of those, holding their data (readable from the `--held` export).
    pub with_data: u64,
}

/// One affected data set as the recovery site lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetStatus {
    /// Data set name.
    pub name: String,
    /// Entries after A in it.
    pub entries: u64,
    /// Of those, holding their data.
    pub with_data: u64,
}

/// One entry after A as the recovery site lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryOut {
    /// The site's ordinal.
    pub ordinal: u64,
    /// Sequence number (null: the token never arrived).
    pub seq: Option<u64>,
    /// Primary VOLSER (null without the token).
    pub vol: Option<String>,
    /// Records as [cylinder, head, record].
    pub records: Vec<[u64; 3]>,
    /// Data set (null: unknown).
    pub dataset: Option<String>,
    /// Data held.
    pub data: bool,
    /// Already written to the secondary DASD.
    pub written: bool,
    /// The held content per record (16 hex digits each).
    pub digests: Vec<String>,
}

/// The truth for one site, from the checker that observed the whole run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// Point A as the checker computes it (the write before the oldest routed write not
    /// complete at the site).
    pub consistency_seq: u64,
    /// Routed writes not in the recovered image.
    pub writes_lost: u64,
    /// Of those, writes whose host had seen them complete.
    pub acknowledged_writes_lost: u64,
    /// Of those, writes whose tokens never reached the site: lost without its knowing.
    pub writes_lost_unknown_to_secondary: u64,
    /// Data sets holding lost writes, sorted.
    pub datasets_lost: Vec<String>,
    /// Of those, the data sets the secondary cannot name as affected, sorted.
    pub datasets_unknown_to_secondary: Vec<String>,
    /// The recovered image equals the primary image after writes 1..k for some k.
    pub prefix_consistent: bool,
}

impl SiteOut {
    /// The recovered image is a consistent prefix with no dependent-write violation, and
    /// the pairs were duplex (no unfinished initial copy).
    pub fn consistent(&self) -> bool {
        self.core.prefix_consistent
            && self.core.dependent_write_violations == 0
            && self
                .secondary_view
                .initial_copy_progress
                .is_none_or(|p| p >= 1.0)
    }
}

/// The secondary's view, the truth, and where they differ, for one site.
pub fn site_views(
    view: &models::world::secondary::RecoveryView,
    core: &SiteReport,
    volsers: &[String],
    scope: &RecoveryScope,
) -> (SecondaryView, Truth, Vec<String>) {
    let mut by_ds: BTreeMap<String, DatasetStatus> = BTreeMap::new();
    let (mut with, mut without, mut gaps, mut written) = (0, 0, 0, 0);
    let mut entries = Vec::with_capacity(view.entries.len());
    for e in view
        .entries
        .iter()
        .filter(|e| e.seq.is_none() || scope.contains_track(e.vol, e.span.first.track()))
    {
        match (e.seq.is_some(), e.data) {
            (_, true) => with += 1,
            (true, false) => without += 1,
            (false, false) => gaps += 1,
        }
        if e.written {
            written += 1;
        }
        if let Some(d) = &e.dataset {
            let st = by_ds.entry(d.clone()).or_insert_with(|| DatasetStatus {
                name: d.clone(),
                entries: 0,
                with_data: 0,
            });
            st.entries += 1;
            st.with_data += e.data as u64;
        }
        entries.push(EntryOut {
            ordinal: e.ordinal,
            seq: e.seq,
            vol: e.seq.map(|_| volsers[e.vol.0 as usize].clone()),
            records: if e.seq.is_some() {
                e.span
                    .iter()
                    .map(|a| [a.cyl as u64, a.head as u64, a.rec as u64])
                    .collect()
            } else {
                Vec::new()
            },
            dataset: e.dataset.clone(),
            data: e.data,
            written: e.written,
            digests: e.digests.iter().map(|d| d.to_string()).collect(),
        });
    }
    let not_duplex = view.initial_copy.is_some_and(|(rx, all)| rx < all);
    let mut datasets: BTreeMap<&str, DatasetRecovery> = BTreeMap::new();
    for x in view
        .extents
        .iter()
        .filter(|x| scope.contains_dataset(x.vol, &x.name))
    {
        let d = datasets
            .entry(x.name.as_str())
            .or_insert_with(|| DatasetRecovery {
                name: x.name.clone(),
                volumes: Vec::new(),
                status: String::new(),
                entries_after_a: 0,
                with_data: 0,
            });
        let volser = &volsers[x.vol.0 as usize];
        if !d.volumes.contains(volser) {
            d.volumes.push(volser.clone());
        }
    }
    for d in datasets.values_mut() {
        if let Some(a) = by_ds.get(&d.name) {
            d.entries_after_a = a.entries;
            d.with_data = a.with_data;
        }
        d.status = if not_duplex {
            "not_duplex"
        } else if !view.ordered {
            "unordered"
        } else if d.entries_after_a > 0 {
            "behind"
        } else {
            "consistent"
        }
        .into();
    }
    let sv = SecondaryView {
        consistency_seq: view.consistency_seq,
        highest_token_seq: view.highest_token_seq,
        entries_with_data: with,
        entries_without_data: without,
        missing_tokens: gaps,
        entries_written_out_of_order: written,
        datasets_affected: by_ds.into_values().collect(),
        extents_known: view.extents_known as u64,
        initial_copy_progress: view
            .initial_copy
            .map(|(rx, all)| rx as f64 / all.max(1) as f64),
        claims_consistent: view.ordered,
        entries,
        recovery_scope: scope.patterns().to_vec(),
        datasets: datasets.into_values().collect(),
        discarded_writes: view.discarded_writes,
        zgm: view.zgm.clone(),
    };
    let named: std::collections::BTreeSet<&str> = sv
        .datasets_affected
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    let truth = Truth {
        consistency_seq: core.consistency_seq,
        writes_lost: core.lost_writes,
        acknowledged_writes_lost: core.acknowledged_writes_lost,
        writes_lost_unknown_to_secondary: core.never_received,
        datasets_lost: core.lost_datasets.clone(),
        datasets_unknown_to_secondary: core
            .lost_datasets
            .iter()
            .filter(|d| !named.contains(d.as_str()))
            .cloned()
            .collect(),
        prefix_consistent: core.prefix_consistent,
    };
    let mut dis = Vec::new();
    if truth.writes_lost_unknown_to_secondary > 0 {
        let discarded = sv
            .discarded_writes
            .min(truth.writes_lost_unknown_to_secondary);
        let unknown = truth.writes_lost_unknown_to_secondary - discarded;
        if unknown > 0 {
            dis.push(format!(
                "{unknown} lost writes never reached the site (their tokens did not arrive): the recovery site cannot know of them",
            ));
        }
        if discarded > 0 {
            dis.push(format!(
                "{discarded} lost writes reached the site in a cycle or copy it had not applied and discarded at recovery: it counts them but cannot apply them consistently",
            ));
        }
    }
    if !truth.datasets_unknown_to_secondary.is_empty() {
        dis.push(format!(
            "data sets lost that the recovery site cannot name: {}",
            truth.datasets_unknown_to_secondary.join(", ")
        ));
    }
    if sv.claims_consistent && !truth.prefix_consistent {
        dis.push(
            "the site wrote in sequence order and believes its image consistent, but no prefix of the primary matches it".into(),
        );
    }
    if sv.consistency_seq > truth.consistency_seq && sv.claims_consistent {
        dis.push(format!(
            "the site believes A = {}, past the true consistency point {}",
            sv.consistency_seq, truth.consistency_seq
        ));
    }
    if let Some(z) = &sv.zgm {
        // The site recovered every session to a time; the checker knows the oldest write
        // it lacks (A+1). A write older than the recovered time missing from the image
        // means the time stamps misled the SDM (a broken common time reference) or the
        // sessions recovered to different times (uncoupled).
        let recovered = z
            .sessions
            .iter()
            .map(|s| s.recovered_to_ns)
            .min()
            .unwrap_or(0);
        let newest = z
            .sessions
            .iter()
            .map(|s| s.recovered_to_ns)
            .max()
            .unwrap_or(0);
        if newest > recovered {
            dis.push(format!(
                "the SDM sessions recovered to different times ({:.6} s to {:.6} s): not coupled, their volumes are not consistent with each other",
                recovered as f64 / 1e9,
                newest as f64 / 1e9
            ));
        }
    }
    if let Some(p) = sv.initial_copy_progress
        && p < 1.0
    {
        dis.push(format!(
            "the initial copy was {:.1}% complete: the pairs were not duplex, the image is not a copy of the primary",
            p * 100.0
        ));
    }
    (sv, truth, dis)
}

/// The `zgm` lines of what the recovery site knows: the time XRECOVER recovered to, per
/// SDM session its journal consistency time and journal, per storage-control session the
/// latest time stamp read.
fn zgm_human(o: &mut String, z: &models::world::zgm::ZgmRecovery, v: &SecondaryView) {
    let s = |ns: u64| format!("{:.6} s", ns as f64 / 1e9);
    let _ = writeln!(
        o,
        "    XRECOVER        master recoverable time {} ({}); {} record sets held and not applied",
        s(z.master_time_ns),
        if z.coupled {
            "coupled: no session applies past it"
        } else {
            "not coupled: each session recovers to its own time"
        },
        v.entries_with_data
    );
    for x in &z.sessions {
        let _ = writeln!(
            o,
            "    session {:<8} journal (consistency) time {}, volumes recovered to {}; journal {} groups, {} (peak {} of {})",
            x.name,
            s(x.consistency_time_ns),
            s(x.recovered_to_ns),
            x.journal_groups,
            bytes(x.journal_bytes),
            bytes(x.journal_peak_bytes),
            bytes(x.journal_capacity_bytes)
        );
        for c in &x.storage_controls {
            let _ = writeln!(
                o,
                "      {}/{} latest time stamp read {}, {} record sets read, residual count {}",
                c.subsystem,
                c.reader,
                s(c.latest_time_stamp_read_ns),
                c.record_sets_read,
                c.residual_count
            );
        }
    }
}

impl Report {
    /// Whether every site's recovered image is a consistent prefix with no dependent-write
    /// violation.
    pub fn consistent(&self) -> bool {
        self.sites.iter().all(SiteOut::consistent)
    }
}

fn ms(ns: u64) -> String {
    if ns >= 10_000_000_000 {
        format!("{:.1} s", ns as f64 / 1e9)
    } else {
        format!("{:.3} ms", ns as f64 / 1e6)
    }
}

fn bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.2} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{b} B")
    }
}

/// The human summary. `color`: ANSI colours for a terminal.
pub fn human(r: &Report, color: bool) -> String {
    let (bold, green, red, dim, reset) = if color {
        ("\x1b[1m", "\x1b[32m", "\x1b[31m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "", "", "")
    };
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{bold}xrcsim{reset} scenario {bold}{}{reset}  mode {bold}{}{reset}  seed {}",
        r.scenario, r.mode, r.seed
    );
    let _ = writeln!(
        o,
        "{dim}simulated {:.3} s in {:.2} s wall, {} events, {:.0} writes/s wall{reset}",
        r.sim_time_ns as f64 / 1e9,
        r.wall_s,
        r.events,
        r.writes_per_wall_s
    );
    match r.disaster_at_ns {
        Some(t) => {
            let _ = writeln!(o, "disaster at       {:.6} s", t as f64 / 1e9);
            let _ = match r.in_flight_delivered {
                Some(false) => writeln!(
                    o,
                    "                  link cut with it: messages on the wire were lost"
                ),
                _ => writeln!(
                    o,
                    "                  link not cut: messages on the wire still arrived and count"
                ),
            };
        }
        None if r.drained => {
            let _ = writeln!(o, "no disaster; drained at the end");
        }
        None => {
            let _ = writeln!(o, "no disaster; evaluated at the end of the workload");
        }
    }
    let p = &r.primary;
    let _ = writeln!(o, "primary writes    {} ({})", p.writes, bytes(p.bytes));
    let w = &p.write_response_ns;
    let _ = writeln!(
        o,
        "write response    mean {}  p50 {}  p99 {}  max {}",
        ms(w.mean),
        ms(w.p50),
        ms(w.p99),
        ms(w.max)
    );
    let _ = writeln!(
        o,
        "link              {} messages, {}, utilization {:.1}%",
        r.link.messages,
        bytes(r.link.bytes),
        r.link.utilization * 100.0
    );
    if r.model.cycles > 0 {
        let _ = writeln!(
            o,
            "delta-set cycles  {} switches, mean {}, longest {}",
            r.model.cycles,
            ms(r.model.cycle_time_sum_ns / r.model.cycles),
            ms(r.model.cycle_time_max_ns)
        );
    }
    if r.model.consistency_groups + r.model.cg_failures > 0 {
        let _ = writeln!(
            o,
            "consistency groups {} formed (mean {}, longest {}), {} failed on the drain time",
            r.model.consistency_groups,
            ms(r.model.cg_time_sum_ns / r.model.consistency_groups.max(1)),
            ms(r.model.cg_time_max_ns),
            r.model.cg_failures
        );
    }
    if r.model.journal_reads > 0 {
        let _ = writeln!(
            o,
            "master journal    peak {}; {} read-journal commands ({} answered empty)",
            bytes(r.model.journal_peak_bytes),
            r.model.journal_reads,
            r.model.journal_empty_reads
        );
    }
    if r.model.paced_writes > 0 {
        let _ = writeln!(
            o,
            "write pacing      {} writes delayed, {} added ({} per paced write); residual count peak {}",
            r.model.paced_writes,
            ms(r.model.pacing_delay_ns),
            ms(r.model.pacing_delay_ns / r.model.paced_writes.max(1)),
            r.model.residual_peak
        );
    }
    if r.model.blocked_writes > 0 {
        let _ = writeln!(
            o,
            "device blocking   {} writes held",
            r.model.blocked_writes
        );
    }
    for sc in r.storage_controls.iter().filter(|s| s.site == "primary") {
        let Some(h) = sc.read_hit_ratio else { continue };
        let _ = writeln!(
            o,
            "cache {:<11} read hit ratio {:.3}{}",
            sc.name,
            h,
            if sc.copy_reads > 0 {
                format!(
                    "; copy: {} mover reads held a storage path {}, {} tracks held at the end",
                    sc.copy_reads,
                    ms(sc.copy_path_busy_ns),
                    sc.copy_cache_tracks
                )
            } else {
                String::new()
            }
        );
    }
    let not_duplex: Vec<String> = ["pending", "suspended", "ended"]
        .iter()
        .filter_map(|st| {
            let n = r.volumes.iter().filter(|v| v.state == *st).count();
            (n > 0).then(|| format!("{n} {st}"))
        })
        .collect();
    if !not_duplex.is_empty() {
        let _ = writeln!(
            o,
            "volume pairs      {} of {} not duplex at the end: {} (--query volumes lists them)",
            r.volumes.len() - r.volumes.iter().filter(|v| v.state == "duplex").count(),
            r.volumes.len(),
            not_duplex.join(", ")
        );
    }
    for (t, why) in &r.model.suspensions {
        let _ = writeln!(
            o,
            "{red}session suspended{reset} at {:.3} s: {why}",
            *t as f64 / 1e9
        );
    }
    for s in &r.sites {
        let c = &s.core;
        let _ = writeln!(o);
        let _ = writeln!(o, "{bold}site {}{reset}", c.site);
        let _ = writeln!(
            o,
            "  writes routed   {}   applied {}",
            c.writes_routed, c.writes_applied
        );
        let _ = writeln!(
            o,
            "  point A         {}   (consistency point)",
            c.consistency_seq
        );
        let _ = writeln!(
            o,
            "  point B         {}   (highest token received)",
            c.highest_token_seq
        );
        let _ = writeln!(
            o,
            "  between A and B {} complete, {} without data; {} tokens never received",
            c.pending_complete, c.pending_incomplete, c.never_received
        );
        let _ = writeln!(
            o,
            "  lost            {} writes, {}",
            c.lost_writes,
            bytes(c.lost_bytes)
        );
        if !c.lost_datasets.is_empty() {
            let shown: Vec<&str> = c.lost_datasets.iter().take(8).map(|s| s.as_str()).collect();
            let more = if c.lost_datasets.len() > 8 {
                format!(" and {} more", c.lost_datasets.len() - 8)
            } else {
                String::new()
            };
            let _ = writeln!(o, "  lost data sets  {}{more}", shown.join(", "));
        }
        let _ = writeln!(o, "  data-loss window {}", ms(c.data_loss_window_ns));
        let rp = &c.rpo_ns;
        let _ = writeln!(
            o,
            "  RPO over run    mean {}  p50 {}  p99 {}  max {}",
            ms(rp.mean),
            ms(rp.p50),
            ms(rp.p99),
            ms(rp.max)
        );
        let mut shares: Vec<(&String, &f64)> = s
            .delay_attribution
            .iter()
            .filter(|(_, v)| **v > 0.005)
            .collect();
        shares.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
        if !shares.is_empty() {
            let parts: Vec<String> = shares
                .iter()
                .map(|(k, v)| format!("{} {:.0}%", k.replace('_', " "), **v * 100.0))
                .collect();
            let _ = writeln!(o, "  window owed to  {}", parts.join(", "));
        }
        let ok = s.consistent();
        let not_duplex = s.secondary_view.initial_copy_progress.filter(|p| *p < 1.0);
        let verdict = if let Some(p) = not_duplex {
            format!(
                "{red}NOT DUPLEX{reset}: the initial copy was {:.1}% complete; the secondary is not a copy of the primary",
                p * 100.0
            )
        } else if ok {
            format!(
                "{green}CONSISTENT{reset}: the image equals the primary after writes 1..{}",
                c.consistent_seq.unwrap_or(0)
            )
        } else {
            format!(
                "{red}INCONSISTENT{reset}: {} records differ from the image at A, {} dependent-write violations{}",
                c.mismatched_records,
                c.dependent_write_violations,
                if c.prefix_consistent {
                    ""
                } else {
                    ", no prefix of the primary matches"
                }
            )
        };
        let _ = writeln!(o, "  verdict         {verdict}");
        let v = &s.secondary_view;
        let _ = writeln!(o, "  {bold}what the recovery site knows{reset}");
        if !v.recovery_scope.is_empty() {
            let _ = writeln!(
                o,
                "    recovery of     {} (the part of the data recovered and listed)",
                v.recovery_scope.join(", ")
            );
        }
        if let Some(z) = &v.zgm {
            zgm_human(&mut o, z, v);
        } else {
            let _ = writeln!(
                o,
                "    A {}  B {}; after A: {} entries with data, {} without, {} tokens missing from its numbering{}",
                v.consistency_seq,
                v.highest_token_seq,
                v.entries_with_data,
                v.entries_without_data,
                v.missing_tokens,
                if v.entries_written_out_of_order > 0 {
                    format!(
                        ", {} already written out of order",
                        v.entries_written_out_of_order
                    )
                } else {
                    String::new()
                }
            );
        }
        if !v.datasets_affected.is_empty() {
            let shown: Vec<String> = v
                .datasets_affected
                .iter()
                .take(8)
                .map(|d| format!("{} ({}/{} with data)", d.name, d.with_data, d.entries))
                .collect();
            let more = if v.datasets_affected.len() > 8 {
                format!(" and {} more", v.datasets_affected.len() - 8)
            } else {
                String::new()
            };
            let _ = writeln!(o, "    data sets it names  {}{more}", shown.join(", "));
        }
        if v.discarded_writes > 0 {
            let _ = writeln!(
                o,
                "    discarded       {} writes received in a cycle or copy not yet applied (receive set)",
                v.discarded_writes
            );
        }
        if !v.datasets.is_empty() {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for d in &v.datasets {
                *counts.entry(d.status.as_str()).or_default() += 1;
            }
            let parts: Vec<String> = counts
                .iter()
                .map(|(k, n)| format!("{n} {}", k.replace('_', " ")))
                .collect();
            let _ = writeln!(o, "    data set status {}", parts.join(", "));
        }
        let t = &s.truth;
        let _ = writeln!(o, "  {bold}the truth (checker only){reset}");
        let _ = writeln!(
            o,
            "    {} writes lost, {} of them acknowledged to the host, {} never reached the site",
            t.writes_lost, t.acknowledged_writes_lost, t.writes_lost_unknown_to_secondary
        );
        for d in &s.disagreements {
            let _ = writeln!(o, "    {red}!{reset} {d}");
        }
    }
    let _ = writeln!(o);
    for z in &r.zgm {
        let mut d: Vec<(&String, &f64)> = z.delay.iter().filter(|(_, v)| **v > 0.0).collect();
        d.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
        let d: Vec<String> = d
            .iter()
            .map(|(k, v)| format!("{} {:.0}%", k.to_uppercase(), **v * 100.0))
            .collect();
        let _ = writeln!(
            o,
            "zgm session {} at {}: delay (ANTX8117I-like) {}; journal peak {}",
            z.name,
            z.site,
            if d.is_empty() {
                "none".into()
            } else {
                d.join(", ")
            },
            bytes(z.journal_peak_bytes)
        );
    }
    let _ = writeln!(o, "{dim}trace hash {}{reset}", r.trace_hash);
    o
}
