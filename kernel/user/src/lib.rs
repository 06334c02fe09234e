//! A tiny C library for the user programs: Linux system calls, `println!`,
//! and the entry point. Everything a program does goes through `syscall`.
#![no_std]

use core::arch::{asm, global_asm};
use core::fmt::{self, Write};

pub use api::Errno;
pub use api::abi::ProcInfo;
pub use api::status;

pub mod thread;

pub mod nr {
    pub const READ: u64 = 0;
    pub const WRITE: u64 = 1;
    pub const CLOSE: u64 = 3;
    pub const MMAP: u64 = 9;
    pub const MUNMAP: u64 = 11;
    pub const SCHED_YIELD: u64 = 24;
    pub const NANOSLEEP: u64 = 35;
    pub const GETPID: u64 = 39;
    pub const CLONE: u64 = 56;
    pub const FORK: u64 = 57;
    pub const VFORK: u64 = 58;
    pub const EXECVE: u64 = 59;
    pub const EXIT: u64 = 60;
    pub const WAIT4: u64 = 61;
    pub const GETPPID: u64 = 110;
    pub const ARCH_PRCTL: u64 = 158;
    pub const REBOOT: u64 = 169;
    pub const GETTID: u64 = 186;
    pub const FUTEX: u64 = 202;
    pub const GETDENTS64: u64 = 217;
    pub const SET_TID_ADDRESS: u64 = 218;
    pub const EXIT_GROUP: u64 = 231;
    pub const OPENAT: u64 = 257;
    pub use api::abi::{SYS_FREE_FRAMES as FREE_FRAMES, SYS_PROC_LIST as PROC_LIST};
}

// ANCHOR: syscall
/// The `syscall` instruction: number in rax, arguments in rdi, rsi, rdx, r10.
/// The CPU overwrites rcx and r11 (return address and flags).
///
/// # Safety
/// The call does what its number says to this program: the arguments must be
/// right for it. The kernel refuses a pointer outside the program's memory
/// (`EFAULT`), but it writes wherever a valid one points (`read`, `wait4`),
/// and `munmap` or `execve` take memory away from under the program.
pub unsafe fn syscall(n: u64, a: [u64; 4]) -> i64 {
    // SAFETY: the caller's promise, with r8 and r9 zero.
    unsafe { syscall6(n, [a[0], a[1], a[2], a[3], 0, 0]) }
}

