// The types cannot tell whose child a task is: wait checks that at run time.
use std::panic::{AssertUnwindSafe, catch_unwind};

use typestate::Parent;

fn main() {
    let mut init = Parent::new(1);
    let mut stranger = Parent::new(100);
    let zombie = init.fork().schedule().exit(7);

    std::panic::set_hook(Box::new(|_| {}));
    let stolen = catch_unwind(AssertUnwindSafe(|| stranger.wait(zombie)));
    let message = stolen.expect_err("only the parent may reap its child");
    let text = message.downcast_ref::<String>().map(String::as_str).unwrap_or_default();
    assert!(text.contains("is not a child of"), "unexpected panic: {text}");
}
