//! echo: prints its arguments, like /bin/echo.
#![no_std]
#![no_main]

use user::{Args, print};

user::main!(main);

fn main(args: Args) -> i32 {
    for (i, a) in args.iter().skip(1).enumerate() {
        print!("{}{a}", if i > 0 { " " } else { "" });
    }
    print!("\n");
    0
}
