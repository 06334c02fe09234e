//! sysfuzz: random system calls with hostile arguments, made by forked
//! children, until at least CALLS calls (default 100000) have been counted.
//!
//!     sysfuzz [CALLS] [SEED]
//!
//! The numbers are mostly the calls the kernel has, plus unknown ones; the
//! arguments come from pools of what breaks kernels: kernel addresses,
//! non-canonical and unaligned pointers, unmapped and read-only pages, a
//! buffer that ends where the mapping does, lengths that wrap around.
//! A child may die, but only by SIGSEGV (say, after it unmapped its own code)
//! or by exiting; the kernel must not panic, and when every child is reaped
//! the free frames must be back where they started.
//!
//! Calls that would stop the run rather than test the kernel are fuzzed
//! only within limits: `read` from the console (it would wait forever for a
//! key), `nanosleep` and `futex` waits (a random time is a long sleep, and
//! no time at all may be forever), `write` of readable
//! memory to the console (garbage on the transcript), `execve` of a real
//! program (it would replace the fuzzer), `munmap` and `mmap` of ranges over
//! 1 MiB inside user space (the kernel walks them a page at a time: a
//! terabyte takes it hours, during which nothing else runs), and a fork's
//! child, which exits at once. `exit` carries the child's count of calls,
//! and `reboot` is refused to anyone but init, which is checked.
#![no_std]
#![no_main]

use core::ptr::write_volatile;
use user::{Args, errno_name, exit, fork, free_frames, mmap_fixed, nr, println, status, syscall6};

user::main!(main);

/// Calls per child; a child's exit code is the number it made, divided by 4.
const PER_CHILD: u64 = 1000;
/// Children running at the same time, so they also meet in the scheduler.
const AT_ONCE: u64 = 4;

/// Two writable pages the kernel may scribble on, followed by an unmapped one.
const SCRATCH: u64 = 0x3000_0000;
const SCRATCH_LEN: u64 = 2 * 4096;
/// Where a child's random mmaps may land without hitting its own memory.
const FRESH: u64 = 0x3100_0000;
/// The program's own code: mapped, but read-only.
const CODE: u64 = 0x40_1000;

const EXIT_GROUP: u64 = 231;
const AT_FDCWD: u64 = -100i64 as u64;
const O_DIRECTORY: u64 = 0o200_000;
const VFORK: u64 = 58;
const PROT_READ_WRITE: u64 = 3;
const MAP_PRIVATE_ANONYMOUS_FIXED_NOREPLACE: u64 = 0x02 | 0x20 | 0x10_0000;

/// xorshift64*: small, and the same sequence for the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick(&mut self, from: &[u64]) -> u64 {
        from[self.below(from.len() as u64) as usize]
    }
}

/// Pointers no user program can ever map: they must get EFAULT (or EINVAL).
const KERNEL_POINTERS: [u64; 8] = [
    0,
    1,
    0x10_0000,             // the kernel image
    0x3f_f000,             // just below user space
    0x0000_8000_0000_0000, // the first non-canonical address
    0xffff_8000_0000_0000, // the kernel's direct map of physical memory
    0xffff_8000_0010_0000, // the kernel image, through the direct map
    0xffff_ffff_ffff_f000, // the last page
];

/// Unmapped user pages: EFAULT too, unless a fuzzed mmap has mapped them.
const UNMAPPED: [u64; 2] = [
    0x7fff_ffff_f000,          // just above the stack
    SCRATCH + SCRATCH_LEN + 8, // the page after the scratch buffer
];

fn pointer(r: &mut Rng) -> u64 {
    match r.below(8) {
        0 | 1 => r.pick(&KERNEL_POINTERS),
        2 => r.pick(&UNMAPPED),
        // Valid, or valid for a few bytes, or unaligned.
        3 | 4 => SCRATCH + r.pick(&[0, 1, 7, 4095, 4096, SCRATCH_LEN - 3, SCRATCH_LEN - 16]),
        5 => CODE + r.below(64),
        6 => FRESH + r.below(16) * 4096 + r.pick(&[0, 0, 0, 1]),
        _ => r.next(),
    }
}

fn length(r: &mut Rng) -> u64 {
    match r.below(4) {
        0 => r.pick(&[0, 1, 7, 8, 16, 4095, 4096, 4097, 8192, 65536, 1 << 20]),
        // Wrapping: added to any pointer, these pass the top of the address space.
        1 => r.pick(&[u64::MAX, u64::MAX - 4095, 1 << 63, (1 << 63) - 1, 1 << 47, u32::MAX as u64]),
        2 => r.below(9000),
        _ => r.next(),
    }
}

