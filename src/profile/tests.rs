use super::*;
use crate::analyze::{ArgKind, ArgVector, CharacteristicVector, FeatureValue};
use crate::input::Scalar;
use crate::kernel::ScalarType;
use std::path::Path;

fn vector(len: i64, nonneg: bool) -> CharacteristicVector {
    CharacteristicVector {
        args: vec![
            ArgVector {
                name: "a".into(),
                index: 0,
                kind: ArgKind::Array,
                ty: ScalarType::F64,
                out: false,
                features: vec![
                    ("len", FeatureValue::Int(len), true),
                    ("finite", FeatureValue::Bool(true), true),
                    ("nonneg", FeatureValue::Bool(nonneg), true),
                ],
            },
            ArgVector {
                name: "n".into(),
                index: 1,
                kind: ArgKind::Int,
                ty: ScalarType::I64,
                out: false,
                features: vec![("value", FeatureValue::Int(len), true)],
            },
            ArgVector {
                name: "op".into(),
                index: 2,
                kind: ArgKind::Int,
                ty: ScalarType::I32,
                out: false,
                features: vec![("value", FeatureValue::Int(2), true)],
            },
        ],
        total_bytes: len as u64 * 8 + 12,
        sampled: false,
    }
}

fn kernel() -> KernelInfo {
    KernelInfo {
        name: "reduce".into(),
        entry: "reduce".into(),
        hash: "00".into(),
    }
}

fn parse(text: &str) -> Result<Profile, Vec<ProfileError>> {
    Profile::parse(Path::new("profiles/p.yaml"), text, None)
}

fn one_error(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("profile loaded:\n{text}"),
        Err(errors) => {
            assert_eq!(errors.len(), 1, "{errors:?}");
            errors[0].to_string()
        }
    }
}

const DESIGN_EXAMPLE: &str = "\
name: fixed-small
priority: 20
match: a.len <= 256 && a.finite          # expression over the vector
tolerance: { rel: 1e-12 }
pipeline:
  bind:   { transform: specialize, bind: { n: a.len } }
  unroll: { transform: unroll, full: true, after: [bind] }
  vec:    { transform: vectorize, width: 8, reassoc: true, after: [unroll],
            when: a.nonneg && a.finite }
  clean:  { transform: dce, after: [unroll, vec] }
";

#[test]
fn the_design_example_loads_and_plans() {
    let p = parse(DESIGN_EXAMPLE).expect("valid");
    assert_eq!(p.name, "fixed-small");
    assert_eq!(p.priority, 20);
    assert_eq!(p.tolerance.rel, 1e-12);
    assert_eq!(p.nodes.len(), 4);
    assert_eq!(p.nodes[2].line, Some(8));
    let plan = plan(&p, &vector(100, true), &kernel()).expect("plan");
    let names: Vec<&str> = plan.steps.iter().map(|s| s.node.as_str()).collect();
    assert_eq!(names, ["bind", "unroll", "vec", "clean"]);
    assert_eq!(
        plan.steps[0].step,
        Step::Specialize {
            bind: vec![Binding {
                arg: "n".into(),
                index: 1,
                value: Scalar::I64(100)
            }]
        }
    );
    assert_eq!(
        plan.steps[2].step,
        Step::Vectorize {
            width: 8,
            interleave: 0,
            isa: "native".into(),
            reassoc: true,
            defer: false,
        }
    );
    assert_eq!(plan.finish, DEFAULT_FINISH);
}

#[test]
fn a_false_when_skips_the_node_and_what_only_it_leads_to() {
    let text = "\
name: t
pipeline:
  a: { transform: dce }
  b: { transform: unroll, count: 4, after: a, when: a.nonneg }
  c: { transform: dce, after: b }
  d: { transform: dce, after: [a, b] }
";
    let p = parse(text).expect("valid");
    let plan = plan(&p, &vector(10, false), &kernel()).expect("plan");
    let ran: Vec<&str> = plan.steps.iter().map(|s| s.node.as_str()).collect();
    assert_eq!(ran, ["a", "d"]);
    assert_eq!(plan.skipped.len(), 2);
    assert_eq!(plan.skipped[0].node, "b");
    assert_eq!(plan.skipped[0].reason, "when `a.nonneg` is false");
    assert_eq!(plan.skipped[1].node, "c");
    assert!(plan.skipped[1].reason.contains("no predecessor ran (b)"));
}

