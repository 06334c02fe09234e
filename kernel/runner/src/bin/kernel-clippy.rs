//! `cargo run -p runner --bin kernel-clippy -- [CLIPPY ARGS]`: lints the
//! kernel, its user programs and `api`'s bare-metal half with clippy, built
//! the way `cargo boot` builds them (bare-metal flags, the initramfs), which a
//! plain `cargo clippy` cannot do. CI passes `-D warnings`.

use clap::Parser;
use runner::BuildOptions;

/// Lints the kernel workspace with clippy, with the kernel build's flags.
#[derive(Debug, Parser)]
#[command(name = "kernel-clippy", version, about, long_about = None)]
struct Args {
    /// Passed on to clippy, e.g. `-D warnings`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "CLIPPY ARGS")]
    clippy: Vec<String>,
}

fn main() {
    let args = Args::parse();
    if let Err(e) = runner::clippy(&BuildOptions::default(), &args.clippy) {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
