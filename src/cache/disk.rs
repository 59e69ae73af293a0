//! The on-disk tier: one file per key, `<dir>/<key>.variant`, written
//! atomically and checked on every read, plus a best-effort `<key>.stats`
//! sidecar holding the entry's hit count and last use.
//!
//! File layout (all integers little-endian):
//!
//! ```text
//! offset  size  field
//!      0     8  magic "TAILORVC"
//!      8     4  format version (FORMAT_VERSION)
//!     12     4  meta length M
//!     16     8  payload length P
//!     24    32  SHA-256 of the meta
//!     56    32  SHA-256 of the payload
//!     88    32  HMAC-SHA-256 under the fleet key over the key and bytes
//!               0..88 (zeros when written without a fleet key)
//!    120     M  meta: JSON `Meta` (key, target, what `tailor cache ls` shows)
//!  120+M     P  payload: u64 JSON length J, J bytes of the Variant's JSON,
//!               then the object code (the rest)
//! ```
//!
//! The same bytes are the value the fleet tier stores in Redis (with the
//! IR and step log moved to a value of their own). With a fleet key set,
//! a file or value whose MAC does not check is refused before any of its
//! JSON is parsed: the MAC covers both checksums, so it pins every byte.
//!
//! The meta is a small, separately checksummed header so that listing reads
//! a few hundred bytes per entry instead of the object code. It records the
//! target, although `get` only needs the key: the key already hashes the
//! target (`VariantKey::new`), so a variant built for another CPU has another
//! key and can never be returned for this one.

use super::seal::{FleetKey, TAG_LEN};
use super::variant::{Variant, VariantKey, Verification};
use crate::target::{build_id, Target};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// The version of the file layout above. Files of any other version are
/// refused and removed: a cache is only ever a copy of something rebuildable.
pub const FORMAT_VERSION: u32 = 2;

pub(crate) const MAGIC: &[u8; 8] = b"TAILORVC";
/// The checksummed part of the header, which the MAC covers.
const SUMMED_LEN: usize = 88;
pub(crate) const HEADER_LEN: usize = SUMMED_LEN + TAG_LEN;
/// What the MAC of a variant file (or hot value) says it is.
const MAC_DOMAIN: &str = "tailor variant";
const VARIANT_EXT: &str = "variant";
const STATS_EXT: &str = "stats";
/// Marks temporary files; the writer's pid follows so a sweep can tell a
/// live writer's file from a crashed one's.
const TMP_MARK: &str = ".tmp-";
/// A temporary file older than this is stale even if its pid is alive
/// again (pids get reused).
const TMP_MAX_AGE: Duration = Duration::from_secs(3600);

/// Distinguishes temporary files written by one process.
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// What `list` needs without reading the payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Meta {
    pub key: VariantKey,
    pub kernel_name: String,
    #[serde(default)]
    pub kernel_hash: String,
    pub entry: String,
    pub target: Target,
    pub profile: String,
    pub plan_summary: String,
    pub size: usize,
    pub verification: Verification,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timed: Option<super::Timed>,
    pub created: u64,
    /// The tailor and LLVM that built it ([`build_id`]); a file of another
    /// build is left alone for that build, never loaded by this one.
    #[serde(default)]
    pub build: String,
}

impl Meta {
    pub fn of(variant: &Variant) -> Meta {
        Meta {
            key: variant.key.clone(),
            kernel_name: variant.kernel_name.clone(),
            kernel_hash: variant.kernel_hash.clone(),
            entry: variant.entry.clone(),
            target: variant.target.clone(),
            profile: variant.plan.profile.clone(),
            plan_summary: super::plan_summary(&variant.plan),
            size: variant.size(),
            verification: variant.verification.clone(),
            timed: variant.timed,
            created: variant.created,
            build: build_id().to_owned(),
        }
    }
}

/// Cache metadata that is not part of the variant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct UseStats {
    pub hits: u64,
    /// Seconds since the Unix epoch.
    pub last_use: u64,
}

