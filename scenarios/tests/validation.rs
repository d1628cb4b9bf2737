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

/// Runs the library scenario `file` (in `scenarios/`) with `sets`.
fn run_library(file: &str, sets: &[String]) -> scenarios::report::Report {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(dir.join(file)).expect("library scenario");
    let built = prepare(&Source::new(file, text), sets, dir).expect("valid");
    run(&built, &RunOptions::default()).expect("run").report
}

fn owned(sets: &[&str]) -> Vec<String> {
    sets.iter().map(|s| s.to_string()).collect()
}

/// Light load, the data-loss window itself (not the per-write delay): with the link cut at
/// the disaster (`disaster.cut_link`), the window at an instant is the age of the oldest
/// write not yet complete at the secondary. Renewal argument: messages leave every `C`
/// (timer `T` plus the wait for the first entry after a send, measured as run length /
/// messages) and arrive `tx + propagation` later, so at a uniformly random instant the
/// last delivered message left `propagation + tx + C/2` ago on average (C is nearly
/// constant), and the window is that age (the data-in and mover-read times, which shift
/// the cutoff, and the gap from the cutoff to the next numbered write nearly cancel).
/// Checked two ways from 1 to 5,000 km: (1) the run's densely sampled RPO (the same lag,
/// every 1.3 ms) is within 3% of the analytic mean and grows by exactly the propagation
/// delay; (2) the windows measured at 30 cut-link disasters (30 seeds, instants spread over the run) agree with
/// the sampled RPO within 3.5 standard errors: the sampled RPO is the distribution of the
/// window a cut-link disaster at a random instant sees.
#[test]
fn light_load_window_at_a_cut_link_disaster_matches_the_renewal_analysis() {
    let t_ms = 50.0;
    let common = |km: f64| -> Vec<String> {
        vec![
            "workload.write_rate=1000".into(),
            "link.bandwidth_mbps=1000".into(),
            format!("link.distance_km={km}"),
            format!("copy.batch_timer={t_ms}ms"),
            "run.rpo_interval=1.3ms".into(),
            "disaster.cut_link=true".into(),
        ]
    };
    let mut rows = Vec::new();
    let mut rpo_1km = 0.0;
    for km in [1.0, 10.0, 100.0, 300.0, 1000.0, 3000.0, 5000.0] {
        let mut sets = common(km);
        sets.extend(owned(&["run.length=30s", "disaster.at=none"]));
        let r = run_baseline(&sets);
        let s = &r.sites[0].core;
        let prop = km * 5e-3; // ms
        let cycle = r.sim_time_ns as f64 / 1e6 / r.link.messages as f64; // ms
        let tx = r.link.bytes as f64 / r.link.messages as f64 / 125e6 * 1e3; // ms
        let analytic = prop + tx + cycle / 2.0;
        let rpo = s.rpo_ns.mean as f64 / 1e6;
        if km == 1.0 {
            rpo_1km = rpo;
        }
        // Cut-link disasters at 30 instants between 2 and 8.3 s (steps of 217.1 ms, not a
        // multiple of the message cycle), each with its own seed.
        let windows: Vec<f64> = (0..30)
            .map(|i| {
                let mut sets = common(km);
                sets.push("run.length=10s".into());
                sets.push(format!("run.seed={}", i + 1));
                sets.push(format!("disaster.at={}us", 2_000_000 + i * 217_100));
                run_baseline(&sets).sites[0].core.data_loss_window_ns as f64 / 1e6
            })
            .collect();
        let n = windows.len() as f64;
        let mean = windows.iter().sum::<f64>() / n;
        let sd = (windows.iter().map(|w| (w - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let se = sd / n.sqrt();
        rows.push((km, prop, tx, cycle, analytic, rpo, mean, se));
        assert!(
            (rpo - analytic).abs() <= 0.03 * analytic,
            "{km} km: sampled RPO {rpo:.3} ms vs analytic {analytic:.3} ms"
        );
        assert!(
            (rpo - rpo_1km - (prop - 5e-3)).abs() <= 0.03 * rpo_1km,
            "{km} km: RPO grew by {:.3} ms, propagation by {:.3} ms",
            rpo - rpo_1km,
            prop - 5e-3
        );
        assert!(
            (mean - rpo).abs() <= 3.5 * se + 0.5,
            "{km} km: cut-link windows {mean:.3} +- {se:.3} ms vs sampled RPO {rpo:.3} ms"
        );
    }
    eprintln!("# table: light_load_window");
    eprintln!(
        "distance_km,propagation_ms,tx_ms,cycle_ms,analytic_ms,rpo_mean_ms,cut_link_window_mean_ms,cut_link_window_se_ms,ratio"
    );
    for (km, prop, tx, cycle, a, rpo, mean, se) in rows {
        eprintln!(
            "{km},{prop:.3},{tx:.3},{cycle:.3},{a:.3},{rpo:.3},{mean:.3},{se:.3},{:.4}",
            rpo / a
        );
    }
    eprintln!("# end");
}

/// Offered write bandwidth above the link rate (overload.toml: 90 writes/s of 4 KiB, a T1
/// carries about 44): the report must show the growth each flow-control policy implies.
/// - `none`: the link runs flat out and the window grows at `1 - C/L` seconds per second,
///   where L is the offered write rate and C the link's capacity in writes per second
///   (bandwidth less the per-message header and overhead, over the wire bytes of one
///   write's token and data, from the codec);
/// - `pacing` (with a small mover buffer so the slow link backs up into the residual
///   counts): the writers are slowed to the link's rate, the window stays bounded and the
///   host's response time grows instead (the open workload queues at the host);
/// - `suspend`: after the sidefile has been over its threshold for the timeout, the
///   session suspends, the secondary stops advancing and the window grows one second per
///   second from the suspension, while the host's writes stay fast.
#[test]
fn link_overload_grows_as_the_flow_control_policy_implies() {
    use models::copy::codec;
    let at = |t: &str| -> Vec<String> {
        owned(&[
            "run.length=61s",
            "disaster.cut_link=true",
            "run.rpo_interval=50ms",
        ])
        .into_iter()
        .chain([format!("disaster.at={t}")])
        .collect()
    };
    let bw = 1.544e6 / 8.0; // bytes per second
    let per_write = (codec::token_len(1) + codec::data_field_len(1, 0, 4096)) as f64;
    let per_msg = (codec::HEADER_LEN + 64) as f64;

    // Policy none: the consistency point advances at the link's capacity C, and the
    // window grows at 1 - C/L (averaged over four seeds: the OLTP arrivals come in
    // transactions of three writes, so one seed's local write rate wanders by several %).
    let w = |r: &scenarios::report::Report| r.sites[0].core.data_loss_window_ns as f64 / 1e9;
    let (mut growth, mut expected, mut delivered, mut capacity) = (0.0, 0.0, 0.0, 0.0);
    let (mut util, mut w30, mut w60) = (1.0f64, 0.0, 0.0);
    let seeds = [1u64, 2, 3, 4];
    for seed in seeds {
        let with_seed = |t: &str| {
            let mut s = at(t);
            s.push(format!("run.seed={seed}"));
            run_library("overload.toml", &s)
        };
        let (r30, r60) = (with_seed("30s"), with_seed("60s"));
        let offered = r60.primary.writes as f64 / 60.0;
        let msgs_per_s = r60.link.messages as f64 / 60.0;
        let c = (bw - msgs_per_s * per_msg) / per_write;
        let k = seeds.len() as f64;
        capacity += c / k;
        expected += (1.0 - c / offered) / k;
        growth += (w(&r60) - w(&r30)) / 30.0 / k;
        delivered += (r60.sites[0].core.consistency_seq - r30.sites[0].core.consistency_seq) as f64
            / 30.0
            / k;
        util = util.min(r60.link.utilization);
        w30 += w(&r30) / k;
        w60 += w(&r60) / k;
        assert!(r60.sites[0].core.lost_writes > r30.sites[0].core.lost_writes * 3 / 2);
    }
    eprintln!("# table: overload_none");
    eprintln!(
        "capacity_writes_per_s,delivered_writes_per_s,expected_growth_s_per_s,measured_growth_s_per_s,window_30s_s,window_60s_s,min_utilization"
    );
    eprintln!("{capacity:.2},{delivered:.2},{expected:.4},{growth:.4},{w30:.3},{w60:.3},{util:.4}");
    eprintln!("# end");
    assert!(util > 0.99, "{util}");
    assert!(
        (delivered - capacity).abs() < 0.03 * capacity,
        "A advances {delivered:.2} writes/s, capacity {capacity:.2}"
    );
    assert!(
        (growth - expected).abs() < 0.03,
        "growth {growth:.4} s/s, expected {expected:.4}"
    );

    // Pacing: bounded window, throttled writers, growing response time.
    let pacing = |t: &str| {
        let mut s = at(t);
        s.extend(owned(&[
            "copy.mode=xrc-prt",
            "copy.mover_buffer=200",
            "copy.flow={ policy = \"pacing\", threshold = 20, level = 14 }",
        ]));
        run_library("overload.toml", &s)
    };
    let (p30, p60) = (pacing("30s"), pacing("60s"));
    let done_rate = p60.primary.writes as f64 / 60.0;
    eprintln!("# table: overload_pacing");
    eprintln!(
        "window_30s_s,window_60s_s,writes_per_s,capacity_writes_per_s,paced_writes,response_mean_30s_ms,response_mean_60s_ms"
    );
    eprintln!(
        "{:.3},{:.3},{done_rate:.2},{capacity:.2},{},{:.1},{:.1}",
        w(&p30),
        w(&p60),
        p60.model.paced_writes,
        p30.primary.write_response_ns.mean as f64 / 1e6,
        p60.primary.write_response_ns.mean as f64 / 1e6
    );
    eprintln!("# end");
    assert!(p60.model.paced_writes > 0);
    assert!(w(&p60) < 0.5 * w60, "pacing {} s vs none {w60} s", w(&p60));
    assert!(w(&p60) < 1.5 * w(&p30), "pacing window should stay bounded");
    assert!(
        done_rate < 1.2 * capacity,
        "{done_rate} writes/s vs capacity {capacity}"
    );
    assert!(p60.primary.write_response_ns.mean > 2 * p30.primary.write_response_ns.mean);

    // Suspension: the window counts from the suspension instant.
    let suspend = |t: &str| {
        let mut s = at(t);
        s.push("copy.flow={ policy = \"suspend\", threshold = 200, timeout = \"2s\" }".into());
        run_library("overload.toml", &s)
    };
    let s20 = suspend("20s");
    let (t_susp, _) = s20
        .model
        .suspensions
        .first()
        .cloned()
        .expect("a suspension");
    let since = 20.0 - t_susp as f64 / 1e9;
    eprintln!("# table: overload_suspend");
    eprintln!("suspended_at_s,window_20s_s,since_suspension_s,response_p99_ms");
    eprintln!(
        "{:.3},{:.3},{since:.3},{:.3}",
        t_susp as f64 / 1e9,
        w(&s20),
        s20.primary.write_response_ns.p99 as f64 / 1e6
    );
    eprintln!("# end");
    assert!(
        (w(&s20) - since).abs() < 0.1,
        "window {} s, {since} s since suspension",
        w(&s20)
    );
    assert!(s20.primary.write_response_ns.p99 < 2_000_000);
}
