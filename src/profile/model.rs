//! A profile as loaded from its YAML file: validated nodes, compiled
//! expressions and the DAG. Loading collects every error it can find, each
//! with its file, line and node.

use super::dag::Dag;
use super::error::{ErrorKind, ProfileError};
use super::expr::{CompileError, Expr, Reads};
use super::params::{parse_param, yaml_kind, ParamError, ParamTy, Params, TransformKind};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How far a variant's float results may drift from the generic build's:
/// within `abs`, or within `rel` of the larger magnitude.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    #[serde(default)]
    pub rel: f64,
    #[serde(default)]
    pub abs: f64,
    /// For f32 values, when given: their precision (~6e-8) and codegen's
    /// freedom to fuse `fmuladd` or not make ulp-level drift normal even
    /// without reassociation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f32: Option<Drift>,
}

/// A tolerance for one element type.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drift {
    #[serde(default)]
    pub rel: f64,
    #[serde(default)]
    pub abs: f64,
}

impl Tolerance {
    /// The bounds for values of one type.
    pub fn for_f32(&self, is_f32: bool) -> Drift {
        match (is_f32, self.f32) {
            (true, Some(d)) => d,
            _ => Drift {
                rel: self.rel,
                abs: self.abs,
            },
        }
    }
}

/// How an execution is isolated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// A child forked from the lean executor per execution: no file
    /// descriptors, seccomp strict mode, its own CPU limit; killed at the
    /// deadline. A crash ends only the child.
    #[default]
    Fork,
    /// In the executor process itself, under its seccomp filter and rlimits.
    /// No fork per call (much cheaper for tiny kernels), but a crash takes
    /// the executor down (it is replaced) and executions share its memory.
    Process,
}

impl Isolation {
    pub fn name(self) -> &'static str {
        match self {
            Isolation::Fork => "fork",
            Isolation::Process => "process",
        }
    }
}

/// How the sandbox treats a profile's requests (DESIGN §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxPolicy {
    /// `fork` (a child per execution; the default) or `process` (in the
    /// executor itself: cheaper for tiny kernels, weaker isolation).
    #[serde(default)]
    pub isolation: Isolation,
    /// Wall-clock deadline of one execution.
    #[serde(default = "default_execute_ms")]
    pub execute_ms: u64,
    /// Deadline of building a variant (LLVM on hostile IR).
    #[serde(default = "default_transform_ms")]
    pub transform_ms: u64,
    /// On a miss, answer at once with the generic build and build the
    /// variant in the background (when the engine serves tiered). `false`:
    /// the first request of a key waits for its variant.
    #[serde(default = "yes")]
    pub tiered: bool,
}

fn yes() -> bool {
    true
}

/// The longest an execution may be given: a minute.
pub const MAX_EXECUTE_MS: u64 = 60_000;
/// The longest a build may be given: ten minutes.
pub const MAX_TRANSFORM_MS: u64 = 600_000;

fn default_execute_ms() -> u64 {
    5_000
}

fn default_transform_ms() -> u64 {
    20_000
}

impl Default for SandboxPolicy {
    fn default() -> Self {
        SandboxPolicy {
            isolation: Default::default(),
            execute_ms: default_execute_ms(),
            transform_ms: default_transform_ms(),
            tiered: true,
        }
    }
}

/// The performance guard: a new variant is timed against the generic build
/// on the request's input (interleaved runs in the sandbox) and is not
/// served when it is slower by more than `margin`; then the fallback chain
/// is tried, up to `fallbacks` Plans past the selected one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardPolicy {
    /// `false`: a verified variant is served however fast it is.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The fraction of generic's time a variant may lose (0.03: 3%).
    #[serde(default = "default_margin")]
    pub margin: f64,
    /// Runs of each build, interleaved, at most.
    #[serde(default = "default_guard_runs")]
    pub runs: u32,
    /// Timing stops once this much time went to it (one pair always runs).
    #[serde(default = "default_guard_ms")]
    pub budget_ms: u64,
    /// Plans tried after the selected one is rejected or slower: the same
    /// DAG without reassociation, then the next matching profiles.
    #[serde(default = "default_fallbacks")]
    pub fallbacks: u32,
}

fn default_margin() -> f64 {
    0.03
}

