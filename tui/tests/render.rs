//! Render tests with ratatui's TestBackend: snapshots (insta) of the main screen, the help
//! overlay, the post-disaster screen and the Fig. 5 queue at fixed seeds, and checks that
//! the help lists the keymap, that `NO_COLOR` has no colour, and that a small terminal gets
//! a message rather than a broken screen.

mod common;

use common::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use std::time::Duration;
use tui::app::{App, Options, Phase, REAL_TIME};
use tui::ui::EntryState;
use tui::{Action, keymap};

const FRAME: Duration = Duration::from_millis(50);

/// The baseline after 3 simulated seconds at 1 s/s, paused.
fn three_seconds(sets: &[&str]) -> App {
    let mut a = app(sets);
    a.handle(Action::TogglePlay);
    play(&mut a, Duration::from_secs(3), FRAME);
    a.handle(Action::TogglePlay);
    a
}

fn to_done(a: &mut App) {
    for _ in 0..1000 {
        if a.phase() == Phase::Done {
            return;
        }
        a.tick(FRAME);
    }
    panic!("no recovery");
}

#[test]
fn main_screen() {
    let a = three_seconds(&[]);
    insta::assert_snapshot!("main_160x48", render(&a, 160, 48));
    insta::assert_snapshot!("main_100x30", render(&a, 100, 30));
}

#[test]
fn help_overlay() {
    let mut a = three_seconds(&[]);
    a.handle(Action::ToggleHelp);
    insta::assert_snapshot!("help_100x30", render(&a, 100, 30));
    insta::assert_snapshot!("help_160x48", render(&a, 160, 48));
}

#[test]
fn post_disaster_screen() {
    let mut a = three_seconds(&[]);
    a.handle(Action::Disaster);
    to_done(&mut a);
    insta::assert_snapshot!("disaster_160x48", render(&a, 160, 48));
    insta::assert_snapshot!("disaster_100x30", render(&a, 100, 30));
    // The same instant in the next mode: the tries table compares them.
    a.handle(Action::CycleMode);
    for _ in 0..1000 {
        if a.phase() == Phase::Done {
            break;
        }
        a.tick(FRAME);
    }
    assert_eq!(a.tries().len(), 2);
    insta::assert_snapshot!("disaster_next_mode_160x48", render(&a, 160, 48));
}

/// Four movers and small messages: data arrives out of order, so the queue shows complete
/// entries held behind incomplete ones, as Fig. 5 does.
#[test]
fn fig5_queue() {
    let mut a = app(&["copy.movers=4", "copy.batch_bytes=16384"]);
    a.handle(Action::TogglePlay);
    let mut found = false;
    for _ in 0..2000 {
        a.tick(Duration::from_millis(1));
        let w = a.sim().model();
        let pt_a = w.gauges().sites[0].consistency_seq;
        let states: Vec<EntryState> = w
            .pending_queue(0)
            .map(|(_, v)| EntryState::of(&v, pt_a))
            .collect();
        if states.contains(&EntryState::Held) && states.contains(&EntryState::TokenOnly) {
            found = true;
            break;
        }
    }
    assert!(found, "a queue with held and token-only entries");
    a.handle(Action::TogglePlay);
    insta::assert_snapshot!("fig5_120x40", render(&a, 120, 40));
}

#[test]
fn too_small_terminal_gets_a_message() {
    let a = three_seconds(&[]);
    let s = render(&a, 70, 20);
    assert!(s.contains("terminal too small"), "{s}");
    assert!(s.contains("70x20"));
    // Degenerate sizes do not panic.
    for (w, h) in [
        (1, 1),
        (0, 0),
        (79, 24),
        (80, 23),
        (80, 24),
        (200, 24),
        (80, 100),
    ] {
        let _ = render(&a, w, h);
    }
    let mut b = three_seconds(&[]);
    b.handle(Action::ToggleHelp);
    let _ = render(&b, 80, 24);
}

#[test]
fn the_help_lists_every_key_of_the_keymap() {
    let mut a = three_seconds(&[]);
    a.handle(Action::ToggleHelp);
    let s = render(&a, 160, 48);
    for (k, _, what) in keymap::keymap().iter().chain(keymap::input_keymap().iter()) {
        assert!(s.contains(what), "help lacks `{what}`");
        assert!(s.contains(&k.label()), "help lacks key {}", k.label());
    }
    // The rows come from the table: every row's keys map to the row's action.
    for (keys, what) in tui::ui::help_rows() {
        if let Some((_, act, _)) = keymap::keymap().iter().find(|(_, _, d)| *d == what) {
            for label in keys.split(' ') {
                let bound = keymap::keymap()
                    .iter()
                    .any(|(k, a, _)| k.label() == label && a == act);
                assert!(
                    bound,
                    "`{label}` is listed for `{what}` but not bound to it"
                );
            }
        }
    }
}

fn cells_with_colour(a: &App) -> usize {
    let mut t = Terminal::new(TestBackend::new(160, 48)).unwrap();
    t.draw(|f| tui::ui::draw(f, a)).unwrap();
    t.backend()
        .buffer()
        .content()
        .iter()
        .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
        .count()
}

