//! Every transcript the book shows lives in `book/transcripts/NAME.txt`, and a
//! test produces it: the test runs the real program and hands its output to
//! one of the checks below. The book includes the file with `{{#include}}`,
//! so what a reader sees is what a test saw.
//!
//! Three kinds of output, three checks:
//!
//! - [`check`]: output that is the same on every run (a kernel scenario, a
//!   test summary). The file must equal the output, byte for byte.
//! - [`check_masked`]: output with parts that vary from run to run (pids,
//!   times, the order two processes print in). The test says how to mask
//!   them; the file keeps a real run, and must equal the output once both
//!   are masked.
//! - [`check_recorded`]: measurements (benchmarks). A command records the
//!   file from a full run with [`record`]; the test runs a quick version and
//!   checks that the recorded file still has the same shape, figures masked.
//!
//! `TRANSCRIPTS=update cargo test ...` rewrites the files that [`check`] and
//! [`check_masked`] find different; without it a difference fails the test,
//! with both versions shown. Recorded measurements are never rewritten by a
//! test: the failure names the command that records them again.
//!
//! When `TRANSCRIPTS_LOG` names a file, every check appends the transcript's
//! name to it: `.ci/book-check` uses that list to prove that every
//! transcript the book includes was checked by a test in the same run.

use std::io::Write;
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
    check_masked(name, text, str::to_string);
}

/// Like [`check`], but compares `mask(file)` with `mask(text)`: `mask`
/// blanks out what varies between runs. An update writes `text` itself, so
/// the book shows a real run; a file that already matches is left alone.
///
/// # Panics
/// When the masked file differs from the masked `text` and no update was asked for.
pub fn check_masked(name: &str, text: &str, mask: impl Fn(&str) -> String) {
    log(name);
    let file = path(name);
    let old = std::fs::read_to_string(&file).ok();
    if old.as_deref().map(&mask) == Some(mask(text)) {
        return;
    }
    if updating() {
        write(name, text);
        return;
    }
    match old {
        None => panic!(
            "the book has no transcript {name:?} yet ({}).\n\
             Run the test again with TRANSCRIPTS=update to write it:\n{text}",
            file.display()
        ),
        Some(old) => panic!(
            "the program's output differs from what the book shows ({}).\n\
             If the change is right, run the test again with TRANSCRIPTS=update and review the diff.\n\
             (- the book, + the program{})\n{}",
            file.display(),
            if mask(text) == text { "" } else { ", both masked" },
            diff(&mask(&old), &mask(text))
        ),
    }
}

/// Checks that the recorded measurement `name` has the shape of `text`, a
/// quick run of the same program: equal once `mask` has blanked the
/// figures. Never writes the file; [`record`] does, from a full run.
///
/// # Panics
/// When the shapes differ (the message says to run `how_to_record`), or
/// when nothing was recorded yet.
pub fn check_recorded(name: &str, text: &str, mask: impl Fn(&str) -> String, how_to_record: &str) {
    log(name);
    let file = path(name);
    let Ok(old) = std::fs::read_to_string(&file) else {
        panic!("nothing recorded as {} yet: run {how_to_record}", file.display());
    };
    let (old, new) = (mask(&old), mask(text));
    if old != new {
        panic!(
            "the program's output no longer has the shape of the measurement the book shows ({}).\n\
             Record it again with: {how_to_record}\n(- the book, + this run, figures masked)\n{}",
            file.display(),
            diff(&old, &new)
        );
    }
}

/// Checks a transcript that a Markdown file outside the book shows (the
/// README cannot include files): the fenced block on the line after
/// `<!-- transcript: NAME ... -->` in `markdown` must hold `text`, or with
/// `TRANSCRIPTS=update`, is made to.
///
/// # Panics
/// When the block is missing, or differs and no update was asked for.
pub fn check_markdown(markdown: &std::path::Path, name: &str, text: &str) {
    log(name);
    check_markdown_block(markdown, name, text, updating());
}

