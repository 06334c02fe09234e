//! The lab chapter shows what `cargo run -p linux-clone` prints: this runs
//! the reference build of that program and keeps book/transcripts in step.

use std::collections::HashMap;
use std::process::Command;

/// Pids differ from run to run: name them in order of appearance, `P` for
/// the program itself and `C1`, `C2`, ... for its children. A number is a
/// pid where the program prints one: after "pid", "getpid", "gettid",
/// "Tgid" or "Pid", and inside "/proc/N/".
fn name_pids(text: &str) -> String {
    let mut names: HashMap<String, String> = HashMap::new();
    let mut name = |n: &str| -> String {
        let next = if names.is_empty() { "P".to_string() } else { format!("C{}", names.len()) };
        names.entry(n.to_string()).or_insert(next).clone()
    };
    let mut out = String::new();
    for line in text.lines() {
        let mut words: Vec<String> = Vec::new();
        for word in line.split(' ') {
            let prev = words.last().map(String::as_str).unwrap_or("");
            let digits = word.trim_end_matches(',');
            let is_pid = ["pid", "getpid", "gettid", "Tgid", "Pid"].contains(&prev)
                && !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit());
            let word = if is_pid {
                format!("{}{}", name(digits), &word[digits.len()..])
            } else if let Some(rest) = word.strip_prefix("/proc/") {
                let (n, tail) = rest.split_once('/').unwrap_or((rest, ""));
                let tail = if rest.contains('/') { format!("/{tail}") } else { String::new() };
                format!("/proc/{}{tail}", name(n))
            } else {
                word.to_string()
            };
            words.push(word);
        }
        out.push_str(&words.join(" "));
        out.push('\n');
    }
    out
}

#[test]
fn the_demo_shows_threads_processes_and_shared_memory() {
    let out =
        Command::new(env!("CARGO_BIN_EXE_linux-clone-solution")).output().expect("run the demo");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = name_pids(&String::from_utf8_lossy(&out.stdout));
    assert!(text.contains("child: getpid P, gettid C1"), "the thread is in our group:\n{text}");
    transcripts::check("linux-clone-demo", &text);
}
