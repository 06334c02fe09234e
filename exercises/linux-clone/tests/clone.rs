//! clone's flags decide what the child is: a thread of this process, or a
//! process of its own; sharing this memory, or a copy of it.
//!
//! Your functions run in a lab process (see the `contain` crate): the test
//! asks it to call them, and checks each answer against /proc. The clone
//! `with_clone` makes is a thread or a child of the lab process, and the
//! lab process waits while the test looks at it.
//!
//! `task_status` reads /proc/TID/status, where the command name has a line
//! of its own (`Name:`). Names made to look like the lines it must find
//! (`Pid: 1`, `Tgid: 1`, `Threads: 9`), with spaces, parentheses and a
//! trailing space, check that it matches a line's key, not text anywhere.
//! A task that ends before its status is read is an error (`NotFound`).

#[path = "../../linux-states/tests/support/mod.rs"]
mod support;

use contain::Lab;
use linux_clone::{Cloned, task_status, with_clone};
use nix::errno::Errno;
use nix::sched::CloneFlags;
use nix::unistd::{Pid, getpid, gettid};
use support::{
    Cleanup, HOSTILE_NAMES, ended_child, eventually, named_child, ppid, status_field, tgid,
};

/// What `pthread_create` asks for, the part that makes a thread.
fn thread_flags() -> CloneFlags {
    CloneFlags::CLONE_VM
        | CloneFlags::CLONE_FS
        | CloneFlags::CLONE_FILES
        | CloneFlags::CLONE_SIGHAND
        | CloneFlags::CLONE_THREAD
}

/// A status as plain data, (tgid, pid, threads); an error as its kind. No
/// type of the lab crosses to the test.
type Status = Result<(i32, i32, usize), String>;

/// A clone's report as plain data: (tgid, tid, memory_shared).
type Plain = (i32, i32, bool);

fn plain(c: &Cloned) -> Plain {
    (c.ids.tgid.as_raw(), c.ids.tid.as_raw(), c.memory_shared)
}

/// In the lab process: `task_status(tid)`.
fn their_status(tid: i32) -> Status {
    let s = task_status(Pid::from_raw(tid)).map_err(|e| format!("{:?}", e.kind()))?;
    Ok((s.tgid.as_raw(), s.pid.as_raw(), s.threads))
}

/// In the lab process: `with_clone(flags)`, reporting the child's ids while
/// it lives (the test looks at it then), and answering them again.
fn clone_and_report(flags: i32) -> Result<Plain, i32> {
    let flags = CloneFlags::from_bits_retain(flags);
    with_clone(flags, |c| {
        contain::report(&(plain(c), their_status(c.ids.tid.as_raw())));
        plain(c)
    })
    .map_err(|e| e as i32)
}

/// In the lab process: `with_clone(flags)` with an `f` that only answers.
fn clone_quietly(flags: i32) -> Result<Plain, i32> {
    with_clone(CloneFlags::from_bits_retain(flags), plain).map_err(|e| e as i32)
}

/// Starts `clone_and_report` and returns the child's report and status.
fn start_clone(lab: &mut Lab, flags: CloneFlags) -> (Plain, Status) {
    lab.start(clone_and_report, flags.bits()).expect("start");
    lab.report()
}

/// What /proc says: the threads of `pid`, sorted.
fn tasks(pid: Pid) -> Vec<Pid> {
    let mut tids: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| d.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default();
    tids.sort();
    tids.into_iter().map(Pid::from_raw).collect()
}

/// What /proc says: (Tgid, Pid, Threads) of a task.
fn truth(tid: Pid) -> Option<(i32, i32, usize)> {
    let number = |key| status_field(tid, key)?.parse::<i32>().ok();
    Some((number("Tgid")?, number("Pid")?, number("Threads")?.try_into().ok()?))
}

fn exists(tid: i32) -> bool {
    std::path::Path::new(&format!("/proc/{tid}")).exists()
}

