//! The request path end to end (DESIGN §1, §5, §6): the engine's library API
//! where the events and the cache are the point, the binary where the
//! user's command is. Every test has its own cache directory.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::mpsc::Receiver;
use tailor::cache::{CacheConfig, Tier, VariantCache, Verification};
use tailor::engine::{Engine, EngineConfig, Event, EventKind, Response, Served};
use tailor::input::Scalar;
use tailor::profile::Reload;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sample(name: &str) -> PathBuf {
    root().join("sample-inputs").join(name)
}

fn cache_config(dir: &Path) -> CacheConfig {
    CacheConfig {
        max_entries: 256,
        max_bytes: 256 << 20,
        dir: Some(dir.to_owned()),
        disk_max_bytes: tailor::cache::DEFAULT_DISK_BYTES,
    }
}

fn engine_with(profiles: &Path, cache_dir: &Path) -> Engine {
    Engine::new(EngineConfig {
        profiles: profiles.to_owned(),
        cache: cache_config(cache_dir),
        pools: Default::default(),
        shadow: tailor::engine::DEFAULT_SHADOW,
        fleet: Default::default(),
        key_budget: Default::default(),
    })
    .expect("engine")
}

/// An engine over the shipped profiles.
fn engine(cache_dir: &Path) -> Engine {
    engine_with(&root().join("profiles"), cache_dir)
}

/// Runs one request and returns its response and the events it emitted.
fn request(engine: &Engine, events: &Receiver<Event>, spec: &Path) -> (Response, Vec<EventKind>) {
    let response = engine
        .run_spec(spec)
        .unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
    let kinds: Vec<EventKind> = events
        .try_iter()
        .inspect(|e| assert_eq!(e.request, response.request, "{e:?}"))
        .map(|e| e.kind)
        .collect();
    (response, kinds)
}

fn stage(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::Received { .. } => "received",
        EventKind::Analyzed { .. } => "analyzed",
        EventKind::Selected { .. } => "selected",
        EventKind::Planned { .. } => "planned",
        EventKind::PlanFailed { .. } => "plan_failed",
        EventKind::Cache { .. } => "cache",
        EventKind::CacheNotice { .. } => "cache_notice",
        EventKind::Building { .. } => "building",
        EventKind::FleetBuilding { .. } => "fleet_building",
        EventKind::Generalized { .. } => "generalized",
        EventKind::Step(_) => "step",
        EventKind::Compiled { .. } => "compiled",
        EventKind::TransformFailed { .. } => "transform_failed",
        EventKind::Verified { .. } => "verified",
        EventKind::Timed { .. } => "timed",
        EventKind::Tuned { .. } => "tuned",
        EventKind::Fallback { .. } => "fallback",
        EventKind::Deferred { .. } => "deferred",
        EventKind::Ready { .. } => "ready",
        EventKind::Executed { .. } => "executed",
        EventKind::Finished { .. } => "finished",
        EventKind::Failed { .. } => "failed",
    }
}

fn stages(kinds: &[EventKind]) -> Vec<&'static str> {
    kinds.iter().map(stage).collect()
}

