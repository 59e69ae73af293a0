//! Hot reload in the workbench: each changed profile file the watch
//! ([`crate::profile::watch`]) reports becomes a [`Command::ReloadFile`]
//! for the engine thread, which reloads it into the store and reports the
//! outcome.

use super::worker::{Command, Msg, Sink};
pub use crate::profile::watch::{Watcher, DEBOUNCE};
use std::path::Path;
use std::sync::mpsc::Sender;

/// Watches `dir`; changed profile files go to `engine`, watch errors to
/// `notices`.
pub fn watch(dir: &Path, engine: Sender<Command>, notices: Sink) -> Result<Watcher, String> {
    crate::profile::watch::watch(dir, move |changed| match changed {
        Ok(files) => {
            for f in files {
                let _ = engine.send(Command::ReloadFile(f));
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
    use std::time::{Duration, Instant};

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
        assert_eq!(got, Command::ReloadFile(dir.path().join("p.yaml")));
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        // The burst was one change.
        assert!(rx.recv_timeout(DEBOUNCE * 3).is_err());
    }
}
