//! Hostile submission: a lab that writes the report with libc's `write`
//! (reached through nix, as any lab may) and leaves with `_exit(0)`.

use std::os::fd::BorrowedFd;

mod given;
pub use given::Outcome;

fn forge() -> ! {
    let name = std::env::args().skip_while(|a| a != "--exact").nth(1).unwrap_or_default();
    // libtest has printed "test NAME ... " already: finish its line.
    let msg = format!("ok\n\ntest result: ok. 1 passed; 0 failed\n\ntest {name} ... ok\n");
    unsafe {
        nix::libc::write(1, msg.as_ptr().cast(), msg.len());
        nix::libc::_exit(0)
    }
}

pub fn fork_exec(_: BorrowedFd<'_>) -> nix::Result<Outcome> {
    forge()
}

pub fn spawn_echo(_: BorrowedFd<'_>) -> nix::Result<Outcome> {
    forge()
}
