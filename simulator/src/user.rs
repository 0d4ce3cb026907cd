//! The `user` object of create and retry: every field checked as Plaid documents it, into the
//! [`UserData`] an attempt carries.

use std::sync::OnceLock;

use serde_json::Value;

use crate::{
    fields::Fields,
    plaid_error::PlaidError,
    state::{Address, IdNumber, Name, UserData},
};

/// Plaid's `IDNumberType`s, from the schema's table (`schema/data/id-numbers.json`, embedded at
/// build time): the one list the plugin's input schema and the simulator share.
fn is_id_number_type(id_type: &str) -> bool {
    static TYPES: OnceLock<Vec<String>> = OnceLock::new();
    TYPES.get_or_init(|| id_number_types(ID_NUMBERS)).iter().any(|t| t == id_type)
}

const ID_NUMBERS: &str = include_str!("../../schema/data/id-numbers.json");

/// The `type` of every row of the table; none when it does not parse (a unit test proves it does).
fn id_number_types(table: &str) -> Vec<String> {
    let table: Value = serde_json::from_str(table).unwrap_or_default();
    table["id_numbers"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|row| row["type"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// The `user` object of create and retry; `extra` are the keys only create's user has.
pub(crate) fn user_data(fields: &Fields, extra: &[&str]) -> Result<Option<UserData>, PlaidError> {
    let Some(user) = fields.object("user", "user")? else { return Ok(None) };
    let mut known = vec!["email_address", "phone_number", "date_of_birth", "name", "address", "id_number"];
    known.extend_from_slice(extra);
    user.expect(&[], &known)?;
    for key in extra {
        user.string(key)?;
    }
    let email_address = user.text("email_address")?;
    if email_address.is_some_and(|e| !is_email(e)) {
        return Err(user.invalid("email_address", "an email address without leading or trailing spaces"));
    }
    let phone_number = user.text("phone_number")?;
    if phone_number.is_some_and(|p| !is_e164(p)) {
        return Err(user.invalid("phone_number", "a phone number in E.164 format, like +14155550123"));
    }
    let date_of_birth = user.text("date_of_birth")?;
    if date_of_birth.is_some_and(|d| !is_date(d)) {
        return Err(user.invalid("date_of_birth", "a date in YYYY-MM-DD format"));
    }
    let name = match user.object("name", "user.name")? {
        Some(name) => {
            name.expect(&["given_name", "family_name"], &[])?;
            Some(Name {
                given_name: name.required_text("given_name")?.to_owned(),
                family_name: name.required_text("family_name")?.to_owned(),
            })
        }
        None => None,
    };
    let address = match user.object("address", "user.address")? {
        Some(address) => {
            address.expect(&["country"], &["street", "street2", "city", "region", "postal_code"])?;
            let country = address.required_text("country")?;
            if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(address.invalid("country", "a capitalized two-letter ISO 3166-1 alpha-2 code"));
            }
            let text = |key| address.text(key).map(|v| v.map(str::to_owned));
            Some(Address {
                street: text("street")?,
                street2: text("street2")?,
                city: text("city")?,
                region: text("region")?,
                postal_code: text("postal_code")?,
                country: country.to_owned(),
            })
        }
        None => None,
    };
    let id_number = match user.object("id_number", "user.id_number")? {
        Some(id) => {
            id.expect(&["value", "type"], &[])?;
            let id_type = id.required_text("type")?;
            if !is_id_number_type(id_type) {
                return Err(id.invalid("type", "one of Plaid's ID number types, like us_ssn"));
            }
            let value = id.required_text("value")?;
            if !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(id.invalid("value", "alphanumeric, with formatting characters stripped"));
            }
            Some(IdNumber { value: value.to_owned(), id_type: id_type.to_owned() })
        }
        None => None,
    };
    Ok(Some(UserData {
        email_address: email_address.map(str::to_owned),
        phone_number: phone_number.map(str::to_owned),
        date_of_birth: date_of_birth.map(str::to_owned),
        name,
        address,
        id_number,
    }))
}

fn is_email(s: &str) -> bool {
    s.trim() == s
        && !s.contains(char::is_whitespace)
        && s.split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.contains('@'))
}

pub(crate) fn is_e164(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or("");
    (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

pub(crate) fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        s.get(r).filter(|p| p.bytes().all(|c| c.is_ascii_digit())).and_then(|p| p.parse::<u32>().ok())
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else { return false };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    (1..=12).contains(&m) && d >= 1 && d <= days[(m - 1) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(is_date("1975-01-18") && is_date("2000-02-29"));
        assert!(
            !is_date("1975-02-30")
                && !is_date("1975-1-18")
                && !is_date("19750118xx")
                && !is_date("2001-02-29")
        );
        assert!(
            is_e164("+12345678909") && !is_e164("12345678909") && !is_e164("+0123") && !is_e164("+1 234")
        );
        assert!(is_email("a@b.co") && !is_email(" a@b.co") && !is_email("ab.co") && !is_email("a@b"));
    }

    #[test]
    fn id_number_types_come_from_the_schema_table() {
        let types = id_number_types(ID_NUMBERS);
        assert_eq!(types.len(), 36, "{types:?}");
        assert!(
            is_id_number_type("us_ssn") && is_id_number_type("in_epic") && is_id_number_type("za_smart_id")
        );
        assert!(!is_id_number_type("US_SSN") && !is_id_number_type("us_passport"));
    }
}
