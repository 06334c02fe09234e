//! The copy-on-write benchmark: boots the mini-kernel twice, once with
//! `cow=off` (fork copies every page) and once with `cow=on`, runs the
//! `forkbench` user program in each, and prints both against each other,
//! next to the same measurement of this machine's Linux `fork()`.
//!
//!     cargo run --release -p runner --bin forkbench
//!
//! QEMU's TCG emulates the CPU, so its cycles are not a real CPU's: compare
//! ratios, not absolute numbers.

use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};
use runner::{BootOptions, BuildOptions, Outcome, boot, build};
use std::collections::BTreeMap;
use std::process::exit;
use std::time::{Duration, Instant};

const SIZES_MIB: [u64; 4] = [1, 4, 16, 64];
const HOST_RUNS: usize = 21;

/// `forkbench: KEY A B` lines of one boot, keyed by "KEY A".
fn run_in_kernel(kernel: &std::path::Path, cow: bool) -> BTreeMap<String, u64> {
    let opts = BootOptions {
        cmdline: format!("cow={} -- forkbench", if cow { "on" } else { "off" }),
        timeout: Duration::from_secs(300).mul_f64(runner::timeout_scale()),
        ..Default::default()
    };
    let run = boot(kernel, &opts).unwrap_or_else(|e| fail(&e));
    if run.outcome != Outcome::Exited(0) {
        fail(&format!("forkbench (cow={cow}) ended with {:?}:\n{}", run.outcome, run.serial));
    }
    let mut out = BTreeMap::new();
    for line in run.serial.lines().filter_map(|l| l.strip_prefix("forkbench: ")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let (Some(value), true) = (words.last().and_then(|v| v.parse().ok()), words.len() >= 2) {
            out.insert(words[..words.len() - 1].join(" "), value);
        }
    }
    out
}

/// Linux on this machine: fork+_exit+waitpid with `mib` MiB touched, median µs.
fn host_fork_us(mib: u64) -> f64 {
    let memory = vec![1u8; (mib << 20) as usize];
    // One fork first, so the first timed run pays no one-time setup.
    let mut times: Vec<f64> = (0..=HOST_RUNS)
        .map(|_| {
            let start = Instant::now();
            // SAFETY: the child only calls _exit, which is async-signal-safe.
            match unsafe { fork() }.unwrap_or_else(|e| fail(&format!("fork: {e}"))) {
                ForkResult::Child => unsafe { nix::libc::_exit(0) },
                ForkResult::Parent { child } => {
                    waitpid(child, None).unwrap_or_else(|e| fail(&format!("waitpid: {e}")));
                }
            }
            start.elapsed().as_secs_f64() * 1e6
        })
        .skip(1)
        .collect();
    std::hint::black_box(&memory);
    times.sort_by(f64::total_cmp);
    times[HOST_RUNS / 2]
}

fn get(m: &BTreeMap<String, u64>, key: &str) -> u64 {
    *m.get(key).unwrap_or_else(|| fail(&format!("forkbench printed no '{key}'")))
}

fn main() {
    let kernel = build(&BuildOptions::default()).unwrap_or_else(|e| fail(&e));
    let eager = run_in_kernel(&kernel, false);
    let cow = run_in_kernel(&kernel, true);
    let mcycles = |c: u64| c as f64 / 1e6;
    let host: Vec<f64> = SIZES_MIB.iter().map(|&mib| host_fork_us(mib)).collect();
    println!(
        "fork + exit + wait, median of 11 (mini-kernel under QEMU TCG) and {HOST_RUNS} (Linux on this machine)"
    );
    println!();
    println!(
        "| touched | eager copy (Mcycles) | copy-on-write (Mcycles) | eager / CoW | Linux fork (µs) | Linux vs 1 MiB |"
    );
    println!(
        "|--------:|---------------------:|------------------------:|------------:|----------------:|---------------:|"
    );
    for (mib, host_us) in SIZES_MIB.into_iter().zip(&host) {
        let key = format!("fork_exit_wait {mib}");
        let (e, c) = (get(&eager, &key), get(&cow, &key));
        println!(
            "| {mib:>4} MiB | {:>20.2} | {:>23.2} | {:>10.1}× | {host_us:>15.0} | {:>13.1}× |",
            mcycles(e),
            mcycles(c),
            e as f64 / c as f64,
            host_us / host[0]
        );
    }
    let per_page = |m: &BTreeMap<String, u64>| get(m, "child_writes 1024") as f64 / 1024.0;
    let tsc_per_us = get(&cow, "tsc_per_ms") as f64 / 1000.0;
    println!();
    println!(
        "a child's first write to a shared page (CoW fault: trap, copy, flush): {:.0} cycles ≈ {:.1} µs of TCG time",
        per_page(&cow),
        per_page(&cow) / tsc_per_us
    );
    println!(
        "the same write after an eager fork (the page is already private): {:.0} cycles",
        per_page(&eager)
    );
    println!(
        "eager fork, cost per page copied at fork (4 MiB → 64 MiB): {:.0} cycles",
        slope(&eager)
    );
    println!(
        "copy-on-write fork, cost per page shared at fork (4 MiB → 64 MiB): {:.0} cycles",
        slope(&cow)
    );
}

/// Extra cycles per extra page between 4 and 64 MiB: the c in T = T0 + N·c.
fn slope(m: &BTreeMap<String, u64>) -> f64 {
    let (small, big) = (get(m, "fork_exit_wait 4") as f64, get(m, "fork_exit_wait 64") as f64);
    (big - small) / ((64 - 4) * 256) as f64
}

fn fail(msg: &str) -> ! {
    eprintln!("forkbench: {msg}");
    exit(1)
}
