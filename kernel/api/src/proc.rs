//! The task table: one [`Proc`] per task, our `task_struct`.

use crate::{AddressSpace, Errno, WaitQueue};
use alloc::alloc::{Layout, alloc_zeroed};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

/// A process id. Signed, like Linux's `pid_t`, because `wait4(-1, ...)` means "any child".
pub type Pid = i32;

/// How many tasks the table holds. `fork` fails with `EAGAIN` past that.
pub const NPROC: usize = 64;

// ANCHOR: state
/// The states `ps` shows in STAT: R (running or runnable), S, Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// On the CPU right now.
    Running,
    /// Wants the CPU: waiting in the run queue.
    Runnable,
    /// Waiting for an event on a wait queue.
    Sleeping,
    /// Exited; kept until the parent collects its status with `wait4`.
    Zombie,
    /// Exited, and not for the parent to collect (yet): a thread, which the
    /// kernel frees once it is off the CPU, or a group leader whose threads
    /// still run, which becomes a zombie when the last of them ends.
    Dead,
}

impl State {
    /// The letter `ps` prints. Linux shows both running and runnable as `R`.
    pub fn letter(self) -> char {
        match self {
            State::Running | State::Runnable => 'R',
            State::Sleeping => 'S',
            // Linux's ps shows a leader waiting for its threads as Z too.
            State::Zombie | State::Dead => 'Z',
        }
    }
}
// ANCHOR_END: state

/// 512 bytes of x87/SSE state, in the layout `fxsave64` writes.
#[derive(Clone, Copy)]
#[repr(C, align(16))]
pub struct FxState(pub [u8; 512]);

// ANCHOR: trap_frame
/// The user's registers, saved on the kernel stack at every entry into the
/// kernel (system call, interrupt or exception) and restored on the way out.
/// The field order is the order the entry code pushes them, lowest address first.
#[derive(Clone, Copy)]
#[repr(C)]
pub struct TrapFrame {
    pub fx: FxState,
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    /// The system call number on entry; its return value on exit.
    pub rax: u64,
    pub vector: u64,
    pub error: u64,
    // What the CPU pushes on an interrupt, and `iretq` pops.
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}
// ANCHOR_END: trap_frame

/// The user code and data segment selectors: entries 4 and 3 of the kernel's
/// GDT (kernel/os/src/x86.rs), with privilege level 3 in the low bits.
pub const USER_CS: u64 = 0x20 | 3;
pub const USER_DS: u64 = 0x18 | 3;

impl TrapFrame {
    /// The frame that starts a program at `entry` in user mode, with its stack
    /// at `stack`, interrupts on and every other register zero: what
    /// Linux's `start_thread()` sets up at the end of exec.
    pub fn for_user(entry: u64, stack: u64) -> TrapFrame {
        // SAFETY: a TrapFrame is integers only, for which all-zero bytes are valid.
        let mut tf: TrapFrame = unsafe { core::mem::zeroed() };
        tf.rip = entry;
        tf.cs = USER_CS;
        tf.rflags = RFLAGS_IF | RFLAGS_RESERVED;
        tf.rsp = stack;
        tf.ss = USER_DS;
        // The x87 control word and MXCSR as after a reset (fninit, ldmxcsr 0x1f80).
        tf.fx.0[0..2].copy_from_slice(&0x037fu16.to_le_bytes());
        tf.fx.0[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
        tf
    }

    /// Did the trap come from user mode (ring 3)?
    pub fn from_user(&self) -> bool {
        self.cs & 3 == 3
    }
}

/// RFLAGS bit 9: interrupts enabled.
const RFLAGS_IF: u64 = 1 << 9;
/// RFLAGS bit 1 always reads as 1.
const RFLAGS_RESERVED: u64 = 1 << 1;

pub const KSTACK_SIZE: usize = 16 * 1024;

// ANCHOR: kernel_stack
/// A task's kernel stack: 16 KiB, like Linux's `THREAD_SIZE` on x86_64. The
/// user's trap frame sits at the very top, where the CPU's first push lands.
#[repr(C, align(16))]
pub struct KernelStack {
    pub below: [u8; KSTACK_SIZE - core::mem::size_of::<TrapFrame>()],
    pub tf: TrapFrame,
}
// ANCHOR_END: kernel_stack

impl KernelStack {
    /// A zeroed stack, built in place: 16 KiB would not fit on a kernel stack.
    pub fn new_boxed() -> Box<KernelStack> {
        let layout = Layout::new::<KernelStack>();
        // SAFETY: all-zero bytes are a valid KernelStack, and the layout matches.
        unsafe {
            let p = alloc_zeroed(layout) as *mut KernelStack;
            if p.is_null() {
                alloc::alloc::handle_alloc_error(layout);
            }
            Box::from_raw(p)
        }
    }

