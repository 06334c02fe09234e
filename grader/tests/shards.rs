//! A class graded whole, and again in three shards whose JSON reports are
//! merged: the merge must give the same class table, CSV, JUnit and JSON
//! as the whole run.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Host-only pieces, so that no kernel is built or booted.
const PIECES: [&str; 2] = ["linux-orphans", "linux-pstree"];

/// The students, and the pieces each has solved (the others are the stubs).
const CLASS: [(&str, &[&str]); 5] = [
    ("ann", &["linux-orphans", "linux-pstree"]),
    ("bob", &[]),
    ("cat", &["linux-orphans"]),
    ("dan", &["linux-pstree"]),
    ("eve", &["linux-orphans", "linux-pstree"]),
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

fn class(dir: &Path) {
    for (name, solved) in CLASS {
        for piece in solved {
            let src = dir.join(name).join("exercises").join(piece).join("src");
            std::fs::create_dir_all(&src).unwrap();
            let solution = repo().join("solutions").join(piece).join("src/lib.rs");
            std::fs::copy(solution, src.join("lib.rs")).unwrap();
        }
        std::fs::create_dir_all(dir.join(name).join("exercises")).unwrap();
    }
}

/// Runs the grader with `args`, writing its CSV, JUnit and JSON as
/// `out/NAME.*`; returns the exit status and what it printed.
fn grade(args: &[&str], out: &Path, name: &str) -> (i32, String) {
    let file = |ext: &str| out.join(format!("{name}.{ext}")).to_str().unwrap().to_string();
    let mut c = Command::new(env!("CARGO_BIN_EXE_grader"));
    c.args(args);
    c.args(["--csv", &file("csv"), "--junit", &file("xml"), "--json", &file("json")]);
    let run = c.output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&run.stderr);
    (run.status.code().expect("the grader was killed"), format!("{stdout}{stderr}"))
}

fn read(out: &Path, file: &str) -> String {
    std::fs::read_to_string(out.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The class table of the grader's output: from its header row to the CSV line.
fn table(output: &str) -> String {
    let start = output.find("\nstudent ").unwrap_or_else(|| panic!("no table in:\n{output}"));
    let end = output[start..].find("\nwrote ").unwrap() + start;
    output[start..end].to_string()
}

/// Separate runs differ only in times and the test processes' thread ids
/// (`thread 'name' (1234) panicked`): masked here, so the rest must agree.
fn masked(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("' (") {
        let digits = rest[at + 3..].chars().take_while(char::is_ascii_digit).count();
        let tid = digits > 0 && rest[at + 3 + digits..].starts_with(") panicked");
        out.push_str(&rest[..at + 3]);
        rest = &rest[at + 3..];
        if tid {
            out.push_str("TID");
            rest = &rest[digits..];
        }
    }
    out + rest
}

fn without_timings(json: &str) -> Value {
    let mut v: Value = serde_json::from_str(&masked(json)).unwrap();
    for s in v["submissions"].as_array_mut().unwrap() {
        s.as_object_mut().unwrap().remove("timings");
    }
    v.as_object_mut().unwrap().remove("shard");
    v
}

#[test]
fn three_merged_shards_equal_the_whole_class() {
    let scratch = std::env::temp_dir().join(format!("grader-shards-{}", std::process::id()));
    let (dir, out) = (scratch.join("class"), scratch.join("out"));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&out).unwrap();
    class(&dir);
    let mut base = vec!["--class", dir.to_str().unwrap(), "--timeout-scale", "4"];
    for p in PIECES {
        base.extend(["--piece", p]);
    }

    let (code, whole) = grade(&base, &out, "whole");
    assert_eq!(code, 1, "some points lost, no grader error:\n{whole}");
    // The whole run graded what each student solved: full marks for a
    // solved piece, nothing for a stub.
    let report: Value = serde_json::from_str(&read(&out, "whole.json")).unwrap();
    let subs = report["submissions"].as_array().unwrap();
    assert_eq!(subs.len(), CLASS.len());
    for ((name, solved), sub) in CLASS.iter().zip(subs) {
        assert_eq!(sub["student"], *name);
        for p in sub["pieces"].as_array().unwrap() {
            let piece = p["piece"].as_str().unwrap();
            let points: u64 =
                p["items"].as_array().unwrap().iter().map(|i| i["points"].as_u64().unwrap()).sum();
            let max: u64 =
                p["items"].as_array().unwrap().iter().map(|i| i["max"].as_u64().unwrap()).sum();
            let want = if solved.contains(&piece) { max } else { 0 };
            assert!(max > 0 && points == want, "{name} {piece}: {points}/{max}\n{whole}");
        }
    }

    let mut shard_files = Vec::new();
    let mut dealt = Vec::new();
    for i in 1..=3 {
        let name = format!("shard-{i}");
        let shard = format!("{i}/3");
        let mut args = base.clone();
        args.extend(["--shard", &shard]);
        let (code, output) = grade(&args, &out, &name);
        assert!(code == 0 || code == 1, "shard {shard}:\n{output}");
        let report: Value = serde_json::from_str(&read(&out, &format!("{name}.json"))).unwrap();
        assert_eq!(report["shard"]["class_size"], CLASS.len());
        let names: Vec<String> = report["submissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["student"].as_str().unwrap().to_string())
            .collect();
        dealt.push(names);
        shard_files.push(out.join(format!("{name}.json")).to_str().unwrap().to_string());
    }
    assert_eq!(dealt, [vec!["ann", "dan"], vec!["bob", "eve"], vec!["cat"]], "dealt in turn");

    let mut args = vec!["merge"];
    args.extend(shard_files.iter().rev().map(String::as_str));
    let (code, merged) = grade(&args, &out, "merged");
    assert_eq!(code, 1, "the same exit status as the whole run:\n{merged}");
    assert_eq!(table(&merged), table(&whole));
    assert_eq!(read(&out, "merged.csv"), read(&out, "whole.csv"));
    assert_eq!(masked(&read(&out, "merged.xml")), masked(&read(&out, "whole.xml")));
    assert_eq!(
        without_timings(&read(&out, "merged.json")),
        without_timings(&read(&out, "whole.json"))
    );

    // A lost shard is an error, not a class with students missing.
    let (code, output) = grade(&["merge", &shard_files[0], &shard_files[2]], &out, "partial");
    assert_eq!(code, 2, "{output}");
    assert!(output.contains("missing shard 2/3"), "{output}");
    std::fs::remove_dir_all(&scratch).unwrap();
}
