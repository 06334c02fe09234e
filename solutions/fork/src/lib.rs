//! `fork()`: a new process that is a copy of its parent.
//!
//! Linux does this in `kernel_clone()` → `copy_process()`: allocate a pid and
//! a `task_struct`, duplicate or share each resource the clone flags name
//! (`copy_mm` for memory), copy the parent's saved registers with the child's
//! return value set to 0 (`copy_thread`), link it into the tree, and finally
//! `wake_up_new_task()`. This piece does the same steps on our task table.
#![no_std]

use api::{AddressSpace, Errno, Memory, Pid, Proc, Procs, RunQueue};

/// How fork gets the child's memory: [`copy_space`] copies every page now;
/// the `cow` piece shares them and copies on the first write. The parent's
/// space is `&mut` because sharing changes it too: its writable pages become
/// read-only until one side writes.
pub type CopySpace = fn(&mut dyn Memory, &mut AddressSpace) -> Result<AddressSpace, Errno>;

/// The kernel's part of building a child, called on the finished child just
/// before it is queued: Linux's `copy_thread()` builds the frame the child's
/// first context switch lands on, and so does the kernel here.
pub type Prepare<'a> = &'a mut dyn FnMut(&mut Proc);

// ANCHOR: fork
/// Creates a child of `parent` and queues it to run. Returns the child's pid,
/// which the kernel hands back to the parent; the child will see 0.
///
/// Errors: `EAGAIN` when the task table is full, `ENOMEM` when memory runs out.
/// On error nothing has changed: no pid taken from the table, no frame lost.
pub fn fork(
    procs: &mut Procs,
    mem: &mut dyn Memory,
    rq: &mut dyn RunQueue,
    parent: Pid,
    copy: CopySpace,
    prepare: Prepare,
) -> Result<Pid, Errno> {
    let pid = procs.alloc_pid()?;
    let p = procs.get_mut(parent).ok_or(Errno::ESRCH)?;
    let space = match &mut p.space {
        Some(s) => Some(copy(mem, s)?),
        None => None,
    };
    let mut child = Proc::new(pid, parent, &p.name);
    child.space = space;
    // The child resumes at the same instruction, with the same registers and
    // FPU state, and finds 0 where the parent finds the child's pid.
    child.kstack.tf = p.kstack.tf;
    child.kstack.tf.rax = 0;
    // Only a child that is ready to run may be queued.
    prepare(&mut child);
    if let Err(child) = procs.insert(child) {
        if let Some(s) = child.space {
            s.destroy(mem);
        }
        return Err(Errno::EAGAIN);
    }
    rq.make_runnable(procs, pid);
    Ok(pid)
}
// ANCHOR_END: fork

// ANCHOR: copy_space
/// Copies every user page of `parent` into fresh frames, with the same
/// addresses and permissions. If memory runs out half-way, everything
/// allocated so far is given back.
pub fn copy_space(mem: &mut dyn Memory, parent: &mut AddressSpace) -> Result<AddressSpace, Errno> {
    let mut child = AddressSpace::new(mem)?;
    for page in parent.pages(mem) {
        let Some(frame) = mem.alloc() else {
            child.destroy(mem);
            return Err(Errno::ENOMEM);
        };
        mem.copy_frame(page.frame, frame);
        if let Err(e) = child.map(mem, page.va, frame, page.flags) {
            mem.decref(frame);
            child.destroy(mem);
            return Err(e);
        }
    }
    Ok(child)
}
// ANCHOR_END: copy_space
