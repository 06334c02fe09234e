//! zombie: a child exits while its parent sleeps. Until the parent calls
//! wait4, the child is a zombie (Z): gone, but its exit status is kept.
#![no_std]
#![no_main]

use user::{Args, exit, fork, println, run, sleep_ms, status, wait4};

user::main!(main);

fn main(_: Args) -> i32 {
    let pid = fork();
    if pid == 0 {
        exit(7);
    }
    sleep_ms(50);
    println!("zombie: child {pid} has exited; before wait4:");
    run(&["ps"]);
    let (reaped, st) = wait4(pid, 0);
    println!(
        "zombie: wait4 reaped {reaped}, exit status {}; after wait4:",
        status::wexitstatus(st)
    );
    run(&["ps"]);
    0
}
