//! Hot reload in the workbench: each changed profile file the watch
//! ([`crate::profile::watch`]) reports becomes a [`Command::Changed`]
//! for the engine thread, which reloads it into the store and reports the
//! outcome.
//!
//! A folder that does not exist yet (`--profiles` or `--inputs` named
//! before it was made) is looked for every [`POLL`]: when it appears the
//! UI is told ([`Msg::FolderAppeared`]), and for the profiles folder the
//! watch starts and every profile file already in it is reloaded, so it
//! loads as if it had been there from the start.

use super::worker::{Command, Folder, Msg, Sink};
pub use crate::profile::watch::{Watcher, DEBOUNCE};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a missing folder is looked for.
pub const POLL: Duration = Duration::from_millis(250);

/// Stops looking for a missing folder when dropped.
pub struct Awaiting {
    stop: Arc<AtomicBool>,
}

impl Drop for Awaiting {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Runs `then` (on a thread of its own) once `dir` is a folder.
pub fn when_created(dir: PathBuf, then: impl FnOnce() + Send + 'static) -> Awaiting {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = std::thread::Builder::new()
        .name("tailor-await-folder".into())
        .spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                if dir.is_dir() {
                    then();
                    return;
                }
                std::thread::sleep(POLL);
            }
        });
    Awaiting { stop }
}

/// The profiles folder's watch: running, or waiting for the folder to
/// appear and then running. Dropping it stops both.
pub struct ProfilesWatch {
    _watcher: Arc<Mutex<Option<Watcher>>>,
    _awaiting: Option<Awaiting>,
}

/// Waits for the missing `dir`, then watches it and reloads each profile
/// file it holds (after the watch has started, so a file written while it
/// starts is reloaded one way or the other).
pub fn watch_when_created(dir: &Path, engine: Sender<Command>, notices: Sink) -> ProfilesWatch {
    let slot: Arc<Mutex<Option<Watcher>>> = Arc::new(Mutex::new(None));
    let keep = slot.clone();
    let path = dir.to_owned();
    let awaiting = when_created(dir.to_owned(), move || {
        notices(Msg::FolderAppeared {
            folder: Folder::Profiles,
            path: path.clone(),
        });
        match watch(&path, engine.clone(), notices.clone()) {
            Ok(w) => *keep.lock().unwrap_or_else(|e| e.into_inner()) = Some(w),
            Err(e) => notices(Msg::Notice {
                error: true,
                text: format!("{e}; hot reload is off"),
            }),
        }
        for f in super::panes::inputs::yaml_files(&path) {
            let _ = engine.send(Command::ReloadFile(f));
        }
    });
    ProfilesWatch {
        _watcher: slot,
        _awaiting: Some(awaiting),
    }
}

impl From<Watcher> for ProfilesWatch {
    fn from(w: Watcher) -> Self {
        ProfilesWatch {
            _watcher: Arc::new(Mutex::new(Some(w))),
            _awaiting: None,
        }
    }
}

/// Watches `dir`; changed profile files go to `engine`, watch errors to
/// `notices`.
pub fn watch(dir: &Path, engine: Sender<Command>, notices: Sink) -> Result<Watcher, String> {
    crate::profile::watch::watch(dir, move |changed| match changed {
        Ok(files) => {
            let seen = Instant::now();
            for path in files {
                let _ = engine.send(Command::Changed { path, seen });
            }
        }
        Err(e) => notices(Msg::Notice {
            error: true,
            text: format!("watching profiles: {e}"),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn a_written_profile_file_is_reported_once_and_other_files_not_at_all() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (tx, rx) = channel();
        let sink: Sink = Arc::new(|_| {});
        let _w = watch(dir.path(), tx, sink).expect("watch");
        let started = Instant::now();
        std::fs::write(dir.path().join("notes.txt"), "x").expect("write");
        std::fs::write(dir.path().join("p.yaml"), "name: p\n").expect("write");
        std::fs::write(dir.path().join("p.yaml"), "name: p\npriority: 1\n").expect("write");
        let got = rx.recv_timeout(Duration::from_secs(5)).expect("a reload");
        assert!(
            matches!(&got, Command::Changed { path, .. } if *path == dir.path().join("p.yaml")),
            "{got:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        // The burst was one change.
        assert!(rx.recv_timeout(DEBOUNCE * 3).is_err());
    }

    #[test]
    fn a_missing_folder_is_loaded_and_watched_once_it_appears() {
        let parent = tempfile::tempdir().expect("tempdir");
        let dir = parent.path().join("profiles");
        let (tx, rx) = channel();
        let (msg_tx, msg_rx) = channel();
        let msg_tx = std::sync::Mutex::new(msg_tx);
        let sink: Sink = Arc::new(move |m| {
            if let Msg::FolderAppeared { folder, path } = m {
                let _ = msg_tx
                    .lock()
                    .map(|t| t.send((folder, path)))
                    .unwrap_or(Ok(()));
            }
        });
        let _w = watch_when_created(&dir, tx, sink);
        std::thread::sleep(POLL * 2);
        assert!(rx.try_recv().is_err(), "nothing to reload yet");
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::write(dir.join("a.yaml"), "name: a\n").expect("write");
        let appeared = msg_rx.recv_timeout(Duration::from_secs(5)).expect("told");
        assert_eq!(appeared, (Folder::Profiles, dir.clone()));
        // Its file is reloaded (by the scan or the watch), and a later
        // change is seen by the watch.
        let got = rx.recv_timeout(Duration::from_secs(5)).expect("a reload");
        let path = match got {
            Command::ReloadFile(p) | Command::Changed { path: p, .. } => p,
            other => panic!("{other:?}"),
        };
        assert_eq!(path, dir.join("a.yaml"));
        while rx.recv_timeout(DEBOUNCE * 3).is_ok() {}
        std::fs::write(dir.join("b.yaml"), "name: b\n").expect("write");
        let got = rx.recv_timeout(Duration::from_secs(5)).expect("a reload");
        assert!(
            matches!(&got, Command::Changed { path, .. } if *path == dir.join("b.yaml")),
            "{got:?}"
        );
    }
}
