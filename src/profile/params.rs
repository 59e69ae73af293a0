//! The transforms a node can name and the parameters each takes: the schema
//! profiles are checked against at load, and the resolution of parameter
//! values (literals or expressions) into a [`Step`] at plan time.
//!
//! Adding a transform is a variant here, its parameter table, its arm in
//! [`resolve`], and its file under `src/transform/`.

use super::expr::{CompileError, Expr, Scope};
use crate::analyze::{ArgKind, CharacteristicVector, FeatureValue};
use crate::input::Scalar;
use crate::kernel::ScalarType;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransformKind {
    Specialize,
    Unroll,
    Vectorize,
    InlineCache,
    Layout,
    Dce,
    Passes,
    Autotune,
}

/// The type of one parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamTy {
    /// An integer in `min..=max`; `pow2` requires a power of two (or 0 when
    /// 0 is in range, meaning "let LLVM choose").
    Int {
        min: i64,
        max: i64,
        pow2: bool,
    },
    Bool,
    Choice(&'static [&'static str]),
    /// A new-pass-manager pipeline string, checked by LLVM's parser.
    Pipeline,
    /// Argument bindings of `specialize`.
    Bind,
    /// The name of another node of the profile.
    Node,
    /// A list of literals of one type: `autotune`'s candidate sets.
    List(&'static ParamTy),
}

/// The most entries a candidate list may hold.
pub const MAX_LIST: usize = 8;

#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub ty: ParamTy,
    pub required: bool,
    pub doc: &'static str,
}

const fn p(name: &'static str, ty: ParamTy, required: bool, doc: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        ty,
        required,
        doc,
    }
}

const fn int(min: i64, max: i64) -> ParamTy {
    ParamTy::Int {
        min,
        max,
        pow2: false,
    }
}

const fn pow2(min: i64, max: i64) -> ParamTy {
    ParamTy::Int {
        min,
        max,
        pow2: true,
    }
}

pub const ISA_LEVELS: &[&str] = &["native", "sse4.2", "avx2", "avx512"];

const SPECIALIZE: &[ParamSpec] = &[p(
    "bind",
    ParamTy::Bind,
    true,
    "arguments to bind: `{ n: a.len }`, or a kind: `ints`, `floats`, `scalars`",
)];
const UNROLL: &[ParamSpec] = &[
    p("count", int(1, 1024), false, "unroll factor"),
    p(
        "full",
        ParamTy::Bool,
        false,
        "unroll loops completely (constant trip counts)",
    ),
];
const VECTORIZE: &[ParamSpec] = &[
    p(
        "width",
        pow2(0, 64),
        false,
        "vector width in elements (0: the vectorizer's choice)",
    ),
    p(
        "interleave",
        pow2(0, 16),
        false,
        "interleave count (0: the vectorizer's choice)",
    ),
    p(
        "isa",
        ParamTy::Choice(ISA_LEVELS),
        false,
        "instruction set level",
    ),
    p(
        "reassoc",
        ParamTy::Bool,
        false,
        "allow reassociating floating-point reductions",
    ),
    p(
        "defer",
        ParamTy::Bool,
        false,
        "only mark the loops and license reassociation: the finish pipeline's vectorizers do the work, after its own simplification",
    ),
];
const INLINE_CACHE: &[ParamSpec] = &[
    p(
        "index",
        int(0, i32::MAX as i64),
        false,
        "the function-table index the input pins",
    ),
    p(
        "max_targets",
        int(1, 16),
        false,
        "polymorphic guard chain length before falling back",
    ),
];
const LAYOUT: &[ParamSpec] = &[
    p(
        "align",
        pow2(8, 4096),
        false,
        "assumed alignment of array arguments in bytes",
    ),
    p(
        "noalias",
        ParamTy::Bool,
        false,
        "array arguments do not overlap",
    ),
    p(
        "dereferenceable",
        ParamTy::Bool,
        false,
        "array arguments are dereferenceable for their length",
    ),
    p(
        "prefetch",
        int(0, 4096),
        false,
        "prefetch distance in elements for strided loads (0: off)",
    ),
];
const DCE: &[ParamSpec] = &[p(
    "aggressive",
    ParamTy::Bool,
    false,
    "also run adce and globaldce",
)];
const PASSES: &[ParamSpec] = &[p(
    "pipeline",
    ParamTy::Pipeline,
    true,
    "a new-pass-manager pipeline, e.g. `function(instcombine,gvn)`",
)];

