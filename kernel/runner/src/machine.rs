//! `cargo boot --check`: one look at whether this machine can run the
//! course. It reports QEMU's version against the oldest that boots the
//! kernel, the pinned tools (from `bash .ci/setup --check`, so the list is
//! the one setup installs), whether the kernel builds, and how long a boot
//! takes here against the time limits. Every "install X" message points here.

use crate::{BOOT_TIMEOUT_SECS, BootOptions, BuildOptions, Outcome, SCENARIO_TIMEOUT_SECS};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Boots timed; the slowest of them is held against the time limits.
const BOOTS: usize = 3;
/// A boot slower than this share of its limit leaves too little headroom.
const HEADROOM: f64 = 3.0;

/// Prints the report; true when the machine has everything.
pub fn check() -> bool {
    let root = crate::repo_root();
    println!("cargo boot --check: can this machine run the course?\n");
    let mut problems = Vec::new();
    let mut report = |ok: bool, what: &str, text: String| {
        let mark = if ok { "ok" } else { "FAIL" };
        let text = text.replace('\n', &format!("\n{:18}", ""));
        println!("{mark:5} {what:11} {text}");
        if !ok {
            problems.push(what.to_string());
        }
    };
    let qemu = qemu_version();
    let minimum = pinned(&root, "QEMU_MIN_VERSION").unwrap_or_else(|| "4.0".into());
    match &qemu {
        Ok(v) => report(
            version_at_least(v, &minimum),
            "QEMU",
            format!("{} {v}; the kernel needs {minimum} or newer (PVH boot)", crate::qemu_binary()),
        ),
        Err(e) => report(false, "QEMU", e.clone()),
    }
    let (ok, tools) = setup_check(&root);
    report(ok, "tools", tools);
    let start = Instant::now();
    let kernel = crate::build(&BuildOptions::default());
    match &kernel {
        Ok(elf) => report(
            true,
            "kernel",
            format!("builds in {:.1} s: {}", start.elapsed().as_secs_f64(), elf.display()),
        ),
        Err(e) => report(
            false,
            "kernel",
            format!(
                "does not build (it needs only stable Rust and its rust-lld):\n{}",
                first_lines(e, 12)
            ),
        ),
    }
    match (&kernel, &qemu) {
        (Ok(elf), Ok(_)) => match time_boots(elf) {
            Ok(slowest) => {
                let (ok, text) = limits(slowest, crate::timeout_scale());
                report(ok, "boot", text);
            }
            Err(e) => report(false, "boot", e),
        },
        _ => report(false, "boot", "not tried: it needs QEMU and a kernel".into()),
    }
    println!();
    if problems.is_empty() {
        println!("all ok");
    } else {
        let installable = problems.iter().any(|p| p == "QEMU" || p == "tools");
        let hint = if installable { " bash .ci/setup installs what is missing." } else { "" };
        println!("{} to fix: {}.{hint}", problems.len(), problems.join(", "));
    }
    problems.is_empty()
}

/// A value pinned in `.ci/versions` (`KEY=VALUE` lines).
fn pinned(root: &Path, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(root.join(".ci/versions")).ok()?;
    text.lines().find_map(|l| Some(l.strip_prefix(key)?.strip_prefix('=')?.trim().to_string()))
}

/// "QEMU emulator version 7.2.19 (Debian ...)" -> "7.2.19".
fn qemu_version() -> Result<String, String> {
    let out = Command::new(crate::qemu_binary()).arg("--version").output().map_err(|e| {
        format!("{} cannot run ({e}): bash .ci/setup installs QEMU", crate::qemu_binary())
    })?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .skip_while(|w| *w != "version")
        .nth(1)
        .map(str::to_string)
        .ok_or_else(|| format!("no version in `{} --version`: {text}", crate::qemu_binary()))
}

/// Whether dotted version `have` is `want` or newer.
pub fn version_at_least(have: &str, want: &str) -> bool {
    let parts = |v: &str| -> Vec<u32> { v.split('.').map_while(|p| p.parse().ok()).collect() };
    let (mut have, mut want) = (parts(have), parts(want));
    let len = have.len().max(want.len());
    have.resize(len, 0);
    want.resize(len, 0);
    have >= want
}

