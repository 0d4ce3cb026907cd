//! The stable ABI as an engine meets it: loading, calling from many threads, refusing what is not
//! our plugin, growing compatibly, and never letting a panic cross the boundary.

use std::{path::Path, process::Command, sync::Arc, thread};

use abi_stable::library::{AbiHeaderRef, ROOT_MODULE_LOADER_NAME_WITH_NUL};
use plaid_idv_retry_interface::{self as interface, abi_version, PluginModuleRef};
use plaid_idv_test_support as common;
use serde_json::Value;

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("the plugin answers JSON")
}

#[test]
fn manifest_describes_the_task_and_its_schemas() {
    let manifest = json(&common::plugin().manifest().unwrap());
    assert_eq!(manifest["name"], "plaid-idv-retry");
    // The interface package's version, which abi_stable checks: not the plugin's own.
    assert_eq!(manifest["abi_version"], abi_version());
    assert_eq!(manifest["task"]["id"], "plaid.identity_verification.retry");
    assert_eq!(manifest["task"]["method"], "POST");
    assert_eq!(manifest["task"]["path"], "/identity_verification/retry");
    assert_eq!(manifest["task"]["plaid_version"], "2020-09-14");
    for kind in ["input", "output", "settings"] {
        let hash = manifest["schemas"][kind]["hash"].as_str().unwrap();
        assert!(hash.starts_with("fnv1a64:") && hash.len() == 24, "{kind}: {hash}");
    }
}

#[test]
fn schemas_are_json_schema_2020_12_documents() {
    let plugin = common::plugin();
    for text in [plugin.input_schema(), plugin.output_schema(), plugin.settings_schema()] {
        let schema = json(&text.unwrap());
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    }
}

/// The raw symbol an engine written without our loader would look up, through libloading.
#[test]
fn root_module_symbol_is_there_for_libloading() {
    let path = common::plugin_path();
    let lib = unsafe { libloading::Library::new(&path) }.unwrap();
    let header: AbiHeaderRef = unsafe {
        let symbol = lib.get::<AbiHeaderRef>(ROOT_MODULE_LOADER_NAME_WITH_NUL.as_bytes()).unwrap();
        *symbol
    };
    let module = header.upgrade().unwrap().init_root_module::<PluginModuleRef>().unwrap();
    let manifest = json(&(module.manifest())().unwrap().into_string());
    assert_eq!(manifest["name"], "plaid-idv-retry");
    // The root module holds 'static references into the library: it must never be unloaded.
    std::mem::forget(lib);
}

