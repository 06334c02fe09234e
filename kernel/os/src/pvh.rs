//! What the boot loader tells us: the memory map, the command line, and
//! where it left the initramfs.

use crate::boot::phys_to_virt;
use crate::state::Copying;
use core::ops::Range;

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
    /// `paddr` must be what the boot loader passed in ebx. What it points to
    /// stays intact for good: the frame allocator skips [`StartInfo::reserved`].
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

    /// Module 0, the initramfs (QEMU's `-initrd`): its physical bytes.
    pub fn initrd(&self) -> Option<Range<u64>> {
        let p = phys_to_virt(self.info.modlist_paddr) as *const [u64; 2];
        // SAFETY: the loader's module list, as `read`'s contract describes it.
        let [paddr, size] = (self.info.nr_modules > 0).then(|| unsafe { *p })?;
        Some(paddr..paddr.checked_add(size)?)
    }

    /// What the loader wrote and the kernel keeps reading: the start info,
    /// the memory map, the module list, the command line and the initramfs.
    pub fn reserved(&self) -> [Range<u64>; 5] {
        let (i, at) = (self.info, |paddr: u64, len: usize| paddr..paddr + len as u64);
        let me = i as *const HvmStartInfo as u64 - crate::boot::DIRECT_MAP;
        [
            at(me, size_of::<HvmStartInfo>()),
            at(i.memmap_paddr, i.memmap_entries as usize * size_of::<MemMapEntry>()),
            at(i.modlist_paddr, i.nr_modules as usize * 32), // struct hvm_modlist_entry
            at(i.cmdline_paddr, 2 * api::PAGE_SIZE),
            self.initrd().unwrap_or_default(),
        ]
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

/// The kernel command line: `cow=on|off`, `nonce=HEX`, `trace=on|off`, and,
/// after `--`, the command init runs (with none, init starts the shell).
#[derive(Default)]
pub struct Options {
    pub copying: Copying,
    pub nonce: &'static str,
    pub trace: bool,
    pub init_args: &'static str,
}

impl Options {
    pub fn parse(cmdline: &'static str) -> Options {
        let (kernel, init_args) = cmdline.split_once("--").unwrap_or((cmdline, ""));
        let mut o = Options { init_args: init_args.trim(), ..Default::default() };
        for word in kernel.split_whitespace() {
            match word.split_once('=') {
                Some(("cow", "on")) => o.copying = Copying::OnWrite,
                Some(("cow", _)) => o.copying = Copying::Eager,
                Some(("nonce", v)) => o.nonce = v,
                Some(("trace", v)) => o.trace = v == "on",
                _ => crate::kprintln!("kernel: ignoring unknown option {word:?}"),
            }
        }
        o
    }
}
