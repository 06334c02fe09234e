//! `execve()`'s loader: a new address space built from an ELF64 image.
//!
//! Linux runs a program in `execve()` → `do_execveat_common()`: it finds the
//! file, gathers the arguments into a `linux_binprm` (`copy_strings`, which
//! is where `E2BIG` comes from), and hands it to the binary format's loader,
//! `load_elf_binary()`. That reads the ELF header and program headers, maps
//! each `PT_LOAD` segment (`elf_map`), zeroes the bss (`set_brk`, `padzero`),
//! sets up the stack (`setup_arg_pages`) and lays out argc, argv, envp and the
//! auxiliary vector on it (`create_elf_tables`).
//!
//! Linux tears down the old memory part-way through (`begin_new_exec`), so an
//! error after that point can only kill the process. Here the loader builds
//! the new address space on the side and the kernel swaps it in only once it
//! is complete: any error leaves the calling process exactly as it was.
//!
//! Only statically linked, non-relocatable executables (`ET_EXEC`) load.
//! A PIE or shared object (`ET_DYN`) needs a load address chosen and, like
//! anything with `PT_INTERP`, a dynamic loader to relocate it: we have none.
#![no_std]

extern crate alloc;

use alloc::vec::Vec;
use api::{AddressSpace, Errno, Flags, Memory, PAGE_SIZE, USER_START};
use goblin::container::{Container, Ctx, Endian};
use goblin::elf::header::{EI_CLASS, EI_DATA, ELFCLASS64, ELFDATA2LSB, EM_X86_64, ET_EXEC};
use goblin::elf::program_header::{PF_W, PF_X, PT_INTERP, PT_LOAD, PT_PHDR};
use goblin::elf::{Elf, Header, ProgramHeader};

/// The top of the initial stack: the page below it is the stack's last.
pub const STACK_TOP: u64 = 0x7fff_ffff_f000;
/// How much stack a new program gets, all of it mapped, writable and NX.
pub const STACK_SIZE: u64 = 64 * 1024;
/// The most bytes argv and envp may take: every string with its NUL plus
/// every pointer, the two NULLs included. More gives `E2BIG`.
pub const ARG_MAX: usize = 32 * 1024;

const PAGE: u64 = PAGE_SIZE as u64;
/// The size of one ELF64 program header, `sizeof(Elf64_Phdr)`.
const PHENT: u16 = 56;

// The auxiliary vector's keys, from Linux's include/uapi/linux/auxvec.h.
const AT_NULL: u64 = 0;
const AT_PHDR: u64 = 3;
const AT_PHENT: u64 = 4;
const AT_PHNUM: u64 = 5;
const AT_PAGESZ: u64 = 6;
const AT_ENTRY: u64 = 9;
const AT_RANDOM: u64 = 25;

/// A loaded program, ready to run: the kernel makes `space` the process's
/// memory and returns to user mode at `entry` with `rsp = stack_pointer`.
pub struct Image {
    pub space: AddressSpace,
    pub entry: u64,
    pub stack_pointer: u64,
}

// ANCHOR: load
/// Loads `elf` into a fresh address space with a System V initial stack.
///
/// `argv` and `envp` are the strings without their NULs; `random` becomes
/// the 16 bytes `AT_RANDOM` points at (libc seeds its stack canary from them).
///
/// Errors: `E2BIG` when the arguments exceed [`ARG_MAX`], `ENOEXEC` when
/// `elf` is not a static x86_64 executable we can place, `ENOMEM` when
/// frames run out. On error every frame taken has been given back.
pub fn load(
    mem: &mut dyn Memory,
    elf: &[u8],
    argv: &[&[u8]],
    envp: &[&[u8]],
    random: [u8; 16],
) -> Result<Image, Errno> {
    if arg_bytes(argv, envp) > ARG_MAX {
        return Err(Errno::E2BIG);
    }
    let (header, phdrs) = parse(elf)?;
    check_segments(elf.len(), &header, &phdrs)?;
    let auxv = [
        (AT_PAGESZ, PAGE),
        (AT_PHDR, phdr_address(&header, &phdrs)),
        (AT_PHENT, PHENT as u64),
        (AT_PHNUM, header.e_phnum as u64),
        (AT_ENTRY, header.e_entry),
    ];
    // Nothing is allocated until the whole file has been checked, so the
    // only errors from here on are ENOMEM, and one destroy undoes them all.
    let mut space = AddressSpace::new(mem)?;
    let built = map_segments(mem, &mut space, elf, &phdrs)
        .and_then(|()| build_stack(mem, &mut space, argv, envp, random, &auxv));
    match built {
        Ok(stack_pointer) => Ok(Image { space, entry: header.e_entry, stack_pointer }),
        Err(e) => {
            space.destroy(mem);
            Err(e)
        }
    }
}
// ANCHOR_END: load

