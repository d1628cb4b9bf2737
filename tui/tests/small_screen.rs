//! The TUI at the smallest supported size and across branches and replays (finding 9 of
//! issue 16): what does not fit collapses and never disappears, the window chart keeps its
//! history across `b`, rates are real during a replay, `m` to `pit` says when its interval
//! is longer than the run, units are consistent, and the help explains its terms.

mod common;

use common::*;
use std::time::Duration;
use tui::Action;
use tui::app::{App, Phase};

const FRAME: Duration = Duration::from_millis(50);

fn seconds(a: &mut App, s: u64) {
    a.handle(Action::TogglePlay);
    play(a, Duration::from_secs(s), FRAME);
    a.handle(Action::TogglePlay);
}

fn to_done(a: &mut App) {
    for _ in 0..2000 {
        if a.phase() == Phase::Done {
            return;
        }
        a.tick(FRAME);
    }
    panic!("no recovery");
}

/// The first line of the screen and its last (the header and the footer).
fn header_footer(s: &str) -> (&str, &str) {
    let lines: Vec<&str> = s.lines().collect();
    (lines[0], lines[lines.len() - 1])
}

#[test]
fn header_footer_and_site_line_survive_80x24() {
    let mut a = app(&[]);
    seconds(&mut a, 3);
    let s = render(&a, 80, 24);
    let (head, foot) = header_footer(&s);
    assert!(
        head.contains("disaster") && head.contains("60.000 s"),
        "{head}"
    );
    assert!(head.contains("paused") && head.contains("xrc"), "{head}");
    assert!(
        foot.contains("/ search") && foot.contains("q quit"),
        "{foot}"
    );
    assert!(
        foot.contains("? help") && foot.contains("d disaster"),
        "{foot}"
    );
    // The site line with both points, whole.
    let site = s
        .lines()
        .find(|l| l.contains("site S1"))
        .unwrap_or_else(|| panic!("no site line: {s}"));
    let a_b = format!("A {}", a.gauges().sites[0].consistency_seq);
    assert!(site.contains(&a_b), "{site}");
    assert!(
        site.contains(&format!("B {}", a.gauges().sites[0].highest_token_seq)),
        "{site}"
    );
    // After the disaster: the status is still in the header.
    a.handle(Action::Disaster);
    to_done(&mut a);
    let s = render(&a, 80, 24);
    let (head, foot) = header_footer(&s);
    assert!(head.contains("disaster: recovered"), "{head}");
    assert!(head.contains("struck at 3.000 s"), "{head}");
    assert!(foot.contains("q quit"), "{foot}");
}

#[test]
fn every_site_line_is_kept_when_the_topology_does_not_fit() {
    // Three sites and two storage controls do not fit in 80x24: the storage controls
    // collapse into one line and the links fold into the site lines; A and B stay.
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/multi-secondary.toml");
    let src = scenarios::read_file(&path).unwrap();
    let b = scenarios::prepare(&src, &[], path.parent().unwrap()).unwrap();
    let names: Vec<String> = b.world.sites.iter().map(|s| s.name.clone()).collect();
    assert!(names.len() >= 3);
    let mut a = App::new(
        b,
        tui::app::Options {
            speed: tui::app::REAL_TIME,
            slice: None,
            playing: false,
            color: false,
        },
    )
    .unwrap();
    seconds(&mut a, 1);
    let s = render(&a, 80, 24);
    for (i, n) in names.iter().enumerate() {
        let g = &a.gauges().sites[i];
        let line = s
            .lines()
            .find(|l| l.contains(&format!("site {n} ")))
            .unwrap_or_else(|| panic!("no line for site {n}: {s}"));
        assert!(line.contains(&format!("A {}", g.consistency_seq)), "{line}");
        assert!(
            line.contains(&format!("B {}", g.highest_token_seq)),
            "{line}"
        );
    }
    assert!(s.contains("storage controls"), "{s}");
}

