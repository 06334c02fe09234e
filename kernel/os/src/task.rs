//! The process lifecycle glue: starting init, `schedule` and the context
//! switch, sleeping and waking, the timer tick, the idle task, and exit. The
//! decisions are the pieces': this file only calls them at the right moments.
//!
//! A function here that may switch tasks takes `&mut Cpu`, and borrows the
//! kernel from it only between switches; one that cannot takes `&mut Kernel`.

use crate::pieces::{clone, exec, switch, wait};
use crate::pvh::Options;
use crate::state::{Cpu, Kernel};
use crate::{boot, initrd, trace, x86};
use alloc::vec::Vec;
use api::{Pid, Proc, RunQueue, State, TrapFrame, status};

/// The idle task's "pid", like Linux's swapper (pid 0). It is not in the table.
pub const IDLE: Pid = 0;
// ANCHOR: slice
/// Timer ticks a task may run before another runnable task gets the CPU.
pub const SLICE_TICKS: u32 = 5;
// ANCHOR_END: slice

// ANCHOR: prepare_first_switch
/// Gets a task that has never run ready for its first `switch_to`: it will
/// start in `fork_return`, which leaves the kernel through its trap frame.
pub fn prepare_first_switch(p: &mut Proc) {
    let tf = &raw const p.kstack.tf as u64;
    // SAFETY: the 64 bytes below the trap frame are the bottom of the task's
    // own kernel stack, unused until it runs.
    p.saved_sp = unsafe { switch::init_stack(tf, x86::fork_return as *const () as usize) };
}
// ANCHOR_END: prepare_first_switch

/// Loads init, the first program, from the initramfs, and queues it.
pub fn start_init(k: &mut Kernel, options: &Options) {
    let pid = k.procs.alloc_pid().expect("no pid for init");
    let mut init = Proc::new(pid, IDLE, "init");
    let mut argv: Vec<&[u8]> = alloc::vec![b"/init".as_slice()];
    argv.extend(options.init_args.split_whitespace().map(str::as_bytes));
    let elf = initrd::lookup(k.initrd, b"/init").expect("load checked /init");
    let image = exec::load(k.mem, elf, &argv, &[b"PATH=/bin".as_slice()], random_bytes())
        .unwrap_or_else(|e| panic!("cannot load /init: {e:?}"));
    let heap = crate::mm::heap_start(k.mem, &image.space);
    init.heap = heap..heap;
    init.space = Some(image.space);
    init.kstack.tf = TrapFrame::for_user(image.entry, image.stack_pointer);
    prepare_first_switch(&mut init);
    assert!(k.procs.insert(init).is_ok());
    crate::event!("fork", parent = IDLE, child = pid, flags = 0, frames = 0);
    crate::event!("exec", pid = pid, path = b"/init");
    k.rq.make_runnable(&mut k.procs, pid);
}

/// 16 bytes for AT_RANDOM. A real kernel uses its entropy pool; the time
/// stamp counter is enough to tell runs apart here.
pub fn random_bytes() -> [u8; 16] {
    let t = x86::rdtsc();
    let mut r = [0; 16];
    r[..8].copy_from_slice(&t.to_le_bytes());
    r[8..].copy_from_slice(&t.rotate_left(29).wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes());
    r
}

// ANCHOR: schedule
/// Gives the CPU to the next runnable task. The caller has already put the
/// current task where it belongs: back on the run queue, asleep, or a zombie.
pub fn schedule(cpu: &mut Cpu) {
    let k = cpu.kernel();
    free_dead_threads(k);
    let prev = k.current;
    match k.rq.pick_next(&mut k.procs) {
        Some(next) if next == prev => {}
        Some(next) => context_switch(cpu, prev, next),
        None if prev == IDLE => {}
        None => context_switch(cpu, prev, IDLE),
    }
}

