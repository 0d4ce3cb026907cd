//! Plaid's sandbox test user (Leslie Knope) and how data given or typed compares with her, field
//! by field: `kyc_check` passes on her data and fails on other data, as on Plaid's sandbox.

use crate::state::{Name, UserData};

/// Plaid's sandbox test user: the data `kyc_check` matches against.
const TEST_USER_GIVEN: &str = "leslie";
const TEST_USER_FAMILY: &str = "knope";
pub const TEST_USER_DOB: &str = "1975-01-18";
/// The SMS code Plaid's sandbox accepts for any number.
pub const SMS_CODE: &str = "11111";
pub const TEST_USER_PHONE: &str = "+12345678909";
/// The test user as a person types her into the identity step of the session's page (field
/// names as the page's form has them; the SSN with the dashes people type).
pub const PAGE_IDENTITY: [(&str, &str); 9] = [
    ("given_name", "Leslie"),
    ("family_name", "Knope"),
    ("date_of_birth", TEST_USER_DOB),
    ("street", "123 Main St."),
    ("city", "Pawnee"),
    ("region", TEST_USER_REGION),
    ("postal_code", "46001"),
    ("country", "US"),
    ("ssn", "123-45-6789"),
];
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

/// The sandbox test user's data, as a person types it.
pub fn leslie() -> UserData {
    use crate::state::{Address, IdNumber};
    UserData {
        email_address: None,
        phone_number: Some(TEST_USER_PHONE.into()),
        date_of_birth: Some(TEST_USER_DOB.into()),
        name: Some(Name { given_name: "Leslie".into(), family_name: "Knope".into() }),
        address: Some(Address {
            street: Some("123 Main St.".into()),
            street2: None,
            city: Some("Pawnee".into()),
            region: Some(TEST_USER_REGION.into()),
            postal_code: Some(TEST_USER_POSTAL.into()),
            country: TEST_USER_COUNTRY.into(),
        }),
        id_number: Some(IdNumber { value: TEST_USER_SSNS[1].into(), id_type: "us_ssn".into() }),
    }
}

/// Someone who is not the sandbox test user: every check on their data fails.
pub fn someone_else() -> UserData {
    let mut user = leslie();
    user.name = Some(Name { given_name: "Ann".into(), family_name: "Perkins".into() });
    user.date_of_birth = Some("1980-02-03".into());
    user.id_number = None;
    user
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leslie_passes_and_others_fail() {
        assert!(KycMatch::of(&leslie()).unwrap().passed());
        assert!(!KycMatch::of(&someone_else()).unwrap().passed());
        for change in [
            |u: &mut UserData| u.date_of_birth = Some("1975-01-19".into()),
            |u: &mut UserData| u.name.as_mut().unwrap().family_name = "Wyatt".into(),
            |u: &mut UserData| u.id_number.as_mut().unwrap().value = "123456787".into(),
            |u: &mut UserData| u.address.as_mut().unwrap().postal_code = Some("46002".into()),
            |u: &mut UserData| u.phone_number = Some("+12345678900".into()),
        ] {
            let mut user = leslie();
            change(&mut user);
            assert!(!KycMatch::of(&user).unwrap().passed(), "{user:?}");
        }
        let mut partial = leslie();
        partial.address = None;
        assert!(KycMatch::of(&partial).is_none(), "no address, no Data Source check");
    }
}
