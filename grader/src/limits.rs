//! Running untrusted programs with a time limit and an output cap, in the
//! sandbox when there is one. Each runs in its own process group, so
//! children it forks are killed with it (in the sandbox, every process of
//! the test is: its PID namespace dies with its init).

use crate::sandbox::Sandbox;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::collections::VecDeque;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Output kept from the start and from the end (where libtest's summary is).
const KEEP_HEAD: usize = 32 * 1024;
const KEEP_TAIL: usize = 32 * 1024;
/// More output than this is a flood: the process is killed.
pub const FLOOD_BYTES: usize = 16 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    Exited(i32),
    Signaled(String),
    TimedOut(Duration),
    Flooded,
}

#[derive(Debug, Clone)]
pub struct Captured {
    pub ended: Ended,
    /// Each stream with its middle cut out past 64 KiB. They are kept apart
    /// because libtest reports on stdout while tools that tests run (cargo,
    /// under trybuild) write to stderr, which would split its lines.
    pub stdout: String,
    pub stderr: String,
    /// What the sandbox saw: the limits the program reached.
    pub notes: Vec<String>,
}

impl Captured {
    /// A failure's detail, followed by the sandbox's notes.
    pub fn with_notes(&self, detail: String) -> String {
        self.notes.iter().fold(detail, |d, note| format!("{d}\n(sandbox: {note})"))
    }
}

#[derive(Default)]
struct Capture {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: usize,
}

impl Capture {
    fn push(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len();
        let room = KEEP_HEAD.saturating_sub(self.head.len()).min(bytes.len());
        self.head.extend_from_slice(&bytes[..room]);
        bytes = &bytes[room..];
        if bytes.len() >= KEEP_TAIL {
            bytes = &bytes[bytes.len() - KEEP_TAIL..];
            self.tail.clear();
        }
        self.tail.extend(bytes);
        let excess = self.tail.len().saturating_sub(KEEP_TAIL);
        self.tail.drain(..excess);
    }

    fn text(&self) -> String {
        let mut s = String::from_utf8_lossy(&self.head).into_owned();
        let cut = self.total - self.head.len() - self.tail.len();
        if cut > 0 {
            s.push_str(&format!("\n[... {cut} bytes of output dropped ...]\n"));
        }
        s.push_str(&String::from_utf8_lossy(&self.tail.iter().copied().collect::<Vec<u8>>()));
        s
    }
}

/// Runs `cmd` with stdout and stderr captured, in the sandbox chosen for
/// this grader run, killing it and everything it started at `timeout` or
/// when it prints more than [`FLOOD_BYTES`].
pub fn run(cmd: Command, timeout: Duration) -> Result<Captured, String> {
    run_in(cmd, timeout, crate::sandbox::current())
}

