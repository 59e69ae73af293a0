//! The LLVM C API calls inkwell does not wrap, each behind a safe function.
//!
//! **Invariant:** this module and `sandbox` are the only places with `unsafe`.
//! Every block states why the raw call is sound.

use inkwell::llvm_sys::core::{LLVMGetCalledValue, LLVMIsAFunction, LLVMIsAInlineAsm};
use inkwell::values::{AsValueRef, InstructionOpcode, InstructionValue};

/// What a call instruction calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callee {
    /// A function by name (defined in the module or declared).
    Direct(String),
    /// An inline assembly blob.
    InlineAsm,
    /// A computed function pointer.
    Indirect,
}

/// The callee of a `call`/`invoke`/`callbr` instruction, `None` for any other
/// instruction.
pub fn callee(inst: InstructionValue<'_>) -> Option<Callee> {
    if !matches!(
        inst.get_opcode(),
        InstructionOpcode::Call | InstructionOpcode::Invoke | InstructionOpcode::CallBr
    ) {
        return None;
    }
    // SAFETY: `inst` is a live call-site instruction (opcode checked above),
    // for which LLVMGetCalledValue is defined and returns its callee operand;
    // the LLVMIsA* queries only inspect that value's kind.
    unsafe {
        let called = LLVMGetCalledValue(inst.as_value_ref());
        if called.is_null() {
            return Some(Callee::Indirect);
        }
        if !LLVMIsAInlineAsm(called).is_null() {
            return Some(Callee::InlineAsm);
        }
        if !LLVMIsAFunction(called).is_null() {
            let mut len = 0usize;
            let ptr = inkwell::llvm_sys::core::LLVMGetValueName2(called, &mut len);
            let name = if ptr.is_null() {
                String::new()
            } else {
                let bytes = std::slice::from_raw_parts(ptr as *const u8, len);
                String::from_utf8_lossy(bytes).into_owned()
            };
            return Some(Callee::Direct(name));
        }
    }
    Some(Callee::Indirect)
}

/// The host as LLVM sees it: triple, CPU and its features. Initializes the
/// native target once.
pub fn host_machine(
    opt: inkwell::OptimizationLevel,
) -> Result<inkwell::targets::TargetMachine, String> {
    use inkwell::targets::{CodeModel, InitializationConfig, RelocMode, Target, TargetMachine};
    Target::initialize_native(&InitializationConfig::default())?;
    let triple = TargetMachine::get_default_triple();
    let target = Target::from_triple(&triple).map_err(|e| e.to_string())?;
    let cpu = TargetMachine::get_host_cpu_name().to_string();
    let features = TargetMachine::get_host_cpu_features().to_string();
    target
        .create_target_machine(
            &triple,
            &cpu,
            &features,
            opt,
            RelocMode::PIC,
            CodeModel::Default,
        )
        .ok_or_else(|| format!("LLVM cannot create a target machine for {triple}"))
}

/// Whether LLVM's new pass manager accepts `pipeline` (e.g.
/// `function(instcombine,gvn)`); the error is LLVM's own message.
pub fn check_pass_pipeline(pipeline: &str) -> Result<(), String> {
    use inkwell::passes::PassBuilderOptions;
    let machine = host_machine(inkwell::OptimizationLevel::Default)?;
    let context = inkwell::context::Context::create();
    let module = context.create_module("pipeline-check");
    module
        .run_passes(pipeline, &machine, PassBuilderOptions::create())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn pass_pipelines_are_checked_by_llvm() {
        assert_eq!(super::check_pass_pipeline("default<O3>"), Ok(()));
        assert_eq!(
            super::check_pass_pipeline("function(instcombine,gvn)"),
            Ok(())
        );
        let err = super::check_pass_pipeline("function(nosuchpass)").unwrap_err();
        assert!(err.contains("nosuchpass"), "{err}");
    }
}
