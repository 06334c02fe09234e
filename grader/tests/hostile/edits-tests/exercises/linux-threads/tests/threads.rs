//! Hostile submission: the tests rewritten to pass whatever the code does.
//! The grader must use the pristine tests instead.

#[test]
fn my_ids_are_getpid_and_gettid() {}

#[test]
fn threads_share_the_tgid() {}

#[test]
fn proc_lists_every_thread() {}

#[test]
fn proc_hides_threads_from_its_listing() {}

#[test]
fn fork_makes_a_new_thread_group() {}
