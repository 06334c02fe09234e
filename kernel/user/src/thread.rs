//! Threads the way a C library makes them: `clone` with musl's flags, a
//! stack and a thread control block in memory the program maps itself, the
//! FS base pointing at that block, and futexes to wait on.

use crate::{mmap_fixed, munmap, nr, syscall, syscall6};
use api::abi::{
    CLONE_CHILD_CLEARTID, CLONE_DETACHED, CLONE_FILES, CLONE_FS, CLONE_PARENT_SETTID, CLONE_SETTLS,
    CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD, CLONE_VM,
};
use core::arch::asm;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, Ordering};

// ANCHOR: flags
/// What musl's `pthread_create` passes to clone, the legacy 0x400000 included.
pub const PTHREAD_FLAGS: u64 = CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_DETACHED;
// ANCHOR_END: flags

const FUTEX_WAIT_PRIVATE: u64 = 128;
const FUTEX_WAKE_PRIVATE: u64 = 129;
const ARCH_SET_FS: u64 = 0x1002;
const ARCH_GET_FS: u64 = 0x1003;

/// Sleeps while `word` holds `expected`. Returns 0 when woken, `-EAGAIN` if
/// the word had already changed.
pub fn futex_wait(word: &AtomicU32, expected: u32) -> i64 {
    // SAFETY: the kernel only reads the word.
    unsafe { syscall(nr::FUTEX, [word.as_ptr() as u64, FUTEX_WAIT_PRIVATE, expected as u64, 0]) }
}

/// Wakes up to `n` threads sleeping on `word`; returns how many woke.
pub fn futex_wake(word: &AtomicU32, n: i32) -> i64 {
    // SAFETY: the kernel does not touch the word.
    unsafe { syscall(nr::FUTEX, [word.as_ptr() as u64, FUTEX_WAKE_PRIVATE, n as u64, 0]) }
}

// ANCHOR: mutex
/// A lock that sleeps instead of spinning: 0 free, 1 taken, 2 taken and
/// someone may sleep on it (Ulrich Drepper's "Futexes Are Tricky", mutex 2).
/// Uncontended, lock and unlock are one atomic instruction each; only
/// contention costs a system call.
pub struct Mutex(AtomicU32);

impl Mutex {
    pub const fn new() -> Mutex {
        Mutex(AtomicU32::new(0))
    }

    pub fn lock(&self) {
        if self.0.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            return;
        }
        // Say there are sleepers before sleeping, so unlock knows to wake one.
        while self.0.swap(2, Ordering::Acquire) != 0 {
            futex_wait(&self.0, 2);
        }
    }

    pub fn unlock(&self) {
        if self.0.swap(0, Ordering::Release) == 2 {
            futex_wake(&self.0, 1);
        }
    }
}
// ANCHOR_END: mutex

impl Default for Mutex {
    fn default() -> Self {
        Self::new()
    }
}

// ANCHOR: tcb
/// A thread control block, at the top of the thread's own memory. The FS
/// base points at it, and as the x86_64 ABI requires, its first word points
/// at itself: `mov rax, fs:0` finds the running thread's block.
#[repr(C)]
pub struct Tcb {
    self_ptr: u64,
    /// The thread's tid while it lives; the kernel writes 0 here and wakes a
    /// waiter when it exits (`CLONE_CHILD_CLEARTID`). `join` sleeps on it.
    pub tid: AtomicU32,
    /// Which thread this is, for the program's own use.
    pub index: u32,
    region: u64,
}
// ANCHOR_END: tcb

/// Bytes of memory per thread: its stack and, at the top, its block.
pub const THREAD_SIZE: usize = 16 * 1024;

// ANCHOR: spawn
/// A thread as its creator holds it. Joining it consumes it: its memory is
/// gone afterwards.
pub struct Thread {
    tcb: NonNull<Tcb>,
}