const AUTOTUNE: &[ParamSpec] = &[
    p(
        "toggle",
        ParamTy::List(&ParamTy::Node),
        false,
        "nodes tried both on and off",
    ),
    p(
        "unroll",
        ParamTy::List(&int(1, 1024)),
        false,
        "counts tried for every partial unroll step",
    ),
    p(
        "width",
        ParamTy::List(&pow2(0, 64)),
        false,
        "vector widths tried for every vectorize step (0: the vectorizer's choice)",
    ),
    p(
        "interleave",
        ParamTy::List(&pow2(0, 16)),
        false,
        "interleave counts tried for every vectorize step",
    ),
    p(
        "finish",
        ParamTy::List(&ParamTy::Pipeline),
        false,
        "finishing pipelines tried",
    ),
    p(
        "defer",
        ParamTy::Bool,
        false,
        "also try every vectorize step with its vectorizing left to finish",
    ),
    p("max", int(1, 16), false, "candidates built at most (8)"),
];

impl TransformKind {
    pub const ALL: [TransformKind; 8] = [
        Self::Specialize,
        Self::Unroll,
        Self::Vectorize,
        Self::InlineCache,
        Self::Layout,
        Self::Dce,
        Self::Passes,
        Self::Autotune,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Specialize => "specialize",
            Self::Unroll => "unroll",
            Self::Vectorize => "vectorize",
            Self::InlineCache => "inline_cache",
            Self::Layout => "layout",
            Self::Dce => "dce",
            Self::Passes => "passes",
            Self::Autotune => "autotune",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|t| t.name()).collect()
    }

    pub fn params(self) -> &'static [ParamSpec] {
        match self {
            Self::Specialize => SPECIALIZE,
            Self::Unroll => UNROLL,
            Self::Vectorize => VECTORIZE,
            Self::InlineCache => INLINE_CACHE,
            Self::Layout => LAYOUT,
            Self::Dce => DCE,
            Self::Passes => PASSES,
            Self::Autotune => AUTOTUNE,
        }
    }

    pub fn param_names(self) -> Vec<&'static str> {
        self.params().iter().map(|p| p.name).collect()
    }
}

impl fmt::Display for TransformKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parameter as written: a literal, or an expression resolved at plan time.
#[derive(Debug, Clone)]
pub enum ParamValue {
    Int(i64),
    Bool(bool),
    Text(String),
    Expr(Arc<Expr>),
    Bind(BindSpec),
    List(Vec<ParamValue>),
}

