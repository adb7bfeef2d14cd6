//! EvidenceService.AssessExport on the real server (127.0.0.1:0) through
//! the real client: an export in, an assessment with its provenance out;
//! bad exports and oversized ones refused with a status a platform can act
//! on.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use maturity_engine::grpc::pb::evidence_service_client::EvidenceServiceClient;
use maturity_engine::grpc::pb::{self, metric_value::Kind};
use support::start_builtin_server;
use tonic::Code;
use tonic_types::StatusExt;

fn export(names: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crm/full");
    names
        .iter()
        .map(|n| (n.to_string(), std::fs::read(dir.join(n)).unwrap()))
        .collect()
}

fn request(files: BTreeMap<String, Vec<u8>>) -> pb::AssessExportRequest {
    pb::AssessExportRequest {
        model: "five_stage".into(),
        files,
        as_of: "2025-06-30".into(),
        subject_id: "acme".into(),
        ..Default::default()
    }
}

fn number(n: f64) -> pb::MetricValue {
    pb::MetricValue {
        kind: Some(Kind::Number(n)),
    }
}

#[tokio::test]
async fn an_export_is_derived_merged_and_assessed() {
    let server = start_builtin_server().await;
    let mut client = EvidenceServiceClient::new(server.channel().await);
    let all = [
        "opportunities.csv",
        "stage_history.csv",
        "stages.csv",
        "team.csv",
        "forecasts.csv",
        "revenue.csv",
    ];
    let mut req = request(export(&all));
    req.metrics.insert("win_rate".into(), number(0.9));
    req.metrics.insert(
        "playbook_exists".into(),
        pb::MetricValue {
            kind: Some(Kind::Flag(true)),
        },
    );
    let reply = client.assess_export(req).await.unwrap().into_inner();
    let assessment = reply.assessment.unwrap();
    assert_eq!(
        (assessment.model.as_str(), assessment.subject_id.as_str()),
        ("five_stage", "acme")
    );
    assert!(
        !assessment
            .missing_metrics
            .contains(&"crm_adoption".to_owned())
    );
    let win_rate = reply
        .evidence
        .iter()
        .find(|m| m.name == "win_rate")
        .unwrap();
    // Won o1..o4, lost o5 o6 in 2024-07-01..2025-06-30 (tests/evidence.rs).
    assert_eq!(win_rate.value, Some(number(4.0 / 6.0)));
    assert_eq!(
        (win_rate.rows, win_rate.window.as_str()),
        (6, "closed 2024-07-01..2025-06-30")
    );
    assert_eq!(reply.evidence.len(), 22);
    assert_eq!(reply.supplied_by_hand, ["playbook_exists"]);
    assert_eq!(reply.disagreements.len(), 1);
    assert_eq!(reply.disagreements[0].supplied, Some(number(0.9)));
    assert_eq!(reply.as_of, "2025-06-30");
    // A value out of its metric's range is refused, even for a metric the
    // export gives and would have overridden.
    let mut bad = request(export(&all));
    bad.metrics.insert("crm_adoption".into(), number(7.0));
    let status = client.assess_export(bad).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains("metrics[crm_adoption]"),
        "{}",
        status.message()
    );
    server.stop().await;
}

#[tokio::test]
async fn what_the_export_lacks_is_unknown_with_a_reason() {
    let server = start_builtin_server().await;
    let mut client = EvidenceServiceClient::new(server.channel().await);
    let reply = client
        .assess_export(request(export(&["opportunities.csv"])))
        .await
        .unwrap()
        .into_inner();
    let reasons: BTreeMap<_, _> = reply
        .unknown
        .iter()
        .map(|u| (u.name.as_str(), u.reason.as_str()))
        .collect();
    assert_eq!(
        reasons["forecast_accuracy"],
        "the export has no forecasts.csv"
    );
    assert!(reasons.contains_key("crm_adoption"));
    assert!(
        reply
            .assessment
            .unwrap()
            .missing_metrics
            .contains(&"crm_adoption".to_owned())
    );
    server.stop().await;
}

#[tokio::test]
async fn a_bad_row_is_invalid_argument_naming_file_line_column_and_value() {
    let server = start_builtin_server().await;
    let mut client = EvidenceServiceClient::new(server.channel().await);
    let mut files = export(&["opportunities.csv"]);
    let text = String::from_utf8(files["opportunities.csv"].clone()).unwrap();
    let broken = text.replacen(",1000,", ",1,000,", 1);
    files.insert("opportunities.csv".into(), broken.into_bytes());
    let status = client.assess_export(request(files)).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    // "1,000" splits the row into one field too many.
    assert!(
        status.message().contains("opportunities.csv:2:"),
        "{}",
        status.message()
    );
    let violations = status.get_details_bad_request().unwrap().field_violations;
    assert_eq!(violations[0].field, "files[opportunities.csv]");

    let mut files = export(&["opportunities.csv"]);
    files.insert(
        "opportunities.csv".into(),
        text.replacen(",won,", ",pending,", 1).into_bytes(),
    );
    let status = client.assess_export(request(files)).await.unwrap_err();
    let violations = status.get_details_bad_request().unwrap().field_violations;
    assert!(
        violations[0]
            .description
            .starts_with("line 2, column status: \"pending\" is not a status"),
        "{violations:?}"
    );

    let mut files = export(&["opportunities.csv"]);
    files.insert("oportunities.csv".into(), Vec::new());
    let status = client.assess_export(request(files)).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status
            .message()
            .contains("oportunities.csv: not a file of the export"),
        "{}",
        status.message()
    );
    server.stop().await;
}

