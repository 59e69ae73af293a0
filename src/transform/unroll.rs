//! `unroll`: puts `llvm.loop.unroll.count` / `llvm.loop.unroll.full` on
//! every loop and runs LLVM's loop unroller.

use super::{ir, Cx};
use crate::llvm::{set_loop_properties, LoopValue};

pub fn apply(cx: &mut Cx<'_>, count: u32, full: bool) -> Result<String, String> {
    let latches = ir::all_latches(&cx.module);
    let prop = if full {
        ("llvm.loop.unroll.full", LoopValue::Flag)
    } else {
        ("llvm.loop.unroll.count", LoopValue::Int(count as i32))
    };
    for latch in &latches {
        set_loop_properties(cx.context, *latch, &[prop], &["llvm.loop.unroll."]);
    }
    let before = latches.len();
    cx.run_passes("function(loop-unroll<O3>,instcombine,simplifycfg)")?;
    let after = ir::all_latches(&cx.module).len();
    let what = if full {
        "full".to_owned()
    } else {
        format!("count {count}")
    };
    Ok(format!(
        "{what} on {before} loop{}; loops {before} -> {after}",
        if before == 1 { "" } else { "s" }
    ))
}
