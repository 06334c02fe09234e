//! What the scheduler offers the rest of the kernel.

use crate::{Pid, Procs};
use alloc::collections::VecDeque;

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

    pub fn len(&self) -> usize {
        self.sleepers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sleepers.is_empty()
    }
}
// ANCHOR_END: wait_queue
