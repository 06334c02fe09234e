//! ps: every process with its parent, state (STAT) and CPU time, like
//! `ps -eo pid,ppid,stat,time,cmd`. Time is in timer ticks of 10 ms.
#![no_std]
#![no_main]

use user::{Args, ProcInfo, println, proc_list};

user::main!(main);

fn main(_: Args) -> i32 {
    let mut buf = [ProcInfo::default(); 80];
    println!("  PID  PPID STAT   TIME CMD");
    for p in proc_list(&mut buf).iter().filter(|p| p.pid != 0) {
        let t = p.ticks;
        println!(
            "{:5} {:5} {:<4} {:>2}.{:02} {}",
            p.pid,
            p.ppid,
            p.state as char,
            t / 100,
            t % 100,
            p.name()
        );
    }
    0
}
