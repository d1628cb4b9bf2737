//! The invariant suite of DESIGN.md over random small worlds: 1-3 hosts, 1-3 storage
//! controls, 1-8 volumes, 1-2 sites, every mode (`zgm` with random readers, placement,
//! intervals and coupled sessions), random link speeds, distances and
//! batching, random seeds and disaster instants. Each case runs the scenario to its
//! recovery, writes the trace, image and report, and checks:
//!
//! 1. per site, updates are applied in sequence order, each after its token and data (the
//!    checker, from the trace);
//! 2. the recovered image equals the primary's image after writes 1..A (every mode but
//!    `naive`);
//! 3. no dependent write is present without its predecessor (every mode but `naive`);
//! 4. A, B, the lost counts and the window in the report agree with the trace, and the image
//!    with the applies (the checker);
//! 5. in `naive` mode the report's verdict is the checker's (when it is inconsistent, both
//!    say so);
//! 6. the same inputs give the same trace hash (every fourth case is run twice).
//!
//! The applications draw their channel programs from a random mix of the families
//! (`programs`: update, search, format, multitrack, read-before-write, read track); a
//! random half of the cases run the `ccw_errors` fault (unit checks, host error recovery)
//! and random storage-control timing options (RPS miss, destage threshold, control-unit
//! busy): the invariants hold whatever programs ran and whichever ended in unit check.
//!
//! Each case also draws whether the copy costs the primary (`copy.primary_cost`), the
//! `sync` suspension options (CRIT(YES)/CRIT(NO), freeze, the timeout) and, in a third of
//! the cases, a link outage. `zgm` cases draw, from the seed, a small journal (a full
//! journal suspends the session) and `copy.zgm.auto_resync` with a small sidefile
//! threshold (flow policy `suspend`): the session suspends and resynchronises; struck while
//! the resynchronisation copy is under way, its image is checked against the trace but not
//! required to be consistent. `sync` with CRIT(NO) and no freeze may suspend pairs one by
//! one while the link comes back (a rolling disaster): like `naive`, its image is checked
//! against the trace but not required to be consistent; every `sync` case checks that each
//! volume is consistent with itself (no write applied before a resynchronisation without
//! its predecessor on the same volume). A quarter of the cases (by seed) resynchronise the
//! suspended pairs once the link is back (`copy.sync.resync_after`); a run that started a
//! resynchronisation is checked against its trace only (the copy is written as it comes).
//!
//! Several link paths deliver messages out of order, so tokens (M1) and data (M2) reach the
//! pending write queue in every interleaving; the apply order stays the sequence order.
//!
//! Cases: `XRCSIM_CASES` (default 1000). Soak: `XRCSIM_CASES=100000 cargo test --release -p
//! scenarios --test invariants`.

use proptest::prelude::*;
use scenarios::runner::{RunOptions, run};
use scenarios::verify::verify;
use scenarios::{Source, prepare};

#[derive(Clone, Debug)]
struct Case {
    hosts: usize,
    subsystems: usize,
    volumes: usize,
    sites: usize,
    mode: &'static str,
    distance_km: u32,
    bandwidth_mbps: f64,
    batch_bytes: u32,
    batch_timer_ms: u32,
    movers: u32,
    apply_parallel: u32,
    seed: u64,
    disaster_ms: u32,
    cut_link: bool,
    rate: u32,
    second_site_mask: u8,
    paths: u32,
    /// Index into `MIXES`.
    programs: usize,
    /// Run the `ccw_errors` fault.
    ccw_errors: bool,
    /// Storage-control timing options: bit 0 RPS miss, 1 destage threshold, 2 CU busy.
    timing: u8,
    primary_cost: bool,
    sync_critical: bool,
    sync_freeze: bool,
    sync_timeout_ms: u32,
    /// A link outage of the first site: (from, length) in ms.
    outage: Option<(u32, u32)>,
    /// `copy.sync.resync_after` in ms (the suspended pairs resynchronise once the link is
    /// back), drawn from the seed in a quarter of the cases.
    sync_resync_ms: Option<u32>,
}

impl Case {
    /// Whether the recovered image must be consistent (every mode but `naive`, and `sync`
    /// with CRIT(NO) and no freeze when the link fails).
    fn must_be_consistent(&self) -> bool {
        self.mode != "naive" && !self.rolling()
    }

    /// `sync`, CRIT(NO) without freeze, with a link outage: pairs may suspend one by one
    /// (a rolling disaster); each volume stays consistent with itself.
    fn rolling(&self) -> bool {
        self.mode == "sync" && !self.sync_critical && !self.sync_freeze && self.outage.is_some()
    }
}

