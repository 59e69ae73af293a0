//! Deterministic array generators: the `gen:` map of an input spec
//! (`{ dist: uniform, len: 1000, seed: 7, min: 0, max: 1 }`), validated when
//! the spec is parsed and run when it is materialized.
//!
//! Every generator draws from [`Rng`] seeded with `seed` alone, in a fixed
//! order, so a spec names its data exactly: changing anything here changes
//! what every shipped spec means, and the golden-value tests below say so.

use super::buffer::{AllocError, ArrayViewMut, Buffer};
use super::rng::Rng;
use super::yaml::{did_you_mean, float_for, int_for, int_of, string_keys};
use crate::kernel::ScalarType;
use serde_yaml::{Mapping, Value};

/// The longest array a spec may ask for (generated, read or `len:`).
pub(crate) const MAX_LEN: usize = 1 << 31;

/// The keys every distribution takes.
const COMMON: [&str; 3] = ["dist", "len", "seed"];

/// Each distribution with the keys it adds to [`COMMON`].
const DISTS: [(&str, &[&str]); 7] = [
    ("uniform", &["min", "max"]),
    ("normal", &["mean", "stddev"]),
    ("sorted", &["min", "max"]),
    ("runs", &["run_len", "min", "max"]),
    ("sparse", &["zero_frac", "min", "max"]),
    ("constant", &["value"]),
    ("range", &["start", "step"]),
];

/// How many times a generator redraws to get a value that differs from the
/// previous run's (runs) or from zero (sparse) before settling; only tiny
/// ranges ever need more than one.
const REDRAWS: usize = 64;

/// A value range: inclusive integers for integer arrays, `[min, max]` for
/// float arrays.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Span {
    Int(i64, i64),
    Float(f64, f64),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Num {
    Int(i64),
    Float(f64),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Dist {
    Uniform(Span),
    Normal { mean: f64, stddev: f64 },
    Sorted(Span),
    Runs { run_len: f64, span: Span },
    Sparse { zero_frac: f64, span: Span },
    Constant(Num),
    Range { start: Num, step: Num },
}

/// A validated `gen:` map for one element type.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct GenSpec {
    pub elem: ScalarType,
    pub len: usize,
    pub seed: u64,
    dist: Dist,
}

fn dist_names() -> String {
    DISTS.map(|(n, _)| n).join(", ")
}

