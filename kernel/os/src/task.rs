//! The process lifecycle glue: the task table, `schedule`, sleeping and
//! waking, the idle task, and starting init. The decisions are the pieces':
//! this file only calls them at the right moments.

use crate::Global;
use crate::cpu;
use crate::memory::MEM;
use crate::pieces::{cow, exec, fork, switch, wait};
use crate::pvh::Options;
use alloc::vec::Vec;
use api::{AddressSpace, Errno, Pid, Proc, Procs, RunQueue, State, TrapFrame, WaitQueue, status};

/// The idle task's "pid", like Linux's swapper (pid 0). It is not in the table.
pub const IDLE: Pid = 0;
// ANCHOR: slice
/// Timer ticks a task may run before another runnable task gets the CPU.
const SLICE_TICKS: u32 = 5;
// ANCHOR_END: slice

pub struct Kernel {
    pub procs: Procs,
    pub rq: switch::Scheduler,
    pub current: Pid,
    idle_context: u64,
    pub idle_ticks: u64,
    pub ticks: u64,
    /// How fork copies memory: eagerly, or shared copy-on-write (`cow=on`).
    pub copy: fork::CopySpace,
    pub cow: bool,
    /// Tasks in nanosleep: (wake-up tick, pid).
    pub timers: Vec<(u64, Pid)>,
    /// Tasks waiting for a byte from the console.
    pub console: WaitQueue,
    pub nonce: &'static str,
}

static KERNEL: Global<Option<Kernel>> = Global::new(None);

pub fn kernel() -> &'static mut Kernel {
    KERNEL.get().as_mut().expect("kernel not started")
}

pub fn mem() -> &'static mut crate::memory::PhysMem {
    MEM.get()
}

/// The running task.
pub fn current() -> &'static mut Proc {
    let k = kernel();
    k.procs.get_mut(k.current).expect("no current task")
}

/// The running task's memory. Kernel threads have none, but they never
/// make system calls or take user faults, which is where this is used.
pub fn space() -> &'static mut AddressSpace {
    current().space.as_mut().expect("user task without memory")
}

/// Before the kernel writes into user memory at `va`: with copy-on-write, a
/// shared page must be copied first, just as if the program had written it.
pub fn prepare_user_write(va: u64, len: usize) -> Result<(), Errno> {
    match kernel().cow {
        true => cow::prepare_user_write(mem(), space(), va, len),
        false => Ok(()),
    }
}

