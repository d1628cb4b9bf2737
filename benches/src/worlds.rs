//! The benchmark worlds and one measured run of each.
//!
//! The worlds are scenario files under `benches/scenarios/` (so `xrcsim run FILE` reproduces
//! them outside the bench): `oltp16.toml` (16 volumes, eight OLTP hosts, `xrc` to one site
//! over a fast link) and `poisson16.toml` / `large.toml` (the same Poisson workload over 16
//! and 10,000 volumes). [`Bench::Primary16`] is `oltp16` with the site and the volume pairs
//! removed: the primary site alone, no remote copy. [`Bench::Overload`] is the project's
//! baseline scenario (`scenarios/baseline.toml`) offered 20,000 writes/s, far beyond what its
//! link and secondary absorb, so its queues and re-update groups grow all run;
//! [`Bench::Xrc16Long`] is `xrc16` run five times longer (600 s by default), to show what
//! grows with run length.
//!
//! A measured run goes through [`scenarios::runner::run`], the same path as `xrcsim run`,
//! without trace or image files; the wall time is the runner's own (the simulation loop),
//! the rest (load, build, evaluation, report) is measured separately.

use models::world::WorldConfig;
use scenarios::build::Built;
use scenarios::report::Report;
use scenarios::runner::{RunOptions, run};
use scenarios::{Source, prepare};
use sim::SimDuration;
use std::path::Path;
use std::time::Instant;

/// `oltp16.toml`: 16 volumes, 8 OLTP hosts (3,600 writes/s), `xrc` to one site.
pub const OLTP16: &str = include_str!("../scenarios/oltp16.toml");
/// `poisson16.toml`: 16 volumes on 2 storage controls, 8 Poisson writers (3,600 writes/s).
pub const POISSON16: &str = include_str!("../scenarios/poisson16.toml");
/// `large.toml`: 10,000 volumes on 100 storage controls, the same writers as `poisson16`.
pub const LARGE: &str = include_str!("../scenarios/large.toml");
/// The project's baseline scenario (`scenarios/baseline.toml`), the base of `overload`.
pub const BASELINE: &str = include_str!("../../scenarios/baseline.toml");
/// Offered host writes per second of [`Bench::Overload`].
pub const OVERLOAD_WRITE_RATE: u32 = 20_000;
/// When the baseline's disaster strikes (its `disaster.at`): runs of `overload` longer than
/// this (the 120 s default) include it, as `xrcsim run scenarios/baseline.toml --set
/// workload.write_rate=20000 --set run.length=120s` does; shorter ones have none.
pub const OVERLOAD_DISASTER_AT: SimDuration = SimDuration::from_secs(60);

/// A benchmark world.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Bench {
    /// `oltp16` without the secondary site: host writes on the primary only.
    Primary16,
    /// `oltp16` as written: hosts to secondary apply (`xrc`).
    Xrc16,
    /// `poisson16`: the 16-volume counterpart of `large`.
    Poisson16,
    /// `large`: 10,000 volumes, 100 storage controls.
    Large,
    /// `overload`: the baseline scenario offered 20,000 writes/s (its disaster at 60 s
    /// included in runs longer than that).
    Overload,
    /// `xrc16-600s`: `xrc16` with a 600 s default run length.
    Xrc16Long,
    /// `baseline`: the project's baseline scenario (`scenarios/baseline.toml`) as written,
    /// without its disaster, so that its hosts write for the whole run (the memory goal of
    /// issue 13 names it).
    Baseline,
}

impl Bench {
    /// Every world, in the order the suite runs them.
    pub const ALL: [Bench; 7] = [
        Bench::Primary16,
        Bench::Xrc16,
        Bench::Poisson16,
        Bench::Large,
        Bench::Overload,
        Bench::Xrc16Long,
        Bench::Baseline,
    ];

