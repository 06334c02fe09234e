//! Tests for the switch piece. They run against your code with
//! `cargo test -p switch` and against the reference with `cargo test -p switch-solution`.
//!
//! The `switch_to` tests switch between real stacks inside this test program,
//! and `init_stack` writes through a raw pointer. A mistake in either crashes
//! the whole process, so each of those tests runs itself again in a child
//! process (this same test binary, asked for that one test) and checks how
//! the child ended.

use api::{Pid, Proc, Procs, RunQueue, State};
use std::arch::asm;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use switch::{Scheduler, init_stack, switch_to};

// ---------------------------------------------------------------------------
// Running a test in a child process

/// Set in the child to the name of the test it should run for real.
const CHILD: &str = "SWITCH_TEST_CHILD";

/// In the test process: runs test `name` again in a child process and fails
/// unless the child passed. In that child: runs `body`.
fn in_child(name: &str, body: fn()) {
    if std::env::var(CHILD).as_deref() == Ok(name) {
        body();
        return;
    }
    // /proc/self/exe rather than current_exe(): the grader runs test
    // binaries from sealed copies in memory, which have no path.
    let mut child = Command::new("/proc/self/exe")
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start the child test process");
    // A switch_to that jumps somewhere odd may loop forever instead of crashing.
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("waiting for the child").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let out = child.wait_with_output().expect("the child's output");
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // Indented, so the child's own test report is not mistaken for this one.
    let indent = |s: &str| s.lines().map(|l| format!("  | {l}\n")).collect::<String>();
    let stub = match out.status.signal() {
        Some(4) => " (SIGILL: is switch_to still the stub's ud2?)",
        _ => "",
    };
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "the test crashed or failed in its child process ({}{stub})\nits stdout:\n{}its stderr:\n{}",
        out.status,
        indent(&stdout),
        indent(&stderr)
    );
}

// ---------------------------------------------------------------------------
// Stacks and bookkeeping for the switch_to tests

/// A stack for a second context, with its 16-byte-aligned top.
struct Stack {
    mem: Vec<u64>,
}

impl Stack {
    fn new() -> Stack {
        Stack { mem: vec![0; 32 * 1024] }
    }

    fn top(&mut self) -> u64 {
        let end = self.mem.as_mut_ptr() as u64 + 8 * self.mem.len() as u64;
        end & !15
    }
}

/// The saved stack pointer of the test's own context.
static MAIN: AtomicU64 = AtomicU64::new(0);
/// The saved stack pointers of the extra contexts.
static A: AtomicU64 = AtomicU64::new(0);
static B: AtomicU64 = AtomicU64::new(0);

/// What happened, in order. Never keep it locked across a switch.
static EVENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn log(event: &str) {
    EVENTS.lock().unwrap().push(event.to_string());
}

fn events() -> Vec<String> {
    EVENTS.lock().unwrap().clone()
}

/// Switches from the context whose pointer goes to `from` to the one saved in `to`.
fn switch_stacks(from: &AtomicU64, to: &AtomicU64) {
    // SAFETY: every context these tests switch to lives on a stack that
    // outlives the switch, and was saved by switch_to or built by init_stack.
    unsafe { switch_to(from.as_ptr(), to.load(Ordering::SeqCst)) }
}

/// Where a task's entry function starts.
fn addr(entry: extern "C" fn() -> !) -> usize {
    entry as usize
}

/// Entries must never return; a context that is finished parks here, forever
/// switched out.
fn park(me: &AtomicU64) -> ! {
    loop {
        switch_stacks(me, &MAIN);
    }
}

/// Sets rbx, rbp, r12, r13, r14 and r15 to `v` (in that order), calls
/// `switch_to(prev, next)`, and returns what those registers hold once someone
/// switches back. Only a `switch_to` that saves and restores all six gets `v` back.
fn switch_with_registers(prev: &AtomicU64, next: &AtomicU64, v: [u64; 6]) -> [u64; 6] {
    let (rbx, rbp, r12, r13, r14, r15): (u64, u64, u64, u64, u64, u64);
    // SAFETY: rbx and rbp cannot be asm operands (the compiler reserves them),
    // so they are kept on the stack around the call; everything else a call
    // may clobber is declared by clobber_abi.
    unsafe {
        asm!(
            "push rbx",
            "push rbp",
            "mov rbx, rax",
            "mov rbp, rdx",
            "call rcx",
            "mov rax, rbx",
            "mov rdx, rbp",
            "pop rbp",
            "pop rbx",
            inout("rax") v[0] => rbx,
            inout("rdx") v[1] => rbp,
            in("rcx") switch_to as unsafe extern "C" fn(*mut u64, u64) as usize,
            inout("r12") v[2] => r12,
            inout("r13") v[3] => r13,
            inout("r14") v[4] => r14,
            inout("r15") v[5] => r15,
            in("rdi") prev.as_ptr(),
            in("rsi") next.load(Ordering::SeqCst),
            clobber_abi("C"),
        );
    }
    [rbx, rbp, r12, r13, r14, r15]
}

