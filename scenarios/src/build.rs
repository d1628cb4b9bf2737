//! From a loaded [`Scenario`] to the world it describes: defaults for what is missing (the
//! baseline topology), names resolved to indices, cross-field checks reported at the key
//! that is wrong (`volumes[3].subsystem: no storage control named SSX9; ...`).

use crate::load::{LoadError, Loaded};
use crate::schema::*;
use crate::scope::{RecoveryScope, glob};
use models::dasd::{DataSet, DeviceType, VolumeImage};
use models::types::{SubsystemId, VolumeId};
use models::workload::{AsuVolumes, BlockMap, DataSetShape, TraceVolume, Workload, WorkloadSpec};
use models::world::*;
use sim::SimTime;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A trace to replay: what the runner needs to read it and feed it.
#[derive(Clone, Debug)]
pub struct TracePlan {
    /// The SPC file.
    pub path: PathBuf,
    /// Skip malformed lines.
    pub lenient: bool,
    /// Replay speed factor.
    pub speed: f64,
    /// Host and application that replay it.
    pub host: usize,
    /// Application index on the host.
    pub app: usize,
    /// The block map (slots are the application's data-set slots).
    pub map: BlockMap,
}

/// A scenario made ready to run.
#[derive(Clone, Debug)]
pub struct Built {
    /// The world.
    pub world: WorldConfig,
    /// The trace to replay, if any.
    pub trace: Option<TracePlan>,
    /// Drain at the end.
    pub drain: bool,
    /// The part of the duplexed data the recovery operation covers (`disaster.recover`).
    pub scope: RecoveryScope,
    /// The memory guard's cap on record sets and messages in flight (`run.max_pending`).
    pub max_pending: u64,
}

/// `template` with its trailing decimal digits increased by `i`, keeping their width
/// (`P00000`, 12 -> `P00012`); a name without trailing digits gets `i` appended.
pub fn numbered(template: &str, i: u32) -> String {
    let digits = template
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let (stem, num) = template.split_at(template.len() - digits);
    let base: u64 = num.parse().unwrap_or(0);
    format!("{stem}{:0width$}", base + i as u64, width = digits)
}

/// Expands `count` on storage controls and volumes into individual entries.
/// The most storage controls a scenario may have (after `count`).
pub const MAX_SUBSYSTEMS: usize = 10_000;
/// The most volumes a scenario may have (after `count`).
pub const MAX_VOLUMES: usize = 100_000;

/// Refuses counts that would build an unreasonably large world: (path, message).
fn check_counts(s: &Scenario) -> Result<(), (String, String)> {
    let mut n = 0usize;
    for (i, x) in s.subsystems.iter().enumerate() {
        n = n.saturating_add(x.count.unwrap_or(1) as usize);
        if n > MAX_SUBSYSTEMS {
            return Err((
                format!("subsystems[{i}].count"),
                format!("at most {MAX_SUBSYSTEMS} storage controls in all"),
            ));
        }
    }
    let mut n = 0usize;
    for (i, v) in s.volumes.iter().enumerate() {
        n = n.saturating_add(v.count.unwrap_or(1) as usize);
        if n > MAX_VOLUMES {
            return Err((
                format!("volumes[{i}].count"),
                format!("at most {MAX_VOLUMES} volumes in all"),
            ));
        }
    }
    Ok(())
}

fn expand_counts(s: &mut Scenario) {
    let mut subsystems = Vec::new();
    for x in s.subsystems.drain(..) {
        let n = x.count.unwrap_or(1).max(1);
        for i in 0..n {
            let mut y = x.clone();
            y.count = None;
            if x.count.is_some() {
                y.name = numbered(&x.name, i);
            }
            subsystems.push(y);
        }
    }
    s.subsystems = subsystems;
    let mut volumes = Vec::new();
    for v in s.volumes.drain(..) {
        let Some(n) = v.count else {
            volumes.push(v);
            continue;
        };
        for i in 0..n.max(1) {
            let mut y = v.clone();
            y.count = None;
            y.spread = Vec::new();
            y.volser = numbered(&v.volser, i);
            if !v.spread.is_empty() {
                y.subsystem = v.spread[i as usize % v.spread.len()].clone();
            }
            for d in &mut y.datasets {
                d.name = d.name.replace("{n}", &i.to_string());
            }
            volumes.push(y);
        }
    }
    s.volumes = volumes;
}

/// The track extents of the data sets matching any of `patterns`.
fn shadowed_extents(datasets: &[DataSet], patterns: &[String]) -> Vec<(u64, u64)> {
    datasets
        .iter()
        .filter(|d| patterns.iter().any(|p| glob(p, &d.name)))
        .map(|d| (d.first_track, d.last_track))
        .collect()
}

/// Fills in the baseline topology when the scenario gives no volume, and expands counts;
/// refuses counts beyond [`MAX_VOLUMES`] / [`MAX_SUBSYSTEMS`] with (key path, message).
pub fn apply_defaults(s: &mut Scenario) -> Result<(), (String, String)> {
    check_counts(s)?;
    expand_counts(s);
    if s.volumes.is_empty() {
        if s.subsystems.iter().all(|x| x.site != "primary") {
            s.subsystems
                .insert(0, SubsystemSpec::named("SSA1", "primary"));
            s.subsystems
                .insert(1, SubsystemSpec::named("SSA2", "primary"));
        }
        let prim: Vec<String> = s
            .subsystems
            .iter()
            .filter(|x| x.site == "primary")
            .map(|x| x.name.clone())
            .collect();
        for i in 0..8usize {
            let db = i / 2;
            let (name, cyls) = if i % 2 == 0 {
                (format!("DB{db}.LOG"), [1, 100])
            } else {
                (format!("DB{db}.DATA"), [1, 1000])
            };
            s.volumes.push(VolumeSpec {
                volser: format!("PRI{i:03}"),
                device: "3390-3".into(),
                subsystem: prim[i % prim.len()].clone(),
                datasets: vec![DataSetSpec {
                    name,
                    cyls: Some(cyls),
                    tracks: None,
                    record: 4096,
                    key: 0,
                }],
                count: None,
                spread: Vec::new(),
            });
        }
        if s.hosts.is_empty() {
            for (h, sys) in ["SYSA", "SYSB"].iter().enumerate() {
                let apps = (0..2)
                    .map(|k| {
                        let db = 2 * h + k;
                        AppSpec {
                            name: format!("DB{db}"),
                            datasets: vec![format!("DB{db}.LOG"), format!("DB{db}.DATA")],
                            workload: WorkloadSpec::oltp(75.0, 0, 1, 0.8),
                            programs: Default::default(),
                        }
                    })
                    .collect();
                s.hosts.push(HostSpec {
                    name: sys.to_string(),
                    paths: 4,
                    apps,
                    erp_retries: models::world::DEFAULT_ERP_RETRIES,
                });
            }
        }
    }
    if s.sites.is_empty() {
        s.sites.push(SiteSpec {
            name: "S1".into(),
            volumes: None,
            datasets: None,
            link: LinkOverride::default(),
        });
    }
    Ok(())
}

