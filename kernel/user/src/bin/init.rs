//! init, pid 1: runs the command from the kernel command line (after `--`),
//! or else the shell, and reaps every child it is given, its own and orphans
//! alike. When the command ends, init powers the machine off with its status.
#![no_std]
#![no_main]

use user::{Args, execve, exit, fork, getpid, poweroff, println, status, wait4};

user::main!(main);

// ANCHOR: init_main
fn main(args: Args) -> i32 {
    println!("init: started as pid {}", getpid());
    let cmd = args.get(1).unwrap_or("sh");
    let argv: [&str; 16] = core::array::from_fn(|i| args.get(i + 1).unwrap_or(cmd));
    let child = spawn(cmd, &argv[..args.len().saturating_sub(1).max(1)]);
    let st = reap_until(child);
    // Orphans may outlive the command: wait until every process is gone.
    while wait4(-1, 0).0 > 0 {}
    let code = if status::wifexited(st) {
        println!("init: {cmd} exited with status {}", status::wexitstatus(st));
        status::wexitstatus(st).min(125) as u8
    } else {
        println!("init: {cmd} was killed by signal {}", status::wtermsig(st));
        126
    };
    poweroff(code);
    1
}
// ANCHOR_END: init_main

// ANCHOR: spawn
/// fork + execve: the way every process after init is born.
fn spawn(cmd: &str, argv: &[&str]) -> i32 {
    let pid = fork();
    if pid == 0 {
        let mut path = [0u8; 64];
        let full = user::bin_path(cmd, &mut path);
        let err = execve(full, argv);
        println!("init: cannot run {cmd}: {}", user::errno_name(err));
        exit(127);
    }
    pid
}
// ANCHOR_END: spawn

// ANCHOR: reap_until
/// Reaps children (adopted orphans too) until `pid` is among them; returns its status.
fn reap_until(pid: i32) -> i32 {
    loop {
        let (reaped, st) = wait4(-1, 0);
        if reaped == pid || reaped < 0 {
            return st;
        }
    }
}
// ANCHOR_END: reap_until
