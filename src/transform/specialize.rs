//! `specialize`: binds scalar arguments of the entry to constants from the
//! vector. Every use of the argument becomes the constant, so the argument
//! is no longer read, and constant folding takes it from there.

use super::Cx;
use crate::input::Scalar;
use crate::profile::Binding;
use inkwell::values::{BasicValue, BasicValueEnum};

pub fn apply(cx: &mut Cx<'_>, bind: &[Binding]) -> Result<String, String> {
    let mut notes = Vec::new();
    for b in bind {
        let param = cx
            .entry()?
            .get_nth_param(b.index as u32)
            .ok_or_else(|| format!("the entry has no argument {} (`{}`)", b.index, b.arg))?;
        let mut uses = 0;
        let mut u = param.get_first_use();
        while let Some(x) = u {
            uses += 1;
            u = x.get_next_use();
        }
        let ctx = cx.context;
        match (param, b.value) {
            (BasicValueEnum::IntValue(p), Scalar::I32(v)) if p.get_type().get_bit_width() == 32 => {
                p.replace_all_uses_with(ctx.i32_type().const_int(v as i64 as u64, true));
            }
            (BasicValueEnum::IntValue(p), Scalar::I64(v)) if p.get_type().get_bit_width() == 64 => {
                p.replace_all_uses_with(ctx.i64_type().const_int(v as u64, true));
            }
            (BasicValueEnum::FloatValue(p), Scalar::F32(v)) => {
                p.replace_all_uses_with(ctx.f32_type().const_float(f64::from(v)));
            }
            (BasicValueEnum::FloatValue(p), Scalar::F64(v)) => {
                p.replace_all_uses_with(ctx.f64_type().const_float(v));
            }
            (p, v) => {
                return Err(format!(
                    "cannot bind `{}` ({}) to {} {v}",
                    b.arg,
                    p.get_type(),
                    v.ty()
                ))
            }
        }
        notes.push(format!(
            "{}={} ({uses} use{})",
            b.arg,
            b.value,
            if uses == 1 { "" } else { "s" }
        ));
    }
    cx.run_passes("function(sccp,instcombine,simplifycfg)")?;
    if notes.is_empty() {
        return Ok("nothing to bind".to_owned());
    }
    Ok(format!("bound {}", notes.join(", ")))
}
