//! Work stops when its caller goes: a cancelled assessment stops its
//! script, and a validation or a deploy stops its test cases at the
//! caller's deadline or when it cancels, changing nothing. Each test waits
//! for the server's own log line saying the work stopped. Alone in its test
//! binary, because it captures the process's logs.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use maturity_engine::deploy::Catalog;
use maturity_engine::engine::{Engine, Limits};
use maturity_engine::grpc::auth::{Role, Tokens};
use maturity_engine::grpc::pb;
use maturity_engine::grpc::pb::admin_service_client::AdminServiceClient;
use maturity_engine::grpc::pb::metric_value::Kind;
use support::bin::scratch;
use support::{TestServer, custom_model, start_catalog_server, start_server, with_token};
use tonic::Code;

const DEPLOY: &str = "deploy-token-0123456789abcdef";

/// Everything the process logs, from the first call on.
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&logs);
        tracing_subscriber::fmt()
            .with_env_filter("maturity_engine=debug")
            .with_ansi(false)
            .with_writer(move || Capture(Arc::clone(&sink)))
            .init();
        logs
    })
    .clone()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Waits up to 20 s for a log line containing every one of `needles`.
async fn wait_for_log(needles: &[&str]) -> String {
    let logs = logs();
    let start = Instant::now();
    loop {
        let text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
        if let Some(line) = text.lines().find(|l| needles.iter().all(|n| l.contains(n))) {
            return line.to_owned();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no log line with {needles:?} in:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Limits under which a spinning script runs until it is stopped from
/// outside, or for five seconds: long past every caller's deadline here,
/// short enough that work which ignores its caller still ends.
fn patient() -> Limits {
    Limits {
        max_operations: 0,
        max_time: Duration::from_secs(5),
        ..Limits::default()
    }
}

const SPIN: &str = "|m| { let i = 0; while i >= 0 { i += 1; } m.x > 0.0 }";

#[tokio::test]
async fn cancelling_a_call_stops_its_script() {
    logs();
    let mut engine = Engine::new(patient());
    engine.load(&custom_model("spin", SPIN, ""), &[]).unwrap();
    let server = start_server(engine).await;
    let mut client = server.client().await;
    let request = support::one_metric("spin", "x", Kind::Number(0.5));
    // The client gives up, without a deadline the server knows of.
    let gave_up = tokio::time::timeout(Duration::from_millis(300), client.assess(request)).await;
    assert!(gave_up.is_err(), "the spinning script answered");
    wait_for_log(&["assessment stopped: the caller went away", "model=spin"]).await;
    server.stop().await;
}

/// A server on a scripts directory holding only a test case of model
/// `spin`, under patient limits, with a deploy token.
async fn patient_catalog(name: &str) -> (TestServer, std::path::PathBuf) {
    logs();
    let dir = scratch(name);
    std::fs::write(
        dir.join("fine.rhai"),
        custom_model("fine", "|m| m.x >= 0.5", "").text,
    )
    .unwrap();
    let case = r#"{"name": "c", "model": "spin", "metrics": {"x": 0.5}, "expect": {"rank": 2, "level_id": "high"}}"#;
    std::fs::create_dir_all(dir.join("tests/spin")).unwrap();
    std::fs::write(dir.join("tests/spin/c.json"), case).unwrap();
    let (catalog, _) = Catalog::open(dir.clone(), patient(), None).unwrap();
    let mut tokens = Tokens::default();
    tokens.add("ops", Role::Deploy, DEPLOY).unwrap();
    (start_catalog_server(Arc::new(catalog), tokens).await, dir)
}

fn validation(cases: usize) -> pb::ValidateScriptRequest {
    let case = pb::TestCase {
        name: "c".into(),
        metrics: [(
            "x".to_owned(),
            pb::MetricValue {
                kind: Some(Kind::Number(0.5)),
            },
        )]
        .into(),
        expect_rank: 2,
        expect_level_id: "high".into(),
        ..Default::default()
    };
    pb::ValidateScriptRequest {
        source: custom_model("spin", SPIN, "").text,
        cases: (0..cases)
            .map(|i| pb::TestCase {
                name: format!("c{i}"),
                ..case.clone()
            })
            .collect(),
        file_name: "spin.rhai".into(),
    }
}

#[tokio::test]
async fn a_validation_stops_at_the_callers_deadline() {
    let (server, _) = patient_catalog("cancel_validate_deadline").await;
    let mut admin = AdminServiceClient::new(server.channel().await);
    let mut request = with_token(validation(3), DEPLOY);
    request.set_timeout(Duration::from_secs(1));
    let status = admin.validate_script(request).await.unwrap_err();
    assert!(
        matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled),
        "{status:?}"
    );
    // The three cases sent and the one the server holds for the model.
    wait_for_log(&[
        "test cases stopped: the caller's deadline passed after 0 of 4",
        "model=spin",
    ])
    .await;
    server.stop().await;
}

#[tokio::test]
async fn a_validation_stops_when_its_caller_goes_away() {
    let (server, _) = patient_catalog("cancel_validate_gone").await;
    let mut admin = AdminServiceClient::new(server.channel().await);
    let call = admin.validate_script(with_token(validation(3), DEPLOY));
    assert!(
        tokio::time::timeout(Duration::from_millis(300), call)
            .await
            .is_err()
    );
    wait_for_log(&[
        "test cases stopped: the call was cancelled after 0 of 4",
        "model=spin",
    ])
    .await;
    server.stop().await;
}

#[tokio::test]
async fn a_deploy_stops_its_test_cases_at_the_callers_deadline_and_changes_nothing() {
    let (server, dir) = patient_catalog("cancel_put_deadline").await;
    let mut admin = AdminServiceClient::new(server.channel().await);
    let put = pb::PutModelRequest {
        source: custom_model("spin", SPIN, "").text,
        expected_sha256: String::new(),
        cases: Vec::new(),
    };
    let mut request = with_token(put, DEPLOY);
    request.set_timeout(Duration::from_secs(1));
    let status = admin.put_model(request).await.unwrap_err();
    assert!(
        matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled),
        "{status:?}"
    );
    wait_for_log(&[
        "test cases stopped: the caller's deadline passed after 0 of 1",
        "model=spin",
    ])
    .await;
    assert!(
        !Path::new(&dir.join("spin.rhai")).exists(),
        "the script was written"
    );
    assert!(
        !dir.join("audit.log.jsonl").exists(),
        "a change was audited"
    );
    server.stop().await;
}
