//! `clone()`: a new task that shares with its parent what the flags say; and
//! how threads and thread groups end.
//!
//! Linux creates every task in `kernel_clone()` → `copy_process()`, and the
//! clone flags decide, resource by resource, whether the child shares its
//! parent's or gets its own: `copy_mm()` takes a reference on the parent's
//! `mm` with `CLONE_VM` and duplicates it without; `CLONE_THREAD` puts the
//! child in its parent's thread group; `copy_thread()` gives it its own stack
//! and TLS. A thread ends in `do_exit()`, where `mm_release()` clears its
//! `clear_child_tid` word and wakes a futex waiter (that is `pthread_join`)
//! and ends a vfork, and `exit_notify()` keeps a leader whose threads still
//! run as an unreportable zombie (`delay_group_leader`). `exit_group` is
//! `do_group_exit()`: `zap_other_threads()`, then `do_exit()`. An `execve`
//! in a thread group runs `de_thread()`: the other threads die and the caller
//! takes over the leader's pid. This piece makes the same decisions on our
//! task table; the kernel around it does the rest.
#![no_std]

extern crate alloc;

use alloc::vec::Vec;
use api::{AddressSpace, Errno, Futexes, Memory, Pid, Proc, Procs, RunQueue, State};

// ANCHOR: flags
pub use api::abi::{
    CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_DETACHED, CLONE_FILES, CLONE_FS, CLONE_PARENT,
    CLONE_PARENT_SETTID, CLONE_SETTLS, CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD, CLONE_VFORK,
    CLONE_VM, CSIGNAL,
};

/// Every flag this kernel accepts besides the exit signal. We have no file
/// table, filesystem context, signal handlers or System V semaphores, so
/// sharing them changes nothing. The flags left out ask for what we do not
/// have (namespaces, pidfds, tracing, I/O contexts): `EINVAL`.
pub const SUPPORTED: u64 = CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_VFORK
    | CLONE_PARENT
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_DETACHED
    | CLONE_CHILD_SETTID;

/// The pid of init, which may not give itself siblings (`CLONE_PARENT`).
pub const INIT: Pid = 1;
// ANCHOR_END: flags

// ANCHOR: types
/// clone's five arguments, in the order x86_64 passes them in registers
/// (Linux: `struct kernel_clone_args`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Args {
    pub flags: u64,
    /// Where the child's stack pointer starts; 0 keeps the parent's.
    pub stack: u64,
    /// `CLONE_PARENT_SETTID`: where the kernel writes the new tid.
    pub parent_tid: u64,
    /// `CLONE_CHILD_SETTID` and `CLONE_CHILD_CLEARTID`: the child's tid word.
    pub child_tid: u64,
    /// `CLONE_SETTLS`: the child's FS base.
    pub tls: u64,
}

/// How the child gets a copy of memory it does not share, the same
/// function fork uses: an eager copy or a copy-on-write one.
pub type CopySpace = fn(&mut dyn Memory, &mut AddressSpace) -> Result<AddressSpace, Errno>;

/// The kernel's part of building a child, the same as fork's: call it on the
/// finished child just before it is queued (Linux's `copy_thread()` builds
/// the frame the child's first context switch lands on).
pub type Prepare<'a> = &'a mut dyn FnMut(&mut Proc);

/// What the kernel must still do after a task has exited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Other tasks of its thread group still run: its parent hears nothing.
    GroupLives,
    /// That was the group's last task: `leader` must now become a zombie
    /// holding `status`, and its parent be told (the wait piece's `exit`).
    GroupDead { leader: Pid, status: i32 },
}
// ANCHOR_END: types