/// Why a file was refused. Becomes `CacheNotice::Corrupt` or
/// `CacheError::Corrupt`; the file is removed by the caller.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The file is not there (or vanished): a plain miss.
    Missing,
    /// Reading failed for a reason that says nothing about the content
    /// (permissions, I/O): reported, the file is left alone.
    Io(io::Error),
    Corrupt(String),
    /// Written by another build of tailor or LLVM (named): not ours to
    /// load, and not ours to remove either.
    Foreign(String),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::NotFound {
            ReadError::Missing
        } else {
            ReadError::Io(e)
        }
    }
}

/// Keys become file names, so only hex keys (what `VariantKey::new` makes)
/// go to disk: nothing else can escape the directory or collide with the
/// temporary and sidecar names.
pub(crate) fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 128 && key.bytes().all(|b| b.is_ascii_hexdigit())
}

pub(crate) fn variant_path(dir: &Path, key: &VariantKey) -> PathBuf {
    dir.join(format!("{}.{VARIANT_EXT}", key.0))
}

pub(crate) fn stats_path(dir: &Path, key: &VariantKey) -> PathBuf {
    dir.join(format!("{}.{STATS_EXT}", key.0))
}

/// The key a `<key>.variant` file name stands for, if it is one.
pub(crate) fn key_of_file(name: &str) -> Option<VariantKey> {
    let stem = name.strip_suffix(&format!(".{VARIANT_EXT}"))?;
    valid_key(stem).then(|| VariantKey(stem.to_owned()))
}

/// Seconds since the Unix epoch; 0 for a clock set before it.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Assembles a file from its parts, with no MAC. Separate from [`encode`]
/// so tests can forge files that are well-formed except in one respect.
pub(crate) fn assemble(version: u32, meta: &[u8], payload: &[u8]) -> Result<Vec<u8>, String> {
    let meta_len = u32::try_from(meta.len()).map_err(|_| "meta too large".to_owned())?;
    let mut out = Vec::with_capacity(HEADER_LEN + meta.len() + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&meta_len.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&sha256(meta));
    out.extend_from_slice(&sha256(payload));
    out.extend_from_slice(&[0; TAG_LEN]);
    out.extend_from_slice(meta);
    out.extend_from_slice(payload);
    Ok(out)
}

/// The payload: the variant's JSON (which skips `object`) and the object code.
pub(crate) fn payload(json: &[u8], object: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + json.len() + object.len());
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(json);
    out.extend_from_slice(object);
    out
}

/// Writes the MAC of an assembled file under `fleet` (for `key`).
pub(crate) fn seal(bytes: &mut [u8], key: &VariantKey, fleet: &FleetKey) {
    if bytes.len() >= HEADER_LEN {
        let tag = fleet.tag(MAC_DOMAIN, &key.0, &[&bytes[..SUMMED_LEN]]);
        bytes[SUMMED_LEN..HEADER_LEN].copy_from_slice(&tag);
    }
}

/// The file (or hot value) of a variant, sealed under `fleet` if given.
pub(crate) fn encode(variant: &Variant, fleet: Option<&FleetKey>) -> Result<Vec<u8>, String> {
    let meta = serde_json::to_vec(&Meta::of(variant)).map_err(|e| format!("meta: {e}"))?;
    let json = serde_json::to_vec(variant).map_err(|e| format!("variant JSON: {e}"))?;
    let mut bytes = assemble(FORMAT_VERSION, &meta, &payload(&json, &variant.object))?;
    if let Some(fleet) = fleet {
        seal(&mut bytes, &variant.key, fleet);
    }
    Ok(bytes)
}

/// The fixed header, checked as far as it can be without the rest.
#[derive(Debug)]
struct Header {
    meta_len: usize,
    payload_len: usize,
    meta_sum: [u8; 32],
    payload_sum: [u8; 32],
}

fn le_u32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_le_bytes(a)
}

fn le_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

