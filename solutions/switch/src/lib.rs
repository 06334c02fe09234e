//! The context switch and a round-robin scheduler.
//!
//! Linux goes from `schedule()` to `__schedule()`, which asks
//! `pick_next_task()` for the next task and calls `context_switch()`. That
//! switches the address space (`switch_mm_irqs_off()` loads CR3) and then the
//! kernel stack with `switch_to()`: `__switch_to_asm` pushes the callee-saved
//! registers, saves the stack pointer in `prev->thread.sp`, loads
//! `next->thread.sp`, pops the registers the next task pushed when it last left
//! the CPU, and jumps to `__switch_to()`, whose return lands wherever the next
//! task stopped. A task that has never run starts in `ret_from_fork`, because
//! `copy_thread()` built its stack to look as if it had switched out from there.
//!
//! Here [`switch_to`] is `__switch_to_asm`, [`init_stack`] is the stack-building
//! half of `copy_thread()`, and [`Scheduler`] is the run queue `pick_next_task()`
//! draws from. Loading CR3 is left to the kernel.
#![no_std]

extern crate alloc;

use alloc::collections::VecDeque;
use api::{Pid, Procs, RunQueue, State};

// ANCHOR: switch_to
/// Saves the callee-saved registers and stack pointer of the running code into `*prev`,
/// loads `next` as the stack pointer, restores the registers saved there and returns
/// into whatever that stack was doing. Returns (much later) when someone switches back to `*prev`.
///
/// The saved frame, from the address in `*prev` upwards, is r15, r14, r13, r12,
/// rbx, rbp and the return address: Linux's `struct inactive_task_frame`.
///
/// # Safety
/// `prev` must be writable, and `next` must be a stack pointer that `switch_to`
/// saved earlier or [`init_stack`] returned, whose stack is still alive.
#[unsafe(naked)]
pub unsafe extern "C" fn switch_to(prev: *mut u64, next: u64) {
    // The caller already assumes rax, rcx, rdx, rsi, rdi and r8-r11 are lost
    // across a call, so only the six registers it trusts us with are saved.
    core::arch::naked_asm!(
        "push rbp",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        // From here on this stack is frozen: its pointer is all that is left.
        "mov [rdi], rsp",
        "mov rsp, rsi",
        // Now on the next task's stack: undo the pushes it made when it left.
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rbp",
        // Returns into the next task's own call of switch_to, or into its entry.
        "ret",
    )
}
// ANCHOR_END: switch_to

// ANCHOR: init_stack
/// Prepares a fresh stack whose 16-byte-aligned top is `top`, so that the first
/// switch_to into the returned stack pointer starts `entry`. The frame is exactly 8
/// words below `top`: the six callee-saved registers (zero) in the order switch_to
/// pops them, then `entry`, then a zero fake return address for `entry`. So `entry`
/// begins with rsp == top - 8, aligned like a just-called function (rsp % 16 == 8), and must never return.
///
/// # Safety
/// The 64 bytes below `top` must be writable and belong to this stack.
pub unsafe fn init_stack(top: u64, entry: usize) -> u64 {
    debug_assert!(top.is_multiple_of(16), "stack top {top:#x} is not 16-byte aligned");
    // r15, r14, r13, r12, rbx, rbp: what switch_to pops, lowest address first.
    // `ret` then takes `entry`, and the zero above it is the return address
    // `entry` would use: a crash at 0 rather than a jump into garbage.
    let frame: [u64; 8] = [0, 0, 0, 0, 0, 0, entry as u64, 0];
    let sp = top - 8 * frame.len() as u64;
    // SAFETY: the caller gives us the 64 bytes below `top`; `top` is 16-aligned,
    // so `sp` is too.
    unsafe { (sp as *mut [u64; 8]).write(frame) };
    sp
}
// ANCHOR_END: init_stack

// ANCHOR: scheduler
/// A round-robin scheduler: tasks take turns in first-come, first-served
/// order, and each runs for at most one time slice before the next one's turn.
#[derive(Debug)]
pub struct Scheduler {
    /// Tasks waiting for the CPU, oldest first. Entries can go stale (the task
    /// exited or fell asleep while queued); `pick_next` drops those.
    queue: VecDeque<Pid>,
    slice_ticks: u32,
    /// Ticks the running task has used of its current slice.
    used: u32,
}

impl Scheduler {
    /// A scheduler that gives each task `slice_ticks` timer ticks at a time
    /// (at least one).
    pub fn new(slice_ticks: u32) -> Scheduler {
        let slice_ticks = if slice_ticks == 0 { 1 } else { slice_ticks };
        Scheduler { queue: VecDeque::new(), slice_ticks, used: 0 }
    }
}
// ANCHOR_END: scheduler

// ANCHOR: runqueue
impl RunQueue for Scheduler {
    fn make_runnable(&mut self, procs: &mut Procs, pid: Pid) {
        let Some(p) = procs.get_mut(pid) else { return };
        p.state = State::Runnable;
        // A task woken while its old entry is still queued keeps that place:
        // two entries would give it two turns per round.
        if !self.queue.contains(&pid) {
            self.queue.push_back(pid);
        }
    }

    fn pick_next(&mut self, procs: &mut Procs) -> Option<Pid> {
        // Whatever runs next, idle included, starts a fresh slice.
        self.used = 0;
        while let Some(pid) = self.queue.pop_front() {
            if let Some(p) = procs.get_mut(pid).filter(|p| p.state == State::Runnable) {
                p.state = State::Running;
                return Some(pid);
            }
        }
        None
    }

    fn remove(&mut self, pid: Pid) {
        self.queue.retain(|&p| p != pid);
    }

    fn tick(&mut self) -> bool {
        self.used += 1;
        if self.used < self.slice_ticks {
            return false;
        }
        // Start counting the next slice here too, so a kernel that cannot
        // preempt right now is asked again one whole slice later.
        self.used = 0;
        true
    }
}
// ANCHOR_END: runqueue
