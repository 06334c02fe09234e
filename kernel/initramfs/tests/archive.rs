//! The archive as the runner packs it and the kernel reads it: paths walked
//! and directories listed as Linux would.

use api::Errno;
use initramfs::{Archive, DT_DIR, DT_REG, Entry, pack};

fn archive() -> Vec<u8> {
    let file = |name: &str, data: &str| (name.to_string(), data.as_bytes().to_vec());
    pack(&[
        file("init", "i"),
        file("bin/echo", "echo!"),
        file("bin/sh", "sh"),
        file("etc/motd", "hi"),
    ])
}

fn walk<'a>(a: Archive<'a>, path: &str) -> Result<Entry<'a>, Errno> {
    a.walk(a.root().unwrap(), path.as_bytes())
}

/// The records of a `getdents64` buffer: (d_ino, d_off, d_type, d_name).
fn records(buf: &[u8]) -> Vec<(u64, u64, u8, String)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let word = |i: usize| u64::from_le_bytes(buf[at + i..at + i + 8].try_into().unwrap());
        let reclen = u16::from_le_bytes([buf[at + 16], buf[at + 17]]) as usize;
        assert_eq!(reclen % 8, 0, "records are 8-byte aligned");
        let name = &buf[at + 19..at + reclen];
        let name = String::from_utf8(name[..name.iter().position(|&b| b == 0).unwrap()].to_vec());
        out.push((word(0), word(8), buf[at + 18], name.unwrap()));
        at += reclen;
    }
    out
}

#[test]
fn directories_come_before_their_files_and_the_root_first() {
    let bytes = archive();
    let names: Vec<&str> = Archive::new(&bytes).entries().map(|e| e.name).collect();
    assert_eq!(names, [".", "init", "bin", "bin/echo", "bin/sh", "etc", "etc/motd"]);
    let inos: Vec<u64> = Archive::new(&bytes).entries().map(|e| e.ino).collect();
    assert_eq!(inos, [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(bytes.len() % 4, 0);
}

#[test]
fn paths_are_walked_like_linux() {
    let bytes = archive();
    let a = Archive::new(&bytes);
    assert_eq!(walk(a, "/bin/echo").unwrap().data, b"echo!");
    for same in [
        "/bin/echo",
        "bin/echo",
        "//bin///echo",
        "/./bin/./echo",
        "/bin/../bin/echo",
        "/../bin/echo",
    ] {
        assert_eq!(walk(a, same).unwrap().name, "bin/echo", "{same}");
    }
    assert_eq!(walk(a, "/").unwrap().name, ".");
    assert_eq!(walk(a, "/bin/").unwrap().name, "bin");
    assert_eq!(walk(a, "..").unwrap().name, ".", "the root is its own parent");
    let bin = walk(a, "/bin").unwrap();
    assert_eq!(a.walk(bin, b"sh").unwrap().name, "bin/sh", "relative to a directory");
    assert_eq!(a.walk(bin, b"/init").unwrap().name, "init", "absolute ignores it");
    assert_eq!(walk(a, "/nosuch"), Err(Errno::ENOENT));
    assert_eq!(walk(a, "/bin/nosuch/x"), Err(Errno::ENOENT));
    assert_eq!(walk(a, "/init/x"), Err(Errno::ENOTDIR));
    assert_eq!(walk(a, "/init/"), Err(Errno::ENOTDIR));
    assert_eq!(walk(a, ""), Err(Errno::ENOENT));
}

#[test]
fn a_directory_lists_dot_dotdot_and_what_it_holds() {
    let bytes = archive();
    let a = Archive::new(&bytes);
    let (buf, next) = a.dirents(walk(a, "/bin").unwrap(), 0, 4096).unwrap();
    let expected =
        [(3, 1, DT_DIR, "."), (1, 2, DT_DIR, ".."), (4, 3, DT_REG, "echo"), (5, 4, DT_REG, "sh")];
    let expected: Vec<_> = expected.iter().map(|&(i, o, t, n)| (i, o, t, n.to_string())).collect();
    assert_eq!(records(&buf), expected);
    assert_eq!(next, 4);
    assert_eq!(a.dirents(walk(a, "/bin").unwrap(), next, 4096).unwrap(), (vec![], 4), "the end");
    let root: Vec<String> = records(&a.dirents(a.root().unwrap(), 0, 4096).unwrap().0)
        .into_iter()
        .map(|r| r.3)
        .collect();
    assert_eq!(root, [".", "..", "init", "bin", "etc"]);
}

#[test]
fn a_small_buffer_gets_what_fits_and_the_next_call_goes_on() {
    let bytes = archive();
    let a = Archive::new(&bytes);
    let bin = walk(a, "/bin").unwrap();
    // "." and ".." take 24 bytes each, "echo" 24: room for two records.
    let (buf, next) = a.dirents(bin, 0, 50).unwrap();
    assert_eq!((buf.len(), next), (48, 2));
    let rest: Vec<String> =
        records(&a.dirents(bin, next, 50).unwrap().0).into_iter().map(|r| r.3).collect();
    assert_eq!(rest, ["echo", "sh"]);
    assert_eq!(a.dirents(bin, 0, 23), Err(Errno::EINVAL), "not even one record fits");
    assert_eq!(a.dirents(walk(a, "/init").unwrap(), 0, 4096), Err(Errno::ENOTDIR));
}

#[test]
fn a_damaged_archive_ends_early_instead_of_panicking() {
    let bytes = archive();
    for cut in 0..bytes.len() {
        let a = Archive::new(&bytes[..cut]);
        assert!(a.entries().count() <= 7);
        let _ = a.root().map(|r| a.dirents(r, 0, 4096));
    }
    let mut garbage = bytes.clone();
    garbage[6..14].copy_from_slice(b"zzzzzzzz");
    assert_eq!(Archive::new(&garbage).entries().count(), 0);
}