/// Linux's `context_switch()`: the next task's kernel stack and page tables,
/// then `switch_to`, which returns when some task switches back to `prev`.
fn context_switch(cpu: &mut Cpu, prev: Pid, next: Pid) {
    let k = cpu.kernel();
    let next_sp = match next {
        IDLE => k.idle_sp,
        pid => {
            let p = k.procs.get(pid).expect("next vanished");
            let root = p.space.as_ref().map_or(boot::kernel_root(), |s| s.root().0);
            // Its thread-local storage, for when it is back in user mode.
            x86::write_fs_base(p.fs_base);
            // SAFETY: `next` was picked to run, so it has not exited: its
            // kernel stack and page tables are alive, and they stay so until
            // it exits, which it does on the CPU, leaving them first.
            unsafe {
                x86::set_kernel_stack(p.kstack.top());
                x86::write_cr3(root);
            }
            p.saved_sp
        }
    };
    trace::switch(k, prev, next);
    k.current = next;
    let prev_sp: *mut u64 = match prev {
        IDLE => &raw mut k.idle_sp,
        pid => &raw mut k.procs.get_mut(pid).expect("prev vanished").saved_sp,
    };
    // `k` is not used again: from here the kernel is the next task's to borrow.
    // SAFETY: `prev_sp` points into the kernel's state, which outlives every
    // task, and `switch_to` writes it before the next task runs; `next_sp` was
    // saved by `switch_to` or made by `init_stack`, on a stack that is alive.
    unsafe { switch::switch_to(prev_sp, next_sp) };
}
// ANCHOR_END: schedule

// ANCHOR: idle
/// The idle task (Linux's swapper, pid 0): runs when no one else can, and
/// halts the CPU until the next interrupt instead of spinning.
pub fn idle(mut cpu: Cpu) -> ! {
    loop {
        let k = cpu.kernel();
        match k.rq.pick_next(&mut k.procs) {
            Some(next) => context_switch(&mut cpu, IDLE, next),
            // Nothing to run, but free frames to zero: kzerod's turn.
            None if k.mem.wants_zeroing() && !k.zeroing.is_empty() => {
                k.zeroing.take_all().into_iter().for_each(|pid| wake(k, pid));
                // SAFETY: as below; let in what is pending, without halting.
                unsafe { core::arch::asm!("sti", "nop", "cli") }
            }
            // SAFETY: the one place interrupts are let in. Idle holds no
            // borrow of the kernel here, so the handler may take its own.
            None => unsafe { core::arch::asm!("sti", "hlt", "cli") },
        }
    }
}
// ANCHOR_END: idle

// ANCHOR: sleep_wake
/// Puts the current task to sleep (the caller has queued it where it will be
/// woken) and runs someone else until it is woken.
pub fn sleep(cpu: &mut Cpu) {
    let k = cpu.kernel();
    let cur = k.current;
    k.task().state = State::Sleeping;
    k.rq.remove(cur);
    schedule(cpu);
}

pub fn wake(k: &mut Kernel, pid: Pid) {
    if k.procs.get(pid).is_some_and(|p| p.state == State::Sleeping) {
        k.rq.make_runnable(&mut k.procs, pid);
    }
}
// ANCHOR_END: sleep_wake

// ANCHOR: tick
/// Called HZ times a second by the timer.
pub fn tick(cpu: &mut Cpu, from_user: bool) {
    let k = cpu.kernel();
    k.ticks += 1;
    let now = k.ticks;
    let mut woken: Vec<Pid> = k.timers.extract_if(.., |t| t.0 <= now).map(|t| t.1).collect();
    if !k.console.is_empty() && crate::console::has_input() {
        woken.extend(k.console.take_all());
    }
    woken.into_iter().for_each(|pid| wake(k, pid));
    if !from_user {
        k.idle_ticks += 1;
        return;
    }
    k.task().ticks += 1;
    // Preemption: only from user mode, where the kernel holds nothing.
    if k.rq.tick() {
        let cur = k.current;
        k.rq.make_runnable(&mut k.procs, cur);
        schedule(cpu);
    }
}
// ANCHOR_END: tick

