//! The x86_64 hardware the kernel programs: the GDT and TSS, the IDT and the
//! entry code (in entry.s), the `syscall` MSRs, the PIC and the timer, control
//! registers and I/O ports.

use api::proc::FxState;
use api::{TrapFrame, USER_CS, USER_DS};
use core::arch::{asm, global_asm};
use core::mem::{offset_of, size_of};

pub const HZ: u32 = 100;

// Segment selectors: a GDT index times 8, plus the privilege level (see GDT).
const KERNEL_CS: u64 = 0x08;
const KERNEL_DS: u64 = 0x10;
const TSS_SEL: u16 = 0x28;

// Interrupt vectors. The CPU's exceptions take 0..32.
const NMI: usize = 2;
const DOUBLE_FAULT: usize = 8;
pub const PAGE_FAULT: u64 = 14;
/// The PIC delivers IRQ n at vector IRQ_BASE + n, just past the exceptions.
pub const IRQ_BASE: u64 = 32;
pub const IRQ_LAST: u64 = IRQ_BASE + 15;
/// IRQ 0: the PIT, our timer.
pub const TIMER: u64 = IRQ_BASE;
/// The vector our syscall entry stores in the trap frame. Not a real
/// interrupt vector (those stop at 255), so it cannot be confused with one.
pub const SYSCALL: u64 = 0x100;

// Model-specific registers, by Linux's names (arch/x86/include/asm/msr-index.h).
/// Extended features: long mode, `syscall`, no-execute (turned on in boot.rs).
pub const MSR_EFER: u32 = 0xc000_0080;
/// The segments `syscall` loads (and `sysret` would).
const MSR_STAR: u32 = 0xc000_0081;
/// Where `syscall` jumps.
const MSR_LSTAR: u32 = 0xc000_0082;
/// The RFLAGS bits `syscall` clears (Linux: MSR_SYSCALL_MASK).
const MSR_FMASK: u32 = 0xc000_0084;

/// What FMASK clears on entry: TF (bit 8, single-step), IF (9, interrupts), DF
/// (10, string direction), IOPL (12-13), NT (14) and AC (18, alignment check),
/// so the kernel starts with interrupts off and sane flags (Linux clears
/// these and the arithmetic flags too).
const SYSCALL_CLEARS: u64 = 1 << 8 | 1 << 9 | 1 << 10 | 3 << 12 | 1 << 14 | 1 << 18;

// Descriptor types: present, privilege 0, and...
const INTERRUPT_GATE: u64 = 0x8e; // ...a 64-bit interrupt gate (it clears IF)
const TSS_AVAILABLE: u64 = 0x89; // ...a 64-bit TSS

// The 8259 PICs: a primary, and a secondary that reaches the CPU through the
// primary's IRQ 2. Each has a command port and, one above it, a data port.
const PIC1: u16 = 0x20;
const PIC2: u16 = 0xa0;
const PIC_EOI: u8 = 0x20;
// The 8253/8254 PIT: channel 0 drives IRQ 0. Its input clock runs at 1.193182 MHz.
const PIT_CHANNEL0: u16 = 0x40;
const PIT_COMMAND: u16 = 0x43;
const PIT_HZ: u32 = 1_193_182;

/// Writes a byte to an I/O port.
///
/// # Safety
/// A device acts on what it is sent: the port and value must be right for the
/// device there (the wrong ones can remap interrupts or reset the machine).
pub unsafe fn outb(port: u16, v: u8) {
    // SAFETY: the caller vouches for the port and value; `out` touches no memory.
    unsafe { asm!("out dx, al", in("dx") port, in("al") v, options(nomem, nostack)) };
}

/// Writes four bytes to an I/O port.
///
/// # Safety
/// As for [`outb`].
pub unsafe fn outl(port: u16, v: u32) {
    // SAFETY: as in `outb`.
    unsafe { asm!("out dx, eax", in("dx") port, in("eax") v, options(nomem, nostack)) };
}

