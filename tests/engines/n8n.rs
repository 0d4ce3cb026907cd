//! The n8n preset in n8n 2.41.1: the fragment `preset --dialect n8n` renders, behind a manual
//! trigger and a node that makes the input item, imported with `n8n import:workflow` and run by
//! `n8n execute` (no editor, no server), its credential imported with the canary secret. The only
//! change to the fragment is its URL, pointed at the simulator.
//!
//! `#[ignore]`d in the suite (n8n's install is slow and large: docs/engines.md): `tests/engines/n8n/run`
//! installs n8n and runs these.

use std::{path::PathBuf, process::Command, sync::OnceLock, time::Duration};

use plaid_idv_test_support::{plugin, tool, CANARY_SECRET};
use serde_json::{json, Value};

use crate::support::{
    files_with_canary, free_port, fresh_dir, input, serial, Engine, Plaid, Ran, DEFAULT_CLIENT_ID,
};

/// A run that takes longer is stuck: a run, waits included, takes a fraction of it (docs/engines.md).
const RUN_TIMEOUT: Duration = Duration::from_secs(240);
/// A credential like the preset's, but as the preset restricts it: to Plaid's host only.
const RESTRICTED_CREDENTIAL: &str = "plaidIdvRestricted";

struct Home {
    dir: PathBuf,
    /// The npm project with n8n and Node 24 (`tests/engines/n8n`).
    install: PathBuf,
    preset: Value,
}

fn home() -> &'static Home {
    static HOME: OnceLock<Home> = OnceLock::new();
    HOME.get_or_init(|| {
        let install = tool("PLAID_IDV_TEST_N8N_DIR");
        let preset: Value = serde_json::from_str(
            &plugin().settings_preset(r#"{"dialect": "n8n", "environment": "sandbox"}"#).expect("preset"),
        )
        .expect("JSON");
        let home = Home { dir: fresh_dir("n8n"), install, preset };
        // The credential as a user fills it in: the simulator's client id and the canary secret;
        // one allowed only where the simulator is, one allowed only where the preset says (Plaid).
        let credential = &home.preset["credential"];
        let filled = |id: &str, allowed: &str| {
            let mut c = credential.clone();
            c["id"] = id.into();
            c["name"] = format!("{} ({id})", credential["name"].as_str().unwrap()).into();
            let headers =
                json!({"headers": {"PLAID-CLIENT-ID": DEFAULT_CLIENT_ID, "PLAID-SECRET": CANARY_SECRET}});
            c["data"]["json"] = headers.to_string().into();
            c["data"]["allowedDomains"] = allowed.into();
            c
        };
        let restricted = credential["data"]["allowedDomains"].as_str().unwrap();
        let credentials = json!([
            filled(credential["id"].as_str().unwrap(), "127.0.0.1"),
            filled(RESTRICTED_CREDENTIAL, restricted)
        ]);
        // Written outside the home (which the canary scan reads), and gone once imported.
        let import = fresh_dir("n8n-import");
        std::fs::write(import.join("credentials.json"), credentials.to_string()).unwrap();
        let _one = serial();
        let mut command = home.n8n(&["import:credentials"]);
        command.arg(format!("--input={}", import.join("credentials.json").display()));
        let ran = Engine::run(command, &import, "import-credentials", RUN_TIMEOUT);
        std::fs::remove_dir_all(&import).unwrap();
        assert!(ran.status.success(), "n8n import:credentials:\n{}", ran.output);
        home
    })
}

impl Home {
    /// `n8n ARGS` with Node 24 first on PATH, in this home, its task broker on a free port.
    fn n8n(&self, args: &[&str]) -> Command {
        let bin = self.install.join("node_modules/.bin");
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
        let mut c = Command::new(bin.join("n8n"));
        c.args(args)
            .env("PATH", path)
            .env("N8N_USER_FOLDER", &self.dir)
            .env("N8N_DIAGNOSTICS_ENABLED", "false")
            .env("N8N_VERSION_NOTIFICATIONS_ENABLED", "false")
            .env("N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS", "true")
            .env("N8N_RUNNERS_BROKER_PORT", free_port().to_string())
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("HTTP_PROXY")
            .env_remove("HTTPS_PROXY");
        c
    }

