//! What the boot loader tells us: the memory map and the command line.

use crate::boot::phys_to_virt;

/// `struct hvm_start_info` from Xen's PVH boot protocol.
#[repr(C)]
struct HvmStartInfo {
    magic: u32,
    version: u32,
    flags: u32,
    nr_modules: u32,
    modlist_paddr: u64,
    cmdline_paddr: u64,
    rsdp_paddr: u64,
    memmap_paddr: u64,
    memmap_entries: u32,
    reserved: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct MemMapEntry {
    pub addr: u64,
    pub size: u64,
    pub kind: u32,
    reserved: u32,
}

pub const RAM: u32 = 1;

pub struct StartInfo {
    info: &'static HvmStartInfo,
}

impl StartInfo {
    pub fn read(paddr: u64) -> StartInfo {
        let info = unsafe { &*(phys_to_virt(paddr) as *const HvmStartInfo) };
        assert_eq!(info.magic, 0x336e_c578, "not booted through PVH");
        assert!(info.version >= 1, "PVH start info without a memory map");
        StartInfo { info }
    }

    pub fn memory_map(&self) -> &'static [MemMapEntry] {
        let p = phys_to_virt(self.info.memmap_paddr) as *const MemMapEntry;
        unsafe { core::slice::from_raw_parts(p, self.info.memmap_entries as usize) }
    }

    pub fn cmdline(&self) -> &'static str {
        if self.info.cmdline_paddr == 0 {
            return "";
        }
        let p = phys_to_virt(self.info.cmdline_paddr);
        let len = (0..4096).take_while(|&i| unsafe { *p.add(i) } != 0).count();
        core::str::from_utf8(unsafe { core::slice::from_raw_parts(p, len) }).unwrap_or("")
    }
}

/// The kernel command line: `cow=on|off`, `nonce=HEX`, and, after `--`,
/// the command init runs (with none, init starts the shell).
pub struct Options {
    pub cow: bool,
    pub nonce: &'static str,
    pub init_args: &'static str,
}

impl Options {
    pub fn parse(cmdline: &'static str) -> Options {
        let (kernel, init_args) = cmdline.split_once("--").unwrap_or((cmdline, ""));
        let mut o = Options { cow: false, nonce: "", init_args: init_args.trim() };
        for word in kernel.split_whitespace() {
            match word.split_once('=') {
                Some(("cow", v)) => o.cow = v == "on",
                Some(("nonce", v)) => o.nonce = v,
                _ => crate::kprintln!("kernel: ignoring unknown option {word:?}"),
            }
        }
        o
    }
}
