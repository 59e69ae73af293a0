//! Hostile kernels and inputs (DESIGN §7, issue 4): every case is a kernel in
//! `tests/hostile/kernels`, an input spec in `tests/hostile/specs`, and the
//! outcome it must get, as data (`CASES`). One engine runs them all, in a
//! row, over the suite's profiles (`tests/hostile/profiles`: short deadlines,
//! process isolation for `proc_*` kernels, a profile whose build cannot
//! finish); after every case the next good request on the same engine must
//! succeed with the right result, and every sandbox process the engine lists
//! must be alive.
//!
//! A case whose right outcome is blocked by a known bug in `src/` carries
//! the bug and the outcome it gets today: the main test accepts either (so
//! the engine's survival is still checked on it), and an ignored test per
//! bug demands the right one (`cargo test --release --test hostile --
//! --ignored`).
//!
//! Then fault injection: 1000 requests while another thread SIGKILLs
//! sandbox processes at random; every request must end exactly once, with
//! the right result or a typed failure.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tailor::cache::CacheConfig;
use tailor::engine::{
    Engine, EngineConfig, EngineError, EventKind, OutputSummary, Response, Served,
};
use tailor::input::Scalar;
use tailor::sandbox::Outcome;

const SIGILL: i32 = libc::SIGILL;
const SIGTRAP: i32 = libc::SIGTRAP;
const SIGFPE: i32 = libc::SIGFPE;
const SIGSEGV: i32 = libc::SIGSEGV;

// ---- helpers -------------------------------------------------------------------

/// The engine tests run one at a time: their deadlines are short, the
/// machine has two cores, and the fault injector must only ever see its own
/// engine's processes.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn hostile(part: &str) -> PathBuf {
    root().join("tests/hostile").join(part)
}

fn sample(name: &str) -> PathBuf {
    root().join("sample-inputs").join(name)
}

fn engine_over(profiles: &Path, cache_dir: &Path) -> Engine {
    Engine::new(EngineConfig {
        profiles: profiles.to_owned(),
        cache: CacheConfig {
            dir: Some(cache_dir.to_owned()),
            ..Default::default()
        },
        pools: Default::default(),
        shadow: tailor::engine::DEFAULT_SHADOW,
        fleet: Default::default(),
        key_budget: Default::default(),
    })
    .expect("engine")
}

/// An engine over the suite's profiles.
fn hostile_engine(cache_dir: &Path) -> Engine {
    engine_over(&hostile("profiles"), cache_dir)
}

/// Whether `pid` is a live process (not gone, not a zombie).
fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // `pid (comm) state ...`: comm may hold spaces and parentheses.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    !matches!(state, None | Some('Z') | Some('X') | Some('x'))
}

fn assert_sandbox_alive(engine: &Engine, after: &str) {
    let (workers, executors) = engine.sandbox_pids();
    assert!(!workers.is_empty(), "{after}: no build workers");
    assert!(!executors.is_empty(), "{after}: no executors");
    for pid in workers.iter().chain(&executors) {
        assert!(
            alive(*pid),
            "{after}: sandbox process {pid} is listed but not alive (workers {workers:?}, executors {executors:?})"
        );
    }
}

/// The strict left-to-right sum of a spec's array `a` (what the generic
/// build of `kernels/sum.c` computes, bit for bit).
fn reference_sum(spec: &Path) -> f64 {
    // The shipped sum kernel, parsed here only for its signature.
    let spec = tailor::input::InputSpec::load(spec).expect("spec");
    let kernel = tailor::kernel::Kernel::load(&spec.kernel, None).expect("kernel");
    let input = spec.materialize(&kernel.signature).expect("input");
    let a = input
        .arg("a")
        .and_then(|a| a.value.as_array())
        .expect("array a");
    let view = a.view();
    (0..view.len()).fold(0.0, |s, i| s + view.get_f64(i))
}

// ---- the expected outcomes ---------------------------------------------------------

