//! Simulated time: integer nanoseconds since the start of a run.
//!
//! [`SimTime`] is an instant, [`SimDuration`] a span; both are `u64` nanoseconds, which
//! covers about 584 years. Arithmetic saturates instead of wrapping so a bad parameter
//! produces a very late event rather than a time-travelling one. Durations parse from the
//! literals used on the command line and in scenario files (`1500ms`, `30s`, `2.5us`,
//! `1min`, `1h`) with exact decimal arithmetic (no floating point on the way).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::{Add, AddAssign, Mul, Sub};
use std::str::FromStr;

/// An instant of simulated time, in nanoseconds since the start of the run.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SimTime(u64);

/// A span of simulated time, in nanoseconds.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimDuration(u64);

const NS_PER_US: u64 = 1_000;
const NS_PER_MS: u64 = 1_000_000;
const NS_PER_S: u64 = 1_000_000_000;

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The latest representable instant ("never").
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// The instant `ns` nanoseconds after the start.
    #[inline]
    pub const fn from_nanos(ns: u64) -> Self {
        SimTime(ns)
    }
    /// Nanoseconds since the start.
    #[inline]
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Seconds since the start, as a float (for reports and plots only).
    #[inline]
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NS_PER_S as f64
    }
    /// The span from `earlier` to `self`, or zero when `earlier` is later.
    #[inline]
    pub const fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
    /// The span from `earlier` to `self`, or `None` when `earlier` is later.
    #[inline]
    pub const fn checked_since(self, earlier: SimTime) -> Option<SimDuration> {
        match self.0.checked_sub(earlier.0) {
            Some(d) => Some(SimDuration(d)),
            None => None,
        }
    }
    /// This instant plus `d`, or `None` on overflow.
    #[inline]
    pub const fn checked_add(self, d: SimDuration) -> Option<SimTime> {
        match self.0.checked_add(d.0) {
            Some(t) => Some(SimTime(t)),
            None => None,
        }
    }
    /// The instant as a duration since the start (handy for printing offsets).
    #[inline]
    pub const fn since_start(self) -> SimDuration {
        SimDuration(self.0)
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);
    /// The longest representable span.
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    /// `ns` nanoseconds.
    #[inline]
    pub const fn from_nanos(ns: u64) -> Self {
        SimDuration(ns)
    }
    /// `us` microseconds (saturating).
    #[inline]
    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us.saturating_mul(NS_PER_US))
    }
    /// `ms` milliseconds (saturating).
    #[inline]
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms.saturating_mul(NS_PER_MS))
    }
    /// `s` seconds (saturating).
    #[inline]
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s.saturating_mul(NS_PER_S))
    }
    /// A span of `secs` seconds rounded to the nearest nanosecond; negative or NaN gives zero,
    /// too large saturates.
    #[inline]
    pub fn from_secs_f64(secs: f64) -> Self {
        Self::from_nanos_f64(secs * NS_PER_S as f64)
    }
    /// A span of `ns` nanoseconds rounded to the nearest nanosecond (halves away from
    /// zero, as `libm::round`); negative or NaN gives zero, too large saturates.
    #[inline]
    #[allow(clippy::neg_cmp_op_on_partial_ord)] // `!(ns > 0.0)` is also true for NaN
    pub fn from_nanos_f64(ns: f64) -> Self {
        // Exact: below 2^53 both the truncation and the fraction are exact; above it every
        // float is an integer and the fraction is 0. Two conversions and a compare instead
        // of a call to `round`.
        if !(ns > 0.0) {
            // Zero, negative or NaN.
            SimDuration(0)
        } else if ns < (1u64 << 63) as f64 {
            // SAFETY: 0 < ns < 2^63, so the truncation fits an i64.
            let t = unsafe { ns.to_int_unchecked::<i64>() };
            SimDuration((t + ((ns - t as f64) >= 0.5) as i64) as u64)
        } else if ns >= u64::MAX as f64 {
            SimDuration(u64::MAX)
        } else {
            // Integers from 2^63 up: no fraction.
            SimDuration(ns as u64)
        }
    }
    /// Nanoseconds in this span.
    #[inline]
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Seconds, as a float (for reports and plots only).
    #[inline]
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NS_PER_S as f64
    }
    /// Microseconds, as a float (for reports only).
    #[inline]
    pub fn as_micros_f64(self) -> f64 {
        self.0 as f64 / NS_PER_US as f64
    }
    /// Milliseconds, as a float (for reports only).
    #[inline]
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / NS_PER_MS as f64
    }
    /// Sum, saturating at [`SimDuration::MAX`].
    #[inline]
    pub const fn saturating_add(self, o: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(o.0))
    }
    /// Difference, saturating at zero.
    #[inline]
    pub const fn saturating_sub(self, o: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(o.0))
    }
    /// Whether this is the zero span.
    #[inline]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
    /// Time to move `bytes` at `bytes_per_sec`, rounded up to whole nanoseconds.
    /// A rate of zero means "infinitely slow" and gives [`SimDuration::MAX`].
    #[inline]
    pub const fn for_bytes(bytes: u64, bytes_per_sec: u64) -> SimDuration {
        if bytes_per_sec == 0 {
            return SimDuration::MAX;
        }
        let ns = (bytes as u128 * NS_PER_S as u128).div_ceil(bytes_per_sec as u128);
        if ns > u64::MAX as u128 {
            SimDuration::MAX
        } else {
            SimDuration(ns as u64)
        }
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    #[inline]
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}
impl AddAssign<SimDuration> for SimTime {
    #[inline]
    fn add_assign(&mut self, d: SimDuration) {
        self.0 = self.0.saturating_add(d.0);
    }
}
impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    /// Saturating: an earlier minus a later instant is zero.
    #[inline]
    fn sub(self, o: SimTime) -> SimDuration {
        self.saturating_since(o)
    }
}
impl Add for SimDuration {
    type Output = SimDuration;
    #[inline]
    fn add(self, o: SimDuration) -> SimDuration {
        self.saturating_add(o)
    }
}
impl AddAssign for SimDuration {
    #[inline]
    fn add_assign(&mut self, o: SimDuration) {
        *self = self.saturating_add(o);
    }
}
impl Sub for SimDuration {
    type Output = SimDuration;
    #[inline]
    fn sub(self, o: SimDuration) -> SimDuration {
        self.saturating_sub(o)
    }
}
impl Mul<u64> for SimDuration {
    type Output = SimDuration;
    #[inline]
    fn mul(self, k: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(k))
    }
}