/// Program mixes drawn by the cases (the first: the default, ECKD update writes only).
const MIXES: [&str; 5] = [
    "",
    "programs = { update = 1, search = 1, format = 1, multitrack = 1, read_before_write = 1, read_track = 1 }\n",
    "programs = { format = 1 }\n",
    "programs = { search = 2, multitrack = 1 }\n",
    "programs = { read_before_write = 1, read_track = 1, format = 1 }\n",
];

fn case() -> impl Strategy<Value = Case> {
    (
        (1usize..=3, 1usize..=3, 1usize..=8, 1usize..=2),
        prop_oneof![
            Just("xrc"),
            Just("xrc-prt"),
            Just("sync"),
            Just("naive"),
            Just("pit"),
            Just("zgm"),
            Just("srdfa"),
            Just("gm"),
            Just("ur")
        ],
        (
            prop_oneof![1u32..10, 10u32..500, 500u32..5000],
            prop_oneof![Just(1.544), Just(44.736), Just(155.52), Just(1000.0)],
        ),
        (1024u32..1_048_576, 1u32..50, 1u32..=3, 1u32..=16),
        (
            any::<u64>(),
            200u32..2500,
            any::<bool>(),
            5u32..120,
            any::<u8>(),
            1u32..=4,
        ),
        (0usize..MIXES.len(), any::<bool>(), 0u8..8),
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            50u32..800,
            prop_oneof![
                2 => Just(None),
                1 => (100u32..2000, 50u32..1500).prop_map(Some)
            ],
        ),
    )
        .prop_map(
            |(
                (hosts, subsystems, volumes, sites),
                mode,
                (distance_km, bandwidth_mbps),
                (batch_bytes, batch_timer_ms, movers, apply_parallel),
                (seed, disaster_ms, cut_link, rate, second_site_mask, paths),
                (programs, ccw_errors, timing),
                (primary_cost, sync_critical, sync_freeze, sync_timeout_ms, outage),
            )| Case {
                sync_resync_ms: (seed % 4 == 1).then_some(((seed >> 32) % 400) as u32),
                primary_cost,
                sync_critical,
                sync_freeze,
                sync_timeout_ms,
                outage,
                hosts,
                subsystems,
                volumes,
                sites,
                mode,
                distance_km,
                bandwidth_mbps,
                batch_bytes,
                batch_timer_ms,
                movers,
                apply_parallel,
                seed,
                disaster_ms,
                cut_link,
                rate,
                second_site_mask,
                paths,
                programs,
                ccw_errors,
                timing,
            },
        )
}

