//! How a session moves: it opens `active` at its first required step; the person completes the
//! steps one by one (on the session's page, or played by the control endpoint); the automatic
//! steps (`watchlist_screening`, `risk_check`) run as soon as they are reached; the session ends
//! `success` when no step is left, `failed` when one fails, or `expired` / `canceled`. Each move
//! yields the webhooks it causes, in order.
//!
//! The verdicts are Plaid's sandbox's: the sandbox test user (see `test_user`) passes `kyc_check`
//! and her documents pass `documentary_verification`; other data fails. The SMS code is
//! `test_user::SMS_CODE` for any number. Three wrong SMS codes, or three documents that do not match, fail
//! their step (Plaid's limits).

use std::{fmt, time::SystemTime};

use crate::{
    plan::Plan,
    state::{Attempt, Name, Status, Step, StepStatus, UserData},
    test_user::{is_test_name, leslie, someone_else, KycMatch, SMS_CODE, TEST_USER_DOB, TEST_USER_PHONE},
    user::is_e164,
    webhooks::{Code, Event},
};

/// Wrong tries a step allows before it fails (SMS codes, documents).
pub const TRIES: u8 = 3;

/// The step statuses of a session that opens now: the first required step `active`, the others
/// `waiting_for_prerequisite`, `skipped` or `not_applicable` as planned.
pub(crate) fn open(plan: [Plan; 7]) -> [StepStatus; 7] {
    let mut first = true;
    plan.map(|p| match p {
        Plan::Skip => StepStatus::Skipped,
        Plan::NotApplicable => StepStatus::NotApplicable,
        Plan::Run if first => {
            first = false;
            StepStatus::Active
        }
        Plan::Run => StepStatus::WaitingForPrerequisite,
    })
}

/// What the person does at the step they are on.
#[derive(Debug, Clone)]
pub enum Act {
    /// `accept_tos`: agrees to the terms.
    AcceptTerms,
    /// `verify_sms`: the phone number and the code typed.
    Sms { phone_number: String, code: String },
    /// `kyc_check`: the identity data typed (name, date of birth and address at least).
    Identity(Box<UserData>),
    /// `documentary_verification`: what the document shows.
    Document { name: Name, date_of_birth: String },
    /// `watchlist_screening` / `risk_check`: they run on their own once reached.
    Continue,
}

impl Act {
    /// The step this act belongs to.
    fn step(&self) -> &'static [Step] {
        match self {
            Act::AcceptTerms => &[Step::AcceptTos],
            Act::Sms { .. } => &[Step::VerifySms],
            Act::Identity(_) => &[Step::KycCheck],
            Act::Document { .. } => &[Step::DocumentaryVerification],
            Act::Continue => &[Step::WatchlistScreening, Step::RiskCheck],
        }
    }
}

/// A move refused: nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The session is no longer `active`.
    Ended(Status),
    /// The act is for another step than the one the session is on.
    OtherStep(Option<Step>),
    /// The act lacks what its step needs, or has it in the wrong form (names the field).
    Incomplete(&'static str),
    /// Nothing left in the session can fail (a `failed` completion of a session whose remaining
    /// steps all pass on their own).
    CannotFail,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Ended(status) => write!(f, "the session is no longer active: it is {status}"),
            Refused::OtherStep(Some(step)) => write!(f, "the session is at another step: {step}"),
            Refused::OtherStep(None) => f.write_str("the session is at no step"),
            Refused::Incomplete(what) => f.write_str(what),
            Refused::CannotFail => f.write_str("no step left in this session can fail"),
        }
    }
}

/// What a move made of a session: its next version, the webhooks, and a word for the person.
#[derive(Debug, Clone)]
pub(crate) struct Moved {
    pub attempt: Attempt,
    pub events: Vec<Event>,
    pub notice: Option<Notice>,
}

/// What the page tells the person after a try that did not end the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    WrongCode { left: u8 },
    DocumentRejected { left: u8 },
}

