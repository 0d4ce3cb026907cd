//! The four endpoints: `/identity_verification/create`, `/get`, `/list` and `/retry`, with Plaid's
//! checks in Plaid's order: route, body, credentials, `Plaid-Version`, rate limit, fields.
//!
//! Everything here is synchronous: the body was read before, the ledger lock is never held across
//! an await.

use std::sync::Arc;

use axum::http::{HeaderMap, Method};
use serde_json::{json, Map, Value};

use crate::{
    model,
    plaid::{Origin, Plaid},
    plaid_error::PlaidError,
    session::{self, Plan},
    state::{Address, Attempt, IdNumber, Name, Status, Step, StepStatus, Strategy, UserData},
};

/// The API version every `/identity_verification/*` endpoint speaks.
pub const PLAID_VERSION: &str = "2020-09-14";
/// Plaid's earlier API versions: real, but without Identity Verification.
const OLDER_VERSIONS: [&str; 3] = ["2017-03-08", "2018-05-22", "2019-05-29"];
/// Attempts per `/identity_verification/list` page.
pub const LIST_PAGE: usize = 10;

/// Plaid's `IDNumberType` (the spec's 35 plus `in_epic`, which the API accepts).
const ID_NUMBER_TYPES: [&str; 36] = [
    "ar_dni",
    "au_drivers_license",
    "au_passport",
    "br_cpf",
    "ca_sin",
    "cl_run",
    "cn_resident_card",
    "co_nit",
    "dk_cpr",
    "eg_national_id",
    "es_dni",
    "es_nie",
    "hk_hkid",
    "in_epic",
    "in_pan",
    "it_cf",
    "jo_civil_id",
    "jp_my_number",
    "ke_huduma_namba",
    "kw_civil_id",
    "mx_curp",
    "mx_rfc",
    "my_nric",
    "ng_nin",
    "nz_drivers_license",
    "om_civil_id",
    "ph_psn",
    "pl_pesel",
    "ro_cnp",
    "sa_national_id",
    "se_pin",
    "sg_nric",
    "tr_tc_kimlik",
    "us_ssn",
    "us_ssn_last_4",
    "za_smart_id",
];

#[derive(Clone, Copy)]
enum Endpoint {
    Create,
    Get,
    List,
    Retry,
}

/// Answers one request: the JSON body of a 200, or the Plaid error.
pub fn dispatch(
    plaid: &Plaid,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
    burst: Option<u32>,
) -> Result<Value, PlaidError> {
    let endpoint =
        match path {
            "/identity_verification/create" => Endpoint::Create,
            "/identity_verification/get" => Endpoint::Get,
            "/identity_verification/list" => Endpoint::List,
            "/identity_verification/retry" => Endpoint::Retry,
            _ => return Err(PlaidError::not_found(
                "unknown endpoint: this simulator serves POST /identity_verification/{create,get,list,retry}",
            )),
        };
    if method != Method::POST {
        return Err(PlaidError::not_found("unknown endpoint: Plaid's API takes POST only"));
    }
    let body = json_body(headers, body)?;
    let client_id = authenticate(plaid, headers, &body)?;
    check_version(headers)?;
    if let Some(n) = burst {
        plaid.limit.start_burst(&client_id, n);
    }
    if !plaid.limit.admit(&client_id) {
        return Err(PlaidError::rate_limit());
    }
    let fields = Fields { map: &body, path: "" };
    match endpoint {
        Endpoint::Create => create(plaid, fields),
        Endpoint::Get => get(plaid, fields),
        Endpoint::List => list(plaid, fields),
        Endpoint::Retry => retry(plaid, fields),
    }
}

/// `INVALID_BODY` unless the body is a JSON object sent as `application/json`.
fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, PlaidError> {
    let content_type =
        headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(PlaidError::invalid_body(
            "body could not be parsed as JSON: the Content-Type must be application/json",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(PlaidError::invalid_body("body could not be parsed as JSON: it must be a JSON object")),
        Err(e) => Err(PlaidError::invalid_body(format!(
            "body could not be parsed as JSON: {} at line {} column {}",
            match e.classify() {
                serde_json::error::Category::Eof => "unexpected end of input",
                serde_json::error::Category::Io => "unreadable input",
                serde_json::error::Category::Syntax => "syntax error",
                serde_json::error::Category::Data => "invalid data",
            },
            e.line(),
            e.column()
        ))),
    }
}

/// The client id, when the credentials (body fields first, else the `PLAID-CLIENT-ID` and
/// `PLAID-SECRET` headers) are the configured ones.
fn authenticate(plaid: &Plaid, headers: &HeaderMap, body: &Map<String, Value>) -> Result<String, PlaidError> {
    let fields = Fields { map: body, path: "" };
    let client_id = credential(&fields, headers, "client_id", "plaid-client-id")?;
    let secret = credential(&fields, headers, "secret", "plaid-secret")?;
    match (client_id, secret) {
        (Some(id), Some(secret))
            if constant_time_eq(&id, &plaid.client_id) & constant_time_eq(&secret, &plaid.secret) =>
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
fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(!x));
    }
    diff == 0
}

