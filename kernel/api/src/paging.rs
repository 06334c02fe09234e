//! x86_64 four-level page tables, kept in [`Frame`]s.
//!
//! A virtual address splits into four 9-bit indices (PML4, PDPT, PD, PT) and a
//! 12-bit offset. Each table is one frame of 512 eight-byte entries. Because
//! tables are only bits in frames, the same code walks real tables in QEMU and
//! simulated ones in a host test.
//!
//! Every address space shares the kernel's half: the upper 256 PML4 entries
//! (the direct map of physical memory) point at the kernel's own tables, and
//! the kernel image's low 4 MiB are mapped supervisor-only. User pages live in
//! `USER_START..USER_END` and carry the `USER` bit at every level.

use crate::{Errno, Frame, Memory};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

/// The lowest user address: below it sits the kernel image (supervisor-only).
pub const USER_START: u64 = 0x40_0000;
/// One past the highest user address: the end of the lower canonical half.
pub const USER_END: u64 = 0x8000_0000_0000;

const ENTRIES: usize = 512;
const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;
const HUGE_PAGE: u64 = 2 << 20;

// ANCHOR: flags
/// The bits of a page-table entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags(pub u64);

impl Flags {
    pub const PRESENT: Flags = Flags(1 << 0);
    pub const WRITABLE: Flags = Flags(1 << 1);
    pub const USER: Flags = Flags(1 << 2);
    /// A 2 MiB page in a PD entry (only the kernel's mappings use it).
    pub const HUGE: Flags = Flags(1 << 7);
    /// Bit 9 is free for the OS to use; we mark copy-on-write pages with it.
    pub const COW: Flags = Flags(1 << 9);
    pub const NO_EXECUTE: Flags = Flags(1 << 63);

    pub const fn empty() -> Flags {
        Flags(0)
    }
    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
    pub const fn remove(self, other: Flags) -> Flags {
        Flags(self.0 & !other.0)
    }
}

impl core::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, other: Flags) -> Flags {
        self.union(other)
    }
}
// ANCHOR_END: flags

static KERNEL_ROOT: AtomicU64 = AtomicU64::new(0);

/// Called once at boot: every new address space copies the kernel's half from here.
pub fn set_kernel_root(root: Frame) {
    KERNEL_ROOT.store(root.0, Ordering::Relaxed);
}

fn index(va: u64, level: u32) -> usize {
    ((va >> (12 + 9 * level)) & 0x1ff) as usize
}

fn frame_of(entry: u64) -> Frame {
    Frame(entry & ADDR_MASK)
}

fn present(entry: u64) -> bool {
    entry & Flags::PRESENT.0 != 0
}

/// Intermediate entries allow everything; the leaf entry decides.
const TABLE: u64 = Flags::PRESENT.0 | Flags::WRITABLE.0 | Flags::USER.0;

/// A leaf entry: a user page, present, with these permissions.
fn leaf(frame: Frame, flags: Flags) -> u64 {
    frame.0 | flags.union(Flags::PRESENT).union(Flags::USER).0
}

/// What `AddressSpace::each_chunk` calls for each piece of a user copy: with
/// memory, the frame, the offset in the frame, the offset in the buffer, and
/// the length.
type ChunkFn<'a> = &'a mut dyn FnMut(&mut dyn Memory, Frame, usize, usize, usize);

/// One user page: where it is, which frame backs it, and its permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub va: u64,
    pub frame: Frame,
    pub flags: Flags,
}

// ANCHOR: address_space
/// A process's page tables, named by the frame of its PML4 (what CR3 holds).
#[derive(Debug, PartialEq, Eq)]
pub struct AddressSpace {
    root: Frame,
}
// ANCHOR_END: address_space

impl AddressSpace {
    /// An empty user half, with the kernel's half shared in.
    pub fn new(mem: &mut dyn Memory) -> Result<AddressSpace, Errno> {
        let root = mem.alloc().ok_or(Errno::ENOMEM)?;
        let space = AddressSpace { root };
        let kernel = Frame(KERNEL_ROOT.load(Ordering::Relaxed));
        if kernel.0 == 0 {
            return Ok(space);
        }
        for i in ENTRIES / 2..ENTRIES {
            let e = mem.read_u64(kernel, i);
            mem.write_u64(root, i, e);
        }
        // The kernel image lies below USER_START in 2 MiB pages. They share a
        // PD with user pages, so each space gets its own PD holding copies.
        let kpd = frame_of(mem.read_u64(frame_of(mem.read_u64(kernel, 0)), 0));
        let pd = match space.table(mem, 0, 2, true) {
            Ok(Some(pd)) => pd,
            _ => {
                space.destroy(mem);
                return Err(Errno::ENOMEM);
            }
        };
        for i in 0..(USER_START / HUGE_PAGE) as usize {
            let e = mem.read_u64(kpd, i);
            mem.write_u64(pd, i, e);
        }
        Ok(space)
    }

    /// The physical address of the PML4: what CR3 holds while this space runs.
    pub fn root(&self) -> Frame {
        self.root
    }

