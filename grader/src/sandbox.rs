//! The sandbox every process that runs student-compiled code starts in: the
//! host test binaries, what they fork and exec, and the tools they run
//! (trybuild's cargo). [bubblewrap] builds it from the kernel's namespaces;
//! `setpriv` and `prlimit` (util-linux) drop the last privileges and set the
//! resource limits just before the test starts:
//!
//! - a mount namespace: `/` read-only, `/tmp` an empty tmpfs of
//!   [`SCRATCH`] (the test's scratch space, gone with it), `$HOME` and `/run`
//!   hidden behind empty read-only directories, a minimal read-only `/dev`;
//! - a network namespace with nothing but its own loopback;
//! - a PID namespace, so the test sees only its own processes, and all of
//!   them die with it;
//! - no capabilities, no new privileges, no further user namespaces, and
//!   the resource limits below, per test.
//!
//! When the grader runs as root, the test does not: root's processes are
//! exempt from `RLIMIT_NPROC` in any user namespace (`copy_process` in
//! kernel/fork.c skips the check for `INIT_USER`, the global uid 0), so each
//! test gets a user namespace of its own that maps `nobody` as well as
//! root, and runs as `nobody` in it.
//!
//! [bubblewrap]: https://github.com/containers/bubblewrap

use crate::limits::{self, Captured, Ended};
use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl, open};
use nix::sched::{CloneFlags, unshare};
use nix::sys::signal::{Signal, kill};
use nix::sys::stat::Mode;
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork, geteuid, pipe2, read, write};
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// Tasks (processes and threads) one test may have at once.
pub const PROCESSES: u64 = 128;
/// Address space of each process: what it may allocate, map and reserve.
pub const ADDRESS_SPACE: u64 = 2 << 30;
/// The largest file a test may write.
pub const FILE_SIZE: u64 = 128 << 20;
/// The size of the tmpfs on `/tmp`.
pub const SCRATCH: u64 = 256 << 20;
/// Open file descriptors per process.
pub const OPEN_FILES: u64 = 1024;
/// CPU time of each process, as a multiple of the test's time limit: a
/// process with threads on two cores may use twice its wall-clock time.
pub const CPU_PER_TIMEOUT: f64 = 2.0;

/// The identity tests run as when the grader is root.
const NOBODY: u32 = 65534;
/// Where trybuild (the typestate lab) builds: inside the scratch space,
/// never in the grader's build directories.
const SCRATCH_TARGET: &str = "/tmp/cargo-target";
const TOOLS: [(&str, &str); 3] =
    [("bwrap", "bubblewrap"), ("setpriv", "util-linux"), ("prlimit", "util-linux")];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cover {
    /// An empty tmpfs, read-only once what must show through is bound in.
    Hidden,
    /// The writable scratch space.
    Scratch,
}

#[derive(Debug)]
pub struct Sandbox {
    as_root: bool,
    /// Directories covered with a tmpfs, outermost first.
    covers: Vec<(PathBuf, Cover)>,
    /// Paths under a cover that the tests need, bound back read-only.
    shown: Vec<PathBuf>,
}

/// What one sandboxed run keeps until it ends.
pub struct Jail {
    /// bwrap reports the pid of the sandbox's init here.
    info: std::fs::File,
    cpu_seconds: u64,
}

static CURRENT: OnceLock<Option<Sandbox>> = OnceLock::new();

/// Chooses, once, the sandbox that [`limits::run`] puts every test in
/// (`None`: run them unsandboxed).
pub fn install(sandbox: Option<Sandbox>) {
    CURRENT.set(sandbox).expect("the sandbox is chosen once");
}

pub fn current() -> Option<&'static Sandbox> {
    CURRENT.get().and_then(Option::as_ref)
}

