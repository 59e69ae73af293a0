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
pub mod orc;

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

/// The LLVM options every build in this process runs under, set once
/// before the first pass:
///
/// - `-hints-allow-reordering=false`. LLVM lets a loop whose vectorization
///   is forced by metadata (`llvm.loop.vectorize.enable`, or a width above
///   one) reorder floating-point operations, as `#pragma clang loop
///   vectorize(enable)` does in C. `vectorize` forces loops, and its
///   `reassoc: false` must mean C's order of additions; reassociation is
///   licensed only by `reassoc: true`, on the instructions themselves.
///   The generic build carries no hints, so it is unaffected.
pub fn set_options() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let args = [
            c"tailor".as_ptr(),
            c"-hints-allow-reordering=false".as_ptr(),
        ];
        // SAFETY: two NUL-terminated strings that live for the whole call;
        // LLVM copies what it keeps. Called once per process, before any
        // pass runs (cl::opt parsing is not thread-safe with itself).
        unsafe {
            inkwell::llvm_sys::support::LLVMParseCommandLineOptions(
                args.len() as i32,
                args.as_ptr(),
                c"tailor".as_ptr(),
            );
        }
    });
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
    set_options();
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

/// A loop property for `llvm.loop` metadata.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LoopValue {
    /// A flag with no operand (`llvm.loop.unroll.full`).
    Flag,
    Int(i32),
    Bool(bool),
}

/// Rewrites the `!llvm.loop` metadata of a loop's latch branch: keeps the
/// existing properties except those whose name starts with one of `drop`,
/// and adds `props`. Loop IDs are self-referential nodes, which inkwell
/// cannot build.
pub fn set_loop_properties<'ctx>(
    context: &'ctx inkwell::context::Context,
    branch: InstructionValue<'ctx>,
    props: &[(&str, LoopValue)],
    drop: &[&str],
) {
    use inkwell::llvm_sys::core::{
        LLVMGetMDNodeNumOperands, LLVMGetMDNodeOperands, LLVMGetMDString, LLVMMDNodeInContext2,
        LLVMMetadataAsValue, LLVMSetMetadata, LLVMValueAsMetadata,
    };
    use inkwell::llvm_sys::debuginfo::{LLVMMetadataReplaceAllUsesWith, LLVMTemporaryMDNode};
    use inkwell::values::BasicMetadataValueEnum;

    let kind = context.get_kind_id("llvm.loop");
    let ctx = context.raw();
    let mut operands: Vec<inkwell::llvm_sys::prelude::LLVMValueRef> = Vec::new();
    if let Some(existing) = branch.get_metadata(kind) {
        // SAFETY: `existing` is a live MDNode (the loop ID) of this context;
        // the operand buffer is sized by LLVMGetMDNodeNumOperands, and each
        // operand string is read with the length LLVM returns.
        unsafe {
            let node = existing.as_value_ref();
            let n = LLVMGetMDNodeNumOperands(node) as usize;
            let mut ops = vec![std::ptr::null_mut(); n];
            LLVMGetMDNodeOperands(node, ops.as_mut_ptr());
            for op in ops.into_iter().skip(1) {
                if op.is_null() {
                    continue;
                }
                let name = if LLVMGetMDNodeNumOperands(op) > 0 {
                    let mut first = [std::ptr::null_mut()];
                    LLVMGetMDNodeOperands(op, first.as_mut_ptr());
                    let mut len = 0u32;
                    let s = LLVMGetMDString(first[0], &mut len);
                    if s.is_null() {
                        String::new()
                    } else {
                        String::from_utf8_lossy(std::slice::from_raw_parts(
                            s as *const u8,
                            len as usize,
                        ))
                        .into_owned()
                    }
                } else {
                    String::new()
                };
                let dropped = drop.iter().any(|d| name.starts_with(d))
                    || props.iter().any(|(p, _)| *p == name);
                if !dropped {
                    operands.push(op);
                }
            }
        }
    }
    for (name, value) in props {
        let mut parts: Vec<BasicMetadataValueEnum<'ctx>> =
            vec![context.metadata_string(name).into()];
        match value {
            LoopValue::Flag => {}
            LoopValue::Int(i) => parts.push(context.i32_type().const_int(*i as u64, true).into()),
            LoopValue::Bool(b) => {
                parts.push(context.bool_type().const_int(u64::from(*b), false).into())
            }
        }
        operands.push(context.metadata_node(&parts).as_value_ref());
    }
    // SAFETY: every operand is a metadata-as-value of this context; the
    // temporary node is created, used as operand 0 and then replaced by the
    // new node itself (which consumes the temporary), the standard way to
    // build a self-referential loop ID.
    unsafe {
        let ctx_ref = ctx;
        let tmp = LLVMTemporaryMDNode(ctx_ref, std::ptr::null_mut(), 0);
        let mut mds = vec![tmp];
        mds.extend(operands.iter().map(|v| LLVMValueAsMetadata(*v)));
        let node = LLVMMDNodeInContext2(ctx_ref, mds.as_mut_ptr(), mds.len());
        LLVMMetadataReplaceAllUsesWith(tmp, node);
        LLVMSetMetadata(inst_ref(branch), kind, LLVMMetadataAsValue(ctx_ref, node));
    }
}

