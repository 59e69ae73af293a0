//! The engine's side of the sandbox: where the binaries are, and the pool
//! of lean executors (`tailor-exec`), checked out by one request at a time,
//! with affinity (an idle executor that has the variant loaded), deadlines,
//! replacement of dead executors and one retry for an execution that died
//! with its executor through no fault of its own.

use super::exec::{HEADER, REGION};
use super::process::{Proc, ProcError};
use super::proto::{ExecReply, ExecRequest, Isolation, Slot as ProtoSlot};
use super::slots::{Member, ProcPool, Slot};
use super::{result, Execution, Outcome, SandboxError};
use crate::cache::Variant;
use crate::input::{Buffer, Input, Scalar, Value};
use crate::kernel::ReturnType;
use std::path::PathBuf;
use std::time::{Duration, Instant};

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
    pub fn locate() -> Result<SandboxConfig, SandboxError> {
        let me = std::env::current_exe()
            .map_err(|e| SandboxError::Locate(format!("cannot find this program: {e}")))?;
        let dir = me.parent().map(|d| d.to_owned()).unwrap_or_default();
        let find = |var: &str, name: &str| -> Result<PathBuf, SandboxError> {
            if let Some(p) = std::env::var_os(var) {
                return Ok(PathBuf::from(p));
            }
            let candidates = [dir.join(name), dir.join("..").join(name)];
            candidates
                .iter()
                .find(|p| p.is_file())
                .cloned()
                .ok_or_else(|| {
                    SandboxError::Locate(format!(
                        "cannot find `{name}` beside {} (set {var})",
                        me.display()
                    ))
                })
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

// SAFETY: the mapping belongs to this value alone (nothing else in this
// process holds `base`), so moving it to another thread moves its only
// user; a checked-out slot is used by one thread at a time.
unsafe impl Send for EngineRegion {}

/// One executor process and the region it shares with the engine.
pub struct ExecSlot {
    proc: Proc,
    region: Option<EngineRegion>,
    /// An `Executed` came and its `Ready` has not: the executor may still
    /// have a child alive in the region.
    settling: bool,
}

impl ExecSlot {
    /// Waits for the `Ready` that follows an `Executed`: the region is the
    /// executor's until it says the last child is gone.
    fn settle(&mut self) -> Result<(), String> {
        if !self.settling {
            return Ok(());
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        match self.proc.next::<ExecReply>(deadline, SMALL_REPLY) {
            Ok((ExecReply::Ready, _)) => {
                self.settling = false;
                Ok(())
            }
            Ok((other, _)) => Err(format!("unexpected reply {other:?} (expected ready)")),
            Err(e) => Err(format!("the executor did not settle: {e}")),
        }
    }
}

impl Member for ExecSlot {
    fn alive(&mut self) -> bool {
        self.proc.alive()
    }
    fn pid(&self) -> u32 {
        self.proc.pid()
    }
    /// Its `Ready` has come (taken now if it is waiting in the pipe).
    fn ready(&mut self) -> bool {
        !self.settling || (self.proc.readable_now() && self.settle().is_ok())
    }
}

/// Lean executors, each a `tailor-exec` process, checked out by one
/// request at a time.
pub struct ExecPool {
    slots: ProcPool<ExecSlot>,
}

/// Why an attempt did not produce an execution.
enum Attempt {
    Done(Execution, Outputs),
    /// The executor died or broke the protocol, not by the kernel's doing:
    /// worth one retry elsewhere.
    Lost(String),
}

/// The arrays an execution changed, by argument index (`None`: unchanged,
/// or a scalar). What a variant wrote comes back here; the caller's input
/// is never written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outputs(pub Vec<Option<Buffer>>);

impl Outputs {
    /// Argument `i` after the execution: the changed array, else the input.
    pub fn array<'a>(&'a self, input: &'a Input, i: usize) -> Option<&'a Buffer> {
        match self.0.get(i) {
            Some(Some(b)) => Some(b),
            _ => input.args.get(i).and_then(|a| a.value.as_array()),
        }
    }
}

fn spawn_executor(binary: &std::path::Path, id: u64) -> Result<ExecSlot, String> {
    let region = EngineRegion::new();
    let proc = match &region {
        Some(r) => {
            use std::os::fd::AsRawFd;
            let fd = r.fd.as_raw_fd();
            let fd_arg = fd.to_string();
            Proc::spawn_with_fd(binary, &["--region-fd", &fd_arg], id, Some(fd))?
        }
        None => Proc::spawn(binary, &[], id)?,
    };
    Ok(ExecSlot {
        proc,
        region,
        settling: false,
    })
}

/// Replies other than an execution's arrays carry nothing big.
const SMALL_REPLY: u64 = 1 << 20;

impl ExecPool {
    pub fn new(config: SandboxConfig) -> Result<ExecPool, SandboxError> {
        let binary = config.exec_binary.clone();
        let slots = ProcPool::new(config.executors, move |id| spawn_executor(&binary, id))
            .map_err(SandboxError::Start)?;
        Ok(ExecPool { slots })
    }

    /// Executors replaced after dying.
    pub fn respawns(&self) -> u64 {
        self.slots.respawns()
    }

    /// The executors' process ids.
    pub fn pids(&self) -> Vec<u32> {
        self.slots.pids()
    }

    /// Replaces every executor that died while idle.
    pub fn heal(&self) {
        self.slots.heal()
    }

    /// What confinement each executor reports.
    pub fn confinement(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        for i in 0..self.slots.len() {
            let mut slot = self.slots.checkout_at(i);
            let Ok(s) = slot.process() else { continue };
            if s.settle().is_err() {
                slot.replace();
                continue;
            }
            if let Ok((ExecReply::Pong { confinement, .. }, _)) = s.proc.request::<_, ExecReply>(
                &ExecRequest::Ping,
                &[],
                Instant::now() + Duration::from_secs(5),
                SMALL_REPLY,
            ) {
                out.push(confinement);
            }
        }
        out
    }

    /// Runs `variant` on `input` in an executor: the executor that has it
    /// loaded if one is idle, else any idle one (which loads it). One retry
    /// elsewhere when the executor was lost through no fault of the kernel.
    pub fn execute(
        &self,
        variant: &Variant,
        input: &Input,
        ret: ReturnType,
        policy: &ExecPolicy,
    ) -> (Execution, Outputs) {
        let mut first = self.slots.checkout(Some(&variant.key.0), None);
        let lost = match attempt(&mut first, variant, input, ret, policy) {
            Attempt::Done(e, o) => return (e, o),
            Attempt::Lost(why) => why,
        };
        let avoid = first.index();
        drop(first);
        // Once more, elsewhere: the request did not cause the loss.
        let mut second = self.slots.checkout(Some(&variant.key.0), Some(avoid));
        match attempt(&mut second, variant, input, ret, policy) {
            Attempt::Done(e, o) => (e, o),
            Attempt::Lost(again) => (
                failed(
                    Outcome::Rejected("the sandbox lost this execution twice".into()),
                    format!(
                        "{} · executors lost twice: {lost}; {again}",
                        policy.isolation.name()
                    ),
                ),
                Outputs::default(),
            ),
        }
    }
}

fn attempt(
    slot: &mut Slot<'_, ExecSlot>,
    variant: &Variant,
    input: &Input,
    ret: ReturnType,
    policy: &ExecPolicy,
) -> Attempt {
    let started = Instant::now();
    let loaded = slot.has_tag(&variant.key.0);
    let exec = match slot.process() {
        Ok(e) => e,
        Err(e) => return Attempt::Lost(format!("cannot start an executor: {e}")),
    };
    let isolation = format!("{} · executor {}", policy.isolation.name(), exec.proc.id);
    if let Err(e) = exec.settle() {
        slot.replace();
        return Attempt::Lost(e);
    }
    let mut slots = Vec::with_capacity(input.args.len());
    let mut payload = Vec::new();
    let total: usize = input
        .args
        .iter()
        .filter_map(|a| a.value.as_array().map(|b| b.padded_byte_len()))
        .sum();
    // Arguments go straight into the shared region when they fit;
    // otherwise through the pipe.
    let in_region = exec
        .region
        .as_ref()
        .is_some_and(|r| total <= r.len - HEADER);
    let mut offset = 0usize;
    for a in &input.args {
        match &a.value {
            Value::Array(b) => {
                slots.push(ProtoSlot::Array {
                    padded_bytes: b.padded_byte_len() as u64,
                });
                let bytes = b.padded_bytes();
                match exec.region.as_mut().filter(|_| in_region) {
                    Some(r) => r.data()[offset..offset + bytes.len()].copy_from_slice(bytes),
                    None => payload.extend_from_slice(bytes),
                }
                offset += bytes.len();
            }
            Value::Scalar(s) => slots.push(ProtoSlot::Scalar { bits: bits(*s) }),
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
    let deadline = Instant::now() + Duration::from_millis(policy.deadline_ms.saturating_add(2_000));
    // Nothing comes back through the pipe but what went in.
    let reply_limit = if in_region {
        SMALL_REPLY
    } else {
        total as u64 + SMALL_REPLY
    };
    let send_execute = |exec: &mut ExecSlot| {
        exec.proc
            .request::<_, ExecReply>(&request, &payload, deadline, reply_limit)
    };
    let mut reply = if loaded {
        send_execute(exec)
    } else {
        Ok((ExecReply::NeedObject, Vec::new()))
    };
    if let Ok((ExecReply::NeedObject, _)) = reply {
        match exec.proc.request::<_, ExecReply>(
            &ExecRequest::Load {
                key: variant.key.0.clone(),
            },
            &variant.object,
            Instant::now() + Duration::from_secs(30),
            SMALL_REPLY,
        ) {
            Ok((ExecReply::Loaded, _)) => reply = send_execute(exec),
            Ok((ExecReply::LoadFailed { error }, _)) => {
                return Attempt::Done(
                    failed(
                        Outcome::Rejected(format!("cannot load the variant: {error}")),
                        isolation,
                    ),
                    Outputs::default(),
                )
            }
            Ok((other, _)) => {
                slot.replace();
                return Attempt::Lost(format!("unexpected reply {other:?}"));
            }
            Err(e) => reply = Err(e),
        }
    }
    let roundtrip_nanos = started.elapsed().as_nanos() as u64;
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
            let ok = outcome == Outcome::Ok;
            let mut outputs = Vec::with_capacity(input.args.len());
            let mut offset = 0usize;
            let mut pipe_offset = 0usize;
            let mut k = 0usize;
            // The same executor (and region) that answered, even if it was
            // killed since: its results are in the region all the same.
            let Some(exec) = slot.current() else {
                return Attempt::Lost("the executor vanished".into());
            };
            exec.settling = true;
            for (i, a) in input.args.iter().enumerate() {
                let Value::Array(b) = &a.value else {
                    outputs.push(None);
                    continue;
                };
                let n = b.padded_byte_len();
                let mut after = None;
                // An array the code cannot write is the input still: not
                // read back (for a large read-only input, that is the whole
                // cost of a comparison saved).
                let may_write = variant.writes.get(i).copied().unwrap_or(true);
                if ok && (may_write || !in_region) {
                    match exec.region.as_mut().filter(|_| in_region) {
                        // The results are in the region: take the arrays the
                        // kernel changed.
                        Some(r) => {
                            let now = &r.data()[offset..offset + n];
                            if now != b.padded_bytes() {
                                after = Some(copied(b, now));
                            }
                        }
                        None => {
                            if changed.get(k).copied().unwrap_or(false) {
                                if let Some(src) = out.get(pipe_offset..pipe_offset + n) {
                                    after = Some(copied(b, src));
                                }
                                pipe_offset += n;
                            }
                        }
                    }
                }
                offset += n;
                k += 1;
                outputs.push(after);
            }
            slot.tag(&variant.key.0);
            Attempt::Done(
                Execution {
                    ret: ret_bits.and_then(|b| result(ret, b)),
                    outcome,
                    kernel_nanos,
                    roundtrip_nanos,
                    isolation,
                },
                Outputs(outputs),
            )
        }
        Ok((ExecReply::Error { message }, _)) => Attempt::Done(
            failed(Outcome::Rejected(message), isolation),
            Outputs::default(),
        ),
        Ok((other, _)) => {
            slot.replace();
            Attempt::Lost(format!("unexpected reply {other:?}"))
        }
        Err(ProcError::Timeout) => {
            slot.replace();
            Attempt::Done(failed(Outcome::Timeout, isolation), Outputs::default())
        }
        Err(ProcError::Died { signal, code }) => {
            slot.replace();
            if policy.isolation == Isolation::Process {
                // The kernel ran in the executor: its death is the kernel's.
                let outcome = match signal {
                    Some(libc::SIGSYS) => Outcome::SandboxViolation(None),
                    Some(libc::SIGXCPU) => Outcome::Timeout,
                    Some(s) => Outcome::Crashed(s),
                    None => Outcome::Crashed(code.unwrap_or(0)),
                };
                Attempt::Done(failed(outcome, isolation), Outputs::default())
            } else {
                Attempt::Lost(format!("executor died (signal {signal:?}, exit {code:?})"))
            }
        }
        Err(ProcError::Protocol(m)) => {
            slot.replace();
            Attempt::Lost(m)
        }
    }
}

/// A buffer shaped like `like` holding `bytes` (its padded length).
fn copied(like: &Buffer, bytes: &[u8]) -> Buffer {
    let mut b = Buffer::zeroed(like.elem(), like.len());
    b.padded_bytes_mut().copy_from_slice(bytes);
    b
}

fn failed(outcome: Outcome, isolation: String) -> Execution {
    Execution {
        outcome,
        ret: None,
        kernel_nanos: 0,
        roundtrip_nanos: 0,
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
