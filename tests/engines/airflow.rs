//! The Airflow preset in Airflow 3.3.2: the DAG file `preset --dialect airflow` renders, dropped
//! into a DAGs folder as it is, run by `airflow dags test` (no scheduler, no webserver) with the
//! input as the DAG run's conf and the connection pointed at the simulator. One home (its SQLite
//! database migrated once) serves every run, one run at a time.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
    time::Duration,
};

use plaid_idv_test_support::{canary_input, plugin, tool, CANARY_PERSONAL, CANARY_SECRET};
use serde_json::{json, Value};

use crate::support::{files_with_canary, fresh_dir, input, serial, Engine, Plaid, Ran, DEFAULT_CLIENT_ID};

/// A run that takes longer is stuck: a run, waits included, takes a fraction of it (docs/engines.md).
const RUN_TIMEOUT: Duration = Duration::from_secs(240);

struct Home {
    dir: PathBuf,
    airflow: PathBuf,
    dag_id: String,
    conn_id: String,
}

/// The Airflow home: the DAG file as the preset renders it, and a migrated database.
fn home() -> &'static Home {
    static HOME: OnceLock<Home> = OnceLock::new();
    HOME.get_or_init(|| {
        let airflow = tool("PLAID_IDV_TEST_AIRFLOW");
        let preset: Value = serde_json::from_str(
            &plugin().settings_preset(r#"{"dialect": "airflow", "environment": "sandbox"}"#).expect("preset"),
        )
        .expect("JSON");
        let dir = fresh_dir("airflow");
        std::fs::create_dir_all(dir.join("dags")).unwrap();
        std::fs::write(dir.join("dags/plaid_idv_retry.py"), preset["dag_file"].as_str().unwrap()).unwrap();
        let home = Home {
            dir,
            airflow,
            dag_id: preset["dag_id"].as_str().unwrap().to_owned(),
            conn_id: preset["connection"]["conn_id"].as_str().unwrap().to_owned(),
        };
        let _one = serial();
        let ran = Engine::run(home.command(None, &["db", "migrate"]), &home.dir, "migrate", RUN_TIMEOUT);
        assert!(ran.status.success(), "airflow db migrate:\n{}", ran.output);
        home
    })
}

