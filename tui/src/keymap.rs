//! What the user can ask for ([`Action`]) and the one table that binds keys to it
//! ([`keymap`]). The event loop looks keys up here and the help overlay lists this same
//! table, so the keys the help shows are the keys the program obeys.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// A panel of the main screen (focus, mouse clicks, scrolling).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Panel {
    /// The copy pipeline: hosts to secondary sites (the recovery result after a disaster).
    Topology,
    /// The link to the shown site: utilisation and bytes in flight.
    Link,
    /// The data-loss window (RPO lag) gauge and history.
    Loss,
    /// The event log.
    Log,
    /// The secondary's pending write queue (Fig. 5 of EP 0 617 362).
    Queue,
}

impl Panel {
    /// Every panel in focus order (`Tab`).
    pub const ALL: [Panel; 5] = [
        Panel::Topology,
        Panel::Queue,
        Panel::Link,
        Panel::Loss,
        Panel::Log,
    ];

    /// The panel after this one in focus order.
    pub fn next(self) -> Panel {
        let i = Panel::ALL.iter().position(|p| *p == self).unwrap_or(0);
        Panel::ALL[(i + 1) % Panel::ALL.len()]
    }

    /// The panel before this one in focus order.
    pub fn prev(self) -> Panel {
        let i = Panel::ALL.iter().position(|p| *p == self).unwrap_or(0);
        Panel::ALL[(i + Panel::ALL.len() - 1) % Panel::ALL.len()]
    }
}

/// Everything the user can ask the application to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Play or pause the simulation.
    TogglePlay,
    /// Dispatch exactly one simulation event (pauses).
    Step,
    /// More simulated seconds per wall-clock second.
    Faster,
    /// Fewer simulated seconds per wall-clock second.
    Slower,
    /// The primary site is lost now.
    Disaster,
    /// Back to the instant before the disaster (a snapshot of the simulation).
    Branch,
    /// Same workload and seed, next copy mode, replayed to the same simulated time.
    CycleMode,
    /// Show the next secondary site's queue, link and window.
    NextSite,
    /// Show or hide the help overlay.
    ToggleHelp,
    /// Close the help overlay, or cancel typing a filter.
    Back,
    /// Focus the next panel.
    FocusNext,
    /// Focus the previous panel.
    FocusPrev,
    /// Focus a given panel (mouse click).
    Focus(Panel),
    /// Scroll the focused panel by lines (negative: towards older / the top).
    Scroll(i32),
    /// Scroll a given panel by lines (mouse wheel over it).
    ScrollPanel(Panel, i32),
    /// Scroll the focused panel to its start (oldest).
    ScrollHome,
    /// Scroll the focused panel to its end (newest, following).
    ScrollEnd,
    /// Next event-type filter of the log.
    CycleFilter,
    /// Start typing a substring filter for the log.
    StartSearch,
    /// A character typed into the filter.
    SearchChar(char),
    /// Delete the last character of the filter.
    SearchBackspace,
    /// Keep the typed filter and stop typing.
    SearchCommit,
    /// Quit, restoring the terminal.
    Quit,
}

/// A key with its modifiers, as it appears in the keymap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyBinding {
    /// The key.
    pub code: KeyCode,
    /// Modifiers that must be held (Shift is ignored for printable characters).
    pub mods: KeyModifiers,
}

