//! Helpers for the transform tests: preparing requests without the engine,
//! building variants of a Plan, running them beside the generic build, and
//! reading LLVM IR text.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use tailor::cache::{Variant, Verification};
use tailor::engine::verify;
use tailor::engine::Prepared;
use tailor::input::{Input, InputSpec};
use tailor::kernel::Kernel;
use tailor::profile::{self, Plan, Profile, ProfileStore};
use tailor::sandbox::{Execution, InProcess, Outcome};
use tailor::target::Target;
use tailor::transform::log::StepRecord;
use tailor::transform::{self, codegen, TransformError};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample_path(name: &str) -> PathBuf {
    root().join("sample-inputs").join(format!("{name}.yaml"))
}

pub fn host() -> Target {
    static HOST: OnceLock<Target> = OnceLock::new();
    HOST.get_or_init(|| codegen::host().expect("the host target"))
        .clone()
}

/// The shipped profiles, loaded as the engine loads them (pipelines checked
/// by LLVM).
pub fn shipped_store() -> ProfileStore {
    tailor::engine::load_store(&root().join("profiles"))
}

/// Kernels by source path and entry: loading C runs clang, which every
/// test would otherwise pay again.
fn kernel(path: &Path, entry: Option<&str>) -> Arc<Kernel> {
    type Kernels = Mutex<HashMap<(PathBuf, Option<String>), Arc<Kernel>>>;
    static KERNELS: OnceLock<Kernels> = OnceLock::new();
    let key = (path.to_owned(), entry.map(str::to_owned));
    let cache = KERNELS.get_or_init(Default::default);
    if let Some(k) = cache.lock().unwrap().get(&key) {
        return k.clone();
    }
    let k =
        Arc::new(Kernel::load(path, entry).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    cache.lock().unwrap().insert(key, k.clone());
    k
}

/// What `tailor::engine::prepare` does, with the kernel load shared between
/// tests.
pub fn prepare(spec_path: &Path) -> Prepared {
    let spec = InputSpec::load(spec_path).unwrap_or_else(|e| panic!("{e}"));
    let kernel = kernel(&spec.kernel, spec.entry.as_deref());
    let input = Arc::new(
        spec.materialize(&kernel.signature)
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let vector = tailor::analyze::analyze(&input);
    Prepared {
        spec,
        kernel,
        input,
        vector,
        analysis_micros: 0,
    }
}

pub fn sample(name: &str) -> Prepared {
    prepare(&sample_path(name))
}

/// The Plan the shipped profiles make for a prepared request, and the
/// profile's name.
pub fn shipped_plan(store: &ProfileStore, prepared: &Prepared) -> Plan {
    let d = tailor::engine::decide(store, prepared);
    d.plan.unwrap_or_else(|e| {
        panic!(
            "{}: profile `{}` cannot be planned: {e}",
            prepared.spec.path.display(),
            d.selection.profile.name
        )
    })
}

fn pass_check(p: &str) -> Result<(), String> {
    tailor::llvm::check_pass_pipeline(p)
}

/// A profile from text (checked as the shipped ones are), planned for
/// `prepared`.
pub fn custom_plan(yaml: &str, prepared: &Prepared) -> Plan {
    let p = Profile::parse(Path::new("<test>/custom.yaml"), yaml, Some(&pass_check))
        .unwrap_or_else(|e| panic!("custom profile: {e:?}"));
    plan_with(&p, prepared)
}

pub fn plan_with(profile: &Profile, prepared: &Prepared) -> Plan {
    profile::plan(profile, &prepared.vector, &prepared.kernel_info())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Transforms and compiles `plan` for the request's kernel, filling a
/// [`Variant`] the way the engine does.
pub fn try_build(prepared: &Prepared, plan: &Plan) -> Result<Variant, TransformError> {
    let host = host();
    let built = transform::build(
        &prepared.kernel.ir,
        &prepared.kernel.signature.entry,
        plan,
        &host,
        &mut |_| {},
    )?;
    let verification = if plan.profile == profile::GENERIC {
        Verification::Reference
    } else {
        Verification::Verified
    };
    Ok(Variant::from_build(
        built,
        &prepared.kernel,
        plan,
        verification,
    ))
}

pub fn build(prepared: &Prepared, plan: &Plan) -> Variant {
    try_build(prepared, plan).unwrap_or_else(|e| {
        panic!(
            "{} with profile `{}`: {e}",
            prepared.spec.path.display(),
            plan.profile
        )
    })
}

/// The generic build of a kernel (shared between tests).
pub fn generic(prepared: &Prepared) -> Arc<Variant> {
    type Builds = Mutex<HashMap<(String, String), Arc<Variant>>>;
    static GENERIC: OnceLock<Builds> = OnceLock::new();
    let key = (
        prepared.kernel.hash.clone(),
        prepared.kernel.signature.entry.clone(),
    );
    let cache = GENERIC.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap().get(&key) {
        return v.clone();
    }
    let store = ProfileStore::default();
    let plan = plan_with(&store.generic(), prepared);
    assert!(plan.steps.is_empty(), "generic runs no step: {plan:?}");
    let v = Arc::new(build(prepared, &plan));
    cache.lock().unwrap().insert(key, v.clone());
    v
}

/// Runs a variant on a fresh copy of the request's input.
pub fn run(exec: &mut InProcess, variant: &Variant, prepared: &Prepared) -> (Execution, Input) {
    run_on(exec, variant, prepared, &prepared.input)
}

pub fn run_on(
    exec: &mut InProcess,
    variant: &Variant,
    prepared: &Prepared,
    input: &Input,
) -> (Execution, Input) {
    let mut args = input.clone();
    let e = exec.execute(variant, &mut args, prepared.kernel.signature.ret);
    assert_eq!(
        e.outcome,
        Outcome::Ok,
        "{} ({}) did not run",
        variant.kernel_name,
        variant.plan.profile
    );
    (e, args)
}

/// Runs `variant` and the generic build on clones of the request's input
/// and compares them (DESIGN §6) within the variant's tolerance.
pub fn against_generic(
    exec: &mut InProcess,
    prepared: &Prepared,
    variant: &Variant,
) -> Result<(Execution, Execution), String> {
    let g = generic(prepared);
    let (ge, gargs) = run(exec, &g, prepared);
    let (ve, vargs) = run(exec, variant, prepared);
    verify::compare(&variant.plan.tolerance, &ge, &gargs, &ve, &vargs)?;
    Ok((ge, ve))
}

pub fn step<'a>(variant: &'a Variant, node: &str) -> &'a StepRecord {
    variant
        .steps
        .iter()
        .find(|s| s.node == node)
        .unwrap_or_else(|| {
            let names: Vec<_> = variant.steps.iter().map(|s| s.node.as_str()).collect();
            panic!("no step `{node}` in {names:?}")
        })
}

/// The step that ran just before `node`.
pub fn step_before<'a>(variant: &'a Variant, node: &str) -> &'a StepRecord {
    let i = variant
        .steps
        .iter()
        .position(|s| s.node == node)
        .unwrap_or_else(|| panic!("no step `{node}`"));
    assert!(i > 0, "`{node}` is the first step");
    &variant.steps[i - 1]
}

