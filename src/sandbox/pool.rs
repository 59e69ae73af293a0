//! The engine's side of the sandbox: where the binaries are, and the pool
//! of lean executors (`tailor-exec`), checked out by one request at a time,
//! with affinity (an idle executor that has the variant loaded), deadlines,
//! replacement of dead executors and one retry for an execution that died
//! with its executor through no fault of its own.

use super::exec::{
    ResultArea, COUNT_AT, HEADER, LANES, MAX_SLOTS, REGION, SLOTS_AT, SLOT_ARRAY, SLOT_SCALAR,
};
use super::process::{Proc, ProcError};
use super::proto::{Arm, ExecReply, ExecRequest, Isolation};
use super::slots::{Member, ProcPool, Slot};
use super::{result, Execution, Outcome, SandboxError};
use crate::cache::Variant;
use crate::input::{Buffer, Input, Scalar, Value};
use crate::kernel::ReturnType;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
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

/// One of an executor's lanes as the engine holds it (see
/// [`super::exec`]): the region it shares with the executor and its
/// children, the go pipe's write end and the done pipe's read end.
struct EngineLane {
    base: *mut u8,
    len: usize,
    go: OwnedFd,
    done: OwnedFd,
    state: LaneState,
    /// Bytes of arguments the lane's last execution used: the executor
    /// clears what lies past them, the engine what the next arguments do
    /// not cover.
    used: usize,
    /// When it last ran something (a count of this executor's executions).
    last_run: u64,
    /// The region's memfd and its current size: each execution gets the
    /// header and its arguments' pages and no more, so a kernel writing
    /// past them faults (SIGBUS) instead of filling the region.
    memfd: OwnedFd,
    size: usize,
}

/// Where a lane is, between requests.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LaneState {
    /// Free; with a child waiting for its go when armed.
    Idle(Option<Arm>),
    /// A `Tidy` was sent and its `Ready` has not come; what it will hold.
    Tidying(Option<Arm>),
}

/// The descriptors an executor inherits for one lane.
struct LaneFds {
    memfd: OwnedFd,
    go_read: OwnedFd,
    done_write: OwnedFd,
}

fn pipe() -> Option<(OwnedFd, OwnedFd)> {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 fills two descriptors we then own.
    unsafe {
        if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            return None;
        }
        Some((OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])))
    }
}

impl EngineLane {
    fn new() -> Result<(EngineLane, LaneFds), String> {
        let os = |what: &str| {
            format!(
                "cannot make an executor lane ({what}): {}",
                std::io::Error::last_os_error()
            )
        };
        let len = HEADER + REGION;
        // SAFETY: memfd_create/ftruncate/mmap on a descriptor we own; the
        // mapping is shared with the one executor we pass the fd to.
        unsafe {
            let fd = libc::memfd_create(c"tailor-lane".as_ptr(), libc::MFD_CLOEXEC);
            if fd < 0 {
                return Err(os("memfd"));
            }
            let memfd = OwnedFd::from_raw_fd(fd);
            if libc::ftruncate(memfd.as_raw_fd(), len as libc::off_t) != 0 {
                return Err(os("ftruncate"));
            }
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_NORESERVE,
                memfd.as_raw_fd(),
                0,
            );
            if p == libc::MAP_FAILED {
                return Err(os("mmap"));
            }
            let engine_fd = match memfd.try_clone() {
                Ok(fd) => fd,
                Err(_) => {
                    libc::munmap(p, len);
                    return Err(os("dup"));
                }
            };
            let lane = |go, done| EngineLane {
                base: p as *mut u8,
                len,
                go,
                done,
                state: LaneState::Idle(None),
                used: 0,
                last_run: 0,
                memfd: engine_fd,
                size: len,
            };
            let (Some((go_read, go_write)), Some((done_read, done_write))) = (pipe(), pipe())
            else {
                libc::munmap(p, len);
                return Err(os("pipe"));
            };
            Ok((
                lane(go_write, done_read),
                LaneFds {
                    memfd,
                    go_read,
                    done_write,
                },
            ))
        }
    }

    fn header(&mut self) -> &mut [u8] {
        // SAFETY: our mapping of `len` bytes starts with the header.
        unsafe { std::slice::from_raw_parts_mut(self.base, HEADER) }
    }

    fn data(&mut self) -> &mut [u8] {
        // SAFETY: our mapping of `len` bytes; the arrays start after the
        // header.
        unsafe { std::slice::from_raw_parts_mut(self.base.add(HEADER), self.len - HEADER) }
    }

    /// The result area the child (or the executor) wrote.
    fn area(&self) -> (bool, u64, u64) {
        // SAFETY: the header starts with the result area; a racing hostile
        // child can only make these words wrong for its own request.
        unsafe {
            let a = self.base as *const ResultArea;
            (
                std::ptr::read_volatile(&(*a).done) == 1,
                std::ptr::read_volatile(&(*a).ret),
                std::ptr::read_volatile(&(*a).nanos),
            )
        }
    }

    fn is_idle(&self) -> bool {
        matches!(self.state, LaneState::Idle(_))
    }
}