/// The one `Cache` event of a request: (key, hit, tier).
fn cache_event(kinds: &[EventKind]) -> (String, bool, Option<Tier>) {
    let found: Vec<_> = kinds
        .iter()
        .filter_map(|k| match k {
            EventKind::Cache { key, hit, tier } => Some((key.clone(), *hit, *tier)),
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1, "{:?}", stages(kinds));
    found.into_iter().next().expect("cache event")
}

fn built_anything(kinds: &[EventKind]) -> bool {
    kinds.iter().any(|k| {
        matches!(
            k,
            EventKind::Building { .. } | EventKind::Step(_) | EventKind::Compiled { .. }
        )
    })
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

/// A spec over the shipped `sum` kernel: `len` uniform f64 in [0, 1).
fn sum_spec(dir: &Path, name: &str, len: usize, seed: u64) -> PathBuf {
    write(
        dir,
        name,
        &format!(
            "kernel: {}\nentry: sum\nargs:\n  - a: {{ array: f64, gen: {{ dist: uniform, len: {len}, seed: {seed}, min: 0.0, max: 1.0 }} }}\n  - n: {{ i64: len(a) }}\n",
            root().join("kernels/sum.c").display()
        ),
    )
}

/// The strict left-to-right sum of a spec's array `a`, as C defines `sum`.
fn reference_sum(spec: &Path) -> f64 {
    // The shipped sum kernel, parsed here only for its signature.
    let spec = tailor::input::InputSpec::load(spec).expect("spec");
    let kernel = tailor::kernel::Kernel::load(&spec.kernel, None).expect("kernel");
    let input = spec.materialize(&kernel.signature).expect("input");
    let a = input
        .arg("a")
        .and_then(|a| a.value.as_array())
        .expect("array a");
    let view = a.view();
    (0..view.len()).fold(0.0, |s, i| s + view.get_f64(i))
}

fn f64_result(r: &Response) -> f64 {
    match r.result {
        Some(Scalar::F64(v)) => v,
        other => panic!("expected an f64 result, got {other:?}"),
    }
}

/// A served result agrees with the strict sum within the Plan's tolerance
/// (what verification promises for a variant).
fn assert_sum_within_tolerance(r: &Response, spec: &Path) {
    let expected = reference_sum(spec);
    let got = f64_result(r);
    let (rel, abs) = (r.plan.tolerance.rel, r.plan.tolerance.abs);
    let diff = (got - expected).abs();
    assert!(
        diff <= abs || diff <= rel * got.abs().max(expected.abs()),
        "{}: {got} vs strict sum {expected} beyond rel {rel} abs {abs}",
        spec.display()
    );
}

fn variant_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("cache dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".variant"))
        .collect();
    names.sort();
    names
}

// ---- 1. a hit runs no transform and no codegen -----------------------------

#[test]
fn the_second_request_with_the_same_plan_is_a_hit_that_builds_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(dir.path());
    let events = engine.subscribe();
    let spec = sample("sum-small.yaml");

    let (first, kinds) = request(&engine, &events, &spec);
    assert!(!first.hit);
    assert_eq!(first.profile, "small-shapes");
    assert_eq!(first.served_by, Served::Variant);
    assert_eq!(first.verification, Verification::Verified);
    let (key, hit, tier) = cache_event(&kinds);
    assert_eq!((key.as_str(), hit, tier), (first.key.as_str(), false, None));
    // A miss builds the variant and the generic build it is verified against.
    let building = kinds
        .iter()
        .filter(|k| matches!(k, EventKind::Building { .. }))
        .count();
    assert_eq!(building, 2, "{:?}", stages(&kinds));
    assert!(first.timings.transform > 0 && first.timings.codegen > 0);
    assert_eq!(
        stages(&kinds)[..5],
        ["received", "analyzed", "selected", "planned", "cache"]
    );
    assert_eq!(
        stages(&kinds)[kinds.len() - 4..],
        ["verified", "timed", "executed", "finished"]
    );

    let (second, kinds) = request(&engine, &events, &spec);
    assert_eq!(
        stages(&kinds),
        ["received", "analyzed", "selected", "planned", "cache", "executed", "finished"]
    );
    let (key, hit, tier) = cache_event(&kinds);
    assert_eq!(key, first.key);
    assert!(hit);
    assert_eq!(tier, Some(Tier::Memory));
    assert!(!built_anything(&kinds));
    assert!(second.hit);
    assert_eq!(second.key, first.key);
    assert_eq!(second.served_by, Served::Variant);
    assert_eq!(second.verification, Verification::Verified);
    assert_eq!((second.timings.transform, second.timings.codegen), (0, 0));
    assert_eq!(second.result, first.result);
    assert_sum_within_tolerance(&second, &spec);
    match kinds.last() {
        Some(EventKind::Finished { result, hit, .. }) => {
            assert_eq!(*result, first.result);
            assert!(*hit);
        }
        other => panic!("last event {other:?}"),
    }

    let stats = engine.stats();
    assert_eq!(
        (stats.requests, stats.hits, stats.misses, stats.failed),
        (2, 1, 1, 0)
    );
    let cache = engine.cache().stats();
    assert_eq!(cache.entries, 2, "the variant and the generic build");
    assert_eq!(cache.hits, 1);
}

// ---- 2. one variant per Plan ------------------------------------------------

#[test]
fn inputs_with_the_same_plan_share_a_variant_and_other_sizes_do_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let specs = tempfile::tempdir().expect("tempdir");
    let a = sum_spec(specs.path(), "a.yaml", 200, 11);
    let b = sum_spec(specs.path(), "b.yaml", 200, 12);
    let c = sum_spec(specs.path(), "c.yaml", 300, 11);
    let engine = engine(dir.path());
    let events = engine.subscribe();

    let (ra, _) = request(&engine, &events, &a);
    let (rb, kb) = request(&engine, &events, &b);
    assert_eq!(ra.profile, "small-shapes");
    assert_eq!(ra.plan, rb.plan, "same length, same bound n: the same Plan");
    assert_eq!(ra.key, rb.key);
    assert!(!ra.hit);
    assert!(rb.hit, "b's Plan is a's: its variant is reused");
    assert!(!built_anything(&kb), "{:?}", stages(&kb));
    // The shared variant ran on b's data, not a's.
    assert_ne!(ra.result, rb.result);
    assert_sum_within_tolerance(&ra, &a);
    assert_sum_within_tolerance(&rb, &b);

    let (rc, kc) = request(&engine, &events, &c);
    assert_eq!(rc.profile, "small-shapes");
    assert_ne!(
        rc.key, ra.key,
        "n is bound: another size is another variant"
    );
    assert_ne!(rc.plan, ra.plan);
    assert!(!rc.hit);
    assert!(built_anything(&kc));
    assert_sum_within_tolerance(&rc, &c);

    // The 200-element variant, the 300-element one, one generic build.
    assert_eq!(engine.cache().stats().entries, 3);
    assert_eq!(variant_files(dir.path()).len(), 3);
}

// ---- 3. the disk tier survives a restart -------------------------------------

#[test]
fn a_new_engine_on_the_same_directory_hits_the_disk_tier_without_building() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = sample("sum-small.yaml");
    let first = {
        let engine = engine(dir.path());
        let events = engine.subscribe();
        let (r, _) = request(&engine, &events, &spec);
        assert!(!r.hit);
        r
    };
    assert!(variant_files(dir.path()).contains(&format!("{}.variant", first.key)));

    let engine = engine(dir.path());
    let events = engine.subscribe();
    let (r, kinds) = request(&engine, &events, &spec);
    let (key, hit, tier) = cache_event(&kinds);
    assert_eq!(key, first.key);
    assert!(hit);
    assert_eq!(tier, Some(Tier::Disk));
    assert!(!built_anything(&kinds), "{:?}", stages(&kinds));
    assert!(!kinds
        .iter()
        .any(|k| matches!(k, EventKind::Verified { .. })));
    assert!(r.hit);
    assert_eq!(r.served_by, Served::Variant);
    assert_eq!(r.verification, Verification::Verified);
    assert_eq!(r.result, first.result);
    assert_eq!(engine.cache().stats().disk_hits, 1);

    // Now in memory.
    let (_, kinds) = request(&engine, &events, &spec);
    assert_eq!(cache_event(&kinds).2, Some(Tier::Memory));
}

// ---- 4. corrupt files are refused, removed and rebuilt ------------------------

