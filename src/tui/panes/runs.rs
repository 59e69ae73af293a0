//! The Runs pane: every execution (input, profile and the version of it
//! the Plan used, where it ran, outcome, hit or miss, kernel and end-to-end
//! time, speedup against generic, verification), with sparklines of latency
//! and rolling hit rate and a summary (hit rate, percentiles). Built from
//! the engine's events alone, plus the cache's timings for hits.
//!
//! An administrator's tool: `s` sorts (newest, slowest total, slowest
//! kernel, highest speedup, profile), `f` filters (words every shown run
//! contains; `profile:NAME`, `input:TEXT`), and `p` shows per-profile
//! figures as `tailor replay` prints them (runs, hit rate, failed,
//! p50/p95/p99 end to end, kernel p50). The summary, sparklines and
//! per-profile figures describe the runs the filter keeps, and say so.
//! Columns are as wide as what they hold: on a narrow pane the least
//! needed ones give way (named in the bottom title) before any text is
//! cut, and cut text ends in `…`. The selection stays on its request
//! across sorting, filtering and new runs (the top row of the newest-first
//! list follows new runs instead).

use super::{
    bad, bold, dim, good, hit, pane_block, selected_row, step_selection, truncate, warn, Effect,
    PaneId,
};
use crate::cache::{Timed, Verification};
use crate::engine::Served;
use crate::sandbox::Outcome;
use crate::tui::app::{Model, RunRecord};
use crate::tui::keymap::Action;
use crate::tui::worker::file_name;
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Sparkline, Table, TableState, Wrap};
use ratatui::Frame;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

/// Requests the rolling hit rate is taken over.
const WINDOW: usize = 20;

/// The orders `s` steps through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Sort {
    #[default]
    Newest,
    /// End-to-end time, slowest first.
    Total,
    /// Kernel time, slowest first.
    Kernel,
    /// Speedup against generic, highest first.
    Speedup,
    /// Profile name, then newest first.
    Profile,
}

impl Sort {
    fn next(self) -> Sort {
        match self {
            Sort::Newest => Sort::Total,
            Sort::Total => Sort::Kernel,
            Sort::Kernel => Sort::Speedup,
            Sort::Speedup => Sort::Profile,
            Sort::Profile => Sort::Newest,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Sort::Newest => "newest first",
            Sort::Total => "slowest total first",
            Sort::Kernel => "slowest kernel first",
            Sort::Speedup => "highest speedup first",
            Sort::Profile => "profile, then newest",
        }
    }
}

/// One word of a filter.
#[derive(Debug, Clone, PartialEq)]
enum Term {
    /// `profile:NAME`: the run's profile is NAME.
    Profile(String),
    /// `input:TEXT`: the input's file name contains TEXT.
    Input(String),
    /// Anywhere in the run's text.
    Word(String),
}

/// What `f` typed: words every shown run contains, case ignored.
#[derive(Debug, Clone, Default, PartialEq)]
struct Filter {
    /// As typed, for the summary and the next prompt.
    text: String,
    terms: Vec<Term>,
}

impl Filter {
    fn parse(text: &str) -> Filter {
        let terms: Vec<Term> = text
            .split_whitespace()
            .map(|w| {
                let w = w.to_lowercase();
                if let Some(name) = w.strip_prefix("profile:") {
                    Term::Profile(name.to_owned())
                } else if let Some(part) = w.strip_prefix("input:") {
                    Term::Input(part.to_owned())
                } else {
                    Term::Word(w)
                }
            })
            .collect();
        Filter {
            text: text.split_whitespace().collect::<Vec<_>>().join(" "),
            terms,
        }
    }

    fn is_on(&self) -> bool {
        !self.terms.is_empty()
    }

    /// Whether `r` shows under this filter.
    fn keeps(&self, r: &RunRecord) -> bool {
        if self.terms.is_empty() {
            return true;
        }
        let input = file_name(&r.input).to_lowercase();
        let profile = r.profile.as_deref().unwrap_or("").to_lowercase();
        // The whole text only when a word needs it (a filter runs over
        // every run, every frame).
        let text = if self.terms.iter().any(|t| matches!(t, Term::Word(_))) {
            format!(
                "{input} {profile} {} {} {}",
                outcome(r).0,
                cache_word(r),
                verified(r).0
            )
            .to_lowercase()
        } else {
            String::new()
        };
        self.terms.iter().all(|t| match t {
            Term::Profile(name) => r.profile.is_some() && profile == *name,
            Term::Input(part) => input.contains(part.as_str()),
            Term::Word(w) => text.contains(w.as_str()),
        })
    }

    /// This filter with its `profile:` words replaced by `profile:NAME`.
    fn with_profile(&self, name: &str) -> Filter {
        let mut words: Vec<&str> = self
            .text
            .split_whitespace()
            .filter(|w| !w.to_lowercase().starts_with("profile:"))
            .collect();
        let term = format!("profile:{name}");
        words.push(&term);
        Filter::parse(&words.join(" "))
    }
}

