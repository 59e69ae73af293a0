//! The engine thread: the only place the workbench touches an [`Engine`].
//!
//! This thread creates the engine and drives it for the workbench's life. The UI sends [`Command`]s; the thread answers
//! with [`Msg`]s: the engine's own [`Event`]s (forwarded live by a second
//! thread as the engine emits them) and workbench snapshots (the profile
//! store, the cache, an input's analysis, a variant, a reload). Nothing on
//! the UI side holds a reference into the engine, so the UI never waits on
//! it: a replay of a thousand requests runs here while the UI keeps drawing.
//!
//! Batches (run N times, replay) run one request at a time, and pending
//! commands are handled between requests, so an analysis, an eviction or a
//! hot reload does not wait for a long replay to end; a shared flag cancels.

use crate::analyze::Feature;
use crate::cache::{CacheConfig, CacheStats, EntryInfo, Variant, VariantKey};
use crate::engine::{Engine, EngineConfig, EngineStats, Event, Prepared};
use crate::profile::{Candidate, Plan, Profile, ProfileError, ProfileStore, Reload};
use serde_yaml::Value;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// What the UI asks of the engine thread.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Command {
    /// Analyze an input and decide its profile and Plan (nothing runs).
    Analyze(PathBuf),
    /// Run an input `times` times.
    Run {
        input: PathBuf,
        times: usize,
    },
    /// Replay a workload file.
    Replay(PathBuf),
    /// Remove one cache entry (a full key).
    Evict(String),
    /// Empty the cache.
    ClearCache,
    /// Send a fresh cache snapshot.
    RefreshCache,
    /// Load a cached variant with its step log; `input` finds the kernel's
    /// IR, the "before" of the first step.
    LoadVariant {
        key: String,
        input: Option<PathBuf>,
    },
    /// Compile a cached variant's optimized IR to assembly.
    Assembly(String),
    /// A profile file was saved by the editor, or found when its folder
    /// appeared.
    ReloadFile(PathBuf),
    /// The profiles folder `dir` appeared or was replaced: reload every
    /// profile file in it, and every loaded one no longer there (which
    /// unloads it).
    Rescan(PathBuf),
    /// The watch saw a profile file change at `seen` (after its debounce
    /// of [`crate::profile::watch::DEBOUNCE`]).
    Changed {
        path: PathBuf,
        seen: Instant,
    },
    /// Which of `inputs` would select another profile or Plan if `text`
    /// were saved to `file` (nothing is written).
    WhatIf {
        file: PathBuf,
        text: String,
        inputs: Vec<PathBuf>,
    },
    Shutdown,
}

/// What the engine thread reports.
#[derive(Debug, Clone)]
pub enum Msg {
    /// The engine is up.
    Ready {
        host: String,
    },
    /// The engine could not be made; nothing will run.
    Fatal(String),
    /// An engine event, as it happened.
    Event(Box<Event>),
    Store(Arc<StoreView>),
    Cache(Box<CacheView>),
    Analysis(Box<Analysis>),
    Reloaded(Box<ReloadView>),
    Variant(Arc<VariantView>),
    Assembly {
        key: String,
        text: Result<String, String>,
    },
    Job(JobState),
    WhatIf(Box<WhatIfView>),
    /// Something to tell the user (the Log pane shows it).
    Notice {
        error: bool,
        text: String,
    },
    /// A folder that was missing now exists (sent by the profiles watch,
    /// [`super::watch::supervise`], or for inputs by `App::tick`).
    FolderAppeared {
        folder: Folder,
        path: PathBuf,
    },
    /// A watched folder was deleted; it is waited for.
    FolderGone {
        folder: Folder,
        path: PathBuf,
    },
}

/// The folders the workbench reads, which may be missing at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folder {
    Profiles,
    Inputs,
}

impl Folder {
    pub fn noun(self) -> &'static str {
        match self {
            Folder::Profiles => "profiles",
            Folder::Inputs => "inputs",
        }
    }
}

/// `profiles folder P is missing; watching for it`: the words the status
/// bar, the Log and the panes use alike.
pub fn missing_text(folder: Folder, path: &Path) -> String {
    format!(
        "{} folder {} is missing; watching for it",
        folder.noun(),
        path.display()
    )
}

