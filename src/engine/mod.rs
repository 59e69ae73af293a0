//! The request path (DESIGN §1): analyze, select, plan, key, cache, and on
//! a miss transform, compile, verify and store; then execute. Every stage
//! emits an [`Event`]; the engine never knows who listens.

pub mod event;
pub mod verify;

pub use event::{Event, EventKind, Served, StepEvent};

use crate::analyze::{self, CharacteristicVector};
use crate::cache::{
    CacheConfig, CacheError, CacheNotice, Target, Variant, VariantCache, VariantKey, Verification,
};
use crate::input::{Input, InputError, InputSpec, Scalar};
use crate::kernel::{Kernel, KernelError};
use crate::profile::{self, KernelInfo, Plan, PlanError, ProfileStore, Selection};
use crate::sandbox::pool::{ExecPolicy, ExecPool, SandboxConfig};
use crate::sandbox::worker::WorkerPool;
use crate::sandbox::{Execution, Executor};
use crate::transform::{codegen, TransformError};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

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
    Sandbox(String),
    /// The worker refused or could not load the kernel (the message names
    /// the file).
    #[error("{0}")]
    Refused(String),
    #[error("the generic build of `{kernel}` failed: {error}")]
    Generic {
        kernel: String,
        error: TransformError,
    },
}

/// A request made ready: its spec, kernel, arguments and their vector.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub spec: InputSpec,
    pub kernel: Arc<Kernel>,
    pub input: Arc<Input>,
    pub vector: CharacteristicVector,
    pub analysis_micros: u64,
}

impl Prepared {
    pub fn kernel_info(&self) -> KernelInfo {
        KernelInfo {
            name: self.kernel.name.clone(),
            entry: self.kernel.signature.entry.clone(),
            hash: self.kernel.hash.clone(),
        }
    }
}

/// Loads an input spec and its kernel, makes the arguments and analyzes
/// them (no caching: see [`Engine`] for the request path).
pub fn prepare(spec_path: &Path) -> Result<Prepared, EngineError> {
    let spec = InputSpec::load(spec_path)?;
    let kernel = Arc::new(Kernel::load(&spec.kernel, spec.entry.as_deref())?);
    let input = Arc::new(spec.materialize(&kernel.signature)?);
    analyzed(spec, kernel, input)
}

fn analyzed(
    spec: InputSpec,
    kernel: Arc<Kernel>,
    input: Arc<Input>,
) -> Result<Prepared, EngineError> {
    let started = Instant::now();
    let vector = analyze::analyze(&input);
    Ok(Prepared {
        spec,
        kernel,
        input,
        vector,
        analysis_micros: started.elapsed().as_micros() as u64,
    })
}

/// Which profile a prepared request selects, and the Plan it makes.
#[derive(Debug)]
pub struct Decision {
    pub selection: Selection,
    pub plan: Result<Plan, PlanError>,
}

pub fn decide(store: &ProfileStore, prepared: &Prepared) -> Decision {
    // One scope for both: building it turns the whole vector into CEL values.
    let scope = profile::Scope::new(&prepared.vector, &prepared.kernel_info());
    let selection = store.select_in(&scope);
    let plan = profile::plan_in(&selection.profile, &prepared.vector, &scope);
    Decision { selection, plan }
}

/// Where a request's time went, in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Timings {
    pub prepare: u64,
    pub analyze: u64,
    pub plan: u64,
    pub transform: u64,
    pub codegen: u64,
    pub verify: u64,
    pub execute: u64,
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
    pub served_by: Served,
    pub verification: Verification,
    pub execution: Execution,
    pub result: Option<Scalar>,
    pub outputs: Vec<OutputSummary>,
    pub timings: Timings,
}

/// Request counters the engine keeps (the cache keeps its own).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct EngineStats {
    pub requests: u64,
    pub hits: u64,
    pub misses: u64,
    pub rejected: u64,
    pub failed: u64,
}

pub struct EngineConfig {
    pub profiles: PathBuf,
    pub cache: CacheConfig,
}

type Stamp = (PathBuf, Option<SystemTime>);

