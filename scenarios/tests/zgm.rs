//! `zgm` (IBM XRC as shipped): its light-load recovery point against the first-order
//! analysis of `docs/fidelity.md` ("zgm: the recovery point, first order"), what a broken
//! common time reference does, and the errors of its keys.

use scenarios::runner::{RunOptions, run};
use scenarios::{Source, prepare};

/// One host, one OLTP database (log and data on one storage control), paired to a site
/// `km` away; `extra` is appended (the `[copy.zgm]` table and more).
fn scenario(km: u32, extra: &str) -> String {
    format!(
        r#"name = "zgm-light"
[run]
seed = 3
length = "60s"
rpo_interval = "7ms"
[[subsystems]]
name = "SS1"
[[volumes]]
volser = "PRI000"
subsystem = "SS1"
datasets = [{{ name = "DB.LOG", cyls = [1, 100] }}, {{ name = "DB.DATA", cyls = [101, 1000] }}]
[[hosts]]
name = "SYSA"
[[hosts.apps]]
name = "DB"
datasets = ["DB.LOG", "DB.DATA"]
workload = {{ kind = "oltp", tx_rate = 30, log = 0, data = 1, skew = 0.8 }}
[[sites]]
name = "S1"
[link]
distance_km = {km}
bandwidth_mbps = 44.736
[copy]
mode = "zgm"
mover_batch = 100000
{extra}
"#
    )
}

fn report(text: &str) -> scenarios::report::Report {
    let built = prepare(
        &Source::new("zgm-light.toml", text.to_string()),
        &[],
        std::path::Path::new("."),
    )
    .unwrap_or_else(|e| panic!("{e}\n{text}"));
    run(&built, &RunOptions::default()).expect("run").report
}

/// Light load (90 writes/s, link 7% busy): the mean sampled recovery point decomposes into
/// time-stamp skew, half the read interval, the read's way back (propagation, channel
/// program, channel transfer, link transmission), group formation (0: formed on arrival)
/// and the journal write, less the mean gap from the consistency time to the next
/// transaction. Within 10% of that first-order sum, for the SDM at either site, several
/// read intervals and distances, and a host clock running ahead.
#[test]
fn light_load_rpo_decomposes_into_its_parts() {
    let mut rows = Vec::new();
    for (km, read_ms, skew_ms, place) in [
        (1000, 1000, 0, "secondary"),
        (3000, 500, 0, "secondary"),
        (300, 2000, 0, "secondary"),
        (1000, 1000, 0, "primary"),
        (1000, 1000, 250, "secondary"),
    ] {
        let extra = format!(
            "[copy.zgm]\nsdm = \"{place}\"\nread_interval = \"{read_ms}ms\"\nclock_offset_us = {{ SYSA = {} }}\n[copy.zgm.journal]\ndata_sets = 4\nmbytes_per_s = 20\nlatency = \"2ms\"\n",
            skew_ms * 1000
        );
        let r = report(&scenario(km, &extra));
        let s = &r.sites[0].core;
        assert!(r.consistent(), "{km} km {read_ms} ms {place}");
        assert!(
            r.link.utilization < 0.2,
            "light load: {}",
            r.link.utilization
        );
        let secs = 60.0;
        let lambda = r.primary.writes as f64 / secs; // writes per second
        // Bytes of one read (the link's bytes per message: every message but the
        // establish is a read's answer).
        let b = r.link.bytes as f64 / r.link.messages as f64;
        let prop = km as f64 * 5e-3; // ms, one way
        let overhead = 0.4; // ms, the read's channel program (copy.mover_read_overhead)
        let channel = b / 17e6 * 1e3; // ms at 17 MB/s
        let transmission = b * 8.0 / 44.736e6 * 1e3; // ms
        let journal = 2.0 + b / (4.0 * 20e6) * 1e3; // ms: latency + striped write
        // ms: from the consistency time to the first write after it. A transaction's three
        // writes follow each other within milliseconds, so this is the gap to the next
        // transaction (Poisson, mean 1 / tx rate), not to the next write.
        let gap = 1e3 / (lambda / 3.0);
        let expect = skew_ms as f64
            + read_ms as f64 / 2.0
            + prop
            + overhead
            + channel
            + transmission
            + journal
            - gap;
        let got = s.rpo_ns.mean as f64 / 1e6;
        rows.push(format!(
            "{km:>5} km R {read_ms:>5} ms skew {skew_ms:>3} ms {place:<9} RPO {got:8.1} ms, first order {expect:8.1} ms (R/2 {:.0} + prop {prop:.1} + read {:.1} + tx {transmission:.1} + journal {journal:.1} - gap {gap:.1})",
            read_ms as f64 / 2.0,
            overhead + channel
        ));
        assert!((got - expect).abs() / expect < 0.10, "{}", rows.join("\n"));
    }
    println!("{}", rows.join("\n"));
}