/// `bash .ci/setup --check`: whether it found everything, and its list.
fn setup_check(root: &Path) -> (bool, String) {
    match Command::new("bash").arg(root.join(".ci/setup")).arg("--check").output() {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
            (out.status.success(), format!("bash .ci/setup --check says:\n{text}"))
        }
        Err(e) => (false, format!("cannot run bash .ci/setup --check: {e}")),
    }
}

/// Boots the kernel a few times; returns the slowest boot in seconds.
fn time_boots(kernel: &Path) -> Result<f64, String> {
    let mut slowest: f64 = 0.0;
    for _ in 0..BOOTS {
        let run = crate::boot(kernel, &BootOptions::command("echo ready"))?;
        if run.outcome != Outcome::Exited(0) {
            return Err(format!(
                "`echo ready` ended {:?} after {:.1} s:\n{}{}",
                run.outcome,
                run.elapsed.as_secs_f64(),
                first_lines(&run.serial, 12),
                first_lines(&run.qemu_stderr, 6)
            ));
        }
        slowest = slowest.max(run.elapsed.as_secs_f64());
    }
    Ok(slowest)
}

/// The slowest boot against the tighter time limit (a graded scenario's),
/// stretched by `scale` (QEMU_TIMEOUT_SCALE's).
fn limits(slowest: f64, scale: f64) -> (bool, String) {
    let tight = SCENARIO_TIMEOUT_SECS as f64 * scale;
    let ok = slowest * HEADROOM <= tight;
    let mut text = format!(
        "the slowest of {BOOTS} boots took {slowest:.2} s, QEMU start to power-off\n\
         limits: {BOOT_TIMEOUT_SECS} s (cargo boot, the runner's tests), {SCENARIO_TIMEOUT_SECS} s (a graded scenario), \
         times QEMU_TIMEOUT_SCALE ({scale}): {:.0}% of the tighter one used",
        100.0 * slowest / tight
    );
    if !ok {
        let want = (slowest * HEADROOM / SCENARIO_TIMEOUT_SECS as f64).ceil();
        text.push_str(&format!(
            "\nthis machine is slow or busy: set QEMU_TIMEOUT_SCALE={want} (cargo grade measures its own scale)"
        ));
    }
    (ok, text)
}

fn first_lines(s: &str, n: usize) -> String {
    s.lines().take(n).map(|l| format!("{l}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_number() {
        assert!(version_at_least("7.2.19", "4.0"));
        assert!(version_at_least("4.0", "4.0"));
        assert!(version_at_least("10.0.0", "4.0"), "10 is newer than 4, not older");
        assert!(!version_at_least("3.1.1", "4.0"));
        assert!(version_at_least("4", "4.0.0"), "missing parts count as 0");
        assert!(!version_at_least("4", "4.0.1"));
        assert!(version_at_least("8.2.0-rc1", "8.1"));
    }

    #[test]
    fn slow_boots_ask_for_a_scale() {
        let (ok, _) = limits(0.4, 1.0);
        assert!(ok);
        let (ok, text) = limits(SCENARIO_TIMEOUT_SECS as f64, 1.0);
        assert!(!ok, "{text}");
        assert!(text.contains("QEMU_TIMEOUT_SCALE=3"), "{text}");
        let (ok, text) = limits(SCENARIO_TIMEOUT_SECS as f64, 3.0);
        assert!(ok, "a scale makes room: {text}");
    }

    #[test]
    fn the_pinned_minimum_is_read_from_the_versions_file() {
        let v = pinned(&crate::repo_root(), "QEMU_MIN_VERSION").expect("QEMU_MIN_VERSION pinned");
        assert!(version_at_least(&v, "4.0"), "{v}");
        assert_eq!(pinned(&crate::repo_root(), "NO_SUCH_KEY"), None);
    }
}
