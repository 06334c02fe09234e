//! `fork-tree`: named processes fork and exit; draw the tree that is left.
//!
//! The rules are Linux's, for a machine whose init reaps at once:
//! - a fork makes the child a child of the process that forked;
//! - an exiting process becomes a zombie until its parent waits, and the
//!   processes in these drills never wait, except init, which reaps its
//!   children as soon as they die;
//! - the children of an exiting process, zombies included, are reparented
//!   to init (`forget_original_parent()`), which reaps the zombies among them.

use crate::rng::Rng;
use std::collections::BTreeMap;
use std::fmt::Write;

pub const INIT: &str = "init";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Fork { parent: String, child: String },
    Exit(String),
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Action::Fork { parent, child } => write!(f, "{parent} forks {child}"),
            Action::Exit(who) => write!(f, "{who} exits"),
        }
    }
}

/// One process that is still in the tree: its parent, and whether it is a
/// zombie. Processes that were reaped are not in the tree at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub parent: String,
    pub zombie: bool,
}

/// The tree after some actions: every process but init, by name.
pub type Tree = BTreeMap<String, Node>;

/// What one action did, in words, for the explanation.
pub fn apply(tree: &mut Tree, action: &Action) -> Result<String, String> {
    let alive = |tree: &Tree, who: &str| who == INIT || tree.get(who).is_some_and(|n| !n.zombie);
    match action {
        Action::Fork { parent, child } => {
            if !alive(tree, parent) {
                return Err(format!("{parent} cannot fork: it is not a running process"));
            }
            if child == INIT || tree.contains_key(child) {
                return Err(format!("{child} already exists: give each new process a new name"));
            }
            tree.insert(child.clone(), Node { parent: parent.clone(), zombie: false });
            Ok(format!("{child} is a child of {parent}"))
        }
        Action::Exit(who) => {
            if who == INIT {
                return Err("init never exits (Linux panics if it does)".into());
            }
            if !alive(tree, who) {
                return Err(format!("{who} cannot exit: it is not a running process"));
            }
            let mut said = Vec::new();
            let orphans: Vec<String> =
                tree.iter().filter(|(_, n)| n.parent == *who).map(|(k, _)| k.clone()).collect();
            for o in &orphans {
                let node = tree.get_mut(o).expect("listed above");
                node.parent = INIT.into();
                if node.zombie {
                    tree.remove(o);
                    said.push(format!("its zombie child {o} goes to init, which reaps it"));
                } else {
                    said.push(format!("its child {o} is reparented to init"));
                }
            }
            let node = tree.get_mut(who).expect("alive");
            if node.parent == INIT {
                tree.remove(who);
                said.insert(0, format!("{who} exits and init, its parent, reaps it at once"));
            } else {
                node.zombie = true;
                let p = node.parent.clone();
                said.insert(0, format!("{who} exits and stays a zombie: {p} never waits"));
            }
            Ok(said.join("; "))
        }
    }
}

/// Runs the actions from an empty tree (init alone).
pub fn solve(actions: &[Action]) -> Result<Tree, String> {
    let mut tree = Tree::new();
    for a in actions {
        apply(&mut tree, a).map_err(|e| format!("`{a}`: {e}"))?;
    }
    Ok(tree)
}

/// A random sequence of 6 to 9 actions that reparents at least one process
/// and leaves at least two in the tree.
pub fn generate(seed: u64) -> Vec<Action> {
    let mut rng = Rng::new(seed);
    loop {
        let (actions, reparented) = attempt(&mut rng);
        if reparented && solve(&actions).is_ok_and(|t| t.len() >= 2) {
            return actions;
        }
    }
}

fn attempt(rng: &mut Rng) -> (Vec<Action>, bool) {
    let mut tree = Tree::new();
    let mut actions = Vec::new();
    let mut names = (b'a'..=b'z').map(|c| (c as char).to_string());
    let mut reparented = false;
    let steps = 6 + rng.below(4);
    while actions.len() < steps {
        let running: Vec<String> = std::iter::once(INIT.to_string())
            .chain(tree.iter().filter(|(_, n)| !n.zombie).map(|(k, _)| k.clone()))
            .collect();
        let action = if running.len() > 1 && rng.chance(35) {
            Action::Exit(running[1 + rng.below(running.len() - 1)].clone())
        } else {
            // Favour the newest processes, so the tree grows deep, not flat.
            let i = running.len() - 1 - rng.below(running.len()).min(rng.below(running.len()));
            Action::Fork { parent: running[i].clone(), child: names.next().expect("26 names") }
        };
        if let Action::Exit(who) = &action {
            reparented |= tree.values().any(|n| n.parent == *who);
        }
        apply(&mut tree, &action).expect("generated actions are valid");
        actions.push(action);
    }
    (actions, reparented)
}

/// The tree as `pstree` would draw it, zombies marked.
pub fn draw(tree: &Tree) -> String {
    let mut out = String::new();
    draw_node(tree, INIT, "", &mut out);
    out
}