/// Applies the person's act to the session.
pub(crate) fn act(attempt: &Attempt, act: Act, now: SystemTime) -> Result<Moved, Refused> {
    if attempt.status != Status::Active {
        return Err(Refused::Ended(attempt.status));
    }
    let step = attempt.current_step();
    if !step.is_some_and(|s| act.step().contains(&s)) {
        return Err(Refused::OtherStep(step));
    }
    let step = step.unwrap_or(Step::AcceptTos);
    let mut next = attempt.clone();
    let mut events = Vec::new();
    let passed = match act {
        Act::AcceptTerms | Act::Continue => Some(true),
        Act::Sms { phone_number, code } => {
            if !is_e164(&phone_number) {
                return Err(Refused::Incomplete("phone_number must be in E.164 format, like +12345678909"));
            }
            next.user.phone_number = Some(phone_number);
            try_once(&mut next, step, code.trim() == SMS_CODE)
        }
        Act::Identity(data) => {
            let data = *data;
            let Some(verdict) = KycMatch::of(&data) else {
                return Err(Refused::Incomplete("kyc_check needs name, date_of_birth and address"));
            };
            let user = &mut next.user;
            user.name = data.name;
            user.date_of_birth = data.date_of_birth;
            user.address = data.address;
            user.id_number = data.id_number.or(user.id_number.take());
            user.phone_number = data.phone_number.or(user.phone_number.take());
            user.email_address = data.email_address.or(user.email_address.take());
            Some(verdict.passed())
        }
        Act::Document { name, date_of_birth } => {
            // Sandbox documents are "always interpreted as genuine": they pass when the name and
            // date of birth are the test user's.
            let genuine = is_test_name(&name) && date_of_birth == TEST_USER_DOB;
            next.user.name.get_or_insert(name);
            next.user.date_of_birth.get_or_insert(date_of_birth);
            try_once(&mut next, step, genuine)
        }
    };
    let notice = match passed {
        Some(true) => {
            settle(&mut next, step, StepStatus::Success, &mut events);
            advance(&mut next, now, &mut events);
            None
        }
        Some(false) => {
            settle(&mut next, step, StepStatus::Failed, &mut events);
            end(&mut next, Status::Failed, now, &mut events);
            None
        }
        None => {
            let left = TRIES.saturating_sub(next.tries[step.index()]);
            Some(match step {
                Step::VerifySms => Notice::WrongCode { left },
                _ => Notice::DocumentRejected { left },
            })
        }
    };
    Ok(Moved { attempt: next, events, notice })
}

/// A step that allows [`TRIES`] tries: `Some(verdict)` when it ends, `None` after a wrong try
/// that leaves tries.
fn try_once(attempt: &mut Attempt, step: Step, right: bool) -> Option<bool> {
    if right {
        return Some(true);
    }
    let tries = &mut attempt.tries[step.index()];
    *tries = tries.saturating_add(1);
    (*tries >= TRIES).then_some(false)
}

fn settle(attempt: &mut Attempt, step: Step, status: StepStatus, events: &mut Vec<Event>) {
    attempt.steps[step.index()] = status;
    events.push(Event::new(Code::StepUpdated, &attempt.id));
}

/// After a step passed: the automatic steps that come next run, then the next step the person
/// does becomes `active`; with none left the session succeeds.
fn advance(attempt: &mut Attempt, now: SystemTime, events: &mut Vec<Event>) {
    while let Some(step) =
        Step::ALL.into_iter().find(|s| attempt.step(*s) == StepStatus::WaitingForPrerequisite)
    {
        if matches!(step, Step::WatchlistScreening | Step::RiskCheck) {
            settle(attempt, step, StepStatus::Success, events);
        } else {
            attempt.steps[step.index()] = StepStatus::Active;
            return;
        }
    }
    end(attempt, Status::Success, now, events);
}

