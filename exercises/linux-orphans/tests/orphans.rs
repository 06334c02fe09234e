//! Orphans and subreapers. Every test here makes this test process a
//! subreaper, so where an orphan lands does not depend on the machine's
//! init, and every orphan comes back to us to be reaped.

#[path = "../../linux-states/tests/support/mod.rs"]
mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};

use linux_orphans::{Orphan, become_subreaper, orphan, recv_pid, send_pid};
use nix::errno::Errno;
use nix::sys::prctl;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, getpid};
use support::{Cleanup, ppid, state_letter};

#[test]
fn become_subreaper_sets_the_flag() {
    become_subreaper().expect("become_subreaper");
    assert_eq!(prctl::get_child_subreaper(), Ok(true));
}

#[test]
fn orphan_is_adopted_by_the_subreaper() {
    become_subreaper().expect("become_subreaper");
    let o = orphan().expect("orphan");
    let _cleanup = Cleanup(vec![o.pid]);
    let me = getpid();
    assert_ne!(o.first_parent, me, "the orphan's first parent is the intermediate child");
    assert_ne!(o.pid, o.first_parent);
    assert_eq!(o.new_parent, me, "the orphan's getppid() names the subreaper");
    assert_eq!(ppid(o.pid), Some(me), "/proc/{}/status agrees", o.pid);
}

#[test]
fn first_parent_is_gone_and_reaped() {
    become_subreaper().expect("become_subreaper");
    let o = orphan().expect("orphan");
    let _cleanup = Cleanup(vec![o.pid]);
    assert_eq!(state_letter(o.first_parent), None, "the first parent was reaped, so /proc forgot it");
    let again = waitpid(o.first_parent, Some(WaitPidFlag::WNOHANG));
    assert_eq!(again, Err(Errno::ECHILD), "orphan() must reap the first parent itself");
}

#[test]
fn orphan_outlives_its_parent() {
    become_subreaper().expect("become_subreaper");
    let o = orphan().expect("orphan");
    let mut cleanup = Cleanup(vec![o.pid]);
    // Alive, and blocked rather than spinning: S, not Z and not R.
    let state = support::eventually("the orphan to block", || state_letter(o.pid).filter(|&s| s != 'R'));
    assert_eq!(state, 'S', "the orphan should be asleep, waiting to be killed");
    // And it is ours to reap now.
    cleanup.reaped(o.pid);
    nix::sys::signal::kill(o.pid, nix::sys::signal::Signal::SIGKILL).expect("kill the orphan");
    assert!(
        matches!(waitpid(o.pid, None), Ok(WaitStatus::Signaled(pid, _, _)) if pid == o.pid),
        "the subreaper reaps the orphan"
    );
}

/// Runs `orphan()` in a forked child H and returns what it found, with H's
/// pid. H is not a subreaper; we are.
fn orphan_from_a_child() -> (Pid, Orphan) {
    let (rx, tx) = std::io::pipe().expect("pipe");
    // SAFETY: the child runs the lab's code, which forks and makes system
    // calls; glibc's malloc is usable after fork.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            let found = catch_unwind(AssertUnwindSafe(orphan));
            if let Ok(Ok(o)) = found {
                for pid in [o.pid, o.first_parent, o.new_parent] {
                    let _ = send_pid(&tx, pid);
                }
            }
            unsafe { nix::libc::_exit(0) }
        }
        ForkResult::Parent { child } => {
            drop(tx);
            let got = [recv_pid(&rx), recv_pid(&rx), recv_pid(&rx)];
            let _ = waitpid(child, None);
            let [pid, first_parent, new_parent] = got.map(|r| r.expect("the child reports its orphan"));
            (child, Orphan { pid, first_parent, new_parent })
        }
    }
}

#[test]
fn orphan_skips_a_grandparent_that_is_no_subreaper() {
    become_subreaper().expect("become_subreaper");
    let (grandparent, o) = orphan_from_a_child();
    let _cleanup = Cleanup(vec![o.pid]);
    assert_ne!(o.new_parent, grandparent, "the grandparent is not a subreaper: it gets nothing");
    assert_eq!(o.new_parent, getpid(), "the nearest subreaper up the tree adopts the orphan");
    assert_eq!(ppid(o.pid), Some(getpid()));
}
