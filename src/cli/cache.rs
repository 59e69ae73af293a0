//! `tailor cache ls|show|clear`.

use super::{json_text, table::Table, CliError, Output};
use crate::cache::{CacheConfig, VariantCache, Verification};
use serde_json::json;
use std::fmt::Write as _;

fn verdict(v: &Verification) -> String {
    match v {
        Verification::Reference => "reference".to_owned(),
        Verification::Verified => "verified".to_owned(),
        Verification::Rejected(why) => format!("rejected: {why}"),
    }
}

pub fn ls(config: CacheConfig, as_json: bool) -> Result<Output, CliError> {
    let cache = VariantCache::new(config)?;
    let (entries, notices) = cache.list();
    if as_json {
        return Ok(Output::ok(json_text(json!({
            "dir": cache.config().dir,
            "entries": entries,
            "notices": notices.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>(),
        }))));
    }
    let mut t = Table::new(&[
        "key",
        "kernel",
        "profile",
        "size",
        "hits",
        "verification",
        "plan",
    ]);
    for e in &entries {
        t.row(vec![
            e.key.short().to_owned(),
            format!("{} ({})", e.kernel_name, e.entry),
            e.profile.clone(),
            format!("{:.1} KiB", e.size as f64 / 1024.0),
            e.hits.to_string(),
            verdict(&e.verification),
            e.plan_summary.clone(),
        ]);
    }
    let mut out = t.render();
    let _ = writeln!(
        out,
        "{} entries in {}",
        entries.len(),
        cache
            .config()
            .dir
            .as_ref()
            .map_or("memory".to_owned(), |d| d.display().to_string())
    );
    Ok(Output::ok(out))
}

/// A cached variant as `cache show --json` and `GET /v1/cache/KEY` give it.
pub fn variant_json(v: &crate::cache::Variant) -> serde_json::Value {
    json!({
        "key": v.key, "kernel": v.kernel_name, "kernel_hash": v.kernel_hash, "entry": v.entry,
        "plan": v.plan, "target": v.target, "object_bytes": v.object.len(),
        "verification": v.verification, "transform_micros": v.transform_micros,
        "codegen_micros": v.codegen_micros, "created": v.created,
        "steps": v.steps.iter().map(crate::engine::StepEvent::from).collect::<Vec<_>>(),
        "optimized_ir": v.optimized_ir,
    })
}

pub fn show(config: CacheConfig, key: &str, as_json: bool) -> Result<Output, CliError> {
    let cache = VariantCache::new(config)?;
    let v = cache.load(key)?;
    if as_json {
        return Ok(Output::ok(json_text(variant_json(&v))));
    }
    let mut out = String::new();
    let _ = writeln!(out, "key          {}", v.key);
    let _ = writeln!(
        out,
        "kernel       {} (entry {}, hash {})",
        v.kernel_name,
        v.entry,
        &v.kernel_hash[..12.min(v.kernel_hash.len())]
    );
    let _ = writeln!(
        out,
        "profile      {} (version {})",
        v.plan.profile, v.plan.profile_version
    );
    let _ = writeln!(out, "plan         {}", super::plan_text(&v.plan));
    let _ = writeln!(out, "target       {} {}", v.target.triple, v.target.cpu);
    let _ = writeln!(out, "object       {} bytes", v.object.len());
    let _ = writeln!(out, "verification {}", verdict(&v.verification));
    let _ = writeln!(
        out,
        "built in     {} transform + {} codegen",
        super::trace::ms(v.transform_micros),
        super::trace::ms(v.codegen_micros)
    );
    out.push('\n');
    out.push_str(&super::run::step_table(&v));
    out.push_str("\noptimized IR:\n");
    out.push_str(&v.optimized_ir);
    Ok(Output::ok(out))
}

pub fn clear(config: CacheConfig) -> Result<Output, CliError> {
    let cache = VariantCache::new(config)?;
    let n = cache.clear()?;
    Ok(Output::ok(format!("removed {n} entries\n")))
}
