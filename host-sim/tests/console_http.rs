//! `host-sim console` over plain HTTP (no browser): the Host and Origin checks, the headers every
//! answer carries, the body cap, credentials that never leave host-sim, and the confirmation of a
//! billed Test request on the API and on `test-request`'s command line.

use std::process::{Command, Output, Stdio};

use plaid_idv_test_support::console::{
    canary_simulator, example_input, own, raw, BilledDestination, Console, CLIENT_ID_CANARY, SECRET_CANARY,
};
use plaid_idv_test_support::{plugin_path, workspace_bin};
use serde_json::{json, Value};

#[test]
fn every_answer_carries_a_strict_csp_and_the_page_is_embedded() {
    let console = Console::start(&[]);
    assert!(console.banner[1].contains("local Plaid simulator"), "{:?}", console.banner);
    for path in ["/", "/console.js", "/console.css", "/api/catalog", "/api/input-schema", "/nope"] {
        let answer = own(&console, "GET", path, "");
        let csp = answer.header("content-security-policy").unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{path}: {csp}");
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(answer.header("x-frame-options"), Some("DENY"), "{path}");
    }
    let page = own(&console, "GET", "/", "").body;
    assert!(page.contains("<script src=\"/console.js\""), "{page}");
    // No inline script or style, and nothing from another host: the CSP would block it anyway.
    assert!(!page.contains("<script>") && !page.contains("<style") && !page.contains(" style="), "{page}");
    assert!(!page.contains("http://") && !page.contains("https://"), "{page}");
    let script = own(&console, "GET", "/console.js", "").body;
    assert!(!script.contains("innerHTML") && !script.contains("outerHTML") && !script.contains("eval("));
    assert!(!script.contains("insertAdjacentHTML") && !script.contains("document.write"));
    // Nothing about the API is written into the page: it renders what the plugin says.
    let style = own(&console, "GET", "/console.css", "").body;
    for asset in [&page, &script, &style] {
        assert!(!asset.to_ascii_lowercase().contains("plaid"), "the page names the provider itself");
    }
}

#[test]
fn foreign_hosts_and_origins_are_refused_before_anything_runs() {
    let sim = canary_simulator();
    let console = Console::against(&sim, &[]);
    let body = json!({"input": example_input()}).to_string();
    let authority = console.authority();
    let port = authority.rsplit_once(':').unwrap().1;
    let rebound = format!("rebound.example:{port}");
    let evil_origin = "http://evil.example".to_owned();
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("no Origin", vec![("Host", authority), ("Content-Type", "application/json")]),
        (
            "another origin",
            vec![("Host", authority), ("Origin", &evil_origin), ("Content-Type", "application/json")],
        ),
        (
            "a DNS-rebinding name",
            vec![
                ("Host", &rebound),
                ("Origin", "http://rebound.example"),
                ("Content-Type", "application/json"),
            ],
        ),
        (
            "a form's content type",
            vec![("Host", authority), ("Origin", &console.url), ("Content-Type", "text/plain")],
        ),
        (
            "a cross-site fetch",
            vec![
                ("Host", authority),
                ("Origin", &console.url),
                ("Content-Type", "application/json"),
                ("Sec-Fetch-Site", "cross-site"),
            ],
        ),
    ];
    for (what, headers) in &cases {
        let answer = raw(authority, "POST", "/api/test-request", headers, body.as_bytes());
        assert_eq!(answer.status, 403, "{what}: {}", answer.body);
        let error: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(error["error"]["code"], "forbidden", "{what}");
    }
    // Reading through a rebinding name is refused too: the answers are not for other sites.
    let read = raw(authority, "GET", "/api/catalog", &[("Host", &rebound)], b"");
    assert_eq!(read.status, 403);
    assert_eq!(sim.request_count(), 0, "a refused request reached the simulator");

    // The same request from the console's own page goes through.
    let answer = own(&console, "POST", "/api/test-request", &body);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(sim.request_count(), 1);
}

