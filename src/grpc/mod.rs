//! The `maturity.v1` gRPC service: a thin layer that converts requests, calls
//! the engine and converts answers. Knows nothing of the scripting language.
//!
//! - `pb`: the generated protobuf types and the descriptor set.
//! - `service`: the `MaturityService` handlers.
//! - `admin`, `auth`: the `AdminService` handlers and their bearer tokens.
//! - `convert`: protobuf <-> engine types.
//! - `status`: the one place engine errors become gRPC statuses.
//! - `accept`, `connection`, `calls`: accepting connections, each bounded
//!   in number and time (handshake and idle timeouts).

mod accept;
pub mod admin;
pub mod auth;
mod calls;
mod codec_status;
pub mod connection;
pub mod convert;
pub mod echo;
pub mod evidence;
pub mod limits;
pub mod service;
pub mod status;
pub mod stream;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::transport::{Server, ServerTlsConfig};
use tonic_health::pb::health_server::{Health, HealthServer};

use crate::deploy::Catalog;
use crate::telemetry::DecisionLog;
use admin::AdminApi;
use auth::Tokens;
use limits::Admission;
use pb::admin_service_server::AdminServiceServer;
use pb::bench_service_server::BenchServiceServer;
use pb::maturity_service_server::MaturityServiceServer;
use service::MaturityApi;

/// The generated protobuf types of `maturity.v1`.
#[allow(missing_docs, unreachable_pub, clippy::all)]
pub mod pb {
    tonic::include_proto!("maturity.v1");

    /// The encoded descriptor set, served by reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("maturity_descriptor");
}

/// Errors that stop the server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The transport failed.
    #[error("gRPC transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The reflection service could not be built from the descriptors.
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// How the server runs: admin tokens and the limits that keep it healthy
/// under load.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Tokens the admin service accepts.
    pub tokens: Tokens,
    /// Whether assessment calls need a token too (any role).
    pub require_token: bool,
    /// TLS (and mutual TLS) settings; plaintext when absent.
    pub tls: Option<ServerTlsConfig>,
    /// Where decisions are logged, when they are.
    pub decisions: Option<DecisionLog>,
    /// Whether to serve `BenchService.Echo`, the load generator's baseline.
    pub echo: bool,
    /// Assessments in flight at once, server-wide; more are refused with
    /// RESOURCE_EXHAUSTED (unary) or wait (streams).
    pub max_in_flight: usize,
    /// Largest request or response message, in bytes (RESOURCE_EXHAUSTED).
    /// A message of many small map entries takes up to ten times its size
    /// once decoded, so this bounds what one call costs in memory.
    pub max_message_bytes: usize,
    /// How often an idle connection is pinged, and how long a ping may go
    /// unanswered before the connection is closed.
    pub keepalive: (Duration, Duration),
    /// How long calls in flight may take to finish after shutdown begins.
    pub drain: Duration,
    /// Concurrent HTTP/2 streams one connection may open. Every stream's
    /// work still waits for the in-flight limit, so this bounds memory, not
    /// CPU.
    pub max_streams_per_connection: u32,
    /// Connections open at once; one more is closed at once, and logged.
    pub max_connections: usize,
    /// How long a new connection may take to send its first bytes (the
    /// HTTP/2 preface, or a TLS ClientHello) before it is closed; also the
    /// TLS handshake's limit.
    pub handshake_timeout: Duration,
    /// How long a connection may go without a call in flight before it is
    /// closed; never when `None`.
    pub idle_timeout: Option<Duration>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            tokens: Tokens::default(),
            require_token: false,
            tls: None,
            decisions: None,
            echo: false,
            max_in_flight: 256,
            max_message_bytes: 1024 * 1024,
            keepalive: (Duration::from_secs(30), Duration::from_secs(10)),
            drain: Duration::from_secs(10),
            max_streams_per_connection: 4096,
            max_connections: 512,
            handshake_timeout: Duration::from_secs(5),
            idle_timeout: Some(Duration::from_secs(300)),
        }
    }
}

