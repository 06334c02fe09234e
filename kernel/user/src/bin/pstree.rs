//! pstree: the process tree, drawn like `pstree -p`, with a process's other
//! threads under it in braces, `{name}(tid)`.
#![no_std]
#![no_main]

use core::fmt::Write;
use user::{Args, ProcInfo, StackStr, print, proc_list};

user::main!(main);

// ANCHOR: pstree
fn main(_: Args) -> i32 {
    let mut buf = [ProcInfo::default(); 80];
    let procs = proc_list(&mut buf);
    draw(procs, 1, &mut StackStr::<512>::new());
    0
}

/// Under a process: its child processes, then its own other threads.
fn children(procs: &[ProcInfo], pid: i32) -> impl Iterator<Item = &ProcInfo> {
    let child = move |p: &&ProcInfo| p.ppid == pid && p.pid == p.tgid && p.pid != 0;
    let thread = move |p: &&ProcInfo| p.tgid == pid && p.pid != pid;
    procs.iter().filter(child).chain(procs.iter().filter(thread))
}

/// Prints `pid`'s label and its subtree. `indent` is what starts each
/// continuation line at this depth: spaces, and `│` where a sibling follows.
fn draw(procs: &[ProcInfo], pid: i32, indent: &mut StackStr<512>) {
    let Some(me) = procs.iter().find(|p| p.pid == pid) else { return };
    let mut label = StackStr::<32>::new();
    let _ = match me.pid == me.tgid {
        true => write!(label, "{}({})", me.name(), me.pid),
        false => write!(label, "{{{}}}({})", me.name(), me.pid),
    };
    print!("{}", label.as_str());
    let count = if me.pid == me.tgid { children(procs, pid).count() } else { 0 };
    if count == 0 {
        print!("\n");
    }
    for (i, child) in children(procs, pid).take(count).enumerate() {
        let last = i + 1 == count;
        let branch = match (i, count) {
            (0, 1) => "───",
            (0, _) => "─┬─",
            _ if last => " └─",
            _ => " ├─",
        };
        if i > 0 {
            print!("{}{:w$}", indent.as_str(), "", w = label.as_str().len());
        }
        print!("{branch}");
        let mut deeper = StackStr::<512>::new();
        let _ = write!(
            deeper,
            "{}{:w$}{}",
            indent.as_str(),
            "",
            if count == 1 || last { "   " } else { " │ " },
            w = label.as_str().len()
        );
        draw(procs, child.pid, &mut deeper);
    }
}
// ANCHOR_END: pstree
