//! Key handling: scripts of keys (through the same keymap and event routing as the
//! terminal) drive the app, and the tests assert on its state.

mod common;

use common::*;
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use models::world::Mode;
use ratatui::layout::Rect;
use sim::{SimDuration, SimTime};
use std::time::Duration;
use tui::app::{App, MAX_SPEED, Options, Phase, REAL_TIME, SPEEDS};
use tui::keymap::Panel;
use tui::log::Kind;
use tui::term::handle_event;
use tui::ui;

const SCREEN: Rect = Rect {
    x: 0,
    y: 0,
    width: 160,
    height: 48,
};
const FRAME: Duration = Duration::from_millis(50);

fn key(app: &mut App, code: KeyCode, mods: KeyModifiers) {
    handle_event(app, &Event::Key(KeyEvent::new(code, mods)), SCREEN);
}

/// Types `s`, one key per character (`' '` is Space).
fn keys(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c), KeyModifiers::NONE);
    }
}

/// Ticks until the phase is `Done` (at most `n` frames).
fn until_done(app: &mut App, n: usize) {
    for _ in 0..n {
        if app.phase() == Phase::Done {
            return;
        }
        app.tick(FRAME);
    }
    assert_eq!(app.phase(), Phase::Done, "the run did not finish");
}

/// Ticks until the replay is over (at most `n` frames).
fn until_replayed(app: &mut App, n: usize) {
    for _ in 0..n {
        if !matches!(app.phase(), Phase::Replaying { .. }) {
            return;
        }
        app.tick(FRAME);
    }
    panic!("the replay did not finish");
}

fn site0(app: &App) -> (u64, u64, u64, u64) {
    let r = app.report().expect("a report");
    let c = &r.sites[0].core;
    (
        c.consistency_seq,
        c.highest_token_seq,
        c.lost_writes,
        c.data_loss_window_ns,
    )
}

#[test]
fn space_plays_and_pauses_and_time_follows_the_speed() {
    let mut a = app(&[]);
    assert!(!a.playing());
    a.tick(FRAME);
    assert_eq!(a.sim().now(), SimTime::ZERO, "paused: no time passes");
    keys(&mut a, " ");
    assert!(a.playing());
    a.tick(Duration::from_millis(100));
    assert_eq!(
        a.sim().now(),
        SimTime::ZERO + SimDuration::from_millis(100),
        "1 simulated second per wall second"
    );
    keys(&mut a, "+");
    assert_eq!(a.speed(), REAL_TIME + 1);
    a.tick(Duration::from_millis(100));
    assert_eq!(a.sim().now(), SimTime::ZERO + SimDuration::from_millis(300));
    keys(&mut a, "--");
    a.tick(Duration::from_millis(100));
    assert_eq!(a.sim().now(), SimTime::ZERO + SimDuration::from_millis(350));
    keys(&mut a, " ");
    assert!(!a.playing());
    let t = a.sim().now();
    a.tick(FRAME);
    assert_eq!(a.sim().now(), t);
    // Speeds clamp at both ends; `=` is `+` without Shift.
    keys(&mut a, &"=".repeat(40));
    assert_eq!(SPEEDS[a.speed()], MAX_SPEED);
    keys(&mut a, &"-".repeat(40));
    assert_eq!(a.speed(), 0);
}

#[test]
fn n_dispatches_exactly_one_event_and_pauses() {
    let mut a = app(&[]);
    keys(&mut a, " ");
    a.tick(FRAME);
    let before = a.sim().counters().dispatched;
    keys(&mut a, "n");
    assert!(!a.playing(), "a step pauses");
    assert_eq!(a.sim().counters().dispatched, before + 1);
    keys(&mut a, "nnn");
    assert_eq!(a.sim().counters().dispatched, before + 4);
}

#[test]
fn d_strikes_now_then_recovery_then_the_report() {
    let mut a = app(&[]);
    keys(&mut a, " ");
    for _ in 0..40 {
        a.tick(FRAME);
    }
    let t = a.sim().now();
    assert_eq!(t, SimTime::ZERO + SimDuration::from_secs(2));
    keys(&mut a, "d");
    assert_eq!(a.manual_strike(), Some(t));
    assert_eq!(a.snapshot().map(|s| s.at), Some(t));
    assert!(!a.sim().model().primary_alive());
    assert!(matches!(a.phase(), Phase::Recovering | Phase::Done));
    until_done(&mut a, 200);
    let r = a.report().unwrap();
    assert_eq!(r.disaster_at_ns, Some(t.as_nanos()));
    assert_eq!(r.mode, "xrc");
    assert!(r.consistent(), "xrc recovers a consistent image");
    assert!(
        a.log().lines().iter().any(|l| l.contains("\tdisaster\t")),
        "the log shows the disaster"
    );
    // A second `d` does nothing but say so.
    keys(&mut a, "d");
    assert!(a.message().unwrap().contains("already lost"));
    keys(&mut a, " ");
    assert!(a.message().unwrap().contains("over"));
}

