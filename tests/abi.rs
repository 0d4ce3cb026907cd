//! The stable ABI as an engine meets it: loading, calling from many threads, refusing what is not
//! our plugin, growing compatibly, and never letting a panic cross the boundary.

use std::{path::Path, process::Command, sync::Arc, thread, time::SystemTime};

use abi_stable::library::{AbiHeaderRef, ROOT_MODULE_LOADER_NAME_WITH_NUL};
use plaid_idv_retry_interface::{self as interface, abi_version, PluginModuleRef, TaskResult, TaskStatus};
use plaid_idv_simulator::{DEFAULT_CLIENT_ID, DEFAULT_SECRET};
use plaid_idv_test_support::{
    self as common, attempt, canary_input, execute, plaid_error, refused_url, settings, Reply, Server,
};
use serde_json::{json, Value};

const RETRY: &str = "plaid.identity_verification.retry";
const GET: &str = "plaid.identity_verification.get";

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("the plugin answers JSON")
}

/// The manifest's hash of a schema text (FNV-1a, 64 bit), computed here as a host would check it.
fn fnv1a64(text: &str) -> String {
    let hash =
        text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    format!("fnv1a64:{hash:016x}")
}

#[test]
fn manifest_describes_the_task_and_its_schemas() {
    let manifest = json(&common::plugin().manifest().unwrap());
    assert_eq!(manifest["name"], "plaid-idv-retry");
    // The interface package's version, which abi_stable checks: not the plugin's own.
    assert_eq!(manifest["abi_version"], abi_version());
    assert_eq!(manifest["task"]["id"], RETRY);
    assert_eq!(manifest["task"]["method"], "POST");
    assert_eq!(manifest["task"]["path"], "/identity_verification/retry");
    assert_eq!(manifest["task"]["plaid_version"], "2020-09-14");
    for kind in ["input", "output", "settings"] {
        let hash = manifest["schemas"][kind]["hash"].as_str().unwrap();
        assert!(hash.starts_with("fnv1a64:") && hash.len() == 24, "{kind}: {hash}");
    }
}

/// ABI 1.1's manifest: `tasks` lists both, each with the hashes of the schemas its own functions
/// serve and the preset options its own preset accepts; `task` and the top level stay what a 1.0
/// host reads, the retry's.
#[test]
fn manifest_lists_every_task_with_its_own_schemas_and_options() {
    let plugin = common::plugin();
    let manifest = json(&plugin.manifest().unwrap());
    let tasks = manifest["tasks"].as_array().expect("tasks");
    let ids: Vec<&str> = tasks.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [RETRY, GET]);
    assert_eq!(tasks[0], manifest["task"], "task is the first of tasks");
    assert_eq!(tasks[0]["schemas"], manifest["schemas"]);
    assert_eq!(tasks[0]["preset_options"], manifest["preset_options"]);
    assert_eq!(
        (tasks[1]["method"].as_str(), tasks[1]["path"].as_str()),
        (Some("POST"), Some("/identity_verification/get"))
    );
    for entry in tasks {
        let task = plugin.task(entry["id"].as_str().unwrap()).expect("every listed task is offered");
        let served = [
            ("input", task.input_schema().unwrap()),
            ("output", task.output_schema().unwrap()),
            ("settings", task.settings_schema().unwrap()),
        ];
        for (kind, text) in served {
            assert_eq!(entry["schemas"][kind]["hash"], fnv1a64(&text), "{}: {kind}", task.id());
        }
        for environment in entry["preset_options"]["environment"].as_array().unwrap() {
            for dialect in entry["preset_options"]["dialect"].as_array().unwrap() {
                let options = json!({"environment": environment, "dialect": dialect}).to_string();
                assert!(task.settings_preset(&options).is_ok(), "{}: {options}", task.id());
            }
        }
        assert_eq!(task.manifest().title, entry["title"].as_str().unwrap());
    }
    assert_ne!(tasks[0]["schemas"]["input"], tasks[1]["schemas"]["input"]);
}

