//! Tests for the wait piece. They run against your code with
//! `cargo test -p wait` and against the reference with `cargo test -p wait-solution`.

use api::sim::Machine;
use api::status::{SIGSEGV, exited, signaled, wexitstatus, wifexited, wifsignaled, wtermsig};
use api::{Errno, Flags, Memory, Pid, RunQueue, State};
use wait::{INIT, WNOHANG, Wait, exit, wait4};

const CODE: u64 = 0x40_0000;
const DATA: u64 = 0x60_1000;
const STACK: u64 = 0x7fff_ffff_e000;

/// A small program: code, data and a stack, each in its own page.
fn spawn(m: &mut Machine, ppid: Pid, name: &str) -> Pid {
    m.spawn(
        ppid,
        name,
        &[
            (CODE, b"\x0f\x05", Flags::empty()),
            (DATA, b"data", Flags::WRITABLE | Flags::NO_EXECUTE),
            (STACK, b"stack", Flags::WRITABLE | Flags::NO_EXECUTE),
        ],
    )
}

/// A machine with init (pid 1) already running.
fn boot() -> Machine {
    let mut m = Machine::new(256);
    let init = spawn(&mut m, 0, "init");
    assert_eq!(init, INIT, "the first task must be init");
    m
}

fn exit_(m: &mut Machine, pid: Pid, status: i32) {
    exit(&mut m.procs, &mut m.mem, &mut m.rq, pid, status);
}

/// What the kernel does when wait4 says Block: sleep on our own child_exit.
fn sleep_in_wait4(m: &mut Machine, pid: Pid) {
    let p = m.procs.get_mut(pid).unwrap();
    p.child_exit.push(pid);
    p.state = State::Sleeping;
}

fn state(m: &Machine, pid: Pid) -> State {
    m.procs.get(pid).unwrap_or_else(|| panic!("pid {pid} is not in the table")).state
}

#[test]
fn exit_frees_every_user_frame() {
    let mut m = boot();
    let before = m.mem.free_frames();
    let c = spawn(&mut m, INIT, "child");
    // One frame shared with init, as copy-on-write would leave it.
    let shared = m.pages(INIT)[1].frame;
    m.mem.incref(shared);
    m.procs
        .get_mut(c)
        .unwrap()
        .space
        .as_mut()
        .unwrap()
        .map(&mut m.mem, 0x70_0000, shared, Flags::empty())
        .unwrap();
    exit_(&mut m, c, exited(0));
    assert!(m.procs.get(c).unwrap().space.is_none(), "the zombie must not keep an address space");
    assert_eq!(
        m.mem.free_frames(),
        before,
        "every frame of the child (pages and page tables) must be freed"
    );
    assert_eq!(m.mem.refcount(shared), 1, "a shared frame loses one reference, not all");
    assert_eq!(m.read(INIT, DATA, 4).unwrap(), b"data", "the other sharer must keep its page");
}

#[test]
fn exit_leaves_a_zombie_holding_the_status() {
    let mut m = boot();
    let c = spawn(&mut m, INIT, "child");
    exit_(&mut m, c, exited(42));
    let z = m.procs.get(c).expect("a zombie stays in the table until its parent waits");
    assert_eq!(z.state, State::Zombie);
    assert_eq!(z.state.letter(), 'Z');
    assert_eq!(z.exit_status, exited(42));
    assert_eq!((z.ppid, z.name.as_str()), (INIT, "child"));
    // Time passes, other tasks come and go: the zombie waits for init.
    let other = spawn(&mut m, INIT, "other");
    exit_(&mut m, other, exited(0));
    assert_eq!(m.procs.get(c).map(|p| (p.state, p.exit_status)), Some((State::Zombie, exited(42))));
}

#[test]
fn exit_takes_the_task_off_the_run_queue() {
    let mut m = boot();
    let a = spawn(&mut m, INIT, "a");
    let b = spawn(&mut m, INIT, "b");
    m.rq.make_runnable(&mut m.procs, a);
    m.rq.make_runnable(&mut m.procs, b);
    exit_(&mut m, a, signaled(SIGSEGV));
    assert_eq!(m.rq.queue, [b], "a dead task must never be picked to run");
    assert_eq!(state(&m, a), State::Zombie);
    assert_eq!(state(&m, b), State::Runnable);
}

