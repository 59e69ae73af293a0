//! The request path (DESIGN §1), wiring the modules. So far: load the spec
//! and the kernel, analyze, select and plan. Transform, cache, verification
//! and execution come next (issue 3).

use crate::analyze::{self, CharacteristicVector};
use crate::input::{Input, InputError, InputSpec};
use crate::kernel::{Kernel, KernelError};
use crate::profile::{self, KernelInfo, Plan, PlanError, ProfileStore, Selection};
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Kernel(#[from] KernelError),
}

/// A request made ready: its spec, kernel, arguments and their vector.
#[derive(Debug)]
pub struct Prepared {
    pub spec: InputSpec,
    pub kernel: Kernel,
    pub input: Input,
    pub vector: CharacteristicVector,
    /// How long the analyzer took.
    pub analysis: Duration,
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

/// Loads an input spec and its kernel, makes the arguments and analyzes them.
pub fn prepare(spec_path: &Path) -> Result<Prepared, EngineError> {
    let spec = InputSpec::load(spec_path)?;
    let kernel = Kernel::load(&spec.kernel, spec.entry.as_deref())?;
    let input = spec.materialize(&kernel.signature)?;
    let started = Instant::now();
    let vector = analyze::analyze(&input);
    let analysis = started.elapsed();
    Ok(Prepared {
        spec,
        kernel,
        input,
        vector,
        analysis,
    })
}

/// Which profile a prepared request selects, and the Plan it makes.
#[derive(Debug)]
pub struct Decision {
    pub selection: Selection,
    pub plan: Result<Plan, PlanError>,
}

pub fn decide(store: &ProfileStore, prepared: &Prepared) -> Decision {
    let kernel = prepared.kernel_info();
    let selection = store.select(&prepared.vector, &kernel);
    let plan = profile::plan(&selection.profile, &prepared.vector, &kernel);
    Decision { selection, plan }
}
