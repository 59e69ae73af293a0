//! The variant cache (DESIGN §5): compiled variants by [`VariantKey`], an
//! in-memory LRU under an entry and a byte budget, over an optional on-disk
//! tier that survives restarts.
//!
//! A hit runs no transform and no codegen. A variant verification rejected
//! is cached too (as [`Verification::Rejected`]) so a request with its key
//! goes straight to the generic build instead of rebuilding it.
//!
//! The disk tier holds one file per key (see [`disk`] for the layout),
//! written atomically and checked (magic, [`FORMAT_VERSION`], lengths,
//! SHA-256, JSON, key) on every read; a file that fails is removed and
//! reported, never loaded. Memory budgets bound the memory tier only; an
//! entry evicted from memory stays on disk.
//!
//! Hit counts and last use are cache metadata, not part of a [`Variant`]:
//! they live in the memory entry and are persisted best-effort to a
//! `<key>.stats` sidecar when the entry leaves memory, on [`VariantCache::flush`]
//! and when the cache is dropped.
//!
//! Behind both, an optional fleet tier ([`fleet`]) shares variants with
//! other engines through Redis: a local miss looks there before building,
//! a Redis hit is kept in both local tiers, and every `put` is published.
//! With a fleet key ([`seal`]) every disk file and Redis value is
//! authenticated; one that fails is removed and reported, never loaded.
//!
//! `get` takes a key only: a variant built for another target is never
//! returned because the key hashes the target ([`VariantKey::new`]); the
//! file header records the target as well, for `tailor cache ls` and as a
//! consistency check.

pub mod disk;
pub mod fleet;
pub mod seal;
pub mod variant;

#[cfg(test)]
mod tests;

pub use disk::FORMAT_VERSION;
pub use fleet::{Fleet, FleetSetup, FleetStats, RedisConfig};
pub use seal::FleetKey;
pub use variant::{Timed, Variant, VariantKey, Verification};

use crate::profile::Plan;
use crate::target::build_id;
use disk::{now_secs, ReadError, UseStats};
use lru::LruCache;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// Budgets and where the disk tier lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// Variants held in memory at most.
    pub max_entries: usize,
    /// Bytes ([`Variant::size`]) held in memory at most.
    pub max_bytes: usize,
    /// The disk tier's directory; `None` keeps the cache in memory only.
    pub dir: Option<PathBuf>,
    /// Bytes of variant files the disk tier holds at most; past it the
    /// least recently used files are removed.
    pub disk_max_bytes: u64,
}

impl CacheConfig {
    /// `$TAILOR_CACHE_DIR`, else `$XDG_CACHE_HOME/tailor/variants`, else
    /// `$HOME/.cache/tailor/variants`; `None` when none is set.
    pub fn default_dir() -> Option<PathBuf> {
        default_dir_from(|name| std::env::var_os(name))
    }
}

/// [`CacheConfig::default_dir`] over any environment, so tests need not
/// change the process's (shared by every test thread).
pub(crate) fn default_dir_from(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let set = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = set("TAILOR_CACHE_DIR") {
        return Some(dir);
    }
    // The XDG spec says a relative value is invalid and must be ignored.
    if let Some(xdg) = set("XDG_CACHE_HOME").filter(|p| p.is_absolute()) {
        return Some(xdg.join("tailor").join("variants"));
    }
    set("HOME").map(|home| home.join(".cache").join("tailor").join("variants"))
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            max_entries: 256,
            max_bytes: 256 << 20,
            dir: CacheConfig::default_dir(),
            disk_max_bytes: DEFAULT_DISK_BYTES,
        }
    }
}

/// The disk tier's default budget.
pub const DEFAULT_DISK_BYTES: u64 = 4 << 30;

