//! `tailor run` and `tailor replay`: requests through the engine, with the
//! event trace, the step log, IR and diffs, and replay statistics.

use super::trace::{line, ms};
use super::{json_text, table::Table, CliError, Output};
use crate::cache::Variant;
use crate::engine::{Engine, EngineConfig, Event, Response, Served};
use crate::input::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

pub struct RunOptions {
    pub repeat: usize,
    pub json: bool,
    pub steps: bool,
    pub ir: Option<String>,
    pub diff: Option<String>,
    /// Run this profile instead of the one selection picks.
    pub profile: Option<String>,
}

fn drain(events: &Receiver<Event>, json: bool, out: &mut String) {
    for e in events.try_iter() {
        if json {
            let _ = writeln!(out, "{}", serde_json::to_string(&e).unwrap_or_default());
        } else {
            let _ = writeln!(out, "{}", line(&e));
        }
    }
}

/// A step by node name or by number (0 is `prepare`).
fn find_step<'a>(
    variant: &'a Variant,
    which: &str,
) -> Result<(usize, &'a crate::transform::log::StepRecord), CliError> {
    let found = match which.parse::<usize>() {
        Ok(i) => variant.steps.get(i).map(|s| (i, s)),
        Err(_) => variant
            .steps
            .iter()
            .enumerate()
            .find(|(_, s)| s.node == which),
    };
    found.ok_or_else(|| {
        let names: Vec<String> = variant
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{i}:{}", s.node))
            .collect();
        CliError::Other(format!("no step `{which}` (steps: {})", names.join(", ")))
    })
}

pub fn step_table(variant: &Variant) -> String {
    let mut t = Table::new(&[
        "#",
        "node",
        "transform",
        "time",
        "instr",
        "blocks",
        "loops",
        "vector",
        "indirect",
        "note",
    ]);
    let arrow = |a: u32, b: u32| {
        if a == b {
            a.to_string()
        } else {
            format!("{a}→{b}")
        }
    };
    for (i, s) in variant.steps.iter().enumerate() {
        t.row(vec![
            i.to_string(),
            s.node.clone(),
            s.transform.clone(),
            ms(s.micros),
            arrow(s.before.instructions, s.after.instructions),
            arrow(s.before.blocks, s.after.blocks),
            arrow(s.before.loops, s.after.loops),
            arrow(s.before.vector_instructions, s.after.vector_instructions),
            arrow(s.before.indirect_calls, s.after.indirect_calls),
            s.note.clone(),
        ]);
    }
    t.render()
}

/// The unified diff of the IR before and after a step.
pub fn step_diff(variant: &Variant, kernel_ir: Option<&str>, index: usize) -> String {
    let after = &variant.steps[index].ir_after;
    let before = if index == 0 {
        kernel_ir.unwrap_or("")
    } else {
        &variant.steps[index - 1].ir_after
    };
    let diff = similar::TextDiff::from_lines(before, after);
    let from = if index == 0 {
        "kernel".to_owned()
    } else {
        format!("after {}", variant.steps[index - 1].node)
    };
    diff.unified_diff()
        .context_radius(3)
        .header(&from, &format!("after {}", variant.steps[index].node))
        .to_string()
}

pub fn run(config: EngineConfig, input: &Path, opts: &RunOptions) -> Result<Output, CliError> {
    let engine = Engine::new(config)?;
    let events = engine.subscribe();
    let mut out = String::new();
    let mut ok = true;
    let mut last: Option<Response> = None;
    for _ in 0..opts.repeat.max(1) {
        let result = engine.run_spec_with(input, opts.profile.as_deref());
        drain(&events, opts.json, &mut out);
        match result {
            Ok(r) => {
                ok &= r.execution.outcome == crate::sandbox::Outcome::Ok;
                if !opts.json {
                    out.push('\n');
                }
                last = Some(r);
            }
            Err(e) => {
                return Err(CliError::Other(format!("{e}")));
            }
        }
    }
    if let Some(r) = &last {
        if opts.steps || opts.ir.is_some() || opts.diff.is_some() {
            let variant = engine.cache().load(&r.key)?;
            if opts.steps {
                if opts.json {
                    let steps: Vec<_> = variant
                        .steps
                        .iter()
                        .map(crate::engine::StepEvent::from)
                        .collect();
                    // One JSON value per line, like the events before it.
                    let _ = writeln!(out, "{}", json!({ "key": r.key, "steps": steps }));
                } else {
                    let _ = writeln!(out, "steps of variant {} ({}):", &r.key[..12], r.profile);
                    out.push_str(&step_table(&variant));
                }
            }
            if let Some(which) = &opts.ir {
                let (_, s) = find_step(&variant, which)?;
                out.push_str(&s.ir_after);
            }
            if let Some(which) = &opts.diff {
                let (i, _) = find_step(&variant, which)?;
                // The kernel's IR comes from a worker, as on the request path.
                let kernel = engine.spec_request(input)?.kernel;
                out.push_str(&step_diff(&variant, Some(&kernel.ir), i));
            }
        }
    }
    Ok(Output { text: out, ok })
}

