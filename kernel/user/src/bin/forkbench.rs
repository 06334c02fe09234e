//! forkbench: what fork costs, in time-stamp-counter cycles, as the memory a
//! process has touched grows. Boot it twice, `cow=off` and `cow=on`, to
//! compare eager copying with copy-on-write: `cargo run -p runner --bin forkbench`
//! does that and prints the table.
//!
//! Each line is `forkbench: KEY VALUE...` so the host can parse it.
//! `forkbench quick` takes the median of 3 runs instead of 11: the same
//! lines, sooner, for the test that checks the book's recorded table.
#![no_std]
#![no_main]

use core::ptr::write_volatile;
use user::{Args, exit, fork, mmap_fixed, munmap, println, rdtsc, sleep_ms, wait4};

user::main!(main);

const AREA: u64 = 0x1000_0000;
const PAGE: usize = 4096;
const RUNS: usize = 11;
const QUICK_RUNS: usize = 3;
/// Pages the child writes when we measure the cost of a write fault.
const FAULT_PAGES: usize = 1024;

fn main(args: Args) -> i32 {
    let runs = if args.get(1) == Some("quick") { QUICK_RUNS } else { RUNS };
    let measure = |f: &dyn Fn() -> u64| median(runs, f);
    println!("forkbench: runs {runs}");
    let t0 = rdtsc();
    sleep_ms(200);
    println!("forkbench: tsc_per_ms {}", (rdtsc() - t0) / 200);
    for mib in [1, 4, 16, 64] {
        let len = mib << 20;
        if mmap_fixed(AREA, len) < 0 {
            println!("forkbench: cannot map {mib} MiB");
            return 1;
        }
        touch(len / PAGE);
        println!("forkbench: fork_exit_wait {mib} {}", measure(&|| fork_exit_wait(0)));
        if mib == 4 {
            let quiet = measure(&|| fork_exit_wait(0));
            let writing = measure(&|| fork_exit_wait(FAULT_PAGES));
            println!("forkbench: child_writes {FAULT_PAGES} {}", writing.saturating_sub(quiet));
        }
        // SAFETY: done with the area; nothing points into it.
        unsafe { munmap(AREA, len) };
    }
    0
}

/// Writes one word in each of the first `pages` pages of the area.
fn touch(pages: usize) {
    for i in 0..pages {
        // SAFETY: `main` mapped the area first, and nothing borrows it.
        unsafe { write_volatile((AREA as usize + i * PAGE) as *mut u64, i as u64) };
    }
}

/// One fork whose child writes `pages` pages and exits, then the wait: cycles.
fn fork_exit_wait(pages: usize) -> u64 {
    let start = rdtsc();
    let pid = fork();
    if pid == 0 {
        touch(pages);
        exit(0);
    }
    wait4(pid, 0);
    rdtsc() - start
}

/// The median of `runs` (at most `RUNS`) calls of `f`.
fn median(runs: usize, f: &dyn Fn() -> u64) -> u64 {
    let mut t = [0u64; RUNS];
    let t = &mut t[..runs.min(RUNS)];
    for x in t.iter_mut() {
        *x = f();
    }
    t.sort_unstable();
    t[t.len() / 2]
}
