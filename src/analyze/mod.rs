//! The Input Characteristic Analyzer: an [`Input`] becomes a
//! [`CharacteristicVector`], the flat, ordered map of named features that
//! profiles match and plan on (DESIGN §3).
//!
//! Small arrays (at most [`Analyzer::exact_limit`] elements) are read whole
//! and every feature is exact. Larger ones are sampled: the array is cut into
//! [`Analyzer::blocks`] equal strata and one run of [`Analyzer::block_len`]
//! consecutive elements is read at a seeded position in each, so the work and
//! memory are bounded whatever the input's size, and neighbour features
//! (`sorted`, `run_len`, `step`) still see true neighbours. `len`, `bytes`
//! and `align` are always exact; the others are marked sampled and are within
//! these bounds with probability 99.9% (Hoeffding over the independent
//! blocks, B = 4096 by default):
//!
//! | feature | sampled error |
//! | --- | --- |
//! | `zero_frac`, `sorted` | ± `sqrt(ln(2000) / 2B)` ≈ 0.031 absolute |
//! | `mean` | ± 0.031 × (max − min) |
//! | `finite`, `nonneg` | true means fewer than `ln(1000)/B` ≈ 0.17% of elements violate it |
//! | `min`, `max` | the sample's extremes (and the first and last element): no more than 0.17% of elements lie outside |
//! | `stddev`, `run_len`, `int_bits`, `distinct_est` | estimates (`distinct_est` is the GEE estimator: within a factor √(N/n) of the truth) |
//! | `step` | checked on every sampled element against `a[0] + i·step` |
//!
//! Everything the sandbox needs to stay safe is re-checked by verification
//! (DESIGN §6), so an estimate can cost speed but never correctness.

mod stats;

use crate::input::{Arg, ArrayView, Input, Role, Scalar, Value};
use crate::kernel::ScalarType;
use serde::Serialize;
use std::fmt;

pub use stats::ArrayStats;

/// The features every array argument has, in the order they are reported.
pub const ARRAY_FEATURES: &[(&str, &str)] = &[
    ("len", "number of elements"),
    ("bytes", "size in bytes"),
    ("min", "smallest value"),
    ("max", "largest value"),
    ("mean", "arithmetic mean"),
    ("stddev", "population standard deviation"),
    ("finite", "no NaN or infinity"),
    ("nonneg", "every value >= 0 (and not NaN)"),
    ("zero_frac", "fraction of elements equal to zero"),
    ("distinct_est", "number of distinct values"),
    (
        "sorted",
        "fraction of neighbours in ascending order (1.0 = sorted)",
    ),
    ("run_len", "mean length of runs of equal neighbours"),
    ("integral", "every value is an integer"),
    (
        "int_bits",
        "bits needed for the integer value range (signed when negative)",
    ),
    (
        "step",
        "common difference when the array is an arithmetic progression, else 0",
    ),
    ("progression", "the array is an arithmetic progression"),
    ("align", "alignment of the buffer in bytes (at most 64)"),
];

/// Fields every scalar argument has (as seen by expressions in lists such as
/// `ints`; the scalar itself is just `n`).
pub const SCALAR_FIELDS: &[&str] = &["value", "name", "type", "index"];
/// Fields array entries carry besides their features.
pub const ARRAY_FIELDS: &[&str] = &["name", "type", "index", "out"];

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum FeatureValue {
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl fmt::Display for FeatureValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Float(x) => {
                if x.is_finite() && stats::is_integral(*x) && x.abs() < 1e15 {
                    write!(f, "{x:.1}")
                } else if x.is_finite() && (x.abs() >= 1e6 || (x.abs() < 1e-3 && *x != 0.0)) {
                    write!(f, "{x:.4e}")
                } else {
                    write!(f, "{}", (x * 1e6).round() / 1e6)
                }
            }
        }
    }
}

/// One named feature with its accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Feature {
    /// `a.len`, `n`, `total_bytes`, ...
    pub name: String,
    pub value: FeatureValue,
    /// Computed from every element (true) or from a sample (false).
    pub exact: bool,
}

/// What kind of argument a group of features describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ArgKind {
    Array,
    Int,
    Float,
}

/// The features of one argument, in parameter order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArgVector {
    pub name: String,
    pub index: usize,
    pub kind: ArgKind,
    /// The element type of an array, the type of a scalar.
    pub ty: ScalarType,
    pub out: bool,
    /// `(feature, value, exact)`; for a scalar a single `value`.
    pub features: Vec<(&'static str, FeatureValue, bool)>,
}

impl ArgVector {
    pub fn get(&self, feature: &str) -> Option<&FeatureValue> {
        self.features
            .iter()
            .find(|(k, _, _)| *k == feature)
            .map(|(_, v, _)| v)
    }

