//! sh: reads a line, forks, and the child execs the command; the parent waits.
//! A trailing `&` skips the wait, so you can watch zombies with `ps`.
#![no_std]
#![no_main]

use user::{Args, execve, exit, fork, print, println, read, status, wait4};

user::main!(main);

fn main(_: Args) -> i32 {
    println!("sh: type a command (ls: echo, ps, pstree, ...); exit to leave");
    let mut line = [0u8; 256];
    loop {
        print!("$ ");
        let n = read_line(&mut line);
        let text = core::str::from_utf8(&line[..n]).unwrap_or("").trim();
        let (text, background) = match text.strip_suffix('&') {
            Some(t) => (t.trim(), true),
            None => (text, false),
        };
        let mut words = [""; 16];
        let count =
            text.split_whitespace().zip(words.iter_mut()).map(|(w, slot)| *slot = w).count();
        match words[0] {
            "" => continue,
            "exit" => return 0,
            cmd => run(cmd, &words[..count], background),
        }
    }
}

fn read_line(buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        let mut c = [0u8];
        if read(0, &mut c) <= 0 || c[0] == b'\n' {
            print!("\n");
            break;
        }
        print!("{}", c[0] as char);
        buf[n] = c[0];
        n += 1;
    }
    n
}

fn run(cmd: &str, argv: &[&str], background: bool) {
    let pid = fork();
    if pid == 0 {
        let mut path = [0u8; 64];
        let err = execve(user::bin_path(cmd, &mut path), argv);
        println!("sh: {cmd}: {}", user::errno_name(err));
        exit(127);
    }
    if pid < 0 {
        println!("sh: fork: {}", user::errno_name(pid as i64));
        return;
    }
    if background {
        println!("[{pid}]");
        return;
    }
    let (_, st) = wait4(pid, 0);
    if status::wifsignaled(st) {
        println!("sh: {cmd}: killed by signal {}", status::wtermsig(st));
    }
}
