//! The lean executor (`tailor-exec`): a small process without LLVM that
//! loads variants' object code with [`super::elf`] and runs them, each
//! execution in a child forked from it (cheap: the executor's resident set
//! is a few MiB) or, in [`Isolation::Process`] mode, in itself.
//!
//! A forked child holds one file descriptor, the read end of its go pipe:
//! it reads its arguments from and writes its results to memory shared
//! with the executor (mapped before the fork), gets a CPU limit, and enters
//! the tightest seccomp filter that works: `exit`, `exit_group`,
//! `rt_sigreturn`, and `read` for the go it waits for. Strict
//! mode would be the classic choice, but a process already under a filter
//! (the executor's) cannot switch to strict mode, and strict mode kills with
//! SIGKILL, which says nothing of the call. Any other call traps: a SIGSYS
//! handler writes the call's number into the shared result area and exits,
//! so the engine reports `SandboxViolation(<syscall>)`. It is killed at its
//! wall-clock deadline.

use super::elf::LoadedElf;
use super::proto::{ExecReply, ExecRequest, Isolation, Slot};
use super::wire::{recv, send};
use super::{resolve_loadable, Outcome};
use crate::transform::codegen::CALL_SYMBOL;
use std::collections::HashMap;
use std::io::BufWriter;
use std::time::Instant;

/// Address space allowed to the executor (inputs live in it).
const ADDRESS_SPACE: u64 = 16 << 30;
/// Variants kept loaded before the least recently used is dropped.
const MAX_LOADED: usize = 64;

type CallFn = unsafe extern "C" fn(*const u64, *mut u64);

/// Shared memory for one execution: the result header, then the arrays.
struct Shared {
    base: *mut u8,
    len: usize,
}

/// Where the child leaves its results.
#[repr(C)]
struct ResultArea {
    done: u64,
    ret: u64,
    nanos: u64,
    /// The system call number + 1 of a sandbox violation.
    violation: u64,
}

/// The result area of the current child, for its SIGSYS handler.
static AREA: std::sync::atomic::AtomicPtr<ResultArea> =
    std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());

extern "C" fn on_sigsys(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: async-signal-safe: a store to shared memory and a raw exit.
    // `info` is the kernel's siginfo for SIGSYS, whose layout after the
    // common header is (call address, syscall number, arch).
    unsafe {
        let area = AREA.load(std::sync::atomic::Ordering::Relaxed);
        if !area.is_null() && !info.is_null() {
            let fields = (info as *const u8).add(16);
            let nr = *(fields.add(8) as *const i32);
            (*area).violation = nr as u64 + 1;
        }
        libc::syscall(libc::SYS_exit, 4);
    }
}

/// Every call a forked child may make once confined: reading its go,
/// writing its done, exiting (and returning from the SIGSYS handler).
pub const CHILD_CALLS: [i64; 5] = [
    libc::SYS_exit,
    libc::SYS_exit_group,
    libc::SYS_rt_sigreturn,
    libc::SYS_read,
    libc::SYS_write,
];

/// The children's filter: [`CHILD_CALLS`] only; every other call traps to
/// `on_sigsys`. Built once, before the executor's own filter.
fn child_filter() -> Result<seccompiler::BpfProgram, String> {
    use seccompiler::{SeccompAction, SeccompFilter, TargetArch};
    // `read`: a waiting child is confined before it waits for its go, on
    // its go pipe's read end; `write`: it says it is done through its done
    // pipe's write end. Those two are the only descriptors it holds.
    let rules = CHILD_CALLS.into_iter().map(|s| (s, Vec::new())).collect();
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|e| e.to_string())?;
    SeccompFilter::new(rules, SeccompAction::Trap, SeccompAction::Allow, arch)
        .and_then(seccompiler::BpfProgram::try_from)
        .map_err(|e| e.to_string())
}

/// Names of the calls a hostile kernel is most likely to try.
pub fn syscall_name(nr: i64) -> String {
    let name = match nr {
        libc::SYS_read => "read",
        libc::SYS_write => "write",
        libc::SYS_open => "open",
        libc::SYS_openat => "openat",
        libc::SYS_close => "close",
        libc::SYS_mmap => "mmap",
        libc::SYS_socket => "socket",
        libc::SYS_connect => "connect",
        libc::SYS_clone => "clone",
        libc::SYS_fork => "fork",
        libc::SYS_vfork => "vfork",
        libc::SYS_execve => "execve",
        libc::SYS_kill => "kill",
        libc::SYS_ptrace => "ptrace",
        libc::SYS_getpid => "getpid",
        libc::SYS_brk => "brk",
        _ => return format!("syscall {nr}"),
    };
    name.to_owned()
}

