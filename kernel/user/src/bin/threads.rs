//! threads: one process, several threads. Each thread says who it is,
//! waits at a gate while `ps -L` and `pstree` look at them, then adds to a
//! shared counter under a futex lock; the main thread joins them all and
//! checks the count.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use user::thread::{self, Mutex, Tcb, Thread};
use user::{Args, getpid, gettid, println, proc_info, run, sched_yield};

user::main!(main);

const THREADS: usize = 3;
const ROUNDS: u64 = 200;
/// Where the threads' stacks and blocks go, one `THREAD_SIZE` apart.
const AREA: u64 = 0x1000_0000;

// ANCHOR: shared
/// Shared by every thread: they all see this one copy.
static COUNTER: AtomicU64 = AtomicU64::new(0);
static LOCK: Mutex = Mutex::new();
/// Closed (0) until the main thread has looked at the threads.
static GATE: AtomicU32 = AtomicU32::new(0);
/// What each thread found out about itself: tid, tgid, and its index as read
/// back through its own FS base.
static SEEN: [[AtomicU32; 3]; THREADS] = [const { [const { AtomicU32::new(0) }; 3] }; THREADS];
// ANCHOR_END: shared

// ANCHOR: worker
extern "C" fn worker(me: &'static Tcb) -> ! {
    let i = me.index as usize;
    SEEN[i][0].store(gettid() as u32, Ordering::Relaxed);
    SEEN[i][1].store(getpid() as u32, Ordering::Relaxed);
    SEEN[i][2].store(thread::current().index, Ordering::Relaxed);
    while GATE.load(Ordering::Acquire) == 0 {
        thread::futex_wait(&GATE, 0);
    }
    for _ in 0..ROUNDS {
        LOCK.lock();
        // Read, give the CPU away, write back: without the lock, the other
        // threads would run in between and their increments would be lost.
        let n = COUNTER.load(Ordering::Relaxed);
        sched_yield();
        COUNTER.store(n + 1, Ordering::Relaxed);
        LOCK.unlock();
    }
    thread::exit_thread(0)
}
// ANCHOR_END: worker

fn main(_: Args) -> i32 {
    println!("threads: main thread: pid {}, tid {}", getpid(), gettid());
    let mut threads: [Option<Thread>; THREADS] = [const { None }; THREADS];
    for (i, slot) in threads.iter_mut().enumerate() {
        let region = AREA + (i * thread::THREAD_SIZE) as u64;
        match thread::spawn(region, i as u32, worker) {
            Ok(t) => *slot = Some(t),
            Err(e) => {
                println!("threads: clone failed: {}", user::errno_name(e));
                return 1;
            }
        }
    }
    // Let every thread fall asleep at the gate before anyone looks.
    while !threads.iter().flatten().all(|t| asleep(t.tid())) {
        sched_yield();
    }
    run(&["ps", "-L"]);
    run(&["pstree"]);
    for (i, s) in SEEN.iter().enumerate() {
        let [tid, tgid, index] = s.each_ref().map(|a| a.load(Ordering::Relaxed));
        println!("threads: thread {i}: tid {tid}, getpid {tgid}, FS base finds thread {index}");
    }
    GATE.store(1, Ordering::Release);
    thread::futex_wake(&GATE, i32::MAX);
    for t in threads.into_iter().flatten() {
        t.join();
    }
    let count = COUNTER.load(Ordering::Relaxed);
    let expected = THREADS as u64 * ROUNDS;
    println!("threads: joined {THREADS} threads; counter = {count} (expected {expected})");
    (count != expected) as i32
}

/// Is task `tid` sleeping, as `ps` would show it?
fn asleep(tid: i32) -> bool {
    proc_info(tid).is_some_and(|p| p.state == b'S')
}