// ---- reading IR text ---------------------------------------------------

/// The text of `define ... @name(...) { ... }` in a printed module.
pub fn function<'a>(module: &'a str, name: &str) -> &'a str {
    let needle = format!("@{name}(");
    let start = module
        .lines()
        .scan(0usize, |off, line| {
            let here = *off;
            *off += line.len() + 1;
            Some((here, line))
        })
        .find(|(_, l)| l.starts_with("define ") && l.contains(&needle))
        .map(|(off, _)| off)
        .unwrap_or_else(|| panic!("no definition of @{name} in:\n{module}"));
    let rest = &module[start..];
    let end = rest.find("\n}").expect("a closing brace") + 2;
    &rest[..end]
}

/// The `define` line and the body after it.
pub fn split_define(func: &str) -> (&str, &str) {
    let nl = func.find('\n').expect("a body");
    (&func[..nl], &func[nl + 1..])
}

/// The parameters of a `define` line, as written (attributes included).
pub fn params(func: &str) -> Vec<String> {
    let (define, _) = split_define(func);
    let at = define.find('@').expect("a function name");
    let open = at + define[at..].find('(').expect("a parameter list");
    let mut depth = 0;
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in define[open + 1..].chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c);
            }
            ')' if depth == 0 => break,
            ')' => {
                depth -= 1;
                cur.push(c);
            }
            ',' if depth == 0 => out.push(std::mem::take(&mut cur).trim().to_owned()),
            _ => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

/// The `%name` of each parameter of a `define` line.
pub fn param_names(func: &str) -> Vec<String> {
    params(func)
        .iter()
        .map(|p| {
            p.split_whitespace()
                .last()
                .filter(|t| t.starts_with('%'))
                .unwrap_or_else(|| panic!("unnamed parameter `{p}`"))
                .to_owned()
        })
        .collect()
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '$' | '.' | '_' | '-')
}

/// How often the value `%name` (a whole token: not `%name.x`) occurs.
pub fn uses(text: &str, value: &str) -> usize {
    let mut n = 0;
    let mut rest = text;
    while let Some(i) = rest.find(value) {
        let after = rest[i + value.len()..].chars().next();
        if !after.is_some_and(ident_char) {
            n += 1;
        }
        rest = &rest[i + value.len()..];
    }
    n
}

/// Instruction lines of a function body matching every one of `parts`.
pub fn lines_with<'a>(body: &'a str, parts: &[&str]) -> Vec<&'a str> {
    body.lines()
        .filter(|l| parts.iter().all(|p| l.contains(p)))
        .collect()
}

/// The lines of the block whose label starts with `prefix` (up to the next
/// label or the end of the function).
pub fn block<'a>(func: &'a str, prefix: &str) -> Option<String> {
    let mut out: Option<Vec<&'a str>> = None;
    for line in func.lines() {
        let is_label = !line.starts_with(' ')
            && !line.starts_with("define")
            && line
                .split(';')
                .next()
                .is_some_and(|l| l.trim_end().ends_with(':'));
        if let Some(lines) = &mut out {
            if is_label || line.starts_with('}') {
                break;
            }
            lines.push(line);
        } else if is_label && line.starts_with(prefix) {
            out = Some(Vec::new());
        }
    }
    out.map(|l| l.join("\n"))
}
