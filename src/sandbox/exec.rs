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
use std::io::{BufReader, BufWriter};
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

/// The children's filter: exiting only; every other call traps to
/// `on_sigsys`. Built once, before the executor's own filter.
fn child_filter() -> Result<seccompiler::BpfProgram, String> {
    use seccompiler::{SeccompAction, SeccompFilter, TargetArch};
    // `read`: a waiting child is confined before it waits for its go, on the
    // one descriptor it still holds (the go pipe's read end).
    let rules = [
        libc::SYS_exit,
        libc::SYS_exit_group,
        libc::SYS_rt_sigreturn,
        libc::SYS_read,
    ]
    .into_iter()
    .map(|s| (s, Vec::new()))
    .collect();
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
/// pipe, for the executor to fill the shared region; then it runs the
/// kernel and exits.
///
/// # Safety
/// Called only in a freshly forked child of the single-threaded executor;
/// `entry` is a loaded variant and `region` the shared region.
unsafe fn waiting_child(
    entry: CallFn,
    region: *mut u8,
    go: i32,
    filter: &seccompiler::BpfProgram,
    cpu_secs: u64,
    prefault: usize,
) -> ! {
    // SAFETY: system calls in a forked child of a single-threaded process:
    // no lock can be held by another thread; the region is mapped shared.
    unsafe {
        if go > 0 {
            libc::syscall(libc::SYS_close_range, 0u32, (go - 1) as u32, 0u32);
        }
        libc::syscall(libc::SYS_close_range, (go + 1) as u32, u32::MAX, 0u32);
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
        libc::syscall(libc::SYS_exit, 0);
    }
    // The exit above does not return.
    #[allow(clippy::empty_loop)]
    loop {}
}

/// Waits for a child until `deadline_ms`; kills it then. Returns the wait
/// status and whether we killed it.
fn wait_child(pid: libc::pid_t, deadline_ms: u64) -> (i32, bool) {
    // SAFETY: pidfd_open/poll/kill/waitpid on our own child.
    unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pid, 0) as i32;
        let mut killed = false;
        if pidfd >= 0 {
            let mut fds = libc::pollfd {
                fd: pidfd,
                events: libc::POLLIN,
                revents: 0,
            };
            let timeout = i32::try_from(deadline_ms).unwrap_or(i32::MAX);
            let r = loop {
                let r = libc::poll(&mut fds, 1, timeout);
                if r < 0
                    && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
                {
                    continue;
                }
                break r;
            };
            if r == 0 {
                libc::kill(pid, libc::SIGKILL);
                killed = true;
            }
            libc::close(pidfd);
        } else {
            // No pidfds: poll the child's state.
            let started = Instant::now();
            loop {
                let mut status = 0;
                let r = libc::waitpid(pid, &mut status, libc::WNOHANG);
                if r == pid {
                    return (status, false);
                }
                if started.elapsed().as_millis() as u64 >= deadline_ms {
                    libc::kill(pid, libc::SIGKILL);
                    killed = true;
                    break;
                }
                libc::usleep(200);
            }
        }
        let mut status = 0;
        while libc::waitpid(pid, &mut status, 0) < 0
            && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
        {}
        (status, killed)
    }
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
            // SAFETY: our own child and pipe.
            unsafe {
                libc::close(i.go);
                libc::kill(i.pid, libc::SIGKILL);
                let mut status = 0;
                libc::waitpid(i.pid, &mut status, 0);
            }
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
        let mut fds = [0i32; 2];
        // SAFETY: pipe2 fills two descriptors; fork in a single-threaded
        // process; the child runs `waiting_child`, which never returns.
        unsafe {
            if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
                return;
            }
            let pid = libc::fork();
            if pid == 0 {
                waiting_child(
                    entry,
                    self.region.base,
                    fds[0],
                    &self.filter,
                    self.cpu_secs,
                    self.last_bytes,
                );
            }
            libc::close(fds[0]);
            if pid < 0 {
                libc::close(fds[1]);
                return;
            }
            self.idle = Some(Idle {
                key: key.to_owned(),
                pid,
                go: fds[1],
                cpu_secs: self.cpu_secs,
            });
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
                let (status, killed) = wait_child(idle.pid, deadline_ms);
                // SAFETY: the child is gone; the area is ours alone again.
                let (done, violation) = unsafe { ((*area).done == 1, (*area).violation) };
                outcome_of(status, killed, done, violation)
            }
        };
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
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut r = BufReader::new(stdin.lock());
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
    };
    loop {
        let msg: Option<(ExecRequest, Vec<u8>)> = match recv(&mut r, super::wire::MAX_PAYLOAD) {
            Ok(m) => m,
            Err(_) => return 2,
        };
        let Some((req, payload)) = msg else {
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
        if send(&mut w, &reply, &out).is_err() {
            return 2;
        }
        // The next child for this variant, forked after the reply.
        if let Some(key) = next {
            ex.prefork(&key);
        }
    }
}
