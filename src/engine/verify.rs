//! Verification (DESIGN §6): a new variant's result and every array after
//! the run must match the generic build's on the same input: integers
//! exactly, floats within the profile's tolerance.

use crate::input::{ArrayView, Buffer, Input, Scalar, Value};
use crate::profile::{Drift, Tolerance};
use crate::sandbox::pool::Outputs;
use crate::sandbox::{Execution, Outcome};

fn close(a: f64, b: f64, tol: &Drift) -> bool {
    if a == b || (a.is_nan() && b.is_nan()) {
        return true;
    }
    let diff = (a - b).abs();
    diff <= tol.abs || diff <= tol.rel * a.abs().max(b.abs())
}

fn drift(a: f64, b: f64) -> String {
    let diff = (a - b).abs();
    let rel = diff / a.abs().max(b.abs()).max(f64::MIN_POSITIVE);
    format!("abs {diff:.3e}, rel {rel:.3e}")
}

fn scalar_mismatch(what: &str, v: Scalar, g: Scalar, tol: &Tolerance) -> Option<String> {
    match (v, g) {
        (Scalar::F32(_) | Scalar::F64(_), Scalar::F32(_) | Scalar::F64(_)) => {
            let (a, b) = (v.as_f64(), g.as_f64());
            let tol = tol.for_f32(matches!(v, Scalar::F32(_)));
            (!close(a, b, &tol)).then(|| {
                format!(
                    "{what}: variant {a} vs generic {b} ({} beyond tolerance rel {} abs {})",
                    drift(a, b),
                    tol.rel,
                    tol.abs
                )
            })
        }
        _ => (v != g).then(|| format!("{what}: variant {v} vs generic {g}")),
    }
}

/// `Ok` when the variant may be served; otherwise the first difference.
pub fn compare(
    tol: &Tolerance,
    generic: &Execution,
    generic_args: &Input,
    variant: &Execution,
    variant_args: &Input,
) -> Result<(), String> {
    compare_results(tol, generic, variant)?;
    let arrays = variant_args
        .args
        .iter()
        .zip(&generic_args.args)
        .filter_map(|(va, ga)| match (&va.value, &ga.value) {
            (Value::Array(vb), Value::Array(gb)) => Some((va.name.as_str(), vb, gb)),
            _ => None,
        });
    compare_arrays(tol, arrays)
}

/// [`compare`] for sandboxed runs, which return only the arrays they
/// changed: every array after each run is its output, else the input.
pub fn compare_outputs(
    tol: &Tolerance,
    input: &Input,
    generic: &Execution,
    generic_out: &Outputs,
    variant: &Execution,
    variant_out: &Outputs,
) -> Result<(), String> {
    compare_results(tol, generic, variant)?;
    let arrays = input.args.iter().enumerate().filter_map(|(i, a)| {
        let v = variant_out.array(input, i)?;
        let g = generic_out.array(input, i)?;
        Some((a.name.as_str(), v, g))
    });
    compare_arrays(tol, arrays)
}

/// Both runs finished, and their results agree.
fn compare_results(
    tol: &Tolerance,
    generic: &Execution,
    variant: &Execution,
) -> Result<(), String> {
    if generic.outcome != Outcome::Ok {
        return Err(format!(
            "the generic build did not finish ({}), so the variant cannot be checked",
            generic.outcome
        ));
    }
    if variant.outcome != Outcome::Ok {
        return Err(format!("the variant did not finish: {}", variant.outcome));
    }
    match (variant.ret, generic.ret) {
        (Some(v), Some(g)) => {
            if let Some(m) = scalar_mismatch("result", v, g, tol) {
                return Err(m);
            }
        }
        (None, None) => {}
        _ => return Err("one build returned a value and the other did not".to_owned()),
    }
    Ok(())
}

fn compare_arrays<'a>(
    tol: &Tolerance,
    arrays: impl Iterator<Item = (&'a str, &'a Buffer, &'a Buffer)>,
) -> Result<(), String> {
    for (name, vb, gb) in arrays {
        let n = vb.len().min(gb.len());
        let at = |view: ArrayView<'_>, i: usize| match view {
            ArrayView::I32(x) => Scalar::I32(x[i]),
            ArrayView::I64(x) => Scalar::I64(x[i]),
            ArrayView::F32(x) => Scalar::F32(x[i]),
            ArrayView::F64(x) => Scalar::F64(x[i]),
        };
        for i in 0..n {
            if let Some(m) = scalar_mismatch(
                &format!("{name}[{i}]"),
                at(vb.view(), i),
                at(gb.view(), i),
                tol,
            ) {
                return Err(m);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_within_tolerance_and_integers_exactly() {
        let t = Tolerance {
            rel: 1e-9,
            abs: 0.0,
            f32: Some(Drift {
                rel: 1e-6,
                abs: 0.0,
            }),
        };
        let d = t.for_f32(false);
        assert!(close(1.0, 1.0 + 1e-12, &d));
        assert!(!close(1.0, 1.0 + 1e-6, &d));
        assert!(close(f64::NAN, f64::NAN, &d));
        // f32 values get their own bounds.
        assert!(scalar_mismatch("y", Scalar::F32(1.0), Scalar::F32(1.0 + 5e-7), &t).is_none());
        assert!(scalar_mismatch("y", Scalar::F64(1.0), Scalar::F64(1.0 + 5e-7), &t).is_some());
        assert!(scalar_mismatch("r", Scalar::I64(3), Scalar::I64(3), &t).is_none());
        let m = scalar_mismatch("r", Scalar::I64(3), Scalar::I64(4), &t).expect("mismatch");
        assert_eq!(m, "r: variant 3 vs generic 4");
        let m = scalar_mismatch("c[2]", Scalar::F64(1.5), Scalar::F64(1.0), &t).expect("mismatch");
        assert!(
            m.starts_with("c[2]: variant 1.5 vs generic 1 (abs 5.000e-1"),
            "{m}"
        );
        let exact = Drift::default();
        assert!(!close(0.1 + 0.2, 0.3, &exact));
        assert!(close(
            0.1 + 0.2,
            0.3,
            &Drift {
                rel: 0.0,
                abs: 1e-15
            }
        ));
    }
}