/// Counters since the cache was made, and what memory holds now.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CacheStats {
    /// `get`s answered, from either tier (`disk_hits` are among them).
    pub hits: u64,
    pub misses: u64,
    /// `put`s stored in at least one tier.
    pub insertions: u64,
    /// Entries pushed out of memory by a budget.
    pub evictions: u64,
    /// `put`s of variants whose verification is `Rejected`.
    pub rejections: u64,
    pub disk_hits: u64,
    /// Hits the fleet tier (Redis) answered.
    #[serde(default)]
    pub fleet_hits: u64,
    /// Disk files refused and removed.
    pub corrupt: u64,
    /// Entries in memory.
    pub entries: usize,
    /// Bytes in memory.
    pub bytes: usize,
    /// Variant files removed from disk by its byte budget.
    #[serde(default)]
    pub disk_evictions: u64,
    /// Bytes of variant files on disk (as this cache counted them).
    #[serde(default)]
    pub disk_bytes: u64,
}

/// Where a `get` found its variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Memory,
    Disk,
    /// The fleet tier: built by another engine, found in Redis.
    Redis,
}

/// Something the cache noticed that a user should hear about (the engine
/// turns these into events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheNotice {
    /// A disk file failed its checks and was removed.
    Corrupt {
        key: VariantKey,
        path: PathBuf,
        reason: String,
    },
    /// Pushed out of memory by a budget (still on disk if the tier is on).
    Evicted { key: VariantKey },
    /// Removed from disk by the disk tier's byte budget.
    DiskEvicted { key: VariantKey },
    /// The disk tier could not be read or written; the cache went on
    /// without it for this operation.
    DiskError { path: PathBuf, reason: String },
    /// A fleet value failed its checks (forged, corrupt, foreign) and was
    /// deleted from Redis.
    FleetRefused { key: VariantKey, reason: String },
    /// Redis kept failing: the breaker opened and the local tiers serve.
    FleetDown { reason: String },
    /// Redis answered a probe: the fleet tier is back.
    FleetBack,
    /// An operation on Redis failed; this request went on without it.
    FleetError { reason: String },
    /// Something about the Redis server the tier relies on (eviction
    /// settings, not reachable at start).
    FleetWarning { message: String },
}

/// One cached variant as `tailor cache ls` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryInfo {
    pub key: VariantKey,
    pub kernel_name: String,
    /// The kernel's content hash (empty for a disk entry written before
    /// the meta kept it): a variant and its generic build share it.
    #[serde(default)]
    pub kernel_hash: String,
    pub entry: String,
    pub profile: String,
    pub plan_summary: String,
    /// [`Variant::size`].
    pub size: usize,
    pub hits: u64,
    /// Seconds since the Unix epoch (the build time if never used).
    pub last_use: u64,
    pub verification: Verification,
    /// The guard's timing against generic, if it was timed.
    pub timed: Option<Timed>,
    pub in_memory: bool,
    pub on_disk: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot create the cache directory {path}: {problem}")]
    CreateDir { path: PathBuf, problem: String },
    #[error("{path}: {problem}")]
    Io { path: PathBuf, problem: String },
    #[error("`{prefix}` is not a variant key prefix: {problem}")]
    BadPrefix { prefix: String, problem: String },
    #[error("no cached variant has a key starting with `{prefix}`")]
    NotFound { prefix: String },
    #[error("`{prefix}` is ambiguous: {count} cached variants start with it ({})", candidates.join(", "))]
    Ambiguous {
        prefix: String,
        count: usize,
        /// The first few matching keys, shortened.
        candidates: Vec<String>,
    },
    #[error(
        "cached variant {key} was built by {build}, not by this {ours}; it is left for that build"
    )]
    Foreign {
        key: VariantKey,
        build: String,
        ours: String,
    },
    #[error("{path}: cached variant {key} is corrupt and was removed: {reason}")]
    Corrupt {
        key: VariantKey,
        path: PathBuf,
        reason: String,
    },
}

/// The shortest prefix `load` accepts: shorter ones are almost always
/// ambiguous and more likely a typo.
pub const MIN_PREFIX: usize = 4;

