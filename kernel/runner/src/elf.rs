//! Strips a user program for the initramfs.

use goblin::elf::{Elf, program_header::PT_LOAD};

/// Cuts a static ELF64 executable down to what exec reads: the ELF header,
/// the program headers and the loaded segments, which come first in the
/// file. What follows (debug info, the symbol table, the section headers)
/// is for debuggers, so the header's section-header fields are cleared too.
/// The host keeps the full copy.
pub fn strip(elf: &mut Vec<u8>) -> Result<(), String> {
    let parsed = Elf::parse(elf).map_err(|e| e.to_string())?;
    let h = &parsed.header;
    let mut end = h.e_phoff + h.e_phnum as u64 * h.e_phentsize as u64;
    for ph in parsed.program_headers.iter().filter(|ph| ph.p_type == PT_LOAD) {
        end = end.max(ph.p_offset.checked_add(ph.p_filesz).ok_or("segment size overflows")?);
    }
    if end > elf.len() as u64 || !parsed.is_64 || !parsed.little_endian {
        return Err("not a well-formed little-endian ELF64 file".into());
    }
    elf.truncate(end as usize);
    elf[0x28..0x30].fill(0); // e_shoff
    elf[0x3c..0x40].fill(0); // e_shnum, e_shstrndx
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_loaded_segments_and_drops_the_symbols() {
        // This test program is an ELF64 file with symbols and section headers.
        let full = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let mut stripped = full.clone();
        strip(&mut stripped).unwrap();
        assert!(stripped.len() < full.len());
        let (before, after) = (Elf::parse(&full).unwrap(), Elf::parse(&stripped).unwrap());
        assert!(!before.section_headers.is_empty() && after.section_headers.is_empty());
        assert_eq!(before.program_headers, after.program_headers);
        // Every loaded byte is kept, but for the cleared header fields.
        let mut expected = full.clone();
        expected[0x28..0x30].fill(0);
        expected[0x3c..0x40].fill(0);
        for ph in after.program_headers.iter().filter(|ph| ph.p_type == PT_LOAD) {
            let range = ph.file_range();
            assert_eq!(stripped[range.clone()], expected[range]);
        }
    }

    #[test]
    fn refuses_what_is_not_an_elf_file() {
        assert!(strip(&mut b"#!this is not an ELF file\n".to_vec()).is_err());
        let mut cut = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        cut.truncate(200);
        assert!(strip(&mut cut).is_err());
    }
}