fn stamp(path: &Path) -> Stamp {
    let mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    (path.to_owned(), mtime)
}

/// Kernels and inputs kept for reuse, at most: edited files leave stale
/// entries behind, and inputs can be large.
const REUSE: usize = 64;

fn bounded_insert<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, value: V) {
    if map.len() >= REUSE {
        map.clear();
    }
    map.insert(key, value);
}

/// The request path over one profile store, one cache and one executor.
pub struct Engine {
    store: ProfileStore,
    cache: VariantCache,
    executor: Box<dyn Executor>,
    workers: WorkerPool,
    host: Target,
    subscribers: Vec<Sender<Event>>,
    next_request: u64,
    stats: EngineStats,
    /// Kernels by source file, modification time and entry: loading C
    /// means a clang run, which a hit must not pay.
    kernels: HashMap<(Stamp, Option<String>), Arc<Kernel>>,
    /// Materialized inputs by spec file, the data files it reads (with
    /// their modification times) and the kernel.
    inputs: HashMap<(Stamp, Vec<Stamp>, String), Arc<Input>>,
}

struct Request {
    id: u64,
    started: Instant,
}

impl Engine {
    pub fn new(config: EngineConfig) -> Result<Engine, EngineError> {
        let store = crate::cli::load_store(&config.profiles);
        let cache = VariantCache::new(config.cache)?;
        let host = codegen::host().map_err(EngineError::Host)?;
        let sandbox = SandboxConfig::locate().map_err(EngineError::Sandbox)?;
        let workers = WorkerPool::new(sandbox.worker_binary.clone(), sandbox.workers)
            .map_err(EngineError::Sandbox)?;
        let executor = ExecPool::new(sandbox).map_err(EngineError::Sandbox)?;
        Ok(Engine {
            store,
            cache,
            executor: Box::new(executor),
            workers,
            host,
            subscribers: Vec::new(),
            next_request: 1,
            stats: EngineStats::default(),
            kernels: HashMap::new(),
            inputs: HashMap::new(),
        })
    }

    /// A new listener for every event from now on.
    pub fn subscribe(&mut self) -> Receiver<Event> {
        let (tx, rx) = channel();
        self.subscribers.push(tx);
        rx
    }

    pub fn store(&self) -> &ProfileStore {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut ProfileStore {
        &mut self.store
    }

    pub fn cache(&self) -> &VariantCache {
        &self.cache
    }

    pub fn cache_mut(&mut self) -> &mut VariantCache {
        &mut self.cache
    }

    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    pub fn host(&self) -> &Target {
        &self.host
    }

    /// A cached variant's assembly (a key or a unique prefix), compiled in
    /// a sandboxed worker.
    pub fn assembly(&mut self, key: &str) -> Result<String, String> {
        let v = self.cache.load(key).map_err(|e| e.to_string())?;
        self.workers.assembly(&v.optimized_ir, &v.target)
    }

    /// Which profile a prepared request selects, and its Plan.
    pub fn decide(&self, prepared: &Prepared) -> Decision {
        decide(&self.store, prepared)
    }

    /// The sandbox processes' ids: build workers, then executors (dead ones
    /// are replaced first).
    pub fn sandbox_pids(&mut self) -> (Vec<u32>, Vec<u32>) {
        self.workers.heal();
        self.executor.heal();
        (self.workers.pids(), self.executor_pids())
    }

    fn executor_pids(&self) -> Vec<u32> {
        self.executor.pids()
    }

    /// What confinement each sandbox process reports.
    pub fn confinement(&mut self) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
        (self.workers.confinement(), self.executor.confinement())
    }

    fn emit(&mut self, req: &Request, kind: EventKind) {
        let event = Event {
            request: req.id,
            at_micros: req.started.elapsed().as_micros() as u64,
            kind,
        };
        self.subscribers.retain(|s| s.send(event.clone()).is_ok());
    }

