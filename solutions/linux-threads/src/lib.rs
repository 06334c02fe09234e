//! Threads are tasks: each has its own TID, all share one TGID.

use std::io;
use std::sync::{RwLock, mpsc};

use nix::unistd::{Pid, getpid, gettid};

mod given;
pub use given::Ids;

// ANCHOR: ids
/// The calling thread's ids.
pub fn my_ids() -> Ids {
    Ids { tgid: getpid(), tid: gettid() }
}
// ANCHOR_END: ids

// ANCHOR: with_threads
/// Starts `n` threads, collects their ids, and calls `f` with them while
/// all `n` are still alive. Returns what `f` returns, after joining them.
pub fn with_threads<R>(n: usize, f: impl FnOnce(&[Ids]) -> R) -> R {
    // The threads wait for a read lock while we hold the write lock. If
    // `f` panics, unwinding drops our guard and lets them go, so the scope
    // can join them instead of hanging.
    let gate = RwLock::new(());
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        let closed = gate.write().expect("fresh lock");
        for _ in 0..n {
            let (tx, gate) = (tx.clone(), &gate);
            scope.spawn(move || {
                let _ = tx.send(my_ids());
                drop(gate.read());
            });
        }
        let ids: Vec<Ids> = rx.iter().take(n).collect();
        let result = f(&ids);
        drop(closed);
        result
    })
}
// ANCHOR_END: with_threads

// ANCHOR: tasks
/// The tids of every thread of process `pid`, sorted: the entries of
/// `/proc/PID/task`.
pub fn tasks(pid: Pid) -> io::Result<Vec<Pid>> {
    let mut tids = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let name = entry?.file_name();
        if let Some(tid) = name.to_str().and_then(|s| s.parse().ok()) {
            tids.push(Pid::from_raw(tid));
        }
    }
    tids.sort();
    Ok(tids)
}
// ANCHOR_END: tasks
