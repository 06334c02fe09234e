//! `states`: a timeline of forks, sleeps, wake-ups, exits and waits; give
//! every task's STAT letter after each step.
//!
//! The letters are `ps`'s: `R` runnable or running (Linux's `TASK_RUNNING`
//! covers both), `S` asleep (in `sleep`, or blocked in `wait4`), `Z` zombie,
//! and `-` for a task that does not exist (not forked yet, or reaped).
//! Task `a` is a child of init, and init reaps its children at once, as
//! every init does: it spends its life in `wait4`.

use crate::rng::Rng;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Fork { parent: usize, child: usize },
    Sleep(usize),
    Wake(usize),
    Exit(usize),
    Wait(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    Absent,
    Running,
    /// Asleep until `Wake`.
    Sleeping,
    /// Blocked in `wait4` until a child exits.
    Waiting,
    Zombie,
}

impl Stat {
    pub fn letter(self) -> char {
        match self {
            Stat::Absent => '-',
            Stat::Running => 'R',
            Stat::Sleeping | Stat::Waiting => 'S',
            Stat::Zombie => 'Z',
        }
    }
}

/// Index 0 is init; tasks 1.. are `a`, `b`, ...
#[derive(Debug, Clone)]
pub struct World {
    pub stat: Vec<Stat>,
    pub parent: Vec<usize>,
}

pub fn task_name(i: usize) -> String {
    if i == 0 { "init".into() } else { ((b'a' + i as u8 - 1) as char).to_string() }
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let n = task_name;
        match *self {
            Event::Fork { parent, child } => {
                write!(f, "{} calls fork(): {} is born", n(parent), n(child))
            }
            Event::Sleep(t) => write!(f, "{} calls sleep(10)", n(t)),
            Event::Wake(t) => write!(f, "{}'s sleep ends", n(t)),
            Event::Exit(t) => write!(f, "{} calls exit(0)", n(t)),
            Event::Wait(t) => write!(f, "{} calls wait(NULL)", n(t)),
        }
    }
}

impl World {
    pub fn new(tasks: usize) -> World {
        let mut stat = vec![Stat::Absent; tasks + 1];
        stat[0] = Stat::Waiting;
        stat[1] = Stat::Running;
        World { stat, parent: vec![0; tasks + 1] }
    }

    fn children(&self, t: usize) -> Vec<usize> {
        (1..self.stat.len())
            .filter(|&c| self.parent[c] == t && self.stat[c] != Stat::Absent)
            .collect()
    }

    /// Whether `e` can happen now: only a running task acts, and a sleep
    /// ends only for a task in `sleep`.
    pub fn allows(&self, e: Event) -> bool {
        match e {
            Event::Fork { parent, child } => {
                self.stat[parent] == Stat::Running && self.stat[child] == Stat::Absent
            }
            Event::Sleep(t) | Event::Exit(t) => self.stat[t] == Stat::Running,
            Event::Wake(t) => self.stat[t] == Stat::Sleeping,
            Event::Wait(t) => {
                self.stat[t] == Stat::Running
                    && self.children(t).iter().filter(|&&c| self.stat[c] == Stat::Zombie).count()
                        <= 1
            }
        }
    }

    /// Applies `e` and says what happened.
    pub fn apply(&mut self, e: Event) -> String {
        assert!(self.allows(e), "{e} cannot happen now");
        let n = task_name;
        match e {
            Event::Fork { parent, child } => {
                self.stat[child] = Stat::Running;
                self.parent[child] = parent;
                format!("{} is new and runnable: R", n(child))
            }
            Event::Sleep(t) => {
                self.stat[t] = Stat::Sleeping;
                format!("{} sleeps until its timer fires: S", n(t))
            }
            Event::Wake(t) => {
                self.stat[t] = Stat::Running;
                format!(
                    "{} is woken and runnable again: R (a sleeper never runs at once; it queues)",
                    n(t)
                )
            }
            Event::Wait(t) => {
                let kids = self.children(t);
                if let Some(&z) = kids.iter().find(|&&c| self.stat[c] == Stat::Zombie) {
                    self.stat[z] = Stat::Absent;
                    format!(
                        "{} reaps its zombie child {} at once and goes on: {} is gone",
                        n(t),
                        n(z),
                        n(z)
                    )
                } else if kids.is_empty() {
                    format!(
                        "{} has no children: wait fails with ECHILD at once, and {} stays R",
                        n(t),
                        n(t)
                    )
                } else {
                    self.stat[t] = Stat::Waiting;
                    format!("{} has children but no zombie: it blocks in wait4: S", n(t))
                }
            }
            Event::Exit(t) => self.exit(t),
        }
    }