/// A memory entry: the variant and its cache metadata.
struct Entry {
    variant: Arc<Variant>,
    size: usize,
    use_stats: UseStats,
    /// `use_stats` changed since it was last written to the sidecar.
    dirty: bool,
    /// A file for it was written or read by this cache.
    on_disk: bool,
}

/// The memory tier and the counters, behind one lock that is held only
/// for O(1) work (an LRU lookup, a push, the evictions a push causes):
/// disk reads, checksums, writes and fsyncs happen outside it.
struct Memory {
    /// Unbounded: the budgets are two-dimensional, so they are enforced here
    /// rather than by the crate's single capacity.
    lru: LruCache<VariantKey, Entry>,
    bytes: usize,
    stats: CacheStats,
}

/// Use statistics to write to sidecars once the lock is released.
type Persist = Vec<(VariantKey, UseStats)>;

/// The variant cache: a cheap-to-share object (`&self` everywhere) that many
/// requests use at once.
pub struct VariantCache {
    config: CacheConfig,
    memory: Mutex<Memory>,
    /// Seals disk files and checks them (and is the fleet's key).
    seal: Option<FleetKey>,
    /// Bytes of variant files on disk, counted at start and kept up to
    /// date by this cache's writes and removals (another process sharing
    /// the directory makes it an estimate, corrected by each sweep).
    disk_bytes: std::sync::atomic::AtomicU64,
    /// One sweep of the disk tier at a time.
    sweeping: Mutex<()>,
    fleet: Option<Fleet>,
}

/// The plan in one line, as `tailor cache ls` shows it:
/// `bind specialize(n=1000) -> finish default<O3>`.
pub(crate) fn plan_summary(plan: &Plan) -> String {
    let mut steps: Vec<String> = plan
        .steps
        .iter()
        .map(|s| {
            let params = s.step.summary();
            if params.is_empty() {
                format!("{} {}", s.node, s.step.kind())
            } else {
                format!("{} {}({params})", s.node, s.step.kind())
            }
        })
        .collect();
    if plan.finish != "none" {
        steps.push(format!("finish {}", plan.finish));
    }
    steps.join(" -> ")
}

impl VariantCache {
    /// Makes the cache, creating the disk tier's directory and removing
    /// temporary files crashed writers left in it.
    pub fn new(config: CacheConfig) -> Result<VariantCache, CacheError> {
        if let Some(dir) = &config.dir {
            std::fs::create_dir_all(dir).map_err(|e| CacheError::CreateDir {
                path: dir.clone(),
                problem: e.to_string(),
            })?;
            // create_dir_all succeeds on an existing directory only, but say
            // so plainly if the path is something else.
            if !dir.is_dir() {
                return Err(CacheError::CreateDir {
                    path: dir.clone(),
                    problem: "exists and is not a directory".into(),
                });
            }
            let io = |e: std::io::Error| CacheError::Io {
                path: dir.clone(),
                problem: e.to_string(),
            };
            disk::sweep_tmp(dir).map_err(io)?;
            disk::sweep_orphan_stats(dir).map_err(io)?;
        }
        let disk_bytes = config
            .dir
            .as_deref()
            .map_or(0, |d| disk::files_by_use(d).iter().map(|f| f.1).sum());
        Ok(VariantCache {
            config,
            memory: Mutex::new(Memory {
                lru: LruCache::unbounded(),
                bytes: 0,
                stats: CacheStats::default(),
            }),
            seal: None,
            disk_bytes: std::sync::atomic::AtomicU64::new(disk_bytes),
            sweeping: Mutex::new(()),
            fleet: None,
        })
    }

    /// Seals every disk file written from now on under `key`, and refuses
    /// files that do not check (made without it, or forged).
    pub fn sealed(mut self, key: FleetKey) -> VariantCache {
        self.seal = Some(key);
        self
    }

    /// Puts the fleet tier behind the local ones.
    pub fn with_fleet(mut self, fleet: Fleet) -> VariantCache {
        self.fleet = Some(fleet);
        self
    }

