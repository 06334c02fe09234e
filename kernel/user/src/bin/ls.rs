//! ls: the names in each directory given (default: the current one, which
//! is always /), in the order getdents64 returns them, as `ls -U` prints
//! them; names starting with a dot are left out, as ls does without -a.
#![no_std]
#![no_main]

use user::{Args, Errno, close, errno_name, open_dir, print, println, read_dir};

user::main!(main);

fn main(args: Args) -> i32 {
    let mut failed = 0;
    let dirs = args.len().max(2) - 1;
    for i in 1..=dirs {
        let dir = args.get(i).unwrap_or("/");
        if dirs > 1 {
            println!("{}{dir}:", if i > 1 { "\n" } else { "" });
        }
        failed |= list(dir);
    }
    failed
}

fn list(dir: &str) -> i32 {
    let fd = open_dir(dir);
    if fd == Errno::ENOTDIR.to_ret() {
        println!("{dir}"); // a file: ls names it
        return 0;
    }
    if fd < 0 {
        println!("ls: {dir}: {}", errno_name(fd));
        return 2;
    }
    let mut first = true;
    let r = read_dir(fd as i32, |name, _| {
        if !name.starts_with('.') {
            print!("{}{name}", if first { "" } else { "  " });
            first = false;
        }
    });
    print!("\n");
    close(fd as i32);
    if r < 0 {
        println!("ls: {dir}: {}", errno_name(r));
        return 2;
    }
    0
}
