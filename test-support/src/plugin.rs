//! The plugin under test, freshly built; host-sim with it; and the fixture plugins that pose as
//! other releases.

use std::{path::PathBuf, process::Command, sync::OnceLock};

use plaid_idv_retry_interface::{self as interface, Plugin};

/// The plugin's `.so`, built for the profile this test was built with. `cargo test` does not build
/// a `cdylib` that nothing links, so the first call in each test process runs `cargo build -p
/// plaid-idv-retry` (a no-op when the library is fresh): a test never loads a stale plugin.
pub fn plugin_path() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().expect("test executable path");
            // target/<profile dir>/deps/<test>: the profile directory names the profile ("debug": dev).
            let profile_dir =
                exe.parent().and_then(|deps| deps.parent()).expect("a cargo target profile directory");
            let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
                Some("debug") | None => "dev".to_owned(),
                Some(other) => other.to_owned(),
            };
            let target_dir = profile_dir.parent().expect("a cargo target directory");
            let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args(["build", "--quiet", "--package", "plaid-idv-retry", "--profile", &profile])
                .arg("--target-dir")
                .arg(target_dir)
                .current_dir(crate::workspace_root())
                .status()
                .expect("cargo runs");
            assert!(status.success(), "building the plugin (cargo build -p plaid-idv-retry) failed");
            profile_dir.join(interface::PLUGIN_FILE_NAME)
        })
        .clone()
}

/// `host-sim --plugin PLUGIN` (the plugin under test), with no Plaid credentials from the
/// developer's shell, which would aim its calls at Plaid.
pub fn host_sim() -> Command {
    let mut command = Command::new(crate::workspace_bin("host-sim"));
    command.arg("--plugin").arg(plugin_path()).env_remove("PLAID_CLIENT_ID").env_remove("PLAID_SECRET");
    command
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
        for fixture in ["plugin-next", "plugin-1-0", "plugin-incompatible"] {
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
