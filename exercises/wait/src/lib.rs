//! Exercise: `exit()` and `wait4()`, with zombies and reparenting.
//!
//! Read the chapter "Exercise: exit and wait" first. Run the tests with
//! `cargo test -p wait`; they all fail until you fill in the two functions.
#![no_std]

use api::{Errno, Memory, Pid, Procs, RunQueue};

// ANCHOR: api
/// The pid of init, the reaper of every orphan.
pub const INIT: Pid = 1;

/// `wait4` option: do not block; return 0 if no child has exited yet.
pub const WNOHANG: i32 = 1;

/// What wait4 found.
#[derive(Debug, PartialEq, Eq)]
pub enum Wait {
    /// A zombie child was reaped: its pid and wait status (already encoded with api::status).
    Reaped(Pid, i32),
    /// WNOHANG was given and no matching child has exited yet: wait4 returns 0.
    NotYet,
    /// No matching child has exited yet: the caller must sleep on its own `child_exit` queue and call wait4 again when woken.
    Block,
}

/// Ends task `pid` with wait status `status` (encoded: `api::status::exited(code)`
/// or `signaled(SIGSEGV)`). The task stays in the table as a zombie until its
/// parent reaps it with [`wait4`].
///
/// Steps:
/// 1. Free its memory: `space.take()`, then [`api::AddressSpace::destroy`]
///    (a frame shared with another process only loses one reference).
/// 2. Take it off the run queue (`rq.remove`).
/// 3. Make it a [`api::State::Zombie`] holding `status` in `exit_status`.
///    Keep the `Proc` and its kernel stack: the task is still running on that
///    stack, and the parent needs the status.
/// 4. Give each of its children to [`INIT`] (set their `ppid`).
/// 5. Wake its parent: every pid on the parent's `child_exit` queue
///    ([`api::WaitQueue::take_all`]) goes to `rq.make_runnable`.
/// 6. If any child you gave to init was already a zombie, wake init the same
///    way, or nobody will ever reap it.
///
/// The kernel never calls this for [`INIT`] (it panics first, as Linux does),
/// but make sure init's exit would not wake init itself.
pub fn exit(procs: &mut Procs, mem: &mut dyn Memory, rq: &mut dyn RunQueue, pid: Pid, status: i32) {
    let _ = (procs, mem, rq, pid, status);
    todo!("exit: free the memory, become a zombie, reparent the children, wake the parent")
}

/// `wait4(target, &status, options)` for task `me`. `target` -1 or 0 means
/// any child (0 is "any child in my process group", and we have only one
/// group); a positive `target` means that child only.
///
/// Steps:
/// 1. `EINVAL` for any option bit other than [`WNOHANG`], or `target < -1`
///    (that names a process group, and we have none).
/// 2. Look at the children of `me` that match `target` ([`Procs::children`]
///    lists them in pid order). None at all: `ECHILD`. A zombie still counts.
/// 3. If one is a zombie, take the lowest-pid one out of `procs`
///    ([`Procs::remove`]: dropping the `Proc` frees its kernel stack) and
///    return `Reaped(pid, exit_status)`.
/// 4. Otherwise `NotYet` with `WNOHANG`, else `Block`.
///
/// Never reap a task that is not a child of `me`, and never `me` itself.
pub fn wait4(procs: &mut Procs, me: Pid, target: Pid, options: i32) -> Result<Wait, Errno> {
    let _ = (procs, me, target, options);
    todo!("wait4: find a matching zombie child and reap it")
}
// ANCHOR_END: api
