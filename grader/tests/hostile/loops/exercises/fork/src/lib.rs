//! Hostile submission: never returns, on the host or in the kernel.
#![no_std]

use api::{AddressSpace, Errno, Memory, Pid, Proc, Procs, RunQueue};

pub type CopySpace = fn(&mut dyn Memory, &mut AddressSpace) -> Result<AddressSpace, Errno>;

pub fn fork(_: &mut Procs, _: &mut dyn Memory, _: &mut dyn RunQueue, _: Pid, _: CopySpace, _: &mut dyn FnMut(&mut Proc)) -> Result<Pid, Errno> {
    loop {
        core::hint::spin_loop();
    }
}

pub fn copy_space(_: &mut dyn Memory, _: &mut AddressSpace) -> Result<AddressSpace, Errno> {
    loop {
        core::hint::spin_loop();
    }
}
