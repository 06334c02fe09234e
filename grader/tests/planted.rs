//! Bugs planted in the reference pieces that programs cannot see, and that
//! the kernel's event trace shows. Each mutant below is a solution with one
//! line changed, graded as a student's piece: its scenario's transcript must
//! still pass, and the property the rubric states over the trace must fail.

mod support;

use std::path::PathBuf;
use std::process::Command;
use support::{piece, repo, student};

struct Mutant {
    /// What the bug is, and the student's directory name.
    name: &'static str,
    piece: &'static str,
    /// The exact line of the solution, and what replaces it ("" deletes it).
    line: &'static str,
    replacement: &'static str,
    scenario: &'static str,
    property: &'static str,
}

const MUTANTS: [Mutant; 5] = [
    Mutant {
        name: "copy-keeps-the-old-frame",
        piece: "cow",
        line: "        mem.decref(frame);",
        replacement: "",
        scenario: "the_worked_example_runs_unchanged_with_copy_on_write",
        property: "no frame leaked over the run",
    },
    Mutant {
        name: "orphaned-zombies-wake-no-one",
        piece: "wait",
        line: "    if orphaned_zombies {",
        replacement: "    if false {",
        scenario: "an_orphaned_zombie_is_reaped_by_init_at_once",
        property: "every orphan was reaped by init within 1 tick(s)",
    },
    Mutant {
        name: "last-sharer-copies",
        piece: "cow",
        line: "    if mem.refcount(frame) == 1 {",
        replacement: "    if false {",
        scenario: "the_worked_example_runs_unchanged_with_copy_on_write",
        property: "a write fault copies a shared page and reuses an unshared one",
    },
    Mutant {
        name: "picked-task-not-running",
        piece: "switch",
        line: "                p.state = State::Running;",
        replacement: "",
        scenario: "cpu_bound_tasks_share_the_cpu_and_idle_runs_when_all_sleep",
        property: "the task on the CPU is the one task Running",
    },
    Mutant {
        name: "fork-copies-eagerly-under-cow",
        piece: "fork",
        line: "        Some(s) => Some(copy(mem, s)?),",
        replacement: "        Some(s) => Some(copy_space(mem, s)?),",
        scenario: "fork_then_exec_under_copy_on_write_copies_almost_nothing",
        property: "a fork followed by exec took fewer than 16 frames",
    },
];

/// A class with one student per mutant, each bringing the mutated solution
/// as their exercise.
fn class() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("grader-planted-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for m in &MUTANTS {
        let solution = repo().join("solutions").join(m.piece).join("src/lib.rs");
        let text = std::fs::read_to_string(solution).unwrap();
        let line = format!("{}\n", m.line);
        assert_eq!(text.matches(&line).count(), 1, "{}: the line to mutate is gone", m.name);
        let mutated =
            text.replacen(&line, &format!("{}\n", m.replacement), 1).replace("\n\n\n", "\n\n");
        let src = dir.join(m.name).join("exercises").join(m.piece).join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("lib.rs"), mutated).unwrap();
    }
    dir
}

#[test]
fn bugs_only_the_trace_shows_fail_their_trace_property() {
    let dir = class();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_grader"));
    cmd.args(["--class", dir.to_str().unwrap(), "--csv"]).arg(dir.join("grades.csv"));
    for p in ["wait", "cow", "switch", "fork"] {
        cmd.args(["--piece", p]);
    }
    let (_, report, stderr) = support::grade(cmd, &[]);
    for m in &MUTANTS {
        let sub = student(&report, m.name);
        assert!(sub["errors"].as_array().unwrap().is_empty(), "{}: {}", m.name, sub["errors"]);
        let items = piece(sub, m.piece)["items"].as_array().unwrap().clone();
        let item = items
            .iter()
            .find(|i| i["kind"] == "scenario" && i["name"] == m.scenario)
            .unwrap_or_else(|| panic!("{}: no scenario {}\n{stderr}", m.name, m.scenario));
        let detail = item["detail"].as_str().unwrap_or_default();
        let want = format!(
            "the transcript is right, but the kernel's event trace breaks a property: {}.",
            m.property
        );
        assert_eq!(item["passed"], false, "{}: the bug went unseen", m.name);
        assert!(detail.contains(&want), "{}: want {want:?} in:\n{detail}", m.name);
        let why = detail.lines().skip_while(|l| !l.contains(&want)).nth(1).unwrap_or_default();
        println!("planted: {} ({}): {why}", m.name, m.piece);
    }
    std::fs::remove_dir_all(dir).unwrap();
}
