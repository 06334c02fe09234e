//! Every transcript the book shows lives in `book/transcripts/NAME.txt`, and a
//! test produces it: the test runs the real program, normalizes what varies
//! from run to run (pids, times), and calls [`check`]. The book includes the
//! file with `{{#include}}`, so what a reader sees is what a test saw.
//!
//! `TRANSCRIPTS=update cargo test` rewrites the files that differ; without it
//! a difference fails the test, with both versions shown.

use std::path::PathBuf;

/// Where the transcripts live: `book/transcripts` in this repository.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The file for transcript `name`.
pub fn path(name: &str) -> PathBuf {
    assert!(
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)),
        "transcript names are [A-Za-z0-9_-]+, not {name:?}"
    );
    dir().join(format!("{name}.txt"))
}

/// Checks that `text` is what the book shows as transcript `name`, or, with
/// `TRANSCRIPTS=update`, makes it so.
///
/// # Panics
/// When the file differs from `text` (or is missing) and no update was asked for.
pub fn check(name: &str, text: &str) {
    let file = path(name);
    let old = std::fs::read_to_string(&file).ok();
    if old.as_deref() == Some(text) {
        return;
    }
    if std::env::var("TRANSCRIPTS").as_deref() == Ok("update") {
        std::fs::write(&file, text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        return;
    }
    match old {
        None => panic!(
            "the book has no transcript {name:?} yet ({}).\nRun with TRANSCRIPTS=update to write it:\n{text}",
            file.display()
        ),
        Some(old) => panic!(
            "the program's output differs from what the book shows ({}).\n\
             If the change is right, run with TRANSCRIPTS=update and review the diff.\n{}",
            file.display(),
            diff(&old, text)
        ),
    }
}

/// A line diff, enough to see what changed: `-` the book, `+` the program.
fn diff(old: &str, new: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => (i, j) = (i + 1, j + 1),
            (Some(x), _) if !b[j..].contains(x) => {
                out += &format!("-{x}\n");
                i += 1;
            }
            (_, Some(y)) => {
                out += &format!("+{y}\n");
                j += 1;
            }
            (Some(x), None) => {
                out += &format!("-{x}\n");
                i += 1;
            }
            (None, None) => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diff_shows_what_changed() {
        assert_eq!(diff("a\nb\nc\n", "a\nB\nc\n"), "-b\n+B\n");
        assert_eq!(diff("a\n", "a\nb\n"), "+b\n");
    }

    #[test]
    #[should_panic(expected = "transcript names are")]
    fn names_stay_simple() {
        path("../escape");
    }
}
