//! Threads in QEMU: each scenario boots the kernel with one user program
//! that makes threads (`threads`, `vfork`, `threadgroup`) and compares the
//! serial output with a snapshot in tests/snapshots; the book shows the same
//! boots from book/transcripts. The clone piece's rubric grades them.

use runner::{
    BootOptions, BuildOptions, Outcome, Run, boot, build, mask_times, session, transcript,
};
use std::path::PathBuf;
use std::sync::OnceLock;

fn kernel() -> &'static PathBuf {
    static KERNEL: OnceLock<PathBuf> = OnceLock::new();
    KERNEL.get_or_init(|| build(&BuildOptions::default()).unwrap_or_else(|e| panic!("{e}")))
}

fn run(cmdline: &str) -> Run {
    let opts = BootOptions { cmdline: cmdline.into(), ..Default::default() };
    let run = boot(kernel(), &opts).expect("QEMU did not start");
    assert_eq!(run.outcome, Outcome::Exited(0), "`{cmdline}` did not end cleanly:\n{}", run.serial);
    run
}

/// The book's transcript `name`: `cargo boot -- COMMAND` and all it printed.
fn book(name: &str, command: &str, run: &Run) {
    transcripts::check_masked(name, &session(&format!("cargo boot -- {command}"), run), mask_times);
}

fn has(run: &Run, line: &str) {
    assert!(run.serial.lines().any(|l| l.contains(line)), "missing {line:?} in:\n{}", run.serial);
}

#[test]
fn threads_share_one_counter_under_a_futex_lock() {
    let r = run("-- threads");
    insta::assert_snapshot!(transcript(&r));
    book("boot-threads", "threads", &r);
}

#[test]
fn threads_work_with_copy_on_write_too() {
    let r = run("cow=on -- threads");
    has(&r, "threads: joined 3 threads; counter = 600 (expected 600)");
}

#[test]
fn vfork_lends_the_parent_s_memory_until_the_child_execs() {
    let r = run("-- vfork");
    insta::assert_snapshot!(transcript(&r));
    book("boot-vfork", "vfork", &r);
}

#[test]
fn exit_group_from_a_thread_ends_every_thread() {
    let r = run("-- threadgroup exit-group");
    insta::assert_snapshot!(transcript(&r));
    book("boot-threadgroup-exit-group", "threadgroup exit-group", &r);
}

#[test]
fn a_segfault_in_one_thread_kills_the_whole_group() {
    // The segfault line names addresses in the program, which move with its
    // code: the test checks the lines that do not.
    let r = run("-- threadgroup segv");
    has(&r, "threadgroup: thread 6 writes to address 8");
    has(&r, "threadgroup[6]: segfault at 8 ip ");
    has(&r, "threadgroup: process 4 was killed by signal 11");
    let after = &r.serial[r.serial.find("what is left").expect("the last ps")..];
    assert!(!after.contains("    4     3"), "a thread of process 4 is left:\n{after}");
}

#[test]
fn exec_from_a_thread_keeps_one_task_with_the_process_s_pid() {
    let r = run("-- threadgroup exec");
    insta::assert_snapshot!(transcript(&r));
    book("boot-threadgroup-exec", "threadgroup exec", &r);
}

#[test]
fn a_leader_that_exits_first_is_reported_after_its_last_thread() {
    let r = run("-- threadgroup leader-first");
    insta::assert_snapshot!(transcript(&r));
    book("boot-threadgroup-leader-first", "threadgroup leader-first", &r);
}
