//! Expressions over the characteristic vector, in CEL (the policy language of
//! Kubernetes and Envoy, which administrators already know).
//!
//! An expression sees each argument by name (`a.len`, `n`), by position
//! (`args[0].len`), in lists by kind (`arrays`, `ints`, `floats`) for CEL's
//! `all`/`exists`/`filter` macros, the kernel (`kernel.entry`, `kernel.name`,
//! `kernel.hash`) and `total_bytes`. The global names win over an argument of
//! the same name.

use crate::analyze::{
    ArgKind, CharacteristicVector, FeatureValue, ARRAY_FEATURES, ARRAY_FIELDS, SCALAR_FIELDS,
};
use cel::common::ast::{Expr as Ast, IdedExpr};
use cel::{Context, Program, Value};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

/// What an expression may know of the kernel (the profile module never loads
/// one: the engine passes these in).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct KernelInfo {
    pub name: String,
    pub entry: String,
    pub hash: String,
}

/// The fields of `kernel`.
pub const KERNEL_FIELDS: &[&str] = &["name", "entry", "hash"];
/// Names the scope defines besides the arguments.
pub const GLOBALS: &[&str] = &["args", "arrays", "ints", "floats", "kernel", "total_bytes"];

/// A compiled expression and its source.
#[derive(Debug)]
pub struct Expr {
    source: String,
    program: Program,
    reads: Reads,
}

/// What of the vector an expression can read: the engine analyzes only
/// these features and memoizes decisions by their values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reads {
    /// Array features selected by name (`a.len`, `x.finite`, `args[0].max`).
    pub features: BTreeSet<&'static str>,
    /// Names used as values on their own (`n > 4`: a scalar's value; an
    /// array's name used so reads its whole entry).
    pub names: BTreeSet<String>,
    /// It reads an entry in a way names do not capture (iterating over one,
    /// comparing one whole): every feature counts.
    pub everything: bool,
}

impl Reads {
    pub fn extend(&mut self, other: &Reads) {
        self.features.extend(other.features.iter().copied());
        self.names.extend(other.names.iter().cloned());
        self.everything |= other.everything;
    }
}

/// The lists of entries an expression may iterate over.
const ENTRY_LISTS: &[&str] = &["args", "arrays", "ints", "floats"];

/// Where an expression's value goes: selected from, collected into a list
/// (what `filter` and `map` do with their entries), or used as a value.
#[derive(Clone, Copy, PartialEq)]
enum Use {
    Operand,
    Element,
    Value,
}

/// Whether `e` stands for a whole argument entry (a loop variable over an
/// entry list, or an index into one).
fn is_entry(e: &IdedExpr, loops: &[String]) -> bool {
    match &e.expr {
        Ast::Ident(n) => loops.contains(n),
        Ast::Call(c) if c.func_name == "_[_]" => c.args.first().is_some_and(|l| {
            matches!(&l.expr, Ast::Ident(n) if ENTRY_LISTS.contains(&n.as_str()))
                || matches!(&l.expr, Ast::Comprehension(_))
        }),
        _ => false,
    }
}