fn draw_node(tree: &Tree, name: &str, prefix: &str, out: &mut String) {
    let label = match tree.get(name) {
        Some(n) if n.zombie => format!("{name} <defunct>"),
        _ => name.to_string(),
    };
    let _ = writeln!(out, "{label}");
    let kids: Vec<&String> =
        tree.iter().filter(|(_, n)| n.parent == name).map(|(k, _)| k).collect();
    for (i, k) in kids.iter().enumerate() {
        let last = i + 1 == kids.len();
        let _ = write!(out, "{prefix}{}", if last { "└── " } else { "├── " });
        draw_node(tree, k, &format!("{prefix}{}", if last { "    " } else { "│   " }), out);
    }
}

/// The answer format: `CHILD:PARENT` for each process in the tree, with
/// `:Z` after a zombie, e.g. `a:init b:a c:a:Z`.
pub fn format_tree(tree: &Tree) -> String {
    let parts: Vec<String> = tree
        .iter()
        .map(|(k, n)| format!("{k}:{}{}", n.parent, if n.zombie { ":Z" } else { "" }))
        .collect();
    parts.join(" ")
}

pub fn parse_tree(text: &str) -> Result<Tree, String> {
    let mut tree = Tree::new();
    for token in text.split(|c: char| c.is_whitespace() || c == ',').filter(|t| !t.is_empty()) {
        let parts: Vec<&str> = token.split(':').collect();
        let (child, parent, zombie) = match parts[..] {
            [c, p] => (c, p, false),
            [c, p, z] if z.eq_ignore_ascii_case("z") => (c, p, true),
            _ => {
                return Err(format!(
                    "{token:?}: write CHILD:PARENT, or CHILD:PARENT:Z for a zombie"
                ));
            }
        };
        if tree.insert(child.into(), Node { parent: parent.into(), zombie }).is_some() {
            return Err(format!("{child} is listed twice"));
        }
    }
    Ok(tree)
}

/// Actions as the reverse mode reads them: `a forks b, b exits`.
pub fn parse_actions(text: &str) -> Result<Vec<Action>, String> {
    text.split([',', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let words: Vec<&str> = s.split_whitespace().collect();
            match words[..] {
                [p, "forks", c] => Ok(Action::Fork { parent: p.into(), child: c.into() }),
                [w, "exits"] => Ok(Action::Exit(w.into())),
                _ => Err(format!("{s:?}: write `X forks Y` or `X exits`")),
            }
        })
        .collect()
}

/// Why `answer` is not `right`, one line per process that differs.
pub fn differences(right: &Tree, answer: &Tree) -> Vec<String> {
    let mut out = Vec::new();
    let show = |n: Option<&Node>| match n {
        None => "not in the tree".to_string(),
        Some(n) => format!("child of {}{}", n.parent, if n.zombie { ", a zombie" } else { "" }),
    };
    let names: std::collections::BTreeSet<&String> = right.keys().chain(answer.keys()).collect();
    for name in names {
        let (r, a) = (right.get(name), answer.get(name));
        if r != a {
            out.push(format!("{name}: you said {}, but it is {}", show(a), show(r)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fork(p: &str, c: &str) -> Action {
        Action::Fork { parent: p.into(), child: c.into() }
    }

    #[test]
    fn orphans_go_to_init_and_zombie_orphans_are_reaped() {
        let actions = [
            fork(INIT, "a"),
            fork("a", "b"),
            fork("b", "c"),
            fork("b", "d"),
            Action::Exit("d".into()),
            Action::Exit("b".into()),
        ];
        let tree = solve(&actions).unwrap();
        // b is a's zombie; c went to init; d, b's zombie, went to init and was reaped.
        assert_eq!(format_tree(&tree), "a:init b:a:Z c:init");
        assert_eq!(parse_tree("c:init, b:a:z a:init").unwrap(), tree);
        assert_eq!(draw(&tree), "init\n├── a\n│   └── b <defunct>\n└── c\n");
    }

    #[test]
    fn impossible_actions_are_refused() {
        assert!(solve(&[Action::Exit(INIT.into())]).is_err());
        assert!(solve(&[fork(INIT, "a"), Action::Exit("a".into()), fork("a", "b")]).is_err());
        assert!(solve(&[fork(INIT, "a"), fork(INIT, "a")]).is_err());
    }

    #[test]
    fn generated_problems_are_repeatable_and_valid() {
        for seed in 0..300 {
            let a = generate(seed);
            assert_eq!(a, generate(seed));
            assert!(solve(&a).is_ok());
            assert!((6..=9).contains(&a.len()));
        }
        assert_ne!(generate(1), generate(2));
    }

    #[test]
    fn reverse_answers_are_parsed() {
        let a = parse_actions("init forks a, a forks b; a exits").unwrap();
        assert_eq!(a, [fork(INIT, "a"), fork("a", "b"), Action::Exit("a".into())]);
        assert!(parse_actions("a spawns b").is_err());
    }
}
