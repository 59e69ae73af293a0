//! The engine's side of the sandbox: where the binaries are, the pool of
//! lean executors (`tailor-exec`) behind the [`Executor`] interface, with
//! affinity, deadlines, replacement of dead executors and one retry for an
//! execution that died with its executor through no fault of its own.

use super::exec::{HEADER, REGION};
use super::process::{Proc, ProcError};
use super::proto::{ExecReply, ExecRequest, Isolation, Slot};
use super::{result, Execution, Executor, Outcome};
use crate::cache::Variant;
use crate::input::{Input, Scalar, Value};
use crate::kernel::ReturnType;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

/// Where the sandbox binaries are and how many processes to keep.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// `tailor` itself (`tailor worker` builds variants).
    pub worker_binary: PathBuf,
    /// `tailor-exec`, the lean executor.
    pub exec_binary: PathBuf,
    pub workers: usize,
    pub executors: usize,
}

/// Per-request execution policy (from the selected profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecPolicy {
    pub isolation: Isolation,
    pub deadline_ms: u64,
}

impl Default for ExecPolicy {
    fn default() -> Self {
        ExecPolicy {
            isolation: Isolation::Fork,
            deadline_ms: 5_000,
        }
    }
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

impl SandboxConfig {
    /// Finds the binaries: `$TAILOR_BIN` / `$TAILOR_EXEC_BIN`, else beside
    /// the running program (or one folder up, for cargo's test binaries in
    /// `target/*/deps`).
    pub fn locate() -> Result<SandboxConfig, String> {
        let me = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
        let dir = me.parent().map(|d| d.to_owned()).unwrap_or_default();
        let find = |var: &str, name: &str| -> Result<PathBuf, String> {
            if let Some(p) = std::env::var_os(var) {
                return Ok(PathBuf::from(p));
            }
            let candidates = [dir.join(name), dir.join("..").join(name)];
            candidates
                .iter()
                .find(|p| p.is_file())
                .cloned()
                .ok_or_else(|| format!("cannot find `{name}` beside {} (set {var})", me.display()))
        };
        Ok(SandboxConfig {
            worker_binary: find("TAILOR_BIN", "tailor")?,
            exec_binary: find("TAILOR_EXEC_BIN", "tailor-exec")?,
            workers: cores(),
            executors: cores(),
        })
    }
}

/// The memory an executor's executions share with the engine: a memfd the
/// executor maps as its region, so arguments and results cross no pipe.
struct EngineRegion {
    base: *mut u8,
    len: usize,
    fd: std::os::fd::OwnedFd,
}

impl EngineRegion {
    fn new() -> Option<EngineRegion> {
        use std::os::fd::FromRawFd;
        let len = HEADER + REGION;
        // SAFETY: memfd_create/ftruncate/mmap on a descriptor we own; the
        // mapping is shared with the one executor we pass the fd to.
        unsafe {
            let fd = libc::memfd_create(c"tailor-region".as_ptr(), libc::MFD_CLOEXEC);
            if fd < 0 {
                return None;
            }
            let fd = std::os::fd::OwnedFd::from_raw_fd(fd);
            use std::os::fd::AsRawFd;
            if libc::ftruncate(fd.as_raw_fd(), len as libc::off_t) != 0 {
                return None;
            }
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_NORESERVE,
                fd.as_raw_fd(),
                0,
            );
            (p != libc::MAP_FAILED).then_some(EngineRegion {
                base: p as *mut u8,
                len,
                fd,
            })
        }
    }

    fn data(&mut self) -> &mut [u8] {
        // SAFETY: our mapping of `len` bytes; the arrays start after the
        // header the executor uses.
        unsafe { std::slice::from_raw_parts_mut(self.base.add(HEADER), self.len - HEADER) }
    }
}

impl Drop for EngineRegion {
    fn drop(&mut self) {
        // SAFETY: our own mapping; the executor keeps its own.
        unsafe {
            libc::munmap(self.base as *mut libc::c_void, self.len);
        }
    }
}

struct ExecSlot {
    proc: Proc,
    loaded: HashSet<String>,
    region: Option<EngineRegion>,
}

/// Lean executors, each a `tailor-exec` process.
pub struct ExecPool {
    config: SandboxConfig,
    slots: Vec<Option<ExecSlot>>,
    next: usize,
    spawned: u64,
    /// Executors replaced after dying.
    pub respawns: u64,
}

/// Why an attempt did not produce an execution.
enum Attempt {
    Done(Execution),
    /// The executor died or broke the protocol, not by the kernel's doing:
    /// worth one retry elsewhere.
    Lost(String),
}

