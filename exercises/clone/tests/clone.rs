//! Tests for the clone piece. They run against your code with
//! `cargo test -p clone` and against the reference with `cargo test -p clone-solution`.
//!
//! Between calls to your functions the tests do what the kernel would: run a
//! task (write its memory), put it to sleep on a futex, free dead threads,
//! and report a finished group to its parent with the reference wait piece.

use api::sim::{Machine, SimRunQueue};
use api::status::exited;
use api::{Errno, Flags, Memory, NPROC, Pid, Proc, RunQueue, State};
use clone::*;
use wait::Wait;

const CODE: u64 = 0x40_0000;
const DATA: u64 = 0x60_1000;
/// A page of tid words, as a thread library keeps them in its thread structs.
const TIDS: u64 = 0x60_2000;
const STACK: u64 = 0x7fff_ffff_e000;
/// Where a thread's own stack would be (the program maps it first).
const THREAD_STACK: u64 = 0x7000_1000;
const TLS: u64 = 0x7000_2000;
const SIGCHLD: u64 = 17;

/// What musl's `pthread_create` passes.
const MUSL_THREAD: u64 = CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_DETACHED;

/// init (pid 1) and its child, a process with code, data, tid words and a stack.
fn boot() -> (Machine, Pid) {
    let mut m = Machine::new(256);
    let init = m.spawn(0, "init", &[(CODE, b"\x0f\x05", Flags::empty())]);
    assert_eq!(init, INIT);
    let p = m.spawn(
        INIT,
        "app",
        &[
            (CODE, b"\x0f\x05code", Flags::empty()),
            (DATA, b"counter=1", Flags::WRITABLE | Flags::NO_EXECUTE),
            (TIDS, &[0xff; 64], Flags::WRITABLE | Flags::NO_EXECUTE),
            (STACK, b"stack", Flags::WRITABLE | Flags::NO_EXECUTE),
        ],
    );
    let p_ = m.procs.get_mut(p).unwrap();
    p_.kstack.tf.rax = 56; // clone's system call number, as on entry
    p_.kstack.tf.rip = CODE + 2;
    p_.kstack.tf.rsp = STACK + 0x800;
    p_.kstack.tf.rbx = 0xb0b;
    p_.fs_base = 0x7fff_0000_1000;
    (m, p)
}

/// Clones in the simulated machine, with a kernel that has nothing to prepare.
fn clone_(m: &mut Machine, caller: Pid, args: Args) -> Result<Pid, Errno> {
    clone(&mut m.procs, &mut m.mem, &mut m.rq, caller, &args, fork::copy_space, &mut |_| {})
}

/// A thread as `pthread_create` makes it, whose tid word is `TIDS + 4 * slot`.
fn thread(m: &mut Machine, caller: Pid, slot: u64) -> Pid {
    let args = Args {
        flags: MUSL_THREAD,
        stack: THREAD_STACK + 0x800 * slot,
        parent_tid: TIDS + 4 * slot,
        child_tid: TIDS + 4 * slot,
        tls: TLS + 0x100 * slot,
    };
    let tid = clone_(m, caller, args).expect("a thread as musl creates it");
    // CLONE_PARENT_SETTID: the kernel writes the tid where the joiner will wait.
    m.write(tid, TIDS + 4 * slot, &(tid as u32).to_le_bytes()).unwrap();
    tid
}

/// A process as `fork` makes it: clone(SIGCHLD).
fn fork_(m: &mut Machine, caller: Pid) -> Pid {
    clone_(m, caller, Args { flags: SIGCHLD, ..Args::default() }).expect("fork")
}

fn exit_(m: &mut Machine, tid: Pid, status: i32) -> Exit {
    exit(&mut m.procs, &mut m.mem, &mut m.rq, &mut m.futexes, tid, status)
}

fn exit_group_(m: &mut Machine, tid: Pid, status: i32) -> Exit {
    exit_group(&mut m.procs, &mut m.mem, &mut m.rq, &mut m.futexes, tid, status)
}

fn exec_(m: &mut Machine, tid: Pid) -> Pid {
    exec(&mut m.procs, &mut m.mem, &mut m.rq, &mut m.futexes, tid)
}

