//! Command-line values for the interface's vocabulary: clap parses them with the interface's own
//! names, so `--env` and `--dialect` accept exactly what the plugin does.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use plaid_idv_retry_interface::{Dialect, Environment};

pub fn environment() -> impl TypedValueParser<Value = Environment> {
    PossibleValuesParser::new(Environment::ALL.iter().map(|e| e.as_str()))
        .try_map(|s| s.parse::<Environment>())
}

pub fn dialect() -> impl TypedValueParser<Value = Dialect> {
    PossibleValuesParser::new(Dialect::ALL.iter().map(|d| d.as_str())).try_map(|s| s.parse::<Dialect>())
}
