//! Tests for the fork piece. They run against your code with
//! `cargo test -p fork` and against the reference with `cargo test -p fork-solution`.

use api::sim::{Machine, SimRunQueue};
use api::{Errno, Flags, Memory, NPROC, Pid, Proc, State};
use fork::{copy_space, fork};

const CODE: u64 = 0x40_0000;
const DATA: u64 = 0x60_1000;
const STACK: u64 = 0x7fff_ffff_e000;

/// A parent with code (read-only, executable), data and a stack, like a small
/// real program, and some distinctive registers.
fn parent(m: &mut Machine) -> i32 {
    let pid = m.spawn(
        0,
        "parent",
        &[
            (CODE, b"\x0f\x05code", Flags::empty()),
            (DATA, b"counter=1", Flags::WRITABLE | Flags::NO_EXECUTE),
            (STACK, b"stack", Flags::WRITABLE | Flags::NO_EXECUTE),
        ],
    );
    let tf = &mut m.procs.get_mut(pid).unwrap().kstack.tf;
    tf.rax = 57; // fork's system call number, as on entry
    tf.rip = CODE + 2;
    tf.rsp = STACK + 0x800;
    tf.rbx = 0xb0b;
    tf.fx.0[100] = 0x42;
    pid
}

/// Forks in the simulated machine, with a kernel that has nothing to prepare.
fn fork_in(m: &mut Machine, parent: Pid) -> Result<Pid, Errno> {
    fork(&mut m.procs, &mut m.mem, &mut m.rq, parent, copy_space, &mut |_| {})
}

#[test]
fn child_sees_zero_parent_gets_child_pid() {
    let mut m = Machine::new(64);
    let p = parent(&mut m);
    let c = fork_in(&mut m, p).unwrap();
    assert_ne!(c, p, "the child needs a pid of its own");
    let child = m.procs.get(c).expect("the child is in the task table");
    assert_eq!(child.pid, c);
    assert_eq!(child.kstack.tf.rax, 0, "the child must see 0 as fork's return value");
    assert_eq!(
        m.procs.get(p).unwrap().kstack.tf.rax,
        57,
        "the parent's saved registers must not change"
    );
}

#[test]
fn child_resumes_with_the_parents_registers() {
    let mut m = Machine::new(64);
    let p = parent(&mut m);
    let c = fork_in(&mut m, p).unwrap();
    let (pt, ct) = (&m.procs.get(p).unwrap().kstack.tf, &m.procs.get(c).unwrap().kstack.tf);
    assert_eq!((ct.rip, ct.rsp, ct.rbx), (pt.rip, pt.rsp, pt.rbx));
    assert_eq!(ct.fx.0[100], 0x42, "FPU/SSE state is part of the registers");
}

#[test]
fn child_is_linked_to_its_parent_and_runnable() {
    let mut m = Machine::new(64);
    let p = parent(&mut m);
    let c = fork_in(&mut m, p).unwrap();
    let child = m.procs.get(c).unwrap();
    assert_eq!(child.ppid, p);
    assert_eq!(child.name, "parent", "the child runs the same program");
    assert_eq!(child.state, State::Runnable);
    assert_eq!(m.procs.children(p), vec![c]);
    assert_eq!(m.rq.queue, [c], "the child must be on the run queue");
}

#[test]
fn every_fork_gets_a_fresh_pid() {
    let mut m = Machine::new(128);
    let p = parent(&mut m);
    let a = fork_in(&mut m, p).unwrap();
    let b = fork_in(&mut m, p).unwrap();
    let c = fork_in(&mut m, a).unwrap();
    assert!(p < a && a < b && b < c, "pids count up: {p} {a} {b} {c}");
    assert_eq!(m.procs.get(c).unwrap().ppid, a);
}

#[test]
fn child_memory_is_a_copy_not_a_share() {
    let mut m = Machine::new(64);
    let p = parent(&mut m);
    let c = fork_in(&mut m, p).unwrap();
    assert_eq!(m.read(c, DATA, 9).unwrap(), b"counter=1");
    assert_eq!(m.read(c, STACK, 5).unwrap(), b"stack");
    m.write(c, DATA, b"counter=2").unwrap();
    assert_eq!(
        m.read(p, DATA, 9).unwrap(),
        b"counter=1",
        "a write by the child leaked into the parent"
    );
    m.write(p, STACK, b"STACK").unwrap();
    assert_eq!(
        m.read(c, STACK, 5).unwrap(),
        b"stack",
        "a write by the parent leaked into the child"
    );
    let (pp, cp) = (m.pages(p), m.pages(c));
    assert_eq!(pp.len(), cp.len());
    for (a, b) in pp.iter().zip(&cp) {
        assert_eq!(a.va, b.va);
        assert_ne!(a.frame, b.frame, "page {:#x} shares a frame", a.va);
    }
}

