//! The Pipeline pane: the Plan of the latest request (or one chosen in the
//! Runs or Cache pane), each node with its state (ran, skipped and why,
//! running, failed, from the cache) and time, updated live from the
//! request's events; for the selected step, the IR before and after as a
//! diff with instruction, block, loop and vector-instruction counts.
//!
//! While a request runs, its steps come from its `Step` events. Once its
//! variant is in the cache the step log (with the IR after every step) is
//! loaded from there, which is also how a hit, which builds nothing, shows
//! its steps.

use super::{
    bad, bold, dim, good, hit, pane_block, selected_row, step_selection, truncate, warn, Effect,
    PaneId,
};
use crate::cache::{Variant, Verification};
use crate::engine::Served;
use crate::profile::Plan;
use crate::transform::log::IrStats;
use crate::tui::app::{Model, RunRecord};
use crate::tui::keymap::Action;
use crate::tui::worker::{file_name, Command, VariantView};
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

#[derive(Debug, Clone, PartialEq, Default)]
enum Shown {
    #[default]
    Latest,
    Run(u64),
    Variant(String),
}

#[derive(Debug, Clone, PartialEq)]
enum State {
    Pending,
    Running,
    Ran,
    /// A hit: the step ran when the variant was built.
    Cached,
    Skipped(String),
    Failed(String),
}

#[derive(Debug, Clone)]
struct StepRow {
    node: String,
    transform: String,
    state: State,
    micros: Option<u64>,
    stats: Option<(IrStats, IrStats)>,
    note: String,
    /// Index into the variant's step log.
    log: Option<usize>,
}

#[derive(Default)]
pub struct PipelinePane {
    shown: Shown,
    sel: usize,
    scroll: u16,
    full_ir: bool,
    /// The rendered diff: (key, step, whole IR, lines).
    diff: Option<(String, usize, bool, Vec<Line<'static>>)>,
    table: TableState,
    list_area: Rect,
    text_area: Rect,
    /// The row a `/` search last showed (steps, then the text's lines);
    /// moving the selection forgets it.
    found: Option<usize>,
}

fn state_mark(s: &State) -> (&'static str, Style) {
    match s {
        State::Pending => ("◌", dim()),
        State::Running => ("▶", warn()),
        State::Ran => ("✓", good()),
        State::Cached => ("●", Style::new().fg(Color::Blue)),
        State::Skipped(_) => ("⊘", dim()),
        State::Failed(_) => ("✗", bad()),
    }
}

fn counts(b: &IrStats, a: &IrStats) -> String {
    let arrow = |x: u32, y: u32| {
        if x == y {
            x.to_string()
        } else {
            format!("{x}→{y}")
        }
    };
    format!(
        "instr {} · blocks {} · loops {} · vector {} · indirect {}",
        arrow(b.instructions, a.instructions),
        arrow(b.blocks, a.blocks),
        arrow(b.loops, a.loops),
        arrow(b.vector_instructions, a.vector_instructions),
        arrow(b.indirect_calls, a.indirect_calls)
    )
}

/// The rank of each node in the profile's execution order (`order`: the
/// one the run recorded when it was planned, else the live profile's if
/// it is the version planned), so skipped nodes sit where they would have
/// run.
fn rank(plan: &Plan, order: &[String], node: &str) -> f64 {
    match node {
        "prepare" => return -1.0,
        "finish" => return f64::MAX,
        _ => {}
    }
    if let Some(pos) = order.iter().position(|n| n == node) {
        return pos as f64;
    }
    // An older version of the profile: steps in Plan order, skipped after.
    match plan.steps.iter().position(|s| s.node == node) {
        Some(p) => p as f64,
        None => 1e9,
    }
}

fn rows(
    model: &Model,
    record: Option<&RunRecord>,
    plan: Option<&Plan>,
    variant: Option<&Variant>,
) -> Vec<StepRow> {
    let hit = record.and_then(|r| r.hit) == Some(true);
    let mut out: Vec<StepRow> = Vec::new();
    if let Some(v) = variant {
        for (i, s) in v.steps.iter().enumerate() {
            out.push(StepRow {
                node: s.node.clone(),
                transform: s.transform.clone(),
                state: if hit { State::Cached } else { State::Ran },
                micros: Some(s.micros),
                stats: Some((s.before, s.after)),
                note: s.note.clone(),
                log: Some(i),
            });
        }
    } else if let Some(plan) = plan {
        let mut names: Vec<(String, String)> = vec![("prepare".into(), "passes".into())];
        names.extend(
            plan.steps
                .iter()
                .map(|s| (s.node.clone(), s.step.kind().name().to_owned())),
        );
        if plan.finish != "none" {
            names.push(("finish".into(), "passes".into()));
        }
        let mut first_open = true;
        for (node, transform) in names {
            let ev = record.and_then(|r| r.steps.iter().find(|s| s.node == node));
            let state = match (ev, record) {
                (Some(_), _) => State::Ran,
                (None, Some(r)) if hit => {
                    let _ = r;
                    State::Cached
                }
                (None, Some(r)) if first_open && r.building_plan() => {
                    first_open = false;
                    State::Running
                }
                (None, Some(r)) if first_open && r.transform_error.is_some() => {
                    first_open = false;
                    State::Failed(r.transform_error.clone().unwrap_or_default())
                }
                _ => State::Pending,
            };
            out.push(StepRow {
                node,
                transform,
                state,
                micros: ev.map(|e| e.micros),
                stats: ev.map(|e| (e.before, e.after)),
                note: ev.map(|e| e.note.clone()).unwrap_or_default(),
                log: None,
            });
        }
    }
    if let Some(plan) = plan {
        for s in &plan.skipped {
            out.push(StepRow {
                node: s.node.clone(),
                transform: String::new(),
                state: State::Skipped(s.reason.clone()),
                micros: None,
                stats: None,
                note: String::new(),
                log: None,
            });
        }
        let order = match record {
            Some(r) if !r.order.is_empty() => r.order.clone(),
            _ => model.plan_order(plan),
        };
        out.sort_by(|a, b| rank(plan, &order, &a.node).total_cmp(&rank(plan, &order, &b.node)));
    }
    out
}

impl PipelinePane {
    pub fn show_run(&mut self, request: u64) {
        self.shown = Shown::Run(request);
        self.sel = 0;
        self.scroll = 0;
    }

