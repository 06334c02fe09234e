//! What a learner has done so far, remembered between runs of
//! `cargo grade watch` and shown by `cargo grade progress`.
//!
//! It lives outside the source tree, so `git status` stays clean: in
//! `$COURSE_STATE_DIR`, else `$XDG_STATE_HOME/processes-workbook`, else
//! `~/.local/state/processes-workbook`, as `progress.json`. Each checkout
//! of the course has its own entry, keyed by its path.

use crate::rubric::Rubric;
use crate::verdict::PieceScore;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PieceProgress {
    pub passed: usize,
    pub items: usize,
    pub points: u32,
    pub max: u32,
    /// The most points this piece ever scored.
    pub best: u32,
    /// How many hints were shown, by test name.
    pub hints: BTreeMap<String, usize>,
    /// Seconds since the epoch of the last run.
    pub last_run: u64,
}

impl PieceProgress {
    pub fn done(&self) -> bool {
        self.max > 0 && self.points == self.max
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Store {
    checkouts: BTreeMap<String, BTreeMap<String, PieceProgress>>,
}

/// The progress of one checkout, loaded from and saved to the state file.
pub struct Progress {
    file: PathBuf,
    key: String,
    pub pieces: BTreeMap<String, PieceProgress>,
}

pub fn state_dir() -> PathBuf {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    env("COURSE_STATE_DIR")
        .or_else(|| env("XDG_STATE_HOME").map(|d| d.join("processes-workbook")))
        .or_else(|| env("HOME").map(|h| h.join(".local/state/processes-workbook")))
        .unwrap_or_else(|| PathBuf::from(".processes-workbook-state"))
}

impl Progress {
    pub fn load(checkout: &Path) -> Progress {
        let file = state_dir().join("progress.json");
        let key = checkout.canonicalize().unwrap_or_else(|_| checkout.into()).display().to_string();
        let store: Store = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let pieces = store.checkouts.get(&key).cloned().unwrap_or_default();
        Progress { file, key, pieces }
    }

    /// Writes this checkout's entry back, keeping the others.
    pub fn save(&self) -> Result<(), String> {
        let mut store: Store = std::fs::read_to_string(&self.file)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        store.checkouts.insert(self.key.clone(), self.pieces.clone());
        let dir = self.file.parent().expect("a file in a directory");
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let text = serde_json::to_string_pretty(&store).expect("plain data serializes");
        // Write and rename, so a crash never leaves half a file.
        let tmp = self.file.with_extension("json.new");
        std::fs::write(&tmp, text + "\n")
            .and_then(|()| std::fs::rename(&tmp, &self.file))
            .map_err(|e| format!("{}: {e}", self.file.display()))
    }

    pub fn record(&mut self, score: &PieceScore) {
        let p = self.pieces.entry(score.piece.clone()).or_default();
        p.passed = score.passed();
        p.items = score.items.len();
        p.points = score.points();
        p.max = score.max();
        p.best = p.best.max(p.points);
        p.last_run = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
    }
}

/// The pieces in the order the book teaches them: the order of their
/// chapters in SUMMARY.md (pieces whose chapter is not listed come last).
pub fn course_order(checkout: &Path, rubrics: &[Rubric]) -> Vec<Rubric> {
    let summary = std::fs::read_to_string(checkout.join("book/src/SUMMARY.md")).unwrap_or_default();
    let at = |r: &Rubric| summary.find(&format!("({})", r.chapter)).unwrap_or(usize::MAX);
    let mut ordered = rubrics.to_vec();
    ordered.sort_by_key(|r| (at(r), r.piece.clone()));
    ordered
}

/// A bar of `width` cells for `done` of `total`.
pub fn bar(done: u32, total: u32, width: usize) -> String {
    let full = if total == 0 { 0 } else { (done as usize * width) / total as usize };
    format!("[{}{}]", "#".repeat(full), "-".repeat(width - full))
}

/// One line per piece: its bar, points and state; `current` is marked.
pub fn table(progress: &Progress, ordered: &[Rubric], current: Option<&str>) -> String {
    let width = ordered.iter().map(|r| r.piece.len()).max().unwrap_or(5);
    let mut out = String::new();
    for r in ordered {
        let line = match progress.pieces.get(&r.piece) {
            None => format!("{}  not started", bar(0, r.max_points(), 20)),
            Some(p) => {
                let hints: usize = p.hints.values().sum();
                let state = if p.done() { "done" } else { "in progress" };
                format!(
                    "{}  {:>3}/{:<3} points  {:>2}/{:<2} checks  {state}{}",
                    bar(p.points, p.max, 20),
                    p.points,
                    p.max,
                    p.passed,
                    p.items,
                    if hints > 0 { format!(", {hints} hints seen") } else { String::new() }
                )
            }
        };
        let mark = if current == Some(r.piece.as_str()) { ">" } else { " " };
        out.push_str(&format!("{mark} {:width$}  {line}\n", r.piece));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_fill_in_proportion() {
        assert_eq!(bar(0, 10, 10), "[----------]");
        assert_eq!(bar(5, 10, 10), "[#####-----]");
        assert_eq!(bar(10, 10, 4), "[####]");
        assert_eq!(bar(0, 0, 3), "[---]");
    }

    #[test]
    fn the_book_decides_the_order() {
        let root = runner::repo_root();
        let rubrics = crate::rubric::discover(&root).unwrap();
        let order: Vec<String> =
            course_order(&root, &rubrics).into_iter().map(|r| r.piece).collect();
        let pos = |p: &str| order.iter().position(|x| x == p).unwrap();
        assert!(pos("fork") < pos("exec") && pos("exec") < pos("wait"), "{order:?}");
        assert!(pos("cow") < pos("linux-fork-exec"), "{order:?}");
    }
}
