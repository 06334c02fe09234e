//! Error numbers, with Linux's values, because system calls return them as-is
//! (as `-errno` in `rax`) and a real libc reads them.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Errno {
    EPERM = 1,
    ENOENT = 2,
    ESRCH = 3,
    E2BIG = 7,
    ENOEXEC = 8,
    EBADF = 9,
    ECHILD = 10,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    EEXIST = 17,
    ENOTDIR = 20,
    EISDIR = 21,
    EINVAL = 22,
    EMFILE = 24,
    EROFS = 30,
    ENOSYS = 38,
    ETIMEDOUT = 110,
}

impl Errno {
    /// The value a system call leaves in `rax`.
    pub fn to_ret(self) -> i64 {
        -(self as i64)
    }
}