    pub fn fleet(&self) -> Option<&Fleet> {
        self.fleet.as_ref()
    }

    /// The fleet tier's counters, when there is one.
    pub fn fleet_stats(&self) -> Option<FleetStats> {
        self.fleet.as_ref().map(Fleet::stats)
    }

    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    fn memory(&self) -> MutexGuard<'_, Memory> {
        // A panic elsewhere while holding the lock leaves the LRU whole
        // (every critical section is a few field updates), so go on.
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn stats(&self) -> CacheStats {
        let m = self.memory();
        CacheStats {
            entries: m.lru.len(),
            bytes: m.bytes,
            disk_bytes: self.disk_bytes.load(std::sync::atomic::Ordering::Relaxed),
            ..m.stats
        }
    }

    /// Looks in memory, then on disk (a disk hit is loaded into memory);
    /// counts a hit or a miss. A corrupt disk file is removed, reported and
    /// counts as a miss.
    pub fn get(&self, key: &VariantKey) -> (Option<(Arc<Variant>, Tier)>, Vec<CacheNotice>) {
        let mut notices = Vec::new();
        let now = now_secs();
        {
            let mut m = self.memory();
            if let Some(entry) = m.lru.get_mut(key) {
                entry.use_stats.hits += 1;
                entry.use_stats.last_use = now;
                entry.dirty = true;
                let variant = entry.variant.clone();
                m.stats.hits += 1;
                return (Some((variant, Tier::Memory)), notices);
            }
        }
        let miss = |mut notices| match self.fleet_get(key, &mut notices) {
            Some(v) => (Some((v, Tier::Redis)), notices),
            None => {
                self.memory().stats.misses += 1;
                (None, notices)
            }
        };
        let Some(dir) = self.config.dir.as_deref() else {
            return miss(notices);
        };
        if !disk::valid_key(&key.0) {
            return miss(notices);
        }
        match disk::read_variant(dir, key, self.seal.as_ref()) {
            Ok(variant) => {
                let mut use_stats = disk::read_stats(dir, key).unwrap_or_default();
                use_stats.hits += 1;
                use_stats.last_use = now;
                let variant = Arc::new(variant);
                let persist = {
                    let mut m = self.memory();
                    m.stats.hits += 1;
                    m.stats.disk_hits += 1;
                    hold(
                        &self.config,
                        &mut m,
                        variant.clone(),
                        use_stats,
                        true,
                        true,
                        &mut notices,
                    )
                    .1
                };
                self.persist(persist, &mut notices);
                (Some((variant, Tier::Disk)), notices)
            }
            Err(ReadError::Missing | ReadError::Foreign(_)) => miss(notices),
            Err(ReadError::Io(e)) => {
                notices.push(CacheNotice::DiskError {
                    path: disk::variant_path(dir, key),
                    reason: e.to_string(),
                });
                miss(notices)
            }
            Err(ReadError::Corrupt(reason)) => {
                notices.push(self.discard_corrupt(dir, key, reason));
                miss(notices)
            }
        }
    }

    /// The fleet tier's variant for `key`, kept in both local tiers.
    fn fleet_get(&self, key: &VariantKey, notices: &mut Vec<CacheNotice>) -> Option<Arc<Variant>> {
        let fleet = self.fleet.as_ref()?;
        match fleet.get(key, notices) {
            Ok(Some(variant)) => {
                let (variant, local) = self.store_locally(variant, false);
                notices.extend(local);
                let mut m = self.memory();
                m.stats.fleet_hits += 1;
                m.stats.hits += 1;
                drop(m);
                Some(variant)
            }
            Ok(None) => None,
            // An open breaker was reported when it opened.
            Err(fleet::FleetError::Open) => None,
            Err(e) => {
                notices.push(CacheNotice::FleetError {
                    reason: e.to_string(),
                });
                None
            }
        }
    }

