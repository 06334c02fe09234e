//! The process lifecycle, end to end in QEMU: each scenario boots the kernel
//! with one user program and compares the serial output with a snapshot in
//! tests/snapshots. Pids are deterministic; CPU times are redacted.
//! After an intended change, review new snapshots with `cargo insta review`.

use runner::{BootOptions, BuildOptions, Outcome, Run, boot, build, transcript};
use std::path::PathBuf;
use std::sync::OnceLock;

fn kernel() -> &'static PathBuf {
    static KERNEL: OnceLock<PathBuf> = OnceLock::new();
    KERNEL.get_or_init(|| build(&BuildOptions::default()).unwrap_or_else(|e| panic!("{e}")))
}

fn run(command: &str) -> Run {
    let run = boot(kernel(), &BootOptions::command(command)).expect("QEMU did not start");
    assert_eq!(run.outcome, Outcome::Exited(0), "`{command}` did not end cleanly:\n{}", run.serial);
    run
}

#[test]
fn fork_then_exec_the_worked_example() {
    insta::assert_snapshot!(transcript(&run("forkexec")));
}

#[test]
fn pstree_and_ps_show_the_live_tree() {
    insta::assert_snapshot!(transcript(&run("family")));
}

#[test]
fn a_zombie_stays_until_its_parent_waits() {
    insta::assert_snapshot!(transcript(&run("zombie")));
}

#[test]
fn an_orphan_is_adopted_and_reaped_by_init() {
    insta::assert_snapshot!(transcript(&run("orphan")));
}

#[test]
fn a_fork_bomb_hits_eagain_and_everyone_is_reaped() {
    insta::assert_snapshot!(transcript(&run("forkbomb")));
}

#[test]
fn exec_of_a_bad_file_fails_and_the_caller_goes_on() {
    insta::assert_snapshot!(transcript(&run("badexec")));
}

#[test]
fn cpu_bound_tasks_share_the_cpu_and_idle_runs_when_all_sleep() {
    let r = run("preempt");
    let at = |needle: &str| {
        r.serial.find(needle).unwrap_or_else(|| panic!("missing {needle:?}\n{}", r.serial))
    };
    // Without preemption, the first child would finish before the second started.
    let first_done = at("preempt: A 4/4").min(at("preempt: B 4/4"));
    assert!(
        at("preempt: A 1/4") < first_done && at("preempt: B 1/4") < first_done,
        "no interleaving:\n{}",
        r.serial
    );
    assert!(r.serial.contains("ticks while everyone slept"));
}
