//! Threads share a thread group id; fork makes a new group.

#[path = "../../linux-states/tests/support/mod.rs"]
mod support;

use std::collections::HashSet;
use std::io::{Read, Write};

use linux_threads::{Ids, my_ids, tasks, with_threads};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, getpid, gettid};
use support::{eventually, tgid};

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
    let (ids, listed) = with_threads(3, |ids| (ids.to_vec(), tasks(getpid()).expect("tasks")));
    assert!(listed.is_sorted(), "sorted: {listed:?}");
    assert!(listed.contains(&getpid()), "the leader is a task too: {listed:?}");
    assert!(listed.contains(&gettid()), "so is this test's thread: {listed:?}");
    for id in &ids {
        assert!(listed.contains(&id.tid), "{} missing from /proc/{}/task: {listed:?}", id.tid, getpid());
        assert_eq!(tgid(id.tid), Some(getpid()), "/proc/{}/status names its group", id.tid);
    }
    // Joined threads are gone from the list (once the kernel is done with them).
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
    let (mut rx, mut tx) = std::io::pipe().expect("pipe");
    // SAFETY: the child calls the lab's my_ids, formats and writes: glibc's
    // malloc is usable after fork, and nothing here takes a Rust lock.
    let child = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            let ids = std::panic::catch_unwind(my_ids);
            if let Ok(ids) = ids {
                let _ = tx.write_all(format!("{} {}", ids.tgid, ids.tid).as_bytes());
            }
            unsafe { nix::libc::_exit(0) }
        }
        ForkResult::Parent { child } => child,
    };
    drop(tx);
    let mut text = String::new();
    rx.read_to_string(&mut text).expect("read");
    assert_eq!(waitpid(child, None), Ok(WaitStatus::Exited(child, 0)));
    let seen: Vec<i32> = text.split(' ').filter_map(|n| n.parse().ok()).collect();
    assert_eq!(seen.len(), 2, "the child reports its ids, got {text:?}");
    let (child_tgid, child_tid) = (Pid::from_raw(seen[0]), Pid::from_raw(seen[1]));
    assert_eq!(child_tgid, child, "the child's getpid() is what fork returned");
    assert_ne!(child_tgid, getpid(), "fork makes a new thread group");
    assert_eq!(child_tid, child_tgid, "the child's only thread leads its group");
}
