//! The headless commands behind `main.rs`: each takes paths and options,
//! calls the library, and returns the text to print (or JSON). Errors are
//! values; `main` prints them to stderr and exits non-zero.

pub mod cache;
pub mod run;
mod table;
pub mod trace;

use crate::engine::{load_store, Engine, EngineConfig, EngineError, Prepared};
use crate::profile::{Plan, Profile, ProfileError, Verdict};
use serde_json::json;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use table::Table;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    #[error("{}", render_profile_errors(.0))]
    Profiles(Vec<ProfileError>),
    #[error("{0}")]
    Other(String),
}

fn render_profile_errors(errors: &[ProfileError]) -> String {
    errors
        .iter()
        .map(|e| format!("error: {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a command prints and whether it succeeded.
pub struct Output {
    pub text: String,
    pub ok: bool,
}

impl Output {
    fn ok(text: String) -> Output {
        Output { text, ok: true }
    }
}

fn json_text(value: serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}

// ---- analyze ---------------------------------------------------------------

/// `tailor analyze INPUT`: the characteristic vector as a table or JSON.
pub fn analyze(config: EngineConfig, input: &Path, as_json: bool) -> Result<Output, CliError> {
    // The kernel is parsed in a sandboxed worker, as on the request path.
    let prepared = Engine::new(config)?.prepare(input)?;
    let v = &prepared.vector;
    if as_json {
        return Ok(Output::ok(json_text(json!({
            "input": input,
            "kernel": {
                "path": prepared.kernel.path,
                "entry": prepared.kernel.signature.entry,
                "signature": prepared.kernel.signature.to_string(),
                "hash": prepared.kernel.hash,
            },
            "sampled": v.sampled,
            "analysis_us": prepared.analysis_micros,
            "features": v.features(),
        }))));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} ({}, hash {})",
        input.display(),
        prepared.kernel.signature,
        prepared.kernel.path.display(),
        prepared.kernel.short_hash()
    );
    let mut t = Table::new(&["feature", "value", "accuracy"]);
    for f in v.features() {
        t.row(vec![
            f.name,
            f.value.to_string(),
            if f.exact { "exact" } else { "sampled" }.to_owned(),
        ]);
    }
    out.push_str(&t.render());
    let _ = writeln!(
        out,
        "analyzed in {:.3} ms{}",
        prepared.analysis_micros as f64 / 1e3,
        if v.sampled {
            " (sampled: see `tailor analyze --help` for the error bounds)"
        } else {
            ""
        }
    );
    Ok(Output::ok(out))
}

// ---- profiles --------------------------------------------------------------

/// `tailor profiles check`: every profile's state; fails on any error.
pub fn profiles_check(dir: &Path, as_json: bool) -> Output {
    let store = load_store(dir);
    let ok = store.errors().is_empty();
    if as_json {
        let profiles: Vec<_> = store
            .profiles()
            .iter()
            .map(|p| {
                json!({
                    "name": p.name, "file": p.file, "priority": p.priority,
                    "nodes": p.nodes.len(), "version": p.version,
                })
            })
            .collect();
        let errors: Vec<_> = store
            .errors()
            .iter()
            .map(|e| {
                json!({
                    "file": e.file, "line": e.line, "node": e.node, "message": e.to_string(),
                })
            })
            .collect();
        return Output {
            text: json_text(json!({ "ok": ok, "profiles": profiles, "errors": errors })),
            ok,
        };
    }
    let mut t = Table::new(&["profile", "priority", "nodes", "file"]);
    for p in store.profiles() {
        t.row(vec![
            p.name.clone(),
            p.priority.to_string(),
            p.nodes.len().to_string(),
            p.file.display().to_string(),
        ]);
    }
    let mut text = t.render();
    for e in store.errors() {
        let _ = writeln!(text, "error: {e}");
    }
    let _ = writeln!(
        text,
        "{} profile{} valid, {} error{}",
        store.profiles().len(),
        if store.profiles().len() == 1 { "" } else { "s" },
        store.errors().len(),
        if store.errors().len() == 1 { "" } else { "s" },
    );
    Output { text, ok }
}

fn find_profile(dir: &Path, name: &str) -> Result<std::sync::Arc<Profile>, CliError> {
    let store = load_store(dir);
    if let Some(p) = store.get(name) {
        return Ok(p.clone());
    }
    // A profile whose file does not load: show why.
    let mine: Vec<ProfileError> = store
        .errors()
        .iter()
        .filter(|e| e.file.file_stem().and_then(|s| s.to_str()) == Some(name))
        .cloned()
        .collect();
    if !mine.is_empty() {
        return Err(CliError::Profiles(mine));
    }
    let names: Vec<&str> = store.profiles().iter().map(|p| p.name.as_str()).collect();
    Err(CliError::Other(format!(
        "no profile `{name}` in {} (loaded: {})",
        dir.display(),
        names.join(", ")
    )))
}

/// `tailor profiles show NAME`.
pub fn profiles_show(dir: &Path, name: &str, as_json: bool) -> Result<Output, CliError> {
    let p = find_profile(dir, name)?;
    let order: Vec<&str> = p
        .dag
        .order
        .iter()
        .map(|&i| p.nodes[i].name.as_str())
        .collect();
    if as_json {
        let nodes: Vec<_> = p
            .nodes
            .iter()
            .map(|n| {
                json!({
                    "name": n.name,
                    "transform": n.transform.name(),
                    "params": n.params.iter().map(|(k, v)| (k.to_string(), param_text(v))).collect::<std::collections::BTreeMap<_, _>>(),
                    "after": n.after,
                    "when": n.when.as_ref().map(|w| w.source().to_owned()),
                    "line": n.line,
                })
            })
            .collect();
        return Ok(Output::ok(json_text(json!({
            "name": p.name, "file": p.file, "version": p.version, "priority": p.priority,
            "description": p.description,
            "match": p.matches.as_ref().map(|m| m.source().to_owned()),
            "tolerance": p.tolerance, "finish": p.finish, "nodes": nodes, "order": order,
        }))));
    }
    let mut out = String::new();
    let _ = writeln!(out, "profile   {} (version {})", p.name, p.version);
    let _ = writeln!(out, "file      {}", p.file.display());
    if !p.description.is_empty() {
        let _ = writeln!(out, "about     {}", p.description);
    }
    let _ = writeln!(out, "priority  {}", p.priority);
    let _ = writeln!(
        out,
        "match     {}",
        p.matches.as_ref().map_or("(always)", |m| m.source())
    );
    let _ = writeln!(
        out,
        "tolerance rel {} abs {}",
        p.tolerance.rel, p.tolerance.abs
    );
    let _ = writeln!(out, "finish    {}", p.finish);
    let _ = writeln!(out, "order     {}", order.join(" -> "));
    out.push('\n');
    let mut t = Table::new(&["node", "transform", "parameters", "after", "when", "line"]);
    for n in &p.nodes {
        t.row(vec![
            n.name.clone(),
            n.transform.name().to_owned(),
            n.params
                .iter()
                .map(|(k, v)| format!("{k}={}", param_text(v)))
                .collect::<Vec<_>>()
                .join(" "),
            n.after.join(", "),
            n.when
                .as_ref()
                .map_or(String::new(), |w| w.source().to_owned()),
            n.line.map_or(String::new(), |l| l.to_string()),
        ]);
    }
    out.push_str(&t.render());
    Ok(Output::ok(out))
}

fn param_text(v: &crate::profile::params::ParamValue) -> String {
    use crate::profile::params::{BindKind, BindSpec, BindValue, ParamValue};
    match v {
        ParamValue::Int(i) => i.to_string(),
        ParamValue::Bool(b) => b.to_string(),
        ParamValue::Text(t) => t.clone(),
        ParamValue::Expr(e) => format!("({})", e.source()),
        ParamValue::Bind(BindSpec::Kind(k)) => match k {
            BindKind::Ints => "ints",
            BindKind::Floats => "floats",
            BindKind::Scalars => "scalars",
        }
        .to_owned(),
        ParamValue::Bind(BindSpec::Named(pairs)) => {
            let inner: Vec<String> = pairs
                .iter()
                .map(|(n, v)| match v {
                    BindValue::Int(i) => format!("{n}: {i}"),
                    BindValue::Float(f) => format!("{n}: {f}"),
                    BindValue::Expr(e) => format!("{n}: {}", e.source()),
                })
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        ParamValue::List(items) => format!(
            "[{}]",
            items.iter().map(param_text).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// `tailor profiles dot NAME`: the DAG for Graphviz; conditional nodes are
/// dashed and carry their `when`.
pub fn profiles_dot(dir: &Path, name: &str) -> Result<Output, CliError> {
    let p = find_profile(dir, name)?;
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_escape(&p.name));
    let _ = writeln!(out, "  rankdir=TB;");
    let _ = writeln!(out, "  node [shape=box, fontname=\"monospace\"];");
    for n in &p.nodes {
        let params: Vec<String> = n
            .params
            .iter()
            .map(|(k, v)| format!("{k}={}", param_text(v)))
            .collect();
        let mut label = format!("{}\\n{}", dot_escape(&n.name), n.transform.name());
        if !params.is_empty() {
            label.push_str(&format!("\\n{}", dot_escape(&params.join(" "))));
        }
        match &n.when {
            Some(w) => {
                label.push_str(&format!("\\nwhen {}", dot_escape(w.source())));
                let _ = writeln!(
                    out,
                    "  \"{}\" [label=\"{label}\", style=dashed];",
                    dot_escape(&n.name)
                );
            }
            None => {
                let _ = writeln!(out, "  \"{}\" [label=\"{label}\"];", dot_escape(&n.name));
            }
        }
    }
    for n in &p.nodes {
        for pred in &n.after {
            let _ = writeln!(
                out,
                "  \"{}\" -> \"{}\";",
                dot_escape(pred),
                dot_escape(&n.name)
            );
        }
    }
    out.push_str("}\n");
    Ok(Output::ok(out))
}

// ---- demo ------------------------------------------------------------------

pub fn plan_text(plan: &Plan) -> String {
    let mut steps: Vec<String> = plan
        .steps
        .iter()
        .map(|s| {
            let summary = s.step.summary();
            if summary.is_empty() {
                format!("{} {}", s.node, s.step.kind())
            } else {
                format!("{} {}({summary})", s.node, s.step.kind())
            }
        })
        .collect();
    if plan.finish != "none" {
        steps.push(format!("finish {}", plan.finish));
    }
    steps.join(" -> ")
}

/// A file's name for a table row (`sum-small.yaml`).
fn file_label(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("?")
}

fn sample_inputs(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| CliError::Other(format!("{}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// The headless demo: every sample input analyzed, its profile selected and
/// planned. An input that fails is reported and the rest go on.
pub fn demo(config: EngineConfig, inputs: &Path, as_json: bool) -> Result<Output, CliError> {
    let profiles = config.profiles.clone();
    let engine = Engine::new(config)?;
    let files = sample_inputs(inputs)?;
    let mut text = String::new();
    let mut records = Vec::new();
    let mut ok = true;
    let _ = writeln!(
        text,
        "tailor: {} profiles from {}, {} sample inputs from {}\n",
        engine.store().profiles().len(),
        profiles.display(),
        files.len(),
        inputs.display()
    );
    for e in engine.store().errors() {
        let _ = writeln!(text, "profile error: {e}");
    }
    for file in &files {
        let name = file_label(file);
        let prepared: Prepared = match engine.prepare(file) {
            Ok(p) => p,
            Err(e) => {
                ok = false;
                let _ = writeln!(text, "{name}\n  error     {e}\n");
                records.push(json!({ "input": file, "error": e.to_string() }));
                continue;
            }
        };
        let decision = engine.decide(&prepared);
        let sel = &decision.selection;
        let matched: Vec<&str> = sel
            .candidates
            .iter()
            .filter(|c| c.verdict == Verdict::Shadowed && c.profile != crate::profile::GENERIC)
            .map(|c| c.profile.as_str())
            .collect();
        let _ = writeln!(text, "{name}  {}", prepared.kernel.signature);
        let _ = writeln!(
            text,
            "  features  {}{}",
            prepared.vector.summary(),
            if prepared.vector.sampled {
                " (sampled)"
            } else {
                ""
            }
        );
        let _ = writeln!(
            text,
            "  profile   {} (priority {}){}",
            sel.profile.name,
            sel.profile.priority,
            if matched.is_empty() {
                String::new()
            } else {
                format!("; also matched: {}", matched.join(", "))
            }
        );
        match &decision.plan {
            Ok(plan) => {
                let _ = writeln!(text, "  plan      {}", plan_text(plan));
                for s in &plan.skipped {
                    let _ = writeln!(text, "  skipped   {}: {}", s.node, s.reason);
                }
            }
            Err(e) => {
                let _ = writeln!(text, "  plan      error: {e}; the generic build serves it");
            }
        }
        text.push('\n');
        records.push(json!({
            "input": file,
            "kernel": prepared.kernel.path,
            "signature": prepared.kernel.signature.to_string(),
            "features": prepared.vector.features(),
            "profile": sel.profile.name,
            "candidates": sel.candidates,
            "plan": decision.plan.as_ref().ok(),
            "plan_error": decision.plan.as_ref().err().map(|e| e.to_string()),
        }));
    }
    if as_json {
        let errors: Vec<String> = engine
            .store()
            .errors()
            .iter()
            .map(|e| e.to_string())
            .collect();
        return Ok(Output {
            text: json_text(json!({ "profile_errors": errors, "inputs": records })),
            ok,
        });
    }
    Ok(Output { text, ok })
}

// ---- bench -----------------------------------------------------------------

/// `tailor bench analyze`.
pub fn bench_analyze(mib: f64, runs: usize, as_json: bool) -> Result<Output, CliError> {
    // The generated array is an input like any other: under the 4 GiB cap.
    if !(mib > 0.0 && mib <= 4096.0) {
        return Err(CliError::Other(format!(
            "--mib {mib}: the generated input must be more than 0 and at most 4096 MiB"
        )));
    }
    let c = crate::bench::analyzer_cost(mib, runs);
    if as_json {
        return Ok(Output::ok(json_text(json!(c))));
    }
    Ok(Output::ok(format!(
        "analyzer on {} MiB of f64 ({} elements), median of {} runs each, interleaved:\n  \
         exact    {:.3} ms/MiB\n  sampled  {:.4} ms/MiB\n  exact/sampled = {:.0}x\n",
        c.mib, c.elements, c.runs, c.exact_ms_per_mib, c.sampled_ms_per_mib, c.ratio
    )))
}

/// What `tailor bench` measures.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// Input specs; empty: every spec of `sample-inputs/` and
    /// `kernels/suite/inputs/`.
    pub inputs: Vec<PathBuf>,
    /// Keep the inputs whose file name contains any of these.
    pub filter: Vec<String>,
    pub runs: usize,
    /// Where `<entry>.c` references live (missing: none are timed).
    pub references: PathBuf,
}

/// The suite's inputs: the shipped samples and the classic kernels.
const SUITE_DIRS: [&str; 2] = ["sample-inputs", "kernels/suite/inputs"];

fn geomean(xs: impl Iterator<Item = f64>) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0usize);
    for x in xs {
        sum += x.max(1e-9).ln();
        n += 1;
    }
    (n > 0).then(|| (sum / n as f64).exp())
}

/// `tailor bench` and `tailor bench run`.
pub fn bench_run(
    options: &SuiteOptions,
    profiles: &Path,
    as_json: bool,
) -> Result<Output, CliError> {
    let mut inputs = if options.inputs.is_empty() {
        let mut all = Vec::new();
        for dir in SUITE_DIRS {
            if Path::new(dir).is_dir() {
                all.extend(sample_inputs(Path::new(dir))?);
            }
        }
        all
    } else {
        options.inputs.clone()
    };
    if !options.filter.is_empty() {
        inputs.retain(|p| {
            options
                .filter
                .iter()
                .any(|k| file_label(p).contains(k.as_str()))
        });
        if inputs.is_empty() {
            return Err(CliError::Other(format!(
                "--filter {}: no input's file name contains it",
                options.filter.join(", ")
            )));
        }
    }
    let references = options
        .references
        .is_dir()
        .then_some(options.references.as_path());
    let started = std::time::Instant::now();
    let mut rows = Vec::new();
    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    for input in &inputs {
        match crate::bench::speedup(input, profiles, options.runs, references) {
            Ok(r) => rows.push(r),
            Err(e) => errors.push(format!("{}: {e}", input.display())),
        }
        match crate::bench::miss_hit(input, profiles, 21) {
            Ok(r) => latencies.push(r),
            Err(e) => errors.push(format!("{}: {e}", input.display())),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let group = |p: &Path| -> String {
        p.parent()
            .map(|d| d.display().to_string())
            .unwrap_or_default()
    };
    let mut groups: Vec<String> = Vec::new();
    for r in &rows {
        let g = group(&r.input);
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    let summaries: Vec<serde_json::Value> = groups
        .iter()
        .map(|g| {
            let rs: Vec<_> = rows.iter().filter(|r| &group(&r.input) == g).collect();
            let fixed = |r: &&crate::bench::Speedup| {
                r.references
                    .iter()
                    .find(|x| x.build == crate::bench::reference::BUILDS[0].0)
                    .map(|x| x.speedup)
            };
            let with_ref: Vec<_> = rs.iter().filter(|r| r.best_reference.is_some()).collect();
            json!({
                "inputs": g,
                "cases": rs.len(),
                "geomean": geomean(rs.iter().map(|r| r.speedup)),
                "lowest": rs.iter().map(|r| r.speedup).reduce(f64::min),
                "cases_with_reference": with_ref.len(),
                "geomean_served_where_referenced": geomean(with_ref.iter().map(|r| r.speedup)),
                "geomean_fixed_reference": geomean(rs.iter().filter_map(fixed)),
                "geomean_best_reference": geomean(rs.iter().filter_map(|r| r.best_reference)),
                "within_10_percent_of_reference": with_ref
                    .iter()
                    .filter(|r| r.vs_reference.is_some_and(|v| v >= 0.9))
                    .count(),
            })
        })
        .collect();
    let ok = errors.is_empty();
    if as_json {
        return Ok(Output {
            text: json_text(json!({
                "speedups": rows,
                "summary": summaries,
                "latency": latencies,
                "errors": errors,
                "seconds": seconds,
            })),
            ok,
        });
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "what serves against generic and the hand-specialized references \
         (kernel time, median of {} interleaved runs each):",
        options.runs
    );
    let mut t = Table::new(&[
        "input",
        "selected",
        "served",
        "generic",
        "served",
        "speedup",
        "fixed ref",
        "best ref",
        "vs ref",
        "guard",
    ]);
    for r in &rows {
        let fixed = r
            .references
            .iter()
            .find(|x| x.build == crate::bench::reference::BUILDS[0].0);
        t.row(vec![
            file_label(&r.input).to_owned(),
            r.profile.clone(),
            match r.served_by {
                crate::engine::Served::Variant => "variant".to_owned(),
                crate::engine::Served::Fallback => format!("fallback {}", r.served_profile),
                crate::engine::Served::Generic if !r.verified => "generic (rejected)".to_owned(),
                crate::engine::Served::Generic => "generic".to_owned(),
            },
            trace::nanos(r.generic_ns),
            trace::nanos(r.variant_ns),
            format!("{:.2}x", r.speedup),
            match fixed {
                None => "-".to_owned(),
                Some(f) if f.differs.is_some() => format!("{:.2}x (differs)", f.speedup),
                Some(f) => format!("{:.2}x", f.speedup),
            },
            r.best_reference
                .map_or("-".to_owned(), |b| format!("{b:.2}x")),
            r.vs_reference.map_or("-".to_owned(), |v| format!("{v:.2}")),
            cache::guard_cell(r.guard.as_ref()),
        ]);
    }
    out.push_str(&t.render());
    let num = |v: &serde_json::Value| v.as_f64().map_or("-".to_owned(), |x| format!("{x:.2}x"));
    for s in &summaries {
        let _ = writeln!(
            out,
            "{}: geometric mean {} over {} inputs, lowest {}; references: fixed {}, best within \
             tolerance {} (served {} on those {}), {} of {} within 10% of theirs",
            s["inputs"].as_str().unwrap_or("?"),
            num(&s["geomean"]),
            s["cases"],
            num(&s["lowest"]),
            num(&s["geomean_fixed_reference"]),
            num(&s["geomean_best_reference"]),
            num(&s["geomean_served_where_referenced"]),
            s["cases_with_reference"],
            s["within_10_percent_of_reference"],
            s["cases_with_reference"],
        );
    }
    let _ = writeln!(
        out,
        "\na miss, split (one engine, memory cache; synthesis: transform + codegen of what \
         serves, beside clang-19 -O3 -c of the kernel's source):"
    );
    let mut t = Table::new(&[
        "input",
        "profile",
        "miss",
        "transform",
        "codegen",
        "verify",
        "guard runs",
        "tuning",
        "synthesis",
        "clang -O3 -c",
        "synth/clang",
    ]);
    for r in &latencies {
        let synthesis = Some(r.synthesis_us).filter(|s| *s > 0);
        t.row(vec![
            file_label(&r.input).to_owned(),
            r.profile.clone(),
            trace::ms(r.miss_us),
            trace::ms(r.transform_us),
            trace::ms(r.codegen_us),
            trace::ms(r.verify_us),
            trace::ms(r.timing_us),
            trace::ms(r.tune_us),
            synthesis.map_or("-".to_owned(), trace::ms),
            r.clang_o3_us.map_or("-".to_owned(), trace::ms),
            match (synthesis, r.clang_o3_us) {
                (Some(s), Some(c)) => format!("{:.2}", s as f64 / c.max(1) as f64),
                _ => "-".to_owned(),
            },
        ]);
    }
    out.push_str(&t.render());
    let _ = writeln!(out, "\nhits and tiered serving (medians of 21):");
    let mut t = Table::new(&[
        "input",
        "hit",
        "miss/hit",
        "analyze",
        "kernel",
        "analyze/kernel",
        "tiered first",
        "generic hit",
        "tiered/hit",
    ]);
    for r in &latencies {
        t.row(vec![
            file_label(&r.input).to_owned(),
            trace::ms(r.hit_us),
            format!("{:.0}x", r.ratio),
            trace::ms(r.analyze_us),
            trace::ms(r.kernel_us),
            format!("{:.1}%", r.analyzer_share * 100.0),
            trace::ms(r.tiered_first_us),
            trace::ms(r.generic_hit_us),
            format!("{:.2}x", r.tiered_ratio),
        ]);
    }
    out.push_str(&t.render());
    for e in &errors {
        let _ = writeln!(out, "error: {e}");
    }
    let _ = writeln!(out, "{} inputs in {seconds:.0} s", inputs.len());
    Ok(Output { text: out, ok })
}

/// `tailor bench throughput`.
pub fn bench_throughput(
    input: &Path,
    profiles: &Path,
    threads: &[usize],
    seconds: f64,
    as_json: bool,
) -> Result<Output, CliError> {
    if !(seconds > 0.0 && seconds <= 3600.0) {
        return Err(CliError::Other(format!(
            "--seconds {seconds}: give a duration between 0 and 3600"
        )));
    }
    if threads.iter().any(|&t| t == 0 || t > 256) {
        return Err(CliError::Other(
            "--threads: each count from 1 to 256".into(),
        ));
    }
    let rows =
        crate::bench::throughput(input, profiles, threads, seconds).map_err(CliError::Other)?;
    if as_json {
        return Ok(Output::ok(json_text(json!({ "runs": rows }))));
    }
    let mut out = String::new();
    let _ = writeln!(out, "cached requests of {} on one engine:", input.display());
    let mut t = Table::new(&["isolation", "threads", "requests", "per second"]);
    for r in &rows {
        t.row(vec![
            r.isolation.clone(),
            r.threads.to_string(),
            r.requests.to_string(),
            format!("{:.0}", r.per_second),
        ]);
    }
    out.push_str(&t.render());
    Ok(Output::ok(out))
}

/// `tailor bench serve`.
/// `tailor bench fleet`.
pub fn bench_fleet(
    inputs: &[PathBuf],
    profiles: &Path,
    seconds: f64,
    rate: f64,
    cache_entries: usize,
    redis: Option<String>,
    as_json: bool,
) -> Result<Output, CliError> {
    if !(1.0..=3600.0).contains(&seconds) {
        return Err(CliError::Other(format!(
            "--seconds {seconds}: give a duration from 1 to 3600"
        )));
    }
    if !(1.0..=100_000.0).contains(&rate) {
        return Err(CliError::Other(format!(
            "--rate {rate}: give 1 to 100000 requests per second"
        )));
    }
    if cache_entries == 0 {
        return Err(CliError::Other("--cache-entries: at least 1".into()));
    }
    let inputs = if inputs.is_empty() {
        crate::service::fleet_bench::default_inputs(Path::new("sample-inputs"))
    } else {
        inputs.to_vec()
    };
    if inputs.is_empty() {
        return Err(CliError::Other(
            "no inputs: give input specs, or run from the repository (sample-inputs/)".into(),
        ));
    }
    let bench = crate::service::fleet_bench::FleetBench {
        inputs,
        profiles: profiles.to_owned(),
        seconds,
        rate,
        cache_entries,
        redis,
    };
    let report = crate::service::fleet_bench::run(&bench).map_err(CliError::Other)?;
    if as_json {
        return Ok(Output::ok(json_text(json!(report))));
    }
    Ok(Output::ok(crate::service::fleet_bench::table(&report)))
}

pub fn bench_serve(
    input: &Path,
    profiles: &Path,
    concurrency: &[usize],
    seconds: f64,
    as_json: bool,
) -> Result<Output, CliError> {
    if !(seconds > 0.0 && seconds <= 3600.0) {
        return Err(CliError::Other(format!(
            "--seconds {seconds}: give a duration between 0 and 3600"
        )));
    }
    if concurrency.iter().any(|&c| c == 0 || c > 256) {
        return Err(CliError::Other(
            "--concurrency: each count from 1 to 256".into(),
        ));
    }
    let rows = crate::service::bench::bench(input, profiles, concurrency, seconds)
        .map_err(CliError::Other)?;
    if as_json {
        return Ok(Output::ok(json_text(json!({ "runs": rows }))));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "cached requests of {} through POST /v1/run and in process, one engine:",
        input.display()
    );
    let mut t = Table::new(&[
        "clients",
        "path",
        "requests",
        "per second",
        "p50",
        "p99",
        "service adds p50/p99",
    ]);
    for r in &rows {
        t.row(vec![
            r.concurrency.to_string(),
            r.path.to_owned(),
            r.requests.to_string(),
            format!("{:.0}", r.per_second),
            format!("{:.0} µs", r.p50_us),
            format!("{:.0} µs", r.p99_us),
            match (r.added_p50_us, r.added_p99_us) {
                (Some(a), Some(b)) => format!("{a:.0} / {b:.0} µs"),
                _ => String::new(),
            },
        ]);
    }
    let _ = writeln!(
        out,
        "(service adds: each HTTP request's latency minus the engine's own time for it)"
    );
    out.push_str(&t.render());
    Ok(Output::ok(out))
}

/// `tailor bench hitpath`.
pub fn bench_hitpath(
    inputs: &[PathBuf],
    profiles: &Path,
    runs: usize,
    interval_us: u64,
    as_json: bool,
) -> Result<Output, CliError> {
    let inputs: Vec<PathBuf> = if inputs.is_empty() {
        ["sum-small", "reduce", "dot-large"]
            .iter()
            .map(|n| Path::new("sample-inputs").join(format!("{n}.yaml")))
            .collect()
    } else {
        inputs.to_vec()
    };
    let interval = std::time::Duration::from_micros(interval_us);
    let cases =
        crate::bench::hitpath(&inputs, profiles, runs, interval).map_err(CliError::Other)?;
    if as_json {
        return Ok(Output::ok(json_text(json!({ "cases": cases }))));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "a cached request, end to end (p50 / p99 µs of {} hits per row, {}):",
        cases.first().map_or(0, |c| c.runs),
        if interval_us == 0 {
            "back to back".to_owned()
        } else {
            format!("{interval_us} µs apart")
        }
    );
    let stage_names: Vec<String> = cases
        .first()
        .map(|c| c.stages.keys().cloned().collect())
        .unwrap_or_default();
    let mut head = vec!["input", "isolation", "total", "kernel", "overhead"];
    head.extend(stage_names.iter().map(String::as_str));
    head.extend(["pipe rtt", "memcpy", "ovh/rtt", "ovh/memcpy"]);
    let mut t = Table::new(&head);
    let us = |x: f64| format!("{x:.1}");
    for c in &cases {
        let mut row = vec![
            file_label(&c.input).to_owned(),
            c.isolation.clone(),
            format!("{} / {}", us(c.p50_total_us), us(c.p99_total_us)),
            us(c.p50_kernel_us),
            format!("{} / {}", us(c.p50_overhead_us), us(c.p99_overhead_us)),
        ];
        for n in &stage_names {
            row.push(c.stages.get(n).map_or(String::new(), |s| us(s.p50_us)));
        }
        row.extend([
            us(c.pipe_rtt_us),
            us(c.memcpy_us),
            format!("{:.1}x", c.overhead_over_rtt),
            format!("{:.2}x", c.overhead_over_memcpy),
        ]);
        t.row(row);
    }
    out.push_str(&t.render());
    Ok(Output::ok(out))
}

/// `tailor bench sandbox`.
pub fn bench_sandbox(
    input: &Path,
    profiles: &Path,
    runs: usize,
    as_json: bool,
) -> Result<Output, CliError> {
    let c = crate::bench::sandbox_costs(input, profiles, runs).map_err(CliError::Other)?;
    if as_json {
        return Ok(Output::ok(json_text(json!(c))));
    }
    let us = |x: f64| {
        if x >= 1000.0 {
            format!("{:.2} ms", x / 1000.0)
        } else {
            format!("{x:.0} µs")
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "one execution of {} (median of {} round trips from the engine):",
        c.input.display(),
        c.runs
    );
    let _ = writeln!(
        out,
        "  process: in the lean executor    {}",
        us(c.process_us)
    );
    let _ = writeln!(
        out,
        "  fork, back to back               {}  ({:.1}x process)",
        us(c.fork_us),
        c.fork_us / c.process_us.max(0.001)
    );
    let _ = writeln!(
        out,
        "  fork, 5 ms apart (pre-forked)    {}  ({:.1}x process)",
        us(c.fork_spaced_us),
        c.fork_spaced_us / c.process_us.max(0.001)
    );
    let _ = writeln!(out, "starts:");
    let _ = writeln!(
        out,
        "  cold executor (spawn + confine)  {}",
        us(c.cold_executor_us)
    );
    let _ = writeln!(
        out,
        "  cold worker (spawn + LLVM init)  {}",
        us(c.cold_worker_us)
    );
    let _ = writeln!(
        out,
        "  warm start (pre-forked child)    {}  ({:.0}x faster than a cold executor)",
        us(c.fork_spaced_us),
        c.cold_executor_us / c.fork_spaced_us.max(0.001)
    );
    let _ = writeln!(
        out,
        "  replace a killed executor        {}  (kill to the next answer)",
        us(c.replace_us)
    );
    let _ = writeln!(
        out,
        "resident: executor {} KiB, worker {} KiB",
        c.executor_rss_kib, c.worker_rss_kib
    );
    Ok(Output::ok(out))
}