// ---------------------------------------------------------------------------
// switch_to and init_stack

extern "C" fn ping_pong_entry() -> ! {
    for i in 0..3 {
        log(&format!("task {i}"));
        switch_stacks(&A, &MAIN);
    }
    log("task done");
    park(&A)
}

#[test]
fn ping_pong_switches_back_and_forth_in_order() {
    in_child("ping_pong_switches_back_and_forth_in_order", || {
        let mut stack = Stack::new();
        // SAFETY: the stack is ours and stays alive until the end of the test.
        A.store(unsafe { init_stack(stack.top(), addr(ping_pong_entry)) }, Ordering::SeqCst);
        for i in 0..4 {
            log(&format!("main {i}"));
            switch_stacks(&MAIN, &A);
        }
        assert_eq!(
            events(),
            ["main 0", "task 0", "main 1", "task 1", "main 2", "task 2", "main 3", "task done"],
            "each switch must resume the other side where it stopped"
        );
        drop(stack);
    });
}

extern "C" fn ring_a() -> ! {
    for i in 0..2 {
        log(&format!("a{i}"));
        switch_stacks(&A, &B);
    }
    park(&A)
}

extern "C" fn ring_b() -> ! {
    for i in 0..2 {
        log(&format!("b{i}"));
        switch_stacks(&B, &MAIN);
    }
    park(&B)
}

#[test]
fn three_stacks_take_turns_in_a_ring() {
    in_child("three_stacks_take_turns_in_a_ring", || {
        let (mut sa, mut sb) = (Stack::new(), Stack::new());
        // SAFETY: both stacks are ours and stay alive until the end of the test.
        unsafe {
            A.store(init_stack(sa.top(), addr(ring_a)), Ordering::SeqCst);
            B.store(init_stack(sb.top(), addr(ring_b)), Ordering::SeqCst);
        }
        for i in 0..2 {
            log(&format!("main{i}"));
            // main -> a -> b -> main: b is first entered from a, not from main.
            switch_stacks(&MAIN, &A);
        }
        assert_eq!(events(), ["main0", "a0", "b0", "main1", "a1", "b1"]);
        drop((sa, sb));
    });
}

const MAIN_REGS: [u64; 6] =
    [0x1111_0000_0000_00b0, 0x2222_0000_0000_00b9, 0x1212, 0x1313, 0x1414, 0x1515];
const TASK_REGS: [u64; 6] =
    [0xdead_0000_0000_0b0b, 0xdead_0000_0000_0b9b, 0xd12, 0xd13, 0xd14, 0xd15];
/// What the task saw in its registers each time it got the CPU back.
static TASK_SAW: Mutex<Vec<[u64; 6]>> = Mutex::new(Vec::new());

extern "C" fn clobbering_task() -> ! {
    let mut round = 0;
    loop {
        // Fill every callee-saved register with junk before switching back,
        // so a register switch_to forgets shows up on the other side.
        let v = TASK_REGS.map(|r| r + round);
        let seen = switch_with_registers(&A, &MAIN, v);
        TASK_SAW.lock().unwrap().push(seen.map(|r| r - round));
        round += 1;
    }
}

#[test]
fn callee_saved_registers_survive_a_switch() {
    in_child("callee_saved_registers_survive_a_switch", || {
        let mut stack = Stack::new();
        // SAFETY: the stack is ours and stays alive until the end of the test.
        A.store(unsafe { init_stack(stack.top(), addr(clobbering_task)) }, Ordering::SeqCst);
        let names = ["rbx", "rbp", "r12", "r13", "r14", "r15"];
        for round in 0..3 {
            let v = MAIN_REGS.map(|r| r + round);
            let got = switch_with_registers(&MAIN, &A, v);
            for i in 0..6 {
                assert_eq!(
                    got[i], v[i],
                    "{} changed across switch_to (round {round}): saved and restored?",
                    names[i]
                );
            }
        }
        let saw = TASK_SAW.lock().unwrap().clone();
        assert_eq!(saw, [TASK_REGS, TASK_REGS], "the task's own registers must survive too");
        drop(stack);
    });
}

