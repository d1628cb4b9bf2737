//! The UI thread never blocks on the simulation: at full speed the real loop (terminal
//! drawing, input, one bounded simulation slice per frame) keeps drawing at least 20 frames
//! per second while the simulation advances.

mod common;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::io;
use std::time::Duration;
use tui::app::{App, MAX_SPEED, Options, SLICE, SPEEDS};
use tui::term::{EventSource, FRAME, run_loop};

/// No input: the loop waits for the frame deadline as it would on a quiet terminal.
struct Quiet;

impl EventSource for Quiet {
    fn next(&mut self, timeout: Duration) -> io::Result<Option<crossterm::event::Event>> {
        std::thread::sleep(timeout);
        Ok(None)
    }
}

#[test]
fn full_speed_keeps_at_least_20_frames_per_second() {
    let built = common::built(&["disaster.at=none", "run.length=3600s"]);
    let mut app = App::new(
        built,
        Options {
            speed: SPEEDS.iter().position(|s| *s == MAX_SPEED).unwrap(),
            slice: Some(SLICE),
            playing: true,
            color: true,
        },
    )
    .unwrap();
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let stats = run_loop(
        &mut term,
        &mut app,
        &mut Quiet,
        FRAME,
        Some(Duration::from_secs(3)),
    )
    .unwrap();
    let sim_s = app.sim().now().as_secs_f64();
    eprintln!(
        "frames {} in {:.2} s: {:.1} fps, longest frame {:?}; simulated {:.2} s ({:.2} sim s per wall s), {} events",
        stats.frames,
        stats.wall.as_secs_f64(),
        stats.fps(),
        stats.longest_frame,
        sim_s,
        sim_s / stats.wall.as_secs_f64(),
        app.sim().counters().dispatched
    );
    assert!(sim_s > 0.0, "the simulation advanced");
    assert!(
        stats.fps() >= 20.0,
        "{:.1} frames per second at full speed",
        stats.fps()
    );
}
