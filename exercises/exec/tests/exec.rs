//! Tests for the exec piece. They run against your code with
//! `cargo test -p exec` and against the reference with `cargo test -p exec-solution`.
//!
//! Every program here is written byte by byte by the small ELF writer in
//! `elf/mod.rs`, so each test shows the exact layout it loads.

mod elf;

use api::sim::SimMemory;
use api::{Errno, Flags, Memory, USER_START};
use elf::*;
use exec::{ARG_MAX, Image, STACK_SIZE, STACK_TOP, load};

const AT_NULL: u64 = 0;
const AT_PHDR: u64 = 3;
const AT_PHENT: u64 = 4;
const AT_PHNUM: u64 = 5;
const AT_PAGESZ: u64 = 6;
const AT_ENTRY: u64 = 9;
const AT_RANDOM: u64 = 25;

const RANDOM: [u8; 16] = *b"sixteen  random!";
const TEXT: u64 = 0x40_1000;
const DATA: u64 = 0x60_2000;
/// `mov eax, 60; xor edi, edi; syscall`: exit(0).
const EXIT0: [u8; 9] = [0xb8, 0x3c, 0x00, 0x00, 0x00, 0x31, 0xff, 0x0f, 0x05];

/// A program laid out like a small static executable: code in a read-execute
/// segment, initialised data and bss in a read-write one.
fn program() -> ElfFile {
    ElfFile::exec(TEXT).load(PF_R | PF_X, 0x1000, TEXT, &EXIT0, EXIT0.len() as u64).load(
        PF_R | PF_W,
        0x2000,
        DATA,
        b"counter=1",
        0x100,
    )
}

fn load_ok(mem: &mut SimMemory, file: &ElfFile, argv: &[&[u8]], envp: &[&[u8]]) -> Image {
    match load(mem, &file.bytes(), argv, envp, RANDOM) {
        Ok(image) => image,
        Err(e) => panic!("load failed with {e:?}"),
    }
}

/// Loads `bytes` and expects `want`, with every frame given back.
fn refused(bytes: &[u8], want: Errno, what: &str) {
    let mut mem = SimMemory::new(256);
    let free = mem.free_frames();
    let got = load(&mut mem, bytes, &[b"prog"], &[b"HOME=/"], RANDOM).err();
    assert_eq!(got, Some(want), "{what}");
    assert_eq!(mem.free_frames(), free, "frames leaked when refusing: {what}");
}

/// Loads `bytes` and expects success: the control case beside the refusals.
fn accepted(bytes: &[u8], what: &str) {
    let mut mem = SimMemory::new(256);
    let free = mem.free_frames();
    match load(&mut mem, bytes, &[b"prog"], &[b"HOME=/"], RANDOM) {
        Ok(image) => destroy(&mut mem, image, free),
        Err(e) => panic!("{what}: must load, but got {e:?}"),
    }
}

/// Destroying the image must give back every frame the load took.
fn destroy(mem: &mut SimMemory, image: Image, free_before: usize) {
    image.space.destroy(mem);
    assert_eq!(
        mem.free_frames(),
        free_before,
        "some frames the load took are not in the address space"
    );
}

fn read(mem: &mut SimMemory, image: &Image, va: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0; len];
    if let Err(e) = image.space.read_user(mem, va, &mut buf) {
        panic!("reading {len} bytes at {va:#x}: {e:?}");
    }
    buf
}

fn word(mem: &mut SimMemory, image: &Image, va: u64) -> u64 {
    u64::from_le_bytes(read(mem, image, va, 8).try_into().unwrap())
}

fn flags(mem: &mut SimMemory, image: &Image, va: u64) -> Flags {
    match image.space.translate(mem, va) {
        Some((_, f)) => f,
        None => panic!("{va:#x} is not mapped"),
    }
}

/// What `_start` finds on the stack.
struct Stack {
    argv: Vec<Vec<u8>>,
    argv_ptrs: Vec<u64>,
    envp: Vec<Vec<u8>>,
    auxv: Vec<(u64, u64)>,
    /// One past the AT_NULL pair.
    end: u64,
}

impl Stack {
    fn aux(&self, key: u64) -> u64 {
        match self.auxv.iter().find(|&&(k, _)| k == key) {
            Some(&(_, v)) => v,
            None => panic!("auxv has no entry {key}: {:?}", self.auxv),
        }
    }
}

