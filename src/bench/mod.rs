//! Measurements reported as ratios taken side by side in one run (these
//! machines are shared and noisy): the analyzer's cost per MiB, what serves
//! against generic and against hand-specialized references, a miss against
//! a hit, the sandbox's and the hit path's costs, throughput.

pub mod reference;

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

/// The median of a non-empty set of times in nanoseconds or microseconds.
fn median_of(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
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

use crate::cache::{CacheConfig, Verification};
use crate::engine::{Engine, EngineConfig, Served};
use crate::sandbox::pool::ExecPolicy;
use crate::sandbox::proto::Isolation;
use std::path::{Path, PathBuf};

/// One input's specialized variant against its generic build, measured
/// interleaved in one executor.
#[derive(Debug, Clone, Serialize)]
pub struct Speedup {
    pub input: PathBuf,
    pub kernel: String,
    pub profile: String,
    /// What serves the input: the selected variant, a fallback of its
    /// chain, or generic (the guard or verification refused the others).
    pub served_by: Served,
    /// The profile of what serves.
    pub served_profile: String,
    pub generic_ns: u64,
    /// What serves, timed (generic's time again when generic serves).
    pub variant_ns: u64,
    /// generic / what serves: above 1 it is faster.
    pub speedup: f64,
    /// The selected variant agrees with generic on this input (§6).
    pub verified: bool,
    /// The guard's verdict on the selected variant, when it was timed.
    pub guard: Option<crate::cache::Timed>,
    pub runs: usize,
    /// The hand-specialized builds of `kernels/reference/`, timed in the
    /// same loop (empty when there is none for this kernel).
    pub references: Vec<reference::RefTime>,
    /// The fastest reference build whose results agree with generic
    /// within the selected Plan's tolerance: its speedup over generic.
    pub best_reference: Option<f64>,
    /// What serves against that reference: speedup / best_reference.
    pub vs_reference: Option<f64>,
}

/// An engine for measuring: memory cache only, so nothing measured comes
/// from an earlier run's disk.
fn bench_engine(profiles: &Path) -> Result<Engine, String> {
    Engine::new(EngineConfig {
        profiles: profiles.to_owned(),
        cache: CacheConfig {
            dir: None,
            ..CacheConfig::default()
        },
        pools: Default::default(),
        shadow: crate::engine::DEFAULT_SHADOW,
        fleet: Default::default(),
        key_budget: Default::default(),
    })
    .map_err(|e| e.to_string())
}

/// Builds (in a worker) the selected variant and the generic build of one
/// input, through the request path, and times both in one executor
/// (`process` isolation: the kernel's own time, no fork), alternating,
/// `runs` times each; the medians are compared.
/// With `references`, the kernel's hand-specialized builds found there are
/// timed in the same loop.
pub fn speedup(
    input: &Path,
    profiles: &Path,
    runs: usize,
    references: Option<&Path>,
) -> Result<Speedup, String> {
    let engine = bench_engine(profiles)?;
    speedup_in(&engine, input, runs, references)
}

fn speedup_in(
    engine: &Engine,
    input: &Path,
    runs: usize,
    references: Option<&Path>,
) -> Result<Speedup, String> {
    let made = engine.spec_request(input).map_err(|e| e.to_string())?;
    let first = engine
        .run(made.request.clone())
        .map_err(|e| e.to_string())?;
    let variant = engine
        .cache()
        .load(&first.served_key)
        .map_err(|e| e.to_string())?;
    let input_data = &made.request.input;
    let generic = engine
        .generic_variant(&made.kernel, input_data)
        .map_err(|e| e.to_string())?;
    let verified = first.verification == Verification::Verified;
    let ret = made.kernel.signature.ret;
    let policy = ExecPolicy {
        isolation: Isolation::Process,
        ..ExecPolicy::default()
    };
    let time = |v: &crate::cache::Variant| -> Result<u64, String> {
        let (e, _) = engine.execute_variant(v, input_data, ret, &policy);
        if e.outcome != crate::sandbox::Outcome::Ok {
            return Err(format!("{}: {}", input.display(), e.outcome));
        }
        Ok(e.kernel_nanos)
    };
    // The references, each checked against generic's results under the
    // selected Plan's tolerance.
    let mut refs: Vec<(String, crate::cache::Variant, Option<String>)> = Vec::new();
    let source = references.and_then(|d| reference::find(d, &made.kernel.signature.entry));
    if let Some(source) = &source {
        let (g_exec, g_out) = engine.execute_variant(&generic, input_data, ret, &policy);
        for (label, flags) in reference::BUILDS {
            let built = reference::build(
                source,
                &made.kernel,
                input_data,
                flags,
                engine.host(),
                &variant.plan,
            )?;
            let (r_exec, r_out) = engine.execute_variant(&built, input_data, ret, &policy);
            let differs = crate::engine::verify::compare_outputs(
                &variant.plan.tolerance,
                input_data,
                &g_exec,
                &g_out,
                &r_exec,
                &r_out,
            )
            .err();
            refs.push((label.to_owned(), built, differs));
        }
    }
    // Warm every build (loading, caches).
    time(&generic)?;
    time(&variant)?;
    for (_, r, _) in &refs {
        time(r)?;
    }
    let runs = runs.max(1);
    let (mut g, mut v) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    let mut r: Vec<Vec<u64>> = vec![Vec::with_capacity(runs); refs.len()];
    for _ in 0..runs {
        g.push(time(&generic)?);
        v.push(time(&variant)?);
        for (i, (_, built, _)) in refs.iter().enumerate() {
            r[i].push(time(built)?);
        }
    }
    let (gm, vm) = (median_of(g), median_of(v));
    let references: Vec<reference::RefTime> = refs
        .into_iter()
        .zip(r)
        .map(|((build, _, differs), times)| {
            let ns = median_of(times);
            reference::RefTime {
                build,
                ns,
                speedup: gm as f64 / ns.max(1) as f64,
                differs,
            }
        })
        .collect();
    let best_reference = references
        .iter()
        .filter(|r| r.differs.is_none())
        .map(|r| r.speedup)
        .reduce(f64::max);
    let generic_serves = first.served_by == Served::Generic;
    let speedup = if generic_serves {
        1.0
    } else {
        gm as f64 / (vm.max(1)) as f64
    };
    Ok(Speedup {
        input: input.to_owned(),
        kernel: made.kernel.name.clone(),
        profile: first.profile.clone(),
        served_by: first.served_by,
        served_profile: variant.plan.profile.clone(),
        generic_ns: gm,
        variant_ns: if generic_serves { gm } else { vm },
        speedup,
        verified,
        guard: first.timed,
        runs,
        references,
        best_reference,
        vs_reference: best_reference.map(|b| speedup / b),
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
    /// The guard's timing runs against generic.
    pub timing_us: u64,
    /// What autotune's extra candidates added (their builds, verification
    /// and timing).
    pub tune_us: u64,
    /// Transform and codegen of what serves, its own build alone
    /// (verification aside), on the warm engine's miss.
    pub synthesis_us: u64,
    /// `clang-19 -O3 -c` of the kernel's C source, median of 3.
    pub clang_o3_us: Option<u64>,
    /// Median over the hits.
    pub hit_us: u64,
    /// Of the hits (medians): the analyzer's time and the kernel's, and
    /// analyze / kernel.
    pub analyze_us: u64,
    pub kernel_us: u64,
    pub analyzer_share: f64,
    pub ratio: f64,
    /// Tiered serving: the first request of the key, with the kernel's
    /// generic build cached (generic answers; the variant builds behind).
    pub tiered_first_us: u64,
    /// A hit on the generic build (median), measured beside it.
    pub generic_hit_us: u64,
    /// tiered_first / generic_hit.
    pub tiered_ratio: f64,
}

pub fn miss_hit(input: &Path, profiles: &Path, hits: usize) -> Result<MissHit, String> {
    let engine = bench_engine(profiles)?;
    // The first request also loads the kernel (clang for C); a second
    // engine-level warm-up would hide that, so measure a miss on a warm
    // kernel: run once, clear the cache, run again.
    engine.run_spec(input).map_err(|e| e.to_string())?;
    engine.cache().clear().map_err(|e| e.to_string())?;
    let miss = engine.run_spec(input).map_err(|e| e.to_string())?;
    let synthesis_us = engine
        .cache()
        .load(&miss.served_key)
        .map_or(0, |v| v.transform_micros + v.codegen_micros);
    let (mut h, mut an, mut k) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..hits.max(1) {
        let r = engine.run_spec(input).map_err(|e| e.to_string())?;
        if !r.hit {
            return Err(format!("{}: the repeat was not a hit", input.display()));
        }
        h.push(r.timings.total);
        an.push(r.timings.analyze);
        k.push(r.timings.execute);
    }
    let (hit_us, analyze_us, kernel_us) = (median_of(h), median_of(an), median_of(k));
    let clang_o3_us = crate::input::InputSpec::load(input)
        .ok()
        .and_then(|spec| reference::clang_o3_us(&spec.kernel, 3));

    // Tiered: a new key of a kernel whose generic build is cached.
    engine.cache().clear().map_err(|e| e.to_string())?;
    let made = engine.spec_request(input).map_err(|e| e.to_string())?;
    let mut generic_request = made.request.clone();
    generic_request.profile = Some(crate::profile::GENERIC.to_owned());
    engine
        .run(generic_request.clone())
        .map_err(|e| e.to_string())?;
    let mut g: Vec<u64> = Vec::new();
    for _ in 0..hits.max(1) {
        let r = engine
            .run(generic_request.clone())
            .map_err(|e| e.to_string())?;
        g.push(r.timings.total);
    }
    g.sort_unstable();
    let generic_hit_us = g[g.len() / 2];
    engine.serve_tiered(true);
    let first = engine.run(made.request.clone());
    engine.serve_tiered(false);
    let tiered_first_us = first.map_err(|e| e.to_string())?.timings.total;
    // Let the background build end before the engine goes.
    let until = Instant::now() + Duration::from_secs(120);
    while engine.pending() > 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(MissHit {
        input: input.to_owned(),
        profile: miss.profile.clone(),
        miss_us: miss.timings.total,
        transform_us: miss.timings.transform,
        codegen_us: miss.timings.codegen,
        verify_us: miss.timings.verify,
        timing_us: miss.timings.timing,
        synthesis_us,
        tune_us: miss.timings.tune,
        clang_o3_us,
        hit_us,
        analyze_us,
        kernel_us,
        analyzer_share: analyze_us as f64 / kernel_us.max(1) as f64,
        ratio: miss.timings.total as f64 / hit_us.max(1) as f64,
        tiered_first_us,
        generic_hit_us,
        tiered_ratio: tiered_first_us as f64 / generic_hit_us.max(1) as f64,
    })
}

// ---- the sandbox's costs ---------------------------------------------------

use crate::sandbox::pool::{ExecPool, SandboxConfig};

/// Medians in microseconds of one execution of a trivial kernel, measured
/// round trip from the engine's side, per executor and isolation mode.
#[derive(Debug, Clone, Serialize)]
pub struct SandboxCosts {
    pub input: PathBuf,
    pub runs: usize,
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

/// A process's resident memory in KiB (0 when it cannot be read).
pub(crate) fn rss_kib(pid: u32) -> u64 {
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
    // The generic build, made by the engine's workers like any variant.
    let engine = bench_engine(profiles)?;
    let made = engine.spec_request(input).map_err(|e| e.to_string())?;
    let data = made.request.input.clone();
    let variant = engine
        .generic_variant(&made.kernel, &data)
        .map_err(|e| e.to_string())?;
    let ret = made.kernel.signature.ret;
    let runs = runs.max(3);
    let time = |exec: &ExecPool, policy: &ExecPolicy, gap: Duration| -> Result<f64, String> {
        let (first, _) = exec.execute(&variant, &data, ret, policy);
        if first.outcome != crate::sandbox::Outcome::Ok {
            return Err(format!("warm-up run: {}", first.outcome));
        }
        let mut d = Vec::with_capacity(runs);
        for _ in 0..runs {
            std::thread::sleep(gap);
            let t = Instant::now();
            exec.execute(&variant, &data, ret, policy);
            d.push(t.elapsed());
        }
        Ok(median_us(d))
    };
    let mut config = SandboxConfig::locate().map_err(|e| e.to_string())?;
    config.executors = 1;
    let pool = ExecPool::new(config.clone()).map_err(|e| e.to_string())?;
    let fork = ExecPolicy {
        isolation: Isolation::Fork,
        ..ExecPolicy::default()
    };
    let process = ExecPolicy {
        isolation: Isolation::Process,
        ..ExecPolicy::default()
    };
    let fork_us = time(&pool, &fork, Duration::ZERO)?;
    let fork_spaced_us = time(&pool, &fork, Duration::from_millis(5))?;
    let process_us = time(&pool, &process, Duration::ZERO)?;
    let executor_rss_kib = pool.pids().first().map_or(0, |pid| rss_kib(*pid));

    // Cold starts.
    let mut cold_exec = Vec::new();
    let mut cold_worker = Vec::new();
    let mut worker_rss_kib = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let one = ExecPool::new(SandboxConfig {
            executors: 1,
            ..config.clone()
        })
        .map_err(|e| e.to_string())?;
        let _ = one.confinement();
        cold_exec.push(t.elapsed());
        let t = Instant::now();
        let w = crate::sandbox::worker::WorkerPool::new(config.worker_binary.clone(), 1)
            .map_err(|e| e.to_string())?;
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
        let (e, _) = pool.execute(&variant, &data, ret, &fork);
        if e.outcome != crate::sandbox::Outcome::Ok {
            return Err(format!("after a kill: {}", e.outcome));
        }
        replace.push(t.elapsed());
    }
    Ok(SandboxCosts {
        input: input.to_owned(),
        runs,
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

// ---- the hit path ----------------------------------------------------------

use std::collections::BTreeMap;

/// p50 and p99 of one quantity, in microseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Spread {
    pub p50_us: f64,
    pub p99_us: f64,
}

fn spread(mut v: Vec<f64>) -> Spread {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| {
        v.get(((v.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    Spread {
        p50_us: at(0.5),
        p99_us: at(0.99),
    }
}

/// A cached request's cost end to end, stage by stage, beside the floors
/// it is judged against, measured in the same run.
#[derive(Debug, Clone, Serialize)]
pub struct HitCase {
    pub input: PathBuf,
    pub isolation: String,
    pub runs: usize,
    /// The pause between hits (0: back to back).
    pub interval_us: u64,
    pub p50_total_us: f64,
    pub p99_total_us: f64,
    pub p50_kernel_us: f64,
    /// Everything but the kernel: total minus the kernel's own time.
    pub p50_overhead_us: f64,
    pub p99_overhead_us: f64,
    /// Each stage of `Timings` (and the executor round trip).
    pub stages: BTreeMap<String, Spread>,
    /// A round trip of one byte over a pair of pipes to another thread.
    pub pipe_rtt_us: f64,
    /// One `memcpy` of the input's array bytes into a warm buffer.
    pub memcpy_us: f64,
    pub overhead_over_rtt: f64,
    pub overhead_over_memcpy: f64,
}

/// The median round trip of one byte through two pipes to a thread that
/// echoes it.
fn pipe_rtt_us(runs: usize) -> f64 {
    use std::io::{Read, Write};
    use std::os::fd::FromRawFd;
    let pipe = || -> Option<(std::fs::File, std::fs::File)> {
        let mut fds = [0i32; 2];
        // SAFETY: pipe(2) fills two descriptors we then own.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return None;
        }
        // SAFETY: both are fresh descriptors owned by nobody else.
        Some(unsafe {
            (
                std::fs::File::from_raw_fd(fds[0]),
                std::fs::File::from_raw_fd(fds[1]),
            )
        })
    };
    let (Some((mut to_r, mut to_w)), Some((mut back_r, mut back_w))) = (pipe(), pipe()) else {
        return 0.0;
    };
    let echo = std::thread::spawn(move || {
        let mut b = [0u8; 1];
        while to_r.read_exact(&mut b).is_ok() && b[0] != 0 {
            if back_w.write_all(&b).is_err() {
                break;
            }
        }
    });
    let mut d = Vec::with_capacity(runs);
    let mut b = [1u8; 1];
    for _ in 0..runs.max(1) + 10 {
        let t = Instant::now();
        if to_w.write_all(&[1]).is_err() || back_r.read_exact(&mut b).is_err() {
            break;
        }
        d.push(t.elapsed());
    }
    let _ = to_w.write_all(&[0]);
    let _ = echo.join();
    median_us(d.split_off(d.len().min(10)))
}

/// The median time of one copy of `bytes` bytes between warm buffers.
fn memcpy_us(bytes: usize, runs: usize) -> f64 {
    let src = vec![1u8; bytes.max(1)];
    let mut dst = vec![0u8; bytes.max(1)];
    let mut d = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        dst.copy_from_slice(std::hint::black_box(&src));
        std::hint::black_box(&dst);
        d.push(t.elapsed());
    }
    median_us(d)
}

/// `tailor bench hitpath`: each input's cached request, `runs` times per
/// isolation mode, after one warm-up miss, `interval` apart (from the end of
/// one to the start of the next). Back to back (`interval` zero), a hit in
/// fork isolation also waits for the executors to reap and fork for the
/// hits before it; at an interval longer than that tidying, it measures a
/// hit alone. The caller stays busy through the interval (sleeping would
/// add the machine's wake-up from idle to the next hit).
pub fn hitpath(
    inputs: &[PathBuf],
    profiles: &Path,
    runs: usize,
    interval: Duration,
) -> Result<Vec<HitCase>, String> {
    let engine = bench_engine(profiles)?;
    let runs = runs.max(10);
    let mut cases = Vec::new();
    for input in inputs {
        let made = engine.spec_request(input).map_err(|e| e.to_string())?;
        let bytes = made.request.input.total_bytes();
        for isolation in [Isolation::Fork, Isolation::Process] {
            let mut request = made.request.clone();
            request.isolation = Some(isolation);
            // The miss (and a first hit, which loads the variant).
            for _ in 0..2 {
                engine.run(request.clone()).map_err(|e| e.to_string())?;
            }
            let mut total = Vec::with_capacity(runs);
            let mut kernel = Vec::with_capacity(runs);
            let mut overhead = Vec::with_capacity(runs);
            let mut stages: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
            for _ in 0..runs {
                let pause = Instant::now();
                while pause.elapsed() < interval {
                    std::hint::spin_loop();
                }
                let t = Instant::now();
                let r = engine.run(request.clone()).map_err(|e| e.to_string())?;
                let wall = t.elapsed().as_secs_f64() * 1e6;
                if !r.hit {
                    return Err(format!("{}: a repeat was not a hit", input.display()));
                }
                if r.execution.outcome != crate::sandbox::Outcome::Ok {
                    return Err(format!("{}: {}", input.display(), r.execution.outcome));
                }
                let k = r.execution.kernel_nanos as f64 / 1e3;
                total.push(wall);
                kernel.push(k);
                overhead.push((wall - k).max(0.0));
                let tm = r.timings;
                for (name, us) in [
                    ("prepare", tm.prepare),
                    ("analyze", tm.analyze),
                    ("decide", tm.decide),
                    ("lookup", tm.lookup),
                    ("guard", tm.guard),
                    ("roundtrip", tm.roundtrip),
                    ("kernel", tm.execute),
                ] {
                    stages.entry(name).or_default().push(us as f64);
                }
            }
            let pipe = pipe_rtt_us(runs);
            let copy = memcpy_us(bytes, 31);
            let (t, k, o) = (spread(total), spread(kernel), spread(overhead));
            cases.push(HitCase {
                input: input.clone(),
                isolation: isolation.name().to_owned(),
                runs,
                interval_us: interval.as_micros() as u64,
                p50_total_us: t.p50_us,
                p99_total_us: t.p99_us,
                p50_kernel_us: k.p50_us,
                p50_overhead_us: o.p50_us,
                p99_overhead_us: o.p99_us,
                stages: stages
                    .into_iter()
                    .map(|(n, v)| (n.to_owned(), spread(v)))
                    .collect(),
                pipe_rtt_us: pipe,
                memcpy_us: copy,
                overhead_over_rtt: o.p50_us / pipe.max(0.001),
                overhead_over_memcpy: o.p50_us / copy.max(0.001),
            });
        }
    }
    Ok(cases)
}

// ---- throughput ------------------------------------------------------------

/// Cached requests per second with `threads` callers on one engine.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub input: PathBuf,
    pub isolation: String,
    pub threads: usize,
    pub requests: u64,
    pub seconds: f64,
    pub per_second: f64,
}

/// Runs the input's cached request back to back from 1, 2, 4, ... threads
/// for `seconds` each, in each isolation mode.
pub fn throughput(
    input: &Path,
    profiles: &Path,
    threads: &[usize],
    seconds: f64,
) -> Result<Vec<Throughput>, String> {
    let engine = bench_engine(profiles)?;
    let made = engine.spec_request(input).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for isolation in [Isolation::Fork, Isolation::Process] {
        let mut request = made.request.clone();
        request.isolation = Some(isolation);
        for _ in 0..2 {
            engine.run(request.clone()).map_err(|e| e.to_string())?;
        }
        for &n in threads {
            let until = Instant::now() + Duration::from_secs_f64(seconds);
            let started = Instant::now();
            let counts: Vec<Result<u64, String>> = std::thread::scope(|s| {
                let workers: Vec<_> = (0..n.max(1))
                    .map(|_| {
                        let (engine, request) = (engine.clone(), request.clone());
                        s.spawn(move || -> Result<u64, String> {
                            let mut done = 0;
                            while Instant::now() < until {
                                let r = engine.run(request.clone()).map_err(|e| e.to_string())?;
                                if r.execution.outcome != crate::sandbox::Outcome::Ok {
                                    return Err(r.execution.outcome.to_string());
                                }
                                done += 1;
                            }
                            Ok(done)
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .map(|w| w.join().unwrap_or_else(|_| Err("a thread panicked".into())))
                    .collect()
            });
            let elapsed = started.elapsed().as_secs_f64();
            let mut requests = 0;
            for c in counts {
                requests += c?;
            }
            out.push(Throughput {
                input: input.to_owned(),
                isolation: isolation.name().to_owned(),
                threads: n.max(1),
                requests,
                seconds: elapsed,
                per_second: requests as f64 / elapsed.max(1e-9),
            });
        }
    }
    Ok(out)
}
