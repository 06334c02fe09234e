//! `cargo grade`: scores exercise pieces with the pristine tests, snapshots
//! and rubrics of this repository. See book/src/guides/instructor.md.

mod calibrate;
mod diff;
mod grade;
mod host;
mod limits;
mod pool;
mod progress;
mod report;
mod rubric;
mod sandbox;
mod scenario;
mod screen;
mod shard;
mod tree;
mod verdict;
mod watch;

use clap::{CommandFactory, Parser, Subcommand};
use grade::{Grader, Kernels};
use std::path::{Path, PathBuf};
use std::process::exit;
use tree::{Origin, Tree};
use verdict::Submission;

/// `cargo grade`: scores the exercises with this repository's tests,
/// snapshots and rubrics.
///
/// Exit status: 0 full score (check: every check holds), 1 points lost,
/// 2 usage error or a mistake in the course.
#[derive(Debug, Parser)]
#[command(name = "cargo grade", bin_name = "cargo grade", version, about, long_about = None)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    source: Source,
    /// Grade only this piece (repeat for more).
    #[arg(long = "piece", value_name = "NAME")]
    pieces: Vec<String>,
    /// Stretch every time limit by X (default: measured on this machine).
    #[arg(long, value_name = "X", value_parser = positive, global = true)]
    timeout_scale: Option<f64>,
    /// Also write every score as JSON ("-" for stdout).
    #[arg(long, value_name = "FILE", global = true)]
    json: Option<String>,
    /// Also write every score as JUnit XML ("-" for stdout).
    #[arg(long, value_name = "FILE", global = true)]
    junit: Option<String>,
    /// Where --class writes its CSV [default: grades.csv].
    #[arg(long, value_name = "FILE", global = true)]
    csv: Option<PathBuf>,
    /// With --class: grade only the I-th of N slices (join them with `merge`).
    #[arg(long, value_name = "I/N", requires = "class", conflicts_with_all = ["solutions", "student"])]
    shard: Option<shard::Shard>,
    /// Run the tests without the sandbox, with your own privileges.
    #[arg(long)]
    no_sandbox: bool,
}

/// Whose pieces to grade; with none of these, this tree's exercises.
#[derive(Debug, Default, clap::Args)]
#[group(multiple = false)]
struct Source {
    /// Grade the reference solutions (they must score 100%).
    #[arg(long)]
    solutions: bool,
    /// Grade a student's checkout with this tree's tests.
    #[arg(long, value_name = "PATH")]
    student: Option<PathBuf>,
    /// Grade every subdirectory of DIR, one student each.
    #[arg(long, value_name = "DIR")]
    class: Option<PathBuf>,
}

#[derive(Debug, PartialEq, Subcommand)]
enum Command {
    /// Every stub fails all its tests, every solution passes them.
    Check,
    /// Print the GitHub Classroom autograding config.
    Classroom,
    /// Join the --json reports of a class's shards into one class's results.
    Merge {
        /// Every shard's JSON report.
        #[arg(required = true, value_name = "JSON")]
        reports: Vec<PathBuf>,
    },
    /// Rerun a piece's checks on every save, with progress and hints.
    Watch(watch::WatchArgs),
    /// Print the progress of every piece.
    Progress(watch::ProgressArgs),
}

#[derive(Debug, PartialEq)]
enum Mode {
    Tree,
    Solutions,
    Student(PathBuf),
    Class(PathBuf),
    Check,
    Classroom,
    Merge(Vec<PathBuf>),
}

impl Args {
    fn mode(&self) -> Mode {
        match (&self.command, &self.source) {
            (Some(Command::Check), _) => Mode::Check,
            (Some(Command::Classroom), _) => Mode::Classroom,
            (Some(Command::Merge { reports }), _) => Mode::Merge(reports.clone()),
            (Some(Command::Watch(_) | Command::Progress(_)), _) => unreachable!("run by main"),
            (None, s) if s.solutions => Mode::Solutions,
            (None, Source { student: Some(p), .. }) => Mode::Student(p.clone()),
            (None, Source { class: Some(d), .. }) => Mode::Class(d.clone()),
            (None, _) => Mode::Tree,
        }
    }
}

