//! A simulator for a test: the one way the workspace's tests start one with an earlier attempt to
//! retry.

use plaid_idv_simulator::{start, Simulator, SimulatorConfig, Status};

/// What a test's simulator starts from: a free loopback port, the default credentials, no server
/// faults, and no rate limit (a test sets its own pace; the rate limit's own tests set one).
pub fn simulator_config() -> SimulatorConfig {
    SimulatorConfig { rate_limit_per_minute: 0, ..SimulatorConfig::default() }
}

/// A simulator started with `config`, holding a failed attempt for each `(client_user_id,
/// template_id)` of `seeds`: the earlier attempt a retry needs. Stopped when dropped.
pub fn seeded_simulator(config: SimulatorConfig, seeds: &[(&str, &str)]) -> Simulator {
    let sim = start(config).expect("the simulator starts");
    for (client_user_id, template_id) in seeds {
        sim.seed_attempt(client_user_id, template_id, Status::Failed, None);
    }
    sim
}
