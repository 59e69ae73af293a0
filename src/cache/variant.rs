//! A variant: the machine code one Plan made of one kernel, with what is
//! needed to show, verify and load it anywhere.

use crate::profile::Plan;
use crate::target::{build_id, Target};
use crate::transform::log::StepRecord;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// The cache key (DESIGN §5): hex SHA-256 over the kernel's IR hash, the
/// entry, the Plan's fingerprint, the target and the build of tailor and
/// LLVM ([`build_id`]) that makes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VariantKey(pub String);

impl VariantKey {
    pub fn new(kernel_hash: &str, entry: &str, plan: &Plan, target: &Target) -> VariantKey {
        let mut h = Sha256::new();
        for part in [
            kernel_hash,
            entry,
            &plan.fingerprint(),
            &target.triple,
            &target.cpu,
            &target.features,
            build_id(),
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        VariantKey(crate::kernel::hex(&h.finalize()))
    }

    /// The first 12 hex digits, for people.
    pub fn short(&self) -> &str {
        &self.0[..12.min(self.0.len())]
    }
}

impl fmt::Display for VariantKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What verification (DESIGN §6) said of a variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum Verification {
    /// The generic build itself: the reference, never checked.
    Reference,
    Verified,
    /// Not served: requests with this key are answered by the generic build.
    Rejected(String),
}

/// What the performance guard measured of a verified variant against the
/// generic build, on the input it was verified on: the fastest of `runs`
/// interleaved runs of each, and the verdict at the profile's margin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Timed {
    pub generic_ns: u64,
    pub variant_ns: u64,
    pub runs: u32,
    /// The fraction of generic's time the variant was allowed to lose.
    pub margin: f64,
    /// Slower than generic by more than `margin`: generic serves the key.
    pub slower: bool,
}

impl Timed {
    /// generic / variant: above 1 the variant is faster.
    pub fn speedup(&self) -> f64 {
        self.generic_ns as f64 / self.variant_ns.max(1) as f64
    }

    /// The verdict for two times at `margin`. A difference under
    /// [`Timed::NOISE_FLOOR_NS`] is never "slower": one run of a kernel
    /// that short is mostly the clock and the call, which jitter by about
    /// that much, and it is nothing next to a request's own cost.
    pub fn judge(generic_ns: u64, variant_ns: u64, runs: u32, margin: f64) -> Timed {
        Timed {
            generic_ns,
            variant_ns,
            runs,
            margin,
            slower: variant_ns as f64 > generic_ns as f64 * (1.0 + margin)
                && variant_ns.saturating_sub(generic_ns) > Self::NOISE_FLOOR_NS,
        }
    }

    /// Below this a difference in one run's kernel time is not measured.
    pub const NOISE_FLOOR_NS: u64 = 500;
}

impl fmt::Display for Timed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = |ns: u64| ns as f64 / 1000.0;
        write!(
            f,
            "{:.2}× ({:.1} µs against generic's {:.1} µs, {} runs{})",
            self.speedup(),
            us(self.variant_ns),
            us(self.generic_ns),
            self.runs,
            if self.slower {
                format!("; slower by more than {:.0}%", self.margin * 100.0)
            } else {
                String::new()
            }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub key: VariantKey,
    pub kernel_name: String,
    pub kernel_hash: String,
    pub entry: String,
    pub plan: Plan,
    pub target: Target,
    /// Relocatable object code exporting `tailor_call` (see `transform::codegen`).
    #[serde(skip)]
    pub object: Vec<u8>,
    pub optimized_ir: String,
    /// Per parameter, whether the code may write through it (empty: every
    /// pointer may). Only these arrays are read back after a run.
    #[serde(default)]
    pub writes: Vec<bool>,
    pub steps: Vec<StepRecord>,
    pub transform_micros: u64,
    pub codegen_micros: u64,
    pub verification: Verification,
    /// The guard's timing against generic (`None`: not timed, as the
    /// generic build itself, a variant from before the guard, or a profile
    /// with the guard off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timed: Option<Timed>,
    /// The candidate of the Plan's `autotune` step this code is (its
    /// label), when the Plan has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuned: Option<String>,
    /// Seconds since the Unix epoch when it was built.
    pub created: u64,
}

impl Variant {
    /// The variant a build of `kernel` by `plan` made; its key hashes the
    /// target the build really used.
    pub fn from_build(
        built: crate::transform::Built,
        kernel: &crate::kernel::Kernel,
        plan: &Plan,
        verification: Verification,
    ) -> Variant {
        Variant {
            key: VariantKey::new(&kernel.hash, &kernel.signature.entry, plan, &built.target),
            kernel_name: kernel.name.clone(),
            kernel_hash: kernel.hash.clone(),
            entry: kernel.signature.entry.clone(),
            plan: plan.clone(),
            target: built.target,
            object: built.object,
            optimized_ir: built.optimized_ir,
            writes: built.writes,
            steps: built.steps,
            transform_micros: built.transform_micros,
            codegen_micros: built.codegen_micros,
            verification,
            timed: None,
            tuned: None,
            created: std::time::SystemTime::now()
                .duration_since(std::time::SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        }
    }

    /// Whether requests of its key are answered by it: verified (or the
    /// reference itself) and not slower than generic.
    pub fn serves(&self) -> bool {
        !matches!(self.verification, Verification::Rejected(_))
            && !self.timed.is_some_and(|t| t.slower)
    }

    /// Bytes it holds, as counted against the cache's byte budget.
    pub fn size(&self) -> usize {
        self.object.len()
            + self.optimized_ir.len()
            + self.steps.iter().map(|s| s.ir_after.len()).sum::<usize>()
    }
}
