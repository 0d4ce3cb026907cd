//! `host-sim sandbox`: the banner, the credentials it prints, flags, and that no plugin is needed.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

const SECRET_CANARY: &str = "CANARY-cli-secret-51d0";

/// A running `host-sim sandbox`, killed when dropped.
struct Server {
    child: Child,
    lines: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the command and reads its banner (the lines up to the rate-limit line).
fn serve(args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_host-sim"))
        // No plugin anywhere: the sandbox must not need one.
        .args(["--plugin", "/nonexistent/libplaid_idv_retry.so", "sandbox", "--addr", "127.0.0.1:0"])
        .args(args)
        .env("PLAID_IDV_RETRY_PLUGIN", "/nonexistent/libplaid_idv_retry.so")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("host-sim runs");
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            let mut stderr = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            panic!("host-sim sandbox ended early: {lines:?} {stderr}");
        }
        let done = line.starts_with("rate limit");
        lines.push(line.trim_end().to_owned());
        if done {
            break;
        }
    }
    Server { child, lines }
}

fn url(server: &Server) -> String {
    let url =
        server.lines[0].strip_prefix("listening on ").expect("the first line names the address").to_owned();
    let port = url.strip_prefix("http://127.0.0.1:").expect("a loopback http URL");
    assert!(port.parse::<u16>().is_ok_and(|p| p > 0), "{url}");
    url
}

fn post(url: &str, client_id: &str, secret: &str) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    agent
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
    assert!(server.lines.contains(&"client_id: sim-client-id".to_owned()), "{:?}", server.lines);
    assert!(server.lines.contains(&"secret: sim-secret".to_owned()), "{:?}", server.lines);
    assert!(server.lines.contains(&"rate limit: 60 requests a minute per client".to_owned()));
    assert_eq!(post(&url, "sim-client-id", "sim-secret"), 200);
    assert_eq!(post(&url, "sim-client-id", "other"), 400);
}

#[test]
fn a_given_secret_is_accepted_and_never_printed() {
    let server = serve(&["--client-id", "cli-id", "--secret", SECRET_CANARY, "--rate-limit-per-minute", "0"]);
    let url = url(&server);
    assert!(server.lines.contains(&"secret: (as given)".to_owned()), "{:?}", server.lines);
    assert!(server.lines.iter().all(|l| !l.contains(SECRET_CANARY)));
    assert!(server.lines.contains(&"rate limit: off".to_owned()));
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