#[test]
fn wait4_reaps_the_zombie_and_reports_its_exit_code() {
    let mut m = boot();
    let c = spawn(&mut m, INIT, "child");
    exit_(&mut m, c, exited(3));
    let len = m.procs.len();
    let Ok(Wait::Reaped(pid, status)) = wait4(&mut m.procs, INIT, -1, 0) else {
        panic!("wait4 must reap the zombie child");
    };
    assert_eq!(pid, c);
    assert!(wifexited(status), "status {status:#x}: WIFEXITED");
    assert_eq!(wexitstatus(status), 3);
    assert!(m.procs.get(c).is_none(), "a reaped zombie must leave the task table");
    assert_eq!(m.procs.len(), len - 1);
    assert_eq!(wait4(&mut m.procs, INIT, -1, 0), Err(Errno::ECHILD), "a child is reaped only once");
}

#[test]
fn a_child_killed_by_sigsegv_is_reported_as_signaled() {
    let mut m = boot();
    let c = spawn(&mut m, INIT, "crasher");
    exit_(&mut m, c, signaled(SIGSEGV));
    let Ok(Wait::Reaped(pid, status)) = wait4(&mut m.procs, INIT, c, 0) else {
        panic!("wait4 must reap the zombie child");
    };
    assert_eq!(pid, c);
    assert!(wifsignaled(status) && !wifexited(status), "status {status:#x}: WIFSIGNALED");
    assert_eq!(wtermsig(status), 11);
}

#[test]
fn no_children_gives_echild() {
    let mut m = boot();
    assert_eq!(wait4(&mut m.procs, INIT, -1, 0), Err(Errno::ECHILD));
    assert_eq!(wait4(&mut m.procs, INIT, 0, WNOHANG), Err(Errno::ECHILD));
    assert_eq!(wait4(&mut m.procs, INIT, 7, 0), Err(Errno::ECHILD));
}

#[test]
fn someone_elses_child_gives_echild() {
    let mut m = boot();
    let p = spawn(&mut m, INIT, "parent");
    let sibling = spawn(&mut m, INIT, "sibling");
    let grandchild = spawn(&mut m, p, "grandchild");
    exit_(&mut m, grandchild, exited(5));
    exit_(&mut m, sibling, exited(6));
    for target in [grandchild, p, INIT, sibling, 99] {
        assert_eq!(
            wait4(&mut m.procs, sibling, target, WNOHANG),
            Err(Errno::ECHILD),
            "pid {target} is not a child of {sibling}"
        );
    }
    assert_eq!(
        wait4(&mut m.procs, INIT, grandchild, 0),
        Err(Errno::ECHILD),
        "a grandchild is not a child"
    );
    assert_eq!(
        wait4(&mut m.procs, grandchild, -1, 0),
        Err(Errno::ECHILD),
        "a task is not its own child"
    );
    assert_eq!(
        wait4(&mut m.procs, grandchild, grandchild, 0),
        Err(Errno::ECHILD),
        "a task is not its own child"
    );
    assert_eq!(wait4(&mut m.procs, p, sibling, 0), Err(Errno::ECHILD), "a sibling is not a child");
    assert_eq!(state(&m, grandchild), State::Zombie, "only its parent may reap a zombie");
    assert_eq!(state(&m, sibling), State::Zombie, "only its parent may reap a zombie");
    assert_eq!(wait4(&mut m.procs, p, -1, 0), Ok(Wait::Reaped(grandchild, exited(5))));
    assert_eq!(wait4(&mut m.procs, INIT, sibling, 0), Ok(Wait::Reaped(sibling, exited(6))));
}