#[test]
fn no_color_means_no_colour_and_colour_never_sets_a_background() {
    let mut plain = three_seconds(&[]);
    assert_eq!(cells_with_colour(&plain), 0);
    plain.handle(Action::Disaster);
    to_done(&mut plain);
    plain.handle(Action::ToggleHelp);
    assert_eq!(cells_with_colour(&plain), 0);

    let mut a = App::new(
        built(&[]),
        Options {
            speed: REAL_TIME,
            slice: None,
            playing: true,
            color: true,
        },
    )
    .unwrap();
    play(&mut a, Duration::from_secs(1), FRAME);
    assert!(cells_with_colour(&a) > 0);
    // Readable on light and dark terminals: the terminal's own background everywhere.
    let mut t = Terminal::new(TestBackend::new(160, 48)).unwrap();
    t.draw(|f| tui::ui::draw(f, &a)).unwrap();
    assert!(
        t.backend()
            .buffer()
            .content()
            .iter()
            .all(|c| c.bg == Color::Reset)
    );
}

/// Two secondary sites (claim 3: each fed some or all extents): both in the topology, `s`
/// switches the queue, link and window panels between them.
#[test]
fn two_sites() {
    let text = format!(
        "{}\n[[sites]]\nname = \"S2\"\nvolumes = [\"PRI000\", \"PRI001\"]\nlink = {{ distance_km = 3000 }}\n",
        scenarios::BASELINE
    );
    let b = scenarios::prepare(
        &scenarios::Source::new("two-sites.toml", &text),
        &[],
        std::path::Path::new("."),
    )
    .expect("two sites build");
    let mut a = App::new(
        b,
        Options {
            speed: REAL_TIME,
            slice: None,
            playing: true,
            color: false,
        },
    )
    .unwrap();
    play(&mut a, Duration::from_secs(2), FRAME);
    a.handle(Action::TogglePlay);
    let s = render(&a, 160, 48);
    assert!(s.contains("→ site S1") && s.contains("→ site S2"), "{s}");
    assert!(s.contains("Pending write queue · S1"));
    a.handle(Action::NextSite);
    let s = render(&a, 160, 48);
    assert!(s.contains("Pending write queue · S2"), "{s}");
    assert!(s.contains("Link → S2 · 3000 km"), "{s}");
    assert!(s.contains("Data-loss window · S2"), "{s}");
    insta::assert_snapshot!("two_sites_s2_160x48", s);
    a.handle(Action::NextSite);
    assert_eq!(a.site(), 0);
    a.handle(Action::Disaster);
    to_done(&mut a);
    let s = render(&a, 160, 48);
    assert_eq!(a.report().unwrap().sites.len(), 2);
    assert!(s.contains("S1  A") && s.contains("S2  A"), "{s}");
}

/// The smallest supported terminal: the main screen, the screen after a disaster and the
/// help overlay at 80x24 keep what matters (finding 9 of issue 16).
#[test]
fn screens_at_80x24() {
    let mut a = three_seconds(&[]);
    let main = render(&a, 80, 24);
    insta::assert_snapshot!("main_80x24", main);
    a.handle(Action::ToggleHelp);
    let help = render(&a, 80, 24);
    insta::assert_snapshot!("help_80x24", help);
    a.handle(Action::ToggleHelp);
    a.handle(Action::Disaster);
    to_done(&mut a);
    let after = render(&a, 80, 24);
    insta::assert_snapshot!("disaster_80x24", after);
}

/// With the `ccw_errors` fault, the topology's hosts line counts the unit checks and what
/// the hosts' error recovery did with them (retried, failed); without it nothing is shown.
#[test]
fn unit_checks_are_counted_on_the_hosts_line() {
    let text = format!(
        "{}\n[[faults]]\nkind = \"ccw_errors\"\nat = \"0s\"\nrate = 0.2\n",
        scenarios::BASELINE
    );
    let b = scenarios::prepare(
        &scenarios::Source::new("errors.toml", &text),
        &[],
        std::path::Path::new("."),
    )
    .expect("builds");
    let mut a = App::new(
        b,
        Options {
            speed: REAL_TIME,
            slice: None,
            playing: true,
            color: false,
        },
    )
    .unwrap();
    play(&mut a, Duration::from_secs(2), FRAME);
    a.handle(Action::TogglePlay);
    let s = render(&a, 160, 48);
    assert!(s.contains("unit checks "), "{s}");
    assert!(s.contains("retried ") && s.contains("failed "), "{s}");
    let plain = render(&three_seconds(&[]), 160, 48);
    assert!(!plain.contains("unit checks"), "{plain}");
}

/// Volume pairs that are not duplex show on the movers' line (XQUERY's SUS/PND).
#[test]
fn suspended_pairs_show_on_the_movers_line() {
    let a = three_seconds(&[r#"faults=[{ kind = "suspend", at = "1s" }]"#]);
    let text = render(&a, 160, 48);
    assert!(text.contains("pairs 8 suspended"), "{text}");
    let a = three_seconds(&[]);
    assert!(!render(&a, 160, 48).contains("pairs "));
}

/// In `zgm` the movers' line gives the session's consistency time (XQUERY's), which runs
/// behind the simulated time; other modes show none.
#[test]
fn zgm_shows_its_consistency_time_on_the_movers_line() {
    let a = three_seconds(&["copy.mode=zgm"]);
    let text = render(&a, 160, 48);
    let at = text
        .find("consistency time ")
        .unwrap_or_else(|| panic!("{text}"));
    let secs: f64 = text[at + "consistency time ".len()..]
        .split_whitespace()
        .next()
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        (0.5..3.0).contains(&secs),
        "consistency time {secs} s at 3 s"
    );
    assert!(!render(&three_seconds(&[]), 160, 48).contains("consistency time"));
}
