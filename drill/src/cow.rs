//! `cow`: processes fork, write to pages and exit under copy-on-write. How
//! many frames were copied, and what is each frame's reference count at the
//! end?
//!
//! The rules are those of Linux's `do_wp_page()` and of the cow exercise:
//! - fork shares every frame; a writable page becomes read-only and
//!   copy-on-write on both sides, and each frame gains one reference;
//! - a write to a copy-on-write page whose frame has other users copies it
//!   into a new frame (one reference), and the old frame loses one;
//! - a write when this process is the frame's last user copies nothing: the
//!   page just becomes writable again;
//! - a write to a page that is already writable costs nothing;
//! - exit drops one reference on every frame the process maps.

use crate::rng::Rng;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The read-only code page, shared and never written, and the data pages.
pub const CODE: &str = "code";
pub const DATA: [&str; 3] = ["A", "B", "C"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Fork { parent: usize, child: usize },
    Write { process: usize, page: usize },
    Exit(usize),
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Event::Fork { parent, child } => write!(f, "P{parent} forks P{child}"),
            Event::Write { process, page } => write!(f, "P{process} writes page {}", DATA[*page]),
            Event::Exit(p) => write!(f, "P{p} exits"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mapping {
    frame: usize,
    writable: bool,
}

/// The frames and who maps what. Page 0 of each process is the code page;
/// pages 1..=3 are A, B, C.
#[derive(Debug, Clone, Default)]
pub struct Machine {
    refs: Vec<u32>,
    spaces: BTreeMap<usize, Vec<Mapping>>,
    pub copies: usize,
}

/// The answer: frames copied, and for each page the reference counts of the
/// frames that hold it, largest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub copies: usize,
    pub counts: BTreeMap<String, Vec<u32>>,
}

impl Machine {
    /// P0 with the code page and pages A, B and C, each in its own frame.
    pub fn new() -> Machine {
        let mut m = Machine::default();
        let space =
            (0..=DATA.len()).map(|i| Mapping { frame: m.alloc(), writable: i > 0 }).collect();
        m.spaces.insert(0, space);
        m
    }

    fn alloc(&mut self) -> usize {
        self.refs.push(1);
        self.refs.len() - 1
    }

    pub fn alive(&self) -> Vec<usize> {
        self.spaces.keys().copied().collect()
    }

    /// Applies `e` and says what happened.
    pub fn apply(&mut self, e: &Event) -> String {
        match *e {
            Event::Fork { parent, child } => {
                let space = self.spaces.get_mut(&parent).expect("a live parent");
                for m in space.iter_mut() {
                    m.writable = false;
                }
                let shared = space.clone();
                for m in &shared {
                    self.refs[m.frame] += 1;
                }
                self.spaces.insert(child, shared);
                format!(
                    "P{child} shares all 4 of P{parent}'s frames, each +1; A, B, C are read-only in both"
                )
            }
            Event::Write { process, page } => {
                let m = self.spaces[&process][page + 1];
                let name = DATA[page];
                let what = if m.writable {
                    format!("page {name} is already P{process}'s own and writable: no fault")
                } else if self.refs[m.frame] == 1 {
                    format!(
                        "fault; P{process} is the last user of {name}'s frame: it becomes writable, no copy"
                    )
                } else {
                    self.refs[m.frame] -= 1;
                    let copy = self.alloc();
                    self.copies += 1;
                    self.spaces.get_mut(&process).unwrap()[page + 1].frame = copy;
                    format!(
                        "fault; {name}'s frame is shared ({} users): copy it (copy #{}), the old frame drops to {}",
                        self.refs[m.frame] + 1,
                        self.copies,
                        self.refs[m.frame]
                    )
                };
                self.spaces.get_mut(&process).unwrap()[page + 1].writable = true;
                what
            }
            Event::Exit(p) => {
                for m in self.spaces.remove(&p).expect("a live process") {
                    self.refs[m.frame] -= 1;
                }
                format!("P{p}'s 4 frames each lose a reference (a frame at 0 is freed)")
            }
        }
    }

    pub fn answer(&self) -> Answer {
        let mut counts = BTreeMap::new();
        for (i, name) in std::iter::once(CODE).chain(DATA).enumerate() {
            let mut frames: Vec<usize> = self.spaces.values().map(|s| s[i].frame).collect();
            frames.sort_unstable();
            frames.dedup();
            let mut c: Vec<u32> = frames.iter().map(|&f| self.refs[f]).collect();
            c.sort_unstable_by(|a, b| b.cmp(a));
            counts.insert(name.to_string(), c);
        }
        Answer { copies: self.copies, counts }
    }
}

pub fn solve(events: &[Event]) -> Answer {
    let mut m = Machine::new();
    for e in events {
        m.apply(e);
    }
    m.answer()
}

/// 6 to 9 events that copy at least once and reuse or exit at least once.
pub fn generate(seed: u64) -> Vec<Event> {
    let mut rng = Rng::new(seed);
    loop {
        let mut m = Machine::new();
        let mut events = Vec::new();
        let mut next = 1;
        let steps = 6 + rng.below(4);
        while events.len() < steps {
            let alive = m.alive();
            let who = rng.pick(&alive);
            let e = match rng.below(10) {
                0..=2 if next <= 3 => {
                    next += 1;
                    Event::Fork { parent: who, child: next - 1 }
                }
                3 if who != 0 && alive.len() > 1 => Event::Exit(who),
                _ => Event::Write { process: who, page: rng.below(DATA.len()) },
            };
            m.apply(&e);
            events.push(e);
        }
        let interesting = m.copies > 0
            && events.iter().any(|e| matches!(e, Event::Exit(_)))
            && events.iter().filter(|e| matches!(e, Event::Fork { .. })).count() >= 2;
        if interesting {
            return events;
        }
    }
}

pub fn render(events: &[Event]) -> String {
    let mut out = String::from(
        "P0 maps four pages, each in a frame of its own: code (read-only) and A, B, C (writable).\n",
    );
    for (i, e) in events.iter().enumerate() {
        let _ = writeln!(out, "  {}. {e}", i + 1);
    }
    out
}

pub fn format(a: &Answer) -> String {
    let mut out = a.copies.to_string();
    for (page, c) in &a.counts {
        let c: Vec<String> = c.iter().map(u32::to_string).collect();
        let _ = write!(out, "; {page} {}", c.join(" "));
    }
    out
}

/// Reads `COPIES; code N; A N N; B N; C N`, pages in any order.
pub fn parse(text: &str) -> Result<Answer, String> {
    let mut parts = text.split([';', '\n']).map(str::trim).filter(|s| !s.is_empty());
    let copies = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("start with the number of frames copied, e.g. `2; code 3; A 2 1; B 3; C 1 1 1`")?;
    let mut counts = BTreeMap::new();
    for part in parts {
        let mut words = part.split_whitespace();
        let page = words.next().unwrap_or_default();
        let page = if page.eq_ignore_ascii_case(CODE) {
            CODE.to_string()
        } else {
            page.to_ascii_uppercase()
        };
        if page != CODE && !DATA.contains(&page.as_str()) {
            return Err(format!("{page:?} is not a page: the pages are code, A, B and C"));
        }
        let mut c = words
            .map(|w| w.parse::<u32>().map_err(|_| format!("{w:?} is not a reference count")))
            .collect::<Result<Vec<u32>, String>>()?;
        c.sort_unstable_by(|a, b| b.cmp(a));
        counts.insert(page, c);
    }
    if counts.len() != 1 + DATA.len() {
        return Err("give the reference counts of every page: code, A, B and C".into());
    }
    Ok(Answer { copies, counts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_sharer_reuses_its_frame() {
        let events = [
            Event::Fork { parent: 0, child: 1 },
            Event::Write { process: 1, page: 0 },
            Event::Write { process: 0, page: 0 },
            Event::Fork { parent: 1, child: 2 },
            Event::Exit(1),
        ];
        let a = solve(&events);
        // P1's write copied A; P0's write then found A's frame unshared.
        // P2 shares P1's frames; P1's exit leaves them with P2 alone.
        assert_eq!(a.copies, 1);
        assert_eq!(format(&a), "1; A 1 1; B 2; C 2; code 2");
        assert_eq!(parse("1; code 2; a 1 1; B 2; C 2").unwrap(), a);
    }

    #[test]
    fn generated_problems_are_repeatable() {
        for seed in 0..300 {
            let e = generate(seed);
            assert_eq!(e, generate(seed));
            assert!(solve(&e).copies > 0);
        }
    }
}
