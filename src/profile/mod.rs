//! Specialization profiles: the model (YAML, one file per profile),
//! expressions over the characteristic vector (CEL), the DAG (petgraph),
//! selection by priority with the `generic` fallback, and planning.
//!
//! **Invariant:** this module never touches LLVM. The one LLVM-shaped check,
//! whether a `passes` pipeline string parses, is a function the caller
//! passes in ([`PassCheck`]).

pub mod dag;
pub mod error;
pub mod expr;
pub mod model;
pub mod params;
pub mod plan;
pub mod store;
pub mod watch;

pub use error::{ErrorKind, ProfileError};
pub use expr::{Expr, KernelInfo, Reads, Scope};
pub use model::{
    Drift, GuardPolicy, Isolation, Node, PassCheck, Profile, SandboxPolicy, Tolerance,
    DEFAULT_FINISH,
};
pub use params::{Binding, Step, TransformKind};
pub use plan::{plan, plan_in, Plan, PlanError, PlannedStep, SkippedNode};
pub use store::{write_atomic, Candidate, ProfileStore, Reload, Selection, Verdict, GENERIC};

#[cfg(test)]
mod tests;
