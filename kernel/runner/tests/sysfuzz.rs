//! The system-call fuzzer (kernel/user/src/bin/sysfuzz.rs) in QEMU, with
//! fork copying eagerly and copy-on-write: at least 100,000 random calls with
//! hostile arguments. The kernel must not panic, every child must exit or
//! die of SIGSEGV, and the free frames must come back to where they were.
//!
//! The seed changes with every run and is printed; `SYSFUZZ_SEED=N` repeats
//! one, and under -icount a repeated seed is a repeated run, bit for bit.

use runner::{BootOptions, BuildOptions, Outcome, boot, build};
use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

const CALLS: u64 = 100_000;

fn kernel() -> &'static PathBuf {
    static KERNEL: OnceLock<PathBuf> = OnceLock::new();
    KERNEL.get_or_init(|| build(&BuildOptions::default()).unwrap_or_else(|e| panic!("{e}")))
}

fn seed() -> u64 {
    std::env::var("SYSFUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        t.as_nanos() as u64 % 1_000_000_007
    })
}

fn fuzz(cow: &str) {
    let seed = seed();
    let opts = BootOptions {
        cmdline: format!("cow={cow} -- sysfuzz {CALLS} {seed}"),
        timeout: Duration::from_secs(240).mul_f64(runner::timeout_scale()),
        ..Default::default()
    };
    let run = boot(kernel(), &opts).expect("QEMU did not start");
    let again = format!("repeat with SYSFUZZ_SEED={seed}");
    assert_eq!(run.outcome, Outcome::Exited(0), "cow={cow}, {again}:\n{}", run.serial);
    let summary = run
        .serial
        .lines()
        .find_map(|l| l.strip_prefix("sysfuzz: at least "))
        .unwrap_or_else(|| panic!("no summary (cow={cow}, {again}):\n{}", run.serial));
    let calls: u64 = summary.split(' ').next().and_then(|n| n.parse().ok()).unwrap();
    assert!(calls >= CALLS, "only {calls} calls: {summary}");
    assert!(summary.ends_with(", 0 otherwise"), "a child died another way: {summary}, {again}");
    assert!(
        run.serial.contains("sysfuzz: free frames before and after match"),
        "frames leaked (cow={cow}, {again}):\n{}",
        run.serial
    );
    let secs = run.elapsed.as_secs_f64();
    // Straight to stderr, past the test harness's capture: CI's log shows the rate.
    let _ = writeln!(
        std::io::stderr(),
        "sysfuzz cow={cow} seed {seed}: {summary}; {secs:.1} s, {:.0} calls/s",
        calls as f64 / secs
    );
}

#[test]
fn random_hostile_system_calls_with_eager_fork() {
    fuzz("off");
}

#[test]
fn random_hostile_system_calls_with_copy_on_write() {
    fuzz("on");
}
