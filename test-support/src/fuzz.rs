//! The fuzzer's inputs and configuration, shared by tests/fuzz.rs and the plugin's own proof
//! that its fast validation path agrees with the schema (src/validate/fast.rs): one definition of
//! what "every input" means.
//!
//! Case counts: `FUZZ_CASES` is the total across the fuzz targets, split by `SHARES` (the default
//! is CI's quick run); see tests/fuzz.rs for the documented long run.

use proptest::{prelude::*, test_runner::TestRunner};
use serde_json::Value;

use crate::canary_input;

/// Each target's share of `FUZZ_CASES`, in percent. Response cases cost a loopback round trip
/// or more each, hundreds of times a validate case.
pub const SHARES: [(&str, u32); 4] = [("validate", 35), ("preset", 10), ("settings", 30), ("response", 25)];
/// The quick run (CI): about 30 s in a debug build on two cores.
const DEFAULT_TOTAL: u32 = 20_000;

pub fn cases(target: &str) -> u32 {
    let total = std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_TOTAL);
    let share = SHARES.iter().find(|(t, _)| *t == target).map_or(0, |(_, s)| *s);
    (u64::from(total) * u64::from(share) / 100).max(50) as u32
}

pub fn runner(target: &str) -> TestRunner {
    runner_for(cases(target))
}

/// A runner for a share of a target's cases, where one property is checked many times over.
pub fn runner_for(cases: u32) -> TestRunner {
    let config = ProptestConfig {
        cases,
        // No files written; a failure prints its minimal case.
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    };
    TestRunner::new(config)
}

/// Strings that stress parsers: empty, control and combining characters, surrogates' neighbours,
/// right-to-left marks, NUL, astral planes, long runs.
pub fn odd_string() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9_ -]{0,12}",
        2 => any::<String>(),
        1 => "[\\u{0}-\\u{1f}\\u{7f}\\u{202e}\\u{200b}\\u{feff}\\u{fffd}\\u{10ffff}\\u{1f600}\\u{301}]{0,8}",
        1 => (any::<char>(), 0..5_000usize).prop_map(|(c, n)| c.to_string().repeat(n)),
    ]
}

/// Object keys: reports quote keys (the path of an unknown field), so keys must not be able to
/// spell a numeric canary, all of which contain a 5.
pub fn key_string() -> impl Strategy<Value = String> {
    odd_string().prop_map(|s| s.replace('5', "_"))
}

pub fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("JSON has no NaN or infinity", |f| f.is_finite()).prop_map(Value::from),
        odd_string().prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            prop::collection::vec((key_string(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Nesting far past serde_json's recursion limit (128), closed or not.
pub fn deep_text() -> impl Strategy<Value = String> {
    (1..3_000usize, any::<bool>(), any::<bool>()).prop_map(|(depth, objects, closed)| {
        let (open, close) = if objects { ("{\"a\":", "}") } else { ("[", "]") };
        let mut text = open.repeat(depth);
        text.push('1');
        if closed {
            text.push_str(&close.repeat(depth));
        }
        text
    })
}

/// A field path into the canary input, for mutations.
pub const INPUT_PATHS: [&[&str]; 16] = [
    &["client_user_id"],
    &["template_id"],
    &["strategy"],
    &["steps"],
    &["is_shareable"],
    &["user"],
    &["user", "email_address"],
    &["user", "phone_number"],
    &["user", "date_of_birth"],
    &["user", "name"],
    &["user", "name", "given_name"],
    &["user", "address"],
    &["user", "address", "country"],
    &["user", "address", "postal_code"],
    &["user", "id_number"],
    &["user", "id_number", "type"],
];

#[derive(Debug, Clone)]
pub enum Mutation {
    Remove(usize),
    Replace(usize, Value),
    Add(usize, String, Value),
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    let path = 0..INPUT_PATHS.len();
    prop_oneof![
        path.clone().prop_map(Mutation::Remove),
        (path.clone(), arb_json()).prop_map(|(p, v)| Mutation::Replace(p, v)),
        (path, "[a-z_]{1,10}", arb_json()).prop_map(|(p, k, v)| Mutation::Add(p, k, v)),
    ]
}

pub fn apply(input: &mut Value, m: &Mutation) {
    let (index, last) = match m {
        Mutation::Remove(i) | Mutation::Replace(i, _) | Mutation::Add(i, _, _) => {
            (*i, INPUT_PATHS[*i].len() - 1)
        }
    };
    let path = INPUT_PATHS[index];
    let mut at = &mut *input;
    for key in &path[..last] {
        match at.get_mut(*key) {
            Some(next) => at = next,
            None => return,
        }
    }
    let Some(object) = at.as_object_mut() else { return };
    match m {
        Mutation::Remove(_) => {
            object.remove(path[last]);
        }
        Mutation::Replace(_, v) => {
            object.insert(path[last].to_owned(), v.clone());
        }
        Mutation::Add(_, k, v) => {
            if let Some(inner) = object.get_mut(path[last]).and_then(Value::as_object_mut) {
                inner.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The canary input, its text possibly cut short or with one byte changed.
pub fn near_valid_text() -> impl Strategy<Value = String> {
    let text = canary_input().to_string();
    let len = text.len();
    (0..len, any::<u8>(), 0..3u8).prop_map(move |(at, byte, how)| {
        let mut bytes = text.clone().into_bytes();
        match how {
            0 => bytes.truncate(at),
            1 => bytes[at] = byte,
            _ => {
                bytes.insert(at, byte);
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// What the validate target feeds `validate`: any JSON, the canary input mutated, its text cut
/// or with a byte changed, deep nesting, any string, and inputs around the size cap.
pub fn validate_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => arb_json().prop_map(|v| v.to_string()),
        3 => prop::collection::vec(mutation(), 1..4).prop_map(|ms| {
            let mut input = canary_input();
            for m in &ms {
                apply(&mut input, m);
            }
            input.to_string()
        }),
        2 => near_valid_text(),
        1 => deep_text(),
        1 => any::<String>(),
        1 => (0..1_200_000usize).prop_map(|n| format!("{{\"client_user_id\":\"{}\"}}", "x".repeat(n))),
    ]
}