/// A profile as the workbench shows it: plain data, built from a loaded
/// (valid) [`Profile`] and its YAML as written.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileView {
    pub name: String,
    pub file: PathBuf,
    pub version: String,
    pub priority: i64,
    pub description: String,
    pub matches: Option<String>,
    pub finish: String,
    pub source: String,
    /// In file order.
    pub nodes: Vec<NodeView>,
    /// Execution order (indices into `nodes`).
    pub order: Vec<usize>,
    /// (predecessor, successor) indices into `nodes`.
    pub edges: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeView {
    pub name: String,
    pub transform: String,
    /// The parameters as written (`count: 4, full: true`).
    pub params: String,
    pub when: Option<String>,
    pub after: Vec<String>,
    pub line: Option<usize>,
}

impl ProfileView {
    pub fn from_profile(p: &Profile) -> ProfileView {
        // Parameters are shown as the administrator wrote them, which is
        // also what the editor changes, rather than as resolved values.
        let written: Option<serde_yaml::Mapping> = serde_yaml::from_str::<Value>(&p.source)
            .ok()
            .and_then(|v| v.get("pipeline").and_then(Value::as_mapping).cloned());
        let nodes = p
            .nodes
            .iter()
            .map(|n| {
                let params = written
                    .as_ref()
                    .and_then(|m| m.get(n.name.as_str()))
                    .and_then(Value::as_mapping)
                    .map(|m| {
                        m.iter()
                            .filter(|(k, _)| {
                                !matches!(k.as_str(), Some("transform" | "after" | "when"))
                            })
                            .map(|(k, v)| format!("{}: {}", flow(k), flow(v)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                NodeView {
                    name: n.name.clone(),
                    transform: n.transform.name().to_owned(),
                    params,
                    when: n.when.as_ref().map(|w| w.source().to_owned()),
                    after: n.after.clone(),
                    line: n.line,
                }
            })
            .collect();
        let mut edges = Vec::new();
        for i in 0..p.nodes.len() {
            for pred in p.dag.preds(i) {
                edges.push((pred, i));
            }
        }
        ProfileView {
            name: p.name.clone(),
            file: p.file.clone(),
            version: p.version.clone(),
            priority: p.priority,
            description: p.description.clone(),
            matches: p.matches.as_ref().map(|m| m.source().to_owned()),
            finish: p.finish.clone(),
            source: p.source.clone(),
            nodes,
            order: p.dag.order.clone(),
            edges,
        }
    }
}

/// A YAML value on one line, in flow style, quoted wherever a plain
/// scalar would be read back differently (the editor relies on this to
/// write profiles in the shipped files' compact style).
pub fn flow(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => flow_str(s),
        Value::Sequence(items) => {
            let inner: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Mapping(m) => {
            if m.is_empty() {
                return "{}".to_owned();
            }
            let inner: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", flow(k), flow(v)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        Value::Tagged(t) => format!("{} {}", t.tag, flow(&t.value)),
    }
}

fn flow_str(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '<' | '>'))
        && serde_yaml::from_str::<Value>(s).ok() == Some(Value::String(s.to_owned()));
    if safe {
        s.to_owned()
    } else {
        // A JSON string is a valid YAML double-quoted scalar.
        serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
    }
}

/// The profile store as the workbench shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreView {
    pub dir: Option<PathBuf>,
    /// Valid profiles in selection order.
    pub profiles: Vec<ProfileView>,
    /// Files that do not load (their last good version, if any, is among
    /// `profiles`).
    pub errors: Vec<ProfileError>,
}

impl StoreView {
    pub fn from_store(store: &ProfileStore) -> StoreView {
        StoreView {
            dir: store.dir().map(Path::to_owned),
            profiles: store
                .profiles()
                .iter()
                .map(|p| ProfileView::from_profile(p))
                .collect(),
            errors: store.errors().to_vec(),
        }
    }
}

/// The cache and the engine's request counters.
#[derive(Debug, Clone, Default)]
pub struct CacheView {
    pub entries: Vec<EntryInfo>,
    pub stats: CacheStats,
    pub engine: EngineStats,
    /// Sandbox processes running: build workers, executors.
    pub sandbox: (usize, usize),
}

/// One input's characteristic vector, selection and Plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub input: PathBuf,
    pub result: Result<AnalysisView, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisView {
    pub kernel: String,
    pub signature: String,
    /// The features worth a glance, in one line.
    pub summary: String,
    pub sampled: bool,
    pub micros: u64,
    pub features: Vec<Feature>,
    pub selected: String,
    /// Every profile in selection order with its verdict: the "why".
    pub candidates: Vec<Candidate>,
    pub plan: Result<Plan, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReloadView {
    pub path: PathBuf,
    pub reload: Reload,
    /// From the file's modification to the reload being done, when the
    /// clock allows saying.
    pub latency_ms: Option<u64>,
}

/// A cached variant with what its diffs need.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantView {
    pub key: String,
    pub variant: Result<Arc<Variant>, String>,
    /// The kernel's IR: what the first step started from.
    pub kernel_ir: Option<String>,
}

/// A pending edit's effect on the sample inputs, before it is saved.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatIfView {
    pub file: PathBuf,
    /// Every input, or why the draft cannot be judged (it does not load).
    pub rows: Result<Vec<WhatIfRow>, String>,
}

/// One input now and with the draft live.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatIfRow {
    pub input: PathBuf,
    /// `profile: plan summary`, or the input's error.
    pub now: String,
    pub draft: String,
    /// What moves: the steps the draft's Plan adds (`+`) and drops (`−`),
    /// or the other profile and its Plan.
    pub delta: String,
    pub change: WhatIfChange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhatIfChange {
    Same,
    /// The same profile, another Plan.
    Plan,
    /// Another profile.
    Profile,
    /// The input does not load.
    Error,
}

/// Progress of a batch (run N times, replay).
#[derive(Debug, Clone, PartialEq)]
pub enum JobState {
    /// A batch waits behind `ahead` others (it starts when they end).
    Queued {
        label: String,
        total: usize,
        ahead: usize,
    },
    Started {
        label: String,
        total: usize,
    },
    Progress {
        label: String,
        done: usize,
        total: usize,
    },
    Finished {
        label: String,
        done: usize,
        total: usize,
        errors: usize,
        cancelled: bool,
    },
}

/// Where messages go (the UI's channel, or a test's vector).
pub type Sink = Arc<dyn Fn(Msg) + Send + Sync>;

/// The UI's end: send commands, cancel batches.
pub struct WorkerHandle {
    tx: Sender<Command>,
    cancel: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl WorkerHandle {
    pub fn send(&self, cmd: Command) {
        // The thread only stops on Shutdown; a failed send means it died,
        // which its last message (Fatal or a panic notice) has said.
        let _ = self.tx.send(cmd);
    }

    /// A sender for others (the file watcher) to reach the engine thread.
    pub fn sender(&self) -> Sender<Command> {
        self.tx.clone()
    }

    /// Stops the running batch after its current request.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// Asks the thread to stop and waits for it (the cache flushes its hit
    /// counts on the way out).
    pub fn shutdown(mut self) {
        self.cancel();
        let _ = self.tx.send(Command::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the engine thread over `profiles` and `cache`.
pub fn spawn(profiles: PathBuf, cache: CacheConfig, sink: Sink) -> WorkerHandle {
    let (tx, rx) = channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let thread = std::thread::Builder::new()
        .name("tailor-engine".into())
        .spawn(move || {
            let config = EngineConfig {
                profiles,
                cache,
                pools: Default::default(),
                shadow: crate::engine::DEFAULT_SHADOW,
                fleet: Default::default(),
                key_budget: Default::default(),
            };
            let panic_sink = sink.clone();
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                engine_thread(|sink| local(config, sink), rx, flag, sink)
            }));
            if run.is_err() {
                panic_sink(Msg::Fatal(
                    "the engine thread panicked; restart the workbench".into(),
                ));
            }
        });
    WorkerHandle {
        tx,
        cancel,
        thread: thread.ok(),
    }
}

/// An engine of the workbench's own, its events forwarded to `sink`.
fn local(config: EngineConfig, sink: &Sink) -> Result<(Backend, String), String> {
    let engine = Engine::new(config).map_err(|e| format!("cannot start the engine: {e}"))?;
    let events = engine.subscribe();
    let forward = sink.clone();
    // Events are forwarded by their own thread so they reach the UI while
    // the engine is still inside `run` (a build's steps, live).
    let _ = std::thread::Builder::new()
        .name("tailor-events".into())
        .spawn(move || {
            for e in events {
                forward(Msg::Event(Box::new(e)));
            }
        });
    let host = engine.host().cpu.clone();
    Ok((Backend::Local(engine), host))
}

/// Starts the engine thread on a running service at `url`, its profiles
/// mirrored into `mirror` (which the caller watches).
pub fn spawn_remote(
    url: String,
    token: Option<String>,
    mirror: PathBuf,
    sink: Sink,
) -> WorkerHandle {
    let (tx, rx) = channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let thread = std::thread::Builder::new()
        .name("tailor-remote".into())
        .spawn(move || {
            let make = |sink: &Sink| -> Result<(Backend, String), String> {
                let r = super::remote::Remote::connect(&url, token.clone(), mirror)
                    .map_err(|e| format!("cannot reach the service: {e}"))?;
                super::remote::forward_events(
                    crate::service::client::Client::new(&url, token),
                    sink.clone(),
                );
                Ok((Backend::Remote(Box::new(r)), format!("service {url}")))
            };
            engine_thread(make, rx, flag, sink)
        });
    WorkerHandle {
        tx,
        cancel,
        thread: thread.ok(),
    }
}

struct Job {
    label: String,
    requests: Vec<PathBuf>,
    done: usize,
    errors: usize,
}

/// Inputs made ready once and decided again on every profile change: a
/// kernel load is a clang run, a decision is microseconds.
type PreparedCache = HashMap<PathBuf, (Stamp, Prepared)>;
type Stamp = (Option<SystemTime>, Option<SystemTime>);

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// What the engine thread drives: an engine of its own, or a running
/// service through its API ([`super::remote`]).
enum Backend {
    Local(Engine),
    Remote(Box<super::remote::Remote>),
}

struct State {
    backend: Backend,
    /// The last store sent (a remote one is polled; only changes are sent).
    last_store: Option<Arc<StoreView>>,
    sink: Sink,
    prepared: PreparedCache,
    jobs: VecDeque<Job>,
    last_cache: Instant,
}

/// How often a remote store and cache are asked for when idle.
const REMOTE_POLL: Duration = Duration::from_secs(2);

fn engine_thread(
    make: impl FnOnce(&Sink) -> Result<(Backend, String), String>,
    rx: Receiver<Command>,
    cancel: Arc<AtomicBool>,
    sink: Sink,
) {
    let (backend, host) = match make(&sink) {
        Ok(b) => b,
        Err(e) => {
            sink(Msg::Fatal(e));
            // Keep answering so the UI's sends do not fail; nothing runs.
            while let Ok(cmd) = rx.recv() {
                if cmd == Command::Shutdown {
                    return;
                }
            }
            return;
        }
    };
    let remote = matches!(backend, Backend::Remote(_));
    let mut st = State {
        backend,
        last_store: None,
        sink,
        prepared: HashMap::new(),
        jobs: VecDeque::new(),
        last_cache: Instant::now(),
    };
    (st.sink)(Msg::Ready { host });
    st.send_store();
    st.send_cache();
    loop {
        // Block only when idle; with a batch running, take what is pending
        // and go on with the next request.
        let cmd = if st.jobs.is_empty() && remote {
            match rx.recv_timeout(REMOTE_POLL) {
                Ok(c) => Some(c),
                Err(RecvTimeoutError::Timeout) => {
                    // Others change the service too: profiles and cache.
                    st.send_store();
                    st.send_cache();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        } else if st.jobs.is_empty() {
            match rx.recv() {
                Ok(c) => Some(c),
                Err(_) => return,
            }
        } else {
            match rx.recv_timeout(Duration::ZERO) {
                Ok(c) => Some(c),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        };
        if let Some(cmd) = cmd {
            if cmd == Command::Shutdown {
                return;
            }
            st.handle(cmd);
            continue;
        }
        if cancel.swap(false, Ordering::SeqCst) {
            // The batch running, not the ones queued behind it.
            if let Some(job) = st.jobs.pop_front() {
                (st.sink)(Msg::Job(JobState::Finished {
                    total: job.requests.len(),
                    label: job.label,
                    done: job.done,
                    errors: job.errors,
                    cancelled: true,
                }));
            }
            st.announce_next();
            st.send_cache();
            continue;
        }
        st.step_job();
    }
}

impl State {
    fn send_store(&mut self) {
        let view = match &mut self.backend {
            Backend::Local(engine) => Ok(StoreView::from_store(&engine.store())),
            Backend::Remote(r) => r.store(),
        };
        match view {
            Ok(v) => {
                if self.last_store.as_deref() != Some(&v) {
                    let v = Arc::new(v);
                    self.last_store = Some(v.clone());
                    (self.sink)(Msg::Store(v));
                }
            }
            Err(e) => self.notice(true, format!("profiles: {e}")),
        }
    }

    fn send_cache(&mut self) {
        let view = match &self.backend {
            Backend::Local(engine) => {
                let (entries, notices) = engine.cache().list();
                for n in notices {
                    (self.sink)(Msg::Notice {
                        error: true,
                        text: format!("cache: {n:?}"),
                    });
                }
                let (workers, executors) = engine.sandbox_pids();
                Ok(CacheView {
                    entries,
                    stats: engine.cache().stats(),
                    engine: engine.stats(),
                    sandbox: (workers.len(), executors.len()),
                })
            }
            Backend::Remote(r) => r.cache(),
        };
        match view {
            Ok(v) => (self.sink)(Msg::Cache(Box::new(v))),
            Err(e) => self.notice(true, format!("cache: {e}")),
        }
        self.last_cache = Instant::now();
    }

    fn notice(&self, error: bool, text: String) {
        (self.sink)(Msg::Notice { error, text });
    }

    fn handle(&mut self, cmd: Command) {
        match cmd {
            Command::Analyze(path) => {
                let a = self.analyze(&path);
                (self.sink)(Msg::Analysis(Box::new(a)));
            }
            Command::Run { input, times } => {
                let times = times.max(1);
                let name = file_name(&input);
                let label = if times == 1 {
                    format!("run {name}")
                } else {
                    format!("run {name} ×{times}")
                };
                self.start(label, vec![input; times]);
            }
            Command::Replay(workload) => match crate::cli::run::workload_requests(&workload) {
                Ok(requests) => self.start(format!("replay {}", file_name(&workload)), requests),
                Err(e) => self.notice(true, format!("replay: {e}")),
            },
            Command::Evict(key) => {
                let removed = match &self.backend {
                    Backend::Local(engine) => engine.cache().remove(&VariantKey(key.clone())),
                    Backend::Remote(r) => r.evict(&key).is_ok(),
                };
                let short = &key[..key.len().min(12)];
                self.notice(
                    !removed,
                    if removed {
                        format!("evicted {short}")
                    } else {
                        format!("{short} was not in the cache")
                    },
                );
                self.send_cache();
            }
            Command::ClearCache => {
                let cleared = match &self.backend {
                    Backend::Local(engine) => engine.cache().clear().map_err(|e| e.to_string()),
                    Backend::Remote(r) => r.clear(),
                };
                match cleared {
                    Ok(n) => self.notice(false, format!("cleared the cache ({n} entries)")),
                    Err(e) => self.notice(true, format!("clearing the cache: {e}")),
                }
                self.send_cache();
            }
            Command::RefreshCache => self.send_cache(),
            Command::LoadVariant { key, input } => {
                let variant = match &self.backend {
                    Backend::Local(engine) => engine.cache().load(&key).map_err(|e| e.to_string()),
                    Backend::Remote(r) => r.variant(&key),
                };
                let kernel_ir = input.and_then(|i| self.kernel_ir(&i));
                (self.sink)(Msg::Variant(Arc::new(VariantView {
                    key,
                    variant,
                    kernel_ir,
                })));
            }
            Command::Assembly(key) => {
                // Compiled in a sandboxed worker: no IR is parsed here.
                let text = match &self.backend {
                    Backend::Local(engine) => engine.assembly(&key),
                    Backend::Remote(r) => r.assembly(&key),
                };
                (self.sink)(Msg::Assembly { key, text });
            }
            Command::WhatIf { file, text, inputs } => {
                let rows = self.what_if(&file, &text, &inputs);
                (self.sink)(Msg::WhatIf(Box::new(WhatIfView { file, rows })));
            }
            Command::ReloadFile(path) => {
                // Just written (an editor save): from its modification; a
                // file found with an older time (moved in, or there before
                // its folder was watched) says no latency.
                let since = mtime(&path)
                    .and_then(|m| SystemTime::now().duration_since(m).ok())
                    .filter(|d| *d < Duration::from_secs(5));
                self.reload(path, since);
            }
            Command::Rescan(dir) => {
                let known: Vec<PathBuf> = self
                    .last_store
                    .iter()
                    .flat_map(|v| {
                        let loaded = v.profiles.iter().map(|p| p.file.clone());
                        loaded.chain(v.errors.iter().map(|e| e.file.clone()))
                    })
                    .collect();
                let files = crate::profile::watch::files_to_rescan(
                    &dir,
                    known.iter().map(PathBuf::as_path),
                );
                for f in files {
                    self.reload(f, None);
                }
            }
            Command::Changed { path, seen } => {
                // From the change: what the watch waited for the burst to
                // end, then the reload. A file's modification time would
                // say when its content was written, which `mv` keeps from
                // long ago.
                let since = seen.elapsed() + crate::profile::watch::DEBOUNCE;
                self.reload(path, Some(since));
            }

            Command::Shutdown => {}
        }
    }

    fn start(&mut self, label: String, requests: Vec<PathBuf>) {
        let ahead = self.jobs.len();
        (self.sink)(Msg::Job(if ahead == 0 {
            JobState::Started {
                label: label.clone(),
                total: requests.len(),
            }
        } else {
            JobState::Queued {
                label: label.clone(),
                total: requests.len(),
                ahead,
            }
        }));
        self.jobs.push_back(Job {
            label,
            requests,
            done: 0,
            errors: 0,
        });
    }

    /// The batch now at the front of the queue begins.
    fn announce_next(&mut self) {
        if let Some(job) = self.jobs.front() {
            (self.sink)(Msg::Job(JobState::Started {
                label: job.label.clone(),
                total: job.requests.len(),
            }));
        }
    }

    /// Runs the next request of the first batch.
    fn step_job(&mut self) {
        let Some(input) = self
            .jobs
            .front()
            .and_then(|job| job.requests.get(job.done).cloned())
        else {
            return;
        };
        // The outcome reaches the UI as events; an error also ends in a
        // `Failed` event, so only the count is kept here.
        let ran = match &mut self.backend {
            Backend::Local(engine) => engine
                .run_spec(&input)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Backend::Remote(r) => r.run_spec(&input),
        };
        if let Err(e) = &ran {
            if matches!(self.backend, Backend::Remote(_)) {
                // A request the service refused has no event to say so.
                self.notice(true, format!("{}: {e}", file_name(&input)));
            }
        }
        let Some(job) = self.jobs.front_mut() else {
            return;
        };
        if ran.is_err() {
            job.errors += 1;
        }
        job.done += 1;
        let (label, done, total, errors) =
            (job.label.clone(), job.done, job.requests.len(), job.errors);
        if done >= total {
            self.jobs.pop_front();
            (self.sink)(Msg::Job(JobState::Finished {
                label,
                done,
                total,
                errors,
                cancelled: false,
            }));
            self.announce_next();
            self.send_cache();
        } else {
            (self.sink)(Msg::Job(JobState::Progress { label, done, total }));
            // A replay of small requests would list the cache hundreds of
            // times a second; a few snapshots a second are plenty to watch.
            if self.last_cache.elapsed() >= Duration::from_millis(300) {
                self.send_cache();
            }
        }
    }

    fn prepared(&mut self, path: &Path) -> Result<&Prepared, String> {
        let spec_time = mtime(path);
        let fresh = match self.prepared.get(path) {
            Some(((s, k), p)) => *s == spec_time && *k == mtime(&p.kernel.path),
            None => false,
        };
        if !fresh {
            let Backend::Local(engine) = &self.backend else {
                return Err("not prepared here: the service analyzes".into());
            };
            let p = engine.prepare(path).map_err(|e| e.to_string())?;
            let stamp = (spec_time, mtime(&p.kernel.path));
            self.prepared.insert(path.to_owned(), (stamp, p));
        }
        self.prepared
            .get(path)
            .map(|(_, p)| p)
            .ok_or_else(|| format!("{}: not prepared", path.display()))
    }

    fn kernel_ir(&mut self, input: &Path) -> Option<String> {
        self.prepared(input).ok().map(|p| p.kernel.ir.clone())
    }

    /// Reloads one profile file; `since` is how long ago it changed, when
    /// that is known.
    fn reload(&mut self, path: PathBuf, since: Option<Duration>) {
        let reload = match &self.backend {
            Backend::Local(engine) => engine.reload_file(&path),
            Backend::Remote(r) => r.reload_file(&path),
        };
        let latency_ms = since.map(|d| d.as_millis() as u64);
        let changed = reload != Reload::Unchanged;
        (self.sink)(Msg::Reloaded(Box::new(ReloadView {
            path,
            reload,
            latency_ms,
        })));
        if changed {
            self.send_store();
        }
    }

    /// Each input decided on the live store and on the store with the
    /// draft in place of `file`'s profile.
    fn what_if(
        &mut self,
        file: &Path,
        text: &str,
        inputs: &[PathBuf],
    ) -> Result<Vec<WhatIfRow>, String> {
        let Backend::Local(engine) = &self.backend else {
            return Err("what-if needs the workbench's own engine (not --connect)".into());
        };
        let live = engine.store();
        let draft = live.with_draft(file, text, None).map_err(|errors| {
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        })?;
        // What would be built: the steps and the finish (a `when` edited
        // elsewhere changes only why a node is skipped).
        type Built = Option<(Vec<crate::profile::PlannedStep>, String)>;
        let describe = |d: &crate::engine::Decision| -> (String, String, Built, Vec<String>) {
            let name = d.selection.profile.name.clone();
            match &d.plan {
                Ok(plan) => {
                    let summary = crate::cache::plan_summary(plan);
                    let steps = summary.split(" -> ").map(str::to_owned).collect();
                    (
                        name.clone(),
                        format!("{name}: {summary}"),
                        Some((plan.steps.clone(), plan.finish.clone())),
                        steps,
                    )
                }
                Err(e) => (
                    name.clone(),
                    format!("{name}: cannot plan: {e}"),
                    None,
                    Vec::new(),
                ),
            }
        };
        let mut rows = Vec::new();
        for input in inputs {
            let row = match self.prepared(input) {
                Ok(p) => {
                    let (n_name, now, n_built, n_steps) =
                        describe(&crate::engine::decide(&live, p));
                    let (d_name, then, d_built, d_steps) =
                        describe(&crate::engine::decide(&draft, p));
                    let (change, delta) = if n_name != d_name {
                        (WhatIfChange::Profile, then.clone())
                    } else if n_built != d_built {
                        let added = d_steps.iter().filter(|s| !n_steps.contains(s));
                        let dropped = n_steps.iter().filter(|s| !d_steps.contains(s));
                        let mut delta: Vec<String> = added.map(|s| format!("+{s}")).collect();
                        delta.extend(dropped.map(|s| format!("−{s}")));
                        if delta.is_empty() {
                            delta.push("the same steps in another order".into());
                        }
                        (WhatIfChange::Plan, delta.join("  "))
                    } else {
                        (WhatIfChange::Same, String::new())
                    };
                    WhatIfRow {
                        input: input.clone(),
                        now,
                        draft: then,
                        delta,
                        change,
                    }
                }
                Err(e) => WhatIfRow {
                    input: input.clone(),
                    now: e.clone(),
                    draft: e,
                    delta: String::new(),
                    change: WhatIfChange::Error,
                },
            };
            rows.push(row);
        }
        Ok(rows)
    }

    fn analyze(&mut self, path: &Path) -> Analysis {
        if let Backend::Remote(r) = &mut self.backend {
            return r.analyze(path);
        }
        let result = match self.prepared(path) {
            Ok(p) => {
                let p = p.clone();
                let Backend::Local(engine) = &self.backend else {
                    unreachable!("remote analysis returned above")
                };
                let decision = engine.decide(&p);
                Ok(AnalysisView {
                    kernel: p.kernel.name.clone(),
                    signature: p.kernel.signature.to_string(),
                    summary: p.vector.summary(),
                    sampled: p.vector.sampled,
                    micros: p.analysis_micros,
                    features: p.vector.features(),
                    selected: decision.selection.profile.name.clone(),
                    candidates: decision.selection.candidates,
                    plan: decision.plan.map_err(|e| e.to_string()),
                })
            }
            Err(e) => Err(e),
        };
        Analysis {
            input: path.to_owned(),
            result,
        }
    }
}

pub fn file_name(p: &Path) -> String {
    p.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .unwrap_or_else(|| p.display().to_string())
}