#[test]
fn b_branches_back_and_the_same_strike_gives_the_same_result() {
    let mut a = app(&[]);
    keys(&mut a, " ");
    for _ in 0..30 {
        a.tick(FRAME);
    }
    keys(&mut a, "b");
    assert!(a.message().unwrap().contains("nothing to branch"));
    let t = a.sim().now();
    keys(&mut a, "d");
    until_done(&mut a, 200);
    let first = site0(&a);
    let events = a.sim().counters().dispatched;
    keys(&mut a, "b");
    assert_eq!(a.phase(), Phase::Live);
    assert!(!a.playing(), "paused after a branch");
    assert_eq!(a.sim().now(), t);
    assert!(a.sim().model().primary_alive());
    assert!(a.report().is_none());
    assert!(a.sim().counters().dispatched <= events);
    // The same strike again: the same outcome (the snapshot is exact).
    keys(&mut a, "d");
    until_done(&mut a, 200);
    assert_eq!(site0(&a), first);
    // Another try, later.
    keys(&mut a, "b ");
    for _ in 0..10 {
        a.tick(FRAME);
    }
    keys(&mut a, "d");
    until_done(&mut a, 200);
    let later = site0(&a);
    assert!(
        later.0 > first.0,
        "a later strike keeps more: {later:?} vs {first:?}"
    );
    assert_eq!(a.tries().len(), 3);
    assert_eq!(
        a.tries()[2].disaster_at,
        Some(t + SimDuration::from_millis(500))
    );
}

#[test]
fn m_rebuilds_the_next_mode_and_replays_to_the_same_time() {
    let mut a = app(&[]);
    keys(&mut a, " ");
    for _ in 0..20 {
        a.tick(FRAME);
    }
    let t = a.sim().now();
    keys(&mut a, "m");
    assert_eq!(a.mode(), Mode::XrcPrt);
    assert!(matches!(a.phase(), Phase::Replaying { target, .. } if target == t));
    until_replayed(&mut a, 100);
    assert_eq!(a.phase(), Phase::Live);
    assert_eq!(a.sim().now(), t);
    assert!(a.playing(), "plays on as before");
    // Same workload, other design: exactly what a fresh run of that mode does.
    let mut fresh = app(&["copy.mode=xrc-prt"]);
    keys(&mut fresh, " ");
    for _ in 0..20 {
        fresh.tick(FRAME);
    }
    assert_eq!(fresh.sim().now(), t);
    assert_eq!(fresh.sim().hook().hex(), a.sim().hook().hex());
    // Cycling through every mode comes back.
    for _ in 0..Mode::ALL.len() - 1 {
        keys(&mut a, "m");
        until_replayed(&mut a, 100);
    }
    assert_eq!(a.mode(), Mode::Xrc);
    assert_eq!(a.sim().now(), t);
}

#[test]
fn m_after_a_disaster_strikes_the_next_mode_at_the_same_instant() {
    let mut a = app(&[]);
    keys(&mut a, " ");
    for _ in 0..20 {
        a.tick(FRAME);
    }
    let t = a.sim().now();
    keys(&mut a, "d");
    until_done(&mut a, 200);
    keys(&mut a, "m");
    until_replayed(&mut a, 100);
    until_done(&mut a, 200);
    assert_eq!(a.mode(), Mode::XrcPrt);
    assert_eq!(a.manual_strike(), Some(t));
    let tries = a.tries();
    assert_eq!(tries.len(), 2);
    assert_eq!(tries[0].mode, "xrc");
    assert_eq!(tries[1].mode, "xrc-prt");
    assert_eq!(tries[0].disaster_at, Some(t));
    assert_eq!(tries[1].disaster_at, Some(t));
    // naive, two modes on, at the same instant too.
    keys(&mut a, "m");
    until_replayed(&mut a, 100);
    until_done(&mut a, 200);
    keys(&mut a, "m");
    until_replayed(&mut a, 100);
    until_done(&mut a, 200);
    assert_eq!(a.mode(), Mode::Naive);
    assert_eq!(a.tries().last().unwrap().disaster_at, Some(t));
}

