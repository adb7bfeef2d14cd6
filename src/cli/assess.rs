//! `maturity assess`: one organisation from a JSON file, assessed locally or
//! by a running server, printed as a report or as JSON (an Assessment in
//! the proto3 JSON mapping, as the HTTP API and grpcurl print it).

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::args::AssessArgs;
use super::deploy::Bearer;
use super::{CliError, connect, load_engine, report};
use crate::engine::cases::Expectation;
use crate::engine::{AssessRequest, Assessment, MetricValue, Metrics, View};
use crate::grpc::convert::{request_from_pb, request_to_pb};
use crate::grpc::json_input;
use crate::grpc::pb;

/// Runs the assessment and prints it; a `.jsonl` file is streamed to the
/// server, one organisation per line.
pub(crate) async fn run(mut args: AssessArgs) -> Result<(), CliError> {
    if let Some(file) = args.file.take() {
        args.metrics = file;
    }
    if args.evidence.crm.is_some() {
        return super::crm::run(args).await;
    }
    if args.metrics.as_os_str().is_empty() {
        return Err(CliError::Config(
            "pass a FILE (or --metrics FILE) or --crm CRM_DIR".into(),
        ));
    }
    if args.metrics.extension().is_some_and(|e| e == "jsonl") {
        return super::stream::run(&args).await;
    }
    let json = args.json;
    match assess_one(args).await {
        Err(err) if json => Err(print_error_json(err)),
        done => done,
    }
}

/// With --json a refused assessment is printed as the API's JSON prints an
/// error, `{"code", "message", "details"}`, so a script reads one shape
/// whether the call succeeded or not; the error still sets the exit status.
fn print_error_json(err: CliError) -> CliError {
    let status = match err {
        CliError::Status(status) => status,
        CliError::Engine(engine) => crate::grpc::status::to_status(engine),
        err @ (CliError::Input { .. } | CliError::Read { .. }) => {
            tonic::Status::invalid_argument(err.to_string())
        }
        err @ CliError::Connect { .. } => tonic::Status::unavailable(err.to_string()),
        other => return other,
    };
    let json = crate::grpc::json::status_json(&status);
    let text = serde_json::to_string_pretty(&json).unwrap_or_default();
    if let Err(closed) = super::output::write_line(format_args!("{text}")) {
        return closed;
    }
    CliError::Failed(status.message().to_owned())
}

/// Assesses the one organisation of a .json file and prints the answer.
async fn assess_one(args: AssessArgs) -> Result<(), CliError> {
    let request = read_request(&args)?;
    let (assessment, served) = match &args.server {
        Some(url) => {
            let request = Bearer::new(args.token.as_deref())?.request(request_to_pb(request));
            let served = connect(url).await?.assess(request).await?.into_inner();
            (Assessment::from(served.clone()), Some(served))
        }
        None => (
            load_engine(args.scripts.as_deref())?.assess(&request)?,
            None,
        ),
    };
    if args.json {
        // The API's own JSON: a server's answer as it came (with its id and
        // time), a local one in the same mapping.
        let answer = served.unwrap_or_else(|| pb::Assessment::from(assessment));
        outln!(
            "{}",
            serde_json::to_string_pretty(&answer).unwrap_or_default()
        );
    } else {
        out!("{}", report::render(&assessment, args.explain));
    }
    Ok(())
}

fn read_request(args: &AssessArgs) -> Result<AssessRequest, CliError> {
    let path = args.metrics.as_path();
    request_from_json(args, path, &read_json_file(path)?)
}

/// The JSON document in the file at `path`, a leading byte-order mark
/// skipped.
pub(crate) fn read_json_file(path: &Path) -> Result<Value, CliError> {
    let text = std::fs::read(path).map_err(|source| CliError::Read {
        path: path.into(),
        source,
    })?;
    json_input::parse(&text).map_err(|e| input_error(path, e.to_string()))
}

/// The request a JSON object describes: an object of metrics, or a case
/// file with "metrics" (and "model").
pub(crate) fn request_from_json(
    args: &AssessArgs,
    path: &Path,
    json: &Value,
) -> Result<AssessRequest, CliError> {
    let mut request = organisation_from_json(path, json, args.model.as_deref())?;
    if !args.subject.is_empty() {
        request.subject_id.clone_from(&args.subject);
    }
    // The text report always shows thresholds and levers; JSON carries them
    // only when asked, as the API does.
    request.explain |= args.explain || !args.json;
    if args.target_rank != 0 {
        request.target_rank = args.target_rank;
    }
    if let Some(view) = args.view {
        request.view = view.into();
    }
    Ok(request)
}