/// The cache's timing of each entry it has one for, by key.
type Timings<'m> = HashMap<&'m str, Timed>;

fn timings(model: &Model) -> Timings<'_> {
    model
        .cache
        .entries
        .iter()
        .filter_map(|e| Some((e.key.0.as_str(), e.timed?)))
        .collect()
}

/// The guard's timing of the variant a run asked for: its own request's
/// (a miss that built and timed it), else for a hit the cache entry's.
fn timing(r: &RunRecord, timings: &Timings) -> Option<Timed> {
    r.timed.or_else(|| {
        if r.hit != Some(true) {
            return None;
        }
        timings.get(r.key.as_deref()?).copied()
    })
}

/// Nearest rank, as `tailor replay` takes it: the value at rank
/// ⌈n·p⌉ (at least 1) of the sorted values; 0 for none.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Figures of some runs, counted as `tailor replay` counts them: of the
/// finished runs, those that failed are counted apart and left out of the
/// hit rate and the percentiles.
#[derive(Debug, Default)]
struct Figures {
    finished: usize,
    failed: usize,
    /// Finished without failing.
    completed: usize,
    hits: usize,
    /// End-to-end times of the completed runs, sorted.
    totals: Vec<u64>,
    /// Kernel times of the completed runs that executed, sorted.
    kernels: Vec<u64>,
}

impl Figures {
    fn of<'a>(runs: impl IntoIterator<Item = &'a RunRecord>) -> Figures {
        let mut f = Figures::default();
        for r in runs.into_iter().filter(|r| r.finished()) {
            f.finished += 1;
            if r.failed.is_some() {
                f.failed += 1;
                continue;
            }
            let Some(total) = r.total_micros else {
                continue;
            };
            f.completed += 1;
            f.hits += usize::from(r.hit == Some(true));
            f.totals.push(total);
            f.kernels
                .extend(r.execution.as_ref().map(|e| e.kernel_nanos));
        }
        f.totals.sort_unstable();
        f.kernels.sort_unstable();
        f
    }

    fn hit_rate(&self) -> Option<f64> {
        (self.completed > 0).then(|| self.hits as f64 / self.completed as f64)
    }

    /// A percentile of the end-to-end times, for people; `-` for none.
    fn total(&self, p: f64) -> String {
        if self.totals.is_empty() {
            return "-".into();
        }
        super::ms(percentile(&self.totals, p))
    }

    fn kernel_p50(&self) -> String {
        if self.kernels.is_empty() {
            return "-".into();
        }
        crate::cli::trace::nanos(percentile(&self.kernels, 0.5))
    }
}

fn outcome(r: &RunRecord) -> (String, Style) {
    match (&r.failed, &r.execution) {
        (Some(_), _) => ("failed".to_owned(), bad()),
        (None, Some(e)) if e.outcome == Outcome::Ok => ("ok".to_owned(), good()),
        (None, Some(e)) => (e.outcome.to_string(), bad()),
        (None, None) if r.finished() => ("done".to_owned(), dim()),
        (None, None) => ("running…".to_owned(), warn()),
    }
}

fn cache_word(r: &RunRecord) -> &'static str {
    match r.hit {
        Some(true) => "hit",
        Some(false) => "miss",
        None => "",
    }
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

/// The list's columns, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Request,
    Input,
    Profile,
    Version,
    Worker,
    Outcome,
    Cache,
    Kernel,
    Total,
    Speedup,
    Verified,
}

const COLS: [Col; 11] = [
    Col::Request,
    Col::Input,
    Col::Profile,
    Col::Version,
    Col::Worker,
    Col::Outcome,
    Col::Cache,
    Col::Kernel,
    Col::Total,
    Col::Speedup,
    Col::Verified,
];