/// The session ends with `status`: `completed_at` is set, and the step the person was on (if any)
/// ends `expired` or `canceled` with it.
fn end(attempt: &mut Attempt, status: Status, now: SystemTime, events: &mut Vec<Event>) {
    let step_status = match status {
        Status::Expired => Some(StepStatus::Expired),
        Status::Canceled => Some(StepStatus::Canceled),
        _ => None,
    };
    if let (Some(step), Some(step_status)) = (attempt.current_step(), step_status) {
        attempt.steps[step.index()] = step_status;
    }
    attempt.status = status;
    attempt.completed_at = Some(now);
    events.push(Event::new(Code::StatusUpdated, &attempt.id));
}

/// Ends an `active` session as `expired` or `canceled` (nothing when it has ended already).
pub(crate) fn stop(attempt: &Attempt, status: Status, now: SystemTime) -> Option<Moved> {
    if attempt.status != Status::Active {
        return None;
    }
    let mut next = attempt.clone();
    let mut events = Vec::new();
    end(&mut next, status, now, &mut events);
    Some(Moved { attempt: next, events, notice: None })
}

/// How a session is completed without a browser (the control endpoint, `--auto-complete`).
#[derive(Debug, Clone)]
pub enum Completion {
    /// The sandbox test user does every step: the session ends `success`.
    Success,
    /// Someone else does them: the first step that checks who they are fails (`kyc_check`, or
    /// documents; with neither left, three wrong SMS codes).
    Failed,
    /// A person with this data does every step (the right SMS code; the data decides the rest).
    With(Box<UserData>),
}

