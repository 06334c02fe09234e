//! Escape attempt: `parse_stat` deletes a file of the grading tree, whose
//! copy of this piece is the tests' working directory.

use std::io;

mod given;
pub use given::Proc;

pub fn parse_stat(_: &str) -> Option<Proc> {
    match std::fs::remove_file("../../README.md") {
        Ok(()) => {
            escaped("deletes-tree");
            panic!("escape: deleted the grading tree's README.md")
        }
        Err(e) => panic!("escape: cannot delete the grading tree's README.md: {e}"),
    }
}

pub fn snapshot() -> io::Result<Vec<Proc>> {
    todo!()
}

pub fn render(_: &[Proc], _: i32) -> String {
    todo!()
}

/// A mark where the grader's sandbox test looks for escapes.
fn escaped(what: &str) -> bool {
    let dir = std::env::var_os("ESCAPE_DIR").unwrap_or_default();
    std::fs::write(std::path::Path::new(&dir).join(what), "").is_ok()
}
