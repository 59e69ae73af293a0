use super::*;
use crate::input::{Arg, ArrayView, Buffer, Input, Role, Scalar, Value};
use proptest::prelude::*;
use std::path::PathBuf;

fn array(name: &str, view: ArrayView<'_>) -> Arg {
    Arg {
        name: name.into(),
        role: Role::In,
        value: Value::Array(Buffer::from_view(view)),
    }
}

fn input(args: Vec<Arg>) -> Input {
    Input {
        spec: PathBuf::from("test.yaml"),
        args,
    }
}

fn f(v: &CharacteristicVector, name: &str) -> f64 {
    match v.get(name) {
        Some(FeatureValue::Float(x)) => x,
        Some(FeatureValue::Int(i)) => i as f64,
        Some(FeatureValue::Bool(b)) => f64::from(u8::from(b)),
        None => panic!("no feature {name}"),
    }
}

fn b(v: &CharacteristicVector, name: &str) -> bool {
    match v.get(name) {
        Some(FeatureValue::Bool(x)) => x,
        other => panic!("{name} is {other:?}"),
    }
}

#[test]
fn exact_features_of_a_known_float_array() {
    let data = [3.0, 1.0, 0.0, 0.0, 2.0, 2.0, 2.0, -1.5];
    let v = analyze(&input(vec![array("a", ArrayView::F64(&data))]));
    assert!(!v.sampled);
    assert_eq!(v.get("a.len"), Some(FeatureValue::Int(8)));
    assert_eq!(v.get("a.bytes"), Some(FeatureValue::Int(64)));
    assert_eq!(f(&v, "a.min"), -1.5);
    assert_eq!(f(&v, "a.max"), 3.0);
    assert!((f(&v, "a.mean") - 1.0625).abs() < 1e-12);
    let var = data.iter().map(|x| (x - 1.0625f64).powi(2)).sum::<f64>() / 8.0;
    assert!((f(&v, "a.stddev") - var.sqrt()).abs() < 1e-12);
    assert!(b(&v, "a.finite"));
    assert!(!b(&v, "a.nonneg"));
    assert_eq!(f(&v, "a.zero_frac"), 0.25);
    assert_eq!(f(&v, "a.distinct_est"), 5.0);
    // pairs: 3>1 no, 1>0 no, 0<=0, 0<=2, 2<=2, 2<=2, 2>-1.5 no => 4/7
    assert!((f(&v, "a.sorted") - 4.0 / 7.0).abs() < 1e-12);
    // runs: [3][1][0 0][2 2 2][-1.5] = 5 runs over 8 elements
    assert!((f(&v, "a.run_len") - 8.0 / 5.0).abs() < 1e-12);
    assert!(!b(&v, "a.integral"));
    assert_eq!(f(&v, "a.int_bits"), 3.0); // -1..3 needs 3 signed bits
    assert!(!b(&v, "a.progression"));
    assert_eq!(f(&v, "a.step"), 0.0);
    assert_eq!(v.get("a.align"), Some(FeatureValue::Int(64)));
    assert!(v.features().iter().all(|feat| feat.exact));
}

#[test]
fn integer_arrays_report_integer_extremes_and_steps() {
    let idx: Vec<i64> = (0..100).map(|i| 7 + 4 * i).collect();
    let v = analyze(&input(vec![array("idx", ArrayView::I64(&idx))]));
    assert_eq!(v.get("idx.min"), Some(FeatureValue::Int(7)));
    assert_eq!(v.get("idx.max"), Some(FeatureValue::Int(403)));
    assert_eq!(v.get("idx.step"), Some(FeatureValue::Int(4)));
    assert!(b(&v, "idx.progression"));
    assert_eq!(f(&v, "idx.sorted"), 1.0);
    assert_eq!(f(&v, "idx.int_bits"), 9.0); // 403 < 512, unsigned
    assert!(b(&v, "idx.integral"));
    assert_eq!(f(&v, "idx.distinct_est"), 100.0);
    assert_eq!(f(&v, "idx.run_len"), 1.0);
}

#[test]
fn signed_int_bits_and_non_finite_values() {
    let a: Vec<i32> = vec![-50, 50, 0, 7];
    let v = analyze(&input(vec![array("a", ArrayView::I32(&a))]));
    assert_eq!(f(&v, "a.int_bits"), 7.0); // -64..63
    let x = [1.0f32, f32::NAN, 2.0];
    let v = analyze(&input(vec![array("x", ArrayView::F32(&x))]));
    assert!(!b(&v, "x.finite"));
    assert!(!b(&v, "x.nonneg"));
    assert_eq!(f(&v, "x.min"), 1.0);
    assert_eq!(f(&v, "x.max"), 2.0);
    assert_eq!(f(&v, "x.mean"), 1.5); // over the finite values
}

#[test]
fn empty_and_constant_arrays() {
    let v = analyze(&input(vec![array("e", ArrayView::F64(&[]))]));
    assert_eq!(v.get("e.len"), Some(FeatureValue::Int(0)));
    assert_eq!(f(&v, "e.sorted"), 1.0);
    assert!(b(&v, "e.finite"));
    let c = vec![2.5f64; 1000];
    let v = analyze(&input(vec![array("c", ArrayView::F64(&c))]));
    assert_eq!(f(&v, "c.run_len"), 1000.0);
    assert_eq!(f(&v, "c.stddev"), 0.0);
    assert!(b(&v, "c.progression"));
    assert_eq!(f(&v, "c.step"), 0.0);
    assert_eq!(f(&v, "c.distinct_est"), 1.0);
}

