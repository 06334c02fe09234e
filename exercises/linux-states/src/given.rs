//! Given: the states a task can be in, as `/proc/PID/stat` spells them,
//! and a safety net for children. The reference solution uses this file.

use nix::sys::{prctl, signal::Signal};
use nix::unistd::{Pid, getppid};

/// A task's state: the third field of `/proc/PID/stat`, one letter.
/// The kernel prints it from `task_struct.__state` and `exit_state`
/// (fs/proc/array.c, `task_state_array`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// `R`: running, or runnable and waiting for a CPU. Linux does not tell
    /// the two apart here.
    Running,
    /// `S`: interruptible sleep, waiting for an event or a signal.
    Sleeping,
    /// `D`: uninterruptible sleep, usually waiting for I/O.
    DiskSleep,
    /// `T`: stopped by a signal (SIGSTOP, SIGTSTP, ...).
    Stopped,
    /// `t`: stopped by a debugger.
    TracingStop,
    /// `Z`: exited, waiting for its parent to collect the status.
    Zombie,
    /// `X`: being reaped right now; almost never seen.
    Dead,
    /// `I`: an idle kernel thread.
    Idle,
}

/// Call first thing in a forked child: it gets SIGKILL when the thread
/// that forked it ends, so a spinning child cannot outlive a crashed test.
pub fn die_with_parent(parent: Pid) {
    let _ = prctl::set_pdeathsig(Signal::SIGKILL);
    // The parent may have gone before the line above took effect.
    if getppid() != parent {
        unsafe { nix::libc::_exit(1) }
    }
}
