//! `tailor bench fleet`: two `tailor serve` engines sharing one Redis,
//! measured side by side in one run.
//!
//! 1. **Shared misses.** Every input is sent to both engines at once, cold:
//!    builds per distinct key across the fleet (1.0 is the goal) and the
//!    duplicate builds the engines counted.
//! 2. **Fixed load.** Requests at a fixed rate, alternating between the
//!    engines, over inputs with more keys than each engine's memory tier
//!    holds (so Redis serves some): hit rate and latency per tier (memory,
//!    Redis, miss) from the same run, each engine's resident memory
//!    sampled every second, and, when the bench started Redis itself, Redis
//!    killed for a stretch in the middle: the requests that failed then.

use super::client::Client;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct FleetBench {
    pub inputs: Vec<PathBuf>,
    pub profiles: PathBuf,
    /// Length of the fixed-load phase.
    pub seconds: f64,
    /// Requests per second in that phase, across both engines.
    pub rate: f64,
    /// Each engine's memory tier, in entries.
    pub cache_entries: usize,
    /// A Redis to use; `None` starts one (and then also kills it for a
    /// stretch of the fixed-load phase).
    pub redis: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TierRow {
    /// `memory`, `redis`, `disk` or `miss`.
    pub tier: String,
    pub requests: usize,
    pub share: f64,
    /// The engine's own time for the request (`timings.total`).
    pub engine_p50_us: f64,
    pub engine_p99_us: f64,
    /// As the client saw it (HTTP included).
    pub client_p50_us: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemoryRow {
    pub engine: usize,
    /// Resident memory, KiB: after the first second, at the end, the most.
    pub first_kib: u64,
    pub last_kib: u64,
    pub max_kib: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub inputs: usize,
    /// Phase 1: keys built across the fleet, builds, and the engines' own
    /// count of duplicate builds.
    pub distinct_keys: u64,
    pub builds: u64,
    pub builds_per_key: f64,
    pub duplicate_builds: u64,
    /// Redis's used memory after phase 1 (its own baseline included).
    pub redis_used_bytes: u64,
    /// Phase 2.
    pub seconds: f64,
    pub rate: f64,
    pub requests: usize,
    pub failed: usize,
    pub tiers: Vec<TierRow>,
    pub memory: Vec<MemoryRow>,
    /// When Redis was down (seconds into phase 2) and what failed then.
    pub outage: Option<(f64, f64)>,
    pub failed_during_outage: usize,
    pub requests_during_outage: usize,
    /// Phase 3: a third engine started against the warm fleet, each input
    /// once: how many Redis served, and their latency beside phase 1's
    /// (cold misses of the same inputs), engine side.
    pub cold_start_from_redis: usize,
    pub cold_start_p50_us: f64,
    pub phase1_miss_p50_us: f64,
}

struct Engine {
    child: Child,
    client: Client,
    base: String,
    /// Its state directory (admin token, history), removed with it.
    state: PathBuf,
}

impl Drop for Engine {
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

impl Engine {
    fn stop(mut self) {
        let _ = std::fs::remove_dir_all(&self.state);
        self.state = PathBuf::new();
    }
}

struct Redis {
    port: u16,
    child: Option<Child>,
}

impl Redis {
    fn start(port: u16) -> Result<Redis, String> {
        let mut r = Redis { port, child: None };
        r.restart()?;
        Ok(r)
    }

    fn restart(&mut self) -> Result<(), String> {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start redis-server (apt install redis-server): {e}"))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("redis-server on port {} did not start", self.port))
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn random_hex() -> Result<String, String> {
    super::auth::random_token().map_err(|e| e.to_string())
}

fn start_engine(
    bench: &FleetBench,
    redis_url: &str,
    fleet_key: &str,
    admin: &str,
) -> Result<Engine, String> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let state = std::env::temp_dir().join(format!(
        "tailor-bench-fleet-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&state).map_err(|e| format!("{}: {e}", state.display()))?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("--profiles")
        .arg(&bench.profiles)
        .arg("--no-disk-cache")
        .args(["serve", "--listen", "127.0.0.1:0", "--state-dir"])
        .arg(&state)
        .args(["--cache-entries", &bench.cache_entries.to_string()])
        .args(["--redis", redis_url, "--shadow", "0"])
        .env("TAILOR_FLEET_KEY", fleet_key)
        .env("TAILOR_ADMIN_TOKEN", admin)
        .env_remove("TAILOR_CLIENT_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start tailor serve: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .map_err(|_| "tailor serve did not say where it listens".to_owned())?;
    let addr = line
        .split_once("listening on ")
        .map(|(_, a)| a.trim().to_owned())
        .ok_or_else(|| format!("unexpected first line from tailor serve: {line}"))?;
    let base = if addr.starts_with("http") {
        addr
    } else {
        format!("http://{addr}")
    };
    Ok(Engine {
        child,
        client: Client::new(&base, Some(admin.to_owned())),
        base,
        state,
    })
}

/// `tailor_KIND{kind="NAME"} VALUE` from a metrics text.
fn metric(text: &str, family: &str, kind: &str) -> u64 {
    let prefix = format!("tailor_{family}{{kind=\"{kind}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn percentile_us(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize] as f64
}

/// One answered (or failed) request of phase 2.
struct Sample {
    at: f64,
    tier: Option<String>,
    engine_us: u64,
    client_us: u64,
}

pub fn run(bench: &FleetBench) -> Result<Report, String> {
    let mut own = None;
    let redis_url = match &bench.redis {
        Some(u) => u.clone(),
        None => {
            let port = free_port()?;
            own = Some(Redis::start(port)?);
            format!("redis://127.0.0.1:{port}")
        }
    };
    let fleet_key = random_hex()?;
    let admin = random_hex()?;
    let engines = [
        start_engine(bench, &redis_url, &fleet_key, &admin)?,
        start_engine(bench, &redis_url, &fleet_key, &admin)?,
    ];
    // The same requests on both (each engine gets the kernels uploaded).
    let mut requests = Vec::new();
    for input in &bench.inputs {
        let (a, parts) = engines[0].client.spec_request(input, None)?;
        engines[1].client.spec_request(input, None)?;
        let mut a = a;
        a["outputs"] = Value::from("summary");
        requests.push((a, parts));
    }
    let requests = Arc::new(requests);

    // Phase 1: every input to both engines at once, cold.
    let mut phase1: Vec<u64> = std::thread::scope(|s| -> Result<Vec<u64>, String> {
        let threads: Vec<_> = requests
            .iter()
            .flat_map(|r| engines.iter().map(move |e| (r, e)))
            .map(|((req, parts), e)| s.spawn(move || e.client.run(req, parts)))
            .collect();
        let mut misses = Vec::new();
        for t in threads {
            let v = t.join().map_err(|_| "a thread panicked".to_owned())??;
            if v["cache"]["hit"] == Value::Bool(false) {
                misses.push(v["timings"]["total"].as_u64().unwrap_or(0));
            }
        }
        Ok(misses)
    })?;
    phase1.sort_unstable();
    let mut builds = 0;
    let mut duplicate_builds = 0;
    let mut redis_used_bytes = 0;
    for e in &engines {
        let text = metrics_text(&e.base, &admin)?;
        builds += metric(&text, "engine", "builds");
        duplicate_builds += metric(&text, "fleet", "duplicate_builds");
        redis_used_bytes = metric(&text, "fleet", "redis_used_memory_bytes");
    }
    let distinct_keys = redis_builds_keys(&redis_url)?;

    // Phase 2: fixed load, alternating engines.
    let n = (bench.seconds * bench.rate).ceil().max(1.0) as usize;
    let next = AtomicUsize::new(0);
    let samples = Mutex::new(Vec::with_capacity(n));
    let failed_at = Mutex::new(Vec::new());
    let done = AtomicBool::new(false);
    let memory: Vec<Mutex<Vec<u64>>> = engines.iter().map(|_| Mutex::new(Vec::new())).collect();
    let outage = own
        .as_ref()
        .map(|_| (bench.seconds / 3.0, bench.seconds / 2.0));
    let own = Mutex::new(own);
    let started = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_secs(1));
                for (e, m) in engines.iter().zip(&memory) {
                    if let Ok(mut m) = m.lock() {
                        m.push(crate::bench::rss_kib(e.child.id()));
                    }
                }
            }
        });
        if let Some((down, up)) = outage {
            let own = &own;
            s.spawn(move || {
                std::thread::sleep(Duration::from_secs_f64(down));
                if let Ok(mut g) = own.lock() {
                    if let Some(r) = g.as_mut() {
                        r.kill();
                    }
                }
                std::thread::sleep(Duration::from_secs_f64(up - down));
                if let Ok(mut g) = own.lock() {
                    if let Some(r) = g.as_mut() {
                        let _ = r.restart();
                    }
                }
            });
        }
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let due = Duration::from_secs_f64(i as f64 / bench.rate);
                    if let Some(wait) = due.checked_sub(started.elapsed()) {
                        std::thread::sleep(wait);
                    }
                    let (req, parts) = &requests[i % requests.len()];
                    let e = &engines[i % engines.len()];
                    let at = Instant::now();
                    let answer = e.client.run(req, parts);
                    let client_us = at.elapsed().as_micros() as u64;
                    let when = started.elapsed().as_secs_f64();
                    match answer {
                        Ok(v) => {
                            let tier = v["cache"]["tier"].as_str().map(str::to_owned);
                            let engine_us = v["timings"]["total"].as_u64().unwrap_or(0);
                            if let Ok(mut s) = samples.lock() {
                                s.push(Sample {
                                    at: when,
                                    tier,
                                    engine_us,
                                    client_us,
                                });
                            }
                        }
                        Err(_) => {
                            if let Ok(mut f) = failed_at.lock() {
                                f.push(when);
                            }
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            let _ = w.join();
        }
        done.store(true, Ordering::Relaxed);
    });
    let samples = samples.into_inner().unwrap_or_default();
    let failed_at = failed_at.into_inner().unwrap_or_default();
    let mut by_tier: BTreeMap<String, (Vec<u64>, Vec<u64>)> = BTreeMap::new();
    for s in &samples {
        let t = by_tier
            .entry(s.tier.clone().unwrap_or_else(|| "miss".into()))
            .or_default();
        t.0.push(s.engine_us);
        t.1.push(s.client_us);
    }
    let total = samples.len().max(1) as f64;
    let tiers = by_tier
        .into_iter()
        .map(|(tier, (mut engine, mut client))| {
            engine.sort_unstable();
            client.sort_unstable();
            TierRow {
                tier,
                requests: engine.len(),
                share: engine.len() as f64 / total,
                engine_p50_us: percentile_us(&engine, 0.5),
                engine_p99_us: percentile_us(&engine, 0.99),
                client_p50_us: percentile_us(&client, 0.5),
            }
        })
        .collect();
    let memory = memory
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let m = m.into_inner().unwrap_or_default();
            MemoryRow {
                engine: i + 1,
                first_kib: m.first().copied().unwrap_or(0),
                last_kib: m.last().copied().unwrap_or(0),
                max_kib: m.iter().copied().max().unwrap_or(0),
            }
        })
        .collect();
    // Phase 3: a cold engine against the warm fleet (Redis restarted
    // during phase 2 holds what was built since).
    let third = start_engine(bench, &redis_url, &fleet_key, &admin)?;
    for input in &bench.inputs {
        third.client.spec_request(input, None)?;
    }
    let mut cold = Vec::new();
    let mut from_redis = 0;
    for (req, parts) in requests.iter() {
        let v = third.client.run(req, parts)?;
        if v["cache"]["tier"] == "redis" {
            from_redis += 1;
            cold.push(v["timings"]["total"].as_u64().unwrap_or(0));
        }
    }
    cold.sort_unstable();
    third.stop();
    for e in engines {
        e.stop();
    }
    let within = |t: f64| outage.is_some_and(|(down, up)| t >= down && t < up);
    Ok(Report {
        inputs: bench.inputs.len(),
        distinct_keys,
        builds,
        builds_per_key: builds as f64 / distinct_keys.max(1) as f64,
        duplicate_builds,
        redis_used_bytes,
        seconds: bench.seconds,
        rate: bench.rate,
        requests: samples.len() + failed_at.len(),
        failed: failed_at.len(),
        tiers,
        memory,
        outage,
        failed_during_outage: failed_at.iter().filter(|t| within(**t)).count(),
        requests_during_outage: samples.iter().filter(|s| within(s.at)).count()
            + failed_at.iter().filter(|t| within(**t)).count(),
        cold_start_from_redis: from_redis,
        cold_start_p50_us: percentile_us(&cold, 0.5),
        phase1_miss_p50_us: percentile_us(&phase1, 0.5),
    })
}

fn metrics_text(base: &str, token: &str) -> Result<String, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    agent
        .get(format!("{base}/metrics"))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .map_err(|e| e.to_string())?
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())
}

