//! The `IdentityVerification` object that create, get and retry answer (and list repeats): every
//! key of Plaid's response schema present, nullable ones as `null`, plus the two that plaid-python
//! 46 requires beyond the spec snapshot (`kyc_check.id_number.ssa_verification`,
//! `risk_check.email.name`), so the official client parses it.

use serde_json::{json, Value};

use crate::{
    ids::rfc3339,
    state::{Attempt, Step, StepStatus, UserData},
    test_user::{is_test_name, KycMatch, Match, TEST_USER_DOB},
};

/// The attempt as Plaid's API shows it, less the `request_id` of the response it goes in.
pub fn verification(attempt: &Attempt, base_url: &str) -> Value {
    let created_at = rfc3339(attempt.created_at);
    let ran = |step: Step| attempt.step(step).has_result();
    let passed =
        |step: Step| matches!(attempt.step(step), StepStatus::Success | StepStatus::ManuallyApproved);
    let status_of = |step: Step| if passed(step) { "success" } else { "failed" };
    let user = &attempt.user;
    json!({
        "id": attempt.id,
        "client_user_id": attempt.client_user_id,
        "created_at": created_at,
        "completed_at": attempt.completed_at.map(rfc3339),
        "previous_attempt_id": attempt.previous_attempt_id,
        "shareable_url": attempt.is_shareable.then(|| shareable_url(base_url, attempt)),
        "template": {"id": attempt.template_id, "version": 1},
        "user": user_data(user),
        "status": attempt.status.as_str(),
        "steps": Step::ALL.iter().map(|s| (s.as_str().to_owned(), Value::from(attempt.step(*s).as_str())))
            .collect::<serde_json::Map<_, _>>(),
        "documentary_verification": ran(Step::DocumentaryVerification)
            .then(|| documentary_verification(status_of(Step::DocumentaryVerification), user)),
        // Never runs: Plaid's sandbox silently disables selfies.
        "selfie_check": null,
        "kyc_check": ran(Step::KycCheck).then(|| kyc_check(status_of(Step::KycCheck), user)),
        "risk_check": ran(Step::RiskCheck).then(|| risk_check(status_of(Step::RiskCheck), user)),
        "verify_sms": ran(Step::VerifySms)
            .then(|| verify_sms(status_of(Step::VerifySms), user, &created_at)),
        "watchlist_screening_id": ran(Step::WatchlistScreening).then_some(&attempt.screening_id),
        "beacon_user_id": null,
        "user_id": null,
        "redacted_at": null,
        "latest_scored_protect_event": null,
    })
}

fn user_data(user: &UserData) -> Value {
    json!({
        "phone_number": user.phone_number,
        "date_of_birth": user.date_of_birth,
        "ip_address": null,
        "email_address": user.email_address,
        "name": user.name.as_ref().map(|n| json!({"given_name": n.given_name, "family_name": n.family_name})),
        "address": user.address.as_ref().map(|a| json!({
            "street": a.street,
            "street2": a.street2,
            "city": a.city,
            "region": a.region,
            "postal_code": a.postal_code,
            "country": a.country,
        })),
        "id_number": user.id_number.as_ref().map(|id| json!({"value": id.value, "type": id.id_type})),
    })
}

/// Plaid's shape (`https://flow.plaid.com/verify/idv_…?key=…`), served by the simulator's page.
pub fn shareable_url(base_url: &str, attempt: &Attempt) -> String {
    format!("{base_url}/verify/{}?key={}", attempt.id, attempt.link_key.as_str())
}

