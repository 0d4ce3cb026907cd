//! host-sim as a user runs it: the plugin found and loaded, or refused with one line and exit 2.

use std::{path::PathBuf, process::Command};

fn host_sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_host-sim"))
}

use common::plugin_path as plugin;
use plaid_idv_test_support as common;

#[test]
fn inspect_prints_the_manifest() {
    let out = host_sim().arg("--plugin").arg(plugin()).arg("inspect").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let manifest: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(manifest["task"]["id"], "plaid.identity_verification.retry");
}

#[test]
fn the_plugin_is_found_through_the_environment() {
    let out = host_sim().env("PLAID_IDV_RETRY_PLUGIN", plugin()).args(["schema", "input"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
}

/// With no flag and no variable, beside host-sim's executable: where one cargo build of the plugin
/// and host-sim leaves both (`cargo host-sim`).
#[test]
fn the_plugin_is_found_beside_the_executable() {
    let beside = common::workspace_bin("host-sim").with_file_name("libplaid_idv_retry.so");
    assert_eq!(plugin(), beside, "the plugin under test is the one beside host-sim");
    let out = host_sim().env_remove("PLAID_IDV_RETRY_PLUGIN").arg("inspect").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_missing_or_foreign_plugin_is_one_line_and_exit_2() {
    let not_a_plugin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    for (path, cause) in [
        (PathBuf::from("/nonexistent/plugin.so"), "no such file"),
        (not_a_plugin, "not a loadable shared library"),
    ] {
        let out = host_sim().arg("--plugin").arg(&path).arg("inspect").output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&path.display().to_string()) && stderr.contains(cause), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

/// `host-sim schema input | head -1`: the reader goes away early; host-sim ends quietly.
#[test]
fn a_closed_stdout_ends_quietly() {
    use std::process::Stdio;
    let mut child = host_sim()
        .arg("--plugin")
        .arg(plugin())
        .args(["schema", "input"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader is gone before host-sim (still loading the plugin) writes its first byte.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