/// The stack pointer and the word on top of the stack when the entry began.
static ENTRY_RSP: AtomicU64 = AtomicU64::new(0);
static ENTRY_RET: AtomicU64 = AtomicU64::new(u64::MAX);

/// Records rsp and [rsp] before any prologue can change them.
#[unsafe(naked)]
extern "C" fn recording_entry() -> ! {
    std::arch::naked_asm!(
        "mov [rip + {rsp}], rsp",
        "mov rax, [rsp]",
        "mov [rip + {ret}], rax",
        "jmp {rest}",
        rsp = sym ENTRY_RSP,
        ret = sym ENTRY_RET,
        rest = sym recording_entry_rest,
    )
}

extern "C" fn recording_entry_rest() -> ! {
    log("entry ran");
    park(&A)
}

#[test]
fn new_task_starts_at_entry_like_a_called_function() {
    in_child("new_task_starts_at_entry_like_a_called_function", || {
        let mut stack = Stack::new();
        let top = stack.top();
        // SAFETY: the stack is ours and stays alive until the end of the test.
        A.store(unsafe { init_stack(top, addr(recording_entry)) }, Ordering::SeqCst);
        switch_stacks(&MAIN, &A);
        assert_eq!(events(), ["entry ran"], "switch_to into a fresh stack must start its entry");
        let rsp = ENTRY_RSP.load(Ordering::SeqCst);
        assert_eq!(rsp % 16, 8, "entry must begin with rsp % 16 == 8, like any called function");
        assert_eq!(rsp, top - 8, "entry must begin just below the top, on its fake return address");
        assert_eq!(ENTRY_RET.load(Ordering::SeqCst), 0, "the fake return address must be 0");
        drop(stack);
    });
}

/// The registers the hand-built frame's entry found: rbx, rbp, r12..r15.
static POPPED: Mutex<[u64; 6]> = Mutex::new([0; 6]);
/// The first seven words of the frame switch_to saved for the test's own context.
static PUSHED: Mutex<[u64; 7]> = Mutex::new([0; 7]);

#[unsafe(naked)]
extern "C" fn frame_entry() -> ! {
    std::arch::naked_asm!(
        // Six registers as arguments: rdi, rsi, rdx, rcx, r8, r9.
        "mov rdi, rbx",
        "mov rsi, rbp",
        "mov rdx, r12",
        "mov rcx, r13",
        "mov r8, r14",
        "mov r9, r15",
        "jmp {rest}",
        rest = sym frame_entry_rest,
    )
}

extern "C" fn frame_entry_rest(rbx: u64, rbp: u64, r12: u64, r13: u64, r14: u64, r15: u64) -> ! {
    *POPPED.lock().unwrap() = [rbx, rbp, r12, r13, r14, r15];
    // The test's context is switched out right now: read the frame it left.
    let sp = MAIN.load(Ordering::SeqCst) as *const [u64; 7];
    // SAFETY: MAIN points into the test thread's stack, which is frozen in switch_to.
    *PUSHED.lock().unwrap() = unsafe { sp.read() };
    park(&A)
}

#[test]
fn switch_to_uses_the_documented_frame_layout() {
    in_child("switch_to_uses_the_documented_frame_layout", || {
        let mut stack = Stack::new();
        let top = stack.top();
        // A frame built by hand, lowest address first: r15, r14, r13, r12,
        // rbx, rbp, where to return, the entry's own return address.
        let frame = [0xf15, 0xf14, 0xf13, 0xf12, 0xfb0, 0xfb9, addr(frame_entry) as u64, 0];
        let sp = top - 64;
        // SAFETY: the 64 bytes below top are inside our stack.
        unsafe { (sp as *mut [u64; 8]).write(frame) };
        A.store(sp, Ordering::SeqCst);
        let mine = [0xab0, 0xab9, 0xa12, 0xa13, 0xa14, 0xa15];
        switch_with_registers(&MAIN, &A, mine);
        assert_eq!(
            *POPPED.lock().unwrap(),
            [0xfb0, 0xfb9, 0xf12, 0xf13, 0xf14, 0xf15],
            "switch_to must pop r15, r14, r13, r12, rbx, rbp from the lowest address up (rbx, rbp, r12..r15 shown)"
        );
        let pushed = *PUSHED.lock().unwrap();
        assert_eq!(
            pushed[..6],
            [0xa15, 0xa14, 0xa13, 0xa12, 0xab0, 0xab9],
            "the saved frame must hold r15, r14, r13, r12, rbx, rbp from the saved rsp up"
        );
        drop(stack);
    });
}