/// Checks magic, version and that the lengths add up to the file's size
/// (before anything is allocated from them: a corrupt length must not make
/// us reserve gigabytes), then the MAC when there is a fleet key.
fn parse_header(
    head: &[u8],
    file_len: u64,
    key: &VariantKey,
    fleet: Option<&FleetKey>,
) -> Result<Header, ReadError> {
    if head.len() < HEADER_LEN {
        return Err(ReadError::Corrupt(format!(
            "truncated: {file_len} bytes, shorter than the {HEADER_LEN}-byte header"
        )));
    }
    if &head[..8] != MAGIC {
        return Err(ReadError::Corrupt(
            "bad magic (not a tailor variant file)".into(),
        ));
    }
    let version = le_u32(&head[8..12]);
    if version != FORMAT_VERSION {
        return Err(ReadError::Corrupt(format!(
            "format version {version}, expected {FORMAT_VERSION}"
        )));
    }
    let meta_len = le_u32(&head[12..16]) as u64;
    let payload_len = le_u64(&head[16..24]);
    let expected = (HEADER_LEN as u64)
        .checked_add(meta_len)
        .and_then(|n| n.checked_add(payload_len));
    if expected != Some(file_len) {
        return Err(ReadError::Corrupt(format!(
            "length mismatch: file is {file_len} bytes, header says {}",
            expected.map_or_else(|| "more than 2^64".to_owned(), |n| n.to_string())
        )));
    }
    let mut meta_sum = [0u8; 32];
    meta_sum.copy_from_slice(&head[24..56]);
    let mut payload_sum = [0u8; 32];
    payload_sum.copy_from_slice(&head[56..88]);
    if let Some(fleet) = fleet {
        if !fleet.verify(
            MAC_DOMAIN,
            &key.0,
            &[&head[..SUMMED_LEN]],
            &head[SUMMED_LEN..HEADER_LEN],
        ) {
            return Err(ReadError::Corrupt(
                "fails the fleet key check (forged, or written under another fleet key or none)"
                    .into(),
            ));
        }
    }
    Ok(Header {
        // Both fit: their sum is the length of a file we could stat.
        meta_len: meta_len as usize,
        payload_len: payload_len as usize,
        meta_sum,
        payload_sum,
    })
}

fn parse_meta(bytes: &[u8], sum: &[u8; 32], key: &VariantKey) -> Result<Meta, ReadError> {
    if &sha256(bytes) != sum {
        return Err(ReadError::Corrupt("header checksum mismatch".into()));
    }
    let meta: Meta = serde_json::from_slice(bytes)
        .map_err(|e| ReadError::Corrupt(format!("header JSON does not parse: {e}")))?;
    if &meta.key != key {
        return Err(ReadError::Corrupt(format!(
            "header holds key {}, the file name says {}",
            meta.key, key
        )));
    }
    if meta.build != build_id() {
        return Err(ReadError::Foreign(if meta.build.is_empty() {
            "an unnamed build".to_owned()
        } else {
            meta.build
        }));
    }
    Ok(meta)
}

/// Reads and fully checks `<dir>/<key>.variant`.
pub(crate) fn read_variant(
    dir: &Path,
    key: &VariantKey,
    fleet: Option<&FleetKey>,
) -> Result<Variant, ReadError> {
    let path = variant_path(dir, key);
    let mut file = File::open(&path)?;
    let file_len = file.metadata()?.len();
    let mut head = Vec::with_capacity(HEADER_LEN);
    (&mut file).take(HEADER_LEN as u64).read_to_end(&mut head)?;
    let header = parse_header(&head, file_len, key, fleet)?;
    let mut rest = Vec::with_capacity(header.meta_len + header.payload_len);
    file.read_to_end(&mut rest)?;
    // The file may have changed between stat and read (another process
    // replacing it is fine, a truncation is not).
    if rest.len() != header.meta_len + header.payload_len {
        return Err(ReadError::Corrupt(format!(
            "length mismatch: read {} bytes after the header, expected {}",
            rest.len(),
            header.meta_len + header.payload_len
        )));
    }
    decode_rest(&header, &rest, key)
}

/// Fully checks a whole file's bytes (a value from the fleet tier).
pub(crate) fn decode(
    bytes: &[u8],
    key: &VariantKey,
    fleet: Option<&FleetKey>,
) -> Result<Variant, ReadError> {
    let head = &bytes[..HEADER_LEN.min(bytes.len())];
    let header = parse_header(head, bytes.len() as u64, key, fleet)?;
    decode_rest(&header, &bytes[HEADER_LEN..], key)
}

