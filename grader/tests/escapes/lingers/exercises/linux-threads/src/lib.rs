//! Escape attempt: `my_ids` leaves a process behind, in a session of its
//! own and orphaned, that outlives the test and tries, every second for a minute, to
//! leave a mark where the grader's sandbox test looks for escapes.

use std::io;

use nix::unistd::{ForkResult, Pid, execv, fork, setsid};

mod given;
pub use given::Ids;

pub fn my_ids() -> Ids {
    let script = c"for i in $(seq 60); do sleep 1; : > \"$ESCAPE_DIR/lingers\"; done";
    let args: [&std::ffi::CStr; 3] = [c"sh", c"-c", script];
    // SAFETY: the child makes only system calls until it execs.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            // Fork again, as a daemon does: the shell is no longer below
            // the process that called my_ids, so killing that process and
            // its children does not reach it. Only the sandbox's PID
            // namespace does.
            let _ = setsid();
            if let Ok(ForkResult::Child) = unsafe { fork() } {
                let _ = execv(c"/bin/sh", &args);
            }
            unsafe { nix::libc::_exit(1) }
        }
        ForkResult::Parent { child } => {
            // Once the first child is gone, the shell exists, in a session
            // of its own (the grader ends the test's process group), and is
            // nobody's child here: fail only then, or a busy machine could
            // end it before it escapes.
            let _ = nix::sys::wait::waitpid(child, None);
            panic!("escape: left a process running")
        }
    }
}

pub fn with_threads<R>(_: usize, _: impl FnOnce(&[Ids]) -> R) -> R {
    todo!()
}

pub fn tasks(_: Pid) -> io::Result<Vec<Pid>> {
    todo!()
}
