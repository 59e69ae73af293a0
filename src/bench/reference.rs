//! Hand-specialized references: `kernels/reference/<entry>.c` is the same
//! computation written for one case, every integer argument a compile-time
//! constant (`-DN=1000` for `n`) and every pointer `restrict`. `tailor
//! bench` compiles it with `clang-19 -O3 -march=native`, strict and with
//! reassociation allowed, and times both in the executor beside generic
//! and what serves. A reference is what an expert would write by hand for
//! this one input: a specialization that cannot serve any other.

use crate::cache::{Variant, Verification};
use crate::input::{Input, Scalar, Value};
use crate::kernel::Kernel;
use crate::profile::Plan;
use crate::target::Target;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The builds of each reference: strict IEEE order, and with
/// reassociation (served only where its results stay within the selected
/// profile's tolerance).
pub const BUILDS: [(&str, &[&str]); 2] = [
    ("fixed", &[]),
    (
        "fixed+reassoc",
        &[
            "-fassociative-math",
            "-fno-signed-zeros",
            "-fno-trapping-math",
        ],
    ),
];

/// One reference build, timed beside generic.
#[derive(Debug, Clone, Serialize)]
pub struct RefTime {
    pub build: String,
    pub ns: u64,
    /// generic / this build.
    pub speedup: f64,
    /// Its results against generic's, under the selected Plan's tolerance:
    /// `None` when they agree, else the first difference.
    pub differs: Option<String>,
}

/// The reference for `entry`, when `dir` holds one.
pub fn find(dir: &Path, entry: &str) -> Option<PathBuf> {
    let p = dir.join(format!("{entry}.c"));
    p.is_file().then_some(p)
}

/// `-DNAME=value` for every integer argument of the input.
pub fn defines(input: &Input) -> Vec<String> {
    input
        .args
        .iter()
        .filter_map(|a| {
            let v = match &a.value {
                Value::Scalar(Scalar::I32(v)) => i64::from(*v),
                Value::Scalar(Scalar::I64(v)) => *v,
                _ => return None,
            };
            Some(format!("-D{}={v}", a.name.to_ascii_uppercase()))
        })
        .collect()
}

/// Compiles one build of a reference to IR with clang (-O3, the host's
/// ISA), then to an object as it is, wrapped like any variant.
pub fn build(
    source: &Path,
    kernel: &Kernel,
    input: &Input,
    flags: &[&str],
    host: &Target,
    tolerance_of: &Plan,
) -> Result<Variant, String> {
    let out = Command::new(crate::kernel::clang())
        .args(["-O3", "-march=native", "-S", "-emit-llvm", "-o", "-"])
        .args(flags)
        .args(defines(input))
        .arg(source)
        .output()
        .map_err(|e| format!("{}: cannot run clang: {e}", source.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{}: clang failed:\n{}",
            source.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let ir = String::from_utf8(out.stdout)
        .map_err(|_| format!("{}: clang wrote IR that is not UTF-8", source.display()))?;
    let built = crate::transform::compile_as_is(&ir, &kernel.signature.entry, host)
        .map_err(|e| format!("{}: {e}", source.display()))?;
    let mut plan = tolerance_of.clone();
    plan.profile = "reference".to_owned();
    plan.steps.clear();
    plan.skipped.clear();
    plan.finish = format!("clang -O3 -march=native {}", flags.join(" "))
        .trim()
        .to_owned();
    Ok(Variant::from_build(
        built,
        kernel,
        &plan,
        Verification::Verified,
    ))
}

/// The median wall time, in microseconds, of `clang-19 -O3 -c` on a C
/// source (the cost tailor's synthesis is compared against); `None` for
/// IR kernels.
pub fn clang_o3_us(source: &Path, runs: usize) -> Option<u64> {
    if source.extension().and_then(|e| e.to_str()) != Some("c") {
        return None;
    }
    let mut times = Vec::new();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let ok = Command::new(crate::kernel::clang())
            .args(["-O3", "-c", "-o", "/dev/null"])
            .arg(source)
            .status()
            .ok()?
            .success();
        if !ok {
            return None;
        }
        times.push(t.elapsed().as_micros() as u64);
    }
    times.sort_unstable();
    Some(times[times.len() / 2])
}
