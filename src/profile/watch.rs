//! Hot reload's watch: the profiles folder watched with `notify`,
//! debounced so an editor's burst of writes (truncate, write, rename) is
//! one change. The workbench and the service both reload what it reports,
//! through [`follow`], which keeps the watch on the folder as it is
//! deleted, made again or swapped for another.

use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
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

/// What [`follow`] reports of the folder it follows.
#[derive(Debug)]
pub enum FolderEvent {
    /// Profile files changed in it (as [`watch`] reports them).
    Changed(BTreeSet<PathBuf>),
    /// The watch failed (an error of `notify`).
    Error(String),
    /// The folder was deleted (or renamed away); it is waited for.
    Gone,
    /// The folder appeared, or another folder took its name (`rm -rf`
    /// then `cp -r`, a `mv` swap): it is watched now, and whatever it
    /// holds should be read whole, as nothing of it was seen.
    Appeared,
}

/// How [`follow`] began.
#[derive(Debug)]
pub enum Began {
    Watching,
    /// The folder is not there (yet).
    Missing,
    /// The folder is there but cannot be watched; it is tried again when
    /// another folder takes its name.
    Failed(String),
}

/// How often [`follow`] looks at its folder.
pub const POLL: Duration = Duration::from_millis(250);

/// Follows the folder `dir` names: stops following when dropped.
pub struct FolderWatch {
    stop: Arc<AtomicBool>,
}

impl Drop for FolderWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A folder's identity: which folder a path names now.
fn identity(dir: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(dir)
        .ok()
        .filter(std::fs::Metadata::is_dir)
        .map(|m| (m.dev(), m.ino()))
}

type OnEvent = Arc<dyn Fn(FolderEvent) + Send + Sync>;

/// [`watch`], its reports as [`FolderEvent`]s.
fn watch_events(dir: &Path, on: &OnEvent) -> Result<Watcher, String> {
    let on = on.clone();
    watch(dir, move |changed| {
        on(match changed {
            Ok(files) => FolderEvent::Changed(files),
            Err(e) => FolderEvent::Error(e),
        })
    })
}

/// Watches `dir` as [`watch`] does, and keeps the watch on the folder the
/// path names: a thread looks every [`POLL`] at which folder that is
/// (device and inode). An inotify watch stays on the folder it was put
/// on, so without this a deleted, re-made or swapped-in folder would
/// never report a change again, and say nothing of it.
pub fn follow(
    dir: &Path,
    on: impl Fn(FolderEvent) + Send + Sync + 'static,
) -> (FolderWatch, Began) {
    let on: OnEvent = Arc::new(on);
    let mut at = identity(dir);
    let (mut watcher, began) = match at {
        None => (None, Began::Missing),
        Some(_) => match watch_events(dir, &on) {
            Ok(w) => (Some(w), Began::Watching),
            Err(e) => (None, Began::Failed(e)),
        },
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let dir = dir.to_owned();
    let _ = std::thread::Builder::new()
        .name("tailor-profiles-folder".into())
        .spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                std::thread::sleep(POLL);
                let now = identity(&dir);
                if now == at {
                    continue;
                }
                watcher = None;
                at = now;
                if now.is_none() {
                    on(FolderEvent::Gone);
                    continue;
                }
                // Watch first, then say so: a file written meanwhile is
                // read one way or the other.
                match watch_events(&dir, &on) {
                    Ok(w) => watcher = Some(w),
                    Err(e) => on(FolderEvent::Error(e)),
                }
                on(FolderEvent::Appeared);
            }
            drop(watcher);
        });
    (FolderWatch { stop }, began)
}

/// What to reload when the folder `dir` appears or is replaced: every
/// profile file in it, and every one of the `known` files (those a store
/// has loaded or refused) from it that is no longer there: reloading a
/// file that is gone unloads its profile.
pub fn files_to_rescan<'a>(
    dir: &Path,
    known: impl IntoIterator<Item = &'a Path>,
) -> BTreeSet<PathBuf> {
    let mut files: BTreeSet<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_profile_file(p))
                .collect()
        })
        .unwrap_or_default();
    files.extend(
        known
            .into_iter()
            .filter(|f| f.parent() == Some(dir) && is_profile_file(f))
            .map(Path::to_owned),
    );
    files
}

/// The files `store` has loaded or refused.
pub fn store_files(store: &super::ProfileStore) -> Vec<&Path> {
    let loaded = store.profiles().iter().map(|p| p.file.as_path());
    loaded
        .chain(store.errors().iter().map(|e| e.file.as_path()))
        .collect()
}