    /// The value of a scalar argument.
    pub fn value(&self) -> Option<&FeatureValue> {
        self.get("value")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CharacteristicVector {
    pub args: Vec<ArgVector>,
    pub total_bytes: u64,
    /// Whether any feature was estimated from a sample.
    pub sampled: bool,
}

impl CharacteristicVector {
    pub fn arg(&self, name: &str) -> Option<&ArgVector> {
        self.args.iter().find(|a| a.name == name)
    }

    /// The flat, ordered view: per argument in parameter order (`a.len`,
    /// ..., `n`), then the globals.
    pub fn features(&self) -> Vec<Feature> {
        let mut out = Vec::new();
        for arg in &self.args {
            for (key, value, exact) in &arg.features {
                let name = match arg.kind {
                    ArgKind::Array => format!("{}.{}", arg.name, key),
                    ArgKind::Int | ArgKind::Float => arg.name.clone(),
                };
                out.push(Feature {
                    name,
                    value: value.clone(),
                    exact: *exact,
                });
            }
        }
        out.push(Feature {
            name: "total_bytes".into(),
            value: FeatureValue::Int(self.total_bytes as i64),
            exact: true,
        });
        out
    }

    /// One feature by its flat name (`a.len`, `n`, `total_bytes`).
    pub fn get(&self, name: &str) -> Option<FeatureValue> {
        self.features()
            .into_iter()
            .find(|f| f.name == name)
            .map(|f| f.value)
    }
}

/// Analysis settings; [`Analyzer::default`] is what the engine uses.
#[derive(Debug, Clone, Copy)]
pub struct Analyzer {
    /// Arrays with at most this many elements are read whole.
    pub exact_limit: usize,
    /// Number of strata a larger array is sampled in.
    pub blocks: usize,
    /// Consecutive elements read per stratum.
    pub block_len: usize,
    /// Count distinct values (`distinct_est`): a hash-table update per
    /// element read, so the engine asks for it only when a loaded profile
    /// reads the feature.
    pub distinct: bool,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer {
            exact_limit: 1 << 16,
            blocks: 4096,
            block_len: 8,
            distinct: true,
        }
    }
}

impl Analyzer {
    pub fn analyze(&self, input: &Input) -> CharacteristicVector {
        let mut sampled = false;
        let args = input
            .args
            .iter()
            .enumerate()
            .map(|(index, arg)| {
                let v = self.arg_vector(index, arg);
                sampled |= v.features.iter().any(|(_, _, exact)| !exact);
                v
            })
            .collect();
        CharacteristicVector {
            args,
            total_bytes: input.total_bytes() as u64,
            sampled,
        }
    }

    fn arg_vector(&self, index: usize, arg: &Arg) -> ArgVector {
        let out = arg.role == Role::Out;
        match &arg.value {
            Value::Scalar(s) => {
                let (kind, value) = match *s {
                    Scalar::I32(v) => (ArgKind::Int, FeatureValue::Int(v.into())),
                    Scalar::I64(v) => (ArgKind::Int, FeatureValue::Int(v)),
                    Scalar::F32(v) => (ArgKind::Float, FeatureValue::Float(v.into())),
                    Scalar::F64(v) => (ArgKind::Float, FeatureValue::Float(v)),
                };
                ArgVector {
                    name: arg.name.clone(),
                    index,
                    kind,
                    ty: s.ty(),
                    out,
                    features: vec![("value", value, true)],
                }
            }
            Value::Array(buffer) => {
                let view = buffer.view();
                let stats = self.array_stats(view);
                let exact = stats.exact;
                let align = (buffer.as_ptr() as usize).trailing_zeros().min(6);
                let features = stats.features(buffer.byte_len(), 1 << align);
                ArgVector {
                    name: arg.name.clone(),
                    index,
                    kind: ArgKind::Array,
                    ty: view.elem(),
                    out,
                    features: features
                        .into_iter()
                        .map(|(k, v)| {
                            let always_exact = matches!(k, "len" | "bytes" | "align");
                            (k, v, exact || always_exact)
                        })
                        .collect(),
                }
            }
        }
    }

