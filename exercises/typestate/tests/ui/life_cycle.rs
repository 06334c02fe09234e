// Every legal transition, in one life: fork, run, get preempted, run,
// sleep, wake, run, exit, and be reaped by the parent.
use typestate::{ExitStatus, Parent};

fn main() {
    let mut init = Parent::new(1);
    let task = init.fork();
    assert_eq!(task.ppid(), 1);
    let pid = task.pid();

    let task = task.schedule().preempt().schedule();
    let task = task.sleep().wake().schedule();
    let zombie = task.exit(42);
    assert_eq!(zombie.exit_code(), 42);
    assert_eq!(init.wait(zombie), ExitStatus { pid, code: 42 });

    let sibling = init.fork();
    assert_ne!(sibling.pid(), pid);
    let status = init.wait(sibling.schedule().exit(0));
    assert_eq!(status, ExitStatus { pid: pid + 1, code: 0 });
}
