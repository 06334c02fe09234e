//! The kernel's state, and the one way to reach it.
//!
//! The pieces get their state as arguments (`&mut Procs`, `&mut dyn Memory`,
//! ...). The glue does the same, starting from one place: each entry into the
//! kernel (`kmain`, a trap or system call, and idle) takes a [`Cpu`] once, and
//! borrows the [`Kernel`] from it for as long as it needs, then passes that
//! borrow down. Rust's rule for `&mut` (one at a time, and nothing else
//! touches the data meanwhile) then holds by construction; see [`Cpu::enter`].

use crate::memory::PhysMem;
use crate::pieces::{cow, fork, switch};
use crate::task::{IDLE, SLICE_TICKS};
use alloc::vec::Vec;
use api::{AddressSpace, Futexes, Pid, Proc, Procs, WaitQueue};
use core::cell::UnsafeCell;
use core::fmt;
use core::marker::PhantomData;

// ANCHOR: kernel
/// Everything the kernel knows, apart from the hardware's own tables.
pub struct Kernel {
    /// Physical memory: its frames and their reference counts.
    pub mem: &'static mut PhysMem,
    pub procs: Procs,
    pub rq: switch::Scheduler,
    /// The running task: a pid, or `IDLE`.
    pub current: Pid,
    /// Where the idle task's stack pointer is kept while a task runs (idle is
    /// not in the task table, so it has no `Proc::saved_sp`).
    pub idle_sp: u64,
    pub idle_ticks: u64,
    pub ticks: u64,
    /// How fork copies memory, chosen at boot (`cow=on|off`).
    pub copying: Copying,
    /// Tasks in nanosleep: (wake-up tick, pid).
    pub timers: Vec<(u64, Pid)>,
    /// Tasks waiting for a byte from the console.
    pub console: WaitQueue,
    /// Threads waiting on futex words.
    pub futexes: Futexes,
    /// Where the kernel thread `kzerod` sleeps until idle has work for it.
    pub zeroing: WaitQueue,
}
// ANCHOR_END: kernel

/// How fork copies memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copying {
    /// Every page, at fork: fork's `copy_space`.
    Eager,
    /// Share the pages read-only and copy one on the first write to it: the
    /// `cow` piece.
    OnWrite,
}

impl Copying {
    /// The function fork calls to get the child's memory.
    pub fn copy_space(self) -> fork::CopySpace {
        match self {
            Copying::Eager => fork::copy_space,
            Copying::OnWrite => cow::share_space,
        }
    }
}

impl fmt::Display for Copying {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Copying::Eager => "eagerly",
            Copying::OnWrite => "on write",
        })
    }
}

impl Kernel {
    /// A kernel with no task yet: the CPU runs idle.
    pub fn new(mem: &'static mut PhysMem, copying: Copying) -> Kernel {
        Kernel {
            mem,
            procs: Procs::new(),
            rq: switch::Scheduler::new(SLICE_TICKS),
            current: IDLE,
            idle_sp: 0,
            idle_ticks: 0,
            ticks: 0,
            copying,
            timers: Vec::new(),
            console: WaitQueue::new(),
            futexes: Futexes::default(),
            zeroing: WaitQueue::new(),
        }
    }

    /// The running task. Only tasks make system calls and take user faults,
    /// which is where this is used: idle, which is not in the table, does neither.
    pub fn task(&mut self) -> &mut Proc {
        self.procs.get_mut(self.current).expect("no current task")
    }

    /// Physical memory and the running task's memory, borrowed together:
    /// every copy to or from user memory needs both.
    pub fn user_memory(&mut self) -> (&mut PhysMem, &mut AddressSpace) {
        self.memory_of(self.current)
    }

    /// The same for task `pid`, a user task.
    pub fn memory_of(&mut self, pid: Pid) -> (&mut PhysMem, &mut AddressSpace) {
        let space = self.procs.get_mut(pid).and_then(|p| p.space.as_mut());
        (&mut *self.mem, space.expect("no user memory"))
    }
}

// ANCHOR: cpu
/// This CPU, as the code running on it for one entry into the kernel sees it:
/// the key to the kernel's state. [`Cpu::kernel`] lends out a `&mut Kernel`
/// that lives no longer than the borrow of the `Cpu`.
///
/// A function that may switch tasks takes `&mut Cpu`; one that cannot takes
/// `&mut Kernel` (it has no `Cpu` to switch with). So when code switches
/// tasks, the borrow checker has already ended every borrow of the kernel it
/// took, and the next task may take its own.
///
/// Zero-sized, so it costs nothing at run time; not `Send`, not `Clone`.
pub struct Cpu(PhantomData<*mut ()>);

static KERNEL: State = State(UnsafeCell::new(None));

struct State(UnsafeCell<Option<Kernel>>);

// SAFETY: the state is only reached through a `Cpu`; see `Cpu::enter`.
unsafe impl Sync for State {}

impl Cpu {
    /// Takes this CPU for one entry into the kernel.
    ///
    /// # Safety
    /// Call it once per entry (`kmain`, `trap`, a kernel thread's start), there only.
    /// Then no two `&mut Kernel` are ever live at once, because:
    /// - there is one CPU;
    /// - interrupts are off whenever kernel code runs, except inside idle's
    ///   `sti; hlt`, where idle holds no borrow of the kernel; a fault in
    ///   kernel code (a bug) cuts in anyway, but its handler never borrows it;
    /// - no borrow from a `Cpu` survives a task switch: the switching functions
    ///   take `&mut Cpu`, and `switch_to` runs after their last use of the
    ///   kernel. The task switched to then uses its own `Cpu`; the suspended
    ///   one holds a `Cpu`, which is no borrow at all.
    pub unsafe fn enter() -> Cpu {
        Cpu(PhantomData)
    }

    /// The kernel's state, for as long as this `Cpu` stays borrowed.
    pub fn kernel(&mut self) -> &mut Kernel {
        // SAFETY: `enter`'s contract: no other borrow of the state is live, and
        // this one ends before `self` can be used again.
        let state = unsafe { &mut *KERNEL.0.get() };
        state.as_mut().expect("kernel not started")
    }

    /// Sets up the kernel's state: once, in `kmain`, before any task runs.
    pub fn start(&mut self, kernel: Kernel) {
        // SAFETY: as in `kernel`.
        let state = unsafe { &mut *KERNEL.0.get() };
        assert!(state.is_none(), "kernel started twice");
        *state = Some(kernel);
    }
}
// ANCHOR_END: cpu
