//! The drills' solvers against reality.
//!
//! - fork-tree: each generated problem becomes real processes on this
//!   machine, driven step by step; after every step the tree in /proc must
//!   be the solver's.
//! - wait-order: each generated program runs for real, freely (every order
//!   seen must be in the solver's set) and replayed in orders taken from
//!   the set (the real processes must be able to print them: an order that
//!   happens-before forbids would stall, and fail).
//! - cow: each generated sequence runs through the reference cow piece on
//!   the simulated machine; copies and reference counts must match.
//!
//! It runs without libtest's threads (`harness = false`): every fork here
//! happens in a single-threaded process. `DRILL_SEEDS=N` sets the number of
//! seeds per kind (default 200).

use drill::{cow, fork_tree, wait_order};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, pipe, read, setpgid, write};
use std::collections::BTreeMap;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

/// How long to wait for a step of a real program before calling it stuck.
/// Generous: a loaded machine is slow, and a correct run never waits this long.
const STUCK: Duration = Duration::from_secs(20);

fn main() {
    // Orphans of the real programs come back to this process, not to the
    // machine's init, which (in a container) may never reap them.
    nix::sys::prctl::set_child_subreaper(true).expect("PR_SET_CHILD_SUBREAPER");
    let seeds: u64 = std::env::var("DRILL_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let mut failed = false;
    for (name, check) in [
        (
            "fork-tree: the tree in /proc is the solver's after every step",
            fork_trees as fn(u64) -> Result<String, String>,
        ),
        (
            "wait-order: Linux prints only orders of the solver's set, and every replayed one",
            wait_orders,
        ),
        ("cow: the reference piece copies and counts as the solver says", cows),
    ] {
        let start = Instant::now();
        match check(seeds) {
            Ok(note) => println!(
                "ok   {name} ({seeds} seeds, {:.1} s; {note})",
                start.elapsed().as_secs_f64()
            ),
            Err(e) => {
                failed = true;
                println!("FAIL {name}:\n{e}");
            }
        }
    }
    std::process::exit(i32::from(failed));
}

/// The child side of a fork here: run `f`, then leave without running any
/// of the parent's exit handlers or destructors.
fn child(f: impl FnOnce()) -> ! {
    f();
    unsafe { nix::libc::_exit(0) }
}

fn fork_or_die() -> ForkResult {
    // Single-threaded (harness = false), so the child may do anything.
    unsafe { fork() }.expect("fork")
}

/// Reads exactly `buf.len()` bytes, or fails after `STUCK`.
fn read_exact(fd: &OwnedFd, buf: &mut [u8]) -> Result<(), String> {
    let deadline = Instant::now() + STUCK;
    let mut got = 0;
    while got < buf.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        let timeout = PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX);
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, timeout).map_err(|e| e.to_string())? == 0 {
            return Err(format!("stuck: nothing to read for {} s", STUCK.as_secs()));
        }
        match read(fd, &mut buf[got..]) {
            Ok(0) => return Err("the other side closed the pipe".into()),
            Ok(n) => got += n,
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(())
}

fn send(fd: &OwnedFd, bytes: &[u8]) {
    write(fd, bytes).expect("write to a pipe");
}

/// Reaps every child that has exited, without blocking.
fn reap_all() {
    while let Ok(s) = waitpid(None, Some(WaitPidFlag::WNOHANG)) {
        if s == WaitStatus::StillAlive {
            break;
        }
    }
}

// ---------------------------------------------------------------- fork-tree

