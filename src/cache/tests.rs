//! Tests of the variant cache: LRU order and both budgets, counters, the
//! disk tier across restarts, and every way a disk file can be refused.

use super::disk::{self, Meta, FORMAT_VERSION};
use super::*;
use crate::profile::Plan;
use crate::target::Target;
use crate::transform::log::{IrStats, StepRecord};
use std::fs;
use std::path::Path;

fn plan(profile: &str) -> Plan {
    Plan {
        profile: profile.into(),
        profile_version: "v1".into(),
        steps: vec![],
        skipped: vec![],
        finish: "default<O3>".into(),
        tolerance: Default::default(),
    }
}

fn target() -> Target {
    Target {
        triple: "x86_64-unknown-linux-gnu".into(),
        cpu: "znver4".into(),
        features: "+avx2,+fma".into(),
    }
}

/// A variant whose `size()` is exactly `object_len` (no IR, no steps), with
/// object bytes that differ by tag so a mix-up shows.
fn variant(tag: &str, object_len: usize) -> Variant {
    let plan = plan(tag);
    let kernel_hash = format!("hash-of-{tag}");
    let target = target();
    let key = VariantKey::new(&kernel_hash, "kern", &plan, &target);
    let seed = tag
        .bytes()
        .fold(7u8, |a, b| a.wrapping_mul(31).wrapping_add(b));
    Variant {
        key,
        kernel_name: tag.into(),
        kernel_hash,
        entry: "kern".into(),
        plan,
        target,
        object: (0..object_len)
            .map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed))
            .collect(),
        optimized_ir: String::new(),
        writes: Vec::new(),
        steps: vec![],
        transform_micros: 10,
        codegen_micros: 20,
        verification: Verification::Verified,
        timed: None,
        tuned: None,
        created: 1_700_000_000,
    }
}

/// The same with a given (hex) key, for prefix tests.
fn variant_with_key(key: &str, object_len: usize) -> Variant {
    let mut v = variant(key, object_len);
    v.key = VariantKey(key.into());
    v
}

fn mem_only(max_entries: usize, max_bytes: usize) -> VariantCache {
    match VariantCache::new(CacheConfig {
        max_entries,
        max_bytes,
        dir: None,
        disk_max_bytes: super::DEFAULT_DISK_BYTES,
    }) {
        Ok(c) => c,
        Err(e) => panic!("memory cache: {e}"),
    }
}

fn on_disk(dir: &Path, max_entries: usize, max_bytes: usize) -> VariantCache {
    match VariantCache::new(CacheConfig {
        max_entries,
        max_bytes,
        dir: Some(dir.to_owned()),
        disk_max_bytes: super::DEFAULT_DISK_BYTES,
    }) {
        Ok(c) => c,
        Err(e) => panic!("disk cache: {e}"),
    }
}

