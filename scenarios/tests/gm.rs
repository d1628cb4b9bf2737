//! Global Mirror (`copy.mode = "gm"`): the data-loss window and the consistency groups'
//! duration against a first-order analysis, the failure threshold of the drain time, and
//! the cost of whole-track transfer.
//!
//! Analysis. A consistency group (CG) takes d = drain + FlashCopy (+ the request's and the
//! report's one-way trips). Its point is taken when it starts; groups start every I + d
//! (I: the CG interval). At an instant t between the completions of groups k and k+1 the
//! recoverable image is group k's point, taken at F_k - d: the lag runs from d (just after
//! F_k) to I + 2 d (just before F_(k+1)), so its time average is (I + 3 d) / 2.
//!
//! The drain sends what was written during the previous group's FlashCopy and its own
//! drain: with a write rate w, each write changing a track of b bytes and a link of B
//! bytes/s (rho = w b / B), drain = rho (drain + f), so drain = rho f / (1 - rho), with f
//! the FlashCopy time. It exceeds the maximum drain time D when rho > D / (D + f).

use scenarios::runner::{RunOptions, run};
use scenarios::{Source, prepare, report::Report};

fn run_toml(src: &str, sets: &[&str]) -> Report {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let built = prepare(
        &Source::new("gm-test.toml", src),
        &sets,
        std::path::Path::new("."),
    )
    .expect("builds");
    run(&built, &RunOptions::default()).expect("runs").report
}

/// One volume, uniformly random writes over 3,000 cylinders (almost every write changes a
/// track no other write in the group changed), OC-3 at 100 km, 2 s maximum drain time.
const ONE_VOLUME: &str = "name = \"gm-test\"\n[run]\nseed = 3\nlength = \"120s\"\nrpo_interval = \"37ms\"\n\
    [[subsystems]]\nname = \"SSA1\"\n\
    [[volumes]]\nvolser = \"PRI000\"\nsubsystem = \"SSA1\"\ndatasets = [{ name = \"D\", cyls = [1, 3000] }]\n\
    [[hosts]]\nname = \"SYSA\"\n[[hosts.apps]]\nname = \"A\"\ndatasets = [\"D\"]\n\
    workload = { kind = \"poisson\", rate = 100, skew = 0.0 }\n\
    [[sites]]\nname = \"S1\"\n[link]\ndistance_km = 100\nbandwidth_mbps = 155.52\n\
    [copy]\nmode = \"gm\"\nmax_drain_time = \"2s\"\n[disaster]\nat = \"119s\"\n";

const TRACK: f64 = 56_664.0; // 3390 track capacity, bytes
const LINK: f64 = 155.52e6 / 8.0; // bytes per second

fn rho(rate: f64) -> f64 {
    rate * TRACK / LINK
}

#[test]
fn the_window_averages_the_interval_plus_three_group_durations_over_two() {
    for interval in ["0s", "5s"] {
        let r = run_toml(ONE_VOLUME, &[&format!("copy.cg_interval={interval}")]);
        let site = &r.sites[0].core;
        assert!(site.prefix_consistent, "{interval}");
        assert!(r.model.consistency_groups > 10, "{interval}");
        assert_eq!(r.model.cg_failures, 0, "{interval}");
        let d = r.model.cg_time_sum_ns as f64 / r.model.consistency_groups as f64 / 1e9;
        let i: f64 = interval.trim_end_matches('s').parse().unwrap();
        let want = (i + 3.0 * d) / 2.0;
        let mean = site.rpo_ns.mean as f64 / 1e9;
        assert!(
            (mean - want).abs() / want < 0.10,
            "I = {interval}: mean lag {mean} s, analysis (I + 3d)/2 = {want} s (d = {d} s)"
        );
    }
}

#[test]
fn the_drain_follows_rho_f_over_one_minus_rho() {
    for rate in [100.0, 150.0, 200.0] {
        let r = run_toml(ONE_VOLUME, &[&format!("workload.write_rate={rate}")]);
        let d = r.model.cg_time_sum_ns as f64 / r.model.consistency_groups as f64 / 1e9;
        let f = 1.0;
        let want = rho(rate) * f / (1.0 - rho(rate)) + f;
        assert!(
            (d - want).abs() / want < 0.10,
            "{rate} writes/s: group {d} s, analysis drain + f = {want} s"
        );
    }
}

#[test]
fn groups_fail_above_the_drain_time_threshold() {
    // Threshold: rho = D / (D + f) = 2/3, about 229 writes/s.
    let threshold = 2.0 / 3.0 * LINK / TRACK;
    assert!((200.0..250.0).contains(&threshold));
    let below = run_toml(ONE_VOLUME, &["workload.write_rate=200"]);
    let above = run_toml(ONE_VOLUME, &["workload.write_rate=260"]);
    assert_eq!(below.model.cg_failures, 0);
    assert!(above.model.cg_failures > 0, "{:?}", above.model.cg_failures);
    assert!(
        above.sites[0].core.rpo_ns.max > below.sites[0].core.rpo_ns.max + 2_000_000_000,
        "a failed group leaves the recoverable image behind by at least the drain time: {} vs {} ns",
        above.sites[0].core.rpo_ns.max,
        below.sites[0].core.rpo_ns.max
    );
    for r in [&below, &above] {
        assert!(r.sites[0].core.prefix_consistent);
    }
}

#[test]
fn whole_tracks_cost_the_link_more_than_changed_records() {
    let tracks = run_toml(ONE_VOLUME, &[]);
    let records = run_toml(ONE_VOLUME, &["copy.gm_whole_tracks=false"]);
    let per_write = |r: &Report| r.link.bytes as f64 / r.primary.bytes as f64;
    assert!(
        per_write(&tracks) > 5.0 * per_write(&records),
        "{} vs {} bytes sent per byte written",
        per_write(&tracks),
        per_write(&records)
    );
    assert!(records.sites[0].core.prefix_consistent);
}

#[test]
fn max_drain_time_zero_is_refused_at_its_key() {
    let sets = vec!["copy.max_drain_time=0s".to_string()];
    let Err(e) = prepare(
        &Source::new("gm-test.toml", ONE_VOLUME),
        &sets,
        std::path::Path::new("."),
    ) else {
        panic!("a zero maximum drain time is refused")
    };
    let e = e.to_string();
    assert!(e.contains("copy.max_drain_time"), "{e}");
}
