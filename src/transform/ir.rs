//! Reading a module: statistics, loop latches, indirect calls. Shared by
//! the transforms and the step log.

use super::log::IrStats;
use crate::llvm::{callee, Callee};
use inkwell::module::Module;
use inkwell::types::AnyTypeEnum;
use inkwell::values::Operand;
use inkwell::values::{FunctionValue, InstructionOpcode, InstructionValue};

/// Defined functions of a module.
pub fn defined<'ctx>(module: &Module<'ctx>) -> Vec<FunctionValue<'ctx>> {
    module
        .get_functions()
        .filter(|f| f.count_basic_blocks() > 0)
        .collect()
}

/// Every instruction of a function in layout order.
pub fn instructions<'ctx>(f: FunctionValue<'ctx>) -> Vec<InstructionValue<'ctx>> {
    f.get_basic_block_iter()
        .flat_map(|b| b.get_instructions())
        .collect()
}

fn is_vector(t: AnyTypeEnum<'_>) -> bool {
    matches!(
        t,
        AnyTypeEnum::VectorType(_) | AnyTypeEnum::ScalableVectorType(_)
    )
}

fn touches_vectors(inst: InstructionValue<'_>) -> bool {
    if is_vector(inst.get_type()) {
        return true;
    }
    (0..inst.get_num_operands()).any(|i| match inst.get_operand(i) {
        Some(Operand::Value(v)) => is_vector(v.get_type().as_any_type_enum()),
        _ => false,
    })
}

/// Branches that jump back to a block at or before their own in layout
/// order: the latches of loops in the canonical (rotated) form.
pub fn latches<'ctx>(f: FunctionValue<'ctx>) -> Vec<InstructionValue<'ctx>> {
    let blocks: Vec<_> = f.get_basic_block_iter().collect();
    let mut out = Vec::new();
    for (i, b) in blocks.iter().enumerate() {
        let Some(term) = b.get_terminator() else {
            continue;
        };
        if term.get_opcode() != InstructionOpcode::Br {
            continue;
        }
        let back = (0..term.get_num_operands()).any(|k| match term.get_operand(k) {
            Some(Operand::Block(target)) => blocks[..=i].contains(&target),
            _ => false,
        });
        if back {
            out.push(term);
        }
    }
    out
}

/// Loop latches in every defined function.
pub fn all_latches<'ctx>(module: &Module<'ctx>) -> Vec<InstructionValue<'ctx>> {
    defined(module).into_iter().flat_map(latches).collect()
}

pub fn stats(module: &Module<'_>) -> IrStats {
    let mut s = IrStats::default();
    for f in defined(module) {
        s.functions += 1;
        s.blocks += f.count_basic_blocks();
        s.loops += latches(f).len() as u32;
        for inst in instructions(f) {
            s.instructions += 1;
            if touches_vectors(inst) {
                s.vector_instructions += 1;
            }
            if callee(inst) == Some(Callee::Indirect) {
                s.indirect_calls += 1;
            }
        }
    }
    s
}

use inkwell::types::AnyType as _;
