//! A simulated machine for host tests: memory in a `Vec`, a plain FIFO run
//! queue. Pieces cannot tell it from the real thing, which is the point.

use crate::paging::{Page, chunks};
use crate::{
    AddressSpace, Errno, Flags, Frame, Futexes, Memory, PAGE_SIZE, Pid, Proc, Procs, RunQueue,
    State,
};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::UnsafeCell;

/// `n` frames of simulated physical memory. Frame `i` has physical address
/// `(i + 1) * 4096`, so no frame sits at address 0.
pub struct SimMemory {
    /// In `UnsafeCell`s: `page(&self)` hands out pointers that are written through.
    pages: Vec<Box<UnsafeCell<[u8; PAGE_SIZE]>>>,
    refs: Vec<u32>,
    free: Vec<usize>,
    /// Every TLB flush asked for, in order: tests check that changes are flushed.
    pub flushes: Vec<(Frame, u64)>,
    /// The simulated CPU's TLB: (root, page address) → (frame, flags), filled
    /// by [`SimMemory::user_read`]/[`SimMemory::user_write`] and emptied only by
    /// `flush_tlb`, so a missing flush leaves a stale translation just as on hardware.
    tlb: Vec<(Frame, u64, Frame, Flags)>,
}

/// The kernel's page-fault handler, as the simulated CPU calls it: the faulting
/// address space and address. `Ok` retries the access; an error is what would
/// kill the process.
pub type FaultHandler = fn(&mut dyn Memory, &mut AddressSpace, u64) -> Result<(), Errno>;

impl SimMemory {
    pub fn new(frames: usize) -> SimMemory {
        SimMemory {
            pages: (0..frames).map(|_| Box::new(UnsafeCell::new([0; PAGE_SIZE]))).collect(),
            refs: vec![0; frames],
            // Hand out low frames first, so runs are repeatable.
            free: (0..frames).rev().collect(),
            flushes: Vec::new(),
            tlb: Vec::new(),
        }
    }

    fn slot(&self, frame: Frame) -> usize {
        let i = (frame.0 as usize / PAGE_SIZE).wrapping_sub(1);
        assert!(
            frame.0.is_multiple_of(PAGE_SIZE as u64) && i < self.pages.len(),
            "{frame:?} is not a frame"
        );
        i
    }

    /// Allocates frames until `n` are left free, to test running out of memory.
    /// The frames stay allocated for the rest of the test.
    pub fn leave_free(&mut self, n: usize) {
        while self.free_frames() > n {
            self.alloc();
        }
    }

    /// Translates `page` the way the CPU does: from the TLB if it holds an
    /// entry, else by walking the tables and caching what it finds.
    fn tlb_lookup(&mut self, space: &AddressSpace, page: u64) -> Option<(Frame, Flags)> {
        let root = space.root();
        if let Some(&(_, _, frame, flags)) = self.tlb.iter().find(|e| e.0 == root && e.1 == page) {
            return Some((frame, flags));
        }
        let found = space.translate(self, page)?;
        self.tlb.push((root, page, found.0, found.1));
        Some(found)
    }

    /// A load by the user program itself, through the TLB. An unmapped
    /// address is a segfault: `EFAULT`.
    pub fn user_read(
        &mut self,
        space: &AddressSpace,
        va: u64,
        len: usize,
    ) -> Result<Vec<u8>, Errno> {
        let mut out = vec![0; len];
        for (at, page, off, n) in chunks(va, len) {
            let (frame, _) = self.tlb_lookup(space, page).ok_or(Errno::EFAULT)?;
            self.read(frame, off, &mut out[at..at + n]);
        }
        Ok(out)
    }