/// Writes `ns` as seconds with `decimals` fractional digits (truncated), e.g. `12.345678s`.
fn write_secs(f: &mut fmt::Formatter<'_>, ns: u64, decimals: u32) -> fmt::Result {
    let secs = ns / NS_PER_S;
    let frac = ns % NS_PER_S;
    let div = 10u64.pow(9 - decimals);
    write!(
        f,
        "{secs}.{:0width$}s",
        frac / div,
        width = decimals as usize
    )
}

impl fmt::Display for SimTime {
    /// Seconds with microsecond resolution, e.g. `12.345678s`; with `{:#}` full nanoseconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_secs(f, self.0, if f.alternate() { 9 } else { 6 })
    }
}
impl fmt::Debug for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SimTime({})", self.0)
    }
}

impl fmt::Display for SimDuration {
    /// The largest unit that keeps at least one whole digit: `850ns`, `12.5us`, `1.5ms`,
    /// `30s`, with trailing zeros of the fraction dropped. The output parses back exactly.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        let (unit, per) = if ns < NS_PER_US {
            ("ns", 1)
        } else if ns < NS_PER_MS {
            ("us", NS_PER_US)
        } else if ns < NS_PER_S {
            ("ms", NS_PER_MS)
        } else {
            ("s", NS_PER_S)
        };
        let whole = ns / per;
        let frac = ns % per;
        if frac == 0 {
            return write!(f, "{whole}{unit}");
        }
        let digits = per.ilog10() as usize;
        let mut s = format!("{frac:0digits$}");
        while s.ends_with('0') {
            s.pop();
        }
        write!(f, "{whole}.{s}{unit}")
    }
}
impl fmt::Debug for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SimDuration({})", self)
    }
}

/// Why a duration literal was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseDurationError {
    /// Nothing to parse.
    #[error(
        "empty duration: expected a number followed by a unit (ns, us, ms, s, min, h), e.g. 1500ms"
    )]
    Empty,
    /// No unit after the number.
    #[error("duration `{0}` has no unit: add one of ns, us, ms, s, min, h (e.g. `{0}s`)")]
    MissingUnit(String),
    /// A unit that is not one of the allowed ones.
    #[error(
        "duration `{input}` has unknown unit `{unit}`: allowed units are ns, us, ms, s, min, h"
    )]
    UnknownUnit {
        /// The whole literal.
        input: String,
        /// The unit found.
        unit: String,
    },
    /// The number part is not a plain non-negative decimal.
    #[error("duration `{0}` is not a non-negative decimal number followed by a unit (e.g. 2.5ms)")]
    BadNumber(String),
    /// More precision than a nanosecond, or too large.
    #[error("duration `{0}` is finer than 1ns or larger than about 584 years")]
    OutOfRange(String),
}