fn positive(s: &str) -> Result<f64, String> {
    s.parse().ok().filter(|x: &f64| *x > 0.0).ok_or_else(|| "needs a positive number".into())
}

fn usage_error(msg: &str) -> ! {
    Args::command().error(clap::error::ErrorKind::InvalidValue, msg).exit()
}

fn main() {
    let args = Args::parse();
    match &args.command {
        Some(Command::Watch(w)) => exit(watch::watch_main(w, args.timeout_scale)),
        Some(Command::Progress(p)) => exit(watch::progress_main(p)),
        _ => {}
    }
    let mode = args.mode();
    // Lab code runs as this user: without this, it could attach to the
    // grader with ptrace or write into its memory through /proc.
    let _ = nix::sys::prctl::set_dumpable(false);
    let pristine = runner::repo_root();
    let mut rubrics = rubric::discover(&pristine).unwrap_or_else(|e| fail(&e));
    if mode == Mode::Classroom {
        print!("{}", classroom(&rubrics));
        return;
    }
    if let Mode::Merge(reports) = &mode {
        finish(&args, &shard::merge(reports).unwrap_or_else(|e| fail(&e)), true, None);
    }
    if !args.pieces.is_empty() {
        if let Some(p) = args.pieces.iter().find(|p| !rubrics.iter().any(|r| &r.piece == *p)) {
            let known: Vec<&str> = rubrics.iter().map(|r| r.piece.as_str()).collect();
            usage_error(&format!("no piece {p:?}; the pieces are {}", known.join(", ")));
        }
        rubrics.retain(|r| args.pieces.contains(&r.piece));
    }
    let _lock = lock(&pristine);
    let needs_qemu = rubrics.iter().any(rubric::Rubric::is_kernel_piece);
    let (scale, how) = if needs_qemu {
        calibrate::scale(args.timeout_scale)
    } else {
        (args.timeout_scale.unwrap_or(1.0), "host tests only")
    };
    let limit = |base: u64| limits::seconds(std::time::Duration::from_secs(base).mul_f64(scale));
    args.say(&format!(
        "timeout scale {scale:.2} ({how}): host tests {} s, boots {} s by default\n",
        limit(rubric::DEFAULT_TEST_TIMEOUT),
        limit(scenario::BOOT_TIMEOUT)
    ));
    let tree = Tree::load(&pristine).unwrap_or_else(|e| fail(&e));
    args.say(&format!("sandbox: {}\n\n", choose_sandbox(&args, &mode, &tree)));
    let mut grader = Grader::new(tree, rubrics, scale);
    let grade = |g: &mut Grader, name: &str, origin: Origin, k: Kernels| {
        g.grade(name, &origin, k).unwrap_or_else(|e| fail(&e))
    };
    let mut slice = None;
    let mut subs: Vec<Submission> = match &mode {
        Mode::Tree => vec![grade(
            &mut grader,
            "this tree",
            Origin::Checkout(pristine.clone()),
            Kernels::PerPiece,
        )],
        Mode::Solutions => {
            vec![grade(&mut grader, "solutions", Origin::Solutions, Kernels::Shared)]
        }
        Mode::Student(path) => {
            if !path.join("exercises").is_dir() {
                fail(&format!(
                    "{} has no exercises/ directory: not a checkout of the course",
                    path.display()
                ));
            }
            vec![grade(
                &mut grader,
                &student_name(path),
                Origin::Checkout(path.clone()),
                Kernels::PerPiece,
            )]
        }
        Mode::Class(dir) => {
            let members;
            (members, slice) = shard::select(class_members(dir), args.shard);
            members
                .into_iter()
                .map(|p| {
                    grade(&mut grader, &student_name(&p), Origin::Checkout(p), Kernels::PerPiece)
                })
                .collect()
        }
        Mode::Check => {
            let stubs =
                grade(&mut grader, "stubs", Origin::Checkout(pristine.clone()), Kernels::PerPiece);
            let solutions = grade(&mut grader, "solutions", Origin::Solutions, Kernels::Shared);
            let (text, ok) = check_report(&stubs, &solutions);
            args.say(&text);
            exit(if ok { 0 } else { 1 })
        }
        Mode::Classroom | Mode::Merge(_) => unreachable!("handled above"),
    };
    // Nothing graded can have changed the repository: say so if it did.
    let changed = grader.tree.pristine_changes().unwrap_or_else(|e| fail(&e));
    if let (Some(path), Some(last)) = (changed.first(), subs.last_mut()) {
        last.errors.push(format!(
            "the course repository changed while grading ({} files, such as {}): a submission's code may have written into it, and what was graded after it cannot be trusted; run `git status`",
            changed.len(),
            path.display()
        ));
    }
    finish(&args, &subs, matches!(mode, Mode::Class(_)), slice.as_ref())
}

