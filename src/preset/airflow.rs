//! `airflow`: an Apache Airflow (3.3) DAG file around the HTTP provider's `HttpOperator`, and the
//! connection it reads the credentials from.
//!
//! The file is `airflow_dag.py` with this preset's values in its `PRESET` constant: the request,
//! the timeouts and the plugin's classification, which the file's `check_response` and
//! `PlaidRetryPolicy` interpret (Airflow 3.3's task retry policies can set each retry's delay,
//! so a 429 waits for its `Retry-After`). Airflow reads the file as it is: nothing in it is edited
//! by hand, and a new preset replaces it.

use plaid_idv_retry_interface::Environment;
use serde_json::{json, Value};

use super::{
    classification::classification, headers, requests_per_minute, DEFAULT_CONNECTION_TIMEOUT_SECONDS,
    DEFAULT_READ_TIMEOUT_SECONDS, RETRY_PATH, TASK_TIMEOUT_SECONDS, USER_AGENT,
};

const DAG_FILE: &str = include_str!("airflow_dag.py");
const DAG_ID: &str = "plaid_idv_retry";

/// Where the rendered values go in `airflow_dag.py`.
const PRESET_SLOT: &str = "@PRESET@";

pub fn airflow(environment: Environment) -> Value {
    let host = plaid_host(environment);
    let conn_id = format!("plaid_{}", environment.as_str());
    // The credentials come from the connection, at send time: the headers here are the others.
    let mut headers = headers(|_| String::new());
    if let Some(h) = headers.as_object_mut() {
        h.remove("PLAID-CLIENT-ID");
        h.remove("PLAID-SECRET");
    }
    let classification = classification();
    let preset = json!({
        "dag_id": DAG_ID,
        "conn_id": conn_id,
        "plaid_host": host,
        "endpoint": RETRY_PATH,
        "headers": headers,
        "connect_timeout_seconds": DEFAULT_CONNECTION_TIMEOUT_SECONDS,
        "read_timeout_seconds": DEFAULT_READ_TIMEOUT_SECONDS,
        "execution_timeout_seconds": TASK_TIMEOUT_SECONDS,
        "classification": classification,
    });
    let dag_file = DAG_FILE
        .replace(PRESET_SLOT, &serde_json::to_string_pretty(&preset).unwrap_or_default())
        .replace("@PLUGIN@", USER_AGENT)
        .replace("@ENVIRONMENT@", environment.as_str());
    json!({
        "dag_file": dag_file,
        "dag_id": DAG_ID,
        "task_id": DAG_ID,
        "operator": "airflow.providers.http.operators.http.HttpOperator",
        "requirements": ["apache-airflow>=3.3", "apache-airflow-providers-http>=6.3"],
        "connection": {
            "conn_id": conn_id,
            "conn_type": "http",
            "host": host,
            "schema": "https",
            "login": "the Plaid client_id",
            "password": "the Plaid secret",
            "command": format!(
                "airflow connections add {conn_id} --conn-type http --conn-host {host} --conn-schema https \
                 --conn-login \"$PLAID_CLIENT_ID\" --conn-password \"$PLAID_SECRET\""
            ),
        },
        "classification": preset["classification"],
        "notes": [
            "Trigger the DAG with the retry request's body (the plugin's task input) as its conf, or call \
             plaid_idv_retry_task(body=...) in your own DAG with a template that renders JSON text.",
            "Retries are the file's PlaidRetryPolicy (Airflow 3.3's retry_policy): keep the task's retries \
             as they are; a terminal answer or an unknown outcome fails at once (AirflowFailException).",
            "An unknown outcome is not reconciled: execute would ask /identity_verification/list for the \
             session a lost answer may have opened; this task fails and says so. Look before clearing it.",
            "Transport failures are retried only when urllib3 reports that no connection was made \
             (refused, unreachable, DNS, connect timeout); a TLS handshake failure is not retried, as the \
             exception does not say that nothing was sent (execute knows it and retries).",
            format!(
                "Airflow has no per-minute rate limit for a task: bound the task's concurrency with a pool \
                 (Plaid allows about {} requests a minute here).",
                requests_per_minute(environment)
            ),
            "requests' read timeout bounds each read, not the whole answer, and the answer is read without \
             a size cap; execution_timeout bounds the try.",
            "Airflow stores the DAG run's conf and the task's rendered data (the input, personal data \
             included) in its metadata database; the task's result (XCom) keeps only result_fields of \
             Plaid's answer.",
        ],
    })
}

/// The environment's Plaid host, the only one the DAG sends credentials to (loopback aside).
fn plaid_host(environment: Environment) -> String {
    let url = environment.base_url();
    url.split_once("://").map_or(url, |(_, host)| host).trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dag_file_carries_the_preset_and_no_credential() {
        for environment in Environment::ALL.iter().copied() {
            let p = airflow(environment);
            let file = p["dag_file"].as_str().unwrap();
            assert!(!file.contains('@'), "every slot is filled:\n{file}");
            let embedded = file.split_once("json.loads(r\"\"\"").unwrap().1.split_once("\"\"\")").unwrap().0;
            let embedded: Value = serde_json::from_str(embedded).unwrap();
            assert_eq!(embedded["classification"], classification());
            assert_eq!(embedded["plaid_host"], format!("{}.plaid.com", environment.as_str()));
            assert_eq!(embedded["headers"]["Plaid-Version"], "2020-09-14");
            assert!(embedded["headers"].get("PLAID-SECRET").is_none());
            assert!(p["connection"]["command"].as_str().unwrap().contains("\"$PLAID_SECRET\""));
        }
    }
}
