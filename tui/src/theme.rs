//! Styles. Only the terminal's own foreground and background plus the basic ANSI colours
//! that read on both light and dark backgrounds (green, red, magenta, cyan), never a fixed
//! background colour. With `NO_COLOR` (<https://no-color.org>) every style is colourless
//! and meaning is carried by glyphs and by bold, reverse and dim text alone.

use ratatui::style::{Color, Modifier, Style};

/// The palette of one screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    /// Colours on (false under `NO_COLOR`).
    pub color: bool,
}

impl Theme {
    /// Colours unless `NO_COLOR` is set to a non-empty value.
    pub fn from_env() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// Plain text.
    pub fn text(&self) -> Style {
        Style::new()
    }
    /// Labels and secondary figures.
    pub fn dim(&self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }
    /// Emphasis.
    pub fn bold(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    /// Panel titles.
    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    /// The border of the focused panel.
    pub fn focus(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    /// The border of other panels.
    pub fn border(&self) -> Style {
        Style::new()
    }
    /// Good news: complete entries, a consistent image, running.
    pub fn good(&self) -> Style {
        self.fg(Color::Green)
    }
    /// Bad news: lost writes, an inconsistent image, missing tokens, the disaster.
    pub fn bad(&self) -> Style {
        if self.color {
            self.fg(Color::Red).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        }
    }
    /// Something waited for: tokens without data.
    pub fn warn(&self) -> Style {
        self.fg(Color::Magenta)
    }
    /// Complete entries held behind an incomplete one (Fig. 5's entries between A and B).
    pub fn held(&self) -> Style {
        self.fg(Color::Cyan)
    }
    /// The consistency point A and the last token B.
    pub fn marker(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
    }
    /// The header bar's name tag.
    pub fn tag(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
    }
    /// Sparklines and charts.
    pub fn plot(&self) -> Style {
        self.fg(Color::Green)
    }
    /// A second plotted series.
    pub fn plot2(&self) -> Style {
        self.fg(Color::Magenta)
    }
}
