//! The request path (DESIGN §1). [`Engine::run`] takes a [`Request`] (a
//! kernel by hash or source, its arguments as typed buffers, an optional
//! forced profile and a tenant) through one function per stage: prepare,
//! analyze, decide, lookup, build-and-verify, guard, execute. Every stage
//! emits an [`Event`] when someone listens; the engine never knows who.
//!
//! An [`Engine`] is a cheap handle (`Clone + Send + Sync`) over shared
//! state, used by many requests at once: the pools hand out processes by
//! checkout, the cache's lock covers O(1) work, each request decides on a
//! snapshot of the profile store, and concurrent misses of one thing (a
//! variant, a generic build, a kernel load) build it once (see [`flight`]).

pub mod budget;
mod chain;
pub mod event;
pub mod flight;
pub mod spec;
pub mod verify;

pub use budget::KeyBudgetConfig;
pub use event::{Event, EventKind, Served, StepEvent, Try, TryVerdict};

use crate::analyze::{self, CharacteristicVector};
use crate::cache::fleet::{Claim, Lease};
use crate::cache::{CacheConfig, CacheError, CacheNotice, Variant, VariantCache, VariantKey};
use crate::cache::{Fleet, FleetSetup, Tier, Verification};
use crate::input::{Buffer, Input, InputError, Role, Scalar};
use crate::kernel::{Kernel, KernelError, SourceKind};
use crate::profile::{self, KernelInfo, Plan, PlanError, Profile, ProfileStore, Reload, Selection};
use crate::sandbox::pool::{ExecPolicy, ExecPool, Outputs, SandboxConfig};
use crate::sandbox::worker::WorkerPool;
use crate::sandbox::{Execution, Outcome, SandboxError};
use crate::target::Target;
use crate::transform::{codegen, TransformError};
use flight::Flights;
use lru::LruCache;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Kernel(#[from] KernelError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("{0}")]
    Host(String),
    #[error("sandbox: {0}")]
    Sandbox(#[from] SandboxError),
    /// The worker refused or could not load the kernel (the message names
    /// the code).
    #[error("{0}")]
    Refused(String),
    #[error("no kernel with hash `{0}` is registered; upload it first")]
    UnknownKernel(String),
    #[error("no profile named `{name}` is loaded (loaded: {})", loaded.join(", "))]
    UnknownProfile { name: String, loaded: Vec<String> },
    #[error("the generic build of `{kernel}` failed: {error}")]
    Generic {
        kernel: String,
        error: TransformError,
    },
    #[error("fleet tier: {0}")]
    Fleet(String),
}

/// The largest kernel source accepted.
pub const MAX_SOURCE: u64 = 64 << 20;

/// User code as it arrives: its bytes and their format.
#[derive(Debug, Clone)]
pub struct KernelSource {
    /// What the code is called (a file name; the kernel's name is its stem).
    pub name: PathBuf,
    pub format: SourceKind,
    pub bytes: Vec<u8>,
    /// The entry function; optional when the module exports one function.
    pub entry: Option<String>,
}

impl KernelSource {
    /// The code in a file, its format from the extension.
    pub fn read(path: &Path, entry: Option<&str>) -> Result<KernelSource, KernelError> {
        let format = SourceKind::of(path)?;
        let bytes =
            crate::input::read_regular(path, MAX_SOURCE).map_err(|problem| KernelError::Io {
                path: path.to_owned(),
                problem: if problem == "not found" {
                    "no such file".to_owned()
                } else {
                    problem
                },
            })?;
        Ok(KernelSource {
            name: path.to_owned(),
            format,
            bytes,
            entry: entry.map(str::to_owned),
        })
    }

    /// What identifies a load: the same bytes, format, name and entry make
    /// the same kernel.
    fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        let name = self.name.to_string_lossy();
        let format = format!("{:?}", self.format);
        for part in [
            format.as_bytes(),
            name.as_bytes(),
            self.entry.as_deref().unwrap_or("").as_bytes(),
            &self.bytes,
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        h.finalize().into()
    }
}

/// Which kernel a request runs.
#[derive(Debug, Clone)]
pub enum KernelRef {
    /// A kernel registered earlier ([`Engine::register`]), by its hash.
    Hash(String),
    Source(KernelSource),
}

/// One request: a kernel, its arguments in parameter order, and who asks.
#[derive(Debug, Clone)]
pub struct Request {
    pub kernel: KernelRef,
    /// Shared, so a caller replaying one input does not copy it.
    pub input: Arc<Input>,
    /// Run this profile instead of selecting one (`generic` included).
    pub profile: Option<String>,
    /// Run under this isolation instead of the profile's (`tailor bench`
    /// compares the modes; a service never takes it from a tenant).
    pub isolation: Option<profile::Isolation>,
    pub tenant: Option<String>,
    /// What events call the request (an input spec's path, a request id).
    pub label: PathBuf,
}

/// A request made ready: its kernel, arguments and their vector (the
/// workbench and `tailor analyze` show this without running anything).
#[derive(Debug, Clone)]
pub struct Prepared {
    pub spec: crate::input::InputSpec,
    pub kernel: Arc<Kernel>,
    pub input: Arc<Input>,
    pub vector: CharacteristicVector,
    pub analysis_micros: u64,
}

impl Prepared {
    pub fn kernel_info(&self) -> KernelInfo {
        kernel_info(&self.kernel)
    }
}

fn kernel_info(k: &Kernel) -> KernelInfo {
    KernelInfo {
        name: k.name.clone(),
        entry: k.signature.entry.clone(),
        hash: k.hash.clone(),
    }
}

/// Which profile a prepared request selects, and the Plan it makes.
#[derive(Debug)]
pub struct Decision {
    pub selection: Selection,
    pub plan: Result<Plan, PlanError>,
}

pub fn decide(store: &ProfileStore, prepared: &Prepared) -> Decision {
    decide_for(store, &prepared.vector, &prepared.kernel_info())
}

fn decide_for(
    store: &ProfileStore,
    vector: &CharacteristicVector,
    kernel: &KernelInfo,
) -> Decision {
    // One scope for both: building it turns the whole vector into CEL values.
    let scope = profile::Scope::new(vector, kernel);
    let selection = store.select_in(&scope);
    let plan = profile::plan_in(&selection.profile, vector, &scope);
    Decision { selection, plan }
}

/// Where a request's time went, in microseconds: every stage, and the
/// executor's round trip beside the kernel's own time.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Timings {
    /// Finding (or registering) the kernel and checking the arguments.
    pub prepare: u64,
    pub analyze: u64,
    /// Selection, planning and the key.
    pub decide: u64,
    /// The cache lookup.
    pub lookup: u64,
    /// A miss: transform, codegen and verification, wall clock (0 on a hit).
    pub build: u64,
    pub transform: u64,
    pub codegen: u64,
    pub verify: u64,
    /// Choosing what serves (the variant, or generic when it is rejected),
    /// builds aside.
    pub guard: u64,
    /// Of a miss: the guard's timing runs against generic (inside `guard`
    /// or `tune`).
    pub timing: u64,
    /// Of a miss: autotune's candidates after the first, wall clock
    /// (their transform, codegen, verification and timing are counted
    /// here, not in those fields).
    pub tune: u64,
    /// The kernel itself, as the executor measured it.
    pub execute: u64,
    /// From handing the arguments to the executor to its answer.
    pub roundtrip: u64,
    pub total: u64,
}

