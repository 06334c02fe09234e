//! The mini-kernel: just enough of an x86_64 operating system to run
//! processes the way Linux does. The process lifecycle itself (fork, exec,
//! exit/wait, the context switch and copy-on-write) lives in the pieces you
//! write; this crate is the machine around them.
#![no_std]
#![no_main]

extern crate alloc;

mod boot;
mod console;
mod cpu;
mod initrd;
mod memory;
mod pieces;
mod pvh;
mod syscall;
mod task;
mod trap;

use core::cell::UnsafeCell;

/// Kernel-wide state. One CPU, and interrupts are off whenever kernel code
/// runs (they are only let in while idle waits in `hlt`), so nothing else can
/// touch it at the same time: no lock is needed. A multiprocessor kernel
/// would need one here, as Linux's run queues each have a spinlock.
pub struct Global<T>(UnsafeCell<T>);

unsafe impl<T> Sync for Global<T> {}

impl<T> Global<T> {
    pub const fn new(value: T) -> Global<T> {
        Global(UnsafeCell::new(value))
    }

    #[allow(clippy::mut_from_ref)]
    pub fn get(&self) -> &mut T {
        unsafe { &mut *self.0.get() }
    }
}

// ANCHOR: kmain
#[unsafe(no_mangle)]
extern "C" fn kmain(start_info: u32) -> ! {
    console::init();
    let info = pvh::StartInfo::read(start_info as u64);
    let options = pvh::Options::parse(info.cmdline());
    memory::init(&info);
    cpu::init();
    kprintln!(
        "kernel: {} MiB free, fork copies {}, timer {} Hz",
        memory::free_mib(),
        if options.cow { "on write" } else { "eagerly" },
        cpu::HZ
    );
    task::start_init(&options);
    task::idle()
}
// ANCHOR_END: kmain

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    kprintln!("kernel panic: {info}");
    console::exit(console::PANIC)
}