fn evicted(notices: &[CacheNotice]) -> Vec<VariantKey> {
    notices
        .iter()
        .filter_map(|n| match n {
            CacheNotice::Evicted { key } => Some(key.clone()),
            _ => None,
        })
        .collect()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn touching_an_entry_protects_it_from_eviction() {
    let cache = mem_only(3, usize::MAX);
    let (a, b, c, d) = (
        variant("a", 10),
        variant("b", 10),
        variant("c", 10),
        variant("d", 10),
    );
    for v in [&a, &b, &c] {
        assert!(cache.put(v.clone()).1.is_empty());
    }
    // `a` is the oldest; using it makes `b` the least recently used.
    assert!(cache.get(&a.key).0.is_some());
    let (_, notices) = cache.put(d.clone());
    assert_eq!(evicted(&notices), vec![b.key.clone()]);
    assert!(cache.peek(&a.key).is_some());
    assert!(cache.peek(&b.key).is_none());
    assert!(cache.peek(&c.key).is_some());
    assert!(cache.peek(&d.key).is_some());
}

#[test]
fn peek_neither_counts_nor_promotes() {
    let cache = mem_only(2, usize::MAX);
    let (a, b, c) = (variant("a", 1), variant("b", 1), variant("c", 1));
    cache.put(a.clone());
    cache.put(b.clone());
    assert!(cache.peek(&a.key).is_some());
    let (_, notices) = cache.put(c);
    assert_eq!(evicted(&notices), vec![a.key.clone()]);
    let s = cache.stats();
    assert_eq!((s.hits, s.misses), (0, 0));
}

#[test]
fn entry_budget_evicts_oldest_and_counts() {
    let cache = mem_only(2, usize::MAX);
    let vs: Vec<Variant> = (0..5).map(|i| variant(&format!("v{i}"), 8)).collect();
    let mut all_evicted = Vec::new();
    for v in &vs {
        all_evicted.extend(evicted(&cache.put(v.clone()).1));
    }
    assert_eq!(
        all_evicted,
        vs[..3].iter().map(|v| v.key.clone()).collect::<Vec<_>>()
    );
    let s = cache.stats();
    assert_eq!(s.insertions, 5);
    assert_eq!(s.evictions, 3);
    assert_eq!(s.entries, 2);
    assert_eq!(s.bytes, 16);
}

#[test]
fn byte_budget_evicts_until_it_fits() {
    let cache = mem_only(100, 1000);
    let (a, b, c) = (variant("a", 400), variant("b", 400), variant("c", 300));
    assert_eq!(a.size(), 400);
    cache.put(a.clone());
    cache.put(b.clone());
    assert_eq!(cache.stats().bytes, 800);
    let (_, notices) = cache.put(c.clone());
    assert_eq!(evicted(&notices), vec![a.key.clone()]);
    let s = cache.stats();
    assert_eq!((s.bytes, s.entries, s.evictions), (700, 2, 1));

    // A bigger one pushes out as many as it takes.
    let (_, notices) = cache.put(variant("big", 900));
    assert_eq!(evicted(&notices), vec![b.key.clone(), c.key.clone()]);
    assert_eq!(cache.stats().bytes, 900);
}

#[test]
fn size_counts_ir_and_step_logs() {
    let cache = mem_only(10, 10_000);
    let mut v = variant("ir", 100);
    v.optimized_ir = "x".repeat(50);
    v.steps.push(step("s", "y".repeat(25)));
    assert_eq!(v.size(), 175);
    cache.put(v);
    assert_eq!(cache.stats().bytes, 175);
}

#[test]
fn replacing_a_key_does_not_double_count() {
    let cache = mem_only(10, 10_000);
    let v = variant("a", 100);
    cache.put(v.clone());
    let mut bigger = v.clone();
    bigger.object = vec![1; 300];
    cache.put(bigger);
    let s = cache.stats();
    assert_eq!((s.entries, s.bytes, s.insertions), (1, 300, 2));
    assert_eq!(cache.peek(&v.key).map(|v| v.object.len()), Some(300));
}

#[test]
fn oversized_entry_is_kept_on_disk_but_not_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let cache = on_disk(dir.path(), 10, 1000);
    let small = variant("small", 500);
    cache.put(small.clone());
    let big = variant("big", 5000);
    let (stored, notices) = cache.put(big.clone());
    // It must not push the small one out on its way to not being held.
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(stored.object, big.object);
    assert!(cache.peek(&big.key).is_none());
    assert!(cache.peek(&small.key).is_some());
    assert_eq!(cache.stats().insertions, 2);
    assert_eq!(cache.stats().bytes, 500);

    let (got, _) = cache.get(&big.key);
    let (got, tier) = got.unwrap();
    assert_eq!(tier, Tier::Disk);
    assert_eq!(*got, big);
    assert!(cache.peek(&big.key).is_none());

    // Without a disk tier it is stored nowhere, and says so in the counters.
    let mem = mem_only(10, 1000);
    mem.put(big.clone());
    assert_eq!(mem.stats().insertions, 0);
    assert!(mem.get(&big.key).0.is_none());
}

#[test]
fn hits_and_misses_are_counted() {
    let cache = mem_only(10, usize::MAX);
    let v = variant("a", 10);
    assert!(cache.get(&v.key).0.is_none());
    cache.put(v.clone());
    for _ in 0..3 {
        let (got, notices) = cache.get(&v.key);
        assert!(notices.is_empty());
        assert_eq!(
            got.map(|(v, t)| (v.key.clone(), t)),
            Some((v.key.clone(), Tier::Memory))
        );
    }
    let s = cache.stats();
    assert_eq!((s.hits, s.misses, s.disk_hits, s.insertions), (3, 1, 0, 1));
    let (list, _) = cache.list();
    assert_eq!(list[0].hits, 3);
}

