//! ABI abuse as an engine meets it: host-sim pointed at what is not our plugin (a random shared
//! library, a truncated copy, a crafted header, a directory, a plugin built against an
//! incompatible interface, a text file, nothing) refuses each with one line on stderr and exit 2,
//! never a crash; and a host process that met all of them in turn still loads and uses the real
//! plugin. `cargo test` runs these against the debug build of host-sim, where an arithmetic
//! overflow panics: the promise holds in every build.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use plaid_idv_retry_interface as interface;
use plaid_idv_test_support as common;

/// Each bad library with the cause its refusal must name. Built fresh in a scratch directory.
fn impostors(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    std::fs::create_dir_all(dir).unwrap();
    let truncated = dir.join("libtruncated.so");
    let bytes = std::fs::read(common::plugin_path()).unwrap();
    // Cut inside the loadable segments: a cut in the debug info after them leaves a library
    // that loads and works (it is, for the loader, complete).
    let loadable_end = interface::elf::loadable_end(&bytes).expect("the plugin is a complete library");
    std::fs::write(&truncated, &bytes[..(loadable_end / 2) as usize]).unwrap();
    let header_only = dir.join("libheader_only.so");
    std::fs::write(&header_only, &bytes[..64]).unwrap();
    // Issue 13 item 3: a program-header offset near u64::MAX made a debug host panic on overflow.
    let crafted = dir.join("libcrafted.so");
    let mut header = bytes[..64].to_vec();
    header[0x20..0x28].copy_from_slice(&(u64::MAX - 3).to_le_bytes());
    std::fs::write(&crafted, &header).unwrap();
    let text = dir.join("libnotes.so");
    std::fs::write(&text, "this is not a shared library\n").unwrap();
    let empty = dir.join("libempty.so");
    std::fs::write(&empty, b"").unwrap();
    let mut list = vec![
        (truncated, "truncated"),
        (header_only, "truncated"),
        (crafted, "truncated"),
        (text, "not a loadable shared library"),
        (empty, "not a loadable shared library"),
        (dir.to_path_buf(), "is a directory"),
        (dir.join("missing.so"), "no such file"),
        (common::fixture("plugin-incompatible"), "incompatible plugin interface"),
    ];
    // A real shared library that is not a plugin.
    let libc = ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("a libc to pose as a plugin");
    list.push((libc, "exports no abi_stable root module"));
    list
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("plaid-idv-retry-{name}-{}", std::process::id()))
}

#[test]
fn host_sim_refuses_each_impostor_with_one_line_and_exit_2() {
    let dir = scratch("abi-cli");
    for (path, cause) in impostors(&dir) {
        for args in [&["inspect"][..], &["validate", "/dev/null"], &["preset"], &["schema", "settings"]] {
            let out = Command::new(env!("CARGO_BIN_EXE_host-sim"))
                .arg("--plugin")
                .arg(&path)
                .args(args)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            // A signal (SIGBUS from a truncated mapping, SIGSEGV) has no exit code.
            assert_eq!(out.status.code(), Some(2), "{} {args:?}: {:?} {stderr}", path.display(), out.status);
            assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
            assert!(stderr.contains(&path.display().to_string()) && stderr.contains(cause), "{stderr}");
            assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// One host process meets every impostor, then the real plugin: it is still alive, and the real
/// plugin loads and answers every function.
#[test]
fn the_host_survives_every_impostor_and_then_loads_the_real_plugin() {
    let dir = scratch("abi-host");
    for (path, cause) in impostors(&dir) {
        for _ in 0..3 {
            let message = interface::load(&path).err().expect("refused").to_string();
            assert!(message.contains(cause) && !message.contains('\n'), "{message}");
        }
    }
    let plugin = interface::load(&common::plugin_path()).expect("the real plugin still loads");
    assert!(plugin.manifest().unwrap().contains("plaid-idv-retry"));
    let report: serde_json::Value = serde_json::from_str(&plugin.validate("{}").unwrap()).unwrap();
    assert_eq!(report["valid"], false);
    assert!(plugin.settings_preset("{}").unwrap().contains("httpRequest"));
    // Invalid settings: answered as a structured error, nothing sent.
    assert_eq!(plugin.execute("{}", "[]", "{}").unwrap_err().code.as_str(), "invalid_settings");
    std::fs::remove_dir_all(&dir).ok();
}
