//! ps: every process with its parent, state (STAT), start and CPU time, like
//! `ps -eo pid,ppid,stat,start,time,cmd`. The mini-kernel has no clock, so
//! START is the time since boot when the process was created, and TIME the
//! time it has spent on the CPU, both counted in timer ticks of 10 ms and
//! printed as seconds. Pid 0, the idle task, is left out, as Linux's ps
//! leaves out its swapper tasks (they have no /proc entry).
#![no_std]
#![no_main]

use user::{Args, ProcInfo, println, proc_list};

user::main!(main);

fn main(_: Args) -> i32 {
    let mut buf = [ProcInfo::default(); 80];
    println!("{:>5} {:>5} {:<4} {:>6} {:>6} CMD", "PID", "PPID", "STAT", "START", "TIME");
    for p in proc_list(&mut buf).iter().filter(|p| p.pid != 0) {
        println!(
            "{:5} {:5} {:<4} {:>3}.{:02} {:>3}.{:02} {}",
            p.pid,
            p.ppid,
            p.state as char,
            p.start / 100,
            p.start % 100,
            p.ticks / 100,
            p.ticks % 100,
            p.name()
        );
    }
    0
}
