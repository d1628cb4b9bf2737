//! [`Workload`]: the running state of a [`WorkloadSpec`]: arrival process and address
//! pattern of each generator.
//!
//! Arrivals are open-loop. `poisson`, `oltp` and `sequential` use exponential gaps. `on_off`
//! is a two-phase Markov-modulated Poisson process: the phase (ON or OFF) lasts an
//! exponential time with mean `mean_on` / `mean_off`, and arrivals inside a phase are Poisson
//! at that phase's rate. The first phase is drawn from the stationary law (ON with
//! probability `mean_on / (mean_on + mean_off)`); by memorylessness the construction is exact.
//! A `mixed` workload superposes its parts: each part keeps its own next arrival instant and
//! the earliest one fires.

use super::pattern::{Hot, Pattern, SeqCursor, Space};
use super::spec::Burst;
use super::{ChainSpec, DataSetShape, WorkloadSpec};
use sim::rng::{exponential, uniform01};
use sim::{SimDuration, SimRng, SimTime};

/// The arrival process of one generator.
#[derive(Clone, Debug)]
enum Arrivals {
    /// Exponential gaps with mean `1 / rate` seconds.
    Poisson { rate: f64 },
    /// MMPP-2 (see the module notes); `phase` is `None` until the first draw.
    OnOff {
        rate_on: f64,
        rate_off: f64,
        mean_on: f64,
        mean_off: f64,
        phase: Option<(bool, SimTime)>,
    },
}

/// An exponential span with mean `mean` seconds (`mean > 0`).
#[inline]
fn exp_span(rng: &mut SimRng, mean: f64) -> SimDuration {
    SimDuration::from_secs_f64(exponential(rng, mean))
}

impl Arrivals {
    fn mean_rate(&self) -> f64 {
        match self {
            Arrivals::Poisson { rate } => *rate,
            Arrivals::OnOff {
                rate_on,
                rate_off,
                mean_on,
                mean_off,
                ..
            } => (rate_on * mean_on + rate_off * mean_off) / (mean_on + mean_off),
        }
    }

    fn scale(&mut self, f: f64) {
        match self {
            Arrivals::Poisson { rate } => *rate *= f,
            Arrivals::OnOff {
                rate_on, rate_off, ..
            } => {
                *rate_on *= f;
                *rate_off *= f;
            }
        }
    }

    /// The instant of the next arrival after `now` (`SimTime::MAX`: never).
    fn next(&mut self, now: SimTime, rng: &mut SimRng) -> SimTime {
        match self {
            Arrivals::Poisson { rate } => {
                if *rate > 0.0 {
                    now + exp_span(rng, 1.0 / *rate)
                } else {
                    SimTime::MAX
                }
            }
            Arrivals::OnOff {
                rate_on,
                rate_off,
                mean_on,
                mean_off,
                phase,
            } => {
                if *rate_on <= 0.0 && *rate_off <= 0.0 {
                    return SimTime::MAX;
                }
                let (mut on, mut until) = match *phase {
                    Some(p) => p,
                    None => {
                        let on = uniform01(rng) * (*mean_on + *mean_off) < *mean_on;
                        let mean = if on { *mean_on } else { *mean_off };
                        (on, now + exp_span(rng, mean))
                    }
                };
                let mut t = now;
                let at = loop {
                    // Leave every phase that ended by `t`.
                    while until <= t && until < SimTime::MAX {
                        on = !on;
                        until += exp_span(rng, if on { *mean_on } else { *mean_off });
                    }
                    let rate = if on { *rate_on } else { *rate_off };
                    let cand = if rate > 0.0 {
                        t + exp_span(rng, 1.0 / rate)
                    } else {
                        SimTime::MAX
                    };
                    if cand < until || until == SimTime::MAX {
                        break cand;
                    }
                    // No arrival before the phase ends: restart the clock there
                    // (memoryless, so discarding the candidate is exact).
                    t = until;
                };
                *phase = Some((on, until));
                at
            }
        }
    }
}

/// One generator: arrival process, address pattern and its pending arrival.
#[derive(Clone, Debug)]
struct Source {
    arrivals: Arrivals,
    pattern: Pattern,
    /// The drawn next arrival instant, until a chain consumes it.
    next_at: Option<SimTime>,
}

/// The running state of a workload: call [`Workload::next_arrival`] to learn when the
/// next chain starts and [`Workload::next_chain`] at that instant to get it.
///
/// All randomness comes from the caller's [`SimRng`]: the same spec, data sets and stream
/// give the same arrivals and chains.
#[derive(Clone, Debug)]
pub struct Workload {
    sources: Vec<Source>,
    /// The source whose arrival `next_arrival` announced last.
    pending: Option<usize>,
}

