//! Properties over a boot's events: what a rubric can require beyond the
//! transcript. A program can print the right lines from a kernel that leaks
//! memory, lets a zombie linger or makes a task wait too long; the trace
//! shows it. In `exercises/<piece>/rubric.toml`:
//!
//! ```toml
//! [[scenario]]
//! name = "a_zombie_stays_until_its_parent_waits"
//! command = "zombie"
//! trace = [{ property = "no_frame_leaked" }, { property = "ran_within", ticks = 5 }]
//! ```
//!
//! Each property fails when the trace has nothing to judge (no orphan for
//! [`Property::OrphansReapedByInit`], no fault for
//! [`Property::CopiesOnlyShared`]...): a property that holds because nothing
//! happened would pass a kernel that does nothing.

use super::{Event, IDLE, INIT, Pid, State, Timed, Trace};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// One property of a boot's trace.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "property", rename_all = "snake_case", deny_unknown_fields)]
pub enum Property {
    /// As many frames were freed as were allocated once init started: what
    /// the run's processes took, they gave back.
    NoFrameLeaked,
    /// Each orphan went to init, and init reaped it within `ticks` of its
    /// being init's zombie (it exited, and its parent too).
    OrphansReapedByInit { ticks: u64 },
    /// Each task that became runnable was on the CPU within `ticks`.
    RanWithin { ticks: u64 },
    /// Each fork whose child then executed a program took fewer than
    /// `frames` frames: the fork's own, and the pages the parent and the
    /// child copied on write before the exec.
    ForkExecFramesBelow { frames: u64 },
    /// A copy-on-write fault copies the page when others share its frame,
    /// and keeps the frame when the faulting task holds it alone.
    CopiesOnlyShared,
    /// At each context switch, the task switched to is the one task in
    /// state Running (none when it is idle).
    RunningMeansOnCpu,
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Property::NoFrameLeaked => write!(f, "no frame leaked over the run"),
            Property::OrphansReapedByInit { ticks } => {
                write!(f, "every orphan was reaped by init within {ticks} tick(s)")
            }
            Property::RanWithin { ticks } => {
                write!(f, "every runnable task ran within {ticks} ticks")
            }
            Property::ForkExecFramesBelow { frames } => {
                write!(f, "a fork followed by exec took fewer than {frames} frames")
            }
            Property::CopiesOnlyShared => {
                write!(f, "a write fault copies a shared page and reuses an unshared one")
            }
            Property::RunningMeansOnCpu => {
                write!(f, "the task on the CPU is the one task Running")
            }
        }
    }
}

impl Property {
    /// Does `trace` have this property? The error says where it breaks.
    pub fn check(&self, trace: &Trace) -> Result<(), String> {
        match *self {
            Property::NoFrameLeaked => no_frame_leaked(trace),
            Property::OrphansReapedByInit { ticks } => orphans_reaped_by_init(trace, ticks),
            Property::RanWithin { ticks } => ran_within(trace, ticks),
            Property::ForkExecFramesBelow { frames } => fork_exec_frames_below(trace, frames),
            Property::CopiesOnlyShared => copies_only_shared(trace),
            Property::RunningMeansOnCpu => running_means_on_cpu(trace),
        }
    }
}

/// Counts the frames allocated and freed after init's exec (init's own
/// image comes before it, and init is still alive at the end). Under
/// copy-on-write init may end up holding other frames than it started
/// with, but never more of them.
fn no_frame_leaked(trace: &Trace) -> Result<(), String> {
    let start = trace
        .events
        .iter()
        .position(|e| matches!(e.event, Event::Exec { pid: INIT, .. }))
        .ok_or("the trace does not show init starting")?;
    let mut live = BTreeMap::new();
    let (mut allocated, mut freed) = (0u64, 0u64);
    for (i, e) in trace.events.iter().enumerate().skip(start + 1) {
        match e.event {
            Event::Alloc { frame } => {
                allocated += 1;
                live.insert(frame, i);
            }
            Event::Free { frame } => {
                freed += 1;
                live.remove(&frame);
            }
            _ => {}
        }
    }
    if allocated == freed {
        return Ok(());
    }
    let tasks = trace.tasks();
    let mut during: Vec<String> = live.values().map(|&i| cause(trace, &tasks, i)).collect();
    during.dedup();
    Err(format!(
        "after init started, {allocated} frames were allocated and {freed} freed: {} never came back. Still allocated at the end, from: {}",
        allocated.abs_diff(freed),
        during.join("; ")
    ))
}