#[test]
fn a_scheduled_disaster_is_snapshotted_just_before_it() {
    let mut a = app(&["disaster.at=1s"]);
    keys(&mut a, " ");
    until_done(&mut a, 200);
    let at = SimTime::ZERO + SimDuration::from_secs(1);
    assert_eq!(a.report().unwrap().disaster_at_ns, Some(at.as_nanos()));
    assert_eq!(a.manual_strike(), None);
    let snap = a
        .snapshot()
        .expect("taken before the scheduled disaster")
        .at;
    assert_eq!(snap.as_nanos() + 1, at.as_nanos());
    keys(&mut a, "b");
    assert_eq!(a.sim().now(), snap);
    assert!(a.sim().model().primary_alive());
    // Stepping from there reaches the disaster again.
    keys(&mut a, " ");
    until_done(&mut a, 200);
    assert_eq!(a.report().unwrap().disaster_at_ns, Some(at.as_nanos()));
    assert_eq!(a.tries()[0], a.tries()[1]);
}

#[test]
fn the_end_of_the_workload_is_evaluated_without_a_disaster() {
    let mut a = app(&["disaster.at=none", "run.length=1s"]);
    keys(&mut a, " ");
    until_done(&mut a, 100);
    let r = a.report().unwrap();
    assert_eq!(r.disaster_at_ns, None);
    assert!(r.consistent());
    assert!(ui::state_label(&a).starts_with("ended"));
    keys(&mut a, "b");
    assert!(a.message().unwrap().contains("nothing to branch"));
}