/// The meta and payload after a checked header.
fn decode_rest(header: &Header, rest: &[u8], key: &VariantKey) -> Result<Variant, ReadError> {
    let (meta_bytes, payload) = rest.split_at(header.meta_len.min(rest.len()));
    let meta = parse_meta(meta_bytes, &header.meta_sum, key)?;
    if sha256(payload) != header.payload_sum {
        return Err(ReadError::Corrupt("payload checksum mismatch".into()));
    }
    decode_payload(payload, key, &meta)
}

fn decode_payload(payload: &[u8], key: &VariantKey, meta: &Meta) -> Result<Variant, ReadError> {
    if payload.len() < 8 {
        return Err(ReadError::Corrupt(format!(
            "payload of {} bytes has no JSON length",
            payload.len()
        )));
    }
    let json_len = le_u64(&payload[..8]);
    let body = &payload[8..];
    if json_len > body.len() as u64 {
        return Err(ReadError::Corrupt(format!(
            "JSON length {json_len} exceeds the {} bytes of payload",
            body.len()
        )));
    }
    let (json, object) = body.split_at(json_len as usize);
    let mut variant: Variant = serde_json::from_slice(json)
        .map_err(|e| ReadError::Corrupt(format!("variant JSON does not parse: {e}")))?;
    if &variant.key != key {
        return Err(ReadError::Corrupt(format!(
            "holds key {}, the file name says {}",
            variant.key, key
        )));
    }
    if variant.target != meta.target {
        return Err(ReadError::Corrupt(format!(
            "header target {}/{} differs from the variant's {}/{}",
            meta.target.triple, meta.target.cpu, variant.target.triple, variant.target.cpu
        )));
    }
    variant.object = object.to_vec();
    Ok(variant)
}

/// Reads and checks only the header and meta of `<dir>/<key>.variant` (the
/// payload checksum is left to `get`/`load`, which read it anyway).
pub(crate) fn read_meta(
    dir: &Path,
    key: &VariantKey,
    fleet: Option<&FleetKey>,
) -> Result<Meta, ReadError> {
    let path = variant_path(dir, key);
    let mut file = File::open(&path)?;
    let file_len = file.metadata()?.len();
    let mut head = Vec::with_capacity(HEADER_LEN);
    (&mut file).take(HEADER_LEN as u64).read_to_end(&mut head)?;
    let header = parse_header(&head, file_len, key, fleet)?;
    let mut meta = Vec::with_capacity(header.meta_len);
    (&mut file)
        .take(header.meta_len as u64)
        .read_to_end(&mut meta)?;
    if meta.len() != header.meta_len {
        return Err(ReadError::Corrupt("truncated header".into()));
    }
    parse_meta(&meta, &header.meta_sum, key)
}

fn tmp_path(target: &Path) -> PathBuf {
    let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(format!("{TMP_MARK}{}-{n}", std::process::id()));
    target.with_file_name(name)
}