impl Sandbox {
    /// A sandbox in which `needed` (the grading tree, its build directory)
    /// can be read, checked by starting one. The error says, in one line,
    /// which mechanism is missing.
    pub fn new(needed: &[&Path]) -> Result<Sandbox, String> {
        for (tool, package) in TOOLS {
            if which(tool).is_none() {
                return Err(format!("`{tool}` is not installed (Debian package {package})"));
            }
        }
        let as_root = geteuid().is_root();
        let mut shown: Vec<PathBuf> = needed.iter().map(|p| p.to_path_buf()).collect();
        shown.extend(toolchain());
        let mut covers = vec![(PathBuf::from("/tmp"), Cover::Scratch)];
        covers.push((PathBuf::from("/run"), Cover::Hidden));
        let home = std::env::var_os("HOME").map(PathBuf::from);
        if let Some(home) = home.filter(|h| h.is_absolute() && h.parent().is_some()) {
            covers.push((home, Cover::Hidden));
        }
        if as_root {
            // `nobody` cannot walk through a directory closed to others
            // (root's home, most often): cover it, and bind back what is needed.
            for p in &shown {
                for dir in p.ancestors().skip(1).filter(|d| !searchable_by_others(d)) {
                    covers.push((dir.to_path_buf(), Cover::Hidden));
                }
            }
        }
        covers.sort_by_key(|(p, _)| (p.components().count(), p.clone()));
        covers.dedup_by(|a, b| a.0 == b.0);
        // The grading tree and its build directory may not exist yet: they
        // are bound when they do (--ro-bind-try).
        shown.retain(|p| covers.iter().any(|(c, _)| p.starts_with(c) && p != c));
        let sandbox = Sandbox { as_root, covers, shown };
        let probe = limits::run_in(Command::new("true"), Duration::from_secs(30), Some(&sandbox))?;
        if probe.ended != Ended::Exited(0) {
            let why = probe.stderr.lines().next().unwrap_or("no message").to_string();
            return Err(format!("bwrap cannot build the sandbox here: {why}"));
        }
        Ok(sandbox)
    }

    /// One line for the report's head.
    pub fn describe(&self) -> String {
        format!(
            "each test in its own namespaces: read-only files, no network, {} MiB /tmp; \
             {PROCESSES} tasks per test; {} GiB of memory and {} MiB files per process",
            SCRATCH >> 20,
            ADDRESS_SPACE >> 30,
            FILE_SIZE >> 20
        )
    }