    /// The fragment behind a manual trigger and a node that makes `input`, its request sent to
    /// the simulator, imported and executed once; `credential` replaces the preset's if given.
    fn execute(&self, name: &str, plaid: &Plaid, input: &Value, credential: Option<&str>) -> Ran {
        let mut nodes = vec![
            json!({"id": "trigger", "name": "Start", "type": "n8n-nodes-base.manualTrigger", "typeVersion": 1,
                   "position": [-440, 0], "parameters": {}}),
            json!({"id": "input", "name": "Input", "type": "n8n-nodes-base.set", "typeVersion": 3.4,
                   "position": [-220, 0], "parameters": {"mode": "raw", "jsonOutput": input.to_string()}}),
        ];
        let mut entry = None;
        for node in self.preset["nodes"].as_array().unwrap() {
            let mut node = node.clone();
            if node["type"] == "n8n-nodes-base.httpRequest" {
                node["parameters"]["url"] =
                    format!("http://127.0.0.1:{}/identity_verification/retry", plaid.port()).into();
                if let Some(id) = credential {
                    node["credentials"]["httpCustomAuth"] = json!({"id": id, "name": id});
                }
            }
            // The fragment's entry: the node nothing inside it connects to.
            let name = node["name"].as_str().unwrap().to_owned();
            if !self.preset["connections"].to_string().contains(&format!("\"node\":\"{name}\"")) {
                entry = Some(name);
            }
            nodes.push(node);
        }
        let mut connections = self.preset["connections"].clone();
        connections["Start"] = json!({"main": [[{"node": "Input", "type": "main", "index": 0}]]});
        connections["Input"] = json!({"main": [[{"node": entry.unwrap(), "type": "main", "index": 0}]]});
        let mut settings = self.preset["workflow_settings"].clone();
        settings["executionOrder"] = "v1".into();
        let id = format!("plaidIdv{name}");
        let workflow = json!({"id": id, "name": id, "active": false, "nodes": nodes,
                              "connections": connections, "settings": settings});
        let file = self.dir.join(format!("{name}.workflow.json"));
        std::fs::write(&file, workflow.to_string()).unwrap();
        let mut import = self.n8n(&["import:workflow"]);
        import.arg(format!("--input={}", file.display()));
        let imported = Engine::run(import, &self.dir, &format!("{name}-import"), RUN_TIMEOUT);
        assert!(imported.status.success(), "n8n import:workflow:\n{}", imported.output);
        let mut execute = self.n8n(&["execute", "--rawOutput"]);
        execute.arg(format!("--id={id}"));
        Engine::run(execute, &self.dir, name, RUN_TIMEOUT)
    }
}

fn assert_no_secret(home: &Home) {
    assert_eq!(files_with_canary(&home.dir), Vec::<PathBuf>::new(), "the secret is in these files");
}

fn describe(ran: &Ran, plaid: &Plaid) -> String {
    format!("{} in {:?}, relay saw {:?}\n{}", ran.status, ran.took, plaid.events(), ran.output)
}

#[test]
#[ignore = "n8n is installed by tests/engines/n8n/run, which runs these"]
fn a_200_completes_with_one_session() {
    let home = home();
    let _one = serial();
    let plaid = Plaid::start(&[]);
    let ran = home.execute("Ok", &plaid, &plaid.seeded("n8n-200"), None);
    assert!(ran.status.success(), "{}", describe(&ran, &plaid));
    assert_eq!(plaid.requests(), 1, "{}", describe(&ran, &plaid));
    assert_eq!(plaid.sessions("n8n-200"), 2, "the seeded attempt and the retry's");
    let created = &plaid.sim.attempts("n8n-200", input("n8n-200")["template_id"].as_str().unwrap())[1].id;
    assert!(ran.output.contains(&format!("\"id\": \"{created}\"")), "the result names it:\n{}", ran.output);
    assert_no_secret(home);
}

