//! Exercise: the context switch and a round-robin scheduler.
//!
//! Read the chapter "The context switch" first. Run the tests with
//! `cargo test -p switch`; they all fail until you fill in the three parts:
//! [`switch_to`] (a few lines of assembly), [`init_stack`] (a fresh stack that
//! looks as if its task had switched out), and [`Scheduler`] (the run queue).
//!
//! The `switch_to` tests run each in a child process, so a crash there fails
//! that one test and the others still report.
#![no_std]

extern crate alloc;

use api::{Pid, Procs, RunQueue};

// ANCHOR: switch_to_api
/// Saves the callee-saved registers and stack pointer of the running code into `*prev`,
/// loads `next` as the stack pointer, restores the registers saved there and returns
/// into whatever that stack was doing. Returns (much later) when someone switches back to `*prev`.
///
/// The saved frame, from the address in `*prev` upwards, must be r15, r14,
/// r13, r12, rbx, rbp and the return address (Linux's `struct inactive_task_frame`).
///
/// What to write, inside `core::arch::naked_asm!` (Intel syntax; `prev` arrives
/// in `rdi`, `next` in `rsi`, and the return address is already on the stack):
/// 1. push rbp, rbx, r12, r13, r14 and r15, in that order;
/// 2. store `rsp` at `[rdi]`;
/// 3. load `rsi` into `rsp`;
/// 4. pop the six registers in the opposite order;
/// 5. `ret`.
///
/// Why only those six: the System V ABI lets a called function destroy every
/// other general register, so the caller has already given them up.
///
/// # Safety
/// `prev` must be writable, and `next` must be a stack pointer that `switch_to`
/// saved earlier or [`init_stack`] returned, whose stack is still alive.
#[unsafe(naked)]
pub unsafe extern "C" fn switch_to(prev: *mut u64, next: u64) {
    // Replace this line with your assembly. Until then, `ud2` stops the
    // program with SIGILL (an illegal instruction).
    core::arch::naked_asm!("ud2")
}
// ANCHOR_END: switch_to_api

// ANCHOR: init_stack_api
/// Prepares a fresh stack whose 16-byte-aligned top is `top`, so that the first
/// switch_to into the returned stack pointer starts `entry`. The frame is exactly 8
/// words below `top`: the six callee-saved registers (zero) in the order switch_to
/// pops them, then `entry`, then a zero fake return address for `entry`. So `entry`
/// begins with rsp == top - 8, aligned like a just-called function (rsp % 16 == 8), and must never return.
///
/// Build the eight words as a `[u64; 8]`, write them at `top - 64` with
/// `core::ptr::write` (or `(ptr as *mut [u64; 8]).write(..)`), and return `top - 64`.
/// Write nothing else: the words above `top` and below `top - 64` are not yours.
///
/// # Safety
/// The 64 bytes below `top` must be writable and belong to this stack.
pub unsafe fn init_stack(top: u64, entry: usize) -> u64 {
    let _ = (top, entry);
    todo!("init_stack: six zero registers, entry, a zero return address")
}
// ANCHOR_END: init_stack_api

// ANCHOR: scheduler_api
/// A round-robin scheduler: tasks take turns in first-come, first-served
/// order, and each runs for at most one time slice before the next one's turn.
///
/// Suggested fields: an `alloc::collections::VecDeque<Pid>` of queued tasks,
/// the slice length, and how many ticks of it the running task has used.
#[derive(Debug)]
pub struct Scheduler {
    // Add your fields here.
}

impl Scheduler {
    /// A scheduler that gives each task `slice_ticks` timer ticks at a time
    /// (treat 0 as 1).
    pub fn new(slice_ticks: u32) -> Scheduler {
        let _ = slice_ticks;
        todo!("Scheduler::new: an empty queue")
    }
}

impl RunQueue for Scheduler {
    /// Sets the task's state to `Runnable` (if it is in `procs`) and queues it
    /// at the back, unless it is already queued: two entries would give it two
    /// turns per round.
    fn make_runnable(&mut self, procs: &mut Procs, pid: Pid) {
        let _ = (procs, pid);
        todo!("make_runnable: set Runnable, queue once")
    }

    /// Pops queued pids until one is still in `procs` and still `Runnable`
    /// (entries go stale when a task exits or sleeps while queued: drop those),
    /// sets it `Running`, starts a fresh slice and returns it. `None` when the
    /// queue runs dry: the kernel then runs its idle task.
    fn pick_next(&mut self, procs: &mut Procs) -> Option<Pid> {
        let _ = procs;
        todo!("pick_next: the oldest queued task that is still Runnable")
    }

    /// Forgets every queued entry of `pid`.
    fn remove(&mut self, pid: Pid) {
        let _ = pid;
        todo!("remove: take pid out of the queue")
    }

    /// Counts one tick for the running task. Returns true on the tick that uses
    /// up its slice (the `slice_ticks`-th since `pick_next`, then every
    /// `slice_ticks` ticks after that); the kernel then preempts it.
    fn tick(&mut self) -> bool {
        todo!("tick: count, and report when the slice is used up")
    }
}
// ANCHOR_END: scheduler_api