/// Writes `bytes` to `path` so that a reader sees the old file or the new
/// one, never a mix: a temporary file in the same directory, renamed over.
/// `durable` adds the fsyncs that make the new file survive a power cut.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], durable: bool) -> io::Result<()> {
    let tmp = tmp_path(path);
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(bytes)?;
        if durable {
            file.sync_all()?;
        }
        drop(file);
        fs::rename(&tmp, path)
    })();
    match result {
        Ok(()) => {
            if durable {
                // The rename is only durable once the directory is; not
                // every platform can open a directory, so this is best-effort.
                if let Some(dir) = path.parent() {
                    if let Ok(d) = File::open(dir) {
                        let _ = d.sync_all();
                    }
                }
            }
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Writes a variant's file; its size.
pub(crate) fn write_variant(
    dir: &Path,
    variant: &Variant,
    fleet: Option<&FleetKey>,
) -> Result<u64, String> {
    let bytes = encode(variant, fleet)?;
    let len = bytes.len() as u64;
    write_atomic(&variant_path(dir, &variant.key), &bytes, true)
        .map(|()| len)
        .map_err(|e| e.to_string())
}

/// The variant files in `dir` with their sizes and last use in
/// nanoseconds since the epoch (the later of the sidecar's and the file's
/// modification time), least recently used first.
pub(crate) fn files_by_use(dir: &Path) -> Vec<(VariantKey, u64, u128)> {
    let Ok(keys) = keys_on_disk(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(VariantKey, u64, u128)> = keys
        .into_iter()
        .filter_map(|key| {
            let meta = fs::metadata(variant_path(dir, &key)).ok()?;
            let written = meta
                .modified()
                .ok()
                .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            let used = read_stats(dir, &key).map_or(0, |s| u128::from(s.last_use) * 1_000_000_000);
            Some((key, meta.len(), written.max(used)))
        })
        .collect();
    out.sort_by(|a, b| a.2.cmp(&b.2).then(a.0.cmp(&b.0)));
    out
}

/// The sidecar; missing or unreadable means "no record" (it is best-effort
/// metadata and never a reason to refuse the variant).
pub(crate) fn read_stats(dir: &Path, key: &VariantKey) -> Option<UseStats> {
    let bytes = fs::read(stats_path(dir, key)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// No fsync: losing a hit count to a power cut is acceptable, an fsync per
/// eviction is not.
pub(crate) fn write_stats(dir: &Path, key: &VariantKey, stats: UseStats) -> io::Result<()> {
    let bytes = serde_json::to_vec(&stats).map_err(io::Error::other)?;
    write_atomic(&stats_path(dir, key), &bytes, false)
}

/// Removes a path, treating "already gone" as success.
pub(crate) fn remove_if_present(path: &Path) -> io::Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Keys of the `.variant` files in `dir`, sorted.
pub(crate) fn keys_on_disk(dir: &Path) -> io::Result<Vec<VariantKey>> {
    let mut keys = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(key) = entry.file_name().to_str().and_then(key_of_file) {
            keys.push(key);
        }
    }
    keys.sort();
    Ok(keys)
}

/// Whether a temporary file was left by a writer that is gone. A live
/// writer's file (another tailor process sharing the directory) is kept so
/// its rename still succeeds.
fn is_stale_tmp(name: &str, modified: Option<SystemTime>) -> bool {
    let Some((_, tail)) = name.rsplit_once(TMP_MARK) else {
        return false;
    };
    let old = modified
        .and_then(|m| m.elapsed().ok())
        .is_some_and(|age| age > TMP_MAX_AGE);
    if old {
        return true;
    }
    let pid = tail.split('-').next().and_then(|p| p.parse::<u32>().ok());
    match pid {
        // Our own pid: a failed write of this process (write_atomic cleans
        // up after itself, so only a crash mid-write under a reused pid
        // leaves one). Still, another cache in this process may be
        // writing it right now, so only age removes it.
        Some(p) if p == std::process::id() => false,
        // Where /proc exists it says whether the writer lives; elsewhere
        // only age decides.
        Some(p) => Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{p}")).exists(),
        None => true,
    }
}

/// Removes temporary files left by crashed writers; returns how many.
pub(crate) fn sweep_tmp(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.contains(TMP_MARK) {
            continue;
        }
        let modified = entry.metadata().and_then(|m| m.modified()).ok();
        if is_stale_tmp(name, modified) && remove_if_present(&entry.path())? {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Removes `.stats` sidecars whose variant file is gone (a crash between the
/// two removals, or a variant removed by hand).
pub(crate) fn sweep_orphan_stats(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(stem) = name
            .to_str()
            .and_then(|n| n.strip_suffix(&format!(".{STATS_EXT}")))
        else {
            continue;
        };
        if valid_key(stem) && !dir.join(format!("{stem}.{VARIANT_EXT}")).exists() {
            remove_if_present(&entry.path())?;
        }
    }
    Ok(())
}

/// Removes a key's variant file and sidecar; whether the variant was there.
pub(crate) fn remove_key(dir: &Path, key: &VariantKey) -> io::Result<bool> {
    let removed = remove_if_present(&variant_path(dir, key))?;
    remove_if_present(&stats_path(dir, key))?;
    Ok(removed)
}