/// [`run`], in `sandbox`, or in none.
pub fn run_in(
    cmd: Command,
    timeout: Duration,
    sandbox: Option<&Sandbox>,
) -> Result<Captured, String> {
    let (mut cmd, mut jail) = match sandbox {
        Some(s) => s.wrap(&cmd, timeout).map(|(c, j)| (c, Some(j)))?,
        None => (cmd, None),
    };
    let (out_r, out_w) = std::io::pipe().map_err(|e| e.to_string())?;
    let (err_r, err_w) = std::io::pipe().map_err(|e| e.to_string())?;
    cmd.stdin(Stdio::null()).stdout(out_w).stderr(err_w).process_group(0);
    let mut child = cmd.spawn().map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    // The Command holds the pipes' write ends: drop them, or the readers never see EOF.
    drop(cmd);
    let group = Pid::from_raw(child.id() as i32);
    let total = Arc::new(AtomicUsize::new(0));
    let readers = [drain(out_r, total.clone()), drain(err_r, total.clone())];
    let start = Instant::now();
    let ended = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break match (status.code(), status.signal()) {
                // bwrap exits with 128 + the number of the signal that
                // killed the program it ran (a program that exits so itself
                // fails all the same).
                (Some(code @ 129..=192), _) if jail.is_some() => {
                    Ended::Signaled(signal(code - 128))
                }
                (Some(code), _) => Ended::Exited(code),
                (None, Some(sig)) => Ended::Signaled(signal(sig)),
                _ => Ended::Exited(-1),
            };
        }
        if total.load(Ordering::Relaxed) > FLOOD_BYTES {
            break Ended::Flooded;
        }
        if start.elapsed() > timeout {
            break Ended::TimedOut(timeout);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let notes = match (&ended, jail.as_mut()) {
        (Ended::TimedOut(_), Some(jail)) => jail.census().into_iter().collect(),
        _ => Vec::new(),
    };
    // Whatever the test forked must not outlive it (or keep the pipes open).
    let _ = killpg(group, Signal::SIGKILL);
    let _ = child.wait();
    let [stdout, stderr] = readers.map(|(thread, capture)| {
        wait_briefly(&thread);
        capture.lock().unwrap().text()
    });
    let ended = if total.load(Ordering::Relaxed) > FLOOD_BYTES { Ended::Flooded } else { ended };
    let mut out = Captured { ended, stdout, stderr, notes };
    if let Some(jail) = &jail {
        out.notes.extend(jail.notes(&out));
    }
    Ok(out)
}

fn signal(number: i32) -> String {
    Signal::try_from(number).map_or(format!("signal {number}"), |s| s.as_str().to_string())
}

type Reader = (std::thread::JoinHandle<()>, Arc<Mutex<Capture>>);

/// Reads a pipe to its end on a thread of its own, counting every byte in `total`.
fn drain(mut pipe: std::io::PipeReader, total: Arc<AtomicUsize>) -> Reader {
    let capture = Arc::new(Mutex::new(Capture::default()));
    let c = capture.clone();
    let thread = std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n @ 1..) = pipe.read(&mut buf) {
            c.lock().unwrap().push(&buf[..n]);
            total.fetch_add(n, Ordering::Relaxed);
        }
    });
    (thread, capture)
}

/// A duration in seconds for people: "5", "7.5".
pub fn seconds(d: Duration) -> String {
    let s = format!("{:.1}", d.as_secs_f64());
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// A process that left its group (setsid) may still hold the pipe open:
/// take what arrived so far instead of waiting for it.
fn wait_briefly(t: &std::thread::JoinHandle<()>) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while !t.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: u64) -> Captured {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        run(c, Duration::from_secs(timeout)).unwrap()
    }

    #[test]
    fn captures_both_streams_and_the_exit_code() {
        let c = sh("echo out; echo err >&2; exit 3", 10);
        assert_eq!(c.ended, Ended::Exited(3));
        assert_eq!((c.stdout.as_str(), c.stderr.as_str()), ("out\n", "err\n"));
    }

    #[test]
    fn a_hang_is_killed_with_its_children() {
        let start = Instant::now();
        let c = sh("sleep 100 & sleep 100", 1);
        assert_eq!(c.ended, Ended::TimedOut(Duration::from_secs(1)));
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the background sleep kept the pipe open"
        );
    }

    #[test]
    fn a_flood_is_cut_off_and_the_end_is_kept() {
        let c = sh("yes flood | head -c 30000000; echo the-end", 30);
        assert_eq!(c.ended, Ended::Flooded);
        assert!(c.stdout.len() <= KEEP_HEAD + KEEP_TAIL + 100);
        let c = sh("yes line | head -c 200000 >&2; echo the-end >&2", 30);
        assert_eq!(c.ended, Ended::Exited(0));
        assert!(
            c.stderr.ends_with("the-end\n") && c.stderr.contains("bytes of output dropped"),
            "{}",
            c.stderr
        );
    }

    #[test]
    fn a_crash_names_its_signal() {
        assert_eq!(sh("kill -SEGV $$", 10).ended, Ended::Signaled("SIGSEGV".into()));
    }
}
