//! `wait-order`: a program forks, waits and prints; which output orders can
//! it produce?
//!
//! The answer is not one order but a set. Each process runs its own
//! statements in order; a child starts only after its parent's `fork()`,
//! and `waitpid(c)` returns only after child `c` has exited. Those edges
//! make a partial order, *happens-before*, and the scheduler may produce any
//! interleaving that respects it. So the possible outputs are exactly the
//! orderings of the prints that respect happens-before (its linear
//! extensions), and this module computes all of them.

use crate::rng::Rng;
use std::collections::BTreeSet;
use std::fmt::Write;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stmt {
    Print(char),
    /// `let cN = fork(); if cN == 0 { body; exit(0) }`
    Fork {
        child: usize,
        body: Vec<Stmt>,
    },
    Wait(usize),
}

/// The program: the statements of the first process (child 0 is `main`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub main: Vec<Stmt>,
}

/// One step a process takes, a node of the happens-before graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Print { process: usize, label: char },
    Fork { process: usize, child: usize },
    Start(usize),
    Exit(usize),
    WaitReturns { process: usize, child: usize },
}

/// The happens-before graph: events, and edges `(before, after)`.
#[derive(Debug, Clone)]
pub struct Graph {
    pub events: Vec<Event>,
    pub edges: Vec<(usize, usize)>,
}

fn name(process: usize) -> String {
    if process == 0 { "main".into() } else { format!("c{process}") }
}

impl Event {
    pub fn describe(&self) -> String {
        match self {
            Event::Print { process, label } => format!("{} prints {label}", name(*process)),
            Event::Fork { process, child } => format!("{} forks {}", name(*process), name(*child)),
            Event::Start(p) => format!("{} starts", name(*p)),
            Event::Exit(p) => format!("{} exits", name(*p)),
            Event::WaitReturns { process, child } => {
                format!("{}'s waitpid({}) returns", name(*process), name(*child))
            }
        }
    }
}

impl Program {
    pub fn graph(&self) -> Graph {
        let mut g = Graph { events: vec![Event::Start(0)], edges: Vec::new() };
        let mut exits = Vec::new();
        g.walk(0, &self.main, 0, &mut exits);
        // Every waitpid(c) returns after c's exit.
        for (i, e) in g.events.clone().iter().enumerate() {
            if let Event::WaitReturns { child, .. } = e {
                let exit = exits.iter().find(|(c, _)| c == child).expect("waited child exists").1;
                g.edges.push((exit, i));
            }
        }
        g
    }

    /// The labels, in the order they appear in the source.
    pub fn labels(&self) -> Vec<char> {
        fn collect(body: &[Stmt], out: &mut Vec<char>) {
            for s in body {
                match s {
                    Stmt::Print(l) => out.push(*l),
                    Stmt::Fork { body, .. } => collect(body, out),
                    Stmt::Wait(_) => {}
                }
            }
        }
        let mut out = Vec::new();
        collect(&self.main, &mut out);
        out
    }

    /// The process that prints each label.
    pub fn owner(&self, label: char) -> usize {
        self.graph()
            .events
            .iter()
            .find_map(|e| match e {
                Event::Print { process, label: l } if *l == label => Some(*process),
                _ => None,
            })
            .expect("a label of this program")
    }

    /// The number of processes, main included.
    pub fn processes(&self) -> usize {
        self.graph().events.iter().filter(|e| matches!(e, Event::Start(_))).count()
    }
}

impl Graph {
    /// Adds the events of `body`, run by `process`, after event `prev`.
    fn walk(
        &mut self,
        process: usize,
        body: &[Stmt],
        mut prev: usize,
        exits: &mut Vec<(usize, usize)>,
    ) {
        let push = |g: &mut Graph, e: Event, prev: &mut usize| {
            g.events.push(e);
            let i = g.events.len() - 1;
            g.edges.push((*prev, i));
            *prev = i;
        };
        for s in body {
            match s {
                Stmt::Print(label) => {
                    push(self, Event::Print { process, label: *label }, &mut prev)
                }
                Stmt::Wait(child) => {
                    push(self, Event::WaitReturns { process, child: *child }, &mut prev)
                }
                Stmt::Fork { child, body } => {
                    push(self, Event::Fork { process, child: *child }, &mut prev);
                    let mut start = prev;
                    push(self, Event::Start(*child), &mut start);
                    self.walk(*child, body, start, exits);
                }
            }
        }
        if process != 0 {
            push(self, Event::Exit(process), &mut prev);
            exits.push((process, prev));
        }
    }

