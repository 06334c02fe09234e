//! What the boot loader tells us: the memory map and the command line.

use crate::boot::phys_to_virt;
use crate::state::Copying;

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
    /// The start info at physical address `paddr`.
    ///
    /// # Safety
    /// `paddr` must be what the boot loader passed in ebx. QEMU leaves the
    /// start info, the memory map and the command line below 1 MiB, where the
    /// kernel never hands out frames, so they stay intact for good.
    pub unsafe fn read(paddr: u64) -> StartInfo {
        // SAFETY: the caller's promise; the structure is read, never written.
        let info = unsafe { &*(phys_to_virt(paddr) as *const HvmStartInfo) };
        assert_eq!(info.magic, 0x336e_c578, "not booted through PVH");
        assert!(info.version >= 1, "PVH start info without a memory map");
        StartInfo { info }
    }

    pub fn memory_map(&self) -> &'static [MemMapEntry] {
        let p = phys_to_virt(self.info.memmap_paddr) as *const MemMapEntry;
        // SAFETY: the loader's memory map, as `read`'s contract describes it.
        unsafe { core::slice::from_raw_parts(p, self.info.memmap_entries as usize) }
    }

    pub fn cmdline(&self) -> &'static str {
        if self.info.cmdline_paddr == 0 {
            return "";
        }
        let p = phys_to_virt(self.info.cmdline_paddr);
        // SAFETY: the loader's NUL-terminated command line, as `read`'s
        // contract describes it; nothing past the NUL is read.
        let bytes = unsafe {
            let len = (0..4096).take_while(|&i| *p.add(i) != 0).count();
            core::slice::from_raw_parts(p, len)
        };
        core::str::from_utf8(bytes).unwrap_or("")
    }
}

/// The kernel command line: `cow=on|off`, `nonce=HEX`, and, after `--`,
/// the command init runs (with none, init starts the shell).
pub struct Options {
    pub copying: Copying,
    pub nonce: &'static str,
    pub init_args: &'static str,
}

impl Options {
    pub fn parse(cmdline: &'static str) -> Options {
        let (kernel, init_args) = cmdline.split_once("--").unwrap_or((cmdline, ""));
        let mut o = Options { copying: Copying::Eager, nonce: "", init_args: init_args.trim() };
        for word in kernel.split_whitespace() {
            match word.split_once('=') {
                Some(("cow", "on")) => o.copying = Copying::OnWrite,
                Some(("cow", _)) => o.copying = Copying::Eager,
                Some(("nonce", v)) => o.nonce = v,
                _ => crate::kprintln!("kernel: ignoring unknown option {word:?}"),
            }
        }
        o
    }
}
