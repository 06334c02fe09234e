//! The Linux commands the book asks the reader to run, run here: each
//! session's commands go through bash, and the book's transcript must match
//! what they print.
//!
//! This output belongs to the machine: pids, addresses, times, and the
//! order in which processes print all change from run to run, and strace's
//! view of two processes interleaves differently every time. So each
//! session says how to compare (see the masks below), and the book keeps
//! one real run. What is left after masking, the calls, states, names and
//! the shape of each line, must still match.
//!
//! Not part of `cargo test`: the sessions need strace, procps (ps), psmisc
//! (pstree), util-linux (unshare), python3 and either root or unprivileged
//! user namespaces, and they were recorded on Debian 12. `.ci/book-check`
//! runs them with `cargo test -p transcripts --test linux`; on another
//! distribution some will differ, and `TRANSCRIPTS=update` shows how.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How one session's output is compared with the book's.
#[derive(Clone, Copy)]
enum Compare {
    /// Byte for byte.
    Exact,
    /// Numbers masked (pids, times, addresses, counts of what varies).
    Numbers,
    /// Numbers masked and lines in any order: processes that race.
    NumbersAnyOrder,
    /// strace -f: calls of several processes, in any order, with calls cut
    /// in two (`<unfinished ...>` ... `resumed>`) joined again.
    Strace,
    /// /proc/PID/maps: only the permissions and the file name of each line.
    Maps,
}

fn shape(compare: Compare, text: &str) -> String {
    match compare {
        Compare::Exact => text.to_string(),
        Compare::Numbers => transcripts::mask_numbers(text),
        Compare::NumbersAnyOrder => transcripts::sort_lines(&transcripts::mask_numbers(text)),
        // strace adds `/* 0.01 s */` after a child's CPU times once they are
        // not zero, which a busy machine decides.
        Compare::Strace => transcripts::sort_lines(
            &transcripts::mask_numbers(&join_strace(text)).replace(" /* # s */", ""),
        ),
        Compare::Maps => text
            .lines()
            .map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                if l.starts_with("$ ") || w.len() < 5 {
                    format!("{l}\n")
                } else {
                    format!("{} {}\n", w[1], w[5..].join(" "))
                }
            })
            .collect(),
    }
}

/// strace -f output with the pid prefixes dropped and every call that
/// strace printed in two pieces, because another process's line came in
/// between, put back together. (Where the traced programs print while
/// strace does, the book's sessions send the trace to a file with -o: on a
/// shared terminal their text could land in the middle of a call.)
fn join_strace(text: &str) -> String {
    let mut pending: Vec<(String, String)> = Vec::new();
    let mut out = String::new();
    for line in text.lines() {
        // `[pid N] ` on the terminal, `N ` in a file written with -o.
        let line = match line.strip_prefix("[pid ") {
            Some(rest) => rest.split_once("] ").map_or(line, |(_, call)| call),
            None => match line.split_once(' ') {
                Some((pid, call)) if pid.bytes().all(|b| b.is_ascii_digit()) => call.trim_start(),
                _ => line,
            },
        };
        if let Some(start) = line.strip_suffix(" <unfinished ...>") {
            let name = start.split('(').next().unwrap_or("").to_string();
            pending.push((name, start.trim_end().to_string()));
            continue;
        }
        if let Some(rest) = line.strip_prefix("<... ")
            && let Some((name, tail)) = rest.split_once(" resumed>")
            && let Some(i) = pending.iter().position(|(n, _)| n == name)
        {
            let (_, start) = pending.remove(i);
            let tail = tail.trim_start();
            let sep = if tail.starts_with(')') { "" } else { " " };
            out += &format!("{start}{sep}{tail}\n");
            continue;
        }
        out += &format!("{line}\n");
    }
    for (_, start) in pending {
        out += &format!("{start} <unfinished ...>\n");
    }
    out
}

/// The command the book shows with `sudo unshare`, as this test runs it:
/// root needs no sudo, and anyone else gets root in a user namespace.
fn runnable(command: &str) -> String {
    let root = nix_free_getuid() == 0;
    let with = if root {
        "unshare --fork --pid --mount-proc"
    } else {
        "unshare --user --map-root-user --fork --pid --mount-proc"
    };
    command.replace("sudo unshare --fork --pid --mount-proc", with)
}

