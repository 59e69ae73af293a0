//! The Inputs pane: the shipped sample inputs and workloads; for the
//! selected input its characteristic vector, every profile's verdict (which
//! matched, which was selected and why) and the Plan; run it once, N times,
//! or replay a workload. The analysis comes from the engine thread and is
//! asked for when an input is first shown (and again after a reload).

use super::{
    bad, bold, dim, good, hit, pane_block, selected_row, step_selection, warn, Effect, PaneId,
    Prompt, PromptFor,
};
use crate::profile::Verdict;
use crate::tui::app::Model;
use crate::tui::keymap::Action;
use crate::tui::worker::{file_name, AnalysisView, Command};
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The requests a workload stands for, counted per input.
type WorkloadInfo = Result<Vec<(String, usize)>, String>;

/// What `n` runs when Enter is pressed on an empty count.
const RUNS_DEFAULT: usize = 10;
const REPLAYS_DEFAULT: usize = 2;

pub struct InputsPane {
    inputs: Vec<PathBuf>,
    workloads: Vec<PathBuf>,
    sel: usize,
    scroll: u16,
    table: TableState,
    list_area: Rect,
    detail_area: Rect,
    workload_info: HashMap<PathBuf, WorkloadInfo>,
    /// The `--inputs` folder, when it did not exist at start.
    missing: Option<PathBuf>,
    /// The folder listed, looked at again every [`RESCAN_MS`], and when.
    dir: Option<PathBuf>,
    scanned_ms: u64,
}

/// How often the inputs folder is listed again (a `readdir` of two
/// folders), so inputs added or removed while the workbench runs show.
const RESCAN_MS: u64 = 1000;

/// The `*.yaml` files of a folder, sorted.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

impl InputsPane {
    /// The sample inputs listed.
    pub fn inputs(&self) -> &[PathBuf] {
        &self.inputs
    }

    pub fn new(inputs: Vec<PathBuf>, workloads: Vec<PathBuf>) -> InputsPane {
        InputsPane {
            inputs,
            workloads,
            sel: 0,
            scroll: 0,
            table: TableState::default(),
            list_area: Rect::default(),
            detail_area: Rect::default(),
            workload_info: HashMap::new(),
            missing: None,
            dir: None,
            scanned_ms: 0,
        }
    }

    /// Lists `dir` again from time to time (see [`InputsPane::rescan`]).
    pub fn follow(&mut self, dir: &Path) {
        self.dir = Some(dir.to_owned());
    }

    /// Lists the folder again when [`RESCAN_MS`] have passed: added
    /// inputs show, removed ones go, the selection stays on its file. A
    /// folder missing until now that exists gives its path (the caller
    /// says it appeared; the pane lists it).
    pub fn rescan(&mut self, now_ms: u64) -> Option<PathBuf> {
        let dir = self.dir.clone()?;
        if now_ms.saturating_sub(self.scanned_ms) < RESCAN_MS {
            return None;
        }
        self.scanned_ms = now_ms;
        if self.missing.is_some() {
            return dir.is_dir().then(|| {
                self.load(&dir);
                dir
            });
        }
        let inputs = yaml_files(&dir);
        let workloads = yaml_files(&dir.join("workloads"));
        if inputs == self.inputs && workloads == self.workloads {
            return None;
        }
        let was = self.selected().map(|(p, _)| p.to_owned());
        self.inputs = inputs;
        self.workloads = workloads;
        let at = was.and_then(|w| {
            self.inputs
                .iter()
                .chain(&self.workloads)
                .position(|p| *p == w)
        });
        self.sel = at.unwrap_or(self.sel).min(self.len().saturating_sub(1));
        None
    }

    /// The inputs folder `dir` does not exist (yet): the pane says so.
    pub fn set_missing(&mut self, dir: &Path) {
        self.missing = Some(dir.to_owned());
    }

    /// The inputs folder, when it does not exist (yet).
    pub fn missing(&self) -> Option<&Path> {
        self.missing.as_deref()
    }

