//! The fleet tier: variants shared by every engine of a fleet through
//! Redis, behind each engine's own memory and disk tiers.
//!
//! Keys (all of one variant hash to one Redis Cluster slot through the
//! `{…}` tag):
//!
//! ```text
//! tailor:v2:<namespace>:{<variant key>}:hot     the variant without its IR
//! tailor:v2:<namespace>:{<variant key>}:ir      its IR and step log (optional)
//! tailor:v2:<namespace>:{<variant key>}:lease   who is building it
//! tailor:v2:<namespace>:{<variant key>}:builds  how many builds it took
//! ```
//!
//! `v2` is the value format ([`super::FORMAT_VERSION`]); the namespace
//! names tailor's and LLVM's versions and the host target (triple, cpu and
//! a digest of the features), so engines of another build or CPU never
//! share a value. The variant key hashes all of that again.
//!
//! Every value is sealed under the fleet key ([`super::seal`]); one that
//! fails its check, is corrupt or is foreign is deleted, counted and
//! reported, never loaded. Every operation has a deadline in milliseconds,
//! and a circuit breaker stops asking a Redis that keeps failing until a
//! probe finds it back: an engine never waits on Redis past the deadline,
//! never fails a request because of it, and starts without it.

use super::disk::{self, ReadError};
use super::seal::{FleetKey, TAG_LEN};
use super::variant::{Variant, VariantKey};
use super::CacheNotice;
use crate::target::Target;
use crate::transform::log::StepRecord;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What an engine shares with its fleet: the key that seals values (on
/// disk too), and the Redis that holds them. A key without Redis seals the
/// disk tier only; Redis without a key is refused (anyone who can write
/// Redis could then choose the code every engine runs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetSetup {
    pub key: Option<FleetKey>,
    pub redis: Option<RedisConfig>,
}

/// Where the fleet's Redis is and how long to give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// `redis://host:port/db` (or `rediss://`, `redis+unix://`).
    pub url: String,
    /// Each Redis operation's deadline.
    pub timeout: Duration,
    /// A build lease's lifetime; renewed while the build runs, so a builder
    /// that dies frees its key after at most this long.
    pub lease: Duration,
    /// How long values live in Redis (`None`: until Redis evicts them).
    pub ttl: Option<Duration>,
}

impl RedisConfig {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(100);
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(10);
    pub const DEFAULT_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

    pub fn new(url: &str) -> RedisConfig {
        RedisConfig {
            url: url.to_owned(),
            timeout: Self::DEFAULT_TIMEOUT,
            lease: Self::DEFAULT_LEASE,
            ttl: Some(Self::DEFAULT_TTL),
        }
    }
}

/// Why a fleet operation did not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FleetError {
    #[error("Redis did not answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    #[error("Redis: {0}")]
    Redis(String),
    /// The breaker is open: Redis failed recently and is not asked until
    /// the next probe.
    #[error("Redis is unavailable (circuit open); the local tiers serve")]
    Open,
}

/// The breaker's state, as `/metrics` and `tailor cache ls` show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Redis is asked.
    #[default]
    Closed,
    /// Redis failed; asked again only by a probe.
    Open,
}

/// Consecutive failures that open the breaker.
const OPEN_AFTER: u32 = 3;
/// The first wait before a probe; doubled per failed probe up to
/// [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct Breaker {
    state: BreakerState,
    failures: u32,
    backoff: Duration,
    /// When the next probe may go (while open).
    probe_at: Instant,
    /// A probe is out: other calls still fail fast.
    probing: bool,
}

/// What a call's outcome did to the breaker.
enum Transition {
    Opened,
    Closed,
}

impl Breaker {
    fn new() -> Breaker {
        Breaker {
            state: BreakerState::Closed,
            failures: 0,
            backoff: MIN_BACKOFF,
            probe_at: Instant::now(),
            probing: false,
        }
    }

