//! badexec: execve of files that are not programs fails, and the caller
//! carries on unharmed.
#![no_std]
#![no_main]

use user::{Args, errno_name, execve, getpid, println};

user::main!(main);

fn main(_: Args) -> i32 {
    for path in ["/bin/garbage", "/bin/truncated", "/bin/no-such-file"] {
        let r = execve(path, &[path]);
        println!("badexec: execve {path}: {}", errno_name(r));
    }
    println!("badexec: still running as pid {}", getpid());
    0
}