fn inst_ref(inst: InstructionValue<'_>) -> inkwell::llvm_sys::prelude::LLVMValueRef {
    inst.as_value_ref()
}

/// The functions a constant global table holds, in order (`None` if the
/// global is not a constant array of pointers to functions).
pub fn function_table<'ctx>(
    module: &inkwell::module::Module<'ctx>,
    global: inkwell::values::GlobalValue<'ctx>,
) -> Option<Vec<inkwell::values::FunctionValue<'ctx>>> {
    use inkwell::llvm_sys::core::{
        LLVMGetAggregateElement, LLVMGetInitializer, LLVMGetNumOperands, LLVMGetValueName2,
        LLVMIsAConstantArray, LLVMIsGlobalConstant,
    };
    if !global.is_constant() {
        return None;
    }
    let mut out = Vec::new();
    // SAFETY: `global` is a live global variable; its initializer (when
    // present) is a constant whose elements LLVMGetAggregateElement returns
    // by index below the operand count; names are read with their length.
    unsafe {
        let g = global.as_value_ref();
        if LLVMIsGlobalConstant(g) == 0 {
            return None;
        }
        let init = LLVMGetInitializer(g);
        if init.is_null() || LLVMIsAConstantArray(init).is_null() {
            return None;
        }
        let n = LLVMGetNumOperands(init);
        for i in 0..n as u32 {
            let e = LLVMGetAggregateElement(init, i);
            if e.is_null() || LLVMIsAFunction(e).is_null() {
                return None;
            }
            let mut len = 0usize;
            let p = LLVMGetValueName2(e, &mut len);
            if p.is_null() {
                return None;
            }
            let name = String::from_utf8_lossy(std::slice::from_raw_parts(p as *const u8, len))
                .into_owned();
            out.push(module.get_function(&name)?);
        }
    }
    Some(out)
}

/// A GEP without `inbounds`: the address may lie outside the object (used
/// for prefetch addresses, which never fault).
pub fn build_gep<'ctx>(
    builder: &inkwell::builder::Builder<'ctx>,
    elem: inkwell::types::BasicTypeEnum<'ctx>,
    base: inkwell::values::PointerValue<'ctx>,
    index: inkwell::values::IntValue<'ctx>,
    name: &str,
) -> Result<inkwell::values::PointerValue<'ctx>, inkwell::builder::BuilderError> {
    // SAFETY: inkwell marks GEP unsafe because an out-of-bounds `inbounds`
    // GEP is poison; this one is not `inbounds`, so any index is defined, and
    // the result is only used as a prefetch hint.
    unsafe { builder.build_gep(elem, base, &[index], name) }
}

/// LLVM's diagnostics for one context (optimization remarks such as "loop
/// not vectorized", warnings), collected instead of printed to stderr.
#[derive(Default)]
pub struct Diagnostics {
    messages: std::sync::Mutex<Vec<String>>,
}

