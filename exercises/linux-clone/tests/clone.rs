//! clone's flags decide what the child is: a thread of this process, or a
//! process of its own; sharing this memory, or a copy of it.

#[path = "../../linux-states/tests/support/mod.rs"]
mod support;

use linux_clone::{Cloned, task_status, with_clone};
use nix::errno::Errno;
use nix::sched::CloneFlags;
use nix::sys::wait::waitpid;
use nix::unistd::{Pid, getpid, gettid};
use support::{eventually, ppid, status_field, tgid};

/// What `pthread_create` asks for, the part that makes a thread.
fn thread_flags() -> CloneFlags {
    CloneFlags::CLONE_VM
        | CloneFlags::CLONE_FS
        | CloneFlags::CLONE_FILES
        | CloneFlags::CLONE_SIGHAND
        | CloneFlags::CLONE_THREAD
}

/// The entries of /proc/PID/task: the tids of a process's threads.
fn tasks(pid: Pid) -> Vec<Pid> {
    let mut tids: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| d.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default();
    tids.sort();
    tids.into_iter().map(Pid::from_raw).collect()
}

fn threads_of(pid: Pid) -> usize {
    status_field(pid, "Threads").and_then(|t| t.parse().ok()).expect("Threads:")
}

#[test]
fn task_status_reads_tgid_pid_and_threads() {
    let me = task_status(gettid()).expect("our own status");
    assert_eq!((me.tgid, me.pid), (getpid(), gettid()));
    assert!(me.threads >= 1);
    let (tx, rx) = std::sync::mpsc::channel();
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let t = std::thread::spawn(move || {
        tx.send(gettid()).unwrap();
        let _ = wait.recv();
    });
    let tid = rx.recv().unwrap();
    let seen = task_status(tid).expect("a live thread's status");
    assert_eq!(seen.tgid, getpid(), "a thread's Tgid is its process");
    assert_eq!(seen.pid, tid, "Pid: is the thread's own id");
    assert!(seen.threads >= 2, "Threads: counts the whole group");
    // Other tests start and end threads meanwhile: compare at a quiet moment.
    eventually("Threads: as /proc says", || {
        (task_status(tid).ok()?.threads == threads_of(tid)).then_some(())
    });
    drop(done);
    t.join().unwrap();
    let gone = task_status(Pid::from_raw(i32::MAX)).expect_err("no such task");
    assert_eq!(gone.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn a_thread_joins_the_callers_group() {
    let me = getpid();
    with_clone(thread_flags(), |c: &Cloned| {
        assert_eq!(c.ids.tgid, me, "getpid() in a thread is its process's pid");
        assert_ne!(c.ids.tid, me, "a new thread has an id of its own");
        assert_eq!(tgid(c.ids.tid), Some(me), "/proc/TID/status says Tgid: our pid");
        assert!(tasks(me).contains(&c.ids.tid), "it is listed in /proc/{me}/task");
        let status = task_status(c.ids.tid).expect("its status");
        assert_eq!((status.tgid, status.pid), (me, c.ids.tid));
        assert!(status.threads >= 2, "Threads: counts the caller and the new thread at least");
        assert_eq!(waitpid(c.ids.tid, None), Err(Errno::ECHILD), "a thread is nobody's child");
    })
    .expect("clone a thread");
}

#[test]
fn a_thread_shares_the_callers_memory() {
    let seen = with_clone(thread_flags(), |c| c.memory_shared).expect("clone a thread");
    assert!(seen, "the thread's write must be in our memory");
}

#[test]
fn without_flags_the_child_is_a_process_with_a_copy() {
    let me = getpid();
    let c = with_clone(CloneFlags::empty(), |c: &Cloned| {
        assert_eq!(c.ids.tgid, c.ids.tid, "a new process leads its own group");
        assert_ne!(c.ids.tgid, me);
        assert_eq!(ppid(c.ids.tid), Some(me), "we are its parent");
        assert_eq!(tasks(c.ids.tid), [c.ids.tid], "one thread, itself");
        assert!(!tasks(me).contains(&c.ids.tid), "it is not one of our threads");
        assert_eq!(task_status(c.ids.tid).expect("its status").threads, 1);
        *c
    })
    .expect("clone a process");
    assert!(!c.memory_shared, "without CLONE_VM the child writes into its own copy");
}

#[test]
fn clone_vm_alone_shares_memory_but_not_the_group() {
    let me = getpid();
    let c = with_clone(CloneFlags::CLONE_VM, |c: &Cloned| {
        assert_eq!(c.ids.tgid, c.ids.tid, "without CLONE_THREAD it is a process of its own");
        assert_eq!(ppid(c.ids.tid), Some(me));
        assert!(!tasks(me).contains(&c.ids.tid));
        *c
    })
    .expect("clone with CLONE_VM");
    assert!(c.memory_shared, "with CLONE_VM the child writes into our memory");
}

#[test]
fn linux_refuses_a_thread_without_shared_handlers_or_memory() {
    let refused = [
        CloneFlags::CLONE_THREAD,
        CloneFlags::CLONE_THREAD | CloneFlags::CLONE_VM,
        CloneFlags::CLONE_SIGHAND,
        CloneFlags::CLONE_THREAD | CloneFlags::CLONE_SIGHAND,
    ];
    for flags in refused {
        let r = with_clone(flags, |_| panic!("{flags:?}: no child should exist"));
        assert_eq!(r.err(), Some(Errno::EINVAL), "{flags:?}");
    }
}

#[test]
fn the_child_is_gone_when_with_clone_returns() {
    for flags in [thread_flags(), CloneFlags::empty(), CloneFlags::CLONE_VM] {
        let tid = with_clone(flags, |c| c.ids.tid).expect("clone");
        assert!(
            !std::path::Path::new(&format!("/proc/{tid}")).exists(),
            "{flags:?}: task {tid} must have ended, and been reaped if it was a process"
        );
        assert_eq!(waitpid(tid, None), Err(Errno::ECHILD), "{flags:?}: already reaped");
    }
}

#[test]
fn a_panicking_f_still_lets_the_child_go() {
    for flags in [thread_flags(), CloneFlags::empty()] {
        let tid = std::sync::Mutex::new(None);
        let r = std::panic::catch_unwind(|| {
            let _ = with_clone(flags, |c| {
                *tid.lock().unwrap() = Some(c.ids.tid);
                panic!("a failing check")
            });
        });
        assert!(r.is_err(), "the panic goes through");
        let tid = tid.lock().unwrap().expect("f was called");
        assert!(
            !std::path::Path::new(&format!("/proc/{tid}")).exists(),
            "{flags:?}: the child must be released and waited for even when f panics"
        );
    }
}
