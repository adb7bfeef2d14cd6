//! The proto3 JSON mapping of the API, where the generated serde impls
//! (pbjson, see build.rs) stop: the error shape, the one message that
//! carries a google.rpc.Status, and plain metric values read for
//! convenience.
//!
//! An error is `{"code": "INVALID_ARGUMENT", "message": "...", "details":
//! [{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations":
//! [...]}]}`: the status code by name, as gRPC's JSON tools print it.

use prost::Message;
use serde::de::IgnoredAny;
use serde::ser::SerializeStruct;
use serde_json::{Map, Value, json};
use tonic::{Code, Status};
use tonic_types::pb::BadRequest;

use super::status::to_status;
use super::{json_input, pb};
use crate::engine::{EngineError, MAX_METRICS, MetricViolation};

/// The name of a gRPC status code, as the proto3 JSON mapping spells the
/// enum `google.rpc.Code` (e.g. `INVALID_ARGUMENT`).
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// A status in the JSON error shape, its details decoded.
pub fn status_json(status: &Status) -> Value {
    let details = tonic_types::pb::Status::decode(status.details()).unwrap_or_default();
    rpc_status_json(
        Code::from_i32(status.code() as i32),
        status.message(),
        &details.details,
    )
}

/// A google.rpc.Status in the JSON error shape.
fn rpc_status_json(code: Code, message: &str, details: &[prost_types::Any]) -> Value {
    let details: Vec<Value> = details.iter().map(any_json).collect();
    json!({ "code": code_name(code), "message": message, "details": details })
}

/// One detail of a status: a google.rpc.BadRequest in its JSON mapping,
/// anything else by its type alone.
fn any_json(any: &prost_types::Any) -> Value {
    let mut out = Map::new();
    out.insert("@type".into(), Value::String(any.type_url.clone()));
    if any.type_url.ends_with("/google.rpc.BadRequest") {
        if let Ok(bad) = BadRequest::decode(any.value.as_slice()) {
            let violations: Vec<Value> = bad
                .field_violations
                .iter()
                .map(|v| json!({ "field": v.field, "description": v.description }))
                .collect();
            out.insert("fieldViolations".into(), Value::Array(violations));
        }
    }
    Value::Object(out)
}

impl serde::Serialize for pb::AssessStreamResponse {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use pb::assess_stream_response::Outcome;
        let mut map = serializer.serialize_struct("AssessStreamResponse", 2)?;
        if !self.request_id.is_empty() {
            map.serialize_field("requestId", &self.request_id)?;
        }
        match &self.outcome {
            Some(Outcome::Assessment(assessment)) => {
                map.serialize_field("assessment", assessment)?;
            }
            Some(Outcome::Error(status)) => {
                let error = rpc_status_json(
                    Code::from_i32(status.code),
                    &status.message,
                    &status.details,
                );
                map.serialize_field("error", &error)?;
            }
            None => {}
        }
        map.end()
    }
}

/// Reads an AssessRequest from its proto3 JSON, where a metric's value may
/// also be written plainly: `"crm_adoption": 0.6` for `{"number": 0.6}`,
/// `true` for `{"flag": true}`, `"text"` for `{"text": "text"}`.
#[allow(clippy::result_large_err)]
pub fn assess_request_from_json(text: &[u8]) -> Result<pb::AssessRequest, Status> {
    refuse_too_many_metrics(without_bom(text))?;
    let mut value = json_input::parse(text)
        .map_err(|e| Status::invalid_argument(format!("request is not JSON: {e}")))?;
    json_input::defaults_made_plain(&mut value);
    plain_metrics_to_canonical(&mut value);
    refuse_mixed_metric_values(&value)?;
    <pb::AssessRequest as serde::Deserialize>::deserialize(&value).map_err(|e| {
        // The generated readers' own wording doubles serde's ("expected
        // expected one of").
        let mut reason = e.to_string().replace("expected expected ", "expected ");
        // How the generated readers refuse an integer field's value.
        if reason.starts_with("data did not match any variant of untagged enum") {
            reason = "expected an integer".into();
        }
        let field = misread_field(value).map_or(String::new(), |f| format!("{f}: "));
        Status::invalid_argument(format!("request is not an AssessRequest: {field}{reason}"))
    })
}

