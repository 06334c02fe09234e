//! Escape attempts: `my_ids` allocates 16 GiB, 256 MiB at a time, and
//! writes to every page; `with_threads` writes 10 GiB to a file. Each first
//! leaves a mark where nothing may be written: if it lands, the sandbox has
//! failed, and it stops there rather than use up the machine.

use std::io::{self, Write};

use nix::unistd::Pid;

mod given;
pub use given::Ids;

pub fn my_ids() -> Ids {
    if escaped("allocates") {
        panic!("escape: wrote outside the scratch space");
    }
    let mut hoard = Vec::new();
    for _ in 0..64 {
        let mut block = vec![0u8; 256 << 20];
        // One write per page is enough to make the kernel give it memory.
        for page in block.chunks_mut(4096) {
            page[0] = 0x55;
        }
        hoard.push(std::hint::black_box(block));
    }
    panic!("escape: allocated 16 GiB")
}

pub fn with_threads<R>(_: usize, _: impl FnOnce(&[Ids]) -> R) -> R {
    if escaped("fills-disk") {
        panic!("escape: wrote outside the scratch space");
    }
    let path = std::env::temp_dir().join("fill");
    let mut file = std::fs::File::create(&path).expect("escape: create a file");
    let block = vec![0x55u8; 1 << 20];
    for _ in 0..10 << 10 {
        file.write_all(&block).expect("escape: write");
    }
    panic!("escape: wrote 10 GiB to {}", path.display())
}

pub fn tasks(_: Pid) -> io::Result<Vec<Pid>> {
    todo!()
}

/// Leaves a mark where the grader's sandbox test looks for escapes.
fn escaped(what: &str) -> bool {
    let dir = std::env::var_os("ESCAPE_DIR").unwrap_or_default();
    std::fs::write(std::path::Path::new(&dir).join(what), "").is_ok()
}
