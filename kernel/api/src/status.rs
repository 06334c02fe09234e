//! How `wait4` encodes the way a child ended, bit for bit as Linux does, so
//! `WIFEXITED`, `WEXITSTATUS`, `WIFSIGNALED` and `WTERMSIG` work unchanged.

pub const SIGKILL: i32 = 9;
pub const SIGSEGV: i32 = 11;

/// `exit(code)`: the low byte of the code, in bits 8..16.
pub fn exited(code: i32) -> i32 {
    (code & 0xff) << 8
}

/// Killed by a signal (for us: by a fault, so `SIGSEGV`).
pub fn signaled(sig: i32) -> i32 {
    sig & 0x7f
}

pub fn wifexited(status: i32) -> bool {
    status & 0x7f == 0
}

pub fn wexitstatus(status: i32) -> i32 {
    (status >> 8) & 0xff
}

pub fn wifsignaled(status: i32) -> bool {
    let sig = status & 0x7f;
    sig != 0 && sig != 0x7f
}

pub fn wtermsig(status: i32) -> i32 {
    status & 0x7f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_like_the_c_macros() {
        assert!(wifexited(exited(3)) && wexitstatus(exited(3)) == 3);
        assert_eq!(wexitstatus(exited(256 + 7)), 7);
        assert!(wifsignaled(signaled(SIGSEGV)) && !wifexited(signaled(SIGSEGV)));
        assert_eq!(wtermsig(signaled(SIGSEGV)), SIGSEGV);
        assert_eq!(exited(1), 0x100);
    }
}
