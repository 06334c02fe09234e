//! The pids in the transcript must be related the way fork says they are.
//! Actual numbers differ on every run, so only relations are checked.
//!
//! Your functions run in a lab process (see the `contain` crate), which
//! calls them with a pipe and sends back what they returned and what came
//! through the pipe. The parent in the transcript is that lab process.

use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd};

use contain::Lab;
use linux_fork_exec::{Outcome, fork_exec, spawn_echo};
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;

/// The three lines of a run, as pids.
#[derive(Debug)]
struct Transcript {
    parent: (i32, i32), // parent: pid=P, child pid=C
    child: (i32, i32),  // child: pid=C, parent pid=P
    hello: i32,         // hello from pid=C
}

/// What one call gave, as plain data: the child's pid, what waitpid said
/// (its exit code, or the status in words), and the transcript.
type Run = (i32, Result<i32, String>, String);

/// In the lab process: runs `f` with the write end of a pipe and returns
/// everything written.
fn capture(f: fn(BorrowedFd<'_>) -> nix::Result<Outcome>) -> Result<Run, String> {
    let (mut reader, writer) = std::io::pipe().map_err(|e| e.to_string())?;
    let Outcome { child, status } = f(writer.as_fd()).map_err(|e| e.to_string())?;
    // Our copy of the write end must go, or the read below never sees EOF.
    drop(writer);
    let mut text = String::new();
    reader.read_to_string(&mut text).map_err(|e| e.to_string())?;
    let code = match status {
        WaitStatus::Exited(pid, code) if pid == child => Ok(code),
        other => Err(format!("{other:?}")),
    };
    Ok((child.as_raw(), code, text))
}

#[track_caller]
fn run(f: fn(()) -> Result<Run, String>) -> (Pid, Run) {
    let mut lab = Lab::new();
    let run = lab.call(f, ()).expect("the lab function failed");
    (lab.pid(), run)
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

fn check_relations(me: Pid, (child, code, text): Run) {
    let t = parse(&text);
    let me = me.as_raw();
    assert_eq!(t.parent.0, me, "the parent is the process that called the function:\n{text}");
    assert_eq!(t.parent.1, child, "the parent names the pid it got back:\n{text}");
    assert_eq!(t.child.0, child, "the child's getpid is that pid:\n{text}");
    assert_eq!(t.child.1, me, "the child's getppid is the parent:\n{text}");
    assert_eq!(t.hello, child, "exec keeps the pid:\n{text}");
    assert_ne!(child, me);
    assert_eq!(code, Ok(0), "waitpid reports that child, exited with status 0");
}

#[test]
fn fork_exec_pids_are_related() {
    let (me, run) = run(|()| capture(fork_exec));
    check_relations(me, run);
}

#[test]
fn posix_spawn_pids_are_related() {
    let (me, run) = run(|()| capture(spawn_echo));
    check_relations(me, run);
}

#[test]
fn child_is_reaped() {
    let mut lab = Lab::new();
    let (child, _, _) = lab.call(|()| capture(fork_exec), ()).expect("the lab function failed");
    // Unreaped, the child would still be the caller's child, as a zombie.
    let child = Pid::from_raw(child);
    assert!(!contain::children(lab.pid()).contains(&child), "the child was not reaped");
}
