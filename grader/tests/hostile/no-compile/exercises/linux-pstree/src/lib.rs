//! Hostile submission: does not compile.

pub fn depth() -> u32 {
    "not a number"
}