fn default_guard_runs() -> u32 {
    15
}

fn default_guard_ms() -> u64 {
    200
}

fn default_fallbacks() -> u32 {
    3
}

/// The most fallbacks a profile may ask for.
pub const MAX_FALLBACKS: u32 = 8;
/// The most timed runs of each build.
pub const MAX_GUARD_RUNS: u32 = 100;

impl Default for GuardPolicy {
    fn default() -> Self {
        GuardPolicy {
            enabled: true,
            margin: default_margin(),
            runs: default_guard_runs(),
            budget_ms: default_guard_ms(),
            fallbacks: default_fallbacks(),
        }
    }
}

/// The pipeline that runs after the DAG unless a profile says otherwise:
/// the same optimization the generic build gets.
pub const DEFAULT_FINISH: &str = "default<O3>";

#[derive(Debug)]
pub struct Node {
    pub name: String,
    pub transform: TransformKind,
    pub params: Params,
    /// Predecessors by name, as written.
    pub after: Vec<String>,
    pub when: Option<Arc<Expr>>,
    /// 1-based line of the node in its file.
    pub line: Option<usize>,
}

#[derive(Debug)]
pub struct Profile {
    pub name: String,
    pub file: PathBuf,
    /// The YAML as loaded (the workbench edits it).
    pub source: String,
    /// First 16 hex digits of the SHA-256 of `source`: a new version of the
    /// file is a new profile version, and its variants are new cache entries.
    pub version: String,
    pub priority: i64,
    pub description: String,
    /// `None`: matches everything.
    pub matches: Option<Arc<Expr>>,
    pub tolerance: Tolerance,
    pub finish: String,
    pub sandbox: SandboxPolicy,
    pub guard: GuardPolicy,
    /// Nodes in file order.
    pub nodes: Vec<Node>,
    pub dag: Dag,
}

/// Array features planning reads whatever the expressions say: `layout`
/// sizes its arguments and follows index progressions.
pub const PLANNING_READS: &[&str] = &["len", "bytes", "progression", "step"];

impl Profile {
    /// Everything the profile's `match`, `when`s and parameters can read of
    /// a vector, and what planning reads besides.
    pub fn reads(&self) -> Reads {
        let mut r = self.expression_reads();
        r.features.extend(PLANNING_READS.iter().copied());
        r
    }

    /// What the profile's expressions (`match`, `when`s, parameters) read.
    pub fn expression_reads(&self) -> Reads {
        let mut r = Reads::default();
        let mut add = |e: &Expr| r.extend(e.reads());
        if let Some(m) = &self.matches {
            add(m);
        }
        for n in &self.nodes {
            if let Some(w) = &n.when {
                add(w);
            }
            for (_, v) in &n.params {
                v.each_expr(&mut add);
            }
        }
        r
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: String,
    #[serde(default)]
    priority: i64,
    #[serde(default)]
    description: String,
    #[serde(rename = "match", default)]
    matches: Option<serde_yaml::Value>,
    #[serde(default)]
    tolerance: Option<Tolerance>,
    #[serde(default)]
    finish: Option<String>,
    #[serde(default)]
    sandbox: SandboxPolicy,
    #[serde(default)]
    guard: GuardPolicy,
    #[serde(default)]
    pipeline: serde_yaml::Mapping,
}

/// Finds the lines of keys in a profile's text. serde_yaml does not keep
/// positions, so this reads the layout: a node is a key indented under
/// `pipeline:`, a parameter a key after its node's line and before the next
/// node's.
pub struct Locator<'a> {
    lines: Vec<&'a str>,
    /// Each pipeline node's line, indexed on first use: looking nodes up
    /// one by one in the text made loading quadratic in the node count.
    nodes: std::sync::OnceLock<std::collections::HashMap<&'a str, usize>>,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn key_of(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let t = t.strip_prefix("- ").unwrap_or(t);
    let end = t.find(':')?;
    let key = t[..end].trim().trim_matches(|c| c == '"' || c == '\'');
    Some(key)
}

impl<'a> Locator<'a> {
    pub fn new(source: &'a str) -> Self {
        Locator {
            lines: source.lines().collect(),
            nodes: std::sync::OnceLock::new(),
        }
    }

