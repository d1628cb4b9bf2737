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
    /// Logarithmic x axis (points with x <= 0 are left out).
    #[serde(default)]
    pub log_x: bool,
    /// Logarithmic y axis (points with y <= 0 are left out).
    #[serde(default)]
    pub log_y: bool,
    /// Title; default `Y vs X`.
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
            log_x: false,
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

    /// The title drawn above the chart.
    pub fn title_text(&self) -> String {
        self.title
            .clone()
            .unwrap_or_else(|| format!("{} vs {}", self.y, self.x))
    }
}

/// One plotted point: the mean of y over the rows with this x in this series, and the
/// ends of its error bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlotPoint {
    /// Position on the x axis (for a categorical axis, the category's number from 0).
    pub x: f64,
    /// Mean of y over the point's rows.
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
    /// Legend text: the series value, or `param=value, ...` when several parameters split it.
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

    let numeric_x = rows
        .iter()
        .all(|r| r[xi].trim().parse::<f64>().is_ok_and(f64::is_finite));
    let mut categories: Vec<String> = Vec::new();
    if !numeric_x {
        if spec.log_x {
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
    for r in &rows {
        let ytext = r[yi].trim();
        if ytext.is_empty() {
            skipped += 1;
            continue;
        }
        let y: f64 = ytext.parse().map_err(|_| {
            err(format!(
                "y column `{}` is not numeric: row {} has `{ytext}`; choose a numeric column",
                spec.y, r[0]
            ))
        })?;
        let x = if numeric_x {
            r[xi].trim().parse::<f64>().unwrap_or(f64::NAN)
        } else {
            categories.iter().position(|c| *c == r[xi]).unwrap_or(0) as f64
        };
        if !y.is_finite() || (spec.log_y && y <= 0.0) || (spec.log_x && x <= 0.0) {
            skipped += 1;
            continue;
        }
        let label = series_label(table, &split, si, r, &spec.y);
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
    })
}

fn series_label(
    table: &ResultTable,
    split: &[usize],
    si: Option<usize>,
    r: &[String],
    y: &str,
) -> String {
    match split {
        [] => y.to_string(),
        [only] if Some(*only) == si => r[*only].clone(),
        _ => split
            .iter()
            .map(|&p| format!("{}={}", table.header[p], r[p]))
            .collect::<Vec<_>>()
            .join(", "),
    }
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

/// Axis tick text: plain decimals for ordinary magnitudes, exponent form otherwise.
fn tick(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".to_string()
    } else if !(1e-3..1e6).contains(&a) {
        let s = format!("{v:.2e}");
        match s.split_once('e') {
            Some((m, e)) => format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.')),
            None => s,
        }
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
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

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &PlotSpec,
    data: &PlotData,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let pts = || data.series.iter().flat_map(|s| s.points.iter());
    let (x_lo, x_hi) = match &data.categories {
        Some(c) => (-0.5, c.len() as f64 - 0.5),
        None => padded(
            pts().map(|p| p.x).fold(f64::INFINITY, f64::min),
            pts().map(|p| p.x).fold(f64::NEG_INFINITY, f64::max),
            spec.log_x,
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
    let (y_lo, y_hi) = padded(
        pts().map(low).fold(f64::INFINITY, f64::min),
        pts().map(|p| p.high).fold(f64::NEG_INFINITY, f64::max),
        spec.log_y,
    );
    match (spec.log_x, spec.log_y) {
        (false, false) => chart(root, spec, data, x_lo..x_hi, y_lo..y_hi, y_min_pos),
        (true, false) => chart(
            root,
            spec,
            data,
            (x_lo..x_hi).log_scale(),
            y_lo..y_hi,
            y_min_pos,
        ),
        (false, true) => chart(
            root,
            spec,
            data,
            x_lo..x_hi,
            (y_lo..y_hi).log_scale(),
            y_min_pos,
        ),
        (true, true) => chart(
            root,
            spec,
            data,
            (x_lo..x_hi).log_scale(),
            (y_lo..y_hi).log_scale(),
            y_min_pos,
        ),
    }
}

fn chart<DB, XR, YR>(
    root: &DrawingArea<DB, Shift>,
    spec: &PlotSpec,
    data: &PlotData,
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
        Some(c) => {
            let r = v.round();
            if (v - r).abs() < 0.01 && r >= 0.0 && (r as usize) < c.len() {
                c[r as usize].clone()
            } else {
                String::new()
            }
        }
        None => tick(*v),
    };
    let y_fmt = |v: &f64| tick(*v);
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(spec.x.as_str())
        .y_desc(spec.y.as_str())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16));
    if let Some(c) = &data.categories {
        mesh.x_labels(c.len()).x_max_light_lines(0);
    }
    mesh.draw().map_err(e)?;

    for (k, s) in data.series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(
                s.points.iter().map(|p| (p.x, p.mean)),
                colour.stroke_width(2),
            ))
            .map_err(e)?
            .label(s.label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(2))
            });
        chart
            .draw_series(
                s.points
                    .iter()
                    .map(|p| Circle::new((p.x, p.mean), 4, colour.filled())),
            )
            .map_err(e)?;
        if spec.error_bars != ErrorBars::None {
            chart
                .draw_series(s.points.iter().filter(|p| p.high > p.low).map(|p| {
                    let low = if spec.log_y && p.low <= 0.0 {
                        y_min_pos
                    } else {
                        p.low
                    };
                    ErrorBar::new_vertical(p.x, low, p.mean, p.high, colour.stroke_width(1), 10)
                }))
                .map_err(e)?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(e)?;
    Ok(())
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
        assert_eq!(d.series[0].label, "xrc");
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
        assert_eq!(d.series[1].label, "mode=sync");
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
        spec.log_x = true;
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
    fn ticks_read_naturally() {
        assert_eq!(tick(0.0), "0");
        assert_eq!(tick(2.5), "2.5");
        assert_eq!(tick(1000.0), "1000");
        assert_eq!(tick(2.0e9), "2e9");
        assert_eq!(tick(2.5e6), "2.5e6");
        assert_eq!(tick(-1.25e-5), "-1.25e-5");
    }
}
