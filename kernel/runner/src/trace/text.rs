//! The trace as text, for the terminal: a timeline of what happened, and the
//! process tree over time with each task's state in each tick.
//! `cargo boot --trace` prints [`report`] after the boot's own output.

use super::{Event, IDLE, Pid, State, Task, Timed, Trace, errno_name, syscall_name};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The chart is at most this many columns wide; a longer run puts more than
/// one tick in a column.
const WIDTH: u64 = 100;

/// The timeline, the process tree over time, and the frames' balance.
pub fn report(trace: &Trace) -> String {
    let tasks = trace.tasks();
    format!("{}\n{}\n{}", timeline(trace, &tasks), tree(trace, &tasks), frames(trace))
}

/// One line per event worth reading: forks, execs, exits, reaps, orphans,
/// context switches, failed system calls, and copy-on-write faults (one line
/// for a task's faults in a row). Frames are counted on the line of the
/// exec or exit that took or gave them back; states are in [`tree`].
pub fn timeline(trace: &Trace, tasks: &BTreeMap<Pid, Task>) -> String {
    let mut out = String::from("tick  what happened\n");
    let events = &trace.events;
    let mut last_tick = None;
    let mut i = 0;
    while i < events.len() {
        let e = &events[i];
        i += 1;
        let mut line = match e.event {
            Event::Alloc { .. } | Event::Free { .. } | Event::State { .. } => continue,
            Event::Error { nr: 59, .. } => continue,
            Event::Switch { .. } => {
                let run =
                    events[i - 1..].iter().take_while(|x| x.t == e.t && is_switching(&x.event));
                let run: Vec<&Timed> = run.collect();
                match switches(tasks, &run) {
                    Some(line) => {
                        i += run.len() - 1;
                        line
                    }
                    None => describe(tasks, e),
                }
            }
            Event::Cow { pid, .. } => {
                let run = events[i - 1..]
                    .iter()
                    .take_while(|x| x.t == e.t && is_fault_or_frame_of(&x.event, pid))
                    .filter(|x| matches!(x.event, Event::Cow { .. }));
                let (copied, kept) = run.fold((0, 0), |(c, k), x| match x.event {
                    Event::Cow { copied: true, .. } => (c + 1, k),
                    _ => (c, k + 1),
                });
                i += events[i..]
                    .iter()
                    .take_while(|x| x.t == e.t && is_fault_or_frame_of(&x.event, pid))
                    .count();
                faults(tasks, pid, copied, kept)
            }
            _ => describe(tasks, e),
        };
        if matches!(e.event, Event::Exec { errno: 0, .. } | Event::Exit { .. }) {
            line += &frames_after(&events[i..]);
        }
        let tick = if last_tick == Some(e.t) { String::new() } else { e.t.to_string() };
        last_tick = Some(e.t);
        let _ = writeln!(out, "{tick:>4}  {line}");
    }
    out
}

fn is_switching(event: &Event) -> bool {
    matches!(
        event,
        Event::Switch { .. } | Event::State { .. } | Event::Alloc { .. } | Event::Free { .. }
    )
}

/// Three or more switches in a row (idle and kzerod taking turns) as one
/// line; `None` for fewer.
fn switches(tasks: &BTreeMap<Pid, Task>, run: &[&Timed]) -> Option<String> {
    let hops: Vec<(Pid, Pid)> = run
        .iter()
        .filter_map(|x| match x.event {
            Event::Switch { from, to } => Some((from, to)),
            _ => None,
        })
        .collect();
    if hops.len() < 3 {
        return None;
    }
    let mut who: Vec<Pid> = hops.iter().flat_map(|&(from, to)| [from, to]).collect();
    who.sort();
    who.dedup();
    let who: Vec<String> = who.iter().map(|&p| Trace::label(tasks, p)).collect();
    let last = Trace::label(tasks, hops[hops.len() - 1].1);
    Some(format!("{} switches between {}, ending on {last}", hops.len(), who.join(", ")))
}

fn is_fault_or_frame_of(event: &Event, pid: Pid) -> bool {
    match *event {
        Event::Cow { pid: p, .. } => p == pid,
        Event::Alloc { .. } | Event::Free { .. } => true,
        _ => false,
    }
}

fn faults(tasks: &BTreeMap<Pid, Task>, pid: Pid, copied: u32, kept: u32) -> String {
    let who = Trace::label(tasks, pid);
    match (copied, kept) {
        (1, 0) => format!("{who} writes to a shared page: copied"),
        (0, 1) => format!("{who} writes to a page no one shares any more: kept"),
        _ => format!(
            "{who} writes to {} copy-on-write pages: {copied} copied, {kept} kept",
            copied + kept
        ),
    }
}

