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

// ---- specialized against generic ---------------------------------------

use crate::cache::{CacheConfig, Variant, VariantKey, Verification};
use crate::engine::{self, Engine, EngineConfig};
use crate::sandbox::{Executor, InProcess};
use std::path::{Path, PathBuf};

/// One input's specialized variant against its generic build, measured
/// interleaved in one process.
#[derive(Debug, Clone, Serialize)]
pub struct Speedup {
    pub input: PathBuf,
    pub kernel: String,
    pub profile: String,
    pub generic_ns: u64,
    pub variant_ns: u64,
    /// generic / variant: above 1 the variant is faster.
    pub speedup: f64,
    /// The variant agrees with generic on this input (§6).
    pub verified: bool,
    pub runs: usize,
}

fn as_variant(
    built: crate::transform::Built,
    plan: &crate::profile::Plan,
    p: &engine::Prepared,
) -> Variant {
    Variant {
        key: VariantKey::new(
            &p.kernel.hash,
            &p.kernel.signature.entry,
            plan,
            &built.target,
        ),
        kernel_name: p.kernel.name.clone(),
        kernel_hash: p.kernel.hash.clone(),
        entry: p.kernel.signature.entry.clone(),
        plan: plan.clone(),
        target: built.target,
        object: built.object,
        optimized_ir: built.optimized_ir,
        steps: built.steps,
        transform_micros: built.transform_micros,
        codegen_micros: built.codegen_micros,
        verification: Verification::Reference,
        created: 0,
    }
}

/// Builds the selected variant and the generic build of one input and times
/// both, alternating, `runs` times each; the medians are compared.
pub fn speedup(input: &Path, profiles: &Path, runs: usize) -> Result<Speedup, String> {
    let store = crate::cli::load_store(profiles);
    let host = crate::transform::codegen::host()?;
    let p = engine::prepare(input).map_err(|e| e.to_string())?;
    let kernel = p.kernel_info();
    let decision = engine::decide(&store, &p);
    let plan = decision.plan.map_err(|e| e.to_string())?;
    let generic_plan =
        crate::profile::plan(&store.generic(), &p.vector, &kernel).map_err(|e| e.to_string())?;
    let build = |plan: &crate::profile::Plan| {
        crate::transform::build(
            &p.kernel.ir,
            &p.kernel.signature.entry,
            plan,
            &host,
            &mut |_| {},
        )
        .map(|b| as_variant(b, plan, &p))
        .map_err(|e| e.to_string())
    };
    let variant = build(&plan)?;
    let generic = build(&generic_plan)?;
    let mut exec = InProcess::default();
    let ret = p.kernel.signature.ret;
    let mut g_args = (*p.input).clone();
    let mut v_args = (*p.input).clone();
    // Warm both (loading, caches), then check they agree.
    let g0 = exec.execute(&generic, &mut g_args, ret);
    let v0 = exec.execute(&variant, &mut v_args, ret);
    let verified = engine::verify::compare(&plan.tolerance, &g0, &g_args, &v0, &v_args).is_ok();
    let runs = runs.max(1);
    let (mut g, mut v) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let mut a = (*p.input).clone();
        g.push(exec.execute(&generic, &mut a, ret).kernel_nanos);
        let mut a = (*p.input).clone();
        v.push(exec.execute(&variant, &mut a, ret).kernel_nanos);
    }
    g.sort_unstable();
    v.sort_unstable();
    let (gm, vm) = (g[g.len() / 2], v[v.len() / 2]);
    Ok(Speedup {
        input: input.to_owned(),
        kernel: p.kernel.name.clone(),
        profile: plan.profile.clone(),
        generic_ns: gm,
        variant_ns: vm,
        speedup: gm as f64 / (vm.max(1)) as f64,
        verified,
        runs,
    })
}

/// A request's end-to-end latency on a miss (transform, codegen and
/// verification included) and on the hit that follows, in one engine.
#[derive(Debug, Clone, Serialize)]
pub struct MissHit {
    pub input: PathBuf,
    pub profile: String,
    pub miss_us: u64,
    pub transform_us: u64,
    pub codegen_us: u64,
    pub verify_us: u64,
    /// Median over the hits.
    pub hit_us: u64,
    pub ratio: f64,
}

pub fn miss_hit(input: &Path, profiles: &Path, hits: usize) -> Result<MissHit, String> {
    let mut engine = Engine::new(EngineConfig {
        profiles: profiles.to_owned(),
        cache: CacheConfig {
            dir: None,
            ..CacheConfig::default()
        },
    })
    .map_err(|e| e.to_string())?;
    // The first request also loads the kernel (clang for C); a second
    // engine-level warm-up would hide that, so measure a miss on a warm
    // kernel: run once, clear the cache, run again.
    engine.run(input).map_err(|e| e.to_string())?;
    engine.cache_mut().clear().map_err(|e| e.to_string())?;
    let miss = engine.run(input).map_err(|e| e.to_string())?;
    let mut h: Vec<u64> = Vec::new();
    for _ in 0..hits.max(1) {
        let r = engine.run(input).map_err(|e| e.to_string())?;
        if !r.hit {
            return Err(format!("{}: the repeat was not a hit", input.display()));
        }
        h.push(r.timings.total);
    }
    h.sort_unstable();
    let hit_us = h[h.len() / 2];
    Ok(MissHit {
        input: input.to_owned(),
        profile: miss.profile.clone(),
        miss_us: miss.timings.total,
        transform_us: miss.timings.transform,
        codegen_us: miss.timings.codegen,
        verify_us: miss.timings.verify,
        hit_us,
        ratio: miss.timings.total as f64 / hit_us.max(1) as f64,
    })
}
