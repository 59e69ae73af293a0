//! The Profiles pane: every profile file with its validation state, the
//! selected profile's DAG drawn as a graph, and the node editor.
//!
//! A file that no longer loads is shown with its errors (file and line)
//! next to the last good version, which stays live. Edits go through an
//! [`Editor`] per file, so switching profiles keeps unsaved work; the
//! graph shows the edited version as soon as an edit is accepted.

use super::{
    bad, bold, dim, good, hit, pane_block, selected_row, step_selection, truncate, warn,
    ConfirmFor, Effect, PaneId, Prompt, PromptFor,
};
use crate::profile::{Plan, ProfileError, TransformKind};
use crate::tui::app::Model;
use crate::tui::dag::{self, Canvas, DagNode, Owner};
use crate::tui::editor::{Edit, Editor, SaveError};
use crate::tui::keymap::Action;
use crate::tui::worker::{Command, ProfileView};
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One line of the list: a profile file, its good version and its errors.
struct Entry<'a> {
    name: String,
    file: PathBuf,
    view: Option<&'a ProfileView>,
    errors: Vec<&'a ProfileError>,
}

pub fn same_file(a: &Path, b: &Path) -> bool {
    a == b || (a.file_name().is_some() && a.file_name() == b.file_name())
}

fn is_profile_file(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

fn entries(model: &Model) -> (Vec<Entry<'_>>, Vec<&ProfileError>) {
    let store = &model.store;
    let mut out: Vec<Entry> = store
        .profiles
        .iter()
        .map(|p| Entry {
            name: p.name.clone(),
            file: p.file.clone(),
            view: Some(p),
            errors: store
                .errors
                .iter()
                .filter(|e| same_file(&e.file, &p.file))
                .collect(),
        })
        .collect();
    let mut general = Vec::new();
    for e in &store.errors {
        if out.iter().any(|r| same_file(&r.file, &e.file)) {
            continue;
        }
        if !is_profile_file(&e.file) {
            general.push(e);
            continue;
        }
        match out.iter_mut().find(|r| same_file(&r.file, &e.file)) {
            Some(r) => r.errors.push(e),
            None => out.push(Entry {
                name: e
                    .file
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("?")
                    .to_owned(),
                file: e.file.clone(),
                view: None,
                errors: vec![e],
            }),
        }
    }
    // Broken files with no good version gather their other errors too.
    for e in &store.errors {
        if let Some(r) = out
            .iter_mut()
            .find(|r| r.view.is_none() && same_file(&r.file, &e.file))
        {
            if !r.errors.contains(&e) {
                r.errors.push(e);
            }
        }
    }
    (out, general)
}

#[derive(Default)]
pub struct ProfilesPane {
    sel: usize,
    /// The selected file, so a reload that reorders the list keeps it.
    sel_file: Option<PathBuf>,
    graph: bool,
    /// Selected node (index in file order).
    node: usize,
    editors: HashMap<PathBuf, Editor>,
    /// The last edit's result: (text, refused).
    message: Option<(String, bool)>,
    offset: (u16, u16),
    table: TableState,
    list_area: Rect,
    graph_area: Rect,
    canvas: Option<Canvas>,
}

impl ProfilesPane {
    /// The files with edits not saved yet.
    pub fn unsaved(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self
            .editors
            .iter()
            .filter(|(_, e)| e.dirty())
            .map(|(f, _)| f.clone())
            .collect();
        out.sort();
        out
    }

    pub fn in_graph(&self) -> bool {
        self.graph
    }

    /// The selected row, following its file across reloads.
    fn current(&mut self, model: &Model) -> usize {
        let (rows, _) = entries(model);
        if let Some(f) = &self.sel_file {
            if let Some(i) = rows.iter().position(|r| same_file(&r.file, f)) {
                self.sel = i;
            }
        }
        self.sel = self.sel.min(rows.len().saturating_sub(1));
        self.sel_file = rows.get(self.sel).map(|r| r.file.clone());
        self.sel
    }

    /// Forgets editors whose file changed outside and that hold no work.
    /// An editor that saved the file keeps it while the file holds what it
    /// wrote: until the reload is answered, and after a reload that failed
    /// (a `passes` pipeline LLVM refused), so editing goes on from the
    /// saved text, not the last good version, and saving again is not
    /// taken for a change on disk.
    fn sync(&mut self, model: &Model) {
        self.editors.retain(|file, ed| {
            if ed.dirty() {
                return true;
            }
            let live = model
                .store
                .profiles
                .iter()
                .find(|p| same_file(&p.file, file));
            live.is_some_and(|p| p.source == ed.text()) || ed.saved_on_disk()
        });
    }

    /// The profile as shown: the edited version if there is one.
    fn shown<'a>(&'a self, model: &'a Model) -> Option<ProfileView> {
        let (rows, _) = entries(model);
        let row = rows.get(self.sel)?;
        if let Some(ed) = self.editors.get(&row.file) {
            return Some(ed.view().clone());
        }
        row.view.cloned()
    }

    fn selected_file(&self, model: &Model) -> Option<PathBuf> {
        entries(model).0.get(self.sel).map(|r| r.file.clone())
    }

    /// The selected profile's editor, when it holds unsaved edits.
    fn dirty_editor(&self, model: &Model) -> Option<&Editor> {
        self.selected_file(model)
            .and_then(|f| self.editors.get(&f))
            .filter(|e| e.dirty())
    }

    fn editor(&mut self, model: &Model) -> Result<&mut Editor, String> {
        let (rows, _) = entries(model);
        let row = rows.get(self.sel).ok_or("no profile selected")?;
        let file = row.file.clone();
        if !self.editors.contains_key(&file) {
            let view = row
                .view
                .ok_or("the file does not load: fix it in an editor first")?;
            let ed = Editor::open(&file, &view.source)?;
            self.editors.insert(file.clone(), ed);
        }
        self.editors
            .get_mut(&file)
            .ok_or_else(|| "no editor".to_owned())
    }

    fn node_name(&self, model: &Model) -> Option<String> {
        self.shown(model)
            .and_then(|v| v.nodes.get(self.node).map(|n| n.name.clone()))
    }

    fn edit(&mut self, model: &Model, edit: Edit) {
        let result = self.editor(model).and_then(|ed| ed.apply(&edit));
        match result {
            Ok(msg) => {
                // Follow the node the edit was about.
                if let Some(v) = self.shown(model) {
                    let focus = match &edit {
                        Edit::AddNode { name, .. } => Some(name.trim().to_owned()),
                        Edit::RemoveNode { .. } => None,
                        _ => self.node_name(model),
                    };
                    self.node = focus
                        .and_then(|f| v.nodes.iter().position(|n| n.name == f))
                        .unwrap_or(self.node)
                        .min(v.nodes.len().saturating_sub(1));
                }
                self.message = Some((msg, false));
            }
            Err(e) => self.message = Some((format!("refused: {e}"), true)),
        }
    }

    fn prompt(&self, label: String, input: String, hint: String, purpose: PromptFor) -> Effect {
        Effect::Prompt(Prompt {
            label,
            input,
            hint,
            purpose,
        })
    }

    /// Saves the selected profile's edits. Asks first when the save would
    /// leave no `generic` profile (`without_generic` is the yes), and when
    /// the file changed on disk since editing began (`overwrite`).
    fn save_effect(&mut self, model: &mut Model, overwrite: bool, without_generic: bool) -> Effect {
        let file = match self.selected_file(model) {
            Some(f) => f,
            None => return Effect::None,
        };
        let Some(ed) = self.editors.get_mut(&file) else {
            self.message = Some(("nothing to save".into(), false));
            return Effect::None;
        };
        if !ed.dirty() && !overwrite {
            self.message = Some(("nothing to save: no unsaved edits".into(), false));
            return Effect::None;
        }
        if holds_generic(model, &file)
            && ed.view().name != crate::profile::GENERIC
            && !without_generic
        {
            return Effect::Confirm(super::Confirm {
                question: format!(
                    "Saving {} leaves no `generic` profile: every request's fallback, and what variants are verified against. Save anyway?",
                    file.display()
                ),
                purpose: ConfirmFor::SaveWithoutGeneric,
            });
        }
        match ed.save(overwrite) {
            Ok(()) => {
                self.message = Some((format!("saved {}", file.display()), false));
                // The watcher sees the rename too; this makes the reload
                // not wait for its debounce.
                model.send(Command::ReloadFile(file));
                Effect::None
            }
            Err(SaveError::Conflict) => Effect::Confirm(super::Confirm {
                question: format!(
                    "{} changed on disk since you began editing. Overwrite it?",
                    file.display()
                ),
                purpose: ConfirmFor::OverwriteOnSave,
            }),
            Err(SaveError::Io(e)) => {
                self.message = Some((format!("cannot save {}: {e}", file.display()), true));
                Effect::None
            }
        }
    }

    /// Saves after a question was answered yes (see `save_effect`).
    pub fn save(&mut self, model: &mut Model, overwrite: bool, without_generic: bool) -> Effect {
        self.save_effect(model, overwrite, without_generic)
    }

    pub fn revert(&mut self, model: &mut Model) {
        if let Some(f) = self.selected_file(model) {
            self.editors.remove(&f);
            self.message = Some(("edits dropped; showing the file".into(), false));
        }
    }

    pub fn handle(&mut self, action: Action, model: &mut Model) -> Effect {
        self.sync(model);
        let sel = self.current(model);
        let rows = entries(model).0.len();
        if !self.graph {
            if let Some(s) = step_selection(sel, rows, action, 10) {
                if s != sel {
                    // The last edit's message was about another profile.
                    self.message = None;
                }
                self.sel = s;
                self.sel_file = entries(model).0.get(s).map(|r| r.file.clone());
                self.offset = (0, 0);
                self.node = 0;
                return Effect::None;
            }
        }
        let view = self.shown(model);
        let node = view.as_ref().and_then(|v| v.nodes.get(self.node)).cloned();
        match action {
            Action::Open | Action::Right if !self.graph => {
                match &view {
                    Some(v) if !v.nodes.is_empty() => {
                        self.graph = true;
                        self.node = v.order.first().copied().unwrap_or(0);
                    }
                    Some(_) => {
                        // An empty pipeline: the only useful edit is a node.
                        self.graph = true;
                        self.node = 0;
                    }
                    None => {
                        self.message = Some((
                            "this file does not load; fix it (the error says where) and it reloads"
                                .into(),
                            true,
                        ))
                    }
                }
                Effect::None
            }
            Action::Back | Action::Left if self.graph => {
                self.graph = false;
                Effect::None
            }
            Action::Up | Action::Down | Action::Top | Action::Bottom if self.graph => {
                if let Some(v) = &view {
                    let pos = v.order.iter().position(|&i| i == self.node).unwrap_or(0);
                    if let Some(p) = step_selection(pos, v.order.len(), action, 1) {
                        self.node = v.order[p];
                    }
                }
                Effect::None
            }
            Action::AddNode => {
                let after = node.as_ref().map(|n| n.name.clone());
                self.prompt(
                    match &after {
                        Some(a) => format!("new node after {a} (name transform)"),
                        None => "new node (name transform)".into(),
                    },
                    String::new(),
                    format!("transforms: {}", TransformKind::names().join(" ")),
                    PromptFor::AddNode,
                )
            }
            Action::RemoveNode => {
                if let Some(n) = node {
                    self.edit(model, Edit::RemoveNode { node: n.name });
                }
                Effect::None
            }
            Action::SetTransform => match node {
                Some(n) => self.prompt(
                    format!("transform of {}", n.name),
                    n.transform.clone(),
                    format!("one of: {}", TransformKind::names().join(" ")),
                    PromptFor::SetTransform,
                ),
                None => Effect::None,
            },
            Action::SetParam => match node {
                Some(n) => {
                    let schema = TransformKind::from_name(&n.transform)
                        .map(|k| {
                            k.params()
                                .iter()
                                .map(|p| format!("{}: {}", p.name, p.doc))
                                .collect::<Vec<_>>()
                                .join(" · ")
                        })
                        .unwrap_or_default();
                    self.prompt(
                        format!("parameter of {} (key: value)", n.name),
                        String::new(),
                        schema,
                        PromptFor::SetParam,
                    )
                }
                None => Effect::None,
            },
            Action::SetWhen => match node {
                Some(n) => self.prompt(
                    format!("{} runs when (empty: always)", n.name),
                    n.when.clone().unwrap_or_default(),
                    "a CEL expression over the vector, e.g. arrays.all(x, x.finite)".into(),
                    PromptFor::SetWhen,
                ),
                None => Effect::None,
            },
            Action::AddEdge => match (node, &view) {
                (Some(n), Some(v)) => self.prompt(
                    format!("{} runs after (node)", n.name),
                    String::new(),
                    format!(
                        "nodes: {}",
                        v.nodes
                            .iter()
                            .filter(|m| m.name != n.name && !n.after.contains(&m.name))
                            .map(|m| m.name.as_str())
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                    PromptFor::AddEdge,
                ),
                _ => Effect::None,
            },
            Action::RemoveEdge => match node {
                Some(n) if n.after.len() == 1 => {
                    self.edit(
                        model,
                        Edit::RemoveEdge {
                            from: n.after[0].clone(),
                            to: n.name,
                        },
                    );
                    Effect::None
                }
                Some(n) if !n.after.is_empty() => self.prompt(
                    format!("remove the edge into {} from", n.name),
                    String::new(),
                    format!("predecessors: {}", n.after.join(" ")),
                    PromptFor::RemoveEdge,
                ),
                Some(n) => {
                    self.message = Some((format!("{} has no incoming edge", n.name), true));
                    Effect::None
                }
                None => Effect::None,
            },
            Action::Undo => {
                let f = self.selected_file(model);
                let undone = f
                    .and_then(|f| self.editors.get_mut(&f))
                    .and_then(|ed| ed.undo().then(|| ed.undo_depth()));
                self.message = Some(match undone {
                    Some(left) => (format!("undone ({left} more to undo)"), false),
                    None => ("nothing to undo".into(), false),
                });
                Effect::None
            }
            Action::Redo => {
                let f = self.selected_file(model);
                let redone = f
                    .and_then(|f| self.editors.get_mut(&f))
                    .and_then(|ed| ed.redo().then(|| ed.redo_depth()));
                self.message = Some(match redone {
                    Some(left) => (format!("redone ({left} more to redo)"), false),
                    None => ("nothing to redo".into(), false),
                });
                Effect::None
            }
            Action::SetField => match &view {
                Some(v) => {
                    let current = self
                        .editors
                        .get(&v.file)
                        .map(|e| e.text().to_owned())
                        .unwrap_or_else(|| v.source.clone());
                    self.prompt(
                        format!("field of {} (key: value; key: removes)", v.name),
                        String::new(),
                        fields_hint(&current),
                        PromptFor::SetField,
                    )
                }
                None => {
                    self.message = Some((
                        "this file does not load; fix it in an editor first".into(),
                        true,
                    ));
                    Effect::None
                }
            },
            Action::Save => {
                let pending = self
                    .dirty_editor(model)
                    .map(|e| (e.file().to_owned(), e.diff(), e.view().name.clone()));
                match pending {
                    Some((file, (diff, changed), name)) => {
                        // What `y` will ask about, said before it is pressed.
                        let mut warnings = Vec::new();
                        if changed {
                            warnings.push(
                                "the file changed on disk since you began editing: the save overwrites what is marked -"
                                    .to_owned(),
                            );
                        }
                        if holds_generic(model, &file) && name != crate::profile::GENERIC {
                            warnings.push(format!(
                                "saved as `{name}`, this file leaves no `generic` profile (every request's fallback): a built-in O3 would stand in"
                            ));
                        }
                        Effect::PreviewSave {
                            file,
                            diff,
                            warnings,
                        }
                    }
                    None => self.save_effect(model, false, false),
                }
            }
            Action::WhatIf => {
                let draft = self
                    .dirty_editor(model)
                    .map(|e| (e.file().to_owned(), e.text().to_owned()));
                match draft {
                    Some((file, text)) => Effect::WhatIf { file, text },
                    None => {
                        self.message = Some((
                            "no unsaved edits: what-if judges a pending edit".into(),
                            false,
                        ));
                        Effect::None
                    }
                }
            }
            Action::Revert => {
                if self.dirty_editor(model).is_some() {
                    Effect::Confirm(super::Confirm {
                        question: "Drop the unsaved edits of this profile?".into(),
                        purpose: ConfirmFor::Revert,
                    })
                } else {
                    self.revert(model);
                    Effect::None
                }
            }
            _ => Effect::Unhandled,
        }
    }

    /// A prompt of this pane was answered.
    pub fn prompted(&mut self, p: Prompt, model: &mut Model) -> Effect {
        if p.purpose == PromptFor::SetField {
            let text = p.input.trim();
            let (key, value) = match text.split_once(':') {
                Some((k, v)) => (k.trim().to_owned(), Some(v.trim().to_owned())),
                None => (text.to_owned(), None),
            };
            if key.is_empty() {
                self.message = Some(("give `key: value`, e.g. `priority: 45`".into(), true));
            } else {
                self.edit(model, Edit::SetField { key, value });
            }
            return Effect::None;
        }
        let Some(node) = self.node_name(model) else {
            if p.purpose != PromptFor::AddNode {
                return Effect::None;
            }
            return self.prompted_add(p.input, None, model);
        };
        let text = p.input.trim().to_owned();
        let edit = match p.purpose {
            PromptFor::AddNode => return self.prompted_add(text, Some(node), model),
            PromptFor::SetTransform => Edit::SetTransform {
                node,
                transform: text,
            },
            PromptFor::SetParam => {
                let (key, value) = match text.split_once(':').or_else(|| text.split_once('=')) {
                    Some((k, v)) => (k.trim().to_owned(), Some(v.trim().to_owned())),
                    None => (text.clone(), None),
                };
                if key.is_empty() {
                    self.message = Some(("give `key: value`".into(), true));
                    return Effect::None;
                }
                Edit::SetParam { node, key, value }
            }
            PromptFor::SetWhen => Edit::SetWhen {
                node,
                when: Some(text),
            },
            PromptFor::AddEdge => Edit::AddEdge {
                from: text,
                to: node,
            },
            PromptFor::RemoveEdge => Edit::RemoveEdge {
                from: text,
                to: node,
            },
            PromptFor::RunTimes(_)
            | PromptFor::SetField
            | PromptFor::FilterRuns
            | PromptFor::Search(_) => return Effect::None,
        };
        self.edit(model, edit);
        Effect::None
    }

    fn prompted_add(&mut self, text: String, after: Option<String>, model: &mut Model) -> Effect {
        let mut words = text.split_whitespace();
        let (Some(name), Some(transform)) = (words.next(), words.next()) else {
            self.message = Some(("give a name and a transform: `tidy dce`".into(), true));
            return Effect::None;
        };
        let edit = Edit::AddNode {
            name: name.to_owned(),
            transform: transform.to_owned(),
            after,
        };
        self.edit(model, edit);
        self.graph = true;
        Effect::None
    }

    pub fn mouse(&mut self, ev: MouseEvent, model: &mut Model) -> Effect {
        self.sync(model);
        let (x, y) = (ev.column, ev.row);
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) if hit(self.list_area, x, y) => {
                let row = (y - self.list_area.y) as usize + self.table.offset();
                if row < entries(model).0.len() {
                    self.sel = row;
                    self.sel_file = entries(model).0.get(row).map(|r| r.file.clone());
                    self.graph = false;
                    self.offset = (0, 0);
                }
            }
            MouseEventKind::Down(MouseButton::Left) if hit(self.graph_area, x, y) => {
                if let Some(c) = &self.canvas {
                    let pad = c.pad(self.graph_area.width);
                    let cx = (x - self.graph_area.x).checked_sub(pad);
                    let cy = y - self.graph_area.y;
                    if let Some(n) =
                        cx.and_then(|cx| c.node_at(cx + self.offset.0, cy + self.offset.1))
                    {
                        self.node = n;
                        self.graph = true;
                    }
                }
            }
            MouseEventKind::ScrollDown if hit(self.graph_area, x, y) => {
                self.offset.1 = self.offset.1.saturating_add(2);
            }
            MouseEventKind::ScrollUp if hit(self.graph_area, x, y) => {
                self.offset.1 = self.offset.1.saturating_sub(2);
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp if hit(self.list_area, x, y) => {
                let action = if ev.kind == MouseEventKind::ScrollDown {
                    Action::Down
                } else {
                    Action::Up
                };
                let rows = entries(model).0.len();
                if let Some(s) = step_selection(self.sel, rows, action, 1) {
                    self.sel = s;
                    self.sel_file = entries(model).0.get(s).map(|r| r.file.clone());
                    self.graph = false;
                }
            }
            _ => {}
        }
        Effect::None
    }

    /// Draws the pane. `plan` is the Plan of the input selected in the
    /// Inputs pane; nodes of its profile are coloured by whether they ran.
    pub fn draw(
        &mut self,
        f: &mut Frame,
        area: Rect,
        model: &Model,
        focused: bool,
        plan: Option<(&str, &Plan)>,
    ) {
        self.sync(model);
        let sel = self.current(model);
        let block = pane_block(PaneId::Profiles, focused);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let (rows, general) = entries(model);
        // Errors of no one file (no `generic`, an unreadable folder) go
        // across the whole pane, wrapped, so they read whole; a third of
        // the pane at most, and `…` where that cuts one.
        let banner: Vec<String> = general
            .iter()
            .flat_map(|e| super::wrap(&format!("✗ {e}"), inner.width as usize))
            .collect();
        let banner = super::fit_rows(
            banner,
            (inner.height / 3).max(1) as usize,
            inner.width as usize,
        );
        let [banner_area, inner] =
            Layout::vertical([Constraint::Length(banner.len() as u16), Constraint::Min(0)])
                .areas(inner);
        f.render_widget(
            Paragraph::new(
                banner
                    .into_iter()
                    .map(|r| Line::from(Span::styled(r, bad())))
                    .collect::<Vec<_>>(),
            ),
            banner_area,
        );
        let wide = inner.width >= 70;
        let list_w = rows
            .iter()
            .map(|r| r.name.chars().count() as u16 + 9)
            .max()
            .unwrap_or(20)
            .clamp(20, 30);
        let [list_col, detail] = if wide {
            Layout::horizontal([Constraint::Length(list_w), Constraint::Min(0)]).areas(inner)
        } else {
            let h = (rows.len() as u16 + 1).min(inner.height / 3).max(3);
            Layout::vertical([Constraint::Length(h), Constraint::Min(0)]).areas(inner)
        };
        let list_area = list_col;
        self.list_area = list_area;

        let table_rows: Vec<Row> = rows
            .iter()
            .map(|r| {
                let dirty = self.editors.get(&r.file).is_some_and(|e| e.dirty());
                let (mark, style) = match (&r.view, r.errors.is_empty(), dirty) {
                    (_, _, true) => ("●", warn()),
                    (Some(_), true, _) => ("✓", good()),
                    (Some(_), false, _) => ("!", warn()),
                    (None, _, _) => ("✗", bad()),
                };
                Row::new(vec![
                    Cell::from(Span::styled(mark, style)),
                    Cell::from(r.name.clone()),
                    Cell::from(Span::styled(
                        r.view.map(|v| v.priority.to_string()).unwrap_or_default(),
                        dim(),
                    )),
                ])
            })
            .collect();
        let table = Table::new(
            table_rows,
            [
                Constraint::Length(1),
                Constraint::Min(6),
                Constraint::Length(4),
            ],
        )
        .row_highlight_style(if self.graph {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            selected_row()
        })
        .highlight_symbol(super::MARK);
        self.table.select(Some(sel));
        super::settle(&mut self.table, rows.len(), list_area.height as usize);
        f.render_stateful_widget(table, list_area, &mut self.table);

        let Some(row) = rows.get(sel) else {
            if let crate::tui::app::WatchState::Missing(dir) = &model.watch {
                f.render_widget(
                    Paragraph::new(vec![
                        Line::from(Span::styled(
                            crate::tui::worker::missing_text(
                                crate::tui::worker::Folder::Profiles,
                                dir,
                            ),
                            warn(),
                        )),
                        Line::from(Span::styled(
                            "Create it: the YAML files in it load, and hot reload starts.",
                            dim(),
                        )),
                    ])
                    .wrap(Wrap { trim: false }),
                    detail,
                );
                return;
            }
            f.render_widget(
                Paragraph::new(vec![
                    Line::from("No profiles."),
                    Line::from(Span::styled(
                        format!(
                            "Add YAML files to {}; they load as they appear.",
                            model
                                .store
                                .dir
                                .as_deref()
                                .map(|d| d.display().to_string())
                                .unwrap_or_else(|| "the profiles folder".into())
                        ),
                        dim(),
                    )),
                ]),
                detail,
            );
            return;
        };
        let editor = self.editors.get(&row.file);
        let view = editor.map(|e| e.view().clone()).or(row.view.cloned());
        let detail = Rect {
            x: detail.x + u16::from(wide),
            width: detail.width.saturating_sub(u16::from(wide)),
            ..detail
        };

        // Header: name, priority, version, file; match.
        let mut head: Vec<Line> = Vec::new();
        match &view {
            Some(v) => {
                let label = match editor {
                    Some(e) if e.dirty() => " (edited)",
                    Some(e) if e.saved() && !row.errors.is_empty() => " (saved; does not load)",
                    _ => "",
                };
                head.push(Line::from(vec![
                    Span::styled(v.name.clone(), bold()),
                    Span::styled(label, warn()),
                    Span::styled(
                        {
                            let facts = format!(
                                "  priority {} · v{} · ",
                                v.priority,
                                &v.version[..v.version.len().min(8)],
                            );
                            // The path gives way from the left: its file
                            // name is what tells.
                            let used = v.name.chars().count()
                                + label.chars().count()
                                + facts.chars().count();
                            let room = (detail.width as usize).saturating_sub(used);
                            format!("{facts}{}", fit_path(&v.file, room))
                        },
                        dim(),
                    ),
                ]));
                head.push(Line::from(vec![
                    Span::styled("match ", dim()),
                    Span::raw(truncate(
                        v.matches.as_deref().unwrap_or("(always)"),
                        detail.width.saturating_sub(6) as usize,
                    )),
                ]));
                // What the profile is for, when there is room to say it.
                if detail.height >= 24 {
                    let about = if v.description.is_empty() {
                        format!("finish {}", v.finish)
                    } else {
                        format!("{} · finish {}", v.description, v.finish)
                    };
                    head.push(Line::from(Span::styled(
                        truncate(&about, detail.width as usize),
                        dim(),
                    )));
                }
            }
            None => head.push(Line::from(vec![
                Span::styled(row.name.clone(), bold()),
                Span::styled(format!("  {}", row.file.display()), dim()),
            ])),
        }
        let mut errs: Vec<Line> = row
            .errors
            .iter()
            .map(|e| Line::from(Span::styled(format!("✗ {e}"), bad())))
            .collect();
        if !row.errors.is_empty() {
            // The live version is the store's, never the editor's draft.
            errs.push(Line::from(Span::styled(
                match row.view {
                    Some(v) => format!(
                        "  the last good version (v{}) stays live until the file is fixed",
                        &v.version[..v.version.len().min(8)]
                    ),
                    None => "  no version of this file has loaded; requests use the others".into(),
                },
                warn(),
            )));
        }
        let err_h = if errs.is_empty() {
            0
        } else {
            let text_w = detail.width.max(1) as usize;
            let lines: usize = errs.iter().map(|l| l.width().div_ceil(text_w).max(1)).sum();
            (lines as u16).min(detail.height / 2)
        };
        let foot = self.footer(view.as_ref(), editor, detail.width);
        let foot_h = foot
            .iter()
            .map(|l| l.width().div_ceil(detail.width.max(1) as usize).max(1) as u16)
            .sum::<u16>();
        let [head_area, err_area, graph_area, foot_area] = Layout::vertical([
            Constraint::Length(head.len() as u16),
            Constraint::Length(err_h),
            Constraint::Min(0),
            Constraint::Length(foot_h),
        ])
        .areas(detail);
        f.render_widget(Paragraph::new(head), head_area);
        f.render_widget(Paragraph::new(errs).wrap(Wrap { trim: false }), err_area);
        f.render_widget(Paragraph::new(foot).wrap(Wrap { trim: false }), foot_area);

        let Some(view) = view else {
            self.canvas = None;
            return;
        };
        let graph_area = Rect {
            y: graph_area.y + u16::from(graph_area.height > 8),
            height: graph_area
                .height
                .saturating_sub(u16::from(graph_area.height > 8)),
            ..graph_area
        };
        if view.nodes.is_empty() {
            self.graph_area = graph_area;
            f.render_widget(
                Paragraph::new(Span::styled(
                    "An empty pipeline: generic's default<O3> only. `a` adds a node.",
                    dim(),
                )),
                graph_area,
            );
            self.canvas = None;
            return;
        }
        let nodes: Vec<DagNode> = view
            .nodes
            .iter()
            .map(|n| DagNode {
                name: n.name.clone(),
                transform: n.transform.clone(),
                conditional: n.when.is_some(),
            })
            .collect();
        let canvas = dag::layout(&nodes, &view.edges);
        // A tall pane has room for every node's settings under the graph.
        let table_h = view.nodes.len() as u16 + 1;
        let graph_area = if graph_area.height > canvas.height + table_h + 1 {
            let [g, _, t] = Layout::vertical([
                Constraint::Length(canvas.height),
                Constraint::Length(1),
                Constraint::Min(table_h),
            ])
            .areas(graph_area);
            self.draw_nodes(f, t, &view);
            g
        } else {
            graph_area
        };
        self.graph_area = graph_area;
        let view_size = (
            graph_area
                .width
                .saturating_sub(canvas.pad(graph_area.width)),
            graph_area.height,
        );
        if self.graph {
            self.offset = canvas.scroll_to(self.node, self.offset, view_size);
        }
        self.offset.0 = self.offset.0.min(canvas.width.saturating_sub(view_size.0));
        self.offset.1 = self.offset.1.min(canvas.height.saturating_sub(view_size.1));
        // Colour nodes by the selected input's Plan when it is this
        // profile's (the same version).
        let ran: Option<Vec<Option<bool>>> = plan
            .filter(|(_, p)| p.profile == view.name && p.profile_version == view.version)
            .map(|(_, p)| {
                view.nodes
                    .iter()
                    .map(|n| {
                        if p.steps.iter().any(|s| s.node == n.name) {
                            Some(true)
                        } else if p.skipped.iter().any(|s| s.node == n.name) {
                            Some(false)
                        } else {
                            None
                        }
                    })
                    .collect()
            });
        let selected = self.graph.then_some(self.node);
        canvas.render(f.buffer_mut(), graph_area, self.offset, |owner| {
            let node_style = |i: usize| match ran.as_ref().and_then(|r| r.get(i).copied().flatten())
            {
                Some(true) => Style::new().fg(Color::Green),
                Some(false) => Style::new().fg(Color::DarkGray),
                None => Style::new(),
            };
            match owner {
                Owner::Empty => Style::new(),
                Owner::Edge => Style::new().fg(Color::Gray),
                Owner::Border(i) if selected == Some(i) => {
                    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
                }
                Owner::Border(i) => node_style(i),
                Owner::Name(i) if selected == Some(i) => Style::new()
                    .fg(Color::Black)
                    .bg(Color::Yellow)
                    .add_modifier(Modifier::BOLD),
                Owner::Name(i) => node_style(i).add_modifier(Modifier::BOLD),
                Owner::Transform(i) => match ran.as_ref().and_then(|r| r.get(i).copied().flatten())
                {
                    Some(false) => Style::new().fg(Color::DarkGray),
                    _ => Style::new().fg(Color::Cyan),
                },
            }
        });
        if graph_area.height > 0 {
            let legend = match plan {
                Some((input, p)) if p.profile == view.name && p.profile_version == view.version => {
                    format!("DAG · ? conditional · for {input}: green ran, grey skipped")
                }
                _ => "DAG · ? and dashed: conditional (`when`)".into(),
            };
            let legend_area = Rect {
                y: graph_area.y.saturating_sub(1),
                height: 1,
                ..graph_area
            };
            if legend_area.y >= head_area.y + head_area.height + err_h {
                f.render_widget(
                    Paragraph::new(Span::styled(
                        truncate(&legend, legend_area.width as usize),
                        dim(),
                    )),
                    legend_area,
                );
            }
        }
        self.canvas = Some(canvas);
    }

    fn draw_nodes(&self, f: &mut Frame, area: Rect, view: &ProfileView) {
        let header = Row::new(
            ["#", "node", "transform", "parameters", "after", "when"]
                .into_iter()
                .map(|h| Cell::from(Span::styled(h, bold()))),
        );
        let nodes: Vec<(usize, usize, &crate::tui::worker::NodeView)> = view
            .order
            .iter()
            .enumerate()
            .filter_map(|(pos, &i)| view.nodes.get(i).map(|n| (pos, i, n)))
            .collect();
        let widest = |f: &dyn Fn(&crate::tui::worker::NodeView) -> usize, head: usize| {
            nodes
                .iter()
                .map(|(_, _, n)| f(n))
                .max()
                .unwrap_or(0)
                .max(head)
        };
        let num_w = nodes.len().to_string().len().max(1);
        let name_w = widest(&|n| n.name.chars().count(), 4);
        let kind_w = widest(&|n| n.transform.chars().count(), 9);
        // The text columns share what is left, cut with `…` where they
        // must be, the longest first.
        let room = (area.width as usize).saturating_sub(num_w + name_w + kind_w + 5);
        let after_of = |n: &crate::tui::worker::NodeView| n.after.join(", ");
        let wants = [
            widest(&|n| n.params.chars().count(), 10),
            widest(&|n| after_of(n).chars().count(), 5),
            widest(&|n| n.when.as_deref().map_or(0, |w| w.chars().count()), 4),
        ];
        let [pw, aw, ww] = match super::fit_widths(&wants, room)[..] {
            [a, b, c] => [a, b, c],
            _ => wants,
        };
        let rows: Vec<Row> = nodes
            .iter()
            .map(|&(pos, i, n)| {
                let style = if self.graph && i == self.node {
                    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
                } else {
                    Style::new()
                };
                Row::new(vec![
                    Cell::from(Span::styled((pos + 1).to_string(), dim())),
                    Cell::from(Span::styled(n.name.clone(), style)),
                    Cell::from(Span::styled(
                        n.transform.clone(),
                        Style::new().fg(Color::Cyan),
                    )),
                    Cell::from(truncate(&n.params, pw)),
                    Cell::from(Span::styled(truncate(&after_of(n), aw), dim())),
                    Cell::from(Span::styled(
                        truncate(n.when.as_deref().unwrap_or_default(), ww),
                        warn(),
                    )),
                ])
            })
            .collect();
        let widths = [num_w, name_w, kind_w, pw, aw, ww].map(|w| Constraint::Length(w as u16));
        f.render_widget(Table::new(rows, widths).header(header), area);
    }

    fn footer(
        &self,
        view: Option<&ProfileView>,
        editor: Option<&Editor>,
        width: u16,
    ) -> Vec<Line<'static>> {
        let mut out = Vec::new();
        if self.graph {
            if let Some(n) = view.and_then(|v| v.nodes.get(self.node)) {
                let mut spans = vec![
                    Span::styled(format!("▸ {} ", n.name), bold().fg(Color::Yellow)),
                    Span::styled(format!("{} ", n.transform), Style::new().fg(Color::Cyan)),
                ];
                if !n.params.is_empty() {
                    spans.push(Span::raw(format!("{} ", n.params)));
                }
                if !n.after.is_empty() {
                    spans.push(Span::styled(
                        format!("· after {} ", n.after.join(", ")),
                        dim(),
                    ));
                }
                if let Some(w) = &n.when {
                    spans.push(Span::styled(format!("· when {w}"), warn()));
                }
                out.push(Line::from(spans));
            }
        }
        if let Some((m, refused)) = &self.message {
            out.push(Line::from(Span::styled(
                truncate(m, width as usize * 2),
                if *refused { bad() } else { good() },
            )));
        }
        let hint = match (editor, self.graph) {
            (Some(e), _) if e.dirty() => format!(
                "● {} unsaved edit{} · s save · u undo · m what-if · R revert",
                e.unsaved_edits(),
                if e.unsaved_edits() == 1 { "" } else { "s" }
            ),
            (_, true) => {
                "a add · d remove · t transform · p param · w when · e/E edge · f field · u undo · s save"
                    .into()
            }
            (_, false) => "Enter: select nodes to edit · f a field · ? all keys".into(),
        };
        out.push(Line::from(Span::styled(hint, dim())));
        out
    }
}

