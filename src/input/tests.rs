//! Tests of the spec as a whole: parsing, its error messages, and
//! materializing against signatures (ordering, type and count checks).

use super::*;
use crate::kernel::{Param, ParamType, ReturnType, ScalarType, Signature};
use std::path::{Path, PathBuf};

const SPEC: &str = "sample-inputs/sum.yaml";

const REDUCE: &str = r#"
kernel: ../kernels/reduce.c
entry: reduce
args:
  - a:  { array: f64, gen: { dist: uniform, len: 1000, seed: 7, min: 0.0, max: 1.0 } }
  - n:  { i64: len(a) }
  - op: { i32: 0 }
out:
  - c:  { array: f64, len: 64 }
"#;

fn parse(yaml: &str) -> Result<InputSpec, InputError> {
    InputSpec::parse(Path::new(SPEC), yaml)
}

fn parse_err(yaml: &str) -> InputError {
    match parse(yaml) {
        Ok(s) => panic!("expected an error, parsed {s:?}"),
        Err(e) => e,
    }
}

fn ptr(name: Option<&str>) -> Param {
    Param {
        name: name.map(Into::into),
        ty: ParamType::Ptr,
    }
}

fn scalar(name: Option<&str>, t: ScalarType) -> Param {
    Param {
        name: name.map(Into::into),
        ty: ParamType::Scalar(t),
    }
}

fn sig(entry: &str, params: Vec<Param>) -> Signature {
    Signature {
        entry: entry.into(),
        params,
        ret: ReturnType::Void,
    }
}

fn reduce_sig(named: bool) -> Signature {
    let n = |s: &'static str| named.then_some(s);
    sig(
        "reduce",
        vec![
            ptr(n("a")),
            scalar(n("n"), ScalarType::I64),
            scalar(n("op"), ScalarType::I32),
            ptr(n("c")),
        ],
    )
}

fn names(input: &Input) -> Vec<&str> {
    input.args.iter().map(|a| a.name.as_str()).collect()
}

fn spec_with_args(args: &str) -> String {
    format!("kernel: k.c\nargs:\n{args}")
}

#[test]
fn parses_the_design_example() {
    let s = parse(REDUCE).unwrap();
    assert_eq!(s.arg_names(), vec!["a", "n", "op", "c"]);
    assert_eq!(s.entry.as_deref(), Some("reduce"));
    assert_eq!(s.path, PathBuf::from(SPEC));
    // No such file beside the spec or in the current directory: the spec's
    // folder is the rule.
    assert_eq!(s.kernel, PathBuf::from("sample-inputs/../kernels/reduce.c"));
}

#[test]
fn kernel_path_is_relative_to_the_spec_folder_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("kernels")).unwrap();
    std::fs::write(dir.path().join("kernels/k.c"), "").unwrap();
    let spec = dir.path().join("s.yaml");
    let s = InputSpec::parse(&spec, "kernel: kernels/k.c\n").unwrap();
    assert_eq!(s.kernel, dir.path().join("kernels/k.c"));
    // Never the working directory (Cargo runs tests in the crate root,
    // where Cargo.toml exists): a spec's paths do not depend on where it
    // is run from.
    let s = InputSpec::parse(&spec, "kernel: Cargo.toml\n").unwrap();
    assert_eq!(s.kernel, dir.path().join("Cargo.toml"));
    let s = InputSpec::parse(&spec, "kernel: /abs/k.c\n").unwrap();
    assert_eq!(s.kernel, PathBuf::from("/abs/k.c"));
    assert!(s.arg_names().is_empty());
}

