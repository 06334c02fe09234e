//! Escape attempt: `my_ids` allocates 16 GiB, 256 MiB at a time, and writes
//! to every page of it. At 4 GiB, twice what the sandbox allows, it stops and
//! leaves a mark instead: the sandbox has failed.

use std::io;

use nix::unistd::Pid;

mod given;
pub use given::Ids;

pub fn my_ids() -> Ids {
    let mut hoard = Vec::new();
    for chunk in 1..=64 {
        let mut block = vec![0u8; 256 << 20];
        // One write per page is enough to make the kernel give it memory.
        for page in block.chunks_mut(4096) {
            page[0] = 0x55;
        }
        hoard.push(std::hint::black_box(block));
        if chunk == 16 {
            escaped("allocates");
            panic!("escape: allocated 4 GiB");
        }
    }
    unreachable!()
}

pub fn with_threads<R>(_: usize, _: impl FnOnce(&[Ids]) -> R) -> R {
    todo!()
}

pub fn tasks(_: Pid) -> io::Result<Vec<Pid>> {
    todo!()
}

/// A mark where the grader's sandbox test looks for escapes.
fn escaped(what: &str) -> bool {
    let dir = std::env::var_os("ESCAPE_DIR").unwrap_or_default();
    std::fs::write(std::path::Path::new(&dir).join(what), "").is_ok()
}
