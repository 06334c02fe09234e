//! Builds the mini-kernel image and boots it in QEMU, capturing the serial
//! console. The grader, the tests and `cargo boot` all go through here.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod elf;
pub mod gdb;

/// The pieces a student can swap in with `student`.
pub const PIECES: [&str; 6] = ["fork", "exec", "wait", "switch", "cow", "clone"];

/// The codegen flags that make a host-target build bare metal: absolute
/// addresses (no PIE), our linker, and no red zone (interrupts push below rsp).
const KERNEL_RUSTFLAGS: &str =
    "-C relocation-model=static -C linker=rust-lld -C linker-flavor=ld.lld -C no-redzone=y";
const TARGET: &str = "x86_64-unknown-linux-gnu";

/// The repository this runner belongs to.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Pieces to take from `exercises/` instead of `solutions/`.
    pub student: Vec<String>,
    /// Where to build; `target/kernel` in the repository by default, or
    /// `target/kernel-gdb` for the gdb build.
    pub target_dir: Option<PathBuf>,
    /// The tree to build (a copy, when grading a student); this repository by default.
    pub root: Option<PathBuf>,
    /// Build for gdb: the `gdb` profile (kernel/os/Cargo.toml), which is
    /// `release` unoptimized, so gdb sees every argument and local variable.
    /// The user programs' symbols stay in the host-side copies ([`user_program`]).
    pub gdb: bool,
}

impl BuildOptions {
    fn root(&self) -> PathBuf {
        self.root.clone().unwrap_or_else(repo_root)
    }

    /// Where cargo builds, and where `cargo boot --gdb` writes its gdb script.
    pub fn target_dir(&self) -> PathBuf {
        let default = if self.gdb { "target/kernel-gdb" } else { "target/kernel" };
        self.target_dir.clone().unwrap_or_else(|| self.root().join(default))
    }

    fn profile(&self) -> &'static str {
        if self.gdb { "gdb" } else { "release" }
    }

    /// Where cargo puts the user programs and the kernel.
    fn out_dir(&self) -> PathBuf {
        self.target_dir().join(TARGET).join(self.profile())
    }
}

/// `cargo SUBCOMMAND` for the package or workspace of `manifest`, with the
/// kernel build's target, flags and target directory, and `INITRD` if given.
fn kernel_cargo(
    subcommand: &str,
    manifest: &Path,
    opts: &BuildOptions,
    initrd: Option<&Path>,
) -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.args([subcommand, "--profile", opts.profile(), "--quiet", "--target", TARGET])
        .arg("--manifest-path")
        .arg(manifest)
        .arg("--target-dir")
        .arg(opts.target_dir())
        .env("RUSTFLAGS", KERNEL_RUSTFLAGS)
        // When run from `cargo test`, don't inherit the outer build's settings.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_TARGET_DIR");
    if let Some(i) = initrd {
        c.env("INITRD", i);
    }
    c
}

/// Builds the user programs, packs them into the initramfs, and builds the
/// kernel around it. Returns the kernel ELF, ready for `qemu -kernel`.
pub fn build(opts: &BuildOptions) -> Result<PathBuf, String> {
    let initrd = build_initrd(opts)?;
    let features: Vec<String> = opts.student.iter().map(|p| format!("student-{p}")).collect();
    let features = features.join(",");
    let mut args = vec!["-p", "kernel"];
    if !features.is_empty() {
        args.extend(["--features", &features]);
    }
    kernel_build(opts, &args, Some(&initrd))?;
    Ok(opts.out_dir().join("kernel"))
}

