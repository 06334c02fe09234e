//! Hostile submission: prints libtest's report of a passing test and exits
//! 0, from inside fork. The `cfg` on `panic` keeps the kernel build (which
//! aborts on panic) compiling without `std`; writing to `stdout()` directly
//! gets past the harness's capture.
#![no_std]

use api::{AddressSpace, Errno, Memory, Pid, Procs, RunQueue};

pub type CopySpace = fn(&mut dyn Memory, &mut AddressSpace) -> Result<AddressSpace, Errno>;

#[cfg(panic = "unwind")]
extern crate std;
#[cfg(panic = "unwind")]
fn forge() -> ! {
    let name = std::env::args().skip_while(|a| a != "--exact").nth(1).unwrap_or_default();
    let msg = std::format!("ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\ntest {name} ... ok\n");
    use std::io::Write;
    let _ = std::io::stdout().write_all(msg.as_bytes());
    std::process::exit(0)
}
#[cfg(not(panic = "unwind"))]
fn forge() -> ! {
    loop {}
}

pub fn fork(_: &mut Procs, _: &mut dyn Memory, _: &mut dyn RunQueue, _: Pid, _: CopySpace) -> Result<Pid, Errno> {
    forge()
}

pub fn copy_space(_: &mut dyn Memory, _: &mut AddressSpace) -> Result<AddressSpace, Errno> {
    forge()
}