#[test]
fn help_filter_and_quit_keys() {
    let mut a = app(&[]);
    keys(&mut a, " ");
    for _ in 0..10 {
        a.tick(FRAME);
    }
    keys(&mut a, "?");
    assert!(a.help());
    key(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert!(!a.help());
    // `f` cycles the event types.
    keys(&mut a, "f");
    assert_eq!(a.log().filter().kind, Kind::Seq);
    assert!(a.log().lines().iter().all(|l| l.contains("\tseq\t")));
    assert!(!a.log().lines().is_empty());
    for _ in 0..Kind::ALL.len() - 1 {
        keys(&mut a, "f");
    }
    assert_eq!(a.log().filter().kind, Kind::All);
    // `/` types a substring; `q` is a character then, not quit.
    keys(&mut a, "/PRI00q");
    assert!(a.typing());
    assert!(!a.should_quit());
    assert_eq!(a.log().filter().text, "PRI00q");
    key(&mut a, KeyCode::Backspace, KeyModifiers::NONE);
    key(&mut a, KeyCode::Char('5'), KeyModifiers::NONE);
    key(&mut a, KeyCode::Enter, KeyModifiers::NONE);
    assert!(!a.typing());
    assert_eq!(a.log().filter().text, "PRI005");
    assert!(!a.log().lines().is_empty());
    assert!(a.log().lines().iter().all(|l| l.contains("PRI005")));
    key(&mut a, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(a.log().filter().text, "");
    // Ctrl-C quits even while typing.
    keys(&mut a, "/x");
    key(&mut a, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(a.should_quit());
    let mut b = app(&[]);
    keys(&mut b, "q");
    assert!(b.should_quit());
}

#[test]
fn focus_scroll_and_mouse() {
    let mut a = app(&[]);
    keys(&mut a, " ");
    for _ in 0..10 {
        a.tick(FRAME);
    }
    assert_eq!(a.focus(), Panel::Queue);
    key(&mut a, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(a.focus(), Panel::Link);
    key(&mut a, KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(a.focus(), Panel::Queue);
    let p = ui::panes(SCREEN, &a).expect("big enough");
    let click = |x: u16, y: u16, kind| {
        Event::Mouse(MouseEvent {
            kind,
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        })
    };
    handle_event(
        &mut a,
        &click(
            p.log.x + 2,
            p.log.y + 2,
            MouseEventKind::Down(MouseButton::Left),
        ),
        SCREEN,
    );
    assert_eq!(a.focus(), Panel::Log);
    handle_event(
        &mut a,
        &click(p.log.x + 2, p.log.y + 2, MouseEventKind::ScrollUp),
        SCREEN,
    );
    assert_eq!(a.log_scroll(), 3);
    keys(&mut a, "j");
    assert_eq!(a.log_scroll(), 2);
    key(&mut a, KeyCode::End, KeyModifiers::NONE);
    assert_eq!(a.log_scroll(), 0);
    key(&mut a, KeyCode::Home, KeyModifiers::NONE);
    assert_eq!(a.log_scroll(), a.log().lines().len());
    keys(&mut a, "k");
    assert_eq!(
        a.log_scroll(),
        a.log().lines().len(),
        "clamped at the oldest"
    );
    handle_event(
        &mut a,
        &click(
            p.topology.x + 1,
            p.topology.y + 1,
            MouseEventKind::Down(MouseButton::Left),
        ),
        SCREEN,
    );
    assert_eq!(a.focus(), Panel::Topology);
    // The queue scrolls within its length.
    handle_event(
        &mut a,
        &click(p.queue.x + 1, p.queue.y + 5, MouseEventKind::ScrollDown),
        SCREEN,
    );
    let len = a.sim().model().pending_queue(0).count();
    assert_eq!(a.queue_scroll(), 3.min(len));
    // Clicks outside every panel (header) change nothing.
    handle_event(
        &mut a,
        &click(1, 0, MouseEventKind::Down(MouseButton::Left)),
        SCREEN,
    );
    assert_eq!(a.focus(), Panel::Topology);
}

#[test]
fn a_budgeted_slice_returns_in_time_at_full_speed() {
    let mut a = App::new(
        built(&["disaster.at=none", "run.length=3600s"]),
        Options {
            speed: SPEEDS.len() - 1,
            slice: Some(Duration::from_millis(20)),
            playing: true,
            color: false,
        },
    )
    .unwrap();
    for _ in 0..5 {
        let t = std::time::Instant::now();
        a.tick(FRAME);
        assert!(
            t.elapsed() < Duration::from_millis(250),
            "a tick took {:?}",
            t.elapsed()
        );
    }
    assert!(a.sim().now() > SimTime::ZERO);
}

fn trace_app(sets: &[&str]) -> App {
    App::new(
        common::trace_built(sets),
        Options {
            speed: REAL_TIME,
            slice: None,
            playing: false,
            color: false,
        },
    )
    .unwrap()
}

#[test]
fn spc_trace_workloads_are_fed_and_branching_replays_them() {
    let mut a = trace_app(&["disaster.at=none"]);
    assert!(a.trace_driven());
    assert_eq!(a.failure(), None);
    keys(&mut a, " ");
    for _ in 0..40 {
        a.tick(FRAME);
    }
    assert!(
        a.sim().model().gauges().last_seq > 0,
        "the trace drives writes"
    );
    let t = a.sim().now();
    keys(&mut a, "d");
    until_done(&mut a, 200);
    let first = site0(&a);
    // No snapshot of a file's read position: `b` replays to the instant, exactly.
    keys(&mut a, "b");
    assert!(matches!(a.phase(), Phase::Replaying { target, .. } if target == t));
    until_replayed(&mut a, 1000);
    assert_eq!(a.phase(), Phase::Live);
    assert_eq!(a.sim().now(), t);
    assert!(!a.playing());
    keys(&mut a, "d");
    until_done(&mut a, 200);
    assert_eq!(site0(&a), first);
    // Stepping through feeding boundaries works event by event.
    let mut b = trace_app(&["disaster.at=none"]);
    for _ in 0..2000 {
        keys(&mut b, "n");
    }
    assert!(b.sim().now() > SimTime::ZERO);
    assert_eq!(b.sim().counters().dispatched, 2000);
    assert_eq!(b.failure(), None);
}

#[test]
fn a_bad_trace_line_stops_the_simulation_with_the_reason() {
    // ASU 1 of the trace mapped nowhere: its first line is refused.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let b = scenarios::prepare(
        &scenarios::Source::new("baseline.toml (built in)", scenarios::BASELINE),
        &["workload.trace=traces/small-oltp.spc".to_string()],
        &dir,
    )
    .unwrap();
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
    for _ in 0..200 {
        a.tick(FRAME);
    }
    let e = a.failure().expect("the bad line stops the run").to_string();
    assert!(e.contains("ASU 1"), "{e}");
    assert!(!a.playing());
    let t = a.sim().now();
    a.tick(FRAME);
    assert_eq!(a.sim().now(), t, "nothing runs after the failure");
    keys(&mut a, "d");
    assert!(
        a.sim().model().primary_alive(),
        "no disaster on a stopped run"
    );
    assert!(ui::state_label(&a).starts_with("stopped"));
}

#[test]
fn rates_are_differences_of_running_totals_over_the_last_simulated_second() {
    let mut a = app(&[]);
    keys(&mut a, " ");
    for _ in 0..40 {
        a.tick(FRAME);
    }
    let w2 = a.checker().primary_stats().0;
    for _ in 0..20 {
        a.tick(FRAME);
    }
    let now = a.sim().now();
    assert_eq!(now, SimTime::ZERO + SimDuration::from_secs(3));
    let w3 = a.checker().primary_stats().0;
    let m = a.metrics();
    assert_eq!(m.rate(now, |t| t.host_writes), (w3 - w2) as f64);
    // Every numbered write is counted once by storage control and once by host.
    let seqs = a.sim().model().gauges().last_seq;
    assert_eq!(m.now.seqs, seqs);
    assert_eq!(m.now.seq_by_ss.iter().sum::<u64>(), seqs);
    assert_eq!(m.now.seq_by_host.iter().sum::<u64>(), seqs);
    assert!(m.now.applied[0] > 0 && m.now.applied[0] <= seqs);
    // Link utilisation samples are per mille.
    assert!(m.util[0].iter().all(|u| *u <= 1000));
    assert!(m.util[0].iter().any(|u| *u > 0));
}