    /// A store by the user program itself, as the CPU performs it: through the
    /// TLB, with a page fault whenever the translation does not allow writing.
    /// `fault` plays the kernel's handler; its error is returned (the process
    /// would die). Like x86, the CPU drops the faulting translation before it
    /// calls the handler, then retries the store.
    pub fn user_write(
        &mut self,
        space: &mut AddressSpace,
        va: u64,
        data: &[u8],
        fault: FaultHandler,
    ) -> Result<(), Errno> {
        for (at, page, off, n) in chunks(va, data.len()) {
            let mut faults = 0;
            loop {
                match self.tlb_lookup(space, page) {
                    Some((frame, flags)) if flags.contains(Flags::WRITABLE) => {
                        self.write(frame, off, &data[at..at + n]);
                        break;
                    }
                    _ => {
                        let root = space.root();
                        self.tlb.retain(|e| !(e.0 == root && e.1 == page));
                        faults += 1;
                        assert!(
                            faults < 3,
                            "the fault handler said Ok, but the store at {:#x} faults again: the CPU would loop forever",
                            page + off as u64
                        );
                        fault(self, space, page + off as u64)?;
                    }
                }
            }
        }
        Ok(())
    }
}

// SAFETY: `page` points at the frame's own boxed array, which lives as long
// as the SimMemory: a freed frame is poisoned and reused, never dropped.
unsafe impl Memory for SimMemory {
    fn alloc(&mut self) -> Option<Frame> {
        let i = self.free.pop()?;
        self.pages[i].get_mut().fill(0);
        self.refs[i] = 1;
        Some(Frame((i as u64 + 1) * PAGE_SIZE as u64))
    }

    fn incref(&mut self, frame: Frame) {
        let i = self.slot(frame);
        assert!(self.refs[i] > 0, "incref of free {frame:?}");
        self.refs[i] += 1;
    }

    fn decref(&mut self, frame: Frame) -> u32 {
        let i = self.slot(frame);
        assert!(self.refs[i] > 0, "decref of free {frame:?}: freed twice?");
        self.refs[i] -= 1;
        if self.refs[i] == 0 {
            // Poison freed frames, so a use after free shows up in tests.
            self.pages[i].get_mut().fill(0xdd);
            self.free.push(i);
            // A freed PML4 means its address space is gone: the CPU would have
            // switched CR3 away, which flushes its translations.
            self.tlb.retain(|e| e.0 != frame);
        }
        self.refs[i]
    }

    fn refcount(&self, frame: Frame) -> u32 {
        self.refs[self.slot(frame)]
    }

    fn free_frames(&self) -> usize {
        self.free.len()
    }

    fn page(&self, frame: Frame) -> *mut [u8; PAGE_SIZE] {
        self.pages[self.slot(frame)].get()
    }

    fn flush_tlb(&mut self, root: Frame, va: u64) {
        self.flushes.push((root, va));
        self.tlb.retain(|e| !(e.0 == root && e.1 == va & !(PAGE_SIZE as u64 - 1)));
    }
}

/// A first-in first-out run queue that records what it was asked to do.
#[derive(Default)]
pub struct SimRunQueue {
    pub queue: VecDeque<Pid>,
    /// Every task it was asked to queue, with the saved stack pointer the
    /// task had then: whether the kernel had prepared it first.
    pub queued: Vec<(Pid, Option<u64>)>,
}

impl RunQueue for SimRunQueue {
    fn make_runnable(&mut self, procs: &mut Procs, pid: Pid) {
        self.queued.push((pid, procs.get(pid).map(|p| p.saved_sp)));
        if let Some(p) = procs.get_mut(pid) {
            p.state = State::Runnable;
        }
        if !self.queue.contains(&pid) {
            self.queue.push_back(pid);
        }
    }

    fn pick_next(&mut self, procs: &mut Procs) -> Option<Pid> {
        let pid = self.queue.pop_front()?;
        if let Some(p) = procs.get_mut(pid) {
            p.state = State::Running;
        }
        Some(pid)
    }

    fn remove(&mut self, pid: Pid) {
        self.queue.retain(|&p| p != pid);
    }

    fn tick(&mut self) -> bool {
        false
    }
}

