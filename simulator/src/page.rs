//! The session's page at its `shareable_url` (`/verify/{id}?key={key}`): a small server-rendered
//! HTML page, plain forms, no script, that walks the person through the steps left: the terms,
//! the SMS code (11111 for any number on the sandbox), the identity details
//! (prefilled with the data the API was given), documents when the session asks for them. Plaid's
//! sandbox test user passes, other data fails.
//!
//! Security: everything rendered is HTML-escaped; a form posts to `/verify/{id}/{key}/{step}`, so
//! only whoever has the link acts, and a wrong key (compared in constant time) is the same "not
//! valid" page as an unknown session, changing nothing; a post whose `Origin` is not the page's own
//! is refused; every answer carries a strict Content-Security-Policy (no script at all, styles
//! from the page's own stylesheet, forms to itself, no framing: Plaid blocks its links in iframes
//! too), `Referrer-Policy: same-origin` (the key is in the URL: no other site ever sees it; with
//! `no-referrer` a browser would send `Origin: null` with the page's own forms) and
//! `Cache-Control: no-store`.
//! After a post the browser is sent back to the page (303), so a reload never repeats an answer.

use std::{collections::HashMap, time::SystemTime};

use axum::{
    body::Body,
    http::{header, request::Parts, HeaderValue, Method, StatusCode},
    response::Response,
};

use crate::{
    auth::constant_time_eq,
    plaid::Plaid,
    session::{self, Act, Notice, Refused},
    state::{Address, Attempt, IdNumber, Name, Status, Step, StepStatus, UserData},
    user::is_date,
};

/// The policy on every answer: nothing runs, nothing loads but the page's stylesheet.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; form-action 'self'; \
                                           frame-ancestors 'none'; base-uri 'none'";

const STYLESHEET_PATH: &str = "/verify/page.css";
const STYLESHEET: &str = "body{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#111}\
h1{font-size:1.5rem}.sim{color:#555;font-size:.9rem}ol.steps li{margin:.2rem 0}\
.status-success{color:#0a6b2b}.status-failed{color:#a11}.notice{background:#fff4d6;padding:.6rem;border-radius:4px}\
form{display:grid;gap:.6rem;margin-top:1rem}label{display:grid;gap:.2rem;font-size:.9rem}\
input{font-size:1rem;padding:.4rem}label.check{display:flex;gap:.5rem;align-items:center}button{font-size:1rem;padding:.5rem 1rem;justify-self:start}";

/// Answers a request under `/verify`.
pub(crate) fn handle(plaid: &Plaid, parts: &Parts, body: Option<&[u8]>, drop_webhooks: bool) -> Response {
    let path = parts.uri.path();
    if path == STYLESHEET_PATH && parts.method == Method::GET {
        return answer(StatusCode::OK, "text/css; charset=utf-8", STYLESHEET.to_owned());
    }
    let segments: Vec<&str> = path.trim_start_matches("/verify/").split('/').collect();
    match (&parts.method, segments.as_slice()) {
        (&Method::GET, [id]) => {
            let query = form(parts.uri.query().unwrap_or("").as_bytes());
            let key = query.get("key").map(String::as_str).unwrap_or("");
            match linked(plaid, id, key) {
                Some(attempt) => {
                    let notice = query.get("notice").and_then(|n| PageNotice::from_code(n));
                    answer(StatusCode::OK, "text/html; charset=utf-8", render(&attempt, notice))
                }
                None => not_valid(),
            }
        }
        (&Method::POST, [id, key, step]) => {
            if !same_origin(parts) {
                return answer(
                    StatusCode::FORBIDDEN,
                    "text/html; charset=utf-8",
                    message_page("This form was sent from another site: nothing was done."),
                );
            }
            let Some(attempt) = linked(plaid, id, key) else { return not_valid() };
            let Some(body) = body else {
                return answer(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "text/html; charset=utf-8",
                    message_page("Too much data."),
                );
            };
            let notice = submit(plaid, &attempt, step, &form(body), drop_webhooks);
            let mut location = format!("/verify/{}?key={}", attempt.id, attempt.link_key.as_str());
            if let Some(notice) = notice {
                location.push_str("&notice=");
                location.push_str(&notice.code());
            }
            let mut response = answer(StatusCode::SEE_OTHER, "text/html; charset=utf-8", String::new());
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
        _ => {
            answer(StatusCode::NOT_FOUND, "text/html; charset=utf-8", message_page("There is no page here."))
        }
    }
}

/// The session, when `key` is its link key.
fn linked(plaid: &Plaid, id: &str, key: &str) -> Option<std::sync::Arc<Attempt>> {
    let attempt = plaid.ledger.get(id)?;
    let stored = attempt.link_key.as_str();
    (!stored.is_empty() && constant_time_eq(key, stored)).then_some(attempt)
}

/// A browser's post comes from the page itself: its `Origin` (when sent) names the host it was
/// sent to.
fn same_origin(parts: &Parts) -> bool {
    let Some(origin) = parts.headers.get(header::ORIGIN) else { return true };
    let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    origin.to_str().is_ok_and(|o| !host.is_empty() && o == format!("http://{host}"))
}

/// What the page says after a post that did not simply move on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PageNotice {
    Terms,
    Phone,
    Missing,
    Moved(Notice),
    OtherStep,
    Ended,
}

