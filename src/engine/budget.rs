//! The key budget: the guard against key explosion. A bound value that
//! changes on almost every request (a size never seen twice) builds one
//! variant per request and thrashes every tier. Per kernel, profile and
//! bound dimension ([`Plan::bound_values`]), the budget counts the distinct
//! values seen in a sliding window; past the limit (default 8, PyTorch's
//! recompile limit) it stops binding that dimension and the request is
//! served the less specialized Plan ([`Plan::generalized`]). Once the
//! dimension settles (at most half the limit of distinct values in a
//! window) it is bound again.
//!
//! Memory is bounded: a family keeps at most `limit + 1` values per
//! dimension, and at most [`FAMILIES`] families are remembered.

use crate::profile::Plan;
use lru::LruCache;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The budget's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyBudgetConfig {
    /// Distinct values of one dimension in `window` past which it is no
    /// longer bound (0: no guard).
    pub limit: usize,
    pub window: Duration,
}

impl Default for KeyBudgetConfig {
    fn default() -> Self {
        KeyBudgetConfig {
            limit: 8,
            window: Duration::from_secs(600),
        }
    }
}

/// (kernel, profile) families remembered at most.
const FAMILIES: usize = 4096;

/// One dimension's recent distinct values, oldest first.
#[derive(Default)]
struct Dimension {
    recent: VecDeque<(String, Instant)>,
    unbound: bool,
}

#[derive(Default)]
struct Family {
    dims: HashMap<String, Dimension>,
}

/// What the budget decided for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generalize {
    /// The dimensions not bound for this request.
    pub dims: BTreeSet<String>,
    /// Those that crossed the limit with this request (said once).
    pub tripped: Vec<String>,
    /// Those bound again with this request (said once).
    pub rebound: Vec<String>,
}

pub struct KeyBudget {
    config: KeyBudgetConfig,
    families: Mutex<LruCache<u64, Family>>,
}

fn family_id(kernel: &str, profile: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    kernel.hash(&mut h);
    profile.hash(&mut h);
    h.finish()
}