/// A whole simulated machine: the task table, memory, a run queue and the
/// futex wait queues.
pub struct Machine {
    pub procs: Procs,
    pub mem: SimMemory,
    pub rq: SimRunQueue,
    pub futexes: Futexes,
}

impl Machine {
    pub fn new(frames: usize) -> Machine {
        Machine {
            procs: Procs::new(),
            mem: SimMemory::new(frames),
            rq: SimRunQueue::default(),
            futexes: Futexes::default(),
        }
    }

    /// A new user process whose memory holds `pages`: (address, contents, flags).
    /// It is runnable but not queued, as if it were the one on the CPU.
    pub fn spawn(&mut self, ppid: Pid, name: &str, pages: &[(u64, &[u8], Flags)]) -> Pid {
        let pid = self.procs.alloc_pid().expect("task table full");
        let mut p = Proc::new(pid, ppid, name);
        let mut space = AddressSpace::new(&mut self.mem).expect("out of frames");
        for &(va, bytes, flags) in pages {
            let f = self.mem.alloc().expect("out of frames");
            self.mem.write(f, 0, bytes);
            space.map(&mut self.mem, va, f, flags).expect("page mapped twice");
        }
        p.space = Some(space);
        p.state = State::Running;
        assert!(self.procs.insert(p).is_ok());
        pid
    }

    fn space(&self, pid: Pid) -> &AddressSpace {
        self.procs.get(pid).expect("no such pid").space.as_ref().expect("no address space")
    }

    /// Reads `len` bytes of `pid`'s memory, as the kernel would.
    pub fn read(&mut self, pid: Pid, va: u64, len: usize) -> Result<Vec<u8>, Errno> {
        let mut buf = vec![0; len];
        let space = self.procs.get(pid).ok_or(Errno::ESRCH)?.space.as_ref().ok_or(Errno::EFAULT)?;
        space.read_user(&mut self.mem, va, &mut buf)?;
        Ok(buf)
    }

    /// Writes into `pid`'s memory through its page tables; the page must be writable.
    pub fn write(&mut self, pid: Pid, va: u64, data: &[u8]) -> Result<(), Errno> {
        let space = self.procs.get(pid).ok_or(Errno::ESRCH)?.space.as_ref().ok_or(Errno::EFAULT)?;
        space.write_user(&mut self.mem, va, data)
    }