/// The frames allocated and freed right after an event, as " (+3 -1 frames)".
/// A fork reports its frames once it is done: those before it are its own.
fn frames_after(events: &[Timed]) -> String {
    let mut n = (0u64, 0u64);
    for e in events {
        match e.event {
            Event::Alloc { .. } => n.0 += 1,
            Event::Free { .. } => n.1 += 1,
            Event::Fork { frames, .. } => {
                n.0 -= frames.min(n.0);
                break;
            }
            _ => break,
        }
    }
    match n {
        (0, 0) => String::new(),
        (a, 0) => format!(" (+{a} frames)"),
        (0, f) => format!(" (-{f} frames)"),
        (a, f) => format!(" (+{a} -{f} frames)"),
    }
}

/// One event in words, tasks named as `name[pid]`.
pub fn describe(tasks: &BTreeMap<Pid, Task>, e: &Timed) -> String {
    let who = |pid| Trace::label(tasks, pid);
    match &e.event {
        Event::Fork { parent, child, flags, frames, name } => {
            let how = match flags {
                _ if name.is_some() => " (a kernel thread)".into(),
                17 => String::new(),
                0 if *parent == IDLE => " (the first process)".into(),
                f => format!(" (clone flags {f:#x})"),
            };
            let took =
                if *frames > 0 { format!(", taking {frames} frames") } else { String::new() };
            format!("{} forks {}{how}{took}", who(*parent), who(*child))
        }
        Event::Exec { pid, path, errno: 0 } => format!("{} executes {path}", who(*pid)),
        Event::Exec { pid, path, errno } => {
            format!("{}: execve {path} fails with {}", who(*pid), errno_name(*errno))
        }
        Event::Error { pid, nr, errno } => {
            format!("{}: {} fails with {}", who(*pid), syscall_name(*nr), errno_name(*errno))
        }
        Event::Exit { pid, status: None } => format!("{} ends", who(*pid)),
        Event::Exit { pid, status: Some(status) } => match (status & 0x7f, (status >> 8) & 0xff) {
            (0, code) => format!("{} exits with status {code}", who(*pid)),
            (signal, _) => format!("{} is killed by signal {signal}", who(*pid)),
        },
        Event::Reap { pid, by, .. } => format!("{} reaps {}", who(*by), who(*pid)),
        Event::Reparent { pid, old, new } => {
            format!("{} is orphaned ({old} exited) and handed to {}", who(*pid), who(*new))
        }
        Event::State { pid, from, to } => format!("{}: {from:?} -> {to:?}", who(*pid)),
        Event::Switch { from, to } => format!("switch {} -> {}", who(*from), who(*to)),
        Event::Cow { pid, page, copied, .. } => {
            let what = if *copied { "copied" } else { "kept" };
            format!("{} writes to copy-on-write page {page:#x}: {what}", who(*pid))
        }
        Event::Alloc { frame } => format!("frame {frame:#x} allocated"),
        Event::Free { frame } => format!("frame {frame:#x} freed"),
    }
}

/// A task's state in each column of the chart: what it did most in that
/// time, R (ran) over r (was runnable but waited) over S (slept) over Z
/// (zombie); blank before its fork and after it was reaped (a thread: exited).
pub fn columns(trace: &Trace, task: &Task, ticks_per_column: u64) -> Vec<char> {
    let tick_of = |i: usize| trace.events[i].t;
    // Nothing reaps a thread (it never becomes a zombie): its row ends at its exit.
    let thread = task.states.iter().all(|s| s.1 != State::Zombie);
    let exited = task.exited.filter(|_| thread).map(|(t, _)| t);
    let end = task.reaped.map(|(t, _)| t).or(exited).unwrap_or(trace.end());
    let columns = trace.end() / ticks_per_column + 1;
    (0..columns)
        .map(|c| {
            let (from, to) = (c * ticks_per_column, (c + 1) * ticks_per_column);
            if to <= task.born || from > end {
                return ' ';
            }
            let at_start = task.states.iter().rev().find(|(i, _)| tick_of(*i) < from);
            let during = task.states.iter().filter(|(i, _)| (from..to).contains(&tick_of(*i)));
            let busiest = at_start
                .into_iter()
                .chain(during)
                .map(|(_, s)| *s)
                .min_by_key(|s| super::STATES.iter().position(|x| x == s));
            match busiest {
                Some(State::Running) => 'R',
                Some(State::Runnable) => 'r',
                Some(State::Sleeping) => 'S',
                Some(State::Zombie) => 'Z',
                Some(State::Dead) => ' ',
                None => ' ',
            }
        })
        .collect()
}

