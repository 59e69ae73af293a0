//! One pool mechanism for both kinds of sandbox process (build workers and
//! executors): a fixed number of slots, each holding one process, handed
//! out by checkout. A [`Slot`] is used by one request at a time and goes
//! back to the pool when dropped, so no lock is held across a round trip to
//! the process; a request waits only when every slot is out.
//!
//! A slot may carry *tags* (the variant keys an executor has loaded): a
//! checkout asking for a tag takes an idle slot that has it, else any idle
//! slot, so a hot key spreads over several executors instead of queueing
//! for one. Starting, replacing and healing processes is the pool's too:
//! a process found dead when checked out is replaced before it is used (its
//! death is no request's doing), and [`ProcPool::heal`] replaces idle dead
//! ones.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// What a pool needs of its processes.
pub trait Member: Send {
    /// Whether it is still running (reaping it if not).
    fn alive(&mut self) -> bool;
    fn pid(&self) -> u32;
    /// Whether it is done tidying up after its last job, asked without
    /// waiting (an executor reaps the child that ran and forks the next
    /// one after it answers).
    fn ready(&mut self) -> bool {
        true
    }
}

type Spawn<T> = Box<dyn Fn(u64) -> Result<T, String> + Send + Sync>;

pub struct ProcPool<T> {
    cells: Vec<Mutex<Option<T>>>,
    state: Mutex<State>,
    freed: Condvar,
    spawn: Spawn<T>,
    spawned: AtomicU64,
    respawns: AtomicU64,
}

struct State {
    busy: Vec<bool>,
    tags: Vec<HashSet<String>>,
    pids: Vec<Option<u32>>,
    /// When each slot last came back.
    released: Vec<Instant>,
    next: usize,
}

fn relock<G>(r: Result<G, std::sync::PoisonError<G>>) -> G {
    // Every critical section here is a few field updates: a panic inside
    // one cannot leave the state half-changed in a way that matters.
    r.unwrap_or_else(|e| e.into_inner())
}

impl<T: Member> ProcPool<T> {
    /// `n` slots (at least one), each started now with `spawn(id)`.
    pub fn new(
        n: usize,
        spawn: impl Fn(u64) -> Result<T, String> + Send + Sync + 'static,
    ) -> Result<ProcPool<T>, String> {
        let n = n.max(1);
        let pool = ProcPool {
            cells: (0..n).map(|_| Mutex::new(None)).collect(),
            state: Mutex::new(State {
                busy: vec![false; n],
                tags: vec![HashSet::new(); n],
                pids: vec![None; n],
                released: vec![Instant::now(); n],
                next: 0,
            }),
            freed: Condvar::new(),
            spawn: Box::new(spawn),
            spawned: AtomicU64::new(0),
            respawns: AtomicU64::new(0),
        };
        for i in 0..n {
            let mut slot = pool.checkout_at(i);
            slot.start()?;
        }
        Ok(pool)
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Processes replaced after dying (or being killed) since the start.
    pub fn respawns(&self) -> u64 {
        self.respawns.load(Ordering::Relaxed)
    }

    /// An idle slot: one tagged `affinity` if any is idle (the one back the
    /// longest), else the next idle one in turn, never `avoid` unless it is
    /// the only slot. A tagged slot that is still settling gives way to an
    /// idle one that is not, so a hot key served back to back spreads over
    /// processes instead of waiting for one to tidy up. Waits while every
    /// eligible slot is out.
    pub fn checkout(&self, affinity: Option<&str>, avoid: Option<usize>) -> Slot<'_, T> {
        let n = self.cells.len();
        let mut st = relock(self.state.lock());
        loop {
            let eligible = |i: usize, st: &State| !st.busy[i] && (Some(i) != avoid || n == 1);
            // Idle slots are ours to look at: their cells are not held.
            let ready = |i: usize| {
                self.cells[i]
                    .try_lock()
                    .ok()
                    .is_some_and(|mut c| c.as_mut().is_none_or(|p| p.ready()))
            };
            let oldest = |it: &mut dyn Iterator<Item = usize>, st: &State| {
                it.min_by_key(|&i| st.released[i])
            };
            let tagged = affinity.and_then(|key| {
                oldest(
                    &mut (0..n).filter(|&i| eligible(i, &st) && st.tags[i].contains(key)),
                    &st,
                )
            });
            let pick = match tagged {
                Some(t) if !ready(t) => oldest(
                    &mut (0..n).filter(|&i| eligible(i, &st) && i != t && ready(i)),
                    &st,
                )
                .or(Some(t)),
                Some(t) => Some(t),
                None => (0..n)
                    .map(|k| (st.next + k) % n)
                    .find(|&i| eligible(i, &st)),
            };
            if let Some(i) = pick {
                st.busy[i] = true;
                st.next = i + 1;
                drop(st);
                return self.take(i);
            }
            st = relock(self.freed.wait(st));
        }
    }

