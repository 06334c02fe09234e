//! Screening a submission's sources before any of it is built: the rules
//! that let the grader take a verdict from a process that runs them.
//!
//! The check reads tokens (with `proc-macro2`), so comments and string
//! literals never count, while the bodies of `macro_rules!` do: a macro can
//! move tokens around but cannot invent an identifier, so a forbidden name
//! is found wherever a macro could later put it.
//!
//! - An **inert** piece (its stub's crate root says `#![no_std]`: the kernel
//!   pieces and the typestate lab) must stay `no_std`, name no `std`, and use
//!   no `unsafe`, `extern`, assembly, or attributes that link or place
//!   symbols. Safe `no_std` code can compute, panic, loop or abort: none of
//!   these prints a test report or exits with status 0, so the test process
//!   that runs it can be trusted to judge it. A rubric may name items
//!   (`unsafe_items`, the switch piece's `switch_to` and `init_stack`) where
//!   `unsafe`, `extern "C"` and a short list of instructions are allowed.
//! - A **contained** piece (a Linux lab, which must call `fork`) may use
//!   `unsafe`, but nothing that runs without being called or replaces a
//!   symbol the test program links: no assembly, no `#[no_mangle]`,
//!   `#[used]`, `#[link_section]`, `#[global_allocator]`, extern blocks or
//!   `#[link]`. Its tests run every call into it in a child process.
//!
//! Both kinds may not read other files at compile time (`include!` and its
//! kin, `#[path]`): the grading tree holds the reference solutions.

use crate::tree::Sources;
use proc_macro2::{Delimiter, Group, Spacing, TokenStream, TokenTree};
use std::fmt;
use std::path::{Path, PathBuf};

/// What a piece's sources may contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rules {
    /// `no_std`, safe, unable to act; `unsafe_items` are the exceptions.
    Inert { unsafe_items: Vec<String> },
    /// May act when called, never on its own.
    Contained,
}

impl Rules {
    /// The rules for a piece, from its pristine stub: a stub that is
    /// `no_std` makes the piece inert.
    pub fn for_stub(stub_root: &str, unsafe_items: &[String]) -> Rules {
        let no_std = stub_root
            .parse::<TokenStream>()
            .is_ok_and(|ts| has_no_std(&ts.into_iter().collect::<Vec<_>>()));
        if no_std { Rules::Inert { unsafe_items: unsafe_items.to_vec() } } else { Rules::Contained }
    }
}

/// One reason to refuse a submission, at a place in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub file: PathBuf,
    pub line: usize,
    pub why: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "src/{}:{}: {}", self.file.display(), self.line, self.why)
    }
}

/// Instructions an unsafe item's assembly may use: enough to save and
/// restore registers and switch stacks, and nothing that enters the kernel,
/// calls or jumps (`ret` returns to whatever the stack says, which is the
/// point of `switch_to`). `ud2` is the stub's "not written yet".
const INSTRUCTIONS: [&str; 13] =
    ["push", "pop", "mov", "lea", "add", "sub", "xchg", "xor", "and", "or", "ret", "nop", "ud2"];
const ASM_OPTIONS: [&str; 9] = [
    "att_syntax",
    "raw",
    "nostack",
    "nomem",
    "readonly",
    "pure",
    "preserves_flags",
    "noreturn",
    "may_unwind",
];

/// Names that are never allowed, in any position, with the reason.
fn forbidden(name: &str) -> Option<&'static str> {
    Some(match name {
        "include" | "include_str" | "include_bytes" => "reads a file at compile time",
        "global_asm" => "global assembly runs outside any call",
        "no_mangle" | "export_name" | "link_name" | "link_ordinal" | "linkage" => {
            "names a symbol, which can replace one the test program links"
        }
        "link_section" => {
            "places code or data in a section of its choice (such as one run before main)"
        }
        "global_allocator" => "would run this code inside every allocation of the test program",
        "panic_handler" | "no_main" => "replaces part of the test program's runtime",
        "debugger_visualizer" => "embeds a file into the program",
        "cfg_attr" => "cfg_attr hides attributes from the screen: write them plainly",
        _ => return None,
    })
}

