//! Reading numbers, keys and names out of parsed YAML, with problems that
//! say what was found (`expected an integer, found `3.5``), so every layer of
//! the spec parser words its errors the same way.

use crate::kernel::ScalarType;
use serde_yaml::{Mapping, Value};

/// 2^63, exactly: the first float past i64's range.
pub(crate) const TWO_POW_63: f64 = (1u64 << 63) as f64;

/// A short rendering of a YAML value for messages.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("`{n}`"),
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            let dots = if short.len() < s.len() { "…" } else { "" };
            format!("the string `{short}{dots}`")
        }
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a map".into(),
        Value::Tagged(t) => format!("a value tagged `{}`", t.tag),
    }
}

/// An integer, from a YAML integer or an integral float (`1e6` is how many
/// people write a million).
pub(crate) fn int_of(v: &Value) -> Result<i64, String> {
    let Value::Number(n) = v else {
        return Err(format!("expected an integer, found {}", describe(v)));
    };
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    let range = format!("({}..={})", i64::MIN, i64::MAX);
    if n.as_u64().is_some() {
        return Err(format!("`{n}` is out of range for i64 {range}"));
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&f) => Ok(f as i64),
        Some(f) if f.is_finite() && f.fract() == 0.0 => Err(format!(
            "`{}` is out of range for i64 {range}",
            short_float(f)
        )),
        Some(f) => Err(format!("expected an integer, found `{}`", short_float(f))),
        None => Err(format!("expected an integer, found `{n}`")),
    }
}

/// A float for messages: exponent form when the digits would run long.
pub(crate) fn short_float(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-6..1e16).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// A string YAML left as text because it does not fit an f64 (`1e309`).
fn overflowing_number(s: &str) -> Option<String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let named = ["inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"];
    match t.parse::<f64>() {
        Ok(f) if f.is_infinite() && !named.contains(&lower.as_str()) => {
            let shown: String = t.chars().take(40).collect();
            Some(format!(
                "`{shown}` is out of range for f64 (±{:e})",
                f64::MAX
            ))
        }
        _ => None,
    }
}

pub(crate) fn float_of(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| format!("expected a number, found `{n}`")),
        Value::String(s) => Err(overflowing_number(s)
            .unwrap_or_else(|| format!("expected a number, found {}", describe(v)))),
        _ => Err(format!("expected a number, found {}", describe(v))),
    }
}

/// `x` if it fits the integer type `ty`.
pub(crate) fn check_int(x: i64, ty: ScalarType) -> Result<i64, String> {
    match ty {
        ScalarType::I32 if i32::try_from(x).is_err() => Err(format!(
            "`{x}` is out of range for i32 ({}..={})",
            i32::MIN,
            i32::MAX
        )),
        _ => Ok(x),
    }
}

/// `x` if the float type `ty` can hold it without turning a finite value
/// into an infinity.
pub(crate) fn check_float(x: f64, ty: ScalarType) -> Result<f64, String> {
    if ty == ScalarType::F32 && x.is_finite() && x.abs() > f64::from(f32::MAX) {
        return Err(format!(
            "`{}` is out of range for f32 (±{:e})",
            short_float(x),
            f32::MAX
        ));
    }
    Ok(x)
}

/// An integer of type `ty` (i32 or i64).
pub(crate) fn int_for(v: &Value, ty: ScalarType) -> Result<i64, String> {
    match int_of(v) {
        Ok(x) => check_int(x, ty),
        Err(e) if matches!(v, Value::Number(_)) && !e.contains("out of range") => {
            Err(format!("{} is not an integer, as {ty} needs", describe(v)))
        }
        Err(e) => Err(e),
    }
}

/// A float of type `ty` (f32 or f64).
pub(crate) fn float_for(v: &Value, ty: ScalarType) -> Result<f64, String> {
    check_float(float_of(v)?, ty)
}

/// The map's keys as strings, or a problem naming the first key that isn't one.
pub(crate) fn string_keys(m: &Mapping) -> Result<Vec<&str>, String> {
    m.keys()
        .map(|k| {
            k.as_str()
                .ok_or_else(|| format!("keys must be names, found {}", describe(k)))
        })
        .collect()
}

/// Whether `s` can name an argument: the features derived from it
/// (`a.len`) must parse as expressions.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// ` (did you mean `dist`?)` when `key` is a likely typo of a candidate.
pub(crate) fn did_you_mean(key: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| (edit_distance(key, c), *c))
        .filter(|(d, c)| *d <= 2 && *d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

/// Optimal-string-alignment distance: a transposition (`dsit`) costs one.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn integers() {
        assert_eq!(int_of(&y("3")), Ok(3));
        assert_eq!(int_of(&y("-3")), Ok(-3));
        assert_eq!(int_of(&y("3.0")), Ok(3));
        assert!(int_of(&y("3.5")).unwrap_err().contains("`3.5`"));
        assert!(int_of(&y("18446744073709551615"))
            .unwrap_err()
            .contains("out of range"));
        assert!(int_of(&y("abc")).unwrap_err().contains("the string `abc`"));
        assert_eq!(
            int_for(&y("2147483647"), ScalarType::I32),
            Ok(i32::MAX as i64)
        );
        let e = int_for(&y("1099511627776"), ScalarType::I32).unwrap_err();
        assert!(e.contains("out of range for i32"), "{e}");
        let e = int_for(&y("3.5"), ScalarType::I32).unwrap_err();
        assert!(e.contains("not an integer"), "{e}");
    }

    #[test]
    fn floats() {
        assert_eq!(float_of(&y("0.5")), Ok(0.5));
        assert_eq!(float_of(&y("2")), Ok(2.0));
        assert!(float_of(&y("[1]")).unwrap_err().contains("a list"));
        assert!(float_for(&y("1e300"), ScalarType::F32).is_err());
        assert_eq!(float_for(&y("1e300"), ScalarType::F64), Ok(1e300));
        assert!(float_for(&y(".inf"), ScalarType::F32).is_ok());
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("dsit", &["dist", "len"]),
            " (did you mean `dist`?)"
        );
        assert_eq!(did_you_mean("zzzzzz", &["dist", "len"]), "");
        assert!(is_identifier("a_1"));
        assert!(!is_identifier("1a"));
        assert!(!is_identifier("a.b"));
        assert!(!is_identifier(""));
    }
}
