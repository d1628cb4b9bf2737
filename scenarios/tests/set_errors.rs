//! Errors caused by a `--set` argument name that argument, not the scenario file (issue 17):
//! cross-field checks on a table the override edited, durations written with an exponent or
//! a sign, and arbitrary key/value pairs (a property test).

use proptest::prelude::*;
use scenarios::{BASELINE, Location, Source, prepare};
use std::path::Path;

fn refused(sets: &[&str]) -> scenarios::LoadError {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    prepare(
        &Source::new("baseline.toml", BASELINE),
        &sets,
        Path::new("."),
    )
    .map(|_| ())
    .expect_err("refused")
}

/// The three inputs of the issue: each was reported at `baseline.toml:LINE:COL`.
#[test]
fn a_check_on_a_table_the_override_edited_names_the_override() {
    for (arg, says) in [
        (
            "hosts[0].apps[0].workload.tx_rate=-1",
            "`tx_rate` must be a finite number > 0",
        ),
        (
            "hosts[0].apps[0].workload.skew=-3",
            "`skew` must be a finite number >= 0",
        ),
        (
            "volumes[0].datasets[0].cyls=[1,999999]",
            "is not inside volume",
        ),
    ] {
        let e = refused(&[arg]);
        assert_eq!(e.set_arg(), Some(arg), "{e}");
        let text = e.to_string();
        assert!(text.starts_with(&format!("--set {arg}: ")), "{text}");
        assert!(text.contains(says), "{text}");
        assert!(!text.contains("baseline.toml:"), "{text}");
    }
}

/// The file's own mistakes stay at their line and column even when an unrelated override
/// is given.
#[test]
fn a_mistake_in_the_file_stays_in_the_file() {
    let text = BASELINE.replacen("tx_rate = ", "tx_rate = -", 1);
    assert_ne!(text, BASELINE, "the baseline has a tx_rate");
    let e = prepare(
        &Source::new("b.toml", text),
        &["link.distance_km=10".to_string()],
        Path::new("."),
    )
    .map(|_| ())
    .expect_err("refused");
    assert!(
        matches!(e.location, Location::At { .. }),
        "placed in the file: {e}"
    );
    assert!(e.to_string().starts_with("b.toml:"), "{e}");
}

#[test]
fn durations_with_an_exponent_or_a_sign_are_explained() {
    let e = refused(&["run.length=1e400s"]).to_string();
    assert!(
        e.starts_with("--set run.length=1e400s: ") && e.contains("is out of range"),
        "{e}"
    );
    assert!(!e.contains("unknown unit"), "{e}");
    let e = refused(&["run.length=1e3s"]).to_string();
    assert!(e.contains("write `1000s`"), "{e}");
    let e = refused(&["disaster.at=-5s"]).to_string();
    assert!(e.contains("is negative"), "{e}");
}

/// Keys of the baseline and its neighbours (real ones, misspelt ones, indexed ones).
const KEYS: &[&str] = &[
    "run.seed",
    "run.length",
    "run.rpo_interval",
    "run.drain",
    "copy.mode",
    "copy.batch_bytes",
    "copy.batch_timer",
    "copy.movers",
    "link.distance_km",
    "link.bandwidth_mbps",
    "link.paths",
    "workload.write_rate",
    "disaster.at",
    "disaster.cut_link",
    "hosts[0].apps[0].workload.tx_rate",
    "hosts[0].apps[0].workload.skew",
    "hosts[0].apps[0].workload.kind",
    "volumes[0].datasets[0].cyls",
    "volumes[0].datasets[0].record",
    "volumes[0].device",
    "volumes[0].subsystem",
    "link.bandwith_mbps",
    "nosuch",
];

/// Values of every kind, including hostile ones.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| format!("{v:e}")),
        "-?[0-9]{1,4}(\\.[0-9]{1,3})?(e[+-]?[0-9]{1,4})?(ns|us|ms|s|min|h)?",
        Just("none".to_string()),
        Just("[1,999999]".to_string()),
        Just("{ kind = \"oltp\" }".to_string()),
        "[ -~]{0,12}",
    ]
}

/// Names other keys refer to: renaming one leaves a reference dangling, and that error is
/// placed at the reference (`volumes[0].subsystem: no storage control named ...`).
const NAMES: &[&str] = &[
    "hosts[0].name",
    "hosts[1].name",
    "volumes[0].volser",
    "subsystems[0].name",
];

/// Cases per property: `default` in CI, `PROPTEST_CASES` for a soak (docs/scenario-errors.md).
fn soak_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: soak_cases(200), failure_persistence: None, ..ProptestConfig::default() })]

    /// Any override of the baseline ends in a scenario or an error, never a panic; an error
    /// names the override, or (a cross-field check placed at another key, such as a disaster
    /// after the end of a shorter run) names its key.
    #[test]
    fn any_override_is_refused_by_name_or_accepted(
        key in prop::sample::select(KEYS),
        value in value(),
    ) {
        let arg = format!("{key}={value}");
        let r = prepare(
            &Source::new("baseline.toml", BASELINE),
            std::slice::from_ref(&arg),
            Path::new("."),
        );
        if let Err(e) = r {
            let text = e.to_string();
            prop_assert!(
                e.set_arg() == Some(arg.as_str()) || text.contains(key),
                "the error names neither `--set {}` nor its key: {}", arg, text
            );
        }
    }

    /// Renames never panic and end in a scenario or an error.
    #[test]
    fn any_rename_ends_in_a_scenario_or_an_error(
        key in prop::sample::select(NAMES),
        value in value(),
    ) {
        let arg = format!("{key}={value}");
        let r = prepare(
            &Source::new("baseline.toml", BASELINE),
            std::slice::from_ref(&arg),
            Path::new("."),
        );
        if let Err(e) = r {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}