    /// `cmd` run inside a fresh sandbox, with CPU time limited for a test
    /// that may take `timeout`.
    pub fn wrap(&self, cmd: &Command, timeout: Duration) -> Result<(Command, Jail), String> {
        let cpu_seconds = timeout.mul_f64(CPU_PER_TIMEOUT).as_secs() + 1;
        // Non-blocking: a bwrap stuck before it reports must not hold up
        // the census of a test that timed out.
        let (info_r, info_w) =
            pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK).map_err(|e| format!("pipe: {e}"))?;
        let userns = if self.as_root { Some(user_namespace()?) } else { None };
        let mut b = Command::new("bwrap");
        match &userns {
            Some(fd) => b.args(["--userns", &fd.as_raw_fd().to_string()]),
            None => b.args(["--unshare-user", "--disable-userns"]),
        };
        b.args(["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]);
        b.args(["--unshare-cgroup-try", "--die-with-parent", "--new-session"]);
        b.args(["--cap-drop", "ALL"]);
        if self.as_root {
            // Only for setpriv to become nobody; it drops them again.
            for cap in ["CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"] {
                b.args(["--cap-add", cap]);
            }
        }
        b.args(["--info-fd", &info_w.as_raw_fd().to_string()]);
        b.args(["--ro-bind", "/", "/", "--dev", "/dev", "--remount-ro", "/dev", "--proc", "/proc"]);
        for (dir, cover) in &self.covers {
            if *cover == Cover::Scratch {
                b.args(["--perms", "1777", "--size", &SCRATCH.to_string()]);
            }
            b.arg("--tmpfs").arg(dir);
        }
        for dir in self.passages() {
            // What bwrap makes for a mount point is closed to nobody.
            b.args(["--perms", "0755", "--dir"]).arg(dir);
        }
        for p in &self.shown {
            b.arg("--ro-bind-try").arg(p).arg(p);
        }
        for (dir, _) in self.covers.iter().filter(|(_, c)| *c == Cover::Hidden) {
            b.arg("--remount-ro").arg(dir);
        }
        if let Some(dir) = cmd.get_current_dir() {
            b.arg("--chdir").arg(dir);
        }
        b.args(["--setenv", "TMPDIR", "/tmp", "--setenv", "CARGO_TARGET_DIR", SCRATCH_TARGET]);
        for (key, value) in cmd.get_envs() {
            match value {
                Some(v) => b.arg("--setenv").arg(key).arg(v),
                None => b.arg("--unsetenv").arg(key),
            };
        }
        b.args(["--", "setpriv"]);
        if self.as_root {
            b.arg(format!("--reuid={NOBODY}")).arg(format!("--regid={NOBODY}"));
            b.args(["--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]);
        }
        b.args(["--no-new-privs", "--", "prlimit"]);
        for (name, soft, hard) in [
            ("nproc", PROCESSES, PROCESSES),
            ("as", ADDRESS_SPACE, ADDRESS_SPACE),
            ("fsize", FILE_SIZE, FILE_SIZE),
            ("nofile", OPEN_FILES, OPEN_FILES),
            ("cpu", cpu_seconds, cpu_seconds + 1),
            ("core", 0, 0),
        ] {
            b.arg(format!("--{name}={soft}:{hard}"));
        }
        b.arg("--").arg(cmd.get_program()).args(cmd.get_args());
        let inherited: Vec<i32> =
            [Some(info_w.as_raw_fd()), userns.as_ref().map(|fd| fd.as_raw_fd())]
                .into_iter()
                .flatten()
                .collect();
        // SAFETY: fcntl is async-signal-safe. The closure owns the fds, so
        // they stay open until the command is dropped after the spawn.
        let keep = (info_w, userns);
        unsafe {
            b.pre_exec(move || {
                let _ = &keep;
                for &fd in &inherited {
                    let fd = std::os::fd::BorrowedFd::borrow_raw(fd);
                    fcntl(fd, FcntlArg::F_SETFD(FdFlag::empty()))?;
                }
                Ok(())
            });
        }
        Ok((b, Jail { info: info_r.into(), cpu_seconds }))
    }

    /// The directories between a cover and what is shown under it.
    fn passages(&self) -> Vec<&Path> {
        let mut dirs: Vec<&Path> = self
            .shown
            .iter()
            .flat_map(|p| p.ancestors().skip(1))
            .filter(|d| self.covers.iter().any(|(c, _)| d.starts_with(c) && d != c))
            .collect();
        dirs.sort_by_key(|d| (d.components().count(), d.to_path_buf()));
        dirs.dedup();
        dirs
    }
}

/// The signal that ended the test process or, in a lab test, the lab
/// process that ran the lab's code (grader/contain), whose death the test
/// reports in these words.
fn killed_by(out: &Captured) -> Option<&str> {
    match &out.ended {
        Ended::Signaled(sig) => Some(sig),
        _ => {
            out.stdout.split("(which runs the lab's code) was killed by ").nth(1)?.split(' ').next()
        }
    }
}

impl Jail {
    /// What the sandbox says about how a run ended: the limits it reached.
    pub fn notes(&self, out: &Captured) -> Vec<String> {
        let mut notes = Vec::new();
        let allocation = out.stderr.lines().find(|l| l.contains("memory allocation of"));
        match (killed_by(out), allocation) {
            (Some("SIGXCPU"), _) => notes.push(format!(
                "it used up the sandbox's {} s of CPU time per process",
                self.cpu_seconds
            )),
            (Some("SIGXFSZ"), _) => notes.push(format!(
                "it wrote a file past the sandbox's limit of {} MiB",
                FILE_SIZE >> 20
            )),
            (Some("SIGABRT"), Some(line)) => notes.push(format!(
                "it ran out of the sandbox's {} GiB of memory per process ({})",
                ADDRESS_SPACE >> 30,
                line.trim()
            )),
            _ => {}
        }
        notes
    }

    /// For a run that timed out and is about to be killed: how many
    /// processes its sandbox holds, when that is more than the test's own.
    pub fn census(&mut self) -> Option<String> {
        let mut json = Vec::new();
        let _ = self.info.read_to_end(&mut json);
        let info: serde_json::Value = serde_json::from_slice(&json).ok()?;
        let init = info["child-pid"].as_i64()?;
        let ns = std::fs::read_link(format!("/proc/{init}/ns/pid")).ok()?;
        let members = std::fs::read_dir("/proc")
            .ok()?
            .flatten()
            .filter(|e| e.file_name().to_str().is_some_and(|n| n.parse::<u32>().is_ok()))
            .filter(|e| std::fs::read_link(e.path().join("ns/pid")).ok().as_ref() == Some(&ns))
            .count();
        // Its init, bwrap, is not the test's.
        let n = members.saturating_sub(1);
        (n > 1).then(|| {
            format!(
                "{n} of its processes were running when it was stopped; \
                 the sandbox allows {PROCESSES} tasks"
            )
        })
    }
}

/// A user namespace in which root and nobody are themselves, and no
/// further user namespace can be made: bwrap builds the sandbox in it as
/// root, and the test runs in it as nobody. Only root can write a map of
/// two lines, so the grader does it for a child, which waits to be killed.
fn user_namespace() -> Result<OwnedFd, String> {
    let err = |what: &'static str| move |e: nix::Error| format!("{what}: {e}");
    let (ready_r, ready_w) = pipe2(OFlag::O_CLOEXEC).map_err(err("pipe"))?;
    let (go_r, go_w) = pipe2(OFlag::O_CLOEXEC).map_err(err("pipe"))?;
    // SAFETY: the child makes only system calls, which are async-signal-safe,
    // until it is killed: it touches nothing the grader's threads hold.
    match unsafe { fork() }.map_err(err("fork"))? {
        ForkResult::Child => {
            let report = |ok: bool| write(&ready_w, if ok { b"+" } else { b"-" });
            let _ = report(unshare(CloneFlags::CLONE_NEWUSER).is_ok());
            let _ = read(&go_r, &mut [0u8]);
            let _ = report(forbid_user_namespaces());
            loop {
                nix::unistd::pause();
            }
        }
        ForkResult::Parent { child } => {
            // Should the child die, the reads below see the end of the pipe.
            drop((ready_w, go_r));
            let result = (|| {
                wait_for(&ready_r, "cannot create a user namespace")?;
                let map = format!("0 0 1\n{NOBODY} {NOBODY} 1\n");
                for file in ["uid_map", "gid_map"] {
                    std::fs::write(format!("/proc/{child}/{file}"), &map)
                        .map_err(|e| format!("writing the user namespace's {file}: {e}"))?;
                }
                write(&go_w, b"+").map_err(err("pipe"))?;
                wait_for(&ready_r, "cannot forbid nested user namespaces")?;
                open(format!("/proc/{child}/ns/user").as_str(), OFlag::O_RDONLY, Mode::empty())
                    .map_err(err("opening the user namespace"))
            })();
            // Not by closing pipes: another thread's helper, forked meanwhile,
            // may hold copies of their ends.
            let _ = kill(child, Signal::SIGKILL);
            let _ = waitpid(child, None);
            result
        }
    }
}

/// In the calling process's user namespace, and those it will make.
fn forbid_user_namespaces() -> bool {
    open(c"/proc/sys/user/max_user_namespaces", OFlag::O_WRONLY, Mode::empty())
        .and_then(|fd| write(&fd, b"0\n"))
        .is_ok()
}

fn wait_for(pipe: &OwnedFd, failure: &str) -> Result<(), String> {
    let mut byte = [0u8];
    match read(pipe, &mut byte) {
        Ok(1) if byte[0] == b'+' => Ok(()),
        _ => Err(failure.to_string()),
    }
}

/// What cargo needs when a test runs it (the typestate lab's trybuild):
/// the toolchains and the crates already downloaded, not the credentials.
fn toolchain() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let dir = |var: &str, default: &str| {
        std::env::var_os(var).map(PathBuf::from).or_else(|| home.as_ref().map(|h| h.join(default)))
    };
    let mut paths = Vec::new();
    if let Some(cargo) = dir("CARGO_HOME", ".cargo") {
        for entry in ["bin", "registry", "git", "config.toml", "config"] {
            paths.push(cargo.join(entry));
        }
    }
    if let Some(rustup) = dir("RUSTUP_HOME", ".rustup") {
        for entry in ["toolchains", "settings.toml", "update-hashes"] {
            paths.push(rustup.join(entry));
        }
    }
    paths
}

fn searchable_by_others(dir: &Path) -> bool {
    std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o001 != 0)
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(program)).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::time::Instant;