#[tokio::test]
async fn an_error_about_a_huge_header_is_bounded_and_never_echoes_it() {
    let server = start_builtin_server().await;
    let mut client = EvidenceServiceClient::new(server.channel().await);
    let mut files = export(&["opportunities.csv"]);
    let header = "a".repeat(300_000);
    files.insert(
        "opportunities.csv".into(),
        format!("{header}\n1\n").into_bytes(),
    );
    let status = client.assess_export(request(files)).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{}", status.message());
    assert!(
        status.message().len() <= 1024,
        "{} bytes",
        status.message().len()
    );
    assert!(
        status.details().len() <= 4096,
        "{} bytes",
        status.details().len()
    );
    server.stop().await;
}

#[tokio::test]
async fn an_export_over_the_message_limit_is_resource_exhausted() {
    let server = start_builtin_server().await;
    let mut client = EvidenceServiceClient::new(server.channel().await);
    let mut files = export(&["opportunities.csv"]);
    // The server's default limit is 4 MiB.
    files.insert("revenue.csv".into(), vec![b'x'; 5 * 1024 * 1024]);
    let status = client.assess_export(request(files)).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    server.stop().await;
}

#[tokio::test]
async fn an_export_of_too_many_files_is_refused_before_it_is_decoded() {
    let server = start_builtin_server().await;
    let mut client = EvidenceServiceClient::new(server.channel().await);
    let mut files = export(&["opportunities.csv"]);
    files.extend((0..100).map(|i| (format!("empty{i}.csv"), Vec::new())));
    let status = client.assess_export(request(files)).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(status.message(), "files: 101 exceeds the limit of 64");
    let violations = status.get_details_bad_request().unwrap().field_violations;
    assert_eq!(violations[0].field, "files");
    server.stop().await;
}

#[tokio::test]
async fn a_salesforce_export_is_read_through_its_profile() {
    let server = start_builtin_server().await;
    let mut client = EvidenceServiceClient::new(server.channel().await);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crm/salesforce");
    let files = ["opportunities.csv", "team.csv"]
        .iter()
        .map(|n| (n.to_string(), std::fs::read(dir.join(n)).unwrap()))
        .collect();
    let mut req = request(files);
    req.mapping = "salesforce".into();
    let reply = client.assess_export(req).await.unwrap().into_inner();
    let win_rate = reply
        .evidence
        .iter()
        .find(|m| m.name == "win_rate")
        .unwrap();
    assert_eq!(win_rate.value, Some(number(2.0 / 3.0)));
    // A mapping that is not TOML is the caller's mistake, named as such.
    let mut req = request(export(&["opportunities.csv"]));
    req.mapping = "[opportunities.columns\nid = 3".into();
    let status = client.assess_export(req).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.get_details_bad_request().unwrap().field_violations[0].field,
        "mapping"
    );
    // A misspelt profile is named as one, with the profiles there are.
    let mut req = request(export(&["opportunities.csv"]));
    req.mapping = "salesforcex".into();
    let status = client.assess_export(req).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status
            .message()
            .starts_with("mapping 'salesforcex': no such profile (there are salesforce, hubspot)"),
        "{}",
        status.message()
    );
    server.stop().await;
}

#[tokio::test]
async fn a_repeated_stage_order_or_snapshot_names_its_line() {
    let server = start_builtin_server().await;
    let mut client = EvidenceServiceClient::new(server.channel().await);
    let with = |file: &str, extra: &str| {
        let mut files = export(&["opportunities.csv", file]);
        files
            .get_mut(file)
            .unwrap()
            .extend_from_slice(extra.as_bytes());
        request(files)
    };
    let cases = [
        (
            with("stages.csv", "Discovery,9,10,\n"),
            "stages.csv:5: column stage: \"Discovery\" is listed twice",
        ),
        (
            with("stages.csv", "Closing,2,90,\n"),
            "stages.csv:5: column order: \"2\" is the order of another stage too",
        ),
        (
            with("forecasts.csv", "2025-Q2,2025-04-15,4000\n"),
            "is a second snapshot of the same quarter at the same time",
        ),
    ];
    for (request, expected) in cases {
        let status = client.assess_export(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().contains(expected), "{}", status.message());
    }
    server.stop().await;
}

#[tokio::test]
async fn a_derived_metric_the_model_refuses_is_the_exports_fault() {
    let server = start_builtin_server().await;
    let mut client = EvidenceServiceClient::new(server.channel().await);
    let mut files = export(&["opportunities.csv", "stages.csv"]);
    let more: String = (10..110).map(|i| format!("Step {i},{i},50,\n")).collect();
    files
        .get_mut("stages.csv")
        .unwrap()
        .extend_from_slice(more.as_bytes());
    let status = client.assess_export(request(files)).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().starts_with(
            "the export derives metrics the model refuses; check its data: \
             metrics[stages_defined]: must be in [0, 100], got 103"
        ),
        "{}",
        status.message()
    );
    let violations = status.get_details_bad_request().unwrap().field_violations;
    assert_eq!(violations[0].field, "metrics[stages_defined]");
    server.stop().await;
}
