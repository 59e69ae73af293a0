//! Never slower than generic (issue 14): the performance guard, the
//! fallback chain and tiered serving, through the engine's library API.
//! Each test has its own profiles and cache directory.
//!
//! A slow variant is made the honest way: a profile with `finish: none`
//! builds the kernel without LLVM's optimizer, which on `filter_count`
//! (vectorized by O3) is many times slower than generic.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tailor::cache::{CacheConfig, Verification};
use tailor::engine::{Engine, EngineConfig, EventKind, Response, Served, TryVerdict};
use tailor::input::Scalar;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

const GENERIC: &str = "name: generic\npriority: 0\npipeline: {}\nfinish: default<O3>\n";

/// Built without LLVM's optimizer: right, and much slower than generic.
const SLOW: &str = "name: slow\npriority: 100\nmatch: true\nfinish: none\npipeline: {}\n";

/// Binds every integer scalar (sizes and modes): a variant for one input's
/// values only. About as fast as generic on `filter_count`, so its guard
/// allows it to lose up to 11× (the noise of a loaded machine, where a
/// few runs can take several times a quiet one's, must not decide these
/// tests; `SLOW` loses by more).
const BOUND: &str = "name: bound\npriority: 50\nmatch: size(ints) > 0\nguard: { margin: 10 }\npipeline:\n  bind: { transform: specialize, bind: ints }\n";

struct Setup {
    _profiles: tempfile::TempDir,
    _cache: tempfile::TempDir,
    work: tempfile::TempDir,
    engine: Engine,
}

fn setup(profiles: &[(&str, &str)]) -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "generic.yaml", GENERIC);
    for (name, text) in profiles {
        write(dir.path(), name, text);
    }
    let cache = tempfile::tempdir().expect("tempdir");
    let engine = Engine::new(EngineConfig {
        profiles: dir.path().to_owned(),
        cache: CacheConfig {
            max_entries: 256,
            max_bytes: 256 << 20,
            dir: Some(cache.path().to_owned()),
            disk_max_bytes: tailor::cache::DEFAULT_DISK_BYTES,
        },
        pools: Default::default(),
        shadow: 0.0,
        fleet: Default::default(),
        key_budget: Default::default(),
    })
    .expect("engine");
    assert!(
        engine.store().errors().is_empty(),
        "{:?}",
        engine.store().errors()
    );
    Setup {
        _profiles: dir,
        _cache: cache,
        work: tempfile::tempdir().expect("tempdir"),
        engine,
    }
}

/// A `filter_count` spec: `len` ints in [-50, 50], counted `> threshold`.
fn filter_spec(dir: &Path, name: &str, len: usize, threshold: i32) -> PathBuf {
    write(
        dir,
        name,
        &format!(
            "kernel: {}\nentry: filter_count\nargs:\n  - a: {{ array: i32, gen: {{ dist: uniform, len: {len}, seed: 7, min: -50, max: 50 }} }}\n  - n: {{ i64: len(a) }}\n  - threshold: {{ i32: {threshold} }}\n  - mode: {{ i32: 0 }}\n",
            root().join("kernels/filter.c").display()
        ),
    )
}

/// What the generic build answers for a spec.
fn generic_result(engine: &Engine, spec: &Path) -> Option<Scalar> {
    let made = engine.spec_request(spec).expect("spec");
    let mut request = made.request;
    request.profile = Some("generic".into());
    engine.run(request).expect("generic run").result
}

fn run(
    engine: &Engine,
    events: &std::sync::mpsc::Receiver<tailor::engine::Event>,
    spec: &Path,
) -> (Response, Vec<EventKind>) {
    let r = engine
        .run_spec(spec)
        .unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
    let kinds = events
        .try_iter()
        .filter(|e| e.request == r.request)
        .map(|e| e.kind)
        .collect();
    (r, kinds)
}

fn built(kinds: &[EventKind]) -> usize {
    kinds
        .iter()
        .filter(|k| matches!(k, EventKind::Building { .. }))
        .count()
}

