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

use crate::cache::{CacheConfig, Variant, Verification};
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
    Variant::from_build(built, &p.kernel, plan, Verification::Reference)
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

// ---- the sandbox's costs ---------------------------------------------------

use crate::sandbox::pool::{ExecPolicy, ExecPool, SandboxConfig};
use crate::sandbox::proto::Isolation;

/// Medians in microseconds of one execution of a trivial kernel, measured
/// round trip from the engine's side, per executor and isolation mode.
#[derive(Debug, Clone, Serialize)]
pub struct SandboxCosts {
    pub input: PathBuf,
    pub runs: usize,
    /// ORC in the engine's process (not on the request path any more).
    pub in_process_us: f64,
    /// A child forked from the lean executor per execution, requests back
    /// to back (the pre-fork of the next child is still running when the
    /// next request comes).
    pub fork_us: f64,
    /// The same with 5 ms between requests: the child is forked ahead and
    /// waiting, the fork is off the critical path.
    pub fork_spaced_us: f64,
    /// In the lean executor itself.
    pub process_us: f64,
    /// Spawning `tailor-exec` until it answers.
    pub cold_executor_us: f64,
    /// Spawning `tailor worker` (LLVM initialized) until it answers.
    pub cold_worker_us: f64,
    /// From SIGKILL of an executor to the next execution answered by its
    /// replacement (detection, spawn, loading the variant, the run).
    pub replace_us: f64,
    /// Resident set sizes in KiB: what a fork has to copy page tables of.
    pub executor_rss_kib: u64,
    pub worker_rss_kib: u64,
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn median_us(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v.get(v.len() / 2).map_or(0.0, |d| d.as_secs_f64() * 1e6)
}

pub fn sandbox_costs(input: &Path, profiles: &Path, runs: usize) -> Result<SandboxCosts, String> {
    let store = crate::cli::load_store(profiles);
    let host = crate::transform::codegen::host()?;
    let p = engine::prepare(input).map_err(|e| e.to_string())?;
    let plan = crate::profile::plan(&store.generic(), &p.vector, &p.kernel_info())
        .map_err(|e| e.to_string())?;
    let built = crate::transform::build(
        &p.kernel.ir,
        &p.kernel.signature.entry,
        &plan,
        &host,
        &mut |_| {},
    )
    .map_err(|e| e.to_string())?;
    let variant = as_variant(built, &plan, &p);
    let ret = p.kernel.signature.ret;
    let runs = runs.max(3);
    let time =
        |exec: &mut dyn Executor, policy: &ExecPolicy, gap: Duration| -> Result<f64, String> {
            let mut args = (*p.input).clone();
            let first = exec.execute_with(&variant, &mut args, ret, policy);
            if first.outcome != crate::sandbox::Outcome::Ok {
                return Err(format!("warm-up run: {}", first.outcome));
            }
            let mut d = Vec::with_capacity(runs);
            for _ in 0..runs {
                let mut args = (*p.input).clone();
                std::thread::sleep(gap);
                let t = Instant::now();
                exec.execute_with(&variant, &mut args, ret, policy);
                d.push(t.elapsed());
            }
            Ok(median_us(d))
        };
    let mut inproc = InProcess::default();
    let in_process_us = time(&mut inproc, &ExecPolicy::default(), Duration::ZERO)?;
    let mut config = SandboxConfig::locate()?;
    config.executors = 1;
    let mut pool = ExecPool::new(config.clone())?;
    let fork = ExecPolicy {
        isolation: Isolation::Fork,
        ..ExecPolicy::default()
    };
    let process = ExecPolicy {
        isolation: Isolation::Process,
        ..ExecPolicy::default()
    };
    let fork_us = time(&mut pool, &fork, Duration::ZERO)?;
    let fork_spaced_us = time(&mut pool, &fork, Duration::from_millis(5))?;
    let process_us = time(&mut pool, &process, Duration::ZERO)?;
    let executor_rss_kib = pool.pids().first().map_or(0, |pid| rss_kib(*pid));

    // Cold starts.
    let mut cold_exec = Vec::new();
    let mut cold_worker = Vec::new();
    let mut worker_rss_kib = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let mut one = ExecPool::new(SandboxConfig {
            executors: 1,
            ..config.clone()
        })?;
        let _ = one.confinement();
        cold_exec.push(t.elapsed());
        let t = Instant::now();
        let mut w = crate::sandbox::worker::WorkerPool::new(config.worker_binary.clone(), 1)?;
        let _ = w.confinement();
        cold_worker.push(t.elapsed());
        worker_rss_kib = w.pids().first().map_or(0, |pid| rss_kib(*pid));
    }

    // Replacement after a kill.
    let mut replace = Vec::new();
    for _ in 0..5 {
        let pid = pool.pids().first().copied().ok_or("no executor")?;
        let t = Instant::now();
        crate::sandbox::kill(pid);
        let mut args = (*p.input).clone();
        let e = pool.execute_with(&variant, &mut args, ret, &fork);
        if e.outcome != crate::sandbox::Outcome::Ok {
            return Err(format!("after a kill: {}", e.outcome));
        }
        replace.push(t.elapsed());
    }
    Ok(SandboxCosts {
        input: input.to_owned(),
        runs,
        in_process_us,
        fork_us,
        fork_spaced_us,
        process_us,
        cold_executor_us: median_us(cold_exec),
        cold_worker_us: median_us(cold_worker),
        replace_us: median_us(replace),
        executor_rss_kib,
        worker_rss_kib,
    })
}
