//! `maturity assess --crm CRM_DIR`: derives the metrics from the export,
//! lets `--metrics` add what it cannot show (the export wins), assesses,
//! and reports after the usual report where every metric came from.

use std::fmt::Write;
use std::path::Path;

use serde_json::Value;

use super::args::AssessArgs;
use super::assess::{input_error, read_json_file, request_from_json};
use super::deploy::Bearer;
use super::derive::{derive_dir, show};
use super::{CliError, connect, load_engine, report};
use crate::engine::{AssessRequest, Assessment};
use crate::evidence::{Evidence, Merged, merge};
use crate::grpc::convert::request_to_pb;

/// Derives, merges, assesses and prints.
pub(crate) async fn run(args: AssessArgs) -> Result<(), CliError> {
    let e = &args.evidence;
    let dir = e.crm.clone().unwrap_or_default();
    let ev = derive_dir(&dir, e.as_of.as_deref(), e.mapping.as_deref())?;
    let hand = hand_request(&args)?;
    let merged = merge(&ev.metrics, &hand.metrics);
    let mut request = hand.clone();
    request.metrics = merged.metrics.clone();
    let assessment = match &args.server {
        Some(url) => {
            let mut client = connect(url).await?;
            let request = Bearer::new(args.token.as_deref())?.request(request_to_pb(request));
            Assessment::from(client.assess(request).await?.into_inner())
        }
        None => {
            let engine = load_engine(args.scripts.as_deref())?;
            // What the file says is checked as written, before the export
            // overrides any of it.
            engine.validate(&hand)?;
            engine.assess(&request)?
        }
    };
    if args.json {
        let answer = crate::grpc::pb::Assessment::from(assessment);
        let mut json = serde_json::to_value(&answer).unwrap_or_default();
        if let Value::Object(object) = &mut json {
            let sources = serde_json::json!({ "derived": ev, "merged": merged });
            object.insert("evidence".into(), sources);
        }
        outln!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        );
    } else {
        out!("{}", report::render(&assessment, args.explain));
        out!("{}", render_sources(&dir, &ev, &merged));
    }
    Ok(())
}

/// The request the metrics file describes (possibly none: then the model
/// comes from --model and the metrics from the export alone).
fn hand_request(args: &AssessArgs) -> Result<AssessRequest, CliError> {
    let path = args.metrics.as_path();
    if path.as_os_str().is_empty() {
        let model = args.model.clone().ok_or_else(|| {
            CliError::Config("--crm needs --model (or a case file given with --metrics)".into())
        })?;
        return Ok(AssessRequest {
            model,
            subject_id: args.subject.clone(),
            explain: args.explain || !args.json,
            target_rank: args.target_rank,
            ..AssessRequest::default()
        });
    }
    if path.extension().is_some_and(|e| e == "jsonl") {
        let message = "--crm assesses one organisation: --metrics must be a .json file".into();
        return Err(input_error(path, message));
    }
    let json = read_json_file(path)?;
    request_from_json(args, path, &json)
}

/// Where every metric came from: the export or the metrics file, the
/// disagreements, and what the export could not show.
fn render_sources(dir: &Path, ev: &Evidence, merged: &Merged) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nWhere the metrics came from (CRM export {}, as of {}, mapping {})",
        dir.display(),
        ev.as_of,
        ev.mapping
    );
    let _ = writeln!(out, "  {:<30} {:<8} source", "metric", "value");
    for (name, value) in &merged.metrics {
        let source = match merged.disagreements.iter().find(|d| d.metric == *name) {
            Some(d) => format!(
                "export (the metrics file said {}; the export is used)",
                show(&d.supplied)
            ),
            None if ev.metrics.contains_key(name) => "export".into(),
            None => "by hand".into(),
        };
        let _ = writeln!(out, "  {name:<30} {:<8} {source}", show(value));
    }
    let _ = writeln!(
        out,
        "  {} from the export, {} by hand, {} where they disagree",
        merged.from_evidence.len(),
        merged.by_hand.len(),
        merged.disagreements.len()
    );
    let unknown: Vec<&str> = ev
        .unknown
        .keys()
        .filter(|name| !merged.metrics.contains_key(*name))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        let _ = writeln!(out, "  The export could not show: {}", unknown.join(", "));
    }
    out
}
