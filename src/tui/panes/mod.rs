//! The six panes. Each is a component: its own state, a `draw` that
//! renders it from that state and the shared [`Model`](super::app::Model),
//! and handlers for the actions and mouse events that reach it. Panes never
//! talk to the engine: they leave [`Command`](super::worker::Command)s in
//! the model's outbox, and return an [`Effect`] when something outside the
//! pane must happen (a prompt, a question, another pane).

pub mod cache;
pub mod inputs;
pub mod log;
pub mod pipeline;
pub mod profiles;
pub mod runs;
pub mod whatif;

use super::keymap::Scope;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneId {
    Profiles,
    Inputs,
    Pipeline,
    Cache,
    Runs,
    Log,
}

impl PaneId {
    pub const ALL: [PaneId; 6] = [
        PaneId::Profiles,
        PaneId::Inputs,
        PaneId::Pipeline,
        PaneId::Cache,
        PaneId::Runs,
        PaneId::Log,
    ];

    pub fn title(self) -> &'static str {
        match self {
            PaneId::Profiles => "Profiles",
            PaneId::Inputs => "Inputs",
            PaneId::Pipeline => "Pipeline",
            PaneId::Cache => "Cache",
            PaneId::Runs => "Runs",
            PaneId::Log => "Log",
        }
    }

    pub fn index(self) -> usize {
        PaneId::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub fn scope(self) -> Scope {
        match self {
            PaneId::Profiles => Scope::Profiles,
            PaneId::Inputs => Scope::Inputs,
            PaneId::Pipeline => Scope::Pipeline,
            PaneId::Cache => Scope::Cache,
            PaneId::Runs => Scope::Runs,
            PaneId::Log => Scope::Log,
        }
    }
}

/// What a prompt's text is for.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptFor {
    AddNode,
    SetTransform,
    SetParam,
    SetWhen,
    AddEdge,
    RemoveEdge,
    RunTimes(std::path::PathBuf),
    /// A top-level field of the profile being edited.
    SetField,
    /// Words the Runs list must contain.
    FilterRuns,
    /// A `/` search of this pane.
    Search(PaneId),
}

/// A line of text to type.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub label: String,
    pub input: String,
    pub hint: String,
    pub purpose: PromptFor,
}

/// What a yes/no question decides.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfirmFor {
    ClearCache,
    Evict(String),
    Revert,
    OverwriteOnSave,
    /// Quit although profiles have unsaved edits.
    QuitWithEdits,
    /// Clear the Runs list (the runs, not the cache).
    ClearRuns,
    /// Save a profile although it leaves no `generic` profile.
    SaveWithoutGeneric,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub question: String,
    pub purpose: ConfirmFor,
}

/// What a pane asks of the rest of the workbench.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Handled.
    None,
    /// Not for this pane: try the global binding.
    Unhandled,
    Prompt(Prompt),
    Confirm(Confirm),
    /// Show this request's Plan in the Pipeline pane.
    ShowRun(u64),
    /// Show this cached variant in the Pipeline pane.
    ShowVariant(String),
    /// Show the pending edit of a profile file as a diff against the file
    /// on disk; `y` saves it.
    PreviewSave {
        file: PathBuf,
        diff: String,
        /// What the save does beyond the diff (overwrites a change made
        /// on disk, takes `generic` away), said above it.
        warnings: Vec<String>,
    },
    /// Judge this draft of a profile file over the sample inputs.
    WhatIf {
        file: PathBuf,
        text: String,
    },
}

/// A `/` search: what was typed and the pane it searches. Smart case, as
/// in vim and less: a query with no upper-case letter ignores case.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub pane: PaneId,
    pub query: String,
}

impl Search {
    fn folds(&self) -> bool {
        !self.query.chars().any(char::is_uppercase)
    }

    /// Whether `text` holds the query.
    pub fn matches(&self, text: &str) -> bool {
        self.find(text).is_some()
    }