#[test]
fn materializes_in_parameter_order_with_values() {
    let s = parse(REDUCE).unwrap();
    let input = s.materialize(&reduce_sig(true)).unwrap();
    assert_eq!(names(&input), vec!["a", "n", "op", "c"]);
    assert_eq!(input.spec, PathBuf::from(SPEC));
    let a = input.arg("a").unwrap();
    assert_eq!(a.role, Role::In);
    let Value::Array(buf) = &a.value else {
        panic!("a is not an array: {a:?}")
    };
    assert_eq!((buf.elem(), buf.len()), (ScalarType::F64, 1000));
    assert_eq!(buf.as_ptr() as usize % 64, 0);
    assert!(buf.view().iter_f64().all(|x| (0.0..=1.0).contains(&x)));
    assert_eq!(
        input.arg("n").unwrap().value,
        Value::Scalar(Scalar::I64(1000))
    );
    assert_eq!(
        input.arg("op").unwrap().value,
        Value::Scalar(Scalar::I32(0))
    );
    let c = input.arg("c").unwrap();
    assert_eq!(c.role, Role::Out);
    assert_eq!(c.value, Value::Array(Buffer::zeroed(ScalarType::F64, 64)));
    assert_eq!(input.total_bytes(), 1000 * 8 + 64 * 8);
    // Unnamed IR: `c` goes to the end, which is where it is.
    let again = s.materialize(&reduce_sig(false)).unwrap();
    assert_eq!(names(&again), vec!["a", "n", "op", "c"]);
    assert_eq!(again.args, input.args, "materializing is deterministic");
}

#[test]
fn out_arrays_take_their_named_position() {
    let s = parse(&spec_with_args(
        "  - a: { array: f64, data: [1, 2, 3] }\n  - n: { i32: len(a) }\nout:\n  - c: { array: f64, len: len(a) }\n",
    ))
    .unwrap();
    let sg = sig(
        "k",
        vec![
            ptr(Some("a")),
            ptr(Some("c")),
            scalar(Some("n"), ScalarType::I32),
        ],
    );
    let input = s.materialize(&sg).unwrap();
    assert_eq!(names(&input), vec!["a", "c", "n"]);
    assert_eq!(input.args[1].value.as_array().map(Buffer::len), Some(3));
    assert_eq!(input.args[2].value, Value::Scalar(Scalar::I32(3)));
}

#[test]
fn out_arrays_take_their_index_without_names() {
    let s = parse(&spec_with_args(
        "  - a: { array: i32, data: [1, 2] }\n  - n: { i64: 2 }\nout:\n  - c: { array: i32, len: 5, index: 0 }\n  - d: { array: f32, len: len(c), index: 2 }\n  - e: { array: i64, len: 1 }\n",
    ))
    .unwrap();
    let sg = sig(
        "k",
        vec![
            ptr(None),
            ptr(None),
            ptr(None),
            scalar(None, ScalarType::I64),
            ptr(None),
        ],
    );
    let input = s.materialize(&sg).unwrap();
    assert_eq!(names(&input), vec!["c", "a", "d", "n", "e"]);
    assert_eq!(
        input.arg("d").unwrap().value.as_array().map(Buffer::len),
        Some(5)
    );
    assert_eq!(input.arg("e").unwrap().role, Role::Out);
}

#[test]
fn out_index_problems() {
    let s = parse(&spec_with_args(
        "  - a: { array: f64, data: [1] }\nout:\n  - c: { array: f64, len: 1, index: 5 }\n",
    ))
    .unwrap();
    let e = s
        .materialize(&sig("k", vec![ptr(None), ptr(None)]))
        .unwrap_err();
    assert_eq!(e.arg.as_deref(), Some("c"));
    assert!(
        e.problem.contains("`index: 5` is past the end") && e.problem.contains("2 parameters"),
        "{e}"
    );

    let s = parse(&spec_with_args(
        "  - a: { array: f64, data: [1] }\nout:\n  - c: { array: f64, len: 1, index: 0 }\n  - d: { array: f64, len: 1, index: 0 }\n",
    ))
    .unwrap();
    let e = s
        .materialize(&sig("k", vec![ptr(None), ptr(None), ptr(None)]))
        .unwrap_err();
    assert!(e.problem.contains("claimed by both `c` and `d`"), "{e}");

    let s = parse(&spec_with_args(
        "  - a: { array: f64, data: [1] }\nout:\n  - c: { array: f64, len: 1, index: 0 }\n",
    ))
    .unwrap();
    let e = s
        .materialize(&sig("k", vec![ptr(Some("a")), ptr(Some("c"))]))
        .unwrap_err();
    assert!(
        e.problem
            .contains("`index: 0` but the entry `k` has `c` at parameter 1"),
        "{e}"
    );
}

#[test]
fn scalar_type_mismatch_names_both_types() {
    let yaml = REDUCE.replace("n:  { i64: len(a) }", "n:  { i32: len(a) }");
    let s = parse(&yaml).unwrap();
    let e = s.materialize(&reduce_sig(true)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "sample-inputs/sum.yaml: argument `n`: i32 in the spec but the entry `reduce` takes i64 at parameter 1"
    );
}

