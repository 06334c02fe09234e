//! Escape attempt: `parse_stat` deletes a file in `$HOME`.

use std::io;

mod given;
pub use given::Proc;

pub fn parse_stat(_: &str) -> Option<Proc> {
    let home = std::env::var_os("HOME").expect("HOME");
    match std::fs::remove_file(std::path::Path::new(&home).join("precious")) {
        Ok(()) => {
            escaped("deletes-home");
            panic!("escape: deleted $HOME/precious")
        }
        Err(e) => panic!("escape: cannot delete $HOME/precious: {e}"),
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
