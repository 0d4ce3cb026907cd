//! One string field's rules, read from its subschema and judged as jsonschema judges them.

use jsonschema::Validator;
use serde_json::Value;

/// A string field's own subschema, in the few keywords the schema's string fields use: its type,
/// lengths (in code points, as JSON Schema counts), pattern (translated and compiled exactly as
/// jsonschema does, with the same engine), enum or const, `not` of a pattern or an enum, and format (left to
/// jsonschema itself). A subschema with any other assertion is not a leaf, and the fast path
/// stays off. `proof::leaves_judge_strings_as_jsonschema_does` holds each leaf to jsonschema.
pub(super) struct Leaf {
    /// The subschema's `type` allows a string; and null.
    pub(super) string: bool,
    pub(super) null: bool,
    pub(super) min_length: usize,
    pub(super) max_length: usize,
    pub(super) pattern: Option<fancy_regex::Regex>,
    pub(super) not_pattern: Option<fancy_regex::Regex>,
    /// `not` of an enum: values the field must not be (a withdrawn region draws a warning).
    pub(super) not_one_of: Option<Set>,
    pub(super) one_of: Option<Set>,
    /// jsonschema's check of the `format` alone (a format is not a pattern: the email pattern
    /// allows labels like `a--b` that the hostname rules refuse).
    pub(super) format: Option<Validator>,
}

/// Keywords that assert nothing about a string value.
pub(super) const ANNOTATIONS: [&str; 4] = ["title", "description", "examples", "writeOnly"];

impl Leaf {
    pub(super) fn at(schema: &Value, pointer: &str) -> Option<Leaf> {
        Leaf::of(schema.pointer(pointer)?)
    }

    pub(super) fn of(subschema: &Value) -> Option<Leaf> {
        let object = subschema.as_object()?;
        let known = ["type", "minLength", "maxLength", "pattern", "not", "enum", "const", "format"];
        if !object.keys().all(|k| known.contains(&k.as_str()) || ANNOTATIONS.contains(&k.as_str())) {
            return None;
        }
        let allows = |kind: &str| match object.get("type") {
            None => Some(true),
            Some(Value::String(t)) => Some(t == kind),
            Some(Value::Array(types)) => Some(types.iter().any(|t| t == kind)),
            Some(_) => None,
        };
        let length = |key: &str| object.get(key).map(|n| n.as_u64().and_then(|n| usize::try_from(n).ok()));
        let (not_pattern, not_one_of) = match object.get("not") {
            None => (None, None),
            Some(not) => match not.as_object()?.iter().collect::<Vec<_>>()[..] {
                [(key, pattern)] if key == "pattern" => (Some(regex(pattern)?), None),
                [(key, values)] if key == "enum" => (None, Some(Set::of(values)?)),
                _ => return None,
            },
        };
        let one_of = match (object.get("enum"), object.get("const")) {
            (Some(values), None) | (None, Some(values)) => Some(Set::of(values)?),
            (None, None) => None,
            (Some(_), Some(_)) => return None,
        };
        let pattern = match object.get("pattern") {
            Some(pattern) => Some(regex(pattern)?),
            None => None,
        };
        Some(Leaf {
            string: allows("string")?,
            null: allows("null")?,
            min_length: length("minLength").unwrap_or(Some(0))?,
            max_length: length("maxLength").unwrap_or(Some(usize::MAX))?,
            pattern,
            not_pattern,
            not_one_of,
            one_of,
            format: match object.get("format") {
                Some(format) => {
                    Some(crate::validate::options().build(&serde_json::json!({ "format": format })).ok()?)
                }
                None => None,
            },
        })
    }

    pub(super) fn holds(&self, text: &str) -> bool {
        let length_ok = match (self.min_length, self.max_length) {
            (0, usize::MAX) => true,
            // Code points are at most bytes, and at least a quarter of them.
            (min, max) if text.len() / 4 >= min && text.len() <= max => true,
            (min, max) => (min..=max).contains(&text.chars().count()),
        };
        self.string
            && length_ok
            && self.one_of.as_ref().is_none_or(|set| set.contains(text))
            && self.pattern.as_ref().is_none_or(|p| p.is_match(text).unwrap_or(false))
            && self.not_pattern.as_ref().is_none_or(|p| p.is_match(text).is_ok_and(|m| !m))
            && self.not_one_of.as_ref().is_none_or(|set| !set.contains(text))
            && self.format.as_ref().is_none_or(|f| f.is_valid(&Value::from(text)))
    }
}

/// A `pattern`, as jsonschema compiles it: translated from ECMA-262 and built with fancy-regex.
pub(super) fn regex(pattern: &Value) -> Option<fancy_regex::Regex> {
    let translated = jsonschema_regex::to_rust_regex(pattern.as_str()?).ok()?;
    fancy_regex::Regex::new(&translated).ok()
}

/// A sorted list of strings (countries), looked up by binary search.
pub(super) struct Set(pub(super) Vec<String>);

impl Set {
    pub(super) fn of(values: &Value) -> Option<Set> {
        let mut list = match values {
            Value::String(one) => vec![one.clone()],
            Value::Array(many) => {
                many.iter().map(|v| v.as_str().map(str::to_owned)).collect::<Option<_>>()?
            }
            _ => return None,
        };
        list.sort();
        Some(Set(list))
    }

    pub(super) fn contains(&self, value: &str) -> bool {
        self.0.binary_search_by(|v| v.as_str().cmp(value)).is_ok()
    }
}