    /// The address just past the top: what the TSS's RSP0 holds while this task runs.
    pub fn top(&self) -> u64 {
        self as *const KernelStack as u64 + KSTACK_SIZE as u64
    }
}

// ANCHOR: proc
/// One task, the mini-kernel's `task_struct`.
pub struct Proc {
    pub pid: Pid,
    /// The parent: the task `wait4` reports to. It becomes 1 (init) when the parent exits first.
    pub ppid: Pid,
    pub state: State,
    /// The program's name, as `ps` prints it (Linux's `comm`).
    pub name: String,
    /// The user half of memory. `None` for kernel threads such as idle.
    pub space: Option<AddressSpace>,
    pub kstack: Box<KernelStack>,
    /// The kernel stack pointer `switch_to` saved when the task last left the
    /// CPU, and loads when it comes back (Linux: `thread.sp`).
    pub saved_sp: u64,
    /// The `wait4` status, once a zombie.
    pub exit_status: i32,
    /// Where this task sleeps in `wait4` until a child exits (Linux: `signal->wait_chldexit`).
    pub child_exit: WaitQueue,
    /// Timer ticks spent on the CPU: `ps` shows them as TIME.
    pub ticks: u64,
    /// The timer tick at which the task was created: `ps` shows it as START.
    pub start: u64,
    /// The thread group: its leader's pid, which `getpid` returns (`gettid`
    /// returns `pid`). A process's first thread leads, with `tgid == pid`.
    pub tgid: Pid,
    /// Where to write 0 and wake a futex waiter at exit (`CLONE_CHILD_CLEARTID`).
    pub clear_child_tid: Option<u64>,
    /// The parent sleeping until this `vfork` child execs or exits.
    pub vfork_done: Option<Pid>,
    /// The FS segment base: the thread's thread-local storage.
    pub fs_base: u64,
    /// Open files, by file descriptor from 3 on: 0, 1 and 2 are the console
    /// (Linux: `files`).
    pub files: Vec<Option<OpenFile>>,
}
// ANCHOR_END: proc

/// An open file of the initramfs (Linux: a `struct file`): which one, and
/// how far `read` or `getdents64` has got.
#[derive(Debug, Clone, Copy)]
pub struct OpenFile {
    pub ino: u64,
    pub offset: u64,
    /// Closed by a successful execve (`O_CLOEXEC`).
    pub cloexec: bool,
}

impl Proc {
    pub fn new(pid: Pid, ppid: Pid, name: &str) -> Proc {
        Proc {
            pid,
            ppid,
            state: State::Runnable,
            name: String::from(name),
            space: None,
            kstack: KernelStack::new_boxed(),
            saved_sp: 0,
            exit_status: 0,
            child_exit: WaitQueue::new(),
            ticks: 0,
            start: 0,
            tgid: pid,
            clear_child_tid: None,
            vfork_done: None,
            fs_base: 0,
            files: Vec::new(),
        }
    }
}

// ANCHOR: procs
/// The task table: a fixed number of slots, and a counter for new pids.
pub struct Procs {
    slots: Vec<Option<Proc>>,
    next_pid: Pid,
}
// ANCHOR_END: procs

impl Default for Procs {
    fn default() -> Self {
        Self::new()
    }
}

impl Procs {
    pub fn new() -> Procs {
        Procs { slots: (0..NPROC).map(|_| None).collect(), next_pid: 1 }
    }

    // ANCHOR: alloc_pid
    /// A fresh pid, or `EAGAIN` when every slot is taken. Pids count up and
    /// are never reused while the counter lasts, so runs are repeatable.
    pub fn alloc_pid(&mut self) -> Result<Pid, Errno> {
        if self.slots.iter().all(Option::is_some) {
            return Err(Errno::EAGAIN);
        }
        let pid = self.next_pid;
        self.next_pid += 1;
        Ok(pid)
    }
    // ANCHOR_END: alloc_pid

    /// Puts a task into a free slot, or hands it back when there is none.
    #[allow(clippy::result_large_err, reason = "the caller must get its task back to undo it")]
    pub fn insert(&mut self, p: Proc) -> Result<(), Proc> {
        match self.slots.iter_mut().find(|s| s.is_none()) {
            Some(slot) => {
                *slot = Some(p);
                Ok(())
            }
            None => Err(p),
        }
    }

    /// Takes a task out of the table: the last step of reaping a zombie.
    pub fn remove(&mut self, pid: Pid) -> Option<Proc> {
        self.slots.iter_mut().find(|s| s.as_ref().is_some_and(|p| p.pid == pid))?.take()
    }

    pub fn get(&self, pid: Pid) -> Option<&Proc> {
        self.iter().find(|p| p.pid == pid)
    }

    pub fn get_mut(&mut self, pid: Pid) -> Option<&mut Proc> {
        self.iter_mut().find(|p| p.pid == pid)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Proc> {
        self.slots.iter().flatten()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Proc> {
        self.slots.iter_mut().flatten()
    }

    /// The pids of `parent`'s children, in pid order. Only a group's leader
    /// is anyone's child: `wait4` never sees the other threads.
    pub fn children(&self, parent: Pid) -> Vec<Pid> {
        let mut c: Vec<Pid> =
            self.iter().filter(|p| p.ppid == parent && p.pid == p.tgid).map(|p| p.pid).collect();
        c.sort_unstable();
        c
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