fn scenario(c: &Case) -> String {
    let mut s = format!(
        "name = \"random\"\n[run]\nseed = {}\nlength = \"3s\"\n[disaster]\nat = \"{}ms\"\ncut_link = {}\n[link]\ndistance_km = {}\nbandwidth_mbps = {}\npaths = {}\n[copy]\nmode = \"{}\"\nbatch_bytes = {}\nbatch_timer = \"{}ms\"\nmovers = {}\napply_parallel = {}\npit_interval = \"400ms\"\nmin_cycle_time = \"300ms\"\nflashcopy_time = \"50ms\"\n",
        c.seed,
        c.disaster_ms,
        c.cut_link,
        c.distance_km,
        c.bandwidth_mbps,
        c.paths,
        c.mode,
        c.batch_bytes,
        c.batch_timer_ms,
        c.movers,
        c.apply_parallel
    );
    s += &format!(
        "primary_cost = {}\n[copy.sync]\ncritical = \"{}\"\nfreeze = {}\nsuspend_timeout = \"{}ms\"\n",
        c.primary_cost,
        if c.sync_critical { "yes" } else { "no" },
        c.sync_freeze,
        c.sync_timeout_ms
    );
    if let Some(ms) = c.sync_resync_ms {
        s += &format!("resync_after = \"{ms}ms\"\n");
    }
    if c.mode == "zgm" {
        // The System Data Mover's shape from the seed: readers, placement, read and group
        // intervals, and (with two or more storage controls) two coupled sessions.
        let b = c.seed >> 8;
        s += &format!(
            "[copy.zgm]\nreaders = {}\nsdm = \"{}\"\nread_interval = \"{}ms\"\ngroup_interval = \"{}ms\"\n",
            1 + b % 3,
            if b & 4 != 0 { "primary" } else { "secondary" },
            5 + (b >> 3) % 300,
            (b >> 12) % 100
        );
        if (b >> 21) & 1 == 1 {
            // A session that suspends readily (a small sidefile threshold, or a small
            // journal) and resynchronises once the cause has cleared.
            s += "auto_resync = true\n";
        }
        if (b >> 22) & 1 == 1 {
            s += "[copy.zgm.journal]\ncapacity_mb = 1\nfull_timeout = \"150ms\"\n";
        }
        if (b >> 21) & 1 == 1 && (b >> 23) & 1 == 1 {
            s += "[copy.flow]\npolicy = \"suspend\"\nthreshold = 20\ntimeout = \"100ms\"\n";
        }
        if c.subsystems >= 2 && (b >> 20) & 1 == 1 {
            let rest: Vec<String> = (1..c.subsystems).map(|k| format!("\"SS{k}\"")).collect();
            s += &format!(
                "[[copy.zgm.sessions]]\nname = \"A\"\nsubsystems = [\"SS0\"]\n[[copy.zgm.sessions]]\nname = \"B\"\nsubsystems = [{}]\n",
                rest.join(", ")
            );
        }
    }
    for k in 0..c.subsystems {
        s += &format!("[[subsystems]]\nname = \"SS{k}\"\n");
        if c.timing & 1 != 0 {
            s += "rps_miss = true\nstorage_paths = 1\n";
        }
        if c.timing & 2 != 0 {
            s += "nvs_mb = 1\ndestage_threshold = 0.3\n";
        }
        if c.timing & 4 != 0 {
            s += "cu_busy_retry = \"200us\"\n";
        }
    }
    if c.ccw_errors {
        s += "[[faults]]\nkind = \"ccw_errors\"\nat = \"100ms\"\nrate = 0.05\n";
    }
    for v in 0..c.volumes {
        s += &format!(
            "[[volumes]]\nvolser = \"V{v:05}\"\nsubsystem = \"SS{}\"\ndatasets = [{{ name = \"D{v}.LOG\", cyls = [1, 20] }}, {{ name = \"D{v}.DATA\", cyls = [21, 200] }}]\n",
            v % c.subsystems
        );
    }
    for h in 0..c.hosts {
        s += &format!("[[hosts]]\nname = \"SYS{h}\"\n");
        let log = h % c.volumes;
        let data = (h + 1) % c.volumes;
        s += &format!(
            "[[hosts.apps]]\nname = \"APP{h}\"\ndatasets = [\"D{log}.LOG\", \"D{data}.DATA\"]\nworkload = {{ kind = \"oltp\", tx_rate = {}, log = 0, data = 1, skew = 1.1{} }}\n{}",
            c.rate,
            if c.programs > 0 {
                ", read_fraction = 0.2"
            } else {
                ""
            },
            MIXES[c.programs]
        );
    }
    for site in 0..c.sites {
        s += &format!("[[sites]]\nname = \"S{}\"\n", site + 1);
        if site == 1 {
            // The second site holds a random subset of the volumes, or only the logs
            // (claim 3, at volume or data-set level).
            if c.second_site_mask & 0x80 != 0 {
                s += "datasets = [\"*.LOG\"]\n";
            } else {
                let vols: Vec<String> = (0..c.volumes)
                    .filter(|v| c.second_site_mask & (1 << v) != 0)
                    .map(|v| format!("\"V{v:05}\""))
                    .collect();
                if !vols.is_empty() {
                    s += &format!("volumes = [{}]\n", vols.join(", "));
                }
            }
            s += &format!("link = {{ distance_km = {} }}\n", c.distance_km / 2 + 1);
        }
    }
    if let Some((at, len)) = c.outage {
        s += &format!(
            "[[faults]]\nkind = \"link_cut\"\nsite = \"S1\"\nat = \"{at}ms\"\nuntil = \"{}ms\"\n",
            at + len
        );
    }
    s
}