/// Reads a byte from an I/O port.
///
/// # Safety
/// Reading can change a device's state (it takes a byte out of a serial FIFO):
/// the port must be one the caller means to read.
pub unsafe fn inb(port: u16) -> u8 {
    let v: u8;
    // SAFETY: the caller vouches for the port; `in` touches no memory.
    unsafe { asm!("in al, dx", out("al") v, in("dx") port, options(nomem, nostack)) };
    v
}

/// The address of the last page fault.
pub fn read_cr2() -> u64 {
    let v;
    // SAFETY: reading CR2 changes nothing.
    unsafe { asm!("mov {}, cr2", out(reg) v, options(nomem, nostack)) };
    v
}

/// The page tables in use.
pub fn read_cr3() -> u64 {
    let v;
    // SAFETY: reading CR3 changes nothing.
    unsafe { asm!("mov {}, cr3", out(reg) v, options(nomem, nostack)) };
    v
}

/// Loads the page tables rooted at `root`, unless they are loaded already
/// (loading flushes the TLB, which is not free).
///
/// # Safety
/// `root` must be a PML4 that maps the kernel as the boot tables do (every
/// `AddressSpace` shares the kernel's half), and it must not be freed while loaded.
pub unsafe fn write_cr3(root: u64) {
    if read_cr3() != root {
        // SAFETY: the caller's promise: the kernel stays mapped, and `root` stays alive.
        unsafe { asm!("mov cr3, {}", in(reg) root, options(nostack)) };
    }
}

/// # Safety
/// The MSR and value must be right for this CPU: a bad one faults, a wrong one
/// changes how the CPU runs.
unsafe fn wrmsr(msr: u32, v: u64) {
    // SAFETY: the caller vouches for the MSR and value.
    unsafe { asm!("wrmsr", in("ecx") msr, in("eax") v as u32, in("edx") (v >> 32) as u32) };
}

// ANCHOR: fs_base
/// The FS segment's base: where `%fs:` points in user mode, a thread's
/// thread-local storage (Linux: MSR_FS_BASE).
const MSR_FS_BASE: u32 = 0xc000_0100;

/// Points FS at `base` for the user code about to run. The kernel never uses
/// FS, so any user address will do (a non-canonical one would fault).
pub fn write_fs_base(base: u64) {
    assert!(base < api::USER_END, "FS base {base:#x} is not a user address");
    // SAFETY: a canonical value, in a register only user code reads.
    unsafe { wrmsr(MSR_FS_BASE, base) };
}
// ANCHOR_END: fs_base

