//! Kernel scenarios: boot a kernel built with the submission's piece (and the
//! reference for the others) and judge what the serial console shows.

use crate::rubric::Scenario;
use crate::tree::Tree;
use runner::{BootOptions, Outcome, Run};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Seconds a boot may take before scaling; a clean boot takes one or two.
pub const BOOT_TIMEOUT: u64 = runner::SCENARIO_TIMEOUT_SECS;
/// A scenario's transcript is a few KiB. Every byte out of the serial port
/// costs QEMU two port accesses and a write to its pipe (more under
/// -icount): on a host ten times oversubscribed 256 KiB took longer than a
/// boot's timeout, so a flood is cut off at 64 KiB, sixteen times the room
/// any scenario needs.
const MAX_SERIAL: usize = 64 << 10;
const SERIAL_HEAD: usize = 4;
const SERIAL_TAIL: usize = 10;

/// Where the scenario snapshots live, relative to the repository.
pub const SNAPSHOTS: &str = "kernel/runner/tests/snapshots";

/// A fresh random nonce: a pass line printed by anything but the kernel's
/// own power-off path cannot know it.
pub fn nonce() -> String {
    let mut bytes = [0u8; 8];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("/dev/urandom");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Builds the kernel with `student` pieces from the grading tree's
/// exercises, and keeps a copy of the image (the next build overwrites it).
pub fn build_kernel(tree: &Tree, student: &[String], copy_as: &str) -> Result<PathBuf, String> {
    let opts = runner::BuildOptions {
        student: student.to_vec(),
        target_dir: Some(tree.kernel_target.clone()),
        root: Some(tree.root.clone()),
        ..Default::default()
    };
    let elf = runner::build(&opts)?;
    let keep = tree.kernel_target.join("images").join(copy_as);
    std::fs::create_dir_all(keep.parent().unwrap()).map_err(|e| e.to_string())?;
    for (from, to) in
        [(elf.clone(), keep.clone()), (runner::initramfs_of(&elf), runner::initramfs_of(&keep))]
    {
        std::fs::copy(&from, &to).map_err(|e| format!("{}: {e}", to.display()))?;
    }
    Ok(keep)
}

/// A snapshot's expected transcript, from the pristine repository as it was
/// when grading started.
fn read_snapshot(tree: &Tree, stem: &str) -> Result<String, String> {
    let path = Path::new(SNAPSHOTS).join(format!("{stem}.snap"));
    let bytes = tree.pristine_file(&path).ok_or_else(|| format!("{}: missing", path.display()))?;
    runner::snapshot_body(&String::from_utf8_lossy(bytes))
        .map(str::to_string)
        .ok_or_else(|| format!("{}: not an insta snapshot", path.display()))
}

/// Boots `kernel`, built with the student's `piece`, for one scenario and
/// judges it. An Err from the outer result is the grader's own trouble
/// (QEMU missing, a snapshot missing).
pub fn boot(
    kernel: &Path,
    piece: &str,
    s: &Scenario,
    tree: &Tree,
    scale: f64,
) -> Result<Result<(), String>, String> {
    let snapshot = s.snapshot.as_deref().map(|stem| read_snapshot(tree, stem)).transpose()?;
    let nonce = nonce();
    let cmdline = format!("{} nonce={nonce} -- {}", s.options, s.command).trim_start().to_string();
    let timeout = Duration::from_secs(BOOT_TIMEOUT).mul_f64(scale);
    let opts = BootOptions {
        cmdline,
        timeout,
        max_output: MAX_SERIAL,
        memory_mib: s.memory_mib.unwrap_or(256),
        // Reproducible verdicts: a rerun of the same submission boots the same way.
        deterministic: true,
        input: Vec::new(),
        trace: !s.trace.is_empty(),
    };
    let run = runner::boot(kernel, &opts)?;
    Ok(judge(&run, &nonce, snapshot.as_deref(), &s.expect, timeout)
        .and_then(|()| judge_trace(&run, &nonce, piece, s)))
}

/// A boot whose transcript passed must also have the properties the
/// scenario names over its event trace, which the kernel marked with this
/// boot's nonce.
pub fn judge_trace(run: &Run, nonce: &str, piece: &str, s: &Scenario) -> Result<(), String> {
    if s.trace.is_empty() {
        return Ok(());
    }
    let see = format!(
        "To see what your kernel did: cargo boot --trace --student {piece}{} -- {}",
        if s.options.contains("cow=on") { " --cow" } else { "" },
        s.command
    );
    let trace = runner::trace::parse(&run.trace, nonce)
        .map_err(|e| format!("the kernel's event trace is unreadable: {e}\n{see}"))?;
    for property in &s.trace {
        if let Err(why) = property.check(&trace) {
            return Err(format!(
                "the transcript is right, but the kernel's event trace breaks a property: {property}.\n{why}\n{see}"
            ));
        }
    }
    Ok(())
}

/// A boot passes when the kernel powered off with status 0 through its own
/// exit path (the line carries this boot's nonce), and its transcript
/// matches the snapshot and holds the expected lines in order.
pub fn judge(
    run: &Run,
    nonce: &str,
    snapshot: Option<&str>,
    expect: &[String],
    timeout: Duration,
) -> Result<(), String> {
    if run.outcome != Outcome::Exited(0) {
        return Err(format!("{}\n{}", describe(run, timeout), excerpt(&run.serial)));
    }
    let pass_line = format!("kernel: power off, status 0 [{nonce}]");
    if !run.serial.lines().any(|l| l == pass_line) {
        return Err(format!(
            "QEMU exited with status 0, but the kernel never printed its power-off line with this boot's nonce: something else stopped the machine\n{}",
            excerpt(&run.serial)
        ));
    }
    if let Some(expected) = snapshot {
        // The snapshots were recorded without a nonce, with the reference
        // pieces: a student's piece runs other instructions, so its CPU times
        // may differ from theirs. Both sides are compared with TIME masked.
        let masked =
            Run { serial: run.serial.replace(&format!(" [{nonce}]"), " []"), ..run.clone() };
        let expected = runner::mask_times(expected);
        let got = runner::mask_times(&runner::transcript(&masked));
        if let Some(d) = crate::diff::lines(expected.trim_end(), got.trim_end()) {
            return Err(format!("the transcript differs from the snapshot:\n{d}"));
        }
    }
    let mut lines = run.serial.lines();
    for needle in expect {
        if !lines.any(|l| l.contains(needle.as_str())) {
            return Err(format!(
                "expected a line containing {needle:?} (after the ones before it in the rubric)\n{}",
                excerpt(&run.serial)
            ));
        }
    }
    Ok(())
}

/// The outcome of a failed boot, in words.
pub fn describe(run: &Run, timeout: Duration) -> String {
    match run.outcome {
        Outcome::Exited(126) => {
            "init's command was killed by a signal (status 126), expected status 0".into()
        }
        Outcome::Exited(code) => format!("init's command exited with status {code}, expected 0"),
        Outcome::Panicked => {
            let why = run
                .serial
                .lines()
                .find_map(|l| l.split_once("kernel panic: "))
                .map_or("(no message)", |(_, why)| why);
            format!("the kernel panicked: {why}")
        }
        Outcome::Reset => {
            "triple fault: the CPU reset (QEMU stopped without the kernel's exit device)".into()
        }
        Outcome::TimedOut => format!(
            "timed out after {} s: the kernel hung, QEMU was killed",
            crate::limits::seconds(timeout)
        ),
        Outcome::OutputFlood => format!(
            "output flood: more than {} KiB on the serial console, QEMU was killed",
            MAX_SERIAL >> 10
        ),
        Outcome::QemuFailed(code) => {
            format!("QEMU itself failed (status {code}): {}", run.qemu_stderr.trim())
        }
    }
}

/// The first and last lines the kernel printed, each cut to a sane width.
fn excerpt(serial: &str) -> String {
    let lines: Vec<String> = serial.lines().map(|l| l.chars().take(160).collect()).collect();
    if lines.is_empty() {
        return "(the kernel printed nothing)".into();
    }
    let mut out = vec!["serial output:".to_string()];
    if lines.len() <= SERIAL_HEAD + SERIAL_TAIL {
        out.extend(lines.iter().map(|l| format!("  {l}")));
    } else {
        out.extend(lines[..SERIAL_HEAD].iter().map(|l| format!("  {l}")));
        out.push(format!("  [... {} lines ...]", lines.len() - SERIAL_HEAD - SERIAL_TAIL));
        out.extend(lines[lines.len() - SERIAL_TAIL..].iter().map(|l| format!("  {l}")));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(outcome: Outcome, serial: &str) -> Run {
        Run {
            outcome,
            serial: serial.into(),
            line_times: vec![],
            elapsed: Duration::from_secs(3),
            qemu_stderr: String::new(),
            trace: String::new(),
        }
    }

    const T: Duration = Duration::from_millis(7500);
    const GOOD: &str =
        "kernel: hi\ninit: started as pid 1\nhello\nkernel: power off, status 0 [abc]\n";

    #[test]
    fn the_nonce_decides_the_pass_line() {
        assert!(judge(&run(Outcome::Exited(0), GOOD), "abc", None, &[], T).is_ok());
        let forged = judge(&run(Outcome::Exited(0), GOOD), "0123", None, &[], T).unwrap_err();
        assert!(forged.contains("never printed its power-off line"), "{forged}");
        assert!(judge(&run(Outcome::Exited(1), GOOD), "abc", None, &[], T).is_err());
    }

    #[test]
    fn snapshots_compare_without_the_nonce() {
        let snap = "init: started as pid 1\nhello\nkernel: power off, status 0 []\n";
        assert!(judge(&run(Outcome::Exited(0), GOOD), "abc", Some(snap), &[], T).is_ok());
        let wrong = snap.replace("hello", "goodbye");
        let e = judge(&run(Outcome::Exited(0), GOOD), "abc", Some(&wrong), &[], T).unwrap_err();
        assert!(e.contains("-goodbye\n+hello"), "{e}");
    }

    #[test]
    fn cpu_times_do_not_decide_but_the_rest_of_a_ps_row_does() {
        let snap = "init: started as pid 1\n    2     1 S     0.03 family\nkernel: power off, status 0 []\n";
        let serial = |row: &str| {
            format!("init: started as pid 1\n{row}\nkernel: power off, status 0 [abc]\n")
        };
        let ok = run(Outcome::Exited(0), &serial("    2     1 S     0.01 family"));
        assert!(judge(&ok, "abc", Some(snap), &[], T).is_ok());
        let zombie = run(Outcome::Exited(0), &serial("    2     1 Z     0.03 family"));
        assert!(judge(&zombie, "abc", Some(snap), &[], T).is_err());
    }

    #[test]
    fn expected_lines_must_come_in_order() {
        let expect = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(
            judge(&run(Outcome::Exited(0), GOOD), "abc", None, &expect(&["init", "hello"]), T)
                .is_ok()
        );
        assert!(
            judge(&run(Outcome::Exited(0), GOOD), "abc", None, &expect(&["hello", "init"]), T)
                .is_err()
        );
    }

    #[test]
    fn failures_are_named() {
        assert!(describe(&run(Outcome::Reset, ""), T).starts_with("triple fault"));
        assert!(describe(&run(Outcome::TimedOut, ""), T).starts_with("timed out after 7.5 s"));
        assert!(describe(&run(Outcome::OutputFlood, ""), T).starts_with("output flood"));
        assert_eq!(
            describe(&run(Outcome::Panicked, "x\nkernel panic: panicked at a.rs:1: oops\n"), T),
            "the kernel panicked: panicked at a.rs:1: oops"
        );
    }

    #[test]
    fn snapshot_files_parse_and_exist_for_every_rubric_scenario() {
        assert_eq!(runner::snapshot_body("---\nsource: x\n---\nbody\n"), Some("body\n"));
        assert_eq!(runner::snapshot_body("no header"), None);
        let root = runner::repo_root();
        let tree = Tree::load(&root).unwrap();
        for r in crate::rubric::discover(&root).unwrap() {
            for s in r.scenarios.iter().filter_map(|s| s.snapshot.as_deref()) {
                assert!(read_snapshot(&tree, s).unwrap().contains("init: started"), "{s}");
            }
        }
        assert_ne!(nonce(), nonce());
    }
}
