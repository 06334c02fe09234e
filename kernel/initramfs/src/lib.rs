//! The initramfs: a cpio archive in the "newc" format that Linux's initramfs
//! uses. The runner packs the user programs into one, and the kernel links
//! it into its image and reads it as its only file system: read-only, with
//! Linux's path walk and Linux's directory records (`getdents64`).
//!
//! Like an archive made with `find . | cpio -o -H newc`, it lists every
//! directory as an entry of its own, before the files in it, starting with
//! the root, ".".
#![no_std]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use api::Errno;

/// A file or a directory in an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The path from the root, without a leading '/': "bin/echo"; the root is ".".
    pub name: &'a str,
    /// Its inode number: unique within the archive.
    pub ino: u64,
    pub is_dir: bool,
    /// A file's contents (a directory has none).
    pub data: &'a [u8],
}

impl<'a> Entry<'a> {
    /// The last part of the name: "echo" for "bin/echo".
    pub fn base(&self) -> &'a str {
        self.name.rsplit('/').next().unwrap_or(self.name)
    }

    /// The name of the directory that holds it; the root holds itself.
    fn dir_name(&self) -> &'a str {
        self.name.rsplit_once('/').map_or(".", |(dir, _)| dir)
    }
}

const MAGIC: &[u8] = b"070701";
const HEADER: usize = 110;
/// The file-type bits of a mode (S_IFMT), and their values for a directory
/// and a regular file.
const S_IFMT: u32 = 0o170_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFREG: u32 = 0o100_000;
const TRAILER: &str = "TRAILER!!!";

/// An archive, read in place.
#[derive(Clone, Copy)]
pub struct Archive<'a> {
    bytes: &'a [u8],
}

impl<'a> Archive<'a> {
    pub const fn new(bytes: &'a [u8]) -> Archive<'a> {
        Archive { bytes }
    }

    /// Every entry, in the archive's order. A damaged archive simply ends early.
    pub fn entries(self) -> impl Iterator<Item = Entry<'a>> {
        let bytes = self.bytes;
        let mut at: usize = 0;
        core::iter::from_fn(move || {
            let h = bytes.get(at..at.checked_add(HEADER)?)?;
            // The 13 fields after the magic are 8 hex digits each.
            let field = |i: usize| {
                u32::from_str_radix(core::str::from_utf8(&h[6 + 8 * i..][..8]).ok()?, 16).ok()
            };
            if &h[..6] != MAGIC {
                return None;
            }
            let (ino, mode, size, namesize) =
                (field(0)?, field(1)?, field(6)? as usize, field(11)? as usize);
            let name_at = at + HEADER;
            let name = bytes.get(name_at..name_at + namesize.checked_sub(1)?)?;
            let data_at = (name_at + namesize).next_multiple_of(4);
            let data = bytes.get(data_at..data_at.checked_add(size)?)?;
            at = (data_at + size).next_multiple_of(4);
            let name = core::str::from_utf8(name).ok()?;
            let is_dir = mode & S_IFMT == S_IFDIR;
            (name != TRAILER).then_some(Entry { name, ino: ino as u64, is_dir, data })
        })
    }

