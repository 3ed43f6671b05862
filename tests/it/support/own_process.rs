//! Running one test alone in a fresh process of this test binary, for tests that measure the
//! whole process (peak RSS): in the single test binary, other tests run on other threads.

use std::process::Command;

/// Set in the child to the name of the test it runs.
const CHILD_ENV: &str = "COVERAGE_BOT_IT_OWN_PROCESS";

/// `true` in the child, where the caller runs its body. In the parent, runs `test` (its full
/// name, e.g. `corpus_faults::some_test`) alone in a new process of this binary, fails if it did
/// not run exactly that one test successfully, and returns `false`: the caller then returns.
pub fn run_alone(test: &str) -> bool {
    if std::env::var(CHILD_ENV).as_deref() == Ok(test) {
        return true;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let output = Command::new(exe)
        .args([test, "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD_ENV, test)
        .output()
        .expect("run the test binary");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(output.status.success(), "{test} failed in its own process");
    assert!(
        stdout.contains("running 1 test") && stdout.contains("test result: ok. 1 passed;"),
        "{test} did not run in its own process"
    );
    false
}
