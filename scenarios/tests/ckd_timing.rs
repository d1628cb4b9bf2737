//! First-order checks of the storage-control timing options of issue 18: the response-time
//! cost of RPS misses (`rps_miss`) and of NVS-full writes that an occupancy-driven destage
//! (`destage_threshold`) avoids, each against a first-order calculation within 10%.

use scenarios::runner::{RunOptions, run};
use scenarios::{Source, prepare};

const LENGTH_S: f64 = 60.0;

/// `volumes` 3390-3 volumes behind one storage control with `paths` storage paths, a
/// Poisson write workload of `rate` writes per second of `records` 4 KiB records spread
/// uniformly over them, no remote copy traffic to speak of (a 10 Gbit/s link, and the
/// copy's reads do not use the storage paths: `copy.primary_cost = false`), plus `extra`
/// lines for the storage control.
fn world(volumes: usize, paths: u32, rate: f64, records: u32, extra: &str) -> String {
    let mut t = format!(
        "name = \"timing\"\n[run]\nlength = \"{LENGTH_S}s\"\nseed = 5\n[link]\nbandwidth_mbps = 10000\n[copy]\nprimary_cost = false\n[[subsystems]]\nname = \"SS0\"\nstorage_paths = {paths}\n{extra}\n"
    );
    for v in 0..volumes {
        t += &format!(
            "[[volumes]]\nvolser = \"V{v:05}\"\nsubsystem = \"SS0\"\ndatasets = [{{ name = \"D{v}.DATA\", cyls = [1, 500] }}]\n"
        );
    }
    let names: Vec<String> = (0..volumes).map(|v| format!("\"D{v}.DATA\"")).collect();
    t += &format!(
        "[[hosts]]\nname = \"H0\"\npaths = 8\n[[hosts.apps]]\nname = \"A0\"\ndatasets = [{}]\nworkload = {{ kind = \"poisson\", rate = {rate}, records = {{ kind = \"constant\", value = {records} }} }}\n",
        names.join(", ")
    );
    t
}

fn report(text: String) -> scenarios::report::Report {
    let built = prepare(
        &Source::new("timing.toml", text),
        &["disaster.at=none".to_string()],
        std::path::Path::new("."),
    )
    .expect("valid");
    run(&built, &RunOptions::default()).expect("run").report
}

/// RPS miss: every write misses the (tiny) cache and goes to the device
/// (`write_miss_to_device`), disconnects for seek and rotation and reconnects for the
/// transfer on the one storage path. A reconnection finds the path busy with probability
/// U, the path's utilisation (Poisson arrivals see time averages); with `rps_miss` each
/// miss costs a revolution R and the device tries again, so a write misses U / (1 - U)
/// times on average and its response grows by R U / (1 - U), less the short wait for the
/// path it has without RPS misses (U times the mean residual path occupancy). 100 volumes
/// at 2 writes/s each keep the devices' own queueing negligible.
#[test]
fn rps_miss_costs_a_revolution_per_miss_as_a_first_order_calculation_says() {
    let extra = "cache_mb = 1\nwrite_miss_to_device = true\n";
    let rate = 200.0;
    let off = report(world(100, 1, rate, 1, extra));
    let on = report(world(100, 1, rate, 1, &format!("{extra}rps_miss = true\n")));
    let timing = models::dasd::DeviceType::D3390_3.timing();
    let ch = models::world::ChannelTiming::default();
    // The path is held for the command phase and for the reconnected transfer (at the
    // device's data rate), and the per-CCW time.
    let command = ch.command_overhead.as_secs_f64();
    let transfer = 4096.0 / timing.data_rate_bytes_per_s as f64 + ch.per_ccw.as_secs_f64();
    let writes = on.primary.writes as f64;
    let lambda = writes / LENGTH_S;
    let u = lambda * (command + transfer);
    let misses_per_write = on.model.rps_misses as f64 / writes;
    let predicted = u / (1.0 - u);
    eprintln!("U {u:.3}: {misses_per_write:.4} RPS misses per write, first order {predicted:.4}");
    assert!(
        (misses_per_write - predicted).abs() / predicted < 0.10,
        "misses per write {misses_per_write:.4} vs U/(1-U) {predicted:.4}"
    );
    let r = timing.rotation.as_secs_f64();
    let residual = (command * command + transfer * transfer) / (2.0 * (command + transfer));
    let delta_predicted = r * predicted - u * residual;
    let delta = (on.primary.write_response_ns.mean as f64
        - off.primary.write_response_ns.mean as f64)
        / 1e9;
    eprintln!(
        "mean response {:.3} ms -> {:.3} ms: +{:.3} ms, first order +{:.3} ms",
        off.primary.write_response_ns.mean as f64 / 1e6,
        on.primary.write_response_ns.mean as f64 / 1e6,
        delta * 1e3,
        delta_predicted * 1e3
    );
    assert_eq!(off.model.rps_misses, 0);
    assert!(
        (delta - delta_predicted).abs() / delta_predicted < 0.10,
        "response grew {delta:.6} s vs first order {delta_predicted:.6} s"
    );
}