fn stack(mem: &mut SimMemory, image: &Image) -> Stack {
    let mut at = image.stack_pointer;
    let mut next = |mem: &mut SimMemory| {
        let w = word(mem, image, at);
        at += 8;
        w
    };
    let argc = next(mem);
    assert!(argc < 10_000, "argc = {argc}: the stack pointer does not point at argc");
    let argv_ptrs: Vec<u64> = (0..argc).map(|_| next(mem)).collect();
    assert_eq!(next(mem), 0, "argv[argc] must be a NULL pointer");
    let mut envp_ptrs = Vec::new();
    loop {
        match next(mem) {
            0 => break,
            p => envp_ptrs.push(p),
        }
        assert!(envp_ptrs.len() < 10_000, "envp has no NULL at its end");
    }
    let mut auxv = Vec::new();
    loop {
        let (key, value) = (next(mem), next(mem));
        if key == AT_NULL {
            break;
        }
        auxv.push((key, value));
        assert!(auxv.len() < 100, "auxv has no AT_NULL at its end");
    }
    let mut cstr = |p: u64| {
        image.space.read_user_cstr(mem, p, ARG_MAX).expect("a string pointer points at no string")
    };
    let argv = argv_ptrs.iter().map(|&p| cstr(p)).collect();
    let envp = envp_ptrs.iter().map(|&p| cstr(p)).collect();
    Stack { argv, argv_ptrs, envp, auxv, end: at }
}

#[test]
fn segment_bytes_land_at_p_vaddr() {
    let mut mem = SimMemory::new(256);
    let free = mem.free_frames();
    let code: Vec<u8> = (0..0x40).map(|i| 0x90 ^ i).collect();
    // The third segment starts in the middle of a page and runs into the
    // next one; the file holds other bytes just before it.
    let file = ElfFile::exec(TEXT)
        .load(PF_R | PF_X, 0x1000, TEXT, &code, 0x40)
        .load(PF_R | PF_W, 0x3000, DATA, b"initialised data", 0x10)
        .put(0x4000, &[0xee; 0xf80])
        .load(PF_R, 0x4f80, 0x80_0f80, &[0x5a; 0x100], 0x100);
    let image = load_ok(&mut mem, &file, &[b"prog"], &[]);
    assert_eq!(read(&mut mem, &image, TEXT, 0x40), code);
    assert_eq!(read(&mut mem, &image, DATA, 16), b"initialised data");
    assert_eq!(read(&mut mem, &image, 0x80_0f80, 0x100), [0x5a; 0x100]);
    assert_eq!(
        read(&mut mem, &image, 0x80_0000, 0xf80),
        [0; 0xf80],
        "bytes before the segment's start are not the segment's"
    );
    destroy(&mut mem, image, free);
}

#[test]
fn bss_is_zero_even_where_the_file_has_bytes() {
    let mut mem = SimMemory::new(256);
    let free = mem.free_frames();
    // 0x123 bytes of data, then 0x3000 - 0x123 of bss. The file goes on with
    // other bytes (say, a symbol table) right after the data.
    let file = ElfFile::exec(TEXT)
        .load(PF_R | PF_X, 0x1000, TEXT, &EXIT0, EXIT0.len() as u64)
        .load(PF_R | PF_W, 0x2000, DATA, &[0x11; 0x123], 0x3000)
        .put(0x2123, &[0xaa; 0x4000]);
    let image = load_ok(&mut mem, &file, &[b"prog"], &[]);
    assert_eq!(read(&mut mem, &image, DATA, 0x123), [0x11; 0x123]);
    let bss = read(&mut mem, &image, DATA + 0x123, 0x3000 - 0x123);
    let dirty = bss.iter().position(|&b| b != 0);
    assert_eq!(dirty.map(|i| DATA + 0x123 + i as u64), None, "bss must read as zero");
    destroy(&mut mem, image, free);
}

#[test]
fn permissions_follow_p_flags() {
    let mut mem = SimMemory::new(256);
    let file = ElfFile::exec(TEXT)
        .load(PF_R | PF_X, 0x1000, TEXT, &EXIT0, 0x10)
        .load(PF_R, 0x2000, 0x50_0000, b"read-only", 0x10)
        .load(PF_R | PF_W, 0x3000, DATA, b"data", 0x2000);
    let image = load_ok(&mut mem, &file, &[b"prog"], &[]);
    let perms = |mem: &mut SimMemory, va| {
        let f = flags(mem, &image, va);
        assert!(f.contains(Flags::USER), "{va:#x} must be a user page");
        (f.contains(Flags::WRITABLE), f.contains(Flags::NO_EXECUTE))
    };
    assert_eq!(perms(&mut mem, TEXT), (false, false), "code: read and execute");
    assert_eq!(perms(&mut mem, 0x50_0000), (false, true), "constants: read only");
    assert_eq!(perms(&mut mem, DATA), (true, true), "data: read and write, never execute");
    assert_eq!(
        perms(&mut mem, DATA + 0x1000),
        (true, true),
        "bss pages get the segment's permissions"
    );
}

