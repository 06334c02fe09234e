//! Given: the result type and two small output helpers that are safe to
//! call in a forked child. The reference solution uses this same file.

use std::ffi::CStr;
use std::fmt;
use std::io::Write;
use std::os::fd::BorrowedFd;

use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;

/// What the parent knows once its child is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The pid that `fork` (or `posix_spawn`) returned to the parent.
    pub child: Pid,
    /// What `waitpid` reported for that child.
    pub status: WaitStatus,
}

/// Formats into a stack buffer and writes it to `out` with one `write(2)`.
///
/// Use this, not `println!`, in a forked child: `println!` takes the lock
/// inside `stdout()`, which another thread of the parent may have held at
/// the moment of the fork, and nobody in the child will ever release it.
/// And `stdout()` is buffered: `fork` would copy unflushed text into the
/// child, so it would come out twice.
pub fn say(out: BorrowedFd<'_>, args: fmt::Arguments<'_>) {
    let mut buf = [0u8; 128];
    let len = {
        let mut rest = &mut buf[..];
        let _ = rest.write_fmt(args);
        128 - rest.len()
    };
    let _ = nix::unistd::write(out, &buf[..len]);
}

/// Formats into `buf` and returns the text as a C string, for `execve`'s
/// arguments, without allocating.
pub fn c_format<'a>(buf: &'a mut [u8], args: fmt::Arguments<'_>) -> &'a CStr {
    buf.fill(0);
    let room = buf.len() - 1; // the last byte stays NUL
    let _ = (&mut buf[..room]).write_fmt(args);
    CStr::from_bytes_until_nul(buf).expect("the last byte is NUL")
}
