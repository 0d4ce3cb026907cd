//! The session's page at its `shareable_url`, driven by plain HTTP as a browser without script
//! would: GET the page, POST each step's form, follow the 303 back. The test user passes, other
//! data fails; a forged key, or a post from another site, does nothing; everything is escaped and
//! every answer carries the strict policy.

mod common;

use std::time::Duration;

use common::*;
use plaid_idv_simulator::{test_user::PAGE_IDENTITY, Simulator, CONTENT_SECURITY_POLICY};
use plaid_idv_test_support::{seeded_simulator, simulator_config};
use serde_json::{json, Value};

struct Page {
    status: u16,
    location: Option<String>,
    headers: Vec<(String, String)>,
    html: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

fn page(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Page {
    let mut response = response.expect("an HTTP answer");
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect::<Vec<_>>();
    let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
    Page {
        status: response.status().as_u16(),
        location,
        headers,
        html: response.body_mut().read_to_string().unwrap(),
    }
}

fn open(url: &str) -> Page {
    page(agent().get(url).call())
}

/// Posts a step's form (the action the page rendered), with an `Origin` when given.
fn submit(sim: &Simulator, action: &str, fields: &[(&str, &str)], origin: Option<&str>) -> Page {
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let mut request = agent()
        .post(format!("{}{action}", sim.url()))
        .header("Content-Type", "application/x-www-form-urlencoded");
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    page(request.send(body))
}

/// The `action` of the page's form, as rendered.
fn action(html: &str) -> String {
    let start = html.find("action=\"").expect("a form") + "action=\"".len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

fn session(sim: &Simulator, user: Option<Value>) -> Value {
    let mut body =
        json!({"client_user_id": "u", "template_id": TEMPLATE, "strategy": "reset", "is_shareable": true});
    if let Some(user) = user {
        body["user"] = user;
    }
    api(sim, "retry", body)
}

/// Walks every step with the given identity data; returns the last page.
fn walk(sim: &Simulator, url: &str, identity: &[(&str, &str)]) -> Page {
    let origin = sim.url();
    let mut here = open(url);
    for _ in 0..6 {
        if !here.html.contains("<form") {
            break;
        }
        let action = action(&here.html);
        let fields: Vec<(&str, &str)> = if action.ends_with("/accept_tos") {
            vec![("accept", "yes")]
        } else if action.ends_with("/verify_sms") {
            vec![("phone_number", "+12345678909"), ("code", "11111")]
        } else {
            identity.to_vec()
        };
        let posted = submit(sim, &action, &fields, Some(&origin));
        assert_eq!(posted.status, 303, "{}", posted.html);
        here = open(&format!("{}{}", sim.url(), posted.location.unwrap()));
    }
    here
}

#[test]
fn the_test_user_walks_the_page_to_success_by_plain_form_posts() {
    let sim = seeded_simulator(simulator_config(), &[("u", TEMPLATE)]);
    let opened = session(&sim, None);
    let url = opened["shareable_url"].as_str().unwrap();
    let first = open(url);
    assert_eq!(first.status, 200);
    assert!(first.html.contains("data-status=\"active\"") && first.html.contains("id=\"step-accept_tos\""));
    let header = |name: &str| first.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(header("content-security-policy").as_deref(), Some(CONTENT_SECURITY_POLICY));
    assert!(
        !CONTENT_SECURITY_POLICY.contains("script") || CONTENT_SECURITY_POLICY.contains("default-src 'none'")
    );
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(header("referrer-policy").as_deref(), Some("same-origin"));
    assert_eq!(header("cache-control").as_deref(), Some("no-store"));
    assert!(!first.html.contains("<script"));

    let last = walk(&sim, url, &PAGE_IDENTITY);
    assert!(last.html.contains("id=\"status\" data-status=\"success\""), "{}", last.html);
    let got = get(&sim, &opened["id"]);
    assert_eq!(got["status"], "success");
    assert_eq!(got["kyc_check"]["id_number"]["summary"], "match", "the SSN typed with dashes, stripped");
    assert_eq!(got["verify_sms"]["status"], "success");
}

#[test]
fn other_data_typed_on_the_page_fails() {
    let sim = seeded_simulator(simulator_config(), &[("u", TEMPLATE)]);
    let opened = session(&sim, None);
    let mut other = PAGE_IDENTITY;
    other[2] = ("date_of_birth", "1980-02-03");
    let last = walk(&sim, opened["shareable_url"].as_str().unwrap(), &other);
    assert!(last.html.contains("data-status=\"failed\""), "{}", last.html);
    assert_eq!(get(&sim, &opened["id"])["status"], "failed");
}

#[test]
fn data_given_to_the_api_is_prefilled_and_escaped() {
    let sim = seeded_simulator(simulator_config(), &[("u", TEMPLATE)]);
    let mut user = leslie();
    user["name"]["family_name"] = json!("<script>alert(1)</script>\"'&");
    let opened = session(&sim, Some(user));
    let url = opened["shareable_url"].as_str().unwrap();
    let mut here = open(url);
    let origin = sim.url();
    for fields in [vec![("accept", "yes")], vec![("phone_number", "+12345678909"), ("code", "11111")]] {
        let posted = submit(&sim, &action(&here.html), &fields, Some(&origin));
        here = open(&format!("{}{}", sim.url(), posted.location.unwrap()));
    }
    assert!(here.html.contains("id=\"step-kyc_check\""));
    assert!(here.html.contains("value=\"Leslie\""), "prefilled");
    assert!(!here.html.contains("<script>alert"), "{}", here.html);
    assert!(here.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"));
}

#[test]
fn three_wrong_codes_fail_the_session_and_the_page_says_how_many_are_left() {
    let sim = seeded_simulator(simulator_config(), &[("u", TEMPLATE)]);
    let opened = session(&sim, None);
    let origin = sim.url();
    let mut here = open(opened["shareable_url"].as_str().unwrap());
    let posted = submit(&sim, &action(&here.html), &[("accept", "yes")], Some(&origin));
    here = open(&format!("{}{}", sim.url(), posted.location.unwrap()));
    for left in ["2", "1"] {
        let posted = submit(
            &sim,
            &action(&here.html),
            &[("phone_number", "+12345678909"), ("code", "99999")],
            Some(&origin),
        );
        here = open(&format!("{}{}", sim.url(), posted.location.unwrap()));
        assert!(here.html.contains(&format!("Tries left: {left}.")), "{}", here.html);
    }
    submit(&sim, &action(&here.html), &[("phone_number", "+12345678909"), ("code", "99999")], Some(&origin));
    let got = get(&sim, &opened["id"]);
    assert_eq!((got["status"].as_str(), step(&got, "verify_sms")), (Some("failed"), "failed"));
}

#[test]
fn a_forged_key_or_a_foreign_origin_does_nothing() {
    let sim = seeded_simulator(simulator_config(), &[("u", TEMPLATE), ("v", TEMPLATE)]);
    let opened = session(&sim, None);
    let id = opened["id"].as_str().unwrap();
    let url = opened["shareable_url"].as_str().unwrap();
    let key = url.split("key=").nth(1).unwrap();
    let forged = format!("{}{}", &key[..key.len() - 1], if key.ends_with('0') { '1' } else { '0' });

    let wrong = open(&format!("{}/verify/{id}?key={forged}", sim.url()));
    assert_eq!(wrong.status, 404);
    assert!(wrong.html.contains("not valid") && !wrong.html.contains(id), "{}", wrong.html);
    assert_eq!(open(&format!("{}/verify/{id}", sim.url())).status, 404, "no key");
    let unknown = open(&format!("{}/verify/idv_nope?key={key}", sim.url()));
    assert_eq!((unknown.status, unknown.html == wrong.html), (404, true), "unknown and forged look alike");

    let origin = sim.url();
    for (path, origin) in [
        (format!("/verify/{id}/{forged}/accept_tos"), Some(origin.as_str())),
        (format!("/verify/{id}//accept_tos"), Some(origin.as_str())),
        (format!("/verify/{id}/{key}/accept_tos"), Some("http://evil.example")),
        (format!("/verify/{id}/{key}/accept_tos"), Some("null")),
    ] {
        let posted = submit(&sim, &path, &[("accept", "yes")], origin);
        assert!(matches!(posted.status, 403 | 404), "{path} {origin:?}: {}", posted.status);
    }
    // Another session's key does not open this one.
    let other =
        api(&sim, "retry", json!({"client_user_id": "v", "template_id": TEMPLATE, "strategy": "reset"}));
    let other_key = other["shareable_url"].as_str().unwrap().split("key=").nth(1).unwrap().to_owned();
    let posted =
        submit(&sim, &format!("/verify/{id}/{other_key}/accept_tos"), &[("accept", "yes")], Some(&origin));
    assert_eq!(posted.status, 404);
    assert_eq!(step(&get(&sim, &opened["id"]), "accept_tos"), "active", "nothing moved");

    // A forged notice code is not shown.
    let page = open(&format!("{url}&notice=%3Cscript%3E"));
    assert!(page.status == 200 && !page.html.contains("id=\"notice\""));
}