/// Serves the maturity and admin services, health checking and reflection
/// on `listener` until `shutdown` completes, then drains: it stops
/// accepting connections (the socket closes), reports NOT_SERVING, lets
/// calls in flight finish for up to `options.drain`, and returns.
pub async fn serve(
    listener: TcpListener,
    catalog: Arc<Catalog>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    let tracking = tokio::spawn(track_health(health.clone(), Arc::clone(&catalog)));
    let timeouts = connection::Timeouts {
        handshake: options.handshake_timeout,
        idle: options.idle_timeout,
    };
    let (incoming, acceptor) = accept::accept(listener, options.max_connections, timeouts);
    let drain = options.drain;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server =
        router(catalog, options, health_service)?.serve_with_incoming_shutdown(incoming, async {
            let _ = stopped.await;
        });
    tokio::pin!(server);
    tokio::select! {
        served = &mut server => {
            tracking.abort();
            return Ok(served?);
        }
        () = shutdown => {}
    }
    // Stop accepting first, then say so, then drain.
    let still_open = acceptor.stop().await;
    tracking.abort();
    for service in ["", "maturity.v1.MaturityService"] {
        health
            .set_service_status(service, tonic_health::ServingStatus::NotServing)
            .await;
    }
    tracing::info!(
        ?drain,
        "draining: refusing connections, reporting NOT_SERVING, letting calls finish"
    );
    let _ = stop.send(());
    drop(still_open);
    match tokio::time::timeout(drain, server).await {
        Ok(served) => served?,
        Err(_) => tracing::warn!(?drain, "calls still in flight after the drain; closing"),
    }
    Ok(())
}

/// Every service, under the limits and layers of `options`.
fn router(
    catalog: Arc<Catalog>,
    options: ServeOptions,
    health: HealthServer<impl Health>,
) -> Result<tonic::transport::server::Router<Layers>, ServeError> {
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let tokens = Arc::new(options.tokens);
    let required = options.require_token.then(|| Arc::clone(&tokens));
    let evidence_tokens = required.clone();
    let api = MaturityApi::new(
        Arc::clone(&catalog),
        Admission::new(options.max_in_flight),
        required,
    )
    .with_decision_log(options.decisions);
    let admin = AdminApi::new(catalog, tokens);
    let size = options.max_message_bytes;
    let mut builder = Server::builder();
    if let Some(tls) = options.tls {
        builder = builder.tls_config(tls.timeout(options.handshake_timeout))?;
    }
    Ok(builder
        .http2_keepalive_interval(Some(options.keepalive.0))
        .http2_keepalive_timeout(Some(options.keepalive.1))
        .max_concurrent_streams(Some(options.max_streams_per_connection))
        .layer(calls::CountCalls {
            stall: options.idle_timeout,
        })
        .layer(tower::util::MapResponseLayer::new(
            codec_status::rewrite_response as Rewrite,
        ))
        .add_service(health)
        .add_service(reflection)
        .add_service(evidence::server(&api, evidence_tokens, size))
        .add_service(
            MaturityServiceServer::new(api)
                .max_decoding_message_size(size)
                .max_encoding_message_size(size),
        )
        .add_service(
            AdminServiceServer::new(admin)
                .max_decoding_message_size(size)
                .max_encoding_message_size(size),
        )
        .add_optional_service(options.echo.then(|| BenchServiceServer::new(echo::EchoApi))))
}

/// The rewrite of the codec's statuses for requests it cannot read.
type Rewrite = fn(
    tonic::codegen::http::Response<tonic::body::Body>,
) -> tonic::codegen::http::Response<tonic::body::Body>;

/// The layers around every service: calls counted per connection, outside
/// the rewrite of the codec's statuses.
type Layers = tower::layer::util::Stack<
    tower::util::MapResponseLayer<Rewrite>,
    tower::layer::util::Stack<calls::CountCalls, tower::layer::util::Identity>,
>;

/// Keeps the health status in step with the catalog: SERVING while at least
/// one model is loaded.
async fn track_health(health: tonic_health::server::HealthReporter, catalog: Arc<Catalog>) {
    let mut serving = None;
    loop {
        let now = catalog.snapshot().engine().models().next().is_some();
        if serving != Some(now) {
            if now {
                health
                    .set_serving::<MaturityServiceServer<MaturityApi>>()
                    .await;
                health
                    .set_service_status("", tonic_health::ServingStatus::Serving)
                    .await;
            } else {
                health
                    .set_not_serving::<MaturityServiceServer<MaturityApi>>()
                    .await;
                health
                    .set_service_status("", tonic_health::ServingStatus::NotServing)
                    .await;
            }
            serving = Some(now);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
