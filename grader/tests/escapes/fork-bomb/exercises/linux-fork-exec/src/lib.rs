//! Escape attempt: a fork bomb. Every process forks, and its children fork
//! in turn; a fork that fails is tried again. Ten generations make at most
//! 1,024 processes, should nothing stop them sooner.

use std::os::fd::BorrowedFd;
use std::time::Duration;

use nix::unistd::{fork, pause};

#[allow(dead_code)]
mod given;
pub use given::Outcome;

fn bomb() -> ! {
    let mut generations = 10;
    while generations > 0 {
        // SAFETY: parent and child make only system calls from here on.
        match unsafe { fork() } {
            Ok(_) => generations -= 1,
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    loop {
        pause();
    }
}

pub fn fork_exec(_: BorrowedFd<'_>) -> nix::Result<Outcome> {
    bomb()
}

pub fn spawn_echo(_: BorrowedFd<'_>) -> nix::Result<Outcome> {
    bomb()
}
