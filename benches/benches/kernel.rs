//! Kernel throughput: the classic hold model (pop the earliest event, push one at
//! now + Exp(1)) at steady queue sizes 10, 10^3 and 10^6, through the full `Simulation`
//! dispatch path (`Model::handle` + `Ctx::schedule_in`).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sim::rng::exponential;
use sim::{ComponentId, Ctx, Model, Registry, SimDuration, SimTime, Simulation};
use std::hint::black_box;

#[derive(Clone)]
struct Hold;

impl Model for Hold {
    type Event = u32;
    #[inline]
    fn handle(&mut self, ev: u32, ctx: &mut Ctx<'_, u32>) {
        let d = SimDuration::from_nanos(exponential(ctx.rng(), 1_000_000.0) as u64);
        ctx.schedule_in(d, ctx.me(), ev);
    }
}

fn hold(c: &mut Criterion) {
    let mut g = c.benchmark_group("hold");
    for &size in &[10u64, 1_000, 1_000_000] {
        let mut reg = Registry::new(1);
        let id = reg.add("hold").unwrap();
        let mut sim = Simulation::new(Hold, reg);
        let mut t = SimTime::ZERO;
        for i in 0..size {
            t += SimDuration::from_nanos(
                exponential(&mut sim::rng::stream(1, "init"), 1.0) as u64 + i % 7,
            );
            sim.schedule_at(t, id, i as u32).unwrap();
        }
        // Warm the queue into its steady state.
        sim.run_events(size * 2);
        let batch = 10_000u64;
        g.throughput(Throughput::Elements(batch));
        g.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, _| {
            b.iter(|| black_box(sim.run_events(batch)))
        });
        black_box(ComponentId(0));
    }
    g.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
