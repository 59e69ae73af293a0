//! Hot reload in the workbench: each changed profile file the watch
//! ([`crate::profile::watch`]) reports becomes a [`Command::Changed`]
//! for the engine thread, which reloads it into the store and reports the
//! outcome.
//!
//! The profiles folder is watched as a folder that may go and come
//! ([`supervise`]): missing at start, deleted while the workbench runs, or
//! replaced by a new folder of the same name. (The `--inputs` folder is
//! listed again every second by the Inputs pane itself.)

use super::worker::{Command, Folder, Msg, Sink};
use crate::profile::watch::FolderEvent;
pub use crate::profile::watch::{DEBOUNCE, POLL};
use std::path::Path;
use std::sync::mpsc::Sender;
use std::time::Instant;

/// The profiles folder's watch ([`crate::profile::watch::follow`]): its
/// changes become reloads; a deleted folder is said ([`Msg::FolderGone`]:
/// what is loaded stays live) and waited for; one that appears, or a
/// new folder of the same name, is said ([`Msg::FolderAppeared`]) and
/// read whole ([`Command::Rescan`]). Dropping it stops the watch.
pub type ProfilesWatch = crate::profile::watch::FolderWatch;
pub use crate::profile::watch::Began;

/// Starts watching the profiles folder `dir` (at once when it exists)
/// and keeps the watch on it as it goes and comes.
pub fn supervise(dir: &Path, engine: Sender<Command>, notices: Sink) -> (ProfilesWatch, Began) {
    let path = dir.to_owned();
    crate::profile::watch::follow(dir, move |event| {
        let send = |c: Command| {
            let _ = engine.send(c);
        };
        match event {
            FolderEvent::Changed(files) => {
                let seen = Instant::now();
                for path in files {
                    send(Command::Changed { path, seen });
                }
            }
            FolderEvent::Error(e) => notices(Msg::Notice {
                error: true,
                text: format!("watching profiles: {e}"),
            }),
            FolderEvent::Gone => notices(Msg::FolderGone {
                folder: Folder::Profiles,
                path: path.clone(),
            }),
            FolderEvent::Appeared => {
                notices(Msg::FolderAppeared {
                    folder: Folder::Profiles,
                    path: path.clone(),
                });
                send(Command::Rescan(path.clone()));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;
    use std::sync::Arc;
    use std::time::Duration;

    /// After what is pending, writing profile `name` into `dir` is seen
    /// by the watch.
    fn a_write_is_seen(rx: &std::sync::mpsc::Receiver<Command>, dir: &Path, name: &str) {
        while rx.recv_timeout(DEBOUNCE * 3).is_ok() {}
        let file = dir.join(format!("{name}.yaml"));
        std::fs::write(&file, format!("name: {name}\n")).expect("write");
        let got = rx.recv_timeout(Duration::from_secs(5)).expect("a reload");
        assert!(
            matches!(&got, Command::Changed { path, .. } if *path == file),
            "{got:?}"
        );
    }

    #[test]
    fn a_written_profile_file_is_reported_once_and_other_files_not_at_all() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (tx, rx) = channel();
        let sink: Sink = Arc::new(|_| {});
        let (_w, began) = supervise(dir.path(), tx, sink);
        assert!(matches!(began, Began::Watching), "{began:?}");
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
        let (_w, began) = supervise(&dir, tx, sink);
        assert!(matches!(began, Began::Missing), "{began:?}");
        std::thread::sleep(POLL * 2);
        assert!(rx.try_recv().is_err(), "nothing to reload yet");
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::write(dir.join("a.yaml"), "name: a\n").expect("write");
        let appeared = msg_rx.recv_timeout(Duration::from_secs(5)).expect("told");
        assert_eq!(appeared, (Folder::Profiles, dir.clone()));
        // Its files are reloaded (by the rescan or the watch), and a
        // later change is seen by the watch.
        let got = rx.recv_timeout(Duration::from_secs(5)).expect("a reload");
        match got {
            Command::Rescan(p) => assert_eq!(p, dir),
            Command::Changed { path, .. } => assert_eq!(path, dir.join("a.yaml")),
            other => panic!("{other:?}"),
        }
        a_write_is_seen(&rx, &dir, "b");
    }

    #[test]
    fn a_deleted_folder_is_said_and_its_replacement_watched_and_rescanned() {
        let parent = tempfile::tempdir().expect("tempdir");
        let dir = parent.path().join("profiles");
        std::fs::create_dir(&dir).expect("mkdir");
        let (tx, rx) = channel();
        let (msg_tx, msg_rx) = channel();
        let msg_tx = std::sync::Mutex::new(msg_tx);
        let sink: Sink = Arc::new(move |m| {
            let said = match m {
                Msg::FolderGone { .. } => "gone",
                Msg::FolderAppeared { .. } => "appeared",
                _ => return,
            };
            let _ = msg_tx.lock().map(|t| t.send(said)).unwrap_or(Ok(()));
        });
        let (_w, began) = supervise(&dir, tx, sink);
        assert!(matches!(began, Began::Watching), "{began:?}");
        std::fs::remove_dir_all(&dir).expect("rm -rf");
        assert_eq!(msg_rx.recv_timeout(Duration::from_secs(5)), Ok("gone"));
        while rx.recv_timeout(DEBOUNCE * 3).is_ok() {}
        // A new folder of the same name: rescanned, then watched.
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::write(dir.join("a.yaml"), "name: a\n").expect("write");
        assert_eq!(msg_rx.recv_timeout(Duration::from_secs(5)), Ok("appeared"));
        let rescan = std::iter::from_fn(|| rx.recv_timeout(Duration::from_secs(5)).ok())
            .find(|c| matches!(c, Command::Rescan(_)));
        assert!(
            matches!(&rescan, Some(Command::Rescan(p)) if *p == dir),
            "{rescan:?}"
        );
        a_write_is_seen(&rx, &dir, "b");
        // Swapped for another folder by `mv`: the new one is watched.
        let other = parent.path().join("next");
        std::fs::create_dir(&other).expect("mkdir");
        std::fs::rename(&dir, parent.path().join("old")).expect("mv");
        std::fs::rename(&other, &dir).expect("mv");
        let said: Vec<_> = std::iter::from_fn(|| msg_rx.recv_timeout(Duration::from_secs(2)).ok())
            .take_while(|s| *s != "appeared")
            .collect();
        assert!(said.iter().all(|s| *s == "gone"), "{said:?}");
        a_write_is_seen(&rx, &dir, "c");
    }
}