impl PageNotice {
    fn code(self) -> String {
        match self {
            PageNotice::Terms => "terms".into(),
            PageNotice::Phone => "phone".into(),
            PageNotice::Missing => "missing".into(),
            PageNotice::Moved(Notice::WrongCode { left }) => format!("code-{left}"),
            PageNotice::Moved(Notice::DocumentRejected { left }) => format!("document-{left}"),
            PageNotice::OtherStep => "step".into(),
            PageNotice::Ended => "ended".into(),
        }
    }

    /// Only the codes the page itself writes: nothing from the URL is ever shown.
    fn from_code(code: &str) -> Option<Self> {
        let left = |n: &str| n.parse::<u8>().ok().filter(|n| *n < session::TRIES);
        Some(match code.split_once('-') {
            Some(("code", n)) => PageNotice::Moved(Notice::WrongCode { left: left(n)? }),
            Some(("document", n)) => PageNotice::Moved(Notice::DocumentRejected { left: left(n)? }),
            _ => match code {
                "terms" => PageNotice::Terms,
                "phone" => PageNotice::Phone,
                "missing" => PageNotice::Missing,
                "step" => PageNotice::OtherStep,
                "ended" => PageNotice::Ended,
                _ => return None,
            },
        })
    }

    fn text(self) -> String {
        match self {
            PageNotice::Terms => "Please accept the terms to continue.".into(),
            PageNotice::Phone => "Please enter your phone number in E.164 format, like +12345678909.".into(),
            PageNotice::Missing => {
                "Please fill in your name, a date of birth (YYYY-MM-DD) and your full address.".into()
            }
            PageNotice::Moved(Notice::WrongCode { left }) => {
                format!("That code is not right. Tries left: {left}.")
            }
            PageNotice::Moved(Notice::DocumentRejected { left }) => {
                format!("The document could not be verified. Tries left: {left}.")
            }
            PageNotice::OtherStep => "That step is behind you; here is where you are.".into(),
            PageNotice::Ended => "This verification has ended.".into(),
        }
    }
}

/// Applies one form to the session; the notice for the page, if any.
fn submit(
    plaid: &Plaid,
    attempt: &Attempt,
    step: &str,
    form: &HashMap<String, String>,
    drop_webhooks: bool,
) -> Option<PageNotice> {
    let field = |name: &str| form.get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let act = match step.parse::<Step>().ok()? {
        Step::AcceptTos if field("accept").as_deref() == Some("yes") => Act::AcceptTerms,
        Step::AcceptTos => return Some(PageNotice::Terms),
        Step::VerifySms => Act::Sms {
            phone_number: field("phone_number").unwrap_or_default(),
            code: field("code").unwrap_or_default(),
        },
        Step::KycCheck => match identity(&field) {
            Some(user) => Act::Identity(Box::new(user)),
            None => return Some(PageNotice::Missing),
        },
        Step::DocumentaryVerification => {
            match (name(&field), field("date_of_birth").filter(|d| is_date(d))) {
                (Some(name), Some(date_of_birth)) => Act::Document { name, date_of_birth },
                _ => return Some(PageNotice::Missing),
            }
        }
        Step::SelfieCheck | Step::WatchlistScreening | Step::RiskCheck => Act::Continue,
    };
    let now = SystemTime::now();
    match plaid.move_session(&attempt.id, drop_webhooks, |a| session::act(a, act, now))? {
        Ok((_, notice)) => notice.map(PageNotice::Moved),
        Err(Refused::Incomplete(_)) if step == "verify_sms" => Some(PageNotice::Phone),
        Err(Refused::Incomplete(_)) => Some(PageNotice::Missing),
        Err(Refused::Ended(_)) => Some(PageNotice::Ended),
        Err(Refused::OtherStep(_) | Refused::CannotFail) => Some(PageNotice::OtherStep),
    }
}

