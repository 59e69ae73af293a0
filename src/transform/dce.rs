//! `dce`: removes what specialization made dead (dce, adce, simplifycfg,
//! globaldce) and says how much.

use super::{ir, Cx};

pub fn apply(cx: &mut Cx<'_>, aggressive: bool) -> Result<String, String> {
    let before = ir::stats(&cx.module);
    let pipeline = if aggressive {
        "function(dce,adce,simplifycfg),globaldce"
    } else {
        "function(dce,simplifycfg)"
    };
    cx.run_passes(pipeline)?;
    let after = ir::stats(&cx.module);
    Ok(format!(
        "removed {} instructions, {} blocks, {} functions",
        before.instructions.saturating_sub(after.instructions),
        before.blocks.saturating_sub(after.blocks),
        before.functions.saturating_sub(after.functions),
    ))
}