#[test]
fn rejected_variant_is_counted_and_served() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = variant("bad", 10);
    v.verification = Verification::Rejected("out[3] differs by 1e-2".into());
    {
        let cache = on_disk(dir.path(), 10, usize::MAX);
        cache.put(v.clone());
        cache.put(variant("good", 10));
        let s = cache.stats();
        assert_eq!((s.insertions, s.rejections), (2, 1));
        let (got, _) = cache.get(&v.key);
        assert_eq!(got.unwrap().0.verification, v.verification);
    }
    // And after a restart: the verdict is kept so nothing is rebuilt.
    let cache = on_disk(dir.path(), 10, usize::MAX);
    let (got, _) = cache.get(&v.key);
    assert_eq!(got.unwrap().0.verification, v.verification);
}

fn step(node: &str, ir: String) -> StepRecord {
    StepRecord {
        node: node.into(),
        transform: "unroll".into(),
        params: "count=4".into(),
        micros: 12,
        before: IrStats {
            functions: 1,
            blocks: 3,
            instructions: 20,
            loops: 1,
            ..Default::default()
        },
        after: IrStats {
            functions: 1,
            blocks: 5,
            instructions: 60,
            loops: 1,
            ..Default::default()
        },
        note: "unrolled 1 loop".into(),
        ir_after: ir,
    }
}

#[test]
fn restart_reloads_from_disk_with_identical_contents() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = variant("kept", 4096);
    v.optimized_ir = "define void @k() {\n  ret void\n}\n".into();
    v.steps.push(step("u", "; after unroll".into()));
    {
        let cache = on_disk(dir.path(), 10, usize::MAX);
        let (stored, notices) = cache.put(v.clone());
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(*stored, v);
    }
    // Written atomically: the variant file and no temporary left over.
    assert_eq!(files_in(dir.path()), vec![format!("{}.variant", v.key)]);

    let cache = on_disk(dir.path(), 10, usize::MAX);
    assert_eq!(cache.stats().entries, 0);
    let (got, notices) = cache.get(&v.key);
    assert!(notices.is_empty(), "{notices:?}");
    let (got, tier) = got.unwrap();
    assert_eq!(tier, Tier::Disk);
    assert_eq!(got.object, v.object);
    assert_eq!(got.plan, v.plan);
    assert_eq!(*got, v);
    let s = cache.stats();
    assert_eq!((s.hits, s.disk_hits, s.misses, s.entries), (1, 1, 0, 1));
    // Now it is in memory.
    assert_eq!(cache.get(&v.key).0.unwrap().1, Tier::Memory);
}

#[test]
fn hits_and_last_use_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let v = variant("used", 10);
    {
        let cache = on_disk(dir.path(), 10, usize::MAX);
        cache.put(v.clone());
        for _ in 0..3 {
            cache.get(&v.key);
        }
    }
    let cache = on_disk(dir.path(), 10, usize::MAX);
    let (list, _) = cache.list();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].hits, 3);
    assert!(list[0].last_use >= v.created);
    cache.get(&v.key);
    let (list, _) = cache.list();
    assert_eq!(list[0].hits, 4);
    assert!(list[0].in_memory);
}

#[test]
fn eviction_writes_hits_to_the_sidecar() {
    let dir = tempfile::tempdir().unwrap();
    let cache = on_disk(dir.path(), 1, usize::MAX);
    let (a, b) = (variant("a", 1), variant("b", 1));
    cache.put(a.clone());
    cache.get(&a.key);
    cache.get(&a.key);
    cache.put(b);
    let stats = disk::read_stats(dir.path(), &a.key).unwrap();
    assert_eq!(stats.hits, 2);
}

/// Writes `v` through a cache, lets `damage` change the file, and checks a
/// fresh cache refuses it: a miss, a Corrupt notice whose reason contains
/// `expect`, the file gone, the counter up.
fn assert_refused(v: &Variant, damage: impl FnOnce(&Path), expect: &str) {
    let dir = tempfile::tempdir().unwrap();
    {
        let cache = on_disk(dir.path(), 10, usize::MAX);
        cache.put(v.clone());
    }
    let path = dir.path().join(format!("{}.variant", v.key));
    damage(&path);
    let cache = on_disk(dir.path(), 10, usize::MAX);
    let (got, notices) = cache.get(&v.key);
    assert!(got.is_none(), "{expect}: loaded a damaged file");
    match notices.as_slice() {
        [CacheNotice::Corrupt {
            key,
            path: p,
            reason,
        }] => {
            assert_eq!(key, &v.key);
            assert_eq!(p, &path);
            assert!(reason.contains(expect), "`{reason}` should say `{expect}`");
        }
        other => panic!("{expect}: expected one Corrupt notice, got {other:?}"),
    }
    assert!(!path.exists(), "{expect}: the file should be removed");
    let s = cache.stats();
    assert_eq!((s.corrupt, s.misses, s.hits), (1, 1, 0));
    // Gone for good: the next get is a plain miss.
    let (got, notices) = cache.get(&v.key);
    assert!(got.is_none() && notices.is_empty());
}