extern "C" fn collect_diagnostic(
    info: inkwell::llvm_sys::prelude::LLVMDiagnosticInfoRef,
    ctx: *mut std::ffi::c_void,
) {
    use inkwell::llvm_sys::core::{LLVMDisposeMessage, LLVMGetDiagInfoDescription};
    // SAFETY: `ctx` is the `Diagnostics` registered with this handler, which
    // outlives the context (see `Diagnostics::attach`); the description is a
    // malloc'ed C string freed with LLVMDisposeMessage.
    unsafe {
        let diagnostics = &*(ctx as *const Diagnostics);
        let text = LLVMGetDiagInfoDescription(info);
        if text.is_null() {
            return;
        }
        let message = std::ffi::CStr::from_ptr(text)
            .to_string_lossy()
            .into_owned();
        LLVMDisposeMessage(text);
        if let Ok(mut m) = diagnostics.messages.lock() {
            if !m.contains(&message) && m.len() < 64 {
                m.push(message);
            }
        }
    }
}

impl Diagnostics {
    /// Routes `context`'s diagnostics here. The `Diagnostics` must outlive
    /// every use of the context: declare it before the context.
    pub fn attach(&self, context: &inkwell::context::Context) {
        // SAFETY: the handler only reads `self` through the pointer, and the
        // caller keeps `self` alive for as long as the context is used.
        unsafe {
            inkwell::llvm_sys::core::LLVMContextSetDiagnosticHandler(
                context.raw(),
                Some(collect_diagnostic),
                self as *const Diagnostics as *mut std::ffi::c_void,
            );
        }
    }

    /// The messages since the last call.
    pub fn take(&self) -> Vec<String> {
        self.messages
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default()
    }
}

/// The module-level inline assembly (`module asm "..."`), empty when none.
/// Whether a function carries prefix or prologue data: bytes LLVM places
/// before or at its entry as they are, that is, chosen machine code.
pub fn has_entry_data(f: inkwell::values::FunctionValue<'_>) -> bool {
    use inkwell::llvm_sys::core::{LLVMHasPrefixData, LLVMHasPrologueData};
    // SAFETY: `f` is a live function value of a live module; both calls
    // only read a flag of it.
    unsafe {
        let v = f.as_value_ref();
        LLVMHasPrefixData(v) != 0 || LLVMHasPrologueData(v) != 0
    }
}

pub fn module_asm(module: &inkwell::module::Module<'_>) -> String {
    let mut len = 0usize;
    // SAFETY: the module is live; LLVM returns a pointer into it and its
    // length, which we copy at once.
    unsafe {
        let p = inkwell::llvm_sys::core::LLVMGetModuleInlineAsm(module.as_mut_ptr(), &mut len);
        if p.is_null() || len == 0 {
            return String::new();
        }
        String::from_utf8_lossy(std::slice::from_raw_parts(p as *const u8, len)).into_owned()
    }
}

/// The functions of the constant table `addr` points into: `addr` is the
/// table global itself or a GEP on it (`None` otherwise, or when the global
/// is not a constant table of functions).
pub fn table_at<'ctx>(
    module: &inkwell::module::Module<'ctx>,
    addr: inkwell::values::PointerValue<'ctx>,
) -> Option<Vec<inkwell::values::FunctionValue<'ctx>>> {
    use inkwell::values::{BasicValueEnum, InstructionOpcode, Operand};
    // The guarded form [`guard_table_loads`] makes: `select %ok, %slot,
    // @table`, both arms in one table.
    if let Some(sel) = addr
        .as_instruction()
        .filter(|i| i.get_opcode() == InstructionOpcode::Select)
    {
        let arm = |i: u32| match sel.get_operand(i) {
            Some(Operand::Value(BasicValueEnum::PointerValue(p))) => table_at(module, p),
            _ => None,
        };
        let (on, off) = (arm(1)?, arm(2)?);
        return (on == off).then_some(on);
    }
    let base = match addr.as_instruction() {
        None => addr,
        Some(gep) if gep.get_opcode() == InstructionOpcode::GetElementPtr => {
            match gep.get_operand(0) {
                Some(Operand::Value(BasicValueEnum::PointerValue(b))) => b,
                _ => return None,
            }
        }
        Some(_) => return None,
    };
    let global = module
        .get_globals()
        .find(|g| g.as_pointer_value() == base)?;
    function_table(module, global)
}

