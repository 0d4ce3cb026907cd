//! Who is calling, in which API version: the credentials (body fields or headers) and
//! `Plaid-Version`, with Plaid's errors.

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use crate::{fields::Fields, plaid_error::PlaidError};

/// The API version every `/identity_verification/*` endpoint speaks.
pub const PLAID_VERSION: &str = "2020-09-14";
/// Plaid's earlier API versions: real, but without Identity Verification.
const OLDER_VERSIONS: [&str; 3] = ["2017-03-08", "2018-05-22", "2019-05-29"];

/// The client id, when the credentials (body fields first, else the `PLAID-CLIENT-ID` and
/// `PLAID-SECRET` headers) are the configured ones.
pub(crate) fn authenticate(
    headers: &HeaderMap,
    body: &Map<String, Value>,
    expected_client_id: &str,
    expected_secret: &str,
) -> Result<String, PlaidError> {
    let fields = Fields::root(body);
    let client_id = credential(&fields, headers, "client_id", "plaid-client-id")?;
    let secret = credential(&fields, headers, "secret", "plaid-secret")?;
    match (client_id, secret) {
        (Some(id), Some(secret))
            if constant_time_eq(&id, expected_client_id) & constant_time_eq(&secret, expected_secret) =>
        {
            Ok(id)
        }
        _ => Err(PlaidError::invalid_api_keys()),
    }
}

fn credential(
    fields: &Fields,
    headers: &HeaderMap,
    field: &str,
    header: &str,
) -> Result<Option<String>, PlaidError> {
    if let Some(value) = fields.string(field)? {
        return Ok(Some(value.to_owned()));
    }
    let mut values = headers.get_all(header).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(PlaidError::invalid_headers(format!(
            "the {} header was sent more than once",
            header.to_ascii_uppercase()
        )));
    }
    Ok(first.and_then(|v| v.to_str().ok()).map(str::to_owned))
}

/// Compares without an early exit, so response timing does not reveal how much of a secret matched.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(!x));
    }
    diff == 0
}

/// No `Plaid-Version` means the dashboard's default, 2020-09-14 here.
pub(crate) fn check_version(headers: &HeaderMap) -> Result<(), PlaidError> {
    let mut values = headers.get_all("plaid-version").iter();
    let Some(value) = values.next() else { return Ok(()) };
    if values.next().is_some() {
        return Err(PlaidError::invalid_headers("the Plaid-Version header was sent more than once"));
    }
    match value.to_str().map(str::trim) {
        Ok(PLAID_VERSION) => Ok(()),
        Ok(v) if OLDER_VERSIONS.contains(&v) => Err(PlaidError::incompatible_api_version(format!(
            "identity verification requires API version {PLAID_VERSION}; the Plaid-Version header names an older one"
        ))),
        _ => Err(PlaidError::invalid_headers(format!(
            "the Plaid-Version header is not a known API version; use {PLAID_VERSION}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_without_telling_how_much_matched() {
        assert!(
            constant_time_eq("abc", "abc")
                && !constant_time_eq("abc", "abd")
                && !constant_time_eq("abc", "ab")
        );
    }
}
