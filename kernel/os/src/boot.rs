//! From power-on to Rust: the PVH entry point.
//!
//! QEMU (`-kernel kernel`) finds our ELF note, loads the ELF at its physical
//! addresses and jumps to `pvh_start` in 32-bit protected mode with paging
//! off and `ebx` pointing at a `hvm_start_info`. We build page tables that map
//! the kernel image where it is (its low 4 MiB) and all of the first 4 GiB at
//! `DIRECT_MAP`, turn on long mode, and call `kmain`.

use core::arch::global_asm;

/// Physical memory is mapped here, like Linux's direct map (`__va(phys)`).
pub const DIRECT_MAP: u64 = 0xffff_8000_0000_0000;

/// `phys` seen through the direct map.
pub fn phys_to_virt(phys: u64) -> *mut u8 {
    (DIRECT_MAP + phys) as *mut u8
}

unsafe extern "C" {
    safe static boot_pml4: u8;
}

/// The boot page tables become the kernel's template for every address space.
pub fn kernel_root() -> u64 {
    &raw const boot_pml4 as u64
}

global_asm!(
    r#"
    /* ANCHOR: pvh_note */
    .section .note.Xen, "a"
    .p2align 2
    .long 4, 8, 18          /* name size, descriptor size, XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .p2align 2
    .quad pvh_start
    .p2align 2
    /* ANCHOR_END: pvh_note */

    .section .bss
    .p2align 12
    .global boot_pml4
boot_pml4: .skip 4096
boot_pdpt_low: .skip 4096
boot_pd_low: .skip 4096
boot_pdpt_high: .skip 4096
boot_pd_high: .skip 4 * 4096
boot_tables_end:
    .p2align 4
boot_stack: .skip 16384
    .global boot_stack_top
boot_stack_top:

    .section .rodata
    .p2align 3
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff   /* 0x08: 64-bit kernel code */
    .quad 0x00cf92000000ffff   /* 0x10: kernel data */
boot_gdt_ptr:
    .word boot_gdt_ptr - boot_gdt - 1
    .quad boot_gdt

    .section .boot, "ax"
    .code32
    .global pvh_start
pvh_start:
    cli
    cld
    mov esi, ebx                        /* hvm_start_info, for kmain */
    mov esp, offset boot_stack_top

    /* The tables live in .bss; clear them in case the loader did not. */
    mov edi, offset boot_pml4
    mov ecx, 8 * 4096 / 4                /* eight tables */
    xor eax, eax
    rep stosd

    /* PML4[0] -> PDPT -> PD: the kernel image, two 2 MiB pages, supervisor-only. */
    mov dword ptr [boot_pml4], offset boot_pdpt_low + 3
    mov dword ptr [boot_pdpt_low], offset boot_pd_low + 3
    mov dword ptr [boot_pd_low], 0x83
    mov dword ptr [boot_pd_low + 8], 0x200000 + 0x83

    /* PML4[256] -> the direct map: 4 GiB in 2 MiB pages. */
    mov dword ptr [boot_pml4 + 256 * 8], offset boot_pdpt_high + 3
    mov edi, offset boot_pdpt_high
    mov eax, offset boot_pd_high + 3
    mov ecx, 4
1:  mov dword ptr [edi], eax
    add eax, 4096
    add edi, 8
    loop 1b
    mov edi, offset boot_pd_high
    mov eax, 0x83
    mov ecx, 2048
2:  mov dword ptr [edi], eax
    add eax, 0x200000
    add edi, 8
    loop 2b

    /* CR4: PAE, and SSE (OSFXSR, OSXMMEXCPT): the precompiled core uses SSE. */
    mov eax, cr4
    or eax, (1 << 5) | (1 << 9) | (1 << 10)
    mov cr4, eax
    mov eax, offset boot_pml4
    mov cr3, eax
    /* EFER: SCE (syscall), LME (long mode), NXE (no-execute bit). */
    mov ecx, {efer}
    rdmsr
    or eax, (1 << 0) | (1 << 8) | (1 << 11)
    wrmsr
    /* CR0: paging, write-protect even in ring 0, FPU present (MP, not EM). */
    mov eax, cr0
    and eax, ~(1 << 2)
    or eax, (1 << 31) | (1 << 16) | (1 << 1) | 1
    mov cr0, eax

    lgdt [boot_gdt_ptr]
    push 0x08
    mov eax, offset long_mode
    push eax
    retf

    .code64
/* ANCHOR: long_mode */
long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov edi, esi
    call kmain
/* ANCHOR_END: long_mode */
3:  hlt
    jmp 3b
"#,
    efer = const crate::x86::MSR_EFER,
);