    fn notices(&mut self, req: &Request, notices: Vec<CacheNotice>) {
        for n in notices {
            let message = match n {
                CacheNotice::Corrupt { key, path, reason } => format!(
                    "removed corrupt cache entry {} ({}): {reason}",
                    key.short(),
                    path.display()
                ),
                CacheNotice::Evicted { key } => format!("evicted {} from memory", key.short()),
                CacheNotice::DiskError { path, reason } => {
                    format!("cache disk error at {}: {reason}", path.display())
                }
            };
            self.emit(req, EventKind::CacheNotice { message });
        }
    }

    /// Spec, kernel (parsed and admitted in a worker) and arguments,
    /// reusing what is unchanged on disk, analyzed.
    pub fn prepare(&mut self, spec_path: &Path) -> Result<Prepared, EngineError> {
        let spec = InputSpec::load(spec_path)?;
        let kstamp = (stamp(&spec.kernel), spec.entry.clone());
        let kernel = match self.kernels.get(&kstamp) {
            Some(k) => k.clone(),
            None => {
                let k = self
                    .workers
                    .load_kernel(&spec.kernel, spec.entry.as_deref())
                    .map_err(EngineError::Refused)?;
                let k = Arc::new(k);
                bounded_insert(&mut self.kernels, kstamp, k.clone());
                k
            }
        };
        let files = spec.data_files().iter().map(|f| stamp(f)).collect();
        let istamp = (stamp(spec_path), files, kernel.hash.clone());
        let input = match self.inputs.get(&istamp) {
            Some(i) => i.clone(),
            None => {
                let i = Arc::new(spec.materialize(&kernel.signature)?);
                bounded_insert(&mut self.inputs, istamp, i.clone());
                i
            }
        };
        analyzed(spec, kernel, input)
    }

    /// Builds a Plan's variant (not verified, not stored).
    fn build(
        &mut self,
        req: &Request,
        prepared: &Prepared,
        plan: &Plan,
        key: &VariantKey,
        verification: Verification,
    ) -> Result<Variant, TransformError> {
        self.emit(
            req,
            EventKind::Building {
                key: key.0.clone(),
                profile: plan.profile.clone(),
                steps: plan.steps.len(),
            },
        );
        let deadline = std::time::Duration::from_millis(
            self.store
                .get(&plan.profile)
                .map_or(crate::profile::SandboxPolicy::default().transform_ms, |p| {
                    p.sandbox.transform_ms
                }),
        );
        // Steps are emitted as the worker reports them (the workers are
        // borrowed meanwhile, so emit through a copy of the subscribers).
        let mut subscribers = self.subscribers.clone();
        let (id, started) = (req.id, req.started);
        let built = self.workers.build(
            &prepared.kernel.ir,
            &prepared.kernel.signature.entry,
            plan,
            &self.host,
            deadline,
            &mut |r| {
                let event = Event {
                    request: id,
                    at_micros: started.elapsed().as_micros() as u64,
                    kind: EventKind::Step(StepEvent::from(r)),
                };
                subscribers.retain(|s| s.send(event.clone()).is_ok());
            },
        );
        let built = built?;
        self.emit(
            req,
            EventKind::Compiled {
                object_bytes: built.object.len(),
                transform_micros: built.transform_micros,
                codegen_micros: built.codegen_micros,
            },
        );
        let variant = Variant::from_build(built, &prepared.kernel, plan, verification);
        // The key was computed before the build from the same target rule.
        debug_assert_eq!(&variant.key, key);
        Ok(variant)
    }

    fn generic_plan(&self, prepared: &Prepared) -> Result<Plan, EngineError> {
        profile::plan(
            &self.store.generic(),
            &prepared.vector,
            &prepared.kernel_info(),
        )
        .map_err(|e| EngineError::Generic {
            kernel: prepared.kernel.name.clone(),
            error: TransformError::Step {
                node: e.node,
                transform: "plan".into(),
                message: e.problem,
            },
        })
    }