/// What the kernel does with a finished group: the wait piece's exit makes
/// the leader a zombie and tells its parent.
fn report(m: &mut Machine, e: Exit) {
    let Exit::GroupDead { leader, status } = e else {
        panic!("the group was over, but exit said {e:?}");
    };
    wait::exit(&mut m.procs, &mut m.mem, &mut m.rq, leader, status);
}

fn wait4(m: &mut Machine, me: Pid, target: Pid, options: i32) -> Result<Wait, Errno> {
    wait::wait4(&mut m.procs, me, target, options)
}

/// What the kernel does once dead threads are off the CPU: free them.
fn free_dead(m: &mut Machine) {
    let dead: Vec<Pid> = m
        .procs
        .iter()
        .filter(|p| p.state == State::Dead && p.pid != p.tgid)
        .map(|p| p.pid)
        .collect();
    for pid in dead {
        m.procs.remove(pid);
        m.futexes.forget(pid);
    }
}

/// FUTEX_WAIT, as the kernel does it once the word holds the expected value.
fn futex_wait(m: &mut Machine, pid: Pid, addr: u64) {
    let root = m.procs.get(pid).unwrap().space.as_ref().unwrap().root();
    m.futexes.queue(root, addr).push(pid);
    m.procs.get_mut(pid).unwrap().state = State::Sleeping;
    m.rq.remove(pid);
}

fn state(m: &Machine, pid: Pid) -> State {
    m.procs.get(pid).unwrap_or_else(|| panic!("pid {pid} is not in the table")).state
}

fn tgid(m: &Machine, pid: Pid) -> Pid {
    m.procs.get(pid).unwrap_or_else(|| panic!("pid {pid} is not in the table")).tgid
}

fn word(m: &mut Machine, pid: Pid, addr: u64) -> u32 {
    u32::from_le_bytes(m.read(pid, addr, 4).unwrap().try_into().unwrap())
}

fn users(m: &Machine, pid: Pid) -> u32 {
    m.procs.get(pid).unwrap().space.as_ref().expect("no address space").users(&m.mem)
}

#[test]
fn flags_linux_refuses_are_einval_and_change_nothing() {
    let (mut m, p) = boot();
    let frames = m.mem.free_frames();
    let refused = [
        (CLONE_THREAD | CLONE_VM, "CLONE_THREAD needs CLONE_SIGHAND"),
        (CLONE_SIGHAND, "CLONE_SIGHAND needs CLONE_VM"),
        (CLONE_SIGHAND | CLONE_THREAD, "CLONE_SIGHAND needs CLONE_VM"),
        (0x2000_0000 | SIGCHLD, "CLONE_NEWPID: no namespaces"),
        (0x0002_0000 | SIGCHLD, "CLONE_NEWNS: no namespaces"),
        (0x1000 | SIGCHLD, "CLONE_PIDFD: no pidfds"),
        (0x2000 | SIGCHLD, "CLONE_PTRACE: no tracing"),
        (0x0080_0000 | SIGCHLD, "CLONE_UNTRACED: no tracing"),
        (0x8000_0000 | SIGCHLD, "CLONE_IO: no I/O contexts"),
        (MUSL_THREAD | 0x0400_0000, "CLONE_NEWUTS: no namespaces"),
    ];
    for (flags, why) in refused {
        let r = clone_(&mut m, p, Args { flags, ..Args::default() });
        assert_eq!(r, Err(Errno::EINVAL), "flags {flags:#x}: {why}");
    }
    let r = clone_(&mut m, INIT, Args { flags: CLONE_PARENT | SIGCHLD, ..Args::default() });
    assert_eq!(r, Err(Errno::EINVAL), "init may not make a sibling: nobody would reap it");
    assert_eq!(m.mem.free_frames(), frames, "a refused clone must not take a frame");
    assert_eq!(m.procs.len(), 2, "a refused clone must not add a task");
    assert!(m.rq.queue.is_empty(), "a refused clone must not queue anything");
    assert_eq!(state(&m, p), State::Running);
    let next = fork_(&mut m, p);
    assert_eq!(next, p + 1, "a refused clone must not use up a pid");
}

