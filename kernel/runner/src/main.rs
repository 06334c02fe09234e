//! `cargo boot`: build the kernel and boot it.
//!
//!     cargo boot                     the shell, on this terminal (Ctrl-A X quits QEMU)
//!     cargo boot -- echo hi          run one command; exit with its status
//!     cargo boot --gdb               wait for gdb before the first instruction
//!     cargo boot --student fork      use exercises/fork instead of the solution
//!     cargo boot --cow -- forkdemo   fork copies on write
//!     cargo boot --bench             time five boots

use runner::{BootOptions, BuildOptions, Outcome, boot, build, qemu_args, qemu_binary};
use std::process::{Command, exit};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut opts = BuildOptions::default();
    let (mut gdb, mut cow, mut bench, mut command) = (false, false, false, Vec::new());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--gdb" => gdb = true,
            "--cow" => cow = true,
            "--bench" => bench = true,
            "--student" => opts.student.push(args.next().unwrap_or_else(|| usage())),
            "--" => command.extend(args.by_ref()),
            "-h" | "--help" => usage(),
            _ => command.push(a),
        }
    }
    let kernel = build(&opts).unwrap_or_else(|e| {
        eprintln!("{e}");
        exit(2)
    });
    let cmdline = format!("cow={} -- {}", if cow { "on" } else { "off" }, command.join(" "));
    if bench {
        return benchmark(&kernel);
    }
    if command.is_empty() || gdb {
        let mut qemu = Command::new(qemu_binary());
        qemu.args(qemu_args(&kernel, &cmdline, 256)).args(["-serial", "mon:stdio"]);
        if gdb {
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

fn usage() -> ! {
    eprintln!(
        "usage: cargo boot [--gdb] [--cow] [--bench] [--student PIECE]... [-- COMMAND ARGS...]"
    );
    exit(2)
}
