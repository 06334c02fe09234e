//! Exercise: copy-on-write fork and its page-fault handler.
//!
//! Read the chapter "Exercise: copy-on-write" first. Run the tests
//! with `cargo test -p cow`; they all fail until you fill in the three
//! functions. Then boot with `cargo boot --student cow --cow -- cow isolate`.
#![no_std]

use api::{AddressSpace, Errno, Memory};

// ANCHOR: api
/// fork's `CopySpace` for copy-on-write: the child gets the parent's frames,
/// not copies.
///
/// For every page of `parent` (see [`AddressSpace::pages`]): if it is
/// writable, make it read-only and mark it [`api::Flags::COW`] in the parent
/// (with [`AddressSpace::set`]) and flush that TLB entry; map the same frame
/// with the same flags in the child; count the new reference with
/// [`Memory::incref`]. Read-only pages are shared unchanged.
///
/// If memory runs out half-way (the child's page tables need frames), give
/// back everything the child holds and return `ENOMEM`.
pub fn share_space(mem: &mut dyn Memory, parent: &mut AddressSpace) -> Result<AddressSpace, Errno> {
    let _ = (mem, parent);
    todo!("share_space: share every frame, write-protect and mark the writable ones")
}

/// A write to `va` faulted. If the page is copy-on-write: copy it into a new
/// frame when others still share it, or just make it writable again when we
/// are the last one; then clear the COW mark and flush the TLB entry.
///
/// A page that is already writable faulted through a stale TLB entry: return
/// `Ok` so the write is retried. `EFAULT` for an unmapped or truly read-only
/// page (the process gets SIGSEGV), `ENOMEM` when the copy cannot get a frame.
pub fn write_fault(mem: &mut dyn Memory, space: &mut AddressSpace, va: u64) -> Result<(), Errno> {
    let _ = (mem, space, va);
    todo!("write_fault: copy or reuse the page, then flush")
}

/// The kernel is about to write `len` bytes at `va` into user memory: break
/// copy-on-write on every page of that range first, exactly as a write by
/// the program would. `EFAULT` if any page cannot be written.
pub fn prepare_user_write(
    mem: &mut dyn Memory,
    space: &mut AddressSpace,
    va: u64,
    len: usize,
) -> Result<(), Errno> {
    let _ = (mem, space, va, len);
    todo!("prepare_user_write: a write fault for every page in the range")
}
// ANCHOR_END: api