    /// Line (1-based) of a top-level key.
    pub fn top(&self, key: &str) -> Option<usize> {
        self.lines
            .iter()
            .position(|l| indent(l) == 0 && key_of(l) == Some(key))
            .map(|i| i + 1)
    }

    /// Line of a pipeline node.
    pub fn node(&self, name: &str) -> Option<usize> {
        let index = self.nodes.get_or_init(|| {
            let mut index = std::collections::HashMap::new();
            let Some(start) = self.top("pipeline") else {
                return index;
            };
            // The first line with the least indent under `pipeline:` fixes
            // the nodes' indent; deeper keys belong to a node.
            let mut node_indent = None;
            for (i, l) in self.lines[start..].iter().enumerate() {
                if !(l.trim().is_empty() || indent(l) > 0 || l.starts_with('#')) {
                    break;
                }
                if indent(l) == 0 || l.trim_start().starts_with('#') {
                    continue;
                }
                let Some(key) = key_of(l) else { continue };
                let at = *node_indent.get_or_insert(indent(l));
                if indent(l) == at {
                    index.entry(key).or_insert(start + i + 1);
                }
            }
            index
        });
        index.get(name).copied()
    }

    /// Line of `key` inside a node (a flow map on one line or a block).
    pub fn in_node(&self, node: &str, key: &str) -> Option<usize> {
        let at = self.node(node)?;
        let node_indent = indent(self.lines[at - 1]);
        let pat = format!("{key}:");
        for (i, line) in self.lines[at - 1..].iter().enumerate() {
            if i > 0 && !line.trim().is_empty() && indent(line) <= node_indent {
                break;
            }
            let hit = line.match_indices(&pat).any(|(pos, _)| {
                pos == 0 || {
                    let before = line.as_bytes()[pos - 1];
                    !(before.is_ascii_alphanumeric() || before == b'_')
                }
            });
            if hit {
                return Some(at + i);
            }
        }
        Some(at)
    }
}

fn yaml_error(file: &Path, e: &serde_yaml::Error) -> ProfileError {
    let msg = e.to_string();
    // serde_yaml ends with " at line L column C" for the position it
    // reports; that line goes in our prefix, any other position stays.
    let msg = match e.location() {
        Some(l) => {
            let tail = format!(" at line {} column {}", l.line(), l.column());
            msg.strip_suffix(&tail).map(str::to_owned).unwrap_or(msg)
        }
        None => msg,
    };
    ProfileError::new(file, ErrorKind::Yaml(msg)).at(e.location().map(|l| l.line()))
}

fn expr_error(file: &Path, field: &str, source: &str, e: CompileError) -> ProfileError {
    let kind = match e {
        CompileError::Syntax(problem) | CompileError::TooCostly(problem) => {
            ErrorKind::BadExpression {
                field: field.to_owned(),
                expr: source.to_owned(),
                problem,
            }
        }
        CompileError::UnknownFeature(feature) => ErrorKind::UnknownFeature {
            field: field.to_owned(),
            expr: source.to_owned(),
            feature,
        },
    };
    ProfileError::new(file, kind)
}

/// `match:`/`when:` as written: a bool or an expression.
fn condition(
    file: &Path,
    field: &str,
    value: &serde_yaml::Value,
) -> Result<Option<Arc<Expr>>, ProfileError> {
    let source = match value {
        serde_yaml::Value::Bool(true) => return Ok(None),
        serde_yaml::Value::Bool(false) => "false".to_owned(),
        serde_yaml::Value::String(s) => s.clone(),
        other => {
            return Err(ProfileError::new(
                file,
                ErrorKind::BadExpression {
                    field: field.to_owned(),
                    expr: yaml_kind(other),
                    problem: "expected an expression or a bool".to_owned(),
                },
            ))
        }
    };
    Expr::compile(&source)
        .map(|e| Some(Arc::new(e)))
        .map_err(|e| expr_error(file, field, &source, e))
}

/// Checks a `passes` pipeline string; the engine passes LLVM's own parser.
pub type PassCheck<'a> = &'a dyn Fn(&str) -> Result<(), String>;

