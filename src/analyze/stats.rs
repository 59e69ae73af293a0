//! One pass of statistics over an array, whole or over sampled blocks.
//! Generic over the element type so the hot loop is monomorphic.

use super::{Analyzer, FeatureValue};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Keys are already well-spread 64-bit patterns: one multiply mixes them
/// enough, where SipHash would dominate the analyzer's cost.
#[derive(Default)]
struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, x: u64) {
        let m = (x ^ (x >> 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = m ^ (m >> 29);
    }
}

type Counts = HashMap<u64, u32, BuildHasherDefault<MixHasher>>;

/// The element types arrays come in.
pub(crate) trait Elem: Copy + PartialOrd {
    const INT: bool;
    fn f(self) -> f64;
    /// The value as an integer (ints exactly; floats are not asked).
    fn i(self) -> i64;
    /// Identity for counting distinct values (-0.0 and 0.0 are one value,
    /// and so is every NaN).
    fn key(self) -> u64;
}

macro_rules! int_elem {
    ($t:ty) => {
        impl Elem for $t {
            const INT: bool = true;
            fn f(self) -> f64 {
                self as f64
            }
            fn i(self) -> i64 {
                self as i64
            }
            fn key(self) -> u64 {
                self as i64 as u64
            }
        }
    };
}
int_elem!(i32);
int_elem!(i64);

macro_rules! float_elem {
    ($t:ty) => {
        impl Elem for $t {
            const INT: bool = false;
            fn f(self) -> f64 {
                self as f64
            }
            fn i(self) -> i64 {
                self as i64
            }
            fn key(self) -> u64 {
                let x = self as f64;
                if x.is_nan() {
                    f64::NAN.to_bits()
                } else if x == 0.0 {
                    0
                } else {
                    x.to_bits()
                }
            }
        }
    };
}
float_elem!(f32);
float_elem!(f64);

/// What one analysis found; [`ArrayStats::features`] names it.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayStats {
    pub exact: bool,
    pub len: usize,
    /// Elements read.
    pub seen: usize,
    pub min: f64,
    pub max: f64,
    /// Exact integer extremes of integer arrays.
    pub imin: i64,
    pub imax: i64,
    pub mean: f64,
    pub stddev: f64,
    pub finite: bool,
    pub nonneg: bool,
    pub zero_frac: f64,
    /// `None` when the analyzer was told not to count (no profile reads it).
    pub distinct_est: Option<f64>,
    pub sorted: f64,
    pub run_len: f64,
    pub integral: bool,
    pub int_bits: u32,
    pub progression: bool,
    pub step: f64,
    pub istep: i64,
    int: bool,
}

impl ArrayStats {
    /// The features in [`super::ARRAY_FEATURES`] order.
    pub fn features(&self, bytes: usize, align: usize) -> Vec<(&'static str, FeatureValue)> {
        use FeatureValue::{Bool, Float, Int};
        let (min, max, step) = if self.int {
            (Int(self.imin), Int(self.imax), Int(self.istep))
        } else {
            (Float(self.min), Float(self.max), Float(self.step))
        };
        let mut out = vec![
            ("len", Int(self.len as i64)),
            ("bytes", Int(bytes as i64)),
            ("min", min),
            ("max", max),
            ("mean", Float(self.mean)),
            ("stddev", Float(self.stddev)),
            ("finite", Bool(self.finite)),
            ("nonneg", Bool(self.nonneg)),
            ("zero_frac", Float(self.zero_frac)),
            ("sorted", Float(self.sorted)),
            ("run_len", Float(self.run_len)),
            ("integral", Bool(self.integral)),
            ("int_bits", Int(self.int_bits.into())),
            ("step", step),
            ("progression", Bool(self.progression)),
            ("align", Int(align as i64)),
        ];
        if let Some(d) = self.distinct_est {
            // In its documented place, after `zero_frac`.
            out.insert(9, ("distinct_est", Int(d.round() as i64)));
        }
        out
    }
}