fn rewrite(path: &Path, f: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = fs::read(path).unwrap();
    f(&mut bytes);
    fs::write(path, bytes).unwrap();
}

#[test]
fn flipped_payload_byte_is_refused() {
    let v = variant("flip", 256);
    assert_refused(
        &v,
        |p| {
            rewrite(p, |b| {
                let last = b.len() - 1;
                b[last] ^= 0x40;
            })
        },
        "payload checksum mismatch",
    );
}

#[test]
fn flipped_header_byte_is_refused() {
    let v = variant("flip-meta", 16);
    assert_refused(
        &v,
        |p| rewrite(p, |b| b[disk::HEADER_LEN + 3] ^= 1),
        "header checksum mismatch",
    );
}

#[test]
fn truncated_file_is_refused() {
    let v = variant("trunc", 256);
    assert_refused(
        &v,
        |p| rewrite(p, |b| b.truncate(b.len() - 10)),
        "length mismatch",
    );
    assert_refused(&v, |p| rewrite(p, |b| b.truncate(20)), "truncated");
    assert_refused(&v, |p| rewrite(p, |b| b.clear()), "truncated");
}

#[test]
fn wrong_magic_is_refused() {
    let v = variant("magic", 8);
    assert_refused(
        &v,
        |p| rewrite(p, |b| b[..8].copy_from_slice(b"NOTTAILR")),
        "bad magic",
    );
}

#[test]
fn wrong_version_is_refused() {
    let v = variant("version", 8);
    assert_refused(
        &v,
        |p| rewrite(p, |b| b[8..12].copy_from_slice(&3u32.to_le_bytes())),
        "format version 3, expected 2",
    );
}

#[test]
fn absurd_length_is_refused_without_allocating() {
    let v = variant("huge", 8);
    assert_refused(
        &v,
        |p| rewrite(p, |b| b[16..24].copy_from_slice(&u64::MAX.to_le_bytes())),
        "length mismatch",
    );
}

#[test]
fn json_garbage_with_valid_checksum_is_refused() {
    let v = variant("garbage", 32);
    let meta = serde_json::to_vec(&Meta::of(&v)).unwrap();
    let forged = disk::assemble(
        FORMAT_VERSION,
        &meta,
        &disk::payload(b"{\"key\": not json", &v.object),
    )
    .unwrap();
    assert_refused(
        &v,
        |p| fs::write(p, &forged).unwrap(),
        "variant JSON does not parse",
    );

    let forged = disk::assemble(FORMAT_VERSION, b"[1, 2", &disk::payload(b"{}", &[])).unwrap();
    assert_refused(
        &v,
        |p| fs::write(p, &forged).unwrap(),
        "header JSON does not parse",
    );

    // A JSON length pointing past the payload.
    let mut payload = disk::payload(b"{}", &[]);
    payload[..8].copy_from_slice(&1000u64.to_le_bytes());
    let forged = disk::assemble(FORMAT_VERSION, &meta, &payload).unwrap();
    assert_refused(&v, |p| fs::write(p, &forged).unwrap(), "exceeds");
}

#[test]
fn file_holding_another_key_is_refused() {
    let v = variant("mine", 8);
    let other = variant("other", 8);
    // The whole file of another key, renamed.
    let whole = disk::encode(&other, None).unwrap();
    assert_refused(&v, |p| fs::write(p, &whole).unwrap(), "header holds key");
    // A consistent header, but the variant inside is another one.
    let meta = serde_json::to_vec(&Meta::of(&v)).unwrap();
    let json = serde_json::to_vec(&other).unwrap();
    let forged =
        disk::assemble(FORMAT_VERSION, &meta, &disk::payload(&json, &other.object)).unwrap();
    assert_refused(&v, |p| fs::write(p, &forged).unwrap(), "holds key");
}