/// The shared region's header: the result area, then the argument slots
/// (a count and up to `MAX_SLOTS` values) a pre-forked child reads when
/// told to go.
pub const HEADER: usize = 4096;
const SLOTS_AT: usize = 64;
const MAX_SLOTS: usize = (HEADER - SLOTS_AT - 8) / 8;
/// The shared region reused by every execution (reserved, not committed).
pub const REGION: usize = 2 << 30;

impl Shared {
    fn new(len: usize) -> Option<Shared> {
        let len = HEADER + len.max(64);
        // SAFETY: an anonymous shared mapping; both the executor and the
        // child it forks see the same pages.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        (p != libc::MAP_FAILED).then_some(Shared {
            base: p as *mut u8,
            len,
        })
    }

    /// The region the engine made (a memfd it passed as `fd`): the engine
    /// writes arguments straight into it, no copy through the pipe.
    fn from_fd(fd: i32, len: usize) -> Option<Shared> {
        let len = HEADER + len.max(64);
        // SAFETY: a shared mapping of a descriptor the engine gave us; the
        // descriptor is closed after mapping (the mapping keeps the memory).
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_NORESERVE,
                fd,
                0,
            );
            libc::close(fd);
            (p != libc::MAP_FAILED).then_some(Shared {
                base: p as *mut u8,
                len,
            })
        }
    }

    fn result(&self) -> *mut ResultArea {
        self.base as *mut ResultArea
    }

    fn data(&mut self) -> &mut [u8] {
        // SAFETY: the mapping is `len` bytes, the first HEADER are results.
        unsafe { std::slice::from_raw_parts_mut(self.base.add(HEADER), self.len - HEADER) }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: our own mapping, no child uses it any more.
        unsafe {
            libc::munmap(self.base as *mut libc::c_void, self.len);
        }
    }
}

/// Runs the kernel: in a forked child, this is all the child does.
///
/// # Safety
/// `entry` is a loaded variant's `tailor_call`; `slots` point into live
/// memory sized for the kernel.
unsafe fn call(entry: CallFn, slots: &[u64], area: *mut ResultArea) {
    let started = Instant::now();
    let mut ret = 0u64;
    // SAFETY: per this function's contract.
    unsafe {
        entry(slots.as_ptr(), &mut ret);
        (*area).ret = ret;
        (*area).nanos = started.elapsed().as_nanos() as u64;
        (*area).done = 1;
    }
}

/// A pre-forked child's whole life: it confines itself (descriptors, CPU
/// limit, filter), then waits, holding nothing but the read end of its go
/// pipe and the write end of its done pipe, for the executor to fill the
/// shared region; then it runs the kernel, says it is done (so the answer
/// need not wait for its exit) and exits.
///
/// # Safety
/// Called only in a freshly forked child of the single-threaded executor;
/// `entry` is a loaded variant and `region` the shared region.
unsafe fn waiting_child(
    entry: CallFn,
    region: *mut u8,
    (go, done): (i32, i32),
    filter: &seccompiler::BpfProgram,
    cpu_secs: u64,
    prefault: usize,
) -> ! {
    // SAFETY: system calls in a forked child of a single-threaded process:
    // no lock can be held by another thread; the region is mapped shared.
    unsafe {
        let (low, high) = (go.min(done), go.max(done));
        if low > 0 {
            libc::syscall(libc::SYS_close_range, 0u32, (low - 1) as u32, 0u32);
        }
        if high > low + 1 {
            libc::syscall(
                libc::SYS_close_range,
                (low + 1) as u32,
                (high - 1) as u32,
                0u32,
            );
        }
        libc::syscall(libc::SYS_close_range, (high + 1) as u32, u32::MAX, 0u32);
        let lim = libc::rlimit {
            rlim_cur: cpu_secs,
            rlim_max: cpu_secs + 1,
        };
        libc::setrlimit(libc::RLIMIT_CPU, &lim);
        let area = region as *mut ResultArea;
        AREA.store(area, std::sync::atomic::Ordering::Relaxed);
        // Rust's runtime catches SIGSEGV/SIGBUS to report stack overflows,
        // which takes system calls; a fault must simply kill the child.
        libc::signal(libc::SIGSEGV, libc::SIG_DFL);
        libc::signal(libc::SIGBUS, libc::SIG_DFL);
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigsys as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO;
        libc::sigaction(libc::SIGSYS, &action, std::ptr::null_mut());
        // Map the pages the last execution's arguments used (the next one
        // most likely uses the same): page faults would otherwise land on
        // the kernel's time. MADV_POPULATE_WRITE needs Linux 5.14; without
        // it the faults simply happen later.
        if prefault > 0 {
            libc::madvise(
                region.add(HEADER) as *mut libc::c_void,
                prefault,
                libc::MADV_POPULATE_WRITE,
            );
        }
        // Confined before waiting: all of this is off the critical path.
        if seccompiler::apply_filter(filter).is_err() {
            libc::syscall(libc::SYS_exit, 3);
        }
        let mut cmd = [0u8; 8];
        if libc::read(go, cmd.as_mut_ptr() as *mut libc::c_void, 8) != 8 {
            libc::syscall(libc::SYS_exit, 0);
        }
        let count = (*(region.add(SLOTS_AT) as *const u64)) as usize;
        let slots = std::slice::from_raw_parts(
            region.add(SLOTS_AT + 8) as *const u64,
            count.min(MAX_SLOTS),
        );
        call(entry, slots, area);
        libc::write(done, [1u8].as_ptr() as *const libc::c_void, 1);
        libc::syscall(libc::SYS_exit, 0);
    }
    // The exit above does not return.
    #[allow(clippy::empty_loop)]
    loop {}
}

