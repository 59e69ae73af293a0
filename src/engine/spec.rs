//! Input specs as one way to make a [`Request`]: the CLI, the workbench and
//! the tests name inputs by file; the engine itself only sees bytes. The
//! kernel a spec names is registered by content (an unchanged file costs a
//! read and a hash, never clang or a worker); its arguments are
//! materialized and kept while the spec and its data files are unchanged.

use super::{Engine, EngineError, KernelRef, KernelSource, Prepared, Request, Response};
use crate::input::{Input, InputSpec};
use crate::kernel::Kernel;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

type Stamp = (PathBuf, Option<SystemTime>, Option<u64>);

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok();
    (
        path.to_owned(),
        meta.as_ref().and_then(|m| m.modified().ok()),
        meta.map(|m| m.len()),
    )
}

/// A materialized input's identity: the spec file, the data files it
/// reads, and the kernel's hash.
type InputKey = (Stamp, Vec<Stamp>, String);

/// Materialized inputs, at most [`KEPT`] of them (inputs can be large).
#[derive(Default)]
pub(super) struct Inputs {
    kept: Mutex<HashMap<InputKey, Arc<Input>>>,
}

const KEPT: usize = 64;

/// A spec made into a request, with what it was made from.
pub struct SpecRequest {
    pub spec: InputSpec,
    pub kernel: Arc<Kernel>,
    pub request: Request,
}

impl Engine {
    /// Reads an input spec, registers its kernel and materializes its
    /// arguments: the [`Request`] the spec describes.
    pub fn spec_request(&self, path: &Path) -> Result<SpecRequest, EngineError> {
        let spec = InputSpec::load(path)?;
        let source = KernelSource::read(&spec.kernel, spec.entry.as_deref())?;
        let kernel = self.register(&source)?;
        let files = spec.data_files().iter().map(|f| stamp(f)).collect();
        let key = (stamp(path), files, kernel.hash.clone());
        let kept = super::lock(&self.shared.inputs.kept).get(&key).cloned();
        let input = match kept {
            Some(i) => i,
            None => {
                let i = Arc::new(spec.materialize(&kernel.signature)?);
                let mut kept = super::lock(&self.shared.inputs.kept);
                if kept.len() >= KEPT {
                    kept.clear();
                }
                kept.insert(key, i.clone());
                i
            }
        };
        Ok(SpecRequest {
            request: Request {
                kernel: KernelRef::Hash(kernel.hash.clone()),
                input,
                profile: None,
                isolation: None,
                tenant: None,
                label: path.to_owned(),
            },
            spec,
            kernel,
        })
    }

    /// Runs the request an input spec describes.
    pub fn run_spec(&self, path: &Path) -> Result<Response, EngineError> {
        self.run_spec_with(path, None)
    }

    /// Like [`Engine::run_spec`] with a forced profile.
    pub fn run_spec_with(
        &self,
        path: &Path,
        profile: Option<&str>,
    ) -> Result<Response, EngineError> {
        let mut made = match self.spec_request(path) {
            Ok(m) => m,
            Err(e) => return Err(self.failed_before_start(path, e)),
        };
        made.request.profile = profile.map(str::to_owned);
        self.run(made.request)
    }

    /// A spec that does not make a request is still a request that failed:
    /// counted, and told to listeners, like one that fails later.
    fn failed_before_start(&self, path: &Path, e: EngineError) -> EngineError {
        let req = super::Ctx {
            id: self
                .shared
                .next_request
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            started: Instant::now(),
        };
        self.count(|s| {
            s.requests += 1;
            s.failed += 1;
        });
        self.emit(&req, || super::EventKind::Received {
            input: path.to_owned(),
        });
        self.emit(&req, || super::EventKind::Failed {
            error: e.to_string(),
        });
        e
    }

    /// A spec's request made ready and analyzed, nothing run: what
    /// `tailor analyze` and the workbench's Inputs pane show.
    pub fn prepare(&self, path: &Path) -> Result<Prepared, EngineError> {
        let made = self.spec_request(path)?;
        let started = Instant::now();
        let vector = crate::analyze::analyze(&made.request.input);
        Ok(Prepared {
            spec: made.spec,
            kernel: made.kernel,
            input: made.request.input,
            vector,
            analysis_micros: started.elapsed().as_micros() as u64,
        })
    }
}
