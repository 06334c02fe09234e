//! Given: the result type, and a way to pass a pid through a pipe. The
//! reference solution uses this same file.

use std::os::fd::AsFd;

use nix::errno::Errno;
use nix::unistd::{Pid, read, write};

/// An orphan and its two parents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Orphan {
    /// The orphan. It keeps running until someone kills it.
    pub pid: Pid,
    /// The process that forked it, and has exited since.
    pub first_parent: Pid,
    /// `getppid()` as the orphan saw it after its first parent was gone.
    pub new_parent: Pid,
}

/// Writes a pid as 4 bytes. Safe in a forked child: one `write(2)`, no
/// allocation, no lock. Up to 4096 bytes, a pipe write is atomic.
pub fn send_pid(out: impl AsFd, pid: Pid) -> nix::Result<()> {
    let bytes = pid.as_raw().to_ne_bytes();
    match write(out, &bytes)? {
        4 => Ok(()),
        _ => Err(Errno::EIO),
    }
}

/// Reads a pid written by [`send_pid`]. `EPIPE` if the writer went away
/// without writing.
pub fn recv_pid(input: impl AsFd) -> nix::Result<Pid> {
    let mut bytes = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match read(&input, &mut bytes[got..]) {
            Ok(0) => return Err(Errno::EPIPE),
            Ok(n) => got += n,
            Err(Errno::EINTR) => continue,
            Err(err) => return Err(err),
        }
    }
    Ok(Pid::from_raw(i32::from_ne_bytes(bytes)))
}
