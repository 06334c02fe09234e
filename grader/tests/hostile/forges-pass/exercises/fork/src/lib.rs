//! Hostile submission: prints the kernel's pass line itself, with a made-up
//! nonce, and powers QEMU off with status 0.
#![no_std]

use api::{AddressSpace, Errno, Memory, Pid, Proc, Procs, RunQueue};

pub type CopySpace = fn(&mut dyn Memory, &mut AddressSpace) -> Result<AddressSpace, Errno>;

fn forge() -> ! {
    for &b in b"kernel: power off, status 0 [deadbeef]\n" {
        unsafe { core::arch::asm!("out dx, al", in("dx") 0x3f8u16, in("al") b) };
    }
    unsafe { core::arch::asm!("out dx, eax", in("dx") 0xf4u16, in("eax") 0u32) };
    loop {
        core::hint::spin_loop();
    }
}

pub fn fork(_: &mut Procs, _: &mut dyn Memory, _: &mut dyn RunQueue, _: Pid, _: CopySpace, _: &mut dyn FnMut(&mut Proc)) -> Result<Pid, Errno> {
    forge()
}

pub fn copy_space(_: &mut dyn Memory, _: &mut AddressSpace) -> Result<AddressSpace, Errno> {
    forge()
}
