//! Escape attempt: `parse_stat` opens a TCP connection to this machine's
//! address on its network, where the grader's sandbox test listens.

use std::io;
use std::net::TcpStream;
use std::time::Duration;

mod given;
pub use given::Proc;

pub fn parse_stat(_: &str) -> Option<Proc> {
    let port = std::env::var("ESCAPE_PORT").expect("ESCAPE_PORT");
    let to = format!("{}:{port}", std::env::var("ESCAPE_ADDR").expect("ESCAPE_ADDR"));
    let addr = to.parse().expect("an address");
    match TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
        Ok(_) => {
            escaped("connects-out");
            panic!("escape: connected to {to}")
        }
        Err(e) => panic!("escape: cannot connect to {to}: {e}"),
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
