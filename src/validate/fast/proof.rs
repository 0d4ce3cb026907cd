//! The proof that the fast path is the general one: its verdict equals the schema's on the whole
//! case table, the validate fuzzer's inputs, and generated addresses and ID numbers of every
//! country and type; and every leaf judges generated strings as jsonschema does.

use plaid_idv_test_support::{cases::table, fuzz};
use proptest::{prelude::*, string::string_regex};

use serde_json::Value;

use super::{accepts, leaf::Leaf, rules::RULES};
use crate::{
    schema,
    validate::{fast_accepts, general},
};

/// The fast path accepts exactly the inputs the general path finds valid with no warnings,
/// except that it declines any text with an escape (a borrowed `&str` cannot hold one), so
/// the general path answers those too.
fn agrees(text: &str) -> Result<(), String> {
    let fast = fast_accepts(text);
    // The general path's report: what validate answers whenever the fast path declines.
    let (report, _) = general(text);
    let clean = report.valid && report.warnings.is_empty();
    match (fast, clean) {
        (true, false) => Err(format!("the fast path accepted what the schema reports as {report:?}")),
        (false, true) if !text.contains('\\') => Err("the fast path declined a valid input".into()),
        _ => Ok(()),
    }
}

#[test]
fn fast_path_agrees_with_the_schema() {
    assert!(RULES.is_some(), "the fast path does not know the schema's shape: it is off");
    let mut accepted = 0;
    for case in table() {
        let text = case.input.to_string();
        agrees(&text).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        accepted += usize::from(accepts(&text));
    }
    assert!(accepted >= 40, "only {accepted} table cases took the fast path");
    fuzz::runner("validate")
        .run(&fuzz::validate_text(), |text| agrees(&text).map_err(TestCaseError::fail))
        .unwrap();
}

