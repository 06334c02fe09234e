//! sh: reads a line, forks, and the child execs the command; the parent waits.
//! `cmd &` runs it in the background: nobody waits for it until `wait`, so it
//! stays a zombie when it ends, and `ps` shows it. `exit` ends the shell with
//! the last command's status, and init powers off with it.
#![no_std]
#![no_main]

use user::{
    Args, DT_REG, Errno, errno_name, execve, exit, fork, list_dir, print, println, read, status,
    wait4,
};

user::main!(main);

const BUILTINS: &str = "help, wait, exit [STATUS]";

fn main(_: Args) -> i32 {
    println!("sh: built in: {BUILTINS}; `cmd &` runs cmd in the background");
    list_commands();
    let mut line = [0u8; 256];
    let mut last = 0;
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
        last = match words[..count] {
            [] => continue,
            ["exit"] => return last,
            ["exit", code] => return code.parse().unwrap_or(2),
            ["help"] => {
                println!("sh: built in: {BUILTINS}");
                list_commands()
            }
            ["wait"] => wait_all(),
            _ => run(&words[..count], background),
        };
    }
}

/// Lists the programs in /bin, read from the directory as `ls` reads it.
fn list_commands() -> i32 {
    print!("sh: commands in /bin:");
    let r = list_dir("/bin", |name, kind| {
        if kind == DT_REG {
            print!(" {name}");
        }
    });
    print!("\n");
    if r < 0 {
        println!("sh: /bin: {}", errno_name(r));
    }
    (r < 0) as i32
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

/// Runs a command; returns its status as `$?` would show it.
fn run(argv: &[&str], background: bool) -> i32 {
    let cmd = argv[0];
    let pid = fork();
    if pid == 0 {
        let mut path = [0u8; 64];
        let err = execve(user::bin_path(cmd, &mut path), argv);
        // As POSIX shells do: 127 when there is no such command, 126 when
        // there is one but it cannot run.
        if err == Errno::ENOENT.to_ret() {
            println!("sh: {cmd}: not found");
            exit(127);
        }
        println!("sh: {cmd}: cannot execute ({})", errno_name(err));
        exit(126);
    }
    if pid < 0 {
        println!("sh: fork: {}", errno_name(pid as i64));
        return 2;
    }
    if background {
        println!("[{pid}]");
        return 0;
    }
    let (_, st) = wait4(pid, 0);
    if status::wifsignaled(st) {
        println!("sh: {cmd}: killed by signal {}", status::wtermsig(st));
        return 128 + status::wtermsig(st);
    }
    status::wexitstatus(st)
}

/// `wait`: reaps every child that is left, background ones included.
fn wait_all() -> i32 {
    loop {
        let (pid, st) = wait4(-1, 0);
        if pid < 0 {
            return 0;
        }
        if status::wifsignaled(st) {
            println!("[{pid}] killed by signal {}", status::wtermsig(st));
        } else {
            println!("[{pid}] done, status {}", status::wexitstatus(st));
        }
    }
}
