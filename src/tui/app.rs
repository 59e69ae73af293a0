//! The workbench's state and what changes it: engine messages, keys and
//! mouse events. Nothing here draws (that is `ui` and the panes' `draw`)
//! and nothing here talks to the engine: commands wait in
//! [`Model::outbox`] for the event loop to send, so any state can be built
//! in a test and rendered without a terminal or an engine.

use super::keymap::{self, Action, Scope};
use super::panes::{
    cache::CachePane, inputs::InputsPane, log::LogPane, pipeline::PipelinePane,
    profiles::ProfilesPane, runs::RunsPane, Confirm, ConfirmFor, Effect, PaneId, Prompt, PromptFor,
    Search, Searchable,
};
use super::worker::{
    Analysis, CacheView, Command, Folder, JobState, Msg, ReloadView, StoreView, VariantView,
};
use crate::cache::{Tier, Verification};
use crate::engine::{Event, EventKind, Served, StepEvent};
use crate::input::Scalar;
use crate::profile::{Candidate, Plan, Reload};
use crate::sandbox::Execution;
use crossterm::event::{KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

/// Administrator lines the Log keeps (reloads, saves, errors, cache
/// actions): a history of their own, so engine events cannot push them out.
pub const ADMIN_LINES: usize = 500;
/// Engine event lines the Log keeps (a replay sends thousands).
pub const EVENT_LINES: usize = 2000;
/// Failed-request lines the Log keeps (a replay may fail thousands).
pub const FAILED_LINES: usize = 500;
/// How long a passing (not error) message stays in the status bar.
const FLASH_MS: u64 = 8000;
/// How long a batch's end waits for its last request's events.
const JOB_END_WAIT_MS: u64 = 2000;
/// Runs the Runs pane keeps.
const RUNS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
    /// A request that failed: shown as an error, kept in a history of its
    /// own (a replay whose every request fails must not push out the
    /// administrator's lines).
    Failed,
    /// An engine event (hidden when the Log hides them).
    Event,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// Order of arrival across both histories.
    pub seq: u64,
    pub at_ms: u64,
    pub level: Level,
    pub text: String,
}

/// The Log's lines in three bounded histories: what the administrator did
/// and was told ([`Level::Info`], [`Level::Warn`], [`Level::Error`]),
/// requests that failed ([`Level::Failed`]) and engine events
/// ([`Level::Event`]). Each evicts only its own oldest lines; they are
/// shown merged in order of arrival.
#[derive(Debug, Default)]
pub struct Log {
    admin: VecDeque<LogLine>,
    failed: VecDeque<LogLine>,
    events: VecDeque<LogLine>,
    next: u64,
}

impl Log {
    pub fn push(&mut self, at_ms: u64, level: Level, text: String) {
        let (lines, cap) = match level {
            Level::Event => (&mut self.events, EVENT_LINES),
            Level::Failed => (&mut self.failed, FAILED_LINES),
            Level::Info | Level::Warn | Level::Error => (&mut self.admin, ADMIN_LINES),
        };
        if lines.len() >= cap {
            lines.pop_front();
        }
        lines.push_back(LogLine {
            seq: self.next,
            at_ms,
            level,
            text,
        });
        self.next += 1;
    }

    /// The lines in order of arrival; engine events only if `events`.
    pub fn lines(&self, events: bool) -> Vec<&LogLine> {
        let mut out: Vec<&LogLine> = self.admin.iter().chain(&self.failed).collect();
        if events {
            out.extend(&self.events);
        }
        // Each history is in order already: a merge, for the sort.
        out.sort_by_key(|l| l.seq);
        out
    }
}

/// One request as its events told it.
#[derive(Debug, Clone, Default)]
pub struct RunRecord {
    pub request: u64,
    pub input: PathBuf,
    pub started_ms: u64,
    pub kernel: Option<String>,
    pub summary: Option<String>,
    pub profile: Option<String>,
    pub candidates: Vec<Candidate>,
    pub plan: Option<Plan>,
    /// The planned profile's nodes in execution order as they were when
    /// this request was planned: the run keeps the order it ran in after
    /// the profile is edited.
    pub order: Vec<String>,
    pub plan_error: Option<String>,
    pub key: Option<String>,
    pub hit: Option<bool>,
    pub tier: Option<Tier>,
    /// The profile whose build is under way (the selected Plan's, or the
    /// generic build it is verified against).
    pub building: Option<String>,
    /// Steps of the selected Plan's build, as they ran.
    pub steps: Vec<StepEvent>,
    pub compiled: bool,
    pub transform_error: Option<String>,
    pub verification: Option<Verification>,
    /// The guard's timing of the selected variant against generic.
    pub timed: Option<crate::cache::Timed>,
    /// The fallback chain as it was walked: each Plan that did not serve,
    /// then the one tried next (`profile why`).
    pub chain: Vec<(crate::engine::Try, String)>,
    /// Tiered serving answered with generic; the variant builds.
    pub deferred: bool,
    /// The `autotune` candidate the build kept.
    pub tuned: Option<String>,
    /// The background build is done: what serves the key now.
    pub ready: Option<String>,
    pub served_by: Option<Served>,
    pub execution: Option<Execution>,
    pub result: Option<Scalar>,
    pub total_micros: Option<u64>,
    pub failed: Option<String>,
}

