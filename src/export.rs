//! The root module this library exports. Every function runs behind `guard`: a panic never
//! crosses the FFI boundary (it would end the host), it comes back as a `PluginError`.

use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    sync::Once,
};

use abi_stable::{
    export_root_module,
    prefix_type::PrefixTypeTrait,
    std_types::{RResult, RStr},
};

use plaid_idv_retry_interface::{ErrorCode, PluginError, PluginModule, PluginModuleRef, PluginResult};

use crate::{error::Error, manifest, schema, task::Task};

#[export_root_module]
pub fn root_module() -> PluginModuleRef {
    PluginModule {
        manifest: manifest_fn,
        input_schema,
        output_schema,
        settings_schema,
        settings_preset,
        validate,
        execute,
        task_input_schema,
        task_output_schema,
        task_settings_preset,
        task_validate,
        task_execute,
    }
    .leak_into_prefix()
}

extern "C" fn manifest_fn() -> PluginResult {
    guard("manifest", || Ok(manifest::json().to_owned()))
}

extern "C" fn settings_schema() -> PluginResult {
    guard("settings_schema", || Ok(schema::SETTINGS.to_owned()))
}

// ABI 1.0: the manifest's `task`, the retry.

extern "C" fn input_schema() -> PluginResult {
    guard("input_schema", || Ok(Task::Retry.input_schema().to_owned()))
}

extern "C" fn output_schema() -> PluginResult {
    guard("output_schema", || Ok(Task::Retry.output_schema().to_owned()))
}

extern "C" fn settings_preset(options: RStr<'_>) -> PluginResult {
    guard("settings_preset", || Task::Retry.settings_preset(options.as_str()))
}

extern "C" fn validate(input: RStr<'_>) -> PluginResult {
    guard("validate", || Ok(Task::Retry.validate(input.as_str())))
}

extern "C" fn execute(input: RStr<'_>, settings: RStr<'_>, context: RStr<'_>) -> PluginResult {
    guard("execute", || Task::Retry.execute(input.as_str(), settings.as_str(), context.as_str()))
}

// ABI 1.1: any task of the manifest's `tasks`, by its id.

extern "C" fn task_input_schema(task: RStr<'_>) -> PluginResult {
    guard("task_input_schema", || Ok(Task::by_id(task.as_str())?.input_schema().to_owned()))
}

extern "C" fn task_output_schema(task: RStr<'_>) -> PluginResult {
    guard("task_output_schema", || Ok(Task::by_id(task.as_str())?.output_schema().to_owned()))
}

extern "C" fn task_settings_preset(task: RStr<'_>, options: RStr<'_>) -> PluginResult {
    guard("task_settings_preset", || Task::by_id(task.as_str())?.settings_preset(options.as_str()))
}

extern "C" fn task_validate(task: RStr<'_>, input: RStr<'_>) -> PluginResult {
    guard("task_validate", || Ok(Task::by_id(task.as_str())?.validate(input.as_str())))
}

extern "C" fn task_execute(
    task: RStr<'_>,
    input: RStr<'_>,
    settings: RStr<'_>,
    context: RStr<'_>,
) -> PluginResult {
    guard("task_execute", || {
        Task::by_id(task.as_str())?.execute(input.as_str(), settings.as_str(), context.as_str())
    })
}

/// Runs `f`, turning its error or its panic into a `PluginError`. The panic's own message is
/// withheld: it may quote a value from the input.
fn guard(function: &str, f: impl FnOnce() -> Result<String, Error>) -> PluginResult {
    quiet_panics();
    let run = || {
        #[cfg(debug_assertions)]
        test_panic_probe(function);
        f()
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(text)) => RResult::ROk(text.into()),
        Ok(Err(e)) => RResult::RErr(e.into()),
        Err(_) => RResult::RErr(PluginError::new(
            ErrorCode::InternalPanic,
            format!("{function} failed with an internal error; the plugin is still usable"),
        )),
    }
}

/// The default hook would print the panic message, which may carry input values, to the
/// engine's stderr. This library has its own std, so this hook is ours alone.
fn quiet_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
            eprintln!("plaid-idv-retry: internal panic{at} (message withheld)");
        }))
    });
}

/// Debug builds only: lets the tests prove, through the real `.so`, that a panic in any exported
/// function comes back as a value. `PLAID_IDV_RETRY_TEST_PANIC` names the function to break.
#[cfg(debug_assertions)]
fn test_panic_probe(function: &str) {
    if std::env::var("PLAID_IDV_RETRY_TEST_PANIC").is_ok_and(|f| f == function) {
        panic!("test panic probe in {function} carrying canary-secret-123");
    }
}