    /// Lists the inputs and workloads of `dir` (the folder appeared).
    pub fn load(&mut self, dir: &Path) {
        self.dir = Some(dir.to_owned());
        self.inputs = yaml_files(dir);
        self.workloads = yaml_files(&dir.join("workloads"));
        self.missing = None;
        self.sel = 0;
        self.scroll = 0;
        self.workload_info.clear();
    }

    fn len(&self) -> usize {
        self.inputs.len() + self.workloads.len()
    }

    fn selected(&self) -> Option<(&Path, bool)> {
        if self.sel < self.inputs.len() {
            self.inputs.get(self.sel).map(|p| (p.as_path(), false))
        } else {
            self.workloads
                .get(self.sel - self.inputs.len())
                .map(|p| (p.as_path(), true))
        }
    }

    /// The selected sample input (not a workload).
    pub fn selected_input(&self) -> Option<&Path> {
        self.selected().filter(|(_, w)| !w).map(|(p, _)| p)
    }

    /// Asks for the selected input's analysis when the model lacks it.
    pub fn want(&mut self, model: &mut Model) {
        if let Some(p) = self.selected_input() {
            if !model.analyses.contains_key(p) {
                model.request(Command::Analyze(p.to_owned()));
            }
        }
    }

    pub fn handle(&mut self, action: Action, model: &mut Model) -> Effect {
        if let Some(s) = step_selection(self.sel, self.len(), action, 10) {
            if matches!(action, Action::PageUp | Action::PageDown) {
                // Pages scroll the detail, where the long text is.
                self.scroll = if action == Action::PageDown {
                    self.scroll.saturating_add(10)
                } else {
                    self.scroll.saturating_sub(10)
                };
                return Effect::None;
            }
            if s != self.sel {
                self.sel = s;
                self.scroll = 0;
            }
            return Effect::None;
        }
        match action {
            Action::RunOnce => {
                match self.selected() {
                    Some((p, false)) => model.send(Command::Run {
                        input: p.to_owned(),
                        times: 1,
                    }),
                    Some((p, true)) => model.send(Command::Replay(p.to_owned())),
                    None => {}
                }
                Effect::None
            }
            Action::RunTimes => match self.selected() {
                // Empty, so what is typed is the count; Enter alone runs
                // the default the hint names.
                Some((p, false)) => Effect::Prompt(Prompt {
                    label: format!("run {} how many times", file_name(p)),
                    input: String::new(),
                    hint: format!(
                        "Enter alone: {RUNS_DEFAULT} · requests after the first hit the cache"
                    ),
                    purpose: PromptFor::RunTimes(p.to_owned()),
                }),
                Some((p, true)) => Effect::Prompt(Prompt {
                    label: format!("replay {} how many times", file_name(p)),
                    input: String::new(),
                    hint: format!(
                        "Enter alone: {REPLAYS_DEFAULT} · each replay is a batch of its own, queued after the others"
                    ),
                    purpose: PromptFor::RunTimes(p.to_owned()),
                }),
                None => Effect::None,
            },
            _ => Effect::Unhandled,
        }
    }

    pub fn prompted(&mut self, p: Prompt, model: &mut Model) -> Effect {
        if let PromptFor::RunTimes(input) = p.purpose {
            let workload = self.workloads.contains(&input);
            let typed = match p.input.trim() {
                "" if workload => REPLAYS_DEFAULT.to_string(),
                "" => RUNS_DEFAULT.to_string(),
                t => t.to_owned(),
            };
            match typed.parse::<usize>() {
                Ok(n) if workload && (1..=100).contains(&n) => {
                    for _ in 0..n {
                        model.send(Command::Replay(input.clone()));
                    }
                }
                Ok(_) if workload => model.flash(
                    format!(
                        "`{}` is not a count of replays from 1 to 100",
                        p.input.trim()
                    ),
                    true,
                ),
                Ok(n) if (1..=100_000).contains(&n) => model.send(Command::Run { input, times: n }),
                _ => model.flash(
                    format!("`{}` is not a count from 1 to 100000", p.input.trim()),
                    true,
                ),
            }
        }
        Effect::None
    }

