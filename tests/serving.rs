//! Serving under pressure, against a real server: AssessStream with bad
//! items and a slow reader, caller deadlines and cancellation inside
//! evaluation, load shedding, message size limits, health and a bounded
//! graceful drain.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use maturity_engine::deploy::Catalog;
use maturity_engine::engine::{
    AssessRequest, Budget, Engine, EngineError, Limits, MetricValue, ScriptSource,
};
use maturity_engine::grpc::convert::request_to_pb;
use maturity_engine::grpc::pb;
use maturity_engine::grpc::pb::assess_stream_response::Outcome;
use maturity_engine::grpc::pb::maturity_service_client::MaturityServiceClient;
use maturity_engine::grpc::pb::metric_value::Kind;
use maturity_engine::grpc::{ServeOptions, serve};
use support::{custom_model, load_cases, start_builtin_server};
use tokio::net::TcpListener;
use tonic::{Code, Request};

/// A model whose check spins for `iterations` loop turns before passing.
fn slow_model(iterations: u64) -> ScriptSource {
    custom_model(
        "slow",
        &format!("|m| {{ let i = 0; while i < {iterations} {{ i += 1; }} m.x >= 0.0 }}"),
        "",
    )
}

/// Limits that let a slow model run for as long as a test needs.
fn patient() -> Limits {
    Limits {
        max_operations: 0,
        max_time: Duration::from_secs(60),
        ..Limits::default()
    }
}

fn engine(limits: Limits, scripts: &[ScriptSource]) -> Engine {
    let mut engine = Engine::new(limits);
    for s in scripts {
        engine.load(s, &[]).unwrap();
    }
    engine
}

fn slow_request(x: f64) -> pb::AssessRequest {
    support::one_metric("slow", "x", Kind::Number(x))
}

struct Running {
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<()>,
}

