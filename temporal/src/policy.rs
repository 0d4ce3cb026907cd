//! The policy Temporal applies to a task, read from the plugin's `temporal` preset for it (the
//! single source: the worker adds nothing of its own): the activity's timeouts and retry policy,
//! the task queue's rate limit, and for the get task the [`Cadence`] a workflow polls at.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use temporalio_common::RetryPolicy;
use temporalio_sdk::ActivityOptions;

use crate::error::Error;

/// The `temporal` dialect of the plugin's settings preset.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// The activity's type name: the manifest's task id.
    pub activity_type: String,
    pub activity_options: Options,
    /// Activities a second the task queue dispatches, to every worker together.
    pub task_queue_activities_per_second: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Options {
    #[serde(deserialize_with = "proto_duration")]
    pub start_to_close_timeout: Duration,
    #[serde(deserialize_with = "proto_duration")]
    pub heartbeat_timeout: Duration,
    pub retry_policy: Retry,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Retry {
    #[serde(deserialize_with = "proto_duration")]
    pub initial_interval: Duration,
    pub backoff_coefficient: f64,
    #[serde(deserialize_with = "proto_duration")]
    pub maximum_interval: Duration,
    pub maximum_attempts: u32,
    pub non_retryable_error_types: Vec<String>,
}

impl Policy {
    /// Reads the preset the plugin answered for `{"dialect": "temporal"}`.
    pub fn from_preset(text: &str) -> Result<Self, Error> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::new(format!("the plugin's temporal preset is not JSON: {e}")))?;
        let policy: Policy = serde_json::from_value(value)
            .map_err(|e| Error::new(format!("the plugin's temporal preset is not understood: {e}")))?;
        policy.checked()
    }

    fn checked(self) -> Result<Self, Error> {
        let retry = &self.activity_options.retry_policy;
        let ok = self.task_queue_activities_per_second.is_finite()
            && self.task_queue_activities_per_second > 0.0
            && retry.backoff_coefficient >= 1.0
            && retry.maximum_attempts >= 1
            && !self.activity_options.start_to_close_timeout.is_zero()
            && !self.activity_type.is_empty();
        if ok {
            Ok(self)
        } else {
            Err(Error::new("the plugin's temporal preset has a value Temporal cannot use"))
        }
    }

    /// What the workflow schedules the activity with.
    pub fn activity_options(&self) -> ActivityOptions {
        let options = &self.activity_options;
        let retry = &options.retry_policy;
        ActivityOptions::with_start_to_close_timeout(options.start_to_close_timeout)
            .heartbeat_timeout(options.heartbeat_timeout)
            .retry_policy(
                RetryPolicy::builder()
                    .initial_interval(retry.initial_interval)
                    .backoff_coefficient(retry.backoff_coefficient)
                    .maximum_interval(retry.maximum_interval)
                    .maximum_attempts(retry.maximum_attempts)
                    .non_retryable_error_types(retry.non_retryable_error_types.clone())
                    .build(),
            )
            // Any worker on the queue may take it, not only the one that ran the workflow task:
            // that is what spreads the load and lets a dead worker's task move.
            .do_not_eagerly_execute(true)
            .build()
    }
}

/// The get task's `poll` block: how often a workflow asks for a session it follows, and how long
/// it follows it before it stops waiting for the verdict.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cadence {
    #[serde(deserialize_with = "proto_duration")]
    pub interval: Duration,
    #[serde(deserialize_with = "proto_duration")]
    pub give_up_after: Duration,
    // The block's `finalStatuses` is for engines that poll by themselves; the workflow reads the
    // verdict from the get task result's `output.final`, so that one list decides.
}

impl Cadence {
    /// Reads the `poll` block of the get task's `temporal` preset.
    pub fn from_preset(text: &str) -> Result<Self, Error> {
        #[derive(Deserialize)]
        struct Preset {
            poll: Cadence,
        }
        let preset: Preset = serde_json::from_str(text).map_err(|e| {
            Error::new(format!("the get task's temporal preset has no usable poll block: {e}"))
        })?;
        let cadence = preset.poll;
        if cadence.interval.is_zero() || cadence.give_up_after < cadence.interval {
            return Err(Error::new("the get task's poll block has an interval Temporal cannot use"));
        }
        Ok(cadence)
    }
}

/// A protobuf JSON duration: seconds with an `s` suffix (`"2s"`, `"0.5s"`).
fn proto_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    text.strip_suffix('s')
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| serde::de::Error::custom("a duration must look like \"2s\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRESET: &str = r#"{"activityType": "plaid.identity_verification.retry",
        "activityOptions": {"startToCloseTimeout": "40s", "heartbeatTimeout": "10s",
          "retryPolicy": {"initialInterval": "2s", "backoffCoefficient": 2.0, "maximumInterval": "60s",
            "maximumAttempts": 3, "nonRetryableErrorTypes": ["FAILED_WITH_TERMINAL_ERROR"]}},
        "taskQueueActivitiesPerSecond": 0.8333}"#;

    #[test]
    fn reads_the_preset() {
        let p = Policy::from_preset(PRESET).unwrap();
        assert_eq!(p.activity_options.heartbeat_timeout, Duration::from_secs(10));
        assert_eq!(p.activity_options.retry_policy.maximum_attempts, 3);
        assert_eq!(p.activity_options.retry_policy.initial_interval, Duration::from_secs(2));
    }

    #[test]
    fn reads_the_get_tasks_cadence() {
        let get = PRESET.replace("retry\"", "get\"").replace(
            "\"taskQueueActivitiesPerSecond\"",
            r#""poll": {"interval": "10s", "giveUpAfter": "3600s", "finalStatuses": ["success", "failed"]},
               "taskQueueActivitiesPerSecond""#,
        );
        let cadence = Cadence::from_preset(&get).unwrap();
        assert_eq!(cadence.interval, Duration::from_secs(10));
        assert_eq!(cadence.give_up_after, Duration::from_secs(3600));
        assert_eq!(Policy::from_preset(&get).unwrap().activity_type, "plaid.identity_verification.get");
        let e = Cadence::from_preset(PRESET).unwrap_err();
        assert!(e.message.contains("poll"), "{e}");
        let e = Cadence::from_preset(&get.replace("\"10s\"", "\"0s\"")).unwrap_err();
        assert!(e.message.contains("interval"), "{e}");
    }

    #[test]
    fn refuses_what_temporal_cannot_use_naming_the_field() {
        let e = Policy::from_preset(&PRESET.replace("\"40s\"", "\"forty\"")).unwrap_err();
        assert!(e.message.contains("duration"), "{e}");
        let e = Policy::from_preset(&PRESET.replace("0.8333", "0")).unwrap_err();
        assert!(e.message.contains("cannot use"), "{e}");
        let e = Policy::from_preset(&PRESET.replace("maximumAttempts", "attempts")).unwrap_err();
        assert!(e.message.contains("maximumAttempts"), "{e}");
    }
}
