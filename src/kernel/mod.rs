//! Loading user code.
mod signature;
pub use signature::{Param, ParamType, ReturnType, ScalarType, Signature};
