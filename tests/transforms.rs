//! The Dynamic Code Transformation Engine on the shipped kernels (issue 3):
//! every variant the shipped profiles select computes what the generic build
//! computes, each transform makes the change it exists for (read from the
//! step log's IR and counts), random inputs keep variants correct, and bad
//! input is a clear error that leaves nothing in the cache.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::path::Path;
use tailor::profile::{Plan, PlannedStep, Step, Tolerance};
use tailor::sandbox::InProcess;
use tailor::transform::TransformError;

fn entry_ir<'a>(module: &'a str, prepared: &tailor::engine::Prepared) -> &'a str {
    function(module, &prepared.kernel.signature.entry)
}

// ---- 1. every shipped kernel, its selected profile, against generic ----

/// Every sample input: the profile it selects is not generic, its variant
/// builds, and result and arrays equal the generic build's (exactly for
/// integers, within the profile's tolerance for floats).
#[test]
fn every_sample_variant_equals_the_generic_build() {
    let store = shipped_store();
    assert!(store.errors().is_empty(), "{:?}", store.errors());
    let mut exec = InProcess::default();
    let mut kernels = BTreeSet::new();
    let mut profiles = BTreeSet::new();
    let mut samples = 0;
    let mut entries: Vec<_> = std::fs::read_dir(root().join("sample-inputs"))
        .expect("sample-inputs")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    entries.sort();
    for path in entries {
        let prepared = prepare(&path);
        let plan = shipped_plan(&store, &prepared);
        assert_ne!(
            plan.profile,
            "generic",
            "{}: a sample input should select a specialized profile",
            path.display()
        );
        let variant = build(&prepared, &plan);
        let g = generic(&prepared);
        assert_ne!(variant.key, g.key);
        let (ge, ve) = against_generic(&mut exec, &prepared, &variant)
            .unwrap_or_else(|e| panic!("{} ({}): {e}", path.display(), plan.profile));
        // A kernel that returns a value returned one in both builds.
        assert_eq!(
            ge.ret.is_some(),
            !matches!(
                prepared.kernel.signature.ret,
                tailor::kernel::ReturnType::Void
            )
        );
        assert_eq!(ve.ret.is_some(), ge.ret.is_some());
        kernels.insert(prepared.kernel.name.clone());
        profiles.insert(plan.profile.clone());
        samples += 1;
    }
    assert!(samples >= 20, "only {samples} sample inputs");
    let want: BTreeSet<String> = [
        "dot",
        "filter",
        "gather",
        "histogram",
        "matmul",
        "poly",
        "reduce",
        "stencil",
        "sum",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(kernels, want);
    assert!(profiles.len() >= 4, "profiles exercised: {profiles:?}");
}

fn array_f64(input: &tailor::input::Input, name: &str) -> Vec<f64> {
    input
        .arg(name)
        .unwrap_or_else(|| panic!("no argument {name}"))
        .value
        .as_array()
        .expect("an array")
        .view()
        .iter_f64()
        .collect()
}

/// The reference itself is right: both builds give what Rust computes from
/// the same data (so agreeing with generic means something).
#[test]
fn variants_and_generic_match_results_computed_here() {
    use tailor::input::Scalar;
    let store = shipped_store();
    let mut exec = InProcess::default();
    let both = |exec: &mut InProcess, name: &str| {
        let p = sample(name);
        let v = build(&p, &shipped_plan(&store, &p));
        let g = generic(&p);
        let (ge, gargs) = run(exec, &g, &p);
        let (ve, vargs) = run(exec, &v, &p);
        (p, [(ge, gargs), (ve, vargs)])
    };

    let (p, runs) = both(&mut exec, "filter");
    let a = array_f64(&p.input, "a");
    let want = a.iter().filter(|v| **v > 10.0).count() as i64;
    assert!(want > 0);
    for (e, _) in &runs {
        assert_eq!(e.ret, Some(Scalar::I64(want)));
    }

    let (p, runs) = both(&mut exec, "filter-csv");
    let a = array_f64(&p.input, "a");
    let want = a.iter().filter(|v| v.abs() > 300.0).count() as i64;
    for (e, _) in &runs {
        assert_eq!(e.ret, Some(Scalar::I64(want)));
    }

    let (p, runs) = both(&mut exec, "reduce-max");
    let want = array_f64(&p.input, "a")
        .into_iter()
        .fold(f64::NEG_INFINITY, f64::max);
    for (e, _) in &runs {
        assert_eq!(e.ret, Some(Scalar::F64(want)));
    }

    let (p, runs) = both(&mut exec, "sum-small");
    let want: f64 = array_f64(&p.input, "a").iter().sum();
    for (e, _) in &runs {
        let Some(Scalar::F64(got)) = e.ret else {
            panic!("{:?}", e.ret)
        };
        assert!((got - want).abs() <= 1e-12 * want.abs(), "{got} vs {want}");
    }

    let (p, runs) = both(&mut exec, "histogram-pixels");
    let a = array_f64(&p.input, "a");
    let mut want = vec![0.0; 16];
    for v in a {
        want[(v.clamp(0.0, 255.0) as usize) * 16 / 256] += 1.0;
    }
    for (_, args) in &runs {
        assert_eq!(array_f64(args, "bins"), want);
    }

    let (p, runs) = both(&mut exec, "matmul-small");
    let (a, b) = (array_f64(&p.input, "a"), array_f64(&p.input, "b"));
    for (_, args) in &runs {
        let c = array_f64(args, "c");
        for i in 0..4 {
            for j in 0..4 {
                let want: f64 = (0..4).map(|k| a[i * 4 + k] * b[k * 4 + j]).sum();
                assert!((c[i * 4 + j] - want).abs() <= 1e-12, "c[{i}][{j}]");
            }
        }
    }
}

/// The comparison is not vacuous: a variant that computes something else
/// (here reduce with op 0 pinned, run on an op 2 input) is caught.
#[test]
fn a_variant_that_computes_something_else_is_caught() {
    let store = shipped_store();
    let add = sample("reduce");
    let max = sample("reduce-max");
    let variant = build(&add, &shipped_plan(&store, &add));
    let mut exec = InProcess::default();
    let g = generic(&max);
    let (ge, gargs) = run(&mut exec, &g, &max);
    let (ve, vargs) = run_on(&mut exec, &variant, &max, &max.input);
    let err = tailor::engine::verify::compare(&variant.plan.tolerance, &ge, &gargs, &ve, &vargs)
        .expect_err("an add reduction is not a max reduction");
    assert!(err.starts_with("result: variant "), "{err}");
}

/// Out arrays are compared too: matmul's C, histogram's bins.
#[test]
fn out_arrays_are_written_and_equal() {
    let store = shipped_store();
    let mut exec = InProcess::default();
    for name in ["matmul-small", "histogram"] {
        let prepared = sample(name);
        let variant = build(&prepared, &shipped_plan(&store, &prepared));
        let g = generic(&prepared);
        let (_, gargs) = run(&mut exec, &g, &prepared);
        let (_, vargs) = run(&mut exec, &variant, &prepared);
        let out = |i: &tailor::input::Input| -> Vec<f64> {
            let a = i
                .args
                .iter()
                .find(|a| a.role == tailor::input::Role::Out)
                .expect("an out array");
            a.value
                .as_array()
                .expect("array")
                .view()
                .iter_f64()
                .collect()
        };
        let (go, vo) = (out(&gargs), out(&vargs));
        assert!(
            go.iter().any(|x| *x != 0.0),
            "{name}: generic wrote nothing"
        );
        assert_eq!(go.len(), vo.len());
        if name == "histogram" {
            // Integers: exactly, and every element counted once.
            assert_eq!(go, vo);
            assert_eq!(go.iter().sum::<f64>(), 100_000.0);
        } else {
            for (g, v) in go.iter().zip(&vo) {
                assert!((g - v).abs() <= 1e-12 * g.abs().max(1.0), "{g} vs {v}");
            }
        }
    }
}

// ---- 2. the IR shows the intended change -------------------------------

/// After every `specialize` step of every sample's Plan, each bound
/// parameter is no longer read anywhere in the entry's body, though it was
/// before the step.
#[test]
fn specialize_leaves_bound_parameters_unread_in_every_sample() {
    let store = shipped_store();
    let mut checked = 0;
    for name in [
        "dot-small",
        "filter",
        "gather-large",
        "histogram",
        "matmul-small",
        "matmul-tall",
        "poly-small",
        "reduce",
        "stencil-small",
        "sum-large",
    ] {
        let prepared = sample(name);
        let plan = shipped_plan(&store, &prepared);
        let variant = build(&prepared, &plan);
        for (i, planned) in plan.steps.iter().enumerate() {
            let Step::Specialize { bind } = &planned.step else {
                continue;
            };
            assert!(!bind.is_empty(), "{name}: empty binding");
            let rec = step(&variant, &planned.node);
            let before = step_before(&variant, &planned.node);
            let f_before = entry_ir(&before.ir_after, &prepared);
            let f_after = entry_ir(&rec.ir_after, &prepared);
            let names = param_names(f_after);
            assert_eq!(
                names,
                param_names(f_before),
                "{name}: the signature changed"
            );
            for b in bind {
                let p = &names[b.index];
                assert_eq!(p, &format!("%{}", b.arg), "{name}: step {i}");
                let (_, body_before) = split_define(f_before);
                let (_, body_after) = split_define(f_after);
                assert!(
                    uses(body_before, p) > 0,
                    "{name}: {p} was not read before `{}`",
                    planned.node
                );
                assert_eq!(
                    uses(body_after, p),
                    0,
                    "{name}: {p} is still read after `{}`:\n{f_after}",
                    planned.node
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 15, "only {checked} bindings checked");
}

/// filter (narrow-ints binds n, threshold and mode): the constant threshold
/// is compared against directly, and the parameters are gone from the body.
#[test]
fn specialize_turns_the_threshold_into_a_constant() {
    let store = shipped_store();
    let prepared = sample("filter");
    let plan = shipped_plan(&store, &prepared);
    let variant = build(&prepared, &plan);
    let bind = step(&variant, "bind");
    assert_eq!(bind.transform, "specialize");
    assert!(bind.note.contains("threshold=10"), "{}", bind.note);
    let before = entry_ir(&step_before(&variant, "bind").ir_after, &prepared);
    let after = entry_ir(&bind.ir_after, &prepared);
    let (_, body_before) = split_define(before);
    let (_, body) = split_define(after);
    assert!(!lines_with(body_before, &["icmp sgt i32", ", %threshold"]).is_empty());
    for p in ["%n", "%threshold", "%mode"] {
        assert!(uses(body_before, p) > 0, "{p} unused before:\n{before}");
        assert_eq!(uses(body, p), 0, "{p} still used:\n{after}");
    }
    let cmp = lines_with(body, &["icmp sgt i32 %", ", 10"]);
    assert_eq!(cmp.len(), 1, "{after}");
    // n = 100000 bounds the loop: the exit compares with a constant.
    assert!(
        !lines_with(body, &["icmp", "i64", "99999"]).is_empty()
            || !lines_with(body, &["icmp", "i64", "100000"]).is_empty(),
        "{after}"
    );
    assert!(bind.after.instructions < bind.before.instructions);
    assert!(bind.after.blocks < bind.before.blocks);
}

/// table-dispatch on reduce: `vectorize` with width 8 makes <8 x double>
/// operations where there were none.
#[test]
fn vectorize_width_8_on_reduce_makes_8_wide_vectors() {
    let store = shipped_store();
    let prepared = sample("reduce");
    let plan = shipped_plan(&store, &prepared);
    assert_eq!(plan.profile, "table-dispatch");
    let vec_step = plan
        .steps
        .iter()
        .find(|s| matches!(s.step, Step::Vectorize { .. }))
        .expect("a vectorize step");
    assert!(
        matches!(
            vec_step.step,
            Step::Vectorize {
                width: 8,
                reassoc: true,
                ..
            }
        ),
        "{:?}",
        vec_step.step
    );
    let variant = build(&prepared, &plan);
    let rec = step(&variant, &vec_step.node);
    assert_eq!(rec.before.vector_instructions, 0);
    assert!(
        rec.after.vector_instructions > rec.before.vector_instructions,
        "{rec:?}"
    );
    let f = entry_ir(&rec.ir_after, &prepared);
    assert!(!lines_with(f, &["fadd", "<8 x double>"]).is_empty(), "{f}");
    assert!(!lines_with(f, &["load <8 x double>"]).is_empty(), "{f}");
    let before = entry_ir(&step_before(&variant, &vec_step.node).ir_after, &prepared);
    assert!(!before.contains("x double>"), "{before}");
    assert!(entry_ir(&variant.optimized_ir, &prepared).contains("<8 x double>"));
    // The generic build does not vectorize this loop at all.
    let g = generic(&prepared);
    assert!(!entry_ir(&g.optimized_ir, &prepared).contains("x double>"));
}

const STREAMING_WIDTH: &str = "
name: streaming-test
priority: 1
tolerance: { rel: 1e-9, abs: 1e-9 }
pipeline:
  layout: { transform: layout, align: 64, noalias: true }
  vec:    { transform: vectorize, width: WIDTH, interleave: 1, reassoc: true, after: layout }
";

/// streaming-float (planned on sum-large) vectorizes at width 8; a custom
/// Plan asking for width 4 gets 4-wide vectors instead: the width is the
/// profile's, not the vectorizer's own choice. Both stay correct.
#[test]
fn vectorize_uses_the_requested_width() {
    let store = shipped_store();
    let prepared = sample("sum-large");
    let streaming = store.get("streaming-float").expect("streaming-float");
    let plan = plan_with(streaming, &prepared);
    let fast = plan
        .steps
        .iter()
        .find(|s| matches!(s.step, Step::Vectorize { width: 8, .. }))
        .unwrap_or_else(|| panic!("no width-8 vectorize in {plan:?}"));
    let mut exec = InProcess::default();
    let variant = build(&prepared, &plan);
    let rec = step(&variant, &fast.node);
    assert!(rec.after.vector_instructions > rec.before.vector_instructions);
    let f = entry_ir(&rec.ir_after, &prepared);
    assert!(!lines_with(f, &["fadd", "<8 x double>"]).is_empty(), "{f}");
    against_generic(&mut exec, &prepared, &variant).expect("streaming-float agrees");

    for width in [4u32, 2] {
        let plan = custom_plan(
            &STREAMING_WIDTH.replace("WIDTH", &width.to_string()),
            &prepared,
        );
        let variant = build(&prepared, &plan);
        let rec = step(&variant, "vec");
        assert!(rec.after.vector_instructions > rec.before.vector_instructions);
        let f = entry_ir(&rec.ir_after, &prepared);
        let want = format!("<{width} x double>");
        assert!(!lines_with(f, &["fadd", &want]).is_empty(), "{f}");
        assert!(!f.contains("<8 x double>"), "width {width}:\n{f}");
        against_generic(&mut exec, &prepared, &variant)
            .unwrap_or_else(|e| panic!("width {width}: {e}"));
    }
}

/// `reassoc: false` keeps C's order of additions even though `vectorize`
/// forces the loop: LLVM would otherwise take the forcing metadata as
/// licence to reorder the sum (`-hints-allow-reordering`, set off once per
/// process by `llvm::set_options`). Bit for bit generic's result, under a
/// tolerance of zero.
#[test]
fn vectorize_without_reassoc_keeps_the_order_of_a_float_sum() {
    let prepared = sample("sum-large");
    let plan = custom_plan(
        "name: ordered\npriority: 1\ntolerance: { rel: 0, abs: 0 }\npipeline:\n  vec: { transform: vectorize, width: 8, interleave: 4 }\n",
        &prepared,
    );
    let variant = build(&prepared, &plan);
    let mut exec = InProcess::default();
    let (g, v) = against_generic(&mut exec, &prepared, &variant)
        .expect("an ordered sum is generic's sum, bit for bit");
    assert_eq!(g.ret, v.ret);
    let f = entry_ir(&variant.optimized_ir, &prepared);
    assert!(
        lines_with(f, &["fadd", "<8 x double>"]).is_empty(),
        "no reassociated vector sum:\n{f}"
    );
}

/// An `autotune` step whose sets multiply to a million combinations, all
/// but a few duplicates (the toggled nodes never run), is expanded from a
/// bounded number of them: at most `max` candidates, each distinct.
#[test]
fn autotune_with_a_million_combinations_looks_at_a_bounded_few() {
    let prepared = sample("sum-large");
    let mut yaml = String::from("name: wide\npriority: 1\npipeline:\n");
    let mut names = Vec::new();
    for i in 0..8 {
        yaml.push_str(&format!(
            "  off{i}: {{ transform: unroll, count: 2, when: \"false\" }}\n"
        ));
        names.push(format!("off{i}"));
    }
    yaml.push_str("  vec: { transform: vectorize, width: 4 }\n");
    yaml.push_str(&format!(
        "  tune: {{ transform: autotune, max: 16, toggle: [{}], unroll: [1, 2, 3, 4, 5, 6, 7, 8], width: [1, 2, 4, 8, 16, 32, 64, 0], interleave: [1, 2, 4, 8, 16, 0, 1, 2], finish: [\"default<O3>\", \"default<O2>\", \"default<O1>\", \"default<O3>\", \"default<O2>\", \"default<O1>\", \"default<O3>\", \"default<O2>\"] }}\n",
        names.join(", ")
    ));
    let plan = custom_plan(&yaml, &prepared);
    let candidates = plan.tuning().expect("an autotune step");
    assert!(
        !candidates.is_empty() && candidates.len() <= 16,
        "{}",
        candidates.len()
    );
    let distinct: BTreeSet<String> = candidates.iter().map(|(p, _)| p.fingerprint()).collect();
    assert_eq!(distinct.len(), candidates.len());
    assert!(candidates
        .iter()
        .all(|(p, _)| !p.steps.iter().any(|s| s.node == "tune")));
}

/// The fast path to `hit_block` is guarded by a comparison with the pinned
/// target: the callee against `@target` (`icmp eq ptr`), or, once
/// instcombine has seen through the constant table, the table index against
/// `index` (an `icmp eq` or a `switch` case).
fn assert_guarded(f: &str, hit_block: &str, target: &str, index: i64) {
    let case = format!("i32 {index}, label %{hit_block}");
    if f.lines().any(|l| l.trim_start().starts_with(&case)) {
        return;
    }
    let branch = f
        .lines()
        .find(|l| l.contains("br i1 %") && l.contains(&format!("label %{hit_block}")))
        .unwrap_or_else(|| panic!("no guarded branch to {hit_block}:\n{f}"));
    let cond = branch
        .split_whitespace()
        .nth(2)
        .expect("a condition")
        .trim_end_matches(',');
    let def = f
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{cond} = ")))
        .unwrap_or_else(|| panic!("no definition of {cond}:\n{f}"));
    assert!(
        (def.contains("icmp eq ptr") && def.contains(target))
            || (def.contains("icmp eq i32") && def.trim_end().ends_with(&format!(", {index}"))),
        "the guard is not a comparison with {target}: {def}"
    );
}

/// table-dispatch on reduce-max (op 2 pinned): after `inline_cache` the
/// call through the table is gone; the pinned target's block holds its
/// inlined body, reached by a guard on the pinned target; after the whole
/// Plan no indirect call is left and the other operations are gone.
#[test]
fn inline_cache_pins_the_selected_operation() {
    let store = shipped_store();
    let prepared = sample("reduce-max");
    let plan = shipped_plan(&store, &prepared);
    assert_eq!(plan.profile, "table-dispatch");
    let cache_node = plan
        .steps
        .iter()
        .find(|s| matches!(s.step, Step::InlineCache { index: Some(2), .. }))
        .expect("inline_cache pinning index 2");
    let variant = build(&prepared, &plan);
    let rec = step(&variant, &cache_node.node);
    assert_eq!(
        rec.before.indirect_calls, 1,
        "the kernel calls through its table"
    );
    assert_eq!(rec.after.indirect_calls, 0, "{}", rec.ir_after);
    assert!(rec.note.contains("pinned op_max"), "{}", rec.note);
    let f = entry_ir(&rec.ir_after, &prepared);
    let hit = block(f, "hit.op_max").unwrap_or_else(|| panic!("no hit.op_max block:\n{f}"));
    assert!(
        hit.contains("fcmp ogt double"),
        "op_max not inlined:\n{hit}"
    );
    assert!(!hit.contains("call "), "{hit}");
    assert_guarded(f, "hit.op_max", "@op_max", 2);
    assert!(
        !f.contains("call double %"),
        "an indirect call is left:\n{f}"
    );

    // After the whole Plan: no indirect call anywhere, the table and the
    // other operations gone, max as a select/maxnum.
    for s in variant
        .steps
        .iter()
        .skip_while(|s| s.node != cache_node.node)
    {
        assert_eq!(s.after.indirect_calls, 0, "after `{}`", s.node);
    }
    let last = variant.steps.last().expect("steps");
    assert_eq!(last.after.indirect_calls, 0);
    let opt = &variant.optimized_ir;
    for gone in ["@op_add", "@op_mul", "@op_min", "@ops"] {
        assert!(!opt.contains(gone), "{gone} survived:\n{opt}");
    }
    let f = entry_ir(opt, &prepared);
    assert!(
        f.contains("fcmp ogt <8 x double>") || f.contains("fmax.v8f64"),
        "max is not an 8-wide vector operation:\n{f}"
    );
    let fold = plan
        .steps
        .iter()
        .find(|s| matches!(s.step, Step::Dce { .. }))
        .expect("dce");
    let fold = step(&variant, &fold.node);
    assert!(fold.after.functions < fold.before.functions, "{fold:?}");
}

const IC_ONE: &str = "
name: ic-one
priority: 1
tolerance: { rel: 1e-12, abs: 1e-12 }
finish: none
pipeline:
  cache: { transform: inline_cache, index: op, max_targets: 1 }
";

/// With one target, the pinned call is guarded and inlined, and the call
/// through the table stays as the megamorphic fallback: run on an input
/// with another op, the fallback path still computes the right thing.
/// Binding op and dce then remove the fallback.
#[test]
fn inline_cache_with_one_target_keeps_a_correct_fallback() {
    let max = sample("reduce-max");
    let plan = custom_plan(IC_ONE, &max);
    let variant = build(&max, &plan);
    let rec = step(&variant, "cache");
    assert_eq!(rec.after.indirect_calls, 1, "{}", rec.ir_after);
    let f = entry_ir(&rec.ir_after, &max);
    let hit = block(f, "hit.op_max").unwrap_or_else(|| panic!("no hit.op_max:\n{f}"));
    assert!(hit.contains("fcmp ogt double"), "{hit}");
    let next = block(f, "next.0").unwrap_or_else(|| panic!("no fallback block:\n{f}"));
    assert!(next.contains("call double %"), "{next}");
    assert_guarded(f, "hit.op_max", "@op_max", 2);
    assert!(
        f.lines()
            .any(|l| l.contains("br i1 %") && l.contains("label %hit.op_max")),
        "one target: a conditional branch, not a switch:\n{f}"
    );

    let mut exec = InProcess::default();
    against_generic(&mut exec, &max, &variant).expect("op 2 (fast path)");
    for other in ["reduce", "reduce-npy"] {
        // op 0 and op 3: the variant (pinned to max, op not bound) takes the
        // indirect fallback and must still agree with generic.
        let p = sample(other);
        let g = generic(&p);
        let (ge, gargs) = run(&mut exec, &g, &p);
        let (ve, vargs) = run_on(&mut exec, &variant, &p, &p.input);
        tailor::engine::verify::compare(&plan.tolerance, &ge, &gargs, &ve, &vargs)
            .unwrap_or_else(|e| panic!("{other} through the fallback: {e}"));
    }

    let bound = custom_plan(
        &format!(
            "{IC_ONE}  bind: {{ transform: specialize, bind: {{ op: op }}, after: cache }}\n  fold: {{ transform: dce, after: bind }}\n"
        ),
        &max,
    );
    let variant = build(&max, &bound);
    let fold = step(&variant, "fold");
    assert_eq!(fold.after.indirect_calls, 0, "{}", fold.ir_after);
    let f = entry_ir(&fold.ir_after, &max);
    assert!(f.contains("fcmp ogt double"), "{f}");
    assert!(!f.contains("call double"), "{f}");
    assert!(!f.contains("@ops"), "{f}");
    against_generic(&mut exec, &max, &variant).expect("bound op");
}

const FILTER_MODE: &str = "
name: filter-mode
priority: 1
finish: none
pipeline:
  bind:  { transform: specialize, bind: { mode: MODE } }
  clean: { transform: dce, aggressive: true, after: bind }
";

/// filter with only `mode` bound: after dce, the other modes' comparisons
/// are gone and the function is smaller than before specialization; the
/// kept mode's comparison remains. The variants agree with generic on
/// inputs in that mode.
#[test]
fn dce_removes_the_modes_that_binding_made_dead() {
    let prepared = sample("filter");
    // The IR every Plan starts from (the `prepare` step).
    let g = generic(&prepared);
    let before = entry_ir(&g.steps[0].ir_after, &prepared);
    let cmp = |body: &str, pred: &str| {
        !lines_with(body, &[&format!("icmp {pred} i32 %"), ", %threshold"]).is_empty()
    };
    // Before: one loop holding all four predicates behind a switch (mode 3
    // compares |a[i]| with the threshold widened to 64 bits).
    assert!(before.contains("switch i32 %mode"), "{before}");
    for pred in ["sgt", "slt", "eq"] {
        assert!(cmp(before, pred), "{pred}:\n{before}");
    }
    assert!(before.contains("sext i32 %threshold to i64"), "{before}");
    let mut exec = InProcess::default();
    for (mode, keep) in [
        (0, Some("sgt")),
        (1, Some("slt")),
        (2, Some("eq")),
        (3, None),
    ] {
        let plan = custom_plan(&FILTER_MODE.replace("MODE", &mode.to_string()), &prepared);
        let variant = build(&prepared, &plan);
        let prep = step(&variant, "prepare");
        let clean = step(&variant, "clean");
        assert_eq!(clean.transform, "dce");
        let f = entry_ir(&clean.ir_after, &prepared);
        let (_, body) = split_define(f);
        assert!(!body.contains("switch"), "mode {mode}:\n{f}");
        assert_eq!(uses(body, "%mode"), 0);
        for pred in ["sgt", "slt", "eq"] {
            assert_eq!(
                cmp(body, pred),
                keep == Some(pred),
                "mode {mode}, icmp {pred}:\n{f}"
            );
        }
        assert_eq!(
            body.contains("sext i32 %threshold"),
            keep.is_none(),
            "mode {mode}:\n{f}"
        );
        assert!(clean.after.blocks < prep.after.blocks, "{prep:?} {clean:?}");
        assert!(clean.after.instructions < prep.after.instructions);
        assert!(clean.after.instructions <= clean.before.instructions);
        assert_eq!(clean.after.loops, 1);

        // Run it on the sample's data with this mode.
        let mut input = (*prepared.input).clone();
        let slot = input
            .args
            .iter_mut()
            .find(|a| a.name == "mode")
            .expect("mode");
        slot.value = tailor::input::Value::Scalar(tailor::input::Scalar::I32(mode));
        let (ge, gargs) = run_on(&mut exec, &g, &prepared, &input);
        let (ve, vargs) = run_on(&mut exec, &variant, &prepared, &input);
        assert!(matches!(ge.ret, Some(tailor::input::Scalar::I64(c)) if c > 0));
        tailor::engine::verify::compare(&plan.tolerance, &ge, &gargs, &ve, &vargs)
            .unwrap_or_else(|e| panic!("mode {mode}: {e}"));
    }
}

/// The shipped Plan for filter (all of n, threshold, mode bound; mode 0):
/// after its dce step no other mode's comparison is left.
#[test]
fn dce_in_the_shipped_filter_plan_leaves_one_predicate() {
    let store = shipped_store();
    let prepared = sample("filter");
    let plan = shipped_plan(&store, &prepared);
    let dce = plan
        .steps
        .iter()
        .find(|s| matches!(s.step, Step::Dce { .. }))
        .expect("a dce step");
    let variant = build(&prepared, &plan);
    let prep = step(&variant, "prepare");
    let rec = step(&variant, &dce.node);
    let f = entry_ir(&rec.ir_after, &prepared);
    let (_, body) = split_define(f);
    assert!(!body.contains("switch"), "{f}");
    assert_eq!(
        lines_with(body, &["icmp sgt i32 %", ", 10"]).len(),
        1,
        "{f}"
    );
    assert!(lines_with(body, &["icmp slt i32"]).is_empty(), "{f}");
    assert!(lines_with(body, &["icmp eq i32"]).is_empty(), "{f}");
    assert!(rec.after.blocks < prep.after.blocks);
    assert!(rec.after.instructions < prep.after.instructions);
}

/// matmul-small (small-shapes, m = n = k = 4 bound): `unroll` with
/// `full: true` removes all three loops.
#[test]
fn full_unroll_removes_the_loops_of_a_4x4_matmul() {
    let store = shipped_store();
    let prepared = sample("matmul-small");
    let plan = shipped_plan(&store, &prepared);
    let full = plan
        .steps
        .iter()
        .find(|s| matches!(s.step, Step::Unroll { full: true, .. }))
        .unwrap_or_else(|| panic!("no full unroll in {plan:?}"));
    let variant = build(&prepared, &plan);
    let rec = step(&variant, &full.node);
    assert_eq!(rec.before.loops, 3, "{rec:?}");
    assert_eq!(rec.after.loops, 0, "{rec:?}");
    assert!(rec.after.instructions > rec.before.instructions);
    let f = entry_ir(&rec.ir_after, &prepared);
    assert!(!f.contains("phi "), "a loop variable is left:\n{f}");
    // 4 * 4 * 4 multiply-adds, 16 stores to C.
    let madds = f
        .lines()
        .filter(|l| l.contains("fmul double") || l.contains("call double @llvm.fmuladd.f64"))
        .count();
    assert_eq!(madds, 64, "{f}");
    assert_eq!(lines_with(f, &["store double"]).len(), 16, "{f}");
    assert_eq!(variant.steps.last().expect("finish").after.loops, 0);
    let mut exec = InProcess::default();
    against_generic(&mut exec, &prepared, &variant).expect("unrolled matmul agrees");
}

const UNROLL_COUNT: &str = "
name: unroll-count
priority: 1
finish: none
pipeline:
  bind:   { transform: specialize, bind: ints }
  unroll: { transform: unroll, count: 4, after: bind }
";

/// `unroll` with `count: 4`: the loop body is copied four times and one
/// loop remains (sum-small, n = 200 bound so no remainder loop is needed;
/// the shipped small-shapes Plan does the same).
#[test]
fn unroll_by_four_grows_the_body_and_keeps_the_loop() {
    let store = shipped_store();
    let prepared = sample("sum-small");
    let shipped = shipped_plan(&store, &prepared);
    assert!(
        shipped.steps.iter().any(|s| matches!(
            s.step,
            Step::Unroll {
                count: 4,
                full: false
            }
        )),
        "{shipped:?}"
    );
    let plan = custom_plan(UNROLL_COUNT, &prepared);
    let variant = build(&prepared, &plan);
    let rec = step(&variant, "unroll");
    assert_eq!(rec.before.loops, 1);
    assert_eq!(rec.after.loops, 1, "{}", rec.ir_after);
    assert!(rec.after.instructions > rec.before.instructions);
    let before = entry_ir(&step(&variant, "bind").ir_after, &prepared);
    let after = entry_ir(&rec.ir_after, &prepared);
    assert_eq!(lines_with(before, &["fadd double"]).len(), 1, "{before}");
    assert_eq!(lines_with(after, &["fadd double"]).len(), 4, "{after}");
    assert_eq!(lines_with(after, &["load double"]).len(), 4, "{after}");
    let mut exec = InProcess::default();
    against_generic(&mut exec, &prepared, &variant).expect("unrolled sum agrees");
}

/// `layout` states align 64, noalias and dereferenceable(padded bytes) on
/// every pointer parameter of the entry, and nothing on the scalars.
#[test]
fn layout_marks_every_array_parameter() {
    let store = shipped_store();
    let prepared = sample("matmul-small");
    let plan = shipped_plan(&store, &prepared);
    let node = plan
        .steps
        .iter()
        .find(|s| matches!(s.step, Step::Layout { .. }))
        .expect("a layout step");
    let variant = build(&prepared, &plan);
    let before = params(entry_ir(
        &step_before(&variant, &node.node).ir_after,
        &prepared,
    ));
    let after = params(entry_ir(&step(&variant, &node.node).ir_after, &prepared));
    assert_eq!(after.len(), 6);
    for (i, p) in after.iter().enumerate() {
        if p.starts_with("ptr ") {
            // 16 doubles: 128 bytes, already a multiple of 64.
            for attr in ["align 64", "noalias", "dereferenceable(128)"] {
                assert!(p.contains(attr), "param {i} lacks {attr}: {p}");
                assert!(
                    !before[i].contains(attr),
                    "param {i} had {attr}: {}",
                    before[i]
                );
            }
        } else {
            assert!(p.starts_with("i64 "), "{p}");
            assert!(!p.contains("align") && !p.contains("noalias"), "{p}");
        }
    }
    assert_eq!(after.iter().filter(|p| p.starts_with("ptr ")).count(), 3);
}

/// strided-gather on gather-large (idx = 0, 4, 8, ...): the array
/// parameters get their layout facts and a prefetch 16 elements (64
/// indices) ahead of the gathered load appears, and survives `finish`.
#[test]
fn layout_prefetches_ahead_of_a_strided_gather() {
    let store = shipped_store();
    let prepared = sample("gather-large");
    let plan = shipped_plan(&store, &prepared);
    assert_eq!(plan.profile, "strided-gather");
    let node = plan
        .steps
        .iter()
        .find(|s| matches!(&s.step, Step::Layout { prefetch, .. } if *prefetch > 0))
        .expect("a layout step with prefetch");
    let Step::Layout {
        prefetch, strides, ..
    } = &node.step
    else {
        unreachable!()
    };
    assert_eq!(strides.len(), 1);
    assert_eq!((strides[0].arg, strides[0].step), (1, 4));
    let variant = build(&prepared, &plan);
    let rec = step(&variant, &node.node);
    let before = entry_ir(&step_before(&variant, &node.node).ir_after, &prepared);
    let f = entry_ir(&rec.ir_after, &prepared);
    assert!(!before.contains("llvm.prefetch"));
    let calls = lines_with(f, &["call void @llvm.prefetch"]);
    assert_eq!(calls.len(), 1, "{f}");
    let ahead = u64::from(*prefetch) * 4;
    assert!(
        !lines_with(f, &["add i64 %", &format!(", {ahead}")]).is_empty(),
        "no index {ahead} ahead:\n{f}"
    );
    assert!(
        !lines_with(f, &["getelementptr double, ptr %src"]).is_empty(),
        "the prefetch does not follow src:\n{f}"
    );
    assert_eq!(rec.after.instructions, rec.before.instructions + 3);
    let p = params(f);
    assert!(
        p[0].contains("align 64") && p[0].contains("noalias"),
        "{}",
        p[0]
    );
    assert!(p[0].contains("dereferenceable(8000000)"), "{}", p[0]);
    assert!(p[1].contains("dereferenceable(2000000)"), "{}", p[1]);
    assert!(variant.optimized_ir.contains("@llvm.prefetch"));
    let mut exec = InProcess::default();
    against_generic(&mut exec, &prepared, &variant).expect("prefetching gather agrees");
}

// ---- 4. bad input ------------------------------------------------------

fn empty_plan(steps: Vec<PlannedStep>) -> Plan {
    Plan {
        profile: "test".into(),
        profile_version: "0".into(),
        steps,
        skipped: Vec::new(),
        finish: "none".into(),
        tolerance: Tolerance::default(),
    }
}

#[test]
fn garbage_ir_is_a_parse_error() {
    for garbage in [
        "this is not IR",
        "define i64 @f(i64 %n) {\nentry:\n  %x = frobnicate i64 %n\n  ret i64 %x\n}\n",
    ] {
        let e = tailor::transform::build(garbage, "f", &empty_plan(vec![]), &host(), &mut |_| {})
            .expect_err("garbage builds");
        match e {
            TransformError::Parse(m) => {
                assert!(m.contains("error"), "{m}");
                assert!(!m.is_empty());
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }
}

#[test]
fn a_missing_entry_is_named() {
    let prepared = sample("sum-small");
    let e = tailor::transform::build(
        &prepared.kernel.ir,
        "nosuchfn",
        &empty_plan(vec![]),
        &host(),
        &mut |_| {},
    )
    .expect_err("no such entry");
    assert_eq!(e, TransformError::NoEntry("nosuchfn".into()));
}

#[test]
fn ir_that_fails_the_verifier_is_refused_at_load() {
    let ir = "define i64 @f(i64 %n) {\nentry:\n  %a = add i64 %b, 1\n  %b = add i64 %n, 1\n  ret i64 %a\n}\n";
    let e = tailor::kernel::Kernel::from_bytes(
        Path::new("bad.ll"),
        tailor::kernel::SourceKind::Ll,
        ir.as_bytes(),
        None,
    )
    .expect_err("verifier");
    match &e {
        tailor::kernel::KernelError::Verify { path, message } => {
            assert_eq!(path, Path::new("bad.ll"));
            assert!(message.contains("dominate"), "{message}");
        }
        other => panic!("expected a verifier error, got {other:?}"),
    }
    assert!(
        e.to_string()
            .starts_with("bad.ll: IR fails LLVM's verifier"),
        "{e}"
    );
}

#[test]
fn a_pass_string_llvm_rejects_is_a_step_error() {
    let prepared = sample("sum-small");
    let mut seen = Vec::new();
    let plan = empty_plan(vec![PlannedStep {
        node: "hatch".into(),
        step: Step::Passes {
            pipeline: "function(nosuchpass)".into(),
        },
    }]);
    let e = tailor::transform::build(&prepared.kernel.ir, "sum", &plan, &host(), &mut |r| {
        seen.push(r.node.clone())
    })
    .expect_err("nosuchpass runs");
    match &e {
        TransformError::Step {
            node,
            transform,
            message,
        } => {
            assert_eq!(node, "hatch");
            assert_eq!(transform, "passes");
            assert!(message.contains("nosuchpass"), "{message}");
        }
        other => panic!("expected a step error, got {other:?}"),
    }
    assert!(e.to_string().starts_with("step `hatch` (passes): "), "{e}");
    // prepare ran and was reported; the failing step was not.
    assert_eq!(seen, vec!["prepare".to_owned()]);
}

// ---- 3. random inputs: every selected variant agrees with generic -----

mod random {
    use super::common::*;
    use proptest::prelude::*;
    use tailor::sandbox::InProcess;

    /// Raw draws; `spec` turns them into an input spec for one kernel.
    #[derive(Debug, Clone)]
    pub struct Draw {
        pub kernel: usize,
        pub len: usize,
        pub seed: u64,
        pub dist: usize,
        pub small: [u32; 3],
    }

    fn float_gen(dist: usize, len: usize, seed: u64) -> String {
        let d = match dist % 6 {
            0 => "dist: uniform, min: 0.0, max: 1.0".to_owned(),
            1 => "dist: uniform, min: -100.0, max: 100.0".to_owned(),
            2 => "dist: normal, mean: 0.0, stddev: 10.0".to_owned(),
            3 => "dist: sorted, min: -1.0, max: 1.0".to_owned(),
            4 => "dist: sparse, zero_frac: 0.5, min: -10.0, max: 10.0".to_owned(),
            _ => "dist: constant, value: 0.5".to_owned(),
        };
        format!("gen: {{ {d}, len: {len}, seed: {seed} }}")
    }

    fn int_gen(dist: usize, len: usize, seed: u64) -> String {
        let d = match dist % 6 {
            0 => "dist: uniform, min: -50, max: 50",
            1 => "dist: uniform, min: 0, max: 255",
            2 => "dist: sparse, zero_frac: 0.9, min: -1000, max: 1000",
            3 => "dist: runs, run_len: 8, min: 0, max: 100",
            4 => "dist: range, start: -20, step: 3",
            _ => "dist: constant, value: 7",
        };
        format!("gen: {{ {d}, len: {len}, seed: {seed} }}")
    }

    /// An input spec (YAML) for one of the shipped kernels.
    pub fn spec(d: &Draw) -> String {
        let k = |name: &str| {
            root()
                .join("kernels")
                .join(format!("{name}.c"))
                .display()
                .to_string()
        };
        let (len, seed, dist) = (d.len, d.seed, d.dist);
        let [s0, s1, s2] = d.small;
        let f = |len: usize, seed: u64| float_gen(dist, len, seed);
        match d.kernel % 9 {
            0 => format!(
                "kernel: {}\nentry: sum\nargs:\n  - a: {{ array: f64, {} }}\n  - n: {{ i64: len(a) }}\n",
                k("sum"),
                f(len, seed)
            ),
            1 => format!(
                "kernel: {}\nentry: dot\nargs:\n  - a: {{ array: f64, {} }}\n  - b: {{ array: f64, {} }}\n  - n: {{ i64: len(a) }}\n",
                k("dot"),
                f(len, seed),
                float_gen(dist + 1, len, seed + 1)
            ),
            2 => format!(
                "kernel: {}\nentry: reduce\nargs:\n  - a: {{ array: f64, {} }}\n  - n: {{ i64: len(a) }}\n  - op: {{ i32: {} }}\n",
                k("reduce"),
                f(len, seed),
                s0 % 4
            ),
            3 => format!(
                "kernel: {}\nentry: filter_count\nargs:\n  - a: {{ array: i32, {} }}\n  - n: {{ i64: len(a) }}\n  - threshold: {{ i32: {} }}\n  - mode: {{ i32: {} }}\n",
                k("filter"),
                int_gen(dist, len, seed),
                s1 as i64 % 121 - 60,
                s0 % 5
            ),
            4 => {
                let step = 1 + s0 as usize % 8;
                let src = step * (len - 1) + 1 + s1 as usize % 16;
                format!(
                    "kernel: {}\nentry: gather\nargs:\n  - src: {{ array: f64, {} }}\n  - idx: {{ array: i64, gen: {{ dist: range, len: {len}, seed: 1, start: 0, step: {step} }} }}\n  - n: {{ i64: len(idx) }}\n",
                    k("gather"),
                    f(src, seed)
                )
            }
            5 => {
                let nbins = 1 + s0 % 300;
                let lo = s1 as i64 % 201 - 100;
                let hi = lo + (s2 % 400) as i64;
                format!(
                    "kernel: {}\nentry: histogram\nargs:\n  - a: {{ array: i32, {} }}\n  - n: {{ i64: len(a) }}\n  - nbins: {{ i32: {nbins} }}\n  - lo: {{ i32: {lo} }}\n  - hi: {{ i32: {hi} }}\nout:\n  - bins: {{ array: i64, len: {nbins} }}\n",
                    k("histogram"),
                    int_gen(dist, len, seed)
                )
            }
            6 => {
                let m = if s2 % 2 == 0 { 1 + s2 as usize % 9 } else { 1 + len % 300 };
                let (n, kk) = (1 + s0 as usize % 9, 1 + s1 as usize % 9);
                format!(
                    "kernel: {}\nentry: matmul\nargs:\n  - a: {{ array: f64, {} }}\n  - b: {{ array: f64, {} }}\n  - m: {{ i64: {m} }}\n  - n: {{ i64: {n} }}\n  - k: {{ i64: {kk} }}\nout:\n  - c: {{ array: f64, len: {} }}\n",
                    k("matmul"),
                    f(m * kk, seed),
                    float_gen(dist + 3, kk * n, seed + 1),
                    m * n
                )
            }
            7 => {
                let degree = s0 % 10;
                format!(
                    "kernel: {}\nentry: poly\nargs:\n  - x: {{ array: f64, {} }}\n  - coef: {{ array: f64, gen: {{ dist: uniform, len: {}, seed: {}, min: -1.0, max: 1.0 }} }}\n  - n: {{ i64: len(x) }}\n  - degree: {{ i32: {degree} }}\nout:\n  - y: {{ array: f64, len: {len} }}\n",
                    k("poly"),
                    float_gen(3, len, seed),
                    degree + 1,
                    seed + 1
                )
            }
            _ => {
                let width = 1 + s0 as usize % 8;
                let n = len.max(width);
                format!(
                    "kernel: {}\nentry: stencil\nargs:\n  - x: {{ array: f32, {} }}\n  - w: {{ array: f32, gen: {{ dist: uniform, len: {width}, seed: {}, min: 0.0, max: 0.25 }} }}\n  - n: {{ i64: len(x) }}\n  - width: {{ i32: {width} }}\nout:\n  - y: {{ array: f32, len: {} }}\n",
                    k("stencil"),
                    f(n, seed),
                    seed + 1,
                    n - width + 1
                )
            }
        }
    }

    fn draws() -> impl Strategy<Value = Draw> {
        (
            0usize..9,
            prop_oneof![1usize..=64, 65usize..=1024, 1025usize..=60_000],
            0u64..1_000_000,
            0usize..6,
            any::<[u32; 3]>(),
        )
            .prop_map(|(kernel, len, seed, dist, small)| Draw {
                kernel,
                len,
                seed,
                dist,
                small,
            })
    }

    /// Few cases (each builds a variant and the generic build), from a fixed
    /// seed so a run is reproducible; `PROPTEST_CASES` / `PROPTEST_RNG_SEED`
    /// override both for a longer search.
    fn config() -> ProptestConfig {
        use proptest::test_runner::RngSeed;
        let base = ProptestConfig::default();
        ProptestConfig {
            cases: if std::env::var_os("PROPTEST_CASES").is_some() {
                base.cases
            } else {
                12
            },
            rng_seed: match base.rng_seed {
                RngSeed::Random => RngSeed::Fixed(0x7a11_0c0d),
                fixed => fixed,
            },
            max_shrink_iters: 24,
            failure_persistence: None,
            ..base
        }
    }

    proptest! {
        #![proptest_config(config())]

        /// For random inputs to the shipped kernels, the variant of the
        /// profile the shipped store selects agrees with the generic build.
        #[test]
        fn selected_variants_agree_with_generic_on_random_inputs(d in draws()) {
            let store = shipped_store();
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("input.yaml");
            let yaml = spec(&d);
            std::fs::write(&path, &yaml).expect("write spec");
            let prepared = prepare(&path);
            let plan = shipped_plan(&store, &prepared);
            let variant = build(&prepared, &plan);
            let mut exec = InProcess::default();
            let verdict = against_generic(&mut exec, &prepared, &variant);
            prop_assert!(
                verdict.is_ok(),
                "profile `{}` ({}) disagrees with generic: {}\n{yaml}",
                plan.profile,
                tailor::cli::plan_text(&plan),
                verdict.unwrap_err()
            );
        }
    }

    /// The generator covers every kernel and the spec it writes loads.
    #[test]
    fn every_kernel_template_loads() {
        let dir = tempfile::tempdir().expect("tempdir");
        for kernel in 0..9 {
            for (len, dist) in [(1, 0), (100, 4), (5000, 5)] {
                let d = Draw {
                    kernel,
                    len,
                    seed: 3,
                    dist,
                    small: [7, 11, 13],
                };
                let path = dir.path().join(format!("k{kernel}-{len}.yaml"));
                std::fs::write(&path, spec(&d)).expect("write");
                let p = prepare(&path);
                assert!(!p.input.args.is_empty());
            }
        }
    }
}

// ---- float tolerance of the shipped profiles on f32 ---------------------

/// stencil (f32) with a bound width of 8: the inner loop becomes one
/// 8-wide reassociated reduction. Found by the random-input search: the
/// variants small-shapes and flags-and-sizes select must still agree with
/// generic within the profile's tolerance, or verification rejects them.
fn stencil_width_8(
    x_gen: &str,
    len: usize,
    seed: u64,
) -> (tailor::engine::Prepared, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("stencil.yaml");
    let yaml = format!(
        "kernel: {}\nentry: stencil\nargs:\n  - x: {{ array: f32, gen: {{ {x_gen}, len: {len}, seed: {seed} }} }}\n  - w: {{ array: f32, gen: {{ dist: uniform, len: 8, seed: {}, min: 0.0, max: 0.25 }} }}\n  - n: {{ i64: len(x) }}\n  - width: {{ i32: 8 }}\nout:\n  - y: {{ array: f32, len: {} }}\n",
        root().join("kernels/stencil.c").display(),
        seed + 1,
        len - 7
    );
    std::fs::write(&path, yaml).expect("write");
    (prepare(&path), dir)
}

#[test]
fn small_shapes_f32_stencil_variant_stays_within_tolerance() {
    let store = shipped_store();
    let (prepared, _dir) = stencil_width_8("dist: uniform, min: 0.0, max: 1.0", 223, 682932);
    let plan = shipped_plan(&store, &prepared);
    assert_eq!(plan.profile, "small-shapes");
    let variant = build(&prepared, &plan);
    let mut exec = InProcess::default();
    against_generic(&mut exec, &prepared, &variant).unwrap_or_else(|e| {
        panic!(
            "{} with tolerance {:?}: {e}",
            tailor::cli::plan_text(&plan),
            plan.tolerance
        )
    });
}

#[test]
fn flags_and_sizes_f32_stencil_variant_stays_within_tolerance() {
    let store = shipped_store();
    let (prepared, _dir) = stencil_width_8("dist: uniform, min: -100.0, max: 100.0", 2958, 887855);
    let plan = shipped_plan(&store, &prepared);
    assert_eq!(plan.profile, "flags-and-sizes");
    let variant = build(&prepared, &plan);
    let mut exec = InProcess::default();
    against_generic(&mut exec, &prepared, &variant).unwrap_or_else(|e| {
        panic!(
            "{} with tolerance {:?}: {e}",
            tailor::cli::plan_text(&plan),
            plan.tolerance
        )
    });
}

// ---- 4b. a bad profile never reaches the cache ---------------------------

mod engine {
    use super::common::*;
    use std::path::Path;
    use tailor::cache::{CacheConfig, Verification};
    use tailor::engine::{Engine, EngineConfig, EventKind, Response};
    use tailor::profile::ErrorKind;
    use tailor::sandbox::{InProcess, Outcome};

    fn engine_with(profile_file: &str, profile: &str) -> (Engine, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        let profiles = dir.path().join("profiles");
        std::fs::create_dir(&profiles).expect("mkdir");
        std::fs::copy(
            root().join("profiles/generic.yaml"),
            profiles.join("generic.yaml"),
        )
        .expect("copy generic");
        std::fs::write(profiles.join(profile_file), profile).expect("write profile");
        let engine = Engine::new(EngineConfig {
            profiles,
            cache: CacheConfig {
                dir: Some(dir.path().join("cache")),
                ..Default::default()
            },
            pools: Default::default(),
            shadow: tailor::engine::DEFAULT_SHADOW,
            fleet: Default::default(),
            key_budget: Default::default(),
        })
        .expect("engine");
        (engine, dir)
    }

    /// Only the generic build is cached, in memory and on disk, and the
    /// request got the generic build's answer.
    fn only_generic_cached(engine: &Engine, dir: &Path, spec: &Path, r: &Response) {
        let (entries, notices) = engine.cache().list();
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0].profile, "generic");
        assert_eq!(entries[0].verification, Verification::Reference);
        assert!(entries[0].in_memory && entries[0].on_disk);
        let stats = engine.cache().stats();
        assert_eq!(
            (stats.insertions, stats.entries, stats.rejections),
            (1, 1, 0)
        );
        let files: Vec<_> = std::fs::read_dir(dir.join("cache"))
            .expect("cache dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".stats"))
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        assert!(files[0].starts_with(entries[0].key.0.as_str()), "{files:?}");
        // The answer is the generic build's, computed here independently.
        // (How the engine executes is issue 4's business: when its executor
        // could not run the kernel at all, only the cache is checked here.)
        if r.execution.outcome == Outcome::Ok {
            let prepared = prepare(spec);
            let g = generic(&prepared);
            let mut exec = InProcess::default();
            let (e, _) = run(&mut exec, &g, &prepared);
            assert!(e.ret.is_some());
            assert_eq!(r.result, e.ret);
        }
    }

    const BAD_PASS: &str = "
name: bad-pass
priority: 90
match: \"true\"
pipeline:
  hatch: { transform: passes, pipeline: \"function(nosuchpass)\" }
";

    /// A profile whose `passes` pipeline LLVM rejects is refused at load
    /// with its file, line, node and LLVM's message; the request it would
    /// have matched is served by generic and nothing of it is cached.
    #[test]
    fn a_profile_with_a_pipeline_llvm_rejects_is_refused_and_never_cached() {
        let (engine, dir) = engine_with("bad-pass.yaml", BAD_PASS);
        let store = engine.store();
        let errors = store.errors();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert!(e.file.ends_with("bad-pass.yaml"), "{e}");
        assert_eq!(e.node.as_deref(), Some("hatch"));
        assert_eq!(e.line, Some(6), "{e}");
        match e.kind.as_ref() {
            ErrorKind::BadParameter { param, problem } => {
                assert_eq!(param, "pipeline");
                assert!(problem.contains("nosuchpass"), "{problem}");
            }
            other => panic!("expected a bad parameter, got {other:?}"),
        }
        assert!(engine.store().get("bad-pass").is_none());
        assert!(engine.store().get("generic").is_some());

        let events = engine.subscribe();
        let spec = sample_path("sum-small");
        let r = engine.run_spec(&spec).expect("served");
        assert_eq!(r.profile, "generic");
        assert_eq!(r.verification, Verification::Reference);
        let events: Vec<_> = events.try_iter().collect();
        assert!(events.iter().any(|ev| matches!(&ev.kind,
            EventKind::Selected { profile, .. } if profile == "generic")));
        assert!(!events
            .iter()
            .any(|ev| format!("{:?}", ev.kind).contains("bad-pass")));
        only_generic_cached(&engine, dir.path(), &spec, &r);
    }

    const BAD_BIND: &str = "
name: bad-bind
priority: 90
match: \"true\"
pipeline:
  bind: { transform: specialize, bind: { n: 1.5 } }
";

    /// A profile that loads but cannot be planned for the request (binds an
    /// i64 to 1.5): the request says why, is served by generic, and the
    /// cache holds nothing of the profile.
    #[test]
    fn a_profile_that_cannot_be_planned_serves_generic_and_is_never_cached() {
        let (engine, dir) = engine_with("bad-bind.yaml", BAD_BIND);
        assert!(
            engine.store().errors().is_empty(),
            "{:?}",
            engine.store().errors()
        );
        assert!(engine.store().get("bad-bind").is_some());
        let events = engine.subscribe();
        let spec = sample_path("sum-small");
        let r = engine.run_spec(&spec).expect("served");
        assert_eq!(r.profile, "generic");
        let events: Vec<_> = events.try_iter().collect();
        let failed = events
            .iter()
            .find_map(|ev| match &ev.kind {
                EventKind::PlanFailed { error } => Some(error.clone()),
                _ => None,
            })
            .expect("a PlanFailed event");
        assert!(
            failed.contains("bad-bind") && failed.contains("`bind`"),
            "{failed}"
        );
        assert!(failed.contains("1.5"), "{failed}");
        only_generic_cached(&engine, dir.path(), &spec, &r);
        // A second request is a hit on the generic entry, still nothing else.
        let again = engine.run_spec(&spec).expect("served again");
        assert!(again.hit);
        assert_eq!(again.result, r.result);
        assert_eq!(engine.cache().stats().insertions, 1);
    }
}

/// A build says which arrays its code may write: the executor reads back
/// only those. LLVM proves `sum`'s input read-only; `histogram` writes its
/// bins.
#[test]
fn builds_name_the_arrays_they_may_write() {
    let sum = sample("sum-small");
    let g = generic(&sum);
    assert_eq!(g.writes, vec![false, false], "sum(ptr a, i64 n)");
    let hist = sample("histogram");
    let g = generic(&hist);
    let bins = hist
        .input
        .args
        .iter()
        .position(|a| a.name == "bins")
        .expect("bins");
    let a = hist
        .input
        .args
        .iter()
        .position(|a| a.name == "a")
        .expect("a");
    assert!(g.writes[bins], "{:?}", g.writes);
    assert!(!g.writes[a], "{:?}", g.writes);
}

/// `vectorize` with `defer` only marks the loops and licenses
/// reassociation: the step itself makes no vector instruction, and the
/// finish pipeline's vectorizer does (a reassociated f64 sum, in vectors).
/// An `autotune` with `defer` tries the Plan both ways.
#[test]
fn a_deferred_vectorize_leaves_the_vectorizing_to_finish() {
    let prepared = sample("sum-large");
    let yaml = "name: later\npriority: 1\npipeline:\n  \
                vec: { transform: vectorize, reassoc: true, defer: true }\n";
    let plan = custom_plan(yaml, &prepared);
    let variant = build(&prepared, &plan);
    let rec = step(&variant, "vec");
    assert_eq!(
        rec.after.vector_instructions, rec.before.vector_instructions,
        "{}",
        rec.note
    );
    assert!(rec.note.contains("left to finish"), "{}", rec.note);
    let f = entry_ir(&variant.optimized_ir, &prepared);
    assert!(
        !lines_with(f, &["fadd", "x double>"]).is_empty(),
        "finish vectorized the licensed sum:\n{f}"
    );

    let yaml = "name: both\npriority: 1\npipeline:\n  \
                vec: { transform: vectorize, reassoc: true }\n  \
                tune: { transform: autotune, defer: true }\n";
    let plan = custom_plan(yaml, &prepared);
    let candidates = plan.tuning().expect("an autotune step");
    let labels: Vec<&str> = candidates.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(labels, ["as planned", "deferred"]);
    let deferred = |p: &tailor::profile::Plan| {
        p.steps
            .iter()
            .any(|s| matches!(s.step, Step::Vectorize { defer: true, .. }))
    };
    assert!(!deferred(&candidates[0].0) && deferred(&candidates[1].0));
}