fn nix_free_getuid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("Uid:")?.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(u32::MAX)
}

/// A scratch directory holding the book's scripts, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("book-linux-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for script in std::fs::read_dir(transcripts::dir().join("scripts")).unwrap().flatten() {
            std::fs::copy(script.path(), dir.join(script.file_name())).unwrap();
        }
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `commands` one after the other in one bash, each printed first as
/// `$ COMMAND`, the way a terminal shows them; returns everything printed.
/// Whatever the commands leave running is killed at the end.
fn run(name: &str, commands: &[&str], dir: &Path) -> String {
    let mut script = String::from("exec 2>&1\n");
    for c in commands {
        let shown = c.replace('\'', r"'\''");
        script += &format!("printf '%s\\n' '$ {shown}'\n{}\n", runnable(c));
    }
    // A clean environment, so that strace's "N vars" and the like do not
    // depend on who runs the test; cargo (for the pstree lab) stays usable.
    let mut path = String::from("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    let mut bash = Command::new("bash");
    bash.env_clear();
    if let Some(cargo) = std::env::var_os("CARGO").map(PathBuf::from) {
        path = format!("{}:{path}", cargo.parent().unwrap().display());
        let home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
        let cargo_home = std::env::var_os("CARGO_HOME").map_or(home.join(".cargo"), PathBuf::from);
        bash.env("CARGO_HOME", cargo_home);
        if let Some(rustup) = std::env::var_os("RUSTUP_HOME") {
            bash.env("RUSTUP_HOME", rustup);
        }
    }
    let mut child = bash
        .arg("-c")
        .arg(&script)
        .current_dir(dir)
        .env("PATH", path)
        .env("HOME", dir)
        .env("LANG", "C.UTF-8")
        .env("TERM", "dumb")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("{name}: cannot start bash: {e}"));
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "{name}: still running after 60 s");
        std::thread::sleep(Duration::from_millis(50));
    };
    // Background jobs are in bash's process group: end them, so that the
    // pipe closes and nothing outlives the test.
    let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
    let out = reader.join().unwrap();
    assert!(status.success(), "{name}: bash exited with {status}:\n{out}");
    out
}

/// Runs the session and checks the book's transcript `name`.
fn session(name: &str, compare: Compare, commands: &[&str]) {
    for tool in ["strace", "ps", "pstree", "unshare", "python3", "readelf"] {
        let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .chain(["/usr/bin".into(), "/usr/sbin".into()])
            .any(|d| d.join(tool).exists());
        assert!(
            found,
            "`{tool}` is missing: the book's Linux sessions need strace, procps, psmisc, \
             util-linux, python3 and binutils (apt-get install strace procps psmisc util-linux \
             python3 binutils)"
        );
    }
    let scratch = Scratch::new(name);
    let out = run(name, commands, &scratch.0);
    transcripts::check_masked(name, &out, |t| shape(compare, t));
}

#[test]
fn strace_of_a_builtin() {
    session("linux-why-echo", Compare::Strace, &["strace -f -q -e trace=process sh -c 'echo hi'"]);
}

#[test]
fn strace_of_a_program_from_dash() {
    session(
        "linux-why-true",
        Compare::Strace,
        &["strace -f -q -e trace=process sh -c 'echo hi; /bin/true'"],
    );
}