/// A stable hash for choosing sample positions: the same array length gives
/// the same positions on every run, so a vector (and the Plan built from it)
/// is reproducible.
fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The contiguous stretches to read: the whole array, or one block per
/// stratum.
fn segments(len: usize, cfg: &Analyzer) -> (bool, Vec<(usize, usize)>) {
    if len <= cfg.exact_limit || cfg.blocks == 0 || cfg.block_len == 0 {
        return (true, vec![(0, len)]);
    }
    let blocks = cfg.blocks.min(len);
    let mut out = Vec::with_capacity(blocks);
    for s in 0..blocks {
        let lo = s * len / blocks;
        let hi = (s + 1) * len / blocks;
        let width = cfg.block_len.min(hi - lo);
        let slack = (hi - lo - width) as u64;
        let offset = if slack == 0 {
            0
        } else {
            (splitmix(len as u64 ^ ((s as u64) << 32)) % (slack + 1)) as usize
        };
        out.push((lo + offset, lo + offset + width));
    }
    (false, out)
}

fn signed_bits(lo: i64, hi: i64) -> u32 {
    let ubits = |u: u64| (64 - u.leading_zeros()).max(1);
    if lo >= 0 {
        ubits(hi as u64)
    } else {
        let neg = (-(lo as i128) - 1) as u64;
        let pos = hi.max(0) as u64;
        (1 + ubits(neg.max(pos))).min(64)
    }
}

/// A hint that `x` will be read soon (no effect on what is computed).
#[inline(always)]
fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it reads nothing and cannot fault, and
    // SSE (which has it) is part of the x86-64 baseline.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            x as *const T as *const i8,
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// `v == v.trunc()` for a finite `v`, without the libm call `trunc` is at
/// the x86-64 baseline (no SSE4.1 `roundsd`): at 2^52 and beyond every f64
/// is an integer, and below it the round trip through i64 is exact.
#[inline(always)]
pub(super) fn is_integral(v: f64) -> bool {
    v.abs() >= 4_503_599_627_370_496.0 || (v as i64) as f64 == v
}

