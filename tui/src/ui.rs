//! Drawing: the whole screen from an `&App`, nothing else ([`draw`]). The layout is a pure
//! function of the terminal size and the app ([`panes`]), so the terminal loop uses the same
//! rectangles to route mouse clicks.

use crate::app::{App, MAX_SPEED, Phase, SPEEDS};
use crate::keymap::{Action, MOUSE_HELP, Panel, input_keymap, keymap};
use crate::log::{Kind, pretty};
use crate::theme::Theme;
use models::types::SiteId;
use models::world::secondary::PendingView;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::{self, Marker};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, BorderType, Chart, Clear, Dataset, GraphType, LineGauge, Paragraph, Sparkline,
};
use scenarios::report::Report;
use sim::SimTime;

/// The smallest terminal the screen is drawn in (below it: a "too small" message).
pub const MIN_WIDTH: u16 = 80;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u16 = 24;

/// Where each part of the screen goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Panes {
    /// The header bar.
    pub header: Rect,
    /// Topology (or the recovery result).
    pub topology: Rect,
    /// Link utilisation and bytes in flight.
    pub link: Rect,
    /// Data-loss window.
    pub loss: Rect,
    /// Event log.
    pub log: Rect,
    /// Pending write queue.
    pub queue: Rect,
    /// The footer bar (key hints, messages, the filter being typed).
    pub footer: Rect,
}

impl Panes {
    /// The panel at column `x`, row `y`.
    pub fn panel_at(&self, x: u16, y: u16) -> Option<Panel> {
        let hit = |r: Rect| x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height;
        [
            (self.topology, Panel::Topology),
            (self.link, Panel::Link),
            (self.loss, Panel::Loss),
            (self.log, Panel::Log),
            (self.queue, Panel::Queue),
        ]
        .into_iter()
        .find(|(r, _)| hit(*r))
        .map(|(_, p)| p)
    }
}

/// The layout for a terminal of size `area` (`None`: too small).
pub fn panes(area: Rect, app: &App) -> Option<Panes> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let right = (body.width * 38 / 100).max(34);
    let [left, queue] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(right)]).areas(body);
    let h = left.height;
    let (want, share) = if app.report().is_some() {
        (report_lines(app) as u16 + 2, 55)
    } else {
        (topology_lines(app) as u16 + 2, 45)
    };
    let top = want.min(h * share / 100).max(5);
    let rest = h.saturating_sub(top);
    let mid = (rest / 2).clamp(6, 14).min(rest.saturating_sub(4));
    let [topology, middle, log] = Layout::vertical([
        Constraint::Length(top),
        Constraint::Length(mid),
        Constraint::Fill(1),
    ])
    .areas(left);
    let [link, loss] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(middle);
    Some(Panes {
        header,
        topology,
        link,
        loss,
        log,
        queue,
        footer,
    })
}

/// Draws the whole screen.
pub fn draw(f: &mut Frame, app: &App) {
    let th = app.theme();
    let area = f.area();
    let Some(p) = panes(area, app) else {
        let msg = vec![
            Line::from(Span::styled("terminal too small", th.bold())),
            Line::from(format!(
                "{}x{}: xrcsim tui needs at least {MIN_WIDTH}x{MIN_HEIGHT}",
                area.width, area.height
            )),
            Line::from("enlarge the window, or q to quit"),
        ];
        let y = area.height.saturating_sub(3) / 2;
        let r = Rect::new(area.x, area.y + y, area.width, area.height.min(3));
        f.render_widget(
            Paragraph::new(msg)
                .alignment(Alignment::Center)
                .wrap(ratatui::widgets::Wrap { trim: true }),
            r,
        );
        return;
    };
    header(f, p.header, app, &th);
    if app.report().is_some() {
        report(f, p.topology, app, &th);
    } else {
        topology(f, p.topology, app, &th);
    }
    link(f, p.link, app, &th);
    loss(f, p.loss, app, &th);
    log(f, p.log, app, &th);
    queue(f, p.queue, app, &th);
    footer(f, p.footer, app, &th);
    if app.help() {
        help(f, area, &th);
    }
}

// ----- formatting -----

/// `12.345678 s`.
pub fn secs(t: SimTime) -> String {
    let ns = t.as_nanos();
    format!(
        "{}.{:06} s",
        ns / 1_000_000_000,
        (ns % 1_000_000_000) / 1000
    )
}

/// A duration in ns as `850 ns`, `12.5 us`, `23.456 ms`, `12.35 s`.
pub fn dur(ns: u64) -> String {
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{:.1} us", ns as f64 / 1e3)
    } else if ns < 10_000_000_000 {
        format!("{:.3} ms", ns as f64 / 1e6)
    } else {
        format!("{:.2} s", ns as f64 / 1e9)
    }
}

/// Bytes as `512 B`, `34.1 kB`, `2.10 MB`, `1.20 GB`.
pub fn bytes(b: u64) -> String {
    let f = b as f64;
    if f >= 1e9 {
        format!("{:.2} GB", f / 1e9)
    } else if f >= 1e6 {
        format!("{:.2} MB", f / 1e6)
    } else if f >= 1e3 {
        format!("{:.1} kB", f / 1e3)
    } else {
        format!("{b} B")
    }
}

/// A rate per simulated second: `452/s`, `12.3k/s`.
pub fn rate(r: f64) -> String {
    if r >= 10_000.0 {
        format!("{:.1}k/s", r / 1e3)
    } else {
        format!("{r:.0}/s")
    }
}

/// A speed in simulated seconds per wall second.
pub fn speed_label(i: usize) -> String {
    let sp = SPEEDS[i.min(SPEEDS.len() - 1)];
    if sp == MAX_SPEED {
        "max".into()
    } else {
        let s = sp as f64 / 1e9;
        if s >= 1.0 {
            format!("{s:.0} s/s")
        } else {
            format!("{s} s/s")
        }
    }
}

fn block<'a>(title: impl Into<Line<'a>>, focused: bool, th: &Theme) -> Block<'a> {
    Block::bordered()
        .title(title.into().style(th.title()))
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(if focused { th.focus() } else { th.border() })
}

fn label(s: &str, w: usize, th: &Theme) -> Span<'static> {
    Span::styled(format!("{s:<w$}"), th.dim())
}

// ----- header and footer -----

/// The run state as the header shows it.
pub fn state_label(app: &App) -> String {
    if app.failure().is_some() {
        return "stopped: see below".into();
    }
    match app.phase() {
        Phase::Replaying { .. } => format!(
            "replaying {:.0}%",
            app.replay_progress().unwrap_or(0.0) * 100.0
        ),
        Phase::Live if app.playing() => "running".into(),
        Phase::Live => "paused".into(),
        Phase::Recovering if app.playing() => "disaster: recovering".into(),
        Phase::Recovering => "disaster: recovering (paused)".into(),
        Phase::Done if app.report().is_some_and(|r| r.disaster_at_ns.is_some()) => {
            "disaster: recovered".into()
        }
        Phase::Done => "ended: evaluated".into(),
    }
}

/// `12.345 s`: simulated time to the millisecond, for a narrow header.
pub fn secs_short(t: SimTime) -> String {
    let ns = t.as_nanos();
    format!(
        "{}.{:03} s",
        ns / 1_000_000_000,
        (ns % 1_000_000_000) / 1_000_000
    )
}

/// Display width of spans.
fn spans_width(spans: &[Span]) -> usize {
    spans.iter().map(|s| s.width()).sum()
}