fn kyc_check(status: &str, user: &UserData) -> Value {
    // A seeded attempt carries no data: its verdict stands, its details say "no data".
    let m = KycMatch::of(user);
    let code = |f: fn(&KycMatch) -> Match| m.as_ref().map_or("no_data", |m| f(m).as_str());
    let ssa = match m.as_ref().map(|m| m.id_number) {
        Some(Match::Match) => json!({"match": "match", "is_deceased": false}),
        Some(Match::NoMatch | Match::PartialMatch) => json!({"match": "no_match", "is_deceased": null}),
        _ => json!({"match": "no_data", "is_deceased": null}),
    };
    json!({
        "status": status,
        "address": {
            "summary": code(KycMatch::address),
            "po_box": if m.is_some() { "no" } else { "no_data" },
            "type": if m.as_ref().is_some_and(|m| m.address() == Match::Match) { "residential" } else { "no_data" },
            "street": code(|m| m.street),
            "city": code(|m| m.city),
            "region": code(|m| m.region),
            "postal_code": code(|m| m.postal_code),
            "international_details": null,
        },
        "name": {
            "summary": code(KycMatch::name),
            "given_name": code(|m| m.given_name),
            "family_name": code(|m| m.family_name),
        },
        "date_of_birth": {
            "summary": code(|m| m.date_of_birth),
            "day": code(|m| m.day),
            "month": code(|m| m.month),
            "year": code(|m| m.year),
        },
        "id_number": {"summary": code(|m| m.id_number), "ssa_verification": ssa},
        "phone_number": {"summary": code(|m| m.phone_number), "area_code": code(|m| m.area_code)},
    })
}

fn documentary_verification(status: &str, user: &UserData) -> Value {
    let name_match =
        user.name.as_ref().map_or("no_data", |n| if is_test_name(n) { "match" } else { "no_match" });
    let dob_match = user.date_of_birth.as_deref().map_or("no_data", |d| {
        if d == TEST_USER_DOB {
            "match"
        } else {
            "no_match"
        }
    });
    let country = user.address.as_ref().map_or("US", |a| a.country.as_str());
    json!({
        "status": status,
        "documents": [{
            "status": status,
            "attempt": 1,
            "images": {
                "original_front": null,
                "original_back": null,
                "cropped_front": null,
                "cropped_back": null,
                "face": null,
            },
            "extracted_data": {
                "id_number": null,
                "category": "drivers_license",
                "expiration_date": null,
                "issue_date": null,
                "issuing_country": country,
                "issuing_region": null,
                "date_of_birth": user.date_of_birth,
                "address": null,
                "name": user.name.as_ref().map(|n| json!({"given_name": n.given_name, "family_name": n.family_name})),
            },
            "analysis": {
                // Sandbox documents "always be interpreted as genuine".
                "authenticity": "match",
                "image_quality": "high",
                "extracted_data": {
                    "name": name_match,
                    "date_of_birth": dob_match,
                    "expiration_date": "not_expired",
                    "issuing_country": "match",
                },
                "fraud_analysis_details": null,
                "image_quality_details": null,
                "human_review": null,
                "aamva_verification": null,
            },
            "redacted_at": null,
        }],
    })
}

fn risk_check(status: &str, user: &UserData) -> Value {
    json!({
        "status": status,
        "behavior": {
            "user_interactions": "genuine",
            "fraud_ring_detected": "no",
            "bot_detected": "no",
            "risk_level": "low",
        },
        "email": user.email_address.as_ref().map(|_| json!({
            "is_deliverable": "yes",
            "breach_count": 0,
            "first_breached_at": null,
            "last_breached_at": null,
            "domain_registered_at": null,
            "domain_is_free_provider": "no_data",
            "domain_is_custom": "no_data",
            "domain_is_disposable": "no",
            "top_level_domain_is_suspicious": "no",
            "is_edu": "no",
            "includes_date_of_birth": "no",
            "name": "no_data",
            "linked_services": [],
            "risk_level": "low",
            "factors": [],
        })),
        "phone": user.phone_number.as_ref().map(|_| json!({
            "linked_services": [],
            "risk_level": "low",
            "factors": [],
        })),
        "devices": [],
        "identity_abuse_signals": {
            "synthetic_identity": {
                "score": 0,
                "risk_level": "low",
                "first_party_synthetic_fraud": null,
                "third_party_synthetic_fraud": null,
            },
            "stolen_identity": {"score": 0, "risk_level": "low"},
        },
        "network": null,
        "facial_duplicates": [],
        "trust_index_score": null,
    })
}

fn verify_sms(status: &str, user: &UserData, sent_at: &str) -> Value {
    json!({
        "status": status,
        "verifications": [{
            "status": status,
            "attempt": 1,
            "phone_number": user.phone_number,
            "delivery_attempt_count": 1,
            "solve_attempt_count": 1,
            "initially_sent_at": sent_at,
            "last_sent_at": sent_at,
            "redacted_at": null,
        }],
    })
}