impl FromStr for SimDuration {
    type Err = ParseDurationError;

    /// Parses `<decimal><unit>` with unit one of `ns`, `us` (or `µs`), `ms`, `s`, `min`, `h`.
    /// Whitespace between number and unit is allowed. The literal `0` needs no unit.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ParseDurationError::Empty);
        }
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
            .unwrap_or(s.len());
        let (num, unit) = (&s[..split], s[split..].trim());
        if num.is_empty() {
            return Err(ParseDurationError::BadNumber(input.to_string()));
        }
        let per: u64 = match unit {
            "" if num.chars().all(|c| c == '0' || c == '.') => 1,
            "" => return Err(ParseDurationError::MissingUnit(input.to_string())),
            "ns" => 1,
            "us" | "µs" => NS_PER_US,
            "ms" => NS_PER_MS,
            "s" => NS_PER_S,
            "min" => 60 * NS_PER_S,
            "h" => 3600 * NS_PER_S,
            other => {
                return Err(ParseDurationError::UnknownUnit {
                    input: input.to_string(),
                    unit: other.to_string(),
                });
            }
        };
        let num: String = num.chars().filter(|&c| c != '_').collect();
        let (int_part, frac_part) = match num.split_once('.') {
            Some((i, f)) => (i, f),
            None => (num.as_str(), ""),
        };
        if (int_part.is_empty() && frac_part.is_empty()) || frac_part.contains('.') {
            return Err(ParseDurationError::BadNumber(input.to_string()));
        }
        let bad = || ParseDurationError::OutOfRange(input.to_string());
        let int: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| bad())?
        };
        let mut total = int.checked_mul(per as u128).ok_or_else(bad)?;
        // Fraction: exact, refusing digits finer than one nanosecond unless they are zeros.
        let mut scale = per as u128;
        for (i, c) in frac_part.char_indices() {
            let d = c
                .to_digit(10)
                .ok_or_else(|| ParseDurationError::BadNumber(input.to_string()))?
                as u128;
            if !scale.is_multiple_of(10) {
                if d != 0 || frac_part[i..].chars().any(|c| c != '0') {
                    return Err(bad());
                }
                break;
            }
            scale /= 10;
            total += d * scale;
        }
        if total > u64::MAX as u128 {
            return Err(bad());
        }
        Ok(SimDuration(total as u64))
    }
}

