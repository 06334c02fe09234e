//! gdb against the gdb build of the kernel, in batch mode, the way the book's
//! "Debugging with gdb" section uses it: break in the fork piece, walk the
//! stack back through the system call, list the tasks, then break in a user
//! program's main. The session is the transcript the book shows.

use regex::Regex;
use runner::{BuildOptions, build, gdb, qemu_args, qemu_binary, timeout_scale};
use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What the test types at gdb's prompt, in order.
const SESSION: &[&str] = &[
    "fbreak fork::fork",
    "user init",
    "continue",
    "bt",
    "ps",
    "user forkexec",
    "fbreak main",
    "continue",
    "bt",
    "continue",
    "bt",
    "tf",
    "kill",
];

/// A child process that is killed if the test ends first: no QEMU or gdb is
/// left behind, whatever happens.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Reaped {
    /// Waits up to `limit` for the process to end; true if it did.
    fn ends_within(&mut self, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(_)) = self.0.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

/// The part of the session that `SESSION[i]` printed.
fn reply(log: &str, i: usize) -> &str {
    let prompt = format!("(gdb) {}\n", SESSION[i]);
    let skip: usize = SESSION[..i].iter().filter(|c| **c == SESSION[i]).count();
    let mut at = 0;
    for _ in 0..=skip {
        at += log[at..].find(&prompt).unwrap_or_else(|| panic!("no {prompt:?} in:\n{log}"));
        at += prompt.len();
    }
    let end = log[at..].find("(gdb) ").map_or(log.len(), |e| at + e);
    &log[at..end]
}

/// What changes with every edit of the code: addresses, line numbers and
/// symbol hashes. The book shows a real session; the test compares both
/// with these masked.
fn mask(log: &str) -> String {
    let rules = [
        (r"0x0*[1-9a-f][0-9a-f]{4,}", "0x…"), // addresses: 0x10000 and up
        (r"::h[0-9a-f]{16}\b", "::h…"),       // the hash in a symbol's linkage name
        (r"\.rs:\d+", ".rs:…"),               // at src/syscall.rs:191
        (r"line \d+", "line …"),              // Breakpoint 1 at ...: file src/lib.rs, line 31.
        (r"(?m)^\d+\t", "…\t"),               // a source line, as gdb lists it
    ];
    let mut text = log.to_string();
    for (pattern, with) in rules {
        text = Regex::new(pattern).unwrap().replace_all(&text, with).into_owned();
    }
    text
}

#[test]
fn gdb_breaks_in_fork_walks_back_to_the_caller_and_breaks_in_user_main() {
    let version = Command::new("gdb").arg("--version").output();
    assert!(
        version.is_ok_and(|v| v.status.success()),
        "gdb is not installed; `bash .ci/setup` installs it (Debian's gdb package)"
    );
    let opts = BuildOptions { gdb: true, ..Default::default() };
    let kernel = build(&opts).unwrap_or_else(|e| panic!("{e}"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("gdb-{}", std::process::id()));
    let port = gdb::free_port().unwrap();
    let script = gdb::write_script(&dir, &opts, &kernel, port, None).unwrap();

    let serial = dir.join("serial.txt");
    let mut qemu = Reaped(
        Command::new(qemu_binary())
            .args(qemu_args(&kernel, "-- forkexec", 256))
            .args(["-serial", &format!("file:{}", serial.display()), "-monitor", "none"])
            .args(gdb::qemu_args(port))
            .stdin(Stdio::null())
            .stderr(File::create(dir.join("qemu-stderr.txt")).unwrap())
            .spawn()
            .expect("QEMU did not start"),
    );
    // Each command is echoed after a prompt, so that the log reads like a session.
    let session: String =
        SESSION.iter().map(|c| format!("echo (gdb) {c}\\n\n{c}\n")).collect::<String>();
    std::fs::write(dir.join("session.gdb"), session).unwrap();
    let log_path = dir.join("gdb.txt");
    let log = File::create(&log_path).unwrap();
    let mut gdb = Reaped(
        Command::new("gdb")
            .args(["-q", "-nx", "-batch", "-x"])
            .arg(&script)
            .arg("-x")
            .arg(dir.join("session.gdb"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("gdb did not start"),
    );
    let finished = gdb.ends_within(Duration::from_secs(120).mul_f64(timeout_scale()));
    let log = std::fs::read_to_string(&log_path).unwrap();
    let serial = std::fs::read_to_string(&serial).unwrap_or_default();
    assert!(finished, "gdb did not finish:\n{log}\n--- serial:\n{serial}");
    assert!(gdb.0.wait().unwrap().success(), "gdb failed:\n{log}");

    let stop = reply(&log, 2);
    assert!(stop.contains("Breakpoint 1, fork::fork ("), "no stop in fork:\n{log}");
    let bt = reply(&log, 3);
    for frame in
        ["fork::fork", "kernel::syscall::sys_fork", "kernel::syscall::dispatch", "init::main"]
    {
        assert!(bt.contains(&format!(" {frame} (")), "no {frame} in the backtrace:\n{bt}");
    }
    let ps = reply(&log, 4);
    assert!(
        ps.lines().any(|l| l.split_whitespace().collect::<Vec<_>>()[..]
            == ["1", "0", "Running", "init", "<-", "current"]),
        "init is not the running task:\n{ps}"
    );
    assert!(reply(&log, 7).contains(", forkexec::main ("), "no stop in forkexec's main:\n{log}");
    assert!(reply(&log, 8).contains("#0  forkexec::main ("), "{log}");
    // forkexec's own fork: the backtrace crosses from the kernel into the
    // user program, through the entry code's unwind information.
    let across = reply(&log, 10);
    let at = |frame: &str| across.find(frame).unwrap_or_else(|| panic!("no {frame}:\n{across}"));
    assert!(at(" kernel::syscall::dispatch (") < at("<signal handler called>"));
    assert!(at("<signal handler called>") < at(" forkexec::main ("), "{across}");
    assert!(at(" forkexec::main (") < at(" _start ("), "{across}");
    assert!(reply(&log, 11).contains("vector 256 (system call)"), "{log}");
    assert!(
        qemu.ends_within(Duration::from_secs(10)),
        "QEMU is still running after gdb's kill:\n{log}"
    );
    // The repository's path differs from one checkout to the next.
    let session = log.replace(&format!("{}/", runner::repo_root().display()), "");
    transcripts::check_masked("gdb-session", &session, mask);
    std::fs::remove_dir_all(&dir).unwrap();
}
