//! Drawing the whole workbench from an [`App`]: the tab line, the panes
//! (all six in a grid on a large terminal, the focused one alone on a small
//! one or when zoomed), the status bar, and the prompt, question and help
//! overlays. Pure rendering: tests draw any state into a `TestBackend`.

use super::app::App;
use super::keymap;
use super::panes::{bad, bold, dim, good, warn, PaneId};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use ratatui::Frame;

/// The smallest terminal that shows every pane at once.
pub const GRID_MIN: (u16, u16) = (150, 40);

pub fn draw(f: &mut Frame, app: &mut App) {
    let area = f.area();
    let mut bar = status(app, area.width as usize);
    app.status_rows = match app.model.job {
        Some(_) => app.status_rows.max(bar.len()),
        None => 0,
    };
    bar.resize(bar.len().max(app.status_rows), Line::default());
    let [tabs, main, status_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(bar.len() as u16),
    ])
    .areas(area);
    app.grid = !app.zoom && area.width >= GRID_MIN.0 && area.height >= GRID_MIN.1;
    draw_tabs(f, tabs, app);
    app.pane_areas = [None; 6];
    if app.grid {
        let [top, mid, bottom] = Layout::vertical([
            Constraint::Percentage(45),
            Constraint::Percentage(30),
            Constraint::Percentage(25),
        ])
        .areas(main);
        let split = |r: Rect| -> [Rect; 2] {
            Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(r)
        };
        let [a, b] = split(top);
        let [c, d] = split(mid);
        let [e, g] = split(bottom);
        for (pane, r) in PaneId::ALL.into_iter().zip([a, b, c, d, e, g]) {
            draw_pane(f, app, pane, r);
        }
    } else {
        draw_pane(f, app, app.focus, main);
    }
    f.render_widget(
        Paragraph::new(bar).style(Style::new().bg(Color::Reset)),
        status_area,
    );
    if let Some(p) = app.prompt.clone() {
        // The hint wraps (a field prompt lists every current value); the
        // input shows its end, where the cursor is.
        let w = usize::from(main.width.saturating_sub(2)).max(1);
        let mut hint = super::panes::wrap(&p.hint, w);
        hint.truncate(usize::from(main.height / 2).max(1));
        let h = (hint.len() as u16 + 3).min(main.height);
        let r = Rect {
            y: main.y + main.height - h,
            height: h,
            ..main
        };
        f.render_widget(Clear, r);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(Style::new().fg(Color::Yellow))
            .title(Span::styled(format!(" {} ", p.label), bold()))
            .title_bottom(Span::styled(" Enter apply · Esc cancel ", dim()));
        let inner = block.inner(r);
        f.render_widget(block, r);
        let mut lines = vec![Line::from(vec![
            Span::raw(super::panes::truncate_left(&p.input, w.saturating_sub(1))),
            Span::styled("█", Style::new().fg(Color::Yellow)),
        ])];
        lines.extend(hint.into_iter().map(|l| Line::from(Span::styled(l, dim()))));
        f.render_widget(Paragraph::new(lines), inner);
    }
    if let Some(c) = &app.confirm {
        // As tall as the question wraps to; the answer keys in the border,
        // where no question can push them out.
        let w = (c.question.chars().count() as u16 + 4).clamp(30, main.width.max(30));
        let rows = super::panes::wrap(&c.question, usize::from(w.saturating_sub(4)).max(1));
        let r = centered(main, w, rows.len() as u16 + 2);
        f.render_widget(Clear, r);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(warn())
            .title_bottom(Span::styled(" y yes · n no ", dim()));
        let inner = block.inner(r).inner(ratatui::layout::Margin::new(1, 0));
        f.render_widget(block, r);
        f.render_widget(
            Paragraph::new(rows.into_iter().map(Line::from).collect::<Vec<_>>()),
            inner,
        );
    }
    if let Some(p) = app.preview.as_mut() {
        draw_preview(f, main, p);
    }
    if let Some(scroll) = app.what_if {
        let r = centered(
            main,
            main.width.saturating_sub(4),
            main.height.saturating_sub(2),
        );
        clear_around(f, r, main);
        let shown = super::panes::whatif::draw(f, r, app.model.what_if.as_deref(), scroll);
        app.what_if = Some(shown);
    }
    if let Some(scroll) = app.help {
        draw_help(f, main, scroll, app);
    }
}

