//! `xrcsim plan`: the smallest link bandwidth (per path) that keeps a chosen RPO statistic
//! under a target on a scenario, found by a search over runs: bracket by doubling (or
//! halving), then bisection to about 2 %. Each candidate runs every seed in parallel and
//! is judged by its worst seed and worst site.

use crate::plot::{PlotSpec, RefLine, number, plot};
use crate::runner::{RunOptions, run};
use crate::sweep::ResultTable;
use crate::{Source, prepare_noted};
use rayon::prelude::*;
use sim::SimDuration;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The RPO statistic a plan holds under its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stat {
    /// Median of the sampled data-loss window.
    P50,
    /// 99th percentile.
    P99,
    /// Maximum.
    Max,
}

impl Stat {
    /// The report's name of the statistic (`rpo_ns.p99`).
    pub fn key(self) -> &'static str {
        match self {
            Stat::P50 => "p50",
            Stat::P99 => "p99",
            Stat::Max => "max",
        }
    }
}

/// What to plan for.
#[derive(Clone, Debug)]
pub struct PlanRequest {
    /// The statistic held under the target.
    pub stat: Stat,
    /// The target, ns.
    pub target_ns: u64,
    /// Seeds per candidate (the scenario's seed, then the next ones).
    pub seeds: u32,
    /// The largest bandwidth tried, Mbit/s.
    pub max_mbps: f64,
    /// The smallest bandwidth tried, Mbit/s.
    pub min_mbps: f64,
    /// Bisection stops when the bracket is this narrow relative to its top.
    pub tolerance: f64,
    /// Bisection stops after this many steps in any case.
    pub max_bisections: u32,
}

impl Default for PlanRequest {
    fn default() -> Self {
        PlanRequest {
            stat: Stat::P99,
            target_ns: 0,
            seeds: 1,
            max_mbps: 100_000.0,
            min_mbps: 0.064,
            tolerance: 0.02,
            max_bisections: 12,
        }
    }
}

/// One bandwidth tried.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// Link bandwidth per path, Mbit/s.
    pub mbps: f64,
    /// Per seed: the seed and the statistic at its worst site, ns.
    pub per_seed: Vec<(u64, u64)>,
}

impl Candidate {
    /// The worst seed's statistic, ns.
    pub fn worst_ns(&self) -> u64 {
        self.per_seed.iter().map(|s| s.1).max().unwrap_or(0)
    }
    /// The seed that gave [`Candidate::worst_ns`].
    pub fn worst_seed(&self) -> u64 {
        self.per_seed
            .iter()
            .max_by_key(|s| (s.1, std::cmp::Reverse(s.0)))
            .map_or(0, |s| s.0)
    }
}

/// The result of a plan.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Scenario name.
    pub scenario: String,
    /// The request.
    pub req: PlanRequest,
    /// The scenario's own bandwidth, Mbit/s (where the search started).
    pub start_mbps: f64,
    /// The one-way propagation delay of the longest link, ns (a floor of any RPO).
    pub propagation_ns: u64,
    /// The longest link, km.
    pub distance_km: f64,
    /// Every candidate, in the order tried.
    pub explored: Vec<Candidate>,
    /// The smallest bandwidth that met the target, if any did.
    pub answer: Option<f64>,
    /// Whether even the smallest bandwidth tried met the target.
    pub met_at_floor: bool,
    /// Warnings from loading the scenario.
    pub warnings: Vec<String>,
    /// Notes for the reader (the disaster left out).
    pub notes: Vec<String>,
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

/// The overrides every run of a plan uses: `sets`, then, unless they place the disaster
/// themselves, `disaster.at=none` (the RPO is sampled over the whole run); with the
/// warnings of loading the scenario (for the caller to print before the search) and notes
/// for the reader.
#[allow(clippy::type_complexity)]
pub fn plan_sets(
    src: &Source,
    sets: &[String],
    base_dir: &Path,
) -> Result<(Vec<String>, Vec<String>, Vec<String>), PlanError> {
    let mut sets = sets.to_vec();
    let mut notes = Vec::new();
    let user_disaster = sets
        .iter()
        .any(|s| s.trim_start().starts_with("disaster.at"));
    if user_disaster {
        let (_, warnings) =
            prepare_noted(src, &sets, base_dir).map_err(|e| PlanError(e.to_string()))?;
        return Ok((sets, warnings, notes));
    }
    const NO_DISASTER: &str = "disaster.at=none";
    sets.push(NO_DISASTER.into());
    let (_, mut warnings) =
        prepare_noted(src, &sets, base_dir).map_err(|e| PlanError(e.to_string()))?;
    let before = warnings.len();
    // Our own override warns when the scenario has no disaster to remove: not the user's.
    warnings.retain(|w| !w.contains(NO_DISASTER));
    if warnings.len() == before {
        notes.push(
            "the scenario's disaster is left out: the RPO is sampled over the whole run \
             (--disaster-at DUR puts one back)"
                .into(),
        );
    } else {
        sets.pop();
    }
    Ok((sets, warnings, notes))
}

