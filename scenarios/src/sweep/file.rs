//! The sweep file (TOML): which scenario, which parameter grid, which seeds, which plots.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::grid::{Fnv, expand};
use super::{Row, SweepError};
use crate::plot::PlotSpec;

/// Largest `seeds = N` count accepted (a guard against typos such as `seeds = 1000000000`).
pub const MAX_SEEDS: u64 = 1_000_000;

/// Largest number of rows a sweep may expand to.
pub const MAX_ROWS: usize = 10_000_000;

/// A parsed, validated sweep file: a base scenario, a grid of `--set` overrides whose
/// cartesian product (times the seeds) gives the rows to run, fixed overrides, and plots.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepFile {
    /// The sweep file as given to [`load_sweep`] (or [`parse_sweep`]).
    pub path: PathBuf,
    /// The base scenario: the sweep file's `base`, resolved against the sweep file's
    /// directory when relative.
    pub base: PathBuf,
    /// Seeds run for every grid point, in order (`seeds = N` means `1..=N`).
    pub seeds: Vec<u64>,
    /// Grid parameters in file order, each with its values (as `--set` text) in file order.
    pub grid: Vec<(String, Vec<String>)>,
    /// Fixed overrides for every row (`[set]`), in file order.
    pub set: Vec<(String, String)>,
    /// Plots to draw from the results, each with its `name` filled in (unique).
    pub plots: Vec<PlotSpec>,
    /// Hash of the base scenario file's bytes (0 when the base was not read).
    base_digest: u64,
}

impl SweepFile {
    /// All rows of the sweep, in their stable order (see [`Row::index`]).
    pub fn rows(&self) -> Vec<Row> {
        expand(&self.grid, &self.set, &self.seeds)
    }

    /// Number of rows: product of the grid list lengths, times the number of seeds.
    pub fn row_count(&self) -> usize {
        self.grid.iter().map(|(_, v)| v.len()).product::<usize>() * self.seeds.len()
    }

    /// The parameter columns of `results.csv`: grid keys then `[set]` keys.
    pub fn param_columns(&self) -> Vec<String> {
        self.grid
            .iter()
            .map(|(k, _)| k.clone())
            .chain(self.set.iter().map(|(k, _)| k.clone()))
            .collect()
    }

    /// A 16-hex-digit hash of everything that decides what the rows compute: the base
    /// scenario's bytes, the grid, the fixed overrides and the seeds (not the plots, the
    /// comments or the layout of the sweep file). Recorded in `DIR/sweep.json`; a resumed
    /// sweep must have the same hash.
    pub fn content_hash(&self) -> String {
        let mut h = Fnv::new();
        h.write_field(b"xrcsim-sweep/1");
        h.write(&self.base_digest.to_le_bytes());
        h.write(&(self.grid.len() as u64).to_le_bytes());
        for (k, values) in &self.grid {
            h.write_field(k.as_bytes());
            h.write(&(values.len() as u64).to_le_bytes());
            for v in values {
                h.write_field(v.as_bytes());
            }
        }
        h.write(&(self.set.len() as u64).to_le_bytes());
        for (k, v) in &self.set {
            h.write_field(k.as_bytes());
            h.write_field(v.as_bytes());
        }
        h.write(&(self.seeds.len() as u64).to_le_bytes());
        for s in &self.seeds {
            h.write(&s.to_le_bytes());
        }
        format!("{:016x}", h.finish())
    }
}

/// Reads and validates the sweep file at `path`, and reads its base scenario (which must
/// exist) so that [`SweepFile::content_hash`] covers the scenario too.
pub fn load_sweep(path: impl AsRef<Path>) -> Result<SweepFile, SweepError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .map_err(|e| SweepError::io("cannot read sweep file", path, e))?;
    let mut sweep = parse_sweep(path, &text)?;
    let base = std::fs::read(&sweep.base).map_err(|e| {
        SweepError::file(
            path,
            format!(
                "cannot read the base scenario {} (`base` is resolved against the sweep \
                 file's directory): {e}",
                sweep.base.display()
            ),
        )
    })?;
    let mut h = Fnv::new();
    h.write(&base);
    sweep.base_digest = h.finish();
    Ok(sweep)
}

