//! The six pieces, each from the reference solution unless the kernel is
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

#[cfg(not(feature = "student-cow"))]
pub use cow_ref as cow;
#[cfg(feature = "student-cow")]
pub use cow_student as cow;

#[cfg(not(feature = "student-clone"))]
pub use clone_ref as clone;
#[cfg(feature = "student-clone")]
pub use clone_student as clone;