#[test]
fn a_variant_slower_than_generic_is_not_served_and_the_verdict_is_cached() {
    let s = setup(&[("slow.yaml", SLOW)]);
    let events = s.engine.subscribe();
    let spec = filter_spec(s.work.path(), "f.yaml", 200_000, 10);

    let (first, kinds) = run(&s.engine, &events, &spec);
    assert_eq!(first.profile, "slow");
    assert_eq!(first.verification, Verification::Verified);
    let timed = first.timed.expect("the guard timed the variant");
    assert!(timed.slower, "{timed}");
    assert!(timed.speedup() < 0.97, "{timed}");
    assert!(timed.runs >= 1);
    assert_eq!(first.served_by, Served::Generic);
    assert_ne!(first.served_key, first.key, "generic ran, not the variant");
    // The guard said so, with both times.
    let said = kinds.iter().find_map(|k| match k {
        EventKind::Timed { key, timed, .. } => Some((key.clone(), *timed)),
        _ => None,
    });
    let (key, said) = said.expect("a Timed event");
    assert_eq!(key, first.key);
    assert!(said.slower && said.generic_ns > 0 && said.variant_ns > said.generic_ns);

    // The decision is part of the cached entry: on disk and in `list`.
    let cached = s
        .engine
        .cache()
        .peek(&tailor::cache::VariantKey(first.key.clone()))
        .expect("cached");
    assert_eq!(cached.timed, Some(timed));
    assert!(!cached.serves());
    let (entries, _) = s.engine.cache().list();
    let entry = entries
        .iter()
        .find(|e| e.key.0 == first.key)
        .expect("listed");
    assert_eq!(entry.timed, Some(timed));

    // A later request of the key: a hit, nothing built or timed again,
    // still generic, the same answer.
    let (again, kinds) = run(&s.engine, &events, &spec);
    assert!(again.hit);
    assert_eq!(built(&kinds), 0, "{kinds:?}");
    assert!(!kinds.iter().any(|k| matches!(k, EventKind::Timed { .. })));
    assert_eq!(again.served_by, Served::Generic);
    assert_eq!(again.result, first.result);
    assert_eq!(again.result, generic_result(&s.engine, &spec));
}

#[test]
fn with_the_guard_off_a_slower_variant_is_served() {
    let s = setup(&[(
        "slow.yaml",
        &SLOW.replace("pipeline:", "guard: { enabled: false }\npipeline:"),
    )]);
    let spec = filter_spec(s.work.path(), "f.yaml", 100_000, 10);
    let r = s.engine.run_spec(&spec).expect("run");
    assert_eq!(r.served_by, Served::Variant);
    assert_eq!(r.timed, None);
    assert_eq!(r.result, generic_result(&s.engine, &spec));
}

#[test]
fn the_guard_settings_are_range_checked_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (text, expect) in [
        (
            "guard: { margin: -0.1 }",
            "`guard.margin`: -0.1 is out of range",
        ),
        ("guard: { runs: 0 }", "`guard.runs`: 0 is out of range"),
        (
            "guard: { fallbacks: 99 }",
            "`guard.fallbacks`: 99 is out of range",
        ),
        (
            "guard: { budget_ms: 0 }",
            "`guard.budget_ms`: 0 is out of range",
        ),
        ("guard: { marginn: 1 }", "unknown field `marginn`"),
    ] {
        let path = write(
            dir.path(),
            "p.yaml",
            &format!("name: p\npriority: 1\n{text}\npipeline: {{}}\n"),
        );
        let errors = tailor::profile::Profile::load(&path, None).expect_err(text);
        let all: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert!(
            all.iter()
                .any(|e| e.contains(expect) && e.contains("p.yaml:3")),
            "{text}: {all:?}"
        );
    }
}

