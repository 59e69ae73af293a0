//! The variant cache's lookup and insert at 10, 1 000 and 100 000 entries
//! (`cargo bench --bench cache`): memory tier only, entries of 1 KiB of
//! object code, as a hit and a miss of the request path see it.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use tailor::cache::{CacheConfig, Variant, VariantCache, VariantKey, Verification};
use tailor::profile::Plan;
use tailor::target::Target;

fn target() -> Target {
    Target {
        triple: "x86_64-unknown-linux-gnu".into(),
        cpu: "znver3".into(),
        features: String::new(),
    }
}

fn variant(i: usize) -> Variant {
    let plan = Plan {
        profile: format!("p{}", i % 7),
        profile_version: "v1".into(),
        steps: vec![],
        skipped: vec![],
        finish: "default<O3>".into(),
        tolerance: Default::default(),
    };
    let kernel_hash = format!("kernel-{i}");
    let target = target();
    Variant {
        key: VariantKey::new(&kernel_hash, "kern", &plan, &target),
        kernel_name: "kern".into(),
        kernel_hash,
        entry: "kern".into(),
        plan,
        target,
        object: vec![(i % 251) as u8; 1024],
        optimized_ir: String::new(),
        writes: Vec::new(),
        steps: Vec::new(),
        transform_micros: 0,
        codegen_micros: 0,
        verification: Verification::Verified,
        timed: None,
        tuned: None,
        created: 0,
    }
}

fn filled(entries: usize) -> (VariantCache, Vec<VariantKey>) {
    let cache = VariantCache::new(CacheConfig {
        max_entries: entries,
        max_bytes: usize::MAX,
        dir: None,
        disk_max_bytes: 0,
    })
    .expect("a memory-only cache needs no directory");
    let keys = (0..entries)
        .map(|i| cache.put(variant(i)).0.key.clone())
        .collect();
    (cache, keys)
}

fn cache(c: &mut Criterion) {
    let mut group = c.benchmark_group("cache");
    for entries in [10usize, 1_000, 100_000] {
        let (cache, keys) = filled(entries);
        let mut i = 0usize;
        group.bench_function(BenchmarkId::new("lookup hit", entries), |b| {
            b.iter(|| {
                i = (i + 7919) % keys.len();
                black_box(cache.get(&keys[i]).0.is_some())
            })
        });
        let absent = variant(entries + 1).key;
        group.bench_function(BenchmarkId::new("lookup miss", entries), |b| {
            b.iter(|| black_box(cache.get(&absent).0.is_none()))
        });
        // A full cache: every insert also evicts the least recently used.
        let mut next = entries + 2;
        group.bench_function(BenchmarkId::new("insert", entries), |b| {
            b.iter_batched(
                || {
                    next += 1;
                    variant(next)
                },
                |v| black_box(cache.put(v)),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, cache);
criterion_main!(benches);