pub fn rdtsc() -> u64 {
    // SAFETY: reading the time stamp counter changes nothing.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The task state segment. In 64-bit mode it only holds stack pointers: we use
/// its interrupt stack table (IST), the stacks the CPU switches to on a trap.
#[repr(C, packed)]
struct Tss {
    reserved0: u32,
    rsp: [u64; 3],
    reserved1: u64,
    ist: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    iomap_base: u16,
}

#[repr(C, align(16))]
struct Stack([u8; 16384]);

static mut TSS: Tss = Tss {
    reserved0: 0,
    rsp: [0; 3],
    reserved1: 0,
    ist: [0; 7],
    reserved2: 0,
    reserved3: 0,
    // The I/O permission bitmap would start here, past the end: there is none,
    // so user mode may use no I/O port.
    iomap_base: size_of::<Tss>() as u16,
};
/// Code and data segments. In 64-bit mode base and limit are ignored: what
/// counts is present, code or data, the privilege level (DPL), and a code
/// segment's long-mode bit. The user data and code segments sit 8 and 16
/// bytes above STAR's user base (0x10), the order `sysret` requires.
static mut GDT: [u64; 7] = [
    0,
    0x00af_9a00_0000_ffff, // 0x08 kernel code (64-bit)
    0x00cf_9200_0000_ffff, // 0x10 kernel data
    0x00cf_f200_0000_ffff, // 0x18 user data (DPL 3)
    0x00af_fa00_0000_ffff, // 0x20 user code (DPL 3, 64-bit)
    0,                     // 0x28 the TSS, filled in at init: it takes two slots
    0,
];
static mut IDT: [[u64; 2]; 256] = [[0; 2]; 256];
// Traps taken in ring 0 land on IST stacks, never on the interrupted stack:
// the precompiled `core` uses the 128-byte red zone below rsp, which an
// interrupt pushing onto the same stack would overwrite.
static mut TRAP_STACK: Stack = Stack([0; 16384]);
static mut FATAL_STACK: Stack = Stack([0; 16384]);

/// Read by the entry code: where the running task's kernel stack ends, and
/// the user's rsp while `syscall` entry has not yet saved it.
#[unsafe(no_mangle)]
static mut KSTACK_TOP: u64 = 0;
#[unsafe(no_mangle)]
static mut USER_RSP: u64 = 0;

#[repr(C, packed)]
struct TablePointer {
    limit: u16,
    base: u64,
}

unsafe extern "C" {
    /// The address of each vector's stub, from entry.s.
    safe static trap_stubs: [u64; 48];
    fn syscall_entry();
    /// Where a new task's first `switch_to` lands (entry.s).
    pub fn fork_return();
}

/// Loads the GDT, TSS and IDT, points `syscall` at its entry, and starts the
/// timer.
///
/// # Safety
/// Call it once, at boot, with interrupts off: it replaces the tables the CPU
/// runs on.
pub unsafe fn init() {
    // SAFETY: (for all four) the caller's promise: nothing uses these tables yet.
    unsafe {
        load_gdt();
        load_idt();
        init_syscall();
        init_timer();
    }
}

/// # Safety
/// As for [`init`].
unsafe fn load_gdt() {
    let tss = &raw const TSS as u64;
    let top = |stack: *const Stack| stack as u64 + size_of::<Stack>() as u64;
    // SAFETY: nothing reads these tables until `lgdt`/`ltr` below, and nothing
    // else writes them.
    unsafe {
        // IST 1 for every trap, IST 2 for those that may strike while IST 1 is in use.
        TSS.ist = [top(&raw const TRAP_STACK), top(&raw const FATAL_STACK), 0, 0, 0, 0, 0];
        GDT[5] = (size_of::<Tss>() as u64 - 1)
            | (tss & 0xff_ffff) << 16
            | TSS_AVAILABLE << 40
            | (tss >> 24 & 0xff) << 56;
        GDT[6] = tss >> 32;
    }
    let gdt = TablePointer { limit: size_of::<[u64; 7]>() as u16 - 1, base: &raw const GDT as u64 };
    // SAFETY: the GDT keeps the boot GDT's kernel segments at the same
    // selectors, so the code running now stays valid; the far return reloads CS.
    unsafe {
        asm!(
            "lgdt [{gdt}]",
            "push {cs}",
            "lea {tmp}, [rip + 2f]",
            "push {tmp}",
            "retfq",
            "2:",
            "mov ds, {ds:x}", "mov es, {ds:x}", "mov ss, {ds:x}",
            "ltr {sel:x}",
            gdt = in(reg) &gdt, cs = const KERNEL_CS, ds = in(reg) KERNEL_DS,
            tmp = out(reg) _, sel = in(reg) TSS_SEL,
        );
    }
}

/// # Safety
/// As for [`init`].
unsafe fn load_idt() {
    for (vector, &stub) in trap_stubs.iter().enumerate() {
        // NMI and double fault get a stack of their own: they can strike
        // while the trap stack is in use.
        let ist = if vector == NMI || vector == DOUBLE_FAULT { 2 } else { 1 };
        let low = (stub & 0xffff)
            | KERNEL_CS << 16
            | ist << 32
            | INTERRUPT_GATE << 40
            | (stub >> 16 & 0xffff) << 48;
        // SAFETY: interrupts are off and the IDT is not loaded yet: no one reads it.
        unsafe { IDT[vector] = [low, stub >> 32] };
    }
    let idt = TablePointer {
        limit: size_of::<[[u64; 2]; 256]>() as u16 - 1,
        base: &raw const IDT as u64,
    };
    // SAFETY: every gate the entries above fill points at a stub in entry.s.
    unsafe { asm!("lidt [{}]", in(reg) &idt) };
}

/// # Safety
/// As for [`init`].
unsafe fn init_syscall() {
    // ANCHOR: syscall_msrs
    // SAFETY: `syscall_entry` is the entry code in entry.s, and the selectors
    // are the GDT's; until user mode runs, nothing executes `syscall`.
    unsafe {
        // STAR: the kernel CS for `syscall` (its SS is the next entry) in bits
        // 32-47, and in 48-63 the base `sysret` would find user SS (+8) and CS (+16) at.
        wrmsr(MSR_STAR, ((USER_DS & !3) - 8) << 48 | KERNEL_CS << 32);
        wrmsr(MSR_LSTAR, syscall_entry as *const () as u64);
        wrmsr(MSR_FMASK, SYSCALL_CLEARS);
    }
    // ANCHOR_END: syscall_msrs
}

// ANCHOR: init_timer
/// Programs the PICs to deliver IRQs at vectors IRQ_BASE and up, lets only
/// the timer through, and starts the PIT at HZ.
///
/// # Safety
/// As for [`init`].
unsafe fn init_timer() {
    // SAFETY: the ports are the PICs' and the PIT's, and the values follow
    // their datasheets; interrupts stay off until idle lets them in.
    unsafe {
        outb(PIC1, 0x11); // ICW1: start initializing; ICW4 will follow
        outb(PIC2, 0x11);
        outb(PIC1 + 1, IRQ_BASE as u8); // ICW2: IRQ 0-7 at vectors 32-39, not on top of exceptions
        outb(PIC2 + 1, IRQ_BASE as u8 + 8); // ...and IRQ 8-15 at 40-47
        outb(PIC1 + 1, 1 << 2); // ICW3: the secondary is wired to the primary's IRQ 2
        outb(PIC2 + 1, 2); // ...and knows it by that number
        outb(PIC1 + 1, 0x01); // ICW4: 8086 mode (not the 8080's)
        outb(PIC2 + 1, 0x01);
        outb(PIC1 + 1, !1); // mask every IRQ but 0, the timer
        outb(PIC2 + 1, 0xff); // and all of the secondary's
        let divisor = PIT_HZ / HZ;
        outb(PIT_COMMAND, 0x36); // channel 0, low byte then high byte, square wave
        outb(PIT_CHANNEL0, divisor as u8); // the PIT counts this many input ticks
        outb(PIT_CHANNEL0, (divisor >> 8) as u8); // per interrupt: HZ of them a second
    }
}
// ANCHOR_END: init_timer

/// Tells the PIC the interrupt was handled, so it may deliver the next one.
pub fn end_of_interrupt() {
    // SAFETY: an end-of-interrupt command to the primary PIC, whose IRQs we use.
    unsafe { outb(PIC1, PIC_EOI) };
}

// ANCHOR: set_kernel_stack
/// While this task runs, entries from user mode save its registers at the
/// top of the kernel stack that ends at `top`.
///
/// # Safety
/// `top` must be the end of a task's `KernelStack`, alive while that task is
/// the current one.
pub unsafe fn set_kernel_stack(top: u64) {
    // SAFETY: one CPU with interrupts off: the entry code cannot read it meanwhile.
    unsafe { KSTACK_TOP = top };
}
// ANCHOR_END: set_kernel_stack

global_asm!(
    include_str!("entry.s"),
    fx_size = const size_of::<FxState>(),
    cs = const offset_of!(TrapFrame, cs),
    frame_size = const size_of::<TrapFrame>(),
    vector_and_error = const offset_of!(TrapFrame, rip) - offset_of!(TrapFrame, vector),
    user_ds = const USER_DS,
    user_cs = const USER_CS,
    syscall = const SYSCALL,
    tf_rip = const offset_of!(TrapFrame, rip),
    tf_rsp = const offset_of!(TrapFrame, rsp),
    tf_rbp = const offset_of!(TrapFrame, rbp),
    tf_rbx = const offset_of!(TrapFrame, rbx),
    tf_r12 = const offset_of!(TrapFrame, r12),
    tf_r13 = const offset_of!(TrapFrame, r13),
    tf_r14 = const offset_of!(TrapFrame, r14),
    tf_r15 = const offset_of!(TrapFrame, r15),
);