#[test]
fn the_flags_of_pthread_create_fork_and_vfork_are_accepted() {
    let (mut m, p) = boot();
    let glibc_thread = MUSL_THREAD & !CLONE_DETACHED;
    let glibc_fork = CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD;
    for flags in [MUSL_THREAD, glibc_thread, glibc_fork, SIGCHLD, 0, CLONE_VM | SIGCHLD] {
        let args = Args { flags, stack: THREAD_STACK, child_tid: TIDS, ..Args::default() };
        assert!(clone_(&mut m, p, args).is_ok(), "flags {flags:#x} must be accepted");
    }
    // The clone system call reads only the low 32 bits of its flags.
    let high = (1 << 32) | SIGCHLD;
    assert!(clone_(&mut m, p, Args { flags: high, ..Args::default() }).is_ok());
    let vfork = Args { flags: CLONE_VM | CLONE_VFORK | SIGCHLD, ..Args::default() };
    assert!(clone_(&mut m, p, vfork).is_ok(), "vfork's flags must be accepted");
}

#[test]
fn a_thread_shares_its_parents_memory() {
    let (mut m, p) = boot();
    let t = thread(&mut m, p, 0);
    assert_eq!(m.read(t, DATA, 9).unwrap(), b"counter=1");
    m.write(t, DATA, b"counter=2").unwrap();
    assert_eq!(
        m.read(p, DATA, 9).unwrap(),
        b"counter=2",
        "the thread's write must reach its parent"
    );
    m.write(p, STACK, b"STACK").unwrap();
    assert_eq!(m.read(t, STACK, 5).unwrap(), b"STACK", "the parent's write must reach the thread");
    let (pp, tp) = (m.pages(p), m.pages(t));
    assert_eq!(pp, tp, "a thread sees the same pages in the same frames");
    assert_eq!(users(&m, p), 2, "two tasks use one address space");
    // Memory mapped later by one of them is there for the other too.
    let frame = m.mem.alloc().unwrap();
    let space = m.procs.get_mut(t).unwrap().space.as_mut().unwrap();
    space.map(&mut m.mem, 0x50_0000, frame, Flags::WRITABLE).unwrap();
    m.write(t, 0x50_0000, b"mmap").unwrap();
    assert_eq!(m.read(p, 0x50_0000, 4).unwrap(), b"mmap", "one address space, not a copy");
}

#[test]
fn without_clone_vm_the_child_gets_a_copy() {
    let (mut m, p) = boot();
    let c = fork_(&mut m, p);
    m.write(c, DATA, b"counter=2").unwrap();
    assert_eq!(m.read(p, DATA, 9).unwrap(), b"counter=1", "a write by the child leaked");
    assert_eq!((users(&m, p), users(&m, c)), (1, 1), "two processes, two address spaces");
}

#[test]
fn getpid_of_every_thread_is_the_leaders_pid() {
    let (mut m, p) = boot();
    let t1 = thread(&mut m, p, 0);
    let t2 = thread(&mut m, t1, 1);
    assert!(p < t1 && t1 < t2, "every task has its own pid (its tid): {p} {t1} {t2}");
    assert_eq!(tgid(&m, p), p, "the first thread leads the group");
    assert_eq!(tgid(&m, t1), p, "getpid in a thread must return its process's pid");
    assert_eq!(tgid(&m, t2), p, "a thread's thread joins the same group, not a group of one");
    for t in [t1, t2] {
        assert_eq!(m.procs.get(t).unwrap().ppid, INIT, "getppid is the process's parent");
    }
    assert_eq!(m.procs.children(INIT), [p], "threads are nobody's children");
    assert_eq!(wait4(&mut m, INIT, t1, 0), Err(Errno::ECHILD), "wait4 never reports a thread");
    assert_eq!(wait4(&mut m, INIT, p, wait::WNOHANG), Ok(Wait::NotYet));
}

#[test]
fn a_new_process_is_a_child_of_the_callers_group() {
    let (mut m, p) = boot();
    let t = thread(&mut m, p, 0);
    let c = fork_(&mut m, t);
    assert_eq!(tgid(&m, c), c, "a new process leads a group of its own");
    assert_eq!(m.procs.get(c).unwrap().ppid, p, "its parent is the process, not the thread");
    assert_eq!(m.procs.children(p), [c], "any thread of the group may wait for it");
    let args = Args { flags: CLONE_PARENT | SIGCHLD, ..Args::default() };
    let s = clone_(&mut m, t, args).unwrap();
    assert_eq!(m.procs.get(s).unwrap().ppid, INIT, "CLONE_PARENT makes a sibling of the caller");
    assert_eq!(tgid(&m, s), s);
    assert_eq!(m.procs.children(INIT), [p, s]);
}

