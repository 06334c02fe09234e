//! How much does it cost to create a process, and how does the cost grow
//! with the parent's resident memory?
//!
//!     cargo run --release -p linux-fork-exec-solution --bin fork-cost
//!     ... --bin fork-cost -- --record    also write the book's copy
//!     ... --bin fork-cost -- --quick     5 runs per cell instead of 101
//!
//! For each amount of touched anonymous memory, five ways to make a child
//! that does nothing, each timed from the call to the end of `waitpid`:
//!
//! - fork+_exit: the child copies our page tables, then tears them down.
//! - vfork+_exit: `clone(CLONE_VM | CLONE_VFORK)`, what vfork(2) asks of
//!   the kernel; the child borrows our address space, so nothing is copied.
//! - fork+exec and vfork+exec: the same, and the child runs /bin/true.
//! - posix_spawn: glibc's, of /bin/true.
//!
//! The table shows the median of each, and its ratio to the 1 MiB median;
//! a second table splits fork+_exit into the fork and the exit.
//! The whole run is pinned to one CPU: on a small, busy machine a child
//! woken on the other CPU can wait there for a scheduler tick, and the
//! table would measure the scheduler instead of the work.
//!
//! The lab page shows one recorded run (book/transcripts/fork-cost.txt); a
//! test runs the quick version and checks that the recording still has the
//! shape this program prints.

use std::ffi::{c_char, c_void};
use std::num::NonZeroUsize;
use std::ptr::{self, NonNull};
use std::time::{Duration, Instant};

use nix::libc;
use nix::sched::{CloneFlags, CpuSet, clone, sched_getcpu, sched_setaffinity};
use nix::spawn::{PosixSpawnAttr, PosixSpawnFileActions, posix_spawn};
use nix::sys::mman::{MapFlags, MmapAdvise, ProtFlags, madvise, mmap_anonymous, munmap};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

const MIB: usize = 1 << 20;
const SIZES_MIB: [usize; 4] = [1, 16, 64, 256];
const ITERATIONS: usize = 101;
const QUICK_ITERATIONS: usize = 5;
const WARMUP: usize = 3;
const TRUE: &std::ffi::CStr = c"/bin/true";

type Method = (&'static str, fn() -> Pid);

const METHODS: [Method; 5] = [
    ("fork+_exit", fork_exit),
    ("vfork+_exit", vfork_exit),
    ("fork+exec", fork_exec_true),
    ("vfork+exec", vfork_exec_true),
    ("posix_spawn", spawn_true),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (quick, record) =
        (args.iter().any(|a| a == "--quick"), args.iter().any(|a| a == "--record"));
    if let Some(other) = args.iter().find(|a| !["--quick", "--record"].contains(&a.as_str())) {
        eprintln!("fork-cost: unknown argument {other}: the options are --quick and --record");
        std::process::exit(2);
    }
    let report = measure(if quick { QUICK_ITERATIONS } else { ITERATIONS });
    print!("{report}");
    if record {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../book/transcripts/fork-cost.txt");
        std::fs::write(path, &report).unwrap_or_else(|e| panic!("{path}: {e}"));
        eprintln!("fork-cost: recorded in {path}");
    }
}

/// The whole run: both tables, as text.
fn measure(iterations: usize) -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = pin_to_current_cpu();
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut out = format!(
        "fork-cost: kernel {}, {cpus} CPUs online, pinned to CPU {cpu}, {iterations} runs per cell\n",
        release.trim()
    );
    let started = Instant::now();
    let mut rows = Vec::new();
    let mut split = Vec::new();
    for mib in SIZES_MIB {
        let region = Resident::touch(mib * MIB);
        let medians: Vec<Duration> =
            METHODS.iter().map(|&(_, m)| median(iterations, || time(m))).collect();
        split.push((
            mib,
            vec![median(iterations, || fork_split().0), median(iterations, || fork_split().1)],
        ));
        drop(region);
        rows.push((mib, medians));
    }
    out += "\nmedian µs from the call to the end of waitpid (× the 1 MiB median)\n";
    out += &table(&METHODS.map(|(name, _)| name), &rows);
    out += "\nwhere fork+_exit's time goes: median µs (× the 1 MiB median)\n";
    out += &table(&["in fork()", "in exit+wait"], &split);
    out + &format!("\ntotal {:.1} s\n", started.elapsed().as_secs_f64())
}

/// Children inherit the affinity, so parent and child share this CPU.
fn pin_to_current_cpu() -> usize {
    let cpu = sched_getcpu().expect("sched_getcpu");
    let mut set = CpuSet::new();
    set.set(cpu).expect("cpu in range");
    sched_setaffinity(Pid::from_raw(0), &set).expect("sched_setaffinity");
    cpu
}

// ANCHOR: measure
/// Runs `probe` `iterations` times, after a short warm-up, and returns the
/// median: one slow run (an interrupt, a page-cache miss) cannot move it.
fn median(iterations: usize, probe: impl Fn() -> Duration) -> Duration {
    for _ in 0..WARMUP {
        probe();
    }
    let mut times: Vec<Duration> = (0..iterations).map(|_| probe()).collect();
    times.sort();
    times[times.len() / 2]
}

