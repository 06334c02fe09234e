//! threadgroup: how a thread group ends. Each mode runs in a child process
//! with threads; the parent reports how the child ended and shows with
//! `ps -L` that no thread of it is left.
//!
//! - `threadgroup exit-group`: a thread that is not the leader calls
//!   `exit_group(3)`: every thread ends, and the process's status is 3.
//! - `threadgroup segv`: a thread writes to address 8: the whole group dies
//!   of SIGSEGV, as on Linux.
//! - `threadgroup exec`: a thread that is not the leader execs `ps -L`: the
//!   other threads die and the exec'ing thread takes over the process's pid.
//! - `threadgroup leader-first`: the leader, with one thread, ends alone with
//!   status 7 while the thread runs on; the leader waits as a zombie, and the
//!   parent learns 7 only when the thread has ended too.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use user::thread::{self, Tcb, Thread};
use user::{Args, exit, fork, getpid, gettid, println, proc_info, run, sched_yield, status, wait4};

user::main!(main);

const AREA: u64 = 0x1000_0000;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    ExitGroup,
    Segv,
    Exec,
    LeaderFirst,
}

/// Closed (0) until the leader lets the second thread act.
static GATE: AtomicU32 = AtomicU32::new(0);
/// Never opened: threads park here for good.
static NEVER: AtomicU32 = AtomicU32::new(0);
static MODE: AtomicU32 = AtomicU32::new(0);

fn main(args: Args) -> i32 {
    let mode = match args.get(1) {
        Some("exit-group") => Mode::ExitGroup,
        Some("segv") => Mode::Segv,
        Some("exec") => Mode::Exec,
        Some("leader-first") => Mode::LeaderFirst,
        _ => {
            println!("usage: threadgroup exit-group | segv | exec | leader-first");
            return 2;
        }
    };
    MODE.store(mode as u32, Ordering::Relaxed);
    let pid = fork();
    if pid == 0 {
        group(mode);
    }
    let (_, st) = wait4(pid, 0);
    if status::wifexited(st) {
        println!("threadgroup: process {pid} exited with status {}", status::wexitstatus(st));
    } else {
        println!("threadgroup: process {pid} was killed by signal {}", status::wtermsig(st));
    }
    println!("threadgroup: what is left:");
    run(&["ps", "-L"]);
    0
}

/// The child process: a leader and two threads (one, when the leader ends
/// first: a thread parked for good would keep the process alive).
fn group(mode: Mode) -> ! {
    if mode != Mode::LeaderFirst {
        let parked = spawn(0, parks);
        while !asleep(parked.tid()) {
            sched_yield();
        }
    }
    let actor = spawn(1, acts);
    if mode == Mode::LeaderFirst {
        println!("threadgroup: leader {} ends alone with status 7", gettid());
        GATE.store(1, Ordering::Release);
        thread::futex_wake(&GATE, 1);
        thread::exit_thread(7);
    }
    while !asleep(actor.tid()) {
        sched_yield();
    }
    println!("threadgroup: process {} has three threads:", getpid());
    run(&["ps", "-L"]);
    GATE.store(1, Ordering::Release);
    thread::futex_wake(&GATE, 1);
    park()
}

fn spawn(index: u32, entry: extern "C" fn(&'static Tcb) -> !) -> Thread {
    let region = AREA + index as u64 * thread::THREAD_SIZE as u64;
    thread::spawn(region, index, entry).unwrap_or_else(|e| {
        println!("threadgroup: clone failed: {}", user::errno_name(e));
        exit(1)
    })
}

extern "C" fn parks(_: &'static Tcb) -> ! {
    park()
}

fn park() -> ! {
    loop {
        thread::futex_wait(&NEVER, 0);
    }
}

// ANCHOR: acts
/// The second thread: waits at the gate, then does what the mode says.
extern "C" fn acts(_: &'static Tcb) -> ! {
    while GATE.load(Ordering::Acquire) == 0 {
        thread::futex_wait(&GATE, 0);
    }
    let me = gettid();
    match MODE.load(Ordering::Relaxed) {
        m if m == Mode::ExitGroup as u32 => {
            println!("threadgroup: thread {me} calls exit_group(3)");
            exit(3)
        }
        m if m == Mode::Segv as u32 => {
            println!("threadgroup: thread {me} writes to address 8");
            // SAFETY: it is not: the fault is the point.
            unsafe { core::ptr::write_volatile(core::ptr::without_provenance_mut::<u64>(8), 1) };
            exit(1)
        }
        m if m == Mode::Exec as u32 => {
            println!("threadgroup: thread {me} of process {} execs ps -L", getpid());
            let err = user::execve("/bin/ps", &["ps", "-L"]);
            println!("threadgroup: execve failed: {}", user::errno_name(err));
            exit(1)
        }
        _ => {
            // LeaderFirst: look at the group once the leader has gone.
            while !zombie(getpid()) {
                sched_yield();
            }
            println!("threadgroup: thread {me} runs on after its leader:");
            run(&["ps", "-L"]);
            println!("threadgroup: thread {me} ends with status 5");
            thread::exit_thread(5)
        }
    }
}
// ANCHOR_END: acts

fn asleep(tid: i32) -> bool {
    proc_info(tid).is_some_and(|p| p.state == b'S')
}

fn zombie(tid: i32) -> bool {
    proc_info(tid).is_some_and(|p| p.state == b'Z')
}