    /// Stores a variant in every tier (the disk file first, atomically;
    /// then memory; then the fleet's Redis), replacing any with its key,
    /// and evicts least-recently-used entries beyond either memory budget.
    /// An entry bigger than `max_bytes` is not held in memory. Counts an
    /// insertion, and a rejection for a `Rejected` variant.
    pub fn put(&self, variant: Variant) -> (Arc<Variant>, Vec<CacheNotice>) {
        let (variant, mut notices) = self.store_locally(variant, true);
        if let Some(fleet) = &self.fleet {
            match fleet.put(&variant, &mut notices) {
                Ok(()) | Err(fleet::FleetError::Open) => {}
                Err(e) => notices.push(CacheNotice::FleetError {
                    reason: format!("publishing {}: {e}", variant.key.short()),
                }),
            }
        }
        (variant, notices)
    }

    /// The local tiers' part of a `put` (`count`: as an insertion; a copy
    /// of a fleet hit is not one).
    fn store_locally(&self, variant: Variant, count: bool) -> (Arc<Variant>, Vec<CacheNotice>) {
        let mut notices = Vec::new();
        let key = variant.key.clone();
        let mut on_disk = false;
        if let Some(dir) = &self.config.dir {
            if !disk::valid_key(&key.0) {
                notices.push(CacheNotice::DiskError {
                    path: dir.clone(),
                    reason: format!("key `{key}` is not hex; kept in memory only"),
                });
            } else {
                match disk::write_variant(dir, &variant, self.seal.as_ref()) {
                    Ok(written) => {
                        on_disk = true;
                        self.disk_bytes
                            .fetch_add(written, std::sync::atomic::Ordering::Relaxed);
                    }
                    Err(reason) => notices.push(CacheNotice::DiskError {
                        path: disk::variant_path(dir, &key),
                        reason,
                    }),
                }
            }
        }
        // The key names the same build, so its history carries over a
        // rebuild: from memory if it is there, else from its sidecar (read
        // before taking the lock).
        let in_memory = self.memory().lru.peek(&key).map(|e| e.use_stats);
        let mut use_stats = in_memory
            .or_else(|| {
                self.config
                    .dir
                    .as_deref()
                    .filter(|_| on_disk)
                    .and_then(|dir| disk::read_stats(dir, &key))
            })
            .unwrap_or_default();
        use_stats.last_use = now_secs();
        let variant = Arc::new(variant);
        // A sidecar is only worth writing once there is a hit to remember;
        // until then the build time stands in for the last use.
        let dirty = use_stats.hits > 0;
        let persist = {
            let mut m = self.memory();
            let (held, persist) = hold(
                &self.config,
                &mut m,
                variant.clone(),
                use_stats,
                on_disk,
                dirty,
                &mut notices,
            );
            if count && (held || on_disk) {
                m.stats.insertions += 1;
                if matches!(variant.verification, Verification::Rejected(_)) {
                    m.stats.rejections += 1;
                }
            }
            persist
        };
        self.persist(persist, &mut notices);
        if on_disk
            && self.disk_bytes.load(std::sync::atomic::Ordering::Relaxed)
                > self.config.disk_max_bytes
        {
            self.shrink_disk(&mut notices);
        }
        (variant, notices)
    }

    /// Removes the least recently used variant files until the disk tier
    /// is under nine tenths of its budget (so a sweep, which lists the
    /// directory, is not needed at every write). Memory keeps what it holds.
    fn shrink_disk(&self, notices: &mut Vec<CacheNotice>) {
        let Some(dir) = self.config.dir.as_deref() else {
            return;
        };
        let Ok(_sweep) = self.sweeping.try_lock() else {
            return;
        };
        let files = disk::files_by_use(dir);
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        let target = self.config.disk_max_bytes / 10 * 9;
        let mut evicted = 0;
        for (key, size, _) in files {
            if total <= target {
                break;
            }
            if disk::remove_key(dir, &key).unwrap_or(false) {
                total = total.saturating_sub(size);
                evicted += 1;
                if let Some(e) = self.memory().lru.peek_mut(&key) {
                    e.on_disk = false;
                }
                notices.push(CacheNotice::DiskEvicted { key });
            }
        }
        self.disk_bytes
            .store(total, std::sync::atomic::Ordering::Relaxed);
        self.memory().stats.disk_evictions += evicted;
    }