impl Workload {
    /// Builds the generator for an application with the given data sets (indexed by slot).
    /// Checks the spec (rates > 0, fractions in `[0, 1]`, slots exist and hold records, ...)
    /// and says what is allowed when it refuses.
    pub fn new(spec: &WorkloadSpec, datasets: &[DataSetShape]) -> Result<Workload, String> {
        let spec = &spec.with_slots(datasets.len());
        spec.validate_for(datasets)?;
        let mut sources = Vec::new();
        match spec {
            WorkloadSpec::Mixed { parts } => {
                for (i, p) in parts.iter().enumerate() {
                    sources.push(
                        source(p, datasets)
                            .map_err(|e| format!("workload `mixed`: parts[{i}]: {e}"))?,
                    );
                }
            }
            s => sources
                .push(source(s, datasets).map_err(|e| format!("workload `{}`: {e}", s.kind()))?),
        }
        Ok(Workload {
            sources,
            pending: None,
        })
    }

    /// The span from `now` to the next chain start (`SimDuration::MAX`: never, e.g. after
    /// scaling to rate 0). The arrival stays announced, and repeated calls give the
    /// remaining span to it, until [`Workload::next_chain`] consumes it; call this again
    /// at that arrival instant (`now` = the arrival) to get the one after.
    pub fn next_arrival(&mut self, now: SimTime, rng: &mut SimRng) -> SimDuration {
        let mut best: Option<(usize, SimTime)> = None;
        for (i, s) in self.sources.iter_mut().enumerate() {
            let at = match s.next_at {
                Some(at) => at,
                None => {
                    let at = s.arrivals.next(now, rng);
                    s.next_at = Some(at);
                    at
                }
            };
            if best.is_none_or(|(_, b)| at < b) {
                best = Some((i, at));
            }
        }
        // `sources` is never empty (checked by `new`).
        let (i, at) = best.unwrap_or((0, SimTime::MAX));
        self.pending = Some(i);
        if at == SimTime::MAX {
            SimDuration::MAX
        } else {
            at.saturating_since(now)
        }
    }

    /// The chain that starts at the announced arrival. Without an announced arrival (a
    /// caller that starts chains on its own clock), a `mixed` workload picks the part in
    /// proportion to its mean chain rate.
    pub fn next_chain(&mut self, rng: &mut SimRng) -> ChainSpec {
        let i = match self.pending.take() {
            Some(i) => i,
            None => self.pick_by_rate(rng),
        };
        let s = &mut self.sources[i];
        s.next_at = None;
        s.pattern.chain(rng)
    }

    fn pick_by_rate(&self, rng: &mut SimRng) -> usize {
        if self.sources.len() == 1 {
            return 0;
        }
        let total: f64 = self.sources.iter().map(|s| s.arrivals.mean_rate()).sum();
        let mut x = uniform01(rng) * total;
        for (i, s) in self.sources.iter().enumerate() {
            let r = s.arrivals.mean_rate();
            if x < r {
                return i;
            }
            x -= r;
        }
        self.sources.len() - 1
    }

    /// Multiplies every arrival rate by `factor` (finite, >= 0), as the scenario's
    /// `workload.write_rate` does. Announced arrivals are dropped and redrawn at the new rate.
    pub fn scale_rate(&mut self, factor: f64) -> Result<(), String> {
        if !(factor.is_finite() && factor >= 0.0) {
            return Err(format!(
                "a workload rate scale factor must be a finite number >= 0, got {factor}"
            ));
        }
        for s in &mut self.sources {
            s.arrivals.scale(factor);
            s.next_at = None;
        }
        self.pending = None;
        Ok(())
    }

    /// Chains started per second, long-run mean.
    pub fn mean_chain_rate(&self) -> f64 {
        self.sources.iter().map(|s| s.arrivals.mean_rate()).sum()
    }

    /// Write operations offered per second, long-run mean (for scaling and analytic checks).
    pub fn mean_write_rate(&self) -> f64 {
        self.sources
            .iter()
            .map(|s| s.arrivals.mean_rate() * s.pattern.ops_per_chain().1)
            .sum()
    }

    /// Read operations offered per second, long-run mean.
    pub fn mean_read_rate(&self) -> f64 {
        self.sources
            .iter()
            .map(|s| s.arrivals.mean_rate() * s.pattern.ops_per_chain().0)
            .sum()
    }
}

/// Poisson arrivals at `rate`, or ON/OFF ones with mean `rate`.
fn arrivals(rate: f64, burst: Option<&Burst>) -> Arrivals {
    match burst {
        None => Arrivals::Poisson { rate },
        Some(b) => {
            let (rate_on, rate_off) = b.rates(rate);
            Arrivals::OnOff {
                rate_on,
                rate_off,
                mean_on: b.mean_on.as_secs_f64(),
                mean_off: b.mean_off.as_secs_f64(),
                phase: None,
            }
        }
    }
}

