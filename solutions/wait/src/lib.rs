//! `exit()` and `wait4()`: how a task ends, and how its parent learns of it.
//!
//! Linux splits the work in two. The dying task runs `do_exit()`: `exit_mm()`
//! gives its memory back, then `exit_notify()` hands its children to a new
//! reaper (`forget_original_parent()` → `find_new_reaper()`: a subreaper if
//! one was set, else init), marks the task `EXIT_ZOMBIE` and wakes the parent
//! sleeping on `signal->wait_chldexit` (`__wake_up_parent()`). What is left,
//! the `task_struct`, its kernel stack and its pid, is a zombie: the few
//! bytes that say how the child ended. The parent collects them in `wait4()`:
//! `do_wait()` → `wait_consider_task()` looks at each child, and
//! `wait_task_zombie()` copies out the status and calls `release_task()`,
//! which frees the rest. This piece does the same steps on our task table.
//! We have no subreapers and no process groups, so orphans always go to init
//! and `wait4` only understands "any child" and "this child".
#![no_std]

use api::{Errno, Memory, Pid, Procs, RunQueue, State};

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

// ANCHOR: exit
/// Ends task `pid` with wait status `status` (encoded: `api::status::exited(code)`
/// or `signaled(SIGSEGV)`). The task stays in the table as a zombie until its
/// parent reaps it with [`wait4`].
///
/// The kernel must not call this for [`INIT`]: like Linux ("Attempted to kill
/// init!") it panics instead, because nobody could reap init or its orphans.
/// If it does anyway, init becomes a zombie nobody reaps, its children keep
/// ppid 1, and no task is woken.
///
/// # Panics
/// If `pid` is not in the table: only a task that exists can exit.
pub fn exit(procs: &mut Procs, mem: &mut dyn Memory, rq: &mut dyn RunQueue, pid: Pid, status: i32) {
    let p = procs.get_mut(pid).expect("exit: no such task");
    // exit_mm: frames shared with others (copy-on-write) only lose one reference.
    if let Some(space) = p.space.take() {
        space.destroy(mem);
    }
    rq.remove(pid);
    // The kernel stack and the Proc stay: we are still running on that stack,
    // and the parent needs the status. wait4 frees both.
    p.state = State::Zombie;
    p.exit_status = status;
    let parent = p.ppid;
    let orphaned_zombies = forget_original_parent(procs, pid);
    wake_up_parent(procs, rq, parent);
    if orphaned_zombies {
        // Init did not know these children a moment ago, so it cannot be
        // waiting for them; without this wakeup they would stay zombies.
        wake_up_parent(procs, rq, INIT);
    }
}
// ANCHOR_END: exit

// ANCHOR: forget_original_parent
/// Hands the children of `dead` to init. Returns true if any of them is
/// already a zombie, so init must be woken to reap it.
fn forget_original_parent(procs: &mut Procs, dead: Pid) -> bool {
    if dead == INIT {
        // There is no one above init to take them.
        return false;
    }
    let mut zombies = false;
    for child in procs.iter_mut().filter(|p| p.ppid == dead) {
        child.ppid = INIT;
        zombies |= child.state == State::Zombie;
    }
    zombies
}
// ANCHOR_END: forget_original_parent

// ANCHOR: wake_up_parent
/// Makes everyone sleeping on `parent`'s `child_exit` queue runnable again.
fn wake_up_parent(procs: &mut Procs, rq: &mut dyn RunQueue, parent: Pid) {
    let Some(p) = procs.get_mut(parent) else {
        return;
    };
    for sleeper in p.child_exit.take_all() {
        rq.make_runnable(procs, sleeper);
    }
}
// ANCHOR_END: wake_up_parent

// ANCHOR: wait4
/// `wait4(target, &status, options)` for task `me`. `target` -1 or 0 means
/// any child (0 is "any child in my process group", and we have only one
/// group); a positive `target` means that child only.
///
/// Errors: `EINVAL` for an option other than [`WNOHANG`], or a `target`
/// below -1 (a process group: we have none); `ECHILD` when no child matches
/// `target` (a zombie child still counts as a child).
pub fn wait4(procs: &mut Procs, me: Pid, target: Pid, options: i32) -> Result<Wait, Errno> {
    if options & !WNOHANG != 0 || target < -1 {
        return Err(Errno::EINVAL);
    }
    // Only children are candidates, never `me` or another task's child;
    // children() is in pid order, so the lowest-pid zombie goes first.
    let mut candidates =
        procs.children(me).into_iter().filter(|&c| target <= 0 || c == target).peekable();
    if candidates.peek().is_none() {
        return Err(Errno::ECHILD);
    }
    let zombie = candidates.find(|&c| procs.get(c).is_some_and(|p| p.state == State::Zombie));
    Ok(match zombie {
        Some(child) => {
            let (pid, status) = release_task(procs, child);
            Wait::Reaped(pid, status)
        }
        None if options & WNOHANG != 0 => Wait::NotYet,
        None => Wait::Block,
    })
}
// ANCHOR_END: wait4

// ANCHOR: release_task
/// Takes the zombie out of the table. Dropping the Proc frees its kernel
/// stack and PCB; its pid is gone from the table with it.
fn release_task(procs: &mut Procs, zombie: Pid) -> (Pid, i32) {
    let p = procs.remove(zombie).expect("a zombie child is in the table");
    (p.pid, p.exit_status)
}
// ANCHOR_END: release_task
