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
    /// No error bars.
    None,
}

/// One plot of a sweep (`[plot]` / `[[plot]]` in the sweep file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlotSpec {
    /// Column on the x axis, usually a grid parameter (`link.distance_km`). Numeric
    /// values give a numeric axis; any non-numeric value makes it categorical (one tick
    /// per value, in order of appearance).
    pub x: String,
    /// Numeric column on the y axis (`sites.0.data_loss_window_ns`).
    pub y: String,
    /// Parameter whose values give one line each (`copy.mode`). Any other parameter that
    /// varies among the plotted rows (other than `x`) splits the lines further, so that
    /// no point averages over different settings; only rows of the same settings (the
    /// seeds) are averaged.
    #[serde(default)]
    pub series: Option<String>,
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
}

impl PlotSpec {
    /// A plot of `y` against `x` with every option at its default.
    pub fn new(x: impl Into<String>, y: impl Into<String>) -> Self {
        PlotSpec {
            x: x.into(),
            y: y.into(),
            series: None,
            log_x: None,
            log_y: false,
            title: None,
            name: None,
            error_bars: ErrorBars::default(),
            filter: BTreeMap::new(),
        }
    }

    /// The output file stem.
    pub fn file_stem(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            format!("{}_vs_{}", self.y, self.x)
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

    /// The title drawn above the chart: the given one, or the names of the quantities
    /// (`mean RPO vs link distance`).
    pub fn title_text(&self) -> String {
        self.title.clone().unwrap_or_else(|| {
            format!(
                "{} vs {}",
                quantity_of(&self.y).name,
                quantity_of(&self.x).name
            )
        })
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
    /// Rows left out: empty or non-finite y, or non-positive values on a log axis.
    pub skipped_rows: usize,
    /// What x is (name, dimension).
    pub x_quantity: Quantity,
    /// What y is.
    pub y_quantity: Quantity,
    /// Whether the x axis is logarithmic (given, or chosen from the data).
    pub log_x: bool,
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
    let yi = col(&spec.y, "y")?;
    let si = spec
        .series
        .as_deref()
        .map(|s| col(s, "series"))
        .transpose()?;
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
        if p == xi || Some(p) == si || Some(p) == seed_i || filters.iter().any(|(i, _)| *i == p) {
            continue;
        }
        if rows.iter().any(|r| r[p] != rows[0][p]) {
            split.push(p);
        }
    }

    let xq = quantity_of(&spec.x);
    let yq = quantity_of(&spec.y);
    let numeric_x = rows.iter().all(|r| base_value(&xq, &r[xi]).is_some());
    let mut categories: Vec<String> = Vec::new();
    if !numeric_x {
        if spec.log_x == Some(true) {
            return Err(err(format!(
                "log_x needs numeric x values but `{}` has non-numeric ones; drop log_x",
                spec.x
            )));
        }
        for r in &rows {
            if !categories.contains(&r[xi]) {
                categories.push(r[xi].clone());
            }
        }
    }

    let mut labels: Vec<String> = Vec::new();
    let mut groups: Vec<Vec<(f64, f64)>> = Vec::new();
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
        let ytext = r[yi].trim();
        if ytext.is_empty() {
            skipped += 1;
            continue;
        }
        let y: f64 = ytext.parse::<f64>().map_err(|_| {
            err(format!(
                "y column `{}` is not numeric: row {} has `{ytext}`; choose a numeric column",
                spec.y, r[0]
            ))
        })? * yq.scale;
        let x = if numeric_x {
            base_value(&xq, &r[xi]).unwrap_or(f64::NAN)
        } else {
            categories.iter().position(|c| *c == r[xi]).unwrap_or(0) as f64
        };
        if !y.is_finite() || (spec.log_y && y <= 0.0) || (log_x && x <= 0.0) {
            skipped += 1;
            continue;
        }
        let label = series_label(table, &split, r, &yq);
        let g = match labels.iter().position(|l| *l == label) {
            Some(g) => g,
            None => {
                labels.push(label);
                groups.push(Vec::new());
                labels.len() - 1
            }
        };
        groups[g].push((x, y));
    }
    if groups.is_empty() {
        return Err(err(format!(
            "no numeric points to plot ({} rows matched, {skipped} left out as empty, \
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
                let x = pts[i].0;
                let j = i + pts[i..].iter().take_while(|p| p.0 == x).count();
                points.push(aggregate(x, pts[i..j].iter().map(|p| p.1), spec.error_bars));
                i = j;
            }
            PlotSeries { label, points }
        })
        .collect();
    Ok(PlotData {
        series,
        categories: (!numeric_x).then_some(categories),
        skipped_rows: skipped,
        x_quantity: xq,
        y_quantity: yq,
        log_x,
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
        (Dimension::Plain, _) | (_, None) => cell.trim().to_string(),
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
        ErrorBars::Stddev => {
            let sd = if n > 1 {
                (ys.map(|y| (y - mean) * (y - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
            } else {
                0.0
            };
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
        if lo == hi {
            (lo / 2.0, hi * 2.0)
        } else {
            (lo / 1.25, hi * 1.25)
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
    d
}

/// The units a figure of `data` is drawn in: per axis, chosen from its largest value.
pub fn figure_units(data: &PlotData) -> (Unit, Unit) {
    let pts = || data.series.iter().flat_map(|s| s.points.iter());
    let x_max = pts().map(|p| p.x.abs()).fold(0.0, f64::max);
    let y_max = pts()
        .map(|p| p.high.abs().max(p.low.abs()).max(p.mean.abs()))
        .fold(0.0, f64::max);
    (
        unit_for(data.x_quantity.dimension, x_max),
        unit_for(data.y_quantity.dimension, y_max),
    )
}

/// Pixel width of the legend column right of the chart (0: no legend): long enough for
/// the longest entry, so that the legend never covers a point.
fn legend_width(spec: &PlotSpec, data: &PlotData) -> u32 {
    if data.series.len() < 2 && spec.series.is_none() {
        return 0;
    }
    let longest = data
        .series
        .iter()
        .map(|s| s.label.chars().count())
        .max()
        .unwrap_or(0);
    (48 + 8 * longest as u32).min(SIZE.0 / 2)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &PlotSpec,
    data: &PlotData,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (ux, uy) = figure_units(data);
    let shown = in_units(data, ux, uy);
    let lw = legend_width(spec, data);
    let (plot_area, legend_area) = root.split_horizontally(SIZE.0 - lw);
    if lw > 0 {
        draw_legend(&legend_area, &shown)?;
    }
    let data = &shown;
    let pts = || data.series.iter().flat_map(|s| s.points.iter());
    let (x_lo, x_hi) = match &data.categories {
        Some(c) => (-0.5, c.len() as f64 - 0.5),
        None => padded(
            pts().map(|p| p.x).fold(f64::INFINITY, f64::min),
            pts().map(|p| p.x).fold(f64::NEG_INFINITY, f64::max),
            data.log_x,
        ),
    };
    let y_min_pos = pts().map(|p| p.mean).fold(f64::INFINITY, f64::min);
    let low = |p: &PlotPoint| {
        if spec.log_y && p.low <= 0.0 {
            y_min_pos
        } else {
            p.low
        }
    };
    let (mut y_lo, y_hi) = padded(
        pts().map(low).fold(f64::INFINITY, f64::min),
        pts().map(|p| p.high).fold(f64::NEG_INFINITY, f64::max),
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
    match (data.log_x, spec.log_y) {
        (false, false) => chart(a, spec, data, &labels, x_lo..x_hi, y_lo..y_hi, y_min_pos),
        (true, false) => chart(
            a,
            spec,
            data,
            &labels,
            (x_lo..x_hi).log_scale(),
            y_lo..y_hi,
            y_min_pos,
        ),
        (false, true) => chart(
            a,
            spec,
            data,
            &labels,
            x_lo..x_hi,
            (y_lo..y_hi).log_scale(),
            y_min_pos,
        ),
        (true, true) => chart(
            a,
            spec,
            data,
            &labels,
            (x_lo..x_hi).log_scale(),
            (y_lo..y_hi).log_scale(),
            y_min_pos,
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
    for (k, s) in data.series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let y = 72 + 26 * k as i32;
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
        area.draw(&Text::new(
            s.label.clone(),
            (40, y - 8),
            font.clone().color(&BLACK),
        ))
        .map_err(e)?;
    }
    Ok(())
}

fn chart<DB, XR, YR>(
    root: &DrawingArea<DB, Shift>,
    spec: &PlotSpec,
    data: &PlotData,
    (x_desc, y_desc): &(String, String),
    xr: XR,
    yr: YR,
    y_min_pos: f64,
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
        .caption(spec.title_text(), ("sans-serif", 24))
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