#[test]
fn the_gauge_reads_in_one_unit() {
    let t = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        tui::ui::window_gauge_text(60_000_000_000, 100_000.0),
        t("60.00 s", "of 100.00 s")
    );
    assert_eq!(
        tui::ui::window_gauge_text(8_277_000, 50.0),
        t("8.28 ms", "of 50.00 ms")
    );
}

#[test]
fn the_window_history_survives_a_branch_back() {
    let mut a = app(&[]);
    seconds(&mut a, 3);
    a.handle(Action::Disaster);
    to_done(&mut a);
    let before: Vec<(f64, f64)> = a.metrics().lag[0].iter().copied().collect();
    assert!(before.len() > 10);
    a.handle(Action::Branch);
    assert_eq!(a.phase(), Phase::Live);
    let after: Vec<(f64, f64)> = a.metrics().lag[0].iter().copied().collect();
    assert!(
        after.len() >= before.len() - 2,
        "{} of {}",
        after.len(),
        before.len()
    );
    assert_eq!(after.first(), before.first());
    let s = render(&a, 100, 30);
    assert!(s.contains("0.050s"), "the chart starts where it did: {s}");
}

#[test]
fn rates_are_real_during_a_replay() {
    let mut a = app(&[]);
    a.handle(Action::TogglePlay);
    play(&mut a, Duration::from_secs(80), Duration::from_secs(1));
    a.handle(Action::CycleMode);
    a.tick(FRAME);
    assert!(
        matches!(a.phase(), Phase::Replaying { .. }),
        "{:?}",
        a.phase()
    );
    let now = a.sim().now();
    assert!(now > sim::SimTime::ZERO);
    let r = a.metrics().rate(now, |t| t.seqs);
    assert!(r > 100.0, "numbering rate during the replay: {r}");
    let s = render(&a, 160, 48);
    let hosts = s.lines().find(|l| l.contains("hosts")).unwrap();
    assert!(!hosts.contains(" 0/s"), "{hosts}");
}

#[test]
fn pit_with_an_interval_longer_than_the_run_says_so() {
    let mut a = app(&[]);
    seconds(&mut a, 2);
    for _ in 0..4 {
        a.handle(Action::CycleMode);
        for _ in 0..2000 {
            if !matches!(a.phase(), Phase::Replaying { .. }) {
                break;
            }
            a.tick(FRAME);
        }
    }
    assert_eq!(a.mode().name(), "pit");
    let m = a.message().unwrap_or_default().to_string();
    assert!(
        m.contains("3600s") && m.contains("longer than the run"),
        "{m}"
    );
    let s = render(&a, 160, 48);
    assert!(s.contains("longer than the run"), "{s}");
    // With a short interval, no such note.
    let mut b = app(&["copy.pit_interval=1s"]);
    seconds(&mut b, 2);
    for _ in 0..4 {
        b.handle(Action::CycleMode);
        for _ in 0..2000 {
            if !matches!(b.phase(), Phase::Replaying { .. }) {
                break;
            }
            b.tick(FRAME);
        }
    }
    assert!(
        !b.message()
            .unwrap_or_default()
            .contains("longer than the run")
    );
}

#[test]
fn help_has_a_glossary() {
    let rows = tui::ui::help_rows();
    let text: String = rows.iter().map(|(k, d)| format!("{k} {d}\n")).collect();
    for term in [
        "A",
        "B",
        "T·",
        "TD",
        "RPO",
        "data-loss window",
        "consistency point",
    ] {
        assert!(text.contains(term), "help explains `{term}`: {text}");
    }
    let mut a = app(&[]);
    seconds(&mut a, 1);
    a.handle(Action::ToggleHelp);
    let s = render(&a, 80, 24);
    assert!(s.contains("consistency point"), "{s}");
}