#[test]
fn task_status_reads_tgid_pid_and_threads() {
    let mut lab = Lab::new();
    let me = lab.pid();
    assert_eq!(lab.call(their_status, me.as_raw()), Ok((me.as_raw(), me.as_raw(), 1)));
    // A thread of this test process: its Tgid is ours, its Threads more than one.
    let (tx, rx) = std::sync::mpsc::channel();
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let t = std::thread::spawn(move || {
        tx.send(gettid()).unwrap();
        let _ = wait.recv();
    });
    let tid = rx.recv().unwrap();
    // Other tests start and end threads meanwhile: compare at a quiet moment.
    let seen = eventually("Threads: as /proc says", || {
        let seen = lab.call(their_status, tid.as_raw()).ok()?;
        (Some(seen) == truth(tid)).then_some(seen)
    });
    assert_eq!((seen.0, seen.1), (getpid().as_raw(), tid.as_raw()), "a thread's Tgid, Pid");
    assert!(seen.2 >= 2, "Threads: counts the whole group");
    drop(done);
    t.join().unwrap();
    let gone = lab.call(their_status, i32::MAX);
    assert_eq!(gone, Err("NotFound".into()), "no such task");
}

#[test]
fn task_status_finds_the_lines_whatever_the_name() {
    let names = [c"Pid: 1 ) R (", c"Tgid: 1 Pid: 1", c"x Threads: 9 ", c"(Tgid:\t1)"];
    let names = names.iter().chain(&HOSTILE_NAMES);
    let pids: Vec<Pid> = names.map(|name| named_child(name, false)).collect();
    let _cleanup = Cleanup(pids.clone());
    let mut lab = Lab::new();
    for pid in pids {
        let p = pid.as_raw();
        let name = support::comm(pid);
        assert_eq!(lab.call(their_status, p), Ok((p, p, 1)), "the process named {name:?}");
    }
}

#[test]
fn task_status_of_a_task_that_ended_is_not_found() {
    let gone = ended_child();
    let answer = Lab::new().call(their_status, gone.as_raw());
    assert_eq!(answer, Err("NotFound".into()), "an error, and the right one");
}

#[test]
fn a_thread_joins_the_callers_group() {
    let mut lab = Lab::new();
    let me = lab.pid();
    let ((tgid_seen, tid, _), status) = start_clone(&mut lab, thread_flags());
    let tid_pid = Pid::from_raw(tid);
    assert_eq!(tgid_seen, me.as_raw(), "getpid() in a thread is its process's pid");
    assert_ne!(tid, me.as_raw(), "a new thread has an id of its own");
    assert_eq!(tgid(tid_pid), Some(me), "/proc/{tid}/status says Tgid: the lab process");
    assert!(tasks(me).contains(&tid_pid), "it is listed in /proc/{me}/task");
    let threads = truth(tid_pid).expect("its status").2;
    assert_eq!(status, Ok((me.as_raw(), tid, threads)), "task_status of the thread");
    assert!(threads >= 2, "Threads: counts the caller and the new thread at least");
    assert_eq!(lab.finish::<Result<Plain, i32>>().map(|c| c.1), Ok(tid), "f's answer");
}

#[test]
fn a_thread_shares_the_callers_memory() {
    let seen = Lab::new().call(clone_quietly, thread_flags().bits()).expect("clone a thread");
    assert!(seen.2, "the thread's write must be in the caller's memory");
}