#[test]
fn order_is_topological_with_ties_in_file_order() {
    let text = "\
name: t
pipeline:
  z: { transform: dce, after: y }
  x: { transform: dce }
  y: { transform: dce }
  w: { transform: dce, after: x }
";
    let p = parse(text).expect("valid");
    let order: Vec<&str> = p
        .dag
        .order
        .iter()
        .map(|&i| p.nodes[i].name.as_str())
        .collect();
    assert_eq!(order, ["x", "y", "z", "w"]);
}

#[test]
fn plans_are_deterministic_and_fingerprints_follow_parameters() {
    let p = parse(DESIGN_EXAMPLE).expect("valid");
    let one = plan(&p, &vector(100, true), &kernel()).expect("plan");
    let two = plan(&p, &vector(100, true), &kernel()).expect("plan");
    assert_eq!(one, two);
    assert_eq!(one.fingerprint(), two.fingerprint());
    let other = plan(&p, &vector(101, true), &kernel()).expect("plan");
    assert_ne!(one.fingerprint(), other.fingerprint());
    // A skipped node does not change the key-relevant part.
    let skipped = plan(&p, &vector(100, false), &kernel()).expect("plan");
    assert_ne!(one.fingerprint(), skipped.fingerprint());
}

#[test]
fn bind_kinds_bind_every_scalar_of_that_kind() {
    let text = "name: t\npipeline:\n  s: { transform: specialize, bind: ints }\n";
    let p = parse(text).expect("valid");
    let plan = plan(&p, &vector(64, true), &kernel()).expect("plan");
    let Step::Specialize { bind } = &plan.steps[0].step else {
        panic!("{:?}", plan.steps[0]);
    };
    let got: Vec<(&str, Scalar)> = bind.iter().map(|b| (b.arg.as_str(), b.value)).collect();
    assert_eq!(got, [("n", Scalar::I64(64)), ("op", Scalar::I32(2))]);
}

#[test]
fn binding_a_missing_argument_is_a_plan_error_naming_the_node() {
    let text = "name: t\npipeline:\n  s: { transform: specialize, bind: { m: 3 } }\n";
    let p = parse(text).expect("valid");
    let err = plan(&p, &vector(64, true), &kernel()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "profile `t`, node `s`: binds `m`, but the kernel has no argument `m`"
    );
}

#[test]
fn parameter_expressions_are_range_checked_at_plan_time() {
    let text = "name: t\npipeline:\n  u: { transform: unroll, count: a.len }\n";
    let p = parse(text).expect("valid");
    assert!(plan(&p, &vector(16, true), &kernel()).is_ok());
    let err = plan(&p, &vector(5000, true), &kernel()).unwrap_err();
    assert!(err.problem.contains("5000 is outside 1..=1024"), "{err}");
}

#[test]
fn yaml_syntax_errors_carry_the_line() {
    let msg = one_error("name: t\npipeline:\n  a: { transform: dce\n  b: x\n");
    assert!(msg.starts_with("profiles/p.yaml:"), "{msg}");
    assert!(msg.contains(":4:") || msg.contains(":3:"), "{msg}");
}

#[test]
fn an_unknown_top_level_key_is_a_yaml_error() {
    let msg = one_error("name: t\npriorty: 3\npipeline: {}\n");
    assert!(msg.contains("unknown field `priorty`"), "{msg}");
    assert!(msg.starts_with("profiles/p.yaml:2:"), "{msg}");
}

