//! `passes`: an expert's new-pass-manager pipeline, run as written. LLVM's
//! own parser checks it (at profile load and here).

use super::Cx;

pub fn apply(cx: &mut Cx<'_>, pipeline: &str) -> Result<String, String> {
    cx.run_passes(pipeline)?;
    Ok(format!("ran {pipeline}"))
}