/// The first field of an AssessRequest's JSON that the generated reader
/// refuses on its own, e.g. `targetRank` or `metrics[crm_adoption]`: the
/// readers' errors do not say where (an integer written as 2.5 is "data
/// did not match any variant of untagged enum"). Only ever called on a
/// request already refused, so the retries cost nothing when all is well.
fn misread_field(request: serde_json::Value) -> Option<String> {
    use serde_json::{Map, Value};
    let Value::Object(fields) = request else {
        return None;
    };
    let refused = |name: &str, value: Value| {
        let alone = Value::Object(Map::from_iter([(name.to_owned(), value)]));
        serde_json::from_value::<pb::AssessRequest>(alone).is_err()
    };
    let (name, value) = fields
        .into_iter()
        .find(|(name, value)| refused(name, value.clone()))?;
    if let Value::Object(metrics) = value {
        let metric = metrics.into_iter().find(|(metric, entry)| {
            refused(
                &name,
                Value::Object(Map::from_iter([(metric.clone(), entry.clone())])),
            )
        });
        if let Some((metric, _)) = metric {
            return Some(format!("{name}[{metric}]"));
        }
    }
    Some(name)
}

/// `text` without a leading UTF-8 byte-order mark, which editors on
/// Windows write and JSON readers refuse as a value.
pub fn without_bom(text: &[u8]) -> &[u8] {
    text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text)
}

/// INVALID_ARGUMENT when the request's `metrics` object has more entries
/// than the limit, counted in a pass that keeps none of them: a tiny entry
/// takes a few bytes of JSON and about a hundred once read into a tree, as
/// on the gRPC wire (see `codec`). Malformed JSON is left to the real read.
#[allow(clippy::result_large_err)]
fn refuse_too_many_metrics(text: &[u8]) -> Result<(), Status> {
    // A small body cannot cost much however it is split, and the count is
    // checked again once it is read: only a large one pays a second pass.
    if text.len() < COUNTED_FROM {
        return Ok(());
    }
    let Ok(MetricCount { metrics }) = serde_json::from_slice::<MetricCount>(text) else {
        return Ok(());
    };
    if metrics.0 <= MAX_METRICS {
        return Ok(());
    }
    Err(to_status(EngineError::RequestTooLarge {
        field: "metrics".into(),
        actual: metrics.0,
        limit: MAX_METRICS,
    }))
}

/// The body size from which metrics are counted before the body is read.
const COUNTED_FROM: usize = 64 * 1024;

/// An AssessRequest in JSON, read only for the size of its `metrics`.
#[derive(serde::Deserialize)]
struct MetricCount {
    #[serde(default)]
    metrics: EntryCount,
}

/// The number of entries of a JSON object, none of them kept.
#[derive(Default)]
struct EntryCount(usize);

impl<'de> serde::Deserialize<'de> for EntryCount {
    fn deserialize<D: serde::Deserializer<'de>>(reader: D) -> Result<Self, D::Error> {
        struct Counter;
        impl<'de> serde::de::Visitor<'de> for Counter {
            type Value = EntryCount;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<EntryCount, M::Error> {
                let mut count = 0;
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
                    count += 1;
                }
                Ok(EntryCount(count))
            }
        }
        reader.deserialize_map(Counter)
    }
}

/// A MetricValue that sets more than one of number, flag and text, named
/// by its metric as every other bad value is (the generated reader would
/// only say "duplicate field").
#[allow(clippy::result_large_err)]
fn refuse_mixed_metric_values(request: &Value) -> Result<(), Status> {
    let Some(Value::Object(metrics)) = request.get("metrics") else {
        return Ok(());
    };
    let violations: Vec<MetricViolation> = metrics
        .iter()
        .filter(|(_, value)| value.as_object().is_some_and(|kind| kind.len() > 1))
        .map(|(name, _)| MetricViolation {
            metric: name.clone(),
            rule: "a value holds exactly one of number, flag or text".into(),
        })
        .collect();
    match violations.is_empty() {
        true => Ok(()),
        false => Err(to_status(EngineError::InvalidMetrics { violations })),
    }
}

/// Rewrites plain metric values of an AssessRequest's `metrics` object into
/// the canonical MetricValue objects; leaves everything else as it is.
pub fn plain_metrics_to_canonical(request: &mut Value) {
    let Some(Value::Object(metrics)) = request.get_mut("metrics") else {
        return;
    };
    for value in metrics.values_mut() {
        let key = match value {
            Value::Number(_) => "number",
            Value::Bool(_) => "flag",
            Value::String(_) => "text",
            _ => continue,
        };
        *value = json!({ key: value.take() });
    }
}

/// Serializes `value` as one line of JSON: the generated serde impls never
/// fail, so this cannot either.
pub fn to_json_line<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| {
        json!({ "code": "INTERNAL", "message": format!("cannot write JSON: {e}"), "details": [] })
            .to_string()
    })
}