    pub fn show_variant(&mut self, key: String) {
        self.shown = Shown::Variant(key);
        self.sel = 0;
        self.scroll = 0;
    }

    fn record<'a>(&self, model: &'a Model) -> Option<&'a RunRecord> {
        match &self.shown {
            Shown::Latest => model.runs.back(),
            Shown::Run(r) => model.run(*r),
            Shown::Variant(_) => None,
        }
    }

    fn key(&self, model: &Model) -> Option<String> {
        match &self.shown {
            Shown::Variant(k) => Some(k.clone()),
            // A hit's variant is in the cache already; a miss's once the
            // request is done.
            _ => self
                .record(model)
                .filter(|r| r.finished() || r.hit == Some(true))
                .and_then(|r| r.key.clone()),
        }
    }

    /// Asks for the shown request's variant (its step log and IR).
    pub fn want(&mut self, model: &mut Model) {
        let Some(key) = self.key(model) else { return };
        if model.variants.contains_key(&key) {
            return;
        }
        // The kernel's IR is the first step's "before": any run of this
        // key knows its input.
        let input = model
            .runs
            .iter()
            .rev()
            .find(|r| r.key.as_deref() == Some(key.as_str()))
            .map(|r| r.input.clone());
        model.request(Command::LoadVariant { key, input });
    }

    fn current_rows(&self, model: &Model) -> Vec<StepRow> {
        let record = self.record(model);
        let key = self.key(model);
        let variant = key
            .as_ref()
            .and_then(|k| model.variants.get(k))
            .and_then(|v| v.variant.as_ref().ok().cloned());
        let plan = record
            .and_then(|r| r.plan.as_ref())
            .or(variant.as_deref().map(|v| &v.plan));
        rows(model, record, plan, variant.as_deref())
    }

    pub fn handle(&mut self, action: Action, model: &mut Model) -> Effect {
        // A move of the pane's own ends where a search was; `n` and `N`
        // (handled above this pane) go on from it.
        if !matches!(action, Action::NextMatch | Action::PrevMatch) {
            self.found = None;
        }
        match action {
            Action::PageDown => {
                self.scroll = self.scroll.saturating_add(self.text_area.height.max(2) - 1);
                return Effect::None;
            }
            Action::PageUp => {
                self.scroll = self.scroll.saturating_sub(self.text_area.height.max(2) - 1);
                return Effect::None;
            }
            Action::FollowLatest => {
                self.shown = Shown::Latest;
                self.sel = 0;
                self.scroll = 0;
                return Effect::None;
            }
            Action::ToggleFullIr => {
                self.full_ir = !self.full_ir;
                self.scroll = 0;
                return Effect::None;
            }
            _ => {}
        }
        let n = self.current_rows(model).len();
        match step_selection(self.sel, n, action, 5) {
            Some(s) => {
                if s != self.sel {
                    self.sel = s;
                    self.scroll = 0;
                }
                Effect::None
            }
            None => Effect::Unhandled,
        }
    }

    pub fn mouse(&mut self, ev: MouseEvent, model: &mut Model) -> Effect {
        let (x, y) = (ev.column, ev.row);
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) if hit(self.list_area, x, y) => {
                let row = (y - self.list_area.y) as usize + self.table.offset();
                if row < self.current_rows(model).len() && row != self.sel {
                    self.sel = row;
                    self.scroll = 0;
                }
            }
            MouseEventKind::ScrollDown if hit(self.list_area, x, y) => {
                let n = self.current_rows(model).len();
                self.sel = (self.sel + 1).min(n.saturating_sub(1));
                self.scroll = 0;
            }
            MouseEventKind::ScrollUp if hit(self.list_area, x, y) => {
                self.sel = self.sel.saturating_sub(1);
                self.scroll = 0;
            }
            MouseEventKind::ScrollDown => self.scroll = self.scroll.saturating_add(3),
            MouseEventKind::ScrollUp => self.scroll = self.scroll.saturating_sub(3),
            _ => {}
        }
        Effect::None
    }

    fn header(&self, model: &Model, width: u16) -> Vec<Line<'static>> {
        let record = self.record(model);
        let following = matches!(self.shown, Shown::Latest);
        let mut out = Vec::new();
        match (record, &self.shown) {
            (Some(r), _) => {
                let mut spans = vec![
                    Span::styled(format!("#{} {}", r.request, file_name(&r.input)), bold()),
                    Span::raw(" → "),
                    Span::styled(
                        r.profile.clone().unwrap_or_else(|| "…".into()),
                        Style::new().fg(Color::Cyan),
                    ),
                ];
                if let Some(k) = &r.key {
                    spans.push(Span::styled(
                        format!("  key {}", &k[..k.len().min(12)]),
                        dim(),
                    ));
                }
                if following {
                    spans.push(Span::styled("  (latest)", dim()));
                }
                out.push(Line::from(spans));
                let mut facts: Vec<Span> = Vec::new();
                match r.hit {
                    Some(true) => facts.push(Span::styled("hit", good())),
                    Some(false) if r.compiled => facts.push(Span::styled("miss, built", warn())),
                    Some(false) => facts.push(Span::styled("miss, building…", warn())),
                    None => facts.push(Span::styled("planning…", dim())),
                }
                match &r.verification {
                    Some(Verification::Verified) => facts.push(Span::styled(" · verified", good())),
                    Some(Verification::Rejected(why)) => facts.push(Span::styled(
                        format!(" · rejected: {}", truncate(why, 40)),
                        bad(),
                    )),
                    Some(Verification::Reference) | None => {}
                }
                if let Some(t) = &r.timed {
                    facts.push(Span::styled(
                        format!(" · {:.2}× generic", t.speedup()),
                        if t.slower { bad() } else { good() },
                    ));
                }
                match r.served_by {
                    Some(Served::Generic) if r.deferred => facts.push(Span::styled(
                        match &r.ready {
                            Some(p) => format!(" · generic served; built in background: {p}"),
                            None => " · generic served; variant building in background".into(),
                        },
                        warn(),
                    )),
                    Some(Served::Generic) => {
                        facts.push(Span::styled(" · served by generic", warn()))
                    }
                    Some(Served::Fallback) => {
                        facts.push(Span::styled(" · served by a fallback", warn()))
                    }
                    _ => {}
                }
                if let Some(e) = &r.plan_error {
                    facts.push(Span::styled(
                        format!(" · plan failed: {}", truncate(e, 40)),
                        bad(),
                    ));
                }
                if let Some(t) = r.total_micros {
                    facts.push(Span::styled(
                        format!(" · {} end to end", super::ms(t)),
                        dim(),
                    ));
                }
                if let Some(e) = &r.failed {
                    facts.push(Span::styled(format!(" · failed: {e}"), bad()));
                }
                out.push(Line::from(facts));
                // The fallback chain, one line per Plan that did not serve.
                for (i, (from, next)) in r.chain.iter().enumerate() {
                    out.push(Line::from(vec![
                        Span::styled(format!("  chain {}: ", i + 1), dim()),
                        Span::styled(format!("{} {} ", from.profile, from.why), dim()),
                        Span::styled(truncate(&from.verdict.to_string(), 50), bad()),
                        Span::styled(format!(" → {next}"), warn()),
                    ]));
                }
            }
            (None, Shown::Variant(k)) => {
                let v = model
                    .variants
                    .get(k)
                    .and_then(|v| v.variant.as_ref().ok().cloned());
                out.push(Line::from(vec![
                    Span::styled(format!("variant {}", &k[..k.len().min(12)]), bold()),
                    Span::styled(
                        v.as_ref()
                            .map(|v| format!("  {} · {}", v.kernel_name, v.plan.profile))
                            .unwrap_or_default(),
                        Style::new().fg(Color::Cyan),
                    ),
                ]));
                out.push(Line::from(Span::styled(
                    "from the cache · f follows the latest request",
                    dim(),
                )));
            }
            (None, _) => {
                out.push(Line::from(Span::styled("No request yet.", bold())));
                out.push(Line::from(Span::styled(
                    truncate(
                        "Run an input from the Inputs pane (2, then r): its Plan shows here, live.",
                        width as usize,
                    ),
                    dim(),
                )));
            }
        }
        out
    }

    pub fn draw(&mut self, f: &mut Frame, area: Rect, model: &Model, focused: bool) {
        let block = pane_block(PaneId::Pipeline, focused);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let [head, body] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(inner);
        f.render_widget(Paragraph::new(self.header(model, head.width)), head);
        let steps = self.current_rows(model);
        self.sel = self.sel.min(steps.len().saturating_sub(1));
        let wide = body.width >= 90;
        let [list, text] = if wide {
            Layout::horizontal([Constraint::Length(38), Constraint::Min(0)]).areas(body)
        } else {
            let h = (steps.len() as u16).min(body.height / 2).max(1);
            Layout::vertical([Constraint::Length(h), Constraint::Min(0)]).areas(body)
        };
        self.list_area = list;
        let table_rows: Vec<Row> = steps
            .iter()
            .map(|s| {
                let (mark, style) = state_mark(&s.state);
                Row::new(vec![
                    Cell::from(Span::styled(mark, style)),
                    Cell::from(s.node.clone()),
                    Cell::from(Span::styled(
                        if s.transform.is_empty() {
                            "skipped".to_owned()
                        } else {
                            s.transform.clone()
                        },
                        dim(),
                    )),
                    Cell::from(Span::styled(
                        s.micros.map(super::ms).unwrap_or_default(),
                        Style::new().fg(Color::Cyan),
                    )),
                ])
            })
            .collect();
        self.table.select((!steps.is_empty()).then_some(self.sel));
        super::settle(&mut self.table, steps.len(), list.height as usize);
        f.render_stateful_widget(
            Table::new(
                table_rows,
                [
                    Constraint::Length(1),
                    Constraint::Length(9),
                    Constraint::Length(13),
                    Constraint::Length(8),
                ],
            )
            .row_highlight_style(selected_row())
            .highlight_symbol(super::MARK),
            list,
            &mut self.table,
        );
        let text = Rect {
            x: text.x + u16::from(wide),
            width: text.width.saturating_sub(u16::from(wide)),
            ..text
        };
        self.text_area = text;
        let Some(step) = steps.get(self.sel) else {
            return;
        };
        let mut lines: Vec<Line<'static>> = Vec::new();
        let mut title = vec![
            Span::styled(step.node.clone(), bold()),
            Span::styled(format!(" {}", step.transform), Style::new().fg(Color::Cyan)),
        ];
        if let Some(m) = step.micros {
            title.push(Span::styled(format!(" · {}", super::ms(m)), dim()));
        }
        lines.push(Line::from(title));
        if let Some((b, a)) = &step.stats {
            lines.push(Line::from(Span::raw(truncate(
                &counts(b, a),
                text.width as usize,
            ))));
        }
        if !step.note.is_empty() {
            lines.push(Line::from(Span::styled(step.note.clone(), dim())));
        }
        match &step.state {
            State::Skipped(why) => {
                lines.push(Line::from(Span::styled(format!("skipped: {why}"), warn())))
            }
            State::Failed(e) => lines.push(Line::from(Span::styled(format!("failed: {e}"), bad()))),
            State::Running => lines.push(Line::from(Span::styled("running…", warn()))),
            State::Pending => lines.push(Line::from(Span::styled("waiting for the build", dim()))),
            State::Ran | State::Cached => {}
        }
        let head_h = lines.len() as u16;
        let [info, diff_area] =
            Layout::vertical([Constraint::Length(head_h), Constraint::Min(0)]).areas(text);
        f.render_widget(Paragraph::new(lines), info);
        let key = self.key(model);
        let loaded = key.as_ref().and_then(|k| model.variants.get(k));
        let diff: Vec<Line<'static>> = match (step.log, loaded) {
            (Some(i), Some(v)) => match &v.variant {
                Ok(variant) => {
                    let k = v.key.clone();
                    let fresh = matches!(&self.diff, Some((dk, di, full, _)) if *dk == k && *di == i && *full == self.full_ir);
                    if !fresh {
                        let text = step_text(v, variant, i, self.full_ir);
                        self.diff = Some((k, i, self.full_ir, diff_lines(&text, self.full_ir)));
                    }
                    self.diff.as_ref().map(|d| d.3.clone()).unwrap_or_default()
                }
                Err(e) => vec![Line::from(Span::styled(format!("no variant: {e}"), bad()))],
            },
            (None, _) if matches!(step.state, State::Ran | State::Cached) => {
                f.render_widget(
                    Paragraph::new(Span::styled(
                        "the IR diff shows once the variant is in the cache…",
                        dim(),
                    )),
                    diff_area,
                );
                Vec::new()
            }
            _ => Vec::new(),
        };
        let max = (diff.len() as u16).saturating_sub(diff_area.height);
        self.scroll = self.scroll.min(max);
        if !diff.is_empty() && diff_area.height > 1 {
            let [bar, body] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(diff_area);
            f.render_widget(
                Paragraph::new(Span::styled(
                    format!(
                        "{} · {} lines · PgUp/PgDn scroll · i {}",
                        if self.full_ir {
                            "IR after the step"
                        } else {
                            "IR diff"
                        },
                        diff.len(),
                        if self.full_ir { "diff" } else { "whole IR" }
                    ),
                    dim(),
                )),
                bar,
            );
            let search = model.search.as_ref().filter(|q| q.pane == PaneId::Pipeline);
            let shown: Vec<Line> = diff
                .into_iter()
                .skip(self.scroll as usize)
                .take(body.height as usize)
                .map(|l| super::mark_matches(l, search))
                .collect();
            f.render_widget(Paragraph::new(shown), body);
        }
    }
}