impl KeyBinding {
    /// A key without modifiers.
    pub const fn key(code: KeyCode) -> Self {
        KeyBinding {
            code,
            mods: KeyModifiers::NONE,
        }
    }
    /// A printable character.
    pub const fn ch(c: char) -> Self {
        KeyBinding::key(KeyCode::Char(c))
    }
    /// Ctrl + a character.
    pub const fn ctrl(c: char) -> Self {
        KeyBinding {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    /// Whether key event `e` is this binding.
    pub fn matches(&self, e: &KeyEvent) -> bool {
        if e.code != self.code {
            return false;
        }
        // Shift is part of the character for printable keys (`+`, `?`).
        let relevant = KeyModifiers::CONTROL | KeyModifiers::ALT;
        let mods = if matches!(e.code, KeyCode::Char(_)) {
            e.modifiers & relevant
        } else {
            e.modifiers & (relevant | KeyModifiers::SHIFT)
        };
        mods == self.mods
    }

    /// How the help overlay names the key: `Space`, `q`, `Ctrl-C`, `PgUp`, ...
    pub fn label(&self) -> String {
        let key = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) if self.mods.contains(KeyModifiers::CONTROL) => {
                c.to_ascii_uppercase().to_string()
            }
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Up => "Up".into(),
            KeyCode::Down => "Down".into(),
            KeyCode::Left => "Left".into(),
            KeyCode::Right => "Right".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{key}")
        } else {
            key
        }
    }
}

/// Lines one page of scrolling moves.
pub const PAGE: i32 = 10;

static KEYMAP: [(KeyBinding, Action, &str); 26] = [
    (KeyBinding::ch(' '), Action::TogglePlay, "play / pause"),
    (
        KeyBinding::ch('n'),
        Action::Step,
        "step: one event (pauses)",
    ),
    (
        KeyBinding::ch('+'),
        Action::Faster,
        "faster (sim s per wall s)",
    ),
    (
        KeyBinding::ch('='),
        Action::Faster,
        "faster (sim s per wall s)",
    ),
    (KeyBinding::ch('-'), Action::Slower, "slower"),
    (
        KeyBinding::ch('d'),
        Action::Disaster,
        "disaster: lose primary now",
    ),
    (
        KeyBinding::ch('b'),
        Action::Branch,
        "branch: back before disaster",
    ),
    (
        KeyBinding::ch('m'),
        Action::CycleMode,
        "next mode, same workload",
    ),
    (KeyBinding::ch('s'), Action::NextSite, "next secondary site"),
    (
        KeyBinding::ch('f'),
        Action::CycleFilter,
        "log: next event-type filter",
    ),
    (
        KeyBinding::ch('/'),
        Action::StartSearch,
        "log: type a text filter",
    ),
    (
        KeyBinding::key(KeyCode::Tab),
        Action::FocusNext,
        "focus next panel",
    ),
    (
        KeyBinding {
            code: KeyCode::BackTab,
            mods: KeyModifiers::SHIFT,
        },
        Action::FocusPrev,
        "focus previous panel",
    ),
    (
        KeyBinding::key(KeyCode::Up),
        Action::Scroll(-1),
        "scroll up",
    ),
    (KeyBinding::ch('k'), Action::Scroll(-1), "scroll up"),
    (
        KeyBinding::key(KeyCode::Down),
        Action::Scroll(1),
        "scroll down",
    ),
    (KeyBinding::ch('j'), Action::Scroll(1), "scroll down"),
    (
        KeyBinding::key(KeyCode::PageUp),
        Action::Scroll(-PAGE),
        "page up",
    ),
    (
        KeyBinding::key(KeyCode::PageDown),
        Action::Scroll(PAGE),
        "page down",
    ),
    (
        KeyBinding::key(KeyCode::Home),
        Action::ScrollHome,
        "scroll to start (oldest)",
    ),
    (
        KeyBinding::key(KeyCode::End),
        Action::ScrollEnd,
        "scroll to end (follow)",
    ),
    (
        KeyBinding::ch('?'),
        Action::ToggleHelp,
        "show / hide this help",
    ),
    (
        KeyBinding::key(KeyCode::Esc),
        Action::Back,
        "close help / clear filter",
    ),
    (
        KeyBinding::ch('q'),
        Action::Quit,
        "quit (restores terminal)",
    ),
    (
        KeyBinding::ctrl('c'),
        Action::Quit,
        "quit (restores terminal)",
    ),
    (
        KeyBinding::ctrl('q'),
        Action::Quit,
        "quit (restores terminal)",
    ),
];

/// The key bindings of the main screen: key, action, what it does. The event loop and the
/// help overlay both read this table.
pub fn keymap() -> &'static [(KeyBinding, Action, &'static str)] {
    &KEYMAP
}