/// The VOLSER of the automatic secondary volume of `primary` at site number `site`: the
/// primary's VOLSER with its first character replaced by a site letter (S, T, U, ...).
fn auto_secondary_volser(primary: &str, site: usize, taken: &BTreeMap<String, usize>) -> String {
    let rest: String = primary.chars().skip(1).take(5).collect();
    let letters = b"STUVWXYZ";
    for k in 0..letters.len() {
        let c = letters[(site + k) % letters.len()] as char;
        let v = format!("{c}{rest}");
        if !taken.contains_key(&v) {
            return v;
        }
    }
    format!("#{site}{}", &rest[..rest.len().min(4)])
}

fn allowed(names: impl Iterator<Item = impl AsRef<str>>) -> String {
    let v: Vec<String> = names.map(|n| n.as_ref().to_string()).collect();
    if v.len() > 12 {
        format!("{}, ... ({} in all)", v[..12].join(", "), v.len())
    } else {
        v.join(", ")
    }
}

/// An application's `programs` table as a [`ProgramMix`]: every name a known family,
/// every weight finite and >= 0, some weight positive; empty: `update` alone.
fn build_programs(
    l: &Loaded<Scenario>,
    path: &str,
    weights: &BTreeMap<String, f64>,
) -> Result<models::workload::ProgramMix, LoadError> {
    use models::workload::{Program, ProgramMix};
    if weights.is_empty() {
        return Ok(ProgramMix::default());
    }
    let mut w = Vec::new();
    for (name, &x) in weights {
        let Some(p) = Program::from_name(name) else {
            return Err(l.error_at(
                &format!("{path}.{name}"),
                format!(
                    "unknown channel-program family `{name}`; allowed: {}",
                    allowed(Program::ALL.iter().map(|p| p.name()))
                ),
            ));
        };
        if !x.is_finite() || x < 0.0 {
            return Err(l.error_at(
                &format!("{path}.{name}"),
                format!("must be a weight >= 0, got {x}"),
            ));
        }
        w.push((p, x));
    }
    ProgramMix::new(&w).map_err(|e| l.error_at(path, e))
}

fn positive(l: &Loaded<Scenario>, path: &str, v: f64) -> Result<(), LoadError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(l.error_at(path, format!("must be a number > 0, got {v}")))
    }
}

/// Builds the world of `loaded` (after [`apply_defaults`]); `base_dir` resolves relative
/// paths (the trace file). One builder per part, in dependency order: sites, storage
/// controls, volumes, pairs, hosts and applications, the workload (scaling or trace
/// replay), links, the copy session, faults, the recovery scope.
pub fn build(loaded: &Loaded<Scenario>, base_dir: &Path) -> Result<Built, LoadError> {
    let l = loaded;
    let s = &loaded.value;
    let site_idx = build_sites(l, s)?;
    let (subsystems, ss_idx) = build_subsystems(l, s, &site_idx)?;
    let (volumes, vol_idx) = build_volumes(l, s, &ss_idx)?;
    let mut layout = Layout::new(l, subsystems, volumes, vol_idx)?;
    build_pairs(l, s, &site_idx, &mut layout)?;
    let (mut hosts, total_rate) = build_hosts(l, s, &layout)?;
    let trace = build_workload(l, s, &layout, &mut hosts, total_rate, base_dir)?;
    let sites = build_links(l, s)?;
    let zgm = build_zgm(l, s, &layout.subsystems)?;
    let mut copy = build_copy(l, s, std::mem::take(&mut layout.pairs))?;
    copy.zgm = zgm;
    // Faults (and the session operations of the pairs).
    let faults = build_faults(
        l,
        s,
        std::mem::take(&mut layout.pair_events),
        &site_idx,
        &ss_idx,
    )?;
    if s.run.length.is_zero() {
        return Err(l.error_at("run.length", "must be longer than 0"));
    }
    if s.run.rpo_interval.is_zero() {
        return Err(l.error_at("run.rpo_interval", "must be longer than 0"));
    }
    let world = WorldConfig {
        name: s.name.clone(),
        hosts,
        subsystems: layout.subsystems,
        volumes: layout.volumes,
        sites,
        copy,
        faults,
        run: RunConfig {
            seed: s.run.seed,
            length: s.run.length,
            rpo_interval: s.run.rpo_interval,
            history_window: s.run.history_window,
        },
    };
    let scope = RecoveryScope::new(&s.disaster.recover, &world)
        .map_err(|m| l.error_at("disaster.recover", m))?;
    if s.run.max_pending == 0 {
        return Err(l.error_at("run.max_pending", "must be at least 1"));
    }
    Ok(Built {
        world,
        trace,
        drain: s.run.drain,
        scope,
        max_pending: s.run.max_pending,
    })
}

/// The secondary sites by name (checked: unique, at most `MAX_SITES`).
fn build_sites(l: &Loaded<Scenario>, s: &Scenario) -> Result<BTreeMap<String, usize>, LoadError> {
    let mut site_idx: BTreeMap<String, usize> = BTreeMap::new();
    for (i, site) in s.sites.iter().enumerate() {
        if site_idx.insert(site.name.clone(), i).is_some() {
            return Err(l.error_at(
                &format!("sites[{i}].name"),
                format!("site name `{}` is used twice", site.name),
            ));
        }
    }
    if s.sites.len() > MAX_SITES {
        return Err(l.error_at(
            "sites",
            format!(
                "at most {MAX_SITES} sites are supported, got {}",
                s.sites.len()
            ),
        ));
    }
    Ok(site_idx)
}

/// The storage controls, primary and secondary, by name.
fn build_subsystems(
    l: &Loaded<Scenario>,
    s: &Scenario,
    site_idx: &BTreeMap<String, usize>,
) -> Result<(Vec<SubsystemConfig>, BTreeMap<String, usize>), LoadError> {
    let mut subsystems: Vec<SubsystemConfig> = Vec::new();
    let mut ss_idx: BTreeMap<String, usize> = BTreeMap::new();
    for (i, x) in s.subsystems.iter().enumerate() {
        let site = if x.site == "primary" {
            None
        } else {
            Some(*site_idx.get(&x.site).ok_or_else(|| {
                l.error_at(
                    &format!("subsystems[{i}].site"),
                    format!(
                        "no site named `{}`; sites are: primary, {}",
                        x.site,
                        allowed(site_idx.keys())
                    ),
                )
            })?)
        };
        positive(
            l,
            &format!("subsystems[{i}].channel_mbytes"),
            x.channel_mbytes,
        )?;
        if x.storage_paths == 0 {
            return Err(l.error_at(
                &format!("subsystems[{i}].storage_paths"),
                "must be at least 1",
            ));
        }
        if ss_idx.insert(x.name.clone(), i).is_some() {
            return Err(l.error_at(
                &format!("subsystems[{i}].name"),
                format!("storage control name `{}` is used twice", x.name),
            ));
        }
        subsystems.push(SubsystemConfig {
            name: x.name.clone(),
            site,
            cache_bytes: x.cache_mb.saturating_mul(1 << 20),
            nvs_bytes: x.nvs_mb.saturating_mul(1 << 20),
            storage_paths: x.storage_paths,
            channel: ChannelTiming {
                rate: (x.channel_mbytes * 1e6) as u64,
                command_overhead: x.command_overhead,
                per_ccw: ChannelTiming::default().per_ccw,
                status_overhead: x.status_overhead,
            },
            destage_delay: x.destage_delay,
            write_miss_to_device: x.write_miss_to_device,
            rps_miss: x.rps_miss,
            destage_threshold: match x.destage_threshold {
                Some(f) if !(f.is_finite() && f > 0.0 && f <= 1.0) => {
                    return Err(l.error_at(
                        &format!("subsystems[{i}].destage_threshold"),
                        format!("must be a fraction of NVS, 0 < x <= 1, got {f}"),
                    ));
                }
                t => t,
            },
            cu_busy_retry: x.cu_busy_retry,
        });
    }
    Ok((subsystems, ss_idx))
}

