//! `worker`: loads the plugin, reads its `temporal` presets (the retry's, and the get task's for
//! the workflow that awaits the verdict), and polls the task queue until
//! SIGTERM or SIGINT; then it drains: stops polling, lets the calls in flight finish within
//! their deadline, and exits 0. (The SDK installs no signal handler of its own.)

use std::{path::PathBuf, time::Duration};

use clap::Args;
use plaid_idv_retry_interface::{
    self as interface, Dialect, Environment, Plugin, PresetOptions, GET_TASK_ID,
};
use serde_json::{Map, Value};
use temporalio_common::telemetry::{Logger, TelemetryOptions};
use temporalio_sdk::{
    runtime::{
        worker_tuner::{FixedSizeSlotSupplier, TunerHolder},
        RuntimeOptions,
    },
    Runtime, Worker, WorkerOptions,
};
use tokio::signal::unix::{signal, SignalKind};

use crate::{
    activity::{self, RetryActivity},
    await_verdict::{RetryAndAwaitWorkflow, Rounds},
    codec::{CodecArgs, KeyRing},
    connection::ServerArgs,
    error::Error,
    get::{self, GetActivity},
    policy::{Cadence, Policy},
    workflow::RetryWorkflow,
};

#[derive(Args, Debug, Clone)]
pub struct WorkerArgs {
    /// The plugin library (default: $PLAID_IDV_RETRY_PLUGIN, else beside this executable).
    #[arg(long, value_name = "PATH")]
    pub plugin: Option<PathBuf>,
    /// The task's settings as JSON (see `host-sim schema settings`); PLAID_CLIENT_ID and
    /// PLAID_SECRET fill in credentials it leaves out.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// Calls this worker runs at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub max_concurrent: u16,
    /// The task queue's dispatch rate, overriding the preset's (for a Plaid client whose limit
    /// was raised). Every worker on the queue must be given the same value.
    #[arg(long, value_name = "PER_SECOND")]
    pub activities_per_second: Option<f64>,
    /// Waits for a verdict one run of the retry-and-await workflow holds before it continues as
    /// new (a test setting: the default keeps histories small).
    #[arg(long, hide = true, default_value_t = Rounds::default().per_run,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds_per_run: u32,
    /// Seconds the retry-and-await workflow follows a session before `NO_VERDICT`, instead of the
    /// get preset's `giveUpAfter` (a test setting: the sandbox preset's hour is too long to prove
    /// the deadline with).
    #[arg(long, hide = true, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub give_up_after: Option<u64>,
    #[command(flatten)]
    pub codec: CodecArgs,
    #[command(flatten)]
    pub server: ServerArgs,
}

pub async fn run(args: WorkerArgs) -> Result<(), Error> {
    let keys = KeyRing::from_env()?;
    let plugin = load(args.plugin.as_deref())?;
    let settings = settings(args.settings.as_ref())?;
    check_settings(&plugin, &settings)?;
    let environment = serde_json::from_str::<Value>(&settings)
        .ok()
        .and_then(|s| s.get("environment").and_then(Value::as_str).and_then(|e| e.parse().ok()))
        .unwrap_or(Environment::Sandbox);
    let preset = plugin
        .settings_preset(&PresetOptions { environment, dialect: Dialect::Temporal }.to_json())
        .map_err(|e| Error::new(format!("the plugin has no temporal preset: {e}")))?;
    let mut policy = Policy::from_preset(&preset)?;
    if let Some(rate) = args.activities_per_second {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(Error::new("--activities-per-second must be a positive number"));
        }
        policy.task_queue_activities_per_second = rate;
    }
    activity::set_activity_type(&policy.activity_type);
    let (get_task, get_policy, mut cadence) = get_preset(&plugin, environment)?;
    if let Some(seconds) = args.give_up_after {
        cadence.give_up_after = Duration::from_secs(seconds);
    }
    get::set_get_activity_type(&get_policy.activity_type);

    let runtime = Runtime::from_current_tokio(runtime_options()?)
        .map_err(|e| Error::new(format!("cannot start the Temporal runtime: {e}")))?;
    let client = args.server.connect(&keys, args.codec).await?;
    let slots = usize::from(args.max_concurrent);
    let workflow_policy = policy.clone();
    let read_legacy_payloads = args.codec.read_legacy_payloads;
    let (retry_policy, rounds) = (policy.clone(), Rounds { per_run: args.rounds_per_run });
    let options = WorkerOptions::new(args.server.task_queue.clone())
        .register_activities(RetryActivity { plugin, settings: settings.clone() })
        .register_activities(GetActivity { task: get_task, settings })
        .register_workflow_with_factory::<RetryWorkflow, _>(move || RetryWorkflow {
            policy: workflow_policy.clone(),
            read_legacy_payloads,
        })
        .map_err(|e| Error::new(format!("cannot register the workflow: {e}")))?
        .register_workflow_with_factory::<RetryAndAwaitWorkflow, _>(move || {
            RetryAndAwaitWorkflow::new(
                retry_policy.clone(),
                get_policy.clone(),
                cadence.clone(),
                rounds,
                read_legacy_payloads,
            )
        })
        .map_err(|e| Error::new(format!("cannot register the workflow: {e}")))?
        .tuner(
            TunerHolder::builder()
                .workflow_task_slot_supplier(FixedSizeSlotSupplier::new(slots.max(2)))
                .activity_task_slot_supplier(FixedSizeSlotSupplier::new(slots))
                .local_activity_task_slot_supplier(FixedSizeSlotSupplier::new(1))
                .nexus_task_slot_supplier(FixedSizeSlotSupplier::new(1))
                .build(),
        )
        .max_task_queue_activities_per_second(policy.task_queue_activities_per_second)
        .build();
    let mut worker = Worker::new(&runtime, client, options)
        .map_err(|e| Error::new(format!("cannot create the worker: {e}")))?;

    let shutdown = worker.shutdown_handle();
    let mut term = signal(SignalKind::terminate()).map_err(|e| Error::new(format!("signal handler: {e}")))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| Error::new(format!("signal handler: {e}")))?;
    tokio::spawn(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        eprintln!("{name}: draining (no new tasks; calls in flight finish within their deadline)");
        shutdown();
    });

    eprintln!(
        "worker polling task queue {:?} (namespace {:?}, {}): activity {}, at most {} at once, queue limit {}/s, payload keys {}{}",
        args.server.task_queue,
        args.server.namespace,
        args.server.address,
        policy.activity_type,
        slots,
        policy.task_queue_activities_per_second,
        keys.ids(),
        if read_legacy_payloads { " (reading legacy payloads: a migration setting)" } else { "" }
    );
    worker.run().await.map_err(|e| Error::new(format!("the worker stopped: {e}")))?;
    eprintln!("worker drained");
    Ok(())
}

