//! The kernel's event trace, read back. A boot with [`BootOptions::trace`]
//! (`trace=on` on the kernel command line) gets one JSON object per line on
//! the second serial port (kernel/os/src/trace.rs writes them); [`parse`]
//! turns them into a typed event list, which [`properties`] checks and
//! [`text`] and [`html`] draw.
//!
//! [`BootOptions::trace`]: crate::BootOptions::trace

use serde::Deserialize;
use std::collections::BTreeMap;

pub mod html;
pub mod properties;
pub mod text;

pub use properties::Property;

/// A task id, as the kernel numbers them; 0 is the idle task.
pub type Pid = i32;

/// The idle task: not in the task table, but it runs when no one else can.
pub const IDLE: Pid = 0;
/// init, who adopts orphans.
pub const INIT: Pid = 1;
/// The system call numbers the timeline names (Linux's, and our two).
const SYSCALLS: [(u64, &str); 18] = [
    (0, "read"),
    (1, "write"),
    (9, "mmap"),
    (11, "munmap"),
    (24, "sched_yield"),
    (35, "nanosleep"),
    (39, "getpid"),
    (56, "clone"),
    (57, "fork"),
    (58, "vfork"),
    (59, "execve"),
    (60, "exit"),
    (61, "wait4"),
    (110, "getppid"),
    (169, "reboot"),
    (231, "exit_group"),
    (1000, "proc_list"),
    (1001, "free_frames"),
];
const EXECVE: u64 = 59;

/// A task's state, as the kernel's `api::State` names it in the trace.
pub use api::State;

/// Every state, busiest first: a chart cell shows the busiest of its tick.
pub const STATES: [State; 5] =
    [State::Running, State::Runnable, State::Sleeping, State::Zombie, State::Dead];

/// A state from its name in the trace, as `{:?}` writes it.
fn state<'de, D: serde::Deserializer<'de>>(d: D) -> Result<State, D::Error> {
    let name = String::deserialize(d)?;
    STATES
        .into_iter()
        .find(|s| format!("{s:?}") == name)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown state {name:?}")))
}

/// One event, as the kernel reports it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "ev", rename_all = "lowercase")]
pub enum Event {
    /// fork or clone; `frames` is how many frames it took: the child's page
    /// tables, and with an eager copy every page too.
    Fork {
        parent: Pid,
        child: Pid,
        flags: u64,
        frames: u64,
        /// A kernel thread's name; a forked task takes its parent's.
        #[serde(default)]
        name: Option<String>,
    },
    /// An execve begins. `errno` is not in the line: [`parse`] takes it from
    /// the error event that follows a failed execve (0 when it succeeded).
    Exec {
        pid: Pid,
        /// The kernel writes the path's bytes, as an array: a path may hold
        /// any byte but 0.
        #[serde(deserialize_with = "lossy_string")]
        path: String,
        #[serde(skip)]
        errno: i32,
    },
    /// A system call failed.
    Error {
        pid: Pid,
        nr: u64,
        errno: i32,
    },
    /// `status` is the wait status, as wait4 reports it; none for a thread
    /// that another's exec ended.
    Exit {
        pid: Pid,
        status: Option<i32>,
    },
    Reap {
        pid: Pid,
        by: Pid,
        status: i32,
    },
    /// `pid`'s parent changed from `old` to `new`: `old` exited.
    Reparent {
        pid: Pid,
        old: Pid,
        new: Pid,
    },
    State {
        pid: Pid,
        #[serde(deserialize_with = "state")]
        from: State,
        #[serde(deserialize_with = "state")]
        to: State,
    },
    /// A context switch.
    Switch {
        from: Pid,
        to: Pid,
    },
    /// A copy-on-write fault: `refs` tasks shared the page's frame, and the
    /// page was `copied` into a new frame, or kept its own.
    Cow {
        pid: Pid,
        page: u64,
        refs: u32,
        copied: bool,
    },
    Alloc {
        frame: u64,
    },
    Free {
        frame: u64,
    },
}

