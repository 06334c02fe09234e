//! The shell, typed at on the serial console: `help` lists /bin as read with
//! getdents64, errors read like a shell's, `cmd &` leaves a zombie for `ps`
//! until `wait`, and `exit` powers the machine off with a status.

use regex::Regex;
use runner::{BootOptions, BuildOptions, Outcome, Run, boot, build, mask_times, transcript};
use std::path::PathBuf;
use std::sync::OnceLock;

fn kernel() -> &'static PathBuf {
    static KERNEL: OnceLock<PathBuf> = OnceLock::new();
    KERNEL.get_or_init(|| build(&BuildOptions::default()).unwrap_or_else(|e| panic!("{e}")))
}

/// Boots into the shell (no command on the kernel command line) and types `input`.
fn type_into_the_shell(input: &str) -> Run {
    let opts = BootOptions { input: input.as_bytes().to_vec(), ..Default::default() };
    boot(kernel(), &opts).expect("QEMU did not start")
}

/// What depends on when the typed lines arrive, which is the host's doing,
/// not the guest's instruction count: ps's times, and the shell's own STAT
/// (R if its background child ended while it waited in wait4, S if it ended
/// while the shell waited for the next line).
fn mask(text: &str) -> String {
    let shell_row = Regex::new(r"(?m)^(\s+\d+\s+\d+ )[RS]( .* sh)$").unwrap();
    shell_row.replace_all(&mask_times(text), "${1}?${2}").into_owned()
}

#[test]
fn help_errors_background_jobs_wait_and_exit() {
    let run = type_into_the_shell("help\nnosuch\ngarbage\ntrue &\nps\nwait\nexit 3\n");
    assert_eq!(run.outcome, Outcome::Exited(3), "{}", run.serial);
    let text = transcript(&run);
    for line in [
        "sh: commands in /bin: badexec cow echo",
        "sh: nosuch: not found",
        "sh: garbage: cannot execute (ENOEXEC)",
        "init: sh exited with status 3",
    ] {
        assert!(text.contains(line), "missing {line:?}:\n{text}");
    }
    // The background `true` has ended, and nobody has waited for it yet.
    let ps = &text[text.find("$ ps\n").unwrap()..text.find("$ wait\n").unwrap()];
    assert!(ps.lines().any(|l| l.contains(" Z ") && l.ends_with("true")), "no zombie:\n{ps}");
    insta::assert_snapshot!(mask(&text));
    transcripts::check_masked("shell-session", &text, mask);
}

#[test]
fn exit_alone_passes_on_the_last_status() {
    let run = type_into_the_shell("nosuch\nexit\n");
    assert!(run.serial.contains("init: sh exited with status 127"), "{}", run.serial);
    // 126 and 127 are QEMU's codes for a signal and a panic: init clamps to 125.
    assert_eq!(run.outcome, Outcome::Exited(125));
}
