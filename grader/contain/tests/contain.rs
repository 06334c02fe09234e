//! The lab process answers, fails in words, and takes its processes with it.

use contain::{Failure, Lab};
use nix::sys::prctl;
use nix::unistd::{ForkResult, Pid, fork, getpid, getppid, pause};

fn status_field(pid: Pid, key: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.split(':').next() == Some(key))?;
    Some(line[key.len() + 1..].trim().to_string())
}

fn ids(_: ()) -> (i32, i32) {
    (getpid().as_raw(), getppid().as_raw())
}

#[test]
fn a_call_runs_in_a_child_of_the_judge_and_answers() {
    let mut lab = Lab::new();
    let (pid, ppid) = lab.call(ids, ());
    assert_eq!(pid, lab.pid().as_raw());
    assert_eq!(ppid, getpid().as_raw());
    assert_ne!(pid, getpid().as_raw());
    assert_eq!(lab.call(|n: u32| n * 2, 21), 42, "the same process answers again");
    assert_eq!(contain::run(|| "pure".to_string()), "pure");
}

#[test]
fn the_judge_cannot_be_traced_and_the_lab_has_no_capabilities() {
    let mut lab = Lab::new();
    let _ = lab.call(ids, ());
    assert_eq!(prctl::get_dumpable(), Ok(false));
    let none = Some("0000000000000000".to_string());
    assert_eq!(status_field(lab.pid(), "CapEff"), none);
    assert_eq!(status_field(lab.pid(), "CapPrm"), none);
    assert_eq!(status_field(lab.pid(), "NoNewPrivs").as_deref(), Some("1"));
    let reach = lab.call(
        |()| {
            let judge = getppid();
            let mem = std::fs::OpenOptions::new().write(true).open(format!("/proc/{judge}/mem"));
            let out = std::fs::OpenOptions::new().write(true).open(format!("/proc/{judge}/fd/1"));
            (
                mem.map_err(|e| e.kind().to_string()).err(),
                out.map_err(|e| e.kind().to_string()).err(),
            )
        },
        (),
    );
    assert!(reach.0.is_some() && reach.1.is_some(), "the lab reached into the judge: {reach:?}");
    // Only a privileged judge can empty the bounding set (and needs to).
    if status_field(getpid(), "CapEff") != none {
        assert_eq!(status_field(lab.pid(), "CapBnd"), none);
    }
}

#[test]
fn a_panic_comes_back_with_its_message_and_place() {
    let mut lab = Lab::new();
    let failed = lab.try_call(|()| -> u8 { panic!("not like this") }, ());
    let Err(Failure::Panicked(text)) = failed else { panic!("{failed:?}") };
    assert!(text.contains("not like this") && text.contains("contain.rs:"), "{text}");
    assert_eq!(lab.call(|n: u8| n + 1, 1), 2, "the lab process survives a panic");
}

#[test]
fn lab_code_that_exits_fails_the_call_whatever_it_printed() {
    let mut lab = Lab::new();
    let failed = lab.try_call(
        |()| -> u8 {
            println!("test a_test ... ok\n\ntest result: ok. 1 passed; 0 failed");
            std::process::exit(0)
        },
        (),
    );
    let Err(Failure::Ended(why)) = failed else { panic!("{failed:?}") };
    assert!(why.contains("exited with status 0 instead of answering"), "{why}");
    let failed = lab.try_call(|n: u8| n, 1);
    assert!(matches!(failed, Err(Failure::Ended(_))), "a lab process that is gone answers no more");
}

#[test]
fn a_report_holds_the_call_until_the_judge_has_looked() {
    let mut lab = Lab::new();
    lab.start(
        |()| {
            let tid = std::thread::scope(|s| {
                let (tx, rx) = std::sync::mpsc::channel();
                let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
                s.spawn(move || {
                    tx.send(nix::unistd::gettid().as_raw()).unwrap();
                    let _ = go_rx.recv();
                });
                let tid = rx.recv().unwrap();
                contain::report(&tid);
                drop(go_tx);
                tid
            });
            tid + 1
        },
        (),
    )
    .unwrap();
    let tid: i32 = lab.report();
    let task = format!("/proc/{}/task/{tid}", lab.pid());
    assert!(std::path::Path::new(&task).exists(), "the thread lives while the judge looks");
    assert_eq!(lab.finish::<i32>(), tid + 1);
}

fn sleeper(_: ()) -> i32 {
    // SAFETY: the child only calls pause.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => loop {
            pause();
        },
        ForkResult::Parent { child } => child.as_raw(),
    }
}

#[test]
fn dropping_the_lab_kills_what_it_started() {
    let mut lab = Lab::new();
    let pid = Pid::from_raw(lab.call(sleeper, ()));
    assert_eq!(status_field(pid, "PPid"), Some(lab.pid().to_string()));
    let lab_pid = lab.pid();
    drop(lab);
    let gone = |p: Pid| status_field(p, "State").is_none_or(|s| s.starts_with('Z'));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !(gone(pid) && gone(lab_pid)) {
        assert!(std::time::Instant::now() < deadline, "{pid} or {lab_pid} outlived the lab");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
