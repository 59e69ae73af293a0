//! Admission: at most `limit` requests run at once; beyond that each
//! tenant has a queue of its own, bounded (full: 429 with `Retry-After`),
//! and a freed slot goes to the tenants in turn (round robin), so one
//! tenant's flood waits behind itself and never in front of another
//! tenant's next request.
//!
//! A slot is a [`Permit`]; dropping it hands the slot straight to the next
//! waiter. A waiter that went away (its client disconnected) is skipped,
//! and a permit handed to one that is going away comes back through its
//! own drop, so no slot is ever lost.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;

pub struct Scheduler {
    limit: usize,
    queue: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    running: usize,
    waiting: HashMap<String, VecDeque<oneshot::Sender<Permit>>>,
    /// Tenants with waiters, in turn order.
    turns: VecDeque<String>,
    refused: u64,
}

/// A running request's slot.
pub struct Permit {
    scheduler: Option<Arc<Scheduler>>,
}

/// The tenant's queue is full.
#[derive(Debug, PartialEq, Eq)]
pub struct Full {
    pub tenant: String,
    pub queued: usize,
}

/// What the scheduler holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    pub running: usize,
    pub waiting: usize,
    pub refused: u64,
}

impl Scheduler {
    pub fn new(limit: usize, queue: usize) -> Arc<Scheduler> {
        Arc::new(Scheduler {
            limit: limit.max(1),
            queue: queue.max(1),
            state: Mutex::new(State::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot for `tenant`: at once when one is free and nobody waits,
    /// else in the tenant's queue, else [`Full`].
    pub async fn acquire(self: &Arc<Self>, tenant: &str) -> Result<Permit, Full> {
        let rx = {
            let mut s = self.lock();
            if s.running < self.limit && s.turns.is_empty() {
                s.running += 1;
                return Ok(Permit {
                    scheduler: Some(self.clone()),
                });
            }
            let queued = s.waiting.get(tenant).map_or(0, VecDeque::len);
            if queued >= self.queue {
                s.refused += 1;
                return Err(Full {
                    tenant: tenant.to_owned(),
                    queued,
                });
            }
            let (tx, rx) = oneshot::channel();
            s.waiting
                .entry(tenant.to_owned())
                .or_default()
                .push_back(tx);
            if queued == 0 {
                s.turns.push_back(tenant.to_owned());
            }
            rx
        };
        // The sender lives until a release hands it a permit; the
        // scheduler never drops a sender without sending.
        rx.await.map_err(|_| Full {
            tenant: tenant.to_owned(),
            queued: 0,
        })
    }

    pub fn load(&self) -> Load {
        let s = self.lock();
        Load {
            running: s.running,
            waiting: s.waiting.values().map(VecDeque::len).sum(),
            refused: s.refused,
        }
    }

    /// A slot came free: hand it to the next tenant's first live waiter,
    /// else count it free.
    fn release(self: &Arc<Self>) {
        let mut s = self.lock();
        while let Some(tenant) = s.turns.pop_front() {
            let Some(q) = s.waiting.get_mut(&tenant) else {
                continue;
            };
            let next = q.pop_front();
            if q.is_empty() {
                s.waiting.remove(&tenant);
            } else {
                s.turns.push_back(tenant);
            }
            let Some(tx) = next else { continue };
            let permit = Permit {
                scheduler: Some(self.clone()),
            };
            match tx.send(permit) {
                Ok(()) => return,
                // The waiter left: the slot is still ours to give. Disarm
                // the returned permit (its drop would re-enter this lock).
                Err(mut p) => p.scheduler = None,
            }
        }
        s.running -= 1;
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(s) = self.scheduler.take() {
            s.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    #[test]
    fn a_full_tenant_queue_refuses_while_another_tenant_still_queues() {
        rt().block_on(async {
            let s = Scheduler::new(1, 2);
            let running = s.acquire("flood").await.expect("free slot");
            let a = tokio::spawn({
                let s = s.clone();
                async move { s.acquire("flood").await.map(|_| ()) }
            });
            let b = tokio::spawn({
                let s = s.clone();
                async move { s.acquire("flood").await.map(|_| ()) }
            });
            tokio::task::yield_now().await;
            assert_eq!(
                s.acquire("flood").await.err(),
                Some(Full {
                    tenant: "flood".into(),
                    queued: 2
                })
            );
            let other = tokio::spawn({
                let s = s.clone();
                async move { s.acquire("quiet").await.map(|_| ()) }
            });
            tokio::task::yield_now().await;
            assert_eq!(s.load().waiting, 3);
            drop(running);
            for t in [a, b, other] {
                t.await.expect("joined").expect("served");
            }
            assert_eq!(
                s.load(),
                Load {
                    running: 0,
                    waiting: 0,
                    refused: 1
                }
            );
        });
    }

    #[test]
    fn freed_slots_go_to_tenants_in_turn() {
        rt().block_on(async {
            let s = Scheduler::new(1, 16);
            let first = s.acquire("flood").await.expect("free slot");
            let order = Arc::new(Mutex::new(Vec::new()));
            let mut tasks = Vec::new();
            for (i, tenant) in ["flood", "flood", "flood", "quiet"].iter().enumerate() {
                let (s, order) = (s.clone(), order.clone());
                tasks.push(tokio::spawn(async move {
                    let _p = s.acquire(tenant).await.expect("served");
                    order.lock().expect("lock").push(format!("{tenant}{i}"));
                    tokio::task::yield_now().await;
                }));
                tokio::task::yield_now().await;
            }
            drop(first);
            for t in tasks {
                t.await.expect("joined");
            }
            let order = order.lock().expect("lock").clone();
            // The quiet tenant's one request goes second, not after the flood.
            assert_eq!(order, ["flood0", "quiet3", "flood1", "flood2"]);
        });
    }

    #[test]
    fn a_waiter_that_leaves_loses_no_slot() {
        rt().block_on(async {
            let s = Scheduler::new(1, 4);
            let first = s.acquire("t").await.expect("free slot");
            let gone = tokio::spawn({
                let s = s.clone();
                async move { s.acquire("t").await.map(|_| ()) }
            });
            tokio::task::yield_now().await;
            gone.abort();
            let _ = gone.await;
            drop(first);
            assert_eq!(s.load().running, 0);
            let _again = s.acquire("t").await.expect("the slot came back");
            assert_eq!(s.load().running, 1);
        });
    }
}
