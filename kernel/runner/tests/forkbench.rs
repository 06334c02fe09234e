//! The book shows one recorded run of the copy-on-write benchmark
//! (book/transcripts/forkbench.txt). Its figures depend on the machine, so
//! this test runs the quick version and checks that the recorded table has
//! the shape the program prints today: the same lines, figures masked.

use std::process::Command;

#[test]
fn the_recorded_forkbench_table_has_the_programs_shape() {
    let out = Command::new(env!("CARGO_BIN_EXE_forkbench"))
        .arg("--quick")
        .output()
        .expect("cannot run forkbench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "forkbench --quick failed:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    transcripts::check_recorded(
        "forkbench",
        &stdout,
        transcripts::mask_numbers,
        "cargo run --release -p runner --bin forkbench -- --record",
    );
}
