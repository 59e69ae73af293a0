//! Everything derived from user code runs here, in other processes: build
//! workers ([`worker`]) and lean executors ([`exec`], reached through
//! [`pool::ExecPool`]), both pools of [`slots::ProcPool`]. [`InProcess`]
//! runs variants in the calling process for the transform tests only.

pub mod confine;
pub mod elf;
pub mod exec;
pub mod landlock;
pub mod pool;
pub mod process;
pub mod proto;
pub mod slots;
pub mod wire;
pub mod worker;

use crate::cache::{Variant, VariantKey};
use crate::input::{Input, Scalar, Value};
use crate::kernel::{ReturnType, ScalarType};
use crate::llvm::orc::LoadedObject;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

/// Why the sandbox could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SandboxError {
    /// A sandbox binary is not where it should be.
    #[error("{0}")]
    Locate(String),
    /// A sandbox process would not start.
    #[error("{0}")]
    Start(String),
    /// The confinement self-check failed: the sandbox processes hold less
    /// than required (see [`confine::check`]).
    #[error("{0}")]
    Weak(String),
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "detail", rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Timeout,
    Crashed(i32),
    SandboxViolation(Option<String>),
    OutOfMemory,
    Rejected(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok => f.write_str("ok"),
            Outcome::Timeout => f.write_str("timeout"),
            Outcome::Crashed(sig) => write!(f, "crashed (signal {sig})"),
            Outcome::SandboxViolation(Some(s)) => write!(f, "sandbox violation ({s})"),
            Outcome::SandboxViolation(None) => f.write_str("sandbox violation"),
            Outcome::OutOfMemory => f.write_str("out of memory"),
            Outcome::Rejected(r) => write!(f, "rejected: {r}"),
        }
    }
}

/// One execution: the outcome, the kernel's result, and where and how long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    pub outcome: Outcome,
    pub ret: Option<Scalar>,
    pub kernel_nanos: u64,
    /// From handing the request to the executor to having its reply: the
    /// kernel's time plus the sandbox's overhead (0 in-process).
    #[serde(default)]
    pub roundtrip_nanos: u64,
    /// `in-process`, or the isolation mode and the executor.
    pub isolation: String,
}

/// One 8-byte slot per argument, as `tailor_call` reads them.
fn slots(input: &mut Input) -> Vec<u64> {
    input
        .args
        .iter_mut()
        .map(|a| match &mut a.value {
            Value::Array(b) => b.as_mut_ptr() as u64,
            Value::Scalar(Scalar::I32(v)) => u64::from(*v as u32),
            Value::Scalar(Scalar::I64(v)) => *v as u64,
            Value::Scalar(Scalar::F32(v)) => u64::from(v.to_bits()),
            Value::Scalar(Scalar::F64(v)) => v.to_bits(),
        })
        .collect()
}

fn result(ret: ReturnType, bits: u64) -> Option<Scalar> {
    match ret {
        ReturnType::Void => None,
        ReturnType::Scalar(ScalarType::I32) => Some(Scalar::I32(bits as u32 as i32)),
        ReturnType::Scalar(ScalarType::I64) => Some(Scalar::I64(bits as i64)),
        ReturnType::Scalar(ScalarType::F32) => Some(Scalar::F32(f32::from_bits(bits as u32))),
        ReturnType::Scalar(ScalarType::F64) => Some(Scalar::F64(f64::from_bits(bits))),
    }
}

/// Runs variants in this process through ORC: the transform tests' way to
/// check many builds quickly. A kernel that crashes takes the process with
/// it, so nothing that serves requests uses it.
#[derive(Default)]
pub struct InProcess {
    loaded: HashMap<VariantKey, LoadedObject>,
}

/// Loaded variants kept before the oldest are dropped.
const MAX_LOADED: usize = 64;

impl InProcess {
    /// Runs `variant` with `input`'s buffers as its arguments (out arrays,
    /// and arrays written in place, hold the results).
    pub fn execute(&mut self, variant: &Variant, input: &mut Input, ret: ReturnType) -> Execution {
        let isolation = "in-process".to_owned();
        if !self.loaded.contains_key(&variant.key) {
            if self.loaded.len() >= MAX_LOADED {
                self.loaded.clear();
            }
            match LoadedObject::load(&variant.object, variant.key.short()) {
                Ok(o) => {
                    self.loaded.insert(variant.key.clone(), o);
                }
                Err(e) => {
                    return Execution {
                        outcome: Outcome::Rejected(format!("cannot load the variant: {e}")),
                        ret: None,
                        kernel_nanos: 0,
                        roundtrip_nanos: 0,
                        isolation,
                    }
                }
            }
        }
        let Some(object) = self.loaded.get(&variant.key) else {
            return Execution {
                outcome: Outcome::Rejected("the variant is not loaded".to_owned()),
                ret: None,
                kernel_nanos: 0,
                roundtrip_nanos: 0,
                isolation,
            };
        };
        let args = slots(input);
        let started = Instant::now();
        // SAFETY: every pointer slot is a live, 64-byte padded buffer of
        // `input` sized by its spec, and the object is tailor's own codegen
        // of an admitted kernel.
        let bits = unsafe { object.call(&args) };
        let kernel_nanos = started.elapsed().as_nanos() as u64;
        Execution {
            outcome: Outcome::Ok,
            ret: result(ret, bits),
            kernel_nanos,
            roundtrip_nanos: 0,
            isolation,
        }
    }
}

/// Sends SIGKILL to a process (a sandbox process of ours: tests and the
/// bench use it to inject faults).
pub fn kill(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) with a pid and a signal number.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

/// The address of a symbol compiled variants may link against (see
/// [`crate::kernel::is_loadable_symbol`]), from libm or libc.
pub fn resolve_loadable(name: &str) -> Option<usize> {
    use std::sync::OnceLock;
    static LIBM: OnceLock<usize> = OnceLock::new();
    if !crate::kernel::is_loadable_symbol(name) {
        return None;
    }
    let cname = std::ffi::CString::new(name).ok()?;
    // SAFETY: dlopen/dlsym with NUL-terminated names; the libm handle is
    // never closed, so addresses stay valid for the process's life.
    unsafe {
        let libm = *LIBM.get_or_init(|| {
            libc::dlopen(c"libm.so.6".as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL) as usize
        });
        let mut addr = if libm != 0 {
            libc::dlsym(libm as *mut libc::c_void, cname.as_ptr())
        } else {
            std::ptr::null_mut()
        };
        if addr.is_null() {
            addr = libc::dlsym(libc::RTLD_DEFAULT, cname.as_ptr());
        }
        (!addr.is_null()).then_some(addr as usize)
    }
}

#[cfg(test)]
mod tests;
