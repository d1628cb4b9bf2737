//! # Sweep plots
//!
//! One metric (y, any numeric column of `results.csv`) against one parameter (x), one
//! line per series, each point the mean over the rows that share its x and series
//! (normally the seeds), with error bars; written as SVG and PNG with the DejaVu Sans font
//! embedded in the binary (no system font is needed).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::sweep::{ResultTable, SEED_COLUMN, SweepError};

/// What the error bar of a point shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorBars {
    /// From the smallest to the largest value over the point's rows (the default).
    #[default]
    Minmax,
    /// The mean plus and minus one sample standard deviation (n - 1 in the divisor; 0
    /// for a single row).
    Stddev,
    /// The mean plus and minus its standard error (the sample standard deviation over
    /// the square root of the number of rows; 0 for a single row).
    Stderr,
    /// No error bars.
    None,
}

/// One plot of a sweep (`[plot]` / `[[plot]]` in the sweep file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlotSpec {
    /// Column on the x axis, usually a grid parameter (`link.distance_km`). Numeric
    /// values give a numeric axis; any non-numeric value makes it categorical (one tick
    /// per value, in order of appearance). A result column (`sites.0.replication_delay_ns.mean`)
    /// gives a parametric curve when `along` names the parameter the points follow.
    pub x: String,
    /// Numeric column(s) on the y axis: one (`y = "sites.0.data_loss_window_ns"`) or
    /// several of one dimension drawn on the same axes (`y = ["sites.0.rpo_ns.mean",
    /// "sites.0.rpo_ns.p99"]`), each its own line named after its quantity.
    #[serde(deserialize_with = "one_or_many")]
    pub y: Vec<String>,
    /// Name of the y axis when several columns share it (default: their names joined by
    /// ` / `); the unit is added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y_label: Option<String>,
    /// Parameter whose values give one line each (`copy.mode`). Any other parameter that
    /// varies among the plotted rows (other than `x`, `along` and `pool`) splits the lines
    /// further, so that no point averages over different settings; only rows of the same
    /// settings (the seeds, and the `pool` parameters) are averaged.
    #[serde(default)]
    pub series: Option<String>,
    /// When `x` is a result column: the parameter the points follow. Each point is the
    /// mean of x and of y over the rows of one value of this parameter (and one line), and
    /// the line joins the points in the order of this parameter's values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub along: Option<String>,
    /// Parameters averaged over like the seeds (`pool = ["disaster.at"]`: a point is the
    /// mean over every disaster instant), instead of splitting the lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pool: Vec<String>,
    /// Logarithmic x axis (points with x <= 0 are left out). When absent, chosen from the
    /// data: logarithmic when the numeric x values are positive and span two decades or
    /// more (1 ms to 100 ms, 1 km to 5000 km), linear otherwise.
    #[serde(default)]
    pub log_x: Option<bool>,
    /// Logarithmic y axis (points with y <= 0 are left out).
    #[serde(default)]
    pub log_y: bool,
    /// Title; default `Y vs X` in words (`mean RPO vs link distance`).
    #[serde(default)]
    pub title: Option<String>,
    /// File stem of the outputs (`NAME.svg`, `NAME.png`); default `Y_vs_X` with
    /// characters other than letters, digits, `_`, `-`, `.` replaced by `_`.
    #[serde(default)]
    pub name: Option<String>,
    /// What the error bars show.
    #[serde(default)]
    pub error_bars: ErrorBars,
    /// Only rows whose parameters have these values (`[plot.where]`, e.g. `"copy.movers" = 2`).
    #[serde(
        default,
        rename = "where",
        deserialize_with = "crate::sweep::scalar_map"
    )]
    pub filter: BTreeMap<String, String>,
    /// Reference lines (`[[plot.line]]`): a target, a capacity, a theory; drawn dashed in
    /// black and named in the legend.
    #[serde(default, rename = "line", skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<RefLine>,
}

/// A reference line of a plot (`[[plot.line]]`): exactly one of `y` (horizontal), `x`
/// (vertical) or `slope` (the straight line `y = intercept + slope * x`).
///
/// `x`, `y` and `intercept` are values of the axis' column: a number in the column's own
/// unit (ns for a `_ns` column, km, Mbit/s, writes/s) or a duration with its unit
/// (`"50ms"`). `slope` is in base units: seconds (or bytes, bit/s) of y per unit of x in
/// its base unit (seconds per km for a delay against distance: `1e-5` is a round trip at
/// 5 µs/km; seconds per second for a window against time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefLine {
    /// Legend text (`target p99 = 50 ms`, `T3 capacity`).
    pub label: String,
    /// A vertical line at this x.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<Level>,
    /// A horizontal line at this y.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<Level>,
    /// Slope of a straight line, in base units of y per base unit of x.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slope: Option<f64>,
    /// Value of the straight line at x = 0 (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intercept: Option<Level>,
}

/// A value on an axis, as written in a sweep file: a number in the column's unit or text
/// such as a duration (`"50ms"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Level {
    /// A number in the column's own unit.
    Number(f64),
    /// Text, read like a cell of the column (`"50ms"`).
    Text(String),
}

impl Level {
    fn text(&self) -> String {
        match self {
            Level::Number(v) => v.to_string(),
            Level::Text(t) => t.clone(),
        }
    }
}

impl RefLine {
    /// A horizontal line at `y` (a value of the y column: `"50ms"`, or a number in its
    /// unit), such as the target of a capacity plan.
    pub fn horizontal(label: impl Into<String>, y: impl Into<String>) -> Self {
        RefLine {
            label: label.into(),
            x: None,
            y: Some(Level::Text(y.into())),
            slope: None,
            intercept: None,
        }
    }

    /// A vertical line at `x` (a value of the x column).
    pub fn vertical(label: impl Into<String>, x: impl Into<String>) -> Self {
        RefLine {
            label: label.into(),
            x: Some(Level::Text(x.into())),
            y: None,
            slope: None,
            intercept: None,
        }
    }

    /// Checks that exactly one kind of line is given; the message names the fields.
    pub fn check(&self) -> Result<(), String> {
        let kinds = [self.x.is_some(), self.y.is_some(), self.slope.is_some()];
        if kinds.iter().filter(|k| **k).count() != 1 {
            return Err(format!(
                "line `{}`: give exactly one of `y` (horizontal), `x` (vertical) or `slope` \
                 (with an optional `intercept`)",
                self.label
            ));
        }
        if self.intercept.is_some() && self.slope.is_none() {
            return Err(format!(
                "line `{}`: `intercept` goes with `slope`",
                self.label
            ));
        }
        Ok(())
    }
}

/// A reference line in base units, ready to draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RefShape {
    /// `y = v` (base units of y).
    Horizontal(f64),
    /// `x = v` (base units of x).
    Vertical(f64),
    /// `y = intercept + slope * x` (base units).
    Straight {
        /// y at x = 0.
        intercept: f64,
        /// y per unit of x.
        slope: f64,
    },
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => Ok(vec![s]),
        OneOrMany::Many(v) => Ok(v),
    }
}

impl PlotSpec {
    /// A plot of `y` against `x` with every option at its default.
    pub fn new(x: impl Into<String>, y: impl Into<String>) -> Self {
        PlotSpec {
            x: x.into(),
            y: vec![y.into()],
            y_label: None,
            series: None,
            along: None,
            pool: Vec::new(),
            log_x: None,
            log_y: false,
            title: None,
            name: None,
            error_bars: ErrorBars::default(),
            filter: BTreeMap::new(),
            lines: Vec::new(),
        }
    }

    /// The y columns joined by `+` (for default names and messages).
    pub fn y_text(&self) -> String {
        self.y.join("+")
    }

