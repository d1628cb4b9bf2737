//! The terminal loop: raw mode and the alternate screen behind a guard that restores the
//! terminal on every exit path (quit, error, panic through a panic hook, Ctrl-C which in raw
//! mode arrives as a key), input to actions through the keymap, the frame clock, and the
//! bounded simulation slice of each frame ([`App::tick`]).

use crate::app::{App, Options};
use crate::keymap::{Action, action_for};
use crate::ui;
use crossterm::event::{self, Event, MouseButton, MouseEventKind};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::layout::Rect;
use scenarios::build::Built;
use std::io::{self, IsTerminal};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Time between frames when nothing else is happening (30 frames per second).
pub const FRAME: Duration = Duration::from_millis(33);

/// Where input comes from: the real terminal, or a script in tests.
pub trait EventSource {
    /// The next input event, waiting at most `timeout` (`None`: nothing came).
    fn next(&mut self, timeout: Duration) -> io::Result<Option<Event>>;
}

/// Input from the terminal (crossterm).
pub struct TerminalEvents;

impl EventSource for TerminalEvents {
    fn next(&mut self, timeout: Duration) -> io::Result<Option<Event>> {
        if event::poll(timeout)? {
            event::read().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// Applies one input event to the app: keys through the keymap, clicks focus the panel
/// under the pointer, the wheel scrolls it. `size`: the terminal's size (for the layout).
pub fn handle_event(app: &mut App, ev: &Event, size: Rect) {
    match ev {
        Event::Key(k) => {
            if let Some(a) = action_for(k, app.typing()) {
                app.handle(a);
            }
        }
        Event::Mouse(m) => {
            let Some(p) = ui::panes(size, app) else {
                return;
            };
            let Some(panel) = p.panel_at(m.column, m.row) else {
                return;
            };
            match m.kind {
                MouseEventKind::Down(MouseButton::Left) => app.handle(Action::Focus(panel)),
                MouseEventKind::ScrollUp => app.handle(Action::ScrollPanel(panel, -3)),
                MouseEventKind::ScrollDown => app.handle(Action::ScrollPanel(panel, 3)),
                _ => {}
            }
        }
        _ => {}
    }
}

/// What a loop did.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoopStats {
    /// Frames drawn.
    pub frames: u64,
    /// Wall time of the loop.
    pub wall: Duration,
    /// The longest frame (tick + draw + input).
    pub longest_frame: Duration,
}

impl LoopStats {
    /// Frames per wall second.
    pub fn fps(&self) -> f64 {
        self.frames as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// Draws, reads input until the next frame is due, advances the simulation by one bounded
/// slice; until the user quits (or `max_wall` has passed, for measurements).
pub fn run_loop<B: Backend, E: EventSource>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    events: &mut E,
    frame: Duration,
    max_wall: Option<Duration>,
) -> Result<LoopStats, String>
where
    B::Error: std::fmt::Display,
{
    let start = Instant::now();
    let mut last_tick = Instant::now();
    let mut fps_since = Instant::now();
    let mut fps_frames = 0u64;
    let mut stats = LoopStats::default();
    loop {
        let t0 = Instant::now();
        // One bounded slice of simulation, then the frame.
        app.tick(t0 - last_tick);
        last_tick = t0;
        terminal
            .draw(|f| ui::draw(f, app))
            .map_err(|e| format!("cannot draw: {e}"))?;
        stats.frames += 1;
        fps_frames += 1;
        if fps_since.elapsed() >= Duration::from_secs(1) {
            app.set_fps(Some(fps_frames as f64 / fps_since.elapsed().as_secs_f64()));
            fps_since = Instant::now();
            fps_frames = 0;
        }
        let size = terminal
            .size()
            .map_err(|e| format!("cannot read the terminal size: {e}"))?;
        let area = Rect::new(0, 0, size.width, size.height);
        // Input until the next frame is due (at least one look, so a slow frame never
        // starves it).
        let deadline = t0 + frame;
        loop {
            let timeout = deadline.saturating_duration_since(Instant::now());
            match events
                .next(timeout)
                .map_err(|e| format!("cannot read input: {e}"))?
            {
                Some(ev) => handle_event(app, &ev, area),
                None => break,
            }
            if app.should_quit() || Instant::now() >= deadline {
                break;
            }
        }
        stats.longest_frame = stats.longest_frame.max(t0.elapsed());
        if app.should_quit() || max_wall.is_some_and(|m| start.elapsed() >= m) {
            break;
        }
    }
    stats.wall = start.elapsed();
    Ok(stats)
}

static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// Leaves raw mode and the alternate screen, shows the cursor, stops mouse capture: once,
/// however many exit paths call it.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = disable_raw_mode();
        let _ = execute!(
            io::stdout(),
            event::DisableMouseCapture,
            LeaveAlternateScreen,
            cursor::Show
        );
    }
}

/// Restores the terminal when dropped (quit, error, unwinding panic).
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

fn enter() -> io::Result<Guard> {
    HOOK.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // Restore first so the panic message is readable.
            restore();
            prev(info);
        }));
    });
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let guard = Guard;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        event::EnableMouseCapture,
        cursor::Hide
    )?;
    Ok(guard)
}

/// Runs the terminal UI over scenario `built` until the user quits.
pub fn run(built: Built) -> Result<(), String> {
    run_with(built, Options::default())
}

/// [`run`] with explicit options.
pub fn run_with(built: Built, opts: Options) -> Result<(), String> {
    let app = App::new(built, opts)?;
    run_app(app, &mut TerminalEvents).map(|_| ())
}

/// Runs `app` in the terminal with input from `events` until the user quits: sets the
/// terminal up, and restores it on every way out (return, error, panic).
pub fn run_app<E: EventSource>(mut app: App, events: &mut E) -> Result<LoopStats, String> {
    if !io::stdout().is_terminal() {
        return Err(
            "the terminal UI needs a terminal (stdout is not one); `xrcsim run` prints a report"
                .into(),
        );
    }
    let guard = enter().map_err(|e| format!("cannot set up the terminal: {e}"))?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))
        .map_err(|e| format!("cannot set up the terminal: {e}"))?;
    terminal
        .clear()
        .map_err(|e| format!("cannot clear the terminal: {e}"))?;
    let r = run_loop(&mut terminal, &mut app, events, FRAME, None);
    drop(guard);
    r
}
