//! `cargo boot --gdb`: QEMU holds the CPU before its first instruction and
//! waits for gdb on a free local TCP port; a script written for that boot
//! connects gdb to it, loads the kernel's symbols and the helpers in gdb.py
//! (`ps`, `tf`, `fbreak`, `user`), and, if asked, a user program's symbols.

use crate::{BuildOptions, user_program, user_programs};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

/// The helpers, written next to the script so that it can `source` them.
const HELPERS: &str = include_str!("gdb.py");

/// A free TCP port on the loopback interface, for QEMU's gdb stub. (Another
/// program could take it before QEMU starts; QEMU then fails and says why.)
pub fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// QEMU's arguments for the gdb stub: listen on `port` (loopback only) and
/// stop the CPU before its first instruction until gdb says `continue`.
pub fn qemu_args(port: u16) -> Vec<String> {
    vec!["-gdb".into(), format!("tcp:127.0.0.1:{port}"), "-S".into()]
}

/// The host-side copy, with symbols, of a user program: `name` is one of
/// kernel/user/src/bin, or the path of an ELF file.
pub fn find_user_program(opts: &BuildOptions, name: &str) -> Result<PathBuf, String> {
    let programs = user_programs(&opts.root())?;
    if programs.iter().any(|p| p == name) {
        return Ok(user_program(opts, name));
    }
    match Path::new(name).canonicalize() {
        Ok(path) if path.is_file() => Ok(path),
        _ => Err(format!("no user program {name:?}; the programs are: {}", programs.join(", "))),
    }
}

/// Writes `kernel.gdb` and its helpers `kernel-gdb.py` into `dir`, for one
/// boot of `kernel` whose gdb stub listens on `port`; `user` is a program
/// from [`find_user_program`] whose symbols gdb loads too. Returns the
/// script: `gdb -x SCRIPT` does the rest.
pub fn write_script(
    dir: &Path,
    opts: &BuildOptions,
    kernel: &Path,
    port: u16,
    user: Option<&Path>,
) -> Result<PathBuf, String> {
    let helpers = dir.join("kernel-gdb.py");
    let helpers_shown = helpers.display();
    let user_dir = opts.out_dir();
    let mut script = format!(
        "# Written by `cargo boot --gdb` for one boot. Start gdb with: gdb -x {script}\n\
         # The kernel's symbols, and the helpers `help mini-kernel` lists.\n\
         file {kernel:?}\n\
         source {helpers_shown}\n\
         python USER_DIR = {user_dir:?}\n\
         # QEMU's gdb stub: the CPU waits there for `continue`.\n\
         target remote 127.0.0.1:{port}\n",
        script = dir.join("kernel.gdb").display(),
    );
    if let Some(user) = user {
        script += &format!("user {}\n", user.display());
    }
    script +=
        "echo The mini-kernel's helpers: ps, tf, fbreak NAME, user PROGRAM (help mini-kernel)\\n\n";
    let write = |path: &Path, text: &str| {
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    write(&helpers, HELPERS)?;
    let path = dir.join("kernel.gdb");
    write(&path, &script)?;
    Ok(path)
}