/// Addresses and ID numbers in every country and of every type, each member absent, null,
/// plausible or wrong (withdrawn regions and countries Plaid's table leaves out included), with
/// phone numbers and emails beside: the per-country rules the table samples, everywhere.
#[test]
fn fast_path_agrees_on_every_country_and_id_type() {
    let data = |name: &str| -> Value {
        let path = format!("{}/schema/data/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let (countries, subdivisions, ids) =
        (data("countries.json"), data("subdivisions.json"), data("id-numbers.json"));
    let mut codes: Vec<String> = serde_json::from_value(countries["countries"].clone()).unwrap();
    // Beside Plaid's: ISO countries it leaves out (PR, FM, UM), one it does not serve, malformed.
    codes.extend(["PR", "FM", "UM", "KP", "us", ""].map(String::from));
    let id_types: Vec<(String, String)> = ids["id_numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["type"].as_str().unwrap().to_owned(), generable(t["pattern"].as_str().unwrap()).unwrap()))
        .collect();
    let member = |plausible: BoxedStrategy<String>| {
        prop_oneof![
            1 => Just(None),
            1 => Just(Some(Value::Null)),
            8 => plausible.prop_map(|s| Some(Value::from(s))),
            1 => "[ -~]{0,4}".prop_map(|s| Some(Value::from(s))),
        ]
    };
    let region = (any::<prop::sample::Index>(), any::<prop::sample::Index>());
    let address = (
        prop::sample::select(codes),
        member(Just("12 Rue Haute".to_owned()).boxed()),
        member(Just("Unit 4".to_owned()).boxed()),
        member(Just("Lyon".to_owned()).boxed()),
        member(string_regex("[0-9]{5}|[A-Z0-9]{3,8}").unwrap().boxed()),
        (member(Just(String::new()).boxed()), region),
    );
    let id_number = (0..id_types.len()).prop_flat_map(move |i| {
        let (kind, pattern) = id_types[i].clone();
        member(string_regex(&pattern).unwrap().boxed()).prop_map(move |value| {
            value.map(
                |v| serde_json::json!({"type": kind, "value": v.as_str().map_or(Value::Null, Value::from)}),
            )
        })
    });
    // Phone numbers E.164 in shape, libphonenumber-valid or not; emails plain, international, quoted.
    let contact = prop::option::weighted(
        0.25,
        (
            member(
                prop_oneof![Just("+12345678909".to_owned()), string_regex("\\+[1-9][0-9]{6,14}").unwrap()]
                    .boxed(),
            ),
            member(
                prop::sample::select(vec![
                    "leslie@example.com",
                    "leslie@bücher.de",
                    "\"l k\"@example.com",
                    "l@localhost",
                ])
                .prop_map(str::to_owned)
                .boxed(),
            ),
        ),
    );
    let strategy = (address, prop::option::weighted(0.3, id_number), any::<bool>(), contact);
    let accepted = std::cell::Cell::new(0);
    fuzz::runner("validate")
        .run(&strategy, |((country, street, street2, city, postal_code, (region, (a, b))), id_number, nulls, contact)| {
            let mut address = serde_json::Map::new();
            address.insert("country".into(), Value::from(country.clone()));
            // A region from the country's own list where it has one, else what was generated.
            // Current and withdrawn codes of the country.
            let mut own: Vec<Value> = subdivisions["regions"][&country].as_array().cloned().unwrap_or_default();
            own.extend(subdivisions["withdrawn"][&country].as_array().cloned().unwrap_or_default());
            let listed = Some(&own).filter(|l| !l.is_empty());
            let region = match (region, listed) {
                (Some(Value::String(_)), Some(list)) if a.index(4) > 0 => Some(list[b.index(list.len())].clone()),
                (region, _) => region,
            };
            for (key, value) in [("street", street), ("street2", street2), ("city", city), ("postal_code", postal_code), ("region", region)] {
                if let Some(value) = value {
                    address.insert(key.into(), value);
                }
            }
            let mut user = serde_json::json!({"address": address});
            let (phone, email) = contact.unwrap_or((None, None));
            for (key, value) in [("phone_number", phone), ("email_address", email)] {
                if let Some(value) = value {
                    user[key] = value;
                }
            }
            match id_number {
                Some(Some(id)) => user["id_number"] = id,
                Some(None) if nulls => user["id_number"] = Value::Null,
                _ => {}
            }
            let input = serde_json::json!({"client_user_id": "user-1", "template_id": "idvtmp_1", "strategy": "reset", "user": user});
            let text = input.to_string();
            accepted.set(accepted.get() + usize::from(accepts(&text)));
            agrees(&text).map_err(TestCaseError::fail)
        })
        .unwrap();
    let accepted = accepted.get();
    assert!(
        accepted >= fuzz::cases("validate") as usize / 50,
        "only {accepted} generated inputs took the fast path"
    );
}

/// Each string field's leaf says what jsonschema says of the same subschema, on strings
/// generated from the field's own pattern (mostly matching it) and on any strings. Sixty-odd
/// leaves: each gets a tenth of the validate target's cases.
#[test]
fn leaves_judge_strings_as_jsonschema_does() {
    let schema: Value = serde_json::from_str(schema::INPUT).unwrap();
    let mut leaves = Vec::new();
    find_leaves(&schema, &mut leaves);
    assert!(leaves.len() >= 50, "{}", leaves.len());
    for subschema in leaves {
        let leaf = Leaf::of(subschema).unwrap();
        let judge = crate::validate::options().build(subschema).unwrap();
        let strings = match subschema.get("pattern").and_then(Value::as_str).and_then(generable) {
            Some(pattern) => prop_oneof![3 => string_regex(&pattern).unwrap(), 1 => any::<String>()].boxed(),
            None => any::<String>().boxed(),
        };
        fuzz::runner_for(fuzz::cases("validate") / 10)
            .run(&strings, |text| {
                let expected = judge.is_valid(&Value::from(text.clone()));
                prop_assert_eq!(leaf.holds(&text), expected, "{:?} against {}", text, subschema);
                Ok(())
            })
            .unwrap();
    }
}

/// A pattern proptest can generate from: without anchors (it generates whole strings) or
/// lookahead (the leaf still applies the full pattern).
fn generable(pattern: &str) -> Option<String> {
    let pattern = pattern.strip_prefix('^').unwrap_or(pattern);
    let pattern = pattern.strip_suffix('$').unwrap_or(pattern);
    match pattern.find("(?=") {
        Some(at) => {
            let end = at + pattern[at..].find(')')? + 1;
            Some(format!("{}{}", &pattern[..at], &pattern[end..]))
        }
        None => Some(pattern.to_owned()),
    }
}

/// Every subschema of a string field: those with a string `type` or a `pattern`.
fn find_leaves<'a>(schema: &'a Value, into: &mut Vec<&'a Value>) {
    match schema {
        Value::Object(object) => {
            let string = object
                .get("type")
                .is_some_and(|t| t == "string" || t == &serde_json::json!(["string", "null"]));
            if (string || object.contains_key("pattern")) && !object.contains_key("properties") {
                into.push(schema);
            }
            object.values().for_each(|v| find_leaves(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| find_leaves(v, into)),
        _ => {}
    }
}
