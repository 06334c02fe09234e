//! The mini-kernel: just enough of an x86_64 operating system to run
//! processes the way Linux does. The process lifecycle itself (fork, exec,
//! exit/wait, the context switch, copy-on-write and threads) lives in the
//! pieces you write; this crate is the machine around them.
#![no_std]
#![no_main]

extern crate alloc;

mod boot;
mod console;
mod fs;
mod initrd;
mod memory;
mod pieces;
mod pvh;
mod state;
mod syscall;
mod task;
mod trap;
mod x86;

use state::{Cpu, Kernel};

// ANCHOR: kmain
#[unsafe(no_mangle)]
extern "C" fn kmain(start_info: u32) -> ! {
    console::init();
    // SAFETY: boot.rs passes on what the boot loader left in ebx.
    let info = unsafe { pvh::StartInfo::read(start_info as u64) };
    let options = pvh::Options::parse(info.cmdline());
    let mem = memory::init(&info);
    console::set_nonce(options.nonce);
    // SAFETY: this is boot, interrupts are off, and it happens once.
    unsafe { x86::init() };
    kprintln!(
        "kernel: {} MiB free, fork copies {}, timer {} Hz",
        mem.free_mib(),
        options.copying,
        x86::HZ
    );
    // SAFETY: the first entry into the kernel; nothing else runs yet.
    let mut cpu = unsafe { Cpu::enter() };
    cpu.start(Kernel::new(mem, options.copying));
    task::start_init(cpu.kernel(), &options);
    task::start_kzerod(cpu.kernel());
    task::idle(cpu)
}
// ANCHOR_END: kmain

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    kprintln!("kernel panic: {info}");
    console::exit(console::PANIC)
}