/// Parses and validates sweep-file `text` as if read from `path` (used to resolve `base`
/// and in messages), without touching the file system: the base scenario is not read, so
/// [`SweepFile::content_hash`] does not cover it (use [`load_sweep`] for real runs).
pub fn parse_sweep(path: impl AsRef<Path>, text: &str) -> Result<SweepFile, SweepError> {
    let path = path.as_ref();
    let raw: RawSweep = toml::from_str(text)
        .map_err(|e| SweepError::file(path, e.to_string().trim_end().to_string()))?;
    let err = |m: String| SweepError::file(path, m);

    if raw.base.trim().is_empty() {
        return Err(err(
            "`base` is empty; give the path of the base scenario file".into(),
        ));
    }
    let base = Path::new(&raw.base);
    let base = if base.is_absolute() {
        base.to_path_buf()
    } else {
        path.parent().unwrap_or(Path::new("")).join(base)
    };

    let seeds = raw.seeds.map(|s| s.0).unwrap_or_else(|| vec![1]);
    {
        let mut sorted = seeds.clone();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(err(format!(
                "seed {} is listed twice in `seeds`; each seed may appear once",
                w[0]
            )));
        }
    }

    let mut grid = Vec::with_capacity(raw.grid.0.len());
    for (key, GridValues(values)) in raw.grid.0 {
        check_key(&key).map_err(|m| err(format!("[grid] key `{key}`: {m}")))?;
        if values.is_empty() {
            return Err(err(format!(
                "[grid] `{key}` has an empty list; give at least one value"
            )));
        }
        let mut sorted: Vec<&String> = values.iter().collect();
        sorted.sort();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(err(format!(
                "[grid] `{key}` lists the value `{}` twice; each value may appear once",
                w[0]
            )));
        }
        grid.push((key, values));
    }
    let mut set = Vec::with_capacity(raw.set.0.len());
    for (key, ParamText(value)) in raw.set.0 {
        check_key(&key).map_err(|m| err(format!("[set] key `{key}`: {m}")))?;
        if grid.iter().any(|(k, _)| *k == key) {
            return Err(err(format!(
                "`{key}` is both in [grid] and in [set]; a parameter is either swept or fixed"
            )));
        }
        set.push((key, value));
    }

    let points = grid
        .iter()
        .try_fold(1usize, |acc, (_, v)| acc.checked_mul(v.len()));
    match points.and_then(|p| p.checked_mul(seeds.len())) {
        Some(n) if n <= MAX_ROWS => {}
        _ => {
            return Err(err(format!(
                "the grid times the seeds gives more than {MAX_ROWS} rows; split the sweep"
            )));
        }
    }

    let params: Vec<&str> = grid
        .iter()
        .map(|(k, _)| k.as_str())
        .chain(set.iter().map(|(k, _)| k.as_str()))
        .collect();
    let mut plots = Vec::new();
    for (i, mut p) in raw
        .plot
        .map(|p| p.0)
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let which = format!("plot #{} (y = `{}`)", i + 1, p.y_text());
        let is_param = |k: &str| k == "seed" || params.contains(&k);
        if let Some(s) = p.series.as_deref().filter(|s| !is_param(s)) {
            return Err(err(format!(
                "{which}: series `{s}` is not a sweep parameter; allowed: seed, {}",
                params.join(", ")
            )));
        }
        if let Some(a) = p.along.as_deref().filter(|a| !is_param(a)) {
            return Err(err(format!(
                "{which}: along `{a}` is not a sweep parameter; allowed: seed, {}",
                params.join(", ")
            )));
        }
        if p.along.is_some() && is_param(&p.x) {
            return Err(err(format!(
                "{which}: `along` is for a result column on x (a parametric curve); x `{}` \
                 is a parameter, drop `along`",
                p.x
            )));
        }
        for k in &p.pool {
            if !is_param(k) {
                return Err(err(format!(
                    "{which}: pool `{k}` is not a sweep parameter; allowed: seed, {}",
                    params.join(", ")
                )));
            }
        }
        for l in &p.lines {
            l.check().map_err(|m| err(format!("{which}: {m}")))?;
        }
        for k in p.filter.keys() {
            if !is_param(k) {
                return Err(err(format!(
                    "{which}: `where` key `{k}` is not a sweep parameter; allowed: seed, {}",
                    params.join(", ")
                )));
            }
        }
        if p.x.is_empty() || p.y.is_empty() || p.y.iter().any(String::is_empty) {
            return Err(err(format!(
                "{which}: `x` and `y` must name result columns"
            )));
        }
        let name = match &p.name {
            Some(n) => {
                if n.is_empty()
                    || n.starts_with('.')
                    || !n
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
                {
                    return Err(err(format!(
                        "{which}: name `{n}` is not a usable file name; use letters, digits, \
                         `_`, `-` and `.` (not first)"
                    )));
                }
                n.clone()
            }
            None => {
                let stem = sanitize(&format!("{}_vs_{}", p.y_text(), p.x));
                let mut name = stem.clone();
                let mut k = 2;
                while plots
                    .iter()
                    .any(|q: &PlotSpec| q.name.as_deref() == Some(&name))
                {
                    name = format!("{stem}_{k}");
                    k += 1;
                }
                name
            }
        };
        if plots
            .iter()
            .any(|q: &PlotSpec| q.name.as_deref() == Some(&name))
        {
            return Err(err(format!(
                "{which}: two plots are named `{name}`; names must differ"
            )));
        }
        p.name = Some(name);
        plots.push(p);
    }

    Ok(SweepFile {
        path: path.to_path_buf(),
        base,
        seeds,
        grid,
        set,
        plots,
        base_digest: 0,
    })
}

