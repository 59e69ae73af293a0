//! What a kernel may call that it does not define: the allow-list of LLVM
//! intrinsics and libm functions (DESIGN §7). Kept as data so a reviewer can
//! read the whole policy in one screen.

/// Intrinsic families, matched on the name up to the first type suffix
/// (`llvm.fmuladd.f64` is in family `llvm.fmuladd`). Each is pure arithmetic,
/// a memory operation on pointers the kernel already holds, or a hint.
const INTRINSIC_FAMILIES: &[&str] = &[
    // arithmetic
    "llvm.fmuladd",
    "llvm.fma",
    "llvm.sqrt",
    "llvm.fabs",
    "llvm.copysign",
    "llvm.floor",
    "llvm.ceil",
    "llvm.trunc",
    "llvm.rint",
    "llvm.nearbyint",
    "llvm.round",
    "llvm.roundeven",
    "llvm.lround",
    "llvm.llround",
    "llvm.lrint",
    "llvm.llrint",
    "llvm.minnum",
    "llvm.maxnum",
    "llvm.minimum",
    "llvm.maximum",
    "llvm.exp",
    "llvm.exp2",
    "llvm.exp10",
    "llvm.log",
    "llvm.log2",
    "llvm.log10",
    "llvm.pow",
    "llvm.powi",
    "llvm.sin",
    "llvm.cos",
    "llvm.tan",
    "llvm.ldexp",
    "llvm.frexp",
    "llvm.is.fpclass",
    "llvm.abs",
    "llvm.smax",
    "llvm.smin",
    "llvm.umax",
    "llvm.umin",
    "llvm.ctpop",
    "llvm.ctlz",
    "llvm.cttz",
    "llvm.bswap",
    "llvm.bitreverse",
    "llvm.fshl",
    "llvm.fshr",
    "llvm.sadd.with.overflow",
    "llvm.uadd.with.overflow",
    "llvm.ssub.with.overflow",
    "llvm.usub.with.overflow",
    "llvm.smul.with.overflow",
    "llvm.umul.with.overflow",
    "llvm.sadd.sat",
    "llvm.uadd.sat",
    "llvm.ssub.sat",
    "llvm.usub.sat",
    "llvm.vector.reduce",
    "llvm.masked.load",
    "llvm.masked.store",
    "llvm.masked.gather",
    "llvm.masked.scatter",
    "llvm.experimental.constrained",
    // memory on the kernel's own pointers
    "llvm.memcpy",
    "llvm.memmove",
    "llvm.memset",
    "llvm.prefetch",
    // hints and bookkeeping with no effect on the result
    "llvm.lifetime",
    "llvm.assume",
    "llvm.expect",
    "llvm.dbg",
    "llvm.invariant",
    "llvm.experimental.noalias.scope.decl",
    "llvm.stacksave",
    "llvm.stackrestore",
    // a trap ends the execution with a signal: the sandbox reports it
    "llvm.trap",
    "llvm.debugtrap",
    "llvm.ubsantrap",
];

/// libm functions, double and float forms (the `f` suffix is added below).
const LIBM: &[&str] = &[
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "logb",
    "pow",
    "sqrt",
    "cbrt",
    "hypot",
    "fabs",
    "floor",
    "ceil",
    "trunc",
    "round",
    "rint",
    "nearbyint",
    "lround",
    "llround",
    "lrint",
    "llrint",
    "fmod",
    "remainder",
    "fmin",
    "fmax",
    "fdim",
    "fma",
    "copysign",
    "erf",
    "erfc",
    "tgamma",
    "lgamma",
    "ldexp",
    "scalbn",
    "ilogb",
    "nextafter",
];

/// Whether a kernel may call `name` without defining it.
pub fn is_allowed_external(name: &str) -> bool {
    if name.starts_with("llvm.") {
        return INTRINSIC_FAMILIES
            .iter()
            .any(|family| name == *family || name.starts_with(&format!("{family}.")));
    }
    let base = name.strip_suffix('f').filter(|b| LIBM.contains(b));
    LIBM.contains(&name) || base.is_some()
}

/// What compiled variant code may link against at load time: the kernel
/// allow-list (libm), the memory functions LLVM lowers its intrinsics to,
/// and the compiler's runtime helpers.
pub fn is_loadable_symbol(name: &str) -> bool {
    is_allowed_external(name)
        || matches!(name, "memcpy" | "memmove" | "memset")
        || COMPILER_HELPERS.iter().any(|p| name.starts_with(p))
}

/// compiler-rt/libgcc arithmetic helpers codegen may call (128-bit
/// division, float conversions, `powi`, half floats): prefixes, since the
/// names carry type suffixes (`__udivti3`, `__powidf2`, `__extendhfsf2`).
const COMPILER_HELPERS: &[&str] = &[
    "__div", "__udiv", "__mod", "__umod", "__mul", "__powi", "__fix", "__float", "__extend",
    "__trunc", "__ashl", "__ashr", "__lshr", "__neg", "__sincos", "__exp10",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intrinsics_match_by_family() {
        assert!(is_allowed_external("llvm.fmuladd.f64"));
        assert!(is_allowed_external("llvm.vector.reduce.fadd.v4f64"));
        assert!(is_allowed_external("llvm.lifetime.start.p0"));
        assert!(is_allowed_external("llvm.trap"));
        // a family prefix must end at a dot: `llvm.fmaX` is not `llvm.fma`
        assert!(!is_allowed_external("llvm.fmaX.f64"));
        assert!(!is_allowed_external("llvm.frameaddress.p0"));
        assert!(!is_allowed_external("llvm.x86.rdtsc"));
    }

    #[test]
    fn only_compiler_helpers_load_besides_libm() {
        assert!(is_loadable_symbol("__udivti3"));
        assert!(is_loadable_symbol("__powidf2"));
        assert!(is_loadable_symbol("memset"));
        assert!(!is_loadable_symbol("__environ"));
        assert!(!is_loadable_symbol("__libc_start_main"));
        assert!(!is_loadable_symbol("system"));
    }

    #[test]
    fn libm_in_both_precisions_and_nothing_else() {
        assert!(is_allowed_external("exp"));
        assert!(is_allowed_external("expf"));
        assert!(is_allowed_external("atan2f"));
        assert!(!is_allowed_external("system"));
        assert!(!is_allowed_external("open"));
        assert!(!is_allowed_external("malloc"));
        assert!(!is_allowed_external("f"));
        assert!(!is_allowed_external("printf"));
    }
}
