//! The one place engine errors become gRPC statuses, with a code a caller can
//! act on and a message naming the field, value and limit.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::deploy::{DeployError, Refusal, Stop};
use crate::engine::EngineError;

/// Turns an engine error into the status a caller receives.
pub fn to_status(err: EngineError) -> Status {
    let message = err.to_string();
    match &err {
        EngineError::InvalidMetrics { violations } => {
            let mut details = ErrorDetails::new();
            for v in violations {
                details.add_bad_request_violation(format!("metrics[{}]", v.metric), &v.rule);
            }
            Status::with_error_details(Code::InvalidArgument, message, details)
        }
        EngineError::ModelRequired { .. } => {
            let details =
                ErrorDetails::with_bad_request_violation("model", "a model id is required");
            Status::with_error_details(Code::InvalidArgument, message, details)
        }
        EngineError::RequestTooLarge { field, .. } => {
            let details = ErrorDetails::with_bad_request_violation(field.clone(), &message);
            Status::with_error_details(Code::InvalidArgument, message, details)
        }
        EngineError::UnknownModel { .. } => Status::not_found(message),
        EngineError::ScriptLimit { .. } => {
            tracing::error!(error = %message, "model script stopped by the sandbox");
            Status::resource_exhausted(message)
        }
        EngineError::Script { .. } => {
            tracing::error!(error = %message, "model script failed");
            Status::internal(message)
        }
        EngineError::DeadlineExceeded { .. } => Status::deadline_exceeded(message),
        EngineError::Cancelled { .. } => Status::cancelled(message),
    }
}

/// The status for an assessment whose worker task panicked or was cancelled.
pub fn task_failed(err: tokio::task::JoinError) -> Status {
    tracing::error!(error = %err, "assessment task failed");
    Status::internal(format!("assessment task failed: {err}"))
}

/// Turns a refused deployment into the status its caller receives.
pub fn deploy_status(err: DeployError) -> Status {
    let message = err.to_string();
    match &err {
        DeployError::NoScriptsDir => Status::failed_precondition(message),
        DeployError::Refused(refusal) => match refusal.as_ref() {
            Refusal::Load(_) => {
                let mut details = ErrorDetails::new();
                for d in refusal.diagnostics() {
                    details.add_bad_request_violation("source", d.to_string());
                }
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            Refusal::Cases { .. } | Refusal::Unreadable { .. } => {
                Status::failed_precondition(message)
            }
            Refusal::Stopped { why, .. } => match why {
                Stop::Deadline => Status::deadline_exceeded(message),
                Stop::Cancelled => Status::cancelled(message),
                Stop::TooSlow => Status::resource_exhausted(message),
            },
        },
        DeployError::Stale { .. } => Status::aborted(message),
        DeployError::UnknownModel(_) => Status::not_found(message),
        DeployError::BadModelId(_) => {
            let details = ErrorDetails::with_bad_request_violation("source", &message);
            Status::with_error_details(Code::InvalidArgument, message, details)
        }
        DeployError::InvalidCase { index, .. } => {
            let details =
                ErrorDetails::with_bad_request_violation(format!("cases[{index}]"), &message);
            Status::with_error_details(Code::InvalidArgument, message, details)
        }
        DeployError::TooManyCases { .. } => {
            let details = ErrorDetails::with_bad_request_violation("cases", &message);
            Status::with_error_details(Code::InvalidArgument, message, details)
        }
        DeployError::Audit { .. } => Status::failed_precondition(message),
        DeployError::Io { .. } => {
            tracing::error!(error = %message, "deployment failed on disk");
            Status::internal(message)
        }
    }
}