impl GenSpec {
    /// Validates a `gen:` value for an array of `elem`. Problems start with
    /// `gen:` so they read well after the argument's name.
    pub(crate) fn parse(elem: ScalarType, v: &Value) -> Result<GenSpec, String> {
        let Value::Mapping(m) = v else {
            return Err(format!(
                "gen: expected a map such as `{{ dist: uniform, len: 1000 }}`, found {}",
                super::yaml::describe(v)
            ));
        };
        let keys = string_keys(m).map_err(|e| format!("gen: {e}"))?;
        let mut known: Vec<&str> = COMMON.to_vec();
        for (_, ks) in DISTS {
            for k in ks {
                if !known.contains(k) {
                    known.push(k);
                }
            }
        }
        for k in &keys {
            if !known.contains(k) {
                return Err(format!(
                    "gen: unknown key `{k}`{} (known keys: {})",
                    did_you_mean(k, &known),
                    known.join(", ")
                ));
            }
        }
        let name = match m.get("dist") {
            None => return Err(format!("gen: missing `dist` (one of {})", dist_names())),
            Some(Value::String(s)) => s.as_str(),
            Some(other) => {
                return Err(format!(
                    "gen: `dist` must be one of {}, found {}",
                    dist_names(),
                    super::yaml::describe(other)
                ))
            }
        };
        let names: Vec<&str> = DISTS.iter().map(|(n, _)| *n).collect();
        let Some((name, params)) = DISTS.into_iter().find(|(n, _)| *n == name) else {
            return Err(format!(
                "gen: unknown dist `{name}`{} (one of {})",
                did_you_mean(name, &names),
                dist_names()
            ));
        };
        for k in &keys {
            if !COMMON.contains(k) && !params.contains(k) {
                return Err(format!(
                    "gen: `{k}` does not apply to dist {name} (it takes {})",
                    COMMON
                        .iter()
                        .chain(params)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }

        let len = match m.get("len") {
            None => return Err("gen: missing `len` (the number of elements)".into()),
            Some(v) => int_of(v).map_err(|e| format!("gen: len: {e}"))?,
        };
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= MAX_LEN)
            .ok_or_else(|| format!("gen: len {len} is out of range (0..={MAX_LEN})"))?;
        let seed = match m.get("seed") {
            None => 0,
            Some(v) => match v.as_u64() {
                Some(s) => s,
                None => {
                    return Err(format!(
                        "gen: seed must be a non-negative integer, found {}",
                        super::yaml::describe(v)
                    ))
                }
            },
        };

        let dist = match name {
            "uniform" => Dist::Uniform(span(m, elem)?),
            "sorted" => Dist::Sorted(span(m, elem)?),
            "normal" => {
                let mean = float(m, "mean", elem)?.unwrap_or(0.0);
                let stddev = float(m, "stddev", elem)?.unwrap_or(1.0);
                finite("mean", mean)?;
                finite("stddev", stddev)?;
                if stddev < 0.0 {
                    return Err(format!("gen: stddev must be ≥ 0, got {stddev}"));
                }
                Dist::Normal { mean, stddev }
            }
            "runs" => {
                let run_len = float(m, "run_len", ScalarType::F64)?.unwrap_or(8.0);
                if !(run_len >= 1.0 && run_len.is_finite()) {
                    return Err(format!(
                        "gen: run_len is the mean run length and must be at least 1, got {run_len}"
                    ));
                }
                Dist::Runs {
                    run_len,
                    span: span(m, elem)?,
                }
            }
            "sparse" => {
                let zero_frac = float(m, "zero_frac", ScalarType::F64)?.unwrap_or(0.9);
                if !(0.0..=1.0).contains(&zero_frac) {
                    return Err(format!(
                        "gen: zero_frac is a fraction and must be in [0, 1], got {zero_frac}"
                    ));
                }
                let span = span(m, elem)?;
                let has_nonzero = match span {
                    Span::Int(lo, hi) => lo != 0 || hi != 0,
                    Span::Float(lo, hi) => is_nonzero(lo, elem) || is_nonzero(hi, elem),
                };
                if !has_nonzero {
                    return Err(
                        "gen: sparse needs a nonzero value in min..max, but the range holds only zero"
                            .into(),
                    );
                }
                Dist::Sparse { zero_frac, span }
            }
            "constant" => {
                let Some(v) = m.get("value") else {
                    return Err("gen: dist constant needs `value`".into());
                };
                Dist::Constant(num(v, "value", elem)?)
            }
            "range" => {
                let start = m.get("start").map(|v| num(v, "start", elem)).transpose()?;
                let step = m.get("step").map(|v| num(v, "step", elem)).transpose()?;
                let last = len.saturating_sub(1);
                if elem.is_float() {
                    let start = start.map_or(0.0, |n| n.as_f64());
                    let step = step.map_or(1.0, |n| n.as_f64());
                    finite("start", start)?;
                    finite("step", step)?;
                    let end = start + last as f64 * step;
                    if !end.is_finite() || float_for(&Value::from(end), elem).is_err() {
                        return Err(format!(
                            "gen: range overflows {elem}: start + (len − 1)·step = {end:e}"
                        ));
                    }
                    Dist::Range {
                        start: Num::Float(start),
                        step: Num::Float(step),
                    }
                } else {
                    let start = start.map_or(0, |n| n.as_i64());
                    let step = step.map_or(1, |n| n.as_i64());
                    let end = i128::from(start) + last as i128 * i128::from(step);
                    let fits = match elem {
                        ScalarType::I32 => i32::try_from(end).is_ok(),
                        _ => i64::try_from(end).is_ok(),
                    };
                    if !fits {
                        return Err(format!(
                            "gen: range overflows {elem}: start + (len − 1)·step = {end}"
                        ));
                    }
                    Dist::Range {
                        start: Num::Int(start),
                        step: Num::Int(step),
                    }
                }
            }
            other => return Err(format!("gen: dist `{other}` has no generator")),
        };
        Ok(GenSpec {
            elem,
            len,
            seed,
            dist,
        })
    }

    /// The array. Only allocation can fail: everything else was checked by
    /// [`GenSpec::parse`].
    pub(crate) fn generate(&self) -> Result<Buffer, AllocError> {
        let elem = self.elem;
        let mut buf = Buffer::try_zeroed(elem, self.len)?;
        let rng = &mut Rng::new(self.seed);
        match self.dist {
            Dist::Uniform(span) => fill_span(&mut buf, |_| draw(rng, span)),
            Dist::Sorted(span) => {
                fill_span(&mut buf, |_| draw(rng, span));
                sort(&mut buf);
            }
            Dist::Normal { mean, stddev } => {
                fill_float(&mut buf, |_| mean + stddev * rng.normal());
            }
            Dist::Runs { run_len, span } => {
                let p = 1.0 / run_len;
                let mut cur = draw(rng, span);
                fill_span(&mut buf, |i| {
                    if i > 0 && rng.next_f64() < p {
                        let prev = cur;
                        for _ in 0..REDRAWS {
                            cur = draw(rng, span);
                            if cur != prev {
                                break;
                            }
                        }
                    }
                    cur
                });
            }
            Dist::Sparse { zero_frac, span } => {
                // Selection sampling (Knuth's algorithm S) places exactly
                // round(zero_frac · len) zeros, uniformly, in one pass.
                let len = self.len as u64;
                let mut zeros = ((zero_frac * len as f64).round() as u64).min(len);
                fill_span(&mut buf, |i| {
                    let remaining = len - i as u64;
                    if rng.below(remaining) < zeros {
                        zeros -= 1;
                        match span {
                            Span::Int(..) => Num::Int(0),
                            Span::Float(..) => Num::Float(0.0),
                        }
                    } else {
                        draw_nonzero(rng, span, elem)
                    }
                });
            }
            Dist::Constant(v) => fill_span(&mut buf, |_| v),
            Dist::Range { start, step } => fill_span(&mut buf, |i| match (start, step) {
                (Num::Int(s), Num::Int(d)) => {
                    Num::Int((i128::from(s) + i as i128 * i128::from(d)) as i64)
                }
                _ => Num::Float(start.as_f64() + i as f64 * step.as_f64()),
            }),
        }
        Ok(buf)
    }
}

impl Num {
    fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    fn as_i64(self) -> i64 {
        match self {
            Num::Int(i) => i,
            Num::Float(f) => f as i64,
        }
    }
}

fn finite(key: &str, x: f64) -> Result<(), String> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(format!("gen: {key} must be finite, got {x}"))
    }
}

