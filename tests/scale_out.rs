//! Scale-out, proven on one machine: three replicas of the binary behind
//! client-side load balancing serve a steady load while one is killed; the
//! killed replica had carried its share, calls it failed were retried, and
//! with retries no call fails.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use maturity_engine::grpc::pb;
use maturity_engine::grpc::pb::maturity_service_client::MaturityServiceClient;
use maturity_engine::grpc::pb::metric_value::Kind;
use support::bin::{Served, serve};
use tonic::Code;
use tonic::transport::{Channel, Endpoint};

fn request() -> pb::AssessRequest {
    support::one_metric("five_stage", "crm_in_place", Kind::Flag(true))
}

/// Assess, retrying what a stopped replica causes (at most 10 tries, with
/// backoff: the balancer may pick the dead replica again until it
/// notices); the number of retries it took.
async fn assess_with_retry(
    client: &mut MaturityServiceClient<Channel>,
) -> Result<usize, tonic::Status> {
    let mut tries = 0;
    loop {
        tries += 1;
        match client.assess(request()).await {
            Ok(_) => return Ok(tries - 1),
            Err(status)
                if tries < 10
                    && matches!(
                        status.code(),
                        Code::Unavailable | Code::Unknown | Code::Cancelled
                    ) =>
            {
                tokio::time::sleep(Duration::from_millis(20 * tries.min(5) as u64)).await;
            }
            Err(status) => return Err(status),
        }
    }
}

/// The Assess calls `replica` has answered, from its metrics endpoint.
fn answered(replica: &Served) -> u64 {
    use std::io::{Read, Write};
    let line = replica.wait_for_log("metrics listening on http://");
    let address = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split("/metrics").next())
        .unwrap();
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text.lines()
        .filter(|l| l.starts_with("maturity_requests_total{method=\"Assess\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// Waits up to 60 s for `condition`.
async fn until(what: &str, condition: impl Fn() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_serve_through_the_loss_of_one() {
    let flags = ["--drain-seconds", "1", "--metrics-listen", "127.0.0.1:0"];
    let mut replicas: Vec<_> = (0..3).map(|_| Some(serve(&flags))).collect();
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
    let (ok, retries) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    // Enough callers that, whenever the replica dies, calls are in flight to it.
    let workers: Vec<_> = (0..24)
        .map(|_| {
            let mut client = MaturityServiceClient::new(channel.clone());
            let (stop, ok, retries) = (Arc::clone(&stop), Arc::clone(&ok), Arc::clone(&retries));
            tokio::spawn(async move {
                let mut errors = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    match assess_with_retry(&mut client).await {
                        Ok(retried) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                            retries.fetch_add(retried, Ordering::Relaxed);
                        }
                        Err(status) => errors.push(status),
                    }
                }
                errors
            })
        })
        .collect();
    // The replica to kill carries its share of the load first.
    let doomed = replicas[1].as_ref().unwrap();
    until("the second replica to answer 50 calls", || {
        answered(doomed) >= 50
    })
    .await;
    let retried_before = retries.load(Ordering::Relaxed);
    let before = ok.load(Ordering::Relaxed);
    // Kill it outright, mid-load.
    drop(replicas[1].take());
    let survivors: Vec<u64> = [0, 2]
        .iter()
        .map(|&i| answered(replicas[i].as_ref().unwrap()))
        .collect();
    until("300 more calls answered after the loss", || {
        ok.load(Ordering::Relaxed) >= before + 300
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    let mut errors = Vec::new();
    for worker in workers {
        errors.extend(worker.await.unwrap());
    }
    assert!(
        errors.is_empty(),
        "{} calls failed after retries, first: {:?}",
        errors.len(),
        errors[0]
    );
    assert!(
        retries.load(Ordering::Relaxed) > retried_before,
        "no call was retried: the loss was never felt"
    );
    for (&i, &earlier) in [0, 2].iter().zip(&survivors) {
        let now = answered(replicas[i].as_ref().unwrap());
        assert!(now > earlier, "replica {i} answered nothing after the loss");
    }
    drop(replicas);
}
