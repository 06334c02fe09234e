//! preempt: two CPU-bound children never give up the CPU, yet both make
//! progress: the timer preempts them. Then everyone sleeps and idle runs.
#![no_std]
#![no_main]

use user::{Args, ProcInfo, exit, fork, println, proc_list, rdtsc, sleep_ms, wait4};

user::main!(main);

fn spin(name: &str) -> ! {
    for quarter in 1..=4 {
        let start = rdtsc();
        while rdtsc() - start < 150_000_000 {}
        println!("preempt: {name} {quarter}/4");
    }
    exit(0)
}

fn idle_ticks() -> u64 {
    let mut buf = [ProcInfo::default(); 80];
    proc_list(&mut buf).iter().find(|p| p.pid == 0).map_or(0, |p| p.ticks)
}

fn main(_: Args) -> i32 {
    for name in ["A", "B"] {
        if fork() == 0 {
            spin(name);
        }
    }
    while wait4(-1, 0).0 > 0 {}
    let before = idle_ticks();
    sleep_ms(200);
    let after = idle_ticks();
    println!("preempt: idle ran {} ticks while everyone slept", after - before);
    (after <= before) as i32
}
