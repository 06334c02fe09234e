//! The parser, the drawing, and a real process tree found in /proc.
//!
//! Your functions run in a lab process (see the `contain` crate): the test
//! asks it to call them and checks each answer, against /proc where it can.

#[path = "../../linux-states/tests/support/mod.rs"]
mod support;

use std::io::Read;

use contain::Lab;
use linux_pstree::{Proc, parse_stat, render, snapshot};
use nix::sys::prctl;
use nix::sys::signal::Signal;
use nix::sys::wait::{wait, waitpid};
use nix::unistd::{ForkResult, Pid, fork, getpid, pause};
use support::{Cleanup, HOSTILE_NAMES, comm, eventually, named_child};

/// A process as plain data, (pid, ppid, comm): no type of the lab crosses
/// to the test process.
type Plain = (i32, i32, String);

fn plain(p: Proc) -> Plain {
    (p.pid, p.ppid, p.comm)
}

fn proc(pid: i32, ppid: i32, comm: &str) -> Proc {
    Proc { pid, ppid, comm: comm.to_string() }
}

/// What parse_stat must make of a line: (pid, ppid, comm), or nothing.
type Parsed = Option<(i32, i32, &'static str)>;

/// Lines of /proc/PID/stat, and what parse_stat must make of each.
const STAT_LINES: [(&str, Parsed); 8] = [
    ("1234 (bash) S 1200 1234 1234 34816 1300 4194304 2000 0 0 0", Some((1234, 1200, "bash"))),
    // ANCHOR: tricky
    ("4242 (a) b (c)) R 17 4242 4242 0 -1 4194560 90 0 0 0 1 0", Some((4242, 17, "a) b (c)"))),
    // ANCHOR_END: tricky
    ("4243 () R () S 17 4243 4243 0 -1 4194560", Some((4243, 17, ") R ("))),
    ("1 (init) S 0 1 1 0 -1 4194560 29009 2741120 0 672", Some((1, 0, "init"))),
    // A state letter Linux does not use: the tree does not need it.
    ("77 (x) Q 1 77 77 0 -1 4194560", Some((77, 1, "x"))),
    ("garbage", None),
    ("12 (no close S 1 12", None),
    ("12 (x) S", None),
];

#[test]
fn parse_stat_finds_comm_by_the_last_paren() {
    let parsed: Vec<Option<Plain>> =
        contain::run(|| STAT_LINES.iter().map(|(line, _)| parse_stat(line).map(plain)).collect());
    for ((line, want), got) in STAT_LINES.iter().zip(parsed) {
        let want = want.map(|(pid, ppid, comm)| (pid, ppid, comm.to_string()));
        assert_eq!(got, want, "parse_stat({line:?})");
    }
}

#[test]
fn render_draws_like_pstree_p() {
    let drawn: Vec<String> = contain::run(|| {
        let procs = [
            proc(1, 0, "init"),
            proc(10, 1, "bash"),
            proc(11, 1, "sshd"),
            proc(12, 1, "cron"),
            proc(20, 10, "vim"),
            proc(21, 10, "make"),
            proc(30, 21, "cc"),
            proc(41, 11, "sshd"),
            proc(40, 11, "sshd"),
            proc(99, 0, "elsewhere"),
        ];
        [1, 21, 30, 7].iter().map(|&root| render(&procs, root)).collect()
    });
    let expected = "\
init(1)─┬─bash(10)─┬─make(21)───cc(30)
        │          └─vim(20)
        ├─cron(12)
        └─sshd(11)─┬─sshd(40)
                   └─sshd(41)
";
    assert_eq!(drawn[0], expected);
    assert_eq!(drawn[1], "make(21)───cc(30)\n");
    assert_eq!(drawn[2], "cc(30)\n");
    assert_eq!(drawn[3], "", "no such root");
}

/// In the lab process: snapshot(), as plain data.
fn their_snapshot(_: ()) -> Result<Vec<Plain>, String> {
    snapshot().map(|procs| procs.into_iter().map(plain).collect()).map_err(|e| e.to_string())
}

#[test]
fn snapshot_sees_this_process() {
    let tree = Subtree::start();
    let mut lab = Lab::new();
    let procs = lab.call(their_snapshot, ()).expect("snapshot");
    // The process that called snapshot() is the lab process, our child.
    let me = lab.pid();
    let found = procs.iter().find(|p| p.0 == me.as_raw()).expect("the caller is in /proc");
    assert_eq!(found.1, getpid().as_raw(), "its parent is this test process");
    assert_eq!(Some(found.2.clone()), comm(me));
    assert!(procs.iter().any(|p| p.0 == 1), "pid 1 is always there");
    // Every process, not a few: a machine may run only a handful (a
    // container, the grader's sandbox), but these three are always there.
    for pid in [tree.mid, tree.leaves[0], tree.leaves[1]] {
        assert!(
            procs.iter().any(|p| p.0 == pid.as_raw()),
            "{pid}, forked by this test, is missing"
        );
    }
}

#[test]
fn snapshot_reads_hostile_names() {
    let pids: Vec<Pid> = HOSTILE_NAMES.iter().map(|name| named_child(name, false)).collect();
    let _cleanup = Cleanup(pids.clone());
    let procs = Lab::new().call(their_snapshot, ()).expect("snapshot");
    for (pid, name) in pids.iter().zip(HOSTILE_NAMES) {
        let name = name.to_str().unwrap();
        let found = procs.iter().find(|p| p.0 == pid.as_raw());
        let found = found.unwrap_or_else(|| panic!("{pid}, named {name:?}, is missing"));
        assert_eq!(found, &(pid.as_raw(), getpid().as_raw(), name.to_string()), "named {name:?}");
    }
}

/// A child of this test that forks children which exit at once, and reaps
/// them, until it is killed: processes that vanish all the time.
fn churn() -> Pid {
    // SAFETY: the children only make system calls.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            let _ = prctl::set_pdeathsig(Signal::SIGKILL);
            loop {
                match unsafe { fork() } {
                    Ok(ForkResult::Child) => {
                        let _ = prctl::set_name(c"x) R (y");
                        unsafe { nix::libc::_exit(0) }
                    }
                    Ok(ForkResult::Parent { child }) => drop(waitpid(child, None)),
                    Err(_) => {}
                }
            }
        }
        ForkResult::Parent { child } => child,
    }
}

