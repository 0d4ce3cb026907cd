use std::process::ExitCode;

fn main() -> ExitCode {
    plaid_idv_temporal::cli::main()
}