/// The first of `variants` (widest and most explicit first) that fits `width` columns;
/// when none does, the last one cut to the width with `…` at the end, so that a cut is
/// never silent.
pub fn fit_line(variants: Vec<Line<'static>>, width: usize) -> Line<'static> {
    let mut last = Line::default();
    for v in variants {
        if v.width() <= width {
            return v;
        }
        last = v;
    }
    ellipsize(last, width)
}

/// `line` cut to `width` columns, its last column `…` when anything was cut.
pub fn ellipsize(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    let style = line.style;
    let mut room = width.saturating_sub(1);
    let mut spans = Vec::new();
    for sp in line.spans {
        if room == 0 {
            break;
        }
        let mut text = String::new();
        for ch in sp.content.chars() {
            let w = Span::raw(ch.to_string()).width();
            if w > room {
                room = 0;
                break;
            }
            room -= w;
            text.push(ch);
        }
        spans.push(Span::styled(text, sp.style));
    }
    if width > 0 {
        spans.push(Span::raw("…"));
    }
    Line::from(spans).style(style)
}

/// Segments of a line by priority (higher kept longer), joined by `sep`: while the line is
/// wider than `width`, the lowest-priority segment goes. A segment of priority
/// `u8::MAX` is never dropped.
fn fit_segments<'a>(
    mut segs: Vec<(u8, Vec<Span<'a>>)>,
    sep: &Span<'a>,
    lead: Vec<Span<'a>>,
    width: usize,
) -> Line<'a> {
    let total = |segs: &[(u8, Vec<Span<'a>>)]| -> usize {
        spans_width(&lead)
            + segs.iter().map(|(_, s)| spans_width(s)).sum::<usize>()
            + sep.width() * segs.len().saturating_sub(1)
    };
    while total(&segs) > width {
        let Some((i, _)) = segs
            .iter()
            .enumerate()
            .filter(|(_, (p, _))| *p != u8::MAX)
            .min_by_key(|(i, (p, _))| (*p, std::cmp::Reverse(*i)))
        else {
            break;
        };
        segs.remove(i);
    }
    let mut spans = lead;
    for (k, (_, seg)) in segs.into_iter().enumerate() {
        if k > 0 {
            spans.push(sep.clone());
        }
        spans.extend(seg);
    }
    Line::from(spans)
}

fn header(f: &mut Frame, r: Rect, app: &App, th: &Theme) {
    let wide = header_line(app, th, None);
    let line = if wide.width() <= r.width as usize {
        wide
    } else {
        header_line(app, th, Some(r.width as usize))
    };
    f.render_widget(Paragraph::new(line), r);
}

/// The header; `fit` (a width): times to the millisecond, shorter labels and, by priority,
/// what fits (the run state and the disaster are kept longest).
fn header_line(app: &App, th: &Theme, fit: Option<usize>) -> Line<'static> {
    let narrow = fit.is_some();
    let state = state_label(app);
    let st_style = match app.phase() {
        Phase::Live if app.playing() => th.good().add_modifier(Modifier::BOLD),
        Phase::Live => th.bold(),
        Phase::Recovering | Phase::Done => th.bad(),
        Phase::Replaying { .. } => th.warn().add_modifier(Modifier::BOLD),
    };
    let icon = match app.phase() {
        Phase::Live if app.playing() => "▶ ",
        Phase::Live => "‖ ",
        Phase::Replaying { .. } => "↻ ",
        _ => "✖ ",
    };
    let time = |t: SimTime| if narrow { secs_short(t) } else { secs(t) };
    let mut segs: Vec<(u8, Vec<Span<'static>>)> = vec![
        (
            6,
            vec![Span::styled(app.built().world.name.clone(), th.bold())],
        ),
        (
            8,
            vec![
                Span::raw(if narrow { "" } else { "mode " }),
                Span::styled(app.mode().name(), th.bold()),
            ],
        ),
        (
            3,
            vec![Span::raw(format!("seed {}", app.built().world.run.seed))],
        ),
        (9, vec![Span::raw(format!("t {}", time(app.sim().now())))]),
        (
            u8::MAX,
            vec![Span::styled(format!("{icon}{state}"), st_style)],
        ),
    ];
    let mut speed = vec![Span::raw(if narrow {
        speed_label(app.speed())
    } else {
        format!("speed {}", speed_label(app.speed()))
    })];
    if let Some(a) = app.achieved_speed()
        && app.playing()
        && matches!(app.phase(), Phase::Live | Phase::Recovering)
    {
        let want = SPEEDS[app.speed()];
        if want == MAX_SPEED || (a * 1e9) < want as f64 * 0.9 {
            let txt = if a >= 10.0 {
                format!("{a:.0}")
            } else if a >= 1.0 {
                format!("{a:.1}")
            } else {
                format!("{a:.3}")
            };
            speed.push(Span::styled(format!(" (achieved {txt} s/s)"), th.dim()));
        }
    }
    segs.push((5, speed));
    match (app.manual_strike(), app.scheduled_disaster()) {
        (Some(t), _) => {
            segs.push((
                10,
                vec![Span::styled(format!("struck at {}", time(t)), th.bad())],
            ));
        }
        (None, Some(t)) if app.sim().model().primary_alive() => {
            segs.push((
                10,
                vec![Span::raw(format!(
                    "{} {}",
                    if narrow {
                        "disaster at"
                    } else {
                        "disaster scheduled"
                    },
                    time(t)
                ))],
            ));
        }
        _ => {}
    }
    if let Some(fps) = app.fps() {
        segs.push((1, vec![Span::styled(format!("fps {fps:.0}"), th.dim())]));
    }
    let lead = if narrow {
        vec![Span::raw(" ")]
    } else {
        vec![Span::styled(" xrcsim ", th.tag()), Span::raw(" ")]
    };
    fit_segments(
        segs,
        &Span::styled(" │ ", th.dim()),
        lead,
        fit.unwrap_or(usize::MAX),
    )
}

/// The first key of `a` in the keymap (for the footer's hints).
fn key_of(a: Action) -> String {
    keymap()
        .iter()
        .find(|(_, x, _)| *x == a)
        .map(|(k, _, _)| k.label())
        .unwrap_or_default()
}

fn footer(f: &mut Frame, r: Rect, app: &App, th: &Theme) {
    let line = if let Some(e) = app.failure() {
        Line::from(vec![
            Span::styled(" stopped ", th.bad()),
            Span::raw(format!(" {e}")),
        ])
    } else if app.typing() {
        Line::from(vec![
            Span::styled(" / ", th.tag()),
            Span::raw(" log filter: "),
            Span::styled(format!("{}█", app.log().filter().text), th.bold()),
            Span::styled("   Enter keep · Esc clear", th.dim()),
        ])
    } else if let Some(m) = app.message() {
        Line::from(vec![
            Span::styled(" ▸ ", th.tag()),
            Span::raw(format!(" {m}")),
        ])
    } else {
        let hints = [
            (key_of(Action::ToggleHelp), "help"),
            (key_of(Action::TogglePlay), "play"),
            (key_of(Action::Step), "step"),
            (
                format!("{}/{}", key_of(Action::Faster), key_of(Action::Slower)),
                "speed",
            ),
            (key_of(Action::Disaster), "disaster"),
            (key_of(Action::Branch), "branch"),
            (key_of(Action::CycleMode), "mode"),
            (key_of(Action::CycleFilter), "filter"),
            (key_of(Action::StartSearch), "search"),
            (key_of(Action::Quit), "quit"),
        ];
        // Priorities: help, quit and search are kept longest; step, speed and filter go
        // first on a narrow terminal (the help lists them all).
        const PRIORITY: [u8; 10] = [u8::MAX, 7, 2, 3, 8, 6, 5, 1, u8::MAX, u8::MAX];
        let segs: Vec<(u8, Vec<Span>)> = hints
            .into_iter()
            .zip(PRIORITY)
            .map(|((k, what), p)| {
                (
                    p,
                    vec![Span::styled(k, th.tag()), Span::raw(format!(" {what}"))],
                )
            })
            .collect();
        fit_segments(
            segs,
            &Span::raw("  "),
            vec![Span::raw(" ")],
            r.width as usize,
        )
    };
    f.render_widget(Paragraph::new(line), r);
}

