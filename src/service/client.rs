//! The client side of the service API (blocking, `ureq`): what `tailor run
//! --connect` uses. An input spec on this machine becomes a request: its
//! kernel is uploaded (`POST /v1/kernels`, a hash when the service has it
//! already), its bindings travel as JSON, and its `file:` data as parts of
//! a multipart body under the names the spec gives them.

use crate::input::InputSpec;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

pub struct Client {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

/// The token for `--connect`: `--token-file`, else `TAILOR_TOKEN`.
pub fn token(file: Option<&Path>) -> Result<Option<String>, String> {
    if let Some(f) = file {
        let t =
            std::fs::read_to_string(f).map_err(|e| format!("--token-file {}: {e}", f.display()))?;
        let t = t.trim();
        if t.is_empty() {
            return Err(format!("--token-file {}: the file is empty", f.display()));
        }
        return Ok(Some(t.to_owned()));
    }
    Ok(std::env::var("TAILOR_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty()))
}

fn boundary() -> String {
    let token = super::auth::random_token().unwrap_or_else(|_| "0".repeat(64));
    format!("tailor-{}", &token[..24])
}

impl Client {
    pub fn new(url: &str, token: Option<String>) -> Client {
        Client {
            base: url.trim_end_matches('/').to_owned(),
            token,
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(600)))
                .build()
                .into(),
        }
    }

    /// One call; a non-2xx answer is an error carrying the service's
    /// message.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let mut req = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if !content_type.is_empty() {
            req = req.header("Content-Type", content_type);
        }
        let sent = if body.is_empty() {
            req.body(()).map(|r| self.agent.run(r))
        } else {
            req.body(body).map(|r| self.agent.run(r))
        };
        let mut r = sent
            .map_err(|e| format!("{method} {url}: {e}"))?
            .map_err(|e| format!("{method} {url}: {e}"))?;
        let status = r.status().as_u16();
        let text = r
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
            .map_err(|e| format!("{method} {url}: reading the answer: {e}"))?;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if !(200..300).contains(&status) {
            let msg = v["error"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| v.to_string());
            return Err(format!("{method} {path}: {status}: {msg}"));
        }
        Ok(v)
    }

    pub fn get(&self, path: &str) -> Result<Value, String> {
        self.call("GET", path, "", Vec::new())
    }

    /// Uploads the kernel a spec names; its hash.
    pub fn upload(&self, spec: &InputSpec) -> Result<String, String> {
        let source = crate::engine::KernelSource::read(&spec.kernel, spec.entry.as_deref())
            .map_err(|e| e.to_string())?;
        let format = match source.format {
            crate::kernel::SourceKind::C => "c",
            crate::kernel::SourceKind::Ll => "ll",
            crate::kernel::SourceKind::Bc => "bc",
        };
        let name: String = spec
            .kernel
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "kernel".into())
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .take(64)
            .collect();
        let mut path = format!(
            "/v1/kernels?format={format}&name={}",
            if name.is_empty() { "kernel" } else { &name }
        );
        if let Some(e) = &spec.entry {
            if e.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            {
                path.push_str(&format!("&entry={e}"));
            }
        }
        let v = self.call("POST", &path, "application/octet-stream", source.bytes)?;
        v["hash"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("POST /v1/kernels answered no hash: {v}"))
    }

    /// The run request a spec describes (its kernel uploaded), and the
    /// data parts its `file:`s name.
    pub fn spec_request(
        &self,
        path: &Path,
        profile: Option<&str>,
    ) -> Result<(Value, BTreeMap<String, Vec<u8>>), String> {
        let spec = InputSpec::load(path).map_err(|e| e.to_string())?;
        let hash = self.upload(&spec)?;
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let yaml: serde_yaml::Value =
            serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut v = serde_json::to_value(&yaml).map_err(|e| format!("{}: {e}", path.display()))?;
        let dir = path.parent().unwrap_or(Path::new(""));
        let mut parts = BTreeMap::new();
        for section in ["args", "out"] {
            for item in v[section].as_array().into_iter().flatten() {
                for (_, binding) in item.as_object().into_iter().flatten() {
                    if let Some(shown) = binding.get("file").and_then(Value::as_str) {
                        let file = crate::input::files_confined(dir, Path::new(shown))
                            .map_err(|e| format!("{}: file {shown}: {e}", path.display()))?;
                        let bytes = crate::input::read_regular(&file, crate::input::MAX_FILE)
                            .map_err(|e| format!("{}: file {shown}: {e}", path.display()))?;
                        parts.insert(shown.to_owned(), bytes);
                    }
                }
            }
        }
        let m = v.as_object_mut().ok_or("the spec is not a map")?;
        m.insert("kernel".into(), json!({ "hash": hash }));
        if let Some(p) = profile {
            m.insert("profile".into(), json!(p));
        }
        Ok((v, parts))
    }

    /// `POST /v1/run` with a request and its parts (multipart when there
    /// are parts).
    pub fn run(&self, request: &Value, parts: &BTreeMap<String, Vec<u8>>) -> Result<Value, String> {
        self.send("/v1/run", request, parts)
    }

    /// A run request (with its parts) to `path`: `/v1/run` or `/v1/analyze`.
    pub fn send(
        &self,
        path: &str,
        request: &Value,
        parts: &BTreeMap<String, Vec<u8>>,
    ) -> Result<Value, String> {
        if parts.is_empty() {
            return self.call(
                "POST",
                path,
                "application/json",
                request.to_string().into_bytes(),
            );
        }
        let b = boundary();
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"request\"\r\nContent-Type: application/json\r\n\r\n{request}\r\n"
            )
            .as_bytes(),
        );
        for (name, bytes) in parts {
            let quoted = name.replace(['"', '\r', '\n'], "_");
            body.extend_from_slice(
                format!(
                    "--{b}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"{quoted}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
        self.call(
            "POST",
            path,
            &format!("multipart/form-data; boundary={b}"),
            body,
        )
    }

    /// Reads `GET /v1/events` until the stream ends or `on_event` says
    /// stop, handing each event's JSON over.
    pub fn events(&self, mut on_event: impl FnMut(Value) -> bool) -> Result<(), String> {
        use std::io::BufRead;
        // A stream has no end to wait for: no overall timeout here.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let url = format!("{}/v1/events", self.base);
        let mut req = agent.get(&url).header("Accept", "text/event-stream");
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let r = req.call().map_err(|e| format!("GET {url}: {e}"))?;
        if r.status() != 200 {
            return Err(format!("GET /v1/events: {}", r.status()));
        }
        let reader = std::io::BufReader::new(r.into_body().into_reader());
        for line in reader.lines() {
            let line = line.map_err(|e| format!("the event stream broke: {e}"))?;
            if let Some(data) = line
                .strip_prefix("data: ")
                .or_else(|| line.strip_prefix("data:"))
            {
                if let Ok(v) = serde_json::from_str(data) {
                    if !on_event(v) {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    pub fn base(&self) -> &str {
        &self.base
    }
}
