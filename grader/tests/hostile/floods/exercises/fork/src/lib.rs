//! Hostile submission: a 32 MB panic message, twice what the grader lets a
//! test print. The test harness prints it on stdout; the kernel's panic
//! handler sends it to the serial console.
#![no_std]

use api::{AddressSpace, Errno, Memory, Pid, Proc, Procs, RunQueue};
use core::fmt;

pub type CopySpace = fn(&mut dyn Memory, &mut AddressSpace) -> Result<AddressSpace, Errno>;

struct Flood;

impl fmt::Display for Flood {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for _ in 0..32_000_000 / 64 {
            f.write_str("flood flood flood flood flood flood flood flood flood flood flo\n")?;
        }
        Ok(())
    }
}

pub fn fork(_: &mut Procs, _: &mut dyn Memory, _: &mut dyn RunQueue, _: Pid, _: CopySpace, _: &mut dyn FnMut(&mut Proc)) -> Result<Pid, Errno> {
    panic!("{}", Flood)
}

pub fn copy_space(_: &mut dyn Memory, _: &mut AddressSpace) -> Result<AddressSpace, Errno> {
    panic!("{}", Flood)
}