// ----- topology -----

fn primary_subsystems(app: &App) -> Vec<usize> {
    app.built()
        .world
        .subsystems
        .iter()
        .enumerate()
        .filter(|(_, s)| s.site.is_none())
        .map(|(i, _)| i)
        .collect()
}

fn topology_lines(app: &App) -> usize {
    1 + primary_subsystems(app).len() + 2 + 2 * app.built().world.sites.len()
}

fn topology(f: &mut Frame, r: Rect, app: &App, th: &Theme) {
    let w = app.sim().model();
    let cfg = w.config();
    let m = app.metrics();
    let now = app.sim().now();
    let g = app.gauges();
    const L: usize = 13;
    // Each line in its full form, or a shorter one when the panel is narrow (80x24).
    let iw = r.width.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    // Hosts.
    let mut spans = vec![label("hosts", L, th)];
    for (h, host) in cfg.hosts.iter().enumerate() {
        spans.push(Span::styled(host.name.clone(), th.bold()));
        spans.push(Span::raw(format!(
            " {}  ",
            rate(m.rate(now, |t| t.seq_by_host[h]))
        )));
    }
    let shared = m.rate(now, |t| t.seq_by_host[cfg.hosts.len()]);
    if shared > 0.0 {
        spans.push(Span::raw(format!("shared volumes {}  ", rate(shared))));
    }
    let all = rate(m.rate(now, |t| t.host_writes));
    let mut full = spans.clone();
    full.push(Span::styled(format!("(all writes {all})"), th.dim()));
    let mut short = spans.clone();
    short.push(Span::styled(format!("Σ {all}"), th.dim()));
    // Unit checks and the hosts' error recovery, once there are any.
    let st = &w.stats;
    if st.unit_checks > 0 {
        full.push(Span::raw(format!(
            "  unit checks {} (retried {}, failed {})",
            st.unit_checks, st.retries, st.failed_requests
        )));
        short.push(Span::raw(format!("  UC {}", st.unit_checks)));
    }
    lines.push(fit_line(
        vec![Line::from(full), Line::from(short), Line::from(spans)],
        iw,
    ));
    // Storage controls: one line each, or one line for all when they do not fit (the site
    // lines with A and B must).
    let pss = primary_subsystems(app);
    let room = r.height.saturating_sub(2) as usize;
    let others = 1 + 2 + 2 * g.sites.len();
    if pss.len() > 1 && others + pss.len() > room {
        let (mut tracks, mut cap, mut nvs_used, mut nvs_bytes, mut wait) = (0, 0, 0, 0, 0);
        for &ss in &pss {
            let sg = w.storage_gauges(ss);
            tracks += sg.cache_tracks;
            cap += sg.cache_capacity;
            nvs_used += sg.nvs_used;
            nvs_bytes += sg.nvs_bytes;
            wait += sg.path_wait;
        }
        let all: f64 = pss.iter().map(|&ss| m.rate(now, |t| t.seq_by_ss[ss])).sum();
        let (cache, nvs) = (
            (tracks * 100).checked_div(cap).unwrap_or(0),
            (nvs_used * 100).checked_div(nvs_bytes).unwrap_or(0),
        );
        let what = label(&format!("↓ {} storage controls", pss.len()), L, th);
        lines.push(fit_line(
            vec![
                Line::from(vec![
                    what.clone(),
                    Span::raw(format!(
                        " {} writes  cache {cache}%  NVS {nvs}% ({})  path wait {wait}",
                        rate(all),
                        bytes(nvs_used),
                    )),
                ]),
                Line::from(vec![
                    what.clone(),
                    Span::raw(format!(" {}  cache {cache}%  NVS {nvs}%", rate(all))),
                ]),
                Line::from(vec![what, Span::raw(format!(" {}  NVS {nvs}%", rate(all)))]),
            ],
            iw,
        ));
    }
    for ss in pss
        .iter()
        .copied()
        .filter(|_| pss.len() == 1 || others + pss.len() <= room)
    {
        let sg = w.storage_gauges(ss);
        let cache = (sg.cache_tracks * 100)
            .checked_div(sg.cache_capacity)
            .unwrap_or(0);
        let nvs = (sg.nvs_used * 100).checked_div(sg.nvs_bytes).unwrap_or(0);
        let what = label(&format!("↓ {}", cfg.subsystems[ss].name), L, th);
        let writes = rate(m.rate(now, |t| t.seq_by_ss[ss]));
        lines.push(fit_line(
            vec![
                Line::from(vec![
                    what.clone(),
                    Span::raw(format!(
                        "{writes} writes  cache {cache}%  NVS {nvs}% ({})  path wait {}",
                        bytes(sg.nvs_used),
                        sg.path_wait
                    )),
                ]),
                Line::from(vec![
                    what,
                    Span::raw(format!(
                        "{writes}  cache {cache}%  NVS {nvs}%  wait {}",
                        sg.path_wait
                    )),
                ]),
            ],
            iw,
        ));
    }
    // Serializer, sidefile, movers.
    let numbered = rate(m.rate(now, |t| t.seqs));
    lines.push(fit_line(
        vec![
            Line::from(vec![
                label("↓ serializer", L, th),
                Span::raw(format!(
                    "queue {}  last seq {}  {numbered} numbered",
                    g.serializer_queue, g.last_seq,
                )),
            ]),
            Line::from(vec![
                label("↓ serializer", L, th),
                Span::raw(format!(
                    "queue {}  seq {}  {numbered}",
                    g.serializer_queue, g.last_seq,
                )),
            ]),
        ],
        iw,
    ));
    let movers = cfg.copy.movers.max(1);
    let (reads, msgs) = (
        rate(m.rate(now, |t| t.mover_reads)),
        rate(m.rate(now, |t| t.messages)),
    );
    // The volume pairs' states, when any is not duplex (XQUERY's PND/SUS).
    let pairs = w.pair_state_counts();
    let pair_note = if pairs[0] + pairs[2] + pairs[3] > 0 {
        let mut parts = Vec::new();
        for (n, what) in pairs
            .iter()
            .zip(["pending", "duplex", "suspended", "ended"])
        {
            if *n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        format!("  pairs {}", parts.join(", "))
    } else {
        String::new()
    };
    // zgm: the session's consistency time (the earliest of its SDM sessions').
    let zgm_note = w
        .zgm_sessions()
        .iter()
        .map(|x| x.consistency_time_ns)
        .min()
        .map_or(String::new(), |t| {
            format!("  consistency time {:.3} s", t as f64 / 1e9)
        });
    let short = format!("↓ {movers} mover{}", if movers == 1 { "" } else { "s" });
    lines.push(fit_line(
        vec![
            Line::from(vec![
                label("↓ movers", L, th),
                Span::raw(format!(
                    "{movers} mover(s)  queue {}  sidefile {}  reads {reads}  messages {msgs}{pair_note}{zgm_note}",
                    g.mover_queue, g.sidefile,
                )),
            ]),
            Line::from(vec![
                label(&short, L, th),
                Span::raw(format!(
                    "queue {}  sidefile {}  msgs {msgs}{pair_note}{zgm_note}",
                    g.mover_queue, g.sidefile,
                )),
            ]),
            Line::from(vec![
                label(&short, L, th),
                Span::raw(format!(
                    "queue {}  sidefile {}{pair_note}",
                    g.mover_queue, g.sidefile
                )),
            ]),
        ],
        iw,
    ));
    // Each site's link on its own line, or, when they do not fit, folded into the site's
    // line after A and B.
    let ss_lines = if pss.len() > 1 && others + pss.len() > room {
        1
    } else {
        pss.len()
    };
    let fold_links = 3 + ss_lines + 2 * g.sites.len() > room;
    for (i, s) in g.sites.iter().enumerate() {
        let name = &cfg.sites[i].name;
        let util = m.util[i].back().copied().unwrap_or(0);
        let up = if s.link_up {
            Span::styled("up", th.good())
        } else {
            Span::styled("DOWN", th.bad())
        };
        if !fold_links {
            let what = label(&format!("↓ link {name}"), L, th);
            lines.push(fit_line(
                vec![
                    Line::from(vec![
                        what.clone(),
                        Span::raw(format!(
                            "on wire {} ({})  queued {}  util {}.{}%  ",
                            s.link_in_flight,
                            bytes(s.link_bytes_in_flight),
                            s.link_queue,
                            util / 10,
                            util % 10
                        )),
                        up.clone(),
                    ]),
                    Line::from(vec![
                        what,
                        Span::raw(format!(
                            "wire {}  queue {}  {}.{}% ",
                            bytes(s.link_bytes_in_flight),
                            s.link_queue,
                            util / 10,
                            util % 10
                        )),
                        up.clone(),
                    ]),
                ],
                iw,
            ));
        }
        let mut spans = vec![
            label(&format!("→ site {name}"), L, th),
            Span::styled(format!("A {}", s.consistency_seq), th.good()),
            Span::raw("  "),
            Span::styled(format!("B {}", s.highest_token_seq), th.warn()),
        ];
        if fold_links {
            spans.push(Span::raw(format!("  link {}.{}% ", util / 10, util % 10)));
            spans.push(up);
        }
        let applied = rate(m.rate(now, |t| t.applied[i]));
        let mut full = spans.clone();
        full.push(Span::raw(format!(
            "  pending {}  writing {}  applied {applied}",
            s.pending, s.applying,
        )));
        let mut mid = spans.clone();
        mid.push(Span::raw(format!(
            "  pending {}  writing {}",
            s.pending, s.applying
        )));
        let mut short = spans.clone();
        short.push(Span::raw(format!("  pending {}", s.pending)));
        // A and B are never cut: the shortest form is them alone.
        lines.push(fit_line(
            vec![
                Line::from(full),
                Line::from(mid),
                Line::from(short),
                Line::from(spans),
            ],
            iw,
        ));
    }
    let path = if w.primary_alive() {
        "hosts → storage controls → serializer → movers → link → secondary "
    } else {
        "primary site lost "
    };
    let title = fit_line(
        vec![
            Line::from(vec![Span::raw(" Topology "), Span::styled(path, th.dim())]),
            Line::from(vec![
                Span::raw(" Topology "),
                Span::styled(
                    if w.primary_alive() {
                        "hosts → storage → movers → site "
                    } else {
                        path
                    },
                    th.dim(),
                ),
            ]),
            Line::from(" Topology "),
        ],
        iw,
    );
    f.render_widget(
        Paragraph::new(lines).block(block(title, app.focus() == Panel::Topology, th)),
        r,
    );
}

// ----- recovery report -----

fn report_lines(app: &App) -> usize {
    let Some(r) = app.report() else { return 0 };
    2 + 5 * r.sites.len()
        + if app.tries().len() > 1 {
            1 + app.tries().len()
        } else {
            0
        }
}

fn verdict(s: &scenarios::report::SiteOut, th: &Theme) -> Vec<Span<'static>> {
    let c = &s.core;
    if c.prefix_consistent && c.dependent_write_violations == 0 {
        vec![
            Span::styled("CONSISTENT", th.good().add_modifier(Modifier::BOLD)),
            Span::raw(format!(
                ": image = primary after writes 1..{}",
                c.consistent_seq.unwrap_or(0)
            )),
        ]
    } else {
        vec![
            Span::styled("INCONSISTENT", th.bad()),
            Span::raw(format!(
                ": {} records differ from A, {} dependent-write violations",
                c.mismatched_records, c.dependent_write_violations
            )),
        ]
    }
}

