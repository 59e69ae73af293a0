//! The build worker (`tailor worker`): a warm process with LLVM and the
//! host target initialized once, confined, that parses and admits user
//! code and runs the transformation pipeline and codegen for the engine.
//! Nothing derived from user code is parsed or optimized in the engine's
//! process. Steps stream back as they finish.

use super::process::{Proc, ProcError};
use super::slots::ProcPool;
use super::wire::{recv, send};
use crate::kernel::{Kernel, SourceKind};
use crate::profile::Plan;
use crate::target::Target;
use crate::transform::log::StepRecord;
use crate::transform::{Built, TransformError};
use serde::{Deserialize, Serialize};
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The worker's address space: LLVM on a big module needs room, a
/// runaway optimizer must not take the machine.
const ADDRESS_SPACE: u64 = 8 << 30;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum WorkerRequest {
    /// Payload: `.ll` text or `.bc` bitcode (C is compiled by clang first).
    Load {
        path: PathBuf,
        parse_as: SourceKind,
        record_as: SourceKind,
        entry: Option<String>,
    },
    /// Payload: the kernel's canonical IR.
    Build {
        entry: String,
        plan: Box<Plan>,
        host: Target,
    },
    /// Payload: optimized IR; the reply is its assembly for `target`.
    Assembly {
        target: Target,
    },
    /// Whether LLVM takes a profile's pass pipeline (run on an empty
    /// module: a pipeline that crashes LLVM takes only this worker down).
    CheckPipeline {
        pipeline: String,
    },
    Ping,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum WorkerReply {
    Assembly {
        text: String,
    },
    Loaded {
        kernel: Box<Kernel>,
    },
    Refused {
        error: String,
    },
    /// One step finished (more messages follow).
    Step {
        record: Box<StepRecord>,
    },
    /// Payload: the object code.
    Built {
        target: Target,
        optimized_ir: String,
        writes: Vec<bool>,
        transform_micros: u64,
        codegen_micros: u64,
    },
    BuildFailed {
        error: TransformError,
    },
    Pong {
        pid: u32,
        confinement: Vec<String>,
    },
    Checked {
        error: Option<String>,
    },
}

/// `tailor worker`: initialize LLVM, confine, serve.
pub fn main() -> i32 {
    let host = match crate::transform::codegen::host() {
        Ok(h) => h,
        Err(_) => return 2,
    };
    // Touch what LLVM would otherwise look up lazily (and perhaps read from
    // files) before the filter is in place.
    let _ = crate::transform::codegen::machine(&host);
    let _ = crate::llvm::check_pass_pipeline("default<O3>");
    let confinement = super::confine::confine(super::confine::Role::Worker, ADDRESS_SPACE);
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut r = BufReader::new(stdin.lock());
    let mut w = BufWriter::new(stdout.lock());
    loop {
        let msg: Option<(WorkerRequest, Vec<u8>)> = match recv(&mut r, super::wire::MAX_PAYLOAD) {
            Ok(m) => m,
            Err(_) => return 2,
        };
        let Some((req, payload)) = msg else {
            return 0;
        };
        let sent = match req {
            WorkerRequest::Ping => send(
                &mut w,
                &WorkerReply::Pong {
                    pid: std::process::id(),
                    confinement: confinement.clone(),
                },
                &[],
            ),
            WorkerRequest::Load {
                path,
                parse_as,
                record_as,
                entry,
            } => {
                let reply = match Kernel::from_bytes(&path, parse_as, &payload, entry.as_deref()) {
                    Ok(mut k) => {
                        k.source = record_as;
                        WorkerReply::Loaded {
                            kernel: Box::new(k),
                        }
                    }
                    Err(e) => WorkerReply::Refused {
                        error: e.to_string(),
                    },
                };
                send(&mut w, &reply, &[])
            }
            WorkerRequest::CheckPipeline { pipeline } => send(
                &mut w,
                &WorkerReply::Checked {
                    error: crate::llvm::check_pass_pipeline(&pipeline).err(),
                },
                &[],
            ),
            WorkerRequest::Assembly { target } => {
                let ir = String::from_utf8_lossy(&payload);
                let reply = match crate::transform::codegen::assembly(&ir, &target) {
                    Ok(text) => WorkerReply::Assembly { text },
                    Err(error) => WorkerReply::Refused { error },
                };
                send(&mut w, &reply, &[])
            }
            WorkerRequest::Build { entry, plan, host } => {
                let ir = String::from_utf8_lossy(&payload);
                let mut io_ok = true;
                let built = crate::transform::build(&ir, &entry, &plan, &host, &mut |rec| {
                    io_ok &= send(
                        &mut w,
                        &WorkerReply::Step {
                            record: Box::new(rec.clone()),
                        },
                        &[],
                    )
                    .is_ok();
                });
                if !io_ok {
                    return 2;
                }
                match built {
                    Ok(b) if b.object.len() as u64 > MAX_OBJECT => send(
                        &mut w,
                        &WorkerReply::BuildFailed {
                            error: TransformError::Codegen(format!(
                                "the object code is {} bytes, over the cap of {} MiB",
                                b.object.len(),
                                MAX_OBJECT >> 20
                            )),
                        },
                        &[],
                    ),
                    Ok(b) => send(
                        &mut w,
                        &WorkerReply::Built {
                            target: b.target,
                            optimized_ir: b.optimized_ir,
                            writes: b.writes,
                            transform_micros: b.transform_micros,
                            codegen_micros: b.codegen_micros,
                        },
                        &b.object,
                    ),
                    Err(error) => send(&mut w, &WorkerReply::BuildFailed { error }, &[]),
                }
            }
        };
        if sent.is_err() {
            return 2;
        }
    }
}

/// The engine's pool of build workers, checked out by one request at a
/// time.
pub struct WorkerPool {
    procs: ProcPool<Proc>,
}

fn died(e: &ProcError) -> String {
    match e {
        ProcError::Timeout => "it ran past its deadline and was killed".to_owned(),
        other => other.to_string(),
    }
}

/// Object code larger than this is refused: no kernel needs it, and a
/// hostile one could otherwise make gigabytes of it.
pub const MAX_OBJECT: u64 = 256 << 20;
/// Replies other than a build's object carry their data in the header.
const SMALL_REPLY: u64 = 1 << 20;

impl WorkerPool {
    pub fn new(binary: PathBuf, size: usize) -> Result<WorkerPool, super::SandboxError> {
        let first = size.max(1) as u64;
        let procs = ProcPool::new(size, move |id| {
            let mut p = Proc::spawn(&binary, &["worker"], id)?;
            // The engine checks the first ones itself; a replacement is
            // checked here before it serves (a dropped `Proc` is killed).
            if id > first {
                let confinement = match p.request::<_, WorkerReply>(
                    &WorkerRequest::Ping,
                    &[],
                    Instant::now() + Duration::from_secs(10),
                    SMALL_REPLY,
                ) {
                    Ok((WorkerReply::Pong { confinement, .. }, _)) => confinement,
                    _ => Vec::new(),
                };
                super::confine::check(
                    &[(format!("worker #{id} (a replacement)"), confinement)],
                    &super::confine::optional_from_env(),
                )?;
            }
            Ok(p)
        })
        .map_err(super::SandboxError::Start)?;
        Ok(WorkerPool { procs })
    }

    pub fn pids(&self) -> Vec<u32> {
        self.procs.pids()
    }

    /// Workers replaced after dying.
    pub fn respawns(&self) -> u64 {
        self.procs.respawns()
    }

    /// Replaces every worker that died while idle.
    pub fn heal(&self) {
        self.procs.heal()
    }

    /// What confinement each worker reports.
    pub fn confinement(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        for i in 0..self.procs.len() {
            let mut slot = self.procs.checkout_at(i);
            let Ok(p) = slot.process() else { continue };
            if let Ok((WorkerReply::Pong { confinement, .. }, _)) = p.request::<_, WorkerReply>(
                &WorkerRequest::Ping,
                &[],
                Instant::now() + Duration::from_secs(10),
                SMALL_REPLY,
            ) {
                out.push(confinement);
            }
        }
        out
    }

    /// Sends one request to an idle worker, replacing it if it dies; one
    /// retry on another worker, since the first may have died of something
    /// else. A deadline is the request's own doing: no retry.
    fn with_worker<T>(
        &self,
        mut op: impl FnMut(&mut Proc) -> Result<T, ProcError>,
    ) -> Result<T, String> {
        let mut last = String::new();
        let mut avoid = None;
        for _ in 0..2 {
            let mut slot = self.procs.checkout(None, avoid);
            avoid = Some(slot.index());
            let p = match slot.process() {
                Ok(p) => p,
                Err(e) => {
                    last = format!("cannot start a worker: {e}");
                    continue;
                }
            };
            match op(p) {
                Ok(t) => return Ok(t),
                Err(ProcError::Timeout) => {
                    slot.replace();
                    return Err(died(&ProcError::Timeout));
                }
                Err(e) => {
                    slot.replace();
                    last = died(&e);
                }
            }
        }
        Err(format!("the worker died twice on this request ({last})"))
    }

    /// Parses and admits a kernel (`.ll` text or `.bc` bitcode; C is
    /// compiled to `.ll` by the caller) in a worker. `name` stands for the
    /// code in messages and names the kernel.
    pub fn load_kernel(
        &self,
        name: &Path,
        parse_as: SourceKind,
        record_as: SourceKind,
        bytes: &[u8],
        entry: Option<&str>,
    ) -> Result<Kernel, String> {
        let req = WorkerRequest::Load {
            path: name.to_owned(),
            parse_as,
            record_as,
            entry: entry.map(str::to_owned),
        };
        let reply = self
            .with_worker(|p| {
                p.request::<_, WorkerReply>(
                    &req,
                    bytes,
                    Instant::now() + Duration::from_secs(30),
                    SMALL_REPLY,
                )
            })
            .map_err(|e| format!("{}: loading the kernel: {e}", name.display()))?;
        match reply.0 {
            WorkerReply::Loaded { kernel } => Ok(*kernel),
            WorkerReply::Refused { error } => Err(error),
            other => Err(format!("{}: unexpected reply {other:?}", name.display())),
        }
    }

    /// Whether LLVM takes a pass pipeline, asked of a worker: a pipeline
    /// that crashes LLVM (`trigger-crash-module`) or makes it touch files
    /// (`dot-callgraph`) ends that worker, not the caller.
    pub fn check_pipeline(&self, pipeline: &str) -> Result<(), String> {
        let req = WorkerRequest::CheckPipeline {
            pipeline: pipeline.to_owned(),
        };
        let reply = self
            .with_worker(|p| {
                p.request::<_, WorkerReply>(
                    &req,
                    &[],
                    Instant::now() + Duration::from_secs(10),
                    SMALL_REPLY,
                )
            })
            .map_err(|e| format!("LLVM did not survive checking this pipeline: {e}"))?;
        match reply.0 {
            WorkerReply::Checked { error: None } => Ok(()),
            WorkerReply::Checked { error: Some(e) } => Err(e),
            other => Err(format!("unexpected reply {other:?}")),
        }
    }

    /// The assembly of a variant's optimized IR, made in a worker.
    pub fn assembly(&self, ir: &str, target: &Target) -> Result<String, String> {
        let req = WorkerRequest::Assembly {
            target: target.clone(),
        };
        let reply = self.with_worker(|p| {
            p.request::<_, WorkerReply>(
                &req,
                ir.as_bytes(),
                Instant::now() + Duration::from_secs(30),
                SMALL_REPLY,
            )
        })?;
        match reply.0 {
            WorkerReply::Assembly { text } => Ok(text),
            WorkerReply::Refused { error } => Err(error),
            other => Err(format!("unexpected reply {other:?}")),
        }
    }

    /// Runs the pipeline and codegen in a worker; `deadline` covers the
    /// whole build (every streamed step and the object), not each message.
    pub fn build(
        &self,
        ir: &str,
        entry: &str,
        plan: &Plan,
        host: &Target,
        deadline: Duration,
        on_step: &mut dyn FnMut(&StepRecord),
    ) -> Result<Built, TransformError> {
        let req = WorkerRequest::Build {
            entry: entry.to_owned(),
            plan: Box::new(plan.clone()),
            host: host.clone(),
        };
        let mut steps: Vec<StepRecord> = Vec::new();
        let result = self.with_worker(|p| {
            steps.clear();
            let end = Instant::now() + deadline;
            let mut reply = p.request::<_, WorkerReply>(&req, ir.as_bytes(), end, MAX_OBJECT)?;
            loop {
                match reply {
                    (WorkerReply::Step { record }, _) => {
                        // Live: the workbench shows each step as it ends.
                        on_step(&record);
                        steps.push(*record);
                        reply = p.next::<WorkerReply>(end, MAX_OBJECT)?;
                    }
                    other => return Ok(other),
                }
            }
        });
        match result {
            Ok((
                WorkerReply::Built {
                    target,
                    optimized_ir,
                    writes,
                    transform_micros,
                    codegen_micros,
                },
                object,
            )) => Ok(Built {
                target,
                optimized_ir,
                writes,
                steps,
                object,
                transform_micros,
                codegen_micros,
            }),
            Ok((WorkerReply::BuildFailed { error }, _)) => Err(error),
            Ok((other, _)) => Err(TransformError::Codegen(format!(
                "unexpected reply {other:?}"
            ))),
            Err(e) => Err(TransformError::Step {
                node: steps
                    .last()
                    .map_or("prepare".to_owned(), |s| format!("after {}", s.node)),
                transform: "worker".to_owned(),
                message: format!("LLVM did not finish: {e}"),
            }),
        }
    }
}
