//! The Cache pane: every cached variant (kernel, profile, Plan, size, hits,
//! last use, verification, tier), the totals, hit rate and evictions; open
//! an entry for its optimized IR or its assembly, or beside its generic
//! build as a side-by-side diff with its measured speedup and the steps
//! that changed it; evict one, clear all. Assembly is compiled on the
//! engine thread when first asked for.

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
    /// Side by side with this entry (the kernel's generic build).
    against: Option<String>,
    /// Side by side: list the steps that changed nothing too.
    all_steps: bool,
}

/// The generic build of the kernel `key`'s entry was made from, when the
/// cache holds it.
fn generic_of(model: &Model, key: &str) -> Option<String> {
    let e = model.cache.entries.iter().find(|e| e.key.0 == key)?;
    model
        .cache
        .entries
        .iter()
        .find(|g| {
            g.profile == crate::profile::GENERIC
                && g.key.0 != key
                && if e.kernel_hash.is_empty() || g.kernel_hash.is_empty() {
                    g.kernel_name == e.kernel_name && g.entry == e.entry
                } else {
                    g.kernel_hash == e.kernel_hash
                }
        })
        .map(|g| g.key.0.clone())
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
        let keys = std::iter::once(&o.key).chain(o.against.as_ref());
        for key in keys {
            if o.asm && !model.assembly.contains_key(key) {
                model.request(Command::Assembly(key.clone()));
            }
            // Side by side also reads the variant's steps.
            if (!o.asm || o.against.is_some()) && !model.variants.contains_key(key) {
                model.request(Command::LoadVariant {
                    key: key.clone(),
                    input: None,
                });
            }
        }
    }

    /// Opens `key` beside its generic build, or says why it cannot.
    fn compare(&mut self, model: &mut Model, key: String, asm: bool) {
        let is_generic = model
            .cache
            .entries
            .iter()
            .any(|e| e.key.0 == key && e.profile == crate::profile::GENERIC);
        if is_generic {
            model.flash("this is the generic build: open a variant to compare", true);
            return;
        }
        match generic_of(model, &key) {
            Some(g) => {
                self.open = Some(Open {
                    key,
                    asm,
                    scroll: 0,
                    against: Some(g),
                    all_steps: false,
                });
            }
            None => model.flash(
                "the cache holds no generic build of this kernel: run the input once",
                true,
            ),
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
                Action::ToggleUnchanged if o.against.is_some() => o.all_steps = !o.all_steps,
                Action::Compare => {
                    if o.against.is_some() {
                        o.against = None;
                        o.scroll = 0;
                    } else {
                        let (key, asm) = (o.key.clone(), o.asm);
                        self.compare(model, key, asm);
                    }
                }
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
                        against: None,
                        all_steps: false,
                    });
                }
                Effect::None
            }
            Action::Compare => {
                if let Some(key) = key {
                    self.compare(model, key, false);
                }
                Effect::None
            }
            Action::ShowPipeline => key.map(Effect::ShowVariant).unwrap_or(Effect::None),
            Action::Evict => match key {
                Some(k) => {
                    // Where the entry is: no disk tier, no disk named.
                    let entry = model.cache.entries.iter().find(|e| e.key.0 == k);
                    let at = match entry.map(|e| (e.in_memory, e.on_disk)) {
                        Some((true, false)) => "memory",
                        Some((false, true)) => "disk",
                        _ => "memory and disk",
                    };
                    Effect::Confirm(Confirm {
                        question: format!("Evict {} from {at}?", &k[..k.len().min(12)]),
                        purpose: ConfirmFor::Evict(k),
                    })
                }
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
        let hints: &[&str] = match &self.open {
            Some(o) if o.against.is_some() => &[
                "Esc back",
                "a IR/asm",
                "v alone",
                "u unchanged steps",
                "p steps",
            ],
            Some(_) => &["Esc back", "a IR/asm", "v beside generic", "p steps"],
            None => &["Enter open", "v beside generic", "d evict", "D clear"],
        };
        let block = pane_block(PaneId::Cache, focused).title_bottom(
            Line::from(Span::styled(
                super::hints(hints, (area.width as usize).saturating_sub(14)),
                dim(),
            ))
            .right_aligned(),
        );
        let inner = block.inner(area);
        f.render_widget(block, area);
        let sel = self.current(model);
        let [body, totals] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(2)]).areas(inner);
        self.draw_totals(f, totals, model);
        if let Some(o) = self.open.clone() {
            match o.against.clone() {
                Some(g) => self.draw_compare(f, body, model, o, &g),
                None => self.draw_open(f, body, model, o),
            }
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
        // Columns as wide as their widest cell (the plan takes the rest,
        // cut with `…`): nothing is cut where there is room.
        struct Col {
            head: &'static str,
            cells: Vec<(String, Style)>,
        }
        let mut cols: Vec<Col> = Vec::new();
        let mut col = |head: &'static str, cells: Vec<(String, Style)>| {
            cols.push(Col { head, cells });
        };
        let entries = &c.entries;
        col(
            "key",
            entries
                .iter()
                .map(|e| {
                    (
                        e.key.short()[..8.min(e.key.short().len())].to_owned(),
                        dim(),
                    )
                })
                .collect(),
        );
        col(
            "kernel",
            entries
                .iter()
                .map(|e| (e.kernel_name.clone(), Style::new()))
                .collect(),
        );
        col(
            "profile",
            entries
                .iter()
                .map(|e| (e.profile.clone(), Style::new().fg(Color::Cyan)))
                .collect(),
        );
        if wide {
            col(
                "size",
                entries
                    .iter()
                    .map(|e| (bytes(e.size), Style::new()))
                    .collect(),
            );
        }
        col(
            "hits",
            entries
                .iter()
                .map(|e| (e.hits.to_string(), Style::new()))
                .collect(),
        );
        col(
            "last use",
            entries
                .iter()
                .map(|e| (ago(model.now_ms, e.last_use * 1000), Style::new()))
                .collect(),
        );
        col(
            "state",
            entries
                .iter()
                .map(|e| verification(&e.verification, e.timed.as_ref()))
                .collect(),
        );
        if wide {
            col(
                "tier",
                entries
                    .iter()
                    .map(|e| {
                        let tier = match (e.in_memory, e.on_disk) {
                            (true, true) => "mem+disk",
                            (true, false) => "memory",
                            (false, true) => "disk",
                            (false, false) => "-",
                        };
                        (tier.to_owned(), dim())
                    })
                    .collect(),
            );
        }
        let fixed: Vec<usize> = cols
            .iter()
            .map(|c| {
                c.cells
                    .iter()
                    .map(|(t, _)| t.chars().count())
                    .chain([c.head.len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        // The mark, and a space between columns.
        let used = 1 + fixed.iter().map(|w| w + 1).sum::<usize>();
        let plan_w = (body.width as usize).saturating_sub(used).max(4);
        let plans: Vec<String> = entries
            .iter()
            .map(|e| truncate(&e.plan_summary.replace(" -> ", " → "), plan_w))
            .collect();
        let header = Row::new(
            cols.iter()
                .map(|c| c.head)
                .chain(["plan"])
                .map(|h| Cell::from(Span::styled(h, bold()))),
        );
        let rows: Vec<Row> = (0..entries.len())
            .map(|i| {
                let mut cells: Vec<Cell> = cols
                    .iter()
                    .map(|c| {
                        let (t, st) = c.cells[i].clone();
                        Cell::from(Span::styled(t, st))
                    })
                    .collect();
                cells.push(Cell::from(Span::styled(plans[i].clone(), dim())));
                Row::new(cells)
            })
            .collect();
        let widths: Vec<Constraint> = fixed
            .iter()
            .map(|&w| Constraint::Length(w as u16))
            .chain([Constraint::Min(4)])
            .collect();
        self.table.select(Some(sel));
        // The header takes a row.
        super::settle(
            &mut self.table,
            c.entries.len(),
            body.height.saturating_sub(1) as usize,
        );
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
        // The rarer counters only when they count something, so the line
        // fits a grid pane whole.
        let mut gets = vec![
            format!("gets {} hit / {} miss", s.hits, s.misses),
            format!("{} evictions", s.evictions),
        ];
        for (n, what) in [
            (s.disk_hits, "from disk"),
            (s.fleet_hits, "from redis"),
            (s.disk_evictions, "evicted from disk"),
            (s.rejections, "rejected"),
            (s.corrupt, "corrupt"),
        ] {
            if n > 0 {
                gets.push(format!("{n} {what}"));
            }
        }
        let line2 = Line::from(Span::styled(gets.join(" · "), dim()));
        let fit = |l: Line<'static>| Line::from(super::fit_spans(l.spans, area.width as usize));
        f.render_widget(Paragraph::new(vec![fit(line1), fit(line2)]), area);
    }

    /// The open entry beside its generic build: a head with the measured
    /// speedup, the steps that changed the IR (with their remarks), and the
    /// two texts as aligned columns of a line diff.
    fn draw_compare(&mut self, f: &mut Frame, area: Rect, model: &Model, o: Open, g: &str) {
        let w = area.width as usize;
        let entry = model.cache.entries.iter().find(|e| e.key.0 == o.key);
        let text_of = |key: &str| open_text(model, key, o.asm);
        let (left, right) = (text_of(g), text_of(&o.key));
        let what = if o.asm { "assembly" } else { "IR" };
        let mut head = vec![Line::from(vec![
            Span::styled(
                format!("{what}: generic {} | ", &g[..g.len().min(12)]),
                bold(),
            ),
            Span::styled(
                format!(
                    "{} {}",
                    entry.map_or("?", |e| e.profile.as_str()),
                    &o.key[..o.key.len().min(12)]
                ),
                Style::new()
                    .fg(Color::Cyan)
                    .add_modifier(ratatui::style::Modifier::BOLD),
            ),
        ])];
        head.push(match entry.and_then(|e| e.timed.as_ref()) {
            Some(t) if t.slower => Line::from(Span::styled(
                truncate(&format!("measured {t}: generic serves"), w),
                warn(),
            )),
            Some(t) => Line::from(Span::styled(truncate(&format!("measured {t}"), w), good())),
            None => Line::from(Span::styled("not timed against generic", dim())),
        });
        // The steps that changed the IR, each with its note (LLVM's remarks
        // included); the others hidden unless asked for.
        let steps = model
            .variants
            .get(&o.key)
            .and_then(|v| v.variant.as_ref().ok())
            .map(|v| v.steps.clone())
            .unwrap_or_default();
        let mut step_lines = Vec::new();
        let mut unchanged = 0;
        for (i, s) in steps.iter().enumerate() {
            let changed = s.before != s.after
                || i.checked_sub(1)
                    .and_then(|p| steps.get(p))
                    .is_some_and(|p| p.ir_after != s.ir_after);
            if !changed {
                unchanged += 1;
                if !o.all_steps {
                    continue;
                }
            }
            let mark = if changed { "✓" } else { "·" };
            step_lines.push(Line::from(vec![
                Span::styled(format!("{mark} "), if changed { good() } else { dim() }),
                Span::styled(format!("{} {} ", s.node, s.transform), bold()),
                Span::styled(
                    truncate(
                        &format!(
                            "instr {}→{} vector {}→{} · {}",
                            s.before.instructions,
                            s.after.instructions,
                            s.before.vector_instructions,
                            s.after.vector_instructions,
                            s.note
                        ),
                        w.saturating_sub(s.node.len() + s.transform.len() + 4),
                    ),
                    dim(),
                ),
            ]));
        }
        if unchanged > 0 {
            step_lines.push(Line::from(Span::styled(
                if o.all_steps {
                    format!("{unchanged} step(s) changed nothing (· above; u hides them)")
                } else {
                    format!("{unchanged} step(s) changed nothing, hidden (u shows them)")
                },
                dim(),
            )));
        }
        let rows = match (&left, &right) {
            (Some(Ok(l)), Some(Ok(r))) => Some(side_by_side(l, r)),
            _ => None,
        };
        if let Some(rows) = &rows {
            let (plus, minus) = rows.iter().fold((0, 0), |(p, m), r| {
                (
                    p + usize::from(r.2 == Side::Added || r.2 == Side::Changed),
                    m + usize::from(r.2 == Side::Removed || r.2 == Side::Changed),
                )
            });
            if let Some(first) = head.get_mut(0) {
                first
                    .spans
                    .push(Span::styled(format!("  +{plus} −{minus} lines"), dim()));
            }
        }
        let steps_h = (step_lines.len() as u16).min(area.height / 3);
        let [head_a, steps_a, body] = Layout::vertical([
            Constraint::Length(head.len() as u16),
            Constraint::Length(steps_h),
            Constraint::Min(0),
        ])
        .areas(area);
        f.render_widget(Paragraph::new(head), head_a);
        f.render_widget(Paragraph::new(step_lines), steps_a);
        let rows = match (rows, left, right) {
            (Some(rows), _, _) => rows,
            (None, Some(Err(e)), _) | (None, _, Some(Err(e))) => {
                f.render_widget(Paragraph::new(Span::styled(e, bad())), body);
                return;
            }
            _ => {
                f.render_widget(Paragraph::new(Span::styled("loading…", dim())), body);
                return;
            }
        };
        self.text_h = body.height;
        let max = (rows.len() as u16).saturating_sub(body.height);
        let scroll = o.scroll.min(max);
        if let Some(open) = self.open.as_mut() {
            open.scroll = scroll;
        }
        let [l_a, gap, r_a] = Layout::horizontal([
            Constraint::Ratio(1, 2),
            Constraint::Length(1),
            Constraint::Ratio(1, 2),
        ])
        .areas(body);
        let search = model.search.as_ref().filter(|q| q.pane == PaneId::Cache);
        let col = |text: &Option<String>, style: Style, width: u16| -> Line<'static> {
            match text {
                Some(t) => super::mark_matches(
                    Line::from(Span::styled(
                        truncate(&super::expand_tabs(t), width as usize),
                        style,
                    )),
                    search,
                ),
                None => Line::from(""),
            }
        };
        let visible = rows.iter().skip(scroll as usize).take(body.height as usize);
        let (mut ls, mut rs, mut gs) = (Vec::new(), Vec::new(), Vec::new());
        for (l, r, side) in visible {
            let (lstyle, rstyle, mark) = match side {
                Side::Same => (Style::new(), Style::new(), " "),
                Side::Removed => (bad(), Style::new(), "<"),
                Side::Added => (Style::new(), good(), ">"),
                Side::Changed => (bad(), good(), "|"),
            };
            ls.push(col(l, lstyle, l_a.width));
            rs.push(col(r, rstyle, r_a.width));
            gs.push(Line::from(Span::styled(mark, dim())));
        }
        f.render_widget(Paragraph::new(ls), l_a);
        f.render_widget(Paragraph::new(gs), gap);
        f.render_widget(Paragraph::new(rs), r_a);
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
        let text: Result<String, String> = open_text(model, &o.key, o.asm)
            .unwrap_or_else(|| Ok(if o.asm { "compiling…" } else { "loading…" }.into()));
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
        let search = model.search.as_ref().filter(|q| q.pane == PaneId::Cache);
        let lines: Vec<Line> = lines
            .into_iter()
            .skip(scroll as usize)
            .take(body.height as usize)
            .map(|l| super::mark_matches(l, search))
            .collect();
        f.render_widget(Paragraph::new(lines), body);
    }
}

/// The text of `key` as an open view shows it: its assembly or its
/// optimized IR, when the model has it.
fn open_text(model: &Model, key: &str, asm: bool) -> Option<Result<String, String>> {
    if asm {
        model.assembly.get(key).cloned()
    } else {
        model.variants.get(key).map(|v| {
            v.variant
                .as_ref()
                .map(|v| v.optimized_ir.clone())
                .map_err(Clone::clone)
        })
    }
}

impl super::Searchable for CachePane {
    /// The entries (key, kernel, profile, state, Plan), or the open
    /// entry's lines: its IR or assembly, or both sides of the diff.
    fn search_rows(&self, model: &Model) -> Vec<String> {
        let Some(o) = &self.open else {
            return model
                .cache
                .entries
                .iter()
                .map(|e| {
                    format!(
                        "{} {} {} {} {}",
                        e.key.0,
                        e.kernel_name,
                        e.profile,
                        verification(&e.verification, e.timed.as_ref()).0,
                        e.plan_summary
                    )
                })
                .collect();
        };
        let mine = open_text(model, &o.key, o.asm).and_then(Result::ok);
        match (&o.against, mine) {
            (None, Some(t)) => t.lines().map(super::expand_tabs).collect(),
            (Some(g), Some(r)) => match open_text(model, g, o.asm).and_then(Result::ok) {
                Some(l) => side_by_side(&l, &r)
                    .into_iter()
                    .map(|(l, r, _)| {
                        format!("{} | {}", l.unwrap_or_default(), r.unwrap_or_default())
                    })
                    .collect(),
                None => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    fn search_at(&self, _model: &Model) -> usize {
        match &self.open {
            Some(o) => o.scroll as usize,
            None => self.sel,
        }
    }

    fn search_show(&mut self, row: usize, model: &Model) {
        match self.open.as_mut() {
            Some(o) => o.scroll = u16::try_from(row).unwrap_or(u16::MAX),
            None => {
                self.sel = row;
                self.sel_key = model.cache.entries.get(row).map(|e| e.key.0.clone());
            }
        }
    }
}

/// How a row of the side-by-side diff differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Same,
    /// Only in generic's build.
    Removed,
    /// Only in the variant.
    Added,
    /// A line of each, replaced.
    Changed,
}

/// Aligned rows of a line diff: (generic's line, the variant's line, how).
fn side_by_side(left: &str, right: &str) -> Vec<(Option<String>, Option<String>, Side)> {
    use similar::{DiffOp, TextDiff};
    let diff = TextDiff::from_lines(left, right);
    let (old, new) = (diff.old_slices(), diff.new_slices());
    let line = |s: &str| s.trim_end_matches(['\n', '\r']).to_owned();
    let mut rows = Vec::new();
    for op in diff.ops() {
        match *op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                for i in 0..len {
                    rows.push((
                        Some(line(old[old_index + i])),
                        Some(line(new[new_index + i])),
                        Side::Same,
                    ));
                }
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => {
                for i in 0..old_len {
                    rows.push((Some(line(old[old_index + i])), None, Side::Removed));
                }
            }
            DiffOp::Insert {
                new_index, new_len, ..
            } => {
                for i in 0..new_len {
                    rows.push((None, Some(line(new[new_index + i])), Side::Added));
                }
            }
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                for i in 0..old_len.max(new_len) {
                    let l = (i < old_len).then(|| line(old[old_index + i]));
                    let r = (i < new_len).then(|| line(new[new_index + i]));
                    let side = match (&l, &r) {
                        (Some(_), Some(_)) => Side::Changed,
                        (Some(_), None) => Side::Removed,
                        _ => Side::Added,
                    };
                    rows.push((l, r, side));
                }
            }
        }
    }
    rows
}
