//! A sandboxed child process as the engine sees it: spawned from a binary,
//! spoken to over its stdin/stdout with the wire protocol, every reply
//! awaited with a deadline, killed and reaped when it misbehaves.

use super::wire::{recv, send};
use serde::{de::DeserializeOwned, Serialize};
use std::io::{BufReader, Read};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

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

/// The process's stdout, read under a deadline: every read waits only
/// until the deadline, so a reply that stalls halfway (after its first
/// byte, inside a frame) is cut off like one that never starts.
struct Timed {
    inner: ChildStdout,
    deadline: Instant,
}

impl Read for Timed {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let fd = self.inner.as_raw_fd();
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            let mut p = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // Round up, so a deadline 0.5 ms away is not a busy loop.
            let ms = i32::try_from(left.as_micros().div_ceil(1000)).unwrap_or(i32::MAX);
            // SAFETY: poll on a file descriptor we own, one entry.
            let r = unsafe { libc::poll(&mut p, 1, ms) };
            if r > 0 {
                return self.inner.read(buf);
            }
            if r == 0 {
                return Err(std::io::ErrorKind::TimedOut.into());
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
}

/// Most of a sandbox process's stderr forwarded to the log; past it, the
/// rest is read and dropped (a hostile kernel in `process` isolation may
/// write to it without end).
const STDERR_BUDGET: usize = 1 << 20;

/// What a sandbox process writes to stderr goes to the log (`RUST_LOG`,
/// target `tailor::sandbox`), line by line, each cut at 1 KiB, so a dying
/// worker or executor leaves a trace.
fn forward_stderr(stderr: std::process::ChildStderr, exe: &Path, pid: u32) {
    use std::io::BufRead;
    let name = exe
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let spawned = std::thread::Builder::new()
        .name(format!("stderr-{pid}"))
        .spawn(move || {
            let mut r = std::io::BufReader::new(stderr);
            let mut line = Vec::new();
            let mut budget = STDERR_BUDGET;
            loop {
                line.clear();
                match (&mut r).take(1024).read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(n) if budget >= n => {
                        budget -= n;
                        let text = String::from_utf8_lossy(&line);
                        tracing::warn!(target: "tailor::sandbox", process = %name, pid, "{}", text.trim_end());
                    }
                    Ok(_) => {
                        if budget > 0 {
                            budget = 0;
                            tracing::warn!(target: "tailor::sandbox", process = %name, pid, "more stderr dropped");
                        }
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(target: "tailor::sandbox", pid, "cannot forward stderr: {e}");
    }
}

pub struct Proc {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<Timed>,
    pub id: u64,
    pub started: Instant,
}

impl super::slots::Member for Proc {
    fn alive(&mut self) -> bool {
        Proc::alive(self)
    }
    fn pid(&self) -> u32 {
        Proc::pid(self)
    }
}

impl Proc {
    pub fn spawn(exe: &Path, args: &[&str], id: u64) -> Result<Proc, String> {
        Proc::spawn_with_fds(exe, args, id, &[])
    }

    /// Like `spawn`, passing more descriptors (`keep`) to the child.
    pub fn spawn_with_fds(
        exe: &Path,
        args: &[&str],
        id: u64,
        keep: &[i32],
    ) -> Result<Proc, String> {
        use std::os::unix::process::CommandExt;
        let mut command = Command::new(exe);
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if !keep.is_empty() {
            let keep = keep.to_vec();
            // SAFETY: between fork and exec only fcntl runs, which is
            // async-signal-safe; it clears close-on-exec on these
            // descriptors so the new program inherits them (the list was
            // allocated before the fork).
            unsafe {
                command.pre_exec(move || {
                    for &fd in &keep {
                        if libc::fcntl(fd, libc::F_SETFD, 0) != 0 {
                            return Err(std::io::Error::last_os_error());
                        }
                    }
                    Ok(())
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
        if let Some(stderr) = child.stderr.take() {
            forward_stderr(stderr, exe, child.id());
        }
        Ok(Proc {
            child,
            stdin,
            stdout: BufReader::new(Timed {
                inner: stdout,
                deadline: Instant::now(),
            }),
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

    /// The descriptor replies arrive on (to poll beside others).
    pub fn stdout_fd(&self) -> i32 {
        self.stdout.get_ref().inner.as_raw_fd()
    }

    /// Sends a message that is not answered at once.
    pub fn send<Q: Serialize>(&mut self, req: &Q) -> Result<(), ProcError> {
        if send(&mut self.stdin, req, &[]).is_err() {
            return Err(self.died());
        }
        Ok(())
    }

    /// Whether a message (or the end of the stream) can be read without
    /// waiting.
    pub fn readable_now(&mut self) -> bool {
        if !self.stdout.buffer().is_empty() {
            return true;
        }
        let mut p = libc::pollfd {
            fd: self.stdout.get_ref().inner.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll on a descriptor we own, not waiting.
        unsafe { libc::poll(&mut p, 1, 0) > 0 }
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

    /// One request, one reply, by `deadline`; a reply announcing a payload
    /// over `max_payload` bytes is a protocol error.
    pub fn request<Q: Serialize, R: DeserializeOwned>(
        &mut self,
        req: &Q,
        payload: &[u8],
        deadline: Instant,
        max_payload: u64,
    ) -> Result<(R, Vec<u8>), ProcError> {
        if send(&mut self.stdin, req, payload).is_err() {
            return Err(self.died());
        }
        self.next(deadline, max_payload)
    }

    /// The next message of a streamed reply, whole by `deadline`.
    pub fn next<R: DeserializeOwned>(
        &mut self,
        deadline: Instant,
        max_payload: u64,
    ) -> Result<(R, Vec<u8>), ProcError> {
        self.stdout.get_mut().deadline = deadline;
        match recv(&mut self.stdout, max_payload) {
            Ok(Some(reply)) => Ok(reply),
            Ok(None) => Err(self.died()),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                self.kill();
                Err(ProcError::Timeout)
            }
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