// ---- replay ----------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Workload {
    requests: Vec<WorkloadEntry>,
    /// With weights: how many requests to draw.
    #[serde(default)]
    count: Option<usize>,
    /// Interleave the requests in a seeded random order.
    #[serde(default)]
    shuffle: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkloadEntry {
    input: PathBuf,
    #[serde(default)]
    repeat: Option<usize>,
    #[serde(default)]
    weight: Option<f64>,
}

/// The requests a workload file stands for, in order.
pub fn workload_requests(path: &Path) -> Result<Vec<PathBuf>, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Other(format!("{}: {e}", path.display())))?;
    let w: Workload = serde_yaml::from_str(&text)
        .map_err(|e| CliError::Other(format!("{}: {e}", path.display())))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let resolve = |p: &Path| {
        if p.is_absolute() {
            p.to_owned()
        } else {
            base.join(p)
        }
    };
    let mut out = Vec::new();
    let weighted: Vec<(PathBuf, f64)> = w
        .requests
        .iter()
        .filter_map(|e| e.weight.map(|wt| (resolve(&e.input), wt)))
        .collect();
    for e in &w.requests {
        if e.weight.is_some() && e.repeat.is_some() {
            return Err(CliError::Other(format!(
                "{}: `{}` has both `repeat` and `weight`; give one",
                path.display(),
                e.input.display()
            )));
        }
        if e.weight.is_none() {
            out.extend(std::iter::repeat_n(
                resolve(&e.input),
                e.repeat.unwrap_or(1),
            ));
        }
    }
    let mut rng = Rng::new(w.shuffle.unwrap_or(0));
    if !weighted.is_empty() {
        let total: f64 = weighted.iter().map(|(_, wt)| wt.max(0.0)).sum();
        let count = w.count.ok_or_else(|| {
            CliError::Other(format!(
                "{}: weighted requests need a top-level `count`",
                path.display()
            ))
        })?;
        if total <= 0.0 {
            return Err(CliError::Other(format!(
                "{}: the weights add up to 0",
                path.display()
            )));
        }
        for _ in 0..count {
            let mut x = rng.next_f64() * total;
            let pick = weighted
                .iter()
                .find(|(_, wt)| {
                    x -= wt.max(0.0);
                    x < 0.0
                })
                .unwrap_or(&weighted[weighted.len() - 1]);
            out.push(pick.0.clone());
        }
    }
    if w.shuffle.is_some() {
        for i in (1..out.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            out.swap(i, j);
        }
    }
    if out.is_empty() {
        return Err(CliError::Other(format!(
            "{}: the workload has no requests",
            path.display()
        )));
    }
    Ok(out)
}

#[derive(Debug, Default, Serialize)]
pub struct Latency {
    pub requests: usize,
    pub hits: usize,
    pub hit_rate: f64,
    pub p50_us: u64,
    pub p95_us: u64,
    pub p99_us: u64,
}

fn latency(mut totals: Vec<u64>, hits: usize) -> Latency {
    totals.sort_unstable();
    let q = |p: f64| {
        if totals.is_empty() {
            0
        } else {
            totals[((totals.len() as f64 * p).ceil() as usize).clamp(1, totals.len()) - 1]
        }
    };
    Latency {
        requests: totals.len(),
        hits,
        hit_rate: if totals.is_empty() {
            0.0
        } else {
            hits as f64 / totals.len() as f64
        },
        p50_us: q(0.50),
        p95_us: q(0.95),
        p99_us: q(0.99),
    }
}

#[derive(Debug, Serialize)]
pub struct ReplayReport {
    pub workload: PathBuf,
    pub overall: Latency,
    pub per_profile: BTreeMap<String, Latency>,
    /// Outcome → count (`ok`, `served_by_generic`, `error`, ...).
    pub outcomes: BTreeMap<String, usize>,
    pub errors: Vec<String>,
}