/// The volumes with their data-set extents, by VOLSER.
fn build_volumes(
    l: &Loaded<Scenario>,
    s: &Scenario,
    ss_idx: &BTreeMap<String, usize>,
) -> Result<(Vec<VolumeConfig>, BTreeMap<String, usize>), LoadError> {
    let mut volumes: Vec<VolumeConfig> = Vec::new();
    let mut vol_idx: BTreeMap<String, usize> = BTreeMap::new();
    for (i, v) in s.volumes.iter().enumerate() {
        let device = DeviceType::from_name(&v.device)
            .map_err(|e| l.error_at(&format!("volumes[{i}].device"), e))?;
        let ss = *ss_idx.get(&v.subsystem).ok_or_else(|| {
            l.error_at(
                &format!("volumes[{i}].subsystem"),
                format!(
                    "no storage control named `{}`; storage controls are: {}",
                    v.subsystem,
                    allowed(ss_idx.keys())
                ),
            )
        })?;
        let mut datasets = Vec::new();
        for (j, d) in v.datasets.iter().enumerate() {
            let at = format!("volumes[{i}].datasets[{j}]");
            let (first, last) = match (d.cyls, d.tracks) {
                (Some([a, b]), None) => (a * 15, b * 15 + 14),
                (None, Some([a, b])) => (a, b),
                (Some(_), Some(_)) => {
                    return Err(l.error_at(&at, "give `cyls` or `tracks`, not both"));
                }
                (None, None) => {
                    return Err(l.error_at(
                        &at,
                        "give the extent as `cyls = [first, last]` or `tracks = [first, last]`",
                    ));
                }
            };
            if d.record == 0 || d.record > u16::MAX as u32 {
                return Err(l.error_at(
                    &format!("{at}.record"),
                    format!(
                        "record length must be 1..={} bytes, got {}",
                        device.max_record_bytes(),
                        d.record
                    ),
                ));
            }
            datasets.push(DataSet::new(&d.name, first, last, d.key, d.record as u16));
        }
        datasets.sort_by_key(|d| d.first_track);
        VolumeImage::new(&v.volser, device, datasets.clone())
            .map_err(|e| l.error_at(&format!("volumes[{i}]"), e))?;
        if vol_idx.insert(v.volser.clone(), i).is_some() {
            return Err(l.error_at(
                &format!("volumes[{i}].volser"),
                format!("VOLSER `{}` is used twice", v.volser),
            ));
        }
        volumes.push(VolumeConfig {
            volser: v.volser.clone(),
            device,
            subsystem: SubsystemId(ss as u16),
            datasets,
        });
    }
    Ok((volumes, vol_idx))
}

/// The physical layout as the builders fill it in: storage controls, volumes (automatic
/// secondaries added by [`build_pairs`]), the primary volumes, the pairs and their session
/// operations.
struct Layout {
    subsystems: Vec<SubsystemConfig>,
    volumes: Vec<VolumeConfig>,
    vol_idx: BTreeMap<String, usize>,
    /// Primary volumes, by index.
    primaries: Vec<usize>,
    pairs: Vec<PairConfig>,
    /// Pairs joining or leaving the session during the run.
    pair_events: Vec<Fault>,
}

impl Layout {
    fn new(
        l: &Loaded<Scenario>,
        subsystems: Vec<SubsystemConfig>,
        volumes: Vec<VolumeConfig>,
        vol_idx: BTreeMap<String, usize>,
    ) -> Result<Self, LoadError> {
        let primaries: Vec<usize> = (0..volumes.len())
            .filter(|&v| subsystems[volumes[v].subsystem.0 as usize].site.is_none())
            .collect();
        if primaries.is_empty() {
            return Err(l.error_at("volumes", "no primary volume: give at least one volume on a storage control with site = \"primary\""));
        }
        Ok(Layout {
            subsystems,
            volumes,
            vol_idx,
            primaries,
            pairs: Vec::new(),
            pair_events: Vec::new(),
        })
    }

    /// The shape of data set `j` of volume `v` for a workload: records and records per track.
    fn shape(&self, v: usize, j: usize) -> DataSetShape {
        let d = &self.volumes[v].datasets[j];
        let per = self.volumes[v]
            .device
            .records_per_track(d.key_len, d.data_len as u32);
        DataSetShape {
            records: d.tracks() * per as u64,
            records_per_track: per,
        }
    }
}

/// The pairs: explicit ones first, then automatic ones for each site's volumes (with
/// automatic secondary volumes and storage controls where the site has none).
fn build_pairs(
    l: &Loaded<Scenario>,
    s: &Scenario,
    site_idx: &BTreeMap<String, usize>,
    layout: &mut Layout,
) -> Result<(), LoadError> {
    // (primary volume, site) already paired.
    let mut paired: std::collections::BTreeSet<(usize, usize)> = Default::default();
    explicit_pairs(l, s, site_idx, layout, &mut paired)?;
    automatic_pairs(l, s, layout, &mut paired)
}

/// The pairs `[[copy.pairs]]` names, checked.
fn explicit_pairs(
    l: &Loaded<Scenario>,
    s: &Scenario,
    site_idx: &BTreeMap<String, usize>,
    layout: &mut Layout,
    paired: &mut std::collections::BTreeSet<(usize, usize)>,
) -> Result<(), LoadError> {
    let Layout {
        subsystems,
        volumes,
        vol_idx,
        pairs,
        pair_events,
        ..
    } = layout;
    for (i, p) in s.copy.pairs.iter().enumerate() {
        let at = |k: &str| format!("copy.pairs[{i}].{k}");
        let pv = *vol_idx.get(&p.primary).ok_or_else(|| {
            l.error_at(
                &at("primary"),
                format!(
                    "no volume named `{}`; volumes are: {}",
                    p.primary,
                    allowed(vol_idx.keys())
                ),
            )
        })?;
        if subsystems[volumes[pv].subsystem.0 as usize].site.is_some() {
            return Err(l.error_at(
                &at("primary"),
                format!("`{}` is not a primary volume", p.primary),
            ));
        }
        let site = *site_idx.get(&p.site).ok_or_else(|| {
            l.error_at(
                &at("site"),
                format!(
                    "no site named `{}`; sites are: {}",
                    p.site,
                    allowed(site_idx.keys())
                ),
            )
        })?;
        let sv = *vol_idx.get(&p.secondary).ok_or_else(|| {
            l.error_at(
                &at("secondary"),
                format!(
                    "no volume named `{}`; volumes are: {}",
                    p.secondary,
                    allowed(vol_idx.keys())
                ),
            )
        })?;
        if subsystems[volumes[sv].subsystem.0 as usize].site != Some(site) {
            return Err(l.error_at(
                &at("secondary"),
                format!(
                    "`{}` is not on a storage control of site {}",
                    p.secondary, p.site
                ),
            ));
        }
        if !paired.insert((pv, site)) {
            return Err(l.error_at(
                &at("primary"),
                format!("`{}` is already paired at site {}", p.primary, p.site),
            ));
        }
        let extents = match &p.datasets {
            None => Vec::new(),
            Some(pats) => {
                let e = shadowed_extents(&volumes[pv].datasets, pats);
                if e.is_empty() {
                    return Err(l.error_at(
                        &at("datasets"),
                        format!("no data set of `{}` matches", p.primary),
                    ));
                }
                e
            }
        };
        if let (Some(f), Some(u)) = (p.from, p.until)
            && u <= f
        {
            return Err(l.error_at(&at("until"), "must be after `from`"));
        }
        if let Some(f) = p.from {
            pair_events.push(Fault::PairAdd {
                at: SimTime::ZERO + f,
                pair: pairs.len(),
            });
        }
        if let Some(u) = p.until {
            pair_events.push(Fault::PairRemove {
                at: SimTime::ZERO + u,
                pair: pairs.len(),
            });
        }
        pairs.push(PairConfig {
            primary: VolumeId(pv as u32),
            site,
            secondary: VolumeId(sv as u32),
            extents,
            active: p.from.is_none(),
        });
    }
    Ok(())
}