#[test]
fn the_child_gets_its_own_stack_and_tls() {
    let (mut m, p) = boot();
    let t = thread(&mut m, p, 2);
    let (pt, tt) = (&m.procs.get(p).unwrap(), &m.procs.get(t).unwrap());
    assert_eq!(tt.kstack.tf.rax, 0, "the child sees 0 as clone's result");
    assert_eq!(pt.kstack.tf.rax, 56, "the parent's saved registers must not change");
    assert_eq!(
        (tt.kstack.tf.rip, tt.kstack.tf.rbx),
        (CODE + 2, 0xb0b),
        "same place, same registers"
    );
    assert_eq!(
        tt.kstack.tf.rsp,
        THREAD_STACK + 0x1000,
        "a thread starts on the stack it was given"
    );
    assert_eq!(tt.fs_base, TLS + 0x200, "CLONE_SETTLS gives the thread its own TLS");
    assert_eq!(pt.fs_base, 0x7fff_0000_1000, "the parent keeps its TLS");
    assert_eq!(tt.name, "app");
    let c = fork_(&mut m, p);
    let ct = &m.procs.get(c).unwrap();
    assert_eq!(ct.kstack.tf.rsp, STACK + 0x800, "with no stack given the child keeps the parent's");
    assert_eq!(
        ct.fs_base, 0x7fff_0000_1000,
        "without CLONE_SETTLS the child keeps the parent's TLS"
    );
}

#[test]
fn clear_child_tid_is_set_only_by_its_flag() {
    let (mut m, p) = boot();
    m.procs.get_mut(p).unwrap().clear_child_tid = Some(TIDS + 60); // set_tid_address
    let t = thread(&mut m, p, 3);
    assert_eq!(m.procs.get(t).unwrap().clear_child_tid, Some(TIDS + 12));
    let args = Args { flags: SIGCHLD, child_tid: TIDS + 16, ..Args::default() };
    let c = clone_(&mut m, p, args).unwrap();
    assert_eq!(m.procs.get(c).unwrap().clear_child_tid, None, "it is not inherited, nor implied");
}

#[test]
fn a_full_table_or_no_memory_changes_nothing() {
    let (mut m, p) = boot();
    // Sharing memory costs no frame: a thread needs no page tables of its own.
    m.mem.leave_free(0);
    let t = thread(&mut m, p, 0);
    assert_eq!(tgid(&m, t), p);
    assert_eq!(
        clone_(&mut m, p, Args { flags: SIGCHLD, ..Args::default() }),
        Err(Errno::ENOMEM),
        "a copy needs frames"
    );
    assert_eq!(m.procs.len(), 3, "a failed clone must not add a task");
    assert_eq!(users(&m, p), 2);
    let (mut m, p) = boot();
    while m.procs.len() < NPROC {
        thread(&mut m, p, 0);
    }
    let frames = m.mem.free_frames();
    let queued = m.rq.queue.len();
    assert_eq!(
        clone_(&mut m, p, Args { flags: MUSL_THREAD, ..Args::default() }),
        Err(Errno::EAGAIN)
    );
    assert_eq!(clone_(&mut m, p, Args { flags: SIGCHLD, ..Args::default() }), Err(Errno::EAGAIN));
    assert_eq!(m.mem.free_frames(), frames, "a full table must cost no frame");
    assert_eq!(users(&m, p), NPROC as u32 - 1, "a failed thread must not stay counted as a user");
    assert_eq!(m.rq.queue.len(), queued);
}

#[test]
fn a_thread_exit_clears_its_tid_word_and_wakes_one_joiner() {
    let (mut m, p) = boot();
    let t = thread(&mut m, p, 1);
    let other = thread(&mut m, p, 2);
    let bystander = thread(&mut m, p, 3);
    let ctid = TIDS + 4;
    assert_eq!(word(&mut m, p, ctid), t as u32);
    // pthread_join in two threads, and a third waiting on another word.
    futex_wait(&mut m, p, ctid);
    futex_wait(&mut m, other, ctid);
    futex_wait(&mut m, bystander, TIDS + 12);
    assert_eq!(exit_(&mut m, t, exited(0)), Exit::GroupLives);
    assert_eq!(word(&mut m, p, ctid), 0, "the exiting thread's tid word must become 0");
    assert_eq!(word(&mut m, p, TIDS + 8), other as u32, "only its own word");
    assert_eq!(state(&m, p), State::Runnable, "the joiner that waited longest must wake");
    assert_eq!(m.rq.queue.iter().filter(|&&q| q == p).count(), 1, "and go on the run queue");
    assert_eq!(state(&m, other), State::Sleeping, "FUTEX_WAKE with 1: only one waiter wakes");
    assert_eq!(state(&m, bystander), State::Sleeping, "a waiter on another word stays asleep");
    assert_eq!(m.procs.get(t).unwrap().clear_child_tid, None, "the word is cleared once");
}