    /// The output file stem.
    pub fn file_stem(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            format!("{}_vs_{}", self.y_text(), self.x)
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
                .trim_start_matches('.')
                .to_string()
        })
    }

    /// The name of the y axis (without its unit): `y_label`, or the quantities' names.
    pub fn y_name(&self) -> String {
        self.y_label.clone().unwrap_or_else(|| {
            self.y
                .iter()
                .map(|y| quantity_of(y).name)
                .collect::<Vec<_>>()
                .join(" / ")
        })
    }

    /// The title drawn above the chart: the given one, or the names of the quantities
    /// (`mean RPO vs link distance`).
    pub fn title_text(&self) -> String {
        self.title
            .clone()
            .unwrap_or_else(|| format!("{} vs {}", self.y_name(), quantity_of(&self.x).name))
    }
}

/// One plotted point: the mean of y over the rows with this x in this series, and the
/// ends of its error bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlotPoint {
    /// Position on the x axis in the x quantity's base unit (seconds for a duration such
    /// as `"10ms"`); for a categorical axis, the category's number from 0.
    pub x: f64,
    /// Mean of y over the point's rows, in the y quantity's base unit (seconds for a
    /// `_ns` column).
    pub mean: f64,
    /// Lower end of the error bar.
    pub low: f64,
    /// Upper end of the error bar.
    pub high: f64,
    /// Rows averaged (normally the number of seeds).
    pub rows: usize,
}

/// One line of a plot.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotSeries {
    /// Legend text: `parameter = value` with the value in its unit (`batch = 16 KiB`),
    /// joined by commas when several parameters split the lines; the y quantity's name
    /// when nothing does.
    pub label: String,
    /// Points sorted by x.
    pub points: Vec<PlotPoint>,
}

/// The data of one plot, ready to draw: see [`plot_data`].
#[derive(Debug, Clone, PartialEq)]
pub struct PlotData {
    /// Lines in order of first appearance in the results.
    pub series: Vec<PlotSeries>,
    /// Category names when the x axis is categorical.
    pub categories: Option<Vec<String>>,
    /// Values left out (a row counts once per y column): empty or non-finite, or
    /// non-positive on a log axis.
    pub skipped_rows: usize,
    /// What x is (name, dimension).
    pub x_quantity: Quantity,
    /// What y is.
    pub y_quantity: Quantity,
    /// Whether the x axis is logarithmic (given, or chosen from the data).
    pub log_x: bool,
    /// Reference lines with their legend text, in base units.
    pub lines: Vec<(String, RefShape)>,
}

/// What [`plot`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotOutput {
    /// `DIR/NAME.svg` and `DIR/NAME.png`.
    pub files: Vec<PathBuf>,
    /// The data drawn.
    pub data: PlotData,
}

/// Groups and averages the results for `spec` (no drawing).
pub fn plot_data(table: &ResultTable, spec: &PlotSpec) -> Result<PlotData, SweepError> {
    let name = spec.file_stem();
    let err = |m: String| SweepError::Plot {
        name: name.clone(),
        message: m,
    };
    let col = |c: &str, what: &str| {
        table.column(c).ok_or_else(|| {
            let mut shown: Vec<&str> = table.header.iter().map(String::as_str).take(40).collect();
            if table.header.len() > 40 {
                shown.push("...");
            }
            err(format!(
                "{what} column `{c}` is not in the results; columns: {}",
                shown.join(", ")
            ))
        })
    };
    let xi = col(&spec.x, "x")?;
    if spec.y.is_empty() {
        return Err(err("`y` names no column".to_string()));
    }
    let yis: Vec<usize> = spec
        .y
        .iter()
        .map(|y| col(y, "y"))
        .collect::<Result<_, _>>()?;
    let si = spec
        .series
        .as_deref()
        .map(|s| col(s, "series"))
        .transpose()?;
    let along_i = spec.along.as_deref().map(|s| col(s, "along")).transpose()?;
    let pool_is: Vec<usize> = spec
        .pool
        .iter()
        .map(|p| col(p, "pool"))
        .collect::<Result<_, _>>()?;
    let filters: Vec<(usize, &str)> = spec
        .filter
        .iter()
        .map(|(k, v)| col(k, "where").map(|i| (i, v.as_str())))
        .collect::<Result<_, _>>()?;
    let rows: Vec<&Vec<String>> = table
        .records
        .iter()
        .filter(|r| filters.iter().all(|(i, v)| r[*i] == *v))
        .collect();

    // Parameters that split lines: the series, then every other varying parameter.
    let seed_i = table.column(SEED_COLUMN);
    let mut split: Vec<usize> = si.into_iter().collect();
    for p in 1..table.lead_len().saturating_sub(1) {
        if p == xi
            || Some(p) == si
            || Some(p) == seed_i
            || Some(p) == along_i
            || pool_is.contains(&p)
            || filters.iter().any(|(i, _)| *i == p)
        {
            continue;
        }
        if rows.iter().any(|r| r[p] != rows[0][p]) {
            split.push(p);
        }
    }

    let xq = quantity_of(&spec.x);
    let yqs: Vec<Quantity> = spec.y.iter().map(|y| quantity_of(y)).collect();
    if let Some((k, q)) = yqs
        .iter()
        .enumerate()
        .find(|(_, q)| q.dimension != yqs[0].dimension)
    {
        return Err(err(format!(
            "y columns `{}` and `{}` measure different things ({:?}, {:?}); one plot's y \
             columns must share a unit",
            spec.y[0], spec.y[k], yqs[0].dimension, q.dimension
        )));
    }
    let mut yq = yqs[0].clone();
    yq.name = spec.y_name();
    let numeric_x = rows.iter().all(|r| base_value(&xq, &r[xi]).is_some());
    let mut categories: Vec<String> = Vec::new();
    if !numeric_x {
        if spec.log_x == Some(true) {
            return Err(err(format!(
                "log_x needs numeric x values but `{}` has non-numeric ones; drop log_x",
                spec.x
            )));
        }
        if along_i.is_some() {
            return Err(err(format!(
                "`along` needs numeric x values but `{}` has non-numeric ones",
                spec.x
            )));
        }
        for r in &rows {
            if !categories.contains(&r[xi]) {
                categories.push(r[xi].clone());
            }
        }
    }
    // With `along`, points follow that parameter: by its value when numeric, else in
    // order of appearance.
    let along_key = |r: &[String]| -> f64 {
        let Some(a) = along_i else { return 0.0 };
        let aq = quantity_of(&table.header[a]);
        if rows.iter().all(|r| base_value(&aq, &r[a]).is_some()) {
            base_value(&aq, &r[a]).unwrap_or(f64::NAN)
        } else {
            rows.iter().position(|q| q[a] == r[a]).unwrap_or(0) as f64
        }
    };

    let mut labels: Vec<String> = Vec::new();
    // Per line: (sort key, x, y).
    let mut groups: Vec<Vec<(f64, f64, f64)>> = Vec::new();
    let mut skipped = 0;
    let log_x = numeric_x
        && spec.log_x.unwrap_or_else(|| {
            let xs = || rows.iter().filter_map(|r| base_value(&xq, &r[xi]));
            wants_log(
                xs().fold(f64::INFINITY, f64::min),
                xs().fold(f64::NEG_INFINITY, f64::max),
            )
        });
    for r in &rows {
        for (k, &yi) in yis.iter().enumerate() {
            let ytext = r[yi].trim();
            if ytext.is_empty() {
                skipped += 1;
                continue;
            }
            let y: f64 = ytext.parse::<f64>().map_err(|_| {
                err(format!(
                    "y column `{}` is not numeric: row {} has `{ytext}`; choose a numeric column",
                    spec.y[k], r[0]
                ))
            })? * yqs[k].scale;
            let x = if numeric_x {
                base_value(&xq, &r[xi]).unwrap_or(f64::NAN)
            } else {
                categories.iter().position(|c| *c == r[xi]).unwrap_or(0) as f64
            };
            if !y.is_finite() || !x.is_finite() || (spec.log_y && y <= 0.0) || (log_x && x <= 0.0) {
                skipped += 1;
                continue;
            }
            let label = if yis.len() > 1 {
                if split.is_empty() {
                    yqs[k].name.clone()
                } else {
                    format!("{}, {}", yqs[k].name, series_label(table, &split, r, &yq))
                }
            } else {
                series_label(table, &split, r, &yq)
            };
            let g = match labels.iter().position(|l| *l == label) {
                Some(g) => g,
                None => {
                    labels.push(label);
                    groups.push(Vec::new());
                    labels.len() - 1
                }
            };
            let key = if along_i.is_some() { along_key(r) } else { x };
            groups[g].push((key, x, y));
        }
    }
    if groups.is_empty() {
        return Err(err(format!(
            "no numeric points to plot ({} rows matched, {skipped} values left out as empty, \
             non-finite or non-positive on a log axis)",
            rows.len()
        )));
    }
    let series = labels
        .into_iter()
        .zip(groups)
        .map(|(label, mut pts)| {
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut points = Vec::new();
            let mut i = 0;
            while i < pts.len() {
                let key = pts[i].0;
                let j = i + pts[i..].iter().take_while(|p| p.0 == key).count();
                let x = pts[i..j].iter().map(|p| p.1).sum::<f64>() / (j - i) as f64;
                points.push(aggregate(x, pts[i..j].iter().map(|p| p.2), spec.error_bars));
                i = j;
            }
            PlotSeries { label, points }
        })
        .collect();
    let mut lines = Vec::new();
    for l in &spec.lines {
        l.check().map_err(&err)?;
        let value = |q: &Quantity, v: &Level, axis: &str| {
            base_value(q, &v.text()).ok_or_else(|| {
                err(format!(
                    "line `{}`: {axis} = `{}` is not a value of `{}` (a number in its unit \
                     or a duration such as \"50ms\")",
                    l.label,
                    v.text(),
                    if axis == "x" { &spec.x } else { &spec.y[0] }
                ))
            })
        };
        let shape = if let Some(v) = &l.y {
            RefShape::Horizontal(value(&yq, v, "y")?)
        } else if let Some(v) = &l.x {
            RefShape::Vertical(value(&xq, v, "x")?)
        } else {
            RefShape::Straight {
                intercept: match &l.intercept {
                    Some(v) => value(&yq, v, "intercept")?,
                    None => 0.0,
                },
                slope: l.slope.unwrap_or(0.0),
            }
        };
        if !numeric_x && !matches!(shape, RefShape::Horizontal(_)) {
            return Err(err(format!(
                "line `{}`: a categorical x axis takes horizontal lines (`y`) only",
                l.label
            )));
        }
        lines.push((l.label.clone(), shape));
    }
    Ok(PlotData {
        series,
        categories: (!numeric_x).then_some(categories),
        skipped_rows: skipped,
        x_quantity: xq,
        y_quantity: yq,
        log_x,
        lines,
    })
}