/// One organisation from JSON: an object of metrics, or an AssessRequest
/// in its proto3 JSON mapping (a line of a portfolio, a decision log's
/// request) that may carry a case file's `name`, `why` and `expect`, so a
/// case file is one too. A metric's value is plain (0.6, true, "text") or a
/// MetricValue's mapping ({"number": 0.6}). `model` (a flag) wins over the
/// file's; a case's `name` is the subject when `subjectId` is absent.
/// docs/schema/metrics.schema.json is the format's JSON Schema.
pub(crate) fn organisation_from_json(
    path: &Path,
    json: &Value,
    model: Option<&str>,
) -> Result<AssessRequest, CliError> {
    // A request names its metrics, or, with none supplied (as a decision
    // log records such a request), at least its model.
    let Some(object) = json.as_object().filter(|o| match o.get("metrics") {
        Some(metrics) => metrics.is_object(),
        None => o.get("model").is_some_and(Value::is_string),
    }) else {
        return plain_organisation(path, json, model);
    };
    let text = |key: &str| match object.get(key) {
        None | Some(Value::String(_)) => Ok(()),
        Some(other) => Err(input_error(
            path,
            format!("{key}: expected a string, got {other}"),
        )),
    };
    text("name")?;
    text("why")?;
    if let Some(expect) = object.get("expect") {
        Expectation::deserialize(expect).map_err(|e| input_error(path, format!("expect: {e}")))?;
    }
    // The metrics are read apart (so a bad value is named by its metric),
    // and never copied: a portfolio may hold a million of these.
    let metrics = match object.get("metrics") {
        Some(metrics) => read_metrics(path, metrics)?,
        None => Metrics::new(),
    };
    let rest: serde_json::Map<String, Value> = object
        .iter()
        .filter(|(key, _)| !matches!(key.as_str(), "name" | "why" | "expect" | "metrics"))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let request: pb::AssessRequest = serde_json::from_value(Value::Object(rest))
        .map_err(|e| input_error(path, format!("not an AssessRequest: {e}")))?;
    let mut request = request_from_pb(request).map_err(|e| input_error(path, e.to_string()))?;
    request.metrics = metrics;
    // The view is the command's to choose (`assess --view`): diff, replay,
    // case add and the report need the whole answer whatever was logged.
    request.view = View::Full;
    if let Some(model) = model {
        request.model = model.to_owned();
    }
    if request.model.is_empty() {
        return Err(no_model(path));
    }
    if request.subject_id.is_empty() {
        let name = object
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        request.subject_id = name.to_owned();
    }
    Ok(request)
}

/// An organisation written as a plain object of metrics.
fn plain_organisation(
    path: &Path,
    json: &Value,
    model: Option<&str>,
) -> Result<AssessRequest, CliError> {
    Ok(AssessRequest {
        model: model.ok_or_else(|| no_model(path))?.to_owned(),
        metrics: read_metrics(path, json)?,
        subject_id: String::new(),
        explain: false,
        target_rank: 0,
        view: Default::default(),
    })
}

fn no_model(path: &Path) -> CliError {
    input_error(
        path,
        "no model given: pass --model or use a file with a \"model\" field".into(),
    )
}

fn read_metrics(path: &Path, json: &Value) -> Result<Metrics, CliError> {
    let Value::Object(object) = json else {
        return Err(input_error(
            path,
            "expected a JSON object of metric name to value".into(),
        ));
    };
    let mut metrics = Metrics::new();
    for (name, value) in object {
        let value = match value {
            Value::Bool(b) => MetricValue::Flag(*b),
            Value::String(s) => MetricValue::Text(s.clone()),
            Value::Number(n) => MetricValue::Number(n.as_f64().unwrap_or(f64::NAN)),
            // The proto3 JSON mapping of a MetricValue.
            Value::Object(kind) if kind.len() == 1 => match kind.iter().next() {
                Some((key, Value::Number(n))) if key == "number" => {
                    MetricValue::Number(n.as_f64().unwrap_or(f64::NAN))
                }
                Some((key, Value::Bool(b))) if key == "flag" => MetricValue::Flag(*b),
                Some((key, Value::String(s))) if key == "text" => MetricValue::Text(s.clone()),
                _ => {
                    return Err(input_error(
                        path,
                        format!(
                            "metrics[{name}]: expected {{\"number\": N}}, {{\"flag\": B}} or {{\"text\": S}}, got {value}"
                        ),
                    ));
                }
            },
            other => {
                return Err(input_error(
                    path,
                    format!(
                        "metrics[{name}]: expected a number, true/false or a string, got {other}"
                    ),
                ));
            }
        };
        metrics.insert(name.clone(), value);
    }
    Ok(metrics)
}

pub(crate) fn input_error(path: &Path, message: String) -> CliError {
    CliError::Input {
        path: path.into(),
        message,
    }
}