    /// The sandbox of this machine; these tests fail where there is none.
    fn sandbox() -> &'static Sandbox {
        static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
        SANDBOX.get_or_init(|| {
            Sandbox::new(&[&host_dirs()]).unwrap_or_else(|e| {
                panic!("{e} (cargo boot --check shows what is missing; bash .ci/setup installs it)")
            })
        })
    }

    fn sh_for(script: &str, timeout: Duration) -> Captured {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        limits::run_in(c, timeout, Some(sandbox())).unwrap()
    }

    fn sh(script: &str) -> Captured {
        sh_for(script, Duration::from_secs(30))
    }

    /// Where the tests make directories on the host, shown to the sandbox
    /// as the grading tree is.
    fn host_dirs() -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/sandbox-tests");
        std::fs::create_dir_all(&dir).unwrap();
        dir.canonicalize().unwrap()
    }

    /// A directory on the host that anyone may write to, so that only the
    /// sandbox's read-only mount can stop a write.
    fn open_dir(name: &str) -> PathBuf {
        let dir = host_dirs().join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("precious"), "keep me").unwrap();
        for p in [&dir, &dir.join("precious")] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        dir
    }

    #[test]
    fn the_files_outside_the_scratch_space_are_read_only() {
        let dir = open_dir("read-only");
        let d = dir.display();
        let out = sh(&format!(
            "echo new > {d}/new; rm {d}/precious; echo more >> {d}/precious; \
             touch /etc/sandbox-test /dev/shm/x; echo scratch > /tmp/file && cat /tmp/file"
        ));
        assert_eq!(out.stdout, "scratch\n");
        assert_eq!(out.stderr.matches("Read-only file system").count(), 5, "{}", out.stderr);
        let names: Vec<_> =
            std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(names, ["precious"]);
        assert_eq!(std::fs::read_to_string(dir.join("precious")).unwrap(), "keep me");
        assert!(!Path::new("/etc/sandbox-test").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// What a listing of `dir` inside the sandbox should show: only the
    /// first step of the way to each path bound back in (the grading tree
    /// may itself live under `/tmp` or `$HOME`).
    fn through(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = sandbox()
            .shown
            .iter()
            .filter_map(|p| p.strip_prefix(dir).ok()?.iter().next())
            .map(|c| c.to_string_lossy().into_owned())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    fn sorted_lines(text: &str) -> Vec<String> {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.sort();
        lines
    }

    #[test]
    fn home_and_run_are_hidden_and_the_scratch_space_is_new_each_time() {
        let home = PathBuf::from(std::env::var_os("HOME").unwrap());
        let out = sh("ls -A /run; echo --; ls -A \"$HOME\"; touch \"$HOME/x\"; echo --; \
                      ls -A /tmp; touch /tmp/left-behind");
        assert!(out.stderr.contains("Read-only file system"), "{}", out.stderr);
        let parts: Vec<&str> = out.stdout.split("--\n").collect();
        assert_eq!(parts.len(), 3, "{}", out.stdout);
        for (dir, listing) in [(Path::new("/run"), parts[0]), (&home, parts[1])] {
            assert_eq!(sorted_lines(listing), through(dir), "only the way in shows in {dir:?}");
        }
        let tmp = Path::new("/tmp");
        assert_eq!(sorted_lines(parts[2]), through(tmp), "/tmp starts empty");
        assert_eq!(sorted_lines(&sh("ls -A /tmp").stdout), through(tmp), "a new run, a new /tmp");
    }

    #[test]
    fn the_scratch_space_and_files_are_bounded() {
        let mib = |n: u64| format!("head -c {}M /dev/zero", n);
        let out = sh(&format!(
            "{} > /tmp/big; echo status $?; stat -c %s /tmp/big; rm /tmp/big; \
             {} > /tmp/a; {} > /tmp/b; {} > /tmp/c; echo status $?",
            mib((FILE_SIZE * 2) >> 20),
            mib(100),
            mib(100),
            mib(100)
        ));
        // 128 + SIGXFSZ (25): the writer was stopped at the file size limit.
        assert_eq!(out.stdout, format!("status 153\n{FILE_SIZE}\nstatus 1\n"));
        assert!(out.stderr.contains("No space left on device"), "{}", out.stderr);
    }

    #[test]
    fn memory_is_limited() {
        let out = sh("dd if=/dev/zero of=/dev/null bs=1G count=1 && \
                      dd if=/dev/zero of=/dev/null bs=3G count=1");
        assert_eq!(out.ended, Ended::Exited(1));
        assert!(out.stderr.contains("memory exhausted"), "{}", out.stderr);
        assert_eq!(out.stderr.matches("records in").count(), 1, "1 GiB fits: {}", out.stderr);
    }

    #[test]
    fn processes_are_limited() {
        // dash stops at the first fork that fails; the glob and echo are
        // built in, so the count needs no fork.
        let out = sh("(while :; do sleep 10 & done) 2>/dev/null; set -- /proc/[0-9]*; echo $#");
        let count: u64 = out.stdout.trim().parse().unwrap();
        assert!(
            (PROCESSES - 2..=PROCESSES + 1).contains(&count),
            "{count} processes against a limit of {PROCESSES}"
        );
    }

    #[test]
    fn every_limit_is_set() {
        let out = sh_for("cat /proc/self/limits", Duration::from_secs(10));
        let limit = |name: &str| {
            let line = out.stdout.lines().find(|l| l.starts_with(name)).unwrap();
            let fields: Vec<&str> = line[name.len()..].split_whitespace().collect();
            (fields[0].to_string(), fields[1].to_string())
        };
        let both = |n: u64| (n.to_string(), n.to_string());
        assert_eq!(limit("Max processes"), both(PROCESSES));
        assert_eq!(limit("Max address space"), both(ADDRESS_SPACE));
        assert_eq!(limit("Max file size"), both(FILE_SIZE));
        assert_eq!(limit("Max open files"), both(OPEN_FILES));
        assert_eq!(limit("Max core file size"), both(0));
        assert_eq!(limit("Max cpu time"), ("21".into(), "22".into()), "twice 10 s, and a second");
    }

    #[test]
    fn it_has_no_privileges() {
        let out = sh("id -u; grep -E '^(Cap|NoNewPrivs)' /proc/self/status; \
                      unshare --user true && echo made a user namespace");
        let uid = if geteuid().is_root() { NOBODY } else { geteuid().as_raw() };
        let mut lines = out.stdout.lines();
        assert_eq!(lines.next(), Some(uid.to_string().as_str()));
        for line in lines {
            assert!(line.ends_with(":\t0000000000000000") || line == "NoNewPrivs:\t1", "{line}");
        }
        assert!(!out.stdout.contains("made a user namespace"));
    }

    #[test]
    fn it_sees_only_its_own_processes() {
        let out = sh(&format!(
            "echo $$; set -- /proc/[0-9]*; echo $#; kill -0 {} && echo reached the grader",
            std::process::id()
        ));
        assert_eq!(out.stdout, "2\n2\n", "the shell and the sandbox's init: {}", out.stderr);
    }

    #[test]
    fn the_network_is_its_own_loopback() {
        let listener = TcpListener::bind("0.0.0.0:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let out = sh(&format!(
            "grep -v '^ *lo:' /proc/net/dev | grep ':' ; \
             bash -c 'echo > /dev/tcp/127.0.0.1/{port}' || \
             bash -c 'echo > /dev/tcp/192.0.2.1/{port}' || echo no connection"
        ));
        assert_eq!(out.stdout, "no connection\n", "{}", out.stderr);
        assert!(out.stderr.contains("Connection refused"), "{}", out.stderr);
        assert!(out.stderr.contains("Network is unreachable"), "{}", out.stderr);
        assert!(listener.accept().is_err(), "a connection reached the host");
    }

    #[test]
    fn a_timeout_kills_every_process_it_started() {
        let tag = format!("{}.{}", 3000 + std::process::id() % 1000, std::process::id());
        let start = Instant::now();
        let out = sh_for(
            &format!("setsid sleep {tag} & (sleep {tag} &); sleep {tag}"),
            Duration::from_secs(1),
        );
        assert_eq!(out.ended, Ended::TimedOut(Duration::from_secs(1)));
        assert!(start.elapsed() < Duration::from_secs(10));
        assert!(out.notes[0].starts_with("4 of its processes were running"), "{:?}", out.notes);
        let survivors: Vec<_> = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter(|e| {
                std::fs::read(e.path().join("cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&tag))
            })
            .collect();
        assert!(survivors.is_empty(), "{} processes survived", survivors.len());
    }

    /// A benchmark, not a check: what the sandbox adds to every test, from
    /// `true` run plainly and sandboxed, alternately. Run it with
    /// `cargo test -p grader --release sandbox_cost -- --ignored --nocapture`.
    #[test]
    #[ignore = "a benchmark: it prints figures"]
    fn sandbox_cost() {
        let time = |sandbox: Option<&Sandbox>| {
            let start = Instant::now();
            let out = limits::run_in(Command::new("true"), Duration::from_secs(30), sandbox);
            assert_eq!(out.unwrap().ended, Ended::Exited(0));
            start.elapsed().as_secs_f64() * 1000.0
        };
        let (mut plain, mut boxed): (Vec<f64>, Vec<f64>) =
            (0..31).map(|_| (time(None), time(Some(sandbox())))).unzip();
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (p, b) = (median(&mut plain), median(&mut boxed));
        println!("`true`, median of 31: {p:.1} ms plain, {b:.1} ms sandboxed (x{:.1})", b / p);
    }
}