fn series_label(table: &ResultTable, split: &[usize], r: &[String], y: &Quantity) -> String {
    if split.is_empty() {
        return y.name.clone();
    }
    split
        .iter()
        .map(|&p| legend_entry(&table.header[p], &r[p]))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `batch = 16 KiB`, `copy mode = xrc`: a parameter and its value for a legend.
pub fn legend_entry(column: &str, cell: &str) -> String {
    let q = quantity_of(column);
    let value = match (q.dimension, base_value(&q, cell)) {
        (Dimension::Plain, _) | (_, None) => match cell
            .trim()
            .strip_prefix('{')
            .and_then(|c| c.strip_suffix('}'))
        {
            // An inline table (`{ policy = "pacing", threshold = 20 }`): its entries
            // without braces, quotes or `=` (`policy pacing, threshold 20`).
            Some(inner) => inner
                .replace('"', "")
                .replace(" = ", " ")
                .trim()
                .to_string(),
            None => cell.trim().to_string(),
        },
        (_, Some(v)) => with_unit(&q, v),
    };
    format!("{} = {value}", q.name)
}

fn aggregate(x: f64, ys: impl Iterator<Item = f64> + Clone, bars: ErrorBars) -> PlotPoint {
    let n = ys.clone().count();
    let mean = ys.clone().sum::<f64>() / n as f64;
    let (low, high) = match bars {
        ErrorBars::Minmax => (
            ys.clone().fold(f64::INFINITY, f64::min),
            ys.fold(f64::NEG_INFINITY, f64::max),
        ),
        ErrorBars::Stddev | ErrorBars::Stderr => {
            let mut sd = if n > 1 {
                (ys.map(|y| (y - mean) * (y - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
            } else {
                0.0
            };
            if bars == ErrorBars::Stderr {
                sd /= (n as f64).sqrt();
            }
            (mean - sd, mean + sd)
        }
        ErrorBars::None => (mean, mean),
    };
    PlotPoint {
        x,
        mean,
        low,
        high,
        rows: n,
    }
}

/// Draws `spec` from `table` into `dir` as `NAME.svg` and `NAME.png` (each written to a
/// temporary file and renamed, so a failed plot leaves no partial file).
pub fn plot(table: &ResultTable, spec: &PlotSpec, dir: &Path) -> Result<PlotOutput, SweepError> {
    let data = plot_data(table, spec)?;
    let name = spec.file_stem();
    let err = |m: String| SweepError::Plot {
        name: name.clone(),
        message: m,
    };
    ensure_font().map_err(|m| err(m.to_string()))?;
    let svg = dir.join(format!("{name}.svg"));
    let png = dir.join(format!("{name}.png"));
    let svg_tmp = dir.join(format!(".{name}.tmp.svg"));
    let png_tmp = dir.join(format!(".{name}.tmp.png"));
    let drawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> Result<(), String> {
        {
            let root = SVGBackend::new(&svg_tmp, SIZE).into_drawing_area();
            draw(&root, spec, &data)?;
            root.present().map_err(|e| e.to_string())?;
        }
        {
            let root = BitMapBackend::new(&png_tmp, SIZE).into_drawing_area();
            draw(&root, spec, &data)?;
            root.present().map_err(|e| e.to_string())?;
        }
        Ok(())
    }))
    .unwrap_or_else(|_| Err("the plotting library failed (internal panic)".to_string()));
    let finish = drawn.and_then(|()| {
        std::fs::rename(&svg_tmp, &svg)
            .map_err(|e| format!("cannot write {}: {e}", svg.display()))?;
        std::fs::rename(&png_tmp, &png).map_err(|e| format!("cannot write {}: {e}", png.display()))
    });
    if let Err(m) = finish {
        let _ = std::fs::remove_file(&svg_tmp);
        let _ = std::fs::remove_file(&png_tmp);
        return Err(err(m));
    }
    Ok(PlotOutput {
        files: vec![svg, png],
        data,
    })
}

/// Pixel size of every plot.
const SIZE: (u32, u32) = (1024, 640);

/// Distinguishable line colours (Tableau 10), reused in turn.
const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Registers the embedded DejaVu Sans as plotters' `sans-serif` (once).
fn ensure_font() -> Result<(), &'static str> {
    static FONT: OnceLock<Result<(), &'static str>> = OnceLock::new();
    *FONT.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .map_err(|_| "the embedded DejaVu Sans font could not be loaded")
    })
}

fn padded(lo: f64, hi: f64, log: bool) -> (f64, f64) {
    if log {
        let (lo, hi) = if lo == hi {
            (lo / 2.0, hi * 2.0)
        } else {
            (lo / 1.25, hi * 1.25)
        };
        // plotters labels a log axis from its first power of ten up: an axis with no
        // power of ten inside starts at the one below it, so that its ticks (1, 2, 3, ...
        // 10, 20, ...) are labelled.
        if lo > 0.0 && lo.log10().ceil() > hi.log10() {
            (lo.min(10f64.powf(lo.log10().floor())), hi)
        } else {
            (lo, hi)
        }
    } else if lo == hi {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo - d, hi + d)
    } else {
        let d = (hi - lo) * 0.05;
        (lo - d, hi + d)
    }
}