/// Attribute names that are also ordinary words, so they are refused only
/// at the head of a `[...]` group, which is where an attribute starts.
fn forbidden_attribute(name: &str) -> Option<&'static str> {
    Some(match name {
        "used" => "#[used] keeps data that can run code before main",
        "path" => "#[path] points a module at a file outside src/",
        "link" => "#[link] links a library the course does not",
        _ => return None,
    })
}

/// Screens every `.rs` file of a piece; the crate root is `lib.rs`.
pub fn screen(rules: &Rules, files: &Sources) -> Vec<Rejection> {
    let mut out = Vec::new();
    for (path, bytes) in files.iter().filter(|(p, _)| p.extension().is_some_and(|e| e == "rs")) {
        let mut reject = |line: usize, why: String| {
            out.push(Rejection { file: path.clone(), line, why });
        };
        let Ok(text) = std::str::from_utf8(bytes) else {
            reject(1, "not UTF-8 text".into());
            continue;
        };
        let tokens: Vec<TokenTree> = match text.parse::<TokenStream>() {
            Ok(ts) => ts.into_iter().collect(),
            Err(e) => {
                reject(e.span().start().line, format!("cannot be read as Rust tokens: {e}"));
                continue;
            }
        };
        let root = path == Path::new("lib.rs");
        let mut s = Screen { rules, out: Vec::new() };
        if let Rules::Inert { unsafe_items } = rules {
            if root && !has_no_std(&tokens) {
                s.reject(1, "the crate root must say #![no_std] (plainly, not under cfg_attr): this piece must not use the standard library");
            }
            let allowed = if root { item_ranges(&tokens, unsafe_items) } else { Vec::new() };
            let mut start = 0;
            for range in &allowed {
                s.level(&tokens[start..range.start], false);
                s.level(&tokens[range.clone()], true);
                start = range.end;
            }
            s.level(&tokens[start..], false);
        } else {
            s.level(&tokens, false);
        }
        for (line, why) in s.out {
            reject(line, why);
        }
    }
    out.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    out.dedup();
    out
}

struct Screen<'a> {
    rules: &'a Rules,
    out: Vec<(usize, String)>,
}

fn line(t: &TokenTree) -> usize {
    t.span().start().line
}

fn ident(t: Option<&TokenTree>) -> Option<String> {
    match t? {
        TokenTree::Ident(i) => {
            let s = i.to_string();
            Some(s.strip_prefix("r#").map(str::to_string).unwrap_or(s))
        }
        _ => None,
    }
}

fn is_punct(t: Option<&TokenTree>, c: char) -> bool {
    matches!(t, Some(TokenTree::Punct(p)) if p.as_char() == c)
}

fn group(t: Option<&TokenTree>, d: Delimiter) -> Option<&Group> {
    match t? {
        TokenTree::Group(g) if g.delimiter() == d => Some(g),
        _ => None,
    }
}

fn is_literal(t: Option<&TokenTree>) -> bool {
    matches!(t, Some(TokenTree::Literal(_)))
}