/// A value for an argument that is neither a pointer nor a length.
fn number(r: &mut Rng) -> u64 {
    match r.below(4) {
        0 => r.pick(&[0, 1, 2, u64::MAX, u32::MAX as u64, i32::MIN as u64, 1 << 31, 1 << 32]),
        1 => r.below(16),
        _ => r.next(),
    }
}

/// The system call numbers: mostly the ones the kernel has. Forks and exits
/// are rare, or the run would be spent making and ending processes.
fn call_number(r: &mut Rng) -> u64 {
    const KNOWN: [u64; 16] = [
        nr::READ,
        nr::WRITE,
        nr::CLOSE,
        nr::GETDENTS64,
        nr::OPENAT,
        nr::MMAP,
        nr::MUNMAP,
        nr::SCHED_YIELD,
        nr::NANOSLEEP,
        nr::GETPID,
        nr::EXECVE,
        nr::WAIT4,
        nr::GETPPID,
        nr::REBOOT,
        nr::PROC_LIST,
        nr::FREE_FRAMES,
    ];
    match r.below(1000) {
        0 => r.pick(&[nr::EXIT, EXIT_GROUP]),
        1..=5 => r.pick(&[nr::FORK, VFORK, nr::CLONE]),
        6..=105 => r.below(512),
        106..=155 => r.next(),
        _ => r.pick(&KNOWN),
    }
}

/// Makes one random call with hostile arguments, kept within the limits the
/// header describes. Returns its number and result.
fn one_call(r: &mut Rng, made: u64) -> (u64, i64) {
    let n = call_number(r);
    let mut a = [pointer(r), length(r), number(r), number(r), number(r), number(r)];
    match n {
        nr::READ | nr::WRITE => {
            a = [r.pick(&[0, 1, 2, 3, 7, u64::MAX, 1 << 32]), pointer(r), length(r), 0, 0, 0];
            // Reading the console waits for a key; writing to it prints garbage.
            if n == nr::READ && a[0] as u32 == 0 {
                a[2] = 0;
            }
            if n == nr::WRITE && matches!(a[0] as u32, 1 | 2) {
                a[1] = r.pick(&KERNEL_POINTERS);
            }
        }
        nr::MMAP | nr::MUNMAP => {
            a[0] = pointer(r) & !r.pick(&[0, 0xfff]);
            // Unmapping its own code or scratch kills the child: now and then.
            let own = (CODE..CODE + 0x1000).contains(&a[0]) || a[0] & !0xfff == SCRATCH;
            if n == nr::MUNMAP && own && r.below(16) != 0 {
                a[0] = FRESH;
            }
            a[1] = length(r);
            // A large range inside user space costs the kernel a step per
            // page (see the report on munmap), and a large mapping that
            // succeeds would starve the other children: keep them to 1 MiB.
            if a[1] > 1 << 20 && a[1] < 1 << 47 {
                a[1] = 1 << 20;
            }
            if r.below(2) == 0 {
                a[2] = PROT_READ_WRITE;
                a[3] = MAP_PRIVATE_ANONYMOUS_FIXED_NOREPLACE;
                a[4] = -1i64 as u64;
                a[5] = 0;
            }
        }
        nr::NANOSLEEP => {
            // A short sleep, an invalid one, or a bad pointer.
            let ts = SCRATCH as *mut u64;
            let nanos = r.pick(&[0, 1, 999_999, 1_000_000_000, u64::MAX]);
            // SAFETY: SCRATCH is this child's own mapping, mapped writable
            // in `child` before any call is made, and 16 bytes fit in it.
            unsafe {
                write_volatile(ts, 0);
                write_volatile(ts.add(1), nanos);
            }
            a[0] = if r.below(2) == 0 { SCRATCH } else { r.pick(&KERNEL_POINTERS) };
        }
        nr::EXECVE => {
            // Files that are not programs, and names that are not files.
            let paths: [&[u8]; 4] =
                [b"/bin/garbage\0", b"/bin/truncated\0", b"/bin/no-such-program\0", b"/bin\0"];
            put_path(paths[r.below(4) as usize]);
            if r.below(2) == 0 {
                a[0] = SCRATCH;
            }
        }
        nr::OPENAT => {
            // Names that exist, as directories or files or neither, from the
            // current directory or from a descriptor that may be open.
            let paths: [&[u8]; 6] =
                [b"/\0", b"bin\0", b"bin/../init\0", b"/init/\0", b"..\0", b"\0"];
            put_path(paths[r.below(6) as usize]);
            if r.below(2) == 0 {
                a[..3].copy_from_slice(&[
                    r.pick(&[AT_FDCWD, 3, 4]),
                    SCRATCH,
                    r.pick(&[0, O_DIRECTORY]),
                ]);
            }
        }
        nr::GETDENTS64 | nr::CLOSE if r.below(2) == 0 => a[0] = r.pick(&[3, 4, 5, 66]),
        nr::EXIT | EXIT_GROUP => a[0] = (r.next() << 8) | (made / 4),
        nr::FUTEX => {
            // A wait that nobody wakes would sleep for good: give it a timeout
            // of a millisecond (or a bad pointer, for EFAULT).
            let ts = (SCRATCH + 32) as *mut u64;
            // SAFETY: SCRATCH is this child's own writable mapping (see
            // `child`), and the timespec's 16 bytes fit after the path.
            unsafe {
                write_volatile(ts, 0);
                write_volatile(ts.add(1), 1_000_000);
            }
            a[3] = if r.below(4) == 0 { r.pick(&KERNEL_POINTERS) } else { SCRATCH + 32 };
        }
        nr::REBOOT if r.below(2) == 0 => {
            a[..3].copy_from_slice(&[0xfee1_dead, 672_274_793, 0x4321_fedc]);
        }
        _ => {}
    }
    // SAFETY: none, deliberately: this child exists to make calls with
    // hostile arguments. Whatever they do to its memory, it is disposable:
    // its parent only reads how it ended, and the kernel must survive it.
    (n, unsafe { syscall6(n, a) })
}