impl ExecPool {
    pub fn new(config: SandboxConfig) -> Result<ExecPool, String> {
        let n = config.executors.max(1);
        let mut pool = ExecPool {
            config,
            slots: (0..n).map(|_| None).collect(),
            next: 0,
            spawned: 0,
            respawns: 0,
        };
        for i in 0..n {
            pool.spawn(i)?;
        }
        Ok(pool)
    }

    fn spawn(&mut self, i: usize) -> Result<(), String> {
        self.spawned += 1;
        let region = EngineRegion::new();
        let proc = match &region {
            Some(r) => {
                use std::os::fd::AsRawFd;
                let fd = r.fd.as_raw_fd();
                let fd_arg = fd.to_string();
                Proc::spawn_with_fd(
                    &self.config.exec_binary,
                    &["--region-fd", &fd_arg],
                    self.spawned,
                    Some(fd),
                )?
            }
            None => Proc::spawn(&self.config.exec_binary, &[], self.spawned)?,
        };
        self.slots[i] = Some(ExecSlot {
            proc,
            loaded: HashSet::new(),
            region,
        });
        Ok(())
    }

    /// Replaces a dead executor at once.
    fn replace(&mut self, i: usize) {
        self.slots[i] = None;
        self.respawns += 1;
        let _ = self.spawn(i);
    }

    /// The executor that has `key` loaded, else the next in turn.
    fn pick(&mut self, key: &str, avoid: Option<usize>) -> usize {
        if let Some(i) = self.slots.iter().enumerate().position(|(i, s)| {
            Some(i) != avoid && s.as_ref().is_some_and(|s| s.loaded.contains(key))
        }) {
            return i;
        }
        let n = self.slots.len();
        for _ in 0..n {
            let i = self.next % n;
            self.next += 1;
            if Some(i) != avoid || n == 1 {
                return i;
            }
        }
        0
    }

    fn attempt(
        &mut self,
        i: usize,
        variant: &Variant,
        input: &mut Input,
        ret: ReturnType,
        policy: &ExecPolicy,
    ) -> Attempt {
        // One that died while idle is replaced before it is used: its
        // death is no request's doing and must not cost this one its retry.
        if self.slots[i].as_mut().is_some_and(|s| !s.proc.alive()) {
            self.replace(i);
        }
        if self.slots[i].is_none() && self.spawn(i).is_err() {
            return Attempt::Lost("cannot start an executor".into());
        }
        let Some(slot) = self.slots[i].as_mut() else {
            return Attempt::Lost("no executor".into());
        };
        let isolation = format!("{} · executor {}", policy.isolation.name(), slot.proc.id);
        let mut slots = Vec::with_capacity(input.args.len());
        let mut payload = Vec::new();
        let total: usize = input
            .args
            .iter()
            .filter_map(|a| a.value.as_array().map(|b| b.padded_byte_len()))
            .sum();
        // Arguments go straight into the shared region when they fit;
        // otherwise through the pipe.
        let in_region = slot
            .region
            .as_ref()
            .is_some_and(|r| total <= r.len - HEADER);
        let mut offset = 0usize;
        for a in &input.args {
            match &a.value {
                Value::Array(b) => {
                    slots.push(Slot::Array {
                        padded_bytes: b.padded_byte_len() as u64,
                    });
                    let bytes = b.padded_bytes();
                    match slot.region.as_mut().filter(|_| in_region) {
                        Some(r) => r.data()[offset..offset + bytes.len()].copy_from_slice(bytes),
                        None => payload.extend_from_slice(bytes),
                    }
                    offset += bytes.len();
                }
                Value::Scalar(s) => slots.push(Slot::Scalar { bits: bits(*s) }),
            }
        }
        let request = ExecRequest::Execute {
            key: variant.key.0.clone(),
            slots,
            ret,
            deadline_ms: policy.deadline_ms,
            isolation: policy.isolation,
            in_region,
        };
        // The executor enforces the deadline on a forked child; this one is
        // for the executor itself (and for in-process isolation).
        let timeout = Duration::from_millis(policy.deadline_ms + 2_000);
        let mut reply = slot
            .proc
            .request::<_, ExecReply>(&request, &payload, timeout);
        if let Ok((ExecReply::NeedObject, _)) = reply {
            match slot.proc.request::<_, ExecReply>(
                &ExecRequest::Load {
                    key: variant.key.0.clone(),
                },
                &variant.object,
                Duration::from_secs(30),
            ) {
                Ok((ExecReply::Loaded, _)) => {
                    slot.loaded.insert(variant.key.0.clone());
                    reply = slot.proc.request(&request, &payload, timeout);
                }
                Ok((ExecReply::LoadFailed { error }, _)) => {
                    return Attempt::Done(failed(
                        Outcome::Rejected(format!("cannot load the variant: {error}")),
                        isolation,
                    ))
                }
                Ok((other, _)) => return Attempt::Lost(format!("unexpected reply {other:?}")),
                Err(e) => reply = Err(e),
            }
        }
        match reply {
            Ok((
                ExecReply::Executed {
                    outcome,
                    ret_bits,
                    kernel_nanos,
                    changed,
                },
                out,
            )) => {
                slot.loaded.insert(variant.key.0.clone());
                let ok = outcome == Outcome::Ok;
                let mut offset = 0usize;
                let mut k = 0usize;
                for a in input.args.iter_mut() {
                    if let Value::Array(b) = &mut a.value {
                        let n = b.padded_byte_len();
                        match slot.region.as_mut().filter(|_| in_region && ok) {
                            // The results are in the region: take the arrays
                            // the kernel changed.
                            Some(r) => {
                                let now = &r.data()[offset..offset + n];
                                if now != b.padded_bytes() {
                                    b.padded_bytes_mut().copy_from_slice(now);
                                }
                                offset += n;
                            }
                            None => {
                                if changed.get(k).copied().unwrap_or(false) {
                                    if let Some(src) = out.get(offset..offset + n) {
                                        b.padded_bytes_mut().copy_from_slice(src);
                                    }
                                    offset += n;
                                }
                            }
                        }
                        k += 1;
                    }
                }
                Attempt::Done(Execution {
                    ret: ret_bits.and_then(|b| result(ret, b)),
                    outcome,
                    kernel_nanos,
                    isolation,
                })
            }
            Ok((ExecReply::Error { message }, _)) => {
                Attempt::Done(failed(Outcome::Rejected(message), isolation))
            }
            Ok((other, _)) => {
                self.replace(i);
                Attempt::Lost(format!("unexpected reply {other:?}"))
            }
            Err(ProcError::Timeout) => {
                self.replace(i);
                Attempt::Done(failed(Outcome::Timeout, isolation))
            }
            Err(ProcError::Died { signal, code }) => {
                self.replace(i);
                if policy.isolation == Isolation::Process {
                    // The kernel ran in the executor: its death is the kernel's.
                    let outcome = match signal {
                        Some(libc::SIGSYS) => Outcome::SandboxViolation(None),
                        Some(libc::SIGXCPU) => Outcome::Timeout,
                        Some(s) => Outcome::Crashed(s),
                        None => Outcome::Crashed(code.unwrap_or(0)),
                    };
                    Attempt::Done(failed(outcome, isolation))
                } else {
                    Attempt::Lost(format!("executor died (signal {signal:?}, exit {code:?})"))
                }
            }
            Err(ProcError::Protocol(m)) => {
                self.replace(i);
                Attempt::Lost(m)
            }
        }
    }
}

