//! [`InputError`]: every problem with an input spec, worded as
//! `SPEC: argument `NAME`: PROBLEM` so the user knows which file and which
//! line of it to fix.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The spec file.
    pub spec: PathBuf,
    /// The argument the problem is with, when there is one.
    pub arg: Option<String>,
    pub problem: String,
}

impl InputError {
    pub(crate) fn new(spec: &Path, arg: Option<&str>, problem: impl Into<String>) -> InputError {
        InputError {
            spec: spec.to_path_buf(),
            arg: arg.map(str::to_owned),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.spec.display())?;
        if let Some(arg) = &self.arg {
            write!(f, "argument `{arg}`: ")?;
        }
        f.write_str(&self.problem)
    }
}

impl std::error::Error for InputError {}