/// What argv and envp cost against [`ARG_MAX`], as Linux counts it.
fn arg_bytes(argv: &[&[u8]], envp: &[&[u8]]) -> usize {
    let strings: usize =
        argv.iter().chain(envp).map(|s| s.len().saturating_add(1)).fold(0, usize::saturating_add);
    let pointers = (argv.len() + envp.len() + 2).saturating_mul(8);
    strings.saturating_add(pointers)
}

// ANCHOR: parse
/// Reads the ELF header and the program headers, and refuses anything that
/// is not a little-endian x86_64 `ET_EXEC`. Like Linux, the loader never
/// looks at section headers: they are for linkers and debuggers.
fn parse(elf: &[u8]) -> Result<(Header, Vec<ProgramHeader>), Errno> {
    let header = Elf::parse_header(elf).map_err(|_| Errno::ENOEXEC)?;
    let ident = &header.e_ident;
    if ident[EI_CLASS] != ELFCLASS64
        || ident[EI_DATA] != ELFDATA2LSB
        || header.e_machine != EM_X86_64
        || header.e_type != ET_EXEC
        || header.e_phentsize != PHENT
    {
        return Err(Errno::ENOEXEC);
    }
    let ctx = Ctx::new(Container::Big, Endian::Little);
    let phoff = usize::try_from(header.e_phoff).map_err(|_| Errno::ENOEXEC)?;
    let phdrs = ProgramHeader::parse(elf, phoff, header.e_phnum as usize, ctx)
        .map_err(|_| Errno::ENOEXEC)?;
    if phdrs.iter().any(|ph| ph.p_type == PT_INTERP) {
        return Err(Errno::ENOEXEC);
    }
    Ok((header, phdrs))
}
// ANCHOR_END: parse

// ANCHOR: check_segments
/// Checks every `PT_LOAD` before anything is mapped: it must come from
/// inside the file, fit between the kernel image and the stack, overlap no
/// other segment, and one executable segment must hold the entry point.
fn check_segments(file_len: usize, header: &Header, phdrs: &[ProgramHeader]) -> Result<(), Errno> {
    let loads: Vec<&ProgramHeader> = phdrs.iter().filter(|ph| ph.p_type == PT_LOAD).collect();
    if loads.is_empty() {
        return Err(Errno::ENOEXEC);
    }
    for ph in &loads {
        let file_end = ph.p_offset.checked_add(ph.p_filesz).ok_or(Errno::ENOEXEC)?;
        let mem_end = ph.p_vaddr.checked_add(ph.p_memsz).ok_or(Errno::ENOEXEC)?;
        if ph.p_filesz > ph.p_memsz
            || file_end > file_len as u64
            || ph.p_vaddr % PAGE != ph.p_offset % PAGE
            || ph.p_vaddr < USER_START
            || mem_end > STACK_TOP - STACK_SIZE
        {
            return Err(Errno::ENOEXEC);
        }
    }
    for (i, a) in loads.iter().enumerate() {
        for b in &loads[i + 1..] {
            let (a_end, b_end) = (a.p_vaddr + a.p_memsz, b.p_vaddr + b.p_memsz);
            if a.p_memsz > 0 && b.p_memsz > 0 && a.p_vaddr < b_end && b.p_vaddr < a_end {
                return Err(Errno::ENOEXEC);
            }
        }
    }
    let entry = header.e_entry;
    if !loads
        .iter()
        .any(|ph| ph.p_flags & PF_X != 0 && (ph.p_vaddr..ph.p_vaddr + ph.p_memsz).contains(&entry))
    {
        return Err(Errno::ENOEXEC);
    }
    Ok(())
}
// ANCHOR_END: check_segments

fn map_segments(
    mem: &mut dyn Memory,
    space: &mut AddressSpace,
    elf: &[u8],
    phdrs: &[ProgramHeader],
) -> Result<(), Errno> {
    // An empty segment maps nothing, as in Linux's elf_map().
    for ph in phdrs.iter().filter(|ph| ph.p_type == PT_LOAD && ph.p_memsz > 0) {
        map_segment(mem, space, elf, ph)?;
    }
    Ok(())
}

// ANCHOR: map_segment
/// Maps the pages of one checked `PT_LOAD` and copies its file bytes in.
///
/// Only the `p_filesz` bytes are copied, never whole pages of the file: the
/// rest of each page stays as `alloc` left it, zero, which is the bss.
/// (Linux maps whole file pages, so it must clear the tail by hand: `padzero`.)
fn map_segment(
    mem: &mut dyn Memory,
    space: &mut AddressSpace,
    elf: &[u8],
    ph: &ProgramHeader,
) -> Result<(), Errno> {
    let flags = page_flags(ph.p_flags);
    let start = ph.p_vaddr & !(PAGE - 1);
    let end = (ph.p_vaddr + ph.p_memsz).div_ceil(PAGE) * PAGE;
    for va in (start..end).step_by(PAGE_SIZE) {
        let frame = match space.translate(mem, va) {
            // Another segment ends or starts in this page: share its frame
            // and allow what either needs. The space is not live yet, so
            // there is no TLB entry to flush.
            Some((frame, old)) => {
                space.set(mem, va, frame, merge(old, flags))?;
                frame
            }
            None => {
                let frame = mem.alloc().ok_or(Errno::ENOMEM)?;
                if let Err(e) = space.map(mem, va, frame, flags) {
                    mem.decref(frame);
                    return Err(e);
                }
                frame
            }
        };
        // The part of this page that the file fills.
        let lo = va.max(ph.p_vaddr);
        let hi = (va + PAGE).min(ph.p_vaddr + ph.p_filesz);
        if lo < hi {
            let from = (ph.p_offset + (lo - ph.p_vaddr)) as usize;
            mem.write(frame, (lo - va) as usize, &elf[from..from + (hi - lo) as usize]);
        }
    }
    Ok(())
}
// ANCHOR_END: map_segment