/// The search: runs `src` with `sets` at candidate bandwidths.
pub fn plan(
    src: &Source,
    sets: &[String],
    base_dir: &Path,
    req: &PlanRequest,
) -> Result<Plan, PlanError> {
    if sets
        .iter()
        .any(|s| s.trim_start().starts_with("link.bandwidth_mbps"))
    {
        return Err(PlanError(
            "plan searches link.bandwidth_mbps: leave it out of --set (the search starts at \
             the scenario's own bandwidth)"
                .into(),
        ));
    }
    if req.seeds == 0 {
        return Err(PlanError("--seeds must be at least 1".into()));
    }
    let (sets, warnings, notes) = plan_sets(src, sets, base_dir)?;
    let (probe, _) = prepare_noted(src, &sets, base_dir).map_err(|e| PlanError(e.to_string()))?;
    let sites = &probe.world.sites;
    let start_mbps = sites
        .first()
        .map_or(1.0, |s| s.link.bandwidth_bps as f64 / 1e6)
        .clamp(req.min_mbps, req.max_mbps);
    let distance_km = sites.iter().map(|s| s.link.distance_km).fold(0.0, f64::max);
    let propagation_ns = sites
        .iter()
        .map(|s| s.link.propagation().as_nanos())
        .max()
        .unwrap_or(0);
    let base_seed = probe.world.run.seed;

    // Every site must take its bandwidth from [link], or the override would not vary it.
    let check = {
        let mut s = sets.clone();
        s.push("link.bandwidth_mbps=12345".into());
        prepare_noted(src, &s, base_dir)
            .map_err(|e| PlanError(e.to_string()))?
            .0
    };
    if let Some(s) = check
        .world
        .sites
        .iter()
        .find(|s| s.link.bandwidth_bps != 12_345_000_000)
    {
        return Err(PlanError(format!(
            "site {} has its own link bandwidth, so link.bandwidth_mbps does not set it; plan \
             needs every site to take its bandwidth from [link]",
            s.name
        )));
    }

    let eval = |mbps: f64| -> Result<Candidate, PlanError> {
        let per_seed: Result<Vec<(u64, u64)>, PlanError> = (0..req.seeds as u64)
            .into_par_iter()
            .map(|i| {
                let seed = base_seed.wrapping_add(i);
                let mut s = sets.clone();
                s.push(format!("link.bandwidth_mbps={mbps}"));
                s.push(format!("run.seed={seed}"));
                let (built, _) =
                    prepare_noted(src, &s, base_dir).map_err(|e| PlanError(e.to_string()))?;
                let out = run(&built, &RunOptions::default())
                    .map_err(|e| PlanError(format!("at {mbps} Mbit/s, seed {seed}: {e}")))?;
                let worst = out
                    .report
                    .sites
                    .iter()
                    .map(|s| {
                        let p = &s.core.rpo_ns;
                        match req.stat {
                            Stat::P50 => p.p50,
                            Stat::P99 => p.p99,
                            Stat::Max => p.max,
                        }
                    })
                    .max()
                    .unwrap_or(0);
                Ok((seed, worst))
            })
            .collect();
        Ok(Candidate {
            mbps,
            per_seed: per_seed?,
        })
    };
    let meets = |c: &Candidate| c.worst_ns() <= req.target_ns;

    let mut explored = Vec::new();
    let first = eval(start_mbps)?;
    let first_meets = meets(&first);
    explored.push(first);
    // Bracket: `lo` misses, `hi` meets.
    let (mut lo, mut hi) = (None, None);
    let mut b = start_mbps;
    if first_meets {
        hi = Some(b);
        while b > req.min_mbps {
            b = (b / 2.0).max(req.min_mbps);
            let c = eval(b)?;
            let ok = meets(&c);
            explored.push(c);
            if ok {
                hi = Some(b);
            } else {
                lo = Some(b);
                break;
            }
        }
    } else {
        lo = Some(b);
        while b < req.max_mbps {
            b = (b * 2.0).min(req.max_mbps);
            let c = eval(b)?;
            let ok = meets(&c);
            explored.push(c);
            if ok {
                hi = Some(b);
                break;
            }
            lo = Some(b);
        }
    }
    let met_at_floor = hi.is_some() && lo.is_none();
    if let (Some(mut l), Some(mut h)) = (lo, hi) {
        for _ in 0..req.max_bisections {
            if (h - l) / h <= req.tolerance {
                break;
            }
            let m = round_mbps((l + h) / 2.0);
            if m <= l || m >= h {
                break;
            }
            let c = eval(m)?;
            let ok = meets(&c);
            explored.push(c);
            if ok {
                h = m;
            } else {
                l = m;
            }
        }
        hi = Some(h);
    }
    Ok(Plan {
        scenario: probe.world.name.clone(),
        req: req.clone(),
        start_mbps,
        propagation_ns,
        distance_km,
        explored,
        answer: hi,
        met_at_floor,
        warnings,
        notes,
    })
}

