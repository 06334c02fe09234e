//! `cargo boot`: build the kernel and boot it.
//!
//!     cargo boot                     the shell, on this terminal (Ctrl-A X quits QEMU)
//!     cargo boot -- echo hi          run one command; exit with its status
//!     cargo boot --gdb               an unoptimized kernel that waits for gdb
//!     cargo boot --gdb --user sh     ... and gdb loads the shell's symbols too
//!     cargo boot --student fork      use exercises/fork instead of the solution
//!     cargo boot --cow -- cow storm  fork copies on write
//!     cargo boot --add ./hello -- hello   put ./hello in the initramfs, as /bin/hello, and run it
//!     cargo boot --deterministic     count instructions (-icount): every run the same
//!     cargo boot --trace -- zombie   the kernel's events: a timeline, the process tree
//!                                    over time, and a web page of them
//!     cargo boot --bench             time boots, with and without -icount
//!     cargo boot --check             can this machine run the course? (QEMU, tools, build, boot times)

use clap::Parser;
use runner::{BootOptions, BuildOptions, Outcome, boot, build, gdb, qemu_args, qemu_binary, trace};
use std::path::{Path, PathBuf};
use std::process::{Command, exit};

/// Builds the mini-kernel and boots it in QEMU.
#[derive(Debug, Parser)]
#[command(name = "cargo boot", bin_name = "cargo boot", version, about, long_about = None)]
struct Args {
    /// Build for gdb (unoptimized), start QEMU halted and print the command
    /// that starts gdb with the kernel's symbols and helpers.
    #[arg(long)]
    gdb: bool,
    /// With --gdb: also load this user program's symbols (a program's name,
    /// e.g. forkexec, or the path of an ELF file).
    #[arg(long, value_name = "PROGRAM", requires = "gdb")]
    user: Option<String>,
    /// fork shares pages copy-on-write (kernel option cow=on).
    #[arg(long)]
    cow: bool,
    /// Make the guest's clock its instruction count (QEMU -icount), so every
    /// run prints the same bytes, as the tests and the grader boot.
    #[arg(long)]
    deterministic: bool,
    /// Time boots with and without -icount and print the medians.
    #[arg(long)]
    bench: bool,
    /// Trace what the kernel does (kernel option trace=on): after the boot,
    /// print a timeline and the process tree over time, and write a web page
    /// of them (and the raw events) to target/trace.
    #[arg(long)]
    trace: bool,
    /// Check this machine: QEMU's version, the pinned tools, a kernel build, boot times.
    #[arg(long)]
    check: bool,
    /// Use your exercises/PIECE instead of the reference (repeat for more).
    #[arg(long, value_name = "PIECE", value_parser = clap::builder::PossibleValuesParser::new(runner::PIECES))]
    student: Vec<String>,
    /// Put this file into the initramfs at /bin/<its file name>, e.g. a C
    /// program built with `musl-gcc -static` (repeat for more).
    #[arg(long, value_name = "PATH")]
    add: Vec<std::path::PathBuf>,
    /// What init runs (after `--`); with none, the shell.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "COMMAND")]
    command: Vec<String>,
}

fn main() {
    let args = Args::parse();
    if args.check {
        exit(if runner::machine::check() { 0 } else { 1 });
    }
    let opts = BuildOptions {
        student: args.student.clone(),
        gdb: args.gdb,
        add: args.add.clone(),
        ..Default::default()
    };
    let kernel = build(&opts).unwrap_or_else(|e| {
        eprintln!("{e}");
        exit(2)
    });
    let cmdline = format!(
        "cow={}{} -- {}",
        if args.cow { "on" } else { "off" },
        if args.trace && (args.command.is_empty() || args.gdb) { " trace=on" } else { "" },
        args.command.join(" ")
    );
    // The files' name: the command's words, joined by '-' ("orphan-zombie").
    let name: String = match args.command.join("-") {
        words if words.is_empty() => "sh".into(),
        words => words.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect(),
    };
    let trace_dir = runner::repo_root().join("target/trace");
    if args.bench {
        return benchmark(&kernel);
    }
    if args.command.is_empty() || args.gdb {
        let mut qemu = Command::new(qemu_binary());
        qemu.args(qemu_args(&kernel, &cmdline, 256)).args(["-serial", "mon:stdio"]);
        if args.deterministic {
            qemu.args(runner::ICOUNT);
        }
        let events = trace_dir.join(format!("{name}.jsonl"));
        if args.trace {
            std::fs::create_dir_all(&trace_dir).unwrap_or_else(|e| fail(&e.to_string()));
            qemu.arg("-serial").arg(format!("file:{}", events.display()));
        }
        if args.gdb {
            qemu.args(wait_for_gdb(&opts, &kernel, args.user.as_deref()).unwrap_or_else(|e| {
                eprintln!("{e}");
                exit(2)
            }));
        } else {
            eprintln!("Booting {} (Ctrl-A X quits)", kernel.display());
        }
        let status = qemu.status().unwrap_or_else(|e| {
            eprintln!("cannot start {}: {e}", qemu_binary());
            exit(2)
        });
        if args.trace {
            let text = std::fs::read_to_string(&events).unwrap_or_default();
            show_trace(&trace_dir, &name, &args.command, &text, "(the console was this terminal)");
        }
        exit(status.code().unwrap_or(1));
    }
    let opts = BootOptions {
        cmdline,
        deterministic: args.deterministic,
        trace: args.trace,
        ..Default::default()
    };
    let run = boot(&kernel, &opts).unwrap_or_else(|e| {
        eprintln!("{e}");
        exit(2)
    });
    print!("{}", run.serial);
    eprintln!("[{:?} after {:.2} s]", run.outcome, run.elapsed.as_secs_f64());
    if args.trace {
        show_trace(&trace_dir, &name, &args.command, &run.trace, &run.serial);
    }
    exit(match run.outcome {
        Outcome::Exited(code) => code as i32,
        _ => 1,
    })
}