impl Profile {
    pub fn load(
        path: &Path,
        pass_check: Option<PassCheck<'_>>,
    ) -> Result<Profile, Vec<ProfileError>> {
        let source = std::fs::read_to_string(path)
            .map_err(|e| vec![ProfileError::new(path, ErrorKind::Io(e.to_string()))])?;
        Self::parse(path, &source, pass_check)
    }

    /// Parses and validates a profile's text; `path` is used in errors.
    pub fn parse(
        path: &Path,
        source: &str,
        pass_check: Option<PassCheck<'_>>,
    ) -> Result<Profile, Vec<ProfileError>> {
        let raw: RawProfile =
            serde_yaml::from_str(source).map_err(|e| vec![yaml_error(path, &e)])?;
        let loc = Locator::new(source);
        let mut errors = Vec::new();

        if raw.name.is_empty()
            || !raw
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            errors.push(
                ProfileError::new(path, ErrorKind::BadName(raw.name.clone())).at(loc.top("name")),
            );
        }
        let matches = match raw.matches.as_ref() {
            None => None,
            Some(v) => condition(path, "match", v).unwrap_or_else(|e| {
                errors.push(e.at(loc.top("match")));
                None
            }),
        };
        if let Some(t) = raw.tolerance {
            let f = t.f32.unwrap_or_default();
            let ok = |x: f64| x.is_finite() && x >= 0.0;
            if !(ok(t.rel) && ok(t.abs) && ok(f.rel) && ok(f.abs)) {
                errors.push(
                    ProfileError::new(
                        path,
                        ErrorKind::BadParameter {
                            param: "tolerance".to_owned(),
                            problem: "`rel` and `abs` must be finite numbers >= 0".to_owned(),
                        },
                    )
                    .at(loc.top("tolerance")),
                );
            }
        }
        for (param, ms, max) in [
            ("execute_ms", raw.sandbox.execute_ms, MAX_EXECUTE_MS),
            ("transform_ms", raw.sandbox.transform_ms, MAX_TRANSFORM_MS),
        ] {
            if !(1..=max).contains(&ms) {
                errors.push(
                    ProfileError::new(
                        path,
                        ErrorKind::BadParameter {
                            param: format!("sandbox.{param}"),
                            problem: format!("{ms} is out of range: give 1 to {max} milliseconds"),
                        },
                    )
                    .at(loc.top("sandbox")),
                );
            }
        }
        let g = raw.guard;
        let guard_problem = if !(g.margin.is_finite() && (0.0..=10.0).contains(&g.margin)) {
            Some((
                "margin",
                format!("{} is out of range: give a fraction from 0 to 10", g.margin),
            ))
        } else if !(1..=MAX_GUARD_RUNS).contains(&g.runs) {
            Some((
                "runs",
                format!(
                    "{} is out of range: give 1 to {MAX_GUARD_RUNS} runs",
                    g.runs
                ),
            ))
        } else if !(1..=MAX_EXECUTE_MS).contains(&g.budget_ms) {
            Some((
                "budget_ms",
                format!(
                    "{} is out of range: give 1 to {MAX_EXECUTE_MS} milliseconds",
                    g.budget_ms
                ),
            ))
        } else if g.fallbacks > MAX_FALLBACKS {
            Some((
                "fallbacks",
                format!("{} is out of range: give 0 to {MAX_FALLBACKS}", g.fallbacks),
            ))
        } else {
            None
        };
        if let Some((param, problem)) = guard_problem {
            errors.push(
                ProfileError::new(
                    path,
                    ErrorKind::BadParameter {
                        param: format!("guard.{param}"),
                        problem,
                    },
                )
                .at(loc.top("guard")),
            );
        }
        let finish = raw
            .finish
            .clone()
            .unwrap_or_else(|| DEFAULT_FINISH.to_owned());
        if let Some(check) = pass_check {
            if finish != "none" {
                if let Err(problem) = check(&finish) {
                    errors.push(
                        ProfileError::new(
                            path,
                            ErrorKind::BadParameter {
                                param: "finish".to_owned(),
                                problem,
                            },
                        )
                        .at(loc.top("finish")),
                    );
                }
            }
        }