impl Home {
    /// `airflow ARGS` in this home; `connection` is the connection's JSON, if the command needs it.
    fn command(&self, connection: Option<&Value>, args: &[&str]) -> Command {
        let mut c = Command::new(&self.airflow);
        c.args(args)
            .env("AIRFLOW_HOME", &self.dir)
            .env("AIRFLOW__CORE__DAGS_FOLDER", self.dir.join("dags"))
            .env("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("HTTP_PROXY")
            .env_remove("HTTPS_PROXY");
        if let Some(connection) = connection {
            c.env(format!("AIRFLOW_CONN_{}", self.conn_id.to_uppercase()), connection.to_string());
        }
        c
    }

    /// `airflow dags test` of the preset's DAG with `conf`, its connection at `host:port`.
    fn dags_test(&self, name: &str, host: &str, port: u16, conf: &Value) -> Ran {
        let connection = json!({"conn_type": "http", "host": host, "port": port, "schema": "http",
                                "login": DEFAULT_CLIENT_ID, "password": CANARY_SECRET});
        let conf = conf.to_string();
        let command = self.command(Some(&connection), &["dags", "test", &self.dag_id, "--conf", &conf]);
        Engine::run(command, &self.dir, name, RUN_TIMEOUT)
    }

    /// The task's result as Airflow stored it (its XCom), read from the database.
    fn last_result(&self) -> Value {
        let python = self.airflow.with_file_name("python");
        let script = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); \
                      print(c.execute(\"select value from xcom where key = 'return_value' \
                      order by timestamp desc limit 1\").fetchone()[0])";
        let out =
            Command::new(python).args(["-c", script]).arg(self.dir.join("airflow.db")).output().unwrap();
        assert!(out.status.success(), "reading the XCom: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("the XCom is JSON")
    }
}

/// Nothing Airflow wrote (its database, logs, the DAG run's output) holds the secret.
fn assert_no_secret(home: &Path) {
    assert_eq!(files_with_canary(home), Vec::<PathBuf>::new(), "the secret is in these files");
}

fn describe(ran: &Ran, plaid: &Plaid) -> String {
    format!("{} in {:?}, relay saw {:?}\n{}", ran.status, ran.took, plaid.events(), ran.output)
}

#[test]
fn a_200_completes_with_one_session_and_keeps_no_personal_data() {
    let home = home();
    let _one = serial();
    let plaid = Plaid::start(&[]);
    plaid.seeded("af-200");
    let mut conf = canary_input();
    conf["client_user_id"] = "af-200".into();
    let ran = home.dags_test("ok", "127.0.0.1", plaid.port(), &conf);
    assert!(ran.status.success(), "{}", describe(&ran, &plaid));
    assert_eq!(plaid.requests(), 1, "{}", describe(&ran, &plaid));
    assert_eq!(plaid.sessions("af-200"), 2, "the seeded attempt and the retry's");
    let created = plaid.sim.attempts("af-200", conf["template_id"].as_str().unwrap())[1].clone();
    let result = home.last_result();
    assert_eq!(result["id"], created.id.as_str(), "{result}");
    assert_eq!(result["status"], created.status.as_str(), "{result}");
    for personal in CANARY_PERSONAL {
        assert!(!result.to_string().contains(personal), "the result keeps {personal}: {result}");
    }
    assert_no_secret(&home.dir);
}

#[test]
fn a_400_ends_after_one_attempt() {
    let home = home();
    let _one = serial();
    let plaid = Plaid::start(&[]);
    // No earlier attempt for this user: Plaid refuses the retry (INVALID_REQUEST/INVALID_FIELD).
    let ran = home.dags_test("terminal", "127.0.0.1", plaid.port(), &input("af-400"));
    assert!(!ran.status.success(), "{}", describe(&ran, &plaid));
    assert_eq!(plaid.requests(), 1, "{}", describe(&ran, &plaid));
    assert!(ran.output.contains("INVALID_REQUEST/INVALID_FIELD"), "{}", describe(&ran, &plaid));
    assert_eq!(plaid.sessions("af-400"), 0);
    assert_no_secret(&home.dir);
}

#[test]
fn a_429_is_retried_no_sooner_than_its_retry_after() {
    let home = home();
    let _one = serial();
    let plaid = Plaid::start(&["status=429, retry_after=3"]);
    let ran = home.dags_test("rate-limited", "127.0.0.1", plaid.port(), &plaid.seeded("af-429"));
    assert!(ran.status.success(), "{}", describe(&ran, &plaid));
    assert_eq!(plaid.requests(), 2, "{}", describe(&ran, &plaid));
    assert_eq!(plaid.events()[1].1, crate::support::Event::Answer(429));
    let gap = plaid.gap_after_answer(0);
    assert!(gap >= Duration::from_secs(3), "retried {gap:?} after the 429");
    assert_eq!(plaid.sessions("af-429"), 2, "one new session");
    assert_no_secret(&home.dir);
}

#[test]
fn a_503_is_retried_after_the_backoff() {
    let home = home();
    let _one = serial();
    let plaid = Plaid::start(&["status=503"]);
    let ran = home.dags_test("unavailable", "127.0.0.1", plaid.port(), &plaid.seeded("af-503"));
    assert!(ran.status.success(), "{}", describe(&ran, &plaid));
    assert_eq!(plaid.requests(), 2, "{}", describe(&ran, &plaid));
    let gap = plaid.gap_after_answer(0);
    assert!(gap >= Duration::from_secs(2), "retried {gap:?} after the 503, before the backoff's 2 s");
    assert_eq!(plaid.sessions("af-503"), 2, "one new session");
    assert_no_secret(&home.dir);
}

#[test]
fn a_lost_answer_is_not_retried() {
    let home = home();
    let _one = serial();
    // The session is created, then the connection closes without a byte of the answer.
    let plaid = Plaid::start(&["drop_after_record"]);
    let ran = home.dags_test("lost", "127.0.0.1", plaid.port(), &plaid.seeded("af-lost"));
    assert!(!ran.status.success(), "{}", describe(&ran, &plaid));
    assert_eq!(plaid.requests(), 1, "{}", describe(&ran, &plaid));
    assert!(ran.output.contains("not retried"), "{}", describe(&ran, &plaid));
    assert_eq!(plaid.sessions("af-lost"), 2, "the lost answer's session, and no second one");
    assert_no_secret(&home.dir);
}

#[test]
fn credentials_go_only_to_plaid_or_loopback() {
    let home = home();
    let _one = serial();
    let plaid = Plaid::start(&[]);
    let ran = home.dags_test("elsewhere", "plaid.example.com", plaid.port(), &input("af-elsewhere"));
    assert!(!ran.status.success(), "{}", describe(&ran, &plaid));
    assert!(ran.output.contains("credentials go only to https://sandbox.plaid.com"), "{}", ran.output);
    assert_eq!(ran.output.matches("Calling HTTP method").count(), 1, "one try, not retried:\n{}", ran.output);
    assert_no_secret(&home.dir);
}