    /// Slot `i`, waiting for it if it is out.
    pub fn checkout_at(&self, i: usize) -> Slot<'_, T> {
        let mut st = relock(self.state.lock());
        while st.busy[i] {
            st = relock(self.freed.wait(st));
        }
        st.busy[i] = true;
        drop(st);
        self.take(i)
    }

    fn take(&self, i: usize) -> Slot<'_, T> {
        Slot {
            pool: self,
            index: i,
            // Uncontended: the busy flag makes this slot ours alone.
            cell: relock(self.cells[i].lock()),
        }
    }

    /// The processes' ids (slots without a live process are left out).
    pub fn pids(&self) -> Vec<u32> {
        relock(self.state.lock())
            .pids
            .iter()
            .flatten()
            .copied()
            .collect()
    }

    /// Replaces every idle process that died (busy ones are their users'
    /// to notice).
    pub fn heal(&self) {
        for i in 0..self.cells.len() {
            let idle = {
                let mut st = relock(self.state.lock());
                let idle = !st.busy[i];
                if idle {
                    st.busy[i] = true;
                }
                idle
            };
            if idle {
                let mut slot = self.take(i);
                let _ = slot.process();
            }
        }
    }
}

/// One slot, checked out: the process is this request's until it is
/// dropped.
pub struct Slot<'a, T: Member> {
    pool: &'a ProcPool<T>,
    index: usize,
    cell: MutexGuard<'a, Option<T>>,
}

impl<T: Member> Slot<'_, T> {
    pub fn index(&self) -> usize {
        self.index
    }

    /// The process, started first if the slot has none and replaced first
    /// if it died while idle.
    pub fn process(&mut self) -> Result<&mut T, String> {
        if self.cell.as_mut().is_some_and(|p| !p.alive()) {
            self.replace_quietly();
        }
        if self.cell.is_none() {
            self.start()?;
        }
        self.cell.as_mut().ok_or_else(|| "no process".to_owned())
    }

    /// The process as it is, dead or alive (to read what it left behind
    /// after a reply, even if it died since).
    pub fn current(&mut self) -> Option<&mut T> {
        self.cell.as_mut()
    }

    /// Kills the process (it misbehaved or ran past a deadline) and starts
    /// another in its place.
    pub fn replace(&mut self) {
        self.replace_quietly();
        let _ = self.start();
    }

    fn replace_quietly(&mut self) {
        *self.cell = None;
        self.pool.respawns.fetch_add(1, Ordering::Relaxed);
        let mut st = relock(self.pool.state.lock());
        st.tags[self.index].clear();
        st.pids[self.index] = None;
    }

    fn start(&mut self) -> Result<(), String> {
        let id = self.pool.spawned.fetch_add(1, Ordering::Relaxed) + 1;
        let p = (self.pool.spawn)(id)?;
        relock(self.pool.state.lock()).pids[self.index] = Some(p.pid());
        *self.cell = Some(p);
        Ok(())
    }

    /// Marks the slot as holding `key` (an executor loaded a variant).
    pub fn tag(&self, key: &str) {
        let mut st = relock(self.pool.state.lock());
        if !st.tags[self.index].contains(key) {
            st.tags[self.index].insert(key.to_owned());
        }
    }

    pub fn has_tag(&self, key: &str) -> bool {
        relock(self.pool.state.lock()).tags[self.index].contains(key)
    }
}

