//! The CPU's tables and entry points: GDT and TSS, the IDT with one stub per
//! vector, `syscall` entry, the timer, and the path back to user mode.

use core::arch::{asm, global_asm};
use core::mem::size_of;

pub const HZ: u32 = 100;

pub const KERNEL_CS: u64 = 0x08;
pub const USER_DS: u64 = 0x18 | 3;
pub const USER_CS: u64 = 0x20 | 3;
const TSS_SEL: u16 = 0x28;

/// The vector number our syscall entry stores in the trap frame (not a real
/// interrupt vector: those stop at 255).
pub const SYSCALL: u64 = 0x100;
pub const TIMER: u64 = 32;

pub fn outb(port: u16, v: u8) {
    unsafe { asm!("out dx, al", in("dx") port, in("al") v) };
}
pub fn outl(port: u16, v: u32) {
    unsafe { asm!("out dx, eax", in("dx") port, in("eax") v) };
}
pub fn inb(port: u16) -> u8 {
    let v: u8;
    unsafe { asm!("in al, dx", out("al") v, in("dx") port) };
    v
}
pub fn read_cr2() -> u64 {
    let v;
    unsafe { asm!("mov {}, cr2", out(reg) v) };
    v
}
pub fn read_cr3() -> u64 {
    let v;
    unsafe { asm!("mov {}, cr3", out(reg) v) };
    v
}
pub fn write_cr3(v: u64) {
    if read_cr3() != v {
        unsafe { asm!("mov cr3, {}", in(reg) v) };
    }
}
fn wrmsr(msr: u32, v: u64) {
    unsafe { asm!("wrmsr", in("ecx") msr, in("eax") v as u32, in("edx") (v >> 32) as u32) };
}
pub fn rdtsc() -> u64 {
    unsafe { core::arch::x86_64::_rdtsc() }
}

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
    iomap_base: 104,
};
static mut GDT: [u64; 7] = [
    0,
    0x00af_9a00_0000_ffff, // 0x08 kernel code (64-bit)
    0x00cf_9200_0000_ffff, // 0x10 kernel data
    0x00cf_f200_0000_ffff, // 0x18 user data (DPL 3)
    0x00af_fa00_0000_ffff, // 0x20 user code (DPL 3, 64-bit)
    0,                     // 0x28 TSS, filled in at init
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
    static trap_stubs: [u64; 48];
    fn syscall_entry();
}

pub fn init() {
    unsafe {
        let tss = &raw const TSS as u64;
        TSS.ist[0] = (&raw const TRAP_STACK) as u64 + size_of::<Stack>() as u64;
        TSS.ist[1] = (&raw const FATAL_STACK) as u64 + size_of::<Stack>() as u64;
        GDT[5] = (size_of::<Tss>() as u64 - 1)
            | (tss & 0xff_ffff) << 16
            | 0x89 << 40
            | (tss >> 24 & 0xff) << 56;
        GDT[6] = tss >> 32;
        let gdt =
            TablePointer { limit: size_of::<[u64; 7]>() as u16 - 1, base: &raw const GDT as u64 };
        asm!(
            "lgdt [{gdt}]",
            "push 0x08",
            "lea {tmp}, [rip + 2f]",
            "push {tmp}",
            "retfq",
            "2:",
            "mov ax, 0x10", "mov ds, ax", "mov es, ax", "mov ss, ax",
            "ltr {sel:x}",
            gdt = in(reg) &gdt, tmp = out(reg) _, sel = in(reg) TSS_SEL, out("ax") _,
        );

        for (vector, &stub) in trap_stubs.iter().enumerate() {
            // NMI and double fault get a stack of their own: they can strike
            // while the trap stack is in use.
            let ist = if vector == 2 || vector == 8 { 2 } else { 1 };
            IDT[vector] = [
                (stub & 0xffff)
                    | KERNEL_CS << 16
                    | ist << 32
                    | 0x8e << 40
                    | (stub >> 16 & 0xffff) << 48,
                stub >> 32,
            ];
        }
        let idt = TablePointer {
            limit: size_of::<[[u64; 2]; 256]>() as u16 - 1,
            base: &raw const IDT as u64,
        };
        asm!("lidt [{}]", in(reg) &idt);
    }

    // ANCHOR: syscall_msrs
    // syscall: kernel CS/SS from STAR, entry from LSTAR, and clear IF, TF, DF
    // and AC on entry (FMASK) so the kernel starts with interrupts off.
    wrmsr(0xc000_0081, (0x10 << 48) | (KERNEL_CS << 32));
    wrmsr(0xc000_0082, syscall_entry as *const () as u64);
    wrmsr(0xc000_0084, 0x4_7700);
    // ANCHOR_END: syscall_msrs

    init_timer();
}

