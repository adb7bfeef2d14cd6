//! Pinned versions: a server keeps the last few versions of each model, a
//! request may pin one by its script hash during a rollout, and a hash
//! neither serving nor kept is FAILED_PRECONDITION naming both.

#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::sync::Arc;

use maturity_engine::deploy::Catalog;
use maturity_engine::engine::Limits;
use maturity_engine::grpc::ServeOptions;
use maturity_engine::grpc::pb;
use maturity_engine::grpc::pb::metric_value::Kind;
use support::bin::scratch;
use support::{custom_model, one_metric};
use tonic::Code;

/// Writes model `gate` passing rank 2 when `x >= threshold`, with a case
/// every version passes.
fn write_gate(dir: &Path, threshold: f64) {
    let check = format!("|m| m.x >= {threshold:?}");
    std::fs::write(dir.join("gate.rhai"), custom_model("gate", &check, "").text).unwrap();
    let case = r#"{"name": "high", "model": "gate", "metrics": {"x": 0.95}, "expect": {"rank": 2, "level_id": "high"}}"#;
    std::fs::create_dir_all(dir.join("tests/gate")).unwrap();
    std::fs::write(dir.join("tests/gate/high.json"), case).unwrap();
}

fn pinned(x: f64, sha: &str) -> pb::AssessRequest {
    pb::AssessRequest {
        script_sha256: sha.to_owned(),
        ..one_metric("gate", "x", Kind::Number(x))
    }
}

#[tokio::test]
async fn a_request_pins_a_kept_version_during_a_rollout() {
    let dir = scratch("pinning");
    write_gate(&dir, 0.5);
    let (catalog, _) = Catalog::open(dir.clone(), Limits::default(), None).unwrap();
    let catalog = Arc::new(catalog);
    let server =
        support::http::start_http_server(Arc::clone(&catalog), ServeOptions::default()).await;
    let mut client = server.grpc.client().await;
    let old = client.assess(pinned(0.6, "")).await.unwrap().into_inner();
    assert_eq!(old.level.as_ref().unwrap().rank, 2);

    // The rollout: a stricter version serves.
    write_gate(&dir, 0.7);
    catalog.reload().unwrap();
    let new = client.assess(pinned(0.6, "")).await.unwrap().into_inner();
    assert_ne!(new.script_sha256, old.script_sha256);
    assert_eq!(new.level.as_ref().unwrap().rank, 1);

    // Pinned to the old version, the old answer, on the old script.
    let again = client
        .assess(pinned(0.6, &old.script_sha256.to_uppercase()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.script_sha256, old.script_sha256);
    assert_eq!(again.level.as_ref().unwrap().rank, 2);
    let current = client
        .assess(pinned(0.6, &new.script_sha256))
        .await
        .unwrap();
    assert_eq!(current.get_ref().level.as_ref().unwrap().rank, 1);

    // GetModel lists both, the serving one first.
    let model = client
        .get_model(pb::GetModelRequest {
            model: "gate".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let kept: Vec<(&str, bool)> = model
        .kept_versions
        .iter()
        .map(|v| (v.script_sha256.as_str(), v.serving))
        .collect();
    assert_eq!(
        kept,
        [
            (new.script_sha256.as_str(), true),
            (old.script_sha256.as_str(), false)
        ]
    );

    // A hash neither serving nor kept names both.
    let unknown = "0".repeat(64);
    let refused = client.assess(pinned(0.6, &unknown)).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(
        refused.message().contains(&unknown),
        "{}",
        refused.message()
    );
    assert!(
        refused.message().contains(&new.script_sha256),
        "{}",
        refused.message()
    );

    // Something that is not a hash at all is the caller's error.
    let refused = client.assess(pinned(0.6, "xyz")).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert_eq!(
        refused.message(),
        "script_sha256: 'xyz' is not a SHA-256 (64 hex digits)"
    );

    // The same over HTTP.
    let body = format!(
        r#"{{"scriptSha256": "{}", "metrics": {{"x": 0.6}}}}"#,
        old.script_sha256
    );
    let answer =
        support::http::call(&server.http, "POST", "/v1/models/gate:assess", &[], body).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["scriptSha256"], old.script_sha256.as_str());
    assert_eq!(answer.json()["level"]["rank"], 2);
    let body = format!(r#"{{"scriptSha256": "{unknown}"}}"#);
    let answer =
        support::http::call(&server.http, "POST", "/v1/models/gate:assess", &[], body).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["code"], "FAILED_PRECONDITION");
    server.grpc.stop().await;
}

#[tokio::test]
async fn only_the_last_versions_are_kept() {
    let dir = scratch("pinning-kept");
    write_gate(&dir, 0.5);
    let (catalog, _) = Catalog::open(dir.clone(), Limits::default(), None).unwrap();
    let catalog = Arc::new(catalog.with_kept_versions(2));
    let first = catalog
        .snapshot()
        .engine()
        .model("gate")
        .unwrap()
        .sha256()
        .to_owned();
    for threshold in [0.6, 0.7] {
        write_gate(&dir, threshold);
        catalog.reload().unwrap();
    }
    let server = support::start_catalog_server(Arc::clone(&catalog), Default::default()).await;
    let mut client = server.client().await;
    let model = client
        .get_model(pb::GetModelRequest {
            model: "gate".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(model.kept_versions.len(), 2, "{:?}", model.kept_versions);
    assert!(model.kept_versions.iter().all(|v| v.script_sha256 != first));
    let refused = client.assess(pinned(0.6, &first)).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(refused.message().contains(&first), "{}", refused.message());
    let second = &model.kept_versions[1].script_sha256;
    let answer = client
        .assess(pinned(0.65, second))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(&answer.script_sha256, second);
    assert_eq!(answer.level.unwrap().rank, 2, "0.65 passes the 0.6 version");
    server.stop().await;
}
