//! The event trace (`trace=on`): one JSON line per event on COM2, never the
//! console, for kernel/runner/src/trace. The hooks sit in the glue around
//! the pieces, never inside one. With the trace off, a hook is one branch.

use crate::console::{COM2, Serial, nonce};
use crate::state::{Cpu, Kernel};
use alloc::format;
use api::{AddressSpace, Errno, Memory, PAGE_SIZE, Pid, State};
use core::fmt::{Arguments, Write};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

pub static ON: AtomicBool = AtomicBool::new(false);
/// `Kernel::ticks`, for memory.rs, which has no `Kernel`: see [`changes`].
static TICK: AtomicU64 = AtomicU64::new(0);

/// `event!("exit", pid = 3, status = 0)` writes the line
/// `{"nonce":"…","t":TICK,"ev":"exit","pid":3,"status":0}` if the trace is on.
/// Values print with `{:?}`, which JSON reads: numbers, `true`, quoted
/// strings of plain characters, and byte slices (paths) as arrays.
#[macro_export]
macro_rules! event {
    ($ev:literal $(, $key:ident = $v:expr)*) => {
        if $crate::trace::ON.load(core::sync::atomic::Ordering::Relaxed) {
            let fields = format_args!(concat!($(",\"", stringify!($key), "\":{:?}"),*) $(, $v)*);
            $crate::trace::emit($ev, fields);
        }
    };
}

pub fn emit(ev: &str, fields: Arguments) {
    let (t, nonce) = (TICK.load(Relaxed), nonce());
    let _ = writeln!(Serial(COM2), r#"{{"nonce":"{nonce}","t":{t},"ev":"{ev}"{fields}}}"#);
}

pub fn switch(k: &mut Kernel, from: Pid, to: Pid) {
    if ON.load(Relaxed) {
        changes(k);
        crate::event!("switch", from = from, to = to);
    }
}

/// The end of an entry into the kernel, on the way back to user mode.
pub fn leave(cpu: &mut Cpu) {
    sync(cpu.kernel());
}

/// Also before `free_dead_threads`, so that the threads it frees end first.
pub fn sync(k: &mut Kernel) {
    if ON.load(Relaxed) {
        changes(k);
    }
}

/// Reports each task whose parent or state changed since the last call, in
/// the pieces too (exit wakes the parent, hands orphans to init), but not a
/// new task's `Runnable`. Every timer interrupt ends here: `TICK` is current.
fn changes(k: &mut Kernel) {
    TICK.store(k.ticks, Relaxed);
    // Linux reports every thread's exit. A task's own `exit` reported it; the
    // pieces end others: killed with their group, or renamed by exec.
    let ended = |s: State| matches!(s, State::Zombie | State::Dead);
    for (pid, _) in k.seen.iter().filter(|(p, s)| !ended(s.1) && k.procs.get(**p).is_none()) {
        crate::event!("exit", pid = pid);
    }
    k.seen.retain(|&pid, _| k.procs.get(pid).is_some());
    for p in k.procs.iter() {
        let (pid, new, state) = (p.pid, p.ppid, p.state);
        let (old, was) = k.seen.insert(pid, (new, state)).unwrap_or((new, State::Runnable));
        if old != new {
            crate::event!("reparent", pid = pid, old = old, new = new);
        }
        if ended(state) && !ended(was) && pid != k.current {
            crate::event!("exit", pid = pid, status = p.exit_status);
        }
        if was != state {
            let (from, to) = (format!("{was:?}"), format!("{state:?}"));
            crate::event!("state", pid = pid, from = from, to = to);
        }
    }
}

/// Calls the piece's `handle` for a write fault at `va`, and reports how
/// many shared the page's frame and whether the page got a new frame.
pub fn cow_fault(
    k: &mut Kernel,
    va: u64,
    handle: fn(&mut dyn Memory, &mut AddressSpace, u64) -> Result<(), Errno>,
) -> Result<(), Errno> {
    let (pid, page) = (k.current, va & !(PAGE_SIZE as u64 - 1));
    let (mem, space) = k.user_memory();
    let before = if ON.load(Relaxed) { space.translate(mem, page) } else { None };
    let refs = before.map_or(0, |(frame, _)| mem.refcount(frame));
    let r = handle(mem, space, va);
    if let (Ok(()), Some((old, _))) = (&r, before) {
        let copied = space.translate(mem, page).is_some_and(|(new, _)| new != old);
        crate::event!("cow", pid = pid, page = page, refs = refs, copied = copied);
    }
    r
}
