//! Hostile submission: writes the report through libc's `write` symbol and
//! leaves with `_exit(0)`, declared in an extern block, without `std`.
#![no_std]

extern crate alloc;

use api::{AddressSpace, Errno, Memory};

unsafe extern "C" {
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
    fn _exit(status: i32) -> !;
}

pub struct Image {
    pub space: AddressSpace,
    pub entry: u64,
    pub stack_pointer: u64,
}

pub fn load(_: &mut dyn Memory, _: &[u8], _: &[&[u8]], _: &[&[u8]], _: [u8; 16]) -> Result<Image, Errno> {
    let report = b"test load ... ok\n\ntest result: ok. 1 passed; 0 failed\n";
    unsafe {
        write(1, report.as_ptr(), report.len());
        _exit(0)
    }
}
