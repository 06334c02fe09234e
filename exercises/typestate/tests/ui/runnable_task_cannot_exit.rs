// Exiting is something a task does on a CPU: a runnable task must be
// scheduled first.
use typestate::Parent;

fn main() {
    let mut init = Parent::new(1);
    let _ = init.fork().exit(1);
}