fn kernel_build(opts: &BuildOptions, args: &[&str], initrd: Option<&Path>) -> Result<(), String> {
    let manifest = opts.root().join("kernel/os/Cargo.toml");
    let out = kernel_cargo("build", &manifest, opts, initrd)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "kernel build failed ({}):\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// Builds the user programs and packs them into the initramfs; returns its path.
fn build_initrd(opts: &BuildOptions) -> Result<PathBuf, String> {
    let programs = build_user_programs(opts)?;
    let mut files = initramfs_files(&programs)?;
    if opts.gdb {
        // The programs come first. The image gets them without their symbols:
        // gdb reads the full copies.
        for ((name, _), (_, data)) in programs.iter().zip(&mut files) {
            elf::strip(data).map_err(|e| format!("user program {name}: {e}"))?;
        }
    }
    let initrd = opts.target_dir().join("initrd.cpio");
    write_if_changed(&initrd, &initramfs::pack(&files))?;
    Ok(initrd)
}

/// Builds the user programs alone: static x86_64 Linux executables, one per
/// file in kernel/user/src/bin. Returns each program's name and path.
pub fn build_user_programs(opts: &BuildOptions) -> Result<Vec<(String, PathBuf)>, String> {
    kernel_build(opts, &["-p", "user"], None)?;
    Ok(user_programs(&opts.root())?
        .into_iter()
        .map(|n| (n.clone(), user_program(opts, &n)))
        .collect())
}

/// A user program as built, before it goes into the initramfs: in the gdb
/// build, with its symbols, for gdb's `add-symbol-file`.
pub fn user_program(opts: &BuildOptions, name: &str) -> PathBuf {
    opts.out_dir().join(name)
}

/// What the initramfs holds, path (without the leading '/') and contents:
/// `init`, every other program under `bin/`, and two files that are not
/// programs, for exec's error paths. Plain text, not `#!`: Linux would take
/// that for a script and look for its interpreter.
pub fn initramfs_files(programs: &[(String, PathBuf)]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut files = Vec::new();
    for (name, path) in programs {
        let data = std::fs::read(path).map_err(|e| format!("user program {name}: {e}"))?;
        let path = if name == "init" { name.clone() } else { format!("bin/{name}") };
        files.push((path, data));
    }
    let echo = files.iter().find(|f| f.0 == "bin/echo").map(|f| f.1.clone()).unwrap_or_default();
    files.push(("bin/garbage".into(), b"this is not an ELF file\n".to_vec()));
    files.push(("bin/truncated".into(), echo[..echo.len().min(100)].to_vec()));
    Ok(files)
}

/// Runs clippy over the kernel, the user programs and `api`'s bare-metal
/// half, compiled as the kernel build compiles them (target, flags and
/// initramfs). `args` go to clippy, e.g. `-D warnings`.
pub fn clippy(opts: &BuildOptions, args: &[String]) -> Result<(), String> {
    let initrd = build_initrd(opts)?;
    let root = opts.root();
    let runs = [
        (root.join("kernel/os/Cargo.toml"), ["--workspace", "--bins", "--lib"].as_slice()),
        (root.join("kernel/api/Cargo.toml"), ["--lib", "--features", "baremetal"].as_slice()),
    ];
    for (manifest, scope) in runs {
        let status = kernel_cargo("clippy", &manifest, opts, Some(&initrd))
            .args(scope)
            .arg("--")
            .args(args)
            .status()
            .map_err(|e| format!("cannot run cargo clippy: {e}"))?;
        if !status.success() {
            return Err(format!("clippy failed on {}", manifest.display()));
        }
    }
    Ok(())
}

/// The kernel's build script reruns when the initramfs's mtime changes, so
/// rewriting identical bytes would relink the kernel on every build.
fn write_if_changed(path: &Path, data: &[u8]) -> Result<(), String> {
    if std::fs::read(path).is_ok_and(|old| old == data) {
        return Ok(());
    }
    std::fs::write(path, data).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// The names of the user programs: one per file in kernel/user/src/bin.
fn user_programs(root: &Path) -> Result<Vec<String>, String> {
    let dir = root.join("kernel/user/src/bin");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".rs").map(String::from))
        .collect();
    names.sort();
    Ok(names)
}

#[derive(Debug, Clone)]
pub struct BootOptions {
    /// The kernel command line: options, then `--` and the command init runs.
    pub cmdline: String,
    pub timeout: Duration,
    /// Serial output past this many bytes is dropped and QEMU stopped.
    pub max_output: usize,
    pub memory_mib: u32,
    /// Count instructions instead of reading the host's clock ([`ICOUNT`]):
    /// the same kernel, image and command line then print the same bytes.
    pub deterministic: bool,
    /// Typed on the console once the kernel has printed its first line
    /// (bytes that arrive earlier are lost when it resets the UART).
    pub input: Vec<u8>,
}

impl Default for BootOptions {
    fn default() -> Self {
        BootOptions {
            cmdline: String::new(),
            timeout: Duration::from_secs(30).mul_f64(timeout_scale()),
            max_output: 1 << 20,
            memory_mib: 256,
            deterministic: true,
            input: Vec::new(),
        }
    }
}

impl BootOptions {
    /// Boot options that run `command` as init's child, e.g. `"echo hi"`.
    pub fn command(command: &str) -> BootOptions {
        BootOptions { cmdline: format!("-- {command}"), ..Default::default() }
    }
}