impl Col {
    fn head(self) -> &'static str {
        match self {
            Col::Request => "#",
            Col::Input => "input",
            Col::Profile => "profile",
            Col::Version => "version",
            Col::Worker => "worker",
            Col::Outcome => "outcome",
            Col::Cache => "cache",
            Col::Kernel => "kernel",
            Col::Total => "total",
            Col::Speedup => "speedup",
            Col::Verified => "verified",
        }
    }

    /// How narrow its text may be cut (with `…`); `None`: never cut.
    fn cut_to(self) -> Option<usize> {
        match self {
            Col::Input => Some(10),
            Col::Profile | Col::Outcome => Some(6),
            Col::Verified | Col::Worker => Some(8),
            _ => None,
        }
    }

    /// When the pane is too narrow for every column at its content's
    /// width, the order they give way in (1 first); 0: always shown.
    fn gives_way(self) -> u8 {
        match self {
            Col::Worker => 1,
            Col::Version => 2,
            Col::Kernel => 3,
            Col::Speedup => 4,
            _ => 0,
        }
    }

    /// Numbers line up on the right.
    fn right(self) -> bool {
        matches!(self, Col::Kernel | Col::Total | Col::Speedup)
    }

    /// What run `r` shows in this column.
    fn text(self, r: &RunRecord, timings: &Timings) -> (String, Style) {
        match self {
            Col::Request => (r.request.to_string(), dim()),
            Col::Input => (file_name(&r.input), Style::new()),
            Col::Profile => (
                r.profile.clone().unwrap_or_default(),
                Style::new().fg(Color::Cyan),
            ),
            Col::Version => (
                r.plan
                    .as_ref()
                    .map(|p| p.profile_version.chars().take(8).collect())
                    .unwrap_or_default(),
                dim(),
            ),
            Col::Worker => (
                r.execution
                    .as_ref()
                    .map(|e| e.isolation.clone())
                    .unwrap_or_default(),
                dim(),
            ),
            Col::Outcome => outcome(r),
            Col::Cache => (
                cache_word(r).to_owned(),
                if r.hit == Some(true) { good() } else { warn() },
            ),
            Col::Kernel => (
                r.execution
                    .as_ref()
                    .map(|e| crate::cli::trace::nanos(e.kernel_nanos))
                    .unwrap_or_default(),
                Style::new(),
            ),
            Col::Total => (
                r.total_micros.map(super::ms).unwrap_or_default(),
                Style::new(),
            ),
            Col::Speedup => match timing(r, timings) {
                Some(t) if t.slower => (format!("{:.2}×", t.speedup()), warn()),
                Some(t) if t.speedup() > 1.0 => (format!("{:.2}×", t.speedup()), good()),
                Some(t) => (format!("{:.2}×", t.speedup()), Style::new()),
                None => ("-".into(), dim()),
            },
            Col::Verified => verified(r),
        }
    }
}

/// What a column needs: its content's width, how narrow it may be cut,
/// and when it gives way (see [`Col::gives_way`]).
struct Fit {
    want: usize,
    min: usize,
    gives_way: u8,
}

/// Columns fitted into a width: each one's width (`None`: left out) and
/// the cells between two.
struct Fitted {
    widths: Vec<Option<usize>>,
    gap: u16,
}