pub(crate) fn analyze<T: Elem>(a: &[T], cfg: &Analyzer) -> ArrayStats {
    let len = a.len();
    let (exact, segs) = segments(len, cfg);
    let mut seen = 0usize;
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut imin, mut imax) = (i64::MAX, i64::MIN);
    let (mut finite, mut nonneg, mut integral) = (true, true, true);
    let mut zeros = 0usize;
    // Sums over the finite values, shifted by the first finite value so the
    // variance does not cancel catastrophically.
    let (mut n_fin, mut sum, mut sumsq) = (0usize, 0.0f64, 0.0f64);
    let mut shift: Option<f64> = None;
    let (mut pairs, mut ordered, mut equal) = (0usize, 0usize, 0usize);
    let expected: usize = segs.iter().map(|(lo, hi)| hi - lo).sum();
    // Counting distinct values is the one per-element hash-table operation:
    // done only when asked for.
    let count = cfg.distinct;
    let mut counts = Counts::with_capacity_and_hasher(
        if count { expected.min(1 << 16) } else { 0 },
        Default::default(),
    );
    // The progression every element is checked against: a[0] + i*step.
    let step_pair = if len >= 2 { Some((a[0], a[1])) } else { None };
    let mut progression = true;

    let mut visit = |i: usize, x: T| {
        seen += 1;
        let v = x.f();
        if T::INT {
            imin = imin.min(x.i());
            imax = imax.max(x.i());
        }
        if !v.is_nan() {
            min = min.min(v);
            max = max.max(v);
        }
        if v.is_finite() {
            n_fin += 1;
            let d = v - *shift.get_or_insert(v);
            sum += d;
            sumsq += d * d;
            if !T::INT && !is_integral(v) {
                integral = false;
            }
        } else {
            finite = false;
            integral = false;
        }
        if v.is_nan() || v < 0.0 {
            nonneg = false;
        }
        if v == 0.0 {
            zeros += 1;
        }
        if count {
            *counts.entry(x.key()).or_insert(0) += 1;
        }
        if progression {
            if let Some((x0, x1)) = step_pair {
                progression = if T::INT {
                    let s = x1.i() as i128 - x0.i() as i128;
                    x0.i() as i128 + s * i as i128 == x.i() as i128
                } else {
                    let s = x1.f() - x0.f();
                    let expect = x0.f() + s * i as f64;
                    let scale = x0.f().abs().max(v.abs()).max(f64::MIN_POSITIVE);
                    (expect - v).abs() <= 1e-9 * scale
                };
            }
        }
    };

    for (j, &(lo, hi)) in segs.iter().enumerate() {
        // Sampled blocks lie far apart: ask for a block a few ahead now, so
        // the loads overlap instead of paying memory latency one by one.
        if let Some(&(ahead, _)) = segs.get(j + 8) {
            prefetch(&a[ahead]);
        }
        for (i, &x) in a[lo..hi].iter().enumerate() {
            visit(lo + i, x);
        }
        for w in a[lo..hi].windows(2) {
            pairs += 1;
            if w[0] <= w[1] {
                ordered += 1;
            }
            if w[0] == w[1] {
                equal += 1;
            }
        }
    }
    if !exact {
        // The ends are cheap and catch the extremes of sorted data.
        if let (Some(&x0), Some(&xn)) = (a.first(), a.last()) {
            for x in [x0, xn] {
                let v = x.f();
                if !v.is_nan() {
                    min = min.min(v);
                    max = max.max(v);
                }
                if T::INT {
                    imin = imin.min(x.i());
                    imax = imax.max(x.i());
                }
            }
        }
    }

    if len == 0 {
        min = 0.0;
        max = 0.0;
        imin = 0;
        imax = 0;
    }
    if !min.is_finite() && len > 0 && min > max {
        // Every element was NaN.
        min = f64::NAN;
        max = f64::NAN;
    }
    let (mean, stddev) = match shift {
        Some(k) if n_fin > 0 => {
            let n = n_fin as f64;
            let m = sum / n;
            (k + m, (sumsq / n - m * m).max(0.0).sqrt())
        }
        _ => (0.0, 0.0),
    };
    let sorted = if pairs == 0 {
        1.0
    } else {
        ordered as f64 / pairs as f64
    };
    let run_len = if len == 0 {
        0.0
    } else if pairs == 0 {
        1.0
    } else {
        let unequal_frac = (pairs - equal) as f64 / pairs as f64;
        len as f64 / (1.0 + unequal_frac * (len - 1) as f64)
    };
    let distinct_est = if !count {
        None
    } else if exact {
        Some(counts.len() as f64)
    } else {
        // GEE (Charikar et al., 2000): singletons scaled by sqrt(N/n).
        let mut f1 = 0.0;
        let mut rest = 0.0;
        for &c in counts.values() {
            if c == 1 {
                f1 += 1.0;
            } else {
                rest += 1.0;
            }
        }
        Some(((len as f64 / seen.max(1) as f64).sqrt() * f1 + rest).min(len as f64))
    };
    let int_bits = if T::INT {
        signed_bits(imin, imax)
    } else if min.is_finite() && max.is_finite() {
        signed_bits(min.trunc() as i64, max.trunc() as i64)
    } else {
        64
    };
    let (step, istep) = match step_pair {
        Some((x0, x1)) if progression => (x1.f() - x0.f(), x1.i().wrapping_sub(x0.i())),
        _ => (0.0, 0),
    };
    if T::INT {
        min = imin as f64;
        max = imax as f64;
    }
    ArrayStats {
        exact,
        len,
        seen,
        min,
        max,
        imin,
        imax,
        mean,
        stddev,
        finite,
        nonneg,
        zero_frac: if seen == 0 {
            0.0
        } else {
            zeros as f64 / seen as f64
        },
        distinct_est,
        sorted,
        run_len,
        integral,
        int_bits,
        progression,
        step: if T::INT { istep as f64 } else { step },
        istep: if T::INT { istep } else { 0 },
        int: T::INT,
    }
}

#[cfg(test)]
mod tests {
    use super::is_integral;

    /// The fast test agrees with `v == v.trunc()` on every finite value,
    /// around the edges where an f64 stops having a fraction and where i64
    /// stops holding it.
    #[test]
    fn is_integral_agrees_with_trunc() {
        let mut cases = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -3.0,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9_007_199_254_740_993.0,
            9.223_372_036_854_775e18,
            -9.223_372_036_854_775e18,
            1e300,
            -1e300,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
        ];
        let mut x = 0x1234_5678_9abc_def0u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits(x);
            if v.is_finite() {
                cases.push(v);
                cases.push(v.trunc());
            }
        }
        for v in cases {
            assert_eq!(is_integral(v), v == v.trunc(), "{v:e}");
        }
    }
}