/// Where idle ran, as a chart row: R in a column where the CPU ran idle.
pub fn idle_columns(trace: &Trace, ticks_per_column: u64) -> Vec<char> {
    let mut ran = vec![' '; (trace.end() / ticks_per_column + 1) as usize];
    let mut mark = |from: u64, to: u64| {
        (from..=to).for_each(|t| ran[(t / ticks_per_column) as usize] = 'R');
    };
    // Idle holds the CPU from a switch to it (or the start) until the next
    // switch away.
    let mut since = None;
    for (e, now) in trace.events.iter().zip(trace.on_cpu()) {
        match (since, now) {
            (None, IDLE) => since = Some(e.t),
            (Some(start), pid) if pid != IDLE => {
                mark(start, e.t);
                since = None;
            }
            _ => {}
        }
    }
    if let Some(start) = since {
        mark(start, trace.end());
    }
    ran
}

/// How many ticks each column of a chart of `trace` covers.
pub fn ticks_per_column(trace: &Trace) -> u64 {
    (trace.end() + 1).div_ceil(WIDTH).max(1)
}

/// The tasks in tree order (each after its parent, siblings by pid), with
/// their depth: the tree as forks made it; adoptions are noted on the row.
pub fn tree_order(tasks: &BTreeMap<Pid, Task>) -> Vec<(Pid, usize, bool)> {
    fn walk(
        tasks: &BTreeMap<Pid, Task>,
        pid: Pid,
        depth: usize,
        last: bool,
        out: &mut Vec<(Pid, usize, bool)>,
    ) {
        out.push((pid, depth, last));
        let kids: Vec<Pid> = tasks.values().filter(|t| t.parent == pid).map(|t| t.pid).collect();
        for (i, &kid) in kids.iter().enumerate() {
            walk(tasks, kid, depth + 1, i + 1 == kids.len(), out);
        }
    }
    let mut out = Vec::new();
    let roots = tasks.values().filter(|t| !tasks.contains_key(&t.parent)).map(|t| t.pid);
    for root in roots.collect::<Vec<_>>() {
        walk(tasks, root, 0, true, &mut out);
    }
    out
}

/// The process tree over time: one row per task, indented under the task
/// that forked it, and one column per tick (or per few ticks).
pub fn tree(trace: &Trace, tasks: &BTreeMap<Pid, Task>) -> String {
    let per = ticks_per_column(trace);
    let order = tree_order(tasks);
    let labels: Vec<String> = order
        .iter()
        .map(|&(pid, depth, last)| {
            let branch = if depth == 0 {
                ""
            } else if last {
                "└─"
            } else {
                "├─"
            };
            format!("{}{branch}{}", "  ".repeat(depth.saturating_sub(1)), Trace::label(tasks, pid))
        })
        .collect();
    let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0).max(7);
    let unit = if per == 1 { "tick".to_string() } else { format!("{per} ticks") };
    let mut out = format!(
        "process tree over time, one column per {unit}: R ran, r waited to run, S slept, Z zombie\n"
    );
    let mut scale = String::new();
    for c in 0..=trace.end() / per {
        scale.push(if c % 10 == 0 { '|' } else { ' ' });
    }
    let mut numbers = String::new();
    for c in (0..=trace.end() / per).step_by(10) {
        let label = (c * per).to_string();
        numbers.push_str(&format!("{label:<10}"));
    }
    let _ = writeln!(out, "{:width$}  {}", "tick", numbers.trim_end());
    let _ = writeln!(out, "{:width$}  {scale}", "");
    let idle: String = idle_columns(trace, per).into_iter().collect();
    let _ = writeln!(out, "{:width$}  {}", "idle[0]", idle.trim_end());
    for ((pid, _, _), label) in order.iter().zip(&labels) {
        let row: String = columns(trace, &tasks[pid], per).into_iter().collect();
        let notes: Vec<String> = tasks[pid]
            .adopted
            .iter()
            .map(|(t, by)| format!("adopted by {} at tick {t}", Trace::label(tasks, *by)))
            .collect();
        let pad = width - label.chars().count();
        let notes =
            if notes.is_empty() { String::new() } else { format!("  {}", notes.join(", ")) };
        let _ = writeln!(out, "{label}{}  {}{notes}", " ".repeat(pad), row.trim_end());
    }
    out
}

/// The frames' balance over the run.
pub fn frames(trace: &Trace) -> String {
    let count = |f: fn(&Event) -> bool| trace.events.iter().filter(|e| f(&e.event)).count();
    let allocated = count(|e| matches!(e, Event::Alloc { .. }));
    let freed = count(|e| matches!(e, Event::Free { .. }));
    let verdict = match super::Property::NoFrameLeaked.check(trace) {
        Ok(()) => "all but init's own came back".to_string(),
        Err(e) => e,
    };
    format!("frames: {allocated} allocated, {freed} freed: {verdict}\n")
}
