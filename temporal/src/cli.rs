//! The commands. Exit codes: 0 done (every input completed, for `submit --wait`), 1 some task
//! failed retryably (attempts exhausted) or did not finish, 3 some task failed terminally, a
//! result was refused (not encrypted with a key of this process) or an input was not JSON, 2
//! usage, IO, plugin-load or Temporal connection error.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::{
    submit::{self, SubmitArgs},
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
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("plaid-idv-temporal: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Worker(args) => worker::run(args).await.map(|()| 0),
            Command::Submit(args) => submit::run(args).await,
        }
    });
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("plaid-idv-temporal: {e}");
            ExitCode::from(2)
        }
    }
}