fn report(f: &mut Frame, r: Rect, app: &App, th: &Theme) {
    let Some(rep): Option<&Report> = app.report() else {
        return;
    };
    // Each line in full, or shorter when the panel is narrow (80x24): never wrapped, so
    // every line keeps its row.
    let iw = r.width.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    let when = |t: &dyn Fn(SimTime) -> String| match rep.disaster_at_ns {
        Some(ns) => format!("disaster at {}", t(SimTime::from_nanos(ns))),
        None => "no disaster: evaluated at the end".into(),
    };
    lines.push(fit_line(
        vec![
            Line::from(vec![
                Span::styled(when(&secs), th.bold()),
                Span::raw(format!(
                    " · {} · seed {} · {} writes",
                    rep.mode, rep.seed, rep.primary.writes
                )),
            ]),
            Line::from(vec![
                Span::styled(when(&secs_short), th.bold()),
                Span::raw(format!(" · {} · {} writes", rep.mode, rep.primary.writes)),
            ]),
        ],
        iw,
    ));
    for s in &rep.sites {
        let c = &s.core;
        let a = Span::styled(format!(" A {} ", c.consistency_seq), th.marker());
        let b = Span::styled(format!(" B {} ", c.highest_token_seq), th.marker());
        let site = Span::styled(format!("{} ", c.site), th.bold());
        lines.push(fit_line(
            vec![
                Line::from(vec![
                    site.clone(),
                    a.clone(),
                    Span::styled(" consistency point · ", th.dim()),
                    b.clone(),
                    Span::styled(" last token", th.dim()),
                ]),
                Line::from(vec![site, a, Span::raw(" "), b]),
            ],
            iw,
        ));
        let mut v = vec![Span::raw("  ")];
        v.extend(verdict(s, th));
        let consistent = c.prefix_consistent && c.dependent_write_violations == 0;
        lines.push(fit_line(
            vec![
                Line::from(v),
                Line::from(vec![
                    Span::raw("  "),
                    if consistent {
                        Span::styled("CONSISTENT", th.good().add_modifier(Modifier::BOLD))
                    } else {
                        Span::styled("INCONSISTENT", th.bad())
                    },
                    Span::raw(if consistent {
                        format!(": writes 1..{}", c.consistent_seq.unwrap_or(0))
                    } else {
                        format!(
                            ": {} records, {} dep. writes",
                            c.mismatched_records, c.dependent_write_violations
                        )
                    }),
                ]),
            ],
            iw,
        ));
        let lost_style = if c.lost_writes > 0 {
            th.bad()
        } else {
            th.good()
        };
        let mut ds = c
            .lost_datasets
            .iter()
            .take(6)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if c.lost_datasets.len() > 6 {
            ds.push_str(&format!(" and {} more", c.lost_datasets.len() - 6));
        }
        let lost = vec![
            Span::raw("  lost "),
            Span::styled(
                format!("{} writes ({})", c.lost_writes, bytes(c.lost_bytes)),
                lost_style,
            ),
        ];
        let mut variants = Vec::new();
        if !ds.is_empty() {
            let mut v = lost.clone();
            v.push(Span::raw(format!(": {ds}")));
            variants.push(Line::from(v));
            // Narrow: as many data sets as fit, then how many more.
            for k in (1..c.lost_datasets.len().min(6)).rev() {
                let mut v = lost.clone();
                v.push(Span::raw(format!(
                    ": {} +{}",
                    c.lost_datasets[..k].join(", "),
                    c.lost_datasets.len() - k
                )));
                variants.push(Line::from(v));
            }
            let mut v = lost.clone();
            v.push(Span::raw(format!(": {} data sets", c.lost_datasets.len())));
            variants.push(Line::from(v));
        }
        variants.push(Line::from(lost));
        lines.push(fit_line(variants, iw));
        lines.push(Line::from(vec![
            Span::raw("  data-loss window "),
            Span::styled(dur(c.data_loss_window_ns), th.bold()),
        ]));
        lines.push(fit_line(
            vec![
                Line::from(format!(
                    "  A..B: {} complete, {} without data · {} tokens never came",
                    c.pending_complete, c.pending_incomplete, c.never_received
                )),
                Line::from(format!(
                    "  A..B: {} complete, {} no data, {} never came",
                    c.pending_complete, c.pending_incomplete, c.never_received
                )),
            ],
            iw,
        ));
    }
    if app.tries().len() > 1 {
        // Narrow: the disaster to the ms and a mark for the verdict.
        let narrow = iw < 66;
        lines.push(Line::from(Span::styled(
            if narrow {
                format!(
                    " {:<7} {:>9} {:>7} {:>5} {:>9}",
                    "tries", "disaster", "A", "lost", "window"
                )
            } else {
                format!(
                    "  {:<8} {:>14} {:>9} {:>7} {:>12}  verdict",
                    "tries", "disaster", "A", "lost", "window"
                )
            },
            th.dim(),
        )));
        for t in app.tries() {
            let s = t.sites.first();
            let ok = t.sites.iter().all(|s| s.consistent);
            let (at, a, lost, win) = (
                t.disaster_at,
                s.map_or(0, |s| s.a),
                s.map_or(0, |s| s.lost_writes),
                dur(s.map_or(0, |s| s.window_ns)),
            );
            lines.push(ellipsize(
                if narrow {
                    Line::from(vec![
                        Span::raw(format!(
                            " {:<7} {:>9} {a:>7} {lost:>5} {win:>9} ",
                            t.mode,
                            at.map(secs_short).unwrap_or_else(|| "end".into()),
                        )),
                        if ok {
                            Span::styled("✓", th.good())
                        } else {
                            Span::styled("✗", th.bad())
                        },
                    ])
                } else {
                    Line::from(vec![
                        Span::raw(format!(
                            "  {:<8} {:>14} {a:>9} {lost:>7} {win:>12}  ",
                            t.mode,
                            at.map(secs).unwrap_or_else(|| "end".into()),
                        )),
                        if ok {
                            Span::styled("consistent", th.good())
                        } else {
                            Span::styled("INCONSISTENT", th.bad())
                        },
                    ])
                },
                iw,
            ));
        }
    }
    let (kb, km) = (key_of(Action::Branch), key_of(Action::CycleMode));
    lines.push(fit_line(
        vec![
            Line::from(Span::styled(
                format!("  {kb} back to before the disaster · {km} same instant, next mode"),
                th.dim(),
            )),
            Line::from(Span::styled(
                format!("  {kb} before the disaster · {km} next mode"),
                th.dim(),
            )),
        ],
        iw,
    ));
    f.render_widget(
        Paragraph::new(lines).block(block(
            " Recovery result ",
            app.focus() == Panel::Topology,
            th,
        )),
        r,
    );
}

