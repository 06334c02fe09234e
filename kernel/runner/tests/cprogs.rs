//! Ordinary C programs, compiled with `musl-gcc -static` from kernel/c and
//! put into the initramfs with `BuildOptions::add` (`cargo boot --add`):
//! each runs as a QEMU scenario with an insta snapshot, and the same
//! binaries run on this machine's Linux, where they must print the same
//! lines, pids aside.

use regex::Regex;
use runner::{BootOptions, BuildOptions, Outcome, Run, boot, build, build_c_programs, transcript};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The C programs, compiled once, and the kernel whose initramfs holds them.
fn built() -> &'static (Vec<PathBuf>, PathBuf) {
    static BUILT: OnceLock<(Vec<PathBuf>, PathBuf)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let programs = build_c_programs(&BuildOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        let opts = BuildOptions { add: programs.clone(), ..Default::default() };
        (programs.clone(), build(&opts).unwrap_or_else(|e| panic!("{e}")))
    })
}

fn program(name: &str) -> &'static PathBuf {
    built().0.iter().find(|p| p.ends_with(name)).unwrap_or_else(|| panic!("no kernel/c/{name}.c"))
}

fn run(options: &str, command: &str) -> Run {
    let opts = BootOptions { cmdline: format!("{options} -- {command}"), ..Default::default() };
    let r = boot(&built().1, &opts).expect("QEMU did not start");
    println!("--- serial output of `{command}` ---\n{}--- {:?}", r.serial, r.outcome);
    assert_eq!(r.outcome, Outcome::Exited(0), "{}", r.serial);
    r
}

/// The program's own lines (not init's or the kernel's), with every pid
/// replaced by its order of appearance: `pid=3` becomes `pid=#1`.
fn normalized(output: &str) -> String {
    let pid = Regex::new(r"\b(pid|ppid|child)=(\d+)").unwrap();
    let mut order: HashMap<String, usize> = HashMap::new();
    let lines = output.lines().filter(|l| !l.starts_with("init: ") && !l.starts_with("kernel: "));
    let text: String = lines.flat_map(|l| [l, "\n"]).collect();
    pid.replace_all(&text, |c: &regex::Captures| {
        let next = order.len() + 1;
        format!("{}=#{}", &c[1], order.entry(c[2].to_string()).or_insert(next))
    })
    .into_owned()
}

/// Runs `name` with `args` on this machine's Linux; returns what it printed.
fn on_linux(name: &str, args: &[&str]) -> String {
    let out = Command::new(program(name)).args(args).output().expect("the program runs on Linux");
    assert!(out.status.success(), "{name} failed on Linux: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Boots `command`, checks its snapshot, and compares its lines with Linux's.
fn scenario(options: &str, command: &str, linux_args: &[&str]) -> Run {
    let r = run(options, command);
    let name = command.split(' ').next().unwrap();
    insta::assert_snapshot!(format!("c_{name}"), transcript(&r));
    let linux = on_linux(name, linux_args);
    assert_eq!(normalized(&transcript(&r)), normalized(&linux), "the mini-kernel, then Linux");
    r
}

#[test]
fn hello() {
    let r = scenario("", "hello", &[]);
    transcripts::check("c-hello", &runner::session("cargo boot --add ./hello -- hello", &r));
}

#[test]
fn fork_exec_is_the_worked_example() {
    let r = scenario("", "fork_exec", &[]);
    assert!(r.serial.contains("hello from pid="), "the child ran /bin/echo");
    transcripts::check(
        "c-fork-exec",
        &runner::session("cargo boot --add ./fork_exec -- fork_exec", &r),
    );
}

#[test]
fn pthreads_count_exactly() {
    let r = scenario("", "pthreads", &[]);
    assert!(r.serial.contains("count = 200000, expected 200000: exact"));
    transcripts::check(
        "c-pthreads",
        &runner::session("cargo boot --add ./pthreads -- pthreads", &r),
    );
}

#[test]
fn malloc_cow_keeps_the_childs_writes_private() {
    let r = scenario("cow=on", "malloc_cow", &[]);
    assert!(r.serial.contains("bytes still 'p': private"));
    let command = "cargo boot --cow --add ./malloc_cow -- malloc_cow";
    transcripts::check("c-malloc-cow", &runner::session(command, &r));
    let eager = run("cow=off", "malloc_cow");
    assert_eq!(normalized(&transcript(&eager)), normalized(&transcript(&r)));
}

#[test]
fn errors_are_linuxs() {
    // On Linux, exec needs a file that is executable but no program.
    let dir = Command::new("mktemp").arg("-d").output().unwrap();
    let dir = PathBuf::from(String::from_utf8(dir.stdout).unwrap().trim());
    let garbage = dir.join("garbage");
    std::fs::write(&garbage, "this is not an ELF file\n").unwrap();
    Command::new("chmod").arg("755").arg(&garbage).status().unwrap();
    let r = scenario("", "errors /bin/garbage", &[garbage.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(r.serial.contains("0 wrong"));
    transcripts::check(
        "c-errors",
        &runner::session("cargo boot --add ./errors -- errors /bin/garbage", &r),
    );
}
