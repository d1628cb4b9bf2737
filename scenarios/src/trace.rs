//! The JSONL trace (docs/contracts.md, section 3), written from the world's typed
//! observations ([`models::obs::Obs`]) with serde_json, so every name is escaped. This is
//! the only place that knows the trace's text format; the model formats no text.

use models::content::{RecSpan, WriteId, digest_of};
use models::obs::{Obs, ObsBuf};
use models::oracle::Oracle;
use models::types::{SiteId, VolumeId};
use models::world::WorldConfig;
use serde::Serialize;
use sim::SimTime;

/// Trace lines formatted and not yet taken by the runner.
#[derive(Clone, Debug, Default)]
pub struct TraceWriter {
    buf: Vec<u8>,
    lines: u64,
    names: Names,
}

/// The names the trace gives things, from the world's configuration.
#[derive(Clone, Debug, Default)]
struct Names {
    sites: Vec<String>,
    volsers: Vec<String>,
    subsystems: Vec<String>,
    /// Volume pairs: primary VOLSER, secondary VOLSER, site name.
    pairs: Vec<(String, String, String)>,
}

/// A record's digest, written as 16 hex digits.
struct Hex(u64);

impl Serialize for Hex {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{:016x}", self.0))
    }
}

/// The digests of the records of `span` on `vol`, written by `writers` (one per record) or
/// all by `own`.
fn digests(vol: VolumeId, span: RecSpan, own: WriteId, writers: Option<&[WriteId]>) -> Vec<Hex> {
    span.iter()
        .enumerate()
        .map(|(i, a)| Hex(digest_of(vol, a, writers.map_or(own, |w| w[i])).0))
        .collect()
}

#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    t: u64,
    ev: &'a str,
    #[serde(flatten)]
    fields: T,
}

#[derive(Serialize)]
struct SeqFields<'a> {
    seq: u64,
    vol: &'a str,
    recs: Vec<[u64; 3]>,
    bytes: u64,
    sites: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dep: Option<u64>,
    digests: Vec<Hex>,
}

#[derive(Serialize)]
struct SeqDigests {
    seq: u64,
    digests: Vec<Hex>,
}

#[derive(Serialize)]
struct SiteSeq<'a> {
    site: &'a str,
    seq: u64,
}

#[derive(Serialize)]
struct SiteSeqDigests<'a> {
    site: &'a str,
    seq: u64,
    digests: Vec<Hex>,
}

#[derive(Serialize)]
struct Site<'a> {
    site: &'a str,
}

#[derive(Serialize)]
struct UnitCheckLine<'a> {
    vol: &'a str,
    op: &'static str,
    /// Sense bytes 0 and 1 in hexadecimal.
    sense: String,
    attempt: u32,
    action: &'static str,
}

#[derive(Serialize)]
struct Scope<'a> {
    scope: &'a str,
}

#[derive(Serialize)]
struct Recovered<'a> {
    site: &'a str,
    consistency_seq: u64,
    highest_token_seq: u64,
}

#[derive(Serialize)]
struct Subsystem<'a> {
    subsystem: &'a str,
}

#[derive(Serialize)]
struct Mover {
    mover: u16,
}

#[derive(Serialize)]
struct Slowdown<'a> {
    site: &'a str,
    factor: f64,
}

#[derive(Serialize)]
struct Pair<'a> {
    primary: &'a str,
    secondary: &'a str,
    site: &'a str,
}

#[derive(Serialize)]
struct Reason<'a> {
    reason: &'a str,
}

#[derive(Serialize)]
struct PairStateLine {
    pair: u32,
    state: &'static str,
}

#[derive(Serialize)]
struct Range {
    from_seq: u64,
    to_seq: u64,
}

#[derive(Serialize)]
struct Header<'a> {
    ev: &'a str,
    format: &'a str,
    version: u32,
    scenario: &'a str,
    seed: u64,
    mode: &'a str,
}

