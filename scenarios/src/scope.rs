//! The recovery scope: which part of the duplexed data a recovery operation covers.
//!
//! The patent lets operational procedures "invoke recovery operation at the secondary for
//! all or any part of the data being duplexed". A scope is a list of patterns, each either
//! a primary VOLSER (the whole volume) or a data set name filter where `*` matches any
//! characters (`DB1.*`, `*.INDEX`), as everywhere in scenario files. An empty scope covers
//! everything.

use models::types::{Cchhr, VolumeId};
use models::world::WorldConfig;

/// The part of the session's data a recovery operation covers: whole primary volumes and
/// data-set extents, resolved against the scenario's volumes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryScope {
    /// The patterns (empty: everything).
    patterns: Vec<String>,
    /// Primary volumes selected whole, by volume index.
    volumes: Vec<bool>,
    /// Data-set extents selected: (primary volume, first track, last track), sorted.
    extents: Vec<(VolumeId, u64, u64)>,
}

impl RecoveryScope {
    /// The scope of `patterns` over the primary volumes of `cfg`. Every pattern must name
    /// at least one primary VOLSER or data set; the error says which does not, and what the
    /// scenario has.
    pub fn new(patterns: &[String], cfg: &WorldConfig) -> Result<Self, String> {
        let mut scope = RecoveryScope {
            patterns: patterns.to_vec(),
            volumes: vec![false; cfg.volumes.len()],
            extents: Vec::new(),
        };
        if patterns.is_empty() {
            return Ok(scope);
        }
        let primaries: Vec<usize> = {
            let mut v: Vec<usize> = cfg
                .copy
                .pairs
                .iter()
                .map(|p| p.primary.0 as usize)
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        for (raw, pat) in patterns.iter().zip(&scope.patterns) {
            if pat.is_empty() {
                return Err("an empty pattern selects nothing: give a VOLSER or a data set name filter such as `DB1.*`".into());
            }
            let mut hit = false;
            for &v in &primaries {
                let vol = &cfg.volumes[v];
                if vol.volser == *pat {
                    scope.volumes[v] = true;
                    hit = true;
                }
                for ds in &vol.datasets {
                    if glob(pat, &ds.name) {
                        scope
                            .extents
                            .push((VolumeId(v as u32), ds.first_track, ds.last_track));
                        hit = true;
                    }
                }
            }
            if !hit {
                let vols: Vec<&str> = primaries
                    .iter()
                    .take(4)
                    .map(|&v| cfg.volumes[v].volser.as_str())
                    .collect();
                let dsns: Vec<&str> = primaries
                    .iter()
                    .flat_map(|&v| cfg.volumes[v].datasets.iter().map(|d| d.name.as_str()))
                    .take(4)
                    .collect();
                return Err(format!(
                    "`{raw}` names no primary VOLSER or data set of the session; give a VOLSER (e.g. {}) or a data set name filter (`*` matches any characters; e.g. {})",
                    vols.join(", "),
                    dsns.join(", ")
                ));
            }
        }
        scope.extents.sort_unstable();
        scope.extents.dedup();
        Ok(scope)
    }

    /// Covers everything (no pattern given).
    pub fn is_all(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The patterns (empty: everything).
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether record `addr` of primary volume `vol` is in the scope.
    pub fn contains(&self, vol: VolumeId, addr: Cchhr) -> bool {
        self.contains_track(vol, addr.track())
    }

    /// Whether linear track `track` of primary volume `vol` is in the scope.
    pub fn contains_track(&self, vol: VolumeId, track: u64) -> bool {
        if self.is_all() || self.volumes.get(vol.0 as usize).copied().unwrap_or(false) {
            return true;
        }
        let i = self.extents.partition_point(|e| (e.0, e.1) <= (vol, track));
        self.extents[..i]
            .iter()
            .rev()
            .take_while(|e| e.0 == vol)
            .any(|e| track <= e.2)
    }

    /// Whether data set `name` on primary volume `vol` is in the scope (selected by name,
    /// or lying on a volume selected whole).
    pub fn contains_dataset(&self, vol: VolumeId, name: &str) -> bool {
        self.is_all()
            || self.volumes.get(vol.0 as usize).copied().unwrap_or(false)
            || self.patterns.iter().any(|p| glob(p, name))
    }
}

/// Whether `name` matches `pattern` where `*` matches any characters (dots included):
/// the one data-set name filter of scenario files (`DB1.*`, `*.INDEX`, `PAY*.DATA`).
pub fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if name.len() < first.len() + last.len() || !name.starts_with(first) || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_data_set_names() {
        assert!(glob("*.DATA", "DB1.DATA"));
        assert!(!glob("*.DATA", "DB1.LOG"));
        assert!(glob("DB*.LOG", "DB12.LOG"));
        assert!(glob("A*B*C", "AxxBxxC"));
        assert!(!glob("A*B*C", "AxxCxxB"));
        assert!(glob("*", "anything"));
        assert!(!glob("AB*BA", "ABA"));
        assert!(glob("DB1.*", "DB1.A.B"));
        assert!(!glob("DB1.*", "DB10"));
        assert!(glob("PAY.ROLL", "PAY.ROLL"));
        assert!(!glob("PAY.ROLL", "PAY.ROLLS"));
    }
}
