//! The copy-on-write benchmark: boots the mini-kernel twice, once with
//! `cow=off` (fork copies every page) and once with `cow=on`, runs the
//! `forkbench` user program in each, and prints both against each other,
//! next to the same measurement of this machine's Linux `fork()`.
//!
//!     cargo run --release -p runner --bin forkbench             print the table
//!     cargo run --release -p runner --bin forkbench -- --record write it for the book
//!     cargo run --release -p runner --bin forkbench -- --quick  fewer runs, same lines
//!
//! QEMU's TCG emulates the CPU, so its cycles are not a real CPU's: compare
//! ratios, not absolute numbers. The book shows one recorded run
//! (book/transcripts/forkbench.txt); a test runs the quick version and
//! checks that the recorded table still has the shape this program prints.

use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};
use runner::{BootOptions, BuildOptions, Outcome, boot, build};
use std::collections::BTreeMap;
use std::process::exit;
use std::time::{Duration, Instant};

const SIZES_MIB: [u64; 4] = [1, 4, 16, 64];
const HOST_RUNS: usize = 21;
const QUICK_HOST_RUNS: usize = 5;

/// `forkbench: KEY A B` lines of one boot, keyed by "KEY A".
fn run_in_kernel(kernel: &std::path::Path, cow: bool, quick: bool) -> BTreeMap<String, u64> {
    let opts = BootOptions {
        cmdline: format!(
            "cow={} -- forkbench{}",
            if cow { "on" } else { "off" },
            if quick { " quick" } else { "" }
        ),
        timeout: Duration::from_secs(300).mul_f64(runner::timeout_scale()),
        // Time-stamp counter cycles of the emulation, as the header says, not
        // the instruction count that -icount would make them.
        deterministic: false,
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
fn host_fork_us(mib: u64, runs: usize) -> f64 {
    let memory = vec![1u8; (mib << 20) as usize];
    // One fork first, so the first timed run pays no one-time setup.
    let mut times: Vec<f64> = (0..=runs)
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
    times[runs / 2]
}

fn get(m: &BTreeMap<String, u64>, key: &str) -> u64 {
    *m.get(key).unwrap_or_else(|| fail(&format!("forkbench printed no '{key}'")))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (quick, record) =
        (args.iter().any(|a| a == "--quick"), args.iter().any(|a| a == "--record"));
    if let Some(other) = args.iter().find(|a| !["--quick", "--record"].contains(&a.as_str())) {
        fail(&format!("unknown argument {other}: the options are --quick and --record"));
    }
    let kernel = build(&BuildOptions::default()).unwrap_or_else(|e| fail(&e));
    let table = measure(&kernel, quick);
    print!("{table}");
    if record {
        let path = runner::repo_root().join("book/transcripts/forkbench.txt");
        std::fs::write(&path, &table).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
        eprintln!("forkbench: recorded in {}", path.display());
    }
}

/// Boots the kernel twice and times this machine's fork; returns the report.
fn measure(kernel: &std::path::Path, quick: bool) -> String {
    let eager = run_in_kernel(kernel, false, quick);
    let cow = run_in_kernel(kernel, true, quick);
    let host_runs = if quick { QUICK_HOST_RUNS } else { HOST_RUNS };
    let mcycles = |c: u64| c as f64 / 1e6;
    let host: Vec<f64> = SIZES_MIB.iter().map(|&mib| host_fork_us(mib, host_runs)).collect();
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!(
        "fork + exit + wait, median of {} (mini-kernel under QEMU TCG) and {host_runs} (Linux on this machine)",
        get(&eager, "runs")
    ));
    line(String::new());
    line("| touched | eager copy (Mcycles) | copy-on-write (Mcycles) | eager / CoW | Linux fork (µs) | Linux vs 1 MiB |".into());
    line("|--------:|---------------------:|------------------------:|------------:|----------------:|---------------:|".into());
    for (mib, host_us) in SIZES_MIB.into_iter().zip(&host) {
        let key = format!("fork_exit_wait {mib}");
        let (e, c) = (get(&eager, &key), get(&cow, &key));
        line(format!(
            "| {mib:>4} MiB | {:>20.2} | {:>23.2} | {:>10.1}× | {host_us:>15.0} | {:>13.1}× |",
            mcycles(e),
            mcycles(c),
            e as f64 / c as f64,
            host_us / host[0]
        ));
    }
    let fault = get(&cow, "child_writes 1024") as f64 / 1024.0;
    let (copy, pte) = (slope(&eager), slope(&cow));
    let tsc_per_us = get(&cow, "tsc_per_ms") as f64 / 1000.0;
    line(String::new());
    line(format!(
        "c_fault, a child's first write to a shared page (trap, copy, flush): {fault:.0} cycles ≈ {:.1} µs of TCG time",
        fault / tsc_per_us
    ));
    line(format!(
        "the same write after an eager fork (the page is already private): {:.0} cycles",
        get(&eager, "child_writes 1024") as f64 / 1024.0
    ));
    line(format!("c_copy, eager fork, per page copied at fork (4 MiB → 64 MiB): {copy:.0} cycles"));
    line(format!(
        "c_pte, copy-on-write fork, per page shared at fork (4 MiB → 64 MiB): {pte:.0} cycles"
    ));
    line(format!(
        "c_copy / c_pte = {:.1}: what eager / CoW tends to as the memory grows",
        copy / pte
    ));
    line(format!(
        "(c_copy - c_pte) / c_fault = {:.2}: copy-on-write wins while the child writes fewer than {:.0} % of the pages",
        (copy - pte) / fault,
        100.0 * (copy - pte) / fault
    ));
    out
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
