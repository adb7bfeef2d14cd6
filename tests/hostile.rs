//! Hostile input against a running server: each abuse gets its status and a
//! message naming what is wrong, and the server still answers a normal call
//! afterwards.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use maturity_engine::engine::Engine;
use maturity_engine::grpc::pb;
use maturity_engine::grpc::pb::maturity_service_client::MaturityServiceClient;
use maturity_engine::grpc::pb::metric_value::Kind;
use support::{TestServer, custom_model, start_server};
use tonic::transport::Channel;
use tonic::{Code, Request};

fn number(n: f64) -> pb::MetricValue {
    pb::MetricValue {
        kind: Some(Kind::Number(n)),
    }
}

fn text(t: &str) -> pb::MetricValue {
    pb::MetricValue {
        kind: Some(Kind::Text(t.into())),
    }
}

fn request(model: &str, metrics: Vec<(String, pb::MetricValue)>) -> pb::AssessRequest {
    pb::AssessRequest {
        model: model.into(),
        metrics: metrics.into_iter().collect(),
        ..Default::default()
    }
}

/// The built-in models and one model per runaway script.
async fn hostile_server() -> TestServer {
    let mut engine = Engine::with_builtin_models().unwrap();
    let runaways = [
        ("loops", "|m| { loop { } }"),
        ("recurses", "|m| { fn_that_recurses(m) }"),
        ("sleeps", "|m| { sleep(10); true }"),
        ("strings", "|m| { let s = \"x\"; loop { s += s; } }"),
        ("arrays", "|m| { let a = [1]; loop { a += a; } }"),
    ];
    for (id, check) in runaways {
        let mut script = custom_model(id, check, "");
        script.text = format!(
            "fn fn_that_recurses(m) {{ fn_that_recurses(m) }}\n{}",
            script.text
        );
        engine.load(&script, &[]).unwrap();
    }
    start_server(engine).await
}

/// A normal call must still work.
async fn still_serving(client: &mut MaturityServiceClient<Channel>) {
    let fine = request(
        "five_stage",
        vec![(
            "crm_in_place".into(),
            pb::MetricValue {
                kind: Some(Kind::Flag(true)),
            },
        )],
    );
    let reply = client
        .assess(fine)
        .await
        .expect("the server stopped answering")
        .into_inner();
    assert_eq!(reply.level.unwrap().id, "effort_driven");
}

async fn refused(
    client: &mut MaturityServiceClient<Channel>,
    request: pb::AssessRequest,
) -> tonic::Status {
    client.assess(request).await.unwrap_err()
}

#[tokio::test]
async fn bad_values_are_invalid_arguments_naming_the_metric_and_rule() {
    let server = hostile_server().await;
    let mut client = server.client().await;
    let cases = [
        (
            vec![("win_rate".to_owned(), number(f64::NAN))],
            "metrics[win_rate]: must be a finite number, got NaN",
        ),
        (
            vec![("win_rate".to_owned(), number(f64::INFINITY))],
            "metrics[win_rate]: must be a finite number, got inf",
        ),
        (
            vec![("sales_reps".to_owned(), number(f64::NEG_INFINITY))],
            "metrics[sales_reps]: must be a finite number, got -inf",
        ),
        (
            vec![("crm_in_place".to_owned(), number(1.0))],
            "metrics[crm_in_place]: expected a flag",
        ),
        (
            vec![("win_rate".to_owned(), text("high"))],
            "metrics[win_rate]: expected a ratio",
        ),
        (
            vec![("win_rate".to_owned(), pb::MetricValue { kind: None })],
            "metrics[win_rate]: no value set",
        ),
    ];
    for (metrics, expected) in cases {
        let status = refused(&mut client, request("five_stage", metrics)).await;
        assert_eq!(status.code(), Code::InvalidArgument, "{expected}");
        assert!(
            status.message().contains(expected),
            "wanted {expected:?}, got {:?}",
            status.message()
        );
        still_serving(&mut client).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn huge_requests_are_refused_by_their_limit() {
    let server = hostile_server().await;
    let mut client = server.client().await;
    let many: Vec<_> = (0..100_000)
        .map(|i| (format!("m{i}"), number(0.5)))
        .collect();
    let status = refused(&mut client, request("five_stage", many)).await;
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.message(),
        "metrics: 100000 exceeds the limit of 1024"
    );
    still_serving(&mut client).await;

    let long_name = "n".repeat(1024 * 1024);
    let status = refused(
        &mut client,
        request("five_stage", vec![(long_name, number(0.5))]),
    )
    .await;
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("metrics[nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn…] name length: 1048576 exceeds the limit of 128"), "{}", status.message());
    assert!(status.message().len() < 200, "errors never echo huge input");
    still_serving(&mut client).await;

    let too_big = "n".repeat(5 * 1024 * 1024);
    let status = refused(
        &mut client,
        request("five_stage", vec![(too_big, number(0.5))]),
    )
    .await;
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert!(
        status.message().contains("message length too large"),
        "{}",
        status.message()
    );
    still_serving(&mut client).await;
    server.stop().await;
}

