//! The quizzes are right: every one parses and explains itself, every
//! chapter that needs one has one, and every answer that is a program's
//! output is what that program prints today.

use quizzes::{Program, Question, check, files, load};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    runner::repo_root()
}

fn all() -> Vec<(PathBuf, Vec<Question>)> {
    files(&root())
        .unwrap()
        .into_iter()
        .map(|f| {
            let quiz = load(&root(), &f).unwrap_or_else(|e| panic!("{e}"));
            (f, quiz.questions)
        })
        .collect()
}

#[test]
fn every_question_parses_explains_and_has_a_committed_id() {
    let mut ids = BTreeSet::new();
    for (file, questions) in all() {
        assert!(!questions.is_empty(), "{}: no questions", file.display());
        for (i, q) in questions.iter().enumerate() {
            let at = format!("{} question {}", file.display(), i + 1);
            assert!(
                ["MultipleChoice", "ShortAnswer"].contains(&q.kind.as_str()),
                "{at}: type {}",
                q.kind
            );
            let context = q.context.as_deref().unwrap_or_default();
            assert!(
                context.len() >= 80,
                "{at}: the context must teach, not just say right or wrong"
            );
            if q.kind == "MultipleChoice" {
                assert!(q.prompt.distractors.len() >= 2, "{at}: give at least two distractors");
            }
            let id = q.id.as_deref().unwrap_or_else(|| {
                panic!("{at}: no id. Build the book once (mdbook build writes ids) and commit them")
            });
            assert!(ids.insert(id.to_string()), "{at}: id {id} is used twice");
            if let Some(p) = &q.program {
                assert!(p.boot.is_some() != p.run.is_some(), "{at}: one of boot and run");
                assert!(
                    q.prompt.prompt.contains(&p.command()) || context.contains(&p.command()),
                    "{at}: name the program so the reader can run it: `{}`",
                    p.command()
                );
            }
        }
    }
}

/// `(chapter, quiz)` for each `{{#quiz}}` in the book, paths relative to
/// book/src and book/quizzes.
fn includes() -> BTreeMap<String, String> {
    let src = root().join("book/src");
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).unwrap();
    let mut out = BTreeMap::new();
    for chapter in summary.lines().filter_map(chapter_path) {
        let text = std::fs::read_to_string(src.join(&chapter)).unwrap();
        for line in text.lines().filter(|l| l.starts_with("{{#quiz ")) {
            let target = line.trim_start_matches("{{#quiz ").trim_end_matches("}}");
            let resolved = Path::new(&chapter).parent().unwrap().join(target);
            let rel = normalize(&resolved).strip_prefix("../quizzes/").map(String::from);
            out.insert(
                chapter.clone(),
                rel.unwrap_or_else(|| panic!("{chapter}: {target} is not under book/quizzes")),
            );
        }
    }
    out
}

fn chapter_path(line: &str) -> Option<String> {
    let start = line.find("](")? + 2;
    Some(line[start..line[start..].find(')')? + start].to_string())
}

/// `processes/../../quizzes/x.toml` → `../quizzes/x.toml`.
fn normalize(p: &Path) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.to_str().unwrap().split('/') {
        match c {
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            "." => {}
            _ => parts.push(c),
        }
    }
    parts.join("/")
}

/// The chapters of a part of SUMMARY.md, by the part's heading prefix.
fn part(heading: &str) -> Vec<String> {
    let summary = std::fs::read_to_string(root().join("book/src/SUMMARY.md")).unwrap();
    let mut inside = false;
    let mut out = Vec::new();
    for line in summary.lines() {
        if line.starts_with("# ") {
            inside = line.starts_with(heading);
        } else if inside {
            out.extend(chapter_path(line));
        }
    }
    out
}

#[test]
fn every_chapter_of_parts_one_and_two_ends_with_a_quiz_and_each_exercise_has_one_first() {
    let includes = includes();
    let src = root().join("book/src");
    let count = |quiz: &str| load(&root(), Path::new(quiz)).unwrap().questions.len();
    let mut total = 0;
    for chapter in part("# Part I:").into_iter().chain(part("# Part II:")) {
        let quiz = includes.get(&chapter).unwrap_or_else(|| panic!("{chapter} has no quiz"));
        let n = count(quiz);
        assert!((3..=6).contains(&n), "{chapter}: {n} questions, want 3 to 6");
        let text = std::fs::read_to_string(src.join(&chapter)).unwrap();
        let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
        assert!(last.starts_with("{{#quiz "), "{chapter}: the quiz must come last");
        total += n;
    }
    for chapter in part("# Part III:").into_iter().filter(|c| !c.ends_with("README.md")) {
        let quiz = includes.get(&chapter).unwrap_or_else(|| panic!("{chapter} has no quiz"));
        let n = count(quiz);
        assert!((1..=3).contains(&n), "{chapter}: {n} questions, want a short quiz");
        let text = std::fs::read_to_string(src.join(&chapter)).unwrap();
        // The exercise starts with the stub ("The code you start from"), or
        // with its first part.
        let code_at = ["## The code you start from", "## Part 1"]
            .iter()
            .filter_map(|m| text.find(m))
            .min()
            .unwrap_or_else(|| panic!("{chapter}: where does the exercise start?"));
        let quiz_at = text.find("{{#quiz ").unwrap();
        assert!(quiz_at < code_at, "{chapter}: the quiz comes before the exercise starts");
        total += n;
    }
    assert!(total >= 60, "{total} questions in the book, want 60 or more");
    let used: BTreeSet<&String> = includes.values().collect();
    for f in files(&root()).unwrap() {
        let f = f.to_str().unwrap().to_string();
        assert!(used.contains(&f), "book/quizzes/{f} is not included by any chapter");
    }
}

/// Runs `program` and returns its output: the serial console of a boot, or
/// standard output of a lab binary.
fn run(program: &Program, kernel: &Path) -> String {
    if let Some(cmd) = &program.boot {
        let opts = runner::BootOptions {
            cmdline: format!("{} -- {cmd}", program.options).trim_start().to_string(),
            ..runner::BootOptions::default()
        };
        let r = runner::boot(kernel, &opts).expect("QEMU starts");
        assert_eq!(r.outcome, runner::Outcome::Exited(0), "{}:\n{}", program.command(), r.serial);
        return r.serial.replace('\r', "");
    }
    let name = program.run.as_deref().unwrap();
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root())
        .args(["run", "-q", "-p", name])
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "{}: {}",
        program.command(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn every_answer_about_a_program_is_what_the_program_prints() {
    let kernel = runner::build(&runner::BuildOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let mut outputs: BTreeMap<Program, String> = BTreeMap::new();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (file, questions) in all() {
        for q in questions.iter().filter(|q| q.program.is_some()) {
            let program = q.program.as_ref().unwrap();
            let key = Program { capture: None, ..program.clone() };
            let output = outputs.entry(key).or_insert_with(|| run(program, &kernel));
            if let Err(e) = check(q, output) {
                wrong.push(format!("{}: {:?}\n    {e}", file.display(), q.prompt.prompt));
            }
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "answers that the programs contradict:\n{}", wrong.join("\n"));
    assert!(checked >= 10, "only {checked} questions about programs");
    println!("{checked} answers checked against {} program runs", outputs.len());
}
