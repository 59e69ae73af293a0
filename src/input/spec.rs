//! The input spec (DESIGN §3): parsing and validating the YAML into an
//! [`InputSpec`], then materializing it against the entry's [`Signature`]
//! into an [`Input`] whose arguments stand in parameter order.
//!
//! Parsing checks everything that can be checked without the kernel or the
//! data files (keys, types, generator parameters, `len(x)` references), so
//! `tailor analyze` fails before it generates a megabyte; materializing
//! checks the binding against the signature before it generates anything.

use super::buffer::Buffer;
use super::error::InputError;
use super::files;
use super::gen::{GenSpec, MAX_LEN};
use super::value::{Arg, Input, Role, Scalar, Value};
use super::yaml::{describe, did_you_mean, float_for, int_for, int_of, is_identifier, string_keys};
use crate::kernel::{Param, ParamType, ScalarType, Signature};
use serde_yaml::Mapping;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

type YamlValue = serde_yaml::Value;

const TOP_KEYS: [&str; 4] = ["kernel", "entry", "args", "out"];
const REQUEST_KEYS: [&str; 3] = ["entry", "args", "out"];
const ARRAY_KEYS_IN: [&str; 4] = ["array", "gen", "file", "data"];
const ARRAY_KEYS_OUT: [&str; 6] = ["array", "gen", "file", "data", "len", "index"];
const SCALAR_KEYS: [&str; 4] = ["i32", "i64", "f32", "f64"];

/// A parsed, validated spec; nothing generated or read yet.
#[derive(Clone, Debug, PartialEq)]
pub struct InputSpec {
    /// The spec file, as given.
    pub path: PathBuf,
    /// The kernel's source, resolved: relative to the spec's folder if a file
    /// is there, else relative to the current directory.
    pub kernel: PathBuf,
    pub entry: Option<String>,
    /// `args:` then `out:`, in spec order.
    args: Vec<ArgSpec>,
    /// Where `file:` data comes from.
    data: DataSource,
}

/// Where a spec's `file:` names are looked up.
#[derive(Clone, Debug, PartialEq)]
pub enum DataSource {
    /// A spec on disk: files inside the spec's folder.
    Folder,
    /// A request's bindings (the service): the parts sent with the
    /// request, by name. No file of the host is ever read.
    Parts(Arc<BTreeMap<String, Vec<u8>>>),
}

#[derive(Clone, Debug, PartialEq)]
struct ArgSpec {
    name: String,
    role: Role,
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Array {
        elem: ScalarType,
        source: Source,
        /// `index:`, the parameter position of an out array.
        index: Option<usize>,
    },
    Scalar {
        ty: ScalarType,
        value: ScalarExpr,
    },
}

#[derive(Clone, Debug, PartialEq)]
enum Source {
    Gen(GenSpec),
    /// As written in the spec; resolved against the spec's folder when read.
    File(PathBuf),
    Data(Buffer),
    /// An out array's `len:`: zeros for the kernel to write.
    Zeroed(LenExpr),
}

#[derive(Clone, Debug, PartialEq)]
enum LenExpr {
    Lit(usize),
    Of(String),
}

#[derive(Clone, Debug, PartialEq)]
enum ScalarExpr {
    Lit(Scalar),
    LenOf(String),
}

/// `NAME` from `len(NAME)` (spaces allowed), or `None` if `s` is not of
/// that form.
fn len_ref(s: &str) -> Option<&str> {
    let inner = s
        .trim()
        .strip_prefix("len")?
        .trim_start()
        .strip_prefix('(')?;
    Some(inner.strip_suffix(')')?.trim())
}

fn spec_dir(spec: &Path) -> &Path {
    spec.parent().unwrap_or(Path::new(""))
}

/// A relative `kernel:` is relative to the spec's folder, never to the
/// working directory.
fn resolve_kernel(spec: &Path, kernel: &str) -> PathBuf {
    let k = Path::new(kernel);
    if k.is_absolute() {
        k.to_path_buf()
    } else {
        spec_dir(spec).join(k)
    }
}