        let mut nodes = Vec::new();
        for (key, value) in &raw.pipeline {
            let Some(name) = key.as_str() else {
                errors.push(
                    ProfileError::new(
                        path,
                        ErrorKind::Yaml(format!("node names are strings, not {}", yaml_kind(key))),
                    )
                    .at(loc.top("pipeline")),
                );
                continue;
            };
            match parse_node(path, &loc, name, value, pass_check) {
                Ok(node) => nodes.push(node),
                Err(mut e) => errors.append(&mut e),
            }
        }

        // `autotune` toggles name other nodes of this profile.
        for node in nodes
            .iter()
            .filter(|n| n.transform == TransformKind::Autotune)
        {
            let Some(super::params::ParamValue::List(items)) = node
                .params
                .iter()
                .find(|(k, _)| *k == "toggle")
                .map(|(_, v)| v)
            else {
                continue;
            };
            for item in items {
                let super::params::ParamValue::Text(name) = item else {
                    continue;
                };
                let known = nodes
                    .iter()
                    .any(|n| n.name == *name && n.transform != TransformKind::Autotune);
                if !known {
                    errors.push(
                        ProfileError::new(
                            path,
                            ErrorKind::BadParameter {
                                param: "toggle".to_owned(),
                                problem: format!(
                                    "`{name}` is not a transform node of this profile"
                                ),
                            },
                        )
                        .at(loc.in_node(&node.name, "toggle").or(node.line))
                        .in_node(&node.name),
                    );
                }
            }
        }

        // Edges to nodes that failed to load would only repeat those errors.
        let built = if errors.is_empty() {
            Some(Dag::build(&nodes))
        } else {
            None
        };
        let dag = match built {
            None => None,
            Some(Ok(dag)) => Some(dag),
            Some(Err(e)) => {
                let line = match &e {
                    super::dag::DagError::UnknownNode { node, .. } => loc.in_node(node, "after"),
                    super::dag::DagError::Cycle(cycle) => cycle.first().and_then(|n| loc.node(n)),
                };
                errors.push(e.into_error(path).at(line));
                None
            }
        };
        match dag {
            Some(dag) if errors.is_empty() => Ok(Profile {
                name: raw.name,
                file: path.to_owned(),
                source: source.to_owned(),
                version: version_of(source),
                priority: raw.priority,
                description: raw.description,
                matches,
                tolerance: raw.tolerance.unwrap_or_default(),
                finish,
                sandbox: raw.sandbox,
                guard: raw.guard,
                nodes,
                dag,
            }),
            _ => Err(errors),
        }
    }

    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name == name)
    }
}

/// A profile text's version: the first 16 hex digits of its SHA-256.
pub fn version_of(source: &str) -> String {
    crate::kernel::hex(&sha2_16(source.as_bytes()))
}

fn sha2_16(bytes: &[u8]) -> [u8; 8] {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(bytes);
    let mut out = [0u8; 8];
    out.copy_from_slice(&d[..8]);
    out
}