/// A system call with all six argument registers (the last two are r8, r9).
///
/// # Safety
/// As for [`syscall`].
pub unsafe fn syscall6(n: u64, a: [u64; 6]) -> i64 {
    let ret: i64;
    // SAFETY: the caller's promise: the call is right for this program.
    unsafe {
        asm!("syscall", inlateout("rax") n as i64 => ret, in("rdi") a[0], in("rsi") a[1], in("rdx") a[2], in("r10") a[3],
             in("r8") a[4], in("r9") a[5], lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    ret
}
// ANCHOR_END: syscall

pub fn write(fd: i32, buf: &[u8]) -> i64 {
    // SAFETY: the kernel only reads `buf`.
    unsafe { syscall(nr::WRITE, [fd as u64, buf.as_ptr() as u64, buf.len() as u64, 0]) }
}
pub fn read(fd: i32, buf: &mut [u8]) -> i64 {
    // SAFETY: the kernel writes at most `buf.len()` bytes, into `buf`.
    unsafe { syscall(nr::READ, [fd as u64, buf.as_mut_ptr() as u64, buf.len() as u64, 0]) }
}
/// Ends the whole process, every thread of it, like the C library's `exit`
/// (which is the `exit_group` system call).
pub fn exit(code: i32) -> ! {
    // SAFETY: the process ends here; nothing of it is used again.
    unsafe { syscall(nr::EXIT_GROUP, [code as u64, 0, 0, 0]) };
    unreachable!("exit_group returned")
}
/// The process id: the thread group's, the same in every thread.
pub fn getpid() -> i32 {
    // SAFETY: no arguments, no memory.
    unsafe { syscall(nr::GETPID, [0; 4]) as i32 }
}
/// The calling thread's own id.
pub fn gettid() -> i32 {
    // SAFETY: no arguments, no memory.
    unsafe { syscall(nr::GETTID, [0; 4]) as i32 }
}
pub fn getppid() -> i32 {
    // SAFETY: no arguments, no memory.
    unsafe { syscall(nr::GETPPID, [0; 4]) as i32 }
}
// ANCHOR: fork
/// Returns the child's pid in the parent, 0 in the child, or -errno.
pub fn fork() -> i32 {
    // SAFETY: the child gets a copy of this program's memory; the program has
    // one thread, so no lock or half-done update is copied along.
    unsafe { syscall(nr::FORK, [0; 4]) as i32 }
}
// ANCHOR_END: fork
pub fn sched_yield() {
    // SAFETY: no arguments, no memory.
    unsafe { syscall(nr::SCHED_YIELD, [0; 4]) };
}
/// Returns (pid, wait status), or (-errno, 0).
pub fn wait4(pid: i32, options: i32) -> (i32, i32) {
    let mut status = 0i32;
    let status_ptr = &mut status as *mut i32 as u64;
    // SAFETY: the kernel writes the 4-byte status into `status`.
    let r = unsafe { syscall(nr::WAIT4, [pid as u64, status_ptr, options as u64, 0]) };
    (r as i32, status)
}
pub fn sleep_ms(ms: u64) {
    let ts = [ms / 1000, (ms % 1000) * 1_000_000];
    // SAFETY: the kernel only reads the 16-byte timespec `ts`.
    unsafe { syscall(nr::NANOSLEEP, [ts.as_ptr() as u64, 0, 0, 0]) };
}
/// Maps `len` bytes of fresh zeroed read/write memory at `addr` (page
/// aligned), failing rather than replacing anything already there.
pub fn mmap_fixed(addr: u64, len: usize) -> i64 {
    const PROT_READ_WRITE: u64 = 3;
    const MAP_PRIVATE_ANONYMOUS_FIXED_NOREPLACE: u64 = 0x02 | 0x20 | 0x10_0000;
    let args =
        [addr, len as u64, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS_FIXED_NOREPLACE, -1i64 as u64, 0];
    // SAFETY: NOREPLACE: the kernel maps only where nothing is mapped yet.
    unsafe { syscall6(nr::MMAP, args) }
}
/// Unmaps `len` bytes at `addr`.
///
/// # Safety
/// Nothing may use that memory afterwards: no reference into it may be live.
pub unsafe fn munmap(addr: u64, len: usize) -> i64 {
    // SAFETY: the caller's promise.
    unsafe { syscall(nr::MUNMAP, [addr, len as u64, 0, 0]) }
}
/// The CPU's time-stamp counter. User mode may read it (CR4.TSD is clear).
pub fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: reading the counter changes nothing.
    unsafe { asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    (hi as u64) << 32 | lo as u64
}
pub fn free_frames() -> i64 {
    // SAFETY: no arguments, no memory.
    unsafe { syscall(nr::FREE_FRAMES, [0; 4]) }
}
/// Powers the machine off; QEMU exits with `(code << 1) | 1`. Only init may.
pub fn poweroff(code: u8) -> i64 {
    // SAFETY: if it works, nothing runs any more; if not, nothing changed.
    unsafe { syscall(nr::REBOOT, [0xfee1_dead, 672_274_793, 0x4321_fedc, code as u64]) }
}

/// `d_type` of a regular file and of a directory.
pub const DT_REG: u8 = 8;
pub const DT_DIR: u8 = 4;

/// Calls `each(name, d_type)` for the entries of the directory at `path`
/// but "." and "..", sorted by name as `ls` sorts them (byte order, the C
/// locale). It reads them as readdir(3) does: openat(O_DIRECTORY), then
/// getdents64 until it returns 0, then close. Returns 0 or -errno (ENOMEM
/// for more entries, or longer names, than it has room for: 64 of 31 bytes).
pub fn list_dir(path: &str, mut each: impl FnMut(&str, u8)) -> i64 {
    let mut names = [[0u8; 32]; 64];
    let mut kinds = [0u8; 64];
    let mut n = 0;
    let fd = open_dir(path);
    if fd < 0 {
        return fd;
    }
    let mut fits = true;
    let r = read_dir(fd as i32, |name, kind| {
        if name == "." || name == ".." {
            return;
        }
        fits &= n < names.len() && name.len() < names[0].len();
        if fits {
            names[n][..name.len()].copy_from_slice(name.as_bytes());
            kinds[n] = kind;
            n += 1;
        }
    });
    close(fd as i32);
    if r < 0 || !fits {
        return if r < 0 { r } else { Errno::ENOMEM.to_ret() };
    }
    let name = |i: usize| names[i].split(|&b| b == 0).next().unwrap_or_default();
    let mut order: [usize; 64] = core::array::from_fn(|i| i);
    order[..n].sort_unstable_by(|&a, &b| name(a).cmp(name(b)));
    for &i in &order[..n] {
        each(core::str::from_utf8(name(i)).unwrap_or("?"), kinds[i]);
    }
    0
}

/// openat(AT_FDCWD, path, O_RDONLY | O_DIRECTORY): the file descriptor, or -errno.
fn open_dir(path: &str) -> i64 {
    const AT_FDCWD: i64 = -100;
    const O_DIRECTORY: u64 = 0o200_000;
    let mut buf = [0u8; 256];
    let Some(cpath) = buf.get_mut(..path.len() + 1) else {
        return -36; // ENAMETOOLONG
    };
    cpath[..path.len()].copy_from_slice(path.as_bytes());
    // SAFETY: the kernel only reads the NUL-terminated path in `buf`.
    unsafe { syscall(nr::OPENAT, [AT_FDCWD as u64, buf.as_ptr() as u64, O_DIRECTORY, 0]) }
}

pub fn close(fd: i32) -> i64 {
    // SAFETY: closing a descriptor touches none of this program's memory.
    unsafe { syscall(nr::CLOSE, [fd as u64, 0, 0, 0]) }
}

/// Calls `each(name, d_type)` for every entry of the directory `fd`, in the
/// order getdents64 returns them, walking its `struct linux_dirent64`
/// records. Returns 0 at the end, or -errno.
fn read_dir(fd: i32, mut each: impl FnMut(&str, u8)) -> i64 {
    let mut buf = [0u8; 512];
    loop {
        let args = [fd as u64, buf.as_mut_ptr() as u64, buf.len() as u64, 0];
        // SAFETY: the kernel writes at most `buf.len()` bytes, into `buf`.
        let n = unsafe { syscall(nr::GETDENTS64, args) };
        if n <= 0 {
            return n;
        }
        let mut at = 0;
        while at < n as usize {
            // d_ino: u64, d_off: i64, d_reclen: u16, d_type: u8, d_name: NUL-terminated.
            let record = &buf[at..n as usize];
            let reclen = u16::from_le_bytes([record[16], record[17]]) as usize;
            if reclen <= 19 || reclen > record.len() {
                return -5; // EIO: the kernel wrote nonsense
            }
            let name = record[19..reclen].split(|&b| b == 0).next().unwrap_or_default();
            each(core::str::from_utf8(name).unwrap_or("?"), record[18]);
            at += reclen;
        }
    }
}

/// Every task, as the kernel sees it right now.
pub fn proc_list(buf: &mut [ProcInfo]) -> &[ProcInfo] {
    // SAFETY: the kernel writes at most `buf.len()` records, into `buf`.
    let n = unsafe { syscall(nr::PROC_LIST, [buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0]) };
    &buf[..n.max(0) as usize]
}

/// Task `pid` as the kernel sees it right now, if it exists.
pub fn proc_info(pid: i32) -> Option<ProcInfo> {
    let mut buf = [ProcInfo::default(); 80];
    proc_list(&mut buf).iter().find(|p| p.pid == pid).copied()
}

/// execve with NUL-terminated strings built on the stack. Returns only on error (-errno).
pub fn execve(path: &str, argv: &[&str]) -> i64 {
    let mut strings = [0u8; 1024];
    let mut ptrs = [0u64; 32];
    let mut at = 0;
    let mut store = |s: &str| -> u64 {
        let p = strings[at..].as_ptr() as u64;
        strings[at..at + s.len()].copy_from_slice(s.as_bytes());
        at += s.len() + 1;
        p
    };
    let path = store(path);
    for (i, a) in argv.iter().enumerate().take(ptrs.len() - 1) {
        ptrs[i] = store(a);
    }
    let env = [c"PATH=/bin".as_ptr() as u64, 0];
    // SAFETY: NUL-terminated strings and NULL-terminated arrays of them, which
    // the kernel only reads; on success this program is gone.
    unsafe { syscall(nr::EXECVE, [path, ptrs.as_ptr() as u64, env.as_ptr() as u64, 0]) }
}

/// The name of an errno value, for messages.
pub fn errno_name(ret: i64) -> &'static str {
    match -ret {
        1 => "EPERM",
        2 => "ENOENT",
        3 => "ESRCH",
        7 => "E2BIG",
        8 => "ENOEXEC",
        9 => "EBADF",
        10 => "ECHILD",
        11 => "EAGAIN",
        12 => "ENOMEM",
        14 => "EFAULT",
        17 => "EEXIST",
        20 => "ENOTDIR",
        21 => "EISDIR",
        22 => "EINVAL",
        30 => "EROFS",
        36 => "ENAMETOOLONG",
        38 => "ENOSYS",
        110 => "ETIMEDOUT",
        _ => "?",
    }
}

/// Formats into a stack buffer, then writes once: a line from one process
/// never interleaves with another's.
pub struct LineWriter {
    buf: [u8; 512],
    len: usize,
}

impl LineWriter {
    pub const fn new() -> LineWriter {
        LineWriter { buf: [0; 512], len: 0 }
    }
    pub fn flush(&mut self) {
        write(1, &self.buf[..self.len]);
        self.len = 0;
    }
}

impl Default for LineWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl Write for LineWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {{
        use core::fmt::Write;
        let mut w = $crate::LineWriter::new();
        let _ = write!(w, $($arg)*);
        w.flush();
    }};
}