/// Hosts whose clocks disagree stamp their writes out of their true order: the SDM,
/// forming groups by time stamp, recovers an image that is no prefix of the primary's
/// history (writes of the two hosts to the same records land in the wrong order), while a
/// working common time reference keeps it consistent. A single host's offset would only
/// delay the recovery point (the skew term of the first-order analysis).
#[test]
fn hosts_off_the_common_time_break_consistency() {
    let two_hosts = |offset_us: i64| {
        format!(
            r#"name = "zgm-clock"
[run]
seed = 5
length = "20s"
[[subsystems]]
name = "SS1"
[[subsystems]]
name = "SS2"
[[volumes]]
volser = "PRI000"
subsystem = "SS1"
datasets = [{{ name = "DB.LOG", cyls = [1, 100] }}]
[[volumes]]
volser = "PRI001"
subsystem = "SS2"
datasets = [{{ name = "DB.DATA", cyls = [1, 1000] }}]
[[hosts]]
name = "SYSA"
[[hosts.apps]]
name = "DBA"
datasets = ["DB.LOG", "DB.DATA"]
workload = {{ kind = "oltp", tx_rate = 100, log = 0, data = 1, skew = 0.8 }}
[[hosts]]
name = "SYSB"
[[hosts.apps]]
name = "DBB"
datasets = ["DB.LOG", "DB.DATA"]
workload = {{ kind = "oltp", tx_rate = 100, log = 0, data = 1, skew = 0.8 }}
[[sites]]
name = "S1"
[disaster]
at = "13.37s"
[copy]
mode = "zgm"
[copy.zgm]
read_interval = "20ms"
clock_offset_us = {{ SYSB = {offset_us} }}
"#
        )
    };
    let good = report(&two_hosts(0));
    assert!(good.consistent(), "{:?}", good.sites[0].core);
    for off in [50_000, -50_000] {
        let r = report(&two_hosts(off));
        let s = &r.sites[0].core;
        assert!(!r.consistent(), "SYSB off by {off} us: {s:?}");
        if off > 0 {
            // Ahead: SYSB's writes are stamped later than they happened, so the site
            // recovers past some of them: a write older than the recovered time is missing.
            assert!(
                r.sites[0]
                    .disagreements
                    .iter()
                    .any(|d| d.contains("true order")),
                "{:?}",
                r.sites[0].disagreements
            );
        }
        assert!(
            s.mismatched_records > 0 || s.dependent_write_violations > 0,
            "{s:?}"
        );
    }
}

/// Bad `copy.zgm` keys give an error naming the key and what is allowed.
#[test]
fn bad_zgm_keys_are_errors_at_the_key() {
    let bad = [
        ("[copy.zgm]\nreaders = 0\n", "copy.zgm.readers", "1..=16"),
        (
            "[copy.zgm]\nread_interval = \"0s\"\n",
            "copy.zgm.read_interval",
            "longer than 0",
        ),
        (
            "[copy.zgm.journal]\ndata_sets = 17\n",
            "copy.zgm.journal.data_sets",
            "1..=16",
        ),
        (
            "[copy.zgm.journal]\nmbytes_per_s = 0\n",
            "copy.zgm.journal.mbytes_per_s",
            "> 0",
        ),
        (
            "[copy.zgm.journal]\ncapacity_mb = 0\n",
            "copy.zgm.journal.capacity_mb",
            "at least 1",
        ),
        (
            "[copy.zgm]\nclock_offset_us = { SYSQ = 5 }\n",
            "copy.zgm.clock_offset_us.SYSQ",
            "hosts are SYSA",
        ),
        ("[copy.zgm]\nsdm = \"middle\"\n", "sdm", "secondary"),
        (
            "[[copy.zgm.sessions]]\nname = \"A\"\nsubsystems = [\"SS9\"]\n",
            "copy.zgm.sessions[0].subsystems[0]",
            "primary storage controls are SS1",
        ),
        (
            "[[copy.zgm.sessions]]\nname = \"A\"\nsubsystems = [\"SS1\"]\n[[copy.zgm.sessions]]\nname = \"B\"\nsubsystems = [\"SS1\"]\n",
            "copy.zgm.sessions[1].subsystems[0]",
            "already in session A",
        ),
        (
            "[[copy.zgm.sessions]]\nname = \"A\"\nsubsystems = []\n",
            "copy.zgm.sessions",
            "in no session",
        ),
    ];
    for (extra, key, allowed) in bad {
        let text = scenario(100, extra);
        let e = prepare(
            &Source::new("bad.toml", text),
            &[],
            std::path::Path::new("."),
        )
        .err()
        .unwrap_or_else(|| panic!("{extra} was accepted"))
        .to_string();
        assert!(e.contains(key) && e.contains(allowed), "{extra}: {e}");
    }
}

/// With drain, a zgm run ends once every record set is read and written (coupled sessions
/// too, whose SDMs keep forming empty groups as idle sessions report their time), losing
/// nothing.
#[test]
fn a_drained_zgm_run_ends_with_everything_applied() {
    for name in ["zgm.toml", "zgm-coupled.toml"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
        let src = scenarios::read_file(&path).unwrap();
        let sets: Vec<String> = ["run.length=10s", "disaster.at=none", "run.drain=true"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let built = prepare(&src, &sets, path.parent().unwrap()).unwrap();
        let r = run(&built, &RunOptions::default()).expect("run").report;
        assert!(r.drained && r.consistent(), "{name}");
        assert_eq!(r.sites[0].core.lost_writes, 0, "{name}");
        assert!(
            r.sim_time_ns < 15_000_000_000,
            "{name}: drained at {}",
            r.sim_time_ns
        );
    }
}
