//! The drill runs the book shows, produced by running the drill itself.

use std::process::Command;

fn drill(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_drill")).args(args).output().expect("drill runs");
    let shown: Vec<String> = args
        .iter()
        .map(|a| if a.contains(' ') { format!("\"{a}\"") } else { a.to_string() })
        .collect();
    format!("$ cargo drill {}\n{}", shown.join(" "), String::from_utf8_lossy(&out.stdout))
}

#[test]
fn a_wrong_fork_tree_answer_is_explained() {
    let text = drill(&["fork-tree", "--seed", "11", "--answer", "a:init b:a c:a d:a e:c f:d"]);
    assert!(text.contains("Not quite."), "{text}");
    transcripts::check("drill-fork-tree", &text);
}

#[test]
fn every_order_of_a_wait_order_program() {
    let text = drill(&["wait-order", "--seed", "2", "--all"]);
    transcripts::check("drill-wait-order", &text);
}
