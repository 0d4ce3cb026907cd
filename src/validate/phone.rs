//! The phone-number rule JSON Schema cannot state: Plaid checks a `phone_number` with
//! libphonenumber ("not only for the correct number of digits, but also for a valid area code,
//! prefix, etc., even in the Sandbox"), so a number that only looks like E.164 is refused here as
//! Plaid would refuse it (INVALID_USER_IDENTITY_DATA). Both validation paths ask this module.

use super::Issue;

pub(super) const PATH: &str = "/user/phone_number";

/// True when libphonenumber finds the E.164 number valid for its country code. Called only on
/// text the schema's E.164 pattern accepted.
pub(super) fn is_valid(e164: &str) -> bool {
    phonenumber::parse(None, e164).is_ok_and(|number| phonenumber::is_valid(&number))
}

/// The issue for a number that is not valid; its words come from the rule, never the number.
pub(super) fn issue() -> Issue {
    Issue::new(
        PATH,
        "phone_invalid",
        "phone_number is not a number libphonenumber finds valid (its country code, area code, prefix or length), \
         and Plaid checks numbers with it.",
    )
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn numbers_libphonenumber_knows() {
        // Plaid's sandbox user, a UK mobile, a German landline, an Indian mobile.
        for ok in [
            "+12345678909",
            "+447911123456",
            "+493012345678",
            "+919876543210",
            "+12025550147",
            "+14155550123",
        ] {
            assert!(is_valid(ok), "{ok}");
        }
        // E.164 in shape only: an unassigned country code, a US area code starting with 1, too short.
        for bad in ["+99912345678", "+11234567890", "+4412", "+1000"] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
