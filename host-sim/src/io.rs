//! Reading a command's input and printing the plugin's documents.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::Failure;

/// A file that must hold a JSON object. serde's message gives the position, never the text:
/// the file may hold a secret. Read as bytes: a file that is not UTF-8 is malformed JSON (serde
/// says where), not an unreadable file.
pub fn read_object(path: &Path) -> Result<Map<String, Value>, Failure> {
    let bytes =
        std::fs::read(path).map_err(|e| Failure::error(format!("cannot read {}: {e}", path.display())))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Failure::error(format!("{} must hold a JSON object", path.display()))),
        Err(e) => Err(Failure::error(format!("{} is not valid JSON ({e})", path.display()))),
    }
}

/// Parses a JSON document the plugin answered (`what` names it for the error).
pub fn parse_answer(text: &str, what: &str) -> Result<Value, Failure> {
    serde_json::from_str(text)
        .map_err(|e| Failure::error(format!("the plugin answered {what} that is not JSON: {e}")))
}

/// Pretty-prints a JSON document the plugin answered.
pub fn print_json(text: &str) -> Result<(), Failure> {
    let value = parse_answer(text, "text")?;
    println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    Ok(())
}

/// Rust ignores SIGPIPE, so `println!` to a closed pipe panics; Unix tools just end instead.
pub fn restore_sigpipe() {
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
