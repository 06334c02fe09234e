//! The worked example of process creation on Linux: `fork`, then `execve`
//! in the child and `waitpid` in the parent; and the same child started
//! with `posix_spawn`, which does the three steps in one call.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd};

use nix::spawn::{PosixSpawnAttr, PosixSpawnFileActions, posix_spawn};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, dup2_stdout, execve, fork, getpid, getppid};

mod given;
pub use given::Outcome;
use given::{c_format, say};

// ANCHOR: fork_exec
/// Forks. The parent writes `parent: pid=P, child pid=C` to `out` and waits
/// for the child; the child writes `child: pid=C, parent pid=P` and then
/// becomes `/bin/echo hello from pid=C`, with `out` as its standard output.
pub fn fork_exec(out: BorrowedFd<'_>) -> nix::Result<Outcome> {
    // SAFETY: the child only makes system calls before execve or _exit.
    match unsafe { fork() }? {
        ForkResult::Child => child_then_echo(out),
        ForkResult::Parent { child } => {
            say(out, format_args!("parent: pid={}, child pid={child}\n", getpid()));
            let status = waitpid(child, None)?;
            Ok(Outcome { child, status })
        }
    }
}

fn child_then_echo(out: BorrowedFd<'_>) -> ! {
    let me = getpid();
    say(out, format_args!("child: pid={me}, parent pid={}\n", getppid()));
    let mut buf = [0u8; 64];
    let greeting = c_format(&mut buf, format_args!("hello from pid={me}"));
    if dup2_stdout(out).is_ok() {
        let no_env: [&CStr; 0] = [];
        // execve only returns on failure; the same pid then runs echo.
        let _ = execve(c"/bin/echo", &[c"echo", greeting], &no_env);
    }
    // _exit, not exit: the parent's atexit handlers and stdio buffers are
    // not ours to run or flush.
    unsafe { nix::libc::_exit(127) }
}
// ANCHOR_END: fork_exec

// ANCHOR: spawn
/// The same story with `posix_spawn`: the parent writes its line, the child
/// is `/bin/sh`, which writes `child: pid=C, parent pid=P` and then execs
/// `/bin/echo hello from pid=C` in the same process.
pub fn spawn_echo(out: BorrowedFd<'_>) -> nix::Result<Outcome> {
    // There is no "in the child" for our code with posix_spawn, so the
    // child's own line has to come from the program it runs: `$$` is the
    // shell's pid and `$PPID` its parent's.
    let script = c"echo \"child: pid=$$, parent pid=$PPID\"; exec /bin/echo \"hello from pid=$$\"";
    let mut actions = PosixSpawnFileActions::init()?;
    actions.add_dup2(out.as_raw_fd(), 1)?;
    let attr = PosixSpawnAttr::init()?;
    let no_env: [&CStr; 0] = [];
    let child = posix_spawn(c"/bin/sh", &actions, &attr, &[c"sh", c"-c", script], &no_env)?;
    say(out, format_args!("parent: pid={}, child pid={child}\n", getpid()));
    let status = waitpid(child, None)?;
    Ok(Outcome { child, status })
}
// ANCHOR_END: spawn