impl Args {
    /// Prints for people: on stderr when a report goes to stdout.
    fn say(&self, s: &str) {
        if self.json.as_deref() == Some("-") || self.junit.as_deref() == Some("-") {
            eprint!("{s}")
        } else {
            print!("{s}")
        }
    }
}

/// Reports every submission, writes the files asked for, and exits with the
/// status the whole grading earned.
fn finish(args: &Args, subs: &[Submission], class: bool, slice: Option<&shard::Slice>) -> ! {
    for s in subs {
        if subs.len() > 1 {
            args.say(&format!("==== {}\n", s.student));
        }
        args.say(&report::submission(s));
        args.say("\n");
    }
    if class {
        args.say(&report::class_table(subs));
        let csv = args.csv.clone().unwrap_or_else(|| "grades.csv".into());
        write_out(&csv.to_string_lossy(), &report::class_csv(subs));
        args.say(&format!("wrote {}\n", csv.display()));
    }
    if let Some(f) = &args.json {
        write_out(f, &shard::json(subs, slice));
    }
    if let Some(f) = &args.junit {
        write_out(f, &report::junit(subs));
    }
    exit(if subs.iter().any(|s| !s.errors.is_empty()) {
        2
    } else if subs.iter().all(Submission::is_full) {
        0
    } else {
        1
    })
}

/// Installs the sandbox every test runs in, and describes it. Without one,
/// the grader runs only code it was given by whoever runs it: another
/// person's submission (--student, --class) needs --no-sandbox.
fn choose_sandbox(args: &Args, mode: &Mode, tree: &Tree) -> String {
    // The tests run as another user when the grader is root: what the
    // grader and cargo write must be readable by them.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
    let (sandbox, line) = if args.no_sandbox {
        (None, "off (--no-sandbox): tests run with your privileges".to_string())
    } else {
        match sandbox::Sandbox::new(&[&tree.root, &tree.target]) {
            Ok(s) => {
                let line = s.describe();
                (Some(s), line)
            }
            Err(e) if matches!(mode, Mode::Student(_) | Mode::Class(_)) => fail(&format!(
                "no sandbox: {e}. Refusing to run other people's code without one: \
                 cargo boot --check shows what this machine lacks and bash .ci/setup \
                 installs it; or pass --no-sandbox"
            )),
            Err(e) => (None, format!("UNAVAILABLE, tests run with your privileges: {e}")),
        }
    };
    sandbox::install(sandbox);
    line
}

fn fail(msg: &str) -> ! {
    eprintln!("cargo grade: error: {msg}");
    exit(2)
}

fn write_out(path: &str, text: &str) {
    if path == "-" {
        print!("{text}");
    } else {
        std::fs::write(path, text).unwrap_or_else(|e| fail(&format!("{path}: {e}")));
    }
}

fn student_name(path: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    path.file_name()
        .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn class_members(dir: &Path) -> Vec<PathBuf> {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| fail(&format!("{}: {e}", dir.display())));
    let mut members: Vec<PathBuf> =
        entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    members.sort();
    if members.is_empty() {
        fail(&format!("{} has no subdirectories (one per student)", dir.display()));
    }
    members
}

/// Two graders at once would fight over the one grading tree.
fn lock(pristine: &Path) -> nix::fcntl::Flock<std::fs::File> {
    let dir = pristine.join("target/grade");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| fail(&format!("{}: {e}", dir.display())));
    let file = std::fs::File::create(dir.join("lock")).unwrap_or_else(|e| fail(&e.to_string()));
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
        .unwrap_or_else(|(_, e)| fail(&format!("locking the grading tree: {e}")))
}