/// `QEMU_TIMEOUT_SCALE` stretches every timeout, for slow machines.
pub fn timeout_scale() -> f64 {
    std::env::var("QEMU_TIMEOUT_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&s: &f64| s > 0.0)
        .unwrap_or(1.0)
}

/// How a boot ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The kernel powered off through the exit device with this code: init's
    /// command's exit status (0..=125), or 126 if a signal killed it.
    Exited(u8),
    /// The kernel panicked (it printed why).
    Panicked,
    /// QEMU stopped without the exit device: a triple fault (we pass
    /// `-no-reboot`) or a reset.
    Reset,
    /// Still running at the timeout; QEMU was killed.
    TimedOut,
    /// The serial output passed `max_output`; QEMU was killed.
    OutputFlood,
    /// QEMU itself failed (bad arguments, missing file); its stderr follows.
    QemuFailed(i32),
}

pub const PANIC_CODE: u8 = 0x7f;

#[derive(Debug, Clone)]
pub struct Run {
    pub outcome: Outcome,
    /// Everything the kernel printed, with `\r\n` turned into `\n`.
    pub serial: String,
    /// When each line of `serial` arrived, from QEMU's start.
    pub line_times: Vec<Duration>,
    pub elapsed: Duration,
    pub qemu_stderr: String,
}

impl Run {
    /// When the first line containing `needle` arrived.
    pub fn time_of(&self, needle: &str) -> Option<Duration> {
        self.serial.lines().zip(&self.line_times).find(|(l, _)| l.contains(needle)).map(|(_, t)| *t)
    }
}

pub fn qemu_binary() -> &'static str {
    "qemu-system-x86_64"
}

// ANCHOR: icount
/// The guest's clock becomes its instruction count, so a run no longer
/// depends on how fast or busy the host is. `shift=5`: every instruction
/// takes 2^5 = 32 ns of virtual time, a 31 MIPS machine, so a 10 ms timer
/// tick comes every 312,500 instructions, at the same points on every run
/// (the time-stamp counter, which follows the same clock, too). TCG runs
/// guest code faster than that here, so virtual time still passes faster
/// than the host's and wall-clock timeouts keep their margin; a smaller
/// shift makes the programs that spin on the time-stamp counter (preempt)
/// several times slower. `sleep=off`: when the CPU halts in idle, virtual
/// time jumps to the next timer deadline at once instead of waiting for the
/// host's clock, which is what makes idle periods (and sleeps) repeatable,
/// and free. `align` stays off: it only slows the guest down to keep the
/// two clocks together, which buys no determinism.
pub const ICOUNT: [&str; 2] = ["-icount", "shift=5,sleep=off"];
// ANCHOR_END: icount