/// One output array, summarized.
#[derive(Debug, Clone, Serialize)]
pub struct OutputSummary {
    pub name: String,
    pub len: usize,
    /// The first values, as numbers.
    pub head: Vec<f64>,
}

/// The answer to one request.
#[derive(Debug, Clone, Serialize)]
pub struct Response {
    pub request: u64,
    pub input: PathBuf,
    pub kernel: String,
    pub profile: String,
    pub plan: Plan,
    pub key: String,
    pub hit: bool,
    /// Where the lookup found the variant (`None` on a miss).
    pub tier: Option<Tier>,
    pub served_by: Served,
    /// The key of what ran: the selected variant, a fallback or generic.
    pub served_key: String,
    /// The selected Plan's verification.
    pub verification: Verification,
    /// The selected Plan's timing against generic (the guard), if timed.
    pub timed: Option<crate::cache::Timed>,
    /// The fallback chain, when it went past the selected Plan: each Plan
    /// tried, in order, with its verdict.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<Try>,
    /// Tiered serving: generic answered while the variant builds.
    pub deferred: bool,
    pub execution: Execution,
    pub result: Option<Scalar>,
    pub outputs: Vec<OutputSummary>,
    /// The `out:` arrays in full, by name.
    #[serde(skip)]
    pub out_arrays: Vec<(String, Buffer)>,
    pub timings: Timings,
}

/// Request counters the engine keeps (the cache keeps its own).
#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize)]
pub struct EngineStats {
    pub requests: u64,
    pub hits: u64,
    pub misses: u64,
    pub rejected: u64,
    pub failed: u64,
    /// Variants and generic builds compiled (one per key, however many
    /// requests missed it at once).
    pub builds: u64,
    /// Kernels loaded (clang for C, then a worker), once per source.
    pub loads: u64,
    /// Requests served a Plan the key budget generalized.
    #[serde(default)]
    pub generalized: u64,
    /// Dimensions the key budget stopped binding.
    #[serde(default)]
    pub budget_trips: u64,
    /// Verified variants the guard found slower than generic.
    #[serde(default)]
    pub slower: u64,
    /// Requests a later Plan of the fallback chain served.
    #[serde(default)]
    pub fallbacks: u64,
    /// Misses tiered serving answered with generic while the variant built.
    #[serde(default)]
    pub deferred: u64,
}

pub struct EngineConfig {
    pub profiles: PathBuf,
    pub cache: CacheConfig,
    pub pools: PoolSizes,
    /// The fraction of hits on a verified variant that are also run on the
    /// generic build and compared (0 for none, 1 for every hit): one input's
    /// verification says nothing about the next input with the same key.
    pub shadow: f64,
    /// The fleet key and the fleet's Redis, if any.
    pub fleet: FleetSetup,
    /// The guard against key explosion.
    pub key_budget: KeyBudgetConfig,
}

/// One hit in a hundred is shadow-verified.
pub const DEFAULT_SHADOW: f64 = 0.01;

/// How many sandbox processes of each kind the engine keeps warm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSizes {
    pub workers: usize,
    pub executors: usize,
}

impl Default for PoolSizes {
    /// One of each per core.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        PoolSizes {
            workers: cores,
            executors: cores,
        }
    }
}

/// Kernels, sources and failures remembered, at most.
const REMEMBERED: usize = 1024;