fn corrupt_entry_is_rebuilt(damage: impl Fn(&Path), reason: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = sample("sum-small.yaml");
    let first = {
        let engine = engine(dir.path());
        engine.run_spec(&spec).expect("first run")
    };
    let file = dir.path().join(format!("{}.variant", first.key));
    damage(&file);

    let engine = engine(dir.path());
    let events = engine.subscribe();
    let (r, kinds) = request(&engine, &events, &spec);
    let notices: Vec<&String> = kinds
        .iter()
        .filter_map(|k| match k {
            EventKind::CacheNotice { message } => Some(message),
            _ => None,
        })
        .collect();
    assert_eq!(notices.len(), 1, "{notices:?}");
    let message = notices[0];
    assert!(
        message.starts_with(&format!("removed corrupt cache entry {}", &first.key[..12]))
            && message.contains(&file.display().to_string())
            && message.contains(reason),
        "{message}"
    );
    let notice_at = stages(&kinds)
        .iter()
        .position(|s| *s == "cache_notice")
        .expect("notice");
    let cache_at = stages(&kinds)
        .iter()
        .position(|s| *s == "cache")
        .expect("cache");
    assert!(notice_at < cache_at, "{:?}", stages(&kinds));
    let (key, hit, tier) = cache_event(&kinds);
    assert_eq!((key.as_str(), hit, tier), (first.key.as_str(), false, None));
    assert!(kinds
        .iter()
        .any(|k| matches!(k, EventKind::Building { key, .. } if *key == first.key)));
    assert!(!r.hit);
    assert_eq!(r.served_by, Served::Variant);
    assert_eq!(r.verification, Verification::Verified);
    assert_eq!(r.result, first.result);
    assert_eq!(engine.cache().stats().corrupt, 1);
    drop(engine);

    // The file was rewritten whole: a fresh cache loads it.
    let cache = VariantCache::new(cache_config(dir.path())).expect("cache");
    let v = cache.load(&first.key).expect("rewritten file loads");
    assert_eq!(v.key.0, first.key);
    assert_eq!(v.verification, Verification::Verified);
    assert!(!v.object.is_empty());
    let (found, notices) = cache.get(&v.key);
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(found.map(|(_, tier)| tier), Some(Tier::Disk));
}

#[test]
fn a_cache_file_with_a_flipped_byte_is_removed_reported_and_rebuilt() {
    corrupt_entry_is_rebuilt(
        |file| {
            let mut bytes = std::fs::read(file).expect("read");
            // The last byte is object code, inside the checksummed payload.
            let last = bytes.len() - 1;
            bytes[last] ^= 0x01;
            std::fs::write(file, bytes).expect("write");
        },
        "payload checksum mismatch",
    );
}

#[test]
fn a_truncated_cache_file_is_removed_reported_and_rebuilt() {
    corrupt_entry_is_rebuilt(
        |file| {
            let bytes = std::fs::read(file).expect("read");
            std::fs::write(file, &bytes[..bytes.len() / 2]).expect("write");
        },
        "length mismatch",
    );
}

// ---- 5. verification rejects a variant that differs --------------------------

#[test]
fn verification_rejects_a_reassociated_sum_under_zero_tolerance_and_generic_serves() {
    // With no fallback chain (`guard.fallbacks: 0`): the chain has its own
    // tests in tests/guard.rs.
    let dir = tempfile::tempdir().expect("tempdir");
    let profiles = tempfile::tempdir().expect("tempdir");
    write(
        profiles.path(),
        "generic.yaml",
        "name: generic\npriority: 0\npipeline: {}\nfinish: default<O3>\n",
    );
    write(
        profiles.path(),
        "exact.yaml",
        "name: exact\npriority: 100\nmatch: size(arrays) > 0\ntolerance: { rel: 0, abs: 0 }\nguard: { fallbacks: 0 }\npipeline:\n  vec: { transform: vectorize, width: 8, interleave: 4, reassoc: true }\n",
    );
    let engine = engine_with(profiles.path(), dir.path());
    assert!(
        engine.store().errors().is_empty(),
        "{:?}",
        engine.store().errors()
    );
    assert!(engine.store().get("exact").is_some());
    let events = engine.subscribe();
    let spec = sample("sum-large.yaml");

    let (r, kinds) = request(&engine, &events, &spec);
    assert_eq!(r.profile, "exact");
    assert!(!r.hit);
    let verified: Vec<_> = kinds
        .iter()
        .filter_map(|k| match k {
            EventKind::Verified {
                verification,
                variant,
                generic,
                ..
            } => Some((verification.clone(), *variant, *generic)),
            _ => None,
        })
        .collect();
    assert_eq!(verified.len(), 1, "{:?}", stages(&kinds));
    let (verification, variant, generic) = verified[0].clone();
    let (Some(Scalar::F64(v)), Some(Scalar::F64(g))) = (variant, generic) else {
        panic!("both builds return f64: {variant:?} {generic:?}");
    };
    assert_ne!(v, g, "reassociation changes the last bits of a 1M sum");
    assert!(
        (v - g).abs() <= 1e-9 * g,
        "but only the last bits: {v} vs {g}"
    );
    let Verification::Rejected(reason) = &verification else {
        panic!("not rejected: {verification:?}");
    };
    assert!(
        reason.starts_with(&format!("result: variant {v} vs generic {g}"))
            && reason.contains("beyond tolerance rel 0 abs 0"),
        "{reason}"
    );
    // Generic answers, with its own result: the strict left-to-right sum.
    assert_eq!(r.served_by, Served::Generic);
    assert_eq!(r.verification, verification);
    assert_eq!(r.result, Some(Scalar::F64(g)));
    assert_eq!(g, reference_sum(&spec));
    let executed: Vec<_> = kinds
        .iter()
        .filter_map(|k| match k {
            EventKind::Executed {
                variant, served_by, ..
            } => Some((variant.clone(), *served_by)),
            _ => None,
        })
        .collect();
    assert_eq!(executed.len(), 1);
    assert_eq!(executed[0].1, Served::Generic);
    assert_ne!(
        executed[0].0, r.key,
        "the generic build ran, not the variant"
    );
    let cached = engine
        .cache()
        .peek(&tailor::cache::VariantKey(r.key.clone()));
    assert_eq!(
        cached.map(|v| v.verification.clone()),
        Some(verification.clone()),
        "the rejected variant is cached as rejected"
    );

    // The same key again: a hit on the rejected entry, still generic, no rebuild.
    let (again, kinds) = request(&engine, &events, &spec);
    let (key, hit, _) = cache_event(&kinds);
    assert_eq!(key, r.key);
    assert!(hit && again.hit);
    assert!(!built_anything(&kinds), "{:?}", stages(&kinds));
    assert!(!kinds
        .iter()
        .any(|k| matches!(k, EventKind::Verified { .. })));
    assert_eq!(again.served_by, Served::Generic);
    assert_eq!(again.verification, verification);
    assert_eq!(again.result, Some(Scalar::F64(g)));
    let stats = engine.stats();
    assert_eq!((stats.hits, stats.misses, stats.rejected), (1, 1, 2));
    assert_eq!(engine.cache().stats().rejections, 1);
}

