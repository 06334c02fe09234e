//! The course's own programs, run as the book shows them.
//!
//! "What passing looks like", for every exercise and lab: the book shows the
//! test run of the reference solution, which runs the very tests a student's
//! code must pass. Each such test here runs `cargo test` on one solution the
//! way a student runs it on their exercise, and checks the book's transcript.
//! libtest runs tests on several threads and prints each as it finishes, so
//! the order of the `test ... ok` lines and the time at the end vary: they
//! are masked. The counts are not.
//!
//! The labs' programs print pids, which change on every run: those are
//! masked too. The fork-cost benchmark is recorded by its own `--record`
//! run; here a quick run checks that the recording has its shape.

use std::process::Command;
use std::sync::Mutex;

/// One cargo at a time: they share the build directory's lock anyway, and
/// the lab tests spin CPUs that the others would compete for.
static CARGO: Mutex<()> = Mutex::new(());

/// Runs cargo with `args`; returns what the program or tests printed on
/// standard output, and on standard error (cargo's own lines left out).
fn cargo(args: &[&str]) -> (String, String) {
    let _one_at_a_time = CARGO.lock().unwrap_or_else(|e| e.into_inner());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(args)
        .current_dir(transcripts::dir())
        .output()
        .expect("cannot run cargo");
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "cargo {} failed:\n{stdout}{stderr}", args.join(" "));
    (stdout.into_owned(), stderr.into_owned())
}

/// `cargo test -p PACKAGE --test TEST [-- ARGS]`: the test binary's output.
fn cargo_test(package: &str, test: &str, args: &[&str]) -> String {
    let mut all = vec!["test", "-p", package, "--test", test, "--"];
    all.extend(args);
    cargo(&all).0
}

/// The test lines in any order, and any duration.
fn mask(text: &str) -> String {
    let timeless: String = text
        .lines()
        .map(|l| match l.find("; finished in ") {
            Some(at) => format!("{}; finished in #s\n", &l[..at]),
            None => format!("{l}\n"),
        })
        .collect();
    transcripts::sort_lines(&timeless)
}

/// Runs the solution's tests and checks transcript `pass-EXERCISE`, shown
/// in the book as `cargo test -p EXERCISE --test TEST`.
fn passing(exercise: &str, test: &str) {
    let out = cargo_test(&format!("{exercise}-solution"), test, &[]);
    assert!(out.contains("test result: ok."), "{out}");
    let shown = format!("$ cargo test -p {exercise} --test {test}\n{out}");
    transcripts::check_masked(&format!("pass-{exercise}"), &shown, mask);
}

#[test]
fn fork() {
    passing("fork", "fork");
}

#[test]
fn fork_one_test() {
    let out = cargo_test("fork-solution", "fork", &["child_sees_zero"]);
    let shown = format!("$ cargo test -p fork --test fork -- child_sees_zero\n{out}");
    transcripts::check_masked("pass-fork-one", &shown, mask);
}

#[test]
fn exec() {
    passing("exec", "exec");
}

#[test]
fn wait() {
    passing("wait", "wait");
}

#[test]
fn switch() {
    passing("switch", "switch");
}

#[test]
fn cow() {
    passing("cow", "cow");
}

#[test]
fn linux_fork_exec() {
    passing("linux-fork-exec", "fork_exec");
}

#[test]
fn linux_pstree() {
    passing("linux-pstree", "pstree");
}

#[test]
fn linux_states() {
    passing("linux-states", "states");
}

#[test]
fn linux_orphans() {
    passing("linux-orphans", "orphans");
}

#[test]
fn linux_threads() {
    passing("linux-threads", "threads");
}

#[test]
fn clone() {
    passing("clone", "clone");
}

#[test]
fn linux_clone() {
    passing("linux-clone", "clone");
}

#[test]
fn typestate() {
    passing("typestate", "typestate");
}

/// Pids in any order: the parent's line may come first, second or last.
fn pids_masked(text: &str) -> String {
    transcripts::sort_lines(&transcripts::mask_numbers(text))
}

#[test]
fn the_fork_exec_lab_program() {
    let (out, err) = cargo(&["run", "-q", "-p", "linux-fork-exec-solution"]);
    let shown = format!("$ cargo run -q -p linux-fork-exec-solution\n{out}{err}");
    transcripts::check_masked("run-linux-fork-exec", &shown, pids_masked);
}

#[test]
fn the_orphans_lab_program() {
    let (out, err) = cargo(&["run", "-q", "-p", "linux-orphans-solution"]);
    let shown = format!("$ cargo run -q -p linux-orphans-solution\n{out}{err}");
    // Pid 1 is whatever this machine runs as init (systemd, a container's
    // first process, ...): its name is masked with the pids.
    transcripts::check_masked("run-linux-orphans", &shown, |t| {
        let t = transcripts::mask_numbers(t);
        match t.find("its parent is now # (") {
            Some(at) => {
                let name_end = t[at..].find(')').map_or(t.len(), |n| at + n);
                format!("{}its parent is now # (…{}", &t[..at], &t[name_end..])
            }
            None => t,
        }
    });
}

#[test]
fn the_clone_lab_program() {
    let (out, err) = cargo(&["run", "-q", "-p", "linux-clone-solution"]);
    let shown = format!("$ cargo run -q -p linux-clone-solution\n{out}{err}");
    assert!(shown.contains("its write reached our memory: yes"), "{shown}");
    transcripts::check_masked("run-linux-clone", &shown, transcripts::mask_numbers);
}

#[test]
fn the_fork_cost_recording_has_the_benchmarks_shape() {
    let bin = ["run", "-q", "-p", "linux-fork-exec-solution", "--bin", "fork-cost", "--"];
    let (out, _) = cargo(&[&bin[..], &["--quick"]].concat());
    transcripts::check_recorded(
        "fork-cost",
        &out,
        |t| {
            // The first line names this machine's kernel release.
            let t = match (t.find("kernel "), t.find(", ")) {
                (Some(a), Some(b)) if a < b => format!("{}kernel #{}", &t[..a], &t[b..]),
                _ => t.to_string(),
            };
            transcripts::mask_numbers(&t)
        },
        "cargo run --release -p linux-fork-exec-solution --bin fork-cost -- --record",
    );
}