#[test]
fn array_and_scalar_bound_to_the_wrong_kind() {
    let s = parse(&spec_with_args(
        "  - a: { array: f64, data: [1] }\n  - n: { i64: 1 }\n",
    ))
    .unwrap();
    let e = s
        .materialize(&sig(
            "k",
            vec![scalar(None, ScalarType::I64), scalar(None, ScalarType::I64)],
        ))
        .unwrap_err();
    assert_eq!(e.arg.as_deref(), Some("a"));
    assert!(
        e.problem
            .contains("an array (f64) in the spec but parameter 0 of `k` is a scalar (i64)"),
        "{e}"
    );
    let e = s
        .materialize(&sig("k", vec![ptr(None), ptr(None)]))
        .unwrap_err();
    assert_eq!(e.arg.as_deref(), Some("n"));
    assert!(
        e.problem
            .contains("a scalar (i64) in the spec but parameter 1 of `k` is a pointer"),
        "{e}"
    );
}

#[test]
fn count_mismatch_names_the_unbound_parameter() {
    let yaml = REDUCE.replace("  - op: { i32: 0 }\n", "");
    let s = parse(&yaml).unwrap();
    let e = s.materialize(&reduce_sig(true)).unwrap_err();
    assert_eq!(e.arg, None);
    let msg = e.to_string();
    assert!(
        msg.starts_with("sample-inputs/sum.yaml: the entry takes 4 parameters"),
        "{msg}"
    );
    assert!(msg.contains("the spec binds 3 (a, n, c)"), "{msg}");
    assert!(msg.contains("unbound: parameter 2 (i32 op)"), "{msg}");
    // Without IR names the guess is positional: args: from the front, the
    // out array at the end.
    let e = s.materialize(&reduce_sig(false)).unwrap_err();
    assert!(e.problem.contains("unbound: parameter 2 (i32)"), "{e}");

    let yaml = REDUCE.replace(
        "  - op: { i32: 0 }\n",
        "  - op: { i32: 0 }\n  - x: { f64: 1.5 }\n",
    );
    let e = parse(&yaml)
        .unwrap()
        .materialize(&reduce_sig(true))
        .unwrap_err();
    assert!(
        e.problem.contains("takes 4 parameters") && e.problem.contains("binds 5"),
        "{e}"
    );
    assert!(e.problem.contains("no parameter for `x`"), "{e}");
    let e = parse(&yaml)
        .unwrap()
        .materialize(&reduce_sig(false))
        .unwrap_err();
    assert!(e.problem.contains("binds 5 (a, n, op, x, c)"), "{e}");
}

#[test]
fn a_name_differing_from_the_ir_is_an_error() {
    let yaml = REDUCE.replace(
        "  - n:  { i64: len(a) }\n  - op: { i32: 0 }\n",
        "  - op: { i32: 0 }\n  - n:  { i64: len(a) }\n",
    );
    let s = parse(&yaml).unwrap();
    let e = s.materialize(&reduce_sig(true)).unwrap_err();
    // Both misplaced arguments are named, the binding hint said once.
    assert!(e.problem.starts_with("2 arguments do not fit"), "{e}");
    assert!(
        e.problem.contains(
            "argument `op`: bound to parameter 1 of `reduce`, which the kernel names `n`"
        ),
        "{e}"
    );
    assert!(
        e.problem.contains(
            "argument `n`: bound to parameter 2 of `reduce`, which the kernel names `op`"
        ),
        "{e}"
    );
    assert_eq!(
        e.problem.matches("bind the parameters in order").count(),
        1,
        "{e}"
    );
    // Unnamed IR: positions only, so it's the types that catch it.
    let e = s.materialize(&reduce_sig(false)).unwrap_err();
    assert!(
        e.problem
            .contains("i32 in the spec but the entry `reduce` takes i64"),
        "{e}"
    );
}

#[test]
fn entry_mismatch_is_an_error() {
    let s = parse(REDUCE).unwrap();
    let mut sg = reduce_sig(true);
    sg.entry = "other".into();
    let e = s.materialize(&sg).unwrap_err();
    assert!(
        e.problem
            .contains("entry is `reduce` but the kernel's entry is `other`"),
        "{e}"
    );
}

