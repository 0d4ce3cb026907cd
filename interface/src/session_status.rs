//! An Identity Verification session's `status`, in Plaid's words (`IdentityVerificationStatus`,
//! plaid-python 46), and which of them are a verdict: what the get task's `output.final` says.

words! {
    pub enum SessionStatus {
        /// Incomplete: the person may have done part of the session, and has neither passed nor
        /// failed.
        Active = "active",
        /// Completed, every step of the template passed.
        Success = "success",
        /// The person failed one or more steps and was told to contact support.
        Failed = "failed",
        /// Left incomplete too long and expired by Plaid (Plaid: sessions currently do not expire).
        Expired = "expired",
        /// Canceled, from the Dashboard or through the API.
        Canceled = "canceled",
        /// A screening had hits that wait for a person's review in the Dashboard.
        PendingReview = "pending_review",
    }
}

impl SessionStatus {
    /// Whether Plaid is done with the session: `success`, `failed`, `expired` and `canceled` never
    /// change again, so a host stops polling; `active` and `pending_review` are still moving.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            SessionStatus::Success | SessionStatus::Failed | SessionStatus::Expired | SessionStatus::Canceled
        )
    }

    /// The final statuses, as a preset lists them for an engine's own stop condition.
    pub fn finals() -> impl Iterator<Item = SessionStatus> {
        SessionStatus::ALL.iter().copied().filter(|s| s.is_final())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdicts_are_the_four_statuses_that_never_change() {
        let finals: Vec<&str> = SessionStatus::finals().map(SessionStatus::as_str).collect();
        assert_eq!(finals, ["success", "failed", "expired", "canceled"]);
        assert!(!SessionStatus::Active.is_final() && !SessionStatus::PendingReview.is_final());
        assert_eq!("pending_review".parse(), Ok(SessionStatus::PendingReview));
        assert!("a_status_plaid_adds_later".parse::<SessionStatus>().is_err());
    }
}
