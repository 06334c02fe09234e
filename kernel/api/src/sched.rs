//! What the scheduler offers the rest of the kernel.

use crate::{Frame, Pid, Procs, State};
use alloc::collections::{BTreeMap, VecDeque};

// ANCHOR: run_queue
/// The run queue: the tasks that want the CPU. The `switch` piece implements it.
pub trait RunQueue {
    /// Marks `pid` runnable and queues it.
    fn make_runnable(&mut self, procs: &mut Procs, pid: Pid);
    /// Takes the next task to run, or `None` if only idle is left.
    fn pick_next(&mut self, procs: &mut Procs) -> Option<Pid>;
    /// Forgets `pid` (it is sleeping or exiting).
    fn remove(&mut self, pid: Pid);
    /// One timer tick went to the running task. True if its time slice is used up.
    fn tick(&mut self) -> bool;
}
// ANCHOR_END: run_queue

// ANCHOR: wait_queue
/// Tasks sleeping until one event happens (Linux: `wait_queue_head_t`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WaitQueue {
    sleepers: VecDeque<Pid>,
}

impl WaitQueue {
    pub const fn new() -> WaitQueue {
        WaitQueue { sleepers: VecDeque::new() }
    }

    pub fn push(&mut self, pid: Pid) {
        if !self.sleepers.contains(&pid) {
            self.sleepers.push_back(pid);
        }
    }

    /// Empties the queue, handing back who was waiting, oldest first.
    pub fn take_all(&mut self) -> VecDeque<Pid> {
        core::mem::take(&mut self.sleepers)
    }

    /// Takes the one that has waited longest.
    pub fn pop(&mut self) -> Option<Pid> {
        self.sleepers.pop_front()
    }

    /// Takes `pid` off the queue; false if it was not on it.
    pub fn remove(&mut self, pid: Pid) -> bool {
        let before = self.sleepers.len();
        self.sleepers.retain(|&p| p != pid);
        self.sleepers.len() != before
    }

    pub fn len(&self) -> usize {
        self.sleepers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sleepers.is_empty()
    }
}
// ANCHOR_END: wait_queue

// ANCHOR: futexes
/// The futex wait queues: one per user word that someone sleeps on, named by
/// the address space (its root frame) and the address. Linux hashes the same
/// pair, a private `futex_key`, into its `futex_queues`.
#[derive(Debug, Default)]
pub struct Futexes {
    queues: BTreeMap<(Frame, u64), WaitQueue>,
}

impl Futexes {
    /// The queue of the word at `uaddr` in the address space rooted at `root`.
    pub fn queue(&mut self, root: Frame, uaddr: u64) -> &mut WaitQueue {
        self.queues.entry((root, uaddr)).or_default()
    }

    /// Wakes up to `n` tasks sleeping on that word, those that waited longest
    /// first, and returns how many. A waiter that died meanwhile is dropped.
    pub fn wake(
        &mut self,
        procs: &mut Procs,
        rq: &mut dyn RunQueue,
        root: Frame,
        uaddr: u64,
        n: usize,
    ) -> usize {
        let Some(queue) = self.queues.get_mut(&(root, uaddr)) else { return 0 };
        let mut woken = 0;
        while woken < n
            && let Some(pid) = queue.pop()
        {
            if procs.get(pid).is_some_and(|p| p.state == State::Sleeping) {
                rq.make_runnable(procs, pid);
                woken += 1;
            }
        }
        if queue.is_empty() {
            self.queues.remove(&(root, uaddr));
        }
        woken
    }

    /// Takes `pid` off the queue it waits on, if any: it timed out, or is
    /// gone. Returns whether it was waiting.
    pub fn forget(&mut self, pid: Pid) -> bool {
        let mut found = false;
        self.queues.retain(|_, q| {
            found |= q.remove(pid);
            !q.is_empty()
        });
        found
    }
}
// ANCHOR_END: futexes
