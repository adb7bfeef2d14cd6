//! `maturity assess`: one organisation from a JSON file, assessed locally or
//! by a running server, printed as a report or as JSON (an Assessment in
//! the proto3 JSON mapping, as the HTTP API and grpcurl print it).

use std::path::Path;

use serde_json::Value;

use super::args::AssessArgs;
use super::{CliError, connect, load_engine, report};
use crate::engine::{AssessRequest, Assessment, MetricValue, Metrics};
use crate::grpc::convert::request_to_pb;
use crate::grpc::pb;

/// Runs the assessment and prints it; a `.jsonl` file is streamed to the
/// server, one organisation per line.
pub(crate) async fn run(args: AssessArgs) -> Result<(), CliError> {
    if args.evidence.crm.is_some() {
        return super::crm::run(args).await;
    }
    if args.metrics.as_os_str().is_empty() {
        return Err(CliError::Config(
            "pass --metrics FILE or --crm CRM_DIR".into(),
        ));
    }
    if args.metrics.extension().is_some_and(|e| e == "jsonl") {
        return super::stream::run(&args).await;
    }
    let request = read_request(&args)?;
    let (assessment, served) = match &args.server {
        Some(url) => {
            let mut client = connect(url).await?;
            let served = client.assess(request_to_pb(request)).await?.into_inner();
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
        println!(
            "{}",
            serde_json::to_string_pretty(&answer).unwrap_or_default()
        );
    } else {
        print!("{}", report::render(&assessment, args.explain));
    }
    Ok(())
}

fn read_request(args: &AssessArgs) -> Result<AssessRequest, CliError> {
    let path = args.metrics.as_path();
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.into(),
        source,
    })?;
    let json: Value = serde_json::from_str(&text).map_err(|e| input_error(path, e.to_string()))?;
    request_from_json(args, path, &json)
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
    request.explain = args.explain || !args.json;
    request.target_rank = args.target_rank;
    Ok(request)
}

/// One organisation from JSON: an object of metrics, or an object with
/// "metrics" and, optionally, "model" and a "subject_id" (or "subjectId")
/// or "name" (a case file, a line of a portfolio, an AssessRequest in its
/// proto3 JSON mapping). A metric's value is plain (0.6, true, "text") or
/// a MetricValue's mapping ({"number": 0.6}). `model` (a flag) wins over
/// the file's.
pub(crate) fn organisation_from_json(
    path: &Path,
    json: &Value,
    model: Option<&str>,
) -> Result<AssessRequest, CliError> {
    // A case file carries its metrics (and model) under keys of its own.
    let (metrics, file_model) = match json.get("metrics") {
        Some(Value::Object(_)) => (&json["metrics"], json.get("model").and_then(Value::as_str)),
        _ => (json, None),
    };
    let model = model.or(file_model).ok_or_else(|| {
        input_error(
            path,
            "no model given: pass --model or use a case file with a \"model\" field".into(),
        )
    })?;
    let subject = ["subject_id", "subjectId", "name"]
        .iter()
        .find_map(|key| json.get(*key).and_then(Value::as_str))
        .filter(|_| file_model.is_some() || json.get("metrics").is_some())
        .unwrap_or_default();
    Ok(AssessRequest {
        model: model.to_owned(),
        metrics: read_metrics(path, metrics)?,
        subject_id: subject.to_owned(),
        explain: false,
        target_rank: 0,
        view: Default::default(),
    })
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
