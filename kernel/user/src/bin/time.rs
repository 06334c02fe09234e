//! time: runs a command, then says how long it took in time-stamp counter
//! cycles and how many timer ticks the idle task got meanwhile, like
//! `/usr/bin/time`. Free-running, the cycles differ on every boot; with QEMU's
//! instruction counter (`cargo boot --deterministic`) they never do.
#![no_std]
#![no_main]

use user::{Args, ProcInfo, println, proc_list, rdtsc, run, status};

user::main!(main);

fn idle_ticks() -> u64 {
    let mut buf = [ProcInfo::default(); 80];
    proc_list(&mut buf).iter().find(|p| p.pid == 0).map_or(0, |p| p.ticks)
}

fn main(args: Args) -> i32 {
    if args.len() < 2 {
        println!("usage: time COMMAND [ARG...]");
        return 2;
    }
    let argv: [&str; 16] = core::array::from_fn(|i| args.get(i + 1).unwrap_or(""));
    let argv = &argv[..(args.len() - 1).min(16)];
    let (idle, start) = (idle_ticks(), rdtsc());
    let st = run(argv);
    let (cycles, idle) = (rdtsc() - start, idle_ticks() - idle);
    println!("time: {} took {cycles} cycles; idle ran {idle} ticks", argv[0]);
    if status::wifexited(st) { status::wexitstatus(st) } else { 128 + status::wtermsig(st) }
}
