//! `brk`, `mmap`, `mprotect` and `munmap`, for anonymous private memory. The
//! page tables are the list of mappings (Linux keeps `vm_area_struct`s beside
//! them). A page gets its zeroed frame when mapped, not at its first touch;
//! a call costs what is mapped, never what its range spans.

use crate::state::Kernel;
use crate::syscall::SysResult;
use alloc::vec::Vec;
use api::{AddressSpace, Errno, Flags, Memory, PAGE_SIZE, Page, USER_END, USER_START};
use core::ops::Range;

const PAGE: u64 = PAGE_SIZE as u64;
const PROT_WRITE: u64 = 2;
const PROT_EXEC: u64 = 4;
const MAP_PRIVATE: u64 = 0x02;
const MAP_TYPE: u64 = 0x0f;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;
/// Where mmap looks down from for room (Linux: `mm->mmap_base`, below the stack).
const MMAP_TOP: u64 = 0x7f00_0000_0000;

/// The mapped pages in `range`, in address order: as long as memory is, at most.
fn mapped(k: &mut Kernel, range: Range<u64>) -> Vec<Page> {
    let (mem, space) = k.user_memory();
    space.pages(mem).into_iter().filter(|p| range.contains(&p.va)).collect()
}

/// The page range `addr..addr+len` rounds to, if it lies in user space.
fn pages(addr: u64, len: u64) -> Option<Range<u64>> {
    let end = addr.checked_add(len.checked_next_multiple_of(PAGE)?)?;
    (addr.is_multiple_of(PAGE) && addr >= USER_START && end <= USER_END).then_some(addr..end)
}

/// The page-table permissions PROT_* asks for. x86 cannot forbid reading
/// a page it maps, so PROT_READ is implied, as on Linux.
fn flags(prot: u64) -> Result<Flags, Errno> {
    let write = if prot & PROT_WRITE != 0 { Flags::WRITABLE } else { Flags::empty() };
    let exec = if prot & PROT_EXEC != 0 { Flags::empty() } else { Flags::NO_EXECUTE };
    let none = if prot == 0 { Flags::NO_ACCESS } else { Flags::empty() };
    if prot > 7 { Err(Errno::EINVAL) } else { Ok(write | exec | none) }
}

/// Maps fresh zeroed frames over `range`: EEXIST if anything is there,
/// ENOMEM (mapping nothing) if frames run short.
fn map_fresh(k: &mut Kernel, range: Range<u64>, flags: Flags) -> Result<(), Errno> {
    match (range.end - range.start) / PAGE {
        _ if !mapped(k, range.clone()).is_empty() => return Err(Errno::EEXIST),
        n if n > k.mem.free_frames() as u64 => return Err(Errno::ENOMEM),
        _ => {}
    }
    for va in range.clone().step_by(PAGE_SIZE) {
        let (mem, space) = k.user_memory();
        let frame = mem.alloc().ok_or(Errno::ENOMEM);
        if let Err(e) =
            frame.and_then(|f| space.map(mem, va, f, flags).map_err(|e| (mem.decref(f), e).1))
        {
            unmap(k, range.start..va);
            return Err(e);
        }
    }
    Ok(())
}

/// Unmaps what is in `range`; a frame is freed once no copy-on-write sharer holds it.
fn unmap(k: &mut Kernel, range: Range<u64>) {
    for page in mapped(k, range) {
        let (mem, space) = k.user_memory();
        space.unmap(mem, page.va);
        mem.decref(page.frame);
    }
}

/// The highest free `len` bytes below MMAP_TOP: Linux's top-down `get_unmapped_area()`.
fn free_area(k: &mut Kernel, len: u64) -> Result<u64, Errno> {
    let mut end = MMAP_TOP;
    for page in mapped(k, USER_START..MMAP_TOP).iter().rev() {
        if end - (page.va + PAGE) >= len {
            break;
        }
        end = page.va;
    }
    end.checked_sub(len).filter(|&at| at >= USER_START).ok_or(Errno::ENOMEM)
}