#[test]
fn init_stack_writes_exactly_eight_words_below_top() {
    // In a child too: init_stack writes through a raw pointer.
    in_child("init_stack_writes_exactly_eight_words_below_top", || {
        #[repr(C, align(16))]
        struct Words([u64; 32]);
        const CANARY: u64 = 0xcafe_f00d_cafe_f00d;
        let mut w = Words([CANARY; 32]);
        let base = w.0.as_mut_ptr() as u64;
        let top = base + 8 * 24;
        let entry = addr(ping_pong_entry);
        // SAFETY: the 8 words below top are inside `w`.
        let sp = unsafe { init_stack(top, entry) };
        assert_eq!(sp, top - 64, "the frame is exactly 8 words");
        assert_eq!(
            w.0[16..24],
            [0, 0, 0, 0, 0, 0, entry as u64, 0],
            "six zero registers, entry, a zero return address"
        );
        for (i, &word) in w.0.iter().enumerate() {
            if !(16..24).contains(&i) {
                assert_eq!(word, CANARY, "word {i} is outside the frame but was written");
            }
        }
    });
}

// ---------------------------------------------------------------------------
// The scheduler

/// A task table with tasks 1..=n, all sleeping.
fn table(n: usize) -> Procs {
    let mut procs = Procs::new();
    for _ in 0..n {
        let pid = procs.alloc_pid().unwrap();
        let mut p = Proc::new(pid, 0, "task");
        p.state = State::Sleeping;
        assert!(procs.insert(p).is_ok());
    }
    procs
}

fn state(procs: &Procs, pid: Pid) -> State {
    procs.get(pid).unwrap().state
}

#[test]
fn runs_tasks_in_fifo_order_and_marks_them_running() {
    let mut procs = table(3);
    let mut s = Scheduler::new(3);
    for pid in [2, 3, 1] {
        s.make_runnable(&mut procs, pid);
        assert_eq!(state(&procs, pid), State::Runnable, "make_runnable must set the state");
    }
    assert_eq!(s.pick_next(&mut procs), Some(2));
    assert_eq!(state(&procs, 2), State::Running, "the picked task is the one on the CPU");
    assert_eq!(
        (state(&procs, 3), state(&procs, 1)),
        (State::Runnable, State::Runnable),
        "the others still wait"
    );
    assert_eq!(s.pick_next(&mut procs), Some(3));
    assert_eq!(s.pick_next(&mut procs), Some(1));
    assert_eq!(s.pick_next(&mut procs), None, "nothing left: the kernel runs idle");
}

#[test]
fn queueing_twice_does_not_run_twice() {
    let mut procs = table(3);
    let mut s = Scheduler::new(3);
    s.make_runnable(&mut procs, 1);
    s.make_runnable(&mut procs, 2);
    s.make_runnable(&mut procs, 1);
    // 3 was queued, fell asleep while waiting, and is woken again: it keeps its one place.
    s.make_runnable(&mut procs, 3);
    procs.get_mut(3).unwrap().state = State::Sleeping;
    s.make_runnable(&mut procs, 3);
    // Every task is preempted as soon as it runs, and queued again.
    let mut picks = Vec::new();
    for _ in 0..9 {
        let pid = s.pick_next(&mut procs).expect("three tasks want the CPU");
        picks.push(pid);
        s.make_runnable(&mut procs, pid);
    }
    assert_eq!(picks, [1, 2, 3, 1, 2, 3, 1, 2, 3], "each task must get one turn per round");
}

