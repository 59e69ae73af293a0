//! What serves a request once its Plan is decided: the guard, the fallback
//! chain and tiered serving.
//!
//! - **The guard.** A new variant that verification accepted is timed
//!   against the generic build on the request's input (interleaved runs in
//!   the sandbox, bounded by the profile's `guard.budget_ms`). Slower than
//!   generic by more than `guard.margin`, it is cached with that verdict
//!   ([`Timed`]) and never served.
//! - **The chain.** When the selected Plan's variant does not serve
//!   (rejected, slower, or not built), the next candidates are tried in
//!   order: the same DAG without reassociation, then the Plans of the other
//!   profiles that matched, by priority; at most `guard.fallbacks` of them.
//!   The first one that serves does; past them, generic. Every candidate is
//!   planned from *this request's* vector, so whatever serves was planned
//!   for this input and is keyed by its own Plan: nothing another input
//!   verified is borrowed. Each candidate's verdict is cached under its own
//!   key, so a later request walks the chain through cache hits.
//! - **Tiered serving.** When the engine serves tiered and the profile
//!   allows it, a request whose chain meets a miss is answered by the
//!   generic build at once; the rest of the chain (build, verify, time)
//!   runs on a background thread, once per key, and a later request of the
//!   key finds the result in the cache.

use super::*;
use crate::cache::Timed;
use crate::profile::{GuardPolicy, Verdict};

/// Background builds in flight at most; past it a miss is still answered
/// by generic, and a later request of the key queues it.
const MAX_PENDING: usize = 64;

/// One Plan of the chain, with its profile (for its guard and deadlines).
pub(super) struct Cand {
    pub plan: Plan,
    pub key: VariantKey,
    pub profile: Arc<Profile>,
    pub why: &'static str,
}

/// What a build of one candidate gave.
pub(super) enum Got {
    Variant(Arc<Variant>),
    Failed(String),
    /// Another engine of the fleet is building it.
    Elsewhere(String),
}

/// What serves a request, and how the chain got there.
pub(super) struct Choice {
    pub variant: Arc<Variant>,
    pub served_by: Served,
    /// The selected Plan's verification (or why it has none).
    pub verification: Verification,
    /// The selected Plan's timing against generic, when it was timed.
    pub timed: Option<Timed>,
    /// Every candidate considered, when the chain went past the first.
    pub tries: Vec<Try>,
    /// Generic answered because the variant is building in the background.
    pub deferred: bool,
    /// Dropped when the request is answered: the background build waits
    /// for it, so it does not compete with the answer for the machine.
    pub answered: Option<std::sync::mpsc::Sender<()>>,
}

impl Engine {
    /// Serve tiered (see the module's doc): a miss is answered by generic
    /// and built in the background. Off by default: a one-shot CLI run
    /// would exit before its variant was built.
    pub fn serve_tiered(&self, on: bool) {
        self.shared.tiered.store(on, Ordering::Relaxed);
    }

    pub fn tiered(&self) -> bool {
        self.shared.tiered.load(Ordering::Relaxed)
    }

    /// Keys building in the background now.
    pub fn pending(&self) -> usize {
        lock(&self.shared.pending).len()
    }

