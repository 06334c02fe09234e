//! Hostile submission: panics, which aborts a test and the kernel alike.
#![no_std]

use api::{AddressSpace, Errno, Memory, Pid, Proc, Procs, RunQueue};

pub type CopySpace = fn(&mut dyn Memory, &mut AddressSpace) -> Result<AddressSpace, Errno>;

pub fn fork(_: &mut Procs, _: &mut dyn Memory, _: &mut dyn RunQueue, _: Pid, _: CopySpace, _: &mut dyn FnMut(&mut Proc)) -> Result<Pid, Errno> {
    panic!("hostile: fork gives up")
}

pub fn copy_space(_: &mut dyn Memory, _: &mut AddressSpace) -> Result<AddressSpace, Errno> {
    panic!("hostile: copy_space gives up")
}
