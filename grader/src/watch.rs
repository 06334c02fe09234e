//! `cargo grade watch [PIECE]`: reruns a piece's checks every time a file
//! under `exercises/<piece>/src` is saved, and shows the progress of every
//! piece, the first failing check with what was expected, and its hints one
//! key press at a time. `cargo grade progress` prints the progress table.
//!
//! It checks the learner's own checkout in place, with the grader's own
//! machinery: the tests named in the rubric, each alone with a time limit,
//! then (once they all pass) the kernel scenarios. It builds into the
//! checkout's usual `target/`, so a rerun costs an incremental build.

use crate::progress::{self, Progress};
use crate::rubric::Rubric;
use crate::tree::Tree;
use crate::verdict::{Item, Kind, PieceScore};
use crate::{host, pool, scenario};
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::terminal;
use notify::{RecursiveMode, Watcher};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[derive(Debug, PartialEq, clap::Args)]
pub struct WatchArgs {
    /// The piece to work on [default: the first one not done yet].
    pub piece: Option<String>,
    /// The checkout to watch [default: this repository].
    #[arg(long, value_name = "DIR")]
    pub checkout: Option<PathBuf>,
}

#[derive(Debug, PartialEq, clap::Args)]
pub struct ProgressArgs {
    /// The checkout whose progress to show [default: this repository].
    #[arg(long, value_name = "DIR")]
    pub checkout: Option<PathBuf>,
}

/// `cargo grade progress`.
pub fn progress_main(args: &ProgressArgs) -> i32 {
    let root = args.checkout.clone().unwrap_or_else(runner::repo_root);
    let rubrics = match crate::rubric::discover(&root) {
        Ok(r) => progress::course_order(&root, &r),
        Err(e) => return error(&e),
    };
    let p = Progress::load(&root);
    print!("{}", progress::table(&p, &rubrics, None));
    println!("(kept in {})", progress::state_dir().join("progress.json").display());
    0
}

fn error(msg: &str) -> i32 {
    eprintln!("cargo grade: error: {msg}");
    2
}

enum Msg {
    Saved(PathBuf),
    Key(KeyCode, KeyModifiers),
}

/// Leaves raw mode however the watch ends.
struct RawMode;

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
    }
}

struct Session {
    root: PathBuf,
    tree: Tree,
    order: Vec<Rubric>,
    current: usize,
    scale: f64,
    progress: Progress,
    score: Option<PieceScore>,
    status: String,
    /// Hints shown for the first failing item.
    shown: usize,
    tty: bool,
}

/// `cargo grade watch`.
pub fn watch_main(args: &WatchArgs, timeout_scale: Option<f64>) -> i32 {
    let root = args.checkout.clone().unwrap_or_else(runner::repo_root);
    let root = root.canonicalize().unwrap_or(root);
    let order = match crate::rubric::discover(&root) {
        Ok(r) => progress::course_order(&root, &r),
        Err(e) => return error(&e),
    };
    let progress = Progress::load(&root);
    let current = match &args.piece {
        Some(p) => match order.iter().position(|r| &r.piece == p) {
            Some(i) => i,
            None => {
                let known: Vec<&str> = order.iter().map(|r| r.piece.as_str()).collect();
                return error(&format!("no piece {p:?}; the pieces are {}", known.join(", ")));
            }
        },
        None => order
            .iter()
            .position(|r| !progress.pieces.get(&r.piece).is_some_and(|p| p.done()))
            .unwrap_or(0),
    };
    let tree = match Tree::in_place(&root) {
        Ok(tree) => tree,
        Err(e) => return error(&e),
    };
    // The student's own code: in the sandbox the instructor's grader uses,
    // so that it behaves here as it will there, or without one.
    crate::sandbox::install(crate::sandbox::Sandbox::new(&[&tree.root, &tree.target]).ok());
    let (scale, _) = crate::calibrate::scale(timeout_scale);
    let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let mut s = Session {
        root,
        tree,
        order,
        current,
        scale,
        progress,
        score: None,
        status: String::new(),
        shown: 1,
        tty,
    };
    let _raw = if tty && terminal::enable_raw_mode().is_ok() { Some(RawMode) } else { None };
    match s.run() {
        Ok(()) => 0,
        Err(e) => {
            drop(_raw);
            error(&e)
        }
    }
}

impl Session {
    fn rubric(&self) -> &Rubric {
        &self.order[self.current]
    }

    fn src(&self) -> PathBuf {
        self.root.join("exercises").join(&self.rubric().piece).join("src")
    }