/// `v` to four significant digits (candidates read as people would write them).
fn round_mbps(v: f64) -> f64 {
    if v <= 0.0 {
        return v;
    }
    let k = 3 - v.log10().floor() as i32;
    if k >= 0 {
        let f = 10f64.powi(k);
        (v * f).round() / f
    } else {
        let f = 10f64.powi(-k);
        (v / f).round() * f
    }
}

/// `v` with four significant digits, trailing zeros dropped.
fn sig4(v: f64) -> String {
    let decimals = if v >= 1000.0 {
        0
    } else {
        (3 - v.abs().max(1e-9).log10().floor() as i32).max(0) as usize
    };
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A bandwidth for people: `155.5 Mbit/s`, `2.5 Gbit/s`.
pub fn bandwidth_text(mbps: f64) -> String {
    if mbps >= 1000.0 {
        format!("{} Gbit/s", sig4(mbps / 1000.0))
    } else if mbps < 1.0 {
        format!("{} kbit/s", sig4(mbps * 1000.0))
    } else {
        format!("{} Mbit/s", sig4(mbps))
    }
}

fn ms(ns: u64) -> String {
    format!("{:.3}", ns as f64 / 1e6)
}

/// The CSV file `--out` writes.
pub const CSV_FILE: &str = "plan.csv";

impl Plan {
    /// The statistic's name for people.
    fn stat_name(&self) -> &'static str {
        match self.req.stat {
            Stat::P50 => "median RPO",
            Stat::P99 => "p99 RPO",
            Stat::Max => "maximum RPO",
        }
    }

    /// The explored curve by bandwidth, and the verdict.
    pub fn table(&self) -> String {
        let mut o = String::new();
        let target = SimDuration::from_nanos(self.req.target_ns);
        let _ = writeln!(
            o,
            "plan for {}: smallest link bandwidth (per path) keeping the {} <= {} \
             (worst of {} seed{}, worst site)",
            self.scenario,
            self.stat_name(),
            target,
            self.req.seeds,
            if self.req.seeds == 1 { "" } else { "s" }
        );
        let _ = writeln!(
            o,
            "{:>16}  {:>14}  {:>10}  verdict",
            "bandwidth",
            format!("{} ms", self.req.stat.key()),
            "worst seed"
        );
        let mut sorted: Vec<&Candidate> = self.explored.iter().collect();
        sorted.sort_by(|a, b| a.mbps.total_cmp(&b.mbps));
        for c in sorted {
            let _ = writeln!(
                o,
                "{:>16}  {:>14}  {:>10}  {}",
                bandwidth_text(c.mbps),
                ms(c.worst_ns()),
                c.worst_seed(),
                if c.worst_ns() <= self.req.target_ns {
                    "meets"
                } else {
                    "misses"
                }
            );
        }
        match self.answer {
            Some(b) if self.met_at_floor => {
                let _ = writeln!(
                    o,
                    "answer: even {} (the smallest tried) meets the target",
                    bandwidth_text(b)
                );
            }
            Some(b) => {
                let _ = writeln!(
                    o,
                    "answer: {} per path ({} runs)",
                    bandwidth_text(b),
                    self.explored.len() * self.req.seeds as usize
                );
            }
            None => {
                let best = self
                    .explored
                    .iter()
                    .max_by(|a, b| a.mbps.total_cmp(&b.mbps))
                    .map_or(0, Candidate::worst_ns);
                let _ = writeln!(
                    o,
                    "answer: none: even {} misses the target ({} {} ms)",
                    bandwidth_text(self.req.max_mbps),
                    self.stat_name(),
                    ms(best)
                );
                if self.propagation_ns >= self.req.target_ns {
                    let _ = writeln!(
                        o,
                        "  the propagation delay alone over {} km is {} ms one way: no bandwidth \
                         brings the RPO under {}",
                        number(self.distance_km),
                        ms(self.propagation_ns),
                        target
                    );
                } else {
                    let _ = writeln!(
                        o,
                        "  the propagation delay over {} km is {} ms; what remains is not \
                         bandwidth (data movers, batching, the secondary's writes)",
                        number(self.distance_km),
                        ms(self.propagation_ns)
                    );
                }
            }
        }
        for n in &self.notes {
            let _ = writeln!(o, "note: {n}");
        }
        o
    }

    /// The explored points, one row per candidate and seed:
    /// `bandwidth_mbps,seed,rpo_<stat>_ns,meets` (meets: the candidate's worst seed).
    pub fn csv(&self) -> String {
        let mut o = format!("bandwidth_mbps,seed,rpo_{}_ns,meets\n", self.req.stat.key());
        let mut sorted: Vec<&Candidate> = self.explored.iter().collect();
        sorted.sort_by(|a, b| a.mbps.total_cmp(&b.mbps));
        for c in sorted {
            let ok = c.worst_ns() <= self.req.target_ns;
            for (seed, v) in &c.per_seed {
                let _ = writeln!(o, "{},{seed},{v},{ok}", c.mbps);
            }
        }
        o
    }

    /// Writes `plan.csv` and the figure `plan.svg`/`plan.png` into `dir` (created if needed).
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>, PlanError> {
        let werr = |p: &Path, e: String| PlanError(format!("cannot write `{}`: {e}", p.display()));
        std::fs::create_dir_all(dir).map_err(|e| werr(dir, e.to_string()))?;
        let csv = dir.join(CSV_FILE);
        let tmp = dir.join(format!(".{CSV_FILE}.partial"));
        std::fs::write(&tmp, self.csv())
            .and_then(|()| std::fs::rename(&tmp, &csv))
            .map_err(|e| werr(&csv, e.to_string()))?;
        let y = format!("rpo_ns.{}", self.req.stat.key());
        let mut table = ResultTable {
            header: vec![
                "row".into(),
                "link.bandwidth_mbps".into(),
                "seed".into(),
                y.clone(),
            ],
            records: Vec::new(),
        };
        let mut sorted: Vec<&Candidate> = self.explored.iter().collect();
        sorted.sort_by(|a, b| a.mbps.total_cmp(&b.mbps));
        for (i, c) in sorted.iter().enumerate() {
            for (seed, v) in &c.per_seed {
                table.records.push(vec![
                    i.to_string(),
                    c.mbps.to_string(),
                    seed.to_string(),
                    v.to_string(),
                ]);
            }
        }
        let mut spec = PlotSpec::new("link.bandwidth_mbps", y);
        spec.name = Some("plan".into());
        spec.title = Some(format!(
            "{}: {} against link bandwidth (target {}{})",
            self.scenario,
            self.stat_name(),
            SimDuration::from_nanos(self.req.target_ns),
            match self.answer {
                Some(b) if !self.met_at_floor => format!("; needs {}", bandwidth_text(b)),
                Some(_) => String::new(),
                None => "; not reached".into(),
            }
        ));
        spec.lines.push(RefLine::horizontal(
            format!(
                "target: {} <= {}",
                self.stat_name(),
                SimDuration::from_nanos(self.req.target_ns)
            ),
            self.req.target_ns.to_string(),
        ));
        let out = plot(&table, &spec, dir).map_err(|e| PlanError(e.to_string()))?;
        let mut files = vec![csv];
        files.extend(out.files);
        Ok(files)
    }
}