#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {{
        use core::fmt::Write;
        let mut w = $crate::LineWriter::new();
        let _ = writeln!(w, $($arg)*);
        w.flush();
    }};
}

/// The command-line arguments, as execve put them on the stack. Only `start`
/// makes one, from the stack the kernel built, which lives as long as the program.
#[derive(Clone, Copy)]
pub struct Args {
    argc: usize,
    argv: *const *const u8,
}

impl Args {
    pub fn len(&self) -> usize {
        self.argc
    }
    pub fn is_empty(&self) -> bool {
        self.argc == 0
    }
    pub fn get(&self, i: usize) -> Option<&'static str> {
        if i >= self.argc {
            return None;
        }
        // SAFETY: argv[i] for i < argc is a NUL-terminated string that execve
        // put on the stack, which stays for the program's life; nothing writes it.
        let bytes = unsafe {
            let p = *self.argv.add(i);
            let len = (0..).take_while(|&j| *p.add(j) != 0).count();
            core::slice::from_raw_parts(p, len)
        };
        core::str::from_utf8(bytes).ok()
    }
    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        (0..self.argc).filter_map(|i| self.get(i))
    }
}

unsafe extern "Rust" {
    fn user_main(args: Args) -> i32;
}

/// Declares the program's `main(args) -> exit code`.
#[macro_export]
macro_rules! main {
    ($f:path) => {
        #[unsafe(no_mangle)]
        fn user_main(args: $crate::Args) -> i32 {
            $f(args)
        }
    };
}