/// Each site's automatic pairs: its volumes (every primary volume unless it lists some),
/// restricted to the data sets it names, on its own storage controls round robin or on an
/// automatic one per primary storage control.
fn automatic_pairs(
    l: &Loaded<Scenario>,
    s: &Scenario,
    layout: &mut Layout,
    paired: &mut std::collections::BTreeSet<(usize, usize)>,
) -> Result<(), LoadError> {
    let Layout {
        subsystems,
        volumes,
        vol_idx,
        primaries,
        pairs,
        ..
    } = layout;
    let user_subsystems = subsystems.len();
    let mut auto_ss: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    let mut auto_count: BTreeMap<usize, usize> = BTreeMap::new();
    for (si, site) in s.sites.iter().enumerate() {
        let members: Vec<usize> = match &site.volumes {
            None => primaries.clone(),
            Some(list) => {
                let mut m = Vec::new();
                for (k, name) in list.iter().enumerate() {
                    let v = *vol_idx.get(name).ok_or_else(|| {
                        l.error_at(
                            &format!("sites[{si}].volumes[{k}]"),
                            format!(
                                "no volume named `{name}`; volumes are: {}",
                                allowed(vol_idx.keys())
                            ),
                        )
                    })?;
                    if subsystems[volumes[v].subsystem.0 as usize].site.is_some() {
                        return Err(l.error_at(
                            &format!("sites[{si}].volumes[{k}]"),
                            format!("`{name}` is not a primary volume"),
                        ));
                    }
                    m.push(v);
                }
                m
            }
        };
        let mut matched_any = site.datasets.is_none();
        for pv in members {
            let extents = match &site.datasets {
                None => Vec::new(),
                Some(pats) => {
                    let e = shadowed_extents(&volumes[pv].datasets, pats);
                    if e.is_empty() {
                        continue;
                    }
                    matched_any = true;
                    e
                }
            };
            if !paired.insert((pv, si)) {
                continue;
            }
            // The site's own storage controls, round robin; without any, one automatic
            // storage control at the site for each primary one (the secondary mirrors
            // the primary's layout, so it is not a bottleneck by construction).
            let own: Vec<usize> = (0..user_subsystems)
                .filter(|&x| subsystems[x].site == Some(si))
                .collect();
            let ss = if own.is_empty() {
                let pss = volumes[pv].subsystem.0 as usize;
                match auto_ss.get(&(si, pss)) {
                    Some(&x) => x,
                    None => {
                        let x = SubsystemConfig {
                            name: format!("{}.{}", site.name, subsystems[pss].name),
                            site: Some(si),
                            storage_paths: subsystems[pss].storage_paths.max(4),
                            ..SubsystemConfig::default()
                        };
                        subsystems.push(x);
                        auto_ss.insert((si, pss), subsystems.len() - 1);
                        subsystems.len() - 1
                    }
                }
            } else {
                let k = auto_count.entry(si).or_insert(0usize);
                *k += 1;
                own[(*k - 1) % own.len()]
            };
            let volser = auto_secondary_volser(&volumes[pv].volser, si, vol_idx);
            vol_idx.insert(volser.clone(), volumes.len());
            let p = &volumes[pv];
            let sv = VolumeConfig {
                volser,
                device: p.device,
                subsystem: SubsystemId(ss as u16),
                datasets: p.datasets.clone(),
            };
            volumes.push(sv);
            pairs.push(PairConfig {
                primary: VolumeId(pv as u32),
                site: si,
                secondary: VolumeId((volumes.len() - 1) as u32),
                extents,
                active: true,
            });
        }
        if !matched_any {
            return Err(l.error_at(
                &format!("sites[{si}].datasets"),
                "no data set of the site's volumes matches",
            ));
        }
    }
    Ok(())
}

/// The hosts and their applications, each application's data sets resolved to slots on
/// primary volumes; also the applications' total offered write rate (writes per second).
fn build_hosts(
    l: &Loaded<Scenario>,
    s: &Scenario,
    layout: &Layout,
) -> Result<(Vec<HostConfig>, f64), LoadError> {
    let (volumes, primaries) = (&layout.volumes, &layout.primaries);
    let mut ds_by_name: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for &v in primaries {
        for (j, d) in volumes[v].datasets.iter().enumerate() {
            ds_by_name.entry(d.name.clone()).or_insert((v, j));
            ds_by_name.insert(format!("{}:{}", volumes[v].volser, d.name), (v, j));
        }
    }
    let mut hosts = Vec::new();
    let mut total_rate = 0.0;
    for (h, host) in s.hosts.iter().enumerate() {
        let mut apps = Vec::new();
        for (a, app) in host.apps.iter().enumerate() {
            let mut slots = Vec::new();
            let mut shapes = Vec::new();
            for (k, name) in app.datasets.iter().enumerate() {
                if name.contains('*') {
                    let before = slots.len();
                    for &v in primaries {
                        for (j, d) in volumes[v].datasets.iter().enumerate() {
                            if glob(name, &d.name) {
                                slots.push((VolumeId(v as u32), j));
                                shapes.push(layout.shape(v, j));
                            }
                        }
                    }
                    if slots.len() == before {
                        return Err(l.error_at(
                            &format!("hosts[{h}].apps[{a}].datasets[{k}]"),
                            format!("no data set on a primary volume matches `{name}`"),
                        ));
                    }
                    continue;
                }
                let &(v, j) = ds_by_name.get(name).ok_or_else(|| {
                    l.error_at(
                        &format!("hosts[{h}].apps[{a}].datasets[{k}]"),
                        format!(
                            "no data set named `{name}` on a primary volume; data sets are: {}",
                            allowed(ds_by_name.keys().filter(|k| !k.contains(':')))
                        ),
                    )
                })?;
                slots.push((VolumeId(v as u32), j));
                shapes.push(layout.shape(v, j));
            }
            if slots.len() > u16::MAX as usize {
                return Err(l.error_at(
                    &format!("hosts[{h}].apps[{a}].datasets"),
                    format!(
                        "{} data sets: an application may use at most {}",
                        slots.len(),
                        u16::MAX
                    ),
                ));
            }
            let w = Workload::new(&app.workload, &shapes)
                .map_err(|e| l.error_at(&format!("hosts[{h}].apps[{a}].workload"), e))?;
            total_rate += w.mean_write_rate();
            let programs =
                build_programs(l, &format!("hosts[{h}].apps[{a}].programs"), &app.programs)?;
            apps.push(AppConfig {
                name: app.name.clone(),
                source: AppSource::Synthetic(app.workload.clone()),
                datasets: slots,
                rate_scale: 1.0,
                programs,
            });
        }
        if host.paths == 0 {
            return Err(l.error_at(&format!("hosts[{h}].paths"), "must be at least 1"));
        }
        hosts.push(HostConfig {
            name: host.name.clone(),
            paths_per_subsystem: host.paths,
            erp_retries: host.erp_retries,
            apps,
        });
    }
    if hosts.is_empty() {
        return Err(l.error_at(
            "hosts",
            "no host: give at least one `[[hosts]]` with an application",
        ));
    }
    Ok((hosts, total_rate))
}

