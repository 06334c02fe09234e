//! The worked example: fork; the parent and the child each say who they
//! are; the child then becomes `echo` through execve.
#![no_std]
#![no_main]

use core::fmt::Write;
use user::{Args, StackStr, execve, exit, fork, getpid, getppid, println, wait4};

user::main!(main);

// ANCHOR: forkexec
fn main(_: Args) -> i32 {
    let pid = fork();
    if pid == 0 {
        println!("child: pid={}, parent pid={}", getpid(), getppid());
        let mut msg = StackStr::<32>::new();
        let _ = write!(msg, "hello from pid={}", getpid());
        execve("/bin/echo", &["echo", msg.as_str()]);
        exit(1);
    }
    println!("parent: pid={}, child pid={}", getpid(), pid);
    wait4(pid, 0);
    0
}
// ANCHOR_END: forkexec
