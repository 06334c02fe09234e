//! Three children, three states, as /proc reports them.

mod support;

use std::io::ErrorKind;

use linux_states::{State, spawn_sleeper, spawn_spinner, spawn_zombie, state};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::Pid;
use support::{Cleanup, eventually, state_letter};

#[test]
fn letters_name_states() {
    let table = [
        ('R', State::Running),
        ('S', State::Sleeping),
        ('D', State::DiskSleep),
        ('T', State::Stopped),
        ('t', State::TracingStop),
        ('Z', State::Zombie),
        ('X', State::Dead),
        ('I', State::Idle),
    ];
    for (letter, expected) in table {
        assert_eq!(State::from_letter(letter), Some(expected), "letter {letter:?}");
    }
    for letter in ['r', 'W', '?', ' '] {
        assert_eq!(State::from_letter(letter), None, "letter {letter:?}");
    }
}

/// Waits until both `state` and /proc/PID/status agree on `want`.
fn wait_for(pid: Pid, want: State, letter: char) {
    let what = format!("{pid} to be {want:?}");
    eventually(&what, || {
        let ours = state(pid).ok()?;
        (ours == want && state_letter(pid)? == letter).then_some(())
    });
}

#[test]
fn sleeper_is_sleeping() {
    let pid = spawn_sleeper().expect("spawn_sleeper");
    let _cleanup = Cleanup(vec![pid]);
    wait_for(pid, State::Sleeping, 'S');
}

#[test]
fn spinner_is_running() {
    let pid = spawn_spinner().expect("spawn_spinner");
    let _cleanup = Cleanup(vec![pid]);
    wait_for(pid, State::Running, 'R');
    // Waiting for a CPU counts as R too, so it stays R however busy we are.
    for _ in 0..20 {
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(state(pid).expect("state"), State::Running, "a spinner never sleeps");
    }
}

#[test]
fn zombie_stays_until_reaped() {
    let pid = spawn_zombie().expect("spawn_zombie");
    let mut cleanup = Cleanup(vec![pid]);
    wait_for(pid, State::Zombie, 'Z');
    // Still there a while later: nobody but us can collect it.
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(state(pid).expect("state"), State::Zombie);

    assert_eq!(waitpid(pid, None), Ok(WaitStatus::Exited(pid, 0)), "reaping the zombie");
    cleanup.reaped(pid);
    let gone = eventually("the reaped zombie to leave /proc", || state(pid).err());
    assert_eq!(gone.kind(), ErrorKind::NotFound, "{gone}");
}