fn fail(why: &str) -> ! {
    eprintln!("{why}");
    exit(2)
}

/// Prints the trace's timeline and tree, and writes its page and raw events
/// into `dir` as NAME.html and NAME.jsonl.
fn show_trace(dir: &Path, name: &str, command: &[String], text: &str, serial: &str) {
    let trace = trace::parse(text, "").unwrap_or_else(|e| fail(&format!("the trace: {e}")));
    print!("\n{}", trace::text::report(&trace));
    let html: PathBuf = dir.join(format!("{name}.html"));
    let title = format!("cargo boot --trace -- {}", command.join(" "));
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(dir.join(format!("{name}.jsonl")), text))
        .and_then(|()| std::fs::write(&html, trace::html::page(&title, &trace, serial)));
    match written {
        Ok(()) => println!("\nThe trace as a web page: {}", html.display()),
        Err(e) => fail(&format!("{}: {e}", dir.display())),
    }
}

/// Writes the gdb script for this boot and says how to start gdb with it.
/// Returns QEMU's arguments for the gdb stub.
fn wait_for_gdb(
    opts: &BuildOptions,
    kernel: &Path,
    user: Option<&str>,
) -> Result<Vec<String>, String> {
    let user = user.map(|name| gdb::find_user_program(opts, name)).transpose()?;
    let port = gdb::free_port()?;
    let script = gdb::write_script(&opts.target_dir(), opts, kernel, port, user.as_deref())?;
    let shown = std::env::current_dir().ok().and_then(|d| script.strip_prefix(d).ok());
    eprintln!("QEMU is waiting for gdb on port {port} (Ctrl-A X quits). In another terminal:\n");
    eprintln!("    gdb -q -x {}\n", shown.unwrap_or(&script).display());
    Ok(gdb::qemu_args(port))
}

/// Boots `echo ready`, then a busier run (`forkexec`, whose trace has
/// hundreds of events), five times each (after one warm-up) in three ways:
/// free-running, under -icount, and under -icount with the event trace on.
/// The ways alternate so all see the same machine load. Prints the median
/// times from QEMU's start to init's first line and to the clean exit.
fn benchmark(kernel: &Path) {
    const BOOTS: usize = 5;
    let icount = format!("{} {}", runner::ICOUNT[0], runner::ICOUNT[1]);
    let trace = format!("{icount}, trace=on");
    let ways = [("free-running", false, false), (&*icount, true, false), (&*trace, true, true)];
    println!("boots: {BOOTS} of each  (QEMU under TCG, after one warm-up; median (min, max))");
    for command in ["echo ready", "forkexec"] {
        // [way] × [to init's first line, to exit]
        let mut times = vec![[Vec::new(), Vec::new()]; ways.len()];
        for i in 0..=BOOTS {
            for (way, &(_, deterministic, trace)) in ways.iter().enumerate() {
                let opts = BootOptions { deterministic, trace, ..BootOptions::command(command) };
                let run = boot(kernel, &opts).unwrap_or_else(|e| fail(&e));
                assert_eq!(run.outcome, Outcome::Exited(0), "boot failed:\n{}", run.serial);
                let first = run.time_of("init: started").expect("init printed nothing");
                if i > 0 {
                    times[way][0].push(first.as_secs_f64());
                    times[way][1].push(run.elapsed.as_secs_f64());
                }
            }
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let mut medians = vec![0.0; ways.len()];
        for (way, (name, ..)) in ways.iter().enumerate() {
            let [first, total] = &mut times[way];
            medians[way] = median(total);
            println!("`{command}`, {name}:");
            for (what, v) in [("init's first line", first), ("clean exit", total)] {
                let m = median(v);
                println!(
                    "  QEMU start -> {what:<17}  {m:.3} s  ({:.3}, {:.3})",
                    v[0],
                    v[v.len() - 1]
                );
            }
        }
        println!(
            "`{command}`: boot-to-exit medians: -icount {:.2}x free-running; the trace on {:.2}x -icount alone",
            medians[1] / medians[0],
            medians[2] / medians[1]
        );
    }
}
