//! The workbench attached to a running service (`tailor --connect URL`):
//! the same requests the engine thread makes of an in-process engine,
//! made of the service's API instead.
//!
//! Profiles are mirrored into a local folder (one file per profile, as on
//! the server), so the editor, its conflict check and the file watcher
//! work unchanged: saving a mirrored file is a `PUT /v1/profiles/NAME`,
//! removing one a `DELETE`, and the server's answer is the reload. A
//! profile changed on the server by someone else rewrites its mirror file
//! (the editor then sees it changed on disk, as with a local file).

use super::worker::{Analysis, AnalysisView, CacheView, StoreView};
use crate::cache::Variant;
use crate::engine::Event;
use crate::profile::{ErrorKind, Profile, ProfileError, Reload};
use crate::service::client::Client;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

type Made = (Value, BTreeMap<String, Vec<u8>>);

pub struct Remote {
    client: Client,
    /// The mirror of the server's profiles.
    pub mirror: PathBuf,
    /// Requests made from specs, kept while the spec is unchanged.
    made: HashMap<PathBuf, (Option<SystemTime>, Made)>,
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

fn remote_error(file: &Path, e: &Value) -> ProfileError {
    let problem = e["problem"]
        .as_str()
        .or_else(|| e["message"].as_str())
        .unwrap_or("invalid")
        .to_owned();
    ProfileError {
        file: file.to_owned(),
        line: e["line"].as_u64().map(|l| l as usize),
        node: e["node"].as_str().map(str::to_owned),
        kind: Box::new(ErrorKind::Io(problem)),
    }
}

impl Remote {
    pub fn connect(url: &str, token: Option<String>, mirror: PathBuf) -> Result<Remote, String> {
        let client = Client::new(url, token);
        client.get("/readyz")?;
        std::fs::create_dir_all(&mirror)
            .map_err(|e| format!("cannot create {}: {e}", mirror.display()))?;
        Ok(Remote {
            client,
            mirror,
            made: HashMap::new(),
        })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    fn mirror_file(&self, file: Option<&str>, name: &str) -> PathBuf {
        let base = file
            .filter(|f| {
                !f.is_empty() && !f.contains('/') && !f.starts_with('.') && f.ends_with(".yaml")
            })
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{name}.yaml"));
        self.mirror.join(base)
    }

    /// The server's profiles, mirrored.
    pub fn store(&mut self) -> Result<StoreView, String> {
        let list = self.client.get("/v1/profiles")?;
        let mut profiles = Vec::new();
        for p in list["profiles"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().unwrap_or_default();
            let full = self.client.get(&format!("/v1/profiles/{name}"))?;
            let source = full["source"].as_str().unwrap_or_default().to_owned();
            let file = self.mirror_file(p["file"].as_str(), name);
            if std::fs::read_to_string(&file).ok().as_deref() != Some(source.as_str()) {
                crate::profile::write_atomic(&file, &source)
                    .map_err(|e| format!("cannot mirror {}: {e}", file.display()))?;
            }
            match Profile::parse(&file, &source, None) {
                Ok(profile) => profiles.push(super::worker::ProfileView::from_profile(&profile)),
                Err(errs) => {
                    return Err(format!(
                        "the server's profile `{name}` does not parse here: {}",
                        errs.first().map(ToString::to_string).unwrap_or_default()
                    ))
                }
            }
        }
        let errors = list["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                let file = self.mirror_file(e["file"].as_str(), "unknown");
                remote_error(&file, e)
            })
            .collect();
        Ok(StoreView {
            dir: Some(self.mirror.clone()),
            profiles,
            errors,
        })
    }

    pub fn cache(&self) -> Result<CacheView, String> {
        let v = self.client.get("/v1/cache")?;
        fn parse<T: serde::de::DeserializeOwned>(v: &Value, k: &str) -> Result<T, String> {
            serde_json::from_value(v[k].clone()).map_err(|e| format!("GET /v1/cache: `{k}`: {e}"))
        }
        Ok(CacheView {
            entries: parse(&v, "entries")?,
            stats: parse(&v, "stats")?,
            engine: parse(&v, "engine")?,
            sandbox: (
                v["sandbox"]["workers"].as_u64().unwrap_or(0) as usize,
                v["sandbox"]["executors"].as_u64().unwrap_or(0) as usize,
            ),
        })
    }

    pub fn evict(&self, key: &str) -> Result<(), String> {
        self.client
            .call("DELETE", &format!("/v1/cache/{key}"), "", Vec::new())
            .map(|_| ())
    }