impl TraceWriter {
    /// A writer for the world described by `cfg`, its header line written.
    pub fn new(cfg: &WorldConfig) -> TraceWriter {
        let names = Names {
            sites: cfg.sites.iter().map(|s| s.name.clone()).collect(),
            volsers: cfg.volumes.iter().map(|v| v.volser.clone()).collect(),
            subsystems: cfg.subsystems.iter().map(|s| s.name.clone()).collect(),
            pairs: cfg
                .copy
                .pairs
                .iter()
                .map(|p| {
                    (
                        cfg.volumes[p.primary.0 as usize].volser.clone(),
                        cfg.volumes[p.secondary.0 as usize].volser.clone(),
                        cfg.sites[p.site].name.clone(),
                    )
                })
                .collect(),
        };
        let mut w = TraceWriter {
            buf: Vec::new(),
            lines: 0,
            names,
        };
        w.put(&Header {
            ev: "header",
            format: "xrcsim-trace",
            version: 1,
            scenario: &cfg.name,
            seed: cfg.run.seed,
            mode: cfg.copy.mode.name(),
        });
        w
    }

    /// Takes the buffered lines (the runner appends them to the trace file).
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// Bytes buffered.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Lines written so far (including the header).
    pub fn lines(&self) -> u64 {
        self.lines
    }

    fn put<T: Serialize>(&mut self, v: &T) {
        serde_json::to_writer(&mut self.buf, v).expect("serialising to memory cannot fail");
        self.buf.push(b'\n');
        self.lines += 1;
    }

    fn line<T: Serialize>(&mut self, t: SimTime, ev: &str, fields: T) {
        self.put(&Line {
            t: t.as_nanos(),
            ev,
            fields,
        });
    }

