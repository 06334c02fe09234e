//! Test support shared by the Linux labs' tests (pstree, states, orphans,
//! threads include this file with `#[path]`).
//!
//! The facts the tests check against come from `/proc/PID/status` and
//! `/proc/PID/comm`, not from `/proc/PID/stat`: the labs parse `stat`
//! themselves, and a test should not grade a parser with the same parser.

// Each test crate uses a different part of this file.
#![allow(dead_code)]

use std::ffi::CStr;
use std::time::{Duration, Instant};

use nix::sys::prctl;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Pid, fork, pause};

/// Long enough for a child to get a CPU on a busy two-core machine.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Polls `probe` until it returns `Some`, and panics after [`PATIENCE`].
/// Process states change when the scheduler gets to it, so tests wait for
/// them rather than sleep a fixed time and hope.
pub fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "gave up after {PATIENCE:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A field of `/proc/PID/status` (`State`, `PPid`, `Tgid`, ...), if the
/// process exists.
pub fn status_field(pid: Pid, key: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.split(':').next() == Some(key))?;
    Some(line[key.len() + 1..].trim().to_string())
}

pub fn ppid(pid: Pid) -> Option<Pid> {
    status_field(pid, "PPid")?.parse().ok().map(Pid::from_raw)
}

pub fn tgid(tid: Pid) -> Option<Pid> {
    status_field(tid, "Tgid")?.parse().ok().map(Pid::from_raw)
}

/// The state letter, from `State:\tS (sleeping)`.
pub fn state_letter(pid: Pid) -> Option<char> {
    status_field(pid, "State")?.chars().next()
}

pub fn comm(pid: Pid) -> Option<String> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(comm.trim_end_matches('\n').to_string())
}

/// The chain of parents from `pid` up to a root, `pid` excluded.
pub fn ancestors(pid: Pid) -> Vec<Pid> {
    let mut chain = Vec::new();
    let mut at = pid;
    while let Some(parent) = ppid(at).filter(|p| p.as_raw() > 0) {
        chain.push(parent);
        at = parent;
    }
    chain
}

/// Kills and reaps processes when dropped, so a test that fails half-way
/// leaves nothing behind: a forgotten spinner would eat a core of a
/// two-core machine. Every pid is killed first, then each one that is our
/// child is reaped, in order. List a parent before its children: once the
/// parent is reaped, its orphans have been handed to their new parent,
/// which is us if we are a subreaper. Not every init reaps what it is
/// given, so tests that orphan processes make themselves subreapers.
///
/// Only pids that /proc shows below this process are killed: a pid a lab
/// reported may name any process at all.
pub struct Cleanup(pub Vec<Pid>);

impl Cleanup {
    pub fn add(&mut self, pid: Pid) {
        self.0.push(pid);
    }

    /// For a pid the test reaped itself: once reaped, the number can be
    /// handed to an unrelated process, which must not be killed.
    pub fn reaped(&mut self, pid: Pid) {
        self.0.retain(|&p| p != pid);
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let me = nix::unistd::getpid();
        // Decided for all before killing any: a killed parent's children move.
        self.0.retain(|&pid| ancestors(pid).contains(&me));
        for &pid in &self.0 {
            let _ = kill(pid, Signal::SIGKILL);
        }
        for &pid in &self.0 {
            // ECHILD (not ours, or already reaped) is fine here.
            let _ = waitpid(pid, None);
        }
    }
}

/// Command names made to trip a parser of `/proc/PID/stat`, where the name
/// is the only field in parentheses: spaces, parentheses of both kinds, a
/// fake state field, a trailing space. Each is at most 15 bytes, the most
/// `prctl(PR_SET_NAME)` keeps.
pub const HOSTILE_NAMES: [&CStr; 6] =
    [c"two words", c"(a) b (c))", c"x) R (y", c") Z (", c"open(", c"trailing "];

/// A child of this process that names itself `name` and then sleeps until
/// it is killed, or, with `zombie`, exits at once and is not reaped.
/// Returns once /proc shows the new name.
pub fn named_child(name: &CStr, zombie: bool) -> Pid {
    // SAFETY: the child only makes system calls.
    let child = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            let _ = prctl::set_name(name);
            if zombie {
                unsafe { nix::libc::_exit(0) }
            }
            loop {
                pause();
            }
        }
        ForkResult::Parent { child } => child,
    };
    let want = name.to_str().expect("the names are UTF-8");
    eventually("a child to take its name", || (comm(child)? == want).then_some(()));
    child
}

/// The pid of a child that has exited and been reaped: a task that is gone,
/// as one is when it ends between a listing of /proc and the read of its
/// files.
pub fn ended_child() -> Pid {
    // SAFETY: the child only exits.
    let gone = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => unsafe { nix::libc::_exit(0) },
        ForkResult::Parent { child } => child,
    };
    waitpid(gone, None).expect("reap the child");
    gone
}
