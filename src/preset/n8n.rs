//! `n8n`: a workflow fragment for n8n (2.x) to paste into the canvas or merge into a workflow
//! file (`nodes` and `connections`, as n8n's clipboard and its workflow JSON hold them), and the
//! credential its HTTP Request node uses.
//!
//! n8n's own retry (`retryOnFail`) retries every failure the same way, a 400 and a lost answer
//! included, and never reads `Retry-After`; so the fragment turns it off, never lets the HTTP
//! Request node fail on a status (`neverError`), and classifies the answer in a Code node
//! (`n8n_classify.js` with the plugin's classification in it). A Switch routes the verdict: done,
//! a Wait node (for `Retry-After`, or the backoff) and back to the request, or a Stop and Error
//! node that fails the execution with the reason.

use plaid_idv_retry_interface::Environment;
use serde_json::{json, Value};

use super::{
    classification::classification, headers, requests_per_minute, url, DEFAULT_CONNECTION_TIMEOUT_SECONDS,
    DEFAULT_READ_TIMEOUT_SECONDS, USER_AGENT,
};

const CLASSIFY_CODE: &str = include_str!("n8n_classify.js");

/// The node the input item goes into, and whose item the request sends as its body (also on a retry,
/// when the item arriving at the request is the previous verdict).
const INPUT: &str = "Plaid IDV retry";
const SEND: &str = "Plaid IDV retry: send";
const CLASSIFY: &str = "Plaid IDV retry: classify";
/// Output 0 (`completed`) is the fragment's result; connect the next node there.
const ROUTE: &str = "Plaid IDV retry: route";
const WAIT: &str = "Plaid IDV retry: wait";
const FAILED: &str = "Plaid IDV retry: failed";
/// The Switch's outputs, by the route the Code node names.
const ROUTES: [&str; 3] = ["completed", "retry", "failed"];

/// n8n 2.41's default HTTP Request node version.
const HTTP_REQUEST_VERSION: f64 = 4.5;

