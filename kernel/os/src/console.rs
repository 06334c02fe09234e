//! The serial port (COM1), which QEMU connects to its stdio, and QEMU's
//! isa-debug-exit device, through which the kernel chooses QEMU's exit status.

use crate::cpu::{inb, outb};
use core::fmt::{self, Write};

const COM1: u16 = 0x3f8;
const DEBUG_EXIT: u16 = 0xf4;

/// Exit codes the kernel writes; QEMU exits with `(code << 1) | 1`.
/// A user program's exit status (0..=127) passes through as itself.
pub const PANIC: u8 = 0x7f;

pub fn init() {
    outb(COM1 + 1, 0x00); // no interrupts: we poll
    outb(COM1 + 3, 0x80); // set the baud rate divisor...
    outb(COM1, 0x01); // ...to 1: 115200 baud
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); // 8 bits, no parity, one stop bit
    outb(COM1 + 2, 0xc7); // FIFO on
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
    while inb(COM1 + 5) & 0x20 == 0 {}
    outb(COM1, b);
}

/// A byte typed on the console, if there is one.
pub fn read_byte() -> Option<u8> {
    has_input().then(|| inb(COM1))
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

/// Stops the machine: QEMU exits with status `(code << 1) | 1`.
pub fn exit(code: u8) -> ! {
    crate::cpu::outl(DEBUG_EXIT, code as u32);
    // Without the device (a plain `qemu -kernel`), just stop.
    loop {
        unsafe { core::arch::asm!("cli; hlt") };
    }
}

pub fn has_input() -> bool {
    inb(COM1 + 5) & 1 != 0
}
