//! orphan: a parent exits before its child. The child is not killed: it is
//! adopted by init (pid 1), which reaps it when it exits.
//!
//! `orphan zombie`: the child exits first, so it is already a zombie when its
//! parent exits. Init adopts the zombie, and must reap it at once: no one
//! else ever will. Nothing printed shows when that happens; the kernel's
//! event trace does (`cargo boot --trace -- orphan zombie`).
#![no_std]
#![no_main]

use user::{Args, exit, fork, getpid, getppid, println, sleep_ms, wait4};

user::main!(main);

fn main(args: Args) -> i32 {
    if args.get(1) == Some("zombie") {
        return orphaned_zombie();
    }
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

fn orphaned_zombie() -> i32 {
    let middle = fork();
    if middle == 0 {
        let child = fork();
        if child == 0 {
            exit(0);
        }
        sleep_ms(20);
        println!("orphan: parent {} exits, leaving zombie {child} behind", getpid());
        exit(0);
    }
    wait4(middle, 0);
    // Linger: a kernel that forgets to wake init for the adopted zombie leaves
    // it unreaped until this process exits, which wakes init anyway.
    sleep_ms(50);
    println!("orphan: {middle} reaped; its zombie child is init's to reap");
    0
}