/// Starts a thread running `entry(its block)` on memory mapped at `region`.
/// Returns it, or the mmap or clone error (`-errno`).
pub fn spawn(
    region: u64,
    index: u32,
    entry: extern "C" fn(&'static Tcb) -> !,
) -> Result<Thread, i64> {
    let mapped = mmap_fixed(region, THREAD_SIZE);
    if mapped < 0 {
        return Err(mapped);
    }
    let at = (region + THREAD_SIZE as u64 - size_of::<Tcb>() as u64) & !63;
    let tcb = at as *mut Tcb;
    // SAFETY: the block lies inside the page range just mapped for it alone.
    unsafe { tcb.write(Tcb { self_ptr: at, tid: AtomicU32::new(0), index, region }) };
    // The new thread finds its entry and argument on its stack.
    let sp = at - 16;
    // SAFETY: the 16 bytes below the block are the top of the new stack.
    unsafe { (sp as *mut [u64; 2]).write([entry as usize as u64, at]) };
    // SAFETY: just written, and alive until `join` unmaps it.
    let tid_word = unsafe { (*tcb).tid.as_ptr() } as u64;
    let ret: i64;
    // SAFETY: the child starts on its own stack and only ever calls `entry`,
    // which never returns; the parent comes back with rax = the child's tid.
    unsafe {
        asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "pop rax",
            "pop rdi",
            "xor ebp, ebp",
            "call rax",
            "ud2",
            "2:",
            inlateout("rax") nr::CLONE as i64 => ret,
            in("rdi") PTHREAD_FLAGS,
            in("rsi") sp,
            in("rdx") tid_word,
            in("r10") tid_word,
            in("r8") at,
            lateout("rcx") _,
            lateout("r11") _,
        );
    }
    if ret < 0 {
        // SAFETY: no thread started; nothing refers to the region.
        unsafe { munmap(region, THREAD_SIZE) };
        return Err(ret);
    }
    Ok(Thread { tcb: NonNull::new(tcb).expect("a mapped address") })
}
// ANCHOR_END: spawn

impl Thread {
    fn tcb(&self) -> &Tcb {
        // SAFETY: the block stays mapped until `join` consumes `self`.
        unsafe { self.tcb.as_ref() }
    }

    /// Its tid, or 0 once it has exited.
    pub fn tid(&self) -> i32 {
        self.tcb().tid.load(Ordering::Acquire) as i32
    }

    // ANCHOR: join
    /// Waits until the thread has exited, as `pthread_join` does: sleep on the
    /// tid word until the kernel has cleared it. Then frees its memory.
    pub fn join(self) {
        loop {
            let tid = self.tcb().tid.load(Ordering::Acquire);
            if tid == 0 {
                break;
            }
            futex_wait(&self.tcb().tid, tid);
        }
        let region = self.tcb().region;
        // SAFETY: the thread has exited, and `self`, the last way to its block,
        // is consumed here.
        unsafe { munmap(region, THREAD_SIZE) };
    }
    // ANCHOR_END: join
}

/// Ends the calling thread only (the `exit` system call); its process goes on.
pub fn exit_thread(code: i32) -> ! {
    // SAFETY: the thread ends here; its stack is not used again.
    unsafe { syscall(nr::EXIT, [code as u64, 0, 0, 0]) };
    unreachable!("exit returned")
}

/// The running thread's block, found through the FS base.
pub fn current() -> &'static Tcb {
    let at: u64;
    // SAFETY: a thread made by `spawn` has FS pointing at its block, whose
    // first word is its own address.
    unsafe { asm!("mov {}, fs:0", out(reg) at, options(nostack, readonly)) };
    // SAFETY: see above; the block lives as long as the thread.
    unsafe { &*(at as *const Tcb) }
}

/// The FS base of the calling thread, as the kernel keeps it.
pub fn fs_base() -> Result<u64, i64> {
    let mut base = 0u64;
    // SAFETY: the kernel writes the 8 bytes of `base`.
    let r = unsafe { syscall(nr::ARCH_PRCTL, [ARCH_GET_FS, &raw mut base as u64, 0, 0]) };
    if r < 0 { Err(r) } else { Ok(base) }
}

/// Points FS at `base` for the calling thread.
///
/// # Safety
/// Whatever reads through FS (`current`) must find what it expects there.
pub unsafe fn set_fs_base(base: u64) -> i64 {
    // SAFETY: the caller's promise.
    unsafe { syscall(nr::ARCH_PRCTL, [ARCH_SET_FS, base, 0, 0]) }
}

/// Where the kernel clears and wakes when this thread exits; returns its tid.
///
/// # Safety
/// The word must stay this thread's to clear until it exits.
pub unsafe fn set_tid_address(word: &AtomicU32) -> i64 {
    // SAFETY: the caller's promise.
    unsafe { syscall6(nr::SET_TID_ADDRESS, [word.as_ptr() as u64, 0, 0, 0, 0, 0]) }
}
