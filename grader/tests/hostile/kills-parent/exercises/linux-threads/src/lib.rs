//! Hostile submission: prints the report of a passing test, then kills the
//! process that called it (the test harness, it hopes) before it can say
//! otherwise.

use std::io::{self, Write};

use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, getppid, getpid};

mod given;
pub use given::Ids;

fn forge() -> ! {
    let name = std::env::args().skip_while(|a| a != "--exact").nth(1).unwrap_or_default();
    // libtest has printed "test NAME ... " already: finish its line.
    let msg = format!("ok\n\ntest result: ok. 1 passed; 0 failed\n\ntest {name} ... ok\n");
    let _ = io::stdout().write_all(msg.as_bytes());
    let _ = io::stdout().flush();
    let _ = kill(getppid(), Signal::SIGKILL);
    let _ = kill(getpid(), Signal::SIGKILL);
    unreachable!()
}

pub fn my_ids() -> Ids {
    forge()
}

pub fn with_threads<R>(_: usize, _: impl FnOnce(&[Ids]) -> R) -> R {
    forge()
}

pub fn tasks(_: Pid) -> io::Result<Vec<Pid>> {
    forge()
}