#[test]
fn segments_sharing_a_page_share_one_frame() {
    let mut mem = SimMemory::new(256);
    let free = mem.free_frames();
    // Code ends at 0x40_1100 and data starts at 0x40_1800, in the same page;
    // the file holds padding between them that must not show.
    let file = ElfFile::exec(TEXT)
        .load(PF_R | PF_X, 0x1000, TEXT, &[0xc3; 0x100], 0x100)
        .put(0x1100, &[0xaa; 0x700])
        .load(PF_R | PF_W, 0x1800, TEXT + 0x800, b"data", 0x900);
    let image = load_ok(&mut mem, &file, &[b"prog"], &[]);
    let below_stack: Vec<_> =
        image.space.pages(&mem).into_iter().filter(|p| p.va < STACK_TOP - STACK_SIZE).collect();
    let vas: Vec<u64> = below_stack.iter().map(|p| p.va).collect();
    assert_eq!(
        vas,
        [TEXT, TEXT + 0x1000],
        "two segments in three pages' worth of addresses need two pages"
    );
    let shared = flags(&mut mem, &image, TEXT);
    assert!(shared.contains(Flags::WRITABLE), "the shared page must let the data be written");
    assert!(!shared.contains(Flags::NO_EXECUTE), "the shared page must let the code run");
    assert_eq!(read(&mut mem, &image, TEXT, 0x100), [0xc3; 0x100]);
    assert_eq!(read(&mut mem, &image, TEXT + 0x100, 0x700), [0; 0x700]);
    assert_eq!(read(&mut mem, &image, TEXT + 0x800, 4), b"data");
    let next = flags(&mut mem, &image, TEXT + 0x1000);
    assert!(
        next.contains(Flags::WRITABLE) && next.contains(Flags::NO_EXECUTE),
        "a page of data alone stays NX"
    );
    destroy(&mut mem, image, free);
}

#[test]
fn tiny_exit_program_starts_at_its_entry() {
    // The smallest real executable: ELF header, one program header, then the
    // code, all in one segment mapped from file offset 0. Linux runs it too.
    let base = 0x40_0000;
    let code_at = EHDR64 + PHDR64;
    let file = ElfFile::exec(base + code_at);
    let size = code_at + EXIT0.len() as u64;
    let file = file.put(code_at, &EXIT0).phdr(Phdr {
        p_type: PT_LOAD,
        flags: PF_R | PF_X,
        offset: 0,
        vaddr: base,
        filesz: size,
        memsz: size,
    });
    let mut mem = SimMemory::new(256);
    let image = load_ok(&mut mem, &file, &[b"/bin/true"], &[]);
    assert_eq!(image.entry, 0x40_0078);
    assert_eq!(read(&mut mem, &image, image.entry, EXIT0.len()), EXIT0);
    assert_eq!(read(&mut mem, &image, base, 4), b"\x7fELF", "the headers are part of the segment");
    let f = flags(&mut mem, &image, base);
    assert!(!f.contains(Flags::NO_EXECUTE) && !f.contains(Flags::WRITABLE));
}

#[test]
fn stack_holds_argc_argv_and_envp() {
    let mut mem = SimMemory::new(256);
    let argv: [&[u8]; 3] = [b"/bin/echo", b"-n", b""];
    let envp: [&[u8]; 2] = [b"HOME=/root", b"TERM=vt100"];
    let image = load_ok(&mut mem, &program(), &argv, &envp);
    let s = stack(&mut mem, &image);
    assert_eq!(s.argv, argv, "argc and argv");
    assert_eq!(s.envp, envp);
}

