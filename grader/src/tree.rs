//! The grading tree: one persistent copy of the course under
//! `target/grade/tree`, made to match the pristine repository file by file,
//! with only `exercises/<piece>/src/**` taken from the submission. Files are
//! written only when their bytes differ, so cargo's fingerprints stay valid
//! and builds are incremental from one student to the next; files that the
//! pristine tree does not have are deleted, so nothing a previous student
//! brought can leak into the next build.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

/// Paths of the repository the grading tree leaves out. Of the book it keeps
/// only `book/transcripts`, a crate the tests use.
const SKIPPED: [&str; 5] = ["target", ".git", "book/src", "book/build", "book/theme"];
/// A student's source file larger than this is not copied (it is not code).
const MAX_SOURCE_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Entry {
    File(Vec<u8>),
    Link(PathBuf),
}

/// The files of one piece's `src`, relative to that directory.
pub type Sources = BTreeMap<PathBuf, Vec<u8>>;

/// Where a submission's pieces come from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// `exercises/<piece>/src` of a checkout (a student's, or this one).
    Checkout(PathBuf),
    /// The reference solutions, in place of the files a student edits.
    Solutions,
}

pub struct Tree {
    pub pristine: PathBuf,
    pub root: PathBuf,
    pub target: PathBuf,
    pub kernel_target: PathBuf,
    /// The pristine repository as it was when grading started. The grading
    /// tree is copied from here, and snapshots are read from here, so code
    /// that writes into the repository while it is graded changes nothing
    /// that is graded after it.
    files: BTreeMap<PathBuf, Entry>,
}

/// When each file under a directory last changed (its ctime, which no
/// write can leave untouched), with its inode and size.
pub type Stamps = BTreeMap<PathBuf, (i64, i64, u64, u64)>;

impl Tree {
    pub fn load(pristine: &Path) -> Result<Tree, String> {
        let grade = pristine.join("target/grade");
        let mut files = BTreeMap::new();
        walk(pristine, Path::new(""), &mut files)?;
        Ok(Tree {
            pristine: pristine.to_path_buf(),
            root: grade.join("tree"),
            target: grade.join("target"),
            kernel_target: grade.join("kernel"),
            files,
        })
    }

    /// A checkout checked in place, as `cargo grade watch` does: it is its
    /// own pristine copy and its own grading tree, with its usual target.
    pub fn in_place(root: &Path) -> Result<Tree, String> {
        let mut tree = Tree::load(root)?;
        tree.root = root.to_path_buf();
        tree.target = root.join("target");
        tree.kernel_target = root.join("target/kernel");
        Ok(tree)
    }

    /// A file of the pristine repository, as it was when grading started.
    pub fn pristine_file(&self, rel: &Path) -> Option<&[u8]> {
        match self.files.get(rel)? {
            Entry::File(bytes) => Some(bytes),
            Entry::Link(_) => None,
        }
    }

    /// Makes the grading tree the pristine repository with `overlays`
    /// replacing the pristine files under each piece's `src`. Returns the
    /// paths it had to write or delete.
    pub fn sync(&self, overlays: &BTreeMap<String, Sources>) -> Result<Vec<PathBuf>, String> {
        let mut want = self.files.clone();
        for (piece, files) in overlays {
            let src = Path::new("exercises").join(piece).join("src");
            for (rel, bytes) in files {
                want.insert(src.join(rel), Entry::File(bytes.clone()));
            }
        }
        fs::create_dir_all(&self.root).map_err(|e| format!("{}: {e}", self.root.display()))?;
        apply(&self.root, &want)
    }

    /// Files of the pristine repository that changed since grading started.
    pub fn pristine_changes(&self) -> Result<Vec<PathBuf>, String> {
        let mut now = BTreeMap::new();
        walk(&self.pristine, Path::new(""), &mut now)?;
        let keys: BTreeSet<&PathBuf> = self.files.keys().chain(now.keys()).collect();
        Ok(keys.into_iter().filter(|k| self.files.get(*k) != now.get(*k)).cloned().collect())
    }

