//! The sandbox against submissions that try to harm the machine grading
//! them (tests/escapes), graded as one class next to an honest student.
//! Then the machine is searched for what they would have done: marks
//! where nothing may be written, a file deleted from `$HOME` or the
//! grading tree, connections to a listener, processes left running. The
//! same search after grading the harmless ones with `--no-sandbox` finds
//! all of it, so it can fail.

mod support;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use std::net::{IpAddr, TcpListener, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use support::{piece, points, student};

const ALL: [&str; 5] = ["fork-bomb", "hoards", "deletes", "connects", "lingers"];
/// Those whose escape costs nothing (see tests/escapes/README.md).
const HARMLESS: [&str; 4] = ["hoards", "deletes", "connects", "lingers"];

/// One run on the fixtures: its class, `$HOME`, the directory where an
/// escape leaves its mark, a listener, and the tag in the environment of
/// every process it starts.
struct Scene {
    dir: PathBuf,
    home: PathBuf,
    marks: PathBuf,
    listener: TcpListener,
    address: IpAddr,
    tag: String,
}

/// The scenes share the grading tree, whose README one of them deletes.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

impl Scene {
    fn new(name: &str, students: &[&str]) -> Scene {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("sandbox-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for s in students {
            support::copy_dir(
                &support::repo().join("grader/tests/escapes").join(s),
                &dir.join("class").join(s),
            );
        }
        support::honest(&dir.join("class/honest"));
        let (home, marks) = (dir.join("home"), dir.join("marks"));
        for d in [&home, &marks] {
            std::fs::create_dir_all(d).unwrap();
            open_to_all(d, 0o777);
        }
        std::fs::write(home.join("precious"), "keep me").unwrap();
        open_to_all(&home.join("precious"), 0o666);
        let listener = TcpListener::bind("0.0.0.0:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let tag = format!("{name}-{}", std::process::id());
        Scene { dir, home, marks, listener, address: network_address(), tag }
    }

    fn grade(&self, args: &[&str]) -> (i32, Value, String) {
        let mut cmd = grader_with_home(&self.home);
        cmd.env("ESCAPE_DIR", &self.marks)
            .env("ESCAPE_PORT", self.listener.local_addr().unwrap().port().to_string())
            .env("ESCAPE_ADDR", self.address.to_string())
            .env("ESCAPE_RUN", &self.tag);
        let class = self.dir.join("class");
        let csv = self.dir.join("grades.csv");
        let mut all = vec!["--class", class.to_str().unwrap(), "--csv", csv.to_str().unwrap()];
        for piece in ["linux-fork-exec", "linux-threads", "linux-pstree"] {
            all.extend(["--piece", piece]);
        }
        all.extend(args);
        support::grade(cmd, &all)
    }

    fn marks(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.marks)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn connections(&self) -> usize {
        std::iter::from_fn(|| self.listener.accept().ok()).count()
    }

    /// Processes with this scene's tag in their environment: everything
    /// the grader started, the tests' processes included.
    fn survivors(&self) -> Vec<i32> {
        let needle = format!("ESCAPE_RUN={}\0", self.tag).into_bytes();
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| env.windows(needle.len()).any(|w| w == needle))
            })
            .collect()
    }
}

