//! The SPC trace reader under arbitrary bytes (issue 17): it never panics, yields at most
//! one item per line, stops at its first error in strict mode, and in lenient mode gives up
//! on input that is not a trace instead of skipping forever.

use models::workload::spc::{MAX_LINE, MAX_SKIPPED_BEFORE_FIRST};
use models::workload::{Leniency, SpcReader};
use proptest::prelude::*;
use std::io::Cursor;

/// Bytes that look a little like a trace (digits, commas, `r`/`w`, dots, line ends) mixed
/// with anything at all, and lines longer than the reader's limit.
fn trace_like() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        "[0-9,.rwRW \\n-]{0,40}".prop_map(String::into_bytes),
        "[0-9]{1,3},[0-9]{1,9},[0-9]{1,6},[rwRW],[0-9]{1,4}\\.[0-9]{1,6}\\n"
            .prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..64),
        (0usize..3 * MAX_LINE).prop_map(|n| vec![b'7'; n]),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

fn check(bytes: &[u8], leniency: Leniency) -> Result<(), TestCaseError> {
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let mut r = SpcReader::new(Cursor::new(bytes.to_vec()), leniency);
    let mut items = 0u64;
    let mut errors = 0u64;
    for item in r.by_ref() {
        items += 1;
        prop_assert!(items <= lines, "more items than lines");
        if let Err(e) = item {
            errors += 1;
            prop_assert!(
                e.line >= 1 && e.line <= lines,
                "line {} of {}",
                e.line,
                lines
            );
            prop_assert!(!e.to_string().is_empty());
        }
    }
    prop_assert!(r.lines_read() <= lines);
    match leniency {
        Leniency::Strict => prop_assert!(errors <= 1, "strict reading stops at its first error"),
        Leniency::Lenient => {
            if r.records() == 0 {
                prop_assert!(
                    r.skipped() <= MAX_SKIPPED_BEFORE_FIRST,
                    "lenient reading skipped {} lines before any record",
                    r.skipped()
                );
            }
        }
    }
    Ok(())
}

/// Cases per property: `default` in CI, `PROPTEST_CASES` for a soak (docs/scenario-errors.md).
fn soak_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: soak_cases(500), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn trace_like_bytes_end_in_records_or_a_clear_error(bytes in trace_like()) {
        check(&bytes, Leniency::Strict)?;
        check(&bytes, Leniency::Lenient)?;
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..20_000)) {
        check(&bytes, Leniency::Lenient)?;
        check(&bytes, Leniency::Strict)?;
    }
}

/// An endless stream of empty-looking junk lines ends within a bounded read in lenient mode.
#[test]
fn lenient_reading_of_endless_junk_stops() {
    use std::io::Read;
    let junk = std::io::BufReader::new(
        Cursor::new(b"x\n".to_vec())
            .chain(std::io::repeat(b'?').take(1 << 30))
            .take(1 << 30),
    );
    let mut r = SpcReader::new(junk, Leniency::Lenient);
    let n = r.by_ref().count();
    assert!(n <= 2, "{n} items");
    assert!(
        r.lines_read() <= MAX_SKIPPED_BEFORE_FIRST + 10,
        "{}",
        r.lines_read()
    );
}
