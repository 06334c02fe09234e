//! Hostile submission: loads an empty interrupt table and raises an
//! exception. In the kernel that is a triple fault; on the host, `lidt` is
//! privileged and the test process dies of SIGSEGV.
#![no_std]

use api::{AddressSpace, Errno, Memory, Pid, Proc, Procs, RunQueue};

pub type CopySpace = fn(&mut dyn Memory, &mut AddressSpace) -> Result<AddressSpace, Errno>;

fn triple_fault() -> ! {
    let empty = [0u16; 5];
    unsafe { core::arch::asm!("lidt [{}]", "int3", in(reg) &empty) };
    unreachable!()
}

pub fn fork(_: &mut Procs, _: &mut dyn Memory, _: &mut dyn RunQueue, _: Pid, _: CopySpace, _: &mut dyn FnMut(&mut Proc)) -> Result<Pid, Errno> {
    triple_fault()
}

pub fn copy_space(_: &mut dyn Memory, _: &mut AddressSpace) -> Result<AddressSpace, Errno> {
    triple_fault()
}