/// The 8259 PIC delivers IRQ 0..15 at vectors 32..47; only the PIT timer
/// (IRQ 0) is let through. The PIT then interrupts HZ times a second.
fn init_timer() {
    for (port, v) in [
        (0x20, 0x11),
        (0xa0, 0x11),
        (0x21, 32),
        (0xa1, 40),
        (0x21, 4),
        (0xa1, 2),
        (0x21, 1),
        (0xa1, 1),
        (0x21, 0xfe),
        (0xa1, 0xff),
    ] {
        outb(port, v);
    }
    let divisor = 1_193_182 / HZ;
    outb(0x43, 0x36);
    outb(0x40, divisor as u8);
    outb(0x40, (divisor >> 8) as u8);
}

pub fn end_of_interrupt() {
    outb(0x20, 0x20);
}

// ANCHOR: set_kernel_stack
/// While this task runs, traps from user mode save its registers at the top
/// of `top`'s stack.
pub fn set_kernel_stack(top: u64) {
    unsafe {
        KSTACK_TOP = top;
        TSS.rsp[0] = top;
    }
}
// ANCHOR_END: set_kernel_stack

// Every entry builds an `api::TrapFrame` (user registers, then the FPU/SSE
// state saved with fxsave64) and calls `trap(&mut TrapFrame)`. An entry from
// user mode first moves that frame from the IST stack to the task's own
// kernel stack, so the handler may sleep or switch tasks. `trap_return`
// undoes it all and `iretq`s, for traps and system calls alike.
global_asm!(
    r#"
    .macro trap_stub vector, has_error
    .text
trap_stub_\vector:
    .if \has_error == 0
    push 0
    .endif
    push \vector
    jmp trap_common
    .section .rodata
    .quad trap_stub_\vector
    .endm

    .section .rodata
    .p2align 3
    .global trap_stubs
trap_stubs:
    trap_stub 0, 0
    trap_stub 1, 0
    trap_stub 2, 0
    trap_stub 3, 0
    trap_stub 4, 0
    trap_stub 5, 0
    trap_stub 6, 0
    trap_stub 7, 0
    trap_stub 8, 1
    trap_stub 9, 0
    trap_stub 10, 1
    trap_stub 11, 1
    trap_stub 12, 1
    trap_stub 13, 1
    trap_stub 14, 1
    trap_stub 15, 0
    trap_stub 16, 0
    trap_stub 17, 1
    trap_stub 18, 0
    trap_stub 19, 0
    trap_stub 20, 0
    trap_stub 21, 1
    trap_stub 22, 0
    trap_stub 23, 0
    trap_stub 24, 0
    trap_stub 25, 0
    trap_stub 26, 0
    trap_stub 27, 0
    trap_stub 28, 0
    trap_stub 29, 1
    trap_stub 30, 1
    trap_stub 31, 0
    trap_stub 32, 0
    trap_stub 33, 0
    trap_stub 34, 0
    trap_stub 35, 0
    trap_stub 36, 0
    trap_stub 37, 0
    trap_stub 38, 0
    trap_stub 39, 0
    trap_stub 40, 0
    trap_stub 41, 0
    trap_stub 42, 0
    trap_stub 43, 0
    trap_stub 44, 0
    trap_stub 45, 0
    trap_stub 46, 0
    trap_stub 47, 0

    .macro save_registers
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    sub rsp, 512
    fxsave64 [rsp]
    .endm

    .text
/* ANCHOR: trap_common */
trap_common:
    save_registers
    test qword ptr [rsp + 656], 3   /* the saved cs: from user mode? */
    jz 1f
    mov rsi, rsp
    mov rdi, [rip + KSTACK_TOP]
    sub rdi, 688
    mov rsp, rdi
    mov ecx, 688 / 8
    rep movsq
1:  mov rdi, rsp
    call trap
/* ANCHOR_END: trap_common */
/* ANCHOR: trap_return */
    .global trap_return
trap_return:
    fxrstor64 [rsp]
    add rsp, 512
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16                     /* vector and error code */
    iretq
/* ANCHOR_END: trap_return */

/* ANCHOR: syscall_entry */
    /* syscall leaves the user's rip in rcx, rflags in r11, and rsp as it was. */
    .global syscall_entry
syscall_entry:
    mov [rip + USER_RSP], rsp
    mov rsp, [rip + KSTACK_TOP]
    push {user_ds}
    push [rip + USER_RSP]
    push r11
    push {user_cs}
    push rcx
    push 0
    push {syscall}
    save_registers
    mov rdi, rsp
    call trap
    jmp trap_return
/* ANCHOR_END: syscall_entry */

    /* ANCHOR: fork_return */
    /* A new task's first switch_to lands here, 8 bytes below its trap frame. */
    .global fork_return
fork_return:
    add rsp, 8
    jmp trap_return
    /* ANCHOR_END: fork_return */
"#,
    user_ds = const USER_DS,
    user_cs = const USER_CS,
    syscall = const SYSCALL,
);

unsafe extern "C" {
    pub fn fork_return();
}
