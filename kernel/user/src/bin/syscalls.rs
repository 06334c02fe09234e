//! syscalls: checks the system-call boundary the way a test suite would:
//! unknown numbers get ENOSYS, bad pointers get EFAULT, bad mappings
//! EINVAL, ENOMEM or EEXIST, huge ranges and times are no trouble, never a crash.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use user::thread::{Tcb, exit_thread, spawn};
use user::{Args, errno_name, getpid, getppid, mmap_fixed, nr, println, sleep_ms, syscall6};

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
    // write only reads, munmap and mprotect touch only pages these checks
    // mapped or ranges where nothing of this program lies, and the others
    // write into buffers of this program that nothing else uses.
    unsafe { syscall6(n, a) }
}

/// Set by the thread below if its sleep of 2^63 seconds ever ends.
static WOKE: AtomicU32 = AtomicU32::new(0);

extern "C" fn sleep_forever(_: &'static Tcb) -> ! {
    let forever = [i64::MAX, 0];
    raw(nr::NANOSLEEP, [forever.as_ptr() as u64, 0, 0, 0, 0, 0]);
    WOKE.store(1, Ordering::Release);
    exit_thread(0)
}

/// Whether a sleep of i64::MAX seconds is still asleep after 50 ms: a wrapped
/// deadline would have woken it at once. exit_group ends it with the program.
fn huge_sleep_sleeps() -> i64 {
    if let Err(e) = spawn(0x2000_0000, 1, sleep_forever) {
        return e;
    }
    sleep_ms(50);
    WOKE.load(Ordering::Acquire) as i64
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
    let mmap = |addr: u64, len: u64, prot: u64| raw(nr::MMAP, [addr, len, prot, 0x22, !0, 0]);
    let mprotect = |addr: u64, len: u64, prot: u64| raw(10, [addr, len, prot, 0, 0, 0]);
    let brk = |addr: u64| raw(12, [addr, 0, 0, 0, 0, 0]);
    let (mut buf, stack) = ([0u8; 512], &mut 0u64 as *mut u64 as u64);
    let buf = buf.as_mut_ptr() as u64;
    let none = mmap(0, 8192, 0);
    let heap = brk(0);
    let file = raw(nr::OPENAT, [-100i64 as u64, c"/bin/echo".as_ptr() as u64, 0, 0, 0, 0]);
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
        check("mmap of the kernel's half", mmap_fixed(0xffff_8000_0000_0000, 4096), -12),
        check("mmap of a length that wraps", mmap_fixed(0x1000_0000, usize::MAX - 100), -12),
        check("mmap of an unaligned address", mmap_fixed(0x1000_0001, 4096), -22),
        check("mmap shared (unsupported)", mmap_shared(0x1000_0000), -19),
        check("munmap of nothing", raw(nr::MUNMAP, [0x1000_0000, 0, 0, 0, 0, 0]), -22),
        check("mmap of one fresh page", mmap_fixed(0x1000_0000, 4096), 0x1000_0000),
        check("munmap of that page", raw(nr::MUNMAP, [0x1000_0000, 4096, 0, 0, 0, 0]), 0),
        check(
            "munmap of 64 TiB, nearly all unmapped",
            raw(nr::MUNMAP, [0x1000_0000, 1 << 46, 0, 0, 0, 0]),
            0,
        ),
        check(
            "munmap of a range that wraps",
            raw(nr::MUNMAP, [0x1000_0000, u64::MAX - 100, 0, 0, 0, 0]),
            -22,
        ),
        check("mmap of length 0", mmap(0, 0, 3), -22),
        check("mmap with PROT_NONE, the kernel choosing", (none > 0x1000_0000) as i64, 1),
        check("write from a PROT_NONE page", write(none as u64, 8), -14),
        check("mprotect of it to read and write", mprotect(none as u64, 8192, 3), 0),
        check("write from it now", write(none as u64, 0), 0),
        check("mprotect with unknown bits", mprotect(none as u64, 4096, 0x100), -22),
        check("mprotect of an unaligned address", mprotect(none as u64 + 1, 4096, 1), -22),
        check("mprotect past the mapping", mprotect(none as u64, 1 << 40, 1), -12),
        check(
            "munmap of the last page only",
            raw(nr::MUNMAP, [none as u64 + 4096, 4096, 0, 0, 0, 0]),
            0,
        ),
        check("mprotect of the unmapped page", mprotect(none as u64 + 4096, 4096, 1), -12),
        check("brk(0) is the break", (heap > 0) as i64, 1),
        // The break's address differs from boot to boot on Linux: compare, don't print.
        check("brk grows by a page", (brk(heap as u64 + 4096) == heap + 4096) as i64, 1),
        check("brk below the heap fails", (brk(4096) == heap + 4096) as i64, 1),
        check("brk into the kernel fails", (brk(0xffff_8000_0000_0000) == heap + 4096) as i64, 1),
        check("brk shrinks back", (brk(heap as u64) == heap) as i64, 1),
        check(
            "nanosleep of a negative time",
            raw(nr::NANOSLEEP, [[-1i64, 0].as_ptr() as u64, 0, 0, 0, 0, 0]),
            -22,
        ),
        check("nanosleep of i64::MAX seconds still sleeps", huge_sleep_sleeps(), 0),
        check("writev of 1025 buffers", raw(20, [1, buf, 1025, 0, 0, 0]), -22),
        check("writev of iovecs at address 0", raw(20, [1, 0, 1, 0, 0, 0]), -14),
        check("readv with a huge count", raw(19, [0, buf, u64::MAX, 0, 0, 0]), -22),
        check("ioctl TIOCGWINSZ on a file", raw(16, [file as u64, 0x5413, buf, 0, 0, 0]), -25),
        check("ioctl of an unknown request", raw(16, [1, 0x1234, buf, 0, 0, 0]), -25),
        check("ioctl of a bad fd", raw(16, [9, 0x5413, buf, 0, 0, 0]), -9),
        check("rt_sigaction of signal 0", raw(13, [0, 0, buf, 8, 0, 0]), -22),
        check("rt_sigaction of SIGKILL", raw(13, [9, buf, 0, 8, 0, 0]), -22),
        check("rt_sigaction with a bad set size", raw(13, [2, 0, buf, 7, 0, 0]), -22),
        check("rt_sigaction from the kernel", raw(13, [2, 0xffff_8000_0000_0000, 0, 8, 0, 0]), -14),
        check("rt_sigprocmask with a bad how", raw(14, [7, buf, 0, 8, 0, 0]), -22),
        check(
            "rt_sigprocmask into the kernel",
            raw(14, [0, 0, 0xffff_8000_0000_0000, 8, 0, 0]),
            -14,
        ),
        check("uname into the kernel", raw(63, [0xffff_8000_0000_0000, 0, 0, 0, 0, 0]), -14),
        check("uname", raw(63, [buf, 0, 0, 0, 0, 0]), 0),
        check("getuid", raw(102, [0; 6]), 0),
        check("clock_gettime of clock 100", raw(228, [100, buf, 0, 0, 0, 0]), -22),
        check(
            "clock_gettime into the kernel",
            raw(228, [1, 0xffff_8000_0000_0000, 0, 0, 0, 0]),
            -14,
        ),
        check("clock_gettime onto the stack", raw(228, [1, stack, 0, 0, 0, 0]), 0),
        check("getrandom with unknown flags", raw(318, [buf, 16, 0x100, 0, 0, 0]), -22),
        check("getrandom of 16 bytes", raw(318, [buf, 16, 0, 0, 0, 0]), 16),
        check("getrandom into the kernel", raw(318, [0xffff_8000_0000_0000, 16, 0, 0, 0, 0]), -14),
    ];
    let failed = results.iter().filter(|ok| !**ok).count();
    println!("syscalls: {} checks, {failed} wrong", results.len());
    failed as i32
}
