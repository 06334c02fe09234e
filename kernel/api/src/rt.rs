//! What a bare-metal program built for the host target needs from outside
//! `core`: the host's `compiler_builtins` leaves the memory functions to libc,
//! and the precompiled `alloc` names two unwinding symbols. The kernel and the
//! user programs both link this (feature `baremetal`); host builds never do.
//!
//! Their callers are the compiler's own code and `core`, which keep C's
//! contracts: each pointer is valid for `n` bytes, and memcpy's do not overlap.

// String instructions, eight bytes at a time where the length allows: whole
// pages are copied and cleared this way, like Linux's copy_page (`rep movsq`).
// (Emulators such as QEMU's TCG pay per iteration, so the width matters there.)
#[unsafe(no_mangle)]
unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: C's contract; the direction flag is clear (the ABI says so).
    unsafe {
        if n.is_multiple_of(8) {
            core::arch::asm!("rep movsq", inout("rdi") dst => _, inout("rsi") src => _, inout("rcx") n / 8 => _);
        } else {
            core::arch::asm!("rep movsb", inout("rdi") dst => _, inout("rsi") src => _, inout("rcx") n => _);
        }
    }
    dst
}

#[unsafe(no_mangle)]
unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize) <= (src as usize) || (dst as usize) >= (src as usize) + n {
        // SAFETY: C's contract; copying forwards never reads a byte it wrote.
        return unsafe { memcpy(dst, src, n) };
    }
    // SAFETY: C's contract. dst overlaps src from above: copy backwards, and
    // leave the direction flag clear again, as the ABI requires.
    unsafe {
        core::arch::asm!("std", "rep movsb", "cld",
            inout("rdi") dst.add(n - 1) => _, inout("rsi") src.add(n - 1) => _, inout("rcx") n => _)
    };
    dst
}

#[unsafe(no_mangle)]
unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    // SAFETY: C's contract; the direction flag is clear.
    unsafe {
        if n.is_multiple_of(8) {
            let word = (c as u8 as u64) * 0x0101_0101_0101_0101;
            core::arch::asm!("rep stosq", inout("rdi") dst => _, inout("rcx") n / 8 => _, in("rax") word);
        } else {
            core::arch::asm!("rep stosb", inout("rdi") dst => _, inout("rcx") n => _, in("al") c as u8);
        }
    }
    dst
}

#[unsafe(no_mangle)]
unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: C's contract: both are valid for `n` bytes.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return x as i32 - y as i32;
        }
    }
    0
}

#[unsafe(no_mangle)]
unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: the same contract.
    unsafe { memcmp(a, b, n) }
}

// With `panic = "abort"` these are never called.
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}

#[unsafe(no_mangle)]
extern "C" fn _Unwind_Resume() -> ! {
    loop {
        core::hint::spin_loop();
    }
}

// LLVM turns a "count bytes until NUL" loop into a call to strlen. Volatile
// reads keep this one from becoming a call to itself.
#[unsafe(no_mangle)]
unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let mut n = 0;
    // SAFETY: C's contract: `s` is NUL-terminated; nothing past the NUL is read.
    while unsafe { core::ptr::read_volatile(s.add(n)) } != 0 {
        n += 1;
    }
    n
}