#[test]
fn bodies_are_capped_and_malformed_ones_named() {
    let console = Console::start(&[]);
    let big = json!({"input": {"client_user_id": "x".repeat(70 * 1024)}}).to_string();
    let answer = own(&console, "POST", "/api/validate", &big);
    assert_eq!(answer.status, 413, "{}", answer.body);
    let answer = own(&console, "POST", "/api/validate", r#"{"input": {}, "extra": 1}"#);
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("extra"), "{}", answer.body);
    let answer =
        own(&console, "POST", "/api/test-request", r#"{"input": {}, "confirm_billed": "CANARY-value"}"#);
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(!answer.body.contains("CANARY"), "an error quoted a value: {}", answer.body);
    let answer = own(&console, "POST", "/api/preset", r#"{"dialect": "no-such-dialect"}"#);
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("invalid_options"), "{}", answer.body);
}

#[test]
fn credentials_never_reach_the_browser() {
    let sim = canary_simulator();
    let console = Console::against(&sim, &[]);
    let input = example_input();
    let mut received = String::new();
    for path in ["/", "/console.js", "/console.css", "/api/catalog", "/api/input-schema"] {
        received += &own(&console, "GET", path, "").body;
    }
    for (path, body) in [
        ("/api/preset", json!({"environment": "production", "dialect": "conductor", "input": input})),
        ("/api/preset", json!({"input": input})),
        ("/api/validate", json!({"input": input})),
        ("/api/test-request", json!({"input": input})),
    ] {
        let answer = own(&console, "POST", path, &body.to_string());
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        received += &answer.body;
    }
    assert_eq!(sim.request_count(), 1, "the Test request reached the simulator");
    for canary in [CLIENT_ID_CANARY, SECRET_CANARY] {
        assert!(!received.contains(canary), "{canary} reached the browser");
    }
    // The cURL texts refer to the shell's variables instead.
    assert!(received.contains("PLAID-SECRET: $PLAID_SECRET"), "{received}");
    assert!(received.contains("PLAID-CLIENT-ID: $PLAID_CLIENT_ID"), "{received}");
}

/// A console whose Test requests go to a billed destination, with the canary credentials.
fn billed_console(destination: &BilledDestination) -> Console {
    let args = destination.args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Console::start_with(&args, &[("PLAID_CLIENT_ID", CLIENT_ID_CANARY), ("PLAID_SECRET", SECRET_CANARY)])
}

#[test]
fn billed_test_requests_need_confirm_billed() {
    let destination = BilledDestination::start();
    let console = billed_console(&destination);
    assert!(console.banner.iter().any(|l| l.contains("(base_url)")), "{:?}", console.banner);
    let catalog: Value = serde_json::from_str(&own(&console, "GET", "/api/catalog", "").body).unwrap();
    assert_eq!(catalog["target"]["billed"], true);
    let input = example_input();
    for body in [json!({"input": input}), json!({"input": input, "confirm_billed": false})] {
        let answer = own(&console, "POST", "/api/test-request", &body.to_string());
        assert_eq!(answer.status, 428, "{}", answer.body);
        assert!(answer.body.contains("confirmation_required"), "{}", answer.body);
    }
    assert_eq!(destination.connections(), 0, "an unconfirmed billed Test request set out");
    let answer = own(
        &console,
        "POST",
        "/api/test-request",
        &json!({"input": input, "confirm_billed": true}).to_string(),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(destination.connections(), 1, "the confirmed Test request set out once");
}

/// Issue 19: "billed" is decided by where the call goes, not by `--env`.
#[test]
fn billed_is_where_the_call_goes_not_the_environment_label() {
    let env = [("PLAID_CLIENT_ID", CLIENT_ID_CANARY), ("PLAID_SECRET", SECRET_CANARY)];
    let billed = |args: &[&str]| {
        let console = Console::start_with(args, &env);
        let catalog: Value = serde_json::from_str(&own(&console, "GET", "/api/catalog", "").body).unwrap();
        catalog["target"]["billed"].as_bool().expect("the catalog says whether it bills")
    };
    assert!(billed(&["--env", "sandbox", "--base-url", "https://production.plaid.com"]));
    assert!(billed(&["--env", "production"]));
    assert!(!billed(&["--env", "sandbox"]));

    // Production's label aimed at this machine (the simulator) bills nobody: sent unconfirmed.
    let sim = canary_simulator();
    let console = Console::against(&sim, &["--env", "production"]);
    let answer = own(&console, "POST", "/api/test-request", &json!({"input": example_input()}).to_string());
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(sim.request_count(), 1);
}

#[test]
fn the_embedded_simulator_needs_no_confirmation() {
    let console = Console::start(&["--env", "sandbox"]);
    let catalog: Value = serde_json::from_str(&own(&console, "GET", "/api/catalog", "").body).unwrap();
    assert_eq!(catalog["target"]["billed"], false);
    let console = Console::start(&[]);
    let answer = own(&console, "POST", "/api/test-request", &json!({"input": example_input()}).to_string());
    assert_eq!(answer.status, 200, "{}", answer.body);
    let panel: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(panel["outcome"], "completed", "{panel}");
    assert!(panel["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{panel}");
    assert!(panel["curl"].as_str().unwrap().contains("$PLAID_SECRET"), "{panel}");
}

/// `host-sim test-request` to a billed destination without a terminal: refused, nothing sent,
/// unless the caller passes --confirm-billed. `--base-url https://production.plaid.com` is billed
/// whatever `--env` says (issue 19: it reached production with no confirmation).
#[test]
fn a_billed_test_request_refuses_without_a_terminal_unless_confirmed() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sandbox-test-user.json");
    let run = |args: &[String]| {
        plaid_idv_test_support::host_sim()
            .arg("test-request")
            .arg(&example)
            .args(args)
            .env("PLAID_CLIENT_ID", CLIENT_ID_CANARY)
            .env("PLAID_SECRET", SECRET_CANARY)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let refused = |output: &Output| {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("bills") && stderr.contains("--confirm-billed"), "{stderr}");
    };
    let production = ["--env", "sandbox", "--base-url", "https://production.plaid.com"].map(String::from);
    refused(&run(&production));

    let destination = BilledDestination::start();
    refused(&run(&destination.args()));
    assert_eq!(destination.connections(), 0, "an unconfirmed billed Test request set out");
    let confirmed = [destination.args(), vec!["--confirm-billed".into()]].concat();
    let sent = run(&confirmed);
    assert_eq!(destination.connections(), 1, "{}", String::from_utf8_lossy(&sent.stderr));
}

/// On a terminal (a pseudo-terminal from util-linux's `script`), a billed `test-request` asks,
/// and sets out only after a "yes".
#[test]
fn a_billed_test_request_asks_on_a_terminal() {
    let destination = BilledDestination::start();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sandbox-test-user.json");
    let command = format!(
        "'{}' --plugin '{}' test-request '{}' --base-url {} --settings '{}'",
        workspace_bin("host-sim").display(),
        plugin_path().display(),
        example.display(),
        destination.url(),
        destination.settings().display(),
    );
    let answer = |reply: &str| {
        let mut child = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("PLAID_CLIENT_ID", CLIENT_ID_CANARY)
            .env("PLAID_SECRET", SECRET_CANARY)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("script (util-linux) runs");
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), reply.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, screen) = answer("no\n");
    assert!(screen.contains("Plaid bills") && screen.contains("Type yes"), "{screen}");
    assert_eq!(code, Some(2), "{screen}");
    assert_eq!(destination.connections(), 0, "set out without a yes");
    let (_, screen) = answer("yes\n");
    assert_eq!(destination.connections(), 1, "{screen}");
}

/// Issue 19: the Host and Origin checks stop browsers, not `curl`. Beyond loopback the console is
/// refused unless asked for, and then every API call needs the run's key, which the banner prints.
/// `0.0.0.0` is "beyond loopback" and stays on this machine: the test reaches it at 127.0.0.1.
#[test]
fn beyond_loopback_the_console_needs_to_be_asked_and_then_its_key() {
    let refused = Command::new(workspace_bin("host-sim"))
        .arg("--plugin")
        .arg(plugin_path())
        .args(["console", "--addr", "0.0.0.0:0"])
        .env_remove("PLAID_CLIENT_ID")
        .env_remove("PLAID_SECRET")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--allow-remote") && stderr.contains("not a loopback"), "{stderr}");

    let console = Console::start(&["--addr", "0.0.0.0:0", "--allow-remote"]);
    let port = console.url.rsplit(':').next().unwrap().to_owned();
    let key = console.banner[1]
        .split("#key=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the banner prints the URL with its key: {:?}", console.banner))
        .to_owned();
    let authority = format!("127.0.0.1:{port}");
    let origin = format!("http://{authority}");
    let call = |method: &str, path: &str, key: Option<&str>| {
        let mut headers = vec![("Host", authority.as_str()), ("Content-Type", "application/json")];
        if method == "POST" {
            headers.push(("Origin", origin.as_str()));
        }
        if let Some(key) = key {
            headers.push(("X-Console-Key", key));
        }
        let body = json!({"input": example_input()}).to_string();
        raw(&authority, method, path, &headers, if method == "POST" { body.as_bytes() } else { b"" })
    };
    // A remote `curl` with the right Host and Origin but no key: refused, on every API route.
    for (method, path) in [
        ("GET", "/api/catalog"),
        ("GET", "/api/input-schema"),
        ("POST", "/api/validate"),
        ("POST", "/api/test-request"),
    ] {
        for key in [None, Some("0".repeat(64).as_str()), Some(&key[..63])] {
            let answer = call(method, path, key);
            assert_eq!(answer.status, 403, "{method} {path} with {key:?}: {}", answer.body);
            assert!(answer.body.contains("banner"), "{}", answer.body);
        }
    }
    // The page itself carries no data and no key: served, so a person can open the printed URL.
    assert_eq!(call("GET", "/", None).status, 200);
    // With the key: served.
    assert_eq!(call("GET", "/api/catalog", Some(&key)).status, 200);
    let ran = call("POST", "/api/test-request", Some(&key));
    assert_eq!(ran.status, 200, "{}", ran.body);
    assert!(ran.body.contains("\"outcome\""), "{}", ran.body);
}