impl ParamValue {
    /// Calls `f` on every expression in the value.
    pub fn each_expr(&self, f: &mut dyn FnMut(&Expr)) {
        match self {
            ParamValue::Expr(e) => f(e),
            ParamValue::Bind(BindSpec::Named(pairs)) => {
                for (_, v) in pairs {
                    if let BindValue::Expr(e) = v {
                        f(e);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The kinds `specialize` can bind wholesale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindKind {
    Ints,
    Floats,
    Scalars,
}

#[derive(Debug, Clone)]
pub enum BindSpec {
    Kind(BindKind),
    /// `arg: value` pairs in file order; the value is a number or an
    /// expression.
    Named(Vec<(String, BindValue)>),
}

#[derive(Debug, Clone)]
pub enum BindValue {
    Int(i64),
    Float(f64),
    Expr(Arc<Expr>),
}

/// Why a parameter as written is refused (the caller adds file and node).
#[derive(Debug, Clone, PartialEq)]
pub enum ParamError {
    Bad(String),
    Syntax(String, String),
    UnknownFeature(String, String),
}

fn compile(source: &str) -> Result<Arc<Expr>, ParamError> {
    Expr::compile(source).map(Arc::new).map_err(|e| match e {
        CompileError::Syntax(m) | CompileError::TooCostly(m) => {
            ParamError::Syntax(source.to_owned(), m)
        }
        CompileError::UnknownFeature(f) => ParamError::UnknownFeature(source.to_owned(), f),
    })
}

fn check_int(spec: &ParamSpec, v: i64) -> Result<(), String> {
    if let ParamTy::Int { min, max, pow2 } = spec.ty {
        if v < min || v > max {
            return Err(format!("{v} is outside {min}..={max}"));
        }
        if pow2 && v != 0 && (v as u64).count_ones() != 1 {
            return Err(format!("{v} is not a power of two"));
        }
    }
    Ok(())
}

/// Reads one parameter's YAML value against its spec.
pub fn parse_param(spec: &ParamSpec, value: &serde_yaml::Value) -> Result<ParamValue, ParamError> {
    use serde_yaml::Value as Y;
    let bad = |m: String| ParamError::Bad(m);
    match (spec.ty, value) {
        (ParamTy::Int { .. }, Y::Number(n)) => {
            let v = n
                .as_i64()
                .ok_or_else(|| bad(format!("{n} is not an integer")))?;
            check_int(spec, v).map_err(bad)?;
            Ok(ParamValue::Int(v))
        }
        (ParamTy::Int { .. }, Y::String(s)) => Ok(ParamValue::Expr(compile(s)?)),
        (ParamTy::Bool, Y::Bool(b)) => Ok(ParamValue::Bool(*b)),
        (ParamTy::Bool, Y::String(s)) => Ok(ParamValue::Expr(compile(s)?)),
        (ParamTy::Choice(options), Y::String(s)) => {
            if options.contains(&s.as_str()) {
                Ok(ParamValue::Text(s.clone()))
            } else {
                Err(bad(format!("`{s}` is not one of {}", options.join(", "))))
            }
        }
        (ParamTy::Pipeline, Y::String(s)) => {
            if s.trim().is_empty() {
                Err(bad("the pipeline is empty".to_owned()))
            } else {
                Ok(ParamValue::Text(s.clone()))
            }
        }
        (ParamTy::Node, Y::String(s)) => Ok(ParamValue::Text(s.clone())),
        (ParamTy::List(inner), Y::Sequence(items)) => {
            if items.is_empty() || items.len() > MAX_LIST {
                return Err(bad(format!(
                    "give 1 to {MAX_LIST} candidates, not {}",
                    items.len()
                )));
            }
            let spec = ParamSpec { ty: *inner, ..*spec };
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match parse_param(&spec, item)? {
                    ParamValue::Expr(_) => {
                        return Err(bad(format!(
                            "candidates are literals, not expressions ({})",
                            yaml_kind(item)
                        )))
                    }
                    v => out.push(v),
                }
            }
            Ok(ParamValue::List(out))
        }
        (ParamTy::Bind, Y::String(s)) => match s.as_str() {
            "ints" => Ok(ParamValue::Bind(BindSpec::Kind(BindKind::Ints))),
            "floats" => Ok(ParamValue::Bind(BindSpec::Kind(BindKind::Floats))),
            "scalars" => Ok(ParamValue::Bind(BindSpec::Kind(BindKind::Scalars))),
            other => Err(bad(format!(
                "`{other}`: bind a kind (`ints`, `floats`, `scalars`) or a map of arguments (`{{ n: a.len }}`)"
            ))),
        },
        (ParamTy::Bind, Y::Mapping(m)) => {
            if m.is_empty() {
                return Err(bad("binds no argument".to_owned()));
            }
            let mut out = Vec::new();
            for (k, v) in m {
                let Some(name) = k.as_str() else {
                    return Err(bad(format!("argument names are strings, not {k:?}")));
                };
                let value = match v {
                    Y::Number(n) if n.is_i64() => BindValue::Int(n.as_i64().unwrap_or_default()),
                    Y::Number(n) => BindValue::Float(n.as_f64().unwrap_or_default()),
                    Y::String(s) => BindValue::Expr(compile(s)?),
                    other => {
                        return Err(bad(format!(
                            "`{name}` must be bound to a number or an expression, not {}",
                            yaml_kind(other)
                        )))
                    }
                };
                out.push((name.to_owned(), value));
            }
            Ok(ParamValue::Bind(BindSpec::Named(out)))
        }
        (ty, other) => Err(bad(format!(
            "expected {}, found {}",
            match ty {
                ParamTy::Int { .. } => "an integer or an expression",
                ParamTy::Bool => "true, false or an expression",
                ParamTy::Choice(_) => "a name",
                ParamTy::Pipeline => "a pipeline string",
                ParamTy::Bind => "a kind or a map of arguments",
                ParamTy::Node => "a node name",
                ParamTy::List(_) => "a list of candidates",
            },
            yaml_kind(other)
        ))),
    }
}

pub fn yaml_kind(v: &serde_yaml::Value) -> String {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => "nothing".to_owned(),
        Y::Bool(b) => format!("`{b}`"),
        Y::Number(n) => format!("`{n}`"),
        Y::String(s) => format!("`{s}`"),
        Y::Sequence(_) => "a list".to_owned(),
        Y::Mapping(_) => "a map".to_owned(),
        Y::Tagged(_) => "a tagged value".to_owned(),
    }
}

/// A scalar argument bound to a constant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binding {
    pub arg: String,
    pub index: usize,
    pub value: Scalar,
}

/// A node's transform with every parameter resolved: what the transform
/// engine runs and what the cache key hashes.
/// An array argument and a byte count (dereferenceable bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArgBytes {
    pub arg: usize,
    pub bytes: u64,
}

/// An integer array argument that is an arithmetic progression with this
/// step: an index array that strides through memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArgStride {
    pub arg: usize,
    pub step: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "transform", rename_all = "snake_case")]
