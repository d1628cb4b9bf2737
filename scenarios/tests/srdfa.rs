//! SRDF/A (`copy.mode = "srdfa"`): the data-loss window against the first-order analysis of
//! delta-set cycles, write folding, and cycles stretched by a slow link.
//!
//! Analysis (light load, the transmit set sent well within a cycle). Switches happen at
//! s_k = k C. The writes of cycle k were captured in [s_(k-1), s_k), are sent from s_k, and
//! the secondary applies them when the first message of cycle k+1 arrives, just after
//! s_(k+1). Struck at t in [s_(k+1), s_(k+2)) with the link intact, the switch at s_(k+1)
//! has happened and its first message still arrives, so the secondary recovers every write
//! before s_k: the window is t - s_k, between C and 2 C. Sampled at a uniformly random
//! instant the lag of the applied image is t - s_k as well, except during the short time
//! d after each switch before the promotion has reached the secondary and been applied
//! (first message's transmission + propagation + applying the cycle), when it is t - s_(k-1):
//! mean lag = 1.5 C + d, with d a few milliseconds at light load.

use scenarios::runner::{RunOptions, run};
use scenarios::{Source, prepare, report::Report};

fn scenario(extra: &str) -> String {
    format!(
        "name = \"srdfa-test\"\n[run]\nseed = 5\nlength = \"200s\"\nrpo_interval = \"37ms\"\n\
         [workload]\nwrite_rate = 100\n[link]\ndistance_km = 100\nbandwidth_mbps = 155.52\n\
         [copy]\nmode = \"srdfa\"\nmin_cycle_time = \"2s\"\n{extra}"
    )
}

fn run_toml(src: &str, sets: &[&str]) -> Report {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let built = prepare(
        &Source::new("srdfa-test.toml", src),
        &sets,
        std::path::Path::new("."),
    )
    .expect("builds");
    run(&built, &RunOptions::default()).expect("runs").report
}

#[test]
fn the_window_lies_between_one_and_two_cycles_and_averages_one_and_a_half() {
    let c = 2.0_f64;
    // Struck at instants all over a cycle: the window is t - s_k, in [C, 2C).
    for at_ms in [101_000u64, 101_700, 102_300, 102_900, 103_500, 103_999] {
        let r = run_toml(&scenario(&format!("[disaster]\nat = \"{at_ms}ms\"\n")), &[]);
        let site = &r.sites[0].core;
        assert!(site.prefix_consistent, "at {at_ms} ms");
        let w = site.data_loss_window_ns as f64 / 1e9;
        let t = at_ms as f64 / 1e3;
        let s_k = ((t / c).floor() - 1.0) * c;
        assert!(
            w >= c && w < 2.0 * c + 0.01,
            "at {t} s: window {w} s, not in [C, 2C)"
        );
        // The recovered image holds the writes before s_k (the last write just before it).
        assert!(
            (w - (t - s_k)).abs() < 0.1,
            "at {t} s: window {w} s, analysis {} s",
            t - s_k
        );
    }
    // Sampled over the run (the first 2 C, before any cycle has been applied, excluded by
    // the length: 4 s of 200 s shift the mean by under 1%).
    let r = run_toml(&scenario(""), &["disaster.at=199s"]);
    let mean = r.sites[0].core.rpo_ns.mean as f64 / 1e9;
    let want = 1.5 * c;
    assert!(
        (mean - want).abs() / want < 0.10,
        "mean lag {mean} s, analysis 1.5 C = {want} s"
    );
    assert_eq!(r.model.cycles, 99, "a switch every 2 s up to 198 s");
    assert_eq!(r.model.cycle_time_max_ns, 2_000_000_000);
}