#[test]
fn a_slower_variant_falls_back_to_the_next_matching_profile_planned_for_each_input() {
    let s = setup(&[("slow.yaml", SLOW), ("bound.yaml", BOUND)]);
    let events = s.engine.subscribe();
    let one = filter_spec(s.work.path(), "one.yaml", 200_000, 10);
    let two = filter_spec(s.work.path(), "two.yaml", 200_000, -20);

    let (r1, kinds) = run(&s.engine, &events, &one);
    assert_eq!(r1.profile, "slow");
    assert_eq!(r1.served_by, Served::Fallback, "{:?}", r1.chain);
    assert_eq!(r1.chain.len(), 2, "{:?}", r1.chain);
    assert_eq!(r1.chain[0].profile, "slow");
    assert!(matches!(r1.chain[0].verdict, TryVerdict::Slower { .. }));
    assert_eq!(
        (r1.chain[1].profile.as_str(), r1.chain[1].why.as_str()),
        ("bound", "next profile")
    );
    assert_eq!(r1.chain[1].verdict, TryVerdict::Served);
    assert_eq!(r1.served_key, r1.chain[1].key);
    assert!(kinds.iter().any(
        |k| matches!(k, EventKind::Fallback { to: 1, of: 1, profile, .. } if profile == "bound")
    ));
    assert_eq!(r1.result, generic_result(&s.engine, &one));

    // Another input with the same `slow` key (it binds nothing) but other
    // scalars: the chain is planned for *this* input, so `bound` is built
    // for threshold -20 rather than the first input's variant borrowed.
    let (r2, kinds) = run(&s.engine, &events, &two);
    assert_eq!(r2.key, r1.key);
    assert!(r2.hit);
    assert_eq!(r2.served_by, Served::Fallback);
    assert_ne!(r2.served_key, r1.served_key);
    assert_eq!(built(&kinds), 1, "only the new fallback is built");
    assert_eq!(r2.result, generic_result(&s.engine, &two));
    assert_ne!(r2.result, r1.result);

    // The first input again: every try a cache hit, nothing built.
    let (r3, kinds) = run(&s.engine, &events, &one);
    assert_eq!(built(&kinds), 0, "{kinds:?}");
    assert_eq!(r3.served_key, r1.served_key);
    assert_eq!(r3.result, r1.result);
}

#[test]
fn a_rejected_reassociated_sum_falls_back_to_the_same_dag_without_reassoc() {
    let s = setup(&[(
        "exact.yaml",
        "name: exact\npriority: 100\nmatch: size(arrays) > 0\ntolerance: { rel: 0, abs: 0 }\nguard: { margin: 10 }\npipeline:\n  vec: { transform: vectorize, width: 8, interleave: 4, reassoc: true }\n",
    )]);
    let events = s.engine.subscribe();
    let spec = root().join("sample-inputs/sum-large.yaml");

    let (r, kinds) = run(&s.engine, &events, &spec);
    assert!(
        matches!(r.verification, Verification::Rejected(_)),
        "{:?}",
        r.verification
    );
    assert_eq!(r.served_by, Served::Fallback, "{:?}", r.chain);
    assert_eq!(r.chain.len(), 2);
    assert!(matches!(r.chain[0].verdict, TryVerdict::Rejected { .. }));
    assert_eq!(r.chain[1].why, "reassoc off");
    assert_eq!(r.chain[1].profile, "exact");
    // Reassociation off: C's order of additions, generic's exact result.
    assert_eq!(r.result, generic_result(&s.engine, &spec));
    let verified = kinds
        .iter()
        .filter(|k| matches!(k, EventKind::Verified { .. }))
        .count();
    assert_eq!(verified, 2, "the selected Plan and its fallback");
    let served = s
        .engine
        .cache()
        .peek(&tailor::cache::VariantKey(r.served_key.clone()))
        .expect("the fallback is cached");
    assert!(served
        .plan
        .skipped
        .iter()
        .any(|n| n.reason.contains("reassoc off")));

    // Again: the rejected entry and its fallback are both hits.
    let (again, kinds) = run(&s.engine, &events, &spec);
    assert!(again.hit);
    assert_eq!(built(&kinds), 0);
    assert_eq!(again.served_key, r.served_key);
}

#[test]
fn tiered_serving_answers_a_miss_with_generic_and_the_next_request_gets_the_variant() {
    let s = setup(&[("bound.yaml", BOUND)]);
    s.engine.serve_tiered(true);
    let events = s.engine.subscribe();
    let spec = filter_spec(s.work.path(), "f.yaml", 100_000, 10);

    let (first, kinds) = run(&s.engine, &events, &spec);
    assert_eq!(first.profile, "bound");
    assert!(!first.hit);
    assert!(first.deferred);
    assert_eq!(first.served_by, Served::Generic);
    assert!(kinds
        .iter()
        .any(|k| matches!(k, EventKind::Deferred { key, queued: true, .. } if *key == first.key)));
    let answer = first.result;

    // The background build finishes on its own.
    let until = Instant::now() + Duration::from_secs(60);
    while s.engine.pending() > 0 {
        assert!(Instant::now() < until, "the background build never ended");
        std::thread::sleep(Duration::from_millis(20));
    }
    let ready: Vec<_> = events
        .try_iter()
        .filter_map(|e| match e.kind {
            EventKind::Ready { key, served_by, .. } => Some((e.request, key, served_by)),
            _ => None,
        })
        .collect();
    assert_eq!(
        ready,
        vec![(first.request, first.key.clone(), Served::Variant)]
    );

    let (second, kinds) = run(&s.engine, &events, &spec);
    assert!(second.hit);
    assert!(!second.deferred);
    assert_eq!(second.served_by, Served::Variant);
    assert_eq!(second.served_key, first.key);
    assert_eq!(built(&kinds), 0);
    assert_eq!(second.result, answer);
}