impl Screen<'_> {
    fn reject(&mut self, line: usize, why: impl Into<String>) {
        self.out.push((line, why.into()));
    }

    fn inert(&self) -> bool {
        matches!(self.rules, Rules::Inert { .. })
    }

    fn exceptions(&self) -> String {
        match self.rules {
            Rules::Inert { unsafe_items } if !unsafe_items.is_empty() => {
                format!(" outside {}", unsafe_items.join(" and "))
            }
            _ => String::new(),
        }
    }

    /// Screens one level of tokens; `allowed` inside an unsafe item.
    fn level(&mut self, toks: &[TokenTree], allowed: bool) {
        for (i, t) in toks.iter().enumerate() {
            match t {
                TokenTree::Ident(_) => self.word(toks, i, allowed),
                TokenTree::Group(g) => {
                    if g.delimiter() == Delimiter::Bracket {
                        let before = |k: usize| i.checked_sub(k).map(|j| &toks[j]);
                        let after_hash = is_punct(before(1), '#')
                            || (is_punct(before(1), '!') && is_punct(before(2), '#'));
                        self.bracket(g, after_hash);
                    }
                    let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                    self.level(&inner, allowed);
                }
                _ => {}
            }
        }
    }

    fn word(&mut self, toks: &[TokenTree], i: usize, allowed: bool) {
        let next = |k: usize| toks.get(i + k);
        let name = ident(Some(&toks[i])).unwrap_or_default();
        let at = line(&toks[i]);
        if let Some(why) = forbidden(&name) {
            self.reject(at, format!("{name}: {why}"));
            return;
        }
        let inert = self.inert();
        match name.as_str() {
            "std" if inert => self.reject(
                at,
                "uses the standard library (`std`): this piece must stay no_std, where code can compute but cannot print, exit or touch files",
            ),
            "unsafe" if inert && !allowed => {
                self.reject(at, format!("unsafe code{}", self.exceptions()))
            }
            "naked" if !allowed => {
                self.reject(at, format!("a naked function{}", self.exceptions()))
            }
            "extern" => self.extern_(at, next(1), next(2), next(3), allowed),
            "asm" | "naked_asm" => match (inert && allowed && is_punct(next(1), '!'), next(2)) {
                (true, Some(TokenTree::Group(g))) => self.assembly(g),
                _ => self.reject(at, format!("inline assembly{}", self.exceptions())),
            },
            _ => {}
        }
    }

    fn extern_(
        &mut self,
        at: usize,
        a: Option<&TokenTree>,
        b: Option<&TokenTree>,
        c: Option<&TokenTree>,
        allowed: bool,
    ) {
        if self.inert() {
            let alloc = ident(a).as_deref() == Some("crate")
                && matches!(ident(b).as_deref(), Some("alloc" | "core"))
                && is_punct(c, ';');
            if !(alloc || (allowed && is_literal(a))) {
                let only = "(only `extern crate alloc;` is allowed)";
                self.reject(at, format!("extern{} {only}", self.exceptions()));
            }
        } else {
            // `extern "C" fn` is only a calling convention; blocks and crates link.
            let abi_fn = ident(a).as_deref() == Some("fn")
                || (is_literal(a) && ident(b).as_deref() == Some("fn"));
            if !abi_fn {
                self.reject(
                    at,
                    "an extern block or extern crate: it links code from outside the course's crates",
                );
            }
        }
    }

    /// An attribute (or any `[...]`, since a macro can put the `#` in front
    /// of one later) must not start with a forbidden name, and an attribute
    /// must not be built from a macro's argument.
    fn bracket(&mut self, g: &Group, after_hash: bool) {
        let inner: Vec<TokenTree> = g.stream().into_iter().collect();
        let first = inner.first();
        let at = g.span().start().line;
        if let Some(why) = ident(first).as_deref().and_then(forbidden_attribute) {
            self.reject(at, why);
        }
        if after_hash && is_punct(first, '$') {
            self.reject(at, "an attribute built from a macro's argument");
        }
        if after_hash && !self.inert() && ident(first).as_deref() == Some("unsafe") {
            self.reject(at, "an unsafe attribute (#[unsafe(...)]): it names or places symbols");
        }
    }

    /// The arguments of `asm!`/`naked_asm!` in an unsafe item: string
    /// literals of allowed instructions, and `options(...)`.
    fn assembly(&mut self, g: &Group) {
        let toks: Vec<TokenTree> = g.stream().into_iter().collect();
        for arg in toks.split(|t| is_punct(Some(t), ',')) {
            let at = arg.first().map_or(g.span().start().line, line);
            match arg {
                [] => {}
                [TokenTree::Literal(l)] => match unquote(&l.to_string()) {
                    Some(text) => self.instructions(at, &text),
                    None => self.reject(at, "assembly must be written as plain string literals"),
                },
                [TokenTree::Ident(o), TokenTree::Group(opts)] if o == "options" => {
                    for t in opts.stream() {
                        let ok = match &t {
                            TokenTree::Ident(i) => ASM_OPTIONS.contains(&i.to_string().as_str()),
                            TokenTree::Punct(p) => p.as_char() == ',',
                            _ => false,
                        };
                        if !ok {
                            self.reject(at, format!("assembly option `{t}` is not allowed"));
                        }
                    }
                }
                _ => self.reject(
                    at,
                    "only string literals and options(...) may be passed to the assembly (no sym, const, or register operands)",
                ),
            }
        }
    }

    fn instructions(&mut self, at: usize, text: &str) {
        for statement in text.split(['\n', ';']) {
            let mut s = statement.split("//").next().unwrap_or_default();
            s = s.split('#').next().unwrap_or_default().trim();
            // Labels are harmless on their own: nothing may jump to them.
            while let Some((label, rest)) = s.split_once(':') {
                if label.is_empty()
                    || !label.chars().all(|c| c.is_alphanumeric() || "_.$".contains(c))
                {
                    break;
                }
                s = rest.trim();
            }
            let Some(word) = s.split(|c: char| c.is_whitespace() || c == ',').next() else {
                continue;
            };
            let word = word.to_ascii_lowercase();
            // AT&T syntax adds a size suffix: pushq, movq, ret is retq.
            let bare = word.strip_suffix('q').filter(|w| INSTRUCTIONS.contains(w));
            if !word.is_empty() && !INSTRUCTIONS.contains(&word.as_str()) && bare.is_none() {
                self.reject(
                    at,
                    format!(
                        "instruction `{word}` is not allowed here (allowed: {})",
                        INSTRUCTIONS.join(", ")
                    ),
                );
            }
        }
    }
}

