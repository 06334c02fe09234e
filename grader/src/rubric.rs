//! The rubric: `exercises/<piece>/rubric.toml`, one per piece. Its format:
//!
//! ```toml
//! piece = "fork"                 # the exercise's directory and package name
//! chapter = "kernel/fork.md"     # its page in the book, printed with hints
//! timeout = 10                   # optional: seconds per host test (before scaling)
//! unsafe_items = ["switch_to"]   # optional: the only fns of a no_std piece that may use
//!                                # unsafe code and a few instructions (see screen.rs)
//! hints = ["...", "..."]         # optional: the piece's hint ladder, after a test's own
//!
//! [[test]]                       # a #[test] fn in exercises/<piece>/tests/
//! name = "child_sees_zero_parent_gets_child_pid"
//! points = 3
//! hint = "What to look at when it fails."
//!
//! [[scenario]]                   # kernel pieces only: one boot in QEMU
//! name = "fork_then_exec_the_worked_example"
//! command = "forkexec"           # what init runs (after `--` on the command line)
//! options = "cow=on"             # optional: kernel options before `--`
//! snapshot = "scenarios__fork_then_exec_the_worked_example"
//!                                # optional: a .snap stem in kernel/runner/tests/snapshots
//! expect = ["a line", "another"] # optional: substrings of serial lines, in this order
//! trace = [{ property = "no_frame_leaked" }, { property = "ran_within", ticks = 5 }]
//!                                # optional: properties of the kernel's event trace
//!                                # (runner::trace::Property lists them)
//! memory_mib = 256               # optional
//! points = 3
//! hint = "..."
//! ```
//!
//! A scenario passes when the kernel powers off with status 0 and the
//! nonce of that boot, its snapshot and `expect` lines match, and its
//! event trace (recorded only when `trace` names properties) has them all.

use serde::Deserialize;
use std::path::Path;

/// Seconds a host test may take before scaling, unless the rubric says.
pub const DEFAULT_TEST_TIMEOUT: u64 = 10;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rubric {
    pub piece: String,
    pub chapter: String,
    pub timeout: Option<u64>,
    #[serde(default)]
    pub unsafe_items: Vec<String>,
    /// Hints for the whole piece, from gentle to blunt: `cargo grade watch`
    /// shows them one by one after the failing test's own hint.
    #[serde(default)]
    pub hints: Vec<String>,
    #[serde(default, rename = "test")]
    pub tests: Vec<TestEntry>,
    #[serde(default, rename = "scenario")]
    pub scenarios: Vec<Scenario>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestEntry {
    pub name: String,
    pub points: u32,
    pub hint: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub command: String,
    #[serde(default)]
    pub options: String,
    pub snapshot: Option<String>,
    #[serde(default)]
    pub expect: Vec<String>,
    /// Properties of the boot's event trace, checked after the transcript.
    #[serde(default)]
    pub trace: Vec<runner::trace::Property>,
    pub memory_mib: Option<u32>,
    pub points: u32,
    pub hint: String,
}

impl Rubric {
    pub fn max_points(&self) -> u32 {
        self.tests.iter().map(|t| t.points).sum::<u32>()
            + self.scenarios.iter().map(|s| s.points).sum::<u32>()
    }

    pub fn is_kernel_piece(&self) -> bool {
        !self.scenarios.is_empty()
    }

    /// The hints for a failing item, in the order to show them: the item's
    /// own, then the piece's.
    pub fn ladder(&self, item: &str) -> Vec<String> {
        let own = self.tests.iter().find(|t| t.name == item).map(|t| &t.hint);
        let own = own.or_else(|| self.scenarios.iter().find(|s| s.name == item).map(|s| &s.hint));
        own.into_iter().chain(&self.hints).cloned().collect()
    }

    pub fn test_timeout(&self) -> u64 {
        self.timeout.unwrap_or(DEFAULT_TEST_TIMEOUT)
    }
}

pub fn parse(text: &str) -> Result<Rubric, String> {
    let rubric: Rubric = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut names: Vec<&str> = rubric
        .tests
        .iter()
        .map(|t| t.name.as_str())
        .chain(rubric.scenarios.iter().map(|s| s.name.as_str()))
        .collect();
    names.sort();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("{} is listed twice", w[0]));
    }
    if rubric.tests.is_empty() && rubric.scenarios.is_empty() {
        return Err("no [[test]] or [[scenario]] entries".into());
    }
    if rubric.hints.iter().any(|h| h.trim().is_empty()) {
        return Err("an empty hint in the ladder".into());
    }
    Ok(rubric)
}

/// Every `exercises/*/rubric.toml` under `root`, sorted by piece name.
pub fn discover(root: &Path) -> Result<Vec<Rubric>, String> {
    let dir = root.join("exercises");
    let mut rubrics = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path().join("rubric.toml");
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let rubric = parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let dir_name =
            path.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or_default();
        if rubric.piece != dir_name {
            return Err(format!(
                "{}: piece = {:?}, but the directory is {dir_name:?}",
                path.display(),
                rubric.piece
            ));
        }
        rubrics.push(rubric);
    }
    rubrics.sort_by(|a, b| a.piece.cmp(&b.piece));
    Ok(rubrics)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
piece = "fork"
chapter = "kernel/fork.md"
hints = ["p1", "p2"]

[[test]]
name = "a"
points = 2
hint = "h"

[[scenario]]
name = "s"
command = "forkexec"
options = "cow=on"
expect = ["x", "y"]
points = 3
hint = "h"
"#;

    #[test]
    fn parses_tests_and_scenarios() {
        let r = parse(SAMPLE).unwrap();
        assert_eq!(r.max_points(), 5);
        assert!(r.is_kernel_piece());
        assert_eq!(r.scenarios[0].options, "cow=on");
        assert_eq!(r.scenarios[0].expect, ["x", "y"]);
        assert_eq!(r.test_timeout(), DEFAULT_TEST_TIMEOUT);
        assert_eq!(r.ladder("a"), ["h", "p1", "p2"]);
        assert_eq!(r.ladder("s"), ["h", "p1", "p2"]);
        assert_eq!(r.ladder("nothing"), ["p1", "p2"]);
    }

    #[test]
    fn rejects_duplicates_and_unknown_keys() {
        let twice = SAMPLE.replace("name = \"s\"", "name = \"a\"");
        assert!(parse(&twice).unwrap_err().contains("listed twice"));
        let typo = SAMPLE.replace("points = 2", "pionts = 2");
        assert!(parse(&typo).is_err());
    }

    #[test]
    fn every_rubric_in_this_repository_parses() {
        let root = runner::repo_root();
        let rubrics = discover(&root).unwrap();
        assert!(rubrics.iter().any(|r| r.piece == "fork" && r.is_kernel_piece()));
        assert!(rubrics.iter().any(|r| r.piece == "typestate" && !r.is_kernel_piece()));
    }
}