/// Fits columns into `avail` cells. When all fit at their content's width
/// with two cells between them, that is it. Otherwise one cell apart:
/// columns that give way go, in their order, until the rest fit (then any
/// of them that fits again comes back, the most needed first); only then
/// are the widest cuttable ones cut, a cell at a time, down to their
/// minimum (a pane too small even for that is clipped by the table).
fn fit(cols: &[Fit], avail: usize) -> Fitted {
    let need = |w: &[Option<usize>], gap: usize| {
        let n = w.iter().flatten().count();
        w.iter().flatten().sum::<usize>() + n.saturating_sub(1) * gap
    };
    let mut w: Vec<Option<usize>> = cols.iter().map(|c| Some(c.want)).collect();
    if need(&w, 2) <= avail {
        return Fitted { widths: w, gap: 2 };
    }
    let mut order: Vec<usize> = (0..cols.len()).filter(|&i| cols[i].gives_way > 0).collect();
    order.sort_by_key(|&i| cols[i].gives_way);
    for &i in &order {
        if need(&w, 1) <= avail {
            break;
        }
        w[i] = None;
    }
    for &i in order.iter().rev() {
        if w[i].is_none() {
            w[i] = Some(cols[i].want);
            if need(&w, 1) > avail {
                w[i] = None;
            }
        }
    }
    while need(&w, 1) > avail {
        let widest = (0..cols.len())
            .filter(|&i| w[i].is_some_and(|x| x > cols[i].min))
            .max_by_key(|&i| w[i]);
        match widest.and_then(|i| w[i].as_mut()) {
            Some(x) => *x -= 1,
            None => break,
        }
    }
    Fitted { widths: w, gap: 1 }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// `spans` as one line of at most `cells` cells, the last one kept ending
/// in `…` when some are cut.
fn fit_line(spans: Vec<Span<'static>>, cells: usize) -> Line<'static> {
    let mut out = Vec::new();
    let mut left = cells;
    for s in spans {
        let w = width(&s.content);
        if w <= left {
            left -= w;
            out.push(s);
            continue;
        }
        if left > 0 {
            out.push(Span::styled(truncate(&s.content, left), s.style));
        }
        break;
    }
    Line::from(out)
}

/// One row of the per-profile table.
struct ProfileRow {
    /// The profile, `(no profile)` or `(all)`.
    label: String,
    /// The profile a filter can name (`None` for the other two rows).
    profile: Option<String>,
    figures: Figures,
}

impl ProfileRow {
    fn cells(&self) -> [(String, Style); 8] {
        let f = &self.figures;
        [
            (
                self.label.clone(),
                if self.profile.is_some() {
                    Style::new().fg(Color::Cyan)
                } else {
                    bold()
                },
            ),
            (f.finished.to_string(), Style::new()),
            (
                f.hit_rate()
                    .map_or("-".into(), |h| format!("{:.1}%", h * 100.0)),
                good(),
            ),
            (
                f.failed.to_string(),
                if f.failed > 0 { bad() } else { dim() },
            ),
            (f.total(0.5), Style::new()),
            (f.total(0.95), Style::new()),
            (f.total(0.99), Style::new()),
            (f.kernel_p50(), Style::new()),
        ]
    }

    /// The row as `/` searches it.
    fn text(&self) -> String {
        self.cells()
            .iter()
            .map(|(t, _)| t.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

const PROFILE_HEAD: [&str; 8] = [
    "profile",
    "runs",
    "hit rate",
    "failed",
    "p50",
    "p95",
    "p99",
    "kernel p50",
];

/// The per-profile figures of `runs`, by profile name as `tailor replay`
/// orders them, then runs that never got a profile, then all of them.
fn by_profile(runs: &[&RunRecord]) -> Vec<ProfileRow> {
    let mut named: BTreeMap<&str, Vec<&RunRecord>> = BTreeMap::new();
    let mut none = Vec::new();
    for r in runs.iter().copied().filter(|r| r.finished()) {
        match r.profile.as_deref() {
            Some(p) => named.entry(p).or_default().push(r),
            None => none.push(r),
        }
    }
    let mut rows: Vec<ProfileRow> = named
        .into_iter()
        .map(|(p, rs)| ProfileRow {
            label: p.to_owned(),
            profile: Some(p.to_owned()),
            figures: Figures::of(rs),
        })
        .collect();
    if !none.is_empty() {
        rows.push(ProfileRow {
            label: "(no profile)".into(),
            profile: None,
            figures: Figures::of(none),
        });
    }
    rows.push(ProfileRow {
        label: "(all)".into(),
        profile: None,
        figures: Figures::of(runs.iter().copied()),
    });
    rows
}

#[derive(Default)]
pub struct RunsPane {
    /// Selected row of the list as shown (filtered and sorted).
    sel: usize,
    /// The selected request, so sorting, filtering and new runs keep the
    /// selection; `None` in the newest-first list: the top row, following
    /// new runs.
    sel_request: Option<u64>,
    sort: Sort,
    filter: Filter,
    /// The per-profile table instead of the list.
    by_profile: bool,
    /// Selected row of the per-profile table, and its label (kept as
    /// profiles come and go).
    prof_sel: usize,
    prof_label: Option<String>,
    table: TableState,
    prof_table: TableState,
    list_area: Rect,
}

impl RunsPane {
    /// The runs the list shows, in its order: those the filter keeps,
    /// sorted (ties newest first).
    fn shown<'m>(&self, model: &'m Model) -> Vec<&'m RunRecord> {
        let mut runs: Vec<&RunRecord> = model
            .runs
            .iter()
            .rev()
            .filter(|r| self.filter.keeps(r))
            .collect();
        // Slowest (highest) first, unknown last; stable, so ties stay
        // newest first.
        fn high<T: PartialOrd>(a: Option<T>, b: Option<T>) -> Ordering {
            match (a, b) {
                (Some(a), Some(b)) => b.partial_cmp(&a).unwrap_or(Ordering::Equal),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
        }
        let kernel = |r: &RunRecord| r.execution.as_ref().map(|e| e.kernel_nanos);
        match self.sort {
            Sort::Newest => {}
            Sort::Total => runs.sort_by(|a, b| high(a.total_micros, b.total_micros)),
            Sort::Kernel => runs.sort_by(|a, b| high(kernel(a), kernel(b))),
            Sort::Speedup => {
                let t = timings(model);
                let speedup = |r: &RunRecord| timing(r, &t).map(|t| t.speedup());
                runs.sort_by(|a, b| high(speedup(a), speedup(b)));
            }
            Sort::Profile => runs.sort_by(|a, b| match (&a.profile, &b.profile) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }),
        }
        runs
    }

    /// The selected row of `shown`, moved to where the selected request
    /// is now.
    fn current(&mut self, shown: &[&RunRecord]) -> usize {
        if let Some(i) = self
            .sel_request
            .and_then(|req| shown.iter().position(|r| r.request == req))
        {
            self.sel = i;
        }
        self.sel = self.sel.min(shown.len().saturating_sub(1));
        // Only the newest-first list has a top row that follows.
        if self.sel_request.is_none() && self.sort != Sort::Newest {
            self.sel_request = shown.get(self.sel).map(|r| r.request);
        }
        self.sel
    }

    /// Selects row `i` of `shown`; the top of the newest-first list
    /// follows new runs, any other row stays on its request.
    fn select(&mut self, i: usize, shown: &[&RunRecord]) {
        self.sel = i;
        self.sel_request = if i == 0 && self.sort == Sort::Newest {
            None
        } else {
            shown.get(i).map(|r| r.request)
        };
    }

    /// The selected row of the per-profile table, kept on its profile.
    fn current_profile(&mut self, rows: &[ProfileRow]) -> usize {
        if let Some(i) = self
            .prof_label
            .as_ref()
            .and_then(|l| rows.iter().position(|r| &r.label == l))
        {
            self.prof_sel = i;
        }
        self.prof_sel = self.prof_sel.min(rows.len().saturating_sub(1));
        self.prof_label = rows.get(self.prof_sel).map(|r| r.label.clone());
        self.prof_sel
    }

    /// Applies `filter`, keeping the selected request if it still shows
    /// (else the top row).
    fn set_filter(&mut self, filter: Filter, model: &Model) {
        self.filter = filter;
        let shown = self.shown(model);
        let kept = self
            .sel_request
            .and_then(|req| shown.iter().position(|r| r.request == req));
        match kept {
            Some(i) => self.sel = i,
            None => self.select(0, &shown),
        }
    }

    pub fn handle(&mut self, action: Action, model: &mut Model) -> Effect {
        match action {
            Action::FilterRuns => {
                return Effect::Prompt(super::Prompt {
                    label: "filter runs".into(),
                    input: self.filter.text.clone(),
                    hint: "words every shown run contains, any case (miss, failed, dot); \
                           profile:NAME, input:TEXT; empty shows all"
                        .into(),
                    purpose: super::PromptFor::FilterRuns,
                })
            }
            Action::RunsByProfile => {
                self.by_profile = !self.by_profile;
                if self.by_profile {
                    // Start on the selected run's profile.
                    let shown = self.shown(model);
                    let sel = self.current(&shown);
                    if let Some(p) = shown.get(sel).and_then(|r| r.profile.clone()) {
                        self.prof_label = Some(p);
                    }
                }
                return Effect::None;
            }
            Action::ClearRuns if model.runs.is_empty() => return Effect::None,
            Action::ClearRuns => {
                let n = model.runs.len();
                let shown = self.shown(model).len();
                let question = if self.filter.is_on() {
                    format!(
                        "Clear all {n} runs from the list, not only the {shown} shown? (the cache keeps its variants)"
                    )
                } else {
                    format!(
                        "Clear the {n} run{} from the list? (the cache keeps its variants)",
                        if n == 1 { "" } else { "s" }
                    )
                };
                return Effect::Confirm(super::Confirm {
                    question,
                    purpose: super::ConfirmFor::ClearRuns,
                });
            }
            _ => {}
        }
        if self.by_profile {
            return self.handle_profiles(action, model);
        }
        let shown = self.shown(model);
        let sel = self.current(&shown);
        if let Some(s) = step_selection(sel, shown.len(), action, 10) {
            self.select(s, &shown);
            return Effect::None;
        }
        match action {
            Action::Open | Action::Right => match shown.get(sel) {
                Some(r) => Effect::ShowRun(r.request),
                None => Effect::None,
            },
            Action::SortRuns => {
                // Re-sorted, the list shows its top: the slowest, the
                // fastest, first (a selection kept deep in the list hid
                // them above it). New runs then leave the selection be.
                self.sort = self.sort.next();
                let shown = self.shown(model);
                self.select(0, &shown);
                Effect::None
            }
            _ => Effect::Unhandled,
        }
    }

    fn handle_profiles(&mut self, action: Action, model: &mut Model) -> Effect {
        let rows = by_profile(&self.shown(model));
        let sel = self.current_profile(&rows);
        if let Some(s) = step_selection(sel, rows.len(), action, 10) {
            self.prof_sel = s;
            self.prof_label = rows.get(s).map(|r| r.label.clone());
            return Effect::None;
        }
        match action {
            // A profile's runs: the list, filtered to it.
            Action::Open | Action::Right => {
                self.by_profile = false;
                if let Some(p) = rows.get(sel).and_then(|r| r.profile.as_deref()) {
                    let filter = self.filter.with_profile(p);
                    self.set_filter(filter, model);
                }
                Effect::None
            }
            Action::Back | Action::Left => {
                self.by_profile = false;
                Effect::None
            }
            Action::SortRuns => {
                model.say(
                    "s sorts the list (per profile is by name, as replay): p shows the list",
                    false,
                );
                Effect::None
            }
            _ => Effect::Unhandled,
        }
    }

    /// The filter typed after `f` (empty: none).
    pub fn prompted(&mut self, p: super::Prompt, model: &mut Model) -> Effect {
        self.set_filter(Filter::parse(&p.input), model);
        Effect::None
    }

    /// Clears the list (asked first, see [`Action::ClearRuns`]). The sort
    /// and the filter stay.
    pub fn clear(&mut self, model: &mut Model) {
        model.runs.clear();
        self.sel = 0;
        self.sel_request = None;
        self.prof_sel = 0;
        self.prof_label = None;
    }

    pub fn mouse(&mut self, ev: MouseEvent, model: &mut Model) -> Effect {
        let (x, y) = (ev.column, ev.row);
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) if hit(self.list_area, x, y) => {
                // The header takes the first row.
                let Some(row) = ((y - self.list_area.y) as usize).checked_sub(1) else {
                    return Effect::None;
                };
                let shown = self.shown(model);
                if self.by_profile {
                    let rows = by_profile(&shown);
                    let i = row + self.prof_table.offset();
                    if let Some(r) = rows.get(i) {
                        self.prof_sel = i;
                        self.prof_label = Some(r.label.clone());
                    }
                } else {
                    let i = row + self.table.offset();
                    if let Some(r) = shown.get(i) {
                        self.sel = i;
                        self.sel_request = Some(r.request);
                    }
                }
                Effect::None
            }
            MouseEventKind::ScrollDown => self.handle(Action::Down, model),
            MouseEventKind::ScrollUp => self.handle(Action::Up, model),
            _ => Effect::None,
        }
    }

    /// The summary: how many runs (of how many, under a filter), hit
    /// rate, failures and percentiles of the runs shown, and the batch
    /// under way; as two halves, for a pane too narrow for one line.
    fn summary(
        &self,
        model: &Model,
        shown: &[&RunRecord],
        fig: &Figures,
    ) -> (Vec<Span<'static>>, Vec<Span<'static>>) {
        let n = shown.len();
        let mut head = if self.filter.is_on() {
            vec![
                Span::styled(format!("{n} of {} runs", model.runs.len()), bold()),
                Span::styled(format!(" (filter: {})", self.filter.text), warn()),
            ]
        } else {
            vec![Span::styled(
                format!("{n} run{}", if n == 1 { "" } else { "s" }),
                bold(),
            )]
        };
        head.push(Span::raw(" · hit "));
        head.push(match fig.hit_rate() {
            Some(h) => Span::styled(format!("{:.0}%", h * 100.0), good()),
            None => Span::styled("-", dim()),
        });
        if fig.failed > 0 {
            head.push(Span::styled(format!(" · {} failed", fig.failed), bad()));
        }
        let mut tail = vec![Span::styled(
            format!(
                " · p50 {} · p95 {} · p99 {}",
                fig.total(0.5),
                fig.total(0.95),
                fig.total(0.99),
            ),
            dim(),
        )];
        if let Some(j) = &model.job {
            tail.push(Span::styled(
                format!(" · {} {}/{}", j.label, j.done, j.total),
                warn(),
            ));
        }
        (head, tail)
    }

    pub fn draw(&mut self, f: &mut Frame, area: Rect, model: &Model, focused: bool) {
        let block = pane_block(PaneId::Runs, focused);
        let inner = block.inner(area);
        if model.runs.is_empty() {
            f.render_widget(block, area);
            self.list_area = Rect::default();
            f.render_widget(
                Paragraph::new(vec![
                    Line::from("No runs yet."),
                    Line::from(Span::styled(
                        "Inputs pane: r runs the selected input, n runs it N times, r on a workload replays it.",
                        dim(),
                    )),
                ])
                .wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        let shown = self.shown(model);
        let fig = Figures::of(shown.iter().copied());
        let (head, tail) = self.summary(model, &shown, &fig);
        let w = inner.width as usize;
        let one: usize = head.iter().chain(&tail).map(|s| width(&s.content)).sum();
        let summary_lines = if one <= w {
            vec![Line::from([head, tail].concat())]
        } else {
            let mut tail = tail;
            // The second line starts without its separator.
            if let Some(first) = tail.first_mut() {
                first.content = first.content.trim_start_matches(" · ").to_owned().into();
            }
            vec![fit_line(head, w), fit_line(tail, w)]
        };
        let charts = if inner.height >= 8 { 2 } else { 0 };
        let [summary, latency, rate, list] = Layout::vertical([
            Constraint::Length(summary_lines.len() as u16),
            Constraint::Length(charts / 2),
            Constraint::Length(charts / 2),
            Constraint::Min(0),
        ])
        .areas(inner);
        self.list_area = list;
        f.render_widget(Paragraph::new(summary_lines), summary);
        if charts > 0 {
            // The finished runs shown, in order of arrival (requests are
            // numbered in order).
            let mut done: Vec<&RunRecord> =
                shown.iter().copied().filter(|r| r.finished()).collect();
            done.sort_by_key(|r| r.request);
            draw_charts(f, latency, rate, &done);
        }
        // The bottom title: the longest of these that fits, whole.
        let titles = if self.by_profile {
            self.draw_profiles(f, list, model, &shown);
            vec![
                "per profile, as replay · Enter its runs · p the list".to_owned(),
                "per profile · p the list".to_owned(),
            ]
        } else {
            let hidden = self.draw_list(f, list, model, &shown);
            let sort = format!("sort: {}", self.sort.label());
            let mut t = Vec::new();
            if !hidden.is_empty() {
                t.push(format!("{sort} · no room for {}", hidden.join(", ")));
                let n = hidden.len();
                t.push(format!(
                    "{sort} · {n} column{} hidden",
                    if n == 1 { "" } else { "s" }
                ));
            }
            t.push(sort);
            t.push(self.sort.label().to_owned());
            t
        };
        let room = area.width.saturating_sub(4) as usize;
        let block = match titles.into_iter().find(|t| width(t) + 2 <= room) {
            Some(t) => block
                .title_bottom(Line::from(Span::styled(format!(" {t} "), dim())).right_aligned()),
            None => block,
        };
        f.render_widget(block, area);
    }

    /// Draws the list of `shown` runs; returns the columns left out for
    /// want of room.
    fn draw_list(
        &mut self,
        f: &mut Frame,
        list: Rect,
        model: &Model,
        shown: &[&RunRecord],
    ) -> Vec<&'static str> {
        if shown.is_empty() {
            self.table = TableState::default();
            let text = vec![
                Line::from(Span::styled(
                    format!("No run matches the filter `{}`.", self.filter.text),
                    warn(),
                )),
                Line::from(Span::styled(
                    format!(
                        "f changes it (an empty filter shows all {} runs).",
                        model.runs.len()
                    ),
                    dim(),
                )),
            ];
            f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), list);
            return Vec::new();
        }
        let sel = self.current(shown);
        let t = timings(model);
        let texts: Vec<Vec<(String, Style)>> = shown
            .iter()
            .map(|r| COLS.iter().map(|c| c.text(r, &t)).collect())
            .collect();
        // Columns are as wide as the rows in view need (a long input or
        // error scrolled out of view takes no room from the rest).
        let visible = list.height.saturating_sub(1) as usize;
        let from = super::list_offset(self.table.offset(), texts.len(), visible, Some(sel));
        let in_view = &texts[from.min(texts.len())..(from + visible).min(texts.len())];
        let fits: Vec<Fit> = COLS
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let want = in_view
                    .iter()
                    .map(|row| width(&row[i].0))
                    .chain([width(c.head())])
                    .max()
                    .unwrap_or(0);
                Fit {
                    want,
                    min: c.cut_to().map_or(want, |m| m.min(want)),
                    gives_way: c.gives_way(),
                }
            })
            .collect();
        // The selection mark takes a column.
        let avail = (list.width as usize).saturating_sub(width(super::MARK));
        let Fitted { widths, gap } = fit(&fits, avail);
        let hidden: Vec<&'static str> = COLS
            .iter()
            .zip(&widths)
            .filter(|(_, w)| w.is_none())
            .map(|(c, _)| c.head())
            .collect();
        let search = model.search.as_ref().filter(|q| q.pane == PaneId::Runs);
        let cell = |c: Col, text: &str, style: Style, w: usize| -> Cell<'static> {
            let line =
                super::mark_matches(Line::from(Span::styled(truncate(text, w), style)), search);
            Cell::from(if c.right() {
                line.right_aligned()
            } else {
                line
            })
        };
        let header = Row::new(COLS.iter().zip(&widths).filter_map(|(c, w)| {
            let w = (*w)?;
            let line = Line::from(Span::styled(truncate(c.head(), w), bold()));
            Some(Cell::from(if c.right() {
                line.right_aligned()
            } else {
                line
            }))
        }));
        let rows: Vec<Row> = texts
            .iter()
            .map(|row| {
                Row::new(
                    COLS.iter()
                        .zip(&widths)
                        .zip(row)
                        .filter_map(|((c, w), (text, style))| Some(cell(*c, text, *style, (*w)?))),
                )
            })
            .collect();
        draw_table(f, list, &mut self.table, (header, rows), &widths, gap, sel);
        hidden
    }

    /// Draws the per-profile table of the `shown` runs.
    fn draw_profiles(&mut self, f: &mut Frame, list: Rect, model: &Model, shown: &[&RunRecord]) {
        let rows = by_profile(shown);
        let sel = self.current_profile(&rows);
        let texts: Vec<[(String, Style); 8]> = rows.iter().map(ProfileRow::cells).collect();
        let fits: Vec<Fit> = PROFILE_HEAD
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let want = texts
                    .iter()
                    .map(|row| width(&row[i].0))
                    .chain([width(h)])
                    .max()
                    .unwrap_or(0);
                Fit {
                    want,
                    // Names may be cut; figures give way, the rarest first.
                    min: if i == 0 { want.min(8) } else { want },
                    gives_way: match i {
                        7 => 1,
                        6 => 2,
                        _ => 0,
                    },
                }
            })
            .collect();
        let avail = (list.width as usize).saturating_sub(width(super::MARK));
        let Fitted { widths, gap } = fit(&fits, avail);
        let search = model.search.as_ref().filter(|q| q.pane == PaneId::Runs);
        let line = |i: usize, text: &str, style: Style, w: usize| -> Line<'static> {
            let l = super::mark_matches(Line::from(Span::styled(truncate(text, w), style)), search);
            // Figures line up on the right.
            if i == 0 {
                l
            } else {
                l.right_aligned()
            }
        };
        let header = Row::new(
            PROFILE_HEAD
                .iter()
                .enumerate()
                .zip(&widths)
                .filter_map(|((i, h), w)| Some(Cell::from(line(i, h, bold(), (*w)?)))),
        );
        let body: Vec<Row> = texts
            .iter()
            .map(|row| {
                Row::new(
                    row.iter()
                        .enumerate()
                        .zip(&widths)
                        .filter_map(|((i, (t, s)), w)| Some(Cell::from(line(i, t, *s, (*w)?)))),
                )
            })
            .collect();
        draw_table(
            f,
            list,
            &mut self.prof_table,
            (header, body),
            &widths,
            gap,
            sel,
        );
    }
}