    /// Walks from the PML4 (level 3) down to the table at level `stop`
    /// (2 = PD, 1 = PT) on the way to `va`, allocating missing tables if `create`.
    fn table(
        &self,
        mem: &mut dyn Memory,
        va: u64,
        stop: u32,
        create: bool,
    ) -> Result<Option<Frame>, Errno> {
        let mut table = self.root;
        for level in (stop..4).rev() {
            let i = index(va, level);
            let e = mem.read_u64(table, i);
            table = if present(e) {
                if e & Flags::HUGE.0 != 0 {
                    return Ok(None);
                }
                frame_of(e)
            } else if create {
                let t = mem.alloc().ok_or(Errno::ENOMEM)?;
                mem.write_u64(table, i, t.0 | TABLE);
                t
            } else {
                return Ok(None);
            };
        }
        Ok(Some(table))
    }

    fn pte(&self, mem: &mut dyn Memory, va: u64) -> Option<(Frame, usize)> {
        let pt = self.table(mem, va, 1, false).ok()??;
        Some((pt, index(va, 0)))
    }

    /// The frame and flags of the user page holding `va`, if it is mapped.
    pub fn translate(&self, mem: &mut dyn Memory, va: u64) -> Option<(Frame, Flags)> {
        if !(USER_START..USER_END).contains(&va) {
            return None;
        }
        let (pt, i) = self.pte(mem, va)?;
        let e = mem.read_u64(pt, i);
        present(e).then(|| (frame_of(e), Flags(e & !ADDR_MASK)))
    }

    /// Maps the page at `va` to `frame`. Refuses a page that is already mapped.
    pub fn map(
        &mut self,
        mem: &mut dyn Memory,
        va: u64,
        frame: Frame,
        flags: Flags,
    ) -> Result<(), Errno> {
        let (pt, i) = self.leaf_slot(mem, va)?;
        if present(mem.read_u64(pt, i)) {
            return Err(Errno::EEXIST);
        }
        mem.write_u64(pt, i, leaf(frame, flags));
        Ok(())
    }

    /// Writes the entry for `va`, mapped or not, and returns the old one.
    /// The CPU may still hold the old entry in its TLB: see [`Memory::flush_tlb`].
    pub fn set(
        &mut self,
        mem: &mut dyn Memory,
        va: u64,
        frame: Frame,
        flags: Flags,
    ) -> Result<Option<(Frame, Flags)>, Errno> {
        let (pt, i) = self.leaf_slot(mem, va)?;
        let old = mem.read_u64(pt, i);
        mem.write_u64(pt, i, leaf(frame, flags));
        Ok(present(old).then(|| (frame_of(old), Flags(old & !ADDR_MASK))))
    }

    /// The page table and index that hold the entry for user page `va`,
    /// creating missing tables. One walk: fork does this for every page.
    fn leaf_slot(&self, mem: &mut dyn Memory, va: u64) -> Result<(Frame, usize), Errno> {
        if !va.is_multiple_of(crate::PAGE_SIZE as u64) || !(USER_START..USER_END).contains(&va) {
            return Err(Errno::EFAULT);
        }
        let pt = self.table(mem, va, 1, true)?.ok_or(Errno::EFAULT)?;
        Ok((pt, index(va, 0)))
    }

    /// Removes the entry for `va` and returns what it held. The frame's
    /// reference is handed to the caller, who must drop it.
    pub fn unmap(&mut self, mem: &mut dyn Memory, va: u64) -> Option<(Frame, Flags)> {
        let old = self.translate(mem, va)?;
        let (pt, i) = self.pte(mem, va)?;
        mem.write_u64(pt, i, 0);
        mem.flush_tlb(self.root, va);
        Some(old)
    }

    /// Every user page, in address order.
    pub fn pages(&self, mem: &dyn Memory) -> Vec<Page> {
        let mut out = Vec::new();
        self.walk_user(mem, &mut |va, e| {
            out.push(Page { va, frame: frame_of(e), flags: Flags(e & !ADDR_MASK) })
        });
        out
    }

    /// Visits every present user leaf entry of the lower half.
    fn walk_user(&self, mem: &dyn Memory, visit: &mut dyn FnMut(u64, u64)) {
        fn walk(
            mem: &dyn Memory,
            table: Frame,
            level: u32,
            base: u64,
            visit: &mut dyn FnMut(u64, u64),
        ) {
            let count = if level == 3 { ENTRIES / 2 } else { ENTRIES };
            for i in 0..count {
                let e = mem.read_u64(table, i);
                let huge = e & Flags::HUGE.0 != 0;
                if !present(e) || e & Flags::USER.0 == 0 || (huge && level > 0) {
                    continue;
                }
                let va = base | ((i as u64) << (12 + 9 * level));
                if level == 0 {
                    visit(va, e);
                } else {
                    walk(mem, frame_of(e), level - 1, va, visit);
                }
            }
        }
        walk(mem, self.root, 3, 0, visit);
    }

