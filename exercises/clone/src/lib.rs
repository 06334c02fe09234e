//! Exercise: `clone()`, threads and thread groups.
//!
//! Read the chapter "Exercise: clone and threads" first. Run the tests with
//! `cargo test -p clone`; they all fail until you fill in the four functions.
//! The constants and types at the top are given.
#![no_std]

extern crate alloc;

use api::{AddressSpace, Errno, Futexes, Memory, Pid, Proc, Procs, RunQueue};

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

// ANCHOR: api
/// `clone(flags, stack, parent_tid, child_tid, tls)` called by task
/// `parent`: a new task, queued to run, that shares with `parent` what the
/// flags say. Returns the child's pid (its tid).
///
/// 1. Only the low 32 bits of `args.flags` count (the clone system call
///    ignores the rest). Refuse with `EINVAL`, before anything changes:
///    a flag outside [`SUPPORTED`] and [`CSIGNAL`]; `CLONE_THREAD` without
///    `CLONE_SIGHAND`; `CLONE_SIGHAND` without `CLONE_VM`; `CLONE_PARENT`
///    from any task of [`INIT`]'s group.
/// 2. A pid from `procs` (`EAGAIN` when the table is full).
/// 3. Memory: with `CLONE_VM` the child uses the parent's own address space
///    ([`AddressSpace::share`]); without it, a `copy` (`ENOMEM`).
/// 4. The group and the parent: with `CLONE_THREAD` the child joins the
///    parent's thread group (the parent's `tgid`); without it, it leads a new
///    one (`tgid` = its own pid). Its `ppid` names a process, never a thread:
///    the parent's `tgid`, or with `CLONE_THREAD` or `CLONE_PARENT` the
///    parent's own `ppid` (the child becomes its sibling).
/// 5. Registers: the parent's trap frame with 0 in `rax`; `rsp` = `stack`
///    if that is not 0; `fs_base` = `tls` with `CLONE_SETTLS`, else the
///    parent's. The name is the parent's.
/// 6. `clear_child_tid` = `child_tid` with `CLONE_CHILD_CLEARTID`, else None.
///    (The kernel itself writes the tids `CLONE_PARENT_SETTID` and
///    `CLONE_CHILD_SETTID` ask for, after you return.)
/// 7. Hand the finished child to `prepare`, then put it in `procs` and make
///    it runnable.
/// 8. `CLONE_VFORK`: the child's `vfork_done` = `parent`, and the parent
///    sleeps until the child execs or exits: make it `Sleeping` and take it
///    off the run queue. (The kernel then runs someone else.)
pub fn clone(
    procs: &mut Procs,
    mem: &mut dyn Memory,
    rq: &mut dyn RunQueue,
    parent: Pid,
    args: &Args,
    copy: CopySpace,
    prepare: Prepare,
) -> Result<Pid, Errno> {
    let _ = (procs, mem, rq, parent, args, copy, prepare);
    todo!("clone: check the flags, share or copy, join a group or lead one, a stack and TLS")
}

/// Task `tid` ends alone (the `exit` system call): one thread, not its
/// whole group.
///
/// 1. Let go of its memory as Linux's `mm_release()` does. If it has a
///    `clear_child_tid` address (take it) and another task still uses its
///    address space ([`AddressSpace::users`] above 1), write a 0 `u32`
///    there, ignoring errors, and wake one task sleeping on that futex
///    ([`Futexes::wake`], keyed by the space's root). If it is a vfork
///    child, wake the `vfork_done` parent (take it) if that is `Sleeping`.
/// 2. Take its address space and [`AddressSpace::release`] it: the last
///    task that uses it frees it, no one before.
/// 3. Take it off the run queue; `State::Dead`, with `status` in
///    `exit_status`. (The kernel frees a dead thread once it is off the CPU;
///    a dead leader stays in the table.)
/// 4. If no task of its group is still alive (neither `Dead` nor `Zombie`),
///    return `GroupDead` with the group's leader (its `tgid`) and the
///    leader's `exit_status`; otherwise `GroupLives`. Never make the leader a
///    zombie while one of its threads lives: its parent would reap it.
pub fn exit(
    procs: &mut Procs,
    mem: &mut dyn Memory,
    rq: &mut dyn RunQueue,
    futexes: &mut Futexes,
    tid: Pid,
    status: i32,
) -> Exit {
    let _ = (procs, mem, rq, futexes, tid, status);
    todo!("exit: clear the tid word, wake, release the memory, and is the group over?")
}

/// Every task of `tid`'s thread group ends (`exit_group`, or a fatal fault).
/// Every other live task of the group goes through steps 1 to 3 of [`exit`]
/// with `status`; the leader's `exit_status` becomes `status` (the group's
/// status wins over the leader's own); then `tid` itself [`exit`]s.
pub fn exit_group(
    procs: &mut Procs,
    mem: &mut dyn Memory,
    rq: &mut dyn RunQueue,
    futexes: &mut Futexes,
    tid: Pid,
    status: i32,
) -> Exit {
    let _ = (procs, mem, rq, futexes, tid, status);
    todo!("exit_group: kill the other threads, then exit")
}

/// Task `tid` is about to run a new program (its `execve` has loaded it).
/// Every other live task of its group goes through steps 1 to 3 of [`exit`].
/// If `tid` is not the leader, it takes the leader's place: take the old
/// leader out of `procs` and give `tid` the leader's pid (the `pid` field)
/// and `start`. Then step 1 of [`exit`] for it. Returns its pid now.
pub fn exec(
    procs: &mut Procs,
    mem: &mut dyn Memory,
    rq: &mut dyn RunQueue,
    futexes: &mut Futexes,
    tid: Pid,
) -> Pid {
    let _ = (procs, mem, rq, futexes, tid);
    todo!("exec: kill the other threads, take over the leader's pid, let go of the memory")
}
// ANCHOR_END: api