// ANCHOR: clone
/// `clone(flags, stack, parent_tid, child_tid, tls)` called by task
/// `parent`. Returns the child's pid (its tid).
///
/// Errors, before anything changes: `EINVAL` for flags Linux refuses or we
/// do not model; `EAGAIN` when the task table is full; `ENOMEM`.
pub fn clone(
    procs: &mut Procs,
    mem: &mut dyn Memory,
    rq: &mut dyn RunQueue,
    parent: Pid,
    args: &Args,
    copy: CopySpace,
    prepare: Prepare,
) -> Result<Pid, Errno> {
    // The clone system call reads only the low 32 bits (clone3 has more).
    let flags = args.flags & 0xffff_ffff;
    check_flags(flags, procs.get(parent).ok_or(Errno::ESRCH)?.tgid)?;
    let pid = procs.alloc_pid()?;
    let p = procs.get_mut(parent).ok_or(Errno::ESRCH)?;
    let space = match &mut p.space {
        Some(space) if flags & CLONE_VM != 0 => Some(space.share(mem)),
        Some(space) => Some(copy(mem, space)?),
        None => None,
    };
    let mut child = Proc::new(pid, p.tgid, &p.name);
    child.space = space;
    if flags & CLONE_THREAD != 0 {
        child.tgid = p.tgid;
    }
    if flags & (CLONE_THREAD | CLONE_PARENT) != 0 {
        child.ppid = p.ppid;
    }
    copy_thread(&mut child, p, flags, args);
    if flags & CLONE_VFORK != 0 {
        child.vfork_done = Some(parent);
    }
    // Only a child that is ready to run may be queued.
    prepare(&mut child);
    if let Err(child) = procs.insert(child) {
        if let Some(space) = child.space {
            space.release(mem);
        }
        return Err(Errno::EAGAIN);
    }
    rq.make_runnable(procs, pid);
    if flags & CLONE_VFORK != 0 {
        // The parent lends its memory: it sleeps until the child gives it back.
        procs.get_mut(parent).ok_or(Errno::ESRCH)?.state = State::Sleeping;
        rq.remove(parent);
    }
    Ok(pid)
}
// ANCHOR_END: clone

// ANCHOR: check_flags
/// Linux's rules, as `copy_process()` checks them: a thread group shares
/// signal handlers, and signal handlers only make sense in shared memory.
fn check_flags(flags: u64, tgid: Pid) -> Result<(), Errno> {
    let has = |f: u64| flags & f != 0;
    if flags & !(SUPPORTED | CSIGNAL) != 0
        || (has(CLONE_THREAD) && !has(CLONE_SIGHAND))
        || (has(CLONE_SIGHAND) && !has(CLONE_VM))
        // A sibling of init would have no parent to reap it.
        || (has(CLONE_PARENT) && tgid == INIT)
    {
        return Err(Errno::EINVAL);
    }
    Ok(())
}
// ANCHOR_END: check_flags

// ANCHOR: copy_thread
/// The child's registers (Linux: `copy_thread()`): the parent's, with 0 for
/// clone's result, and its own stack and thread-local storage if asked.
fn copy_thread(child: &mut Proc, parent: &Proc, flags: u64, args: &Args) {
    child.kstack.tf = parent.kstack.tf;
    child.kstack.tf.rax = 0;
    if args.stack != 0 {
        child.kstack.tf.rsp = args.stack;
    }
    child.fs_base = if flags & CLONE_SETTLS != 0 { args.tls } else { parent.fs_base };
    if flags & CLONE_CHILD_CLEARTID != 0 {
        child.clear_child_tid = Some(args.child_tid);
    }
}
// ANCHOR_END: copy_thread

// ANCHOR: exit
/// Task `tid` ends alone (the `exit` system call): one thread, not its
/// whole group. It becomes `Dead`. If it was the last task of its group,
/// the group is over and the kernel must report its leader.
pub fn exit(
    procs: &mut Procs,
    mem: &mut dyn Memory,
    rq: &mut dyn RunQueue,
    futexes: &mut Futexes,
    tid: Pid,
    status: i32,
) -> Exit {
    do_exit(procs, mem, rq, futexes, tid, status);
    let tgid = procs.get(tid).expect("exit: no such task").tgid;
    if procs.iter().any(|p| p.tgid == tgid && alive(p)) {
        return Exit::GroupLives;
    }
    // The leader stays in the table until then: an unreportable Dead
    // while its threads ran (Linux's delay_group_leader), or a zombie soon.
    let leader = procs.get(tgid).expect("a group's leader outlives its threads");
    Exit::GroupDead { leader: tgid, status: leader.exit_status }
}
// ANCHOR_END: exit