// ANCHOR: sys_mmap
/// mmap(addr, len, prot, flags, fd, offset) for anonymous private memory;
/// a file or shared mapping gets `ENODEV`. The address is the caller's with
/// `MAP_FIXED` (which replaces what was there) or `MAP_FIXED_NOREPLACE`
/// (`EEXIST` instead), else the hint if it is free, else the kernel's choice.
pub fn sys_mmap(k: &mut Kernel, addr: u64, len: u64, prot: u64, map: u64, off: u64) -> SysResult {
    let flags = flags(prot)?;
    if len == 0 || !off.is_multiple_of(PAGE) || map & MAP_TYPE == 0 {
        return Err(Errno::EINVAL);
    }
    if map & MAP_TYPE != MAP_PRIVATE || map & MAP_ANONYMOUS == 0 {
        return Err(Errno::ENODEV);
    }
    let size = len.checked_next_multiple_of(PAGE).ok_or(Errno::ENOMEM)?;
    let range = match map & (MAP_FIXED | MAP_FIXED_NOREPLACE) {
        0 => match pages(addr, size).filter(|r| mapped(k, r.clone()).is_empty()) {
            Some(r) => r,
            None => free_area(k, size).map(|at| at..at + size)?,
        },
        _ if !addr.is_multiple_of(PAGE) => return Err(Errno::EINVAL),
        MAP_FIXED => {
            let range = pages(addr, size).ok_or(Errno::ENOMEM)?;
            unmap(k, range.clone());
            range
        }
        _ => pages(addr, size).ok_or(Errno::ENOMEM)?,
    };
    map_fresh(k, range.clone(), flags)?;
    Ok(range.start)
}
// ANCHOR_END: sys_mmap

/// munmap(addr, len): unmapping what is not mapped is no error.
pub fn sys_munmap(k: &mut Kernel, addr: u64, len: u64) -> SysResult {
    let end = len.checked_next_multiple_of(PAGE).and_then(|n| addr.checked_add(n));
    let ok = |&end: &u64| len > 0 && addr.is_multiple_of(PAGE) && end <= USER_END;
    unmap(k, addr..end.filter(ok).ok_or(Errno::EINVAL)?);
    Ok(0)
}

/// mprotect: every page of the range must be mapped (ENOMEM). A frame shared
/// copy-on-write is made copy-on-write, never writable.
pub fn sys_mprotect(k: &mut Kernel, addr: u64, len: u64, prot: u64) -> SysResult {
    let flags = flags(prot)?;
    let bad = if addr.is_multiple_of(PAGE) { Errno::ENOMEM } else { Errno::EINVAL };
    let range = pages(addr, len).ok_or(bad)?;
    let pages = mapped(k, range.clone());
    if pages.len() as u64 != (range.end - range.start) / PAGE {
        return Err(Errno::ENOMEM);
    }
    let (mem, space) = k.user_memory();
    for page in pages {
        let shared = mem.refcount(page.frame) > 1 && flags.contains(Flags::WRITABLE);
        let flags = if shared { flags.remove(Flags::WRITABLE) | Flags::COW } else { flags };
        space.set(mem, page.va, page.frame, flags)?;
        mem.flush_tlb(space.root(), page.va);
    }
    Ok(0)
}

/// Where a new program's heap starts: just past its highest page below the stack.
pub fn heap_start(mem: &dyn Memory, space: &AddressSpace) -> u64 {
    space.pages(mem).iter().rfind(|p| p.va < MMAP_TOP).map_or(USER_START, |p| p.va + PAGE)
}

/// brk(addr): moves the process's break and returns it; Linux's way to fail
/// (below the start, into a mapping, out of memory) is to leave it where it is.
pub fn sys_brk(k: &mut Kernel, addr: u64) -> SysResult {
    let leader = k.task().tgid;
    let heap = k.procs.get(leader).expect("a leader outlives its threads").heap.clone();
    let old = heap.end.next_multiple_of(PAGE);
    let moved = match addr.checked_next_multiple_of(PAGE) {
        Some(new) if addr < heap.start || new > MMAP_TOP => false,
        Some(new) if new >= old => {
            map_fresh(k, old..new, Flags::WRITABLE | Flags::NO_EXECUTE).is_ok()
        }
        Some(new) => {
            unmap(k, new..old);
            true
        }
        None => false,
    };
    let p = k.procs.get_mut(leader).expect("a leader outlives its threads");
    p.heap.end = if moved { addr } else { p.heap.end };
    Ok(p.heap.end)
}
