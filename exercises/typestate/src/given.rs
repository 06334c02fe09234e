//! Given: the states, the task, and a parent that forks. The reference
//! solution uses this same file; the lab is in `lib.rs`.

/// The task may run, and waits for a CPU.
#[derive(Debug)]
pub struct Runnable;
/// The task is on a CPU.
#[derive(Debug)]
pub struct Running;
/// The task waits for an event, off the run queue.
#[derive(Debug)]
pub struct Sleeping;
/// The task has exited; its exit code waits for the parent.
#[derive(Debug)]
pub struct Zombie {
    pub(crate) code: i32,
}

/// A task whose state `S` is part of its type: `Task<Running>` and
/// `Task<Zombie>` are different types, so each state can have its own
/// methods. Moving between states consumes the old value.
#[derive(Debug)]
#[must_use = "a task dropped here can never be scheduled or reaped again"]
pub struct Task<S> {
    pub(crate) pid: u32,
    pub(crate) ppid: u32,
    pub(crate) state: S,
}

impl<S> Task<S> {
    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn ppid(&self) -> u32 {
        self.ppid
    }

    /// The same task in another state. Only this crate can call it: that
    /// is what keeps the transitions in the hands of `lib.rs`.
    pub(crate) fn into_state<T>(self, state: T) -> Task<T> {
        Task { pid: self.pid, ppid: self.ppid, state }
    }
}

/// What `wait` hands back: who exited, with which code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus {
    pub pid: u32,
    pub code: i32,
}

/// A process that forks children and reaps them.
#[derive(Debug)]
pub struct Parent {
    pub(crate) pid: u32,
    next_pid: u32,
}

impl Parent {
    pub fn new(pid: u32) -> Parent {
        Parent { pid, next_pid: pid + 1 }
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// A new child. Like the kernel's copy_process, it starts runnable.
    pub fn fork(&mut self) -> Task<Runnable> {
        let pid = self.next_pid;
        self.next_pid += 1;
        Task { pid, ppid: self.pid, state: Runnable }
    }
}
