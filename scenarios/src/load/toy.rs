//! A small but realistic scenario schema used to exercise the loader (tests and
//! [`super::fuzz_load`]): nested tables, arrays of tables, internally tagged enums (one nested
//! in another), durations, defaults, `deny_unknown_fields` everywhere, and a cross-field check
//! reported through [`Document::error_at`]. The real schema lives elsewhere in this crate.

use serde::Deserialize;
use sim::SimDuration;
use sim::rng::Dist;

use super::{Document, LoadError};

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scenario {
    pub(crate) name: String,
    pub(crate) run: Run,
    pub(crate) link: Link,
    #[serde(default)]
    pub(crate) copy: Copy,
    #[serde(default)]
    pub(crate) volumes: Vec<Volume>,
    #[serde(default)]
    pub(crate) hosts: Vec<Host>,
    pub(crate) disaster: Option<Disaster>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Run {
    pub(crate) seed: u64,
    pub(crate) length: SimDuration,
    #[serde(default = "default_rpo_sample")]
    pub(crate) rpo_sample: SimDuration,
}

fn default_rpo_sample() -> SimDuration {
    SimDuration::from_millis(100)
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Link {
    pub(crate) distance_km: f64,
    pub(crate) bandwidth_mbps: f64,
    #[serde(default)]
    pub(crate) overhead: f64,
    #[serde(default = "one")]
    pub(crate) paths: u8,
    #[serde(default)]
    pub(crate) outages: Vec<Outage>,
}

fn one() -> u8 {
    1
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Outage {
    pub(crate) at: SimDuration,
    pub(crate) length: SimDuration,
}

#[derive(Debug, Default, Deserialize, PartialEq, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Mode {
    #[default]
    Xrc,
    XrcPrt,
    Sync,
    Naive,
    Pit,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Copy {
    #[serde(default)]
    pub(crate) mode: Mode,
    #[serde(default = "default_batch_bytes")]
    pub(crate) batch_bytes: u64,
    #[serde(default = "default_batch_timer")]
    pub(crate) batch_timer: SimDuration,
    #[serde(default = "default_movers")]
    pub(crate) movers: u16,
    #[serde(default)]
    pub(crate) pairs: Vec<Pair>,
}

impl Default for Copy {
    fn default() -> Self {
        Copy {
            mode: Mode::Xrc,
            batch_bytes: default_batch_bytes(),
            batch_timer: default_batch_timer(),
            movers: default_movers(),
            pairs: Vec::new(),
        }
    }
}

fn default_batch_bytes() -> u64 {
    1 << 20
}
fn default_batch_timer() -> SimDuration {
    SimDuration::from_millis(50)
}
fn default_movers() -> u16 {
    1
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Pair {
    pub(crate) primary: String,
    pub(crate) secondary: String,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Volume {
    pub(crate) volser: String,
    pub(crate) cylinders: u32,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Host {
    pub(crate) name: String,
    pub(crate) workload: Workload,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Workload {
    Poisson {
        rate: f64,
        #[serde(default)]
        write_fraction: f64,
        size: Dist,
    },
    Burst {
        rate: f64,
        on: SimDuration,
        off: SimDuration,
    },
    Trace {
        path: String,
    },
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Disaster {
    pub(crate) at: SimDuration,
    #[serde(default)]
    pub(crate) scope: Scope,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Scope {
    #[default]
    PrimarySite,
    Subsystem,
}

impl Scenario {
    /// Cross-field checks, placed with `doc.error_at`.
    pub(crate) fn validate(&self, doc: &Document) -> Result<(), LoadError> {
        let names: Vec<&str> = self.volumes.iter().map(|v| v.volser.as_str()).collect();
        for (i, p) in self.copy.pairs.iter().enumerate() {
            for (which, vol) in [("primary", &p.primary), ("secondary", &p.secondary)] {
                if !names.contains(&vol.as_str()) {
                    return Err(doc.error_at(
                        &format!("copy.pairs[{i}].{which}"),
                        format!("no volume named `{vol}`; volumes are: {}", names.join(", ")),
                    ));
                }
            }
        }
        if self.copy.batch_bytes == 0 {
            return Err(doc.error_at("copy.batch_bytes", "must be at least 1 byte"));
        }
        Ok(())
    }
}