#[test]
fn auxv_describes_the_program() {
    // The program headers are inside the first segment, as a linker puts them.
    let code_at = 0x200;
    let mut header_page = vec![0; code_at];
    header_page.extend_from_slice(&EXIT0);
    let with_headers = ElfFile::exec(0x40_0000 + code_at as u64)
        .load(PF_R | PF_X, 0, 0x40_0000, &header_page, header_page.len() as u64)
        .load(PF_R | PF_W, 0x1000, 0x40_1000, b"data", 0x10)
        .phdr(Phdr {
            p_type: PT_GNU_STACK,
            flags: PF_R | PF_W,
            offset: 0,
            vaddr: 0,
            filesz: 0,
            memsz: 0,
        });
    let mut with_pt_phdr = with_headers.clone();
    with_pt_phdr.phdrs.insert(
        0,
        Phdr {
            p_type: PT_PHDR,
            flags: PF_R,
            offset: EHDR64,
            vaddr: 0x40_0000 + EHDR64,
            filesz: 4 * PHDR64,
            memsz: 4 * PHDR64,
        },
    );
    // Here the headers are in the second segment, not the first.
    let headers_later = ElfFile::exec(TEXT).load(PF_R | PF_X, 0x1000, TEXT, &EXIT0, 0x10).load(
        PF_R,
        0,
        0x80_0000,
        &[0; 0x100],
        0x100,
    );

    for (what, file) in [
        ("no PT_PHDR", with_headers),
        ("PT_PHDR", with_pt_phdr),
        ("headers in the 2nd segment", headers_later),
    ] {
        let mut mem = SimMemory::new(256);
        let bytes = file.bytes();
        let image = load_ok(&mut mem, &file, &[b"prog"], &[b"A=1"]);
        let s = stack(&mut mem, &image);
        let phnum = file.phdrs.len() as u64;
        assert_eq!(s.aux(AT_PAGESZ), 4096, "{what}");
        assert_eq!(s.aux(AT_PHENT), PHDR64, "{what}");
        assert_eq!(s.aux(AT_PHNUM), phnum, "{what}");
        assert_eq!(s.aux(AT_ENTRY), file.entry, "{what}");
        assert_eq!(image.entry, file.entry, "{what}");
        let phdrs = read(&mut mem, &image, s.aux(AT_PHDR), (phnum * PHDR64) as usize);
        assert_eq!(
            phdrs,
            bytes[EHDR64 as usize..][..phdrs.len()],
            "{what}: AT_PHDR must point at the program headers in memory"
        );
        assert_eq!(read(&mut mem, &image, s.aux(AT_RANDOM), 16), RANDOM, "{what}: AT_RANDOM");
    }
}

#[test]
fn stack_is_mapped_nx_and_sp_is_aligned() {
    let words: [&[u8]; 5] = [b"a", b"bb", b"ccc", b"dddd", b"eeeeeee"];
    for argc in 0..=5 {
        for envc in 0..=2 {
            let mut mem = SimMemory::new(256);
            let free = mem.free_frames();
            let (argv, envp) = (&words[..argc], &words[5 - envc..]);
            let image = load_ok(&mut mem, &program(), argv, envp);
            let sp = image.stack_pointer;
            assert_eq!(
                sp % 16,
                0,
                "rsp must be 16-byte aligned at _start (argc {argc}, envc {envc})"
            );
            assert!(
                (STACK_TOP - STACK_SIZE..STACK_TOP).contains(&sp),
                "sp {sp:#x} is outside the stack"
            );
            let s = stack(&mut mem, &image);
            assert_eq!(s.argv, argv);
            assert_eq!(s.envp, envp);
            for &p in &s.argv_ptrs {
                assert!(p >= s.end && p < STACK_TOP, "strings live above the tables: {p:#x}");
            }
            let r = s.aux(AT_RANDOM);
            assert!(
                r >= s.end && r + 16 <= STACK_TOP,
                "the random bytes live above the tables: {r:#x}"
            );
            let stack_pages: Vec<_> = image
                .space
                .pages(&mem)
                .into_iter()
                .filter(|p| p.va >= STACK_TOP - STACK_SIZE)
                .collect();
            assert_eq!(
                stack_pages.len() as u64,
                STACK_SIZE / 4096,
                "the whole stack is mapped, and nothing above it"
            );
            for p in &stack_pages {
                assert!(p.va < STACK_TOP);
                assert!(
                    p.flags.contains(Flags::WRITABLE | Flags::NO_EXECUTE | Flags::USER),
                    "stack page {:#x}",
                    p.va
                );
            }
            destroy(&mut mem, image, free);
        }
    }
}