#[test]
fn an_unknown_transform_names_file_line_and_node() {
    let msg = one_error(
        "name: t\npipeline:\n  a: { transform: dce }\n  v: { transform: vectorise, width: 4 }\n",
    );
    assert_eq!(
        msg,
        "profiles/p.yaml:4: node `v`: unknown transform `vectorise` (known: specialize, unroll, vectorize, inline_cache, layout, dce, passes, autotune)"
    );
}

#[test]
fn an_unknown_feature_names_file_line_and_node() {
    let msg = one_error("name: t\npipeline:\n  a:\n    transform: dce\n    when: a.lenn > 3\n");
    assert!(
        msg.starts_with(
            "profiles/p.yaml:5: node `a`: unknown feature `lenn` in `when: a.lenn > 3`"
        ),
        "{msg}"
    );
    let msg = one_error("name: t\nmatch: arrays.all(x, x.sorte > 0.5)\npipeline: {}\n");
    assert!(
        msg.starts_with("profiles/p.yaml:2: unknown feature `sorte`"),
        "{msg}"
    );
}

#[test]
fn a_bad_expression_is_reported_with_its_text() {
    let msg = one_error("name: t\nmatch: a.len <\npipeline: {}\n");
    assert!(
        msg.starts_with("profiles/p.yaml:2: bad expression in `match`: `a.len <`"),
        "{msg}"
    );
}

#[test]
fn bad_parameters_are_named() {
    let msg = one_error("name: t\npipeline:\n  v: { transform: vectorize, width: 6 }\n");
    assert_eq!(
        msg,
        "profiles/p.yaml:3: node `v`: bad parameter `width`: 6 is not a power of two"
    );
    let msg = one_error("name: t\npipeline:\n  v: { transform: vectorize, isa: avx9 }\n");
    assert!(
        msg.contains("bad parameter `isa`: `avx9` is not one of native, sse4.2, avx2, avx512"),
        "{msg}"
    );
    let msg = one_error("name: t\npipeline:\n  u: { transform: unroll, count: 4, fast: true }\n");
    assert!(
        msg.contains("unknown parameter `fast` for transform `unroll` (it takes: count, full)"),
        "{msg}"
    );
    let msg = one_error("name: t\npipeline:\n  u: { transform: unroll }\n");
    assert!(
        msg.contains("`unroll` needs `count: N` or `full: true`"),
        "{msg}"
    );
    let msg = one_error("name: t\npipeline:\n  s: { transform: specialize }\n");
    assert!(msg.contains("bad parameter `bind`"), "{msg}");
    let msg = one_error("name: t\npipeline:\n  u: { transform: unroll, full: 3 }\n");
    assert!(
        msg.contains("expected true, false or an expression, found `3`"),
        "{msg}"
    );
}

#[test]
fn a_cycle_is_printed() {
    let text = "\
name: t
pipeline:
  a: { transform: dce }
  b: { transform: dce, after: [a, d] }
  c: { transform: dce, after: b }
  d: { transform: dce, after: c }
";
    let msg = one_error(text);
    assert_eq!(
        msg,
        "profiles/p.yaml:4: the pipeline has a cycle: b -> c -> d -> b"
    );
    let msg = one_error("name: t\npipeline:\n  a: { transform: dce, after: a }\n");
    assert!(msg.ends_with("the pipeline has a cycle: a -> a"), "{msg}");
}

/// A pipeline of 100 000 nodes loads (it once took over a minute: every
/// node was looked up in the text and the node list, and the cycle check
/// recursed once per node until the stack overflowed), and the same chain
/// closed into a cycle is reported with the line of its first node.
#[test]
fn a_hundred_thousand_node_pipeline_loads_and_its_cycle_is_found() {
    let chain = |closed: bool| {
        let mut t = String::from("name: big\npipeline:\n");
        let n = 100_000;
        t.push_str(if closed {
            "  n0: { transform: dce, after: n99999 }\n"
        } else {
            "  n0: { transform: dce }\n"
        });
        for i in 1..n {
            t.push_str(&format!(
                "  n{i}: {{ transform: dce, after: n{} }}\n",
                i - 1
            ));
        }
        t
    };
    let p = parse(&chain(false)).expect("a long chain loads");
    assert_eq!(p.nodes.len(), 100_000);
    let msg = one_error(&chain(true));
    assert!(
        msg.starts_with(
            "profiles/p.yaml:3: the pipeline has a cycle of 100000 nodes: n0 -> n1 -> "
        ),
        "{}",
        &msg[..200.min(msg.len())]
    );
    assert!(
        msg.ends_with("n99998 -> n99999 -> n0") && msg.len() < 200,
        "{msg}"
    );
}

