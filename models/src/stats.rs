//! Streaming statistics: constant memory whatever the run length.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Mean, median, 99th percentile and maximum, as reported (integers, nanoseconds where the
/// values are times).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Arithmetic mean (rounded to the nearest integer).
    pub mean: u64,
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Maximum.
    pub max: u64,
}

/// A distribution of non-negative integer samples: exact count, sum, min and max; median
/// and p99 from an HDR histogram with 3 significant digits (relative error <= 0.1%).
#[derive(Clone, Debug)]
pub struct Summary {
    hist: Histogram<u64>,
    count: u64,
    sum: u128,
    max: u64,
}

impl Default for Summary {
    fn default() -> Self {
        Self::new()
    }
}

impl Summary {
    /// An empty summary.
    pub fn new() -> Self {
        Summary {
            hist: Histogram::new(3).expect("3 significant digits is a valid precision"),
            count: 0,
            sum: 0,
            max: 0,
        }
    }
    /// Adds one sample.
    #[inline]
    pub fn record(&mut self, v: u64) {
        if self.hist.record(v).is_err() {
            self.hist.saturating_record(v);
        }
        self.count += 1;
        self.sum += v as u128;
        if v > self.max {
            self.max = v;
        }
    }
    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.count
    }
    /// Exact mean (0 when empty).
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }
    /// Exact maximum (0 when empty).
    pub fn max(&self) -> u64 {
        self.max
    }
    /// The value at quantile `q` in `[0, 1]` (0 when empty).
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            0
        } else {
            self.hist.value_at_quantile(q).min(self.max)
        }
    }
    /// The report form.
    pub fn percentiles(&self) -> Percentiles {
        Percentiles {
            mean: libm::round(self.mean()) as u64,
            p50: self.quantile(0.5),
            p99: self.quantile(0.99),
            max: self.max,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_sample() {
        let mut s = Summary::new();
        for v in 1..=1000u64 {
            s.record(v * 1000);
        }
        let p = s.percentiles();
        assert_eq!(p.mean, 500_500);
        assert_eq!(p.max, 1_000_000);
        assert!((p.p50 as i64 - 500_000).abs() <= 500, "{p:?}");
        assert!((p.p99 as i64 - 990_000).abs() <= 1000, "{p:?}");
        assert_eq!(Summary::new().percentiles(), Percentiles::default());
    }
}