#[test]
fn a_thread_exit_leaves_the_memory_to_the_others() {
    let (mut m, p) = boot();
    let t1 = thread(&mut m, p, 0);
    let t2 = thread(&mut m, p, 1);
    let frames = m.mem.free_frames();
    assert_eq!(exit_(&mut m, t1, exited(0)), Exit::GroupLives);
    assert_eq!(m.mem.free_frames(), frames, "a thread's exit freed memory its group still uses");
    assert!(m.procs.get(t1).unwrap().space.is_none(), "a dead thread holds no memory");
    assert_eq!(users(&m, p), 2, "one user less");
    assert_eq!(state(&m, t1), State::Dead);
    assert!(!m.rq.queue.contains(&t1), "a dead thread must never run again");
    m.write(t2, DATA, b"counter=3").unwrap();
    assert_eq!(m.read(p, DATA, 9).unwrap(), b"counter=3");
    assert_eq!(exit_(&mut m, t2, exited(0)), Exit::GroupLives);
    assert_eq!(users(&m, p), 1);
    assert_eq!(m.read(p, STACK, 5).unwrap(), b"stack", "the leader's memory must survive");
}

#[test]
fn the_last_task_out_frees_the_memory() {
    for order in [[0, 1, 2], [2, 1, 0], [1, 0, 2]] {
        let (mut m, p) = boot();
        let before = m.mem.free_frames();
        let t1 = thread(&mut m, p, 0);
        let t2 = thread(&mut m, p, 1);
        let tasks = [p, t1, t2];
        let pages = m.pages(p).len();
        for (n, i) in order.into_iter().enumerate() {
            let e = exit_(&mut m, tasks[i], exited(i as i32));
            if n < 2 {
                assert_eq!(e, Exit::GroupLives, "exit order {order:?}: tasks are left");
                assert_eq!(m.mem.free_frames(), before, "exit order {order:?}: freed too soon");
            } else {
                assert_eq!(e, Exit::GroupDead { leader: p, status: exited(0) });
            }
        }
        assert!(
            m.mem.free_frames() >= before + pages,
            "exit order {order:?}: the last task out must free the pages and page tables"
        );
        let kept = m.procs.iter().filter(|t| t.tgid == p && t.space.is_some()).count();
        assert_eq!(kept, 0, "no dead task may keep memory");
    }
}

#[test]
fn a_single_threaded_process_ends_its_group_at_once() {
    let (mut m, p) = boot();
    let frames = m.mem.free_frames();
    let c = fork_(&mut m, p);
    let e = exit_(&mut m, c, exited(4));
    assert_eq!(e, Exit::GroupDead { leader: c, status: exited(4) });
    assert_eq!(m.mem.free_frames(), frames, "its memory is freed at once");
    report(&mut m, e);
    assert_eq!(wait4(&mut m, p, -1, 0), Ok(Wait::Reaped(c, exited(4))));
}

#[test]
fn exit_group_ends_every_thread() {
    let (mut m, p) = boot();
    let before = m.mem.free_frames();
    let t1 = thread(&mut m, p, 0);
    let t2 = thread(&mut m, p, 1);
    let t3 = thread(&mut m, p, 2);
    futex_wait(&mut m, t2, DATA);
    let root = m.procs.get(p).unwrap().space.as_ref().unwrap().root();
    let other = fork_(&mut m, p);
    let e = exit_group_(&mut m, t3, exited(7));
    assert_eq!(e, Exit::GroupDead { leader: p, status: exited(7) });
    for t in [p, t1, t2, t3] {
        assert_eq!(state(&m, t), State::Dead, "pid {t}: exit_group must end every thread");
        assert!(!m.rq.queue.contains(&t), "pid {t}: a dead thread must never run again");
        assert!(m.procs.get(t).unwrap().space.is_none(), "pid {t}: a dead thread holds no memory");
    }
    assert_eq!(state(&m, other), State::Runnable, "another process is not part of the group");
    assert_eq!(m.futexes.wake(&mut m.procs, &mut m.rq, root, DATA, 9), 0, "no thread left to wake");
    free_dead(&mut m);
    report(&mut m, e);
    assert_eq!(wait4(&mut m, INIT, -1, 0), Ok(Wait::Reaped(p, exited(7))));
    let e = exit_(&mut m, other, exited(0));
    report(&mut m, e);
    assert_eq!(wait4(&mut m, INIT, -1, 0), Ok(Wait::Reaped(other, exited(0))));
    assert!(m.mem.free_frames() > before, "exit_group must free the group's memory");
}