/// The QEMU arguments every boot uses.
pub fn qemu_args(kernel: &Path, cmdline: &str, memory_mib: u32) -> Vec<String> {
    let mut a: Vec<String> = ["-kernel"].iter().map(|s| s.to_string()).collect();
    a.push(kernel.display().to_string());
    a.extend(["-append".into(), cmdline.into(), "-m".into(), format!("{memory_mib}M")]);
    a.extend(
        [
            "-no-reboot",
            "-display",
            "none",
            "-device",
            "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-cpu",
            "qemu64,+nx",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    a
}

/// Boots `kernel` with its serial console captured.
pub fn boot(kernel: &Path, opts: &BootOptions) -> Result<Run, String> {
    let start = Instant::now();
    let mut child = Command::new(qemu_binary())
        .args(qemu_args(kernel, &opts.cmdline, opts.memory_mib))
        .args(if opts.deterministic { &ICOUNT[..] } else { &[] })
        .args(["-serial", "stdio", "-monitor", "none"])
        .stdin(if opts.input.is_empty() { Stdio::null() } else { Stdio::piped() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("cannot start {}: {e} (install the qemu-system-x86 package)", qemu_binary())
        })?;
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        let mut line = Vec::new();
        while let Ok(n) = r.read_until(b'\n', &mut line) {
            if n == 0 || tx.send((start.elapsed(), std::mem::take(&mut line))).is_err() {
                break;
            }
        }
    });
    let mut stderr = child.stderr.take().unwrap();
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.by_ref().take(64 * 1024).read_to_string(&mut s);
        s
    });

    let mut stdin = child.stdin.take();
    let mut serial = String::new();
    let mut line_times = Vec::new();
    let mut killed = None;
    loop {
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok((t, bytes)) => {
                if let Some(mut stdin) = stdin.take() {
                    let input = opts.input.clone();
                    std::thread::spawn(move || stdin.write_all(&input));
                }
                if serial.len() + bytes.len() > opts.max_output {
                    killed = Some(Outcome::OutputFlood);
                } else {
                    serial.push_str(&String::from_utf8_lossy(&bytes).replace('\r', ""));
                    line_times.push(t);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if killed.is_none() && start.elapsed() > opts.timeout {
            killed = Some(Outcome::TimedOut);
        }
        if killed.is_some() {
            let _ = child.kill();
            break;
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let elapsed = start.elapsed();
    let qemu_stderr = err_thread.join().unwrap_or_default();
    let outcome = killed.unwrap_or_else(|| decode_exit(status.code().unwrap_or(-1)));
    Ok(Run { outcome, serial, line_times, elapsed, qemu_stderr })
}

/// The serial output from init's first line on: what the scenario snapshots
/// hold. Under [`ICOUNT`] every value in it, ps's START and TIME included,
/// is the same on every boot of the same kernel, so nothing is masked.
pub fn transcript(run: &Run) -> String {
    let from = run.serial.find("init: started").unwrap_or(0);
    run.serial[from..].lines().flat_map(|l| [l, "\n"]).collect()
}

/// `text` with the times in every ps row masked. A different kernel (a
/// student's piece, copy-on-write instead of an eager copy) runs other
/// instructions, so its times legitimately differ: the grader compares such
/// transcripts masked, on both sides, and so does the book's test.
pub fn mask_times(text: &str) -> String {
    text.lines().map(|line| mask_ps_times(line) + "\n").collect()
}

/// A boot as the book shows it: the command that makes it, then everything
/// the kernel printed, times and all (the book's test masks them).
pub fn session(command: &str, run: &Run) -> String {
    format!("$ {command}\n{}", run.serial)
}

/// In a ps row ("    2     1 S      0.04   0.01 family"), START and TIME
/// depend on how many instructions the kernel ran, so each `S.CC` field
/// becomes `?.??`, right aligned in the same width: the columns stay where
/// ps put them.
fn mask_ps_times(line: &str) -> String {
    let is_ps_row = line.split_whitespace().next().is_some_and(|w| w.parse::<i32>().is_ok());
    if !is_ps_row {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
        let end = rest[start..].find(char::is_whitespace).map_or(rest.len(), |e| start + e);
        let word = &rest[start..end];
        out.push_str(&rest[..start]);
        let seconds = word.split_once('.').is_some_and(|(s, cs)| {
            !s.is_empty()
                && cs.len() == 2
                && (s.to_owned() + cs).bytes().all(|b| b.is_ascii_digit())
        });
        if seconds {
            out.push_str(&format!("{:>w$}", "?.??", w = word.len()));
        } else {
            out.push_str(word);
        }
        rest = &rest[end..];
    }
    out + rest
}

/// The body of an insta snapshot file: what follows its `---` header.
/// The grader compares transcripts with the scenario snapshots through this.
pub fn snapshot_body(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some(&rest[end + 5..])
}

/// isa-debug-exit makes QEMU exit with `(code << 1) | 1`; anything even is
/// QEMU's own doing: 0 for a reset or triple fault, others for errors.
pub fn decode_exit(status: i32) -> Outcome {
    match status {
        0 => Outcome::Reset,
        s if s > 0 && s & 1 == 1 && (s >> 1) as u8 == PANIC_CODE => Outcome::Panicked,
        s if s > 0 && s & 1 == 1 => Outcome::Exited((s >> 1) as u8),
        s => Outcome::QemuFailed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_decode() {
        assert_eq!(decode_exit(1), Outcome::Exited(0));
        assert_eq!(decode_exit(3), Outcome::Exited(1));
        assert_eq!(decode_exit(255), Outcome::Panicked);
        assert_eq!(decode_exit(253), Outcome::Exited(126));
        assert_eq!(decode_exit(0), Outcome::Reset);
        assert_eq!(decode_exit(2), Outcome::QemuFailed(2));
    }

    #[test]
    fn transcript_starts_at_init_and_keeps_ps_times() {
        let serial = "kernel: 245 MiB free\ninit: started as pid 1\n\
                      \x20 PID  PPID STAT  START   TIME CMD\n\
                      \x20   2     1 S      0.04  12.01 family\nok 1.25"
            .to_string();
        let run = Run {
            outcome: Outcome::Exited(0),
            serial,
            line_times: vec![],
            elapsed: Duration::ZERO,
            qemu_stderr: String::new(),
        };
        let t = transcript(&run);
        assert_eq!(
            t,
            "init: started as pid 1\n  PID  PPID STAT  START   TIME CMD\n\
             \x20   2     1 S      0.04  12.01 family\nok 1.25\n"
        );
        assert_eq!(
            mask_times(&t),
            "init: started as pid 1\n  PID  PPID STAT  START   TIME CMD\n\
             \x20   2     1 S      ?.??   ?.?? family\nok 1.25\n"
        );
    }
}
