//! The event stream: every stage of a request says what it did, as data.
//! The CLI prints events, the workbench draws them, tests assert on them,
//! and a service would stream them; the engine never knows who listens.

use crate::cache::Verification;
use crate::input::Scalar;
use crate::profile::{Candidate, Plan};
use crate::sandbox::Execution;
use crate::transform::log::{IrStats, StepRecord};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// The request's number within this engine.
    pub request: u64,
    /// Microseconds since the request arrived.
    pub at_micros: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// A step as an event: the step record without its IR.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepEvent {
    pub node: String,
    pub transform: String,
    pub params: String,
    pub micros: u64,
    pub before: IrStats,
    pub after: IrStats,
    pub note: String,
}

impl From<&StepRecord> for StepEvent {
    fn from(r: &StepRecord) -> Self {
        StepEvent {
            node: r.node.clone(),
            transform: r.transform.clone(),
            params: r.params.clone(),
            micros: r.micros,
            before: r.before,
            after: r.after,
            note: r.note.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum EventKind {
    Received {
        input: PathBuf,
    },
    Analyzed {
        kernel: String,
        kernel_hash: String,
        signature: String,
        /// The features worth a glance.
        summary: String,
        sampled: bool,
        micros: u64,
    },
    Selected {
        profile: String,
        priority: i64,
        candidates: Vec<Candidate>,
    },
    Planned {
        plan: Plan,
    },
    /// The key budget left bound dimensions of this Plan dynamic (`dims`),
    /// because they took more than `limit` distinct values in the window;
    /// `tripped` and `rebound` say what changed with this request.
    Generalized {
        profile: String,
        dims: Vec<String>,
        tripped: Vec<String>,
        rebound: Vec<String>,
        limit: usize,
        window_secs: u64,
    },
    /// The selected profile could not be planned; generic serves.
    PlanFailed {
        error: String,
    },
    Cache {
        key: String,
        hit: bool,
        tier: Option<crate::cache::Tier>,
    },
    /// Something the cache noticed (a corrupt file removed, an eviction).
    CacheNotice {
        message: String,
    },
    /// A build starts: the selected Plan's variant, or the generic build
    /// it is verified against.
    Building {
        key: String,
        profile: String,
        steps: usize,
    },
    Step(StepEvent),
    Compiled {
        object_bytes: usize,
        transform_micros: u64,
        codegen_micros: u64,
    },
    /// Another engine of the fleet holds the build lease of this key:
    /// this request waits for its value (`waiting`, the generic build
    /// every request needs) or is served by generic meanwhile.
    FleetBuilding {
        key: String,
        holder: String,
        waiting: bool,
    },
    /// LLVM failed on this Plan; generic serves.
    TransformFailed {
        error: String,
    },
    Verified {
        verification: Verification,
        variant: Option<Scalar>,
        generic: Option<Scalar>,
        micros: u64,
    },
    Executed {
        variant: String,
        served_by: Served,
        execution: Execution,
    },
    Finished {
        result: Option<Scalar>,
        hit: bool,
        total_micros: u64,
    },
    Failed {
        error: String,
    },
}

/// Which build answered a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Served {
    /// The selected profile's variant.
    Variant,
    /// The generic build, because the variant was rejected or could not be
    /// built, or generic was selected.
    Generic,
}
