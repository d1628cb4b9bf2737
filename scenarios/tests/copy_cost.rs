//! What the copy costs the primary (`copy.primary_cost`), against a first-order analysis,
//! and the errors of the copy keys this adds.
//!
//! A storage control with one storage path serves Poisson host writes (rate `l`, 4 KiB,
//! one record each, always cache hits) over 32 volumes (device queueing negligible).
//! Each write holds the path for `Sw` = 250 us command + 10 us per CCW + 4096 B at
//! 17 MB/s = 500.9 us. With the cost, each mover read of `n` record sets holds the path
//! for `Sc(n)` = 250 + 50 us (command, status) + n (10 us + 240.9 us). First order, the
//! path is an M/G/1 queue with two classes, and a write waits on average
//! `W = (l Sw^2 + lc Sc^2) / (2 (1 - l Sw - lc Sc))` (Pollaczek-Khinchine), `lc` the mover
//! reads per second and `n` = writes / reads, both taken from the run; without the copy,
//! `W0 = l Sw^2 / (2 (1 - l Sw))`. The write response grows by `W - W0`. The mover reads
//! are not Poisson (each follows a write), which the formula ignores: it holds within 10%
//! up to a path about 40% busy (at 600 writes/s, 60% busy, it is 23% high).

use scenarios::report::Report;
use scenarios::runner::{RunOptions, run};
use scenarios::{Source, prepare};
use std::path::Path;

fn scenario(rate: u32) -> String {
    let mut s = format!(
        "name = \"cost-validation\"\n[run]\nseed = 1\nlength = \"60s\"\n[[subsystems]]\nname = \"SSA1\"\nstorage_paths = 1\n[[hosts]]\nname = \"SYSA\"\n[[hosts.apps]]\nname = \"APP\"\ndatasets = [{}]\nworkload = {{ kind = \"poisson\", rate = {rate} }}\n[[sites]]\nname = \"S1\"\n[link]\nbandwidth_mbps = 1000\n[copy]\nmode = \"xrc\"\n",
        (0..32)
            .map(|v| format!("\"D{v}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for v in 0..32 {
        s += &format!(
            "[[volumes]]\nvolser = \"P{v:05}\"\nsubsystem = \"SSA1\"\ndatasets = [{{ name = \"D{v}\", cyls = [1, 20] }}]\n"
        );
    }
    s
}

fn report(rate: u32, sets: &[&str]) -> Report {
    let src = Source::new("cost.toml", scenario(rate));
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let built = prepare(&src, &sets, Path::new(".")).unwrap_or_else(|e| panic!("{e}"));
    run(&built, &RunOptions::default()).expect("run").report
}

#[test]
fn write_response_grows_by_the_mover_reads_path_occupancy() {
    let sw = 250e-6 + 10e-6 + 4096.0 / 17e6;
    for rate in [200u32, 400] {
        let with = report(rate, &["copy.primary_cost=true"]);
        let without = report(rate, &["copy.primary_cost=false"]);
        let t = 60.0;
        let l = with.primary.writes as f64 / t;
        let reads = with.storage_controls[0].copy_reads as f64;
        assert!(reads > 0.0);
        let lc = reads / t;
        let n = with.primary.writes as f64 / reads;
        let sc = 300e-6 + n * (10e-6 + 4096.0 / 17e6);
        // The path time the copy held, as the storage control counted it.
        let held = with.storage_controls[0].copy_path_busy_ns as f64 / 1e9;
        assert!(
            (held / (reads * sc) - 1.0).abs() < 0.02,
            "path occupancy {held} s vs {} s",
            reads * sc
        );
        let w0 = l * sw * sw / (2.0 * (1.0 - l * sw));
        let w1 = (l * sw * sw + lc * sc * sc) / (2.0 * (1.0 - l * sw - lc * sc));
        let predicted = w1 - w0;
        let measured = (with.primary.write_response_ns.mean as f64
            - without.primary.write_response_ns.mean as f64)
            / 1e9;
        assert!(
            (measured / predicted - 1.0).abs() < 0.10,
            "{rate} writes/s: response grew {:.1} us, first order {:.1} us",
            measured * 1e6,
            predicted * 1e6
        );
        // Without the copy cost the response is the M/D/1 figure plus the service.
        let base = without.primary.write_response_ns.mean as f64 / 1e9;
        assert!(
            (base - (sw + 50e-6 + w0)).abs() < 0.05 * base,
            "{base} vs {}",
            sw + 50e-6 + w0
        );
    }
}

fn refused(sets: &[&str]) -> String {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    prepare(
        &Source::new("baseline.toml", scenarios::BASELINE),
        &sets,
        Path::new("."),
    )
    .map(|_| ())
    .expect_err("refused")
    .to_string()
}

#[test]
fn bad_sync_and_cost_keys_are_refused_naming_the_key() {
    let e = refused(&["copy.sync.critical=maybe"]);
    assert!(
        e.contains("critical") && e.contains("no") && e.contains("yes"),
        "{e}"
    );
    let e = refused(&["copy.sync.suspend_timeout=0s"]);
    assert!(
        e.contains("copy.sync.suspend_timeout") && e.contains("longer than 0"),
        "{e}"
    );
    let e = refused(&["copy.primary_cost=3"]);
    assert!(e.contains("primary_cost"), "{e}");
    let e = refused(&["copy.sync.frozen=true"]);
    assert!(e.contains("frozen") && e.contains("freeze"), "{e}");
}
