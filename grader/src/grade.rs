//! Grading one submission: screen its sources, sync the grading tree,
//! build, run the tests of the pieces that cannot act, build kernels and
//! boot the scenarios, and only then run the lab tests, whose code can act;
//! then add up the points.

use crate::rubric::{Rubric, Scenario};
use crate::screen::{Rejection, Rules};
use crate::tree::{Origin, Sources, Stamps, Tree};
use crate::verdict::{Item, Kind, PieceScore, Submission};
use crate::{host, pool, scenario, screen};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
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

/// Rejections shown in a piece's note; the rest are counted.
const SHOWN_REJECTIONS: usize = 8;

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

/// A piece's tests and scenarios, all failed for the same reason.
fn all_failed(r: &Rubric, why: &str) -> Vec<Item> {
    let tests = r.tests.iter().map(|t| (&t.name, Kind::Test, t.points, &t.hint));
    let boots = r.scenarios.iter().map(|s| (&s.name, Kind::Scenario, s.points, &s.hint));
    tests.chain(boots).map(|(n, k, p, h)| Item::new(n, k, p, h, Err(why.to_string()))).collect()
}

/// The note and the failed items of a piece the screen refused.
fn refusal(r: &Rubric, found: &[Rejection]) -> (Option<String>, Vec<Item>) {
    let mut lines: Vec<String> =
        found.iter().take(SHOWN_REJECTIONS).map(|f| format!("  {f}")).collect();
    if found.len() > SHOWN_REJECTIONS {
        lines.push(format!("  [... {} more]", found.len() - SHOWN_REJECTIONS));
    }
    let note =
        format!("refused before it was built, so none of its code ran:\n{}", lines.join("\n"));
    let why = format!("not run: the piece was refused before it was built: {}", found[0]);
    (Some(note), all_failed(r, &why))
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
        let mut warnings = Vec::new();
        if !todo.is_empty() {
            let files: BTreeMap<String, Sources> =
                todo.iter().map(|r| (r.piece.clone(), sources[&r.piece].1.clone())).collect();
            let fresh = self.grade_pieces(&todo, &files, kernels, &mut timings, &mut warnings)?;
            for (piece, result) in fresh {
                self.memo.insert((piece.clone(), sources[&piece].0), result);
            }
        }
        let mut sub = Submission {
            student: student.into(),
            pieces: Vec::new(),
            timings,
            errors: Vec::new(),
            warnings,
        };
        for r in &self.rubrics {
            let (score, errors) = self.memo[&(r.piece.clone(), sources[&r.piece].0)].clone();
            sub.pieces.push(score);
            sub.errors.extend(errors);
        }
        Ok(sub)
    }

    /// The screening rules of a piece: a kernel piece is inert whatever its
    /// files say, any other piece if its pristine stub is no_std.
    pub fn rules(&self, r: &Rubric) -> Rules {
        let root = Path::new("exercises").join(&r.piece).join("src/lib.rs");
        let stub = self.tree.pristine_file(&root).unwrap_or_default();
        match Rules::for_stub(&String::from_utf8_lossy(stub), &r.unsafe_items) {
            Rules::Contained if r.is_kernel_piece() => {
                Rules::Inert { unsafe_items: r.unsafe_items.clone() }
            }
            rules => rules,
        }
    }

    fn grade_pieces(
        &self,
        todo: &[&Rubric],
        sources: &BTreeMap<String, Sources>,
        kernels: Kernels,
        timings: &mut Timings,
        warnings: &mut Vec<String>,
    ) -> Result<BTreeMap<String, (PieceScore, Vec<String>)>, String> {
        let rules: BTreeMap<&str, Rules> =
            todo.iter().map(|r| (r.piece.as_str(), self.rules(r))).collect();
        let refused: BTreeMap<&str, Vec<Rejection>> = todo
            .iter()
            .map(|r| {
                (r.piece.as_str(), screen::screen(&rules[r.piece.as_str()], &sources[&r.piece]))
            })
            .filter(|(_, found)| !found.is_empty())
            .collect();
        // A refused piece is never built: the tree holds its stub instead.
        let overlays: BTreeMap<String, Sources> = sources
            .iter()
            .map(|(piece, files)| match refused.contains_key(piece.as_str()) {
                true => (piece.clone(), self.tree.stub(piece)),
                false => (piece.clone(), files.clone()),
            })
            .collect();
        timed(timings, "sync", || self.tree.sync(&overlays))?;
        let accepted: Vec<&Rubric> =
            todo.iter().copied().filter(|r| !refused.contains_key(r.piece.as_str())).collect();
        let built = timed(timings, "host build", || host::build(&self.tree, &accepted))?;
        let (inert, labs): (Vec<&Rubric>, Vec<&Rubric>) =
            accepted.iter().partition(|r| matches!(rules[r.piece.as_str()], Rules::Inert { .. }));
        let (mut tests, mut errors) =
            timed(timings, "host tests", || host::run(&self.tree, &inert, &built, self.scale));

        // Code that cannot act wrote nothing; this sync is for anything else
        // that might have, before the kernel is built from the tree.
        let drift = self.tree.sync(&overlays)?;
        if let (Some(path), Some(r)) = (drift.first(), todo.first()) {
            errors.push(format!(
                "{}: the grading tree changed during the host tests ({}), which no test can do: check what else runs on this machine",
                r.piece,
                path.display()
            ));
        }
        let bootable: Vec<&Rubric> = inert
            .iter()
            .copied()
            .filter(|r| r.is_kernel_piece() && !built.errors.contains_key(&r.piece))
            .collect();
        let images = timed(timings, "kernel builds", || self.build_kernels(&bootable, kernels));
        let mut boots = timed(timings, "boots", || self.boot_all(&bootable, &images))?;

        // Lab code can act (as you, the grader's user), so it runs last:
        // every other verdict of this submission is already taken. What it
        // writes into the grader's directories is undone here.
        let before = self.tree.stamps()?;
        let (lab_tests, lab_errors) =
            timed(timings, "lab tests", || host::run(&self.tree, &labs, &built, self.scale));
        tests.extend(lab_tests);
        errors.extend(lab_errors);
        let written = crate::tree::changed(&before, &self.tree.stamps()?);
        warnings.extend(self.undo(&before, &written, &overlays)?);

        let mut out = BTreeMap::new();
        for r in todo {
            let piece = r.piece.as_str();
            let (note, items) = if let Some(found) = refused.get(piece) {
                refusal(r, found)
            } else if let Some(e) = built.errors.get(&r.piece) {
                (
                    Some(format!("does not compile:\n{e}")),
                    all_failed(r, "not run: the piece does not compile"),
                )
            } else {
                let mut items = tests.remove(&r.piece).unwrap_or_default();
                items.extend(boots.remove(&r.piece).unwrap_or_default());
                (None, items)
            };
            let piece_errors =
                errors.iter().filter(|e| e.starts_with(&format!("{piece}:"))).cloned().collect();
            let score =
                PieceScore { piece: r.piece.clone(), chapter: r.chapter.clone(), items, note };
            out.insert(r.piece.clone(), (score, piece_errors));
        }
        Ok(out)
    }

    /// Puts back what lab tests wrote under target/grade: the grading tree
    /// is synced again, and in the build directories every file that
    /// changed is deleted (cargo rebuilds what is missing), so nothing
    /// written there reaches another submission. Returns the warning for
    /// the submission's report, if anything was written.
    fn undo(
        &self,
        before: &Stamps,
        written: &[PathBuf],
        overlays: &BTreeMap<String, Sources>,
    ) -> Result<Vec<String>, String> {
        let grade = self.tree.root.parent().expect("the tree is in target/grade");
        // Name a file if one changed: a directory changes with any new entry.
        let Some(example) = written.iter().find(|p| !grade.join(p).is_dir()).or(written.first())
        else {
            return Ok(Vec::new());
        };
        let example = example.clone();
        for rel in written {
            let in_tree = rel.starts_with("tree") && !rel.starts_with("tree/target");
            let path = grade.join(rel);
            let Ok(meta) = path.symlink_metadata() else { continue };
            let removed = match (meta.is_dir(), before.contains_key(rel)) {
                // A directory that was there: its entries are listed themselves.
                (true, true) => Ok(()),
                (true, false) => std::fs::remove_dir_all(&path),
                (false, _) => std::fs::remove_file(&path),
            };
            if !in_tree {
                removed.map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
        self.tree.sync(overlays)?;
        Ok(vec![format!(
            "while the lab tests ran, lab code wrote into the grader's own directories ({} paths, such as target/grade/{}): the grading tree was put back and what changed in the build directories was deleted, so nothing written there reaches another submission. Read this submission's code.",
            written.len(),
            example.display()
        )])
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
            Ok(elf) => scenario::boot(elf, piece, s, &self.tree, self.scale),
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
