//! `vectorize`: forces the vector width and interleave count through
//! `llvm.loop.vectorize.*` metadata, optionally licenses reassociation of
//! floating-point math (the fast-math flags a floating reduction needs),
//! and runs the loop and SLP vectorizers. The ISA level is the target the
//! whole pipeline compiles for (see `codegen::target_for`).

use super::{ir, Cx};
use crate::llvm::{set_loop_properties, LoopValue};
use inkwell::types::AnyTypeEnum;
use inkwell::values::{FastMathFlags, InstructionOpcode};

fn is_float_math(op: InstructionOpcode) -> bool {
    use InstructionOpcode::*;
    matches!(
        op,
        FAdd | FSub | FMul | FDiv | FRem | FNeg | FCmp | Call | Phi | Select
    )
}

/// Reassociation, no signed zeros, contraction, and no NaNs: what min/max
/// and sum reductions need to vectorize. Only sound when the data makes it
/// so (the profile's `when`), and always checked against generic (§6).
fn license_reassociation(cx: &Cx<'_>) -> usize {
    let flags = FastMathFlags::AllowReassoc
        | FastMathFlags::NoSignedZeros
        | FastMathFlags::AllowContract
        | FastMathFlags::NoNaNs;
    let mut n = 0;
    for f in ir::defined(&cx.module) {
        for inst in ir::instructions(f) {
            let float = matches!(inst.get_type(), AnyTypeEnum::FloatType(_))
                || inst.get_opcode() == InstructionOpcode::FCmp
                || matches!(inst.get_type(), AnyTypeEnum::VectorType(v) if v.get_element_type().is_float_type());
            if float && is_float_math(inst.get_opcode()) && inst.can_use_fast_math_flags() {
                let old = inst.get_fast_math_flags().unwrap_or(FastMathFlags::empty());
                if inst.set_fast_math_flags(old | flags).is_ok() {
                    n += 1;
                }
            }
        }
    }
    n
}

pub fn apply(
    cx: &mut Cx<'_>,
    width: u32,
    interleave: u32,
    reassoc: bool,
    defer: bool,
) -> Result<String, String> {
    let latches = ir::all_latches(&cx.module);
    let mut props = vec![("llvm.loop.vectorize.enable", LoopValue::Bool(true))];
    if width > 0 {
        props.push(("llvm.loop.vectorize.width", LoopValue::Int(width as i32)));
    }
    if interleave > 0 {
        props.push((
            "llvm.loop.interleave.count",
            LoopValue::Int(interleave as i32),
        ));
    }
    for latch in &latches {
        set_loop_properties(
            cx.context,
            *latch,
            &props,
            &[
                "llvm.loop.vectorize.",
                "llvm.loop.interleave.",
                "llvm.loop.isvectorized",
            ],
        );
    }
    let licensed = if reassoc {
        license_reassociation(cx)
    } else {
        0
    };
    let mut note = format!(
        "{} loop{} marked",
        latches.len(),
        if latches.len() == 1 { "" } else { "s" }
    );
    if defer {
        // The finish pipeline vectorizes after its own simplification
        // (reassociate, LICM, unrolling), which it could not do on code
        // vectorized here first.
        note.push_str("; vectorizing left to finish");
    } else {
        let before = ir::stats(&cx.module).vector_instructions;
        cx.run_passes("function(loop-vectorize,slp-vectorizer,instcombine,simplifycfg)")?;
        let after = ir::stats(&cx.module).vector_instructions;
        note.push_str(&format!("; vector instructions {before} -> {after}"));
    }
    if reassoc {
        note.push_str(&format!(
            "; reassociation licensed on {licensed} float operations"
        ));
    }
    Ok(note)
}