fn is_nonzero(x: f64, elem: ScalarType) -> bool {
    match elem {
        ScalarType::F32 => x as f32 != 0.0,
        _ => x != 0.0,
    }
}

/// An optional float parameter, range-checked for `elem`.
fn float(m: &Mapping, key: &str, elem: ScalarType) -> Result<Option<f64>, String> {
    let ty = if elem.is_float() {
        elem
    } else {
        ScalarType::F64
    };
    m.get(key)
        .map(|v| float_for(v, ty))
        .transpose()
        .map_err(|e| format!("gen: {key}: {e}"))
}

/// A parameter in the array's own element type (`constant`'s value, a
/// `range` bound).
fn num(v: &Value, key: &str, elem: ScalarType) -> Result<Num, String> {
    if elem.is_float() {
        float_for(v, elem)
            .map(Num::Float)
            .map_err(|e| format!("gen: {key}: {e}"))
    } else {
        int_for(v, elem)
            .map(Num::Int)
            .map_err(|e| format!("gen: {key}: {e}"))
    }
}

/// `min`/`max`: 0..1 for float arrays, the inclusive 0..=100 for integer ones.
fn span(m: &Mapping, elem: ScalarType) -> Result<Span, String> {
    let default_note = |present: bool| if present { "" } else { ", the default" };
    if elem.is_float() {
        let lo = float(m, "min", elem)?;
        let hi = float(m, "max", elem)?;
        let (lo_v, hi_v) = (lo.unwrap_or(0.0), hi.unwrap_or(1.0));
        finite("min", lo_v)?;
        finite("max", hi_v)?;
        if lo_v > hi_v {
            return Err(format!(
                "gen: min ({lo_v}{}) is greater than max ({hi_v}{})",
                default_note(lo.is_some()),
                default_note(hi.is_some())
            ));
        }
        Ok(Span::Float(lo_v, hi_v))
    } else {
        let int = |key: &str| {
            m.get(key)
                .map(|v| int_for(v, elem))
                .transpose()
                .map_err(|e| format!("gen: {key}: {e}"))
        };
        let (lo, hi) = (int("min")?, int("max")?);
        let (lo_v, hi_v) = (lo.unwrap_or(0), hi.unwrap_or(100));
        if lo_v > hi_v {
            return Err(format!(
                "gen: min ({lo_v}{}) is greater than max ({hi_v}{})",
                default_note(lo.is_some()),
                default_note(hi.is_some())
            ));
        }
        Ok(Span::Int(lo_v, hi_v))
    }
}

