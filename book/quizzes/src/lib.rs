//! The book's quizzes: one mdbook-quiz TOML file per chapter, under
//! `book/quizzes/<part>/<chapter>.toml`, included at the end of the chapter
//! with `{{#quiz ../../quizzes/<part>/<chapter>.toml}}`.
//!
//! A question whose answer is a program's output says which program, in a
//! `program` table that mdbook-quiz ignores:
//!
//! ```toml
//! program.boot = "zombie"        # booted in the mini-kernel: cargo boot -- zombie
//! program.options = "cow=on"     # optional kernel options (cargo boot --cow)
//! program.run = "linux-orphans-solution"   # or a lab binary: cargo run -p NAME
//! program.capture = 'exit status (\d+)'    # optional, see `check`
//! ```
//!
//! tests/answers.rs runs every such program and calls [`check`].

use regex::Regex;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
pub struct Quiz {
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<String>,
    pub prompt: Prompt,
    pub answer: Answer,
    pub context: Option<String>,
    pub program: Option<Program>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Prompt {
    pub prompt: String,
    #[serde(default)]
    pub distractors: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Answer {
    pub answer: OneOrMany,
    #[serde(default)]
    pub alternatives: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn all(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// A user program of the mini-kernel, with its arguments.
    pub boot: Option<String>,
    /// Kernel options for the boot, such as `cow=on`.
    #[serde(default)]
    pub options: String,
    /// A binary of this workspace, run on Linux with `cargo run -p`.
    pub run: Option<String>,
    pub capture: Option<String>,
}

impl Program {
    /// The command a reader types to see the same output.
    pub fn command(&self) -> String {
        match (&self.boot, &self.run) {
            (Some(b), None) if self.options == "cow=on" => format!("cargo boot --cow -- {b}"),
            (Some(b), None) => format!("cargo boot -- {b}"),
            (None, Some(r)) => format!("cargo run -p {r}"),
            _ => "(a program needs exactly one of `boot` and `run`)".into(),
        }
    }
}

/// The quiz files, relative to `book/quizzes`, sorted.
pub fn files(root: &Path) -> Result<Vec<PathBuf>, String> {
    let base = root.join("book/quizzes");
    let mut out = Vec::new();
    for part in std::fs::read_dir(&base).map_err(|e| format!("{}: {e}", base.display()))? {
        let part = part.map_err(|e| e.to_string())?.path();
        if !part.is_dir() || part.ends_with("src") || part.ends_with("tests") {
            continue;
        }
        for f in std::fs::read_dir(&part).map_err(|e| e.to_string())? {
            let f = f.map_err(|e| e.to_string())?.path();
            if f.extension().is_some_and(|e| e == "toml") {
                out.push(f.strip_prefix(&base).expect("under base").to_path_buf());
            }
        }
    }
    out.sort();
    Ok(out)
}

pub fn load(root: &Path, rel: &Path) -> Result<Quiz, String> {
    let path = root.join("book/quizzes").join(rel);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The text of an answer or distractor, without the Markdown backticks.
fn plain(s: &str) -> &str {
    s.trim().trim_matches('`')
}

/// Whether `q`'s answer is what its program printed.
///
/// - With `capture`, a regex with one group: its first match in the output
///   (lines match `^` and `$`) is the answer. A short answer must equal it;
///   a multiple-choice answer must equal it and no distractor may.
/// - Without: every correct choice must be a whole line of the output, and
///   no distractor may be one.
pub fn check(q: &Question, output: &str) -> Result<(), String> {
    let program = q.program.as_ref().ok_or("the question names no program")?;
    let lines: Vec<&str> = output.lines().map(str::trim).collect();
    let answers = q.answer.answer.all();
    match &program.capture {
        Some(pattern) => {
            let re = Regex::new(&format!("(?m){pattern}")).map_err(|e| e.to_string())?;
            let got = re
                .captures(output)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().trim().trim_end_matches('\r'))
                .ok_or_else(|| format!("no line of the output matches {pattern:?}"))?;
            if answers.len() != 1 || plain(answers[0]) != got {
                return Err(format!("the program printed {got:?}, the quiz says {answers:?}"));
            }
            if let Some(d) = q.prompt.distractors.iter().find(|d| plain(d) == got) {
                return Err(format!("the distractor {d:?} is what the program printed"));
            }
        }
        None => {
            for a in answers {
                if !lines.contains(&plain(a)) {
                    return Err(format!("the answer {a:?} is not a line of the output"));
                }
            }
            if let Some(d) = q.prompt.distractors.iter().find(|d| lines.contains(&plain(d))) {
                return Err(format!("the distractor {d:?} is a line of the output"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(toml_text: &str) -> Question {
        let quiz: Quiz = toml::from_str(toml_text).unwrap();
        quiz.questions.into_iter().next().unwrap()
    }

    const OUTPUT: &str = "init: started as pid 1\nzombie: wait4 reaped 3, exit status 7\n";

    #[test]
    fn a_capture_must_equal_the_answer() {
        let q = |answer: &str| {
            question(&format!(
                "[[questions]]\ntype = \"ShortAnswer\"\nprompt.prompt = \"?\"\nanswer.answer = \"{answer}\"\n\
                 program.boot = \"zombie\"\nprogram.capture = 'exit status (\\d+)'\n"
            ))
        };
        assert_eq!(check(&q("7"), OUTPUT), Ok(()));
        assert!(check(&q("8"), OUTPUT).unwrap_err().contains("printed \"7\""));
        assert!(check(&q("7"), "nothing here").is_err());
    }

    #[test]
    fn choices_must_be_lines_and_distractors_must_not() {
        let q = |answer: &str, distractor: &str| {
            question(&format!(
                "[[questions]]\ntype = \"MultipleChoice\"\nprompt.prompt = \"?\"\n\
                 prompt.distractors = [\"{distractor}\"]\nanswer.answer = \"{answer}\"\nprogram.boot = \"zombie\"\n"
            ))
        };
        assert_eq!(check(&q("`init: started as pid 1`", "init: started as pid 2"), OUTPUT), Ok(()));
        assert!(check(&q("init: started as pid 2", "x"), OUTPUT).is_err());
        assert!(
            check(&q("init: started as pid 1", "zombie: wait4 reaped 3, exit status 7"), OUTPUT)
                .is_err()
        );
    }
}