/// Destage on NVS occupancy: 1 MiB of NVS (256 writes of 4 KiB) and an idle destage
/// delay longer than the run; 400 writes/s over 200 volumes fill NVS in about 0.6 s, after
/// which every write goes through the device (seek, rotation, transfer at the device's
/// rate). With `destage_threshold = 0.5` a write that finds NVS half full starts its
/// track's destage at once and NVS never fills. The response-time effect, first order:
/// each write that no longer goes through the device saves the device access (mean seek
/// between uniformly placed cylinders of the data set, half a revolution, the transfer at
/// the device's rate rather than the channel's) plus its wait for the device (M/G/1 at 2
/// writes/s per volume), times the drop in the share of writes that went to the device.
#[test]
fn destage_threshold_effect_on_response_matches_a_first_order_calculation() {
    let base = "nvs_mb = 1\ndestage_delay = \"100s\"\n";
    let off = report(world(200, 4, 400.0, 1, base));
    let on = report(world(
        200,
        4,
        400.0,
        1,
        &format!("{base}destage_threshold = 0.5\n"),
    ));
    assert_eq!(off.model.threshold_destages, 0);
    assert!(on.model.threshold_destages > 0);
    // Every slow write is a host write (the secondary's storage control has room in NVS).
    let share =
        |r: &scenarios::report::Report| r.model.slow_writes as f64 / r.primary.writes as f64;
    let (s_off, s_on) = (share(&off), share(&on));
    eprintln!("writes through the device: {s_off:.4} without threshold, {s_on:.4} with");
    assert!(s_off > 0.9 && s_on < 0.01, "{s_off} {s_on}");
    // The device access: seek between cylinders uniform on the data set (1..=500), a
    // uniform rotational delay, the transfer; its first two moments for the M/G/1 wait.
    let dev = models::dasd::DeviceType::D3390_3;
    let timing = dev.timing();
    let r = timing.rotation.as_secs_f64();
    let xfer = 4096.0 / timing.data_rate_bytes_per_s as f64;
    let (mut m1, mut m2) = (0.0, 0.0);
    let n = 500u32;
    for a in 1..=n {
        for b in 1..=n {
            let x = timing.seek(a, b, dev.cylinders()).as_secs_f64() + xfer;
            m1 += x;
            m2 += x * x;
        }
    }
    let pairs = (n * n) as f64;
    let (m1, m2) = (m1 / pairs, m2 / pairs);
    // S = X + L, L uniform on [0, R) and independent of X.
    let es = m1 + r / 2.0;
    let es2 = m2 + m1 * r + r * r / 3.0;
    let per_volume = off.model.slow_writes as f64 / LENGTH_S / 200.0;
    let rho = per_volume * es;
    let wait = per_volume * es2 / (2.0 * (1.0 - rho));
    let ch = models::world::ChannelTiming::default();
    let saved = es + wait - 4096.0 / ch.rate as f64;
    let predicted = (s_off - s_on) * saved;
    let delta = (off.primary.write_response_ns.mean as f64
        - on.primary.write_response_ns.mean as f64)
        / 1e9;
    eprintln!(
        "mean response {:.3} ms -> {:.3} ms: -{:.3} ms, first order -{:.3} ms (access {:.3} ms, wait {:.3} ms)",
        off.primary.write_response_ns.mean as f64 / 1e6,
        on.primary.write_response_ns.mean as f64 / 1e6,
        delta * 1e3,
        predicted * 1e3,
        es * 1e3,
        wait * 1e3
    );
    assert!(
        (delta - predicted).abs() / predicted < 0.10,
        "response fell {delta:.6} s vs first order {predicted:.6} s"
    );
}

/// A classic search chain (Seek, Search ID Equal with a TIC back, Write Data) to record r
/// of a track runs 2r + 3 CCWs while connected (r + 1 searches, r TICs back, Seek, Write
/// Data) where the ECKD update write runs one data CCW: at a light load, with records
/// uniform over R1..R12, its mean response is longer by the per-CCW time times
/// 2 E[r] + 2 = 15.
#[test]
fn a_search_chain_pays_for_its_searches() {
    let app = |programs: &str| {
        let mut t = world(20, 4, 20.0, 1, "");
        t += programs;
        t
    };
    let update = report(app(""));
    let search = report(app("programs = { search = 1 }\n"));
    let ch = models::world::ChannelTiming::default();
    let predicted = ch.per_ccw.as_secs_f64() * (2.0 * 6.5 + 2.0);
    let delta = (search.primary.write_response_ns.mean as f64
        - update.primary.write_response_ns.mean as f64)
        / 1e9;
    eprintln!(
        "search chain +{:.1} us, first order +{:.1} us",
        delta * 1e6,
        predicted * 1e6
    );
    assert!(
        (delta - predicted).abs() / predicted < 0.10,
        "{delta} vs {predicted}"
    );
}
