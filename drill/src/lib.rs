//! Drills: seeded problems about processes, each with a solver that checks
//! the reader's answer and explains the right one. The same seed always
//! gives the same problem, so a reader can come back to one, and the
//! reality tests (tests/reality.rs) can check the solvers against Linux.

pub mod cow;
pub mod fork_tree;
pub mod rng;
pub mod states;
pub mod wait_order;