    /// The generic build of a kernel, from the cache or built now.
    fn generic(&mut self, req: &Request, prepared: &Prepared) -> Result<Arc<Variant>, EngineError> {
        let plan = self.generic_plan(prepared)?;
        let target = codegen::target_for(&plan, &self.host).0;
        let key = VariantKey::new(
            &prepared.kernel.hash,
            &prepared.kernel.signature.entry,
            &plan,
            &target,
        );
        if let Some(v) = self.cache.peek(&key) {
            return Ok(v);
        }
        let (found, notices) = self.cache.get(&key);
        self.notices(req, notices);
        if let Some((v, _)) = found {
            return Ok(v);
        }
        let v = self
            .build(req, prepared, &plan, &key, Verification::Reference)
            .map_err(|error| EngineError::Generic {
                kernel: prepared.kernel.name.clone(),
                error,
            })?;
        let (v, notices) = self.cache.put(v);
        self.notices(req, notices);
        Ok(v)
    }

    fn execute(
        &mut self,
        variant: &Variant,
        prepared: &Prepared,
        policy: &ExecPolicy,
    ) -> (Execution, Input) {
        let mut args = (*prepared.input).clone();
        let e =
            self.executor
                .execute_with(variant, &mut args, prepared.kernel.signature.ret, policy);
        (e, args)
    }

    /// Runs one request: the input spec at `spec`.
    pub fn run(&mut self, spec: &Path) -> Result<Response, EngineError> {
        let req = Request {
            id: self.next_request,
            started: Instant::now(),
        };
        self.next_request += 1;
        self.stats.requests += 1;
        self.emit(
            &req,
            EventKind::Received {
                input: spec.to_owned(),
            },
        );
        let result = self.run_request(&req, spec);
        if let Err(e) = &result {
            self.stats.failed += 1;
            self.emit(
                &req,
                EventKind::Failed {
                    error: e.to_string(),
                },
            );
        }
        result
    }