impl PipelinePane {
    /// The lines of the text shown for the selected step (its diff, or
    /// the whole IR after it), as the draw renders them.
    fn shown_text(&self, model: &Model) -> Vec<String> {
        let rows = self.current_rows(model);
        let Some(i) = rows.get(self.sel).and_then(|s| s.log) else {
            return Vec::new();
        };
        let Some(v) = self.key(model).and_then(|k| model.variants.get(&k)) else {
            return Vec::new();
        };
        let Ok(variant) = &v.variant else {
            return Vec::new();
        };
        step_text(v, variant, i, self.full_ir)
            .lines()
            .map(super::expand_tabs)
            .collect()
    }
}

/// The text shown for step `i` of `variant`: its IR diff against the step
/// before, or (`full`) the whole IR after it.
fn step_text(v: &VariantView, variant: &Variant, i: usize, full: bool) -> String {
    if full {
        variant
            .steps
            .get(i)
            .map(|s| s.ir_after.clone())
            .unwrap_or_default()
    } else {
        crate::cli::run::step_diff(variant, v.kernel_ir.as_deref(), i)
    }
}

impl super::Searchable for PipelinePane {
    /// The steps (node and transform), then the lines of the text shown
    /// for the selected one (its IR diff, or the whole IR after it).
    fn search_rows(&self, model: &Model) -> Vec<String> {
        let mut out: Vec<String> = self
            .current_rows(model)
            .iter()
            .map(|s| format!("{} {} {}", s.node, s.transform, s.note))
            .collect();
        out.extend(self.shown_text(model));
        out
    }

    fn search_at(&self, _model: &Model) -> usize {
        self.found.unwrap_or(self.sel)
    }

    fn search_show(&mut self, row: usize, model: &Model) {
        let n = self.current_rows(model).len();
        if row < n {
            if row != self.sel {
                self.sel = row;
                self.scroll = 0;
            }
        } else {
            self.scroll = u16::try_from(row - n).unwrap_or(u16::MAX);
        }
        self.found = Some(row);
    }
}

fn diff_lines(text: &str, plain: bool) -> Vec<Line<'static>> {
    text.lines()
        .map(|l| {
            let style = if plain {
                Style::new()
            } else {
                super::diff_style(l)
            };
            Line::from(Span::styled(super::expand_tabs(l), style))
        })
        .collect()
}