#[test]
fn not_an_elf_is_enoexec() {
    let good = program().bytes();
    accepted(&good, "the unspoilt program");
    refused(b"", Errno::ENOEXEC, "an empty file");
    refused(b"#!/bin/sh\necho hi\n", Errno::ENOEXEC, "a script");
    refused(b"\x7fELF", Errno::ENOEXEC, "just the magic");
    refused(&good[..40], Errno::ENOEXEC, "a file cut inside the ELF header");
    refused(
        &good[..(EHDR64 + PHDR64 + 10) as usize],
        Errno::ENOEXEC,
        "a file cut inside the program headers",
    );
    let mut f = program();
    f.phnum = Some(200);
    refused(&f.bytes(), Errno::ENOEXEC, "more program headers than the file holds");
    let mut f = program();
    f.phoff = 0x10_0000;
    refused(&f.bytes()[..good.len()], Errno::ENOEXEC, "program headers past the end of the file");
    let mut f = program();
    f.phentsize = Some(64);
    refused(&f.bytes(), Errno::ENOEXEC, "e_phentsize is not sizeof(Elf64_Phdr)");
}

#[test]
fn wrong_kind_of_elf_is_enoexec() {
    accepted(&program().bytes(), "the unspoilt program");
    refused(&program().class32().bytes(), Errno::ENOEXEC, "ELFCLASS32 (x32) is not ELF64");
    let mut f = program();
    f.data = ELFDATA2MSB;
    refused(&f.bytes(), Errno::ENOEXEC, "a big-endian file");
    for (machine, what) in [(EM_386, "i386"), (EM_AARCH64, "arm64")] {
        let mut f = program();
        f.machine = machine;
        refused(&f.bytes(), Errno::ENOEXEC, what);
    }
    for (e_type, what) in
        [(ET_DYN, "ET_DYN: a PIE or shared object"), (ET_REL, "ET_REL: an object file")]
    {
        let mut f = program();
        f.e_type = e_type;
        refused(&f.bytes(), Errno::ENOEXEC, what);
    }
    let interp = b"/lib64/ld-linux-x86-64.so.2\0";
    let f = program().put(0x800, interp).phdr(Phdr {
        p_type: PT_INTERP,
        flags: PF_R,
        offset: 0x800,
        vaddr: 0,
        filesz: interp.len() as u64,
        memsz: 0,
    });
    refused(&f.bytes(), Errno::ENOEXEC, "PT_INTERP: needs a dynamic loader");
}

/// Our good code segment, then a second segment from `bad`.
fn then(bad: Phdr) -> Vec<u8> {
    ElfFile::exec(TEXT)
        .load(PF_R | PF_X, 0x1000, TEXT, &EXIT0, 0x10)
        .put(0x2000, &[0x77; 0x2000])
        .phdr(bad)
        .bytes()
}