    /// The byte range of the first match in `text` at or after `from`.
    pub fn find_from(&self, text: &str, from: usize) -> Option<(usize, usize)> {
        if self.query.is_empty() {
            return None;
        }
        let rest = text.get(from..)?;
        if !self.folds() {
            return rest
                .find(&self.query)
                .map(|i| (from + i, from + i + self.query.len()));
        }
        // Case-folded, char by char, so byte offsets stay those of `text`.
        let q: Vec<char> = self.query.chars().flat_map(char::to_lowercase).collect();
        let chars: Vec<(usize, char)> = rest.char_indices().collect();
        'start: for s in 0..chars.len() {
            let mut qi = 0;
            let mut j = s;
            while qi < q.len() {
                let Some(&(_, c)) = chars.get(j) else {
                    continue 'start;
                };
                for lc in c.to_lowercase() {
                    if q.get(qi) != Some(&lc) {
                        continue 'start;
                    }
                    qi += 1;
                }
                j += 1;
            }
            let end = chars.get(j).map_or(rest.len(), |&(b, _)| b);
            return Some((from + chars[s].0, from + end));
        }
        None
    }

    pub fn find(&self, text: &str) -> Option<(usize, usize)> {
        self.find_from(text, 0)
    }
}

/// A pane `/` can search: the rows of what it shows now, as text (a
/// list's rows, a text view's lines), where the search starts, and how to
/// bring a row into view.
pub trait Searchable {
    fn search_rows(&self, model: &super::app::Model) -> Vec<String>;
    /// The row the search goes on from (the selection, the top line).
    fn search_at(&self, model: &super::app::Model) -> usize;
    /// Selects row `row`, or scrolls it into view.
    fn search_show(&mut self, row: usize, model: &super::app::Model);
}

/// `line` with every match of `search` marked (black on yellow), across
/// its spans.
pub fn mark_matches(line: Line<'static>, search: Option<&Search>) -> Line<'static> {
    let Some(search) = search else { return line };
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some((a, b)) = search.find_from(&text, from) {
        if b <= a {
            break;
        }
        ranges.push((a, b));
        from = b;
    }
    if ranges.is_empty() {
        return line;
    }
    let hl = Style::new().fg(Color::Black).bg(Color::Yellow);
    let mut out: Vec<Span<'static>> = Vec::new();
    let mut at = 0;
    for span in line.spans {
        let s = span.content.as_ref();
        let end = at + s.len();
        let mut cut = at;
        for &(a, b) in &ranges {
            let (a, b) = (a.max(at), b.min(end));
            if a >= b {
                continue;
            }
            if a > cut {
                out.push(Span::styled(s[cut - at..a - at].to_owned(), span.style));
            }
            out.push(Span::styled(
                s[a - at..b - at].to_owned(),
                span.style.patch(hl),
            ));
            cut = b;
        }
        if cut < end {
            out.push(Span::styled(s[cut - at..].to_owned(), span.style));
        }
        at = end;
    }
    Line { spans: out, ..line }
}

pub fn pane_block(id: PaneId, focused: bool) -> Block<'static> {
    let style = if focused {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new().fg(Color::DarkGray)
    };
    let title = Line::from(vec![
        Span::styled(
            format!(" {} ", id.index() + 1),
            if focused {
                Style::new().fg(Color::Black).bg(Color::Cyan)
            } else {
                Style::new().fg(Color::Gray)
            },
        ),
        Span::styled(
            format!(" {} ", id.title()),
            if focused {
                Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
            } else {
                Style::new().fg(Color::Gray)
            },
        ),
    ]);
    Block::new()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(style)
        .title(title)
}

/// `s` cut to `width` characters, with `…` when cut.
pub fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// The colour of a line of a unified diff: headers dim, `+` green, `-`
/// red, hunks cyan.
pub fn diff_style(line: &str) -> Style {
    if line.starts_with("+++") || line.starts_with("---") {
        dim()
    } else if line.starts_with('+') {
        good()
    } else if line.starts_with('-') {
        bad()
    } else if line.starts_with("@@") {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new()
    }
}