#[test]
fn after_naming_no_node_is_an_error() {
    let msg = one_error("name: t\npipeline:\n  a: { transform: dce, after: [zz] }\n");
    assert_eq!(
        msg,
        "profiles/p.yaml:3: node `a`: `after` names `zz`, which is not a node of this pipeline"
    );
}

#[test]
fn a_pass_pipeline_is_checked_by_the_given_parser() {
    let check = |p: &str| {
        if p.contains("nosuchpass") {
            Err("unknown pass name 'nosuchpass'".to_string())
        } else {
            Ok(())
        }
    };
    let text =
        "name: t\npipeline:\n  p: { transform: passes, pipeline: \"function(nosuchpass)\" }\n";
    let errs = Profile::parse(Path::new("p.yaml"), text, Some(&check)).unwrap_err();
    assert_eq!(
        errs[0].to_string(),
        "p.yaml:3: node `p`: bad parameter `pipeline`: unknown pass name 'nosuchpass'"
    );
}

#[test]
fn several_errors_are_reported_together() {
    let text =
        "name: t\npipeline:\n  a: { transform: nope }\n  b: { transform: unroll, count: 0 }\n";
    let errs = parse(text).unwrap_err();
    assert_eq!(errs.len(), 2);
    assert_eq!(errs[0].line, Some(3));
    assert_eq!(errs[1].line, Some(4));
}

fn store_with(files: &[(&str, &str)]) -> (tempfile::TempDir, ProfileStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let store = ProfileStore::load_dir(dir.path(), None);
    (dir, store)
}

const GENERIC_YAML: &str = "name: generic\npipeline: {}\n";

#[test]
fn duplicate_names_are_refused_naming_both_files() {
    let (dir, store) = store_with(&[
        ("a.yaml", "name: same\npriority: 1\npipeline: {}\n"),
        ("b.yaml", "# comment\nname: same\npipeline: {}\n"),
        ("generic.yaml", GENERIC_YAML),
    ]);
    assert_eq!(store.errors().len(), 1);
    let msg = store.errors()[0].to_string();
    let b = dir.path().join("b.yaml");
    let a = dir.path().join("a.yaml");
    assert_eq!(
        msg,
        format!(
            "{}:2: profile name `same` is already used by {}",
            b.display(),
            a.display()
        )
    );
    // The first one stays loaded.
    assert_eq!(store.get("same").map(|p| p.priority), Some(1));
}

#[test]
fn selection_takes_the_highest_priority_match_and_says_why() {
    let (_dir, store) = store_with(&[
        ("generic.yaml", GENERIC_YAML),
        (
            "small.yaml",
            "name: small\npriority: 20\nmatch: a.len <= 256\npipeline: {}\n",
        ),
        (
            "any.yaml",
            "name: any\npriority: 5\nmatch: arrays.all(x, x.finite)\npipeline: {}\n",
        ),
        (
            "broken.yaml",
            "name: broken\npriority: 30\nmatch: b.len > 0\npipeline: {}\n",
        ),
        (
            "bad.yaml",
            "name: bad\npipeline: { a: { transform: nope } }\n",
        ),
    ]);
    assert_eq!(store.errors().len(), 1, "{:?}", store.errors());
    let sel = store.select(&vector(100, true), &kernel());
    assert_eq!(sel.profile.name, "small");
    let verdicts: Vec<(&str, &Verdict)> = sel
        .candidates
        .iter()
        .map(|c| (c.profile.as_str(), &c.verdict))
        .collect();
    assert!(matches!(verdicts[0], ("broken", Verdict::Error(_))));
    assert_eq!(verdicts[1], ("small", &Verdict::Selected));
    assert_eq!(verdicts[2], ("any", &Verdict::Shadowed));
    assert_eq!(verdicts[3], ("generic", &Verdict::Shadowed));
    let sel = store.select(&vector(1000, true), &kernel());
    assert_eq!(sel.profile.name, "any");
}

