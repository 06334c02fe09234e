//! Where every interrupt, exception and system call arrives.

use crate::pieces::cow;
use crate::{console, cpu, kprintln, syscall, task};
use api::{Errno, TrapFrame, status};

const NAMES: [&str; 21] = [
    "divide error",
    "debug",
    "NMI",
    "breakpoint",
    "overflow",
    "bound range",
    "invalid opcode",
    "device not available",
    "double fault",
    "coprocessor overrun",
    "invalid TSS",
    "segment not present",
    "stack fault",
    "general protection fault",
    "page fault",
    "reserved",
    "x87 FPU error",
    "alignment check",
    "machine check",
    "SIMD error",
    "virtualization",
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
        14 if tf.error & WRITE_TO_PRESENT_PAGE == WRITE_TO_PRESENT_PAGE && task::kernel().cow => {
            copy_on_write(tf)
        }
        v => user_fault(tf, v),
    }
}
// ANCHOR_END: trap

/// Page-fault error code bits: P (the page was present) and W (a write).
const WRITE_TO_PRESENT_PAGE: u64 = 0b11;

// ANCHOR: copy_on_write
/// A write hit a read-only page: copy-on-write's fault, unless the page is
/// truly read-only. Returning resumes the program at the faulting instruction.
fn copy_on_write(tf: &TrapFrame) {
    let addr = cpu::read_cr2();
    match cow::write_fault(task::mem(), task::space(), addr) {
        Ok(()) => {}
        Err(Errno::ENOMEM) => {
            let p = task::current();
            kprintln!(
                "{}[{}]: out of memory copying page {:x} on write: killed",
                p.name,
                p.pid,
                addr
            );
            task::kill(status::SIGKILL)
        }
        Err(_) => user_fault(tf, 14),
    }
}
// ANCHOR_END: copy_on_write

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
            p.name,
            p.pid,
            cpu::read_cr2(),
            tf.rip,
            tf.rsp,
            tf.error
        );
    } else {
        kprintln!(
            "traps: {}[{}] {} ip:{:x} sp:{:x} error:{:x}",
            p.name,
            p.pid,
            name(vector),
            tf.rip,
            tf.rsp,
            tf.error
        );
    }
    task::kill(status::SIGSEGV)
}

/// The kernel itself faulted: a bug. Report everything and stop.
fn kernel_fault(tf: &TrapFrame, vector: u64) -> ! {
    kprintln!(
        "kernel panic: {} (vector {}) in kernel mode: error {:#x} rip {:#x} rsp {:#x} cr2 {:#x}",
        name(vector),
        vector,
        tf.error,
        tf.rip,
        tf.rsp,
        cpu::read_cr2()
    );
    console::exit(console::PANIC)
}
