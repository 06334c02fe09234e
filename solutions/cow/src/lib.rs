//! Copy-on-write: fork shares pages, and the first write to a shared page
//! copies it.
//!
//! Linux does the sharing in `copy_page_range()` (called from `dup_mmap()`
//! during `copy_mm()`): for a private writable mapping it write-protects the
//! entry in both parent and child and takes a reference on the page. The
//! first write then faults, and `do_wp_page()` either reuses the page (no one
//! else holds it) or copies it (`wp_page_copy()`), then flushes the old
//! translation. This piece does the same three steps on our page tables.
#![no_std]

use api::{AddressSpace, Errno, Flags, Memory, PAGE_SIZE};

// ANCHOR: share_space
/// fork's [`CopySpace`](../fork/type.CopySpace.html) for copy-on-write: the
/// child gets the parent's frames, not copies. Every writable page becomes
/// read-only and marked [`Flags::COW`] in both spaces; read-only pages are
/// shared as they are. Each shared frame gains one reference.
pub fn share_space(mem: &mut dyn Memory, parent: &mut AddressSpace) -> Result<AddressSpace, Errno> {
    let mut child = AddressSpace::new(mem)?;
    for page in parent.pages(mem) {
        let mut flags = page.flags;
        if flags.contains(Flags::WRITABLE) {
            flags = flags.remove(Flags::WRITABLE) | Flags::COW;
            parent.set(mem, page.va, page.frame, flags)?;
            // The CPU may still cache the old, writable entry: without this,
            // the parent would go on writing into the frame its child now shares.
            mem.flush_tlb(parent.root(), page.va);
        }
        mem.incref(page.frame);
        if let Err(e) = child.map(mem, page.va, page.frame, flags) {
            mem.decref(page.frame);
            child.destroy(mem);
            return Err(e);
        }
    }
    Ok(child)
}
// ANCHOR_END: share_space

// ANCHOR: write_fault
/// The page-fault handler's copy-on-write case: a write to `va` faulted.
///
/// - A copy-on-write page still shared: copy it into a new frame of our own.
/// - A copy-on-write page no longer shared (the others exited or copied
///   already): keep the frame and make it writable again.
/// - Already writable: the fault came from a stale TLB entry; just retry.
///
/// `EFAULT` when `va` is unmapped or truly read-only (the process gets
/// SIGSEGV); `ENOMEM` when no frame is left for the copy. Either way nothing
/// has changed.
pub fn write_fault(mem: &mut dyn Memory, space: &mut AddressSpace, va: u64) -> Result<(), Errno> {
    let page = va & !(PAGE_SIZE as u64 - 1);
    let (frame, flags) = space.translate(mem, page).ok_or(Errno::EFAULT)?;
    if flags.contains(Flags::WRITABLE) {
        return Ok(());
    }
    if !flags.contains(Flags::COW) {
        return Err(Errno::EFAULT);
    }
    let writable = flags.remove(Flags::COW) | Flags::WRITABLE;
    if mem.refcount(frame) == 1 {
        space.set(mem, page, frame, writable)?;
    } else {
        let copy = mem.alloc().ok_or(Errno::ENOMEM)?;
        mem.copy_frame(frame, copy);
        // The entry exists, so `set` needs no new table and cannot fail.
        space.set(mem, page, copy, writable)?;
        mem.decref(frame);
    }
    mem.flush_tlb(space.root(), page);
    Ok(())
}
// ANCHOR_END: write_fault

// ANCHOR: prepare_user_write
/// Before the kernel writes `len` bytes at `va` into user memory (wait4's
/// status, read's buffer): break copy-on-write on each page, as if the
/// program had written there itself. The kernel walks page tables in
/// software, so no fault would do it for us.
pub fn prepare_user_write(
    mem: &mut dyn Memory,
    space: &mut AddressSpace,
    va: u64,
    len: usize,
) -> Result<(), Errno> {
    let end = va.checked_add(len as u64).ok_or(Errno::EFAULT)?;
    let mut page = va & !(PAGE_SIZE as u64 - 1);
    while page < end {
        write_fault(mem, space, page)?;
        page += PAGE_SIZE as u64;
    }
    Ok(())
}
// ANCHOR_END: prepare_user_write
