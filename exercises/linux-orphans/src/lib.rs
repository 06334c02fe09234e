//! Lab: orphans, reparenting and subreapers.
//!
//! Fill in the two functions below; `cargo test -p linux-orphans` checks
//! them and `cargo run -p linux-orphans` shows where orphans go on your
//! machine.

mod given;
pub use given::{Orphan, recv_pid, send_pid};

// ANCHOR: subreaper
/// Makes this process a child subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`,
/// in `nix::sys::prctl`): orphans among its descendants are then handed to
/// it instead of to init.
pub fn become_subreaper() -> nix::Result<()> {
    todo!("one prctl")
}
// ANCHOR_END: subreaper

// ANCHOR: orphan
/// Makes an orphan and reports who adopted it.
///
/// Fork a child P. P forks a grandchild G, sends G's pid to you through a
/// pipe (`send_pid`), and `_exit`s without waiting for G. You reap P with
/// `waitpid`; G is now an orphan. Only then ask G (through a second pipe)
/// to report its `getppid()`, and read the answer with `recv_pid`.
///
/// After reporting, G must keep running (blocked, not spinning) until it is
/// killed: the caller will look at it in /proc, then kill it.
pub fn orphan() -> nix::Result<Orphan> {
    todo!("two pipes, two forks, one waitpid")
}
// ANCHOR_END: orphan
