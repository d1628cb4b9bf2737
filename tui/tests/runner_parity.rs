//! No second simulation path: what the TUI shows after recovery is what `xrcsim run` reports
//! for the same scenario, whatever the frame slicing.

mod common;

use common::*;
use scenarios::runner::{RunOptions, run};
use sim::SimTime;
use std::time::Duration;
use tui::Action;
use tui::app::Phase;

fn play_to_done(app: &mut tui::App, frame: Duration) {
    app.handle(Action::TogglePlay);
    for _ in 0..100_000 {
        if app.phase() == Phase::Done {
            return;
        }
        app.tick(frame);
    }
    panic!("not done");
}

#[test]
fn a_scheduled_disaster_reports_exactly_as_the_runner() {
    for sets in [
        &["disaster.at=2s", "run.length=5s"][..],
        &["disaster.at=1500ms", "copy.mode=naive", "copy.movers=3"][..],
    ] {
        let want = run(&built(sets), &RunOptions::default()).unwrap().report;
        // Odd frame lengths: slicing must not change anything.
        for frame in [Duration::from_millis(50), Duration::from_micros(33_333)] {
            let mut a = app(sets);
            play_to_done(&mut a, frame);
            let got = a.report().unwrap();
            assert_eq!(got.trace_hash, want.trace_hash, "{sets:?}");
            assert_eq!(got.sites, want.sites, "{sets:?}");
            assert_eq!(got.primary, want.primary);
            assert_eq!(got.link, want.link);
            assert_eq!(got.events, want.events);
            assert_eq!(got.sim_time_ns, want.sim_time_ns);
        }
    }
}

#[test]
fn a_trace_workload_reports_exactly_as_the_runner() {
    let b = trace_built(&["disaster.at=7s"]);
    let want = run(&b, &RunOptions::default()).unwrap().report;
    assert!(want.primary.writes > 0);
    let mut a = tui::App::new(
        b,
        tui::Options {
            speed: tui::app::REAL_TIME,
            slice: None,
            playing: false,
            color: false,
        },
    )
    .unwrap();
    play_to_done(&mut a, Duration::from_millis(50));
    let got = a.report().unwrap();
    assert_eq!(got.sites, want.sites);
    assert_eq!(got.primary, want.primary);
    assert_eq!(got.trace_hash, want.trace_hash);
}

#[test]
fn a_disaster_struck_by_hand_recovers_as_one_scheduled_at_that_instant() {
    // An instant no event falls on, so the two orders of same-time events cannot differ.
    let at = "1500000001ns";
    let want = run(
        &built(&[&format!("disaster.at={at}")]),
        &RunOptions::default(),
    )
    .unwrap()
    .report;
    let mut a = app(&["disaster.at=none"]);
    a.handle(Action::TogglePlay);
    a.tick(Duration::from_nanos(1_500_000_001));
    assert_eq!(a.sim().now(), SimTime::from_nanos(1_500_000_001));
    a.handle(Action::Disaster);
    for _ in 0..1000 {
        if a.phase() == Phase::Done {
            break;
        }
        a.tick(Duration::from_millis(50));
    }
    let got = a.report().unwrap();
    assert_eq!(got.disaster_at_ns, want.disaster_at_ns);
    assert_eq!(got.sites, want.sites);
    assert_eq!(got.primary, want.primary);
}
