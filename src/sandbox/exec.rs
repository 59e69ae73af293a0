//! The lean executor (`tailor-exec`): a small process without LLVM that
//! loads variants' object code with [`super::elf`] and runs them, each
//! execution in a child forked from it ahead of time (cheap: the executor's
//! resident set is a few MiB) or, in [`Isolation::Process`] mode, in itself.
//!
//! **Lanes.** An executor has two lanes. A lane is a region of memory
//! shared with the engine (a memfd the engine made: a header, then the
//! arguments), a *go* pipe and a *done* pipe, and at most one child forked
//! for one variant, waiting on the go pipe. The engine writes a request's
//! arguments into a lane and writes the go byte itself; the child runs the
//! kernel on the region, writes its done byte, and waits to be killed. The
//! executor is not on that path at all: it only sees, afterwards, the
//! engine's `Tidy` (kill and reap the child, clear the region past the
//! arguments, fork the next child), which it does while the engine serves
//! the next request on the other lane. So a request never waits for a reap or a fork, and the
//! answer costs two wake-ups (the child's, the engine's).
//!
//! **A child** holds two descriptors, its lane's go read end and done write
//! end, and sees its own lane's region only (the other lane and every other
//! variant are unmapped before it waits). It gets a CPU limit and the
//! tightest seccomp filter that works, [`CHILD_CALLS`]: `read` for its go,
//! `write` for its done, exiting (and `rt_sigreturn`). Strict mode would be
//! the classic choice, but a process already under a filter (the
//! executor's) cannot switch to strict mode, and strict mode kills with
//! SIGKILL, which says nothing of the call. Any other call traps: a SIGSYS
//! handler writes the call's number into the lane's result area and exits,
//! so the engine reports `SandboxViolation(<syscall>)`. The engine enforces
//! the wall-clock deadline (its `Tidy` kills), the CPU limit backs it up,
//! and a child dies with its executor (`PR_SET_PDEATHSIG`).

use super::elf::LoadedElf;
use super::proto::{Arm, ExecReply, ExecRequest};
use super::wire::{recv, send};
use super::{resolve_loadable, Outcome};
use crate::transform::codegen::CALL_SYMBOL;
use std::collections::HashMap;
use std::io::BufWriter;
use std::time::Instant;

/// Address space allowed to the executor (its lanes live in it).
const ADDRESS_SPACE: u64 = 16 << 30;
/// Variants kept loaded before the least recently used is dropped.
const MAX_LOADED: usize = 64;
/// Lanes per executor.
pub const LANES: usize = 2;

type CallFn = unsafe extern "C" fn(*const u64, *mut u64);

/// Where a lane's child leaves its results (the start of the header).
#[repr(C)]
pub struct ResultArea {
    /// 1 once the kernel returned.
    pub done: u64,
    pub ret: u64,
    pub nanos: u64,
    /// The system call number + 1 of a sandbox violation.
    pub violation: u64,
}

/// A lane's header: the result area, then the argument count at
/// [`COUNT_AT`] and [`MAX_SLOTS`] slots of two words from [`SLOTS_AT`]
/// (a kind, [`SLOT_SCALAR`] or [`SLOT_ARRAY`], and the scalar's bits or the
/// array's offset past the header). The arguments follow the header.
pub const HEADER: usize = 8192;
pub const COUNT_AT: usize = 64;
pub const SLOTS_AT: usize = 72;
pub const MAX_SLOTS: usize = (HEADER - SLOTS_AT) / 16;
pub const SLOT_SCALAR: u64 = 0;
pub const SLOT_ARRAY: u64 = 1;
/// The arguments' room in a lane (reserved, not committed).
pub const REGION: usize = 2 << 30;

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

/// A lane's region as this process maps it (from the engine's memfd).
struct Shared {
    base: *mut u8,
    len: usize,
}