/// Checks a `--set` path: letters, digits, `_`, `-`, `.`; not a reserved column name.
fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.starts_with('.') || key.ends_with('.') || key.contains("..") {
        return Err("must be a dotted scenario path such as `link.distance_km`".into());
    }
    if let Some(c) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_-.".contains(*c)))
    {
        return Err(format!(
            "contains `{c}`; a path may hold letters, digits, `_`, `-` and `.`"
        ));
    }
    match key {
        "row" => Err("`row` is the name of the row-number column; it cannot be a parameter".into()),
        "seed" | "run.seed" => {
            Err("the seed is swept with `seeds = ...`, not as a parameter".into())
        }
        _ => Ok(()),
    }
}

fn sanitize(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    out.trim_start_matches('.').to_string()
}

// ---- raw TOML shapes -------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    base: String,
    #[serde(default)]
    seeds: Option<Seeds>,
    #[serde(default)]
    grid: Ordered<GridValues>,
    #[serde(default)]
    set: Ordered<ParamText>,
    #[serde(default)]
    plot: Option<PlotList>,
}

/// A table kept in document order. toml hands map entries over sorted by key (unless its
/// `preserve_order` feature is on, which would change `toml::Table` for every crate in the
/// build), so each value is read with its byte span and the entries are sorted by it.
struct Ordered<T>(Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of \"scenario.path\" = value entries")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out: Vec<(usize, String, T)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, toml::Spanned<T>>()? {
                    if out.iter().any(|(_, q, _)| *q == k) {
                        return Err(de::Error::custom(format!("`{k}` is given twice")));
                    }
                    let at = v.span().start;
                    out.push((at, k, v.into_inner()));
                }
                out.sort_by_key(|(at, _, _)| *at);
                Ok(Ordered(out.into_iter().map(|(_, k, v)| (k, v)).collect()))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// A scalar parameter value as `--set` text: strings as they are, integers in decimal,
/// floats in Rust's shortest round-trip form keeping a decimal point (`1.0`, `44.736`),
/// booleans as `true` / `false`.
pub(crate) struct ParamText(pub(crate) String);

struct ParamTextVisitor;