    /// The name used on the command line and in JSON lines.
    pub fn name(self) -> &'static str {
        match self {
            Bench::Primary16 => "primary16",
            Bench::Xrc16 => "xrc16",
            Bench::Poisson16 => "poisson16",
            Bench::Large => "large",
            Bench::Overload => "overload",
            Bench::Xrc16Long => "xrc16-600s",
            Bench::Baseline => "baseline",
        }
    }

    /// Simulated run length of the world's measurement (`quick`: a shorter one for a
    /// smoke run of the suite).
    pub fn default_length(self, quick: bool) -> SimDuration {
        let s = match (self, quick) {
            (Bench::Xrc16Long, false) => 600,
            (Bench::Xrc16Long, true) => 60,
            (_, false) => 120,
            (_, true) => 20,
        };
        SimDuration::from_secs(s)
    }

    /// The world named `name`.
    pub fn from_name(name: &str) -> Option<Bench> {
        Bench::ALL.into_iter().find(|b| b.name() == name)
    }

    /// The scenario file name and text.
    pub fn source(self) -> Source {
        match self {
            Bench::Primary16 | Bench::Xrc16 | Bench::Xrc16Long => {
                Source::new("oltp16.toml", OLTP16)
            }
            Bench::Poisson16 => Source::new("poisson16.toml", POISSON16),
            Bench::Large => Source::new("large.toml", LARGE),
            Bench::Overload | Bench::Baseline => Source::new("baseline.toml", BASELINE),
        }
    }

    /// The world built for a run of `length` simulated time with `seed`.
    pub fn built(self, length: SimDuration, seed: u64) -> Result<Built, String> {
        self.built_with(length, seed, &Variant::default())
    }

    /// [`Bench::built`] with the changes of `variant`.
    pub fn built_with(
        self,
        length: SimDuration,
        seed: u64,
        variant: &Variant,
    ) -> Result<Built, String> {
        let mut sets = vec![format!("run.length={length}"), format!("run.seed={seed}")];
        if self == Bench::Overload {
            sets.push(format!("workload.write_rate={OVERLOAD_WRITE_RATE}"));
            if length <= OVERLOAD_DISASTER_AT {
                // The baseline's disaster would not strike within the run: a scenario
                // error. Shorter runs (`--quick`, tests) go without it.
                sets.push("disaster.at=none".into());
            }
        }
        if self == Bench::Baseline {
            sets.push("disaster.at=none".into());
        }
        sets.extend(variant.sets.iter().cloned());
        let mut built =
            prepare(&self.source(), &sets, Path::new(".")).map_err(|e| e.to_string())?;
        if self == Bench::Primary16 {
            primary_only(&mut built.world)?;
        }
        if let Some(t) = variant.tracks {
            shrink_datasets(&mut built.world, t);
        }
        Ok(built)
    }
}

/// Changes to a benchmark world (for experiments; the figures use the worlds as written).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Variant {
    /// Cut every data set to this many tracks ([`shrink_datasets`]).
    pub tracks: Option<u64>,
    /// Scenario overrides, `key=value` as `xrcsim run --set` takes them.
    pub sets: Vec<String>,
}

/// Removes every secondary site, volume pair, secondary storage control and secondary
/// volume from `cfg`: the primary site alone (writes are not duplexed, so no serializer,
/// mover or link work happens). Fails if the secondary storage controls or volumes are not
/// the last ones (removing them would renumber primary ones).
pub fn primary_only(cfg: &mut WorldConfig) -> Result<(), String> {
    let first_sec_ss = cfg
        .subsystems
        .iter()
        .position(|s| s.site.is_some())
        .unwrap_or(cfg.subsystems.len());
    if cfg.subsystems[first_sec_ss..]
        .iter()
        .any(|s| s.site.is_none())
    {
        return Err("secondary storage controls are not the last ones".into());
    }
    let is_sec = |v: &models::world::VolumeConfig| v.subsystem.0 as usize >= first_sec_ss;
    let first_sec_vol = cfg
        .volumes
        .iter()
        .position(is_sec)
        .unwrap_or(cfg.volumes.len());
    if cfg.volumes[first_sec_vol..].iter().any(|v| !is_sec(v)) {
        return Err("secondary volumes are not the last ones".into());
    }
    cfg.subsystems.truncate(first_sec_ss);
    cfg.volumes.truncate(first_sec_vol);
    cfg.copy.pairs.clear();
    cfg.sites.clear();
    cfg.faults.clear();
    Ok(())
}

