//! From optimized IR to relocatable object code: the target (host, or the
//! ISA level a `vectorize` step asks for when the host has it), the
//! `tailor_call` wrapper every variant exports, and object emission.
//!
//! The wrapper gives every kernel one C signature,
//! `void tailor_call(const uint64_t *args, uint64_t *ret)`: argument `i`
//! is read from `args[i]` (a pointer, or an integer/float in the low bytes),
//! the result is stored to `*ret`. Loaders then need no per-signature
//! foreign-call machinery.

use crate::profile::{Plan, Step};
use crate::target::Target;
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::targets::{
    CodeModel, FileType, RelocMode, Target as LlvmTarget, TargetMachine, TargetTriple,
};
use inkwell::types::BasicMetadataTypeEnum;
use inkwell::values::BasicMetadataValueEnum;
use inkwell::OptimizationLevel;

/// The symbol every variant exports.
pub const CALL_SYMBOL: &str = "tailor_call";

/// The machine this process runs on.
pub fn host() -> Result<Target, String> {
    LlvmTarget::initialize_native(&inkwell::targets::InitializationConfig::default())?;
    Ok(Target {
        triple: TargetMachine::get_default_triple()
            .as_str()
            .to_string_lossy()
            .into_owned(),
        cpu: TargetMachine::get_host_cpu_name().to_string(),
        features: TargetMachine::get_host_cpu_features().to_string(),
    })
}

/// x86-64 micro-architecture levels for `vectorize`'s `isa`, with the host
/// feature each needs.
const ISA_LEVELS: &[(&str, &str, &str)] = &[
    ("sse4.2", "x86-64-v2", "+sse4.2"),
    ("avx2", "x86-64-v3", "+avx2"),
    ("avx512", "x86-64-v4", "+avx512f"),
];

/// The target a Plan compiles for, and a note when its ISA level had to
/// fall back to the host's.
pub fn target_for(plan: &Plan, host: &Target) -> (Target, Option<String>) {
    let isa = plan
        .steps
        .iter()
        .rev()
        .find_map(|s| match &s.step {
            Step::Vectorize { isa, .. } => Some(isa.as_str()),
            _ => None,
        })
        .unwrap_or("native");
    if isa == "native" {
        return (host.clone(), None);
    }
    let Some((_, cpu, needs)) = ISA_LEVELS.iter().find(|(name, _, _)| *name == isa) else {
        return (
            host.clone(),
            Some(format!("unknown ISA level `{isa}`; using the host's")),
        );
    };
    let has = host.features.split(',').any(|f| f == *needs);
    if !host.triple.starts_with("x86_64") || !has {
        return (
            host.clone(),
            Some(format!(
                "the host lacks {isa} ({needs}); compiled for the host instead"
            )),
        );
    }
    (
        Target {
            triple: host.triple.clone(),
            cpu: (*cpu).to_owned(),
            features: String::new(),
        },
        None,
    )
}

pub fn machine(target: &Target) -> Result<TargetMachine, String> {
    LlvmTarget::initialize_native(&inkwell::targets::InitializationConfig::default())?;
    let triple = TargetTriple::create(&target.triple);
    let t = LlvmTarget::from_triple(&triple).map_err(|e| e.to_string())?;
    t.create_target_machine(
        &triple,
        &target.cpu,
        &target.features,
        OptimizationLevel::Aggressive,
        RelocMode::PIC,
        CodeModel::Default,
    )
    .ok_or_else(|| format!("LLVM cannot create a target machine for {}", target.triple))
}

/// Per parameter of `entry`, whether the code may write through it: a
/// pointer LLVM has not proven `readonly` (or `readnone`). The executor reads
/// back only the arrays a variant may write.
pub fn writable_params(module: &Module<'_>, entry: &str) -> Vec<bool> {
    use inkwell::attributes::{Attribute, AttributeLoc};
    let Some(f) = module.get_function(entry) else {
        return Vec::new();
    };
    let kind = Attribute::get_named_enum_kind_id;
    f.get_param_iter()
        .enumerate()
        .map(|(i, p)| {
            let loc = AttributeLoc::Param(i as u32);
            p.is_pointer_value()
                && f.get_enum_attribute(loc, kind("readonly")).is_none()
                && f.get_enum_attribute(loc, kind("readnone")).is_none()
        })
        .collect()
}

/// Adds `tailor_call` (see the module doc) calling `entry`.
pub fn add_call_wrapper<'ctx>(
    context: &'ctx Context,
    module: &Module<'ctx>,
    entry: &str,
) -> Result<(), String> {
    let f = module
        .get_function(entry)
        .ok_or_else(|| format!("no entry `{entry}` to wrap"))?;
    let ptr = context.ptr_type(inkwell::AddressSpace::default());
    let i64t = context.i64_type();
    let params: [BasicMetadataTypeEnum<'_>; 2] = [ptr.into(), ptr.into()];
    let w = module.add_function(
        CALL_SYMBOL,
        context.void_type().fn_type(&params, false),
        Some(Linkage::External),
    );
    let b = context.create_builder();
    let e = |err: inkwell::builder::BuilderError| err.to_string();
    b.position_at_end(context.append_basic_block(w, "entry"));
    let args_ptr = w
        .get_nth_param(0)
        .ok_or("wrapper without args")?
        .into_pointer_value();
    let ret_ptr = w
        .get_nth_param(1)
        .ok_or("wrapper without ret")?
        .into_pointer_value();
    let mut args: Vec<BasicMetadataValueEnum<'_>> = Vec::new();
    for (i, ty) in f.get_type().get_param_types().into_iter().enumerate() {
        let slot = crate::llvm::build_gep(
            &b,
            i64t.into(),
            args_ptr,
            i64t.const_int(i as u64, false),
            "slot",
        )
        .map_err(e)?;
        let ty = inkwell::types::BasicTypeEnum::try_from(ty)
            .map_err(|_| format!("argument {i} of `{entry}` has no loadable type"))?;
        args.push(b.build_load(ty, slot, "arg").map_err(e)?.into());
    }
    let r = b.build_call(f, &args, "r").map_err(e)?;
    if let Some(v) = r.try_as_basic_value().basic() {
        b.build_store(ret_ptr, v).map_err(e)?;
    }
    b.build_return(None).map_err(e)?;
    Ok(())
}

pub fn emit_object(module: &Module<'_>, machine: &TargetMachine) -> Result<Vec<u8>, String> {
    machine
        .write_to_memory_buffer(module, FileType::Object)
        .map(|b| b.as_slice().to_vec())
        .map_err(|e| e.to_string())
}

/// The assembly of optimized IR for a target (the workbench shows it).
pub fn assembly(ir: &str, target: &Target) -> Result<String, String> {
    let context = Context::create();
    let buffer = inkwell::memory_buffer::MemoryBuffer::create_from_memory_range_copy(
        ir.as_bytes(),
        "variant",
    );
    let module = context
        .create_module_from_ir(buffer)
        .map_err(|e| e.to_string())?;
    let m = machine(target)?;
    let asm = m
        .write_to_memory_buffer(&module, FileType::Assembly)
        .map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(asm.as_slice()).into_owned())
}