/// The workload: the synthetic generators scaled to `workload.write_rate`, or an SPC
/// trace replayed by one application on the first host (returned as the plan to feed).
fn build_workload(
    l: &Loaded<Scenario>,
    s: &Scenario,
    layout: &Layout,
    hosts: &mut [HostConfig],
    total_rate: f64,
    base_dir: &Path,
) -> Result<Option<TracePlan>, LoadError> {
    let (volumes, vol_idx, primaries) = (&layout.volumes, &layout.vol_idx, &layout.primaries);
    let mut trace = None;
    if let Some(rate) = s.workload.write_rate {
        if s.workload.trace.is_some() {
            return Err(l.error_at(
                "workload.write_rate",
                "write_rate scales the synthetic generators; with a trace use workload.trace_speed",
            ));
        }
        if !(rate.is_finite() && (0.0..=MAX_WRITE_RATE).contains(&rate)) {
            return Err(l.error_at(
                "workload.write_rate",
                format!(
                    "must be a number of writes per second from 0 to {MAX_WRITE_RATE:e}, got {rate}"
                ),
            ));
        }
        if total_rate <= 0.0 {
            return Err(l.error_at(
                "workload.write_rate",
                "the workload offers no writes to scale",
            ));
        }
        for h in hosts.iter_mut() {
            for a in &mut h.apps {
                a.rate_scale = rate / total_rate;
            }
        }
    }
    if s.workload.write_rate.is_none() && total_rate > MAX_WRITE_RATE {
        return Err(l.error_at(
            "hosts",
            format!(
                "the applications offer {total_rate:e} writes per second in all; at most {MAX_WRITE_RATE:e} can be simulated (set workload.write_rate or lower the generators' rates)"
            ),
        ));
    }
    if let Some(file) = &s.workload.trace {
        let speed = s.workload.trace_speed.unwrap_or(1.0);
        positive(l, "workload.trace_speed", speed)?;
        // One replaying application on the first host, its slots every data set of the
        // volumes the ASUs name.
        let mut asus: Vec<(u32, Vec<usize>)> = Vec::new();
        if s.workload.trace_asus.is_empty() {
            asus.push((0, primaries.clone()));
        } else {
            for (asu, list) in &s.workload.trace_asus {
                let at = format!("workload.trace_asus.{asu}");
                let n: u32 = asu
                    .parse()
                    .map_err(|_| l.error_at(&at, format!("ASU `{asu}` is not a number")))?;
                let mut vs = Vec::new();
                for name in list {
                    let v = *vol_idx.get(name).ok_or_else(|| {
                        l.error_at(
                            &at,
                            format!(
                                "no volume named `{name}`; volumes are: {}",
                                allowed(vol_idx.keys())
                            ),
                        )
                    })?;
                    vs.push(v);
                }
                asus.push((n, vs));
            }
        }
        let mut slots = Vec::new();
        let mut tv = Vec::new();
        let mut asu_maps = Vec::new();
        for (asu, vs) in &asus {
            let mut idx = Vec::new();
            for &v in vs {
                for j in 0..volumes[v].datasets.len() {
                    let sh = layout.shape(v, j);
                    idx.push(slots.len() as u32);
                    slots.push((VolumeId(v as u32), j));
                    tv.push(TraceVolume {
                        record_bytes: volumes[v].datasets[j].data_len as u32,
                        records: sh.records,
                    });
                }
            }
            asu_maps.push(AsuVolumes {
                asu: *asu,
                volumes: idx,
            });
        }
        let map = BlockMap::new(&tv, &asu_maps, s.workload.trace_layout)
            .map_err(|e| l.error_at("workload.trace_asus", e))?;
        for h in hosts.iter_mut() {
            h.apps.clear();
        }
        hosts[0].apps.push(AppConfig {
            name: "TRACE".into(),
            source: AppSource::Trace,
            datasets: slots,
            rate_scale: 1.0,
            programs: Default::default(),
        });
        trace = Some(TracePlan {
            path: base_dir.join(file),
            lenient: s.workload.trace_lenient,
            speed,
            host: 0,
            app: 0,
            map,
        });
    }
    Ok(trace)
}

