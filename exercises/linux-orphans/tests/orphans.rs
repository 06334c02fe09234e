//! Orphans and subreapers. Every test here makes this test process a
//! subreaper, so where an orphan lands does not depend on the machine's
//! init, and every orphan comes back to us to be reaped.

#[path = "../../linux-states/tests/support/mod.rs"]
mod support;

use std::process::{Command, Stdio};

use linux_orphans::{Orphan, become_subreaper, orphan};
use nix::errno::Errno;
use nix::sys::prctl;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{Pid, getpid};
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
    assert_eq!(
        state_letter(o.first_parent),
        None,
        "the first parent was reaped, so /proc forgot it"
    );
    let again = waitpid(o.first_parent, Some(WaitPidFlag::WNOHANG));
    assert_eq!(again, Err(Errno::ECHILD), "orphan() must reap the first parent itself");
}

#[test]
fn orphan_outlives_its_parent() {
    become_subreaper().expect("become_subreaper");
    let o = orphan().expect("orphan");
    let mut cleanup = Cleanup(vec![o.pid]);
    // Alive, and blocked rather than spinning: S, not Z and not R.
    let state =
        support::eventually("the orphan to block", || state_letter(o.pid).filter(|&s| s != 'R'));
    assert_eq!(state, 'S', "the orphan should be asleep, waiting to be killed");
    // And it is ours to reap now.
    cleanup.reaped(o.pid);
    nix::sys::signal::kill(o.pid, nix::sys::signal::Signal::SIGKILL).expect("kill the orphan");
    assert!(
        matches!(waitpid(o.pid, None), Ok(WaitStatus::Signaled(pid, _, _)) if pid == o.pid),
        "the subreaper reaps the orphan"
    );
}

/// Names the file the grandparent process writes its report to.
const HELPER: &str = "LINUX_ORPHANS_GRANDPARENT_REPORT";

/// Not a test on its own: the body of the grandparent process H started by
/// `orphan_from_a_grandparent`, which runs this test binary again. A fresh
/// process, rather than a fork of this one, because a forked copy of a
/// multi-threaded process can deadlock if the code it runs panics.
#[test]
#[ignore = "run by orphan_skips_a_grandparent_that_is_no_subreaper"]
fn grandparent_process() {
    if let Some(report) = std::env::var_os(HELPER) {
        let o = orphan().expect("orphan in the grandparent process");
        let line = format!("{} {} {}", o.pid, o.first_parent, o.new_parent);
        std::fs::write(report, line).expect("write the report");
    }
}

/// Starts H, which calls `orphan()`. H is not a subreaper; we are.
/// Returns H's pid and the orphan it reported.
fn orphan_from_a_grandparent() -> (Pid, Orphan) {
    // A file, not a pipe: the orphan inherits H's descriptors and lives on,
    // so a pipe from H would never reach end-of-file.
    let report = std::env::temp_dir().join(format!("linux-orphans-{}.report", getpid()));
    let _ = std::fs::remove_file(&report);
    let exe = std::env::current_exe().expect("current_exe");
    let mut helper = Command::new(exe)
        .args(["grandparent_process", "--exact", "--ignored", "--test-threads=1"])
        .env(HELPER, &report)
        .stdout(Stdio::null())
        .spawn()
        .expect("start the grandparent process");
    let grandparent = Pid::from_raw(helper.id() as i32);
    let status = helper.wait().expect("wait for the grandparent process");
    let line = std::fs::read_to_string(&report);
    let _ = std::fs::remove_file(&report);
    let line =
        line.unwrap_or_else(|_| panic!("the grandparent process reported no orphan ({status})"));
    let pids: Vec<Pid> =
        line.split(' ').map(|n| Pid::from_raw(n.parse().expect("a pid"))).collect();
    (grandparent, Orphan { pid: pids[0], first_parent: pids[1], new_parent: pids[2] })
}

#[test]
fn orphan_skips_a_grandparent_that_is_no_subreaper() {
    become_subreaper().expect("become_subreaper");
    let (grandparent, o) = orphan_from_a_grandparent();
    let _cleanup = Cleanup(vec![o.pid]);
    assert_ne!(o.new_parent, grandparent, "the grandparent is not a subreaper: it gets nothing");
    assert_eq!(o.new_parent, getpid(), "the nearest subreaper up the tree adopts the orphan");
    assert_eq!(ppid(o.pid), Some(getpid()));
}
