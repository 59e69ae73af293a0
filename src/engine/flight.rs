//! Single flight: concurrent requests for one thing being built (a variant,
//! a generic build, a kernel load) wait for the one request building it
//! instead of building it again (Go's `singleflight`, Bazel's merging of
//! identical in-flight actions). The wait is bounded; a leader that panics
//! or gives up wakes its followers with nothing.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

struct Flight<V> {
    /// `None` while running; `Some(None)` when the leader left without a
    /// value.
    value: Mutex<Option<Option<V>>>,
    done: Condvar,
}

pub struct Flights<K, V> {
    running: Mutex<HashMap<K, Arc<Flight<V>>>>,
}

/// How a call ended for a follower that got no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waited {
    /// The leader was still at it when the wait ran out.
    TimedOut(Duration),
    /// The leader left without a value (it panicked).
    Abandoned,
}

impl std::fmt::Display for Waited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Waited::TimedOut(d) => write!(
                f,
                "another request was still building it after {:.1} s",
                d.as_secs_f64()
            ),
            Waited::Abandoned => f.write_str("the request building it gave up"),
        }
    }
}

/// What the call did: led (ran `work` itself) or followed another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Led,
    Followed,
}

fn relock<G>(r: Result<G, std::sync::PoisonError<G>>) -> G {
    r.unwrap_or_else(|e| e.into_inner())
}

impl<K: Eq + Hash + Clone, V: Clone> Default for Flights<K, V> {
    fn default() -> Self {
        Flights {
            running: Mutex::new(HashMap::new()),
        }
    }
}

/// Removes the leader's flight and wakes the followers, with or without a
/// value (a panic unwinding through `work` gets here too).
struct Landing<'a, K: Eq + Hash, V> {
    flights: &'a Flights<K, V>,
    key: K,
    flight: Arc<Flight<V>>,
    value: Option<V>,
}

impl<K: Eq + Hash, V> Drop for Landing<'_, K, V> {
    fn drop(&mut self) {
        relock(self.flights.running.lock()).remove(&self.key);
        *relock(self.flight.value.lock()) = Some(self.value.take());
        self.flight.done.notify_all();
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Flights<K, V> {
    /// Runs `work` for `key` unless a call for `key` is running, in which
    /// case waits up to `wait` for its value.
    pub fn run(
        &self,
        key: &K,
        wait: Duration,
        work: impl FnOnce() -> V,
    ) -> Result<(V, Role), Waited> {
        let (flight, lead) = {
            let mut running = relock(self.running.lock());
            match running.get(key) {
                Some(f) => (f.clone(), false),
                None => {
                    let f = Arc::new(Flight {
                        value: Mutex::new(None),
                        done: Condvar::new(),
                    });
                    running.insert(key.clone(), f.clone());
                    (f, true)
                }
            }
        };
        if lead {
            let mut landing = Landing {
                flights: self,
                key: key.clone(),
                flight,
                value: None,
            };
            let v = work();
            landing.value = Some(v.clone());
            return Ok((v, Role::Led));
        }
        let until = Instant::now() + wait;
        let mut value = relock(flight.value.lock());
        loop {
            if let Some(v) = value.as_ref() {
                return match v {
                    Some(v) => Ok((v.clone(), Role::Followed)),
                    None => Err(Waited::Abandoned),
                };
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Waited::TimedOut(wait));
            }
            value = relock(flight.done.wait_timeout(value, left)).0;
        }
    }

    /// Calls running now.
    pub fn len(&self) -> usize {
        relock(self.running.lock()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Barrier;

    #[test]
    fn concurrent_calls_for_one_key_run_the_work_once() {
        let flights: Arc<Flights<u32, u64>> = Arc::new(Flights::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (f, r, b) = (flights.clone(), runs.clone(), barrier.clone());
                std::thread::spawn(move || {
                    b.wait();
                    f.run(&1, Duration::from_secs(10), || {
                        r.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(100));
                        42
                    })
                })
            })
            .collect();
        let results: Vec<_> = threads
            .into_iter()
            .map(|t| t.join().expect("join"))
            .collect();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(results
            .iter()
            .all(|r| r.as_ref().map(|(v, _)| *v) == Ok(42)));
        let led = results
            .iter()
            .filter(|r| matches!(r, Ok((_, Role::Led))))
            .count();
        assert_eq!(led, 1);
        assert!(flights.is_empty());
    }

    #[test]
    fn a_follower_waits_a_bounded_time() {
        let flights: Arc<Flights<u32, u64>> = Arc::new(Flights::default());
        let f = flights.clone();
        let leader = std::thread::spawn(move || {
            f.run(&1, Duration::from_secs(10), || {
                std::thread::sleep(Duration::from_millis(300));
                1
            })
        });
        while flights.is_empty() {
            std::thread::yield_now();
        }
        let r = flights.run(&1, Duration::from_millis(20), || 2);
        assert!(matches!(r, Err(Waited::TimedOut(_))), "{r:?}");
        assert_eq!(leader.join().expect("join").map(|(v, _)| v), Ok(1));
    }

    #[test]
    fn a_panicking_leader_wakes_its_followers() {
        let flights: Arc<Flights<u32, u64>> = Arc::new(Flights::default());
        let f = flights.clone();
        let leader = std::thread::spawn(move || {
            f.run(&1, Duration::from_secs(10), || {
                std::thread::sleep(Duration::from_millis(100));
                panic!("leader fails")
            })
        });
        while flights.is_empty() {
            std::thread::yield_now();
        }
        let r = flights.run(&1, Duration::from_secs(10), || 2);
        assert_eq!(r, Err(Waited::Abandoned));
        assert!(leader.join().is_err());
        // The key is free again.
        assert_eq!(
            flights.run(&1, Duration::from_secs(1), || 3),
            Ok((3, Role::Led))
        );
    }
}
