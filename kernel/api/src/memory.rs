//! Physical memory, as the pieces see it.

use core::ops::Range;

pub const PAGE_SIZE: usize = 4096;

/// A physical page frame, named by its physical address (4 KiB aligned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Frame(pub u64);

// ANCHOR: memory
/// Frames, their reference counts, and the TLB.
///
/// A frame starts with a count of 1 when allocated. Sharing it (copy-on-write)
/// adds one; [`Memory::decref`] drops one and frees the frame at zero. Linux
/// keeps the same count in `struct page` (`page_ref_count`).
///
/// # Safety
/// `page` must return a pointer to 4096 bytes that belong to that frame alone
/// and stay valid while the frame is allocated.
pub unsafe trait Memory {
    /// A zeroed frame with a reference count of 1, or `None` when memory is out.
    fn alloc(&mut self) -> Option<Frame>;
    fn incref(&mut self, frame: Frame);
    /// Drops one reference; frees the frame when none is left. Returns the new count.
    fn decref(&mut self, frame: Frame) -> u32;
    fn refcount(&self, frame: Frame) -> u32;
    /// How many frames are free: tests use it to find leaks.
    fn free_frames(&self) -> usize;
    /// Where the kernel can read and write the frame's bytes.
    fn page(&self, frame: Frame) -> *mut [u8; PAGE_SIZE];
    /// Forgets any cached translation of `va` in the address space rooted at `root`.
    /// The CPU caches page-table entries in its TLB: after you change an entry
    /// that was present, the old one may still be used until you flush it.
    fn flush_tlb(&mut self, root: Frame, va: u64);

    fn read(&self, frame: Frame, offset: usize, buf: &mut [u8]) {
        // SAFETY: the frame's own bytes (the trait's contract), borrowed only
        // for this call, in which nothing else touches them.
        let page = unsafe { &*self.page(frame) };
        buf.copy_from_slice(&page[offset..offset + buf.len()]);
    }

    fn write(&mut self, frame: Frame, offset: usize, data: &[u8]) {
        // SAFETY: as in `read`; `&mut self` excludes any other access meanwhile.
        let page = unsafe { &mut *self.page(frame) };
        page[offset..offset + data.len()].copy_from_slice(data);
    }

    fn fill(&mut self, frame: Frame, range: Range<usize>, byte: u8) {
        // SAFETY: as in `write`.
        let page = unsafe { &mut *self.page(frame) };
        page[range].fill(byte);
    }

    /// Copies all 4096 bytes of `from` into `to`.
    fn copy_frame(&mut self, from: Frame, to: Frame) {
        assert_ne!(from, to, "copying a frame onto itself");
        // SAFETY: distinct frames never overlap, by the trait's contract.
        unsafe { core::ptr::copy_nonoverlapping(self.page(from), self.page(to), 1) };
    }

    /// Entry `index` of a page table (or any array of u64) held in `frame`.
    /// Page-table walks do little else, so this is one load, not a copy.
    fn read_u64(&self, frame: Frame, index: usize) -> u64 {
        assert!(index < PAGE_SIZE / 8);
        // SAFETY: in bounds (checked above) and aligned: a frame is page aligned.
        unsafe { (self.page(frame) as *const u64).add(index).read() }
    }

    fn write_u64(&mut self, frame: Frame, index: usize, value: u64) {
        assert!(index < PAGE_SIZE / 8);
        // SAFETY: as in `read_u64`.
        unsafe { (self.page(frame) as *mut u64).add(index).write(value) }
    }
}
// ANCHOR_END: memory
