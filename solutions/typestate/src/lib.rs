//! A task's life cycle as a typestate: each legal transition is a method
//! on the one state it leaves, and takes the task by value.
//!
//! ```text
//!            schedule            exit(code)            Parent::wait
//! Runnable ----------> Running ------------> Zombie ---------------> ExitStatus
//!     ^  <-- preempt --   |
//!     |                   | sleep
//!     +---- wake ---- Sleeping
//! ```
//!
//! The crate is `no_std`: a typestate needs nothing but the compiler, and
//! the grader relies on it (safe `no_std` code cannot print or exit).
#![no_std]

mod given;
pub use given::{ExitStatus, Parent, Runnable, Running, Sleeping, Task, Zombie};

// ANCHOR: transitions
impl Task<Runnable> {
    /// The scheduler picks this task.
    pub fn schedule(self) -> Task<Running> {
        self.into_state(Running)
    }
}

impl Task<Running> {
    /// The scheduler takes the CPU back; the task stays runnable.
    pub fn preempt(self) -> Task<Runnable> {
        self.into_state(Runnable)
    }

    /// The task blocks until something wakes it.
    pub fn sleep(self) -> Task<Sleeping> {
        self.into_state(Sleeping)
    }

    /// The task ends. Only a running task can: exit is something a task
    /// does, on a CPU, not something done to it.
    pub fn exit(self, code: i32) -> Task<Zombie> {
        self.into_state(Zombie { code })
    }
}

impl Task<Sleeping> {
    /// The event came: back on the run queue, not straight onto a CPU.
    pub fn wake(self) -> Task<Runnable> {
        self.into_state(Runnable)
    }
}

impl Task<Zombie> {
    pub fn exit_code(&self) -> i32 {
        self.state.code
    }
}
// ANCHOR_END: transitions

// ANCHOR: wait
impl Parent {
    /// Reaps a zombie child: takes it by value, so it is gone afterwards.
    ///
    /// Which parent owns which child is not in the types, so that one is a
    /// run-time check: it panics if `zombie` is not this parent's child.
    pub fn wait(&mut self, zombie: Task<Zombie>) -> ExitStatus {
        assert_eq!(zombie.ppid, self.pid, "task {} is not a child of {}", zombie.pid, self.pid);
        ExitStatus { pid: zombie.pid, code: zombie.state.code }
    }
}
// ANCHOR_END: wait