/// The copy session: mode, pairs, serializer, movers, batching, flow control, apply.
fn build_copy(
    l: &Loaded<Scenario>,
    s: &Scenario,
    pairs: Vec<PairConfig>,
) -> Result<CopyConfig, LoadError> {
    let c = &s.copy;
    if c.movers == 0 {
        return Err(l.error_at("copy.movers", "must be at least 1"));
    }
    if c.batch_bytes == 0 {
        return Err(l.error_at("copy.batch_bytes", "must be at least 1 byte"));
    }
    if c.secondary_paths == 0 {
        return Err(l.error_at("copy.secondary_paths", "must be at least 1"));
    }
    if c.apply_parallel == 0 {
        return Err(l.error_at("copy.apply_parallel", "must be at least 1"));
    }
    if c.mover_batch == 0 {
        return Err(l.error_at("copy.mover_batch", "must be at least 1"));
    }
    if c.ack_interval.is_zero() {
        return Err(l.error_at("copy.ack_interval", "must be longer than 0"));
    }
    if c.pit_interval.is_zero() {
        return Err(l.error_at("copy.pit_interval", "must be longer than 0"));
    }
    if c.min_cycle_time.is_zero() {
        return Err(l.error_at("copy.min_cycle_time", "must be longer than 0"));
    }
    if c.ur_read_bytes == 0 {
        return Err(l.error_at("copy.ur_read_bytes", "must be at least 1 byte"));
    }
    if c.ur_journal_bytes == 0 {
        return Err(l.error_at("copy.ur_journal_bytes", "must be at least 1 byte"));
    }
    if !(1..=64).contains(&c.ur_reads) {
        return Err(l.error_at("copy.ur_reads", "must be from 1 to 64"));
    }
    if c.ur_poll_interval.is_zero() {
        return Err(l.error_at("copy.ur_poll_interval", "must be longer than 0"));
    }
    if c.max_drain_time.is_zero() {
        return Err(l.error_at("copy.max_drain_time", "must be longer than 0"));
    }
    if c.sync.suspend_timeout.is_zero() {
        return Err(l.error_at("copy.sync.suspend_timeout", "must be longer than 0"));
    }
    let flow = match &c.flow {
        FlowSpec::None => FlowControl::None,
        FlowSpec::Pacing {
            threshold,
            level,
            max_delay,
        } => {
            let max_delay = match (level, max_delay) {
                (_, Some(d)) => *d,
                (Some(lv), None) if (1..=15).contains(lv) => pacing_level_delay(*lv),
                (Some(lv), None) => {
                    return Err(l.error_at(
                        "copy.flow.level",
                        format!("pacing level must be 1..=15, got {lv}"),
                    ));
                }
                (None, None) => pacing_level_delay(10),
            };
            FlowControl::Pacing {
                threshold: *threshold,
                max_delay,
            }
        }
        FlowSpec::Blocking { threshold, resume } => {
            let resume = resume.unwrap_or(threshold / 2);
            if resume > *threshold {
                return Err(l.error_at(
                    "copy.flow.resume",
                    format!("must be <= threshold ({threshold})"),
                ));
            }
            FlowControl::Blocking {
                threshold: *threshold,
                resume,
            }
        }
        FlowSpec::Suspend {
            threshold,
            timeout,
            resync_after,
        } => FlowControl::Suspend {
            threshold: *threshold,
            timeout: *timeout,
            resync_after: *resync_after,
        },
    };
    Ok(CopyConfig {
        mode: c.mode,
        session: 1,
        pairs,
        serializer_service: c.serializer_service,
        token_latency: c.token_latency,
        movers: c.movers,
        mover_read_overhead: c.mover_read_overhead,
        mover_batch: c.mover_batch,
        mover_buffer: c.mover_buffer,
        batch_bytes: c.batch_bytes,
        batch_timer: c.batch_timer,
        reupdate_accommodation: c.reupdate_accommodation,
        flow,
        ack_interval: c.ack_interval,
        apply_parallel: c.apply_parallel,
        secondary_paths: c.secondary_paths,
        pit_interval: c.pit_interval,
        min_cycle_time: c.min_cycle_time,
        srdfa_cache_limit: c.srdfa_cache_limit,
        cg_interval: c.cg_interval,
        max_drain_time: c.max_drain_time,
        flashcopy_time: c.flashcopy_time,
        gm_whole_tracks: c.gm_whole_tracks,
        ur_journal_bytes: c.ur_journal_bytes,
        ur_read_bytes: c.ur_read_bytes,
        ur_poll_interval: c.ur_poll_interval,
        ur_reads: c.ur_reads,
        initial_copy: c.initial_copy,
        zgm: models::world::ZgmConfig::default(),
        primary_cost: c.primary_cost,
        sync: models::world::SyncPolicy {
            critical: c.sync.critical == crate::schema::Critical::Yes,
            freeze: c.sync.freeze,
            suspend_timeout: c.sync.suspend_timeout,
            resync_after: c.sync.resync_after,
        },
    })
}

/// `[copy.zgm]`: checked and translated (host names to indices, storage control names to
/// ids); errors at the key.
fn build_zgm(
    l: &Loaded<Scenario>,
    s: &Scenario,
    subsystems: &[SubsystemConfig],
) -> Result<models::world::ZgmConfig, LoadError> {
    let z = &s.copy.zgm;
    if !(1..=16).contains(&z.readers) {
        return Err(l.error_at(
            "copy.zgm.readers",
            format!(
                "must be 1..=16 readers per storage control, got {}",
                z.readers
            ),
        ));
    }
    if z.read_interval.is_zero() {
        return Err(l.error_at("copy.zgm.read_interval", "must be longer than 0"));
    }
    let j = &z.journal;
    if !(1..=16).contains(&j.data_sets) {
        return Err(l.error_at(
            "copy.zgm.journal.data_sets",
            format!("must be 1..=16 journal data sets, got {}", j.data_sets),
        ));
    }
    if !(j.mbytes_per_s.is_finite() && j.mbytes_per_s > 0.0) {
        return Err(l.error_at(
            "copy.zgm.journal.mbytes_per_s",
            format!("must be a number > 0, got {}", j.mbytes_per_s),
        ));
    }
    if j.capacity_mb == 0 {
        return Err(l.error_at("copy.zgm.journal.capacity_mb", "must be at least 1"));
    }
    let mut offsets = vec![0i64; s.hosts.len()];
    for (name, us) in &z.clock_offset_us {
        let Some(h) = s.hosts.iter().position(|h| &h.name == name) else {
            let known: Vec<&str> = s.hosts.iter().map(|h| h.name.as_str()).collect();
            return Err(l.error_at(
                &format!("copy.zgm.clock_offset_us.{name}"),
                format!("no host named {name}; hosts are {}", known.join(", ")),
            ));
        };
        offsets[h] = us.saturating_mul(1000);
    }
    let mut sessions = Vec::new();
    let mut owner: Vec<Option<usize>> = vec![None; subsystems.len()];
    for (i, x) in z.sessions.iter().enumerate() {
        let mut ids = Vec::new();
        for (k, name) in x.subsystems.iter().enumerate() {
            let at = format!("copy.zgm.sessions[{i}].subsystems[{k}]");
            let Some(ss) = subsystems.iter().position(|y| &y.name == name) else {
                let known: Vec<&str> = subsystems
                    .iter()
                    .filter(|y| y.site.is_none())
                    .map(|y| y.name.as_str())
                    .collect();
                return Err(l.error_at(
                    &at,
                    format!(
                        "no storage control named {name}; primary storage controls are {}",
                        known.join(", ")
                    ),
                ));
            };
            if subsystems[ss].site.is_some() {
                return Err(l.error_at(&at, format!("{name} is a secondary-site storage control")));
            }
            if let Some(o) = owner[ss] {
                return Err(l.error_at(
                    &at,
                    format!("{name} is already in session {}", z.sessions[o].name),
                ));
            }
            owner[ss] = Some(i);
            ids.push(models::types::SubsystemId(ss as u16));
        }
        if x.read_interval.is_some_and(|d| d.is_zero()) {
            return Err(l.error_at(
                &format!("copy.zgm.sessions[{i}].read_interval"),
                "must be longer than 0",
            ));
        }
        sessions.push(models::world::ZgmSessionConfig {
            name: x.name.clone(),
            subsystems: ids,
            read_interval: x.read_interval,
        });
    }
    if !z.sessions.is_empty()
        && let Some(ss) =
            (0..subsystems.len()).find(|&i| subsystems[i].site.is_none() && owner[i].is_none())
    {
        return Err(l.error_at(
            "copy.zgm.sessions",
            format!(
                "primary storage control {} is in no session: each must be in one",
                subsystems[ss].name
            ),
        ));
    }
    Ok(models::world::ZgmConfig {
        sdm: z.sdm,
        readers: z.readers,
        read_interval: z.read_interval,
        group_interval: z.group_interval,
        journal: models::world::JournalConfig {
            data_sets: j.data_sets,
            bandwidth: (j.mbytes_per_s * 1e6) as u64,
            latency: j.latency,
            capacity: j.capacity_mb << 20,
            full_timeout: j.full_timeout,
        },
        clock_offset_ns: offsets,
        sessions,
        coupled: z.coupled,
        auto_resync: z.auto_resync,
    })
}