/// The pending edit of a profile as a unified diff, before it is saved.
fn draw_preview(f: &mut Frame, main: Rect, p: &mut super::app::SavePreview) {
    let r = centered(
        main,
        main.width.saturating_sub(4).min(120),
        main.height.saturating_sub(2),
    );
    clear_around(f, r, main);
    let file = super::worker::file_name(&p.file);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(Color::Yellow))
        .title(Span::styled(format!(" Save {file}? "), bold()))
        .title_bottom(Span::styled(
            " y save · n or Esc keep editing · ↑↓ PgUp PgDn scroll ",
            dim(),
        ));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let lines: Vec<&str> = p.diff.lines().collect();
    let (plus, minus) = lines.iter().fold((0, 0), |(a, d), l| {
        (
            a + usize::from(l.starts_with('+') && !l.starts_with("+++")),
            d + usize::from(l.starts_with('-') && !l.starts_with("---")),
        )
    });
    let w = inner.width as usize;
    let warnings: Vec<Line> = p
        .warnings
        .iter()
        .flat_map(|t| super::panes::wrap(&format!("! {t}"), w.max(1)))
        .map(|l| Line::from(Span::styled(l, warn())))
        .collect();
    let [head, said, body] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(warnings.len() as u16),
        Constraint::Min(0),
    ])
    .areas(inner);
    let counts = format!("+{plus} −{minus} lines");
    let room = w.saturating_sub(counts.chars().count());
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(counts, bold()),
            Span::styled(
                super::panes::truncate(
                    " · the file on disk (-) against what the save writes (+)",
                    room,
                ),
                dim(),
            ),
        ])),
        head,
    );
    f.render_widget(Paragraph::new(warnings), said);
    let max = (lines.len() as u16).saturating_sub(body.height);
    p.scroll = p.scroll.min(max);
    let shown: Vec<Line> = lines
        .iter()
        .skip(p.scroll as usize)
        .take(body.height as usize)
        .map(|l| {
            Line::from(Span::styled(
                super::panes::truncate(l, w),
                super::panes::diff_style(l),
            ))
        })
        .collect();
    f.render_widget(Paragraph::new(shown), body);
}