// ---- 9. bad requests do not poison the engine --------------------------------

#[test]
fn bad_kernels_fail_with_the_file_and_problem_and_the_engine_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    let spec_for = |name: &str, kernel: &str| {
        write(
            work.path(),
            name,
            &format!("kernel: {kernel}\nargs:\n  - n: {{ i64: 3 }}\n"),
        )
    };
    write(work.path(), "garbage.ll", "this is not LLVM IR at all\n");
    // Parses, but %b is used before it is defined: the verifier refuses it.
    write(
        work.path(),
        "undominated.ll",
        "define i64 @f(i64 %n) {\nentry:\n  %a = add i64 %b, 1\n  %b = add i64 %n, 1\n  ret i64 %a\n}\n",
    );
    let cases = [
        (
            spec_for("missing.yaml", "nowhere.c"),
            "nowhere.c",
            vec!["no such file"],
        ),
        (
            spec_for("garbage.yaml", "garbage.ll"),
            "garbage.ll",
            vec!["malformed IR", "expected top-level entity"],
        ),
        (
            spec_for("undominated.yaml", "undominated.ll"),
            "undominated.ll",
            vec!["IR fails LLVM's verifier", "does not dominate all uses"],
        ),
    ];
    let good = sample("sum-small.yaml");
    let engine = engine(dir.path());
    let events = engine.subscribe();
    let mut expected_result = None;
    for (i, (spec, file, problems)) in cases.iter().enumerate() {
        let files_before = variant_files(dir.path());
        let entries_before = engine.cache().stats().entries;
        let err = engine
            .run_spec(spec)
            .expect_err(&format!("{} was accepted", spec.display()))
            .to_string();
        let path = work.path().join(file).display().to_string();
        assert!(err.starts_with(&format!("{path}: ")), "{err}");
        for problem in problems {
            assert!(err.contains(problem), "{err}");
        }
        let kinds: Vec<EventKind> = events.try_iter().map(|e| e.kind).collect();
        assert_eq!(stages(&kinds), ["received", "failed"], "{kinds:?}");
        match &kinds[1] {
            EventKind::Failed { error } => assert_eq!(*error, err),
            other => panic!("{other:?}"),
        }
        assert_eq!(variant_files(dir.path()), files_before);
        assert_eq!(engine.cache().stats().entries, entries_before);
        assert_eq!(engine.stats().failed, i as u64 + 1);

        let (r, _) = request(&engine, &events, &good);
        assert_eq!(r.hit, i > 0, "the good request builds once, then hits");
        assert_eq!(r.served_by, Served::Variant);
        assert_eq!(r.verification, Verification::Verified);
        assert_eq!(*expected_result.get_or_insert(r.result), r.result);
    }
    assert_eq!(engine.stats().requests, 6);
    assert_eq!(variant_files(dir.path()).len(), 2);
}

// ---- the binary --------------------------------------------------------------

fn tailor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tailor"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run tailor")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(args: &[&str]) -> String {
    let o = tailor(args);
    assert!(o.status.success(), "{args:?}: {}{}", stdout(&o), stderr(&o));
    stdout(&o)
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn of_request(events: &[Value], n: u64) -> Vec<&Value> {
    events.iter().filter(|e| e["request"] == n).collect()
}

// ---- 6. tailor run ----------------------------------------------------------

#[test]
fn run_repeat_prints_a_trace_whose_second_request_is_a_hit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display().to_string();
    let out = ok(&[
        "run",
        "sample-inputs/sum-small.yaml",
        "--repeat",
        "2",
        "--cache-dir",
        &d,
    ]);
    let first: Vec<&str> = out.lines().filter(|l| l.starts_with("#1 ")).collect();
    let second: Vec<&str> = out.lines().filter(|l| l.starts_with("#2 ")).collect();
    assert!(first.iter().any(|l| l.contains("cache     miss ")), "{out}");
    assert!(first.iter().any(|l| l.contains("building ")), "{out}");
    assert!(first.iter().any(|l| l.contains("verified  ok: ")), "{out}");
    assert!(second.iter().any(|l| l.contains("cache     hit ")), "{out}");
    assert!(
        !second
            .iter()
            .any(|l| l.contains("building ") || l.contains("step ") || l.contains("compiled ")),
        "{out}"
    );
    let finished = |lines: &[&str]| {
        lines
            .iter()
            .find_map(|l| l.split("finished  result ").nth(1))
            .and_then(|rest| rest.split(" · ").next())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no finished line in {out}"))
    };
    assert_eq!(finished(&first), finished(&second));
    assert!(
        second.last().is_some_and(|l| l.contains(" · hit · ")),
        "{out}"
    );
}

#[test]
fn run_json_prints_one_event_per_line_in_stage_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display().to_string();
    let out = ok(&[
        "run",
        "sample-inputs/sum-small.yaml",
        "--repeat",
        "2",
        "--json",
        "--cache-dir",
        &d,
    ]);
    let events = json_lines(&out);
    let stages = |n: u64| -> Vec<String> {
        of_request(&events, n)
            .iter()
            .map(|e| e["stage"].as_str().expect("stage").to_owned())
            .collect()
    };
    let first = stages(1);
    assert_eq!(
        first[..5],
        ["received", "analyzed", "selected", "planned", "cache"]
    );
    // Verified, then timed against generic by the guard.
    assert_eq!(
        first[first.len() - 4..],
        ["verified", "timed", "executed", "finished"]
    );
    assert_eq!(first.iter().filter(|s| *s == "building").count(), 2);
    assert_eq!(first.iter().filter(|s| *s == "compiled").count(), 2);
    assert_eq!(
        stages(2),
        ["received", "analyzed", "selected", "planned", "cache", "executed", "finished"]
    );
    let cache2 = of_request(&events, 2)[4];
    assert_eq!(cache2["hit"], true);
    assert_eq!(cache2["tier"], "memory");
    let cache1 = of_request(&events, 1)[4];
    assert_eq!(cache1["hit"], false);
    assert_eq!(cache1["key"], cache2["key"]);
    // Times within a request never go backwards.
    for n in [1, 2] {
        let at: Vec<u64> = of_request(&events, n)
            .iter()
            .map(|e| e["at_micros"].as_u64().expect("at_micros"))
            .collect();
        assert!(at.windows(2).all(|w| w[0] <= w[1]), "{at:?}");
    }
    assert_eq!(
        of_request(&events, 1)[0]["input"],
        "sample-inputs/sum-small.yaml"
    );
    assert_eq!(of_request(&events, 1)[2]["profile"], "small-shapes");
}