/// How waiting for a child's done ended.
enum Waited {
    /// It said it is done (it may still be exiting).
    Done,
    /// Its done pipe closed without a word: it is gone (crashed, trapped).
    Gone,
    /// The deadline passed; it was killed.
    Killed,
}

/// Waits for a child's done byte until `deadline_ms`, killing it then.
fn wait_done(pid: libc::pid_t, done: i32, deadline_ms: u64) -> Waited {
    let started = Instant::now();
    let mut fds = libc::pollfd {
        fd: done,
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        let left = deadline_ms.saturating_sub(started.elapsed().as_millis() as u64);
        let timeout = i32::try_from(left).unwrap_or(i32::MAX);
        // SAFETY: poll on our own pipe's read end.
        let r = unsafe { libc::poll(&mut fds, 1, timeout) };
        if r < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        if r == 0 {
            // SAFETY: our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            return Waited::Killed;
        }
        let mut b = [0u8; 1];
        // SAFETY: reading one byte from our own pipe's read end.
        let n = unsafe { libc::read(done, b.as_mut_ptr() as *mut libc::c_void, 1) };
        return if n == 1 { Waited::Done } else { Waited::Gone };
    }
}

/// Kills (if it is not gone already) and reaps a child; its wait status.
fn reap(pid: libc::pid_t, kill: bool) -> i32 {
    let mut status = 0;
    // SAFETY: kill/waitpid on our own child.
    unsafe {
        if kill {
            libc::kill(pid, libc::SIGKILL);
        }
        while libc::waitpid(pid, &mut status, 0) < 0
            && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
        {}
    }
    status
}

/// What a child's wait status means.
pub fn outcome_of(status: i32, killed_by_us: bool, done: bool, violation: u64) -> Outcome {
    if killed_by_us {
        return Outcome::Timeout;
    }
    if violation > 0 {
        return Outcome::SandboxViolation(Some(syscall_name(violation as i64 - 1)));
    }
    if libc::WIFEXITED(status) {
        return match libc::WEXITSTATUS(status) {
            0 if done => Outcome::Ok,
            3 => Outcome::Rejected("the child could not enter its seccomp filter".into()),
            code => Outcome::Crashed(-code),
        };
    }
    if libc::WIFSIGNALED(status) {
        return match libc::WTERMSIG(status) {
            // A trapped call is reported through the result area; SIGSYS
            // without it means the handler itself could not run.
            libc::SIGSYS => Outcome::SandboxViolation(None),
            libc::SIGXCPU => Outcome::Timeout,
            sig => Outcome::Crashed(sig),
        };
    }
    Outcome::Crashed(0)
}

/// A child forked ahead of time for one variant, waiting for its go.
struct Idle {
    key: String,
    pid: libc::pid_t,
    go: i32,
    /// The read end of its done pipe.
    done: i32,
    /// The CPU limit it holds (from the deadline when it was forked).
    cpu_secs: u64,
}

