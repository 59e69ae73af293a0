//! Planning: a profile's DAG and one vector become a [`Plan`], the nodes that
//! run in order with every parameter resolved. Pure: same profile, vector and
//! kernel, same Plan.

use super::expr::{KernelInfo, Scope};
use super::model::{Profile, Tolerance};
use super::params::{resolve, Step};
use crate::analyze::CharacteristicVector;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedStep {
    pub node: String,
    #[serde(flatten)]
    pub step: Step,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedNode {
    pub node: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub profile: String,
    pub profile_version: String,
    /// The nodes that run, in order.
    pub steps: Vec<PlannedStep>,
    /// The nodes that do not, and why.
    pub skipped: Vec<SkippedNode>,
    /// The pipeline run after the steps (`none` for nothing).
    pub finish: String,
    pub tolerance: Tolerance,
}

/// The most combinations of an `autotune` step's sets [`Plan::tuning`]
/// looks at.
pub const TUNING_COMBINATIONS: usize = 256;

/// A profile matched but cannot be planned for this input (a binding names
/// an argument the kernel lacks, a parameter expression fails...).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanError {
    pub profile: String,
    pub node: String,
    pub problem: String,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "profile `{}`, node `{}`: {}",
            self.profile, self.node, self.problem
        )
    }
}

impl std::error::Error for PlanError {}

