//! Shared helpers of the tui tests (included with `mod common;`).
#![allow(dead_code)]

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use scenarios::build::Built;
use scenarios::{BASELINE, Source, prepare};
use std::path::Path;
use std::time::Duration;
use tui::app::{App, Options, REAL_TIME};

/// The baseline with overrides.
pub fn built(sets: &[&str]) -> Built {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    prepare(
        &Source::new("baseline.toml (built in)", BASELINE),
        &sets,
        Path::new("."),
    )
    .expect("the baseline builds")
}

/// A deterministic app: no wall-clock budget, paused, no colour.
pub fn app(sets: &[&str]) -> App {
    App::new(
        built(sets),
        Options {
            speed: REAL_TIME,
            slice: None,
            playing: false,
            color: false,
        },
    )
    .expect("app")
}

/// Plays for `wall` of wall time in ticks of `frame` (deterministic: no budget).
pub fn play(app: &mut App, wall: Duration, frame: Duration) {
    let mut t = Duration::ZERO;
    while t < wall {
        app.tick(frame);
        t += frame;
    }
}

/// Renders `app` at `w` x `h` and returns the screen as text (trailing spaces trimmed).
pub fn render(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    term.draw(|f| tui::ui::draw(f, app)).expect("draw");
    screen(term.backend())
}

/// The backend's buffer as text.
pub fn screen(b: &TestBackend) -> String {
    let buf = b.buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The baseline replaying the shipped SPC trace (both ASUs mapped, 20 times as fast).
pub fn trace_built(sets: &[&str]) -> Built {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut all: Vec<String> = [
        "workload.trace=traces/small-oltp.spc",
        "workload.trace_asus.0=[\"PRI000\",\"PRI001\",\"PRI002\",\"PRI003\"]",
        "workload.trace_asus.1=[\"PRI004\",\"PRI005\",\"PRI006\",\"PRI007\"]",
        "workload.trace_speed=20",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    all.extend(sets.iter().map(|s| s.to_string()));
    let b = prepare(
        &Source::new("baseline.toml (built in)", BASELINE),
        &all,
        &dir,
    )
    .expect("a trace scenario builds");
    assert!(b.trace.is_some());
    b
}