#[test]
fn run_shows_steps_ir_and_diffs_of_the_variant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display().to_string();
    let input = "sample-inputs/sum-small.yaml";
    // The Plan, from the first (building) run's events.
    let events = json_lines(&ok(&["run", input, "--json", "--cache-dir", &d]));
    let plan = &events
        .iter()
        .find(|e| e["stage"] == "planned")
        .expect("planned")["plan"];
    assert_eq!(plan["profile"], "small-shapes");
    assert_eq!(plan["finish"], "default<O3>");
    let mut expected = vec![("prepare".to_owned(), "passes".to_owned())];
    for step in plan["steps"].as_array().expect("steps") {
        let field = |k: &str| step[k].as_str().expect(k).to_owned();
        expected.push((field("node"), field("transform")));
    }
    expected.push(("finish".to_owned(), "passes".to_owned()));
    assert_eq!(expected[1], ("bind".to_owned(), "specialize".to_owned()));

    // A hit: the step log comes from the cached variant.
    let out = ok(&["run", input, "--steps", "--cache-dir", &d]);
    assert!(out.contains("cache     hit "), "{out}");
    let table = out
        .split_once("steps of variant ")
        .map(|(_, t)| t)
        .unwrap_or_else(|| panic!("no step table in {out}"));
    assert!(table.contains("(small-shapes)"), "{table}");
    let header = table.lines().nth(1).expect("header");
    for column in ["#", "node", "transform", "instr", "blocks", "loops", "note"] {
        assert!(header.contains(column), "{header}");
    }
    let rows: Vec<Vec<&str>> = table
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|cells| cells.len() > 3 && cells[0].parse::<usize>().is_ok())
        .collect();
    let nodes: Vec<(String, String)> = rows
        .iter()
        .map(|cells| (cells[1].to_owned(), cells[2].to_owned()))
        .collect();
    assert_eq!(nodes, expected, "{table}");
    let numbers: Vec<usize> = rows.iter().map(|c| c[0].parse().expect("#")).collect();
    assert_eq!(numbers, (0..expected.len()).collect::<Vec<_>>());
    let bind = table
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("bind"))
        .expect("bind row");
    assert!(bind.contains("bound n=200"), "{bind}");

    let ir = ok(&["run", input, "--ir", "0", "--cache-dir", &d]);
    assert!(ir.contains("cache     hit "), "{ir}");
    assert!(ir.contains("define ") && ir.contains("@sum("), "{ir}");
    // After prepare the loop reads `%n`; after bind no instruction does.
    let uses_n = |text: &str| {
        let body = &text[text.find("define ").expect("define")..];
        let body = &body[body.find('\n').expect("body")..];
        body[..body.find("\n}").expect("end")].contains("%n")
    };
    assert!(uses_n(&ir), "{ir}");
    let bound = ok(&["run", input, "--ir", "bind", "--cache-dir", &d]);
    assert!(!uses_n(&bound), "n=200 is bound: {bound}");

    let diff = ok(&["run", input, "--diff", "1", "--cache-dir", &d]);
    let lines: Vec<&str> = diff.lines().collect();
    let from = lines
        .iter()
        .position(|l| l.starts_with("--- "))
        .unwrap_or_else(|| panic!("no --- line in {diff}"));
    assert_eq!(lines[from], "--- after prepare");
    assert_eq!(lines[from + 1], "+++ after bind");
    assert!(lines[from + 2].starts_with("@@ "), "{diff}");
    let changed = |c: char| lines[from + 2..].iter().any(|l| l.starts_with(c));
    assert!(changed('-') && changed('+'), "{diff}");

    let o = tailor(&["run", input, "--ir", "nosuch", "--cache-dir", &d]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no step `nosuch` (steps: 0:prepare, 1:bind, 2:layout"),
        "{}",
        stderr(&o)
    );
}

fn scalar_f64(v: &Value) -> Option<f64> {
    let obj = v.as_object()?;
    let (_, x) = obj.iter().next()?;
    x.as_f64()
}

#[test]
fn every_shipped_input_runs_agrees_with_generic_and_hits_on_repeat() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(root().join("sample-inputs"))
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 22, "{inputs:?}");
    for path in &inputs {
        let name = path.file_name().and_then(|n| n.to_str()).expect("name");
        let cache = dir.path().join(name);
        let input = format!("sample-inputs/{name}");
        let o = tailor(&[
            "run",
            &input,
            "--repeat",
            "2",
            "--json",
            "--cache-dir",
            &cache.display().to_string(),
        ]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let events = json_lines(&stdout(&o));
        let find = |n: u64, stage: &str| -> Value {
            of_request(&events, n)
                .into_iter()
                .find(|e| e["stage"] == stage)
                .cloned()
                .unwrap_or_else(|| panic!("{name}: request {n} has no `{stage}`"))
        };
        let plan = &find(1, "planned")["plan"];
        let finished = find(1, "finished");
        assert_eq!(find(1, "cache")["hit"], false, "{name}");
        if plan["profile"] != "generic" {
            let verified = find(1, "verified");
            let served_by = &find(1, "executed")["served_by"];
            // The guard's verdict, taken on this input (a variant slower
            // than generic on it is not served: the chain or generic is).
            // With an autotune step, the kept candidate's timing (of the
            // selected Plan's tuning, not a fallback's).
            let slower = || {
                let key = find(1, "cache")["key"].clone();
                let tuned = of_request(&events, 1)
                    .into_iter()
                    .find(|e| e["stage"] == "tuned" && e["key"] == key)
                    .cloned();
                match tuned {
                    Some(t) => t["timed"]["slower"] == true,
                    None => find(1, "timed")["timed"]["slower"] == true,
                }
            };
            match verified["verification"]["state"].as_str() {
                Some("verified") if slower() => {
                    assert_ne!(served_by, "variant", "{name}");
                }
                Some("verified") => {
                    assert_eq!(served_by, "variant", "{name}");
                    assert_eq!(finished["result"], verified["variant"], "{name}");
                    if let (Some(v), Some(g)) = (
                        scalar_f64(&verified["variant"]),
                        scalar_f64(&verified["generic"]),
                    ) {
                        let rel = plan["tolerance"]["rel"].as_f64().expect("rel");
                        let abs = plan["tolerance"]["abs"].as_f64().expect("abs");
                        let diff = (v - g).abs();
                        assert!(
                            diff <= abs || diff <= rel * v.abs().max(g.abs()),
                            "{name}: {v} vs generic {g} beyond rel {rel} abs {abs}"
                        );
                    } else {
                        assert_eq!(verified["variant"], verified["generic"], "{name}");
                    }
                }
                Some("rejected") => {
                    assert_eq!(served_by, "generic", "{name}");
                    assert_eq!(finished["result"], verified["generic"], "{name}");
                }
                other => panic!("{name}: verification {other:?}"),
            }
        }
        let cache2 = find(2, "cache");
        assert_eq!(cache2["hit"], true, "{name}");
        assert_eq!(cache2["key"], find(1, "cache")["key"], "{name}");
        assert_eq!(find(2, "finished")["result"], finished["result"], "{name}");
        assert_eq!(
            find(2, "executed")["served_by"],
            find(1, "executed")["served_by"],
            "{name}"
        );
        assert!(
            !of_request(&events, 2)
                .iter()
                .any(|e| e["stage"] == "building" || e["stage"] == "verified"),
            "{name}"
        );
    }
}

