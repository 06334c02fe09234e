//! pstree -p, built from /proc/*/stat.

use std::collections::BTreeMap;
use std::io;

mod given;
pub use given::Proc;

// ANCHOR: parse
/// Parses one `/proc/PID/stat` line: `pid (comm) state ppid ...`.
///
/// comm is the only field that may hold spaces or parentheses, and it is
/// the only one in parentheses, so it ends at the *last* `)`.
pub fn parse_stat(line: &str) -> Option<Proc> {
    let open = line.find('(')?;
    let close = line.rfind(')')?;
    if close < open {
        return None;
    }
    let pid = line[..open].trim().parse().ok()?;
    let comm = line[open + 1..close].to_string();
    let mut rest = line[close + 1..].split_whitespace();
    let _state = rest.next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some(Proc { pid, ppid, comm })
}
// ANCHOR_END: parse

// ANCHOR: snapshot
/// Every process in /proc. Threads are not listed there (they live under
/// /proc/PID/task), so this is one entry per thread group.
pub fn snapshot() -> io::Result<Vec<Proc>> {
    let mut procs = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let name = entry?.file_name();
        let Some(pid) = name.to_str().filter(|s| s.bytes().all(|b| b.is_ascii_digit())) else {
            continue;
        };
        // A process can exit between readdir and read: that is not an error.
        let Ok(line) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        procs.extend(parse_stat(&line));
    }
    Ok(procs)
}
// ANCHOR_END: snapshot

// ANCHOR: render
/// Draws the subtree under `root` the way `pstree -p` does, one line per
/// leaf, siblings sorted by name and then by pid. Empty if `root` is absent.
pub fn render(procs: &[Proc], root: i32) -> String {
    let mut children: BTreeMap<i32, Vec<&Proc>> = BTreeMap::new();
    for p in procs {
        children.entry(p.ppid).or_default().push(p);
    }
    for kids in children.values_mut() {
        kids.sort_by(|a, b| (&a.comm, a.pid).cmp(&(&b.comm, b.pid)));
    }
    let mut out = String::new();
    if let Some(p) = procs.iter().find(|p| p.pid == root) {
        draw(p, &children, "", &mut out);
    }
    out
}

/// Appends `p`'s label and its subtree. `margin` is what goes left of the
/// label on any later line: spaces, with a `│` under every open branch.
fn draw(p: &Proc, children: &BTreeMap<i32, Vec<&Proc>>, margin: &str, out: &mut String) {
    let label = p.label();
    out.push_str(&label);
    let under = format!("{margin}{}", " ".repeat(label.chars().count()));
    match children.get(&p.pid).map_or(&[][..], Vec::as_slice) {
        [] => out.push('\n'),
        [only] => {
            out.push_str("───");
            draw(only, children, &format!("{under}   "), out);
        }
        [first, middle @ .., last] => {
            out.push_str("─┬─");
            draw(first, children, &format!("{under} │ "), out);
            for kid in middle {
                out.push_str(&format!("{under} ├─"));
                draw(kid, children, &format!("{under} │ "), out);
            }
            out.push_str(&format!("{under} └─"));
            draw(last, children, &format!("{under}   "), out);
        }
    }
}
// ANCHOR_END: render
