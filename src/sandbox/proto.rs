//! The messages between the engine and a lean executor (`tailor-exec`).

use super::Outcome;
use serde::{Deserialize, Serialize};

/// The isolation modes are the profile's vocabulary (`sandbox: {
/// isolation: ... }`); the executor carries them out.
pub use crate::profile::Isolation;

/// What a lane's child waits with: the variant it runs and the CPU limit
/// it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arm {
    pub key: String,
    pub cpu_secs: u64,
}

/// What the engine asks of an executor. An execution's arguments are never
/// in a message: the engine writes them into one of the executor's two
/// *lanes* (shared regions, see [`super::exec`]) and, in fork isolation,
/// wakes the lane's waiting child itself through the lane's go pipe.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ExecRequest {
    /// Payload: the object code. Answered `Loaded` or `LoadFailed`.
    Load {
        key: String,
    },
    /// Ends the lane's child (if any), clears what the last execution left
    /// past its `used` bytes of arguments, and forks a child for `arm` that
    /// waits for its go. Answered `Ready` when the lane is the engine's
    /// again; the engine goes on with its other lane meanwhile.
    Tidy {
        lane: usize,
        used: u64,
        arm: Option<Arm>,
    },
    /// Process isolation: runs `key` in the executor itself on the
    /// arguments in `lane`. Answered `Executed`, `NeedObject` or `Error`.
    Execute {
        key: String,
        lane: usize,
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
    /// A process-isolation execution; its results are in the lane.
    Executed {
        outcome: Outcome,
        ret_bits: Option<u64>,
        kernel_nanos: u64,
    },
    /// After `Tidy`: no child of an earlier execution is alive in the lane
    /// and its region is clear; `armed` says whether a child for the asked
    /// variant waits for its go (false: the variant is not loaded here, or
    /// the fork failed).
    Ready {
        lane: usize,
        armed: bool,
    },
    /// Unasked: a lane's child ended by itself (it finished, crashed,
    /// trapped, or was killed by someone else) and was reaped.
    Ended {
        lane: usize,
        outcome: Outcome,
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
