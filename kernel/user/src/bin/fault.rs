//! fault: a program with a bug. Its write to address 0 must kill it, and only it.
#![no_std]
#![no_main]

use user::{Args, println};

user::main!(main);

fn main(_: Args) -> i32 {
    println!("fault: writing to address 0");
    // SAFETY: none: the point of this program is the fault. Address 0 is not
    // mapped, so the write faults and the kernel kills the program before
    // anything else can go wrong.
    unsafe { core::ptr::write_volatile(core::ptr::null_mut::<u64>(), 42) };
    println!("fault: still alive?!");
    0
}
