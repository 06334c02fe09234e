//! Orphans: a child whose parent exits first is not killed; Linux gives it
//! a new parent.

use std::os::fd::OwnedFd;

use nix::fcntl::OFlag;
use nix::sys::prctl;
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork, getppid, pause, pipe2, read};

mod given;
pub use given::{Orphan, recv_pid, send_pid};

// ANCHOR: subreaper
/// Makes this process a subreaper: orphans among its descendants are
/// handed to it instead of to init.
pub fn become_subreaper() -> nix::Result<()> {
    prctl::set_child_subreaper(true)
}
// ANCHOR_END: subreaper

// ANCHOR: orphan
/// Forks a child P that forks a grandchild G and exits at once. Once P is
/// reaped, asks G who its parent is now.
pub fn orphan() -> nix::Result<Orphan> {
    let (report_rx, report_tx) = pipe2(OFlag::O_CLOEXEC)?;
    let (go_rx, go_tx) = pipe2(OFlag::O_CLOEXEC)?;
    // SAFETY: the child only makes system calls until it _exits.
    match unsafe { fork() }? {
        ForkResult::Child => {
            // Keep only this side's ends: if the caller goes away, G must
            // see end-of-file on the go pipe, so no write end may stay here.
            drop((report_rx, go_tx));
            first_parent(&report_tx, &go_rx)
        }
        ForkResult::Parent { child: first_parent } => {
            drop((report_tx, go_rx));
            let pid = recv_pid(&report_rx)?;
            // When waitpid returns, P has run exit_notify: G is reparented.
            waitpid(first_parent, None)?;
            send_pid(&go_tx, pid)?;
            let new_parent = recv_pid(&report_rx)?;
            Ok(Orphan { pid, first_parent, new_parent })
        }
    }
}

/// P: fork G, tell the caller G's pid, and exit without waiting for it.
fn first_parent(report: &OwnedFd, go: &OwnedFd) -> ! {
    // SAFETY: the child only makes system calls.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => orphan_body(report, go),
        Ok(ForkResult::Parent { child }) => {
            let _ = send_pid(report, child);
            unsafe { nix::libc::_exit(0) }
        }
        Err(_) => unsafe { nix::libc::_exit(1) },
    }
}

/// G: wait for the go-ahead, report getppid(), then wait to be killed.
fn orphan_body(report: &OwnedFd, go: &OwnedFd) -> ! {
    let mut byte = [0u8; 4];
    if !matches!(read(go, &mut byte), Ok(4)) {
        unsafe { nix::libc::_exit(1) } // the caller gave up on us
    }
    let _ = send_pid(report, getppid());
    loop {
        pause();
    }
}
// ANCHOR_END: orphan