/// Each task answers through its own functions; the 1.0 functions are the retry's.
#[test]
fn each_task_is_served_by_its_own_functions() {
    let plugin = common::plugin();
    assert_eq!(plugin.tasks().map(|t| t.id()).collect::<Vec<_>>(), [RETRY, GET]);
    assert!(plugin.task("plaid.identity_verification.create").is_none());
    let retry = plugin.task(RETRY).unwrap();
    let get = plugin.task(GET).unwrap();
    assert_eq!(retry.input_schema().unwrap(), plugin.input_schema().unwrap());
    assert_eq!(retry.output_schema().unwrap(), plugin.output_schema().unwrap());
    assert_eq!(json(&get.input_schema().unwrap())["title"], "Get an Identity Verification");
    assert_eq!(json(&get.output_schema().unwrap())["title"], "The Identity Verification session");
    let id = r#"{"identity_verification_id": "idv_52xR9LKo77r1Np"}"#;
    assert_eq!(json(&get.validate(id).unwrap())["valid"], true);
    assert_eq!(json(&retry.validate(id).unwrap())["valid"], false, "the retry's schema, not the get's");
    assert_eq!(json(&plugin.validate(id).unwrap()), json(&retry.validate(id).unwrap()));
    let preset = json(&get.settings_preset(r#"{"dialect": "seed"}"#).unwrap());
    assert!(preset["httpRequest"]["url"].as_str().unwrap().ends_with("/identity_verification/get"));
    assert!(preset["poll"]["intervalSeconds"].is_u64());
    // A get's task result, not a plugin error: the settings name no credentials.
    let result = TaskResult::<Value>::read(&get.execute(id, "{}", "{}").unwrap()).unwrap();
    assert_eq!(result.status, TaskStatus::FailedWithTerminalError);
    assert!(result.reason.unwrap().contains("no Plaid credentials"));
    assert_eq!(get.execute(id, "{\"secret\": 1}", "{}").unwrap_err().code.as_str(), "invalid_settings");
}

/// A task id the plugin does not offer is the plugin error `unknown_task`, whatever it holds: the
/// task functions as an engine written without our loader calls them.
#[test]
fn an_unknown_task_id_is_a_plugin_error() {
    let header = abi_stable::library::lib_header_from_path(&common::plugin_path()).unwrap();
    let module = header.init_root_module::<PluginModuleRef>().unwrap();
    for id in [
        "plaid.identity_verification.create",
        "",
        "plaid.identity_verification.GET",
        "canary-secret-123\u{0}",
    ] {
        let answers = [
            (module.task_input_schema().unwrap())(id.into()),
            (module.task_output_schema().unwrap())(id.into()),
            (module.task_settings_preset().unwrap())(id.into(), "{}".into()),
            (module.task_validate().unwrap())(id.into(), "{}".into()),
            (module.task_execute().unwrap())(id.into(), "{}".into(), "{}".into(), "{}".into()),
        ];
        for answer in answers {
            let e = answer.into_result().expect_err("an unknown task");
            assert_eq!(e.code.as_str(), "unknown_task", "{id:?}: {e}");
            assert!(e.message.contains(RETRY) && e.message.contains(GET), "{e}");
            assert!(!e.message.contains('\u{0}'), "{e}");
        }
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
                    let get = plugin.task(GET).unwrap();
                    assert!(get.input_schema().unwrap().contains("$schema"));
                    assert!(get.output_schema().unwrap().contains("$schema"));
                    let _ = get.settings_preset(r#"{"dialect":"temporal"}"#);
                    let _ = get.validate(&format!(r#"{{"identity_verification_id":"idv_{i}"}}"#));
                    let _ = get.execute("{", "{", "{}");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("no thread panicked");
    }
}

/// One host session through every function, each answer read: validate (a valid and an invalid
/// input), the preset (an option it has, one it refuses), execute against loopback servers (a
/// completion three times, a Plaid error, a refused connection) and bad settings. It is also what
/// `tests/memory.rs` runs under valgrind.
#[test]
fn one_session_through_every_function() {
    let plugin = common::plugin();
    let ok = Server::start(|request| {
        if request.path.ends_with("/retry") {
            let mut body = attempt("idv_new", Some("idv_old"), SystemTime::now());
            body["request_id"] = json!("req-mem");
            Reply::json(200, &body)
        } else {
            Reply::json(400, &plaid_error("INVALID_REQUEST", "INVALID_FIELD"))
        }
    });
    let input = canary_input().to_string();
    let report = json(&plugin.validate(&input).unwrap());
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(json(&plugin.validate("{\"strategy\": 7}").unwrap())["valid"], false);
    assert!(plugin.settings_preset(r#"{"dialect": "conductor"}"#).is_ok());
    assert!(plugin.settings_preset(r#"{"dialect": 1}"#).is_err());
    let context = json!({"attempt": 1, "timeout_ms": 20_000});
    for _ in 0..3 {
        let r = execute(&canary_input(), &settings(&ok.url(), json!({})), &context);
        assert_eq!(r["status"], "COMPLETED", "{r}");
    }
    let error = Server::start(|_| Reply::json(400, &plaid_error("INVALID_INPUT", "INVALID_API_KEYS")));
    let r = execute(&canary_input(), &settings(&error.url(), json!({})), &context);
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
    let r = execute(&canary_input(), &settings(&refused_url(), json!({})), &context);
    assert_eq!(r["status"], "FAILED", "{r}");
    assert!(plugin.execute(&input, "{\"secret\": 1}", "{}").is_err());
}

/// A newer plugin (ABI 1.2, a function appended after ABI 1.1's) loads in this host, which
/// offers its tasks and calls them through the functions of ABI 1.1, the task id passed as given.
#[test]
fn a_newer_plugin_loads_in_this_host() {
    let plugin =
        interface::load(&common::fixture("plugin-next")).expect("ABI 1.2 plugin loads in an ABI 1.1 host");
    assert_eq!(json(&plugin.manifest().unwrap())["name"], "plugin-next");
    assert_eq!(plugin.tasks().map(|t| t.id()).collect::<Vec<_>>(), ["next.first", "next.second"]);
    let second = plugin.task("next.second").unwrap();
    assert_eq!(second.input_schema().unwrap(), "plugin-next task_input_schema next.second");
    assert_eq!(second.validate("{\"a\": 1}").unwrap(), "plugin-next task_validate next.second {\"a\": 1}");
}

/// A newer host (ABI 1.2, the `plugin-next` fixture's `host-next`, compiled as that release of
/// the interface package) meets this ABI 1.1 plugin: abi_stable's checked loader refuses the
/// larger type, so such a host retries with the frozen 1.1 layout it keeps, and that works,
/// the functions of ABI 1.1 included.
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
        Some("1.2: refused: Error:too many fields"),
        "abi_stable's answer to an older plugin changed: revisit the compatibility story: {stdout}"
    );
    let manifest = lines.get(1).and_then(|l| l.strip_prefix("1.1: loaded "));
    let manifest = manifest.unwrap_or_else(|| panic!("the frozen 1.1 layout did not load it: {stdout}"));
    assert_eq!(json(manifest)["abi_version"], abi_version());
    let schema = lines.get(2).and_then(|l| l.strip_prefix("1.1: task_input_schema: "));
    let schema = schema.unwrap_or_else(|| panic!("no get input schema through ABI 1.1: {stdout}"));
    assert_eq!(json(schema)["title"], "Get an Identity Verification");
}

/// An ABI 1.0 host (the `plugin-1-0` fixture's `host-1-0`, compiled as release 1.0.0 of the
/// interface package, which knows seven functions) loads this plugin and runs the retry against
/// the simulator: the 1.0 functions still address the retry, and it bills exactly one session.
#[test]
fn an_older_host_loads_this_plugin_and_runs_the_retry() {
    let (user, template) = ("user-abi-1-0", "idvtmp_abi10");
    let sim = common::seeded_simulator(common::simulator_config(), &[(user, template)]);
    let host = common::fixture("plugin-1-0").with_file_name("host-1-0");
    let input = json!({"client_user_id": user, "template_id": template, "strategy": "reset"}).to_string();
    let settings =
        json!({"base_url": sim.url(), "client_id": DEFAULT_CLIENT_ID, "secret": DEFAULT_SECRET}).to_string();
    let context = json!({"attempt": 1, "timeout_ms": 20_000}).to_string();
    let out = Command::new(&host)
        .arg(common::plugin_path())
        .args([&input, &settings, &context])
        .output()
        .expect("host-1-0 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    let manifest = lines.first().and_then(|l| l.strip_prefix("loaded "));
    let manifest =
        json(manifest.unwrap_or_else(|| panic!("an ABI 1.0 host did not load this plugin: {stdout}")));
    assert_eq!(
        (manifest["abi_version"].as_str(), manifest["task"]["id"].as_str()),
        (Some(abi_version()), Some(RETRY))
    );
    let result = lines.get(1).and_then(|l| l.strip_prefix("execute: "));
    let result =
        TaskResult::<Value>::read(result.unwrap_or_else(|| panic!("no task result: {stdout}"))).unwrap();
    assert_eq!(result.status, TaskStatus::Completed, "{result:?}");
    let body = &result.output.response.as_ref().unwrap().body;
    assert_eq!(body["client_user_id"], user);
    assert_eq!(sim.session_count(user, template), 2, "the seeded attempt and exactly one retry");
}

/// This host loads an ABI 1.0 plugin (the `plugin-1-0` fixture) through its frozen 1.0 layout. It
/// offers the retry alone, through the 1.0 functions, although the fixture's manifest lists a get
/// in `tasks`: a 1.0 plugin has no function that could serve it.
#[test]
fn this_host_loads_an_older_plugin_with_its_one_task() {
    let plugin = interface::load(&common::fixture("plugin-1-0")).expect("an ABI 1.0 plugin loads");
    assert_eq!(json(&plugin.manifest().unwrap())["name"], "plugin-1-0");
    assert_eq!(plugin.tasks().map(|t| t.id()).collect::<Vec<_>>(), [RETRY]);
    assert!(plugin.task(GET).is_none());
    let retry = plugin.task(RETRY).unwrap();
    assert_eq!(retry.manifest().schemas.input.hash, "fnv1a64:1", "the 1.0 manifest's top-level hashes");
    assert_eq!(retry.manifest().preset_options.dialect, ["seed"]);
    assert_eq!(retry.input_schema().unwrap(), "plugin-1-0 input_schema");
    assert_eq!(retry.output_schema().unwrap(), "plugin-1-0 output_schema");
    assert_eq!(retry.settings_schema().unwrap(), "plugin-1-0 settings_schema");
    assert_eq!(retry.settings_preset("{}").unwrap(), "plugin-1-0 settings_preset {}");
    assert_eq!(retry.validate("in").unwrap(), "plugin-1-0 validate in");
    assert_eq!(retry.execute("in", "s", "c").unwrap(), "plugin-1-0 execute in s c");
    assert_eq!(plugin.execute("in", "s", "c").unwrap(), "plugin-1-0 execute in s c");
}

/// The fixture has ABI 1.1's layout with one of 1.1's functions changed: refused, and not taken
/// for an older plugin (its 1.0 functions are intact: the frozen 1.0 layout would load it).
#[test]
fn an_incompatible_plugin_is_refused_with_a_clear_message() {
    let path = common::fixture("plugin-incompatible");
    let err = interface::load(&path).err().expect("a changed interface must not load");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("incompatible plugin interface"), "{message}");
    assert!(!message.contains("too many fields"), "the change is the cause, not the length: {message}");
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

/// Every function the plugin exports, by the name its panic guard knows it by.
const EXPORTED: [&str; 12] = [
    "manifest",
    "input_schema",
    "output_schema",
    "settings_schema",
    "settings_preset",
    "validate",
    "execute",
    "task_input_schema",
    "task_output_schema",
    "task_settings_preset",
    "task_validate",
    "task_execute",
];

/// A panic inside any exported function comes back as a value, its message (which may quote
/// input) withheld, and the plugin keeps working. Run in a child process: the probe is an
/// environment variable read by debug builds of the plugin.
#[test]
fn no_panic_crosses_the_boundary() {
    if std::env::var_os("ABI_TEST_CHILD").is_some() {
        return;
    }
    for function in EXPORTED {
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
    let path = common::plugin_path();
    if function == "manifest" {
        // The loader reads the manifest: the panic comes back as the load's cause.
        let e = interface::load(&path).err().expect("the probe panics");
        assert!(e.cause.contains("internal_panic") && !e.cause.contains("canary"), "{e}");
        println!("caught panic in {function}");
        std::env::remove_var("PLAID_IDV_RETRY_TEST_PANIC");
        let plugin = interface::load(&path).expect("the plugin still loads after a caught panic");
        assert!(plugin.manifest().is_ok());
        return;
    }
    let plugin = interface::load(&path).unwrap();
    let get = plugin.task(GET).unwrap();
    let result = match function.as_str() {
        "input_schema" => plugin.input_schema(),
        "output_schema" => plugin.output_schema(),
        "settings_schema" => plugin.settings_schema(),
        "settings_preset" => plugin.settings_preset("{}"),
        "validate" => plugin.validate("{}"),
        "execute" => plugin.execute("{}", "{}", "{}"),
        "task_input_schema" => get.input_schema(),
        "task_output_schema" => get.output_schema(),
        "task_settings_preset" => get.settings_preset("{}"),
        "task_validate" => get.validate("{}"),
        "task_execute" => get.execute("{}", "{}", "{}"),
        other => panic!("no such function: {other}"),
    };
    let err = result.expect_err("the probe panics");
    assert_eq!(err.code.as_str(), "internal_panic");
    assert!(!err.message.contains("canary"));
    println!("caught panic in {function}");
    std::env::remove_var("PLAID_IDV_RETRY_TEST_PANIC");
    assert!(plugin.manifest().is_ok(), "the plugin still answers after a caught panic");
    assert!(get.validate("{}").is_ok(), "the plugin still answers after a caught panic");
}