impl KeyBudget {
    pub fn new(config: KeyBudgetConfig) -> KeyBudget {
        KeyBudget {
            config,
            families: Mutex::new(LruCache::new(
                NonZeroUsize::new(FAMILIES).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    pub fn config(&self) -> KeyBudgetConfig {
        self.config
    }

    /// Counts this request's bound values; `None` when the Plan is served
    /// as it is (the common case: nothing unbound, nothing changed).
    pub fn observe(&self, kernel: &str, plan: &Plan, now: Instant) -> Option<Generalize> {
        if self.config.limit == 0 {
            return None;
        }
        let values = plan.bound_values();
        if values.is_empty() {
            return None;
        }
        let mut families = self.families.lock().unwrap_or_else(|e| e.into_inner());
        let family = families.get_or_insert_mut(family_id(kernel, &plan.profile), Family::default);
        let mut out = Generalize {
            dims: BTreeSet::new(),
            tripped: Vec::new(),
            rebound: Vec::new(),
        };
        for (dim, value) in values {
            let d = family.dims.entry(dim.clone()).or_default();
            while d
                .recent
                .front()
                .is_some_and(|(_, at)| now.duration_since(*at) > self.config.window)
            {
                d.recent.pop_front();
            }
            if let Some(i) = d.recent.iter().position(|(v, _)| *v == value) {
                d.recent.remove(i);
            }
            d.recent.push_back((value, now));
            // Only the count matters past the limit: keep it bounded.
            while d.recent.len() > self.config.limit + 1 {
                d.recent.pop_front();
            }
            let distinct = d.recent.len();
            if !d.unbound && distinct > self.config.limit {
                d.unbound = true;
                out.tripped.push(dim.clone());
            } else if d.unbound && distinct <= self.config.limit / 2 {
                d.unbound = false;
                out.rebound.push(dim.clone());
            }
            if d.unbound {
                out.dims.insert(dim);
            }
        }
        (!out.dims.is_empty() || !out.rebound.is_empty()).then_some(out)
    }

    /// Dimensions unbound now, across families.
    pub fn unbound(&self) -> usize {
        let families = self.families.lock().unwrap_or_else(|e| e.into_inner());
        families
            .iter()
            .map(|(_, f)| f.dims.values().filter(|d| d.unbound).count())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Scalar;
    use crate::profile::{Binding, PlannedStep, Step};

    fn plan_binding(n: i64) -> Plan {
        Plan {
            profile: "small-shapes".into(),
            profile_version: "v".into(),
            steps: vec![PlannedStep {
                node: "bind".into(),
                step: Step::Specialize {
                    bind: vec![
                        Binding {
                            arg: "n".into(),
                            index: 1,
                            value: Scalar::I64(n),
                        },
                        Binding {
                            arg: "mode".into(),
                            index: 2,
                            value: Scalar::I64(1),
                        },
                    ],
                },
            }],
            skipped: Vec::new(),
            finish: "default<O3>".into(),
            tolerance: Default::default(),
        }
    }

    #[test]
    fn a_size_that_never_repeats_is_unbound_past_the_limit_and_bound_again_once_it_settles() {
        let budget = KeyBudget::new(KeyBudgetConfig {
            limit: 4,
            window: Duration::from_secs(60),
        });
        let t0 = Instant::now();
        for n in 0..4 {
            assert_eq!(budget.observe("k", &plan_binding(n), t0), None);
        }
        // Repeats do not count.
        assert_eq!(budget.observe("k", &plan_binding(0), t0), None);
        let g = budget.observe("k", &plan_binding(4), t0).expect("tripped");
        assert_eq!(g.tripped, vec!["bind n".to_owned()]);
        assert_eq!(g.dims.iter().collect::<Vec<_>>(), vec!["bind n"]);
        // Another kernel has its own budget.
        assert_eq!(budget.observe("other", &plan_binding(5), t0), None);

        let generalized = plan_binding(5).generalized(&g.dims);
        let Step::Specialize { bind } = &generalized.steps[0].step else {
            panic!("the step stays for `mode`");
        };
        assert_eq!(bind.len(), 1);
        assert_eq!(bind[0].arg, "mode", "`mode` never changed and stays bound");
        assert!(generalized
            .skipped
            .iter()
            .any(|s| s.reason.contains("n left dynamic")));
        assert_ne!(generalized.fingerprint(), plan_binding(5).fingerprint());
        assert_eq!(
            generalized.fingerprint(),
            plan_binding(6).generalized(&g.dims).fingerprint(),
            "every size now shares one key"
        );
        assert_eq!(budget.unbound(), 1);

        // A window later, one size only: bound again.
        let later = t0 + Duration::from_secs(61);
        let g = budget
            .observe("k", &plan_binding(7), later)
            .expect("rebound");
        assert_eq!(g.rebound, vec!["bind n".to_owned()]);
        assert!(g.dims.is_empty());
        assert_eq!(budget.observe("k", &plan_binding(7), later), None);
    }

    #[test]
    fn dereferenceable_sizes_round_down_to_a_power_of_two() {
        use crate::profile::params::ArgBytes;
        let plan = Plan {
            steps: vec![PlannedStep {
                node: "layout".into(),
                step: Step::Layout {
                    align: 64,
                    noalias: true,
                    dereferenceable: vec![ArgBytes {
                        arg: 0,
                        bytes: 8000,
                    }],
                    prefetch: 0,
                    strides: Vec::new(),
                },
            }],
            ..plan_binding(1)
        };
        let dims: BTreeSet<String> = ["bytes of arg 0".to_owned()].into();
        let g = plan.generalized(&dims);
        let Step::Layout {
            dereferenceable, ..
        } = &g.steps[0].step
        else {
            panic!("layout stays");
        };
        assert_eq!(dereferenceable[0].bytes, 4096);
    }
}