// ANCHOR: exit
/// Ends the current task: alone (`exit`), or with its whole thread group
/// (`exit_group`, a fatal fault). Once the group is over, its leader becomes
/// a zombie for its parent. Init's must not end: like Linux, that panics.
pub fn exit(cpu: &mut Cpu, wait_status: i32, group: bool) -> ! {
    let k = cpu.kernel();
    let tid = k.current;
    // Linux's exit_mm() leaves the dying mm loaded: a lazy-TLB reference
    // (mmgrab_lazy_tlb, enter_lazy_tlb) keeps its tables alive until the next
    // switch loads others. The last user here frees them at once, so first
    // load the kernel's own: the CPU must never walk freed tables.
    // SAFETY: the boot tables map the kernel and are never freed.
    unsafe { x86::write_cr3(boot::kernel_root()) };
    crate::event!("exit", pid = tid, status = wait_status);
    let (procs, mem, rq, futexes) = (&mut k.procs, &mut *k.mem, &mut k.rq, &mut k.futexes);
    let end = match group {
        false => clone::exit(procs, mem, rq, futexes, tid, wait_status),
        true => clone::exit_group(procs, mem, rq, futexes, tid, wait_status),
    };
    free_dead_threads(k);
    if let clone::Exit::GroupDead { leader, status } = end {
        if leader == wait::INIT {
            panic!("Attempted to kill init! exit status {status:#x}");
        }
        wait::exit(&mut k.procs, k.mem, &mut k.rq, leader, status);
    }
    schedule(cpu);
    unreachable!("a dead task was scheduled");
}
// ANCHOR_END: exit

// ANCHOR: free_dead_threads
/// Frees exited threads but the running one, still on its kernel stack (Linux
/// frees it after the switch, in finish_task_switch()). Dead leaders stay.
pub fn free_dead_threads(k: &mut Kernel) {
    trace::sync(k);
    let dead = |p: &Proc| p.state == State::Dead && p.pid != p.tgid && p.pid != k.current;
    let gone: Vec<Pid> = k.procs.iter().filter(|p| dead(p)).map(|p| p.pid).collect();
    for pid in gone {
        k.procs.remove(pid);
        k.futexes.forget(pid);
        k.timers.retain(|t| t.1 != pid);
    }
}
// ANCHOR_END: free_dead_threads

/// Kills the current task's whole thread group, as the signal `sig` would.
pub fn kill(cpu: &mut Cpu, sig: i32) -> ! {
    exit(cpu, status::signaled(sig), true)
}

// ANCHOR: kzerod
/// Small batches: kzerod runs with interrupts off, like all kernel code.
const ZERO_BATCH: usize = 16;

/// Starts the kernel thread: a task in the table with no user memory and no
/// trap frame to return to. Its first switch lands in `kzerod`.
pub fn start_kzerod(k: &mut Kernel) {
    let pid = k.procs.alloc_pid().expect("no pid for kzerod");
    let mut p = Proc::new(pid, IDLE, "kzerod");
    // SAFETY: the 64 bytes below the top are the bottom of its own kernel
    // stack, unused until it runs.
    p.saved_sp = unsafe { switch::init_stack(p.kstack.top(), kzerod as *const () as usize) };
    assert!(k.procs.insert(p).is_ok());
    crate::event!("fork", parent = IDLE, child = pid, flags = 0, frames = 0, name = "kzerod");
    k.rq.make_runnable(&mut k.procs, pid);
}

/// Zeroes freed frames while the CPU has nothing else to do, so that an
/// allocation finds a clean one. Idle wakes it when there is work.
extern "C" fn kzerod() -> ! {
    // SAFETY: its first run is an entry into the kernel: whoever switched
    // here ended its borrows first, as every switch does.
    let mut cpu = unsafe { Cpu::enter() };
    loop {
        let k = cpu.kernel();
        k.mem.zero_some(ZERO_BATCH);
        k.zeroing.push(k.current);
        sleep(&mut cpu);
    }
}
// ANCHOR_END: kzerod
