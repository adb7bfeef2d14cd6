//! The HTTP/JSON face of `MaturityService`, on its own port
//! (`--http-listen`): the same handlers as gRPC (so the same auth, limits,
//! deadlines, metrics and decision log), messages in the proto3 JSON
//! mapping, errors as `{"code", "message", "details"}` with the HTTP status
//! Google's API design guide gives each gRPC code.
//!
//! Connections are accepted by the gRPC server's own accept loop, under the
//! same connection limit, handshake and idle timeouts, and each request is
//! counted as a call on its connection; a request body that stalls for the
//! idle timeout fails its call, as over gRPC. HTTP/1.1 only: HTTP/2 clients use
//! gRPC.
//!
//! - `routes`: the routes and their handlers, and the table OpenAPI reads.
//! - `error`: gRPC codes to HTTP statuses, in one place.
//! - `lines`: an `:assessStream` body split into its JSON lines.
//! - `openapi`: the OpenAPI 3 document, generated from the descriptors.

mod error;
mod lines;
pub mod openapi;
mod routes;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Body;
use futures_util::StreamExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::codegen::http::Request;
use tonic::transport::server::Connected;
use tower::ServiceExt;

pub use error::http_status;
pub use routes::ROUTES;

use super::accept;
use super::calls::{CountedBody, Patient};
use super::connection::Timeouts;
use super::framing::Framing;
use super::service::MaturityApi;

/// The limits an HTTP server shares with its gRPC server.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HttpLimits {
    /// Connections open at once.
    pub(crate) max_connections: usize,
    /// The handshake and idle timeouts of each connection.
    pub(crate) timeouts: Timeouts,
    /// The largest request body (or line of a stream), in bytes.
    pub(crate) max_body: usize,
    /// How long requests in flight may take to finish after shutdown.
    pub(crate) drain: Duration,
}

/// Serves the HTTP API of `api` on `listener` until `stop` turns true, then
/// closes the socket and lets requests in flight finish for up to the
/// drain.
pub(crate) async fn serve(
    listener: TcpListener,
    api: MaturityApi,
    limits: HttpLimits,
    mut stop: watch::Receiver<bool>,
) {
    let (mut incoming, acceptor) =
        accept::accept(listener, limits.max_connections, limits.timeouts);
    let app = routes::router(api, limits.max_body);
    let graceful = GracefulShutdown::new();
    loop {
        let next = tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => break,
            next = incoming.next() => next,
        };
        let Some(Ok(connection)) = next else { break };
        let info = connection.connect_info();
        let app = app.clone();
        let stall = limits.timeouts.idle;
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            let call = info.calls.start();
            request.extensions_mut().insert(info.clone());
            let answered = Arc::new(AtomicBool::new(false));
            let framing = if request.uri().path().ends_with(":assessStream") {
                Framing::Lines
            } else {
                Framing::Whole
            };
            let patient =
                |body| Body::new(Patient::new(body, stall, Arc::clone(&answered), framing));
            let answer = app.clone().oneshot(request.map(patient));
            async move {
                let response = answer
                    .await
                    .unwrap_or_else(|never: Infallible| match never {});
                answered.store(true, Ordering::Relaxed);
                Ok::<_, Infallible>(response.map(|body| CountedBody::new(body, call)))
            }
        });
        let served = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(connection), service);
        let served = graceful.watch(served);
        tokio::spawn(async move {
            if let Err(err) = served.await {
                tracing::debug!(error = %err, "HTTP connection ended with an error");
            }
        });
    }
    let still_open = acceptor.stop().await;
    drop(still_open);
    if tokio::time::timeout(limits.drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(drain = ?limits.drain, "HTTP requests still in flight after the drain; closing");
    }
}
