//! Boots the real kernel in QEMU and checks what it prints. One image is
//! built once and shared; each test boots it with its own command line.

use runner::{BootOptions, BuildOptions, Outcome, Run, boot, build};
use std::path::PathBuf;
use std::sync::OnceLock;

fn kernel() -> &'static PathBuf {
    static KERNEL: OnceLock<PathBuf> = OnceLock::new();
    KERNEL.get_or_init(|| build(&BuildOptions::default()).unwrap_or_else(|e| panic!("{e}")))
}

fn run(command: &str) -> Run {
    let run = boot(kernel(), &BootOptions::command(command)).expect("QEMU did not start");
    println!("--- serial output of `{command}` ---\n{}--- {:?}", run.serial, run.outcome);
    run
}

/// The lines of `serial`, in order, each containing the next needle.
fn assert_in_order(serial: &str, needles: &[&str]) {
    let mut lines = serial.lines();
    for n in needles {
        assert!(lines.any(|l| l.contains(n)), "missing (or out of order): {n:?}\n{serial}");
    }
}

#[test]
fn init_starts_runs_a_command_and_powers_off() {
    // The command .ci/setup boots: the README and the book's setup page show its output.
    let r = run("echo hello from the mini-kernel");
    assert_eq!(r.outcome, Outcome::Exited(0));
    assert_in_order(
        &r.serial,
        &[
            "init: started as pid 1",
            "hello from the mini-kernel",
            "init: echo exited with status 0",
            "kernel: power off, status 0",
        ],
    );
    transcripts::check("boot-echo", &r.serial);
    transcripts::check_markdown(&runner::repo_root().join("README.md"), "boot-echo", &r.serial);
}

#[test]
fn exit_status_reaches_qemu() {
    let r = run("nosuch-program");
    assert_in_order(
        &r.serial,
        &["init: cannot run nosuch-program: ENOENT", "exited with status 127"],
    );
    assert_eq!(
        r.outcome,
        Outcome::Exited(125),
        "127 is clamped to 125: 126 and 127 mean killed and panic"
    );
}

#[test]
fn user_fault_kills_only_that_process() {
    let r = run("fault");
    assert_in_order(
        &r.serial,
        &[
            "fault: writing to address 0",
            "fault[3]: segfault at 0 ip ",
            "init: fault was killed by signal 11",
        ],
    );
    assert!(!r.serial.contains("still alive"), "the faulting instruction was skipped");
    assert!(!r.serial.contains("panic"));
    assert_eq!(r.outcome, Outcome::Exited(126), "init survives and reports the kill");
}

#[test]
fn bad_system_calls_get_enosys_and_efault() {
    let r = run("syscalls");
    for check in [
        "unknown system call 9999: -38 (ENOSYS)",
        "write from address 0: -14 (EFAULT)",
        "write from the kernel image: -14 (EFAULT)",
        "write from the direct map: -14 (EFAULT)",
        "write that wraps around: -14 (EFAULT)",
        "mmap over the program's own code: -17 (EEXIST)",
        "mmap of a length that wraps: -22 (EINVAL)",
        "munmap of nothing: -22 (EINVAL)",
    ] {
        assert!(r.serial.contains(&format!("{check} as expected")), "{check}\n{}", r.serial);
    }
    assert_in_order(&r.serial, &["syscalls: 17 checks, 0 wrong"]);
    assert_eq!(r.outcome, Outcome::Exited(0));
    transcripts::check("boot-syscalls", &runner::session("cargo boot -- syscalls", &r));
}

#[test]
fn a_hang_is_cut_off_by_the_timeout() {
    // With no command, init runs the shell, which waits for input forever.
    // The timeout must still leave the boot time to reach init on a busy
    // machine: under -icount that takes about 1.4 s when the host is idle.
    let opts = BootOptions {
        cmdline: String::new(),
        timeout: std::time::Duration::from_secs(8).mul_f64(runner::timeout_scale()),
        ..Default::default()
    };
    let r = boot(kernel(), &opts).unwrap();
    assert_eq!(r.outcome, Outcome::TimedOut);
    assert!(r.serial.contains("init: started as pid 1"));
}
