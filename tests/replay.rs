//! Replayable decisions: a server asked to keep whole requests logs each in
//! its proto3 JSON mapping with the answer's id, time, level, ceiling and
//! score; `maturity replay` re-assesses them on a scripts directory and
//! says what changed.

#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use maturity_engine::deploy::Catalog;
use maturity_engine::grpc::ServeOptions;
use maturity_engine::grpc::pb::metric_value::Kind;
use maturity_engine::telemetry::DecisionLog;
use support::bin::{maturity, scratch};
use support::{custom_model, engine_with, one_metric};

/// The lines of the decision log at `path` once it holds `count`: the log
/// is written by its own thread, off the request path.
fn logged(path: &Path, count: usize) -> Vec<serde_json::Value> {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().count() >= count {
            return text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
        }
        assert!(start.elapsed() < Duration::from_secs(20), "log: {text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A scripts directory holding model `gate` whose criterion is `check`.
fn scripts(name: &str, check: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    std::fs::write(dir.join("gate.rhai"), custom_model("gate", check, "").text).unwrap();
    dir
}

#[tokio::test]
async fn a_logged_request_replays_and_a_changed_threshold_shows() {
    let dir = scratch("replay-log");
    let log_path = dir.join("decisions.jsonl");
    let log = DecisionLog::open(&log_path).unwrap().with_requests(true);
    let engine = engine_with(&[custom_model("gate", "|m| m.x >= 0.5", "")]);
    let options = ServeOptions {
        decisions: Some(log),
        ..Default::default()
    };
    let server = support::http::start_http_server(Arc::new(Catalog::fixed(engine)), options).await;
    let mut client = server.grpc.client().await;
    let mut request = one_metric("gate", "x", Kind::Number(0.6));
    request.subject_id = "acme".into();
    let answer = client.assess(request).await.unwrap().into_inner();
    // Over HTTP, with the value written plainly: logged in the mapping.
    let body = r#"{"subjectId": "globex", "metrics": {"x": 0.55}}"#;
    let over_http =
        support::http::call(&server.http, "POST", "/v1/models/gate:assess", &[], body).await;
    assert_eq!(over_http.status, 200);
    server.grpc.stop().await;

    let lines = logged(&log_path, 2);
    let first = &lines[0];
    assert_eq!(first["assessmentId"], answer.assessment_id.as_str());
    assert_eq!(first["evaluatedAt"], answer.evaluated_at.as_str());
    assert_eq!(first["level"]["rank"], 2);
    assert_eq!(first["ceiling"]["rank"], 2);
    assert_eq!(first["score"], answer.score);
    assert_eq!(first["request"]["subjectId"], "acme");
    assert_eq!(
        first["request"]["metrics"]["x"],
        serde_json::json!({ "number": 0.6 })
    );
    assert_eq!(
        lines[1]["request"]["metrics"]["x"],
        serde_json::json!({ "number": 0.55 })
    );

    // The same script: nothing changed, exit 0.
    let same = scripts("replay-same", "|m| m.x >= 0.5");
    let log_arg = log_path.to_str().unwrap();
    let output = maturity(&["replay", log_arg, "--scripts", same.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("2 organisations: 0 moved up, 0 moved down"),
        "{text}"
    );

    // A stricter threshold: acme and globex fall a level, exit 1.
    let stricter = scripts("replay-stricter", "|m| m.x >= 0.7");
    let output = maturity(&[
        "replay",
        log_arg,
        "--scripts",
        stricter.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["movedDown"], 2, "{report}");
    assert_eq!(report["changes"][0]["subject"], "acme");
    assert_eq!(report["changes"][0]["before"]["level"], 2);
    assert_eq!(report["changes"][0]["after"]["level"], 1);
    // The log keeps no criteria: no claim that none flipped.
    assert!(report["changes"][0].get("flipped").is_none(), "{report}");
}

#[test]
fn a_log_without_requests_says_how_to_record_them() {
    let dir = scratch("replay-no-requests");
    let log = dir.join("decisions.jsonl");
    std::fs::write(
        &log,
        r#"{"assessmentId": "a", "model": "gate", "level": {"rank": 2}, "ceiling": {"rank": 2}, "score": 2.0}"#,
    )
    .unwrap();
    let same = scripts("replay-no-requests-scripts", "|m| m.x >= 0.5");
    let output = maturity(&[
        "replay",
        log.to_str().unwrap(),
        "--scripts",
        same.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--decision-log-requests"), "{stderr}");
}

#[test]
fn diff_over_a_log_skips_decisions_recorded_without_their_request() {
    let dir = scratch("diff-log-mixed");
    let log = dir.join("decisions.jsonl");
    let without = r#"{"assessmentId": "a", "model": "gate", "level": {"rank": 2}, "ceiling": {"rank": 2}, "score": 2.0}"#;
    let with = r#"{"assessmentId": "b", "model": "gate", "level": {"rank": 2}, "ceiling": {"rank": 2}, "score": 2.0, "request": {"model": "gate", "subjectId": "acme", "metrics": {"x": {"number": 0.6}}}}"#;
    std::fs::write(&log, format!("{without}\n{with}\n")).unwrap();
    let old = scripts("diff-log-old", "|m| m.x >= 0.5").join("gate.rhai");
    let new = scripts("diff-log-new", "|m| m.x >= 0.7").join("gate.rhai");
    let output = maturity(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--orgs",
        log.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["organisations"], 1, "{report}");
    assert_eq!(report["summary"]["movedDown"], 1, "{report}");
    assert_eq!(report["summary"]["skipped"], 1, "{report}");
    assert_eq!(report["changes"][0]["subject"], "acme");
}

#[test]
fn a_logged_request_without_metrics_replays_as_the_request_it_is() {
    let dir = scratch("replay-no-metrics");
    let log = dir.join("decisions.jsonl");
    // A request that supplied nothing: the log records its model alone.
    std::fs::write(
        &log,
        r#"{"assessmentId": "a", "model": "gate", "level": {"rank": 1}, "ceiling": {"rank": 2}, "score": 1.0, "request": {"model": "gate", "subjectId": "blank"}}"#,
    )
    .unwrap();
    let same = scripts("replay-no-metrics-scripts", "|m| m.x >= 0.5");
    let output = maturity(&[
        "replay",
        log.to_str().unwrap(),
        "--scripts",
        same.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        text.contains("1 organisations: 0 moved up, 0 moved down"),
        "{text}"
    );
}