fn name(field: &impl Fn(&str) -> Option<String>) -> Option<Name> {
    Some(Name { given_name: field("given_name")?, family_name: field("family_name")? })
}

/// The identity form as the data `kyc_check` runs on: a name, a valid date of birth and a full
/// address; the SSN when given (US addresses).
fn identity(field: &impl Fn(&str) -> Option<String>) -> Option<UserData> {
    let country = field("country").unwrap_or_else(|| "US".into()).to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let id_number = field("ssn")
        .map(|v| v.chars().filter(char::is_ascii_alphanumeric).collect::<String>())
        .filter(|v| !v.is_empty() && country == "US")
        .map(|value| IdNumber {
            id_type: if value.len() == 4 { "us_ssn_last_4" } else { "us_ssn" }.into(),
            value,
        });
    Some(UserData {
        email_address: None,
        phone_number: None,
        date_of_birth: Some(field("date_of_birth").filter(|d| is_date(d))?),
        name: Some(name(field)?),
        address: Some(Address {
            street: Some(field("street")?),
            street2: field("street2"),
            city: Some(field("city")?),
            region: Some(field("region")?.to_ascii_uppercase()),
            postal_code: Some(field("postal_code")?),
            country,
        }),
        id_number,
    })
}

/// `application/x-www-form-urlencoded` pairs (the first of a repeated name wins).
fn form(bytes: &[u8]) -> HashMap<String, String> {
    let mut pairs = HashMap::new();
    for (k, v) in form_urlencoded::parse(bytes) {
        pairs.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    pairs
}

fn answer(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

fn not_valid() -> Response {
    answer(
        StatusCode::NOT_FOUND,
        "text/html; charset=utf-8",
        message_page("This verification link is not valid."),
    )
}

/// HTML-escapes text for an element or a quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn document(title: &str, main: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"{STYLESHEET_PATH}\"></head>\
         <body><main>{main}</main></body></html>\n",
        escape(title)
    )
}

fn message_page(message: &str) -> String {
    document("Identity verification", &format!("<h1>Identity verification</h1><p>{}</p>", escape(message)))
}

fn step_label(step: Step) -> &'static str {
    match step {
        Step::AcceptTos => "Terms of service",
        Step::VerifySms => "Phone verification",
        Step::KycCheck => "Identity details",
        Step::DocumentaryVerification => "Identity document",
        Step::SelfieCheck => "Selfie",
        Step::WatchlistScreening => "Watchlist screening",
        Step::RiskCheck => "Risk check",
    }
}

fn render(attempt: &Attempt, notice: Option<PageNotice>) -> String {
    let mut main = String::new();
    main.push_str("<h1>Verify your identity</h1>");
    main.push_str(&format!(
        "<p class=\"sim\">Plaid Identity Verification as the local simulator plays its sandbox. \
         Session <code>{}</code>.</p>",
        escape(&attempt.id)
    ));
    let status = attempt.status.as_str();
    main.push_str(&format!(
        "<p id=\"status\" data-status=\"{status}\">Status: <strong class=\"status-{status}\">{status}</strong></p>"
    ));
    main.push_str("<ol class=\"steps\">");
    for step in Step::ALL {
        let s = attempt.step(step);
        if s != StepStatus::NotApplicable {
            main.push_str(&format!(
                "<li data-step=\"{}\" data-status=\"{}\">{}: {}</li>",
                step.as_str(),
                s.as_str(),
                step_label(step),
                s.as_str().replace('_', " ")
            ));
        }
    }
    main.push_str("</ol>");
    if let Some(notice) = notice {
        main.push_str(&format!("<p class=\"notice\" id=\"notice\">{}</p>", escape(&notice.text())));
    }
    match (attempt.status, attempt.current_step()) {
        (Status::Active, Some(step)) => main.push_str(&form_for(attempt, step)),
        (Status::Success, _) => {
            main.push_str("<p id=\"verdict\">Verification complete: you are verified.</p>")
        }
        (Status::Failed, _) => main.push_str("<p id=\"verdict\">We could not verify your identity.</p>"),
        (Status::Expired, _) => main.push_str("<p id=\"verdict\">This verification has expired.</p>"),
        (Status::Canceled, _) => main.push_str("<p id=\"verdict\">This verification was canceled.</p>"),
        _ => main.push_str("<p id=\"verdict\">This verification is under review.</p>"),
    }
    document("Verify your identity", &main)
}

