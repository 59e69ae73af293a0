//! `tailor bench serve`: a cached request through `POST /v1/run` on a
//! loopback port against the same request through `Engine::run` in
//! process, on one engine, in one run, at several concurrencies. The
//! difference is what the service adds per request: HTTP, JSON both ways,
//! turning the bindings into arguments, admission and the hop to the
//! blocking pool.

use super::auth::Tokens;
use super::{App, ServeArgs, Settings};
use crate::cache::CacheConfig;
use crate::engine::{Engine, EngineConfig, KernelRef, PoolSizes};
use serde::Serialize;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub concurrency: usize,
    /// `http` or `in-process`.
    pub path: &'static str,
    pub requests: u64,
    pub per_second: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    /// Over HTTP: each request's latency minus the engine's own time for
    /// it (`timings.total` in its answer), p50 and p99.
    pub added_p50_us: Option<f64>,
    pub added_p99_us: Option<f64>,
}

/// What one load phase measured.
struct Measured {
    requests: u64,
    per_second: f64,
    p50_us: f64,
    p99_us: f64,
    added: Option<(f64, f64)>,
}

const TOKEN: &str = "bench-serve-token-0123456789abcdef";

fn percentile(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

/// `call` from `n` threads for `seconds`. A call answers the engine's own
/// time for the request in nanoseconds, when it knows it.
fn load(
    n: usize,
    seconds: f64,
    call: impl Fn() -> Result<Option<u64>, String> + Sync,
) -> Result<Measured, String> {
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    type Lat = (Vec<u64>, Vec<u64>);
    let results: Vec<Result<Lat, String>> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..n)
            .map(|_| {
                s.spawn(|| {
                    let (mut lat, mut added) = (Vec::new(), Vec::new());
                    while Instant::now() < until {
                        let at = Instant::now();
                        let engine = call()?;
                        let took = at.elapsed().as_nanos() as u64;
                        lat.push(took);
                        if let Some(e) = engine {
                            added.push(took.saturating_sub(e));
                        }
                    }
                    Ok((lat, added))
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap_or_else(|_| Err("a thread panicked".into())))
            .collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let (mut all, mut added) = (Vec::new(), Vec::new());
    for r in results {
        let (l, a) = r?;
        all.extend(l);
        added.extend(a);
    }
    all.sort_unstable();
    added.sort_unstable();
    Ok(Measured {
        requests: all.len() as u64,
        per_second: all.len() as f64 / elapsed.max(1e-9),
        p50_us: percentile(&all, 0.5),
        p99_us: percentile(&all, 0.99),
        added: (!added.is_empty()).then(|| (percentile(&added, 0.5), percentile(&added, 0.99))),
    })
}

impl Row {
    fn of(concurrency: usize, path: &'static str, m: Measured) -> Row {
        Row {
            concurrency,
            path,
            requests: m.requests,
            per_second: m.per_second,
            p50_us: m.p50_us,
            p99_us: m.p99_us,
            added_p50_us: m.added.map(|a| a.0),
            added_p99_us: m.added.map(|a| a.1),
        }
    }
}

/// The spec's bindings as a run request's JSON (a spec with `file:` data
/// is refused: its data would have to travel as parts).
fn request_json(spec: &Path, hash: &str) -> Result<Value, String> {
    let text = std::fs::read_to_string(spec).map_err(|e| format!("{}: {e}", spec.display()))?;
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", spec.display()))?;
    let mut v: Value = serde_json::to_value(&yaml).map_err(|e| e.to_string())?;
    if v.to_string().contains("\"file\"") {
        return Err(format!(
            "{}: bench serve takes a spec whose arrays are generated or inline",
            spec.display()
        ));
    }
    let m = v.as_object_mut().ok_or("the spec is not a map")?;
    m.remove("kernel");
    m.insert("kernel".into(), json!({ "hash": hash }));
    m.insert("outputs".into(), json!("summary"));
    Ok(v)
}

pub fn bench(
    spec: &Path,
    profiles: &Path,
    concurrency: &[usize],
    seconds: f64,
) -> Result<Vec<Row>, String> {
    let engine = Engine::new(EngineConfig {
        profiles: profiles.to_owned(),
        cache: CacheConfig {
            dir: None,
            ..CacheConfig::default()
        },
        pools: PoolSizes::default(),
        shadow: 0.0,
        fleet: Default::default(),
        key_budget: Default::default(),
    })
    .map_err(|e| e.to_string())?;
    let made = engine.spec_request(spec).map_err(|e| e.to_string())?;
    let KernelRef::Hash(hash) = &made.request.kernel else {
        return Err("the spec's kernel is not registered".into());
    };
    let body = request_json(spec, hash)?.to_string();
    let args = ServeArgs {
        concurrency: Some(4096),
        tenant_queue: Some(1 << 16),
        ..ServeArgs::default()
    };
    let mut settings =
        Settings::resolve(&args, Some(profiles), Some(None)).map_err(|e| e.to_string())?;
    settings.state_dir = std::env::temp_dir().join(format!("tailor-bench-{}", std::process::id()));
    let mut tenants = std::collections::BTreeMap::new();
    tenants.insert("bench".to_owned(), TOKEN.to_owned());
    let tokens = Arc::new(Tokens::new(
        super::auth::random_token().map_err(|e| e.to_string())?,
        &tenants,
    ));
    let app = App::new(settings, engine.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| e.to_string())?;
    let url = format!(
        "http://{}/v1/run",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    runtime.spawn(async move {
        let _ = axum::serve(listener, super::router(app, tokens)).await;
    });

    let agent = || -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into()
    };
    let http = |agent: &ureq::Agent| -> Result<Option<u64>, String> {
        let mut r = agent
            .post(&url)
            .header("Authorization", format!("Bearer {TOKEN}"))
            .content_type("application/json")
            .send(body.as_str())
            .map_err(|e| e.to_string())?;
        let text = r.body_mut().read_to_string().map_err(|e| e.to_string())?;
        if r.status() != 200 || !text.contains(r#""hit":true"#) {
            return Err(format!("not a cached answer ({}): {text}", r.status()));
        }
        let v: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        Ok(v["timings"]["total"].as_u64().map(|us| us * 1000))
    };
    // Warm: the variant built and cached, the connection made.
    let warm = agent();
    for _ in 0..3 {
        let _ = http(&warm);
    }
    http(&warm)?;

    let mut rows = Vec::new();
    for &n in concurrency {
        let agents: Vec<ureq::Agent> = (0..n).map(|_| agent()).collect();
        let next = std::sync::atomic::AtomicUsize::new(0);
        thread_local! {
            static MINE: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
        }
        let m = load(n, seconds, || {
            // Each thread keeps its own agent (its own keep-alive connection).
            let i = MINE.with(|m| {
                m.get().unwrap_or_else(|| {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % n;
                    m.set(Some(i));
                    i
                })
            });
            http(&agents[i])
        })?;
        rows.push(Row::of(n, "http", m));
        let m = load(n, seconds, || {
            let r = engine
                .run(made.request.clone())
                .map_err(|e| e.to_string())?;
            if !r.hit {
                return Err("not a cached answer".into());
            }
            Ok(None)
        })?;
        rows.push(Row::of(n, "in-process", m));
    }
    Ok(rows)
}