static INPUT_KEYMAP: [(KeyBinding, Action, &str); 4] = [
    (
        KeyBinding::key(KeyCode::Enter),
        Action::SearchCommit,
        "keep the filter",
    ),
    (
        KeyBinding::key(KeyCode::Esc),
        Action::Back,
        "clear the filter",
    ),
    (
        KeyBinding::key(KeyCode::Backspace),
        Action::SearchBackspace,
        "delete a character",
    ),
    (KeyBinding::ctrl('c'), Action::Quit, "quit"),
];

/// The key bindings while a log filter is being typed (any other printable character is
/// added to the filter).
pub fn input_keymap() -> &'static [(KeyBinding, Action, &'static str)] {
    &INPUT_KEYMAP
}

/// What the mouse does (for the help overlay).
pub const MOUSE_HELP: [(&str, &str); 2] = [
    ("click", "focus the panel clicked"),
    ("wheel", "scroll queue or log under it"),
];

/// The action of key event `e`; `typing`: a log filter is being typed.
pub fn action_for(e: &KeyEvent, typing: bool) -> Option<Action> {
    if e.kind == KeyEventKind::Release {
        return None;
    }
    if typing {
        if let Some((_, a, _)) = input_keymap().iter().find(|(k, _, _)| k.matches(e)) {
            return Some(*a);
        }
        return match e.code {
            KeyCode::Char(c)
                if !e
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                Some(Action::SearchChar(c))
            }
            _ => None,
        };
    }
    keymap()
        .iter()
        .find(|(k, _, _)| k.matches(e))
        .map(|(_, a, _)| *a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn every_binding_maps_to_its_action_and_no_key_is_bound_twice() {
        for (i, (k, a, _)) in keymap().iter().enumerate() {
            assert_eq!(action_for(&press(k.code, k.mods), false), Some(*a), "{k:?}");
            for (k2, _, _) in &keymap()[i + 1..] {
                assert_ne!(k, k2, "key bound twice");
            }
        }
        for (k, a, _) in input_keymap() {
            assert_eq!(action_for(&press(k.code, k.mods), true), Some(*a));
        }
    }

    #[test]
    fn shifted_printables_match_and_ctrl_does_not_leak() {
        // `+` and `?` come with Shift on most layouts.
        assert_eq!(
            action_for(&press(KeyCode::Char('+'), KeyModifiers::SHIFT), false),
            Some(Action::Faster)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('?'), KeyModifiers::SHIFT), false),
            Some(Action::ToggleHelp)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('c'), KeyModifiers::CONTROL), false),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('c'), KeyModifiers::NONE), false),
            None
        );
        // Ctrl-D is not the disaster key.
        assert_eq!(
            action_for(&press(KeyCode::Char('d'), KeyModifiers::CONTROL), false),
            None
        );
    }

    #[test]
    fn typing_sends_characters_to_the_filter() {
        assert_eq!(
            action_for(&press(KeyCode::Char('q'), KeyModifiers::NONE), true),
            Some(Action::SearchChar('q'))
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('c'), KeyModifiers::CONTROL), true),
            Some(Action::Quit)
        );
        let mut rel = press(KeyCode::Char('q'), KeyModifiers::NONE);
        rel.kind = KeyEventKind::Release;
        assert_eq!(action_for(&rel, false), None);
    }

    #[test]
    fn labels_read_as_keys() {
        assert_eq!(KeyBinding::ch(' ').label(), "Space");
        assert_eq!(KeyBinding::ctrl('c').label(), "Ctrl-C");
        assert_eq!(KeyBinding::key(KeyCode::PageUp).label(), "PgUp");
    }

    #[test]
    fn focus_order_cycles() {
        let mut p = Panel::Topology;
        for _ in 0..Panel::ALL.len() {
            p = p.next();
        }
        assert_eq!(p, Panel::Topology);
        assert_eq!(Panel::Topology.prev().next(), Panel::Topology);
    }
}