/// `data` with x (when numeric) and y divided by the chosen units, for drawing.
fn in_units(data: &PlotData, ux: Unit, uy: Unit) -> PlotData {
    let mut d = data.clone();
    let sx = if d.categories.is_some() { 1.0 } else { ux.size };
    for s in &mut d.series {
        for p in &mut s.points {
            p.x /= sx;
            p.mean /= uy.size;
            p.low /= uy.size;
            p.high /= uy.size;
        }
    }
    for (_, l) in &mut d.lines {
        *l = match *l {
            RefShape::Horizontal(v) => RefShape::Horizontal(v / uy.size),
            RefShape::Vertical(v) => RefShape::Vertical(v / sx),
            RefShape::Straight { intercept, slope } => RefShape::Straight {
                intercept: intercept / uy.size,
                slope: slope * sx / uy.size,
            },
        };
    }
    d
}

/// The y of a reference line at `x` (None for a vertical line).
fn ref_y(shape: RefShape, x: f64) -> Option<f64> {
    match shape {
        RefShape::Horizontal(v) => Some(v),
        RefShape::Vertical(_) => None,
        RefShape::Straight { intercept, slope } => Some(intercept + slope * x),
    }
}

/// The units a figure of `data` is drawn in: per axis, chosen from its largest value.
pub fn figure_units(data: &PlotData) -> (Unit, Unit) {
    let pts = || data.series.iter().flat_map(|s| s.points.iter());
    let x_max = pts().map(|p| p.x.abs()).fold(0.0, f64::max);
    let y_max = pts()
        .map(|p| p.high.abs().max(p.low.abs()).max(p.mean.abs()))
        .chain(data.lines.iter().filter_map(|(_, l)| match l {
            RefShape::Horizontal(v) => Some(v.abs()),
            _ => None,
        }))
        .fold(0.0, f64::max);
    (
        unit_for(data.x_quantity.dimension, x_max),
        unit_for(data.y_quantity.dimension, y_max),
    )
}

/// Font size (px) of a title: 24, smaller for a long title so that it fits `width` pixels
/// (DejaVu Sans averages about 0.55 em per character), never below 14.
fn title_size(title: &str, width: u32) -> u32 {
    let chars = title.chars().count().max(1) as f64;
    let fit = (f64::from(width) - 32.0) / (0.56 * chars);
    (fit.floor() as u32).clamp(14, 24)
}

/// Widest legend column (px); longer entries wrap.
const LEGEND_MAX: u32 = SIZE.0 * 2 / 5;
/// Pixels per character of the legend's 15 px font (DejaVu Sans, about 0.55 em).
const LEGEND_CHAR: u32 = 8;

/// The legend entries' text lines: each label, wrapped after a comma when it is longer
/// than the widest legend column allows.
fn legend_lines(data: &PlotData) -> Vec<Vec<String>> {
    let max_chars = ((LEGEND_MAX - 48) / LEGEND_CHAR) as usize;
    data.series
        .iter()
        .map(|s| s.label.as_str())
        .chain(data.lines.iter().map(|(l, _)| l.as_str()))
        .map(|label| wrap_at_commas(label, max_chars))
        .collect()
}

/// `text` in lines of at most `max` characters, broken after `, ` where possible (a
/// part longer than `max` stays whole).
pub fn wrap_at_commas(text: &str, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for part in text.split_inclusive(", ") {
        match lines.last_mut() {
            Some(l) if l.chars().count() + part.trim_end().chars().count() <= max => {
                l.push_str(part)
            }
            _ => lines.push(part.to_string()),
        }
    }
    lines.iter().map(|l| l.trim_end().to_string()).collect()
}

/// Pixel width of the legend column right of the chart (0: no legend): long enough for
/// the longest line of an entry, so that the legend never covers a point.
fn legend_width(spec: &PlotSpec, data: &PlotData) -> u32 {
    if data.series.len() < 2 && spec.series.is_none() && data.lines.is_empty() {
        return 0;
    }
    let longest = legend_lines(data)
        .iter()
        .flatten()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    (48 + LEGEND_CHAR * longest as u32).min(LEGEND_MAX)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &PlotSpec,
    data: &PlotData,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    // The title spans the whole figure (chart and legend), in a size that fits its width.
    let title = spec.title_text();
    let size = title_size(&title, SIZE.0);
    let root = root
        .titled(&title, ("sans-serif", size))
        .map_err(|e| e.to_string())?;
    let (ux, uy) = figure_units(data);
    let shown = in_units(data, ux, uy);
    let lw = legend_width(spec, data);
    let (plot_area, legend_area) = root.split_horizontally(SIZE.0 - lw);
    if lw > 0 {
        draw_legend(&legend_area, &shown)?;
    }
    let data = &shown;
    let pts = || data.series.iter().flat_map(|s| s.points.iter());
    let verticals = || {
        data.lines.iter().filter_map(|(_, l)| match l {
            RefShape::Vertical(v) if !data.log_x || *v > 0.0 => Some(*v),
            _ => None,
        })
    };
    let (x_lo, x_hi) = match &data.categories {
        Some(c) => (-0.5, c.len() as f64 - 0.5),
        None => padded(
            pts()
                .map(|p| p.x)
                .chain(verticals())
                .fold(f64::INFINITY, f64::min),
            pts()
                .map(|p| p.x)
                .chain(verticals())
                .fold(f64::NEG_INFINITY, f64::max),
            data.log_x,
        ),
    };
    // Reference lines count in the y range where they cross the data's x range.
    let (dx_lo, dx_hi) = (
        pts().map(|p| p.x).fold(f64::INFINITY, f64::min),
        pts().map(|p| p.x).fold(f64::NEG_INFINITY, f64::max),
    );
    let ref_ys: Vec<f64> = data
        .lines
        .iter()
        .flat_map(|(_, l)| [ref_y(*l, dx_lo), ref_y(*l, dx_hi)])
        .flatten()
        .filter(|y| y.is_finite() && (!spec.log_y || *y > 0.0))
        .collect();
    let y_min_pos = pts().map(|p| p.mean).fold(f64::INFINITY, f64::min);
    let low = |p: &PlotPoint| {
        if spec.log_y && p.low <= 0.0 {
            y_min_pos
        } else {
            p.low
        }
    };
    let (mut y_lo, y_hi) = padded(
        pts()
            .map(low)
            .chain(ref_ys.iter().copied())
            .fold(f64::INFINITY, f64::min),
        pts()
            .map(|p| p.high)
            .chain(ref_ys.iter().copied())
            .fold(f64::NEG_INFINITY, f64::max),
        spec.log_y,
    );
    if data.categories.is_some() && !spec.log_y && pts().all(|p| p.low >= 0.0) {
        // Bars of non-negative values stand on zero.
        y_lo = 0.0;
    }
    let labels = (
        match &data.categories {
            Some(_) => data.x_quantity.name.clone(),
            None => axis_label(&data.x_quantity, ux),
        },
        axis_label(&data.y_quantity, uy),
    );
    let a = &plot_area;
    // The axes' ends and the smallest positive mean (where bars start on a log axis).
    let bounds = (x_lo, x_hi, y_lo, y_hi, y_min_pos);
    match (data.log_x, spec.log_y) {
        (false, false) => chart(a, spec, data, &labels, x_lo..x_hi, y_lo..y_hi, bounds),
        (true, false) => chart(
            a,
            spec,
            data,
            &labels,
            (x_lo..x_hi).log_scale(),
            y_lo..y_hi,
            bounds,
        ),
        (false, true) => chart(
            a,
            spec,
            data,
            &labels,
            x_lo..x_hi,
            (y_lo..y_hi).log_scale(),
            bounds,
        ),
        (true, true) => chart(
            a,
            spec,
            data,
            &labels,
            (x_lo..x_hi).log_scale(),
            (y_lo..y_hi).log_scale(),
            bounds,
        ),
    }
}

