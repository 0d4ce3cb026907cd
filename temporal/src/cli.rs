//! The commands, and how each ends ([`Exit`]).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use plaid_idv_retry_interface::Exit;

use crate::{
    submit::{self, SubmitArgs},
    webhooks::{self, WebhooksArgs},
    worker::{self, WorkerArgs},
};

#[derive(Parser, Debug)]
#[command(name = "plaid-idv-temporal", version, about = "Runs the plaid-idv-retry plugin on Temporal")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Poll a task queue: run the plugin's execute as an activity, under its temporal preset.
    Worker(WorkerArgs),
    /// Start one workflow per input line (idempotent: the workflow id is derived from the input).
    Submit(SubmitArgs),
    /// Receive Plaid's webhooks: verify each, and signal the workflow awaiting its session.
    Webhooks(WebhooksArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("plaid-idv-temporal: cannot start: {e}");
            return Exit::Error.into();
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Worker(args) => worker::run(args).await.map(|()| Exit::Success),
            Command::Submit(args) => submit::run(args).await,
            Command::Webhooks(args) => webhooks::run(args).await.map(|()| Exit::Success),
        }
    });
    match outcome {
        Ok(exit) => exit.into(),
        Err(e) => {
            eprintln!("plaid-idv-temporal: {e}");
            Exit::Error.into()
        }
    }
}