    /// The chain for this request: the first candidate whose variant
    /// serves, building what is missing (here, or in the background when
    /// `may_defer`), else generic. `found` is the selected key's lookup.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn choose(
        &self,
        req: &Ctx,
        kernel: &Arc<Kernel>,
        input: &Arc<Input>,
        vector: &CharacteristicVector,
        decided: &Decided,
        found: Option<Arc<Variant>>,
        may_defer: bool,
        t: &mut Timings,
    ) -> Result<Choice, EngineError> {
        let first = Cand {
            plan: decided.plan.clone(),
            key: decided.key.clone(),
            profile: decided.profile.clone(),
            why: "selected",
        };
        let is_generic = first.plan.profile == profile::GENERIC;
        let may_defer = may_defer
            && !is_generic
            && self.tiered()
            && decided.profile.sandbox.tiered
            && decided.forced.is_none();
        let mut tries: Vec<Try> = Vec::new();
        let mut head: Option<(Verification, Option<Timed>)> = None;
        let mut found = found;
        let mut next: Option<Cand> = Some(first);
        let mut rest: Option<std::vec::IntoIter<Cand>> = None;
        let mut elsewhere = false;
        while let Some(cand) = next.take() {
            let got = match found.take() {
                Some(v) => Got::Variant(v),
                None => {
                    let cached = if head.is_none() {
                        None // the selected key's lookup was `found`
                    } else {
                        let (f, notices) = self.cache().get(&cand.key);
                        self.notices(req, notices);
                        f.map(|(v, _)| v)
                    };
                    match cached {
                        Some(v) => Got::Variant(v),
                        None if may_defer => {
                            return self.deferred(req, kernel, input, vector, decided, head, tries);
                        }
                        None => {
                            let at = Instant::now();
                            let got = self
                                .build_and_verify(req, kernel, input, vector, decided, &cand, t);
                            t.build += micros(at);
                            got?
                        }
                    }
                }
            };
            let verdict = match &got {
                Got::Variant(v) if v.serves() => TryVerdict::Served,
                Got::Variant(v) => match (&v.verification, v.timed) {
                    (Verification::Rejected(reason), _) => TryVerdict::Rejected {
                        reason: reason.clone(),
                    },
                    (_, Some(timed)) => TryVerdict::Slower { timed },
                    _ => TryVerdict::Unbuilt {
                        reason: "not served".to_owned(),
                    },
                },
                Got::Failed(reason) => TryVerdict::Unbuilt {
                    reason: reason.clone(),
                },
                Got::Elsewhere(holder) => TryVerdict::Unbuilt {
                    reason: format!("{holder} is building it"),
                },
            };
            if head.is_none() {
                head = Some(match &got {
                    Got::Variant(v) => (v.verification.clone(), v.timed),
                    Got::Failed(_) | Got::Elsewhere(_) => (
                        Verification::Rejected("the variant could not be built".to_owned()),
                        None,
                    ),
                });
            }
            let this = Try {
                profile: cand.plan.profile.clone(),
                key: cand.key.0.clone(),
                why: cand.why.to_owned(),
                verdict,
            };
            if let (Got::Variant(v), TryVerdict::Served) = (&got, &this.verdict) {
                let served_by = if tries.is_empty() {
                    Served::Variant
                } else {
                    Served::Fallback
                };
                if !tries.is_empty() {
                    self.count(|s| s.fallbacks += 1);
                    tries.push(this);
                }
                let (verification, timed) = head.unwrap_or((v.verification.clone(), v.timed));
                return Ok(Choice {
                    variant: v.clone(),
                    served_by,
                    verification,
                    timed,
                    tries,
                    deferred: false,
                    answered: None,
                });
            }
            if matches!(got, Got::Elsewhere(_)) && tries.is_empty() {
                // Another engine is building the selected variant: it will
                // be there soon, and building fallbacks meanwhile is waste.
                elsewhere = true;
                tries.push(this);
                break;
            }
            let rest = rest.get_or_insert_with(|| {
                let bound = cand.profile.guard.fallbacks as usize;
                let mut all = self.fallbacks(kernel, vector, decided);
                all.truncate(bound);
                all.into_iter()
            });
            let left = rest.len();
            next = rest.next();
            if let Some(n) = &next {
                let of = tries.len() + left;
                let to = tries.len() + 1;
                self.emit(req, || EventKind::Fallback {
                    from: this.clone(),
                    profile: n.plan.profile.clone(),
                    key: n.key.0.clone(),
                    why: n.why.to_owned(),
                    to,
                    of,
                });
            }
            tries.push(this);
        }
        // Nothing of the chain serves: generic does.
        self.count(|s| s.rejected += 1);
        let generic = self.generic(req, kernel, vector, &decided.store)?;
        let (verification, timed) = head.unwrap_or((Verification::Reference, None));
        if elsewhere || tries.len() == 1 {
            tries.clear();
        }
        Ok(Choice {
            variant: generic,
            served_by: Served::Generic,
            verification,
            timed,
            tries,
            deferred: false,
            answered: None,
        })
    }

    /// Tiered serving's answer to a miss: generic now, and the chain
    /// walked on a background thread (once per selected key).
    #[allow(clippy::too_many_arguments)]
    fn deferred(
        &self,
        req: &Ctx,
        kernel: &Arc<Kernel>,
        input: &Arc<Input>,
        vector: &CharacteristicVector,
        decided: &Decided,
        head: Option<(Verification, Option<Timed>)>,
        tries: Vec<Try>,
    ) -> Result<Choice, EngineError> {
        let generic = self.generic(req, kernel, vector, &decided.store)?;
        let key = decided.key.clone();
        let (queued, full) = {
            let mut pending = lock(&self.shared.pending);
            if pending.contains(&key) {
                (false, false)
            } else if pending.len() >= MAX_PENDING {
                (false, true)
            } else {
                (pending.insert(key.clone()), false)
            }
        };
        self.count(|s| s.deferred += 1);
        self.emit(req, || EventKind::Deferred {
            key: key.0.clone(),
            profile: decided.plan.profile.clone(),
            queued,
            full,
        });
        let mut answered = None;
        if queued {
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            answered = Some(tx);
            let engine = self.clone();
            let (kernel, input, vector, decided) = (
                kernel.clone(),
                input.clone(),
                vector.clone(),
                decided.clone(),
            );
            let ctx = Ctx {
                id: req.id,
                started: req.started,
            };
            let spawned = std::thread::Builder::new()
                .name("tailor-tiered".into())
                .spawn(move || {
                    // Until the request that queued it is answered (its
                    // sender dropped), or a second at most.
                    let _ = rx.recv_timeout(Duration::from_secs(1));
                    let at = Instant::now();
                    let mut t = Timings::default();
                    let (found, notices) = engine.cache().get(&decided.key);
                    engine.notices(&ctx, notices);
                    let found = found.map(|(v, _)| v);
                    let chosen = engine.choose(
                        &ctx, &kernel, &input, &vector, &decided, found, false, &mut t,
                    );
                    lock(&engine.shared.pending).remove(&decided.key);
                    match chosen {
                        Ok(c) => engine.emit(&ctx, || EventKind::Ready {
                            key: decided.key.0.clone(),
                            served_by: c.served_by,
                            profile: c.variant.plan.profile.clone(),
                            micros: micros(at),
                        }),
                        Err(e) => engine.emit(&ctx, || EventKind::TransformFailed {
                            error: format!("background build: {e}"),
                        }),
                    }
                });
            if spawned.is_err() {
                lock(&self.shared.pending).remove(&key);
            }
        }
        let (verification, timed) = head.unwrap_or((Verification::Reference, None));
        Ok(Choice {
            variant: generic,
            served_by: Served::Generic,
            verification,
            timed,
            tries,
            deferred: true,
            answered,
        })
    }

    /// The chain past the selected Plan, planned from this request's
    /// vector: the same DAG without reassociation, then each other profile
    /// that matched, by priority (a Plan of theirs that would reassociate
    /// on sampled features goes without it). Memoized with the decision.
    fn fallbacks(
        &self,
        kernel: &Kernel,
        vector: &CharacteristicVector,
        decided: &Decided,
    ) -> Vec<Cand> {
        let memo = &decided.memo;
        let plans = memo.fallbacks.get_or_init(|| {
            let mut out: Vec<(Plan, &'static str)> = Vec::new();
            if let Some(p) = memo.plan.without_reassoc() {
                out.push((p, "reassoc off"));
            }
            if decided.forced.is_none() {
                let info = kernel_info(kernel);
                for c in &memo.candidates {
                    if c.verdict != Verdict::Shadowed
                        || c.profile == profile::GENERIC
                        || c.profile == memo.profile.name
                    {
                        continue;
                    }
                    let Some(p) = decided.store.get(&c.profile) else {
                        continue;
                    };
                    let Ok(mut plan) = profile::plan(p, vector, &info) else {
                        continue;
                    };
                    if plan.changes_results() && !sampled_reads(p, vector).is_empty() {
                        match plan.without_reassoc() {
                            Some(q) => plan = q,
                            None => continue,
                        }
                    }
                    out.push((plan, "next profile"));
                }
            }
            let mut seen = std::collections::HashSet::from([memo.plan.fingerprint()]);
            out.retain(|(p, _)| seen.insert(p.fingerprint()));
            out
        });
        plans
            .iter()
            .filter_map(|(plan, why)| {
                let plan = if decided.dims.is_empty() {
                    plan.clone()
                } else {
                    plan.generalized(&decided.dims)
                };
                let profile = decided.store.get(&plan.profile)?.clone();
                Some(Cand {
                    key: self.key_of(kernel, &plan),
                    plan,
                    profile,
                    why,
                })
            })
            .collect()
    }

    /// The guard's timing of a verified variant against generic on this
    /// input: `first` (verification's own pair of runs) and then pairs in
    /// alternating order until `guard.runs` or `guard.budget_ms`; each
    /// build's fastest run is compared. `None` when a run failed (no
    /// verdict from the sandbox).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn time_against_generic(
        &self,
        req: &Ctx,
        kernel: &Kernel,
        input: &Input,
        vector: &CharacteristicVector,
        decided: &Decided,
        variant: &Variant,
        guard: &GuardPolicy,
        first: (u64, u64),
    ) -> Option<Timed> {
        let generic = self.generic(req, kernel, vector, &decided.store).ok()?;
        let budget = Duration::from_millis(guard.budget_ms);
        let ret = kernel.signature.ret;
        let run = |v: &Variant| -> Option<u64> {
            let (e, _) = self
                .shared
                .executors
                .execute(v, input, ret, &decided.policy);
            (e.outcome == Outcome::Ok).then_some(e.kernel_nanos)
        };
        let (mut g, mut v) = (vec![first.0], vec![first.1]);
        // At least one pair past verification's (whose runs may be the
        // first of a build in its executor) unless that pair alone took
        // the budget; then pairs while the budget lasts.
        let since = Instant::now();
        let long = Duration::from_nanos(first.0.saturating_add(first.1)) >= budget;
        loop {
            let extra = g.len() - 1;
            if g.len() as u32 >= guard.runs
                || (extra == 0 && long)
                || (extra > 0 && since.elapsed() >= budget)
            {
                break;
            }
            if extra % 2 == 0 {
                v.push(run(variant)?);
                g.push(run(&generic)?);
            } else {
                g.push(run(&generic)?);
                v.push(run(variant)?);
            }
        }
        // The fastest run of each: noise on a shared machine (another
        // process, an interrupt) only ever adds time, so the minimum is the
        // estimate of what the code costs that noise moves least.
        let fastest = |x: &[u64]| x.iter().copied().min().unwrap_or(0);
        let runs = g.len() as u32;
        let timed = Timed::judge(fastest(&g), fastest(&v), runs, guard.margin);
        self.emit(req, || EventKind::Timed {
            key: variant.key.0.clone(),
            profile: variant.plan.profile.clone(),
            timed,
        });
        Some(timed)
    }
}

