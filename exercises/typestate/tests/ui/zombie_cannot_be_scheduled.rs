// A zombie has finished running for good: it has no `schedule`.
use typestate::Parent;

fn main() {
    let mut init = Parent::new(1);
    let zombie = init.fork().schedule().exit(0);
    let _ = zombie.schedule();
}
