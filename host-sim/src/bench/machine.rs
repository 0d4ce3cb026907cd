//! Where and when a run happened: numbers from two machines are not comparable, ratios are.

use serde_json::{json, Value};

/// `{"cores": n, "cpu_model": "..."}`.
pub fn describe() -> Value {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    json!({"cores": cores, "cpu_model": cpu_model})
}

/// Now, in UTC: `2026-11-26T09:30:00Z`.
pub fn utc_now() -> String {
    // The simulator's formatter for Plaid's timestamps, which are RFC 3339 in UTC too.
    plaid_idv_simulator::rfc3339(std::time::SystemTime::now())
}
