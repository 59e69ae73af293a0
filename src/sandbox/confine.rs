//! Confinement of sandboxed processes: no-new-privs, rlimits, a network
//! namespace where the kernel allows it, and seccomp filters built with
//! `seccompiler` from the tables below (the policy, readable in one place).
//!
//! Two filters are stacked: a deny-list whose calls kill the process (so a
//! kernel that reaches one is reported as a sandbox violation, with the
//! signal SIGSYS), and an allow-list under which everything else fails with
//! EPERM (so an unexpected but harmless call in our own code degrades
//! instead of killing).

use seccompiler::{apply_filter, BpfProgram, SeccompAction, SeccompFilter, TargetArch};
use std::collections::BTreeMap;

/// Calls no sandboxed process may make: files, sockets, new programs,
/// other processes' memory, privileges.
const DENIED: &[i64] = &[
    libc::SYS_open,
    libc::SYS_openat,
    libc::SYS_openat2,
    libc::SYS_creat,
    libc::SYS_socket,
    libc::SYS_socketpair,
    libc::SYS_connect,
    libc::SYS_bind,
    libc::SYS_listen,
    libc::SYS_accept,
    libc::SYS_accept4,
    libc::SYS_sendto,
    libc::SYS_recvfrom,
    libc::SYS_execve,
    libc::SYS_execveat,
    libc::SYS_ptrace,
    libc::SYS_process_vm_readv,
    libc::SYS_process_vm_writev,
    libc::SYS_mount,
    libc::SYS_umount2,
    libc::SYS_chroot,
    libc::SYS_pivot_root,
    libc::SYS_setuid,
    libc::SYS_setgid,
    libc::SYS_unshare,
    libc::SYS_setns,
    libc::SYS_init_module,
    libc::SYS_finit_module,
    libc::SYS_kexec_load,
    libc::SYS_bpf,
    libc::SYS_perf_event_open,
    libc::SYS_io_uring_setup,
    libc::SYS_userfaultfd,
    libc::SYS_unlink,
    libc::SYS_unlinkat,
    libc::SYS_rename,
    libc::SYS_renameat2,
    libc::SYS_mkdir,
    libc::SYS_chmod,
    libc::SYS_chown,
    libc::SYS_truncate,
    libc::SYS_link,
    libc::SYS_symlink,
    libc::SYS_reboot,
];

/// What every sandboxed process needs: its pipes, memory, signals, time,
/// exiting.
const BASE: &[i64] = &[
    libc::SYS_read,
    libc::SYS_write,
    libc::SYS_readv,
    libc::SYS_writev,
    libc::SYS_close,
    libc::SYS_fstat,
    libc::SYS_mmap,
    libc::SYS_munmap,
    libc::SYS_mprotect,
    libc::SYS_mremap,
    libc::SYS_madvise,
    libc::SYS_brk,
    libc::SYS_rt_sigaction,
    libc::SYS_rt_sigprocmask,
    libc::SYS_rt_sigreturn,
    libc::SYS_sigaltstack,
    libc::SYS_futex,
    libc::SYS_getpid,
    libc::SYS_gettid,
    libc::SYS_tgkill,
    libc::SYS_exit,
    libc::SYS_exit_group,
    libc::SYS_clock_gettime,
    libc::SYS_clock_nanosleep,
    libc::SYS_nanosleep,
    libc::SYS_sched_yield,
    libc::SYS_getrandom,
    libc::SYS_restart_syscall,
    libc::SYS_poll,
    libc::SYS_ppoll,
];

/// The lean executor also forks, watches (pidfd), kills and reaps its
/// children; a child, before it enters its own filter, closes its other
/// descriptors, asks to die with its parent, checks its parent, and sets
/// its CPU limit (glibc's `setrlimit` is `prlimit64`). Under an
/// unprivileged uid of its own, `kill` and `prlimit64` reach only its own
/// children.
const EXECUTOR: &[i64] = &[
    libc::SYS_clone,
    libc::SYS_wait4,
    libc::SYS_kill,
    libc::SYS_pidfd_open,
    libc::SYS_prctl,
    libc::SYS_seccomp,
    libc::SYS_prlimit64,
    libc::SYS_close_range,
    libc::SYS_getppid,
];

/// LLVM, in the build worker, asks the system about itself now and then.
const WORKER: &[i64] = &[
    libc::SYS_sched_getaffinity,
    libc::SYS_getrusage,
    libc::SYS_uname,
    libc::SYS_sysinfo,
    libc::SYS_getcwd,
    libc::SYS_lseek,
    libc::SYS_pread64,
];

/// Which process a filter is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Executor,
    Worker,
}