/// What a hostile request must get.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Ran to completion (with this result, if given).
    Ok(Option<Scalar>),
    /// Killed at its execution deadline.
    Timeout,
    /// Ended by one of these signals (empty: any signal).
    Crashed(&'static [i32]),
    /// Stopped by the sandbox (at this system call, if given).
    SandboxViolation(Option<&'static str>),
    /// The executor could not map the arguments' memory. No case reaches
    /// it: a spec's arrays are capped (`InputError`) and an oversized
    /// program image is `Rejected`.
    #[allow(dead_code)]
    OutOfMemory,
    /// Built, but the executor would not run it: `Outcome::Rejected`. No
    /// case reaches it any more: an oversized image is refused at load.
    #[allow(dead_code)]
    Rejected(&'static str),
    /// Refused at load time (parse, verifier, admission): `Engine::run`
    /// fails with `EngineError::Refused`, whose text names the kernel file
    /// and contains all of these.
    Refused(&'static [&'static str]),
    /// The input spec is refused (`EngineError::Input`).
    InputError(&'static str),
    /// The variant could not be built (transform deadline); the generic
    /// build served the request and ran to completion.
    ServedByGeneric,
    /// The generic build itself failed (`EngineError::Generic`).
    BuildFailed(&'static str),
}

/// A bug in `src/` that keeps a case from its right outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Bug {
    /// src/sandbox/exec.rs `child`: the forked child keeps the Rust
    /// runtime's SIGSEGV/SIGBUS handler (std's stack-overflow detector),
    /// which calls rt_sigaction (or writes "has overflowed its stack" to
    /// stderr) under the exit-only filter: every segfault is reported as
    /// `SandboxViolation(syscall 13)` or `SandboxViolation(write)`.
    SegvHandler,
    /// src/kernel/mod.rs: module-level `asm` is not checked; it can define
    /// an allow-listed name (`tgamma`) as arbitrary machine code.
    ModuleAsm,
    /// src/kernel/mod.rs `externals_of` checks functions only: an external
    /// global *variable* is admitted, and the ELF loader resolves every
    /// `__*` name (src/kernel/admission.rs `is_loadable_symbol`), so
    /// `@__environ` reads the executor's environment.
    ExternGlobals,
    /// src/sandbox/elf.rs: a COMMON symbol gets 8 bytes whatever its size,
    /// so a `common` array overruns into the GOT and off the mapping.
    CommonSymbols,
}

impl Bug {
    fn reason(self) -> &'static str {
        match self {
            Bug::SegvHandler => "the forked child keeps Rust's SIGSEGV handler; segfaults read as sandbox violations",
            Bug::ModuleAsm => "module-level inline assembly is admitted",
            Bug::ExternGlobals => "external global variables are admitted and `__*` symbols resolved",
            Bug::CommonSymbols => "the ELF loader gives a COMMON symbol 8 bytes",
        }
    }
}

struct Case {
    name: &'static str,
    /// The kernel file (under tests/hostile/kernels) the spec names.
    kernel: &'static str,
    /// The input spec (under tests/hostile/specs).
    spec: &'static str,
    expect: Expect,
    /// The bug that blocks `expect`, and what the case gets until it is
    /// fixed (any of these).
    blocked: Option<(Bug, &'static [Expect])>,
    /// Which sandbox processes must have been replaced after the case.
    replaces: Replaces,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Replaces {
    Nothing,
    Worker,
    Executor,
}

const fn case(
    name: &'static str,
    kernel: &'static str,
    spec: &'static str,
    expect: Expect,
) -> Case {
    Case {
        name,
        kernel,
        spec,
        expect,
        blocked: None,
        replaces: Replaces::Nothing,
    }
}

const fn blocked(mut c: Case, bug: Bug, today: &'static [Expect]) -> Case {
    c.blocked = Some((bug, today));
    c
}

const fn replacing(mut c: Case, what: Replaces) -> Case {
    c.replaces = what;
    c
}

const SEGV_TODAY: &[Expect] = &[Expect::SandboxViolation(Some("syscall 13"))];
const STACK_OVERFLOW_TODAY: &[Expect] = &[Expect::SandboxViolation(Some("write"))];
const INLINE_ASM: Expect =
    Expect::Refused(&["contains inline assembly, which kernels may not use"]);
const THROUGH_POINTER: Expect =
    Expect::Refused(&["calls through a pointer that is not taken from a constant table"]);

use Expect as E;

/// The suite: (name, kernel, spec, expected outcome), in the order run.
const CASES: &[Case] = &[
    // -- runaway execution ----------------------------------------------------
    case(
        "infinite loop",
        "infinite_loop.ll",
        "infinite_loop.yaml",
        E::Timeout,
    ),
    blocked(
        case(
            "unbounded recursion",
            "recursion.ll",
            "recursion.yaml",
            E::Crashed(&[SIGSEGV]),
        ),
        Bug::SegvHandler,
        STACK_OVERFLOW_TODAY,
    ),
    blocked(
        case(
            "4 GiB stack frame",
            "huge_alloca.ll",
            "huge_alloca.yaml",
            E::Crashed(&[SIGSEGV]),
        ),
        Bug::SegvHandler,
        SEGV_TODAY,
    ),
    blocked(
        case(
            "allocation bomb: 1 MiB alloca per iteration",
            "alloca_bomb.ll",
            "alloca_bomb.yaml",
            E::Crashed(&[SIGSEGV]),
        ),
        Bug::SegvHandler,
        STACK_OVERFLOW_TODAY,
    ),
    case(
        "write 64 MiB past an 8-element array",
        "fill.c",
        "write_past.yaml",
        E::Crashed(&[libc::SIGBUS]),
    ),
    case(
        "allocation bomb: out array of 3e9 f64 in the spec",
        "fill.c",
        "out_len_bomb.yaml",
        E::InputError("len: 3000000000 is out of range"),
    ),
    case(
        "allocation bomb: 16 GiB .bss global",
        "bss_bomb.ll",
        "bss_bomb.yaml",
        E::Refused(&["the global `bomb` (16384 MiB)", "past 64 MiB"]),
    ),
    case(
        "1 GiB constant in 300 bytes of IR",
        "const_bomb.ll",
        "const_bomb.yaml",
        E::Refused(&["the global `bomb` (1024 MiB)", "past 64 MiB"]),
    ),
    // -- faults -------------------------------------------------------------------
    blocked(
        case(
            "null store",
            "null_store.c",
            "null_store.yaml",
            E::Crashed(&[SIGSEGV]),
        ),
        Bug::SegvHandler,
        SEGV_TODAY,
    ),
    blocked(
        case(
            "wild store (16 TiB)",
            "wild_store.ll",
            "wild_store.yaml",
            E::Crashed(&[SIGSEGV]),
        ),
        Bug::SegvHandler,
        SEGV_TODAY,
    ),
    blocked(
        case(
            "store into its own code",
            "self_modify.ll",
            "self_modify.yaml",
            E::Crashed(&[SIGSEGV]),
        ),
        Bug::SegvHandler,
        SEGV_TODAY,
    ),
    case(
        "integer division by zero",
        "div_zero.c",
        "div_zero.yaml",
        E::Crashed(&[SIGFPE]),
    ),
    case(
        "LONG_MIN / -1",
        "div_overflow.c",
        "div_overflow.yaml",
        E::Crashed(&[SIGFPE]),
    ),
    case(
        "llvm.trap",
        "trap.ll",
        "trap.yaml",
        E::Crashed(&[SIGILL, SIGTRAP]),
    ),
    case(
        "llvm.debugtrap",
        "debugtrap.ll",
        "debugtrap.yaml",
        E::Crashed(&[SIGTRAP, SIGILL]),
    ),
    case(
        "read past the end, inside the padding",
        "read_past.c",
        "read_past_padding.yaml",
        E::Ok(Some(Scalar::F64(0.0))),
    ),
    blocked(
        case(
            "read 1 TiB before the input",
            "read_past.c",
            "read_far.yaml",
            E::Crashed(&[SIGSEGV]),
        ),
        Bug::SegvHandler,
        SEGV_TODAY,
    ),
    // -- system calls by inline assembly --------------------------------------------
    case("syscall open", "asm_open.c", "asm_open.yaml", INLINE_ASM),
    case(
        "syscall socket",
        "asm_socket.c",
        "asm_socket.yaml",
        INLINE_ASM,
    ),
    case(
        "syscall fork (bomb)",
        "asm_fork.c",
        "asm_fork.yaml",
        INLINE_ASM,
    ),
    case(
        "syscall execve /bin/sh",
        "asm_execve.c",
        "asm_execve.yaml",
        INLINE_ASM,
    ),
    case(
        "syscall kill(getppid())",
        "asm_kill_parent.c",
        "asm_kill_parent.yaml",
        INLINE_ASM,
    ),
    case(
        "prologue data: chosen bytes at the entry",
        "prologue.ll",
        "prologue.yaml",
        E::Refused(&["has prefix or prologue data"]),
    ),
    case(
        "prefix data: chosen bytes before the entry",
        "prefix.ll",
        "prefix.yaml",
        E::Refused(&["has prefix or prologue data"]),
    ),
    blocked(
        case(
            "module-level asm defining `tgamma` as getppid",
            "module_asm.ll",
            "module_asm.yaml",
            E::Refused(&["inline assembly"]),
        ),
        Bug::ModuleAsm,
        // Caught by the forked child's filter (the first syscall traps).
        &[E::SandboxViolation(None)],
    ),
    blocked(
        case(
            "module-level asm, isolation: process (getpid in the executor)",
            "proc_module_asm.ll",
            "proc_module_asm.yaml",
            E::Refused(&["inline assembly"]),
        ),
        Bug::ModuleAsm,
        // The executor's filter allows getpid: the kernel returns its pid.
        &[E::Ok(None)],
    ),
    // -- calls outside the allow-list -------------------------------------------------
    case(
        "system()",
        "call_system.c",
        "call_system.yaml",
        E::Refused(&["calls `system`", "not an allowed"]),
    ),
    case(
        "open()",
        "call_open.c",
        "call_open.yaml",
        E::Refused(&["calls `open`", "not an allowed"]),
    ),
    case(
        "fopen()",
        "call_fopen.c",
        "call_fopen.yaml",
        E::Refused(&["calls `fopen`", "not an allowed"]),
    ),
    case(
        "dlopen()",
        "call_dlopen.c",
        "call_dlopen.yaml",
        E::Refused(&["calls `dlopen`", "not an allowed"]),
    ),
    case(
        "malloc()",
        "call_malloc.c",
        "call_malloc.yaml",
        E::Refused(&["calls `malloc`", "not an allowed"]),
    ),
    case(
        "write() to every fd 0..1024",
        "write_fds.c",
        "write_fds.yaml",
        E::Refused(&["function `write_fds` calls `write`"]),
    ),
    case(
        "`write` referenced, never called",
        "write_ref.ll",
        "write_ref.yaml",
        E::Refused(&["`(referenced)` calls `write`"]),
    ),
    case(
        "`write` called through a constant table",
        "write_table.ll",
        "write_table.yaml",
        THROUGH_POINTER,
    ),
    case(
        "llvm.returnaddress",
        "returnaddress.ll",
        "returnaddress.yaml",
        E::Refused(&["calls `llvm.returnaddress`"]),
    ),
    case(
        "llvm.x86.rdtsc",
        "rdtsc.ll",
        "rdtsc.yaml",
        E::Refused(&["calls `llvm.x86.rdtsc`"]),
    ),
    blocked(
        case(
            "external global `__environ` (counts the executor's environment)",
            "environ_leak.ll",
            "environ_leak.yaml",
            E::Refused(&["__environ"]),
        ),
        Bug::ExternGlobals,
        &[E::Ok(None)],
    ),
    // -- control flow to addresses it does not own --------------------------------------
    case(
        "call an address given as an integer",
        "jump_to_int.ll",
        "jump_to_int.yaml",
        THROUGH_POINTER,
    ),
    case(
        "call its input buffer (shellcode)",
        "call_input.ll",
        "call_input.yaml",
        THROUGH_POINTER,
    ),
    case(
        "call a pointer loaded from input data",
        "fnptr_from_input.ll",
        "fnptr_from_input.yaml",
        THROUGH_POINTER,
    ),
    // An index far past the table lands on its first slot, never on bytes
    // beyond it.
    case(
        "function table indexed out of bounds",
        "table_oob.ll",
        "table_oob.yaml",
        E::Ok(Some(Scalar::I64(1))),
    ),
    case("call an ifunc", "ifunc.ll", "ifunc.yaml", THROUGH_POINTER),
    // -- user code that must never run at load -----------------------------------------
    case(
        "crashing global constructor, spinning destructor",
        "ctor.ll",
        "ctor.yaml",
        E::Ok(Some(Scalar::I64(42))),
    ),
    blocked(
        case(
            "64 KiB `common` global",
            "common_global.ll",
            "common_global.yaml",
            E::Ok(Some(Scalar::I64(3000))),
        ),
        Bug::CommonSymbols,
        &[
            E::SandboxViolation(Some("syscall 13")),
            E::Crashed(&[SIGSEGV, libc::SIGBUS]),
        ],
    ),
    // -- process isolation: the executor dies with the kernel ---------------------------
    replacing(
        case(
            "null store, isolation: process",
            "proc_null_store.ll",
            "proc_null_store.yaml",
            E::Crashed(&[SIGSEGV]),
        ),
        Replaces::Executor,
    ),
    replacing(
        case(
            "infinite loop, isolation: process",
            "proc_infinite_loop.ll",
            "proc_infinite_loop.yaml",
            E::Timeout,
        ),
        Replaces::Executor,
    ),
    // -- the optimizer --------------------------------------------------------------------
    replacing(
        case(
            "256 loops × unroll(full) pragmas: the generic build explodes",
            "optimizer_bomb.c",
            "optimizer_bomb.yaml",
            E::BuildFailed("LLVM did not finish: it ran past its deadline and was killed"),
        ),
        Replaces::Worker,
    ),
    replacing(
        case(
            "256 loops, a profile unrolls them fully: the variant explodes",
            "optimizer_bomb_variant.c",
            "optimizer_bomb_variant.yaml",
            E::ServedByGeneric,
        ),
        Replaces::Worker,
    ),
    // -- malformed code -----------------------------------------------------------------
    case(
        "malformed IR",
        "malformed.ll",
        "malformed.yaml",
        E::Refused(&[
            "malformed IR",
            "malformed.ll:5:1: error: expected value token",
        ]),
    ),
    case(
        "bitcode: magic, then garbage",
        "garbage.bc",
        "garbage_bc.yaml",
        E::Refused(&["malformed IR"]),
    ),
    // Found by fuzzing the IR loader: malformed bitcode on which LLVM
    // itself aborts (asking for 32 GiB), or dereferences null in its
    // bitcode reader or its verifier. The worker dies; the engine says so.
    case(
        "bitcode on which LLVM aborts (a 32 GiB vector)",
        "llvm_crash_1.bc",
        "llvm_crash_1.yaml",
        E::Refused(&["llvm_crash_1.bc", "loading the kernel", "the worker died"]),
    ),
    case(
        "bitcode that crashes LLVM's verifier",
        "llvm_crash_4.bc",
        "llvm_crash_4.yaml",
        E::Refused(&["llvm_crash_4.bc", "loading the kernel", "signal 11"]),
    ),
    case(
        "bitcode that crashes LLVM's bitcode reader",
        "llvm_crash_5.bc",
        "llvm_crash_5.yaml",
        E::Refused(&["llvm_crash_5.bc", "loading the kernel", "signal 11"]),
    ),
    case(
        "bitcode: truncated in half",
        "truncated.bc",
        "truncated_bc.yaml",
        E::Refused(&["malformed IR"]),
    ),
    case(
        "bitcode: IR text named .bc",
        "text_as.bc",
        "text_as_bc.yaml",
        E::Refused(&["malformed IR", "Invalid bitcode signature"]),
    ),
    case(
        "IR failing the verifier",
        "verifier.ll",
        "verifier.yaml",
        E::Refused(&[
            "IR fails LLVM's verifier",
            "Instruction does not dominate all uses",
        ]),
    ),
    case(
        "internal function as the entry",
        "internal_entry.ll",
        "internal_entry.yaml",
        E::Refused(&["entry `hidden` is internal to the module"]),
    ),
];

/// What a request got.
#[derive(Debug)]
enum Observed {
    Ran {
        outcome: Outcome,
        result: Option<Scalar>,
        served_by: Served,
        outputs: Vec<OutputSummary>,
    },
    Refused(String),
    Input(String),
    Generic(String),
    OtherError(String),
}

impl Observed {
    fn of(r: Result<Response, EngineError>) -> Observed {
        match r {
            Ok(r) => Observed::Ran {
                outcome: r.execution.outcome,
                result: r.result,
                served_by: r.served_by,
                outputs: r.outputs,
            },
            Err(e @ EngineError::Refused(_)) => Observed::Refused(e.to_string()),
            Err(e @ EngineError::Input(_)) => Observed::Input(e.to_string()),
            Err(e @ EngineError::Generic { .. }) => Observed::Generic(e.to_string()),
            Err(e) => Observed::OtherError(e.to_string()),
        }
    }

    /// One line for the report.
    fn summary(&self) -> String {
        let cut = |s: &str| -> String {
            let s = s
                .rsplit_once(".ll: ")
                .or(s.rsplit_once(".c: "))
                .or(s.rsplit_once(".bc: "))
                .map_or(s, |(_, m)| m);
            s.replace('\n', " ").chars().take(110).collect()
        };
        match self {
            Observed::Ran {
                outcome,
                result,
                served_by,
                outputs,
            } => {
                let mut s = format!("{outcome} (served by {served_by:?}");
                if let Some(r) = result {
                    s.push_str(&format!(", result {r:?}"));
                }
                for o in outputs {
                    s.push_str(&format!(", {} = {:?}", o.name, o.head));
                }
                s.push(')');
                s
            }
            Observed::Refused(m) => format!("Err(refused): {}", cut(m)),
            Observed::Input(m) => format!("Err(input): {}", cut(m)),
            Observed::Generic(m) => format!("Err(generic build): {}", cut(m)),
            Observed::OtherError(m) => format!("Err(other): {}", cut(m)),
        }
    }

    fn matches(&self, expect: &Expect, kernel: &str) -> bool {
        match (expect, self) {
            (
                Expect::Ok(want),
                Observed::Ran {
                    outcome: Outcome::Ok,
                    result,
                    ..
                },
            ) => want.is_none() || want == result,
            (
                Expect::Timeout,
                Observed::Ran {
                    outcome: Outcome::Timeout,
                    ..
                },
            ) => true,
            (
                Expect::Crashed(sigs),
                Observed::Ran {
                    outcome: Outcome::Crashed(s),
                    ..
                },
            ) => sigs.is_empty() || sigs.contains(s),
            (
                Expect::SandboxViolation(call),
                Observed::Ran {
                    outcome: Outcome::SandboxViolation(got),
                    ..
                },
            ) => call.is_none() || call.map(str::to_owned) == *got,
            (
                Expect::OutOfMemory,
                Observed::Ran {
                    outcome: Outcome::OutOfMemory,
                    ..
                },
            ) => true,
            (
                Expect::Rejected(text),
                Observed::Ran {
                    outcome: Outcome::Rejected(why),
                    ..
                },
            ) => why.contains(text),
            (Expect::Refused(texts), Observed::Refused(m)) => {
                m.contains(kernel) && texts.iter().all(|t| m.contains(t))
            }
            (Expect::InputError(text), Observed::Input(m)) => m.contains(text),
            (
                Expect::ServedByGeneric,
                Observed::Ran {
                    outcome: Outcome::Ok,
                    served_by: Served::Generic,
                    ..
                },
            ) => true,
            (Expect::BuildFailed(text), Observed::Generic(m)) => m.contains(text),
            _ => false,
        }
    }
}

/// The good request run after every hostile one, and its right result.
struct Good {
    spec: PathBuf,
    result: f64,
}

impl Good {
    fn new() -> Good {
        let spec = sample("sum-small.yaml");
        let result = reference_sum(&spec);
        Good { spec, result }
    }

    fn check(&self, engine: &Engine, after: &str) {
        let r = engine
            .run_spec(&self.spec)
            .unwrap_or_else(|e| panic!("after {after}: the good request failed: {e}"));
        assert_eq!(
            r.execution.outcome,
            Outcome::Ok,
            "after {after}: {:?}",
            r.execution
        );
        assert_eq!(
            r.result,
            Some(Scalar::F64(self.result)),
            "after {after}: the good request got the wrong result"
        );
    }
}

struct Row {
    name: &'static str,
    kernel: &'static str,
    expect: Expect,
    blocked: Option<Bug>,
    observed: String,
    millis: u128,
    ok: bool,
}

/// Runs `cases` on one engine, the good request after each. `strict`: only
/// the right outcome passes (else a blocked case may get what it gets today).
fn run_cases(cases: &[&Case], strict: bool) -> Vec<Row> {
    let _serial = serial();
    let cache = tempfile::tempdir().expect("tempdir");
    let engine = hostile_engine(cache.path());
    let good = Good::new();
    good.check(&engine, "start-up");
    assert_sandbox_alive(&engine, "start-up");
    let mut rows = Vec::new();
    for c in cases {
        let spec = hostile("specs").join(c.spec);
        // The table names the kernel the spec loads (read as text: some
        // specs are refused by the parser, which is the point).
        let text = std::fs::read_to_string(&spec).expect("spec");
        let kernel = text
            .lines()
            .find_map(|l| l.strip_prefix("kernel:"))
            .map(|k| k.trim().rsplit('/').next().unwrap_or_default().to_owned());
        assert_eq!(
            kernel.as_deref(),
            Some(c.kernel),
            "{}: the spec's kernel",
            c.name
        );
        let (workers_before, executors_before) = engine.sandbox_pids();
        let started = Instant::now();
        let observed = Observed::of(engine.run_spec(&spec));
        let millis = started.elapsed().as_millis();
        let ok = observed.matches(&c.expect, c.kernel)
            || (!strict
                && c.blocked
                    .is_some_and(|(_, today)| today.iter().any(|t| observed.matches(t, c.kernel))));
        rows.push(Row {
            name: c.name,
            kernel: c.kernel,
            expect: c.expect,
            blocked: c.blocked.map(|(b, _)| b),
            observed: observed.summary(),
            millis,
            ok,
        });
        eprintln!(
            "{:<4} {:>6} ms  {:<58} {}",
            if ok { "ok" } else { "FAIL" },
            millis,
            c.name,
            observed.summary()
        );
        if c.expect == Expect::Timeout {
            assert!(
                millis >= 500,
                "{}: a timeout before the 500 ms deadline ({millis} ms)",
                c.name
            );
        }
        let (workers_after, executors_after) = engine.sandbox_pids();
        match c.replaces {
            Replaces::Worker => assert_ne!(
                workers_before, workers_after,
                "{}: the build worker was not replaced",
                c.name
            ),
            Replaces::Executor => assert_ne!(
                executors_before, executors_after,
                "{}: the executor was not replaced",
                c.name
            ),
            Replaces::Nothing => {}
        }
        // The engine goes on: its sandbox is whole and the next good
        // request gets the right answer.
        assert_sandbox_alive(&engine, c.name);
        good.check(&engine, c.name);
    }
    let (workers, executors) = engine.sandbox_pids();
    assert!(workers.iter().chain(&executors).all(|p| alive(*p)));
    rows
}

fn report(rows: &[Row]) {
    eprintln!("\n| case | kernel | expected | blocked by | observed | ms |");
    eprintln!("| --- | --- | --- | --- | --- | --- |");
    for r in rows {
        eprintln!(
            "| {} | `{}` | {:?} | {} | {} | {} |",
            r.name,
            r.kernel,
            r.expect,
            r.blocked.map_or(String::new(), |b| format!("{b:?}")),
            r.observed.replace('|', "\\|"),
            r.millis
        );
    }
    let failed: Vec<&str> = rows.iter().filter(|r| !r.ok).map(|r| r.name).collect();
    assert!(
        failed.is_empty(),
        "cases with the wrong outcome: {failed:?}"
    );
}

// ---- the suite -------------------------------------------------------------------

#[test]
fn the_suite_has_at_least_25_cases_each_with_its_files() {
    assert!(CASES.len() >= 25, "{} cases", CASES.len());
    let mut names = HashSet::new();
    for c in CASES {
        assert!(names.insert(c.name), "two cases named {}", c.name);
        assert!(
            hostile("kernels").join(c.kernel).is_file(),
            "{}: no {}",
            c.name,
            c.kernel
        );
        assert!(
            hostile("specs").join(c.spec).is_file(),
            "{}: no {}",
            c.name,
            c.spec
        );
    }
}

#[test]
fn hostile_kernels_get_their_outcome_and_the_engine_goes_on() {
    let cases: Vec<&Case> = CASES.iter().collect();
    let rows = run_cases(&cases, false);
    report(&rows);
}

fn strictly(bug: Bug) {
    let cases: Vec<&Case> = CASES
        .iter()
        .filter(|c| c.blocked.is_some_and(|(b, _)| b == bug))
        .collect();
    assert!(!cases.is_empty());
    eprintln!("{bug:?}: {}", bug.reason());
    let rows = run_cases(&cases, true);
    report(&rows);
}

#[test]
fn blocked_segfaults_are_reported_as_crashes() {
    strictly(Bug::SegvHandler);
}

#[test]
fn blocked_module_level_assembly_is_refused() {
    strictly(Bug::ModuleAsm);
}

#[test]
fn blocked_external_globals_are_refused() {
    strictly(Bug::ExternGlobals);
}

#[test]
fn blocked_common_symbols_get_their_size() {
    strictly(Bug::CommonSymbols);
}

/// A `.c` kernel is compiled by clang in the engine's own process, with no
/// deadline: an `#include` of a FIFO nobody writes blocks clang (and the
/// request, and the engine) forever. The request must fail within a
/// deadline, naming the file.
#[test]
fn blocked_a_c_kernel_that_hangs_clang_is_refused_within_a_deadline() {
    let _serial = serial();
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("never-written");
    let c_fifo = std::ffi::CString::new(fifo.to_str().expect("utf-8 path")).expect("path");
    // SAFETY: mkfifo with a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_fifo.as_ptr(), 0o600) }, 0);
    let kernel = dir.path().join("include_fifo.c");
    std::fs::write(
        &kernel,
        format!(
            "#include \"{}\"\nlong include_fifo(long n) {{ return n; }}\n",
            fifo.display()
        ),
    )
    .expect("write");
    let spec = dir.path().join("include_fifo.yaml");
    std::fs::write(&spec, "kernel: include_fifo.c\nargs:\n  - n: { i64: 1 }\n").expect("write");
    let cache = dir.path().join("cache");
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let engine = hostile_engine(&cache);
        let r = engine
            .run_spec(&spec)
            .map(|_| ())
            .map_err(|e| e.to_string());
        let _ = tx.send(r);
    });
    let got = rx.recv_timeout(Duration::from_secs(15));
    if got.is_err() {
        // Release clang: a writer that closes at once gives it end of file.
        let _ = std::fs::OpenOptions::new().write(true).open(&fifo);
    }
    let late = got.is_err();
    let got = got.or_else(|_| rx.recv_timeout(Duration::from_secs(30)));
    let _ = worker.join();
    assert!(
        !late,
        "the engine waited on clang for more than 15 s ({got:?})"
    );
    let err = got.expect("an answer").expect_err("accepted");
    assert!(err.contains("include_fifo.c"), "{err}");
}

// ---- fault injection -------------------------------------------------------------

/// A small xorshift generator: the seed is printed, a run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// SIGKILLs `pid` only if it is still a sandbox process of ours: the pidfd
/// pins the process, then /proc confirms its parent is this test and its
/// name is tailor's (a stale pid may have been reaped and reused).
fn kill_sandbox_process(pid: u32) -> bool {
    // SAFETY: pidfd_open / pidfd_send_signal / close on a descriptor we own.
    unsafe {
        let fd = libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0u32) as i32;
        if fd < 0 {
            return false;
        }
        let ours = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| {
                let (head, rest) = stat.rsplit_once(')')?;
                let comm = head.split_once('(')?.1.to_owned();
                let mut fields = rest.split_whitespace();
                let state = fields.next()?.to_owned();
                let ppid: u32 = fields.next()?.parse().ok()?;
                Some((comm, state, ppid))
            })
            .is_some_and(|(comm, state, ppid)| {
                ppid == std::process::id()
                    && state != "Z"
                    && (comm == "tailor" || comm == "tailor-exec")
            });
        let killed = ours
            && libc::syscall(
                libc::SYS_pidfd_send_signal,
                fd,
                libc::SIGKILL,
                std::ptr::null::<libc::siginfo_t>(),
                0u32,
            ) == 0;
        libc::close(fd);
        killed
    }
}