struct Executor {
    loaded: HashMap<String, (LoadedElf, u64)>,
    tick: u64,
    filter: seccompiler::BpfProgram,
    region: Shared,
    idle: Option<Idle>,
    /// CPU seconds for the next child: from the last deadline asked for.
    cpu_secs: u64,
    /// Bytes of arguments of the last execution (what the next child
    /// maps ahead).
    last_bytes: usize,
    /// A child that said it is done and has not been reaped yet: reaped
    /// after the reply, before the region is used again.
    exiting: Option<libc::pid_t>,
}

impl Executor {
    fn load(&mut self, key: String, object: &[u8]) -> ExecReply {
        if self.loaded.len() >= MAX_LOADED {
            if let Some(oldest) = self
                .loaded
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| k.clone())
            {
                if self.idle.as_ref().is_some_and(|i| i.key == oldest) {
                    self.drop_idle();
                }
                self.loaded.remove(&oldest);
            }
        }
        match LoadedElf::load(object, CALL_SYMBOL, &resolve_loadable) {
            Ok(elf) => {
                self.tick += 1;
                self.loaded.insert(key, (elf, self.tick));
                ExecReply::Loaded
            }
            Err(error) => ExecReply::LoadFailed { error },
        }
    }

    fn entry(&self, key: &str) -> Option<CallFn> {
        // SAFETY: the loader resolved `tailor_call`, whose signature is fixed.
        self.loaded
            .get(key)
            .map(|(elf, _)| unsafe { std::mem::transmute::<usize, CallFn>(elf.entry()) })
    }

    fn drop_idle(&mut self) {
        if let Some(i) = self.idle.take() {
            // SAFETY: our own pipes.
            unsafe {
                libc::close(i.go);
                libc::close(i.done);
            }
            reap(i.pid, true);
        }
    }

    /// Forks a child for `key` that waits for its go: the fork is then off
    /// the next execution's critical path.
    fn prefork(&mut self, key: &str) {
        if self.idle.as_ref().is_some_and(|i| i.key == key) {
            return;
        }
        self.drop_idle();
        let Some(entry) = self.entry(key) else { return };
        let (mut go, mut done) = ([0i32; 2], [0i32; 2]);
        // SAFETY: pipe2 fills two descriptors each; fork in a single-threaded
        // process; the child runs `waiting_child`, which never returns.
        unsafe {
            if libc::pipe2(go.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
                return;
            }
            if libc::pipe2(done.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
                libc::close(go[0]);
                libc::close(go[1]);
                return;
            }
            let pid = libc::fork();
            if pid == 0 {
                // The child holds its own variant only: every other kernel's
                // code and data is unmapped before it waits.
                self.loaded.retain(|k, _| k == key);
                waiting_child(
                    entry,
                    self.region.base,
                    (go[0], done[1]),
                    &self.filter,
                    self.cpu_secs,
                    self.last_bytes,
                );
            }
            libc::close(go[0]);
            libc::close(done[1]);
            if pid < 0 {
                libc::close(go[1]);
                libc::close(done[0]);
                return;
            }
            self.idle = Some(Idle {
                key: key.to_owned(),
                pid,
                go: go[1],
                done: done[0],
                cpu_secs: self.cpu_secs,
            });
        }
    }

    /// Sends the child that said it is done its SIGKILL (it exits on its own
    /// too; this makes sure a kernel that faked its done stops).
    fn kill_exiting(&mut self) {
        if let Some(pid) = self.exiting {
            // SAFETY: our own child, not yet reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }

    /// Reaps the child of the last execution, so none can touch the region
    /// when the next one starts.
    fn settle(&mut self) {
        if let Some(pid) = self.exiting.take() {
            reap(pid, true);
        }
    }

    /// Everything in the region past this execution's arguments is zero:
    /// the pages beyond are given back (a kernel that wrote far past its
    /// arrays pins no memory), the rest of the last page is cleared. What
    /// comes before is the engine's copy of this request's own arguments.
    fn scrub_beyond(&mut self, total: usize) {
        let data = self.region.data();
        let page = 4096;
        let keep = total.div_ceil(page) * page;
        let len = data.len();
        if keep > total {
            data[total..keep.min(len)].fill(0);
        }
        if keep < len {
            // SAFETY: a page-aligned range inside our shared mapping; no
            // child runs (the last one was reaped in `settle`).
            unsafe {
                libc::madvise(
                    data.as_mut_ptr().add(keep) as *mut libc::c_void,
                    len - keep,
                    libc::MADV_REMOVE,
                );
            }
        }
    }

    fn execute(
        &mut self,
        key: &str,
        slots: &[Slot],
        deadline_ms: u64,
        isolation: Isolation,
        buffers: &[u8],
        in_region: bool,
    ) -> (ExecReply, Vec<u8>) {
        self.tick += 1;
        let tick = self.tick;
        let Some((_, t)) = self.loaded.get_mut(key) else {
            return (ExecReply::NeedObject, Vec::new());
        };
        *t = tick;
        let total: usize = slots
            .iter()
            .map(|s| match s {
                Slot::Array { padded_bytes } => *padded_bytes as usize,
                Slot::Scalar { .. } => 0,
            })
            .sum();
        let error = |message: String| (ExecReply::Error { message }, Vec::new());
        if !in_region && total != buffers.len() {
            return error(format!(
                "{} bytes of arrays announced, {} sent",
                total,
                buffers.len()
            ));
        }
        if slots.len() > MAX_SLOTS {
            return error(format!("{} arguments; at most {MAX_SLOTS}", slots.len()));
        }
        if total > self.region.len - HEADER {
            return (
                ExecReply::Executed {
                    outcome: Outcome::OutOfMemory,
                    ret_bits: None,
                    kernel_nanos: 0,
                    changed: vec![],
                },
                Vec::new(),
            );
        }
        self.last_bytes = total.min(self.region.len - HEADER);
        self.settle();
        self.scrub_beyond(total);
        // Lay the arguments out in the region: arrays, then the slots.
        let base = self.region.data().as_mut_ptr() as u64;
        if !in_region {
            self.region.data()[..total].copy_from_slice(buffers);
        }
        let mut offset = 0u64;
        let args: Vec<u64> = slots
            .iter()
            .map(|s| match s {
                Slot::Array { padded_bytes } => {
                    let p = base + offset;
                    offset += padded_bytes;
                    p
                }
                Slot::Scalar { bits } => *bits,
            })
            .collect();
        let area = self.region.result();
        // SAFETY: the header is ours while no child runs; it holds the
        // result area and room for MAX_SLOTS slots (checked above).
        unsafe {
            std::ptr::write_bytes(self.region.base, 0, SLOTS_AT);
            *(self.region.base.add(SLOTS_AT) as *mut u64) = args.len() as u64;
            std::ptr::copy_nonoverlapping(
                args.as_ptr(),
                self.region.base.add(SLOTS_AT + 8) as *mut u64,
                args.len(),
            );
        }
        let outcome = match isolation {
            Isolation::Process => {
                self.drop_idle();
                let Some(entry) = self.entry(key) else {
                    return (ExecReply::NeedObject, Vec::new());
                };
                // SAFETY: the variant runs here, on memory sized by the
                // engine from the input spec.
                unsafe { call(entry, &args, area) };
                Outcome::Ok
            }
            Isolation::Fork => {
                let cpu_secs = deadline_ms.div_ceil(1000).max(1) + 1;
                if self.cpu_secs != cpu_secs {
                    // A waiting child holds the old limit: fork anew.
                    self.cpu_secs = cpu_secs;
                    if self.idle.as_ref().is_some_and(|i| i.cpu_secs != cpu_secs) {
                        self.drop_idle();
                    }
                }
                self.prefork(key);
                let Some(idle) = self.idle.take().filter(|i| i.key == key) else {
                    return error(format!("fork failed: {}", std::io::Error::last_os_error()));
                };
                // SAFETY: writing 8 bytes to our end of the child's pipe.
                unsafe {
                    libc::write(idle.go, [1u8; 8].as_ptr() as *const libc::c_void, 8);
                    libc::close(idle.go);
                }
                let waited = wait_done(idle.pid, idle.done, deadline_ms);
                // SAFETY: our own pipe's read end.
                unsafe { libc::close(idle.done) };
                match waited {
                    // The answer goes back now; the child is reaped after it.
                    // SAFETY: the child wrote the area before its done byte.
                    Waited::Done if unsafe { (*area).done } == 1 => {
                        self.exiting = Some(idle.pid);
                        Outcome::Ok
                    }
                    waited => {
                        let status = reap(idle.pid, matches!(waited, Waited::Done));
                        // SAFETY: the child is gone; the area is ours alone.
                        let (done, violation) = unsafe { ((*area).done == 1, (*area).violation) };
                        let killed = matches!(waited, Waited::Killed);
                        outcome_of(status, killed, done && !killed, violation)
                    }
                }
            }
        };
        let mut args = args;
        args.fill(0);
        // SAFETY: as above.
        let (ret, nanos) = unsafe { ((*area).ret, (*area).nanos) };
        let mut changed = Vec::new();
        let mut out = Vec::new();
        let mut offset = 0usize;
        let data = self.region.data();
        // With the arguments in the engine's region, the engine sees the
        // results there itself.
        let slots = if in_region { &[][..] } else { slots };
        for s in slots {
            if let Slot::Array { padded_bytes } = s {
                let n = *padded_bytes as usize;
                let now = &data[offset..offset + n];
                let differs = now != &buffers[offset..offset + n];
                changed.push(differs);
                if differs {
                    out.extend_from_slice(now);
                }
                offset += n;
            }
        }
        let ok = outcome == Outcome::Ok;
        (
            ExecReply::Executed {
                outcome,
                ret_bits: ok.then_some(ret),
                kernel_nanos: if ok { nanos } else { 0 },
                changed: if ok { changed } else { vec![] },
            },
            if ok { out } else { Vec::new() },
        )
    }
}

/// `tailor-exec`'s main: confine, then serve requests on stdin/stdout
/// until the engine closes the pipe. Returns the exit code.
pub fn main() -> i32 {
    // Resolve libm before the filter forbids opening it.
    let _ = resolve_loadable("sqrt");
    let filter = match child_filter() {
        Ok(f) => f,
        Err(_) => return 2,
    };
    let confinement = super::confine::confine(super::confine::Role::Executor, ADDRESS_SPACE);
    // Requests are read unbuffered, straight into buffers that are zeroed
    // once used (see `wire::recv`): no earlier request's bytes linger in
    // memory a later child inherits.
    // SAFETY: descriptor 0 is our stdin, open for the process's life and
    // used through nothing else.
    let mut r = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(0) };
    let stdout = std::io::stdout();
    let mut w = BufWriter::new(stdout.lock());
    // `--region-fd N`: the engine's shared region; else one of our own.
    let args: Vec<String> = std::env::args().collect();
    let fd = args
        .iter()
        .position(|a| a == "--region-fd")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse::<i32>().ok());
    let region = match fd {
        Some(fd) => Shared::from_fd(fd, REGION),
        None => Shared::new(REGION),
    };
    let Some(region) = region else {
        return 2;
    };
    let mut ex = Executor {
        loaded: HashMap::new(),
        tick: 0,
        filter,
        region,
        idle: None,
        cpu_secs: 6,
        last_bytes: 0,
        exiting: None,
    };
    loop {
        let msg: Option<(ExecRequest, Vec<u8>)> = match recv(&mut r, super::wire::MAX_PAYLOAD) {
            Ok(m) => m,
            Err(_) => return 2,
        };
        let Some((req, mut payload)) = msg else {
            return 0;
        };
        let mut next = None;
        let (reply, out) = match req {
            ExecRequest::Load { key } => (ex.load(key, &payload), Vec::new()),
            ExecRequest::Execute {
                key,
                slots,
                deadline_ms,
                isolation,
                in_region,
                ..
            } => {
                let r = ex.execute(&key, &slots, deadline_ms, isolation, &payload, in_region);
                // Arguments are gone from this process once answered.
                let mut slots = slots;
                slots.fill(Slot::Scalar { bits: 0 });
                if isolation == Isolation::Fork {
                    next = Some(key);
                }
                r
            }
            ExecRequest::Ping => (
                ExecReply::Pong {
                    pid: std::process::id(),
                    confinement: confinement.clone(),
                },
                Vec::new(),
            ),
        };
        let executed = matches!(reply, ExecReply::Executed { .. });
        let sent = send(&mut w, &reply, &out);
        payload.fill(0);
        let mut out = out;
        out.fill(0);
        if sent.is_err() {
            return 2;
        }
        // After the reply, off its critical path: the child that ran is
        // killed (it said it is done; it has nothing left to do), the next
        // one for this variant forked while it exits, then it is reaped,
        // and the engine told the region is free again.
        if executed {
            ex.kill_exiting();
            if let Some(key) = next {
                ex.prefork(&key);
            }
            ex.settle();
            if send(&mut w, &ExecReply::Ready, &[]).is_err() {
                return 2;
            }
        }
    }
}