fn draw(rng: &mut Rng, span: Span) -> Num {
    match span {
        Span::Int(lo, hi) => Num::Int(rng.int_in(lo, hi)),
        Span::Float(lo, hi) => Num::Float(uniform_f(rng, lo, hi)),
    }
}

/// Uniform in `[lo, hi]`; a span too wide for f64 (−1e308..1e308) is
/// interpolated instead of subtracted.
fn uniform_f(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    let u = rng.next_f64();
    let span = hi - lo;
    let v = if span.is_finite() {
        lo + span * u
    } else {
        lo * (1.0 - u) + hi * u
    };
    v.max(lo).min(hi)
}

/// A value of `span` that is not zero in the array's element type (parse
/// made sure one exists).
fn draw_nonzero(rng: &mut Rng, span: Span, elem: ScalarType) -> Num {
    match span {
        Span::Int(lo, hi) => Num::Int(if lo > 0 || hi < 0 {
            rng.int_in(lo, hi)
        } else if lo == 0 {
            rng.int_in(1, hi)
        } else if hi == 0 {
            rng.int_in(lo, -1)
        } else {
            // Draw from a range one shorter and skip over zero.
            let v = rng.int_in(lo, hi - 1);
            if v >= 0 {
                v + 1
            } else {
                v
            }
        }),
        Span::Float(lo, hi) => {
            for _ in 0..REDRAWS {
                let v = uniform_f(rng, lo, hi);
                if is_nonzero(v, elem) {
                    return Num::Float(v);
                }
            }
            Num::Float(if is_nonzero(hi, elem) { hi } else { lo })
        }
    }
}

/// Fills from a value source; integer values were checked against the
/// element type at parse time, so the narrowing casts never truncate.
fn fill_span(buf: &mut Buffer, mut f: impl FnMut(usize) -> Num) {
    let float = |n: Num| n.as_f64();
    let int = |n: Num| match n {
        Num::Int(i) => i,
        Num::Float(x) => x.round() as i64,
    };
    match buf.view_mut() {
        ArrayViewMut::I32(s) => s
            .iter_mut()
            .enumerate()
            .for_each(|(i, x)| *x = int(f(i)) as i32),
        ArrayViewMut::I64(s) => s.iter_mut().enumerate().for_each(|(i, x)| *x = int(f(i))),
        ArrayViewMut::F32(s) => s
            .iter_mut()
            .enumerate()
            .for_each(|(i, x)| *x = float(f(i)) as f32),
        ArrayViewMut::F64(s) => s.iter_mut().enumerate().for_each(|(i, x)| *x = float(f(i))),
    }
}

