//! The fuzzer itself must be able to fail: a loader that leaks, panics or
//! builds a bad image is caught, and the mutations reach both the loader's
//! refusals and its successes. The million-input run is `.ci/test`'s
//! `cargo run --release -p elf-fuzz`.

use api::sim::SimMemory;
use api::{Errno, Memory};
use elf_fuzz::{Mutator, Report, Verdict, check_image, fuzz, reference_loader, seeds};
use std::path::PathBuf;
use std::sync::OnceLock;

const INPUTS: u64 = 3_000;

fn mutator(seed: u64) -> Mutator {
    static SEEDS: OnceLock<Vec<elf_fuzz::Seed>> = OnceLock::new();
    let seeds = SEEDS.get_or_init(|| {
        let work = tempdir("seeds");
        let seeds = seeds(&work).unwrap_or_else(|e| panic!("{e}")).0;
        let _ = std::fs::remove_dir_all(&work);
        seeds
    });
    Mutator::new(seeds.clone(), seed)
}

/// A directory of this test process's own; tests run in parallel, so each
/// gives its own `name`.
fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("elf-fuzz-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Fuzzes `loader`; the inputs behind findings are checked, then removed.
fn run(name: &str, loader: elf_fuzz::Loader) -> Report {
    let dir = tempdir(name);
    let report = fuzz(&mut mutator(7), loader, INPUTS, &dir);
    for f in &report.findings {
        assert!(f.input.exists(), "the input behind {:?} was not saved", f.what);
    }
    let _ = std::fs::remove_dir_all(&dir);
    report
}

#[test]
fn the_reference_loader_survives_and_the_mutations_reach_both_outcomes() {
    let r = run("reference", reference_loader);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    let count = |want: Verdict| r.verdicts().find(|v| v.0 == want).map_or(0, |v| v.1);
    let (loaded, refused) = (count(Verdict::Loaded), count(Verdict::Refused(Errno::ENOEXEC)));
    assert!(loaded > INPUTS / 10, "only {loaded} of {INPUTS} inputs loaded: mutations too blunt");
    assert!(refused > INPUTS / 4, "only {refused} of {INPUTS} refused: mutations too timid");
}

#[test]
fn a_leaked_frame_is_found() {
    fn leaky(mem: &mut SimMemory, elf: &[u8]) -> Result<Verdict, String> {
        let v = reference_loader(mem, elf)?;
        if v == Verdict::Refused(Errno::ENOEXEC) {
            mem.alloc();
        }
        Ok(v)
    }
    let r = run("leaky", leaky);
    assert!(!r.findings.is_empty(), "a loader leaking on ENOEXEC went unnoticed");
    assert!(r.findings[0].what.contains("leaked 1 frames"), "{:?}", r.findings[0]);
}

#[test]
fn a_panic_is_found() {
    // A loader that slices the program header table as e_phoff and e_phnum
    // say, without a bounds check: fine for every seed, not for the mutants.
    fn trusting(mem: &mut SimMemory, elf: &[u8]) -> Result<Verdict, String> {
        let phoff = u64::from_le_bytes(elf[32..40].try_into().unwrap()) as usize;
        let phnum = u16::from_le_bytes(elf[56..58].try_into().unwrap()) as usize;
        let _table = &elf[phoff..phoff + phnum * 56];
        reference_loader(mem, elf)
    }
    let r = run("trusting", trusting);
    assert!(r.findings.iter().any(|f| f.what.starts_with("panic: ")), "{:?}", r.findings);
}

#[test]
fn an_image_with_its_entry_or_stack_out_of_place_is_found() {
    let echo = runner::build_user_programs(&runner::BuildOptions::default()).unwrap();
    let (_, path) = echo.iter().find(|p| p.0 == "echo").unwrap();
    let elf = std::fs::read(path).unwrap();
    let mut mem = SimMemory::new(elf_fuzz::FRAMES);
    let load = |mem: &mut SimMemory| exec::load(mem, &elf, &[b"echo"], &[], [0; 16]).unwrap();
    let good = load(&mut mem);
    assert_eq!(check_image(&mut mem, good), Ok(Verdict::Loaded));
    let mut data = load(&mut mem);
    data.entry = exec::STACK_TOP - 8;
    assert!(check_image(&mut mem, data).unwrap_err().contains("not user-executable"));
    let mut unmapped = load(&mut mem);
    unmapped.entry = 0x10_0000_0000;
    assert!(check_image(&mut mem, unmapped).unwrap_err().contains("not mapped"));
    let mut sp = load(&mut mem);
    sp.stack_pointer += 8;
    assert!(check_image(&mut mem, sp).unwrap_err().contains("misplaced"));
}