#[test]
fn a_leader_that_exits_first_waits_for_its_threads() {
    let (mut m, p) = boot();
    let t = thread(&mut m, p, 0);
    assert_eq!(exit_(&mut m, p, exited(3)), Exit::GroupLives, "the thread still runs");
    assert_eq!(state(&m, p), State::Dead, "the leader has exited");
    assert_eq!(
        wait4(&mut m, INIT, -1, wait::WNOHANG),
        Ok(Wait::NotYet),
        "the parent must not reap a leader while its threads live"
    );
    assert_eq!(wait4(&mut m, INIT, p, 0), Ok(Wait::Block));
    m.write(t, DATA, b"counter=9").unwrap();
    assert_eq!(m.read(t, DATA, 9).unwrap(), b"counter=9", "the thread keeps the memory");
    let e = exit_(&mut m, t, exited(5));
    assert_eq!(
        e,
        Exit::GroupDead { leader: p, status: exited(3) },
        "the group is over; its status is the leader's own exit status"
    );
    free_dead(&mut m);
    report(&mut m, e);
    assert_eq!(wait4(&mut m, INIT, -1, 0), Ok(Wait::Reaped(p, exited(3))));
    assert!(m.procs.get(t).is_none());
}

#[test]
fn the_status_of_exit_group_wins_over_the_leaders() {
    let (mut m, p) = boot();
    let t = thread(&mut m, p, 0);
    assert_eq!(exit_(&mut m, p, exited(3)), Exit::GroupLives);
    assert_eq!(exit_group_(&mut m, t, exited(6)), Exit::GroupDead { leader: p, status: exited(6) });
}

#[test]
fn a_vfork_parent_sleeps_until_its_child_exits() {
    let (mut m, p) = boot();
    let args = Args { flags: CLONE_VM | CLONE_VFORK | SIGCHLD, ..Args::default() };
    let c = clone_(&mut m, p, args).unwrap();
    assert_eq!(state(&m, p), State::Sleeping, "vfork's parent must sleep while its child runs");
    assert!(!m.rq.queue.contains(&p), "vfork's parent must not be on the run queue");
    assert_eq!(m.rq.queue, [c], "the child runs");
    assert_eq!(tgid(&m, c), c, "a vfork child is a process of its own");
    m.write(c, DATA, b"counter=5").unwrap();
    assert_eq!(m.read(p, DATA, 9).unwrap(), b"counter=5", "the child runs in the parent's memory");
    // Another child's exit is not the one the parent waits for.
    let other = fork_(&mut m, INIT);
    let e = exit_(&mut m, other, exited(0));
    report(&mut m, e);
    assert_eq!(state(&m, p), State::Sleeping, "only its vfork child can wake it");
    let e = exit_(&mut m, c, exited(1));
    assert_eq!(state(&m, p), State::Runnable, "the child's exit must wake its vfork parent");
    assert!(m.rq.queue.contains(&p));
    assert_eq!(users(&m, p), 1, "the parent has its memory back");
    report(&mut m, e);
    assert_eq!(wait4(&mut m, p, c, 0), Ok(Wait::Reaped(c, exited(1))));
}

#[test]
fn a_vfork_parent_sleeps_until_its_child_execs() {
    let (mut m, p) = boot();
    let args = Args { flags: CLONE_VM | CLONE_VFORK | SIGCHLD, ..Args::default() };
    let c = clone_(&mut m, p, args).unwrap();
    assert_eq!(state(&m, p), State::Sleeping);
    assert_eq!(exec_(&mut m, c), c, "a process alone keeps its pid");
    assert_eq!(state(&m, p), State::Runnable, "the child's exec must wake its vfork parent");
    assert_eq!(m.procs.get(c).unwrap().vfork_done, None);
    assert_eq!(state(&m, c), State::Runnable, "exec does not end the child");
}