/// Clears `r` and a column either side of it (within `within`): an
/// overlay over most of the screen shows no stray text of the pane behind
/// between its border and the pane's (whose title row stays).
fn clear_around(f: &mut Frame, r: Rect, within: Rect) {
    let x = r.x.saturating_sub(1).max(within.x);
    let right = (r.x + r.width + 1).min(within.x + within.width);
    f.render_widget(
        Clear,
        Rect {
            x,
            width: right.saturating_sub(x),
            ..r
        },
    );
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn draw_pane(f: &mut Frame, app: &mut App, pane: PaneId, r: Rect) {
    app.pane_areas[pane.index()] = Some(r);
    let focused = app.focus == pane;
    match pane {
        PaneId::Profiles => {
            let input = app.inputs.selected_input().map(|p| p.to_owned());
            let analysis = input
                .as_ref()
                .and_then(|p| app.model.analyses.get(p))
                .and_then(|a| a.result.as_ref().ok())
                .and_then(|v| v.plan.as_ref().ok());
            let name = input
                .as_deref()
                .map(super::worker::file_name)
                .unwrap_or_default();
            let plan = analysis.map(|p| (name.as_str(), p));
            app.profiles.draw(f, r, &app.model, focused, plan)
        }
        PaneId::Inputs => app.inputs.draw(f, r, &app.model, focused),
        PaneId::Pipeline => app.pipeline.draw(f, r, &app.model, focused),
        PaneId::Cache => app.cache.draw(f, r, &app.model, focused),
        PaneId::Runs => app.runs.draw(f, r, &app.model, focused),
        PaneId::Log => app.log.draw(f, r, &app.model, focused),
    }
}

fn draw_tabs(f: &mut Frame, area: Rect, app: &mut App) {
    app.tab_areas = [None; 6];
    let mut x = area.x;
    let mut spans = Vec::new();
    let title = " tailor ";
    spans.push(Span::styled(
        title,
        Style::new()
            .fg(Color::Black)
            .bg(Color::Cyan)
            .add_modifier(Modifier::BOLD),
    ));
    x += title.len() as u16;
    spans.push(Span::raw(" "));
    x += 1;
    // At 80 columns the names are cut to fit; the numbers always show.
    let room = area.width.saturating_sub(x - area.x + 12);
    let full: u16 = PaneId::ALL.iter().map(|p| p.title().len() as u16 + 4).sum();
    let short = full > room;
    for p in PaneId::ALL {
        let name = if short {
            p.title().chars().take(4).collect::<String>()
        } else {
            p.title().to_owned()
        };
        let text = format!(" {} {} ", p.index() + 1, name);
        let w = text.chars().count() as u16;
        let style = if app.focus == p {
            Style::new()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        } else if app.grid {
            Style::new().fg(Color::Gray)
        } else {
            dim()
        };
        app.tab_areas[p.index()] = Some(Rect {
            x,
            y: area.y,
            width: w,
            height: 1,
        });
        spans.push(Span::styled(text, style));
        x += w;
    }
    let hint = if app.grid {
        " z zoom · ? help"
    } else {
        " Tab · ? help"
    };
    spans.push(Span::styled(hint, dim()));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The status bar's rows: profiles, reload state, a passing message,
/// cache hit rate and the engine's work, fitted by [`status_lines`].
fn status(app: &App, width: usize) -> Vec<Line<'static>> {
    let m = &app.model;
    let mut parts: Vec<Vec<Span>> = Vec::new();
    let broken = m
        .store
        .errors
        .iter()
        .filter(|e| {
            matches!(
                e.file.extension().and_then(|x| x.to_str()),
                Some("yaml" | "yml")
            )
        })
        .map(|e| e.file.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let mut p = vec![Span::styled(
        format!("{} profiles", m.store.profiles.len()),
        bold(),
    )];
    if broken > 0 {
        p.push(Span::styled(format!(" {broken} broken"), bad()));
    }
    parts.push(p);
    // A missing folder or a watch that is off outlasts any reload's news.
    let watching = matches!(m.watch, super::app::WatchState::Watching);
    match m.reload.as_ref().filter(|_| watching) {
        Some(r) => parts.push(vec![
            Span::styled(
                if r.ok { "⟳ " } else { "✗ " },
                if r.ok { good() } else { bad() },
            ),
            Span::styled(r.text.clone(), if r.ok { Style::new() } else { bad() }),
            Span::styled(format!(" {}", super::panes::ago(m.now_ms, r.at_ms)), dim()),
        ]),
        None => parts.push(match &m.watch {
            // Profiles watched, inputs missing: the missing folder tells.
            super::app::WatchState::Watching => match app.inputs.missing() {
                Some(dir) => vec![
                    Span::styled("! ", warn()),
                    Span::styled(
                        super::worker::missing_text(super::worker::Folder::Inputs, dir),
                        warn(),
                    ),
                ],
                None => vec![Span::styled("watching profiles", dim())],
            },
            super::app::WatchState::Missing(dir) => vec![
                Span::styled("! ", warn()),
                Span::styled(
                    super::worker::missing_text(super::worker::Folder::Profiles, dir),
                    warn(),
                ),
            ],
            super::app::WatchState::Off(_) => vec![
                Span::styled("✗ ", bad()),
                Span::styled("hot reload is off (see the Log)", bad()),
            ],
        }),
    }
    let flash: Option<Vec<Span>> = m.flash.as_ref().map(|(text, error, _)| {
        vec![Span::styled(
            text.clone(),
            if *error { bad() } else { good() },
        )]
    });
    let hit = vec![
        Span::raw("hit "),
        Span::styled(
            m.hit_rate()
                .map(|r| format!("{:.0}%", r * 100.0))
                .unwrap_or_else(|| "-".into()),
            good(),
        ),
        Span::styled(format!(" {} cached", m.cache.entries.len()), dim()),
    ];
    let work = match (&m.fatal, &m.ready, &m.job) {
        (Some(_), _, _) => vec![Span::styled("engine down", bad())],
        (None, None, _) => vec![Span::styled("engine starting…", warn())],
        // Three spans: the label in the middle gives way first (see
        // `status_lines`), never the counts.
        (None, Some(_), Some(j)) => vec![
            Span::styled("busy: ", warn()),
            Span::styled(j.label.clone(), warn()),
            Span::styled(
                format!(
                    " {}/{}{}",
                    j.done,
                    j.total,
                    if m.queue.is_empty() {
                        String::new()
                    } else {
                        format!(" (+{} queued)", m.queue.len())
                    }
                ),
                warn(),
            ),
        ],
        // Build workers + executors: the sandbox processes alive.
        (None, Some(_), None) => vec![Span::styled(
            format!("sandbox {}+{} idle", m.cache.sandbox.0, m.cache.sandbox.1),
            dim(),
        )],
    };
    let reload = parts.pop().unwrap_or_default();
    let count = parts.pop().unwrap_or_default();
    status_lines(width, count, reload, flash, hit, work)
}

/// The status bar's parts fitted to `width`: one row when everything
/// fits. Otherwise two: the facts that are always short (the profile
/// count, the hit rate, what the engine is doing) on the first, never
/// pushed out; the passing message and the reload state on the second,
/// the message first (it is the fresher), cut with `…` only past the
/// terminal's width.
fn status_lines<'a>(
    width: usize,
    count: Vec<Span<'a>>,
    reload: Vec<Span<'a>>,
    flash: Option<Vec<Span<'a>>>,
    hit: Vec<Span<'a>>,
    work: Vec<Span<'a>>,
) -> Vec<Line<'a>> {
    let w = |p: &[Span]| p.iter().map(Span::width).sum::<usize>();
    let join = |parts: Vec<Vec<Span<'a>>>| -> Vec<Span<'a>> {
        let mut out = Vec::new();
        for part in parts.into_iter().filter(|p| w(p) > 0) {
            if !out.is_empty() {
                out.push(Span::styled(" │ ", dim()));
            }
            out.extend(part);
        }
        out
    };
    let one = join(vec![
        count.clone(),
        reload.clone(),
        flash.clone().unwrap_or_default(),
        hit.clone(),
        work.clone(),
    ]);
    if w(&one) <= width {
        return vec![Line::from(one)];
    }
    // The work's label (its middle span) is cut before its counts are.
    let mut work = work;
    let room = width.saturating_sub(w(&count) + w(&hit) + 6);
    if work.len() == 3 && w(&work) > room {
        let label = room.saturating_sub(work[0].width() + work[2].width());
        if label < 2 {
            // No room for even `x…`: the counts follow `busy:` directly.
            let counts = work.remove(2);
            work[1] = Span::styled(counts.content.trim_start().to_owned(), counts.style);
        } else {
            work[1] = Span::styled(
                super::panes::truncate(&work[1].content, label),
                work[1].style,
            );
        }
    }
    let facts = super::panes::fit_spans(join(vec![count, hit, work]), width);
    let mut said = Vec::new();
    said.extend(flash);
    said.push(reload);
    vec![
        Line::from(facts),
        Line::from(super::panes::fit_spans(join(said), width)),
    ]
}

