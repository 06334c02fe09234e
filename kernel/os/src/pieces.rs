//! The five pieces, each from the reference solution unless the kernel is
//! built with `--features student-<piece>`, which links your exercise instead.

#[cfg(not(feature = "student-fork"))]
pub use fork_ref as fork;
#[cfg(feature = "student-fork")]
pub use fork_student as fork;

#[cfg(not(feature = "student-exec"))]
pub use exec_ref as exec;
#[cfg(feature = "student-exec")]
pub use exec_student as exec;

#[cfg(not(feature = "student-wait"))]
pub use wait_ref as wait;
#[cfg(feature = "student-wait")]
pub use wait_student as wait;

#[cfg(not(feature = "student-switch"))]
pub use switch_ref as switch;
#[cfg(feature = "student-switch")]
pub use switch_student as switch;

/// The copy-on-write piece is not wired in yet: `cow=on` falls back to the
/// eager copy, and no page fault is a copy-on-write fault.
pub fn cow_share() -> fork::CopySpace {
    crate::kprintln!("kernel: copy-on-write is not available yet; fork copies eagerly");
    fork::copy_space
}

pub fn cow_fault(_error: u64, _addr: u64) -> bool {
    false
}

/// Before the kernel writes into user memory: with copy-on-write, a shared
/// page must be copied first, just as if the user had written to it.
pub fn prepare_user_write(_va: u64, _len: usize) -> Result<(), api::Errno> {
    Ok(())
}