#[test]
fn pick_next_skips_exited_and_sleeping_tasks() {
    let mut procs = table(4);
    let mut s = Scheduler::new(3);
    for pid in 1..=4 {
        s.make_runnable(&mut procs, pid);
    }
    // While queued: 1 exited, 2 fell asleep, 3 exited and was reaped.
    procs.get_mut(1).unwrap().state = State::Zombie;
    procs.get_mut(2).unwrap().state = State::Sleeping;
    procs.remove(3).unwrap();
    assert_eq!(s.pick_next(&mut procs), Some(4), "only 4 can still run");
    assert_eq!(s.pick_next(&mut procs), None);
    assert_eq!(
        (state(&procs, 1), state(&procs, 2)),
        (State::Zombie, State::Sleeping),
        "skipping must not change a task's state"
    );
}

#[test]
fn remove_forgets_a_task_and_empty_means_idle() {
    let mut procs = table(3);
    let mut s = Scheduler::new(3);
    assert_eq!(s.pick_next(&mut procs), None, "a new scheduler has nothing to run");
    for pid in 1..=3 {
        s.make_runnable(&mut procs, pid);
    }
    s.remove(2);
    s.remove(7); // not queued: nothing to do
    assert_eq!(s.pick_next(&mut procs), Some(1));
    assert_eq!(s.pick_next(&mut procs), Some(3), "2 was removed");
    assert_eq!(s.pick_next(&mut procs), None);
}

#[test]
fn tick_ends_the_slice_every_slice_ticks() {
    let mut procs = table(1);
    let mut s = Scheduler::new(3);
    s.make_runnable(&mut procs, 1);
    assert_eq!(s.pick_next(&mut procs), Some(1));
    let ticks: Vec<bool> = (0..9).map(|_| s.tick()).collect();
    assert_eq!(
        ticks,
        [false, false, true, false, false, true, false, false, true],
        "a slice is 3 ticks"
    );
    let mut one = Scheduler::new(1);
    assert!((0..4).all(|_| one.tick()), "with 1-tick slices every tick ends a slice");
}

#[test]
fn pick_next_starts_a_fresh_slice() {
    let mut procs = table(2);
    let mut s = Scheduler::new(3);
    s.make_runnable(&mut procs, 1);
    s.make_runnable(&mut procs, 2);
    assert_eq!(s.pick_next(&mut procs), Some(1));
    assert_eq!((s.tick(), s.tick()), (false, false));
    // 1 sleeps two ticks into its slice; 2 gets a whole slice of its own.
    procs.get_mut(1).unwrap().state = State::Sleeping;
    assert_eq!(s.pick_next(&mut procs), Some(2));
    let ticks: Vec<bool> = (0..3).map(|_| s.tick()).collect();
    assert_eq!(ticks, [false, false, true], "the slice starts again at every pick_next");
}

#[test]
fn woken_sleeper_runs_again() {
    let mut procs = table(2);
    let mut s = Scheduler::new(3);
    s.make_runnable(&mut procs, 1);
    s.make_runnable(&mut procs, 2);
    assert_eq!(s.pick_next(&mut procs), Some(1));
    // 1 waits for an event, as wait4 does.
    procs.get_mut(1).unwrap().state = State::Sleeping;
    s.remove(1);
    assert_eq!(s.pick_next(&mut procs), Some(2));
    // 2 wakes 1 up, then 2's slice runs out.
    s.make_runnable(&mut procs, 1);
    assert_eq!(state(&procs, 1), State::Runnable);
    s.make_runnable(&mut procs, 2);
    assert_eq!(s.pick_next(&mut procs), Some(1), "the woken task is back in line");
    assert_eq!(s.pick_next(&mut procs), Some(2));
    assert_eq!(s.pick_next(&mut procs), None);
}

#[test]
fn cpu_bound_tasks_alternate_each_slice() {
    let mut procs = table(2);
    let mut s = Scheduler::new(2);
    s.make_runnable(&mut procs, 1);
    s.make_runnable(&mut procs, 2);
    let mut current = s.pick_next(&mut procs).unwrap();
    let mut ran = Vec::new();
    for _ in 0..12 {
        ran.push(current);
        // What the kernel's timer interrupt does: preempt when the slice is over.
        if s.tick() {
            s.make_runnable(&mut procs, current);
            current = s.pick_next(&mut procs).unwrap();
        }
    }
    assert_eq!(
        ran,
        [1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2],
        "two busy tasks share the CPU slice by slice"
    );
    assert_eq!(state(&procs, current), State::Running);
    let other = 3 - current;
    assert_eq!(state(&procs, other), State::Runnable);
}
