//! What zgm's System Data Mover reads cost the primary (`copy.primary_cost`), against a
//! first-order analysis.
//!
//! A storage control with one storage path serves Poisson host writes (rate `l`, 4 KiB,
//! one record each, always cache hits) over 32 volumes. Each write holds the path for
//! `Sw` = 250 us command + 10 us per CCW + 4096 B at 17 MB/s = 500.9 us. The SDM (at the
//! recovery site, one reader) reads the storage-control session every read interval `T`;
//! with the cost on, a read of `n` record sets holds the storage path (and a channel path
//! of the SDM's channel group) for `Sc(n)` = 300 us (command, status) + n x 250.9 us (one
//! CCW and 4 KiB each). The reads come `lc` = reads / run length a second and take
//! `n` = record sets / reads on average; the record sets one read finds are the writes of
//! one interval, Poisson, so `E[Sc^2] = (300 us + 250.9 us n)^2 + (250.9 us)^2 n`.
//! First order, a write waits on average for the unfinished work it finds (Poisson writes
//! see time averages): `W = (l Sw^2 + lc E[Sc^2]) / (2 (1 - l Sw - lc E[Sc]))`, against
//! `W0 = l Sw^2 / (2 (1 - l Sw))` without the copy; the write response grows by `W - W0`.
//! The reads are periodic rather than Poisson, which the formula ignores.

use scenarios::report::Report;
use scenarios::runner::{RunOptions, run};
use scenarios::{Source, prepare};
use std::path::Path;

const RATE: u32 = 200;
const LENGTH_S: f64 = 60.0;

fn scenario() -> String {
    let mut s = format!(
        "name = \"zgm-cost\"\n[run]\nseed = 1\nlength = \"60s\"\n[[subsystems]]\nname = \"SSA1\"\nstorage_paths = 1\n[[hosts]]\nname = \"SYSA\"\n[[hosts.apps]]\nname = \"APP\"\ndatasets = [{}]\nworkload = {{ kind = \"poisson\", rate = {RATE} }}\n[[sites]]\nname = \"S1\"\n[link]\nbandwidth_mbps = 1000\n[copy]\nmode = \"zgm\"\nmover_batch = 100000\n",
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

fn report(sets: &[&str]) -> Report {
    let src = Source::new("zgm-cost.toml", scenario());
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let built = prepare(&src, &sets, Path::new(".")).unwrap_or_else(|e| panic!("{e}"));
    run(&built, &RunOptions::default()).expect("run").report
}

/// The SDM's reads hold the busy storage control's path, and write response grows by the
/// first-order figure; without the cost nothing holds the path for the copy.
#[test]
fn zgm_reads_raise_write_response_by_their_path_occupancy() {
    let sw = 250e-6 + 10e-6 + 4096.0 / 17e6;
    let per = 10e-6 + 4096.0 / 17e6;
    for interval in ["50ms", "200ms"] {
        let iv = format!("copy.zgm.read_interval={interval}");
        let with = report(&["copy.primary_cost=true", &iv]);
        let without = report(&["copy.primary_cost=false", &iv]);
        let sc0 = &without.storage_controls[0];
        assert_eq!(
            (sc0.copy_reads, sc0.copy_path_busy_ns),
            (0, 0),
            "without the cost the SDM's reads take no path"
        );
        let l = with.primary.writes as f64 / LENGTH_S;
        let reads = with.storage_controls[0].copy_reads as f64;
        assert!(reads > 0.0, "{interval}: the SDM's reads hold the path");
        let lc = reads / LENGTH_S;
        // Every write's record set is read once (a few are left at the end).
        let n = with.primary.writes as f64 / reads;
        let held = with.storage_controls[0].copy_path_busy_ns as f64 / 1e9;
        let sc = 300e-6 + n * per;
        assert!(
            (held / (reads * sc) - 1.0).abs() < 0.02,
            "{interval}: path occupancy {held} s vs {} s",
            reads * sc
        );
        let sc2 = sc * sc + per * per * n;
        let w0 = l * sw * sw / (2.0 * (1.0 - l * sw));
        let w1 = (l * sw * sw + lc * sc2) / (2.0 * (1.0 - l * sw - lc * sc));
        let predicted = w1 - w0;
        let measured = (with.primary.write_response_ns.mean as f64
            - without.primary.write_response_ns.mean as f64)
            / 1e9;
        assert!(measured > 0.0, "{interval}: the cost raises write response");
        assert!(
            (measured / predicted - 1.0).abs() < 0.10,
            "{interval}: response grew {:.1} us, first order {:.1} us",
            measured * 1e6,
            predicted * 1e6
        );
    }
}

/// With the cost off, zgm runs as before the SDM's reads took paths: its write response is
/// the M/D/1 figure plus the service, whatever the read interval.
#[test]
fn zgm_without_the_cost_leaves_host_writes_alone() {
    let sw = 250e-6 + 10e-6 + 4096.0 / 17e6;
    let a = report(&["copy.primary_cost=false", "copy.zgm.read_interval=50ms"]);
    let b = report(&["copy.primary_cost=false", "copy.zgm.read_interval=200ms"]);
    assert_eq!(
        a.primary.write_response_ns.mean, b.primary.write_response_ns.mean,
        "the read interval does not reach host writes without the cost"
    );
    let l = a.primary.writes as f64 / LENGTH_S;
    let w0 = l * sw * sw / (2.0 * (1.0 - l * sw));
    let base = a.primary.write_response_ns.mean as f64 / 1e9;
    assert!(
        (base - (sw + 50e-6 + w0)).abs() < 0.05 * base,
        "{base} vs {}",
        sw + 50e-6 + w0
    );
}
