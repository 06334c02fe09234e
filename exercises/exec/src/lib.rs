//! Exercise: the loader behind `execve()`, a new address space from an ELF file.
//!
//! Read the chapter "Exercise: exec" first. Run the tests with
//! `cargo test -p exec`; they all fail until you fill in [`load`].
//!
//! The kernel looks the file up (that is where `ENOENT` comes from), reads
//! it, and calls [`load`]. Only if it succeeds does the kernel swap the new
//! address space in, so any error leaves the calling process as it was.
//!
//! Only statically linked, non-relocatable executables (`ET_EXEC`) can be
//! loaded. A PIE or shared object (`ET_DYN`) must be placed at an address
//! of our choosing and relocated, and anything with `PT_INTERP` wants a
//! dynamic loader to do that: we have none, so both are refused.
#![no_std]

extern crate alloc;

use api::{AddressSpace, Errno, Memory};

// ANCHOR: api
/// The top of the initial stack: the page below it is the stack's last.
pub const STACK_TOP: u64 = 0x7fff_ffff_f000;
/// How much stack a new program gets, all of it mapped, writable and NX.
pub const STACK_SIZE: u64 = 64 * 1024;
/// The most bytes argv and envp may take: every string with its NUL plus
/// every pointer, the two NULLs included. More gives `E2BIG`.
pub const ARG_MAX: usize = 32 * 1024;

/// A loaded program, ready to run: the kernel makes `space` the process's
/// memory and returns to user mode at `entry` with `rsp = stack_pointer`.
pub struct Image {
    pub space: AddressSpace,
    pub entry: u64,
    pub stack_pointer: u64,
}

/// Loads `elf` into a fresh address space with a System V initial stack.
///
/// `argv` and `envp` are the strings without their NULs; `random` becomes
/// the 16 bytes `AT_RANDOM` points at.
///
/// Steps, in an order that keeps the error handling simple:
/// 1. Count the argument bytes as [`ARG_MAX`] describes: `E2BIG` if too many.
/// 2. Parse the ELF header (`goblin::elf::Elf::parse_header`) and check it:
///    ELF64 (`e_ident[EI_CLASS]`), little-endian (`e_ident[EI_DATA]`),
///    `EM_X86_64`, `ET_EXEC`, `e_phentsize` of 56. Then read the program
///    headers (`goblin::elf::ProgramHeader::parse` with a 64-bit,
///    little-endian `goblin::container::Ctx`). Any failure is `ENOEXEC`, and
///    so is a `PT_INTERP`. The constants are in `goblin::elf::header` and
///    `goblin::elf::program_header`.
/// 3. Check every `PT_LOAD` (`ENOEXEC` otherwise): there is at least one;
///    `p_filesz <= p_memsz`; its file bytes lie inside the file; `p_vaddr`
///    and `p_offset` agree modulo 4096; `p_vaddr..p_vaddr + p_memsz` fits in
///    `USER_START..STACK_TOP - STACK_SIZE` without overflowing and overlaps
///    no other segment's bytes; an executable (`PF_X`) one holds `e_entry`.
/// 4. Only now allocate: [`AddressSpace::new`], then for each page a segment
///    touches, a frame from `mem.alloc()` (already zero, which is the bss)
///    mapped with `USER`, `WRITABLE` if `PF_W`, `NO_EXECUTE` unless `PF_X`.
///    Copy in only the segment's `p_filesz` bytes from `p_offset`, with
///    [`Memory::write`] (a read-only page refuses `write_user`). Two segments
///    may share a page: find it with [`AddressSpace::translate`], reuse its
///    frame, and give it what either segment needs ([`AddressSpace::set`]).
/// 5. Map the stack, `STACK_TOP - STACK_SIZE..STACK_TOP`, writable and NX,
///    and write on it ([`AddressSpace::write_user`]) what `_start` expects:
///    at the returned stack pointer, 16-byte aligned, argc; the argv
///    pointers; NULL; the envp pointers; NULL; auxv pairs `(key, value)` for
///    `AT_PHDR` (3), `AT_PHENT` (4), `AT_PHNUM` (5), `AT_PAGESZ` (6),
///    `AT_ENTRY` (9), `AT_RANDOM` (25); `(AT_NULL, 0)`. The strings and the
///    random bytes go above all that. `AT_PHDR` is where the program headers
///    are in memory: `PT_PHDR`'s `p_vaddr` if there is one, or else find the
///    `PT_LOAD` whose file bytes hold `e_phoff`.
///
/// Errors: `E2BIG`, `ENOEXEC`, and `ENOMEM` when `mem.alloc()` or a page
/// table runs out. On any error, every frame taken must be given back:
/// [`AddressSpace::destroy`] frees a half-built space and all it maps.
pub fn load(
    mem: &mut dyn Memory,
    elf: &[u8],
    argv: &[&[u8]],
    envp: &[&[u8]],
    random: [u8; 16],
) -> Result<Image, Errno> {
    let _ = (mem, elf, argv, envp, random);
    todo!("load: check the ELF, map its segments, build the initial stack")
}
// ANCHOR_END: api
