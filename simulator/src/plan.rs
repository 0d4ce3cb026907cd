//! Which steps an attempt requires: the simulated template, and what each retry strategy leaves
//! to do after the previous attempt (`infer` resolved as plaid-python 46 describes it).

use crate::{
    plaid_error::PlaidError,
    state::{Attempt, Status, Step, StepStatus, Strategy},
};

/// What an attempt does with a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Run,
    /// The retry instructions said so (Plaid's `skipped`).
    Skip,
    /// The template does not use it (Plaid's `not_applicable`).
    NotApplicable,
}

/// The simulated template, the same for every `template_id`: documents only on request (a custom
/// retry), selfies never (Plaid's sandbox silently disables `selfie_check`).
pub fn template_plan() -> [Plan; 7] {
    Step::ALL.map(|step| match step {
        Step::DocumentaryVerification | Step::SelfieCheck => Plan::NotApplicable,
        _ => Plan::Run,
    })
}

/// The strategy as applied (`infer` resolved) and the steps the new attempt requires.
pub(crate) fn retry_plan(
    previous: &Attempt,
    strategy: Strategy,
    steps: Option<[bool; 4]>,
) -> Result<(Strategy, [Plan; 7]), PlaidError> {
    let template = template_plan();
    let strategy = match strategy {
        // plaid-python 46's `Strategy`: incomplete after a failed, expired or canceled attempt,
        // unless its screening or risk check is what went wrong; otherwise reset.
        Strategy::Infer => {
            if previous.status == Status::Active {
                return Err(PlaidError::invalid_field(
                    "strategy infer cannot be applied while the latest attempt is still active",
                ));
            }
            let ended = matches!(previous.status, Status::Failed | Status::Expired | Status::Canceled);
            let screening_failed = matches!(
                previous.step(Step::WatchlistScreening),
                StepStatus::Failed | StepStatus::Expired | StepStatus::Canceled
            );
            let risk_failed = matches!(
                previous.step(Step::RiskCheck),
                StepStatus::Failed
                    | StepStatus::Expired
                    | StepStatus::Canceled
                    | StepStatus::ManuallyRejected
            );
            if ended && !screening_failed && !risk_failed {
                Strategy::Incomplete
            } else {
                Strategy::Reset
            }
        }
        other => other,
    };
    let plan = match strategy {
        Strategy::Reset | Strategy::Infer => template,
        Strategy::Incomplete => match previous.failing_step() {
            Some(step @ (Step::WatchlistScreening | Step::RiskCheck)) => {
                return Err(PlaidError::invalid_field(format!(
                    "strategy incomplete cannot be applied: the latest attempt's failing step is {step}"
                )))
            }
            // Passed steps are skipped; the user starts again where they failed, even at a step
            // the template runs only as a fallback (documents); selfies stay disabled.
            Some(failing) => Step::ALL.map(|step| {
                let i = step.index();
                if i < failing.index() && previous.step(step).is_settled() && template[i] == Plan::Run {
                    Plan::Skip
                } else if step == failing && step != Step::SelfieCheck {
                    Plan::Run
                } else {
                    template[i]
                }
            }),
            // Nothing failed: nothing to resume, so the user starts over.
            None => template,
        },
        Strategy::Custom => {
            let [verify_sms, kyc_check, documentary_verification, selfie_check] = steps.unwrap_or_default();
            let chosen = |on: bool| if on { Plan::Run } else { Plan::Skip };
            Step::ALL.map(|step| match step {
                Step::VerifySms => chosen(verify_sms),
                Step::KycCheck => chosen(kyc_check),
                Step::DocumentaryVerification => chosen(documentary_verification),
                // Plaid's sandbox silently disables selfies: the step never runs.
                Step::SelfieCheck if selfie_check => Plan::NotApplicable,
                Step::SelfieCheck => Plan::Skip,
                _ => template[step.index()],
            })
        }
    };
    Ok((strategy, plan))
}