// ----- link -----

fn tail<T: Copy>(v: &std::collections::VecDeque<T>, n: usize) -> Vec<T> {
    v.iter().skip(v.len().saturating_sub(n)).copied().collect()
}

fn link(f: &mut Frame, r: Rect, app: &App, th: &Theme) {
    let i = app.site();
    let cfg = &app.built().world;
    let Some(site) = cfg.sites.get(i) else { return };
    let tw = r.width.saturating_sub(2) as usize;
    let title = fit_line(
        vec![
            Line::from(format!(
                " Link → {} · {} km · {:.3} Mbit/s ",
                site.name,
                site.link.distance_km,
                site.link.bandwidth_bps as f64 / 1e6
            )),
            Line::from(format!(
                " Link → {} · {} km ",
                site.name, site.link.distance_km
            )),
            Line::from(format!(" Link → {} ", site.name)),
        ],
        tw,
    );
    let b = block(title, app.focus() == Panel::Link, th);
    let inner = b.inner(r);
    f.render_widget(b, r);
    if inner.height < 3 {
        return;
    }
    let m = app.metrics();
    let g = app.gauges();
    let sg = g.sites.get(i).cloned().unwrap_or_default();
    let k = ((inner.height.saturating_sub(3)) / 2).max(1);
    let [l1, s1, l2, s2, l3] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(k),
        Constraint::Length(1),
        Constraint::Length(k),
        Constraint::Fill(1),
    ])
    .areas(inner);
    let w = inner.width as usize;
    let util = tail(&m.util[i], w);
    let cur = util.last().copied().unwrap_or(0);
    let avg = if util.is_empty() {
        0
    } else {
        util.iter().sum::<u64>() / util.len() as u64
    };
    let now = Span::styled(format!("{}.{}%", cur / 10, cur % 10), th.bold());
    let mean = Span::styled(format!("  avg {}.{}%", avg / 10, avg % 10), th.dim());
    f.render_widget(
        Paragraph::new(fit_line(
            vec![
                Line::from(vec![
                    label("utilisation ", 12, th),
                    now.clone(),
                    mean.clone(),
                ]),
                Line::from(vec![label("util ", 5, th), now.clone(), mean]),
                Line::from(vec![label("util ", 5, th), now]),
            ],
            w,
        )),
        l1,
    );
    f.render_widget(
        Sparkline::default().data(&util).max(1000).style(th.plot()),
        s1,
    );
    let bif = tail(&m.bytes_in_flight[i], w);
    let peak = bif.iter().copied().max().unwrap_or(0);
    let now = Span::styled(bytes(sg.link_bytes_in_flight), th.bold());
    f.render_widget(
        Paragraph::new(fit_line(
            vec![
                Line::from(vec![
                    label("in flight ", 12, th),
                    now.clone(),
                    Span::styled(format!("  peak {}", bytes(peak)), th.dim()),
                ]),
                Line::from(vec![
                    label("wire ", 5, th),
                    now.clone(),
                    Span::styled(format!(" peak {}", bytes(peak)), th.dim()),
                ]),
                Line::from(vec![label("in flight ", 10, th), now]),
            ],
            w,
        )),
        l2,
    );
    f.render_widget(
        Sparkline::default()
            .data(&bif)
            .max(peak.max(1))
            .style(th.plot2()),
        s2,
    );
    let state = if sg.link_up { "up" } else { "DOWN" };
    f.render_widget(
        Paragraph::new(fit_line(
            vec![
                Line::from(vec![
                    label("messages ", 12, th),
                    Span::raw(format!(
                        "{} on the wire · {} queued · {state}",
                        sg.link_in_flight, sg.link_queue,
                    )),
                ]),
                Line::from(vec![
                    label("msgs ", 5, th),
                    Span::raw(format!(
                        "{} wire · {} queued · {state}",
                        sg.link_in_flight, sg.link_queue,
                    )),
                ]),
                Line::from(vec![
                    label("msgs ", 5, th),
                    Span::raw(format!(
                        "{} · q {} · {state}",
                        sg.link_in_flight, sg.link_queue,
                    )),
                ]),
            ],
            w,
        )),
        l3,
    );
}

