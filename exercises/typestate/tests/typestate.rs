//! The compiler is the test subject here: trybuild compiles each file in
//! tests/ui and checks that the legal ones build and run, and that the
//! illegal ones are refused with the messages in the matching .stderr.

/// Relative to the package directory, where cargo runs the tests. The
/// solution crate reaches these same files through its own `tests/ui`, a
/// symlink, so the compiler names them `tests/ui/...` for both crates and
/// one set of .stderr files serves both.
fn ui(case: &str) -> String {
    format!("tests/ui/{case}.rs")
}

fn must_compile_and_run(case: &str) {
    trybuild::TestCases::new().pass(ui(case));
}

fn must_be_refused(case: &str) {
    trybuild::TestCases::new().compile_fail(ui(case));
}

#[test]
fn legal_life_cycle() {
    must_compile_and_run("life_cycle");
}

#[test]
fn only_the_parent_may_reap() {
    must_compile_and_run("wrong_parent");
}

#[test]
fn zombie_cannot_be_scheduled() {
    must_be_refused("zombie_cannot_be_scheduled");
}

#[test]
fn running_task_cannot_be_reaped() {
    must_be_refused("running_task_cannot_be_reaped");
}

#[test]
fn wait_consumes_the_zombie() {
    must_be_refused("wait_consumes_the_zombie");
}

#[test]
fn sleeping_task_cannot_be_scheduled() {
    must_be_refused("sleeping_task_cannot_be_scheduled");
}

#[test]
fn runnable_task_cannot_exit() {
    must_be_refused("runnable_task_cannot_exit");
}
