//! Lab: a task's life cycle as a typestate.
//!
//! This stub compiles, but it allows everything: every transition is
//! defined for every state, so a zombie can be scheduled and a running task
//! reaped. Make the illegal transitions impossible to write.
//! `cargo test -p typestate` checks both what must compile and run, and
//! what must be refused by the compiler.
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

#[allow(dead_code)] // until your transitions call into_state
mod given;
pub use given::{ExitStatus, Parent, Runnable, Running, Sleeping, Task, Zombie};

// ANCHOR: transitions
/// Every transition, on every state `S`: too permissive.
///
/// Move each method into an `impl Task<State>` block for the one state it
/// leaves (see the diagram), keeping its name and signature, and give it a
/// body: `self.into_state(...)` (in `given.rs`) changes the state.
/// `exit_code` belongs to zombies only; the code is in `Zombie`.
impl<S> Task<S> {
    /// Runnable → Running.
    pub fn schedule(self) -> Task<Running> {
        todo!("only a runnable task can be scheduled")
    }

    /// Running → Runnable.
    pub fn preempt(self) -> Task<Runnable> {
        todo!("only a running task can be preempted")
    }

    /// Running → Sleeping.
    pub fn sleep(self) -> Task<Sleeping> {
        todo!("only a running task can go to sleep")
    }

    /// Sleeping → Runnable.
    pub fn wake(self) -> Task<Runnable> {
        todo!("only a sleeping task can be woken")
    }

    /// Running → Zombie, keeping `code` for the parent.
    pub fn exit(self, code: i32) -> Task<Zombie> {
        let _ = code;
        todo!("only a running task can exit")
    }

    /// The exit code a zombie keeps for its parent.
    pub fn exit_code(&self) -> i32 {
        todo!("only a zombie has an exit code")
    }
}
// ANCHOR_END: transitions

// ANCHOR: wait
impl Parent {
    /// Reaps a child and returns its pid and exit code.
    ///
    /// This stub accepts any task, and only borrows it, so a reaped zombie
    /// can still be used afterwards. Make it take zombies only, by value.
    /// The expected compiler messages quote this line, so write it exactly
    /// as: `pub fn wait(&mut self, zombie: Task<Zombie>) -> ExitStatus {`
    ///
    /// Which parent a task belongs to is not in its type: check it at run
    /// time, and panic with a message containing "is not a child of" if the
    /// zombie's ppid is not this parent's pid.
    pub fn wait<S>(&mut self, task: &Task<S>) -> ExitStatus {
        let _ = task;
        todo!("take a Task<Zombie> by value")
    }
}
// ANCHOR_END: wait
