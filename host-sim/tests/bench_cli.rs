//! `host-sim bench --json`: every key of the README's Performance table, with values of the right
//! kind. The shape only: speed is measured on purpose, in release (see the README), never asserted.

use std::process::Command;

use plaid_idv_test_support as common;
use serde_json::Value;

const RATES: [&str; 10] = [
    "execute_rps_1",
    "execute_rps_2",
    "execute_rps_8",
    "raw_rps_1",
    "server_rps",
    "limit_rps_1",
    "limit_rps_8",
    "execute_static_rps_1",
    "execute_static_rps_8",
    "run_static_rps_8",
];
const TIMES: [&str; 8] = [
    "load_ms",
    "validate_minimal_us",
    "validate_full_us",
    "execute_p50_us",
    "execute_p99_us",
    "execute_cpu_us",
    "raw_cpu_us",
    "run_rss_mib_50k",
];

#[test]
fn quick_json_run_prints_every_key() {
    let out = common::host_sim().args(["bench", "--json", "--quick", "--seconds", "0.1"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed: {stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("--json prints one JSON object");
    let report = report.as_object().expect("an object");

    let mut keys: Vec<&str> = report.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected: Vec<&str> = RATES
        .iter()
        .chain(&TIMES)
        .copied()
        .chain(["overhead_ratio", "rss_growth_kib", "machine", "optimized", "date"])
        .collect();
    expected.sort_unstable();
    assert_eq!(keys, expected, "exactly the documented keys");

    for key in RATES.iter().chain(&TIMES) {
        let n = report[*key].as_f64().unwrap_or_else(|| panic!("{key} is not a number"));
        assert!(n.is_finite() && n > 0.0, "{key} = {n}");
    }
    assert!(report["execute_p50_us"].as_f64() <= report["execute_p99_us"].as_f64());
    // The ratio is the two rates' quotient, not a number of its own.
    let ratio = report["overhead_ratio"].as_f64().unwrap();
    let quotient = report["raw_rps_1"].as_f64().unwrap() / report["execute_rps_1"].as_f64().unwrap();
    assert!((ratio - quotient).abs() < 0.01, "overhead_ratio {ratio} vs raw/execute {quotient}");
    assert!(report["rss_growth_kib"].is_i64(), "rss_growth_kib is whole KiB: {}", report["rss_growth_kib"]);
    assert!(report["machine"]["cores"].as_u64().is_some_and(|n| n >= 1));
    assert!(report["machine"]["cpu_model"].as_str().is_some_and(|m| !m.is_empty()));
    // The tests run a debug build: the report says so, and so does a warning on stderr.
    assert_eq!(report["optimized"], Value::Bool(false));
    assert!(stderr.contains("cargo host-sim --release bench"), "{stderr}");
    let date = report["date"].as_str().expect("date is text");
    assert!(date.len() == 20 && date.starts_with("20") && date.ends_with('Z'), "UTC date: {date}");
}

#[test]
fn seconds_out_of_range_is_a_usage_error() {
    let out =
        Command::new(env!("CARGO_BIN_EXE_host-sim")).args(["bench", "--seconds", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--seconds"));
}