#[test]
fn scalars_of_every_type() {
    let s = parse(&spec_with_args(
        "  - a: { i32: -3 }\n  - b: { i64: 9000000000 }\n  - c: { f32: -0.25 }\n  - d: { f64: 0.5 }\n  - e: { f64: 2 }\n  - f: { i32: 1e3 }\n  - g: { f32: len(h) }\n  - h: { array: i64, data: [] }\n",
    ))
    .unwrap();
    let sg = sig(
        "k",
        vec![
            scalar(None, ScalarType::I32),
            scalar(None, ScalarType::I64),
            scalar(None, ScalarType::F32),
            scalar(None, ScalarType::F64),
            scalar(None, ScalarType::F64),
            scalar(None, ScalarType::I32),
            scalar(None, ScalarType::F32),
            ptr(None),
        ],
    );
    let input = s.materialize(&sg).unwrap();
    let vals: Vec<Option<Scalar>> = input.args.iter().map(|a| a.value.as_scalar()).collect();
    assert_eq!(
        vals,
        vec![
            Some(Scalar::I32(-3)),
            Some(Scalar::I64(9_000_000_000)),
            Some(Scalar::F32(-0.25)),
            Some(Scalar::F64(0.5)),
            Some(Scalar::F64(2.0)),
            Some(Scalar::I32(1000)),
            Some(Scalar::F32(0.0)),
            None,
        ]
    );
}

#[test]
fn out_of_range_numbers_say_so_briefly() {
    let e = parse_err(&spec_with_args("  - n: { i64: 18446744073709551615 }\n"));
    assert!(e.problem.contains("out of range for i64"), "{e}");
    let e = parse_err(&spec_with_args("  - a: { array: f64, data: [1e309] }\n"));
    assert!(e.problem.contains("`1e309` is out of range for f64"), "{e}");
    let e = parse_err(&spec_with_args("  - a: { array: f32, data: [1e300] }\n"));
    assert!(e.problem.contains("`1e300` is out of range for f32"), "{e}");
    assert!(e.problem.len() < 100, "{e}");
}

#[test]
fn integer_scalars_reject_fractions_and_overflow() {
    let e = parse_err(&spec_with_args("  - n: { i32: 3.5 }\n"));
    assert_eq!(e.arg.as_deref(), Some("n"));
    assert!(e.problem.contains("`3.5` is not an integer"), "{e}");
    let e = parse_err(&spec_with_args("  - n: { i32: 1099511627776 }\n"));
    assert!(e.problem.contains("out of range for i32"), "{e}");
    assert!(parse(&spec_with_args("  - n: { i64: 1099511627776 }\n")).is_ok());
    let e = parse_err(&spec_with_args("  - n: { i64: lens(a) }\n"));
    assert!(
        e.problem.contains("expected a number or `len(NAME)`"),
        "{e}"
    );
    let e = parse_err(&spec_with_args("  - x: { f32: 1.0e300 }\n"));
    assert!(e.problem.contains("out of range for f32"), "{e}");
}

#[test]
fn len_that_does_not_fit_the_scalar_type_is_an_error() {
    // Materializing a 2^31-element array just to see this is too slow for a
    // unit test, so the conversion is checked on its own.
    let e = super::spec::len_scalar(ScalarType::I32, 2_147_483_648).unwrap_err();
    assert_eq!(e, "does not fit i32");
    assert_eq!(
        super::spec::len_scalar(ScalarType::I32, 2_147_483_647),
        Ok(Scalar::I32(i32::MAX))
    );
    assert_eq!(
        super::spec::len_scalar(ScalarType::F64, 5),
        Ok(Scalar::F64(5.0))
    );
}

#[test]
fn top_level_problems() {
    let e = parse_err("kernel: k.c\nargz: []\n");
    assert_eq!(e.arg, None);
    assert!(
        e.problem
            .contains("unknown key `argz` (did you mean `args`?)"),
        "{e}"
    );
    let e = parse_err("entry: f\nargs: []\n");
    assert!(e.problem.contains("missing `kernel:`"), "{e}");
    let e = parse_err("");
    assert!(e.problem.contains("empty"), "{e}");
    let e = parse_err("- 1\n- 2\n");
    assert!(e.problem.contains("expected a map"), "{e}");
    let e = parse_err("kernel: k.c\nargs: { a: 1 }\n");
    assert!(e.problem.contains("`args:` must be a list"), "{e}");
    let e = parse_err("kernel: a.c\nkernel: b.c\n");
    assert!(
        e.problem.contains("duplicate") && e.problem.contains("kernel"),
        "{e}"
    );
    let e = parse_err("kernel: [k.c]\n");
    assert!(e.problem.contains("`kernel:` must be a path"), "{e}");
}