/// The legend, in its own column right of the chart: a colour key and each line's label.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &PlotData,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let font = ("sans-serif", 15).into_font();
    let mut y = 40;
    for (k, lines) in legend_lines(data).into_iter().enumerate() {
        if k < data.series.len() {
            let colour = COLOURS[k % COLOURS.len()];
            if data.categories.is_some() {
                area.draw(&Rectangle::new([(8, y - 7), (30, y + 7)], colour.filled()))
                    .map_err(e)?;
            } else {
                area.draw(&PathElement::new(
                    vec![(6, y), (32, y)],
                    colour.stroke_width(2),
                ))
                .map_err(e)?;
                area.draw(&Circle::new((19, y), 4, colour.filled()))
                    .map_err(e)?;
            }
        } else {
            let r = k - data.series.len();
            let style = REF_STYLES[r % REF_STYLES.len()];
            for x0 in [6, 18] {
                area.draw(&PathElement::new(
                    vec![(x0, y), (x0 + 8, y)],
                    style.stroke_width(2),
                ))
                .map_err(e)?;
            }
        }
        for (i, line) in lines.iter().enumerate() {
            area.draw(&Text::new(
                line.clone(),
                (if i == 0 { 40 } else { 52 }, y - 8 + 18 * i as i32),
                font.clone().color(&BLACK),
            ))
            .map_err(e)?;
        }
        y += 26 + 18 * (lines.len() as i32 - 1);
    }
    Ok(())
}

/// Colours of reference lines (drawn dashed): black, then dark greys.
const REF_STYLES: [RGBColor; 3] = [
    RGBColor(0, 0, 0),
    RGBColor(90, 90, 90),
    RGBColor(150, 150, 150),
];

fn chart<DB, XR, YR>(
    root: &DrawingArea<DB, Shift>,
    spec: &PlotSpec,
    data: &PlotData,
    (x_desc, y_desc): &(String, String),
    xr: XR,
    yr: YR,
    (x_lo, x_hi, y_lo, y_hi, y_min_pos): (f64, f64, f64, f64, f64),
) -> Result<(), String>
where
    DB: DrawingBackend,
    XR: AsRangedCoord<Value = f64>,
    YR: AsRangedCoord<Value = f64>,
    XR::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    YR::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let mut chart = ChartBuilder::on(root)
        .margin(16)
        .x_label_area_size(56)
        .y_label_area_size(96)
        .build_cartesian_2d(xr, yr)
        .map_err(e)?;
    let categories = data.categories.clone();
    let x_fmt = move |v: &f64| match &categories {
        Some(c) => category_at(c, *v),
        None => number(*v),
    };
    let y_fmt = |v: &f64| number(*v);
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_desc.as_str())
        .y_desc(y_desc.as_str())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16));
    if let Some(c) = &data.categories {
        mesh.x_labels(c.len()).x_max_light_lines(0);
    }
    mesh.draw().map_err(e)?;

    let bar_low = |p: &PlotPoint| {
        if spec.log_y && p.low <= 0.0 {
            y_min_pos
        } else {
            p.low
        }
    };
    let n = data.series.len().max(1) as f64;
    for (k, s) in data.series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        // Categorical x: bars side by side within each category; numeric x: a line.
        let at = |p: &PlotPoint| {
            if data.categories.is_some() {
                p.x - 0.4 + 0.8 * (k as f64 + 0.5) / n
            } else {
                p.x
            }
        };
        if data.categories.is_some() {
            let half = 0.8 / n * 0.45;
            let base = if spec.log_y { y_min_pos / 2.0 } else { 0.0 };
            chart
                .draw_series(s.points.iter().map(|p| {
                    Rectangle::new(
                        [(at(p) - half, base), (at(p) + half, p.mean)],
                        colour.filled(),
                    )
                }))
                .map_err(e)?;
        } else {
            chart
                .draw_series(LineSeries::new(
                    s.points.iter().map(|p| (p.x, p.mean)),
                    colour.stroke_width(2),
                ))
                .map_err(e)?;
            chart
                .draw_series(
                    s.points
                        .iter()
                        .map(|p| Circle::new((p.x, p.mean), 4, colour.filled())),
                )
                .map_err(e)?;
        }
        if spec.error_bars != ErrorBars::None && data.categories.is_some() {
            // On a bar: a black whisker with caps, no marker.
            let cap = 0.8 / n * 0.15;
            for p in s.points.iter().filter(|p| p.high > p.low) {
                let (x, lo, hi) = (at(p), bar_low(p), p.high);
                chart
                    .draw_series([
                        PathElement::new(vec![(x, lo), (x, hi)], BLACK.stroke_width(1)),
                        PathElement::new(vec![(x - cap, lo), (x + cap, lo)], BLACK.stroke_width(1)),
                        PathElement::new(vec![(x - cap, hi), (x + cap, hi)], BLACK.stroke_width(1)),
                    ])
                    .map_err(e)?;
            }
        } else if spec.error_bars != ErrorBars::None {
            chart
                .draw_series(s.points.iter().filter(|p| p.high > p.low).map(|p| {
                    ErrorBar::new_vertical(
                        p.x,
                        bar_low(p),
                        p.mean,
                        p.high,
                        colour.stroke_width(1),
                        10,
                    )
                }))
                .map_err(e)?;
        }
    }
    for (k, (_, shape)) in data.lines.iter().enumerate() {
        let style = ShapeStyle::from(REF_STYLES[k % REF_STYLES.len()]).stroke_width(2);
        let pts: Vec<(f64, f64)> = match *shape {
            RefShape::Vertical(x) => vec![(x, y_lo), (x, y_hi)],
            RefShape::Horizontal(_) | RefShape::Straight { .. } => {
                // Sampled across the axis (evenly in log space on a log axis), kept inside
                // the y range.
                (0..=64)
                    .map(|i| {
                        let t = f64::from(i) / 64.0;
                        if data.log_x {
                            x_lo * (x_hi / x_lo).powf(t)
                        } else {
                            x_lo + (x_hi - x_lo) * t
                        }
                    })
                    .filter_map(|x| ref_y(*shape, x).map(|y| (x, y)))
                    .filter(|(_, y)| *y >= y_lo && *y <= y_hi)
                    .collect()
            }
        };
        if pts.len() >= 2 {
            chart
                .draw_series(DashedLineSeries::new(pts, 9, 6, style))
                .map_err(e)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Quantities and units
// ---------------------------------------------------------------------------------------

/// The physical kind of a column's values, which decides the unit it is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// A time, in seconds once scaled; shown in ns, us, ms, s or min, chosen per figure.
    Duration,
    /// A size in bytes; shown in B, KiB, MiB or GiB.
    Bytes,
    /// Bytes per second; shown in kB/s, MB/s or GB/s.
    ByteRate,
    /// Bits per second; shown in kbit/s, Mbit/s or Gbit/s.
    BitRate,
    /// A fraction (0 to 1); shown in per cent.
    Fraction,
    /// Kilometres.
    Distance,
    /// Writes per second.
    WriteRate,
    /// A count (writes, messages, movers).
    Count,
    /// Anything else: shown as written.
    Plain,
}

/// What a column holds: a name for people, a dimension, and the factor from the column's
/// numbers to the dimension's base unit (`1e-9` for a `_ns` column: seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    /// What is plotted, in words (`mean RPO`, `link distance`).
    pub name: String,
    /// Its dimension.
    pub dimension: Dimension,
    /// Column value times this = base unit (seconds, bytes, bytes/s, bit/s, ...).
    pub scale: f64,
}

impl Quantity {
    fn new(name: impl Into<String>, dimension: Dimension, scale: f64) -> Self {
        Quantity {
            name: name.into(),
            dimension,
            scale,
        }
    }
}

/// A unit to show values of one dimension in: its symbol and its size in base units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    /// `ms`, `KiB`, `MB/s`, `%`, or empty for a plain number.
    pub symbol: &'static str,
    /// Base units per unit (`1e-3` for ms).
    pub size: f64,
}