/// How many keys the fleet has counted builds of.
fn redis_builds_keys(url: &str) -> Result<u64, String> {
    let client = redis::Client::open(url).map_err(|e| e.to_string())?;
    let mut c = client
        .get_connection_with_timeout(Duration::from_secs(2))
        .map_err(|e| e.to_string())?;
    let keys: BTreeSet<String> = redis::cmd("KEYS")
        .arg("tailor:*:builds")
        .query(&mut c)
        .map_err(|e| e.to_string())?;
    Ok(keys.len() as u64)
}

/// The report as a table.
pub fn table(r: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "shared misses: {} inputs sent to both engines at once: {} keys built {} times ({:.2} builds per key, {} duplicate); Redis then used {:.1} MiB",
        r.inputs,
        r.distinct_keys,
        r.builds,
        r.builds_per_key,
        r.duplicate_builds,
        r.redis_used_bytes as f64 / f64::from(1u32 << 20)
    );
    let _ = writeln!(
        out,
        "\nfixed load: {:.0} requests/s for {:.0} s, alternating engines: {} requests, {} failed",
        r.rate, r.seconds, r.requests, r.failed
    );
    let _ = writeln!(
        out,
        "{:<8} {:>9} {:>7} {:>13} {:>13} {:>13}",
        "tier", "requests", "share", "engine p50", "engine p99", "client p50"
    );
    for t in &r.tiers {
        let _ = writeln!(
            out,
            "{:<8} {:>9} {:>6.1}% {:>10.0} µs {:>10.0} µs {:>10.0} µs",
            t.tier,
            t.requests,
            t.share * 100.0,
            t.engine_p50_us,
            t.engine_p99_us,
            t.client_p50_us
        );
    }
    for m in &r.memory {
        let _ = writeln!(
            out,
            "engine {} resident memory: {} MiB after 1 s, {} MiB at the end, {} MiB at most",
            m.engine,
            m.first_kib / 1024,
            m.last_kib / 1024,
            m.max_kib / 1024
        );
    }
    match r.outage {
        Some((down, up)) => {
            let _ = writeln!(
                out,
                "Redis down from {down:.0} s to {up:.0} s: {} of {} requests then failed",
                r.failed_during_outage, r.requests_during_outage
            );
        }
        None => {
            let _ = writeln!(out, "(Redis given with --redis: not taken down)");
        }
    }
    let _ = writeln!(
        out,
        "\ncold engine against the warm fleet: {} of {} first requests served from Redis, p50 {:.0} µs (a cold miss of the same inputs in phase 1: p50 {:.0} µs)",
        r.cold_start_from_redis, r.inputs, r.cold_start_p50_us, r.phase1_miss_p50_us
    );
    out
}

/// The inputs `tailor bench fleet` uses by default: the shipped small ones.
pub fn default_inputs(root: &Path) -> Vec<PathBuf> {
    [
        "sum-small",
        "reduce",
        "reduce-max",
        "histogram",
        "stencil-small",
        "filter",
        "dot-small",
        "gather-small",
        "matmul-small",
        "poly-small",
    ]
    .iter()
    .map(|n| root.join(format!("{n}.yaml")))
    .filter(|p| p.is_file())
    .collect()
}
