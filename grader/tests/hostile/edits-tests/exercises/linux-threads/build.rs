// Hostile submission: a build script would run at build time; the grader
// never uses a submission's Cargo.toml or build.rs.
fn main() {
    panic!("the grader ran a student's build script");
}