#[test]
fn generic_is_the_fallback_and_its_absence_is_an_error() {
    let (_dir, store) = store_with(&[("x.yaml", "name: x\nmatch: false\npipeline: {}\n")]);
    assert!(store
        .errors()
        .iter()
        .any(|e| e.to_string().contains("no profile named `generic`")));
    let sel = store.select(&vector(1, true), &kernel());
    assert_eq!(sel.profile.name, "generic");
    assert_eq!(sel.profile.finish, DEFAULT_FINISH);
}

#[test]
fn hot_reload_keeps_the_last_good_version_until_the_file_is_fixed() {
    let (dir, mut store) = store_with(&[
        ("generic.yaml", GENERIC_YAML),
        (
            "small.yaml",
            "name: small\npriority: 20\nmatch: a.len <= 256\npipeline: {}\n",
        ),
    ]);
    let file = dir.path().join("small.yaml");
    let v1 = store
        .get("small")
        .map(|p| p.version.clone())
        .expect("loaded");

    std::fs::write(
        &file,
        "name: small\npriority: 25\nmatch: a.len <= 256\npipeline: {}\n",
    )
    .expect("write");
    let r = store.reload_file(&file, None);
    assert!(
        matches!(&r, Reload::Loaded { name, version } if name == "small" && *version != v1),
        "{r:?}"
    );
    assert_eq!(store.get("small").map(|p| p.priority), Some(25));

    std::fs::write(
        &file,
        "name: small\npriority: 25\npipeline:\n  a: { transform: nope }\n",
    )
    .expect("write");
    let r = store.reload_file(&file, None);
    let Reload::Failed { errors, kept } = r else {
        panic!("{r:?}")
    };
    assert_eq!(kept.as_deref(), Some("small"));
    assert_eq!(errors[0].line, Some(4));
    assert_eq!(
        store.get("small").map(|p| p.priority),
        Some(25),
        "last good version stays live"
    );
    // The same broken file again (a `touch`, a watch after a save) is no
    // news: reported once, its errors kept.
    assert_eq!(store.reload_file(&file, None), Reload::Unchanged);
    assert_eq!(store.errors().len(), 1, "{:?}", store.errors());
    assert_eq!(store.errors().len(), 1);

    // Put back exactly as the live version: nothing to load, but the
    // errors go at once and the reload says so.
    std::fs::write(
        &file,
        "name: small\npriority: 25\nmatch: a.len <= 256\npipeline: {}\n",
    )
    .expect("write");
    assert_eq!(
        store.reload_file(&file, None),
        Reload::Restored {
            name: "small".into()
        }
    );
    assert!(store.errors().is_empty());
    assert_eq!(
        store.reload_file(&file, None),
        Reload::Unchanged,
        "once restored, the same file again is no change"
    );

    std::fs::write(&file, "name: small\npriority: 30\npipeline: {}\n").expect("write");
    assert!(matches!(
        store.reload_file(&file, None),
        Reload::Loaded { .. }
    ));
    assert!(store.errors().is_empty());
    assert_eq!(store.get("small").map(|p| p.priority), Some(30));

    std::fs::remove_file(&file).expect("remove");
    assert_eq!(
        store.reload_file(&file, None),
        Reload::Removed {
            name: "small".into()
        }
    );
    assert!(store.get("small").is_none());
}