#[test]
fn a_shell_and_its_child() {
    session(
        "linux-fork-pids",
        Compare::Numbers,
        &[r#"echo "shell: $$""#, r#"bash -c 'echo "child: $$, parent: $PPID"'"#],
    );
}

#[test]
fn proc_self_status() {
    session(
        "linux-fork-status",
        Compare::Numbers,
        &["grep -E '^(Name|State|Tgid|Pid|PPid)' /proc/self/status"],
    );
}

#[test]
fn strace_of_bash_forking() {
    session(
        "linux-fork-strace",
        Compare::Strace,
        &["strace -f -q -e trace=process bash -c '/bin/true; /bin/true'"],
    );
}

#[test]
fn program_headers_of_bin_true() {
    session(
        "linux-exec-readelf",
        Compare::Numbers,
        &[
            "readelf -hlW /bin/true | grep -E '^ *(Type|Entry|PHDR|INTERP|LOAD|GNU_STACK|\\[Requesting)'",
        ],
    );
}

#[test]
fn the_auxiliary_vector() {
    session(
        "linux-exec-auxv",
        Compare::Numbers,
        &["LD_SHOW_AUXV=1 /bin/true | grep -E 'AT_(PHDR|PHENT|PHNUM|PAGESZ|BASE|ENTRY|RANDOM):'"],
    );
}

#[test]
fn strace_of_exec_in_place() {
    session(
        "linux-exec-strace",
        Compare::Strace,
        &["strace -f -q -e trace=execve sh -c 'exec /bin/echo hi'"],
    );
}

#[test]
fn the_maps_of_a_process() {
    session(
        "linux-process-maps",
        Compare::Maps,
        &["grep -E 'bin/grep|heap|stack|libc.so|ld-linux' /proc/self/maps"],
    );
}

#[test]
fn the_status_of_a_process() {
    session(
        "linux-process-status",
        Compare::Numbers,
        &["grep -E '^(Name|State|Tgid|Pid|PPid|Uid|FDSize|VmRSS|Threads)' /proc/self/status"],
    );
}

#[test]
fn threads_in_ps() {
    session(
        "linux-threads-ps",
        Compare::Numbers,
        &["python3 -c 'import threading, time, os
for _ in range(2): threading.Thread(target=time.sleep, args=(3,), daemon=True).start()
os.system(\"ps -L -o pid,lwp,nlwp,stat,comm -p %d\" % os.getpid())'"],
    );
}

#[test]
fn an_orphan_in_a_pid_namespace() {
    session(
        "linux-threads-orphan",
        Compare::Numbers,
        &["sudo unshare --fork --pid --mount-proc bash orphan.sh"],
    );
}

#[test]
fn where_sleepers_wait() {
    session(
        "linux-queues-wchan",
        Compare::Numbers,
        &["sudo unshare --fork --pid --mount-proc bash wchan.sh"],
    );
}

#[test]
fn pid_1_of_a_namespace() {
    session(
        "linux-kthreads-init",
        Compare::Exact,
        &[
            "sudo unshare --fork --pid --mount-proc \\\n    bash -c 'sh -c \"kill -9 1; echo kill returned \\$?\"; sleep 0.2; echo \"still alive: pid $$\"; :'",
            "sudo unshare --fork --pid --mount-proc bash -c 'sleep 100 & exit 3'; echo \"unshare saw: $?\"",
        ],
    );
}

#[test]
fn a_subreaper() {
    session(
        "linux-exit-subreaper",
        Compare::Numbers,
        &["sudo unshare --fork --pid --mount-proc bash -c 'python3 subreaper.py; :'"],
    );
}

#[test]
fn a_zombie_and_its_end() {
    session(
        "linux-exit-zombie",
        Compare::Numbers,
        &["sudo unshare --fork --pid --mount-proc bash zombie.sh"],
    );
}

#[test]
fn wait_statuses() {
    session(
        "linux-exit-wait4",
        Compare::Strace,
        &[r#"strace -e trace=wait4 sh -c 'sh -c "exit 3"; sh -c "kill -SEGV \$\$"; :'"#],
    );
}

#[test]
fn the_round_robin_slice() {
    session("linux-time-rr", Compare::Exact, &["cat /proc/sys/kernel/sched_rr_timeslice_ms"]);
}

#[test]
fn a_shell_that_only_waits() {
    session(
        "linux-switch-voluntary",
        Compare::Numbers,
        &["sh -c 'sleep 0.1; sleep 0.1; sleep 0.1; grep ctxt /proc/$$/status'"],
    );
}

#[test]
fn a_sleeper_and_a_spinner() {
    session(
        "linux-switch-ctxt",
        Compare::Numbers,
        &[
            "sleep 2 & sleep 1; grep ctxt /proc/$!/status",
            "sh -c 'while :; do :; done' & sleep 1; grep ctxt /proc/$!/status; kill $!",
        ],
    );
}

#[test]
fn a_small_tree() {
    session(
        "linux-tree-pstree",
        Compare::Numbers,
        &["sudo unshare --fork --pid --mount-proc bash tree.sh"],
    );
}

#[test]
fn parents_in_proc() {
    session(
        "linux-tree-ppid",
        Compare::Numbers,
        &["grep PPid /proc/self/status", "cut -d' ' -f1-5 /proc/2/stat"],
    );
}

#[test]
fn a_zoo_of_states() {
    session(
        "linux-states-zoo",
        Compare::Numbers,
        &["sudo unshare --fork --pid --mount-proc bash states.sh"],
    );
}

#[test]
fn states_in_proc() {
    session(
        "linux-states-proc",
        Compare::Numbers,
        &["grep State /proc/self/status", "cut -d' ' -f1-3 /proc/2/stat"],
    );
}

#[test]
fn strace_of_posix_spawn() {
    session(
        "linux-spawn-strace",
        Compare::Strace,
        &[
            "strace -f -q -o trace -e trace=process,clone3 python3 -c \\\n    'import os; pid = os.posix_spawn(\"/bin/echo\", [\"echo\", \"spawned\"], {}); os.waitpid(pid, 0)'",
            "cat trace",
        ],
    );
}

#[test]
fn the_worked_example_from_a_shell() {
    session("linux-worked-we", Compare::NumbersAnyOrder, &["bash we.sh", "bash we2.sh"]);
}

#[test]
fn strace_of_the_worked_example() {
    session(
        "linux-worked-strace",
        Compare::Strace,
        &["strace -f -q -o trace -e trace=process bash we.sh", "cat trace"],
    );
}

#[test]
fn the_tasks_of_a_thread_group() {
    session(
        "linux-clone-tasks",
        Compare::Numbers,
        &["python3 -c '
import threading, os, time
ts = [threading.Thread(target=time.sleep, args=(1,)) for _ in range(2)]
[t.start() for t in ts]
print(\"getpid:\", os.getpid(), \"gettid:\", threading.get_native_id())
os.system(\"grep -E \\\"^(Tgid|Pid)\\\" /proc/%d/task/*/status\" % os.getpid())'"],
    );
}

#[test]
fn strace_of_a_thread_being_born() {
    session(
        "linux-clone-strace",
        Compare::Strace,
        &[
            "strace -f -q -o trace -e trace=clone,clone3 python3 -c \\\n    'import threading; t = threading.Thread(target=print, args=(\"hi\",)); t.start(); t.join()'",
            "cat trace",
        ],
    );
}

#[test]
fn strace_of_a_thread_ending_and_then_its_process() {
    session(
        "linux-clone-exit",
        Compare::Strace,
        &[
            "strace -f -q -o trace -e trace=clone3,exit,exit_group python3 -c \\\n    'import threading; t = threading.Thread(target=int); t.start(); t.join()'",
            "cat trace",
        ],
    );
}

#[test]
fn strace_of_exit_and_wait() {
    session(
        "linux-wait-strace",
        Compare::Strace,
        &["strace -f -q -e trace=exit_group,wait4 sh -c '(exit 7); echo $?'"],
    );
}

#[test]
fn a_zombie_from_a_shell() {
    session(
        "linux-states-lab-zombie",
        Compare::Numbers,
        &["sh -c 'sleep 1 & exec sleep 6' &", "sleep 2; ps -o pid,ppid,stat,args --ppid $!"],
    );
}

/// The pstree lab's program and the real pstree, on the same tree: they
/// must draw the same thing, and the book shows both.
#[test]
fn the_pstree_lab_draws_like_pstree() {
    let scratch = Scratch::new("pstree");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let build = Command::new(&cargo)
        .args(["build", "-q", "-p", "linux-pstree-solution"])
        .current_dir(transcripts::dir())
        .status()
        .expect("cannot run cargo");
    assert!(build.success());
    let out = run(
        "linux-pstree-lab",
        &[
            "sh -c 'sleep 30 & sh -c \"sleep 30 & sleep 30 & wait\" & wait' & sleep 0.5",
            "cargo run -q -p linux-pstree-solution -- $!",
            "pstree -pU $!",
            "kill $!",
        ],
        &transcripts::dir(),
    );
    drop(scratch);
    let drawings: Vec<&str> = out.split("\n$ ").collect();
    assert!(drawings.len() >= 3, "{out}");
    let (ours, theirs) =
        (drawings[1].split_once('\n').unwrap().1, drawings[2].split_once('\n').unwrap().1);
    assert_eq!(ours, theirs, "the lab's pstree and the real one differ:\n{out}");
    transcripts::check_masked("linux-pstree-lab", &out, transcripts::mask_numbers);
}
