//! The step log: what each step of a Plan did, as plain data (no LLVM), so
//! the cache can store it and the CLI and workbench can show it.

use serde::{Deserialize, Serialize};

/// Counts of one module's IR.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IrStats {
    pub functions: u32,
    pub blocks: u32,
    pub instructions: u32,
    /// Back edges (a branch to a block at or before it in layout order):
    /// loops in the rotated, canonical form the pipeline keeps.
    pub loops: u32,
    /// Instructions producing or consuming a vector value.
    pub vector_instructions: u32,
    /// Calls through a pointer.
    pub indirect_calls: u32,
}

/// One step of a Plan as it ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The node's name (`prepare` and `finish` for the runner's own steps).
    pub node: String,
    pub transform: String,
    /// The resolved parameters in one line.
    pub params: String,
    pub micros: u64,
    pub before: IrStats,
    pub after: IrStats,
    /// What the step found or changed, for people.
    pub note: String,
    /// The whole module after the step.
    pub ir_after: String,
}
