//! Orphans and subreapers.
//!
//! Your functions run in a lab process (see the `contain` crate), a child of
//! this test process. The test process makes itself a subreaper first, so an
//! orphan that the lab process does not adopt comes back to it, whatever the
//! machine's init does; where each orphan landed is read from /proc.

#[path = "../../linux-states/tests/support/mod.rs"]
mod support;

use contain::Lab;
use linux_orphans::{Orphan, become_subreaper, orphan};
use nix::sys::prctl;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, getpid, pause};
use support::{Cleanup, eventually, ppid, state_letter};

/// An orphan as plain data, (pid, first parent, new parent): no type of the
/// lab crosses to the test process.
type Plain = (i32, i32, i32);

/// In the lab process: `orphan()`, after `become_subreaper()` if asked.
fn their_orphan(subreaper: bool) -> Result<Plain, String> {
    if subreaper {
        become_subreaper().map_err(|e| format!("become_subreaper: {e}"))?;
    }
    let Orphan { pid, first_parent, new_parent } = orphan().map_err(|e| format!("orphan: {e}"))?;
    Ok((pid.as_raw(), first_parent.as_raw(), new_parent.as_raw()))
}

/// In the lab process: an orphan made by the test's own code (a child that
/// forks a sleeping grandchild and exits), after `become_subreaper()`.
fn subreaper_then_plain_orphan(_: ()) -> Result<i32, String> {
    become_subreaper().map_err(|e| format!("become_subreaper: {e}"))?;
    let (rx, tx) = std::io::pipe().map_err(|e| e.to_string())?;
    // SAFETY: the children only make system calls.
    match unsafe { fork() }.map_err(|e| e.to_string())? {
        ForkResult::Child => match unsafe { fork() } {
            Ok(ForkResult::Parent { child }) => {
                let _ = nix::unistd::write(&tx, &child.as_raw().to_ne_bytes());
                unsafe { nix::libc::_exit(0) }
            }
            Ok(ForkResult::Child) => loop {
                pause();
            },
            Err(_) => unsafe { nix::libc::_exit(1) },
        },
        ForkResult::Parent { child } => {
            drop(tx);
            let mut bytes = [0u8; 4];
            std::io::Read::read_exact(&mut &rx, &mut bytes).map_err(|e| e.to_string())?;
            waitpid(child, None).map_err(|e| e.to_string())?;
            Ok(i32::from_ne_bytes(bytes))
        }
    }
}

/// Makes this test process a subreaper and starts a lab process.
fn lab() -> Lab {
    prctl::set_child_subreaper(true).expect("PR_SET_CHILD_SUBREAPER");
    Lab::new()
}

#[test]
fn become_subreaper_sets_the_flag() {
    let mut lab = lab();
    let grandchild = Pid::from_raw(lab.call(subreaper_then_plain_orphan, ()).expect("an orphan"));
    let _cleanup = Cleanup(vec![grandchild]);
    assert_eq!(
        ppid(grandchild),
        Some(lab.pid()),
        "a subreaper adopts its orphaned grandchild (a process that is no subreaper leaves it to the next one up)"
    );
}

#[test]
fn orphan_is_adopted_by_the_subreaper() {
    let mut lab = lab();
    let (pid, first_parent, new_parent) = lab.call(their_orphan, true).expect("orphan");
    let (orphan, me) = (Pid::from_raw(pid), lab.pid());
    let _cleanup = Cleanup(vec![orphan]);
    assert_ne!(first_parent, me.as_raw(), "the orphan's first parent is the intermediate child");
    assert_ne!(pid, first_parent);
    assert_eq!(new_parent, me.as_raw(), "the orphan's getppid() names the subreaper");
    assert_eq!(ppid(orphan), Some(me), "/proc/{pid}/status agrees");
}

#[test]
fn first_parent_is_gone_and_reaped() {
    let mut lab = lab();
    let (pid, first_parent, _) = lab.call(their_orphan, true).expect("orphan");
    let _cleanup = Cleanup(vec![Pid::from_raw(pid)]);
    let first_parent = Pid::from_raw(first_parent);
    // Unreaped, it would still be in /proc, as a zombie child of the caller.
    assert_eq!(state_letter(first_parent), None, "the first parent was reaped, so /proc forgot it");
    assert!(!contain::children(lab.pid()).contains(&first_parent), "orphan() must reap it itself");
}

#[test]
fn orphan_outlives_its_parent() {
    let mut lab = lab();
    let (pid, _, _) = lab.call(their_orphan, false).expect("orphan");
    let orphan = Pid::from_raw(pid);
    let mut cleanup = Cleanup(vec![orphan]);
    assert_eq!(ppid(orphan), Some(getpid()), "the lab process is no subreaper: we adopt it");
    // Alive, and blocked rather than spinning: S, not Z and not R.
    let state = eventually("the orphan to block", || state_letter(orphan).filter(|&s| s != 'R'));
    assert_eq!(state, 'S', "the orphan should be asleep, waiting to be killed");
    // And it is ours to reap now.
    cleanup.reaped(orphan);
    kill(orphan, Signal::SIGKILL).expect("kill the orphan");
    assert!(
        matches!(waitpid(orphan, None), Ok(WaitStatus::Signaled(p, _, _)) if p == orphan),
        "the subreaper reaps the orphan"
    );
}

#[test]
fn orphan_skips_a_grandparent_that_is_no_subreaper() {
    // The lab process calls orphan() and is no subreaper; we are, one level up.
    let mut lab = lab();
    let (pid, _, new_parent) = lab.call(their_orphan, false).expect("orphan");
    let orphan = Pid::from_raw(pid);
    let _cleanup = Cleanup(vec![orphan]);
    assert_ne!(
        new_parent,
        lab.pid().as_raw(),
        "the grandparent is not a subreaper: it gets nothing"
    );
    assert_eq!(
        new_parent,
        getpid().as_raw(),
        "the nearest subreaper up the tree adopts the orphan"
    );
    assert_eq!(ppid(orphan), Some(getpid()));
}
