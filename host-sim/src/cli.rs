//! The command line. Exit codes: 0 success (a valid input, a completed task), 1 an invalid input
//! or a retryable failure, 3 a terminal failure, 2 usage, IO or plugin-load errors.

use std::{
    io::Read,
    path::{Path, PathBuf},
    process::ExitCode,
};

use clap::{Parser, Subcommand, ValueEnum};
use plaid_idv_retry_interface::Plugin;

use crate::locate;

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
        #[arg(long = "env", value_enum, default_value_t = Environment::Sandbox)]
        environment: Environment,
        #[arg(long, value_enum, default_value_t = Dialect::Seed)]
        dialect: Dialect,
    },
    /// Run the local Plaid-compatible simulator (no plugin needed).
    Sandbox(crate::sandbox::cli::SandboxArgs),
    /// The engine's Test request button: execute one input and show what happened. Exit 0
    /// completed, 1 retryable failure, 3 terminal failure.
    TestRequest(crate::test_request::TestRequestArgs),
    /// The engine's worker loop: execute every input line with the preset's retry policy.
    Run(crate::run::RunArgs),
    /// Measure the plugin against the simulator on loopback (see the README's Performance section).
    Bench(crate::bench::BenchArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SchemaKind {
    Input,
    Output,
    Settings,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Environment {
    Sandbox,
    Production,
}

impl Environment {
    pub fn name(self) -> &'static str {
        match self {
            Environment::Sandbox => "sandbox",
            Environment::Production => "production",
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Dialect {
    Seed,
    Conductor,
}

/// A failure that ends the command: printed as one line on stderr, with its exit code.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure { code: 2, message: message.into() }
    }
}

impl<E: std::error::Error> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::usage(e.to_string())
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("host-sim: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

pub fn run(cli: Cli) -> Result<u8, Failure> {
    // A server keeps serving when whoever read its banner goes away; the other commands print
    // and exit, and end quietly when their reader does (`host-sim schema input | head`).
    if !matches!(cli.command, Command::Sandbox(_)) {
        restore_sigpipe();
    }
    // Loaded on first use: the sandbox is Plaid's side and runs where no plugin was built.
    let plugin = || locate::load(cli.plugin.as_deref());
    match cli.command {
        Command::Inspect => print_json(&plugin()?.manifest()?),
        Command::Schema { kind } => {
            let plugin = plugin()?;
            let text = match kind {
                SchemaKind::Input => plugin.input_schema()?,
                SchemaKind::Output => plugin.output_schema()?,
                SchemaKind::Settings => plugin.settings_schema()?,
            };
            print_json(&text)
        }
        Command::Validate { file } => validate(&plugin()?, &file),
        Command::Preset { environment, dialect } => {
            let options = serde_json::json!({
                "environment": environment.to_possible_value().map(|v| v.get_name().to_owned()),
                "dialect": dialect.to_possible_value().map(|v| v.get_name().to_owned()),
            });
            print_json(&plugin()?.settings_preset(&options.to_string())?)
        }
        Command::Sandbox(args) => crate::sandbox::cli::run(&args),
        Command::TestRequest(args) => crate::test_request::run(&plugin()?, &args),
        Command::Run(args) => crate::run::run(&plugin()?, &args),
        Command::Bench(args) => crate::bench::run(cli.plugin.as_deref(), &args),
    }
}

fn validate(plugin: &Plugin, file: &str) -> Result<u8, Failure> {
    let input = read_input(file)?;
    let report = plugin.validate(&input)?;
    let valid = serde_json::from_str::<serde_json::Value>(&report)
        .map_err(|e| Failure::usage(format!("the plugin answered a report that is not JSON: {e}")))?["valid"]
        == true;
    print_json(&report)?;
    Ok(if valid { 0 } else { 1 })
}

/// Rust ignores SIGPIPE, so `println!` to a closed pipe panics; Unix tools just end instead.
fn restore_sigpipe() {
    extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
    }
    const SIGPIPE: i32 = 13;
    const SIG_DFL: usize = 0;
    // SAFETY: `signal` with SIG_DFL is always valid; no handler of ours is replaced.
    unsafe {
        signal(SIGPIPE, SIG_DFL);
    }
}

/// Reads a file, or standard input for `-`.
pub fn read_input(file: &str) -> Result<String, Failure> {
    let mut text = String::new();
    let result = if file == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(Path::new(file)).map(|t| text = t)
    };
    result.map_err(|e| Failure::usage(format!("cannot read {file}: {e}")))?;
    Ok(text)
}

/// Pretty-prints a JSON document the plugin answered.
pub fn print_json(text: &str) -> Result<u8, Failure> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Failure::usage(format!("the plugin answered text that is not JSON: {e}")))?;
    println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    Ok(0)
}