    fn exit(&mut self, t: usize) -> String {
        let n = task_name;
        let mut said = Vec::new();
        for c in self.children(t) {
            self.parent[c] = 0;
            if self.stat[c] == Stat::Zombie {
                self.stat[c] = Stat::Absent;
                said.push(format!("zombie {} goes to init, which reaps it", n(c)));
            } else {
                said.push(format!("{} is reparented to init", n(c)));
            }
        }
        let p = self.parent[t];
        let head = if p == 0 {
            self.stat[t] = Stat::Absent;
            format!("{} exits; init reaps it at once", n(t))
        } else if self.stat[p] == Stat::Waiting {
            self.stat[t] = Stat::Absent;
            self.stat[p] = Stat::Running;
            format!("{} exits; {} was blocked in wait, wakes (R) and reaps it", n(t), n(p))
        } else {
            self.stat[t] = Stat::Zombie;
            format!("{} exits and is a zombie (Z) until {} waits", n(t), n(p))
        };
        said.insert(0, head);
        said.join("; ")
    }

    /// The letters of tasks a, b, ... (init left out).
    pub fn letters(&self) -> String {
        self.stat[1..].iter().map(|s| s.letter()).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub tasks: usize,
    pub events: Vec<Event>,
}

/// Letters after each event.
pub fn solve(p: &Problem) -> Vec<String> {
    let mut w = World::new(p.tasks);
    p.events
        .iter()
        .map(|&e| {
            w.apply(e);
            w.letters()
        })
        .collect()
}

/// 6 to 8 events among 3 or 4 tasks, with at least one zombie and one wait.
pub fn generate(seed: u64) -> Problem {
    let mut rng = Rng::new(seed);
    loop {
        let tasks = 3 + rng.below(2);
        let steps = 6 + rng.below(3);
        let mut w = World::new(tasks);
        let mut events = Vec::new();
        let mut tries = 0;
        while events.len() < steps && tries < 200 {
            tries += 1;
            let t = 1 + rng.below(tasks);
            let next_child = (1..=tasks).find(|&c| {
                w.stat[c] == Stat::Absent
                    && events.iter().all(|e| !matches!(e, Event::Fork { child, .. } if *child == c))
            });
            let e = match rng.below(5) {
                0 | 1 => match next_child {
                    Some(child) if child != 1 => Event::Fork { parent: t, child },
                    _ => continue,
                },
                2 => Event::Sleep(t),
                3 => Event::Wake(t),
                _ => {
                    if rng.chance(50) {
                        Event::Exit(t)
                    } else {
                        Event::Wait(t)
                    }
                }
            };
            if w.allows(e) {
                w.apply(e);
                events.push(e);
            }
        }
        let p = Problem { tasks, events };
        let letters = solve(&p);
        let zombie = letters.iter().any(|l| l.contains('Z'));
        let waits = p.events.iter().any(|e| matches!(e, Event::Wait(_)));
        if p.events.len() == steps && zombie && waits {
            return p;
        }
    }
}

pub fn render(p: &Problem) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "At the start, a (a child of init) is running; {} are not born yet.",
        (2..=p.tasks).map(task_name).collect::<Vec<_>>().join(", ")
    );
    for (i, e) in p.events.iter().enumerate() {
        let _ = writeln!(out, "  {}. {e}", i + 1);
    }
    out
}

/// Reads one word of letters per step, e.g. `RR-- RRR- ...`.
pub fn parse(text: &str, p: &Problem) -> Result<Vec<String>, String> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '/')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_uppercase())
        .collect();
    if words.len() != p.events.len() {
        return Err(format!("give {} words, one per step, not {}", p.events.len(), words.len()));
    }
    for w in &words {
        if w.chars().count() != p.tasks || !w.chars().all(|c| "RSZ-".contains(c)) {
            return Err(format!("{w:?}: each word has {} letters from R, S, Z and -", p.tasks));
        }
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parent_blocked_in_wait_reaps_at_once_and_orphans_go_to_init() {
        let p = Problem {
            tasks: 3,
            events: vec![
                Event::Fork { parent: 1, child: 2 },
                Event::Fork { parent: 2, child: 3 },
                Event::Wait(1),
                Event::Exit(3),
                Event::Exit(2),
                Event::Wait(1),
            ],
        };
        // c's exit leaves a zombie (b is not waiting); b's exit hands zombie c
        // to init and wakes a, which was blocked in wait and reaps b.
        assert_eq!(solve(&p), ["RR-", "RRR", "SRR", "SRZ", "R--", "R--"]);
    }

    #[test]
    fn generated_problems_are_repeatable_and_valid() {
        for seed in 0..300 {
            let p = generate(seed);
            assert_eq!(p, generate(seed));
            assert!(solve(&p).iter().any(|l| l.contains('Z')));
        }
    }
}
