//! Host tests: the pristine test files, built against the submission's
//! sources in the grading tree, each rubric test run alone in its own process.

use crate::limits::{self, Ended};
use crate::rubric::Rubric;
use crate::tree::Tree;
use crate::verdict::{Item, Kind};
use nix::fcntl::{FcntlArg, SealFlag, fcntl};
use nix::sys::memfd::{MFdFlags, memfd_create};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Lines of compiler output shown for a piece that does not compile.
const ERROR_LINES: usize = 20;
/// Lines of a failing test's output shown as what happened.
const DETAIL_LINES: usize = 14;

#[derive(Debug, Default)]
pub struct Built {
    /// The pristine integration-test binaries of each piece.
    pub binaries: BTreeMap<String, Vec<Binary>>,
    /// The first compiler errors of each piece that did not build.
    pub errors: BTreeMap<String, String>,
}

/// A test binary, copied into sealed memory right after the build. Without
/// the sandbox, tests run from this copy, so a test that overwrites another
/// test's binary on disk changes nothing that runs.
#[derive(Debug)]
pub struct Binary {
    pub path: PathBuf,
    copy: OwnedFd,
}

impl Binary {
    fn pin(path: &Path) -> Result<Binary, String> {
        let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let bytes = std::fs::read(path).map_err(|e| fail(&e))?;
        // Not close-on-exec: the program is run as /proc/self/fd/N, which
        // must still be open in whatever process finally executes it.
        let fd = memfd_create(c"test-binary", MFdFlags::MFD_ALLOW_SEALING).map_err(|e| fail(&e))?;
        let mut file = std::fs::File::from(fd);
        file.write_all(&bytes).map_err(|e| fail(&e))?;
        let seals = SealFlag::F_SEAL_WRITE
            | SealFlag::F_SEAL_GROW
            | SealFlag::F_SEAL_SHRINK
            | SealFlag::F_SEAL_SEAL;
        fcntl(&file, FcntlArg::F_ADD_SEALS(seals)).map_err(|e| fail(&e))?;
        Ok(Binary { path: path.to_path_buf(), copy: file.into() })
    }

    fn command(&self) -> Command {
        // In the sandbox the build directories are read-only, so the file
        // on disk is the one built. Run it by its name there: between bwrap
        // and the test, nothing can give the copy its name as argv[0], and
        // trybuild finds its build directory from argv[0].
        if crate::sandbox::current().is_some() {
            return Command::new(&self.path);
        }
        let mut c = Command::new(format!("/proc/self/fd/{}", self.copy.as_raw_fd()));
        c.arg0(&self.path);
        c
    }
}

pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    // When the grader runs under `cargo run` or `cargo test`, these describe
    // that build, not the one the grader starts.
    for var in [
        "CARGO_TARGET_DIR",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "RUSTFLAGS",
        "CARGO_MAKEFLAGS",
    ] {
        c.env_remove(var);
    }
    c
}

/// Builds the test binaries of every piece in one cargo run. It is
/// `cargo build --test '*'` rather than `cargo test --no-run`, which builds
/// the same binaries but stops at the first package that fails to compile;
/// `--keep-going` lets one student's broken piece leave the others graded.
pub fn build(tree: &Tree, pieces: &[&Rubric]) -> Result<Built, String> {
    let mut c = cargo();
    c.current_dir(&tree.root).env("CARGO_TARGET_DIR", &tree.target);
    c.args(["build", "--test", "*", "--keep-going", "--message-format=json"]);
    for r in pieces {
        c.args(["-p", &r.piece]);
    }
    let out = c.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    let mut built = Built::default();
    let mut rendered: BTreeMap<String, String> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let src = msg["target"]["src_path"].as_str().unwrap_or_default();
        let Some(piece) = pieces
            .iter()
            .find(|r| Path::new(src).starts_with(tree.root.join("exercises").join(&r.piece)))
        else {
            continue;
        };
        match msg["reason"].as_str() {
            Some("compiler-artifact") => {
                let tests_dir = tree.root.join("exercises").join(&piece.piece).join("tests");
                if let (true, Some(exe)) =
                    (Path::new(src).starts_with(&tests_dir), msg["executable"].as_str())
                {
                    let binary = Binary::pin(Path::new(exe))?;
                    built.binaries.entry(piece.piece.clone()).or_default().push(binary);
                }
            }
            Some("compiler-message") if msg["message"]["level"] == "error" => {
                let text = msg["message"]["rendered"].as_str().unwrap_or_default();
                rendered.entry(piece.piece.clone()).or_default().push_str(text);
            }
            _ => {}
        }
    }
    for r in pieces {
        if built.binaries.contains_key(&r.piece) && !rendered.contains_key(&r.piece) {
            continue;
        }
        let text = rendered
            .remove(&r.piece)
            .unwrap_or_else(|| String::from_utf8_lossy(&out.stderr).into_owned());
        built.binaries.remove(&r.piece);
        built.errors.insert(r.piece.clone(), first_lines(&text, ERROR_LINES));
    }
    Ok(built)
}