#[test]
fn corrupt_files_are_removed_by_list_and_load_too() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (variant("a", 64), variant("b", 64));
    {
        let cache = on_disk(dir.path(), 10, usize::MAX);
        cache.put(a.clone());
        cache.put(b.clone());
    }
    let pa = dir.path().join(format!("{}.variant", a.key));
    let pb = dir.path().join(format!("{}.variant", b.key));
    rewrite(&pa, |x| x[0] = b'X');
    rewrite(&pb, |x| {
        let last = x.len() - 1;
        x[last] ^= 1;
    });
    let cache = on_disk(dir.path(), 10, usize::MAX);
    // list reads headers only: it refuses `a`, and leaves `b` (whose damage
    // is in the payload) to load.
    let (list, notices) = cache.list();
    assert_eq!(
        list.iter().map(|e| &e.key).collect::<Vec<_>>(),
        vec![&b.key]
    );
    assert!(matches!(&notices[..], [CacheNotice::Corrupt { key, .. }] if *key == a.key));
    assert!(!pa.exists());
    match cache.load(&b.key.0[..8]) {
        Err(CacheError::Corrupt { key, reason, .. }) => {
            assert_eq!(key, b.key);
            assert!(reason.contains("payload checksum"));
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(!pb.exists());
    assert_eq!(cache.stats().corrupt, 2);
}

#[test]
fn load_by_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let k1 = format!("abcd1{}", "0".repeat(59));
    let k2 = format!("abcd2{}", "0".repeat(59));
    let k3 = format!("ef01{}", "1".repeat(60));
    {
        let cache = on_disk(dir.path(), 10, usize::MAX);
        for k in [&k1, &k2, &k3] {
            cache.put(variant_with_key(k, 16));
        }
    }
    // A new cache: every match comes from disk.
    let cache = on_disk(dir.path(), 10, usize::MAX);
    assert_eq!(cache.load("abcd1").unwrap().key.0, k1);
    assert_eq!(cache.load("EF01").unwrap().key.0, k3);
    assert_eq!(cache.load(&k2).unwrap().key.0, k2);
    // `load` is for looking: nothing counted, nothing moved into memory.
    let s = cache.stats();
    assert_eq!((s.hits, s.misses, s.entries), (0, 0, 0));

    match cache.load("abcd") {
        Err(e @ CacheError::Ambiguous { count: 2, .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("ambiguous") && msg.contains("abcd1") && msg.contains("abcd2"));
        }
        other => panic!("expected Ambiguous, got {other:?}"),
    }
    match cache.load("0123") {
        Err(e @ CacheError::NotFound { .. }) => assert!(e.to_string().contains("0123")),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(matches!(
        cache.load("abc"),
        Err(CacheError::BadPrefix { .. })
    ));
    assert!(matches!(
        cache.load("wxyz"),
        Err(CacheError::BadPrefix { .. })
    ));

    // From memory as well, in a memory-only cache.
    let mem = mem_only(10, usize::MAX);
    mem.put(variant_with_key(&k1, 16));
    assert_eq!(mem.load("abcd").unwrap().key.0, k1);
}

#[test]
fn list_shows_memory_then_disk_only_entries() {
    let dir = tempfile::tempdir().unwrap();
    let cache = on_disk(dir.path(), 2, usize::MAX);
    let (a, b, c) = (variant("a", 10), variant("b", 20), variant("c", 30));
    cache.put(a.clone());
    cache.put(b.clone());
    cache.put(c.clone()); // evicts `a` from memory; it stays on disk
    cache.get(&b.key);
    let (list, notices) = cache.list();
    assert!(notices.is_empty(), "{notices:?}");
    let keys: Vec<_> = list.iter().map(|e| e.key.clone()).collect();
    assert_eq!(keys, vec![b.key.clone(), c.key.clone(), a.key.clone()]);
    assert!(list[0].in_memory && list[0].on_disk);
    assert_eq!(list[0].hits, 1);
    assert!(list[1].in_memory && list[1].on_disk);
    assert!(!list[2].in_memory && list[2].on_disk);
    assert_eq!(list[2].size, 10);
    assert_eq!(list[2].kernel_name, "a");
    assert_eq!(list[2].profile, "a");
    assert_eq!(list[2].plan_summary, "finish default<O3>");
    assert_eq!(list[2].verification, Verification::Verified);
    // Serializable for `tailor cache ls --json`.
    let json = serde_json::to_value(&list).unwrap();
    assert_eq!(json[0]["key"], serde_json::json!(b.key.0));
}

#[test]
fn remove_takes_both_tiers() {
    let dir = tempfile::tempdir().unwrap();
    let cache = on_disk(dir.path(), 10, usize::MAX);
    let v = variant("gone", 10);
    cache.put(v.clone());
    cache.get(&v.key);
    cache.flush();
    assert!(cache.remove(&v.key));
    assert!(!cache.remove(&v.key));
    assert!(cache.peek(&v.key).is_none());
    assert_eq!(cache.stats().bytes, 0);
    assert!(
        files_in(dir.path()).is_empty(),
        "{:?}",
        files_in(dir.path())
    );
    assert!(cache.get(&v.key).0.is_none());
}

#[test]
fn clear_empties_both_tiers() {
    let dir = tempfile::tempdir().unwrap();
    let cache = on_disk(dir.path(), 1, 100);
    cache.put(variant("a", 10));
    cache.put(variant("b", 10)); // `a` now on disk only
    cache.put(variant("big", 1000)); // on disk only
    assert_eq!(cache.clear().unwrap(), 3);
    assert_eq!(cache.stats().entries, 0);
    assert_eq!(cache.stats().bytes, 0);
    assert!(cache.list().0.is_empty());
    assert!(
        files_in(dir.path()).is_empty(),
        "{:?}",
        files_in(dir.path())
    );
    assert_eq!(cache.clear().unwrap(), 0);

    let mem = mem_only(10, usize::MAX);
    mem.put(variant("a", 1));
    assert_eq!(mem.clear().unwrap(), 1);
}

#[test]
fn uncreatable_dir_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    fs::write(&file, b"not a directory").unwrap();
    for path in [file.join("variants"), file.clone()] {
        let err = VariantCache::new(CacheConfig {
            max_entries: 1,
            max_bytes: 1,
            dir: Some(path.clone()),
            disk_max_bytes: 1,
        })
        .unwrap_err();
        assert!(matches!(err, CacheError::CreateDir { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }
}

#[test]
fn new_creates_the_dir_and_sweeps_crashed_writers_files() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("a").join("b");
    let v = variant("a", 4);
    {
        let cache = on_disk(&dir, 10, usize::MAX);
        cache.put(v.clone());
    }
    // pid 4000000000 is above any Linux pid_max: its writer is dead.
    let dead = dir.join(format!("{}.variant.tmp-4000000000-3", v.key));
    fs::write(&dead, b"half a file").unwrap();
    // A sidecar without its variant.
    let orphan = dir.join(format!("{}.stats", "ab".repeat(32)));
    fs::write(&orphan, b"{}").unwrap();
    let _cache = on_disk(&dir, 10, usize::MAX);
    if Path::new("/proc/self").exists() {
        assert!(!dead.exists());
    }
    assert!(!orphan.exists());
    assert!(dir.join(format!("{}.variant", v.key)).exists());
}

#[test]
fn live_writers_tmp_files_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    // Our own pid is alive, and the file is fresh.
    let live = dir
        .path()
        .join(format!("abcd.variant.tmp-{}-0", std::process::id()));
    fs::write(&live, b"being written").unwrap();
    let _cache = on_disk(dir.path(), 10, usize::MAX);
    assert!(live.exists());
}

#[test]
fn non_hex_key_stays_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let cache = on_disk(dir.path(), 10, usize::MAX);
    let mut v = variant("odd", 4);
    v.key = VariantKey("../escape".into());
    let (_, notices) = cache.put(v.clone());
    assert!(matches!(&notices[..], [CacheNotice::DiskError { .. }]));
    assert!(files_in(dir.path()).is_empty());
    assert!(cache.get(&v.key).0.is_some());
    assert!(cache.remove(&v.key));
}

