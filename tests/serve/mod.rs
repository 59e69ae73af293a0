//! A `tailor serve` started as users start it, on a free loopback port,
//! for the HTTP tests and the attached workbench's tmux test.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ADMIN: &str = "admin-token-for-tests-0123456789";
pub const CLIENT: &str = "client-token-for-tests-012345678";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Server {
    child: Child,
    pub base: String,
    pub profiles: tempfile::TempDir,
    _state: tempfile::TempDir,
    agent: ureq::Agent,
}

pub struct Reply {
    pub status: u16,
    pub retry_after: Option<String>,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn error(&self) -> String {
        let v = self.json();
        assert_eq!(v["status"], json!(self.status), "{}", self.body);
        v["error"].as_str().unwrap_or_default().to_owned()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).expect("read profiles") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

impl Server {
    /// A service that builds before it answers (`--tiered false`) unless
    /// `extra` says otherwise: most tests assert that a second request is
    /// a hit, which under tiered serving waits for a background build.
    pub fn start(extra: &[&str]) -> Server {
        let profiles = tempfile::tempdir().expect("tempdir");
        copy_dir(&root().join("profiles"), profiles.path());
        let state = tempfile::tempdir().expect("tempdir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_tailor"))
            .arg("--profiles")
            .arg(profiles.path())
            .arg("--no-disk-cache")
            .args(["serve", "--listen", "127.0.0.1:0", "--state-dir"])
            .arg(state.path())
            .args(if extra.iter().any(|a| a.starts_with("--tiered")) {
                &[][..]
            } else {
                &["--tiered", "false"][..]
            })
            .args(extra)
            .env("TAILOR_ADMIN_TOKEN", ADMIN)
            .env("TAILOR_CLIENT_TOKEN", CLIENT)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tailor serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server says where it listens");
        let base = line
            .split_once("listening on ")
            .map(|(_, a)| a.trim().to_owned())
            .unwrap_or_else(|| panic!("unexpected first line: {line}"));
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Server {
            child,
            base,
            profiles,
            _state: state,
            agent,
        }
    }

    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let mut req = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if !content_type.is_empty() {
            req = req.header("Content-Type", content_type);
        }
        let result = if body.is_empty() {
            self.agent.run(req.body(()).expect("request"))
        } else {
            self.agent.run(req.body(body).expect("request"))
        };
        let mut r = result.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let header = |n: &str| {
            r.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (retry_after, content_type) = (header("retry-after"), header("content-type"));
        let body = r
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_to_string()
            .expect("body");
        Reply {
            status: r.status().as_u16(),
            retry_after,
            content_type: content_type.unwrap_or_default(),
            body,
        }
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call("GET", path, token, "", Vec::new())
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.call(
            "POST",
            path,
            token,
            "application/json",
            body.to_string().into_bytes(),
        )
    }

    pub fn run(&self, body: &Value) -> Reply {
        self.post("/v1/run", Some(CLIENT), body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: signalling our own child by its pid.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