/// Bounds every load of a function pointer from a constant table at a
/// computed address: the address is used only when it is one of the
/// table's slots (inside it, on a slot boundary), else the table's first
/// slot is loaded. Without it an index from the input reaches past the
/// table to bytes the attacker chose (an address inside an immediate
/// operand of the kernel's own code). The guard is plain IR (`ptrtoint`,
/// compares, a `select`), which the optimizer folds away wherever the index
/// is known, and [`table_at`] sees through it. Returns how many loads it
/// guarded; a load already guarded is left alone.
pub fn guard_table_loads(module: &inkwell::module::Module<'_>) -> Result<usize, String> {
    use inkwell::values::{BasicValueEnum, InstructionOpcode, Operand};
    use inkwell::IntPredicate;
    let mut loads = Vec::new();
    for f in module.get_functions() {
        for block in f.get_basic_blocks() {
            for inst in block.get_instructions() {
                if inst.get_opcode() != InstructionOpcode::Load {
                    continue;
                }
                let Some(Operand::Value(BasicValueEnum::PointerValue(addr))) = inst.get_operand(0)
                else {
                    continue;
                };
                // Only computed addresses: the global itself is slot 0.
                let Some(at) = addr.as_instruction() else {
                    continue;
                };
                if at.get_opcode() != InstructionOpcode::GetElementPtr {
                    continue;
                }
                let Some(Operand::Value(BasicValueEnum::PointerValue(base))) = at.get_operand(0)
                else {
                    continue;
                };
                let Some(global) = module.get_globals().find(|g| g.as_pointer_value() == base)
                else {
                    continue;
                };
                if let Some(fs) = function_table(module, global) {
                    loads.push((inst, addr, base, fs.len() as u64));
                }
            }
        }
    }
    let context = module.get_context();
    let builder = context.create_builder();
    let i64t = context.i64_type();
    let e = |e: inkwell::builder::BuilderError| e.to_string();
    for (load, addr, base, len) in &loads {
        builder.position_before(load);
        let a = builder
            .build_ptr_to_int(*addr, i64t, "tailor.slot")
            .map_err(e)?;
        let b = builder
            .build_ptr_to_int(*base, i64t, "tailor.table")
            .map_err(e)?;
        let off = builder.build_int_sub(a, b, "tailor.offset").map_err(e)?;
        let inside = builder
            .build_int_compare(
                IntPredicate::ULT,
                off,
                i64t.const_int(len * 8, false),
                "tailor.inside",
            )
            .map_err(e)?;
        let low = builder
            .build_and(off, i64t.const_int(7, false), "tailor.low")
            .map_err(e)?;
        let aligned = builder
            .build_int_compare(IntPredicate::EQ, low, i64t.const_zero(), "tailor.aligned")
            .map_err(e)?;
        let ok = builder.build_and(inside, aligned, "tailor.ok").map_err(e)?;
        let safe = builder
            .build_select(ok, *addr, *base, "tailor.guarded")
            .map_err(e)?;
        if !load.set_operand(0, safe) {
            return Err("cannot guard a table load".into());
        }
    }
    Ok(loads.len())
}

/// The linked LLVM library's version, `major.minor.patch`.
pub fn version() -> String {
    let (mut major, mut minor, mut patch) = (0u32, 0u32, 0u32);
    // SAFETY: LLVMGetVersion writes three unsigned integers through the
    // pointers it is given, which point at our locals.
    unsafe { inkwell::llvm_sys::core::LLVMGetVersion(&mut major, &mut minor, &mut patch) };
    format!("{major}.{minor}.{patch}")
}
