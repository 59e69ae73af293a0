//! Measurements reported as ratios taken side by side in one run (these
//! machines are shared and noisy). So far: the analyzer's cost per MiB, read
//! whole against sampled. Specialized against generic comes with the engine.

use crate::analyze::Analyzer;
use crate::input::{ArrayView, Rng};
use serde::Serialize;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize)]
pub struct AnalyzerCost {
    pub mib: f64,
    pub elements: usize,
    /// Median of the runs, per MiB of input.
    pub exact_ms_per_mib: f64,
    pub sampled_ms_per_mib: f64,
    /// exact / sampled, measured in alternation.
    pub ratio: f64,
    pub runs: usize,
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Times the analyzer on `mib` MiB of uniform f64, exact and sampled runs
/// interleaved so both see the same machine.
pub fn analyzer_cost(mib: f64, runs: usize) -> AnalyzerCost {
    let elements = ((mib * 1024.0 * 1024.0) / 8.0) as usize;
    let mut rng = Rng::new(42);
    let data: Vec<f64> = (0..elements).map(|_| rng.next_f64()).collect();
    let exact = Analyzer {
        exact_limit: usize::MAX,
        ..Analyzer::default()
    };
    let sampled = Analyzer::default();
    let runs = runs.max(1);
    let (mut te, mut ts) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(exact.array_stats(ArrayView::F64(&data)));
        te.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(sampled.array_stats(ArrayView::F64(&data)));
        ts.push(t.elapsed());
    }
    let (e, s) = (median(te), median(ts));
    let per_mib = |d: Duration| d.as_secs_f64() * 1e3 / mib;
    AnalyzerCost {
        mib,
        elements,
        exact_ms_per_mib: per_mib(e),
        sampled_ms_per_mib: per_mib(s),
        ratio: e.as_secs_f64() / s.as_secs_f64().max(1e-12),
        runs,
    }
}
