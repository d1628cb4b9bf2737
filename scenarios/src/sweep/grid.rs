//! Rows of a sweep: the cartesian product of the grid, times the seeds; sharding.

use super::SweepError;

/// One run of a sweep: the scenario with these `--set` overrides, run with this seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Position of the row in the sweep's stable order (0-based): grid keys in file
    /// order (the first key varies slowest), values in file order, seeds innermost.
    pub index: usize,
    /// `(path, value)` overrides, as `--set path=value` would give them: the grid values
    /// of this row in grid-key order, then the fixed `[set]` overrides in file order.
    pub overrides: Vec<(String, String)>,
    /// The run's master seed.
    pub seed: u64,
}

impl Row {
    /// The row as `--set` arguments: its overrides, then `run.seed`.
    pub fn sets(&self) -> Vec<String> {
        let mut sets: Vec<String> = self
            .overrides
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        sets.push(format!("run.seed={}", self.seed));
        sets
    }

    /// The row's identity for resuming: 16 lowercase hex digits of a 64-bit FNV-1a hash
    /// of the overrides (`path=value`, separated by unit separators) and the seed. It
    /// depends only on `(overrides, seed)`, never on the thread or machine that ran it.
    pub fn key(&self) -> String {
        row_key(
            self.overrides.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            self.seed,
        )
    }

    /// The value this row gives to parameter `path`, if it overrides it.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.overrides
            .iter()
            .find(|(k, _)| k == path)
            .map(|(_, v)| v.as_str())
    }

    /// The overrides as command-line arguments: `--set path=value` pairs.
    pub fn set_args(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.overrides.len() * 2);
        for (k, v) in &self.overrides {
            out.push("--set".to_string());
            out.push(format!("{k}={v}"));
        }
        out
    }
}

/// The key of a row given as `(path, value)` pairs and a seed; see [`Row::key`].
pub(crate) fn row_key<'a>(
    overrides: impl Iterator<Item = (&'a str, &'a str)>,
    seed: u64,
) -> String {
    let mut h = Fnv::new();
    for (k, v) in overrides {
        h.write(k.as_bytes());
        h.write(b"=");
        h.write(v.as_bytes());
        h.write(b"\x1f");
    }
    h.write(b"seed=");
    h.write(seed.to_string().as_bytes());
    format!("{:016x}", h.finish())
}

/// 64-bit FNV-1a: a small, fixed, documented hash for row keys and content hashes (not
/// a security measure; it detects edits, not attacks).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Fnv {
    pub(crate) const fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    /// Writes a length prefix then the bytes, so that concatenations cannot collide.
    pub(crate) fn write_field(&mut self, bytes: &[u8]) {
        self.write(&(bytes.len() as u64).to_le_bytes());
        self.write(bytes);
    }
    pub(crate) const fn finish(self) -> u64 {
        self.0
    }
}

/// Expands a grid (keys with their value lists, in file order), fixed overrides and seeds
/// into rows, in the stable order documented on [`Row::index`].
pub(crate) fn expand(
    grid: &[(String, Vec<String>)],
    set: &[(String, String)],
    seeds: &[u64],
) -> Vec<Row> {
    let points: usize = grid.iter().map(|(_, v)| v.len()).product();
    let mut rows = Vec::with_capacity(points * seeds.len());
    let mut digits = vec![0usize; grid.len()];
    for _ in 0..points {
        let mut overrides = Vec::with_capacity(grid.len() + set.len());
        for ((key, values), &d) in grid.iter().zip(&digits) {
            overrides.push((key.clone(), values[d].clone()));
        }
        overrides.extend(set.iter().cloned());
        for &seed in seeds {
            rows.push(Row {
                index: rows.len(),
                overrides: overrides.clone(),
                seed,
            });
        }
        // Odometer: the last grid key varies fastest.
        for (i, (_, values)) in grid.iter().enumerate().rev() {
            digits[i] += 1;
            if digits[i] < values.len() {
                break;
            }
            digits[i] = 0;
        }
    }
    rows
}

