//! A mutation fuzzer for `execve()`'s ELF loader (the reference, `solutions/exec`),
//! run on the simulated machine of `api::sim`.
//!
//! It starts from real static executables (the kernel's user programs, and a
//! C program linked by gcc against glibc and by musl-gcc, when those compilers
//! are here) and changes a few things in each copy, mostly in the two places
//! a loader trusts most: the ELF header and the program headers. Every input
//! must leave the loader cleanly, with an `Ok` image or an error, and give
//! back every frame it took. A panic, a leaked frame or an image whose entry
//! point or stack is not where it should be is a finding.

use api::sim::SimMemory;
use api::{Errno, Flags, Memory};
use exec::{STACK_SIZE, STACK_TOP};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Frames in each simulated machine: room for the largest seed (glibc's
/// static hello, about 200 pages) with its stack and tables, yet small
/// enough that a segment claiming terabytes runs out of memory quickly.
pub const FRAMES: usize = 512;

/// A real executable to start from.
#[derive(Clone)]
pub struct Seed {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The seeds: every user program, and `seeds/hello.c` linked statically by
/// each C compiler found here. Returns the seeds and a note per compiler
/// that could not be used.
pub fn seeds(work: &Path) -> Result<(Vec<Seed>, Vec<String>), String> {
    let mut seeds = Vec::new();
    for (name, path) in runner::build_user_programs(&runner::BuildOptions::default())? {
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        seeds.push(Seed { name, bytes });
    }
    let mut missing = Vec::new();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/hello.c");
    for cc in ["gcc", "musl-gcc"] {
        let out = work.join(format!("hello-{cc}"));
        match Command::new(cc).args(["-static", "-O2", "-o"]).arg(&out).arg(&source).output() {
            Ok(o) if o.status.success() => {
                let bytes = std::fs::read(&out).map_err(|e| format!("{}: {e}", out.display()))?;
                seeds.push(Seed { name: format!("hello ({cc} -static)"), bytes });
            }
            Ok(o) => missing.push(format!("{cc}: {}", String::from_utf8_lossy(&o.stderr).trim())),
            Err(e) => missing.push(format!("{cc}: {e}")),
        }
    }
    Ok((seeds, missing))
}

// Where the fields sit in an ELF64 header and in a program header.
const E_TYPE: usize = 16;
const E_MACHINE: usize = 18;
const E_ENTRY: usize = 24;
const E_PHOFF: usize = 32;
const E_PHENTSIZE: usize = 54;
const E_PHNUM: usize = 56;
const EHDR_SIZE: usize = 64;
/// (offset, size) of every header field after e_ident.
const EHDR_FIELDS: [(usize, usize); 13] = [
    (16, 2),
    (18, 2),
    (20, 4),
    (24, 8),
    (32, 8),
    (40, 8),
    (48, 4),
    (52, 2),
    (54, 2),
    (56, 2),
    (58, 2),
    (60, 2),
    (62, 2),
];
const PHDR_SIZE: usize = 56;
/// (offset, size) of p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align.
const PHDR_FIELDS: [(usize, usize); 8] =
    [(0, 4), (4, 4), (8, 8), (16, 8), (24, 8), (32, 8), (40, 8), (48, 8)];
/// PT_NULL, PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE, PT_PHDR, PT_TLS, PT_GNU_STACK, PT_GNU_RELRO.
const PT_VALUES: [u64; 9] = [0, 1, 2, 3, 4, 6, 7, 0x6474_e551, 0x6474_e552];

/// The little-endian field of `size` bytes at `at`; 0 past the end of the file.
fn get(b: &[u8], at: usize, size: usize) -> u64 {
    let mut v = [0u8; 8];
    if let Some(field) = b.get(at..at.saturating_add(size)) {
        v[..size].copy_from_slice(field);
    }
    u64::from_le_bytes(v)
}

/// Sets a field, unless it lies past the end of the file.
fn put(b: &mut [u8], at: usize, size: usize, value: u64) {
    if let Some(field) = b.get_mut(at..at.saturating_add(size)) {
        field.copy_from_slice(&value.to_le_bytes()[..size]);
    }
}

/// Makes mutated copies of the seeds.
pub struct Mutator {
    seeds: Vec<Seed>,
    /// Per seed: every u64 field of its program headers, for values that
    /// are plausible because they are real (another segment's address...).
    known: Vec<Vec<u64>>,
    rng: fastrand::Rng,
}

impl Mutator {
    pub fn new(seeds: Vec<Seed>, seed: u64) -> Mutator {
        let known = seeds
            .iter()
            .map(|s| {
                let (phoff, phnum) =
                    (get(&s.bytes, E_PHOFF, 8) as usize, get(&s.bytes, E_PHNUM, 2));
                let mut v = vec![get(&s.bytes, E_ENTRY, 8), s.bytes.len() as u64];
                for i in 0..phnum as usize {
                    for &(off, size) in &PHDR_FIELDS[2..] {
                        v.push(get(&s.bytes, phoff + i * PHDR_SIZE + off, size));
                    }
                }
                v
            })
            .collect();
        Mutator { seeds, known, rng: fastrand::Rng::with_seed(seed) }
    }

    /// One input: a seed with one to four mutations.
    pub fn next(&mut self, out: &mut Vec<u8>) {
        let which = self.rng.usize(..self.seeds.len());
        out.clear();
        out.extend_from_slice(&self.seeds[which].bytes);
        let mut n = 1;
        while n < 4 && self.rng.bool() {
            n += 1;
        }
        for _ in 0..n {
            self.mutate(which, out);
        }
    }

    fn mutate(&mut self, which: usize, b: &mut Vec<u8>) {
        if b.len() < EHDR_SIZE {
            // Truncated inside the ELF header already: nothing left to aim at.
            return;
        }
        let phoff = get(b, E_PHOFF, 8) as usize;
        let phnum = get(b, E_PHNUM, 2) as usize;
        // The program header table, as far as it lies inside the file.
        let table = phoff.min(b.len())..phoff.saturating_add(phnum * PHDR_SIZE).min(b.len());
        let r = &mut self.rng;
        match r.u32(0..100) {
            // A program header field: the loader's main input.
            0..40 if phnum > 0 => {
                let at = phoff.saturating_add(r.usize(..phnum) * PHDR_SIZE);
                let (off, size) = PHDR_FIELDS[r.usize(..PHDR_FIELDS.len())];
                let value = match off {
                    0 if r.bool() => PT_VALUES[r.usize(..PT_VALUES.len())],
                    4 if r.bool() => r.u64(0..8), // PF_X | PF_W | PF_R
                    _ => self.interesting(which, get(b, at.saturating_add(off), size)),
                };
                put(b, at.saturating_add(off), size, value);
            }
            // An ELF header field.
            0..60 => {
                let (off, size) = EHDR_FIELDS[self.rng.usize(..EHDR_FIELDS.len())];
                let r = &mut self.rng;
                let value = match off {
                    E_TYPE if r.bool() => r.u64(0..5), // ET_NONE..ET_CORE: ET_EXEC is 2
                    E_MACHINE if r.bool() => [0, 3, 62, 183][r.usize(..4)], // 62: x86_64
                    E_PHENTSIZE if r.bool() => [0, 32, 55, 56, 57, 64][r.usize(..6)],
                    E_PHNUM if r.bool() => {
                        [0, 1, phnum as u64 ^ 1, phnum as u64 + 1, 0xffff][r.usize(..5)]
                    }
                    _ => self.interesting(which, get(b, off, size)),
                };
                put(b, off, size, value);
            }
            // e_ident: class, data, version, OS ABI and the magic.
            60..66 => {
                let at = r.usize(0..8);
                b[at] = if r.bool() { r.u8(0..4) } else { r.u8(..) };
            }
            // Random bits in the headers.
            66..76 => {
                let at = match r.bool() {
                    true if !table.is_empty() => r.usize(table.clone()),
                    _ => r.usize(..EHDR_SIZE),
                };
                b[at] ^= 1 << r.u32(0..8);
            }
            // Random bytes anywhere: the segments' contents, the section headers.
            76..82 => {
                let at = r.usize(..b.len());
                let end = (at + r.usize(1..9)).min(b.len());
                r.fill(&mut b[at..end]);
            }
            // Truncated, most often inside or just past the headers.
            82..88 => {
                let limit = if r.bool() { table.end.max(EHDR_SIZE) + 64 } else { b.len() };
                b.truncate(r.usize(..limit.min(b.len())));
            }
            // One program header copied over another: duplicates, overlaps.
            88..94 if phnum > 1 => {
                let (from, to) = (r.usize(..phnum), r.usize(..phnum));
                let (from, to) = (table.start + from * PHDR_SIZE, table.start + to * PHDR_SIZE);
                if from.max(to) + PHDR_SIZE <= table.end {
                    b.copy_within(from..from + PHDR_SIZE, to);
                }
            }
            // Bytes inserted or removed: every offset after that point is off.
            88..97 => {
                let at = r.usize(..b.len());
                if r.bool() {
                    let n = r.usize(1..64);
                    b.splice(at..at, std::iter::repeat_with(|| r.u8(..)).take(n));
                } else {
                    b.drain(at..(at + r.usize(1..64)).min(b.len()));
                }
            }
            // The program headers moved to a random place in the file.
            _ => {
                let value = self.interesting(which, phoff as u64);
                put(b, E_PHOFF, 8, value);
            }
        }
    }

    /// A value that tends to break loaders: edges of the address space and
    /// of the file, the seed's own addresses and offsets, off-by-ones, bit
    /// flips, wrap-arounds.
    fn interesting(&mut self, which: usize, current: u64) -> u64 {
        let r = &mut self.rng;
        let small = r.u64(0..=16);
        let known = &self.known[which];
        match r.u32(0..16) {
            0 => 0,
            1 => small,
            2 => u64::MAX - small,
            3 => 1 << r.u32(0..64),
            4 => i64::MAX as u64 - small,
            5 => 0x1000 + small - 8,
            6 => api::USER_START - 0x1000 + r.u64(0..2) * 0x1000 + small - 8,
            7 => STACK_TOP - STACK_SIZE - 0x1000 + r.u64(0..2) * 0x1000 + small - 8,
            8 => [STACK_TOP, api::USER_END, 0xffff_8000_0000_0000][r.usize(..3)] + small - 8,
            9 => current.wrapping_add(small).wrapping_sub(8),
            10 => current ^ (1 << r.u32(0..64)),
            11 => current.wrapping_add(0x1000 * r.u64(1..4)),
            12 | 13 => known[r.usize(..known.len())].wrapping_add(small).wrapping_sub(8),
            14 => r.u64(..0x100_0000),
            _ => r.u64(..),
        }
    }
}

/// What one load did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Loaded,
    Refused(Errno),
}

impl Verdict {
    /// A key that sorts: 0 for loaded, else the errno's number.
    fn key(self) -> i32 {
        match self {
            Verdict::Loaded => 0,
            Verdict::Refused(e) => e as i32,
        }
    }
}

/// The loader under test: loads `elf`, checks the image, destroys it.
pub type Loader = fn(&mut SimMemory, &[u8]) -> Result<Verdict, String>;

/// The reference loader, then [`check_image`] on what it built.
pub fn reference_loader(mem: &mut SimMemory, elf: &[u8]) -> Result<Verdict, String> {
    match exec::load(mem, elf, &[b"fuzz", b"arg"], &[b"PATH=/bin"], [7; 16]) {
        Ok(image) => check_image(mem, image),
        Err(e) => Ok(Verdict::Refused(e)),
    }
}

/// What a loaded image must satisfy: its entry point is mapped, user
/// accessible and executable; its stack pointer is 16-byte aligned inside
/// the stack. Destroys the image either way.
pub fn check_image(mem: &mut SimMemory, image: exec::Image) -> Result<Verdict, String> {
    let entry = image.space.translate(mem, image.entry);
    let sp = image.stack_pointer;
    let bad = match entry {
        None => Some(format!("entry {:#x} is not mapped", image.entry)),
        Some((_, f)) if f.contains(Flags::NO_EXECUTE) || !f.contains(Flags::USER) => {
            Some(format!("entry {:#x} is not user-executable: {f:?}", image.entry))
        }
        _ if !sp.is_multiple_of(16) || !(STACK_TOP - STACK_SIZE..STACK_TOP).contains(&sp) => {
            Some(format!("stack pointer {sp:#x} is misplaced"))
        }
        _ => None,
    };
    image.space.destroy(mem);
    bad.map_or(Ok(Verdict::Loaded), Err)
}

/// A finding: the input that caused it is saved in the report's directory.
#[derive(Debug)]
pub struct Finding {
    pub what: String,
    pub input: PathBuf,
}

#[derive(Debug, Default)]
pub struct Report {
    pub inputs: u64,
    /// How often the loader answered each way, by [`Verdict::key`].
    verdicts: BTreeMap<i32, (Verdict, u64)>,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn count(&mut self, v: Verdict, n: u64) {
        self.verdicts.entry(v.key()).or_insert((v, 0)).1 += n;
    }

    /// Each answer the loader gave and how often, loads first.
    pub fn verdicts(&self) -> impl Iterator<Item = (Verdict, u64)> + '_ {
        self.verdicts.values().copied()
    }

    /// Adds another thread's report to this one.
    pub fn merge(&mut self, other: Report) {
        self.inputs += other.inputs;
        for (v, n) in other.verdicts() {
            self.count(v, n);
        }
        self.findings.extend(other.findings);
    }
}

