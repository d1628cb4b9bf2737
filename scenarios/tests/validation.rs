//! Validation of the model against queueing theory and analytic bounds (issue: research
//! benchmarks): the serializer under Poisson load against the Pollaczek-Khinchine mean wait,
//! and the light-load replication delay against its analytic lower bound across distances.

use scenarios::runner::{RunOptions, run};
use scenarios::{BASELINE, Source, prepare};

fn run_baseline(sets: &[String]) -> scenarios::report::Report {
    let built = prepare(
        &Source::new("baseline.toml", BASELINE),
        sets,
        std::path::Path::new("."),
    )
    .expect("valid");
    run(&built, &RunOptions::default()).expect("run").report
}

/// Light load (link 3% busy, mover half busy, many writes per message): the mean per-write
/// replication delay sits within 10% above the analytic lower bound
/// `propagation + batching (about T/2) + message transmission` (+ a small term for writes
/// whose data misses their message) from 1 to 5,000 km.
#[test]
fn light_load_replication_delay_matches_the_analytic_bound() {
    let t_ms = 50.0;
    let mut rows = Vec::new();
    for km in [1.0, 10.0, 100.0, 300.0, 1000.0, 3000.0, 5000.0] {
        let sets: Vec<String> = [
            "run.length=30s".to_string(),
            "disaster.at=none".into(),
            "run.drain=true".into(),
            "workload.write_rate=1000".into(),
            "link.bandwidth_mbps=1000".into(),
            format!("link.distance_km={km}"),
            format!("copy.batch_timer={t_ms}ms"),
        ]
        .to_vec();
        let r = run_baseline(&sets);
        let s = &r.sites[0].core;
        let prop = km * 5e-3; // ms
        let avg_msg = r.link.bytes as f64 / r.link.messages as f64;
        let tx = avg_msg / 125e6 * 1e3; // ms at 1 Gbit/s
        // Data in the subsystem after the number: 4 KB at 17 MB/s + one CCW, minus token
        // latency + serializer service (the number comes first, during the transfer).
        let data_in = 4096.0 / 17e6 * 1e3 + 0.010 - 0.050;
        let mover_read = 0.400 + 4096.0 / 17e6 * 1e3;
        // The timer starts with the first entry after a send: with transactions arriving
        // at rate L (Poisson), the first waits T, the others T/2 on average:
        // T (1 + LT/2) / (1 + LT), which is T/2 when many arrive per message.
        let lt = 1000.0 / 3.0 * t_ms / 1e3;
        let batching = t_ms * (1.0 + lt / 2.0) / (1.0 + lt);
        // A write whose data reaches the message being built before its timer fires
        // waits for the send from its sequencing time, so the data-in and read times are
        // hidden behind the batching wait (all but a fraction (data_in+read)/T of writes).
        let hidden = data_in + mover_read;
        let bound = prop + batching + tx + hidden * hidden / (2.0 * t_ms);
        let sim = s.replication_delay_ns.mean as f64 / 1e6;
        rows.push((km, bound, sim));
        assert!(
            sim >= bound * 0.99 && sim <= bound * 1.10,
            "{km} km: bound {bound:.3} ms, simulated {sim:.3} ms"
        );
    }
    eprintln!("distance_km,bound_ms,simulated_ms,ratio");
    for (km, b, s) in rows {
        eprintln!("{km},{b:.3},{s:.3},{:.3}", s / b);
    }
}

/// The serializer is an M/D/1 queue under Poisson writes: its mean wait matches the
/// Pollaczek-Khinchine formula `Wq = rho D / (2 (1 - rho))` within a few percent at
/// utilisations 0.5 and 0.8 (128 volumes keep the devices from shaping the arrivals).
#[test]
fn serializer_wait_matches_pollaczek_khinchine() {
    // 400 us per token keeps the write rate (1,250 and 2,000 per second over 32 volumes)
    // within what the devices destage, so the primary runs steadily.
    let d_us = 400.0;
    for rho in [0.5, 0.8] {
        let rate = rho / (d_us * 1e-6); // tokens per second
        let mut text = format!(
            "name = \"md1\"\n[run]\nlength = \"120s\"\nseed = 3\n[copy]\nserializer_service = \"{d_us}us\"\n[link]\nbandwidth_mbps = 10000\n"
        );
        for k in 0..4 {
            text += &format!("[[subsystems]]\nname = \"SS{k}\"\nstorage_paths = 8\n");
        }
        for v in 0..128 {
            text += &format!(
                "[[volumes]]\nvolser = \"V{v:05}\"\nsubsystem = \"SS{}\"\ndatasets = [{{ name = \"D{v}.DATA\", cyls = [1, 500] }}]\n",
                v % 4
            );
        }
        for h in 0..4 {
            let names: Vec<String> = (0..32)
                .map(|k| format!("\"D{}.DATA\"", h * 32 + k))
                .collect();
            let slots: Vec<String> = (0..32).map(|k| k.to_string()).collect();
            text += &format!(
                "[[hosts]]\nname = \"H{h}\"\npaths = 8\n[[hosts.apps]]\nname = \"A{h}\"\ndatasets = [{}]\nworkload = {{ kind = \"poisson\", rate = {}, datasets = [{}] }}\n",
                names.join(", "),
                rate / 4.0,
                slots.join(", ")
            );
        }
        let built = prepare(
            &Source::new("md1.toml", text),
            &[],
            std::path::Path::new("."),
        )
        .expect("valid");
        let r = run(&built, &RunOptions::default()).expect("run").report;
        let n = r.model.serializer_tokens as f64;
        let measured = r.model.serializer_wait_ns as f64 / n / 1e3;
        let rho_meas = n / 120.0 * d_us * 1e-6;
        let theory = rho_meas * d_us / (2.0 * (1.0 - rho_meas));
        eprintln!("rho {rho_meas:.3}: mean wait {measured:.1} us, P-K {theory:.1} us, {n} tokens");
        assert!(
            (measured - theory).abs() / theory < 0.05,
            "rho {rho_meas:.3}: measured {measured:.1} us vs P-K {theory:.1} us"
        );
    }
}
