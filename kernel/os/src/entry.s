/* Every way into the kernel and back out, for x86.rs's global_asm!.
 *
 * Each entry builds an api::TrapFrame (the CPU's five words, the vector and
 * error code, the general registers, then the FPU/SSE state saved with
 * fxsave64) and calls trap(frame). An entry from user mode first moves that
 * frame from the IST stack to the top of the task's own kernel stack, its
 * Proc::kstack.tf, so the handler may sleep or switch tasks. trap_return
 * undoes it all and iretq's, for traps and system calls alike.
 *
 * The names in braces are constants that x86.rs fills in, so offsets and
 * sizes follow TrapFrame's definition instead of being counted by hand. */

    /* One stub per vector, 0 to 47: push a zero where the CPU pushed no
       error code (it pushes one for vectors 8, 10-14, 17, 21, 29 and 30),
       then the vector, and join the common path. Each stub's address goes
       into the trap_stubs table, which x86::load_idt puts in the IDT. */
    .macro trap_stub vector
    .text
trap_stub_\vector:
    .if \vector != 8 && (\vector < 10 || \vector > 14) && \vector != 17 && \vector != 21
    .if \vector != 29 && \vector != 30
    push 0
    .endif
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
    .irp vector, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    trap_stub \vector
    .endr
    .irp vector, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    trap_stub \vector
    .endr
    .irp vector, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47
    trap_stub \vector
    .endr

    /* The rest of a TrapFrame, below what the CPU and the stub pushed. */
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
    sub rsp, {fx_size}
    fxsave64 [rsp]
    .endm

/* ANCHOR: trap_frame_cfi */
    /* For debuggers, in DWARF's call frame information: once the TrapFrame
       is complete at rsp, it holds the registers of the code that entered
       the kernel, so a backtrace can go on into that code. The frame's end
       is the canonical frame address (CFA); each register was saved at its
       field. Before that point, an entry says only that the backtrace ends
       there (.cfi_undefined rip). A "signal frame" is one that the code
       beneath did not call: its rip is where it was stopped, not a return
       address, and its stack may be elsewhere (the user's is below ours). */
    .macro trap_frame_cfi
    .cfi_signal_frame
    .cfi_def_cfa rsp, {frame_size}
    .cfi_rel_offset rip, {tf_rip}
    .cfi_rel_offset rsp, {tf_rsp}
    .cfi_rel_offset rbp, {tf_rbp}
    .cfi_rel_offset rbx, {tf_rbx}
    .cfi_rel_offset r12, {tf_r12}
    .cfi_rel_offset r13, {tf_r13}
    .cfi_rel_offset r14, {tf_r14}
    .cfi_rel_offset r15, {tf_r15}
    .endm
/* ANCHOR_END: trap_frame_cfi */

    .text
/* ANCHOR: trap_common */
trap_common:
    .cfi_startproc
    .cfi_undefined rip
    save_registers
    test qword ptr [rsp + {cs}], 3  /* the saved cs: from user mode? */
    jz 1f
    mov rsi, rsp                    /* yes: copy the frame to the top of */
    mov rdi, [rip + KSTACK_TOP]     /* the task's kernel stack */
    sub rdi, {frame_size}
    mov rsp, rdi
    mov ecx, {frame_size} / 8
    rep movsq
1:  trap_frame_cfi
    mov rdi, rsp
    call trap
    jmp trap_return                 /* where the call returns: inside this CFI */
    .cfi_endproc
/* ANCHOR_END: trap_common */
/* ANCHOR: trap_return */
    .global trap_return
trap_return:
    .cfi_startproc
    .cfi_undefined rip
    fxrstor64 [rsp]
    add rsp, {fx_size}
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
    add rsp, {vector_and_error}     /* what the stub pushed */
    iretq
    .cfi_endproc
/* ANCHOR_END: trap_return */

/* ANCHOR: syscall_entry */
    /* syscall leaves the user's rip in rcx, rflags in r11, and rsp as it was. */
    .global syscall_entry
syscall_entry:
    .cfi_startproc
    .cfi_undefined rip
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
    trap_frame_cfi
    mov rdi, rsp
    call trap
    jmp trap_return
    .cfi_endproc
/* ANCHOR_END: syscall_entry */

    /* ANCHOR: fork_return */
    /* A new task's first switch_to lands here, with rsp at the zero return
       address init_stack left just below the task's trap frame. */
    .global fork_return
fork_return:
    add rsp, 8
    jmp trap_return
    /* ANCHOR_END: fork_return */
