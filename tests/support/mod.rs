//! Shared test helpers: a real server on 127.0.0.1:0, a real client, the
//! example cases, and small custom model scripts.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

pub mod bin;
pub mod http;
pub mod raw;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use maturity_engine::deploy::Catalog;
use maturity_engine::engine::cases::Case;
use maturity_engine::engine::{Engine, Limits, ScriptSource, read_scripts_dir};
use maturity_engine::grpc::auth::Tokens;
use maturity_engine::grpc::pb;
use maturity_engine::grpc::pb::maturity_service_client::MaturityServiceClient;
use maturity_engine::grpc::pb::metric_value::Kind;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

/// A running server; dropping `shutdown` (or sending on it) stops it.
pub struct TestServer {
    pub url: String,
    pub shutdown: Option<oneshot::Sender<()>>,
    pub handle: JoinHandle<()>,
}

impl TestServer {
    pub async fn client(&self) -> MaturityServiceClient<Channel> {
        MaturityServiceClient::connect(self.url.clone())
            .await
            .unwrap()
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.url.clone())
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.handle.await.unwrap();
    }
}

/// Starts the real server on an ephemeral port, bound before it is spawned.
pub async fn start_server(engine: Engine) -> TestServer {
    let catalog = Arc::new(maturity_engine::deploy::Catalog::fixed(engine));
    start_catalog_server(catalog, Tokens::default()).await
}

/// Starts the real server on `catalog`, accepting the admin `tokens`.
pub async fn start_catalog_server(catalog: Arc<Catalog>, tokens: Tokens) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        let options = maturity_engine::grpc::ServeOptions {
            tokens,
            ..Default::default()
        };
        maturity_engine::grpc::serve(listener, catalog, options, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    TestServer {
        url,
        shutdown: Some(tx),
        handle,
    }
}

pub async fn start_builtin_server() -> TestServer {
    start_server(Engine::with_builtin_models().unwrap()).await
}

/// The shipped scripts directory: the built-in models, their helpers and
/// their test cases (copies of the spec cases and more).
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts")
}

/// Every case in scripts/tests, with its file name.
pub fn load_cases() -> Vec<(String, Case)> {
    let set = read_scripts_dir(&scripts_dir()).unwrap();
    assert!(
        set.cases.len() >= 10,
        "expected the spec cases in scripts/tests"
    );
    set.cases
        .into_iter()
        .map(|c| {
            let case = Case::from_json(&c.text).unwrap_or_else(|e| panic!("{}: {e}", c.file));
            (c.file, case)
        })
        .collect()
}

/// A minimal custom model whose rank-2 criterion runs `check` (a Rhai
/// closure) over the metrics `x` (ratio) and `n` (count), with extra
/// declaration fields spliced in from `extra`.
pub fn custom_model(id: &str, check: &str, extra: &str) -> ScriptSource {
    ScriptSource::new(
        format!("{id}.rhai"),
        format!(
            r#"#{{
    id: "{id}", name: "Custom", version: "0.1.0",
    levels: [#{{ id: "low", name: "Low" }}, #{{ id: "high", name: "High" }}],
    metrics: [
        #{{ name: "x", kind: "ratio", better: "higher" }},
        #{{ name: "n", kind: "count", better: "higher", max: 100 }},
    ],
    criteria: [#{{
        id: "gate", rank: 2, description: "x is high",
        metrics: ["x"],
        check: {check},
        interventions: [#{{ id: "raise_x", title: "Raise x", description: "More x.", metrics: ["x"] }}],
    }}],
    {extra}
}}
"#
        ),
    )
}

/// An engine with only the given scripts loaded (each must load).
pub fn engine_with(scripts: &[ScriptSource]) -> Engine {
    let mut engine = Engine::new(Limits::default());
    for s in scripts {
        engine
            .load(s, &[])
            .unwrap_or_else(|e| panic!("{}: {e}", s.file));
    }
    engine
}

/// A request for `model` carrying one metric.
pub fn one_metric(model: &str, name: &str, value: Kind) -> pb::AssessRequest {
    pb::AssessRequest {
        model: model.into(),
        metrics: [(name.to_owned(), pb::MetricValue { kind: Some(value) })].into(),
        ..Default::default()
    }
}

/// `message` with a bearer token.
pub fn with_token<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}
