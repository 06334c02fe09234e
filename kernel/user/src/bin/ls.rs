//! ls: the names in each directory given (default: the current one, which
//! is always /), sorted, two spaces apart; names starting with a dot are
//! left out, as ls does without -a. A file is listed by its own name.
#![no_std]
#![no_main]

use user::{Args, Errno, errno_name, list_dir, print, println};

user::main!(main);

fn main(args: Args) -> i32 {
    let paths = args.len().max(2) - 1;
    let mut status = 0;
    for i in 1..=paths {
        let path = args.get(i).unwrap_or("/");
        if paths > 1 {
            println!("{}{path}:", if i > 1 { "\n" } else { "" });
        }
        let mut first = true;
        let r = list_dir(path, |name, _| {
            if !name.starts_with('.') {
                print!("{}{name}", if first { "" } else { "  " });
                first = false;
            }
        });
        if r == Errno::ENOTDIR.to_ret() {
            println!("{path}");
        } else if r < 0 {
            println!("ls: {path}: {}", errno_name(r));
            status = 2;
        } else if !first {
            print!("\n");
        }
    }
    status
}
