//! The entry function's signature as plain data: what an input spec binds
//! against and what the analyzer names its features after. No LLVM here.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The scalar types DESIGN §3 admits, for scalar arguments, array elements and
/// results alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScalarType {
    I32,
    I64,
    F32,
    F64,
}

impl ScalarType {
    pub const ALL: [ScalarType; 4] = [Self::I32, Self::I64, Self::F32, Self::F64];

    /// The name used in specs, profiles and reports (`f64`, `i32`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::I32 => "i32",
            Self::I64 => "i64",
            Self::F32 => "f32",
            Self::F64 => "f64",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn size(self) -> usize {
        match self {
            Self::I32 | Self::F32 => 4,
            Self::I64 | Self::F64 => 8,
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, Self::F32 | Self::F64)
    }
}

impl fmt::Display for ScalarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One parameter of the entry function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    /// A pointer to an array (opaque in LLVM 19: the element type comes from
    /// the input spec).
    Ptr,
    Scalar(ScalarType),
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ptr => f.write_str("ptr"),
            Self::Scalar(t) => t.fmt(f),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Param {
    /// The name the IR gives the parameter, if it kept one.
    pub name: Option<String>,
    pub ty: ParamType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReturnType {
    Void,
    Scalar(ScalarType),
}

impl fmt::Display for ReturnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Void => f.write_str("void"),
            Self::Scalar(t) => t.fmt(f),
        }
    }
}

/// The entry function's name, parameters in order, and result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub entry: String,
    pub params: Vec<Param>,
    pub ret: ReturnType,
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}(", self.ret, self.entry)?;
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match &p.name {
                Some(n) => write!(f, "{} {}", p.ty, n)?,
                None => write!(f, "{}", p.ty)?,
            }
        }
        f.write_str(")")
    }
}