/// One child, from the call that creates it until waitpid has reaped it.
fn time(start: fn() -> Pid) -> Duration {
    let t = Instant::now();
    reap(start());
    t.elapsed()
}

/// One fork+_exit, cut in two: until fork returns in the parent (the copy),
/// then until waitpid returns (the child's exit tearing the copy down).
fn fork_split() -> (Duration, Duration) {
    let t = Instant::now();
    let child = fork_exit();
    let forked = t.elapsed();
    reap(child);
    (forked, t.elapsed() - forked)
}

fn reap(child: Pid) {
    match waitpid(child, None) {
        Ok(WaitStatus::Exited(_, 0)) => {}
        other => panic!("child {child} ended badly: {other:?}"),
    }
}
// ANCHOR_END: measure

// ANCHOR: methods
fn fork_exit() -> Pid {
    // SAFETY: the child only calls _exit.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => unsafe { libc::_exit(0) },
        ForkResult::Parent { child } => child,
    }
}

fn fork_exec_true() -> Pid {
    // SAFETY: the child only calls execve and _exit.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => exec_true(),
        ForkResult::Parent { child } => child,
    }
}

/// vfork(2) "returns twice" into the same stack frame, which Rust cannot
/// express soundly; clone with its own small stack asks the kernel for the
/// same thing: share the address space, suspend the parent until the child
/// execs or exits.
fn vfork_with(child: fn() -> isize) -> Pid {
    let mut stack = [0u8; 16 * 1024];
    let flags = CloneFlags::CLONE_VM | CloneFlags::CLONE_VFORK;
    // SAFETY: the child runs `child` on `stack`, touches nothing else of
    // ours, and ends in execve or _exit before we resume.
    unsafe { clone(Box::new(child), &mut stack, flags, Some(libc::SIGCHLD)) }.expect("clone")
}

fn vfork_exit() -> Pid {
    vfork_with(|| unsafe { libc::_exit(0) })
}

fn vfork_exec_true() -> Pid {
    vfork_with(|| exec_true())
}

fn spawn_true() -> Pid {
    let actions = PosixSpawnFileActions::init().expect("file actions");
    let attr = PosixSpawnAttr::init().expect("spawn attr");
    let no_env: [&std::ffi::CStr; 0] = [];
    posix_spawn(TRUE, &actions, &attr, &[TRUE], &no_env).expect("posix_spawn")
}

/// Runs /bin/true in this process. Builds argv on the stack: a vfork child
/// shares the parent's heap and must not allocate.
fn exec_true() -> ! {
    let argv: [*const c_char; 2] = [TRUE.as_ptr(), ptr::null()];
    let envp: [*const c_char; 1] = [ptr::null()];
    unsafe {
        libc::execve(TRUE.as_ptr(), argv.as_ptr(), envp.as_ptr());
        libc::_exit(127)
    }
}
// ANCHOR_END: methods

// ANCHOR: resident
/// Anonymous memory with every page written once, so each has a PTE that
/// fork must copy. Huge pages are refused: one 2 MiB PMD entry would stand
/// for 512 PTEs and hide the growth we want to see.
struct Resident {
    base: NonNull<c_void>,
    len: usize,
}

impl Resident {
    fn touch(len: usize) -> Resident {
        let size = NonZeroUsize::new(len).expect("non-empty");
        let prot = ProtFlags::PROT_READ | ProtFlags::PROT_WRITE;
        // SAFETY: a fresh private anonymous mapping aliases nothing.
        let base =
            unsafe { mmap_anonymous(None, size, prot, MapFlags::MAP_PRIVATE) }.expect("mmap");
        // Not every kernel has THP; then there is nothing to refuse.
        let _ = unsafe { madvise(base, len, MmapAdvise::MADV_NOHUGEPAGE) };
        let bytes = base.as_ptr().cast::<u8>();
        for offset in (0..len).step_by(4096) {
            // SAFETY: offset < len, inside the mapping.
            unsafe { bytes.add(offset).write_volatile(1) };
        }
        Resident { base, len }
    }
}

impl Drop for Resident {
    fn drop(&mut self) {
        // SAFETY: we mapped exactly this range and nothing points into it.
        let _ = unsafe { munmap(self.base, self.len) };
    }
}
// ANCHOR_END: resident

fn table(columns: &[&str], rows: &[(usize, Vec<Duration>)]) -> String {
    // Every cell starts with a space, so a wide one cannot run into its neighbour.
    let mut out = format!("{:<9}", "resident");
    for name in columns {
        out += &format!(" {name:>13}");
    }
    out.push('\n');
    let base = &rows[0].1;
    for (mib, medians) in rows {
        out += &format!("{:<9}", format!("{mib} MiB"));
        for (m, b) in medians.iter().zip(base) {
            let cell = format!("{:.0} ({:.1}×)", micros(*m), micros(*m) / micros(*b));
            out += &format!(" {cell:>13}");
        }
        out.push('\n');
    }
    out
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
