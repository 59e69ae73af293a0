//! Hot reload's watch: the profiles folder watched with `notify`,
//! debounced so an editor's burst of writes (truncate, write, rename) is
//! one change. The workbench and the service both reload what it reports.

use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
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

/// Watches `dir`: each batch of changed profile files (or the watch's
/// error) goes to `on_change`.
pub fn watch(
    dir: &Path,
    on_change: impl Fn(Result<BTreeSet<PathBuf>, String>) + Send + 'static,
) -> Result<Watcher, String> {
    let mut debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
        on_change(changed_files(result))
    })
    .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    debouncer
        .watch(dir, RecursiveMode::NonRecursive)
        .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    Ok(Watcher {
        _debouncer: debouncer,
    })
}
