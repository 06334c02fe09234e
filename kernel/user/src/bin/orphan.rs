//! orphan: a parent exits before its child. The child is not killed: it is
//! adopted by init (pid 1), which reaps it when it exits.
#![no_std]
#![no_main]

use user::{Args, exit, fork, getpid, getppid, println, sleep_ms, wait4};

user::main!(main);

fn main(_: Args) -> i32 {
    let middle = fork();
    if middle == 0 {
        let child = fork();
        if child == 0 {
            println!("orphan: pid {} starts with parent {}", getpid(), getppid());
            sleep_ms(100);
            println!("orphan: pid {} now has parent {}", getpid(), getppid());
            exit(0);
        }
        sleep_ms(20);
        println!("orphan: parent {} exits, leaving {child} behind", getpid());
        exit(0);
    }
    wait4(middle, 0);
    0
}
