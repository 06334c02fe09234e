//! `cargo run -p linux-clone`: one child per set of flags, and what it is.

use linux_clone::{task_status, with_clone};
use nix::sched::CloneFlags;
use nix::unistd::{Pid, getpid};

fn listed(pid: Pid, tid: Pid) -> bool {
    std::path::Path::new(&format!("/proc/{pid}/task/{tid}")).exists()
}

fn main() {
    let me = getpid();
    let threads = task_status(me).map_or(0, |s| s.threads);
    println!("this process: pid {me}, {threads} thread(s)");
    let thread = CloneFlags::CLONE_VM
        | CloneFlags::CLONE_FS
        | CloneFlags::CLONE_FILES
        | CloneFlags::CLONE_SIGHAND
        | CloneFlags::CLONE_THREAD;
    let cases = [
        ("CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD", thread),
        ("CLONE_VM", CloneFlags::CLONE_VM),
        ("(none)", CloneFlags::empty()),
        ("CLONE_THREAD", CloneFlags::CLONE_THREAD),
    ];
    for (name, flags) in cases {
        println!("clone({name}):");
        let seen = with_clone(flags, |c| {
            let status = task_status(c.ids.tid);
            let status = status.map_or("?".to_string(), |s| {
                format!("Tgid {}, Pid {}, Threads {}", s.tgid, s.pid, s.threads)
            });
            println!("  child: getpid {}, gettid {}", c.ids.tgid, c.ids.tid);
            println!("  /proc/{}/status: {status}", c.ids.tid);
            println!(
                "  listed in /proc/{me}/task: {}",
                if listed(me, c.ids.tid) { "yes" } else { "no" }
            );
            println!(
                "  its write reached our memory: {}",
                if c.memory_shared { "yes" } else { "no" }
            );
        });
        if let Err(e) = seen {
            println!("  refused: {e}");
        }
    }
}