fn data(offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Phdr {
    Phdr { p_type: PT_LOAD, flags: PF_R | PF_W, offset, vaddr, filesz, memsz }
}

#[test]
fn bad_segment_is_enoexec_and_leaks_nothing() {
    accepted(&then(data(0x2000, DATA, 0x2000, 0x2000)), "a good second segment");

    refused(&then(data(0x2000, DATA, 0x200, 0x100)), Errno::ENOEXEC, "p_filesz > p_memsz");
    refused(
        &then(data(0x2000, DATA, 0x2001, 0x3000)),
        Errno::ENOEXEC,
        "file bytes past the end of the file",
    );
    refused(
        &then(data(0x3000, DATA, u64::MAX - 0x2000, u64::MAX - 0x2000)),
        Errno::ENOEXEC,
        "p_offset + p_filesz overflows",
    );
    refused(
        &then(data(0x2010, DATA, 0x100, 0x100)),
        Errno::ENOEXEC,
        "p_vaddr and p_offset disagree mod 4096",
    );
    let no_load = ElfFile::exec(TEXT).phdr(Phdr {
        p_type: PT_GNU_STACK,
        flags: PF_R | PF_W,
        offset: 0,
        vaddr: 0,
        filesz: 0,
        memsz: 0,
    });
    refused(&no_load.bytes(), Errno::ENOEXEC, "no PT_LOAD at all");
}

#[test]
fn segment_outside_user_space_is_enoexec() {
    let cases = [
        (0xffff_8000_0010_0000, 0x1000, "in the kernel's half"),
        (0x20_0000, 0x1000, "in the kernel image's low 4 MiB"),
        (USER_START - 0x1000, 0x2000, "starting just below USER_START"),
        (0x8000_0000_0000, 0x1000, "a non-canonical address"),
        (STACK_TOP - STACK_SIZE - 0x1000, 0x1001, "running into the stack"),
        (STACK_TOP - 0x1000, 0x1000, "on the stack"),
        (0x50_0000, u64::MAX - 0x10_0000, "p_vaddr + p_memsz overflows"),
    ];
    for (vaddr, memsz, what) in cases {
        refused(&then(data(0x2000 + vaddr % 0x1000, vaddr, 0x10, memsz)), Errno::ENOEXEC, what);
    }
    accepted(
        &then(data(0x2000, STACK_TOP - STACK_SIZE - 0x1000, 0x10, 0x1000)),
        "a segment ending right below the stack",
    );
}

#[test]
fn overlapping_segments_are_enoexec() {
    refused(&then(data(0x2000, TEXT, 0x10, 0x10)), Errno::ENOEXEC, "the same addresses twice");
    refused(&then(data(0x200f, TEXT + 0xf, 0x10, 0x10)), Errno::ENOEXEC, "one byte in common");
    refused(
        &then(data(0x2000, TEXT - 0x1000, 0x10, 0x1001)),
        Errno::ENOEXEC,
        "bss running over the next segment",
    );
    accepted(&then(data(0x2010, TEXT + 0x10, 0x10, 0x10)), "segments that only touch");
}

#[test]
fn entry_outside_executable_segment_is_enoexec() {
    for (entry, what) in [
        (DATA, "the entry is in a data segment"),
        (TEXT + EXIT0.len() as u64, "the entry is one past the code"),
        (0x50_0000, "the entry is in no segment"),
        (0, "the entry is 0"),
    ] {
        let mut f = program();
        f.entry = entry;
        refused(&f.bytes(), Errno::ENOEXEC, what);
    }
    let mut f = program();
    f.entry = TEXT + 8;
    accepted(&f.bytes(), "an entry at the last byte of the code");
}

#[test]
fn too_many_argument_bytes_is_e2big() {
    // prog\0, the long one, A=1\0, and five pointers: two in argv, its NULL,
    // one in envp, its NULL.
    let fixed = 5 + 4 + 5 * 8;
    let exact = vec![b'x'; ARG_MAX - fixed - 1];
    let mut mem = SimMemory::new(256);
    let image = load_ok(&mut mem, &program(), &[b"prog", &exact], &[b"A=1"]);
    assert_eq!(
        stack(&mut mem, &image).argv[1].len(),
        exact.len(),
        "exactly ARG_MAX bytes must fit"
    );

    let over = vec![b'x'; exact.len() + 1];
    let mut mem = SimMemory::new(256);
    let free = mem.free_frames();
    assert_eq!(
        load(&mut mem, &program().bytes(), &[b"prog", &over], &[b"A=1"], RANDOM).err(),
        Some(Errno::E2BIG),
        "ARG_MAX + 1"
    );
    assert_eq!(mem.free_frames(), free);
    // The pointers count too: 4000 empty strings are 4000 bytes of strings
    // but over 32000 bytes of pointers.
    let many = vec![&b""[..]; 4000];
    assert_eq!(
        load(&mut mem, &program().bytes(), &many, &[], RANDOM).err(),
        Some(Errno::E2BIG),
        "pointers count against ARG_MAX"
    );
    assert_eq!(
        load(&mut mem, &program().bytes(), &[b"prog"], &many, RANDOM).err(),
        Some(Errno::E2BIG),
        "envp counts against ARG_MAX"
    );
    assert_eq!(mem.free_frames(), free);
}

#[test]
fn out_of_memory_is_enomem_and_leaks_nothing() {
    let bytes = program().bytes();
    let mut mem = SimMemory::new(256);
    let free = mem.free_frames();
    let image = load(&mut mem, &bytes, &[b"prog"], &[b"A=1"], RANDOM).expect("enough memory");
    let needed = free - mem.free_frames();
    assert!(
        needed > (STACK_SIZE / 4096) as usize,
        "the stack alone takes {} frames; the load took {needed}",
        STACK_SIZE / 4096
    );
    image.space.destroy(&mut mem);
    // Run out at every single allocation the load makes.
    for left in 0..needed {
        let mut mem = SimMemory::new(256);
        mem.leave_free(left);
        let got = load(&mut mem, &bytes, &[b"prog"], &[b"A=1"], RANDOM).err();
        assert_eq!(got, Some(Errno::ENOMEM), "with {left} of {needed} frames free");
        assert_eq!(mem.free_frames(), left, "frames leaked when memory ran out with {left} free");
    }
    let mut mem = SimMemory::new(256);
    mem.leave_free(needed);
    assert!(load(&mut mem, &bytes, &[b"prog"], &[b"A=1"], RANDOM).is_ok());
}