/// Runs `inputs` mutated inputs through `loader`, each on a machine with
/// [`FRAMES`] frames, and checks that no frame leaks. Findings are kept (at
/// most ten) with their inputs written under `save`.
pub fn fuzz(mutator: &mut Mutator, loader: Loader, inputs: u64, save: &Path) -> Report {
    let mut report = Report::default();
    let mut mem = SimMemory::new(FRAMES);
    let free = mem.free_frames();
    let mut elf = Vec::new();
    for i in 0..inputs {
        mutator.next(&mut elf);
        let what = match catch_unwind(AssertUnwindSafe(|| loader(&mut mem, &elf))) {
            Ok(Ok(v)) if mem.free_frames() == free => {
                report.count(v, 1);
                None
            }
            Ok(Ok(v)) => Some(format!("{v:?} leaked {} frames", free - mem.free_frames())),
            Ok(Err(bad)) => Some(bad),
            Err(panic) => Some(format!("panic: {}", panic_message(&*panic))),
        };
        report.inputs += 1;
        if let Some(what) = what {
            // The machine may be half-updated: start again on a fresh one.
            mem = SimMemory::new(FRAMES);
            if report.findings.len() < 10 {
                let input = save.join(format!("finding-{i}.elf"));
                let _ = std::fs::create_dir_all(save).and_then(|()| std::fs::write(&input, &elf));
                report.findings.push(Finding { what, input });
            }
        }
    }
    report
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}
