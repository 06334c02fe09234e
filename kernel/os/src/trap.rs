//! Where every interrupt, exception and system call arrives.

use crate::{console, cpu, kprintln, syscall, task};
use api::TrapFrame;

const NAMES: [&str; 21] = [
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
    "device not available", "double fault", "coprocessor overrun", "invalid TSS", "segment not present",
    "stack fault", "general protection fault", "page fault", "reserved", "x87 FPU error",
    "alignment check", "machine check", "SIMD error", "virtualization",
];

// ANCHOR: trap
#[unsafe(no_mangle)]
extern "C" fn trap(tf: &mut TrapFrame) {
    match tf.vector {
        cpu::SYSCALL => syscall::dispatch(tf),
        cpu::TIMER => {
            cpu::end_of_interrupt();
            task::tick(tf.from_user());
        }
        33..=47 => cpu::end_of_interrupt(),
        v if !tf.from_user() => kernel_fault(tf, v),
        14 if crate::pieces::cow_fault(tf.error, cpu::read_cr2()) => {}
        v => user_fault(tf, v),
    }
}
// ANCHOR_END: trap

fn name(vector: u64) -> &'static str {
    NAMES.get(vector as usize).copied().unwrap_or("exception")
}

/// A user program did something illegal: it dies, the kernel lives. The
/// line imitates what Linux logs for a segfault.
fn user_fault(tf: &TrapFrame, vector: u64) -> ! {
    let p = task::current();
    if vector == 14 {
        kprintln!(
            "{}[{}]: segfault at {:x} ip {:016x} sp {:016x} error {:x}",
            p.name, p.pid, cpu::read_cr2(), tf.rip, tf.rsp, tf.error
        );
    } else {
        kprintln!("traps: {}[{}] {} ip:{:x} sp:{:x} error:{:x}", p.name, p.pid, name(vector), tf.rip, tf.rsp, tf.error);
    }
    task::kill_for_fault()
}

/// The kernel itself faulted: a bug. Report everything and stop.
fn kernel_fault(tf: &TrapFrame, vector: u64) -> ! {
    kprintln!(
        "kernel panic: {} (vector {}) in kernel mode: error {:#x} rip {:#x} rsp {:#x} cr2 {:#x}",
        name(vector), vector, tf.error, tf.rip, tf.rsp, cpu::read_cr2()
    );
    console::exit(console::PANIC)
}