#[test]
fn a_record_written_twice_in_a_cycle_is_sent_once() {
    // Hot records (Zipf over a small data set): longer cycles fold more re-writes.
    let bytes_sent = |cycle: &str| {
        let src = "name = \"fold\"\n[run]\nseed = 2\nlength = \"60s\"\n\
             [[subsystems]]\nname = \"SSA1\"\n\
             [[volumes]]\nvolser = \"PRI000\"\nsubsystem = \"SSA1\"\ndatasets = [{ name = \"HOT\", cyls = [1, 2] }]\n\
             [[hosts]]\nname = \"SYSA\"\n[[hosts.apps]]\nname = \"A\"\ndatasets = [\"HOT\"]\n\
             workload = { kind = \"poisson\", rate = 400, skew = 1.2 }\n\
             [[sites]]\nname = \"S1\"\n[copy]\nmode = \"srdfa\"\n[disaster]\nat = \"59s\"\n";
        let r = run_toml(src, &[&format!("copy.min_cycle_time={cycle}")]);
        assert!(r.sites[0].core.prefix_consistent, "{cycle}");
        (r.link.bytes as f64, r.primary.bytes as f64)
    };
    let (sent_short, written_short) = bytes_sent("1s");
    let (sent_long, written_long) = bytes_sent("10s");
    assert!(
        sent_short < 0.9 * written_short,
        "1 s cycles: {sent_short} bytes sent for {written_short} written"
    );
    assert!(
        sent_long < 0.5 * sent_short * written_long / written_short,
        "10 s cycles fold more: {sent_long} vs {sent_short}"
    );
}

#[test]
fn a_link_slower_than_the_writes_stretches_the_cycles() {
    let fast = run_toml(
        &scenario("[disaster]\nat = \"60s\"\n"),
        &["workload.write_rate=1500", "run.length=60s"],
    );
    let slow = run_toml(
        &scenario("[disaster]\nat = \"60s\"\n"),
        &[
            "workload.write_rate=1500",
            "run.length=60s",
            "link.bandwidth_mbps=30",
        ],
    );
    assert_eq!(fast.model.cycle_time_max_ns, 2_000_000_000);
    assert!(
        slow.model.cycle_time_max_ns > 2 * fast.model.cycle_time_max_ns,
        "the switch waits for the transmit set: longest cycle {} ns",
        slow.model.cycle_time_max_ns
    );
    assert!(slow.model.cycles < fast.model.cycles);
    assert!(
        slow.sites[0].core.data_loss_window_ns > fast.sites[0].core.data_loss_window_ns,
        "longer cycles, larger window"
    );
    for r in [&fast, &slow] {
        assert!(r.sites[0].core.prefix_consistent);
    }
}

#[test]
fn min_cycle_time_zero_is_refused_at_its_key() {
    let sets = vec!["copy.min_cycle_time=0s".to_string()];
    let Err(e) = prepare(
        &Source::new("srdfa-test.toml", scenario("")),
        &sets,
        std::path::Path::new("."),
    ) else {
        panic!("a zero minimum cycle time is refused")
    };
    let e = e.to_string();
    assert!(e.contains("copy.min_cycle_time"), "{e}");
    assert!(e.contains("longer than 0"), "{e}");
}

#[test]
fn the_delta_sets_take_cache_and_a_full_limit_drops_the_session() {
    // Two cycles of 100 writes/s of 4 KiB: about 1.6 MB held at the peak.
    let r = run_toml(&scenario("[disaster]\nat = \"60s\"\n"), &["run.length=60s"]);
    let peak = r.model.delta_set_peak_bytes;
    assert!(
        (1_000_000..3_000_000).contains(&peak),
        "delta sets peak {peak} bytes"
    );
    assert!(r.model.suspensions.is_empty());
    // A limit below one cycle's data: the session drops at the first cycle's end, the
    // secondary keeps a consistent image.
    let dropped = run_toml(
        &scenario("[disaster]\nat = \"60s\"\n"),
        &["run.length=60s", "copy.srdfa_cache_limit=500000"],
    );
    let reasons: Vec<&str> = dropped
        .model
        .suspensions
        .iter()
        .map(|(_, w)| w.as_str())
        .collect();
    assert_eq!(
        reasons,
        ["SRDF/A delta sets over their cache limit: the session dropped"]
    );
    assert!(dropped.sites[0].core.prefix_consistent);
    assert!(dropped.sites[0].core.data_loss_window_ns > 55_000_000_000);
    // Without the copy's cost nothing is held in cache for the copy.
    let free = run_toml(
        &scenario("[disaster]\nat = \"60s\"\n"),
        &["run.length=60s", "copy.primary_cost=false"],
    );
    let held = |r: &Report| {
        r.storage_controls
            .iter()
            .map(|s| s.copy_cache_tracks)
            .sum::<u64>()
    };
    assert_eq!(held(&free), 0);
    assert!(held(&r) > 0, "the capture set holds tracks at the end");
}