    /// The variant if memory holds it; no counting, no LRU update.
    pub fn peek(&self, key: &VariantKey) -> Option<Arc<Variant>> {
        self.memory().lru.peek(key).map(|e| e.variant.clone())
    }

    /// The variant whose key starts with `key_or_prefix` (at least
    /// [`MIN_PREFIX`] hex digits), from memory or disk, for `tailor cache
    /// show`. Neither counts nor promotes: looking is not using.
    pub fn load(&self, key_or_prefix: &str) -> Result<Arc<Variant>, CacheError> {
        let prefix = key_or_prefix.trim().to_ascii_lowercase();
        if prefix.len() < MIN_PREFIX {
            return Err(CacheError::BadPrefix {
                prefix,
                problem: format!("give at least {MIN_PREFIX} hex digits"),
            });
        }
        if !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(CacheError::BadPrefix {
                prefix,
                problem: "keys are hex digits (0-9, a-f)".into(),
            });
        }
        let mut matches: BTreeSet<VariantKey> = self
            .memory()
            .lru
            .iter()
            .filter(|(k, _)| k.0.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        if let Some(dir) = &self.config.dir {
            let on_disk = disk::keys_on_disk(dir).map_err(|e| CacheError::Io {
                path: dir.clone(),
                problem: e.to_string(),
            })?;
            matches.extend(on_disk.into_iter().filter(|k| k.0.starts_with(&prefix)));
        }
        let key = match matches.len() {
            0 => return Err(CacheError::NotFound { prefix }),
            1 => matches.into_iter().next(),
            count => {
                return Err(CacheError::Ambiguous {
                    prefix,
                    count,
                    candidates: matches
                        .iter()
                        .take(5)
                        .map(|k| k.short().to_owned())
                        .collect(),
                })
            }
        };
        let Some(key) = key else {
            return Err(CacheError::NotFound { prefix });
        };
        if let Some(variant) = self.peek(&key) {
            return Ok(variant);
        }
        let Some(dir) = self.config.dir.as_deref() else {
            return Err(CacheError::NotFound { prefix });
        };
        match disk::read_variant(dir, &key, self.seal.as_ref()) {
            Ok(variant) => Ok(Arc::new(variant)),
            // Removed between listing and reading (another process).
            Err(ReadError::Missing) => Err(CacheError::NotFound { prefix }),
            Err(ReadError::Foreign(build)) => Err(CacheError::Foreign {
                key,
                build,
                ours: build_id().to_owned(),
            }),
            Err(ReadError::Io(e)) => Err(CacheError::Io {
                path: disk::variant_path(dir, &key),
                problem: e.to_string(),
            }),
            Err(ReadError::Corrupt(reason)) => {
                let path = disk::variant_path(dir, &key);
                self.discard_corrupt(dir, &key, reason.clone());
                Err(CacheError::Corrupt { key, path, reason })
            }
        }
    }

    /// Removes a key from every tier, the fleet's included (an
    /// administrator removing a variant removes it for every engine);
    /// whether anything was removed.
    pub fn remove(&self, key: &VariantKey) -> bool {
        let mut removed = false;
        {
            let mut m = self.memory();
            if let Some(old) = m.lru.pop(key) {
                m.bytes -= old.size;
                removed = true;
            }
        }
        if let Some(dir) = &self.config.dir {
            if disk::valid_key(&key.0) {
                // A failure to remove leaves the file, so it was not removed.
                removed |= disk::remove_key(dir, key).unwrap_or(false);
            }
        }
        if let Some(fleet) = &self.fleet {
            removed |= fleet.remove(key, &mut Vec::new()).unwrap_or(false);
        }
        removed
    }

