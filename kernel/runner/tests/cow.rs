//! Copy-on-write, end to end in QEMU: the kernel booted with `cow=on` runs
//! the `cow` user program, whose modes check themselves, and the lifecycle
//! demos, which must print exactly what they print with the eager copy.

use runner::{BootOptions, BuildOptions, Outcome, Run, boot, build};
use std::path::PathBuf;
use std::sync::OnceLock;

fn kernel() -> &'static PathBuf {
    static KERNEL: OnceLock<PathBuf> = OnceLock::new();
    KERNEL.get_or_init(|| build(&BuildOptions::default()).unwrap_or_else(|e| panic!("{e}")))
}

fn run_cow(command: &str, memory_mib: u32) -> Run {
    let opts =
        BootOptions { cmdline: format!("cow=on -- {command}"), memory_mib, ..Default::default() };
    let run = boot(kernel(), &opts).expect("QEMU did not start");
    assert!(
        run.serial.contains("fork copies on write"),
        "the kernel did not take cow=on:\n{}",
        run.serial
    );
    assert_eq!(
        run.outcome,
        Outcome::Exited(0),
        "`{command}` under copy-on-write did not end cleanly:\n{}",
        run.serial
    );
    run
}

fn has(run: &Run, line: &str) {
    assert!(run.serial.lines().any(|l| l == line), "missing line {line:?} in:\n{}", run.serial);
}

#[test]
fn parent_and_child_writes_stay_apart_and_kernel_writes_copy_first() {
    let r = run_cow("cow isolate", 256);
    insta::assert_snapshot!(runner::transcript(&r));
    transcripts::check("boot-cow-isolate", &runner::session("cargo boot --cow -- cow isolate", &r));
}

#[test]
fn a_thousand_fork_exit_cycles_leak_no_frame() {
    let run = run_cow("cow leak 1000", 256);
    has(&run, "cow: 1000 fork/exit cycles; free frames before and after match");
}

#[test]
fn a_fault_storm_copies_each_page_once() {
    insta::assert_snapshot!(runner::transcript(&run_cow("cow storm", 256)));
}

#[test]
fn running_out_of_memory_in_a_copy_kills_only_that_process() {
    let run = run_cow("cow oom", 64);
    assert!(
        run.serial.contains("]: out of memory copying page"),
        "the kernel did not report the failed copy:\n{}",
        run.serial
    );
    assert!(
        run.serial.contains("shared pages ended with SIGKILL"),
        "the child was not killed:\n{}",
        run.serial
    );
    has(&run, "cow: the parent rewrote all its pages with 0 copies");
}

#[test]
fn a_write_to_shared_code_is_still_a_segfault() {
    let run = run_cow("cow readonly", 256);
    assert!(run.serial.contains("]: segfault at "), "no segfault reported:\n{}", run.serial);
    has(&run, "cow: the child that wrote to its code ended with SIGSEGV");
}

/// The snapshot body of one of the lifecycle scenarios (tests/scenarios.rs).
fn snapshot(name: &str) -> String {
    let path = format!("{}/tests/snapshots/scenarios__{name}.snap", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    runner::snapshot_body(&text).unwrap_or_else(|| panic!("{path}: not a snapshot")).to_string()
}

#[test]
fn the_lifecycle_demos_cannot_tell_copy_on_write_from_a_copy() {
    for (command, name) in [
        ("forkexec", "fork_then_exec_the_worked_example"),
        ("family", "pstree_and_ps_show_the_live_tree"),
        ("zombie", "a_zombie_stays_until_its_parent_waits"),
        ("orphan", "an_orphan_is_adopted_and_reaped_by_init"),
        ("forkbomb", "a_fork_bomb_hits_eagain_and_everyone_is_reaped"),
        ("badexec", "exec_of_a_bad_file_fails_and_the_caller_goes_on"),
    ] {
        // Copy-on-write runs fewer instructions in fork: CPU times may differ.
        let got = runner::mask_times(&runner::transcript(&run_cow(command, 256)));
        assert_eq!(
            got.trim_end(),
            runner::mask_times(&snapshot(name)).trim_end(),
            "`{command}` prints differently under copy-on-write"
        );
    }
}