/// What a request must produce when it runs to completion.
#[derive(Debug, Clone)]
struct Expected {
    result: Option<Scalar>,
    outputs: Vec<(String, usize, Vec<f64>)>,
    /// Results may differ from `result` by the plan's tolerance (a fresh
    /// build verified against generic), else exactly.
    tolerance: Option<f64>,
}

fn outputs_of(r: &Response) -> Vec<(String, usize, Vec<f64>)> {
    r.outputs
        .iter()
        .map(|o| (o.name.clone(), o.len, o.head.clone()))
        .collect()
}

fn sum_spec(dir: &Path, len: usize, seed: u64) -> PathBuf {
    let path = dir.join(format!("sum-{len}-{seed}.yaml"));
    std::fs::write(
        &path,
        format!(
            "kernel: {}\nentry: sum\nargs:\n  - a: {{ array: f64, gen: {{ dist: uniform, len: {len}, seed: {seed}, min: 0.0, max: 1.0 }} }}\n  - n: {{ i64: len(a) }}\n",
            root().join("kernels/sum.c").display()
        ),
    )
    .expect("write");
    path
}

#[test]
fn a_thousand_requests_survive_sigkills_of_sandbox_processes() {
    const REQUESTS: usize = 1000;
    /// Every this many requests, one needs a build (a `sum` of a new length:
    /// its bound `n` is a new Plan), so build workers are busy under fire too.
    const FRESH_EVERY: usize = 25;
    /// The killer gets fresh pid lists this often.
    const PIDS_EVERY: usize = 5;

    let _serial = serial();
    let cache = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    let engine = engine_over(&root().join("profiles"), cache.path());
    let events = engine.subscribe();

    // Before the chaos: every warm input once (built, verified, cached),
    // its response is what later ones must equal; fresh specs' expected
    // result is their strict sum, within tolerance.
    let warm: Vec<PathBuf> = [
        "sum-small.yaml",
        "dot-small.yaml",
        "matmul-small.yaml",
        "poly-small.yaml",
        "stencil-small.yaml",
    ]
    .iter()
    .map(|s| sample(s))
    .collect();
    let mut expected: BTreeMap<PathBuf, Expected> = BTreeMap::new();
    for spec in &warm {
        let r = engine
            .run_spec(spec)
            .unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
        assert_eq!(r.execution.outcome, Outcome::Ok, "{}", spec.display());
        expected.insert(
            spec.clone(),
            Expected {
                result: r.result,
                outputs: outputs_of(&r),
                tolerance: None,
            },
        );
    }
    let mut plan: Vec<PathBuf> = Vec::with_capacity(REQUESTS);
    for i in 0..REQUESTS {
        if i % FRESH_EVERY == FRESH_EVERY - 1 {
            let spec = sum_spec(work.path(), 300 + i, i as u64);
            let sum = reference_sum(&spec);
            expected.insert(
                spec.clone(),
                Expected {
                    result: Some(Scalar::F64(sum)),
                    outputs: vec![],
                    tolerance: Some(1e-12),
                },
            );
            plan.push(spec);
        } else {
            plan.push(warm[i % warm.len()].clone());
        }
    }
    let _ = events.try_iter().count();

    // The killer: SIGKILLs a random listed sandbox process after a random
    // 2–20 ms, until told to stop.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
        | 1;
    eprintln!("fault injection seed {seed:#x}");
    let (pid_tx, pid_rx) = mpsc::channel::<Vec<u32>>();
    let stop = Arc::new(AtomicBool::new(false));
    let killer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut rng = Rng(seed);
            let mut pids: Vec<u32> = Vec::new();
            let (mut kills, mut misses) = (0u64, 0u64);
            while !stop.load(Ordering::Relaxed) {
                if let Some(latest) = pid_rx.try_iter().last() {
                    pids = latest;
                }
                std::thread::sleep(Duration::from_millis(2 + rng.below(19)));
                if pids.is_empty() {
                    continue;
                }
                let pid = pids[rng.below(pids.len() as u64) as usize];
                if kill_sandbox_process(pid) {
                    kills += 1;
                } else {
                    misses += 1;
                }
            }
            (kills, misses)
        })
    };

    let started = Instant::now();
    let mut completions = 0usize;
    let mut errors: Vec<String> = Vec::new();
    let mut error_kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut not_ok: BTreeMap<String, usize> = BTreeMap::new();
    let mut served_generic: BTreeMap<String, usize> = BTreeMap::new();
    let mut ids = Vec::with_capacity(REQUESTS);
    for (i, spec) in plan.iter().enumerate() {
        if i % PIDS_EVERY == 0 {
            let (w, e) = engine.sandbox_pids();
            let _ = pid_tx.send(w.into_iter().chain(e).collect());
        }
        let first_id = engine.stats().requests + 1;
        let r = engine.run_spec(spec);
        completions += 1;
        ids.push(first_id);
        match r {
            Err(e) => {
                let kind = match &e {
                    EngineError::Refused(_) => "refused (kernel load)",
                    EngineError::Generic { .. } => "generic build failed",
                    EngineError::Sandbox(_) => "sandbox",
                    EngineError::Input(_) => "input",
                    EngineError::Kernel(_) => "kernel",
                    EngineError::Cache(_) => "cache",
                    EngineError::Host(_) => "host",
                    EngineError::UnknownKernel(_) => "unknown kernel",
                    EngineError::Fleet(_) => "fleet",
                    EngineError::UnknownProfile { .. } => "unknown profile",
                };
                *error_kinds.entry(kind).or_default() += 1;
                errors.push(e.to_string());
            }
            Ok(r) => {
                assert_eq!(r.request, first_id, "a response for another request");
                let want = &expected[spec];
                if r.served_by == Served::Generic {
                    *served_generic
                        .entry(format!("{:?}", r.verification))
                        .or_default() += 1;
                }
                if r.execution.outcome != Outcome::Ok {
                    // None of these kernels fails on its own: only a loss
                    // of the sandbox under it may end an execution.
                    assert!(
                        matches!(&r.execution.outcome, Outcome::Rejected(why) if why.contains("lost this execution twice"))
                            && r.execution.isolation.contains("lost twice"),
                        "request {i} ({}): {:?}",
                        spec.display(),
                        r.execution
                    );
                    *not_ok
                        .entry(format!(
                            "{} ({})",
                            r.execution.outcome, r.execution.isolation
                        ))
                        .or_default() += 1;
                    assert_eq!(r.result, None, "a result from a failed execution");
                    continue;
                }
                match (want.tolerance, want.result, r.result) {
                    (Some(tol), Some(Scalar::F64(w)), Some(Scalar::F64(g))) => assert!(
                        (w - g).abs() <= tol * w.abs().max(g.abs()),
                        "request {i} ({}): {g} vs {w}",
                        spec.display()
                    ),
                    _ => {
                        assert_eq!(r.result, want.result, "request {i} ({})", spec.display());
                        assert_eq!(
                            outputs_of(&r),
                            want.outputs,
                            "request {i} ({})",
                            spec.display()
                        );
                    }
                }
            }
        }
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (kills, misses) = killer.join().expect("killer");

    // Exactly one answer per request: as many completions as requests,
    // request ids consecutive, one terminal event each.
    assert_eq!(completions, REQUESTS);
    let distinct: HashSet<u64> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), REQUESTS, "a request id answered twice");
    assert_eq!(engine.stats().requests as usize, REQUESTS + warm.len());
    let mut terminal: BTreeMap<u64, usize> = BTreeMap::new();
    for e in events.try_iter() {
        if matches!(
            e.kind,
            EventKind::Finished { .. } | EventKind::Failed { .. }
        ) {
            *terminal.entry(e.request).or_default() += 1;
        }
    }
    for id in &ids {
        assert_eq!(terminal.get(id), Some(&1), "request {id}: terminal events");
    }

    let failed_outcomes: usize = not_ok.values().sum();
    eprintln!(
        "fault injection: {REQUESTS} requests in {:.1} s, {kills} SIGKILLs ({misses} picks already gone), \
         {} Ok responses ({failed_outcomes} with a non-Ok outcome: {not_ok:?}), {} errors {error_kinds:?}; served by generic: {served_generic:?}",
        elapsed.as_secs_f64(),
        REQUESTS - errors.len(),
        errors.len(),
    );
    for e in errors.iter().take(5) {
        eprintln!("  error: {e}");
    }
    assert!(kills > 0, "the killer never killed anything");

    // The error budget is 0: a lost process costs a retry, never an answer.
    assert!(
        errors.is_empty(),
        "{} requests failed: {errors:?}",
        errors.len()
    );

    // After the chaos the engine answers right again at once: a process
    // killed while idle is replaced when it is next checked out, before it
    // is used.
    for spec in &warm {
        let r = engine
            .run_spec(spec)
            .unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
        assert_eq!(
            r.execution.outcome,
            Outcome::Ok,
            "after the chaos: {}: {:?}",
            spec.display(),
            r.execution
        );
        assert_eq!(r.result, expected[spec].result, "{}", spec.display());
        assert_eq!(outputs_of(&r), expected[spec].outputs, "{}", spec.display());
    }
    let (workers, executors) = engine.sandbox_pids();
    let dead: Vec<u32> = workers
        .iter()
        .chain(&executors)
        .copied()
        .filter(|p| !alive(*p))
        .collect();
    assert!(
        dead.is_empty(),
        "workers {workers:?}, executors {executors:?}: listed but dead: {dead:?}"
    );
}