/// The field prompt's hint: each field with its value in `source` (its
/// text as written, cut), so the administrator sees what they change.
fn fields_hint(source: &str) -> String {
    let doc: Option<serde_yaml::Mapping> = serde_yaml::from_str(source).ok();
    crate::tui::editor::FIELDS
        .iter()
        .map(|(k, _)| {
            let v = doc
                .as_ref()
                .and_then(|d| d.get(*k))
                .map(crate::tui::worker::flow)
                .unwrap_or_else(|| "(default)".into());
            format!("{k}: {}", super::truncate(&v, 40))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

impl super::Searchable for ProfilesPane {
    /// In the list, each profile (name, file, description, errors); in
    /// the node editor, each node in execution order (name, transform,
    /// parameters, `when`).
    fn search_rows(&self, model: &Model) -> Vec<String> {
        if self.graph {
            let Some(v) = self.shown(model) else {
                return Vec::new();
            };
            return v
                .order
                .iter()
                .filter_map(|&i| v.nodes.get(i))
                .map(|n| {
                    format!(
                        "{} {} {} {}",
                        n.name,
                        n.transform,
                        n.params,
                        n.when.as_deref().unwrap_or("")
                    )
                })
                .collect();
        }
        entries(model)
            .0
            .iter()
            .map(|e| {
                let mut row = format!("{} {}", e.name, crate::tui::worker::file_name(&e.file));
                if let Some(v) = e.view {
                    row.push(' ');
                    row.push_str(&v.description);
                }
                for err in &e.errors {
                    row.push(' ');
                    row.push_str(&err.to_string());
                }
                row
            })
            .collect()
    }

    fn search_at(&self, model: &Model) -> usize {
        if self.graph {
            return self
                .shown(model)
                .and_then(|v| v.order.iter().position(|&i| i == self.node))
                .unwrap_or(0);
        }
        self.sel
    }

    fn search_show(&mut self, row: usize, model: &Model) {
        if self.graph {
            if let Some(&i) = self
                .shown(model)
                .and_then(|v| v.order.get(row).copied())
                .as_ref()
            {
                self.node = i;
            }
            return;
        }
        if row != self.sel {
            self.message = None;
            self.offset = (0, 0);
            self.node = 0;
        }
        self.sel = row;
        self.sel_file = entries(model).0.get(row).map(|r| r.file.clone());
    }
}

/// Whether `file` holds the live `generic` profile.
fn holds_generic(model: &Model, file: &Path) -> bool {
    model
        .store
        .profiles
        .iter()
        .any(|p| p.name == crate::profile::GENERIC && same_file(&p.file, file))
}

/// `path` in `room` cells: whole, else cut from the left while its file
/// name stays whole, else the file name cut at its end.
fn fit_path(path: &Path, room: usize) -> String {
    let full = path.display().to_string();
    let name = super::super::worker::file_name(path);
    if full.chars().count() <= room || name.chars().count() < room {
        super::truncate_left(&full, room)
    } else {
        truncate(&name, room)
    }
}

#[cfg(test)]
mod tests {
    use super::fit_path;
    use std::path::Path;

    #[test]
    fn a_path_gives_way_from_the_left_and_never_past_its_room() {
        let p = Path::new("/srv/tailor/profiles/table-dispatch.yaml");
        assert_eq!(fit_path(p, 80), "/srv/tailor/profiles/table-dispatch.yaml");
        assert_eq!(fit_path(p, 24), "…les/table-dispatch.yaml");
        // Room for the file name and the mark, or the name alone.
        assert_eq!(fit_path(p, 20), "…table-dispatch.yaml");
        assert_eq!(fit_path(p, 19), "table-dispatch.yaml");
        // Less: the name cut at its end, never wider than the room.
        assert_eq!(fit_path(p, 11), "table-disp…");
        assert_eq!(fit_path(p, 0), "");
    }
}