impl Drop for Scene {
    fn drop(&mut self) {
        for pid in self.survivors() {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The grader, with `home` for `$HOME` and this test's toolchain.
fn grader_with_home(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_grader"));
    let real = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
    let var_or = |var: &str, dir: &str| std::env::var_os(var).unwrap_or(real.join(dir).into());
    cmd.env("CARGO_HOME", var_or("CARGO_HOME", ".cargo"))
        .env("RUSTUP_HOME", var_or("RUSTUP_HOME", ".rustup"))
        .env("HOME", home);
    cmd
}

fn open_to_all(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// This machine's address on the network it would route to: a connection
/// to it leaves the loopback device. Finding it sends nothing.
fn network_address() -> IpAddr {
    let socket = UdpSocket::bind("0.0.0.0:0").unwrap();
    socket.connect("192.0.2.1:9").expect("this test needs a network interface besides loopback");
    let ip = socket.local_addr().unwrap().ip();
    assert!(!ip.is_loopback() && !ip.is_unspecified(), "no network address: {ip}");
    ip
}

/// Some test of `piece` failed with all of `words` in its detail.
fn failed_with(sub: &Value, name: &str, words: &[&str]) -> String {
    let items = piece(sub, name)["items"].as_array().unwrap();
    let details: Vec<&str> = items.iter().map(|i| i["detail"].as_str().unwrap()).collect();
    details
        .iter()
        .find(|d| words.iter().all(|w| d.contains(w)))
        .unwrap_or_else(|| {
            panic!("{} {name}: no failure says {words:?}:\n{details:#?}", sub["student"])
        })
        .to_string()
}

#[test]
fn escapes_are_stopped_and_named() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let scene = Scene::new("contained", &ALL);
    let (code, report, stderr) = scene.grade(&[]);
    assert_eq!(code, 1, "points lost, and no grader error:\n{stderr}");
    assert!(stderr.contains("sandbox: each test in its own namespaces"), "{stderr}");

    for sub in report["submissions"].as_array().unwrap() {
        assert!(sub["errors"].as_array().unwrap().is_empty(), "{}", sub["errors"]);
        for (p, got, max) in points(sub) {
            let honest = sub["student"] == "honest" && p == "linux-threads";
            assert_eq!(got, if honest { max } else { 0 }, "{} {p}", sub["student"]);
        }
    }
    let s = |name| student(&report, name);
    let bomb = failed_with(s("fork-bomb"), "linux-fork-exec", &["timed out", "processes were"]);
    let numbers: Vec<u64> = bomb.split(' ').filter_map(|w| w.parse().ok()).collect();
    let [running, allowed] = numbers[numbers.len() - 2..] else { unreachable!() };
    assert!(running > 10 && running <= allowed, "{bomb}");
    failed_with(s("hoards"), "linux-threads", &["SIGABRT", "memory allocation of", "2 GiB"]);
    failed_with(s("hoards"), "linux-threads", &["SIGXFSZ", "limit of 128 MiB"]);
    failed_with(s("deletes"), "linux-pstree", &["README.md: Read-only file system"]);
    failed_with(s("deletes"), "linux-pstree", &["precious: Read-only file system"]);
    failed_with(s("connects"), "linux-pstree", &["127.0.0.1", "Connection refused"]);
    failed_with(s("connects"), "linux-pstree", &["Network is unreachable"]);
    failed_with(s("lingers"), "linux-threads", &["left a process running"]);

    // The lingering process would mark its escape within a second or two.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(scene.marks(), Vec::<String>::new(), "escapes left their marks");
    assert_eq!(std::fs::read_to_string(scene.home.join("precious")).unwrap(), "keep me");
    assert!(support::repo().join("target/grade/tree/README.md").is_file());
    assert_eq!(scene.connections(), 0, "connections reached the listener");
    assert_eq!(scene.survivors(), Vec::<i32>::new(), "processes outlived the grader");
}

#[test]
fn without_the_sandbox_the_same_escapes_succeed() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let scene = Scene::new("uncontained", &HARMLESS);
    let (code, _, stderr) = scene.grade(&["--no-sandbox"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("sandbox: off (--no-sandbox)"), "{stderr}");

    // The lingering process marks its escape a second after it starts.
    let want = ["allocates", "deletes-home", "deletes-tree", "fills-disk", "lingers"];
    let deadline = Instant::now() + Duration::from_secs(20);
    while scene.marks().len() < want.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(scene.marks(), want);
    assert!(!scene.home.join("precious").exists());
    assert_eq!(scene.connections(), 2);
    assert!(!scene.survivors().is_empty(), "the lingering process should have survived");
}

/// The course is often cloned into `$HOME`, which the sandbox hides: the
/// grading tree and the toolchain must show through (typestate's tests run
/// cargo).
#[test]
fn honest_code_passes_with_the_course_in_home() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let student = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("sandbox-home-{}", std::process::id()))
        .join("honest");
    let _ = std::fs::remove_dir_all(&student);
    support::honest(&student);
    let src = student.join("exercises/typestate/src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::copy(support::repo().join("solutions/typestate/src/lib.rs"), src.join("lib.rs"))
        .unwrap();
    let cmd = grader_with_home(&support::repo());
    let path = student.to_str().unwrap();
    let args = ["--student", path, "--piece", "linux-threads", "--piece", "typestate"];
    let (code, _, stderr) = support::grade(cmd, &args);
    assert_eq!(code, 0, "full marks:\n{stderr}");
    std::fs::remove_dir_all(student.parent().unwrap()).unwrap();
}
