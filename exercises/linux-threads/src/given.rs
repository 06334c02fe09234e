//! Given: the two numbers that name a task. The reference solution uses
//! this same file.

use nix::unistd::Pid;

/// How a task names itself. In the kernel both are pids: `tid` is the
/// task's own (`task_struct.pid`), `tgid` is its thread group leader's
/// (`task_struct.tgid`). `getpid()` returns the tgid, `gettid()` the tid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ids {
    pub tgid: Pid,
    pub tid: Pid,
}
