//! `maturity bench --mode http`: the same load through the HTTP/JSON API
//! (`POST /v1/models/{model}:assess`), one HTTP/1.1 keep-alive connection
//! per caller (HTTP/1.1 carries one call at a time, so `--connections`
//! does not apply).

use std::time::Instant;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::Tally;
use crate::cli::deploy::Bearer;
use crate::grpc::pb;

/// One call at a time until `until`, on a connection of its own, each
/// carrying `bearer`.
pub(super) async fn unary(
    server: String,
    bearer: &Bearer,
    requests: Vec<pb::AssessRequest>,
    worker: usize,
    until: Instant,
) -> Tally {
    let mut tally = Tally::new();
    let address = server
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let bodies: Vec<(String, Bytes)> = requests
        .iter()
        .map(|r| {
            let path = format!("/v1/models/{}:assess", r.model);
            (path, Bytes::from(serde_json::to_vec(r).unwrap_or_default()))
        })
        .collect();
    let mut sender = None;
    let mut i = worker;
    while Instant::now() < until {
        let (path, body) = &bodies[i % bodies.len()];
        i += 1;
        let started = Instant::now();
        if sender.is_none() {
            sender = connect(&address).await;
        }
        let answered = match &mut sender {
            Some(s) => call(s, &address, bearer, path, body.clone()).await,
            None => Err(format!("cannot connect to {address}")),
        };
        match answered {
            Ok(()) => tally.answered(started),
            Err(why) => {
                sender = None;
                tally.fail(|| why);
            }
        }
    }
    tally
}

async fn connect(address: &str) -> Option<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(address).await.ok()?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(connection);
    Some(sender)
}

/// One assessment: whether it answered 200 with its whole body, or why not.
async fn call(
    sender: &mut SendRequest<Full<Bytes>>,
    address: &str,
    bearer: &Bearer,
    path: &str,
    body: Bytes,
) -> Result<(), String> {
    let mut request = hyper::Request::post(path)
        .header("host", address)
        .header("content-type", "application/json");
    if let Some(token) = bearer.header() {
        request = request.header("authorization", token);
    }
    let request = request.body(Full::new(body));
    let request = request.map_err(|e| e.to_string())?;
    // A kept-alive connection takes the next request once the last is done.
    sender.ready().await.map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    match status {
        hyper::StatusCode::OK => Ok(()),
        _ => Err(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        )),
    }
}
