//! The initramfs: a cpio archive in the format Linux's initramfs uses (the
//! `initramfs` crate), which the boot loader hands over as a module, as GRUB
//! hands Linux its initrd. The runner packs it; QEMU passes it with `-initrd`.
//! It is the kernel's only file system, read-only.

use crate::boot::phys_to_virt;
use crate::{console, kprintln, pvh::StartInfo};
use api::Errno;
use initramfs::{Archive, Entry};

/// The archive the boot loader left in memory (memory::init keeps its frames).
/// With none, or no root and `/init` in it, there is nothing to run: status 1.
pub fn load(info: &StartInfo) -> Archive<'static> {
    let Some(range) = info.initrd() else {
        kprintln!("kernel: no initramfs: the boot loader passed no module (QEMU: -initrd FILE)");
        console::power_off(1)
    };
    // SAFETY: the module's bytes in the direct map, reserved for good, never written.
    let bytes = unsafe {
        core::slice::from_raw_parts(phys_to_virt(range.start), (range.end - range.start) as usize)
    };
    let archive = Archive::new(bytes);
    if archive.root().is_none() || lookup(archive, b"/init").is_err() {
        kprintln!(
            "kernel: bad initramfs ({} bytes): not a cpio newc archive with /init",
            bytes.len()
        );
        console::power_off(1)
    }
    archive
}

/// The root directory: where absolute paths start, and relative ones too,
/// since it is every task's current directory.
pub fn root(archive: Archive<'static>) -> Entry<'static> {
    archive.root().expect("load checked the root directory")
}

/// The program file at `path`, for execve: like Linux, `EACCES` for a directory.
pub fn lookup(archive: Archive<'static>, path: &[u8]) -> Result<&'static [u8], Errno> {
    let entry = archive.walk(root(archive), path)?;
    if entry.is_dir { Err(Errno::EACCES) } else { Ok(entry.data) }
}