// ---- processes that died while idle ------------------------------------------------

/// SIGKILLs every listed process of one kind and waits until they are gone.
fn kill_all(pids: &[u32]) {
    for pid in pids {
        assert!(kill_sandbox_process(*pid), "could not kill {pid}");
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while pids.iter().any(|p| alive(*p)) {
        assert!(Instant::now() < deadline, "{pids:?} still alive");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Executors that died while idle (killed, OOM-killed) are only found dead
/// when a request checks them out; the request must not pay for it (no
/// "executors lost twice", and verification's generic run must not turn
/// the new variant into a Rejected one): a dead process is replaced at
/// checkout, before it is used.
#[test]
fn executors_that_died_idle_fail_no_request_and_reject_no_variant() {
    let _serial = serial();
    let cache = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    let engine = engine_over(&root().join("profiles"), cache.path());
    let warm = engine.run_spec(&sample("sum-small.yaml")).expect("warm-up");
    assert_eq!(warm.execution.outcome, Outcome::Ok);
    kill_all(&engine.sandbox_pids().1);

    let spec = sum_spec(work.path(), 333, 7);
    let first = engine.run_spec(&spec).expect("first run");
    let second = engine.run_spec(&spec).expect("second run");
    eprintln!(
        "first: {} served by {:?} ({:?}); second: {} served by {:?} ({:?})",
        first.execution.outcome,
        first.served_by,
        first.verification,
        second.execution.outcome,
        second.served_by,
        second.verification
    );
    for r in [&first, &second] {
        assert_eq!(r.execution.outcome, Outcome::Ok);
        assert_eq!(r.served_by, Served::Variant, "{:?}", r.verification);
        assert_eq!(r.verification, tailor::cache::Verification::Verified);
    }
}

/// The same for build workers: both died while idle, the next request that
/// needs a worker (here, loading a new kernel) gets a fresh one.
#[test]
fn workers_that_died_idle_fail_no_request() {
    let _serial = serial();
    let cache = tempfile::tempdir().expect("tempdir");
    let engine = hostile_engine(cache.path());
    Good::new().check(&engine, "start-up");
    kill_all(&engine.sandbox_pids().0);
    let r = engine.run_spec(&hostile("specs").join("ctor.yaml"));
    eprintln!(
        "{:?}",
        r.as_ref()
            .map(|r| (&r.execution.outcome, r.result))
            .map_err(|e| e.to_string())
    );
    let r = r.expect("a fresh worker loads the kernel");
    assert_eq!(r.result, Some(Scalar::I64(42)));
}

#[test]
fn replacements_of_killed_sandbox_processes_are_confined_as_the_first_ones() {
    let _serial = serial();
    let cache = tempfile::tempdir().expect("tempdir");
    let engine = hostile_engine(cache.path());
    Good::new().check(&engine, "start-up");
    let (workers, executors) = engine.sandbox_pids();
    kill_all(&workers);
    kill_all(&executors);
    // Each replacement answers the self-check before it serves (a weak one
    // would fail this request instead).
    Good::new().check(&engine, "after every sandbox process was killed");
    let (new_workers, new_executors) = engine.sandbox_pids();
    assert!(new_workers.iter().all(|p| !workers.contains(p)));
    assert!(new_executors.iter().all(|p| !executors.contains(p)));
    let (wr, er) = engine.confinement();
    for report in wr.iter().chain(&er) {
        for item in tailor::sandbox::confine::REQUIRED {
            assert!(
                report.iter().any(|line| line.starts_with(item)),
                "a replacement lacks {item}: {report:?}"
            );
        }
    }
}

// ---- nothing crosses between requests ---------------------------------------------

/// An engine with one executor, so every request runs where the last did.
fn one_executor_engine(cache_dir: &Path) -> Engine {
    Engine::new(EngineConfig {
        profiles: hostile("profiles"),
        cache: CacheConfig {
            dir: Some(cache_dir.to_owned()),
            ..Default::default()
        },
        pools: tailor::engine::PoolSizes {
            workers: 1,
            executors: 1,
        },
        shadow: tailor::engine::DEFAULT_SHADOW,
        fleet: Default::default(),
        key_budget: Default::default(),
    })
    .expect("engine")
}

fn run_isolated(engine: &Engine, spec: &str, isolation: tailor::profile::Isolation) -> Response {
    let mut made = engine
        .spec_request(&hostile("specs").join(spec))
        .unwrap_or_else(|e| panic!("{spec}: {e}"));
    made.request.isolation = Some(isolation);
    engine
        .run(made.request)
        .unwrap_or_else(|e| panic!("{spec}: {e}"))
}

/// Request A writes a marker into its output; request B, another kernel in
/// the same executor, scans past the end of its own 8-element array to the
/// end of its page (the region ends there) and counts the marker: it finds
/// none, in either isolation mode (what an earlier request left past a
/// request's own arguments is zero when it runs). B runs
/// right after A, and after a third kernel took the executor's other lane,
/// so that it lands in the lane A used (checked: at least once per mode).
#[test]
fn a_request_reads_nothing_an_earlier_one_left_in_the_region() {
    let _serial = serial();
    let cache = tempfile::tempdir().expect("tempdir");
    let engine = one_executor_engine(cache.path());
    let lane = |r: &Response| r.execution.isolation.rsplit(' ').next().map(str::to_owned);
    for isolation in [
        tailor::profile::Isolation::Fork,
        tailor::profile::Isolation::Process,
    ] {
        let mut same_lane = 0;
        for third in [None, Some("secret_holder.yaml")].repeat(3) {
            let a = run_isolated(&engine, "leak_writer.yaml", isolation);
            assert_eq!(a.execution.outcome, Outcome::Ok, "{:?}", a.execution);
            let head = &a.outputs[0].head;
            assert_eq!(head[1], 6828273973822940929.0_f64.round(), "{head:?}");
            if let Some(third) = third {
                run_isolated(&engine, third, isolation);
            }
            // The lanes tidied: B takes the one that ran least recently.
            std::thread::sleep(std::time::Duration::from_millis(50));
            let b = run_isolated(&engine, "leak_reader.yaml", isolation);
            assert_eq!(b.execution.outcome, Outcome::Ok, "{:?}", b.execution);
            assert_eq!(
                b.result,
                Some(Scalar::I64(0)),
                "{isolation:?}: request B found request A's output past its own array"
            );
            same_lane += usize::from(lane(&a) == lane(&b));
        }
        assert!(same_lane > 0, "{isolation:?}: B never ran in A's lane");
    }
}

/// A forked child holds its own variant only: a kernel scanning the memory
/// above its own constant for another kernel's secret table finds nothing
/// (it faults on the gap where the other variant was mapped).
#[test]
fn a_forked_child_holds_no_other_kernels_code_or_data() {
    let _serial = serial();
    let cache = tempfile::tempdir().expect("tempdir");
    let engine = one_executor_engine(cache.path());
    let fork = tailor::profile::Isolation::Fork;
    let holder = run_isolated(&engine, "secret_holder.yaml", fork);
    assert_eq!(holder.result, Some(Scalar::I64(0x0f1e2d3c4b5a6978)));
    let scan = run_isolated(&engine, "code_scanner.yaml", fork);
    eprintln!(
        "scanner: {:?} {:?} served by {:?} ({:?}, {})",
        scan.execution.outcome, scan.result, scan.served_by, scan.verification, scan.profile
    );
    match (&scan.execution.outcome, scan.result) {
        (Outcome::Ok, Some(Scalar::I64(found))) => {
            assert_eq!(found, 0, "the scanner read another kernel's constants")
        }
        (Outcome::Crashed(sig), _) => assert!(
            [SIGSEGV, libc::SIGBUS].contains(sig),
            "{:?}",
            scan.execution
        ),
        other => panic!("unexpected {other:?}"),
    }
}

// ---- input specs read only their own data ------------------------------------------

/// `file:` names data in the spec's folder: a `..` path, an absolute one, a
/// symbolic link out of the folder, a FIFO and a device are each refused
/// with a message that says so, before anything is read (a FIFO would hang,
/// `/dev/zero` would be read until memory ran out); the kernel path of a
/// spec is refused the same way when it is a FIFO.
#[test]
fn an_input_spec_reads_nothing_outside_its_folder() {
    let _serial = serial();
    let cache = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    let engine = hostile_engine(cache.path());
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("secret.bin"), 7i64.to_le_bytes()).expect("write");
    let dir = work.path();
    std::fs::write(
        dir.join("k.c"),
        "long k(const long *a, long n) { return n ? a[0] : 0; }\n",
    )
    .expect("write");
    std::os::unix::fs::symlink(outside.path().join("secret.bin"), dir.join("link.bin"))
        .expect("symlink");
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.bin")).expect("symlink");
    let fifo = dir.join("fifo.bin");
    let c = std::ffi::CString::new(fifo.to_str().expect("utf-8")).expect("path");
    // SAFETY: mkfifo with a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    let secret = outside.path().join("secret.bin");
    let rel = format!(
        "{}/secret.bin",
        std::iter::repeat_n("..", dir.components().count())
            .collect::<Vec<_>>()
            .join("/")
            + outside.path().to_str().expect("utf-8")
    );
    let cases = [
        (rel.as_str(), "inside the spec's folder"),
        (secret.to_str().expect("utf-8"), "inside the spec's folder"),
        ("link.bin", "leads outside the spec's folder"),
        ("zero.bin", "leads outside the spec's folder"),
        ("fifo.bin", "not a regular file"),
    ];
    for (i, (file, why)) in cases.iter().enumerate() {
        let spec = dir.join(format!("s{i}.yaml"));
        std::fs::write(
            &spec,
            format!("kernel: k.c\nargs:\n  - a: {{ array: i64, file: \"{file}\" }}\n  - n: {{ i64: 1 }}\n"),
        )
        .expect("write");
        let started = Instant::now();
        let err = match engine.run_spec(&spec) {
            Ok(r) => panic!("{file}: read, answered {:?}", r.result),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(why), "{file}: {err}");
        assert!(err.contains("argument `a`"), "{file}: {err}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{file}: took {:?}",
            started.elapsed()
        );
    }
    // The kernel named by a spec: a FIFO is refused, not waited on.
    let kfifo = dir.join("kfifo.c");
    let c = std::ffi::CString::new(kfifo.to_str().expect("utf-8")).expect("path");
    // SAFETY: as above.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    let spec = dir.join("kfifo.yaml");
    std::fs::write(&spec, "kernel: kfifo.c\nargs:\n  - n: { i64: 1 }\n").expect("write");
    let err = engine
        .run_spec(&spec)
        .expect_err("a FIFO kernel")
        .to_string();
    assert!(err.contains("not a regular file"), "{err}");
    // And the good request still runs.
    Good::new().check(&engine, "refused files");
}

// ---- C kernels reach nothing of the host -------------------------------------------

/// A C kernel that `#include`s or `#embed`s a file outside clang's own
/// installation and the system headers is refused, and the message quotes
/// nothing of the file; a kernel that crashes clang leaves no copy of its
/// source in the temporary folder; `#include <math.h>` still works.
#[test]
fn a_c_kernel_reaches_no_host_file() {
    let _serial = serial();
    let cache = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    let secret = outside.path().join("secret.txt");
    std::fs::write(&secret, "int TOP_SECRET_LINE_4711;\n").expect("write");
    let engine = hostile_engine(cache.path());
    let run = |name: &str, source: String, arg: &str| {
        let dir = work.path();
        std::fs::write(dir.join(format!("{name}.c")), source).expect("write");
        let spec = dir.join(format!("{name}.yaml"));
        std::fs::write(
            &spec,
            format!("kernel: {name}.c\nentry: k\nargs:\n  - x: {{ {arg} }}\n"),
        )
        .expect("write");
        engine.run_spec(&spec).map_err(|e| e.to_string())
    };
    let include = run(
        "include_secret",
        format!(
            "#include \"{}\"\nlong k(long x) {{ return x; }}\n",
            secret.display()
        ),
        "i64: 1",
    );
    let err = include.expect_err("a kernel including a host file compiled");
    assert!(err.contains("include_secret.c"), "{err}");
    assert!(
        !err.contains("TOP_SECRET"),
        "the message quotes the file: {err}"
    );
    let embed = run(
        "embed_secret",
        format!(
            "static const char d[] = {{\n#embed \"{}\"\n}};\nlong k(long x) {{ return d[x]; }}\n",
            secret.display()
        ),
        "i64: 1",
    );
    let err = embed.expect_err("a kernel embedding a host file compiled");
    assert!(!err.contains("TOP_SECRET"), "{err}");
    let before: HashSet<PathBuf> = std::fs::read_dir(std::env::temp_dir())
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    let crash = run(
        "crash_clang",
        "// CRASH_MARKER_0815\n#pragma clang __debug crash\nlong k(long x) { return x; }\n".into(),
        "i64: 1",
    );
    assert!(crash.is_err(), "clang's crash went unnoticed");
    let after: Vec<PathBuf> = std::fs::read_dir(std::env::temp_dir())
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    for new in after.iter().filter(|p| !before.contains(*p) && p.is_file()) {
        let text = std::fs::read(new).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&text).contains("CRASH_MARKER_0815"),
            "clang left a copy of the kernel in {}",
            new.display()
        );
    }
    let math = run(
        "with_math",
        "#include <math.h>\ndouble k(double x) { return sqrt(x); }\n".into(),
        "f64: 4.0",
    )
    .expect("a kernel using math.h");
    assert_eq!(math.result, Some(Scalar::F64(2.0)));
}

