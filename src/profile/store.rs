//! The set of loaded profiles: loading a folder, duplicate names, the
//! `generic` fallback, and selection by priority.

use super::error::{ErrorKind, ProfileError};
use super::expr::{KernelInfo, Scope};
use super::model::{PassCheck, Profile};
use crate::analyze::CharacteristicVector;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The profile every request falls back to when no other matches (and the
/// build every variant is verified against).
pub const GENERIC: &str = "generic";

const BUILTIN_GENERIC: &str = "name: generic\npriority: 0\ndescription: the host's default<O3>, used when no profile is loaded\npipeline: {}\n";

#[derive(Debug, Default)]
pub struct ProfileStore {
    dir: Option<PathBuf>,
    /// Valid profiles in selection order: priority high to low, then name.
    profiles: Vec<Arc<Profile>>,
    errors: Vec<ProfileError>,
}

/// How one profile fared against a vector.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", content = "detail", rename_all = "snake_case")]
pub enum Verdict {
    Selected,
    /// Matched, but one of higher priority was selected.
    Shadowed,
    NoMatch,
    /// The `match` expression failed on this vector.
    Error(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub profile: String,
    pub priority: i64,
    pub verdict: Verdict,
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

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Valid profiles in selection order.
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
        let scope = Scope::new(vector, kernel);
        let mut chosen: Option<Arc<Profile>> = None;
        let mut candidates = Vec::new();
        for p in self.profiles.iter().filter(|p| p.name != GENERIC) {
            let verdict = match &p.matches {
                None => Ok(true),
                Some(m) => m.eval_bool(&scope),
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