impl Drop for EngineLane {
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
unsafe impl Send for EngineLane {}

/// One executor process and its lanes.
pub struct ExecSlot {
    proc: Proc,
    lanes: Vec<EngineLane>,
    runs: u64,
}

/// Replies other than an execution's arrays carry nothing big.
const SMALL_REPLY: u64 = 1 << 20;

impl ExecSlot {
    /// Takes in an unasked message (`Ready`, `Ended`); gives back others.
    fn absorb(&mut self, msg: ExecReply) -> Option<ExecReply> {
        match msg {
            ExecReply::Ready { lane, armed } => {
                if let Some(l) = self.lanes.get_mut(lane) {
                    if let LaneState::Tidying(arm) = &l.state {
                        l.state = LaneState::Idle(if armed { arm.clone() } else { None });
                    }
                }
                None
            }
            ExecReply::Ended { lane, .. } => {
                // A waiting child is gone (killed from outside): the lane
                // needs a new one. Ends of children already done with are
                // news of nothing.
                if let Some(l) = self.lanes.get_mut(lane) {
                    if matches!(l.state, LaneState::Idle(Some(_))) {
                        l.state = LaneState::Idle(None);
                    }
                }
                None
            }
            other => Some(other),
        }
    }

    /// Takes in every message already waiting.
    fn pump(&mut self) -> Result<(), ProcError> {
        while self.proc.readable_now() {
            let deadline = Instant::now() + Duration::from_secs(5);
            let (msg, _) = self.proc.next::<ExecReply>(deadline, SMALL_REPLY)?;
            if let Some(other) = self.absorb(msg) {
                return Err(ProcError::Protocol(format!("unexpected message {other:?}")));
            }
        }
        Ok(())
    }

    /// The answer to a request, taking in unasked messages on the way.
    fn request(
        &mut self,
        req: &ExecRequest,
        payload: &[u8],
        deadline: Instant,
    ) -> Result<ExecReply, ProcError> {
        let (mut msg, _) =
            self.proc
                .request::<_, ExecReply>(req, payload, deadline, SMALL_REPLY)?;
        loop {
            match self.absorb(msg) {
                Some(reply) => return Ok(reply),
                None => msg = self.proc.next::<ExecReply>(deadline, SMALL_REPLY)?.0,
            }
        }
    }

    /// Waits for one message and takes it in (the next `Ready`).
    fn wait_one(&mut self, deadline: Instant) -> Result<(), ProcError> {
        let (msg, _) = self.proc.next::<ExecReply>(deadline, SMALL_REPLY)?;
        match self.absorb(msg) {
            None => Ok(()),
            Some(other) => Err(ProcError::Protocol(format!("unexpected message {other:?}"))),
        }
    }

