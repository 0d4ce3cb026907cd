//! The opt-in rewrite of what Plaid documents as formatting into what Plaid wants (the
//! `normalize_input` setting): spaces and dashes out of a postal code ("between 2 and 10
//! alphanumeric characters"), spaces, dots and dashes out of an ID number ("stripped of any
//! formatting characters like spaces, periods, and dashes"), an upper-case country ("capitalized")
//! and region, and a region without its `CC-` prefix ("country prefixes are omitted"). Each
//! rewrite is a warning naming the field, never its value; execute then validates and sends the
//! rewritten input, so the request echo shows what was sent.

use serde_json::Value;

use super::Issue;

/// Rewrites `input` in place; one warning per field rewritten.
pub(super) fn rewrite(input: &mut Value) -> Vec<Issue> {
    let mut done = Vec::new();
    let Some(user) = input.get_mut("user").and_then(Value::as_object_mut) else { return done };
    if let Some(address) = user.get_mut("address").and_then(Value::as_object_mut) {
        let country = address.get_mut("country").and_then(|c| edit(c, |c| c.to_ascii_uppercase()));
        if let Some(true) = country {
            done.push(rewritten("/user/address/country", "upper-cased"));
        }
        let country = address.get("country").and_then(Value::as_str).unwrap_or_default().to_owned();
        let region = address.get_mut("region").and_then(|r| {
            edit(r, |r| {
                let upper = r.to_ascii_uppercase();
                match upper.split_once('-') {
                    Some((prefix, code)) if prefix == country => code.to_owned(),
                    _ => upper,
                }
            })
        });
        if let Some(true) = region {
            done.push(rewritten("/user/address/region", "upper-cased, its country prefix dropped"));
        }
        if let Some(true) = address.get_mut("postal_code").and_then(|p| edit(p, |p| strip(p, " -"))) {
            done.push(rewritten("/user/address/postal_code", "spaces and dashes removed"));
        }
    }
    if let Some(id) = user.get_mut("id_number").and_then(Value::as_object_mut) {
        if let Some(true) = id.get_mut("value").and_then(|v| edit(v, |v| strip(v, " .-"))) {
            done.push(rewritten("/user/id_number/value", "spaces, dots and dashes removed"));
        }
    }
    done
}

/// Applies `change` to a string value: whether it changed it; None for a value that is no string.
fn edit(value: &mut Value, change: impl Fn(&str) -> String) -> Option<bool> {
    let text = value.as_str()?;
    let changed = change(text);
    let differs = changed != text;
    if differs {
        *value = Value::String(changed);
    }
    Some(differs)
}

fn strip(text: &str, formatting: &str) -> String {
    text.chars().filter(|c| !formatting.contains(*c)).collect()
}

fn rewritten(path: &str, how: &str) -> Issue {
    let field = path.rsplit('/').next().unwrap_or(path);
    Issue::new(
        path,
        "normalized",
        format!("{field} was rewritten as Plaid wants it ({how}) because normalize_input is on."),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::rewrite;

    #[test]
    fn rewrites_formatting_and_names_each_field() {
        let mut input = json!({"user": {
            "address": {"country": "gb", "region": "gb-eng", "postal_code": "SW1A 2AA"},
            "id_number": {"type": "us_ssn", "value": "123-45.67 89"}}});
        let done = rewrite(&mut input);
        assert_eq!(
            input,
            json!({"user": {"address": {"country": "GB", "region": "ENG", "postal_code": "SW1A2AA"},
                            "id_number": {"type": "us_ssn", "value": "123456789"}}})
        );
        let paths: Vec<&str> = done.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/user/address/country",
                "/user/address/region",
                "/user/address/postal_code",
                "/user/id_number/value"
            ]
        );
        assert!(done
            .iter()
            .all(|i| i.rule == "normalized" && !i.message.contains("SW1A") && !i.message.contains("123")));
    }

    #[test]
    fn leaves_alone_what_needs_no_rewrite_or_is_not_formatting() {
        let clean = json!({"user": {"address": {"country": "US", "region": "CA", "postal_code": "94103"},
                                    "id_number": {"type": "us_ssn", "value": "123456789"}}});
        let mut input = clean.clone();
        assert!(rewrite(&mut input).is_empty());
        assert_eq!(input, clean);
        // Another country's prefix is not this address's: left for the validator to refuse.
        let mut input = json!({"user": {"address": {"country": "US", "region": "CA-ON"}}});
        rewrite(&mut input);
        assert_eq!(input["user"]["address"]["region"], "CA-ON");
        // Not strings: nothing to rewrite.
        let mut input = json!({"user": {"address": {"country": 1, "postal_code": null}, "id_number": null}});
        assert!(rewrite(&mut input).is_empty());
    }
}