fn parse_node(
    path: &Path,
    loc: &Locator<'_>,
    name: &str,
    value: &serde_yaml::Value,
    pass_check: Option<PassCheck<'_>>,
) -> Result<Node, Vec<ProfileError>> {
    let line = loc.node(name);
    let err = |kind: ErrorKind, key: Option<&str>| {
        let at = key.and_then(|k| loc.in_node(name, k)).or(line);
        ProfileError::new(path, kind).at(at).in_node(name)
    };
    let serde_yaml::Value::Mapping(map) = value else {
        return Err(vec![err(
            ErrorKind::Yaml(format!(
                "a node is a map with `transform:`, not {}",
                yaml_kind(value)
            )),
            None,
        )]);
    };
    let transform = match map.get("transform") {
        None => return Err(vec![err(ErrorKind::MissingTransform, None)]),
        Some(serde_yaml::Value::String(t)) => match TransformKind::from_name(t) {
            Some(k) => k,
            None => {
                return Err(vec![err(
                    ErrorKind::UnknownTransform { name: t.clone() },
                    Some("transform"),
                )])
            }
        },
        Some(other) => {
            return Err(vec![err(
                ErrorKind::UnknownTransform {
                    name: yaml_kind(other),
                },
                Some("transform"),
            )])
        }
    };
    let mut errors = Vec::new();
    let mut after = Vec::new();
    let mut when = None;
    let mut params: Params = Vec::new();
    for (k, v) in map {
        let Some(key) = k.as_str() else {
            errors.push(err(
                ErrorKind::Yaml(format!("keys are strings, not {}", yaml_kind(k))),
                None,
            ));
            continue;
        };
        match key {
            "transform" => {}
            "after" => match v {
                serde_yaml::Value::String(s) => after.push(s.clone()),
                serde_yaml::Value::Sequence(seq) => {
                    for item in seq {
                        match item.as_str() {
                            Some(s) => after.push(s.to_owned()),
                            None => errors.push(err(
                                ErrorKind::BadParameter {
                                    param: "after".into(),
                                    problem: format!(
                                        "node names are strings, not {}",
                                        yaml_kind(item)
                                    ),
                                },
                                Some("after"),
                            )),
                        }
                    }
                }
                other => errors.push(err(
                    ErrorKind::BadParameter {
                        param: "after".into(),
                        problem: format!(
                            "expected a node name or a list of them, found {}",
                            yaml_kind(other)
                        ),
                    },
                    Some("after"),
                )),
            },
            "when" => match condition(path, "when", v) {
                Ok(w) => when = w,
                Err(e) => errors.push(e.at(loc.in_node(name, "when")).in_node(name)),
            },
            _ => {
                let Some(spec) = transform.params().iter().find(|p| p.name == key) else {
                    errors.push(err(
                        ErrorKind::UnknownParameter {
                            param: key.to_owned(),
                            transform: transform.name().to_owned(),
                        },
                        Some(key),
                    ));
                    continue;
                };
                match parse_param(spec, v) {
                    Ok(value) => {
                        use super::params::ParamValue;
                        let pipelines: Vec<&String> = match (spec.ty, &value) {
                            (ParamTy::Pipeline, ParamValue::Text(p)) => vec![p],
                            (ParamTy::List(ParamTy::Pipeline), ParamValue::List(items)) => items
                                .iter()
                                .filter_map(|v| match v {
                                    ParamValue::Text(p) => Some(p),
                                    _ => None,
                                })
                                .collect(),
                            _ => Vec::new(),
                        };
                        if let Some(check) = pass_check {
                            for p in pipelines {
                                if p == "none" && spec.ty != ParamTy::Pipeline {
                                    continue;
                                }
                                if let Err(problem) = check(p) {
                                    errors.push(err(
                                        ErrorKind::BadParameter {
                                            param: key.to_owned(),
                                            problem,
                                        },
                                        Some(key),
                                    ));
                                }
                            }
                        }
                        params.push((spec.name, value));
                    }
                    Err(ParamError::Bad(problem)) => errors.push(err(
                        ErrorKind::BadParameter {
                            param: key.to_owned(),
                            problem,
                        },
                        Some(key),
                    )),
                    Err(ParamError::Syntax(expr, problem)) => errors.push(err(
                        ErrorKind::BadExpression {
                            field: key.to_owned(),
                            expr,
                            problem,
                        },
                        Some(key),
                    )),
                    Err(ParamError::UnknownFeature(expr, feature)) => errors.push(err(
                        ErrorKind::UnknownFeature {
                            field: key.to_owned(),
                            expr,
                            feature,
                        },
                        Some(key),
                    )),
                }
            }
        }
    }
    // A parameter written but refused has its own error already.
    let written = |name: &str| map.contains_key(name);
    for spec in transform.params().iter().filter(|p| p.required) {
        if !written(spec.name) {
            errors.push(err(
                ErrorKind::BadParameter {
                    param: spec.name.to_owned(),
                    problem: format!("`{}` needs it: {}", transform.name(), spec.doc),
                },
                None,
            ));
        }
    }
    if transform == TransformKind::Unroll && !written("count") && !written("full") {
        errors.push(err(
            ErrorKind::BadParameter {
                param: "count".to_owned(),
                problem: "`unroll` needs `count: N` or `full: true`".to_owned(),
            },
            None,
        ));
    }
    // Params in schema order, so a Plan does not depend on how keys were
    // ordered in the file.
    params.sort_by_key(|(n, _)| transform.params().iter().position(|p| p.name == *n));
    if errors.is_empty() {
        Ok(Node {
            name: name.to_owned(),
            transform,
            params,
            after,
            when,
            line,
        })
    } else {
        Err(errors)
    }
}