async fn start(engine: Engine, options: ServeOptions) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let catalog = Arc::new(Catalog::fixed(engine));
    let handle = tokio::spawn(async move {
        serve(listener, catalog, options, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    Running { url, stop, handle }
}

#[tokio::test]
async fn a_stream_answers_every_item_in_order_and_one_bad_item_ends_nothing() {
    let server = start_builtin_server().await;
    let mut client = server.client().await;
    let mut requests = Vec::new();
    for (i, (_, case)) in load_cases().into_iter().enumerate() {
        let mut request = request_to_pb(case.request());
        request.explain = false;
        request.request_id = format!("case-{i}");
        requests.push(request);
        if i == 3 {
            let mut bad = pb::AssessRequest {
                model: "five_stage".into(),
                request_id: "bad".into(),
                target_rank: 0,
                view: 0,
                ..Default::default()
            };
            bad.metrics.insert(
                "win_rate".into(),
                pb::MetricValue {
                    kind: Some(Kind::Number(f64::NAN)),
                },
            );
            requests.push(bad);
            requests.push(pb::AssessRequest {
                model: "nope".into(),
                request_id: "unknown".into(),
                target_rank: 0,
                view: 0,
                ..Default::default()
            });
        }
    }
    let ids: Vec<String> = requests.iter().map(|r| r.request_id.clone()).collect();
    let mut answers = client
        .assess_stream(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    let mut got = Vec::new();
    while let Some(answer) = answers.message().await.unwrap() {
        got.push(answer);
    }
    assert_eq!(
        got.iter().map(|a| a.request_id.clone()).collect::<Vec<_>>(),
        ids
    );
    let error = |id: &str| match &got.iter().find(|a| a.request_id == id).unwrap().outcome {
        Some(Outcome::Error(status)) => status.clone(),
        other => panic!("{id}: {other:?}"),
    };
    let bad = error("bad");
    assert_eq!(bad.code, Code::InvalidArgument as i32);
    assert!(bad.message.contains("metrics[win_rate]"), "{}", bad.message);
    assert!(
        !bad.details.is_empty(),
        "the BadRequest details travel with the item"
    );
    assert_eq!(error("unknown").code, Code::NotFound as i32);
    let assessed = got
        .iter()
        .filter(|a| matches!(a.outcome, Some(Outcome::Assessment(_))))
        .count();
    assert_eq!(assessed, ids.len() - 2);
    server.stop().await;
}

#[tokio::test]
async fn the_callers_deadline_stops_the_script_with_deadline_exceeded() {
    let running = start(
        engine(patient(), &[slow_model(u64::MAX / 2)]),
        ServeOptions::default(),
    )
    .await;
    let mut client = MaturityServiceClient::connect(running.url.clone())
        .await
        .unwrap();
    // Long enough that the engine's margin (100 ms ahead of the caller)
    // answers before the client's own timer gives up with CANCELLED.
    for timeout in [Duration::from_secs(2)] {
        let mut request = Request::new(slow_request(0.5));
        request.set_timeout(timeout);
        let started = Instant::now();
        let status = client.assess(request).await.unwrap_err();
        assert_eq!(
            status.code(),
            Code::DeadlineExceeded,
            "{timeout:?}: {status:?}"
        );
        assert!(
            status
                .message()
                .contains("the caller's deadline passed during criterion 'gate'"),
            "{}",
            status.message()
        );
        assert!(
            started.elapsed() < timeout + Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
    let _ = running.stop.send(());
    running.handle.await.unwrap();
}

#[test]
fn deadlines_and_cancellation_stop_a_running_script_in_the_engine() {
    // The script never ends by itself within the limits: only the budget
    // can stop it, so each answer below is the budget's doing.
    let engine = engine(patient(), &[slow_model(u64::MAX / 2)]);
    let mut request = AssessRequest {
        model: "slow".into(),
        ..Default::default()
    };
    request.metrics.insert("x".into(), MetricValue::Number(0.5));
    let budget = Budget {
        deadline: Some(Instant::now() + Duration::from_millis(100)),
        cancelled: None,
    };
    let err = engine.assess_within(&request, &budget).unwrap_err();
    assert!(matches!(err, EngineError::DeadlineExceeded { .. }), "{err}");

    let flag = Arc::new(AtomicBool::new(false));
    let raiser = Arc::clone(&flag);
    let budget = Budget {
        deadline: None,
        cancelled: Some(flag),
    };
    // Raised from another thread, whenever it runs: before the script
    // starts or while it runs, the answer must be the same.
    let raising = std::thread::spawn(move || raiser.store(true, Ordering::Relaxed));
    let err = engine.assess_within(&request, &budget).unwrap_err();
    assert!(matches!(err, EngineError::Cancelled { .. }), "{err}");
    raising.join().unwrap();
}

#[tokio::test]
async fn past_the_in_flight_limit_calls_are_shed_not_queued() {
    let options = ServeOptions {
        max_in_flight: 1,
        ..ServeOptions::default()
    };
    let quick = custom_model("quick", "|m| m.x >= 0.5", "");
    let running = start(
        engine(patient(), &[slow_model(u64::MAX / 2), quick]),
        options,
    )
    .await;
    let mut first = MaturityServiceClient::connect(running.url.clone())
        .await
        .unwrap();
    let mut second = first.clone();
    let busy = tokio::spawn(async move {
        let mut request = Request::new(slow_request(0.5));
        request.set_timeout(Duration::from_secs(3));
        first.assess(request).await
    });
    let quick_request = || support::one_metric("quick", "x", Kind::Number(0.7));
    // Once the slow call holds the only slot, the quick one is shed.
    let started = Instant::now();
    let status = loop {
        match second.assess(quick_request()).await {
            Ok(_) => {
                assert!(started.elapsed() < Duration::from_secs(20), "never busy");
                tokio::task::yield_now().await;
            }
            Err(status) => break status,
        }
    };
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(
        status
            .message()
            .contains("server busy: 1 assessments in flight"),
        "{}",
        status.message()
    );
    assert_eq!(
        busy.await.unwrap().unwrap_err().code(),
        Code::DeadlineExceeded
    );
    // The slot is free again once the slow call ends.
    assert!(second.assess(quick_request()).await.is_ok());
    let _ = running.stop.send(());
    running.handle.await.unwrap();
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_refused() {
    let options = ServeOptions {
        max_message_bytes: 64 * 1024,
        ..ServeOptions::default()
    };
    let running = start(Engine::with_builtin_models().unwrap(), options).await;
    let mut client = MaturityServiceClient::connect(running.url.clone())
        .await
        .unwrap();
    let request = pb::AssessRequest {
        model: "five_stage".into(),
        subject_id: "x".repeat(100 * 1024),
        ..Default::default()
    };
    let status = client.assess(request).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(
        status.message().contains("message length too large"),
        "{}",
        status.message()
    );
    // The server still answers a normal call.
    let fine = pb::AssessRequest {
        model: "five_stage".into(),
        ..Default::default()
    };
    assert!(client.assess(fine).await.is_ok());
    let _ = running.stop.send(());
    running.handle.await.unwrap();
}

#[tokio::test]
async fn past_the_open_calls_limit_a_call_is_refused_at_once() {
    let options = ServeOptions {
        max_calls: 2,
        ..ServeOptions::default()
    };
    let running = start(Engine::with_builtin_models().unwrap(), options).await;
    let channel = tonic::transport::Channel::from_shared(running.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let (first, mut first_answers) = open_stream(channel.clone()).await;
    let (_second, _second_answers) = open_stream(channel.clone()).await;
    let mut client = MaturityServiceClient::new(channel.clone());
    let request = || support::one_metric("five_stage", "crm_in_place", Kind::Flag(true));
    let status = client.assess(request()).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(
        status.message(),
        "server busy: 2 calls open, the server's limit (max_calls); retry with backoff"
    );
    // The open calls go on, and once one ends its slot is free again (the
    // server lets it go just after the client has seen the end).
    one_more(&first, &mut first_answers, "a").await;
    drop(first);
    assert!(first_answers.message().await.unwrap().is_none());
    let started = Instant::now();
    while let Err(status) = client.assess(request()).await {
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the slot stayed taken"
        );
        tokio::task::yield_now().await;
    }
    let _ = running.stop.send(());
}

/// A stream call kept open until its sender is dropped: a call in flight
/// the test controls.
async fn open_stream(
    channel: tonic::transport::Channel,
) -> (
    tokio::sync::mpsc::Sender<pb::AssessRequest>,
    tonic::Streaming<pb::AssessStreamResponse>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let answers = MaturityServiceClient::new(channel)
        .assess_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    (tx, answers)
}

/// Sends one item on `tx` and reads its answer.
async fn one_more(
    tx: &tokio::sync::mpsc::Sender<pb::AssessRequest>,
    answers: &mut tonic::Streaming<pb::AssessStreamResponse>,
    id: &str,
) {
    let request = pb::AssessRequest {
        request_id: id.into(),
        ..support::one_metric("five_stage", "crm_in_place", Kind::Flag(true))
    };
    tx.send(request).await.unwrap();
    let answer = answers.message().await.unwrap().unwrap();
    assert_eq!(answer.request_id, id);
    assert!(
        matches!(answer.outcome, Some(Outcome::Assessment(_))),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_drain_refuses_new_connections_reports_not_serving_and_lets_calls_finish() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    let options = ServeOptions {
        drain: Duration::from_secs(60),
        ..ServeOptions::default()
    };
    let running = start(Engine::with_builtin_models().unwrap(), options).await;
    let address = running.url.trim_start_matches("http://").to_owned();
    let channel = tonic::transport::Channel::from_shared(running.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let request = tonic_health::pb::HealthCheckRequest {
        service: "maturity.v1.MaturityService".into(),
    };
    let mut watch = HealthClient::new(channel.clone())
        .watch(request)
        .await
        .unwrap()
        .into_inner();
    let status = |m: Option<tonic_health::pb::HealthCheckResponse>| m.unwrap().status;
    assert_eq!(
        status(watch.message().await.unwrap()),
        ServingStatus::Serving as i32
    );
    let (tx, mut answers) = open_stream(channel).await;
    one_more(&tx, &mut answers, "before").await;

    let _ = running.stop.send(());
    // Health watchers hear NOT_SERVING...
    assert_eq!(
        status(watch.message().await.unwrap()),
        ServingStatus::NotServing as i32
    );
    drop(watch);
    // ...by then the port refuses new connections, while a call is in flight...
    let refused = tokio::net::TcpStream::connect(&address).await;
    assert!(
        refused.is_err(),
        "a new connection was accepted during the drain"
    );
    // ...which goes on until it ends by itself.
    one_more(&tx, &mut answers, "during").await;
    drop(tx);
    assert!(answers.message().await.unwrap().is_none());
    running.handle.await.unwrap();
}

#[tokio::test]
async fn a_drain_ends_after_its_bound_even_with_a_call_in_flight() {
    let options = ServeOptions {
        drain: Duration::from_millis(500),
        ..ServeOptions::default()
    };
    let running = start(Engine::with_builtin_models().unwrap(), options).await;
    let channel = tonic::transport::Channel::from_shared(running.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let (tx, mut answers) = open_stream(channel).await;
    one_more(&tx, &mut answers, "in flight").await;
    let _ = running.stop.send(());
    // The call never ends by itself; the server returns anyway.
    let stopped = tokio::time::timeout(Duration::from_secs(30), running.handle).await;
    assert!(stopped.is_ok(), "the drain did not end");
    drop(tx);
}
