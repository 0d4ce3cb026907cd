//! The loader hosts use: abi_stable's checked loader (layout and version checks) behind the ELF
//! pre-check, the frozen layouts of earlier ABIs, and thin, safe wrappers over the root module's
//! functions: [`Plugin`] for the plugin, [`Task`] for each task it offers.

use std::{
    fmt,
    path::{Path, PathBuf},
};

use abi_stable::{
    library::{lib_header_from_path, LibraryError},
    std_types::{RResult, RStr, RString},
};

use crate::{
    abi::{v1_0, PluginModuleRef, PluginResult},
    elf, ErrorCode, Manifest, PluginError, TaskManifest,
};

/// The root module as the plugin's release has it.
#[derive(Clone, Copy)]
enum Module {
    V1_1(PluginModuleRef),
    V1_0(v1_0::PluginModuleRef),
}

/// `$call` with `$m` bound to whichever root module a plugin has: the functions every release has.
macro_rules! either {
    ($module:expr, $m:ident => $call:expr) => {
        match $module {
            Module::V1_1($m) => $call,
            Module::V1_0($m) => $call,
        }
    };
}

/// Why a library could not be used as the plugin. Its `Display` is one line naming the path.
#[derive(Debug)]
pub struct LoadError {
    pub path: String,
    pub cause: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot load plugin {}: {}", self.path, self.cause)
    }
}

impl std::error::Error for LoadError {}

/// Loads the plugin at `path` and reads its manifest: which tasks it offers.
///
/// Each call loads that very file (`RootModule::load_from_file` would cache one module per
/// process); libraries are never unloaded, so the returned handle (and the task list read from
/// the manifest, kept beside it) lives for the whole process.
pub fn load(path: &Path) -> Result<Plugin, LoadError> {
    let fail = |cause: String| LoadError { path: path.display().to_string(), cause };
    match std::fs::metadata(path) {
        Err(e) => return Err(fail(e.to_string().to_lowercase())),
        Ok(m) if m.is_dir() => return Err(fail("is a directory, not a shared library".into())),
        Ok(m) => elf::check_file(path, m.len()).map_err(|p| fail(p.to_string()))?,
    }
    let header = lib_header_from_path(path).map_err(|e| fail(describe(&e)))?;
    let module = match header.init_root_module::<PluginModuleRef>() {
        Ok(module) => Module::V1_1(module),
        // An older plugin: its root module is a prefix of this one. Retried with the layout of its
        // release, and refused for anything else (a changed function is not an older plugin).
        Err(e) if is_older(&e) => {
            let module =
                header.init_root_module::<v1_0::PluginModuleRef>().map_err(|e| fail(describe(&e)))?;
            Module::V1_0(module)
        }
        Err(e) => return Err(fail(describe(&e))),
    };
    let manifest = into_result(either!(module, m => (m.manifest())()))
        .map_err(|e| fail(format!("its manifest failed ({e})")))?;
    let manifest: Manifest = serde_json::from_str(&manifest)
        .map_err(|e| fail(format!("its manifest is not the interface's manifest ({e})")))?;
    let tasks = manifest.offered(matches!(module, Module::V1_1(_)));
    Ok(Plugin { module, tasks: Vec::leak(tasks) })
}

/// Whether abi_stable refused the library only because its root module has fewer fields than
/// this host's type: a plugin of an earlier ABI 1.x.
fn is_older(e: &LibraryError) -> bool {
    let causes = causes(e);
    !causes.is_empty() && causes.iter().all(|c| c == "Error:too many fields")
}

/// abi_stable's layout errors run to ~170 lines; the lines starting with `Error:` are the cause.
fn causes(e: &LibraryError) -> Vec<String> {
    let text = e.to_string();
    text.lines().map(str::trim).filter(|l| l.starts_with("Error:")).map(str::to_owned).collect()
}

fn describe(e: &LibraryError) -> String {
    match e {
        LibraryError::OpenError { .. } => elf::Problem::NotALibrary.to_string(),
        LibraryError::GetSymbolError { .. } => "not a plugin (it exports no abi_stable root module)".into(),
        other => {
            let causes = causes(other);
            let detail = if causes.is_empty() {
                let text = other.to_string();
                text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_owned()
            } else {
                causes.join("; ")
            };
            format!("incompatible plugin interface ({detail})")
        }
    }
}

/// A loaded plugin: each function answers its JSON document as text, or the plugin's error.
/// The root module stays private: a host calls the plugin through these methods only, so every
/// call converts its arguments and its answer the one checked way.
///
/// The tasks it offers are [`tasks`](Plugin::tasks), each a [`Task`]. The methods here other than
/// `manifest` address the manifest's `task` (what ABI 1.0 offered: the retry), as
/// [`task`](Plugin::task) with its id does.
#[derive(Clone, Copy)]
pub struct Plugin {
    module: Module,
    /// The manifest's tasks, read once at load (see [`Manifest`]).
    tasks: &'static [TaskManifest],
}