#[test]
fn a_dead_vfork_parent_stays_dead() {
    let (mut m, p) = boot();
    let t = thread(&mut m, p, 0);
    let args = Args { flags: CLONE_VM | CLONE_VFORK | SIGCHLD, ..Args::default() };
    let c = clone_(&mut m, t, args).unwrap();
    assert_eq!(state(&m, t), State::Sleeping);
    let e = exit_group_(&mut m, p, exited(1));
    report(&mut m, e);
    assert_eq!(state(&m, t), State::Dead);
    exit_(&mut m, c, exited(0));
    assert_eq!(state(&m, t), State::Dead, "a vfork parent killed meanwhile must not run again");
    assert!(!m.rq.queue.contains(&t));
}

#[test]
fn exec_in_a_thread_kills_the_others_and_takes_the_leaders_pid() {
    let (mut m, p) = boot();
    let start = m.procs.get(p).unwrap().start;
    let t1 = thread(&mut m, p, 0);
    let t2 = thread(&mut m, p, 1);
    futex_wait(&mut m, t1, DATA);
    assert_eq!(exec_(&mut m, t2), p, "after exec the caller has the process's pid");
    free_dead(&mut m);
    let group: Vec<Pid> = m.procs.iter().filter(|t| t.tgid == p).map(|t| t.pid).collect();
    assert_eq!(group, [p], "exec leaves one task in the group");
    assert!(m.procs.get(t2).is_none(), "the old tid is gone");
    let me = m.procs.get(p).unwrap();
    assert_eq!(me.kstack.tf.rsp, THREAD_STACK + 0x800, "the task itself is the exec'ing thread");
    assert_eq!((me.ppid, me.start), (INIT, start), "it takes the leader's place");
    assert_ne!(me.state, State::Dead);
    assert_eq!(users(&m, p), 1, "the killed threads gave up the memory");
    assert_eq!(m.procs.children(INIT), [p]);
    // The leader execs: its threads die, it stays.
    let t3 = thread(&mut m, p, 2);
    assert_eq!(exec_(&mut m, p), p);
    assert_eq!(state(&m, t3), State::Dead, "exec must kill the other threads");
    assert_eq!(users(&m, p), 1);
}

#[test]
fn thread_lifecycles_leak_nothing() {
    let (mut m, p) = boot();
    let frames = m.mem.free_frames();
    // More cycles than the table has slots: a dead thread left behind would fill it.
    for i in 0..3 * NPROC as i32 {
        let t = thread(&mut m, p, (i % 8) as u64);
        let u = thread(&mut m, t, 8);
        let c = fork_(&mut m, u);
        assert_eq!(exit_(&mut m, u, exited(0)), Exit::GroupLives);
        assert_eq!(exit_(&mut m, t, exited(0)), Exit::GroupLives);
        let e = exit_(&mut m, c, exited(i));
        report(&mut m, e);
        free_dead(&mut m);
        assert_eq!(wait4(&mut m, p, -1, 0), Ok(Wait::Reaped(c, exited(i))));
    }
    assert_eq!(m.mem.free_frames(), frames, "frames leaked");
    assert_eq!(m.procs.len(), 2, "tasks leaked: only init and the process should be left");
    assert_eq!(users(&m, p), 1);
}

#[test]
fn the_kernel_prepares_the_child_before_it_is_queued() {
    let (mut m, p) = boot();
    let mut rq = SimRunQueue::default();
    let mut seen = Vec::new();
    let mut prepare = |child: &mut Proc| {
        seen.push((child.pid, child.tgid, child.kstack.tf.rax, child.kstack.tf.rsp));
        child.saved_sp = 0x5af3;
    };
    let args = Args { flags: MUSL_THREAD, stack: THREAD_STACK, ..Args::default() };
    let t = clone(&mut m.procs, &mut m.mem, &mut rq, p, &args, fork::copy_space, &mut prepare);
    let t = t.unwrap();
    assert_eq!(
        seen,
        [(t, p, 0, THREAD_STACK)],
        "call prepare once, with the finished child: its pid and group, rax 0, its own stack"
    );
    assert_eq!(rq.queued, [(t, Some(0x5af3))], "the child must be prepared before it is queued");
}
