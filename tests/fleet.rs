//! A fleet of engines sharing variants through a real Redis (issue 13):
//! one engine's build is another's hit, concurrent misses of one key build
//! it once across the fleet, a Redis that dies and comes back costs no
//! request, and values nobody with the fleet key wrote are refused.

mod redis_server;

use redis_server::Redis;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use tailor::cache::fleet::BreakerState;
use tailor::cache::{CacheConfig, FleetKey, FleetSetup, RedisConfig, Tier};
use tailor::engine::{Engine, EngineConfig, EventKind, PoolSizes, Served};

const KEY: &str = "the fleet key of these tests";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sample(name: &str) -> PathBuf {
    root().join("sample-inputs").join(format!("{name}.yaml"))
}

fn fleet(url: &str, key: &str) -> FleetSetup {
    FleetSetup {
        key: Some(FleetKey::new(key).expect("key")),
        redis: Some(RedisConfig::new(url)),
    }
}

fn engine_with(fleet: FleetSetup, dir: Option<&Path>) -> Engine {
    Engine::new(EngineConfig {
        profiles: root().join("profiles"),
        cache: CacheConfig {
            dir: dir.map(Path::to_owned),
            ..CacheConfig::default()
        },
        pools: PoolSizes {
            workers: 1,
            executors: 1,
        },
        // A hit is served as found: no shadow run builds generic behind it.
        shadow: 0.0,
        fleet,
        key_budget: Default::default(),
    })
    .expect("engine")
}

fn engine(redis: &Redis) -> Engine {
    engine_with(fleet(&redis.url(), KEY), None)
}

/// An engine whose memory tier holds `entries` variants, with no disk.
fn engine_holding(redis: &Redis, entries: usize) -> Engine {
    Engine::new(EngineConfig {
        profiles: root().join("profiles"),
        cache: CacheConfig {
            dir: None,
            max_entries: entries,
            ..CacheConfig::default()
        },
        pools: PoolSizes {
            workers: 1,
            executors: 1,
        },
        shadow: 0.0,
        fleet: fleet(&redis.url(), KEY),
        key_budget: Default::default(),
    })
    .expect("engine")
}

fn built(events: &[tailor::engine::Event]) -> bool {
    events.iter().any(|e| {
        matches!(
            e.kind,
            EventKind::Building { .. } | EventKind::Step(_) | EventKind::Compiled { .. }
        )
    })
}

#[test]
fn a_variant_one_engine_built_is_a_redis_hit_on_another() {
    let redis = Redis::start();
    let a = engine(&redis);
    let first = a.run_spec(&sample("sum-small")).expect("run on a");
    assert!(!first.hit);
    assert_eq!(first.served_by, Served::Variant, "{:?}", first.verification);
    assert!(a.stats().builds >= 2, "the variant and the generic build");

    let b = engine(&redis);
    let events = b.subscribe();
    let r = b.run_spec(&sample("sum-small")).expect("run on b");
    assert!(r.hit);
    assert_eq!(r.tier, Some(Tier::Redis));
    assert_eq!(r.served_by, Served::Variant);
    assert_eq!(r.key, first.key);
    assert_eq!(r.result, first.result);
    let seen: Vec<_> = events.try_iter().collect();
    assert!(!built(&seen), "no transform and no codegen on b: {seen:?}");
    assert_eq!(b.stats().builds, 0);
    // The copy b kept serves its next request from memory, with the IR
    // (the optional second value) along.
    let again = b.run_spec(&sample("sum-small")).expect("again");
    assert_eq!(again.tier, Some(Tier::Memory));
    let kept = b.cache().load(&first.key).expect("kept locally");
    assert!(kept.optimized_ir.contains("define"), "the IR came along");
    assert!(!kept.steps.is_empty(), "the step log came along");
    let stats = b.cache().fleet_stats().expect("fleet tier");
    assert_eq!((stats.hits, stats.published), (1, 0));
    assert_eq!(stats.breaker, BreakerState::Closed);

    // The keys say what they hold and for which build and target.
    let keys = redis.keys("*");
    let hot = format!("{{{}}}:hot", first.key);
    let mine = keys
        .iter()
        .find(|k| k.ends_with(&hot))
        .expect("the hot value");
    assert!(mine.starts_with("tailor:v2:tailor-"), "{mine}");
    assert!(mine.contains("llvm-19"), "{mine}");
    assert!(keys
        .iter()
        .any(|k| k.ends_with(&format!("{{{}}}:ir", first.key))));
}

