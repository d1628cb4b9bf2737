//! The run report: the JSON of CONTRACTS.md section 2 (with extensions) and the human
//! summary printed by default.

use models::oracle::SiteReport;
use models::stats::Percentiles;
use models::world::WorldStats;
use models::world::link::LinkStats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always `xrcsim-report`.
    pub format: String,
    /// Report format version (1).
    pub version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// Copy mode.
    pub mode: String,
    /// Simulated time at the end of the run (after recovery), ns.
    pub sim_time_ns: u64,
    /// Wall-clock seconds the simulation took.
    pub wall_s: f64,
    /// Events dispatched.
    pub events: u64,
    /// Primary-site figures.
    pub primary: PrimaryReport,
    /// Link figures, all sites together.
    pub link: LinkReport,
    /// When the disaster struck, ns (null: none).
    pub disaster_at_ns: Option<u64>,
    /// Whether the run drained (workload stopped, replication caught up) before evaluating.
    pub drained: bool,
    /// Per secondary site.
    pub sites: Vec<SiteOut>,
    /// Hash of the full event sequence (16 hex digits).
    pub trace_hash: String,
    /// Extension: running totals of the model (cache, NVS, movers, flow control...).
    pub model: WorldStats,
    /// Extension: simulated host writes per wall-clock second.
    pub writes_per_wall_s: f64,
}

/// `primary`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrimaryReport {
    /// Host writes completed.
    pub writes: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Host write response time, ns.
    pub write_response_ns: Percentiles,
}

/// `link`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkReport {
    /// Messages sent.
    pub messages: u64,
    /// Bytes sent (with per-message overhead).
    pub bytes: u64,
    /// Transmission time over (paths x simulated time), all sites together.
    pub utilization: f64,
}

/// One site: the contract fields, then extensions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SiteOut {
    /// The contract fields (and the oracle's extensions).
    #[serde(flatten)]
    pub core: SiteReport,
    /// Extension: share of the sampled data-loss window owed to each pipeline stage
    /// (fractions summing to 1 when there was any lag).
    pub delay_attribution: BTreeMap<String, f64>,
    /// Extension: this site's link.
    pub link_stats: LinkStats,
    /// Extension: when the initial copy completed, ns (null: none sent, or not complete).
    pub initial_copy_done_ns: Option<u64>,
}

impl Report {
    /// Whether every site's recovered image is a consistent prefix with no dependent-write
    /// violation.
    pub fn consistent(&self) -> bool {
        self.sites
            .iter()
            .all(|s| s.core.prefix_consistent && s.core.dependent_write_violations == 0)
    }
}

fn ms(ns: u64) -> String {
    if ns >= 10_000_000_000 {
        format!("{:.1} s", ns as f64 / 1e9)
    } else {
        format!("{:.3} ms", ns as f64 / 1e6)
    }
}

fn bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.2} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{b} B")
    }
}