#[test]
fn permissions_are_copied() {
    let mut m = Machine::new(64);
    let p = parent(&mut m);
    let c = fork_in(&mut m, p).unwrap();
    let flags: Vec<_> = m
        .pages(c)
        .iter()
        .map(|pg| (pg.va, pg.flags.contains(Flags::WRITABLE), pg.flags.contains(Flags::NO_EXECUTE)))
        .collect();
    assert_eq!(flags, [(CODE, false, false), (DATA, true, true), (STACK, true, true)]);
    assert_eq!(m.write(c, CODE, b"x"), Err(Errno::EFAULT), "code must stay read-only in the child");
}

#[test]
fn full_table_gives_eagain_and_changes_nothing() {
    let mut m = Machine::new(512);
    let p = parent(&mut m);
    while m.procs.len() < NPROC {
        m.spawn(p, "filler", &[]);
    }
    let free = m.mem.free_frames();
    assert_eq!(fork_in(&mut m, p), Err(Errno::EAGAIN));
    assert_eq!(m.mem.free_frames(), free, "frames leaked by a failed fork");
    assert_eq!(m.procs.len(), NPROC);
    assert!(m.rq.queue.is_empty());
    assert_eq!(m.read(p, DATA, 9).unwrap(), b"counter=1");
}

#[test]
fn out_of_memory_gives_enomem_and_leaks_nothing() {
    // Try every point at which memory could run out during the copy.
    for left in 0..12 {
        let mut m = Machine::new(64);
        let p = parent(&mut m);
        m.mem.leave_free(left);
        match fork_in(&mut m, p) {
            Err(e) => {
                assert_eq!(e, Errno::ENOMEM, "with {left} free frames");
                assert_eq!(
                    m.mem.free_frames(),
                    left,
                    "frames leaked when fork failed with {left} free"
                );
                assert_eq!(m.procs.len(), 1, "a half-made child was left in the table");
                assert!(m.rq.queue.is_empty());
            }
            Ok(c) => assert!(left >= 4, "fork succeeded with only {left} free frames, child {c}"),
        }
        assert_eq!(m.read(p, DATA, 9).unwrap(), b"counter=1", "the parent was harmed");
    }
}

#[test]
fn copy_space_copies_every_page_into_new_frames() {
    let mut m = Machine::new(64);
    let p = parent(&mut m);
    let before = m.mem.free_frames();
    let space = m.procs.get_mut(p).unwrap().space.as_mut().unwrap();
    let copy = copy_space(&mut m.mem, space).unwrap();
    let pages = copy.pages(&m.mem);
    assert_eq!(pages.len(), 3);
    for pg in &pages {
        assert_eq!(m.mem.refcount(pg.frame), 1, "a copied frame belongs to the child alone");
    }
    copy.destroy(&mut m.mem);
    assert_eq!(m.mem.free_frames(), before, "destroying the copy must give back every frame");
}

#[test]
fn the_kernel_prepares_the_child_before_it_is_queued() {
    let mut m = Machine::new(64);
    let p = parent(&mut m);
    let mut rq = SimRunQueue::default();
    let mut seen = Vec::new();
    // What the kernel does here: build the frame the child's first context
    // switch lands on, and point its saved stack pointer at it.
    let mut prepare = |child: &mut Proc| {
        seen.push((child.pid, child.kstack.tf.rax, child.kstack.tf.rip));
        child.saved_sp = 0x5af3;
    };
    let c = fork(&mut m.procs, &mut m.mem, &mut rq, p, copy_space, &mut prepare).unwrap();
    assert_eq!(
        seen,
        [(c, 0, CODE + 2)],
        "call prepare once, with the finished child: its pid, the parent's registers, rax 0"
    );
    assert_eq!(
        rq.queued,
        [(c, Some(0x5af3))],
        "the child must be prepared before it is queued: once queued, it may be switched to"
    );
}
