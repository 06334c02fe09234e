//! Tests for the copy-on-write piece. They run against your code with
//! `cargo test -p cow` and against the reference with `cargo test -p cow-solution`.
//!
//! The simulated CPU in `api::sim` has a TLB: loads and stores made with
//! `user_read`/`user_write` go through it, and a store to a page that is not
//! writable calls your `write_fault`, as the kernel's page-fault handler does.
//! A translation you forget to flush stays cached, as it would on hardware.

use api::sim::SimMemory;
use api::{AddressSpace, Errno, Flags, Frame, Memory};
use cow::{prepare_user_write, share_space, write_fault};

const CODE: u64 = 0x40_0000;
const DATA: u64 = 0x60_1000;
const STACK: u64 = 0x7fff_ffff_e000;

/// A process's memory: code (read-only), data and stack (writable).
fn program(mem: &mut SimMemory) -> AddressSpace {
    let mut space = AddressSpace::new(mem).unwrap();
    for (va, bytes, flags) in [
        (CODE, b"\x0f\x05code".as_slice(), Flags::empty()),
        (DATA, b"counter=1", Flags::WRITABLE | Flags::NO_EXECUTE),
        (STACK, b"stack", Flags::WRITABLE | Flags::NO_EXECUTE),
    ] {
        let f = mem.alloc().unwrap();
        mem.write(f, 0, bytes);
        space.map(mem, va, f, flags).unwrap();
    }
    space
}

fn frame(mem: &mut SimMemory, space: &AddressSpace, va: u64) -> Frame {
    space.translate(mem, va).expect("page is mapped").0
}

fn flags(mem: &mut SimMemory, space: &AddressSpace, va: u64) -> Flags {
    space.translate(mem, va).expect("page is mapped").1
}

fn store(mem: &mut SimMemory, space: &mut AddressSpace, va: u64, data: &[u8]) -> Result<(), Errno> {
    mem.user_write(space, va, data, write_fault)
}

fn load(mem: &mut SimMemory, space: &AddressSpace, va: u64, len: usize) -> Vec<u8> {
    mem.user_read(space, va, len).expect("page is mapped")
}

#[test]
fn fork_shares_every_frame_and_copies_none() {
    let mut mem = SimMemory::new(64);
    let mut parent = program(&mut mem);
    let child = share_space(&mut mem, &mut parent).unwrap();
    let (p, c) = (parent.pages(&mem), child.pages(&mem));
    assert_eq!(p.len(), 3, "the parent keeps its pages");
    assert_eq!(c.len(), 3, "the child maps every page of the parent");
    for (pp, cp) in p.iter().zip(&c) {
        assert_eq!(
            (pp.va, pp.frame),
            (cp.va, cp.frame),
            "the child must map the parent's own frame, not a copy"
        );
        assert_eq!(mem.refcount(pp.frame), 2, "a frame shared by two spaces has two references");
        assert_eq!(pp.flags, cp.flags, "both sides must see the same permissions");
    }
}

#[test]
fn writable_pages_become_read_only_and_cow_on_both_sides() {
    let mut mem = SimMemory::new(64);
    let mut parent = program(&mut mem);
    let child = share_space(&mut mem, &mut parent).unwrap();
    for space in [&parent, &child] {
        for va in [DATA, STACK] {
            let f = flags(&mut mem, space, va);
            assert!(!f.contains(Flags::WRITABLE), "{va:#x} must be read-only until someone writes");
            assert!(f.contains(Flags::COW), "{va:#x} must be marked copy-on-write");
            assert!(f.contains(Flags::NO_EXECUTE), "{va:#x} must keep its other permissions");
        }
        let code = flags(&mut mem, space, CODE);
        assert!(!code.contains(Flags::COW), "a read-only page is shared as it is, never copied");
        assert!(!code.contains(Flags::NO_EXECUTE), "code must stay executable");
    }
}

