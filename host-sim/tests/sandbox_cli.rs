//! `host-sim sandbox`: the banner, the credentials it prints, flags, and that no plugin is needed.

use std::{
    process::{Command, Stdio},
    time::Duration,
};

use host_sim::ChildSimulator;
use plaid_idv_test_support::{http_agent, Reply, Server};

const SECRET_CANARY: &str = "CANARY-cli-secret-51d0";

/// Starts the command and reads its banner.
fn serve(args: &[&str]) -> ChildSimulator {
    let mut command = Command::new(env!("CARGO_BIN_EXE_host-sim"));
    // No plugin anywhere: the sandbox must not need one.
    command
        .args(["--plugin", "/nonexistent/libplaid_idv_retry.so", "sandbox", "--addr", "127.0.0.1:0"])
        .args(args)
        .env("PLAID_IDV_RETRY_PLUGIN", "/nonexistent/libplaid_idv_retry.so")
        .stderr(Stdio::piped());
    ChildSimulator::spawn(&mut command).unwrap_or_else(|e| panic!("{e}"))
}

fn url(server: &ChildSimulator) -> String {
    let port = server.url.strip_prefix("http://127.0.0.1:").expect("a loopback http URL");
    assert!(port.parse::<u16>().is_ok_and(|p| p > 0), "{}", server.url);
    server.url.clone()
}

fn post(url: &str, client_id: &str, secret: &str) -> u16 {
    http_agent(Duration::from_secs(5))
        .post(format!("{url}/identity_verification/create"))
        .header("Content-Type", "application/json")
        .header("PLAID-CLIENT-ID", client_id)
        .header("PLAID-SECRET", secret)
        .send(r#"{"client_user_id":"u","template_id":"idvtmp_cli","is_shareable":true}"#)
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn prints_where_it_listens_and_the_default_credentials() {
    let server = serve(&[]);
    let url = url(&server);
    assert!(server.banner.contains(&"client_id: sim-client-id".to_owned()), "{:?}", server.banner);
    assert!(server.banner.contains(&"secret: sim-secret".to_owned()), "{:?}", server.banner);
    assert!(server.banner.contains(&"rate limit: 60 requests a minute per client".to_owned()));
    assert_eq!(post(&url, "sim-client-id", "sim-secret"), 200);
    assert_eq!(post(&url, "sim-client-id", "other"), 400);
}

#[test]
fn a_given_secret_is_accepted_and_never_printed() {
    let server = serve(&["--client-id", "cli-id", "--secret", SECRET_CANARY, "--rate-limit-per-minute", "0"]);
    let url = url(&server);
    assert!(server.banner.contains(&"secret: (as given)".to_owned()), "{:?}", server.banner);
    assert!(server.banner.iter().all(|l| !l.contains(SECRET_CANARY)));
    assert!(server.banner.contains(&"rate limit: off".to_owned()));
    assert_eq!(post(&url, "cli-id", SECRET_CANARY), 200);
    assert_eq!(post(&url, "sim-client-id", "sim-secret"), 400);
}

#[test]
fn server_faults_from_flags() {
    let server = serve(&["--fault", "status=503", "--fault-first", "1"]);
    let url = url(&server);
    assert_eq!(post(&url, "sim-client-id", "sim-secret"), 503);
    assert_eq!(post(&url, "sim-client-id", "sim-secret"), 200);
}

#[test]
fn a_bad_fault_flag_is_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_host-sim"))
        .args(["sandbox", "--addr", "127.0.0.1:0", "--fault", "explode"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown fault `explode`"));
}

/// `--webhook` and `--auto-complete`: a session opened on the command's simulator completes by
/// itself, and its webhooks reach the receiver.
#[test]
fn sessions_complete_by_themselves_and_their_webhooks_arrive() {
    let hooks = Server::start(|_| Reply::json(200, &serde_json::json!({})));
    let webhook = format!("{}/hooks", hooks.url());
    let server =
        serve(&["--webhook", &webhook, "--auto-complete", "success", "--auto-complete-after", "0ms"]);
    assert!(server.banner.contains(&format!("webhooks: {webhook}")), "{:?}", server.banner);
    assert!(
        server.banner.iter().any(|l| l.starts_with("sessions complete: by themselves")),
        "{:?}",
        server.banner
    );
    assert!(server.banner.contains(&"sessions expire: never (as Plaid's today)".to_owned()));
    assert_eq!(post(&url(&server), "sim-client-id", "sim-secret"), 200);
    let started = std::time::Instant::now();
    let finished = || hooks.requests().iter().any(|w| w.json()["webhook_code"] == "STATUS_UPDATED");
    while !finished() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(finished(), "{} webhooks, none for the end of the session", hooks.requests().len());
    assert!(hooks.requests().iter().all(|w| w.header("plaid-verification").is_some()));
}

#[test]
fn a_webhook_url_off_this_machine_is_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_host-sim"))
        .args(["sandbox", "--addr", "127.0.0.1:0", "--webhook", "http://example.com/hooks"])
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stderr).contains("webhook URL"), "{output:?}");
}