pub fn first_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    let mut out = lines[..lines.len().min(n)].join("\n");
    if lines.len() > n {
        out.push_str(&format!("\n[... {} more lines]", lines.len() - n));
    }
    out
}

/// The binary that holds each test, from the binaries' own `--list`.
fn locate<'b>(
    binaries: &'b [Binary],
    dir: &Path,
    timeout: Duration,
) -> Result<BTreeMap<String, &'b Binary>, String> {
    let mut found = BTreeMap::new();
    for bin in binaries {
        let mut c = test_command(bin, dir);
        c.args(["--list", "--format", "terse"]);
        let listed = limits::run(c, timeout)?;
        if listed.ended != Ended::Exited(0) {
            return Err(format!(
                "{} --list: {:?}\n{}",
                bin.path.display(),
                listed.ended,
                first_lines(&listed.stderr, ERROR_LINES)
            ));
        }
        for name in listed.stdout.lines().filter_map(|l| l.strip_suffix(": test")) {
            found.insert(name.to_string(), bin);
        }
    }
    Ok(found)
}

fn test_command(bin: &Binary, dir: &Path) -> Command {
    let mut c = bin.command();
    // What `cargo test` would set: trybuild, for one, finds the crate by them.
    c.current_dir(dir).env("CARGO_MANIFEST_DIR", dir).env("RUST_BACKTRACE", "0");
    // Set in your shell, these turn a comparison into a rewrite of the
    // expected output, which would pass anything.
    for var in ["TRYBUILD", "TRANSCRIPTS", "INSTA_UPDATE", "INSTA_FORCE_PASS"] {
        c.env_remove(var);
    }
    c
}

/// Runs every rubric test of the pieces that built, two at a time. A rubric
/// test that no binary lists is a mistake in the course: it is returned in
/// the error list, and the test scores nothing.
pub fn run(
    tree: &Tree,
    rubrics: &[&Rubric],
    built: &Built,
    scale: f64,
) -> (BTreeMap<String, Vec<Item>>, Vec<String>) {
    let mut jobs = Vec::new();
    let mut errors = Vec::new();
    for r in rubrics {
        let Some(bins) = built.binaries.get(&r.piece) else { continue };
        let dir = tree.root.join("exercises").join(&r.piece);
        let timeout = Duration::from_secs(r.test_timeout()).mul_f64(scale);
        let located = match locate(bins, &dir, timeout) {
            Ok(l) => l,
            Err(e) => {
                errors.push(format!("{}: cannot list the tests: {e}", r.piece));
                BTreeMap::new()
            }
        };
        for t in &r.tests {
            let bin = located.get(&t.name).copied();
            if bin.is_none() && !located.is_empty() {
                errors.push(format!("{}: the rubric names test `{}`, but no test binary of exercises/{}/tests has it (renamed?)", r.piece, t.name, r.piece));
            }
            jobs.push((r.piece.clone(), t.clone(), bin, dir.clone(), timeout));
        }
    }
    let items = crate::pool::map(&jobs, |(_, t, bin, dir, timeout)| {
        let result = match bin {
            None => Err("the grader could not find this test (see the errors above)".to_string()),
            Some(bin) => run_one(bin, dir, &t.name, *timeout),
        };
        Item::new(&t.name, Kind::Test, t.points, &t.hint, result)
    });
    let mut by_piece: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    for ((piece, ..), item) in jobs.iter().zip(items) {
        by_piece.entry(piece.clone()).or_default().push(item);
    }
    (by_piece, errors)
}

fn run_one(bin: &Binary, dir: &Path, name: &str, timeout: Duration) -> Result<(), String> {
    let mut c = test_command(bin, dir);
    c.args(["--exact", name, "--test-threads=1", "--color", "never"]);
    let out = limits::run(c, timeout)?;
    judge(name, &out).map_err(|e| out.with_notes(e))
}

/// A test passes when its process exits 0 and libtest reports exactly
/// this one test as ok. The test process is the judge: it never runs a
/// submission's code, or only code that cannot act (see screen.rs), so
/// its exit status is its own. A pass report from a process that did not
/// exit 0 was printed by something else, and is named as forged.
pub fn judge(name: &str, out: &limits::Captured) -> Result<(), String> {
    let ok_line = format!("test {name} ... ok");
    let stdout = out.stdout.lines();
    let reported = stdout.clone().any(|l| l == ok_line)
        && stdout.clone().any(|l| l.starts_with("test result: ok. 1 passed;"));
    let both = || format!("{}\n{}", tail(&out.stdout), tail(&out.stderr)).trim().to_string();
    let verdict = verdict(name, out, reported, &ok_line, both);
    match verdict {
        Err(e) if reported => Err(format!(
            "forged test output: `{ok_line}` was printed, but not by a test that passed\n{e}"
        )),
        v => v,
    }
}