impl Shared {
    /// Maps the engine's memfd `fd` (closed after mapping: the mapping
    /// keeps the memory).
    fn from_fd(fd: i32) -> Option<Shared> {
        let len = HEADER + REGION;
        // SAFETY: a shared mapping of a descriptor the engine gave us.
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

    fn area(&self) -> *mut ResultArea {
        self.base as *mut ResultArea
    }
}

/// The arguments as `tailor_call` takes them, from a lane's header: arrays
/// as addresses in this process's mapping of the lane.
///
/// # Safety
/// `base` is a mapped lane of `HEADER + REGION` bytes.
unsafe fn args_of(base: *mut u8, out: &mut [u64; MAX_SLOTS]) -> usize {
    // SAFETY: the header lies inside the mapping; the count is bounded.
    unsafe {
        let count = (*(base.add(COUNT_AT) as *const u64) as usize).min(MAX_SLOTS);
        let slots = base.add(SLOTS_AT) as *const u64;
        for (i, slot) in out.iter_mut().enumerate().take(count) {
            let (kind, value) = (*slots.add(2 * i), *slots.add(2 * i + 1));
            *slot = if kind == SLOT_ARRAY {
                // An offset past the region's end would point outside it:
                // clamp to its start (the engine never writes one).
                let off = if (value as usize) < REGION {
                    value as usize
                } else {
                    0
                };
                base.add(HEADER + off) as u64
            } else {
                value
            };
        }
        count
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

/// A forked child's whole life: it confines itself (descriptors, CPU
/// limit, signals, the other lanes and variants unmapped, filter), maps the
/// pages the next arguments will likely use, then waits for its go on the
/// read end of its lane's go pipe; then it runs the kernel, says it is done
/// and waits to be killed.
///
/// # Safety
/// Called only in a freshly forked child of the single-threaded executor;
/// `entry` is a loaded variant and `region` its lane's mapping.
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
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if libc::getppid() == 1 {
            libc::syscall(libc::SYS_exit, 0);
        }
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
                prefault.min(REGION),
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
        let mut args = [0u64; MAX_SLOTS];
        let count = args_of(region, &mut args);
        call(entry, &args[..count], area);
        libc::write(done, [1u8].as_ptr() as *const libc::c_void, 1);
        // Wait for the `Tidy` that kills it rather than exit now: an exit
        // would wake the executor for nothing (its reap comes with the
        // `Tidy` all the same), and no go comes before that `Tidy`.
        libc::read(go, cmd.as_mut_ptr() as *mut libc::c_void, 8);
        libc::syscall(libc::SYS_exit, 0);
    }
    // The exit above does not return.
    #[allow(clippy::empty_loop)]
    loop {}
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

/// Reads whatever is waiting in a pipe without blocking (a child that died
/// before its go left the go byte; a hostile one may write more than one
/// done byte): the next child starts on empty pipes.
fn drain(fd: i32) {
    let mut buf = [0u8; 512];
    loop {
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll and read on a pipe end this process holds.
        unsafe {
            if libc::poll(&mut p, 1, 0) <= 0 || p.revents & libc::POLLIN == 0 {
                return;
            }
            if libc::read(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len()) <= 0 {
                return;
            }
        }
    }
}

/// A lane's child, forked for one variant.
struct Child {
    pid: libc::pid_t,
    /// Readable when the child has exited.
    pidfd: i32,
}

/// One lane as the executor holds it.
struct Lane {
    region: Shared,
    /// The go pipe's read end (children inherit it).
    go: i32,
    /// The done pipe's write end (children inherit it) and read end (to
    /// drain what a child left).
    done_w: i32,
    done_r: i32,
    child: Option<Child>,
}

impl Lane {
    /// Kills (if alive) and reaps the lane's child; its wait status.
    fn end_child(&mut self, kill: bool) -> Option<i32> {
        let c = self.child.take()?;
        let status = reap(c.pid, kill);
        // SAFETY: our own pidfd.
        unsafe { libc::close(c.pidfd) };
        Some(status)
    }

    /// Everything in the region past `used` bytes of arguments is cleared
    /// (a kernel that wrote far past its arrays pins no memory), and the
    /// header too. The first `used` bytes are overwritten by the engine
    /// with the next request's arguments, which zeroes what they do not
    /// cover. No child may be alive.
    fn scrub(&mut self, used: usize) {
        let page = 4096;
        let used = used.min(REGION);
        let keep = used.div_ceil(page) * page;
        // SAFETY: ranges inside our mapping; no child runs in the lane.
        unsafe {
            std::ptr::write_bytes(self.region.base, 0, HEADER);
            let data = self.region.base.add(HEADER);
            std::ptr::write_bytes(data.add(used), 0, keep - used);
            if keep < REGION {
                libc::madvise(
                    data.add(keep) as *mut libc::c_void,
                    REGION - keep,
                    libc::MADV_REMOVE,
                );
            }
        }
    }
}

struct Executor {
    loaded: HashMap<String, (LoadedElf, u64)>,
    tick: u64,
    filter: seccompiler::BpfProgram,
    lanes: Vec<Lane>,
}

impl Executor {
    fn load(&mut self, key: String, object: &[u8]) -> ExecReply {
        if self.loaded.len() >= MAX_LOADED {
            // A waiting child keeps its own copy of its variant.
            if let Some(oldest) = self
                .loaded
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| k.clone())
            {
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

    /// The variant's entry, marking it used.
    fn entry(&mut self, key: &str) -> Option<CallFn> {
        self.tick += 1;
        let tick = self.tick;
        let (elf, t) = self.loaded.get_mut(key)?;
        *t = tick;
        // SAFETY: the loader resolved `tailor_call`, whose signature is fixed.
        Some(unsafe { std::mem::transmute::<usize, CallFn>(elf.entry()) })
    }

    /// `Tidy`: the lane's last child is killed and reaped, its pipes
    /// drained, its region cleared, and a child for `arm` forked.
    fn tidy(&mut self, lane: usize, used: usize, arm: Option<Arm>) -> ExecReply {
        let Some(l) = self.lanes.get_mut(lane) else {
            return ExecReply::Error {
                message: format!("no lane {lane}"),
            };
        };
        l.end_child(true);
        drain(l.go);
        drain(l.done_r);
        l.scrub(used);
        let armed = match arm {
            Some(arm) => self.fork_child(lane, &arm, used),
            None => false,
        };
        ExecReply::Ready { lane, armed }
    }

    /// Forks a child for `arm` in `lane`, waiting for its go.
    fn fork_child(&mut self, lane: usize, arm: &Arm, prefault: usize) -> bool {
        let Some(entry) = self.entry(&arm.key) else {
            return false;
        };
        let (go, done, base) = {
            let l = &self.lanes[lane];
            (l.go, l.done_w, l.region.base)
        };
        // SAFETY: fork in a single-threaded process; the child runs
        // `waiting_child`, which never returns.
        unsafe {
            let pid = libc::fork();
            if pid == 0 {
                // The child holds its own variant and lane only: every other
                // kernel's code and data, and the other lanes, are unmapped
                // before it waits.
                self.loaded.retain(|k, _| *k == arm.key);
                for (i, other) in self.lanes.iter().enumerate() {
                    if i != lane {
                        libc::munmap(other.region.base as *mut libc::c_void, other.region.len);
                    }
                }
                waiting_child(
                    entry,
                    base,
                    (go, done),
                    &self.filter,
                    arm.cpu_secs,
                    prefault,
                );
            }
            if pid < 0 {
                return false;
            }
            let pidfd = libc::syscall(libc::SYS_pidfd_open, pid, 0) as i32;
            if pidfd < 0 {
                reap(pid, true);
                return false;
            }
            self.lanes[lane].child = Some(Child { pid, pidfd });
        }
        true
    }

    /// A lane's child ended by itself: reaped, and what happened.
    fn ended(&mut self, lane: usize) -> Outcome {
        let l = &mut self.lanes[lane];
        let status = l.end_child(false).unwrap_or(0);
        // SAFETY: the child is gone; the area is ours (and the engine's).
        let (done, violation) =
            unsafe { ((*l.region.area()).done == 1, (*l.region.area()).violation) };
        outcome_of(status, false, done, violation)
    }

    /// Process isolation: the kernel runs here, on the lane's arguments.
    fn execute(&mut self, key: &str, lane: usize) -> ExecReply {
        let Some(entry) = self.entry(key) else {
            return ExecReply::NeedObject;
        };
        let Some(l) = self.lanes.get_mut(lane) else {
            return ExecReply::Error {
                message: format!("no lane {lane}"),
            };
        };
        // No child may share the region with the run.
        l.end_child(true);
        let mut args = [0u64; MAX_SLOTS];
        let area = l.region.area();
        // SAFETY: the lane is mapped; the engine wrote its header and
        // arguments, sized from the kernel's signature.
        unsafe {
            let count = args_of(l.region.base, &mut args);
            call(entry, &args[..count], area);
            ExecReply::Executed {
                outcome: Outcome::Ok,
                ret_bits: Some((*area).ret),
                kernel_nanos: (*area).nanos,
            }
        }
    }
}

/// `--lane MEMFD,GO_READ,DONE_WRITE,DONE_READ`, once per lane.
fn lanes_from_args() -> Option<Vec<Lane>> {
    let args: Vec<String> = std::env::args().collect();
    let mut lanes = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if a != "--lane" {
            continue;
        }
        let fds: Vec<i32> = args
            .get(i + 1)?
            .split(',')
            .map(|f| f.parse().ok())
            .collect::<Option<_>>()?;
        let [mem, go, done_w, done_r] = fds[..] else {
            return None;
        };
        lanes.push(Lane {
            region: Shared::from_fd(mem)?,
            go,
            done_w,
            done_r,
            child: None,
        });
    }
    (lanes.len() == LANES).then_some(lanes)
}

/// Waits until a request is waiting on stdin (true) or a lane's child has
/// ended (false, with the lane in `ended`).
fn wait_for_work(lanes: &[Lane], ended: &mut Vec<usize>) -> bool {
    let mut fds = vec![libc::pollfd {
        fd: 0,
        events: libc::POLLIN,
        revents: 0,
    }];
    let mut which = Vec::new();
    for (i, l) in lanes.iter().enumerate() {
        if let Some(c) = &l.child {
            fds.push(libc::pollfd {
                fd: c.pidfd,
                events: libc::POLLIN,
                revents: 0,
            });
            which.push(i);
        }
    }
    loop {
        // SAFETY: poll on descriptors we own.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
        if r < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return true;
        }
        for (p, lane) in fds[1..].iter().zip(&which) {
            if p.revents != 0 {
                ended.push(*lane);
            }
        }
        return fds[0].revents != 0;
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
    let Some(lanes) = lanes_from_args() else {
        return 2;
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
    let mut ex = Executor {
        loaded: HashMap::new(),
        tick: 0,
        filter,
        lanes,
    };
    let mut ended = Vec::new();
    loop {
        let request_waiting = wait_for_work(&ex.lanes, &mut ended);
        for lane in ended.drain(..) {
            let outcome = ex.ended(lane);
            if send(&mut w, &ExecReply::Ended { lane, outcome }, &[]).is_err() {
                return 2;
            }
        }
        if !request_waiting {
            continue;
        }
        let msg: Option<(ExecRequest, Vec<u8>)> = match recv(&mut r, super::wire::MAX_PAYLOAD) {
            Ok(m) => m,
            Err(_) => return 2,
        };
        let Some((req, mut payload)) = msg else {
            return 0;
        };
        let reply = match req {
            ExecRequest::Load { key } => ex.load(key, &payload),
            ExecRequest::Tidy { lane, used, arm } => ex.tidy(lane, used as usize, arm),
            ExecRequest::Execute { key, lane } => ex.execute(&key, lane),
            ExecRequest::Ping => ExecReply::Pong {
                pid: std::process::id(),
                confinement: confinement.clone(),
            },
        };
        payload.fill(0);
        if send(&mut w, &reply, &[]).is_err() {
            return 2;
        }
    }
}
