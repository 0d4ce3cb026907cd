//! How a simulated session runs: how the user gets through the steps an attempt requires (see
//! `plan`).
//!
//! Nobody opens the simulator's `shareable_url`, so it plays the user at once: when the request
//! carries `user` data, every required step runs on that data (Plaid's sandbox test user, Leslie
//! Knope, passes; other data fails `kyc_check`); without it, the attempt waits at its first
//! required step, `active`, as a fresh Plaid session does.

use crate::{
    plan::Plan,
    state::{Name, Status, Step, StepStatus, UserData},
};

/// Plays the user through the planned steps.
pub fn run(plan: [Plan; 7], user: Option<&UserData>) -> ([StepStatus; 7], Status) {
    let mut steps = [StepStatus::NotApplicable; 7];
    let mut stopped: Option<Status> = None;
    for step in Step::ALL {
        let i = step.index();
        steps[i] = match (plan[i], stopped) {
            (Plan::Skip, _) => StepStatus::Skipped,
            (Plan::NotApplicable, _) => StepStatus::NotApplicable,
            (Plan::Run, Some(_)) => StepStatus::WaitingForPrerequisite,
            (Plan::Run, None) => {
                let outcome = user.map_or(StepStatus::Active, |user| outcome(step, user));
                match outcome {
                    StepStatus::Active => stopped = Some(Status::Active),
                    StepStatus::Failed => stopped = Some(Status::Failed),
                    _ => {}
                }
                outcome
            }
        };
    }
    (steps, stopped.unwrap_or(Status::Success))
}

/// One step's verdict on the data given; `Active` when the step needs data the request lacked (the
/// user would type it in).
fn outcome(step: Step, user: &UserData) -> StepStatus {
    let verdict = |passed: bool| if passed { StepStatus::Success } else { StepStatus::Failed };
    match step {
        Step::AcceptTos | Step::WatchlistScreening | Step::RiskCheck => StepStatus::Success,
        // Plaid's sandbox accepts the code 11111 for any number; without one the user must type it.
        Step::VerifySms if user.phone_number.is_none() => StepStatus::Active,
        Step::VerifySms => StepStatus::Success,
        Step::KycCheck => match KycMatch::of(user) {
            Some(m) => verdict(m.passed()),
            None => StepStatus::Active,
        },
        // Sandbox documents "always be interpreted as genuine" and pass when name and birth date match.
        Step::DocumentaryVerification => match (&user.name, &user.date_of_birth) {
            (Some(name), Some(dob)) => verdict(is_test_name(name) && dob == TEST_USER_DOB),
            _ => StepStatus::Active,
        },
        Step::SelfieCheck => StepStatus::NotApplicable,
    }
}

/// Plaid's sandbox test user: the data `kyc_check` matches against.
const TEST_USER_GIVEN: &str = "leslie";
const TEST_USER_FAMILY: &str = "knope";
pub const TEST_USER_DOB: &str = "1975-01-18";
const TEST_USER_PHONE: &str = "+12345678909";
const TEST_USER_STREET: &str = "123 main st";
const TEST_USER_CITY: &str = "pawnee";
const TEST_USER_REGION: &str = "IN";
const TEST_USER_POSTAL: &str = "46001";
const TEST_USER_COUNTRY: &str = "US";
const TEST_USER_SSNS: [&str; 2] = ["123456788", "123456789"];

/// A Plaid match code (`MatchSummaryCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    Match,
    PartialMatch,
    NoMatch,
    NoInput,
}

impl Match {
    pub fn as_str(self) -> &'static str {
        match self {
            Match::Match => "match",
            Match::PartialMatch => "partial_match",
            Match::NoMatch => "no_match",
            Match::NoInput => "no_input",
        }
    }

    fn of(equal: bool) -> Self {
        if equal {
            Match::Match
        } else {
            Match::NoMatch
        }
    }

    fn summary(parts: &[Match]) -> Self {
        let given: Vec<_> = parts.iter().filter(|m| **m != Match::NoInput).collect();
        if given.is_empty() {
            Match::NoInput
        } else if given.iter().all(|m| **m == Match::Match) {
            Match::Match
        } else if given.iter().any(|m| **m == Match::Match) {
            Match::PartialMatch
        } else {
            Match::NoMatch
        }
    }

    fn optional(value: Option<&str>, check: impl Fn(&str) -> bool) -> Self {
        value.map_or(Match::NoInput, |v| Match::of(check(v)))
    }
}

/// How the data given compares with the sandbox test user, field by field (`kyc_check`'s details).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KycMatch {
    pub given_name: Match,
    pub family_name: Match,
    pub date_of_birth: Match,
    pub day: Match,
    pub month: Match,
    pub year: Match,
    pub street: Match,
    pub city: Match,
    pub region: Match,
    pub postal_code: Match,
    pub id_number: Match,
    pub phone_number: Match,
    pub area_code: Match,
}