fn verdict(
    name: &str,
    out: &limits::Captured,
    reported: bool,
    ok_line: &str,
    both: impl Fn() -> String,
) -> Result<(), String> {
    match &out.ended {
        Ended::Exited(0) if reported => Ok(()),
        Ended::Exited(0) => {
            Err(format!("the test binary exited 0 without reporting `{ok_line}`\n{}", both()))
        }
        Ended::Exited(code) => Err(failure_message(name, &out.stdout)
            .unwrap_or_else(|| format!("exited with status {code}\n{}", both()))),
        Ended::Signaled(sig) => {
            Err(format!("crashed: the test process was killed by {sig}\n{}", both()))
        }
        Ended::TimedOut(t) => Err(format!(
            "timed out after {} s (an endless loop, or waiting for something that never comes)",
            limits::seconds(*t)
        )),
        Ended::Flooded => Err(format!(
            "output flood: the test printed more than {} MiB and was stopped",
            limits::FLOOD_BYTES >> 20
        )),
    }
}

/// libtest's `---- name stdout ----` section: the panic and assertion lines.
fn failure_message(name: &str, output: &str) -> Option<String> {
    let header = format!("---- {name} stdout ----");
    let start = output.find(&header)? + header.len();
    let section = &output[start..];
    let end = section.find("\nfailures:").unwrap_or(section.len());
    let lines: Vec<&str> = section[..end]
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
        .collect();
    Some(first_lines(&lines.join("\n"), DETAIL_LINES))
}

fn tail(output: &str) -> String {
    let lines: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(DETAIL_LINES)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Captured;

    fn captured(ended: Ended, output: &str) -> Captured {
        Captured { ended, stdout: output.into(), stderr: String::new(), notes: Vec::new() }
    }

    const PASS: &str =
        "\nrunning 1 test\ntest forks ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored\n";

    #[test]
    fn passing_needs_the_exit_status_and_the_report() {
        assert!(judge("forks", &captured(Ended::Exited(0), PASS)).is_ok());
        assert!(
            judge("other", &captured(Ended::Exited(0), PASS)).is_err(),
            "another test's ok line"
        );
        assert!(
            judge(
                "forks",
                &captured(Ended::Exited(0), "running 0 tests\ntest result: ok. 0 passed;")
            )
            .is_err()
        );
        assert!(judge("forks", &captured(Ended::Exited(101), PASS)).is_err());
    }

    #[test]
    fn a_pass_report_from_a_process_that_failed_is_forged() {
        let forged = format!("test forks ... ok\n{PASS}\ntest forks ... FAILED\n");
        let e = judge("forks", &captured(Ended::Exited(101), &forged)).unwrap_err();
        assert!(e.starts_with("forged test output: `test forks ... ok` was printed"), "{e}");
        let killed =
            judge("forks", &captured(Ended::Signaled("SIGKILL".into()), PASS)).unwrap_err();
        assert!(killed.starts_with("forged test output") && killed.contains("killed by SIGKILL"));
        let honest = judge("forks", &captured(Ended::Exited(101), "test forks ... FAILED\n"));
        assert!(!honest.unwrap_err().contains("forged"));
    }

    #[test]
    fn a_failure_shows_the_assertion() {
        let out = "running 1 test\ntest forks ... FAILED\n\nfailures:\n\n---- forks stdout ----\n\nthread 'forks' panicked at tests/fork.rs:9:5:\nassertion `left == right` failed: child pid\n  left: 0\n right: 3\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n\nfailures:\n    forks\n";
        let e = judge("forks", &captured(Ended::Exited(101), out)).unwrap_err();
        assert_eq!(
            e,
            "thread 'forks' panicked at tests/fork.rs:9:5:\nassertion `left == right` failed: child pid\n  left: 0\n right: 3"
        );
    }

    #[test]
    fn hangs_crashes_and_floods_are_named() {
        assert!(
            judge("t", &captured(Ended::TimedOut(Duration::from_secs(7)), ""))
                .unwrap_err()
                .starts_with("timed out after 7 s")
        );
        assert!(
            judge("t", &captured(Ended::Signaled("SIGSEGV".into()), ""))
                .unwrap_err()
                .contains("killed by SIGSEGV")
        );
        assert!(
            judge("t", &captured(Ended::Flooded, PASS)).unwrap_err().starts_with("output flood")
        );
    }
}