/// No `Plaid-Version` means the dashboard's default, 2020-09-14 here.
fn check_version(headers: &HeaderMap) -> Result<(), PlaidError> {
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

/// A JSON object's fields, checked one by one; errors name the field by its path.
#[derive(Clone, Copy)]
struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Fields<'a> {
    fn name(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// `UNKNOWN_FIELDS` for keys outside `known`, then `MISSING_FIELDS` for absent or null `required` ones.
    fn expect(&self, required: &[&str], optional: &[&str]) -> Result<(), PlaidError> {
        let unknown: Vec<String> = self
            .map
            .keys()
            .filter(|k| !required.contains(&k.as_str()) && !optional.contains(&k.as_str()))
            .map(|k| self.name(k))
            .collect();
        if !unknown.is_empty() {
            return Err(PlaidError::unknown_fields(&unknown));
        }
        let missing: Vec<String> = required
            .iter()
            .filter(|k| self.map.get(**k).is_none_or(Value::is_null))
            .map(|k| self.name(k))
            .collect();
        if !missing.is_empty() {
            return Err(PlaidError::missing_fields(&missing));
        }
        Ok(())
    }

    fn invalid(&self, key: &str, what: &str) -> PlaidError {
        PlaidError::invalid_field(format!("{} must be {what}", self.name(key)))
    }

    /// A string or absent/null.
    fn string(&self, key: &str) -> Result<Option<&'a str>, PlaidError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.invalid(key, "a string")),
        }
    }

    /// A string with at least one non-whitespace character.
    fn text(&self, key: &str) -> Result<Option<&'a str>, PlaidError> {
        match self.string(key)? {
            Some(s) if s.trim().is_empty() => Err(self.invalid(key, "a non-empty string")),
            other => Ok(other),
        }
    }

    fn required_text(&self, key: &str) -> Result<&'a str, PlaidError> {
        self.text(key)?.ok_or_else(|| PlaidError::missing_fields(&[self.name(key)]))
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, PlaidError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.invalid(key, "a boolean")),
        }
    }

    fn object(&self, key: &str, path: &'a str) -> Result<Option<Fields<'a>>, PlaidError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields { map, path })),
            Some(_) => Err(self.invalid(key, "an object")),
        }
    }

    /// A field this simulator does not support: accepted only when absent or null.
    fn unsupported(&self, key: &str, why: &str) -> Result<(), PlaidError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(()),
            Some(_) => Err(PlaidError::invalid_field(format!(
                "{} is not supported by the simulator: {why}",
                self.name(key)
            ))),
        }
    }
}