/// A trap frame for a program's first instruction in user mode.
pub fn user_frame(entry: u64, stack: u64) -> TrapFrame {
    let mut tf: TrapFrame = unsafe { core::mem::zeroed() };
    tf.rip = entry;
    tf.rsp = stack;
    tf.cs = cpu::USER_CS;
    tf.ss = cpu::USER_DS;
    tf.rflags = 0x202; // interrupts on
    // The x87 control word and MXCSR as after a reset (fninit, ldmxcsr 0x1f80).
    tf.fx.0[0..2].copy_from_slice(&0x037fu16.to_le_bytes());
    tf.fx.0[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
    tf
}

// ANCHOR: prepare_first_switch
/// Gets a task that has never run ready for its first `switch_to`: it will
/// start in `fork_return`, which leaves the kernel through its trap frame.
pub fn prepare_first_switch(p: &mut Proc) {
    let tf = &p.kstack.tf as *const TrapFrame as u64;
    p.context = unsafe { switch::init_stack(tf, cpu::fork_return as *const () as usize) };
}
// ANCHOR_END: prepare_first_switch

pub fn start_init(options: &Options) {
    let copy: fork::CopySpace = if options.cow { cow::share_space } else { fork::copy_space };
    *KERNEL.get() = Some(Kernel {
        procs: Procs::new(),
        rq: switch::Scheduler::new(SLICE_TICKS),
        current: IDLE,
        idle_context: 0,
        idle_ticks: 0,
        ticks: 0,
        copy,
        cow: options.cow,
        timers: Vec::new(),
        console: WaitQueue::new(),
        nonce: options.nonce,
    });
    let k = kernel();
    let pid = k.procs.alloc_pid().unwrap();
    let mut init = Proc::new(pid, IDLE, "init");
    let mut argv: Vec<&[u8]> = alloc::vec![b"/init".as_slice()];
    argv.extend(options.init_args.split_whitespace().map(str::as_bytes));
    let elf = crate::initrd::lookup(b"/init").expect("no /init in the initramfs");
    let image = exec::load(mem(), elf, &argv, &[b"PATH=/bin".as_slice()], random_bytes())
        .unwrap_or_else(|e| panic!("cannot load /init: {e:?}"));
    init.space = Some(image.space);
    init.kstack.tf = user_frame(image.entry, image.stack_pointer);
    prepare_first_switch(&mut init);
    assert!(k.procs.insert(init).is_ok());
    k.rq.make_runnable(&mut k.procs, pid);
}

/// 16 bytes for AT_RANDOM. A real kernel uses its entropy pool; the time
/// stamp counter is enough to tell runs apart here.
pub fn random_bytes() -> [u8; 16] {
    let t = cpu::rdtsc();
    let mut r = [0; 16];
    r[..8].copy_from_slice(&t.to_le_bytes());
    r[8..].copy_from_slice(&t.rotate_left(29).wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes());
    r
}

// ANCHOR: schedule
/// Gives the CPU to the next runnable task. The caller has already put the
/// current task where it belongs: back on the run queue, asleep, or a zombie.
pub fn schedule() {
    let k = kernel();
    let prev = k.current;
    match k.rq.pick_next(&mut k.procs) {
        Some(next) if next == prev => {}
        Some(next) => switch(prev, next),
        None if prev == IDLE => {}
        None => switch(prev, IDLE),
    }
}

fn switch(prev: Pid, next: Pid) {
    let k = kernel();
    let prev_context: *mut u64 = match prev {
        IDLE => &mut k.idle_context,
        pid => &mut k.procs.get_mut(pid).expect("prev vanished").context,
    };
    let next_context = match next {
        IDLE => k.idle_context,
        pid => {
            let p = k.procs.get(pid).expect("next vanished");
            cpu::set_kernel_stack(p.kstack.top());
            cpu::write_cr3(p.space.as_ref().map_or(crate::boot::kernel_root(), |s| s.root().0));
            p.context
        }
    };
    k.current = next;
    unsafe { switch::switch_to(prev_context, next_context) };
}
// ANCHOR_END: schedule

// ANCHOR: idle
/// The idle task (Linux's swapper, pid 0): runs when no one else can, and
/// halts the CPU until the next interrupt instead of spinning.
pub fn idle() -> ! {
    loop {
        let k = kernel();
        match k.rq.pick_next(&mut k.procs) {
            Some(next) => switch(IDLE, next),
            None => unsafe { core::arch::asm!("sti", "hlt", "cli") },
        }
    }
}
// ANCHOR_END: idle

// ANCHOR: sleep_wake
/// Puts the current task to sleep (the caller has queued it where it will be
/// woken) and runs someone else until it is woken.
pub fn sleep() {
    let k = kernel();
    let cur = k.current;
    k.procs.get_mut(cur).unwrap().state = State::Sleeping;
    k.rq.remove(cur);
    schedule();
}

pub fn wake(pid: Pid) {
    let k = kernel();
    if k.procs.get(pid).is_some_and(|p| p.state == State::Sleeping) {
        k.rq.make_runnable(&mut k.procs, pid);
    }
}
// ANCHOR_END: sleep_wake

// ANCHOR: tick
/// Called HZ times a second by the timer.
pub fn tick(from_user: bool) {
    let k = kernel();
    k.ticks += 1;
    let now = k.ticks;
    let expired: Vec<Pid> = k.timers.iter().filter(|t| t.0 <= now).map(|t| t.1).collect();
    k.timers.retain(|t| t.0 > now);
    if !k.console.is_empty() && crate::console::has_input() {
        expired.iter().copied().chain(k.console.take_all()).for_each(wake);
    } else {
        expired.into_iter().for_each(wake);
    }
    if !from_user {
        k.idle_ticks += 1;
        return;
    }
    current().ticks += 1;
    // Preemption: only from user mode, where the kernel holds nothing.
    if k.rq.tick() {
        let cur = k.current;
        k.rq.make_runnable(&mut k.procs, cur);
        schedule();
    }
}
// ANCHOR_END: tick

// ANCHOR: exit
/// Ends the current task. Init must not end: like Linux, that is a panic.
pub fn exit(wait_status: i32) -> ! {
    let k = kernel();
    let pid = k.current;
    if pid == wait::INIT {
        panic!("Attempted to kill init! exit status {wait_status:#x}");
    }
    // Leave the address space exit is about to free: the CPU must never walk
    // page tables that are back on the free list (Linux: exit_mm).
    cpu::write_cr3(crate::boot::kernel_root());
    wait::exit(&mut k.procs, mem(), &mut k.rq, pid, wait_status);
    schedule();
    unreachable!("a zombie was scheduled");
}
// ANCHOR_END: exit

/// Kills the current task, as the signal `sig` would.
pub fn kill(sig: i32) -> ! {
    exit(status::signaled(sig))
}

pub fn errno_ret(r: Result<u64, Errno>) -> u64 {
    r.unwrap_or_else(|e| e.to_ret() as u64)
}