// ---- 7. tailor replay ---------------------------------------------------------

fn replay_json(workload: &str, cache: &Path) -> (Output, Value) {
    let o = tailor(&[
        "replay",
        workload,
        "--json",
        "--cache-dir",
        &cache.display().to_string(),
    ]);
    let json: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&o), stderr(&o)));
    (o, json)
}

#[test]
fn replaying_the_mixed_workload_mostly_hits_without_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workload = "sample-inputs/workloads/mixed.yaml";
    let text = std::fs::read_to_string(root().join(workload)).expect("workload");
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("yaml");
    let entries = yaml["requests"].as_sequence().expect("requests");
    let count: u64 = entries
        .iter()
        .map(|e| e["repeat"].as_u64().unwrap_or(1))
        .sum();
    assert_eq!(count, 303);

    let (o, json) = replay_json(workload, dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json["errors"].as_array().map(Vec::len), Some(0), "{json}");
    assert_eq!(json["outcomes"]["ok"], count, "{json}");
    assert!(json["outcomes"].get("error").is_none(), "{json}");
    let overall = &json["overall"];
    assert_eq!(overall["requests"], count);
    let hits = overall["hits"].as_u64().expect("hits");
    // Every input's requests after its first are hits, whatever else shares.
    assert!(hits >= count - entries.len() as u64, "{overall}");
    let rate = overall["hit_rate"].as_f64().expect("hit_rate");
    assert!(rate > 0.9, "{overall}");
    assert!((rate - hits as f64 / count as f64).abs() < 1e-12);
    let per = json["per_profile"].as_object().expect("per_profile");
    assert!(per.len() >= 5, "{per:?}");
    let mut total = 0;
    for (name, l) in per.iter().chain([(&"overall".to_owned(), overall)]) {
        let q = |k: &str| l[k].as_u64().unwrap_or_else(|| panic!("{name}: {k}"));
        assert!(q("p50_us") > 0, "{name}: {l}");
        assert!(
            q("p50_us") <= q("p95_us") && q("p95_us") <= q("p99_us"),
            "{name}: {l}"
        );
        assert!(q("hits") <= q("requests"), "{name}: {l}");
        if name != "overall" {
            total += q("requests");
        }
    }
    assert_eq!(total, count);
}

#[test]
fn a_missing_input_in_a_workload_is_an_error_and_the_rest_still_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    let workload = write(
        work.path(),
        "broken.yaml",
        &format!(
            "requests:\n  - {{ input: {}, repeat: 3 }}\n  - {{ input: nowhere.yaml }}\n  - {{ input: {}, repeat: 2 }}\n",
            sample("sum-small.yaml").display(),
            sample("reduce-npy.yaml").display()
        ),
    );
    let (o, json) = replay_json(&workload.display().to_string(), dir.path());
    assert!(!o.status.success(), "an error makes the exit non-zero");
    let errors = json["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{json}");
    let error = errors[0].as_str().expect("error");
    let missing = work.path().join("nowhere.yaml").display().to_string();
    assert!(error.starts_with(&format!("{missing}: ")), "{error}");
    assert_eq!(json["outcomes"]["error"], 1, "{json}");
    assert_eq!(json["outcomes"]["ok"], 5, "{json}");
    assert_eq!(json["overall"]["requests"], 5);
    assert_eq!(json["overall"]["hits"], 3, "one miss per good input");
    assert_eq!(json["per_profile"]["small-shapes"]["requests"], 3);
    assert_eq!(json["per_profile"]["table-dispatch"]["requests"], 2);
}

// ---- 8. tailor cache ------------------------------------------------------------

