//! The event stream: every stage of a request says what it did, as data.
//! The CLI prints events, the workbench draws them, tests assert on them,
//! and a service would stream them; the engine never knows who listens.

use crate::cache::{Timed, Verification};
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
    /// The guard timed a verified variant against generic on this input.
    Timed {
        key: String,
        profile: String,
        timed: Timed,
    },
    /// An `autotune` step's candidates were built, verified and timed:
    /// each one's label and verdict, and the one kept (`None`: none
    /// verified).
    Tuned {
        key: String,
        profile: String,
        tries: Vec<(String, String)>,
        chosen: Option<String>,
        /// The kept candidate's timing against generic.
        timed: Option<Timed>,
    },
    /// A Plan of the chain did not serve (`from`); the next is tried:
    /// `to` of `of` fallbacks.
    Fallback {
        from: Try,
        profile: String,
        key: String,
        why: String,
        to: usize,
        of: usize,
    },
    /// Tiered serving: generic answers now, and the variant of `key` is
    /// built (verified, timed, its chain walked) in the background
    /// (`queued`: by this request; otherwise one already was, or `full`:
    /// the background queue is full and a later request queues it).
    Deferred {
        key: String,
        profile: String,
        queued: bool,
        #[serde(default)]
        full: bool,
    },
    /// A background build is done: what requests of `key` get from now on.
    Ready {
        key: String,
        served_by: Served,
        profile: String,
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

/// One Plan a request's chain considered, in order, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Try {
    pub profile: String,
    pub key: String,
    /// Why it is in the chain: `selected`, `reassoc off`, `next profile`.
    pub why: String,
    #[serde(flatten)]
    pub verdict: TryVerdict,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum TryVerdict {
    Served,
    /// Verification found it wrong on this input.
    Rejected {
        reason: String,
    },
    /// Right, but slower than generic past the profile's margin.
    Slower {
        timed: Timed,
    },
    /// No variant: the build failed, or another engine is building it.
    Unbuilt {
        reason: String,
    },
}

impl std::fmt::Display for TryVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TryVerdict::Served => f.write_str("served"),
            TryVerdict::Rejected { reason } => write!(f, "rejected: {reason}"),
            TryVerdict::Slower { timed } => write!(f, "slower: {timed}"),
            TryVerdict::Unbuilt { reason } => write!(f, "not built: {reason}"),
        }
    }
}

/// Which build answered a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Served {
    /// The selected profile's variant.
    Variant,
    /// A later Plan of the fallback chain (the selected one was rejected
    /// or slower than generic).
    Fallback,
    /// The generic build, because the variant was rejected or could not be
    /// built, or generic was selected.
    Generic,
}