/// True when row `index` belongs to shard `(i, n)`: `index % n == i`.
pub fn in_shard(index: usize, shard: Option<(u32, u32)>) -> bool {
    match shard {
        None => true,
        Some((i, n)) => index % n as usize == i as usize,
    }
}

/// Parses a `--shard` value `i/n`: shard `i` of `n`, 0-based, `0 <= i < n`; the shard
/// runs the rows whose index modulo `n` is `i`. (A Slurm array `--array=0-15` gives
/// `$SLURM_ARRAY_TASK_ID/16` directly.)
pub fn parse_shard(s: &str) -> Result<(u32, u32), SweepError> {
    let usage = |what: String| SweepError::Usage {
        flag: "--shard",
        message: format!(
            "{what}; expected `i/n` with whole numbers 0 <= i < n (0-based: shard 0/4 .. 3/4 \
             together run every row once)"
        ),
    };
    let (i, n) = s
        .trim()
        .split_once('/')
        .ok_or_else(|| usage(format!("`{s}` has no `/`")))?;
    let i: u32 = i
        .trim()
        .parse()
        .map_err(|_| usage(format!("`{i}` in `{s}` is not a whole number")))?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| usage(format!("`{n}` in `{s}` is not a whole number")))?;
    check_shard((i, n)).map_err(|e| usage(e.to_string()))
}

/// Checks a shard pair given programmatically (same rule as [`parse_shard`]).
pub(crate) fn check_shard((i, n): (u32, u32)) -> Result<(u32, u32), &'static str> {
    if n == 0 {
        Err("n must be at least 1")
    } else if i >= n {
        Err("i must be less than n (shards are numbered from 0)")
    } else {
        Ok((i, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odometer_order_first_key_slowest_seeds_innermost() {
        let grid = vec![
            ("a".to_string(), vec!["1".to_string(), "2".to_string()]),
            ("b".to_string(), vec!["x".into(), "y".into(), "z".into()]),
        ];
        let set = vec![("c".to_string(), "k".to_string())];
        let rows = expand(&grid, &set, &[7, 8]);
        assert_eq!(rows.len(), 12);
        let flat: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{}{}{}{}",
                    r.get("a").unwrap(),
                    r.get("b").unwrap(),
                    r.get("c").unwrap(),
                    r.seed
                )
            })
            .collect();
        assert_eq!(
            flat,
            [
                "1xk7", "1xk8", "1yk7", "1yk8", "1zk7", "1zk8", "2xk7", "2xk8", "2yk7", "2yk8",
                "2zk7", "2zk8"
            ]
        );
        assert!(rows.iter().enumerate().all(|(i, r)| r.index == i));
    }

    #[test]
    fn empty_grid_gives_one_row_per_seed() {
        let rows = expand(&[], &[], &[1, 2, 3]);
        assert_eq!(rows.iter().map(|r| r.seed).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(rows.iter().all(|r| r.overrides.is_empty()));
    }

    #[test]
    fn keys_differ_by_value_and_seed() {
        let a = Row {
            index: 0,
            overrides: vec![("k".into(), "1".into())],
            seed: 1,
        };
        let b = Row {
            index: 5,
            overrides: vec![("k".into(), "1".into())],
            seed: 2,
        };
        let c = Row {
            index: 0,
            overrides: vec![("k".into(), "10".into())],
            seed: 1,
        };
        assert_ne!(a.key(), b.key());
        assert_ne!(a.key(), c.key());
        assert_eq!(a.key().len(), 16);
        // The index is not part of the identity.
        assert_eq!(
            a.key(),
            Row {
                index: 9,
                ..a.clone()
            }
            .key()
        );
    }

    #[test]
    fn shard_syntax() {
        assert_eq!(parse_shard("0/4").unwrap(), (0, 4));
        assert_eq!(parse_shard(" 15/16 ").unwrap(), (15, 16));
        for bad in ["4/4", "1/0", "x/2", "3", "-1/2", "1/2/3"] {
            let e = parse_shard(bad).unwrap_err().to_string();
            assert!(
                e.contains("--shard") && e.contains("0 <= i < n"),
                "{bad}: {e}"
            );
        }
    }
}
