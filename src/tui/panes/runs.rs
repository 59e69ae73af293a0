//! The Runs pane: every execution, newest first (input, profile, where it
//! ran, outcome, hit or miss, kernel and end-to-end time, verification),
//! with sparklines of latency and rolling hit rate over the session and a
//! summary (percentiles). Built from the engine's events alone.

use super::{
    bad, bold, dim, good, hit, pane_block, selected_row, step_selection, warn, Effect, PaneId,
};
use crate::cache::Verification;
use crate::engine::Served;
use crate::sandbox::Outcome;
use crate::tui::app::{Model, RunRecord};
use crate::tui::keymap::Action;
use crate::tui::worker::file_name;
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Sparkline, Table, TableState};
use ratatui::Frame;

/// Requests the rolling hit rate is taken over.
const WINDOW: usize = 20;

#[derive(Default)]
pub struct RunsPane {
    /// Selected row (0 is the newest run).
    sel: usize,
    /// The selected request, so new runs arriving keep the selection.
    sel_request: Option<u64>,
    table: TableState,
    list_area: Rect,
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn verified(r: &RunRecord) -> (String, Style) {
    if r.deferred && r.served_by == Some(Served::Generic) {
        return match &r.ready {
            Some(p) => (format!("generic; now {p}"), dim()),
            None => ("generic; building".into(), warn()),
        };
    }
    if r.served_by == Some(Served::Fallback) {
        let (from, to) = match r.chain.last() {
            Some((_, to)) => (r.chain.len(), to.clone()),
            None => (0, String::new()),
        };
        return (format!("fallback {from}: {to}"), warn());
    }
    if let (Some(t), Some(Served::Generic)) = (r.timed, r.served_by) {
        if t.slower {
            return (format!("slower {:.2}×: generic", t.speedup()), warn());
        }
    }
    match (&r.verification, r.served_by, r.hit) {
        (_, Some(Served::Generic), _) if r.profile.as_deref() != Some(crate::profile::GENERIC) => {
            ("no: generic served".into(), bad())
        }
        (Some(Verification::Verified), _, _) => ("verified".into(), good()),
        (Some(Verification::Rejected(_)), _, _) => ("rejected".into(), bad()),
        (_, Some(Served::Generic), _) => ("generic".into(), dim()),
        // A hit serves a variant verified when it was built.
        (None, Some(Served::Variant), Some(true)) => ("verified (cached)".into(), good()),
        _ => ("-".into(), dim()),
    }
}

impl RunsPane {
    /// The request shown at row `i` (newest first).
    fn request_at(model: &Model, i: usize) -> Option<u64> {
        model.runs.iter().rev().nth(i).map(|r| r.request)
    }

    fn current(&mut self, model: &Model) -> usize {
        if let Some(req) = self.sel_request {
            if let Some(i) = model.runs.iter().rev().position(|r| r.request == req) {
                self.sel = i;
            }
        }
        self.sel = self.sel.min(model.runs.len().saturating_sub(1));
        self.sel
    }

    pub fn handle(&mut self, action: Action, model: &mut Model) -> Effect {
        let sel = self.current(model);
        if let Some(s) = step_selection(sel, model.runs.len(), action, 10) {
            self.sel = s;
            // The top row follows new runs; any other stays on its request.
            self.sel_request = if s == 0 {
                None
            } else {
                Self::request_at(model, s)
            };
            return Effect::None;
        }
        match action {
            Action::Open | Action::Right => match Self::request_at(model, sel) {
                Some(r) => Effect::ShowRun(r),
                None => Effect::None,
            },
            Action::ClearRuns if model.runs.is_empty() => Effect::None,
            Action::ClearRuns => Effect::Confirm(super::Confirm {
                question: format!(
                    "Clear the {} run{} from the list? (the cache keeps its variants)",
                    model.runs.len(),
                    if model.runs.len() == 1 { "" } else { "s" }
                ),
                purpose: super::ConfirmFor::ClearRuns,
            }),
            _ => Effect::Unhandled,
        }
    }

    /// Clears the list (asked first, see [`Action::ClearRuns`]).
    pub fn clear(&mut self, model: &mut Model) {
        model.runs.clear();
        self.sel = 0;
        self.sel_request = None;
    }

