//! `host-sim validate`: the report on stdout, exit 0 for a valid input and 1 for an invalid one,
//! malformed JSON included; 2 when the file cannot be read.

use std::process::Output;

use plaid_idv_test_support as common;

fn validate(args: &[&str], stdin: &str) -> Output {
    common::output_with_stdin(common::host_sim().arg("validate").args(args), stdin.as_bytes())
}

fn report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("the report is JSON on stdout")
}

#[test]
fn exit_codes_follow_the_report() {
    let valid = validate(&[], r#"{"client_user_id":"u1","template_id":"idvtmp_1","strategy":"reset"}"#);
    assert_eq!(valid.status.code(), Some(0));
    assert_eq!(report(&valid)["valid"], true);

    let invalid = validate(&["-"], r#"{"client_user_id":"u1","template_id":"idvtmp_1","strategy":"again"}"#);
    assert_eq!(invalid.status.code(), Some(1));
    assert_eq!(report(&invalid)["errors"][0]["path"], "/strategy");

    let malformed = validate(&[], "{\"strategy\": ");
    assert_eq!(malformed.status.code(), Some(1));
    assert_eq!(report(&malformed)["errors"][0]["rule"], "json_syntax");

    let unreadable = validate(&["/nonexistent/input.json"], "");
    assert_eq!(unreadable.status.code(), Some(2));
}