/// Whether every stub fails every one of its items and every solution
/// passes all of them, piece by piece.
fn check_report(stubs: &Submission, solutions: &Submission) -> (String, bool) {
    let mut out = String::new();
    let mut ok = stubs.errors.is_empty() && solutions.errors.is_empty();
    for e in stubs.errors.iter().chain(&solutions.errors) {
        out.push_str(&format!("GRADER ERROR: {e}\n"));
    }
    for (stub, sol) in stubs.pieces.iter().zip(&solutions.pieces) {
        let n = stub.items.len();
        let good = stub.passed() == 0 && n > 0 && sol.passed() == n;
        ok &= good;
        let verdict = if good { "ok" } else { "FAILED" };
        out.push_str(&format!(
            "{:16} stub passes {}/{n} (want 0), solution passes {}/{n} (want {n})  {verdict}\n",
            stub.piece,
            stub.passed(),
            sol.passed()
        ));
        for i in stub.items.iter().filter(|i| i.passed) {
            out.push_str(&format!("    the stub passes {}: it proves nothing\n", i.name));
        }
        for i in sol.items.iter().filter(|i| !i.passed) {
            out.push_str(&format!(
                "    the solution fails {}:\n{}\n",
                i.name,
                i.detail.lines().map(|l| format!("        {l}\n")).collect::<String>()
            ));
        }
    }
    let times = |s: &Submission| s.timings.iter().map(|(_, t)| t).sum::<f64>();
    out.push_str(&format!(
        "check: {} (stubs {:.1} s, solutions {:.1} s)\n",
        if ok { "all checks hold" } else { "FAILED" },
        times(stubs),
        times(solutions)
    ));
    (out, ok)
}

/// GitHub Classroom's autograding config: one entry per piece, worth the
/// piece's points, passing when the piece scores full marks.
fn classroom(rubrics: &[rubric::Rubric]) -> String {
    let tests: Vec<serde_json::Value> = rubrics
        .iter()
        .map(|r| {
            serde_json::json!({
                "name": r.piece,
                "setup": "",
                "run": format!("cargo grade --piece {}", r.piece),
                "input": "",
                "output": "",
                "comparison": "included",
                "timeout": 30,
                "points": r.max_points(),
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "tests": tests }))
        .expect("plain data serializes")
        + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Args {
        Args::try_parse_from(["cargo grade"].into_iter().chain(s.split_whitespace())).unwrap()
    }

    #[test]
    fn arguments_parse() {
        let a = args("--student /s --piece fork --piece exec --json - --timeout-scale 2.5");
        assert_eq!(a.mode(), Mode::Student("/s".into()));
        assert_eq!(a.pieces, ["fork", "exec"]);
        assert_eq!(a.json.as_deref(), Some("-"));
        assert_eq!(a.timeout_scale, Some(2.5));
        assert_eq!(args("check").mode(), Mode::Check);
        assert_eq!(args("").mode(), Mode::Tree);
        let bad =
            |s: &str| Args::try_parse_from(["cargo grade"].into_iter().chain(s.split_whitespace()));
        assert!(bad("--solutions --student /s").is_err(), "one source only");
        assert!(bad("--timeout-scale -1").is_err());
        let a = args("--class /c --shard 2/3 --json s.json");
        assert_eq!(a.shard, Some(shard::Shard { index: 2, count: 3 }));
        assert_eq!(a.mode(), Mode::Class("/c".into()));
        let m = args("merge a.json b.json --csv g.csv --junit g.xml");
        assert_eq!(m.mode(), Mode::Merge(vec!["a.json".into(), "b.json".into()]));
        assert_eq!(m.csv, Some("g.csv".into()));
        assert!(bad("--shard 1/2").is_err(), "a shard of no class");
        assert!(bad("--student /s --shard 1/2").is_err(), "a shard of one student");
        assert!(bad("--class /c --shard 3/2").is_err());
        assert!(bad("merge").is_err(), "nothing to merge");
    }

    #[test]
    fn the_classroom_config_in_the_repository_is_current() {
        let root = runner::repo_root();
        let rubrics = rubric::discover(&root).unwrap();
        let file =
            std::fs::read_to_string(root.join(".github/classroom/autograding.json")).unwrap();
        assert_eq!(
            file,
            classroom(&rubrics),
            "regenerate it: cargo grade classroom > .github/classroom/autograding.json"
        );
    }
}
