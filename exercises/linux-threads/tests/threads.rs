//! Threads share a thread group id; fork makes a new group.

#[path = "../../linux-states/tests/support/mod.rs"]
mod support;

use std::collections::HashSet;

use linux_threads::{Ids, my_ids, tasks, with_threads};
use nix::unistd::{ForkResult, Pid, fork, getpid, gettid, pause};
use support::{Cleanup, eventually, tgid};

#[test]
fn my_ids_are_getpid_and_gettid() {
    assert_eq!(my_ids(), Ids { tgid: getpid(), tid: gettid() });
}

#[test]
fn threads_share_the_tgid() {
    let me = gettid();
    let ids = with_threads(4, |ids| ids.to_vec());
    assert_eq!(ids.len(), 4);
    for id in &ids {
        assert_eq!(id.tgid, getpid(), "every thread's getpid() is the process's");
        assert_ne!(id.tid, id.tgid, "a new thread is not the group leader");
        assert_ne!(id.tid, me, "ids must come from the new threads");
    }
    let distinct: HashSet<Pid> = ids.iter().map(|id| id.tid).collect();
    assert_eq!(distinct.len(), 4, "each thread has its own tid: {ids:?}");
}

#[test]
fn proc_lists_every_thread() {
    let ids = with_threads(3, |ids| {
        let mut expected: Vec<Pid> = ids.iter().map(|id| id.tid).collect();
        expected.extend([getpid(), gettid()]);
        // Other tests start and end threads meanwhile, and a readdir of
        // /proc/PID/task that races with a thread's exit can come back
        // short. Every thread we expect is alive, so a retry sees it.
        let listed = eventually("every live thread in /proc/PID/task", || {
            let listed = tasks(getpid()).expect("tasks");
            expected.iter().all(|tid| listed.contains(tid)).then_some(listed)
        });
        assert!(listed.is_sorted(), "sorted: {listed:?}");
        for id in ids {
            assert_eq!(tgid(id.tid), Some(getpid()), "/proc/{}/status names its group", id.tid);
        }
        ids.to_vec()
    });
    // Joined threads leave the list (once the kernel is done with them).
    eventually("the joined threads to leave /proc", || {
        let now = tasks(getpid()).ok()?;
        ids.iter().all(|id| !now.contains(&id.tid)).then_some(())
    });
}

#[test]
fn proc_hides_threads_from_its_listing() {
    with_threads(1, |ids| {
        let tid = ids[0].tid;
        let listed = std::fs::read_dir("/proc")
            .expect("/proc")
            .any(|e| e.is_ok_and(|e| e.file_name() == tid.to_string().as_str()));
        assert!(!listed, "readdir(/proc) shows thread groups only");
        assert_eq!(tgid(tid), Some(getpid()), "yet /proc/{tid} opens");
    });
}

#[test]
fn fork_makes_a_new_thread_group() {
    // SAFETY: the child only calls pause until it is killed.
    let child = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => loop {
            pause();
        },
        ForkResult::Parent { child } => child,
    };
    let _cleanup = Cleanup(vec![child]);
    assert_ne!(child, getpid());
    assert_eq!(tgid(child), Some(child), "the child leads a thread group of its own");
    // This process has several threads; fork copied only the calling one.
    assert!(
        tasks(getpid()).expect("our tasks").len() > 1,
        "the test harness runs tests on threads"
    );
    assert_eq!(tasks(child).expect("the child's tasks"), vec![child], "one thread, the leader");
}