/// Whether a token list has `#![no_std]` at its top level.
fn has_no_std(tokens: &[TokenTree]) -> bool {
    tokens.windows(3).any(|w| {
        is_punct(Some(&w[0]), '#')
            && matches!(&w[1], TokenTree::Punct(p) if p.as_char() == '!' && p.spacing() == Spacing::Alone)
            && group(Some(&w[2]), Delimiter::Bracket).is_some_and(|g| {
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                inner.len() == 1 && ident(inner.first()).as_deref() == Some("no_std")
            })
    })
}

/// The token ranges of the top-level `fn` items named in `names`, each with
/// its attributes and qualifiers, up to and including its body. Only the
/// first item of each name counts.
fn item_ranges(tokens: &[TokenTree], names: &[String]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    for name in names {
        let Some(f) = (1..tokens.len()).find(|&i| {
            ident(tokens.get(i - 1)).as_deref() == Some("fn")
                && ident(tokens.get(i)).as_deref() == Some(name.as_str())
        }) else {
            continue;
        };
        let Some(body) =
            (f..tokens.len()).find(|&i| group(tokens.get(i), Delimiter::Brace).is_some())
        else {
            continue;
        };
        // Back over `fn`, qualifiers, the ABI, visibility and attributes.
        let mut start = f - 1;
        loop {
            let prev = start.checked_sub(1).map(|j| &tokens[j]);
            let qualifier = matches!(
                ident(prev).as_deref(),
                Some("pub" | "unsafe" | "extern" | "const" | "async")
            ) || is_literal(prev)
                || (group(prev, Delimiter::Parenthesis).is_some()
                    && ident(start.checked_sub(2).map(|j| &tokens[j])).as_deref() == Some("pub"));
            let attribute = group(prev, Delimiter::Bracket).is_some()
                && is_punct(start.checked_sub(2).map(|j| &tokens[j]), '#');
            if qualifier {
                start -= 1;
            } else if attribute {
                start -= 2;
            } else {
                break;
            }
        }
        ranges.push(start..body + 1);
    }
    ranges.sort_by_key(|r| r.start);
    ranges.dedup_by(|b, a| b.start < a.end);
    ranges
}

