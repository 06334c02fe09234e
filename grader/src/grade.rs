//! Grading one submission: sync the grading tree, build and run the host
//! tests, build kernels and boot the scenarios, and add up the points.

use crate::rubric::{Rubric, Scenario};
use crate::tree::{Origin, Sources, Tree};
use crate::verdict::{Item, Kind, PieceScore, Submission};
use crate::{host, pool, scenario};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;

/// How kernels are built for the kernel pieces of a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernels {
    /// One kernel per piece, with the reference for every other piece, so
    /// that one broken piece costs only its own points.
    PerPiece,
    /// One kernel with all of them: right when they are all known to be the
    /// references, and much faster.
    Shared,
}

/// Source constructs that read other files at compile time: the grading
/// tree holds the reference solutions, so these deserve a look by hand.
const SUSPICIOUS: [(&str, &str); 4] = [
    ("include!", "include!"),
    ("include_str!", "include_str!"),
    ("include_bytes!", "include_bytes!"),
    ("#[path", "#[path]"),
];

pub struct Grader {
    pub tree: Tree,
    pub rubrics: Vec<Rubric>,
    pub scale: f64,
    /// Results by piece and source fingerprint: a piece whose sources were
    /// already graded in this run (the untouched stub, most often) is not
    /// built or run again.
    memo: HashMap<(String, u64), (PieceScore, Vec<String>)>,
}

type Timings = Vec<(String, f64)>;

fn timed<T>(timings: &mut Timings, phase: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    timings.push((phase.to_string(), start.elapsed().as_secs_f64()));
    out
}

impl Grader {
    pub fn new(tree: Tree, rubrics: Vec<Rubric>, scale: f64) -> Grader {
        Grader { tree, rubrics, scale, memo: HashMap::new() }
    }

    pub fn grade(
        &mut self,
        student: &str,
        origin: &Origin,
        kernels: Kernels,
    ) -> Result<Submission, String> {
        let mut timings = Timings::new();
        let mut sources = BTreeMap::new();
        for r in &self.rubrics {
            let files = self.tree.sources(origin, &r.piece)?;
            sources.insert(r.piece.clone(), (crate::tree::fingerprint(&files), files));
        }
        let todo: Vec<&Rubric> = self
            .rubrics
            .iter()
            .filter(|r| !self.memo.contains_key(&(r.piece.clone(), sources[&r.piece].0)))
            .collect();
        if !todo.is_empty() {
            let overlays: BTreeMap<String, Sources> =
                todo.iter().map(|r| (r.piece.clone(), sources[&r.piece].1.clone())).collect();
            timed(&mut timings, "sync", || self.tree.sync(&overlays))?;
            let fresh = self.grade_pieces(&todo, kernels, &mut timings)?;
            for (piece, result) in fresh {
                self.memo.insert((piece.clone(), sources[&piece].0), result);
            }
        }
        let mut sub =
            Submission { student: student.into(), pieces: Vec::new(), timings, errors: Vec::new() };
        for r in &self.rubrics {
            let (mut score, errors) = self.memo[&(r.piece.clone(), sources[&r.piece].0)].clone();
            if matches!(origin, Origin::Checkout(_)) {
                score.warnings = suspicious(&sources[&r.piece].1);
            }
            sub.pieces.push(score);
            sub.errors.extend(errors);
        }
        Ok(sub)
    }

