//! The event log: the last few thousand of the run's observations (the world's typed
//! `Obs`, named as the trace names them), with a filter by event type and by substring.
//! Memory is bounded: a ring of the newest lines, and a second ring of the newest lines
//! that pass the filter (so a rare event type stays visible while frequent ones scroll by).
//!
//! A line is `time_ns TAB event TAB fields`, made by [`describe`]; no trace text is parsed.

use models::obs::Obs;
use models::world::WorldConfig;
use sim::SimTime;
use std::collections::VecDeque;

/// Lines kept in each ring.
pub const LOG_LINES: usize = 4096;

/// The event types a user can filter on (`f` cycles through them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Every event.
    All,
    /// A write got its sequence number (its token).
    Seq,
    /// A primary write completed to its host.
    WriteDone,
    /// A token reached a secondary (M1).
    TokenRx,
    /// Update data reached a secondary (M2).
    DataRx,
    /// An update was written at a secondary.
    Apply,
    /// Anything else: disaster, recovered, link cuts, suspensions, faults.
    Other,
}

impl Kind {
    /// The cycle order of `f`.
    pub const ALL: [Kind; 7] = [
        Kind::All,
        Kind::Seq,
        Kind::WriteDone,
        Kind::TokenRx,
        Kind::DataRx,
        Kind::Apply,
        Kind::Other,
    ];

    /// The trace's `ev` name (`None` for All and Other).
    pub fn ev(self) -> Option<&'static str> {
        match self {
            Kind::Seq => Some("seq"),
            Kind::WriteDone => Some("write_done"),
            Kind::TokenRx => Some("token_rx"),
            Kind::DataRx => Some("data_rx"),
            Kind::Apply => Some("apply"),
            Kind::All | Kind::Other => None,
        }
    }

    /// How the log title names it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::All => "all",
            Kind::Other => "faults+recovery",
            k => k.ev().unwrap_or("?"),
        }
    }

    /// The next filter.
    pub fn next(self) -> Kind {
        let i = Kind::ALL.iter().position(|k| *k == self).unwrap_or(0);
        Kind::ALL[(i + 1) % Kind::ALL.len()]
    }

    /// Whether an event named `ev` passes.
    pub fn admits(self, ev: &[u8]) -> bool {
        match self {
            Kind::All => true,
            Kind::Other => !Kind::ALL[1..6]
                .iter()
                .any(|k| k.ev().is_some_and(|n| n.as_bytes() == ev)),
            k => k.ev().is_some_and(|n| n.as_bytes() == ev),
        }
    }
}

/// The event name of a log line.
pub fn ev_of(line: &[u8]) -> &[u8] {
    line.split(|&b| b == b'\t').nth(1).unwrap_or(b"")
}

/// The names the log gives things (from the world's configuration).
#[derive(Clone, Debug, Default)]
pub struct Names {
    sites: Vec<String>,
    volsers: Vec<String>,
    subsystems: Vec<String>,
}

impl Names {
    /// The names of the world `cfg` describes.
    pub fn new(cfg: &WorldConfig) -> Names {
        Names {
            sites: cfg.sites.iter().map(|s| s.name.clone()).collect(),
            volsers: cfg.volumes.iter().map(|v| v.volser.clone()).collect(),
            subsystems: cfg.subsystems.iter().map(|s| s.name.clone()).collect(),
        }
    }
    fn site(&self, s: models::types::SiteId) -> &str {
        self.sites.get(s.0 as usize).map_or("?", String::as_str)
    }
}

