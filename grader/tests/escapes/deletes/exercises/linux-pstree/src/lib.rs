//! Escape attempts: `parse_stat` deletes a file of the grading tree, whose
//! copy of this piece is the tests' working directory; `render` deletes a
//! file in `$HOME`.

use std::io;
use std::path::{Path, PathBuf};

mod given;
pub use given::Proc;

fn delete(path: &Path, what: &str) -> ! {
    match std::fs::remove_file(path) {
        Ok(()) => {
            // The grader restores its tree for the next student: say it.
            let dir = std::env::var_os("ESCAPE_DIR").unwrap_or_default();
            let _ = std::fs::write(Path::new(&dir).join(what), "");
            panic!("escape: deleted {}", path.display())
        }
        Err(e) => panic!("escape: cannot delete {}: {e}", path.display()),
    }
}

pub fn parse_stat(_: &str) -> Option<Proc> {
    delete(Path::new("../../README.md"), "deletes-tree")
}

pub fn snapshot() -> io::Result<Vec<Proc>> {
    todo!()
}

pub fn render(_: &[Proc], _: i32) -> String {
    let home = PathBuf::from(std::env::var_os("HOME").expect("HOME"));
    delete(&home.join("precious"), "deletes-home")
}