/// Cuts every data set of `cfg` to its first `tracks` tracks (at least one), so that a
/// short run touches every record and the world's content stops growing early: what is
/// left to grow with run length is then bookkeeping, not data.
pub fn shrink_datasets(cfg: &mut WorldConfig, tracks: u64) {
    for v in &mut cfg.volumes {
        for d in &mut v.datasets {
            d.last_track = d.last_track.min(d.first_track + tracks.max(1) - 1);
        }
    }
}

/// What one measured run did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measured {
    /// Simulated seconds of workload.
    pub length_s: f64,
    /// Host writes completed.
    pub writes: u64,
    /// Events dispatched.
    pub events: u64,
    /// Wall seconds of the simulation loop (the report's `wall_s`).
    pub wall_s: f64,
    /// Wall seconds outside the simulation loop: load, build and start the world, evaluate
    /// the sites and assemble the report.
    pub other_s: f64,
}

impl Measured {
    /// Simulated host writes per wall second.
    pub fn writes_per_wall_s(&self) -> f64 {
        self.writes as f64 / self.wall_s.max(1e-12)
    }
    /// Wall nanoseconds per simulated host write.
    pub fn ns_per_write(&self) -> f64 {
        self.wall_s * 1e9 / self.writes.max(1) as f64
    }
    /// Events per host write.
    pub fn events_per_write(&self) -> f64 {
        self.events as f64 / self.writes.max(1) as f64
    }
}

/// What the record images hold at the end of a run (the model's volume images and the
/// checker's images), for memory accounting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImageFootprint {
    /// Distinct records written on the primary volumes.
    pub records_primary: usize,
    /// Distinct records written on the secondary volumes.
    pub records_secondary: usize,
    /// Of those, records stored whole rather than as a write id.
    pub records_whole: usize,
    /// Heap bytes of the volume images' record tables.
    pub image_bytes: usize,
    /// Records of the checker's primary images (every site).
    pub checker_records: usize,
    /// Entries of the checker's secondary images where they differ from the primary ones.
    pub checker_overlay: usize,
    /// Heap bytes of the checker's image tables.
    pub checker_bytes: usize,
}

/// Builds `bench` and runs it for `length` (no trace, no image) through the runner.
pub fn measure(bench: Bench, length: SimDuration, seed: u64) -> Result<Measured, String> {
    measure_with_report(bench, length, seed, &Variant::default()).map(|(m, ..)| m)
}