/// The log line of observation `o` at `t` (`None`: not shown, e.g. sampling marks).
pub fn describe(t: SimTime, o: &Obs, n: &Names) -> Option<String> {
    let (ev, rest) = match *o {
        Obs::Seq {
            seq,
            vol,
            span,
            bytes,
            dep,
            sites,
            ..
        } => (
            "seq",
            format!(
                "seq {seq}  vol {}  recs {} from {}.{}.{}  bytes {bytes}  sites [{}]{}",
                n.volsers.get(vol.0 as usize).map_or("?", String::as_str),
                span.n,
                span.first.cyl,
                span.first.head,
                span.first.rec,
                sites
                    .iter()
                    .map(|s| n.site(s))
                    .collect::<Vec<_>>()
                    .join(","),
                if dep != 0 {
                    format!("  dep {dep}")
                } else {
                    String::new()
                }
            ),
        ),
        Obs::WriteDone { seq, .. } => ("write_done", format!("seq {seq}")),
        Obs::HostWrite { .. } | Obs::RpoSample | Obs::EndOfWorkload => return None,
        Obs::TokenRx { site, seq } => ("token_rx", format!("site {}  seq {seq}", n.site(site))),
        Obs::DataRx { site, seq, .. } => ("data_rx", format!("site {}  seq {seq}", n.site(site))),
        Obs::DataHeld { site, seq } => ("data_held", format!("site {}  seq {seq}", n.site(site))),
        Obs::Apply { site, seq } => ("apply", format!("site {}  seq {seq}", n.site(site))),
        Obs::Disaster => ("disaster", "scope site".to_string()),
        Obs::Recovered { site } => ("recovered", format!("site {}", n.site(site))),
        Obs::LinkCut { site } => ("link_cut", format!("site {}", n.site(site))),
        Obs::LinkRestored { site } => ("link_restored", format!("site {}", n.site(site))),
        Obs::SubsystemLost { ss } => (
            "subsystem_lost",
            format!(
                "subsystem {}",
                n.subsystems.get(ss.0 as usize).map_or("?", String::as_str)
            ),
        ),
        Obs::MoverCrash { mover } => ("mover_crash", format!("mover {mover}")),
        Obs::MoverRestart { mover } => ("mover_restart", format!("mover {mover}")),
        Obs::SecondarySlowdown { site, factor } => (
            "secondary_slowdown",
            format!("site {}  factor {factor}", n.site(site)),
        ),
        Obs::SecondarySlowdownEnd { site } => {
            ("secondary_slowdown_end", format!("site {}", n.site(site)))
        }
        Obs::PairAdded { pair } => ("pair_added", format!("pair {pair}")),
        Obs::PairRemoved { pair } => ("pair_removed", format!("pair {pair}")),
        Obs::Suspend { reason } => ("suspend", format!("reason {}", reason.text())),
        Obs::PairState { pair, state } => ("pair_state", format!("pair {pair} {}", state.text())),
        Obs::Resync { from, to } => ("resync", format!("from_seq {from}  to_seq {to}")),
        Obs::ResyncDone { site } => ("resync_done", format!("site {}", n.site(site))),
        Obs::InitialCopyDone { site } => ("initial_copy_done", format!("site {}", n.site(site))),
        Obs::UnitCheck {
            write,
            sense0,
            sense1,
            attempt,
            retry,
            ..
        } => (
            "unit_check",
            format!(
                "{}  sense {sense0:02X}{sense1:02X}  try {attempt}  {}",
                if write { "write" } else { "read" },
                if retry { "retry" } else { "fail" }
            ),
        ),
        Obs::Skip { site, seq } => ("skip", format!("site {}  seq {seq}", n.site(site))),
    };
    Some(format!("{}\t{ev}\t{rest}", t.as_nanos()))
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    let n = needle.to_ascii_lowercase();
    hay.to_ascii_lowercase().contains(&n)
}

/// The filter: an event type and a substring (case-insensitive; empty: any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Event type.
    pub kind: Kind,
    /// Substring of the line.
    pub text: String,
}

impl Filter {
    /// Whether the filter lets everything through.
    pub fn is_open(&self) -> bool {
        self.kind == Kind::All && self.text.is_empty()
    }
    /// Whether `line` passes.
    pub fn admits(&self, line: &str) -> bool {
        self.kind.admits(ev_of(line.as_bytes())) && contains_ci(line, &self.text)
    }
}