fn lru<K: std::hash::Hash + Eq, V>() -> Mutex<LruCache<K, V>> {
    Mutex::new(LruCache::new(
        NonZeroUsize::new(REMEMBERED).unwrap_or(NonZeroUsize::MIN),
    ))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section in the engine is a map update: a panic in one
    // leaves the map consistent, so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The subscribers, and how many there are (read without the lock, so a
/// request with no one listening builds no event).
#[derive(Default)]
struct Events {
    subscribers: Mutex<Vec<Sender<Event>>>,
    listening: AtomicUsize,
}

/// What a failed build leaves: its reason, for the next request of its key.
type Failed = String;

/// What `autotune` tried: each candidate's label and verdict.
type Tries = Vec<(String, String)>;

/// Why a build gave no variant.
#[derive(Debug, Clone)]
enum Unbuilt {
    /// It failed (the reason is remembered for the key).
    Failed(Failed),
    /// Another engine of the fleet is building it (its lease's holder).
    Elsewhere(String),
}

/// What the fleet says before a build: build it (under the lease when
/// there is a fleet), or another engine built or is building it.
enum Turn {
    Build(Option<Lease>),
    Built(Arc<Variant>),
    Elsewhere(String),
}

/// How often a request waiting for another engine's build looks again.
const FLEET_POLL: Duration = Duration::from_millis(5);

/// The profile store requests decide on, with what is derived from it once
/// per version rather than once per request.
struct Live {
    store: Arc<ProfileStore>,
    /// Bumped by every reload that changed something: memoized decisions
    /// of an older generation are never used.
    generation: u64,
    /// What any loaded profile can read of a vector.
    reads: profile::Reads,
    /// The analysis those reads need (no distinct counting unless read).
    analyzer: analyze::Analyzer,
}

impl Live {
    fn new(store: ProfileStore, generation: u64) -> Live {
        let reads = store.reads();
        let analyzer = analyze::Analyzer {
            distinct: reads.everything || reads.features.contains("distinct_est"),
            ..analyze::Analyzer::default()
        };
        Live {
            store: Arc::new(store),
            generation,
            reads,
            analyzer,
        }
    }
}

/// A decision as it is memoized: everything the decide stage settles that
/// depends only on the store, the kernel and the features its profiles read.
struct Memo {
    profile: Arc<Profile>,
    candidates: Vec<profile::Candidate>,
    /// The selected profile's planning error (generic's Plan serves).
    plan_error: Option<String>,
    plan: Plan,
    key: VariantKey,
    /// The fallback chain's Plans, planned when first needed.
    fallbacks: std::sync::OnceLock<Vec<(Plan, &'static str)>>,
}

/// Decisions memoized, at most.
const DECISIONS: usize = 4096;

struct Shared {
    /// Shadow-verify every `shadow_every`-th hit (0: never).
    shadow_every: u64,
    hits_seen: AtomicU64,
    /// The live profile store: requests take a snapshot (an `Arc`), a
    /// reload swaps it.
    live: RwLock<Arc<Live>>,
    decisions: Mutex<LruCache<String, Arc<Memo>>>,
    /// Reloads one at a time (each starts from the live store).
    reloading: Mutex<()>,
    cache: VariantCache,
    executors: ExecPool,
    workers: WorkerPool,
    host: Target,
    events: Events,
    next_request: AtomicU64,
    stats: Mutex<EngineStats>,
    /// Registered kernels by hash.
    kernels: Mutex<LruCache<String, Arc<Kernel>>>,
    /// Kernel hashes by source digest: a source seen before needs no clang
    /// and no worker.
    sources: Mutex<LruCache<[u8; 32], String>>,
    loads: Flights<[u8; 32], Result<Arc<Kernel>, String>>,
    builds: Flights<VariantKey, Result<Arc<Variant>, Unbuilt>>,
    /// Keys whose build failed, with the reason: a bad Plan costs once.
    failed: Mutex<LruCache<VariantKey, Failed>>,
    /// Inputs materialized from specs (see [`spec`]).
    inputs: spec::Inputs,
    budget: budget::KeyBudget,
    /// Serve tiered ([`Engine::serve_tiered`]).
    tiered: std::sync::atomic::AtomicBool,
    /// Selected keys whose chain is being built in the background.
    pending: Mutex<std::collections::HashSet<VariantKey>>,
}

/// The request path over one profile store, one cache and the sandbox's
/// pools; clone it freely, every method takes `&self`.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
}

/// A request in flight: its number and clock.
struct Ctx {
    id: u64,
    started: Instant,
}

/// What the decide stage settled: the profile, its Plan and key, and how
/// to run it.
#[derive(Clone)]
struct Decided {
    profile: Arc<Profile>,
    plan: Plan,
    key: VariantKey,
    policy: ExecPolicy,
    store: Arc<ProfileStore>,
    /// The decision as memoized (its fallback chain).
    memo: Arc<Memo>,
    /// Dimensions the key budget left dynamic (the chain's Plans too).
    dims: std::collections::BTreeSet<String>,
    /// The profile the request forced, if any.
    forced: Option<String>,
}

/// Loads the profiles in `dir` the way the engine does: pass pipelines are
/// checked by LLVM in a sandboxed worker (one started for this), so a
/// pipeline that crashes LLVM is a profile error, not a crash of the
/// caller. Without a worker every pipeline is reported unchecked.
pub fn load_store(dir: &Path) -> ProfileStore {
    let workers = SandboxConfig::locate()
        .map_err(|e| e.to_string())
        .and_then(|c| WorkerPool::new(c.worker_binary, 1).map_err(|e| e.to_string()));
    match workers {
        Ok(w) => ProfileStore::load_dir(dir, Some(&|p: &str| w.check_pipeline(p))),
        Err(e) => ProfileStore::load_dir(
            dir,
            Some(&|_: &str| Err(format!("cannot check the pipeline without a worker: {e}"))),
        ),
    }
}

fn micros(since: Instant) -> u64 {
    since.elapsed().as_micros() as u64
}

impl Engine {
    pub fn new(config: EngineConfig) -> Result<Engine, EngineError> {
        let host = codegen::host().map_err(EngineError::Host)?;
        let cache = Self::open_cache(config.cache, &config.fleet, &host)?;
        let mut sandbox = SandboxConfig::locate()?;
        sandbox.workers = config.pools.workers.max(1);
        sandbox.executors = config.pools.executors.max(1);
        let workers = WorkerPool::new(sandbox.worker_binary.clone(), sandbox.workers)?;
        let store =
            ProfileStore::load_dir(&config.profiles, Some(&|p: &str| workers.check_pipeline(p)));
        let executors = ExecPool::new(sandbox)?;
        // The self-check: every sandbox process says what confinement took
        // hold, and the engine serves nothing unless it is all there.
        let label = |kind: &str, reports: Vec<Vec<String>>| -> Vec<(String, Vec<String>)> {
            reports
                .into_iter()
                .enumerate()
                .map(|(i, r)| (format!("{kind} {}", i + 1), r))
                .collect()
        };
        let mut reports = label("worker", workers.confinement());
        reports.extend(label("executor", executors.confinement()));
        let optional = crate::sandbox::confine::optional_from_env();
        if reports.is_empty() {
            return Err(
                SandboxError::Weak("no sandbox process answered the self-check".into()).into(),
            );
        }
        crate::sandbox::confine::check(&reports, &optional).map_err(SandboxError::Weak)?;
        Ok(Engine {
            shared: Arc::new(Shared {
                shadow_every: if config.shadow > 0.0 {
                    (1.0 / config.shadow.min(1.0)).round().max(1.0) as u64
                } else {
                    0
                },
                hits_seen: AtomicU64::new(0),
                live: RwLock::new(Arc::new(Live::new(store, 0))),
                decisions: Mutex::new(LruCache::new(
                    NonZeroUsize::new(DECISIONS).unwrap_or(NonZeroUsize::MIN),
                )),
                reloading: Mutex::new(()),
                cache,
                executors,
                workers,
                host,
                events: Events::default(),
                next_request: AtomicU64::new(1),
                stats: Mutex::new(EngineStats::default()),
                kernels: lru(),
                sources: lru(),
                loads: Flights::default(),
                builds: Flights::default(),
                failed: lru(),
                inputs: spec::Inputs::default(),
                budget: budget::KeyBudget::new(config.key_budget),
                tiered: Default::default(),
                pending: Default::default(),
            }),
        })
    }

    /// The local tiers, sealed and backed by the fleet as `fleet` says.
    fn open_cache(
        config: CacheConfig,
        fleet: &FleetSetup,
        host: &Target,
    ) -> Result<VariantCache, EngineError> {
        let mut cache = VariantCache::new(config)?;
        if let Some(key) = &fleet.key {
            cache = cache.sealed(key.clone());
        }
        if let Some(redis) = &fleet.redis {
            let Some(key) = fleet.key.clone() else {
                return Err(EngineError::Fleet(format!(
                    "Redis at {} needs a fleet key (fleet_key, or TAILOR_FLEET_KEY): without one, whoever can write Redis chooses the code every engine runs",
                    redis.url
                )));
            };
            let (tier, notices) = Fleet::new(redis, key, host).map_err(EngineError::Fleet)?;
            for n in notices {
                if let CacheNotice::FleetWarning { message } = n {
                    tracing::warn!(target: "tailor::cache", "{message}");
                }
            }
            tracing::info!(target: "tailor::cache", prefix = tier.prefix(), "fleet tier on {}", redis.url);
            cache = cache.with_fleet(tier);
        }
        Ok(cache)
    }

    /// A new listener for every event from now on.
    pub fn subscribe(&self) -> Receiver<Event> {
        let (tx, rx) = channel();
        let events = &self.shared.events;
        let mut subs = lock(&events.subscribers);
        subs.push(tx);
        events.listening.store(subs.len(), Ordering::SeqCst);
        rx
    }

    /// The live profile store (a snapshot: a reload does not change it).
    pub fn store(&self) -> Arc<ProfileStore> {
        self.live().store.clone()
    }

    fn live(&self) -> Arc<Live> {
        self.shared
            .live
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Reloads one profile file (hot reload, or saved by an editor) and,
    /// when it changed anything, makes the new store live for the requests
    /// that start from now on. A broken file keeps its last good version.
    pub fn reload_file(&self, path: &Path) -> Reload {
        let _one_at_a_time = lock(&self.shared.reloading);
        let live = self.live();
        let mut next = ProfileStore::clone(&live.store);
        let workers = &self.shared.workers;
        let reload = next.reload_file(path, Some(&|p: &str| workers.check_pipeline(p)));
        if reload != Reload::Unchanged {
            let next = Arc::new(Live::new(next, live.generation + 1));
            *self.shared.live.write().unwrap_or_else(|e| e.into_inner()) = next;
        }
        reload
    }

    /// Validates a profile's text exactly as loading the file at `path`
    /// would (pass pipelines checked in a sandboxed worker), changing
    /// nothing: the service's `PUT` and `check`.
    pub fn check_profile(
        &self,
        path: &Path,
        text: &str,
    ) -> Result<Profile, Vec<profile::ProfileError>> {
        let workers = &self.shared.workers;
        Profile::parse(path, text, Some(&|p: &str| workers.check_pipeline(p)))
    }

    pub fn cache(&self) -> &VariantCache {
        &self.shared.cache
    }

    pub fn stats(&self) -> EngineStats {
        *lock(&self.shared.stats)
    }

    fn count(&self, f: impl FnOnce(&mut EngineStats)) {
        f(&mut lock(&self.shared.stats))
    }

    pub fn host(&self) -> &Target {
        &self.shared.host
    }

    /// A cached variant's assembly (a key or a unique prefix), compiled in
    /// a sandboxed worker.
    pub fn assembly(&self, key: &str) -> Result<String, String> {
        let v = self.cache().load(key).map_err(|e| e.to_string())?;
        self.shared.workers.assembly(&v.optimized_ir, &v.target)
    }

    /// The sandbox processes' ids: build workers, then executors (dead idle
    /// ones are replaced first).
    pub fn sandbox_pids(&self) -> (Vec<u32>, Vec<u32>) {
        self.shared.workers.heal();
        self.shared.executors.heal();
        (self.shared.workers.pids(), self.shared.executors.pids())
    }

    /// What confinement each sandbox process reports.
    pub fn confinement(&self) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
        (
            self.shared.workers.confinement(),
            self.shared.executors.confinement(),
        )
    }

    /// The generic build of a kernel for this input (from the cache, or
    /// built now in a worker): the reference `tailor bench` measures
    /// variants against.
    pub fn generic_variant(
        &self,
        kernel: &Kernel,
        input: &Input,
    ) -> Result<Arc<Variant>, EngineError> {
        let req = Ctx {
            id: self.shared.next_request.fetch_add(1, Ordering::Relaxed),
            started: Instant::now(),
        };
        let vector = analyze::analyze(input);
        self.generic(&req, kernel, &vector, &self.store())
    }

    /// Runs a variant on an input in the sandbox, outside the request path
    /// (`tailor bench`).
    pub fn execute_variant(
        &self,
        variant: &Variant,
        input: &Input,
        ret: crate::kernel::ReturnType,
        policy: &ExecPolicy,
    ) -> (Execution, Outputs) {
        self.shared.executors.execute(variant, input, ret, policy)
    }

    /// Which profile a prepared request selects on the live store, and its
    /// Plan.
    pub fn decide(&self, prepared: &Prepared) -> Decision {
        decide(&self.store(), prepared)
    }

    /// The kernel registered under `hash`.
    pub fn kernel(&self, hash: &str) -> Result<Arc<Kernel>, EngineError> {
        lock(&self.shared.kernels)
            .get(hash)
            .cloned()
            .ok_or_else(|| EngineError::UnknownKernel(hash.to_owned()))
    }

    /// Registers user code: C through clang, then parsed and admitted in a
    /// sandboxed worker. The same source again costs a hash; concurrent
    /// registrations of one source load it once.
    pub fn register(&self, source: &KernelSource) -> Result<Arc<Kernel>, EngineError> {
        let digest = source.digest();
        if let Some(hash) = lock(&self.shared.sources).get(&digest).cloned() {
            if let Some(k) = lock(&self.shared.kernels).get(&hash).cloned() {
                return Ok(k);
            }
        }
        let load = || -> Result<Arc<Kernel>, String> {
            self.count(|s| s.loads += 1);
            let (parse_as, bytes) = match source.format {
                SourceKind::C => (
                    SourceKind::Ll,
                    crate::kernel::compile_c_source(&source.name, &source.bytes)
                        .map_err(|e| e.to_string())?,
                ),
                other => (other, source.bytes.clone()),
            };
            let k = self.shared.workers.load_kernel(
                &source.name,
                parse_as,
                source.format,
                &bytes,
                source.entry.as_deref(),
            )?;
            let k = Arc::new(k);
            lock(&self.shared.kernels).put(k.hash.clone(), k.clone());
            lock(&self.shared.sources).put(digest, k.hash.clone());
            Ok(k)
        };
        // clang and a worker are bounded by their own deadlines (10 s and
        // 30 s); a follower waits for both.
        match self
            .shared
            .loads
            .run(&digest, Duration::from_secs(45), load)
        {
            Ok((r, _)) => r.map_err(EngineError::Refused),
            Err(w) => Err(EngineError::Refused(format!(
                "{}: loading the kernel: {w}",
                source.name.display()
            ))),
        }
    }

    fn emit(&self, req: &Ctx, kind: impl FnOnce() -> EventKind) {
        let events = &self.shared.events;
        let logging = tracing::enabled!(target: "tailor::engine", tracing::Level::DEBUG);
        if events.listening.load(Ordering::Relaxed) == 0 && !logging {
            return;
        }
        let event = Event {
            request: req.id,
            at_micros: micros(req.started),
            kind: kind(),
        };
        if logging {
            tracing::debug!(
                target: "tailor::engine",
                at_us = event.at_micros,
                "{}",
                serde_json::to_string(&event.kind).unwrap_or_default()
            );
        }
        if events.listening.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut subs = lock(&events.subscribers);
        subs.retain(|s| s.send(event.clone()).is_ok());
        events.listening.store(subs.len(), Ordering::SeqCst);
    }

    fn notices(&self, req: &Ctx, notices: Vec<CacheNotice>) {
        for n in notices {
            self.emit(req, || {
                let message = match n {
                    CacheNotice::Corrupt { key, path, reason } => format!(
                        "removed corrupt cache entry {} ({}): {reason}",
                        key.short(),
                        path.display()
                    ),
                    CacheNotice::Evicted { key } => format!("evicted {} from memory", key.short()),
                    CacheNotice::DiskEvicted { key } => {
                        format!("evicted {} from disk (its byte budget)", key.short())
                    }
                    CacheNotice::DiskError { path, reason } => {
                        format!("cache disk error at {}: {reason}", path.display())
                    }
                    CacheNotice::FleetRefused { key, reason } => {
                        format!("refused and deleted fleet value {}: {reason}", key.short())
                    }
                    CacheNotice::FleetDown { reason } => {
                        format!("fleet tier down ({reason}); the local tiers serve")
                    }
                    CacheNotice::FleetBack => "fleet tier back: Redis answers again".to_owned(),
                    CacheNotice::FleetError { reason } => format!("fleet tier: {reason}"),
                    CacheNotice::FleetWarning { message } => format!("fleet tier: {message}"),
                };
                EventKind::CacheNotice { message }
            });
        }
    }

    /// Runs one request through the whole path.
    pub fn run(&self, request: Request) -> Result<Response, EngineError> {
        let req = Ctx {
            id: self.shared.next_request.fetch_add(1, Ordering::Relaxed),
            started: Instant::now(),
        };
        self.count(|s| s.requests += 1);
        let span = tracing::info_span!(
            target: "tailor::engine",
            "request",
            id = req.id,
            tenant = request.tenant.as_deref().unwrap_or("-"),
            input = %request.label.display(),
        );
        let _entered = span.enter();
        self.emit(&req, || EventKind::Received {
            input: request.label.clone(),
        });
        let result = self.serve(&req, &request);
        match &result {
            Err(e) => {
                self.count(|s| s.failed += 1);
                tracing::warn!(target: "tailor::engine", "failed: {e}");
                self.emit(&req, || EventKind::Failed {
                    error: e.to_string(),
                });
            }
            Ok(r) => tracing::info!(
                target: "tailor::engine",
                profile = %r.profile,
                hit = r.hit,
                outcome = %r.execution.outcome,
                micros = micros(req.started),
                "served"
            ),
        }
        result
    }

    fn serve(&self, req: &Ctx, request: &Request) -> Result<Response, EngineError> {
        let mut t = Timings::default();
        let input = &request.input;
        let at = Instant::now();
        let kernel = self.prepare_kernel(request)?;
        t.prepare = micros(at);

        let live = self.live();
        let at = Instant::now();
        let mut vector = self.analyze(req, &live, &kernel, input);
        t.analyze = micros(at);

        let at = Instant::now();
        let mut decided = self.decide_request(
            req,
            &live,
            &kernel,
            &mut vector,
            input,
            request.profile.as_deref(),
        )?;
        if let Some(isolation) = request.isolation {
            decided.policy.isolation = isolation;
        }
        t.decide = micros(at);

        let at = Instant::now();
        let found = self.lookup(req, &decided.key);
        t.lookup = micros(at);
        let (hit, tier) = (found.is_some(), found.as_ref().map(|f| f.1));

        let at = Instant::now();
        let choice = self.choose(
            req,
            &kernel,
            input,
            &vector,
            &decided,
            found.map(|(v, _)| v),
            true,
            &mut t,
        )?;
        // The chain's own time, builds aside.
        t.guard = micros(at).saturating_sub(t.build);
        let serving = choice.variant;
        let (mut execution, mut outputs) = self.execute(
            req,
            &serving,
            &kernel,
            input,
            &decided.policy,
            choice.served_by,
        );
        let mut served_by = choice.served_by;
        let mut verification = choice.verification;
        if hit && served_by != Served::Generic && self.shadow_due() {
            if let Some((g, g_out, reason)) = self.shadow(
                req, &kernel, input, &vector, &decided, &serving, &execution, &outputs,
            )? {
                // The variant was wrong for this input: the caller gets
                // generic's answer, and nobody gets the variant again.
                (execution, outputs) = (g, g_out);
                served_by = Served::Generic;
                verification = Verification::Rejected(reason);
            }
        }
        t.execute = execution.kernel_nanos / 1000;
        t.roundtrip = execution.roundtrip_nanos / 1000;
        let (summaries, out_arrays) = outputs_of(input, outputs);
        // A background build queued by this request may start now.
        drop(choice.answered);
        t.total = micros(req.started);
        self.emit(req, || EventKind::Finished {
            result: execution.ret,
            hit,
            total_micros: t.total,
        });
        Ok(Response {
            request: req.id,
            input: request.label.clone(),
            kernel: kernel.name.clone(),
            profile: decided.plan.profile.clone(),
            key: decided.key.0,
            plan: decided.plan,
            hit,
            tier,
            served_by,
            served_key: serving.key.0.clone(),
            verification,
            timed: choice.timed,
            chain: choice.tries,
            deferred: choice.deferred,
            result: execution.ret,
            execution,
            outputs: summaries,
            out_arrays,
            timings: t,
        })
    }

    /// The kernel (registered now if it came as source) and the arguments
    /// checked against its signature.
    fn prepare_kernel(&self, request: &Request) -> Result<Arc<Kernel>, EngineError> {
        let kernel = match &request.kernel {
            KernelRef::Hash(h) => self.kernel(h)?,
            KernelRef::Source(s) => self.register(s)?,
        };
        request.input.check(&kernel.signature)?;
        Ok(kernel)
    }

    /// The features the loaded profiles can read (see [`Live`]).
    fn analyze(
        &self,
        req: &Ctx,
        live: &Live,
        kernel: &Kernel,
        input: &Input,
    ) -> CharacteristicVector {
        let at = Instant::now();
        let vector = live.analyzer.analyze(input);
        self.emit(req, || EventKind::Analyzed {
            kernel: kernel.name.clone(),
            kernel_hash: kernel.hash.clone(),
            signature: kernel.signature.to_string(),
            summary: vector.summary(),
            sampled: vector.sampled,
            micros: micros(at),
        });
        vector
    }

    /// Selection (or the forced profile), the Plan and its key, on one
    /// snapshot of the store; memoized by the store's generation, the
    /// kernel and the values of the features its profiles read. A Plan that
    /// changes results (reassociation) rests on exact features only: the
    /// bounds of sampled arrays are made exact and the decision taken again
    /// on them, and if it still reads a sampled feature, generic serves.
    fn decide_request(
        &self,
        req: &Ctx,
        live: &Live,
        kernel: &Kernel,
        vector: &mut CharacteristicVector,
        input: &Input,
        forced: Option<&str>,
    ) -> Result<Decided, EngineError> {
        let mut memo = self.settle(live, kernel, vector, forced)?;
        if memo.plan.changes_results() && vector.sampled {
            analyze::exact_bounds(input, vector);
            memo = self.settle(live, kernel, vector, forced)?;
            if memo.plan.changes_results() {
                let sampled = chain::sampled_reads(&memo.profile, vector);
                if !sampled.is_empty() {
                    let plan = self.generic_plan(&live.store, kernel, vector)?;
                    memo = Arc::new(Memo {
                        profile: live.store.generic(),
                        candidates: memo.candidates.clone(),
                        plan_error: Some(format!(
                            "profile `{}` would reassociate on sampled features ({}); generic serves",
                            memo.profile.name,
                            sampled.join(", ")
                        )),
                        key: self.key_of(kernel, &plan),
                        plan,
                        fallbacks: Default::default(),
                    });
                }
            }
        }
        self.emit(req, || EventKind::Selected {
            profile: memo.profile.name.clone(),
            priority: memo.profile.priority,
            candidates: memo.candidates.clone(),
        });
        if let Some(error) = &memo.plan_error {
            self.emit(req, || EventKind::PlanFailed {
                error: error.clone(),
            });
        }
        let (plan, key, dims) = self.within_budget(req, kernel, &memo);
        self.emit(req, || EventKind::Planned { plan: plan.clone() });
        let sandbox = memo.profile.sandbox;
        Ok(Decided {
            profile: memo.profile.clone(),
            plan,
            key,
            policy: ExecPolicy {
                isolation: sandbox.isolation,
                deadline_ms: sandbox.execute_ms,
            },
            store: live.store.clone(),
            memo,
            dims,
            forced: forced.map(str::to_owned),
        })
    }

    /// The Plan and key to serve: the decision's, or (when its kernel and
    /// profile have bound too many distinct values lately) the Plan with
    /// those dimensions left dynamic, so the keys stop multiplying.
    fn within_budget(
        &self,
        req: &Ctx,
        kernel: &Kernel,
        memo: &Memo,
    ) -> (Plan, VariantKey, std::collections::BTreeSet<String>) {
        let Some(g) = self
            .shared
            .budget
            .observe(&kernel.hash, &memo.plan, Instant::now())
        else {
            return (memo.plan.clone(), memo.key.clone(), Default::default());
        };
        let config = self.shared.budget.config();
        if !g.tripped.is_empty() || !g.rebound.is_empty() {
            self.count(|s| s.budget_trips += g.tripped.len() as u64);
            for dim in &g.tripped {
                tracing::info!(target: "tailor::engine", kernel = %kernel.name, profile = %memo.plan.profile, "key budget: {dim} took more than {} values in {} s; no longer bound", config.limit, config.window.as_secs());
            }
        }
        self.emit(req, || EventKind::Generalized {
            profile: memo.plan.profile.clone(),
            dims: g.dims.iter().cloned().collect(),
            tripped: g.tripped.clone(),
            rebound: g.rebound.clone(),
            limit: config.limit,
            window_secs: config.window.as_secs(),
        });
        if g.dims.is_empty() {
            return (memo.plan.clone(), memo.key.clone(), g.dims);
        }
        self.count(|s| s.generalized += 1);
        let plan = memo.plan.generalized(&g.dims);
        let key = self.key_of(kernel, &plan);
        (plan, key, g.dims)
    }

    /// The memoized decision for this vector, decided now if it is new.
    fn settle(
        &self,
        live: &Live,
        kernel: &Kernel,
        vector: &CharacteristicVector,
        forced: Option<&str>,
    ) -> Result<Arc<Memo>, EngineError> {
        let memo_key = memo_key(live, kernel, vector, forced);
        if let Some(m) = lock(&self.shared.decisions).get(&memo_key).cloned() {
            return Ok(m);
        }
        let m = Arc::new(self.decide_afresh(live, kernel, vector, forced)?);
        lock(&self.shared.decisions).put(memo_key, m.clone());
        Ok(m)
    }

    fn decide_afresh(
        &self,
        live: &Live,
        kernel: &Kernel,
        vector: &CharacteristicVector,
        forced: Option<&str>,
    ) -> Result<Memo, EngineError> {
        let store = &live.store;
        let info = kernel_info(kernel);
        let (selection, plan) = match forced {
            Some(name) => {
                let Some(p) = store.get(name).cloned() else {
                    return Err(EngineError::UnknownProfile {
                        name: name.to_owned(),
                        loaded: store.profiles().iter().map(|p| p.name.clone()).collect(),
                    });
                };
                let plan = profile::plan(&p, vector, &info);
                let selection = Selection {
                    candidates: vec![profile::Candidate {
                        profile: p.name.clone(),
                        priority: p.priority,
                        verdict: profile::Verdict::Selected,
                    }],
                    profile: p,
                };
                (selection, plan)
            }
            None => {
                let d = decide_for(store, vector, &info);
                (d.selection, d.plan)
            }
        };
        let (plan, plan_error) = match plan {
            Ok(plan) => (plan, None),
            Err(e) => (
                self.generic_plan(store, kernel, vector)?,
                Some(e.to_string()),
            ),
        };
        let key = self.key_of(kernel, &plan);
        Ok(Memo {
            profile: selection.profile,
            candidates: selection.candidates,
            plan_error,
            plan,
            key,
            fallbacks: Default::default(),
        })
    }

    fn key_of(&self, kernel: &Kernel, plan: &Plan) -> VariantKey {
        let target = codegen::target_for(plan, &self.shared.host).0;
        VariantKey::new(&kernel.hash, &kernel.signature.entry, plan, &target)
    }

    fn generic_plan(
        &self,
        store: &ProfileStore,
        kernel: &Kernel,
        vector: &CharacteristicVector,
    ) -> Result<Plan, EngineError> {
        profile::plan(&store.generic(), vector, &kernel_info(kernel)).map_err(|e| {
            EngineError::Generic {
                kernel: kernel.name.clone(),
                error: TransformError::Step {
                    node: e.node,
                    transform: "plan".into(),
                    message: e.problem,
                },
            }
        })
    }

    fn lookup(&self, req: &Ctx, key: &VariantKey) -> Option<(Arc<Variant>, Tier)> {
        let (found, notices) = self.cache().get(key);
        self.notices(req, notices);
        let hit = found.is_some();
        self.count(|s| if hit { s.hits += 1 } else { s.misses += 1 });
        self.emit(req, || EventKind::Cache {
            key: key.0.clone(),
            hit,
            tier: found.as_ref().map(|(_, tier)| *tier),
        });
        found
    }

    /// A miss: builds a candidate's variant, verifies it against generic
    /// on this input and (its profile's guard on) times it against generic,
    /// once per key however many requests miss it at once, and caches it
    /// with both verdicts. A key whose build failed fails at once with the
    /// remembered reason.
    #[allow(clippy::too_many_arguments)]
    fn build_and_verify(
        &self,
        req: &Ctx,
        kernel: &Kernel,
        input: &Input,
        vector: &CharacteristicVector,
        decided: &Decided,
        cand: &chain::Cand,
        t: &mut Timings,
    ) -> Result<chain::Got, EngineError> {
        let is_generic = cand.plan.profile == profile::GENERIC;
        let key = &cand.key;
        let failed = lock(&self.shared.failed).get(key).cloned();
        let result = match failed {
            Some(reason) => Err(Unbuilt::Failed(reason)),
            None => {
                let wait = self.build_wait(&cand.profile);
                let work = || -> Result<Arc<Variant>, Unbuilt> {
                    // The generic build is what every request needs: wait
                    // for another engine's. A variant is not: generic
                    // serves while another engine builds it.
                    let _lease = match self.fleet_turn(req, key, is_generic.then_some(wait)) {
                        Turn::Build(lease) => lease,
                        Turn::Built(v) => return Ok(v),
                        Turn::Elsewhere(holder) => return Err(Unbuilt::Elsewhere(holder)),
                    };
                    if !is_generic {
                        if let Some(candidates) = cand.plan.tuning() {
                            return self
                                .tune(req, kernel, input, vector, decided, cand, candidates, t);
                        }
                    }
                    let verification = if is_generic {
                        Verification::Reference
                    } else {
                        Verification::Verified
                    };
                    let mut v = match self.build(
                        req,
                        &decided.store,
                        kernel,
                        &cand.plan,
                        key,
                        verification,
                    ) {
                        Ok(v) => v,
                        Err(e) => {
                            let reason = e.to_string();
                            lock(&self.shared.failed).put(key.clone(), reason.clone());
                            return Err(Unbuilt::Failed(reason));
                        }
                    };
                    t.transform += v.transform_micros;
                    t.codegen += v.codegen_micros;
                    if is_generic {
                        let (v, notices) = self.cache().put(v);
                        self.notices(req, notices);
                        return Ok(v);
                    }
                    let at = Instant::now();
                    let checked = self.verify(req, kernel, input, vector, decided, &v);
                    t.verify += micros(at);
                    let (verification, transient, pair) = match checked {
                        Ok(c) => c,
                        Err(e) => return Err(Unbuilt::Failed(e.to_string())),
                    };
                    v.verification = verification;
                    if transient {
                        // The sandbox could not run one of the builds: no
                        // verdict on the variant, so nothing is cached.
                        return Ok(Arc::new(v));
                    }
                    let guard = &cand.profile.guard;
                    if guard.enabled && v.verification == Verification::Verified {
                        let at = Instant::now();
                        let timed = self.time_against_generic(
                            req, kernel, input, vector, decided, &v, guard, pair,
                        );
                        t.timing += micros(at);
                        match timed {
                            Some(timed) => {
                                if timed.slower {
                                    self.count(|s| s.slower += 1);
                                }
                                v.timed = Some(timed);
                            }
                            // A run failed in the sandbox: no verdict, so
                            // nothing is cached (as above).
                            None => return Ok(Arc::new(v)),
                        }
                    }
                    let (v, notices) = self.cache().put(v);
                    self.notices(req, notices);
                    Ok(v)
                };
                match self.shared.builds.run(key, wait, work) {
                    Ok((r, _)) => r,
                    Err(w) => Err(Unbuilt::Failed(format!("build of {}: {w}", key.short()))),
                }
            }
        };
        match result {
            Ok(v) => Ok(chain::Got::Variant(v)),
            // Said by the FleetBuilding event; generic serves meanwhile.
            Err(Unbuilt::Elsewhere(holder)) => Ok(chain::Got::Elsewhere(holder)),
            Err(Unbuilt::Failed(error)) => {
                self.emit(req, || EventKind::TransformFailed {
                    error: error.clone(),
                });
                if is_generic {
                    return Err(EngineError::Generic {
                        kernel: kernel.name.clone(),
                        error: TransformError::Codegen(error),
                    });
                }
                Ok(chain::Got::Failed(error))
            }
        }
    }

    /// How long a request waits for another's build of the same key: the
    /// build's own deadline, twice (the variant and the generic build it
    /// is verified against), and time to verify.
    fn build_wait(&self, profile: &Profile) -> Duration {
        Duration::from_millis(profile.sandbox.transform_ms)
            .saturating_mul(2)
            .saturating_add(Duration::from_millis(profile.sandbox.execute_ms).saturating_mul(2))
            .saturating_add(Duration::from_secs(5))
    }

    /// Builds a Plan's variant in a worker (not verified, not stored),
    /// under the deadline its profile in `store` (the request's snapshot)
    /// sets.
    fn build(
        &self,
        req: &Ctx,
        store: &ProfileStore,
        kernel: &Kernel,
        plan: &Plan,
        key: &VariantKey,
        verification: Verification,
    ) -> Result<Variant, TransformError> {
        self.count(|s| s.builds += 1);
        if let Some(fleet) = self.cache().fleet() {
            let mut notices = Vec::new();
            let _ = fleet.count_build(key, &mut notices);
            self.notices(req, notices);
        }
        self.emit(req, || EventKind::Building {
            key: key.0.clone(),
            profile: plan.profile.clone(),
            steps: plan.steps.len(),
        });
        let deadline = Duration::from_millis(
            store
                .get(&plan.profile)
                .map_or(profile::SandboxPolicy::default().transform_ms, |p| {
                    p.sandbox.transform_ms
                }),
        );
        let built = self.shared.workers.build(
            &kernel.ir,
            &kernel.signature.entry,
            plan,
            &self.shared.host,
            deadline,
            &mut |r| self.emit(req, || EventKind::Step(StepEvent::from(r))),
        )?;
        self.emit(req, || EventKind::Compiled {
            object_bytes: built.object.len(),
            transform_micros: built.transform_micros,
            codegen_micros: built.codegen_micros,
        });
        let variant = Variant::from_build(built, kernel, plan, verification);
        // The key was computed before the build from the same target rule.
        debug_assert_eq!(&variant.key, key);
        Ok(variant)
    }

    /// The generic build of a kernel, from the cache or built now (once
    /// per key).
    fn generic(
        &self,
        req: &Ctx,
        kernel: &Kernel,
        vector: &CharacteristicVector,
        store: &ProfileStore,
    ) -> Result<Arc<Variant>, EngineError> {
        let plan = self.generic_plan(store, kernel, vector)?;
        let key = self.key_of(kernel, &plan);
        if let Some(v) = self.cache().peek(&key) {
            return Ok(v);
        }
        let (found, notices) = self.cache().get(&key);
        self.notices(req, notices);
        if let Some((v, _)) = found {
            return Ok(v);
        }
        let failed = |error: String| EngineError::Generic {
            kernel: kernel.name.clone(),
            error: TransformError::Codegen(error),
        };
        if let Some(reason) = lock(&self.shared.failed).get(&key).cloned() {
            return Err(failed(reason));
        }
        let wait = self.build_wait(&store.generic());
        let work = || -> Result<Arc<Variant>, Unbuilt> {
            let _lease = match self.fleet_turn(req, &key, Some(wait)) {
                Turn::Build(lease) => lease,
                Turn::Built(v) => return Ok(v),
                Turn::Elsewhere(holder) => return Err(Unbuilt::Elsewhere(holder)),
            };
            match self.build(req, store, kernel, &plan, &key, Verification::Reference) {
                Ok(v) => {
                    let (v, notices) = self.cache().put(v);
                    self.notices(req, notices);
                    Ok(v)
                }
                Err(e) => {
                    let reason = e.to_string();
                    lock(&self.shared.failed).put(key.clone(), reason.clone());
                    Err(Unbuilt::Failed(reason))
                }
            }
        };
        match self.shared.builds.run(&key, wait, work) {
            Ok((Ok(v), _)) => Ok(v),
            Ok((Err(Unbuilt::Failed(reason)), _)) => Err(failed(reason)),
            Ok((Err(Unbuilt::Elsewhere(holder)), _)) => Err(failed(format!(
                "{holder} was still building it after {:.1} s",
                wait.as_secs_f64()
            ))),
            Err(w) => Err(failed(w.to_string())),
        }
    }

    /// Before building `key`: this engine's turn (under the fleet's lease
    /// when there is a fleet), or what another engine built meanwhile.
    /// With `wait`, a key another engine is building is waited for up to
    /// that long (and built here after all if its value does not come);
    /// without, the request leaves at once and generic serves it. When
    /// Redis cannot answer, the build goes on here: the fleet saves work,
    /// it is never needed for an answer.
    fn fleet_turn(&self, req: &Ctx, key: &VariantKey, wait: Option<Duration>) -> Turn {
        let Some(fleet) = self.cache().fleet() else {
            return Turn::Build(None);
        };
        let started = Instant::now();
        let mut told = false;
        loop {
            let mut notices = Vec::new();
            let claim = fleet.claim(key, &mut notices);
            self.notices(req, notices);
            let holder = match claim {
                Err(_) => return Turn::Build(None),
                Ok(Claim::Won(lease)) => {
                    // Published between this request's lookup and its claim.
                    if let Some(v) = self.published(req, fleet, key) {
                        return Turn::Built(v);
                    }
                    return Turn::Build(Some(lease));
                }
                Ok(Claim::Taken { holder }) => holder,
            };
            if !told {
                told = true;
                self.emit(req, || EventKind::FleetBuilding {
                    key: key.0.clone(),
                    holder: holder.clone(),
                    waiting: wait.is_some(),
                });
            }
            let Some(limit) = wait else {
                return Turn::Elsewhere(holder);
            };
            // Until the value comes or the lease goes (its builder gave up
            // or died, and the key is free to claim).
            loop {
                if started.elapsed() >= limit {
                    return Turn::Build(None);
                }
                std::thread::sleep(FLEET_POLL);
                let mut notices = Vec::new();
                let progress = fleet.progress(key, &mut notices);
                self.notices(req, notices);
                match progress {
                    Err(_) => return Turn::Build(None),
                    Ok((_, true)) => match self.published(req, fleet, key) {
                        Some(v) => return Turn::Built(v),
                        // Refused (and deleted): claim it afresh.
                        None => break,
                    },
                    Ok((true, false)) => {}
                    Ok((false, false)) => break,
                }
            }
        }
    }

    /// The fleet's value of `key` if it has one now (through the cache,
    /// so it is checked and kept locally).
    fn published(&self, req: &Ctx, fleet: &Fleet, key: &VariantKey) -> Option<Arc<Variant>> {
        let mut notices = Vec::new();
        let there = matches!(fleet.progress(key, &mut notices), Ok((_, true)));
        self.notices(req, notices);
        if !there {
            return None;
        }
        let (found, notices) = self.cache().get(key);
        self.notices(req, notices);
        found.map(|(v, _)| v)
    }

    /// The generic build run on this input, as the request's policy says.
    fn run_generic(
        &self,
        req: &Ctx,
        kernel: &Kernel,
        input: &Input,
        vector: &CharacteristicVector,
        decided: &Decided,
    ) -> Result<(Execution, Outputs), EngineError> {
        let generic = self.generic(req, kernel, vector, &decided.store)?;
        Ok(self
            .shared
            .executors
            .execute(&generic, input, kernel.signature.ret, &decided.policy))
    }

    /// Runs a new variant beside the generic build on this request's input;
    /// the verdict, whether it is only transient (the sandbox, not the
    /// kernel, failed one of the runs), and the two runs' kernel times
    /// (generic's, the variant's: the guard's first pair).
    fn verify(
        &self,
        req: &Ctx,
        kernel: &Kernel,
        input: &Input,
        vector: &CharacteristicVector,
        decided: &Decided,
        variant: &Variant,
    ) -> Result<(Verification, bool, (u64, u64)), EngineError> {
        let at = Instant::now();
        let (g, g_out) = self.run_generic(req, kernel, input, vector, decided)?;
        let (v, v_out) =
            self.shared
                .executors
                .execute(variant, input, kernel.signature.ret, &decided.policy);
        let verification =
            match verify::compare_outputs(&variant.plan.tolerance, input, &g, &g_out, &v, &v_out) {
                Ok(()) => Verification::Verified,
                Err(reason) => Verification::Rejected(reason),
            };
        let transient =
            matches!(g.outcome, Outcome::Rejected(_)) || matches!(v.outcome, Outcome::Rejected(_));
        self.emit(req, || EventKind::Verified {
            verification: verification.clone(),
            variant: v.ret,
            generic: g.ret,
            micros: micros(at),
        });
        Ok((verification, transient, (g.kernel_nanos, v.kernel_nanos)))
    }

    fn shadow_due(&self) -> bool {
        let every = self.shared.shadow_every;
        every > 0 && self.shared.hits_seen.fetch_add(1, Ordering::Relaxed) % every == every - 1
    }

    /// A hit run again on the generic build and compared. On a mismatch the
    /// variant is cached as rejected (its key is not served again) and
    /// generic's run and the reason come back.
    #[allow(clippy::too_many_arguments)]
    fn shadow(
        &self,
        req: &Ctx,
        kernel: &Kernel,
        input: &Input,
        vector: &CharacteristicVector,
        decided: &Decided,
        variant: &Variant,
        execution: &Execution,
        outputs: &Outputs,
    ) -> Result<Option<(Execution, Outputs, String)>, EngineError> {
        let at = Instant::now();
        let (g, g_out) = self.run_generic(req, kernel, input, vector, decided)?;
        if g.outcome != Outcome::Ok || execution.outcome != Outcome::Ok {
            // Nothing to compare (a sandbox failure is not a verdict).
            return Ok(None);
        }
        let tol = &variant.plan.tolerance;
        let Err(reason) = verify::compare_outputs(tol, input, &g, &g_out, execution, outputs)
        else {
            return Ok(None);
        };
        let reason = format!("shadow verification on a later input: {reason}");
        let mut rejected = variant.clone();
        rejected.verification = Verification::Rejected(reason.clone());
        let (_, notices) = self.cache().put(rejected);
        self.notices(req, notices);
        self.count(|s| s.rejected += 1);
        self.emit(req, || EventKind::Verified {
            verification: Verification::Rejected(reason.clone()),
            variant: execution.ret,
            generic: g.ret,
            micros: micros(at),
        });
        Ok(Some((g, g_out, reason)))
    }

    fn execute(
        &self,
        req: &Ctx,
        serving: &Variant,
        kernel: &Kernel,
        input: &Input,
        policy: &ExecPolicy,
        served_by: Served,
    ) -> (Execution, Outputs) {
        let (execution, outputs) =
            self.shared
                .executors
                .execute(serving, input, kernel.signature.ret, policy);
        self.emit(req, || EventKind::Executed {
            variant: serving.key.0.clone(),
            served_by,
            execution: execution.clone(),
        });
        (execution, outputs)
    }
}

/// The `out:` arrays after the run: summaries, and the arrays in full.
fn outputs_of(input: &Input, outputs: Outputs) -> (Vec<OutputSummary>, Vec<(String, Buffer)>) {
    let mut summaries = Vec::new();
    let mut arrays = Vec::new();
    let mut written = outputs.0;
    written.resize(input.args.len(), None);
    for (a, after) in input.args.iter().zip(written) {
        if a.role != Role::Out {
            continue;
        }
        let Some(b) = after.or_else(|| a.value.as_array().cloned()) else {
            continue;
        };
        let view = b.view();
        summaries.push(OutputSummary {
            name: a.name.clone(),
            len: view.len(),
            head: (0..view.len().min(8)).map(|i| view.get_f64(i)).collect(),
        });
        arrays.push((a.name.clone(), b));
    }
    (summaries, arrays)
}

/// What a decision depends on, as one string: the store's generation, the
/// kernel (its hash, entry and name: all of `KernelInfo`), a forced profile, every argument's name and kind, scalars'
/// values, and the values of the array features the profiles read (all of
/// them when an expression reads an entry whole). Floats by their bits.
fn memo_key(
    live: &Live,
    kernel: &Kernel,
    vector: &CharacteristicVector,
    forced: Option<&str>,
) -> String {
    use crate::analyze::{ArgKind, FeatureValue};
    use std::fmt::Write as _;
    let reads = &live.reads;
    let everything = reads.everything
        || vector
            .args
            .iter()
            .any(|a| a.kind == ArgKind::Array && reads.names.contains(&a.name));
    let mut k = format!(
        "{}|{}|{}|{}|{}|{}",
        live.generation,
        kernel.hash,
        kernel.signature.entry,
        kernel.name,
        forced.unwrap_or(""),
        vector.total_bytes
    );
    for a in &vector.args {
        let _ = write!(k, "|{}:{:?}:{}:{}", a.name, a.kind, a.ty, a.out);
        for (f, v, _) in &a.features {
            if a.kind == ArgKind::Array && !everything && !reads.features.contains(f) {
                continue;
            }
            let _ = match v {
                FeatureValue::Bool(b) => write!(k, ",{f}={b}"),
                FeatureValue::Int(i) => write!(k, ",{f}={i}"),
                FeatureValue::Float(x) => write!(k, ",{f}={:x}", x.to_bits()),
            };
        }
    }
    k
}
