//! Escape attempt: `my_ids` writes 10 GiB to a file. First it writes a
//! mark where nothing may be written: if that lands, the sandbox has
//! failed, and it stops there rather than fill the disk.

use std::io::{self, Write};

use nix::unistd::Pid;

mod given;
pub use given::Ids;

pub fn my_ids() -> Ids {
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