    /// The files of the stub of `piece`, as the pristine repository has them.
    pub fn stub(&self, piece: &str) -> Sources {
        let src = Path::new("exercises").join(piece).join("src");
        self.files
            .iter()
            .filter_map(|(path, entry)| match (path.strip_prefix(&src), entry) {
                (Ok(rel), Entry::File(bytes)) if bytes.len() as u64 <= MAX_SOURCE_BYTES => {
                    Some((rel.to_path_buf(), bytes.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// The sources of `piece` a submission from `origin` brings: the
    /// pristine stub's files, replaced or added to by the submission's.
    pub fn sources(&self, origin: &Origin, piece: &str) -> Result<Sources, String> {
        let mut files = self.stub(piece);
        match origin {
            Origin::Checkout(dir) => {
                let theirs = dir.join("exercises").join(piece).join("src");
                if theirs.is_dir() {
                    files.extend(regular_files(&theirs)?);
                }
            }
            // A solution crate may carry tools of its own (src/bin) that need
            // dependencies the exercise lacks; a student only edits the files
            // the stub has.
            Origin::Solutions => {
                for (rel, bytes) in
                    regular_files(&self.pristine.join("solutions").join(piece).join("src"))?
                {
                    if files.contains_key(&rel) {
                        files.insert(rel, bytes);
                    }
                }
            }
        }
        Ok(files)
    }

    /// Stamps of everything the grader keeps under target/grade: the
    /// grading tree and its build directories.
    pub fn stamps(&self) -> Result<Stamps, String> {
        let grade = self.root.parent().expect("the tree is in target/grade");
        let mut out = Stamps::new();
        stamp(grade, Path::new(""), &mut out)?;
        out.remove(Path::new("lock"));
        Ok(out)
    }
}

fn stamp(base: &Path, rel: &Path, out: &mut Stamps) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let dir = base.join(rel);
    let Ok(entries) = fs::read_dir(&dir) else { return Ok(()) };
    for entry in entries.flatten() {
        let rel = rel.join(entry.file_name());
        let meta = entry.metadata().map_err(|e| format!("{}: {e}", base.join(&rel).display()))?;
        out.insert(rel.clone(), (meta.ctime(), meta.ctime_nsec(), meta.ino(), meta.len()));
        if meta.is_dir() {
            stamp(base, &rel, out)?;
        }
    }
    Ok(())
}

/// The paths whose stamps differ, or that one side lacks.
pub fn changed(before: &Stamps, after: &Stamps) -> Vec<PathBuf> {
    let keys: BTreeSet<&PathBuf> = before.keys().chain(after.keys()).collect();
    keys.into_iter().filter(|k| before.get(*k) != after.get(*k)).cloned().collect()
}

pub fn fingerprint(files: &Sources) -> u64 {
    let mut h = DefaultHasher::new();
    files.hash(&mut h);
    h.finish()
}

/// Regular files under `dir`, recursively; symlinks and huge files are
/// skipped, so a submission cannot point the build at files outside it.
pub fn regular_files(dir: &Path) -> Result<Sources, String> {
    let mut all = BTreeMap::new();
    walk(dir, Path::new(""), &mut all)?;
    Ok(all
        .into_iter()
        .filter_map(|(rel, e)| match e {
            Entry::File(bytes) if bytes.len() as u64 <= MAX_SOURCE_BYTES => Some((rel, bytes)),
            _ => None,
        })
        .collect())
}

fn walk(base: &Path, rel: &Path, out: &mut BTreeMap<PathBuf, Entry>) -> Result<(), String> {
    let dir = base.join(rel);
    let entries = fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name();
        let rel = rel.join(&name);
        if SKIPPED.iter().any(|s| rel == Path::new(s)) {
            continue;
        }
        let kind = entry.file_type().map_err(|e| e.to_string())?;
        let path = base.join(&rel);
        if kind.is_symlink() {
            out.insert(rel, Entry::Link(fs::read_link(&path).map_err(|e| e.to_string())?));
        } else if kind.is_dir() {
            walk(base, &rel, out)?;
        } else if kind.is_file() {
            if fs::metadata(&path).map_err(|e| e.to_string())?.len() > MAX_SOURCE_BYTES * 64 {
                continue;
            }
            out.insert(
                rel,
                Entry::File(fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?),
            );
        }
    }
    Ok(())
}

/// Makes the directory `root` hold exactly `want`; returns the paths it
/// wrote or deleted.
fn apply(root: &Path, want: &BTreeMap<PathBuf, Entry>) -> Result<Vec<PathBuf>, String> {
    let mut have = BTreeMap::new();
    walk(root, Path::new(""), &mut have)?;
    let dirs: BTreeSet<&Path> = want.keys().flat_map(|p| p.ancestors().skip(1)).collect();
    let mut changed = Vec::new();
    for (rel, entry) in &have {
        if want.get(rel) != Some(entry) {
            remove(&root.join(rel))?;
            if !want.contains_key(rel) {
                changed.push(rel.clone());
            }
        }
    }
    remove_stray_dirs(root, Path::new(""), &dirs)?;
    for (rel, entry) in want {
        if have.get(rel) == Some(entry) {
            continue;
        }
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        match entry {
            Entry::File(bytes) => fs::write(&path, bytes),
            Entry::Link(target) => std::os::unix::fs::symlink(target, &path),
        }
        .map_err(|e| format!("{}: {e}", path.display()))?;
        changed.push(rel.clone());
    }
    Ok(changed)
}

fn remove(path: &Path) -> Result<(), String> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("{}: {e}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Deletes directories that hold nothing the pristine tree wants (they may
/// only be empty now, or they may be where a student's file was).
fn remove_stray_dirs(root: &Path, rel: &Path, keep: &BTreeSet<&Path>) -> Result<(), String> {
    let Ok(entries) = fs::read_dir(root.join(rel)) else { return Ok(()) };
    for entry in entries.flatten() {
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let sub = rel.join(entry.file_name());
        if keep.contains(sub.as_path()) {
            remove_stray_dirs(root, &sub, keep)?;
        } else {
            let path = root.join(&sub);
            fs::remove_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("grader-tree-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn put(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn apply_writes_what_differs_and_deletes_the_rest() {
        let root = scratch("apply");
        put(&root, "exercises/fork/src/extra/leftover.rs", "from the last student");
        put(&root, "same.txt", "same");
        let mtime = fs::metadata(root.join("same.txt")).unwrap().modified().unwrap();
        let want: BTreeMap<PathBuf, Entry> = [
            (PathBuf::from("same.txt"), Entry::File(b"same".to_vec())),
            (PathBuf::from("exercises/fork/src/lib.rs"), Entry::File(b"new".to_vec())),
            (PathBuf::from("link"), Entry::Link(PathBuf::from("same.txt"))),
        ]
        .into();
        assert_eq!(apply(&root, &want).unwrap().len(), 3, "one new file, one link, one deletion");
        assert!(!root.join("exercises/fork/src/extra").exists());
        assert_eq!(fs::read(root.join("exercises/fork/src/lib.rs")).unwrap(), b"new");
        assert_eq!(
            fs::metadata(root.join("same.txt")).unwrap().modified().unwrap(),
            mtime,
            "unchanged bytes keep their mtime"
        );
        assert_eq!(fs::read_link(root.join("link")).unwrap(), Path::new("same.txt"));
        assert_eq!(apply(&root, &want).unwrap(), Vec::<PathBuf>::new());
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn stamps_see_every_write_and_the_pristine_copy_is_kept() {
        let pristine = scratch("stamps");
        put(&pristine, "exercises/fork/rubric.toml", "points = 1");
        let tree = Tree::load(&pristine).unwrap();
        tree.sync(&BTreeMap::new()).unwrap();
        put(&pristine, "target/grade/target/deps/lib.rlib", "built");
        let before = tree.stamps().unwrap();
        assert_eq!(changed(&before, &tree.stamps().unwrap()), Vec::<PathBuf>::new());
        // Same size, same bytes, same mtime: only the change time tells.
        let lib = pristine.join("target/grade/target/deps/lib.rlib");
        let mtime = fs::metadata(&lib).unwrap().modified().unwrap();
        fs::write(&lib, "built").unwrap();
        fs::File::options().write(true).open(&lib).unwrap().set_modified(mtime).unwrap();
        put(&pristine, "target/grade/tree/exercises/fork/rubric.toml", "points = 1000");
        let after = tree.stamps().unwrap();
        let written = changed(&before, &after);
        assert!(written.contains(&PathBuf::from("target/deps/lib.rlib")), "{written:?}");
        assert!(written.contains(&PathBuf::from("tree/exercises/fork/rubric.toml")), "{written:?}");
        // The tree is put back from the copy taken at load, whatever the
        // repository holds by now; and the change to it is noticed.
        put(&pristine, "exercises/fork/rubric.toml", "points = 1000");
        tree.sync(&BTreeMap::new()).unwrap();
        assert_eq!(
            fs::read_to_string(tree.root.join("exercises/fork/rubric.toml")).unwrap(),
            "points = 1"
        );
        assert_eq!(tree.pristine_changes().unwrap(), [PathBuf::from("exercises/fork/rubric.toml")]);
        fs::remove_dir_all(&pristine).unwrap();
    }

    #[test]
    fn a_checkout_contributes_only_its_src_files() {
        let pristine = scratch("pristine");
        put(&pristine, "exercises/fork/src/lib.rs", "stub");
        put(&pristine, "exercises/fork/src/given.rs", "given");
        let student = scratch("student");
        put(&student, "exercises/fork/src/lib.rs", "mine");
        put(&student, "exercises/fork/tests/fork.rs", "forged");
        std::os::unix::fs::symlink("/etc/passwd", student.join("exercises/fork/src/passwd.rs"))
            .unwrap();
        let tree = Tree::load(&pristine).unwrap();
        let files = tree.sources(&Origin::Checkout(student.clone()), "fork").unwrap();
        let names: Vec<_> = files.keys().map(|p| p.to_str().unwrap()).collect();
        assert_eq!(names, ["given.rs", "lib.rs"]);
        assert_eq!(files[Path::new("lib.rs")], b"mine");
        let missing = tree.sources(&Origin::Checkout(student.join("nowhere")), "fork").unwrap();
        assert_eq!(missing[Path::new("lib.rs")], b"stub", "a missing piece is the stub");
        fs::remove_dir_all(&pristine).unwrap();
        fs::remove_dir_all(&student).unwrap();
    }
}
