//! Where every interrupt, exception and system call arrives.

use crate::pieces::cow;
use crate::state::{Copying, Cpu, Kernel};
use crate::{console, kprintln, syscall, task, x86};
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
/// Every interrupt, exception and system call arrives here, from entry.s,
/// with the registers the entry code saved.
#[unsafe(no_mangle)]
extern "C" fn trap(frame: *const TrapFrame) {
    // SAFETY: an entry into the kernel, with interrupts off. The one kind of
    // entry that can cut into kernel code, a fault there, only reaches
    // `kernel_fault`, which never borrows the kernel.
    let mut cpu = unsafe { Cpu::enter() };
    // SAFETY: the entry code passes the frame it just built. We read a copy:
    // coming from user mode, the frame is the task's `kstack.tf`, which the
    // kernel state owns, and which handlers change (`rax`, or all of it in exec).
    let tf = unsafe { frame.read() };
    match tf.vector {
        x86::SYSCALL => syscall::dispatch(&mut cpu, &tf),
        x86::IRQ_BASE..=x86::IRQ_LAST => {
            x86::end_of_interrupt();
            if tf.vector == x86::TIMER {
                task::tick(&mut cpu, tf.from_user());
            }
        }
        v if !tf.from_user() => kernel_fault(&tf, v),
        x86::PAGE_FAULT if is_cow_fault(cpu.kernel(), &tf) => copy_on_write(&mut cpu, &tf),
        v => user_fault(&mut cpu, &tf, v),
    }
}
// ANCHOR_END: trap

/// Page-fault error code bits: P (the page was present) and W (a write).
const WRITE_TO_PRESENT_PAGE: u64 = 0b11;

/// A write to a page that is mapped but read-only, with copy-on-write on:
/// possibly a shared page, which `cow::write_fault` decides.
fn is_cow_fault(k: &mut Kernel, tf: &TrapFrame) -> bool {
    tf.error & WRITE_TO_PRESENT_PAGE == WRITE_TO_PRESENT_PAGE && k.copying == Copying::OnWrite
}

// ANCHOR: copy_on_write
/// A write hit a read-only page: copy-on-write's fault, unless the page is
/// truly read-only. Returning resumes the program at the faulting instruction.
fn copy_on_write(cpu: &mut Cpu, tf: &TrapFrame) {
    let addr = x86::read_cr2();
    let (mem, space) = cpu.kernel().user_memory();
    match cow::write_fault(mem, space, addr) {
        Ok(()) => {}
        Err(Errno::ENOMEM) => {
            let p = cpu.kernel().task();
            kprintln!(
                "{}[{}]: out of memory copying page {addr:x} on write: killed",
                p.name,
                p.pid
            );
            task::kill(cpu, status::SIGKILL)
        }
        Err(_) => user_fault(cpu, tf, x86::PAGE_FAULT),
    }
}
// ANCHOR_END: copy_on_write

fn name(vector: u64) -> &'static str {
    NAMES.get(vector as usize).copied().unwrap_or("exception")
}

/// A user program did something illegal: it dies, the kernel lives. The
/// line imitates what Linux logs for a segfault.
fn user_fault(cpu: &mut Cpu, tf: &TrapFrame, vector: u64) -> ! {
    let p = cpu.kernel().task();
    if vector == x86::PAGE_FAULT {
        kprintln!(
            "{}[{}]: segfault at {:x} ip {:016x} sp {:016x} error {:x}",
            p.name,
            p.pid,
            x86::read_cr2(),
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
    task::kill(cpu, status::SIGSEGV)
}

/// The kernel itself faulted: a bug. Report everything and stop. It does not
/// touch the kernel's state: the faulting code may hold a borrow of it.
fn kernel_fault(tf: &TrapFrame, vector: u64) -> ! {
    kprintln!(
        "kernel panic: {} (vector {}) in kernel mode: error {:#x} rip {:#x} rsp {:#x} cr2 {:#x}",
        name(vector),
        vector,
        tf.error,
        tf.rip,
        tf.rsp,
        x86::read_cr2()
    );
    console::exit(console::PANIC)
}