fn reads_of(e: &IdedExpr, loops: &mut Vec<String>, used: Use, r: &mut Reads) {
    if used == Use::Value && is_entry(e, loops) {
        // An entry compared, converted or passed whole.
        r.everything = true;
    }
    match &e.expr {
        Ast::Ident(n)
            if used == Use::Value && !loops.contains(n) && !GLOBALS.contains(&n.as_str()) =>
        {
            r.names.insert(n.clone());
        }
        Ast::Select(sel) => {
            if let Some((k, _)) = ARRAY_FEATURES.iter().find(|(k, _)| *k == sel.field) {
                r.features.insert(k);
            }
            reads_of(&sel.operand, loops, Use::Operand, r);
        }
        Ast::Call(call) => {
            // An index into an entry list selects an entry; its own operands
            // (the list, the position) are values.
            let index = call.func_name == "_[_]";
            if let Some(t) = &call.target {
                reads_of(t, loops, Use::Value, r);
            }
            for (i, a) in call.args.iter().enumerate() {
                let list_of_entries = index && i == 0;
                reads_of(
                    a,
                    loops,
                    if list_of_entries {
                        Use::Operand
                    } else {
                        Use::Value
                    },
                    r,
                );
            }
        }
        Ast::Comprehension(c) => {
            let over_entries = match &c.iter_range.expr {
                Ast::Ident(n) => ENTRY_LISTS.contains(&n.as_str()),
                // A list made by another macro (`arrays.filter(...)`).
                Ast::Comprehension(_) => true,
                _ => false,
            };
            if !over_entries {
                r.everything = true;
            }
            reads_of(&c.iter_range, loops, Use::Operand, r);
            reads_of(&c.accu_init, loops, Use::Value, r);
            let pushed = 1 + usize::from(c.iter_var2.is_some());
            loops.push(c.iter_var.clone());
            if let Some(v) = &c.iter_var2 {
                loops.push(v.clone());
            }
            // The accumulator is the macro's own, not an argument.
            for part in [&c.loop_cond, &c.loop_step, &c.result] {
                let mut inner = Reads::default();
                reads_of(part, loops, Use::Value, &mut inner);
                inner.names.remove(&c.accu_var);
                r.extend(&inner);
            }
            loops.truncate(loops.len() - pushed);
        }
        Ast::List(l) => {
            for x in &l.elements {
                reads_of(x, loops, Use::Element, r);
            }
        }
        Ast::Map(m) => {
            for entry in &m.entries {
                match &entry.expr {
                    cel::common::ast::EntryExpr::MapEntry(me) => {
                        reads_of(&me.key, loops, Use::Value, r);
                        reads_of(&me.value, loops, Use::Value, r);
                    }
                    cel::common::ast::EntryExpr::StructField(sf) => {
                        reads_of(&sf.value, loops, Use::Value, r)
                    }
                }
            }
        }
        _ => {}
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Why an expression could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompileError {
    Syntax(String),
    UnknownFeature(String),
    /// Its worst case is more evaluation steps than one request may spend.
    TooCostly(String),
}

/// The most evaluation steps one expression may take on one request, by
/// the static bound [`cost`] gives (a comprehension costs its body times the
/// length its range can have).
pub const MAX_COST: u64 = 1_000_000;

/// The length assumed for an entry list (`args`, `arrays`, …): more
/// arguments than kernels have in practice (a kernel with more makes such
/// loops longer in proportion, not without bound).
const MAX_ENTRIES: u64 = 64;
/// The length assumed for a list whose length cannot be bounded from the
/// expression itself.
const UNKNOWN_LENGTH: u64 = 4096;

/// A static bound on the evaluation steps of `e`, and the most elements
/// the list it makes can have.
fn cost(e: &IdedExpr) -> (u64, u64) {
    let sum = |xs: &mut dyn Iterator<Item = &IdedExpr>| {
        xs.map(|x| cost(x).0).fold(1u64, u64::saturating_add)
    };
    match &e.expr {
        Ast::Ident(n) if ENTRY_LISTS.contains(&n.as_str()) => (1, MAX_ENTRIES),
        Ast::List(l) => (sum(&mut l.elements.iter()), l.elements.len() as u64),
        Ast::Comprehension(c) => {
            let (range_cost, n) = cost(&c.iter_range);
            let body = cost(&c.loop_cond).0.saturating_add(cost(&c.loop_step).0);
            let steps = range_cost
                .saturating_add(cost(&c.accu_init).0)
                .saturating_add(n.saturating_mul(body))
                .saturating_add(cost(&c.result).0);
            // `map` and `filter` make a list at most as long as their range.
            (steps, n)
        }
        Ast::Call(call) => {
            let target = call.target.as_deref().map_or(0, |t| cost(t).0);
            let steps = sum(&mut call.args.iter()).saturating_add(target);
            // `l1 + l2` concatenates: lengths add.
            let len = if call.func_name == "_+_" {
                call.args
                    .iter()
                    .map(|a| cost(a).1)
                    .fold(0u64, u64::saturating_add)
            } else {
                UNKNOWN_LENGTH
            };
            (steps, len)
        }
        Ast::Select(sel) => (cost(&sel.operand).0.saturating_add(1), UNKNOWN_LENGTH),
        Ast::Map(m) => (m.entries.len() as u64 * 2 + 1, m.entries.len() as u64),
        _ => (1, UNKNOWN_LENGTH),
    }
}

impl Expr {
    /// Parses `source` and checks that every field it selects is a feature
    /// or field the vector can have.
    pub fn compile(source: &str) -> Result<Expr, CompileError> {
        let program = Program::compile(source).map_err(|e| {
            let msg = e
                .errors
                .iter()
                .map(|e| format!("column {}: {}", e.pos.1 + 1, e.msg))
                .collect::<Vec<_>>()
                .join("; ");
            CompileError::Syntax(msg)
        })?;
        check_fields(program.expression())?;
        let (steps, _) = cost(program.expression());
        if steps > MAX_COST {
            return Err(CompileError::TooCostly(format!(
                "it may take up to {steps} evaluation steps per request (at most {MAX_COST}): \
                 comprehensions (`all`, `exists`, `map`, `filter`) nested over long lists multiply"
            )));
        }
        let mut reads = Reads::default();
        reads_of(
            program.expression(),
            &mut Vec::new(),
            Use::Value,
            &mut reads,
        );
        Ok(Expr {
            source: source.to_owned(),
            program,
            reads,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// What of the vector it can read.
    pub fn reads(&self) -> &Reads {
        &self.reads
    }

    pub fn eval(&self, scope: &Scope) -> Result<Value, String> {
        self.program
            .execute(&scope.context)
            .map_err(|e| format!("`{}`: {e}", self.source))
    }

    pub fn eval_bool(&self, scope: &Scope) -> Result<bool, String> {
        match self.eval(scope)? {
            Value::Bool(b) => Ok(b),
            other => Err(format!("`{}` is {}, not a bool", self.source, kind(&other))),
        }
    }

    /// An integer result; a float that is a whole number counts.
    pub fn eval_int(&self, scope: &Scope) -> Result<i64, String> {
        match self.eval(scope)? {
            Value::Int(i) => Ok(i),
            Value::UInt(u) => {
                i64::try_from(u).map_err(|_| format!("`{}` = {u} is too large", self.source))
            }
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
            other => Err(format!(
                "`{}` is {}, not an integer",
                self.source,
                kind(&other)
            )),
        }
    }

    pub fn eval_float(&self, scope: &Scope) -> Result<f64, String> {
        match self.eval(scope)? {
            Value::Int(i) => Ok(i as f64),
            Value::UInt(u) => Ok(u as f64),
            Value::Float(f) => Ok(f),
            other => Err(format!(
                "`{}` is {}, not a number",
                self.source,
                kind(&other)
            )),
        }
    }
}

fn kind(v: &Value) -> String {
    match v {
        Value::Int(i) => format!("the integer {i}"),
        Value::UInt(u) => format!("the integer {u}"),
        Value::Float(f) => format!("the number {f}"),
        Value::Bool(b) => format!("the bool {b}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Null => "null".to_owned(),
        Value::List(_) => "a list".to_owned(),
        Value::Map(_) => "a map".to_owned(),
        _ => "a value of another type".to_owned(),
    }
}

/// Every `x.field` must name something the vector can have. `kernel.field`
/// is checked against the kernel's fields exactly.
fn check_fields(e: &IdedExpr) -> Result<(), CompileError> {
    let known = |f: &str| {
        ARRAY_FEATURES.iter().any(|(k, _)| *k == f)
            || ARRAY_FIELDS.contains(&f)
            || SCALAR_FIELDS.contains(&f)
            || f == "kind"
    };
    match &e.expr {
        Ast::Select(sel) => {
            let on_kernel = matches!(&sel.operand.expr, Ast::Ident(n) if n == "kernel");
            let ok = if on_kernel {
                KERNEL_FIELDS.contains(&sel.field.as_str())
            } else {
                known(&sel.field)
            };
            if !ok {
                return Err(CompileError::UnknownFeature(sel.field.clone()));
            }
            check_fields(&sel.operand)
        }
        Ast::Call(call) => {
            if let Some(t) = &call.target {
                check_fields(t)?;
            }
            call.args.iter().try_for_each(check_fields)
        }
        Ast::Comprehension(c) => {
            check_fields(&c.iter_range)?;
            check_fields(&c.accu_init)?;
            check_fields(&c.loop_cond)?;
            check_fields(&c.loop_step)?;
            check_fields(&c.result)
        }
        Ast::List(l) => l.elements.iter().try_for_each(check_fields),
        Ast::Map(m) => m.entries.iter().try_for_each(|entry| match &entry.expr {
            cel::common::ast::EntryExpr::MapEntry(me) => {
                check_fields(&me.key)?;
                check_fields(&me.value)
            }
            cel::common::ast::EntryExpr::StructField(sf) => check_fields(&sf.value),
        }),
        _ => Ok(()),
    }
}

/// The variables an expression is evaluated against: one vector and one
/// kernel.
pub struct Scope {
    context: Context<'static, 'static>,
}

fn feature_value(v: &FeatureValue) -> Value {
    match v {
        FeatureValue::Bool(b) => Value::Bool(*b),
        FeatureValue::Int(i) => Value::Int(*i),
        FeatureValue::Float(f) => Value::Float(*f),
    }
}

fn string(s: &str) -> Value {
    Value::String(Arc::new(s.to_owned()))
}

impl Scope {
    pub fn new(vector: &CharacteristicVector, kernel: &KernelInfo) -> Scope {
        let mut context = Context::default();
        let mut args = Vec::new();
        let (mut arrays, mut ints, mut floats) = (Vec::new(), Vec::new(), Vec::new());
        for arg in &vector.args {
            let mut map: HashMap<String, Value> = HashMap::new();
            map.insert("name".into(), string(&arg.name));
            map.insert("type".into(), string(arg.ty.name()));
            map.insert("index".into(), Value::Int(arg.index as i64));
            map.insert("out".into(), Value::Bool(arg.out));
            let kind = match arg.kind {
                ArgKind::Array => "array",
                ArgKind::Int => "int",
                ArgKind::Float => "float",
            };
            map.insert("kind".into(), string(kind));
            for (k, v, _) in &arg.features {
                map.insert((*k).to_owned(), feature_value(v));
            }
            let entry = Value::from(map);
            match arg.kind {
                ArgKind::Array => {
                    context.add_variable_from_value(arg.name.clone(), entry.clone());
                    arrays.push(entry.clone());
                }
                ArgKind::Int | ArgKind::Float => {
                    if let Some(v) = arg.value() {
                        context.add_variable_from_value(arg.name.clone(), feature_value(v));
                    }
                    if arg.kind == ArgKind::Int {
                        ints.push(entry.clone());
                    } else {
                        floats.push(entry.clone());
                    }
                }
            }
            args.push(entry);
        }
        let mut k: HashMap<String, Value> = HashMap::new();
        k.insert("name".into(), string(&kernel.name));
        k.insert("entry".into(), string(&kernel.entry));
        k.insert("hash".into(), string(&kernel.hash));
        context.add_variable_from_value("args", Value::List(Arc::new(args)));
        context.add_variable_from_value("arrays", Value::List(Arc::new(arrays)));
        context.add_variable_from_value("ints", Value::List(Arc::new(ints)));
        context.add_variable_from_value("floats", Value::List(Arc::new(floats)));
        context.add_variable_from_value("kernel", Value::from(k));
        context.add_variable_from_value("total_bytes", Value::Int(vector.total_bytes as i64));
        Scope { context }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::ArgVector;
    use crate::kernel::ScalarType;

    fn vector() -> CharacteristicVector {
        CharacteristicVector {
            args: vec![
                ArgVector {
                    name: "a".into(),
                    index: 0,
                    kind: ArgKind::Array,
                    ty: ScalarType::F64,
                    out: false,
                    features: vec![
                        ("len", FeatureValue::Int(100), true),
                        ("finite", FeatureValue::Bool(true), true),
                        ("mean", FeatureValue::Float(0.5), true),
                    ],
                },
                ArgVector {
                    name: "n".into(),
                    index: 1,
                    kind: ArgKind::Int,
                    ty: ScalarType::I64,
                    out: false,
                    features: vec![("value", FeatureValue::Int(100), true)],
                },
            ],
            total_bytes: 808,
            sampled: false,
        }
    }

    fn eval(src: &str) -> Result<Value, String> {
        let kernel = KernelInfo {
            name: "sum".into(),
            entry: "sum".into(),
            hash: "abc".into(),
        };
        Expr::compile(src)
            .map_err(|e| format!("{e:?}"))?
            .eval(&Scope::new(&vector(), &kernel))
    }

    #[test]
    fn nested_comprehensions_past_the_cost_bound_are_refused() {
        let ten = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]";
        let mut nested = "a.len > 0".to_owned();
        for v in ["p", "q", "r", "s", "t", "u"] {
            nested = format!("{ten}.all({v}, {nested})");
        }
        match Expr::compile(&nested) {
            Err(CompileError::TooCostly(m)) => assert!(m.contains("at most 1000000"), "{m}"),
            other => panic!("{other:?}"),
        }
        // What shipped and typical profiles write stays well inside.
        for ok in [
            "arrays.all(x, x.finite && (x.nonneg || x.max <= 0))",
            "arrays.all(x, arrays.all(y, x.len == y.len))",
            &format!("{ten}.exists(p, {ten}.exists(q, p * q == a.len))"),
        ] {
            assert!(Expr::compile(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn names_positions_lists_and_kernel() {
        assert_eq!(eval("a.len <= 256 && a.finite"), Ok(Value::Bool(true)));
        assert_eq!(eval("args[0].len == n"), Ok(Value::Bool(true)));
        assert_eq!(eval("arrays.all(x, x.finite)"), Ok(Value::Bool(true)));
        assert_eq!(eval("ints.exists(i, i.value > 50)"), Ok(Value::Bool(true)));
        assert_eq!(eval("size(floats)"), Ok(Value::Int(0)));
        assert_eq!(eval("kernel.entry == 'sum'"), Ok(Value::Bool(true)));
        assert_eq!(eval("total_bytes"), Ok(Value::Int(808)));
        assert_eq!(eval("args[1].name"), Ok(string("n")));
    }

    #[test]
    fn ints_and_floats_compare() {
        assert_eq!(eval("a.mean < 1"), Ok(Value::Bool(true)));
        assert_eq!(eval("a.len > 99.5"), Ok(Value::Bool(true)));
    }

    #[test]
    fn unknown_features_are_caught_at_compile_time() {
        assert_eq!(
            Expr::compile("a.lenn > 3").err(),
            Some(CompileError::UnknownFeature("lenn".into()))
        );
        assert_eq!(
            Expr::compile("arrays.all(x, x.finit)").err(),
            Some(CompileError::UnknownFeature("finit".into()))
        );
        assert_eq!(
            Expr::compile("kernel.len == 3").err(),
            Some(CompileError::UnknownFeature("len".into()))
        );
        assert!(matches!(
            Expr::compile("a.len <"),
            Err(CompileError::Syntax(_))
        ));
    }

    #[test]
    fn reads_name_the_features_and_names_an_expression_uses() {
        let r = |src: &str| Expr::compile(src).expect("compiles").reads().clone();
        let a = r("a.len <= 256 && arrays.all(x, x.finite) && n > 3 && args[0].max < 1");
        assert_eq!(
            a.features.iter().copied().collect::<Vec<_>>(),
            ["finite", "len", "max"]
        );
        assert_eq!(a.names.iter().cloned().collect::<Vec<_>>(), ["n"]);
        assert!(!a.everything);
        let filtered = r("arrays.filter(x, x.len > 8).all(y, y.sorted > 0.9)");
        assert!(!filtered.everything, "{filtered:?}");
        assert!(filtered.features.contains("sorted"));
        // Iterating over one entry's keys, or using an entry whole, reads it all.
        assert!(r("a.all(k, k != 'min')").everything);
        assert!(r("arrays.exists(x, x == args[1])").everything);
        assert!(r("arrays[0] == arrays[1]").everything);
        assert!(r("size(arrays.map(x, x)) > 1 && string(args[0]) != ''").everything);
        assert!(!r("kernel.entry == 'sum' && total_bytes > 0").everything);
    }

    #[test]
    fn a_missing_argument_is_an_evaluation_error_not_a_panic() {
        let err = eval("b.len > 3").unwrap_err();
        assert!(err.contains("b.len > 3"), "{err}");
    }
}