/// The secondary sites with their links: each site's own link keys over `[link]`, checked
/// (errors at the key that set the value).
fn build_links(l: &Loaded<Scenario>, s: &Scenario) -> Result<Vec<SiteConfig>, LoadError> {
    let mut sites = Vec::new();
    for (i, site) in s.sites.iter().enumerate() {
        let o = &site.link;
        let link = LinkConfig {
            distance_km: o.distance_km.unwrap_or(s.link.distance_km),
            bandwidth_bps: (o.bandwidth_mbps.unwrap_or(s.link.bandwidth_mbps) * 1e6) as u64,
            overhead_bytes: o.overhead_bytes.unwrap_or(s.link.overhead_bytes),
            paths: o.paths.unwrap_or(s.link.paths),
            outages: o
                .outages
                .as_ref()
                .unwrap_or(&s.link.outages)
                .iter()
                .map(|x| Outage {
                    at: SimTime::ZERO + x.at,
                    until: SimTime::ZERO + x.until,
                })
                .collect(),
        };
        let own = |k: &str| {
            if o_has(o, k) {
                format!("sites[{i}].link.{k}")
            } else {
                format!("link.{k}")
            }
        };
        if !(link.distance_km.is_finite() && (0.0..=MAX_DISTANCE_KM).contains(&link.distance_km)) {
            return Err(l.error_at(
                &own("distance_km"),
                format!(
                    "must be a distance from 0 to {MAX_DISTANCE_KM} km, got {}",
                    link.distance_km
                ),
            ));
        }
        positive(
            l,
            &own("bandwidth_mbps"),
            o.bandwidth_mbps.unwrap_or(s.link.bandwidth_mbps),
        )?;
        if link.paths == 0 || link.paths > 255 {
            return Err(l.error_at(
                &own("paths"),
                format!("must be 1..=255, got {}", link.paths),
            ));
        }
        for (k, x) in link.outages.iter().enumerate() {
            if x.until <= x.at {
                return Err(l.error_at(
                    &format!("{}[{k}].until", own("outages")),
                    "must be after `at`",
                ));
            }
        }
        sites.push(SiteConfig {
            name: site.name.clone(),
            link,
        });
    }
    Ok(sites)
}

/// The faults: the disaster (which must fall within the run) and `[[faults]]`, after the
/// session operations of the pairs (`pair_events`).
fn build_faults(
    l: &Loaded<Scenario>,
    s: &Scenario,
    pair_events: Vec<Fault>,
    site_idx: &BTreeMap<String, usize>,
    ss_idx: &BTreeMap<String, usize>,
) -> Result<Vec<Fault>, LoadError> {
    let mut faults = pair_events;
    let c = &s.copy;
    if let Some(at) = s.disaster.at {
        if at > s.run.length {
            return Err(l.error_at(
                "disaster.at",
                format!(
                    "the disaster at {at} is after the end of the run (run.length = {}, or --until): it would never strike; strike within the run, lengthen it, or use `none`",
                    s.run.length
                ),
            ));
        }
        faults.push(Fault::Disaster {
            at: SimTime::ZERO + at,
            cut_link: s.disaster.cut_link,
        });
    }
    for (i, f) in s.faults.iter().enumerate() {
        let site_of = |name: &str, k: &str| {
            site_idx.get(name).copied().ok_or_else(|| {
                l.error_at(
                    &format!("faults[{i}].{k}"),
                    format!(
                        "no site named `{name}`; sites are: {}",
                        allowed(site_idx.keys())
                    ),
                )
            })
        };
        faults.push(match f {
            FaultSpec::LinkCut { site, at, until } => {
                if until <= at {
                    return Err(l.error_at(&format!("faults[{i}].until"), "must be after `at`"));
                }
                Fault::LinkCut {
                    at: SimTime::ZERO + *at,
                    site: site_of(site, "site")?,
                    until: SimTime::ZERO + *until,
                }
            }
            FaultSpec::SubsystemLoss { subsystem, at } => {
                let ss = *ss_idx.get(subsystem).ok_or_else(|| {
                    l.error_at(
                        &format!("faults[{i}].subsystem"),
                        format!(
                            "no storage control named `{subsystem}`; storage controls are: {}",
                            allowed(ss_idx.keys())
                        ),
                    )
                })?;
                Fault::SubsystemLoss {
                    at: SimTime::ZERO + *at,
                    subsystem: SubsystemId(ss as u16),
                }
            }
            FaultSpec::MoverCrash { mover, at, restart } => {
                if *mover >= c.movers {
                    return Err(l.error_at(
                        &format!("faults[{i}].mover"),
                        format!(
                            "mover {mover} does not exist (copy.movers = {}, numbered from 0)",
                            c.movers
                        ),
                    ));
                }
                Fault::MoverCrash {
                    at: SimTime::ZERO + *at,
                    mover: *mover,
                    restart: *restart,
                }
            }
            FaultSpec::Suspend { at } => Fault::SessionSuspend {
                at: SimTime::ZERO + *at,
            },
            FaultSpec::Resume { at } => Fault::SessionResume {
                at: SimTime::ZERO + *at,
            },
            FaultSpec::SecondarySlowdown {
                site,
                at,
                until,
                factor,
            } => {
                if !(factor.is_finite() && *factor >= 1.0) {
                    return Err(l.error_at(
                        &format!("faults[{i}].factor"),
                        format!("must be a number >= 1, got {factor}"),
                    ));
                }
                Fault::SecondarySlowdown {
                    at: SimTime::ZERO + *at,
                    site: site_of(site, "site")?,
                    until: SimTime::ZERO + *until,
                    factor: *factor,
                }
            }
            FaultSpec::CcwErrors {
                at,
                until,
                rate,
                errors,
            } => {
                use models::world::CcwError;
                if !(rate.is_finite() && (0.0..=1.0).contains(rate)) {
                    return Err(l.error_at(
                        &format!("faults[{i}].rate"),
                        format!("must be a probability, 0 <= rate <= 1, got {rate}"),
                    ));
                }
                let until = until.unwrap_or(s.run.length);
                if until <= *at {
                    return Err(l.error_at(&format!("faults[{i}].until"), "must be after `at`"));
                }
                if errors.is_empty() {
                    return Err(l.error_at(
                        &format!("faults[{i}].errors"),
                        format!(
                            "name at least one error; allowed: {}",
                            allowed(CcwError::ALL.iter().map(|e| e.name()))
                        ),
                    ));
                }
                let mut kinds = Vec::new();
                for (j, e) in errors.iter().enumerate() {
                    let Some(k) = CcwError::ALL.iter().copied().find(|k| k.name() == e) else {
                        return Err(l.error_at(
                            &format!("faults[{i}].errors[{j}]"),
                            format!(
                                "unknown error `{e}`; allowed: {}",
                                allowed(CcwError::ALL.iter().map(|e| e.name()))
                            ),
                        ));
                    };
                    kinds.push(k);
                }
                Fault::CcwErrors {
                    at: SimTime::ZERO + *at,
                    until: SimTime::ZERO + until,
                    rate: *rate,
                    errors: kinds,
                }
            }
        });
    }
    Ok(faults)
}

/// The highest offered write rate a scenario may ask for, writes per second (far beyond any
/// storage subsystem of the era, and about 20 wall seconds per simulated second here):
/// beyond it a run would exhaust memory long before it ended.
pub const MAX_WRITE_RATE: f64 = 1e7;

/// The longest link, km (two and a half times round the Earth: satellite hops included);
/// longer ones would overflow simulated time.
pub const MAX_DISTANCE_KM: f64 = 100_000.0;