/// Column widths for content `wants` wide in `room` cells: each as wide
/// as it wants when all fit; otherwise the widest give way first, one cell
/// at a time, so narrow columns stay whole and the cut falls on the long
/// text (which [`truncate`] then marks with `…`).
pub fn fit_widths(wants: &[usize], room: usize) -> Vec<usize> {
    let mut w = wants.to_vec();
    let mut total: usize = w.iter().sum();
    while total > room {
        let Some((i, _)) = w.iter().enumerate().max_by_key(|(_, &x)| x) else {
            break;
        };
        if w[i] == 0 {
            break;
        }
        w[i] -= 1;
        total -= 1;
    }
    w
}

/// `s` cut from the left to `width` characters, with `…` first when cut:
/// for paths, whose end (the file's name) is what tells.
pub fn truncate_left(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        return s.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let tail: String = s.chars().skip(n - (width - 1)).collect();
    format!("…{tail}")
}

/// As many of `hints` as fit in `room` cells, in order, joined with ` · `
/// and padded for a border title: a hint is dropped whole, never cut.
pub fn hints(hints: &[&str], room: usize) -> String {
    let mut out = String::new();
    for h in hints {
        let next = if out.is_empty() {
            (*h).to_owned()
        } else {
            format!("{out} · {h}")
        };
        if next.chars().count() + 2 > room {
            break;
        }
        out = next;
    }
    if out.is_empty() {
        out
    } else {
        format!(" {out} ")
    }
}

/// `spans` cut to `width` cells, the last one kept ending in `…`.
pub fn fit_spans(spans: Vec<Span<'_>>, width: usize) -> Vec<Span<'_>> {
    let mut out = Vec::new();
    let mut used = 0;
    for s in spans {
        let sw = s.width();
        if used + sw <= width {
            used += sw;
            out.push(s);
            continue;
        }
        let room = width - used;
        if room > 0 {
            out.push(Span::styled(truncate(&s.content, room), s.style));
        }
        break;
    }
    out
}

/// `s` broken into rows of at most `width` characters, at spaces where it
/// can be (a word longer than a row is split): the caller knows exactly
/// how many rows a text takes, so nothing is cut unseen.
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut row = String::new();
    let mut row_w = 0;
    for word in s.split(' ') {
        let w = word.chars().count();
        let gap = usize::from(row_w > 0);
        if row_w + gap + w <= width {
            if gap == 1 {
                row.push(' ');
            }
            row.push_str(word);
            row_w += gap + w;
            continue;
        }
        if row_w > 0 {
            rows.push(std::mem::take(&mut row));
            row_w = 0;
        }
        let mut chars = word.chars().peekable();
        while chars.peek().is_some() {
            let piece: String = chars.by_ref().take(width).collect();
            let n = piece.chars().count();
            if n == width && chars.peek().is_some() {
                rows.push(piece);
            } else {
                row = piece;
                row_w = n;
            }
        }
    }
    if row_w > 0 || rows.is_empty() {
        rows.push(row);
    }
    rows
}

/// `rows` kept to `max` rows; when some are dropped the last one kept
/// ends in `…`, so a cut is always visible.
pub fn fit_rows(mut rows: Vec<String>, max: usize, width: usize) -> Vec<String> {
    if rows.len() > max {
        rows.truncate(max);
        if let Some(last) = rows.last_mut() {
            let kept: String = last.chars().take(width.max(1) - 1).collect();
            *last = format!("{kept}…");
        }
    }
    rows
}

/// The first row to show of a list of `len` rows, `visible` at a time:
/// never so far down that blank rows show below while rows are hidden
/// above (a list that grew taller, or lost rows), and never hiding the
/// selection. Every list pane settles its offset with this before drawing.
pub fn list_offset(offset: usize, len: usize, visible: usize, selected: Option<usize>) -> usize {
    let mut o = offset.min(len.saturating_sub(visible));
    if let Some(s) = selected.filter(|_| visible > 0) {
        let s = s.min(len.saturating_sub(1));
        if s < o {
            o = s;
        } else if s >= o + visible {
            o = s + 1 - visible;
        }
    }
    o
}

/// Settles a table's offset with [`list_offset`] for `visible` rows of
/// data (the area's height less its header).
pub fn settle(table: &mut ratatui::widgets::TableState, len: usize, visible: usize) {
    let o = list_offset(table.offset(), len, visible, table.selected());
    *table.offset_mut() = o;
}

