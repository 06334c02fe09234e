// A sleeping task must be woken (and so become runnable) before it runs.
use typestate::Parent;

fn main() {
    let mut init = Parent::new(1);
    let sleeping = init.fork().schedule().sleep();
    let _ = sleeping.schedule();
}