#[test]
fn parent_and_child_stay_isolated_after_writes_on_either_side() {
    for child_first in [false, true] {
        let mut mem = SimMemory::new(64);
        let mut parent = program(&mut mem);
        // The parent has used its data page, so the CPU caches a writable entry.
        store(&mut mem, &mut parent, DATA, b"counter=2").unwrap();
        let mut child = share_space(&mut mem, &mut parent).unwrap();
        let mut writes = [(&mut parent, b"parent=3".as_slice()), (&mut child, b"kid".as_slice())];
        if child_first {
            writes.reverse();
        }
        for (space, text) in writes {
            store(&mut mem, space, DATA, text).unwrap();
        }
        assert_eq!(
            load(&mut mem, &parent, DATA, 9),
            b"parent=32",
            "the parent must see only its own write (child first: {child_first})"
        );
        assert_eq!(
            load(&mut mem, &child, DATA, 9),
            b"kidnter=2",
            "the child must see only its own write (child first: {child_first})"
        );
        assert_eq!(
            load(&mut mem, &child, STACK, 5),
            b"stack",
            "a page no one wrote stays shared and intact"
        );
    }
}

#[test]
fn the_parents_cached_writable_entry_is_flushed_at_fork() {
    let mut mem = SimMemory::new(64);
    let mut parent = program(&mut mem);
    store(&mut mem, &mut parent, STACK, b"S").unwrap();
    let child = share_space(&mut mem, &mut parent).unwrap();
    assert!(
        mem.flushes.contains(&(parent.root(), STACK)),
        "the parent's stack page went from writable to read-only: its TLB entry must be flushed"
    );
    store(&mut mem, &mut parent, STACK, b"P").unwrap();
    assert_eq!(
        load(&mut mem, &child, STACK, 1),
        b"S",
        "the parent wrote through a stale TLB entry into the child's page"
    );
}

#[test]
fn a_copy_drops_one_reference_and_leaves_a_plain_writable_page() {
    let mut mem = SimMemory::new(64);
    let mut parent = program(&mut mem);
    let mut child = share_space(&mut mem, &mut parent).unwrap();
    let shared = frame(&mut mem, &parent, DATA);
    store(&mut mem, &mut child, DATA, b"mine").unwrap();
    let copy = frame(&mut mem, &child, DATA);
    assert_ne!(copy, shared, "a page still shared must be copied to a new frame");
    assert_eq!(
        mem.refcount(shared),
        1,
        "the child let go of the shared frame: its count must drop to 1"
    );
    assert_eq!(mem.refcount(copy), 1);
    let f = flags(&mut mem, &child, DATA);
    assert!(f.contains(Flags::WRITABLE), "the copy must be writable");
    assert!(!f.contains(Flags::COW), "the copy belongs to the child alone: clear its COW mark");
    assert!(f.contains(Flags::NO_EXECUTE), "the copy keeps the page's other permissions");
    assert_eq!(
        load(&mut mem, &child, DATA + 4, 5),
        b"ter=1",
        "the copy starts with the old contents"
    );
    assert!(mem.flushes.contains(&(child.root(), DATA)), "the entry changed frame: flush it");
}

#[test]
fn the_last_sharer_gets_its_page_back_without_a_copy() {
    let mut mem = SimMemory::new(64);
    let mut parent = program(&mut mem);
    let child = share_space(&mut mem, &mut parent).unwrap();
    let shared = frame(&mut mem, &parent, DATA);
    child.destroy(&mut mem);
    let free = mem.free_frames();
    store(&mut mem, &mut parent, DATA, b"alone").unwrap();
    assert_eq!(
        frame(&mut mem, &parent, DATA),
        shared,
        "no one else uses the frame: keep it, don't copy"
    );
    assert_eq!(mem.free_frames(), free, "reusing the page must not allocate");
    let f = flags(&mut mem, &parent, DATA);
    assert!(
        f.contains(Flags::WRITABLE) && !f.contains(Flags::COW),
        "the page is the parent's alone again: writable, no COW mark"
    );
}

