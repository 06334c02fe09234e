//! Exercise: `fork()`, a new process that is a copy of its parent.
//!
//! Read the chapter "fork in the mini-kernel" first. Run the tests with
//! `cargo test -p fork`; they all fail until you fill in the two functions.
#![no_std]

use api::{AddressSpace, Errno, Memory, Pid, Proc, Procs, RunQueue};

// ANCHOR: api
/// How fork gets the child's memory: [`copy_space`] copies every page now;
/// the `cow` piece shares them and copies on the first write. The parent's
/// space is `&mut` because sharing changes it too: its writable pages become
/// read-only until one side writes.
pub type CopySpace = fn(&mut dyn Memory, &mut AddressSpace) -> Result<AddressSpace, Errno>;

/// The kernel's part of building a child, to call on the finished child just
/// before it is queued: Linux's `copy_thread()` builds the frame the child's
/// first context switch lands on, and so does the kernel here.
pub type Prepare<'a> = &'a mut dyn FnMut(&mut Proc);

/// Creates a child of `parent` and queues it to run. Returns the child's pid,
/// which the kernel hands back to the parent; the child must see 0 in `rax`.
///
/// Steps: take a pid from `procs`; build an [`api::Proc`] whose memory comes
/// from `copy(mem, parent's space)` and whose trap frame is the parent's;
/// make the child's `rax` 0; hand it to `prepare`; put it in `procs`; make it
/// runnable on `rq`.
///
/// Errors: `EAGAIN` when the task table is full, `ENOMEM` when memory runs out.
/// On error nothing may have changed: no frame lost, no task added.
pub fn fork(
    procs: &mut Procs,
    mem: &mut dyn Memory,
    rq: &mut dyn RunQueue,
    parent: Pid,
    copy: CopySpace,
    prepare: Prepare,
) -> Result<Pid, Errno> {
    let _ = (procs, mem, rq, parent, copy, prepare);
    todo!("fork: allocate a pid, copy the parent, make the child runnable")
}

/// Copies every user page of `parent` into fresh frames, with the same
/// addresses and permissions (see [`AddressSpace::pages`]). If memory runs
/// out half-way, give back everything allocated so far and return `ENOMEM`.
pub fn copy_space(mem: &mut dyn Memory, parent: &mut AddressSpace) -> Result<AddressSpace, Errno> {
    let _ = (mem, parent);
    todo!("copy_space: a fresh frame for every user page")
}
// ANCHOR_END: api