    fn grade_pieces(
        &self,
        todo: &[&Rubric],
        kernels: Kernels,
        timings: &mut Timings,
    ) -> Result<BTreeMap<String, (PieceScore, Vec<String>)>, String> {
        let built = timed(timings, "host build", || host::build(&self.tree, todo))?;
        let (mut tests, errors) =
            timed(timings, "host tests", || host::run(&self.tree, todo, &built, self.scale));
        let bootable: Vec<&Rubric> = todo
            .iter()
            .copied()
            .filter(|r| r.is_kernel_piece() && !built.errors.contains_key(&r.piece))
            .collect();
        let images = timed(timings, "kernel builds", || self.build_kernels(&bootable, kernels));
        let mut boots = timed(timings, "boots", || self.boot_all(&bootable, &images))?;
        let mut out = BTreeMap::new();
        for r in todo {
            let note = built.errors.get(&r.piece).map(|e| format!("does not compile:\n{e}"));
            let mut items = match &note {
                Some(_) => r
                    .tests
                    .iter()
                    .map(|t| {
                        Item::new(
                            &t.name,
                            Kind::Test,
                            t.points,
                            &t.hint,
                            Err("not run: the piece does not compile".into()),
                        )
                    })
                    .collect(),
                None => tests.remove(&r.piece).unwrap_or_default(),
            };
            items.extend(boots.remove(&r.piece).unwrap_or_else(|| {
                r.scenarios
                    .iter()
                    .map(|s| {
                        Item::new(
                            &s.name,
                            Kind::Scenario,
                            s.points,
                            &s.hint,
                            Err("not booted: the piece does not compile".into()),
                        )
                    })
                    .collect()
            }));
            let piece_errors = errors
                .iter()
                .filter(|e| e.starts_with(&format!("{}:", r.piece)))
                .cloned()
                .collect();
            let score = PieceScore {
                piece: r.piece.clone(),
                chapter: r.chapter.clone(),
                items,
                note,
                warnings: Vec::new(),
            };
            out.insert(r.piece.clone(), (score, piece_errors));
        }
        Ok(out)
    }

    /// Kernel images by piece; an Err is the kernel build's error output.
    fn build_kernels(
        &self,
        pieces: &[&Rubric],
        kernels: Kernels,
    ) -> BTreeMap<String, Result<PathBuf, String>> {
        let build = |student: Vec<String>, name: &str| {
            scenario::build_kernel(&self.tree, &student, &format!("{name}.elf"))
                .map_err(|e| host::first_lines(&e, 20))
        };
        match kernels {
            Kernels::Shared if !pieces.is_empty() => {
                let image = build(pieces.iter().map(|r| r.piece.clone()).collect(), "shared");
                pieces.iter().map(|r| (r.piece.clone(), image.clone())).collect()
            }
            _ => pieces
                .iter()
                .map(|r| (r.piece.clone(), build(vec![r.piece.clone()], &r.piece)))
                .collect(),
        }
    }

    fn boot_all(
        &self,
        pieces: &[&Rubric],
        images: &BTreeMap<String, Result<PathBuf, String>>,
    ) -> Result<BTreeMap<String, Vec<Item>>, String> {
        let jobs: Vec<(&str, &Scenario, &Result<PathBuf, String>)> = pieces
            .iter()
            .flat_map(|r| r.scenarios.iter().map(|s| (r.piece.as_str(), s, &images[&r.piece])))
            .collect();
        let results = pool::map(&jobs, |(piece, s, image)| match image {
            Err(e) => Ok(Err(format!("the kernel does not build with this piece:\n{e}"))),
            Ok(elf) => scenario::boot(elf, piece, s, &self.tree.pristine, self.scale),
        });
        let mut out: BTreeMap<String, Vec<Item>> = BTreeMap::new();
        for ((piece, s, _), result) in jobs.iter().zip(results) {
            out.entry(piece.to_string()).or_default().push(Item::new(
                &s.name,
                Kind::Scenario,
                s.points,
                &s.hint,
                result?,
            ));
        }
        Ok(out)
    }
}

fn suspicious(files: &Sources) -> Vec<String> {
    let mut found = Vec::new();
    for (path, bytes) in files {
        let text = String::from_utf8_lossy(bytes);
        for (_, name) in SUSPICIOUS.iter().filter(|(needle, _)| text.contains(needle)) {
            found.push(format!("{} uses {name}: check by hand what it reads", path.display()));
        }
    }
    found
}