impl KycMatch {
    /// `None` when the data Plaid's Data Source check needs (name, date of birth, address) is missing.
    pub fn of(user: &UserData) -> Option<Self> {
        let name = user.name.as_ref()?;
        let dob = user.date_of_birth.as_deref()?;
        let address = user.address.as_ref()?;
        let part = |i: usize| Match::of(dob.split('-').nth(i) == TEST_USER_DOB.split('-').nth(i));
        let us = address.country == TEST_USER_COUNTRY;
        Some(KycMatch {
            given_name: Match::of(name.given_name.trim().eq_ignore_ascii_case(TEST_USER_GIVEN)),
            family_name: Match::of(name.family_name.trim().eq_ignore_ascii_case(TEST_USER_FAMILY)),
            date_of_birth: Match::of(dob == TEST_USER_DOB),
            year: part(0),
            month: part(1),
            day: part(2),
            street: Match::optional(address.street.as_deref(), |s| {
                us && normalize_street(s) == TEST_USER_STREET
            }),
            city: Match::optional(address.city.as_deref(), |c| {
                us && c.trim().eq_ignore_ascii_case(TEST_USER_CITY)
            }),
            region: Match::optional(address.region.as_deref(), |r| us && r == TEST_USER_REGION),
            postal_code: Match::optional(address.postal_code.as_deref(), |p| us && p == TEST_USER_POSTAL),
            id_number: user.id_number.as_ref().map_or(Match::NoInput, |id| {
                Match::of(match id.id_type.as_str() {
                    "us_ssn" => TEST_USER_SSNS.contains(&id.value.as_str()),
                    "us_ssn_last_4" => TEST_USER_SSNS.iter().any(|ssn| ssn.ends_with(&id.value)),
                    _ => false,
                })
            }),
            phone_number: Match::optional(user.phone_number.as_deref(), |p| p == TEST_USER_PHONE),
            area_code: Match::optional(user.phone_number.as_deref(), |p| {
                p.get(..5) == TEST_USER_PHONE.get(..5)
            }),
        })
    }

    pub fn name(&self) -> Match {
        Match::summary(&[self.given_name, self.family_name])
    }

    pub fn address(&self) -> Match {
        Match::summary(&[self.street, self.city, self.region, self.postal_code])
    }

    /// Every field given matches, and a full address was given.
    pub fn passed(&self) -> bool {
        let optional_ok = |m: Match| matches!(m, Match::Match | Match::NoInput);
        self.name() == Match::Match
            && self.date_of_birth == Match::Match
            && [self.street, self.city, self.region, self.postal_code].iter().all(|m| *m == Match::Match)
            && optional_ok(self.id_number)
            && optional_ok(self.phone_number)
    }
}

pub fn is_test_name(name: &Name) -> bool {
    name.given_name.trim().eq_ignore_ascii_case(TEST_USER_GIVEN)
        && name.family_name.trim().eq_ignore_ascii_case(TEST_USER_FAMILY)
}

/// "123 Main St." and "123 main st" are the same street.
fn normalize_street(street: &str) -> String {
    street
        .split(|c: char| c.is_whitespace() || c == '.' || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        plan::template_plan,
        state::{Address, IdNumber},
    };

    fn leslie() -> UserData {
        UserData {
            email_address: Some("leslie@example.com".into()),
            phone_number: Some("+12345678909".into()),
            date_of_birth: Some("1975-01-18".into()),
            name: Some(Name { given_name: "Leslie".into(), family_name: "Knope".into() }),
            address: Some(Address {
                street: Some("123 Main St.".into()),
                street2: None,
                city: Some("Pawnee".into()),
                region: Some("IN".into()),
                postal_code: Some("46001".into()),
                country: "US".into(),
            }),
            id_number: Some(IdNumber { value: "123456789".into(), id_type: "us_ssn".into() }),
        }
    }

    #[test]
    fn the_sandbox_user_passes_every_step() {
        let (steps, status) = run(template_plan(), Some(&leslie()));
        assert_eq!(status, Status::Success);
        assert_eq!(steps[Step::KycCheck.index()], StepStatus::Success);
        assert_eq!(steps[Step::SelfieCheck.index()], StepStatus::NotApplicable);
    }

    #[test]
    fn other_data_fails_kyc_and_stops_the_session() {
        for change in [
            |u: &mut UserData| u.date_of_birth = Some("1975-01-19".into()),
            |u: &mut UserData| u.name.as_mut().unwrap().family_name = "Wyatt".into(),
            |u: &mut UserData| u.id_number.as_mut().unwrap().value = "123456787".into(),
            |u: &mut UserData| u.address.as_mut().unwrap().postal_code = Some("46002".into()),
            |u: &mut UserData| u.phone_number = Some("+12345678900".into()),
        ] {
            let mut user = leslie();
            change(&mut user);
            let (steps, status) = run(template_plan(), Some(&user));
            assert_eq!(status, Status::Failed);
            assert_eq!(steps[Step::KycCheck.index()], StepStatus::Failed);
            assert_eq!(steps[Step::RiskCheck.index()], StepStatus::WaitingForPrerequisite);
        }
    }

    #[test]
    fn without_data_the_session_waits_at_its_first_step() {
        let (steps, status) = run(template_plan(), None);
        assert_eq!(status, Status::Active);
        assert_eq!(steps[Step::AcceptTos.index()], StepStatus::Active);
        assert_eq!(steps[Step::VerifySms.index()], StepStatus::WaitingForPrerequisite);
    }
}
