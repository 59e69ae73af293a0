//! The profile admin API's work, synchronous (handlers run it on the
//! blocking pool): a profile is validated exactly as its file would load,
//! written atomically into the profiles folder and made live through the
//! same reload the file watcher uses; every version that goes live or is
//! replaced is kept in `STATE/history/NAME/`, so any of them can be rolled
//! back to.

use super::error::ApiError;
use crate::engine::Engine;
use crate::profile::{write_atomic, Profile, ProfileError, Reload, GENERIC};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One kept version.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Version {
    pub version: String,
    /// Milliseconds since the Unix epoch when it was kept.
    pub saved_at: u64,
    pub bytes: u64,
    /// The version live now.
    pub live: bool,
}

pub struct Admin {
    pub profiles: PathBuf,
    pub history: PathBuf,
    /// Changes one at a time: a check and the write it allows are one step.
    writing: Mutex<()>,
}

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn checked_name(name: &str) -> Result<&str, ApiError> {
    if is_name(name) {
        Ok(name)
    } else {
        Err(ApiError::bad(format!(
            "`{name}` is not a profile name (letters, digits, `-` and `_`, at most 128)"
        )))
    }
}

/// A profile's errors as JSON: each with file, line, node and message.
pub fn errors_json(errors: &[ProfileError]) -> Value {
    Value::Array(
        errors
            .iter()
            .map(|e| {
                // The problem alone, without the file, line and node.
                let bare = ProfileError {
                    file: PathBuf::new(),
                    line: None,
                    node: None,
                    kind: e.kind.clone(),
                }
                .to_string();
                json!({
                    "file": e.file.file_name().map(|f| f.to_string_lossy().into_owned()),
                    "line": e.line,
                    "node": e.node,
                    "message": e.to_string(),
                    "problem": bare.trim_start_matches(": "),
                })
            })
            .collect(),
    )
}

fn invalid(errors: &[ProfileError]) -> ApiError {
    let first = errors.first().map(ToString::to_string).unwrap_or_default();
    let more = match errors.len() {
        0 | 1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("the profile is invalid: {first}{more}"),
    )
    .with_details(errors_json(errors))
}

/// A body as profile YAML: YAML as it is, JSON converted.
pub fn yaml_text(body: &[u8], json: bool) -> Result<String, ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| ApiError::bad("the body is not UTF-8"))?;
    if !json {
        return Ok(text.to_owned());
    }
    let v: Value =
        serde_json::from_str(text).map_err(|e| ApiError::bad(format!("invalid JSON: {e}")))?;
    serde_yaml::to_string(&v)
        .map_err(|e| ApiError::bad(format!("cannot turn the JSON into YAML: {e}")))
}

fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Admin {
    pub fn new(profiles: PathBuf, state_dir: &Path) -> Admin {
        Admin {
            profiles,
            history: state_dir.join("history"),
            writing: Mutex::new(()),
        }
    }

    /// The file a profile lives in: its current file, else `NAME.yaml`.
    fn file_of(&self, engine: &Engine, name: &str) -> PathBuf {
        engine
            .store()
            .get(name)
            .map(|p| p.file.clone())
            .unwrap_or_else(|| self.profiles.join(format!("{name}.yaml")))
    }

    fn keep(&self, name: &str, text: &str) -> Result<(), ApiError> {
        let version = crate::profile::model::version_of(text);
        let dir = self.history.join(name);
        let io = |e: std::io::Error| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot keep the history in {}: {e}", dir.display()),
            )
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let already = std::fs::read_dir(&dir)
            .map_err(io)?
            .filter_map(|e| e.ok())
            .any(|e| {
                e.file_name()
                    .to_string_lossy()
                    .contains(&format!("-{version}."))
            });
        if !already {
            write_atomic(
                &dir.join(format!("{:013}-{version}.yaml", now_millis())),
                text,
            )
            .map_err(io)?;
        }
        Ok(())
    }

    /// Every kept version of `name`, oldest first.
    pub fn history(&self, engine: &Engine, name: &str) -> Result<Vec<Version>, ApiError> {
        let name = checked_name(name)?;
        let live = engine.store().get(name).map(|p| p.version.clone());
        let mut out: Vec<Version> = match std::fs::read_dir(self.history.join(name)) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    let file = e.file_name().to_string_lossy().into_owned();
                    let stem = file.strip_suffix(".yaml")?;
                    let (at, version) = stem.split_once('-')?;
                    Some(Version {
                        version: version.to_owned(),
                        saved_at: at.parse().ok()?,
                        bytes: e.metadata().map_or(0, |m| m.len()),
                        live: live.as_deref() == Some(version),
                    })
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        if out.is_empty() && live.is_none() {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no profile `{name}` is loaded or was ever saved here"),
            ));
        }
        out.sort_by_key(|v| v.saved_at);
        Ok(out)
    }

    fn kept_text(&self, name: &str, version: &str) -> Result<String, ApiError> {
        let dir = self.history.join(name);
        let found = std::fs::read_dir(&dir).ok().and_then(|entries| {
            entries.filter_map(|e| e.ok()).find(|e| {
                e.file_name()
                    .to_string_lossy()
                    .ends_with(&format!("-{version}.yaml"))
            })
        });
        let Some(entry) = found else {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("profile `{name}` has no kept version `{version}` (GET /v1/profiles/{name}/history lists them)"),
            ));
        };
        std::fs::read_to_string(entry.path()).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot read {}: {e}", entry.path().display()),
            )
        })
    }

    /// Validates `text` as the profile `name` (in its file), changing
    /// nothing.
    pub fn check(
        &self,
        engine: &Engine,
        name: Option<&str>,
        text: &str,
    ) -> Result<Profile, ApiError> {
        let path = match name {
            Some(n) => self.file_of(engine, checked_name(n)?),
            None => self.profiles.join("checked.yaml"),
        };
        let profile = engine.check_profile(&path, text).map_err(|e| invalid(&e))?;
        if let Some(n) = name {
            if profile.name != n {
                return Err(ApiError::bad(format!(
                    "the body's profile is named `{}` but the URL names `{n}`",
                    profile.name
                )));
            }
        }
        Ok(profile)
    }

    /// Saves `text` as profile `name` and makes it live; nothing changes
    /// unless it is valid.
    pub fn put(
        &self,
        engine: &Engine,
        name: &str,
        text: &str,
    ) -> Result<(Profile, bool), ApiError> {
        let _one = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let profile = self.check(engine, Some(name), text)?;
        let path = self.file_of(engine, name);
        let store = engine.store();
        let previous = store.get(name).cloned();
        if previous.as_ref().is_some_and(|p| p.source == text) {
            return Ok((profile, false));
        }
        if !self.profiles.is_dir() {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!(
                    "the profiles folder {} does not exist",
                    self.profiles.display()
                ),
            ));
        }
        if let Some(p) = &previous {
            self.keep(name, &p.source)?;
        }
        self.keep(name, text)?;
        let before = std::fs::read_to_string(&path).ok();
        write_atomic(&path, text).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot write {}: {e}", path.display()),
            )
        })?;
        match engine.reload_file(&path) {
            Reload::Failed { errors, .. } => {
                // Valid alone but not beside the others (a name another
                // file uses): the old file comes back.
                match before {
                    Some(old) => {
                        let _ = write_atomic(&path, &old);
                    }
                    None => {
                        let _ = std::fs::remove_file(&path);
                    }
                }
                engine.reload_file(&path);
                Err(invalid(&errors))
            }
            _ => Ok((profile, true)),
        }
    }

    pub fn delete(&self, engine: &Engine, name: &str) -> Result<String, ApiError> {
        let _one = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let name = checked_name(name)?;
        if name == GENERIC {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "`generic` is every request's fallback and the reference variants are verified against; change it with PUT instead",
            ));
        }
        let Some(p) = engine.store().get(name).cloned() else {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no profile `{name}` is loaded"),
            ));
        };
        self.keep(name, &p.source)?;
        std::fs::remove_file(&p.file).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot remove {}: {e}", p.file.display()),
            )
        })?;
        engine.reload_file(&p.file);
        Ok(p.version.clone())
    }

    pub fn rollback(
        &self,
        engine: &Engine,
        name: &str,
        version: &str,
    ) -> Result<(Profile, bool), ApiError> {
        let name = checked_name(name)?;
        if !version.chars().all(|c| c.is_ascii_hexdigit()) || version.is_empty() {
            return Err(ApiError::bad(format!(
                "`{version}` is not a profile version (hex digits)"
            )));
        }
        let text = self.kept_text(name, version)?;
        self.put(engine, name, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_leave_the_folder_are_refused() {
        for bad in ["", "../x", "a/b", "a.yaml", "x y", &"n".repeat(129)] {
            assert!(checked_name(bad).is_err(), "{bad:?}");
        }
        assert!(checked_name("dense-linear_2").is_ok());
    }

    #[test]
    fn json_bodies_become_yaml_that_reads_back() {
        let y = yaml_text(br#"{"name": "x", "priority": 3, "pipeline": {}}"#, true).expect("json");
        let v: serde_yaml::Value = serde_yaml::from_str(&y).expect("yaml");
        assert_eq!(v["priority"], serde_yaml::Value::from(3));
        assert!(yaml_text(b"{nope", true).is_err());
    }
}
