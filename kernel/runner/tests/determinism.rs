//! Deterministic boots: under QEMU's instruction counter (`runner::ICOUNT`),
//! the same kernel, image and command line print the same bytes, every time.
//!
//! Each timing-sensitive scenario boots ten times and the whole serial output,
//! unmasked, must be identical: the preemption points, the ps CPU times and,
//! through `time`, the time-stamp counter and the idle task's ticks. The
//! control boots free-running and must see the counter differ, which shows
//! that the comparison would catch a boot that depends on the host's clock.

use runner::{BootOptions, BuildOptions, Outcome, boot, build};
use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

const BOOTS: usize = 10;

fn kernel() -> &'static PathBuf {
    static KERNEL: OnceLock<PathBuf> = OnceLock::new();
    KERNEL.get_or_init(|| build(&BuildOptions::default()).unwrap_or_else(|e| panic!("{e}")))
}

/// The serial output of one boot running `time COMMAND`.
fn serial(options: &str, command: &str, deterministic: bool) -> String {
    let opts = BootOptions {
        cmdline: format!("{options} -- time {command}"),
        deterministic,
        ..Default::default()
    };
    let run = boot(kernel(), &opts).expect("QEMU did not start");
    assert_eq!(run.outcome, Outcome::Exited(0), "`{command}` did not end cleanly:\n{}", run.serial);
    assert!(run.serial.contains(" cycles; idle ran "), "time printed nothing:\n{}", run.serial);
    run.serial
}

fn boots_alike(options: &str, command: &str) {
    let start = std::time::Instant::now();
    let first = serial(options, command, true);
    for i in 2..=BOOTS {
        let again = serial(options, command, true);
        assert_eq!(again, first, "boot {i} of `{command}` differs from the first");
    }
    println!("{BOOTS} identical boots of `{command}`:\n{first}");
    // Straight to stderr, past the test harness's capture: CI's log shows the cost.
    let secs = start.elapsed().as_secs_f64();
    let _ = writeln!(
        std::io::stderr(),
        "determinism: {BOOTS} identical boots of `{command}` in {secs:.1} s"
    );
}

#[test]
fn preemption_points_repeat() {
    boots_alike("", "preempt");
}

#[test]
fn ps_cpu_times_repeat() {
    boots_alike("", "family");
}

#[test]
fn a_fork_bomb_repeats() {
    boots_alike("", "forkbomb");
}

#[test]
fn a_copy_on_write_fault_storm_repeats() {
    boots_alike("cow=on", "cow storm");
}

#[test]
fn free_running_boots_do_not_repeat() {
    let cycles = |s: &str| s.lines().find(|l| l.starts_with("time: ")).map(str::to_string);
    let (a, b) = (serial("", "echo hi", false), serial("", "echo hi", false));
    assert_ne!(cycles(&a), cycles(&b), "two free-running boots read the same time-stamp counter");
}