impl Plan {
    /// Whether a step may change results beyond what the generic build
    /// computes (reassociation of floating-point operations): such a Plan
    /// must rest on exact features only (DESIGN §5).
    pub fn changes_results(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.step, super::params::Step::Vectorize { reassoc: true, .. }))
    }

    /// The values this Plan takes from its input that a later input may
    /// not share, by dimension: each specialize binding (`bind n`) and
    /// each dereferenceable size (`bytes of arg 0`). A dimension whose
    /// value changes on almost every request makes a key per request
    /// (the engine's key budget watches these).
    pub fn bound_values(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for s in &self.steps {
            match &s.step {
                Step::Specialize { bind } => {
                    for b in bind {
                        out.push((format!("bind {}", b.arg), b.value.to_string()));
                    }
                }
                Step::Layout {
                    dereferenceable, ..
                } => {
                    for d in dereferenceable {
                        out.push((format!("bytes of arg {}", d.arg), d.bytes.to_string()));
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// This Plan with the dimensions `dims` (named as [`Plan::bound_values`]
    /// names them) no longer bound to one input: a binding is dropped (the
    /// parameter stays dynamic) and a dereferenceable size is rounded down
    /// to a power of two (still true of every input at least that large).
    /// A specialize step left with no binding is dropped, and the change is
    /// said among the skipped nodes.
    pub fn generalized(&self, dims: &std::collections::BTreeSet<String>) -> Plan {
        let mut plan = self.clone();
        let mut said = Vec::new();
        plan.steps.retain_mut(|s| match &mut s.step {
            Step::Specialize { bind } => {
                bind.retain(|b| {
                    let dim = format!("bind {}", b.arg);
                    let keep = !dims.contains(&dim);
                    if !keep {
                        said.push((s.node.clone(), format!("{} left dynamic", b.arg)));
                    }
                    keep
                });
                !bind.is_empty()
            }
            Step::Layout {
                dereferenceable, ..
            } => {
                for d in dereferenceable.iter_mut() {
                    if dims.contains(&format!("bytes of arg {}", d.arg)) && d.bytes > 0 {
                        let bucket = 1u64 << (63 - d.bytes.leading_zeros());
                        if bucket != d.bytes {
                            said.push((
                                s.node.clone(),
                                format!("bytes of arg {} rounded to {bucket}", d.arg),
                            ));
                        }
                        d.bytes = bucket;
                    }
                }
                true
            }
            _ => true,
        });
        for (node, what) in said {
            plan.skipped.push(SkippedNode {
                node,
                reason: format!("{what}: too many distinct values (key budget)"),
            });
        }
        plan
    }

    /// This Plan with every vectorize step's reassociation off (its width
    /// and interleave kept), said among the skipped nodes; `None` when no
    /// step reassociates. The first fallback of a Plan whose variant was
    /// rejected or slower: reassociation is what most often makes a
    /// variant differ (masked gathers, a reordered sum past tolerance).
    pub fn without_reassoc(&self) -> Option<Plan> {
        if !self.changes_results() {
            return None;
        }
        let mut plan = self.clone();
        for s in &mut plan.steps {
            if let Step::Vectorize { reassoc, .. } = &mut s.step {
                if *reassoc {
                    *reassoc = false;
                    plan.skipped.push(SkippedNode {
                        node: s.node.clone(),
                        reason: "reassoc off (fallback)".to_owned(),
                    });
                }
            }
        }
        Some(plan)
    }

    /// The candidate Plans of this Plan's `autotune` step, each with a
    /// label, the baseline first (every toggled node on, every set's first
    /// value), at most the step's `max`, duplicates (a toggled node that
    /// did not run, a value the step already had) dropped. `None` without
    /// an `autotune` step. Each candidate is this Plan minus the step with
    /// the choices applied: a toggled node off removes its step, `unroll`
    /// sets every partial unroll's count, `width` and `interleave` every
    /// vectorize step's, `finish` the finishing pipeline. None of these
    /// changes what the code computes beyond what the Plan already allows
    /// (reassociation is never a candidate), so the winner is right for
    /// every input the Plan itself is.
    pub fn tuning(&self) -> Option<Vec<(Plan, String)>> {
        let at = self
            .steps
            .iter()
            .position(|s| matches!(s.step, Step::Autotune { .. }))?;
        let Step::Autotune {
            toggle,
            unroll,
            width,
            interleave,
            finish,
            defer,
            max,
        } = self.steps[at].step.clone()
        else {
            return None;
        };
        let mut base = self.clone();
        base.steps.remove(at);
        // Each dimension: its choices, as (label, edit).
        type Edit = Box<dyn Fn(&mut Plan)>;
        let mut dims: Vec<Vec<(String, Edit)>> = Vec::new();
        for node in toggle {
            let n = node.clone();
            dims.push(vec![
                (String::new(), Box::new(|_: &mut Plan| {})),
                (
                    format!("{node} off"),
                    Box::new(move |p: &mut Plan| {
                        p.steps.retain(|s| s.node != n);
                        p.skipped.push(SkippedNode {
                            node: n.clone(),
                            reason: "off (autotune)".to_owned(),
                        });
                    }),
                ),
            ]);
        }
        let set = |name: &'static str, values: Vec<u32>, f: fn(&mut Step, u32)| {
            values
                .into_iter()
                .map(move |v| {
                    let edit: Edit = Box::new(move |p: &mut Plan| {
                        for s in &mut p.steps {
                            f(&mut s.step, v);
                        }
                    });
                    (format!("{name} {v}"), edit)
                })
                .collect::<Vec<_>>()
        };
        if !unroll.is_empty() {
            dims.push(set("unroll", unroll, |s, v| {
                if let Step::Unroll { count, full: false } = s {
                    *count = v;
                }
            }));
        }
        if !width.is_empty() {
            dims.push(set("width", width, |s, v| {
                if let Step::Vectorize { width, .. } = s {
                    *width = v;
                }
            }));
        }
        if !interleave.is_empty() {
            dims.push(set("interleave", interleave, |s, v| {
                if let Step::Vectorize { interleave, .. } = s {
                    *interleave = v;
                }
            }));
        }
        if defer {
            dims.push(vec![
                (String::new(), Box::new(|_: &mut Plan| {})),
                (
                    "deferred".to_owned(),
                    Box::new(|p: &mut Plan| {
                        for s in &mut p.steps {
                            if let Step::Vectorize { defer, .. } = &mut s.step {
                                *defer = true;
                            }
                        }
                    }),
                ),
            ]);
        }
        if !finish.is_empty() {
            dims.push(
                finish
                    .into_iter()
                    .map(|f| {
                        let label = format!("finish {f}");
                        let edit: Edit = Box::new(move |p: &mut Plan| p.finish = f.clone());
                        (label, edit)
                    })
                    .collect(),
            );
        }
        // The product, in order, the first choice of every set first. At
        // most TUNING_COMBINATIONS are looked at: sets of 8 toggles and
        // four lists of 8 make a million, nearly all duplicates when the
        // toggled nodes did not run, and each costs a Plan and its
        // fingerprint on the request's path.
        let total: usize = dims
            .iter()
            .map(Vec::len)
            .product::<usize>()
            .min(TUNING_COMBINATIONS);
        let mut out: Vec<(Plan, String)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for mut i in 0..total {
            if out.len() >= max.max(1) as usize {
                break;
            }
            let mut plan = base.clone();
            let mut labels = Vec::new();
            for d in &dims {
                let (label, edit) = &d[i % d.len()];
                i /= d.len();
                edit(&mut plan);
                if !label.is_empty() {
                    labels.push(label.clone());
                }
            }
            if seen.insert(plan.fingerprint()) {
                let label = if labels.is_empty() {
                    "as planned".to_owned()
                } else {
                    labels.join(", ")
                };
                out.push((plan, label));
            }
        }
        Some(out)
    }

    /// Everything that determines the pipeline's output, as canonical JSON:
    /// the profile version (its tolerance decides verification), the steps
    /// that run with their parameters, and the finishing pipeline. Skipped
    /// nodes change nothing and are left out.
    pub fn fingerprint(&self) -> String {
        #[derive(Serialize)]
        struct Key<'a> {
            profile: &'a str,
            version: &'a str,
            steps: &'a [PlannedStep],
            finish: &'a str,
            tolerance: &'a Tolerance,
        }
        serde_json::to_string(&Key {
            profile: &self.profile,
            version: &self.profile_version,
            steps: &self.steps,
            finish: &self.finish,
            tolerance: &self.tolerance,
        })
        .unwrap_or_default()
    }
}

/// Runs the DAG's execution rule (DESIGN §3): in order, a node runs when its
/// `when` holds and it is a root or at least one predecessor ran.
pub fn plan(
    profile: &Profile,
    vector: &CharacteristicVector,
    kernel: &KernelInfo,
) -> Result<Plan, PlanError> {
    plan_in(profile, vector, &Scope::new(vector, kernel))
}

/// [`plan`] in a scope already built for `vector` (selection builds one).
pub fn plan_in(
    profile: &Profile,
    vector: &CharacteristicVector,
    scope: &Scope,
) -> Result<Plan, PlanError> {
    let mut ran = vec![false; profile.nodes.len()];
    let mut steps = Vec::new();
    let mut skipped = Vec::new();
    for &i in &profile.dag.order {
        let node = &profile.nodes[i];
        let preds = profile.dag.preds(i);
        if !preds.is_empty() && !preds.iter().any(|&p| ran[p]) {
            let names: Vec<&str> = preds
                .iter()
                .map(|&p| profile.nodes[p].name.as_str())
                .collect();
            skipped.push(SkippedNode {
                node: node.name.clone(),
                reason: format!("no predecessor ran ({})", names.join(", ")),
            });
            continue;
        }
        if let Some(when) = &node.when {
            match when.eval_bool(scope) {
                Ok(true) => {}
                Ok(false) => {
                    skipped.push(SkippedNode {
                        node: node.name.clone(),
                        reason: format!("when `{when}` is false"),
                    });
                    continue;
                }
                Err(e) => {
                    skipped.push(SkippedNode {
                        node: node.name.clone(),
                        reason: format!("when cannot be evaluated: {e}"),
                    });
                    continue;
                }
            }
        }
        let step =
            resolve(node.transform, &node.params, vector, scope).map_err(|problem| PlanError {
                profile: profile.name.clone(),
                node: node.name.clone(),
                problem,
            })?;
        ran[i] = true;
        steps.push(PlannedStep {
            node: node.name.clone(),
            step,
        });
    }
    Ok(Plan {
        profile: profile.name.clone(),
        profile_version: profile.version.clone(),
        steps,
        skipped,
        finish: profile.finish.clone(),
        tolerance: profile.tolerance,
    })
}
