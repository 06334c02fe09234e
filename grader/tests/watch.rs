//! `cargo grade watch` in a pseudo-terminal, as a learner sees it: a failing
//! test and its hint, the next hint on `h`, and after a fixed file is saved,
//! the test green, the progress advanced and the next piece named.
//!
//! It works on a small checkout of its own (one lab piece), so the real
//! exercises are never touched; progress goes to a state directory of its
//! own. The screens are written to target/watch-test/ for people to read.

use nix::pty::{Winsize, openpty};
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Long enough for a first build of the piece on a busy machine; a correct
/// run never waits this long, so the limit cannot make the test flaky.
const PATIENCE: Duration = Duration::from_secs(900);

const PIECE: &str = "linux-fork-exec";

fn repo() -> PathBuf {
    runner::repo_root()
}

/// A checkout holding one piece (and the next one's rubric, so that the
/// watch can name it) with the crate its tests call it through, sharing a
/// build directory between runs of this test.
fn checkout() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("watch-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let copy = |rel: &str| {
        let to = dir.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(repo().join(rel), &to).unwrap_or_else(|e| panic!("{rel}: {e}"));
    };
    for f in [
        "Cargo.lock",
        "book/src/SUMMARY.md",
        "exercises/linux-pstree/rubric.toml",
        "grader/contain/Cargo.toml",
        "grader/contain/src/lib.rs",
    ] {
        copy(f);
    }
    for f in std::fs::read_dir(repo().join("exercises").join(PIECE).join("src")).unwrap() {
        let name = f.unwrap().file_name();
        copy(&format!("exercises/{PIECE}/src/{}", name.to_str().unwrap()));
    }
    for f in ["Cargo.toml", "rubric.toml", "tests/fork_exec.rs"] {
        copy(&format!("exercises/{PIECE}/{f}"));
    }
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[workspace]\nresolver = \"3\"\nmembers = [\"exercises/{PIECE}\"]\n\n\
             [workspace.package]\nedition = \"2024\"\nversion = \"0.1.0\"\nlicense = \"MIT\"\npublish = false\n\n\
             [workspace.dependencies]\nnix = {{ version = \"=0.31.3\" }}\n\
             contain = {{ path = \"grader/contain\" }}\n\
             serde = {{ version = \"=1.0.229\", features = [\"derive\"] }}\n\
             serde_json = \"=1.0.154\"\n"
        ),
    )
    .unwrap();
    let target = repo().join("target/watch-test/target");
    std::fs::create_dir_all(&target).unwrap();
    std::os::unix::fs::symlink(&target, dir.join("target")).unwrap();
    dir
}

/// The terminal: what the program wrote to it, and a way to type.
struct Terminal {
    master: std::fs::File,
    output: Arc<Mutex<Vec<u8>>>,
    child: std::process::Child,
}

impl Terminal {
    fn start(args: &[&str], state: &Path) -> Terminal {
        let size = Winsize { ws_row: 60, ws_col: 140, ws_xpixel: 0, ws_ypixel: 0 };
        let pty = openpty(Some(&size), None).expect("openpty");
        let slave = |fd: &OwnedFd| Stdio::from(fd.try_clone().unwrap());
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_grader"));
        cmd.args(args)
            .env("COURSE_STATE_DIR", state)
            .env("TERM", "xterm")
            .stdin(slave(&pty.slave))
            .stdout(slave(&pty.slave))
            .stderr(slave(&pty.slave));
        // A session of its own, with the pseudo-terminal as its controlling
        // terminal, like a login over SSH.
        unsafe {
            cmd.pre_exec(|| {
                nix::unistd::setsid()?;
                if nix::libc::ioctl(0, nix::libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("grader starts");
        drop(pty.slave);
        let master = std::fs::File::from(pty.master);
        let output = Arc::new(Mutex::new(Vec::new()));
        let (mut reader, sink) = (master.try_clone().unwrap(), output.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Terminal { master, output, child }
    }

    /// What the screen shows now: the watch clears the screen before each
    /// frame, so that is the text after the last clear.
    fn screen(&self) -> String {
        let all = String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned();
        let frame = all.rsplit("\x1b[2J\x1b[H").next().unwrap_or_default();
        frame.replace("\r\n", "\n")
    }

    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(start.elapsed() < PATIENCE, "the screen never showed {what}:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn press(&mut self, key: &str) {
        self.master.write_all(key.as_bytes()).unwrap();
    }
}

fn keep(name: &str, screen: &str) {
    let dir = repo().join("target/watch-test/screens");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), screen).unwrap();
    println!("---- {name} ----\n{screen}");
}

#[test]
fn saving_a_fix_turns_the_test_green_and_advances_the_progress() {
    let dir = checkout();
    let state = dir.join("state");
    let dir_arg = dir.to_str().unwrap();
    let mut t =
        Terminal::start(&["--timeout-scale", "4", "watch", PIECE, "--checkout", dir_arg], &state);
    let before = t.wait_for("a failing test with its first hint", |s| {
        s.contains("FAIL test fork_exec_pids_are_related") && s.contains("Hint 1 of 3")
    });
    assert!(before.contains("0/8"), "no points yet:\n{before}");
    assert!(!before.contains("Hint 2 of 3"), "one hint at a time:\n{before}");
    keep("before.txt", &before);

    t.press("h");
    let hinted = t.wait_for("the second hint", |s| s.contains("Hint 2 of 3"));
    assert!(hinted.contains("(press h for the next hint)"), "{hinted}");

    // The fix: the reference solution, saved over the stub (its `given`
    // module sits next to it here).
    let fixed = std::fs::read_to_string(repo().join("solutions").join(PIECE).join("src/lib.rs"))
        .unwrap()
        .replace(&format!("#[path = \"../../../exercises/{PIECE}/src/given.rs\"]\n"), "");
    std::fs::write(dir.join("exercises").join(PIECE).join("src/lib.rs"), fixed).unwrap();
    let after = t.wait_for("the piece passing", |s| s.contains(&format!("PASS {PIECE}")));
    assert!(after.contains("src/lib.rs saved"), "the save started the run:\n{after}");
    assert!(after.contains("8/8"), "full points:\n{after}");
    assert!(after.contains("Next: linux-pstree. Read book/src/labs/linux-pstree.md"), "{after}");
    keep("after.txt", &after);

    t.press("q");
    let status = t.child.wait().unwrap();
    assert!(status.success(), "the watch ended with {status}");

    let progress = Command::new(env!("CARGO_BIN_EXE_grader"))
        .args(["progress", "--checkout", dir_arg])
        .env("COURSE_STATE_DIR", &state)
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&progress.stdout);
    let line = table.lines().find(|l| l.contains(PIECE)).unwrap_or_default();
    assert!(
        line.contains("8/8") && line.contains("done") && line.contains("2 hints seen"),
        "{table}"
    );
    keep("progress.txt", &table);
    // Progress lives in the state directory, never in the checkout.
    assert!(state.join("progress.json").is_file());
    let stray: Vec<_> = walk(&dir.join("exercises"))
        .into_iter()
        .filter(|p| p.extension().is_none_or(|e| e != "rs" && e != "toml"))
        .collect();
    assert!(stray.is_empty(), "the watch left files in the checkout: {stray:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}
