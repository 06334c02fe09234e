//! What the grader's integration tests share: running the grader on a
//! class of fixture students, and reading its JSON report.

// Each test binary uses a part of this file.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// A student whose linux-threads is the reference solution.
pub fn honest(student: &Path) {
    let src = student.join("exercises/linux-threads/src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::copy(repo().join("solutions/linux-threads/src/lib.rs"), src.join("lib.rs")).unwrap();
}

/// Runs the grader as `cmd` says, with `args` and a JSON report on stdout;
/// returns its exit code, the report and its terminal output.
pub fn grade(mut cmd: Command, args: &[&str]) -> (i32, Value, String) {
    let out = cmd.args(args).args(["--json", "-"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}); stderr:\n{stderr}"));
    (out.status.code().expect("the grader was killed by a signal"), json, stderr)
}

pub fn student<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["student"] == name)
        .unwrap_or_else(|| panic!("no student {name}"))
}

pub fn piece<'a>(sub: &'a Value, name: &str) -> &'a Value {
    sub["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["piece"] == name)
        .unwrap_or_else(|| panic!("no piece {name}"))
}

/// Each piece of `sub`: its name, its points and its maximum.
pub fn points(sub: &Value) -> Vec<(String, u64, u64)> {
    let sum = |items: &Vec<Value>, key: &str| items.iter().map(|i| i[key].as_u64().unwrap()).sum();
    sub["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let items = p["items"].as_array().unwrap();
            (p["piece"].as_str().unwrap().to_string(), sum(items, "points"), sum(items, "max"))
        })
        .collect()
}