pub fn n8n(environment: Environment) -> Value {
    let credential = json!({
        "id": format!("plaidIdv{}", capitalised(environment.as_str())),
        "name": format!("Plaid {}", environment.as_str()),
    });
    let classification = classification();
    let code = CLASSIFY_CODE
        .replace("@CLASSIFICATION@", &serde_json::to_string_pretty(&classification).unwrap_or_default())
        .replace("@PLUGIN@", USER_AGENT);
    // The credential adds the two Plaid headers; `contentType: json` adds Content-Type.
    let header_parameters: Vec<Value> = headers(|_| String::new())
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(name, _)| !matches!(name.as_str(), "PLAID-CLIENT-ID" | "PLAID-SECRET" | "Content-Type"))
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect();
    let timeout_ms = ((DEFAULT_CONNECTION_TIMEOUT_SECONDS + DEFAULT_READ_TIMEOUT_SECONDS) * 1000.0) as u64;
    let node = |id: &str, name: &str, kind: &str, version: f64, x: i64, y: i64, parameters: Value| {
        json!({"id": id, "name": name, "type": format!("n8n-nodes-base.{kind}"), "typeVersion": version,
               "position": [x, y], "parameters": parameters})
    };
    let mut send = node(
        "plaid-idv-retry-send",
        SEND,
        "httpRequest",
        HTTP_REQUEST_VERSION,
        220,
        0,
        json!({
            "method": "POST",
            "url": url(environment),
            "authentication": "genericCredentialType",
            "genericAuthType": "httpCustomAuth",
            "sendHeaders": true,
            "headerParameters": {"parameters": header_parameters},
            "sendBody": true,
            "contentType": "json",
            "specifyBody": "json",
            "jsonBody": format!("={{{{ JSON.stringify($('{INPUT}').item.json) }}}}"),
            "options": {
                "timeout": timeout_ms,
                "redirect": {"redirect": {"followRedirects": false}},
                "response": {"response": {"fullResponse": true, "neverError": true, "responseFormat": "text"}},
            },
        }),
    );
    send["credentials"] = json!({"httpCustomAuth": credential});
    send["retryOnFail"] = false.into();
    // Transport errors go to the second output, to be classified like answers.
    send["onError"] = "continueErrorOutput".into();
    let routes = ROUTES.map(|r| format!("'{r}'")).join(", ");
    let to = |name: &str| json!([{"node": name, "type": "main", "index": 0}]);
    json!({
        "nodes": [
            node("plaid-idv-retry-input", INPUT, "noOp", 1.0, 0, 0, json!({})),
            send,
            node("plaid-idv-retry-classify", CLASSIFY, "code", 2.0, 440, 0,
                 json!({"mode": "runOnceForEachItem", "language": "javaScript", "jsCode": code})),
            node("plaid-idv-retry-route", ROUTE, "switch", 3.2, 660, 0, json!({
                "mode": "expression",
                "numberOutputs": ROUTES.len(),
                "output": format!("={{{{ [{routes}].indexOf($json.route) }}}}"),
            })),
            node("plaid-idv-retry-wait", WAIT, "wait", 1.1, 880, 120,
                 json!({"resume": "timeInterval", "amount": "={{ $json.wait_seconds }}", "unit": "seconds"})),
            node("plaid-idv-retry-failed", FAILED, "stopAndError", 1.0, 880, 240,
                 json!({"errorType": "errorMessage", "errorMessage": "={{ $json.reason }}"})),
        ],
        "connections": {
            INPUT: {"main": [to(SEND)]},
            SEND: {"main": [to(CLASSIFY), to(CLASSIFY)]},
            CLASSIFY: {"main": [to(ROUTE)]},
            ROUTE: {"main": [[], to(WAIT), to(FAILED)]},
            WAIT: {"main": [to(SEND)]},
        },
        "credential": {
            "id": credential["id"],
            "name": credential["name"],
            "type": "httpCustomAuth",
            "data": {
                "json": json!({"headers": {"PLAID-CLIENT-ID": "<client_id>", "PLAID-SECRET": "<secret>"}}).to_string(),
                // n8n refuses to send the credential anywhere else.
                "allowedHttpRequestDomains": "domains",
                "allowedDomains": format!("{}.plaid.com", environment.as_str()),
            },
        },
        "workflow_settings": {"saveDataSuccessExecution": "none", "saveDataErrorExecution": "none"},
        "classification": classification,
        "notes": [
            format!("Connect the node that makes the input item (the retry request's body) to \"{INPUT}\", and \
                     the next step to output 0 of \"{ROUTE}\": the attempt, without the personal data \
                     Plaid echoes. One input item per execution."),
            format!("Create the credential (type Custom Auth, named \"Plaid {}\") with your client_id and \
                     secret in place of the placeholders, or import it: n8n import:credentials.",
                    environment.as_str()),
            "n8n's retryOnFail cannot tell a 400 from a 503 or honour Retry-After, so it is off; the fragment \
             loops through the Wait node instead, max_attempts times at most.",
            "n8n reports a connect timeout and a read timeout alike (one timeout for the whole request): \
             neither is retried. Only refused, unreachable and unresolved hosts count as nothing sent.",
            "A wait of 65 s or more (a long Retry-After) parks the execution in n8n's database, which only \
             a running n8n (n8n start, or a worker) resumes; n8n execute does not.",
            "An unknown outcome is not reconciled: execute would ask /identity_verification/list for the \
             session a lost answer may have opened; this fragment fails the execution and says so.",
            format!("n8n has no per-minute rate limit across executions (the node's batching spaces items \
                     within one execution): Plaid allows about {} requests a minute here.",
                    requests_per_minute(environment)),
            "n8n stores every node's output with a saved execution (Plaid's answer, personal data \
             included): workflow_settings are the workflow settings that keep it out of the database.",
            "The answer is read without a size cap; the node's timeout bounds the whole exchange.",
        ],
    })
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fragment_refers_to_its_credential_and_holds_none() {
        let p = n8n(Environment::Production);
        let send = &p["nodes"][1];
        assert_eq!(send["name"], SEND);
        assert_eq!(send["credentials"]["httpCustomAuth"]["name"], "Plaid production");
        assert_eq!(send["parameters"]["url"], "https://production.plaid.com/identity_verification/retry");
        let text = send.to_string();
        assert!(!text.contains("PLAID-SECRET") && !text.contains("secret"), "{text}");
        assert_eq!(p["credential"]["data"]["allowedDomains"], "production.plaid.com");
        let code = p["nodes"][2]["parameters"]["jsCode"].as_str().unwrap();
        assert!(!code.contains('@'), "every slot is filled");
        for (name, _) in p["connections"].as_object().unwrap() {
            assert!(p["nodes"].as_array().unwrap().iter().any(|n| n["name"] == *name), "{name}");
        }
    }
}