fn failed(outcome: Outcome, isolation: String) -> Execution {
    Execution {
        outcome,
        ret: None,
        kernel_nanos: 0,
        isolation,
    }
}

fn bits(s: Scalar) -> u64 {
    match s {
        Scalar::I32(v) => u64::from(v as u32),
        Scalar::I64(v) => v as u64,
        Scalar::F32(v) => u64::from(v.to_bits()),
        Scalar::F64(v) => v.to_bits(),
    }
}

impl Executor for ExecPool {
    fn pids(&self) -> Vec<u32> {
        self.slots.iter().flatten().map(|s| s.proc.pid()).collect()
    }

    /// Replaces every executor that died while idle.
    fn heal(&mut self) {
        for i in 0..self.slots.len() {
            if self.slots[i].as_mut().is_some_and(|s| !s.proc.alive()) {
                self.replace(i);
            }
        }
    }

    fn confinement(&mut self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        for slot in self.slots.iter_mut().flatten() {
            if let Ok((ExecReply::Pong { confinement, .. }, _)) =
                slot.proc
                    .request::<_, ExecReply>(&ExecRequest::Ping, &[], Duration::from_secs(5))
            {
                out.push(confinement);
            }
        }
        out
    }

    fn execute_with(
        &mut self,
        variant: &Variant,
        input: &mut Input,
        ret: ReturnType,
        policy: &ExecPolicy,
    ) -> Execution {
        let first = self.pick(&variant.key.0, None);
        let lost = match self.attempt(first, variant, input, ret, policy) {
            Attempt::Done(e) => return e,
            Attempt::Lost(why) => why,
        };
        // Once more, elsewhere: the request did not cause the loss.
        let second = self.pick(&variant.key.0, Some(first));
        match self.attempt(second, variant, input, ret, policy) {
            Attempt::Done(e) => e,
            Attempt::Lost(again) => failed(
                Outcome::Rejected("the sandbox lost this execution twice".into()),
                format!(
                    "{} · executors lost twice: {lost}; {again}",
                    policy.isolation.name()
                ),
            ),
        }
    }
}
