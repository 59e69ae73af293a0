//! `tailor cache ls|show|clear`.

use super::{json_text, table::Table, CliError, Output};
use crate::cache::{CacheConfig, EntryInfo, VariantCache, Verification};
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;

fn verdict(v: &Verification) -> String {
    match v {
        Verification::Reference => "reference".to_owned(),
        Verification::Verified => "verified".to_owned(),
        Verification::Rejected(why) => format!("rejected: {why}"),
    }
}

/// The guard's verdict in a column: the speedup, and whether generic
/// serves instead.
pub(crate) fn guard_cell(t: Option<&crate::cache::Timed>) -> String {
    match t {
        None => "-".to_owned(),
        Some(t) if t.slower => format!("{:.2}× slower: generic serves", t.speedup()),
        Some(t) => format!("{:.2}×", t.speedup()),
    }
}

fn entry_table(entries: &[EntryInfo]) -> String {
    let mut t = Table::new(&[
        "key",
        "kernel",
        "profile",
        "size",
        "hits",
        "verification",
        "guard",
        "plan",
    ]);
    for e in entries {
        t.row(vec![
            e.key.short().to_owned(),
            format!("{} ({})", e.kernel_name, e.entry),
            e.profile.clone(),
            format!("{:.1} KiB", e.size as f64 / 1024.0),
            e.hits.to_string(),
            verdict(&e.verification),
            guard_cell(e.timed.as_ref()),
            e.plan_summary.clone(),
        ]);
    }
    t.render()
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
    let mut out = entry_table(&entries);
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
    if cache.config().dir.is_some() {
        let _ = writeln!(
            out,
            "disk: {} of {} (the least recently used go first past it)",
            mib(cache.stats().disk_bytes),
            mib(cache.config().disk_max_bytes)
        );
    }
    Ok(Output::ok(out))
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
}

/// A running service's entries and every tier's counters, from
/// `GET /v1/cache`.
pub fn ls_remote(url: &str, token_file: Option<&Path>, as_json: bool) -> Result<Output, CliError> {
    let token = crate::service::client::token(token_file).map_err(CliError::Other)?;
    let client = crate::service::client::Client::new(url, token);
    let v = client.get("/v1/cache").map_err(CliError::Other)?;
    if as_json {
        return Ok(Output::ok(json_text(v)));
    }
    let entries: Vec<EntryInfo> =
        serde_json::from_value(v["entries"].clone()).map_err(|e| CliError::Other(e.to_string()))?;
    let mut out = entry_table(&entries);
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
    let s = &v["stats"];
    let _ = writeln!(
        out,
        "memory: {} entries, {} · {} hits, {} misses, {} evictions, {} rejections",
        n(&s["entries"]),
        mib(n(&s["bytes"])),
        n(&s["hits"]),
        n(&s["misses"]),
        n(&s["evictions"]),
        n(&s["rejections"]),
    );
    match v["disk_max_bytes"].as_u64() {
        Some(max) => {
            let _ = writeln!(
                out,
                "disk:   {} of {} · {} hits, {} evictions, {} corrupt removed",
                mib(n(&s["disk_bytes"])),
                mib(max),
                n(&s["disk_hits"]),
                n(&s["disk_evictions"]),
                n(&s["corrupt"]),
            );
        }
        None => out.push_str("disk:   off\n"),
    }
    let f = &v["fleet"];
    if f.is_null() {
        out.push_str("redis:  off\n");
    } else {
        let r = &v["redis"];
        let _ = writeln!(
            out,
            "redis:  {} · {} hits, {} misses, {} published, {} refused, {} errors, {} outages · leases won {}, lost {}, duplicate builds {}",
            f["breaker"].as_str().map_or("?", |b| if b == "closed" { "up" } else { "down (circuit open)" }),
            n(&f["hits"]),
            n(&f["misses"]),
            n(&f["published"]),
            n(&f["refused"]),
            n(&f["errors"]),
            n(&f["outages"]),
            n(&f["leases_won"]),
            n(&f["leases_lost"]),
            n(&f["duplicate_builds"]),
        );
        if !r.is_null() {
            let _ = writeln!(
                out,
                "        server: {} used of {} ({}), {} keys evicted",
                mib(n(&r["used_memory"])),
                if n(&r["maxmemory"]) == 0 {
                    "no maxmemory".to_owned()
                } else {
                    mib(n(&r["maxmemory"]))
                },
                r["maxmemory_policy"].as_str().unwrap_or("?"),
                n(&r["evicted_keys"]),
            );
        }
        for w in f["warnings"].as_array().into_iter().flatten() {
            let _ = writeln!(out, "        warning: {}", w.as_str().unwrap_or_default());
        }
    }
    Ok(Output::ok(out))
}

/// A cached variant as `cache show --json` and `GET /v1/cache/KEY` give it.
pub fn variant_json(v: &crate::cache::Variant) -> serde_json::Value {
    json!({
        "key": v.key, "kernel": v.kernel_name, "kernel_hash": v.kernel_hash, "entry": v.entry,
        "plan": v.plan, "target": v.target, "object_bytes": v.object.len(),
        "verification": v.verification, "timed": v.timed, "transform_micros": v.transform_micros,
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
    if let Some(t) = &v.timed {
        let _ = writeln!(out, "guard        {t}");
    }
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
