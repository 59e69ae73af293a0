//! The materialized side of an input: scalar values, arguments with their
//! role, and [`Input`], the arguments in the entry's parameter order that the
//! analyzer reads and the sandbox runs.

use super::buffer::Buffer;
use super::error::InputError;
use crate::kernel::{ParamType, ScalarType, Signature};
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

/// A scalar argument's value, typed as the entry takes it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scalar {
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
}

impl Scalar {
    pub fn ty(&self) -> ScalarType {
        match self {
            Self::I32(_) => ScalarType::I32,
            Self::I64(_) => ScalarType::I64,
            Self::F32(_) => ScalarType::F32,
            Self::F64(_) => ScalarType::F64,
        }
    }

    /// The value as f64 (i64 values beyond 2^53 round).
    pub fn as_f64(&self) -> f64 {
        match *self {
            Self::I32(v) => f64::from(v),
            Self::I64(v) => v as f64,
            Self::F32(v) => f64::from(v),
            Self::F64(v) => v,
        }
    }

    /// The value of an integer scalar; `None` for floats.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Self::I32(v) => Some(i64::from(v)),
            Self::I64(v) => Some(v),
            Self::F32(_) | Self::F64(_) => None,
        }
    }
}

impl fmt::Display for Scalar {
    /// Floats print with Rust's shortest round-trip form (`1.0`, `0.1`,
    /// `1e-7`) so an integral float still reads as a float.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::I32(v) => write!(f, "{v}"),
            Self::I64(v) => write!(f, "{v}"),
            Self::F32(v) => write!(f, "{v:?}"),
            Self::F64(v) => write!(f, "{v:?}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Array(Buffer),
    Scalar(Scalar),
}

impl Value {
    pub fn as_array(&self) -> Option<&Buffer> {
        match self {
            Self::Array(b) => Some(b),
            Self::Scalar(_) => None,
        }
    }

    pub fn as_scalar(&self) -> Option<Scalar> {
        match self {
            Self::Scalar(s) => Some(*s),
            Self::Array(_) => None,
        }
    }
}

/// Whether the kernel reads an argument (`args:`) or writes it for the
/// caller (`out:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    In,
    Out,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: String,
    pub role: Role,
    pub value: Value,
}

/// Arguments in the entry's parameter order, ready to analyze or run.
#[derive(Clone, Debug)]
pub struct Input {
    /// The spec this came from.
    pub spec: PathBuf,
    pub args: Vec<Arg>,
}

impl Input {
    pub fn arg(&self, name: &str) -> Option<&Arg> {
        self.args.iter().find(|a| a.name == name)
    }

    /// Checks that the arguments fit `sig`: one per parameter, an array for
    /// each pointer, a scalar of the parameter's type for the others. An
    /// input made from a spec fits by construction; one made from bytes
    /// (a service request) is checked here before anything runs.
    pub fn check(&self, sig: &Signature) -> Result<(), InputError> {
        let err =
            |arg: Option<&str>, problem: String| Err(InputError::new(&self.spec, arg, problem));
        if self.args.len() != sig.params.len() {
            return err(
                None,
                format!(
                    "{} arguments given; `{sig}` takes {}",
                    self.args.len(),
                    sig.params.len()
                ),
            );
        }
        for (i, (a, p)) in self.args.iter().zip(&sig.params).enumerate() {
            match (&p.ty, &a.value) {
                (ParamType::Ptr, Value::Array(_)) => {}
                (ParamType::Scalar(t), Value::Scalar(s)) if s.ty() == *t => {}
                (ty, v) => {
                    let given = match v {
                        Value::Array(b) => format!("an {} array", b.elem()),
                        Value::Scalar(s) => format!("an {} scalar", s.ty()),
                    };
                    return err(
                        Some(&a.name),
                        format!("parameter {i} of `{sig}` is {ty}, but {given} was given"),
                    );
                }
            }
        }
        Ok(())
    }

    /// The bytes of array data (`byte_len`, padding excluded), in and out:
    /// what the kernel streams through memory. Scalars travel in registers
    /// and are not counted.
    pub fn total_bytes(&self) -> usize {
        self.args
            .iter()
            .filter_map(|a| a.value.as_array())
            .map(Buffer::byte_len)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_accessors_and_display() {
        assert_eq!(Scalar::I32(-3).as_i64(), Some(-3));
        assert_eq!(Scalar::F64(0.5).as_i64(), None);
        assert_eq!(Scalar::F32(-0.25).as_f64(), -0.25);
        assert_eq!(Scalar::I64(7).ty(), ScalarType::I64);
        assert_eq!(Scalar::F64(1.0).to_string(), "1.0");
        assert_eq!(Scalar::F32(0.1).to_string(), "0.1");
        assert_eq!(Scalar::I64(100000).to_string(), "100000");
        assert_eq!(
            serde_json::to_string(&Scalar::I32(3)).unwrap(),
            r#"{"i32":3}"#
        );
        assert_eq!(serde_json::to_string(&Role::Out).unwrap(), r#""out""#);
    }

    #[test]
    fn total_bytes_counts_array_data() {
        let input = Input {
            spec: PathBuf::from("x.yaml"),
            args: vec![
                Arg {
                    name: "a".into(),
                    role: Role::In,
                    value: Value::Array(Buffer::zeroed(ScalarType::F64, 10)),
                },
                Arg {
                    name: "n".into(),
                    role: Role::In,
                    value: Value::Scalar(Scalar::I64(10)),
                },
                Arg {
                    name: "c".into(),
                    role: Role::Out,
                    value: Value::Array(Buffer::zeroed(ScalarType::I32, 3)),
                },
            ],
        };
        assert_eq!(input.total_bytes(), 92);
        assert_eq!(input.arg("n").map(|a| a.role), Some(Role::In));
        assert!(input.arg("zz").is_none());
    }
}
