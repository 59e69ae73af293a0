//! What a variant is built for and by: the machine ([`Target`]) and the
//! build of tailor and LLVM that made it ([`build_id`]). Both are part of
//! every variant key, so no cache tier can hand code built for another CPU,
//! or by other code, to this one. Shared by `cache` and `transform`, which
//! do not import each other for it.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The machine a variant was compiled for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Target {
    pub triple: String,
    pub cpu: String,
    pub features: String,
}

/// `tailor 0.1.0 · LLVM 19.1.7`: the versions whose output a variant is.
/// The LLVM version is the library's own (asked at run time: Debian's
/// point releases change code generation), not the headers'.
pub fn build_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        format!(
            "tailor {} · LLVM {}",
            env!("CARGO_PKG_VERSION"),
            crate::llvm::version()
        )
    })
}
