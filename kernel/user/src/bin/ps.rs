//! ps: every process with its parent, state (STAT), start and CPU time, like
//! `ps -eo pid,ppid,stat,start,time,cmd`; with `-L`, one line per thread,
//! with its own id (LWP) and its process's number of threads (NLWP), like
//! `ps -eLo pid,ppid,lwp,nlwp,stat,start,time,cmd`. The mini-kernel has no
//! clock, so START is the time since boot when the task was created, and
//! TIME the time it has spent on the CPU, both counted in timer ticks of
//! 10 ms and printed as seconds. A kernel thread's name is in brackets. Pid
//! 0, the idle task, is left out, as Linux's ps leaves out its swapper tasks
//! (they have no /proc entry).
#![no_std]
#![no_main]

use core::fmt::Write;
use user::{Args, LineWriter, ProcInfo, StackStr, proc_list};

user::main!(main);

// ANCHOR: ps
fn main(args: Args) -> i32 {
    let threads = args.get(1) == Some("-L");
    let mut buf = [ProcInfo::default(); 80];
    let tasks = proc_list(&mut buf);
    let mut out = LineWriter::new();
    let _ = write!(out, "{:>5} {:>5} ", "PID", "PPID");
    if threads {
        let _ = write!(out, "{:>5} {:>4} ", "LWP", "NLWP");
    }
    let _ = writeln!(out, "{:<4} {:>6} {:>6} CMD", "STAT", "START", "TIME");
    out.flush();
    // A process is its thread group; its leader's row stands for it.
    for p in tasks.iter().filter(|p| p.pid != 0 && (threads || p.pid == p.tgid)) {
        let _ = write!(out, "{:5} {:5} ", p.tgid, p.ppid);
        if threads {
            let nlwp = tasks.iter().filter(|t| t.tgid == p.tgid).count();
            let _ = write!(out, "{:5} {:4} ", p.pid, nlwp);
        }
        let mut name = StackStr::<24>::new();
        let _ = match p.kernel {
            0 => write!(name, "{}", p.name()),
            _ => write!(name, "[{}]", p.name()),
        };
        let (start, time) = (p.start, p.ticks);
        let _ = writeln!(
            out,
            "{:<4} {:>3}.{:02} {:>3}.{:02} {}",
            p.state as char,
            start / 100,
            start % 100,
            time / 100,
            time % 100,
            name.as_str()
        );
        out.flush();
    }
    0
}
// ANCHOR_END: ps