/// The event a frame allocation at `i` belongs to: the nearest one before
/// it that is not about frames, or the fork right after it (fork reports
/// once it is done).
fn cause(trace: &Trace, tasks: &BTreeMap<Pid, super::Task>, i: usize) -> String {
    let not_frame = |e: &&Timed| !matches!(e.event, Event::Alloc { .. } | Event::Free { .. });
    let after = trace.events[i..].iter().find(not_frame);
    let before = trace.events[..i].iter().rev().find(not_frame);
    let e = match after {
        Some(e @ Timed { event: Event::Fork { .. }, .. }) => Some(e),
        _ => before,
    };
    e.map_or("the start".into(), |e| format!("tick {}: {}", e.t, super::text::describe(tasks, e)))
}

fn orphans_reaped_by_init(trace: &Trace, ticks: u64) -> Result<(), String> {
    let tasks = trace.tasks();
    let mut orphans = 0;
    for e in &trace.events {
        let Event::Reparent { pid, new, .. } = e.event else { continue };
        orphans += 1;
        if new != INIT {
            return Err(format!("orphan {pid} was handed to {new}, not to init"));
        }
        let task = &tasks[&pid];
        let Some((reaped_at, by)) = task.reaped else {
            return Err(format!("orphan {pid}, handed to init at tick {}, was never reaped", e.t));
        };
        if by != INIT {
            return Err(format!("orphan {pid} was reaped by {by}, not by init"));
        }
        let Some((exited_at, _)) = task.exited else {
            return Err(format!("orphan {pid} was reaped but never exited"));
        };
        let zombie_since = exited_at.max(e.t);
        if reaped_at - zombie_since > ticks {
            return Err(format!(
                "orphan {pid} was init's zombie from tick {zombie_since} but init reaped it only at tick {reaped_at}, {} ticks later",
                reaped_at - zombie_since
            ));
        }
    }
    match orphans {
        0 => Err("no task was orphaned in this run".into()),
        _ => Ok(()),
    }
}

fn ran_within(trace: &Trace, ticks: u64) -> Result<(), String> {
    let mut since: BTreeMap<Pid, u64> = BTreeMap::new();
    let mut ran = false;
    let late = |pid: Pid, from: u64, to: u64| {
        format!(
            "task {pid} was runnable from tick {from} and ran only at tick {to}, {} ticks later",
            to - from
        )
    };
    for e in &trace.events {
        match e.event {
            Event::Fork { child, .. } => {
                since.insert(child, e.t);
            }
            Event::State { pid, to: State::Runnable, .. } => {
                since.insert(pid, e.t);
            }
            Event::State { pid, to, .. } => {
                if let Some(from) = since.remove(&pid)
                    && to == State::Running
                {
                    ran = true;
                    if e.t - from > ticks {
                        return Err(late(pid, from, e.t));
                    }
                }
            }
            _ => {}
        }
    }
    if let Some((&pid, &from)) = since.iter().find(|(_, from)| trace.end() - **from > ticks) {
        return Err(format!("{} (the end of the trace)", late(pid, from, trace.end())));
    }
    match ran {
        false => Err("no task ran in this run".into()),
        true => Ok(()),
    }
}

fn fork_exec_frames_below(trace: &Trace, frames: u64) -> Result<(), String> {
    let mut checked = 0;
    for (i, e) in trace.events.iter().enumerate() {
        let Event::Fork { parent, child, frames: took, .. } = e.event else { continue };
        let exec = trace.events[i..]
            .iter()
            .position(|e| matches!(e.event, Event::Exec { pid, errno: 0, .. } if pid == child));
        let Some(exec) = exec.map(|j| i + j) else { continue };
        let copies = trace.events[i..exec]
            .iter()
            .filter(|e| matches!(e.event, Event::Cow { pid, copied: true, .. } if pid == parent || pid == child))
            .count() as u64;
        checked += 1;
        if took + copies >= frames {
            return Err(format!(
                "the fork of {child} by {parent} at tick {} took {took} frames, and the two copied {copies} pages on write before {child} executed a program: {} frames, not fewer than {frames}",
                e.t,
                took + copies
            ));
        }
    }
    match checked {
        0 => Err("no fork was followed by an exec in this run".into()),
        _ => Ok(()),
    }
}