// The kernel enters with rsp at argc, followed by argv[], NULL, envp[], NULL, auxv.
// `.cfi_undefined rip` says that nothing called _start: a debugger's backtrace ends here.
global_asm!(
    ".global _start",
    "_start:",
    ".cfi_startproc",
    ".cfi_undefined rip",
    "mov rdi, rsp",
    "and rsp, -16",
    "call {start}",
    "ud2",
    ".cfi_endproc",
    start = sym start,
);

extern "C" fn start(sp: *const u64) -> ! {
    // SAFETY: `_start` passes the stack as execve built it: argc, then argv.
    let argc = unsafe { *sp } as usize;
    let args = Args { argc, argv: sp.wrapping_add(1) as *const *const u8 };
    // SAFETY: `main!` defines `user_main` with this signature.
    exit(unsafe { user_main(args) })
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("panic in pid {}: {}", getpid(), info);
    exit(101)
}

/// `name` as a path: as it is if it has a '/', else under /bin (our PATH).
pub fn bin_path<'a>(name: &'a str, buf: &'a mut [u8; 64]) -> &'a str {
    if name.contains('/') || name.len() + 5 > buf.len() {
        return name;
    }
    buf[..5].copy_from_slice(b"/bin/");
    buf[5..5 + name.len()].copy_from_slice(name.as_bytes());
    core::str::from_utf8(&buf[..5 + name.len()]).unwrap_or(name)
}

/// User programs have no heap (there is no brk or mmap yet). The `api`
/// crate they share with the kernel links `alloc`, which wants an allocator:
/// this one refuses every request.
struct NoHeap;

// SAFETY: it never hands out memory, so it can never hand out bad memory.
unsafe impl core::alloc::GlobalAlloc for NoHeap {
    unsafe fn alloc(&self, _: core::alloc::Layout) -> *mut u8 {
        core::ptr::null_mut()
    }
    unsafe fn dealloc(&self, _: *mut u8, _: core::alloc::Layout) {}
}

#[global_allocator]
static HEAP: NoHeap = NoHeap;

/// A fixed-size text buffer, for building strings without a heap.
pub struct StackStr<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> StackStr<N> {
    pub const fn new() -> Self {
        StackStr { buf: [0; N], len: 0 }
    }
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> Default for StackStr<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Write for StackStr<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > N {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// fork + execve + wait4: runs a program to completion, as a shell would.
pub fn run(argv: &[&str]) -> i32 {
    let pid = fork();
    if pid == 0 {
        let mut path = [0u8; 64];
        let err = execve(bin_path(argv[0], &mut path), argv);
        println!("{}: {}", argv[0], errno_name(err));
        exit(127);
    }
    wait4(pid, 0).1
}