#[test]
fn without_flags_the_child_is_a_process_with_a_copy() {
    let mut lab = Lab::new();
    let me = lab.pid();
    let ((tgid_seen, tid, _), status) = start_clone(&mut lab, CloneFlags::empty());
    let tid_pid = Pid::from_raw(tid);
    assert_eq!(tgid_seen, tid, "a new process leads its own group");
    assert_ne!(tid, me.as_raw());
    assert_eq!(tgid(tid_pid), Some(tid_pid), "/proc/{tid}/status agrees");
    assert_eq!(ppid(tid_pid), Some(me), "the lab process is its parent");
    assert_eq!(tasks(tid_pid), [tid_pid], "one thread, itself");
    assert!(!tasks(me).contains(&tid_pid), "it is not one of the caller's threads");
    assert_eq!(status, Ok((tid, tid, 1)), "task_status of the child");
    let c = lab.finish::<Result<Plain, i32>>().expect("clone a process");
    assert!(!c.2, "without CLONE_VM the child writes into its own copy");
}

#[test]
fn clone_vm_alone_shares_memory_but_not_the_group() {
    let mut lab = Lab::new();
    let me = lab.pid();
    let ((tgid_seen, tid, _), _) = start_clone(&mut lab, CloneFlags::CLONE_VM);
    let tid_pid = Pid::from_raw(tid);
    assert_eq!(tgid_seen, tid, "without CLONE_THREAD it is a process of its own");
    assert_eq!(tgid(tid_pid), Some(tid_pid), "/proc/{tid}/status agrees");
    assert_eq!(ppid(tid_pid), Some(me));
    assert!(!tasks(me).contains(&tid_pid));
    let c = lab.finish::<Result<Plain, i32>>().expect("clone with CLONE_VM");
    assert!(c.2, "with CLONE_VM the child writes into the caller's memory");
}

/// In the lab process: `with_clone(flags)` with an `f` that must not run.
fn clone_refused(flags: i32) -> Result<(), i32> {
    let flags = CloneFlags::from_bits_retain(flags);
    with_clone(flags, |_| panic!("{flags:?}: no child should exist")).map_err(|e| e as i32)
}

#[test]
fn linux_refuses_a_thread_without_shared_handlers_or_memory() {
    let refused = [
        CloneFlags::CLONE_THREAD,
        CloneFlags::CLONE_THREAD | CloneFlags::CLONE_VM,
        CloneFlags::CLONE_SIGHAND,
        CloneFlags::CLONE_THREAD | CloneFlags::CLONE_SIGHAND,
    ];
    let mut lab = Lab::new();
    for flags in refused {
        let answer = lab.call(clone_refused, flags.bits());
        assert_eq!(answer, Err(Errno::EINVAL as i32), "{flags:?}");
    }
    assert!(contain::children(lab.pid()).is_empty(), "no child was made");
}

#[test]
fn the_child_is_gone_when_with_clone_returns() {
    let mut lab = Lab::new();
    for flags in [thread_flags(), CloneFlags::empty(), CloneFlags::CLONE_VM] {
        let (_, tid, _) = lab.call(clone_quietly, flags.bits()).expect("clone");
        assert!(
            !exists(tid),
            "{flags:?}: task {tid} must have ended, and been reaped if it was a process"
        );
    }
}

/// In the lab process: `with_clone(flags)` with an `f` that reports the
/// child's tid and then panics; answers whether the panic came through.
fn clone_and_panic(flags: i32) -> bool {
    let flags = CloneFlags::from_bits_retain(flags);
    let r = std::panic::catch_unwind(|| {
        let _ = with_clone(flags, |c| {
            contain::report(&c.ids.tid.as_raw());
            panic!("a failing check")
        });
    });
    r.is_err()
}

#[test]
fn a_panicking_f_still_lets_the_child_go() {
    let mut lab = Lab::new();
    for flags in [thread_flags(), CloneFlags::empty()] {
        lab.start(clone_and_panic, flags.bits()).expect("start");
        let tid: i32 = lab.report();
        assert!(exists(tid), "{flags:?}: the child lives while f runs");
        assert!(lab.finish::<bool>(), "{flags:?}: the panic goes through");
        assert!(
            !exists(tid),
            "{flags:?}: the child must be released and waited for even when f panics"
        );
    }
}
