//! `cargo boot`: build the kernel and boot it.
//!
//!     cargo boot                     the shell, on this terminal (Ctrl-A X quits QEMU)
//!     cargo boot -- echo hi          run one command; exit with its status
//!     cargo boot --gdb               an unoptimized kernel that waits for gdb
//!     cargo boot --gdb --user sh     ... and gdb loads the shell's symbols too
//!     cargo boot --student fork      use exercises/fork instead of the solution
//!     cargo boot --cow -- cow storm  fork copies on write
//!     cargo boot --deterministic     count instructions (-icount): every run the same
//!     cargo boot --bench             time boots, with and without -icount

use clap::Parser;
use runner::{BootOptions, BuildOptions, Outcome, boot, build, gdb, qemu_args, qemu_binary};
use std::path::Path;
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
    /// Use your exercises/PIECE instead of the reference (repeat for more).
    #[arg(long, value_name = "PIECE", value_parser = clap::builder::PossibleValuesParser::new(runner::PIECES))]
    student: Vec<String>,
    /// What init runs (after `--`); with none, the shell.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "COMMAND")]
    command: Vec<String>,
}

fn main() {
    let args = Args::parse();
    let opts = BuildOptions { student: args.student.clone(), gdb: args.gdb, ..Default::default() };
    let kernel = build(&opts).unwrap_or_else(|e| {
        eprintln!("{e}");
        exit(2)
    });
    let cmdline =
        format!("cow={} -- {}", if args.cow { "on" } else { "off" }, args.command.join(" "));
    if args.bench {
        return benchmark(&kernel);
    }
    if args.command.is_empty() || args.gdb {
        let mut qemu = Command::new(qemu_binary());
        qemu.args(qemu_args(&kernel, &cmdline, 256)).args(["-serial", "mon:stdio"]);
        if args.deterministic {
            qemu.args(runner::ICOUNT);
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
        exit(status.code().unwrap_or(1));
    }
    let opts = BootOptions { cmdline, deterministic: args.deterministic, ..Default::default() };
    let run = boot(&kernel, &opts).unwrap_or_else(|e| {
        eprintln!("{e}");
        exit(2)
    });
    print!("{}", run.serial);
    eprintln!("[{:?} after {:.2} s]", run.outcome, run.elapsed.as_secs_f64());
    exit(match run.outcome {
        Outcome::Exited(code) => code as i32,
        _ => 1,
    })
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

/// Boots `echo ready` five times (after one warm-up) free-running and five
/// times under -icount, alternating so both see the same machine load, and
/// prints the median times from QEMU's start to init's first line and to the
/// clean exit.
fn benchmark(kernel: &Path) {
    const BOOTS: usize = 5;
    // [free-running, -icount] × [to init's first line, to exit]
    let mut times = [[Vec::new(), Vec::new()], [Vec::new(), Vec::new()]];
    for i in 0..=BOOTS {
        for (mode, deterministic) in [false, true].into_iter().enumerate() {
            let opts = BootOptions { deterministic, ..BootOptions::command("echo ready") };
            let run = boot(kernel, &opts).unwrap_or_else(|e| {
                eprintln!("{e}");
                exit(2)
            });
            assert_eq!(run.outcome, Outcome::Exited(0), "boot failed:\n{}", run.serial);
            let first = run.time_of("init: started").expect("init printed nothing");
            if i > 0 {
                times[mode][0].push(first.as_secs_f64());
                times[mode][1].push(run.elapsed.as_secs_f64());
            }
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("boots: {BOOTS} of each  (QEMU under TCG, after one warm-up; median (min, max))");
    let mut medians = [0.0; 2];
    for (mode, name) in ["free-running", &format!("{} {}", runner::ICOUNT[0], runner::ICOUNT[1])]
        .into_iter()
        .enumerate()
    {
        let [first, total] = &mut times[mode];
        medians[mode] = median(total);
        println!("{name}:");
        for (what, v) in [("init's first line", first), ("clean exit", total)] {
            let m = median(v);
            println!("  QEMU start -> {what:<17}  {m:.3} s  ({:.3}, {:.3})", v[0], v[v.len() - 1]);
        }
    }
    println!("-icount costs {:.2}x the free-running boot-to-exit median", medians[1] / medians[0]);
}