#[test]
fn sandbox_deadlines_and_tolerances_are_range_checked() {
    for (text, want) in [
        (
            "name: p\nsandbox: { execute_ms: 4000000000 }\npipeline: {}\n",
            "profiles/p.yaml:2: bad parameter `sandbox.execute_ms`: 4000000000 is out of range: give 1 to 60000 milliseconds",
        ),
        (
            "name: p\nsandbox: { execute_ms: 18446744073709551615 }\npipeline: {}\n",
            "18446744073709551615 is out of range",
        ),
        (
            "name: p\nsandbox: { transform_ms: 0 }\npipeline: {}\n",
            "`sandbox.transform_ms`: 0 is out of range: give 1 to 600000 milliseconds",
        ),
        (
            "name: p\ntolerance: { rel: .inf }\npipeline: {}\n",
            "`rel` and `abs` must be finite numbers >= 0",
        ),
        (
            "name: p\ntolerance: { rel: 1e-9, abs: .nan }\npipeline: {}\n",
            "`rel` and `abs` must be finite numbers >= 0",
        ),
    ] {
        let got = one_error(text);
        assert!(got.contains(want), "{text}: {got}");
    }
    assert!(
        parse("name: p\nsandbox: { execute_ms: 60000, transform_ms: 600000 }\npipeline: {}\n")
            .is_ok()
    );
}

/// A draft (an unsaved edit) judged without writing it: the store with the
/// draft in place of its file's profile selects by the draft, the live
/// store is untouched, and a draft that does not load or takes another
/// file's name is an error.
#[test]
fn a_draft_store_selects_by_the_draft_and_leaves_the_live_one_alone() {
    let (dir, store) = store_with(&[
        (
            "big.yaml",
            "name: big\npriority: 10\nmatch: a.len > 500\npipeline: {}\n",
        ),
        ("other.yaml", "name: other\npriority: 5\npipeline: {}\n"),
        ("generic.yaml", GENERIC_YAML),
    ]);
    let file = dir.path().join("big.yaml");
    assert_eq!(
        store.select(&vector(100, true), &kernel()).profile.name,
        "other"
    );
    let draft = store
        .with_draft(
            &file,
            "name: big\npriority: 10\nmatch: a.len > 50\npipeline: {}\n",
            None,
        )
        .expect("the draft loads");
    assert_eq!(
        draft.select(&vector(100, true), &kernel()).profile.name,
        "big"
    );
    assert_eq!(
        store.select(&vector(100, true), &kernel()).profile.name,
        "other"
    );
    assert_eq!(draft.profiles().len(), store.profiles().len());

    let errs = store
        .with_draft(&file, "name: big\npriority: x\npipeline: {}\n", None)
        .expect_err("a broken draft");
    assert!(errs[0].to_string().contains("big.yaml"), "{errs:?}");
    let errs = store
        .with_draft(&file, "name: other\npipeline: {}\n", None)
        .expect_err("a taken name");
    assert!(errs[0].to_string().contains("already used"), "{errs:?}");
}

#[test]
fn a_reload_keeps_the_folder_as_it_was_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("generic.yaml"),
        "name: generic\npipeline: {}\n",
    )
    .expect("w");
    std::fs::write(
        dir.path().join("p.yaml"),
        "name: p\npriority: 1\npipeline: {}\n",
    )
    .expect("w");
    // The folder as an administrator may give it: not the watch's spelling.
    let given = dir.path().join(".").join("..").join(
        dir.path()
            .file_name()
            .expect("a temporary folder has a name"),
    );
    let mut store = ProfileStore::load_dir(&given, None);
    assert_eq!(
        store.get("p").map(|p| p.file.clone()),
        Some(given.join("p.yaml"))
    );
    std::fs::write(
        dir.path().join("p.yaml"),
        "name: p\npriority: 2\npipeline: {}\n",
    )
    .expect("w");
    // The watch reports the absolute path.
    let r = store.reload_file(&dir.path().join("p.yaml"), None);
    assert!(matches!(r, Reload::Loaded { .. }), "{r:?}");
    let p = store.get("p").expect("reloaded");
    assert_eq!(p.priority, 2);
    assert_eq!(p.file, given.join("p.yaml"), "the path keeps its spelling");
    assert_eq!(store.profiles().len(), 2, "no second copy of the file");
}
