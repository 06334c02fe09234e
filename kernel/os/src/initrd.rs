//! The initramfs: a cpio archive ("newc" format, as Linux's initramfs uses)
//! of the user programs, built by the runner and linked into the kernel image.

static ARCHIVE: &[u8] = include_bytes!(env!("INITRD"));

fn hex(field: &[u8]) -> usize {
    field.iter().fold(0, |n, &c| n * 16 + (c as char).to_digit(16).unwrap_or(0) as usize)
}

/// Every file in the archive: (path without a leading '/', contents).
pub fn files() -> impl Iterator<Item = (&'static str, &'static [u8])> {
    let mut at = 0;
    core::iter::from_fn(move || {
        let h = ARCHIVE.get(at..at + 110)?;
        if &h[..6] != b"070701" {
            return None;
        }
        let (size, namesize) = (hex(&h[54..62]), hex(&h[94..102]));
        let name = core::str::from_utf8(&ARCHIVE[at + 110..at + 110 + namesize - 1]).ok()?;
        let data_at = (at + 110 + namesize).next_multiple_of(4);
        at = (data_at + size).next_multiple_of(4);
        (name != "TRAILER!!!").then(|| (name, &ARCHIVE[data_at..data_at + size]))
    })
}

/// The file at an absolute `path`, like a path lookup in a real file system.
pub fn lookup(path: &[u8]) -> Option<&'static [u8]> {
    let path = path.strip_prefix(b"/")?;
    files().find(|(name, _)| name.as_bytes() == path).map(|(_, data)| data)
}