#[test]
fn kernel_writes_break_copy_on_write_first() {
    let mut mem = SimMemory::new(64);
    let mut parent = program(&mut mem);
    let mut child = share_space(&mut mem, &mut parent).unwrap();
    // The parent reads the page first, so its TLB caches the shared frame.
    assert_eq!(load(&mut mem, &parent, DATA, 7), b"counter");
    // wait4 storing a status into the parent's memory:
    prepare_user_write(&mut mem, &mut parent, DATA + 8, 4).unwrap();
    parent
        .write_user(&mut mem, DATA + 8, b"9")
        .expect("after prepare_user_write the page must be writable");
    assert_eq!(
        load(&mut mem, &parent, DATA, 9),
        b"counter=9",
        "the parent must see the kernel's write (flush the old entry)"
    );
    assert_eq!(
        load(&mut mem, &child, DATA, 9),
        b"counter=1",
        "the kernel's write must not reach the child"
    );
    store(&mut mem, &mut child, DATA, b"c").unwrap();
    assert_eq!(
        load(&mut mem, &parent, DATA, 9),
        b"counter=9",
        "the child's write must not reach the parent"
    );
}

#[test]
fn kernel_writes_to_bad_ranges_fail_with_efault() {
    let mut mem = SimMemory::new(64);
    let mut parent = program(&mut mem);
    let _child = share_space(&mut mem, &mut parent).unwrap();
    assert_eq!(
        prepare_user_write(&mut mem, &mut parent, CODE, 4),
        Err(Errno::EFAULT),
        "code is read-only for the kernel too"
    );
    assert_eq!(
        prepare_user_write(&mut mem, &mut parent, DATA + 0x2000, 4),
        Err(Errno::EFAULT),
        "unmapped"
    );
    assert_eq!(
        prepare_user_write(&mut mem, &mut parent, DATA + 0xffe, 4),
        Err(Errno::EFAULT),
        "runs into an unmapped page"
    );
    assert_eq!(
        prepare_user_write(&mut mem, &mut parent, 0x1000, 4),
        Err(Errno::EFAULT),
        "the kernel image"
    );
    assert_eq!(
        prepare_user_write(&mut mem, &mut parent, u64::MAX - 2, 4),
        Err(Errno::EFAULT),
        "wraps around"
    );
    assert_eq!(
        prepare_user_write(&mut mem, &mut parent, STACK + 8, 0),
        Ok(()),
        "an empty range needs nothing"
    );
}

#[test]
fn read_only_pages_stay_read_only() {
    let mut mem = SimMemory::new(64);
    let mut parent = program(&mut mem);
    let mut child = share_space(&mut mem, &mut parent).unwrap();
    let code = frame(&mut mem, &parent, CODE);
    for space in [&mut parent, &mut child] {
        assert_eq!(
            store(&mut mem, space, CODE, b"hack"),
            Err(Errno::EFAULT),
            "a write to code is a segfault, not a copy"
        );
    }
    assert_eq!(
        write_fault(&mut mem, &mut child, 0x50_0000),
        Err(Errno::EFAULT),
        "a fault on an unmapped page is a segfault"
    );
    assert_eq!(frame(&mut mem, &child, CODE), code, "the code page is still shared");
    assert_eq!(mem.refcount(code), 2);
    assert!(!flags(&mut mem, &child, CODE).contains(Flags::WRITABLE));
    assert_eq!(load(&mut mem, &parent, CODE, 6), b"\x0f\x05code");
}

#[test]
fn a_failed_copy_gives_enomem_and_changes_nothing() {
    let mut mem = SimMemory::new(64);
    let mut parent = program(&mut mem);
    let mut child = share_space(&mut mem, &mut parent).unwrap();
    let shared = frame(&mut mem, &child, DATA);
    mem.leave_free(0);
    assert_eq!(
        store(&mut mem, &mut child, DATA, b"x"),
        Err(Errno::ENOMEM),
        "no frame for the copy: the process must be told"
    );
    assert_eq!(frame(&mut mem, &child, DATA), shared);
    assert_eq!(mem.refcount(shared), 2, "nothing may change when the copy fails");
    assert!(flags(&mut mem, &child, DATA).contains(Flags::COW));
    assert_eq!(load(&mut mem, &parent, DATA, 9), b"counter=1");
}

