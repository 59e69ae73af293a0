//! The messages between the engine and a lean executor (`tailor-exec`).

use super::Outcome;
use crate::kernel::ReturnType;
use serde::{Deserialize, Serialize};

/// The isolation modes are the profile's vocabulary (`sandbox: {
/// isolation: ... }`); the executor carries them out.
pub use crate::profile::Isolation;

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
    /// Follows every `Executed`, once the executor has reaped the child
    /// that ran and forked the next: until it comes, the engine writes
    /// nothing into the region (a child of the last execution may still be
    /// alive there).
    Ready,
    Pong {
        pid: u32,
        /// What confinement took hold (for `tailor sandbox check` and tests).
        confinement: Vec<String>,
    },
    Error {
        message: String,
    },
}