impl RunRecord {
    pub fn finished(&self) -> bool {
        self.total_micros.is_some() || self.failed.is_some()
    }

    /// Whether steps now come from the selected Plan's own build.
    pub fn building_plan(&self) -> bool {
        match (&self.building, &self.plan) {
            (Some(b), Some(p)) => *b == p.profile && !self.compiled,
            _ => false,
        }
    }
}

/// The batch the engine is working through.
#[derive(Debug, Clone, PartialEq)]
pub struct JobStatus {
    pub label: String,
    pub done: usize,
    pub total: usize,
}

/// A batch waiting for the one running to end.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedJob {
    pub label: String,
    pub total: usize,
}

/// Whether profile files are watched, for the status bar.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum WatchState {
    #[default]
    Watching,
    /// The profiles folder does not exist; it is looked for.
    Missing(PathBuf),
    /// The watch could not start: hot reload is off.
    Off(String),
}

/// The last reload, for the status bar.
#[derive(Debug, Clone, PartialEq)]
pub struct ReloadStatus {
    pub at_ms: u64,
    pub ok: bool,
    pub text: String,
}

/// What the panes share: snapshots from the engine thread, the runs as
/// events told them, the log, and the commands waiting to be sent.
#[derive(Debug, Default)]
pub struct Model {
    pub store: Arc<StoreView>,
    /// A store view arrived (the first is the start-up load's).
    store_seen: bool,
    pub cache: CacheView,
    pub analyses: HashMap<PathBuf, Analysis>,
    pub runs: VecDeque<RunRecord>,
    pub variants: HashMap<String, Arc<VariantView>>,
    /// The last what-if answer.
    pub what_if: Option<Box<crate::tui::worker::WhatIfView>>,
    pub assembly: HashMap<String, Result<String, String>>,
    pub log: Log,
    pub job: Option<JobStatus>,
    /// The batches behind it, in order.
    pub queue: VecDeque<QueuedJob>,
    pub reload: Option<ReloadStatus>,
    pub watch: WatchState,
    /// The host CPU once the engine is up.
    pub ready: Option<String>,
    pub fatal: Option<String>,
    pub outbox: Vec<Command>,
    /// The event loop cancels the running batch when set.
    pub cancel: bool,
    /// Wall clock, milliseconds since the Unix epoch; set by the event
    /// loop, fixed by tests so snapshots do not move.
    pub now_ms: u64,
    /// A one-line message for the status bar: (text, is error, when).
    pub flash: Option<(String, bool, u64)>,
    /// A batch's end, held until its last request's events are in (they
    /// travel on another thread), with when it arrived.
    job_end: Option<(JobState, u64)>,
    /// The last `/` search, while it lasts: panes mark its matches.
    pub search: Option<Search>,
    requested: HashSet<Command>,
}

impl Model {
    pub fn log(&mut self, level: Level, text: impl Into<String>) {
        self.log.push(self.now_ms, level, text.into());
    }

    pub fn flash(&mut self, text: impl Into<String>, error: bool) {
        let text = text.into();
        self.log(if error { Level::Error } else { Level::Info }, &text);
        self.say(text, error);
    }

    /// A passing message for the status bar alone, not kept in the Log
    /// (where a search has got to).
    pub fn say(&mut self, text: impl Into<String>, error: bool) {
        self.flash = Some((text.into(), error, self.now_ms));
    }

    pub fn send(&mut self, cmd: Command) {
        self.outbox.push(cmd);
    }

    /// Sends `cmd` unless it was sent already and not answered: views ask
    /// for what they need each frame, and this keeps that to one request.
    pub fn request(&mut self, cmd: Command) {
        if self.requested.insert(cmd.clone()) {
            self.outbox.push(cmd);
        }
    }

    pub fn run(&self, request: u64) -> Option<&RunRecord> {
        // Requests are numbered in order, so the list is sorted.
        let i = self
            .runs
            .binary_search_by_key(&request, |r| r.request)
            .ok()?;
        self.runs.get(i)
    }

    fn run_mut(&mut self, request: u64) -> Option<&mut RunRecord> {
        let i = self
            .runs
            .binary_search_by_key(&request, |r| r.request)
            .ok()?;
        self.runs.get_mut(i)
    }

