//! Lab: fork + exec on real Linux, then the same with posix_spawn.
//!
//! Fill in the two functions below; `cargo test -p linux-fork-exec` checks
//! them. `given.rs` has the result type and two helpers you will need.

use std::os::fd::BorrowedFd;

#[allow(dead_code)] // until you call the helpers
mod given;
pub use given::Outcome;
#[allow(unused_imports)]
use given::{c_format, say};

// ANCHOR: fork_exec
/// Fork, and write the story of the fork to `out`.
///
/// - The parent writes `parent: pid=P, child pid=C\n` (use `say`), then
///   `waitpid`s for the child and returns an [`Outcome`].
/// - The child writes `child: pid=C, parent pid=P\n`, makes `out` its
///   standard output (`nix::unistd::dup2_stdout`), and `execve`s
///   `/bin/echo` with the single argument `hello from pid=C` (build it with
///   `c_format`). If `execve` returns, it failed: leave with
///   `nix::libc::_exit(127)`, never by returning from this function.
///
/// Here P and C are real pids, from `getpid`/`getppid` and from `fork`.
pub fn fork_exec(out: BorrowedFd<'_>) -> nix::Result<Outcome> {
    let _ = out;
    todo!("fork; the child announces itself and execs /bin/echo; the parent waits")
}
// ANCHOR_END: fork_exec

// ANCHOR: spawn
/// The same three lines, but the child is started with
/// `nix::spawn::posix_spawn` instead of `fork` + `execve`.
///
/// Your code never runs in the child here, so the child's lines must come
/// from the program it runs: spawn `/bin/sh -c SCRIPT`, where SCRIPT prints
/// `child: pid=C, parent pid=P` and then execs `/bin/echo "hello from pid=C"`
/// (in sh, `$$` is the shell's own pid and `$PPID` its parent's). Connect the
/// child's standard output to `out` with a file action (`add_dup2`). The
/// parent writes its own line after the spawn, then waits.
pub fn spawn_echo(out: BorrowedFd<'_>) -> nix::Result<Outcome> {
    let _ = out;
    todo!("posix_spawn /bin/sh with stdout on `out`; write the parent's line; wait")
}
// ANCHOR_END: spawn
