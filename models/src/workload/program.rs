//! The channel-program families an application's operations use, and the weighted mix an
//! application draws them from.
//!
//! A generator decides *what* an operation reads or writes (data set, records); the
//! program family decides *how* the host's access method asks the storage control for it:
//!
//! | family | writes | reads |
//! |---|---|---|
//! | `update` (default) | Define Extent, Locate Record (Write Data), Write Update Data x n | DX, LR (Read Data), Read Data x n |
//! | `search` | Seek, Search ID Equal + TIC back, Write Data, per record (pre-ECKD access methods) | Seek, Search ID Equal + TIC, Read Data |
//! | `format` | DX, LR (Format Write), Write CKD / Write CKD Next Track to the end of the last track touched (a log that formats ahead, data set extension) | as `update` |
//! | `multitrack` | the records moved to start at the last record of a track, so the Locate Record domain crosses to the next tracks | same, reads |
//! | `read_before_write` | a read of the records (DX, LR, Read Data), then their update write | as `update` |
//! | `read_track` | as `update` | DX, LR (Read Tracks), one Read Track per track touched (full-track image) |

use serde::{Deserialize, Serialize};

/// A channel-program family (see the module documentation).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Program {
    /// ECKD update write / read data (what every operation used before program mixes).
    #[default]
    Update,
    /// Classic CKD: Seek, Search ID Equal with TIC back to the search, Write Data / Read Data.
    Search,
    /// Format writes (Write CKD, Write CKD Next Track) to the end of the last track.
    Format,
    /// A Locate Record domain that crosses tracks.
    Multitrack,
    /// Read the records, then update them.
    ReadBeforeWrite,
    /// Read Track for a full-track image (reads); update writes.
    ReadTrack,
}

impl Program {
    /// Every family, in the order of [`ProgramMix`]'s weights.
    pub const ALL: [Program; 6] = [
        Program::Update,
        Program::Search,
        Program::Format,
        Program::Multitrack,
        Program::ReadBeforeWrite,
        Program::ReadTrack,
    ];

    /// The name a scenario file uses.
    pub const fn name(self) -> &'static str {
        match self {
            Program::Update => "update",
            Program::Search => "search",
            Program::Format => "format",
            Program::Multitrack => "multitrack",
            Program::ReadBeforeWrite => "read_before_write",
            Program::ReadTrack => "read_track",
        }
    }

    /// The family called `name`.
    pub fn from_name(name: &str) -> Option<Program> {
        Program::ALL.iter().copied().find(|p| p.name() == name)
    }
}

/// The weights of each [`Program`] an application draws its operations' channel programs
/// from (normalised; only the ratios matter). The default is `update` alone, which draws
/// nothing from the random stream, so existing runs are unchanged.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgramMix {
    /// Cumulative weights in [`Program::ALL`] order, the last = 1.
    cumulative: [f64; 6],
}

impl Default for ProgramMix {
    fn default() -> Self {
        ProgramMix {
            cumulative: [1.0; 6],
        }
    }
}

impl ProgramMix {
    /// A mix from `(family, weight)` pairs; weights must be finite and >= 0 with a
    /// positive sum. Families not named get weight 0.
    pub fn new(weights: &[(Program, f64)]) -> Result<ProgramMix, String> {
        let mut w = [0.0f64; 6];
        for &(p, x) in weights {
            if !x.is_finite() || x < 0.0 {
                return Err(format!(
                    "weight of program `{}` is {x}; weights are finite and >= 0",
                    p.name()
                ));
            }
            let i = Program::ALL.iter().position(|&q| q == p).unwrap_or(0);
            w[i] += x;
        }
        let total: f64 = w.iter().sum();
        if total <= 0.0 {
            return Err(
                "the program weights add up to 0; give at least one a positive weight".into(),
            );
        }
        let mut cumulative = [0.0; 6];
        let mut acc = 0.0;
        for (c, x) in cumulative.iter_mut().zip(w) {
            acc += x / total;
            *c = acc;
        }
        cumulative[5] = 1.0;
        Ok(ProgramMix { cumulative })
    }

    /// A mix of one family.
    pub fn only(p: Program) -> ProgramMix {
        ProgramMix::new(&[(p, 1.0)]).expect("a positive weight")
    }

    /// Whether the mix is `update` alone (then nothing is drawn).
    pub fn is_update_only(&self) -> bool {
        self.cumulative[0] >= 1.0
    }

    /// The family a uniform draw `u` in [0, 1) selects.
    pub fn pick(&self, u: f64) -> Program {
        let i = self.cumulative.iter().position(|&c| u < c).unwrap_or(5);
        Program::ALL[i]
    }

    /// The share of family `p` (0..=1).
    pub fn share(&self, p: Program) -> f64 {
        let i = Program::ALL.iter().position(|&q| q == p).unwrap_or(0);
        let lo = if i == 0 { 0.0 } else { self.cumulative[i - 1] };
        self.cumulative[i] - lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mix_picks_by_its_weights() {
        let m = ProgramMix::new(&[(Program::Update, 1.0), (Program::Format, 3.0)]).unwrap();
        assert!(!m.is_update_only());
        assert!((m.share(Program::Format) - 0.75).abs() < 1e-12);
        assert_eq!(m.share(Program::Search), 0.0);
        assert_eq!(m.pick(0.1), Program::Update);
        assert_eq!(m.pick(0.3), Program::Format);
        assert_eq!(m.pick(0.999_999), Program::Format);
        assert!(ProgramMix::default().is_update_only());
        assert_eq!(ProgramMix::default().pick(0.5), Program::Update);
        assert!(ProgramMix::new(&[(Program::Search, 0.0)]).is_err());
        assert!(ProgramMix::new(&[(Program::Search, -1.0)]).is_err());
        assert_eq!(
            ProgramMix::only(Program::ReadTrack).pick(0.0),
            Program::ReadTrack
        );
        for p in Program::ALL {
            assert_eq!(Program::from_name(p.name()), Some(p));
        }
    }
}
