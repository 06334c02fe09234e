//! The initramfs: the user programs, which the runner packs into a cpio
//! archive in the format Linux's initramfs uses (the `initramfs` crate), and
//! the kernel links into its image. It is the kernel's only file system,
//! read-only.

use api::Errno;
use initramfs::{Archive, Entry};

pub static ARCHIVE: Archive = Archive::new(include_bytes!(env!("INITRD")));

/// The root directory: where absolute paths start, and relative ones too,
/// since it is every task's current directory.
pub fn root() -> Entry<'static> {
    ARCHIVE.root().expect("the initramfs has no root directory")
}

/// The program file at `path`, for execve: like Linux, `EACCES` for a directory.
pub fn lookup(path: &[u8]) -> Result<&'static [u8], Errno> {
    let entry = ARCHIVE.walk(root(), path)?;
    if entry.is_dir { Err(Errno::EACCES) } else { Ok(entry.data) }
}
