//! syscalls: checks the system-call boundary the way a test suite would:
//! unknown numbers get ENOSYS, bad pointers get EFAULT, bad mappings
//! EINVAL or EEXIST, never a crash.
#![no_std]
#![no_main]

use user::{Args, errno_name, getpid, getppid, mmap_fixed, nr, println, syscall6};

user::main!(main);

fn check(what: &str, got: i64, want: i64) -> bool {
    let ok = got == want;
    let name = if got < 0 { errno_name(got) } else { "ok" };
    println!("syscalls: {what}: {got} ({name}) {}", if ok { "as expected" } else { "WRONG" });
    ok
}

/// A raw system call for the checks below.
fn raw(n: u64, a: [u64; 6]) -> i64 {
    // SAFETY: each call made here is refused, as its check says, or harmless:
    // write only reads, and munmap undoes an mmap of a page nothing uses.
    unsafe { syscall6(n, a) }
}

/// MAP_SHARED, which the mini-kernel lacks. Linux has it: then the page is
/// given back, so the checks after this one find the address free again.
fn mmap_shared(addr: u64) -> i64 {
    let r = raw(nr::MMAP, [addr, 4096, 3, 0x01 | 0x20 | 0x10_0000, -1i64 as u64, 0]);
    if r == addr as i64 {
        raw(nr::MUNMAP, [addr, 4096, 0, 0, 0, 0]);
    }
    r
}

fn main(_: Args) -> i32 {
    let write = |ptr: u64, len: u64| raw(nr::WRITE, [1, ptr, len, 0, 0, 0]);
    let results = [
        check("unknown system call 9999", raw(9999, [0; 6]), -38),
        check("unknown system call 999", raw(999, [0; 6]), -38),
        check("write from address 0", write(0, 8), -14),
        check("write from the kernel image", write(0x10_0000, 8), -14),
        check("write from the direct map", write(0xffff_8000_0000_0000, 8), -14),
        check("write that wraps around", write(u64::MAX - 3, 8), -14),
        check("write to a bad fd", raw(nr::WRITE, [7, b"x".as_ptr() as u64, 1, 0, 0, 0]), -9),
        check("getpid is positive", (getpid() > 1) as i64, 1),
        check("getppid is init", getppid() as i64, 1),
        check("mmap over the program's own code", mmap_fixed(0x40_0000, 4096), -17),
        check("mmap of the kernel's half", mmap_fixed(0xffff_8000_0000_0000, 4096), -22),
        check("mmap of a length that wraps", mmap_fixed(0x1000_0000, usize::MAX - 100), -22),
        check("mmap of an unaligned address", mmap_fixed(0x1000_0001, 4096), -22),
        check("mmap shared (unsupported)", mmap_shared(0x1000_0000), -22),
        check("munmap of nothing", raw(nr::MUNMAP, [0x1000_0000, 0, 0, 0, 0, 0]), -22),
        check("mmap of one fresh page", mmap_fixed(0x1000_0000, 4096), 0x1000_0000),
        check("munmap of that page", raw(nr::MUNMAP, [0x1000_0000, 4096, 0, 0, 0, 0]), 0),
    ];
    let failed = results.iter().filter(|ok| !**ok).count();
    println!("syscalls: {} checks, {failed} wrong", results.len());
    failed as i32
}
