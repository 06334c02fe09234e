//! Process states, read back from /proc.

use std::io;

use nix::unistd::{ForkResult, Pid, fork, getpid, pause};

mod given;
pub use given::State;
use given::die_with_parent;

// ANCHOR: state
impl State {
    /// The state for one letter of `/proc/PID/stat`, if Linux uses it.
    pub fn from_letter(letter: char) -> Option<State> {
        Some(match letter {
            'R' => State::Running,
            'S' => State::Sleeping,
            'D' => State::DiskSleep,
            'T' => State::Stopped,
            't' => State::TracingStop,
            'Z' => State::Zombie,
            'X' => State::Dead,
            'I' => State::Idle,
            _ => return None,
        })
    }
}

/// The state in a line of `/proc/PID/stat`: the field after the command
/// name. `InvalidData` for a line without one, or with a letter Linux does
/// not use.
pub fn parse_state(stat: &str) -> io::Result<State> {
    // The command name may contain ") ", so look after the last ')'.
    let after_comm = stat.rfind(')').map(|i| &stat[i + 1..]);
    let letter = after_comm.and_then(|rest| rest.trim_start().chars().next());
    letter
        .and_then(State::from_letter)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("odd stat: {stat:?}")))
}

/// The state of `pid`. `NotFound` once the process is gone (reaped).
pub fn state(pid: Pid) -> io::Result<State> {
    parse_state(&std::fs::read_to_string(format!("/proc/{pid}/stat"))?)
}
// ANCHOR_END: state

// ANCHOR: children
/// A child that sleeps until killed: it waits in `pause()`, so the
/// scheduler takes it off the run queue (state S).
pub fn spawn_sleeper() -> nix::Result<Pid> {
    spawn(|| {
        loop {
            pause();
        }
    })
}

/// A child that never stops computing: always on a CPU or waiting for one
/// (state R).
pub fn spawn_spinner() -> nix::Result<Pid> {
    spawn(|| {
        loop {
            std::hint::spin_loop();
        }
    })
}

/// A child that exits at once and is never waited for (state Z): its
/// task_struct stays until the parent collects its exit status.
pub fn spawn_zombie() -> nix::Result<Pid> {
    spawn(|| unsafe { nix::libc::_exit(0) })
}

fn spawn(body: fn() -> !) -> nix::Result<Pid> {
    let parent = getpid();
    // SAFETY: the child only makes system calls or spins.
    match unsafe { fork() }? {
        ForkResult::Child => {
            die_with_parent(parent);
            body()
        }
        ForkResult::Parent { child } => Ok(child),
    }
}
// ANCHOR_END: children
