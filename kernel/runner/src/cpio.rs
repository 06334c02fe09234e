//! Packs files into a cpio archive in the "newc" format Linux's initramfs uses.

fn header(out: &mut Vec<u8>, ino: usize, mode: u32, name: &str, size: usize) {
    let fields = [ino, mode as usize, 0, 0, 1, 0, size, 0, 0, 0, 0, name.len() + 1, 0];
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

pub fn pack(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (name, data)) in files.iter().enumerate() {
        header(&mut out, i + 1, 0o100755, name, data.len());
        out.extend_from_slice(data);
        pad(&mut out);
    }
    header(&mut out, 0, 0, "TRAILER!!!", 0);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn newc_layout() {
        let a = super::pack(&[("bin/x".into(), b"abc".to_vec())]);
        assert_eq!(&a[..6], b"070701");
        assert_eq!(&a[110..116], b"bin/x\0");
        assert_eq!(&a[116..119], b"abc"); // 110 + 6 = 116 is already 4-aligned
        assert_eq!(a.len() % 4, 0);
        assert!(a.windows(10).any(|w| w == b"TRAILER!!!"));
    }
}