#[test]
fn a_profile_can_opt_out_of_tiered_serving() {
    let s = setup(&[(
        "bound.yaml",
        &BOUND.replace("pipeline:", "sandbox: { tiered: false }\npipeline:"),
    )]);
    s.engine.serve_tiered(true);
    let spec = filter_spec(s.work.path(), "f.yaml", 100_000, 10);
    let first = s.engine.run_spec(&spec).expect("run");
    assert!(!first.hit && !first.deferred);
    assert_eq!(first.served_by, Served::Variant);
    assert_eq!(s.engine.pending(), 0);
}

/// Candidates over unrolling (a node on or off, two counts) and two
/// finishing pipelines: six distinct Plans once duplicates go.
const TUNED: &str = "name: tuned\npriority: 50\nmatch: size(ints) > 0\nguard: { margin: 10 }\npipeline:\n  bind: { transform: specialize, bind: ints }\n  part: { transform: unroll, count: 2, after: bind }\n  tune: { transform: autotune, toggle: [part], unroll: [2, 8], finish: [\"default<O3>\", \"default<O1>\"] }\n";

#[test]
fn autotune_builds_its_candidates_keeps_the_fastest_verified_and_hits_skip_tuning() {
    let s = setup(&[("tuned.yaml", TUNED)]);
    let events = s.engine.subscribe();
    let spec = filter_spec(s.work.path(), "f.yaml", 100_000, 10);

    let (first, kinds) = run(&s.engine, &events, &spec);
    assert_eq!(first.profile, "tuned");
    assert!(first.plan.steps.iter().any(|st| st.node == "tune"));
    let (tries, chosen) = kinds
        .iter()
        .find_map(|k| match k {
            EventKind::Tuned { tries, chosen, .. } => Some((tries.clone(), chosen.clone())),
            _ => None,
        })
        .expect("a Tuned event");
    // 2 (part on/off) x 2 counts x 2 finishes, less the two Plans where
    // `part` is off and the count changes nothing.
    assert_eq!(tries.len(), 6, "{tries:?}");
    let chosen = chosen.expect("a candidate verified");
    assert!(tries.iter().any(|(l, _)| *l == chosen));
    // One build per candidate, and generic's.
    assert_eq!(built(&kinds), 7, "{kinds:?}");
    assert_eq!(first.served_by, Served::Variant);
    assert_eq!(first.result, generic_result(&s.engine, &spec));

    // The choice is the cached entry's, under the Plan's own key.
    let cached = s
        .engine
        .cache()
        .peek(&tailor::cache::VariantKey(first.key.clone()))
        .expect("cached");
    assert_eq!(cached.tuned.as_deref(), Some(chosen.as_str()));
    assert_eq!(cached.plan, first.plan);

    let (again, kinds) = run(&s.engine, &events, &spec);
    assert!(again.hit);
    assert_eq!(built(&kinds), 0);
    assert!(!kinds.iter().any(|k| matches!(k, EventKind::Tuned { .. })));
    assert_eq!(again.result, first.result);
}

#[test]
fn autotune_candidate_sets_are_checked_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (tune, expect) in [
        ("toggle: [nothere]", "`nothere` is not a transform node"),
        ("unroll: [0]", "0 is outside 1..=1024"),
        ("width: 3", "expected a list of candidates"),
        ("width: [3]", "3 is not a power of two"),
        ("unroll: []", "give 1 to 8 candidates"),
        ("unroll: [\"n\"]", "candidates are literals"),
    ] {
        let path = write(
            dir.path(),
            "p.yaml",
            &format!(
                "name: p\npriority: 1\npipeline:\n  part: {{ transform: unroll, count: 2 }}\n  tune: {{ transform: autotune, {tune} }}\n"
            ),
        );
        let errors = tailor::profile::Profile::load(&path, None).expect_err(tune);
        let all: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert!(
            all.iter()
                .any(|e| e.contains(expect) && e.contains("p.yaml:5")),
            "{tune}: {all:?}"
        );
    }
}
