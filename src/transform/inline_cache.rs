//! `inline_cache`: an indirect call whose target comes from a constant
//! table of the kernel's own functions becomes a guarded chain of direct
//! calls (the target the input pins first, up to `max_targets`), with the
//! indirect call kept as the megamorphic fallback; then the direct calls are
//! inlined. Once the index is bound, the guards fold and only the pinned
//! target's body is left.

use super::{ir, Cx};
use crate::llvm::{callee, table_at, Callee};
use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::module::Linkage;
use inkwell::types::{BasicMetadataTypeEnum, BasicType, FunctionType};
use inkwell::values::{
    BasicMetadataValueEnum, BasicValue, BasicValueEnum, CallSiteValue, FunctionValue,
    InstructionOpcode, InstructionValue, Operand, PointerValue,
};

/// The constant table a callee pointer was loaded from.
fn table_of<'ctx>(cx: &Cx<'ctx>, fp: PointerValue<'ctx>) -> Option<Vec<FunctionValue<'ctx>>> {
    let load = fp.as_instruction()?;
    if load.get_opcode() != InstructionOpcode::Load {
        return None;
    }
    let Some(Operand::Value(BasicValueEnum::PointerValue(addr))) = load.get_operand(0) else {
        return None;
    };
    table_at(&cx.module, addr)
}

/// `tailor.ic.N(fp, args...)`: compare `fp` with each target in turn and
/// call it directly; otherwise call through `fp`.
fn dispatcher<'ctx>(
    cx: &Cx<'ctx>,
    n: usize,
    fn_type: FunctionType<'ctx>,
    targets: &[FunctionValue<'ctx>],
) -> Result<FunctionValue<'ctx>, String> {
    let ctx = cx.context;
    let ptr = ctx.ptr_type(inkwell::AddressSpace::default());
    let mut params: Vec<BasicMetadataTypeEnum<'ctx>> = vec![ptr.into()];
    params.extend(fn_type.get_param_types());
    let d_type = match fn_type.get_return_type() {
        Some(r) => r.fn_type(&params, false),
        None => ctx.void_type().fn_type(&params, false),
    };
    let d = cx
        .module
        .add_function(&format!("tailor.ic.{n}"), d_type, Some(Linkage::Internal));
    d.add_attribute(
        AttributeLoc::Function,
        ctx.create_enum_attribute(Attribute::get_named_enum_kind_id("alwaysinline"), 0),
    );
    let fp = d
        .get_nth_param(0)
        .map(|p| p.into_pointer_value())
        .ok_or("dispatcher without a pointer parameter")?;
    let args: Vec<BasicMetadataValueEnum<'ctx>> =
        d.get_param_iter().skip(1).map(|p| p.into()).collect();
    let builder = ctx.create_builder();
    let e = |err: inkwell::builder::BuilderError| err.to_string();
    let mut block = ctx.append_basic_block(d, "entry");
    for (k, target) in targets.iter().enumerate() {
        builder.position_at_end(block);
        let hit = ctx.append_basic_block(d, &format!("hit.{}", name(*target)));
        let next = ctx.append_basic_block(d, &format!("next.{k}"));
        let is = builder
            .build_int_compare(
                inkwell::IntPredicate::EQ,
                fp,
                target.as_global_value().as_pointer_value(),
                "is",
            )
            .map_err(e)?;
        builder.build_conditional_branch(is, hit, next).map_err(e)?;
        builder.position_at_end(hit);
        let r = builder.build_call(*target, &args, "r").map_err(e)?;
        match r.try_as_basic_value().basic() {
            Some(v) => builder.build_return(Some(&v)).map_err(e)?,
            None => builder.build_return(None).map_err(e)?,
        };
        block = next;
    }
    builder.position_at_end(block);
    let r = builder
        .build_indirect_call(fn_type, fp, &args, "r")
        .map_err(e)?;
    match r.try_as_basic_value().basic() {
        Some(v) => builder.build_return(Some(&v)).map_err(e)?,
        None => builder.build_return(None).map_err(e)?,
    };
    Ok(d)
}