/// A process's state letter and parent pid, from /proc/PID/stat; None once
/// it has been reaped.
fn proc_stat(pid: Pid) -> Option<(char, i32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces.
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split(' ');
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Commands to the processes of a fork-tree run, two bytes each.
const FORK: u8 = b'f';
const EXIT: u8 = b'x';
const REAP: u8 = b'r';

/// One process of the tree: obeys the commands on its own pipe. Acks go to
/// `ack`: `[b'h', index, pid(4 bytes)]` from a new process, `[b'd', 0..]` when
/// a command is done.
fn obey(me: usize, ctl: &[(OwnedFd, OwnedFd)], ack: &OwnedFd) -> ! {
    let pid = nix::unistd::getpid().as_raw().to_le_bytes();
    send(ack, &[b'h', me as u8, pid[0], pid[1], pid[2], pid[3]]);
    loop {
        let mut cmd = [0u8; 2];
        if read_exact(&ctl[me].0, &mut cmd).is_err() {
            child(|| {});
        }
        match cmd[0] {
            FORK => {
                if let ForkResult::Child = fork_or_die() {
                    obey(cmd[1] as usize, ctl, ack);
                }
            }
            EXIT => child(|| {}),
            REAP => reap_all(),
            _ => unreachable!("unknown command"),
        }
        send(ack, &[b'd', 0, 0, 0, 0, 0]);
    }
}

fn fork_trees(seeds: u64) -> Result<String, String> {
    let mut steps = 0;
    for seed in 0..seeds {
        let actions = fork_tree::generate(seed);
        steps += actions.len();
        fork_tree_run(&actions).map_err(|e| format!("seed {seed}: {e}"))?;
    }
    Ok(format!("{steps} steps compared"))
}

fn fork_tree_run(actions: &[fork_tree::Action]) -> Result<(), String> {
    // Index 0 is init; the others in order of their first appearance.
    let mut names = vec![fork_tree::INIT.to_string()];
    for a in actions {
        if let fork_tree::Action::Fork { child, .. } = a {
            names.push(child.clone());
        }
    }
    let index = |n: &str| names.iter().position(|m| m == n).expect("a named process");
    let ctl: Vec<(OwnedFd, OwnedFd)> = (0..names.len()).map(|_| pipe().expect("pipe")).collect();
    let (ack_r, ack_w) = pipe().expect("pipe");
    if let ForkResult::Child = fork_or_die() {
        // Init's part: orphans come to it, as to pid 1.
        nix::sys::prctl::set_child_subreaper(true).expect("subreaper");
        obey(0, &ctl, &ack_w);
    }
    let mut pids: BTreeMap<usize, Pid> = BTreeMap::new();
    // Reads one ack; a new process's hello records its pid.
    let ack = |pids: &mut BTreeMap<usize, Pid>| -> Result<u8, String> {
        let mut m = [0u8; 6];
        read_exact(&ack_r, &mut m)?;
        if m[0] == b'h' {
            pids.insert(m[1] as usize, Pid::from_raw(i32::from_le_bytes([m[2], m[3], m[4], m[5]])));
        }
        Ok(m[0])
    };
    ack(&mut pids)?;
    let init = pids[&0];
    let mut tree = fork_tree::Tree::new();
    let mut result = Ok(());
    for a in actions {
        let step = match a {
            fork_tree::Action::Fork { parent, child } => {
                send(&ctl[index(parent)].1, &[FORK, index(child) as u8]);
                // The child's hello and the parent's done, in either order.
                ack(&mut pids).and_then(|_| ack(&mut pids)).map(|_| ())
            }
            fork_tree::Action::Exit(who) => {
                send(&ctl[index(who)].1, &[EXIT, 0]);
                // The exit is over (children reparented) once it is a zombie;
                // then init reaps whatever died among its children.
                wait_until(|| proc_stat(pids[&index(who)]).is_none_or(|(s, _)| s == 'Z')).and_then(
                    |()| {
                        send(&ctl[0].1, &[REAP, 0]);
                        ack(&mut pids).map(|_| ())
                    },
                )
            }
        };
        fork_tree::apply(&mut tree, a).expect("generated actions are valid");
        result = step.and_then(|()| compare(&tree, &names, &pids, init));
        if let Err(e) = result {
            result = Err(format!("after `{a}`: {e}"));
            break;
        }
    }
    // Everyone still running exits; once all are init's zombies, init
    // reaps them and exits too.
    for (i, pid) in &pids {
        if *i != 0 && proc_stat(*pid).is_some_and(|(s, _)| s != 'Z') {
            send(&ctl[*i].1, &[EXIT, 0]);
        }
    }
    let others: Vec<Pid> = pids.values().copied().filter(|p| *p != init).collect();
    let all_dead = wait_until(|| {
        others
            .iter()
            .all(|p| proc_stat(*p).is_none_or(|(s, ppid)| s == 'Z' && ppid == init.as_raw()))
    });
    send(&ctl[0].1, &[REAP, 0]);
    let _ = ack(&mut pids);
    send(&ctl[0].1, &[EXIT, 0]);
    waitpid(init, None).map_err(|e| e.to_string())?;
    result.and(all_dead)
}

fn wait_until(mut done: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + STUCK;
    while !done() {
        if Instant::now() > deadline {
            return Err(format!("stuck for {} s", STUCK.as_secs()));
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok(())
}

/// The real tree, from /proc, against the solver's.
fn compare(
    tree: &fork_tree::Tree,
    names: &[String],
    pids: &BTreeMap<usize, Pid>,
    init: Pid,
) -> Result<(), String> {
    let name_of = |raw: i32| {
        if raw == init.as_raw() {
            return fork_tree::INIT.to_string();
        }
        pids.iter()
            .find(|(_, p)| p.as_raw() == raw)
            .map_or(format!("pid {raw}"), |(i, _)| names[*i].clone())
    };
    for (i, pid) in pids.iter().filter(|(i, _)| **i != 0) {
        let real = proc_stat(*pid)
            .map(|(state, ppid)| fork_tree::Node { parent: name_of(ppid), zombie: state == 'Z' });
        let solver = tree.get(&names[*i]).cloned();
        if real != solver {
            return Err(format!(
                "{}: Linux says {real:?}, the solver says {solver:?}\nsolver's tree:\n{}",
                names[*i],
                fork_tree::draw(tree)
            ));
        }
    }
    Ok(())
}

// --------------------------------------------------------------- wait-order

/// How many free runs of each program.
const FREE_RUNS: usize = 6;
/// How many orders of each program's set are replayed.
const REPLAYS: usize = 3;

fn wait_orders(seeds: u64) -> Result<String, String> {
    let (mut seen, mut possible) = (0, 0);
    for seed in 0..seeds {
        let program = wait_order::generate(seed);
        let orders = wait_order::all_orders(&program);
        possible += orders.len();
        let mut distinct = std::collections::BTreeSet::new();
        for run in 0..FREE_RUNS {
            let out = run_program(&program, Gate::Free(seed * 1000 + run as u64))
                .map_err(|e| format!("seed {seed}: {e}"))?;
            if !orders.contains(&out) {
                return Err(format!(
                    "seed {seed}: Linux printed {out}, which the solver says is impossible\n{}possible: {orders:?}",
                    wait_order::render(&program)
                ));
            }
            distinct.insert(out);
        }
        seen += distinct.len();
        let list: Vec<&String> = orders.iter().collect();
        for k in 0..REPLAYS.min(list.len()) {
            let want = list[(k * 7919 + seed as usize) % list.len()];
            let out = run_program(&program, Gate::Replay(want)).map_err(|e| {
                format!(
                    "seed {seed}: the solver's order {want} cannot be replayed: {e}\n{}",
                    wait_order::render(&program)
                )
            })?;
            if out != *want {
                return Err(format!("seed {seed}: replaying {want} printed {out}"));
            }
        }
    }
    Ok(format!("{seen} distinct orders seen in free runs, of {possible} possible"))
}

enum Gate<'a> {
    /// Run freely, with pauses chosen by this seed to vary the interleaving.
    Free(u64),
    /// Let each print happen only when its turn in this order comes.
    Replay(&'a str),
}

/// Runs the program for real: one process per process of the program, the
/// prints written to one pipe. Returns what was printed, in order.
fn run_program(program: &wait_order::Program, gate: Gate) -> Result<String, String> {
    let n = program.processes();
    let gates: Vec<(OwnedFd, OwnedFd)> = (0..n).map(|_| pipe().expect("pipe")).collect();
    let (out_r, out_w) = pipe().expect("pipe");
    let (gated, jitter) = match gate {
        Gate::Free(seed) => (false, seed),
        Gate::Replay(_) => (true, 0),
    };
    let main = match fork_or_die() {
        ForkResult::Child => child(|| {
            // Its own process group, so a stuck run can be killed whole.
            let _ = setpgid(Pid::from_raw(0), Pid::from_raw(0));
            let mut rng = drill::rng::Rng::new(jitter);
            execute(&program.main, 0, &gates, &out_w, gated, &mut rng);
        }),
        ForkResult::Parent { child } => child,
    };
    drop(out_w);
    let labels = program.labels().len();
    let mut printed = String::new();
    let result = match gate {
        Gate::Free(_) => {
            let mut buf = vec![0u8; labels];
            read_exact(&out_r, &mut buf).map(|()| printed.extend(buf.iter().map(|&b| b as char)))
        }
        Gate::Replay(order) => order.chars().try_for_each(|label| {
            send(&gates[program.owner(label)].1, b"g");
            let mut b = [0u8];
            read_exact(&out_r, &mut b)
                .map_err(|e| format!("{e} after {printed:?}, waiting for {label}"))?;
            printed.push(b[0] as char);
            Ok(())
        }),
    };
    if result.is_err() {
        let _ = kill(Pid::from_raw(-main.as_raw()), Signal::SIGKILL);
    }
    // Wait until every process of the run is gone: they all hold the pipe.
    let mut rest = Vec::new();
    loop {
        let mut b = [0u8; 64];
        match read(&out_r, &mut b) {
            Ok(0) => break,
            Ok(k) => rest.extend_from_slice(&b[..k]),
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    waitpid(main, None).map_err(|e| e.to_string())?;
    reap_all();
    result?;
    if !rest.is_empty() {
        return Err(format!(
            "printed more than the program's labels: {printed}{}",
            String::from_utf8_lossy(&rest)
        ));
    }
    Ok(printed)
}

/// The statements of one process, for real.
fn execute(
    body: &[wait_order::Stmt],
    me: usize,
    gates: &[(OwnedFd, OwnedFd)],
    out: &OwnedFd,
    gated: bool,
    rng: &mut drill::rng::Rng,
) {
    let mut kids: BTreeMap<usize, Pid> = BTreeMap::new();
    for s in body {
        match s {
            wait_order::Stmt::Print(label) => {
                if gated {
                    let mut g = [0u8];
                    if read_exact(&gates[me].0, &mut g).is_err() {
                        return;
                    }
                } else {
                    pause(rng);
                }
                send(out, &[*label as u8]);
            }
            wait_order::Stmt::Fork { child: c, body } => match fork_or_die() {
                ForkResult::Child => {
                    let mut rng = drill::rng::Rng::new(rng.next_u64());
                    child(|| execute(body, *c, gates, out, gated, &mut rng))
                }
                ForkResult::Parent { child } => {
                    kids.insert(*c, child);
                }
            },
            wait_order::Stmt::Wait(c) => {
                waitpid(kids[c], None).expect("waitpid of our own child");
            }
        }
    }
}

/// Nothing, a yield, or a short sleep: lets other processes get ahead.
fn pause(rng: &mut drill::rng::Rng) {
    match rng.below(4) {
        0 => {}
        1 => std::thread::yield_now(),
        _ => std::thread::sleep(Duration::from_micros(rng.below(300) as u64)),
    }
}

// ---------------------------------------------------------------------- cow

fn cows(seeds: u64) -> Result<String, String> {
    use api::sim::Machine;
    use api::{Flags, Memory};
    let mut copies = 0;
    for seed in 0..seeds {
        let events = cow::generate(seed);
        let base = 0x40_0000u64;
        let va = |page: usize| base + 0x1000 * page as u64;
        let mut m = Machine::new(256);
        let code = Flags::USER;
        let data = Flags::USER | Flags::WRITABLE;
        let p0 = m.spawn(
            1,
            "p0",
            &[
                (va(0), b"code", code),
                (va(1), b"A", data),
                (va(2), b"B", data),
                (va(3), b"C", data),
            ],
        );
        let mut spaces = BTreeMap::new();
        spaces.insert(0usize, m.procs.get_mut(p0).unwrap().space.take().unwrap());
        let mut real_copies = 0;
        for e in &events {
            match *e {
                cow::Event::Fork { parent, child } => {
                    let space = spaces.get_mut(&parent).unwrap();
                    let shared = ::cow::share_space(&mut m.mem, space)
                        .map_err(|e| format!("seed {seed}: share_space: {e:?}"))?;
                    spaces.insert(child, shared);
                }
                cow::Event::Write { process, page } => {
                    let space = spaces.get_mut(&process).unwrap();
                    let before = space.translate(&mut m.mem, va(page + 1)).unwrap().0;
                    m.mem
                        .user_write(space, va(page + 1), &[process as u8], ::cow::write_fault)
                        .map_err(|e| format!("seed {seed}: write: {e:?}"))?;
                    let after = space.translate(&mut m.mem, va(page + 1)).unwrap().0;
                    real_copies += usize::from(before != after);
                }
                cow::Event::Exit(p) => spaces.remove(&p).unwrap().destroy(&mut m.mem),
            }
        }
        let mut counts = BTreeMap::new();
        for (i, name) in std::iter::once(cow::CODE).chain(cow::DATA).enumerate() {
            let mut frames: Vec<api::Frame> =
                spaces.values().map(|s| s.translate(&mut m.mem, va(i)).unwrap().0).collect();
            frames.sort();
            frames.dedup();
            let mut c: Vec<u32> = frames.iter().map(|f| m.mem.refcount(*f)).collect();
            c.sort_unstable_by(|a, b| b.cmp(a));
            counts.insert(name.to_string(), c);
        }
        let real = cow::Answer { copies: real_copies, counts };
        let solver = cow::solve(&events);
        if real != solver {
            return Err(format!(
                "seed {seed}: the reference piece gives {}, the solver {}\n{}",
                cow::format(&real),
                cow::format(&solver),
                cow::render(&events)
            ));
        }
        copies += real_copies;
    }
    Ok(format!("{copies} copies compared"))
}