#[test]
fn a_live_child_means_not_yet_with_wnohang_and_block_without() {
    let mut m = boot();
    let c = spawn(&mut m, INIT, "child");
    assert_eq!(wait4(&mut m.procs, INIT, -1, WNOHANG), Ok(Wait::NotYet));
    assert_eq!(wait4(&mut m.procs, INIT, c, WNOHANG), Ok(Wait::NotYet));
    assert_eq!(wait4(&mut m.procs, INIT, -1, 0), Ok(Wait::Block));
    assert_eq!(wait4(&mut m.procs, INIT, c, 0), Ok(Wait::Block));
    assert_eq!(state(&m, c), State::Running, "waiting must not touch a live child");
    exit_(&mut m, c, exited(0));
    assert_eq!(wait4(&mut m.procs, INIT, -1, WNOHANG), Ok(Wait::Reaped(c, exited(0))));
}

#[test]
fn waiting_for_one_pid_ignores_other_zombies() {
    let mut m = boot();
    let a = spawn(&mut m, INIT, "a");
    let b = spawn(&mut m, INIT, "b");
    let c = spawn(&mut m, INIT, "c");
    exit_(&mut m, a, exited(1));
    exit_(&mut m, c, exited(3));
    assert_eq!(
        wait4(&mut m.procs, INIT, b, WNOHANG),
        Ok(Wait::NotYet),
        "b is alive; a and c are not what we asked for"
    );
    assert_eq!(wait4(&mut m.procs, INIT, b, 0), Ok(Wait::Block));
    assert_eq!(wait4(&mut m.procs, INIT, c, 0), Ok(Wait::Reaped(c, exited(3))));
    assert_eq!(state(&m, a), State::Zombie, "waiting for c must leave a alone");
    assert_eq!(wait4(&mut m.procs, INIT, c, 0), Err(Errno::ECHILD), "c is gone now");
}

#[test]
fn any_child_reaps_the_lowest_pid_zombie_first() {
    let mut m = boot();
    let kids: Vec<Pid> = (0..4).map(|i| spawn(&mut m, INIT, &format!("k{i}"))).collect();
    // Exit in a scrambled order; reaping still goes by pid, so runs repeat.
    for &k in &[kids[2], kids[0], kids[3]] {
        exit_(&mut m, k, exited(k));
    }
    assert_eq!(wait4(&mut m.procs, INIT, -1, 0), Ok(Wait::Reaped(kids[0], exited(kids[0]))));
    assert_eq!(
        wait4(&mut m.procs, INIT, 0, 0),
        Ok(Wait::Reaped(kids[2], exited(kids[2]))),
        "target 0 means any child too"
    );
    assert_eq!(wait4(&mut m.procs, INIT, -1, 0), Ok(Wait::Reaped(kids[3], exited(kids[3]))));
    assert_eq!(wait4(&mut m.procs, INIT, -1, WNOHANG), Ok(Wait::NotYet), "kids[1] is still alive");
}

#[test]
fn orphans_are_handed_to_init() {
    let mut m = boot();
    let p = spawn(&mut m, INIT, "parent");
    let g1 = spawn(&mut m, p, "g1");
    let g2 = spawn(&mut m, p, "g2");
    let gg = spawn(&mut m, g1, "gg");
    exit_(&mut m, p, exited(0));
    assert_eq!(m.procs.get(g1).unwrap().ppid, INIT, "orphans must be reparented to init");
    assert_eq!(m.procs.get(g2).unwrap().ppid, INIT, "orphans must be reparented to init");
    assert_eq!(m.procs.get(gg).unwrap().ppid, g1, "only the dead task's own children move");
    assert_eq!(m.procs.children(INIT), vec![p, g1, g2]);
    assert!(m.procs.children(p).is_empty());
    // Init now reaps them like its own.
    assert_eq!(wait4(&mut m.procs, INIT, -1, 0), Ok(Wait::Reaped(p, exited(0))));
    exit_(&mut m, g2, exited(9));
    assert_eq!(wait4(&mut m.procs, INIT, g2, 0), Ok(Wait::Reaped(g2, exited(9))));
}