/// The log. See the module documentation.
#[derive(Clone, Debug)]
pub struct EventLog {
    all: VecDeque<String>,
    matched: VecDeque<String>,
    filter: Filter,
    /// Lines seen since the start (including dropped ones).
    pub seen: u64,
    cap: usize,
}

impl Default for EventLog {
    fn default() -> Self {
        EventLog::new(LOG_LINES)
    }
}

impl EventLog {
    /// An empty log keeping `cap` lines per ring.
    pub fn new(cap: usize) -> Self {
        EventLog {
            all: VecDeque::new(),
            matched: VecDeque::new(),
            filter: Filter {
                kind: Kind::All,
                text: String::new(),
            },
            seen: 0,
            cap: cap.max(1),
        }
    }

    /// Adds a batch of observations. Only the newest `cap` lines of the batch (and the
    /// newest `cap` that pass the filter) are kept: a fast run may produce far more than a
    /// screen can show.
    pub fn push_obs(&mut self, batch: &[(SimTime, Obs)], names: &Names) {
        let lines: Vec<String> = batch
            .iter()
            .filter_map(|(t, o)| describe(*t, o, names))
            .collect();
        self.push_lines(lines);
    }

    fn push_lines(&mut self, lines: Vec<String>) {
        self.seen += lines.len() as u64;
        if !self.filter.is_open() {
            let mut found: Vec<&String> = Vec::new();
            for l in lines.iter().rev() {
                if found.len() >= self.cap {
                    break;
                }
                if self.filter.admits(l) {
                    found.push(l);
                }
            }
            for s in found.into_iter().rev() {
                push_ring(&mut self.matched, s.clone(), self.cap);
            }
        }
        let skip = lines.len().saturating_sub(self.cap);
        for l in lines.into_iter().skip(skip) {
            push_ring(&mut self.all, l, self.cap);
        }
    }

    /// Adds one line of the front end's own (a branch, a mode change), as a trace-shaped
    /// `ui` event so filters treat it like the others.
    pub fn note(&mut self, t_ns: u64, text: &str) {
        let line = format!("{t_ns}\tui\t{}", text.replace('\t', " "));
        self.seen += 1;
        if !self.filter.is_open() && self.filter.admits(&line) {
            push_ring(&mut self.matched, line.clone(), self.cap);
        }
        push_ring(&mut self.all, line, self.cap);
    }

    /// The current filter.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Replaces the filter and refills the filtered ring from the kept lines.
    pub fn set_filter(&mut self, f: Filter) {
        self.filter = f;
        self.matched.clear();
        if !self.filter.is_open() {
            for l in &self.all {
                if self.filter.admits(l) {
                    self.matched.push_back(l.clone());
                }
            }
        }
    }

    /// The lines that pass the filter, oldest first.
    pub fn lines(&self) -> &VecDeque<String> {
        if self.filter.is_open() {
            &self.all
        } else {
            &self.matched
        }
    }
}

fn push_ring(r: &mut VecDeque<String>, s: String, cap: usize) {
    if r.len() >= cap {
        r.pop_front();
    }
    r.push_back(s);
}

