//! vfork: the child borrows its parent's memory, and the parent sleeps
//! until the child calls execve (or exits). The child proves both: it
//! writes a variable the parent will read, and it looks up the parent's
//! state before it execs.
#![no_std]
#![no_main]

use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};
use user::{Args, execve, exit, getpid, getppid, nr, println, proc_info, wait4};

user::main!(main);

/// In the parent's memory; the vfork child writes it there.
static MESSAGE: AtomicU64 = AtomicU64::new(0);

// ANCHOR: vfork
/// vfork() itself. It must be inlined: the child runs on the parent's stack,
/// and a function it returned from would be a stack frame the parent, still
/// inside that call, needs intact when it wakes.
#[inline(always)]
fn vfork() -> i32 {
    let ret: i64;
    // SAFETY: vfork returns twice on this same stack; the child only calls
    // functions (below this frame) and ends in execve or exit.
    unsafe {
        asm!("syscall", inlateout("rax") nr::VFORK as i64 => ret,
             lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    ret as i32
}
// ANCHOR_END: vfork

fn main(_: Args) -> i32 {
    println!("vfork: parent {} calls vfork", getpid());
    let pid = vfork();
    if pid == 0 {
        child();
    }
    // We get here only once the child has called execve.
    let seen = MESSAGE.load(Ordering::Relaxed);
    let child_now = name_of(pid);
    let (reaped, _) = wait4(pid, 0);
    println!("vfork: parent resumed; the child's write is here: {seen}");
    println!("vfork: when the parent woke, child {pid} was already running {child_now}");
    (reaped != pid || seen != 42) as i32
}

// ANCHOR: child
/// Everything the child does, in a frame of its own below the parent's.
#[inline(never)]
fn child() -> ! {
    let parent = getppid();
    MESSAGE.store(42, Ordering::Relaxed);
    println!(
        "vfork: child {} wrote 42 in its parent's memory; parent {parent} is {}",
        getpid(),
        state_of(parent)
    );
    let err = execve("/bin/echo", &["echo", "vfork: the child became echo"]);
    println!("vfork: execve failed: {}", user::errno_name(err));
    exit(127)
}
// ANCHOR_END: child

/// A task's STAT letter, as `ps` shows it.
fn state_of(pid: i32) -> char {
    proc_info(pid).map_or('?', |p| p.state as char)
}

fn name_of(pid: i32) -> &'static str {
    match proc_info(pid) {
        Some(p) if p.name() == "echo" => "echo",
        Some(_) => "something else",
        None => "nothing (it was gone)",
    }
}
