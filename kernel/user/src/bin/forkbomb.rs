//! forkbomb: forks until the kernel says no. The process table is full, so
//! fork fails with EAGAIN; the kernel lives on, and every child is reaped.
#![no_std]
#![no_main]

use user::{Args, errno_name, exit, fork, println, sleep_ms, wait4};

user::main!(main);

fn main(_: Args) -> i32 {
    let mut children = 0;
    let err = loop {
        match fork() {
            0 => {
                sleep_ms(100);
                exit(0);
            }
            pid if pid < 0 => break pid,
            _ => children += 1,
        }
    };
    println!("forkbomb: fork failed with {} after {children} children", errno_name(err as i64));
    let mut reaped = 0;
    while wait4(-1, 0).0 > 0 {
        reaped += 1;
    }
    println!("forkbomb: reaped {reaped} children");
    (reaped != children) as i32
}