/// A plan per number of data movers: for each count, the smallest link bandwidth that
/// meets the target (the capacity planner's trade between movers and bandwidth).
#[derive(Clone, Debug)]
pub struct MoverPlan {
    /// (movers, its plan), in the order given.
    pub plans: Vec<(u32, Plan)>,
}

/// File name of the per-movers summary in the output directory.
pub const MOVERS_CSV_FILE: &str = "plan-movers.csv";

/// Runs [`plan`] once per mover count of `movers` (each with `copy.movers` set).
pub fn plan_movers(
    src: &Source,
    sets: &[String],
    base_dir: &Path,
    req: &PlanRequest,
    movers: &[u32],
) -> Result<MoverPlan, PlanError> {
    if sets
        .iter()
        .any(|s| s.trim_start().starts_with("copy.movers"))
    {
        return Err(PlanError(
            "--movers tries each count of data movers: leave copy.movers out of --set".into(),
        ));
    }
    if movers.is_empty() || movers.contains(&0) {
        return Err(PlanError(
            "--movers: give counts of data movers of at least 1, e.g. 1,2,4".into(),
        ));
    }
    let mut plans = Vec::with_capacity(movers.len());
    for &m in movers {
        let mut s = sets.to_vec();
        s.push(format!("copy.movers={m}"));
        plans.push((m, plan(src, &s, base_dir, req)?));
    }
    Ok(MoverPlan { plans })
}

