//! Landlock, the kernel's unprivileged file-access control (Linux 5.13 and
//! later): a process gives up every file right but reading and executing
//! beneath a few folders, for itself and every program it then runs. clang
//! gets it: it must read its own binary, libraries and headers, and a C
//! kernel must reach nothing else of the host (`#include "/etc/passwd"`,
//! `#embed` of a secret, a crash reproducer written to `$TMPDIR`).
//!
//! The ruleset is built once, in the engine, from raw system calls (the
//! ABI is four structs and three calls); a freshly forked child applies it
//! with two async-signal-safe calls before it runs clang
//! ([`Ruleset::restrict_self`]). Where the kernel's ABI knows them, TCP
//! and signals to processes outside the domain are refused too.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

const CREATE_RULESET_VERSION: u32 = 1;
const RULE_PATH_BENEATH: i32 = 1;

// Filesystem rights, by the ABI version that introduced them.
const FS_EXECUTE: u64 = 1 << 0;
const FS_READ_FILE: u64 = 1 << 2;
const FS_READ_DIR: u64 = 1 << 3;
/// Every right of ABI 1 (execute … make symlink).
const FS_ABI1: u64 = (1 << 13) - 1;
const FS_REFER: u64 = 1 << 13; // ABI 2
const FS_TRUNCATE: u64 = 1 << 14; // ABI 3
const FS_IOCTL_DEV: u64 = 1 << 15; // ABI 5
const NET_BIND_TCP: u64 = 1 << 0; // ABI 4
const NET_CONNECT_TCP: u64 = 1 << 1;
const SCOPE_ABSTRACT_UNIX: u64 = 1 << 0; // ABI 6
const SCOPE_SIGNAL: u64 = 1 << 1;

#[repr(C)]
struct RulesetAttr {
    handled_access_fs: u64,
    handled_access_net: u64,
    scoped: u64,
}

#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// A ruleset allowing reading (and executing) beneath some paths only.
#[derive(Debug)]
pub struct Ruleset {
    fd: OwnedFd,
    /// The kernel's Landlock ABI version.
    pub abi: i32,
}

/// The kernel's Landlock ABI version, or why there is none.
pub fn abi() -> Result<i32, String> {
    // SAFETY: the version query takes no attribute.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<RulesetAttr>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    };
    if v < 1 {
        return Err(format!(
            "Landlock is not available on this kernel ({})",
            std::io::Error::last_os_error()
        ));
    }
    Ok(v as i32)
}

impl Ruleset {
    /// Reading files and folders, and executing files, beneath each of
    /// `paths` (those that exist); nothing else of the filesystem.
    pub fn read_only(paths: &[&Path]) -> Result<Ruleset, String> {
        let abi = abi()?;
        let mut fs = FS_ABI1;
        if abi >= 2 {
            fs |= FS_REFER;
        }
        if abi >= 3 {
            fs |= FS_TRUNCATE;
        }
        if abi >= 5 {
            fs |= FS_IOCTL_DEV;
        }
        let attr = RulesetAttr {
            handled_access_fs: fs,
            handled_access_net: if abi >= 4 {
                NET_BIND_TCP | NET_CONNECT_TCP
            } else {
                0
            },
            scoped: if abi >= 6 {
                SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL
            } else {
                0
            },
        };
        // The struct grew with the ABI: pass the size this kernel knows.
        let size = match abi {
            1..=3 => 8,
            4 | 5 => 16,
            _ => std::mem::size_of::<RulesetAttr>(),
        };
        // SAFETY: `attr` is a live ruleset attribute of at least `size`
        // bytes.
        let fd = unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, &attr, size, 0u32) };
        if fd < 0 {
            return Err(format!(
                "cannot create a Landlock ruleset: {}",
                std::io::Error::last_os_error()
            ));
        }
        // SAFETY: a descriptor the kernel just gave us.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        for path in paths {
            let Ok(dir) = std::fs::File::open(path) else {
                continue;
            };
            let is_dir = dir.metadata().map(|m| m.is_dir()).unwrap_or(false);
            let rule = PathBeneathAttr {
                // A file's rule may carry only file rights.
                allowed_access: if is_dir {
                    FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
                } else {
                    FS_EXECUTE | FS_READ_FILE
                },
                parent_fd: dir.as_raw_fd(),
            };
            // SAFETY: a live rule attribute and our ruleset descriptor.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_landlock_add_rule,
                    fd.as_raw_fd(),
                    RULE_PATH_BENEATH,
                    &rule,
                    0u32,
                )
            };
            if r != 0 {
                return Err(format!(
                    "cannot allow {} in the Landlock ruleset: {}",
                    path.display(),
                    std::io::Error::last_os_error()
                ));
            }
        }
        Ok(Ruleset { fd, abi })
    }

    /// Confines the calling process (and what it runs): no new privileges,
    /// then the ruleset. Two system calls and nothing else, so it may run
    /// between `fork` and `exec` in a multi-threaded process. An errno on
    /// failure.
    pub fn restrict_self(&self) -> Result<(), i32> {
        // SAFETY: prctl and landlock_restrict_self with integer arguments
        // and our own ruleset descriptor.
        unsafe {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(*libc::__errno_location());
            }
            if libc::syscall(libc::SYS_landlock_restrict_self, self.fd.as_raw_fd(), 0u32) != 0 {
                return Err(*libc::__errno_location());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A forked child under a ruleset allowing one folder reads a file
    /// there and cannot open one elsewhere.
    #[test]
    fn a_confined_child_reads_beneath_its_folders_only() {
        let Ok(_) = abi() else {
            eprintln!("Landlock unavailable: skipped");
            return;
        };
        let allowed = tempfile::tempdir().expect("tempdir");
        let other = tempfile::tempdir().expect("tempdir");
        std::fs::write(allowed.path().join("ok"), b"x").expect("write");
        std::fs::write(other.path().join("secret"), b"y").expect("write");
        let rules = Ruleset::read_only(&[allowed.path()]).expect("ruleset");
        let ok = std::ffi::CString::new(allowed.path().join("ok").to_str().expect("utf-8"))
            .expect("path");
        let secret = std::ffi::CString::new(other.path().join("secret").to_str().expect("utf-8"))
            .expect("path");
        // SAFETY: the child makes only raw system calls and exits.
        unsafe {
            let pid = libc::fork();
            if pid == 0 {
                let mut code = 0;
                if rules.restrict_self().is_err() {
                    code |= 1;
                }
                if libc::open(ok.as_ptr(), libc::O_RDONLY) < 0 {
                    code |= 2;
                }
                if libc::open(secret.as_ptr(), libc::O_RDONLY) >= 0 {
                    code |= 4;
                }
                libc::_exit(code);
            }
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
            assert!(libc::WIFEXITED(status));
            assert_eq!(
                libc::WEXITSTATUS(status),
                0,
                "bits: 1 restrict, 2 allowed, 4 secret"
            );
        }
    }
}