    /// `reach[a][b]`: event a happens before event b.
    pub fn reach(&self) -> Vec<Vec<bool>> {
        let n = self.events.len();
        let mut reach = vec![vec![false; n]; n];
        for &(a, b) in &self.edges {
            reach[a][b] = true;
        }
        for k in 0..n {
            let through_k = reach[k].clone();
            for row in reach.iter_mut().filter(|row| row[k]) {
                for (x, &y) in row.iter_mut().zip(&through_k) {
                    *x |= y;
                }
            }
        }
        reach
    }

    /// A chain of edges from event `a` to event `b`, if `a` happens before `b`.
    pub fn path(&self, a: usize, b: usize) -> Option<Vec<usize>> {
        let mut prev = vec![usize::MAX; self.events.len()];
        let mut queue = std::collections::VecDeque::from([a]);
        prev[a] = a;
        while let Some(x) = queue.pop_front() {
            if x == b {
                let mut path = vec![b];
                while *path.last().unwrap() != a {
                    path.push(prev[*path.last().unwrap()]);
                }
                path.reverse();
                return Some(path);
            }
            for &(s, t) in &self.edges {
                if s == x && prev[t] == usize::MAX {
                    prev[t] = x;
                    queue.push_back(t);
                }
            }
        }
        None
    }

    fn print_index(&self, label: char) -> Option<usize> {
        self.events.iter().position(|e| matches!(e, Event::Print { label: l, .. } if *l == label))
    }
}

/// Every output the program can produce, as strings of labels.
pub fn all_orders(program: &Program) -> BTreeSet<String> {
    let g = program.graph();
    let reach = g.reach();
    let prints: Vec<(usize, char)> = g
        .events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e {
            Event::Print { label, .. } => Some((i, *label)),
            _ => None,
        })
        .collect();
    // Restricted to the prints, happens-before is still a partial order, and
    // every ordering of the prints that respects it extends to an ordering of
    // all the events: so enumerating over the prints alone loses nothing.
    let mut out = BTreeSet::new();
    let mut done = vec![false; prints.len()];
    let mut order = String::new();
    extend(&prints, &reach, &mut done, &mut order, &mut out);
    out
}

fn extend(
    prints: &[(usize, char)],
    reach: &[Vec<bool>],
    done: &mut [bool],
    order: &mut String,
    out: &mut BTreeSet<String>,
) {
    if order.len() == prints.len() {
        out.insert(order.clone());
        return;
    }
    for i in 0..prints.len() {
        let ready = !done[i]
            && (0..prints.len()).all(|j| done[j] || j == i || !reach[prints[j].0][prints[i].0]);
        if ready {
            done[i] = true;
            order.push(prints[i].1);
            extend(prints, reach, done, order, out);
            order.pop();
            done[i] = false;
        }
    }
}

/// Reads an answer such as `A C B D` or `ACBD`.
pub fn parse_order(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != ',')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Why `answer` is impossible: the first pair it puts in the wrong order,
/// with the chain of happens-before edges that forbids it.
pub fn explain_wrong(program: &Program, answer: &str) -> String {
    let labels = program.labels();
    let mut sorted_answer: Vec<char> = answer.chars().collect();
    sorted_answer.sort_unstable();
    let mut sorted_labels = labels.clone();
    sorted_labels.sort_unstable();
    if sorted_answer != sorted_labels {
        return format!(
            "an order must name every label once: {}",
            labels.iter().map(char::to_string).collect::<Vec<_>>().join(", ")
        );
    }
    let g = program.graph();
    let chars: Vec<char> = answer.chars().collect();
    for (i, &first) in chars.iter().enumerate() {
        for &later in &chars[i + 1..] {
            let (a, b) = (g.print_index(later).unwrap(), g.print_index(first).unwrap());
            if let Some(path) = g.path(a, b) {
                let steps: Vec<String> = path.iter().map(|&e| g.events[e].describe()).collect();
                return format!(
                    "you print {first} before {later}, but {later} happens before {first}:\n    {}",
                    steps.join("\n -> ")
                );
            }
        }
    }
    unreachable!("an order that respects every edge is possible")
}

/// The program as the reader sees it: Rust with the `nix`-style calls.
pub fn render(program: &Program) -> String {
    let mut out = String::from("fn main() {\n");
    render_body(&program.main, 1, &mut out);
    out.push_str("}\n");
    out
}

