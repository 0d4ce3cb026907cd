//! Memory: a host session through every function of the real `.so` (`tests/abi.rs`,
//! `one_session_through_every_function`: validate, preset, execute against loopback servers: a
//! completion, a Plaid error, a refused connection, bad settings) run under valgrind, which must
//! find no definite leak. Ignored by default (a minute or more; needs valgrind):
//!
//! ```text
//! cargo test -p plaid-idv-retry --test memory -- --ignored --nocapture
//! ```
//!
//! abi_stable leaks on purpose what must live as long as the process: the root module (still
//! reachable, like the shared agent and the compiled schema) and, per load, the library handle,
//! whose path copy valgrind calls definitely lost; `tests/valgrind.supp` names that one block.

use std::process::Command;

#[test]
#[ignore = "runs a host session under valgrind, a minute or more: run by hand (docs/testing.md)"]
fn no_definite_leaks_under_valgrind() {
    let valgrind = [
        "valgrind",
        "--leak-check=full",
        "--errors-for-leak-kinds=definite",
        "--error-exitcode=99",
        &format!("--suppressions={}/tests/valgrind.supp", env!("CARGO_MANIFEST_DIR")),
    ];
    // Cargo builds the session's test executable (if it is not yet) and runs it under valgrind:
    // the runner applies to every target (`cfg(all())`).
    let runner = format!("target.'cfg(all())'.runner = {valgrind:?}");
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["test", "--quiet", "--package", "plaid-idv-retry", "--test", "abi", "--config", &runner])
        .args(["--", "--exact", "one_session_through_every_function", "--test-threads=1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            [
                "definitely lost",
                "indirectly lost",
                "possibly lost",
                "still reachable",
                "ERROR SUMMARY",
                "All heap blocks",
            ]
            .iter()
            .any(|k| l.contains(k))
        })
        .collect();
    eprintln!("valgrind:\n{}", summary.join("\n"));
    assert!(
        out.status.success(),
        "valgrind found errors, the session failed, or valgrind is missing (apt-get install valgrind):\n{stderr}"
    );
    assert!(
        stderr.contains("definitely lost: 0 bytes in 0 blocks")
            || stderr.contains("All heap blocks were freed"),
        "{stderr}"
    );
    assert!(stderr.contains("ERROR SUMMARY: 0 errors"), "{stderr}");
    // The session ran (a filter that matched nothing would pass too).
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("test result: ok. 1 passed"), "{stdout}");
}
