//! `layout`: memory-layout facts the engine guarantees, stated to LLVM
//! (`align`, `noalias`, `dereferenceable` on the entry's array arguments:
//! the engine allocates each buffer apart, 64-byte aligned and padded), and
//! software prefetch for loads that stride through memory by an index array
//! the vector found to be an arithmetic progression.

use super::{ir, Cx};
use crate::profile::params::{ArgBytes, ArgStride};
use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::intrinsics::Intrinsic;
use inkwell::values::{BasicValueEnum, InstructionOpcode, InstructionValue, Operand};

fn value_operand<'ctx>(inst: InstructionValue<'ctx>, i: u32) -> Option<BasicValueEnum<'ctx>> {
    match inst.get_operand(i) {
        Some(Operand::Value(v)) => Some(v),
        _ => None,
    }
}

fn as_inst(v: BasicValueEnum<'_>) -> Option<InstructionValue<'_>> {
    match v {
        BasicValueEnum::IntValue(x) => x.as_instruction(),
        BasicValueEnum::PointerValue(x) => x.as_instruction(),
        BasicValueEnum::FloatValue(x) => x.as_instruction(),
        _ => None,
    }
}

/// Whether `v` (through casts) is a value loaded from `param[...]`.
fn loaded_from(v: BasicValueEnum<'_>, param: BasicValueEnum<'_>) -> bool {
    let Some(mut inst) = as_inst(v) else {
        return false;
    };
    while matches!(
        inst.get_opcode(),
        InstructionOpcode::SExt | InstructionOpcode::ZExt
    ) {
        match value_operand(inst, 0).and_then(as_inst) {
            Some(i) => inst = i,
            None => return false,
        }
    }
    if inst.get_opcode() != InstructionOpcode::Load {
        return false;
    }
    let Some(addr) = value_operand(inst, 0) else {
        return false;
    };
    if addr == param {
        return true;
    }
    match as_inst(addr) {
        Some(gep) if gep.get_opcode() == InstructionOpcode::GetElementPtr => {
            value_operand(gep, 0) == Some(param)
        }
        _ => false,
    }
}

fn add_prefetches(cx: &mut Cx<'_>, distance: u32, strides: &[ArgStride]) -> Result<usize, String> {
    let entry = cx.entry()?;
    let ptr_type = cx.context.ptr_type(inkwell::AddressSpace::default());
    let prefetch = Intrinsic::find("llvm.prefetch")
        .and_then(|i| i.get_declaration(&cx.module, &[ptr_type.into()]))
        .ok_or("LLVM has no llvm.prefetch intrinsic")?;
    let builder = cx.context.create_builder();
    let i32t = cx.context.i32_type();
    let mut inserted = 0;
    for stride in strides {
        let Some(param) = entry.get_nth_param(stride.arg as u32) else {
            continue;
        };
        for load in ir::instructions(entry) {
            if load.get_opcode() != InstructionOpcode::Load {
                continue;
            }
            let Some(gep) = value_operand(load, 0).and_then(as_inst) else {
                continue;
            };
            if gep.get_opcode() != InstructionOpcode::GetElementPtr || gep.get_num_operands() != 2 {
                continue;
            }
            let (Some(base), Some(BasicValueEnum::IntValue(index))) =
                (value_operand(gep, 0), value_operand(gep, 1))
            else {
                continue;
            };
            if !loaded_from(index.into(), param) {
                continue;
            }
            let Ok(elem) = gep.get_gep_source_element_type() else {
                continue;
            };
            let BasicValueEnum::PointerValue(base) = base else {
                continue;
            };
            builder.position_before(&load);
            let ahead = index
                .get_type()
                .const_int((i64::from(distance) * stride.step) as u64, true);
            let build = || -> Result<(), inkwell::builder::BuilderError> {
                let next = builder.build_int_add(index, ahead, "prefetch.idx")?;
                // Running ahead of the array is harmless: the GEP is not
                // `inbounds` and a prefetch never faults.
                let addr = crate::llvm::build_gep(&builder, elem, base, next, "prefetch.addr")?;
                builder.build_call(
                    prefetch,
                    &[
                        addr.into(),
                        i32t.const_int(0, false).into(),
                        i32t.const_int(3, false).into(),
                        i32t.const_int(1, false).into(),
                    ],
                    "",
                )?;
                Ok(())
            };
            build().map_err(|e| e.to_string())?;
            inserted += 1;
        }
    }
    Ok(inserted)
}

pub fn apply(
    cx: &mut Cx<'_>,
    align: u32,
    noalias: bool,
    dereferenceable: &[ArgBytes],
    prefetch: u32,
    strides: &[ArgStride],
) -> Result<String, String> {
    let entry = cx.entry()?;
    let kind = Attribute::get_named_enum_kind_id;
    let mut arrays = 0;
    for (i, p) in entry.get_param_iter().enumerate() {
        if !p.is_pointer_value() {
            continue;
        }
        arrays += 1;
        let loc = AttributeLoc::Param(i as u32);
        entry.add_attribute(
            loc,
            cx.context
                .create_enum_attribute(kind("align"), u64::from(align)),
        );
        if noalias {
            entry.add_attribute(loc, cx.context.create_enum_attribute(kind("noalias"), 0));
        }
        if let Some(d) = dereferenceable.iter().find(|d| d.arg == i) {
            entry.add_attribute(
                loc,
                cx.context
                    .create_enum_attribute(kind("dereferenceable"), d.bytes),
            );
        }
    }
    let mut note = format!("align {align}");
    if noalias {
        note.push_str(", noalias");
    }
    if !dereferenceable.is_empty() {
        note.push_str(", dereferenceable");
    }
    note.push_str(&format!(
        " on {arrays} array argument{}",
        if arrays == 1 { "" } else { "s" }
    ));
    if prefetch > 0 {
        let n = add_prefetches(cx, prefetch, strides)?;
        note.push_str(&format!(
            "; {n} prefetch{} {prefetch} elements ahead",
            if n == 1 { "" } else { "es" }
        ));
    }
    Ok(note)
}