impl MoverPlan {
    /// Each count's explored curve, then the summary: movers against the bandwidth they need.
    pub fn table(&self) -> String {
        let mut o = String::new();
        for (m, p) in &self.plans {
            let _ = writeln!(o, "== {m} data mover{}", if *m == 1 { "" } else { "s" });
            o.push_str(&p.table());
            o.push('\n');
        }
        let _ = writeln!(o, "{:>6}  {:>16}  {:>14}", "movers", "bandwidth", "runs");
        for (m, p) in &self.plans {
            let runs = p.explored.len() * p.req.seeds as usize;
            let b = match p.answer {
                Some(b) if p.met_at_floor => format!("<= {}", bandwidth_text(b)),
                Some(b) => bandwidth_text(b),
                None => format!("> {}", bandwidth_text(p.req.max_mbps)),
            };
            let _ = writeln!(o, "{m:>6}  {b:>16}  {runs:>14}");
        }
        o
    }

    /// `movers,bandwidth_mbps,met_at_floor`: per count, the smallest bandwidth that met the
    /// target (empty: none up to the largest tried; `met_at_floor`: even the smallest
    /// bandwidth tried met it).
    pub fn csv(&self) -> String {
        let mut o = String::from("movers,bandwidth_mbps,met_at_floor\n");
        for (m, p) in &self.plans {
            let b = p.answer.map(|b| b.to_string()).unwrap_or_default();
            let _ = writeln!(o, "{m},{b},{}", p.met_at_floor);
        }
        o
    }

    /// Writes `plan-movers.csv` into `dir`, and each count's `plan.csv` and figure into
    /// `dir/movers-K/`.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>, PlanError> {
        let werr = |p: &Path, e: String| PlanError(format!("cannot write `{}`: {e}", p.display()));
        std::fs::create_dir_all(dir).map_err(|e| werr(dir, e.to_string()))?;
        let csv = dir.join(MOVERS_CSV_FILE);
        let tmp = dir.join(format!(".{MOVERS_CSV_FILE}.partial"));
        std::fs::write(&tmp, self.csv())
            .and_then(|()| std::fs::rename(&tmp, &csv))
            .map_err(|e| werr(&csv, e.to_string()))?;
        let mut files = vec![csv];
        for (m, p) in &self.plans {
            files.extend(p.write(&dir.join(format!("movers-{m}")))?);
        }
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_round_to_four_digits_and_read_in_units() {
        assert_eq!(round_mbps(123.456_7), 123.5);
        assert_eq!(round_mbps(0.012_345), 0.01235);
        assert_eq!(bandwidth_text(155.52), "155.5 Mbit/s");
        assert_eq!(bandwidth_text(2500.0), "2.5 Gbit/s");
        assert_eq!(bandwidth_text(0.064), "64 kbit/s");
    }

    #[test]
    fn the_worst_seed_decides() {
        let c = Candidate {
            mbps: 10.0,
            per_seed: vec![(1, 5), (2, 9), (3, 9)],
        };
        assert_eq!(c.worst_ns(), 9);
        assert_eq!(c.worst_seed(), 2);
    }
}
