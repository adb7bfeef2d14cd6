//! The one place engine and deployment errors become gRPC statuses, with a
//! code a caller can act on and a message naming the field, value and
//! limit.
//!
//! Every message and its details are bounded ([`MAX_MESSAGE`],
//! [`MAX_DETAILS`], at most [`MAX_VIOLATIONS`] violations listed), so an
//! error always fits in the headers a client accepts (8 KiB is common) and
//! never echoes a caller's input in full.

use std::sync::OnceLock;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::deploy::{DeployError, Refusal, Stop};
use crate::engine::{EngineError, MetricViolation};
use crate::evidence::EvidenceError;
use crate::telemetry::{Throttle, one_line};

/// The longest status message, in bytes (percent-encoded, at most three
/// times that in the header).
pub const MAX_MESSAGE: usize = 1024;
/// The largest encoded details (base64 adds a third in the header).
pub const MAX_DETAILS: usize = 2048;
/// The most violations a message lists.
pub const MAX_VIOLATIONS: usize = 10;
/// The longest field or description of one violation in the details.
const MAX_PART: usize = 256;

/// Turns an evidence error into the status a caller receives: a bad
/// export or request is INVALID_ARGUMENT with one violation per problem,
/// each naming the file (as `files[NAME]`), line, column and value.
pub fn evidence_status(err: EvidenceError) -> Status {
    let message = err.to_string();
    let whole = |field: String| [(field, message.clone())];
    match &err {
        EvidenceError::Rows { problems, .. } => {
            let violations = problems.iter().map(|p| {
                let what = format!(
                    "line {}, column {}: {:?} {}",
                    p.line, p.column, p.value, p.rule
                );
                (format!("files[{}]", p.file), what)
            });
            bad_request(Code::InvalidArgument, message.clone(), violations)
        }
        EvidenceError::MissingColumn { file, .. }
        | EvidenceError::UnknownFile { file, .. }
        | EvidenceError::MissingFile(file) => bad_request(
            Code::InvalidArgument,
            message.clone(),
            whole(format!("files[{file}]")),
        ),
        EvidenceError::Mapping { .. } => bad_request(
            Code::InvalidArgument,
            message.clone(),
            whole("mapping".into()),
        ),
        EvidenceError::AsOf(_) => bad_request(
            Code::InvalidArgument,
            message.clone(),
            whole("as_of".into()),
        ),
        EvidenceError::Io { .. } => {
            tracing::error!(error = %one_line(&message), "reading an export failed");
            status(Code::Internal, message)
        }
    }
}

/// Turns an engine error into the status a caller receives.
pub fn to_status(err: EngineError) -> Status {
    let message = err.to_string();
    match &err {
        EngineError::InvalidMetrics { violations } => invalid_metrics(violations),
        EngineError::ModelRequired { .. } => bad_request(
            Code::InvalidArgument,
            message,
            [("model".into(), "a model id is required".into())],
        ),
        EngineError::InvalidField { field, rule, .. } => bad_request(
            Code::InvalidArgument,
            message,
            [((*field).to_owned(), rule.clone())],
        ),
        EngineError::RequestTooLarge { field, .. } => {
            let violation = (field.clone(), message.clone());
            bad_request(Code::InvalidArgument, message, [violation])
        }
        EngineError::UnknownModel { .. } => status(Code::NotFound, message),
        EngineError::ScriptLimit { model, limit, .. } => {
            script_failed(model, &message, "model script stopped by the sandbox");
            // The limits a retry cannot pass are the script's fault, as a
            // script error is.
            let code = if limit.depends_on_load() {
                Code::ResourceExhausted
            } else {
                Code::Internal
            };
            status(code, message)
        }
        EngineError::Script {
            model,
            context,
            diagnostic,
        } => {
            // Where, not what: a script's error text may quote the caller's
            // values (a text it could not parse, a thrown message), which
            // the log never holds. The caller's answer says it all.
            let place = format!(
                "in {context} at {}:{}:{}",
                diagnostic.file, diagnostic.line, diagnostic.column
            );
            script_failed(model, &place, "model script failed");
            status(Code::Internal, message)
        }
        EngineError::DeadlineExceeded { .. } => status(Code::DeadlineExceeded, message),
        EngineError::Cancelled { .. } => status(Code::Cancelled, message),
    }
}