    pub fn mouse(&mut self, ev: MouseEvent, _model: &mut Model) -> Effect {
        let (x, y) = (ev.column, ev.row);
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) if hit(self.list_area, x, y) => {
                let row = (y - self.list_area.y) as usize + self.table.offset();
                // The workloads heading takes a row.
                let row = if row > self.inputs.len() {
                    row - 1
                } else if row == self.inputs.len() {
                    return Effect::None;
                } else {
                    row
                };
                if row < self.len() && row != self.sel {
                    self.sel = row;
                    self.scroll = 0;
                }
            }
            MouseEventKind::ScrollDown if hit(self.detail_area, x, y) => {
                self.scroll = self.scroll.saturating_add(3)
            }
            MouseEventKind::ScrollUp if hit(self.detail_area, x, y) => {
                self.scroll = self.scroll.saturating_sub(3)
            }
            MouseEventKind::ScrollDown => {
                self.sel = (self.sel + 1).min(self.len().saturating_sub(1));
                self.scroll = 0;
            }
            MouseEventKind::ScrollUp => {
                self.sel = self.sel.saturating_sub(1);
                self.scroll = 0;
            }
            _ => {}
        }
        Effect::None
    }

    pub fn draw(&mut self, f: &mut Frame, area: Rect, model: &Model, focused: bool) {
        let block = pane_block(PaneId::Inputs, focused);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let wide = inner.width >= 60;
        let list_w = self
            .inputs
            .iter()
            .chain(&self.workloads)
            .map(|p| file_name(p).chars().count() as u16 + 3)
            .max()
            .unwrap_or(20)
            .clamp(16, 26);
        let [list, detail] = if wide {
            Layout::horizontal([Constraint::Length(list_w), Constraint::Min(0)]).areas(inner)
        } else {
            let h = (self.len() as u16 + 2).min(inner.height / 3).max(3);
            Layout::vertical([Constraint::Length(h), Constraint::Min(0)]).areas(inner)
        };
        let [list, foot] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(list);
        self.list_area = list;
        // A name longer than the list is cut with `…` (the selection mark,
        // the state mark and a space take three cells).
        let name_w = (list.width as usize).saturating_sub(3);
        let name = |p: &PathBuf| super::truncate(&file_name(p), name_w);
        let mut rows: Vec<Row> = self
            .inputs
            .iter()
            .map(|p| {
                let mark = match model.analyses.get(p).map(|a| a.result.is_ok()) {
                    Some(true) => Span::styled("·", good()),
                    Some(false) => Span::styled("✗", bad()),
                    None => Span::raw(" "),
                };
                Row::new(vec![Cell::from(mark), Cell::from(name(p))])
            })
            .collect();
        if self.len() > 0 {
            rows.push(Row::new(vec![
                Cell::from(""),
                Cell::from(Span::styled("workloads", dim())),
            ]));
        }
        for w in &self.workloads {
            rows.push(Row::new(vec![
                Cell::from(Span::styled("▶", Style::new().fg(Color::Magenta))),
                Cell::from(name(w)),
            ]));
        }
        // Skip the heading row when selecting a workload.
        let visual = if self.sel >= self.inputs.len() {
            self.sel + 1
        } else {
            self.sel
        };
        self.table.select((self.len() > 0).then_some(visual));
        super::settle(&mut self.table, rows.len(), list.height as usize);
        f.render_stateful_widget(
            Table::new(rows, [Constraint::Length(1), Constraint::Min(4)])
                .row_highlight_style(selected_row())
                .highlight_symbol(super::MARK),
            list,
            &mut self.table,
        );
        let running = model
            .job
            .as_ref()
            .map(|j| progress(&j.label, j.done, j.total, foot.width as usize));
        f.render_widget(
            Paragraph::new(Span::styled(
                running.unwrap_or_else(|| "r run · n ×N".into()),
                if model.job.is_some() { warn() } else { dim() },
            )),
            foot,
        );

        let detail = Rect {
            x: detail.x + u16::from(wide),
            width: detail.width.saturating_sub(u16::from(wide)),
            ..detail
        };
        self.detail_area = detail;
        let lines = match (self.selected(), &self.missing) {
            (None, Some(dir)) => vec![
                Line::from(Span::styled(
                    crate::tui::worker::missing_text(crate::tui::worker::Folder::Inputs, dir),
                    warn(),
                )),
                Line::from(Span::styled(
                    "Create it: its inputs (and workloads/) show here.",
                    dim(),
                )),
            ],
            (None, None) => vec![Line::from(Span::styled(
                "No sample inputs found (--inputs DIR).",
                dim(),
            ))],
            (Some((p, true)), _) => {
                let p = p.to_owned();
                let info = self
                    .workload_info
                    .entry(p.clone())
                    .or_insert_with(|| workload_info(&p));
                workload_lines(&p, info)
            }
            (Some((p, false)), _) => match model.analyses.get(p) {
                None => vec![
                    Line::from(Span::styled(file_name(p), bold())),
                    Line::from(Span::styled("analyzing…", dim())),
                ],
                Some(a) => match &a.result {
                    Err(e) => vec![
                        Line::from(Span::styled(file_name(p), bold())),
                        Line::from(Span::styled(format!("✗ {e}"), bad())),
                    ],
                    Ok(v) => analysis_lines(p, v, model, detail.width),
                },
            },
        };
        let max_scroll = (lines.len() as u16).saturating_sub(detail.height);
        self.scroll = self.scroll.min(max_scroll);
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((self.scroll, 0)),
            detail,
        );
    }
}