    pub fn mouse(&mut self, ev: MouseEvent, model: &mut Model) -> Effect {
        let (x, y) = (ev.column, ev.row);
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) if hit(self.list_area, x, y) => {
                let row = (y - self.list_area.y) as usize;
                if row >= 1 {
                    let i = row - 1 + self.table.offset();
                    if i < model.runs.len() {
                        self.sel = i;
                        self.sel_request = Self::request_at(model, i);
                    }
                }
                Effect::None
            }
            MouseEventKind::ScrollDown => self.handle(Action::Down, model),
            MouseEventKind::ScrollUp => self.handle(Action::Up, model),
            _ => Effect::None,
        }
    }

    pub fn draw(&mut self, f: &mut Frame, area: Rect, model: &Model, focused: bool) {
        let block = pane_block(PaneId::Runs, focused);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let sel = self.current(model);
        let charts = if inner.height >= 8 { 2 } else { 0 };
        let [summary, latency, rate, list] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(charts / 2),
            Constraint::Length(charts / 2),
            Constraint::Min(0),
        ])
        .areas(inner);
        self.list_area = list;
        let done: Vec<&RunRecord> = model.runs.iter().filter(|r| r.finished()).collect();
        if model.runs.is_empty() {
            f.render_widget(
                Paragraph::new(vec![
                    Line::from("No runs yet."),
                    Line::from(Span::styled(
                        "Inputs pane: r runs the selected input, n runs it N times, r on a workload replays it.",
                        dim(),
                    )),
                ]),
                Rect {
                    height: inner.height,
                    ..summary
                },
            );
            return;
        }
        let mut totals: Vec<u64> = done.iter().filter_map(|r| r.total_micros).collect();
        let hits = done.iter().filter(|r| r.hit == Some(true)).count();
        let failed = done.iter().filter(|r| r.failed.is_some()).count();
        let series: Vec<u64> = totals.clone();
        totals.sort_unstable();
        let rate_now = if done.is_empty() {
            0.0
        } else {
            hits as f64 / done.len() as f64
        };
        let mut spans = vec![
            Span::styled(format!("{} runs", model.runs.len()), bold()),
            Span::raw(" · hit "),
            Span::styled(format!("{:.0}%", rate_now * 100.0), good()),
            Span::styled(
                format!(
                    " · p50 {} · p95 {} · p99 {}",
                    super::ms(percentile(&totals, 0.5)),
                    super::ms(percentile(&totals, 0.95)),
                    super::ms(percentile(&totals, 0.99)),
                ),
                dim(),
            ),
        ];
        if failed > 0 {
            spans.push(Span::styled(format!(" · {failed} failed"), bad()));
        }
        if let Some(j) = &model.job {
            spans.push(Span::styled(
                format!(" · {} {}/{}", j.label, j.done, j.total),
                warn(),
            ));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), summary);
        if charts > 0 {
            let label_w = 12u16;
            let chart = |r: Rect| {
                let [l, c] =
                    Layout::horizontal([Constraint::Length(label_w), Constraint::Min(0)]).areas(r);
                (l, c)
            };
            let (l, c) = chart(latency);
            let n = c.width as usize;
            let tail = &series[series.len().saturating_sub(n)..];
            // Log scale: a miss is a hundred times a hit, and both matter.
            let scaled: Vec<u64> = tail
                .iter()
                .map(|&us| ((1 + us) as f64).log2().mul_add(10.0, 1.0) as u64)
                .collect();
            f.render_widget(Paragraph::new(Span::styled("latency log", dim())), l);
            f.render_widget(
                Sparkline::default()
                    .data(scaled)
                    .style(Style::new().fg(Color::Cyan)),
                c,
            );
            let rolling: Vec<u64> = done
                .iter()
                .enumerate()
                .map(|(i, _)| {
                    let lo = (i + 1).saturating_sub(WINDOW);
                    let w = &done[lo..=i];
                    let h = w.iter().filter(|r| r.hit == Some(true)).count();
                    (h * 100 / w.len()) as u64
                })
                .collect();
            let (l, c) = chart(rate);
            let tail = &rolling[rolling.len().saturating_sub(c.width as usize)..];
            f.render_widget(Paragraph::new(Span::styled("hit rate", dim())), l);
            f.render_widget(
                Sparkline::default()
                    .data(tail.iter().copied())
                    .max(100)
                    .style(Style::new().fg(Color::Green)),
                c,
            );
        }
        let wide = list.width >= 110;
        let mut head = vec![
            "#", "input", "profile", "outcome", "cache", "kernel", "total", "verified",
        ];
        if wide {
            head.insert(3, "worker / isolation");
        }
        let header = Row::new(
            head.into_iter()
                .map(|h| Cell::from(Span::styled(h, bold()))),
        );
        let rows: Vec<Row> = model
            .runs
            .iter()
            .rev()
            .map(|r| {
                let (outcome, ostyle) = match (&r.failed, &r.execution) {
                    (Some(_), _) => ("failed".to_owned(), bad()),
                    (None, Some(e)) if e.outcome == Outcome::Ok => ("ok".to_owned(), good()),
                    (None, Some(e)) => (e.outcome.to_string(), bad()),
                    (None, None) => ("running…".to_owned(), warn()),
                };
                let (v, vstyle) = verified(r);
                let mut cells = vec![
                    Cell::from(Span::styled(r.request.to_string(), dim())),
                    Cell::from(file_name(&r.input)),
                    Cell::from(Span::styled(
                        r.profile.clone().unwrap_or_default(),
                        Style::new().fg(Color::Cyan),
                    )),
                    Cell::from(Span::styled(outcome, ostyle)),
                    Cell::from(match r.hit {
                        Some(true) => Span::styled("hit", good()),
                        Some(false) => Span::styled("miss", warn()),
                        None => Span::raw(""),
                    }),
                    Cell::from(
                        r.execution
                            .as_ref()
                            .map(|e| crate::cli::trace::nanos(e.kernel_nanos))
                            .unwrap_or_default(),
                    ),
                    Cell::from(r.total_micros.map(super::ms).unwrap_or_default()),
                    Cell::from(Span::styled(v, vstyle)),
                ];
                if wide {
                    cells.insert(
                        3,
                        Cell::from(Span::styled(
                            r.execution
                                .as_ref()
                                .map(|e| e.isolation.clone())
                                .unwrap_or_default(),
                            dim(),
                        )),
                    );
                }
                Row::new(cells)
            })
            .collect();
        let mut widths = vec![
            Constraint::Length(5),
            Constraint::Length(18),
            Constraint::Length(15),
            Constraint::Length(8),
            Constraint::Length(5),
            Constraint::Length(9),
            Constraint::Length(9),
            Constraint::Min(8),
        ];
        if wide {
            widths.insert(3, Constraint::Length(20));
        }
        self.table.select(Some(sel));
        // The header takes a row.
        super::settle(
            &mut self.table,
            model.runs.len(),
            list.height.saturating_sub(1) as usize,
        );
        f.render_stateful_widget(
            Table::new(rows, widths)
                .header(header)
                .row_highlight_style(selected_row())
                .highlight_symbol(super::MARK),
            list,
            &mut self.table,
        );
    }
}
