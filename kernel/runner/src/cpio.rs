//! Packs files into a cpio archive in the "newc" format Linux's initramfs uses.

const DIRECTORY: u32 = 0o040_755;
const EXECUTABLE: u32 = 0o100_755;

fn header(out: &mut Vec<u8>, ino: usize, mode: u32, name: &str, size: usize) {
    let nlink = if mode == DIRECTORY { 2 } else { 1 };
    let fields = [ino, mode as usize, 0, 0, nlink, 0, size, 0, 0, 0, 0, name.len() + 1, 0];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08x}").as_bytes());
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

/// Packs `files` (paths like "bin/echo", all executable) in the order given.
/// Like `find . | cpio -o -H newc`, it lists the directories too, each one
/// before the files in it, starting with the root, ".": the kernel lists a
/// directory by finding the entries whose parent it is.
pub fn pack(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut entries: Vec<(&str, u32, &[u8])> = vec![(".", DIRECTORY, &[])];
    for (name, data) in files {
        for (slash, _) in name.match_indices('/') {
            if !entries.iter().any(|e| e.0 == &name[..slash]) {
                entries.push((&name[..slash], DIRECTORY, &[]));
            }
        }
        entries.push((name, EXECUTABLE, data));
    }
    let mut out = Vec::new();
    for (i, (name, mode, data)) in entries.into_iter().enumerate() {
        header(&mut out, i + 1, mode, name, data.len());
        out.extend_from_slice(data);
        pad(&mut out);
    }
    header(&mut out, 0, 0, "TRAILER!!!", 0);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn newc_layout_with_the_directories_first() {
        let a = super::pack(&[("init".into(), b"i".to_vec()), ("bin/x".into(), b"abc".to_vec())]);
        let names: Vec<&[u8]> = a
            .windows(6)
            .enumerate()
            .filter(|(_, w)| *w == b"070701")
            .map(|(at, _)| {
                let size =
                    usize::from_str_radix(std::str::from_utf8(&a[at + 94..at + 102]).unwrap(), 16);
                &a[at + 110..at + 110 + size.unwrap() - 1]
            })
            .collect();
        assert_eq!(names, [&b"."[..], b"init", b"bin", b"bin/x", b"TRAILER!!!"]);
        let bin = a.windows(4).position(|w| w == b"bin\0").unwrap() - 110;
        assert_eq!(&a[bin + 14..bin + 22], b"000041ed", "bin is a directory (040755)");
        let x = a.windows(6).position(|w| w == b"bin/x\0").unwrap();
        assert_eq!(&a[x + 6..x + 9], b"abc"); // 110 + 6 = 116 is already 4-aligned
        assert_eq!(a.len() % 4, 0);
    }
}
