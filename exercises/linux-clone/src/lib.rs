//! Lab: clone with flags you choose. Who is the child: a thread of this
//! process, or a process of its own? Does it see this memory, or a copy?
//!
//! Fill in the functions below; `cargo test -p linux-clone` checks them.

use std::io;

use nix::sched::CloneFlags;
use nix::unistd::Pid;

mod given;
pub use given::{Cloned, Ids, MARK, Shared, TaskStatus, clone};

// ANCHOR: task_status
/// Reads `Tgid:`, `Pid:` and `Threads:` from `/proc/TID/status`. A task that
/// does not exist is an `io::ErrorKind::NotFound` error.
pub fn task_status(tid: Pid) -> io::Result<TaskStatus> {
    let _ = tid;
    todo!("read /proc/TID/status and parse three of its lines")
}
// ANCHOR_END: task_status

// ANCHOR: child
/// The child's whole life: store [`MARK`], report its ids, wait for the
/// release byte, return 0. Only system calls and atomics: no allocation,
/// no locks, no `println!` (see the safety rules of [`clone`]).
pub fn child(shared: &Shared) -> i32 {
    let _ = shared;
    todo!("mark, report, wait")
}
// ANCHOR_END: child

// ANCHOR: with_clone
/// Clones a child that runs [`child`], with `flags` (and `SIGCHLD` as its
/// exit signal unless it is a thread), then calls `f` with what the child
/// reported, while the child is still alive. Afterwards releases the child
/// and returns only once it is gone: reaped with `waitpid` if it is a
/// process, no longer in `/proc/self/task` if it is a thread (threads
/// cannot be waited for). Returns what `f` returned, or clone's error.
///
/// `f` may panic (a failing test does): the child must still be released
/// and waited for, so give that job to a value whose `Drop` does it.
pub fn with_clone<R>(flags: CloneFlags, f: impl FnOnce(&Cloned) -> R) -> nix::Result<R> {
    let _ = (flags, f);
    todo!("pipes, a stack, clone, read the report, call f, release, wait until it is gone")
}
// ANCHOR_END: with_clone
