//! Durations as people write them on the command line and in `--set`: the simulator's own
//! literal (`30s`, `1500ms`), with a clear message for the forms it refuses (a negative
//! time, an exponent, a number beyond simulated time).

use sim::SimDuration;

/// The longest simulated time, in years (u64 nanoseconds), for messages.
const MAX_YEARS: u64 = u64::MAX / 1_000_000_000 / 3600 / 24 / 365;

/// Parses a duration literal (`30s`, `1500ms`, `2.5us`, `0`). A refused form gets a message
/// that says what is wrong and what is allowed: `-5s` is negative, `1e3s` has an exponent
/// (the plain decimal is proposed: `1000s`), `1e400s` is beyond simulated time.
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    text.parse::<SimDuration>()
        .map_err(|e| explain_duration(text).unwrap_or_else(|| e.to_string()))
}

/// A better message than the duration parser's for a refused `text`, when there is one:
/// negative durations and numbers with an exponent. `None` leaves the parser's message.
pub fn explain_duration(text: &str) -> Option<String> {
    let s = text.trim();
    if let Some(rest) = s.strip_prefix('-') {
        if rest.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
            return Some(format!(
                "duration `{s}` is negative: give a time from 0 (the start of the run), \
                 e.g. 45s"
            ));
        }
        return None;
    }
    let (mantissa, exponent, unit) = split_exponent(s)?;
    let units = "allowed units are ns, us, ms, s, min, h";
    match plain_decimal(mantissa, exponent) {
        Some(plain) => {
            let written = format!("{plain}{unit}");
            if written.parse::<SimDuration>().is_ok() {
                Some(format!(
                    "duration `{s}`: a duration is a plain decimal number and a unit, \
                     without an exponent; write `{written}`"
                ))
            } else {
                Some(format!(
                    "duration `{s}` is out of range: simulated time holds at most about \
                     {MAX_YEARS} years, to the nanosecond; write a plain decimal number and a \
                     unit ({units})"
                ))
            }
        }
        None => Some(format!(
            "duration `{s}` is out of range: simulated time holds at most about {MAX_YEARS} \
             years, to the nanosecond; write a plain decimal number and a unit ({units})"
        )),
    }
}

/// `1.5e3ms` into (`1.5`, 3, `ms`); `None` when `s` is not a number with an exponent
/// followed by something.
fn split_exponent(s: &str) -> Option<(&str, i64, &str)> {
    let m_end = s.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))?;
    let mantissa = &s[..m_end];
    if !mantissa.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let rest = s[m_end..].strip_prefix(['e', 'E'])?;
    let sign_len = usize::from(rest.starts_with(['+', '-']));
    let digits_end = rest[sign_len..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(rest.len(), |i| i + sign_len);
    let digits = &rest[sign_len..digits_end];
    if digits.is_empty() {
        return None;
    }
    // An exponent too long for i64 is out of range either way: clamp it.
    let magnitude: i64 = digits.parse().unwrap_or(i64::MAX / 2).min(i64::MAX / 2);
    let exponent = if rest.starts_with('-') {
        -magnitude
    } else {
        magnitude
    };
    Some((mantissa, exponent, rest[digits_end..].trim()))
}

/// `mantissa x 10^exponent` as a plain decimal (`1.5`, 3 -> `1500`); `None` when it has
/// more than 40 digits (far beyond simulated time, or finer than any unit's nanosecond).
fn plain_decimal(mantissa: &str, exponent: i64) -> Option<String> {
    let m: String = mantissa.chars().filter(|&c| c != '_').collect();
    let (int, frac) = m.split_once('.').unwrap_or((&m, ""));
    if frac.contains('.') {
        return None;
    }
    let digits = format!("{int}{frac}");
    let point = i64::try_from(int.len()).ok()?.checked_add(exponent)?;
    if !(-40..=40).contains(&point) {
        return None;
    }
    let s = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    };
    // Tidy: no leading zeros before the point, no trailing zeros after it.
    let (i, f) = s.split_once('.').unwrap_or((&s, ""));
    let i = i.trim_start_matches('0');
    let f = f.trim_end_matches('0');
    Some(match (i.is_empty(), f.is_empty()) {
        (true, true) => "0".to_string(),
        (true, false) => format!("0.{f}"),
        (false, true) => i.to_string(),
        (false, false) => format!("{i}.{f}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_forms_are_explained() {
        let e = parse_duration("-5s").unwrap_err();
        assert!(e.contains("`-5s` is negative"), "{e}");
        let e = parse_duration("1e400s").unwrap_err();
        assert!(
            e.contains("`1e400s` is out of range") && e.contains("584 years"),
            "{e}"
        );
        let e = parse_duration("1e3s").unwrap_err();
        assert!(e.contains("write `1000s`"), "{e}");
        let e = parse_duration("1.5E-3s").unwrap_err();
        assert!(e.contains("write `0.0015s`"), "{e}");
        let e = parse_duration("2e10h").unwrap_err();
        assert!(e.contains("out of range"), "{e}");
        let e = parse_duration("1e99999999999999999999999s").unwrap_err();
        assert!(e.contains("out of range"), "{e}");
        // The parser's own messages stay for everything else.
        let e = parse_duration("5 parsecs").unwrap_err();
        assert!(e.contains("unknown unit"), "{e}");
        assert_eq!(
            parse_duration("1500ms").unwrap(),
            SimDuration::from_millis(1500)
        );
    }
}
