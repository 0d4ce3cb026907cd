use std::process::ExitCode;

fn main() -> ExitCode {
    restore_sigpipe();
    host_sim::cli::main()
}

/// Rust ignores SIGPIPE, so `host-sim validate big.json | head` would panic in `println!` once
/// `head` exits. A command-line tool should end quietly instead, as Unix tools do.
fn restore_sigpipe() {
    extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
    }
    const SIGPIPE: i32 = 13;
    const SIG_DFL: usize = 0;
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is always valid.
    unsafe {
        signal(SIGPIPE, SIG_DFL);
    }
}