fn filter(
    rules: &[i64],
    mismatch: SeccompAction,
    matched: SeccompAction,
) -> Result<BpfProgram, String> {
    let map: BTreeMap<i64, Vec<seccompiler::SeccompRule>> =
        rules.iter().map(|s| (*s, Vec::new())).collect();
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|e| e.to_string())?;
    SeccompFilter::new(map, mismatch, matched, arch)
        .and_then(BpfProgram::try_from)
        .map_err(|e| e.to_string())
}

/// Installs both filters on the calling thread (the process must be single
/// threaded: children inherit them).
pub fn seccomp(role: Role) -> Result<(), String> {
    let deny = filter(DENIED, SeccompAction::Allow, SeccompAction::KillProcess)?;
    let mut allowed: Vec<i64> = BASE.to_vec();
    allowed.extend_from_slice(match role {
        Role::Executor => EXECUTOR,
        Role::Worker => WORKER,
    });
    let allow = filter(
        &allowed,
        SeccompAction::Errno(libc::EPERM as u32),
        SeccompAction::Allow,
    )?;
    apply_filter(&deny).map_err(|e| e.to_string())?;
    apply_filter(&allow).map_err(|e| e.to_string())?;
    Ok(())
}

pub fn no_new_privs() -> Result<(), String> {
    // SAFETY: prctl with integer arguments only.
    let r = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error().to_string())
    }
}

pub fn rlimit(resource: libc::__rlimit_resource_t, value: u64) -> Result<(), String> {
    let lim = libc::rlimit {
        rlim_cur: value,
        rlim_max: value,
    };
    // SAFETY: setrlimit reads the struct we pass.
    let r = unsafe { libc::setrlimit(resource, &lim) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error().to_string())
    }
}

/// A new, empty network namespace (only a down loopback): no network at
/// all. Tries a user namespace too, so it also works without root.
pub fn no_network() -> Result<(), String> {
    // SAFETY: unshare with flag arguments only; the process is single
    // threaded at this point (a requirement for CLONE_NEWUSER).
    unsafe {
        if libc::unshare(libc::CLONE_NEWNET) == 0 {
            return Ok(());
        }
        if libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) == 0 {
            return Ok(());
        }
    }
    Err(std::io::Error::last_os_error().to_string())
}

/// An empty root: `chroot` into this process's own `/proc/self/fdinfo`, a
/// folder that holds nothing but descriptions of its descriptors and
/// vanishes with it (no folder to make or clean up). Needs root, or the
/// user namespace [`no_network`] may have made.
pub fn empty_root() -> Result<(), String> {
    // SAFETY: chroot/chdir with NUL-terminated literals.
    unsafe {
        if libc::chroot(c"/proc/self/fdinfo".as_ptr()) != 0 {
            return Err(std::io::Error::last_os_error().to_string());
        }
        if libc::chdir(c"/".as_ptr()) != 0 {
            return Err(std::io::Error::last_os_error().to_string());
        }
    }
    Ok(())
}

/// The first of the uids sandbox processes take (one of their own each:
/// `UID_BASE` plus their pid, so no two can signal each other).
pub const UID_BASE: u32 = 2_000_000_000;

/// Gives up root for a uid and gid of this process's own, with no
/// supplementary groups. A process that is not root is unprivileged
/// already and keeps its uid.
pub fn unprivileged() -> Result<String, String> {
    // SAFETY: getuid/setgroups/setgid/setuid with integer arguments.
    unsafe {
        let uid = libc::getuid();
        if uid != 0 {
            return Ok(format!("unprivileged uid {uid}"));
        }
        let id = UID_BASE + (libc::getpid() as u32 % 100_000_000);
        if libc::setgroups(0, std::ptr::null()) != 0
            || libc::setgid(id) != 0
            || libc::setuid(id) != 0
        {
            return Err(std::io::Error::last_os_error().to_string());
        }
        if libc::setuid(0) == 0 {
            return Err("root could be taken back".into());
        }
        Ok(format!("unprivileged uid {id}"))
    }
}

/// No file may be opened, made or run any more, even by code that got past
/// the seccomp filter (Landlock with no rule).
pub fn no_files() -> Result<(), String> {
    super::landlock::Ruleset::read_only(&[])?
        .restrict_self()
        .map_err(|e| std::io::Error::from_raw_os_error(e).to_string())
}

/// What every sandbox process must report held (see [`check`]).
pub const REQUIRED: &[&str] = &[
    "network namespace",
    "empty root",
    "unprivileged uid",
    "no-new-privs",
    "rlimit address space",
    "rlimit open files",
    "rlimit core",
    "rlimit file size",
    "landlock",
    "seccomp filter",
];

