//! `/metrics` in the Prometheus text format (`prometheus-client`):
//! requests by outcome, lookups by tier (hit rate per tier), a latency
//! histogram per stage, and at scrape time the engine's and the cache's
//! counters (builds, evictions, rejections), the fleet tier's (Redis hits,
//! refusals, leases, duplicate builds, whether Redis is up), the sandbox
//! processes alive and the admission queue.

use crate::engine::{Engine, Response, Timings};
use crate::sandbox::Outcome;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TierLabel {
    tier: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StageLabel {
    stage: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

type Totals = Family<KindLabel, Gauge<u64, AtomicU64>>;

pub struct Metrics {
    registry: Registry,
    requests: Family<OutcomeLabel, Counter>,
    lookups: Family<TierLabel, Counter>,
    stages: Family<StageLabel, Histogram>,
    refused: Counter,
    engine: Totals,
    cache: Totals,
    fleet: Totals,
    processes: Totals,
    queue: Totals,
}

fn stage_histogram() -> Histogram {
    // 1 µs to about 8 s.
    Histogram::new(exponential_buckets(1e-6, 2.0, 24))
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("tailor");
        let requests = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "requests",
            "Requests answered, by outcome (ok, timeout, crashed, sandbox_violation, out_of_memory, rejected, or error: refused before running)",
            requests.clone(),
        );
        let lookups = Family::<TierLabel, Counter>::default();
        registry.register(
            "cache_lookups",
            "Cache lookups of requests that ran, by the tier that answered (memory, disk, redis, or miss)",
            lookups.clone(),
        );
        let stages = Family::<StageLabel, Histogram>::new_with_constructor(
            stage_histogram as fn() -> Histogram,
        );
        registry.register(
            "stage_seconds",
            "Time per stage of a request (prepare, analyze, decide, lookup, build, verify, execute, roundtrip, total)",
            stages.clone(),
        );
        let refused = Counter::default();
        registry.register(
            "throttled",
            "Requests refused with 429 because their tenant's queue was full",
            refused.clone(),
        );
        let engine = Totals::default();
        registry.register(
            "engine",
            "Engine counters since start: requests, hits, misses, rejected, failed, builds, loads, generalized (requests served a Plan the key budget left partly dynamic), budget_trips (dimensions it stopped binding), slower (variants the guard found slower than generic), fallbacks (requests a later Plan of the chain served), deferred (misses tiered serving answered with generic)",
            engine.clone(),
        );
        let cache = Totals::default();
        registry.register(
            "cache",
            "Cache counters since start (hits, misses, insertions, evictions, rejections, disk_hits, fleet_hits, corrupt, disk_evictions) and what the tiers hold (entries and bytes in memory, disk_bytes)",
            cache.clone(),
        );
        let fleet = Totals::default();
        registry.register(
            "fleet",
            "The fleet tier (Redis) since start: hits, misses, published, refused (forged, corrupt or foreign values deleted), errors, leases_won, leases_lost, duplicate_builds (keys the fleet built more than once), outages (times the breaker opened), up (1 while Redis answers), and the server's redis_used_memory_bytes, redis_maxmemory_bytes, redis_evicted_keys",
            fleet.clone(),
        );
        let processes = Totals::default();
        registry.register(
            "sandbox_processes",
            "Sandbox processes alive, by kind (worker, executor)",
            processes.clone(),
        );
        let queue = Totals::default();
        registry.register(
            "admission",
            "Requests running and waiting for a slot now",
            queue.clone(),
        );
        Metrics {
            registry,
            requests,
            lookups,
            stages,
            refused,
            engine,
            cache,
            fleet,
            processes,
            queue,
        }
    }

    fn set(family: &Totals, kind: &str, value: u64) {
        family
            .get_or_create(&KindLabel {
                kind: kind.to_owned(),
            })
            .set(value);
    }

    pub fn record(&self, r: &Response) {
        let outcome = match &r.execution.outcome {
            Outcome::Ok => "ok",
            Outcome::Timeout => "timeout",
            Outcome::Crashed(_) => "crashed",
            Outcome::SandboxViolation(_) => "sandbox_violation",
            Outcome::OutOfMemory => "out_of_memory",
            Outcome::Rejected(_) => "rejected",
        };
        self.requests
            .get_or_create(&OutcomeLabel {
                outcome: outcome.to_owned(),
            })
            .inc();
        let tier = match r.tier {
            Some(t) => serde_json::to_value(t)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            None => "miss".to_owned(),
        };
        self.lookups.get_or_create(&TierLabel { tier }).inc();
        let t: &Timings = &r.timings;
        let mut stages = vec![
            ("prepare", t.prepare),
            ("analyze", t.analyze),
            ("decide", t.decide),
            ("lookup", t.lookup),
            ("execute", t.execute),
            ("roundtrip", t.roundtrip),
            ("total", t.total),
        ];
        if !r.hit {
            stages.extend([("build", t.build), ("verify", t.verify)]);
        }
        for (stage, micros) in stages {
            self.stages
                .get_or_create(&StageLabel {
                    stage: stage.to_owned(),
                })
                .observe(micros as f64 / 1e6);
        }
    }

    /// A request refused before it ran (bad input, unknown kernel).
    pub fn record_error(&self) {
        self.requests
            .get_or_create(&OutcomeLabel {
                outcome: "error".to_owned(),
            })
            .inc();
    }

    pub fn record_throttled(&self) {
        self.refused.inc();
    }

    /// The text exposition, with the scrape-time values read now.
    pub fn render(&self, engine: &Engine, load: super::queue::Load) -> String {
        let e = engine.stats();
        for (k, v) in [
            ("requests", e.requests),
            ("hits", e.hits),
            ("misses", e.misses),
            ("rejected", e.rejected),
            ("failed", e.failed),
            ("builds", e.builds),
            ("loads", e.loads),
            ("generalized", e.generalized),
            ("budget_trips", e.budget_trips),
            ("slower", e.slower),
            ("fallbacks", e.fallbacks),
            ("deferred", e.deferred),
        ] {
            Self::set(&self.engine, k, v);
        }
        let c = engine.cache().stats();
        for (k, v) in [
            ("hits", c.hits),
            ("misses", c.misses),
            ("insertions", c.insertions),
            ("evictions", c.evictions),
            ("rejections", c.rejections),
            ("disk_hits", c.disk_hits),
            ("fleet_hits", c.fleet_hits),
            ("corrupt", c.corrupt),
            ("entries", c.entries as u64),
            ("bytes", c.bytes as u64),
            ("disk_evictions", c.disk_evictions),
            ("disk_bytes", c.disk_bytes),
        ] {
            Self::set(&self.cache, k, v);
        }
        if let Some(f) = engine.cache().fleet_stats() {
            let up = f.breaker == crate::cache::fleet::BreakerState::Closed;
            for (k, v) in [
                ("hits", f.hits),
                ("misses", f.misses),
                ("published", f.published),
                ("refused", f.refused),
                ("errors", f.errors),
                ("leases_won", f.leases_won),
                ("leases_lost", f.leases_lost),
                ("duplicate_builds", f.duplicate_builds),
                ("outages", f.outages),
                ("up", u64::from(up)),
            ] {
                Self::set(&self.fleet, k, v);
            }
            if let Some(server) = engine.cache().fleet().and_then(|f| f.server()) {
                for (k, v) in [
                    ("redis_used_memory_bytes", server.used_memory),
                    ("redis_maxmemory_bytes", server.maxmemory),
                    ("redis_evicted_keys", server.evicted_keys),
                ] {
                    Self::set(&self.fleet, k, v);
                }
            }
        }
        let (workers, executors) = engine.sandbox_pids();
        Self::set(&self.processes, "worker", workers.len() as u64);
        Self::set(&self.processes, "executor", executors.len() as u64);
        Self::set(&self.queue, "running", load.running as u64);
        Self::set(&self.queue, "waiting", load.waiting as u64);
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