    /// Sends `Tidy` for a lane without waiting for its `Ready`.
    fn tidy(&mut self, lane: usize, arm: Option<Arm>) -> Result<(), ProcError> {
        let used = self.lanes[lane].used as u64;
        self.lanes[lane].state = LaneState::Tidying(arm.clone());
        self.proc.send(&ExecRequest::Tidy { lane, used, arm })
    }

    /// A lane to run `arm` on: one whose child already waits for it, else
    /// one that will (once a `Tidy` already under way for it is done), else
    /// the free lane that ran least recently, re-armed; with `arm` `None`
    /// (process isolation), the free lane that ran least recently.
    fn lane_for(&mut self, arm: Option<&Arm>, deadline: Instant) -> Result<usize, ProcError> {
        let chosen = loop {
            self.pump()?;
            let lru = self
                .lanes
                .iter()
                .enumerate()
                .filter(|(_, l)| l.is_idle())
                .min_by_key(|(_, l)| l.last_run)
                .map(|(i, _)| i);
            let Some(arm) = arm else {
                match lru {
                    Some(i) => break i,
                    None => {
                        self.wait_one(deadline)?;
                        continue;
                    }
                }
            };
            let want = LaneState::Idle(Some(arm.clone()));
            if let Some(i) = self.lanes.iter().position(|l| l.state == want) {
                break i;
            }
            let coming = LaneState::Tidying(Some(arm.clone()));
            match lru {
                Some(i) if !self.lanes.iter().any(|l| l.state == coming) => {
                    self.tidy(i, Some(arm.clone()))?;
                    while !self.lanes[i].is_idle() {
                        self.wait_one(deadline)?;
                    }
                    if self.lanes[i].state != want {
                        return Err(ProcError::Protocol(
                            "the executor could not fork a child for the variant".into(),
                        ));
                    }
                    break i;
                }
                _ => self.wait_one(deadline)?,
            }
        };
        self.runs += 1;
        self.lanes[chosen].last_run = self.runs;
        Ok(chosen)
    }
}

impl Member for ExecSlot {
    fn alive(&mut self) -> bool {
        self.proc.alive()
    }
    fn pid(&self) -> u32 {
        self.proc.pid()
    }
    /// A lane is free (messages already waiting taken in now).
    fn ready(&mut self) -> bool {
        self.pump().is_err() || self.lanes.iter().any(EngineLane::is_idle)
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
    let mut lanes = Vec::with_capacity(LANES);
    let mut inherited = Vec::with_capacity(LANES);
    let mut args = Vec::new();
    for _ in 0..LANES {
        let (lane, fds) = EngineLane::new()?;
        args.push("--lane".to_owned());
        args.push(format!(
            "{},{},{},{}",
            fds.memfd.as_raw_fd(),
            fds.go_read.as_raw_fd(),
            fds.done_write.as_raw_fd(),
            lane.done.as_raw_fd()
        ));
        inherited.extend([
            fds.memfd.as_raw_fd(),
            fds.go_read.as_raw_fd(),
            fds.done_write.as_raw_fd(),
            lane.done.as_raw_fd(),
        ]);
        lanes.push((lane, fds));
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let proc = Proc::spawn_with_fds(binary, &argv, id, &inherited)?;
    // The executor has its ends now; ours of them close with `fds`.
    Ok(ExecSlot {
        proc,
        lanes: lanes.into_iter().map(|(lane, _fds)| lane).collect(),
        runs: 0,
    })
}

impl ExecPool {
    pub fn new(config: SandboxConfig) -> Result<ExecPool, SandboxError> {
        let binary = config.exec_binary.clone();
        let first = config.executors.max(1) as u64;
        let slots = ProcPool::new(config.executors, move |id| {
            let mut e = spawn_executor(&binary, id)?;
            // The engine checks the first ones itself; a replacement is
            // checked here before it serves.
            if id > first {
                let deadline = Instant::now() + Duration::from_secs(5);
                let confinement = match e.request(&ExecRequest::Ping, &[], deadline) {
                    Ok(ExecReply::Pong { confinement, .. }) => confinement,
                    _ => Vec::new(),
                };
                super::confine::check(
                    &[(format!("executor #{id} (a replacement)"), confinement)],
                    &super::confine::optional_from_env(),
                )?;
            }
            Ok(e)
        })
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
            let deadline = Instant::now() + Duration::from_secs(5);
            match s.request(&ExecRequest::Ping, &[], deadline) {
                Ok(ExecReply::Pong { confinement, .. }) => out.push(confinement),
                _ => slot.replace(),
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

/// Writes the request's arguments into a lane: the header's slots, the
/// arrays one after another (each padded), and zeros over what the lane's
/// last execution used beyond them. The arrays' total, or `None` when they
/// do not fit.
fn write_args(lane: &mut EngineLane, input: &Input) -> Option<usize> {
    let total: usize = input
        .args
        .iter()
        .filter_map(|a| a.value.as_array().map(|b| b.padded_byte_len()))
        .sum();
    if total > REGION || input.args.len() > MAX_SLOTS {
        return None;
    }
    // The region ends where this execution's arguments end (whole pages):
    // past it a kernel's writes fault, and shrinking frees what a larger
    // earlier execution left.
    let size = HEADER + total.div_ceil(4096).max(1) * 4096;
    if size != lane.size {
        // SAFETY: ftruncate on our own memfd; no child touches the lane
        // while it is ours.
        if unsafe { libc::ftruncate(lane.memfd.as_raw_fd(), size as libc::off_t) } != 0 {
            return None;
        }
        lane.size = size;
    }
    let mut header = [0u64; 2 * MAX_SLOTS];
    let mut offset = 0usize;
    let used = lane.used;
    let lane_size = lane.size;
    let data = lane.data();
    for (i, a) in input.args.iter().enumerate() {
        let (kind, value) = match &a.value {
            Value::Array(b) => {
                let bytes = b.padded_bytes();
                data[offset..offset + bytes.len()].copy_from_slice(bytes);
                let at = offset as u64;
                offset += bytes.len();
                (SLOT_ARRAY, at)
            }
            Value::Scalar(s) => (SLOT_SCALAR, bits(*s)),
        };
        header[2 * i] = kind;
        header[2 * i + 1] = value;
    }
    // What the last arguments left past these, inside the region's new
    // end (shrinking dropped the rest).
    let end = used.min(lane_size - HEADER);
    if end > total {
        data[total..end].fill(0);
    }
    lane.used = total;
    let n = input.args.len();
    let h = lane.header();
    h[..COUNT_AT].fill(0);
    h[COUNT_AT..SLOTS_AT].copy_from_slice(&(n as u64).to_ne_bytes());
    for (k, word) in header[..2 * n].iter().enumerate() {
        let at = SLOTS_AT + 8 * k;
        h[at..at + 8].copy_from_slice(&word.to_ne_bytes());
    }
    Some(total)
}

/// Makes sure the executor has the variant loaded.
fn ensure_loaded(exec: &mut ExecSlot, variant: &Variant) -> Result<(), Result<String, String>> {
    let load = ExecRequest::Load {
        key: variant.key.0.clone(),
    };
    match exec.request(
        &load,
        &variant.object,
        Instant::now() + Duration::from_secs(30),
    ) {
        Ok(ExecReply::Loaded) => Ok(()),
        // The variant's own fault: refused, not lost.
        Ok(ExecReply::LoadFailed { error }) => Err(Ok(error)),
        Ok(other) => Err(Err(format!("unexpected reply {other:?}"))),
        Err(e) => Err(Err(e.to_string())),
    }
}

/// How waiting for a forked child's done ended.
enum Waited {
    Done,
    /// It ended without saying done (the executor says how).
    Ended(Outcome),
    Timeout,
}

/// Waits for the done byte of `lane`'s child until `deadline`, or for the
/// executor's word that the child ended without it.
fn wait_done(exec: &mut ExecSlot, lane: usize, deadline: Instant) -> Result<Waited, ProcError> {
    let mut watch_done = true;
    loop {
        if exec.proc.readable_now() {
            let (msg, _) = exec.proc.next::<ExecReply>(deadline, SMALL_REPLY)?;
            match msg {
                ExecReply::Ended { lane: l, outcome } if l == lane => {
                    // It may have said done just before it ended.
                    let (done, ..) = exec.lanes[lane].area();
                    return Ok(if done && outcome == Outcome::Ok {
                        Waited::Done
                    } else {
                        Waited::Ended(outcome)
                    });
                }
                other => {
                    if let Some(other) = exec.absorb(other) {
                        return Err(ProcError::Protocol(format!("unexpected message {other:?}")));
                    }
                }
            }
            continue;
        }
        let mut fds = [
            libc::pollfd {
                fd: exec.proc.stdout_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: if watch_done {
                    exec.lanes[lane].done.as_raw_fd()
                } else {
                    -1
                },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = i32::try_from(left.as_micros().div_ceil(1000)).unwrap_or(i32::MAX);
        // SAFETY: poll on descriptors we own.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
        if r < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(ProcError::Protocol(format!(
                "poll: {}",
                std::io::Error::last_os_error()
            )));
        }
        if r == 0 {
            return Ok(Waited::Timeout);
        }
        if fds[1].revents != 0 {
            let mut b = [0u8; 1];
            // SAFETY: one byte from our own pipe's read end, which poll
            // found readable.
            let n = unsafe { libc::read(fds[1].fd, b.as_mut_ptr() as *mut libc::c_void, 1) };
            let (done, ..) = exec.lanes[lane].area();
            if n == 1 && done {
                return Ok(Waited::Done);
            }
            // A byte without a result: wait for the executor's word.
            watch_done = false;
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
    let mut isolation = format!("{} · executor {}", policy.isolation.name(), exec.proc.id);
    let refused = |why: String, isolation: String| {
        Attempt::Done(
            failed(
                Outcome::Rejected(format!("cannot load the variant: {why}")),
                isolation,
            ),
            Outputs::default(),
        )
    };
    if !loaded {
        match ensure_loaded(exec, variant) {
            Ok(()) => {}
            Err(Ok(why)) => return refused(why, isolation),
            Err(Err(lost)) => {
                slot.replace();
                return Attempt::Lost(lost);
            }
        }
    }
    let fork = policy.isolation == Isolation::Fork;
    let arm = fork.then(|| Arm {
        key: variant.key.0.clone(),
        cpu_secs: policy.deadline_ms.div_ceil(1000).max(1) + 1,
    });
    let setup = Instant::now() + Duration::from_secs(5);
    let lane = match exec.lane_for(arm.as_ref(), setup) {
        Ok(l) => l,
        // The executor lost the variant (it keeps a bounded number): load
        // it again, once.
        Err(ProcError::Protocol(_)) if loaded && fork => {
            if let Err(e) = ensure_loaded(exec, variant) {
                slot.replace();
                return Attempt::Lost(e.unwrap_or_else(|e| e));
            }
            match exec.lane_for(arm.as_ref(), setup) {
                Ok(l) => l,
                Err(e) => {
                    slot.replace();
                    return Attempt::Lost(e.to_string());
                }
            }
        }
        Err(e) => {
            slot.replace();
            return Attempt::Lost(e.to_string());
        }
    };
    isolation.push_str(&format!(" · lane {lane}"));
    let Some(total) = write_args(&mut exec.lanes[lane], input) else {
        return Attempt::Done(failed(Outcome::OutOfMemory, isolation), Outputs::default());
    };
    let deadline = Instant::now() + Duration::from_millis(policy.deadline_ms);
    let (outcome, ret_bits, kernel_nanos) = if fork {
        // SAFETY: writing 8 bytes to our end of the lane's go pipe.
        let n = unsafe {
            libc::write(
                exec.lanes[lane].go.as_raw_fd(),
                [1u8; 8].as_ptr() as *const libc::c_void,
                8,
            )
        };
        if n != 8 {
            slot.replace();
            return Attempt::Lost("cannot wake the lane's child".into());
        }
        match wait_done(exec, lane, deadline) {
            Ok(Waited::Done) => {
                let (_, bits, nanos) = exec.lanes[lane].area();
                (Outcome::Ok, Some(bits), nanos)
            }
            Ok(Waited::Ended(outcome)) => (outcome, None, 0),
            // The `Tidy` below kills it.
            Ok(Waited::Timeout) => (Outcome::Timeout, None, 0),
            Err(e) => {
                slot.replace();
                return Attempt::Lost(e.to_string());
            }
        }
    } else {
        let request = ExecRequest::Execute {
            key: variant.key.0.clone(),
            lane,
        };
        // The executor itself runs the kernel: the deadline is its.
        let mut reply = exec.request(&request, &[], deadline);
        if let Ok(ExecReply::NeedObject) = reply {
            if let Err(e) = ensure_loaded(exec, variant) {
                slot.replace();
                return Attempt::Lost(e.unwrap_or_else(|e| e));
            }
            reply = exec.request(&request, &[], deadline);
        }
        match reply {
            Ok(ExecReply::Executed {
                outcome,
                ret_bits,
                kernel_nanos,
            }) => (outcome, ret_bits, kernel_nanos),
            Ok(ExecReply::Error { message }) => (Outcome::Rejected(message), None, 0),
            Ok(other) => {
                slot.replace();
                return Attempt::Lost(format!("unexpected reply {other:?}"));
            }
            Err(ProcError::Timeout) => {
                slot.replace();
                return Attempt::Done(failed(Outcome::Timeout, isolation), Outputs::default());
            }
            Err(ProcError::Died { signal, code }) => {
                slot.replace();
                // The kernel ran in the executor: its death is the kernel's.
                let outcome = match signal {
                    Some(libc::SIGSYS) => Outcome::SandboxViolation(None),
                    Some(libc::SIGXCPU) => Outcome::Timeout,
                    Some(s) => Outcome::Crashed(s),
                    None => Outcome::Crashed(code.unwrap_or(0)),
                };
                return Attempt::Done(failed(outcome, isolation), Outputs::default());
            }
            Err(ProcError::Protocol(m)) => {
                slot.replace();
                return Attempt::Lost(m);
            }
        }
    };
    let roundtrip_nanos = started.elapsed().as_nanos() as u64;
    let ok = outcome == Outcome::Ok;
    let mut outputs = Vec::with_capacity(input.args.len());
    let mut offset = 0usize;
    let data = exec.lanes[lane].data();
    for (i, a) in input.args.iter().enumerate() {
        let Value::Array(b) = &a.value else {
            outputs.push(None);
            continue;
        };
        let n = b.padded_byte_len();
        // An array the code cannot write is the input still: not read back
        // (for a large read-only input, that is the whole cost of a
        // comparison saved).
        let may_write = variant.writes.get(i).copied().unwrap_or(true);
        let now = &data[offset..offset + n];
        outputs.push((ok && may_write && now != b.padded_bytes()).then(|| copied(b, now)));
        offset += n;
    }
    debug_assert_eq!(offset, total);
    // The lane goes back to the executor: its child is ended, the region
    // cleared and the next child forked while this answer goes back.
    if let Err(e) = exec.tidy(lane, arm) {
        slot.replace();
        return Attempt::Lost(e.to_string());
    }
    slot.tag(&variant.key.0);
    Attempt::Done(
        Execution {
            ret: if ok {
                ret_bits.and_then(|b| result(ret, b))
            } else {
                None
            },
            outcome,
            kernel_nanos: if ok { kernel_nanos } else { 0 },
            roundtrip_nanos,
            isolation,
        },
        Outputs(outputs),
    )
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