// ANCHOR: exit_group
/// Every task of `tid`'s thread group ends (`exit_group`, or a fatal fault):
/// the others are killed, the group's status is `status`, whatever the
/// leader's own was, and then `tid` exits.
pub fn exit_group(
    procs: &mut Procs,
    mem: &mut dyn Memory,
    rq: &mut dyn RunQueue,
    futexes: &mut Futexes,
    tid: Pid,
    status: i32,
) -> Exit {
    let tgid = zap_other_threads(procs, mem, rq, futexes, tid, status);
    if let Some(leader) = procs.get_mut(tgid) {
        leader.exit_status = status;
    }
    exit(procs, mem, rq, futexes, tid, status)
}
// ANCHOR_END: exit_group

// ANCHOR: exec
/// Task `tid` is about to run a new program (its `execve` has loaded it):
/// Linux's `de_thread()`. The other tasks of its group die; if `tid` is not
/// the leader, it takes the leader's place and pid, as `getpid` promised.
/// Then it lets go of its old memory (`mm_release`). Returns its pid now.
pub fn exec(
    procs: &mut Procs,
    mem: &mut dyn Memory,
    rq: &mut dyn RunQueue,
    futexes: &mut Futexes,
    tid: Pid,
) -> Pid {
    let tgid = zap_other_threads(procs, mem, rq, futexes, tid, 0);
    if tid != tgid {
        let leader = procs.remove(tgid).expect("a group's leader outlives its threads");
        let me = procs.get_mut(tid).expect("exec: no such task");
        me.pid = tgid;
        me.start = leader.start;
    }
    mm_release(procs, mem, rq, futexes, tgid);
    tgid
}
// ANCHOR_END: exec

// ANCHOR: do_exit
/// What every dying task goes through, alone or killed with its group:
/// `mm_release`, then its memory (freed by the last task that uses it),
/// then off the CPU for good.
fn do_exit(
    procs: &mut Procs,
    mem: &mut dyn Memory,
    rq: &mut dyn RunQueue,
    futexes: &mut Futexes,
    tid: Pid,
    status: i32,
) {
    mm_release(procs, mem, rq, futexes, tid);
    let p = procs.get_mut(tid).expect("exit: no such task");
    if let Some(space) = p.space.take() {
        space.release(mem);
    }
    p.state = State::Dead;
    p.exit_status = status;
    rq.remove(tid);
}

/// Still running, runnable or asleep: not yet through `do_exit`.
fn alive(p: &Proc) -> bool {
    !matches!(p.state, State::Dead | State::Zombie)
}

/// Kills every live task of `tid`'s group but `tid`. Returns the group's id.
fn zap_other_threads(
    procs: &mut Procs,
    mem: &mut dyn Memory,
    rq: &mut dyn RunQueue,
    futexes: &mut Futexes,
    tid: Pid,
    status: i32,
) -> Pid {
    let tgid = procs.get(tid).expect("no such task").tgid;
    let others: Vec<Pid> = procs
        .iter()
        .filter(|p| p.tgid == tgid && p.pid != tid && alive(p))
        .map(|p| p.pid)
        .collect();
    for other in others {
        do_exit(procs, mem, rq, futexes, other, status);
    }
    tgid
}
// ANCHOR_END: do_exit

// ANCHOR: mm_release
/// What a task owes others when it lets go of its memory, at exit or exec
/// (Linux: `mm_release()`). Its `clear_child_tid` word, if anyone else can
/// see it, becomes 0 and one futex waiter there wakes: that is how
/// `pthread_join` learns the thread is gone. A vfork parent gets its
/// memory back and wakes.
fn mm_release(
    procs: &mut Procs,
    mem: &mut dyn Memory,
    rq: &mut dyn RunQueue,
    futexes: &mut Futexes,
    tid: Pid,
) {
    let p = procs.get_mut(tid).expect("no such task");
    let vfork_parent = p.vfork_done.take();
    if let (Some(addr), Some(space)) = (p.clear_child_tid.take(), &p.space)
        && space.users(mem) > 1
    {
        // Like Linux, ignore a bad address: it is the program's own word.
        let _ = space.write_user(mem, addr, &0u32.to_le_bytes());
        let root = space.root();
        futexes.wake(procs, rq, root, addr, 1);
    }
    if let Some(parent) = vfork_parent
        && procs.get(parent).is_some_and(|p| p.state == State::Sleeping)
    {
        rq.make_runnable(procs, parent);
    }
}
// ANCHOR_END: mm_release