#[test]
fn four_engines_missing_one_key_at_once_build_it_once() {
    let redis = Redis::start();
    let engines: Vec<Engine> = (0..4).map(|_| engine(&redis)).collect();
    let barrier = Arc::new(Barrier::new(engines.len()));
    let threads: Vec<_> = engines
        .iter()
        .cloned()
        .map(|e| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                e.run_spec(&sample("sum-small")).expect("run")
            })
        })
        .collect();
    let answers: Vec<_> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    assert!(
        answers.windows(2).all(|w| w[0].result == w[1].result),
        "every engine gives one answer"
    );
    let builds: u64 = engines.iter().map(|e| e.stats().builds).sum();
    // The variant and the generic build, each once across the fleet.
    let counted = redis.keys("*:builds");
    assert_eq!(counted.len(), 2, "{counted:?}");
    let mut c = redis.connection().expect("connect");
    for k in &counted {
        let n: u64 = redis::cmd("GET").arg(k).query(&mut c).expect("GET");
        assert_eq!(n, 1, "{k} was built {n} times");
    }
    assert_eq!(
        builds,
        2,
        "builds per engine: {:?}",
        engines.iter().map(|e| e.stats().builds).collect::<Vec<_>>()
    );
    let duplicates: u64 = engines
        .iter()
        .filter_map(|e| e.cache().fleet_stats())
        .map(|s| s.duplicate_builds)
        .sum();
    assert_eq!(duplicates, 0);
    // Whoever was not first served generic meanwhile, or waited for the
    // variant; now every engine is served the variant.
    for e in &engines {
        let r = e.run_spec(&sample("sum-small")).expect("after");
        assert_eq!(r.served_by, Served::Variant);
        assert!(r.hit);
    }
}

const REPLAY: [&str; 3] = ["sum-small", "reduce", "histogram"];