fn copies_only_shared(trace: &Trace) -> Result<(), String> {
    let mut faults = 0;
    for e in &trace.events {
        let Event::Cow { pid, page, refs, copied } = e.event else { continue };
        faults += 1;
        if copied && refs <= 1 {
            return Err(format!(
                "task {pid} copied page {page:#x} at tick {} although no one else shared its frame: the last sharer must keep it",
                e.t
            ));
        }
        if !copied && refs > 1 {
            return Err(format!(
                "task {pid} kept page {page:#x} at tick {} although {refs} tasks shared its frame: its write reaches the others",
                e.t
            ));
        }
    }
    match faults {
        0 => Err("no copy-on-write fault in this run".into()),
        _ => Ok(()),
    }
}

fn running_means_on_cpu(trace: &Trace) -> Result<(), String> {
    let mut states: BTreeMap<Pid, State> = BTreeMap::new();
    let mut switches = 0;
    for e in &trace.events {
        match e.event {
            Event::Fork { child, .. } => {
                states.insert(child, State::Runnable);
            }
            Event::State { pid, to, .. } => {
                states.insert(pid, to);
            }
            Event::Reap { pid, .. } => {
                states.remove(&pid);
            }
            Event::Switch { from, to } => {
                switches += 1;
                let running: Vec<Pid> =
                    states.iter().filter(|(_, s)| **s == State::Running).map(|(p, _)| *p).collect();
                let expected: Vec<Pid> = (to != IDLE).then_some(to).into_iter().collect();
                if running != expected {
                    return Err(format!(
                        "at the switch from {from} to {to} at tick {}, the tasks in state Running were {running:?}",
                        e.t
                    ));
                }
            }
            _ => {}
        }
    }
    match switches {
        0 => Err("no context switch in this run".into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::parse;

    fn trace(lines: &[&str]) -> Trace {
        let text: String = lines.iter().map(|l| format!("{{\"nonce\":\"\",{l}}}\n")).collect();
        parse(&text, "").unwrap()
    }

    const INIT_STARTS: [&str; 3] = [
        r#""t":0,"ev":"alloc","frame":1"#,
        r#""t":0,"ev":"fork","parent":0,"child":1,"flags":0,"frames":0"#,
        r#""t":0,"ev":"exec","pid":1,"path":[47,105,110,105,116]"#,
    ];

    #[test]
    fn rubrics_name_properties_in_toml() {
        #[derive(Deserialize)]
        struct Scenario {
            trace: Vec<Property>,
        }
        let s: Scenario = toml::from_str(
            r#"trace = [{ property = "no_frame_leaked" }, { property = "ran_within", ticks = 5 }]"#,
        )
        .unwrap();
        assert_eq!(s.trace, [Property::NoFrameLeaked, Property::RanWithin { ticks: 5 }]);
        assert!(toml::from_str::<Scenario>(r#"trace = [{ property = "ran_within" }]"#).is_err());
        let typo = r#"trace = [{ property = "ran_within", tick = 5 }]"#;
        assert!(toml::from_str::<Scenario>(typo).is_err());
    }

    #[test]
    fn a_frame_not_freed_is_a_leak_and_init_s_image_is_not() {
        let mut lines = INIT_STARTS.to_vec();
        lines.extend([
            r#""t":1,"ev":"alloc","frame":2"#,
            r#""t":1,"ev":"fork","parent":1,"child":2,"flags":17,"frames":1"#,
        ]);
        let leak = Property::NoFrameLeaked.check(&trace(&lines)).unwrap_err();
        assert!(leak.contains("1 never came back") && leak.contains("forks"), "{leak}");
        lines.push(r#""t":2,"ev":"free","frame":2"#);
        assert_eq!(Property::NoFrameLeaked.check(&trace(&lines)), Ok(()));
        assert!(Property::NoFrameLeaked.check(&trace(&lines[3..])).is_err(), "no init");
    }

    #[test]
    fn an_orphan_must_be_reaped_by_init_in_time() {
        let orphan = |reaped: &'static str| {
            trace(&[
                r#""t":1,"ev":"fork","parent":1,"child":2,"flags":17,"frames":0"#,
                r#""t":1,"ev":"fork","parent":2,"child":3,"flags":17,"frames":0"#,
                r#""t":2,"ev":"exit","pid":3,"status":0"#,
                r#""t":3,"ev":"exit","pid":2,"status":0"#,
                r#""t":3,"ev":"reparent","pid":3,"old":2,"new":1"#,
                reaped,
            ])
        };
        let p = Property::OrphansReapedByInit { ticks: 1 };
        assert_eq!(p.check(&orphan(r#""t":4,"ev":"reap","pid":3,"by":1,"status":0"#)), Ok(()));
        let late = p.check(&orphan(r#""t":5,"ev":"reap","pid":3,"by":1,"status":0"#));
        assert!(late.unwrap_err().contains("from tick 3 but init reaped it only at tick 5"));
        let never = p.check(&orphan(r#""t":5,"ev":"exit","pid":1,"status":0"#));
        assert!(never.unwrap_err().contains("never reaped"));
        let none = trace(&[r#""t":1,"ev":"fork","parent":1,"child":2,"flags":17,"frames":0"#]);
        assert!(p.check(&none).is_err(), "nothing to judge");
    }

    #[test]
    fn a_runnable_task_must_run_in_time() {
        let run = |t: u64| {
            let ran = format!(r#""t":{t},"ev":"state","pid":2,"from":"Runnable","to":"Running""#);
            trace(&[r#""t":1,"ev":"fork","parent":1,"child":2,"flags":17,"frames":0"#, &ran])
        };
        let p = Property::RanWithin { ticks: 5 };
        assert_eq!(p.check(&run(6)), Ok(()));
        assert!(p.check(&run(7)).unwrap_err().contains("from tick 1 and ran only at tick 7"));
    }

    #[test]
    fn fork_and_exec_may_take_only_so_many_frames() {
        let lines = [
            r#""t":1,"ev":"fork","parent":1,"child":2,"flags":17,"frames":5"#,
            r#""t":1,"ev":"cow","pid":1,"page":4096,"refs":2,"copied":true"#,
            r#""t":1,"ev":"cow","pid":3,"page":4096,"refs":2,"copied":true"#,
            r#""t":1,"ev":"exec","pid":2,"path":[47,101]"#,
            r#""t":1,"ev":"cow","pid":1,"page":8192,"refs":2,"copied":true"#,
        ];
        assert_eq!(Property::ForkExecFramesBelow { frames: 7 }.check(&trace(&lines)), Ok(()));
        let e = Property::ForkExecFramesBelow { frames: 6 }.check(&trace(&lines)).unwrap_err();
        assert!(e.contains("took 5 frames, and the two copied 1 pages"), "{e}");
        let p = Property::CopiesOnlyShared;
        assert_eq!(p.check(&trace(&lines)), Ok(()));
        let alone = r#""t":1,"ev":"cow","pid":1,"page":4096,"refs":1,"copied":true"#;
        assert!(p.check(&trace(&[alone])).unwrap_err().contains("no one else shared"));
        let shared = r#""t":1,"ev":"cow","pid":1,"page":4096,"refs":2,"copied":false"#;
        assert!(p.check(&trace(&[shared])).unwrap_err().contains("2 tasks shared"));
    }

    #[test]
    fn only_the_task_on_the_cpu_is_running() {
        let mut lines = vec![
            r#""t":1,"ev":"fork","parent":0,"child":1,"flags":0,"frames":0"#,
            r#""t":1,"ev":"state","pid":1,"from":"Runnable","to":"Running""#,
            r#""t":1,"ev":"switch","from":0,"to":1"#,
            r#""t":1,"ev":"fork","parent":1,"child":2,"flags":17,"frames":0"#,
            r#""t":1,"ev":"state","pid":1,"from":"Running","to":"Sleeping""#,
        ];
        let p = Property::RunningMeansOnCpu;
        assert_eq!(p.check(&trace(&lines)), Ok(()));
        lines.push(r#""t":1,"ev":"switch","from":1,"to":2"#);
        assert!(p.check(&trace(&lines)).unwrap_err().contains("were []"), "2 was not marked");
    }
}
