//! [`WorkloadSpec`]: a workload generator as written in a scenario file, and its checks.

use super::DataSetShape;
use serde::{Deserialize, Serialize};
use sim::SimDuration;
use sim::rng::Dist;

/// A workload generator as written in a scenario file (`kind = "poisson"`, ...).
///
/// Rates are in *chains per second* (transactions per second for OLTP); the writes per
/// second a generator offers is [`crate::workload::Workload::mean_write_rate`]. Data sets
/// are named by *slot*: the index in the application's list of data sets. Fields with a
/// default may be left out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum WorkloadSpec {
    /// Independent one-operation chains at Poisson arrivals, to records drawn uniformly or
    /// Zipf-skewed over the listed data sets (taken together as one address space).
    Poisson {
        /// Arrival rate, chains (= operations) per second, > 0.
        rate: f64,
        /// Fraction of operations that are reads, in `[0, 1]` (default 0: all writes).
        #[serde(default)]
        read_fraction: f64,
        /// Records per operation, rounded to an integer and clamped to
        /// `1..=min(65535, data-set records)` (default: constant 1).
        #[serde(default = "one_record")]
        records: Dist,
        /// Zipf exponent of the access frequency over records (default 0: uniform).
        #[serde(default)]
        skew: f64,
        /// Data-set slots accessed (default: every slot of the application).
        #[serde(default)]
        datasets: Vec<u16>,
    },
    /// Bursty arrivals: a two-phase Markov-modulated Poisson process (MMPP-2). The process
    /// alternates between an ON phase (rate `rate_on`) and an OFF phase (rate `rate_off`),
    /// each lasting an exponentially distributed time; addressing is as for `Poisson`.
    OnOff {
        /// Arrival rate in the ON phase, chains per second, > 0.
        rate_on: f64,
        /// Arrival rate in the OFF phase, chains per second, >= 0 (default 0).
        #[serde(default)]
        rate_off: f64,
        /// Mean ON-phase duration, > 0.
        mean_on: SimDuration,
        /// Mean OFF-phase duration, > 0.
        mean_off: SimDuration,
        /// Fraction of operations that are reads, in `[0, 1]` (default 0).
        #[serde(default)]
        read_fraction: f64,
        /// Records per operation (default: constant 1); see `Poisson`.
        #[serde(default = "one_record")]
        records: Dist,
        /// Zipf exponent over records (default 0: uniform).
        #[serde(default)]
        skew: f64,
        /// Data-set slots accessed (default: every slot of the application).
        #[serde(default)]
        datasets: Vec<u16>,
    },
    /// Database transactions at Poisson arrivals, each a dependent chain: (optionally a
    /// read of the data page, then) a log write, a data-page write, a log commit mark.
    /// The log is written sequentially and wraps; pages are drawn Zipf-skewed.
    Oltp {
        /// Transactions (chains) per second, > 0.
        tx_rate: f64,
        /// Data-set slot of the log.
        log: u16,
        /// Data-set slot of the database (must differ from `log`).
        data: u16,
        /// Zipf exponent over data pages (default 0: uniform).
        #[serde(default)]
        skew: f64,
        /// Records per data page (default 1).
        #[serde(default = "one")]
        page_records: u16,
        /// Records per log record (default 1); the commit mark is always one record.
        #[serde(default = "one")]
        log_records: u16,
        /// Delay between the completion of one operation and the issue of the next
        /// (default 0).
        #[serde(default)]
        think: SimDuration,
        /// Probability in `[0, 1]` that a transaction first reads the page it will update
        /// (default 0).
        #[serde(default)]
        read_fraction: f64,
        /// Bursty arrivals instead of Poisson (default: none); `tx_rate` stays the mean.
        #[serde(default)]
        burst: Option<Burst>,
    },
    /// A batch job writing one data set sequentially: each chain is `writes_per_chain`
    /// consecutive writes, each dependent on the previous; successive chains continue where
    /// the previous one stopped, and the position wraps at the end of the data set.
    Sequential {
        /// Chains per second, > 0.
        rate: f64,
        /// Data-set slot written (default 0).
        #[serde(default)]
        dataset: u16,
        /// Records per write (default: the data set's records per track, a full-track write).
        #[serde(default)]
        records_per_write: Option<u16>,
        /// Writes per chain, 1 to 4 (default 4).
        #[serde(default = "four")]
        writes_per_chain: u8,
        /// Delay between the completion of one write and the issue of the next (default 0).
        #[serde(default)]
        think: SimDuration,
        /// Bursty arrivals instead of Poisson (default: none); `rate` stays the mean.
        #[serde(default)]
        burst: Option<Burst>,
    },
    /// Several independent generators superposed (e.g. random reads, OLTP and a batch
    /// writer sharing one application's data sets). Parts may not be `mixed` themselves.
    Mixed {
        /// The generators, at least one.
        parts: Vec<WorkloadSpec>,
    },
}