fn check_markdown_block(markdown: &std::path::Path, name: &str, text: &str, update: bool) {
    let md =
        std::fs::read_to_string(markdown).unwrap_or_else(|e| panic!("{}: {e}", markdown.display()));
    let marker = format!("<!-- transcript: {name} ");
    let line = md.find(&marker).filter(|&m| md[m..].lines().next().unwrap_or("").ends_with("-->"));
    let line = line.unwrap_or_else(|| {
        panic!("{}: no `{marker}...-->` line before a fenced block", markdown.display())
    });
    let at = line + md[line..].find('\n').map_or(md.len() - line, |n| n + 1);
    let fence = md[at..].starts_with("```").then(|| md[at..].find('\n')).flatten();
    let open = at
        + 1
        + fence.unwrap_or_else(|| {
            panic!("{}: the `{marker}` line must be followed by a fence", markdown.display())
        });
    let close = md[open..].find("```").map(|n| open + n).unwrap_or_else(|| {
        panic!("{}: the block after `{marker}` is not closed", markdown.display())
    });
    if md[open..close] == *text {
        return;
    }
    if update {
        let new = format!("{}{text}{}", &md[..open], &md[close..]);
        std::fs::write(markdown, new).unwrap_or_else(|e| panic!("{}: {e}", markdown.display()));
        return;
    }
    panic!(
        "{} shows output that differs from the program's ({name}).\n\
         If the change is right, run the test again with TRANSCRIPTS=update and review the diff.\n\
         (- the file, + the program)\n{}",
        markdown.display(),
        diff(&md[open..close], text)
    );
}

/// Writes a measurement from a full run as transcript `name`.
pub fn record(name: &str, text: &str) {
    write(name, text);
}

fn updating() -> bool {
    std::env::var("TRANSCRIPTS").as_deref() == Ok("update")
}

fn write(name: &str, text: &str) {
    let file = path(name);
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
}

/// Appends `name` to the file named by `TRANSCRIPTS_LOG`, if any. One
/// `write` per line, in append mode, so tests running in parallel (and in
/// several processes) do not tear each other's lines.
fn log(name: &str) {
    let Some(log) = std::env::var_os("TRANSCRIPTS_LOG") else { return };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .unwrap_or_else(|e| panic!("TRANSCRIPTS_LOG {}: {e}", log.display()));
    f.write_all(format!("{name}\n").as_bytes())
        .unwrap_or_else(|e| panic!("TRANSCRIPTS_LOG {}: {e}", log.display()));
}

/// Masks what a measurement or a run on another machine changes: every
/// number (decimal, with or without a fraction, or hexadecimal) becomes `#`,
/// and runs of spaces become one (none at the start of a line), since
/// columns widen and shift with their numbers.
pub fn mask_numbers(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < c.len() {
        if c[i].is_ascii_digit() {
            let hex = c[i] == '0' && c.get(i + 1) == Some(&'x');
            i += if hex { 2 } else { 1 };
            while i < c.len() {
                let fraction = c[i] == '.' && c.get(i + 1).is_some_and(char::is_ascii_digit);
                if c[i].is_ascii_digit() || fraction || (hex && c[i].is_ascii_hexdigit()) {
                    i += 1;
                } else {
                    break;
                }
            }
            out.push('#');
        } else if c[i] == ' ' {
            while c.get(i + 1) == Some(&' ') {
                i += 1;
            }
            // Right-aligned columns start some lines with spaces, others not.
            if !(out.is_empty() || out.ends_with('\n')) {
                out.push(' ');
            }
            i += 1;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// Sorts the lines of `text`: for output whose lines may come in a
/// different order on every run, such as two processes writing at once.
pub fn sort_lines(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines.iter().map(|l| format!("{l}\n")).collect()
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

    #[test]
    fn numbers_of_every_kind_are_masked() {
        assert_eq!(mask_numbers("pid 4242 at 0x7ffd1a2b, 12.5 ms,   3×"), "pid # at #, # ms, #×");
        assert_eq!(mask_numbers("AT_PHDR:   0x55cd86548040"), "AT_PHDR: #");
        // Letters after a number are not swallowed, unless it is hexadecimal.
        assert_eq!(mask_numbers("16 KiB, 0xff bytes, 1e3"), "# KiB, # bytes, #e#");
        assert_eq!(mask_numbers("ends at 7."), "ends at #.");
        assert_eq!(mask_numbers("  PID\n  999 a\n12345 a\n"), "PID\n# a\n# a\n");
    }

    #[test]
    fn a_markdown_block_is_found_by_its_marker_and_compared() {
        let dir = std::env::temp_dir().join(format!("transcripts-md-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let md = dir.join("README.md");
        std::fs::write(&md, "text\n<!-- transcript: demo (a test) -->\n```text\nhello\n```\n")
            .unwrap();
        check_markdown_block(&md, "demo", "hello\n", false);
        let other =
            std::panic::catch_unwind(|| check_markdown_block(&md, "demo", "goodbye\n", false));
        let missing =
            std::panic::catch_unwind(|| check_markdown_block(&md, "absent", "hello\n", false));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(other.is_err(), "a different block must fail");
        assert!(missing.is_err(), "a missing marker must fail");
    }

    #[test]
    fn sorted_lines_ignore_the_order_only() {
        assert_eq!(sort_lines("b\na\n"), sort_lines("a\nb\n"));
        assert_ne!(sort_lines("a\na\n"), sort_lines("a\n"));
    }
}
