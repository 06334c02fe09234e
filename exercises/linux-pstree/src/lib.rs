//! Lab: pstree -p, built from /proc/*/stat.
//!
//! Fill in the three functions; `cargo test -p linux-pstree` checks them and
//! `cargo run -p linux-pstree` draws your machine.

use std::io;

mod given;
pub use given::Proc;

// ANCHOR: parse
/// Parses one `/proc/PID/stat` line, `pid (comm) state ppid ...`, into a
/// [`Proc`]. Returns `None` if the line does not have that shape.
///
/// Careful: comm may contain spaces and parentheses (`(a) b (c))` is a
/// valid comm), so splitting on whitespace is wrong. See `man 5 proc`.
pub fn parse_stat(line: &str) -> Option<Proc> {
    let _ = line;
    todo!("pid before the comm, comm in the parentheses, ppid is the 2nd field after it")
}
// ANCHOR_END: parse

// ANCHOR: snapshot
/// Reads `/proc/PID/stat` for every numeric entry of `/proc`.
///
/// Processes come and go while you read: one that vanished between listing
/// `/proc` and reading its `stat` is skipped, not an error.
pub fn snapshot() -> io::Result<Vec<Proc>> {
    todo!("read_dir(\"/proc\"), keep the numeric names, parse each stat")
}
// ANCHOR_END: snapshot

// ANCHOR: render
/// Draws the subtree under `root` like `pstree -p`, one line per leaf:
///
/// ```text
/// init(1)─┬─bash(10)─┬─make(21)───cc(30)
///         │          └─vim(20)
///         ├─cron(12)
///         └─sshd(11)
/// ```
///
/// One child hangs off `───`; several off `─┬─`, `├─` and `└─`, with `│`
/// below every branch that still has siblings to come. Siblings are sorted
/// by comm, then by pid. Widths count characters, not bytes. Each line ends
/// with `\n` and no trailing spaces; the result is empty if `root` is not in
/// `procs`.
pub fn render(procs: &[Proc], root: i32) -> String {
    let _ = (procs, root);
    todo!("group by ppid, sort, then draw recursively with a growing margin")
}
// ANCHOR_END: render
