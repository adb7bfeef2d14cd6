//! Flow control on AssessStream: a reader that stops reading stops the
//! server taking requests, so memory stays bounded. Alone in its binary
//! because it keeps the CPU busy.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use maturity_engine::deploy::Catalog;
use maturity_engine::engine::{Engine, Limits};
use maturity_engine::grpc::pb;
use maturity_engine::grpc::pb::maturity_service_client::MaturityServiceClient;
use maturity_engine::grpc::pb::metric_value::Kind;
use maturity_engine::grpc::{ServeOptions, serve};
use support::custom_model;
use tokio::net::TcpListener;
use tokio_stream::StreamExt as _;

#[tokio::test]
async fn a_slow_reader_slows_the_writer() {
    let mut engine = Engine::new(Limits::default());
    engine
        .load(&custom_model("tiny", "|m| m.x >= 0.5", ""), &[])
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let catalog = Arc::new(Catalog::fixed(engine));
    let server = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        serve(listener, catalog, ServeOptions::default(), shutdown)
            .await
            .unwrap();
    });
    let mut client = MaturityServiceClient::connect(url).await.unwrap();
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&pulled);
    let requests = tokio_stream::iter(0..1_000_000).map(move |i: u32| {
        counter.fetch_add(1, Ordering::Relaxed);
        pb::AssessRequest {
            request_id: i.to_string(),
            target_rank: 0,
            view: 0,
            ..support::one_metric("tiny", "x", Kind::Number(0.7))
        }
    });
    let mut answers = client.assess_stream(requests).await.unwrap().into_inner();
    // Read nothing: the server must soon stop taking requests. HTTP/2
    // windows and the small buffers on each side hold some (tens of
    // thousands of these tiny ones); the rest must wait.
    let started = Instant::now();
    let mut last = usize::MAX;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = pulled.load(Ordering::Relaxed);
        if now == last {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "requests kept flowing: {now}"
        );
        last = now;
    }
    assert!(
        last < 100_000,
        "{last} of 1,000,000 requests pulled while nobody read"
    );
    for expected in 0..100 {
        let answer = answers.message().await.unwrap().unwrap();
        assert_eq!(answer.request_id, expected.to_string());
    }
    drop(answers);
    let _ = stop.send(());
    server.await.unwrap();
}