const fn unit(symbol: &'static str, size: f64) -> Unit {
    Unit { symbol, size }
}

fn units_of(d: Dimension) -> &'static [Unit] {
    const DURATION: [Unit; 5] = [
        unit("ns", 1e-9),
        unit("µs", 1e-6),
        unit("ms", 1e-3),
        unit("s", 1.0),
        unit("min", 60.0),
    ];
    const BYTES: [Unit; 4] = [
        unit("B", 1.0),
        unit("KiB", 1024.0),
        unit("MiB", 1048576.0),
        unit("GiB", 1073741824.0),
    ];
    const BYTE_RATE: [Unit; 4] = [
        unit("B/s", 1.0),
        unit("kB/s", 1e3),
        unit("MB/s", 1e6),
        unit("GB/s", 1e9),
    ];
    const BIT_RATE: [Unit; 4] = [
        unit("bit/s", 1.0),
        unit("kbit/s", 1e3),
        unit("Mbit/s", 1e6),
        unit("Gbit/s", 1e9),
    ];
    const FRACTION: [Unit; 1] = [unit("%", 0.01)];
    const DISTANCE: [Unit; 1] = [unit("km", 1.0)];
    const WRITE_RATE: [Unit; 1] = [unit("writes/s", 1.0)];
    const PLAIN: [Unit; 1] = [unit("", 1.0)];
    match d {
        Dimension::Duration => &DURATION,
        Dimension::Bytes => &BYTES,
        Dimension::ByteRate => &BYTE_RATE,
        Dimension::BitRate => &BIT_RATE,
        Dimension::Fraction => &FRACTION,
        Dimension::Distance => &DISTANCE,
        Dimension::WriteRate => &WRITE_RATE,
        Dimension::Count | Dimension::Plain => &PLAIN,
    }
}

/// The unit for values up to `largest` (base units, absolute): the largest unit of which
/// the value is at least one (so 0.1 s shows as 100 ms, 2.5 s as 2.5 s, 16384 B as
/// 16 KiB); minutes only from 10 minutes on.
pub fn unit_for(d: Dimension, largest: f64) -> Unit {
    let units = units_of(d);
    let largest = largest.abs();
    let mut chosen = units[0];
    for &u in units {
        let threshold = if d == Dimension::Duration && u.symbol == "min" {
            600.0
        } else {
            u.size
        };
        if largest >= threshold {
            chosen = u;
        }
    }
    chosen
}

/// Number text for a value already in its unit: up to 3 significant decimals, no
/// exponent for ordinary magnitudes, trailing zeros dropped.
pub fn number(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        return "0".to_string();
    }
    if !(1e-3..1e7).contains(&a) {
        let s = format!("{v:.2e}");
        return match s.split_once('e') {
            Some((m, e)) => format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.')),
            None => s,
        };
    }
    let decimals = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        3
    };
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// One value with the unit chosen for it alone: `16 KiB`, `10 ms`, `300 km`.
pub fn with_unit(q: &Quantity, base_value: f64) -> String {
    let u = unit_for(q.dimension, base_value);
    if u.symbol.is_empty() {
        number(base_value / u.size)
    } else {
        format!("{} {}", number(base_value / u.size), u.symbol)
    }
}

/// Axis label: `mean RPO (ms)`, or the name alone for a plain number.
pub fn axis_label(q: &Quantity, u: Unit) -> String {
    if u.symbol.is_empty() {
        q.name.clone()
    } else {
        format!("{} ({})", q.name, u.symbol)
    }
}

/// Known parameters (the `--set` paths researchers sweep) and report fields.
const NAMED: &[(&str, &str, Dimension, f64)] = &[
    (
        "link.distance_km",
        "link distance",
        Dimension::Distance,
        1.0,
    ),
    (
        "link.bandwidth_mbps",
        "link bandwidth",
        Dimension::BitRate,
        1e6,
    ),
    (
        "link.overhead_bytes",
        "per-message overhead",
        Dimension::Bytes,
        1.0,
    ),
    ("link.paths", "link paths", Dimension::Count, 1.0),
    (
        "link.utilization",
        "link utilization",
        Dimension::Fraction,
        1.0,
    ),
    ("link.messages", "messages sent", Dimension::Count, 1.0),
    ("link.bytes", "bytes sent", Dimension::Bytes, 1.0),
    ("copy.mode", "copy mode", Dimension::Plain, 1.0),
    ("copy.movers", "data movers", Dimension::Count, 1.0),
    ("copy.batch_bytes", "batch", Dimension::Bytes, 1.0),
    ("copy.batch_timer", "batch timer", Dimension::Duration, 1.0),
    ("copy.mover_buffer", "mover buffer", Dimension::Count, 1.0),
    (
        "copy.mover_read_overhead",
        "mover read cost",
        Dimension::Duration,
        1.0,
    ),
    ("copy.flow", "flow control", Dimension::Plain, 1.0),
    (
        "disaster.cut_link",
        "link cut at the disaster",
        Dimension::Plain,
        1.0,
    ),
    (
        "copy.pit_interval",
        "PiT interval",
        Dimension::Duration,
        1.0,
    ),
    (
        "workload.write_rate",
        "offered write rate",
        Dimension::WriteRate,
        1.0,
    ),
    ("run.length", "run length", Dimension::Duration, 1.0),
    ("disaster.at", "disaster instant", Dimension::Duration, 1.0),
    ("seed", "seed", Dimension::Plain, 1.0),
    ("primary.writes", "host writes", Dimension::Count, 1.0),
    ("primary.bytes", "bytes written", Dimension::Bytes, 1.0),
    (
        "writes_per_wall_s",
        "simulated writes per wall-clock second",
        Dimension::WriteRate,
        1.0,
    ),
    ("wall_s", "wall-clock time", Dimension::Duration, 1.0),
];

/// Report field names (last component, without statistic) and what they are.
const FIELDS: &[(&str, &str)] = &[
    ("data_loss_window_ns", "data-loss window at the disaster"),
    ("rpo_ns", "RPO"),
    ("replication_delay_ns", "replication delay"),
    ("write_response_ns", "host write response"),
    ("lost_writes", "writes lost"),
    ("lost_bytes", "bytes lost"),
    ("dependent_write_violations", "dependent-write violations"),
    (
        "mismatched_records",
        "records differing from the image at A",
    ),
    ("writes_applied", "writes applied at the secondary"),
    ("writes_routed", "writes routed to the site"),
    ("pacing_delay_ns", "write pacing delay"),
    ("paced_writes", "writes paced"),
    ("sim_time_ns", "simulated time"),
    ("initial_copy_done_ns", "initial copy completed at"),
    ("pending_incomplete", "tokens without data above A"),
    ("pending_complete", "complete writes above A"),
    ("never_received", "tokens never received"),
];