#[test]
fn every_function_answers_from_eight_threads_at_once() {
    let plugin = Arc::new(common::plugin());
    let expected = plugin.manifest().unwrap();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let plugin = Arc::clone(&plugin);
            let expected = expected.clone();
            thread::spawn(move || {
                for _ in 0..200 {
                    assert_eq!(plugin.manifest().unwrap(), expected);
                    assert!(plugin.input_schema().unwrap().contains("$schema"));
                    assert!(plugin.output_schema().unwrap().contains("$schema"));
                    assert!(plugin.settings_schema().unwrap().contains("$schema"));
                    // Whatever these answer (a document or a structured error), they answer.
                    let _ = plugin.settings_preset(r#"{"environment":"sandbox"}"#);
                    let _ = plugin.validate(&format!(r#"{{"client_user_id":"user-{i}"}}"#));
                    let _ = plugin.execute("{", "{", "{}");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("no thread panicked");
    }
}

#[test]
fn a_newer_plugin_loads_in_this_host() {
    let plugin =
        interface::load(&common::fixture("plugin-next")).expect("ABI 1.1 plugin loads in an ABI 1.0 host");
    assert_eq!(json(&plugin.manifest().unwrap())["name"], "plugin-next");
}

/// A newer host (ABI 1.1, the `plugin-next` fixture's `host-next`, compiled as that release of
/// the interface package) meets this ABI 1.0 plugin: abi_stable's checked loader refuses the
/// larger type, so such a host retries with the frozen 1.0 layout it keeps, and that works.
#[test]
fn a_newer_host_loads_this_plugin_through_its_frozen_layout() {
    let host = common::fixture("plugin-next").with_file_name("host-next");
    let out = Command::new(&host).arg(common::plugin_path()).output().expect("host-next runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    // The cause that makes the frozen layout necessary, not another (a package or version mismatch).
    assert_eq!(
        lines.first().copied(),
        Some("1.1: refused: Error:too many fields"),
        "abi_stable's answer to an older plugin changed: revisit the compatibility story: {stdout}"
    );
    let manifest = lines.get(1).and_then(|l| l.strip_prefix("1.0: loaded "));
    let manifest = manifest.unwrap_or_else(|| panic!("the frozen 1.0 layout did not load it: {stdout}"));
    assert_eq!(json(manifest)["abi_version"], abi_version());
}

#[test]
fn an_incompatible_plugin_is_refused_with_a_clear_message() {
    let path = common::fixture("plugin-incompatible");
    let err = interface::load(&path).err().expect("a changed interface must not load");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("incompatible plugin interface"), "{message}");
    assert!(!message.contains('\n'), "one line, not abi_stable's layout dump: {message}");
}

#[test]
fn what_is_not_a_plugin_is_refused_by_cause() {
    let dir = std::env::temp_dir().join(format!("plaid-idv-retry-abi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("notes.so");
    std::fs::write(&text, "not an ELF file").unwrap();
    let truncated = dir.join("truncated.so");
    let bytes = std::fs::read(common::plugin_path()).unwrap();
    // Past the ELF headers, short of the segments they describe.
    std::fs::write(&truncated, &bytes[..8192]).unwrap();
    // Issue 13 item 3: a program-header offset near u64::MAX overflowed the loader's arithmetic
    // (a panic in this debug build).
    let crafted = dir.join("crafted.so");
    let mut header = bytes[..64].to_vec();
    header[0x20..0x28].copy_from_slice(&(u64::MAX - 3).to_le_bytes());
    std::fs::write(&crafted, &header).unwrap();

    let cases: [(&Path, &str); 5] = [
        (Path::new("/nonexistent/libplaid_idv_retry.so"), "no such file"),
        (&dir, "is a directory"),
        (&text, "not a loadable shared library"),
        (&truncated, "truncated"),
        (&crafted, "truncated"),
    ];
    for (path, cause) in cases {
        let message = interface::load(path).err().expect("refused").to_string();
        assert!(message.contains(&path.display().to_string()) && message.contains(cause), "{message}");
    }
    // A real shared library that is not a plugin: this test's own fixture-free choice is libc.
    let libc = ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.exists());
    if let Some(libc) = libc {
        let message = interface::load(libc).err().expect("libc is no plugin").to_string();
        assert!(message.contains("exports no abi_stable root module"), "{message}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A panic inside any exported function comes back as a value, its message (which may quote
/// input) withheld, and the plugin keeps working. Run in a child process: the probe is an
/// environment variable read by debug builds of the plugin.
#[test]
fn no_panic_crosses_the_boundary() {
    if std::env::var_os("ABI_TEST_CHILD").is_some() {
        return;
    }
    for function in ["manifest", "input_schema", "settings_preset", "validate", "execute"] {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "panic_child", "--nocapture", "--include-ignored"])
            .env("PLAID_IDV_RETRY_TEST_PANIC", function)
            .env("ABI_TEST_CHILD", function)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{function}: child failed\n{stdout}\n{stderr}");
        assert!(stdout.contains(&format!("caught panic in {function}")), "{function}: {stdout}");
        for text in [&stdout, &stderr] {
            assert!(!text.contains("canary-secret-123"), "{function}: the panic message leaked: {text}");
        }
    }
}

#[test]
#[ignore = "run by no_panic_crosses_the_boundary in a child process"]
fn panic_child() {
    let Ok(function) = std::env::var("ABI_TEST_CHILD") else { return };
    let plugin = common::plugin();
    let result = match function.as_str() {
        "manifest" => plugin.manifest(),
        "input_schema" => plugin.input_schema(),
        "settings_preset" => plugin.settings_preset("{}"),
        "validate" => plugin.validate("{}"),
        _ => plugin.execute("{}", "{}", "{}"),
    };
    let err = result.expect_err("the probe panics");
    assert_eq!(err.code.as_str(), "internal_panic");
    assert!(!err.message.contains("canary"));
    println!("caught panic in {function}");
    std::env::remove_var("PLAID_IDV_RETRY_TEST_PANIC");
    assert!(plugin.manifest().is_ok(), "the plugin still answers after a caught panic");
}
