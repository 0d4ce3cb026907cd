//! `cargo host-sim [--release] ARGS` (and `cargo temporal [--release] ARGS`): one build of the
//! plugin's `.so` and of the host, then the host run with ARGS, its exit code passed on. Without
//! `--release` the build uses the `quick` profile (unoptimised, no debug information: about half
//! the compile time, which is what a first Test request waits for); `--release` is for measuring
//! and shipping.
//!
//! A host loads the plugin through its stable ABI and never links it, so cargo has no reason to
//! build the plugin when it builds the host; naming both packages in one `cargo build` builds each
//! exactly once, with one feature resolution, and leaves the `.so` beside the host's executable,
//! where the host looks for it (`plaid_idv_retry_interface::locate`).

use std::{
    env,
    path::PathBuf,
    process::{Command, ExitCode},
};

/// The plugin's package: built with every host.
const PLUGIN_PACKAGE: &str = "plaid-idv-retry";
/// The hosts this task runs, each a package whose binary has the package's name.
const HOSTS: [&str; 2] = ["host-sim", "plaid-idv-temporal"];
/// The workspace's profile for trying things out (Cargo.toml): compiled fast, not optimised.
const QUICK_PROFILE: &str = "quick";
/// What `cargo` answers for a command that could not run (the hosts use 2 the same way).
const CANNOT_RUN: u8 = 2;

fn main() -> ExitCode {
    let mut args = env::args_os().skip(1);
    let host = args.next().and_then(|a| a.into_string().ok());
    let Some(host) = host.filter(|h| HOSTS.contains(&h.as_str())) else {
        eprintln!("usage: cargo run -p xtask -- <{}> [--release] [ARGS]", HOSTS.join("|"));
        return ExitCode::from(CANNOT_RUN);
    };
    let mut args = args.peekable();
    let profile = if args.next_if(|a| a == "--release").is_some() { "release" } else { QUICK_PROFILE };
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let built = Command::new(&cargo)
        .args(["build", "--profile", profile, "--package", PLUGIN_PACKAGE, "--package", &host])
        .current_dir(workspace_root())
        .status();
    match built {
        Ok(status) if status.success() => {}
        Ok(_) => return ExitCode::from(CANNOT_RUN),
        Err(e) => {
            eprintln!("xtask: cannot run cargo: {e}");
            return ExitCode::from(CANNOT_RUN);
        }
    }
    // Cargo names a profile's directory after it (only `dev` would differ: `debug`).
    let exe = target_dir().join(profile).join(&host);
    match Command::new(&exe).args(args).status() {
        // A host killed by a signal has no code: report it as a failure to run.
        Ok(status) => ExitCode::from(status.code().map_or(CANNOT_RUN, |c| c as u8)),
        Err(e) => {
            eprintln!("xtask: cannot run {}: {e}", exe.display());
            ExitCode::from(CANNOT_RUN)
        }
    }
}

/// The workspace this task belongs to (its manifest sits one level down).
fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where cargo puts its output: `CARGO_TARGET_DIR` (also as cargo's own `CARGO_BUILD_TARGET_DIR`),
/// else the workspace's `target/`.
fn target_dir() -> PathBuf {
    ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"]
        .iter()
        .find_map(|var| env::var_os(var).filter(|v| !v.is_empty()))
        .map(PathBuf::from)
        .map(|dir| if dir.is_relative() { workspace_root().join(dir) } else { dir })
        .unwrap_or_else(|| workspace_root().join("target"))
}
