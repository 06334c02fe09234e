//! true: does nothing, successfully, like /bin/true. Run in the background
//! (`true &`), it leaves a zombie for `ps` to show until the shell waits.
#![no_std]
#![no_main]

use user::Args;

user::main!(main);

fn main(_: Args) -> i32 {
    0
}
