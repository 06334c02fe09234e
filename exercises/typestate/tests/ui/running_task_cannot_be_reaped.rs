// A parent can only reap a zombie, not a task that is still running.
use typestate::Parent;

fn main() {
    let mut init = Parent::new(1);
    let running = init.fork().schedule();
    let _ = init.wait(running);
}
