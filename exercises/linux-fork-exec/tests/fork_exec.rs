//! The pids in the transcript must be related the way fork says they are.
//! Actual numbers differ on every run, so only relations are checked.

use std::io::Read;
use std::os::fd::AsFd;

use linux_fork_exec::{Outcome, fork_exec, spawn_echo};
use nix::sys::wait::WaitStatus;
use nix::unistd::{Pid, getpid};

/// The three lines of a run, as pids.
#[derive(Debug)]
struct Transcript {
    parent: (i32, i32), // parent: pid=P, child pid=C
    child: (i32, i32),  // child: pid=C, parent pid=P
    hello: i32,         // hello from pid=C
}

/// Runs `f` with the write end of a pipe and returns everything written.
fn capture(f: fn(std::os::fd::BorrowedFd<'_>) -> nix::Result<Outcome>) -> (Outcome, String) {
    let (mut reader, writer) = std::io::pipe().expect("pipe");
    let outcome = f(writer.as_fd()).expect("the lab function failed");
    // Our copy of the write end must go, or the read below never sees EOF.
    drop(writer);
    let mut text = String::new();
    reader.read_to_string(&mut text).expect("read the transcript");
    (outcome, text)
}

fn number_after(line: &str, key: &str) -> i32 {
    let start = line.find(key).unwrap_or_else(|| panic!("no `{key}` in {line:?}")) + key.len();
    let digits: String = line[start..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or_else(|_| panic!("no number after `{key}` in {line:?}"))
}

fn parse(text: &str) -> Transcript {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "expected exactly three lines, got:\n{text}");
    let find = |prefix: &str| {
        let found: Vec<usize> = (0..3).filter(|&i| lines[i].starts_with(prefix)).collect();
        assert_eq!(found.len(), 1, "expected one line starting with {prefix:?} in:\n{text}");
        found[0]
    };
    let (p, c, h) = (find("parent: "), find("child: "), find("hello from pid="));
    // The parent's line may land anywhere, but the child speaks before it execs.
    assert!(c < h, "the child's line must come before echo's:\n{text}");
    Transcript {
        parent: (number_after(lines[p], "parent: pid="), number_after(lines[p], "child pid=")),
        child: (number_after(lines[c], "child: pid="), number_after(lines[c], "parent pid=")),
        hello: number_after(lines[h], "hello from pid="),
    }
}

fn check_relations(outcome: Outcome, text: &str) {
    let t = parse(text);
    let me = getpid().as_raw();
    let child = outcome.child.as_raw();
    assert_eq!(t.parent.0, me, "the parent is this test process:\n{text}");
    assert_eq!(t.parent.1, child, "the parent names the pid it got back:\n{text}");
    assert_eq!(t.child.0, child, "the child's getpid is that pid:\n{text}");
    assert_eq!(t.child.1, me, "the child's getppid is the parent:\n{text}");
    assert_eq!(t.hello, child, "exec keeps the pid:\n{text}");
    assert_ne!(child, me);
    assert_eq!(outcome.status, WaitStatus::Exited(Pid::from_raw(child), 0), "waitpid result");
}

#[test]
fn fork_exec_pids_are_related() {
    let (outcome, text) = capture(fork_exec);
    check_relations(outcome, &text);
}

#[test]
fn posix_spawn_pids_are_related() {
    let (outcome, text) = capture(spawn_echo);
    check_relations(outcome, &text);
}

#[test]
fn child_is_reaped() {
    let (outcome, _) = capture(fork_exec);
    // waitpid already collected it: asking again must find no such child.
    let again = nix::sys::wait::waitpid(outcome.child, None);
    assert_eq!(again, Err(nix::errno::Errno::ECHILD), "the child was not reaped");
}