pub enum Step {
    Specialize {
        bind: Vec<Binding>,
    },
    Unroll {
        /// 0: no explicit count.
        count: u32,
        full: bool,
    },
    Vectorize {
        width: u32,
        interleave: u32,
        isa: String,
        reassoc: bool,
        /// Leave the vectorizing to `finish` (marks and flags only).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        defer: bool,
    },
    InlineCache {
        index: Option<i64>,
        max_targets: u32,
    },
    Layout {
        align: u32,
        noalias: bool,
        /// Array arguments with their padded sizes, when asked for.
        dereferenceable: Vec<ArgBytes>,
        /// Prefetch distance in elements (0: off).
        prefetch: u32,
        /// Index arrays the prefetch follows.
        strides: Vec<ArgStride>,
    },
    Dce {
        aggressive: bool,
    },
    Passes {
        pipeline: String,
    },
    /// Candidate sets: the engine builds the Plans they make (see
    /// [`crate::profile::Plan::tuning`]), times them and keeps the fastest
    /// verified one. Transforms nothing itself.
    Autotune {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        toggle: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        unroll: Vec<u32>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        width: Vec<u32>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        interleave: Vec<u32>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        finish: Vec<String>,
        /// Also try the vectorize steps deferred to `finish`.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        defer: bool,
        max: u32,
    },
}

impl Step {
    pub fn kind(&self) -> TransformKind {
        match self {
            Step::Specialize { .. } => TransformKind::Specialize,
            Step::Unroll { .. } => TransformKind::Unroll,
            Step::Vectorize { .. } => TransformKind::Vectorize,
            Step::InlineCache { .. } => TransformKind::InlineCache,
            Step::Layout { .. } => TransformKind::Layout,
            Step::Dce { .. } => TransformKind::Dce,
            Step::Passes { .. } => TransformKind::Passes,
            Step::Autotune { .. } => TransformKind::Autotune,
        }
    }

