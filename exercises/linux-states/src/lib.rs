//! Lab: process states, read back from /proc.
//!
//! Fill in the functions below; `cargo test -p linux-states` checks them.

use std::io;

use nix::unistd::Pid;

#[allow(dead_code)] // until you call die_with_parent
mod given;
pub use given::State;
#[allow(unused_imports)]
use given::die_with_parent;

// ANCHOR: state
impl State {
    /// The state for one letter of `/proc/PID/stat` (`R`, `S`, `D`, `T`,
    /// `t`, `Z`, `X`, `I`; see [`State`]), or `None` for any other letter.
    pub fn from_letter(letter: char) -> Option<State> {
        let _ = letter;
        todo!("one match arm per letter")
    }
}

/// The state in one line of `/proc/PID/stat`: the field right after the
/// command name, which is in parentheses and may itself contain spaces,
/// parentheses and `) R (`.
///
/// Errors: `InvalidData` (say what the line was) when there is no such
/// field, or its letter is not one you know.
pub fn parse_state(stat: &str) -> io::Result<State> {
    let _ = stat;
    todo!("find the letter after the last ')'")
}

/// The state of `pid`, from `/proc/PID/stat`.
///
/// Errors: `NotFound` when there is no such process (any more), and those
/// of [`parse_state`].
pub fn state(pid: Pid) -> io::Result<State> {
    let _ = pid;
    todo!("read /proc/PID/stat and parse it")
}
// ANCHOR_END: state

// ANCHOR: children
/// Forks a child that sleeps until it is killed (state S) and returns its
/// pid. Think of a call that blocks until a signal arrives.
///
/// In the child, call `die_with_parent(parent_pid)` first, and never
/// return from this function: the child must not run the caller's code.
pub fn spawn_sleeper() -> nix::Result<Pid> {
    todo!("fork; the child blocks forever")
}

/// Forks a child that computes forever (state R) and returns its pid.
pub fn spawn_spinner() -> nix::Result<Pid> {
    todo!("fork; the child loops forever without blocking")
}

/// Forks a child that exits at once, and does not wait for it (state Z).
pub fn spawn_zombie() -> nix::Result<Pid> {
    todo!("fork; the child _exits; the parent does not waitpid")
}
// ANCHOR_END: children
