//! cow: copy-on-write seen from user space. Boot with `cow=on`.
//!
//! - `cow isolate`: parent and child write the same variable; each keeps its own.
//! - `cow leak [N]`: N fork/exit cycles; the free-frame count must not move.
//! - `cow storm`: a child writes every page of 4 MiB it shares with its parent.
//! - `cow oom`: memory runs out while a child copies: only the child dies.
//! - `cow readonly`: a child writes to its (shared, read-only) code: SIGSEGV.
//!
//! Each mode checks itself and exits non-zero when copy-on-write is broken.
#![no_std]
#![no_main]

use core::ptr::{addr_of_mut, read_volatile, write_volatile};
use user::{Args, exit, fork, free_frames, mmap_fixed, munmap, println, sleep_ms, status, wait4};

user::main!(main);

fn main(args: Args) -> i32 {
    match args.get(1) {
        Some("isolate") => isolate(),
        Some("leak") => leak(args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1000)),
        Some("storm") => storm(),
        Some("oom") => oom(),
        Some("readonly") => readonly(),
        _ => {
            println!("usage: cow isolate | cow leak [N] | cow storm | cow oom | cow readonly");
            2
        }
    }
}

/// A variable in .data: after fork, parent and child share its page.
static mut VALUE: u64 = 1;

/// A page only the kernel writes into (wait4's status), shared with a child
/// that is still alive when the kernel writes.
#[repr(C, align(4096))]
struct Page([i32; 1024]);
static mut STATUS: Page = Page([0; 1024]);

// SAFETY (for VALUE and STATUS): one thread per process, and no reference
// to either is ever made; volatile, so each access reaches memory.
fn get() -> u64 {
    // SAFETY: see above.
    unsafe { read_volatile(addr_of_mut!(VALUE)) }
}

fn set(v: u64) {
    // SAFETY: see above.
    unsafe { write_volatile(addr_of_mut!(VALUE), v) }
}

/// Waits for `pid` and returns its exit code (or 128 + signal).
fn reap(pid: i32) -> i32 {
    let (_, st) = wait4(pid, 0);
    if status::wifexited(st) { status::wexitstatus(st) } else { 128 + status::wtermsig(st) }
}

fn isolate() -> i32 {
    set(1);
    let child = fork();
    if child == 0 {
        set(2);
        println!("cow: child wrote 2 and sees {}", get());
        sleep_ms(30);
        // The parent has written 3 by now; the child must still see its own 2.
        println!("cow: child still sees {}", get());
        exit((get() != 2) as i32);
    }
    sleep_ms(10);
    println!("cow: parent sees {} after the child's write", get());
    set(3);
    println!("cow: parent wrote 3 and sees {}", get());
    let child_ok = reap(child) == 0;

    // The kernel writes wait4's status into STATUS, a page shared with a
    // sleeper that must not see it: the kernel has to copy the page first.
    let sleeper = fork();
    if sleeper == 0 {
        sleep_ms(30);
        // SAFETY: as for VALUE.
        let seen = unsafe { read_volatile(addr_of_mut!(STATUS.0[0])) };
        println!("cow: sleeper sees status slot {seen}");
        exit((seen != 0) as i32);
    }
    let quick = fork();
    if quick == 0 {
        exit(42);
    }
    let slot = (&raw mut STATUS).cast::<i32>();
    // SAFETY: the kernel writes the 4-byte status into STATUS, as for VALUE.
    let r = unsafe { user::syscall(user::nr::WAIT4, [quick as u64, slot as u64, 0, 0]) };
    // SAFETY: as for VALUE.
    let stored = unsafe { read_volatile(slot) };
    println!(
        "cow: wait4 returned {}, stored exit status {} in a shared page",
        r == quick as i64,
        status::wexitstatus(stored)
    );
    let sleeper_ok = reap(sleeper) == 0;
    let ok = child_ok && sleeper_ok && get() == 3 && status::wexitstatus(stored) == 42;
    println!("cow: isolation {}", if ok { "holds" } else { "BROKEN" });
    (!ok) as i32
}

fn leak(n: u32) -> i32 {
    let before = free_frames();
    for i in 0..n {
        let pid = fork();
        if pid == 0 {
            set(i as u64);
            exit(0);
        }
        if pid < 0 || reap(pid) != 0 {
            println!("cow: cycle {i} failed");
            return 1;
        }
        set(i as u64);
    }
    let after = free_frames();
    println!(
        "cow: {n} fork/exit cycles; free frames before and after {}",
        if before == after { "match" } else { "DIFFER" }
    );
    println!("cow: (before {before}, after {after})");
    (before != after) as i32
}

