//! One schema error as the issue a person needs: the pointer of the field to fix, a rule keyword
//! and a sentence written from the rule, never from the value.

use std::{collections::HashMap, sync::LazyLock};

use jsonschema::{
    error::{TypeKind, ValidationErrorKind as Kind},
    JsonType, ValidationError,
};
use serde::Deserialize;
use serde_json::Value;

use super::Issue;

/// The ID-number formats in words, from the same table the schema's patterns are generated from.
static ID_FORMATS: LazyLock<HashMap<String, IdNumber>> = LazyLock::new(|| {
    #[derive(Deserialize)]
    struct Table {
        id_numbers: Vec<IdNumber>,
    }
    let table: Table = serde_json::from_str(include_str!("../../schema/data/id-numbers.json"))
        .expect("the ID table is valid JSON");
    table.id_numbers.into_iter().map(|t| (t.r#type.clone(), t)).collect()
});

#[derive(Deserialize)]
pub(super) struct IdNumber {
    r#type: String,
    pub(super) country: String,
    format: String,
}

/// The ID type's entry, when the input names a documented type.
pub(super) fn id_number(kind: &str) -> Option<&'static IdNumber> {
    ID_FORMATS.get(kind)
}

pub(super) fn from_error(e: &ValidationError<'_>, root: &Value) -> Vec<Issue> {
    let at = e.instance_path().as_str();
    let one = |path: String, rule: &str, message: String| vec![Issue::new(path, rule, message)];
    match e.kind() {
        Kind::Required { property } => {
            let field = property.as_str().unwrap_or_default();
            let path = join(at, field);
            let message = required(at, field);
            one(path, "required", message)
        }
        Kind::AdditionalProperties { unexpected } | Kind::UnevaluatedProperties { unexpected } => unexpected
            .iter()
            .map(|field| {
                let path = join(at, field);
                let message = unknown(&path);
                Issue::new(path, "unknown_field", message)
            })
            .collect(),
        // A null where a conditional rule needs the field (a full address's street, a custom
        // retry's steps) is a missing field to the person filling the form.
        Kind::Type { .. } if e.instance().is_null() && e.schema_path().as_str().contains("/then/") => {
            let (parent, field) = at.rsplit_once('/').unwrap_or(("", at));
            one(at.into(), "required", required(parent, &unescape(field)))
        }
        // Only null allowed: a field Plaid takes none of here (null is "not given", left out).
        Kind::Type { kind: TypeKind::Single(JsonType::Null) } => {
            one(at.into(), "not_accepted", not_accepted(at))
        }
        Kind::Type { kind } => {
            let null = if e.instance().is_null() { ", not null" } else { "" };
            one(at.into(), "type", format!("{} must be {}{null}.", subject(at), type_name(kind)))
        }
        Kind::Enum { .. } => one(at.into(), "enum", enumeration(at)),
        Kind::MaxLength { limit } => {
            one(at.into(), "max_length", format!("{} must be at most {limit} characters long.", subject(at)))
        }
        Kind::MinLength { limit } => {
            let message = if *limit == 1 {
                format!("{} must not be empty.", subject(at))
            } else {
                format!("{} must be at least {limit} characters long.", subject(at))
            };
            one(at.into(), "min_length", message)
        }
        Kind::Pattern { .. } | Kind::Format { .. } => {
            let rule = if is_format_field(at) { "format" } else { "pattern" };
            one(at.into(), rule, shape(at, root))
        }
        Kind::FalseSchema => one(at.into(), "not_accepted", not_accepted(at)),
        Kind::Constant { .. } => one(
            at.into(),
            "forbidden",
            format!("{} is only allowed when strategy is custom: leave it out.", subject(at)),
        ),
        Kind::Not { .. } => one(at.into(), "ssn_excluded", excluded(at, root)),
        _ => one(at.into(), "schema", format!("{} does not match the input schema.", subject(at))),
    }
}

/// Appends one property name to a JSON pointer, escaped as RFC 6901 requires.
fn join(at: &str, field: &str) -> String {
    format!("{at}/{}", field.replace('~', "~0").replace('/', "~1"))
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// How a sentence names the field: its own (schema-defined) name, or "The input" at the root.
fn subject(at: &str) -> String {
    match at.rsplit_once('/') {
        Some((_, last)) if !at.is_empty() => unescape(last),
        _ => "The input".into(),
    }
}

fn type_name(kind: &TypeKind) -> String {
    let article = |t: String| match t.as_str() {
        "object" | "array" | "integer" => format!("an {t}"),
        "null" => t,
        _ => format!("a {t}"),
    };
    match kind {
        TypeKind::Single(t) => article(t.to_string()),
        TypeKind::Multiple(set) => {
            set.iter().map(|t| article(t.to_string())).collect::<Vec<_>>().join(" or ")
        }
    }
}

fn required(parent: &str, field: &str) -> String {
    match parent {
        "" if field == "steps" => "steps is required when strategy is custom.".into(),
        "" => format!("{field} is required."),
        "/steps" => format!(
            "steps needs all four of verify_sms, kyc_check, documentary_verification and selfie_check; {field} is missing."
        ),
        "/user/name" => format!("A name needs both given_name and family_name; {field} is missing."),
        "/user/id_number" => format!("An id_number needs both type and value; {field} is missing."),
        "/user/address" if field == "country" => "An address needs its country.".into(),
        "/user/address" if field == "street" || field == "city" => {
            format!("A full address needs street and city; {field} is missing (or send only the country).")
        }
        "/user/address" => format!("{field} is required in a full address in this country."),
        _ => format!("{field} is required."),
    }
}

fn unknown(path: &str) -> String {
    match path {
        "/steps/liveness" => "This is not a step Plaid's API takes: steps has only verify_sms, kyc_check, \
                              documentary_verification and selfie_check."
            .into(),
        "/user/gave_consent" => {
            "This field belongs to /identity_verification/create, not to a retry, and Plaid rejects it here."
                .into()
        }
        _ => "This field is not part of the request, and Plaid rejects unknown fields.".into(),
    }
}

fn enumeration(at: &str) -> String {
    match at {
        "/strategy" => "strategy must be one of reset, incomplete, infer or custom.".into(),
        "/user/address/country" => "country must be the upper-case ISO 3166-1 alpha-2 code of a country Plaid's Identity \
                                    Verification serves, such as US or GB (normalize_input upper-cases it)."
            .into(),
        "/user/id_number/type" => "type must be one of the 36 ID types Plaid documents, such as us_ssn.".into(),
        "/user/address/region" => "region must be one of the address's country's current or withdrawn ISO 3166-2 \
                                   subdivisions, the part after the hyphen, such as CA for US-CA or ON for CA-ON."
            .into(),
        _ => format!("{} must be one of the allowed values.", subject(at)),
    }
}

/// Fields whose pattern spells out a format: their failures are reported as `format`.
fn is_format_field(at: &str) -> bool {
    matches!(at, "/user/email_address" | "/user/phone_number" | "/user/date_of_birth")
}

/// What a value of the field looks like, for a failed `pattern` or `format`.
fn shape(at: &str, root: &Value) -> String {
    let address_country = root.pointer("/user/address/country").and_then(Value::as_str);
    match at {
        "/user/name/given_name" | "/user/name/family_name" | "/user/address/street2" => {
            format!("{} must contain at least one non-whitespace character.", subject(at))
        }
        "/user/address/street" | "/user/address/city" => {
            format!("{} must contain at least one letter.", subject(at))
        }
        "/user/address/region" => {
            "region must be the part of an ISO 3166-2 subdivision code after the hyphen: 1 to 3 upper-case \
             letters or digits, such as CA for US-CA (normalize_input upper-cases it and drops the prefix)."
                .into()
        }
        "/user/address/postal_code" if address_country == Some("US") => {
            "postal_code must be exactly 5 digits for a US address (normalize_input removes spaces and dashes).".into()
        }
        "/user/address/postal_code" => "postal_code must be 2 to 10 letters or digits: remove spaces and dashes, or \
                                        set normalize_input in the settings to have them removed."
            .into(),
        "/user/phone_number" => {
            "phone_number must be in E.164 form: +, the country code and the number, at most 15 \
                                 digits, no spaces."
                .into()
        }
        "/user/email_address" => {
            "email_address must be a plain email address such as name@example.com, without \
                                  surrounding spaces."
                .into()
        }
        "/user/date_of_birth" => "date_of_birth must be a real calendar date written YYYY-MM-DD.".into(),
        "/user/id_number/value" => match id_type(root) {
            Some((kind, t)) => format!(
                "value must be {} for the ID type {kind}, without spaces, dots or dashes (normalize_input removes them).",
                t.format
            ),
            None => "value does not have the format of its ID type.".into(),
        },
        _ => format!("{} does not have the required format.", subject(at)),
    }
}

fn not_accepted(at: &str) -> String {
    match at {
        "/user/address/postal_code" => {
            "postal_code is not accepted for this country, which has no postal codes: leave the key out."
                .into()
        }
        "/user/address/region" => "region is not accepted for this country: leave the key out.".into(),
        "/user/id_number" => "id_number is not accepted for the address's country: leave it out.".into(),
        _ => format!("{} is not accepted here: leave it out.", subject(at)),
    }
}

fn excluded(at: &str, root: &Value) -> String {
    match id_type(root) {
        Some(("us_ssn_last_4", _)) => "value cannot be 0000: no SSN ends in 0000.".into(),
        Some(("us_ssn", _)) => {
            "value is not a number Plaid accepts as an SSN: it cannot start with 9, 666 or 000, \
                                or have 00 in positions 4-5 or 0000 in positions 6-9."
                .into()
        }
        _ => format!("{} is a value Plaid does not accept.", subject(at)),
    }
}

/// The input's ID type, when it is a documented one (so echoing it echoes our own vocabulary).
fn id_type(root: &Value) -> Option<(&'static str, &'static IdNumber)> {
    let kind = root.pointer("/user/id_number/type").and_then(Value::as_str)?;
    id_number(kind).map(|t| (t.r#type.as_str(), t))
}