/// A batch's progress in `width` cells: the counts are never cut (a cut
/// `209/303` reads as `209/30`); the label and the hint give way first.
fn progress(label: &str, done: usize, total: usize, width: usize) -> String {
    let counts = format!("{done}/{total}");
    [
        format!("{label} {counts} · x cancels"),
        format!("{counts} · x cancels"),
        format!("{counts} {label}"),
    ]
    .into_iter()
    .find(|t| t.chars().count() <= width)
    .unwrap_or_else(|| super::truncate(&counts, width))
}

fn workload_info(p: &Path) -> WorkloadInfo {
    let requests = crate::cli::run::workload_requests(p).map_err(|e| e.to_string())?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in &requests {
        *counts.entry(file_name(r)).or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(v)
}

fn workload_lines(p: &Path, info: &WorkloadInfo) -> Vec<Line<'static>> {
    let mut out = vec![Line::from(vec![
        Span::styled(file_name(p), bold()),
        Span::styled("  workload", dim()),
    ])];
    match info {
        Err(e) => out.push(Line::from(Span::styled(format!("✗ {e}"), bad()))),
        Ok(counts) => {
            let total: usize = counts.iter().map(|(_, n)| n).sum();
            out.push(Line::from(format!(
                "{total} requests over {} inputs · r replays it (x cancels)",
                counts.len()
            )));
            out.push(Line::from(""));
            for (name, n) in counts {
                out.push(Line::from(vec![
                    Span::styled(format!("{n:>6} × "), dim()),
                    Span::raw(name.clone()),
                ]));
            }
        }
    }
    out
}

fn verdict(v: &Verdict) -> (&'static str, Style, String) {
    match v {
        Verdict::Selected => (
            "✓",
            good().add_modifier(ratatui::style::Modifier::BOLD),
            "selected".into(),
        ),
        Verdict::Shadowed => ("●", warn(), "matched, lower priority".into()),
        Verdict::NoMatch => ("·", dim(), "no match".into()),
        Verdict::Error(e) => ("✗", bad(), format!("error: {e}")),
    }
}