fn lossy_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let bytes = Vec::<u8>::deserialize(d)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// One line of the trace: the boot's nonce, the tick, the event.
#[derive(Debug, Deserialize)]
struct Line {
    nonce: String,
    t: u64,
    #[serde(flatten)]
    event: Event,
}

/// An event and the timer tick (10 ms) it happened in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timed {
    pub t: u64,
    pub event: Event,
}

/// A boot's events, in the order they happened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    pub events: Vec<Timed>,
}

/// Reads the trace a boot wrote. Every line must carry `nonce`, the boot's,
/// or the trace was forged. A last line cut short (QEMU was killed while the
/// kernel wrote it) is dropped.
pub fn parse(text: &str, nonce: &str) -> Result<Trace, String> {
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => "",
    };
    let mut events = Vec::new();
    for (i, raw) in complete.lines().enumerate() {
        let line: Line = serde_json::from_str(raw)
            .map_err(|e| format!("trace line {}: {e}: {raw:.200}", i + 1))?;
        if line.nonce != nonce {
            return Err(format!("trace line {}: not this boot's nonce: {raw:.200}", i + 1));
        }
        events.push(Timed { t: line.t, event: line.event });
    }
    attach_exec_errors(&mut events);
    Ok(Trace { events })
}

/// A failed execve is an exec event, then frame events at most, then its
/// error event: the exec event gets that errno.
fn attach_exec_errors(events: &mut [Timed]) {
    for i in 0..events.len() {
        let Event::Exec { pid, .. } = events[i].event else { continue };
        let errno = events[i + 1..]
            .iter()
            .find(|e| !matches!(e.event, Event::Alloc { .. } | Event::Free { .. }))
            .and_then(|e| match e.event {
                Event::Error { pid: p, nr: EXECVE, errno } if p == pid => Some(errno),
                _ => None,
            });
        if let (Some(errno), Event::Exec { errno: slot, .. }) = (errno, &mut events[i].event) {
            *slot = errno;
        }
    }
}

/// Linux's name for an error number, as `ENOEXEC`.
pub fn errno_name(errno: i32) -> String {
    format!("{:?}", nix::errno::Errno::from_raw(errno))
}

/// The name of system call `nr`.
pub fn syscall_name(nr: u64) -> String {
    SYSCALLS.iter().find(|s| s.0 == nr).map_or_else(|| format!("syscall {nr}"), |s| s.1.into())
}

/// What the trace says about one task over its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub pid: Pid,
    /// The parent that forked it.
    pub parent: Pid,
    /// What `ps` would call it last: the program it last executed, or its
    /// parent's name if it never did.
    pub name: String,
    /// The tick it was forked in.
    pub born: u64,
    /// The tick it exited in, and its wait status if the trace gave one.
    pub exited: Option<(u64, Option<i32>)>,
    /// The tick it was reaped in, and by whom.
    pub reaped: Option<(u64, Pid)>,
    /// Its adoptions: the tick, and the new parent.
    pub adopted: Vec<(u64, Pid)>,
    /// Its states in order, each with the index of the event that set it.
    /// The first is `Runnable`, at its fork.
    pub states: Vec<(usize, State)>,
}

impl Trace {
    /// The tick of the last event.
    pub fn end(&self) -> u64 {
        self.events.last().map_or(0, |e| e.t)
    }

    /// Every task the trace saw born, by pid.
    pub fn tasks(&self) -> BTreeMap<Pid, Task> {
        let mut tasks: BTreeMap<Pid, Task> = BTreeMap::new();
        for (i, Timed { t, event }) in self.events.iter().enumerate() {
            match event {
                Event::Fork { parent, child, name, .. } => {
                    let inherited = tasks.get(parent).map_or("idle", |p| &p.name).to_string();
                    let name = name.clone().unwrap_or(inherited);
                    let task = Task {
                        pid: *child,
                        parent: *parent,
                        name,
                        born: *t,
                        exited: None,
                        reaped: None,
                        adopted: Vec::new(),
                        states: vec![(i, State::Runnable)],
                    };
                    tasks.insert(*child, task);
                }
                Event::Exec { pid, path, errno: 0 } => {
                    if let Some(task) = tasks.get_mut(pid) {
                        task.name = path.rsplit('/').next().unwrap_or(path).to_string();
                    }
                }
                Event::Exit { pid, status } => {
                    tasks.entry(*pid).and_modify(|task| task.exited = Some((*t, *status)));
                }
                Event::Reap { pid, by, .. } => {
                    tasks.entry(*pid).and_modify(|task| task.reaped = Some((*t, *by)));
                }
                Event::Reparent { pid, new, .. } => {
                    tasks.entry(*pid).and_modify(|task| task.adopted.push((*t, *new)));
                }
                Event::State { pid, to, .. } => {
                    tasks.entry(*pid).and_modify(|task| task.states.push((i, *to)));
                }
                _ => {}
            }
        }
        tasks
    }

