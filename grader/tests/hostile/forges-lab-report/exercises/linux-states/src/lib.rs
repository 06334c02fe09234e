//! Hostile submission: the same forgery in a Linux lab, which may use std.
//! Every function prints libtest's report of a passing test and exits 0.

use std::io::{self, Write};

use nix::unistd::Pid;

mod given;
pub use given::State;

fn forge() -> ! {
    let name = std::env::args().skip_while(|a| a != "--exact").nth(1).unwrap_or_default();
    let msg = format!("ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\ntest {name} ... ok\n");
    let _ = io::stdout().write_all(msg.as_bytes());
    std::process::exit(0)
}

impl State {
    pub fn from_letter(_: char) -> Option<State> {
        forge()
    }
}

pub fn parse_state(_: &str) -> io::Result<State> {
    forge()
}

pub fn state(_: Pid) -> io::Result<State> {
    forge()
}

pub fn spawn_sleeper() -> nix::Result<Pid> {
    forge()
}

pub fn spawn_spinner() -> nix::Result<Pid> {
    forge()
}

pub fn spawn_zombie() -> nix::Result<Pid> {
    forge()
}