fn analysis_lines(p: &Path, v: &AnalysisView, model: &Model, width: u16) -> Vec<Line<'static>> {
    let mut out = vec![
        Line::from(vec![
            Span::styled(file_name(p), bold()),
            Span::raw("  "),
            Span::styled(v.signature.clone(), Style::new().fg(Color::Cyan)),
        ]),
        Line::from(vec![
            Span::raw(v.summary.clone()),
            Span::styled(
                format!(
                    "  ({} in {})",
                    if v.sampled { "sampled" } else { "exact" },
                    super::ms(v.micros)
                ),
                dim(),
            ),
        ]),
        Line::from(""),
        Line::from(vec![
            Span::styled("Selection ", bold()),
            Span::styled("(priority order; the first whose match holds wins)", dim()),
        ]),
    ];
    let name_w = v
        .candidates
        .iter()
        .map(|c| c.profile.chars().count())
        .max()
        .unwrap_or(8);
    for c in &v.candidates {
        let (mark, style, mut text) = verdict(&c.verdict);
        if c.profile == crate::profile::GENERIC {
            // The fallback always "matches"; say what it is instead.
            text = match c.verdict {
                Verdict::Selected => "selected: nothing else matched".into(),
                _ => "fallback, not needed".into(),
            };
        }
        let expr = model
            .store
            .profiles
            .iter()
            .find(|p| p.name == c.profile)
            .map(|p| p.matches.clone().unwrap_or_else(|| "(always)".into()))
            .unwrap_or_default();
        // " ✓ " + name + priority + verdict + match: one row each, the
        // verdict and the match cut (with `…`) to the pane, never wrapped.
        let fixed = 3 + name_w + 1 + 6;
        let verdict_w = text.chars().count().min(23);
        let room = (width as usize).saturating_sub(fixed);
        let (verdict_w, expr_w) = if room >= 24 + 12 {
            (24, room - 24)
        } else {
            (room.min(verdict_w + 1), 0)
        };
        out.push(Line::from(vec![
            Span::styled(format!(" {mark} "), style),
            Span::styled(format!("{:<name_w$} ", c.profile), style),
            Span::styled(format!("{:>4}  ", c.priority), dim()),
            Span::styled(
                format!(
                    "{:<verdict_w$}",
                    super::truncate(&text, verdict_w.saturating_sub(1))
                ),
                style,
            ),
            Span::styled(super::truncate(&expr, expr_w), dim()),
        ]));
    }
    out.push(Line::from(""));
    match &v.plan {
        Ok(plan) => {
            out.push(Line::from(vec![
                Span::styled("Plan ", bold()),
                Span::raw(crate::cli::plan_text(plan).replace(" -> ", " → ")),
            ]));
            for s in &plan.skipped {
                out.push(Line::from(Span::styled(
                    format!("  skipped {}: {}", s.node, s.reason),
                    dim(),
                )));
            }
        }
        Err(e) => out.push(Line::from(Span::styled(
            format!("Plan failed: {e}; the generic build serves it"),
            bad(),
        ))),
    }
    out.push(Line::from(""));
    let exact = v.features.iter().filter(|f| f.exact).count();
    out.push(Line::from(vec![
        Span::styled("Characteristic vector ", bold()),
        Span::styled(
            format!(
                "({} features, {} exact, {} sampled) · PgDn scrolls",
                v.features.len(),
                exact,
                v.features.len() - exact
            ),
            dim(),
        ),
    ]));
    let fw = v
        .features
        .iter()
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(8);
    for feat in &v.features {
        out.push(Line::from(vec![
            Span::raw(format!("  {:<fw$}  ", feat.name)),
            Span::styled(
                format!("{:<14}", feat.value.to_string()),
                Style::new().fg(Color::Cyan),
            ),
            Span::styled(if feat.exact { " exact" } else { " sampled" }, dim()),
        ]));
    }
    out
}

impl super::Searchable for InputsPane {
    /// The inputs, then the workloads, by file name.
    fn search_rows(&self, _model: &Model) -> Vec<String> {
        self.inputs
            .iter()
            .chain(&self.workloads)
            .map(|p| file_name(p))
            .collect()
    }

    fn search_at(&self, _model: &Model) -> usize {
        self.sel
    }

    fn search_show(&mut self, row: usize, _model: &Model) {
        if row != self.sel {
            self.sel = row.min(self.len().saturating_sub(1));
            self.scroll = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn progress_keeps_its_counts_whole() {
        assert_eq!(
            super::progress("replay mixed.yaml", 209, 303, 40),
            "replay mixed.yaml 209/303 · x cancels"
        );
        assert_eq!(
            super::progress("replay mixed.yaml", 209, 303, 24),
            "209/303 · x cancels"
        );
        assert_eq!(
            super::progress("replay mixed.yaml", 209, 303, 12),
            "209/303"
        );
        assert_eq!(super::progress("replay", 209, 303, 5), "209/…");
    }
}