impl Plugin {
    pub fn manifest(&self) -> Result<String, PluginError> {
        into_result(either!(self.module, m => (m.manifest())()))
    }
    pub fn input_schema(&self) -> Result<String, PluginError> {
        into_result(either!(self.module, m => (m.input_schema())()))
    }
    pub fn output_schema(&self) -> Result<String, PluginError> {
        into_result(either!(self.module, m => (m.output_schema())()))
    }
    pub fn settings_schema(&self) -> Result<String, PluginError> {
        into_result(either!(self.module, m => (m.settings_schema())()))
    }
    pub fn settings_preset(&self, options: &str) -> Result<String, PluginError> {
        into_result(either!(self.module, m => (m.settings_preset())(options.into())))
    }
    pub fn validate(&self, input: &str) -> Result<String, PluginError> {
        into_result(either!(self.module, m => (m.validate())(input.into())))
    }
    pub fn execute(&self, input: &str, settings: &str, context: &str) -> Result<String, PluginError> {
        into_result(either!(self.module, m => (m.execute())(input.into(), settings.into(), context.into())))
    }

    /// Every task the plugin offers, in the manifest's order. A plugin of ABI 1.0 offers exactly
    /// one, its manifest's `task`.
    pub fn tasks(&self) -> impl Iterator<Item = Task> {
        let plugin = *self;
        self.tasks.iter().map(move |manifest| Task { plugin, manifest })
    }

    /// The task the manifest lists with this id; `None` when the plugin does not offer it (a
    /// plugin of an earlier release).
    pub fn task(&self, id: &str) -> Option<Task> {
        self.tasks().find(|task| task.id() == id)
    }
}

/// One task a plugin offers, with the functions a host calls for it: the same as [`Plugin`]'s,
/// for this task. Cheap to copy; valid for the whole process, as the plugin is.
#[derive(Clone, Copy)]
pub struct Task {
    plugin: Plugin,
    manifest: &'static TaskManifest,
}

/// A task function of ABI 1.1 for the task `$task`, or the 1.0 function a 1.0 plugin has for its
/// one task. A 1.1 root module always has the 1.1 functions (the checked loader refuses one
/// without them); the `None` of their accessors is answered as an error all the same.
macro_rules! task_call {
    ($task:expr, $v1_1:ident ( $($arg:expr),* ), $v1_0:ident) => {
        into_result(match $task.plugin.module {
            Module::V1_1(m) => match m.$v1_1() {
                Some(f) => f(RStr::from($task.id()), $(RStr::from($arg)),*),
                None => RResult::RErr(no_task_functions()),
            },
            Module::V1_0(m) => (m.$v1_0())($(RStr::from($arg)),*),
        })
    };
}

impl Task {
    /// Its manifest id, e.g. `plaid.identity_verification.get`.
    pub fn id(&self) -> &'static str {
        &self.manifest.id
    }
    /// What the manifest says about it: title, description, endpoint, schema hashes, preset options.
    pub fn manifest(&self) -> &'static TaskManifest {
        self.manifest
    }
    pub fn input_schema(&self) -> Result<String, PluginError> {
        task_call!(self, task_input_schema(), input_schema)
    }
    pub fn output_schema(&self) -> Result<String, PluginError> {
        task_call!(self, task_output_schema(), output_schema)
    }
    /// Every task's settings are the plugin's one settings schema.
    pub fn settings_schema(&self) -> Result<String, PluginError> {
        self.plugin.settings_schema()
    }
    pub fn settings_preset(&self, options: &str) -> Result<String, PluginError> {
        task_call!(self, task_settings_preset(options), settings_preset)
    }
    pub fn validate(&self, input: &str) -> Result<String, PluginError> {
        task_call!(self, task_validate(input), validate)
    }
    pub fn execute(&self, input: &str, settings: &str, context: &str) -> Result<String, PluginError> {
        task_call!(self, task_execute(input, settings, context), execute)
    }
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task").field("id", &self.id()).finish_non_exhaustive()
    }
}

fn no_task_functions() -> PluginError {
    PluginError::new(ErrorCode::UnknownTask, "the plugin has no task functions (ABI 1.1)")
}

fn into_result(r: PluginResult) -> Result<String, PluginError> {
    r.into_result().map(RString::into_string)
}

/// The variable a host reads for the plugin's path when it is given none.
pub const PLUGIN_ENV_VAR: &str = "PLAID_IDV_RETRY_PLUGIN";
/// The library's file name as cargo builds it.
pub const PLUGIN_FILE_NAME: &str = "libplaid_idv_retry.so";

/// Where a host finds the plugin: `flag` (its `--plugin PATH`), else `$PLAID_IDV_RETRY_PLUGIN`,
/// else beside the host's executable, where one cargo build of the plugin and the host leaves it
/// (`cargo host-sim`, `cargo temporal`).
pub fn locate(flag: Option<&Path>) -> PathBuf {
    if let Some(path) = flag {
        return path.to_path_buf();
    }
    if let Some(path) = std::env::var_os(PLUGIN_ENV_VAR).filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    exe.parent().unwrap_or(Path::new(".")).join(PLUGIN_FILE_NAME)
}
