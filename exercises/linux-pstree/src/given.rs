//! Given: one process as the lab sees it. The reference solution uses this
//! same file.

/// One line of `/proc/PID/stat`, reduced to what a tree needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proc {
    pub pid: i32,
    /// 0 for the roots: pid 1, and pid 2 (kthreadd) outside a container.
    pub ppid: i32,
    /// The command name, at most 15 bytes, and free to contain spaces and
    /// parentheses: a program can set it to anything with prctl(PR_SET_NAME).
    pub comm: String,
}

impl Proc {
    /// How pstree -p labels a process: `comm(pid)`.
    pub fn label(&self) -> String {
        format!("{}({})", self.comm, self.pid)
    }
}
