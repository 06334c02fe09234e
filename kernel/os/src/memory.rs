//! Physical memory: a frame allocator fed by the PVH memory map, the
//! reference counts copy-on-write needs, and the kernel heap.

use crate::Global;
use crate::boot::phys_to_virt;
use crate::pvh::{RAM, StartInfo};
use api::{Frame, Memory, PAGE_SIZE};
use linked_list_allocator::LockedHeap;

/// We use at most this much RAM: the reference counts are a fixed array.
const MAX_FRAMES: usize = 1 << 18; // 1 GiB
const HEAP_SIZE: u64 = 8 << 20;

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

/// Free frames form a linked list threaded through the frames themselves:
/// the first 8 bytes of a free frame hold the address of the next one.
pub struct PhysMem {
    free_list: u64,
    free: usize,
    refs: [u16; MAX_FRAMES],
}

pub static MEM: Global<PhysMem> =
    Global::new(PhysMem { free_list: 0, free: 0, refs: [0; MAX_FRAMES] });

unsafe extern "C" {
    static __kernel_end: u8;
}

pub fn init(info: &StartInfo) {
    let kernel_end = unsafe { &__kernel_end as *const u8 as u64 };
    let mut heap_done = false;
    for e in info.memory_map().iter().filter(|e| e.kind == RAM) {
        let start = e.addr.max(kernel_end).next_multiple_of(PAGE_SIZE as u64);
        let end = (e.addr + e.size).min((MAX_FRAMES * PAGE_SIZE) as u64) & !(PAGE_SIZE as u64 - 1);
        let mut at = start;
        if !heap_done && end.saturating_sub(start) > HEAP_SIZE * 2 {
            unsafe { HEAP.lock().init(phys_to_virt(start), HEAP_SIZE as usize) };
            at += HEAP_SIZE;
            heap_done = true;
        }
        while at < end {
            MEM.get().release(Frame(at));
            at += PAGE_SIZE as u64;
        }
    }
    assert!(heap_done, "no room for the kernel heap");
    api::paging::set_kernel_root(Frame(crate::boot::kernel_root()));
}

pub fn free_mib() -> usize {
    MEM.get().free * PAGE_SIZE >> 20
}

impl PhysMem {
    fn index(frame: Frame) -> usize {
        frame.0 as usize / PAGE_SIZE
    }

    fn release(&mut self, frame: Frame) {
        unsafe { *(phys_to_virt(frame.0) as *mut u64) = self.free_list };
        self.free_list = frame.0;
        self.free += 1;
    }
}

unsafe impl Memory for PhysMem {
    fn alloc(&mut self) -> Option<Frame> {
        if self.free_list == 0 {
            return None;
        }
        let frame = Frame(self.free_list);
        self.free_list = unsafe { *(phys_to_virt(frame.0) as *const u64) };
        self.free -= 1;
        self.refs[Self::index(frame)] = 1;
        self.fill(frame, 0..PAGE_SIZE, 0);
        Some(frame)
    }

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
            self.release(frame);
        }
        left
    }

    fn refcount(&self, frame: Frame) -> u32 {
        self.refs[Self::index(frame)] as u32
    }

    fn free_frames(&self) -> usize {
        self.free
    }

    fn page(&self, frame: Frame) -> *mut [u8; PAGE_SIZE] {
        phys_to_virt(frame.0) as *mut [u8; PAGE_SIZE]
    }

    fn flush_tlb(&mut self, root: Frame, va: u64) {
        // Only the running address space can be cached; others are flushed
        // wholesale when CR3 is loaded at the next switch.
        if crate::cpu::read_cr3() == root.0 {
            unsafe { core::arch::asm!("invlpg [{}]", in(reg) va) };
        }
    }
}