#[test]
fn zero_budgets_hold_nothing_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let cache = on_disk(dir.path(), 0, usize::MAX);
    let v = variant("a", 4);
    let (_, notices) = cache.put(v.clone());
    assert!(notices.is_empty());
    assert_eq!(cache.stats().entries, 0);
    assert_eq!(cache.get(&v.key).0.unwrap().1, Tier::Disk);
    assert_eq!(cache.get(&v.key).0.unwrap().1, Tier::Disk);
    let (list, _) = cache.list();
    assert_eq!(list[0].hits, 2);
}

#[test]
fn default_dir_follows_the_environment() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    };
    assert_eq!(
        default_dir_from(env(&[
            ("TAILOR_CACHE_DIR", "/t"),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h")
        ])),
        Some(PathBuf::from("/t"))
    );
    assert_eq!(
        default_dir_from(env(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")])),
        Some(PathBuf::from("/x/tailor/variants"))
    );
    // Empty and relative XDG values are ignored, as the spec says.
    assert_eq!(
        default_dir_from(env(&[
            ("TAILOR_CACHE_DIR", ""),
            ("XDG_CACHE_HOME", "rel"),
            ("HOME", "/h")
        ])),
        Some(PathBuf::from("/h/.cache/tailor/variants"))
    );
    assert_eq!(default_dir_from(env(&[])), None);
    let d = CacheConfig {
        dir: None,
        ..CacheConfig::default()
    };
    assert_eq!((d.max_entries, d.max_bytes), (256, 256 << 20));
}

#[test]
fn plan_summary_lists_steps_and_finish() {
    let mut p = plan("x");
    assert_eq!(plan_summary(&p), "finish default<O3>");
    p.finish = "none".into();
    assert_eq!(plan_summary(&p), "");
}

#[test]
fn a_sealed_disk_tier_refuses_files_made_without_its_fleet_key() {
    use super::FleetKey;
    let dir = tempfile::tempdir().unwrap();
    let key = FleetKey::new("the fleet key of this test").unwrap();
    let (sealed, unsealed) = (variant("sealed", 64), variant("unsealed", 64));
    on_disk(dir.path(), 10, usize::MAX)
        .sealed(key.clone())
        .put(sealed.clone());
    on_disk(dir.path(), 10, usize::MAX).put(unsealed.clone());

    // Under the key: its own file loads, the unsealed one is refused and
    // removed.
    let cache = on_disk(dir.path(), 10, usize::MAX).sealed(key.clone());
    assert!(cache.get(&sealed.key).0.is_some());
    let (got, notices) = cache.get(&unsealed.key);
    assert!(got.is_none());
    assert!(
        matches!(&notices[..], [CacheNotice::Corrupt { reason, .. }] if reason.contains("fleet key")),
        "{notices:?}"
    );
    assert!(!dir
        .path()
        .join(format!("{}.variant", unsealed.key))
        .exists());

    // Under another key, the sealed file fails as well (listing checks it
    // too); without a key, nothing is checked.
    let other = FleetKey::new("another fleet key, not this one").unwrap();
    let (infos, notices) = on_disk(dir.path(), 10, usize::MAX).sealed(other).list();
    assert!(
        infos.is_empty() && notices.len() == 1,
        "{infos:?} {notices:?}"
    );
    let plain = on_disk(dir.path(), 10, usize::MAX);
    plain.put(sealed.clone());
    assert!(on_disk(dir.path(), 10, usize::MAX)
        .get(&sealed.key)
        .0
        .is_some());
}

#[test]
fn the_disk_tier_keeps_under_its_byte_budget_dropping_the_least_recently_used() {
    let dir = tempfile::tempdir().unwrap();
    let one = disk::encode(&variant("v0", 4096), None).unwrap().len() as u64;
    let cache = VariantCache::new(CacheConfig {
        max_entries: 100,
        max_bytes: usize::MAX,
        dir: Some(dir.path().to_owned()),
        disk_max_bytes: 4 * one,
    })
    .unwrap();
    let vs: Vec<Variant> = (0..10).map(|i| variant(&format!("v{i}"), 4096)).collect();
    let mut evicted = Vec::new();
    for v in &vs {
        let (_, notices) = cache.put(v.clone());
        evicted.extend(notices.into_iter().filter_map(|n| match n {
            CacheNotice::DiskEvicted { key } => Some(key),
            _ => None,
        }));
    }
    let on_disk = disk::keys_on_disk(dir.path()).unwrap();
    let bytes: u64 = disk::files_by_use(dir.path()).iter().map(|f| f.1).sum();
    assert!(
        bytes <= 4 * one,
        "{bytes} bytes on disk, budget {}",
        4 * one
    );
    assert_eq!(on_disk.len() + evicted.len(), vs.len());
    assert!(!evicted.is_empty());
    let stats = cache.stats();
    assert_eq!(stats.disk_evictions as usize, evicted.len());
    assert_eq!(stats.disk_bytes, bytes);
    // The newest is kept; memory still holds what it held.
    assert!(on_disk.contains(&vs[9].key));
    assert!(
        cache.get(&vs[0].key).0.is_some(),
        "memory keeps an entry evicted from disk"
    );
}