    /// Whether a call may go to Redis now.
    fn admit(&mut self, now: Instant) -> bool {
        match self.state {
            BreakerState::Closed => true,
            BreakerState::Open if !self.probing && now >= self.probe_at => {
                self.probing = true;
                true
            }
            BreakerState::Open => false,
        }
    }

    fn succeeded(&mut self) -> Option<Transition> {
        self.failures = 0;
        self.probing = false;
        self.backoff = MIN_BACKOFF;
        (self.state == BreakerState::Open).then(|| {
            self.state = BreakerState::Closed;
            Transition::Closed
        })
    }

    fn failed(&mut self, now: Instant) -> Option<Transition> {
        self.failures = self.failures.saturating_add(1);
        match self.state {
            BreakerState::Closed if self.failures >= OPEN_AFTER => {
                self.state = BreakerState::Open;
                self.probe_at = now + self.backoff;
                Some(Transition::Opened)
            }
            BreakerState::Closed => None,
            BreakerState::Open => {
                // A failed probe: wait longer before the next.
                self.probing = false;
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                self.probe_at = now + self.backoff;
                None
            }
        }
    }
}

/// Counters since the engine started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetStats {
    pub hits: u64,
    pub misses: u64,
    /// Variants this engine published.
    pub published: u64,
    /// Values refused (forged, corrupt or foreign) and deleted.
    pub refused: u64,
    /// Operations that failed or timed out (not counting fast refusals of
    /// an open breaker).
    pub errors: u64,
    /// Builds this engine led under a lease.
    pub leases_won: u64,
    /// Misses another engine was already building.
    pub leases_lost: u64,
    /// Builds of a key the fleet had built before (the lease expired, or
    /// Redis was out): the cost the leases exist to avoid.
    pub duplicate_builds: u64,
    pub breaker: BreakerState,
    /// Times the breaker opened.
    pub outages: u64,
    /// The last failure, for people.
    pub last_error: Option<String>,
    /// What the Redis server's configuration means for the tier (checked
    /// at connect and when Redis comes back).
    pub warnings: Vec<String>,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    published: AtomicU64,
    refused: AtomicU64,
    errors: AtomicU64,
    leases_won: AtomicU64,
    leases_lost: AtomicU64,
    duplicate_builds: AtomicU64,
    outages: AtomicU64,
}

struct Inner {
    conn: ConnectionManager,
    handle: tokio::runtime::Handle,
    key: FleetKey,
    timeout: Duration,
    lease: Duration,
    ttl: Option<Duration>,
    prefix: String,
    /// Names this engine's leases: host, pid and a random part.
    owner: String,
    breaker: Mutex<Breaker>,
    counters: Counters,
    last_error: Mutex<Option<String>>,
    warnings: Mutex<Vec<String>>,
}

/// The client of one fleet. Cheap to share: every method takes `&self`.
pub struct Fleet {
    inner: Arc<Inner>,
    /// The tier's own runtime (one thread): the engine's callers are
    /// synchronous, and may themselves run on another runtime's threads.
    runtime: Option<tokio::runtime::Runtime>,
}

/// The IR half of a variant, stored apart from the hot half.
#[derive(Debug, Serialize, Deserialize)]
struct Cold {
    optimized_ir: String,
    steps: Vec<StepRecord>,
}

const IR_MAGIC: &[u8; 8] = b"TAILORIR";
const IR_DOMAIN: &str = "tailor ir";

/// Lease renewal and release: only the owner may extend or free it.
const RENEW: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then \
     return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const RELEASE: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then \
     return redis.call('del', KEYS[1]) else return 0 end";

/// The namespace of engines that may share values: same format, same
/// tailor and LLVM, same target.
pub fn namespace(host: &Target) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    let features = crate::kernel::hex(&Sha256::digest(host.features.as_bytes()));
    format!(
        "{}:{}:{}:{}",
        clean(crate::target::build_id()).to_ascii_lowercase(),
        clean(&host.triple),
        clean(&host.cpu),
        &features[..8]
    )
}