/// Fills from a float source; integer arrays round to nearest and saturate
/// at the type's bounds (Rust's float-to-int `as` saturates).
fn fill_float(buf: &mut Buffer, mut f: impl FnMut(usize) -> f64) {
    match buf.view_mut() {
        ArrayViewMut::I32(s) => s
            .iter_mut()
            .enumerate()
            .for_each(|(i, x)| *x = f(i).round() as i32),
        ArrayViewMut::I64(s) => s
            .iter_mut()
            .enumerate()
            .for_each(|(i, x)| *x = f(i).round() as i64),
        ArrayViewMut::F32(s) => s.iter_mut().enumerate().for_each(|(i, x)| *x = f(i) as f32),
        ArrayViewMut::F64(s) => s.iter_mut().enumerate().for_each(|(i, x)| *x = f(i)),
    }
}

fn sort(buf: &mut Buffer) {
    match buf.view_mut() {
        ArrayViewMut::I32(s) => s.sort_unstable(),
        ArrayViewMut::I64(s) => s.sort_unstable(),
        ArrayViewMut::F32(s) => s.sort_unstable_by(f32::total_cmp),
        ArrayViewMut::F64(s) => s.sort_unstable_by(f64::total_cmp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::ArrayView;

    fn spec(elem: ScalarType, yaml: &str) -> Result<GenSpec, String> {
        let v: Value = serde_yaml::from_str(yaml).map_err(|e| e.to_string())?;
        GenSpec::parse(elem, &v)
    }

    fn gen(elem: ScalarType, yaml: &str) -> Buffer {
        spec(elem, yaml).unwrap().generate().unwrap()
    }

    fn values(b: &Buffer) -> Vec<f64> {
        b.view().iter_f64().collect()
    }

    fn err(elem: ScalarType, yaml: &str) -> String {
        match spec(elem, yaml) {
            Ok(s) => panic!("expected an error for {yaml}, got {s:?}"),
            Err(e) => e,
        }
    }

    const F64: ScalarType = ScalarType::F64;
    const F32: ScalarType = ScalarType::F32;
    const I64: ScalarType = ScalarType::I64;
    const I32: ScalarType = ScalarType::I32;

    #[test]
    fn every_dist_is_deterministic_and_seed_sensitive() {
        let dists = [
            "{ dist: uniform, len: 500, seed: SEED }",
            "{ dist: normal, len: 500, seed: SEED }",
            "{ dist: sorted, len: 500, seed: SEED }",
            "{ dist: runs, len: 500, seed: SEED }",
            "{ dist: sparse, len: 500, seed: SEED }",
        ];
        for elem in ScalarType::ALL {
            for d in dists {
                let a = gen(elem, &d.replace("SEED", "7"));
                let b = gen(elem, &d.replace("SEED", "7"));
                let c = gen(elem, &d.replace("SEED", "8"));
                assert_eq!(a, b, "{elem} {d}");
                assert_ne!(a, c, "{elem} {d}");
                assert_eq!(a.len(), 500);
                assert_eq!(a.elem(), elem);
            }
        }
    }

    #[test]
    fn golden_values_never_change() {
        // The contract: these bytes are what `seed: 7` means, forever.
        let b = gen(F64, "{ dist: uniform, len: 3, seed: 7 }");
        let v = values(&b);
        let mut r = Rng::new(7);
        let expect: Vec<f64> = (0..3).map(|_| r.next_f64()).collect();
        assert_eq!(v, expect);
        assert_eq!(v, GOLDEN_UNIFORM_F64);
        let b = gen(I32, "{ dist: uniform, len: 5, seed: 7 }");
        assert_eq!(values(&b), GOLDEN_UNIFORM_I32);
    }

    // Computed by an independent transcription of the reference algorithms.
    const GOLDEN_UNIFORM_F64: [f64; 3] =
        [0.7005764821796896, 0.2787512294737843, 0.8396274618764198];
    const GOLDEN_UNIFORM_I32: [f64; 5] = [70.0, 28.0, 84.0, 99.0, 100.0];

    #[test]
    fn uniform_float_stays_in_range_and_fills_it() {
        let b = gen(
            F64,
            "{ dist: uniform, len: 100000, seed: 1, min: -2.0, max: 6.0 }",
        );
        let v = values(&b);
        assert!(v.iter().all(|x| (-2.0..=6.0).contains(x)));
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        assert!((mean - 2.0).abs() < 0.05, "mean {mean}");
        assert!(v.iter().cloned().fold(f64::INFINITY, f64::min) < -1.99);
        assert!(v.iter().cloned().fold(f64::NEG_INFINITY, f64::max) > 5.99);
        // Defaults: 0..1; f32 arrays too.
        let b = gen(F32, "{ dist: uniform, len: 1000 }");
        assert!(values(&b).iter().all(|x| (0.0..=1.0).contains(x)));
        // A span wider than f64 can subtract still stays finite and in range.
        let b = gen(
            F64,
            "{ dist: uniform, len: 1000, min: -1.0e308, max: 1.0e308 }",
        );
        assert!(values(&b).iter().all(|x| x.is_finite()));
    }

    #[test]
    fn uniform_int_is_inclusive() {
        for elem in [I32, I64] {
            let b = gen(
                elem,
                "{ dist: uniform, len: 10000, seed: 2, min: -3, max: 3 }",
            );
            let v = values(&b);
            assert!(v.iter().all(|x| (-3.0..=3.0).contains(x)));
            for k in -3..=3 {
                assert!(v.contains(&(k as f64)), "{elem}: {k} never drawn");
            }
            // Default 0..=100.
            let v = values(&gen(elem, "{ dist: uniform, len: 20000, seed: 3 }"));
            assert!(v.contains(&0.0) && v.contains(&100.0));
            assert!(v.iter().all(|x| (0.0..=100.0).contains(x)));
        }
        let v = values(&gen(
            I32,
            "{ dist: uniform, len: 1000, min: -2147483648, max: 2147483647 }",
        ));
        assert!(v.iter().any(|&x| x < -1e9) && v.iter().any(|&x| x > 1e9));
    }

    #[test]
    fn normal_has_the_asked_moments_and_rounds_for_ints() {
        let v = values(&gen(
            F64,
            "{ dist: normal, len: 100000, seed: 4, mean: 10.0, stddev: 2.0 }",
        ));
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert!((mean - 10.0).abs() < 0.05, "{mean}");
        assert!((sd - 2.0).abs() < 0.05, "{sd}");
        let v = values(&gen(
            I32,
            "{ dist: normal, len: 100000, seed: 4, mean: 50, stddev: 5 }",
        ));
        let mean = v.iter().sum::<f64>() / n;
        assert!((mean - 50.0).abs() < 0.1, "{mean}");
        assert!(v.iter().any(|&x| x != 50.0));
        // Deviates from the same seed, rounded: the int array is the float one rounded.
        let f = values(&gen(
            F64,
            "{ dist: normal, len: 100, seed: 9, mean: 50, stddev: 5 }",
        ));
        let i = values(&gen(
            I64,
            "{ dist: normal, len: 100, seed: 9, mean: 50, stddev: 5 }",
        ));
        assert_eq!(f.iter().map(|x| x.round()).collect::<Vec<_>>(), i);
    }

    #[test]
    fn sorted_is_sorted_and_a_permutation_of_uniform() {
        for elem in ScalarType::ALL {
            let s = values(&gen(elem, "{ dist: sorted, len: 5000, seed: 5 }"));
            assert!(s.windows(2).all(|w| w[0] <= w[1]), "{elem}");
            let mut u = values(&gen(elem, "{ dist: uniform, len: 5000, seed: 5 }"));
            u.sort_by(f64::total_cmp);
            assert_eq!(s, u);
        }
    }

    #[test]
    fn runs_have_the_asked_mean_length() {
        for (elem, run_len) in [(F64, 8.0), (I32, 4.0), (I64, 1.0), (F32, 20.0)] {
            let y = format!(
                "{{ dist: runs, len: 100000, seed: 6, run_len: {run_len}, min: 0, max: 1000 }}"
            );
            let v = values(&gen(elem, &y));
            let runs = 1 + v.windows(2).filter(|w| w[0] != w[1]).count();
            let mean = v.len() as f64 / runs as f64;
            assert!(
                (mean - run_len).abs() < 0.05 * run_len,
                "{elem}: mean run {mean}"
            );
            assert!(v.iter().all(|x| (0.0..=1000.0).contains(x)));
        }
    }

    #[test]
    fn sparse_has_the_zero_fraction_and_no_stray_zeros() {
        for elem in ScalarType::ALL {
            let v = values(&gen(
                elem,
                "{ dist: sparse, len: 10000, seed: 7, zero_frac: 0.75, min: -5, max: 5 }",
            ));
            let zeros = v.iter().filter(|&&x| x == 0.0).count();
            assert_eq!(zeros, 7500, "{elem}");
            assert!(v.iter().all(|x| (-5.0..=5.0).contains(x)));
            // The zeros are spread out, not bunched at one end.
            let first_half = v[..5000].iter().filter(|&&x| x == 0.0).count();
            assert!((3500..4000).contains(&first_half), "{elem}: {first_half}");
        }
        let v = values(&gen(
            I32,
            "{ dist: sparse, len: 1000, zero_frac: 0.0, min: 0, max: 1 }",
        ));
        assert!(v.iter().all(|&x| x == 1.0));
        let v = values(&gen(F64, "{ dist: sparse, len: 1000 }"));
        assert_eq!(v.iter().filter(|&&x| x == 0.0).count(), 900);
        let v = values(&gen(F64, "{ dist: sparse, len: 1000, zero_frac: 1 }"));
        assert!(v.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn constant_and_range_are_exact() {
        let v = values(&gen(F32, "{ dist: constant, len: 100, value: -0.25 }"));
        assert!(v.iter().all(|&x| x == -0.25));
        let v = values(&gen(I64, "{ dist: constant, len: 10, value: 9000000000 }"));
        assert!(v.iter().all(|&x| x == 9e9));
        let v = values(&gen(I32, "{ dist: range, len: 5, start: 10, step: -3 }"));
        assert_eq!(v, vec![10.0, 7.0, 4.0, 1.0, -2.0]);
        let v = values(&gen(I64, "{ dist: range, len: 4 }"));
        assert_eq!(v, vec![0.0, 1.0, 2.0, 3.0]);
        let v = values(&gen(F64, "{ dist: range, len: 4, start: 0.5, step: 0.25 }"));
        assert_eq!(v, vec![0.5, 0.75, 1.0, 1.25]);
        let b = gen(I32, "{ dist: range, len: 3, start: 2147483645 }");
        match b.view() {
            ArrayView::I32(s) => assert_eq!(s, &[2147483645, 2147483646, 2147483647]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_arrays_are_fine() {
        for d in ["uniform", "normal", "sorted", "runs", "sparse", "range"] {
            let b = gen(F64, &format!("{{ dist: {d}, len: 0 }}"));
            assert!(b.is_empty());
        }
    }

    #[test]
    fn bad_gen_maps_are_errors() {
        let e = err(F64, "{ dsit: uniform, len: 10 }");
        assert!(
            e.contains("unknown key `dsit`") && e.contains("did you mean `dist`"),
            "{e}"
        );
        let e = err(F64, "{ len: 10 }");
        assert!(e.contains("missing `dist`"), "{e}");
        let e = err(F64, "{ dist: unifrom, len: 10 }");
        assert!(
            e.contains("unknown dist `unifrom`") && e.contains("uniform"),
            "{e}"
        );
        let e = err(F64, "{ dist: uniform }");
        assert!(e.contains("missing `len`"), "{e}");
        let e = err(F64, "{ dist: uniform, len: 2147483649 }");
        assert!(e.contains("len 2147483649 is out of range"), "{e}");
        assert!(spec(F64, "{ dist: constant, len: 2147483648, value: 1 }").is_ok());
        let e = err(F64, "{ dist: uniform, len: -1 }");
        assert!(e.contains("out of range"), "{e}");
        let e = err(F64, "{ dist: uniform, len: 10.5 }");
        assert!(e.contains("len") && e.contains("10.5"), "{e}");
        let e = err(F64, "{ dist: uniform, len: 10, seed: -1 }");
        assert!(e.contains("seed must be a non-negative integer"), "{e}");
        let e = err(F64, "{ dist: sparse, len: 10, zero_frac: 1.5 }");
        assert!(e.contains("zero_frac") && e.contains("1.5"), "{e}");
        let e = err(F64, "{ dist: sparse, len: 10, zero_frac: .nan }");
        assert!(e.contains("zero_frac"), "{e}");
        let e = err(F64, "{ dist: uniform, len: 10, min: 5, max: 3 }");
        assert!(e.contains("min (5) is greater than max (3)"), "{e}");
        let e = err(I32, "{ dist: uniform, len: 10, min: 200 }");
        assert!(e.contains("max (100, the default)"), "{e}");
        let e = err(F64, "{ dist: uniform, len: 10, min: .nan }");
        assert!(e.contains("min must be finite"), "{e}");
        let e = err(F64, "{ dist: normal, len: 10, stddev: -1 }");
        assert!(e.contains("stddev must be ≥ 0"), "{e}");
        let e = err(F64, "{ dist: uniform, len: 10, mean: 1 }");
        assert!(e.contains("`mean` does not apply to dist uniform"), "{e}");
        let e = err(F64, "{ dist: runs, len: 10, run_len: 0.5 }");
        assert!(e.contains("run_len"), "{e}");
        let e = err(F64, "{ dist: constant, len: 10 }");
        assert!(e.contains("needs `value`"), "{e}");
        let e = err(I32, "{ dist: constant, len: 10, value: 1.5 }");
        assert!(e.contains("value") && e.contains("not an integer"), "{e}");
        let e = err(I32, "{ dist: uniform, len: 10, max: 1099511627776 }");
        assert!(e.contains("out of range for i32"), "{e}");
        let e = err(I32, "{ dist: range, len: 10, start: 2147483640 }");
        assert!(e.contains("range overflows i32"), "{e}");
        let e = err(I32, "{ dist: sparse, len: 10, min: 0, max: 0 }");
        assert!(e.contains("nonzero"), "{e}");
        let e = err(F32, "{ dist: uniform, len: 10, max: 1.0e300 }");
        assert!(e.contains("out of range for f32"), "{e}");
        let e = err(F64, "[1, 2]");
        assert!(e.contains("expected a map"), "{e}");
        let e = err(F64, "{ dist: 3, len: 10 }");
        assert!(e.contains("`dist` must be one of"), "{e}");
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn gen(elem: ScalarType, yaml: &str) -> Buffer {
        let v: Value = serde_yaml::from_str(yaml).unwrap();
        GenSpec::parse(elem, &v).unwrap().generate().unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn int_uniform_stays_inclusive(seed: u64, len in 0usize..2000, a in -1000i64..1000, w in 0i64..50) {
            let y = format!("{{ dist: uniform, len: {len}, seed: {seed}, min: {a}, max: {} }}", a + w);
            let b = gen(ScalarType::I32, &y);
            prop_assert_eq!(b.len(), len);
            prop_assert!(b.view().iter_f64().all(|x| x >= a as f64 && x <= (a + w) as f64));
            prop_assert_eq!(b, gen(ScalarType::I32, &y));
        }

        #[test]
        fn sparse_places_exactly_the_rounded_zero_count(seed: u64, len in 0usize..3000, zf in 0.0f64..=1.0) {
            let y = format!("{{ dist: sparse, len: {len}, seed: {seed}, zero_frac: {zf:?}, min: -3, max: 3 }}");
            for elem in [ScalarType::I64, ScalarType::F32] {
                let b = gen(elem, &y);
                let zeros = b.view().iter_f64().filter(|&x| x == 0.0).count();
                prop_assert_eq!(zeros, (zf * len as f64).round() as usize);
            }
        }

        #[test]
        fn sorted_floats_are_sorted(seed: u64, len in 0usize..3000) {
            let b = gen(ScalarType::F32, &format!("{{ dist: sorted, len: {len}, seed: {seed}, min: -1, max: 1 }}"));
            let v: Vec<f64> = b.view().iter_f64().collect();
            prop_assert!(v.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}