mod webhooks {
    //! The console's webhook route against forgeries: a token signed by another key, `alg: none`,
    //! and a genuine token over an altered body are refused and change nothing; the genuine
    //! webhook, replayed as it was sent, makes the console read the session at once.

    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
    use plaid_idv_simulator::{Completion, SimulatorConfig, Status};
    use plaid_idv_test_support::{
        console::{example_input, own, raw, Console, CLIENT_ID_CANARY, SECRET_CANARY},
        seeded_simulator, simulator_config, Captured, Reply, Server,
    };
    use ring::{
        rand::SystemRandom,
        signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING},
    };
    use serde_json::{json, Value};

    fn sha256_hex(body: &[u8]) -> String {
        ring::digest::digest(&ring::digest::SHA256, body)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn now() -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
    }

    /// The `kid` a genuine token names.
    fn kid(token: &str) -> String {
        let header = URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap();
        serde_json::from_slice::<Value>(&header).unwrap()["kid"].as_str().unwrap().to_owned()
    }

    /// A token for `body` under the simulator's key id, signed by a P-256 key of this test's.
    fn signed_by_another_key(kid: &str, body: &[u8]) -> String {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.to_owned());
        let claims = json!({"iat": now(), "request_body_sha256": sha256_hex(body)});
        encode(&header, &claims, &EncodingKey::from_ec_der(pkcs8.as_ref())).unwrap()
    }

    fn unsigned(kid: &str, body: &[u8]) -> String {
        let header = json!({"alg": "none", "kid": kid, "typ": "JWT"});
        let claims = json!({"iat": now(), "request_body_sha256": sha256_hex(body)});
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    fn post_webhook(console: &Console, token: Option<&str>, body: &[u8]) -> (u16, Value) {
        let mut headers = vec![("Host", console.authority()), ("Content-Type", "application/json")];
        if let Some(token) = token {
            headers.push(("Plaid-Verification", token));
        }
        let answer = raw(console.authority(), "POST", "/webhooks/plaid", &headers, body);
        (answer.status, serde_json::from_str(&answer.body).unwrap_or_default())
    }

    fn session(console: &Console, id: &str) -> Value {
        let answer = own(console, "GET", &format!("/api/sessions/{id}"), "");
        assert_eq!(answer.status, 200, "{}", answer.body);
        serde_json::from_str(&answer.body).unwrap()
    }

    /// The webhook the simulator sent with `code` for `id`, once it has.
    fn captured(receiver: &Server, code: &str, id: &str) -> Captured {
        let started = Instant::now();
        loop {
            let found = receiver.requests().into_iter().find(|r| {
                let body = r.json();
                body["webhook_code"] == code && body["identity_verification_id"] == id
            });
            if let Some(found) = found {
                return found;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "no {code} webhook for {id}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn forged_webhooks_are_refused_and_change_nothing() {
        let receiver = Server::start(|_| Reply::json(200, &json!({})));
        let input = example_input();
        let config = SimulatorConfig {
            client_id: CLIENT_ID_CANARY.into(),
            secret: SECRET_CANARY.into(),
            webhook: Some(format!("{}/hook", receiver.url())),
            ..simulator_config()
        };
        let sim = seeded_simulator(
            config,
            &[(input["client_user_id"].as_str().unwrap(), input["template_id"].as_str().unwrap())],
        );
        // Keys from the simulator (the console's base_url), the simulator's webhooks to the test.
        let console = Console::against(&sim, &[]);
        let asked = Instant::now();
        let answer = own(&console, "POST", "/api/test-request", &json!({"input": input}).to_string());
        assert_eq!(answer.status, 200, "{}", answer.body);
        let panel: Value = serde_json::from_str(&answer.body).unwrap();
        let id = panel["session"]["session"]["id"].as_str().expect("the session in the panel").to_owned();
        assert_eq!(panel["session"]["session"]["status"], "active");
        assert_eq!(panel["follow"]["interval_seconds"], 10);
        // The person completes the session: a get now would read `success`.
        assert!(sim.complete(&id, &Completion::Success).unwrap().is_ok());
        let genuine = captured(&receiver, "STATUS_UPDATED", &id);
        let token = genuine.header("plaid-verification").expect("signed").to_owned();
        let body = genuine.body.clone();
        let kid = kid(&token);
        let altered = String::from_utf8(body.clone()).unwrap().replace("STATUS_UPDATED", "STEP_UPDATED");

        let forgeries: [(&str, Option<String>, &[u8], &str); 4] = [
            ("another key", Some(signed_by_another_key(&kid, &body)), &body, "signature does not verify"),
            ("alg none", Some(unsigned(&kid, &body)), &body, "not ES256"),
            ("altered body", Some(token.clone()), altered.as_bytes(), "SHA-256"),
            ("no signature", None, &body, "no Plaid-Verification header"),
        ];
        for (what, token, body, why) in &forgeries {
            let (status, answer) = post_webhook(&console, token.as_deref(), body);
            assert_eq!(status, 401, "{what}: {answer}");
            assert_eq!(answer["error"]["code"], "webhook_refused", "{what}");
            let message = answer["error"]["message"].as_str().unwrap();
            assert!(message.contains(why), "{what}: {message}");
        }
        let after = session(&console, &id);
        // The console's own get comes one interval after the Test request; before it, only a
        // webhook could have changed the view.
        if asked.elapsed() < Duration::from_secs(10) {
            assert_eq!(after["session"]["status"], "active", "{after}");
            assert_eq!(after["version"], 1, "{after}");
        }
        assert_ne!(after["updated_by"], "webhook", "{after}");
        let refused = console.stderr().iter().filter(|l| l.contains("refused a webhook")).count();
        assert_eq!(refused, forgeries.len(), "{:?}", console.stderr());

        // The genuine webhook, as the simulator sent it: verified, and the console asks get now.
        let (status, answer) = post_webhook(&console, Some(&token), &body);
        assert_eq!(status, 200, "{answer}");
        let started = Instant::now();
        let shown = loop {
            let now = session(&console, &id);
            if now["session"]["final"] == true {
                break now;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "no verdict: {now}");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(shown["session"]["status"], "success");
        assert_eq!(shown["following"], false, "a verdict ends the following");
        if asked.elapsed() < Duration::from_secs(10) {
            assert_eq!(shown["updated_by"], "webhook", "{shown}");
        }
        assert_eq!(sim.ledger().get(&id).unwrap().status, Status::Success);
        for line in console.stderr() {
            assert!(!line.contains(SECRET_CANARY) && !line.contains(&token), "{line}");
        }
    }

    /// A rebinding name is refused before the signature is even read; an unsigned post, from
    /// anywhere on this machine, is refused for its missing signature.
    #[test]
    fn the_webhook_route_refuses_foreign_hosts_and_unsigned_posts() {
        let console = Console::start(&[]);
        let headers = [("Host", "evil.example:80"), ("Content-Type", "application/json")];
        let answer = raw(console.authority(), "POST", "/webhooks/plaid", &headers, b"{}");
        assert_eq!(answer.status, 403, "{}", answer.body);
        let (status, _) = post_webhook(&console, None, b"{}");
        assert_eq!(status, 401);
    }
}