/// Microseconds for people.
pub fn ms(micros: u64) -> String {
    crate::cli::trace::ms(micros)
}

/// `3s ago`, `5m ago`, from two epoch times in milliseconds.
pub fn ago(now_ms: u64, then_ms: u64) -> String {
    let s = now_ms.saturating_sub(then_ms) / 1000;
    match s {
        0 => "now".into(),
        1..=59 => format!("{s}s ago"),
        60..=3599 => format!("{}m ago", s / 60),
        3600..=86_399 => format!("{}h ago", s / 3600),
        _ => format!("{}d ago", s / 86_400),
    }
}

/// A selection moved by a navigation action over `len` rows, `page` rows
/// to a page.
pub fn step_selection(
    sel: usize,
    len: usize,
    action: super::keymap::Action,
    page: usize,
) -> Option<usize> {
    use super::keymap::Action as A;
    if len == 0 {
        return None;
    }
    let last = len - 1;
    Some(match action {
        A::Up => sel.saturating_sub(1),
        A::Down => (sel + 1).min(last),
        A::PageUp => sel.saturating_sub(page.max(1)),
        A::PageDown => (sel + page.max(1)).min(last),
        A::Top => 0,
        A::Bottom => last,
        _ => return None,
    })
}

/// Whether (x, y) is inside `r`.
pub fn hit(r: Rect, x: u16, y: u16) -> bool {
    x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn good() -> Style {
    Style::new().fg(Color::Green)
}

pub fn bad() -> Style {
    Style::new().fg(Color::Red)
}

pub fn warn() -> Style {
    Style::new().fg(Color::Yellow)
}

/// Tabs to spaces (8-column stops): a terminal cell cannot hold a tab, and
/// assembly is laid out with them.
pub fn expand_tabs(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut col = 0;
    for c in s.chars() {
        if c == '\t' {
            let n = 8 - col % 8;
            out.extend(std::iter::repeat_n(' ', n));
            col += n;
        } else {
            out.push(c);
            col += 1;
        }
    }
    out
}

/// The mark before a selected row: visible without colour too.
pub const MARK: &str = "▸";

pub fn selected_row() -> Style {
    Style::new()
        .bg(Color::DarkGray)
        .add_modifier(Modifier::BOLD)
}

#[cfg(test)]
mod fit_tests {
    use super::*;

    #[test]
    fn fit_widths_gives_what_is_wanted_and_cuts_the_widest_first() {
        assert_eq!(fit_widths(&[10, 4, 30], 60), vec![10, 4, 30]);
        assert_eq!(fit_widths(&[10, 4, 30], 30), vec![10, 4, 16]);
        // Once the widest is down to the next, both give way.
        assert_eq!(fit_widths(&[10, 4, 30], 20), vec![8, 4, 8]);
        assert_eq!(fit_widths(&[3, 3], 0), vec![0, 0]);
    }

    #[test]
    fn truncate_left_keeps_the_end_of_a_path() {
        assert_eq!(
            truncate_left("profiles/small.yaml", 30),
            "profiles/small.yaml"
        );
        assert_eq!(
            truncate_left("/tmp/tw/profiles/small.yaml", 12),
            "…/small.yaml"
        );
        assert_eq!(truncate_left("abc", 0), "");
    }

    #[test]
    fn a_search_ignores_case_unless_it_has_a_capital() {
        let s = |q: &str| Search {
            pane: PaneId::Log,
            query: q.into(),
        };
        assert_eq!(s("cache").find("a Cache miss"), Some((2, 7)));
        assert_eq!(s("Cache").find("a cache miss"), None);
        assert_eq!(s("é").find("CAFÉ é"), Some((3, 5)));
        let line = mark_matches(
            Line::from(vec![Span::raw("ab"), Span::raw("cd")]),
            Some(&s("bc")),
        );
        let texts: Vec<&str> = line.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(texts, ["a", "b", "c", "d"]);
        assert_eq!(line.spans[1].style.bg, Some(Color::Yellow));
        assert_eq!(line.spans[2].style.bg, Some(Color::Yellow));
    }
}