/// The quantity of a results column: a known parameter or report field, else guessed from
/// its suffix (`_ns` a duration, `_bytes` a size, `_km` a distance), else plain.
pub fn quantity_of(column: &str) -> Quantity {
    if let Some(&(_, name, d, s)) = NAMED.iter().find(|(c, ..)| *c == column) {
        return Quantity::new(name, d, s);
    }
    // `sites.N.` prefix: the site, when it is not the only one plotted usually the first.
    let (site, rest) = match column
        .strip_prefix("sites.")
        .and_then(|r| r.split_once('.'))
    {
        Some((n, rest)) if n.parse::<usize>().is_ok() => (n.parse::<usize>().ok(), rest),
        _ => (None, column),
    };
    let parts: Vec<&str> = rest.split('.').collect();
    let stat = match parts.last() {
        Some(&s @ ("mean" | "p50" | "p99" | "max")) if parts.len() > 1 => Some(s),
        _ => None,
    };
    let field = if stat.is_some() {
        parts[parts.len() - 2]
    } else {
        parts[parts.len() - 1]
    };
    let (mut name, dimension, scale) = match FIELDS.iter().find(|(f, _)| *f == field) {
        Some((f, n)) => {
            let d = if f.ends_with("_ns") {
                (Dimension::Duration, 1e-9)
            } else if f.ends_with("_bytes") {
                (Dimension::Bytes, 1.0)
            } else {
                (Dimension::Count, 1.0)
            };
            (n.to_string(), d.0, d.1)
        }
        None => {
            let (d, s, stem) = if let Some(stem) = field.strip_suffix("_ns") {
                (Dimension::Duration, 1e-9, stem)
            } else if let Some(stem) = field.strip_suffix("_bytes") {
                (Dimension::Bytes, 1.0, stem)
            } else if let Some(stem) = field.strip_suffix("_km") {
                (Dimension::Distance, 1.0, stem)
            } else if let Some(stem) = field.strip_suffix("_mbps") {
                (Dimension::BitRate, 1e6, stem)
            } else {
                (Dimension::Plain, 1.0, field)
            };
            let prefix: Vec<&str> = parts[..parts.len() - 1 - usize::from(stat.is_some())].to_vec();
            let mut n = prefix.join(" ");
            if !n.is_empty() {
                n.push(' ');
            }
            n.push_str(&stem.replace('_', " "));
            (n, d, s)
        }
    };
    name = match stat {
        Some("mean") => format!("mean {name}"),
        Some("p50") => format!("median {name}"),
        Some("p99") => format!("p99 {name}"),
        Some("max") => format!("maximum {name}"),
        _ => name,
    };
    if let Some(n) = site.filter(|&n| n > 0) {
        name = format!("{name} (site {})", n + 1);
    }
    Quantity::new(name, dimension, scale)
}

/// A column's text as a number in base units: a number times the quantity's scale, or a
/// duration with a unit (`"10ms"`) in seconds.
pub fn base_value(q: &Quantity, text: &str) -> Option<f64> {
    let t = text.trim();
    if let Ok(v) = t.parse::<f64>() {
        return v.is_finite().then_some(v * q.scale);
    }
    t.parse::<sim::SimDuration>()
        .ok()
        .map(|d| d.as_nanos() as f64 * 1e-9)
}

/// Whether a numeric axis over `lo..=hi` (positive) reads better on a log scale: when the
/// values span two decades or more.
pub fn wants_log(lo: f64, hi: f64) -> bool {
    lo > 0.0 && hi / lo >= 100.0
}

/// One panel of a bar figure: one bar per category.
#[derive(Debug, Clone, PartialEq)]
pub struct BarPanel {
    /// What the bars measure (decides the unit of the y axis).
    pub dimension: Dimension,
    /// The panel's title, in words.
    pub title: String,
    /// One value per category, in base units (seconds, bytes, ...).
    pub values: Vec<f64>,
}

/// Draws panels side by side, each a bar per category (`labels`), into `path`: SVG, or
/// PNG when its name ends in `.png` (written to a temporary file and renamed). Each
/// panel's y axis has its own unit.
pub fn bar_panels(
    path: &Path,
    title: &str,
    labels: &[String],
    panels: &[BarPanel],
) -> Result<(), String> {
    ensure_font()?;
    let png = path.extension().is_some_and(|x| x == "png");
    let tmp = path.with_extension(if png { "partial.png" } else { "partial.svg" });
    let size = (60 + 400 * panels.len().max(1) as u32, 480);
    let drawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> Result<(), String> {
        if png {
            let root = BitMapBackend::new(&tmp, size).into_drawing_area();
            bar_figure(&root, title, labels, panels)?;
            root.present().map_err(|e| e.to_string())
        } else {
            let root = SVGBackend::new(&tmp, size).into_drawing_area();
            bar_figure(&root, title, labels, panels)?;
            root.present().map_err(|e| e.to_string())
        }
    }))
    .unwrap_or_else(|_| Err("the plotting library failed (internal panic)".to_string()));
    let done = drawn.and_then(|()| std::fs::rename(&tmp, path).map_err(|e| e.to_string()));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

fn bar_figure<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    labels: &[String],
    panels: &[BarPanel],
) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let root = root
        .titled(title, ("sans-serif", 22))
        .map_err(|e| e.to_string())?;
    let areas = root.split_evenly((1, panels.len().max(1)));
    for (panel, area) in panels.iter().zip(&areas) {
        draw_bar_panel(area, labels, panel)?;
    }
    Ok(())
}

fn draw_bar_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: &[String],
    panel: &BarPanel,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let largest = panel.values.iter().copied().fold(0.0, f64::max);
    let u = unit_for(panel.dimension, largest);
    let top = if largest > 0.0 {
        largest / u.size * 1.15
    } else {
        1.0
    };
    let n = labels.len();
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title.as_str(), ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, 0f64..top)
        .map_err(e)?;
    let names = labels.to_vec();
    let x_fmt = move |v: &f64| category_at(&names, *v);
    let y_fmt = |v: &f64| number(*v);
    let y_desc = if u.symbol.is_empty() {
        "count".to_string()
    } else {
        u.symbol.to_string()
    };
    chart
        .configure_mesh()
        .x_labels(n)
        .x_max_light_lines(0)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .y_desc(y_desc)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .draw()
        .map_err(e)?;
    for (i, v) in panel.values.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let x = i as f64;
        let h = v / u.size;
        chart
            .draw_series([Rectangle::new(
                [(x - 0.35, 0.0), (x + 0.35, h)],
                colour.filled(),
            )])
            .map_err(e)?;
        chart
            .draw_series([Text::new(
                number(h),
                (x - 0.3, h + top * 0.02),
                ("sans-serif", 13),
            )])
            .map_err(e)?;
    }
    Ok(())
}

