//! The process lifecycle, end to end in QEMU: each scenario boots the kernel
//! with one user program and compares the serial output with a snapshot in
//! tests/snapshots. QEMU counts instructions (`runner::ICOUNT`), so the
//! whole transcript is deterministic: pids, interleavings, and the times
//! `ps` prints (tests/determinism.rs boots some ten times to show it).
//! After an intended change, review new snapshots with `cargo insta review`.
//!
//! The book shows the same boots, from book/transcripts: each test checks
//! that file too (`TRANSCRIPTS=update` rewrites it), so one run keeps the
//! snapshots, the grader's expectations and the book in step.

use runner::{
    BootOptions, BuildOptions, Outcome, Run, boot, build, mask_times, session, transcript,
};
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

/// The book's transcript `name`: `cargo boot -- COMMAND` and all it printed.
fn book(name: &str, command: &str, run: &Run) {
    transcripts::check_masked(name, &session(&format!("cargo boot -- {command}"), run), mask_times);
}

#[test]
fn fork_then_exec_the_worked_example() {
    let r = run("forkexec");
    insta::assert_snapshot!(transcript(&r));
    book("boot-forkexec", "forkexec", &r);
}

#[test]
fn pstree_and_ps_show_the_live_tree() {
    let r = run("family");
    insta::assert_snapshot!(transcript(&r));
    book("boot-family", "family", &r);
}

#[test]
fn a_zombie_stays_until_its_parent_waits() {
    let r = run("zombie");
    insta::assert_snapshot!(transcript(&r));
    book("boot-zombie", "zombie", &r);
}

#[test]
fn an_orphan_is_adopted_and_reaped_by_init() {
    let r = run("orphan");
    insta::assert_snapshot!(transcript(&r));
    book("boot-orphan", "orphan", &r);
}

#[test]
fn a_fork_bomb_hits_eagain_and_everyone_is_reaped() {
    insta::assert_snapshot!(transcript(&run("forkbomb")));
}

#[test]
fn exec_of_a_bad_file_fails_and_the_caller_goes_on() {
    let r = run("badexec");
    insta::assert_snapshot!(transcript(&r));
    book("boot-badexec", "badexec", &r);
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
    // Where the timer preempted them is deterministic too, so it is pinned.
    insta::assert_snapshot!(transcript(&r));
    // The book's copy is compared as a set of lines with the numbers masked:
    // a change to the kernel moves the preemption points, not the lesson.
    transcripts::check_masked("boot-preempt", &session("cargo boot -- preempt", &r), |t| {
        transcripts::sort_lines(&transcripts::mask_numbers(t))
    });
}