pub fn replay(config: EngineConfig, workload: &Path, json: bool) -> Result<Output, CliError> {
    let requests = workload_requests(workload)?;
    let engine = Engine::new(config)?;
    let bar = indicatif::ProgressBar::new(requests.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} {msg} ({elapsed}, eta {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut totals: Vec<u64> = Vec::new();
    let mut hits = 0;
    let mut per: BTreeMap<String, (Vec<u64>, usize)> = BTreeMap::new();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut errors = Vec::new();
    for r in &requests {
        bar.set_message(
            r.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_owned(),
        );
        match engine.run_spec(r) {
            Ok(resp) => {
                totals.push(resp.timings.total);
                hits += usize::from(resp.hit);
                let e = per.entry(resp.profile.clone()).or_default();
                e.0.push(resp.timings.total);
                e.1 += usize::from(resp.hit);
                *outcomes
                    .entry(resp.execution.outcome.to_string())
                    .or_default() += 1;
                if resp.served_by == Served::Generic && resp.profile != crate::profile::GENERIC {
                    *outcomes.entry("served by generic".to_owned()).or_default() += 1;
                }
            }
            Err(e) => {
                *outcomes.entry("error".to_owned()).or_default() += 1;
                if errors.len() < 20 {
                    // The engine's errors already name the file.
                    errors.push(e.to_string());
                }
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let report = ReplayReport {
        workload: workload.to_owned(),
        overall: latency(totals, hits),
        per_profile: per
            .into_iter()
            .map(|(k, (t, h))| (k, latency(t, h)))
            .collect(),
        outcomes,
        errors,
    };
    let ok = report.errors.is_empty();
    if json {
        return Ok(Output {
            text: json_text(json!(report)),
            ok,
        });
    }
    let mut out = String::new();
    let failed = requests.len() - report.overall.requests;
    let _ = writeln!(
        out,
        "replayed {} requests from {}{}: hit rate {:.1}%",
        requests.len(),
        workload.display(),
        if failed > 0 {
            format!(" ({failed} failed)")
        } else {
            String::new()
        },
        report.overall.hit_rate * 100.0
    );
    let mut t = Table::new(&["profile", "requests", "hit rate", "p50", "p95", "p99"]);
    for (name, l) in report
        .per_profile
        .iter()
        .chain([(&"(all)".to_owned(), &report.overall)])
    {
        t.row(vec![
            name.clone(),
            l.requests.to_string(),
            format!("{:.1}%", l.hit_rate * 100.0),
            ms(l.p50_us),
            ms(l.p95_us),
            ms(l.p99_us),
        ]);
    }
    out.push_str(&t.render());
    let outcomes: Vec<String> = report
        .outcomes
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let _ = writeln!(out, "outcomes: {}", outcomes.join(", "));
    for e in &report.errors {
        let _ = writeln!(out, "error: {e}");
    }
    Ok(Output { text: out, ok })
}

/// `tailor run --connect URL INPUT`: the spec's request sent to a service.
pub fn run_remote(
    url: &str,
    token_file: Option<&Path>,
    input: &Path,
    profile: Option<&str>,
    repeat: usize,
    as_json: bool,
) -> Result<Output, CliError> {
    use crate::service::client::{token, Client};
    let client = Client::new(url, token(token_file).map_err(CliError::Other)?);
    let (request, parts) = client
        .spec_request(input, profile)
        .map_err(CliError::Other)?;
    let mut out = String::new();
    for i in 0..repeat.max(1) {
        let v = client.run(&request, &parts).map_err(CliError::Other)?;
        if as_json {
            out.push_str(&v.to_string());
            out.push('\n');
            continue;
        }
        out.push_str(&remote_answer(i + 1, &v));
    }
    Ok(Output::ok(out))
}

/// One answer of `POST /v1/run`, as lines a person reads.
fn remote_answer(n: usize, v: &serde_json::Value) -> String {
    let mut out = String::new();
    let s = |v: &serde_json::Value| -> String {
        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
    };
    let plan: Option<crate::profile::Plan> = serde_json::from_value(v["plan"].clone()).ok();
    let cache = &v["cache"];
    let key: String = s(&cache["key"]).chars().take(12).collect();
    let tier = if cache["hit"] == json!(true) {
        format!("hit ({})", s(&cache["tier"]))
    } else {
        "miss".to_owned()
    };
    let outcome = s(&v["outcome"]["outcome"]);
    let result = match v["result"].as_object().and_then(|m| m.iter().next()) {
        Some((ty, x)) => format!("{x} ({ty})"),
        None => "none".to_owned(),
    };
    let t = &v["timings"];
    let us = |k: &str| ms(t[k].as_u64().unwrap_or(0));
    let _ = writeln!(
        out,
        "#{n} {} · profile {} · {tier} {key} · {outcome} · {}",
        s(&v["kernel"]),
        s(&v["profile"]),
        s(&v["isolation"])
    );
    if let Some(p) = plan {
        let _ = writeln!(out, "   plan      {}", super::plan_text(&p));
    }
    let _ = writeln!(
        out,
        "   result    {result} · served by {}",
        s(&v["served_by"])
    );
    if let Some(outs) = v["outputs"].as_object() {
        for (name, o) in outs {
            let head: Vec<String> = o["data"]
                .as_array()
                .or_else(|| o["head"].as_array())
                .map(|d| d.iter().take(6).map(|x| x.to_string()).collect())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "   out {name}   {}[{}] {}{}",
                s(&o["array"]),
                o["len"],
                head.join(", "),
                if o["len"].as_u64().unwrap_or(0) > 6 {
                    ", …"
                } else {
                    ""
                }
            );
        }
    }
    let _ = writeln!(
        out,
        "   timings   total {} (analyze {}, decide {}, build {}, kernel {}, round trip {})",
        us("total"),
        us("analyze"),
        us("decide"),
        us("build"),
        us("execute"),
        us("roundtrip")
    );
    out
}