#[test]
fn fork_out_of_memory_gives_enomem_and_leaks_nothing() {
    let mut ok = 0;
    for spare in 0..12 {
        let mut mem = SimMemory::new(64);
        let mut parent = program(&mut mem);
        mem.leave_free(spare);
        match share_space(&mut mem, &mut parent) {
            Ok(child) => {
                ok += 1;
                child.destroy(&mut mem);
            }
            Err(e) => assert_eq!(e, Errno::ENOMEM, "with {spare} free frames"),
        }
        assert_eq!(
            mem.free_frames(),
            spare,
            "with {spare} free frames: every frame must come back"
        );
        for page in parent.pages(&mem) {
            assert_eq!(
                mem.refcount(page.frame),
                1,
                "with {spare} free frames: the child's references must be dropped"
            );
        }
    }
    assert!(
        ok > 0 && ok < 12,
        "some of these forks must fail for lack of page tables, and some succeed"
    );
}

/// Every frame's count must equal the number of live spaces that map it.
fn check_counts(mem: &mut SimMemory, live: &[Option<AddressSpace>], when: &str) {
    let mut users = std::collections::BTreeMap::new();
    for space in live.iter().flatten() {
        for page in space.pages(mem) {
            *users.entry(page.frame).or_insert(0u32) += 1;
        }
    }
    for (frame, n) in users {
        assert_eq!(mem.refcount(frame), n, "{frame:?} is mapped by {n} live spaces {when}");
    }
}

fn permutations(items: &[usize]) -> Vec<Vec<usize>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for (i, &first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(i);
        for mut tail in permutations(&rest) {
            tail.insert(0, first);
            out.push(tail);
        }
    }
    out
}

#[test]
fn reference_counts_stay_right_across_fork_chains_exiting_in_every_order() {
    let orders = permutations(&[0, 1, 2, 3]);
    assert_eq!(orders.len(), 24);
    for order in orders {
        let mut mem = SimMemory::new(128);
        let baseline = mem.free_frames();
        let mut p = program(&mut mem);
        let mut a = share_space(&mut mem, &mut p).unwrap(); // p forks a
        store(&mut mem, &mut a, DATA, b"a").unwrap();
        let mut b = share_space(&mut mem, &mut a).unwrap(); // a forks b
        let c = share_space(&mut mem, &mut p).unwrap(); // p forks c
        let code = frame(&mut mem, &p, CODE);
        assert_eq!(mem.refcount(code), 4, "four processes share the code page");
        store(&mut mem, &mut p, STACK, b"p").unwrap();
        store(&mut mem, &mut b, STACK, b"b").unwrap();
        assert_eq!(load(&mut mem, &c, STACK, 5), b"stack");
        assert_eq!(load(&mut mem, &b, DATA, 2), b"ao");
        let mut live = vec![Some(p), Some(a), Some(b), Some(c)];
        check_counts(&mut mem, &live, "after the forks");
        for &who in &order {
            live[who].take().unwrap().destroy(&mut mem);
            check_counts(&mut mem, &live, &format!("after {who} exits (order {order:?})"));
        }
        assert_eq!(mem.free_frames(), baseline, "exit order {order:?} leaked frames");
    }
}

#[test]
fn many_fork_exit_cycles_leak_nothing() {
    let mut mem = SimMemory::new(64);
    let mut parent = program(&mut mem);
    let baseline = mem.free_frames();
    for i in 0..200u32 {
        let mut child = share_space(&mut mem, &mut parent).unwrap();
        store(&mut mem, &mut child, DATA, &i.to_le_bytes()).unwrap();
        store(&mut mem, &mut parent, STACK, &i.to_le_bytes()).unwrap();
        child.destroy(&mut mem);
        assert_eq!(mem.free_frames(), baseline, "cycle {i}: frames leaked");
    }
    assert_eq!(load(&mut mem, &parent, DATA, 9), b"counter=1");
}
