//! What grading produces: per piece, one item per rubric entry.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Test,
    Scenario,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item {
    pub name: String,
    pub kind: Kind,
    pub passed: bool,
    pub points: u32,
    pub max: u32,
    /// Expected against actual, in words; empty when the item passed.
    pub detail: String,
    pub hint: String,
}

impl Item {
    pub fn new(name: &str, kind: Kind, max: u32, hint: &str, result: Result<(), String>) -> Item {
        let passed = result.is_ok();
        Item {
            name: name.into(),
            kind,
            passed,
            points: if passed { max } else { 0 },
            max,
            detail: result.err().unwrap_or_default(),
            hint: hint.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PieceScore {
    pub piece: String,
    pub chapter: String,
    pub items: Vec<Item>,
    /// Why the whole piece scored nothing, such as a compile error.
    pub note: Option<String>,
}

impl PieceScore {
    pub fn points(&self) -> u32 {
        self.items.iter().map(|i| i.points).sum()
    }
    pub fn max(&self) -> u32 {
        self.items.iter().map(|i| i.max).sum()
    }
    pub fn passed(&self) -> usize {
        self.items.iter().filter(|i| i.passed).count()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Submission {
    pub student: String,
    pub pieces: Vec<PieceScore>,
    /// Seconds spent per phase, in the order the phases ran.
    pub timings: Vec<(String, f64)>,
    /// Mistakes in the course itself (a rubric naming a missing test); these
    /// make the grader fail whatever the score.
    pub errors: Vec<String>,
    /// What grading this submission noticed that does not change its score,
    /// such as lab code writing into the grader's directories.
    pub warnings: Vec<String>,
}

impl Submission {
    pub fn points(&self) -> u32 {
        self.pieces.iter().map(PieceScore::points).sum()
    }
    pub fn max(&self) -> u32 {
        self.pieces.iter().map(PieceScore::max).sum()
    }
    pub fn percent(&self) -> f64 {
        if self.max() == 0 { 0.0 } else { 100.0 * f64::from(self.points()) / f64::from(self.max()) }
    }
    pub fn is_full(&self) -> bool {
        self.errors.is_empty() && self.points() == self.max()
    }
}
