//! A sandboxed child process as the engine sees it: spawned from a binary,
//! spoken to over its stdin/stdout with the wire protocol, every reply
//! awaited with a deadline, killed and reaped when it misbehaves.

use super::wire::{recv, send};
use serde::{de::DeserializeOwned, Serialize};
use std::io::BufReader;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// Why a request got no reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcError {
    /// No reply by the deadline; the process was killed.
    Timeout,
    /// The process is gone: its exit code or the signal that ended it.
    Died {
        code: Option<i32>,
        signal: Option<i32>,
    },
    /// It replied with something that is not the protocol.
    Protocol(String),
}

impl std::fmt::Display for ProcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProcError::Timeout => f.write_str("no reply before the deadline"),
            ProcError::Died {
                signal: Some(s), ..
            } => write!(f, "the process died (signal {s})"),
            ProcError::Died { code, .. } => write!(f, "the process exited ({code:?})"),
            ProcError::Protocol(m) => write!(f, "protocol error: {m}"),
        }
    }
}

pub struct Proc {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    pub id: u64,
    pub started: Instant,
}

impl Proc {
    pub fn spawn(exe: &Path, args: &[&str], id: u64) -> Result<Proc, String> {
        Proc::spawn_with_fd(exe, args, id, None)
    }

    /// Like `spawn`, passing one more descriptor (`keep`) to the child.
    pub fn spawn_with_fd(
        exe: &Path,
        args: &[&str],
        id: u64,
        keep: Option<i32>,
    ) -> Result<Proc, String> {
        use std::os::unix::process::CommandExt;
        let mut command = Command::new(exe);
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(fd) = keep {
            // SAFETY: between fork and exec only fcntl runs, which is
            // async-signal-safe; it clears close-on-exec on this one
            // descriptor so the new program inherits it.
            unsafe {
                command.pre_exec(move || {
                    if libc::fcntl(fd, libc::F_SETFD, 0) == 0 {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                });
            }
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err(format!("{}: no pipes", exe.display()));
        };
        Ok(Proc {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            id,
            started: Instant::now(),
        })
    }

    /// Whether the process is still running (reaps it if not).
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until the reply can be read or the deadline passes.
    fn readable(&mut self, deadline: Instant) -> bool {
        if !self.stdout.buffer().is_empty() {
            return true;
        }
        let fd = self.stdout.get_ref().as_raw_fd();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut p = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = i32::try_from(left.as_millis()).unwrap_or(i32::MAX);
            // SAFETY: poll on a file descriptor we own.
            let r = unsafe { libc::poll(&mut p, 1, ms) };
            if r > 0 {
                return true;
            }
            if r == 0 {
                return false;
            }
            if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                return true; // let the read report the error
            }
        }
    }

    fn died(&mut self) -> ProcError {
        use std::os::unix::process::ExitStatusExt;
        // The pipe closed: the process is exiting; reap it.
        match self.child.wait() {
            Ok(status) => ProcError::Died {
                code: status.code(),
                signal: status.signal(),
            },
            Err(_) => ProcError::Died {
                code: None,
                signal: None,
            },
        }
    }

    /// One request, one reply, within `timeout`.
    pub fn request<Q: Serialize, R: DeserializeOwned>(
        &mut self,
        req: &Q,
        payload: &[u8],
        timeout: Duration,
    ) -> Result<(R, Vec<u8>), ProcError> {
        if send(&mut self.stdin, req, payload).is_err() {
            return Err(self.died());
        }
        self.next(timeout)
    }

    /// The next message of a streamed reply.
    pub fn next<R: DeserializeOwned>(
        &mut self,
        timeout: Duration,
    ) -> Result<(R, Vec<u8>), ProcError> {
        if !self.readable(Instant::now() + timeout) {
            self.kill();
            return Err(ProcError::Timeout);
        }
        match recv(&mut self.stdout) {
            Ok(Some(reply)) => Ok(reply),
            Ok(None) => Err(self.died()),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                self.kill();
                Err(ProcError::Protocol(e.to_string()))
            }
            Err(_) => Err(self.died()),
        }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}