fn name(f: FunctionValue<'_>) -> String {
    f.get_name().to_string_lossy().into_owned()
}

fn rewrite_call<'ctx>(
    cx: &Cx<'ctx>,
    call: InstructionValue<'ctx>,
    fp: PointerValue<'ctx>,
    d: FunctionValue<'ctx>,
) -> Result<(), String> {
    let n = call.get_num_operands();
    let mut args: Vec<BasicMetadataValueEnum<'ctx>> = vec![fp.into()];
    for i in 0..n.saturating_sub(1) {
        if let Some(Operand::Value(v)) = call.get_operand(i) {
            args.push(v.into());
        }
    }
    let builder = cx.context.create_builder();
    builder.position_before(&call);
    let new = builder
        .build_call(d, &args, "")
        .map_err(|e| e.to_string())?;
    if let Some(v) = new.try_as_basic_value().basic() {
        if let Some(new_inst) = v.as_instruction_value() {
            call.replace_all_uses_with(&new_inst);
        }
    }
    call.erase_from_basic_block();
    Ok(())
}

pub fn apply(cx: &mut Cx<'_>, index: Option<i64>, max_targets: u32) -> Result<String, String> {
    let mut notes = Vec::new();
    let mut rewritten = 0;
    let calls: Vec<(String, InstructionValue<'_>)> = ir::defined(&cx.module)
        .into_iter()
        .flat_map(|f| {
            let fname = name(f);
            ir::instructions(f)
                .into_iter()
                .filter(|i| callee(*i) == Some(Callee::Indirect))
                .map(move |i| (fname.clone(), i))
        })
        .collect();
    for (caller, call) in calls {
        let site = CallSiteValue::try_from(call).map_err(|_| "not a call site".to_owned())?;
        let fn_type = site.get_called_fn_type();
        let Some(Operand::Value(BasicValueEnum::PointerValue(fp))) =
            call.get_operand(call.get_num_operands().saturating_sub(1))
        else {
            continue;
        };
        let Some(table) = table_of(cx, fp) else {
            notes.push(format!(
                "call in `{caller}`: target not from a constant table; left indirect"
            ));
            continue;
        };
        let mut distinct: Vec<FunctionValue<'_>> = Vec::new();
        for f in &table {
            if f.get_type() == fn_type && !distinct.contains(f) {
                distinct.push(*f);
            }
        }
        let pinned = index
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| table.get(i).copied())
            .filter(|f| distinct.contains(f));
        if let Some(p) = pinned {
            distinct.retain(|f| *f != p);
            distinct.insert(0, p);
        }
        let chain: Vec<_> = distinct
            .iter()
            .take(max_targets as usize)
            .copied()
            .collect();
        let megamorphic = distinct.len() > chain.len();
        let d = dispatcher(cx, rewritten, fn_type, &chain)?;
        rewrite_call(cx, call, fp, d)?;
        rewritten += 1;
        notes.push(format!(
            "call in `{caller}`: {} target{} ({}){}{}",
            chain.len(),
            if chain.len() == 1 { "" } else { "s" },
            chain
                .iter()
                .map(|f| name(*f))
                .collect::<Vec<_>>()
                .join(", "),
            match pinned {
                Some(p) => format!(", pinned {}", name(p)),
                None => String::new(),
            },
            if megamorphic {
                ", megamorphic fallback"
            } else {
                ""
            }
        ));
    }
    if rewritten > 0 {
        cx.run_passes(
            "always-inline,cgscc(inline),function(sroa,early-cse,instcombine,simplifycfg)",
        )?;
    }
    if notes.is_empty() {
        return Ok("no indirect call".to_owned());
    }
    Ok(notes.join("; "))
}
