//! Model throughput under criterion (single thread):
//!
//! - `world/*`: simulated host writes per wall second of the benchmark worlds of
//!   `benches/scenarios/` (`primary16`, `xrc16`, `poisson16`, `large`), each iteration one
//!   whole run of a few simulated seconds through the runner (the `xrcsim run` path);
//!   throughput is in writes (criterion's "elements");
//! - `oracle/*`: the oracle alone, per write through its insert / match / apply cycle
//!   (see `benches::oracle_load`), steady state with 1,000 writes in flight.
//!
//! The `perf` binary measures the same worlds over longer runs, with peak memory; this
//! suite is for quick A/B comparisons (`cargo bench -p benches --bench model -- --save-baseline`).

use benches::oracle_load::OracleDriver;
use benches::worlds::{Bench, measure};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use scenarios::runner::{RunOptions, run};
use sim::SimDuration;
use std::hint::black_box;
use std::time::Duration;

fn worlds(c: &mut Criterion) {
    let mut g = c.benchmark_group("world");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    for b in Bench::ALL {
        let length = SimDuration::from_secs(match b {
            Bench::Large => 10,
            _ => 5,
        });
        // The number of writes is deterministic: measure it once for the throughput.
        let writes = measure(b, length, 1).expect("benchmark world runs").writes;
        let built = b.built(length, 1).expect("benchmark world builds");
        g.throughput(Throughput::Elements(writes));
        g.bench_function(b.name(), |bch| {
            bch.iter(|| {
                let out = run(black_box(&built), &RunOptions::default()).expect("run");
                black_box(out.report.primary.writes)
            })
        });
    }
    g.finish();
}

fn oracle(c: &mut Criterion) {
    let mut g = c.benchmark_group("oracle");
    let mut d = OracleDriver::new(1_000, 16, 1_500, 1_000_000);
    d.step(1_200_000);
    let batch = 1_000u64;
    g.throughput(Throughput::Elements(batch));
    g.bench_function("write_cycle", |b| b.iter(|| d.step(black_box(batch))));
    g.finish();
}

criterion_group!(benches, oracle, worlds);
criterion_main!(benches);
