//! A small ELF writer for the tests. Each test states the headers and the
//! segments it wants, sensible or not, and gets the bytes of the file; the
//! writer checks nothing, so broken files are as easy to make as good ones.

#![allow(dead_code)]

pub const ET_REL: u16 = 1;
pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;
pub const EM_386: u16 = 3;
pub const EM_X86_64: u16 = 62;
pub const EM_AARCH64: u16 = 183;
pub const ELFCLASS32: u8 = 1;
pub const ELFCLASS64: u8 = 2;
pub const ELFDATA2LSB: u8 = 1;
pub const ELFDATA2MSB: u8 = 2;

pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;
pub const PT_PHDR: u32 = 6;
pub const PT_GNU_STACK: u32 = 0x6474_e551;
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;

/// `sizeof(Elf64_Ehdr)` and `sizeof(Elf64_Phdr)`.
pub const EHDR64: u64 = 64;
pub const PHDR64: u64 = 56;

/// One program header, as it will be written.
#[derive(Debug, Clone, Copy)]
pub struct Phdr {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
}

/// An ELF file under construction. The header fields are public so a test
/// can spoil exactly one of them.
#[derive(Debug, Clone)]
pub struct ElfFile {
    pub class: u8,
    pub data: u8,
    pub e_type: u16,
    pub machine: u16,
    pub entry: u64,
    /// Where the program headers go; right after the ELF header by default.
    pub phoff: u64,
    /// `None` writes the true size of a program header for the class.
    pub phentsize: Option<u16>,
    /// `None` writes the true number of program headers.
    pub phnum: Option<u16>,
    pub phdrs: Vec<Phdr>,
    /// Bytes placed at file offsets before the headers are written over them.
    pub contents: Vec<(u64, Vec<u8>)>,
}

impl ElfFile {
    /// A static x86_64 executable starting at `entry`, with no segments yet.
    pub fn exec(entry: u64) -> ElfFile {
        ElfFile {
            class: ELFCLASS64,
            data: ELFDATA2LSB,
            e_type: ET_EXEC,
            machine: EM_X86_64,
            entry,
            phoff: EHDR64,
            phentsize: None,
            phnum: None,
            phdrs: Vec::new(),
            contents: Vec::new(),
        }
    }

    /// The same program as a 32-bit file (x32 uses ELFCLASS32 with EM_X86_64).
    pub fn class32(mut self) -> ElfFile {
        self.class = ELFCLASS32;
        self.phoff = 52;
        self
    }

    /// A `PT_LOAD` whose file bytes are `data`, stored at `offset` in the file
    /// and meant for `vaddr`; `memsz` past `data.len()` is bss.
    pub fn load(self, flags: u32, offset: u64, vaddr: u64, data: &[u8], memsz: u64) -> ElfFile {
        let filesz = data.len() as u64;
        self.put(offset, data).phdr(Phdr { p_type: PT_LOAD, flags, offset, vaddr, filesz, memsz })
    }

    /// Any program header, exactly as given.
    pub fn phdr(mut self, ph: Phdr) -> ElfFile {
        self.phdrs.push(ph);
        self
    }

    /// Raw bytes at a file offset (garbage, strings, whatever the test needs).
    pub fn put(mut self, offset: u64, bytes: &[u8]) -> ElfFile {
        self.contents.push((offset, bytes.to_vec()));
        self
    }

    fn is64(&self) -> bool {
        self.class != ELFCLASS32
    }

    fn ehsize(&self) -> u64 {
        if self.is64() { EHDR64 } else { 52 }
    }

    fn phent(&self) -> u64 {
        if self.is64() { PHDR64 } else { 32 }
    }

    /// The file's bytes: the contents, then the ELF header and the program
    /// headers written over them.
    pub fn bytes(&self) -> Vec<u8> {
        let headers_end = self.ehsize().max(self.phoff + self.phent() * self.phdrs.len() as u64);
        let len = self.contents.iter().map(|(o, b)| o + b.len() as u64).fold(headers_end, u64::max);
        let mut out = vec![0u8; len as usize];
        for (offset, bytes) in &self.contents {
            out[*offset as usize..][..bytes.len()].copy_from_slice(bytes);
        }
        let mut w =
            Writer { out: &mut out, at: 0, big: self.data == ELFDATA2MSB, wide: self.is64() };
        w.bytes(&[0x7f, b'E', b'L', b'F', self.class, self.data, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        w.u16(self.e_type);
        w.u16(self.machine);
        w.u32(1); // e_version
        w.word(self.entry);
        w.word(self.phoff);
        w.word(0); // e_shoff: no section headers, as after `strip --strip-section-headers`
        w.u32(0); // e_flags
        w.u16(self.ehsize() as u16);
        w.u16(self.phentsize.unwrap_or(self.phent() as u16));
        w.u16(self.phnum.unwrap_or(self.phdrs.len() as u16));
        w.u16(if self.is64() { 64 } else { 40 }); // e_shentsize
        w.u16(0); // e_shnum
        w.u16(0); // e_shstrndx
        w.at = self.phoff as usize;
        for ph in &self.phdrs {
            w.u32(ph.p_type);
            if self.is64() {
                w.u32(ph.flags);
            }
            w.word(ph.offset);
            w.word(ph.vaddr);
            w.word(ph.vaddr); // p_paddr
            w.word(ph.filesz);
            w.word(ph.memsz);
            if !self.is64() {
                w.u32(ph.flags);
            }
            w.word(0x1000); // p_align
        }
        out
    }
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
    at: usize,
    big: bool,
    wide: bool,
}

impl Writer<'_> {
    fn bytes(&mut self, b: &[u8]) {
        self.out[self.at..self.at + b.len()].copy_from_slice(b);
        self.at += b.len();
    }
    fn u16(&mut self, v: u16) {
        self.bytes(&if self.big { v.to_be_bytes() } else { v.to_le_bytes() });
    }
    fn u32(&mut self, v: u32) {
        self.bytes(&if self.big { v.to_be_bytes() } else { v.to_le_bytes() });
    }
    /// An address or offset: 8 bytes in ELF64, 4 in ELF32.
    fn word(&mut self, v: u64) {
        if self.wide {
            self.bytes(&if self.big { v.to_be_bytes() } else { v.to_le_bytes() });
        } else {
            self.u32(v as u32);
        }
    }
}
