//! The Airflow and n8n presets, rendered by the loaded plugin and run headless in the engines
//! themselves against the simulator: a 200 completes with one session, a 400 ends after one
//! attempt, a 429 is retried no sooner than its `Retry-After`, a 503 after the backoff, a lost
//! answer is never re-sent, and the canary secret appears nowhere the engine writes.
//!
//! - `airflow`: Airflow 3.3.2 and the HTTP provider, in their own venv (`PLAID_IDV_TEST_AIRFLOW`,
//!   installed by `tests/run-all` from `tests/engines/airflow/requirements.txt`); `airflow dags test`.
//! - `n8n`: n8n 2.41.1 with Node 24, both from npm (`PLAID_IDV_TEST_N8N_DIR`); `n8n execute`. Its
//!   install is slow and large (docs/engines.md), so these tests are `#[ignore]`d in the suite and
//!   `tests/engines/n8n/run` installs n8n and runs them.
//! - `support`: the simulator behind a relay that times every request and answer, engine
//!   processes that die with the test, the canary scan.

mod airflow;
mod n8n;
mod support;
