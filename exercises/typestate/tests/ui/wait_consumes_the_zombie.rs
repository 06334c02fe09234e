// wait takes the zombie by value: once reaped, it cannot be used again.
use typestate::Parent;

fn main() {
    let mut init = Parent::new(1);
    let zombie = init.fork().schedule().exit(3);
    let _ = init.wait(zombie);
    let _ = zombie.exit_code();
}