#[test]
fn yaml_syntax_errors_carry_the_line() {
    let e = parse_err("kernel: k.c\nargs:\n  - a: { array: f64, data: [1, 2 }\n");
    let msg = e.to_string();
    assert!(
        msg.starts_with("sample-inputs/sum.yaml: invalid YAML: "),
        "{msg}"
    );
    assert!(msg.contains("line 3"), "{msg}");
}

#[test]
fn argument_entry_problems() {
    let e = parse_err(&spec_with_args(
        "  - a: { array: f64, data: [1] }\n    n: { i64: 1 }\n",
    ));
    assert!(
        e.problem.starts_with("args[0]: expected one argument"),
        "{e}"
    );
    assert!(e.problem.contains("found 2 keys (`a`, `n`)"), "{e}");
    let e = parse_err(&spec_with_args("  - 5\n"));
    assert!(e.problem.contains("args[0]: expected an argument"), "{e}");
    let e = parse_err(&spec_with_args("  - 1a: { i32: 1 }\n"));
    assert!(e.problem.contains("`1a` is not an identifier"), "{e}");
    let e = parse_err(&spec_with_args("  - a: 5\n"));
    assert_eq!(e.arg.as_deref(), Some("a"));
    assert!(e.problem.contains("expected a map"), "{e}");
    let e = parse_err(&spec_with_args("  - a: { i23: 5 }\n"));
    assert!(
        e.problem
            .contains("unknown key `i23` (did you mean `i32`?)"),
        "{e}"
    );
    let e = parse_err(&spec_with_args("  - a: { i32: 5, i64: 6 }\n"));
    assert!(e.problem.contains("a scalar is one key"), "{e}");
}

#[test]
fn duplicate_names_are_errors() {
    let e = parse_err(&spec_with_args(
        "  - a: { array: f64, data: [1] }\nout:\n  - a: { array: f64, len: 1 }\n",
    ));
    assert_eq!(e.arg.as_deref(), Some("a"));
    assert!(e.problem.contains("bound twice"), "{e}");
}

#[test]
fn out_entries_must_be_arrays() {
    let e = parse_err(&spec_with_args(
        "  - a: { array: f64, data: [1] }\nout:\n  - s: { f64: 1.0 }\n",
    ));
    assert_eq!(e.to_string(), "sample-inputs/sum.yaml: argument `s`: an `out:` entry must be an array, such as `{ array: f64, len: 64 }`");
    let e = parse_err("kernel: k.c\nout:\n  - c: { array: f64 }\n");
    assert!(e.problem.contains("an array needs one of `len:`"), "{e}");
}

#[test]
fn len_references_must_name_arrays() {
    let e = parse_err(&spec_with_args(
        "  - a: { array: f64, data: [1] }\n  - n: { i64: len(b) }\n",
    ));
    assert_eq!(e.arg.as_deref(), Some("n"));
    assert!(
        e.problem
            .contains("`len(b)`: no array argument is named `b`"),
        "{e}"
    );
    let e = parse_err(&spec_with_args(
        "  - a: { i64: 1 }\n  - n: { i64: len(a) }\n",
    ));
    assert!(e.problem.contains("`a` is a scalar, not an array"), "{e}");
    let e = parse_err(&spec_with_args(
        "  - n: { i64: 1 }\nout:\n  - c: { array: f64, len: len(zz) }\n",
    ));
    assert_eq!(e.arg.as_deref(), Some("c"));
    let e = parse_err("kernel: k.c\nout:\n  - c: { array: f64, len: len(d) }\n  - d: { array: f64, len: len(c) }\n");
    assert!(e.problem.contains("circle"), "{e}");
    let e = parse_err("kernel: k.c\nout:\n  - c: { array: f64, len: len(c) }\n");
    assert!(e.problem.contains("circle"), "{e}");
}