/// The human summary. `color`: ANSI colours for a terminal.
pub fn human(r: &Report, color: bool) -> String {
    let (bold, green, red, dim, reset) = if color {
        ("\x1b[1m", "\x1b[32m", "\x1b[31m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "", "", "")
    };
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{bold}xrcsim{reset} scenario {bold}{}{reset}  mode {bold}{}{reset}  seed {}",
        r.scenario, r.mode, r.seed
    );
    let _ = writeln!(
        o,
        "{dim}simulated {:.3} s in {:.2} s wall, {} events, {:.0} writes/s wall{reset}",
        r.sim_time_ns as f64 / 1e9,
        r.wall_s,
        r.events,
        r.writes_per_wall_s
    );
    match r.disaster_at_ns {
        Some(t) => {
            let _ = writeln!(o, "disaster at       {:.6} s", t as f64 / 1e9);
        }
        None if r.drained => {
            let _ = writeln!(o, "no disaster; drained at the end");
        }
        None => {
            let _ = writeln!(o, "no disaster; evaluated at the end of the workload");
        }
    }
    let p = &r.primary;
    let _ = writeln!(o, "primary writes    {} ({})", p.writes, bytes(p.bytes));
    let w = &p.write_response_ns;
    let _ = writeln!(
        o,
        "write response    mean {}  p50 {}  p99 {}  max {}",
        ms(w.mean),
        ms(w.p50),
        ms(w.p99),
        ms(w.max)
    );
    let _ = writeln!(
        o,
        "link              {} messages, {}, utilization {:.1}%",
        r.link.messages,
        bytes(r.link.bytes),
        r.link.utilization * 100.0
    );
    if r.model.paced_writes > 0 {
        let _ = writeln!(
            o,
            "write pacing      {} writes delayed, {} added ({} per paced write); residual count peak {}",
            r.model.paced_writes,
            ms(r.model.pacing_delay_ns),
            ms(r.model.pacing_delay_ns / r.model.paced_writes.max(1)),
            r.model.residual_peak
        );
    }
    if r.model.blocked_writes > 0 {
        let _ = writeln!(
            o,
            "device blocking   {} writes held",
            r.model.blocked_writes
        );
    }
    for (t, why) in &r.model.suspensions {
        let _ = writeln!(
            o,
            "{red}session suspended{reset} at {:.3} s: {why}",
            *t as f64 / 1e9
        );
    }
    for s in &r.sites {
        let c = &s.core;
        let _ = writeln!(o);
        let _ = writeln!(o, "{bold}site {}{reset}", c.site);
        let _ = writeln!(
            o,
            "  writes routed   {}   applied {}",
            c.writes_routed, c.writes_applied
        );
        let _ = writeln!(
            o,
            "  point A         {}   (consistency point)",
            c.consistency_seq
        );
        let _ = writeln!(
            o,
            "  point B         {}   (highest token received)",
            c.highest_token_seq
        );
        let _ = writeln!(
            o,
            "  between A and B {} complete, {} without data; {} tokens never received",
            c.pending_complete, c.pending_incomplete, c.never_received
        );
        let _ = writeln!(
            o,
            "  lost            {} writes, {}",
            c.lost_writes,
            bytes(c.lost_bytes)
        );
        if !c.lost_datasets.is_empty() {
            let shown: Vec<&str> = c.lost_datasets.iter().take(8).map(|s| s.as_str()).collect();
            let more = if c.lost_datasets.len() > 8 {
                format!(" and {} more", c.lost_datasets.len() - 8)
            } else {
                String::new()
            };
            let _ = writeln!(o, "  lost data sets  {}{more}", shown.join(", "));
        }
        let _ = writeln!(o, "  data-loss window {}", ms(c.data_loss_window_ns));
        let rp = &c.rpo_ns;
        let _ = writeln!(
            o,
            "  RPO over run    mean {}  p50 {}  p99 {}  max {}",
            ms(rp.mean),
            ms(rp.p50),
            ms(rp.p99),
            ms(rp.max)
        );
        let mut shares: Vec<(&String, &f64)> = s
            .delay_attribution
            .iter()
            .filter(|(_, v)| **v > 0.005)
            .collect();
        shares.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
        if !shares.is_empty() {
            let parts: Vec<String> = shares
                .iter()
                .map(|(k, v)| format!("{} {:.0}%", k.replace('_', " "), **v * 100.0))
                .collect();
            let _ = writeln!(o, "  window owed to  {}", parts.join(", "));
        }
        let ok = c.prefix_consistent && c.dependent_write_violations == 0;
        let verdict = if ok {
            format!(
                "{green}CONSISTENT{reset}: the image equals the primary after writes 1..{}",
                c.consistent_seq.unwrap_or(0)
            )
        } else {
            format!(
                "{red}INCONSISTENT{reset}: {} records differ from the image at A, {} dependent-write violations{}",
                c.mismatched_records,
                c.dependent_write_violations,
                if c.prefix_consistent {
                    ""
                } else {
                    ", no prefix of the primary matches"
                }
            )
        };
        let _ = writeln!(o, "  verdict         {verdict}");
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "{dim}trace hash {}{reset}", r.trace_hash);
    o
}