/// A log line as the log shows it: (`12.345678`, `token_rx`, `site S1  seq 42`).
pub fn pretty(line: &str) -> (String, String, String) {
    let mut it = line.splitn(3, '\t');
    let t = it.next().and_then(|t| t.parse::<u64>().ok());
    let ev = it.next().unwrap_or("").to_string();
    let rest = it.next().unwrap_or("").to_string();
    let time = match t {
        Some(ns) => format!("{}.{:06}", ns / 1_000_000_000, (ns % 1_000_000_000) / 1000),
        None => String::new(),
    };
    (time, ev, rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::content::RecSpan;
    use models::types::{Cchhr, SiteId, SiteMask, VolumeId};

    fn names() -> Names {
        Names {
            sites: vec!["S1".into()],
            volsers: vec!["PRI000".into()],
            subsystems: vec!["SS01".into()],
        }
    }

    fn batch() -> Vec<(SimTime, Obs)> {
        let t = SimTime::from_nanos;
        vec![
            (
                t(1000),
                Obs::Seq {
                    seq: 1,
                    vol: VolumeId(0),
                    span: RecSpan {
                        first: Cchhr::new(1, 0, 1),
                        n: 1,
                        per_track: 12,
                    },
                    bytes: 4096,
                    sites: SiteMask::one(SiteId(0)),
                    dep: 0,
                    writer: 1,
                },
            ),
            (
                t(2000),
                Obs::TokenRx {
                    site: SiteId(0),
                    seq: 1,
                },
            ),
            (
                t(3000),
                Obs::Apply {
                    site: SiteId(0),
                    seq: 1,
                },
            ),
            (t(3500), Obs::RpoSample),
            (t(4000), Obs::Disaster),
        ]
    }

    #[test]
    fn ring_is_bounded_and_keeps_the_newest() {
        let mut log = EventLog::new(3);
        log.push_obs(&batch(), &names());
        assert_eq!(log.seen, 4, "sampling marks are not shown");
        assert_eq!(log.lines().len(), 3);
        assert!(log.lines().back().unwrap().contains("disaster"));
        assert!(log.lines().front().unwrap().contains("token_rx"));
        for _ in 0..10 {
            log.push_obs(&batch(), &names());
        }
        assert_eq!(log.lines().len(), 3);
        assert_eq!(log.seen, 44);
    }

    #[test]
    fn filters_by_kind_and_text_and_refill() {
        let mut log = EventLog::new(100);
        log.push_obs(&batch(), &names());
        log.set_filter(Filter {
            kind: Kind::Apply,
            text: String::new(),
        });
        assert_eq!(log.lines().len(), 1);
        log.push_obs(&batch(), &names());
        assert_eq!(log.lines().len(), 2);
        log.set_filter(Filter {
            kind: Kind::Other,
            text: String::new(),
        });
        assert_eq!(log.lines().len(), 2);
        assert!(log.lines().iter().all(|l| l.contains("disaster")));
        log.set_filter(Filter {
            kind: Kind::All,
            text: "pri000".into(),
        });
        assert_eq!(log.lines().len(), 2);
        log.note(5000, "branched \"back\"");
        assert_eq!(log.lines().len(), 2);
        log.set_filter(Filter {
            kind: Kind::Other,
            text: "branched".into(),
        });
        assert_eq!(log.lines().len(), 1);
    }

    #[test]
    fn the_filtered_ring_outlives_frequent_lines() {
        let mut log = EventLog::new(2);
        log.set_filter(Filter {
            kind: Kind::Other,
            text: String::new(),
        });
        log.push_obs(&batch(), &names());
        for _ in 0..5 {
            log.push_obs(&batch()[..3], &names());
        }
        assert_eq!(log.lines().len(), 1, "the disaster is still shown");
    }

    #[test]
    fn lines_read_as_time_event_and_fields() {
        let log_line = describe(
            SimTime::from_nanos(2000),
            &Obs::TokenRx {
                site: SiteId(0),
                seq: 1,
            },
            &names(),
        )
        .unwrap();
        let (t, ev, rest) = pretty(&log_line);
        assert_eq!(t, "0.000002");
        assert_eq!(ev, "token_rx");
        assert_eq!(rest, "site S1  seq 1");
        let (t0, o) = batch()[0];
        let (_, _, rest) = pretty(&describe(t0, &o, &names()).unwrap());
        assert!(
            rest.starts_with("seq 1  vol PRI000  recs 1 from 1.0.1"),
            "{rest}"
        );
    }

    #[test]
    fn kinds_cycle_and_admit() {
        assert_eq!(Kind::Other.next(), Kind::All);
        assert!(Kind::Other.admits(b"recovered"));
        assert!(!Kind::Other.admits(b"seq"));
        assert!(Kind::Seq.admits(b"seq"));
        assert!(!Kind::Seq.admits(b"apply"));
    }
}