// ---- least privilege ---------------------------------------------------------------

/// Every build worker and executor reports each required confinement item
/// held (the engine's self-check refuses to start otherwise), and from the
/// outside each runs under a uid of its own, never root, with an empty
/// root folder (its own `/proc/self/fdinfo`).
#[test]
fn every_sandbox_process_holds_the_required_confinement() {
    let _serial = serial();
    let cache = tempfile::tempdir().expect("tempdir");
    let engine = hostile_engine(cache.path());
    let (workers, executors) = engine.confinement();
    assert!(!workers.is_empty() && !executors.is_empty());
    for report in workers.iter().chain(&executors) {
        for item in tailor::sandbox::confine::REQUIRED {
            assert!(
                report.iter().any(|line| line.starts_with(item)),
                "{item} is not held: {report:?}"
            );
        }
    }
    // SAFETY: getuid has no arguments.
    let root = unsafe { libc::getuid() } == 0;
    let (wp, ep) = engine.sandbox_pids();
    let mut uids = HashSet::new();
    for pid in wp.iter().chain(&ep) {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
        let uid: u32 = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|u| u.parse().ok())
            .expect("a uid");
        assert_ne!(uid, 0, "sandbox process {pid} runs as root");
        if root {
            assert!(
                uid >= tailor::sandbox::confine::UID_BASE,
                "{pid}: uid {uid}"
            );
            assert!(uids.insert(uid), "two sandbox processes share uid {uid}");
            let top = std::fs::read_link(format!("/proc/{pid}/root")).expect("root link");
            assert!(top.ends_with("fdinfo"), "{pid}: root is {}", top.display());
        }
    }
}
