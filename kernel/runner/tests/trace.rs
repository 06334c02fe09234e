//! The kernel's event trace from real boots: what `cargo boot --trace`
//! prints and draws, and what the book shows of it (book/transcripts).

use runner::trace::{self, Event, Trace};
use runner::{BootOptions, BuildOptions, Outcome, Run, boot, build, transcript};
use std::path::PathBuf;
use std::sync::OnceLock;

const NONCE: &str = "7ace";

fn kernel() -> &'static PathBuf {
    static KERNEL: OnceLock<PathBuf> = OnceLock::new();
    KERNEL.get_or_init(|| build(&BuildOptions::default()).unwrap_or_else(|e| panic!("{e}")))
}

/// Boots `command` with the trace on; `nonce` is the boot's, "" for none.
fn traced(nonce: &str, options: &str, command: &str) -> (Run, Trace) {
    let opts = BootOptions {
        cmdline: match nonce {
            "" => format!("{options} -- {command}"),
            _ => format!("nonce={nonce} {options} -- {command}"),
        },
        trace: true,
        ..Default::default()
    };
    let run = boot(kernel(), &opts).expect("QEMU did not start");
    assert_eq!(run.outcome, Outcome::Exited(0), "`{command}` did not end cleanly:\n{}", run.serial);
    let trace = trace::parse(&run.trace, nonce).unwrap_or_else(|e| panic!("{e}"));
    (run, trace)
}

/// The wait chapter shows the zombie's timeline and tree: the child is Z
/// from its exit until its parent's wait4, which the trace shows to the tick.
#[test]
fn the_zombie_s_timeline_is_the_book_s() {
    // The command line `cargo boot --deterministic --trace -- zombie` gives.
    let (run, trace) = traced("", "cow=off", "zombie");
    assert!(!run.serial.contains("\"ev\""), "the trace reached the console:\n{}", run.serial);
    let tasks = trace.tasks();
    let zombie = tasks.values().find(|t| t.exited.is_some_and(|(_, s)| s == Some(7 << 8))).unwrap();
    let (exited, reaped) = (zombie.exited.unwrap().0, zombie.reaped.unwrap());
    assert!(reaped.0 > exited && reaped.1 == zombie.parent, "{zombie:?}");
    let report = trace::text::report(&trace);
    let row = report.lines().find(|l| l.contains(&format!("─zombie[{}]", zombie.pid))).unwrap();
    assert!(row.contains("RZZ"), "the tree shows the zombie: {row}");
    let text = format!(
        "$ cargo boot --deterministic --trace -- zombie\n(the console as in the chapter, then:)\n\n{report}"
    );
    transcripts::check("trace-zombie", &text);
}

/// The web page stands alone (no script, nothing fetched) and draws each
/// task's states as bars in their colours, the zombie's red among them.
#[test]
fn the_web_page_is_self_contained_and_draws_every_task() {
    let (run, trace) = traced(NONCE, "", "zombie");
    let page = trace::html::page("cargo boot --trace -- zombie", &trace, &transcript(&run));
    for outside in ["<script", "src=", "href=", "@import", "url("] {
        assert!(!page.contains(outside), "the page reaches outside: {outside}");
    }
    for (pid, task) in trace.tasks() {
        assert!(page.contains(&format!(">{}[{pid}]<", task.name)), "no row for {pid}");
    }
    let zombie =
        trace.tasks().into_values().find(|t| t.exited.is_some_and(|(_, s)| s == Some(7 << 8)));
    let bar = format!("fill=\"#c62828\"><title>zombie[{}]: Zombie", zombie.unwrap().pid);
    assert!(page.contains(&bar), "no red bar for the zombie");
    let dir = runner::repo_root().join("target/trace");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("test-zombie.html"), page).unwrap();
}

/// Fifty fork/exit cycles under copy-on-write: the trace sees every fork,
/// and every frame the run allocated after init started comes back (the
/// reference pieces leak nothing; tests/planted.rs in the grader shows a
/// leak failing).
#[test]
fn fifty_fork_exit_cycles_give_back_every_frame() {
    let (run, trace) = traced(NONCE, "cow=on", "cow leak 50");
    assert!(run.serial.contains("free frames before and after match"), "{}", run.serial);
    assert_eq!(trace::Property::NoFrameLeaked.check(&trace), Ok(()));
    let forks = trace.events.iter().filter(|e| matches!(e.event, Event::Fork { .. })).count();
    assert!(forks > 50, "{forks} forks");
}

/// `exit_group` from one thread ends the others: Linux reports each thread's
/// exit, and so does the trace, once per thread, whoever ended it. Only init
/// and the kernel's own threads (forked by idle) outlive the run. The tree
/// shows each thread blank after its exit: nothing reaps a thread.
#[test]
fn exit_group_reports_every_thread_s_exit() {
    let (_, trace) = traced(NONCE, "", "threadgroup exit-group");
    let tasks = trace.tasks();
    let threads = tasks.values().filter(|t| t.parent != trace::IDLE);
    assert!(tasks.len() > 4, "too few tasks: {:?}", tasks.keys());
    let per = trace::text::ticks_per_column(&trace);
    for task in threads {
        let exits = trace
            .events
            .iter()
            .filter(|e| matches!(e.event, Event::Exit { pid, .. } if pid == task.pid));
        assert_eq!(exits.count(), 1, "exits of {}", Trace::label(&tasks, task.pid));
        if task.states.iter().all(|s| s.1 != trace::State::Zombie) {
            let after = (task.exited.unwrap().0 / per + 1) as usize;
            let row = trace::text::columns(&trace, task, per);
            assert!(row[after..].iter().all(|&c| c == ' '), "{} ran on: {row:?}", task.pid);
        }
    }
}
