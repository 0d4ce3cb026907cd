//! Plaid's error body (`PlaidError`): the same shape for every failure the simulator answers, so a
//! client branches on `error_type`/`error_code` exactly as it would against Plaid.
//!
//! Messages name fields and causes, never the values sent: a request may carry a secret or personal data.

use axum::http::StatusCode;
use serde_json::json;

/// One Plaid error, before it gets its `request_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaidError {
    pub status: StatusCode,
    pub error_type: &'static str,
    pub error_code: &'static str,
    pub error_message: String,
}

impl PlaidError {
    fn new(
        status: StatusCode,
        error_type: &'static str,
        error_code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        PlaidError { status, error_type, error_code, error_message: message.into() }
    }

    fn invalid_request(error_code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_REQUEST", error_code, message)
    }

    pub fn invalid_body(message: impl Into<String>) -> Self {
        Self::invalid_request("INVALID_BODY", message)
    }

    pub fn missing_fields(fields: &[String]) -> Self {
        Self::invalid_request(
            "MISSING_FIELDS",
            format!("the following required fields are missing: {}", fields.join(", ")),
        )
    }

    pub fn unknown_fields(fields: &[String]) -> Self {
        Self::invalid_request(
            "UNKNOWN_FIELDS",
            format!("the following fields are not recognized by this endpoint: {}", fields.join(", ")),
        )
    }

    pub fn invalid_field(message: impl Into<String>) -> Self {
        Self::invalid_request("INVALID_FIELD", message)
    }

    pub fn invalid_headers(message: impl Into<String>) -> Self {
        Self::invalid_request("INVALID_HEADERS", message)
    }

    pub fn incompatible_api_version(message: impl Into<String>) -> Self {
        Self::invalid_request("INCOMPATIBLE_API_VERSION", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "INVALID_REQUEST", "NOT_FOUND", message)
    }

    /// Missing and wrong credentials look the same, so a caller learns nothing about which part was right.
    pub fn invalid_api_keys() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "INVALID_INPUT",
            "INVALID_API_KEYS",
            "invalid client_id or secret provided",
        )
    }

    /// `/webhook_verification_key/get` for a key id the simulator never used.
    pub fn invalid_webhook_verification_key_id() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "INVALID_INPUT",
            "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
            "invalid key_id provided",
        )
    }

    pub fn rate_limit() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMIT_EXCEEDED",
            "RATE_LIMIT",
            "rate limit exceeded for attempts to access this item. please try again later",
        )
    }

    /// The body Plaid documents for a server-side status: 503 is planned maintenance, any other 5xx an
    /// internal error, 429 the rate limit.
    pub fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            429 => Self::rate_limit(),
            503 => Self::new(
                status,
                "API_ERROR",
                "PLANNED_MAINTENANCE",
                "the Plaid API is temporarily unavailable due to planned maintenance. visit https://status.plaid.com/ for more information",
            ),
            _ => Self::new(
                status,
                "API_ERROR",
                "INTERNAL_SERVER_ERROR",
                "an unexpected error occurred",
            ),
        }
    }

    /// The body as Plaid sends it: every documented key present, `display_message` null.
    pub fn body(&self, request_id: &str) -> serde_json::Value {
        json!({
            "display_message": null,
            "documentation_url": format!(
                "https://plaid.com/docs/?ref=error#{}-errors",
                self.error_type.to_ascii_lowercase().replace('_', "-")
            ),
            "error_code": self.error_code,
            "error_code_reason": null,
            "error_message": self.error_message,
            "error_type": self.error_type,
            "request_id": request_id,
            "suggested_action": null,
        })
    }
}