const STORM: u64 = 0x1000_0000;
const STORM_PAGES: usize = 1024;

/// Writes `tag` and the page number into the first `pages` pages from STORM.
fn fill_n(tag: u8, pages: usize) {
    for i in 0..pages {
        let p = (STORM + (i * 4096) as u64) as *mut u64;
        // SAFETY: the mode mapped these pages first, and nothing borrows them.
        unsafe { write_volatile(p, (tag as u64) << 32 | i as u64) };
    }
}

fn fill(tag: u8) {
    fill_n(tag, STORM_PAGES)
}

/// How many pages do not hold what `fill(tag)` wrote.
fn wrong(tag: u8) -> usize {
    let word = |i: usize| {
        // SAFETY: as in `fill_n`.
        unsafe { read_volatile((STORM + (i * 4096) as u64) as *const u64) }
    };
    (0..STORM_PAGES).filter(|&i| word(i) != (tag as u64) << 32 | i as u64).count()
}

fn storm() -> i32 {
    if mmap_fixed(STORM, STORM_PAGES * 4096) < 0 {
        println!("cow: mmap failed");
        return 1;
    }
    fill(b'P');
    let child = fork();
    if child == 0 {
        let before = free_frames();
        fill(b'C');
        let copies = before - free_frames();
        fill(b'C');
        let again = before - free_frames() - copies;
        println!(
            "cow: child wrote {STORM_PAGES} shared pages: {copies} copies; writing them again: {again} more"
        );
        exit((wrong(b'C') != 0) as i32);
    }
    let child_ok = reap(child) == 0;
    let before = free_frames();
    let untouched = wrong(b'P');
    fill(b'Q');
    println!(
        "cow: parent's pages untouched by the child's writes: {}",
        if untouched == 0 { "yes" } else { "NO" }
    );
    println!(
        "cow: parent wrote its pages after the child exited: {} copies",
        before - free_frames()
    );
    let ok = child_ok && untouched == 0 && wrong(b'Q') == 0;
    // SAFETY: the storm is over; nothing points into the area.
    unsafe { munmap(STORM, STORM_PAGES * 4096) };
    (!ok) as i32
}

const MIB: usize = 1 << 20;

/// Fills memory, forks, and lets the child write everything: the copies run
/// out of frames. The kernel must kill the child (SIGKILL), not panic, and
/// the parent must carry on with all its memory intact.
fn oom() -> i32 {
    let mut mapped = 0;
    while mmap_fixed(STORM + (mapped * MIB) as u64, MIB) >= 0 {
        mapped += 1;
    }
    // Give back 1 MiB: enough for the child's page tables, not for its copies.
    mapped -= 1;
    // SAFETY: nothing has used that MiB yet.
    unsafe { munmap(STORM + (mapped * MIB) as u64, MIB) };
    let pages = mapped * MIB / 4096;
    fill_n(b'P', pages);
    let child = fork();
    if child < 0 {
        println!("cow: fork failed: {}", user::errno_name(child as i64));
        return 1;
    }
    if child == 0 {
        fill_n(b'C', pages);
        exit(0);
    }
    let how = reap(child);
    println!(
        "cow: the child writing {} MiB of shared pages ended with {}",
        mapped,
        if how == 128 + status::SIGKILL { "SIGKILL" } else { "no kill" }
    );
    let before = free_frames();
    fill_n(b'Q', pages);
    let copies = before - free_frames();
    println!("cow: the parent rewrote all its pages with {copies} copies");
    // SAFETY: done with the area; nothing points into it.
    unsafe { munmap(STORM, mapped * MIB) };
    (how != 128 + status::SIGKILL || copies != 0) as i32
}

/// Code pages are shared too, but they are not copy-on-write: they were
/// never writable, so a write to one is a bug and must stay a segfault.
fn readonly() -> i32 {
    let child = fork();
    if child == 0 {
        let code = readonly as *const () as *mut u8;
        // SAFETY: none: this write must fault, and the kernel kill the child
        // before anything can go wrong.
        unsafe { write_volatile(code, 0xc3) };
        println!("cow: the child wrote to its code?!");
        exit(0);
    }
    let how = reap(child);
    println!(
        "cow: the child that wrote to its code ended with {}",
        if how == 128 + status::SIGSEGV { "SIGSEGV" } else { "no signal" }
    );
    (how != 128 + status::SIGSEGV) as i32
}