impl Engine {
    /// A miss of a Plan with an `autotune` step: every candidate it makes
    /// ([`Plan::tuning`]) is built, verified and timed against generic on
    /// this input, and the fastest verified one is cached under the Plan's
    /// own key, its label in [`Variant::tuned`], so later hits skip tuning.
    /// None verified: the entry is cached as rejected (the chain goes on).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn tune(
        &self,
        req: &Ctx,
        kernel: &Kernel,
        input: &Input,
        vector: &CharacteristicVector,
        decided: &Decided,
        cand: &Cand,
        candidates: Vec<(Plan, String)>,
        t: &mut Timings,
    ) -> Result<Arc<Variant>, Unbuilt> {
        let guard = cand.profile.guard;
        let mut tries: Tries = Vec::new();
        let mut best: Option<(Variant, Timed, String)> = None;
        let mut rejected: Option<Variant> = None;
        // The first candidate is the Plan as written: what it costs is the
        // miss's own. What the others cost is what tuning adds, counted in
        // `tune` alone (each is settled when the next starts, or after).
        let mut extra: Option<(Instant, Timings)> = None;
        let settle = |extra: &mut Option<(Instant, Timings)>, t: &mut Timings| {
            if let Some((at, before)) = extra.take() {
                *t = Timings {
                    tune: before.tune + micros(at),
                    ..before
                };
            }
        };
        for (i, (plan, label)) in candidates.into_iter().enumerate() {
            settle(&mut extra, t);
            if i > 0 {
                extra = Some((Instant::now(), *t));
            }
            let key = self.key_of(kernel, &plan);
            let mut v = match self.build(
                req,
                &decided.store,
                kernel,
                &plan,
                &key,
                Verification::Verified,
            ) {
                Ok(v) => v,
                Err(e) => {
                    tries.push((label, format!("not built: {e}")));
                    continue;
                }
            };
            t.transform += v.transform_micros;
            t.codegen += v.codegen_micros;
            let at = Instant::now();
            let checked = self.verify(req, kernel, input, vector, decided, &v);
            t.verify += micros(at);
            let (verification, transient, pair) =
                checked.map_err(|e| Unbuilt::Failed(e.to_string()))?;
            if transient {
                tries.push((label, "no verdict (the sandbox failed a run)".to_owned()));
                continue;
            }
            if let Verification::Rejected(why) = &verification {
                tries.push((label, format!("rejected: {why}")));
                v.verification = verification;
                rejected.get_or_insert(v);
                continue;
            }
            let at = Instant::now();
            let timed =
                self.time_against_generic(req, kernel, input, vector, decided, &v, &guard, pair);
            t.timing += micros(at);
            let Some(timed) = timed else {
                tries.push((label, "no verdict (the sandbox failed a run)".to_owned()));
                continue;
            };
            tries.push((label.clone(), timed.to_string()));
            if best
                .as_ref()
                .is_none_or(|(_, b, _)| timed.variant_ns < b.variant_ns)
            {
                best = Some((v, timed, label));
            }
        }
        settle(&mut extra, t);
        let chosen = best.as_ref().map(|(_, _, l)| l.clone());
        let kept = best.as_ref().map(|(_, t, _)| *t);
        self.emit(req, || EventKind::Tuned {
            key: cand.key.0.clone(),
            profile: cand.plan.profile.clone(),
            tries: tries.clone(),
            chosen: chosen.clone(),
            timed: kept,
        });
        let mut v = match (best, rejected) {
            (Some((mut v, timed, label)), _) => {
                if guard.enabled && timed.slower {
                    self.count(|s| s.slower += 1);
                }
                v.verification = Verification::Verified;
                v.timed = guard.enabled.then_some(timed);
                v.tuned = Some(label);
                v
            }
            (None, Some(mut v)) => {
                v.verification = Verification::Rejected(format!(
                    "no autotune candidate verified ({} tried)",
                    tries.len()
                ));
                v
            }
            (None, None) => {
                let reason = format!(
                    "no autotune candidate could be built or run: {}",
                    tries
                        .iter()
                        .map(|(l, v)| format!("{l}: {v}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
                return Err(Unbuilt::Failed(reason));
            }
        };
        // The Plan's own key and Plan (with its autotune step), so lookups
        // of this Plan find it; the code is the candidate's.
        v.key = cand.key.clone();
        v.plan = cand.plan.clone();
        let (v, notices) = self.cache().put(v);
        self.notices(req, notices);
        Ok(v)
    }
}

/// The features `profile` reads that this vector only sampled, as
/// `arg.feature`: a Plan that changes results must not rest on them.
pub(super) fn sampled_reads(profile: &Profile, vector: &CharacteristicVector) -> Vec<String> {
    let reads = profile.expression_reads();
    vector
        .args
        .iter()
        .flat_map(|a| {
            a.features
                .iter()
                .filter(|(f, _, exact)| !exact && (reads.everything || reads.features.contains(f)))
                .map(move |(f, _, _)| format!("{}.{f}", a.name))
        })
        .collect()
}