fn outputs(c: &Case, tag: &str) -> (String, String, String, u64, String) {
    let dir = std::env::temp_dir().join(format!("xrcsim-inv-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = Source::new("random.toml", scenario(c));
    let built = prepare(&src, &[], &dir).unwrap_or_else(|e| panic!("{e}\n{}", src.text));
    let opts = RunOptions {
        trace: Some(dir.join("t.jsonl")),
        image: Some(dir.join("i.csv")),
        progress: false,
        ..RunOptions::default()
    };
    let out = run(&built, &opts).expect("run");
    let report = serde_json::to_string(&out.report).unwrap();
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let r = (
        read("t.jsonl"),
        read("i.csv"),
        report,
        built.world.run.length.as_nanos(),
        out.report.trace_hash.clone(),
    );
    std::fs::remove_dir_all(&dir).ok();
    r
}

/// Whether a zgm resynchronisation copy was under way when the run ended (a `resync` with
/// fewer than `sites` `resync_done` after it): the secondary is not consistent then.
fn mid_resync(trace: &str, sites: usize) -> bool {
    let mut open = None;
    for line in trace.lines().skip(1) {
        if line.contains("\"ev\":\"resync\"") {
            open = Some(0usize);
        } else if line.contains("\"ev\":\"resync_done\"")
            && let Some(n) = open.as_mut()
        {
            *n += 1;
        }
    }
    open.is_some_and(|n| n < sites)
}

/// `sync`: each volume is consistent with itself whatever the pairs' suspensions: at each
/// site, a write applied before any resynchronisation whose predecessor (the write its
/// application waited for) is on the same volume and routed there has that predecessor
/// applied before it. Returns the violations (site, write, predecessor).
fn same_volume_violations(trace: &str) -> Vec<(String, u64, u64)> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut writes: BTreeMap<u64, (String, u64, Vec<String>)> = BTreeMap::new();
    let mut applied: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    let mut bad = Vec::new();
    for line in trace.lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        let seq = e["seq"].as_u64().unwrap_or(0);
        match e["ev"].as_str().unwrap_or("") {
            "seq" => {
                let sites = e["sites"]
                    .as_array()
                    .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default();
                writes.insert(
                    seq,
                    (
                        e["vol"].as_str().unwrap().to_string(),
                        e["dep"].as_u64().unwrap_or(0),
                        sites,
                    ),
                );
            }
            "resync" => break,
            "apply" => {
                let site = e["site"].as_str().unwrap().to_string();
                let done = applied.entry(site.clone()).or_default();
                if let Some((vol, dep, _)) = writes.get(&seq)
                    && let Some((dvol, _, dsites)) = writes.get(dep)
                    && dvol == vol
                    && dsites.contains(&site)
                    && !done.contains(dep)
                {
                    bad.push((site, seq, *dep));
                }
                done.insert(seq);
            }
            _ => {}
        }
    }
    bad
}

fn cases() -> u32 {
    std::env::var("XRCSIM_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_on_random_worlds(c in case()) {
        let (t, i, r, end, hash) = outputs(&c, "a");
        let v = verify(&t, &i, &r, end);
        prop_assert!(v.problems.is_empty(), "{:#?}\n{}", v.problems, scenario(&c));
        let rep: serde_json::Value = serde_json::from_str(&r).unwrap();
        // A resynchronisation writes the changed records as they come: the image is not
        // consistent until all of it is in (by design), so a run that started one is only
        // checked against its trace.
        let resynced = t.contains("\"ev\":\"resync\"");
        if c.mode == "sync" {
            let bad = same_volume_violations(&t);
            prop_assert!(bad.is_empty(), "a write applied without its predecessor on the same volume: {:?}\n{}", bad, scenario(&c));
        }
        for s in rep["sites"].as_array().unwrap() {
            // zgm's resynchronisation ends consistent: only a run struck during its copy is
            // exempt; a `sync` resynchronisation is checked against its trace only.
            let exempt = if c.mode == "zgm" { mid_resync(&t, c.sites) } else { resynced };
            if c.must_be_consistent() && !exempt {
                prop_assert_eq!(&s["prefix_consistent"], &serde_json::json!(true), "{}\n{}", s, scenario(&c));
                // The image is the primary's after writes 1..A (A: a write the site was
                // sent); the largest such k can pass A by writes routed elsewhere, never
                // reach the site's first lost write.
                let (a, k) = (s["consistency_seq"].as_u64().unwrap(), s["consistent_seq"].as_u64().unwrap());
                prop_assert!(a <= k, "A {} above the consistent prefix {}: {}", a, k, s);
                if let Some(first_lost) = s["secondary_view"]["entries"].as_array().and_then(|e| e.first()).and_then(|e| e["seq"].as_u64()) {
                    prop_assert!(k < first_lost, "{}", s);
                }
                prop_assert!(a <= s["highest_token_seq"].as_u64().unwrap() || a == 0, "A above B: {}", s);
                prop_assert_eq!(&s["mismatched_records"], &serde_json::json!(0));
                prop_assert_eq!(&s["dependent_write_violations"], &serde_json::json!(0));
                if c.mode == "zgm" && s["lost_writes"].as_u64().unwrap() > 0 {
                    // The consistency time is respected: every write started at or before
                    // the time the site recovered to is in the image (the oldest lost write
                    // started after it).
                    let disaster = rep["disaster_at_ns"].as_u64().unwrap();
                    let first_lost = disaster - s["data_loss_window_ns"].as_u64().unwrap();
                    let recovered = s["secondary_view"]["zgm"]["sessions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x["recovered_to_ns"].as_u64().unwrap())
                        .max()
                        .unwrap();
                    prop_assert!(first_lost > recovered, "first lost {} recovered to {}: {}", first_lost, recovered, s);
                }
            }
        }
        if c.seed % 4 == 0 {
            let (_, _, _, _, hash2) = outputs(&c, "b");
            prop_assert_eq!(hash, hash2, "same inputs, different trace hash");
        }
    }
}