    /// The parameters in one line, for people: `n=1000, width=8`.
    pub fn summary(&self) -> String {
        match self {
            Step::Specialize { bind } => bind
                .iter()
                .map(|b| format!("{}={}", b.arg, b.value))
                .collect::<Vec<_>>()
                .join(", "),
            Step::Unroll { count, full } => match (full, count) {
                (true, _) => "full".to_owned(),
                (false, c) => format!("count={c}"),
            },
            Step::Vectorize {
                width,
                interleave,
                isa,
                reassoc,
                defer,
            } => format!(
                "width={} interleave={} isa={isa}{}{}",
                auto(*width),
                auto(*interleave),
                if *reassoc { " reassoc" } else { "" },
                if *defer { " defer" } else { "" }
            ),
            Step::InlineCache { index, max_targets } => match index {
                Some(i) => format!("index={i} max_targets={max_targets}"),
                None => format!("max_targets={max_targets}"),
            },
            Step::Layout {
                align,
                noalias,
                dereferenceable,
                prefetch,
                strides,
            } => {
                let mut s = format!("align={align}");
                if *noalias {
                    s.push_str(" noalias");
                }
                if !dereferenceable.is_empty() {
                    s.push_str(" dereferenceable");
                }
                if *prefetch > 0 {
                    s.push_str(&format!(" prefetch={prefetch}"));
                    for st in strides {
                        s.push_str(&format!(" stride#{}={}", st.arg, st.step));
                    }
                }
                s
            }
            Step::Dce { aggressive } => if *aggressive { "aggressive" } else { "basic" }.to_owned(),
            Step::Passes { pipeline } => pipeline.clone(),
            Step::Autotune {
                toggle,
                unroll,
                width,
                interleave,
                finish,
                defer,
                max,
            } => {
                let list = |name: &str, v: Vec<String>| -> Option<String> {
                    (!v.is_empty()).then(|| format!("{name}=[{}]", v.join(",")))
                };
                let nums = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>();
                [
                    list("toggle", toggle.clone()),
                    list("unroll", nums(unroll)),
                    list("width", nums(width)),
                    list("interleave", nums(interleave)),
                    list("finish", finish.clone()),
                    defer.then(|| "defer".to_owned()),
                    Some(format!("max={max}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
            }
        }
    }
}

fn auto(v: u32) -> String {
    if v == 0 {
        "auto".to_owned()
    } else {
        v.to_string()
    }
}

/// Node parameters as loaded, by name in schema order.
pub type Params = Vec<(&'static str, ParamValue)>;

fn get<'a>(params: &'a Params, name: &str) -> Option<&'a ParamValue> {
    params.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
}

fn int_param(
    kind: TransformKind,
    params: &Params,
    name: &str,
    default: i64,
    scope: &Scope,
) -> Result<i64, String> {
    let v = match get(params, name) {
        None => return Ok(default),
        Some(ParamValue::Int(i)) => *i,
        Some(ParamValue::Expr(e)) => e.eval_int(scope)?,
        Some(other) => return Err(format!("`{name}` is {other:?}, not an integer")),
    };
    if let Some(spec) = kind.params().iter().find(|p| p.name == name) {
        check_int(spec, v).map_err(|m| format!("`{name}`: {m}"))?;
    }
    Ok(v)
}

fn bool_param(params: &Params, name: &str, default: bool, scope: &Scope) -> Result<bool, String> {
    match get(params, name) {
        None => Ok(default),
        Some(ParamValue::Bool(b)) => Ok(*b),
        Some(ParamValue::Expr(e)) => e.eval_bool(scope),
        Some(other) => Err(format!("`{name}` is {other:?}, not a bool")),
    }
}

fn text_param(params: &Params, name: &str, default: &str) -> String {
    match get(params, name) {
        Some(ParamValue::Text(t)) => t.clone(),
        _ => default.to_owned(),
    }
}

/// Turns a node's parameters into a [`Step`] for one vector.
pub fn resolve(
    kind: TransformKind,
    params: &Params,
    vector: &CharacteristicVector,
    scope: &Scope,
) -> Result<Step, String> {
    let i = |name: &str, default: i64| int_param(kind, params, name, default, scope);
    let b = |name: &str, default: bool| bool_param(params, name, default, scope);
    Ok(match kind {
        TransformKind::Specialize => Step::Specialize {
            bind: resolve_bind(get(params, "bind"), vector, scope)?,
        },
        TransformKind::Unroll => Step::Unroll {
            count: i("count", 0)? as u32,
            full: b("full", false)?,
        },
        TransformKind::Vectorize => Step::Vectorize {
            width: i("width", 0)? as u32,
            interleave: i("interleave", 0)? as u32,
            isa: text_param(params, "isa", "native"),
            reassoc: b("reassoc", false)?,
            defer: b("defer", false)?,
        },
        TransformKind::InlineCache => Step::InlineCache {
            index: match get(params, "index") {
                None => None,
                Some(_) => Some(i("index", 0)?),
            },
            max_targets: i("max_targets", 4)? as u32,
        },
        TransformKind::Layout => {
            let arrays = || vector.args.iter().filter(|a| a.kind == ArgKind::Array);
            let int_of = |a: &crate::analyze::ArgVector, k: &str| match a.get(k) {
                Some(FeatureValue::Int(v)) => Some(*v),
                _ => None,
            };
            let dereferenceable = if b("dereferenceable", true)? {
                // The engine pads every buffer to 64 bytes (DESIGN §4).
                arrays()
                    .filter_map(|a| {
                        let bytes = int_of(a, "bytes")?.max(1) as u64;
                        Some(ArgBytes {
                            arg: a.index,
                            bytes: bytes.div_ceil(64) * 64,
                        })
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let prefetch = i("prefetch", 0)? as u32;
            let strides = if prefetch > 0 {
                arrays()
                    .filter(|a| !a.ty.is_float())
                    .filter(|a| a.get("progression") == Some(&FeatureValue::Bool(true)))
                    .filter_map(|a| {
                        let step = int_of(a, "step")?;
                        (step != 0).then_some(ArgStride { arg: a.index, step })
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Step::Layout {
                align: i("align", 64)? as u32,
                noalias: b("noalias", true)?,
                dereferenceable,
                prefetch,
                strides,
            }
        }
        TransformKind::Dce => Step::Dce {
            aggressive: b("aggressive", true)?,
        },
        TransformKind::Passes => Step::Passes {
            pipeline: text_param(params, "pipeline", ""),
        },
        TransformKind::Autotune => {
            let list = |name: &str| -> Vec<ParamValue> {
                match get(params, name) {
                    Some(ParamValue::List(v)) => v.clone(),
                    _ => Vec::new(),
                }
            };
            let ints = |name: &str| -> Vec<u32> {
                list(name)
                    .iter()
                    .filter_map(|v| match v {
                        ParamValue::Int(i) => u32::try_from(*i).ok(),
                        _ => None,
                    })
                    .collect()
            };
            let texts = |name: &str| -> Vec<String> {
                list(name)
                    .iter()
                    .filter_map(|v| match v {
                        ParamValue::Text(t) => Some(t.clone()),
                        _ => None,
                    })
                    .collect()
            };
            Step::Autotune {
                toggle: texts("toggle"),
                unroll: ints("unroll"),
                width: ints("width"),
                interleave: ints("interleave"),
                finish: texts("finish"),
                defer: b("defer", false)?,
                max: i("max", 8)? as u32,
            }
        }
    })
}

fn scalar_of(ty: ScalarType, int: Option<i64>, float: f64, arg: &str) -> Result<Scalar, String> {
    let out_of_range = |v: String| format!("`{arg}` is {ty} but is bound to {v}, out of range");
    Ok(match (ty, int) {
        (ScalarType::I32, Some(v)) => {
            Scalar::I32(i32::try_from(v).map_err(|_| out_of_range(v.to_string()))?)
        }
        (ScalarType::I64, Some(v)) => Scalar::I64(v),
        (ScalarType::I32 | ScalarType::I64, None) => {
            return Err(format!(
                "`{arg}` is {ty} but is bound to {float}, not an integer"
            ))
        }
        (ScalarType::F32, _) => Scalar::F32(float as f32),
        (ScalarType::F64, _) => Scalar::F64(float),
    })
}

fn resolve_bind(
    spec: Option<&ParamValue>,
    vector: &CharacteristicVector,
    scope: &Scope,
) -> Result<Vec<Binding>, String> {
    let Some(ParamValue::Bind(spec)) = spec else {
        return Err("`bind` is missing".to_owned());
    };
    let scalars = vector
        .args
        .iter()
        .filter(|a| a.kind != ArgKind::Array && !a.out);
    let mut out = Vec::new();
    match spec {
        BindSpec::Kind(kind) => {
            for arg in scalars {
                let wanted = match kind {
                    BindKind::Ints => arg.kind == ArgKind::Int,
                    BindKind::Floats => arg.kind == ArgKind::Float,
                    BindKind::Scalars => true,
                };
                if !wanted {
                    continue;
                }
                let (int, float) = match arg.value() {
                    Some(crate::analyze::FeatureValue::Int(v)) => (Some(*v), *v as f64),
                    Some(crate::analyze::FeatureValue::Float(v)) => (None, *v),
                    _ => continue,
                };
                out.push(Binding {
                    arg: arg.name.clone(),
                    index: arg.index,
                    value: scalar_of(arg.ty, int, float, &arg.name)?,
                });
            }
        }
        BindSpec::Named(pairs) => {
            for (name, value) in pairs {
                let arg = vector.arg(name).ok_or_else(|| {
                    format!("binds `{name}`, but the kernel has no argument `{name}`")
                })?;
                if arg.kind == ArgKind::Array {
                    return Err(format!("binds `{name}`, which is an array, not a scalar"));
                }
                let (int, float) = match value {
                    BindValue::Int(v) => (Some(*v), *v as f64),
                    BindValue::Float(f) => (None, *f),
                    BindValue::Expr(e) => match e.eval(scope)? {
                        cel::Value::Int(v) => (Some(v), v as f64),
                        cel::Value::UInt(v) => (i64::try_from(v).ok(), v as f64),
                        cel::Value::Float(f) => {
                            let int = (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64);
                            (int, f)
                        }
                        _ => return Err(format!("`{name}: {e}` is not a number")),
                    },
                };
                out.push(Binding {
                    arg: name.clone(),
                    index: arg.index,
                    value: scalar_of(arg.ty, int, float, name)?,
                });
            }
        }
    }
    out.sort_by_key(|b| b.index);
    Ok(out)
}