/// Latency (log scale) and rolling hit rate of `done`, oldest first, as
/// many as fit.
fn draw_charts(f: &mut Frame, latency: Rect, rate: Rect, done: &[&RunRecord]) {
    let label_w = 12u16;
    let chart = |r: Rect| {
        let [l, c] = Layout::horizontal([Constraint::Length(label_w), Constraint::Min(0)]).areas(r);
        (l, c)
    };
    let series: Vec<u64> = done.iter().filter_map(|r| r.total_micros).collect();
    let (l, c) = chart(latency);
    let tail = &series[series.len().saturating_sub(c.width as usize)..];
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
    // Over the completed runs, as the summary's hit rate.
    let completed: Vec<&RunRecord> = done
        .iter()
        .copied()
        .filter(|r| r.failed.is_none() && r.total_micros.is_some())
        .collect();
    let rolling: Vec<u64> = (0..completed.len())
        .map(|i| {
            let w = &completed[(i + 1).saturating_sub(WINDOW)..=i];
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

impl super::Searchable for RunsPane {
    /// The rows shown: the runs as filtered and sorted, or the
    /// per-profile table's rows.
    fn search_rows(&self, model: &Model) -> Vec<String> {
        let shown = self.shown(model);
        if self.by_profile {
            return by_profile(&shown).iter().map(ProfileRow::text).collect();
        }
        shown
            .iter()
            .map(|r| {
                format!(
                    "#{} {} {} {} {} {}",
                    r.request,
                    file_name(&r.input),
                    r.profile.as_deref().unwrap_or(""),
                    outcome(r).0,
                    cache_word(r),
                    verified(r).0
                )
            })
            .collect()
    }

    fn search_at(&self, model: &Model) -> usize {
        let shown = self.shown(model);
        if self.by_profile {
            let rows = by_profile(&shown);
            return self
                .prof_label
                .as_ref()
                .and_then(|l| rows.iter().position(|r| &r.label == l))
                .unwrap_or(self.prof_sel);
        }
        self.sel_request
            .and_then(|req| shown.iter().position(|r| r.request == req))
            .unwrap_or(self.sel)
    }

    fn search_show(&mut self, row: usize, model: &Model) {
        let shown = self.shown(model);
        if self.by_profile {
            let rows = by_profile(&shown);
            if let Some(r) = rows.get(row) {
                self.prof_sel = row;
                self.prof_label = Some(r.label.clone());
            }
            return;
        }
        if let Some(r) = shown.get(row) {
            // A match stays selected, even at the top.
            self.sel = row;
            self.sel_request = Some(r.request);
        }
    }
}

/// Draws a table of `rows` under `header` with the shown columns of
/// `widths` (`None`: left out), the row `sel` selected and the offset
/// settled so no blank rows show while rows are hidden above.
fn draw_table(
    f: &mut Frame,
    area: Rect,
    table: &mut TableState,
    (header, rows): (Row<'static>, Vec<Row<'static>>),
    widths: &[Option<usize>],
    gap: u16,
    sel: usize,
) {
    let constraints: Vec<Constraint> = widths
        .iter()
        .flatten()
        .map(|&w| Constraint::Length(w as u16))
        .collect();
    let len = rows.len();
    table.select(Some(sel));
    // The header takes a row.
    super::settle(table, len, area.height.saturating_sub(1) as usize);
    f.render_stateful_widget(
        Table::new(rows, constraints)
            .column_spacing(gap)
            .header(header)
            .row_highlight_style(selected_row())
            .highlight_symbol(super::MARK),
        area,
        table,
    );
}
