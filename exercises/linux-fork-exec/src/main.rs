//! The worked example as a program: `cargo run -p linux-fork-exec` runs your
//! code, `cargo run -p linux-fork-exec-solution` the reference. Add
//! `-- spawn` to run the posix_spawn version.

use std::os::fd::AsFd;

use linux_fork_exec::{fork_exec, spawn_echo};

fn main() {
    let spawn = std::env::args().nth(1).as_deref() == Some("spawn");
    let stdout = std::io::stdout();
    let outcome = if spawn { spawn_echo(stdout.as_fd()) } else { fork_exec(stdout.as_fd()) };
    match outcome {
        Ok(outcome) => eprintln!("(waitpid: {:?})", outcome.status),
        Err(err) => {
            eprintln!("fork-exec: {err}");
            std::process::exit(1);
        }
    }
}