    /// Writes the line of observation `o` at `t`. `buf` holds the content lists of
    /// [`Obs::DataRx`]; `checker` gives the points of `recovered` lines (it must have
    /// consumed `o` already).
    pub fn observe(&mut self, t: SimTime, o: &Obs, buf: &ObsBuf, checker: &Oracle) {
        let names = std::mem::take(&mut self.names);
        let site = |s: SiteId| names.sites.get(s.0 as usize).map_or("?", String::as_str);
        match *o {
            Obs::Seq {
                seq,
                vol,
                span,
                bytes,
                sites,
                dep,
                writer,
            } => self.line(
                t,
                "seq",
                SeqFields {
                    seq,
                    vol: &names.volsers[vol.0 as usize],
                    recs: span
                        .iter()
                        .map(|a| [a.cyl as u64, a.head as u64, a.rec as u64])
                        .collect(),
                    bytes: bytes as u64,
                    sites: sites.iter().map(site).collect(),
                    dep: (dep != 0).then_some(dep),
                    digests: digests(vol, span, writer, None),
                },
            ),
            Obs::WriteDone {
                seq,
                vol,
                span,
                writer,
            } => self.line(
                t,
                "write_done",
                SeqDigests {
                    seq,
                    digests: digests(vol, span, writer, None),
                },
            ),
            Obs::HostWrite { .. } | Obs::RpoSample => {}
            Obs::TokenRx { site: s, seq } => {
                self.line(t, "token_rx", SiteSeq { site: site(s), seq })
            }
            Obs::DataRx {
                site: s,
                seq,
                shipped,
            } => {
                // The write's identity comes from its `seq` event, which the checker holds
                // while the entry is above A.
                if let Some((vol, span, writer)) = checker.write_of(seq) {
                    let writers = buf.writers_of(shipped, span.n as usize);
                    self.line(
                        t,
                        "data_rx",
                        SiteSeqDigests {
                            site: site(s),
                            seq,
                            digests: digests(vol, span, writer, writers),
                        },
                    )
                }
            }
            Obs::Apply { site: s, seq } => self.line(t, "apply", SiteSeq { site: site(s), seq }),
            Obs::DataHeld { site: s, seq } => {
                self.line(t, "data_held", SiteSeq { site: site(s), seq })
            }
            Obs::Disaster => self.line(t, "disaster", Scope { scope: "site" }),
            Obs::EndOfWorkload => {}
            Obs::Recovered { site: s } => {
                let (a, b) = checker
                    .site_report(s)
                    .map_or((0, 0), |r| (r.consistency_seq, r.highest_token_seq));
                self.line(
                    t,
                    "recovered",
                    Recovered {
                        site: site(s),
                        consistency_seq: a,
                        highest_token_seq: b,
                    },
                )
            }
            Obs::LinkCut { site: s } => self.line(t, "link_cut", Site { site: site(s) }),
            Obs::LinkRestored { site: s } => self.line(t, "link_restored", Site { site: site(s) }),
            Obs::SubsystemLost { ss } => self.line(
                t,
                "subsystem_lost",
                Subsystem {
                    subsystem: names.subsystems.get(ss.0 as usize).map_or("?", |s| s),
                },
            ),
            Obs::MoverCrash { mover } => self.line(t, "mover_crash", Mover { mover }),
            Obs::MoverRestart { mover } => self.line(t, "mover_restart", Mover { mover }),
            Obs::SecondarySlowdown { site: s, factor } => self.line(
                t,
                "secondary_slowdown",
                Slowdown {
                    site: site(s),
                    factor,
                },
            ),
            Obs::SecondarySlowdownEnd { site: s } => {
                self.line(t, "secondary_slowdown_end", Site { site: site(s) })
            }
            Obs::PairAdded { pair } | Obs::PairRemoved { pair } => {
                let ev = if matches!(o, Obs::PairAdded { .. }) {
                    "pair_added"
                } else {
                    "pair_removed"
                };
                if let Some((p, s, n)) = names.pairs.get(pair as usize) {
                    self.line(
                        t,
                        ev,
                        Pair {
                            primary: p,
                            secondary: s,
                            site: n,
                        },
                    )
                }
            }
            Obs::PairState { pair, state } => self.line(
                t,
                "pair_state",
                PairStateLine {
                    pair,
                    state: state.text(),
                },
            ),
            Obs::Suspend { reason } => self.line(
                t,
                "suspend",
                Reason {
                    reason: reason.text(),
                },
            ),
            Obs::Resync { from, to } => self.line(
                t,
                "resync",
                Range {
                    from_seq: from,
                    to_seq: to,
                },
            ),
            Obs::ResyncDone { site: s } => self.line(t, "resync_done", Site { site: site(s) }),
            Obs::InitialCopyDone { site: s } => {
                self.line(t, "initial_copy_done", Site { site: site(s) })
            }
            Obs::UnitCheck {
                vol,
                write,
                sense0,
                sense1,
                attempt,
                retry,
            } => self.line(
                t,
                "unit_check",
                UnitCheckLine {
                    vol: names
                        .volsers
                        .get(vol.0 as usize)
                        .map_or("?", String::as_str),
                    op: if write { "write" } else { "read" },
                    sense: format!("{sense0:02X}{sense1:02X}"),
                    attempt,
                    action: if retry { "retry" } else { "fail" },
                },
            ),
            Obs::Skip { site: s, seq } => self.line(t, "skip", SiteSeq { site: site(s), seq }),
        }
        self.names = names;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_quotes_are_escaped() {
        let mut w = TraceWriter {
            names: Names {
                sites: vec!["S\"1\\".into()],
                ..Names::default()
            },
            ..TraceWriter::default()
        };
        let checker = Oracle::new(models::oracle::OracleConfig::default());
        w.observe(
            SimTime::from_nanos(5),
            &Obs::LinkCut { site: SiteId(0) },
            &ObsBuf::default(),
            &checker,
        );
        let text = String::from_utf8(w.take()).unwrap();
        let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["site"], "S\"1\\");
        assert_eq!(v["ev"], "link_cut");
        assert_eq!(v["t"], 5);
        assert_eq!(w.lines(), 1);
    }
}