fn render_body(body: &[Stmt], depth: usize, out: &mut String) {
    let pad = "    ".repeat(depth);
    for s in body {
        match s {
            Stmt::Print(l) => {
                let _ = writeln!(out, "{pad}println!(\"{l}\");");
            }
            Stmt::Wait(c) => {
                let _ = writeln!(out, "{pad}waitpid(c{c});");
            }
            Stmt::Fork { child, body } => {
                let _ = writeln!(out, "{pad}let c{child} = fork();");
                let _ = writeln!(out, "{pad}if c{child} == 0 {{");
                render_body(body, depth + 1, out);
                let _ = writeln!(out, "{pad}    exit(0);");
                let _ = writeln!(out, "{pad}}}");
            }
        }
    }
}

/// A program with 4 to 7 prints, 2 or 3 forks (some nested), and waits for
/// some of the children.
pub fn generate(seed: u64) -> Program {
    let mut rng = Rng::new(seed);
    loop {
        let mut labels = ('A'..='Z').peekable();
        let mut next_child = 1;
        let forks = 2 + rng.below(2);
        let main = body(&mut rng, &mut labels, &mut next_child, forks, 0);
        let program = Program { main };
        let prints = program.labels().len();
        let orders = all_orders(&program).len();
        // Too few orders is no puzzle; too many is a chore to list.
        if (4..=7).contains(&prints) && (3..=60).contains(&orders) {
            return program;
        }
    }
}

fn body(
    rng: &mut Rng,
    labels: &mut std::iter::Peekable<std::ops::RangeInclusive<char>>,
    next_child: &mut usize,
    forks_left: usize,
    depth: usize,
) -> Vec<Stmt> {
    let mut out = vec![Stmt::Print(labels.next().expect("26 labels"))];
    let mut forks = forks_left;
    let mut unwaited = Vec::new();
    while forks > 0 {
        let child = *next_child;
        *next_child += 1;
        forks -= 1;
        // Some of the remaining forks happen inside the child.
        let nested = if depth < 2 && forks > 0 && rng.chance(40) {
            forks -= 1;
            1
        } else {
            0
        };
        let inner = body(rng, labels, next_child, nested, depth + 1);
        out.push(Stmt::Fork { child, body: inner });
        unwaited.push(child);
        if rng.chance(50) {
            out.push(Stmt::Print(labels.next().expect("26 labels")));
        }
        if rng.chance(60) {
            out.push(Stmt::Wait(unwaited.remove(rng.below(unwaited.len()))));
        }
    }
    if rng.chance(60) {
        out.push(Stmt::Print(labels.next().expect("26 labels")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example's shape: main prints, forks a child that prints,
    /// and prints again; with and without a wait.
    #[test]
    fn a_wait_orders_the_childs_print_before_the_parents_next_one() {
        let child = Stmt::Fork { child: 1, body: vec![Stmt::Print('B')] };
        let free = Program { main: vec![Stmt::Print('A'), child.clone(), Stmt::Print('C')] };
        let orders: Vec<String> = all_orders(&free).into_iter().collect();
        assert_eq!(orders, ["ABC", "ACB"]);
        let waited =
            Program { main: vec![Stmt::Print('A'), child, Stmt::Wait(1), Stmt::Print('C')] };
        let orders: Vec<String> = all_orders(&waited).into_iter().collect();
        assert_eq!(orders, ["ABC"]);
        let why = explain_wrong(&waited, "ACB");
        assert!(why.contains("c1 exits") && why.contains("waitpid(c1) returns"), "{why}");
    }

    #[test]
    fn a_grandchild_is_not_waited_for_by_its_grandparent() {
        let grandchild = Stmt::Fork { child: 2, body: vec![Stmt::Print('C')] };
        let child = Stmt::Fork { child: 1, body: vec![Stmt::Print('B'), grandchild] };
        let p = Program { main: vec![Stmt::Print('A'), child, Stmt::Wait(1), Stmt::Print('D')] };
        let orders = all_orders(&p);
        assert!(orders.contains("ABDC"), "main waits for c1 only: {orders:?}");
        assert!(!orders.contains("ADBC"));
        assert_eq!(orders.len(), 2, "ABCD and ABDC: {orders:?}");
    }

    #[test]
    fn generated_programs_are_repeatable_and_in_range() {
        for seed in 0..200 {
            let p = generate(seed);
            assert_eq!(p, generate(seed));
            let n = all_orders(&p).len();
            assert!((3..=60).contains(&n), "seed {seed}: {n} orders");
        }
    }

    #[test]
    fn answers_are_normalised() {
        assert_eq!(parse_order("a, c b d"), "ACBD");
    }
}
