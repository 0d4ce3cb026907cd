//! The common case answered fast: an input that is certainly valid and draws no warning is
//! recognised from its text, without building a `Value` tree or walking the general validator.
//! Building the tree and walking the schema's two hundred-odd conditions cost most of a
//! validate call; this path reads the text into borrowed structs and applies the same rules.
//!
//! It only ever says "valid, nothing to warn about" or "not sure": anything it does not
//! recognise (an unknown or duplicate key, an escaped string, a wrong type, a failed rule, a
//! warning) falls back to the general path, which writes every report that is not the empty
//! one. So error reports never come from here.
//!
//! The rules are the embedded schema's, read from it at first use, never restated: each string
//! field is judged by its own subschema (`Leaf`: lengths, enum, patterns translated and compiled
//! as jsonschema does them, formats by jsonschema itself), and the conditional rules (countries,
//! ID types, subdivisions) are taken from the schema's `allOf`s in the shapes schema/generate.py
//! writes. A shape this module does not know turns the fast path off rather than guess.
//!
//! The proof, in `proof`: the fast verdict is the general one on the whole case table, the
//! validate fuzzer's inputs, and generated addresses and ID numbers of every country and type;
//! and every leaf judges generated strings as jsonschema does.

mod input;
mod leaf;
#[cfg(test)]
mod proof;
mod rules;

use super::warnings;
use input::{Input, Object};
use rules::RULES;

/// True when `text` is certainly a valid input that draws no warning; false means "not sure".
/// The caller has checked the size cap.
pub(super) fn accepts(text: &str) -> bool {
    let Some(rules) = RULES.as_ref() else { return false };
    let Ok(Object(input)) = serde_json::from_str::<Object<Input>>(text) else { return false };
    rules.input(&input) && warnings::of(&input.facts()).is_empty()
}
