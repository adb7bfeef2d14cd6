//! Scale-out, proven on one machine: three replicas of the binary behind
//! client-side load balancing serve a steady load while one is killed, and
//! with retries no call fails.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use maturity_engine::grpc::pb;
use maturity_engine::grpc::pb::maturity_service_client::MaturityServiceClient;
use maturity_engine::grpc::pb::metric_value::Kind;
use support::bin::serve;
use tonic::Code;
use tonic::transport::{Channel, Endpoint};

fn request() -> pb::AssessRequest {
    support::one_metric("five_stage", "crm_in_place", Kind::Flag(true))
}

/// Assess, retrying what a stopped replica causes (at most 10 tries, with
/// backoff: the balancer may pick the dead replica again until it notices).
async fn assess_with_retry(
    client: &mut MaturityServiceClient<Channel>,
) -> Result<(), tonic::Status> {
    let mut tries = 0;
    loop {
        tries += 1;
        match client.assess(request()).await {
            Ok(_) => return Ok(()),
            Err(status)
                if tries < 10
                    && matches!(
                        status.code(),
                        Code::Unavailable | Code::Unknown | Code::Cancelled
                    ) =>
            {
                tokio::time::sleep(Duration::from_millis(20 * tries.min(5))).await;
            }
            Err(status) => return Err(status),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_serve_through_the_loss_of_one() {
    let mut replicas: Vec<_> = (0..3)
        .map(|_| Some(serve(&["--drain-seconds", "1"])))
        .collect();
    let endpoints: Vec<Endpoint> = replicas
        .iter()
        .map(|r| {
            Endpoint::from_shared(r.as_ref().unwrap().url.clone())
                .unwrap()
                .connect_timeout(Duration::from_millis(500))
        })
        .collect();
    let channel = Channel::balance_list(endpoints.into_iter());
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let mut client = MaturityServiceClient::new(channel.clone());
            let (stop, ok, failed) = (Arc::clone(&stop), Arc::clone(&ok), Arc::clone(&failed));
            tokio::spawn(async move {
                let mut errors = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    match assess_with_retry(&mut client).await {
                        Ok(()) => ok.fetch_add(1, Ordering::Relaxed),
                        Err(status) => {
                            errors.push(status);
                            failed.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                }
                errors
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = ok.load(Ordering::Relaxed);
    // Kill one replica outright, mid-load.
    drop(replicas[1].take());
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let mut errors = Vec::new();
    for worker in workers {
        errors.extend(worker.await.unwrap());
    }
    let after = ok.load(Ordering::Relaxed);
    assert!(
        errors.is_empty(),
        "{} calls failed after retries, first: {:?}",
        errors.len(),
        errors[0]
    );
    assert!(before > 50, "only {before} calls before the loss");
    assert!(
        after - before > 50,
        "only {} calls after the loss",
        after - before
    );
    drop(replicas);
}