fn input(name: &str, label: &str, value: Option<&str>, extra: &str) -> String {
    format!("<label>{label}<input name=\"{name}\" value=\"{}\"{extra}></label>", escape(value.unwrap_or("")))
}

fn form_for(attempt: &Attempt, step: Step) -> String {
    let action =
        format!("/verify/{}/{}/{}", escape(&attempt.id), escape(attempt.link_key.as_str()), step.as_str());
    let user = &attempt.user;
    let name = user.name.as_ref();
    let address = user.address.as_ref();
    let fields = match step {
        Step::AcceptTos => {
            "<label class=\"check\"><input type=\"checkbox\" name=\"accept\" value=\"yes\" required> \
                            I agree to the terms of service and privacy policy.</label>"
                .to_owned()
        }
        Step::VerifySms => [
            input("phone_number", "Phone number", user.phone_number.as_deref(), " required"),
            input(
                "code",
                "The code we sent (on the sandbox: 11111)",
                None,
                " required inputmode=\"numeric\" autocomplete=\"one-time-code\"",
            ),
        ]
        .concat(),
        Step::KycCheck => [
            input("given_name", "First name", name.map(|n| n.given_name.as_str()), " required"),
            input("family_name", "Last name", name.map(|n| n.family_name.as_str()), " required"),
            input("date_of_birth", "Date of birth (YYYY-MM-DD)", user.date_of_birth.as_deref(), " required"),
            input("street", "Street", address.and_then(|a| a.street.as_deref()), " required"),
            input("street2", "Apartment, suite (optional)", address.and_then(|a| a.street2.as_deref()), ""),
            input("city", "City", address.and_then(|a| a.city.as_deref()), " required"),
            input("region", "State or region", address.and_then(|a| a.region.as_deref()), " required"),
            input("postal_code", "Postal code", address.and_then(|a| a.postal_code.as_deref()), " required"),
            input(
                "country",
                "Country (two letters)",
                Some(address.map_or("US", |a| a.country.as_str())),
                " required",
            ),
            input(
                "ssn",
                "Social Security number (optional)",
                user.id_number.as_ref().map(|id| id.value.as_str()),
                " autocomplete=\"off\"",
            ),
        ]
        .concat(),
        Step::DocumentaryVerification => [
            "<p>Type the name and date of birth as your identity document shows them.</p>".to_owned(),
            input("given_name", "First name", name.map(|n| n.given_name.as_str()), " required"),
            input("family_name", "Last name", name.map(|n| n.family_name.as_str()), " required"),
            input("date_of_birth", "Date of birth (YYYY-MM-DD)", user.date_of_birth.as_deref(), " required"),
        ]
        .concat(),
        Step::SelfieCheck | Step::WatchlistScreening | Step::RiskCheck => {
            "<p>Plaid checks the rest on its own.</p>".to_owned()
        }
    };
    format!(
        "<form method=\"post\" action=\"{action}\" id=\"step-{}\"><h2>{}</h2>{fields}<button type=\"submit\">Continue</button></form>",
        step.as_str(),
        step_label(step)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_could_become_markup() {
        assert_eq!(
            escape("<b a=\"x\" c='y'>&</b>"),
            "&lt;b a=&quot;x&quot; c=&#39;y&#39;&gt;&amp;&lt;/b&gt;"
        );
    }

    #[test]
    fn only_the_pages_own_notice_codes_are_read() {
        for notice in [
            PageNotice::Terms,
            PageNotice::Moved(Notice::WrongCode { left: 2 }),
            PageNotice::Moved(Notice::DocumentRejected { left: 1 }),
            PageNotice::Ended,
        ] {
            assert_eq!(PageNotice::from_code(&notice.code()), Some(notice));
        }
        for forged in ["<script>", "code-9", "code-x", "", "terms2"] {
            assert_eq!(PageNotice::from_code(forged), None, "{forged}");
        }
    }
}