// ----- data-loss window -----

/// A 1-2-5 ceiling of `v` (milliseconds), at least 1.
fn nice_ceiling(v: f64) -> f64 {
    let mut c = 1.0;
    loop {
        for m in [1.0, 2.0, 5.0] {
            if c * m >= v {
                return c * m;
            }
        }
        c *= 10.0;
        if c > 1e12 {
            return v;
        }
    }
}

/// The data-loss window gauge's text, both in the unit of the scale: the window now (`ns`)
/// and `of` the scale (`scale_ms`, milliseconds): `60.00 s`, `of 100.00 s`;
/// `8.28 ms`, `of 50.00 ms`.
pub fn window_gauge_text(now_ns: u64, scale_ms: f64) -> (String, String) {
    if scale_ms >= 1000.0 {
        (
            format!("{:.2} s", now_ns as f64 / 1e9),
            format!("of {:.2} s", scale_ms / 1e3),
        )
    } else {
        (
            format!("{:.2} ms", now_ns as f64 / 1e6),
            format!("of {scale_ms:.2} ms"),
        )
    }
}

fn loss(f: &mut Frame, r: Rect, app: &App, th: &Theme) {
    let i = app.site();
    let Some(site) = app.built().world.sites.get(i) else {
        return;
    };
    let b = block(
        fit_line(
            vec![
                Line::from(format!(" Data-loss window · {} ", site.name)),
                Line::from(format!(" Window · {} ", site.name)),
            ],
            r.width.saturating_sub(2) as usize,
        ),
        app.focus() == Panel::Loss,
        th,
    );
    let inner = b.inner(r);
    f.render_widget(b, r);
    if inner.height < 2 {
        return;
    }
    let w = app.sim().model();
    let now_ns = if w.primary_alive() {
        app.checker()
            .lag(SiteId(i as u8), app.sim().now())
            .as_nanos()
    } else {
        // After the disaster the window is frozen at the instant the primary was lost.
        let at = app.checker().disaster_at().unwrap_or(app.sim().now());
        app.checker().lag(SiteId(i as u8), at).as_nanos()
    };
    let pts: Vec<(f64, f64)> = app.metrics().lag[i].iter().copied().collect();
    let peak = pts.iter().map(|p| p.1).fold(now_ns as f64 / 1e6, f64::max);
    let scale = nice_ceiling(peak.max(0.001));
    let [g, c] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    f.render_widget(
        LineGauge::default()
            .ratio((now_ns as f64 / 1e6 / scale).clamp(0.0, 1.0))
            .label({
                let (v, of) = window_gauge_text(now_ns, scale);
                if v.len() + of.len() + 6 <= inner.width as usize {
                    Line::from(vec![
                        Span::styled(format!("{v:>10}"), th.bold()),
                        Span::styled(format!(" {of} "), th.dim()),
                    ])
                } else {
                    // Narrow: `8.28/50.00 ms`, the unit once.
                    let num = v.split(' ').next().unwrap_or_default().to_string();
                    Line::from(vec![
                        Span::styled(num, th.bold()),
                        Span::styled(format!("/{} ", &of[3..]), th.dim()),
                    ])
                }
            })
            .filled_style(th.bad())
            .unfilled_style(th.dim())
            .filled_symbol(symbols::line::THICK_HORIZONTAL)
            .unfilled_symbol(symbols::line::HORIZONTAL),
        g,
    );
    if c.height < 3 || pts.is_empty() {
        return;
    }
    let x0 = pts.first().map_or(0.0, |p| p.0);
    let x1 = pts.last().map_or(1.0, |p| p.0).max(x0 + 1e-6);
    let ds = Dataset::default()
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(th.plot())
        .data(&pts);
    let chart = Chart::new(vec![ds])
        .x_axis(
            Axis::default()
                .bounds([x0, x1])
                .labels([format!("{x0:.3}s"), format!("{x1:.3}s")])
                .style(th.dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, scale])
                .labels([
                    "0".to_string(),
                    window_gauge_text(0, scale).1[3..].replace(".00", ""),
                ])
                .style(th.dim()),
        );
    f.render_widget(chart, c);
}

// ----- event log -----

fn ev_style(ev: &str, th: &Theme) -> Style {
    match ev {
        "seq" => th.text(),
        "write_done" => th.dim(),
        "token_rx" => th.warn(),
        "data_rx" => th.held(),
        "apply" => th.good(),
        "ui" => th.bold(),
        _ => th.bad(),
    }
}

fn log(f: &mut Frame, r: Rect, app: &App, th: &Theme) {
    let lg = app.log();
    let flt = lg.filter();
    let mut title = vec![
        Span::raw(" Event log "),
        Span::styled(format!("filter {}", flt.kind.label()), th.bold()),
    ];
    if !flt.text.is_empty() {
        title.push(Span::styled(format!(" \"{}\"", flt.text), th.bold()));
    }
    title.push(Span::styled(
        format!(" · {} shown of {} ", lg.lines().len(), lg.seen),
        th.dim(),
    ));
    if app.log_scroll() > 0 {
        title.push(Span::styled(format!("↑{} ", app.log_scroll()), th.warn()));
    }
    let b = block(
        ellipsize(Line::from(title), r.width.saturating_sub(2) as usize),
        app.focus() == Panel::Log,
        th,
    );
    let inner = b.inner(r);
    f.render_widget(b, r);
    let h = inner.height as usize;
    let width = inner.width as usize;
    let lines = lg.lines();
    let end = lines.len().saturating_sub(app.log_scroll());
    let start = end.saturating_sub(h);
    let mut out = Vec::with_capacity(h);
    let rows: Vec<(String, String, String)> = lines.range(start..end).map(|l| pretty(l)).collect();
    // Times right-aligned to the longest shown (12 columns when wide); a row longer than
    // the panel ends in `…`.
    let tw = if width >= 70 {
        12
    } else {
        rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0)
    };
    for (t, ev, rest) in rows {
        out.push(ellipsize(
            Line::from(vec![
                Span::styled(format!("{t:>tw$} "), th.dim()),
                Span::styled(format!("{ev:<10} "), ev_style(&ev, th)),
                Span::raw(rest),
            ]),
            width,
        ));
    }
    if out.is_empty() {
        out.push(Line::from(Span::styled(
            if flt.kind == Kind::All && flt.text.is_empty() {
                "no event yet"
            } else {
                "no kept event passes the filter (f: next type, Esc: clear the text)"
            },
            th.dim(),
        )));
    }
    f.render_widget(Paragraph::new(out), inner);
}

