//! The set of loaded profiles: loading a folder, duplicate names, the
//! `generic` fallback, and selection by priority.

use super::error::{ErrorKind, ProfileError};
use super::expr::{KernelInfo, Scope};
use super::model::{PassCheck, Profile};
use crate::analyze::CharacteristicVector;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The profile every request falls back to when no other matches (and the
/// build every variant is verified against).
pub const GENERIC: &str = "generic";

const BUILTIN_GENERIC: &str = "name: generic\npriority: 0\ndescription: the host's default<O3>, used when no profile is loaded\npipeline: {}\n";

#[derive(Debug, Default, Clone)]
pub struct ProfileStore {
    dir: Option<PathBuf>,
    /// Valid profiles in selection order: priority high to low, then name.
    profiles: Vec<Arc<Profile>>,
    errors: Vec<ProfileError>,
}

/// How one profile fared against a vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", content = "detail", rename_all = "snake_case")]
pub enum Verdict {
    Selected,
    /// Matched, but one of higher priority was selected.
    Shadowed,
    NoMatch,
    /// The `match` expression failed on this vector.
    Error(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub profile: String,
    pub priority: i64,
    pub verdict: Verdict,
}

/// What reloading one profile file did.
#[derive(Debug, Clone, PartialEq)]
pub enum Reload {
    /// The file loaded; its profile (new or changed) is live.
    Loaded { name: String, version: String },
    /// The file is gone; so is its profile.
    Removed { name: String },
    /// The file does not load; the last good version (if any) stays live.
    Failed {
        errors: Vec<ProfileError>,
        kept: Option<String>,
    },
    /// A broken file was put back as its live version: nothing changed
    /// but its errors, which are gone.
    Restored { name: String },
    /// Not a profile file, or nothing changed.
    Unchanged,
}

#[derive(Debug, Clone)]
pub struct Selection {
    pub profile: Arc<Profile>,
    /// Every profile in selection order with its verdict: the "why".
    pub candidates: Vec<Candidate>,
}

fn is_profile_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml") | Some("yml")
    )
}