fn cold_of(variant: &Variant) -> Cold {
    Cold {
        optimized_ir: variant.optimized_ir.clone(),
        steps: variant.steps.clone(),
    }
}

/// The hot half: the variant with its IR and step log moved out.
fn hot_of(variant: &Variant) -> Variant {
    Variant {
        optimized_ir: String::new(),
        steps: Vec::new(),
        object: variant.object.clone(),
        ..variant.clone()
    }
}

fn seal_cold(fleet: &FleetKey, key: &VariantKey, cold: &Cold) -> Result<Vec<u8>, String> {
    let json = serde_json::to_vec(cold).map_err(|e| format!("IR JSON: {e}"))?;
    let mut out = Vec::with_capacity(IR_MAGIC.len() + TAG_LEN + json.len());
    out.extend_from_slice(IR_MAGIC);
    out.extend_from_slice(&fleet.tag(IR_DOMAIN, &key.0, &[&json]));
    out.extend_from_slice(&json);
    Ok(out)
}

fn open_cold(fleet: &FleetKey, key: &VariantKey, bytes: &[u8]) -> Result<Cold, String> {
    let head = IR_MAGIC.len() + TAG_LEN;
    if bytes.len() < head || &bytes[..IR_MAGIC.len()] != IR_MAGIC {
        return Err("not a tailor IR value".into());
    }
    let (tag, json) = (&bytes[IR_MAGIC.len()..head], &bytes[head..]);
    if !fleet.verify(IR_DOMAIN, &key.0, &[json], tag) {
        return Err("fails the fleet key check".into());
    }
    serde_json::from_slice(json).map_err(|e| format!("IR JSON does not parse: {e}"))
}

/// A build this engine leads for the fleet: renewed while it lives, freed
/// when dropped (or, if the engine dies, when it expires).
pub struct Lease {
    inner: Arc<Inner>,
    key: String,
    renewer: tokio::task::AbortHandle,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewer.abort();
        let mut conn = self.inner.conn.clone();
        let (key, owner) = (self.key.clone(), self.inner.owner.clone());
        let timeout = self.inner.timeout;
        // Not waited for: a release that fails leaves a lease that expires.
        self.inner.handle.spawn(async move {
            let _ = tokio::time::timeout(
                timeout,
                redis::cmd("EVAL")
                    .arg(RELEASE)
                    .arg(1)
                    .arg(&key)
                    .arg(&owner)
                    .query_async::<i64>(&mut conn),
            )
            .await;
        });
    }
}

/// What a lease attempt found.
pub enum Claim {
    /// This engine builds the key.
    Won(Lease),
    /// Another engine is building it (its lease names it).
    Taken { holder: String },
}