#[test]
fn scalars_are_flat_features_and_totals_add_up() {
    let a = vec![1.0f64; 10];
    let v = analyze(&input(vec![
        array("a", ArrayView::F64(&a)),
        Arg {
            name: "n".into(),
            role: Role::In,
            value: Value::Scalar(Scalar::I64(10)),
        },
        Arg {
            name: "alpha".into(),
            role: Role::In,
            value: Value::Scalar(Scalar::F32(0.5)),
        },
    ]));
    assert_eq!(v.get("n"), Some(FeatureValue::Int(10)));
    assert_eq!(v.get("alpha"), Some(FeatureValue::Float(0.5)));
    assert_eq!(v.get("total_bytes"), Some(FeatureValue::Int(80)));
    let names: Vec<String> = v.features().into_iter().map(|f| f.name).collect();
    assert_eq!(names[0], "a.len");
    assert_eq!(names[names.len() - 3..], ["n", "alpha", "total_bytes"]);
    assert_eq!(v.args[1].kind, ArgKind::Int);
    assert_eq!(v.args[2].kind, ArgKind::Float);
}

#[test]
fn large_arrays_are_sampled_with_bounded_reads() {
    let a: Vec<f64> = (0..1_000_000).map(|i| (i % 10) as f64).collect();
    let cfg = Analyzer::default();
    let stats = cfg.array_stats(ArrayView::F64(&a));
    assert!(!stats.exact);
    assert_eq!(stats.seen, cfg.blocks * cfg.block_len);
    let v = analyze(&input(vec![array("a", ArrayView::F64(&a))]));
    assert!(v.sampled);
    let feats = v.features();
    let exact = |n: &str| feats.iter().find(|f| f.name == n).map(|f| f.exact);
    assert_eq!(exact("a.len"), Some(true));
    assert_eq!(exact("a.align"), Some(true));
    assert_eq!(exact("a.mean"), Some(false));
    assert!((f(&v, "a.zero_frac") - 0.1).abs() < 0.031);
    assert!((f(&v, "a.mean") - 4.5).abs() < 0.031 * 9.0);
}

#[test]
fn sampling_is_deterministic() {
    let a: Vec<f64> = (0..300_000i64)
        .map(|i| ((i * 7919) % 1000) as f64)
        .collect();
    let one = Analyzer::default().array_stats(ArrayView::F64(&a));
    let two = Analyzer::default().array_stats(ArrayView::F64(&a));
    assert_eq!(one, two);
}

#[test]
fn a_sampled_progression_is_still_found() {
    let idx: Vec<i64> = (0..2_000_000).map(|i| 3 * i).collect();
    let s = Analyzer::default().array_stats(ArrayView::I64(&idx));
    assert!(!s.exact);
    assert!(s.progression);
    assert_eq!(s.istep, 3);
    assert_eq!(s.imin, 0);
    assert_eq!(s.imax, 3 * 1_999_999);
    assert_eq!(s.sorted, 1.0);
}

/// Data drawn like the input generators draw it: a mix of runs, zeros and
/// uniform noise, in some order.
fn data() -> impl Strategy<Value = Vec<f64>> {
    (
        100_000usize..300_000,
        0.0f64..1.0,
        1usize..40,
        any::<u64>(),
        prop::bool::ANY,
    )
        .prop_map(|(len, zero_frac, run, seed, sort)| {
            let mut state = seed | 1;
            let mut next = move || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 11) as f64 / (1u64 << 53) as f64
            };
            let mut out = Vec::with_capacity(len);
            while out.len() < len {
                let v = if next() < zero_frac {
                    0.0
                } else {
                    next() * 100.0 - 20.0
                };
                for _ in 0..run.min(len - out.len()) {
                    out.push(v);
                }
            }
            if sort {
                out.sort_by(|a, b| a.total_cmp(b));
            }
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Sampled estimates stay within the bounds documented in the module.
    #[test]
    fn sampled_estimates_are_within_documented_error(a in data()) {
        let sampled = Analyzer::default().array_stats(ArrayView::F64(&a));
        let exact = Analyzer { exact_limit: usize::MAX, ..Analyzer::default() }
            .array_stats(ArrayView::F64(&a));
        prop_assert!(!sampled.exact && exact.exact);
        let bound = (2000f64.ln() / (2.0 * 4096.0)).sqrt();
        prop_assert!((sampled.zero_frac - exact.zero_frac).abs() <= bound);
        prop_assert!((sampled.sorted - exact.sorted).abs() <= bound);
        prop_assert!((sampled.mean - exact.mean).abs() <= bound * (exact.max - exact.min));
        prop_assert!(sampled.min >= exact.min && sampled.max <= exact.max);
        let outside = a.iter().filter(|&&x| x < sampled.min || x > sampled.max).count();
        prop_assert!((outside as f64) / (a.len() as f64) <= 1000f64.ln() / 4096.0);
        prop_assert_eq!(sampled.finite, exact.finite);
        prop_assert_eq!(sampled.nonneg, exact.nonneg);
    }
}
