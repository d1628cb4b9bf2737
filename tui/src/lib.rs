//! # tui: the interactive terminal UI of xrcsim (`xrcsim tui`)
//!
//! Watch writes flow from the hosts to the secondary, see the pending write queue of
//! Fig. 5 of EP 0 617 362 fill and drain, strike the primary site, and read what survived.
//! Built on the same runner as the CLI ([`scenarios::runner::start`] and
//! [`scenarios::runner::make_report`]): there is no second simulation path.
//!
//! - [`keymap`]: the [`Action`]s and the one key table the loop and the help overlay share;
//! - [`app`]: the [`App`] state machine (`handle(Action)`, `tick(wall)`), pure but for the
//!   wall-clock budget of a simulation slice;
//! - [`ui`]: drawing the screen from an `&App`;
//! - [`term`]: the terminal loop, the panic hook and the guard that restores the terminal;
//! - [`log`], [`metrics`], [`theme`]: the event log, the live figures, the styles.
//!
//! See `docs/tui.md`.

#![warn(missing_docs)]

pub mod app;
pub mod keymap;
pub mod log;
pub mod metrics;
pub mod term;
pub mod theme;
pub mod ui;

pub use app::{App, Options, Phase};
pub use keymap::{Action, KeyBinding, Panel, keymap};
pub use term::{run, run_with};
