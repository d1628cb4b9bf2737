//! The TUI for real, in a terminal: tmux runs it (this test binary re-executed as the
//! child, which calls `tui::run` exactly as `xrcsim tui` does), keys are sent, the pane is
//! captured. Checks: the screen comes up and runs, the help opens, `d` recovers, `b`
//! branches, `q` and Ctrl-C quit, a panic restores the terminal, and the frame rate at full
//! speed. Skipped, with a message, when tmux is not installed.

mod common;

use std::io;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use tui::app::{App, Options};
use tui::term::{EventSource, TerminalEvents, run_app};

const CHILD: &str = "XRCSIM_TUI_TMUX_CHILD";

/// One TUI at a time (the frame-rate check should not compete with the others).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The program tmux runs: `run` (the TUI over a short baseline) or `panic` (a TUI whose
/// input source panics after a few frames). Not a test by itself: ignored unless the tmux
/// test runs it inside a terminal.
#[test]
#[ignore = "the tmux test runs this inside a terminal"]
fn child_tui() {
    let mode = std::env::var(CHILD).expect("run by the tmux test");
    let built = common::built(&["disaster.at=none", "run.length=3600s"]);
    match mode.as_str() {
        "run" => tui::run(built).expect("the TUI runs"),
        "panic" => {
            struct Bomb(u32);
            impl EventSource for Bomb {
                fn next(
                    &mut self,
                    timeout: Duration,
                ) -> io::Result<Option<crossterm::event::Event>> {
                    self.0 += 1;
                    if self.0 > 20 {
                        panic!("a deliberate panic inside the terminal loop");
                    }
                    TerminalEvents.next(timeout)
                }
            }
            let app = App::new(built, Options::default()).unwrap();
            let _ = run_app(app, &mut Bomb(0));
        }
        other => panic!("unknown child mode {other}"),
    }
}

fn have_tmux() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A tmux server of our own (its own socket), killed when dropped.
struct Tmux {
    sock: String,
}

impl Tmux {
    fn new(tag: &str) -> Tmux {
        Tmux {
            sock: format!("xrcsim-tui-{tag}-{}", std::process::id()),
        }
    }
    fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.sock)
            .args(args)
            .output()
            .expect("tmux runs")
    }
    /// Starts the child in a 120x40 pane; the shell prints its exit status and the terminal
    /// modes afterwards, and keeps the pane open.
    fn start(&self, mode: &str, env: &str) {
        let exe: PathBuf = std::env::current_exe().unwrap();
        let script = format!(
            "{env} {CHILD}={mode} '{}' --ignored --exact child_tui --nocapture --test-threads=1; \
             echo EXIT=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo MODES; sleep 120",
            exe.display()
        );
        let o = self.cmd(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "120",
            "-y",
            "40",
            "sh",
            "-c",
            &script,
        ]);
        assert!(
            o.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    fn capture(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }
    fn alternate_on(&self) -> String {
        String::from_utf8_lossy(
            &self
                .cmd(&["display-message", "-p", "-t", "t", "#{alternate_on}"])
                .stdout,
        )
        .trim()
        .to_string()
    }
    /// Waits until the pane shows `what`.
    fn wait_for(&self, what: &str, secs: u64) -> String {
        let t = Instant::now();
        loop {
            let s = self.capture();
            if s.contains(what) {
                return s;
            }
            if t.elapsed() > Duration::from_secs(secs) {
                panic!("`{what}` did not appear within {secs} s; the pane shows:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

/// The terminal is back to normal: the main screen, canonical mode and echo on.
fn assert_restored(t: &Tmux) {
    let s = t.wait_for("MODES", 20);
    let modes: Vec<&str> = s
        .lines()
        .find(|l| l.contains("MODES"))
        .unwrap()
        .split_whitespace()
        .collect();
    assert!(
        modes.contains(&"icanon"),
        "raw mode left on: {modes:?}\n{s}"
    );
    assert!(modes.contains(&"echo"), "echo left off: {modes:?}\n{s}");
    assert_eq!(t.alternate_on(), "0", "still on the alternate screen:\n{s}");
}

#[test]
fn runs_for_real_under_tmux() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed (apt-get install -y tmux)");
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let t = Tmux::new("run");
    t.start("run", "NO_COLOR=1");
    // (libtest prints "running 1 test" first: wait for the screen itself.)
    let s = t.wait_for("Pending write queue", 60);
    assert!(s.contains("xrcsim"), "{s}");
    assert!(s.contains("▶ running"), "{s}");
    assert!(s.contains("Data-loss window"), "{s}");
    t.keys(&["?"]);
    t.wait_for("? or Esc closes", 10);
    t.keys(&["Escape"]);
    // Full speed: the header's frame counter.
    t.keys(&["+"; 10]);
    let mut best = 0.0f64;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(4) {
        std::thread::sleep(Duration::from_millis(700));
        let s = t.capture();
        if let Some(fps) = s
            .lines()
            .next()
            .and_then(|l| l.split("fps ").nth(1))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
        {
            best = best.max(fps);
        }
    }
    eprintln!("tmux, full speed: {best} frames per second");
    assert!(best >= 20.0, "{best} frames per second at full speed");
    t.keys(&["-"; 10]);
    t.keys(&["d"]);
    let s = t.wait_for("Recovery result", 20);
    t.wait_for("CONSISTENT", 20);
    assert!(s.contains("disaster"), "{s}");
    t.keys(&["b"]);
    t.wait_for("paused", 10);
    t.keys(&["q"]);
    t.wait_for("EXIT=0", 20);
    assert_restored(&t);
}

#[test]
fn ctrl_c_quits_and_restores_the_terminal() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed (apt-get install -y tmux)");
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let t = Tmux::new("ctrlc");
    t.start("run", "");
    t.wait_for("Pending write queue", 60);
    t.keys(&["C-c"]);
    t.wait_for("EXIT=0", 20);
    assert_restored(&t);
}

#[test]
fn a_panic_restores_the_terminal_and_shows_the_message() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed (apt-get install -y tmux)");
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let t = Tmux::new("panic");
    t.start("panic", "");
    let s = t.wait_for("EXIT=", 60);
    assert!(!s.contains("EXIT=0"), "the child should fail:\n{s}");
    assert!(
        s.contains("a deliberate panic inside the terminal loop"),
        "the panic message is readable:\n{s}"
    );
    assert_restored(&t);
}
