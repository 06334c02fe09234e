//! `cargo run --release -p elf-fuzz`: a million mutated executables through
//! the reference ELF loader, on as many threads as there are cores. Prints
//! the rate and what the loader answered; exits 1 on any finding.
//!
//!     cargo run --release -p elf-fuzz -- --inputs 100000 --seed 42

use clap::Parser;
use elf_fuzz::{Mutator, Report, reference_loader, seeds};
use std::process::exit;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    /// How many mutated inputs to try, in all.
    #[arg(long, default_value_t = 1_000_000)]
    inputs: u64,
    /// The random seed; by default one from the clock, printed so a run can be repeated.
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads; by default one per core.
    #[arg(long)]
    threads: Option<usize>,
}

fn main() {
    let args = Args::parse();
    // Every panic is a finding, reported with its input at the end; print
    // where the first few happened, not a backtrace per input.
    static PANICS: AtomicUsize = AtomicUsize::new(0);
    std::panic::set_hook(Box::new(|info| {
        if PANICS.fetch_add(1, Ordering::Relaxed) < 3 {
            eprintln!("elf-fuzz: {info}");
        }
    }));
    let seed = args.seed.unwrap_or_else(|| {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        t.as_nanos() as u64
    });
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let work = runner::repo_root().join("target/elf-fuzz");
    std::fs::create_dir_all(&work).unwrap_or_else(|e| fail(&format!("{}: {e}", work.display())));
    let (seeds, missing) = seeds(&work).unwrap_or_else(|e| fail(&e));
    println!("elf-fuzz: {} seeds:", seeds.len());
    for s in &seeds {
        println!("  {:<24} {:>8} bytes", s.name, s.bytes.len());
    }
    for m in &missing {
        println!("  (not a seed: {m})");
    }
    println!("elf-fuzz: {} inputs on {threads} threads, --seed {seed}", args.inputs);

    let start = Instant::now();
    let reports: Vec<Report> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads as u64)
            .map(|t| {
                let (seeds, work) = (seeds.clone(), &work);
                let share =
                    args.inputs / threads as u64 + u64::from(t < args.inputs % threads as u64);
                s.spawn(move || {
                    let mut m = Mutator::new(seeds, seed.wrapping_add(t));
                    elf_fuzz::fuzz(&mut m, reference_loader, share, work)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a fuzzing thread died")).collect()
    });
    let secs = start.elapsed().as_secs_f64();

    let mut all = Report::default();
    for r in reports {
        all.merge(r);
    }
    println!(
        "elf-fuzz: {} inputs in {secs:.1} s: {:.0} inputs/s",
        all.inputs,
        all.inputs as f64 / secs
    );
    for (v, n) in all.verdicts() {
        let share = 100.0 * n as f64 / all.inputs as f64;
        println!("  {:<20} {n:>9}  ({share:.1}%)", format!("{v:?}"));
    }
    if all.findings.is_empty() {
        println!("elf-fuzz: no panic, no leaked frame, every image well formed");
        return;
    }
    for f in &all.findings {
        println!("FINDING: {} (input: {})", f.what, f.input.display());
    }
    fail(&format!("{} findings; repeat with --seed {seed}", all.findings.len()))
}

fn fail(msg: &str) -> ! {
    eprintln!("elf-fuzz: {msg}");
    exit(1)
}