#[test]
fn cache_ls_show_and_clear() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display().to_string();
    ok(&[
        "run",
        "sample-inputs/sum-small.yaml",
        "--repeat",
        "3",
        "--cache-dir",
        &d,
    ]);

    let ls: Value =
        serde_json::from_str(&ok(&["cache", "ls", "--json", "--cache-dir", &d])).expect("json");
    assert_eq!(ls["dir"], d);
    let entries = ls["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2, "{ls}");
    let by_profile = |p: &str| {
        entries
            .iter()
            .find(|e| e["profile"] == p)
            .unwrap_or_else(|| panic!("no {p} entry in {ls}"))
    };
    let variant = by_profile("small-shapes");
    let generic = by_profile("generic");
    assert_eq!(variant["kernel_name"], "sum");
    assert_eq!(variant["verification"]["state"], "verified");
    assert_eq!(generic["verification"]["state"], "reference");
    assert_eq!(
        variant["hits"], 2,
        "three runs in one process: one miss, two hits"
    );
    assert_eq!(variant["on_disk"], true);
    assert!(variant["plan_summary"]
        .as_str()
        .is_some_and(|s| s.starts_with("bind specialize(n=200) -> ")));
    let key = variant["key"].as_str().expect("key").to_owned();
    let generic_key = generic["key"].as_str().expect("key").to_owned();
    assert_eq!(key.len(), 64);

    let text = ok(&["cache", "ls", "--cache-dir", &d]);
    assert!(text.contains(&key[..12]), "{text}");
    assert!(text.contains(&format!("2 entries in {d}")), "{text}");

    let show = ok(&["cache", "show", &key[..6], "--cache-dir", &d]);
    assert!(show.starts_with(&format!("key          {key}\n")), "{show}");
    assert!(show.contains("profile      small-shapes"), "{show}");
    assert!(show.contains("verification verified"), "{show}");
    assert!(
        show.contains("optimized IR:\n") && show.contains("define "),
        "{show}"
    );
    let show: Value = serde_json::from_str(&ok(&[
        "cache",
        "show",
        &key[..4].to_uppercase(),
        "--json",
        "--cache-dir",
        &d,
    ]))
    .expect("json");
    assert_eq!(show["key"], key);
    assert!(show["object_bytes"].as_u64().is_some_and(|n| n > 0));
    let plan_steps = show["plan"]["steps"]
        .as_array()
        .map(Vec::len)
        .expect("plan");
    assert_eq!(
        show["steps"].as_array().map(Vec::len),
        Some(plan_steps + 2),
        "prepare, the Plan's steps, finish"
    );

    let fails = |prefix: &str, message: &str| {
        let o = tailor(&["cache", "show", prefix, "--cache-dir", &d]);
        assert!(!o.status.success(), "`{prefix}` was accepted");
        let err = stderr(&o);
        assert!(
            err.starts_with("error: ") && err.contains(message),
            "{prefix}: {err}"
        );
    };
    fails(
        "zzzz",
        "`zzzz` is not a variant key prefix: keys are hex digits",
    );
    fails(&key[..3], "give at least 4 hex digits");
    // A hex prefix that starts neither key.
    let absent = ["0000", "1111", "2222"]
        .into_iter()
        .find(|p| !key.starts_with(p) && !generic_key.starts_with(p))
        .expect("a free prefix");
    fails(
        absent,
        &format!("no cached variant has a key starting with `{absent}`"),
    );
    // Two entries sharing a prefix: a copy under a name that differs after
    // the first eight digits.
    let twin = format!("{}{}", &key[..8], "0".repeat(56));
    let twin = if twin == key {
        format!("{}{}", &key[..8], "1".repeat(56))
    } else {
        twin
    };
    std::fs::copy(
        dir.path().join(format!("{key}.variant")),
        dir.path().join(format!("{twin}.variant")),
    )
    .expect("copy");
    fails(
        &key[..8],
        &format!(
            "`{}` is ambiguous: 2 cached variants start with it",
            &key[..8]
        ),
    );

    assert_eq!(
        ok(&["cache", "clear", "--cache-dir", &d]),
        "removed 3 entries\n"
    );
    assert_eq!(variant_files(dir.path()), Vec::<String>::new());
    let ls: Value =
        serde_json::from_str(&ok(&["cache", "ls", "--json", "--cache-dir", &d])).expect("json");
    assert_eq!(ls["entries"].as_array().map(Vec::len), Some(0), "{ls}");
    assert!(ok(&["cache", "ls", "--cache-dir", &d]).contains(&format!("0 entries in {d}")));
    fails(&key[..6], "no cached variant has a key starting with");
}

// ---- known bugs (see the report; run with --ignored) ---------------------------

#[test]
fn two_specs_naming_different_entries_of_one_module_each_run_their_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    write(
        work.path(),
        "two.ll",
        "define i64 @add1(i64 %n) {\nentry:\n  %r = add i64 %n, 1\n  ret i64 %r\n}\n\ndefine i64 @mul2(i64 %n) {\nentry:\n  %r = mul i64 %n, 2\n  ret i64 %r\n}\n",
    );
    let spec = |entry: &str| {
        write(
            work.path(),
            &format!("{entry}.yaml"),
            &format!("kernel: two.ll\nentry: {entry}\nargs:\n  - n: {{ i64: 10 }}\n"),
        )
    };
    let (add1, mul2) = (spec("add1"), spec("mul2"));
    let engine = engine(dir.path());
    assert_eq!(
        engine.run_spec(&add1).expect("add1").result,
        Some(Scalar::I64(11))
    );
    let r = engine
        .run_spec(&mul2)
        .unwrap_or_else(|e| panic!("mul2: {e}"));
    assert_eq!(r.result, Some(Scalar::I64(20)));
}

#[test]
fn editing_a_data_file_changes_the_next_result() {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    let csv = write(work.path(), "d.csv", "1\n2\n3\n");
    let spec = write(
        work.path(),
        "s.yaml",
        &format!(
            "kernel: {}\nentry: sum\nargs:\n  - a: {{ array: f64, file: d.csv }}\n  - n: {{ i64: len(a) }}\n",
            root().join("kernels/sum.c").display()
        ),
    );
    let engine = engine(dir.path());
    assert_eq!(
        engine.run_spec(&spec).expect("run").result,
        Some(Scalar::F64(6.0))
    );
    std::fs::write(&csv, "10\n20\n30\n").expect("write");
    assert_eq!(
        engine.run_spec(&spec).expect("run").result,
        Some(Scalar::F64(60.0))
    );
}

// ---- a variant serves only inputs that satisfy what it was built under ----------

/// `reduce` with op = max over 100 000 values, written as raw f64.
fn max_spec(dir: &Path, name: &str, data: &[f64]) -> PathBuf {
    let bytes: Vec<u8> = data.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(dir.join(format!("{name}.bin")), bytes).expect("write");
    write(
        dir,
        &format!("{name}.yaml"),
        &format!(
            "kernel: {}\nentry: reduce\nargs:\n  - a: {{ array: f64, file: {name}.bin }}\n  - n: {{ i64: len(a) }}\n  - op: {{ i32: 2 }}\n",
            root().join("kernels/reduce.c").display()
        ),
    )
}

