//! Open files: the initramfs, read-only, through Linux's `openat`,
//! `getdents64`, `read` and `close`. A task's open files are its
//! `Proc::files`, from descriptor 3 on; 0, 1 and 2 are the console.

use crate::initrd::{ARCHIVE, root};
use crate::state::Kernel;
use crate::syscall::{SysResult, copy_out};
use api::{Errno, OpenFile};
use initramfs::Entry;

const AT_FDCWD: u64 = -100i64 as u64;
const O_ACCMODE: u64 = 3;
const O_DIRECTORY: u64 = 0o200_000;
const O_CLOEXEC: u64 = 0o2_000_000;
/// How many files a task may have open (Linux's default RLIMIT_NOFILE: 1024).
const MAX_FILES: usize = 64;

/// The running task's open file `fd`, and what it is.
fn file(k: &mut Kernel, fd: u64) -> Result<(&mut OpenFile, Entry<'static>), Errno> {
    let slot = k.task().files.get_mut(fd.wrapping_sub(3) as usize).and_then(Option::as_mut);
    let f = slot.ok_or(Errno::EBADF)?;
    let entry = ARCHIVE.by_ino(f.ino).expect("an open file is in the archive");
    Ok((f, entry))
}

// ANCHOR: openat
pub fn sys_openat(k: &mut Kernel, dirfd: u64, path: u64, flags: u64) -> SysResult {
    let (mem, space) = k.user_memory();
    let path = space.read_user_cstr(mem, path, 4095)?;
    // A relative path starts at the directory `dirfd`, or at the current
    // directory, which is always the root.
    let from = match dirfd {
        AT_FDCWD => root(),
        _ if path.starts_with(b"/") => root(),
        _ => file(k, dirfd)?.1,
    };
    let entry = ARCHIVE.walk(from, &path)?;
    if flags & O_ACCMODE != 0 {
        return Err(if entry.is_dir { Errno::EISDIR } else { Errno::EROFS });
    }
    if flags & O_DIRECTORY != 0 && !entry.is_dir {
        return Err(Errno::ENOTDIR);
    }
    // Like Linux, the lowest free descriptor.
    let files = &mut k.task().files;
    let slot = files.iter().position(Option::is_none).unwrap_or(files.len());
    if slot == MAX_FILES {
        return Err(Errno::EMFILE);
    }
    files.resize(files.len().max(slot + 1), None);
    files[slot] = Some(OpenFile { ino: entry.ino, offset: 0, cloexec: flags & O_CLOEXEC != 0 });
    Ok(slot as u64 + 3)
}
// ANCHOR_END: openat

// ANCHOR: getdents64
pub fn sys_getdents64(k: &mut Kernel, fd: u64, buf: u64, len: u64) -> SysResult {
    let (f, dir) = file(k, fd)?;
    let (records, next) = ARCHIVE.dirents(dir, f.offset, len as usize)?;
    copy_out(k, buf, &records)?;
    file(k, fd)?.0.offset = next;
    Ok(records.len() as u64)
}
// ANCHOR_END: getdents64

/// read() from an open file: up to `len` bytes from its offset on.
pub fn read(k: &mut Kernel, fd: u64, buf: u64, len: u64) -> SysResult {
    let (f, entry) = file(k, fd)?;
    if entry.is_dir {
        return Err(Errno::EISDIR);
    }
    let rest = entry.data.get(f.offset as usize..).unwrap_or_default();
    let data = &rest[..rest.len().min(len as usize)];
    copy_out(k, buf, data)?;
    file(k, fd)?.0.offset += data.len() as u64;
    Ok(data.len() as u64)
}

pub fn sys_close(k: &mut Kernel, fd: u64) -> SysResult {
    file(k, fd)?;
    k.task().files[fd as usize - 3] = None;
    Ok(0)
}