#[test]
fn orphaned_zombies_wake_init() {
    let mut m = boot();
    let p = spawn(&mut m, INIT, "parent");
    let a = spawn(&mut m, p, "a");
    let b = spawn(&mut m, a, "b");
    exit_(&mut m, b, exited(7));
    sleep_in_wait4(&mut m, INIT);
    // a dies without reaping b: b goes to init already a zombie.
    exit_(&mut m, a, exited(0));
    assert_eq!(m.procs.get(b).unwrap().ppid, INIT);
    assert_eq!(
        state(&m, INIT),
        State::Runnable,
        "init must be woken to reap the zombie it was handed"
    );
    assert!(m.rq.queue.contains(&INIT), "init must be on the run queue");
    assert!(m.procs.get(INIT).unwrap().child_exit.is_empty(), "waking empties the wait queue");
    assert_eq!(wait4(&mut m.procs, INIT, -1, 0), Ok(Wait::Reaped(b, exited(7))));
}

#[test]
fn exit_wakes_the_parent_sleeping_in_wait4() {
    let mut m = boot();
    let p = spawn(&mut m, INIT, "parent");
    let c = spawn(&mut m, p, "child");
    let bystander = spawn(&mut m, INIT, "bystander");
    let _ = spawn(&mut m, bystander, "its child");
    assert_eq!(wait4(&mut m.procs, p, -1, 0), Ok(Wait::Block));
    sleep_in_wait4(&mut m, p);
    sleep_in_wait4(&mut m, bystander);
    sleep_in_wait4(&mut m, INIT);
    exit_(&mut m, c, exited(4));
    assert_eq!(state(&m, p), State::Runnable, "the parent sleeping in wait4 must be woken");
    assert_eq!(m.rq.queue, [p], "the parent, and only the parent, goes on the run queue");
    assert!(m.procs.get(p).unwrap().child_exit.is_empty(), "waking empties the wait queue");
    assert_eq!(state(&m, bystander), State::Sleeping, "another task's child did not exit");
    assert_eq!(state(&m, INIT), State::Sleeping, "init has no new child to reap");
    assert_eq!(wait4(&mut m.procs, p, -1, 0), Ok(Wait::Reaped(c, exited(4))));
}

#[test]
fn many_exit_wait_cycles_leak_nothing() {
    let mut m = boot();
    let frames = m.mem.free_frames();
    // More cycles than the table has slots: an unreaped zombie would fill it.
    for i in 0..3 * api::NPROC as i32 {
        let c = spawn(&mut m, INIT, "child");
        let g = spawn(&mut m, c, "grandchild");
        exit_(&mut m, g, exited(i));
        exit_(&mut m, c, exited(i + 1));
        assert_eq!(wait4(&mut m.procs, INIT, c, 0), Ok(Wait::Reaped(c, exited(i + 1))));
        assert_eq!(wait4(&mut m.procs, INIT, -1, WNOHANG), Ok(Wait::Reaped(g, exited(i))));
    }
    assert_eq!(m.mem.free_frames(), frames, "frames leaked");
    assert_eq!(m.procs.len(), 1, "tasks leaked: only init should be left");
    assert_eq!(wait4(&mut m.procs, INIT, -1, WNOHANG), Err(Errno::ECHILD));
}

#[test]
fn bad_options_or_target_give_einval() {
    let mut m = boot();
    // Linux checks the arguments first: no children is still EINVAL.
    assert_eq!(wait4(&mut m.procs, INIT, -1, 2), Err(Errno::EINVAL), "WUNTRACED is not supported");
    assert_eq!(wait4(&mut m.procs, INIT, -2, 0), Err(Errno::EINVAL), "no process groups");
    let c = spawn(&mut m, INIT, "child");
    exit_(&mut m, c, exited(1));
    for options in [2, 8, 0x0100_0000, WNOHANG | 4, -1] {
        assert_eq!(
            wait4(&mut m.procs, INIT, -1, options),
            Err(Errno::EINVAL),
            "options {options:#x}"
        );
    }
    for target in [-2, -c, Pid::MIN] {
        assert_eq!(
            wait4(&mut m.procs, INIT, target, WNOHANG),
            Err(Errno::EINVAL),
            "target {target}"
        );
    }
    assert_eq!(state(&m, c), State::Zombie, "a failed wait4 must reap nothing");
    assert_eq!(wait4(&mut m.procs, INIT, -1, WNOHANG), Ok(Wait::Reaped(c, exited(1))));
}
