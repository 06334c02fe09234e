//! Physical memory: a frame allocator fed by the PVH memory map, the
//! reference counts copy-on-write needs, the zeroing of free frames that
//! the kernel thread `kzerod` does in the background, and the kernel heap.

use crate::boot::phys_to_virt;
use crate::pvh::{RAM, StartInfo};
use api::{Frame, Memory, PAGE_SIZE};
use core::sync::atomic::{AtomicBool, Ordering};
use linked_list_allocator::LockedHeap;

/// We use at most this much RAM: the reference counts are a fixed array.
const MAX_FRAMES: usize = 1 << 18; // 1 GiB
const HEAP_SIZE: u64 = 8 << 20;
/// How many zeroed frames kzerod keeps ready: enough for the next few
/// processes, few enough that the idle CPU is not busy zeroing all of RAM.
const CLEAN_FRAMES: usize = 512;

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

// ANCHOR: free_lists
/// Free frames, in two lists: `dirty` ones still hold what their last user
/// left there, `clean` ones are zeroed, ready to hand out as they are.
pub struct PhysMem {
    dirty: FreeList,
    clean: FreeList,
    refs: [u16; MAX_FRAMES],
}

/// A list threaded through the free frames themselves: the first 8 bytes of
/// each hold the address of the next.
struct FreeList {
    head: u64,
    len: usize,
}
// ANCHOR_END: free_lists

/// In a static: the reference counts alone take 512 KiB. Reached only
/// through the one `&'static mut` that [`init`] hands out.
static mut MEM: PhysMem = PhysMem { dirty: EMPTY, clean: EMPTY, refs: [0; MAX_FRAMES] };
const EMPTY: FreeList = FreeList { head: 0, len: 0 };

unsafe extern "C" {
    /// The end of the kernel image (kernel.ld): no frame below it is handed out.
    safe static __kernel_end: u8;
}

/// Hands every RAM frame above the kernel image to the frame allocator, and
/// the first 8 MiB of them to the kernel heap. Returns physical memory, which
/// the kernel keeps in its state from then on; a second call panics.
pub fn init(info: &StartInfo) -> &'static mut PhysMem {
    static TAKEN: AtomicBool = AtomicBool::new(false);
    assert!(!TAKEN.swap(true, Ordering::Relaxed), "memory::init called twice");
    let mem = &raw mut MEM;
    // SAFETY: the flag above lets this run once, so this is the only
    // reference to MEM there ever is.
    let mem = unsafe { &mut *mem };
    let kernel_end = &raw const __kernel_end as u64;
    let mut heap_done = false;
    for e in info.memory_map().iter().filter(|e| e.kind == RAM) {
        let start = e.addr.max(kernel_end).next_multiple_of(PAGE_SIZE as u64);
        let end = (e.addr + e.size).min((MAX_FRAMES * PAGE_SIZE) as u64) & !(PAGE_SIZE as u64 - 1);
        let mut at = start;
        if !heap_done && end.saturating_sub(start) > HEAP_SIZE * 2 {
            // SAFETY: RAM that no frame and no other heap will cover (`at`
            // skips it), mapped by the direct map; this runs once.
            unsafe { HEAP.lock().init(phys_to_virt(start), HEAP_SIZE as usize) };
            at += HEAP_SIZE;
            heap_done = true;
        }
        while at < end {
            mem.dirty.push(Frame(at));
            at += PAGE_SIZE as u64;
        }
    }
    assert!(heap_done, "no room for the kernel heap");
    api::paging::set_kernel_root(Frame(crate::boot::kernel_root()));
    mem
}

impl FreeList {
    fn push(&mut self, frame: Frame) {
        // SAFETY: a free frame belongs to the allocator alone.
        unsafe { *(phys_to_virt(frame.0) as *mut u64) = self.head };
        self.head = frame.0;
        self.len += 1;
    }

    fn pop(&mut self) -> Option<Frame> {
        if self.head == 0 {
            return None;
        }
        let frame = Frame(self.head);
        // SAFETY: the head of the list is a free frame: the allocator's.
        self.head = unsafe { *(phys_to_virt(frame.0) as *const u64) };
        self.len -= 1;
        Some(frame)
    }
}

impl PhysMem {
    pub fn free_mib(&self) -> usize {
        (self.free_frames() * PAGE_SIZE) >> 20
    }

    fn index(frame: Frame) -> usize {
        frame.0 as usize / PAGE_SIZE
    }

    // ANCHOR: zero_some
    /// Whether kzerod has work: fewer clean frames than it keeps ready.
    pub fn wants_zeroing(&self) -> bool {
        self.clean.len < CLEAN_FRAMES && self.dirty.len > 0
    }

    /// kzerod's job: zeroes up to `n` dirty frames and moves them to the
    /// clean list. Their first word is the list's link until one is handed out.
    pub fn zero_some(&mut self, n: usize) {
        for _ in 0..n.min(CLEAN_FRAMES.saturating_sub(self.clean.len)) {
            let Some(frame) = self.dirty.pop() else { return };
            self.fill(frame, 0..PAGE_SIZE, 0);
            self.clean.push(frame);
        }
    }
    // ANCHOR_END: zero_some
}

// SAFETY: `page` is the frame's own 4096 bytes in the direct map, which maps
// all of RAM for good.
unsafe impl Memory for PhysMem {
    // ANCHOR: alloc
    fn alloc(&mut self) -> Option<Frame> {
        let frame = if let Some(frame) = self.clean.pop() {
            self.write_u64(frame, 0, 0); // zeroed already, but for the list's link
            frame
        } else {
            let frame = self.dirty.pop()?;
            self.fill(frame, 0..PAGE_SIZE, 0);
            frame
        };
        self.refs[Self::index(frame)] = 1;
        Some(frame)
    }
    // ANCHOR_END: alloc

    fn incref(&mut self, frame: Frame) {
        let r = &mut self.refs[Self::index(frame)];
        assert!(*r > 0, "incref of free frame {:#x}", frame.0);
        *r += 1;
    }

    fn decref(&mut self, frame: Frame) -> u32 {
        let r = &mut self.refs[Self::index(frame)];
        assert!(*r > 0, "decref of free frame {:#x}: freed twice?", frame.0);
        *r -= 1;
        let left = *r as u32;
        if left == 0 {
            self.dirty.push(frame);
        }
        left
    }

    fn refcount(&self, frame: Frame) -> u32 {
        self.refs[Self::index(frame)] as u32
    }

    fn free_frames(&self) -> usize {
        self.dirty.len + self.clean.len
    }

    fn page(&self, frame: Frame) -> *mut [u8; PAGE_SIZE] {
        phys_to_virt(frame.0) as *mut [u8; PAGE_SIZE]
    }

    fn flush_tlb(&mut self, root: Frame, va: u64) {
        // Only the running address space can be cached; others are flushed
        // wholesale when CR3 is loaded at the next switch.
        if crate::x86::read_cr3() == root.0 {
            // SAFETY: dropping a cached translation is always safe.
            unsafe { core::arch::asm!("invlpg [{}]", in(reg) va) };
        }
    }
}