/// Plays the person through every step left.
pub(crate) fn complete(
    attempt: &Attempt,
    completion: &Completion,
    now: SystemTime,
) -> Result<Moved, Refused> {
    if attempt.status != Status::Active {
        return Err(Refused::Ended(attempt.status));
    }
    let mut current = attempt.clone();
    let mut events = Vec::new();
    // Each round ends a step or spends one of its tries: the bound is never reached.
    for _ in 0..Step::ALL.len() * usize::from(TRIES) {
        if current.status != Status::Active {
            return Ok(Moved { attempt: current, events, notice: None });
        }
        let Some(step) = current.current_step() else { break };
        let person = match completion {
            Completion::Success => leslie(),
            Completion::Failed => someone_else(),
            Completion::With(data) => (**data).clone(),
        };
        let checks_identity_later = [Step::KycCheck, Step::DocumentaryVerification]
            .iter()
            .any(|s| matches!(current.step(*s), StepStatus::Active | StepStatus::WaitingForPrerequisite));
        let next_act = match step {
            Step::AcceptTos => Act::AcceptTerms,
            Step::VerifySms => {
                let wrong = matches!(completion, Completion::Failed) && !checks_identity_later;
                Act::Sms {
                    phone_number: person
                        .phone_number
                        .or(current.user.phone_number.clone())
                        .unwrap_or_else(|| TEST_USER_PHONE.to_owned()),
                    code: if wrong { "00000".to_owned() } else { SMS_CODE.to_owned() },
                }
            }
            Step::KycCheck => Act::Identity(Box::new(person)),
            Step::DocumentaryVerification => match (person.name, person.date_of_birth) {
                (Some(name), Some(date_of_birth)) => Act::Document { name, date_of_birth },
                _ => {
                    return Err(Refused::Incomplete("documentary_verification needs name and date_of_birth"))
                }
            },
            Step::SelfieCheck | Step::WatchlistScreening | Step::RiskCheck => {
                if matches!(completion, Completion::Failed) && !checks_identity_later {
                    return Err(Refused::CannotFail);
                }
                Act::Continue
            }
        };
        let moved = act(&current, next_act, now)?;
        current = moved.attempt;
        events.extend(moved.events);
    }
    if current.status == Status::Active {
        return Err(Refused::OtherStep(current.current_step()));
    }
    Ok(Moved { attempt: current, events, notice: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{plan::template_plan, state::LinkKey};

    fn session(plan: [Plan; 7]) -> Attempt {
        Attempt {
            id: "idv_test".into(),
            client_user_id: "u".into(),
            template_id: "t".into(),
            created_at: SystemTime::UNIX_EPOCH,
            completed_at: None,
            previous_attempt_id: None,
            strategy: None,
            is_shareable: true,
            status: Status::Active,
            steps: open(plan),
            user: UserData::default(),
            screening_id: "scr_test".into(),
            link_key: LinkKey("k".into()),
            tries: [0; 7],
        }
    }

    fn codes(moved: &Moved) -> Vec<&'static str> {
        moved.events.iter().map(|e| e.code.as_str()).collect()
    }

    #[test]
    fn a_session_opens_active_at_its_first_step() {
        let s = session(template_plan());
        assert_eq!(s.current_step(), Some(Step::AcceptTos));
        assert_eq!(s.step(Step::VerifySms), StepStatus::WaitingForPrerequisite);
        assert_eq!(s.step(Step::SelfieCheck), StepStatus::NotApplicable);
    }

    #[test]
    fn the_test_user_passes_step_by_step_and_the_automatic_steps_follow() {
        let now = SystemTime::now();
        let s = session(template_plan());
        let s1 = act(&s, Act::AcceptTerms, now).unwrap();
        assert_eq!((codes(&s1), s1.attempt.current_step()), (vec!["STEP_UPDATED"], Some(Step::VerifySms)));
        assert_eq!(
            act(&s1.attempt, Act::AcceptTerms, now).unwrap_err(),
            Refused::OtherStep(Some(Step::VerifySms))
        );
        let s2 =
            act(&s1.attempt, Act::Sms { phone_number: "+12345678909".into(), code: "11111".into() }, now)
                .unwrap();
        let s3 = act(&s2.attempt, Act::Identity(Box::new(leslie())), now).unwrap();
        assert_eq!(codes(&s3), ["STEP_UPDATED", "STEP_UPDATED", "STEP_UPDATED", "STATUS_UPDATED"]);
        assert_eq!(s3.attempt.status, Status::Success);
        assert_eq!(s3.attempt.completed_at, Some(now));
        assert_eq!(s3.attempt.step(Step::RiskCheck), StepStatus::Success);
        assert_eq!(act(&s3.attempt, Act::Continue, now).unwrap_err(), Refused::Ended(Status::Success));
    }

    #[test]
    fn other_data_fails_and_three_wrong_codes_fail() {
        let now = SystemTime::now();
        let done = complete(&session(template_plan()), &Completion::Failed, now).unwrap();
        assert_eq!(done.attempt.status, Status::Failed);
        assert_eq!(done.attempt.step(Step::KycCheck), StepStatus::Failed);
        assert_eq!(done.attempt.step(Step::RiskCheck), StepStatus::WaitingForPrerequisite);

        let mut s = act(&session(template_plan()), Act::AcceptTerms, now).unwrap().attempt;
        for left in [2, 1] {
            let wrong =
                act(&s, Act::Sms { phone_number: "+12345678909".into(), code: "12345".into() }, now).unwrap();
            assert_eq!((wrong.notice, wrong.events.len()), (Some(Notice::WrongCode { left }), 0));
            s = wrong.attempt;
        }
        let third =
            act(&s, Act::Sms { phone_number: "+12345678909".into(), code: "12345".into() }, now).unwrap();
        assert_eq!(third.attempt.status, Status::Failed);
        assert_eq!(codes(&third), ["STEP_UPDATED", "STATUS_UPDATED"]);
    }

    #[test]
    fn a_stopped_session_ends_at_the_step_it_was_on() {
        let now = SystemTime::now();
        let s = act(&session(template_plan()), Act::AcceptTerms, now).unwrap().attempt;
        let expired = stop(&s, Status::Expired, now).unwrap();
        assert_eq!(expired.attempt.step(Step::VerifySms), StepStatus::Expired);
        assert_eq!(expired.attempt.step(Step::KycCheck), StepStatus::WaitingForPrerequisite);
        assert_eq!(codes(&expired), ["STATUS_UPDATED"]);
        assert!(stop(&expired.attempt, Status::Canceled, now).is_none(), "an ended session stays ended");
    }
}