impl Fleet {
    /// A client for the fleet at `config.url`. Does not wait for Redis
    /// (the connection is made on first use and remade when lost) beyond
    /// one bounded look at its configuration; a Redis that is down now is
    /// a warning, not an error.
    pub fn new(
        config: &RedisConfig,
        key: FleetKey,
        host: &Target,
    ) -> Result<(Fleet, Vec<CacheNotice>), String> {
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| format!("Redis URL `{}`: {e}", config.url))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("tailor-fleet")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the fleet tier's runtime: {e}"))?;
        let manager = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.timeout))
            .set_response_timeout(Some(config.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = {
            let _entered = runtime.enter();
            ConnectionManager::new_lazy_with_config(client, manager)
                .map_err(|e| format!("Redis at {}: {e}", config.url))?
        };
        let random: u64 = {
            let mut b = [0u8; 8];
            let _ = getrandom(&mut b);
            u64::from_le_bytes(b)
        };
        let host_name = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "host".into());
        let inner = Arc::new(Inner {
            conn,
            handle: runtime.handle().clone(),
            key,
            timeout: config.timeout,
            lease: config.lease,
            ttl: config.ttl,
            prefix: format!("tailor:v{}:{}", super::FORMAT_VERSION, namespace(host)),
            owner: format!("{host_name}:{}:{random:016x}", std::process::id()),
            breaker: Mutex::new(Breaker::new()),
            counters: Counters::default(),
            last_error: Mutex::new(None),
            warnings: Mutex::new(Vec::new()),
        });
        let fleet = Fleet {
            inner,
            runtime: Some(runtime),
        };
        let mut notices = Vec::new();
        fleet.check_server(&mut notices);
        Ok((fleet, notices))
    }

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `tailor:v2:<namespace>:{<key>}:<kind>`.
    fn redis_key(&self, key: &VariantKey, kind: &str) -> String {
        format!("{}:{{{}}}:{kind}", self.inner.prefix, key.0)
    }

    /// Values' lifetime in Redis, in milliseconds (`None`: until evicted).
    fn ttl_ms(&self) -> Option<u64> {
        self.inner.ttl.map(|t| t.as_millis().max(1) as u64)
    }

    /// The prefix every key of this engine's namespace starts with.
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// Runs one Redis operation on the tier's runtime and waits for it at
    /// most the deadline; the breaker decides whether it is tried at all,
    /// and hears how it went.
    fn call<T, F>(
        &self,
        notices: &mut Vec<CacheNotice>,
        op: impl FnOnce(ConnectionManager) -> F,
    ) -> Result<T, FleetError>
    where
        T: Send + 'static,
        F: Future<Output = redis::RedisResult<T>> + Send + 'static,
    {
        let inner = &self.inner;
        if !Self::lock(&inner.breaker).admit(Instant::now()) {
            return Err(FleetError::Open);
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let fut = op(inner.conn.clone());
        let timeout = inner.timeout;
        inner.handle.spawn(async move {
            let _ = tx.send(tokio::time::timeout(timeout, fut).await);
        });
        // A little slack over the runtime's own deadline, so the answer
        // that made it in time is not lost to scheduling.
        let result = match rx.recv_timeout(timeout + Duration::from_millis(20)) {
            Ok(Ok(Ok(v))) => Ok(v),
            Ok(Ok(Err(e))) => Err(FleetError::Redis(e.to_string())),
            Ok(Err(_)) | Err(_) => Err(FleetError::Timeout(timeout)),
        };
        let now = Instant::now();
        let transition = match &result {
            Ok(_) => Self::lock(&inner.breaker).succeeded(),
            Err(e) => {
                inner.counters.errors.fetch_add(1, Ordering::Relaxed);
                *Self::lock(&inner.last_error) = Some(e.to_string());
                Self::lock(&inner.breaker).failed(now)
            }
        };
        match transition {
            Some(Transition::Opened) => {
                inner.counters.outages.fetch_add(1, Ordering::Relaxed);
                let reason = result
                    .as_ref()
                    .err()
                    .map_or_else(String::new, |e| e.to_string());
                notices.push(CacheNotice::FleetDown { reason });
            }
            Some(Transition::Closed) => {
                notices.push(CacheNotice::FleetBack);
                self.check_server(notices);
            }
            None => {}
        }
        result
    }

    /// The variant under `key`, with its IR when that value is there too;
    /// a refused value is deleted and reported, and counts as a miss.
    pub fn get(
        &self,
        key: &VariantKey,
        notices: &mut Vec<CacheNotice>,
    ) -> Result<Option<Variant>, FleetError> {
        let (hot_key, ir_key) = (self.redis_key(key, "hot"), self.redis_key(key, "ir"));
        let keys = (hot_key.clone(), ir_key.clone());
        let (hot, ir): (Option<Vec<u8>>, Option<Vec<u8>>) =
            self.call(notices, |mut c| async move {
                redis::pipe()
                    .cmd("GET")
                    .arg(&keys.0)
                    .cmd("GET")
                    .arg(&keys.1)
                    .query_async(&mut c)
                    .await
            })?;
        let counters = &self.inner.counters;
        let Some(hot) = hot else {
            counters.misses.fetch_add(1, Ordering::Relaxed);
            return Ok(None);
        };
        let mut variant = match disk::decode(&hot, key, Some(&self.inner.key)) {
            Ok(v) => v,
            Err(e) => {
                let reason = match e {
                    ReadError::Corrupt(r) => r,
                    ReadError::Foreign(build) => format!("built by {build}"),
                    ReadError::Missing => "empty".into(),
                    ReadError::Io(e) => e.to_string(),
                };
                self.refuse(key, &[hot_key, ir_key], reason, notices);
                counters.misses.fetch_add(1, Ordering::Relaxed);
                return Ok(None);
            }
        };
        if let Some(ir) = ir {
            match open_cold(&self.inner.key, key, &ir) {
                Ok(cold) => {
                    variant.optimized_ir = cold.optimized_ir;
                    variant.steps = cold.steps;
                }
                // The hot half stands on its own: serve it without IR.
                Err(reason) => self.refuse(key, &[ir_key], format!("its IR {reason}"), notices),
            }
        }
        counters.hits.fetch_add(1, Ordering::Relaxed);
        Ok(Some(variant))
    }

    fn refuse(
        &self,
        key: &VariantKey,
        keys: &[String],
        reason: String,
        notices: &mut Vec<CacheNotice>,
    ) {
        self.inner.counters.refused.fetch_add(1, Ordering::Relaxed);
        let keys = keys.to_vec();
        // Deleted best-effort: a failure leaves it to be refused again.
        let _ = self.call(notices, |mut c| async move {
            redis::cmd("DEL")
                .arg(&keys)
                .query_async::<i64>(&mut c)
                .await
        });
        notices.push(CacheNotice::FleetRefused {
            key: key.clone(),
            reason,
        });
    }

    /// Publishes a variant: the hot half and the IR half, sealed.
    pub fn put(&self, variant: &Variant, notices: &mut Vec<CacheNotice>) -> Result<(), FleetError> {
        let fleet = &self.inner.key;
        let hot = disk::encode(&hot_of(variant), Some(fleet)).map_err(FleetError::Redis)?;
        let cold = seal_cold(fleet, &variant.key, &cold_of(variant)).map_err(FleetError::Redis)?;
        let (hot_key, ir_key) = (
            self.redis_key(&variant.key, "hot"),
            self.redis_key(&variant.key, "ir"),
        );
        let ttl = self.ttl_ms();
        self.call(notices, |mut c| async move {
            let mut p = redis::pipe();
            for (k, v) in [(&hot_key, &hot), (&ir_key, &cold)] {
                let cmd = p.cmd("SET").arg(k).arg(v.as_slice());
                if let Some(ms) = ttl {
                    cmd.arg("PX").arg(ms);
                }
                cmd.ignore();
            }
            p.query_async::<()>(&mut c).await
        })?;
        self.inner
            .counters
            .published
            .fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Deletes a key's values (an administrator removing a variant removes
    /// it for the fleet).
    pub fn remove(
        &self,
        key: &VariantKey,
        notices: &mut Vec<CacheNotice>,
    ) -> Result<bool, FleetError> {
        let keys = vec![self.redis_key(key, "hot"), self.redis_key(key, "ir")];
        let n: i64 = self.call(notices, |mut c| async move {
            redis::cmd("DEL").arg(&keys).query_async(&mut c).await
        })?;
        Ok(n > 0)
    }

    /// Tries to become the one engine building `key` (`SET NX PX`). The
    /// lease is renewed every third of its life until dropped.
    pub fn claim(
        &self,
        key: &VariantKey,
        notices: &mut Vec<CacheNotice>,
    ) -> Result<Claim, FleetError> {
        let lease_key = self.redis_key(key, "lease");
        let (k, owner) = (lease_key.clone(), self.inner.owner.clone());
        let ms = self.inner.lease.as_millis().max(1) as u64;
        let (set, holder): (Option<String>, Option<String>) =
            self.call(notices, |mut c| async move {
                redis::pipe()
                    .cmd("SET")
                    .arg(&k)
                    .arg(&owner)
                    .arg("NX")
                    .arg("PX")
                    .arg(ms)
                    .cmd("GET")
                    .arg(&k)
                    .query_async(&mut c)
                    .await
            })?;
        let counters = &self.inner.counters;
        if set.is_none() {
            counters.leases_lost.fetch_add(1, Ordering::Relaxed);
            return Ok(Claim::Taken {
                holder: holder.unwrap_or_else(|| "another engine".into()),
            });
        }
        counters.leases_won.fetch_add(1, Ordering::Relaxed);
        let inner = self.inner.clone();
        let renew_key = lease_key.clone();
        let renewer = self
            .inner
            .handle
            .spawn(async move {
                let every = inner.lease / 3;
                loop {
                    tokio::time::sleep(every).await;
                    let mut c = inner.conn.clone();
                    let renewed = tokio::time::timeout(
                        inner.timeout,
                        redis::cmd("EVAL")
                            .arg(RENEW)
                            .arg(1)
                            .arg(&renew_key)
                            .arg(&inner.owner)
                            .arg(ms)
                            .query_async::<i64>(&mut c),
                    )
                    .await;
                    // Lost (expired and taken by another): stop renewing;
                    // the build goes on and publishes the same value.
                    if matches!(renewed, Ok(Ok(0))) {
                        break;
                    }
                }
            })
            .abort_handle();
        Ok(Claim::Won(Lease {
            inner: self.inner.clone(),
            key: lease_key,
            renewer,
        }))
    }

    /// Whether a lease on `key` is held (by anyone) and whether its value
    /// is there, in one round trip.
    pub fn progress(
        &self,
        key: &VariantKey,
        notices: &mut Vec<CacheNotice>,
    ) -> Result<(bool, bool), FleetError> {
        let (lease, hot) = (self.redis_key(key, "lease"), self.redis_key(key, "hot"));
        self.call(notices, |mut c| async move {
            redis::pipe()
                .cmd("EXISTS")
                .arg(&lease)
                .cmd("EXISTS")
                .arg(&hot)
                .query_async(&mut c)
                .await
        })
    }

    /// Counts a build of `key` across the fleet; the count so far (above 1:
    /// a duplicate build, counted as such).
    pub fn count_build(
        &self,
        key: &VariantKey,
        notices: &mut Vec<CacheNotice>,
    ) -> Result<u64, FleetError> {
        let k = self.redis_key(key, "builds");
        let ttl = self.ttl_ms();
        let (n,): (u64,) = self.call(notices, |mut c| async move {
            let mut p = redis::pipe();
            p.cmd("INCR").arg(&k);
            if let Some(ms) = ttl {
                p.cmd("PEXPIRE").arg(&k).arg(ms).ignore();
            }
            p.query_async(&mut c).await
        })?;
        if n > 1 {
            self.inner
                .counters
                .duplicate_builds
                .fetch_add(1, Ordering::Relaxed);
        }
        Ok(n)
    }

    /// How many builds the fleet has counted for `key`.
    pub fn builds_of(
        &self,
        key: &VariantKey,
        notices: &mut Vec<CacheNotice>,
    ) -> Result<u64, FleetError> {
        let k = self.redis_key(key, "builds");
        let n: Option<u64> = self.call(notices, |mut c| async move {
            redis::cmd("GET").arg(&k).query_async(&mut c).await
        })?;
        Ok(n.unwrap_or(0))
    }

    /// Reads the server's eviction settings and records what they mean:
    /// a Redis that refuses writes when full (`noeviction`) or may grow
    /// without bound (`maxmemory 0`) is a warning, as is one that cannot
    /// be asked (down, or `CONFIG` renamed away).
    fn check_server(&self, notices: &mut Vec<CacheNotice>) {
        // Asked directly, not through `call`: a failed look at the
        // configuration says nothing the breaker needs to hear.
        let mut conn = self.inner.conn.clone();
        let timeout = self.inner.timeout;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.inner.handle.spawn(async move {
            let r = tokio::time::timeout(
                timeout,
                redis::pipe()
                    .cmd("CONFIG")
                    .arg("GET")
                    .arg("maxmemory")
                    .cmd("CONFIG")
                    .arg("GET")
                    .arg("maxmemory-policy")
                    .query_async::<(Vec<String>, Vec<String>)>(&mut conn),
            )
            .await;
            let _ = tx.send(r);
        });
        let warnings = match rx.recv_timeout(timeout + Duration::from_millis(20)) {
            Ok(Ok(Ok((memory, policy)))) => {
                let memory = memory.get(1).and_then(|m| m.parse::<u64>().ok());
                let policy = policy.get(1).cloned().unwrap_or_default();
                server_warnings(memory, &policy, self.inner.ttl.is_some())
            }
            Ok(Ok(Err(e))) => vec![format!(
                "cannot read Redis's eviction settings ({e}); make sure maxmemory is set and maxmemory-policy is allkeys-lru"
            )],
            _ => vec![format!(
                "Redis did not answer within {} ms at start; the local tiers serve until it does",
                timeout.as_millis()
            )],
        };
        for w in &warnings {
            notices.push(CacheNotice::FleetWarning { message: w.clone() });
        }
        *Self::lock(&self.inner.warnings) = warnings;
    }

    /// The server's memory and evictions (`INFO`), when it answers.
    pub fn server(&self) -> Option<ServerInfo> {
        let text: String = self
            .call(&mut Vec::new(), |mut c| async move {
                let memory: String = redis::cmd("INFO").arg("memory").query_async(&mut c).await?;
                let stats: String = redis::cmd("INFO").arg("stats").query_async(&mut c).await?;
                Ok(format!("{memory}\n{stats}"))
            })
            .ok()?;
        Some(ServerInfo::parse(&text))
    }

    pub fn stats(&self) -> FleetStats {
        let c = &self.inner.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        FleetStats {
            hits: get(&c.hits),
            misses: get(&c.misses),
            published: get(&c.published),
            refused: get(&c.refused),
            errors: get(&c.errors),
            leases_won: get(&c.leases_won),
            leases_lost: get(&c.leases_lost),
            duplicate_builds: get(&c.duplicate_builds),
            breaker: Self::lock(&self.inner.breaker).state,
            outages: get(&c.outages),
            last_error: Self::lock(&self.inner.last_error).clone(),
            warnings: Self::lock(&self.inner.warnings).clone(),
        }
    }
}

/// The Redis server's side of the tier: its memory and its evictions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub used_memory: u64,
    /// 0: no limit.
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    /// Keys Redis evicted since it started (all users of the server).
    pub evicted_keys: u64,
}