impl InputSpec {
    pub fn load(path: &Path) -> Result<InputSpec, InputError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "not found".to_string(),
                std::io::ErrorKind::InvalidData => "not UTF-8 text".to_string(),
                _ => e.to_string(),
            };
            InputError::new(path, None, format!("cannot read the spec: {why}"))
        })?;
        Self::parse(path, &text)
    }

    /// Parses `yaml` as the spec at `path` (used in errors, and as the base
    /// of relative `kernel:` and `file:` paths).
    pub fn parse(path: &Path, yaml: &str) -> Result<InputSpec, InputError> {
        let err = |arg: Option<&str>, p: String| InputError::new(path, arg, p);
        let root: YamlValue =
            serde_yaml::from_str(yaml).map_err(|e| err(None, format!("invalid YAML: {e}")))?;
        let m = match &root {
            YamlValue::Mapping(m) => m,
            YamlValue::Null => {
                return Err(err(
                    None,
                    "the spec is empty; it needs `kernel:` and `args:`".into(),
                ))
            }
            other => {
                return Err(err(
                    None,
                    format!(
                        "expected a map with `kernel:`, `args:` and `out:`, found {}",
                        describe(other)
                    ),
                ))
            }
        };
        for k in string_keys(m).map_err(|e| err(None, e))? {
            if !TOP_KEYS.contains(&k) {
                return Err(err(
                    None,
                    format!(
                        "unknown key `{k}`{} (a spec has {})",
                        did_you_mean(k, &TOP_KEYS),
                        TOP_KEYS.join(", ")
                    ),
                ));
            }
        }

        let kernel = match m.get("kernel") {
            None => {
                return Err(err(
                    None,
                    "missing `kernel:` (the kernel's source, relative to the spec's folder)".into(),
                ))
            }
            Some(YamlValue::String(s)) if !s.trim().is_empty() => resolve_kernel(path, s),
            Some(other) => {
                return Err(err(
                    None,
                    format!("`kernel:` must be a path, found {}", describe(other)),
                ))
            }
        };
        Self::from_mapping(path, m, kernel, DataSource::Folder)
    }

    /// A request's bindings (`entry:`, `args:`, `out:` as a spec writes
    /// them, e.g. converted from JSON) with the data parts sent beside them:
    /// a `file:` names one of `parts` (its extension says how to read it,
    /// as for a file). `label` names the request in errors.
    pub fn from_request(
        label: &Path,
        bindings: &YamlValue,
        parts: BTreeMap<String, Vec<u8>>,
    ) -> Result<InputSpec, InputError> {
        let err = |p: String| InputError::new(label, None, p);
        let m = match bindings {
            YamlValue::Mapping(m) => m,
            other => {
                return Err(err(format!(
                    "expected a map with `args:` and `out:`, found {}",
                    describe(other)
                )))
            }
        };
        for k in string_keys(m).map_err(err)? {
            if !REQUEST_KEYS.contains(&k) {
                return Err(err(format!(
                    "unknown key `{k}`{} (bindings have {})",
                    did_you_mean(k, &REQUEST_KEYS),
                    REQUEST_KEYS.join(", ")
                )));
            }
        }
        Self::from_mapping(label, m, PathBuf::new(), DataSource::Parts(Arc::new(parts)))
    }

    fn from_mapping(
        path: &Path,
        m: &Mapping,
        kernel: PathBuf,
        data: DataSource,
    ) -> Result<InputSpec, InputError> {
        let err = |arg: Option<&str>, p: String| InputError::new(path, arg, p);
        let entry = match m.get("entry") {
            None | Some(YamlValue::Null) => None,
            Some(YamlValue::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(other) => {
                return Err(err(
                    None,
                    format!(
                        "`entry:` must be a function name, found {}",
                        describe(other)
                    ),
                ))
            }
        };

        let mut args = Vec::new();
        for (section, role) in [("args", Role::In), ("out", Role::Out)] {
            let items = match m.get(section) {
                None | Some(YamlValue::Null) => continue,
                Some(YamlValue::Sequence(items)) => items,
                Some(other) => {
                    return Err(err(
                        None,
                        format!(
                            "`{section}:` must be a list of `- NAME: {{ ... }}` items, found {}",
                            describe(other)
                        ),
                    ))
                }
            };
            for (pos, item) in items.iter().enumerate() {
                args.push(parse_arg(path, section, pos, item, role)?);
            }
        }

        let mut seen = HashSet::new();
        for a in &args {
            if !seen.insert(a.name.as_str()) {
                return Err(err(
                    Some(&a.name),
                    "bound twice: argument names must be unique across `args:` and `out:`".into(),
                ));
            }
        }

        let spec = InputSpec {
            path: path.to_path_buf(),
            kernel,
            entry,
            args,
            data,
        };
        spec.check_len_refs()?;
        Ok(spec)
    }

    /// The argument names in spec order: `args:` then `out:`.
    /// The data files the spec reads (`file:`), resolved: a long-lived
    /// engine watches them to know when a materialized input is stale.
    pub fn data_files(&self) -> Vec<PathBuf> {
        if self.data != DataSource::Folder {
            return Vec::new();
        }
        self.args
            .iter()
            .filter_map(|a| match &a.kind {
                Kind::Array {
                    source: Source::File(f),
                    ..
                } => Some(spec_dir(&self.path).join(f)),
                _ => None,
            })
            .collect()
    }

    pub fn arg_names(&self) -> Vec<&str> {
        self.args.iter().map(|a| a.name.as_str()).collect()
    }

    fn err(&self, arg: Option<&str>, problem: impl Into<String>) -> InputError {
        InputError::new(&self.path, arg, problem)
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.args.iter().position(|a| a.name == name)
    }

    fn is_array(&self, name: &str) -> bool {
        self.position(name)
            .is_some_and(|i| matches!(self.args[i].kind, Kind::Array { .. }))
    }

    /// Every `len(x)` names an array, and out lengths defined through each
    /// other bottom out in an array with data.
    fn check_len_refs(&self) -> Result<(), InputError> {
        let names: Vec<&str> = self.arg_names();
        for a in &self.args {
            let target = match &a.kind {
                Kind::Scalar {
                    value: ScalarExpr::LenOf(x),
                    ..
                } => x,
                Kind::Array {
                    source: Source::Zeroed(LenExpr::Of(x)),
                    ..
                } => x,
                _ => continue,
            };
            if !self.is_array(target) {
                let why = if names.contains(&target.as_str()) {
                    format!("`{target}` is a scalar, not an array")
                } else {
                    format!(
                        "no array argument is named `{target}`{}",
                        did_you_mean(target, &names)
                    )
                };
                return Err(self.err(Some(&a.name), format!("`len({target})`: {why}")));
            }
        }
        // Resolve lengths symbolically; whatever stays unknown is a cycle.
        let mut known: HashSet<&str> = self
            .args
            .iter()
            .filter(|a| {
                matches!(&a.kind, Kind::Array { source, .. }
                    if !matches!(source, Source::Zeroed(LenExpr::Of(_))))
            })
            .map(|a| a.name.as_str())
            .collect();
        loop {
            let before = known.len();
            for a in &self.args {
                if let Kind::Array {
                    source: Source::Zeroed(LenExpr::Of(x)),
                    ..
                } = &a.kind
                {
                    if known.contains(x.as_str()) {
                        known.insert(a.name.as_str());
                    }
                }
            }
            if known.len() == before {
                break;
            }
        }
        for a in &self.args {
            if let Kind::Array {
                source: Source::Zeroed(LenExpr::Of(x)),
                ..
            } = &a.kind
            {
                if !known.contains(a.name.as_str()) {
                    return Err(self.err(
                        Some(&a.name),
                        format!(
                            "`len({x})` never reaches an array with data: the lengths refer to each other in a circle"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Generates/reads every array, evaluates scalars, and orders the
    /// arguments as the entry's parameters: `args:` bind the non-out
    /// parameters in order; an out array takes the position of the parameter
    /// with its name (when the IR kept names), else its `index:`, else the
    /// end. The binding is checked before any data is made.
    pub fn materialize(&self, sig: &Signature) -> Result<Input, InputError> {
        if let Some(e) = &self.entry {
            if *e != sig.entry {
                return Err(self.err(
                    None,
                    format!(
                        "the spec's entry is `{e}` but the kernel's entry is `{}`",
                        sig.entry
                    ),
                ));
            }
        }
        let slots = self.bind(sig)?;
        let mut values = self.values()?;
        let mut args = Vec::with_capacity(slots.len());
        for i in slots {
            let a = &self.args[i];
            let value = values[i]
                .take()
                .ok_or_else(|| self.err(Some(&a.name), "bound to two parameters"))?;
            args.push(Arg {
                name: a.name.clone(),
                role: a.role,
                value,
            });
        }
        Ok(Input {
            spec: self.path.clone(),
            args,
        })
    }

    /// For each parameter, the index in `self.args` of the argument bound to
    /// it, with every kind, type and name checked.
    fn bind(&self, sig: &Signature) -> Result<Vec<usize>, InputError> {
        let n = sig.params.len();
        let placed = self.place_outs(sig);
        if self.args.len() != n {
            return Err(self.count_error(sig, &placed));
        }
        if let Some(e) = placed.problems.into_iter().next() {
            return Err(e);
        }
        let mut slots = placed.slots;
        let free: Vec<usize> = (0..n).filter(|&p| slots[p].is_none()).collect();
        // Counts agree, so the free slots are exactly the ins plus the
        // out arrays that go to the end.
        let (front, back) = free.split_at(free.len().saturating_sub(placed.at_end.len()));
        for (&p, &i) in back.iter().zip(&placed.at_end) {
            slots[p] = Some(i);
        }
        let ins = self
            .args
            .iter()
            .enumerate()
            .filter(|(_, a)| a.role == Role::In);
        for (&p, (i, _)) in front.iter().zip(ins) {
            slots[p] = Some(i);
        }

        let mut out = Vec::with_capacity(n);
        // Every parameter is checked: a spec written for another kernel
        // learns all that is wrong with it at once.
        let mut problems = Vec::new();
        for (p, (slot, param)) in slots.iter().zip(&sig.params).enumerate() {
            let Some(i) = *slot else {
                problems.push(self.err(None, format!("{} is unbound", param_desc(p, param))));
                continue;
            };
            match self.check_binding(sig, p, param, &self.args[i]) {
                Ok(()) => out.push(i),
                Err(e) => problems.push(e),
            }
        }
        match problems.len() {
            0 => Ok(out),
            1 => Err(problems.remove(0)),
            k => {
                // The hint about binding order is said once, at the end.
                let hint = format!(" (args: bind the parameters in order; the entry is {sig})");
                let mut hinted = false;
                let each: Vec<String> = problems
                    .iter()
                    .map(|e| {
                        let problem = match e.problem.strip_suffix(&hint) {
                            Some(p) => {
                                hinted = true;
                                p
                            }
                            None => &e.problem,
                        };
                        match &e.arg {
                            Some(a) => format!("argument `{a}`: {problem}"),
                            None => problem.to_owned(),
                        }
                    })
                    .collect();
                Err(self.err(
                    None,
                    format!(
                        "{k} arguments do not fit the entry: {}{}",
                        each.join("; "),
                        if hinted { hint.as_str() } else { "" }
                    ),
                ))
            }
        }
    }

    fn check_binding(
        &self,
        sig: &Signature,
        p: usize,
        param: &Param,
        a: &ArgSpec,
    ) -> Result<(), InputError> {
        let entry = &sig.entry;
        if let Some(pn) = &param.name {
            if *pn != a.name {
                return Err(self.err(
                    Some(&a.name),
                    format!(
                        "bound to parameter {p} of `{entry}`, which the kernel names `{pn}` (args: bind the parameters in order; the entry is {sig})"
                    ),
                ));
            }
        }
        match (&a.kind, param.ty) {
            (Kind::Array { .. }, ParamType::Ptr) => Ok(()),
            (Kind::Scalar { ty, .. }, ParamType::Scalar(t)) if *ty == t => Ok(()),
            (Kind::Scalar { ty, .. }, ParamType::Scalar(t)) => Err(self.err(
                Some(&a.name),
                format!("{ty} in the spec but the entry `{entry}` takes {t} at parameter {p}"),
            )),
            (Kind::Array { elem, .. }, ParamType::Scalar(t)) => Err(self.err(
                Some(&a.name),
                format!(
                    "an array ({elem}) in the spec but parameter {p} of `{entry}` is a scalar ({t})"
                ),
            )),
            (Kind::Scalar { ty, .. }, ParamType::Ptr) => Err(self.err(
                Some(&a.name),
                format!(
                    "a scalar ({ty}) in the spec but parameter {p} of `{entry}` is a pointer (an array)"
                ),
            )),
        }
    }

    /// Out arrays placed by name or `index:`, the rest left for the end.
    fn place_outs(&self, sig: &Signature) -> Placement {
        let n = sig.params.len();
        let mut pl = Placement {
            slots: vec![None; n],
            at_end: Vec::new(),
            problems: Vec::new(),
        };
        for (i, a) in self.args.iter().enumerate() {
            let Kind::Array { index, .. } = &a.kind else {
                continue;
            };
            if a.role != Role::Out {
                continue;
            }
            let by_name = sig
                .params
                .iter()
                .position(|p| p.name.as_deref() == Some(a.name.as_str()));
            let pos = match (by_name, *index) {
                (Some(p), Some(ix)) if p != ix => {
                    pl.problems.push(self.err(
                        Some(&a.name),
                        format!(
                            "`index: {ix}` but the entry `{}` has `{}` at parameter {p}",
                            sig.entry, a.name
                        ),
                    ));
                    Some(p)
                }
                (Some(p), _) => Some(p),
                (None, Some(ix)) if ix >= n => {
                    pl.problems.push(self.err(
                        Some(&a.name),
                        format!(
                            "`index: {ix}` is past the end: the entry `{}` has {n} parameter{} (counted from 0)",
                            sig.entry,
                            plural(n)
                        ),
                    ));
                    None
                }
                (None, ix) => ix,
            };
            match pos {
                Some(p) => match pl.slots[p] {
                    Some(other) => pl.problems.push(self.err(
                        Some(&a.name),
                        format!(
                            "parameter {p} is claimed by both `{}` and `{}`",
                            self.args[other].name, a.name
                        ),
                    )),
                    None => pl.slots[p] = Some(i),
                },
                None => pl.at_end.push(i),
            }
        }
        pl
    }

    fn count_error(&self, sig: &Signature, placed: &Placement) -> InputError {
        let n = sig.params.len();
        let m = self.args.len();
        let names = self.arg_names();
        let mut msg = format!(
            "the entry takes {n} parameter{} ({sig}) but the spec binds {m} ({})",
            plural(n),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        );
        let ir_names: Option<Vec<&str>> = sig.params.iter().map(|p| p.name.as_deref()).collect();
        if m < n {
            let unbound: Vec<usize> = match &ir_names {
                Some(ir) => (0..n).filter(|&p| !names.contains(&ir[p])).collect(),
                None => {
                    // Without names, guess as binding would: ins from the
                    // front, end outs from the back; what's between is unbound.
                    let free: Vec<usize> = (0..n).filter(|&p| placed.slots[p].is_none()).collect();
                    let ins = self.args.iter().filter(|a| a.role == Role::In).count();
                    let back = placed.at_end.len();
                    let lo = ins.min(free.len());
                    let hi = free.len().saturating_sub(back).max(lo);
                    free[lo..hi].to_vec()
                }
            };
            if !unbound.is_empty() {
                let list: Vec<String> = unbound
                    .iter()
                    .map(|&p| param_desc(p, &sig.params[p]))
                    .collect();
                msg.push_str(&format!("; unbound: {}", list.join(", ")));
            }
        } else if let Some(ir) = &ir_names {
            let extra: Vec<String> = names
                .iter()
                .filter(|s| !ir.contains(s))
                .map(|s| format!("`{s}`"))
                .collect();
            if !extra.is_empty() {
                msg.push_str(&format!("; no parameter for {}", extra.join(", ")));
            }
        }
        self.err(None, msg)
    }

    /// Every argument's value, in spec order: arrays with data first, then
    /// out arrays sized by them, then scalars (which may read lengths).
    fn values(&self) -> Result<Vec<Option<Value>>, InputError> {
        let mut vals: Vec<Option<Value>> = vec![None; self.args.len()];
        // Checked before each allocation: a request may not make the engine
        // hold more than MAX_INPUT_BYTES of arguments.
        let mut total = 0usize;
        let mut budget = |name: &str, bytes: usize| -> Result<(), InputError> {
            total = total.saturating_add(bytes);
            if total > super::MAX_INPUT_BYTES {
                return Err(self.err(
                    Some(name),
                    format!(
                        "the arrays so far need {total} bytes; a request may have at most {} ({} GiB)",
                        super::MAX_INPUT_BYTES,
                        super::MAX_INPUT_BYTES >> 30
                    ),
                ));
            }
            Ok(())
        };
        for (i, a) in self.args.iter().enumerate() {
            if let Kind::Array { elem, source, .. } = &a.kind {
                if let Source::Gen(g) = source {
                    budget(&a.name, g.len.saturating_mul(elem.size()))?;
                }
                let made = match source {
                    Source::Gen(g) => g
                        .generate()
                        .map_err(|e| self.err(Some(&a.name), e.to_string()))?,
                    Source::File(shown) => match &self.data {
                        DataSource::Folder => files::load(spec_dir(&self.path), shown, *elem),
                        DataSource::Parts(parts) => files::load_part(parts, shown, *elem),
                    }
                    .map_err(|e| self.err(Some(&a.name), e))?,
                    Source::Data(b) => b.clone(),
                    Source::Zeroed(_) => continue,
                };
                if !matches!(source, Source::Gen(_)) {
                    budget(&a.name, made.byte_len())?;
                }
                vals[i] = Some(Value::Array(made));
            }
        }
        // Out lengths may chain (`d: len(c)`, `c: len(a)`); parse ruled out
        // circles, so each pass sizes at least one until none are left.
        loop {
            let mut progress = false;
            for (i, a) in self.args.iter().enumerate() {
                let Kind::Array {
                    elem,
                    source: Source::Zeroed(len),
                    ..
                } = &a.kind
                else {
                    continue;
                };
                if vals[i].is_some() {
                    continue;
                }
                let n = match len {
                    LenExpr::Lit(n) => Some(*n),
                    LenExpr::Of(x) => self.array_len(&vals, x),
                };
                if let Some(n) = n {
                    budget(&a.name, n.saturating_mul(elem.size()))?;
                    let b = Buffer::try_zeroed(*elem, n)
                        .map_err(|e| self.err(Some(&a.name), e.to_string()))?;
                    vals[i] = Some(Value::Array(b));
                    progress = true;
                }
            }
            if !progress {
                break;
            }
        }
        for (i, a) in self.args.iter().enumerate() {
            match &a.kind {
                Kind::Scalar { ty, value } => {
                    let s = match value {
                        ScalarExpr::Lit(s) => *s,
                        ScalarExpr::LenOf(x) => {
                            let len = self.array_len(&vals, x).ok_or_else(|| {
                                self.err(Some(&a.name), format!("`len({x})`: `{x}` has no length"))
                            })?;
                            len_scalar(*ty, len).map_err(|e| {
                                self.err(Some(&a.name), format!("`len({x})` = {len}: {e}"))
                            })?
                        }
                    };
                    vals[i] = Some(Value::Scalar(s));
                }
                Kind::Array { .. } if vals[i].is_none() => {
                    return Err(self.err(Some(&a.name), "its length could not be worked out"));
                }
                Kind::Array { .. } => {}
            }
        }
        Ok(vals)
    }

    fn array_len(&self, vals: &[Option<Value>], name: &str) -> Option<usize> {
        let i = self.position(name)?;
        vals[i].as_ref()?.as_array().map(Buffer::len)
    }
}

struct Placement {
    slots: Vec<Option<usize>>,
    at_end: Vec<usize>,
    problems: Vec<InputError>,
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `parameter 2 (i32 op)`, or `parameter 2 (i32)` when the IR kept no name.
fn param_desc(p: usize, param: &Param) -> String {
    match &param.name {
        Some(name) => format!("parameter {p} ({} {name})", param.ty),
        None => format!("parameter {p} ({})", param.ty),
    }
}

pub(super) fn len_scalar(ty: ScalarType, len: usize) -> Result<Scalar, String> {
    Ok(match ty {
        ScalarType::I32 => Scalar::I32(i32::try_from(len).map_err(|_| "does not fit i32")?),
        ScalarType::I64 => Scalar::I64(i64::try_from(len).map_err(|_| "does not fit i64")?),
        ScalarType::F32 => Scalar::F32(len as f32),
        ScalarType::F64 => Scalar::F64(len as f64),
    })
}

/// One `- NAME: { ... }` item of `args:` or `out:`.
fn parse_arg(
    spec: &Path,
    section: &str,
    pos: usize,
    item: &YamlValue,
    role: Role,
) -> Result<ArgSpec, InputError> {
    let at = |p: String| InputError::new(spec, None, format!("{section}[{pos}]: {p}"));
    let m = match item {
        YamlValue::Mapping(m) if m.len() == 1 => m,
        YamlValue::Mapping(m) => {
            let keys: Vec<String> = m
                .keys()
                .map(|k| k.as_str().map_or_else(|| describe(k), |s| format!("`{s}`")))
                .collect();
            return Err(at(format!(
                "expected one argument `- NAME: {{ ... }}`, found {} keys ({}); put each argument in its own `- ` item",
                m.len(),
                keys.join(", ")
            )));
        }
        other => {
            return Err(at(format!(
                "expected an argument `- NAME: {{ ... }}`, found {}",
                describe(other)
            )))
        }
    };
    let Some((key, body)) = m.iter().next() else {
        return Err(at("expected an argument `- NAME: { ... }`".into()));
    };
    let Some(name) = key.as_str() else {
        return Err(at(format!(
            "an argument's name must be a string, found {}",
            describe(key)
        )));
    };
    if !is_identifier(name) {
        return Err(at(format!(
            "argument name `{name}` is not an identifier (letters, digits and `_`, not starting with a digit)"
        )));
    }
    let err = |p: String| InputError::new(spec, Some(name), p);
    let YamlValue::Mapping(b) = body else {
        return Err(err(format!(
            "expected a map such as `{{ array: f64, gen: {{ ... }} }}` or `{{ i64: 100 }}`, found {}",
            describe(body)
        )));
    };
    let kind = if b.contains_key("array") {
        parse_array(b, role).map_err(err)?
    } else if role == Role::Out {
        return Err(err(
            "an `out:` entry must be an array, such as `{ array: f64, len: 64 }`".into(),
        ));
    } else {
        parse_scalar(b).map_err(err)?
    };
    Ok(ArgSpec {
        name: name.to_string(),
        role,
        kind,
    })
}

fn parse_array(b: &Mapping, role: Role) -> Result<Kind, String> {
    let allowed: &[&str] = match role {
        Role::In => &ARRAY_KEYS_IN,
        Role::Out => &ARRAY_KEYS_OUT,
    };
    for k in string_keys(b)? {
        if !allowed.contains(&k) {
            let hint = if role == Role::In && (k == "len" || k == "index") {
                format!(" (`{k}:` is for `out:` arrays)")
            } else {
                did_you_mean(k, allowed)
            };
            return Err(format!(
                "unknown key `{k}`{hint}; an array takes {}",
                allowed.join(", ")
            ));
        }
    }
    let elem = match b.get("array") {
        Some(YamlValue::String(s)) => ScalarType::from_name(s),
        _ => None,
    }
    .ok_or_else(|| {
        format!(
            "`array:` must be an element type (f64, f32, i64, i32), found {}",
            b.get("array").map_or_else(|| "nothing".into(), describe)
        )
    })?;
    let sources: Vec<&str> = ["gen", "file", "data", "len"]
        .into_iter()
        .filter(|k| allowed.contains(k) && b.contains_key(*k))
        .collect();
    let choices = match role {
        Role::In => "`gen:`, `file:` or `data:`",
        Role::Out => "`len:` (zeros for the kernel to fill), `gen:`, `file:` or `data:`",
    };
    let source = match sources.as_slice() {
        [] => return Err(format!("an array needs one of {choices}")),
        [one] => *one,
        many => {
            return Err(format!(
                "an array takes exactly one of {choices}; found {}",
                many.iter()
                    .map(|k| format!("`{k}:`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ))
        }
    };
    let v = b.get(source).unwrap_or(&YamlValue::Null);
    let source = match source {
        "gen" => Source::Gen(GenSpec::parse(elem, v)?),
        "file" => match v {
            YamlValue::String(s) if !s.trim().is_empty() => Source::File(PathBuf::from(s)),
            other => return Err(format!("`file:` must be a path, found {}", describe(other))),
        },
        "data" => Source::Data(parse_data(v, elem)?),
        _ => Source::Zeroed(parse_len(v)?),
    };
    let index = match b.get("index") {
        None => None,
        Some(v) => {
            let i = int_of(v).map_err(|e| format!("index: {e}"))?;
            Some(
                usize::try_from(i)
                    .map_err(|_| format!("index: a parameter position counts from 0, found {i}"))?,
            )
        }
    };
    Ok(Kind::Array {
        elem,
        source,
        index,
    })
}

fn parse_len(v: &YamlValue) -> Result<LenExpr, String> {
    if let YamlValue::String(s) = v {
        return match len_ref(s) {
            Some(x) if is_identifier(x) => Ok(LenExpr::Of(x.to_string())),
            _ => Err(format!(
                "len: expected a number or `len(NAME)`, found {}",
                describe(v)
            )),
        };
    }
    let n = int_of(v).map_err(|e| format!("len: {e}"))?;
    usize::try_from(n)
        .ok()
        .filter(|&n| n <= MAX_LEN)
        .map(LenExpr::Lit)
        .ok_or_else(|| format!("len: {n} is out of range (0..={MAX_LEN})"))
}

fn parse_data(v: &YamlValue, elem: ScalarType) -> Result<Buffer, String> {
    let YamlValue::Sequence(items) = v else {
        return Err(format!(
            "`data:` must be a list of numbers, found {}",
            describe(v)
        ));
    };
    if items.len() > MAX_LEN {
        return Err(format!("data: more than {MAX_LEN} elements"));
    }
    let mut buf = Buffer::try_zeroed(elem, items.len()).map_err(|e| e.to_string())?;
    let at = |i: usize| move |e: String| format!("data[{i}]: {e}");
    match buf.view_mut() {
        super::ArrayViewMut::I32(s) => {
            for (i, (d, v)) in s.iter_mut().zip(items).enumerate() {
                *d = int_for(v, elem).map_err(at(i))? as i32;
            }
        }
        super::ArrayViewMut::I64(s) => {
            for (i, (d, v)) in s.iter_mut().zip(items).enumerate() {
                *d = int_for(v, elem).map_err(at(i))?;
            }
        }
        super::ArrayViewMut::F32(s) => {
            for (i, (d, v)) in s.iter_mut().zip(items).enumerate() {
                *d = float_for(v, elem).map_err(at(i))? as f32;
            }
        }
        super::ArrayViewMut::F64(s) => {
            for (i, (d, v)) in s.iter_mut().zip(items).enumerate() {
                *d = float_for(v, elem).map_err(at(i))?;
            }
        }
    }
    Ok(buf)
}

fn parse_scalar(b: &Mapping) -> Result<Kind, String> {
    let keys = string_keys(b)?;
    let mut known: Vec<&str> = vec!["array"];
    known.extend(SCALAR_KEYS);
    let (k, v) = match (keys.as_slice(), b.iter().next()) {
        ([k], Some((_, v))) => (*k, v),
        ([], _) => {
            return Err(
                "expected `{ i64: VALUE }` (i32, i64, f32, f64) or `{ array: TYPE, ... }`, found an empty map"
                    .into(),
            )
        }
        (many, _) => {
            return Err(format!(
                "a scalar is one key, its type (`{{ i64: 100 }}`); found {} (an array needs `array:`)",
                many.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
            ))
        }
    };
    let Some(ty) = ScalarType::from_name(k) else {
        return Err(format!(
            "unknown key `{k}`{}; expected `array:` or one of i32, i64, f32, f64",
            did_you_mean(k, &known)
        ));
    };
    let value = match v {
        YamlValue::String(s) => match len_ref(s) {
            Some(x) if is_identifier(x) => ScalarExpr::LenOf(x.to_string()),
            _ => {
                return Err(format!(
                    "expected a number or `len(NAME)`, found {}",
                    describe(v)
                ))
            }
        },
        _ => ScalarExpr::Lit(match ty {
            ScalarType::I32 => Scalar::I32(int_for(v, ty)? as i32),
            ScalarType::I64 => Scalar::I64(int_for(v, ty)?),
            ScalarType::F32 => Scalar::F32(float_for(v, ty)? as f32),
            ScalarType::F64 => Scalar::F64(float_for(v, ty)?),
        }),
    };
    Ok(Kind::Scalar { ty, value })
}