#[test]
fn array_source_problems() {
    let e = parse_err(&spec_with_args("  - a: { array: f64 }\n"));
    assert!(
        e.problem
            .contains("needs one of `gen:`, `file:` or `data:`"),
        "{e}"
    );
    let e = parse_err(&spec_with_args(
        "  - a: { array: f64, data: [1], file: a.npy }\n",
    ));
    assert!(
        e.problem.contains("exactly one of") && e.problem.contains("`file:` and `data:`"),
        "{e}"
    );
    let e = parse_err(&spec_with_args("  - a: { array: f64, len: 4 }\n"));
    assert!(e.problem.contains("`len:` is for `out:` arrays"), "{e}");
    let e = parse_err(&spec_with_args("  - a: { array: f16, data: [1] }\n"));
    assert!(
        e.problem.contains("`array:` must be an element type") && e.problem.contains("`f16`"),
        "{e}"
    );
    let e = parse_err(&spec_with_args("  - a: { array: f64, dat: [1] }\n"));
    assert!(
        e.problem
            .contains("unknown key `dat` (did you mean `data`?)"),
        "{e}"
    );
    let e = parse_err(&spec_with_args(
        "  - a: { array: i32, data: [1, 2, 2.5] }\n",
    ));
    assert!(
        e.problem.contains("data[2]: `2.5` is not an integer"),
        "{e}"
    );
    let e = parse_err(&spec_with_args("  - a: { array: f64, data: 3 }\n"));
    assert!(e.problem.contains("`data:` must be a list"), "{e}");
    let e = parse_err(&spec_with_args(
        "  - a: { array: f64, gen: { dsit: uniform, len: 3 } }\n",
    ));
    assert_eq!(
        e.to_string().split(": gen:").next(),
        Some("sample-inputs/sum.yaml: argument `a`")
    );
    assert!(e.problem.contains("unknown key `dsit`"), "{e}");
    let e = parse_err(&spec_with_args(
        "  - a: { array: f64, gen: { dist: sparse, len: 3, zero_frac: 2 } }\n",
    ));
    assert!(e.problem.contains("zero_frac"), "{e}");
    let e = parse_err("kernel: k.c\nout:\n  - c: { array: f64, len: 4, index: -1 }\n");
    assert!(e.problem.contains("index"), "{e}");
    let e = parse_err("kernel: k.c\nout:\n  - c: { array: f64, len: -4 }\n");
    assert!(e.problem.contains("len: -4 is out of range"), "{e}");
}

#[test]
fn inline_data_keeps_its_values() {
    let s = parse(&spec_with_args(
        "  - a: { array: f32, data: [1, -2.5, 3e2] }\n",
    ))
    .unwrap();
    let input = s.materialize(&sig("k", vec![ptr(None)])).unwrap();
    match input.args[0].value.as_array().map(Buffer::view) {
        Some(ArrayView::F32(v)) => assert_eq!(v, &[1.0, -2.5, 300.0]),
        other => panic!("{other:?}"),
    }
}