#[test]
fn redis_killed_mid_replay_loses_no_request_and_the_breaker_closes_after_restart() {
    let mut redis = Redis::start();
    // A memory tier smaller than the replay's three keys, and no disk:
    // every request looks in Redis.
    let e = engine_holding(&redis, 2);
    let mut failed = Vec::new();
    for i in 0..1000 {
        if i == 400 {
            redis.kill();
        }
        if i == 500 {
            redis.restart();
        }
        let name = REPLAY[i % REPLAY.len()];
        if let Err(err) = e.run_spec(&sample(name)) {
            failed.push(format!("{i} {name}: {err}"));
        }
    }
    assert!(failed.is_empty(), "requests failed: {failed:?}");
    let stats = e.cache().fleet_stats().expect("fleet");
    assert!(stats.outages >= 1, "the breaker opened: {stats:?}");
    // The breaker probes with a backoff of at most 10 s; traffic closes it.
    let deadline = Instant::now() + Duration::from_secs(25);
    while e.cache().fleet_stats().expect("fleet").breaker != BreakerState::Closed {
        assert!(Instant::now() < deadline, "the breaker never closed");
        e.run_spec(&sample("poly-small")).expect("probe traffic");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Back in use: a new key is published to the new server.
    let r = e.run_spec(&sample("dot-small")).expect("new key");
    assert!(!r.hit);
    assert!(
        !redis.keys(&format!("*{{{}}}:hot", r.key)).is_empty(),
        "published after Redis came back"
    );
}

#[test]
fn an_engine_starts_and_serves_without_redis() {
    let redis = Redis::start();
    let url = redis.url();
    drop(redis);
    let e = engine_with(fleet(&url, KEY), None);
    for _ in 0..5 {
        let r = e
            .run_spec(&sample("sum-small"))
            .expect("served without Redis");
        assert!(r.result.is_some());
    }
    let stats = e.cache().fleet_stats().expect("fleet");
    assert!(
        stats.warnings.iter().any(|w| w.contains("did not answer")),
        "{stats:?}"
    );
}

/// Rewrites a variant's hot value in Redis.
fn tamper(redis: &Redis, key: &str, f: impl FnOnce(&mut Vec<u8>)) {
    let hot = redis.keys(&format!("*{{{key}}}:hot"));
    let mut c = redis.connection().expect("connect");
    let mut value: Vec<u8> = redis::cmd("GET").arg(&hot[0]).query(&mut c).expect("GET");
    f(&mut value);
    let _: () = redis::cmd("SET")
        .arg(&hot[0])
        .arg(value)
        .query(&mut c)
        .expect("SET");
}

fn refused(events: &[tailor::engine::Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::CacheNotice { message } if message.contains("refused") => {
                Some(message.clone())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn forged_and_corrupt_values_are_refused_and_rebuilt() {
    let redis = Redis::start();
    let a = engine(&redis);
    let first = a.run_spec(&sample("sum-small")).expect("build");

    // Forged: other object code, with the checksums made to match it; only
    // the MAC (which needs the fleet key) is wrong.
    tamper(&redis, &first.key, |v| {
        let last = v.len() - 1;
        v[last] ^= 0xff;
        let meta_len = u32::from_le_bytes([v[12], v[13], v[14], v[15]]) as usize;
        let sum = Sha256::digest(&v[120 + meta_len..]);
        v[56..88].copy_from_slice(&sum);
    });
    let b = engine(&redis);
    let events = b.subscribe();
    let r = b.run_spec(&sample("sum-small")).expect("run");
    assert!(!r.hit, "the forged value is not a hit");
    assert_eq!(r.result, first.result);
    assert!(b.stats().builds >= 1, "rebuilt");
    let seen: Vec<_> = events.try_iter().collect();
    let notes = refused(&seen);
    assert!(
        notes.iter().any(|m| m.contains("fleet key check")),
        "{notes:?}"
    );
    assert_eq!(b.cache().fleet_stats().expect("fleet").refused, 1);

    // The rebuild replaced it: a fresh engine hits it.
    let c = engine(&redis);
    assert_eq!(
        c.run_spec(&sample("sum-small")).expect("run").tier,
        Some(Tier::Redis)
    );

    // Corrupt: a flipped byte, checksums left alone.
    tamper(&redis, &first.key, |v| {
        let mid = v.len() / 2;
        v[mid] ^= 0x10;
    });
    let d = engine(&redis);
    let events = d.subscribe();
    let r = d.run_spec(&sample("sum-small")).expect("run");
    assert!(!r.hit);
    let notes = refused(&events.try_iter().collect::<Vec<_>>());
    assert!(notes.iter().any(|m| m.contains("checksum")), "{notes:?}");

    // Written under another fleet key: refused too.
    let other = engine_with(fleet(&redis.url(), "another fleet's key entirely"), None);
    let events = other.subscribe();
    let r = other.run_spec(&sample("sum-small")).expect("run");
    assert!(!r.hit);
    let notes = refused(&events.try_iter().collect::<Vec<_>>());
    assert!(notes.iter().any(|m| m.contains("fleet key")), "{notes:?}");
}

#[test]
fn redis_without_a_fleet_key_is_refused_at_start() {
    let err = Engine::new(EngineConfig {
        profiles: root().join("profiles"),
        cache: CacheConfig {
            dir: None,
            ..CacheConfig::default()
        },
        pools: PoolSizes {
            workers: 1,
            executors: 1,
        },
        shadow: 0.0,
        fleet: FleetSetup {
            key: None,
            redis: Some(RedisConfig::new("redis://127.0.0.1:1")),
        },
        key_budget: Default::default(),
    })
    .err()
    .expect("refused");
    assert!(err.to_string().contains("needs a fleet key"), "{err}");
}

#[test]
fn ever_changing_sizes_trip_the_key_budget_and_the_cache_stops_growing() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(root().join("kernels/sum.c"), dir.path().join("sum.c")).expect("copy");
    let spec = |len: usize| {
        let path = dir.path().join(format!("sum-{len}.yaml"));
        std::fs::write(
            &path,
            format!(
                "kernel: sum.c\nentry: sum\nargs:\n  - a: {{ array: f64, gen: {{ dist: uniform, len: {len}, seed: 1, min: 0.0, max: 1.0 }} }}\n  - n: {{ i64: len(a) }}\n"
            ),
        )
        .expect("write spec");
        path
    };
    let e = engine_with(FleetSetup::default(), None);
    let events = e.subscribe();
    let mut entries = Vec::new();
    for (i, len) in (100..220).enumerate() {
        let r = e.run_spec(&spec(len)).expect("run");
        assert!(r.result.is_some());
        entries.push(e.cache().stats().entries);
        if i >= 12 {
            assert!(
                !r.plan.bound_values().iter().any(|(d, _)| d == "bind n"),
                "size {len} is still bound: {:?}",
                r.plan.bound_values()
            );
        }
    }
    let limit = tailor::engine::KeyBudgetConfig::default().limit;
    let seen: Vec<_> = events.try_iter().collect();
    let tripped: Vec<_> = seen
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Generalized { tripped, .. } if !tripped.is_empty() => Some(tripped.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(tripped.iter().any(|d| d == "bind n"), "{tripped:?}");
    assert_eq!(e.stats().budget_trips as usize, tripped.len());
    assert!(e.stats().generalized >= 25, "{:?}", e.stats());
    // The buffer's padded size changes every eight lengths, so it takes
    // longer to trip; once it has, sizes share power-of-two buckets and
    // growth stops.
    assert!(tripped.iter().any(|d| d == "bytes of arg 0"), "{tripped:?}");
    assert!(
        entries[119] <= entries[80] + 1,
        "the cache kept growing: {entries:?}"
    );
    assert!(entries[119] <= 2 * limit + 4, "{entries:?}");
}

#[test]
fn a_lease_left_by_a_dead_builder_expires_and_the_key_is_built() {
    let redis = Redis::start();
    let a = engine(&redis);
    let first = a.run_spec(&sample("sum-small")).expect("build");
    // As if a builder had claimed the key and died: no value, a lease
    // that nobody renews.
    let hot = redis.keys(&format!("*{{{}}}:hot", first.key)).remove(0);
    let prefix = hot.trim_end_matches(":hot");
    let mut c = redis.connection().expect("connect");
    let _: () = redis::cmd("DEL")
        .arg(&hot)
        .arg(format!("{prefix}:ir"))
        .query(&mut c)
        .expect("DEL");
    let _: () = redis::cmd("SET")
        .arg(format!("{prefix}:lease"))
        .arg("dead-engine:1:0")
        .arg("PX")
        .arg(1500)
        .query(&mut c)
        .expect("SET");

    let b = engine(&redis);
    let events = b.subscribe();
    let r = b.run_spec(&sample("sum-small")).expect("run while leased");
    assert_eq!(r.served_by, Served::Generic, "generic serves meanwhile");
    let seen: Vec<_> = events.try_iter().collect();
    assert!(
        seen.iter().any(|e| matches!(&e.kind, EventKind::FleetBuilding { holder, waiting: false, .. } if holder == "dead-engine:1:0")),
        "{seen:?}"
    );
    std::thread::sleep(Duration::from_millis(1600));
    let r = b.run_spec(&sample("sum-small")).expect("run after expiry");
    assert_eq!(r.served_by, Served::Variant, "built once the lease expired");
    assert!(!redis.keys(&format!("*{{{}}}:hot", first.key)).is_empty());
}

#[test]
fn a_hung_redis_delays_no_request_past_its_deadline() {
    let redis = Redis::start();
    // No memory tier to speak of: every request asks Redis.
    let e = engine_holding(&redis, 1);
    for name in ["sum-small", "reduce"] {
        e.run_spec(&sample(name)).expect("warm");
    }
    redis.signal(libc::SIGSTOP);
    let mut slowest = 0;
    for i in 0..40 {
        let name = ["sum-small", "reduce"][i % 2];
        let r = e.run_spec(&sample(name)).expect("served while Redis hangs");
        slowest = slowest.max(r.timings.lookup);
    }
    redis.signal(libc::SIGCONT);
    // Each Redis call waits 100 ms at most (a lookup makes one); the
    // breaker then stops asking.
    assert!(slowest < 500_000, "a lookup took {slowest} µs");
    let stats = e.cache().fleet_stats().expect("fleet");
    assert!(stats.outages >= 1, "{stats:?}");
    let deadline = Instant::now() + Duration::from_secs(25);
    while e.cache().fleet_stats().expect("fleet").breaker != BreakerState::Closed {
        assert!(
            Instant::now() < deadline,
            "the breaker never closed: {:?}",
            e.cache().fleet_stats()
        );
        for name in ["sum-small", "reduce"] {
            e.run_spec(&sample(name)).expect("traffic");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
