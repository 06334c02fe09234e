//! Three children, three states, as /proc reports them.
//!
//! Your functions run in a lab process (see the `contain` crate): the test
//! asks it to call them and checks each answer against /proc itself. So the
//! children are the lab process's children, not this test's.

mod support;

use contain::Lab;
use linux_states::{State, parse_state, spawn_sleeper, spawn_spinner, spawn_zombie, state};
use nix::unistd::Pid;
use support::{Cleanup, HOSTILE_NAMES, comm, eventually, named_child, ppid, state_letter};

/// A state as its letter: no type of the lab crosses to the test process.
fn letter(s: State) -> char {
    match s {
        State::Running => 'R',
        State::Sleeping => 'S',
        State::DiskSleep => 'D',
        State::Stopped => 'T',
        State::TracingStop => 't',
        State::Zombie => 'Z',
        State::Dead => 'X',
        State::Idle => 'I',
    }
}

/// An error as its kind, `NotFound` or `InvalidData`: the clear result the
/// lab promises, which a test can compare.
fn kind(e: std::io::Error) -> String {
    format!("{:?}", e.kind())
}

/// In the lab process: `state(pid)`, as a letter or the error's kind.
fn their_state(pid: i32) -> Result<char, String> {
    state(Pid::from_raw(pid)).map(letter).map_err(kind)
}

/// In the lab process: starts the child that should end up in state `want`.
fn spawn(want: char) -> Result<i32, String> {
    let child = match want {
        'S' => spawn_sleeper(),
        'R' => spawn_spinner(),
        _ => spawn_zombie(),
    };
    child.map(Pid::as_raw).map_err(|e| e.to_string())
}

/// In the lab process: reaps `pid`, as (pid, exit code) if it exited.
fn reap(pid: i32) -> Result<Option<(i32, i32)>, String> {
    match nix::sys::wait::waitpid(Pid::from_raw(pid), None) {
        Ok(nix::sys::wait::WaitStatus::Exited(p, code)) => Ok(Some((p.as_raw(), code))),
        Ok(_) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn letters_name_states() {
    let letters = "RSDTtZXIrW? ";
    let answers: Vec<Option<char>> = contain::run(|| {
        "RSDTtZXIrW? ".chars().map(|c| State::from_letter(c).map(letter)).collect()
    });
    for (c, answer) in letters.chars().zip(answers) {
        let known = "RSDTtZXI".contains(c);
        assert_eq!(answer, known.then_some(c), "State::from_letter({c:?})");
    }
}

// ANCHOR: lab_process
/// Lines of /proc/PID/stat, and the state each must give: its letter, or
/// the kind of error.
const STAT_LINES: [(&str, Result<char, &str>); 8] = [
    ("42 (bash) S 1 42 42 0 -1 4194560", Ok('S')),
    ("42 (x) R (y) S 1 42 42 0 -1 4194560", Ok('S')),
    ("42 () Z () R 1 42 42 0 -1 4194560", Ok('R')),
    ("42 (trailing ) T 1 42 42 0 -1 4194560", Ok('T')),
    ("42 ((a) b (c))) t 1 42 42 0 -1 4194560", Ok('t')),
    ("42 (x) Q 1 42 42 0 -1 4194560", Err("InvalidData")),
    ("42 (x)", Err("InvalidData")),
    ("garbage", Err("InvalidData")),
];

#[test]
fn parse_state_reads_past_the_command_name() {
    let parsed: Vec<Result<char, String>> = contain::run(|| {
        STAT_LINES.iter().map(|(line, _)| parse_state(line).map(letter).map_err(kind)).collect()
    });
    for ((line, want), got) in STAT_LINES.iter().zip(parsed) {
        assert_eq!(got, want.map_err(str::to_string), "parse_state({line:?})");
    }
}

#[test]
fn state_is_not_fooled_by_hostile_names() {
    // Processes of this test, named to trip a parser: sleepers, and a zombie
    // whose name holds a fake state.
    let mut pids: Vec<Pid> = HOSTILE_NAMES.iter().map(|name| named_child(name, false)).collect();
    pids.push(named_child(c"x) R (y", true));
    let _cleanup = Cleanup(pids.clone());
    let mut lab = Lab::new();
    for pid in pids {
        let truth = eventually(&format!("{pid} to settle"), || {
            state_letter(pid).filter(|s| matches!(s, 'S' | 'Z'))
        });
        let name = comm(pid).unwrap_or_default();
        assert_eq!(lab.call(their_state, pid.as_raw()), Ok(truth), "{pid} is named {name:?}");
    }
}

/// Waits until both `state` and /proc/PID/status say `want`.
fn wait_for(lab: &mut Lab, pid: Pid, want: char) {
    eventually(&format!("{pid} to be {want}"), || {
        let theirs = lab.call(their_state, pid.as_raw());
        (theirs == Ok(want) && state_letter(pid) == Some(want)).then_some(())
    });
}

/// A lab process that has started the child for `want`, and that child,
/// once it is in that state.
fn start(want: char) -> (Lab, Pid) {
    let mut lab = Lab::new();
    let pid = Pid::from_raw(lab.call(spawn, want).expect("spawning the child"));
    assert_eq!(ppid(pid), Some(lab.pid()), "{pid} must be a child of the process that spawned it");
    wait_for(&mut lab, pid, want);
    (lab, pid)
}
// ANCHOR_END: lab_process

#[test]
fn sleeper_is_sleeping() {
    start('S');
}

#[test]
fn spinner_is_running() {
    let (mut lab, pid) = start('R');
    // Waiting for a CPU counts as R too, so it stays R however busy we are.
    for _ in 0..20 {
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(lab.call(their_state, pid.as_raw()), Ok('R'), "a spinner never sleeps");
    }
}

#[test]
fn zombie_stays_until_reaped() {
    let (mut lab, pid) = start('Z');
    // Still there a while later: nobody but its parent can collect it.
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(state_letter(pid), Some('Z'));
    assert_eq!(lab.call(their_state, pid.as_raw()), Ok('Z'));

    assert_eq!(lab.call(reap, pid.as_raw()), Ok(Some((pid.as_raw(), 0))), "reaping the zombie");
    eventually("the reaped zombie to leave /proc", || state_letter(pid).is_none().then_some(()));
    assert_eq!(lab.call(their_state, pid.as_raw()), Err("NotFound".into()));
}