    /// Empties the local tiers; how many variants were removed. The
    /// fleet's Redis is shared with other engines and stays as it is.
    pub fn clear(&self) -> Result<usize, CacheError> {
        let mut keys: BTreeSet<VariantKey> = {
            let mut m = self.memory();
            let keys = m.lru.iter().map(|(k, _)| k.clone()).collect();
            m.lru.clear();
            m.bytes = 0;
            keys
        };
        if let Some(dir) = &self.config.dir {
            let io = |path: &Path, e: std::io::Error| CacheError::Io {
                path: path.to_owned(),
                problem: e.to_string(),
            };
            for key in disk::keys_on_disk(dir).map_err(|e| io(dir, e))? {
                disk::remove_key(dir, &key).map_err(|e| io(&disk::variant_path(dir, &key), e))?;
                keys.insert(key);
            }
            disk::sweep_orphan_stats(dir).map_err(|e| io(dir, e))?;
        }
        Ok(keys.len())
    }

    /// Memory entries (most recently used first), then disk-only entries
    /// (most recently used first; only their headers are read, so their
    /// payload checksum is checked when they are loaded, not here). A disk
    /// file whose header fails its checks is removed and reported.
    pub fn list(&self) -> (Vec<EntryInfo>, Vec<CacheNotice>) {
        let mut notices = Vec::new();
        let dir = self.config.dir.clone();
        // A snapshot under the lock; the files are looked at after it.
        let held: Vec<(VariantKey, Arc<Variant>, usize, UseStats, bool)> = self
            .memory()
            .lru
            .iter()
            .map(|(k, e)| (k.clone(), e.variant.clone(), e.size, e.use_stats, e.on_disk))
            .collect();
        let in_memory: BTreeSet<VariantKey> = held.iter().map(|h| h.0.clone()).collect();
        let mut out: Vec<EntryInfo> = held
            .into_iter()
            .map(|(key, v, size, use_stats, on_disk)| EntryInfo {
                kernel_name: v.kernel_name.clone(),
                kernel_hash: v.kernel_hash.clone(),
                entry: v.entry.clone(),
                profile: v.plan.profile.clone(),
                plan_summary: plan_summary(&v.plan),
                size,
                hits: use_stats.hits,
                last_use: use_stats.last_use,
                verification: v.verification.clone(),
                timed: v.timed,
                in_memory: true,
                // Checked rather than trusted: someone may have removed the
                // file by hand.
                on_disk: on_disk
                    && dir
                        .as_deref()
                        .is_some_and(|d| disk::variant_path(d, &key).is_file()),
                key,
            })
            .collect();
        let Some(dir) = dir else {
            return (out, notices);
        };
        let keys = match disk::keys_on_disk(&dir) {
            Ok(keys) => keys,
            Err(e) => {
                notices.push(CacheNotice::DiskError {
                    path: dir,
                    reason: e.to_string(),
                });
                return (out, notices);
            }
        };
        let mut disk_only = Vec::new();
        for key in keys {
            if in_memory.contains(&key) {
                continue;
            }
            match disk::read_meta(&dir, &key, self.seal.as_ref()) {
                Ok(meta) => {
                    let use_stats = disk::read_stats(&dir, &key).unwrap_or(UseStats {
                        hits: 0,
                        last_use: meta.created,
                    });
                    disk_only.push(EntryInfo {
                        key,
                        kernel_name: meta.kernel_name,
                        kernel_hash: meta.kernel_hash,
                        entry: meta.entry,
                        profile: meta.profile,
                        plan_summary: meta.plan_summary,
                        size: meta.size,
                        hits: use_stats.hits,
                        last_use: use_stats.last_use,
                        verification: meta.verification,
                        timed: meta.timed,
                        in_memory: false,
                        on_disk: true,
                    });
                }
                // Another build's entries are that build's to list.
                Err(ReadError::Missing | ReadError::Foreign(_)) => {}
                Err(ReadError::Io(e)) => notices.push(CacheNotice::DiskError {
                    path: disk::variant_path(&dir, &key),
                    reason: e.to_string(),
                }),
                Err(ReadError::Corrupt(reason)) => {
                    notices.push(self.discard_corrupt(&dir, &key, reason));
                }
            }
        }
        disk_only.sort_by(|a, b| b.last_use.cmp(&a.last_use).then(a.key.cmp(&b.key)));
        out.extend(disk_only);
        (out, notices)
    }