/// A spec folder with data files, for the `file:` tests.
fn with_files(files: &[(&str, Vec<u8>)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let spec = dir.path().join("spec.yaml");
    (dir, spec)
}

#[test]
fn files_resolve_against_the_spec_folder() {
    let data: Vec<u8> = [1.0f64, 2.0, 3.0]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let (_dir, spec) = with_files(&[
        (
            "data/a.npy",
            super::files::tests::npy(1, "<f8", false, "(3,)", &data),
        ),
        ("data/b.csv", b"v\n4\n5\n".to_vec()),
        (
            "data/c.bin",
            [7i32, 8].iter().flat_map(|x| x.to_le_bytes()).collect(),
        ),
    ]);
    let yaml = "kernel: k.c\nargs:\n  - a: { array: f64, file: data/a.npy }\n  - b: { array: i64, file: data/b.csv }\n  - c: { array: i32, file: data/c.bin }\n  - n: { i64: len(a) }\n";
    std::fs::write(&spec, yaml).unwrap();
    let s = InputSpec::load(&spec).unwrap();
    let input = s
        .materialize(&sig(
            "k",
            vec![
                ptr(None),
                ptr(None),
                ptr(None),
                scalar(None, ScalarType::I64),
            ],
        ))
        .unwrap();
    let vals = |i: usize| -> Vec<f64> {
        input.args[i]
            .value
            .as_array()
            .map(|b| b.view().iter_f64().collect())
            .unwrap_or_default()
    };
    assert_eq!(vals(0), vec![1.0, 2.0, 3.0]);
    assert_eq!(vals(1), vec![4.0, 5.0]);
    assert_eq!(vals(2), vec![7.0, 8.0]);
    assert_eq!(input.args[3].value, Value::Scalar(Scalar::I64(3)));
}

#[test]
fn file_errors_name_spec_argument_file_and_problem() {
    let (_dir, spec) = with_files(&[
        (
            "data/f.npy",
            super::files::tests::npy(1, "<f4", false, "(1,)", &1f32.to_le_bytes()),
        ),
        ("data/bad.csv", b"x\n1\n2\nzz\n".to_vec()),
        ("data/odd.raw", vec![0u8; 10]),
    ]);
    let s = |f: &str, t: &str| {
        InputSpec::parse(
            &spec,
            &format!("kernel: k.c\nargs:\n  - a: {{ array: {t}, file: {f} }}\n"),
        )
        .unwrap()
        .materialize(&sig("k", vec![ptr(None)]))
        .unwrap_err()
    };
    let e = s("data/missing.npy", "f64");
    let shown = format!(
        "{}: argument `a`: file data/missing.npy: not found",
        spec.display()
    );
    assert!(e.to_string().starts_with(&shown), "{e}");
    let e = s("data/f.npy", "f64");
    assert_eq!(e.arg.as_deref(), Some("a"));
    assert_eq!(
        e.problem,
        "file data/f.npy: holds f32 (<f4) but the spec says `array: f64`"
    );
    let e = s("data/bad.csv", "f64");
    assert_eq!(e.problem, "file data/bad.csv: line 4: `zz` is not a number");
    let e = s("data/odd.raw", "f64");
    assert!(
        e.problem
            .starts_with("file data/odd.raw: size 10 bytes is not a multiple of 8"),
        "{e}"
    );
}

#[test]
fn the_documented_not_found_message() {
    let s = parse(&spec_with_args("  - a: { array: f64, file: data/a.npy }\n")).unwrap();
    let e = s.materialize(&sig("k", vec![ptr(None)])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "sample-inputs/sum.yaml: argument `a`: file data/a.npy: not found (looked for sample-inputs/data/a.npy)"
    );
}

#[test]
fn load_reports_a_missing_spec() {
    let e = InputSpec::load(Path::new("/nonexistent/x.yaml")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/nonexistent/x.yaml: cannot read the spec: not found"
    );
}

#[test]
fn bad_bindings_are_reported_before_any_data_is_made() {
    // A huge generated array with a wrong signature fails at once.
    let s = parse(&spec_with_args(
        "  - a: { array: f64, gen: { dist: uniform, len: 2147483648 } }\n",
    ))
    .unwrap();
    let e = s
        .materialize(&sig("k", vec![scalar(None, ScalarType::I32)]))
        .unwrap_err();
    assert!(e.problem.contains("is a scalar (i32)"), "{e}");
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Whatever the YAML, parsing answers Ok or Err: it never panics.
        #[test]
        fn parse_never_panics(yaml in "[a-z0-9:{}\\[\\]()., \\n-]{0,120}") {
            let _ = InputSpec::parse(Path::new("p.yaml"), &yaml);
        }

        #[test]
        fn structured_garbage_never_panics(
            key in prop::sample::select(vec!["array", "gen", "data", "len", "index", "i32", "f32", "file"]),
            val in prop::sample::select(vec!["1", "-1", "2.5", "len(a)", "len(z)", "[1, x]", "{ dist: runs, len: 3 }", "f64", "~", "1e400"]),
        ) {
            let yaml = format!("kernel: k.c\nargs:\n  - a: {{ array: f64, data: [1] }}\n  - b: {{ {key}: {val} }}\nout:\n  - c: {{ array: i32, {key}: {val} }}\n");
            if let Ok(s) = InputSpec::parse(Path::new("p.yaml"), &yaml) {
                let _ = s.materialize(&sig("k", vec![ptr(None), ptr(None), ptr(None)]));
            }
        }
    }
}
