//! `cargo boot`: build the kernel and boot it.
//!
//!     cargo boot                     the shell, on this terminal (Ctrl-A X quits QEMU)
//!     cargo boot -- echo hi          run one command; exit with its status
//!     cargo boot --gdb               wait for gdb before the first instruction
//!     cargo boot --student fork      use exercises/fork instead of the solution
//!     cargo boot --cow -- cow storm  fork copies on write
//!     cargo boot --bench             time five boots
//!     cargo boot --check             can this machine run the course? (QEMU, tools, build, boot times)

use clap::Parser;
use runner::{BootOptions, BuildOptions, Outcome, boot, build, qemu_args, qemu_binary};
use std::process::{Command, exit};

/// Builds the mini-kernel and boots it in QEMU.
#[derive(Debug, Parser)]
#[command(name = "cargo boot", bin_name = "cargo boot", version, about, long_about = None)]
struct Args {
    /// Start QEMU halted and print the command that attaches gdb.
    #[arg(long)]
    gdb: bool,
    /// fork shares pages copy-on-write (kernel option cow=on).
    #[arg(long)]
    cow: bool,
    /// Time five boots and print the medians.
    #[arg(long)]
    bench: bool,
    /// Check this machine: QEMU's version, the pinned tools, a kernel build, boot times.
    #[arg(long)]
    check: bool,
    /// Use your exercises/PIECE instead of the reference (repeat for more).
    #[arg(long, value_name = "PIECE", value_parser = clap::builder::PossibleValuesParser::new(runner::PIECES))]
    student: Vec<String>,
    /// What init runs (after `--`); with none, the shell.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "COMMAND")]
    command: Vec<String>,
}

fn main() {
    let args = Args::parse();
    if args.check {
        exit(if runner::machine::check() { 0 } else { 1 });
    }
    let opts = BuildOptions { student: args.student.clone(), ..Default::default() };
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
        if args.gdb {
            qemu.args(["-s", "-S"]);
            eprintln!("QEMU is waiting for gdb. In another terminal:\n");
            eprintln!(
                "    gdb {} -ex 'target remote :1234' -ex 'break kmain' -ex continue\n",
                kernel.display()
            );
        } else {
            eprintln!("Booting {} (Ctrl-A X quits)", kernel.display());
        }
        let status = qemu.status().unwrap_or_else(|e| {
            eprintln!("cannot start {}: {e}", qemu_binary());
            exit(2)
        });
        exit(status.code().unwrap_or(1));
    }
    let run = boot(&kernel, &BootOptions { cmdline, ..Default::default() }).unwrap_or_else(|e| {
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
/// Boots five times (plus one warm-up) and prints the median time from
/// QEMU's start to init's first line and to the clean exit.
fn benchmark(kernel: &std::path::Path) {
    let (mut first, mut total) = (Vec::new(), Vec::new());
    for i in 0..6 {
        let run = boot(kernel, &BootOptions::command("echo ready")).unwrap_or_else(|e| {
            eprintln!("{e}");
            exit(2)
        });
        assert_eq!(run.outcome, Outcome::Exited(0), "boot failed:\n{}", run.serial);
        let t = run.time_of("init: started").expect("init printed nothing");
        if i > 0 {
            first.push(t.as_secs_f64());
            total.push(run.elapsed.as_secs_f64());
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("boots: {}  (QEMU under TCG, after one warm-up)", first.len());
    println!(
        "QEMU start -> init's first line: median {:.3} s (min {:.3}, max {:.3})",
        median(&mut first),
        first[0],
        first[first.len() - 1]
    );
    println!(
        "QEMU start -> clean exit:        median {:.3} s (min {:.3}, max {:.3})",
        median(&mut total),
        total[0],
        total[total.len() - 1]
    );
}
