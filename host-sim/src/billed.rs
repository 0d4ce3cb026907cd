//! Billed calls are never a surprise: before a Test request opens a session Plaid bills, a
//! person says yes on a terminal, or the caller passed a flag that says it accepts the bill.

use std::io::{BufRead, IsTerminal, Write};

use crate::error::Failure;

/// What a person is told before a billed Test request (the CLI's prompt, the console's page).
pub fn notice(destination: &str) -> String {
    format!("This Test request goes to {destination} and opens a new Identity Verification session that Plaid bills.")
}

/// Asks on the terminal; without one (a pipe, CI, a script) refuses, naming the flag.
pub fn confirm(destination: &str) -> Result<(), Failure> {
    let (stdin, stderr) = (std::io::stdin(), std::io::stderr());
    if !stdin.is_terminal() || !stderr.is_terminal() {
        return Err(Failure::error(format!(
            "{} Nothing was sent: run it on a terminal to confirm, or pass --confirm-billed",
            notice(destination)
        )));
    }
    let mut out = stderr.lock();
    let _ = write!(out, "{}\nType yes to send it: ", notice(destination));
    let _ = out.flush();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::error(format!("cannot read the answer: {e}")))?;
    if answer.trim().eq_ignore_ascii_case("yes") {
        Ok(())
    } else {
        Err(Failure::error("not confirmed: nothing was sent"))
    }
}