impl<T: Member> Drop for Slot<'_, T> {
    fn drop(&mut self) {
        let mut st = relock(self.pool.state.lock());
        st.busy[self.index] = false;
        st.released[self.index] = Instant::now();
        drop(st);
        self.pool.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    struct Fake {
        id: u64,
        alive: bool,
        busy_after: bool,
    }

    impl Member for Fake {
        fn alive(&mut self) -> bool {
            self.alive
        }
        fn pid(&self) -> u32 {
            self.id as u32
        }
        fn ready(&mut self) -> bool {
            !self.busy_after
        }
    }

    fn pool(n: usize) -> ProcPool<Fake> {
        ProcPool::new(n, |id| {
            Ok(Fake {
                id,
                alive: true,
                busy_after: false,
            })
        })
        .expect("pool")
    }

    #[test]
    fn a_slot_is_used_by_one_checkout_at_a_time() {
        let p = pool(2);
        let a = p.checkout(None, None);
        let b = p.checkout(None, None);
        assert_ne!(a.index(), b.index());
        drop(a);
        let c = p.checkout(None, None);
        assert_ne!(c.index(), b.index());
    }

    #[test]
    fn affinity_prefers_the_tagged_idle_slot_and_spreads_when_it_is_out() {
        let p = pool(3);
        {
            let s = p.checkout_at(2);
            s.tag("k");
        }
        let first = p.checkout(Some("k"), None);
        assert_eq!(first.index(), 2);
        // The tagged slot is out: another one serves the hot key.
        let second = p.checkout(Some("k"), None);
        assert_ne!(second.index(), 2);
    }

    #[test]
    fn a_tagged_slot_still_tidying_up_gives_way_to_a_ready_one() {
        let p = pool(2);
        {
            let mut s = p.checkout_at(0);
            s.tag("k");
            s.process().expect("process").busy_after = true;
        }
        // Slot 0 has the key but is not ready: slot 1 serves.
        assert_eq!(p.checkout(Some("k"), None).index(), 1);
        p.checkout_at(0).process().expect("process").busy_after = false;
        assert_eq!(p.checkout(Some("k"), None).index(), 0);
    }

    #[test]
    fn avoid_is_honoured_unless_alone() {
        let p = pool(2);
        for _ in 0..4 {
            assert_eq!(p.checkout(None, Some(0)).index(), 1);
        }
        let single = pool(1);
        assert_eq!(single.checkout(None, Some(0)).index(), 0);
    }

    #[test]
    fn a_dead_process_is_replaced_on_checkout_and_loses_its_tags() {
        let p = pool(1);
        {
            let mut s = p.checkout(None, None);
            s.tag("k");
            s.process().expect("process").alive = false;
        }
        let mut s = p.checkout(None, None);
        let id = s.process().expect("process").id;
        assert_eq!(id, 2);
        assert!(!s.has_tag("k"));
        assert_eq!(p.respawns(), 1);
    }

    #[test]
    fn waiting_checkouts_get_slots_as_they_come_back() {
        let p = Arc::new(pool(1));
        let held = p.checkout(None, None);
        let q = p.clone();
        let waiter = std::thread::spawn(move || q.checkout(None, None).index());
        std::thread::sleep(std::time::Duration::from_millis(20));
        drop(held);
        assert_eq!(waiter.join().expect("join"), 0);
    }
}