    /// Statistics of one array: exact when small, sampled otherwise.
    pub fn array_stats(&self, view: ArrayView<'_>) -> ArrayStats {
        match view {
            ArrayView::I32(a) => stats::analyze(a, self),
            ArrayView::I64(a) => stats::analyze(a, self),
            ArrayView::F32(a) => stats::analyze(a, self),
            ArrayView::F64(a) => stats::analyze(a, self),
        }
    }
}

/// Makes `min`, `max`, `finite` and `nonneg` exact for every array whose
/// vector was sampled: one tight pass over the whole array each (no other
/// feature is cheap enough to compute on every request). What a Plan that
/// changes results (reassociation) is decided on. Whether anything changed.
pub fn exact_bounds(input: &Input, vector: &mut CharacteristicVector) -> bool {
    let mut changed = false;
    for (arg, v) in input.args.iter().zip(vector.args.iter_mut()) {
        let Value::Array(buffer) = &arg.value else {
            continue;
        };
        if v.features.iter().all(|(_, _, exact)| *exact) {
            continue;
        }
        let (min, max, finite, nonneg) = match buffer.view() {
            ArrayView::I32(a) => int_bounds(a.iter().map(|&x| i64::from(x))),
            ArrayView::I64(a) => int_bounds(a.iter().copied()),
            ArrayView::F32(a) => float_bounds(a),
            ArrayView::F64(a) => float_bounds(a),
        };
        for (k, value, exact) in v.features.iter_mut() {
            let now = match *k {
                "min" => min.clone(),
                "max" => max.clone(),
                "finite" => FeatureValue::Bool(finite),
                "nonneg" => FeatureValue::Bool(nonneg),
                _ => continue,
            };
            changed |= *value != now || !*exact;
            *value = now;
            *exact = true;
        }
    }
    vector.sampled = vector
        .args
        .iter()
        .any(|a| a.features.iter().any(|(_, _, exact)| !exact));
    changed
}

fn int_bounds(it: impl Iterator<Item = i64>) -> (FeatureValue, FeatureValue, bool, bool) {
    let (lo, hi) = it.fold((i64::MAX, i64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let empty = lo > hi;
    let (lo, hi) = if empty { (0, 0) } else { (lo, hi) };
    (FeatureValue::Int(lo), FeatureValue::Int(hi), true, lo >= 0)
}

fn float_bounds<T: Copy + Into<f64>>(a: &[T]) -> (FeatureValue, FeatureValue, bool, bool) {
    // Eight independent lanes over chunks, branch-free (a NaN fails both
    // comparisons and so takes no part in the extremes, as in the sampled
    // pass): the compiler vectorizes this, and it runs on every request
    // whose Plan reassociates.
    let (mut lo, mut hi) = ([f64::INFINITY; 8], [f64::NEG_INFINITY; 8]);
    let (mut bad, mut neg) = ([0u64; 8], [0u64; 8]);
    let mut step = |lane: usize, x: f64| {
        // `min`/`max` return the other operand for a NaN.
        lo[lane] = lo[lane].min(x);
        hi[lane] = hi[lane].max(x);
        bad[lane] |= u64::from(!x.is_finite());
        neg[lane] |= u64::from(x.is_nan() || x < 0.0);
    };
    let chunks = a.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (lane, &x) in c.iter().enumerate() {
            step(lane, x.into());
        }
    }
    for (lane, &x) in rest.iter().enumerate() {
        step(lane, x.into());
    }
    let lo = lo.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = hi.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo > hi { (0.0, 0.0) } else { (lo, hi) };
    (
        FeatureValue::Float(lo),
        FeatureValue::Float(hi),
        bad.iter().all(|&b| b == 0),
        neg.iter().all(|&b| b == 0),
    )
}

/// Analyzes with the default settings.
pub fn analyze(input: &Input) -> CharacteristicVector {
    Analyzer::default().analyze(input)
}

impl CharacteristicVector {
    /// The features worth a glance: per array its type, length and the facts
    /// profiles most often test; per scalar its value.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for arg in &self.args {
            match arg.kind {
                ArgKind::Array => {
                    let len = arg.get("len").map(|x| x.to_string()).unwrap_or_default();
                    let mut facts = vec![format!(
                        "{}{}: {}[{len}]",
                        if arg.out { "out " } else { "" },
                        arg.name,
                        arg.ty
                    )];
                    if !arg.out {
                        let get = |k: &str| arg.get(k).cloned();
                        if let (Some(lo), Some(hi)) = (get("min"), get("max")) {
                            facts.push(format!("{lo}..{hi}"));
                        }
                        for flag in ["finite", "nonneg", "progression"] {
                            if get(flag) == Some(FeatureValue::Bool(true)) {
                                facts.push(flag.to_owned());
                            }
                        }
                        if get("progression") == Some(FeatureValue::Bool(true)) {
                            if let Some(step) = get("step") {
                                facts.push(format!("step {step}"));
                            }
                        } else if let Some(FeatureValue::Float(s)) = get("sorted") {
                            if s == 1.0 {
                                facts.push("sorted".to_owned());
                            }
                        }
                        if let Some(FeatureValue::Float(z)) = get("zero_frac") {
                            if z > 0.0 {
                                facts.push(format!("zeros {:.0}%", z * 100.0));
                            }
                        }
                    }
                    parts.push(facts.join(" "));
                }
                ArgKind::Int | ArgKind::Float => {
                    let val = arg.value().map(|x| x.to_string()).unwrap_or_default();
                    parts.push(format!("{}={val}", arg.name));
                }
            }
        }
        parts.join(" · ")
    }
}

#[cfg(test)]
mod tests;
