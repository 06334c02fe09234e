//! The grader against submissions that hang, crash, flood, forge, cheat or
//! do not compile (tests/hostile), graded as one class, next to an honest
//! submission that must get full marks for its piece.

mod support;

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use support::{copy_dir, honest, piece, repo, student};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("grader-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The fixtures, plus what is better copied than duplicated: the stub under
/// the edited tests, and an honest student with the reference linux-threads.
fn class() -> PathBuf {
    let dir = scratch("class");
    let repo = repo();
    for entry in std::fs::read_dir(repo.join("grader/tests/hostile"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
    {
        copy_dir(&entry.path(), &dir.join(entry.file_name()));
    }
    copy_dir(
        &repo.join("exercises/linux-threads/src"),
        &dir.join("edits-tests/exercises/linux-threads/src"),
    );
    honest(&dir.join("honest"));
    dir
}

/// Runs the grader; returns its exit code, its JSON report and its terminal output.
fn grade(args: &[&str]) -> (i32, Value, String) {
    support::grade(Command::new(env!("CARGO_BIN_EXE_grader")), args)
}

/// A piece's points and the most it could score, summed over its items.
fn score(sub: &Value, name: &str) -> (u64, u64) {
    let items = piece(sub, name)["items"].as_array().unwrap().clone();
    let sum = |key: &str| items.iter().map(|i| i[key].as_u64().unwrap()).sum();
    (sum("points"), sum("max"))
}

/// Every item of `piece` failed, and each failure's detail says `words`.
fn fails_with(sub: &Value, name: &str, kind: &str, words: &str) {
    let p = piece(sub, name);
    let items: Vec<&Value> =
        p["items"].as_array().unwrap().iter().filter(|i| i["kind"] == kind).collect();
    assert!(!items.is_empty(), "{}: no {kind} items in {name}", sub["student"]);
    for i in items {
        assert_eq!(i["passed"], false, "{} {name} {}", sub["student"], i["name"]);
        let detail = i["detail"].as_str().unwrap();
        // The piece's note holds what the detail only names, such as the
        // compiler's errors: a failure here must show why.
        assert!(
            detail.contains(words),
            "{} {name} {}: want {words:?} in:\n{detail}\nnote: {}",
            sub["student"],
            i["name"],
            p["note"]
        );
    }
}

/// Every item of `piece` failed without running, and its note names each of
/// `reasons` among the rejections.
fn refused(sub: &Value, name: &str, reasons: &[&str]) {
    fails_with(sub, name, "test", "not run: the piece was refused before it was built");
    let note = piece(sub, name)["note"].as_str().unwrap_or_default();
    for reason in reasons {
        assert!(
            note.contains(reason),
            "{} {name}: want {reason:?} in the note:\n{note}",
            sub["student"]
        );
    }
}

#[test]
fn hostile_submissions_score_nothing_and_say_why() {
    let dir = class();
    let csv = dir.join("grades.csv");
    // An explicit scale skips calibration and keeps the hangs short. Not
    // shorter than the base limits: a flood must reach its cap in time on a
    // busy machine, and a kernel prints slowly under emulation.
    let (code, report, stderr) = grade(&[
        "--class",
        dir.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
        "--timeout-scale",
        "1",
    ]);
    assert_eq!(code, 1, "not a full score, and no grader error:\n{stderr}");

    let subs = report["submissions"].as_array().unwrap();
    assert_eq!(subs.len(), 14, "thirteen hostile students and an honest one");
    for sub in subs {
        for p in sub["pieces"].as_array().unwrap() {
            let honest_piece = sub["student"] == "honest" && p["piece"] == "linux-threads";
            let want = if honest_piece {
                p["items"].as_array().unwrap().iter().map(|i| i["max"].as_u64().unwrap()).sum()
            } else {
                0
            };
            assert_eq!(
                p["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["points"].as_u64().unwrap())
                    .sum::<u64>(),
                want,
                "{} {}",
                sub["student"],
                p["piece"]
            );
        }
        assert!(sub["errors"].as_array().unwrap().is_empty(), "{}", sub["errors"]);
    }
    assert!(student(&report, "honest")["points"].as_u64().unwrap() > 0);

    let s = |n| student(&report, n);
    fails_with(s("loops"), "fork", "test", "timed out after 10 s");
    fails_with(s("loops"), "fork", "scenario", "timed out after 15 s");
    fails_with(s("panics"), "fork", "test", "panicked at");
    fails_with(s("panics"), "fork", "test", "hostile: ");
    fails_with(s("panics"), "fork", "scenario", "the kernel panicked: panicked at");
    refused(s("triple-fault"), "fork", &["src/lib.rs:12: unsafe code", "inline assembly"]);
    fails_with(s("triple-fault"), "fork", "scenario", "refused");
    refused(s("forges-pass"), "fork", &["inline assembly"]);
    refused(
        s("forges-report"),
        "fork",
        &["extern (only `extern crate alloc;` is allowed)", "uses the standard library"],
    );
    refused(
        s("escapes-switch"),
        "switch",
        &["instruction `syscall` is not allowed", "unsafe code outside switch_to and init_stack"],
    );
    refused(s("writes-libc"), "exec", &["extern (only"]);
    for (student, lab, how) in [
        ("writes-libc", "linux-fork-exec", "exited with status 0 instead of answering"),
        ("forges-lab-report", "linux-states", "exited with status 0 instead of answering"),
        ("kills-parent", "linux-threads", "the test process was killed by SIGKILL"),
    ] {
        fails_with(s(student), lab, "test", "forged test output");
        fails_with(s(student), lab, "test", how);
    }
    // The sandbox keeps the grading tree and the build directories
    // read-only, so clobbers-tree wrote nothing (the next test grades it
    // without the sandbox), and nobody's grading needed undoing.
    fails_with(s("clobbers-tree"), "linux-threads", "test", "");
    for sub in subs {
        assert_eq!(sub["warnings"], serde_json::json!([]), "{}", sub["student"]);
    }
    fails_with(s("floods"), "fork", "test", "output flood");
    fails_with(s("floods"), "fork", "scenario", "output flood");
    fails_with(s("edits-tests"), "linux-threads", "test", "not yet implemented");
    assert_eq!(
        score(s("edits-tests"), "linux-threads").1,
        score(s("honest"), "linux-threads").1,
        "the student's rubric was used"
    );
    fails_with(s("no-compile"), "linux-pstree", "test", "does not compile");
    let note = piece(s("no-compile"), "linux-pstree")["note"].as_str().unwrap();
    assert!(note.contains("does not compile") && note.contains("mismatched types"), "{note}");

    let csv = std::fs::read_to_string(csv).unwrap();
    assert!(csv.starts_with("student,clone,cow,exec,fork,"), "{csv}");
    assert!(csv.lines().any(|l| l.starts_with("loops,0,0,0,") && l.ends_with(",0.0")), "{csv}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Without the sandbox, lab code can write into the grading tree and the
/// build directories; the grader must notice, and undo it before the next
/// student, who is graded as if nothing happened.
#[test]
fn without_the_sandbox_what_lab_code_writes_is_undone() {
    let dir = scratch("unsandboxed");
    copy_dir(&repo().join("grader/tests/hostile/clobbers-tree"), &dir.join("clobbers-tree"));
    honest(&dir.join("honest"));
    let (code, report, stderr) = grade(&[
        "--class",
        dir.to_str().unwrap(),
        "--csv",
        dir.join("grades.csv").to_str().unwrap(),
        "--piece",
        "linux-threads",
        "--no-sandbox",
    ]);
    assert_eq!(code, 1, "clobbers-tree scores nothing, and no grader error:\n{stderr}");
    let clobbers = student(&report, "clobbers-tree");
    fails_with(clobbers, "linux-threads", "test", "");
    let warnings = &clobbers["warnings"];
    assert!(
        warnings[0]
            .as_str()
            .unwrap_or_default()
            .contains("lab code wrote into the grader's own directories"),
        "{warnings}"
    );
    // Whatever it wrote, its own tests ran the pristine binaries, and the
    // student after it is graded from a clean tree.
    let honest = student(&report, "honest");
    let (points, max) = score(honest, "linux-threads");
    assert!(points == max && max > 0, "honest scored {points}/{max}:\n{stderr}");
    assert_eq!(honest["warnings"], serde_json::json!([]));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn grading_the_same_submission_again_gives_the_same_score() {
    let dir = scratch("again");
    honest(&dir.join("honest"));
    let student = dir.join("honest");
    let scores: Vec<Value> = (0..3)
        .map(|_| {
            let (code, report, stderr) = grade(&[
                "--student",
                student.to_str().unwrap(),
                "--piece",
                "linux-threads",
                "--piece",
                "linux-pstree",
            ]);
            assert_eq!(code, 1, "linux-pstree is the stub:\n{stderr}");
            let pieces = report["submissions"][0]["pieces"].as_array().unwrap();
            pieces
                .iter()
                .map(|p| {
                    p["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|i| i["points"].clone())
                        .collect::<Vec<_>>()
                })
                .collect()
        })
        .collect();
    assert!(scores.iter().all(|s| *s == scores[0]), "{scores:?}");
    assert_ne!(scores[0], Value::Array(vec![]));
    std::fs::remove_dir_all(dir).unwrap();
}