    /// The user pages of `pid`.
    pub fn pages(&self, pid: Pid) -> Vec<Page> {
        self.space(pid).pages(&self.mem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_translate_destroy_leaves_no_frame_behind() {
        let mut mem = SimMemory::new(64);
        let before = mem.free_frames();
        let mut space = AddressSpace::new(&mut mem).unwrap();
        let f = mem.alloc().unwrap();
        space.map(&mut mem, 0x40_1000, f, Flags::WRITABLE).unwrap();
        assert_eq!(space.translate(&mut mem, 0x40_1000).map(|t| t.0), Some(f));
        assert_eq!(space.translate(&mut mem, 0x40_2000), None);
        assert_eq!(space.map(&mut mem, 0x40_1000, f, Flags::WRITABLE), Err(Errno::EEXIST));
        assert_eq!(space.pages(&mem).len(), 1);
        space.destroy(&mut mem);
        assert_eq!(mem.free_frames(), before);
    }

    #[test]
    fn user_copies_check_every_page() {
        let mut mem = SimMemory::new(64);
        let mut space = AddressSpace::new(&mut mem).unwrap();
        let f = mem.alloc().unwrap();
        space.map(&mut mem, 0x50_0000, f, Flags::WRITABLE).unwrap();
        space.write_user(&mut mem, 0x50_0ffe, b"hi").unwrap();
        // Crosses into an unmapped page.
        assert_eq!(space.write_user(&mut mem, 0x50_0fff, b"hi"), Err(Errno::EFAULT));
        // Below user space: the kernel image.
        assert_eq!(space.read_user(&mut mem, 0x1000, &mut [0; 4]), Err(Errno::EFAULT));
        // Wraps around the address space.
        assert_eq!(space.read_user(&mut mem, u64::MAX - 1, &mut [0; 4]), Err(Errno::EFAULT));
        let mut b = [0; 2];
        space.read_user(&mut mem, 0x50_0ffe, &mut b).unwrap();
        assert_eq!(&b, b"hi");
        let ro = mem.alloc().unwrap();
        space.map(&mut mem, 0x60_0000, ro, Flags::empty()).unwrap();
        assert_eq!(space.write_user(&mut mem, 0x60_0000, b"x"), Err(Errno::EFAULT));
    }

    #[test]
    fn shared_frame_survives_one_destroy() {
        let mut mem = SimMemory::new(64);
        let mut a = AddressSpace::new(&mut mem).unwrap();
        let mut b = AddressSpace::new(&mut mem).unwrap();
        let f = mem.alloc().unwrap();
        a.map(&mut mem, 0x40_0000, f, Flags::empty()).unwrap();
        mem.incref(f);
        b.map(&mut mem, 0x40_0000, f, Flags::empty()).unwrap();
        a.destroy(&mut mem);
        assert_eq!(mem.refcount(f), 1);
        b.destroy(&mut mem);
        assert_eq!(mem.refcount(f), 0);
    }

    #[test]
    fn a_shared_space_lives_until_its_last_user_releases_it() {
        let mut mem = SimMemory::new(64);
        let before = mem.free_frames();
        let mut a = AddressSpace::new(&mut mem).unwrap();
        let f = mem.alloc().unwrap();
        a.map(&mut mem, 0x40_0000, f, Flags::WRITABLE).unwrap();
        let b = a.share(&mut mem);
        assert_eq!((a.root(), a.users(&mem), b.users(&mem)), (b.root(), 2, 2));
        a.release(&mut mem);
        assert_eq!(b.users(&mem), 1);
        b.write_user(&mut mem, 0x40_0000, b"still here").unwrap();
        b.release(&mut mem);
        assert_eq!(mem.free_frames(), before);
    }

    #[test]
    fn futex_wake_takes_the_oldest_waiters_and_skips_the_dead() {
        let mut m = Machine::new(64);
        let pids: Vec<Pid> = (0..4).map(|_| m.spawn(0, "t", &[])).collect();
        let root = Frame(0x1000);
        for &pid in &pids {
            m.procs.get_mut(pid).unwrap().state = State::Sleeping;
            m.futexes.queue(root, 0x40_0000).push(pid);
        }
        m.procs.get_mut(pids[0]).unwrap().state = State::Dead;
        m.futexes.queue(root, 0x40_0004).push(pids[3]);
        assert_eq!(m.futexes.wake(&mut m.procs, &mut m.rq, root, 0x40_0000, 2), 2);
        assert_eq!(m.rq.queue, [pids[1], pids[2]]);
        m.futexes.forget(pids[3]);
        assert_eq!(m.futexes.wake(&mut m.procs, &mut m.rq, root, 0x40_0000, 9), 0);
        assert_eq!(m.futexes.wake(&mut m.procs, &mut m.rq, root, 0x40_0004, 9), 0);
    }

    #[test]
    fn only_group_leaders_are_children() {
        let mut m = Machine::new(64);
        let leader = m.spawn(1, "leader", &[]);
        let thread = m.spawn(1, "thread", &[]);
        m.procs.get_mut(thread).unwrap().tgid = leader;
        assert_eq!(m.procs.children(1), [leader]);
    }

    #[test]
    fn pid_allocation_runs_out_with_eagain() {
        let mut procs = Procs::new();
        for _ in 0..crate::NPROC {
            let pid = procs.alloc_pid().unwrap();
            assert!(procs.insert(crate::Proc::new(pid, 0, "t")).is_ok());
        }
        assert_eq!(procs.alloc_pid(), Err(Errno::EAGAIN));
        procs.remove(5).unwrap();
        assert_eq!(procs.alloc_pid(), Ok(crate::NPROC as Pid + 1));
    }
}
