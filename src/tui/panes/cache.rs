//! The Cache pane: every cached variant (kernel, profile, Plan, size, hits,
//! last use, verification, tier), the totals, hit rate and evictions; open
//! an entry for its optimized IR or its assembly, evict one, clear all.
//! Assembly is compiled on the engine thread when first asked for.

use super::{
    ago, bad, bold, dim, good, hit, pane_block, selected_row, step_selection, truncate, warn,
    Confirm, ConfirmFor, Effect, PaneId,
};
use crate::cache::Verification;
use crate::tui::app::Model;
use crate::tui::keymap::Action;
use crate::tui::worker::Command;
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

/// An entry opened to read its code.
#[derive(Debug, Clone, PartialEq)]
struct Open {
    key: String,
    asm: bool,
    scroll: u16,
}

#[derive(Default)]
pub struct CachePane {
    sel: usize,
    /// The selected key, so new entries arriving keep the selection.
    sel_key: Option<String>,
    open: Option<Open>,
    table: TableState,
    list_area: Rect,
    text_h: u16,
}

pub fn bytes(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// An entry's state: its verification, and the guard's verdict beside it
/// (`ok 1.43×` against generic, or `slow 0.06×`: it does not serve).
fn verification(v: &Verification, timed: Option<&crate::cache::Timed>) -> (String, Style) {
    match (v, timed) {
        (Verification::Verified, Some(t)) if t.slower => {
            (format!("slow {:.2}×", t.speedup()), warn())
        }
        (Verification::Verified, Some(t)) => (format!("ok {:.2}×", t.speedup()), good()),
        (Verification::Verified, None) => ("verified".into(), good()),
        (Verification::Reference, _) => ("generic".into(), dim()),
        (Verification::Rejected(_), _) => ("rejected".into(), bad()),
    }
}

impl CachePane {
    fn current(&mut self, model: &Model) -> usize {
        let entries = &model.cache.entries;
        if let Some(k) = &self.sel_key {
            if let Some(i) = entries.iter().position(|e| &e.key.0 == k) {
                self.sel = i;
            }
        }
        self.sel = self.sel.min(entries.len().saturating_sub(1));
        self.sel_key = entries.get(self.sel).map(|e| e.key.0.clone());
        self.sel
    }

    /// Asks for the open entry's IR or assembly.
    pub fn want(&mut self, model: &mut Model) {
        let Some(o) = &self.open else { return };
        if o.asm {
            if !model.assembly.contains_key(&o.key) {
                model.request(Command::Assembly(o.key.clone()));
            }
        } else if !model.variants.contains_key(&o.key) {
            model.request(Command::LoadVariant {
                key: o.key.clone(),
                input: None,
            });
        }
    }

    pub fn handle(&mut self, action: Action, model: &mut Model) -> Effect {
        let sel = self.current(model);
        let n = model.cache.entries.len();
        if let Some(o) = self.open.as_mut() {
            let page = self.text_h.max(2) - 1;
            match action {
                Action::Back | Action::Left => self.open = None,
                Action::ToggleAsm => {
                    o.asm = !o.asm;
                    o.scroll = 0;
                }
                Action::Down => o.scroll = o.scroll.saturating_add(1),
                Action::Up => o.scroll = o.scroll.saturating_sub(1),
                Action::PageDown => o.scroll = o.scroll.saturating_add(page),
                Action::PageUp => o.scroll = o.scroll.saturating_sub(page),
                Action::Top => o.scroll = 0,
                Action::Bottom => o.scroll = u16::MAX,
                Action::ShowPipeline => return Effect::ShowVariant(o.key.clone()),
                _ => return Effect::Unhandled,
            }
            return Effect::None;
        }
        if let Some(s) = step_selection(sel, n, action, 10) {
            self.sel = s;
            self.sel_key = model.cache.entries.get(s).map(|e| e.key.0.clone());
            return Effect::None;
        }
        let key = model.cache.entries.get(sel).map(|e| e.key.0.clone());
        match action {
            Action::Open | Action::Right | Action::ToggleAsm => {
                if let Some(key) = key {
                    self.open = Some(Open {
                        key,
                        asm: action == Action::ToggleAsm,
                        scroll: 0,
                    });
                }
                Effect::None
            }
            Action::ShowPipeline => key.map(Effect::ShowVariant).unwrap_or(Effect::None),
            Action::Evict => match key {
                Some(k) => Effect::Confirm(Confirm {
                    question: format!("Evict {} from memory and disk?", &k[..k.len().min(12)]),
                    purpose: ConfirmFor::Evict(k),
                }),
                None => Effect::None,
            },
            Action::ClearCache => Effect::Confirm(Confirm {
                question: format!("Clear the whole cache ({n} entries)?"),
                purpose: ConfirmFor::ClearCache,
            }),
            Action::Refresh => {
                model.send(Command::RefreshCache);
                Effect::None
            }
            _ => Effect::Unhandled,
        }
    }

    pub fn mouse(&mut self, ev: MouseEvent, model: &mut Model) -> Effect {
        let (x, y) = (ev.column, ev.row);
        if let Some(o) = self.open.as_mut() {
            match ev.kind {
                MouseEventKind::ScrollDown => o.scroll = o.scroll.saturating_add(3),
                MouseEventKind::ScrollUp => o.scroll = o.scroll.saturating_sub(3),
                _ => {}
            }
            return Effect::None;
        }
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) if hit(self.list_area, x, y) => {
                // The header takes the first row.
                let row = (y - self.list_area.y) as usize;
                if row >= 1 {
                    let i = row - 1 + self.table.offset();
                    if i < model.cache.entries.len() {
                        self.sel = i;
                        self.sel_key = Some(model.cache.entries[i].key.0.clone());
                    }
                }
            }
            MouseEventKind::ScrollDown => {
                let n = model.cache.entries.len();
                self.sel = (self.sel + 1).min(n.saturating_sub(1));
                self.sel_key = model.cache.entries.get(self.sel).map(|e| e.key.0.clone());
            }
            MouseEventKind::ScrollUp => {
                self.sel = self.sel.saturating_sub(1);
                self.sel_key = model.cache.entries.get(self.sel).map(|e| e.key.0.clone());
            }
            _ => {}
        }
        Effect::None
    }

    pub fn draw(&mut self, f: &mut Frame, area: Rect, model: &Model, focused: bool) {
        let block = pane_block(PaneId::Cache, focused);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let sel = self.current(model);
        let [body, totals] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(2)]).areas(inner);
        self.draw_totals(f, totals, model);
        if let Some(o) = self.open.clone() {
            self.draw_open(f, body, model, o);
            return;
        }
        self.list_area = body;
        let c = &model.cache;
        if c.entries.is_empty() {
            f.render_widget(
                Paragraph::new(vec![
                    Line::from("The cache is empty."),
                    Line::from(Span::styled(
                        "Run an input (Inputs pane, r): its variant lands here.",
                        dim(),
                    )),
                ]),
                body,
            );
            return;
        }
        let wide = body.width >= 100;
        let header = Row::new(
            if wide {
                vec![
                    "key", "kernel", "profile", "size", "hits", "last use", "state", "tier", "plan",
                ]
            } else {
                vec![
                    "key", "kernel", "profile", "hits", "last use", "state", "plan",
                ]
            }
            .into_iter()
            .map(|h| Cell::from(Span::styled(h, bold()))),
        );
        let rows: Vec<Row> = c
            .entries
            .iter()
            .map(|e| {
                let (state, style) = verification(&e.verification, e.timed.as_ref());
                let tier = match (e.in_memory, e.on_disk) {
                    (true, true) => "mem+disk",
                    (true, false) => "memory",
                    (false, true) => "disk",
                    (false, false) => "-",
                };
                let mut cells = vec![
                    Cell::from(Span::styled(
                        e.key.short()[..8.min(e.key.short().len())].to_owned(),
                        dim(),
                    )),
                    Cell::from(e.kernel_name.clone()),
                    Cell::from(Span::styled(
                        e.profile.clone(),
                        Style::new().fg(Color::Cyan),
                    )),
                ];
                if wide {
                    cells.push(Cell::from(bytes(e.size)));
                }
                cells.push(Cell::from(e.hits.to_string()));
                cells.push(Cell::from(ago(model.now_ms, e.last_use * 1000)));
                cells.push(Cell::from(Span::styled(state, style)));
                if wide {
                    cells.push(Cell::from(Span::styled(tier, dim())));
                }
                cells.push(Cell::from(Span::styled(
                    e.plan_summary.replace(" -> ", " → "),
                    dim(),
                )));
                Row::new(cells)
            })
            .collect();
        let widths: Vec<Constraint> = if wide {
            vec![
                Constraint::Length(8),
                Constraint::Length(10),
                Constraint::Length(15),
                Constraint::Length(9),
                Constraint::Length(5),
                Constraint::Length(8),
                Constraint::Length(10),
                Constraint::Length(8),
                Constraint::Min(10),
            ]
        } else {
            vec![
                Constraint::Length(8),
                Constraint::Length(9),
                Constraint::Length(15),
                Constraint::Length(4),
                Constraint::Length(8),
                Constraint::Length(10),
                Constraint::Min(8),
            ]
        };
        self.table.select(Some(sel));
        f.render_stateful_widget(
            Table::new(rows, widths)
                .header(header)
                .row_highlight_style(selected_row())
                .highlight_symbol(super::MARK),
            body,
            &mut self.table,
        );
    }

    fn draw_totals(&self, f: &mut Frame, area: Rect, model: &Model) {
        let c = &model.cache;
        let s = c.stats;
        let rate = model
            .hit_rate()
            .map(|r| format!("{:.0}%", r * 100.0))
            .unwrap_or_else(|| "-".into());
        let line1 = Line::from(vec![
            Span::styled(format!("{} entries", c.entries.len()), bold()),
            Span::styled(
                format!(" · {} in memory ({})", s.entries, bytes(s.bytes)),
                dim(),
            ),
            Span::raw(" · requests "),
            Span::styled(format!("{rate} hit"), good()),
            Span::styled(
                format!(
                    " ({} of {})",
                    c.engine.hits,
                    c.engine.hits + c.engine.misses
                ),
                dim(),
            ),
        ]);
        let line2 = Line::from(vec![
            Span::styled(
                format!(
                    "gets {} hit / {} miss · {} from disk{} · {} evictions{} · {} rejected · {} corrupt",
                    s.hits,
                    s.misses,
                    s.disk_hits,
                    if s.fleet_hits > 0 {
                        format!(" · {} from redis", s.fleet_hits)
                    } else {
                        String::new()
                    },
                    s.evictions,
                    if s.disk_evictions > 0 {
                        format!(" ({} from disk)", s.disk_evictions)
                    } else {
                        String::new()
                    },
                    s.rejections,
                    s.corrupt
                ),
                dim(),
            ),
            Span::styled(
                if self.open.is_some() {
                    "  Esc back · a IR/asm · p steps"
                } else {
                    "  Enter open · d evict · D clear"
                },
                dim(),
            ),
        ]);
        f.render_widget(Paragraph::new(vec![line1, line2]), area);
    }

    fn draw_open(&mut self, f: &mut Frame, area: Rect, model: &Model, o: Open) {
        let entry = model.cache.entries.iter().find(|e| e.key.0 == o.key);
        let [head, body] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
        let (state, style) = entry
            .map(|e| verification(&e.verification, e.timed.as_ref()))
            .unwrap_or(("gone".into(), warn()));
        let mut head_lines = vec![Line::from(vec![
            Span::styled(
                format!(
                    "{} of {}",
                    if o.asm { "assembly" } else { "optimized IR" },
                    &o.key[..o.key.len().min(12)]
                ),
                bold(),
            ),
            Span::raw("  "),
            Span::styled(
                entry
                    .map(|e| format!("{} · {} · ", e.kernel_name, e.profile))
                    .unwrap_or_default(),
                Style::new().fg(Color::Cyan),
            ),
            Span::styled(state.clone(), style),
        ])];
        if let Some(Verification::Rejected(why)) = entry.map(|e| &e.verification) {
            head_lines.push(Line::from(Span::styled(
                truncate(&format!("rejected: {why}"), area.width as usize),
                bad(),
            )));
        } else if let Some(t) = entry.and_then(|e| e.timed).filter(|t| t.slower) {
            head_lines.push(Line::from(Span::styled(
                truncate(&format!("not served: {t}"), area.width as usize),
                warn(),
            )));
        } else if let Some(e) = entry {
            head_lines.push(Line::from(Span::styled(
                truncate(&e.plan_summary.replace(" -> ", " → "), area.width as usize),
                dim(),
            )));
        }
        f.render_widget(Paragraph::new(head_lines), head);
        let text: Result<String, String> = if o.asm {
            match model.assembly.get(&o.key) {
                Some(t) => t.clone(),
                None => Ok("compiling…".into()),
            }
        } else {
            match model.variants.get(&o.key) {
                Some(v) => v
                    .variant
                    .as_ref()
                    .map(|v| v.optimized_ir.clone())
                    .map_err(Clone::clone),
                None => Ok("loading…".into()),
            }
        };
        let lines: Vec<Line> = match &text {
            Ok(t) => t
                .lines()
                .map(|l| Line::from(super::expand_tabs(l)))
                .collect(),
            Err(e) => vec![Line::from(Span::styled(e.clone(), bad()))],
        };
        self.text_h = body.height;
        let max = (lines.len() as u16).saturating_sub(body.height);
        let scroll = o.scroll.min(max);
        if let Some(open) = self.open.as_mut() {
            open.scroll = scroll;
        }
        f.render_widget(Paragraph::new(lines).scroll((scroll, 0)), body);
    }
}