impl ServerInfo {
    fn parse(text: &str) -> ServerInfo {
        let mut info = ServerInfo::default();
        for line in text.lines() {
            let Some((k, v)) = line.trim().split_once(':') else {
                continue;
            };
            match k {
                "used_memory" => info.used_memory = v.parse().unwrap_or(0),
                "maxmemory" => info.maxmemory = v.parse().unwrap_or(0),
                "maxmemory_policy" => info.maxmemory_policy = v.to_owned(),
                "evicted_keys" => info.evicted_keys = v.parse().unwrap_or(0),
                _ => {}
            }
        }
        info
    }
}

/// What a server's `maxmemory` and `maxmemory-policy` mean for the tier.
pub(crate) fn server_warnings(maxmemory: Option<u64>, policy: &str, ttl: bool) -> Vec<String> {
    let mut out = Vec::new();
    if maxmemory == Some(0) {
        out.push(
            "Redis has no maxmemory: it grows until the machine runs out; set maxmemory and maxmemory-policy allkeys-lru".to_owned(),
        );
    }
    match policy {
        "allkeys-lru" | "allkeys-lfu" | "allkeys-random" => {}
        "volatile-lru" | "volatile-lfu" | "volatile-random" | "volatile-ttl" if ttl => {}
        "noeviction" => out.push(
            "Redis's maxmemory-policy is noeviction: when full it refuses writes instead of evicting, and no new variant is shared; use allkeys-lru".to_owned(),
        ),
        other => out.push(format!(
            "Redis's maxmemory-policy is `{other}`; the fleet tier expects allkeys-lru"
        )),
    }
    out
}