#[test]
#[ignore = "n8n is installed by tests/engines/n8n/run, which runs these"]
fn a_400_ends_after_one_attempt() {
    let home = home();
    let _one = serial();
    let plaid = Plaid::start(&[]);
    let ran = home.execute("Terminal", &plaid, &input("n8n-400"), None);
    assert!(!ran.status.success(), "{}", describe(&ran, &plaid));
    assert_eq!(plaid.requests(), 1, "{}", describe(&ran, &plaid));
    assert!(ran.output.contains("INVALID_REQUEST/INVALID_FIELD"), "{}", describe(&ran, &plaid));
    assert_eq!(plaid.sessions("n8n-400"), 0);
    assert_no_secret(home);
}

#[test]
#[ignore = "n8n is installed by tests/engines/n8n/run, which runs these"]
fn a_429_is_retried_no_sooner_than_its_retry_after() {
    let home = home();
    let _one = serial();
    let plaid = Plaid::start(&["status=429, retry_after=3"]);
    let ran = home.execute("RateLimited", &plaid, &plaid.seeded("n8n-429"), None);
    assert!(ran.status.success(), "{}", describe(&ran, &plaid));
    assert_eq!(plaid.requests(), 2, "{}", describe(&ran, &plaid));
    let gap = plaid.gap_after_answer(0);
    assert!(gap >= Duration::from_secs(3), "retried {gap:?} after the 429");
    assert_eq!(plaid.sessions("n8n-429"), 2, "one new session");
    assert_no_secret(home);
}

#[test]
#[ignore = "n8n is installed by tests/engines/n8n/run, which runs these"]
fn a_503_is_retried_after_the_backoff() {
    let home = home();
    let _one = serial();
    let plaid = Plaid::start(&["status=503"]);
    let ran = home.execute("Unavailable", &plaid, &plaid.seeded("n8n-503"), None);
    assert!(ran.status.success(), "{}", describe(&ran, &plaid));
    assert_eq!(plaid.requests(), 2, "{}", describe(&ran, &plaid));
    let gap = plaid.gap_after_answer(0);
    assert!(gap >= Duration::from_secs(2), "retried {gap:?} after the 503, before the backoff's 2 s");
    assert_eq!(plaid.sessions("n8n-503"), 2, "one new session");
    assert_no_secret(home);
}

#[test]
#[ignore = "n8n is installed by tests/engines/n8n/run, which runs these"]
fn a_lost_answer_is_not_retried() {
    let home = home();
    let _one = serial();
    let plaid = Plaid::start(&["drop_after_record"]);
    let ran = home.execute("Lost", &plaid, &plaid.seeded("n8n-lost"), None);
    assert!(!ran.status.success(), "{}", describe(&ran, &plaid));
    assert_eq!(plaid.requests(), 1, "{}", describe(&ran, &plaid));
    assert!(ran.output.contains("outcome unknown"), "{}", describe(&ran, &plaid));
    assert_eq!(plaid.sessions("n8n-lost"), 2, "the lost answer's session, and no second one");
    assert_no_secret(home);
}

#[test]
#[ignore = "n8n is installed by tests/engines/n8n/run, which runs these"]
fn the_credential_goes_only_to_plaid() {
    let home = home();
    let _one = serial();
    let plaid = Plaid::start(&[]);
    let ran = home.execute("Elsewhere", &plaid, &plaid.seeded("n8n-elsewhere"), Some(RESTRICTED_CREDENTIAL));
    assert!(!ran.status.success(), "{}", describe(&ran, &plaid));
    assert_eq!(plaid.requests(), 0, "{}", describe(&ran, &plaid));
    assert!(ran.output.contains("Domain not allowed"), "{}", describe(&ran, &plaid));
    assert_no_secret(home);
}