// ----- pending write queue (Fig. 5) -----

/// How an entry of the pending write queue stands, for drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryState {
    /// Being written to the secondary DASD.
    Writing,
    /// Written, waiting for earlier entries to retire.
    Written,
    /// Token and data, at or below A: will be written next.
    Ready,
    /// Token and data above A: held behind an incomplete entry (Fig. 5's 131 and 135).
    Held,
    /// Token and data, held back for its re-update group.
    Grouped,
    /// Token, no data yet.
    TokenOnly,
    /// Data without its token.
    DataOnly,
    /// Neither: a later token has arrived, this one not yet.
    NoToken,
}

impl EntryState {
    /// Classifies entry `v` against point A.
    pub fn of(v: &PendingView, a: u64) -> EntryState {
        if v.writing {
            EntryState::Writing
        } else if v.written {
            EntryState::Written
        } else if v.complete && v.token && v.seq <= a {
            EntryState::Ready
        } else if v.complete {
            EntryState::Held
        } else if v.token && v.data {
            EntryState::Grouped
        } else if v.token {
            EntryState::TokenOnly
        } else if v.data {
            EntryState::DataOnly
        } else {
            EntryState::NoToken
        }
    }
    /// Its glyph in the overview strip.
    pub fn glyph(self) -> &'static str {
        match self {
            EntryState::Writing => "▶",
            EntryState::Written => "▷",
            EntryState::Ready => "█",
            EntryState::Held => "▓",
            EntryState::Grouped => "◇",
            EntryState::TokenOnly => "▒",
            EntryState::DataOnly => "◆",
            EntryState::NoToken => "░",
        }
    }
    /// What it means, in words.
    pub fn describe(self) -> &'static str {
        match self {
            EntryState::Writing => "writing to the secondary DASD",
            EntryState::Written => "written, earlier ones still writing",
            EntryState::Ready => "complete: token + data",
            EntryState::Held => "complete, held: an earlier entry is incomplete",
            EntryState::Grouped => "data held for its re-update group",
            EntryState::TokenOnly => "token, no data yet",
            EntryState::DataOnly => "data, no token",
            EntryState::NoToken => "no token yet (a later one arrived)",
        }
    }
    /// What it means, in a few words (a narrow queue panel).
    pub fn short(self) -> &'static str {
        match self {
            EntryState::Writing => "writing",
            EntryState::Written => "written, waits",
            EntryState::Ready => "complete",
            EntryState::Held => "held: gap before",
            EntryState::Grouped => "held for group",
            EntryState::TokenOnly => "token, no data",
            EntryState::DataOnly => "data, no token",
            EntryState::NoToken => "no token yet",
        }
    }
    fn style(self, th: &Theme) -> Style {
        match self {
            EntryState::Writing | EntryState::Written => th.good().add_modifier(Modifier::BOLD),
            EntryState::Ready => th.good(),
            EntryState::Held | EntryState::Grouped => th.held(),
            EntryState::TokenOnly => th.warn(),
            EntryState::DataOnly | EntryState::NoToken => th.bad(),
        }
    }
}

fn queue(f: &mut Frame, r: Rect, app: &App, th: &Theme) {
    let i = app.site();
    let w = app.sim().model();
    let cfg = w.config();
    let Some(site) = cfg.sites.get(i) else { return };
    let g = app.gauges();
    let sg = g.sites.get(i).cloned().unwrap_or_default();
    let (a, b) = (sg.consistency_seq, sg.highest_token_seq);
    let title = fit_line(
        vec![
            Line::from(vec![
                Span::raw(" Pending write queue · "),
                Span::styled(site.name.clone(), th.bold()),
                Span::styled(" (Fig. 5) ", th.dim()),
            ]),
            Line::from(vec![
                Span::raw(" Pending writes · "),
                Span::styled(site.name.clone(), th.bold()),
                Span::raw(" "),
            ]),
        ],
        r.width.saturating_sub(2) as usize,
    );
    let blk = block(title, app.focus() == Panel::Queue, th);
    let inner = blk.inner(r);
    f.render_widget(blk, r);
    let entries: Vec<(u64, PendingView)> = w.pending_queue(i).collect();
    let states: Vec<EntryState> = entries.iter().map(|(_, v)| EntryState::of(v, a)).collect();
    let width = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    let points = vec![
        Span::styled(format!("A {a}"), th.marker()),
        Span::raw(" "),
        Span::styled(format!("B {b}"), th.marker()),
    ];
    let with = |t: String| {
        let mut v = points.clone();
        v.push(Span::raw(t));
        Line::from(v)
    };
    lines.push(fit_line(
        vec![
            with(format!(
                "  {} pending, {} writing",
                entries.len(),
                sg.applying
            )),
            with(format!("  {} pending", entries.len())),
            Line::from(points.clone()),
        ],
        width,
    ));
    // The overview strip: every entry as one cell (or the worst of several per cell when
    // the queue is longer than the strip), with A and B marked under it.
    let strip_rows = if inner.height >= 30 { 3 } else { 2 };
    let cells = (width * strip_rows).max(1);
    let per = entries.len().div_ceil(cells).max(1);
    let last_a = entries
        .iter()
        .rposition(|(_, v)| v.token && v.seq != 0 && v.seq <= a);
    let b_pos = entries.iter().rposition(|(_, v)| v.token && v.seq == b);
    let n_cells = entries.len().div_ceil(per);
    for row in 0..strip_rows {
        let from = row * width;
        if from >= n_cells && row > 0 {
            break;
        }
        let mut spans = Vec::new();
        let mut marks = vec![' '; width];
        for c in from..(from + width).min(n_cells) {
            let lo = c * per;
            let hi = ((c + 1) * per).min(entries.len());
            let worst = states[lo..hi]
                .iter()
                .copied()
                .max()
                .unwrap_or(EntryState::Ready);
            spans.push(Span::styled(worst.glyph(), worst.style(th)));
            if last_a.is_some_and(|p| p >= lo && p < hi) {
                marks[c - from] = 'A';
            }
            if b_pos.is_some_and(|p| p >= lo && p < hi) {
                marks[c - from] = if marks[c - from] == 'A' { '*' } else { 'B' };
            }
        }
        if entries.is_empty() && row == 0 {
            spans.push(Span::styled(
                if width >= 39 {
                    "empty: every update received is written"
                } else {
                    "empty: all received is written"
                },
                th.dim(),
            ));
        }
        lines.push(ellipsize(Line::from(spans), width));
        let m: String = marks.into_iter().collect();
        lines.push(Line::from(Span::styled(
            m.trim_end().to_string(),
            th.bold(),
        )));
    }
    // The legend, on two lines when one is too narrow for it.
    let mut legend: Vec<Vec<Span>> = Vec::new();
    for s in [
        EntryState::Ready,
        EntryState::Held,
        EntryState::TokenOnly,
        EntryState::NoToken,
        EntryState::Writing,
    ] {
        legend.push(vec![
            Span::styled(s.glyph(), s.style(th)),
            Span::styled(
                match s {
                    EntryState::Ready => " ok ",
                    EntryState::Held => " held ",
                    EntryState::TokenOnly => " token ",
                    EntryState::NoToken => " gap ",
                    _ => " writing ",
                },
                th.dim(),
            ),
        ]);
    }
    if per > 1 {
        legend.push(vec![Span::styled(format!("({per}/cell)"), th.dim())]);
    }
    let one: Vec<Span> = legend.iter().flatten().cloned().collect();
    if spans_width(&one) <= width {
        lines.push(Line::from(one));
    } else {
        let mut line: Vec<Span> = Vec::new();
        for item in legend {
            if !line.is_empty() && spans_width(&line) + spans_width(&item) > width {
                lines.push(Line::from(std::mem::take(&mut line)));
            }
            line.extend(item);
        }
        lines.push(ellipsize(Line::from(line), width));
    }
    // The list, oldest first, with the A and B lines drawn where Fig. 5 draws them.
    let rule = |text: String, th: &Theme| {
        // Narrow: the point alone (`B 123456`), without its explanation.
        let text = if text.chars().count() + 4 > width {
            text.split(':').next().unwrap_or_default().to_string()
        } else {
            text
        };
        let pad = width.saturating_sub(text.chars().count() + 4);
        Line::from(vec![
            Span::raw("── "),
            Span::styled(text, th.marker()),
            Span::raw(format!(" {}", "─".repeat(pad))),
        ])
    };
    let first_above_a = entries
        .iter()
        .position(|(_, v)| !(v.token && v.seq != 0 && v.seq <= a))
        .unwrap_or(entries.len());
    let room = (inner.height as usize).saturating_sub(lines.len());
    let skip = app.queue_scroll().min(entries.len());
    let mut list: Vec<Line> = Vec::new();
    if skip > 0 {
        list.push(Line::from(Span::styled(
            format!("↑ {skip} earlier entries"),
            th.dim(),
        )));
    }
    for (k, ((ord, v), st)) in entries.iter().zip(&states).enumerate().skip(skip) {
        if list.len() >= room {
            break;
        }
        if k == first_above_a {
            list.push(rule(format!("A {a}: consistency point"), th));
        }
        let seq = if v.token && v.seq != 0 {
            format!("{:>9}", v.seq)
        } else {
            format!("{:>9}", format!("#{ord}"))
        };
        let row = |what: &'static str| {
            Line::from(vec![
                Span::styled(format!("{} ", st.glyph()), st.style(th)),
                Span::styled(seq.clone(), th.bold()),
                Span::raw(format!(
                    "  {}{}  ",
                    if v.token { "T" } else { "·" },
                    if v.data { "D" } else { "·" }
                )),
                Span::styled(what, st.style(th)),
            ])
        };
        list.push(fit_line(vec![row(st.describe()), row(st.short())], width));
        if v.token && v.seq == b {
            list.push(rule(format!("B {b}: last token received"), th));
        }
    }
    if list.len() < room {
        if first_above_a == entries.len() && skip <= entries.len() {
            list.push(rule(format!("A {a}: consistency point"), th));
        }
        if b_pos.is_none() {
            list.push(rule(format!("B {b}: last token received"), th));
        }
        let after_b = g.last_seq.saturating_sub(b);
        if after_b > 0 {
            let full = match (w.primary_alive(), cfg.sites.len() > 1) {
                (true, false) => format!("+{after_b} after B: tokens not here yet"),
                (false, false) => format!("+{after_b} after B: tokens never came"),
                (_, true) => format!("+{after_b} numbered after B (all sites)"),
            };
            list.push(fit_line(
                vec![
                    Line::from(Span::styled(full, th.dim())),
                    Line::from(Span::styled(format!("+{after_b} after B"), th.dim())),
                ],
                width,
            ));
        }
    }
    lines.extend(list);
    f.render_widget(Paragraph::new(lines), inner);
}