/// The `user` object of create and retry; `extra` are the keys only create's user has.
fn user_data(fields: &Fields, extra: &[&str]) -> Result<Option<UserData>, PlaidError> {
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
            if !ID_NUMBER_TYPES.contains(&id_type) {
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

fn is_e164(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or("");
    (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

fn is_date(s: &str) -> bool {
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

const CREDENTIALS: [&str; 2] = ["client_id", "secret"];

fn with_credentials(fields: &[&'static str]) -> Vec<&'static str> {
    fields.iter().chain(CREDENTIALS.iter()).copied().collect()
}

/// Why a create or retry records nothing.
enum Refusal {
    Error(PlaidError),
    /// `is_idempotent`: answer the attempt that exists.
    Existing(Arc<Attempt>),
}

impl From<PlaidError> for Refusal {
    fn from(e: PlaidError) -> Self {
        Refusal::Error(e)
    }
}

fn create(plaid: &Plaid, fields: Fields) -> Result<Value, PlaidError> {
    fields.expect(
        &["template_id", "is_shareable"],
        &with_credentials(&[
            "client_user_id",
            "gave_consent",
            "user_id",
            "language",
            "user",
            "is_idempotent",
        ]),
    )?;
    let template_id = fields.required_text("template_id")?;
    let is_shareable = fields.boolean("is_shareable")?.unwrap_or(false);
    let gave_consent = fields.boolean("gave_consent")?.unwrap_or(false);
    let is_idempotent = fields.boolean("is_idempotent")?.unwrap_or(false);
    fields.string("language")?;
    fields.unsupported("user_id", "identify the user with client_user_id")?;
    let user = user_data(&fields, &["client_user_id", "ip_address"])?;
    let client_user_id = fields
        .text("client_user_id")?
        .ok_or_else(|| PlaidError::missing_fields(&["client_user_id".to_owned()]))?;
    let recorded = plaid.ledger.record_with(client_user_id, template_id, |latest| {
        if let Some(latest) = latest {
            return Err(if is_idempotent {
                Refusal::Existing(latest.clone())
            } else {
                Refusal::Error(PlaidError::invalid_field(
                    "an Identity Verification already exists for this client_user_id and template_id: \
                     use /identity_verification/retry, or set is_idempotent to get the existing one",
                ))
            });
        }
        let mut plan = session::template_plan();
        if gave_consent {
            plan[Step::AcceptTos.index()] = Plan::Skip;
        }
        let origin = Origin { client_user_id, template_id, previous: None, strategy: None, is_shareable };
        Ok(plaid.new_attempt(origin, plan, user))
    });
    match recorded {
        Ok(attempt) | Err(Refusal::Existing(attempt)) => Ok(plaid.render(&attempt)),
        Err(Refusal::Error(e)) => Err(e),
    }
}

fn get(plaid: &Plaid, fields: Fields) -> Result<Value, PlaidError> {
    fields.expect(&["identity_verification_id"], &CREDENTIALS)?;
    let id = fields.required_text("identity_verification_id")?;
    let attempt = plaid
        .ledger
        .get(id)
        .ok_or_else(|| PlaidError::not_found("no Identity Verification has this identity_verification_id"))?;
    Ok(plaid.render(&attempt))
}

fn list(plaid: &Plaid, fields: Fields) -> Result<Value, PlaidError> {
    fields.expect(&["template_id"], &with_credentials(&["client_user_id", "user_id", "cursor"]))?;
    let template_id = fields.required_text("template_id")?;
    fields.unsupported("user_id", "identify the user with client_user_id")?;
    let client_user_id = fields
        .text("client_user_id")?
        .ok_or_else(|| PlaidError::missing_fields(&["client_user_id".to_owned()]))?;
    let start = match fields.string("cursor")? {
        None => 0,
        Some(cursor) => {
            cursor.strip_prefix("idvc_").and_then(|n| n.parse::<usize>().ok()).ok_or_else(|| {
                fields.invalid("cursor", "a next_cursor from an earlier /identity_verification/list")
            })?
        }
    };
    let attempts = plaid.ledger.attempts(client_user_id, template_id);
    let page: Vec<Value> = attempts
        .iter()
        .skip(start)
        .take(LIST_PAGE)
        .map(|a| model::verification(a, &plaid.base_url))
        .collect();
    let next = start + page.len();
    Ok(json!({
        "identity_verifications": page,
        "next_cursor": (next < attempts.len()).then(|| format!("idvc_{next}")),
    }))
}

fn retry(plaid: &Plaid, fields: Fields) -> Result<Value, PlaidError> {
    fields.expect(
        &["client_user_id", "template_id", "strategy"],
        &with_credentials(&["user", "steps", "is_shareable"]),
    )?;
    let client_user_id = fields.required_text("client_user_id")?;
    let template_id = fields.required_text("template_id")?;
    let strategy = match fields.required_text("strategy")? {
        "reset" => Strategy::Reset,
        "incomplete" => Strategy::Incomplete,
        "infer" => Strategy::Infer,
        "custom" => Strategy::Custom,
        _ => return Err(fields.invalid("strategy", "one of reset, incomplete, infer, custom")),
    };
    let steps = match fields.object("steps", "steps")? {
        Some(steps) => {
            let keys = ["verify_sms", "kyc_check", "documentary_verification", "selfie_check"];
            steps.expect(&keys, &[])?;
            let mut flags = [false; 4];
            for (flag, key) in flags.iter_mut().zip(keys) {
                *flag = steps.boolean(key)?.unwrap_or(false);
            }
            Some(flags)
        }
        None => None,
    };
    match (strategy, steps.is_some()) {
        (Strategy::Custom, false) => {
            return Err(PlaidError::invalid_field("steps must be provided when strategy is custom"))
        }
        (Strategy::Reset | Strategy::Incomplete | Strategy::Infer, true) => {
            return Err(PlaidError::invalid_field("steps must be omitted unless strategy is custom"))
        }
        _ => {}
    }
    let is_shareable = fields.boolean("is_shareable")?;
    let user = user_data(&fields, &[])?;
    let attempt = plaid.ledger.record_with(client_user_id, template_id, |latest| {
        let previous = latest.ok_or_else(|| {
            PlaidError::invalid_field(
                "no Identity Verification exists for this client_user_id and template_id to retry: create one first",
            )
        })?;
        let (strategy, plan) = retry_plan(previous, strategy, steps)?;
        let is_shareable = is_shareable.unwrap_or(previous.is_shareable);
        let origin =
            Origin { client_user_id, template_id, previous: Some(previous), strategy: Some(strategy), is_shareable };
        Ok::<_, PlaidError>(plaid.new_attempt(origin, plan, user))
    })?;
    Ok(plaid.render(&attempt))
}

/// The strategy as applied (`infer` resolved) and the steps the new attempt requires.
fn retry_plan(
    previous: &Attempt,
    strategy: Strategy,
    steps: Option<[bool; 4]>,
) -> Result<(Strategy, [Plan; 7]), PlaidError> {
    let template = session::template_plan();
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
        assert!(
            constant_time_eq("abc", "abc")
                && !constant_time_eq("abc", "abd")
                && !constant_time_eq("abc", "ab")
        );
    }
}
