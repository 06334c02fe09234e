//! Lab: threads are tasks.
//!
//! Fill in the three functions below; `cargo test -p linux-threads` checks
//! them.

use std::io;

use nix::unistd::Pid;

mod given;
pub use given::Ids;

// ANCHOR: ids
/// The calling thread's ids: its thread group id and its own thread id
/// (`nix::unistd::getpid` and `gettid`).
pub fn my_ids() -> Ids {
    todo!("two system calls")
}
// ANCHOR_END: ids

// ANCHOR: with_threads
/// Starts `n` threads. Each one sends its [`Ids`] back to you and then
/// stays alive, blocked, until `f` has returned. Call `f` with the `n`
/// ids, join the threads, and return what `f` returned.
///
/// `f` may panic (a failing test does): the threads must still be let go
/// and joined then, or the test run hangs instead of failing.
/// `std::thread::scope` and `std::sync::mpsc` help.
pub fn with_threads<R>(n: usize, f: impl FnOnce(&[Ids]) -> R) -> R {
    let _ = (n, f);
    todo!("spawn, collect ids, call f while they wait, release, join")
}
// ANCHOR_END: with_threads

// ANCHOR: tasks
/// The tids of all threads of process `pid`, sorted ascending: the names
/// of the entries of `/proc/PID/task`.
pub fn tasks(pid: Pid) -> io::Result<Vec<Pid>> {
    let _ = pid;
    todo!("read_dir(/proc/PID/task)")
}
// ANCHOR_END: tasks
