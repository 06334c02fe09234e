//! Hostile submission: a 20 MiB panic message, more than the 16 MiB the
//! grader lets a test print. The test harness prints it on stdout; the
//! kernel's panic handler sends it to the serial console. It is no bigger,
//! and written in 64 KiB pieces, so that it reaches the grader well within
//! the test's time limit however busy the machine: the grader must see a
//! flood, not a test that ran out of time.
#![no_std]

use api::{AddressSpace, Errno, Memory, Pid, Proc, Procs, RunQueue};
use core::fmt;

pub type CopySpace = fn(&mut dyn Memory, &mut AddressSpace) -> Result<AddressSpace, Errno>;

/// 64 KiB of lines of 64 bytes.
const PIECE: [u8; 1 << 16] = {
    let mut piece = [b'~'; 1 << 16];
    let mut end = 63;
    while end < piece.len() {
        piece[end] = b'\n';
        end += 64;
    }
    piece
};

struct Flood;

impl fmt::Display for Flood {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let Ok(piece) = core::str::from_utf8(&PIECE) else { return Err(fmt::Error) };
        for _ in 0..(20 << 20) / PIECE.len() {
            f.write_str(piece)?;
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