impl Serialize for SimDuration {
    /// Serialized as the human literal (e.g. `"1.5ms"`), which parses back exactly.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SimDuration {
    /// Accepts a duration literal string (`"30s"`); a bare number is refused as ambiguous
    /// (except 0).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = SimDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"30s\", \"1500ms\", \"2.5us\" (units ns, us, ms, s, min, h)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SimDuration, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<SimDuration, E> {
                // A bare number is ambiguous (30 what?): only 0 needs no unit.
                if v == 0 {
                    Ok(SimDuration(0))
                } else {
                    Err(E::custom(ParseDurationError::MissingUnit(v.to_string())))
                }
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<SimDuration, E> {
                if v < 0 {
                    return Err(E::custom("a duration cannot be negative"));
                }
                self.visit_u64(v as u64)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_every_unit() {
        let cases = [
            ("10ns", 10),
            ("250us", 250_000),
            ("2.5us", 2_500),
            ("1500ms", 1_500_000_000),
            ("30s", 30 * NS_PER_S),
            ("1.5s", 1_500_000_000),
            ("2min", 120 * NS_PER_S),
            ("1h", 3600 * NS_PER_S),
            (" 7 ms ", 7 * NS_PER_MS),
            ("0", 0),
            (".5s", 500_000_000),
            ("1_000ms", NS_PER_S),
            ("1.000000000s", NS_PER_S),
        ];
        for (s, ns) in cases {
            assert_eq!(s.parse::<SimDuration>(), Ok(SimDuration(ns)), "{s}");
        }
    }

    /// `from_nanos_f64` rounds exactly as `libm::round` did (the traces depend on it): at
    /// halves, just below and above them, near 2^52 and 2^53 where the spacing of floats
    /// reaches 1/2 and 1, and on random bit patterns over the whole range.
    #[test]
    fn nanosecond_rounding_is_libm_round() {
        let reference = |ns: f64| {
            if ns.is_nan() || ns <= 0.0 {
                0
            } else if ns >= u64::MAX as f64 {
                u64::MAX
            } else {
                libm::round(ns) as u64
            }
        };
        let mut cases = vec![0.0, -1.0, f64::NAN, 0.5, 1.5, 2.5, 1e30, f64::INFINITY];
        for base in [
            0.5f64,
            1.5,
            2.5,
            1e6 + 0.5,
            4503599627370495.5,
            9007199254740993.0,
        ] {
            let mut x = base;
            for _ in 0..4 {
                x = f64::from_bits(x.to_bits() - 1);
            }
            for _ in 0..9 {
                cases.push(x);
                x = f64::from_bits(x.to_bits() + 1);
            }
        }
        cases.push(0.49999999999999994);
        cases.push(u64::MAX as f64);
        cases.push(f64::from_bits((u64::MAX as f64).to_bits() - 1));
        let mut bits = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200_000 {
            bits ^= bits << 13;
            bits ^= bits >> 7;
            bits ^= bits << 17;
            // Positive floats from 2^-20 to 2^65.
            let x = f64::from_bits((1003u64 << 52) + bits % (85u64 << 52));
            cases.push(x);
            cases.push(libm::floor(x) + 0.5);
        }
        for x in cases {
            assert_eq!(
                SimDuration::from_nanos_f64(x).as_nanos(),
                reference(x),
                "{x:e}"
            );
        }
    }

    #[test]
    fn refuses_bad_literals_with_useful_messages() {
        let e = "30".parse::<SimDuration>().unwrap_err();
        assert!(e.to_string().contains("no unit"), "{e}");
        let e = "3days".parse::<SimDuration>().unwrap_err();
        assert!(e.to_string().contains("ns, us, ms, s, min, h"), "{e}");
        assert!(matches!(
            "".parse::<SimDuration>(),
            Err(ParseDurationError::Empty)
        ));
        assert!(matches!(
            "-1s".parse::<SimDuration>(),
            Err(ParseDurationError::BadNumber(_))
        ));
        assert!(matches!(
            "1.2.3s".parse::<SimDuration>(),
            Err(ParseDurationError::BadNumber(_))
        ));
        assert!(matches!(
            "0.5ns".parse::<SimDuration>(),
            Err(ParseDurationError::OutOfRange(_))
        ));
        assert!(matches!(
            "10000000h".parse::<SimDuration>(),
            Err(ParseDurationError::OutOfRange(_))
        ));
    }

    #[test]
    fn displays_readably() {
        assert_eq!(
            SimTime::from_nanos(12_345_678_901).to_string(),
            "12.345678s"
        );
        assert_eq!(
            format!("{:#}", SimTime::from_nanos(12_345_678_901)),
            "12.345678901s"
        );
        assert_eq!(SimDuration::from_nanos(850).to_string(), "850ns");
        assert_eq!(SimDuration::from_nanos(12_500).to_string(), "12.5us");
        assert_eq!(SimDuration::from_millis(1500).to_string(), "1.5s");
        assert_eq!(SimDuration::from_micros(1500).to_string(), "1.5ms");
        assert_eq!(SimDuration::from_secs(30).to_string(), "30s");
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(SimTime::MAX + SimDuration::from_secs(1), SimTime::MAX);
        assert_eq!(SimTime::ZERO - SimTime::from_nanos(5), SimDuration::ZERO);
        assert_eq!(
            SimDuration::for_bytes(1_000, 1_000_000),
            SimDuration::from_millis(1)
        );
        assert_eq!(
            SimDuration::for_bytes(1, 3),
            SimDuration::from_nanos(333_333_334)
        );
        assert_eq!(SimDuration::for_bytes(1, 0), SimDuration::MAX);
        assert_eq!(SimDuration::from_secs_f64(-1.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(1e-9), SimDuration::from_nanos(1));
    }

    #[test]
    fn serde_accepts_literal_or_nanos() {
        let d: SimDuration = serde_json::from_str("\"30s\"").unwrap();
        assert_eq!(d, SimDuration::from_secs(30));
        let e = serde_json::from_str::<SimDuration>("1500").unwrap_err();
        assert!(e.to_string().contains("no unit"), "{e}");
        assert_eq!(
            serde_json::from_str::<SimDuration>("0").unwrap(),
            SimDuration::ZERO
        );
        assert!(serde_json::from_str::<SimDuration>("-3").is_err());
        assert_eq!(
            serde_json::to_string(&SimDuration::from_micros(1500)).unwrap(),
            "\"1.5ms\""
        );
    }

    proptest! {
        #[test]
        fn display_round_trips(ns in any::<u64>()) {
            let d = SimDuration::from_nanos(ns);
            prop_assert_eq!(d.to_string().parse::<SimDuration>(), Ok(d));
        }
    }
}
