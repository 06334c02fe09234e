//! The event trace (`trace=on`): what the process lifecycle does, one JSON
//! line per event on COM2, never the console, read back by the runner
//! (kernel/runner/src/trace.rs). The hooks sit in the glue around the
//! pieces, never inside one. With the trace off, a hook costs one branch.

use crate::console::{Com2, nonce};
use crate::state::{Cpu, Kernel};
use alloc::collections::BTreeMap;
use api::{AddressSpace, Errno, Frame, Memory, PAGE_SIZE, Pid, State};
use core::fmt::{Arguments, Write};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

static ON: AtomicBool = AtomicBool::new(false);
/// `Kernel::ticks` for memory.rs, which has no `Kernel`: see [`changes`].
static TICK: AtomicU64 = AtomicU64::new(0);

/// Each task's parent and state, as the trace last reported them.
pub type Seen = BTreeMap<Pid, (Pid, State)>;
/// The piece's copy-on-write fault handler.
pub type Fault = fn(&mut dyn Memory, &mut AddressSpace, u64) -> Result<(), Errno>;

pub fn start(on: bool) {
    ON.store(on, Relaxed);
}

/// One line: `{"nonce":"…","t":TICK,"ev":"EVENT",FIELDS}`, if the trace is on.
#[inline(always)]
fn emit(event: &str, fields: Arguments) {
    if ON.load(Relaxed) {
        let t = TICK.load(Relaxed);
        let _ = writeln!(Com2, r#"{{"nonce":"{}","t":{t},"ev":"{event}",{fields}}}"#, nonce());
    }
}

/// fork or clone, and the frames it took (page tables; if it copies, pages).
pub fn fork(parent: Pid, child: Pid, flags: u64, frames: usize) {
    let f = format_args!(r#""parent":{parent},"child":{child},"flags":{flags},"frames":{frames}"#);
    emit("fork", f);
}

/// An execve begins (an error event follows if it fails). A path JSON cannot
/// hold as it is (quotes, control characters) shows as "?".
pub fn exec(pid: Pid, path: &[u8]) {
    if ON.load(Relaxed) {
        let plain = |p: &&str| !p.contains(|c: char| c < ' ' || c == '"' || c == '\\');
        let path = core::str::from_utf8(path).ok().filter(plain).unwrap_or("?");
        emit("exec", format_args!(r#""pid":{pid},"path":"{path}""#));
    }
}

pub fn syscall(pid: Pid, nr: u64, result: &Result<u64, Errno>) {
    if let (true, Err(e)) = (ON.load(Relaxed), result) {
        emit("error", format_args!(r#""pid":{pid},"nr":{nr},"errno":{}"#, *e as i32));
    }
}

pub fn exit(pid: Pid, status: i32) {
    emit("exit", format_args!(r#""pid":{pid},"status":{status}"#));
}

pub fn reap(pid: Pid, by: Pid, status: i32) {
    emit("reap", format_args!(r#""pid":{pid},"by":{by},"status":{status}"#));
}

pub fn frame(frame: Frame, allocated: bool) {
    emit(if allocated { "alloc" } else { "free" }, format_args!(r#""frame":{}"#, frame.0));
}

pub fn switch(k: &mut Kernel, from: Pid, to: Pid) {
    if ON.load(Relaxed) {
        changes(k);
        emit("switch", format_args!(r#""from":{from},"to":{to}"#));
    }
}

/// The end of an entry into the kernel, on the way back to user mode.
pub fn leave(cpu: &mut Cpu) {
    if ON.load(Relaxed) {
        changes(cpu.kernel());
    }
}

/// Reports each task whose parent or state changed since the last call, in
/// the pieces too (exit wakes the parent, hands orphans to init), but not a
/// new task's `Runnable`. Every timer interrupt ends here: `TICK` is current.
fn changes(k: &mut Kernel) {
    TICK.store(k.ticks, Relaxed);
    k.seen.retain(|&pid, _| k.procs.get(pid).is_some());
    for p in k.procs.iter() {
        let (pid, ppid, state) = (p.pid, p.ppid, p.state);
        let (old, was) = k.seen.insert(pid, (ppid, state)).unwrap_or((ppid, State::Runnable));
        if old != ppid {
            emit("reparent", format_args!(r#""pid":{pid},"old":{old},"new":{ppid}"#));
        }
        if was != state {
            emit("state", format_args!(r#""pid":{pid},"from":"{was:?}","to":"{state:?}""#));
        }
    }
}

/// Calls `handle` for a write fault at `va`, and reports how many shared the
/// page's frame and whether the page got a new frame (copied) or kept it.
pub fn cow_fault(k: &mut Kernel, va: u64, handle: Fault) -> Result<(), Errno> {
    let (pid, page) = (k.current, va & !(PAGE_SIZE as u64 - 1));
    let (mem, space) = k.user_memory();
    let before = if ON.load(Relaxed) { space.translate(mem, page) } else { None };
    let refs = before.map_or(0, |(frame, _)| mem.refcount(frame));
    let r = handle(mem, space, va);
    if let (Ok(()), Some((old, _))) = (&r, before) {
        let copied = space.translate(mem, page).is_some_and(|(new, _)| new != old);
        emit("cow", format_args!(r#""pid":{pid},"page":{page},"refs":{refs},"copied":{copied}"#));
    }
    r
}
