//! The command line: parses the arguments and hands each command to its module. The exit codes
//! are the interface's `Exit`, shared with the Temporal worker.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand, ValueEnum};
use plaid_idv_retry_interface::{Dialect, Environment, Exit, PresetOptions};

use crate::{error::Failure, io, locate, test_request, validate, values};

#[derive(Parser)]
#[command(
    name = "host-sim",
    version,
    about = "A workflow engine in miniature for the plaid-idv-retry plugin"
)]
pub struct Cli {
    /// The plugin library; else $PLAID_IDV_RETRY_PLUGIN, else the one beside this executable.
    #[arg(long, global = true, value_name = "PATH")]
    pub plugin: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Print the plugin's manifest.
    Inspect,
    /// Print one of the plugin's JSON Schemas.
    Schema {
        #[arg(value_enum, default_value_t = SchemaKind::Input)]
        kind: SchemaKind,
    },
    /// Validate a task input (a file, or - for standard input) and print the report.
    Validate {
        #[arg(default_value = "-")]
        file: String,
    },
    /// Print the pre-filled HTTP task for the engine.
    Preset {
        #[arg(long = "env", value_parser = values::environment(), default_value_t = Environment::Sandbox)]
        environment: Environment,
        #[arg(long, value_parser = values::dialect(), default_value_t = Dialect::Seed)]
        dialect: Dialect,
    },
    /// Run the local Plaid-compatible simulator (no plugin needed).
    Sandbox(crate::sandbox::SandboxArgs),
    /// The engine's Test request button: execute one input and show what happened. Exit 0
    /// completed, 1 retryable failure, 3 terminal failure.
    TestRequest(test_request::TestRequestArgs),
    /// The engine's worker loop: execute every input line with the preset's retry policy.
    Run(crate::run::RunArgs),
    /// Serve the catalog, reference and Test request as a web page (see the README's Console).
    Console(crate::console::ConsoleArgs),
    /// Measure the plugin against the simulator on loopback (see the README's Performance section).
    Bench(crate::bench::BenchArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SchemaKind {
    Input,
    Output,
    Settings,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(exit) => exit.into(),
        Err(f) => {
            eprintln!("host-sim: {}", f.message);
            f.exit.into()
        }
    }
}

pub fn run(cli: Cli) -> Result<Exit, Failure> {
    // A server keeps serving when whoever read its banner goes away; the other commands print
    // and exit, and end quietly when their reader does (`host-sim schema input | head`).
    if !matches!(cli.command, Command::Sandbox(_) | Command::Console(_)) {
        io::restore_sigpipe();
    }
    // Loaded on first use: the sandbox is Plaid's side and runs where no plugin was built.
    let plugin = || locate::load(cli.plugin.as_deref());
    let printed = |text: String| io::print_json(&text).map(|()| Exit::Success);
    match cli.command {
        Command::Inspect => printed(plugin()?.manifest()?),
        Command::Schema { kind } => {
            let plugin = plugin()?;
            printed(match kind {
                SchemaKind::Input => plugin.input_schema()?,
                SchemaKind::Output => plugin.output_schema()?,
                SchemaKind::Settings => plugin.settings_schema()?,
            })
        }
        Command::Validate { file } => validate::run(&plugin()?, &file),
        Command::Preset { environment, dialect } => {
            printed(plugin()?.settings_preset(&PresetOptions { environment, dialect }.to_json())?)
        }
        Command::Sandbox(args) => crate::sandbox::run(&args),
        Command::TestRequest(args) => test_request::run(&plugin()?, &args),
        Command::Run(args) => crate::run::run(&plugin()?, &args),
        Command::Console(args) => crate::console::run(plugin()?, &args),
        Command::Bench(args) => crate::bench::run(cli.plugin.as_deref(), &args),
    }
}