    pub fn root(self) -> Option<Entry<'a>> {
        self.entries().find(|e| e.name == ".")
    }

    /// The entry with inode number `ino`.
    pub fn by_ino(self, ino: u64) -> Option<Entry<'a>> {
        self.entries().find(|e| e.ino == ino)
    }

    /// The directory that holds `entry`; the root is its own parent, as on Linux.
    pub fn parent(self, entry: Entry<'a>) -> Entry<'a> {
        let dir = entry.dir_name();
        self.entries().find(|e| e.name == dir).unwrap_or(entry)
    }

    /// What the directory `dir` holds, in the archive's order.
    pub fn children(self, dir: Entry<'a>) -> impl Iterator<Item = Entry<'a>> {
        self.entries().filter(move |e| e.name != "." && e.dir_name() == dir.name)
    }

    // ANCHOR: walk
    /// Linux's path walk: `path` one component at a time, from `from`, or
    /// from the root if the path starts with '/'. "." stays, ".." goes up.
    pub fn walk(self, from: Entry<'a>, path: &[u8]) -> Result<Entry<'a>, Errno> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        let mut at = match path[0] {
            b'/' => self.root().ok_or(Errno::ENOENT)?,
            _ => from,
        };
        for part in path.split(|&c| c == b'/').filter(|p| !p.is_empty()) {
            if !at.is_dir {
                return Err(Errno::ENOTDIR);
            }
            at = match part {
                b"." => at,
                b".." => self.parent(at),
                _ => {
                    self.children(at).find(|e| e.base().as_bytes() == part).ok_or(Errno::ENOENT)?
                }
            };
        }
        // "dir/" must name a directory.
        if path.ends_with(b"/") && !at.is_dir {
            return Err(Errno::ENOTDIR);
        }
        Ok(at)
    }
    // ANCHOR_END: walk

    // ANCHOR: dirents
    /// `getdents64`: the records of directory `dir` from record number
    /// `offset` on (".", "..", then what it holds), as many as fit in `len`
    /// bytes. Returns them and the offset to go on from; no records at all
    /// means the end. Each is a `struct linux_dirent64`: `d_ino`, `d_off`
    /// (the next record's offset), `d_reclen`, `d_type`, then `d_name` and
    /// a NUL, padded to a multiple of 8 bytes.
    pub fn dirents(self, dir: Entry<'a>, offset: u64, len: usize) -> Result<(Vec<u8>, u64), Errno> {
        if !dir.is_dir {
            return Err(Errno::ENOTDIR);
        }
        let dots = [(dir.ino, ".", true), (self.parent(dir).ino, "..", true)];
        let inside = self.children(dir).map(|e| (e.ino, e.base(), e.is_dir));
        let (mut out, mut next) = (Vec::new(), offset);
        for (ino, name, is_dir) in dots.into_iter().chain(inside).skip(offset as usize) {
            let (at, reclen) = (out.len(), (19 + name.len() + 1).next_multiple_of(8));
            if at + reclen > len {
                if at == 0 {
                    return Err(Errno::EINVAL); // not even one record fits
                }
                break;
            }
            next += 1;
            out.extend_from_slice(&ino.to_le_bytes());
            out.extend_from_slice(&next.to_le_bytes());
            out.extend_from_slice(&(reclen as u16).to_le_bytes());
            out.push(if is_dir { DT_DIR } else { DT_REG });
            out.extend_from_slice(name.as_bytes());
            out.resize(at + reclen, 0);
        }
        Ok((out, next))
    }
    // ANCHOR_END: dirents
}

/// `d_type` of a directory and of a regular file.
pub const DT_DIR: u8 = 4;
pub const DT_REG: u8 = 8;

/// Packs `files` (paths like "bin/echo", executable files all) in the order
/// given, each directory before the files in it, the root first.
pub fn pack(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut entries: Vec<(&str, u32, &[u8])> = alloc::vec![(".", S_IFDIR | 0o755, &[][..])];
    for (name, data) in files {
        for (slash, _) in name.match_indices('/') {
            if !entries.iter().any(|e| e.0 == &name[..slash]) {
                entries.push((&name[..slash], S_IFDIR | 0o755, &[]));
            }
        }
        entries.push((name, S_IFREG | 0o755, data));
    }
    let mut out = Vec::new();
    for (i, (name, mode, data)) in entries.into_iter().enumerate() {
        header(&mut out, i + 1, mode, name, data.len());
        out.extend_from_slice(data);
        pad(&mut out);
    }
    header(&mut out, 0, 0, TRAILER, 0);
    out
}

fn header(out: &mut Vec<u8>, ino: usize, mode: u32, name: &str, size: usize) {
    let nlink = if mode & S_IFMT == S_IFDIR { 2 } else { 1 };
    let fields = [ino, mode as usize, 0, 0, nlink, 0, size, 0, 0, 0, 0, name.len() + 1, 0];
    out.extend_from_slice(MAGIC);
    for f in fields {
        out.extend_from_slice(alloc::format!("{f:08x}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad(out);
}

fn pad(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}