    pub fn clear(&self) -> Result<usize, String> {
        let v = self.client.call("DELETE", "/v1/cache", "", Vec::new())?;
        Ok(v["removed"].as_u64().unwrap_or(0) as usize)
    }

    pub fn variant(&self, key: &str) -> Result<Arc<Variant>, String> {
        let v = self
            .client
            .get(&format!("/v1/cache/{key}?assembly=false"))?;
        serde_json::from_value(v["variant"].clone())
            .map(Arc::new)
            .map_err(|e| format!("GET /v1/cache/{key}: {e}"))
    }

    pub fn assembly(&self, key: &str) -> Result<String, String> {
        let v = self.client.get(&format!("/v1/cache/{key}"))?;
        match v["assembly"].as_str() {
            Some(a) => Ok(a.to_owned()),
            None => Err(v["assembly_error"]
                .as_str()
                .unwrap_or("no assembly")
                .to_owned()),
        }
    }

    /// A mirrored profile file was saved or removed: the server decides.
    pub fn reload_file(&self, path: &Path) -> Reload {
        let failed = |errors: Vec<ProfileError>| Reload::Failed { errors, kept: None };
        let Ok(text) = std::fs::read_to_string(path) else {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            return match self
                .client
                .call("DELETE", &format!("/v1/profiles/{name}"), "", Vec::new())
            {
                Ok(_) => Reload::Removed { name },
                Err(e) => failed(vec![ProfileError::new(path, ErrorKind::Io(e))]),
            };
        };
        let name = match Profile::parse(path, &text, None) {
            Ok(p) => p.name,
            Err(errors) => return failed(errors),
        };
        match self.client.call(
            "PUT",
            &format!("/v1/profiles/{name}"),
            "application/yaml",
            text.into_bytes(),
        ) {
            Ok(v) if v["changed"] == json!(false) => Reload::Unchanged,
            Ok(v) => Reload::Loaded {
                name,
                version: v["version"].as_str().unwrap_or_default().to_owned(),
            },
            Err(e) => failed(vec![ProfileError::new(path, ErrorKind::Io(e))]),
        }
    }

    fn made(&mut self, spec: &Path) -> Result<Made, String> {
        let stamp = mtime(spec);
        if let Some((s, m)) = self.made.get(spec) {
            if *s == stamp {
                return Ok(m.clone());
            }
        }
        let m = self.client.spec_request(spec, None)?;
        self.made.insert(spec.to_owned(), (stamp, m.clone()));
        Ok(m)
    }

    /// Runs a spec on the service; its events arrive through the stream.
    pub fn run_spec(&mut self, spec: &Path) -> Result<(), String> {
        let (request, parts) = self.made(spec)?;
        self.client.run(&request, &parts).map(|_| ())
    }

    pub fn analyze(&mut self, spec: &Path) -> Analysis {
        let result = (|| -> Result<AnalysisView, String> {
            let (request, parts) = self.made(spec)?;
            let v = self.client.send("/v1/analyze", &request, &parts)?;
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            Ok(AnalysisView {
                kernel: s("kernel"),
                signature: s("signature"),
                summary: s("summary"),
                sampled: v["sampled"].as_bool().unwrap_or(false),
                micros: v["micros"].as_u64().unwrap_or(0),
                features: serde_json::from_value(v["features"].clone())
                    .map_err(|e| format!("POST /v1/analyze: features: {e}"))?,
                selected: s("selected"),
                candidates: serde_json::from_value(v["candidates"].clone())
                    .map_err(|e| format!("POST /v1/analyze: candidates: {e}"))?,
                plan: match serde_json::from_value(v["plan"].clone()) {
                    Ok(p) => Ok(p),
                    Err(_) => Err(s("plan_error")),
                },
            })
        })();
        Analysis {
            input: spec.to_owned(),
            result,
        }
    }
}

/// Forwards the service's events to `sink` for as long as the workbench
/// runs, reconnecting when the stream breaks.
pub fn forward_events(client: Client, sink: super::worker::Sink) {
    let _ = std::thread::Builder::new()
        .name("tailor-events".into())
        .spawn(move || loop {
            let result = client.events(|v| {
                if let Ok(e) = serde_json::from_value::<Event>(v) {
                    sink(super::worker::Msg::Event(Box::new(e)));
                }
                true
            });
            let why = match result {
                Ok(()) => "the event stream ended".to_owned(),
                Err(e) => e,
            };
            sink(super::worker::Msg::Notice {
                error: true,
                text: format!("{why}; reconnecting to {}", client.base()),
            });
            std::thread::sleep(std::time::Duration::from_secs(2));
        });
}