/// What the state marks mean, pane by pane, as the help overlay lists them
/// (the colors are the panes' own).
type Marks = &'static [(&'static str, Color, &'static str)];

const LEGEND: &[(&str, Marks)] = &[
    (
        "Profiles",
        &[
            ("✓", Color::Green, "loaded and live"),
            (
                "!",
                Color::Yellow,
                "broken on disk; its last good version is live",
            ),
            ("✗", Color::Red, "broken, with no good version: not loaded"),
            ("●", Color::Yellow, "unsaved edits in the workbench"),
        ],
    ),
    (
        "Inputs",
        &[
            ("·", Color::Green, "analyzed"),
            ("✗", Color::Red, "the spec or its kernel has an error"),
            (
                "▶",
                Color::Magenta,
                "a workload (a list of inputs to replay)",
            ),
        ],
    ),
    (
        "Pipeline and the selection",
        &[
            ("◌", Color::DarkGray, "pending"),
            ("▶", Color::Yellow, "running"),
            ("✓", Color::Green, "ran (or: the selected profile)"),
            (
                "●",
                Color::Blue,
                "from the cache (or: matched, lower priority)",
            ),
            (
                "⊘",
                Color::DarkGray,
                "skipped: its `when` is false or no predecessor ran",
            ),
            ("✗", Color::Red, "failed"),
            ("·", Color::DarkGray, "did not match"),
        ],
    ),
];

fn draw_help(f: &mut Frame, main: Rect, scroll: u16, app: &mut App) {
    let r = centered(main, main.width.min(90), main.height);
    f.render_widget(Clear, r);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(Color::Cyan))
        .title(Span::styled(" Keys ", bold()))
        .title_bottom(Span::styled(" ↑↓ scroll · Esc or ? closes ", dim()));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let key_w = keymap::help_lines()
        .iter()
        .map(|(_, k, _)| k.chars().count())
        .max()
        .unwrap_or(8)
        .min(24);
    let mut lines: Vec<Line> = Vec::new();
    lines.push(Line::from(Span::styled(
        "The mouse selects rows and nodes, focuses panes and scrolls.",
        dim(),
    )));
    for (scope, keys, help) in keymap::help_lines() {
        match scope {
            Some(s) => {
                lines.push(Line::from(""));
                lines.push(Line::from(Span::styled(s.title(), bold().fg(Color::Cyan))));
            }
            None => {
                // Long descriptions wrap under themselves, never cut.
                let room = (inner.width as usize).saturating_sub(key_w + 4).max(20);
                for (i, row) in super::panes::wrap(help, room).into_iter().enumerate() {
                    let lead = if i == 0 {
                        format!("  {keys:<key_w$}  ")
                    } else {
                        " ".repeat(key_w + 4)
                    };
                    lines.push(Line::from(vec![
                        Span::styled(lead, Style::new().fg(Color::Yellow)),
                        Span::raw(row),
                    ]));
                }
            }
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Marks", bold().fg(Color::Cyan))));
    for (pane, marks) in LEGEND {
        lines.push(Line::from(Span::styled(format!("  {pane}"), bold())));
        for (mark, color, meaning) in *marks {
            lines.push(Line::from(vec![
                Span::styled(format!("    {mark}  "), Style::new().fg(*color)),
                Span::raw(*meaning),
            ]));
        }
    }
    let max = (lines.len() as u16).saturating_sub(inner.height);
    let scroll = scroll.min(max);
    app.help = Some(scroll);
    f.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
}