// ----- help overlay -----

/// The help overlay's rows: (keys, what they do), one row per action, keys from the
/// keymap in table order; then the typing keys and the mouse.
pub fn help_rows() -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut seen: Vec<(Action, &str)> = Vec::new();
    for (k, a, d) in keymap() {
        if let Some(pos) = seen.iter().position(|(x, y)| x == a && y == d) {
            rows[pos].0.push_str(&format!(" {}", k.label()));
        } else {
            seen.push((*a, d));
            rows.push((k.label(), d.to_string()));
        }
    }
    rows.push((String::new(), "while typing a log filter (/):".into()));
    seen.clear();
    let start = rows.len();
    for (k, a, d) in input_keymap() {
        if let Some(pos) = seen.iter().position(|(x, y)| x == a && y == d) {
            rows[start + pos].0.push_str(&format!(" {}", k.label()));
        } else {
            seen.push((*a, d));
            rows.push((k.label(), d.to_string()));
        }
    }
    rows.push(("other".into(), "added to the filter".into()));
    rows.push((String::new(), "mouse:".into()));
    for (k, d) in MOUSE_HELP {
        rows.push((k.to_string(), d.to_string()));
    }
    rows.push((String::new(), "terms:".into()));
    for (k, d) in GLOSSARY {
        rows.push((k.to_string(), d.to_string()));
    }
    rows
}

/// The terms the screen uses, for the help overlay.
pub const GLOSSARY: [(&str, &str); 7] = [
    ("A", "consistency point: 1..A safe"),
    ("B", "highest token received"),
    ("T·", "token here, data not yet"),
    ("TD", "token and data: complete"),
    ("held", "complete, behind a gap"),
    ("window", "data-loss window: age A+1"),
    ("RPO", "window sampled over time"),
];

/// Longest key label the help keeps on a description's line; a longer one gets a line
/// of its own, the description under it.
const HELP_KEY_MAX: usize = 10;

fn help(f: &mut Frame, area: Rect, th: &Theme) {
    let rows = help_rows();
    let key_w = rows
        .iter()
        .map(|r| r.0.chars().count())
        .filter(|&n| n <= HELP_KEY_MAX)
        .max()
        .unwrap_or(4)
        + 2;
    // Display lines: a section title, a key with its description, or a long key alone and
    // its description under it.
    let mut lines: Vec<Line> = Vec::new();
    for (k, d) in &rows {
        if k.is_empty() {
            lines.push(Line::from(Span::styled(format!(" {d}"), th.bold())));
        } else if k.chars().count() > HELP_KEY_MAX {
            lines.push(Line::from(Span::styled(format!(" {k}"), th.bold())));
            lines.push(Line::from(vec![
                Span::raw(" ".repeat(key_w)),
                Span::raw(d.clone()),
            ]));
        } else {
            lines.push(Line::from(vec![
                Span::styled(format!(" {k:<w$}", w = key_w - 1), th.bold()),
                Span::raw(d.clone()),
            ]));
        }
    }
    let cols = if lines.len() + 4 > area.height as usize {
        2
    } else {
        1
    };
    let per_col = lines.len().div_ceil(cols);
    let desc_w = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(10);
    let col_w = key_w + desc_w + 2;
    let w = ((col_w * cols + 2) as u16).min(area.width);
    let h = ((per_col + 2) as u16).min(area.height);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    f.render_widget(Clear, r);
    let blk = Block::bordered()
        .border_type(BorderType::Double)
        .title(Line::from(" Keys and terms ").style(th.title()))
        .title_bottom(Line::from(" ? or Esc closes ").style(th.dim()));
    let inner = blk.inner(r);
    f.render_widget(blk, r);
    let areas = Layout::horizontal(vec![Constraint::Fill(1); cols]).split(inner);
    for (c, chunk) in lines.chunks(per_col).enumerate() {
        if let Some(a) = areas.get(c) {
            f.render_widget(Paragraph::new(chunk.to_vec()), *a);
        }
    }
}