    fn run(&mut self) -> Result<(), String> {
        let (tx, rx) = mpsc::channel();
        let saved = tx.clone();
        let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let Ok(ev) = res else { return };
            if ev.kind.is_access() {
                return;
            }
            // Editors write swap and backup files too; only sources count.
            for p in ev.paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "rs")) {
                let _ = saved.send(Msg::Saved(p));
            }
        })
        .map_err(|e| format!("cannot watch files: {e}"))?;
        watcher.watch(&self.src(), RecursiveMode::Recursive).map_err(|e| e.to_string())?;
        if self.tty {
            std::thread::spawn(move || {
                while let Ok(ev) = event::read() {
                    if let Event::Key(k) = ev
                        && k.kind == KeyEventKind::Press
                        && tx.send(Msg::Key(k.code, k.modifiers)).is_err()
                    {
                        return;
                    }
                }
            });
        }
        self.status = format!("watching {}", self.relative(&self.src()));
        self.check();
        while let Ok(msg) = rx.recv() {
            match msg {
                Msg::Saved(path) => {
                    // One save is often several events: let them settle.
                    std::thread::sleep(Duration::from_millis(250));
                    while rx.try_recv().is_ok_and(|m| matches!(m, Msg::Saved(_))) {}
                    self.status = format!("{} saved", self.relative(&path));
                    self.check();
                }
                Msg::Key(KeyCode::Char('c'), m) if m.contains(KeyModifiers::CONTROL) => break,
                Msg::Key(KeyCode::Char('q') | KeyCode::Esc, _) => break,
                Msg::Key(KeyCode::Char('h'), _) => self.next_hint(),
                Msg::Key(KeyCode::Char('r'), _) => {
                    self.status = "run again".into();
                    self.check();
                }
                Msg::Key(KeyCode::Char('n'), _) if self.current + 1 < self.order.len() => {
                    watcher.unwatch(&self.src()).map_err(|e| e.to_string())?;
                    self.current += 1;
                    watcher
                        .watch(&self.src(), RecursiveMode::Recursive)
                        .map_err(|e| e.to_string())?;
                    self.status = format!("watching {}", self.relative(&self.src()));
                    self.check();
                }
                Msg::Key(..) => {}
            }
        }
        self.draw();
        Ok(())
    }

    fn relative(&self, p: &Path) -> String {
        p.strip_prefix(&self.root).unwrap_or(p).display().to_string()
    }

    /// Runs the checks, records the progress, and redraws.
    fn check(&mut self) {
        let r = self.rubric().clone();
        self.score = None;
        let note = format!("{}: checking {} ...", self.status, r.piece);
        self.print(&format!("{}{note}\n", self.header()));
        let start = Instant::now();
        let score = check_piece(&self.tree, &r, self.scale);
        self.status = format!("{}; checked in {:.1} s", self.status, start.elapsed().as_secs_f64());
        self.progress.record(&score);
        self.shown = self.first_failure(&score).map_or(1, |item| {
            self.progress.pieces[&r.piece].hints.get(&item.name).copied().unwrap_or(1).max(1)
        });
        self.score = Some(score);
        self.remember_hints();
        self.draw();
    }

    fn first_failure<'a>(&self, score: &'a PieceScore) -> Option<&'a Item> {
        score.items.iter().find(|i| !i.passed)
    }

    fn next_hint(&mut self) {
        let Some(score) = &self.score else { return };
        let Some(item) = self.first_failure(score) else { return };
        let rungs = self.rubric().ladder(&item.name).len();
        self.shown = (self.shown + 1).min(rungs.max(1));
        self.remember_hints();
        self.draw();
    }

    fn remember_hints(&mut self) {
        let Some(score) = &self.score else { return };
        if let Some(item) = self.first_failure(score) {
            let name = item.name.clone();
            let piece = self.rubric().piece.clone();
            let p = self.progress.pieces.entry(piece).or_default();
            let seen = p.hints.entry(name).or_insert(0);
            *seen = (*seen).max(self.shown);
        }
        if let Err(e) = self.progress.save() {
            self.status = format!("{}; progress not saved: {e}", self.status);
        }
    }

    fn header(&self) -> String {
        let r = self.rubric();
        format!(
            "cargo grade watch: {} (book/src/{})\nkeys: h next hint   r run again   n next piece   q quit\n\n{}\n",
            r.piece,
            r.chapter,
            progress::table(&self.progress, &self.order, Some(&r.piece))
        )
    }

    fn draw(&self) {
        let mut out = self.header();
        out.push_str(&format!("{}\n\n", self.status));
        if let Some(score) = &self.score {
            out.push_str(&self.verdict(score));
        }
        self.print(&out);
    }

    fn verdict(&self, score: &PieceScore) -> String {
        let r = self.rubric();
        let mut out = String::new();
        let Some(item) = self.first_failure(score) else {
            out.push_str(&format!(
                "PASS {}: every check passes, {}/{} points.\n",
                r.piece,
                score.points(),
                score.max()
            ));
            match self.order.get(self.current + 1) {
                Some(next) => out.push_str(&format!(
                    "Next: {}. Read book/src/{}, then press n (or run `cargo grade watch {}`).\n",
                    next.piece, next.chapter, next.piece
                )),
                None => out.push_str("That was the last piece: you have built them all.\n"),
            }
            return out;
        };
        if let Some(note) = &score.note {
            out.push_str(&format!("{}\n\n", host::first_lines(note, 16)));
        }
        let failing = score.items.iter().filter(|i| !i.passed).count();
        let kind = if item.kind == Kind::Test { "test" } else { "scenario" };
        out.push_str(&format!("FAIL {kind} {} ({} points)", item.name, item.max));
        if failing > 1 {
            out.push_str(&format!(", and {} more failing", failing - 1));
        }
        out.push('\n');
        for l in host::first_lines(&item.detail, 12).lines() {
            out.push_str(&format!("    {l}\n"));
        }
        let ladder = r.ladder(&item.name);
        for (i, h) in ladder.iter().take(self.shown).enumerate() {
            out.push_str(&format!("\nHint {} of {}: {h}\n", i + 1, ladder.len()));
        }
        if self.shown < ladder.len() {
            out.push_str("(press h for the next hint)\n");
        }
        out.push_str(&format!("\nRead: book/src/{}\n", r.chapter));
        out
    }

    fn print(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        if self.tty {
            // Raw mode: the cursor needs an explicit carriage return.
            let _ = write!(stdout, "\x1b[2J\x1b[H{}", text.replace('\n', "\r\n"));
        } else {
            let _ = writeln!(stdout, "{text}");
        }
        let _ = stdout.flush();
    }
}