/// An assessment's refusal of metrics an export derived, rather than ones
/// the caller sent, said to be the export's: its data is what to check.
pub fn blame_export(status: Status, derived: &[String]) -> Status {
    let names_derived = derived
        .iter()
        .any(|metric| status.message().contains(&format!("metrics[{metric}]")));
    if status.code() != Code::InvalidArgument || !names_derived {
        return status;
    }
    let message = format!(
        "the export derives metrics the model refuses; check its data: {}",
        status.message()
    );
    let details = prost::bytes::Bytes::copy_from_slice(status.details());
    Status::with_details(
        Code::InvalidArgument,
        truncate(&message, MAX_MESSAGE),
        details,
    )
}

/// The status for an assessment whose worker task panicked or was cancelled.
pub fn task_failed(err: tokio::task::JoinError) -> Status {
    tracing::error!(error = %err, "assessment task failed");
    status(Code::Internal, format!("assessment task failed: {err}"))
}

/// Turns a refused deployment into the status its caller receives.
pub fn deploy_status(err: DeployError) -> Status {
    let message = err.to_string();
    match &err {
        DeployError::NoScriptsDir => status(Code::FailedPrecondition, message),
        DeployError::Refused(refusal) => refusal_status(refusal, message),
        DeployError::Stale { .. } | DeployError::UnseenEdit { .. } => {
            status(Code::Aborted, message)
        }
        DeployError::UnknownModel(_) => status(Code::NotFound, message),
        DeployError::NotKept { .. } => {
            let violation = ("script_sha256".into(), message.clone());
            bad_request(Code::FailedPrecondition, message, [violation])
        }
        DeployError::NotASha256 { field, .. } => {
            let violation = ((*field).to_owned(), message.clone());
            bad_request(Code::InvalidArgument, message, [violation])
        }
        DeployError::FileServesAnother { .. } => {
            let violation = ("source".into(), message.clone());
            bad_request(Code::FailedPrecondition, message, [violation])
        }
        DeployError::BadModelId { .. } => {
            let violation = ("source".into(), message.clone());
            bad_request(Code::InvalidArgument, message, [violation])
        }
        DeployError::InvalidCase { index, .. } => {
            let violation = (format!("cases[{index}]"), message.clone());
            bad_request(Code::InvalidArgument, message, [violation])
        }
        DeployError::TooManyCases { .. } => {
            let violation = ("cases".into(), message.clone());
            bad_request(Code::InvalidArgument, message, [violation])
        }
        DeployError::FileNameTooLong { .. } => {
            let violation = ("file_name".into(), message.clone());
            bad_request(Code::InvalidArgument, message, [violation])
        }
        DeployError::Audit { .. } => status(Code::FailedPrecondition, message),
        DeployError::Io { .. } => {
            tracing::error!(error = %one_line(&message), "deployment failed on disk");
            status(Code::Internal, message)
        }
    }
}

fn refusal_status(refusal: &Refusal, message: String) -> Status {
    match refusal {
        Refusal::Load(_) => {
            let diagnostics = refusal.diagnostics();
            let violations = diagnostics
                .iter()
                .map(|d| ("source".to_owned(), d.to_string()));
            bad_request(Code::InvalidArgument, message, violations)
        }
        Refusal::Cases { .. } | Refusal::Unreadable { .. } => {
            status(Code::FailedPrecondition, message)
        }
        Refusal::Stopped { why, .. } => match why {
            Stop::Deadline => status(Code::DeadlineExceeded, message),
            Stop::Cancelled => status(Code::Cancelled, message),
            Stop::TooSlow => status(Code::ResourceExhausted, message),
        },
    }
}

