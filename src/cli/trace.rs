//! Events as lines for people: `tailor run` prints the trace of each
//! request as it happens.

use crate::engine::{Event, EventKind, Served};
use crate::input::Scalar;
use crate::profile::Verdict;

pub fn ms(micros: u64) -> String {
    if micros >= 10_000 {
        format!("{:.0} ms", micros as f64 / 1e3)
    } else {
        format!("{:.2} ms", micros as f64 / 1e3)
    }
}

pub fn nanos(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{:.2} ms", n as f64 / 1e6)
    } else if n >= 1_000 {
        format!("{:.1} µs", n as f64 / 1e3)
    } else {
        format!("{n} ns")
    }
}

fn scalar(s: &Option<Scalar>) -> String {
    s.map_or("(void)".to_owned(), |s| s.to_string())
}

/// One line per event: request, time since it arrived, stage, detail.
pub fn line(e: &Event) -> String {
    let (stage, detail) = match &e.kind {
        EventKind::Received { input } => ("received", input.display().to_string()),
        EventKind::Analyzed {
            signature,
            kernel_hash,
            summary,
            sampled,
            micros,
            ..
        } => (
            "analyzed",
            format!(
                "{signature} [{}] · {summary}{} ({})",
                &kernel_hash[..12.min(kernel_hash.len())],
                if *sampled { " (sampled)" } else { "" },
                ms(*micros)
            ),
        ),
        EventKind::Selected {
            profile,
            priority,
            candidates,
        } => {
            let also: Vec<&str> = candidates
                .iter()
                .filter(|c| c.verdict == Verdict::Shadowed && c.profile != crate::profile::GENERIC)
                .map(|c| c.profile.as_str())
                .collect();
            (
                "selected",
                if also.is_empty() {
                    format!("{profile} (priority {priority})")
                } else {
                    format!(
                        "{profile} (priority {priority}; also matched {})",
                        also.join(", ")
                    )
                },
            )
        }
        EventKind::Planned { plan } => ("planned", super::plan_text(plan)),
        EventKind::PlanFailed { error } => ("plan failed", format!("{error}; generic serves")),
        EventKind::Cache { key, hit, tier } => (
            "cache",
            format!(
                "{} {}{}",
                if *hit { "hit" } else { "miss" },
                &key[..12.min(key.len())],
                match tier {
                    Some(crate::cache::Tier::Disk) => " (disk)",
                    Some(crate::cache::Tier::Redis) => " (redis)",
                    _ => "",
                }
            ),
        ),
        EventKind::CacheNotice { message } => ("cache", message.clone()),
        EventKind::Generalized {
            dims,
            tripped,
            limit,
            window_secs,
            ..
        } => (
            "budget",
            format!(
                "left dynamic: {}{}",
                if dims.is_empty() {
                    "nothing".to_owned()
                } else {
                    dims.join(", ")
                },
                if tripped.is_empty() {
                    String::new()
                } else {
                    format!(" (over {limit} distinct values in {window_secs} s)")
                }
            ),
        ),
        EventKind::FleetBuilding {
            key,
            holder,
            waiting,
        } => (
            "fleet",
            format!(
                "{} is being built by {holder}: {}",
                &key[..12.min(key.len())],
                if *waiting {
                    "waiting for it"
                } else {
                    "generic serves meanwhile"
                }
            ),
        ),
        EventKind::Building {
            key,
            profile,
            steps,
        } => (
            "building",
            format!(
                "{} {profile} ({steps} step{} + prepare, finish)",
                &key[..12.min(key.len())],
                if *steps == 1 { "" } else { "s" }
            ),
        ),
        EventKind::Step(s) => (
            "step",
            format!(
                "{} {} {}: instr {}→{} blocks {}→{} loops {}→{} vector {}→{} · {}",
                s.node,
                s.transform,
                ms(s.micros),
                s.before.instructions,
                s.after.instructions,
                s.before.blocks,
                s.after.blocks,
                s.before.loops,
                s.after.loops,
                s.before.vector_instructions,
                s.after.vector_instructions,
                s.note
            ),
        ),
        EventKind::Compiled {
            object_bytes,
            transform_micros,
            codegen_micros,
        } => (
            "compiled",
            format!(
                "{object_bytes} bytes of object code (transform {}, codegen {})",
                ms(*transform_micros),
                ms(*codegen_micros)
            ),
        ),
        EventKind::TransformFailed { error } => ("failed", format!("{error}; generic serves")),
        EventKind::Verified {
            verification,
            variant,
            generic,
            micros,
        } => (
            "verified",
            match verification {
                crate::cache::Verification::Rejected(why) => format!(
                    "REJECTED: {why}; generic serves (variant {}, generic {}, {})",
                    scalar(variant),
                    scalar(generic),
                    ms(*micros)
                ),
                _ => format!(
                    "ok: variant {} vs generic {} ({})",
                    scalar(variant),
                    scalar(generic),
                    ms(*micros)
                ),
            },
        ),
        EventKind::Timed {
            key,
            profile,
            timed,
        } => (
            if timed.slower { "guard" } else { "timed" },
            format!(
                "{} {profile}: {timed}{}",
                &key[..12.min(key.len())],
                if timed.slower { "; not served" } else { "" }
            ),
        ),
        EventKind::Fallback {
            from,
            profile,
            key,
            why,
            to,
            of,
        } => (
            "fallback",
            format!(
                "{} {} {}; trying {to}/{of}: {profile} {why} {}",
                &from.key[..12.min(from.key.len())],
                from.profile,
                from.verdict,
                &key[..12.min(key.len())],
            ),
        ),
        EventKind::Tuned {
            key,
            profile,
            tries,
            chosen,
            ..
        } => (
            "tuned",
            format!(
                "{} {profile}: {} candidates; {} [{}]",
                &key[..12.min(key.len())],
                tries.len(),
                match chosen {
                    Some(c) => format!("kept `{c}`"),
                    None => "none verified".to_owned(),
                },
                tries
                    .iter()
                    .map(|(l, v)| format!("{l}: {v}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
        EventKind::Deferred {
            key,
            profile,
            queued,
            full,
        } => (
            "tiered",
            format!(
                "{} {profile}: generic serves now; {}",
                &key[..12.min(key.len())],
                match (queued, full) {
                    (true, _) => "the variant builds in the background",
                    (false, true) => "the background queue is full: a later request builds it",
                    (false, false) => "the variant is already building in the background",
                }
            ),
        ),
        EventKind::Ready {
            key,
            served_by,
            profile,
            micros,
        } => (
            "ready",
            format!(
                "{} built in the background ({}): {}",
                &key[..12.min(key.len())],
                ms(*micros),
                match served_by {
                    Served::Variant => format!("{profile} serves it"),
                    Served::Fallback => format!("fallback {profile} serves it"),
                    Served::Generic => "generic serves it".to_owned(),
                }
            ),
        ),
        EventKind::Executed {
            variant,
            served_by,
            execution,
        } => (
            "executed",
            format!(
                "{} {} {}, {}, kernel {}",
                match served_by {
                    Served::Variant => "variant",
                    Served::Fallback => "fallback",
                    Served::Generic => "generic",
                },
                &variant[..12.min(variant.len())],
                execution.outcome,
                execution.isolation,
                nanos(execution.kernel_nanos)
            ),
        ),
        EventKind::Finished {
            result,
            hit,
            total_micros,
        } => (
            "finished",
            format!(
                "result {} · {} · {}",
                scalar(result),
                if *hit { "hit" } else { "miss" },
                ms(*total_micros)
            ),
        ),
        EventKind::Failed { error } => ("error", error.clone()),
    };
    format!(
        "#{:<3} {:>9}  {stage:<9} {detail}",
        e.request,
        ms(e.at_micros)
    )
}