    /// Writes the hit counts and last use of memory entries that changed to
    /// their sidecars. Best-effort: also done on eviction and on drop.
    pub fn flush(&self) -> Vec<CacheNotice> {
        let mut notices = Vec::new();
        if self.config.dir.is_none() {
            return notices;
        }
        let dirty: Persist = {
            let mut m = self.memory();
            m.lru
                .iter_mut()
                .filter(|(_, e)| e.dirty && e.on_disk)
                .map(|(k, e)| {
                    // Marked clean now; a failed write below is reported.
                    e.dirty = false;
                    (k.clone(), e.use_stats)
                })
                .collect()
        };
        self.persist(dirty, &mut notices);
        notices
    }

    fn persist(&self, persist: Persist, notices: &mut Vec<CacheNotice>) {
        let Some(dir) = &self.config.dir else { return };
        for (key, use_stats) in persist {
            if let Err(e) = disk::write_stats(dir, &key, use_stats) {
                notices.push(CacheNotice::DiskError {
                    path: disk::stats_path(dir, &key),
                    reason: e.to_string(),
                });
            }
        }
    }

    /// Removes a file that failed its checks, counts it and says so.
    fn discard_corrupt(&self, dir: &Path, key: &VariantKey, reason: String) -> CacheNotice {
        self.memory().stats.corrupt += 1;
        let path = disk::variant_path(dir, key);
        let reason = match disk::remove_key(dir, key) {
            Ok(_) => reason,
            Err(e) => format!("{reason} (and it could not be removed: {e})"),
        };
        CacheNotice::Corrupt {
            key: key.clone(),
            path,
            reason,
        }
    }
}

/// Puts a variant in memory if it can ever fit, then evicts down to the
/// budgets; whether it is held, and the use statistics to write to sidecars
/// (after the lock). One that cannot fit is not held (rather than emptying
/// memory for something evicted at once), and its metadata goes straight to
/// the sidecar. The newest entry fits on its own, so it is never the one
/// evicted.
fn hold(
    config: &CacheConfig,
    m: &mut Memory,
    variant: Arc<Variant>,
    use_stats: UseStats,
    on_disk: bool,
    dirty: bool,
    notices: &mut Vec<CacheNotice>,
) -> (bool, Persist) {
    let size = variant.size();
    let key = variant.key.clone();
    let mut persist = Vec::new();
    if config.max_entries == 0 || size > config.max_bytes {
        if on_disk && dirty {
            persist.push((key, use_stats));
        }
        return (false, persist);
    }
    if let Some(old) = m.lru.pop(&key) {
        m.bytes -= old.size;
    }
    m.lru.push(
        key,
        Entry {
            variant,
            size,
            use_stats,
            dirty,
            on_disk,
        },
    );
    m.bytes += size;
    while m.lru.len() > config.max_entries || m.bytes > config.max_bytes {
        let Some((key, entry)) = m.lru.pop_lru() else {
            break;
        };
        m.bytes -= entry.size;
        m.stats.evictions += 1;
        if entry.on_disk && entry.dirty {
            persist.push((key.clone(), entry.use_stats));
        }
        notices.push(CacheNotice::Evicted { key });
    }
    (true, persist)
}

impl Drop for VariantCache {
    /// Hit counts and last use survive a restart only if written somewhere;
    /// failures here have no one to report to and are dropped.
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl std::fmt::Debug for VariantCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VariantCache")
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}