/// The category name at position `v` of a categorical axis (empty between categories).
fn category_at(names: &[String], v: f64) -> String {
    let r = v.round();
    if (v - r).abs() < 0.01 && r >= 0.0 && (r as usize) < names.len() {
        names[r as usize].clone()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[[&str; 5]]) -> ResultTable {
        ResultTable {
            header: ["row", "d", "mode", "seed", "loss"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            records: rows
                .iter()
                .map(|r| r.iter().map(|s| s.to_string()).collect())
                .collect(),
        }
    }

    #[test]
    fn averages_over_seeds_per_series_and_x() {
        let t = table(&[
            ["0", "10", "xrc", "1", "2"],
            ["1", "10", "xrc", "2", "4"],
            ["2", "10", "sync", "1", "0"],
            ["3", "10", "sync", "2", ""],
            ["4", "1", "xrc", "1", "1"],
            ["5", "1", "xrc", "2", "1"],
        ]);
        let mut spec = PlotSpec::new("d", "loss");
        spec.series = Some("mode".into());
        let d = plot_data(&t, &spec).unwrap();
        assert_eq!(d.skipped_rows, 1);
        assert_eq!(d.series.len(), 2);
        assert_eq!(d.series[0].label, "mode = xrc");
        let p: Vec<(f64, f64, f64, f64)> = d.series[0]
            .points
            .iter()
            .map(|p| (p.x, p.mean, p.low, p.high))
            .collect();
        assert_eq!(p, [(1.0, 1.0, 1.0, 1.0), (10.0, 3.0, 2.0, 4.0)]);
        spec.error_bars = ErrorBars::Stddev;
        let d = plot_data(&t, &spec).unwrap();
        let sd = 2f64.sqrt();
        assert_eq!(d.series[0].points[1].low, 3.0 - sd);
        spec.error_bars = ErrorBars::Stderr;
        let d = plot_data(&t, &spec).unwrap();
        assert_eq!(d.series[0].points[1].high, 3.0 + sd / 2f64.sqrt());
        // Without `series`, the varying `mode` still splits the lines.
        spec.series = None;
        let d = plot_data(&t, &spec).unwrap();
        assert_eq!(d.series[1].label, "mode = sync");
        // `where` keeps one mode only.
        spec.filter.insert("mode".into(), "xrc".into());
        let d = plot_data(&t, &spec).unwrap();
        assert_eq!(d.series.len(), 1);
        assert_eq!(d.series[0].label, "loss");
    }

    #[test]
    fn categorical_x_and_log_rules() {
        let t = table(&[["0", "10", "xrc", "1", "5"], ["1", "10", "sync", "1", "0"]]);
        let mut spec = PlotSpec::new("mode", "loss");
        let d = plot_data(&t, &spec).unwrap();
        assert_eq!(
            d.categories,
            Some(vec!["xrc".to_string(), "sync".to_string()])
        );
        spec.log_x = Some(true);
        assert!(
            plot_data(&t, &spec)
                .unwrap_err()
                .to_string()
                .contains("log_x needs numeric")
        );
        let mut spec = PlotSpec::new("d", "loss");
        spec.log_y = true;
        assert_eq!(plot_data(&t, &spec).unwrap().skipped_rows, 1);
        let spec = PlotSpec::new("d", "mode");
        assert!(
            plot_data(&t, &spec)
                .unwrap_err()
                .to_string()
                .contains("not numeric")
        );
        let spec = PlotSpec::new("d", "nope");
        assert!(
            plot_data(&t, &spec)
                .unwrap_err()
                .to_string()
                .contains("`nope` is not in the results")
        );
    }

    #[test]
    fn long_legend_entries_wrap_after_commas() {
        let t = "flow control = policy pacing, threshold 20, mover buffer = 200";
        assert_eq!(
            wrap_at_commas(t, 30),
            [
                "flow control = policy pacing,",
                "threshold 20,",
                "mover buffer = 200"
            ]
        );
        assert_eq!(
            wrap_at_commas(t, 40),
            [
                "flow control = policy pacing,",
                "threshold 20, mover buffer = 200"
            ]
        );
        assert_eq!(wrap_at_commas("batch = 16 KiB", 10), ["batch = 16 KiB"]);
        assert_eq!(wrap_at_commas(t, 100), [t]);
    }

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(1000.0), "1000");
        assert_eq!(number(12.345), "12.3");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(2.0e9), "2e9");
        assert_eq!(number(-1.25e-5), "-1.25e-5");
    }

    #[test]
    fn units_are_chosen_per_figure_from_the_largest_value() {
        let sym = |d, v| unit_for(d, v).symbol;
        assert_eq!(sym(Dimension::Duration, 0.1), "ms");
        assert_eq!(sym(Dimension::Duration, 0.000_999), "µs");
        assert_eq!(sym(Dimension::Duration, 2.5), "s");
        assert_eq!(sym(Dimension::Duration, 599.0), "s");
        assert_eq!(sym(Dimension::Duration, 3600.0), "min");
        assert_eq!(sym(Dimension::Duration, 5e-9), "ns");
        assert_eq!(sym(Dimension::Bytes, 16384.0), "KiB");
        assert_eq!(sym(Dimension::Bytes, 1048576.0), "MiB");
        assert_eq!(sym(Dimension::Bytes, 100.0), "B");
        assert_eq!(sym(Dimension::ByteRate, 5.6e6), "MB/s");
        assert_eq!(sym(Dimension::BitRate, 44.736e6), "Mbit/s");
        assert_eq!(sym(Dimension::Fraction, 0.3), "%");
        assert_eq!(sym(Dimension::Count, 1e6), "");
    }

    #[test]
    fn quantities_have_names_and_units() {
        let label = |c: &str, largest: f64| {
            let q = quantity_of(c);
            axis_label(&q, unit_for(q.dimension, largest * q.scale))
        };
        assert_eq!(label("sites.0.rpo_ns.mean", 3.0e7), "mean RPO (ms)");
        assert_eq!(label("sites.0.rpo_ns.p99", 3.0e9), "p99 RPO (s)");
        assert_eq!(
            label("sites.0.data_loss_window_ns", 4.0e7),
            "data-loss window at the disaster (ms)"
        );
        assert_eq!(
            label("sites.1.data_loss_window_ns", 4.0e7),
            "data-loss window at the disaster (site 2) (ms)"
        );
        assert_eq!(
            label("primary.write_response_ns.p50", 2.0e6),
            "median host write response (ms)"
        );
        assert_eq!(label("link.distance_km", 5000.0), "link distance (km)");
        assert_eq!(
            label("link.bandwidth_mbps", 44.736),
            "link bandwidth (Mbit/s)"
        );
        assert_eq!(label("link.utilization", 0.5), "link utilization (%)");
        assert_eq!(label("sites.0.lost_writes", 10.0), "writes lost");
        assert_eq!(label("link.messages", 10.0), "messages sent");
        // Unknown columns: words from the name, unit from the suffix.
        assert_eq!(
            label("model.pacing_delay_ns", 2e6),
            "write pacing delay (ms)"
        );
        assert_eq!(label("model.frobs_bytes", 2048.0), "model frobs (KiB)");
        assert_eq!(label("loss", 1.0), "loss");
        // Titles say what is plotted.
        assert_eq!(
            PlotSpec::new("link.distance_km", "sites.0.rpo_ns.mean").title_text(),
            "mean RPO vs link distance"
        );
    }

    #[test]
    fn legends_name_the_parameter_and_give_the_value_in_its_unit() {
        assert_eq!(legend_entry("copy.batch_bytes", "16384"), "batch = 16 KiB");
        assert_eq!(legend_entry("copy.batch_bytes", "1048576"), "batch = 1 MiB");
        assert_eq!(
            legend_entry("copy.batch_timer", "10ms"),
            "batch timer = 10 ms"
        );
        assert_eq!(
            legend_entry("copy.batch_timer", "0.5ms"),
            "batch timer = 500 µs"
        );
        assert_eq!(legend_entry("copy.mode", "xrc-prt"), "copy mode = xrc-prt");
        assert_eq!(
            legend_entry("link.distance_km", "300"),
            "link distance = 300 km"
        );
        assert_eq!(legend_entry("copy.movers", "4"), "data movers = 4");
        assert_eq!(
            legend_entry("copy.flow", r#"{ policy = "pacing", threshold = 20 }"#),
            "flow control = policy pacing, threshold 20"
        );
    }

    #[test]
    fn durations_are_a_numeric_axis_and_log_when_they_span_two_decades() {
        let t = ResultTable {
            header: ["row", "copy.batch_timer", "seed", "sites.0.rpo_ns.mean"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            records: [
                ["0", "1ms", "1", "2000000"],
                ["1", "10ms", "1", "8000000"],
                ["2", "100ms", "1", "60000000"],
            ]
            .iter()
            .map(|r| r.iter().map(|s| s.to_string()).collect())
            .collect(),
        };
        let spec = PlotSpec::new("copy.batch_timer", "sites.0.rpo_ns.mean");
        let d = plot_data(&t, &spec).unwrap();
        assert_eq!(d.categories, None, "durations are numbers, not categories");
        assert!(d.log_x, "1 ms to 100 ms spans two decades");
        let xs: Vec<f64> = d.series[0].points.iter().map(|p| p.x).collect();
        assert_eq!(xs, [0.001, 0.01, 0.1]);
        assert!((d.series[0].points[2].mean - 0.06).abs() < 1e-12);
        let (ux, uy) = figure_units(&d);
        assert_eq!((ux.symbol, uy.symbol), ("ms", "ms"));
        // One decade: linear; an explicit choice wins.
        let mut t2 = t.clone();
        t2.records.truncate(2);
        assert!(!plot_data(&t2, &spec).unwrap().log_x);
        let mut lin = spec.clone();
        lin.log_x = Some(false);
        assert!(!plot_data(&t, &lin).unwrap().log_x);
        assert!(wants_log(1.0, 100.0) && !wants_log(1.0, 99.0) && !wants_log(0.0, 1e6));
    }
}