impl Visitor<'_> for ParamTextVisitor {
    type Value = ParamText;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, a number or a boolean")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<ParamText, E> {
        Ok(ParamText(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ParamText, E> {
        Ok(ParamText(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ParamText, E> {
        Ok(ParamText(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<ParamText, E> {
        Ok(ParamText(format!("{v:?}")))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<ParamText, E> {
        Ok(ParamText(v.to_string()))
    }
}

impl<'de> Deserialize<'de> for ParamText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ParamTextVisitor)
    }
}

/// Deserializes a table of scalar values into strings (as [`ParamText`]).
pub(crate) fn scalar_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<std::collections::BTreeMap<String, String>, D::Error> {
    // Not `Ordered`: this also reads the plots back from `sweep.json` (JSON has no spans).
    let entries = std::collections::BTreeMap::<String, ParamText>::deserialize(d)?;
    Ok(entries.into_iter().map(|(k, v)| (k, v.0)).collect())
}

/// The list of values of one grid parameter.
struct GridValues(Vec<String>);

impl<'de> Deserialize<'de> for GridValues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GridValues;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a list of values such as [1, 10, 100] or [\"xrc\", \"sync\"] \
                     (a single fixed value goes in [set])",
                )
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<GridValues, A::Error> {
                let mut out = Vec::new();
                while let Some(ParamText(v)) = seq.next_element()? {
                    out.push(v);
                }
                Ok(GridValues(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// `seeds = N` (meaning 1..=N) or `seeds = [s1, s2, ...]`.
struct Seeds(Vec<u64>);

impl<'de> Deserialize<'de> for Seeds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Seeds;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "a count 1..={MAX_SEEDS} (meaning seeds 1..=N) or a list of non-negative \
                     whole numbers"
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Seeds, E> {
                match u64::try_from(v) {
                    Ok(n) => self.visit_u64(n),
                    Err(_) => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Seeds, E> {
                if v == 0 || v > MAX_SEEDS {
                    return Err(E::invalid_value(de::Unexpected::Unsigned(v), &self));
                }
                Ok(Seeds((1..=v).collect()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seeds, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<u64>()? {
                    out.push(s);
                }
                if out.is_empty() {
                    return Err(de::Error::invalid_length(0, &self));
                }
                Ok(Seeds(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// `[plot]` (one table) or `[[plot]]` (a list of tables).
struct PlotList(Vec<PlotSpec>);

impl<'de> Deserialize<'de> for PlotList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PlotList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a [plot] table or [[plot]] tables")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PlotList, A::Error> {
                let p = PlotSpec::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(PlotList(vec![p]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PlotList, A::Error> {
                let mut out = Vec::new();
                while let Some(p) = seq.next_element::<PlotSpec>()? {
                    out.push(p);
                }
                Ok(PlotList(out))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SweepFile, String> {
        parse_sweep("/s/sweeps/dist.toml", text).map_err(|e| e.to_string())
    }

    #[test]
    fn parses_the_documented_example_in_file_order() {
        let s = parse(
            r#"
            base = "../baseline.toml"
            seeds = [1, 2, 3]
            [grid]
            "link.distance_km" = [1, 10, 100, 1000, 5000]
            "copy.mode" = ["xrc", "sync"]
            "link.bandwidth_mbps" = [44.736, 155.0]
            [set]
            "run.length" = "60s"
            "copy.movers" = 2
            [plot]
            x = "link.distance_km"
            y = "sites.0.data_loss_window_ns"
            series = "copy.mode"
            log_x = true
            title = "data-loss window vs distance"
            "#,
        )
        .unwrap();
        assert_eq!(s.base, Path::new("/s/sweeps/../baseline.toml"));
        assert_eq!(s.seeds, [1, 2, 3]);
        let keys: Vec<&str> = s.grid.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["link.distance_km", "copy.mode", "link.bandwidth_mbps"]
        );
        assert_eq!(s.grid[0].1, ["1", "10", "100", "1000", "5000"]);
        assert_eq!(s.grid[2].1, ["44.736", "155.0"]);
        assert_eq!(
            s.set,
            [
                ("run.length".to_string(), "60s".to_string()),
                ("copy.movers".to_string(), "2".to_string())
            ]
        );
        assert_eq!(s.row_count(), 5 * 2 * 2 * 3);
        assert_eq!(s.plots.len(), 1);
        assert_eq!(
            s.plots[0].name.as_deref(),
            Some("sites.0.data_loss_window_ns_vs_link.distance_km")
        );
        assert!(s.plots[0].log_x == Some(true) && !s.plots[0].log_y);
    }

    #[test]
    fn seeds_count_and_default() {
        assert_eq!(parse("base='b'\nseeds = 4").unwrap().seeds, [1, 2, 3, 4]);
        assert_eq!(parse("base='b'").unwrap().seeds, [1]);
    }

    #[test]
    fn hash_ignores_plots_and_comments_but_not_values() {
        let a = parse("base='b'\nseeds=2\n[grid]\nk=[1,2]\n").unwrap();
        let b =
            parse("# note\nbase='b'\nseeds=2\n[grid]\nk=[1,2]\n[plot]\nx='k'\ny='v'\n").unwrap();
        let c = parse("base='b'\nseeds=2\n[grid]\nk=[1,3]\n").unwrap();
        let d = parse("base='b'\nseeds=3\n[grid]\nk=[1,2]\n").unwrap();
        assert_eq!(a.content_hash(), b.content_hash());
        assert_ne!(a.content_hash(), c.content_hash());
        assert_ne!(a.content_hash(), d.content_hash());
    }

    #[test]
    fn several_plots_get_unique_names() {
        let s = parse(
            "base='b'\n[grid]\nk=[1,2]\nm=['a','b']\n[[plot]]\nx='k'\ny='v'\n[[plot]]\nx='k'\ny='v'\nseries='m'\n[plot.where]\nm='a'\n",
        )
        .unwrap();
        let names: Vec<_> = s.plots.iter().map(|p| p.name.clone().unwrap()).collect();
        assert_eq!(names, ["v_vs_k", "v_vs_k_2"]);
        assert_eq!(s.plots[1].filter.get("m").map(String::as_str), Some("a"));
    }

    #[test]
    fn errors_name_the_file_the_problem_and_what_is_allowed() {
        let cases: &[(&str, &[&str])] = &[
            (
                "base='b'\nfoo=1",
                &["dist.toml", "line 2", "foo", "expected one of `base`"],
            ),
            ("seeds=2", &["missing field `base`"]),
            ("base='b'\nseeds=0", &["a count 1..="]),
            ("base='b'\nseeds=-3", &["a count 1..="]),
            ("base='b'\nseeds=[]", &["a count"]),
            ("base='b'\nseeds=[1,1]", &["seed 1 is listed twice"]),
            ("base='b'\n[grid]\nk='x'", &["a list of values", "[set]"]),
            ("base='b'\n[grid]\nk=[]", &["`k` has an empty list"]),
            ("base='b'\n[grid]\nk=[1,1]", &["twice"]),
            (
                "base='b'\n[grid]\nk=[[1]]",
                &["a string, a number or a boolean"],
            ),
            (
                "base='b'\n[grid]\nk=[1]\n[set]\nk=2",
                &["both in [grid] and in [set]"],
            ),
            ("base='b'\n[grid]\n'run.seed'=[1]", &["seeds = ..."]),
            ("base='b'\n[grid]\n'a b'=[1]", &["contains ` `"]),
            (
                "base='b'\n[grid]\nk=[1]\n[plot]\nx='k'\ny='v'\nseries='z'",
                &["series `z`", "allowed: seed, k"],
            ),
            (
                "base='b'\n[plot]\nx='k'\ny='v'\ncolour='red'",
                &["unknown field `colour`"],
            ),
            (
                "base='b'\n[plot]\nx='k'\ny='v'\nerror_bars='box'",
                &["minmax"],
            ),
            (
                "base='b'\n[[plot]]\nx='k'\ny='v'\nname='p'\n[[plot]]\nx='k'\ny='w'\nname='p'",
                &["two plots are named `p`"],
            ),
            ("base=''", &["`base` is empty"]),
            (
                "base='b'\n[grid]\nk=[1,2,3,4,5,6,7,8,9,10]\nl=[1,2,3,4,5,6,7,8,9,10]\nm=[1,2,3,4,5,6,7,8,9,10]\nn=[1,2,3,4,5,6,7,8,9,10]\no=[1,2,3,4,5,6,7,8,9,10]\np=[1,2,3,4,5,6,7,8,9,10]\nq=[1,2,3,4,5,6,7,8,9,10]\nr=[1,2]",
                &["more than"],
            ),
        ];
        for (text, wants) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.contains("dist.toml"), "{text:?}: {e}");
            for w in *wants {
                assert!(e.contains(w), "{text:?}: missing {w:?} in {e}");
            }
        }
    }
}