    // ANCHOR: share
    /// Another handle on this same address space, for a task that will use
    /// it too (`CLONE_VM`): Linux's `mmget()`. The reference count of the
    /// root frame counts the users, as `mm_users` does in Linux.
    pub fn share(&self, mem: &mut dyn Memory) -> AddressSpace {
        mem.incref(self.root);
        AddressSpace { root: self.root }
    }

    /// How many tasks use this address space.
    pub fn users(&self, mem: &dyn Memory) -> u32 {
        mem.refcount(self.root)
    }

    /// Gives up this task's use of the space (Linux: `mmput()`): the last
    /// user destroys it, the others only count one user less.
    pub fn release(self, mem: &mut dyn Memory) {
        if self.users(mem) > 1 {
            mem.decref(self.root);
        } else {
            self.destroy(mem);
        }
    }
    // ANCHOR_END: share

    /// Frees the whole user half: drops one reference to every user frame
    /// (shared copy-on-write frames survive while others still use them) and
    /// frees the page tables themselves. The kernel's half is shared: untouched.
    /// Only for a space no other task uses: see [`AddressSpace::release`].
    pub fn destroy(self, mem: &mut dyn Memory) {
        for page in self.pages(mem) {
            mem.decref(page.frame);
        }
        fn free_tables(mem: &mut dyn Memory, table: Frame, level: u32) {
            let count = if level == 3 { ENTRIES / 2 } else { ENTRIES };
            for i in 0..count {
                let e = mem.read_u64(table, i);
                if level > 0 && present(e) && e & Flags::HUGE.0 == 0 {
                    free_tables(mem, frame_of(e), level - 1);
                }
            }
            if level < 3 {
                mem.decref(table);
            }
        }
        for i in 0..ENTRIES / 2 {
            let e = mem.read_u64(self.root, i);
            if present(e) {
                free_tables(mem, frame_of(e), 2);
            }
        }
        mem.decref(self.root);
    }

    // ANCHOR: user_copy
    /// Copies user memory at `va` into `buf`: the kernel's `copy_from_user`.
    /// An unmapped or kernel address gives `EFAULT`, never a kernel fault.
    pub fn read_user(&self, mem: &mut dyn Memory, va: u64, buf: &mut [u8]) -> Result<(), Errno> {
        self.each_chunk(mem, va, buf.len(), Flags::empty(), &mut |mem, frame, off, at, len| {
            mem.read(frame, off, &mut buf[at..at + len])
        })
    }

    /// Copies `data` into user memory at `va`: the kernel's `copy_to_user`.
    /// The pages must be writable now; copy-on-write pages must be broken
    /// first (the kernel does that before it calls this).
    pub fn write_user(&self, mem: &mut dyn Memory, va: u64, data: &[u8]) -> Result<(), Errno> {
        self.each_chunk(mem, va, data.len(), Flags::WRITABLE, &mut |mem, frame, off, at, len| {
            mem.write(frame, off, &data[at..at + len])
        })
    }
    // ANCHOR_END: user_copy

    /// Splits `va..va+len` at page boundaries, checks each page, and calls `f`
    /// with (frame, offset in frame, offset in buffer, length).
    fn each_chunk(
        &self,
        mem: &mut dyn Memory,
        va: u64,
        len: usize,
        need: Flags,
        f: ChunkFn,
    ) -> Result<(), Errno> {
        let end = va.checked_add(len as u64).ok_or(Errno::EFAULT)?;
        if va < USER_START || end > USER_END {
            return Err(Errno::EFAULT);
        }
        // Check every page before touching any, so a fault copies nothing.
        for pass in [false, true] {
            for (at, page, off, n) in chunks(va, len) {
                let (frame, flags) = self.translate(mem, page).ok_or(Errno::EFAULT)?;
                if !flags.contains(need) {
                    return Err(Errno::EFAULT);
                }
                if pass {
                    f(mem, frame, off, at, n);
                }
            }
        }
        Ok(())
    }

    /// Reads a NUL-terminated string of at most `max` bytes from user memory.
    pub fn read_user_cstr(
        &self,
        mem: &mut dyn Memory,
        va: u64,
        max: usize,
    ) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        loop {
            let mut b = [0u8];
            self.read_user(mem, va + out.len() as u64, &mut b)?;
            if b[0] == 0 {
                return Ok(out);
            }
            if out.len() == max {
                return Err(Errno::E2BIG);
            }
            out.push(b[0]);
        }
    }
}

/// Splits `va..va+len` at page boundaries: (offset in buffer, page, offset in page, length).
pub(crate) fn chunks(va: u64, len: usize) -> impl Iterator<Item = (usize, u64, usize, usize)> {
    let mut at = 0;
    core::iter::from_fn(move || {
        if at >= len {
            return None;
        }
        let here = va + at as u64;
        let off = (here % crate::PAGE_SIZE as u64) as usize;
        let n = (crate::PAGE_SIZE - off).min(len - at);
        let chunk = (at, here - off as u64, off, n);
        at += n;
        Some(chunk)
    })
}