/// The source of a non-`mixed` spec already checked against `datasets`.
fn source(spec: &WorkloadSpec, datasets: &[DataSetShape]) -> Result<Source, String> {
    let (arrivals, pattern) = match spec {
        WorkloadSpec::Poisson {
            rate,
            read_fraction,
            records,
            skew,
            datasets: slots,
        } => (
            Arrivals::Poisson { rate: *rate },
            Pattern::Random {
                read_fraction: *read_fraction,
                records: records.clone(),
                space: Space::new(slots, datasets, *skew)?,
            },
        ),
        WorkloadSpec::OnOff {
            rate_on,
            rate_off,
            mean_on,
            mean_off,
            read_fraction,
            records,
            skew,
            datasets: slots,
        } => (
            Arrivals::OnOff {
                rate_on: *rate_on,
                rate_off: *rate_off,
                mean_on: mean_on.as_secs_f64(),
                mean_off: mean_off.as_secs_f64(),
                phase: None,
            },
            Pattern::Random {
                read_fraction: *read_fraction,
                records: records.clone(),
                space: Space::new(slots, datasets, *skew)?,
            },
        ),
        WorkloadSpec::Oltp {
            tx_rate,
            log,
            data,
            skew,
            page_records,
            log_records,
            think,
            read_fraction,
            burst,
        } => {
            let pages = datasets[*data as usize].records / *page_records as u64;
            (
                arrivals(*tx_rate, burst.as_ref()),
                Pattern::Oltp {
                    log_slot: *log,
                    data_slot: *data,
                    log: SeqCursor::new(datasets[*log as usize].records),
                    log_records: *log_records,
                    pages: Hot::new(pages, *skew)?,
                    page_records: *page_records,
                    think: *think,
                    read_fraction: *read_fraction,
                },
            )
        }
        WorkloadSpec::Sequential {
            rate,
            dataset,
            records_per_write,
            writes_per_chain,
            think,
            burst,
        } => {
            let ds = datasets[*dataset as usize];
            // Checked by `validate_for`: fits in u16.
            let rpw = records_per_write.unwrap_or(ds.records_per_track.min(u16::MAX as u32) as u16);
            (
                arrivals(*rate, burst.as_ref()),
                Pattern::Sequential {
                    slot: *dataset,
                    cursor: SeqCursor::new(ds.records),
                    records_per_write: rpw,
                    writes: *writes_per_chain,
                    think: *think,
                },
            )
        }
        WorkloadSpec::Mixed { .. } => return Err("`mixed` parts may not be `mixed`".into()),
    };
    Ok(Source {
        arrivals,
        pattern,
        next_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{OpKind, OpSpec};
    use super::*;
    use proptest::prelude::*;
    use sim::rng::{Dist, stream};

    fn shapes(records: &[u64]) -> Vec<DataSetShape> {
        records
            .iter()
            .map(|&r| DataSetShape {
                records: r,
                records_per_track: 12,
            })
            .collect()
    }

    fn poisson(rate: f64) -> WorkloadSpec {
        WorkloadSpec::Poisson {
            rate,
            read_fraction: 0.25,
            records: Dist::Uniform {
                low: 1.0,
                high: 4.0,
            },
            skew: 0.8,
            datasets: vec![0, 2],
        }
    }

    fn on_off() -> WorkloadSpec {
        WorkloadSpec::OnOff {
            rate_on: 40.0,
            rate_off: 2.0,
            mean_on: SimDuration::from_millis(500),
            mean_off: SimDuration::from_millis(1500),
            read_fraction: 0.5,
            records: Dist::Constant { value: 2.0 },
            skew: 0.0,
            datasets: vec![1],
        }
    }

    fn oltp(read_fraction: f64) -> WorkloadSpec {
        WorkloadSpec::Oltp {
            tx_rate: 30.0,
            log: 0,
            data: 1,
            skew: 1.1,
            page_records: 2,
            log_records: 3,
            think: SimDuration::from_micros(100),
            read_fraction,
            burst: None,
        }
    }

    fn sequential(burst: Option<Burst>) -> WorkloadSpec {
        WorkloadSpec::Sequential {
            rate: 10.0,
            dataset: 2,
            records_per_write: None,
            writes_per_chain: 3,
            think: SimDuration::ZERO,
            burst,
        }
    }

    fn tweak(mut s: WorkloadSpec, f: impl FnOnce(&mut WorkloadSpec)) -> WorkloadSpec {
        f(&mut s);
        s
    }

    fn all_specs() -> Vec<WorkloadSpec> {
        let burst = Burst {
            mean_on: SimDuration::from_secs(1),
            mean_off: SimDuration::from_secs(3),
            off_fraction: 0.1,
        };
        vec![
            poisson(50.0),
            on_off(),
            oltp(0.4),
            sequential(None),
            sequential(Some(burst.clone())),
            tweak(oltp(0.0), |s| {
                if let WorkloadSpec::Oltp { burst: b, .. } = s {
                    *b = Some(burst);
                }
            }),
            WorkloadSpec::Mixed {
                parts: vec![poisson(5.0), oltp(0.0), sequential(None), on_off()],
            },
        ]
    }

    /// Runs `w` from time 0 to `horizon`, calling `f` on every chain.
    fn run(
        w: &mut Workload,
        rng: &mut SimRng,
        horizon: SimTime,
        mut f: impl FnMut(SimTime, ChainSpec),
    ) {
        let mut now = SimTime::ZERO;
        loop {
            let d = w.next_arrival(now, rng);
            if d == SimDuration::MAX {
                return;
            }
            now += d;
            if now > horizon {
                return;
            }
            let c = w.next_chain(rng);
            f(now, c);
        }
    }

    fn counts(
        spec: &WorkloadSpec,
        ds: &[DataSetShape],
        seed: u64,
        secs: u64,
    ) -> (u64, u64, u64, Workload) {
        let mut w = Workload::new(spec, ds).unwrap();
        let mut rng = stream(seed, "rate");
        let (mut chains, mut reads, mut writes) = (0, 0, 0);
        run(
            &mut w,
            &mut rng,
            SimTime::from_nanos(secs * 1_000_000_000),
            |_, c| {
                chains += 1;
                for op in c.ops() {
                    match op.kind {
                        OpKind::Read => reads += 1,
                        OpKind::Write => writes += 1,
                    }
                }
            },
        );
        (chains, reads, writes, w)
    }

    #[test]
    fn long_run_rates_match_the_spec() {
        let ds = shapes(&[5_000, 100_000, 777]);
        for spec in all_specs() {
            let secs = 20_000;
            let (chains, reads, writes, w) = counts(&spec, &ds, 3, secs);
            let close = |got: u64, want: f64, what: &str| {
                let got = got as f64 / secs as f64;
                assert!(
                    (got - want).abs() <= 0.03 * want + 1e-9,
                    "{}: {what} {got:.3}/s, expected {want:.3}/s",
                    spec.kind()
                );
            };
            close(chains, w.mean_chain_rate(), "chains");
            close(writes, w.mean_write_rate(), "writes");
            close(reads, w.mean_read_rate(), "reads");
        }
    }

    #[test]
    fn analytic_rates() {
        let ds = shapes(&[5_000, 100_000, 777]);
        let w = Workload::new(&poisson(50.0), &ds).unwrap();
        assert!((w.mean_write_rate() - 37.5).abs() < 1e-9);
        assert!((w.mean_read_rate() - 12.5).abs() < 1e-9);
        let w = Workload::new(&on_off(), &ds).unwrap();
        // (40 * 0.5 + 2 * 1.5) / 2 = 11.5 chains/s, half of them writes.
        assert!((w.mean_chain_rate() - 11.5).abs() < 1e-9);
        assert!((w.mean_write_rate() - 5.75).abs() < 1e-9);
        let w = Workload::new(&oltp(0.4), &ds).unwrap();
        assert!((w.mean_write_rate() - 90.0).abs() < 1e-9);
        assert!((w.mean_read_rate() - 12.0).abs() < 1e-9);
        let w = Workload::new(&sequential(None), &ds).unwrap();
        assert!((w.mean_write_rate() - 30.0).abs() < 1e-9);
        let burst = Burst {
            mean_on: SimDuration::from_secs(1),
            mean_off: SimDuration::from_secs(3),
            off_fraction: 0.0,
        };
        // The mean stays `rate`; all of it in the ON quarter of the time.
        assert_eq!(burst.rates(10.0), (40.0, 0.0));
        let w = Workload::new(&sequential(Some(burst)), &ds).unwrap();
        assert!((w.mean_write_rate() - 30.0).abs() < 1e-9);
    }

    #[test]
    fn same_seed_same_sequence_and_different_seed_differs() {
        let ds = shapes(&[5_000, 100_000, 777]);
        let horizon = SimTime::from_nanos(30_000_000_000);
        for spec in all_specs() {
            let trace = |seed: u64| {
                let mut w = Workload::new(&spec, &ds).unwrap();
                let mut rng = stream(seed, "app");
                let mut v: Vec<(SimTime, ChainSpec)> = Vec::new();
                run(&mut w, &mut rng, horizon, |t, c| v.push((t, c)));
                v
            };
            let a = trace(7);
            assert!(a.len() > 50, "{}: only {} chains", spec.kind(), a.len());
            assert_eq!(a, trace(7), "{}", spec.kind());
            assert_ne!(a, trace(8), "{}", spec.kind());
        }
    }

    #[test]
    fn oltp_chains_are_log_data_commit() {
        let ds = shapes(&[100, 1_001, 5]);
        let mut w = Workload::new(&oltp(0.5), &ds).unwrap();
        let mut rng = stream(1, "oltp");
        let mut log_pos = 0u64;
        let mut with_read = 0;
        for _ in 0..2_000 {
            let _ = w.next_arrival(SimTime::ZERO, &mut rng);
            let c = w.next_chain(&mut rng);
            assert_eq!(c.think, SimDuration::from_micros(100));
            let ops = c.ops();
            let ops = if ops.len() == 4 {
                with_read += 1;
                assert_eq!(ops[0].kind, OpKind::Read);
                assert_eq!(
                    (ops[0].dataset, ops[0].record, ops[0].nrecs),
                    (1, ops[2].record, 2)
                );
                &ops[1..]
            } else {
                assert_eq!(ops.len(), 3);
                ops
            };
            let [log, page, commit] = [ops[0], ops[1], ops[2]];
            assert!(
                c.ops()
                    .iter()
                    .skip(c.len() - 3)
                    .all(|o| o.kind == OpKind::Write)
            );
            assert_eq!((log.dataset, page.dataset, commit.dataset), (0, 1, 0));
            // The log is written sequentially: log record, then the commit mark after it,
            // wrapping at the end of the 100-record log.
            assert_eq!(log.record, log_pos);
            assert_eq!(log.nrecs, 3.min((100 - log_pos) as u16));
            assert_eq!(commit.record, log.end() % 100);
            assert_eq!(commit.nrecs, 1);
            log_pos = commit.end() % 100;
            // Pages are whole pages of 2 records inside the 1,001-record database.
            assert_eq!(page.record % 2, 0);
            assert_eq!(page.nrecs, 2);
            assert!(page.end() <= 1_000);
        }
        assert!(
            (800..1_200).contains(&with_read),
            "{with_read} reads of 2,000"
        );
    }

    #[test]
    fn sequential_writes_are_consecutive_and_wrap() {
        let ds = shapes(&[10, 10, 100]);
        let mut w = Workload::new(&sequential(None), &ds).unwrap();
        let mut rng = stream(1, "seq");
        let mut expect = 0u64;
        let mut wrapped = 0;
        for _ in 0..100 {
            let c = w.next_chain(&mut rng);
            assert_eq!(c.len(), 3);
            for op in c.ops() {
                assert_eq!((op.kind, op.dataset), (OpKind::Write, 2));
                assert_eq!(op.record, expect);
                // One track (12 records) per write, shortened at the end of the data set.
                assert_eq!(op.nrecs as u64, 12.min(100 - expect));
                expect = op.end() % 100;
                wrapped += (expect == 0) as u32;
            }
        }
        // 300 writes of ~12 of 100 records: about 300 / 9 passes over the data set.
        assert_eq!(wrapped, 300 / 9);
    }

    #[test]
    fn on_off_is_bursty_and_poisson_is_not() {
        let ds = shapes(&[1_000, 1_000]);
        // Dispersion index (variance / mean) of arrivals per 1 s window.
        let dispersion = |spec: &WorkloadSpec| {
            let mut w = Workload::new(spec, &ds).unwrap();
            let mut rng = stream(5, "burst");
            let mut bins = vec![0u32; 8_000];
            run(
                &mut w,
                &mut rng,
                SimTime::from_nanos(7_999_999_999_999),
                |t, _| {
                    bins[(t.as_nanos() / 1_000_000_000) as usize] += 1;
                },
            );
            let n = bins.len() as f64;
            let mean = bins.iter().map(|&b| b as f64).sum::<f64>() / n;
            let var = bins
                .iter()
                .map(|&b| (b as f64 - mean) * (b as f64 - mean))
                .sum::<f64>()
                / n;
            var / mean
        };
        let p = dispersion(&WorkloadSpec::Poisson {
            rate: 11.5,
            read_fraction: 0.0,
            records: Dist::Constant { value: 1.0 },
            skew: 0.0,
            datasets: vec![0],
        });
        let b = dispersion(&on_off());
        assert!((0.9..1.1).contains(&p), "Poisson dispersion {p}");
        // MMPP-2 theory: IDC(t) = 1 + 2 (l1 - l2)^2 r1 r2 / ((r1 + r2)^3 l)
        //   * (1 - (1 - exp(-(r1 + r2) t)) / ((r1 + r2) t)),
        // with l1 = 40, l2 = 2, r1 = 1 / 0.5 s, r2 = 1 / 1.5 s, l = 11.5, t = 1 s: 12.5.
        let (r1, r2, l1, l2, l, t) = (2.0f64, 1.0 / 1.5, 40.0f64, 2.0f64, 11.5, 1.0);
        let r = r1 + r2;
        let idc = 1.0
            + 2.0 * (l1 - l2) * (l1 - l2) * r1 * r2 / (r * r * r * l)
                * (1.0 - (1.0 - libm::exp(-r * t)) / (r * t));
        assert!(
            (b - idc).abs() < 0.15 * idc,
            "on/off dispersion {b}, theory {idc}"
        );
    }

    #[test]
    fn skew_makes_hot_records_spread_over_the_data_set() {
        let ds = shapes(&[100_000]);
        let spec = WorkloadSpec::Poisson {
            rate: 1.0,
            read_fraction: 0.0,
            records: Dist::Constant { value: 1.0 },
            skew: 1.2,
            datasets: vec![0],
        };
        let mut w = Workload::new(&spec, &ds).unwrap();
        let mut rng = stream(2, "skew");
        let mut hits = std::collections::BTreeMap::new();
        let n = 100_000;
        for _ in 0..n {
            *hits
                .entry(w.next_chain(&mut rng).ops()[0].record)
                .or_insert(0u32) += 1;
        }
        let mut top: Vec<(u32, u64)> = hits.iter().map(|(&r, &c)| (c, r)).collect();
        top.sort_unstable_by(|a, b| b.cmp(a));
        // Zipf 1.2 over 1e5 items: P(rank 1) = 1 / zeta_n(1.2) ~ 0.20.
        let p1 = top[0].0 as f64 / n as f64;
        assert!((0.18..0.22).contains(&p1), "p1 = {p1}");
        // The five hottest records sit on five different 12-record tracks, far apart.
        let mut tracks: Vec<u64> = top[..5].iter().map(|t| t.1 / 12).collect();
        tracks.sort_unstable();
        assert!(tracks.windows(2).all(|w| w[1] - w[0] > 100), "{tracks:?}");
    }

    #[test]
    fn next_arrival_is_stable_until_consumed() {
        let ds = shapes(&[1_000, 1_000, 1_000]);
        let spec = WorkloadSpec::Mixed {
            parts: vec![poisson(5.0), sequential(None)],
        };
        let mut w = Workload::new(&spec, &ds).unwrap();
        let mut rng = stream(3, "stable");
        let d = w.next_arrival(SimTime::ZERO, &mut rng);
        let later = SimTime::ZERO + SimDuration::from_nanos(d.as_nanos() / 2);
        assert_eq!(w.next_arrival(later, &mut rng), d - later.since_start());
        let _ = w.next_chain(&mut rng);
        let d2 = w.next_arrival(SimTime::ZERO + d, &mut rng);
        assert!(d2 > SimDuration::ZERO);
    }

    #[test]
    fn mixed_parts_fire_in_proportion_and_keep_their_shapes() {
        let ds = shapes(&[5_000, 100_000, 777]);
        let spec = WorkloadSpec::Mixed {
            parts: vec![poisson(10.0), oltp(0.0)],
        };
        let mut w = Workload::new(&spec, &ds).unwrap();
        let mut rng = stream(4, "mixed");
        let (mut single, mut triple) = (0u32, 0u32);
        run(
            &mut w,
            &mut rng,
            SimTime::from_nanos(1_000_000_000_000),
            |_, c| match c.len() {
                1 => single += 1,
                3 => triple += 1,
                n => panic!("chain of {n} ops"),
            },
        );
        let ratio = triple as f64 / single as f64;
        assert!((ratio - 3.0).abs() < 0.1, "OLTP : Poisson chains = {ratio}");
        // Without an announced arrival the part is picked by rate, too.
        let mut w = Workload::new(&spec, &ds).unwrap();
        let triples = (0..40_000)
            .filter(|_| w.next_chain(&mut rng).len() == 3)
            .count();
        assert!((29_000..31_000).contains(&triples), "{triples}");
    }

    #[test]
    fn scale_rate_scales_every_part() {
        let ds = shapes(&[5_000, 100_000, 777]);
        for spec in all_specs() {
            let mut w = Workload::new(&spec, &ds).unwrap();
            let before = w.mean_write_rate();
            w.scale_rate(2.5).unwrap();
            assert!((w.mean_write_rate() - 2.5 * before).abs() < 1e-9 * before);
            assert!(w.scale_rate(-1.0).unwrap_err().contains(">= 0"));
            assert!(w.scale_rate(f64::NAN).is_err());
            w.scale_rate(0.0).unwrap();
            let mut rng = stream(1, "zero");
            assert_eq!(w.next_arrival(SimTime::ZERO, &mut rng), SimDuration::MAX);
        }
        let (chains, _, _, _) = {
            let mut w = Workload::new(&on_off(), &ds).unwrap();
            w.scale_rate(2.0).unwrap();
            let mut rng = stream(9, "scaled");
            let mut n = 0u64;
            run(
                &mut w,
                &mut rng,
                SimTime::from_nanos(10_000_000_000_000),
                |_, _| n += 1,
            );
            (n, 0, 0, ())
        };
        let rate = chains as f64 / 10_000.0;
        assert!((rate - 23.0).abs() < 0.7, "scaled on/off rate {rate}");
    }

    #[test]
    fn validation_says_what_is_allowed() {
        let ds = shapes(&[100, 100]);
        let err = |spec: WorkloadSpec| Workload::new(&spec, &ds).unwrap_err();
        assert!(err(poisson(0.0)).contains("`rate` must be a finite number > 0"));
        assert!(
            err(poisson(1.0))
                .contains("slot 2, but the application has 2 data set(s) (slots 0 to 1)")
        );
        let e = err(tweak(oltp(0.0), |s| {
            if let WorkloadSpec::Oltp { log, .. } = s {
                *log = 1;
            }
        }));
        assert!(e.contains("must be different data sets"), "{e}");
        assert!(err(oltp(1.5)).contains("`read_fraction` must be between 0 and 1"));
        let e = err(tweak(sequential(None), |s| {
            if let WorkloadSpec::Sequential {
                writes_per_chain, ..
            } = s
            {
                *writes_per_chain = 5;
            }
        }));
        assert!(
            e.contains("`writes_per_chain` must be 1 to 4, got 5"),
            "{e}"
        );
        let e = err(tweak(on_off(), |s| {
            if let WorkloadSpec::OnOff { mean_on, .. } = s {
                *mean_on = SimDuration::ZERO;
            }
        }));
        assert!(e.contains("`mean_on` must be a duration > 0"), "{e}");
        let e = err(WorkloadSpec::Mixed { parts: vec![] });
        assert!(e.contains("at least one generator"), "{e}");
        let e = err(WorkloadSpec::Mixed {
            parts: vec![WorkloadSpec::Mixed { parts: vec![] }],
        });
        assert!(e.contains("instead of nesting"), "{e}");
        let e = err(WorkloadSpec::Mixed {
            parts: vec![oltp(0.0), sequential(None)],
        });
        assert!(
            e.starts_with(
                "workload `mixed`: parts[1] (`sequential`): `dataset` names data-set slot 2"
            ),
            "{e}"
        );
        let e = Workload::new(&oltp(0.0), &[]).unwrap_err();
        assert!(e.contains("has no data sets"), "{e}");
        let e = Workload::new(
            &tweak(oltp(0.0), |s| {
                if let WorkloadSpec::Oltp { page_records, .. } = s {
                    *page_records = 300;
                }
            }),
            &ds,
        )
        .unwrap_err();
        assert!(
            e.contains("`page_records` (300) exceeds the 100 records"),
            "{e}"
        );
        let e = err(tweak(poisson(1.0), |s| {
            if let WorkloadSpec::Poisson { datasets, .. } = s {
                *datasets = vec![1, 1];
            }
        }));
        assert!(e.contains("lists slot 1 twice"), "{e}");
        let e = err(tweak(poisson(1.0), |s| {
            if let WorkloadSpec::Poisson {
                records, datasets, ..
            } = s
            {
                *records = Dist::Exp { mean: -1.0 };
                *datasets = vec![0];
            }
        }));
        assert!(e.contains("`records`: `mean` must be"), "{e}");
        let e = err(tweak(
            sequential(Some(Burst {
                mean_on: SimDuration::from_secs(1),
                mean_off: SimDuration::from_secs(1),
                off_fraction: 2.0,
            })),
            |s| {
                if let WorkloadSpec::Sequential { dataset, .. } = s {
                    *dataset = 0;
                }
            },
        ));
        assert!(
            e.contains("`burst.off_fraction` must be between 0 and 1"),
            "{e}"
        );
        let empty = [DataSetShape {
            records: 0,
            records_per_track: 1,
        }];
        assert!(Workload::new(&sequential(None), &empty).is_err());
        assert_eq!(
            WorkloadSpec::Mixed {
                parts: vec![oltp(0.0), poisson(1.0)]
            }
            .slots(),
            vec![0, 1, 2]
        );
    }

    #[test]
    fn scenario_syntax_with_defaults() {
        let spec: WorkloadSpec = serde_json::from_str(
            r#"{"kind":"mixed","parts":[
                {"kind":"poisson","rate":100},
                {"kind":"oltp","tx_rate":20,"log":0,"data":1,"skew":0.9,"think":"200us"},
                {"kind":"sequential","rate":2,"dataset":2,"burst":{"mean_on":"1s","mean_off":"9s"}},
                {"kind":"on_off","rate_on":50,"mean_on":"2s","mean_off":"8s"}]}"#,
        )
        .unwrap();
        let WorkloadSpec::Mixed { parts } = &spec else {
            panic!("{spec:?}")
        };
        assert_eq!(
            parts[0],
            WorkloadSpec::Poisson {
                rate: 100.0,
                read_fraction: 0.0,
                records: Dist::Constant { value: 1.0 },
                skew: 0.0,
                datasets: vec![],
            }
        );
        assert!(matches!(
            parts[1],
            WorkloadSpec::Oltp { page_records: 1, log_records: 1, think, read_fraction: 0.0, burst: None, .. }
                if think == SimDuration::from_micros(200)
        ));
        assert!(matches!(
            &parts[2],
            WorkloadSpec::Sequential { records_per_write: None, writes_per_chain: 4, burst: Some(b), .. }
                if b.off_fraction == 0.0
        ));
        assert!(matches!(
            parts[3],
            WorkloadSpec::OnOff { rate_off: 0.0, .. }
        ));
        let back: WorkloadSpec =
            serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
        assert_eq!(back, spec);
        let e = serde_json::from_str::<WorkloadSpec>(r#"{"kind":"poisson","rate":1,"rat":2}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `rat`"), "{e}");
        let e = serde_json::from_str::<WorkloadSpec>(r#"{"kind":"burst","rate":1}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown variant `burst`"), "{e}");
        let ds = shapes(&[10, 10, 10]);
        assert!(Workload::new(&spec, &ds).is_ok());
    }

    fn arb_dist() -> impl Strategy<Value = Dist> {
        prop_oneof![
            (0.0f64..40.0).prop_map(|v| Dist::Constant { value: v }),
            (0.5f64..30.0).prop_map(|m| Dist::Exp { mean: m }),
            Just(Dist::Empirical {
                values: vec![1.0, 8.0, 64.0],
                weights: vec![]
            }),
        ]
    }

    fn arb_spec(nds: u16) -> impl Strategy<Value = WorkloadSpec> {
        let slot = 0..nds;
        prop_oneof![
            (
                0.0f64..=1.0,
                arb_dist(),
                0.0f64..2.0,
                proptest::sample::subsequence((0..nds).collect::<Vec<_>>(), 1..=nds as usize)
            )
                .prop_map(|(rf, records, skew, datasets)| WorkloadSpec::Poisson {
                    rate: 10.0,
                    read_fraction: rf,
                    records,
                    skew,
                    datasets,
                }),
            (arb_dist(), 0.0f64..2.0, slot.clone()).prop_map(|(records, skew, s)| {
                WorkloadSpec::OnOff {
                    rate_on: 10.0,
                    rate_off: 1.0,
                    mean_on: SimDuration::from_millis(100),
                    mean_off: SimDuration::from_millis(300),
                    read_fraction: 0.3,
                    records,
                    skew,
                    datasets: vec![s],
                }
            }),
            (0.0f64..2.0, 1u16..5, 1u16..5, 0.0f64..=1.0).prop_map(|(skew, pr, lr, rf)| {
                WorkloadSpec::Oltp {
                    tx_rate: 5.0,
                    log: 0,
                    data: 1,
                    skew,
                    page_records: pr,
                    log_records: lr,
                    think: SimDuration::ZERO,
                    read_fraction: rf,
                    burst: None,
                }
            }),
            (slot, proptest::option::of(1u16..50), 1u8..=4).prop_map(|(s, rpw, wpc)| {
                WorkloadSpec::Sequential {
                    rate: 3.0,
                    dataset: s,
                    records_per_write: rpw,
                    writes_per_chain: wpc,
                    think: SimDuration::ZERO,
                    burst: None,
                }
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn ops_stay_inside_their_data_sets(
            recs in proptest::collection::vec(5u64..3_000, 3),
            rpt in 1u32..60,
            spec in arb_spec(3),
            seed in any::<u64>(),
        ) {
            let ds: Vec<DataSetShape> = recs.iter().map(|&r| DataSetShape { records: r, records_per_track: rpt }).collect();
            let mut w = Workload::new(&spec, &ds).unwrap();
            let mut rng = stream(seed, "prop");
            let mut now = SimTime::ZERO;
            for _ in 0..400 {
                now += w.next_arrival(now, &mut rng);
                let c = w.next_chain(&mut rng);
                prop_assert!(!c.is_empty());
                for op in c.ops() {
                    let d = ds[op.dataset as usize];
                    prop_assert!(op.nrecs >= 1, "{:?}", op);
                    prop_assert!(op.end() <= d.records, "{:?} beyond {} records", op, d.records);
                }
            }
        }

    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        #[test]
        fn long_run_rate_matches_for_random_parameters(
            rate in 1.0f64..10.0,
            on_ms in 50u64..1_000,
            off_ms in 50u64..2_000,
            off_ratio in 0.0f64..0.5,
            seed in any::<u64>(),
        ) {
            let ds = shapes(&[1_000, 1_000]);
            let spec = WorkloadSpec::OnOff {
                rate_on: rate,
                rate_off: rate * off_ratio,
                mean_on: SimDuration::from_millis(on_ms),
                mean_off: SimDuration::from_millis(off_ms),
                read_fraction: 0.0,
                records: Dist::Constant { value: 1.0 },
                skew: 0.0,
                datasets: vec![0],
            };
            let mut w = Workload::new(&spec, &ds).unwrap();
            let want = w.mean_chain_rate();
            // Enough time for ~5,000 ON/OFF cycles and ~20,000 arrivals.
            let cycle = (on_ms + off_ms) as f64 / 1000.0;
            let secs = (5_000.0 * cycle).max(20_000.0 / want);
            let mut rng = stream(seed, "prop-rate");
            let mut n = 0u64;
            run(&mut w, &mut rng, SimTime::from_nanos((secs * 1e9) as u64), |_, _| n += 1);
            let got = n as f64 / secs;
            prop_assert!((got - want).abs() < 0.05 * want, "got {} want {}", got, want);
        }
    }

    #[test]
    fn single_ops_helper_round_trip() {
        let c = ChainSpec::from_ops(&[OpSpec::write(1, 2, 3)], SimDuration::ZERO).unwrap();
        assert_eq!(c.writes(), 1);
    }
}