/// Random bytes from the kernel (a lease owner's name must not repeat
/// across restarts of one pid).
fn getrandom(buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(buf)
}

impl Drop for Fleet {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which a caller on another runtime's
        // thread may not do; the tier's tasks are all best-effort.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_after_failures_and_closes_when_a_probe_succeeds() {
        let mut b = Breaker::new();
        let t0 = Instant::now();
        assert!(b.admit(t0));
        assert!(b.failed(t0).is_none());
        assert!(b.failed(t0).is_none());
        assert!(matches!(b.failed(t0), Some(Transition::Opened)));
        assert!(!b.admit(t0), "open: calls fail fast");
        let later = t0 + MIN_BACKOFF;
        assert!(b.admit(later), "one probe after the backoff");
        assert!(!b.admit(later), "only one probe at a time");
        assert!(b.failed(later).is_none(), "a failed probe keeps it open");
        assert!(!b.admit(later + MIN_BACKOFF), "the backoff doubled");
        let probe = later + MIN_BACKOFF * 2;
        assert!(b.admit(probe));
        assert!(matches!(b.succeeded(), Some(Transition::Closed)));
        assert!(b.admit(probe));
        assert_eq!(b.state, BreakerState::Closed);
        assert_eq!(b.backoff, MIN_BACKOFF);
    }

    #[test]
    fn server_info_reads_memory_and_evictions() {
        let info = ServerInfo::parse(
            "# Memory\r\nused_memory:1048576\r\nmaxmemory:268435456\r\nmaxmemory_policy:allkeys-lru\r\n# Stats\r\nevicted_keys:12\r\n",
        );
        assert_eq!(info.used_memory, 1 << 20);
        assert_eq!(info.maxmemory, 256 << 20);
        assert_eq!(info.maxmemory_policy, "allkeys-lru");
        assert_eq!(info.evicted_keys, 12);
    }

    #[test]
    fn a_redis_that_would_refuse_writes_is_a_warning() {
        assert!(server_warnings(Some(1 << 30), "allkeys-lru", true).is_empty());
        assert!(server_warnings(Some(1 << 30), "volatile-lru", true).is_empty());
        let w = server_warnings(Some(1 << 30), "noeviction", true);
        assert!(w[0].contains("refuses writes"), "{w:?}");
        let w = server_warnings(Some(0), "allkeys-lru", true);
        assert!(w[0].contains("no maxmemory"), "{w:?}");
        assert_eq!(server_warnings(Some(1), "volatile-ttl", false).len(), 1);
    }

    #[test]
    fn the_ir_half_is_sealed_to_its_key() {
        let fleet = FleetKey::new("a fleet key of enough length").unwrap();
        let cold = Cold {
            optimized_ir: "define i32 @f() { ret i32 0 }".into(),
            steps: Vec::new(),
        };
        let a = VariantKey("aa".repeat(32));
        let b = VariantKey("bb".repeat(32));
        let sealed = seal_cold(&fleet, &a, &cold).unwrap();
        assert!(open_cold(&fleet, &a, &sealed).is_ok());
        assert!(open_cold(&fleet, &b, &sealed)
            .unwrap_err()
            .contains("fleet key"));
        let mut flipped = sealed.clone();
        let last = flipped.len() - 2;
        flipped[last] ^= 1;
        assert!(open_cold(&fleet, &a, &flipped).is_err());
        assert!(open_cold(&fleet, &a, b"short").is_err());
    }
}