#[tokio::test]
async fn runaway_scripts_are_stopped_by_the_sandbox() {
    let server = hostile_server().await;
    let mut client = server.client().await;
    let cases = [
        (
            "loops",
            Code::ResourceExhausted,
            "exceeded the operations limit (100000)",
        ),
        ("recurses", Code::ResourceExhausted, "call depth"),
        ("sleeps", Code::Internal, "sleep"),
        ("strings", Code::ResourceExhausted, "data size"),
        ("arrays", Code::ResourceExhausted, "data size"),
    ];
    for (model, code, expected) in cases {
        let status = refused(&mut client, request(model, vec![("x".into(), number(0.5))])).await;
        assert_eq!(status.code(), code, "{model}: {status:?}");
        assert!(
            status.message().contains(&format!("model '{model}'")),
            "{}",
            status.message()
        );
        assert!(
            status.message().contains(expected),
            "{model}: wanted {expected:?} in {:?}",
            status.message()
        );
        still_serving(&mut client).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn one_millisecond_deadlines_and_cancelled_streams_leave_the_server_serving() {
    let server = hostile_server().await;
    let mut client = server.client().await;
    for _ in 0..50 {
        let mut call = Request::new(request("loops", vec![("x".into(), number(0.5))]));
        call.set_timeout(Duration::from_millis(1));
        let status = client.assess(call).await.unwrap_err();
        // Whichever side's clock fires first: the server's engine, the
        // sandbox, or the client's own timer.
        assert!(
            matches!(
                status.code(),
                Code::DeadlineExceeded | Code::Cancelled | Code::ResourceExhausted
            ),
            "{status:?}"
        );
    }
    still_serving(&mut client).await;
    for _ in 0..20 {
        let requests = tokio_stream::iter((0..1000).map(|i| {
            let mut r = request("loops", vec![("x".into(), number(0.5))]);
            r.request_id = i.to_string();
            r
        }));
        let mut answers = client.assess_stream(requests).await.unwrap().into_inner();
        let _ = answers.message().await;
        drop(answers);
    }
    still_serving(&mut client).await;
    server.stop().await;
}

const STREAMS: usize = 2000;

#[tokio::test]
async fn thousands_of_concurrent_streams_are_all_answered() {
    let server = hostile_server().await;
    let channel = server.channel().await;
    let streams: Vec<_> = (0..STREAMS)
        .map(|i| {
            let mut client = MaturityServiceClient::new(channel.clone());
            tokio::spawn(async move {
                let mut r = request(
                    "five_stage",
                    vec![(
                        "crm_in_place".into(),
                        pb::MetricValue {
                            kind: Some(Kind::Flag(true)),
                        },
                    )],
                );
                r.request_id = i.to_string();
                let mut answers = client
                    .assess_stream(tokio_stream::iter([r]))
                    .await?
                    .into_inner();
                let answer = answers.message().await?.unwrap();
                assert_eq!(answer.request_id, i.to_string());
                // Read to the end: dropping a stream early resets it.
                assert!(answers.message().await?.is_none());
                Ok::<_, tonic::Status>(matches!(
                    answer.outcome,
                    Some(pb::assess_stream_response::Outcome::Assessment(_))
                ))
            })
        })
        .collect();
    let mut assessed = 0;
    for stream in streams {
        if stream.await.unwrap().unwrap() {
            assessed += 1;
        }
    }
    assert_eq!(assessed, STREAMS);
    let mut client = MaturityServiceClient::new(channel);
    still_serving(&mut client).await;
    server.stop().await;
}