/// ON/OFF modulation of a generator whose rate is given as a long-run mean: the arrivals
/// form the same MMPP-2 as `on_off`, with the ON and OFF rates chosen so that the mean is
/// the generator's rate and the OFF rate is `off_fraction` times the ON rate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Burst {
    /// Mean ON-phase duration, > 0.
    pub mean_on: SimDuration,
    /// Mean OFF-phase duration, > 0.
    pub mean_off: SimDuration,
    /// OFF-phase rate as a fraction of the ON-phase rate, in `[0, 1]` (default 0: silent).
    #[serde(default)]
    pub off_fraction: f64,
}

impl Burst {
    fn validate(&self) -> Result<(), String> {
        nonzero_duration("burst.mean_on", self.mean_on)?;
        nonzero_duration("burst.mean_off", self.mean_off)?;
        fraction("burst.off_fraction", self.off_fraction)
    }

    /// The (ON, OFF) rates that give the long-run mean `rate`.
    pub fn rates(&self, rate: f64) -> (f64, f64) {
        let on = self.mean_on.as_secs_f64();
        let off = self.mean_off.as_secs_f64();
        let rate_on = rate * (on + off) / (on + self.off_fraction * off);
        (rate_on, rate_on * self.off_fraction)
    }
}

fn one_record() -> Dist {
    Dist::Constant { value: 1.0 }
}
fn one() -> u16 {
    1
}
fn four() -> u8 {
    4
}

fn positive(what: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(format!("`{what}` must be a finite number > 0, got {v}"))
    }
}

fn non_negative(what: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(format!("`{what}` must be a finite number >= 0, got {v}"))
    }
}

fn fraction(what: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(format!("`{what}` must be between 0 and 1, got {v}"))
    }
}

fn nonzero_duration(what: &str, d: SimDuration) -> Result<(), String> {
    if d.is_zero() {
        Err(format!("`{what}` must be a duration > 0 (e.g. \"500ms\")"))
    } else {
        Ok(())
    }
}

impl WorkloadSpec {
    /// The OLTP generator with its defaults: `tx_rate` transactions per second, the log in
    /// slot `log`, the data in slot `data`, Zipf `skew` over the data pages.
    pub fn oltp(tx_rate: f64, log: u16, data: u16, skew: f64) -> WorkloadSpec {
        WorkloadSpec::Oltp {
            tx_rate,
            log,
            data,
            skew,
            page_records: 1,
            log_records: 1,
            think: SimDuration::ZERO,
            read_fraction: 0.0,
            burst: None,
        }
    }