    /// The name of `pid` as the tasks know it, with the pid: `init[1]`.
    pub fn label(tasks: &BTreeMap<Pid, Task>, pid: Pid) -> String {
        match (pid, tasks.get(&pid)) {
            (IDLE, _) => "idle[0]".into(),
            (_, Some(task)) => format!("{}[{pid}]", task.name),
            (_, None) => format!("[{pid}]"),
        }
    }

    /// The pid on the CPU after each event (idle before the first switch).
    pub fn on_cpu(&self) -> Vec<Pid> {
        let mut current = IDLE;
        self.events
            .iter()
            .map(|e| {
                if let Event::Switch { to, .. } = e.event {
                    current = to;
                }
                current
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const ZOMBIE: &str = include_str!("testdata/zombie.jsonl");

    #[test]
    fn parses_every_event_and_checks_the_nonce() {
        let trace = parse(ZOMBIE, "abc").unwrap();
        let first = trace.events.iter().find(|e| !matches!(e.event, Event::Alloc { .. }));
        assert_eq!(
            first,
            Some(&Timed {
                t: 0,
                event: Event::Fork { parent: 0, child: 1, flags: 0, frames: 0, name: None }
            })
        );
        assert!(parse(ZOMBIE, "abd").unwrap_err().contains("not this boot's nonce"));
        assert!(parse("{\"nonce\":\"abc\"}\n", "abc").is_err(), "a line without an event");
        let cut = &ZOMBIE[..ZOMBIE.len() - 10];
        assert_eq!(parse(cut, "abc").unwrap().events.len(), trace.events.len() - 1);
    }

    #[test]
    fn a_failed_exec_gets_its_errno() {
        let text = concat!(
            r#"{"nonce":"","t":1,"ev":"exec","pid":2,"path":[47,98,105,110,47,103]}"#,
            "\n",
            r#"{"nonce":"","t":1,"ev":"error","pid":2,"nr":59,"errno":8}"#,
            "\n",
            r#"{"nonce":"","t":1,"ev":"exec","pid":2,"path":[47,98,105,110,47,101]}"#,
            "\n",
            r#"{"nonce":"","t":1,"ev":"alloc","frame":4096}"#,
            "\n",
            r#"{"nonce":"","t":1,"ev":"error","pid":2,"nr":61,"errno":10}"#,
            "\n",
        );
        let errnos: Vec<i32> = parse(text, "")
            .unwrap()
            .events
            .iter()
            .filter_map(|e| match e.event {
                Event::Exec { errno, .. } => Some(errno),
                _ => None,
            })
            .collect();
        assert_eq!(errnos, [8, 0]);
        assert_eq!(errno_name(8), "ENOEXEC");
        assert_eq!(syscall_name(61), "wait4");
    }

    #[test]
    fn tasks_follow_forks_execs_and_ends() {
        let tasks = parse(ZOMBIE, "abc").unwrap().tasks();
        let names: Vec<String> = tasks.keys().map(|&p| Trace::label(&tasks, p)).collect();
        assert_eq!(names, ["init[1]", "zombie[2]", "zombie[3]", "ps[4]", "ps[5]"]);
        let child = &tasks[&3];
        assert_eq!(
            (child.parent, child.exited, child.reaped),
            (2, Some((3, Some(7 << 8))), Some((9, 2)))
        );
        assert_eq!(child.states.last().unwrap().1, State::Zombie);
    }
}
