//! The messages between the engine and a lean executor (`tailor-exec`).

use super::Outcome;
use crate::kernel::ReturnType;
use serde::{Deserialize, Serialize};

/// How an execution is isolated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// A child forked from the lean executor per execution: no file
    /// descriptors, seccomp strict mode, its own CPU limit; killed at the
    /// deadline. A crash ends only the child.
    #[default]
    Fork,
    /// In the executor process itself, under its seccomp filter and rlimits.
    /// No fork per call (much cheaper for tiny kernels), but a crash takes
    /// the executor down (it is replaced) and executions share its memory.
    Process,
}

impl Isolation {
    pub fn name(self) -> &'static str {
        match self {
            Isolation::Fork => "fork",
            Isolation::Process => "process",
        }
    }
}

/// One argument slot: an array (its bytes are in the payload, in order,
/// each padded to 64) or a scalar's bits.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Slot {
    Array { padded_bytes: u64 },
    Scalar { bits: u64 },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ExecRequest {
    /// Payload: the object code.
    Load {
        key: String,
    },
    /// Payload: the array buffers.
    Execute {
        key: String,
        slots: Vec<Slot>,
        ret: ReturnType,
        deadline_ms: u64,
        isolation: Isolation,
        /// The arrays are already in the shared region the engine passed at
        /// start (the payload is empty), and the results stay there.
        #[serde(default)]
        in_region: bool,
    },
    Ping,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum ExecReply {
    Loaded,
    LoadFailed {
        error: String,
    },
    /// The key is not loaded here: send `Load` first.
    NeedObject,
    /// Payload: the arrays that changed, in order, each padded.
    Executed {
        outcome: Outcome,
        ret_bits: Option<u64>,
        kernel_nanos: u64,
        /// Per array slot: whether it changed (and so is in the payload).
        changed: Vec<bool>,
    },
    Pong {
        pid: u32,
        /// What confinement took hold (for `tailor sandbox check` and tests).
        confinement: Vec<String>,
    },
    Error {
        message: String,
    },
}
