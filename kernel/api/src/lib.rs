//! The narrow interface between the mini-kernel and the pieces you write.
//!
//! Every piece (`fork`, `exec`, `wait`, `switch`, `cow`, `clone`) is a small `no_std`
//! crate that sees the machine only through what this crate exports:
//!
//! - [`Memory`]: physical page frames, their reference counts, and the TLB;
//! - [`AddressSpace`]: a real x86_64 four-level page table, kept in frames;
//! - [`Procs`]: the task table, one [`Proc`] (our `task_struct`) per task;
//! - [`RunQueue`]: what the scheduler offers everyone else;
//! - [`Futexes`]: the wait queues of futex words, for threads.
//!
//! The kernel implements [`Memory`] over the direct map of physical memory;
//! the `sim` feature implements it over a `Vec` of pages, so the same piece
//! runs under `cargo test` in milliseconds and in QEMU for real.
#![no_std]

extern crate alloc;

pub mod abi;
pub mod errno;
pub mod memory;
pub mod paging;
pub mod proc;
#[cfg(feature = "baremetal")]
mod rt;
pub mod sched;
#[cfg(any(test, feature = "sim"))]
pub mod sim;
pub mod status;

pub use errno::Errno;
pub use memory::{Frame, Memory, PAGE_SIZE};
pub use paging::{AddressSpace, Flags, Page, USER_END, USER_START};
pub use proc::{
    KernelStack, NPROC, OpenFile, Pid, Proc, Procs, State, TrapFrame, USER_CS, USER_DS,
};
pub use sched::{Futexes, RunQueue, WaitQueue};
