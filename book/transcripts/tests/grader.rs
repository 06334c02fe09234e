//! The grader's report, as the student guide shows it: `cargo grade` on a
//! checkout with two planted bugs, made here from the reference solutions:
//! a `copy_space` that leaks its half-built space when memory runs out, and
//! an `exit` that forgets to hand the dying task's children to init.
//!
//! Thread ids, the calibrated timeout scale and the timings vary from run to
//! run and are masked; points, test names, messages and diffs are not.

use std::path::Path;
use std::process::Command;

fn mask(report: &str) -> String {
    report
        .lines()
        .map(|l| {
            let varies = l.starts_with("timeout scale")
                || l.starts_with("time:")
                || (l.trim_start().starts_with("thread '") && l.contains(") panicked at"));
            if varies { transcripts::mask_numbers(l) + "\n" } else { format!("{l}\n") }
        })
        .collect()
}

/// Plants a bug: the reference `piece` with `from` replaced by `to`, as
/// the student's `exercises/PIECE/src/lib.rs` in `checkout`.
fn plant(checkout: &Path, piece: &str, from: &str, to: &str) {
    let reference = transcripts::dir().join(format!("../../solutions/{piece}/src/lib.rs"));
    let code = std::fs::read_to_string(&reference).expect("the reference solution");
    assert!(
        code.contains(from),
        "{}: the code to plant a bug in is gone:\n{from}",
        reference.display()
    );
    let src = checkout.join(format!("exercises/{piece}/src"));
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("lib.rs"), code.replacen(from, to, 1)).unwrap();
}

#[test]
fn a_report_with_a_failing_test_and_a_failing_scenario() {
    let fixture = std::env::temp_dir().join(format!("book-student-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&fixture);
    plant(
        &fixture,
        "fork",
        "        let Some(frame) = mem.alloc() else {\n            child.destroy(mem);\n",
        "        let Some(frame) = mem.alloc() else {\n",
    );
    plant(&fixture, "wait", "        child.ppid = INIT;\n", "");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["run", "-q", "-p", "grader", "--", "--student"])
        .arg(&fixture)
        .args(["--piece", "fork", "--piece", "wait"])
        .current_dir(transcripts::dir())
        .output()
        .expect("cannot run cargo grade");
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "points were lost, so cargo grade must exit 1:\n{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&fixture).unwrap();
    let shown = format!("$ cargo grade --piece fork --piece wait\n{report}");
    transcripts::check_masked("grade-report", &shown, mask);
}
