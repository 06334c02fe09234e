//! family: a small process tree to look at. Two children, one with a child
//! of its own, all asleep, while `pstree` and `ps` run.
#![no_std]
#![no_main]

use user::{Args, exit, fork, run, sleep_ms, wait4};

user::main!(main);

fn sleeper(ms: u64, grandchild: bool) -> i32 {
    let pid = fork();
    if pid == 0 {
        if grandchild {
            sleeper(ms, false);
        }
        sleep_ms(ms);
        while wait4(-1, 0).0 > 0 {}
        exit(0);
    }
    pid
}

fn main(_: Args) -> i32 {
    sleeper(300, true);
    sleeper(300, false);
    sleep_ms(20);
    run(&["pstree"]);
    run(&["ps"]);
    while wait4(-1, 0).0 > 0 {}
    0
}