/// A piece's checks in the checkout: its rubric tests, and once they all
/// pass, its kernel scenarios.
pub fn check_piece(tree: &Tree, r: &Rubric, scale: f64) -> PieceScore {
    let item = |name: &str, kind, points, hint: &str, why: &str| {
        Item::new(name, kind, points, hint, Err(why.to_string()))
    };
    let mut score = PieceScore {
        piece: r.piece.clone(),
        chapter: r.chapter.clone(),
        items: Vec::new(),
        note: None,
    };
    let built = match host::build(tree, &[r]) {
        Ok(b) => b,
        Err(e) => {
            score.note = Some(e);
            return score;
        }
    };
    if let Some(e) = built.errors.get(&r.piece) {
        score.note = Some(format!("does not compile:\n{e}"));
        score.items = r
            .tests
            .iter()
            .map(|t| item(&t.name, Kind::Test, t.points, &t.hint, "the piece does not compile"))
            .collect();
    } else {
        let (mut tests, errors) = host::run(tree, &[r], &built, scale);
        score.items = tests.remove(&r.piece).unwrap_or_default();
        if !errors.is_empty() {
            score.note = Some(errors.join("\n"));
        }
    }
    let tests_pass = score.note.is_none() && score.items.iter().all(|i| i.passed);
    let boots: Vec<Item> = if r.scenarios.is_empty() {
        Vec::new()
    } else if !tests_pass {
        let why = "not booted yet: the tests come first";
        r.scenarios.iter().map(|s| item(&s.name, Kind::Scenario, s.points, &s.hint, why)).collect()
    } else {
        match scenario::build_kernel(tree, std::slice::from_ref(&r.piece), "watch.elf") {
            Err(e) => {
                let why = format!(
                    "the kernel does not build with this piece:\n{}",
                    host::first_lines(&e, 20)
                );
                r.scenarios
                    .iter()
                    .map(|s| item(&s.name, Kind::Scenario, s.points, &s.hint, &why))
                    .collect()
            }
            Ok(elf) => {
                let results =
                    pool::map(&r.scenarios, |s| scenario::boot(&elf, &r.piece, s, tree, scale));
                r.scenarios
                    .iter()
                    .zip(results)
                    .map(|(s, res)| {
                        Item::new(&s.name, Kind::Scenario, s.points, &s.hint, res.and_then(|v| v))
                    })
                    .collect()
            }
        }
    };
    score.items.extend(boots);
    score
}