/// Writes a NUL-terminated path at the start of the scratch buffer.
fn put_path(path: &[u8]) {
    let at = SCRATCH as *mut u8;
    for (i, &c) in path.iter().enumerate() {
        // SAFETY: SCRATCH is this child's own writable mapping (see
        // `child`), and every path is shorter than SCRATCH_LEN.
        unsafe { write_volatile(at.add(i), c) };
    }
}

/// One child's life: PER_CHILD calls, then it reaps what it forked.
fn child(seed: u64) -> ! {
    if mmap_fixed(SCRATCH, SCRATCH_LEN as usize) != SCRATCH as i64 {
        println!("sysfuzz: cannot map the scratch buffer");
        exit(255);
    }
    let mut r = Rng(seed | 1);
    for made in 0..PER_CHILD {
        match one_call(&mut r, made) {
            // The child of a fuzzed fork: leave at once, so forks cannot pile up.
            (nr::FORK | VFORK | nr::CLONE, 0) => exit(0),
            (nr::REBOOT, ret) if ret != -1 && ret != -22 => {
                println!("sysfuzz: reboot by a child returned {ret}, not EPERM or EINVAL");
                exit(254);
            }
            _ => {}
        }
    }
    while user::wait4(-1, 0).0 > 0 {}
    exit((PER_CHILD / 4) as i32)
}

fn main(args: Args) -> i32 {
    let target: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let before = free_frames();
    let (mut counted, mut children, mut alive) = (0, 0, 0);
    let (mut exited, mut segfaults, mut other) = (0, 0, 0);
    while counted < target || alive > 0 {
        while alive < AT_ONCE && counted + alive * PER_CHILD < target {
            let pid = fork();
            if pid == 0 {
                child(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(children));
            }
            if pid < 0 {
                println!("sysfuzz: fork failed: {}", errno_name(pid as i64));
                return 1;
            }
            alive += 1;
            children += 1;
        }
        let (pid, st) = user::wait4(-1, 0);
        if pid < 0 {
            println!("sysfuzz: wait4 failed: {}", errno_name(pid as i64));
            return 1;
        }
        alive -= 1;
        if status::wifexited(st) && status::wexitstatus(st) <= (PER_CHILD / 4) as i32 {
            exited += 1;
            counted += 4 * status::wexitstatus(st) as u64;
        } else if status::wifsignaled(st) && status::wtermsig(st) == status::SIGSEGV {
            segfaults += 1;
        } else {
            other += 1;
            println!("sysfuzz: child {pid} ended with wait status {st:#x}");
        }
    }
    let after = free_frames();
    println!(
        "sysfuzz: at least {counted} system calls in {children} children: {exited} exited, {segfaults} killed by SIGSEGV, {other} otherwise"
    );
    println!(
        "sysfuzz: free frames before and after {}",
        if before == after { "match" } else { "DIFFER" }
    );
    if before != after {
        println!("sysfuzz: (before {before}, after {after})");
    }
    (other != 0 || before != after) as i32
}
