//! Threads share a thread group id; fork makes a new group.
//!
//! Your functions run in a lab process (see the `contain` crate): the test
//! asks it to call them, and checks each answer against /proc, where the
//! lab process's threads are listed under /proc/PID/task.

#[path = "../../linux-states/tests/support/mod.rs"]
mod support;

use std::collections::HashSet;
use std::path::Path;

use contain::Lab;
use linux_threads::{Ids, my_ids, tasks, with_threads};
use nix::unistd::{Pid, getpid, gettid};
use support::{Cleanup, ended_child, eventually, named_child, tgid};

/// Ids as plain data, (tgid, tid): no type of the lab crosses to the test.
type Plain = (i32, i32);

fn plain(ids: Ids) -> Plain {
    (ids.tgid.as_raw(), ids.tid.as_raw())
}

/// In the lab process: `tasks(pid)`, as plain data (an error as its kind).
fn their_tasks(pid: i32) -> Result<Vec<i32>, String> {
    let tids = tasks(Pid::from_raw(pid)).map_err(|e| format!("{:?}", e.kind()))?;
    Ok(tids.into_iter().map(Pid::as_raw).collect())
}

/// What /proc says: the threads of `pid`, sorted.
fn listing(pid: Pid) -> Vec<i32> {
    let mut tids: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|dir| dir.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default();
    tids.sort();
    tids
}

fn alive(lab: &Lab, tid: i32) -> bool {
    Path::new(&format!("/proc/{}/task/{tid}", lab.pid())).exists()
}

#[test]
fn my_ids_are_getpid_and_gettid() {
    let mut lab = Lab::new();
    lab.start(
        |()| {
            // On a second thread, which lives while the test looks at it.
            let other =
                std::thread::scope(|s| s.spawn(|| contain::report(&plain(my_ids()))).join());
            other.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            plain(my_ids())
        },
        (),
    )
    .expect("start");
    let (tgid, tid) = lab.report::<Plain>();
    let me = lab.pid().as_raw();
    assert_eq!(tgid, me, "a thread's getpid() is its process's pid");
    assert_ne!(tid, me, "a second thread has a tid of its own");
    assert!(alive(&lab, tid), "{tid} is a thread of the lab process");
    assert_eq!(lab.finish::<Plain>(), (me, me), "the leader's tid is the pid");
}

#[test]
fn threads_share_the_tgid() {
    let mut lab = Lab::new();
    lab.start(
        |()| {
            with_threads(4, |ids| {
                let ids: Vec<Plain> = ids.iter().copied().map(plain).collect();
                contain::report(&ids);
                ids
            })
        },
        (),
    )
    .expect("start");
    let ids: Vec<Plain> = lab.report();
    let me = lab.pid().as_raw();
    assert_eq!(ids.len(), 4);
    for &(tgid, tid) in &ids {
        assert_eq!(tgid, me, "every thread's getpid() is the process's");
        assert_ne!(tid, me, "ids must come from the new threads, not the caller");
        assert!(alive(&lab, tid), "{tid} is a live thread of the lab process while f runs");
    }
    let distinct: HashSet<i32> = ids.iter().map(|id| id.1).collect();
    assert_eq!(distinct.len(), 4, "each thread has its own tid: {ids:?}");
    assert_eq!(lab.finish::<Vec<Plain>>(), ids, "with_threads returns what f returned");
}

#[test]
fn proc_lists_every_thread() {
    let mut lab = Lab::new();
    lab.start(
        |()| {
            with_threads(3, |ids| {
                let ids: Vec<Plain> = ids.iter().copied().map(plain).collect();
                contain::report(&(ids.clone(), their_tasks(nix::unistd::getpid().as_raw())));
                ids
            })
        },
        (),
    )
    .expect("start");
    let (ids, listed): (Vec<Plain>, Result<Vec<i32>, String>) = lab.report();
    let truth = listing(lab.pid());
    assert_eq!(truth.len(), 4, "the lab process and its three threads: {truth:?}");
    assert_eq!(listed, Ok(truth), "tasks() lists /proc/PID/task, sorted");
    for (_, tid) in &ids {
        assert_eq!(
            tgid(Pid::from_raw(*tid)),
            Some(lab.pid()),
            "/proc/{tid}/status names its group"
        );
    }
    lab.finish::<Vec<Plain>>();
    // Joined threads leave the list (once the kernel is done with them).
    let pid = lab.pid().as_raw();
    eventually("the joined threads to leave /proc", || {
        let now = lab.call(their_tasks, pid).ok()?;
        (now == vec![pid] && listing(lab.pid()) == now).then_some(())
    });
}

#[test]
fn proc_hides_threads_from_its_listing() {
    let mut lab = Lab::new();
    lab.start(|()| with_threads(1, |ids| contain::report(&plain(ids[0]))), ()).expect("start");
    let (_, tid) = lab.report::<Plain>();
    let listed = std::fs::read_dir("/proc")
        .expect("/proc")
        .any(|e| e.is_ok_and(|e| e.file_name() == tid.to_string().as_str()));
    assert!(!listed, "readdir(/proc) shows thread groups only");
    assert_eq!(tgid(Pid::from_raw(tid)), Some(lab.pid()), "yet /proc/{tid} opens");
    lab.finish::<()>();
}

#[test]
fn fork_makes_a_new_thread_group() {
    // Its name is there to trip a parser of /proc/PID/stat; tasks() needs none.
    let child = named_child(c"x) R (y", false);
    let _cleanup = Cleanup(vec![child]);
    assert_eq!(tgid(child), Some(child), "the child leads a thread group of its own");
    let mut lab = Lab::new();
    let ask = |lab: &mut Lab, pid: Pid| lab.call(their_tasks, pid.as_raw());
    assert_eq!(ask(&mut lab, child), Ok(vec![child.as_raw()]), "one thread, the leader");
    // This test process has several threads; fork copied only the calling one.
    let ours = ask(&mut lab, getpid()).expect("tasks of the test process");
    assert!(ours.len() > 1, "the test harness runs tests on threads: {ours:?}");
    assert!(ours.contains(&gettid().as_raw()) && ours.contains(&getpid().as_raw()), "{ours:?}");
    assert!(ours.is_sorted(), "sorted: {ours:?}");
}

#[test]
fn tasks_of_a_process_that_is_gone_is_an_error() {
    let gone = ended_child();
    let answer = Lab::new().call(their_tasks, gone.as_raw());
    assert_eq!(answer, Err("NotFound".into()), "no such process: an error, not an empty list");
}