/// Whether the site override sets key `k`.
fn o_has(o: &LinkOverride, k: &str) -> bool {
    match k {
        "distance_km" => o.distance_km.is_some(),
        "bandwidth_mbps" => o.bandwidth_mbps.is_some(),
        "overhead_bytes" => o.overhead_bytes.is_some(),
        "paths" => o.paths.is_some(),
        "outages" => o.outages.is_some(),
        _ => false,
    }
}

/// What `xrcsim check` prints: the world a scenario builds, in a few lines.
pub fn describe(b: &Built) -> String {
    use std::fmt::Write;
    let w = &b.world;
    let mut o = String::new();
    let _ = writeln!(o, "scenario {}: valid", w.name);
    let _ = writeln!(
        o,
        "run: seed {}, length {}, RPO sampled every {}{}",
        w.run.seed,
        w.run.length,
        w.run.rpo_interval,
        if b.drain { ", drain at the end" } else { "" }
    );
    let mut offered = 0.0;
    for h in &w.hosts {
        let apps: Vec<String> = h
            .apps
            .iter()
            .map(|a| match &a.source {
                AppSource::Synthetic(spec) => {
                    let shapes: Vec<DataSetShape> = a
                        .datasets
                        .iter()
                        .map(|&(v, j)| {
                            let vol = &w.volumes[v.0 as usize];
                            let d = &vol.datasets[j];
                            let per = vol.device.records_per_track(d.key_len, d.data_len as u32);
                            DataSetShape {
                                records: d.tracks() * per as u64,
                                records_per_track: per,
                            }
                        })
                        .collect();
                    let rate = Workload::new(spec, &shapes).map(|mut x| {
                        let _ = x.scale_rate(a.rate_scale);
                        x.mean_write_rate()
                    });
                    let rate = rate.unwrap_or(0.0);
                    offered += rate;
                    format!("{} ({}, {:.0} writes/s)", a.name, spec.kind(), rate)
                }
                AppSource::Trace => format!("{} (trace replay)", a.name),
            })
            .collect();
        let _ = writeln!(
            o,
            "host {} ({} paths per storage control): {}",
            h.name,
            h.paths_per_subsystem,
            apps.join(", ")
        );
    }
    if offered > 0.0 {
        let _ = writeln!(o, "offered write rate: {offered:.0} writes/s");
    }
    if let Some(t) = &b.trace {
        let _ = writeln!(
            o,
            "trace replay: {} (speed {}x{})",
            t.path.display(),
            t.speed,
            if t.lenient { ", lenient" } else { "" }
        );
    }
    for (i, s) in w.subsystems.iter().enumerate() {
        let vols: Vec<&str> = w
            .volumes
            .iter()
            .filter(|v| v.subsystem.0 as usize == i)
            .map(|v| v.volser.as_str())
            .collect();
        let at = match s.site {
            None => "primary".to_string(),
            Some(x) => format!("site {}", w.sites[x].name),
        };
        let _ = writeln!(
            o,
            "storage control {} ({at}): cache {} MiB, NVS {} MiB, {} storage paths, volumes {}",
            s.name,
            s.cache_bytes >> 20,
            s.nvs_bytes >> 20,
            s.storage_paths,
            vols.join(" ")
        );
    }
    for (i, s) in w.sites.iter().enumerate() {
        let l = &s.link;
        let pairs: Vec<String> = w
            .copy
            .pairs
            .iter()
            .filter(|p| p.site == i)
            .map(|p| {
                format!(
                    "{}->{}",
                    w.volumes[p.primary.0 as usize].volser,
                    w.volumes[p.secondary.0 as usize].volser
                )
            })
            .collect();
        let _ = writeln!(
            o,
            "site {}: link {} km (one way {}), {} x {:.3} Mbit/s, {} B per message, {} outages; pairs {}",
            s.name,
            l.distance_km,
            l.propagation(),
            l.paths,
            l.bandwidth_bps as f64 / 1e6,
            l.overhead_bytes,
            l.outages.len(),
            pairs.join(" ")
        );
    }
    let c = &w.copy;
    let _ = writeln!(
        o,
        "copy: mode {}, {} mover(s), messages of {} bytes or every {}, serializer {} per token, flow control {:?}{}",
        c.mode.name(),
        c.movers,
        c.batch_bytes,
        c.batch_timer,
        c.serializer_service,
        c.flow,
        if c.reupdate_accommodation {
            ""
        } else {
            ", re-update accommodation OFF"
        }
    );
    let _ = writeln!(
        o,
        "copy cost on the primary: {}{}",
        if c.primary_cost && c.mode == models::world::Mode::Zgm {
            "the SDM's reads hold storage and channel paths, the sidefiles hold cache"
        } else if c.primary_cost {
            "mover reads hold storage and channel paths, the sidefile holds cache"
        } else {
            "none (primary_cost = false)"
        },
        if c.mode == models::world::Mode::Sync {
            format!(
                "; sync when a link fails: {}",
                if c.sync.critical {
                    "CRIT(YES), writes wait".to_string()
                } else {
                    format!(
                        "CRIT(NO), a pair suspends after {}{}{}",
                        c.sync.suspend_timeout,
                        if c.sync.freeze { ", freeze" } else { "" },
                        c.sync
                            .resync_after
                            .map(|d| format!(", resynchronised {d} after the link is back"))
                            .unwrap_or_default()
                    )
                }
            )
        } else {
            String::new()
        }
    );
    for f in &w.faults {
        let site = |i: &usize| w.sites.get(*i).map_or("?", |s| s.name.as_str());
        let line = match f {
            Fault::Disaster { at, cut_link } => format!(
                "primary-site disaster at {at}{}",
                if *cut_link { ", link cut with it" } else { "" }
            ),
            Fault::SubsystemLoss { at, subsystem } => format!(
                "storage control {} lost at {at}",
                w.subsystems[subsystem.0 as usize].name
            ),
            Fault::MoverCrash { at, mover, restart } => {
                format!("data mover {mover} crashes at {at}, restarts after {restart}")
            }
            Fault::LinkCut { at, site: s, until } => {
                format!("link to {} cut at {at}, restored at {until}", site(s))
            }
            Fault::SecondarySlowdown {
                at,
                site: s,
                factor,
                until,
            } => format!(
                "secondary DASD of {} {factor}x slower from {at} to {until}",
                site(s)
            ),
            Fault::SessionSuspend { at } => format!("session suspended by the operator at {at}"),
            Fault::SessionResume { at } => format!("session resumed by the operator at {at}"),
            Fault::PairAdd { at, pair } => format!(
                "pair {} joins the session at {at}",
                w.volumes[w.copy.pairs[*pair].primary.0 as usize].volser
            ),
            Fault::PairRemove { at, pair } => format!(
                "pair {} leaves the session at {at}",
                w.volumes[w.copy.pairs[*pair].primary.0 as usize].volser
            ),
            Fault::CcwErrors {
                at,
                until,
                rate,
                errors,
            } => format!(
                "host channel programs end in unit check ({}) with probability {rate} from {at} until {until}",
                errors
                    .iter()
                    .map(|e| e.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let _ = writeln!(o, "fault: {line}");
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering() {
        assert_eq!(numbered("P00000", 12), "P00012");
        assert_eq!(numbered("SS9", 3), "SS12");
        assert_eq!(numbered("VOL", 2), "VOL2");
    }
}