    /// The generator's `kind` as written in scenario files.
    pub fn kind(&self) -> &'static str {
        match self {
            WorkloadSpec::Poisson { .. } => "poisson",
            WorkloadSpec::OnOff { .. } => "on_off",
            WorkloadSpec::Oltp { .. } => "oltp",
            WorkloadSpec::Sequential { .. } => "sequential",
            WorkloadSpec::Mixed { .. } => "mixed",
        }
    }

    /// Checks the parameters that do not depend on the data sets; the message names the
    /// generator and the field and says what is allowed.
    pub fn validate(&self) -> Result<(), String> {
        self.validate_inner()
            .map_err(|e| format!("workload `{}`: {e}", self.kind()))
    }

    fn validate_inner(&self) -> Result<(), String> {
        match self {
            WorkloadSpec::Poisson {
                rate,
                read_fraction,
                records,
                skew,
                datasets,
            } => {
                positive("rate", *rate)?;
                random_access(*read_fraction, records, *skew, datasets)
            }
            WorkloadSpec::OnOff {
                rate_on,
                rate_off,
                mean_on,
                mean_off,
                read_fraction,
                records,
                skew,
                datasets,
            } => {
                positive("rate_on", *rate_on)?;
                non_negative("rate_off", *rate_off)?;
                nonzero_duration("mean_on", *mean_on)?;
                nonzero_duration("mean_off", *mean_off)?;
                random_access(*read_fraction, records, *skew, datasets)
            }
            WorkloadSpec::Oltp {
                tx_rate,
                log,
                data,
                skew,
                page_records,
                log_records,
                think: _,
                read_fraction,
                burst,
            } => {
                positive("tx_rate", *tx_rate)?;
                if let Some(b) = burst {
                    b.validate()?;
                }
                if log == data {
                    return Err(format!(
                        "`log` and `data` are both data-set slot {log}: the log and the database must be different data sets"
                    ));
                }
                non_negative("skew", *skew)?;
                if *page_records == 0 {
                    return Err("`page_records` must be at least 1".into());
                }
                if *log_records == 0 {
                    return Err("`log_records` must be at least 1".into());
                }
                fraction("read_fraction", *read_fraction)
            }
            WorkloadSpec::Sequential {
                rate,
                dataset: _,
                records_per_write,
                writes_per_chain,
                think: _,
                burst,
            } => {
                positive("rate", *rate)?;
                if let Some(b) = burst {
                    b.validate()?;
                }
                if *records_per_write == Some(0) {
                    return Err("`records_per_write` must be at least 1".into());
                }
                if !(1..=4).contains(writes_per_chain) {
                    return Err(format!(
                        "`writes_per_chain` must be 1 to 4, got {writes_per_chain}"
                    ));
                }
                Ok(())
            }
            WorkloadSpec::Mixed { parts } => {
                if parts.is_empty() {
                    return Err("`parts` must list at least one generator".into());
                }
                for (i, p) in parts.iter().enumerate() {
                    if let WorkloadSpec::Mixed { .. } = p {
                        return Err(format!(
                            "parts[{i}] is `mixed`: list its parts directly instead of nesting"
                        ));
                    }
                    p.validate().map_err(|e| format!("parts[{i}]: {e}"))?;
                }
                Ok(())
            }
        }
    }

    /// The spec with its empty `datasets` lists (meaning "every slot") filled in for an
    /// application with `n` data-set slots.
    pub fn with_slots(&self, n: usize) -> WorkloadSpec {
        let all = || {
            (0..n.min(u16::MAX as usize + 1))
                .map(|i| i as u16)
                .collect::<Vec<u16>>()
        };
        let mut s = self.clone();
        match &mut s {
            WorkloadSpec::Poisson { datasets, .. } | WorkloadSpec::OnOff { datasets, .. }
                if datasets.is_empty() =>
            {
                *datasets = all()
            }
            WorkloadSpec::Mixed { parts } => {
                for p in parts.iter_mut() {
                    *p = p.with_slots(n);
                }
            }
            _ => {}
        }
        s
    }

    /// Checks the spec against the application's data sets: every slot named exists and
    /// is large enough. Includes [`WorkloadSpec::validate`].
    pub fn validate_for(&self, datasets: &[DataSetShape]) -> Result<(), String> {
        self.validate()?;
        self.check_slots(datasets)
            .map_err(|e| format!("workload `{}`: {e}", self.kind()))
    }

    fn check_slots(&self, datasets: &[DataSetShape]) -> Result<(), String> {
        let slot = |what: &str, s: u16| -> Result<DataSetShape, String> {
            let Some(ds) = datasets.get(s as usize) else {
                return Err(if datasets.is_empty() {
                    format!(
                        "`{what}` names data-set slot {s}, but the application has no data sets"
                    )
                } else {
                    format!(
                        "`{what}` names data-set slot {s}, but the application has {} data set(s) (slots 0 to {})",
                        datasets.len(),
                        datasets.len() - 1
                    )
                });
            };
            if ds.records == 0 {
                return Err(format!(
                    "`{what}` names data-set slot {s}, which holds no records"
                ));
            }
            if ds.records_per_track == 0 {
                return Err(format!(
                    "data-set slot {s} has 0 records per track; a track holds at least one record"
                ));
            }
            Ok(*ds)
        };
        match self {
            WorkloadSpec::Poisson { datasets: d, .. } | WorkloadSpec::OnOff { datasets: d, .. } => {
                for s in d {
                    slot("datasets", *s)?;
                }
                Ok(())
            }
            WorkloadSpec::Oltp {
                log,
                data,
                page_records,
                log_records,
                ..
            } => {
                let l = slot("log", *log)?;
                let d = slot("data", *data)?;
                if (*page_records as u64) > d.records {
                    return Err(format!(
                        "`page_records` ({page_records}) exceeds the {} records of the database (slot {data})",
                        d.records
                    ));
                }
                if (*log_records as u64) > l.records {
                    return Err(format!(
                        "`log_records` ({log_records}) exceeds the {} records of the log (slot {log})",
                        l.records
                    ));
                }
                Ok(())
            }
            WorkloadSpec::Sequential {
                dataset,
                records_per_write,
                ..
            } => {
                let d = slot("dataset", *dataset)?;
                let n = records_per_write.map_or(d.records_per_track as u64, |r| r as u64);
                if n > u16::MAX as u64 {
                    return Err(format!(
                        "the default `records_per_write` (one track, {n} records) exceeds 65535: give `records_per_write`"
                    ));
                }
                Ok(())
            }
            WorkloadSpec::Mixed { parts } => {
                for (i, p) in parts.iter().enumerate() {
                    p.check_slots(datasets)
                        .map_err(|e| format!("parts[{i}] (`{}`): {e}", p.kind()))?;
                }
                Ok(())
            }
        }
    }

    /// The data-set slots the spec names, sorted, without repeats (so the scenario layer can
    /// check that the application lists enough data sets).
    pub fn slots(&self) -> Vec<u16> {
        let mut v = Vec::new();
        self.collect_slots(&mut v);
        v.sort_unstable();
        v.dedup();
        v
    }

    fn collect_slots(&self, v: &mut Vec<u16>) {
        match self {
            WorkloadSpec::Poisson { datasets, .. } | WorkloadSpec::OnOff { datasets, .. } => {
                v.extend_from_slice(datasets)
            }
            WorkloadSpec::Oltp { log, data, .. } => v.extend_from_slice(&[*log, *data]),
            WorkloadSpec::Sequential { dataset, .. } => v.push(*dataset),
            WorkloadSpec::Mixed { parts } => parts.iter().for_each(|p| p.collect_slots(v)),
        }
    }
}

fn random_access(
    read_fraction: f64,
    records: &Dist,
    skew: f64,
    datasets: &[u16],
) -> Result<(), String> {
    fraction("read_fraction", read_fraction)?;
    records.validate().map_err(|e| format!("`records`: {e}"))?;
    non_negative("skew", skew)?;
    if datasets.is_empty() {
        return Err("`datasets` must list at least one data-set slot".into());
    }
    let mut sorted = datasets.to_vec();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!(
            "`datasets` lists slot {} twice: list each data set once",
            w[0]
        ));
    }
    Ok(())
}