/// Everything a sandboxed process of `role` gets at start-up, in order;
/// returns what took hold (and what did not, and why).
pub fn confine(role: Role, address_space: u64) -> Vec<String> {
    let mut report = Vec::new();
    let mut note = |what: &str, r: Result<(), String>| match r {
        Ok(()) => report.push(what.to_owned()),
        Err(e) => report.push(format!("no {what}: {e}")),
    };
    note("network namespace", no_network());
    note("empty root", empty_root());
    match unprivileged() {
        Ok(uid) => note(&uid, Ok(())),
        Err(e) => note("unprivileged uid", Err(e)),
    }
    note("no-new-privs", no_new_privs());
    note(
        "rlimit address space",
        rlimit(libc::RLIMIT_AS, address_space),
    );
    note("rlimit open files", rlimit(libc::RLIMIT_NOFILE, 64));
    note("rlimit core", rlimit(libc::RLIMIT_CORE, 0));
    note("rlimit file size", rlimit(libc::RLIMIT_FSIZE, 0));
    if role == Role::Worker {
        note("rlimit processes", rlimit(libc::RLIMIT_NPROC, 1));
    }
    note("landlock", no_files());
    note("seccomp filter", seccomp(role));
    report
}

/// The confinement self-check: every [`REQUIRED`] item is in each report,
/// held, unless `optional` names it (`TAILOR_SANDBOX_OPTIONAL`, a comma
/// list, for machines that cannot give it). The error names the process
/// and the item, and says how to run without it.
/// The items `TAILOR_SANDBOX_OPTIONAL` (comma-separated) lets go.
pub fn optional_from_env() -> Vec<String> {
    std::env::var("TAILOR_SANDBOX_OPTIONAL")
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

pub fn check(reports: &[(String, Vec<String>)], optional: &[String]) -> Result<(), String> {
    let mut missing = Vec::new();
    for (who, report) in reports {
        for item in REQUIRED
            .iter()
            .filter(|i| !optional.iter().any(|o| o == *i))
        {
            let held = report.iter().any(|line| line.starts_with(item));
            if !held {
                let why = report
                    .iter()
                    .find(|line| line.starts_with(&format!("no {item}")))
                    .map_or_else(|| format!("no {item}: not reported"), Clone::clone);
                missing.push(format!("{who}: {why}"));
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let items: std::collections::BTreeSet<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|i| missing.iter().any(|m| m.contains(&format!("no {i}"))))
        .collect();
    Err(format!(
        "the sandbox is weaker than required, so the engine will not serve: {} \
         (TAILOR_SANDBOX_OPTIONAL={} runs without it)",
        missing.join("; "),
        items.into_iter().collect::<Vec<_>>().join(",")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(calls: &[i64]) -> Vec<i64> {
        let mut v = calls.to_vec();
        v.sort();
        v
    }

    /// The allow-lists, spelled out: a call added to a sandbox process is
    /// added here on purpose.
    #[test]
    fn the_allow_lists_are_exactly_these() {
        let mut executor = vec![
            libc::SYS_clone,
            libc::SYS_wait4,
            libc::SYS_kill,
            libc::SYS_pidfd_open,
            libc::SYS_prctl,
            libc::SYS_seccomp,
            libc::SYS_prlimit64,
            libc::SYS_close_range,
            libc::SYS_getppid,
        ];
        executor.sort();
        assert_eq!(names(EXECUTOR), executor);
        let mut worker = vec![
            libc::SYS_sched_getaffinity,
            libc::SYS_getrusage,
            libc::SYS_uname,
            libc::SYS_sysinfo,
            libc::SYS_getcwd,
            libc::SYS_lseek,
            libc::SYS_pread64,
        ];
        worker.sort();
        assert_eq!(names(WORKER), worker);
        assert_eq!(BASE.len(), 30);
        for denied in DENIED {
            assert!(
                !BASE.contains(denied) && !EXECUTOR.contains(denied) && !WORKER.contains(denied)
            );
        }
        assert!(!BASE.contains(&libc::SYS_setrlimit) && !BASE.contains(&libc::SYS_pipe2));
    }

    #[test]
    fn the_self_check_names_what_is_missing() {
        let full: Vec<String> = REQUIRED
            .iter()
            .map(|i| match *i {
                "unprivileged uid" => "unprivileged uid 2000000042".to_owned(),
                other => other.to_owned(),
            })
            .collect();
        assert_eq!(check(&[("executor 1".into(), full.clone())], &[]), Ok(()));
        let mut weak = full.clone();
        weak.retain(|l| l != "seccomp filter");
        weak.push("no seccomp filter: Invalid argument".into());
        let err = check(
            &[
                ("worker 1".into(), full),
                ("executor 2".into(), weak.clone()),
            ],
            &[],
        )
        .expect_err("weaker than required");
        assert!(
            err.contains("executor 2: no seccomp filter: Invalid argument"),
            "{err}"
        );
        assert!(
            err.contains("TAILOR_SANDBOX_OPTIONAL=seccomp filter"),
            "{err}"
        );
        assert!(!err.contains("worker 1"), "{err}");
        assert_eq!(
            check(&[("executor 2".into(), weak)], &["seccomp filter".into()]),
            Ok(())
        );
    }
}
