//! clone with flags you choose: a thread of this process, or a process of
//! its own; this memory, or a copy.

use std::io;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use nix::errno::Errno;
use nix::sched::CloneFlags;
use nix::sys::signal::Signal;
use nix::sys::wait::waitpid;
use nix::unistd::{Pid, getpid, gettid, pipe, read, write};

mod given;
pub use given::{Cloned, Ids, MARK, Shared, TaskStatus, clone};

// ANCHOR: task_status
/// Reads `Tgid:`, `Pid:` and `Threads:` from `/proc/TID/status`.
pub fn task_status(tid: Pid) -> io::Result<TaskStatus> {
    let text = std::fs::read_to_string(format!("/proc/{tid}/status"))?;
    let field = |key: &str| -> io::Result<i64> {
        let value = text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(':'));
        value.and_then(|v| v.trim().parse().ok()).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, format!("no {key}: in /proc/{tid}/status"))
        })
    };
    Ok(TaskStatus {
        tgid: Pid::from_raw(field("Tgid")? as i32),
        pid: Pid::from_raw(field("Pid")? as i32),
        threads: field("Threads")? as usize,
    })
}
// ANCHOR_END: task_status

// ANCHOR: child
/// The child's whole life: mark, report, wait to be released.
pub fn child(shared: &Shared) -> i32 {
    shared.mark.store(MARK, Ordering::SeqCst);
    let [a, b, c, d] = getpid().as_raw().to_ne_bytes();
    let [e, f, g, h] = gettid().as_raw().to_ne_bytes();
    if write(&shared.report, &[a, b, c, d, e, f, g, h]) != Ok(8) {
        return 1;
    }
    // Returns when the parent writes, or at end of file if it is gone.
    let _ = read(&shared.release, &mut [0]);
    0
}
// ANCHOR_END: child

// ANCHOR: with_clone
/// Clones a child that runs [`child`] and calls `f` with its report while
/// it is alive; returns once the child is gone.
pub fn with_clone<R>(flags: CloneFlags, f: impl FnOnce(&Cloned) -> R) -> nix::Result<R> {
    let (report_in, report) = pipe()?;
    let (release, release_out) = pipe()?;
    let shared = Shared { mark: AtomicU32::new(0), report, release };
    let mut stack = vec![0u8; 256 * 1024];
    let thread = flags.contains(CloneFlags::CLONE_THREAD);
    let signal = (!thread).then_some(Signal::SIGCHLD);
    // SAFETY: `shared` and `stack` are declared before `gone`, so they are
    // dropped after it, and `gone` returns only when the child has ended.
    // `child` makes system calls and touches an atomic, nothing else.
    let tid = unsafe { clone(flags, signal, &mut stack, child, &shared) }?;
    let _gone = Gone { tid, thread, release: release_out };
    let mut ids = [0u8; 8];
    let mut got = 0;
    while got < 8 {
        match read(&report_in, &mut ids[got..])? {
            0 => return Err(Errno::EPIPE),
            n => got += n,
        }
    }
    let raw = |at: usize| i32::from_ne_bytes(ids[at..at + 4].try_into().expect("4 bytes"));
    let ids = Ids { tgid: Pid::from_raw(raw(0)), tid: Pid::from_raw(raw(4)) };
    let memory_shared = shared.mark.load(Ordering::SeqCst) == MARK;
    Ok(f(&Cloned { ids, memory_shared }))
}

/// Releases the child when dropped, and waits until it has ended.
struct Gone {
    tid: Pid,
    thread: bool,
    release: OwnedFd,
}

impl Drop for Gone {
    fn drop(&mut self) {
        let _ = write(&self.release, &[1]);
        if !self.thread {
            let _ = waitpid(self.tid, None);
            return;
        }
        // A thread is nobody's child: watch its entry leave /proc instead.
        let entry = format!("/proc/self/task/{}", self.tid);
        while std::fs::exists(&entry).unwrap_or(false) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}
// ANCHOR_END: with_clone