impl ProfileStore {
    /// Loads every `*.yaml` in `dir`. Bad files are kept as errors; the
    /// good ones load regardless.
    pub fn load_dir(dir: &Path, pass_check: Option<PassCheck<'_>>) -> ProfileStore {
        let mut store = ProfileStore {
            dir: Some(dir.to_owned()),
            ..ProfileStore::default()
        };
        let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| is_profile_file(p))
                .collect(),
            Err(e) => {
                store
                    .errors
                    .push(ProfileError::new(dir, ErrorKind::Io(e.to_string())));
                Vec::new()
            }
        };
        files.sort();
        for file in files {
            match Profile::load(&file, pass_check) {
                Ok(p) => store.insert(p),
                Err(mut errs) => store.errors.append(&mut errs),
            }
        }
        if store.get(GENERIC).is_none() {
            store
                .errors
                .push(ProfileError::new(dir, ErrorKind::NoGeneric));
        }
        store
    }

    /// Adds a valid profile unless another file already uses its name.
    fn insert(&mut self, profile: Profile) {
        if let Some(first) = self.profiles.iter().find(|p| p.name == profile.name) {
            let line = super::model::Locator::new(&profile.source).top("name");
            self.errors.push(
                ProfileError::new(
                    &profile.file,
                    ErrorKind::DuplicateName {
                        name: profile.name.clone(),
                        first: first.file.clone(),
                    },
                )
                .at(line),
            );
            return;
        }
        self.profiles.push(Arc::new(profile));
        self.profiles.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then_with(|| a.name.cmp(&b.name))
        });
    }

    /// Reloads one file after it changed on disk (hot reload). A file that
    /// no longer loads leaves its last good profile live and its errors in
    /// [`ProfileStore::errors`] until it is fixed.
    pub fn reload_file(&mut self, path: &Path, pass_check: Option<PassCheck<'_>>) -> Reload {
        if !is_profile_file(path) {
            return Reload::Unchanged;
        }
        // A watch names files by their absolute path; a file of the
        // store's folder is loaded under the folder as it was given, so a
        // profile's path reads the same before and after a reload.
        let spelled = self.in_own_folder(path);
        let path = spelled.as_deref().unwrap_or(path);
        let same_file = |p: &Path| {
            p == path
                || (p.file_name() == path.file_name()
                    && p.parent().map(|d| d.canonicalize().ok())
                        == path.parent().map(|d| d.canonicalize().ok()))
        };
        let current = self.profiles.iter().find(|p| same_file(&p.file)).cloned();
        let previous: Vec<ProfileError> = self
            .errors
            .iter()
            .filter(|e| same_file(&e.file))
            .cloned()
            .collect();
        let had_errors = !previous.is_empty();
        // A folder that could not be read at load (it did not exist yet)
        // is readable now that a file in it is reloaded.
        let dir_readable = self.dir.clone().filter(|d| d.is_dir());
        let stale = |e: &ProfileError| {
            same_file(&e.file)
                || matches!(*e.kind, ErrorKind::NoGeneric)
                || (matches!(*e.kind, ErrorKind::Io(_)) && dir_readable.as_ref() == Some(&e.file))
        };
        self.errors.retain(|e| !stale(e));
        if !path.exists() {
            self.profiles.retain(|p| !same_file(&p.file));
            self.check_generic();
            return match current {
                Some(p) => Reload::Removed {
                    name: p.name.clone(),
                },
                None => Reload::Unchanged,
            };
        }
        match Profile::load(path, pass_check) {
            Ok(p) => {
                if current.as_ref().is_some_and(|c| c.source == p.source) {
                    self.check_generic();
                    return if had_errors {
                        Reload::Restored { name: p.name }
                    } else {
                        Reload::Unchanged
                    };
                }
                let (name, version) = (p.name.clone(), p.version.clone());
                self.profiles.retain(|q| !same_file(&q.file));
                let before = self.errors.len();
                self.insert(p);
                if self.errors.len() > before {
                    // A duplicate name: the old version of this file stays.
                    if let Some(c) = current {
                        self.profiles.push(c);
                        self.sort();
                    }
                    self.check_generic();
                    return Reload::Failed {
                        errors: self.errors[before..].to_vec(),
                        kept: self
                            .profiles
                            .iter()
                            .find(|q| same_file(&q.file))
                            .map(|q| q.name.clone()),
                    };
                }
                self.check_generic();
                Reload::Loaded { name, version }
            }
            Err(errors) => {
                self.errors.extend(errors.iter().cloned());
                self.check_generic();
                if errors == previous {
                    // Broken the same way as already reported (a `touch`,
                    // or the watch seeing a save the editor reloaded).
                    return Reload::Unchanged;
                }
                Reload::Failed {
                    errors,
                    kept: current.map(|c| c.name.clone()),
                }
            }
        }
    }

    /// The store a save of `source` to `path` would make live, without
    /// touching the file: the profile from `path` replaced by the draft
    /// (what-if). The draft's own errors, or a name another file holds,
    /// are the error.
    pub fn with_draft(
        &self,
        path: &Path,
        source: &str,
        pass_check: Option<PassCheck<'_>>,
    ) -> Result<ProfileStore, Vec<ProfileError>> {
        let draft = Profile::parse(path, source, pass_check)?;
        let mut store = self.clone();
        store.profiles.retain(|p| p.file != path);
        let before = store.errors.len();
        store.insert(draft);
        if store.errors.len() > before {
            return Err(store.errors.split_off(before));
        }
        Ok(store)
    }

    fn check_generic(&mut self) {
        if self.get(GENERIC).is_none() {
            let dir = self.dir.clone().unwrap_or_default();
            self.errors
                .push(ProfileError::new(dir, ErrorKind::NoGeneric));
        }
    }

    fn sort(&mut self) {
        self.profiles.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then_with(|| a.name.cmp(&b.name))
        });
    }

    /// `path` spelled under the store's folder, when it is a file of that
    /// folder written another way (absolute, through `..`).
    fn in_own_folder(&self, path: &Path) -> Option<PathBuf> {
        let dir = self.dir.as_deref()?;
        let own = dir.join(path.file_name()?);
        if own == path {
            return None;
        }
        let canonical = |p: &Path| p.canonicalize().ok();
        let same = match (path.parent().and_then(canonical), canonical(dir)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        };
        same.then_some(own)
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Valid profiles in selection order.
    /// Everything any loaded profile can read of a vector.
    pub fn reads(&self) -> super::expr::Reads {
        let mut r = super::expr::Reads::default();
        for p in &self.profiles {
            r.extend(&p.reads());
        }
        r
    }

    pub fn profiles(&self) -> &[Arc<Profile>] {
        &self.profiles
    }

    pub fn errors(&self) -> &[ProfileError] {
        &self.errors
    }

    pub fn get(&self, name: &str) -> Option<&Arc<Profile>> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// The `generic` profile, or a built-in `default<O3>` one when none
    /// loaded (the store's errors say so).
    pub fn generic(&self) -> Arc<Profile> {
        if let Some(p) = self.get(GENERIC) {
            return p.clone();
        }
        match Profile::parse(Path::new("<built-in>"), BUILTIN_GENERIC, None) {
            Ok(p) => Arc::new(p),
            // The built-in text is a constant that the tests load.
            Err(_) => unreachable!("the built-in generic profile is valid"),
        }
    }

    /// The highest-priority profile whose `match` holds, else `generic`.
    pub fn select(&self, vector: &CharacteristicVector, kernel: &KernelInfo) -> Selection {
        self.select_in(&Scope::new(vector, kernel))
    }

    /// [`ProfileStore::select`] in a scope already built for the vector.
    pub fn select_in(&self, scope: &Scope) -> Selection {
        let mut chosen: Option<Arc<Profile>> = None;
        let mut candidates = Vec::new();
        for p in self.profiles.iter().filter(|p| p.name != GENERIC) {
            let verdict = match &p.matches {
                None => Ok(true),
                Some(m) => m.eval_bool(scope),
            };
            let verdict = match verdict {
                Ok(true) if chosen.is_none() => {
                    chosen = Some(p.clone());
                    Verdict::Selected
                }
                Ok(true) => Verdict::Shadowed,
                Ok(false) => Verdict::NoMatch,
                Err(e) => Verdict::Error(e),
            };
            candidates.push(Candidate {
                profile: p.name.clone(),
                priority: p.priority,
                verdict,
            });
        }
        let generic = self.generic();
        candidates.push(Candidate {
            profile: generic.name.clone(),
            priority: generic.priority,
            verdict: if chosen.is_none() {
                Verdict::Selected
            } else {
                Verdict::Shadowed
            },
        });
        Selection {
            profile: chosen.unwrap_or(generic),
            candidates,
        }
    }
}

/// Writes `text` to `path` through a temporary file in the same folder and
/// a rename, so a reader (the engine's hot reload) sees the old file or the
/// new one, never half of one. The temporary name does not end in `.yaml`,
/// so the profile loader ignores it.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("profile");
    // Unique per process and call: two threads saving at once (the
    // service) never share a temporary file.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
    let written = (|| {
        use std::io::Write as _;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