/// The SDK's own errors on the console. At error level it logs only payloads the codec refused
/// or could not seal (the message names key ids, never data): without a logger a worker given
/// another key than `submit` would fail every workflow task silently.
fn runtime_options() -> Result<RuntimeOptions, Error> {
    let logging = Logger::Console { filter: "temporalio_sdk=error".to_owned(), format: None };
    RuntimeOptions::builder()
        .telemetry_options(TelemetryOptions::builder().logging(logging).build())
        .build()
        .map_err(|e| Error::new(format!("the Temporal runtime's options: {e}")))
}

/// `--plugin`, else `$PLAID_IDV_RETRY_PLUGIN`, else beside this executable (the interface's
/// `locate`, as host-sim finds it).
fn load(flag: Option<&std::path::Path>) -> Result<Plugin, Error> {
    interface::load(&interface::locate(flag)).map_err(|e| Error::new(e.to_string()))
}

/// The plugin's get task, its activity policy and the cadence a workflow polls at, from its
/// `temporal` preset (the single source: the worker invents no interval of its own).
fn get_preset(
    plugin: &Plugin,
    environment: Environment,
) -> Result<(interface::Task, Policy, Cadence), Error> {
    let task = plugin
        .task(GET_TASK_ID)
        .ok_or_else(|| Error::new("the plugin offers no get task (a plugin of an earlier release)"))?;
    let preset = task
        .settings_preset(&PresetOptions { environment, dialect: Dialect::Temporal }.to_json())
        .map_err(|e| Error::new(format!("the plugin's get task has no temporal preset: {e}")))?;
    Ok((task, Policy::from_preset(&preset)?, Cadence::from_preset(&preset)?))
}

/// `--settings`, then `PLAID_CLIENT_ID`/`PLAID_SECRET` for credentials it leaves out.
pub(crate) fn settings(path: Option<&PathBuf>) -> Result<String, Error> {
    let mut settings: Map<String, Value> = match path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::new(format!("--settings: cannot read {}: {e}", path.display())))?;
            match serde_json::from_str(&text) {
                Ok(Value::Object(map)) => map,
                // serde's message may quote the text, and the text holds the secret.
                _ => return Err(Error::new(format!("--settings: {} is not a JSON object", path.display()))),
            }
        }
        None => Map::new(),
    };
    interface::credentials_from_env(&mut settings);
    if !settings.contains_key("client_id") || !settings.contains_key("secret") {
        return Err(Error::new(
            "no Plaid credentials: put client_id and secret in --settings, or set PLAID_CLIENT_ID and PLAID_SECRET",
        ));
    }
    Ok(Value::Object(settings).to_string())
}

/// The plugin refuses bad settings before it looks at the input, and an empty input is never
/// sent: so this checks the settings at start, not at the first task, without a call to Plaid.
fn check_settings(plugin: &Plugin, settings: &str) -> Result<(), Error> {
    plugin.execute("{}", settings, "{}").map(drop).map_err(|e| Error::new(format!("--settings: {e}")))
}
