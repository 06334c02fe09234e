//! The initramfs comes from the boot loader: QEMU's `-initrd`, a PVH module.
//! Without one, or with one that is not an archive, the kernel says so and
//! powers off with status 1; `BuildOptions::add` puts files into it.

use runner::{BootOptions, BuildOptions, Outcome, boot, build, initramfs_of};
use std::path::Path;

fn boot_with(kernel: &Path, command: &str) -> runner::Run {
    let run = boot(kernel, &BootOptions::command(command)).expect("QEMU did not start");
    println!("--- serial output of `{command}` ---\n{}--- {:?}", run.serial, run.outcome);
    run
}

/// The default kernel, copied to a fresh directory with `initramfs` (or none) beside it.
fn kernel_with(initramfs: Option<&[u8]>) -> (tempdir::Dir, std::path::PathBuf) {
    let built = build(&BuildOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempdir::Dir::new();
    let kernel = dir.0.join("kernel");
    std::fs::copy(&built, &kernel).unwrap();
    if let Some(bytes) = initramfs {
        std::fs::write(initramfs_of(&kernel), bytes).unwrap();
    }
    (dir, kernel)
}

#[test]
fn without_an_initramfs_the_kernel_says_so_and_fails_cleanly() {
    let (_dir, kernel) = kernel_with(None);
    let r = boot_with(&kernel, "echo hi");
    assert!(r.serial.contains("kernel: no initramfs: the boot loader passed no module"));
    assert_eq!(r.outcome, Outcome::Exited(1));
    let command = "qemu-system-x86_64 -kernel kernel -append '-- echo hi'  # and no -initrd";
    transcripts::check("boot-no-initramfs", &runner::session(command, &r));
}

#[test]
fn a_malformed_initramfs_is_refused_cleanly() {
    for bad in [&b"this is not a cpio archive\n"[..], &initramfs::pack(&[])] {
        let (_dir, kernel) = kernel_with(Some(bad));
        let r = boot_with(&kernel, "echo hi");
        let line = format!("kernel: bad initramfs ({} bytes): not a cpio newc archive", bad.len());
        assert!(r.serial.contains(&line), "{}", r.serial);
        assert_eq!(r.outcome, Outcome::Exited(1));
    }
}

#[test]
fn added_files_land_in_bin_and_run() {
    let plain = BuildOptions::default();
    let echo = runner::user_program(&plain, "echo");
    build(&plain).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempdir::Dir::new();
    let greet = dir.0.join("greet");
    std::fs::copy(&echo, &greet).unwrap();
    let opts = BuildOptions { add: vec![greet], ..Default::default() };
    let kernel = build(&opts).unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(kernel, build(&plain).unwrap(), "a build with added files has its own kernel");
    let r = boot_with(&kernel, "greet added by cargo boot --add");
    assert!(r.serial.contains("\nadded by cargo boot --add\n"), "{}", r.serial);
    assert_eq!(r.outcome, Outcome::Exited(0));
    // The plain build's initramfs has no such program.
    let r = boot_with(&build(&plain).unwrap(), "greet hi");
    assert!(r.serial.contains("init: cannot run greet: ENOENT"), "{}", r.serial);
}

/// A temporary directory, removed when dropped.
mod tempdir {
    pub struct Dir(pub std::path::PathBuf);

    impl Dir {
        pub fn new() -> Dir {
            let out = std::process::Command::new("mktemp").arg("-d").output().unwrap();
            Dir(String::from_utf8(out.stdout).unwrap().trim().into())
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