/// The text of a string literal token: "..." with the usual escapes, or a
/// raw string. None for anything else.
fn unquote(lit: &str) -> Option<String> {
    if let Some(raw) = lit.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let body = raw[hashes..].strip_prefix('"')?;
        return Some(body.strip_suffix(&format!("\"{}", "#".repeat(hashes)))?.to_string());
    }
    let body = lit.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            '\'' => out.push('\''),
            '0' => out.push('\0'),
            '\n' => {
                while chars.clone().next().is_some_and(char::is_whitespace) {
                    chars.next();
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inert(items: &[&str]) -> Rules {
        Rules::Inert { unsafe_items: items.iter().map(|s| s.to_string()).collect() }
    }

    fn check(rules: &Rules, files: &[(&str, &str)]) -> Vec<String> {
        let sources: Sources =
            files.iter().map(|(p, t)| (PathBuf::from(p), t.as_bytes().to_vec())).collect();
        screen(rules, &sources).iter().map(ToString::to_string).collect()
    }

    fn lib(rules: &Rules, text: &str) -> Vec<String> {
        check(rules, &[("lib.rs", text)])
    }

    const NO_STD: &str = "#![no_std]\n";

    #[test]
    fn the_rules_come_from_the_stub() {
        assert_eq!(Rules::for_stub("//! doc\n#![no_std]\nfn f() {}", &[]), inert(&[]));
        assert_eq!(Rules::for_stub("#![cfg_attr(all(), no_std)]", &[]), Rules::Contained);
        assert_eq!(Rules::for_stub("use std::io;", &[]), Rules::Contained);
    }

    #[test]
    fn every_stub_and_solution_in_this_repository_passes() {
        let root = runner::repo_root();
        for r in crate::rubric::discover(&root).unwrap() {
            let stub =
                std::fs::read_to_string(root.join("exercises").join(&r.piece).join("src/lib.rs"))
                    .unwrap();
            let rules = Rules::for_stub(&stub, &r.unsafe_items);
            for dir in ["exercises", "solutions"] {
                let src = root.join(dir).join(&r.piece).join("src");
                let files = crate::tree::regular_files(&src).unwrap();
                assert_eq!(screen(&rules, &files), vec![], "{dir}/{}", r.piece);
            }
        }
    }

    #[test]
    fn an_inert_piece_stays_no_std_and_safe() {
        let r = inert(&[]);
        assert_eq!(
            lib(&r, "#![no_std]\nextern crate alloc;\npub fn f() -> u32 { 1 }"),
            Vec::<String>::new()
        );
        assert_eq!(
            lib(&r, "pub fn f() {}"),
            [
                "src/lib.rs:1: the crate root must say #![no_std] (plainly, not under cfg_attr): this piece must not use the standard library"
            ]
        );
        let forge = "#![no_std]\n#[cfg(panic = \"unwind\")] extern crate std;\nfn f() { std::process::exit(0) }";
        let got = lib(&r, forge);
        assert!(got.iter().any(|e| e.starts_with("src/lib.rs:2: extern")), "{got:?}");
        assert!(
            got.iter().any(|e| e.starts_with("src/lib.rs:3: uses the standard library")),
            "{got:?}"
        );
        let got = lib(&r, &format!("{NO_STD}fn f(p: *mut u8) {{ unsafe {{ *p = 0 }} }}"));
        assert_eq!(got, ["src/lib.rs:2: unsafe code"]);
        let got = lib(
            &r,
            &format!(
                "{NO_STD}unsafe extern \"C\" {{ fn write(fd: i32, p: *const u8, n: usize) -> isize; }}"
            ),
        );
        assert!(
            got.iter().any(|e| e.contains("extern"))
                && got.iter().any(|e| e.contains("unsafe code")),
            "{got:?}"
        );
    }

    #[test]
    fn comments_and_strings_are_not_code_but_macro_bodies_are() {
        let r = inert(&[]);
        let quiet = format!(
            "{NO_STD}// unsafe std extern\n/// std::process::exit\nconst S: &str = \"unsafe {{ std }}\";"
        );
        assert_eq!(lib(&r, &quiet), Vec::<String>::new());
        let hidden = format!("{NO_STD}macro_rules! m {{ ($e:expr) => {{ unsafe {{ $e }} }} }}");
        assert_eq!(lib(&r, &hidden), ["src/lib.rs:2: unsafe code"]);
    }

    #[test]
    fn attributes_that_link_place_or_read_are_refused_everywhere() {
        for r in [inert(&[]), Rules::Contained] {
            let cases = [
                ("#[unsafe(no_mangle)] pub fn write() {}", "no_mangle"),
                ("#[used] static X: u8 = 0;", "#[used]"),
                ("#[path = \"../../../solutions/x/src/lib.rs\"] mod sol;", "#[path]"),
                ("const S: &str = include_str!(\"/etc/passwd\");", "include_str"),
                ("#[cfg_attr(all(), used)] static X: u8 = 0;", "cfg_attr"),
                ("macro_rules! m { ($a:meta) => { #[$a] static X: u8 = 0; } }", "macro's argument"),
                (
                    "macro_rules! m { ($h:tt $b:tt) => { $h $b static X: u8 = 0; } } m!(# [used]);",
                    "#[used]",
                ),
                ("#[global_allocator] static A: Mine = Mine;", "global_allocator"),
                ("#[link(name = \"c\")] unsafe extern \"C\" {}", "#[link]"),
            ];
            for (code, words) in cases {
                let got = lib(&r, &format!("{NO_STD}{code}"));
                assert!(got.iter().any(|e| e.contains(words)), "{r:?} {code}: {got:?}");
            }
        }
        // The same words as plain names are fine.
        assert_eq!(
            lib(
                &Rules::Contained,
                "fn f(path: &str, used: u32) -> usize { path.len() + used as usize }"
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_lab_may_use_unsafe_but_nothing_that_runs_uncalled() {
        let r = Rules::Contained;
        let fork = "pub fn f() { match unsafe { nix::unistd::fork() } { _ => unsafe { nix::libc::_exit(0) } } }\nextern \"C\" fn handler(_: i32) {}";
        assert_eq!(lib(&r, fork), Vec::<String>::new());
        for (code, words) in [
            ("core::arch::global_asm!(\".section .init_array\");", "global_asm"),
            ("fn f() { unsafe { core::arch::asm!(\"syscall\") } }", "inline assembly"),
            ("#[unsafe(link_section = \".init_array\")] static I: fn() = f;", "link_section"),
            ("unsafe extern \"C\" { fn getpid() -> i32; }", "extern block"),
            ("extern crate std as other;", "extern block"),
        ] {
            let got = lib(&r, code);
            assert!(got.iter().any(|e| e.contains(words)), "{code}: {got:?}");
        }
    }

    const SWITCH: &str = r#"#![no_std]
extern crate alloc;
/// Docs.
#[unsafe(naked)]
pub unsafe extern "C" fn switch_to(prev: *mut u64, next: u64) {
    core::arch::naked_asm!("push rbp", "mov [rdi], rsp", "mov rsp, rsi", "pop rbp", "ret")
}
pub unsafe fn init_stack(top: u64, entry: usize) -> u64 {
    unsafe { ((top - 64) as *mut [u64; 8]).write([0, 0, 0, 0, 0, 0, entry as u64, 0]) };
    top - 64
}
pub fn schedule() {}
"#;

    #[test]
    fn unsafe_items_allow_unsafe_and_a_few_instructions_only_inside() {
        let r = inert(&["switch_to", "init_stack"]);
        assert_eq!(lib(&r, SWITCH), Vec::<String>::new());
        let outside = SWITCH.replace("pub fn schedule() {}", "pub fn schedule() { unsafe {} }");
        assert_eq!(
            lib(&r, &outside),
            ["src/lib.rs:12: unsafe code outside switch_to and init_stack"]
        );
        let syscall = SWITCH.replace("\"pop rbp\"", "\"mov eax, 60\\n syscall\"");
        assert_eq!(
            lib(&r, &syscall),
            [
                "src/lib.rs:6: instruction `syscall` is not allowed here (allowed: push, pop, mov, lea, add, sub, xchg, xor, and, or, ret, nop, ud2)"
            ]
        );
        let jump = SWITCH.replace("\"ret\"", "\"jmp {f}\", f = sym other");
        assert!(lib(&r, &jump).iter().any(|e| e.contains("no sym")), "{:?}", lib(&r, &jump));
        let bytes = SWITCH.replace("\"ret\"", "\"1: .byte 0x0f, 0x05\"");
        assert!(lib(&r, &bytes).iter().any(|e| e.contains("`.byte`")), "{:?}", lib(&r, &bytes));
        let elsewhere =
            check(&r, &[("lib.rs", SWITCH), ("more.rs", "pub unsafe fn switch_to() {}")]);
        assert_eq!(elsewhere, ["src/more.rs:1: unsafe code outside switch_to and init_stack"]);
    }

    #[test]
    fn unreadable_files_are_refused() {
        let got = check(&Rules::Contained, &[("lib.rs", "fn f() { ( }")]);
        assert!(got[0].contains("cannot be read as Rust tokens"), "{got:?}");
    }
}
