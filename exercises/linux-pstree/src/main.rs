//! `cargo run -p linux-pstree [-- PID]`: the tree under PID (default 1).

fn main() {
    let root = std::env::args().nth(1).map_or(Ok(1), |arg| arg.parse());
    let Ok(root) = root else {
        eprintln!("usage: linux-pstree [PID]");
        std::process::exit(2);
    };
    match linux_pstree::snapshot() {
        Ok(procs) => print!("{}", linux_pstree::render(&procs, root)),
        Err(err) => {
            eprintln!("linux-pstree: /proc: {err}");
            std::process::exit(1);
        }
    }
}