#[test]
fn the_window_history_survives_a_branch_back_that_replays_a_trace() {
    // A trace workload cannot be snapshotted: `b` replays it, and the chart's history up to
    // the disaster comes back.
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/trace-driven.toml");
    let src = scenarios::read_file(&path).unwrap();
    let b = scenarios::prepare(&src, &["disaster.at=none".into()], path.parent().unwrap()).unwrap();
    let mut a = App::new(
        b,
        tui::app::Options {
            speed: tui::app::REAL_TIME,
            slice: None,
            playing: false,
            color: false,
        },
    )
    .unwrap();
    a.handle(Action::TogglePlay);
    play(&mut a, Duration::from_secs(40), Duration::from_millis(500));
    a.handle(Action::TogglePlay);
    a.handle(Action::Disaster);
    to_done(&mut a);
    let before: Vec<(f64, f64)> = a.metrics().lag[0].iter().copied().collect();
    assert!(before.len() > 20, "{}", before.len());
    a.handle(Action::Branch);
    for _ in 0..2000 {
        if !matches!(a.phase(), Phase::Replaying { .. }) {
            break;
        }
        a.tick(FRAME);
    }
    assert_eq!(a.phase(), Phase::Live);
    let after: Vec<(f64, f64)> = a.metrics().lag[0].iter().copied().collect();
    assert!(
        after.len() + 2 >= before.len() && after.first() == before.first(),
        "the history after the replay: {} points (before: {})",
        after.len(),
        before.len()
    );
}

/// The text of `r` on screen `s` (as `render` returns it), one string per row.
fn rows_of(s: &str, r: ratatui::layout::Rect) -> Vec<String> {
    s.lines()
        .skip(r.y as usize)
        .take(r.height as usize)
        .map(|l| {
            l.chars()
                .skip(r.x as usize)
                .take(r.width as usize)
                .collect()
        })
        .collect()
}

/// At 80x24 every row of the panels other than the event log fits in a form written for
/// the width: nothing ends in `…` (what a row cut to the width ends in), titles keep the
/// site's name, the queue's legend keeps all its states, the recovery result keeps all its
/// lines. Checked on the main screen, after a disaster, and with three sites.
#[test]
fn panel_rows_fit_80x24_and_only_the_log_cuts() {
    let area = ratatui::layout::Rect::new(0, 0, 80, 24);
    let check = |a: &App, what: &str| {
        let s = render(a, 80, 24);
        let p = tui::ui::panes(area, a).expect("80x24 is supported");
        for (name, r) in [
            ("topology", p.topology),
            ("link", p.link),
            ("loss", p.loss),
            ("queue", p.queue),
        ] {
            for row in rows_of(&s, r) {
                assert!(!row.contains('…'), "{what}: {name} row cut: {row}\n{s}");
            }
        }
        s
    };
    let mut a = app(&[]);
    seconds(&mut a, 3);
    let s = check(&a, "main");
    assert!(s.contains("Window · S1"), "{s}");
    assert!(s.contains("Pending writes · S1"), "{s}");
    assert!(s.contains("▶ writing"), "the legend keeps every state: {s}");
    assert!(s.contains("88.5% up"), "the link line keeps its state: {s}");
    assert!(s.contains("empty: all received is written"), "{s}");
    assert!(s.contains("Σ 964/s"), "{s}");

    a.handle(Action::Disaster);
    to_done(&mut a);
    let s = check(&a, "post-disaster");
    let rep = &a.report().unwrap().sites[0].core;
    for line in [
        "CONSISTENT: writes 1..".to_string(),
        format!("lost {} writes", rep.lost_writes),
        "data-loss window".to_string(),
        format!("{} never came", rep.never_received),
        "b before the disaster · m next mode".to_string(),
    ] {
        assert!(s.contains(&line), "`{line}` missing: {s}");
    }

    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/multi-secondary.toml");
    let src = scenarios::read_file(&path).unwrap();
    let b = scenarios::prepare(&src, &[], path.parent().unwrap()).unwrap();
    let mut m = App::new(
        b,
        tui::app::Options {
            speed: tui::app::REAL_TIME,
            slice: None,
            playing: false,
            color: false,
        },
    )
    .unwrap();
    seconds(&mut m, 1);
    check(&m, "three sites");
}