// ANCHOR: flags
/// x86_64 pages are always readable, so `PF_R` needs no bit; what is not
/// executable gets NX, so injected data cannot run as code.
fn page_flags(p_flags: u32) -> Flags {
    let mut flags = Flags::USER;
    if p_flags & PF_W != 0 {
        flags = flags | Flags::WRITABLE;
    }
    if p_flags & PF_X == 0 {
        flags = flags | Flags::NO_EXECUTE;
    }
    flags
}

/// The permissions of a page two segments share: writable if either writes,
/// executable if either executes. NX is a denial, so it survives only if both deny.
fn merge(a: Flags, b: Flags) -> Flags {
    let nx = a.contains(Flags::NO_EXECUTE) && b.contains(Flags::NO_EXECUTE);
    let both = a.union(b).remove(Flags::NO_EXECUTE);
    if nx { both | Flags::NO_EXECUTE } else { both }
}
// ANCHOR_END: flags

/// Where the program headers sit in the new memory, for `AT_PHDR`: libc walks
/// them to find its TLS template. `PT_PHDR` says so directly; otherwise find
/// the segment whose file bytes hold them; failing that, assume the first
/// segment's offset-to-address shift, as older Linux did.
fn phdr_address(header: &Header, phdrs: &[ProgramHeader]) -> u64 {
    if let Some(ph) = phdrs.iter().find(|ph| ph.p_type == PT_PHDR) {
        return ph.p_vaddr;
    }
    let phoff = header.e_phoff;
    let mut loads = phdrs.iter().filter(|ph| ph.p_type == PT_LOAD);
    if let Some(ph) =
        loads.clone().find(|ph| ph.p_offset <= phoff && phoff < ph.p_offset + ph.p_filesz)
    {
        return ph.p_vaddr + (phoff - ph.p_offset);
    }
    let first = loads.next().expect("checked: at least one PT_LOAD");
    first.p_vaddr.wrapping_sub(first.p_offset).wrapping_add(phoff)
}

// ANCHOR: stack
/// Maps the stack and lays out what `_start` finds there, from the top down:
/// argv and envp strings, the 16 random bytes, then, 16-byte aligned at the
/// returned stack pointer, argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL.
fn build_stack(
    mem: &mut dyn Memory,
    space: &mut AddressSpace,
    argv: &[&[u8]],
    envp: &[&[u8]],
    random: [u8; 16],
    auxv: &[(u64, u64)],
) -> Result<u64, Errno> {
    for va in (STACK_TOP - STACK_SIZE..STACK_TOP).step_by(PAGE_SIZE) {
        let frame = mem.alloc().ok_or(Errno::ENOMEM)?;
        if let Err(e) = space.map(mem, va, frame, Flags::WRITABLE | Flags::NO_EXECUTE) {
            mem.decref(frame);
            return Err(e);
        }
    }
    // The strings, each with its NUL, packed together. Like Linux, the top
    // word of the stack stays zero.
    let mut strings = Vec::new();
    for s in argv.iter().chain(envp) {
        strings.extend_from_slice(s);
        strings.push(0);
    }
    let strings_at = STACK_TOP - 8 - strings.len() as u64;
    let random_at = (strings_at - 16) & !15;

    let mut table: Vec<u64> = Vec::new();
    table.push(argv.len() as u64);
    let mut at = strings_at;
    for list in [argv, envp] {
        for s in list {
            table.push(at);
            at += s.len() as u64 + 1;
        }
        table.push(0);
    }
    for &(key, value) in auxv {
        table.extend([key, value]);
    }
    table.extend([AT_RANDOM, random_at, AT_NULL, 0]);
    // The ABI wants rsp 16-byte aligned at _start, pointing at argc.
    let sp = (random_at - 8 * table.len() as u64) & !15;

    let bytes: Vec<u8> = table.iter().flat_map(|w| w.to_le_bytes()).collect();
    space.write_user(mem, sp, &bytes)?;
    space.write_user(mem, random_at, &random)?;
    space.write_user(mem, strings_at, &strings)?;
    Ok(sp)
}
// ANCHOR_END: stack
