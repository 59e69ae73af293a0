//! Hot reload: the profiles folder watched with `notify`, debounced so an
//! editor's burst of writes (truncate, write, rename) is one reload. Each
//! changed profile file becomes a [`Command::ReloadFile`] for the engine
//! thread, which reloads it into the store and reports the outcome.

use super::worker::{Command, Msg, Sink};
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::Duration;

/// How long a file must be quiet before it is reloaded. Editors save in a
/// few steps within milliseconds; a reload should show well within the
/// second the workbench promises.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// Keeps the watch alive; dropping it stops watching.
pub struct Watcher {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

fn is_profile_file(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

/// The profile files a batch of debounced events touched, once each.
pub fn changed_files(result: DebounceEventResult) -> Result<BTreeSet<PathBuf>, String> {
    let events = result.map_err(|errs| {
        errs.iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    Ok(events
        .into_iter()
        // Reading a file (the reload itself does) is not a change.
        .filter(|e| !matches!(e.event.kind, EventKind::Access(_)))
        .flat_map(|e| e.event.paths.clone())
        .filter(|p| is_profile_file(p))
        .collect())
}

/// Watches `dir`; changed profile files go to `engine`, watch errors to
/// `notices`.
pub fn watch(dir: &Path, engine: Sender<Command>, notices: Sink) -> Result<Watcher, String> {
    let mut debouncer =
        new_debouncer(
            DEBOUNCE,
            None,
            move |result: DebounceEventResult| match changed_files(result) {
                Ok(files) => {
                    for f in files {
                        let _ = engine.send(Command::ReloadFile(f));
                    }
                }
                Err(e) => notices(Msg::Notice {
                    error: true,
                    text: format!("watching profiles: {e}"),
                }),
            },
        )
        .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    debouncer
        .watch(dir, RecursiveMode::NonRecursive)
        .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    Ok(Watcher {
        _debouncer: debouncer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;
    use std::sync::Arc;
    use std::time::Instant;

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
