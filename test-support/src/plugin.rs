//! The plugin under test: where cargo put the freshly built libraries, and the fixture plugins
//! that pose as other releases.

use std::{path::PathBuf, process::Command, sync::OnceLock};

use plaid_idv_retry_interface::{self as interface, Plugin};

/// `cargo test` builds the workspace's cdylibs into `target/<profile>/deps`, beside the test
/// binaries, and does not always copy them up: a stale one may sit in `target/<profile>`.
pub fn library(crate_name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent().expect("deps directory").join(format!("lib{crate_name}.so"))
}

pub fn plugin_path() -> PathBuf {
    library("plaid_idv_retry")
}

/// The plugin under test, loaded once per test process.
pub fn plugin() -> Plugin {
    static PLUGIN: OnceLock<Plugin> = OnceLock::new();
    *PLUGIN.get_or_init(|| interface::load(&plugin_path()).unwrap_or_else(|e| panic!("{e}")))
}

/// A fixture plugin from `tests/fixtures/<name>`, built once per test process into its own target
/// directory: fixtures pose as other releases of this package, so they live outside the workspace.
pub fn fixture(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let root = crate::workspace_root();
    let target = root.join("target").join("fixtures");
    BUILT.get_or_init(|| {
        for fixture in ["plugin-next", "plugin-incompatible"] {
            let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args(["build", "--quiet", "--locked", "--manifest-path"])
                .arg(root.join("tests/fixtures").join(fixture).join("Cargo.toml"))
                .arg("--target-dir")
                .arg(&target)
                .status()
                .expect("cargo runs");
            assert!(status.success(), "building fixture {fixture} failed");
        }
    });
    target.join("debug").join(format!("lib{}.so", name.replace('-', "_")))
}
