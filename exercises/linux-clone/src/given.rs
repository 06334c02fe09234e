//! Given: the types the lab reports in, and a `clone` you can call with any
//! flags. The reference solution uses this same file.

use std::ffi::{c_int, c_void};
use std::os::fd::OwnedFd;
use std::sync::atomic::AtomicU32;

use nix::errno::Errno;
use nix::libc;
use nix::sched::CloneFlags;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

/// How a task names itself: `getpid()` is its thread group's id, `gettid()`
/// its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ids {
    pub tgid: Pid,
    pub tid: Pid,
}

/// Three lines of `/proc/TID/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskStatus {
    /// `Tgid:` the thread group, which `getpid()` returns.
    pub tgid: Pid,
    /// `Pid:` the task's own id, which `gettid()` returns.
    pub pid: Pid,
    /// `Threads:` how many tasks its thread group has.
    pub threads: usize,
}

/// What a cloned child reported while it was alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cloned {
    /// `getpid()` and `gettid()`, as the child itself saw them.
    pub ids: Ids,
    /// Whether the caller saw, in its own memory, the value the child wrote.
    pub memory_shared: bool,
}

// ANCHOR: shared
/// What the child gets, by reference: with `CLONE_VM` it is this very
/// memory, without it a copy.
pub struct Shared {
    /// The child stores [`MARK`] here.
    pub mark: AtomicU32,
    /// The child writes its `getpid()` and then its `gettid()` here, as two
    /// native-endian `i32`s.
    pub report: OwnedFd,
    /// The child reads one byte from here before it ends: until then it
    /// stays alive, for you to look at.
    pub release: OwnedFd,
}

/// What the child writes into [`Shared::mark`].
pub const MARK: u32 = 0xc10e;
// ANCHOR_END: shared

// ANCHOR: clone
/// `clone(2)`: a new task that shares with the caller what `flags` say.
/// It starts on `stack` by calling `child(arg)`, and exits with the value
/// returned. `signal` is the signal the parent gets when the child ends
/// (`SIGCHLD` for a child to `waitpid` for; `None` for a thread).
///
/// Why not `nix::sched::clone`? It calls a boxed closure through a pointer
/// to its own stack frame, which is gone as soon as it returns: with
/// `CLONE_VM`, the child may read it after the parent has reused the memory
/// (nix issue #360). Here the child's start record lives at the top of the
/// child's own stack, which the caller keeps alive.
///
/// # Safety
/// `stack` and `arg` must stay alive, and `stack` untouched, until the child
/// has ended: with `CLONE_VM` the child runs in this very memory. `child`
/// must not allocate, take locks or use thread-local storage: it may share
/// this thread's (there is no `CLONE_SETTLS` here).
pub unsafe fn clone<T: Sync>(
    flags: CloneFlags,
    signal: Option<Signal>,
    stack: &mut [u8],
    child: fn(&T) -> i32,
    arg: &T,
) -> nix::Result<Pid> {
    let top = stack.as_mut_ptr_range().end as usize;
    let start = ((top - size_of::<Start<T>>()) & !15) as *mut Start<T>;
    let sp = start as usize - 64;
    if sp < stack.as_ptr() as usize {
        return Err(Errno::EINVAL);
    }
    // SAFETY: `start` is inside `stack`, aligned, and the child's stack
    // pointer begins below it.
    unsafe { start.write(Start { child, arg }) };
    let flags = flags.bits() | signal.map_or(0, |s| s as c_int);
    // SAFETY: `begin::<T>` reads the record just written, which the caller
    // keeps alive with the stack; the rest is the caller's promise above.
    let pid = unsafe { libc::clone(begin::<T>, sp as *mut c_void, flags, start.cast()) };
    Errno::result(pid).map(Pid::from_raw)
}

/// Where the child finds what to run.
struct Start<T> {
    child: fn(&T) -> i32,
    arg: *const T,
}

/// The child's first Rust code.
extern "C" fn begin<T>(start: *mut c_void) -> c_int {
    // SAFETY: `clone` passed a record at the top of this task's stack.
    let start = unsafe { &*start.cast::<Start<T>>() };
    // SAFETY: the caller of `clone` keeps `arg` alive while we run.
    (start.child)(unsafe { &*start.arg })
}
// ANCHOR_END: clone
