//! Universal Replicator (`copy.mode = "ur"`): the same sequence-number idea as `xrc`, with
//! the secondary pulling the journal; where the pull's round trip matters, and the journal
//! filling up.
//!
//! Analysis (one read-journal command outstanding). A read reaches the primary, takes every
//! entry ready, and its answer travels back; the secondary then asks again. A cycle lasts
//! C = RTT + the answer's transmission = RTT + rho C (rho: the link's utilization), so
//! C = RTT / (1 - rho). The oldest write the secondary lacks was written just after a read
//! left the primary: its age when sampled averages C/2 past that read's answer, which took
//! rho C + RTT/2 to arrive: mean lag = C/2 + rho C + RTT/2. At short distance C is small
//! and the lag is `xrc`'s (both number writes and apply them in order); far away the pull
//! costs a round trip per cycle where `xrc` pushes.

use scenarios::runner::{RunOptions, run};
use scenarios::{prepare, read_file, report::Report};

fn baseline(sets: &[&str]) -> Report {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline.toml");
    let src = read_file(&path).expect("baseline");
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let built = prepare(&src, &sets, path.parent().unwrap()).expect("builds");
    run(&built, &RunOptions::default()).expect("runs").report
}

fn mean_lag_ms(r: &Report) -> f64 {
    r.sites[0].core.rpo_ns.mean as f64 / 1e6
}

#[test]
fn ur_agrees_with_xrc_where_the_pull_costs_little() {
    let xrc = baseline(&[
        "copy.mode=xrc",
        "copy.batch_timer=2ms",
        "link.distance_km=30",
    ]);
    let ur = baseline(&[
        "copy.mode=ur",
        "copy.ur_poll_interval=2ms",
        "link.distance_km=30",
    ]);
    let (x, u) = (mean_lag_ms(&xrc), mean_lag_ms(&ur));
    assert!((u - x).abs() / x < 0.10, "30 km: ur {u} ms, xrc {x} ms");
    assert!(ur.sites[0].core.prefix_consistent);
    assert_eq!(ur.model.serializer_tokens, 0, "no serializer");
}

#[test]
fn far_away_the_pull_cycle_follows_the_analysis_and_more_reads_hide_it() {
    for km in [1000.0, 3000.0] {
        let d = format!("link.distance_km={km}");
        let ur = baseline(&["copy.mode=ur", "copy.ur_poll_interval=2ms", &d]);
        let rho = ur.link.utilization;
        let rtt = 2.0 * km * 5e-6 * 1e3; // ms
        let c = rtt / (1.0 - rho);
        let want = c / 2.0 + rho * c + rtt / 2.0;
        let got = mean_lag_ms(&ur);
        assert!(
            (got - want).abs() / want < 0.10,
            "{km} km: mean lag {got} ms, analysis {want} ms (rho {rho})"
        );
        let xrc = baseline(&["copy.mode=xrc", "copy.batch_timer=2ms", &d]);
        assert!(got > 2.0 * mean_lag_ms(&xrc), "{km} km: the pull costs");
        let four = baseline(&[
            "copy.mode=ur",
            "copy.ur_poll_interval=2ms",
            "copy.ur_reads=4",
            &d,
        ]);
        assert!(mean_lag_ms(&four) < got, "{km} km: four reads outstanding");
    }
}

#[test]
fn a_full_master_journal_suspends_and_the_secondary_stays_consistent() {
    // A 10 s cut with a 16 MiB journal: about 4 s of the baseline's writes fill it.
    let r = baseline(&[
        "copy.mode=ur",
        "copy.ur_journal_bytes=16777216",
        "link.outages=[{ at = \"20s\", until = \"30s\" }]",
    ]);
    let reasons: Vec<&str> = r
        .model
        .suspensions
        .iter()
        .map(|(_, w)| w.as_str())
        .collect();
    assert_eq!(reasons, ["master journal full"], "{reasons:?}");
    let (t, _) = r.model.suspensions[0];
    assert!((23e9..26e9).contains(&(t as f64)), "suspended at {t} ns");
    assert!(r.model.journal_peak_bytes > 16 << 20);
    let s = &r.sites[0].core;
    assert!(s.prefix_consistent);
    // The secondary holds what was journaled before the suspension, nothing after.
    assert!(
        s.data_loss_window_ns > 30_000_000_000,
        "{}",
        s.data_loss_window_ns
    );
}

#[test]
fn bad_ur_keys_are_refused_at_their_key() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline.toml");
    let src = read_file(&path).expect("baseline");
    for (set, key) in [
        ("copy.ur_reads=0", "copy.ur_reads"),
        ("copy.ur_read_bytes=0", "copy.ur_read_bytes"),
        ("copy.ur_poll_interval=0s", "copy.ur_poll_interval"),
    ] {
        let Err(e) = prepare(&src, &[set.to_string()], path.parent().unwrap()) else {
            panic!("{set} is refused")
        };
        assert!(e.to_string().contains(key), "{set}: {e}");
    }
}

#[test]
fn the_master_journal_takes_cache_until_restored() {
    // A 10 s cut: the journal's data accumulates in the primary's cache.
    let cut = baseline(&[
        "copy.mode=ur",
        "link.outages=[{ at = \"50s\", until = \"60s\" }]",
    ]);
    let held: u64 = cut
        .storage_controls
        .iter()
        .map(|s| s.copy_cache_tracks)
        .sum();
    // 10 s of 3.7 MB/s of writes: about 37 MB, 650 tracks of 56,664 bytes.
    assert!(
        (500..800).contains(&held),
        "{held} tracks held at the disaster"
    );
    let free = baseline(&[
        "copy.mode=ur",
        "link.outages=[{ at = \"50s\", until = \"60s\" }]",
        "copy.primary_cost=false",
    ]);
    let none: u64 = free
        .storage_controls
        .iter()
        .map(|s| s.copy_cache_tracks)
        .sum();
    assert_eq!(none, 0);
}