/// A NaN at an index the analyzer does not sample, after a clean input of
/// the same shape: the clean input's reassociated variant must not serve it
/// (reassociation is licensed by `a.finite`, which is made exact first).
#[test]
fn a_nan_the_sample_misses_gets_generics_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    let engine = engine(dir.path());
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let clean: Vec<f64> = (0..100_000)
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect();
    let clean_spec = max_spec(work.path(), "clean", &clean);
    let first = engine.run_spec(&clean_spec).expect("clean");
    assert_eq!(first.profile, "table-dispatch");
    assert!(first.plan.changes_results(), "{:?}", first.plan);
    assert_eq!(first.served_by, Served::Variant);

    // An index the sample does not see: a NaN there leaves the sampled
    // vector finite.
    let mut dirty = clean.clone();
    let unseen = (1000..100_000)
        .find(|&k| {
            dirty[k] = f64::NAN;
            let spec = max_spec(work.path(), "probe", &dirty);
            let p = engine.prepare(&spec).expect("probe");
            dirty[k] = clean[k];
            p.vector.sampled
                && p.vector.get("a.finite") == Some(tailor::analyze::FeatureValue::Bool(true))
        })
        .expect("an index the sample misses");
    dirty[unseen] = f64::NAN;
    let dirty_spec = max_spec(work.path(), "dirty", &dirty);
    let served = engine.run_spec(&dirty_spec).expect("dirty");
    let generic = engine
        .run_spec_with(&dirty_spec, Some("generic"))
        .expect("generic");
    assert_ne!(served.key, first.key, "the clean input's variant served it");
    assert!(!served.plan.changes_results(), "{:?}", served.plan);
    let bits = |r: &Response| match r.result {
        Some(Scalar::F64(x)) => x.to_bits(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        bits(&served),
        bits(&generic),
        "{:?} vs {:?}",
        served.result,
        generic.result
    );
}

const KAHAN: &str = "double kahan(const double *a, long n) {\n  double s = 0.0, c = 0.0;\n  for (long i = 0; i < n; i++) {\n    double y = a[i] - c;\n    double t = s + y;\n    c = (t - s) - y;\n    s = t;\n  }\n  return s;\n}\n";

/// A profile that reassociates whatever the data (what the shipped ones no
/// longer do): verified on smooth data, wrong on cancelling data of the
/// same shape. Shadow verification catches it on the first such hit.
#[test]
fn shadow_verification_rejects_a_variant_wrong_on_a_later_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    let profiles = work.path().join("profiles");
    std::fs::create_dir_all(&profiles).expect("mkdir");
    std::fs::copy(
        root().join("profiles/generic.yaml"),
        profiles.join("generic.yaml"),
    )
    .expect("copy");
    write(
        &profiles,
        "reckless.yaml",
        "name: reckless\npriority: 90\nmatch: kernel.name == 'kahan'\ntolerance: { rel: 1e-9 }\npipeline:\n  vec: { transform: vectorize, reassoc: true }\n",
    );
    write(work.path(), "kahan.c", KAHAN);
    let spec = |name: &str, data: &[f64]| {
        let list: Vec<String> = data.iter().map(|x| format!("{x:?}")).collect();
        write(
            work.path(),
            &format!("{name}.yaml"),
            &format!(
                "kernel: kahan.c\nargs:\n  - a: {{ array: f64, data: [{}] }}\n  - n: {{ i64: len(a) }}\n",
                list.join(", ")
            ),
        )
    };
    let smooth = spec("smooth", &[1.0; 1002]);
    let mut cancelling = vec![1.0; 1002];
    cancelling[0] = 1e16;
    cancelling[1001] = -1e16;
    let cancelling = spec("cancelling", &cancelling);
    let engine = Engine::new(EngineConfig {
        profiles,
        cache: cache_config(dir.path()),
        pools: Default::default(),
        shadow: 1.0,
        fleet: Default::default(),
        key_budget: Default::default(),
    })
    .expect("engine");
    let first = engine.run_spec(&smooth).expect("smooth");
    assert_eq!(first.profile, "reckless");
    assert_eq!(first.verification, Verification::Verified);
    assert_eq!(first.result, Some(Scalar::F64(1002.0)));

    // Same key (nothing is bound), a hit, shadow-verified: generic's answer.
    let second = engine.run_spec(&cancelling).expect("cancelling");
    assert_eq!(second.key, first.key);
    assert!(second.hit);
    assert_eq!(second.served_by, Served::Generic);
    assert_eq!(second.result, Some(Scalar::F64(1000.0)));
    assert!(
        matches!(&second.verification, Verification::Rejected(r) if r.contains("shadow")),
        "{:?}",
        second.verification
    );
    // And the key is rejected for good: even the smooth input is served
    // by something else (the chain's Plan without reassociation, or
    // generic), never the rejected variant.
    let third = engine.run_spec(&smooth).expect("smooth again");
    assert_ne!(third.served_by, Served::Variant);
    assert_ne!(third.served_key, first.key);
    assert_eq!(third.result, Some(Scalar::F64(1002.0)));
}

#[test]
fn a_broken_profile_put_back_as_it_was_clears_its_error_at_once() {
    let profiles = tempfile::tempdir().expect("tempdir");
    for e in std::fs::read_dir(root().join("profiles")).expect("profiles") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), profiles.path().join(e.file_name())).expect("copy");
    }
    let cache = tempfile::tempdir().expect("tempdir");
    let engine = engine_with(profiles.path(), cache.path());
    let file = profiles.path().join("narrow-ints.yaml");
    let good = std::fs::read_to_string(&file).expect("read");
    std::fs::write(&file, good.replace("priority: 30", "priority: 30x")).expect("break");
    assert!(matches!(engine.reload_file(&file), Reload::Failed { .. }));
    assert_eq!(engine.store().errors().len(), 1);
    std::fs::write(&file, &good).expect("restore");
    assert_eq!(
        engine.reload_file(&file),
        Reload::Restored {
            name: "narrow-ints".into()
        }
    );
    assert!(
        engine.store().errors().is_empty(),
        "{:?}",
        engine.store().errors()
    );
}