#[test]
fn snapshot_skips_processes_that_vanish() {
    let churn = churn();
    let _cleanup = Cleanup(vec![churn]);
    let mut lab = Lab::new();
    // Each snapshot lists /proc while the churn's children come and go, so
    // some are gone before their stat is read. That must not be an error,
    // nor cost the processes that stay.
    for _ in 0..100 {
        let procs = lab.call(their_snapshot, ()).expect("snapshot");
        for pid in [churn, lab.pid(), getpid()] {
            assert!(procs.iter().any(|p| p.0 == pid.as_raw()), "{pid} is missing");
        }
    }
}

/// A small tree of our own: ptree-mid with two ptree-leaf children,
/// killed and reaped when dropped.
struct Subtree {
    mid: Pid,
    leaves: [Pid; 2],
    _cleanup: Cleanup,
}

impl Subtree {
    fn start() -> Subtree {
        // When the guard kills mid, its leaves are orphaned; as a subreaper
        // we get them back to reap, instead of leaving them to init.
        prctl::set_child_subreaper(true).expect("PR_SET_CHILD_SUBREAPER");
        let (mut reader, writer) = std::io::pipe().expect("pipe");
        // SAFETY: the child only makes system calls until it _exits.
        let mid = match unsafe { fork() }.expect("fork") {
            ForkResult::Child => mid_body(writer),
            ForkResult::Parent { child } => child,
        };
        drop(writer);
        let mut cleanup = Cleanup(vec![mid]);
        let mut bytes = [0u8; 8];
        reader.read_exact(&mut bytes).expect("mid reports its two leaves");
        let leaf =
            |i: usize| Pid::from_raw(i32::from_ne_bytes(bytes[i..i + 4].try_into().unwrap()));
        let leaves = [leaf(0), leaf(4)];
        cleanup.0.extend(leaves);
        for pid in leaves {
            eventually("a leaf to name itself", || (comm(pid)? == "ptree-leaf").then_some(()));
        }
        Subtree { mid, leaves, _cleanup: cleanup }
    }
}

fn mid_body(report: std::io::PipeWriter) -> ! {
    let _ = prctl::set_name(c"ptree-mid");
    let a = leaf();
    let b = leaf();
    let mut bytes = [0u8; 8];
    bytes[..4].copy_from_slice(&a.as_raw().to_ne_bytes());
    bytes[4..].copy_from_slice(&b.as_raw().to_ne_bytes());
    let _ = nix::unistd::write(&report, &bytes);
    // Reap the leaves as they die, then go.
    while wait().is_ok() {}
    unsafe { nix::libc::_exit(0) }
}

fn leaf() -> Pid {
    // SAFETY: the child only makes system calls.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            let _ = prctl::set_name(c"ptree-leaf");
            loop {
                pause();
            }
        }
        Ok(ForkResult::Parent { child }) => child,
        Err(_) => unsafe { nix::libc::_exit(1) },
    }
}

fn column(line: &str, pat: &str) -> Option<usize> {
    line.find(pat).map(|byte| line[..byte].chars().count())
}

/// In the lab process: one snapshot, drawn from `mid` and from pid 1.
fn their_drawings(mid: i32) -> Result<(String, String), String> {
    let procs = snapshot().map_err(|e| e.to_string())?;
    Ok((render(&procs, mid), render(&procs, 1)))
}

#[test]
fn a_forked_subtree_has_the_right_shape() {
    let tree = Subtree::start();
    let [a, b] = if tree.leaves[0] < tree.leaves[1] {
        tree.leaves
    } else {
        [tree.leaves[1], tree.leaves[0]]
    };
    let (alone, whole) = Lab::new().call(their_drawings, tree.mid.as_raw()).expect("snapshot");

    // Drawn on its own...
    let pad = " ".repeat(format!("ptree-mid({})", tree.mid).chars().count());
    let expected = format!("ptree-mid({})─┬─ptree-leaf({a})\n{pad} └─ptree-leaf({b})\n", tree.mid);
    assert_eq!(alone, expected);

    // ...and inside the whole machine's tree, under this test process.
    let lines: Vec<&str> = whole.lines().collect();
    let top = format!("ptree-mid({})─┬─ptree-leaf({a})", tree.mid);
    let at = lines
        .iter()
        .position(|l| l.contains(&top))
        .unwrap_or_else(|| panic!("no {top:?} in:\n{whole}"));
    let bottom = format!("└─ptree-leaf({b})");
    let next = lines.get(at + 1).copied().unwrap_or_default();
    assert!(next.contains(&bottom), "{bottom:?} should follow {top:?} in:\n{whole}");
    let tee = column(lines[at], &top).unwrap() + pad.chars().count() + 1;
    assert_eq!(column(next, &bottom), Some(tee), "└ must sit under ┬ in:\n{whole}");
    let me = format!("{}({})", comm(getpid()).unwrap(), getpid());
    assert!(
        lines[..=at].iter().any(|l| l.contains(&me)),
        "{me} should be drawn above its child:\n{whole}"
    );
}
