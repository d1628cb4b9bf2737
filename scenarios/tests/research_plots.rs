//! The research studies (`scenarios/sweeps/research-*.toml`) draw the figures of
//! docs/research.md with xrcsim itself: each study, shortened (one seed, the first two
//! values of each grid parameter, runs of 2 s), runs through the real simulator and
//! writes every plot it names as SVG and PNG, with its title, its legend and its
//! reference lines; and every figure docs/research.md shows is one of those plots.

use std::path::{Path, PathBuf};

use scenarios::Source;
use scenarios::sweep::{SweepFile, SweepOptions, load_sweep, run_sweep};

fn studies() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sweeps");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("research-") && n.ends_with(".toml")
        })
        .collect();
    v.sort();
    v
}

/// One seed, at most two values per grid parameter, runs of 2 s with the disaster (when
/// there is one) at 1-1.5 s: the same plots from a few seconds of simulation.
fn shorten(s: &mut SweepFile) {
    s.seeds = vec![1];
    let disaster = |v: &str, i: usize| {
        if v == "none" {
            v.to_string()
        } else {
            ["1s", "1500ms"][i.min(1)].to_string()
        }
    };
    for (k, values) in &mut s.grid {
        values.truncate(2);
        if k == "disaster.at" {
            for (i, v) in values.iter_mut().enumerate() {
                *v = disaster(v, i);
            }
        }
    }
    for (k, v) in &mut s.set {
        match k.as_str() {
            "run.length" => *v = "2s".into(),
            "disaster.at" => *v = disaster(v, 0),
            _ => {}
        }
    }
}

#[test]
fn every_research_study_draws_its_figures() {
    let out_root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("research-plots");
    let _ = std::fs::remove_dir_all(&out_root);
    let studies = studies();
    assert!(studies.len() >= 12, "found only {studies:?}");
    let mut drawn = Vec::new();
    for path in &studies {
        let mut s = load_sweep(path).unwrap();
        assert!(!s.plots.is_empty(), "{}: no [[plot]]", path.display());
        shorten(&mut s);
        let base = Source::new(
            s.base.display().to_string(),
            std::fs::read_to_string(&s.base).unwrap(),
        );
        let base_dir = s.base.parent().unwrap().to_path_buf();
        let out = out_root.join(path.file_stem().unwrap());
        let opts = SweepOptions {
            jobs: Some(2),
            quiet: true,
            ..SweepOptions::new(&out)
        };
        let summary =
            run_sweep(&s, &opts, |row| scenarios::sweep_row(&base, &base_dir, row)).unwrap();
        assert!(summary.complete(), "{}: {summary}", path.display());
        assert!(
            summary.plot_errors.is_empty(),
            "{}: {:?}",
            path.display(),
            summary.plot_errors
        );
        for p in &s.plots {
            let name = p.name.clone().unwrap();
            let svg = out.join(format!("{name}.svg"));
            let png = out.join(format!("{name}.png"));
            let text =
                std::fs::read_to_string(&svg).unwrap_or_else(|e| panic!("{}: {e}", svg.display()));
            assert!(std::fs::metadata(&png).unwrap().len() > 1000, "{png:?}");
            // plotters writes text with XML escapes.
            let esc = |t: &str| {
                t.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
            };
            assert!(
                text.contains(&esc(&p.title_text())),
                "{name}: title missing"
            );
            for l in &p.lines {
                assert!(
                    text.contains(&esc(&l.label)),
                    "{name}: reference line `{}` not in the legend",
                    l.label
                );
            }
            if p.y.len() > 1 {
                assert!(
                    text.contains(&esc(&p.y_name())),
                    "{name}: y axis `{}` not named",
                    p.y_name()
                );
            }
            drawn.push(name);
        }
    }
    // Every figure of docs/research.md is drawn by one of these studies.
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/research.md"))
            .unwrap();
    let figures: Vec<&str> = doc
        .split("](img/")
        .skip(1)
        .map(|t| t.split(".svg)").next().unwrap())
        .collect();
    assert!(figures.len() >= 14, "{figures:?}");
    for f in figures {
        assert!(
            drawn.iter().any(|d| d == f),
            "docs/research.md shows img/{f}.svg, which no research study draws ({drawn:?})"
        );
    }
}
