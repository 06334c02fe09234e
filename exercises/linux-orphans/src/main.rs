//! `cargo run -p linux-orphans`: where do orphans go on this machine?

use linux_orphans::{Orphan, become_subreaper, orphan};
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, getpid};

fn comm(pid: Pid) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).map_or("?".into(), |c| c.trim().into())
}

fn show(when: &str, o: &Orphan) {
    println!(
        "{when}: orphan {} was forked by {}, which exited; its parent is now {} ({})",
        o.pid,
        o.first_parent,
        o.new_parent,
        comm(o.new_parent)
    );
}

fn main() -> nix::Result<()> {
    println!("this process is {} ({})", getpid(), comm(getpid()));
    let plain = orphan()?;
    show("without a subreaper", &plain);
    // Not our child: whoever adopted it reaps it once it is dead.
    kill(plain.pid, Signal::SIGKILL)?;

    become_subreaper()?;
    let adopted = orphan()?;
    show("as a subreaper     ", &adopted);
    kill(adopted.pid, Signal::SIGKILL)?;
    nix::sys::wait::waitpid(adopted.pid, None)?;
    Ok(())
}