/// INVALID_ARGUMENT listing the first violations (as many as fit in the
/// message, at most [`MAX_VIOLATIONS`]), and how many more there are.
fn invalid_metrics(violations: &[MetricViolation]) -> Status {
    // Room for "; and N more" after the violations listed.
    let room = MAX_MESSAGE - 32;
    let mut message = String::new();
    let mut listed = Vec::new();
    for v in violations.iter().take(MAX_VIOLATIONS) {
        let field = format!("metrics[{}]", truncate(&v.metric, 64));
        let part = format!("{field}: {}", truncate(&v.rule, MAX_PART));
        if message.len() + part.len() + 2 > room {
            break;
        }
        if !message.is_empty() {
            message.push_str("; ");
        }
        message.push_str(&part);
        listed.push((field, v.rule.clone()));
    }
    let more = violations.len() - listed.len();
    if more > 0 {
        message.push_str(&format!("; and {more} more"));
        listed.push(("metrics".into(), format!("and {more} more violations")));
    }
    bad_request(Code::InvalidArgument, message, listed)
}

/// A status with BadRequest details listing `violations`, as many as fit
/// in [`MAX_DETAILS`].
fn bad_request(
    code: Code,
    message: String,
    violations: impl IntoIterator<Item = (String, String)>,
) -> Status {
    let mut details = ErrorDetails::new();
    let mut size = 0;
    for (field, description) in violations {
        let (field, description) = (truncate(&field, MAX_PART), truncate(&description, MAX_PART));
        // Each violation costs its text and a few bytes of framing.
        size += field.len() + description.len() + 8;
        if size > MAX_DETAILS {
            break;
        }
        details.add_bad_request_violation(field, description);
    }
    Status::with_error_details(code, truncate(&message, MAX_MESSAGE), details)
}

/// A status whose message is bounded.
fn status(code: Code, message: String) -> Status {
    Status::new(code, truncate(&message, MAX_MESSAGE))
}

/// `text` cut to at most `max` bytes at a character boundary, marked with
/// an ellipsis when cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let ellipsis = "…";
    let mut cut = max - ellipsis.len();
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{ellipsis}", &text[..cut])
}

/// Logs a model's run-time failure: any caller can cause one with its
/// input, so at most one line per model every few seconds.
fn script_failed(model: &str, message: &str, what: &str) {
    static THROTTLE: OnceLock<Throttle> = OnceLock::new();
    let throttle = THROTTLE.get_or_init(Throttle::new);
    if let Some(left_out) = throttle.allow(model) {
        tracing::warn!(
            model = %one_line(model),
            error = %one_line(message),
            left_out,
            "{what} (input or script; one line per model every {}s, `left_out` since the last)",
            crate::telemetry::THROTTLE.as_secs()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SandboxLimit;

    #[test]
    fn only_the_time_limit_is_worth_a_retry() {
        let stopped = |limit| {
            to_status(EngineError::ScriptLimit {
                model: "m".into(),
                context: "criterion 'c'".into(),
                limit,
                max: "1".into(),
            })
            .code()
        };
        assert_eq!(stopped(SandboxLimit::Time), Code::ResourceExhausted);
        for limit in [
            SandboxLimit::Operations,
            SandboxLimit::CallDepth,
            SandboxLimit::DataSize,
        ] {
            assert_eq!(stopped(limit), Code::Internal, "{limit}");
        }
    }

    #[test]
    fn long_lists_of_violations_are_bounded() {
        let violations: Vec<MetricViolation> = (0..300_000)
            .map(|i| MetricViolation {
                metric: format!("m{i}"),
                rule: "no value set: give a number, flag or text".into(),
            })
            .collect();
        let status = to_status(EngineError::InvalidMetrics { violations });
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(
            status.message().ends_with("; and 299990 more"),
            "{}",
            status.message()
        );
        assert!(status.message().len() <= MAX_MESSAGE);
        assert!(status.details().len() <= MAX_DETAILS + 64);
        let details = status.get_error_details();
        assert_eq!(details.bad_request().unwrap().field_violations.len(), 11);
    }

    #[test]
    fn messages_are_cut_at_a_character_boundary() {
        let cut = truncate(&"é".repeat(2000), MAX_MESSAGE);
        assert!(cut.len() <= MAX_MESSAGE && cut.ends_with('…'));
        assert_eq!(truncate("short", MAX_MESSAGE), "short");
    }
}