/// [`measure`] of a [`Variant`] of the world, also returning the run's report (the
/// `xrcsim run --json` document) and what its images hold at the end.
pub fn measure_with_report(
    bench: Bench,
    length: SimDuration,
    seed: u64,
    variant: &Variant,
) -> Result<(Measured, Report, ImageFootprint), String> {
    let t0 = Instant::now();
    let built = bench.built_with(length, seed, variant)?;
    let out = run(&built, &RunOptions::default()).map_err(|e| e.to_string())?;
    let total = t0.elapsed().as_secs_f64();
    let m = Measured {
        length_s: length.as_secs_f64(),
        writes: out.report.primary.writes,
        events: out.report.events,
        wall_s: out.report.wall_s,
        other_s: (total - out.report.wall_s).max(0.0),
    };
    let (records_primary, records_secondary, records_whole, image_bytes) =
        out.driver.world().image_footprint();
    let mut f = ImageFootprint {
        records_primary,
        records_secondary,
        records_whole,
        image_bytes,
        ..ImageFootprint::default()
    };
    for i in 0..out.report.sites.len() {
        let (r, o, b) = out
            .driver
            .checker()
            .image_footprint(models::types::SiteId(i as u8));
        f.checker_records += r;
        f.checker_overlay += o;
        f.checker_bytes += b;
    }
    Ok((m, out.report, f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::workload::WorkloadSpec;

    #[test]
    fn benchmark_files_build_the_worlds_they_describe() {
        let s = SimDuration::from_secs(1);
        let x = Bench::Xrc16.built(s, 1).unwrap().world;
        assert_eq!(x.volumes.len(), 32, "16 primary + 16 secondary volumes");
        assert_eq!(
            (x.sites.len(), x.copy.pairs.len(), x.hosts.len()),
            (1, 16, 8)
        );
        let p = Bench::Primary16.built(s, 1).unwrap().world;
        assert_eq!(p.volumes.len(), 16);
        assert!(p.sites.is_empty() && p.copy.pairs.is_empty());
        assert!(p.subsystems.iter().all(|ss| ss.site.is_none()));
        assert_eq!(
            p.hosts, x.hosts,
            "the same workload on the same volume indices"
        );
        let l = Bench::Large.built(s, 1).unwrap().world;
        assert_eq!((l.volumes.len(), l.subsystems.len()), (20_000, 101));
        let o = Bench::Overload.built(s, 1).unwrap().world;
        // The scale factor of every application is that of 20,000 writes/s: twice that of
        // an override to 10,000 (a later `--set` wins).
        let half = Variant {
            tracks: None,
            sets: vec!["workload.write_rate=10000".into()],
        };
        let h = Bench::Overload.built_with(s, 1, &half).unwrap().world;
        let scales = |w: &WorldConfig| -> Vec<f64> {
            w.hosts
                .iter()
                .flat_map(|h| &h.apps)
                .map(|a| a.rate_scale)
                .collect()
        };
        assert!(!scales(&o).is_empty());
        for (a, b) in scales(&o).into_iter().zip(scales(&h)) {
            assert!(a > 1.0 && (a - 2.0 * b).abs() < 1e-12, "{a} vs {b}");
        }
        assert_eq!(Bench::Xrc16Long.built(s, 1).unwrap().world, x);
        assert_eq!(
            Bench::Xrc16Long.default_length(false),
            SimDuration::from_secs(600)
        );
        let q = Bench::Poisson16.built(s, 1).unwrap().world;
        assert_eq!((q.volumes.len(), q.subsystems.len()), (32, 3));
        // Same hosts and generators; host h writes every 8th volume's data set.
        let writer = |h: &models::world::HostConfig| match &h.apps[0].source {
            models::world::AppSource::Synthetic(WorkloadSpec::Poisson {
                rate, datasets, ..
            }) => (*rate, datasets.len()),
            other => panic!("unexpected workload {other:?}"),
        };
        for (hq, hl) in q.hosts.iter().zip(&l.hosts) {
            assert_eq!(writer(hq), (120.0, 2));
            assert_eq!(writer(hl), (120.0, 1_250));
            assert_eq!(
                (hq.apps[0].datasets.len(), hl.apps[0].datasets.len()),
                (16, 10_000)
            );
        }
    }

    #[test]
    fn primary_only_runs_without_remote_copy_and_shrinking_keeps_it_valid() {
        let s = SimDuration::from_secs(2);
        let (m, r, _) = measure_with_report(
            Bench::Primary16,
            s,
            1,
            &Variant {
                tracks: Some(15),
                sets: vec![],
            },
        )
        .unwrap();
        // 1,440 writes/s offered.
        assert!((2_000..3_600).contains(&m.writes), "{}", m.writes);
        assert!(r.sites.is_empty());
        assert_eq!(r.model.messages, 0);
        assert_eq!(r.model.mover_reads, 0);
        assert!(m.events_per_write() > 3.0 && m.events_per_write() < 6.0);
        let (x, rx, f) = measure_with_report(Bench::Xrc16, s, 1, &Variant::default()).unwrap();
        // The checker's primary image has the records of every sequenced write, the
        // model's primary volumes those whose data is in (all but the last few); the
        // secondary lags by what is in flight.
        assert!(f.records_primary > 2_000, "{f:?}");
        assert!(f.checker_records.abs_diff(f.records_primary) < 50, "{f:?}");
        assert!(f.records_secondary <= f.records_primary + 50, "{f:?}");
        assert!(f.image_bytes > 0 && f.checker_bytes > 0, "{f:?}");
        assert_eq!(
            x.writes, m.writes,
            "same workload, primary writes unchanged"
        );
        assert!(rx.model.messages > 0 && x.events > m.events);
    }

    #[test]
    fn primary_only_refuses_interleaved_secondaries() {
        let mut cfg = WorldConfig::demo(models::world::Mode::Xrc, 1, 2, 10.0, 10.0);
        // Put a secondary storage control before a primary one.
        cfg.subsystems.swap(0, 2);
        assert!(primary_only(&mut cfg).is_err());
    }
}
