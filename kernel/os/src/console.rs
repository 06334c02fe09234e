//! The serial port (COM1), which QEMU connects to its stdio, and QEMU's
//! isa-debug-exit device, through which the kernel chooses QEMU's exit status.

use crate::x86::{inb, outb, outl};
use alloc::boxed::Box;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicPtr, Ordering};

const COM1: u16 = 0x3f8;
const DEBUG_EXIT: u16 = 0xf4;

/// Exit codes the kernel writes; QEMU exits with `(code << 1) | 1`.
/// A user program's exit status (0..=127) passes through as itself.
pub const PANIC: u8 = 0x7f;

pub fn init() {
    // SAFETY: COM1's registers, programmed as the 16550 UART's datasheet says.
    unsafe {
        outb(COM1 + 1, 0x00); // no interrupts: we poll
        outb(COM1 + 3, 0x80); // set the baud rate divisor...
        outb(COM1, 0x01); // ...to 1: 115200 baud
        outb(COM1 + 1, 0x00);
        outb(COM1 + 3, 0x03); // 8 bits, no parity, one stop bit
        outb(COM1 + 2, 0xc7); // FIFO on
    }
}

pub fn write_bytes(bytes: &[u8]) {
    for &b in bytes {
        if b == b'\n' {
            put(b'\r');
        }
        put(b);
    }
}

fn put(b: u8) {
    // SAFETY: COM1's line status and data registers: wait for room, then send.
    unsafe {
        while inb(COM1 + 5) & 0x20 == 0 {}
        outb(COM1, b);
    }
}

pub fn has_input() -> bool {
    // SAFETY: COM1's line status register; reading it changes nothing.
    unsafe { inb(COM1 + 5) & 1 != 0 }
}

/// A byte typed on the console, if there is one.
pub fn read_byte() -> Option<u8> {
    // SAFETY: COM1's data register, read only when it holds a byte.
    has_input().then(|| unsafe { inb(COM1) })
}

pub struct Serial;

impl Write for Serial {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_bytes(s.as_bytes());
        Ok(())
    }
}

#[macro_export]
macro_rules! kprintln {
    ($($arg:tt)*) => {{
        use core::fmt::Write;
        let _ = writeln!($crate::console::Serial, $($arg)*);
    }};
}

/// This boot's nonce (`nonce=HEX` on the command line): only the kernel's
/// power-off line prints it, so the runner can tell that line from a forgery.
/// Null until kmain sets it; then a leaked box, never written again.
static NONCE: AtomicPtr<&str> = AtomicPtr::new(core::ptr::null_mut());

pub fn set_nonce(nonce: &'static str) {
    NONCE.store(Box::leak(Box::new(nonce)), Ordering::Relaxed);
}

/// Prints the power-off line and stops the machine with QEMU exit status
/// `(code << 1) | 1`.
pub fn power_off(code: u8) -> ! {
    // SAFETY: null, or the box `set_nonce` leaked, which lives forever.
    let nonce = unsafe { NONCE.load(Ordering::Relaxed).as_ref() };
    crate::kprintln!("kernel: power off, status {code} [{}]", nonce.copied().unwrap_or(""));
    exit(code)
}

/// Stops the machine: QEMU exits with status `(code << 1) | 1`.
pub fn exit(code: u8) -> ! {
    // SAFETY: QEMU's isa-debug-exit device, which ends QEMU.
    unsafe { outl(DEBUG_EXIT, code as u32) };
    // Without the device (a plain `qemu -kernel`), just stop.
    loop {
        // SAFETY: stopping the CPU for good is what we mean to do.
        unsafe { core::arch::asm!("cli; hlt") };
    }
}