    fn run_request(&mut self, req: &Request, spec: &Path) -> Result<Response, EngineError> {
        let mut t = Timings::default();
        let started = Instant::now();
        let prepared = self.prepare(spec)?;
        t.analyze = prepared.analysis_micros;
        t.prepare = (started.elapsed().as_micros() as u64).saturating_sub(t.analyze);
        self.emit(
            req,
            EventKind::Analyzed {
                kernel: prepared.kernel.name.clone(),
                kernel_hash: prepared.kernel.hash.clone(),
                signature: prepared.kernel.signature.to_string(),
                summary: crate::cli::key_features(&prepared.vector),
                sampled: prepared.vector.sampled,
                micros: prepared.analysis_micros,
            },
        );

        let planning = Instant::now();
        let decision = decide(&self.store, &prepared);
        self.emit(
            req,
            EventKind::Selected {
                profile: decision.selection.profile.name.clone(),
                priority: decision.selection.profile.priority,
                candidates: decision.selection.candidates.clone(),
            },
        );
        let plan = match decision.plan {
            Ok(plan) => plan,
            Err(e) => {
                self.emit(
                    req,
                    EventKind::PlanFailed {
                        error: e.to_string(),
                    },
                );
                self.generic_plan(&prepared)?
            }
        };
        self.emit(req, EventKind::Planned { plan: plan.clone() });
        let sandbox = decision.selection.profile.sandbox;
        let policy = ExecPolicy {
            isolation: sandbox.isolation,
            deadline_ms: sandbox.execute_ms,
        };
        let is_generic = plan.profile == profile::GENERIC;
        let target = codegen::target_for(&plan, &self.host).0;
        let key = VariantKey::new(
            &prepared.kernel.hash,
            &prepared.kernel.signature.entry,
            &plan,
            &target,
        );
        t.plan = planning.elapsed().as_micros() as u64;

        let (found, notices) = self.cache.get(&key);
        self.notices(req, notices);
        let hit = found.is_some();
        self.emit(
            req,
            EventKind::Cache {
                key: key.0.clone(),
                hit,
                tier: found.as_ref().map(|(_, tier)| *tier),
            },
        );
        if hit {
            self.stats.hits += 1;
        } else {
            self.stats.misses += 1;
        }

        let variant: Option<Arc<Variant>> = match found {
            Some((v, _)) => Some(v),
            None => {
                let verification = if is_generic {
                    Verification::Reference
                } else {
                    Verification::Verified
                };
                match self.build(req, &prepared, &plan, &key, verification) {
                    Ok(mut v) => {
                        t.transform = v.transform_micros;
                        t.codegen = v.codegen_micros;
                        let mut transient = false;
                        if !is_generic {
                            let checking = Instant::now();
                            (v.verification, transient) =
                                self.verify(req, &prepared, &v, &policy)?;
                            t.verify = checking.elapsed().as_micros() as u64;
                        }
                        if transient {
                            // The sandbox could not run one of the builds: no
                            // verdict on the variant, so nothing is cached.
                            Some(Arc::new(v))
                        } else {
                            let (v, notices) = self.cache.put(v);
                            self.notices(req, notices);
                            Some(v)
                        }
                    }
                    Err(e) => {
                        self.emit(
                            req,
                            EventKind::TransformFailed {
                                error: e.to_string(),
                            },
                        );
                        if is_generic {
                            return Err(EngineError::Generic {
                                kernel: prepared.kernel.name.clone(),
                                error: e,
                            });
                        }
                        None
                    }
                }
            }
        };

        let (serving, served_by, verification) = match &variant {
            Some(v) if !matches!(v.verification, Verification::Rejected(_)) => {
                (v.clone(), Served::Variant, v.verification.clone())
            }
            other => {
                let verification = match other {
                    Some(v) => v.verification.clone(),
                    None => Verification::Rejected("the variant could not be built".to_owned()),
                };
                self.stats.rejected += 1;
                (self.generic(req, &prepared)?, Served::Generic, verification)
            }
        };
        let (execution, args) = self.execute(&serving, &prepared, &policy);
        t.execute = execution.kernel_nanos / 1000;
        self.emit(
            req,
            EventKind::Executed {
                variant: serving.key.0.clone(),
                served_by,
                execution: execution.clone(),
            },
        );
        let outputs = args
            .args
            .iter()
            .filter(|a| a.role == crate::input::Role::Out)
            .filter_map(|a| a.value.as_array().map(|b| (a.name.clone(), b)))
            .map(|(name, b)| {
                let view = b.view();
                OutputSummary {
                    name,
                    len: view.len(),
                    head: (0..view.len().min(8)).map(|i| view.get_f64(i)).collect(),
                }
            })
            .collect();
        t.total = req.started.elapsed().as_micros() as u64;
        self.emit(
            req,
            EventKind::Finished {
                result: execution.ret,
                hit,
                total_micros: t.total,
            },
        );
        Ok(Response {
            request: req.id,
            input: spec.to_owned(),
            kernel: prepared.kernel.name.clone(),
            profile: plan.profile.clone(),
            plan,
            key: key.0,
            hit,
            served_by,
            verification,
            result: execution.ret,
            execution,
            outputs,
            timings: t,
        })
    }

    /// Runs a new variant beside the generic build on this request's input.
    fn verify(
        &mut self,
        req: &Request,
        prepared: &Prepared,
        variant: &Variant,
        policy: &ExecPolicy,
    ) -> Result<(Verification, bool), EngineError> {
        let started = Instant::now();
        let generic = self.generic(req, prepared)?;
        let (g, g_args) = self.execute(&generic, prepared, policy);
        let (v, v_args) = self.execute(variant, prepared, policy);
        let verification = match verify::compare(&variant.plan.tolerance, &g, &g_args, &v, &v_args)
        {
            Ok(()) => Verification::Verified,
            Err(reason) => Verification::Rejected(reason),
        };
        // `Rejected` outcomes are the sandbox's (lost processes, a load
        // failure), not the kernel's: no verdict worth keeping.
        let transient = matches!(g.outcome, crate::sandbox::Outcome::Rejected(_))
            || matches!(v.outcome, crate::sandbox::Outcome::Rejected(_));
        self.emit(
            req,
            EventKind::Verified {
                verification: verification.clone(),
                variant: v.ret,
                generic: g.ret,
                micros: started.elapsed().as_micros() as u64,
            },
        );
        Ok((verification, transient))
    }
}