    /// The nodes of the profile version `plan` was made from, in
    /// execution order, while the store holds that version (empty once it
    /// is edited).
    pub fn plan_order(&self, plan: &Plan) -> Vec<String> {
        self.store
            .profiles
            .iter()
            .find(|p| p.name == plan.profile && p.version == plan.profile_version)
            .map(|v| {
                v.order
                    .iter()
                    .filter_map(|&i| v.nodes.get(i).map(|n| n.name.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Requests' hit rate as the engine counts it (hits over hits and
    /// misses), when any request got that far.
    pub fn hit_rate(&self) -> Option<f64> {
        let e = self.cache.engine;
        let n = e.hits + e.misses;
        (n > 0).then(|| e.hits as f64 / n as f64)
    }

    fn apply_event(&mut self, e: Event) {
        self.log(Level::Event, crate::cli::trace::line(&e));
        let now = self.now_ms;
        if let EventKind::Received { input } = &e.kind {
            if self.runs.len() >= RUNS {
                self.runs.pop_front();
            }
            self.runs.push_back(RunRecord {
                request: e.request,
                input: input.clone(),
                started_ms: now,
                ..RunRecord::default()
            });
            return;
        }
        // The planned profile's execution order now, before the run is
        // borrowed.
        let order = match &e.kind {
            EventKind::Planned { plan } => self.plan_order(plan),
            _ => Vec::new(),
        };
        let Some(r) = self.run_mut(e.request) else {
            return;
        };
        match e.kind {
            EventKind::Received { .. } => {}
            EventKind::Analyzed {
                kernel, summary, ..
            } => {
                r.kernel = Some(kernel);
                r.summary = Some(summary);
            }
            EventKind::Selected {
                profile,
                candidates,
                ..
            } => {
                r.profile = Some(profile);
                r.candidates = candidates;
            }
            EventKind::Planned { plan } => {
                r.order = order;
                r.plan = Some(plan);
            }
            EventKind::PlanFailed { error } => r.plan_error = Some(error),
            EventKind::Cache { key, hit, tier } => {
                r.key = Some(key);
                r.hit = Some(hit);
                r.tier = tier;
            }
            EventKind::CacheNotice { message } => {
                self.log(Level::Warn, message);
            }
            EventKind::Building { profile, .. } => r.building = Some(profile),
            EventKind::Generalized {
                profile,
                tripped,
                rebound,
                limit,
                window_secs,
                ..
            } => {
                for dim in tripped {
                    self.log(
                        Level::Warn,
                        format!("key budget: {profile} {dim} took over {limit} values in {window_secs} s; left dynamic"),
                    );
                }
                for dim in rebound {
                    self.log(
                        Level::Info,
                        format!("key budget: {profile} {dim} settled; bound again"),
                    );
                }
            }
            EventKind::FleetBuilding {
                key,
                holder,
                waiting,
            } => {
                let what = if waiting {
                    "waiting for it"
                } else {
                    "generic serves meanwhile"
                };
                self.log(
                    Level::Info,
                    format!(
                        "{} is being built by {holder}: {what}",
                        &key[..12.min(key.len())]
                    ),
                );
            }
            EventKind::Step(s) => {
                if r.building_plan() {
                    r.steps.push(s);
                }
            }
            EventKind::Compiled { .. } => {
                if r.building_plan() {
                    r.compiled = true;
                }
                r.building = None;
            }
            EventKind::TransformFailed { error } => {
                r.transform_error = Some(error);
                r.building = None;
            }
            EventKind::Verified { verification, .. } => {
                if r.verification.is_none() {
                    r.verification = Some(verification);
                }
            }
            EventKind::Timed { key, timed, .. } => {
                if r.key.as_deref() == Some(key.as_str()) {
                    r.timed = Some(timed);
                }
            }
            EventKind::Fallback {
                from, profile, why, ..
            } => r.chain.push((from, format!("{profile} {why}"))),
            EventKind::Deferred { .. } => r.deferred = true,
            EventKind::Tuned {
                profile,
                tries,
                chosen,
                ..
            } => {
                let line = format!(
                    "autotune {profile}: {} candidates, {}",
                    tries.len(),
                    match &chosen {
                        Some(c) => format!("kept `{c}`"),
                        None => "none verified".to_owned(),
                    }
                );
                r.tuned = chosen;
                self.log(Level::Info, line);
            }
            EventKind::Ready {
                served_by, profile, ..
            } => {
                r.ready = Some(match served_by {
                    Served::Generic => "generic".to_owned(),
                    _ => profile,
                });
            }
            EventKind::Executed {
                served_by,
                execution,
                ..
            } => {
                r.served_by = Some(served_by);
                r.execution = Some(execution);
            }
            EventKind::Finished {
                result,
                total_micros,
                ..
            } => {
                r.result = result;
                r.total_micros = Some(total_micros);
                r.building = None;
            }
            EventKind::Failed { error } => {
                r.failed = Some(error.clone());
                r.building = None;
                self.log(Level::Failed, format!("request #{}: {error}", e.request));
            }
        }
    }

    fn apply_reload(&mut self, r: ReloadView) {
        let file = super::worker::file_name(&r.path);
        let after = r
            .latency_ms
            .map(|ms| format!(" ({ms} ms after the write)"))
            .unwrap_or_default();
        // The file held `generic` and now names another profile: as a
        // deletion of generic, an error (the store's own follows).
        let held_generic = self.store.profiles.iter().any(|p| {
            p.name == crate::profile::GENERIC && super::panes::profiles::same_file(&p.file, &r.path)
        });
        let (ok, text) = match &r.reload {
            Reload::Loaded { name, .. } if held_generic && name != crate::profile::GENERIC => (
                false,
                format!("{file} now holds `{name}`: no generic profile; built-in O3 stands in"),
            ),
            Reload::Loaded { name, version } => (
                true,
                format!(
                    "reloaded {file}: {name} v{}",
                    &version[..version.len().min(8)]
                ),
            ),
            // Without `generic` every request falls back to a built-in
            // default<O3>: not a success (the store's error follows).
            Reload::Removed { name } if name == crate::profile::GENERIC => (
                false,
                format!("{file} deleted: no generic profile; built-in O3 stands in"),
            ),
            Reload::Removed { name } => (true, format!("{file} removed: {name} unloaded")),
            Reload::Restored { name } => (
                true,
                format!("{file} is back to the live {name}: its errors are cleared"),
            ),
            Reload::Failed { errors, kept } => {
                let first = errors
                    .first()
                    .map(|e| {
                        let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
                        format!("{file}{at}")
                    })
                    .unwrap_or(file.clone());
                (
                    false,
                    match kept {
                        Some(k) => format!("{first} broken; last good {k} still live"),
                        None => format!("{first} broken; not loaded"),
                    },
                )
            }
            Reload::Unchanged => return,
        };
        if let Reload::Failed { errors, .. } = &r.reload {
            for e in errors {
                self.log(Level::Error, e.to_string());
            }
        }
        self.log(
            if ok { Level::Info } else { Level::Error },
            format!("{text}{after}"),
        );
        self.reload = Some(ReloadStatus {
            at_ms: self.now_ms,
            ok,
            text,
        });
        // Selections and Plans depend on the profiles: ask again.
        self.analyses.clear();
        self.requested.retain(|c| !matches!(c, Command::Analyze(_)));
    }

    fn apply_job(&mut self, j: JobState) {
        match j {
            JobState::Queued {
                label,
                total,
                ahead,
            } => {
                let noun = if total == 1 { "request" } else { "requests" };
                let batches = if ahead == 1 { "batch" } else { "batches" };
                self.log(
                    Level::Info,
                    format!("{label}: {total} {noun}, queued behind {ahead} {batches}"),
                );
                self.queue.push_back(QueuedJob { label, total });
            }
            JobState::Started { label, total } => {
                let noun = if total == 1 { "request" } else { "requests" };
                match self
                    .queue
                    .iter()
                    .position(|q| q.label == label && q.total == total)
                {
                    Some(i) => {
                        self.queue.remove(i);
                        self.log(Level::Info, format!("{label}: started"));
                    }
                    None => self.log(Level::Info, format!("{label}: {total} {noun}")),
                }
                self.job = Some(JobStatus {
                    label,
                    done: 0,
                    total,
                });
            }
            JobState::Progress { label, done, total } => {
                self.job = Some(JobStatus { label, done, total })
            }
            finished @ JobState::Finished { .. } => {
                // Events come on a thread of their own: the batch's
                // last request may still be telling its end.
                if self.runs.iter().any(|r| !r.finished()) {
                    self.job_end = Some((finished, self.now_ms));
                } else {
                    self.end_job(finished);
                }
            }
        }
    }

    /// Says a batch ended (its `JobState::Finished`).
    fn end_job(&mut self, finished: JobState) {
        let JobState::Finished {
            label,
            done,
            total,
            errors,
            cancelled,
        } = finished
        else {
            return;
        };
        self.job = None;
        let how = if cancelled { "cancelled" } else { "done" };
        let errs = if errors > 0 {
            format!(", {errors} failed")
        } else {
            String::new()
        };
        self.flash(format!("{label}: {how}, {done}/{total}{errs}"), errors > 0);
    }

    /// Ends the batch held back for its last request's events once they
    /// are in, or once they are late (`now`, by [`JOB_END_WAIT_MS`]).
    pub fn settle_job_end(&mut self) {
        let Some((_, at)) = &self.job_end else { return };
        let late = self.now_ms.saturating_sub(*at) > JOB_END_WAIT_MS;
        if late || self.runs.iter().all(RunRecord::finished) {
            if let Some((j, _)) = self.job_end.take() {
                self.end_job(j);
            }
        }
    }

    /// Takes one message from the engine thread.
    pub fn apply(&mut self, msg: Msg) {
        match msg {
            Msg::Ready { host } => {
                self.log(Level::Info, format!("engine ready on {host}"));
                self.ready = Some(host);
            }
            Msg::Fatal(e) => {
                self.log(Level::Error, &e);
                self.fatal = Some(e);
            }
            Msg::Event(e) => {
                self.apply_event(*e);
                self.settle_job_end();
            }
            Msg::Store(s) => {
                // The first view is the start-up load: profiles that did
                // not load then are said in the Log (later ones come with
                // their reload).
                if !self.store_seen {
                    self.store_seen = true;
                    for e in &s.errors {
                        self.log(Level::Error, format!("at start: {e}"));
                    }
                } else {
                    // Losing `generic` (deleted, renamed) is said whole.
                    let has = |s: &StoreView| {
                        s.profiles.iter().any(|p| p.name == crate::profile::GENERIC)
                    };
                    if has(&self.store) && !has(&s) {
                        let why = s
                            .errors
                            .iter()
                            .find(|e| matches!(*e.kind, crate::profile::ErrorKind::NoGeneric))
                            .map(|e| e.to_string())
                            .unwrap_or_else(|| "no profile named `generic`".into());
                        self.log(
                            Level::Error,
                            format!("{why}; until one loads, a built-in default<O3> stands in"),
                        );
                    }
                }
                self.store = s;
            }
            Msg::Cache(c) => {
                self.cache = *c;
                // Entries come and go: opened IR and assembly may be stale.
                self.requested
                    .retain(|c| !matches!(c, Command::LoadVariant { .. } | Command::Assembly(_)));
                let live: HashSet<&str> = self
                    .cache
                    .entries
                    .iter()
                    .map(|e| e.key.0.as_str())
                    .collect();
                self.variants.retain(|k, _| live.contains(k.as_str()));
                self.assembly.retain(|k, _| live.contains(k.as_str()));
            }
            Msg::Analysis(a) => {
                self.requested.remove(&Command::Analyze(a.input.clone()));
                if let Err(e) = &a.result {
                    self.log(Level::Error, e.clone());
                }
                self.analyses.insert(a.input.clone(), *a);
            }
            Msg::Reloaded(r) => self.apply_reload(*r),
            Msg::WhatIf(w) => self.what_if = Some(w),
            Msg::Variant(v) => {
                if let Err(e) = &v.variant {
                    self.log(Level::Error, format!("variant {}: {e}", &v.key));
                }
                self.variants.insert(v.key.clone(), v);
            }
            Msg::Assembly { key, text } => {
                self.assembly.insert(key, text);
            }
            Msg::Job(j) => {
                // The next batch's start ends the last one first.
                if matches!(j, JobState::Started { .. } | JobState::Progress { .. }) {
                    if let Some((end, _)) = self.job_end.take() {
                        self.end_job(end);
                    }
                }
                self.apply_job(j);
            }
            Msg::Notice { error, text } => self.flash(text, error),
            Msg::FolderGone { folder, path } => {
                if folder == Folder::Profiles {
                    self.watch = WatchState::Missing(path.clone());
                    // The missing folder, not an older reload, is news.
                    self.reload = None;
                }
                let kept = match folder {
                    Folder::Profiles => "; the profiles loaded stay live",
                    Folder::Inputs => "",
                };
                self.flash(
                    format!(
                        "{} folder {} was deleted{kept}",
                        folder.noun(),
                        path.display()
                    ),
                    true,
                );
            }
            Msg::FolderAppeared { folder, path } => {
                if folder == Folder::Profiles {
                    self.watch = WatchState::Watching;
                }
                self.flash(
                    format!(
                        "{} folder {} appeared: loading what it holds",
                        folder.noun(),
                        path.display()
                    ),
                    false,
                );
            }
        }
    }
}

/// The pending edit of a profile file, shown before `s` writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct SavePreview {
    pub file: PathBuf,
    /// A unified diff of the file on disk against what the save writes.
    pub diff: String,
    /// What the save does beyond the diff (overwrites a change made on
    /// disk, takes `generic` away), said above it.
    pub warnings: Vec<String>,
    pub scroll: u16,
}

/// The whole workbench state.
pub struct App {
    pub focus: PaneId,
    /// One pane at a time even where all would fit.
    pub zoom: bool,
    /// Whether the last frame showed every pane (set by drawing).
    pub grid: bool,
    /// The rows the status bar has taken since the running batch began:
    /// it keeps them until the batch ends, so the panes do not jump a row
    /// each time its counts grow or a message comes and goes.
    pub status_rows: usize,
    pub help: Option<u16>,
    /// The what-if overlay is open, scrolled this far (its rows arrive in
    /// `Model::what_if`).
    pub what_if: Option<u16>,
    pub prompt: Option<Prompt>,
    pub confirm: Option<Confirm>,
    /// A profile's pending edit shown as a diff before it is saved.
    pub preview: Option<SavePreview>,
    pub quit: bool,
    pub model: Model,
    pub profiles: ProfilesPane,
    pub inputs: InputsPane,
    pub pipeline: PipelinePane,
    pub cache: CachePane,
    pub runs: RunsPane,
    pub log: LogPane,
    /// Where each pane was drawn (for the mouse).
    pub pane_areas: [Option<Rect>; 6],
    /// Where each tab title was drawn.
    pub tab_areas: [Option<Rect>; 6],
}

impl App {
    /// A workbench over these sample inputs and workloads.
    pub fn new(inputs: Vec<PathBuf>, workloads: Vec<PathBuf>) -> App {
        App {
            focus: PaneId::Profiles,
            zoom: false,
            grid: false,
            status_rows: 0,
            help: None,
            what_if: None,
            prompt: None,
            confirm: None,
            preview: None,
            quit: false,
            model: Model::default(),
            profiles: ProfilesPane::default(),
            inputs: InputsPane::new(inputs, workloads),
            pipeline: PipelinePane::default(),
            cache: CachePane::default(),
            runs: RunsPane::default(),
            log: LogPane::default(),
            pane_areas: [None; 6],
            tab_areas: [None; 6],
        }
    }

    /// Takes one message from the engine thread or the profiles watch.
    pub fn apply(&mut self, msg: Msg) {
        self.model.apply(msg);
    }

    /// Whether `pane` is on screen.
    pub fn visible(&self, pane: PaneId) -> bool {
        self.grid || self.focus == pane
    }

    /// Asks for what the visible panes need and the model lacks (an
    /// input's analysis, a variant's step log, assembly). Called once per
    /// frame, before drawing.
    pub fn tick(&mut self) {
        if let Some(path) = self.inputs.rescan(self.model.now_ms) {
            self.model.apply(Msg::FolderAppeared {
                folder: Folder::Inputs,
                path,
            });
        }
        if self.visible(PaneId::Inputs) || self.visible(PaneId::Profiles) {
            self.inputs.want(&mut self.model);
        }
        if self.visible(PaneId::Pipeline) {
            self.pipeline.want(&mut self.model);
        }
        if self.visible(PaneId::Cache) {
            self.cache.want(&mut self.model);
        }
        self.model.settle_job_end();
        // A passing message fades, so it is not read later as news of
        // something else; an error stays until the next message (the Log
        // keeps both).
        if let Some((_, false, at)) = self.model.flash {
            if self.model.now_ms.saturating_sub(at) > FLASH_MS {
                self.model.flash = None;
            }
        }
    }

    fn scopes(&self) -> Vec<Scope> {
        let mut s = Vec::new();
        if self
            .model
            .search
            .as_ref()
            .is_some_and(|q| q.pane == self.focus)
        {
            s.push(Scope::Search);
        }
        if self.focus == PaneId::Profiles && self.profiles.in_graph() {
            s.push(Scope::Graph);
        }
        s.push(self.focus.scope());
        s.push(Scope::Global);
        s
    }

    pub fn handle_key(&mut self, ev: KeyEvent) {
        if ev.kind == KeyEventKind::Release {
            return;
        }
        // Ctrl-C quits from anywhere, even a prompt or the help.
        if ev.code == crossterm::event::KeyCode::Char('c')
            && ev
                .modifiers
                .contains(crossterm::event::KeyModifiers::CONTROL)
        {
            self.quit = true;
            return;
        }
        if let Some(scroll) = self.help {
            match keymap::lookup(&[Scope::Global], &ev) {
                Some(Action::Help | Action::Back) => self.help = None,
                Some(Action::Quit) => {
                    self.help = None;
                    self.ask_quit();
                }
                Some(Action::Down) => self.help = Some(scroll.saturating_add(1)),
                Some(Action::Up) => self.help = Some(scroll.saturating_sub(1)),
                Some(Action::PageDown) => self.help = Some(scroll.saturating_add(10)),
                Some(Action::PageUp) => self.help = Some(scroll.saturating_sub(10)),
                _ => {}
            }
            return;
        }
        if let Some(scroll) = self.what_if {
            match keymap::lookup(&[Scope::Global], &ev) {
                Some(Action::Back | Action::Quit) => self.what_if = None,
                Some(Action::Down) => self.what_if = Some(scroll.saturating_add(1)),
                Some(Action::Up) => self.what_if = Some(scroll.saturating_sub(1)),
                Some(Action::PageDown) => self.what_if = Some(scroll.saturating_add(10)),
                Some(Action::PageUp) => self.what_if = Some(scroll.saturating_sub(10)),
                _ => {}
            }
            return;
        }
        if let Some(p) = self.preview.as_mut() {
            match keymap::lookup(&[Scope::Confirm, Scope::Global], &ev) {
                Some(Action::Accept | Action::Open) => {
                    self.preview = None;
                    let e = self.profiles.save(&mut self.model, false, false);
                    self.effect(e);
                }
                Some(Action::Dismiss | Action::Back | Action::Quit) => self.preview = None,
                Some(Action::Down) => p.scroll = p.scroll.saturating_add(1),
                Some(Action::Up) => p.scroll = p.scroll.saturating_sub(1),
                Some(Action::PageDown) => p.scroll = p.scroll.saturating_add(10),
                Some(Action::PageUp) => p.scroll = p.scroll.saturating_sub(10),
                _ => {}
            }
            return;
        }
        if self.confirm.is_some() {
            match keymap::lookup(&[Scope::Confirm], &ev) {
                Some(Action::Accept) => {
                    if let Some(c) = self.confirm.take() {
                        self.confirmed(c.purpose);
                    }
                }
                Some(Action::Dismiss) => self.confirm = None,
                _ => {}
            }
            return;
        }
        if self.prompt.is_some() {
            self.prompt_key(ev);
            return;
        }
        let Some(action) = keymap::lookup(&self.scopes(), &ev) else {
            // A node editor's key in the Profiles list: say how to get
            // there, rather than nothing.
            if self.focus == PaneId::Profiles && keymap::lookup(&[Scope::Graph], &ev).is_some() {
                self.model.say(
                    "that key edits a node: Enter first selects the profile's nodes",
                    false,
                );
            }
            return;
        };
        let effect = match self.focus {
            PaneId::Profiles => self.profiles.handle(action, &mut self.model),
            PaneId::Inputs => self.inputs.handle(action, &mut self.model),
            PaneId::Pipeline => self.pipeline.handle(action, &mut self.model),
            PaneId::Cache => self.cache.handle(action, &mut self.model),
            PaneId::Runs => self.runs.handle(action, &mut self.model),
            PaneId::Log => self.log.handle(action, &mut self.model),
        };
        match effect {
            Effect::Unhandled => self.global(action),
            other => self.effect(other),
        }
    }

    /// Quits, asking first when profiles have unsaved edits.
    fn ask_quit(&mut self) {
        let unsaved = self.profiles.unsaved();
        if unsaved.is_empty() {
            self.quit = true;
            return;
        }
        let names: Vec<String> = unsaved
            .iter()
            .map(|f| {
                f.file_name().map_or_else(
                    || f.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                )
            })
            .collect();
        self.confirm = Some(Confirm {
            question: format!("Quit and drop the unsaved edits of {}?", names.join(", ")),
            purpose: ConfirmFor::QuitWithEdits,
        });
    }

    fn global(&mut self, action: Action) {
        let n = PaneId::ALL.len();
        match action {
            Action::Quit => self.ask_quit(),
            Action::Help => self.help = Some(0),
            Action::NextPane => self.focus = PaneId::ALL[(self.focus.index() + 1) % n],
            Action::PrevPane => self.focus = PaneId::ALL[(self.focus.index() + n - 1) % n],
            Action::Focus(i) => {
                if let Some(p) = PaneId::ALL.get(i as usize) {
                    self.focus = *p;
                }
            }
            Action::Zoom => self.zoom = !self.zoom,
            Action::Search => {
                let last = self
                    .model
                    .search
                    .as_ref()
                    .filter(|q| q.pane == self.focus)
                    .map(|q| q.query.clone())
                    .unwrap_or_default();
                self.prompt = Some(Prompt {
                    label: format!("search {}", self.focus.title()),
                    input: last,
                    hint: "text to find (any case unless you type a capital); then n next, N previous, Esc ends".into(),
                    purpose: PromptFor::Search(self.focus),
                });
            }
            Action::NextMatch => self.find(true, false),
            Action::PrevMatch => self.find(false, false),
            Action::ClearSearch => {
                // Where the search had got to is no longer news.
                if let (Some(q), Some((text, _, _))) = (&self.model.search, &self.model.flash) {
                    if text.starts_with(&format!("/{}:", q.query)) {
                        self.model.flash = None;
                    }
                }
                self.model.search = None;
            }
            Action::CancelJob if self.model.job.is_some() => {
                self.model.cancel = true;
                let queued = self.model.queue.len();
                let rest = if queued == 0 {
                    String::new()
                } else {
                    format!("; {queued} queued still to run")
                };
                self.model.flash(
                    format!("cancelling this batch after its request{rest}"),
                    false,
                );
            }
            _ => {}
        }
    }

    pub(crate) fn effect(&mut self, effect: Effect) {
        match effect {
            Effect::None | Effect::Unhandled => {}
            Effect::Prompt(p) => self.prompt = Some(p),
            Effect::PreviewSave {
                file,
                diff,
                warnings,
            } => {
                self.preview = Some(SavePreview {
                    file,
                    diff,
                    warnings,
                    scroll: 0,
                })
            }
            Effect::Confirm(c) => self.confirm = Some(c),
            Effect::ShowRun(r) => {
                self.pipeline.show_run(r);
                self.focus = PaneId::Pipeline;
            }
            Effect::ShowVariant(k) => {
                self.pipeline.show_variant(k);
                self.focus = PaneId::Pipeline;
            }
            Effect::WhatIf { file, text } => {
                self.model.what_if = None;
                self.what_if = Some(0);
                self.model.send(Command::WhatIf {
                    file,
                    text,
                    inputs: self.inputs.inputs().to_vec(),
                });
            }
        }
    }

    fn confirmed(&mut self, purpose: ConfirmFor) {
        match purpose {
            ConfirmFor::ClearCache => self.model.send(Command::ClearCache),
            ConfirmFor::Evict(k) => self.model.send(Command::Evict(k)),
            ConfirmFor::Revert => self.profiles.revert(&mut self.model),
            // The `generic` question comes first, so it was answered.
            ConfirmFor::OverwriteOnSave => {
                let e = self.profiles.save(&mut self.model, true, true);
                self.effect(e);
            }
            ConfirmFor::SaveWithoutGeneric => {
                let e = self.profiles.save(&mut self.model, false, true);
                self.effect(e);
            }
            ConfirmFor::QuitWithEdits => self.quit = true,
            ConfirmFor::ClearRuns => self.runs.clear(&mut self.model),
        }
    }

    fn prompt_key(&mut self, ev: KeyEvent) {
        use crossterm::event::{KeyCode, KeyModifiers};
        match keymap::lookup(&[Scope::Prompt], &ev) {
            Some(Action::Accept) => {
                if let Some(p) = self.prompt.take() {
                    let effect = match p.purpose {
                        PromptFor::RunTimes(_) => self.inputs.prompted(p, &mut self.model),
                        PromptFor::FilterRuns => self.runs.prompted(p, &mut self.model),
                        PromptFor::Search(pane) => {
                            self.search(pane, p.input);
                            Effect::None
                        }
                        _ => self.profiles.prompted(p, &mut self.model),
                    };
                    self.effect(effect);
                }
                return;
            }
            Some(Action::Dismiss) => {
                self.prompt = None;
                return;
            }
            _ => {}
        }
        let Some(p) = self.prompt.as_mut() else {
            return;
        };
        match ev.code {
            KeyCode::Char('u') if ev.modifiers.contains(KeyModifiers::CONTROL) => p.input.clear(),
            KeyCode::Char(c) if !ev.modifiers.contains(KeyModifiers::CONTROL) => p.input.push(c),
            KeyCode::Backspace => {
                p.input.pop();
            }
            _ => {}
        }
    }

    /// Starts a `/` search of `pane` (an empty query ends the search).
    fn search(&mut self, pane: PaneId, query: String) {
        if query.is_empty() {
            self.model.search = None;
            return;
        }
        self.model.search = Some(Search { pane, query });
        self.find(true, true);
    }

    /// Moves the search's pane to its next (or previous) match, wrapping
    /// around; `here` counts the row it is on. Says which match of how
    /// many, or that there is none.
    fn find(&mut self, forward: bool, here: bool) {
        let Some(search) = self.model.search.clone() else {
            return;
        };
        let model = &self.model;
        let pane = match search.pane {
            PaneId::Profiles => &mut self.profiles as &mut dyn Searchable,
            PaneId::Inputs => &mut self.inputs,
            PaneId::Pipeline => &mut self.pipeline,
            PaneId::Cache => &mut self.cache,
            PaneId::Runs => &mut self.runs,
            PaneId::Log => &mut self.log,
        };
        let hits_of = |rows: Vec<String>| -> Vec<usize> {
            (0..rows.len())
                .filter(|&i| search.matches(&rows[i]))
                .collect()
        };
        let hits = hits_of(pane.search_rows(model));
        let at = pane.search_at(model);
        let next = if forward {
            hits.iter()
                .find(|&&i| if here { i >= at } else { i > at })
                .or(hits.first())
        } else {
            hits.iter().rev().find(|&&i| i < at).or(hits.last())
        };
        let text = match next {
            Some(&i) => {
                pane.search_show(i, model);
                // Counted again on what the pane shows now: a Pipeline
                // match selects its step, whose text is searched too.
                let hits = hits_of(pane.search_rows(model));
                let at = pane.search_at(model);
                let k = hits.iter().position(|&h| h == at).unwrap_or(0) + 1;
                format!("/{}: match {k} of {}", search.query, hits.len())
            }
            None => format!("/{}: no match in {}", search.query, search.pane.title()),
        };
        self.model.say(text, next.is_none());
    }

    /// Text pasted into the terminal goes into an open prompt.
    pub fn paste(&mut self, text: &str) {
        if let Some(p) = self.prompt.as_mut() {
            p.input.push_str(&text.replace(['\n', '\r'], " "));
        }
    }

    pub fn handle_mouse(&mut self, ev: MouseEvent) {
        if self.help.is_some()
            || self.confirm.is_some()
            || self.prompt.is_some()
            || self.preview.is_some()
        {
            if let (Some(s), MouseEventKind::ScrollDown) = (self.help, ev.kind) {
                self.help = Some(s.saturating_add(3));
            }
            if let (Some(s), MouseEventKind::ScrollUp) = (self.help, ev.kind) {
                self.help = Some(s.saturating_sub(3));
            }
            return;
        }
        let (x, y) = (ev.column, ev.row);
        if let MouseEventKind::Down(MouseButton::Left) = ev.kind {
            if let Some(i) = self
                .tab_areas
                .iter()
                .position(|a| a.is_some_and(|a| super::panes::hit(a, x, y)))
            {
                self.focus = PaneId::ALL[i];
                return;
            }
        }
        let Some(i) = self
            .pane_areas
            .iter()
            .position(|a| a.is_some_and(|a| super::panes::hit(a, x, y)))
        else {
            return;
        };
        let pane = PaneId::ALL[i];
        if matches!(ev.kind, MouseEventKind::Down(_)) {
            self.focus = pane;
        }
        let effect = match pane {
            PaneId::Profiles => self.profiles.mouse(ev, &mut self.model),
            PaneId::Inputs => self.inputs.mouse(ev, &mut self.model),
            PaneId::Pipeline => self.pipeline.mouse(ev, &mut self.model),
            PaneId::Cache => self.cache.mouse(ev, &mut self.model),
            PaneId::Runs => self.runs.mouse(ev, &mut self.model),
            PaneId::Log => self.log.mouse(ev, &mut self.model),
        };
        self.effect(effect);
    }
}
